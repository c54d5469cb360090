#!/usr/bin/env bash
# Installs the system packages the test suite needs (Debian, as root):
# real PostgreSQL, Redis and NATS servers for probe tests, Prometheus (promtool
# and the server) for alert-rule tests, Chromium for the status-page test,
# openssl for test certificates. Idempotent: skips what is already there.
set -euo pipefail

packages=(postgresql redis-server nats-server prometheus chromium openssl iproute2 procps)
# Noted before installing: only the services of these are ours to stop below.
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
bash "$(dirname "$0")/apt-ensure.sh" "${packages[@]}"

# The Debian packages start their own system services on install; the tests
# start private servers on free ports instead, so stop the services of the
# packages installed just now (to free memory and the default ports). A service
# that was already there before this script ran is someone else's: left alone.
for svc in postgresql redis-server nats-server prometheus; do
  for p in "${missing[@]}"; do
    if [ "$p" = "$svc" ]; then (service "$svc" stop >/dev/null 2>&1 || true); fi
  done
done
echo "install-test-deps: ok"
