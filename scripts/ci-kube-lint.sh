#!/usr/bin/env bash
# CI stage: `vitals kube lint` on the repository's own deploy/k8s, as a user
# would run it — the kustomize build piped into `-` — against the vitals.yaml
# the ConfigMap ships, with placeholder values for the variables its Secret
# template and Deployment provide; then the same for deployment.yaml patched by
# kubectl with the output of `vitals kube probes`. kubectl (for `kubectl kustomize`) comes from
# Debian's kubernetes-client when missing (as root; idempotent). Where it
# cannot be installed, the manifest files are linted directly instead.
# Needs dist/ (npm ci builds it through `prepare`).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v kubectl >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "ci-kube-lint: installing kubernetes-client (kubectl)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends kubernetes-client >/dev/null 2>&1 \
    || { apt-get -o DPkg::Lock::Timeout=300 update -qq && apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends kubernetes-client >/dev/null; } \
    || echo "ci-kube-lint: kubernetes-client not installable; linting the files directly"
fi
[ -f dist/src/cli/main.js ] || npm run build

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# The ConfigMap's vitals.yaml, and the environment the pod would give it, as `export` lines.
node --input-type=module - "$scratch" <<'JS'
import { readFileSync, writeFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
const [dir] = process.argv.slice(2);
const first = (file) => parseAllDocuments(readFileSync(`deploy/k8s/${file}`, 'utf8'))[0].toJS();
writeFileSync(`${dir}/vitals.yaml`, first('configmap.yaml').data['vitals.yaml']);
const secret = first('secret.example.yaml').stringData;
const env = first('deployment.yaml').spec.template.spec.containers[0].env ?? [];
const pairs = [...Object.entries(secret).map(([k, v]) => [k, v.replace(/<[^>]*>/g, 'x')]), ...env.map((e) => [e.name, e.value ?? ''])];
writeFileSync(`${dir}/env.sh`, pairs.map(([k, v]) => `export ${k}=${JSON.stringify(v)}`).join('\n') + '\n');
JS
# shellcheck disable=SC1091
source "$scratch/env.sh"

lint=(node dist/src/cli/main.js kube lint --config "$scratch/vitals.yaml")
if command -v kubectl >/dev/null 2>&1; then
  echo "ci-kube-lint: kubectl kustomize deploy/k8s | vitals kube lint -"
  kubectl kustomize deploy/k8s > "$scratch/built.yaml"
  "${lint[@]}" - < "$scratch/built.yaml"
  # `vitals kube probes` is a strategic-merge patch: applied to the Deployment
  # by kubectl itself (offline), the result must lint clean too.
  echo "ci-kube-lint: kubectl patch --local deployment.yaml with vitals kube probes | vitals kube lint -"
  node dist/src/cli/main.js kube probes --config "$scratch/vitals.yaml" > "$scratch/patch.yaml"
  kubectl patch --local -f deploy/k8s/deployment.yaml --type strategic --patch "$(cat "$scratch/patch.yaml")" -o yaml > "$scratch/patched.yaml"
  "${lint[@]}" - < "$scratch/patched.yaml"
else
  echo "ci-kube-lint: vitals kube lint deploy/k8s/*.yaml"
  "${lint[@]}" deploy/k8s/*.yaml
fi
