#!/bin/sh
# Installs Node.js NODE_VERSION and npm NPM_VERSION into /opt/node from the npm registry (the
# node-linux-<arch> package holds the official binary; nodejs.org is not needed), each tarball
# checked against the registry's sha512 integrity, as `npm install` would.
set -eu
: "${NODE_VERSION:?}" "${NPM_VERSION:?}"
registry="${NPM_REGISTRY:-https://registry.npmjs.org}"
case "$(dpkg --print-architecture)" in
  amd64) arch=x64 ;;
  arm64) arch=arm64 ;;
  *) echo "no Node.js package for $(dpkg --print-architecture) on the npm registry" >&2; exit 1 ;;
esac

# fetch NAME VERSION DIR: the package's tarball, verified, unpacked into DIR.
fetch() {
  meta=$(curl -fsSL "$registry/$1/$2")
  url=$(printf '%s' "$meta" | grep -o '"tarball": *"[^"]*"' | head -n1 | cut -d'"' -f4)
  want=$(printf '%s' "$meta" | grep -o '"integrity": *"sha512-[^"]*"' | head -n1 | cut -d'"' -f4)
  [ -n "$url" ] && [ -n "$want" ] || { echo "$1@$2: not on $registry" >&2; exit 1; }
  curl -fsSL "$url" -o /tmp/pkg.tgz
  got="sha512-$(sha512sum /tmp/pkg.tgz | cut -d' ' -f1 | tr a-f A-F | basenc --base16 -d | base64 -w0)"
  [ "$got" = "$want" ] || { echo "$1@$2: integrity mismatch ($got, registry says $want)" >&2; exit 1; }
  mkdir -p "$3"
  tar -xzf /tmp/pkg.tgz -C "$3" --strip-components=1
  rm /tmp/pkg.tgz
}

fetch "node-linux-$arch" "$NODE_VERSION" /opt/node
fetch npm "$NPM_VERSION" /opt/node/lib/node_modules/npm
ln -s ../lib/node_modules/npm/bin/npm-cli.js /opt/node/bin/npm
ln -s ../lib/node_modules/npm/bin/npx-cli.js /opt/node/bin/npx
/opt/node/bin/node --version
