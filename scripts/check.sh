#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check / make demo.
#
# Usage: check.sh test [LANE...]    style gate, then every selftest per lane
#        check.sh demo LANE         boot one lane and show the demo's account
#        check.sh bench LANE...     the benchmark against VFIO type1, per lane
#
# For test, prints a table per lane and ends with "N passed, N failed,
# N skipped".  It fails on any failed test, a lane that did not finish, a
# TAP plan not met, or a kernel warning in a serial log.  With x86-vtd among
# the lanes, the benchmark runs once more, reduced, to prove that it still
# works, and the lane boots once more on the modules DKMS built from the
# ioasid-dkms package.

set -uo pipefail

. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/lanes.sh"

# What a kernel prints when it finds a bug: the stock kernel's warnings,
# and what the debug kernel's KASAN, UBSAN, lockdep and kmemleak report.
KERNEL_SPLATS='WARNING:|BUG:|Oops|general protection|KASAN|UBSAN|refcount_t:'
KERNEL_SPLATS+='|list_del corruption|list_add corruption'
KERNEL_SPLATS+='|possible circular locking|possible recursive locking'
KERNEL_SPLATS+='|inconsistent lock state|suspicious RCU usage'
KERNEL_SPLATS+='|sleeping function called from invalid context'
KERNEL_SPLATS+='|unreferenced object|memory leak detector disabled'
KERNEL_SPLATS+='|soft lockup|rcu.*stall'

mode=${1:?usage: check.sh test|demo|bench [LANE...]}
shift
lanes=${*:-$ALL_LANES}

# The builds (ARCH:KERNEL) the chosen lanes need; fails on an unknown lane.
lane_builds() {
	local lane builds=""

	for lane in $lanes; do
		lane_setup "$lane" || die "unknown lane '$lane' (lanes: $ALL_LANES)"
		case " $builds " in
		*" $lane_arch:$lane_kernel "*) ;;
		*) builds="$builds $lane_arch:$lane_kernel" ;;
		esac
	done
	echo "$builds"
}

