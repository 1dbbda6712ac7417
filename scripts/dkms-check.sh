#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ioasid-dkms package (make deb) installed as a user would: in a clean
# Debian 12 root made by mmdebstrap from the host's own Debian sources, apt
# installs dkms and the headers of the x86-vtd lane's kernel, then the
# package, whose postinst has DKMS build ioasid for that kernel (not the
# running one) and install it.  The modules DKMS installed are packed as an
# initramfs archive that run-lane.sh's dkms mode adds under /dkms/.
#
# Usage: dkms-check.sh
# Prints the archive's path.  The root is made anew on each run, from
# packages downloaded anew (keeping them saved no time measurably), and
# thrown away.  What apt and DKMS said is in build/x86_64/dkms/root.log.

set -euo pipefail

. "$(dirname "$0")/common.sh"

out=$topdir/build/x86_64/dkms

# The host's Debian sources for bookworm (by codename, whatever suite
# name the host writes, and Debian's own: no third party's), as one-line
# entries: whatever mirror the host uses, named nowhere here.
bookworm_sources() {
	# shellcheck disable=SC2016 # apt's $(FIELD)s, not the shell's
	apt-get indextargets \
		--format '$(TARGET_OF) $(REPO_URI) $(RELEASE) $(COMPONENT) $(CODENAME)' \
		'Created-By: Packages' 'Origin: Debian' |
		awk '$1 == "deb" && $5 ~ /^bookworm(-|$)/ { print $1, $2, $3, $4 }' |
		sort -u
}

# mmdebstrap's apt, and apt in the root, read no apt.conf of the host: the
# host's proxy, if it has one, is handed to them.
proxy_options() {
	local proxy

	proxy=$(apt-config dump --format '%v%n' Acquire::http::Proxy)
	[ -z "$proxy" ] || echo "--aptopt=Acquire::http::Proxy \"$proxy\";"
}

# Run in the root by mmdebstrap's customize hook: install dkms, the
# headers (the image's initramfs, which nothing boots, is not made), the
# package's recommendation linux-source-6.12 of the headers' version (DKMS
# takes VFIO's header from it to build ioasid_vfio.ko), and the package,
# each before the next; then take out what DKMS installed.
in_root() {
	local root=$1 deb=${IOASID_DKMS_DEB##*/} kver=$IOASID_DKMS_KVER version

	chroot "$root" env DEBIAN_FRONTEND=noninteractive INITRD=No \
		apt-get install -y -q --no-install-recommends dkms openssl \
		"linux-headers-$kver"
	# shellcheck disable=SC2016 # dpkg-query's ${Version}
	version=$(chroot "$root" dpkg-query -W -f='${Version}' "linux-headers-$kver")
	chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "linux-source-6.12=$version"
	cp "$IOASID_DKMS_DEB" "$root/tmp/"
	chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "/tmp/$deb" || {
		# DKMS's log of the build goes with the root: keep it.
		cp "$root"/var/lib/dkms/ioasid/*/build/make.log "$out/" || true
		die "installing the package failed (DKMS's make.log in $out)"
	}
	chroot "$root" dkms status -m ioasid -k "$kver" | tee "$out/status" |
		grep -q ": installed$" || die "DKMS did not install ioasid for $kver"
	mkdir -p "$out/modules"
	cp "$root/lib/modules/$kver/updates/dkms/"* "$out/modules/"
	cp "$root"/var/lib/dkms/ioasid/*/"$kver"/*/log/make.log "$out/"
}

# The modules must be DKMS's build for KVER, signed with DKMS's own key.
check_modules() {
	local kver=$1 ko

	for ko in ioasid ioasid_vfio; do
		ko=$out/modules/$ko.ko.xz
		[ -e "$ko" ] || die "DKMS installed no ${ko##*/} (see $out/root.log)"
		[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ] ||
			die "${ko##*/} is not built for $kver"
		[ "$(modinfo -F signer "$ko")" = "DKMS module signing key" ] ||
			die "${ko##*/} is not signed with DKMS's key"
	done
}

# The GNU build ID of a module (.ko.xz): the kernel shows that of a loaded
# module in /sys/module/NAME/notes.
build_id() {
	xz -dc "$1" >"$out/build-id.ko"
	readelf -n "$out/build-id.ko" | awk '$1 == "Build" && $2 == "ID:" { print $3 }'
	rm -f "$out/build-id.ko"
}

# The archive of /dkms/ for the guest: the modules, and the build ID of
# ioasid.ko for the guest to check that the module it loaded is this one.
pack() {
	mkdir -p "$out/root/dkms"
	cp "$out/modules/"* "$out/root/dkms/"
	build_id "$out/modules/ioasid.ko.xz" >"$out/root/dkms/ioasid.build-id"
	[ -s "$out/root/dkms/ioasid.build-id" ] || die "ioasid.ko has no build ID"
	(cd "$out/root" && find dkms | cpio -o -H newc --quiet) |
		gzip -1 >"$out/dkms.cpio.gz"
	rm -rf "$out/root"
	echo "$out/dkms.cpio.gz"
}

# mmdebstrap makes the root in TMPDIR: a tmpfs of its own, where unpacking
# a kernel's headers and throwing them away takes a fraction of the time
# it takes on disk, and which is gone, whatever happens, at exit.
private_tmpfs() {
	TMPDIR=$(mktemp -d)
	# Lazily: a process left in the root must not keep it mounted.
	trap 'umount -l "$TMPDIR" 2>/dev/null; rmdir "$TMPDIR"' EXIT
	mount -t tmpfs -o size=4G,mode=0755 ioasid-dkms "$TMPDIR"
	export TMPDIR
}

main() {
	local kver deb sources proxy

	"$topdir/scripts/host-deps.sh" deb
	"$topdir/scripts/fetch-kernel.sh" amd64 >/dev/null
	kver=$(cat "$IOASID_CACHE/kernel/amd64/version")-amd64
	deb=$("$topdir/scripts/deb.sh")
	sources=$(bookworm_sources)
	[ -n "$sources" ] || die "the host has no Debian bookworm sources for apt"
	rm -rf "$out"
	mkdir -p "$out"
	proxy=$(proxy_options)
	log "DKMS builds ioasid for $kver in a clean Debian 12 root"
	private_tmpfs
	IOASID_DKMS_DEB=$deb IOASID_DKMS_KVER=$kver \
	mmdebstrap --mode=root --variant=minbase ${proxy:+"$proxy"} \
		--customize-hook="$topdir/scripts/dkms-check.sh in-root \"\$1\"" \
		bookworm /dev/null "$sources" >"$out/root.log" 2>&1 ||
		die "installing ioasid-dkms in a clean root failed: see $out/root.log (a kernel the mirror no longer has? IOASID_REFRESH=1 resolves the newest)"
	check_modules "$kver"
	pack
}

if [ "${1:-}" = in-root ]; then
	in_root "$2"
else
	main
fi
