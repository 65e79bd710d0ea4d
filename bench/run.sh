#!/usr/bin/env bash
# bench/run.sh measures rows 2 to 7 of bench/README.md end to end, on
# loopback only, and prints each row's runs and their median. It is not run
# by CI: it takes about 19 minutes on a 2-core machine, and stops itself
# after BUDGET seconds (default 1200) whatever it is doing.
#
#   bash bench/run.sh                 # from the repository root
#   RUNS=5 bash bench/run.sh          # more runs per row
#   ROWS=7 bash bench/run.sh          # only row 7 (rows 2-6 go together)
#
# It builds the binary, then:
#   row 5  seeds TOKENS tokens into a fresh SQLite database, RUNS times (timed
#          by this script, from process start to exit);
#   row 6  starts `serve` on the seeded database and times process start → the
#          first 200 from GET /v1/authorize with a seeded token (polled);
#   row 4  reads VmRSS of that server 2 s after its first 200, and of a server
#          over an empty database, and divides the difference by TOKENS;
#   rows 2, 3  start the baseline and keyhold on the same token files (SMALL and
#          TOKENS tokens), one fresh server at a time, and load each with the
#          same `keyhold-bench load` settings: WARMUP unmeasured, then WINDOW measured.
#          The warm-up outlasts keyhold's first flush of last-used times (30 s
#          after start), so that the window sees keyhold's steady state, flush
#          included, not a lull before it;
#   row 7  seeds a fresh PostgreSQL schema, starts three `serve` replicas on it,
#          loads them with `keyhold-bench load` and, while it runs, measures revocation
#          RUNS times with `keyhold-bench revoke`, one deletion every REVOKE_PACE at
#          most, so that each run spans a 30-second flush of last-used times.
# Everything it starts is stopped on exit (trap); its schema is dropped.
set -Eeuo pipefail

RUNS=${RUNS:-3}
# ROWS selects what to measure: rows 2 to 6 share one set of SQLite
# databases, so any of them runs them all; 7 is the PostgreSQL replicas.
ROWS=${ROWS:-2 3 4 5 6 7}
TOKENS=${TOKENS:-1000000}
SMALL=${SMALL:-1000}
WARMUP=${WARMUP:-35s}
WINDOW=${WINDOW:-20s}
CONCURRENCY=${CONCURRENCY:-64}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
PG_TOKENS=${PG_TOKENS:-$TOKENS}
REVOKE_COUNT=${REVOKE_COUNT:-200}
REVOKE_PACE=${REVOKE_PACE:-150ms}
# REVOKE_TIMEOUT bounds one `keyhold-bench revoke` run: creating REVOKE_COUNT
# tokens through a loaded replica, then REVOKE_COUNT deletions at
# REVOKE_PACE at least (30 s at the defaults).
REVOKE_TIMEOUT=${REVOKE_TIMEOUT:-150s}
LEAD=${LEAD:-5}
ACCEPT_BOUND=${ACCEPT_BOUND:-25}
BUDGET=${BUDGET:-1200}
# Every probe of a deleted token is a failed authentication, and all come
# from 127.0.0.1, as does the load: the replicas' limit of failed
# authentications per address would answer 429 to all of them within
# seconds. A real gateway has an address of its own; here the limit is off.
REPLICA_FLAGS=${REPLICA_FLAGS:---auth-failure-limit -1}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/keyhold-bench.XXXXXX")
OUT=${OUT:-$WORK.results}
mkdir -p "$OUT"
BIN=$WORK/keyhold
BENCH=$WORK/keyhold-bench
RESULTS=$OUT/results.txt
SCHEMA=""
PIDS=()

