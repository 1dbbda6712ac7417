// SPDX-License-Identifier: GPL-2.0
/*
 * Every error path of every command sequence: run the sequence with its Nth
 * allocation or pin failing, for N = 1, 2, ... until it completes without
 * reaching N.  After each failed step the module counters must be where the
 * step found them (nothing half done), the errno must be -ENOMEM, and after
 * closing everything they must be back to their start values.
 *
 * Each sequence is run twice over where it can be: with ioasid's own
 * debugfs knob (ioasid/fail_nth: every allocation and pin ioasid makes),
 * and where the kernel has CONFIG_FAULT_INJECTION with the task's fail-nth
 * (/proc/self/task/TID/fail-nth: every slab and page allocation of the
 * kernel on the way, and ioasid's own points).  Each prints how many points
 * it failed.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "ioasid_utils.h"
#include "ioasid_pci_utils.h"
#include "ioasid_mock_utils.h"
#include "ioasid_vfio_utils.h"

#define IOASID_FAIL_NTH "/sys/kernel/debug/ioasid/fail_nth"
#define NR_PAGES 16
/*
 * The module pins a page of page pointers at a time: a map bigger than
 * that fails part way too.  Capped for 64K pages, where it would be 512M.
 */
#define PIN_BATCH(page) ((page) / sizeof(void *))
#define BIG_MAX (16UL << 20)
#define HUGE_SIZE (2UL << 20)
#define MAX_STEPS 16
/* No sequence has this many points: a bound on a runaway loop. */
#define MAX_RUNS 10000

/* The state a sequence works on; set up unarmed, closed after each run. */
struct seq_state {
	int fd, devfd, memfd, nodefd, faultfd;
	__u32 pasid, minor;
	__u32 fault_id, hwpt_id, cookie;	/* for the nested sequence */
	__u64 *leaf;	/* the stage-1 entry of NESTED_IOVA, in buf */
	int group, container;	/* VFIO's, for the vfio sequences */
	__u32 ioas[2], dev_id, mock[2];
	char *buf, *big, *huge;
	size_t page, big_len;
	const char *bdf;
};

typedef int (*seq_step)(struct seq_state *s);

/* A knob that arms a failure, kept open so that arming allocates nothing. */
struct fail_knob {
	int fd;
	bool kernel;
	const char *name;
};

/* Where the kernel has fail-nth, let it fail every kind of allocation. */
static int kernel_fail_nth_setup(void)
{
	static const char * const knobs[][2] = {
		{ "failslab/ignore-gfp-wait", "N" },
		{ "failslab/verbose", "0" },
		{ "fail_page_alloc/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "fail_page_alloc/min-order", "0" },
		{ "fail_page_alloc/verbose", "0" },
	};
	char path[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s", knobs[i][0]);
		if (sysfs_write(path, knobs[i][1]))
			return -errno;
	}
	return 0;
}

/* Open a knob: 0, 1 when it is absent, -errno when it cannot be set up. */
static int fail_knob_open(struct fail_knob *knob, bool kernel)
{
	char path[64];

	if (kernel)
		snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
			 (long)syscall(SYS_gettid));
	else
		snprintf(path, sizeof(path), "%s", IOASID_FAIL_NTH);
	knob->fd = open(path, O_RDWR | O_CLOEXEC);
	knob->kernel = kernel;
	knob->name = kernel ? "kernel" : "module";
	if (knob->fd < 0)
		return 1;
	return kernel ? kernel_fail_nth_setup() : 0;
}

static int fail_knob_arm(struct fail_knob *knob, unsigned int nth)
{
	char buf[16];
	int len;

	len = snprintf(buf, sizeof(buf), "%u", nth);
	return pwrite(knob->fd, buf, len, 0) == len ? 0 : -errno;
}

/* Disarm; returns the points still to go (0: the failure was injected). */
static long fail_knob_disarm(struct fail_knob *knob)
{
	char buf[16] = "";
	long left;

	if (pread(knob->fd, buf, sizeof(buf) - 1, 0) <= 0)
		return -1;
	left = strtol(buf, NULL, 10);
	if (fail_knob_arm(knob, 0))
		return -1;
	return left;
}

/* The steps of the sequences. */
static int ioas_alloc_0(struct seq_state *s)
{
	return ioas_alloc(s->fd, &s->ioas[0]);
}

static int ioas_alloc_1(struct seq_state *s)
{
	return ioas_alloc(s->fd, &s->ioas[1]);
}

static int destroy_0(struct seq_state *s)
{
	return ioasid_destroy(s->fd, s->ioas[0]);
}

static int destroy_1(struct seq_state *s)
{
	return ioasid_destroy(s->fd, s->ioas[1]);
}

static int map_fixed(struct seq_state *s)
{
	__u64 iova = 0x100000;

	return ioas_map(s->fd, s->ioas[0], s->buf, NR_PAGES * s->page, &iova,
			MAP_FIXED_RW);
}

/* The first half again, elsewhere: its pins are shared, not charged. */
static int map_again(struct seq_state *s)
{
	__u64 iova = 0x400000;

	return ioas_map(s->fd, s->ioas[0], s->buf, NR_PAGES / 2 * s->page,
			&iova, MAP_FIXED_RW);
}

/* A page of the memfd, and then more than a batch of folios of it. */
static int map_file(struct seq_state *s)
{
	__u64 iova = 0x2000000;

	return ioas_map_file(s->fd, s->ioas[0], s->memfd, s->page, s->page,
			     &iova, MAP_FIXED_RW);
}

