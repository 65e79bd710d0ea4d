#!/usr/bin/env bash
# bench/auditcost.sh measures what the audit log costs writes: token
# creation over HTTP by CONCURRENCY clients (keyhold-bench mint) against one
# `serve`, built at BASE (the commit before the audit log, 7a27864) and at
# the working tree's HEAD, on SQLite and on PostgreSQL. Each run gets a fresh
# database (a new SQLite directory; a new PostgreSQL database, dropped after)
# and a fresh server. Runs are interleaved — for each round, each database,
# base then head — so that the machine's other work falls on both alike. It
# prints every run and, per database, the medians and head/base. Not run by
# CI; about (RUNS × 4 × (WARMUP + WINDOW + ~5 s)) plus two builds.
#
# Beside tokens per second, each run reports the keyhold server's CPU time
# per token created in the window (utime + stime from /proc, read when the
# warm-up ends and when the client returns), which other work on the
# machine disturbs less than throughput. With PROBE=1, PostgreSQL runs also
# sample pg_stat_activity every 100 ms and report the share of the
# database's active backends that wait on a lock: it shows appends queueing
# on the audit_log row. The probe is one more process on the machine, so
# leave it off for the throughput figures.
#
#   bash bench/auditcost.sh                  # from the repository root
#   RUNS=5 WINDOW=20s bash bench/auditcost.sh
#   DBS=sqlite bash bench/auditcost.sh       # one database only
set -Eeuo pipefail

RUNS=${RUNS:-3}
BASE=${BASE:-7a27864}
DBS=${DBS:-sqlite postgres}
CONCURRENCY=${CONCURRENCY:-8}
WARMUP=${WARMUP:-5s}
WINDOW=${WINDOW:-20s}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
PROBE=${PROBE:-0}
TICK=$(getconf CLK_TCK)

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/keyhold-auditcost.XXXXXX")
OUT=${OUT:-$WORK.results}
mkdir -p "$OUT"
RESULTS=$OUT/results.txt
SERVER=""
PGDB=""

cleanup() {
	if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
	if [ -n "$PGDB" ]; then psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS $PGDB" >/dev/null 2>&1 || true; fi
	git -C "$ROOT" worktree remove --force "$WORK/base-src" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

echo "building head ($(git -C "$ROOT" rev-parse --short HEAD)) and base ($BASE) in $WORK" >&2
(cd "$ROOT" && go build -o "$WORK/head" ./cmd/keyhold && go build -o "$WORK/keyhold-bench" ./cmd/keyhold-bench)
git -C "$ROOT" worktree add --detach "$WORK/base-src" "$BASE" >/dev/null 2>&1
(cd "$WORK/base-src" && go build -o "$WORK/base" ./cmd/keyhold)
git -C "$ROOT" worktree remove --force "$WORK/base-src"

# One key for every run: PostgreSQL needs one at head, and base takes it too.
head -c 32 /dev/urandom | base64 >"$WORK/secret.key"
chmod 600 "$WORK/secret.key"

{
	echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/^Mem:/ {print $2}') GiB, $(go version | cut -d' ' -f3-)"
	echo "head $(git -C "$ROOT" rev-parse --short HEAD), base $BASE; $CONCURRENCY clients, warm-up $WARMUP, window $WINDOW, $RUNS runs"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt" >&2

# run BUILD DB ROUND: one fresh database, one fresh server, one measurement.
run() {
	local build=$1 db=$2 round=$3 url log=$WORK/$1-$2-$3.log
	case $db in
	sqlite) url="sqlite:$WORK/$build-$round/keyhold.db" ;;
	postgres)
		PGDB="keyhold_auditcost_$$_${build}_$round"
		psql -q "$PG_URL" -c "CREATE DATABASE $PGDB" >/dev/null
		url=$(echo "$PG_URL" | sed -E "s#/[^/?]+(\?|$)#/$PGDB\1#")
		;;
	esac
	"$WORK/$build" serve --db "$url" --listen 127.0.0.1:0 --secret-key-file "$WORK/secret.key" \
		--log-level info >"$log.out" 2>"$log" &
	SERVER=$!
	local addr="" i
	for i in $(seq 600); do
		addr=$(grep -so '"msg":"listening","addr":"[^"]*"' "$log" | sed 's/.*"addr":"\([^"]*\)"/\1/' || true)
		[ -n "$addr" ] && break
		kill -0 "$SERVER" 2>/dev/null || { cat "$log" >&2; return 1; }
		sleep 0.1
	done
	[ -n "$addr" ] || { echo "serve did not listen" >&2; cat "$log" >&2; return 1; }
	local admin probe=""
	admin=$(grep -o 'kpat_[0-9A-Za-z]*' "$log.out" | head -1)
	KEYHOLD_ADMIN=$admin "$WORK/keyhold-bench" mint --url "http://$addr" --concurrency "$CONCURRENCY" \
		--warmup "$WARMUP" --duration "$WINDOW" >"$log.mint" &
	local client=$!
	sleep "$WARMUP"
	local cpu0 cpu1
	cpu0=$(cpu_ticks "$SERVER")
	if [ "$PROBE" = 1 ] && [ "$db" = postgres ]; then
		rm -f "$WORK/stop"
		sample_locks "$PGDB" "$WORK/stop" >"$log.locks" &
		probe=$!
	fi
	wait "$client"
	cpu1=$(cpu_ticks "$SERVER")
	if [ -n "$probe" ]; then touch "$WORK/stop"; wait "$probe" 2>/dev/null || true; fi
	kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
	if [ -n "$PGDB" ]; then psql -q "$PG_URL" -c "DROP DATABASE $PGDB" >/dev/null; PGDB=""; fi
	rm -rf "$WORK/$build-$round"
	local line created
	line=$(grep '^result ' "$log.mint")
	created=$(sed -E 's/.*created=([0-9]+).*/\1/' <<<"$line")
	line="$line cpu_us_per_token=$(awk -v c="$((cpu1 - cpu0))" -v t="$TICK" -v n="$created" 'BEGIN {printf "%.0f", n ? c / t * 1e6 / n : 0}')"
	if [ -s "$log.locks" ]; then
		line="$line $(awk -F'|' '{a += $1; w += $2} END {printf "lock_wait_share=%.2f active_mean=%.1f", a ? w / a : 0, NR ? a / NR : 0}' "$log.locks")"
	fi
	echo "$db $build $round $line" | tee -a "$RESULTS" >&2
	if ! grep -q 'failed=0 ' <<<"$line"; then grep 'first failure' "$log.mint" >&2 || true; fi
}

