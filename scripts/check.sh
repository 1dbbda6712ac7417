#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check / make demo.
#
# Usage: check.sh test [LANE...]    style gate, then every selftest per lane
#        check.sh demo LANE         boot one lane and show the demo's account
#
# For test, prints a table per lane and ends with "N passed, N failed,
# N skipped".  It fails on any failed test, a lane that did not finish, a
# TAP plan not met, or a kernel warning in a serial log.

set -uo pipefail

. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/lanes.sh"

KERNEL_SPLATS='WARNING:|BUG:|Oops|general protection|KASAN|UBSAN|refcount_t:|list_del corruption'

mode=${1:?usage: check.sh test|demo [LANE...]}
shift
lanes=${*:-$ALL_LANES}

build_arch() {
	local arch=$1

	make -s -C "$topdir" ARCH="$arch" module selftests tools >"$topdir/logs/build.$arch.log" 2>&1 ||
		die "build for $arch failed: see logs/build.$arch.log"
	"$topdir/scripts/mkinitramfs.sh" "$arch"
}

build_lanes() {
	local lane arches=""

	for lane in $lanes; do
		lane_setup "$lane" || die "unknown lane '$lane' (lanes: $ALL_LANES)"
		case " $arches " in
		*" $lane_arch "*) ;;
		*) arches="$arches $lane_arch" ;;
		esac
	done
	for arch in $arches; do
		log "building module, selftests and initramfs for $arch"
		build_arch "$arch"
	done
}

# Count the TAP results of one serial log: prints "pass fail skip", lists
# the problems (failed tests, unmet plans, missing end) on stderr and the
# skipped tests, with their reasons, in LOG.skips.
parse_log() {
	awk -v skips="$1.skips" '
	{ sub(/\r$/, "") }
	/^IOASID-TAP-BEGIN / { block = $2; plan = -1; seen = 0; next }
	/^IOASID-TAP-END / {
		if (plan != seen) { print "  " block ": plan of " plan " tests, " seen " results" > "/dev/stderr"; bad++ }
		if ($3 != 0 && $3 != 4 && !blockfail) { print "  " block ": exit status " $3 > "/dev/stderr"; bad++ }
		block = ""; blockfail = 0; next
	}
	/^IOASID-DONE$/ { done = 1 }
	block == "" { next }
	/^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0; next }
	/^ok [0-9]+ .*# SKIP/ { skip++; seen++; print "  " block ": " $0 > skips; next }
	/^ok [0-9]+ / { pass++; seen++; next }
	/^not ok [0-9]+ / { fail++; seen++; blockfail = 1; print "  " block ": " $0 > "/dev/stderr"; next }
	END {
		if (!done) { print "  the lane did not finish (crash or time-out)" > "/dev/stderr"; bad++ }
		print pass + 0, fail + bad, skip + 0
	}' "$1"
}

run_tests() {
	local lane log start secs pass fail skip
	local total_pass=0 total_fail=0 total_skip=0 failed_logs=""
	local report

	report=$(mktemp)
	printf '%-18s %7s %7s %8s %8s\n' lane passed failed skipped seconds >"$report"
	start=$(date +%s)
	if "$topdir/scripts/lint.sh"; then
		total_pass=1
	else
		total_fail=1
		failed_logs+=" (style gate, above)"
	fi
	printf '%-18s %7d %7d %8d %8d\n' "style gate" "$total_pass" "$total_fail" 0 \
		$(($(date +%s) - start)) >>"$report"
	build_lanes
	for lane in $lanes; do
		log "booting lane $lane"
		start=$(date +%s)
		log=$("$topdir/scripts/run-lane.sh" "$lane" test)
		secs=$(($(date +%s) - start))
		rm -f "$log.skips"
		read -r pass fail skip < <(parse_log "$log" 2>"$log.problems")
		[ -s "$log.qemu" ] && sed 's/^/  qemu: /' "$log.qemu" >>"$log.problems"
		if grep -aEq "$KERNEL_SPLATS" "$log"; then
			grep -aE "$KERNEL_SPLATS" "$log" | sed 's/^/  kernel: /' >>"$log.problems"
			fail=$((fail + 1))
		fi
		printf '%-18s %7d %7d %8d %8d\n' "$lane" "$pass" "$fail" "$skip" "$secs" >>"$report"
		if [ "$fail" -ne 0 ]; then
			failed_logs+=" $log"
			{ echo "$lane failed, serial log $log:"; cat "$log.problems"; } >&2
		fi
		[ -e "$log.skips" ] && { echo "$lane skipped:"; cat "$log.skips"; } >&2
		total_pass=$((total_pass + pass))
		total_fail=$((total_fail + fail))
		total_skip=$((total_skip + skip))
	done
	cat "$report"
	rm -f "$report"
	[ -z "$failed_logs" ] || echo "failed:$failed_logs"
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
	[ "$total_fail" -eq 0 ]
}

run_demo() {
	local lane=$1 log

	build_lanes
	log "booting lane $lane (QEMU, TCG) to run the demo"
	log=$("$topdir/scripts/run-lane.sh" "$lane" demo)
	awk '
	{ sub(/\r$/, "") }
	/^IOASID-INIT / { sub(/^IOASID-INIT /, ""); print "guest booted: " $0 }
	/^IOASID-STEP / { sub(/^IOASID-STEP /, ""); print "step " $0 }
	/^\[ *[0-9]+\.[0-9]+\] ioasid: / { sub(/^\[[^]]*\] /, ""); print "kernel: " $0 }
	/^\[ *[0-9]+\.[0-9]+\] / { next }
	/^IOASID-DEMO-BEGIN/ { demo = 1; next }
	/^IOASID-DEMO-END/ { demo = 0; ended = 1; status = $2 }
	demo { print }
	END { exit !(ended && status == 0) }' "$log" || die "the demo failed: see $log"
	echo "(serial log: $log)"
}

mkdir -p "$topdir/logs"
"$topdir/scripts/host-deps.sh" qemu
case $mode in
test) run_tests ;;
demo) run_demo $lanes ;;
*) die "unknown mode '$mode'" ;;
esac
