#!/usr/bin/env bash
# CI stage: builds the vitals image from the repo's Dockerfile and runs it the
# way users do, failing on the first check that does not hold.
#
#   zero-config: /health, /ready, /metrics answer; uid 1000; read-only root fs;
#   the image's own HEALTHCHECK exits 0 (and 1 against a dead port);
#   SIGTERM: /ready 503 while /health stays 200, exit 0 within drainDelay +
#   shutdown.timeout; a mounted config + --env-file is used, token enforced;
#   no dev dependency, no .ts source in the image; image size reported.
#
# This machine reaches no image registry, so the image is built on a local
# stand-in for node:20-bookworm-slim (scripts/container-base.sh). Outgoing
# TLS here is re-signed by a local CA, so the build's `npm ci` steps get the
# host CA bundle through a build-time mount and a global npmrc; neither is in
# any image layer or in the Dockerfile.
#
# Root, Debian. Self-test (must fail at the uid check):
#   VITALS_CI_EXPECT_UID=0 scripts/ci-container.sh
set -euo pipefail
cd "$(dirname "$0")/.."

export VITALS_CI_CACHE=${VITALS_CI_CACHE:-/var/cache/vitals-ci}
EXPECT_UID=${VITALS_CI_EXPECT_UID:-1000}
IMAGE=localhost/vitals:ci
started=$SECONDS
log() { echo "ci-container: $*"; }
fail() { echo "ci-container: FAIL: $*" >&2; exit 1; }

# --- tools (idempotent) --------------------------------------------------------
bash scripts/apt-ensure.sh podman buildah runc mmdebstrap curl

