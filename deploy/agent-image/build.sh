#!/usr/bin/env bash
# Builds the base of the full agent image with no registry: a Debian root filesystem made by
# debootstrap (minbase plus bash, coreutils, curl, git, python3, ca-certificates), as a plain
# tar named by the first 12 hex digits of its SHA-256. The launcher puts its own
# `village-agent` on top and builds the image on each node that lacks it, showing the engine's
# progress; name the archive in the launcher's settings:
#
#   deploy/agent-image/build.sh            # prints the archive's path
#   [image] base_archive = "/srv/aivillage/agent-base-<hash>.tar"   (deploy/runtime/runtime.toml)
#
# The release defaults to this machine's own (the agent binary loads this machine's libc, and
# the launcher checks the base has each library it loads). Needs root (debootstrap) and a
# Debian mirror (DEBIAN_MIRROR, default deb.debian.org); about a minute and a half here, and
# about 300 MB on disk.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib.sh

. /etc/os-release
suite="${DEBIAN_SUITE:-${VERSION_CODENAME:-bookworm}}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
out="${AGENT_IMAGE_OUT:-$PWD/data/agent-image}"
packages=bash,coreutils,curl,git,python3,ca-certificates

need_packages debootstrap

work=$(mktemp -d /var/tmp/aivillage-agent-base.XXXXXX)
trap 'as_root rm -rf "$work"' EXIT
rootfs="$work/rootfs"
say "debootstrap $suite (minbase + $packages) from $mirror"
as_root debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror"

say "checking the tools run, then trimming caches"
as_root chroot "$rootfs" sh -c 'bash --version | head -1 && python3 --version && git --version && curl --version | head -1'
as_root mkdir -p "$rootfs/workspace" "$rootfs/run/village"
as_root sh -c "rm -rf '$rootfs'/var/cache/apt/archives/*.deb '$rootfs'/var/lib/apt/lists/* \
  '$rootfs'/var/cache/debconf/*-old '$rootfs'/var/log/*.log '$rootfs'/tmp/*"

mkdir -p "$out"
archive="$work/base.tar"
# Sorted names, numeric owners, one time for every file: the same files give the same archive.
as_root tar --sort=name --numeric-owner --mtime=@0 -C "$rootfs" -cf "$archive" .
hash=$(sha256sum "$archive" | cut -c1-12)
as_root mv "$archive" "$out/agent-base-$suite-$hash.tar"
say "built $out/agent-base-$suite-$hash.tar ($(du -h "$out/agent-base-$suite-$hash.tar" | cut -f1))"
echo "$out/agent-base-$suite-$hash.tar"
