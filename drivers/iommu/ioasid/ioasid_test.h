/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioasid: the test interface of the mock backend (CONFIG_IOMMU_IOASID_MOCK
 * and the module parameter mock=1).  The selftests use it; it is not part
 * of the uAPI.  Include <linux/ioasid.h> first.
 */
#ifndef __IOASID_TEST_H
#define __IOASID_TEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IOASID_CMD_TEST (IOASID_CMD_BASE + 0x3f)

/**
 * enum ioasid_test_op - the operations of IOASID_TEST
 * @IOASID_TEST_OP_MOCK_DEVICE: bind a new mock device to the context; it
 *	goes with IOASID_DESTROY or with the file
 * @IOASID_TEST_OP_MOCK_DMA: make a mock device read or write memory through
 *	its IOMMU domain
 * @IOASID_TEST_OP_PCI_ERROR: report an error of a device bound through
 *	ioasid_pci to its driver, as the PCI core's error recovery does
 * @IOASID_TEST_OP_MOCK_RESPONSES: count the answers to its page requests
 *	a mock device received
 */
enum ioasid_test_op {
	IOASID_TEST_OP_MOCK_DEVICE = 1,
	IOASID_TEST_OP_MOCK_DMA,
	IOASID_TEST_OP_PCI_ERROR,
	IOASID_TEST_OP_MOCK_RESPONSES,
};

/**
 * enum ioasid_test_mock_flags - flags of &ioasid_test_mock_device
 * @IOASID_TEST_MOCK_RESV: the device has the reserved region [@resv_start,
 *	@resv_last]
 */
enum ioasid_test_mock_flags {
	IOASID_TEST_MOCK_RESV = 1 << 0,
};

/**
 * struct ioasid_test_mock_device - IOASID_TEST_OP_MOCK_DEVICE
 * @out_dev_id: the id of the new device object
 * @flags: enum ioasid_test_mock_flags
 * @caps: enum ioasid_device_caps of the device, but PAGING, which it has;
 *	with IOASID_DEVICE_CAP_SVA it has page requests too, and
 *	@max_pasid_log2 must not be 0
 * @max_pasid_log2: its PASID width
 * @nesting_formats: enum ioasid_nesting_formats its IOMMU offers
 * @__reserved: must be 0
 * @pgsize_bitmap: the page sizes of its domains; the smallest from 512
 *	bytes (below PAGE_SIZE on purpose, to catch alignment bugs) to 1 GiB
 * @aperture_start: the first IOVA its domains translate
 * @aperture_last: the last one
 * @resv_start: the first IOVA of its reserved region
 * @resv_last: the last one
 *
 * Mock devices with the same page sizes and aperture share a domain.
 */
struct ioasid_test_mock_device {
	__u32 out_dev_id;
	__u32 flags;
	__u32 caps;
	__u32 max_pasid_log2;
	__u32 nesting_formats;
	__u32 __reserved;
	__aligned_u64 pgsize_bitmap;
	__aligned_u64 aperture_start;
	__aligned_u64 aperture_last;
	__aligned_u64 resv_start;
	__aligned_u64 resv_last;
};

/**
 * enum ioasid_test_dma_flags - flags of &ioasid_test_mock_dma
 * @IOASID_TEST_DMA_WRITE: the device writes memory (from @uptr); else it
 *	reads memory (into @uptr)
 * @IOASID_TEST_DMA_PASID: the DMA is tagged with &ioasid_test_mock_dma.pasid
 * @IOASID_TEST_DMA_PRI: the device waits for an answer to a stage-1 fault
 *	(a page request) rather than failing the access
 */
enum ioasid_test_dma_flags {
	IOASID_TEST_DMA_WRITE = 1 << 0,
	IOASID_TEST_DMA_PASID = 1 << 1,
	IOASID_TEST_DMA_PRI = 1 << 2,
};

#define IOASID_TEST_DMA_MAX 0x100000

