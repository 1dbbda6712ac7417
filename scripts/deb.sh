#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: the ioasid-dkms Debian package of the working tree, into
# build/deb/ (debian/ says what goes in it).
#
# Usage: deb.sh
# Prints the path of the .deb.  The package is built from a copy of just
# the files it takes, so that nothing of build/ gets in.  The programs' man
# pages are built first (scripts/htmldocs.sh, into build/htmldocs/); the
# programs without one are named on stderr.

set -euo pipefail

. "$(dirname "$0")/common.sh"

out=$topdir/build/deb

# What the package is built from: the module, the uAPI, the tools and the
# selftest headers they include, DKMS's files and debian/; the files git
# tracks there, as they are in the working tree, and nothing else (no
# object file, no editor's leftover).
stage_tree() {
	local stage=$1

	mkdir -p "$stage"
	git -C "$topdir" ls-files -z -- debian dkms.conf scripts/dkms-vfio.sh \
		drivers/iommu/ioasid include/uapi tools/ioasid \
		'tools/testing/selftests/ioasid/*.h' |
		(cd "$topdir" && xargs -0 cp --parents -t "$stage/")
}

# The programs of tools/ioasid, as its Makefile lists them.
tool_programs() {
	# shellcheck disable=SC2016 # make's $(PROGS), not the shell's
	make -s --no-print-directory -C "$topdir/tools/ioasid" \
		--eval 'print-progs: ; @echo $(PROGS)' print-progs
}

# Copy each program's man page, where htmldocs.sh built one, to debian/man.
stage_man_pages() {
	local stage=$1 prog page without=""

	mkdir -p "$stage/debian/man"
	for prog in $(tool_programs); do
		page=$(find "$topdir/build/htmldocs" -name "$prog.[1-8]" -print -quit \
			2>/dev/null || true)
		if [ -n "$page" ]; then
			cp "$page" "$stage/debian/man/"
		else
			without+=" $prog"
		fi
	done
	[ -z "$without" ] || log "no man page in build/htmldocs for:$without"
}

main() {
	local version stage

	"$topdir/scripts/host-deps.sh" deb
	"$topdir/scripts/htmldocs.sh" >/dev/null
	version=$(dpkg-parsechangelog -l "$topdir/debian/changelog" -SVersion)
	rm -rf "$out"
	stage=$out/ioasid-$version
	stage_tree "$stage"
	stage_man_pages "$stage"
	log "building ioasid-dkms $version"
	(cd "$stage" && dpkg-buildpackage -b --no-sign) >"$out/build.log" 2>&1 ||
		die "dpkg-buildpackage failed: see $out/build.log"
	rm -rf "$stage"
	echo "$out/ioasid-dkms_${version}_$(dpkg --print-architecture).deb"
}

main
