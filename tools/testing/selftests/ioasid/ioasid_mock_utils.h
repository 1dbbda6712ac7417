/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mock backend's test ioctl, for the selftests that use mock devices.
 */
#ifndef __SELFTEST_IOASID_MOCK_UTILS_H
#define __SELFTEST_IOASID_MOCK_UTILS_H

#include <fcntl.h>
#include <unistd.h>

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

/*
 * A mock device whose IOMMU nests the mock's stage 1, tracks dirt and
 * binds processes, with 8 PASID bits and pages of @page bytes.
 */
static inline struct ioasid_test_mock_device mock_nesting_device(size_t page)
{
	return (struct ioasid_test_mock_device){
		.caps = IOASID_DEVICE_CAP_COHERENT |
			IOASID_DEVICE_CAP_ISOLATED_MSI |
			IOASID_DEVICE_CAP_DIRTY_TRACKING |
			IOASID_DEVICE_CAP_SVA,
		.max_pasid_log2 = 8,
		.nesting_formats = IOASID_NESTING_MOCK_S1,
		.pgsize_bitmap = page,
		.aperture_last = (1ULL << 48) - 1,
	};
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
 * The mock device's DMA with any enum ioasid_test_dma_flags (@pasid counts
 * with IOASID_TEST_DMA_PASID): -EAGAIN when it waits for the answer to a
 * page request (IOASID_TEST_DMA_PRI).
 */
static inline int mock_dma_flags(int fd, __u32 dev_id, __u32 flags,
				 __u32 pasid, __u64 iova, void *buf, __u64 len)
{
	struct ioasid_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOASID_TEST_OP_MOCK_DMA,
		.mock_dma = {
			.dev_id = dev_id,
			.flags = flags,
			.iova = iova,
			.length = len,
			.uptr = (__u64)(uintptr_t)buf,
			.pasid = pasid,
		},
	};

	return ioasid_ioctl(fd, IOASID_TEST, &cmd);
}

/* The answers to its page requests mock device @dev_id received. */
static inline int mock_responses(int fd, __u32 dev_id, __u64 *success,
				 __u64 *invalid)
{
	struct ioasid_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOASID_TEST_OP_MOCK_RESPONSES,
		.mock_responses = { .dev_id = dev_id },
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_TEST, &cmd);
	*success = cmd.mock_responses.out_success;
	*invalid = cmd.mock_responses.out_invalid;
	return rc;
}

/*
 * A context with one IOAS, and the counters as it found them; the
 * fixtures of the mock tests share it.
 */
struct mock_ctx {
	int fd;
	__u32 ioas_id;
	struct ioasid_counters start;
};

/*
 * Open @ctx (the caller checks ctx->fd); returns why the mock cannot be
 * tested, or NULL.
 */
static inline const char *mock_open(struct mock_ctx *ctx)
{
	ctx->fd = -1;
	if (access(IOASID_DEV, F_OK) || ioasid_read_counters(&ctx->start))
		return "ioasid.ko not loaded or debugfs not mounted";
	ctx->fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	if (ctx->fd >= 0 && !mock_available(ctx->fd)) {
		close(ctx->fd);
		ctx->fd = -1;
		return "ioasid.ko has no mock backend, or was loaded without mock=1";
	}
	return NULL;
}

/* Close @ctx; returns whether everything it held was given back. */
static inline bool mock_close(struct mock_ctx *ctx)
{
	struct ioasid_counters end;

	if (ctx->fd < 0)
		return true;
	close(ctx->fd);
	return !ioasid_read_counters(&end) &&
	       ioasid_counters_equal(&ctx->start, &end);
}

/*
 * The stage-1 tables of IOASID_NESTING_MOCK_S1 (struct ioasid_hwpt_mock_s1),
 * built in user memory that the caller maps into the IOAS: three levels of
 * 4 KiB tables of 512 little-endian entries.
 */
#define MOCK_S1_PRESENT 0x1ULL
#define MOCK_S1_READ 0x2ULL
#define MOCK_S1_WRITE 0x4ULL
#define MOCK_S1_RW (MOCK_S1_PRESENT | MOCK_S1_READ | MOCK_S1_WRITE)
#define MOCK_S1_ADDR 0x000ffffffffff000ULL
#define MOCK_S1_TABLE 4096
#define MOCK_S1_LEVELS 3
#define MOCK_S1_IOVA_BITS 39

/*
 * Room for @max tables, the first being the root: table n is at @mem +
 * n * @stride, at the stage-2 address @gpa + n * @stride.
 */
struct mock_s1 {
	char *mem;
	__u64 gpa;
	size_t stride;
	unsigned int used, max;
};

/* Start with an empty root table; the others are zeroed as they are used. */
static inline void mock_s1_init(struct mock_s1 *s1, void *mem, __u64 gpa,
				size_t stride, unsigned int max)
{
	*s1 = (struct mock_s1){
		.mem = mem,
		.gpa = gpa,
		.stride = stride,
		.used = 1,
		.max = max,
	};
	memset(mem, 0, MOCK_S1_TABLE);
}

/* The stage-2 address of the root table: ioasid_hwpt_mock_s1.root. */
static inline __u64 mock_s1_root(const struct mock_s1 *s1)
{
	return s1->gpa;
}

/*
 * The entry of level @level (0: the root table, 2: the last level) that
 * translates @iova, the tables above it made present (with no permission
 * bits: only the last level's count) as needed; NULL when the room is
 * used up or an entry above points outside the tables.
 */
static inline __u64 *mock_s1_entry(struct mock_s1 *s1, __u64 iova, int level)
{
	__u64 *table = (__u64 *)s1->mem, entry, offset;
	unsigned int index;
	int l;

	for (l = 0; l < level; l++) {
		index = (iova >> (30 - 9 * l)) & 511;
		entry = le64toh(table[index]);
		if (!(entry & MOCK_S1_ADDR)) {
			if (s1->used == s1->max)
				return NULL;
			memset(s1->mem + s1->used * s1->stride, 0,
			       MOCK_S1_TABLE);
			entry = (s1->gpa + s1->used++ * s1->stride) |
				MOCK_S1_PRESENT;
			table[index] = htole64(entry);
		}
		offset = (entry & MOCK_S1_ADDR) - s1->gpa;
		if ((entry & MOCK_S1_ADDR) < s1->gpa ||
		    offset >= s1->max * s1->stride)
			return NULL;
		table = (__u64 *)(s1->mem + offset);
	}
	return &table[(iova >> (30 - 9 * level)) & 511];
}

/*
 * Make the last-level entry of @iova @gpa | @bits (MOCK_S1_PRESENT and the
 * permissions, or anything else); returns 0 or -ENOSPC.
 */
static inline int mock_s1_set(struct mock_s1 *s1, __u64 iova, __u64 gpa,
			      __u64 bits)
{
	__u64 *leaf = mock_s1_entry(s1, iova, MOCK_S1_LEVELS - 1);

	if (!leaf)
		return -ENOSPC;
	*leaf = htole64(gpa | bits);
	return 0;
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
