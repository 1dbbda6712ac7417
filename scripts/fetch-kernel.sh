#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch the newest Debian 6.12 kernel that can really be downloaded for one
# architecture: image, headers (flavour + common), the amd64 linux-kbuild of
# the same version (host tools for cross builds) and busybox-static.
#
# Usage: fetch-kernel.sh DEBARCH    (amd64, arm64 or ppc64el)
#
# Everything lands in $IOASID_CACHE/kernel/DEBARCH and is reused by later runs;
# set IOASID_REFRESH=1 to resolve the newest version again.  Package indexes
# come from a private apt root per architecture that reads the host's own
# apt sources, so no mirror name is written here and the host's package lists
# are never touched.  On success the script prints the cache directory, which
# holds:
#   version        the Debian kernel version, e.g. 6.12.117+deb12
#   kdir           a ready kernel build tree (headers + common + kbuild)
#   vmlinuz        the bootable kernel (vmlinux for ppc64el)
#   modules/       the image's modules tree
#   busybox        a static busybox for the guest

set -euo pipefail

. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/apt.sh"

debarch=${1:?usage: fetch-kernel.sh amd64|arm64|ppc64el}
case $debarch in
amd64)   flavour=amd64 ;;
arm64)   flavour=arm64 ;;
ppc64el) flavour=powerpc64le ;;
*) die "unknown architecture '$debarch'" ;;
esac

out=$IOASID_CACHE/kernel/$debarch

# Newest first: every 6.12 ABI version that has headers for our flavour.
candidate_versions() {
	papt apt-cache "$debarch" pkgnames "linux-headers-6.12." |
		sed -n "s/^linux-headers-\(6\.12\.[0-9]*+deb[0-9]*\)-$flavour\$/\1/p" |
		sort -V -r
}

# Download ARCH:PKG... into DIR.  Fails if a package does not exist or is
# not on the mirror (404); any other error, a network one say, stops here
# rather than make an older kernel look like the newest one.
download() {
	local dir=$1 spec err
	shift

	for spec in "$@"; do
		err=$( (cd "$dir" && papt apt-get "${spec%%:*}" download "${spec#*:}") 2>&1 >/dev/null) && continue
		if echo "$err" | grep -qE "Unable to locate package|Couldn't find any package|Can't select|404 +Not Found"; then
			return 1
		fi
		echo "$err" >&2
		die "downloading ${spec#*:} failed"
	done
}

# amd64 and arm64 name the image without the Secure Boot signature
# "-unsigned"; ppc64el has only the one, unsuffixed.
fetch_version() {
	local v=$1 dl=$2 image

	for image in "linux-image-$v-$flavour-unsigned" "linux-image-$v-$flavour"; do
		download "$dl" "$debarch:$image" && break
	done
	compgen -G "$dl/linux-image-*.deb" >/dev/null &&
	download "$dl" "$debarch:linux-headers-$v-$flavour" \
		"$debarch:linux-headers-$v-common" "amd64:linux-kbuild-$v"
}

unpack() {
	local dl=$1 v=$2 root=$out/root kdir

	rm -rf "$root"
	mkdir -p "$root"
	for deb in "$dl"/*.deb; do
		dpkg-deb -x "$deb" "$root"
	done
	kdir=$root/usr/src/linux-headers-$v-$flavour
	# The flavour Makefile includes the common tree by absolute path.
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$kdir/Makefile"
	ln -sfn "$kdir" "$out/kdir"
	ln -sfn "$root/lib/modules/$v-$flavour" "$out/modules"
	if [ "$debarch" = ppc64el ]; then
		ln -sfn "$root/boot/vmlinux-$v-$flavour" "$out/vmlinuz"
	else
		ln -sfn "$root/boot/vmlinuz-$v-$flavour" "$out/vmlinuz"
	fi
	echo "$v" >"$out/version"
}

fetch_busybox() {
	local dl

	[ -x "$out/busybox" ] && return
	dl=$(mktemp -d)
	download "$dl" "$debarch:busybox-static" || die "cannot fetch busybox-static for $debarch"
	dpkg-deb -x "$dl"/busybox-static_*.deb "$dl/x"
	install -m 0755 "$dl/x/bin/busybox" "$out/busybox"
	rm -rf "$dl"
}

main() {
	local v dl

	mkdir -p "$out"
	if [ -e "$out/version" ] && [ -z "${IOASID_REFRESH:-}" ]; then
		fetch_busybox
		echo "$out"
		return
	fi
	update_index "$debarch"
	[ "$debarch" = amd64 ] || update_index amd64
	for v in $(candidate_versions); do
		dl=$(mktemp -d)
		log "trying Debian kernel $v for $debarch"
		if fetch_version "$v" "$dl"; then
			unpack "$dl" "$v"
			rm -rf "$dl"
			log "using Debian kernel $v for $debarch"
			fetch_busybox
			echo "$out"
			return
		fi
		rm -rf "$dl"
		log "kernel $v for $debarch is not fetchable, trying an older one"
	done
	die "no fetchable Debian 6.12 kernel for $debarch"
}

main
