#!/usr/bin/env bash
# node-binary.sh MAJOR: prints the bin directory of the newest Node.js MAJOR (e.g. 24) from the npm
# registry's node-linux-<arch> package, downloaded once into the cache
# (${LLMPT_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llmpt-ci}/node-MAJOR-<arch>). Used by .ci/run
# and by `npm run bench -- --node MAJOR`; nodejs.org is not needed.
set -euo pipefail
major=${1:?usage: node-binary.sh MAJOR}
case "$major" in
  '' | *[!0-9]*) echo "node-binary.sh: MAJOR must be a number, got '$major'" >&2 && exit 2 ;;
esac
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "no Node.js package for $(uname -m) on the npm registry" >&2 && exit 1 ;;
esac
cache="${LLMPT_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llmpt-ci}"
dir="$cache/node-$major-$arch"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.download.XXXXXX")
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$major" >/dev/null && tar -xzf ./*.tgz)
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
  rm -rf "$tmp"
fi
echo "$dir/bin"
