#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The style gate: checkpatch --strict over every C file and header of
# drivers/, include/ and tools/, kernel-doc over the module and the uAPI,
# the documentation built with Sphinx (make htmldocs), the uAPI header
# compiled alone as C and as C++, and sparse over the module for each
# architecture.  All must report nothing.

set -uo pipefail

. "$(dirname "$0")/common.sh"

"$topdir/scripts/host-deps.sh" lint && "$topdir/scripts/linux-source.sh" || exit 1
cd "$topdir" || exit 1

status=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# checkpatch must run and call every file clean: a script that did not run
# prints no finding, and must not pass for clean.
checkpatch() {
	perl "$IOASID_CACHE/linux-source/scripts/checkpatch.pl" --strict \
		--no-tree --show-types "$@" -f "${files[@]}"
}
mapfile -t files < <(find drivers include tools -name '*.[ch]' | sort)
checkpatch >"$out" 2>&1
checkpatch_rc=$?
clean=$(grep -c 'has no obvious style problems' "$out")
if [ "$checkpatch_rc" -ne 0 ] || [ "$clean" -ne ${#files[@]} ]; then
	log "checkpatch --strict: findings (${#files[@]} files checked, $clean clean)"
	checkpatch --terse
	status=1
else
	log "checkpatch --strict: clean (${#files[@]} files)"
fi

mapfile -t kdoc_files < <(find drivers include -name '*.[ch]' | sort)
perl "$IOASID_CACHE/linux-source/scripts/kernel-doc" -none -Wall \
	"${kdoc_files[@]}" >"$out" 2>&1
if [ -s "$out" ]; then
	log "kernel-doc: findings"
	cat "$out"
	status=1
else
	log "kernel-doc: clean (${#kdoc_files[@]} files)"
fi

# The documentation, with the uAPI's kernel-doc pulled in: any warning of
# Sphinx or kernel-doc fails it.
if "$topdir/scripts/htmldocs.sh" >"$out" 2>&1; then
	log "htmldocs: clean"
else
	log "htmldocs: findings"
	cat "$out"
	status=1
fi

for lang in c c++; do
	if ! echo '#include <linux/ioasid.h>' |
	     gcc -x "$lang" -fsyntax-only -Wall -Wextra -Werror -pedantic \
		 -I include/uapi - 2>"$out"; then
		log "uAPI header as $lang: does not compile alone"
		cat "$out"
		status=1
	else
		log "uAPI header as $lang: compiles alone"
	fi
done

for arch in x86_64 arm64 powerpc; do
	# Without make -s of a calling make, for the CHECK lines to count.
	MAKEFLAGS= make -C "$topdir" ARCH="$arch" KERNEL=debian IOASID_TEST=1 \
		C=2 module >"$out" 2>&1 || {
		log "sparse ($arch): the build failed"
		cat "$out"
		status=1
		continue
	}
	if ! grep -q ' CHECK ' "$out"; then
		log "sparse ($arch): did not run"
		status=1
	elif grep -E ':[0-9]+:[0-9]+: (warning|error):' "$out"; then
		log "sparse ($arch): findings"
		status=1
	else
		log "sparse ($arch): clean"
	fi
done
exit $status