# Summary: each row's runs and median.
ratio() { paste <(runs_of "$1") <(runs_of "$2") | awk '$2 > 0 {printf "%.3f\n", $1 / $2}'; }
row() { # NAME MEDIAN RUNS VERDICT
	printf '| %s | %s | %s | %s |\n' "$1" "$2" "$(echo "$3" | tr '\n' ' ' | sed 's/ $//')" "$4"
}
summary() {
	[ -s "$RESULTS" ] || return 0
	echo
	cat "$OUT/machine.txt"
	echo
	echo "| Row | Median | Runs | Target |"
	echo "| --- | --- | --- | --- |"
	r2s=$(ratio keyhold_small baseline_small); r2b=$(ratio keyhold_big baseline_big); r3=$(ratio keyhold_big keyhold_small)
	m=$(echo "$r2s" | median); row "2: keyhold/baseline req/s, $SMALL tokens" "$m" "$r2s" "$(verdict "$m" '>=' 0.8) ≥ 0.80"
	m=$(echo "$r2b" | median); row "2: keyhold/baseline req/s, $TOKENS tokens" "$m" "$r2b" "$(verdict "$m" '>=' 0.8) ≥ 0.80"
	m=$(echo "$r3" | median); row "3: keyhold req/s at $TOKENS / at $SMALL tokens" "$m" "$r3" "$(verdict "$m" '>=' 0.9) ≥ 0.90"
	for k in keyhold_small baseline_small keyhold_big baseline_big; do
		row "   $k req/s" "$(runs_of $k | median)" "$(runs_of $k)" ""
	done
	for k in keyhold_small baseline_small keyhold_big baseline_big; do
		row "   $k µs of server CPU per request" "$(runs_of cpu_$k | median)" "$(runs_of cpu_$k)" ""
	done
	m=$(runs_of row4 | median); row "4: bytes of VmRSS per token" "$m" "$(runs_of row4)" "$(verdict "$m" '<=' 300) ≤ 300"
	m=$(runs_of row5 | median); row "5: seconds to seed $TOKENS tokens (SQLite)" "$m" "$(runs_of row5)" "$(verdict "$m" '<=' 60) ≤ 60"
	m=$(runs_of row6 | median); row "6: seconds from start to first 200 at $TOKENS tokens" "$m" "$(runs_of row6)" "$(verdict "$m" '<=' 5) ≤ 5"
	m=$(runs_of row7 | median); row "7: ms p99 from DELETE 204 to refusal on both other replicas" "$m" "$(runs_of row7)" "$(verdict "$m" '<=' 1000) ≤ 1000"
	grep '^row7' "$RESULTS" | sed 's/^/    /' || true
}

# wants ROW... is true when ROWS names one of the rows.
wants() {
	local r
	for r in "$@"; do
		case " $ROWS " in *" $r "*) return 0 ;; esac
	done
	return 1
}
log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
now_ms() { date +%s%3N; }
record() { echo "$*" | tee -a "$RESULTS" >&2; }

