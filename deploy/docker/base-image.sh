#!/usr/bin/env bash
# Makes sure the Docker engine has the image the Dockerfiles start FROM (debian:bookworm).
# Where no image registry is reachable (as on the project's machines), it builds one with
# `debootstrap --variant=minbase bookworm` and `docker import`, caching the root filesystem as a
# tarball in ~/.cache/karst/docker/ so later runs import it in seconds. Needs root.
# Usage: deploy/docker/base-image.sh [IMAGE]   (default debian:bookworm)
set -euo pipefail

image="${1:-debian:bookworm}"
if docker image inspect "$image" >/dev/null 2>&1; then exit 0; fi

cache="${KARST_CACHE_DIR:-$HOME/.cache/karst}/docker"
tarball="$cache/debian-bookworm-minbase.tar"
mirror="${KARST_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
if [[ ! -s "$tarball" ]]; then
  mkdir -p "$cache"
  root="$(mktemp -d "$cache/rootfs.XXXXXX")"
  trap 'rm -rf "$root"' EXIT
  echo "base-image: debootstrap bookworm into $root (a few minutes, once)" >&2
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
  # The same suites as Debian's official image: security fixes and point-release updates.
  cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
SOURCES
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" --numeric-owner -cf "$tarball.part" .
  mv "$tarball.part" "$tarball"
fi
echo "base-image: importing $tarball as $image" >&2
docker import --change 'CMD ["/bin/bash"]' "$tarball" "$image" >/dev/null