# Build module, selftests and tools from scratch (so that no binary of a
# removed test survives), then the initramfs.  The debug kernel is built
# first when its cache is cold, in sight: that takes a while.
build_lanes() {
	local build arch kernel name

	for build in $builds; do
		arch=${build%:*}
		kernel=${build#*:}
		name=$arch-$kernel
		log "building module, selftests and initramfs for $name"
		if [ "$kernel" = debug ]; then
			"$topdir/scripts/debug-kernel.sh" "$arch" >/dev/null ||
				die "the $arch debug kernel did not build"
			# Its initramfs takes busybox from the Debian download.
			"$topdir/scripts/fetch-kernel.sh" "$(debarch_of "$arch")" \
				>/dev/null || die "fetching busybox for $arch failed"
		fi
		rm -rf "$topdir/build/$arch/tools"
		make -s -C "$topdir" ARCH="$arch" KERNEL="$kernel" IOASID_TEST=1 \
			module selftests tools >"$topdir/logs/build.$name.log" 2>&1 ||
			die "build for $name failed: see logs/build.$name.log"
		"$topdir/scripts/mkinitramfs.sh" "$arch" "$kernel" ||
			die "packing the initramfs for $name failed"
	done
}

# Count the TAP results of one serial log: prints "pass fail skip", lists
# the problems on stderr and the skipped tests, with their reasons, in
# LOG.skips.  Problems are failed tests, and anything that could hide one:
# a block that does not end, a plan not met, a harness total or an exit
# status that disagrees with the results, a lane that did not finish.
parse_log() {
	awk -v skips="$1.skips" '
	function problem(msg) { print "  " msg > "/dev/stderr"; bad++ }
	function open_block(name) {
		block = name; plan = -1; seen = 0; npass = 0; nfail = 0
		nskip = 0; totals = ""
	}
	function close_block(status) {
		if (plan != seen)
			problem(block ": plan of " plan " tests, " seen " results")
		if (totals != "" && totals != npass " " nfail " " nskip)
			problem(block ": totals (pass fail skip) " totals \
				" disagree with the results")
		if (block == "lane" && status != nfail)
			problem(block ": " status " failures reported, " nfail " seen")
		if (block != "lane" && status != 0 && status != 4 && !nfail)
			problem(block ": exit status " status)
		block = ""
	}
	{ sub(/\r$/, "") }
	/^IOASID-LIVE / { live[nlive++ % 8] = $0; next }
	/IOASID-TAP-BEGIN / {
		sub(/.*IOASID-TAP-BEGIN /, "")
		if (block != "")
			problem(block ": no end marker")
		open_block($1)
		next
	}
	/IOASID-TAP-END / {
		sub(/.*IOASID-TAP-END /, "")
		if (block == "")
			problem($1 ": end marker without a beginning")
		else
			close_block($2)
		next
	}
	/^IOASID-DONE$/ { done = 1 }
	block == "" { next }
	/^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0; next }
	/^# Totals: / {
		split($0, f, /[: ]+/)
		totals = f[4] " " f[6] " " f[12]
		next
	}
	/^ok [0-9]+ .*# SKIP/ {
		skip++; nskip++; seen++
		print "  " block ": " $0 > skips
		next
	}
	/^ok [0-9]+ / { pass++; npass++; seen++; nwhy = 0; next }
	/^not ok [0-9]+ / {
		fail++; nfail++; seen++
		print "  " block ": " $0 > "/dev/stderr"
		for (i = 0; i < nwhy; i++)
			print "    " why[i] > "/dev/stderr"
		nwhy = 0
		next
	}
	# What the harness says of a failing check (file:line:test:message),
	# or of a test it killed.
	/^# +[a-z0-9_]+\.[ch]:[0-9]+:|^# [a-z0-9_]+: Test terminated/ {
		if (nwhy == 3) { why[0] = why[1]; why[1] = why[2]; nwhy = 2 }
		why[nwhy++] = $0
		next
	}
	END {
		if (block != "")
			problem(block ": no end marker")
		if (!done) {
			problem("the lane did not finish (crash or time-out); its last output:")
			for (i = nlive > 8 ? nlive - 8 : 0; i < nlive; i++)
				print "    " live[i % 8] > "/dev/stderr"
		}
		print pass + 0, fail + bad, skip + 0
	}' "$1"
}

# Fails the lane of LOG on a kernel splat: prints the splat lines.
scan_splats() {
	grep -aE "$KERNEL_SPLATS" "$1" | sed 's/^/  kernel: /'
}

# The benchmark, reduced, in x86-vtd: it must run to the end, and its lane
# pass its own checks without a kernel warning; its figures are no verdict.
# Sets bench_log to the serial log; fails saying why on stderr.
run_bench_quick() {
	local problems

	log "booting lane x86-vtd to run the benchmark, reduced"
	bench_log=$("$topdir/scripts/run-lane.sh" x86-vtd bench-quick)
	problems=$({ bench_table "$bench_log" >/dev/null ||
			echo "  the benchmark did not end well"
		parse_log "$bench_log" >/dev/null
		scan_splats "$bench_log"; } 2>&1)
	[ -z "$problems" ] && return
	echo "the reduced benchmark failed, serial log $bench_log:" >&2
	echo "$problems" >&2
	return 1
}

# The lanes where Debian's DPDK runs: x86 (VT-d) and arm64 (SMMUv3, whose
# MSI doorbells ioasid maps), one per architecture ioasid_vfio serves type1
# on; ppc64's DPDK asks VFIO for the SPAPR TCE types, which it does not.
DPDK_LANES="x86-vtd arm64-smmuv3"

