#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test initramfs (busybox).  The kernel command line sets:
#   ioasid_lane=NAME       the lane, for the log
#   ioasid_mode=test|demo|bench|bench-quick|dpdk|dkms
#                          run every selftest, the demo, the benchmark
#                          against VFIO type1 (quick: reduced, to prove it
#                          works), Debian's dpdk-testpmd on two NICs in
#                          a VFIO type1 container that ioasid serves, or
#                          the selftests that need no test interface on
#                          the modules DKMS built (in /dkms)
#   ioasid_preload=A,B     modules in /modules to load before ioasid.ko
#   ioasid_iommu=PREFIX    how the lane's IOMMU is named in /sys/class/iommu
#
# The console carries every kernel message, for the host to scan.  Selftest
# output is collected per binary and printed between markers once the binary
# has exited, so that printk can hardly ever split a TAP line; if it does,
# the host sees fewer results than the plan and fails the run.  It is also
# echoed line by line as the binary runs (IOASID-LIVE), so that a guest that
# dies in the middle of a binary still shows how far it got, and when
# (seconds since boot), so that slow tests show.

/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp

echo "IOASID-INIT lane=$ioasid_lane mode=$ioasid_mode kernel=$(uname -r)"

for mod in $(echo "$ioasid_preload" | tr ',' ' '); do
	insmod "/modules/$mod.ko.xz" || echo "IOASID-NOTE could not load $mod"
done

# The lane's own checks, reported as TAP like the selftests.
lane_tap=/tmp/lane.tap
lane_n=0
lane_failed=0
lane_check() {
	lane_n=$((lane_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $lane_n $2" >>"$lane_tap"
		echo "IOASID-STEP ok: $2"
	else
		lane_failed=$((lane_failed + 1))
		echo "not ok $lane_n $2 (exit status $1)" >>"$lane_tap"
		echo "IOASID-STEP FAILED: $2 (exit status $1)"
	fi
}

# Print a TAP file between markers, each on a line of its own even when
# the output did not end with a newline.
print_tap() {
	echo "IOASID-TAP-BEGIN $1"
	cat "$2"
	echo
	echo "IOASID-TAP-END $1 $3"
}

# On a kernel with kmemleak, forget what boot left unreferenced, and after
# the run report what is new: the lane fails on any leak.  An object is a
# suspect only once it is 5 s old, so each scan waits that long first; a
# second scan drops what the first caught in the middle of a change.
kmemleak=/sys/kernel/debug/kmemleak
kmemleak_scan() {
	sleep 6
	echo scan >$kmemleak && echo scan >$kmemleak
}

if [ -e $kmemleak ]; then
	kmemleak_scan
	lane_check $? "kmemleak scans what boot left"
	echo clear >$kmemleak
fi

echo "IOASID-NOTE iommus: $(ls /sys/class/iommu | tr '\n' ' ')"
ls /sys/class/iommu | grep -q "^$ioasid_iommu"
lane_check $? "the lane's IOMMU ($ioasid_iommu*) is registered"

# The benchmark: VFIO type1 beside ioasid, each with an edu device of an
# IOMMU group of its own, and the hugepages of its hugetlbfs rows.
run_bench() {
	local bdfs="" groups=" " dev group quick=""

	for mod in vfio vfio_iommu_type1 irqbypass vfio-pci-core vfio-pci; do
		[ ! -e "/modules/$mod.ko.xz" ] || insmod "/modules/$mod.ko.xz" ||
			echo "IOASID-NOTE could not load $mod"
	done
	echo 1 >/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts
	# The rows at 10^6 mappings; type1 holds 65535 by default.
	echo 2000000 >/sys/module/vfio_iommu_type1/parameters/dma_entry_limit
	# After type1, so that it is asked first while its type1 is set.
	insmod $ioasid_vfio_ko || echo "IOASID-NOTE could not load ioasid_vfio"
	# 1 GiB of 2 MiB pages, and some.
	echo 544 >/proc/sys/vm/nr_hugepages
	# An IOMMU driver loaded as a module (virtio-iommu) puts a device in
	# a group only when a driver binds it: one with no group yet is alone.
	for dev in /sys/bus/pci/devices/*; do
		[ "$(cat "$dev/vendor")" = 0x1234 ] &&
			[ "$(cat "$dev/device")" = 0x11e8 ] || continue
		group=$(readlink "$dev/iommu_group" || echo "${dev##*/}")
		case "$groups" in *" ${group##*/} "*) continue ;; esac
		groups="$groups${group##*/} "
		bdfs="$bdfs ${dev##*/}"
	done
	[ "$ioasid_mode" = bench-quick ] && quick=-q
	echo "IOASID-BENCH-BEGIN"
	# shellcheck disable=SC2086 # two BDFs
	/tools/ioasid-bench $quick -c /tmp/bench.csv $bdfs
	echo "IOASID-BENCH-END $?"
	echo "IOASID-CSV-BEGIN"
	cat /tmp/bench.csv
	echo "IOASID-CSV-END"
	rmmod ioasid_vfio
	lane_check $? "rmmod ioasid_vfio"
}