static int map_file_big(struct seq_state *s)
{
	__u64 iova = 0x20000000;

	return ioas_map_file(s->fd, s->ioas[0], s->memfd, 0, s->big_len, &iova,
			     MAP_FIXED_RW);
}

static int map_big(struct seq_state *s)
{
	__u64 iova = 0x10000000;

	return ioas_map(s->fd, s->ioas[0], s->big, s->big_len, &iova,
			MAP_FIXED_RW);
}

static int map_anywhere(struct seq_state *s)
{
	__u64 iova = 0;

	return ioas_map(s->fd, s->ioas[0], s->buf + s->page, 3 * s->page,
			&iova, MAP_RW);
}

static int copy_0_to_1(struct seq_state *s)
{
	__u64 iova = 0x800000;

	return ioas_copy(s->fd, s->ioas[1], s->ioas[0], NR_PAGES * s->page,
			 &iova, 0x100000, IOASID_IOAS_MAP_FIXED_IOVA | MAP_RW);
}

static int unmap_fixed(struct seq_state *s)
{
	return ioas_unmap(s->fd, s->ioas[0], 0x100000, NR_PAGES * s->page,
			  NULL);
}

/*
 * Three ranges in one batch, two of them sharing pages, one longer than a
 * pin batch.
 */
static int map_batch_0(struct seq_state *s)
{
	struct ioasid_batch_range ranges[3] = {
		{ MAP_RW, 0, (uintptr_t)s->buf, NR_PAGES * s->page, 0x100000 },
		{ MAP_RW, 0, (uintptr_t)s->buf + s->page, s->page, 0x400000 },
		{ MAP_RW, 0, (uintptr_t)s->big, s->big_len, 0x10000000 },
	};
	__u32 failed;

	return ioas_map_batch(s->fd, s->ioas[0], ranges, 3, &failed);
}

static int unmap_batch_0(struct seq_state *s)
{
	struct ioasid_batch_range ranges[3] = {
		{ .iova = 0x10000000, .length = s->big_len },
		{ .iova = 0x100000, .length = NR_PAGES * s->page },
		{ .iova = 0x400000, .length = s->page },
	};
	__u32 failed;

	return ioas_unmap_batch(s->fd, s->ioas[0], ranges, 3, &failed);
}

/*
 * Hugetlb memory from the middle of its first huge page to the middle of
 * its third, pinned a folio at a time; then the middle of it again, shared.
 */
static int map_huge(struct seq_state *s)
{
	__u64 iova = 0x40000000 + HUGE_SIZE / 2;

	return ioas_map(s->fd, s->ioas[0], s->huge + HUGE_SIZE / 2,
			2 * HUGE_SIZE, &iova, MAP_FIXED_RW);
}

static int map_huge_again(struct seq_state *s)
{
	__u64 iova = 0x80000000 + HUGE_SIZE / 4;

	return ioas_map(s->fd, s->ioas[0], s->huge + HUGE_SIZE / 4,
			2 * HUGE_SIZE, &iova, MAP_FIXED_RW);
}

/* Two ranges of the huge pages in one batch, one across a boundary. */
static int map_batch_huge(struct seq_state *s)
{
	struct ioasid_batch_range ranges[2] = {
		{ MAP_RW, 0, (uintptr_t)s->huge, HUGE_SIZE, 0xc0000000 },
		{ MAP_RW, 0, (uintptr_t)s->huge + HUGE_SIZE + HUGE_SIZE / 2,
		  HUGE_SIZE, 0xc0000000 + 2 * HUGE_SIZE },
	};
	__u32 failed;

	return ioas_map_batch(s->fd, s->ioas[0], ranges, 2, &failed);
}

static int unmap_all_0(struct seq_state *s)
{
	return ioas_unmap_all(s->fd, s->ioas[0], NULL);
}

static int allow_iovas(struct seq_state *s)
{
	static const struct ioasid_iova_range ranges[] = {
		{ .start = 0x100000, .last = 0x1fffff },
		{ .start = 0x400000, .last = 0x4fffff },
		{ .start = 0x10000000, .last = 0x1fffffff },
	};

	return ioas_allow_iovas(s->fd, s->ioas[0], ranges, 3);
}

static int iova_ranges(struct seq_state *s)
{
	struct ioasid_iova_range ranges[8];
	__u32 num = 8;

	return ioas_iova_ranges(s->fd, s->ioas[0], ranges, &num);
}

static int bind(struct seq_state *s)
{
	return pci_bind(s->devfd, s->fd, &s->dev_id);
}

/* An eventfd for PCI errors, whose only reference is then the binding's. */
static int error_notify(struct seq_state *s)
{
	struct ioasid_pci_error_notify cmd = { .size = sizeof(cmd) };
	int rc;

	cmd.eventfd = eventfd(0, EFD_CLOEXEC);
	if (cmd.eventfd < 0)
		return -errno;
	rc = ioasid_ioctl(s->devfd, IOASID_PCI_ERROR_NOTIFY, &cmd);
	close(cmd.eventfd);
	return rc;
}

static int info_dev(struct seq_state *s)
{
	struct ioasid_device_info info;

	return device_info(s->fd, s->dev_id, &info);
}

static int attach_0(struct seq_state *s)
{
	return attach(s->fd, s->dev_id, s->ioas[0], 0);
}

static int replace_1(struct seq_state *s)
{
	return attach(s->fd, s->dev_id, s->ioas[1],
		      IOASID_DEVICE_ATTACH_REPLACE);
}

static int detach_dev(struct seq_state *s)
{
	return detach(s->fd, s->dev_id);
}

