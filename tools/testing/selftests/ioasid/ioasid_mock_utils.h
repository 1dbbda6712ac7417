/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mock backend's test ioctl, for the selftests that use mock devices.
 */
#ifndef __SELFTEST_IOASID_MOCK_UTILS_H
#define __SELFTEST_IOASID_MOCK_UTILS_H

#include "ioasid_utils.h"
#include "../../../../drivers/iommu/ioasid/ioasid_test.h"

/* Is the test ioctl there (ioasid.ko with the mock backend, mock=1)? */
static inline bool mock_available(int fd)
{
	struct ioasid_test_cmd probe = { .size = sizeof(probe) };

	return ioasid_ioctl(fd, IOASID_TEST, &probe) != -ENOTTY;
}

static inline int mock_device(int fd,
			      const struct ioasid_test_mock_device *config,
			      __u32 *dev_id)
{
	struct ioasid_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOASID_TEST_OP_MOCK_DEVICE,
		.mock_device = *config,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_TEST, &cmd);
	*dev_id = cmd.mock_device.out_dev_id;
	return rc;
}

/* The mock device writes (@write) or reads @len bytes at @iova. */
static inline int mock_dma(int fd, __u32 dev_id, __u64 iova, void *buf,
			   __u64 len, bool write)
{
	struct ioasid_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOASID_TEST_OP_MOCK_DMA,
		.mock_dma = {
			.dev_id = dev_id,
			.flags = write ? IOASID_TEST_DMA_WRITE : 0,
			.iova = iova,
			.length = len,
			.uptr = (__u64)(uintptr_t)buf,
		},
	};

	return ioasid_ioctl(fd, IOASID_TEST, &cmd);
}

/* As mock_dma(), with the DMA tagged with @pasid. */
static inline int mock_dma_pasid(int fd, __u32 dev_id, __u32 pasid, __u64 iova,
				 void *buf, __u64 len, bool write)
{
	struct ioasid_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOASID_TEST_OP_MOCK_DMA,
		.mock_dma = {
			.dev_id = dev_id,
			.flags = IOASID_TEST_DMA_PASID |
				 (write ? IOASID_TEST_DMA_WRITE : 0),
			.iova = iova,
			.length = len,
			.uptr = (__u64)(uintptr_t)buf,
			.pasid = pasid,
		},
	};

	return ioasid_ioctl(fd, IOASID_TEST, &cmd);
}

/*
 * Report an error of @dev_id, bound through ioasid_pci, to its driver as
 * the PCI core's recovery would; @result gets the driver's answer.
 */
static inline int test_pci_error(int fd, __u32 dev_id, bool permanent,
				 __u32 *result)
{
	struct ioasid_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOASID_TEST_OP_PCI_ERROR,
		.pci_error = {
			.dev_id = dev_id,
			.permanent = permanent,
		},
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_TEST, &cmd);
	*result = cmd.pci_error.out_result;
	return rc;
}

#endif /* __SELFTEST_IOASID_MOCK_UTILS_H */
