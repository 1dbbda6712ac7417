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

debarch=${1:?usage: fetch-kernel.sh amd64|arm64|ppc64el}
case $debarch in
amd64)   flavour=amd64 ;;
arm64)   flavour=arm64 ;;
ppc64el) flavour=powerpc64le ;;
*) die "unknown architecture '$debarch'" ;;
esac

out=$IOASID_CACHE/kernel/$debarch

apt_root() {
	local arch=$1 root=$IOASID_CACHE/apt/$1

	mkdir -p "$root/state/lists/partial" "$root/cache/archives/partial"
	touch "$root/status"
	echo "$root"
}

# apt-get/apt-cache on the private root of one architecture.  Dir::Etc keeps
# pointing at the host, so sources, keys and proxies are the host's.
papt() {
	local tool=$1 arch=$2 root
	shift 2

	root=$(apt_root "$arch")
	"$tool" -q -o Dir::State="$root/state" -o Dir::State::status="$root/status" \
		-o Dir::Cache="$root/cache" -o APT::Architecture="$arch" \
		-o APT::Architectures="$arch" -o APT::Sandbox::User=root "$@"
}

# An index that fails verification because the mirror is caught mid-sync
# (seen for the ppc64el security suite, whose Packages.xz no longer matches
# the signed InRelease) would hide that suite's kernels entirely.  Unless
# IOASID_STRICT_INDEX is set, fall back to the file the mirror serves: the
# suite's InRelease signature is still checked, and apt still checks every
# .deb against the hashes of that index, but the index itself cannot be
# authenticated.  It only ever feeds a foreign-architecture test kernel.
fetch_stale_index() {
	local arch=$1 uri=$2 lists name tmp

	[ -z "${IOASID_STRICT_INDEX:-}" ] ||
		die "$uri failed verification and IOASID_STRICT_INDEX is set"
	lists=$(apt_root "$arch")/state/lists
	log "warning: $uri failed verification (mirror out of sync?), using it as served"
	tmp=$(mktemp)
	for uri in "${uri%/main/*}/InRelease" "$uri"; do
		name=$(papt apt-get "$arch" --print-uris update |
		       awk -v u="'$uri'" '$1 == u { print $2 }')
		[ -n "$name" ] || die "no apt list name for $uri"
		/usr/lib/apt/apt-helper -q download-file "$uri" "$tmp" >/dev/null
		case $uri in
		*/InRelease)
			gpgv --keyring /usr/share/keyrings/debian-archive-keyring.gpg \
				"$tmp" 2>/dev/null || die "bad signature on $uri"
			cp "$tmp" "$lists/$name" ;;
		*.xz)
			xz -dc "$tmp" >"$lists/$name" ;;
		esac
	done
	rm -f "$tmp"
}

# Update the private index.  Hash failures of a Packages file are handled
# above; any other error stops here, before the index is marked fresh.
update_index() {
	local arch=$1 stamp out uri

	stamp=$(apt_root "$arch")/updated
	if [ -e "$stamp" ] && [ -z "${IOASID_REFRESH:-}" ]; then
		return
	fi
	log "updating the $arch package index (private apt root)"
	# Start from no lists, so that no index used before, verified or
	# not, survives an update.
	rm -rf "$(apt_root "$arch")/state/lists"
	out=$(papt apt-get "$arch" update 2>&1) || true
	for uri in $(echo "$out" |
		     sed -n 's/^E: Failed to fetch \([^ ]*Packages\.xz\)  \(File has unexpected size\|Hash Sum mismatch\).*/\1/p'); do
		fetch_stale_index "$arch" "$uri"
	done
	if echo "$out" | grep '^E: ' | grep -vqE \
		'Packages\.xz  (File has unexpected size|Hash Sum mismatch)|Some index files failed to download'; then
		echo "$out" >&2
		die "apt-get update failed for $arch"
	fi
	touch "$stamp"
}

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
