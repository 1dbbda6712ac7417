#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack the test initramfs of one architecture and kernel (debian or debug):
# busybox, /init, ioasid.ko, the selftests, the user tools and the kernel
# modules the lanes preload.
#
# Usage: mkinitramfs.sh ARCH [KERNEL]
#        (after make ARCH=ARCH KERNEL=KERNEL module selftests tools)

set -euo pipefail

. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/lanes.sh"

arch=${1:?usage: mkinitramfs.sh ARCH [KERNEL]}
flavour=${2:-debian}
build=$topdir/build/$arch
kernel=$IOASID_CACHE/kernel/$(debarch_of "$arch")
module=$build/module
[ "$flavour" = debug ] && module=$build/module-debug

# The kernel modules the lanes of this architecture and kernel load first.
preload_modules() {
	local lane

	for lane in $ALL_LANES; do
		lane_setup "$lane"
		[ "$lane_arch" = "$arch" ] && [ "$lane_kernel" = "$flavour" ] &&
			echo "${lane_preload//,/ }"
	done | tr ' ' '\n' | sed '/^$/d' | sort -u
}

root=$(mktemp -d)
# mktemp makes it 0700: other users must reach /dev and /tmp too.
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,modules,selftests,tools}
install -m 0755 "$kernel/busybox" "$root/bin/busybox"
install -m 0755 "$topdir/scripts/guest-init.sh" "$root/init"
install -m 0644 "$module/ioasid.ko" "$root/ioasid.ko"
install -m 0644 "$module/ioasid_vfio.ko" "$root/ioasid_vfio.ko"
install -m 0755 "$build/tools/testing/selftests/ioasid"/* "$root/selftests/"
install -m 0755 "$build/tools/ioasid"/* "$root/tools/"
for mod in $(preload_modules); do
	path=$(find -L "$kernel/modules" -name "$mod.ko.xz" | head -n 1)
	[ -n "$path" ] || die "module $mod not found in $kernel/modules"
	cp "$path" "$root/modules/"
done
# VFIO, for ioasid_vfio and for the benchmark to compare with: those of
# its modules that Debian's kernel of this architecture has (the others
# are built in, or absent, as type1 is on ppc64el).
if [ "$flavour" = debian ]; then
	for mod in vfio vfio_iommu_type1 irqbypass vfio-pci-core vfio-pci; do
		path=$(find -L "$kernel/modules" -name "$mod.ko.xz" | head -n 1)
		[ -z "$path" ] || cp "$path" "$root/modules/"
	done
fi

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$build/initramfs-$flavour.cpio.gz"
