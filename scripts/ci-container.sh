#!/usr/bin/env bash
# CI stage: build the container image and run it as users would
# (scripts/container/test-image.mjs). Installs podman/buildah/runc/mmdebstrap
# (Debian, as root, idempotent) and runs them the way this kind of machine
# allows: runc (crun cannot set cgroups here), no default ulimits (setrlimit
# is refused), cgroupfs, host networking.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/apt-ensure.sh podman buildah runc mmdebstrap uidmap

export VITALS_CI_CACHE="${VITALS_CI_CACHE:-/var/cache/vitals-ci}"
mkdir -p "$VITALS_CI_CACHE"
export CONTAINERS_CONF="$VITALS_CI_CACHE/containers.conf"
cat > "$CONTAINERS_CONF" <<'CONF'
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF

started=$(date +%s)
bash scripts/container/build-base.sh
export VITALS_CI_BASE_IMAGE="localhost/vitals-ci-base:${VITALS_CI_NODE_VERSION:-20.20.2}"
echo "ci-container: base ready in $(( $(date +%s) - started )) s"
node scripts/container/test-image.mjs
echo "ci-container: done in $(( $(date +%s) - started )) s"
