#!/usr/bin/env bash
# Checks deploy/systemd/keyhold.service without a running systemd (PID 1
# here is not systemd): `systemd-analyze verify` on a copy whose ExecStart
# points at a freshly built binary, then `systemd-analyze security
# --offline=true`, which fails the check if the exposure score rises above
# KEYHOLD_SYSTEMD_MAX_EXPOSURE (measured: 1.2 "OK"; limit 1.5).
set -euo pipefail
cd "$(dirname "$0")/../.."
unit=deploy/systemd/keyhold.service
max="${KEYHOLD_SYSTEMD_MAX_EXPOSURE:-1.5}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "systemd check: $*" >&2; exit 1; }

grep -q '^ExecStart=/usr/local/bin/keyhold serve' "$unit" || fail "ExecStart is not /usr/local/bin/keyhold serve"
for want in DynamicUser=yes StateDirectory=keyhold ProtectSystem=strict NoNewPrivileges=yes \
  CapabilityBoundingSet= AmbientCapabilities= SystemCallFilter=@system-service \
  'LoadCredential=secret-key:' 'secret-key-file=%d/secret-key' 'EnvironmentFile=-/etc/keyhold/keyhold.env'; do
  grep -q "^[A-Za-z]*=*.*${want}" "$unit" || fail "$unit lacks $want"
done
# TimeoutStopSec must exceed the shutdown timeout, or systemd kills a
# server that is still finishing requests.
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$unit")
drain=$(sed -n 's/^Environment=KEYHOLD_SHUTDOWN_TIMEOUT=\([0-9]*\)s$/\1/p' "$unit")
[ -n "$stop" ] && [ -n "$drain" ] && [ "$stop" -gt "$drain" ] || fail "TimeoutStopSec ($stop) must exceed KEYHOLD_SHUTDOWN_TIMEOUT ($drain)"

CGO_ENABLED=0 go build -o "$work/keyhold" ./cmd/keyhold
sed "s|/usr/local/bin/keyhold|$work/keyhold|" "$unit" >"$work/keyhold.service"
echo "-- systemd-analyze verify"
if ! systemd-analyze verify "$work/keyhold.service" >"$work/verify.out" 2>&1 || grep -q 'keyhold.service' "$work/verify.out"; then
  cat "$work/verify.out" >&2; fail "systemd-analyze verify complained"
fi
echo "-- systemd-analyze security --offline=true"
systemd-analyze security --offline=true --no-pager "$work/keyhold.service" >"$work/security.out" 2>&1 || true
score=$(sed -n 's/.*Overall exposure level for keyhold.service: \([0-9.]*\).*/\1/p' "$work/security.out")
[ -n "$score" ] || { cat "$work/security.out" >&2; fail "no exposure score"; }
echo "   exposure $score (limit $max): $(grep -o 'Overall exposure level.*' "$work/security.out")"
awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' || { grep '✗' "$work/security.out" >&2; fail "exposure $score is above $max"; }