# cpu_ticks PID: the process's user and system time, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# sample_locks DB STOPFILE: one line every 100 ms, "active|waiting on a
# lock", for the database's backends, through one psql session, until
# STOPFILE exists.
sample_locks() {
	while [ ! -e "$2" ] && sleep 0.1; do
		echo "SELECT count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock') FROM pg_stat_activity WHERE datname = '$1';"
	done | psql -qAt "$PG_URL" 2>/dev/null
}

for round in $(seq "$RUNS"); do
	for db in $DBS; do
		run base "$db" "$round"
		run head "$db" "$round"
	done
done

median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2}'; }
rps() { awk -v db="$1" -v b="$2" '$1==db && $2==b {for (i=4;i<=NF;i++) if ($i ~ /^rps=/) print substr($i,5)}' "$RESULTS"; }
cpu() { awk -v db="$1" -v b="$2" '$1==db && $2==b {for (i=4;i<=NF;i++) if ($i ~ /^cpu_us_per_token=/) print substr($i,18)}' "$RESULTS"; }
p50() { awk -v db="$1" -v b="$2" '$1==db && $2==b {for (i=4;i<=NF;i++) if ($i ~ /^p50_ms=/) print substr($i,8)}' "$RESULTS"; }
{
	echo
	cat "$OUT/machine.txt"
	echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "| database | base tokens/s (median) | head tokens/s (median) | head/base | base runs | head runs | p50 latency base / head | server CPU per token base / head |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
	for db in $DBS; do
		b=$(rps "$db" base | median); h=$(rps "$db" head | median)
		printf '| %s | %s | %s | %s | %s | %s | %s / %s ms | %s / %s µs |\n' "$db" "$b" "$h" "$(awk -v h="$h" -v b="$b" 'BEGIN {printf "%.3f", h/b}')" \
			"$(rps "$db" base | tr '\n' ' ' | sed 's/ $//')" "$(rps "$db" head | tr '\n' ' ' | sed 's/ $//')" \
			"$(p50 "$db" base | median)" "$(p50 "$db" head | median)" "$(cpu "$db" base | median)" "$(cpu "$db" head | median)"
	done
} | tee "$OUT/summary.txt"
echo "results in $OUT" >&2
