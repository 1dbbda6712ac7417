#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one lane under QEMU (TCG) and keep its serial console in a log.
#
# Usage: run-lane.sh LANE test|demo|bench|bench-quick|dpdk|dkms
# Prints the log's path.  IOASID_LANE_TIMEOUT (seconds, default 600; five
# times that for a debug kernel) bounds the whole boot; QEMU's exit status
# is returned (124 on time-out).  IOASID_GUEST_ENV adds NAME=VALUE words to
# the kernel command line, which the guest's init and every selftest see in
# their environment: IOASID_GUEST_ENV="IOASID_FUZZ_SEED=0x... IOASID_FUZZ_OPS=N"
# replays a run of ioasid_fuzz.

set -uo pipefail

. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/lanes.sh"

lane=${1:?usage: run-lane.sh LANE test|demo|bench|bench-quick|dpdk|dkms}
mode=${2:-test}
lane_setup "$lane" || die "unknown lane '$lane' (lanes: $ALL_LANES)"
# The benchmark's buffers (1 GiB of hugepages held, THP, 4 KiB pages, a
# 1 GiB memfd for the handover row, and 10^6 mappings of each interface)
# want room.
case $mode in bench*) lane_qemu=${lane_qemu/-m 1G/-m 4G} ;; esac
# dpdk-testpmd wants two e1000e NICs joined by a hub to forward between,
# and on x86 SSE4.2 and POPCNT (plain qemu64 kills it with SIGILL); the
# arm64 lane's CPU is "max" already.
if [ "$mode" = dpdk ]; then
	case $lane_arch in
	x86_64) lane_qemu="$lane_qemu -cpu qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt" ;;
	arm64) ;;
	*) die "no DPDK in lane $lane" ;;
	esac
	lane_qemu="$lane_qemu
		-netdev hubport,id=hp0,hubid=0 -device e1000e,netdev=hp0,addr=6
		-netdev hubport,id=hp1,hubid=0 -device e1000e,netdev=hp1,addr=7"
fi

if [ "$lane_kernel" = debug ]; then
	kernel=$IOASID_CACHE/debug-kernel/$lane_arch/vmlinuz
else
	kernel=$IOASID_CACHE/kernel/$(debarch_of "$lane_arch")/vmlinuz
fi
initrd=$topdir/build/$lane_arch/initramfs-$lane_kernel.cpio.gz
# DPDK comes as a second archive after the lane's (scripts/fetch-dpdk.sh).
if [ "$mode" = dpdk ]; then
	cat "$initrd" "$("$topdir/scripts/fetch-dpdk.sh" "$(debarch_of "$lane_arch")")" \
		>"$topdir/build/$lane_arch/initramfs-dpdk.cpio.gz"
	initrd=$topdir/build/$lane_arch/initramfs-dpdk.cpio.gz
fi
# The modules DKMS built likewise (scripts/dkms-check.sh, x86_64 only).
if [ "$mode" = dkms ]; then
	dkms=$topdir/build/$lane_arch/dkms/dkms.cpio.gz
	[ -e "$dkms" ] || die "no $dkms: run scripts/dkms-check.sh first"
	cat "$initrd" "$dkms" >"$topdir/build/$lane_arch/initramfs-dkms.cpio.gz"
	initrd=$topdir/build/$lane_arch/initramfs-dkms.cpio.gz
fi
logdir=$topdir/logs
log=$logdir/$lane.$mode.log
mkdir -p "$logdir"
: >"$log"

# shellcheck disable=SC2086 # lane_qemu is a word list
timeout -k 10 "$lane_timeout" $lane_qemu \
	-kernel "$kernel" -initrd "$initrd" -serial "file:$log" \
	-append "$lane_append panic=-1 ioasid_lane=$lane ioasid_mode=$mode ioasid_preload=$lane_preload ioasid_iommu=$lane_iommu${IOASID_GUEST_ENV:+ $IOASID_GUEST_ENV}" \
	</dev/null >"$log.qemu" 2>&1
rc=$?
echo "$log"
exit $rc