# The lanes' edu devices cannot be reset: their administrator allows them.
# make's build has the test interfaces (IOASID_TEST=1): the mock is on.
# DKMS builds the module as users get it, without them.
ioasid_ko=/ioasid.ko
ioasid_vfio_ko=/ioasid_vfio.ko
ioasid_params="mock=1 allow_unresettable=1"
if [ "$ioasid_mode" = dkms ]; then
	ioasid_ko=/dkms/ioasid.ko.xz
	ioasid_vfio_ko=/dkms/ioasid_vfio.ko.xz
	ioasid_params=allow_unresettable=1
fi
# shellcheck disable=SC2086 # a list of parameters
insmod $ioasid_ko $ioasid_params
lane_check $? "insmod ${ioasid_ko##*/}"

# VFIO, for ioasid_vfio (its selftest loads ioasid_vfio.ko itself), where
# the kernel has it as modules.
load_vfio() {
	for mod in irqbypass vfio vfio-pci-core vfio-pci; do
		[ ! -e "/modules/$mod.ko.xz" ] || insmod "/modules/$mod.ko.xz" ||
			echo "IOASID-NOTE could not load $mod"
	done
}

# Run one selftest binary, its TAP kept in /tmp/NAME.tap and echoed live.
# ioasid_sva's processes binding in turn: 10,000 in x86-vtd, 1,000 in the
# other lanes (each process takes some 18 ms under TCG).
sva_processes=1000
[ "$ioasid_lane" = x86-vtd ] && sva_processes=10000
# ioasid_fuzz's random run and ioasid_stress: 10^5 operations each in the
# debug lane (KASAN, lockdep, kmemleak), fewer on Debian's kernel.  A
# replay (IOASID_GUEST_ENV of run-lane.sh) sets its own.
fuzz_ops=20000
stress_ops=50000
if [ "$ioasid_lane" = x86-vtd-debug ]; then
	fuzz_ops=100000
	stress_ops=100000
fi

run_selftest() {
	local name=${1##*/} line

	{
		IOASID_MODULE=$ioasid_ko IOASID_MODULE_PARAMS="$ioasid_params" \
			IOASID_VFIO_MODULE=$ioasid_vfio_ko \
			IOASID_SVA_PROCESSES=$sva_processes \
			IOASID_FUZZ_OPS=${IOASID_FUZZ_OPS:-$fuzz_ops} \
			IOASID_STRESS_OPS=${IOASID_STRESS_OPS:-$stress_ops} \
			"$1" 2>&1
		echo $? >"/tmp/$name.rc"
	} | tee "/tmp/$name.tap" | while IFS= read -r line || [ -n "$line" ]; do
		read -r up _ </proc/uptime
		echo "IOASID-LIVE $name: [$up] $line"
	done
	print_tap "$name" "/tmp/$name.tap" "$(cat "/tmp/$name.rc")"
}

# Debian's dpdk-testpmd, unmodified, forwarding between the lane's two
# e1000e NICs (joined by a hub in QEMU) in a VFIO type1 container that
# ioasid serves: vfio_iommu_type1 is never loaded.  IOVA as VA, so a
# backend that mapped nothing, or 1:1, would move no packet.  While it
# forwards, ioasid must hold a context and pins for it.
run_dpdk() {
	local bdfs="" args="" dev pid contexts pinned

	load_vfio
	insmod $ioasid_vfio_ko type1=1
	lane_check $? "insmod ioasid_vfio.ko type1=1"
	[ ! -e /sys/module/vfio_iommu_type1 ]
	lane_check $? "vfio_iommu_type1 is not loaded"
	echo 1 >/sys/module/ioasid/parameters/allow_unsafe_interrupts
	mount -t hugetlbfs hugetlbfs /mnt/huge
	echo 128 >/proc/sys/vm/nr_hugepages
	for dev in /sys/bus/pci/devices/*; do
		[ "$(cat "$dev/vendor"):$(cat "$dev/device")" = 0x8086:0x10d3 ] ||
			continue
		echo vfio-pci >"$dev/driver_override"
		echo "${dev##*/}" >/sys/bus/pci/drivers_probe
		bdfs="$bdfs ${dev##*/}"
		args="$args -a ${dev##*/}"
	done
	echo "IOASID-NOTE dpdk NICs:$bdfs"
	# shellcheck disable=SC2086 # the -a options
	LD_LIBRARY_PATH=/usr/lib/$(uname -m)-linux-gnu /usr/bin/dpdk-testpmd \
		-l 0-1 -n 1 --iova-mode=va $args --huge-dir=/mnt/huge \
		--no-telemetry -- --forward-mode=io --total-num-mbufs=4096 \
		--nb-cores=1 --tx-first --stats-period=5 </dev/null \
		>/tmp/testpmd.log 2>&1 &
	pid=$!
	sleep 20
	contexts=$(awk '$1 == "contexts" { print $2 }' /sys/kernel/debug/ioasid/counters)
	pinned=$(awk '$1 == "pinned_pages" { print $2 }' /sys/kernel/debug/ioasid/counters)
	echo "IOASID-NOTE ioasid while testpmd runs: $contexts contexts, $pinned pinned pages"
	[ "$contexts" -ge 1 ] && [ "$pinned" -gt 0 ]
	lane_check $? "ioasid serves testpmd's container (a context, pins)"
	kill -INT $pid
	wait $pid
	lane_check $? "dpdk-testpmd exits 0"
	echo "IOASID-DPDK-BEGIN"
	cat /tmp/testpmd.log
	echo "IOASID-DPDK-END"
	grep -q "Using IOMMU type 1" /tmp/testpmd.log
	lane_check $? "EAL uses VFIO type 1"
	awk '/Forward statistics for port/ { port = $6 }
	     /RX-packets:/ && port != "" { rx[port] = $2 }
	     /TX-packets:/ && port != "" { tx[port] = $2; port = "" }
	     END {
		for (p in rx) {
			printf "IOASID-NOTE dpdk port %s: %d received, %d sent\n", p, rx[p], tx[p]
			if (rx[p] > 0 && tx[p] > 0)
				n++
		}
		exit n != 2
	     }' /tmp/testpmd.log
	lane_check $? "packets went both ways on both ports"
	for dev in $bdfs; do
		echo "$dev" >"/sys/bus/pci/devices/$dev/driver/unbind"
	done
	rmmod ioasid_vfio
	lane_check $? "rmmod ioasid_vfio"
}

