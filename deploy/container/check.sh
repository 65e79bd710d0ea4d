#!/usr/bin/env bash
# Checks deploy/container/Containerfile as far as this machine allows:
#  1. builds the static binary the recipe copies, and proves it static;
#  2. reads the recipe: FROM scratch, a numeric non-root USER, /data as a
#     volume owned by that user, the listen and database environment, and a
#     HEALTHCHECK that runs the binary itself;
#  3. runs the binary as the container would (empty environment but the
#     recipe's ENV, an empty working directory, uid 65532 when root) and
#     asks its /healthz with `keyhold healthcheck`;
#  4. when buildah and podman are installed, builds the image, runs it,
#     and checks /healthz from outside and the image's own HEALTHCHECK.
#     Without them it says so and stops after 3.
set -euo pipefail
cd "$(dirname "$0")/../.."
recipe=deploy/container/Containerfile
work=$(mktemp -d)
chmod 0755 "$work" # the server runs as the image's user below
server=""
container="keyhold-check-$$"
image="localhost/keyhold-check:$$"
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if command -v podman >/dev/null; then
    podman rm -f -v "$container" >/dev/null 2>&1 || true
    podman rmi -f "$image" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "container check: $*" >&2; exit 1; }

echo "-- build the static binary"
ctx="$work/context"
mkdir -p "$ctx/data"
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$ctx/keyhold" ./cmd/keyhold
cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
go version -m "$ctx/keyhold" | grep -q 'CGO_ENABLED=0' || fail "binary not built with CGO_ENABLED=0"
if command -v ldd >/dev/null && ldd "$ctx/keyhold" >/dev/null 2>&1; then
  fail "binary is dynamically linked: $(ldd "$ctx/keyhold" 2>&1 | head -n3)"
fi

echo "-- read the recipe"
# Instructions with their continuation lines joined, comments dropped.
instr=$(sed -e '/^[[:space:]]*#/d' "$recipe" | sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta')
has() { grep -Eq "$1" <<<"$instr" || fail "$recipe lacks $2"; }
[ "$(grep -Ec '^FROM ' <<<"$instr")" = 1 ] || fail "$recipe must have exactly one FROM"
has '^FROM scratch$' "FROM scratch"
! grep -Eq '^RUN ' <<<"$instr" || fail "$recipe has RUN, but scratch has no shell"
user=$(grep -E '^USER ' <<<"$instr" | tail -n1 | awk '{print $2}')
[[ "$user" =~ ^([0-9]+):([0-9]+)$ ]] || fail "USER must be numeric uid:gid, is '$user'"
[ "${BASH_REMATCH[1]}" != 0 ] && [ "${BASH_REMATCH[2]}" != 0 ] || fail "USER must not be root"
uid=${BASH_REMATCH[1]} gid=${BASH_REMATCH[2]}
has "^COPY --chown=$uid:$gid data /data$" "a /data owned by $uid:$gid"
has '^VOLUME /data$' "VOLUME /data"
has '^WORKDIR /data$' "WORKDIR /data"
has '^ENV .*KEYHOLD_LISTEN=0\.0\.0\.0:8080' "ENV KEYHOLD_LISTEN=0.0.0.0:8080"
has '^ENV .*KEYHOLD_DB=sqlite:/data/' "ENV KEYHOLD_DB=sqlite:/data/…"
has '^EXPOSE 8080$' "EXPOSE 8080"
has '^HEALTHCHECK .*CMD \["/usr/local/bin/keyhold", "healthcheck"\]$' "a HEALTHCHECK running keyhold healthcheck"
has '^COPY keyhold /usr/local/bin/keyhold$' "COPY of the binary"
has '^ENTRYPOINT \["/usr/local/bin/keyhold"\]$' "the binary as ENTRYPOINT"
# Every COPY source is in the context this script builds.
while read -r src; do
  [ -e "$ctx/$src" ] || fail "COPY source $src is not in the build context"
done < <(grep -E '^COPY ' <<<"$instr" | awk '{print $(NF-1)}')

echo "-- run the binary as the container would"
root="$work/root"
mkdir -p "$root/data"
as=()
if [ "$(id -u)" = 0 ]; then
  chown "$uid:$gid" "$root/data"
  as=(setpriv --reuid="$uid" --regid="$gid" --clear-groups)
fi
(cd "$root/data" && exec env -i KEYHOLD_LISTEN=127.0.0.1:0 KEYHOLD_DB=sqlite:"$root/data/keyhold.db" \
  "${as[@]}" "$ctx/keyhold" serve >"$work/serve.out" 2>"$work/serve.err") &
server=$!
addr=""
for _ in $(seq 1 100); do
  addr=$(grep -o '"msg":"listening","addr":"[^"]*"' "$work/serve.err" 2>/dev/null | sed 's/.*"addr":"\([^"]*\)"/\1/' || true)
  [ -n "$addr" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.err" >&2; fail "serve exited"; }
  sleep 0.1
done
[ -n "$addr" ] || { cat "$work/serve.err" >&2; fail "serve did not listen"; }
env -i KEYHOLD_LISTEN="$addr" "$ctx/keyhold" healthcheck || fail "healthcheck against $addr failed"
[ -s "$root/data/keyhold.db" ] || fail "no database in the working directory"
[ "$(stat -c %u "$root/data/keyhold.db")" = "$uid" ] || [ "$(id -u)" != 0 ] || fail "database not owned by $uid"
kill -TERM "$server"; wait "$server" || fail "serve did not exit cleanly on SIGTERM"
server=""

if ! command -v buildah >/dev/null || ! command -v podman >/dev/null; then
  echo "-- buildah or podman is not installed: the image was not built (checks 1-3 passed)"
  exit 0
fi
echo "-- build the image with buildah"
buildah bud -q --format docker -t "$image" -f "$recipe" "$ctx" >/dev/null
[ "$(podman image inspect "$image" --format '{{.User}}')" = "$uid:$gid" ] || fail "image user is not $uid:$gid"

echo "-- run the image"
# This sandbox (a VM without systemd, cgroups v1, no CAP_SYS_RESOURCE)
# needs runc rather than crun, and rlimits no higher than the shell's.
run=(podman)
command -v runc >/dev/null && run+=(--runtime runc)
"${run[@]}" run -d --name "$container" \
  --ulimit nofile="$(ulimit -Hn)":"$(ulimit -Hn)" --ulimit nproc=1024:1024 \
  -p 127.0.0.1::8080 "$image" >/dev/null 2>"$work/podman.err" || { cat "$work/podman.err" >&2; fail "podman run failed"; }
hostport=$(podman port "$container" 8080/tcp | head -n1)
ok=""
for _ in $(seq 1 100); do
  if "$ctx/keyhold" healthcheck --url "http://$hostport/healthz" --timeout 1s >/dev/null 2>&1; then ok=1; break; fi
  sleep 0.2
done
[ -n "$ok" ] || { podman logs "$container" >&2 || true; fail "image did not answer /healthz on $hostport"; }
# The image's own HEALTHCHECK, run once (podman's timers need systemd).
podman healthcheck run "$container" 2>/dev/null || fail "the image's HEALTHCHECK failed"
[ "$(podman inspect "$container" --format '{{.State.Health.Status}}')" = healthy ] || fail "container not healthy"
[ "$(podman top "$container" huser 2>/dev/null | tail -n1 | tr -d ' ')" = "$uid" ] || echo "   (podman top could not show the user; the image's USER was checked above)"
echo "-- image ok: /healthz answered 200 from $hostport, HEALTHCHECK healthy, user $uid:$gid"