static int mock_create(struct seq_state *s, int i)
{
	struct ioasid_test_mock_device config = {
		.caps = IOASID_DEVICE_CAP_COHERENT,
		.pgsize_bitmap = s->page / 2,
		.aperture_last = ~0ULL,
		.flags = IOASID_TEST_MOCK_RESV,
		.resv_start = 0x8000000,
		.resv_last = 0x80fffff,
	};

	return mock_device(s->fd, &config, &s->mock[i]);
}

static int mock_0(struct seq_state *s)
{
	return mock_create(s, 0);
}

static int mock_1(struct seq_state *s)
{
	return mock_create(s, 1);
}

static int attach_mock_0(struct seq_state *s)
{
	return device_attach(s->fd, s->mock[0], s->ioas[0], 0, NULL);
}

static int attach_mock_1(struct seq_state *s)
{
	return device_attach(s->fd, s->mock[1], s->ioas[0], 0, NULL);
}

static int replace_mock_1(struct seq_state *s)
{
	return device_attach(s->fd, s->mock[1], s->ioas[1],
			     IOASID_DEVICE_ATTACH_REPLACE, NULL);
}

static int enable_0(struct seq_state *s)
{
	struct ioasid_features f;

	features_init(&f);
	f.caps = htole64(IOASID_DEVICE_CAP_COHERENT);
	features_add_range(&f, 0x100000, 0x1ffffff);
	return ioas_enable(s->fd, s->ioas[0], &f, NULL);
}

static int features_0(struct seq_state *s)
{
	struct ioasid_features f;

	return ioas_features(s->fd, s->ioas[0], &f);
}

static int info_ioas_0(struct seq_state *s)
{
	struct ioasid_ioas_info info;

	return ioas_info(s->fd, s->ioas[0], &info);
}

static int mock_dma_0(struct seq_state *s)
{
	char data[64];

	return mock_dma(s->fd, s->mock[0], 0x100000, data, sizeof(data),
			false);
}

/* A read through the second huge page that map_huge() maps. */
static int mock_dma_huge(struct seq_state *s)
{
	char data[64];

	return mock_dma(s->fd, s->mock[0], 0x40000000 + HUGE_SIZE, data,
			sizeof(data), false);
}

static int detach_dev_mock_1(struct seq_state *s)
{
	return detach(s->fd, s->mock[1]);
}

static int destroy_mock_0(struct seq_state *s)
{
	return ioasid_destroy(s->fd, s->mock[0]);
}

static int mock_sva_0(struct seq_state *s)
{
	struct ioasid_test_mock_device config = {
		.caps = IOASID_DEVICE_CAP_COHERENT | IOASID_DEVICE_CAP_SVA,
		.max_pasid_log2 = 8,
		.pgsize_bitmap = s->page,
		.aperture_last = ~0ULL,
	};

	return mock_device(s->fd, &config, &s->mock[0]);
}

static int attach_pasid_0(struct seq_state *s)
{
	return attach_pasid(s->fd, s->mock[0], 5, s->ioas[0], 0, NULL);
}

static int replace_pasid_1(struct seq_state *s)
{
	return attach_pasid(s->fd, s->mock[0], 5, s->ioas[1],
			    IOASID_DEVICE_ATTACH_REPLACE, NULL);
}

static int pasid_dma(struct seq_state *s)
{
	char data[64];

	return mock_dma_pasid(s->fd, s->mock[0], 5, 0x100000, data,
			      sizeof(data), false);
}

static int detach_pasid_0(struct seq_state *s)
{
	return detach_pasid(s->fd, s->mock[0], 5);
}

static int share_0(struct seq_state *s)
{
	return device_share(s->fd, s->mock[0], 0600, &s->minor);
}

static int open_node_0(struct seq_state *s)
{
	char node[64];

	snprintf(node, sizeof(node), "/dev/ioasid-sva/mock%u", s->minor);
	s->nodefd = open(node, O_RDWR | O_CLOEXEC);
	return s->nodefd < 0 ? -errno : 0;
}

static int sva_bind_0(struct seq_state *s)
{
	return sva_bind(s->nodefd, &s->pasid);
}

static int sva_dma(struct seq_state *s)
{
	char data[64];

	return mock_dma_pasid(s->fd, s->mock[0], s->pasid,
			      (__u64)(uintptr_t)s->buf, data, sizeof(data),
			      true);
}

static int sva_unbind_0(struct seq_state *s)
{
	return sva_unbind(s->nodefd);
}

static int unshare_0(struct seq_state *s)
{
	return device_unshare(s->fd, s->mock[0]);
}

/*
 * The nested sequence: buf (mapped at 0x100000) holds a guest's stage-1
 * tables in its pages 0 to 2 and data in page 3; NESTED_IOVA is not
 * present until the page request for it is answered.
 */
#define NESTED_GPA 0x100000ULL
#define NESTED_IOVA 0xc0a07000ULL

static int mock_nested_0(struct seq_state *s)
{
	struct ioasid_test_mock_device config = {
		.caps = IOASID_DEVICE_CAP_COHERENT |
			IOASID_DEVICE_CAP_DIRTY_TRACKING |
			IOASID_DEVICE_CAP_SVA,
		.max_pasid_log2 = 8,
		.nesting_formats = IOASID_NESTING_MOCK_S1,
		.pgsize_bitmap = s->page,
		.aperture_last = ~0ULL,
	};

	return mock_device(s->fd, &config, &s->mock[0]);
}

static int fault_alloc_0(struct seq_state *s)
{
	int rc;

	rc = fault_alloc(s->fd, 4, &s->fault_id, &s->faultfd);
	if (rc)
		return rc;
	return fcntl(s->faultfd, F_SETFL, O_NONBLOCK) ? -errno : 0;
}

