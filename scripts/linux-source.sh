#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Take the few files ioasid uses from Debian's linux-source-6.12 package (the
# kselftest harness, checkpatch, kernel-doc, and VFIO's private header for
# ioasid_vfio.ko) into $IOASID_CACHE/linux-source, once.
#
# Usage: linux-source.sh [DEBARCH]
#        with DEBARCH, also check that the source is of the version of the
#        Debian kernel fetched for it (scripts/fetch-kernel.sh): VFIO's
#        header must describe the kernel that ioasid_vfio.ko is built for.

set -euo pipefail

. "$(dirname "$0")/common.sh"

files=(
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
	scripts/kernel-doc
	drivers/vfio/vfio.h
	Makefile
)
out=$IOASID_CACHE/linux-source
stamp=$out/.extracted

# The version of the source, as Debian names its kernels: 6.12.N.
source_version() {
	sed -n 's/^SUBLEVEL = \([0-9]*\)$/6.12.\1/p' "$out/Makefile"
}

check_version() {
	local kernel

	kernel=$(cat "$IOASID_CACHE/kernel/$1/version")
	[ "${kernel%%+*}" = "$(source_version)" ] ||
		die "linux-source-6.12 is $(source_version), the $1 kernel is $kernel: VFIO's header would not describe it (update linux-source-6.12, or IOASID_REFRESH=1 make fetch)"
}

if [ -e "$stamp" ] && [ "$(cat "$stamp")" = "${files[*]}" ]; then
	[ -z "${1:-}" ] || check_version "$1"
	exit 0
fi
"$(dirname "$0")/host-deps.sh" lint
tarball=$(ls /usr/src/linux-source-6.12.tar.*)
log "extracting the kselftest harness, checkpatch, kernel-doc and VFIO's header from $tarball"
rm -rf "$out"
mkdir -p "$out"
tar -xf "$tarball" -C "$out" --strip-components=1 "${files[@]/#/linux-source-6.12/}"
echo "${files[*]}" >"$stamp"
[ -z "${1:-}" ] || check_version "$1"