# Debian's dpdk-testpmd in LANE, in a VFIO type1 container that ioasid
# serves (guest-init.sh's run_dpdk): the row passes when the lane's checks
# do (ioasid served the container, packets went both ways on both ports)
# with no kernel warning.  Sets dpdk_log, dpdk_pass and dpdk_fail; says why
# on stderr.
run_dpdk_row() {
	local lane=$1 skip

	log "booting lane $lane to run Debian's dpdk-testpmd on ioasid"
	dpdk_log=$("$topdir/scripts/run-lane.sh" "$lane" dpdk)
	read -r dpdk_pass dpdk_fail skip < <(parse_log "$dpdk_log" 2>"$dpdk_log.problems")
	scan_splats "$dpdk_log" >>"$dpdk_log.problems" && dpdk_fail=$((dpdk_fail + 1))
	grep -a "IOASID-NOTE dpdk port" "$dpdk_log" | sed 's/^.*IOASID-NOTE /  /' >&2
	[ "$dpdk_fail" -eq 0 ] && [ "$dpdk_pass" -gt 0 ] && return
	[ "$dpdk_pass" -gt 0 ] || dpdk_fail=$((dpdk_fail + 1))
	{ echo "dpdk ($lane) failed, serial log $dpdk_log:"
	  cat "$dpdk_log.problems"; } >&2
	return 1
}

# The ioasid-dkms package (make deb): DKMS builds the modules in a clean
# Debian 12 root (scripts/dkms-check.sh), and x86-vtd boots on them
# (guest-init.sh's run_dkms).  Counted as a lane is, its skips listed with
# their reasons.  Sets dkms_log, dkms_pass, dkms_fail and dkms_skip; says
# why on stderr.
run_dkms_row() {
	dkms_log=$topdir/logs/dkms-check.log
	dkms_pass=0 dkms_fail=1 dkms_skip=0
	log "installing ioasid-dkms in a clean Debian 12 root, for DKMS to build"
	if ! "$topdir/scripts/dkms-check.sh" >"$dkms_log" 2>&1; then
		{ echo "dkms (x86-vtd) failed, log $dkms_log:"
		  tail -n 5 "$dkms_log" | sed 's/^/  /'; } >&2
		return 1
	fi
	log "booting lane x86-vtd on the modules DKMS built"
	dkms_log=$("$topdir/scripts/run-lane.sh" x86-vtd dkms) || [ -n "$dkms_log" ] ||
		{ echo "dkms (x86-vtd): the lane did not boot" >&2; return 1; }
	rm -f "$dkms_log.skips"
	read -r dkms_pass dkms_fail dkms_skip < <(parse_log "$dkms_log" 2>"$dkms_log.problems")
	scan_splats "$dkms_log" >>"$dkms_log.problems" && dkms_fail=$((dkms_fail + 1))
	[ -e "$dkms_log.skips" ] &&
		{ echo "dkms (x86-vtd) skipped:"; cat "$dkms_log.skips"; } >&2
	[ "$dkms_fail" -eq 0 ] && [ "$dkms_pass" -gt 0 ] && return
	[ "$dkms_pass" -gt 0 ] || dkms_fail=$((dkms_fail + 1))
	{ echo "dkms (x86-vtd) failed, serial log $dkms_log:"
	  cat "$dkms_log.problems"; } >&2
	return 1
}

# One row of run_tests' table: NAME PASS FAIL SKIP START (the row's start,
# in seconds since the epoch).  Appends to its $report and adds to its
# totals.
report_row() {
	printf '%-18s %7d %7d %8d %8d\n' "$1" "$2" "$3" "$4" \
		$(($(date +%s) - $5)) >>"$report"
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
	total_skip=$((total_skip + $4))
}