static int hwpt_alloc_0(struct seq_state *s)
{
	struct ioasid_hwpt_mock_s1 data = { .root = NESTED_GPA };

	return hwpt_alloc(s->fd, s->mock[0], s->ioas[0], IOASID_NESTING_MOCK_S1,
			  s->fault_id, &data, sizeof(data), &s->hwpt_id, NULL);
}

static int attach_hwpt_0(struct seq_state *s)
{
	return device_attach(s->fd, s->mock[0], s->hwpt_id, 0, NULL);
}

/*
 * A page request: the DMA waits for its answer (-EAGAIN).  A fault that
 * cannot be queued is lost, its request answered INVALID at once, and the
 * DMA fails as a fault with nowhere to go does (-ENXIO): that is how a
 * failure injected there shows, and the run checks it was injected.
 */
static int fault_dma(struct seq_state *s)
{
	char data[64];
	int rc;

	rc = mock_dma_flags(s->fd, s->mock[0], IOASID_TEST_DMA_PRI, 0,
			    NESTED_IOVA, data, sizeof(data));
	if (rc == -EAGAIN)
		return 0;
	if (rc == -ENXIO)
		return -ENOMEM;
	return rc ? rc : -EIO;
}

static int read_fault(struct seq_state *s)
{
	struct ioasid_fault f;
	ssize_t n;

	n = read(s->faultfd, &f, sizeof(f));
	if (n < 0)
		return -errno;
	if (n != sizeof(f) || !(f.flags & IOASID_FAULT_PAGE_REQUEST))
		return -EIO;
	s->cookie = f.cookie;
	return 0;
}

/* The guest maps the page; the VMM answers the request. */
static int answer_fault(struct seq_state *s)
{
	struct ioasid_fault_response r = {
		.cookie = s->cookie,
		.code = IOASID_FAULT_RESPONSE_SUCCESS,
	};
	ssize_t n;

	*s->leaf = htole64((NESTED_GPA + 3 * s->page) | MOCK_S1_RW);
	n = write(s->faultfd, &r, sizeof(r));
	if (n < 0)
		return -errno;
	return n == sizeof(r) ? 0 : -EIO;
}

static int invalidate_hwpt(struct seq_state *s)
{
	struct ioasid_hwpt_invalidate_mock entry = {
		.flags = IOASID_HWPT_INVALIDATE_MOCK_ALL,
	};
	__u32 num = 1;

	return hwpt_invalidate(s->fd, s->hwpt_id, &entry, sizeof(entry), &num,
			       NULL);
}

static int dirty_start_0(struct seq_state *s)
{
	return ioas_dirty_tracking(s->fd, s->ioas[0],
				   IOASID_DIRTY_TRACKING_ENABLE, NULL);
}

/* The device's retry, a write through stage 1. */
static int retry_dma(struct seq_state *s)
{
	char data[64] = "retry";

	return mock_dma_flags(s->fd, s->mock[0],
			      IOASID_TEST_DMA_PRI | IOASID_TEST_DMA_WRITE, 0,
			      NESTED_IOVA, data, sizeof(data));
}

static int dirty_read_0(struct seq_state *s)
{
	__u64 bitmap[(NR_PAGES + 63) / 64];

	return ioas_dirty_bitmap(s->fd, s->ioas[0], 0, NESTED_GPA,
				 NR_PAGES * s->page, s->page, bitmap, NULL);
}

static int replace_ioas_0(struct seq_state *s)
{
	return device_attach(s->fd, s->mock[0], s->ioas[0],
			     IOASID_DEVICE_ATTACH_REPLACE, NULL);
}

static int dirty_stop_0(struct seq_state *s)
{
	return ioas_dirty_tracking(s->fd, s->ioas[0], 0, NULL);
}

static int destroy_hwpt(struct seq_state *s)
{
	return ioasid_destroy(s->fd, s->hwpt_id);
}

static int destroy_fault(struct seq_state *s)
{
	return ioasid_destroy(s->fd, s->fault_id);
}

static int invalidate_all(struct seq_state *s)
{
	return uaddr_invalidate(s->fd, 0, NULL);
}

/* Every invalid address back as it was, in every IOAS. */
static int supply_all(struct seq_state *s)
{
	return uaddr_supply_shift(s->fd, 0, 0);
}

static int take_over(struct seq_state *s)
{
	return take_ownership(s->fd, NULL);
}

static int invalidate_0(struct seq_state *s)
{
	return uaddr_invalidate(s->fd, s->ioas[0], NULL);
}

static int supply_fixed(struct seq_state *s)
{
	return uaddr_supply(s->fd, s->ioas[0], 0x100000, NR_PAGES * s->page,
			    s->buf);
}

/* The first mapping alone, as VFIO type1's VADDR unmap does. */
static int invalidate_range_valid(struct seq_state *s)
{
	__u64 n, len;

	return uaddr_invalidate_range(s->fd, s->ioas[0],
				      IOASID_UADDR_INVALIDATE_VALID, 0x100000,
				      NR_PAGES * s->page, &n, &len);
}

static int supply_one(struct seq_state *s)
{
	return uaddr_supply_flags(s->fd, s->ioas[0], IOASID_UADDR_SUPPLY_ONE,
				  0x100000, NR_PAGES * s->page, s->buf);
}