# The modules DKMS built in a clean Debian root (scripts/dkms-check.sh).
# The ioasid loaded must be that very binary (the kernel's record of its
# build ID against the one taken from DKMS's file), without the test
# interfaces of make's build.  Then what means something without them:
# the selftests of the uAPI and of real PCI devices (those of the mock, of
# fail_nth and of reloading the module need a test build), the demo, and
# ioasid_vfio.ko, which DKMS built with linux-source-6.12's VFIO header.
run_dkms() {
	local id rc

	id=$(od -An -tx1 -v /sys/module/ioasid/notes/.note.gnu.build-id |
		tr -d ' \n' | tail -c 40)
	[ -n "$id" ] && [ "$id" = "$(cat /dkms/ioasid.build-id)" ]
	lane_check $? "the ioasid loaded is DKMS's build (build ID $id)"
	[ ! -e /sys/module/ioasid/parameters/mock ] &&
		[ ! -e /sys/kernel/debug/ioasid/fail_nth ]
	lane_check $? "DKMS's ioasid has no test interface (mock, fail_nth)"
	load_vfio
	run_selftest /selftests/ioasid
	run_selftest /selftests/ioasid_pci
	/tools/ioasid-demo >/tmp/demo.log 2>&1
	rc=$?
	[ $rc -eq 0 ] || cat /tmp/demo.log
	lane_check $rc "ioasid-demo"
	insmod $ioasid_vfio_ko
	lane_check $? "insmod ${ioasid_vfio_ko##*/}"
	rmmod ioasid_vfio
	lane_check $? "rmmod ioasid_vfio"
}

case $ioasid_mode in
test)
	load_vfio
	for t in /selftests/*; do
		# The oracle of ioasid_vfio's type1 mode, registered before
		# ioasid_vfio, for it alone (where it is a module).
		type1=""
		if [ "${t##*/}" = ioasid_vfio ] &&
			[ -e /modules/vfio_iommu_type1.ko.xz ]; then
			insmod /modules/vfio_iommu_type1.ko.xz && type1=loaded ||
				echo "IOASID-NOTE could not load vfio_iommu_type1"
		fi
		run_selftest "$t"
		[ -z "$type1" ] || rmmod vfio_iommu_type1
	done
	;;
demo)
	echo "IOASID-DEMO-BEGIN"
	/tools/ioasid-demo
	echo "IOASID-DEMO-END $?"
	;;
bench | bench-quick)
	run_bench
	;;
dpdk)
	run_dpdk
	;;
dkms)
	run_dkms
	;;
esac

rmmod ioasid
lane_check $? "rmmod ioasid"
[ ! -e /dev/ioasid ]
lane_check $? "no /dev/ioasid after rmmod"
if [ -e $kmemleak ]; then
	kmemleak_scan
	lane_check $? "kmemleak scans after the selftests"
	cat $kmemleak >/tmp/leaks
	cat /tmp/leaks
	[ ! -s /tmp/leaks ]
	lane_check $? "kmemleak finds no leak after the selftests"
fi
{ echo "TAP version 13"; echo "1..$lane_n"; cat "$lane_tap"; } >/tmp/lane.full
print_tap lane /tmp/lane.full $lane_failed

echo "IOASID-DONE"
poweroff -f