run_tests() {
	local lane log start pass fail skip bench_log dpdk_log dpdk_pass dpdk_fail
	local dkms_log dkms_pass dkms_fail dkms_skip
	local total_pass=0 total_fail=0 total_skip=0 failed_logs=""
	local report failures

	report=$(mktemp)
	failures=$(mktemp)
	printf '%-18s %7s %7s %8s %8s\n' lane passed failed skipped seconds >"$report"
	start=$(date +%s)
	pass=1 fail=0
	"$topdir/scripts/lint.sh" ||
		{ pass=0 fail=1 failed_logs+=" (style gate, above)"; }
	report_row "style gate" "$pass" "$fail" 0 "$start"
	build_lanes
	for lane in $lanes; do
		log "booting lane $lane"
		start=$(date +%s)
		log=$("$topdir/scripts/run-lane.sh" "$lane" test)
		rm -f "$log.skips"
		read -r pass fail skip < <(parse_log "$log" 2>"$log.problems")
		scan_splats "$log" >>"$log.problems" && fail=$((fail + 1))
		report_row "$lane" "$pass" "$fail" "$skip" "$start"
		[ -e "$log.skips" ] && { echo "$lane skipped:"; cat "$log.skips"; } >&2
		[ "$fail" -ne 0 ] || continue
		failed_logs+=" $log"
		[ -s "$log.qemu" ] &&
			{ echo "$lane, what QEMU said:"; sed 's/^/  /' "$log.qemu"; } >&2
		{ echo "$lane failed, serial log $log:"; cat "$log.problems"; } >>"$failures"
	done
	case " $lanes " in
	*" x86-vtd "*)
		start=$(date +%s)
		pass=1 fail=0
		run_bench_quick || { pass=0 fail=1 failed_logs+=" $bench_log"; }
		report_row "bench (reduced)" "$pass" "$fail" 0 "$start"
		;;
	esac
	for lane in $DPDK_LANES; do
		case " $lanes " in *" $lane "*) ;; *) continue ;; esac
		start=$(date +%s)
		run_dpdk_row "$lane" || failed_logs+=" $dpdk_log"
		report_row "dpdk ($lane)" "$dpdk_pass" "$dpdk_fail" 0 "$start"
	done
	case " $lanes " in
	*" x86-vtd "*)
		start=$(date +%s)
		run_dkms_row || failed_logs+=" $dkms_log"
		report_row "dkms (x86-vtd)" "$dkms_pass" "$dkms_fail" "$dkms_skip" \
			"$start"
		;;
	esac
	cat "$report"
	# Last, where a reader of the output's tail finds them: the failures.
	cat "$failures" >&2
	rm -f "$report" "$failures"
	[ -z "$failed_logs" ] || echo "failed:$failed_logs"
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
	[ "$total_fail" -eq 0 ]
}

run_demo() {
	local lane=$1 log problems

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
	problems=$({ parse_log "$log" >/dev/null; scan_splats "$log"; } 2>&1)
	[ -z "$problems" ] || die "the demo lane had problems (see $log):
$problems"
	echo "(serial log: $log)"
}

# Print the benchmark's table from a serial log; fails if it did not end
# well.
bench_table() {
	awk '
	{ sub(/\r$/, "") }
	/^IOASID-BENCH-BEGIN/ { on = 1; next }
	/^IOASID-BENCH-END/ { on = 0; ended = 1; status = $2 }
	on && !/^\[ *[0-9]+\.[0-9]+\] / { print }
	END { exit !(ended && status == 0) }' "$1"
}

# Boot each lane to run the benchmark; print its table, and keep its rows
# as CSV in build/bench/LANE.csv.
run_bench() {
	local lane log csv problems

	build_lanes
	mkdir -p "$topdir/build/bench"
	for lane in "$@"; do
		log "booting lane $lane (QEMU, TCG) to run the benchmark"
		log=$("$topdir/scripts/run-lane.sh" "$lane" bench)
		csv=$topdir/build/bench/$lane.csv
		echo "== $lane"
		bench_table "$log" || die "the benchmark failed in $lane: see $log"
		awk '{ sub(/\r$/, "") }
		/^IOASID-CSV-BEGIN/ { on = 1; next }
		/^IOASID-CSV-END/ { on = 0 }
		on { print }' "$log" >"$csv"
		problems=$(scan_splats "$log" 2>&1)
		[ -z "$problems" ] || die "the $lane lane had problems (see $log):
$problems"
		echo "(rows as CSV: $csv)"
	done
}

mkdir -p "$topdir/logs"
builds=$(lane_builds) || exit 1
"$topdir/scripts/host-deps.sh" qemu || exit 1
case $mode in
test) run_tests ;;
demo) run_demo $lanes ;;
bench) run_bench $lanes ;;
*) die "unknown mode '$mode'" ;;
esac
