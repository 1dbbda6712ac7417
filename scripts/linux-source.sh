#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Take the few files ioasid uses from Debian's linux-source-6.12 package (the
# kselftest harness, checkpatch and kernel-doc) into $IOASID_CACHE/linux-source, once.

set -euo pipefail

. "$(dirname "$0")/common.sh"

files=(
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
	scripts/kernel-doc
)
out=$IOASID_CACHE/linux-source
stamp=$out/.extracted

[ -e "$stamp" ] && exit 0
"$(dirname "$0")/host-deps.sh" lint
tarball=$(ls /usr/src/linux-source-6.12.tar.*)
log "extracting the kselftest harness, checkpatch and kernel-doc from $tarball"
rm -rf "$out"
mkdir -p "$out"
tar -xf "$tarball" -C "$out" --strip-components=1 "${files[@]/#/linux-source-6.12/}"
touch "$stamp"
