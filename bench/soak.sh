#!/usr/bin/env bash
# bench/soak.sh runs the soak of issue 13 against a real `keyhold serve`
# process on a fresh SQLite database, so that the RSS, goroutines and
# descriptors sampled are the server's and not the load generator's. It is
# not run by CI: the default run takes DURATION (30 minutes) and a minute
# more to build and set up.
#
#   bash bench/soak.sh                     # from the repository root
#   DURATION=2m WARMUP=30s bash bench/soak.sh   # a short trial
#
# It builds both binaries, initializes a database in a temporary
# directory, starts `serve` on a free loopback port, runs
# `keyhold-bench soak` with the first admin's token, and writes the
# samples to CSV (default bench/soak.csv), the plot to PNG (default
# bench/soak.png) and the verdict to stdout. The server is stopped and the
# temporary directory removed on exit (trap); the server's log, less its
# line per request, is copied next to the CSV as soak-serve.log. The exit
# status is the soak's: 0 when the verdict passes.
set -Eeuo pipefail

DURATION=${DURATION:-30m}
WARMUP=${WARMUP:-2m}
SAMPLE=${SAMPLE:-10s}
CONCURRENCY=${CONCURRENCY:-16}
ACCOUNTS=${ACCOUNTS:-50}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CSV=${CSV:-$ROOT/bench/soak.csv}
PNG=${PNG:-$ROOT/bench/soak.png}
# SERVE_FLAGS are extra flags of `keyhold serve`.
SERVE_FLAGS=${SERVE_FLAGS:-}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/keyhold-soak.XXXXXX")
SERVER=""
cleanup() {
	if [ -n "$SERVER" ] && kill -0 "$SERVER" 2>/dev/null; then
		kill "$SERVER" 2>/dev/null || true
		wait "$SERVER" 2>/dev/null || true
	fi
	# The server's log without its line per request (150 MB in 30 minutes).
	[ -f "$WORK/serve.err" ] && grep -v '"level":"INFO","msg":"request"' "$WORK/serve.err" >"$(dirname "$CSV")/soak-serve.log" || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "soak.sh: $*" >&2; }

log "building into $WORK"
(cd "$ROOT" && go build -o "$WORK/keyhold" ./cmd/keyhold && go build -o "$WORK/keyhold-bench" ./cmd/keyhold-bench)

DB="sqlite:$WORK/keyhold.db"
"$WORK/keyhold" init --db "$DB" --admin-email admin@localhost >"$WORK/admin.txt" 2>"$WORK/init.err"

# shellcheck disable=SC2086 # SERVE_FLAGS is a list of flags
"$WORK/keyhold" serve --db "$DB" --listen 127.0.0.1:0 $SERVE_FLAGS >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER=$!
ADDR=""
deadline=$(($(date +%s) + 120))
while [ -z "$ADDR" ]; do
	ADDR=$(sed -n 's/.*"msg":"listening","addr":"\([^"]*\)".*/\1/p' "$WORK/serve.err" | head -1)
	[ -n "$ADDR" ] && break
	kill -0 "$SERVER" 2>/dev/null || { log "the server died: $(tail -3 "$WORK/serve.err")"; exit 1; }
	[ "$(date +%s)" -lt "$deadline" ] || { log "the server printed no address in 120 s"; exit 1; }
	sleep 0.05
done
log "server pid $SERVER listening on $ADDR; soaking for $DURATION (warm-up $WARMUP)"

status=0
KEYHOLD_ADMIN_TOKEN=$(cat "$WORK/admin.txt") "$WORK/keyhold-bench" soak --url "http://$ADDR" \
	--duration "$DURATION" --warmup "$WARMUP" --sample "$SAMPLE" --concurrency "$CONCURRENCY" --accounts "$ACCOUNTS" \
	--csv "$CSV" --png "$PNG" || status=$?
kill -0 "$SERVER" 2>/dev/null || { log "the server died during the soak: $(tail -3 "$WORK/serve.err")"; status=1; }
exit "$status"