/*
 * A type1 container that ioasid_vfio serves, with edu's group in it.  When
 * ioasid fails to take it, VFIO gives it to the next backend that answers,
 * where there is one (vfio_iommu_type1 is built into the debug kernel):
 * the run goes on with that one, and what ioasid undid is checked when the
 * run closes everything.  (Asking the counters here would allocate, and
 * take the failure meant for ioasid.)
 */
static int vfio_set_type1(struct seq_state *s)
{
	return ioctl(s->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) ?
	       -errno : 0;
}

static int vfio_set_ioasid(struct seq_state *s)
{
	return ioctl(s->container, VFIO_SET_IOMMU, IOASID_VFIO_IOMMU) ?
	       -errno : 0;
}

static int vfio_map(struct seq_state *s)
{
	return map_dma(s->container, s->buf, 0x100000, NR_PAGES * s->page, RW);
}

static int vfio_map_big(struct seq_state *s)
{
	return map_dma(s->container, s->big, 0x10000000, s->big_len, RW);
}

static int vfio_info(struct seq_state *s)
{
	char raw[512] = {};
	struct vfio_iommu_type1_info *info = (void *)raw;

	info->argsz = sizeof(raw);
	return ioctl(s->container, VFIO_IOMMU_GET_INFO, info) ? -errno : 0;
}

static int vfio_vaddr_invalidate(struct seq_state *s)
{
	return unmap_dma(s->container, 0x100000, NR_PAGES * s->page,
			 VFIO_DMA_UNMAP_FLAG_VADDR, NULL);
}

static int vfio_vaddr_supply(struct seq_state *s)
{
	return map_dma(s->container, s->buf, 0x100000, NR_PAGES * s->page,
		       VFIO_DMA_MAP_FLAG_VADDR);
}

static int vfio_unmap(struct seq_state *s)
{
	return unmap_dma(s->container, 0x100000, NR_PAGES * s->page, 0, NULL);
}

static int vfio_unmap_all(struct seq_state *s)
{
	return unmap_dma(s->container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL);
}

static int vfio_link_0(struct seq_state *s)
{
	struct ioasid_vfio_link cmd = {
		.size = sizeof(cmd),
		.fd = s->fd,
		.ioas_id = s->ioas[0],
	};

	return ioctl(s->container, IOASID_VFIO_LINK, &cmd) ? -errno : 0;
}

/*
 * Binding enables the device, which evaluates the ACPI _PRT method.  With
 * an allocation failing in there, ACPICA on 6.12 drops a reference it does
 * not own and frees a namespace object still in use (KASAN:
 * slab-use-after-free in acpi_ns_get_attached_object at the next _PRT).
 * Under the kernel's fail-nth the bind step runs unarmed; ioasid's own
 * points in it are failed through the module's knob.  So does the share
 * step: device_add() succeeds without the node devtmpfs failed to make.
 */
static bool kernel_may_fail(seq_step step)
{
	return step != bind && step != share_0;
}

static int prepare_two_ioas(struct seq_state *s)
{
	return ioas_alloc_0(s) ?: ioas_alloc_1(s);
}

static int prepare_mapped(struct seq_state *s)
{
	return prepare_two_ioas(s) ?: map_fixed(s);
}

static int prepare_nested(struct seq_state *s)
{
	struct mock_s1 s1;
	int rc;

	rc = prepare_mapped(s);
	if (rc)
		return rc;
	mock_s1_init(&s1, s->buf, NESTED_GPA, s->page, 3);
	s->leaf = mock_s1_entry(&s1, NESTED_IOVA, MOCK_S1_LEVELS - 1);
	if (!s->leaf)
		return -ENOSPC;
	*s->leaf = 0;
	return 0;
}

FIXTURE(fail_nth) {
	struct fail_knob module_knob, kernel_knob;
	struct ioasid_counters start;
	char bdf[16];
	char unsafe;
	bool vfio_loaded;
	int memfd;
	size_t page, big_len;
	char *buf, *big, *huge;
	long pool;	/* the huge page pool before, or -1 */
	long huge_in_use;	/* huge pages in use before */
};

/* A sequence: the steps run armed, in order, until one fails. */
FIXTURE_VARIANT(fail_nth) {
	const char *name;
	bool device;
	bool mock;
	bool vfio;	/* edu in a VFIO group, set to a new container */
	bool huge;	/* three huge pages of hugetlb memory */
	seq_step prepare;	/* unarmed, before the steps; may be NULL */
	seq_step steps[MAX_STEPS];
};

FIXTURE_VARIANT_ADD(fail_nth, ioas_alloc_destroy) {
	.name = "ioas_alloc_destroy",
	.steps = { ioas_alloc_0, ioas_alloc_1, destroy_0, destroy_1 },
};

FIXTURE_VARIANT_ADD(fail_nth, ioas_map_unmap) {
	.name = "ioas_map_unmap",
	.prepare = ioas_alloc_0,
	.steps = { map_fixed, map_again, map_anywhere, map_big, unmap_fixed,
		   unmap_all_0, destroy_0 },
};

FIXTURE_VARIANT_ADD(fail_nth, ioas_copy) {
	.name = "ioas_copy",
	.prepare = prepare_mapped,
	.steps = { copy_0_to_1, unmap_all_0, destroy_0, destroy_1 },
};

FIXTURE_VARIANT_ADD(fail_nth, live_update) {
	.name = "live_update",
	.prepare = prepare_mapped,
	.steps = { copy_0_to_1, map_file, map_file_big, invalidate_all,
		   supply_all, take_over, map_again, invalidate_0, supply_fixed,
		   invalidate_range_valid, supply_one, unmap_all_0, destroy_1 },
};

