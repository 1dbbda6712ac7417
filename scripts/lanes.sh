# SPDX-License-Identifier: GPL-2.0
# The QEMU lanes; sourced.  lane_setup NAME sets, for that lane:
#   lane_arch      the ioasid ARCH (x86_64, arm64, powerpc)
#   lane_qemu      the QEMU command and machine, without kernel/initrd/append
#   lane_append    the lane's kernel command line
#   lane_preload   modules to load before ioasid.ko (comma separated)
#   lane_iommu     the prefix of the IOMMU's name in /sys/class/iommu
#   lane_kernel    debian (Debian's own kernel) or debug (scripts/debug-kernel.sh)
#   lane_timeout   seconds the whole boot may take: IOASID_LANE_TIMEOUT
#                  (600 by default), five times that on a debug kernel
# All lanes carry edu devices (PCI 1234:11e8), QEMU's DMA engine: one alone
# in its IOMMU group, and two more sharing one where the IOMMU allows it
# (behind a conventional PCI bridge, or on one pseries host bridge), for the
# group tests.  SMMUv3 and virtio-iommu on 6.12 give no group at all to
# devices aliased behind a bridge (their stream or endpoint id is the
# bridge's, already taken), so those lanes have two groups of one device.
# uio_pci_generic is a DMA-API driver to bind to a sibling, for viability.
# edu cuts its DMA addresses to 28 bits unless given a dma_mask: where the
# guest's memory lies above 256 MiB (arm64) or a DMA window does (the
# dynamic window of pseries, at 1 << 59), the first edu gets all 64 bits;
# the others keep the default.

# Two edu devices behind a conventional PCI bridge: one IOMMU group.
EDU_BRIDGE="-device pci-bridge,id=br0,chassis_nr=1,bus=pcie.0,addr=5
	-device edu,bus=br0,addr=1 -device edu,bus=br0,addr=2"

# An SR-IOV physical function with one virtual function to enable (QEMU's
# NVMe controller; Linux's nvme driver enables VFs through sysfs), for the
# test that refuses a function whose other side another user may hold.
NVME_SRIOV="-device pcie-root-port,id=rp9,chassis=9,bus=pcie.0,addr=9
	-device nvme-subsys,id=nvmesub
	-device nvme,serial=ioasid-sriov,subsys=nvmesub,bus=rp9,sriov_max_vfs=1,sriov_vq_flexible=2,sriov_vi_flexible=1"

EDU_WIDE=dma_mask=0xffffffffffffffff

ALL_LANES="x86-vtd x86-virtio-iommu x86-amd-iommu arm64-smmuv3 ppc64-spapr
	x86-vtd-debug"

# x86 guests run their two vCPUs in one host thread: with one thread per
# vCPU, Debian's kernel was seen to oops on a stray int3 while patching its
# own text at boot (before any ioasid code ran).
X86_TCG="-accel tcg,thread=single"

lane_setup() {
	local common="-m 1G -smp 2 -display none -vga none -monitor none -nic none -no-reboot"

	lane_preload=uio,uio_pci_generic
	lane_kernel=debian
	lane_timeout=${IOASID_LANE_TIMEOUT:-600}
	case $1 in
	x86-vtd | x86-vtd-debug)
		lane_arch=x86_64
		lane_qemu="qemu-system-x86_64 $common $X86_TCG -M q35,kernel-irqchip=split
			-device intel-iommu,intremap=on,caching-mode=on
			-device edu,addr=4 $EDU_BRIDGE $NVME_SRIOV"
		lane_append="console=ttyS0 intel_iommu=on iommu.passthrough=0"
		lane_preload=$lane_preload,nvme-auth,nvme-core,nvme
		lane_iommu=dmar
		if [ "$1" = x86-vtd-debug ]; then
			# The debug kernel has everything built in but ioasid.
			lane_kernel=debug
			lane_preload=
			lane_timeout=$((5 * lane_timeout))
		fi
		;;
	x86-virtio-iommu)
		lane_arch=x86_64
		lane_qemu="qemu-system-x86_64 $common $X86_TCG -M q35
			-device virtio-iommu-pci -device edu,addr=4 -device edu,addr=5"
		lane_append="console=ttyS0 iommu.passthrough=0"
		lane_preload=virtio-iommu,$lane_preload
		# named after the PCI address of the virtio-iommu function
		lane_iommu=0000:
		;;
	x86-amd-iommu)
		lane_arch=x86_64
		lane_qemu="qemu-system-x86_64 $common $X86_TCG -M q35
			-device amd-iommu -device edu,addr=4 $EDU_BRIDGE"
		lane_append="console=ttyS0 iommu.passthrough=0"
		lane_iommu=ivhd
		;;
	arm64-smmuv3)
		lane_arch=arm64
		lane_qemu="qemu-system-aarch64 $common -M virt,iommu=smmuv3
			-cpu max,pauth-impdef=on -device edu,addr=4,$EDU_WIDE
			-device edu,addr=5"
		lane_append="console=ttyAMA0 iommu.passthrough=0"
		lane_iommu=smmu3.
		;;
	ppc64-spapr)
		# A host bridge is an IOMMU group: the two edu devices of the
		# second one share theirs.  SLOF, not x-vof: it formats the
		# NVRAM, which the kernel otherwise reports with a "WARNING:
		# nvram corruption" line.
		lane_arch=powerpc
		lane_qemu="qemu-system-ppc64 $common -M pseries,usb=off
			-cpu power9 -device edu,$EDU_WIDE
			-device spapr-pci-host-bridge,index=1,id=phb1
			-device edu,bus=phb1.0,addr=1 -device edu,bus=phb1.0,addr=2"
		lane_append="console=hvc0"
		lane_iommu=iommu-phb
		;;
	*)
		return 1
		;;
	esac
}

debarch_of() {
	case $1 in
	x86_64) echo amd64 ;;
	arm64) echo arm64 ;;
	powerpc) echo ppc64el ;;
	esac
}
