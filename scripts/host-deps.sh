#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages a step needs, when they are missing.
#
# Usage: host-deps.sh STEP [ARCH]
#   build   module and user-space builds for ARCH (x86_64, arm64, powerpc)
#   lint    checkpatch and sparse
#   qemu    booting the test lanes
#   kernel  building the debug lane's kernel from linux-source
#   dpdk    packing Debian's DPDK for the dpdk row (scripts/fetch-dpdk.sh)
#   deb     the ioasid-dkms package, and the clean root DKMS builds it in
#   docs    the HTML documentation and the man page

set -euo pipefail

. "$(dirname "$0")/common.sh"

packages() {
	case $1 in
	build)
		echo make gcc libc6-dev xz-utils dwarves gpgv debian-archive-keyring
		case ${2:-x86_64} in
		arm64) echo gcc-aarch64-linux-gnu libc6-dev-arm64-cross ;;
		powerpc) echo gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross ;;
		esac ;;
	lint)
		echo sparse perl g++ linux-source-6.12 ;;
	qemu)
		echo qemu-system-x86 qemu-system-arm qemu-system-ppc cpio gzip ;;
	kernel)
		echo make gcc libc6-dev bc bison flex libelf-dev libssl-dev \
			linux-source-6.12 xz-utils ;;
	dpdk)
		echo binutils cpio gzip gpgv debian-archive-keyring ;;
	deb)
		# dpkg-buildpackage wants build-essential, whatever the package.
		echo dpkg-dev debhelper dh-dkms build-essential kmod xz-utils \
			cpio gzip mmdebstrap debian-archive-keyring ;;
	docs)
		echo python3-sphinx python3-docutils perl linux-source-6.12 ;;
	*)
		die "unknown step '$1'" ;;
	esac
}

wanted=$(packages "$@") || exit 1

if ! command -v dpkg-query >/dev/null; then
	log "not a Debian system: make sure these are installed: $wanted"
	exit 0
fi

missing=()
for pkg in $wanted; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q ' installed$' ||
		missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

[ "$(id -u)" -eq 0 ] || die "please install: ${missing[*]}"
log "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_install() {
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
# A fresh machine may have no package lists yet: update once, then retry.
apt_install 2>/dev/null || { apt-get update -q >/dev/null && apt_install; } ||
	die "apt-get could not install ${missing[*]}"