# forget drops a process that has ended from PIDS, so that cleanup never
# signals a recycled id.
forget() {
	local keep=() p
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# stop ends one process this script started: TERM, then KILL after $2 s.
stop() {
	local pid=$1 grace=${2:-10}
	if kill -TERM "$pid" 2>/dev/null; then
		for _ in $(seq $((grace * 10))); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	forget "$pid"
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do stop "$pid" 5; done
	summary | tee "$OUT/summary.md"
	if [ -n "$SCHEMA" ]; then
		psql "$PG_URL" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || log "could not drop schema $SCHEMA"
	fi
	rm -rf "$WORK"
	log "results and logs in $OUT"
	exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
# The whole run is bounded: a watchdog interrupts this script at BUDGET.
# It sleeps a second at a time, so that stopping it leaves no long sleep.
(
	end=$((SECONDS + BUDGET))
	while [ "$SECONDS" -lt "$end" ]; do sleep 1; done
	kill -TERM $$ 2>/dev/null
) &
WATCHDOG=$!
PIDS+=("$WATCHDOG")

# start_bg NAME CMD... runs CMD in the background with its output in
# $OUT/NAME.{out,err}, and sets PID.
start_bg() {
	local name=$1
	shift
	# The files exist before the process does, so that a poll of them
	# never races its start.
	: >"$OUT/$name.out"
	: >"$OUT/$name.err"
	"$@" >"$OUT/$name.out" 2>"$OUT/$name.err" &
	PID=$!
	PIDS+=("$PID")
}

# wait_addr FILE PATTERN sets ADDR from the first line of FILE matching the
# sed expression PATTERN, polling for up to 120 s.
wait_addr() {
	local file=$1 expr=$2 deadline=$(($(date +%s) + 120))
	ADDR=""
	while [ -z "$ADDR" ]; do
		ADDR=$(sed -n "$expr" "$file" | head -1)
		[ -n "$ADDR" ] && return 0
		kill -0 "$PID" 2>/dev/null || { log "process died: $(tail -3 "$file")"; return 1; }
		[ "$(date +%s)" -lt "$deadline" ] || { log "no address in $file"; return 1; }
		sleep 0.01
	done
}
serve_addr='s/.*"msg":"listening","addr":"\([^"]*\)".*/\1/p'
baseline_addr='s/.*baseline listening addr=\([^ ]*\).*/\1/p'

# first_200 ADDR TOKEN polls GET /v1/authorize until it answers 200.
first_200() {
	local deadline=$(($(date +%s) + 120)) code
	while :; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H "Authorization: Bearer $2" "http://$1/v1/authorize" || true)
		[ "$code" = 200 ] && return 0
		[ "$(date +%s)" -lt "$deadline" ] || { log "no 200 from $1 (last $code)"; return 1; }
		sleep 0.01
	done
}

# start_keyhold NAME DB TOKEN [FLAG...] starts `serve` and waits for its
# first 200; it sets PID, ADDR and FIRST_MS (process start → first 200).
start_keyhold() {
	local name=$1 db=$2 token=$3 t0
	shift 3
	t0=$(now_ms)
	start_bg "$name" "$BIN" serve --db "$db" --listen 127.0.0.1:0 "$@"
	wait_addr "$OUT/$name.err" "$serve_addr"
	first_200 "$ADDR" "$token"
	FIRST_MS=$(($(now_ms) - t0))
}

start_baseline() {
	start_bg "$1" "$BENCH" baseline --listen 127.0.0.1:0 --tokens "$2"
	wait_addr "$OUT/$1.err" "$baseline_addr"
}

busy_jiffies() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
proc_jiffies() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# load NAME ADDR TOKENS SERVERPID runs `keyhold-bench load` with this script's
# settings and sets RPS; OTHERS, the share of the machine's busy CPU that
# neither the server nor the load generator used meanwhile (other
# engineers' builds and tests), to tell a disturbed run; and CPU_US, the
# server's CPU time per request over the measured window, which the
# machine's other work disturbs far less than requests per second.
load() {
	local b0 s0 b1 s1 w0 gen hz lp n
	hz=$(getconf CLK_TCK)
	b0=$(busy_jiffies) s0=$(proc_jiffies "$4")
	/usr/bin/time -f '%U %S' -o "$OUT/$1.time" "$BENCH" load --url "$2" --tokens "$3" --concurrency "$CONCURRENCY" \
		--warmup "$WARMUP" --duration "$WINDOW" >"$OUT/$1.load" 2>&1 &
	lp=$!
	sleep "$WARMUP"
	w0=$(proc_jiffies "$4")
	wait "$lp" || true
	b1=$(busy_jiffies) s1=$(proc_jiffies "$4")
	n=$(sed -n 's/^result .*requests=\([0-9]*\).*/\1/p' "$OUT/$1.load")
	CPU_US=$(awk -v j=$((s1 - w0)) -v hz="$hz" -v n="${n:-0}" 'BEGIN {if (n > 0) printf "%.1f", j / hz * 1e6 / n; else print "n/a"}')
	gen=$(awk -v hz="$hz" '{print int(($1 + $2) * hz)}' "$OUT/$1.time")
	OTHERS=$(awk -v b=$((b1 - b0)) -v s=$((s1 - s0)) -v g="$gen" 'BEGIN {x = (b > 0) ? 100 * (b - s - g) / b : 0; printf "%.0f%%", (x > 0) ? x : 0}')
	RPS=$(sed -n 's/^result rps=\([0-9]*\).*/\1/p' "$OUT/$1.load")
	log "load $1: $RPS requests/s, $CPU_US µs of server CPU per request; others used $OTHERS of the busy CPU meanwhile"
	grep -E '^(status|latency):' "$OUT/$1.load" | sed 's/^/    /' >&2
}

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
hwm_kb() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

median() { sort -g | awk '$1 ~ /^[0-9.]+$/ {a[++n] = $1} END {if (n == 0) print "n/a"; else if (n % 2) print a[(n + 1) / 2]; else print (a[n / 2] + a[n / 2 + 1]) / 2}'; }
runs_of() { awk -v k="$1" '$1 == k {print $2}' "$RESULTS"; }
# verdict VALUE OP LIMIT prints "meets" or "misses".
verdict() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {ok = (op == "<=") ? v <= l : v >= l; print (v == "n/a" || v == "") ? "n/a" : ok ? "meets" : "misses"}'; }

machine() {
	echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem:/ {print $2}') GiB"
	echo "go: $(go version | cut -d' ' -f3-)"
	echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . 2>/dev/null || echo ' (work tree differs from it)')"
	echo "settings: RUNS=$RUNS TOKENS=$TOKENS SMALL=$SMALL WARMUP=$WARMUP WINDOW=$WINDOW CONCURRENCY=$CONCURRENCY PG_TOKENS=$PG_TOKENS REVOKE_COUNT=$REVOKE_COUNT REVOKE_PACE=$REVOKE_PACE ROWS=$ROWS"
}

