#!/usr/bin/env bash
# CI stage: the short seeded chaos run (≈2 minutes, fixed seed) against the
# built service, with real PostgreSQL and Redis on loopback (installed by
# scripts/install-test-deps.sh, which is idempotent). Exits non-zero on any
# readiness violation, /health failure, latency or leak.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh >/dev/null
CHAOS_SEED="${CHAOS_SEED:-17}" CHAOS_SECONDS="${CHAOS_SECONDS:-110}" npm run chaos
