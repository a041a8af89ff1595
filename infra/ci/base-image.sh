#!/usr/bin/env bash
# Builds recsys-base:bookworm, a minimal Debian 12 root filesystem with Python 3.11, from the Debian
# mirror with debootstrap, and imports it into the Docker daemon at $DOCKER_HOST. No image registry
# is needed. An existing image is reused unless RECSYS_REBUILD_BASE=1.
#
#   infra/ci/base-image.sh [TAG]        (default tag: recsys-base:bookworm)
set -euo pipefail

tag="${1:-recsys-base:bookworm}"
docker_bin="${DOCKER:-docker}"

if [[ "${RECSYS_REBUILD_BASE:-0}" != 1 ]] && "$docker_bin" image inspect "$tag" >/dev/null 2>&1; then
    echo "base image $tag exists; reusing it (RECSYS_REBUILD_BASE=1 rebuilds)"
    exit 0
fi

command -v debootstrap >/dev/null || { echo "error: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }

# The mirror the host's apt uses (deb822 "URIs:" or one-line "deb URL ..."), else deb.debian.org.
mirror="${RECSYS_DEBIAN_MIRROR:-}"
if [[ -z "$mirror" ]]; then
    mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '/^URIs:/ && $2 ~ /\/debian\/?$/ {print $2; exit} /^deb / && $0 ~ /bookworm/ && $2 !~ /\[/ && $2 ~ /\/debian\/?$/ {print $2; exit}' || true)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

work="$(mktemp -d /var/tmp/recsys-base.XXXXXX)"
cleanup() { rm -rf --one-file-system "$work"; }
trap cleanup EXIT
rootfs="$work/rootfs"

echo "debootstrap bookworm from $mirror"
# python3-venv brings ensurepip; ca-certificates for HTTPS package indexes; no recommends.
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    echo "error: debootstrap failed; last lines of its log:" >&2
    tail -n 30 "$work/debootstrap.log" >&2
    exit 1
}

# Slim it down: package lists, caches, docs and locales other than C are not needed at run time.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
# apt in the image: no recommends, no downloaded-package cache.
cat >"$rootfs/etc/apt/apt.conf.d/90recsys" <<'CONF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Binary::apt::APT::Keep-Downloaded-Packages "false";
CONF

tar -C "$rootfs" --numeric-owner -c . \
    | "$docker_bin" import --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null
echo "imported $tag ($("$docker_bin" image inspect -f '{{.Size}}' "$tag") bytes)"