log "building into $WORK"
(cd "$ROOT" && go build -o "$BIN" ./cmd/keyhold && go build -o "$BENCH" ./cmd/keyhold-bench)
machine | tee "$OUT/machine.txt" >&2

# Rows 2 to 6 share the SQLite databases seeded for row 5.
if wants 2 3 4 5 6; then
	# Row 5: seeding TOKENS tokens on SQLite, RUNS times; the last database
	# serves the rows after it.
	BIG_DB="sqlite:$WORK/big.db"
	for run in $(seq "$RUNS"); do
		rm -f "$WORK"/big.db*
		log "row 5 run $run: seed $TOKENS tokens"
		t0=$(now_ms)
		"$BENCH" seed --db "$BIG_DB" --tokens "$TOKENS" --out "$WORK/big.txt" --admin-out "$WORK/big-admin.txt" 2>"$OUT/seed-$run.err"
		record "row5 $(awk -v ms=$(($(now_ms) - t0)) 'BEGIN {printf "%.1f", ms / 1000}') run=$run $(grep '^Seeded' "$OUT/seed-$run.err")"
	done

	log "seeding $SMALL tokens and an empty database"
	SMALL_DB="sqlite:$WORK/small.db"
	"$BENCH" seed --db "$SMALL_DB" --tokens "$SMALL" --out "$WORK/small.txt" --admin-out "$WORK/small-admin.txt" 2>"$OUT/seed-small.err"
	EMPTY_DB="sqlite:$WORK/empty.db"
	"$BIN" init --db "$EMPTY_DB" --admin-email admin@localhost >"$WORK/empty-admin.txt" 2>/dev/null

	for run in $(seq "$RUNS"); do
		# Row 4's reference: a server over an empty database.
		start_keyhold "empty-$run" "$EMPTY_DB" "$(cat "$WORK/empty-admin.txt")"
		sleep 2
		empty_kb=$(rss_kb "$PID")
		stop "$PID"

		# Rows 6 and 4: start on TOKENS tokens, first 200, resident memory.
		start_keyhold "keyhold-big-$run" "$BIG_DB" "$(shuf -n1 "$WORK/big.txt")"
		record "row6 $(awk -v ms="$FIRST_MS" 'BEGIN {printf "%.2f", ms / 1000}') run=$run seconds from process start to the first 200"
		sleep 2
		big_kb=$(rss_kb "$PID")
		record "row4 $(((big_kb - empty_kb) * 1024 / TOKENS)) run=$run bytes/token: VmRSS ${big_kb} kB (peak $(hwm_kb "$PID") kB) at $TOKENS tokens, ${empty_kb} kB empty"

		# Rows 2 and 3 at TOKENS tokens: keyhold (already started), then the
		# baseline on the same token file.
		load "keyhold-big-$run" "http://$ADDR" "$WORK/big.txt" "$PID"
		record "keyhold_big $RPS run=$run requests/s (others: $OTHERS of busy CPU); VmRSS after the load $(rss_kb "$PID") kB"
		record "cpu_keyhold_big $CPU_US run=$run µs of server CPU per request in the window"
		stop "$PID" 1 # its last flush is not measured; skip it
		start_baseline "baseline-big-$run" "$WORK/big.txt"
		load "baseline-big-$run" "http://$ADDR" "$WORK/big.txt" "$PID"
		record "baseline_big $RPS run=$run requests/s (others: $OTHERS of busy CPU)"
		record "cpu_baseline_big $CPU_US run=$run µs of server CPU per request in the window"
		stop "$PID"

		# Rows 2 and 3 at SMALL tokens.
		start_baseline "baseline-small-$run" "$WORK/small.txt"
		load "baseline-small-$run" "http://$ADDR" "$WORK/small.txt" "$PID"
		record "baseline_small $RPS run=$run requests/s (others: $OTHERS of busy CPU)"
		record "cpu_baseline_small $CPU_US run=$run µs of server CPU per request in the window"
		stop "$PID"
		start_keyhold "keyhold-small-$run" "$SMALL_DB" "$(shuf -n1 "$WORK/small.txt")"
		load "keyhold-small-$run" "http://$ADDR" "$WORK/small.txt" "$PID"
		record "keyhold_small $RPS run=$run requests/s (others: $OTHERS of busy CPU)"
		record "cpu_keyhold_small $CPU_US run=$run µs of server CPU per request in the window"
		stop "$PID" 1
	done