FIXTURE_VARIANT_ADD(fail_nth, ioas_iova_ranges) {
	.name = "ioas_iova_ranges",
	.prepare = ioas_alloc_0,
	.steps = { allow_iovas, iova_ranges, map_fixed, destroy_0 },
};

FIXTURE_VARIANT_ADD(fail_nth, device_bind_attach) {
	.name = "device_bind_attach",
	.device = true,
	.steps = { bind, error_notify, info_dev, ioas_alloc_0, map_fixed,
		   attach_0,
		   map_again, map_big, ioas_alloc_1, replace_1, detach_dev,
		   attach_0, unmap_all_0, detach_dev },
};

FIXTURE_VARIANT_ADD(fail_nth, device_attach_over_mappings) {
	.name = "device_attach_over_mappings",
	.device = true,
	.prepare = prepare_mapped,
	.steps = { bind, copy_0_to_1, attach_0, replace_1, map_anywhere,
		   detach_dev },
};

FIXTURE_VARIANT_ADD(fail_nth, mock_enable) {
	.name = "mock_enable",
	.mock = true,
	.prepare = prepare_mapped,
	.steps = { mock_0, attach_mock_0, enable_0, features_0, mock_1,
		   attach_mock_1, info_ioas_0, replace_mock_1, mock_dma_0,
		   detach_dev_mock_1, destroy_mock_0 },
};

FIXTURE_VARIANT_ADD(fail_nth, mock_batch) {
	.name = "mock_batch",
	.mock = true,
	.prepare = ioas_alloc_0,
	.steps = { mock_0, attach_mock_0, map_batch_0, mock_dma_0,
		   unmap_batch_0, destroy_mock_0 },
};

FIXTURE_VARIANT_ADD(fail_nth, mock_huge) {
	.name = "mock_huge",
	.mock = true,
	.huge = true,
	.prepare = ioas_alloc_0,
	.steps = { mock_0, attach_mock_0, map_huge, map_huge_again,
		   mock_dma_huge, map_batch_huge, unmap_all_0, destroy_mock_0 },
};

FIXTURE_VARIANT_ADD(fail_nth, mock_sva) {
	.name = "mock_sva",
	.mock = true,
	.prepare = prepare_mapped,
	.steps = { mock_sva_0, attach_pasid_0, pasid_dma, replace_pasid_1,
		   share_0, open_node_0, sva_bind_0, sva_dma, sva_unbind_0,
		   sva_bind_0, unshare_0, detach_pasid_0 },
};

FIXTURE_VARIANT_ADD(fail_nth, mock_nested) {
	.name = "mock_nested",
	.mock = true,
	.prepare = prepare_nested,
	.steps = { mock_nested_0, fault_alloc_0, hwpt_alloc_0, attach_hwpt_0,
		   fault_dma, read_fault, answer_fault, invalidate_hwpt,
		   dirty_start_0, retry_dma, dirty_read_0, replace_ioas_0,
		   dirty_stop_0, destroy_hwpt, destroy_fault },
};

FIXTURE_VARIANT_ADD(fail_nth, vfio_type1) {
	.name = "vfio_type1",
	.vfio = true,
	.steps = { vfio_set_type1, vfio_info, vfio_map, vfio_map_big,
		   vfio_vaddr_invalidate, vfio_vaddr_supply, vfio_unmap,
		   vfio_unmap_all },
};

FIXTURE_VARIANT_ADD(fail_nth, vfio_link) {
	.name = "vfio_link",
	.vfio = true,
	.prepare = prepare_mapped,
	.steps = { vfio_set_ioasid, vfio_link_0, map_again, unmap_all_0 },
};

static long huge_page_kb(void)
{
	return ioasid_meminfo("Hugepagesize: %ld kB");
}

/* Huge pages of the pool in use: a folio still pinned stays in use. */
static long huge_pages_in_use(void)
{
	long total = ioasid_meminfo("HugePages_Total: %ld");
	long free = ioasid_meminfo("HugePages_Free: %ld");

	return total < 0 || free < 0 ? -1 : total - free;
}

/*
 * Three huge pages of 2 MiB, private hugetlb memory, populated; the pool
 * grown for them, and shrunk back at teardown.  False: none to be had.
 */
static bool huge_setup(struct _test_data_fail_nth *self)
{
	long pool = ioasid_huge_pool();
	void *p;

	if (huge_page_kb() != HUGE_SIZE >> 10 || pool < 0)
		return false;
	self->huge_in_use = huge_pages_in_use();
	if (self->huge_in_use < 0 || ioasid_set_huge_pool(pool + 3) ||
	    ioasid_huge_pool() < pool + 3) {
		ioasid_set_huge_pool(pool);
		return false;
	}
	p = mmap(NULL, 3 * HUGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE,
		 -1, 0);
	if (p == MAP_FAILED) {
		ioasid_set_huge_pool(pool);
		return false;
	}
	self->huge = p;
	self->pool = pool;
	return true;
}

/* Whether the device can be attached at all, unarmed. */
static int probe_attach(const char *bdf)
{
	__u32 dev_id, ioas_id;
	int fd, devfd, rc;

	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	devfd = open_device_file(bdf);
	rc = fd < 0 || devfd < 0 ? -ENODEV :
	     pci_bind(devfd, fd, &dev_id) ?: ioas_alloc(fd, &ioas_id) ?:
	     attach(fd, dev_id, ioas_id, 0);
	close(devfd);
	close(fd);
	return rc;
}

/*
 * Memory for the map bigger than a pin batch, huge-page aligned and backed
 * by huge pages where the kernel gives them: a few runs of frames, so that
 * mapping it into a domain takes a few iommu_map() calls (a failure in the
 * middle of an area is reached) and not one per page (a sequence whose
 * point count, and time, would follow the memory's fragmentation).
 */
