#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Debian 12's own DPDK, unmodified, for the dpdk row of make check: pack
# dpdk-testpmd (package dpdk-dev), the shared libraries it loads, and the
# poll-mode drivers of the lane's NICs into a cpio archive that the lane
# appends to its initramfs.
#
# Usage: fetch-dpdk.sh DEBARCH     (amd64, arm64)
#
# The libraries are found from the ELF files' NEEDED entries: each soname
# is looked up in the packages unpacked so far, else its package (named
# after it, as Debian's library packaging policy names them) is downloaded
# and unpacked, until every NEEDED is met.  The archive lands in
# $IOASID_CACHE/dpdk/DEBARCH/dpdk.cpio.gz, made once per DPDK version; the
# script prints its path.

set -euo pipefail

. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/apt.sh"

debarch=${1:?usage: fetch-dpdk.sh amd64|arm64}
case $debarch in
amd64) triplet=x86_64-linux-gnu loader=lib64/ld-linux-x86-64.so.2 ;;
arm64) triplet=aarch64-linux-gnu loader=lib/ld-linux-aarch64.so.1 ;;
*) die "no DPDK lane for $debarch" ;;
esac

out=$IOASID_CACHE/dpdk/$debarch
archive=$out/dpdk.cpio.gz
# The poll-mode drivers the lane's NICs (e1000e) and the packet pools need.
PMDS="librte_net_e1000.so.23 librte_mempool_ring.so.23"
# What this script packs, besides the DPDK version: a change repacks.
PACKING="1: testpmd, e1000 and mempool_ring"

# The package that holds @soname: libfoo.so.N is in libfooN (libfoo-N when
# foo ends with a digit), but for the few that policy does not name.
soname_package() {
	local name=${1%%.so.*} version=${1#*.so.}

	case $name in
	libc | libm | libdl | libpthread | librt | ld-linux-*) echo libc6 ;;
	libz) echo zlib1g ;;
	libgcc_s) echo libgcc-s1 ;;
	libmlx4 | libmlx5) echo ibverbs-providers ;;
	*)
		name=${name//_/-}
		case $name in *[0-9]) name=$name- ;; esac
		echo "$name$version"
		;;
	esac
}

# Is @soname in the unpacked root?
have_soname() {
	[ -e "$root/usr/lib/$triplet/$1" ] || [ -e "$root/lib/$triplet/$1" ]
}

# Download and unpack @package into the root, once.
unpack_package() {
	local deb

	[ -e "$dl/$1.unpacked" ] && return
	(cd "$dl" && papt apt-get "$debarch" download "$1" >/dev/null 2>&1) ||
		die "cannot download $1 for $debarch"
	deb=$(ls "$dl/$1"_*.deb)
	dpkg-deb -x "$deb" "$root"
	touch "$dl/$1.unpacked"
}

# The NEEDED sonames of every ELF file given.
needed_of() {
	objdump -p "$@" 2>/dev/null | awk '$1 == "NEEDED" { print $2 }' | sort -u
}

# Unpack packages until every NEEDED of @files, and of what they bring,
# is met; prints the sonames the files need, transitively.
resolve() {
	local files=("$@") todo soname path all=""

	while :; do
		todo=""
		for soname in $(needed_of "${files[@]}"); do
			case " $all " in *" $soname "*) continue ;; esac
			all="$all $soname"
			have_soname "$soname" || unpack_package "$(soname_package "$soname")"
			have_soname "$soname" || die "no $soname in $(soname_package "$soname")"
			todo="$todo $soname"
		done
		[ -n "$todo" ] || break
		files=()
		for soname in $todo; do
			for path in "$root/usr/lib/$triplet/$soname" "$root/lib/$triplet/$soname"; do
				[ -e "$path" ] && files+=("$(readlink -f "$path")")
			done
		done
	done
	echo "$all"
}

# Copy @soname, resolved, into the image as @dir/@soname.
install_soname() {
	local soname=$1 dir=$2 path

	for path in "$root/usr/lib/$triplet/$soname" "$root/lib/$triplet/$soname"; do
		[ -e "$path" ] || continue
		install -D -m 0755 "$(readlink -f "$path")" "$image/$dir/$soname"
		return
	done
	die "$soname is not unpacked"
}

main() {
	local version soname pmd_dir sonames path

	"$(dirname "$0")/host-deps.sh" dpdk
	update_index "$debarch"
	version=$(papt apt-cache "$debarch" policy dpdk-dev |
		  awk '$1 == "Candidate:" { print $2 }')
	[ -n "$version" ] && [ "$version" != "(none)" ] ||
		die "no dpdk-dev for $debarch in the host's apt sources"
	if [ -e "$archive" ] && [ "$(cat "$out/version" 2>/dev/null)" = "$version $PACKING" ]; then
		echo "$archive"
		return
	fi
	log "packing Debian's DPDK $version (dpdk-testpmd) for $debarch"
	dl=$(mktemp -d)
	root=$(mktemp -d)
	image=$(mktemp -d)
	trap 'rm -rf "$dl" "$root" "$image"' EXIT

	unpack_package dpdk-dev
	# glibc loads libgcc_s at run time, for pthread_cancel: no NEEDED.
	unpack_package libgcc-s1
	for soname in $PMDS; do
		have_soname "$soname" || unpack_package "$(soname_package "$soname")"
	done
	pmd_dir=usr/lib/$triplet/dpdk/pmds-23.0
	sonames=$(resolve "$root/usr/bin/dpdk-testpmd" \
		  $(for soname in $PMDS libgcc_s.so.1; do
			readlink -f "$root/usr/lib/$triplet/$soname" "$root/lib/$triplet/$soname" 2>/dev/null
		    done | sort -u))

	install -D -m 0755 "$root/usr/bin/dpdk-testpmd" "$image/usr/bin/dpdk-testpmd"
	for soname in $sonames libgcc_s.so.1; do
		install_soname "$soname" "usr/lib/$triplet"
	done
	# EAL loads every driver of its driver directory whose name ends in
	# .so.23.0, as Debian installs them: only these.
	for soname in $PMDS; do
		path=$(readlink -f "$root/usr/lib/$triplet/$soname")
		install -D -m 0755 "$path" "$image/$pmd_dir/${path##*/}"
		ln -sf "dpdk/pmds-23.0/${path##*/}" "$image/usr/lib/$triplet/$soname"
	done
	install -D -m 0755 "$(readlink -f "$root/$loader")" "$image/$loader"
	mkdir -p "$image/var/run" "$image/mnt/huge"

	mkdir -p "$out"
	(cd "$image" && find . | cpio -o -H newc --quiet) | gzip -1 >"$archive.tmp"
	mv "$archive.tmp" "$archive"
	echo "$version $PACKING" >"$out/version"
	echo "$archive"
}

main