fi

# Row 7: three replicas on a schema of their own.
if ! wants 7; then
	:
elif psql "$PG_URL" -qc 'SELECT 1' >/dev/null 2>&1; then
	SCHEMA="keyhold_bench_$(date +%s)_$$"
	psql "$PG_URL" -qc "CREATE SCHEMA $SCHEMA" >/dev/null
	sep='&'
	case "$PG_URL" in *\?*) ;; *) sep='?' ;; esac
	PG_DB="$PG_URL${sep}search_path=$SCHEMA"
	log "row 7: seed $PG_TOKENS tokens into schema $SCHEMA"
	"$BENCH" seed --db "$PG_DB" --tokens "$PG_TOKENS" --out "$WORK/pg.txt" --admin-out "$WORK/pg-admin.txt" 2>"$OUT/seed-pg.err"
	urls=()
	replicas=()
	for i in 1 2 3; do
		# shellcheck disable=SC2086 # REPLICA_FLAGS is a list of words
		start_keyhold "replica-$i" "$PG_DB" "$(shuf -n1 "$WORK/pg.txt")" $REPLICA_FLAGS
		urls+=("http://$ADDR")
		replicas+=("$PID")
	done
	URLS=$(IFS=,; echo "${urls[*]}")
	log "row 7: load on $URLS, $LEAD s before the first revocation run"
	start_bg "replicas.load" "$BENCH" load --url "$URLS" --tokens "$WORK/pg.txt" --concurrency "$CONCURRENCY" --warmup 0s --duration 15m
	LOADPID=$PID
	sleep "$LEAD"
	for run in $(seq "$RUNS"); do
		log "row 7 run $run: revoke $REVOKE_COUNT tokens, one every $REVOKE_PACE at most ($(cut -d' ' -f1-3 /proc/loadavg))"
		KEYHOLD_ADMIN=$(cat "$WORK/pg-admin.txt") "$BENCH" revoke --urls "$URLS" --count "$REVOKE_COUNT" \
			--pace "$REVOKE_PACE" --bound 10s --accept-bound "${ACCEPT_BOUND}s" --timeout "$REVOKE_TIMEOUT" >"$OUT/revoke-$run.out" 2>"$OUT/revoke-$run.err" || log "revoke run $run failed: $(tail -2 "$OUT/revoke-$run.err")"
		sed 's/^/    /' "$OUT/revoke-$run.out" >&2
		line=$(grep '^result n=' "$OUT/revoke-$run.out" || true)
		p99=$(sed -n 's/^result n=[1-9][0-9]* .* p99_ms=\([0-9.]*\).*/\1/p' <<<"$line")
		# No deletion measured because the other replicas never accepted a
		# new token within the accept bound: propagation took longer than
		# that bound, which is then the figure (a lower bound).
		if [ -z "$p99" ] && grep -q '^result n=0 .*unaccepted=[1-9]' <<<"$line"; then
			p99="$((ACCEPT_BOUND * 1000)) (lower bound: a new token was not accepted by the others within $ACCEPT_BOUND s)"
		fi
		record "row7 ${p99:-n/a} run=$run ms p99 from 204 to refusal by both others: ${line:-no deletion measured} $(grep '^accepted ' "$OUT/revoke-$run.out" || true)"
	done
	kill -INT "$LOADPID" 2>/dev/null || true
	wait "$LOADPID" 2>/dev/null || true
	forget "$LOADPID"
	log "load during row 7: $(grep '^requests/s' "$OUT/replicas.load.out" || true)"
	for pid in "${replicas[@]}"; do stop "$pid" 5; done
else
	log "row 7 skipped: no PostgreSQL at $PG_URL"
fi
