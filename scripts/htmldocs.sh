#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the documentation with Sphinx: Documentation/ as HTML into
# build/htmldocs/, and ioasidctl's man page into build/htmldocs/man/.  The
# kernel-doc directive, which pulls the uAPI header's comments in, is the
# kernel's own: Documentation/sphinx/ and scripts/kernel-doc of
# linux-source-6.12, extracted into $IOASID_CACHE/linux-docs once.  Any
# warning, of Sphinx or of kernel-doc, fails the build.
#
# Usage: htmldocs.sh [OUTDIR]
#        SPHINXBUILD=... to run another sphinx-build than the one in PATH.

set -euo pipefail

. "$(dirname "$0")/common.sh"

out=${1:-$topdir/build/htmldocs}
sphinxbuild=${SPHINXBUILD:-sphinx-build}

"$topdir/scripts/host-deps.sh" docs

# The kernel's Sphinx extensions and kernel-doc, from the linux-source-6.12
# package installed, and again when that package changes.
linux=$IOASID_CACHE/linux-docs
files=(Documentation/sphinx scripts/kernel-doc)
version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) || true
stamp="$version ${files[*]}"
if [ "$(cat "$linux/.extracted" 2>/dev/null)" != "$stamp" ]; then
	tarball=$(ls /usr/src/linux-source-6.12.tar.*)
	log "extracting the kernel's Sphinx extensions and kernel-doc from $tarball"
	mkdir -p "$IOASID_CACHE"
	tmp=$(mktemp -d "$IOASID_CACHE/linux-docs.XXXXXX")
	tar -xf "$tarball" -C "$tmp" --strip-components=1 \
		"${files[@]/#/linux-source-6.12/}"
	echo "$stamp" >"$tmp/.extracted"
	rm -rf "$linux"
	mv "$tmp" "$linux"
fi
export IOASID_LINUX_DOCS=$linux

# The man page's date: that of the last commit, for the same page from the
# same sources.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$topdir" log -1 --format=%ct 2>/dev/null) ||
		unset SOURCE_DATE_EPOCH
fi
[ -z "${SOURCE_DATE_EPOCH:-}" ] || export SOURCE_DATE_EPOCH

warnings=$(mktemp)
trap 'rm -f "$warnings"' EXIT

# -q leaves on standard error only warnings, Sphinx's and those kernel-doc
# prints: anything there fails the build, even what -W does not catch.  The
# HTML build reads every source afresh (-E), for a warning not to hide in an
# unchanged file; the man build takes the doctrees it left.
sphinx() {
	local dir=$1

	shift
	"$sphinxbuild" -q -W --keep-going -d "$out/.doctrees" "$@" \
		"$topdir/Documentation" "$dir" 2>>"$warnings"
}
rc=0
sphinx "$out" -E -b html && sphinx "$out/man" -b man || rc=$?
if [ "$rc" -ne 0 ] || [ -s "$warnings" ]; then
	cat "$warnings" >&2
	die "the documentation does not build without warnings"
fi
log "documentation: $out/index.html, $out/man/ioasidctl.8"