static char *big_buffer_alloc(size_t len)
{
	uintptr_t start, aligned;
	char *p;

	p = mmap(NULL, len + HUGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	start = (uintptr_t)p;
	aligned = (start + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1);
	madvise((void *)aligned, len, MADV_HUGEPAGE);
	memset((void *)aligned, 0x5a, len);
	return (char *)aligned;
}

/* edu bound to vfio-pci, ioasid_vfio loaded with type1=1. */
static void vfio_setup(struct __test_metadata *_metadata,
		       struct _test_data_fail_nth *self)
{
	char bdfs[4][16];
	int rc;

	if (access("/dev/vfio/vfio", F_OK))
		SKIP(return, "no VFIO (vfio, vfio-pci) in this kernel");
	if (find_edu(bdfs, 4) < 1)
		SKIP(return, "no edu device (1234:11e8) on this machine");
	rc = load_ioasid_vfio(&self->vfio_loaded);
	if (rc == -ENOENT)
		SKIP(return, "ioasid_vfio.ko not loaded, and IOASID_VFIO_MODULE names none");
	/* Loaded without type1: for the containers set from now on. */
	if (rc == -EPERM)
		rc = sysfs_write(TYPE1_PARAM, "1");
	ASSERT_EQ(0, rc);
	snprintf(self->bdf, sizeof(self->bdf), "%s", bdfs[0]);
	self->unsafe = set_unsafe_interrupts('1');
	ASSERT_TRUE(pci_bind_driver(self->bdf, "vfio-pci"));
}

FIXTURE_SETUP(fail_nth)
{
	char bdfs[4][16];
	int rc;

	self->module_knob.fd = -1;
	self->kernel_knob.fd = -1;
	self->memfd = -1;
	self->pool = -1;
	self->bdf[0] = '\0';
	if (access(IOASID_DEV, F_OK) || ioasid_read_counters(&self->start))
		SKIP(return, "ioasid.ko not loaded or debugfs not mounted");
	ASSERT_LE(0, fail_knob_open(&self->module_knob, false));
	/* Without its debugfs, the kernel's fail-nth would skip most points. */
	ASSERT_LE(0, fail_knob_open(&self->kernel_knob, true));
	if (self->module_knob.fd < 0 && self->kernel_knob.fd < 0)
		SKIP(return, "no fail-nth in the kernel, and no %s (%s)",
		     IOASID_FAIL_NTH, "CONFIG_IOMMU_IOASID_TEST=n");
	self->page = getpagesize();
	self->buf = mmap(NULL, NR_PAGES * self->page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	self->big_len = (PIN_BATCH(self->page) + 1) * self->page;
	if (self->big_len > BIG_MAX)
		self->big_len = BIG_MAX;
	self->big = big_buffer_alloc(self->big_len);
	ASSERT_NE(NULL, self->big);
	self->memfd = memfd_create("ioasid_fail_nth", MFD_CLOEXEC);
	ASSERT_LE(0, self->memfd);
	ASSERT_EQ(0, ftruncate(self->memfd, self->big_len));
	if (variant->mock) {
		int fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);

		ASSERT_LE(0, fd);
		rc = mock_available(fd);
		close(fd);
		if (!rc)
			SKIP(return, "ioasid.ko has no mock backend, or was loaded without mock=1");
	}
	if (variant->huge && !huge_setup(self))
		SKIP(return, "the pool of 2 MiB huge pages cannot grow by three");
	if (variant->vfio) {
		vfio_setup(_metadata, self);
		return;
	}
	if (!variant->device)
		return;
	if (find_edu(bdfs, 4) < 1)
		SKIP(return, "no edu device (1234:11e8) on this machine");
	snprintf(self->bdf, sizeof(self->bdf), "%s", bdfs[0]);
	self->unsafe = set_unsafe_interrupts('1');
	ASSERT_TRUE(pci_bind_driver(self->bdf, "ioasid_pci"));
	rc = probe_attach(self->bdf);
	if (rc == -EOPNOTSUPP) {
		/* The harness runs no teardown after a skipped setup. */
		pci_release(self->bdf);
		set_unsafe_interrupts(self->unsafe);
		SKIP(return, "the IOMMU gives this device no paging domain");
	}
	ASSERT_EQ(0, rc);
}

FIXTURE_TEARDOWN(fail_nth)
{
	struct ioasid_counters end;

	if (self->bdf[0]) {
		pci_release(self->bdf);
		set_unsafe_interrupts(self->unsafe);
	}
	if (self->module_knob.fd >= 0)
		close(self->module_knob.fd);
	if (self->kernel_knob.fd >= 0)
		close(self->kernel_knob.fd);
	if (self->memfd >= 0)
		close(self->memfd);
	if (self->pool >= 0) {
		munmap(self->huge, 3 * HUGE_SIZE);
		/* A folio pin left behind keeps its huge page in use. */
		EXPECT_EQ(self->huge_in_use, huge_pages_in_use());
		EXPECT_EQ(0, ioasid_set_huge_pool(self->pool));
	}
	if (self->start.contexts >= 0 && !ioasid_read_counters(&end))
		EXPECT_TRUE(ioasid_counters_equal(&self->start, &end));
	if (self->vfio_loaded)
		EXPECT_EQ(0, unload_ioasid_vfio());
}

/*
 * Open what a run of the sequence needs, unarmed.  (The fixture's type is
 * spelt out: checkpatch misreads FIXTURE_DATA(fail_nth) *self.)
 */
static void run_open(struct __test_metadata *_metadata,
		     struct _test_data_fail_nth *self,
		     const struct _fixture_variant_fail_nth *seq,
		     struct seq_state *s)
{
	*s = (struct seq_state){
		.devfd = -1,
		.nodefd = -1,
		.faultfd = -1,
		.group = -1,
		.container = -1,
		.memfd = self->memfd,
		.buf = self->buf,
		.big = self->big,
		.huge = self->huge,
		.page = self->page,
		.big_len = self->big_len,
		.bdf = self->bdf,
	};
	s->fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, s->fd);
	if (seq->device) {
		s->devfd = open_device_file(self->bdf);
		ASSERT_LE(0, s->devfd);
	}
	if (seq->vfio) {
		s->group = open_vfio_group(self->bdf);
		s->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, s->group);
		ASSERT_LE(0, s->container);
		ASSERT_EQ(0, ioctl(s->group, VFIO_GROUP_SET_CONTAINER,
				   &s->container));
	}
	if (seq->prepare)
		ASSERT_EQ(0, seq->prepare(s));
}

