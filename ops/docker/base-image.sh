#!/usr/bin/env bash
# Makes the local base image every Dockerfile here starts from (BASE_IMAGE, default
# llmpt/base:bookworm) when it is not there yet: a minimal Debian 12 root made by debootstrap
# from Debian's own mirror, imported with `docker import`. Where a registry is reachable,
# `--build-arg BASE_IMAGE=debian:bookworm-slim` skips this. Idempotent: an existing tag is kept
# (remove it with `docker rmi llmpt/base:bookworm` to rebuild).
#
#   ops/docker/base-image.sh [TAG]      # as root (debootstrap needs it); dockerd running
set -euo pipefail
tag="${1:-${BASE_IMAGE:-llmpt/base:bookworm}}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite=bookworm

if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "base image $tag: present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "base-image.sh: debootstrap must run as root (or import $tag yourself)" >&2
  exit 1
fi
command -v debootstrap >/dev/null || {
  echo "base-image.sh: debootstrap is missing: apt-get install -y debootstrap" >&2
  exit 1
}

root=$(mktemp -d "${TMPDIR:-/tmp}/llmpt-base.XXXXXX")
trap 'rm -rf "$root"' EXIT
started=$(date +%s)
echo "base image $tag: debootstrap --variant=minbase $suite from $mirror" >&2
# Debian's archive key, named explicitly: a non-Debian host's debootstrap (Ubuntu's) does not
# default to it (apt-get install debian-archive-keyring).
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || keyring=""
debootstrap --variant=minbase ${keyring:+--keyring="$keyring"} "$suite" "$root" "$mirror" >&2
# What `debian:*-slim` does: no docs or man pages, no apt lists or caches in the layer, and
# apt never pulling recommended packages.
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
cat >"$root/etc/apt/apt.conf.d/docker-slim" <<'CFG'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
CFG
printf 'deb %s %s main\ndeb %s %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\n' \
  "$mirror" "$suite" "$mirror" "$suite" "$suite" >"$root/etc/apt/sources.list"
# Certificate authorities this machine adds to the system's (a TLS-inspecting egress proxy,
# a company CA): builds reach the npm registry through the same network. The ca-certificates
# package, installed by the stages that download, folds them into the bundle.
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
tar -C "$root" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["bash"]' - "$tag" >/dev/null
echo "base image $tag: made in $(($(date +%s) - started)) s" >&2