/**
 * struct ioasid_test_mock_dma - IOASID_TEST_OP_MOCK_DMA
 * @dev_id: a mock device
 * @flags: enum ioasid_test_dma_flags
 * @iova: where the device's DMA starts
 * @length: its length in bytes, at most IOASID_TEST_DMA_MAX; any alignment
 * @uptr: the caller's buffer of @length bytes
 * @pasid: with IOASID_TEST_DMA_PASID, the PASID the DMA is tagged with
 * @__reserved: must be 0
 *
 * The DMA goes through the device's IOMMU page table, IOMMU page by IOMMU
 * page.  It fails with -ENXIO at an IOVA that is not mapped (or when the
 * device is not attached: its DMA is blocked), and with -EACCES where the
 * mapping forbids the access; what was copied before stays copied.
 *
 * With IOASID_TEST_DMA_PASID, the DMA goes through what the PASID is
 * attached to (blocked: -ENXIO), or, for a PASID a process bound, to the
 * process's virtual address @iova, page by page, each faulted in as a
 * page request would be: -ENXIO where nothing is mapped (or the address
 * space is gone), -EACCES where the mapping forbids the access, or the
 * errno of the fault.
 *
 * Through a nested hwpt the DMA walks the stage-1 table first (struct
 * ioasid_hwpt_mock_s1), reading it through stage 2, and caches what it
 * walked in the mock IOTLB, which only IOASID_HWPT_INVALIDATE empties (a
 * translation is cached with its permissions; a walk that finds none is
 * not).  A stage-1 fault fails with -ENXIO (no translation) or -EACCES (the access
 * is not allowed) and is reported to the hwpt's fault object; with
 * IOASID_TEST_DMA_PRI it is reported as a page request and fails with
 * -EAGAIN: the caller retries once it is answered.  A stage-2 fault, table
 * walks included, fails as without nesting and is not reported.  Writes
 * set the dirty bits of stage 2 while the IOAS tracks them.
 */
struct ioasid_test_mock_dma {
	__u32 dev_id;
	__u32 flags;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 uptr;
	__u32 pasid;
	__u32 __reserved;
};

/**
 * struct ioasid_test_pci_error - IOASID_TEST_OP_PCI_ERROR
 * @dev_id: a device of the context bound through ioasid_pci
 * @permanent: 1 for a permanent failure (pci_channel_io_perm_failure), 0
 *	for one the device may recover from (pci_channel_io_frozen)
 * @out_result: what the driver answered, a pci_ers_result_t
 * @__reserved: must be 0
 *
 * Only the driver's error_detected is called: nothing is reset or removed.
 */
struct ioasid_test_pci_error {
	__u32 dev_id;
	__u32 permanent;
	__u32 out_result;
	__u32 __reserved;
};

/**
 * struct ioasid_test_mock_responses - IOASID_TEST_OP_MOCK_RESPONSES
 * @dev_id: a mock device
 * @__reserved: must be 0
 * @out_success: the page requests answered IOASID_FAULT_RESPONSE_SUCCESS
 * @out_invalid: those answered IOASID_FAULT_RESPONSE_INVALID, by the
 *	caller or by the kernel
 */
struct ioasid_test_mock_responses {
	__u32 dev_id;
	__u32 __reserved;
	__aligned_u64 out_success;
	__aligned_u64 out_invalid;
};

/**
 * struct ioasid_test_cmd - ioctl(IOASID_TEST) on /dev/ioasid
 * @size: sizeof(struct ioasid_test_cmd)
 * @op: enum ioasid_test_op
 * @mock_device: for IOASID_TEST_OP_MOCK_DEVICE
 * @mock_dma: for IOASID_TEST_OP_MOCK_DMA
 * @pci_error: for IOASID_TEST_OP_PCI_ERROR
 * @mock_responses: for IOASID_TEST_OP_MOCK_RESPONSES
 *
 * Errors: -ENOTTY the module has no mock backend, or was loaded without
 * mock=1; -EOPNOTSUPP unknown @op or flags; -EINVAL bad arguments.
 */
struct ioasid_test_cmd {
	__u32 size;
	__u32 op;
	union {
		struct ioasid_test_mock_device mock_device;
		struct ioasid_test_mock_dma mock_dma;
		struct ioasid_test_pci_error pci_error;
		struct ioasid_test_mock_responses mock_responses;
	};
};

#define IOASID_TEST _IO(IOASID_TYPE, IOASID_CMD_TEST)

#endif /* __IOASID_TEST_H */
