#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug lanes' kernel from Debian's linux-source-6.12: the
# architecture's defconfig merged with scripts/debug-kernel/ARCH.config
# (KASAN, lockdep, kmemleak, fault injection, ...).  The tree is cached in
# $IOASID_CACHE/debug-kernel/ARCH and rebuilt only when the fragment, this
# script or the linux-source package changes.
#
# Usage: debug-kernel.sh ARCH    prints the tree's path (a KDIR for ioasid)

set -euo pipefail

. "$(dirname "$0")/common.sh"

arch=${1:?usage: debug-kernel.sh ARCH}
fragment=$topdir/scripts/debug-kernel/$arch.config
[ -e "$fragment" ] || die "no debug kernel configuration for $arch"

case $arch in
x86_64) image=arch/x86/boot/bzImage ;;
*) die "no debug kernel image known for $arch" ;;
esac

"$topdir/scripts/host-deps.sh" kernel
tarball=/usr/src/linux-source-6.12.tar.xz
[ -e "$tarball" ] || die "$tarball is missing"
key=$({
	cat "$fragment" "$0"
	dpkg-query -W -f='${Version}' linux-source-6.12
	gcc --version | head -n 1
	ld --version | head -n 1
} | sha256sum | cut -c1-16)
out=$IOASID_CACHE/debug-kernel/$arch
tree=$out/linux

if [ "$(cat "$out/built" 2>/dev/null)" = "$key" ]; then
	echo "$tree"
	exit 0
fi

# Every line of the fragment must survive olddefconfig: a dependency that
# is not met silently drops an option, and with it the lane's purpose.
check_config() {
	local line name

	while read -r line; do
		case $line in
		CONFIG_*=n)
			name=${line%%=*}
			if grep -q "^$name=" .config; then
				die "$name is still set"
			fi
			;;
		CONFIG_*=*)
			if ! grep -qx "$line" .config; then
				die "$line did not survive the merge"
			fi
			;;
		esac
	done < <(cat "$fragment"; echo)
}

log "building the $arch debug kernel from $tarball (cached in $out)"
rm -rf "$out"
mkdir -p "$out"
tar -xf "$tarball" -C "$out"
mv "$out/linux-source-6.12" "$tree"
cd "$tree"
{
	make -s ARCH="$arch" defconfig &&
		scripts/kconfig/merge_config.sh -m .config "$fragment" &&
		make -s ARCH="$arch" olddefconfig
} >"$out/build.log" 2>&1 || die "configuring the debug kernel failed: see $out/build.log"
check_config
start=$(date +%s)
# "modules" also writes Module.symvers, which out-of-tree modules need.
make ARCH="$arch" -j"$(nproc)" "${image##*/}" modules >>"$out/build.log" 2>&1 ||
	die "the debug kernel did not build: see $out/build.log"
cp "$image" "$out/vmlinuz"
log "built the $arch debug kernel in $(($(date +%s) - start)) s"
echo "$key" >"$out/built"
echo "$tree"
