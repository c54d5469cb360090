#!/usr/bin/env bash
# Installs the system packages the test suite needs (Debian, as root):
# real PostgreSQL, Redis and NATS servers for probe tests, Prometheus (promtool
# and the server) for alert-rule tests, Chromium for the status-page test,
# openssl for test certificates. Idempotent: skips what is already there.
set -euo pipefail

packages=(postgresql redis-server nats-server prometheus chromium openssl iproute2 procps)
bash "$(dirname "$0")/apt-ensure.sh" "${packages[@]}"

# The Debian packages start their own system services on install; the tests
# start private servers on free ports instead, so stop those to free memory
# and the default ports (a no-op without systemd).
for svc in postgresql redis-server nats-server prometheus; do
  (service "$svc" stop >/dev/null 2>&1 || true)
done
echo "install-test-deps: ok"