static const char *counters_str(const struct ioasid_counters *c, char *buf,
				size_t size)
{
	snprintf(buf, size,
		 "contexts %ld objects %ld pinned %ld accounted %ld domains %ld pasids %ld sva_binds %ld shares %ld nested %ld faults %ld",
		 c->contexts, c->objects, c->pinned_pages, c->accounted_pages,
		 c->domains, c->pasids, c->sva_binds, c->shares, c->nested,
		 c->faults);
	return buf;
}

static void assert_same(struct __test_metadata *_metadata,
			const struct ioasid_counters *a,
			const struct ioasid_counters *b, const char *what,
			unsigned int nth, int step)
{
	char sa[256], sb[256];

	ASSERT_TRUE(ioasid_counters_equal(a, b))
		TH_LOG("%s (run %u, step %d): %s, then %s", what, nth, step,
		       counters_str(a, sa, sizeof(sa)),
		       counters_str(b, sb, sizeof(sb)));
}

/*
 * One run with the Nth point failing.  Returns whether the failure was
 * reached; a step it fails must leave the counters as they were before it.
 */
static bool run_once(struct __test_metadata *_metadata,
		     struct _test_data_fail_nth *self,
		     const struct _fixture_variant_fail_nth *seq,
		     struct fail_knob *knob, unsigned int nth)
{
	struct ioasid_counters before, after;
	bool injected = false, armed;
	struct seq_state s;
	long left = nth;
	int i, rc;

	run_open(_metadata, self, seq, &s);
	for (i = 0; i < MAX_STEPS && seq->steps[i]; i++) {
		ASSERT_EQ(0, ioasid_read_counters(&before));
		armed = left && (!knob->kernel || kernel_may_fail(seq->steps[i]));
		if (armed)
			ASSERT_EQ(0, fail_knob_arm(knob, left));
		rc = seq->steps[i](&s);
		if (armed) {
			left = fail_knob_disarm(knob);
			ASSERT_LE(0, left);
			injected |= !left;
		}
		if (rc) {
			/* Only the failure injected in this step may stop it. */
			ASSERT_TRUE(armed && !left)
				TH_LOG("step %d failed: %d", i, rc);
			ASSERT_EQ(-ENOMEM, rc) TH_LOG("step %d", i);
			ASSERT_EQ(0, ioasid_read_counters(&after));
			assert_same(_metadata, &before, &after,
				    "a failed step left state behind", nth, i);
			break;
		}
	}
	if (s.devfd >= 0)
		close(s.devfd);
	if (s.nodefd >= 0)
		close(s.nodefd);
	if (s.faultfd >= 0)
		close(s.faultfd);
	if (s.group >= 0)
		close(s.group);
	if (s.container >= 0)
		close(s.container);
	close(s.fd);
	ASSERT_EQ(0, ioasid_read_counters(&after));
	assert_same(_metadata, &self->start, &after, "closing leaked", nth, i);
	return injected;
}

/*
 * Fail each point in turn; returns how many there were.  The kernel's
 * allocations on the way vary a little from run to run (slab refills, the
 * debug code's own), so the sequence must complete three times in a row.
 */
static unsigned int fail_each_point(struct __test_metadata *_metadata,
				    struct _test_data_fail_nth *self,
				    const struct _fixture_variant_fail_nth *seq,
				    struct fail_knob *knob)
{
	unsigned int nth, last = 0, misses = 0;

	for (nth = 1; nth < MAX_RUNS && misses < 3; nth++) {
		if (run_once(_metadata, self, seq, knob, nth)) {
			last = nth;
			misses = 0;
		} else {
			misses++;
		}
	}
	ASSERT_LT(nth, MAX_RUNS);
	/* At least one point was failed before the sequence completed. */
	ASSERT_LT(0, last);
	ksft_print_msg("fail-nth %s: %u points failed in turn (%s)\n",
		       seq->name, last, knob->name);
	return last;
}

/*
 * A device sequence under the kernel's fail-nth has a few hundred points,
 * and each run binds and attaches afresh: minutes on a debug kernel (KASAN,
 * lockdep) under TCG.
 */
TEST_F_TIMEOUT(fail_nth, every_failure_is_undone, 1200)
{
	if (self->module_knob.fd >= 0)
		fail_each_point(_metadata, self, variant, &self->module_knob);
	if (self->kernel_knob.fd >= 0)
		fail_each_point(_metadata, self, variant, &self->kernel_knob);
}

TEST_HARNESS_MAIN
