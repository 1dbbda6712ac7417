#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# VFIO's private header drivers/vfio/vfio.h of one kernel, for DKMS to build
# ioasid_vfio.ko (dkms.conf).  Distributions ship no such header: it comes
# from the kernel's own source tree, or from Debian's linux-source-X.Y
# tarball when that package is of the very version of the kernel's headers
# (another version's header could describe other structures).
#
# Usage: dkms-vfio.sh find KVER KDIR         print where the header is; fails
#                                            when there is none
#        dkms-vfio.sh extract KVER KDIR DIR  copy it to DIR/vfio.h

set -eu

# A source tree: the build directory itself, or the one it was built from.
tree_header() {
	for h in "$2/drivers/vfio/vfio.h" "/lib/modules/$1/source/drivers/vfio/vfio.h"; do
		[ -f "$h" ] && echo "$h" && return
	done
	return 1
}

# Debian: linux-source-X.Y of the version of linux-headers-KVER.  Only the
# package versions are compared: finding the version in the tarball would
# take decompressing it, each time DKMS reads dkms.conf.
source_tarball() {
	series=$(echo "$1" | cut -d. -f1,2)
	tarball=/usr/src/linux-source-$series.tar.xz
	[ -f "$tarball" ] || return 1
	headers=$(dpkg-query -W -f='${Version}' "linux-headers-$1" 2>/dev/null) || return 1
	[ "$(dpkg-query -W -f='${Version}' "linux-source-$series" 2>/dev/null)" = "$headers" ] ||
		return 1
	echo "$tarball"
}

find_header() {
	tree_header "$1" "$2" || source_tarball "$1"
}

case $1 in
find)
	find_header "$2" "$3"
	;;
extract)
	from=$(find_header "$2" "$3")
	mkdir -p "$4"
	case $from in
	*.tar.xz)
		series=$(echo "$2" | cut -d. -f1,2)
		tar -xJf "$from" -O --occurrence=1 \
			"linux-source-$series/drivers/vfio/vfio.h" >"$4/vfio.h.new"
		mv "$4/vfio.h.new" "$4/vfio.h" ;;
	*)
		cp "$from" "$4/vfio.h" ;;
	esac
	;;
*)
	echo "usage: dkms-vfio.sh find|extract KVER KDIR [DIR]" >&2
	exit 2
	;;
esac