# podman's defaults fail here: the RLIMIT_NOFILE it sets is not permitted and
# crun does not support this host's hybrid cgroups; runc with no default
# ulimits works. Host networking: no CNI/netavark network is usable here.
mkdir -p "$VITALS_CI_CACHE"
printf '[containers]\ndefault_ulimits = []\n' >"$VITALS_CI_CACHE/containers.conf"
export CONTAINERS_CONF=$VITALS_CI_CACHE/containers.conf
podman=(podman --runtime /usr/sbin/runc)
containers=()
cleanup() { for c in "${containers[@]}"; do "${podman[@]}" rm -f -t 0 "$c" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT
trap 'exit 143' TERM INT  # timeout(1) in .ci/run: still remove the containers

# --- build -------------------------------------------------------------------
base=$(bash scripts/container-base.sh)
printf 'cafile=/run/vitals-ci/ca.crt\n' >"$VITALS_CI_CACHE/build-npmrc"
build_started=$SECONDS
build() { # context tag
  "${podman[@]}" build --format docker --network=host \
    --build-arg NODE_IMAGE="$base" \
    -v /etc/ssl/certs/ca-certificates.crt:/run/vitals-ci/ca.crt:ro \
    -v "$VITALS_CI_CACHE/build-npmrc:/usr/local/etc/npmrc:ro" \
    -t "$2" "$1" 2>&1
}
build . "$IMAGE" >"$VITALS_CI_CACHE/build.log" || { tail -30 "$VITALS_CI_CACHE/build.log" >&2; fail "image build failed"; }
log "image built in $((SECONDS - build_started)) s on $base"

# Layer order: after a source change the two `npm ci` layers come from cache
# (one stage at a time, the default, so the log lines of a step stay together).
changed=$(mktemp -d)
cp -r package.json package-lock.json tsconfig.json tsconfig.build.json src probes openapi Dockerfile .dockerignore "$changed/"
# unique per run, so the TypeScript layer really is rebuilt
echo "// ci-container: a source change $(date +%s%N)" >>"$changed/src/version.ts"
rebuild_started=$SECONDS
build "$changed" localhost/vitals:ci-changed >"$VITALS_CI_CACHE/rebuild.log" || { tail -30 "$VITALS_CI_CACHE/rebuild.log" >&2; fail "rebuild failed"; }
rm -rf "$changed"; "${podman[@]}" rmi localhost/vitals:ci-changed >/dev/null
cached=$(grep -A1 'RUN npm ci' "$VITALS_CI_CACHE/rebuild.log" | grep -c 'Using cache' || true)
[ "$cached" = 2 ] || fail "a source change re-ran npm ci ($cached of 2 npm ci steps cached; see $VITALS_CI_CACHE/rebuild.log)"
log "ok  rebuild after a source change: $((SECONDS - rebuild_started)) s, both npm ci layers from cache"

# --- helpers -----------------------------------------------------------------
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
# status code of GET url (000 when nothing answers)
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "${@:2}" "$1" || true; }
expect_code() { # url expected [curl args...]
  local got; got=$(http_code "$1" "${@:3}")
  [ "$got" = "$2" ] || fail "GET $1 answered $got, expected $2"
  log "ok  GET ${1#http://127.0.0.1:*/} -> $got"
}
wait_ready() { # port: /ready 200 within 30 s (the first probe round)
  for _ in $(seq 1 60); do [ "$(http_code "http://127.0.0.1:$1/ready")" = 200 ] && return 0; sleep 0.5; done
  fail "/ready on port $1 was not 200 within 30 s"
}
run_vitals() { # name port [podman run args...] — as users run it, plus host networking
  local name=$1 port=$2; shift 2
  containers+=("$name")
  "${podman[@]}" run -d --name "$name" --network=host --read-only --cap-drop=ALL \
    --security-opt=no-new-privileges -e VITALS_PORT="$port" "$@" "$IMAGE" >/dev/null
}

# --- zero-config -------------------------------------------------------------
port=$(free_port)
zero=vitals-ci-zero-$$
run_vitals "$zero" "$port"
wait_ready "$port"
expect_code "http://127.0.0.1:$port/health" 200
expect_code "http://127.0.0.1:$port/ready" 200
metrics=$(curl -sf --max-time 3 "http://127.0.0.1:$port/metrics") || fail "/metrics did not answer 200"
grep -q '^vitals_probe_up' <<<"$metrics" || fail "/metrics has no vitals_probe_up series"
log "ok  /metrics has vitals_probe_up"

pid=$("${podman[@]}" inspect --format '{{.State.Pid}}' "$zero")
uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
[ "$uid" = "$EXPECT_UID" ] || fail "the service runs as uid $uid, expected $EXPECT_UID"
log "ok  PID 1 runs as uid $uid ($(tr '\0' ' ' <"/proc/$pid/cmdline"))"
[ "$("${podman[@]}" inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$zero")" = true ] || fail "root fs not read-only"
if "${podman[@]}" exec --user 0 "$zero" touch /app/written 2>/dev/null; then fail "root could write /app on a --read-only root fs"; fi
log "ok  read-only root filesystem (even root cannot write /app)"

# The image's own HEALTHCHECK, as the engine runs it; then its command against a dead port.
"${podman[@]}" healthcheck run "$zero" 2>/dev/null || fail "the image HEALTHCHECK failed on a healthy container (exit $?)"
log "ok  HEALTHCHECK exit 0"
mapfile -t hc < <("${podman[@]}" image inspect --format '{{range .Config.Healthcheck.Test}}{{println .}}{{end}}' "$IMAGE" | sed '/^$/d')
[ "${hc[0]:-}" = CMD ] || fail "HEALTHCHECK missing or not exec form: ${hc[*]:-none} (built without --format docker?)"
dead=$(free_port)
set +e; "${podman[@]}" exec -e VITALS_PORT="$dead" "$zero" "${hc[@]:1}"; code=$?; set -e
[ "$code" = 1 ] || fail "HEALTHCHECK command against a dead port exited $code, expected 1"
log "ok  HEALTHCHECK command exits 1 when /health does not answer"

# SIGTERM: documented drain (README "Shutdown"): /ready 503 at once, /health
# still 200, keep serving drainDelay (5 s), exit 0 before drainDelay + shutdown.timeout (30 s).
term_started=$(date +%s%N)
"${podman[@]}" kill --signal TERM "$zero" >/dev/null
sleep 0.5
expect_code "http://127.0.0.1:$port/ready" 503
expect_code "http://127.0.0.1:$port/health" 200
exit_code=$(timeout 40 "${podman[@]}" wait "$zero") || fail "no exit within 40 s of SIGTERM"
drain_ms=$((($(date +%s%N) - term_started) / 1000000))
[ "$exit_code" = 0 ] || fail "exit code $exit_code after SIGTERM, expected 0"
[ "$drain_ms" -ge 4500 ] || fail "exited ${drain_ms} ms after SIGTERM: before drainDelay (5 s)"
[ "$drain_ms" -le 30000 ] || fail "exited ${drain_ms} ms after SIGTERM: past drainDelay + shutdown.timeout (30 s)"
own_ms=$("${podman[@]}" logs "$zero" 2>&1 | sed -n 's/.*"elapsedMs":\([0-9]*\),"msg":"shutdown complete".*/\1/p')
[ -n "$own_ms" ] || fail "no 'shutdown complete' line in the container's log"
log "ok  SIGTERM -> exit 0 after ${drain_ms} ms (vitals' own shutdown: ${own_ms} ms)"

# --- mounted config + env file -----------------------------------------------
port=$(free_port)
env_file=$(mktemp)
cat test/container/vitals.env >"$env_file"
echo "VITALS_PORT=$port" >>"$env_file"
token=$(sed -n 's/^VITALS_TOKEN=//p' test/container/vitals.env)
configured=vitals-ci-config-$$
run_vitals "$configured" "$port" --env-file "$env_file" \
  -v "$PWD/test/container/vitals.yaml:/etc/vitals/vitals.yaml:ro"
rm -f "$env_file"
wait_ready "$port"
verbose=$(curl -s --max-time 3 "http://127.0.0.1:$port/ready?verbose")
grep -q '^\[+\]self ok' <<<"$verbose" || fail "/ready?verbose lacks the mounted config's probe 'self': $verbose"
log "ok  mounted config read (probe 'self' in /ready?verbose)"
expect_code "http://127.0.0.1:$port/metrics" 401
expect_code "http://127.0.0.1:$port/metrics" 200 -H "Authorization: Bearer $token"
diagnostics=$(curl -s --max-time 3 -H "Authorization: Bearer $token" "http://127.0.0.1:$port/diagnostics")
if grep -q "$token" <<<"$diagnostics"; then fail "/diagnostics shows the token"; fi
log "ok  token from the env file enforced, not shown in /diagnostics"
"${podman[@]}" kill --signal TERM "$configured" >/dev/null
exit_code=$(timeout 20 "${podman[@]}" wait "$configured") || fail "configured container: no exit within 20 s of SIGTERM"
[ "$exit_code" = 0 ] || fail "configured container: exit code $exit_code after SIGTERM"
log "ok  configured container: SIGTERM -> exit 0 (drainDelay 2 s)"

# --- image contents ------------------------------------------------------------
# Every package the lockfile marks dev-only must be absent from /app/node_modules.
dev_paths=$(node -e "const l=require('./package-lock.json');console.log(Object.entries(l.packages).filter(([p,v])=>p&&v.dev).map(([p])=>p).join('\n'))")
[ -n "$dev_paths" ] || fail "the lockfile lists no dev dependency; the check would prove nothing"
present=$("${podman[@]}" run --rm --network=none --entrypoint sh -e DEV_PATHS="$dev_paths" "$IMAGE" \
  -c 'cd /app && printf "%s\n" "$DEV_PATHS" | while read -r p; do [ -e "$p" ] && echo "$p"; done; true')
[ -z "$present" ] || fail "dev dependencies in the image: $(echo "$present" | head -5 | tr '\n' ' ')"
log "ok  none of the $(wc -l <<<"$dev_paths") dev-only lockfile packages is in the image"
sources=$("${podman[@]}" run --rm --network=none --entrypoint sh "$IMAGE" \
  -c 'find / -xdev \( -path /proc -o -path /app/node_modules \) -prune -o \( -name "*.ts" ! -name "*.d.ts" -print \) 2>/dev/null; ls -d /app/src /app/test /app/.env /usr/local/etc/npmrc /run/vitals-ci 2>/dev/null; true')
[ -z "$sources" ] || fail "files that must not be in the image: $(echo "$sources" | head -5 | tr '\n' ' ')"
log "ok  no .ts source, no src/ test/ .env, no build-time npmrc or CA mount in the image"

size=$("${podman[@]}" image inspect --format '{{.Size}}' "$IMAGE")
base_size=$("${podman[@]}" image inspect --format '{{.Size}}' "$base")
log "image $IMAGE: $((size / 1000000)) MB ($(((size - base_size) / 1000000)) MB on top of the $((base_size / 1000000)) MB base)"
# node_modules (production only) + dist: a jump means something leaked in.
[ $((size - base_size)) -le 120000000 ] || fail "the app layers are $(((size - base_size) / 1000000)) MB, budget 120 MB"
# Each run leaves the previous image and stage layers untagged; drop those
# older than three days (recent ones are this machine's layer cache).
"${podman[@]}" image prune -f --filter until=72h >/dev/null || true
log "all checks passed in $((SECONDS - started)) s"
