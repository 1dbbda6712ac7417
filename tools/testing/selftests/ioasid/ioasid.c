// SPDX-License-Identifier: GPL-2.0
/*
 * IO address spaces with no device: the object model, MAP / UNMAP / COPY,
 * the IOVA ranges, pinning and its charging, and bad input of every kind.
 *
 * Every fixture reads the module counters at setup and checks at teardown,
 * after closing its file, that they are back where they started: whatever a
 * test leaves mapped, closing releases.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "ioasid_utils.h"

static unsigned long page_size;
static unsigned long huge_size;

__attribute__((constructor)) static void read_page_sizes(void)
{
	char buf[32];

	page_size = sysconf(_SC_PAGESIZE);
	huge_size = 2UL << 20;
	if (ioasid_read_file("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size",
			     buf, sizeof(buf)) > 0)
		huge_size = strtoul(buf, NULL, 10);
}

/* Anonymous memory aligned to huge_size, populated, as 4K or huge pages. */
static void *buffer_alloc(size_t size, bool huge)
{
	size_t span = size + huge_size;
	uintptr_t start, aligned;
	void *p;

	p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	start = (uintptr_t)p;
	aligned = (start + huge_size - 1) & ~(huge_size - 1);
	if (aligned != start)
		munmap(p, aligned - start);
	munmap((void *)(aligned + size), start + span - aligned - size);
	madvise((void *)aligned, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	memset((void *)aligned, 0xa5, size);
	return (void *)aligned;
}

/* The pin and charge counters are @pinned and @accounted above @start. */
static void assert_counters(struct __test_metadata *_metadata,
			    const struct ioasid_counters *start, long pinned,
			    long accounted)
{
	struct ioasid_counters now;

	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(start->pinned_pages + pinned, now.pinned_pages);
	ASSERT_EQ(start->accounted_pages + accounted, now.accounted_pages);
}

#define ASSERT_COUNTERS(start, pinned, accounted) \
	assert_counters(_metadata, start, pinned, accounted)

/*
 * VmPin in kB (the mm's pinned_vm) from an open /proc/PID/status, read anew
 * from its start (no stdio: it would serve an old buffer), or -1.
 */
static long status_vmpin_kb(int status)
{
	char buf[4096], *line;
	ssize_t len;
	long kb;

	len = pread(status, buf, sizeof(buf) - 1, 0);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	line = strstr(buf, "\nVmPin:");
	if (!line || sscanf(line, "\nVmPin: %ld kB", &kb) != 1)
		return -1;
	return kb;
}

/* VmPin of the calling process in kB, or -1. */
static long vmpin_kb(void)
{
	int status;
	long kb;

	status = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (status < 0)
		return -1;
	kb = status_vmpin_kb(status);
	close(status);
	return kb;
}

/* The kB of VmPin that @npages pinned pages add. */
#define PAGES_KB(npages) ((long)((npages) * (page_size / 1024)))

static void skip_unless_loaded(struct __test_metadata *_metadata,
			       struct ioasid_counters *start)
{
	if (access(IOASID_DEV, F_OK) || ioasid_read_counters(start))
		SKIP(return, "ioasid.ko not loaded or debugfs not mounted");
}

/* A bare context. */
FIXTURE(ioasid) {
	int fd;
	struct ioasid_counters start;
};

FIXTURE_SETUP(ioasid)
{
	self->fd = -1;
	skip_unless_loaded(_metadata, &self->start);
	self->fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(ioasid)
{
	struct ioasid_counters end;

	if (self->fd < 0)
		return;
	close(self->fd);
	ASSERT_EQ(0, ioasid_read_counters(&end));
	ASSERT_TRUE(ioasid_counters_equal(&self->start, &end));
}

TEST_F(ioasid, ioas_alloc_and_destroy)
{
	struct ioasid_counters now;
	__u32 id1, id2;

	ASSERT_EQ(0, ioas_alloc(self->fd, &id1));
	ASSERT_EQ(0, ioas_alloc(self->fd, &id2));
	ASSERT_NE(0, id1);
	ASSERT_NE(id1, id2);
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(self->start.objects + 2, now.objects);

	ASSERT_EQ(0, ioasid_destroy(self->fd, id1));
	ASSERT_EQ(-ENOENT, ioasid_destroy(self->fd, id1));
	ASSERT_EQ(0, ioasid_destroy(self->fd, id2));
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(self->start.objects, now.objects);
}

TEST_F(ioasid, ids_do_not_cross_contexts)
{
	__u64 iova = 0;
	__u32 id, other_id;
	void *buf;
	int fd2;

	buf = buffer_alloc(page_size, false);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioas_alloc(self->fd, &id));
	fd2 = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);

	ASSERT_EQ(-ENOENT, ioasid_destroy(fd2, id));
	ASSERT_EQ(-ENOENT, ioas_map(fd2, id, buf, page_size, &iova, MAP_RW));
	/* The other context numbers its own objects from 1 too. */
	ASSERT_EQ(0, ioas_alloc(fd2, &other_id));
	ASSERT_EQ(id, other_id);
	ASSERT_EQ(0, ioasid_destroy(fd2, other_id));
	ASSERT_EQ(0, ioas_map(self->fd, id, buf, page_size, &iova, MAP_RW));
	close(fd2);
	munmap(buf, page_size);
}

TEST_F(ioasid, bad_ids)
{
	__u64 unmapped;

	ASSERT_EQ(-ENOENT, ioasid_destroy(self->fd, 0));
	ASSERT_EQ(-ENOENT, ioasid_destroy(self->fd, 12345));
	ASSERT_EQ(-ENOENT, ioasid_destroy(self->fd, UINT32_MAX));
	ASSERT_EQ(-ENOENT, ioas_unmap_all(self->fd, 1, &unmapped));
}

/* A command struct with room past its end, to test the size rules. */
struct alloc_plus {
	struct ioasid_ioas_alloc cmd;
	__u64 tail;
};

TEST_F(ioasid, struct_size_rules)
{
	struct alloc_plus buf = {};

	/* Below the first version of the struct. */
	buf.cmd.size = 0;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_IOAS_ALLOC, &buf));
	buf.cmd.size = offsetof(struct ioasid_ioas_alloc, out_ioas_id);
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_IOAS_ALLOC, &buf));

	/* Longer, from a newer caller: fine while the tail is zero. */
	buf.cmd.size = sizeof(buf);
	ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_IOAS_ALLOC, &buf));
	ASSERT_NE(0, buf.cmd.out_ioas_id);
	ASSERT_EQ(0, buf.tail);
	ASSERT_EQ(0, ioasid_destroy(self->fd, buf.cmd.out_ioas_id));

	buf.tail = 1;
	ASSERT_EQ(-E2BIG, ioasid_ioctl(self->fd, IOASID_IOAS_ALLOC, &buf));
}

/* The first version of each command struct, as ioasid.rst lists it. */
static const struct first_version first_versions[] = {
	{ IOASID_DESTROY, 16, sizeof(struct ioasid_destroy) },
	{ IOASID_IOAS_ALLOC, 16, sizeof(struct ioasid_ioas_alloc) },
	{ IOASID_IOAS_MAP, 40, sizeof(struct ioasid_ioas_map) },
	{ IOASID_IOAS_UNMAP, 32, sizeof(struct ioasid_ioas_unmap) },
	{ IOASID_IOAS_COPY, 40, sizeof(struct ioasid_ioas_copy) },
	{ IOASID_IOAS_IOVA_RANGES, 24, sizeof(struct ioasid_ioas_iova_ranges) },
	{ IOASID_IOAS_ALLOW_IOVAS, 24, sizeof(struct ioasid_ioas_allow_iovas) },
	{ IOASID_DEVICE_ATTACH, 16, sizeof(struct ioasid_device_attach) },
	{ IOASID_DEVICE_DETACH, 16, sizeof(struct ioasid_device_detach) },
	{ IOASID_DEVICE_INFO, 96, sizeof(struct ioasid_device_info) },
	{ IOASID_IOAS_INFO, 72, sizeof(struct ioasid_ioas_info) },
	{ IOASID_IOAS_ENABLE, 32, sizeof(struct ioasid_ioas_enable) },
	{ IOASID_IOAS_FEATURES, 24, sizeof(struct ioasid_ioas_features) },
	{ IOASID_TAKE_OWNERSHIP, 24, sizeof(struct ioasid_take_ownership) },
	{ IOASID_UADDR_INVALIDATE, 24, sizeof(struct ioasid_uaddr_invalidate) },
	{ IOASID_UADDR_SUPPLY, 40, sizeof(struct ioasid_uaddr_supply) },
	{ IOASID_OBJECTS, 32, sizeof(struct ioasid_objects) },
	{ IOASID_IOAS_MAPPINGS, 40, sizeof(struct ioasid_ioas_mappings) },
	{ IOASID_IOAS_MAP_FILE, 40, sizeof(struct ioasid_ioas_map_file) },
	{ IOASID_DEVICE_SHARE, 24, sizeof(struct ioasid_device_share) },
	{ IOASID_HWPT_ALLOC, 56, sizeof(struct ioasid_hwpt_alloc) },
	{ IOASID_HWPT_INVALIDATE, 40, sizeof(struct ioasid_hwpt_invalidate) },
	{ IOASID_FAULT_ALLOC, 24, sizeof(struct ioasid_fault_alloc) },
	{ IOASID_IOAS_DIRTY_TRACKING, 16,
	  sizeof(struct ioasid_ioas_dirty_tracking) },
	{ IOASID_IOAS_DIRTY_BITMAP, 48, sizeof(struct ioasid_ioas_dirty_bitmap) },
	{ IOASID_IOAS_MAP_BATCH, 32, sizeof(struct ioasid_ioas_batch) },
	{ IOASID_IOAS_UNMAP_BATCH, 32, sizeof(struct ioasid_ioas_batch) },
};

/* Each command takes its first version and nothing shorter. */
TEST_F(ioasid, first_versions_are_as_documented)
{
	ASSERT_EQ(-1, first_version_misfit(self->fd, first_versions,
					   ARRAY_SIZE(first_versions)));
}

TEST_F(ioasid, unreadable_and_unwritable_structs)
{
	struct ioasid_counters now;
	struct ioasid_ioas_alloc *ro;

	ASSERT_EQ(-EFAULT, ioasid_ioctl(self->fd, IOASID_IOAS_ALLOC, NULL));

	/* Readable but not writable: the object must not survive. */
	ro = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ro->size = sizeof(*ro);
	ASSERT_EQ(0, mprotect(ro, page_size, PROT_READ));
	ASSERT_EQ(-EFAULT, ioasid_ioctl(self->fd, IOASID_IOAS_ALLOC, ro));
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(self->start.objects, now.objects);
	munmap(ro, page_size);
}

TEST_F(ioasid, unknown_commands)
{
	struct ioasid_destroy cmd = { .size = sizeof(cmd) };

	ASSERT_EQ(-ENOTTY, ioasid_ioctl(self->fd,
					_IO(IOASID_TYPE, IOASID_CMD_BASE + 100),
					&cmd));
	ASSERT_EQ(-ENOTTY, ioasid_ioctl(self->fd,
					_IO(IOASID_TYPE, IOASID_CMD_BASE - 1),
					&cmd));
	/* A known number with another encoding is not that command. */
	ASSERT_EQ(-ENOTTY, ioasid_ioctl(self->fd,
					_IOW(IOASID_TYPE, IOASID_CMD_DESTROY,
					     struct ioasid_destroy), &cmd));
}

TEST_F(ioasid, unknown_flags_and_reserved_fields)
{
	struct ioasid_ioas_iova_ranges ranges = { .size = sizeof(ranges) };
	struct ioasid_ioas_allow_iovas allow = { .size = sizeof(allow) };
	struct ioasid_ioas_unmap unmap = { .size = sizeof(unmap) };
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct ioasid_ioas_copy copy = { .size = sizeof(copy) };
	struct ioasid_ioas_map map = { .size = sizeof(map) };
	struct ioasid_destroy destroy = { .size = sizeof(destroy) };
	__u32 id;

	ASSERT_EQ(0, ioas_alloc(self->fd, &id));

	destroy.flags = 1U << 31;
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_DESTROY, &destroy));
	destroy.flags = 0;
	destroy.id = id;
	destroy.__reserved = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_DESTROY, &destroy));

	alloc.flags = 1U << 31;
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_IOAS_ALLOC, &alloc));
	alloc.flags = 0;
	alloc.__reserved = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_IOAS_ALLOC, &alloc));

	map.ioas_id = id;
	map.length = page_size;
	map.flags = MAP_RW | 1U << 31;
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_IOAS_MAP, &map));
	map.flags = MAP_RW;
	map.__reserved = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_IOAS_MAP, &map));

	unmap.ioas_id = id;
	unmap.flags = 1U << 31;
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_IOAS_UNMAP, &unmap));
	unmap.flags = IOASID_IOAS_UNMAP_ALL;
	unmap.__reserved = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_IOAS_UNMAP, &unmap));

	copy.dst_ioas_id = id;
	copy.src_ioas_id = id;
	copy.length = page_size;
	copy.flags = MAP_RW | 1U << 31;
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_IOAS_COPY, &copy));

	ranges.ioas_id = id;
	ranges.flags = 1U << 31;
	ASSERT_EQ(-EOPNOTSUPP,
		  ioasid_ioctl(self->fd, IOASID_IOAS_IOVA_RANGES, &ranges));

	allow.ioas_id = id;
	allow.flags = 1U << 31;
	ASSERT_EQ(-EOPNOTSUPP,
		  ioasid_ioctl(self->fd, IOASID_IOAS_ALLOW_IOVAS, &allow));
}

TEST_F(ioasid, iova_ranges_default_is_everything)
{
	struct ioasid_ioas_iova_ranges cmd = { .size = sizeof(cmd) };
	struct ioasid_iova_range range;
	__u32 id;

	ASSERT_EQ(0, ioas_alloc(self->fd, &id));
	cmd.ioas_id = id;
	cmd.num_iovas = 1;
	cmd.allowed_iovas = (uintptr_t)&range;
	ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_IOAS_IOVA_RANGES, &cmd));
	ASSERT_EQ(1, cmd.num_iovas);
	ASSERT_EQ(0, range.start);
	ASSERT_EQ(UINT64_MAX, range.last);
	ASSERT_EQ(page_size, cmd.out_iova_alignment);
}

/* The first version of IOVA_RANGES had no out_iova_alignment. */
TEST_F(ioasid, iova_ranges_from_an_older_caller)
{
	struct {
		struct ioasid_ioas_iova_ranges cmd;
	} buf;
	struct ioasid_iova_range range;
	__u32 id;

	ASSERT_EQ(0, ioas_alloc(self->fd, &id));
	memset(&buf, 0x5a, sizeof(buf));
	buf.cmd.size = offsetof(struct ioasid_ioas_iova_ranges,
				out_iova_alignment);
	buf.cmd.flags = 0;
	buf.cmd.ioas_id = id;
	buf.cmd.num_iovas = 1;
	buf.cmd.allowed_iovas = (uintptr_t)&range;
	ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_IOAS_IOVA_RANGES, &buf));
	ASSERT_EQ(1, buf.cmd.num_iovas);
	ASSERT_EQ(UINT64_MAX, range.last);
	/* Nothing written past the size the caller gave. */
	ASSERT_EQ(0x5a5a5a5a5a5a5a5aULL, buf.cmd.out_iova_alignment);
}

/* The count costs no allocation: ranges are read as they are used. */
TEST_F(ioasid, allow_iovas_of_absurd_count)
{
	__u32 id;

	ASSERT_EQ(0, ioas_alloc(self->fd, &id));
	ASSERT_EQ(-EFAULT, ioas_allow_iovas(self->fd, id, NULL, UINT32_MAX));
}

/* An IOAS and a buffer of four huge pages, as 4K pages or huge pages. */
FIXTURE(ioas) {
	int fd;
	__u32 ioas_id;
	char *buf;
	size_t size;
	unsigned long npages;
	struct ioasid_counters start;
};

FIXTURE_VARIANT(ioas) {
	bool huge;
};

FIXTURE_VARIANT_ADD(ioas, small_pages) {
	.huge = false,
};

FIXTURE_VARIANT_ADD(ioas, huge_pages) {
	.huge = true,
};

FIXTURE_SETUP(ioas)
{
	self->fd = -1;
	skip_unless_loaded(_metadata, &self->start);
	self->size = 4 * huge_size;
	self->npages = self->size / page_size;
	self->buf = buffer_alloc(self->size, variant->huge);
	ASSERT_NE(NULL, self->buf);
	self->fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
}

FIXTURE_TEARDOWN(ioas)
{
	struct ioasid_counters end;

	if (self->fd < 0)
		return;
	close(self->fd);
	munmap(self->buf, self->size);
	ASSERT_EQ(0, ioasid_read_counters(&end));
	ASSERT_TRUE(ioasid_counters_equal(&self->start, &end));
}

/* A fixed IOVA clear of everything the tests map by default. */
#define FIXED_IOVA(n) ((__u64)(n) * 64 * huge_size)

TEST_F(ioas, map_fixed_then_unmap)
{
	__u64 iova = FIXED_IOVA(1), unmapped;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->size,
			      &iova, MAP_FIXED_RW));
	ASSERT_EQ(FIXED_IOVA(1), iova);
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, self->size,
				&unmapped));
	ASSERT_EQ(self->size, unmapped);
	ASSERT_COUNTERS(&self->start, 0, 0);
}

TEST_F(ioas, kernel_iova_keeps_huge_page_phase)
{
	__u64 whole = 0, offset = 0, small = 0, unmapped;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->size,
			      &whole, MAP_RW));
	ASSERT_EQ(0, whole % huge_size);

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf + page_size,
			      2 * huge_size, &offset, MAP_RW));
	ASSERT_EQ(page_size, offset % huge_size);

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, page_size,
			      &small, MAP_RW));
	ASSERT_EQ(0, small % page_size);

	/* Three distinct ranges: no overlap between kernel choices. */
	ASSERT_TRUE(offset >= whole + self->size ||
		    offset + 2 * huge_size <= whole);
	ASSERT_TRUE(small >= whole + self->size || small + page_size <= whole);
	ASSERT_TRUE(small >= offset + 2 * huge_size ||
		    small + page_size <= offset);
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, &unmapped));
	ASSERT_EQ(self->size + 2 * huge_size + page_size, unmapped);
}

TEST_F(ioas, kernel_iova_ignores_the_input_iova)
{
	__u64 iova = 1;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, page_size,
			      &iova, MAP_RW));
	ASSERT_EQ(0, iova % page_size);
}

TEST_F(ioas, map_rejects_bad_ranges)
{
	__u64 iova;

	iova = 0;
	ASSERT_EQ(-EINVAL, ioas_map(self->fd, self->ioas_id, self->buf, 0,
				    &iova, MAP_RW));
	ASSERT_EQ(-EINVAL, ioas_map(self->fd, self->ioas_id, self->buf + 1,
				    page_size, &iova, MAP_RW));
	ASSERT_EQ(-EINVAL, ioas_map(self->fd, self->ioas_id, self->buf,
				    page_size + 1, &iova, MAP_RW));
	iova = FIXED_IOVA(1) + 1;
	ASSERT_EQ(-EINVAL, ioas_map(self->fd, self->ioas_id, self->buf,
				    page_size, &iova, MAP_FIXED_RW));
	iova = 0;
	ASSERT_EQ(-EINVAL, ioas_map(self->fd, self->ioas_id, self->buf,
				    page_size, &iova,
				    IOASID_IOAS_MAP_FIXED_IOVA));

	/* user_va + length and iova + length must not wrap. */
	ASSERT_EQ(-EOVERFLOW, ioas_map(self->fd, self->ioas_id,
				       (void *)-page_size, 2 * page_size,
				       &iova, MAP_RW));
	iova = -page_size;
	ASSERT_EQ(-EOVERFLOW, ioas_map(self->fd, self->ioas_id, self->buf,
				       2 * page_size, &iova, MAP_FIXED_RW));
	/* The very last page of the IOVA space is fine. */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, page_size,
			      &iova, MAP_FIXED_RW));
	ASSERT_COUNTERS(&self->start, 1, 1);
}

TEST_F(ioas, map_overlapping_fixed_iova)
{
	__u64 iova = FIXED_IOVA(1);

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf,
			      4 * page_size, &iova, MAP_FIXED_RW));
	iova = FIXED_IOVA(1) + 3 * page_size;
	ASSERT_EQ(-EEXIST, ioas_map(self->fd, self->ioas_id, self->buf,
				    4 * page_size, &iova, MAP_FIXED_RW));
	iova = FIXED_IOVA(1) - page_size;
	ASSERT_EQ(-EEXIST, ioas_map(self->fd, self->ioas_id, self->buf,
				    2 * page_size, &iova, MAP_FIXED_RW));
	/* The failures pinned nothing. */
	ASSERT_COUNTERS(&self->start, 4, 4);

	iova = FIXED_IOVA(1) + 4 * page_size;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf,
			      page_size, &iova, MAP_FIXED_RW));
	iova = FIXED_IOVA(1) - page_size;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf,
			      page_size, &iova, MAP_FIXED_RW));
}

/*
 * A fixed IOVA taken, or not allowed, fails before the memory is pinned:
 * memory that is not there is not the error, as with VFIO type1.
 */
TEST_F(ioas, fixed_iova_is_checked_before_the_memory)
{
	struct ioasid_iova_range allowed = {
		.start = FIXED_IOVA(0),
		.last = FIXED_IOVA(4) - 1,
	};
	__u64 iova = FIXED_IOVA(1);
	char *none;

	none = mmap(NULL, page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, page_size,
			      &iova, MAP_FIXED_RW));
	ASSERT_EQ(-EEXIST, ioas_map(self->fd, self->ioas_id, none, page_size,
				    &iova, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_allow_iovas(self->fd, self->ioas_id, &allowed, 1));
	iova = FIXED_IOVA(8);
	ASSERT_EQ(-ERANGE, ioas_map(self->fd, self->ioas_id, none, page_size,
				    &iova, MAP_FIXED_RW));
	iova = FIXED_IOVA(2);
	ASSERT_EQ(-EFAULT, ioas_map(self->fd, self->ioas_id, none, page_size,
				    &iova, MAP_FIXED_RW));
	ASSERT_COUNTERS(&self->start, 1, 1);
	munmap(none, page_size);
}

TEST_F(ioas, map_unmapped_user_memory)
{
	__u64 iova = 0;
	char *mem;

	mem = mmap(NULL, 4 * page_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, munmap(mem + 2 * page_size, page_size));
	ASSERT_EQ(-EFAULT, ioas_map(self->fd, self->ioas_id, mem,
				    4 * page_size, &iova, MAP_RW));
	ASSERT_COUNTERS(&self->start, 0, 0);
	munmap(mem, 4 * page_size);
}

/*
 * What can be mapped: private and shared anonymous memory, and a memfd,
 * each pinned and charged once.  (What cannot be pinned for long fails
 * with -EFAULT, as an address with nothing there does: ioasid_pci maps a
 * BAR mapping for that.)
 */
TEST_F(ioas, memory_that_maps)
{
	size_t len = 4 * page_size;
	__u64 iova = 0;
	char *shared, *file;
	int memfd;

	shared = mmap(NULL, len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared);
	memset(shared, 1, len);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, shared, len, &iova,
			      MAP_RW));
	memfd = memfd_create("ioasid-map", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, len));
	file = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, file);
	memset(file, 2, len);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, file, len, &iova,
			      MAP_RW));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, len, &iova,
			      MAP_RW));
	ASSERT_COUNTERS(&self->start, 12, 12);
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, NULL));
	munmap(file, len);
	close(memfd);
	munmap(shared, len);
}

TEST_F(ioas, map_read_only_memory)
{
	__u64 iova = 0;
	char *mem;

	mem = mmap(NULL, 2 * page_size, PROT_READ,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(-EFAULT, ioas_map(self->fd, self->ioas_id, mem,
				    2 * page_size, &iova, MAP_RW));
	ASSERT_COUNTERS(&self->start, 0, 0);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, mem, 2 * page_size,
			      &iova, IOASID_IOAS_MAP_READABLE));
	ASSERT_COUNTERS(&self->start, 2, 2);
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, NULL));
	munmap(mem, 2 * page_size);
}

TEST_F(ioas, unmap_refuses_to_cut_a_mapping)
{
	__u64 iova = FIXED_IOVA(1), unmapped = 0;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->size,
			      &iova, MAP_FIXED_RW));
	ASSERT_EQ(-EINVAL, ioas_unmap(self->fd, self->ioas_id, iova, page_size,
				      &unmapped));
	ASSERT_EQ(-EINVAL, ioas_unmap(self->fd, self->ioas_id,
				      iova + page_size, self->size, &unmapped));
	ASSERT_EQ(-EINVAL, ioas_unmap(self->fd, self->ioas_id,
				      iova - page_size, self->size, &unmapped));
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova - page_size,
				self->size + 2 * page_size, &unmapped));
	ASSERT_EQ(self->size, unmapped);
	ASSERT_COUNTERS(&self->start, 0, 0);
}

TEST_F(ioas, unmap_several_mappings_at_once)
{
	__u64 a = FIXED_IOVA(1), b = FIXED_IOVA(2), c = FIXED_IOVA(3);
	__u64 unmapped;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, page_size,
			      &a, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, huge_size,
			      &b, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, page_size,
			      &c, MAP_FIXED_RW));
	/* [a, c) holds the first two whole, and not the third. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, a, c - a, &unmapped));
	ASSERT_EQ(page_size + huge_size, unmapped);
	ASSERT_EQ(-ENOENT, ioas_unmap(self->fd, self->ioas_id, a, c - a,
				      &unmapped));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, c, page_size,
				&unmapped));
	ASSERT_EQ(page_size, unmapped);
}

TEST_F(ioas, unmap_rejects_bad_ranges)
{
	ASSERT_EQ(-ENOENT, ioas_unmap(self->fd, self->ioas_id, FIXED_IOVA(1),
				      page_size, NULL));
	ASSERT_EQ(-EINVAL, ioas_unmap(self->fd, self->ioas_id, FIXED_IOVA(1),
				      0, NULL));
	ASSERT_EQ(-EINVAL, ioas_unmap(self->fd, self->ioas_id,
				      FIXED_IOVA(1) + 1, page_size, NULL));
	ASSERT_EQ(-EINVAL, ioas_unmap(self->fd, self->ioas_id, FIXED_IOVA(1),
				      page_size - 1, NULL));
	ASSERT_EQ(-EOVERFLOW, ioas_unmap(self->fd, self->ioas_id, -page_size,
					 2 * page_size, NULL));
}

/* A range of a batch: @n pages of the buffer from page @first, at @iova. */
static struct ioasid_batch_range batch_range(struct _test_data_ioas *self,
					     unsigned long first,
					     unsigned long n, __u64 iova)
{
	return (struct ioasid_batch_range){
		.flags = MAP_RW,
		.user_va = (__u64)(uintptr_t)(self->buf + first * page_size),
		.length = n * page_size,
		.iova = iova,
	};
}

/*
 * One MAP_BATCH makes a mapping of each range, sharing the pins of memory
 * two ranges name; one UNMAP_BATCH, its ranges in any order, removes them.
 */
TEST_F(ioas, map_batch_maps_each_range_and_unmap_batch_removes_them)
{
	struct ioasid_batch_range ranges[3] = {
		batch_range(self, 0, 2, FIXED_IOVA(2)),
		batch_range(self, 1, 2, FIXED_IOVA(1)),
		batch_range(self, 8, 1, FIXED_IOVA(3)),
	};
	struct ioasid_batch_range gone[2] = {
		{ .iova = FIXED_IOVA(3), .length = huge_size },
		{ .iova = FIXED_IOVA(1), .length = 2 * huge_size },
	};
	__u64 iova = FIXED_IOVA(2);
	__u32 failed = 0;

	ASSERT_EQ(0, ioas_map_batch(self->fd, self->ioas_id, ranges, 3,
				    &failed));
	ASSERT_EQ(3, failed);
	/* Pages 0 to 2 and page 8, pinned once. */
	ASSERT_COUNTERS(&self->start, 4, 4);
	/* Each range is a mapping of its own: an UNMAP may not cut one. */
	ASSERT_EQ(-EEXIST, ioas_map(self->fd, self->ioas_id, self->buf,
				    page_size, &iova, MAP_FIXED_RW));
	ASSERT_EQ(-EINVAL, ioas_unmap(self->fd, self->ioas_id, FIXED_IOVA(2),
				      page_size, NULL));
	/* The second range of the unmap holds the first two mappings. */
	gone[1].length = FIXED_IOVA(2) - FIXED_IOVA(1) + 2 * page_size;
	ASSERT_EQ(0, ioas_unmap_batch(self->fd, self->ioas_id, gone, 2,
				      &failed));
	ASSERT_EQ(2, failed);
	ASSERT_COUNTERS(&self->start, 0, 0);
	ASSERT_EQ(-ENOENT, ioas_unmap(self->fd, self->ioas_id, 0, -page_size,
				      NULL));
}

/*
 * A range that fails anywhere in a MAP_BATCH leaves nothing of the batch
 * mapped, pinned or charged, and out_failed names it: ranges checked
 * before the memory is pinned, memory that cannot be pinned, and IOVAs
 * that two ranges of the batch share.
 */
TEST_F(ioas, map_batch_is_all_or_nothing)
{
	struct ioasid_batch_range ranges[3] = {
		batch_range(self, 0, 1, FIXED_IOVA(1)),
		batch_range(self, 1, 1, FIXED_IOVA(2)),
		batch_range(self, 2, 1, FIXED_IOVA(3)),
	};
	__u64 iova = FIXED_IOVA(4);
	__u32 failed;

	ranges[2].length = page_size - 1;
	ASSERT_EQ(-EINVAL, ioas_map_batch(self->fd, self->ioas_id, ranges, 3,
					  &failed));
	ASSERT_EQ(2, failed);
	ranges[2].length = page_size;
	ranges[1].flags = 0;
	ASSERT_EQ(-EINVAL, ioas_map_batch(self->fd, self->ioas_id, ranges, 3,
					  &failed));
	ASSERT_EQ(1, failed);
	ranges[1].flags = IOASID_IOAS_MAP_FIXED_IOVA | MAP_RW;
	ASSERT_EQ(-EOPNOTSUPP, ioas_map_batch(self->fd, self->ioas_id, ranges,
					      3, &failed));
	ASSERT_EQ(1, failed);
	ranges[1].flags = MAP_RW;
	ranges[1].__reserved = 1;
	ASSERT_EQ(-EINVAL, ioas_map_batch(self->fd, self->ioas_id, ranges, 3,
					  &failed));
	ASSERT_EQ(1, failed);
	ranges[1].__reserved = 0;
	ranges[0].iova = -page_size;
	ranges[0].length = 2 * page_size;
	ASSERT_EQ(-EOVERFLOW, ioas_map_batch(self->fd, self->ioas_id, ranges,
					     3, &failed));
	ASSERT_EQ(0, failed);
	ranges[0].iova = FIXED_IOVA(1);
	ranges[0].length = page_size;
	/* A mapping in the way of the last range. */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, page_size,
			      &iova, MAP_FIXED_RW));
	ranges[2].iova = FIXED_IOVA(4);
	ASSERT_EQ(-EEXIST, ioas_map_batch(self->fd, self->ioas_id, ranges, 3,
					  &failed));
	ASSERT_EQ(2, failed);
	ASSERT_COUNTERS(&self->start, 1, 1);
	/*
	 * The last range overlaps the first: found before any memory is
	 * pinned, the middle range's, which is not there, included.
	 */
	ranges[2].iova = FIXED_IOVA(1);
	ranges[1].user_va = 0;
	ASSERT_EQ(-EEXIST, ioas_map_batch(self->fd, self->ioas_id, ranges, 3,
					  &failed));
	ASSERT_EQ(2, failed);
	ASSERT_COUNTERS(&self->start, 1, 1);
	ranges[1].user_va = (__u64)(uintptr_t)(self->buf + page_size);
	/* Memory that is not there, after two ranges pinned theirs. */
	ranges[2].iova = FIXED_IOVA(3);
	ranges[2].user_va = 0;
	ASSERT_EQ(-EFAULT, ioas_map_batch(self->fd, self->ioas_id, ranges, 3,
					  &failed));
	ASSERT_EQ(2, failed);
	ASSERT_COUNTERS(&self->start, 1, 1);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, FIXED_IOVA(4),
				page_size, NULL));
	ASSERT_EQ(-ENOENT, ioas_unmap(self->fd, self->ioas_id, 0, -page_size,
				      NULL));
}

/* The checks of the batch itself, and of the ranges of an UNMAP_BATCH. */
TEST_F(ioas, batches_reject_bad_input)
{
	struct ioasid_batch_range map = batch_range(self, 0, 1, FIXED_IOVA(1));
	struct ioasid_batch_range ranges[2] = {
		{ .iova = FIXED_IOVA(1), .length = page_size },
		{ .iova = FIXED_IOVA(2), .length = page_size },
	};
	struct ioasid_ioas_batch cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.num = 1,
		.ranges = (__u64)(uintptr_t)&map,
	};
	__u32 failed;

	cmd.flags = 1;
	cmd.out_failed = 7;
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_IOAS_MAP_BATCH,
					    &cmd));
	ASSERT_EQ(1, cmd.out_failed);
	cmd.flags = 0;
	cmd.__reserved = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_IOAS_MAP_BATCH, &cmd));
	cmd.__reserved = 0;
	cmd.num = 0;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_IOAS_MAP_BATCH, &cmd));
	cmd.num = IOASID_BATCH_MAX + 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_IOAS_UNMAP_BATCH,
					&cmd));
	cmd.num = 1;
	cmd.ranges = 8;
	cmd.out_failed = 7;
	ASSERT_EQ(-EFAULT, ioasid_ioctl(self->fd, IOASID_IOAS_MAP_BATCH, &cmd));
	ASSERT_EQ(1, cmd.out_failed);
	cmd.ranges = (__u64)(uintptr_t)&map;
	cmd.ioas_id = 0;
	ASSERT_EQ(-ENOENT, ioasid_ioctl(self->fd, IOASID_IOAS_MAP_BATCH, &cmd));
	ASSERT_EQ(1, cmd.out_failed);

	ASSERT_EQ(0, ioas_map_batch(self->fd, self->ioas_id, &map, 1, &failed));
	/* Nothing at the second: -ENOENT, and the first stays. */
	ASSERT_EQ(-ENOENT, ioas_unmap_batch(self->fd, self->ioas_id, ranges, 2,
					    &failed));
	ASSERT_EQ(1, failed);
	/* The range named is the caller's, not its place in IOVA order. */
	ranges[1].iova = FIXED_IOVA(1) - page_size;
	ASSERT_EQ(-ENOENT, ioas_unmap_batch(self->fd, self->ioas_id, ranges, 2,
					    &failed));
	ASSERT_EQ(1, failed);
	ranges[1].iova = FIXED_IOVA(2);
	ranges[1].iova = FIXED_IOVA(1);
	ASSERT_EQ(-EINVAL, ioas_unmap_batch(self->fd, self->ioas_id, ranges, 2,
					    &failed));
	ASSERT_EQ(1, failed);
	ranges[1].iova = FIXED_IOVA(2);
	ranges[1].user_va = page_size;
	ASSERT_EQ(-EINVAL, ioas_unmap_batch(self->fd, self->ioas_id, ranges, 2,
					    &failed));
	ASSERT_EQ(1, failed);
	ranges[1].user_va = 0;
	ranges[1].flags = IOASID_IOAS_MAP_READABLE;
	ASSERT_EQ(-EOPNOTSUPP, ioas_unmap_batch(self->fd, self->ioas_id,
						ranges, 2, &failed));
	ASSERT_EQ(1, failed);
	ranges[1].flags = 0;
	ranges[1].length = 0;
	ASSERT_EQ(-EINVAL, ioas_unmap_batch(self->fd, self->ioas_id, ranges, 2,
					    &failed));
	ASSERT_EQ(1, failed);
	ranges[1].length = page_size;
	ranges[0].length = page_size / 2;
	ASSERT_EQ(-EINVAL, ioas_unmap_batch(self->fd, self->ioas_id, ranges, 1,
					    &failed));
	ASSERT_EQ(0, failed);
	ASSERT_COUNTERS(&self->start, 1, 1);
	ranges[0].length = page_size;
	ASSERT_EQ(0, ioas_unmap_batch(self->fd, self->ioas_id, ranges, 1,
				      &failed));
	ASSERT_COUNTERS(&self->start, 0, 0);
}

/* An UNMAP_BATCH whose range would cut a mapping unmaps nothing. */
TEST_F(ioas, unmap_batch_refuses_to_cut_a_mapping)
{
	struct ioasid_batch_range ranges[2] = {
		batch_range(self, 0, 1, FIXED_IOVA(1)),
		batch_range(self, 0, 4, FIXED_IOVA(2)),
	};
	__u32 failed;

	ASSERT_EQ(0, ioas_map_batch(self->fd, self->ioas_id, ranges, 2,
				    &failed));
	ranges[0] = (struct ioasid_batch_range){
		.iova = FIXED_IOVA(1),
		.length = page_size,
	};
	ranges[1] = (struct ioasid_batch_range){
		.iova = FIXED_IOVA(2),
		.length = 2 * page_size,
	};
	ASSERT_EQ(-EINVAL, ioas_unmap_batch(self->fd, self->ioas_id, ranges, 2,
					    &failed));
	ASSERT_EQ(1, failed);
	ASSERT_COUNTERS(&self->start, 4, 4);
	ranges[1].length = 4 * page_size;
	ASSERT_EQ(0, ioas_unmap_batch(self->fd, self->ioas_id, ranges, 2,
				      &failed));
	ASSERT_COUNTERS(&self->start, 0, 0);
}

/* A batch of IOASID_BATCH_MAX ranges, the most one takes, both ways. */
TEST_F(ioas, batches_of_the_largest_size)
{
	struct ioasid_batch_range *ranges;
	__u32 failed, i;

	ranges = calloc(IOASID_BATCH_MAX, sizeof(*ranges));
	ASSERT_NE(NULL, ranges);
	for (i = 0; i < IOASID_BATCH_MAX; i++)
		ranges[i] = batch_range(self, i % self->npages, 1,
					FIXED_IOVA(1) + 2 * i * page_size);
	ASSERT_EQ(0, ioas_map_batch(self->fd, self->ioas_id, ranges,
				    IOASID_BATCH_MAX, &failed));
	/* The buffer has fewer pages than the batch has ranges. */
	ASSERT_GT(IOASID_BATCH_MAX, self->npages);
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);
	for (i = 0; i < IOASID_BATCH_MAX; i++) {
		ranges[i].flags = 0;
		ranges[i].user_va = 0;
	}
	ASSERT_EQ(0, ioas_unmap_batch(self->fd, self->ioas_id, ranges,
				      IOASID_BATCH_MAX, &failed));
	ASSERT_COUNTERS(&self->start, 0, 0);
	free(ranges);
}

TEST_F(ioas, unmap_all_mappings)
{
	struct ioasid_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_IOAS_UNMAP_ALL,
		.ioas_id = self->ioas_id,
		.iova = page_size,
	};
	__u64 iova, unmapped;
	int i;

	for (i = 0; i < 3; i++) {
		iova = 0;
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf,
				      self->size, &iova, MAP_RW));
	}
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_IOAS_UNMAP, &cmd));
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, &unmapped));
	ASSERT_EQ(3 * self->size, unmapped);
	ASSERT_COUNTERS(&self->start, 0, 0);
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, &unmapped));
	ASSERT_EQ(0, unmapped);
}

/* Memory already pinned whole is shared, not pinned again. */
TEST_F(ioas, mapping_pinned_memory_again_shares_the_pin)
{
	__u64 a = FIXED_IOVA(1), b = FIXED_IOVA(2), c = 0;
	__u32 ioas2;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->size,
			      &a, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->size,
			      &b, MAP_FIXED_RW));
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);

	/* Part of it, in another IOAS, read-only: shared as well. */
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, self->buf + self->size / 2,
			      self->size / 4, &c, IOASID_IOAS_MAP_READABLE));
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);

	/* The pin lives as long as any mapping shares it. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, a, self->size, NULL));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, b, self->size, NULL));
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);
	ASSERT_EQ(0, ioasid_destroy(self->fd, ioas2));
	ASSERT_COUNTERS(&self->start, 0, 0);
}

/*
 * Overlapping MAPs that do not contain one another share what they overlap:
 * each page is pinned and charged once, for as long as any MAP holds it.
 */
TEST_F(ioas, overlapping_maps_pin_each_page_once)
{
	__u64 front = FIXED_IOVA(1), back = FIXED_IOVA(2), mid = FIXED_IOVA(3);
	unsigned long quarter = self->npages / 4;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf,
			      self->size / 2, &front, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id,
			      self->buf + self->size / 2, self->size / 2, &back,
			      MAP_FIXED_RW));
	/* Across both: their pins are shared, nothing is pinned again. */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id,
			      self->buf + self->size / 4, self->size / 2, &mid,
			      MAP_FIXED_RW));
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);
	/* A pin lives while a MAP overlaps it: the front half stays. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, back, self->size / 2,
				NULL));
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, front, self->size / 2,
				NULL));
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, mid, self->size / 2,
				NULL));
	ASSERT_COUNTERS(&self->start, 0, 0);

	/* One page into a new pin, the rest around it. */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf + page_size,
			      page_size, &front, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf,
			      quarter * page_size, &back, MAP_FIXED_RW));
	ASSERT_COUNTERS(&self->start, quarter, quarter);
}

/*
 * A writable MAP of memory pinned for reading shares the pin: the frames it
 * pinned for writing are the same.
 */
TEST_F(ioas, writable_map_shares_a_read_only_pin)
{
	__u64 ro = FIXED_IOVA(1), rw = FIXED_IOVA(2);

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->size,
			      &ro, IOASID_IOAS_MAP_FIXED_IOVA |
			      IOASID_IOAS_MAP_READABLE));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->size,
			      &rw, MAP_FIXED_RW));
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, ro, self->size, NULL));
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);
}

TEST_F(ioas, new_memory_at_an_old_address_is_charged)
{
	__u64 a = FIXED_IOVA(1), b = FIXED_IOVA(2);
	char *mem;

	mem = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	mem[0] = 1;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, mem, page_size, &a,
			      MAP_FIXED_RW));
	/* Other memory at the same address: another page, another charge. */
	ASSERT_EQ(mem, mmap(mem, page_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	mem[0] = 2;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, mem, page_size, &b,
			      MAP_FIXED_RW));
	ASSERT_COUNTERS(&self->start, 2, 2);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, a, page_size, NULL));
	ASSERT_COUNTERS(&self->start, 1, 1);
	munmap(mem, page_size);
}

/* The pins of a process show in its VmPin, each page once. */
TEST_F(ioas, vmpin_counts_what_the_process_pins)
{
	__u64 a = FIXED_IOVA(1), b = FIXED_IOVA(2), iova = 0;
	long before = vmpin_kb();
	__u32 ioas2;
	int fd2;

	ASSERT_LE(0, before);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->size,
			      &a, MAP_FIXED_RW));
	ASSERT_EQ(before + PAGES_KB(self->npages), vmpin_kb());
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf,
			      self->size / 2, &b, MAP_FIXED_RW));
	ASSERT_EQ(before + PAGES_KB(self->npages), vmpin_kb());
	/* The half shares the pin of the whole, which lives on with it. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, a, self->size, NULL));
	ASSERT_EQ(before + PAGES_KB(self->npages), vmpin_kb());
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, b, self->size / 2,
				NULL));
	ASSERT_EQ(before, vmpin_kb());

	/* Another context charges the same process again; close uncharges. */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->size,
			      &a, MAP_FIXED_RW));
	fd2 = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ioas_alloc(fd2, &ioas2));
	ASSERT_EQ(0, ioas_map(fd2, ioas2, self->buf, self->size, &iova,
			      MAP_RW));
	ASSERT_EQ(before + PAGES_KB(2 * self->npages), vmpin_kb());
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(before + PAGES_KB(self->npages), vmpin_kb());
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);
}

TEST_F(ioas, copy_shares_the_pinned_pages)
{
	__u64 src = FIXED_IOVA(1), dst = 0, unmapped;
	__u32 ioas2;

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->size,
			      &src, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas_id, self->size,
			       &dst, src, MAP_RW));
	ASSERT_EQ(0, dst % huge_size);
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);

	/* The copy keeps the pages pinned after the source goes. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, src, self->size,
				NULL));
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas2, dst, self->size, &unmapped));
	ASSERT_EQ(self->size, unmapped);
	ASSERT_COUNTERS(&self->start, 0, 0);
}

TEST_F(ioas, copy_part_of_several_mappings)
{
	__u64 a = FIXED_IOVA(1), b = FIXED_IOVA(1) + self->size / 2;
	__u64 dst = FIXED_IOVA(4), unmapped;
	__u32 ioas2;

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf,
			      self->size / 2, &a, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id,
			      self->buf + self->size / 2, self->size / 2, &b,
			      MAP_FIXED_RW));
	/* From inside the first mapping to inside the second. */
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas_id,
			       self->size - 2 * page_size, &dst, a + page_size,
			       MAP_FIXED_RW));
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);
	/* It became two mappings: the split point cannot be cut. */
	ASSERT_EQ(-EINVAL, ioas_unmap(self->fd, ioas2, dst,
				      self->size / 2, NULL));
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas2, dst,
				self->size - 2 * page_size, &unmapped));
	ASSERT_EQ(self->size - 2 * page_size, unmapped);
}

TEST_F(ioas, copy_into_the_same_ioas)
{
	__u64 src = FIXED_IOVA(1), dst = FIXED_IOVA(2);

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->size,
			      &src, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas_id, self->ioas_id,
			       self->size, &dst, src, MAP_FIXED_RW));
	ASSERT_EQ(-EEXIST, ioas_copy(self->fd, self->ioas_id, self->ioas_id,
				     self->size, &dst, src, MAP_FIXED_RW));
	ASSERT_COUNTERS(&self->start, self->npages, self->npages);
}

TEST_F(ioas, copy_rejects_bad_sources)
{
	__u64 src = FIXED_IOVA(1), dst = 0;
	__u32 ioas2;
	char *ro;

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, page_size,
			      &src, MAP_FIXED_RW));
	/* A hole after the mapping. */
	ASSERT_EQ(-ENOENT, ioas_copy(self->fd, ioas2, self->ioas_id,
				     2 * page_size, &dst, src, MAP_RW));
	/* A hole before it. */
	ASSERT_EQ(-ENOENT, ioas_copy(self->fd, ioas2, self->ioas_id,
				     2 * page_size, &dst, src - page_size,
				     MAP_RW));
	ASSERT_EQ(-ENOENT, ioas_copy(self->fd, ioas2, 999, page_size, &dst,
				     src, MAP_RW));
	ASSERT_EQ(-ENOENT, ioas_copy(self->fd, 999, self->ioas_id, page_size,
				     &dst, src, MAP_RW));
	ASSERT_EQ(-EINVAL, ioas_copy(self->fd, ioas2, self->ioas_id,
				     page_size, &dst, src + 1, MAP_RW));
	ASSERT_EQ(-EOVERFLOW, ioas_copy(self->fd, ioas2, self->ioas_id,
					2 * page_size, &dst, -page_size,
					MAP_RW));

	/* Memory pinned read-only cannot become writable by a copy. */
	ro = mmap(NULL, page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	src = FIXED_IOVA(2);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, ro, page_size, &src,
			      IOASID_IOAS_MAP_FIXED_IOVA |
			      IOASID_IOAS_MAP_READABLE));
	ASSERT_EQ(-EPERM, ioas_copy(self->fd, ioas2, self->ioas_id, page_size,
				    &dst, src, MAP_RW));
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas_id, page_size,
			       &dst, src, IOASID_IOAS_MAP_READABLE));
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, NULL));
	ASSERT_EQ(0, ioas_unmap_all(self->fd, ioas2, NULL));
	munmap(ro, page_size);

	/*
	 * Nor can what is mapped read-only, though the same memory is pinned
	 * for writing by another mapping, shared or gone.
	 */
	src = FIXED_IOVA(1);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, page_size,
			      &src, MAP_FIXED_RW));
	src = FIXED_IOVA(2);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, page_size,
			      &src, IOASID_IOAS_MAP_FIXED_IOVA |
			      IOASID_IOAS_MAP_READABLE));
	ASSERT_EQ(-EPERM, ioas_copy(self->fd, ioas2, self->ioas_id, page_size,
				    &dst, src, MAP_RW));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, FIXED_IOVA(1),
				page_size, NULL));
	ASSERT_EQ(-EPERM, ioas_copy(self->fd, ioas2, self->ioas_id, page_size,
				    &dst, src, MAP_RW));
	ASSERT_COUNTERS(&self->start, 1, 1);
}

TEST_F(ioas, allowed_iovas_bound_every_mapping)
{
	struct ioasid_iova_range allowed[2] = {
		{ FIXED_IOVA(1), FIXED_IOVA(2) - 1 },
		{ FIXED_IOVA(4), FIXED_IOVA(4) + huge_size - 1 },
	};
	struct ioasid_iova_range got[2];
	__u64 iova;
	__u32 num;
	int i;

	ASSERT_EQ(0, ioas_allow_iovas(self->fd, self->ioas_id, allowed, 2));
	num = 2;
	ASSERT_EQ(0, ioas_iova_ranges(self->fd, self->ioas_id, got, &num));
	ASSERT_EQ(2, num);
	ASSERT_EQ(0, memcmp(allowed, got, sizeof(got)));
	num = 1;
	ASSERT_EQ(-EMSGSIZE, ioas_iova_ranges(self->fd, self->ioas_id, got,
					      &num));
	ASSERT_EQ(2, num);

	/* Kernel-chosen IOVAs land inside; fixed ones outside are refused. */
	for (i = 0; i < 4; i++) {
		iova = 0;
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf,
				      self->size, &iova, MAP_RW));
		ASSERT_TRUE(iova >= allowed[0].start &&
			    iova + self->size - 1 <= allowed[0].last);
	}
	iova = FIXED_IOVA(2);
	ASSERT_EQ(-ERANGE, ioas_map(self->fd, self->ioas_id, self->buf,
				    page_size, &iova, MAP_FIXED_RW));
	iova = FIXED_IOVA(4) + huge_size - page_size;
	ASSERT_EQ(-ERANGE, ioas_map(self->fd, self->ioas_id, self->buf,
				    2 * page_size, &iova, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, page_size,
			      &iova, MAP_FIXED_RW));
}

TEST_F(ioas, allow_iovas_rejects_bad_ranges)
{
	struct ioasid_iova_range r[2];
	__u64 iova = FIXED_IOVA(3);
	__u32 num = 2;

	r[0] = (struct ioasid_iova_range){ FIXED_IOVA(2), FIXED_IOVA(1) };
	ASSERT_EQ(-EINVAL, ioas_allow_iovas(self->fd, self->ioas_id, r, 1));
	r[0] = (struct ioasid_iova_range){ 1, FIXED_IOVA(1) - 1 };
	ASSERT_EQ(-EINVAL, ioas_allow_iovas(self->fd, self->ioas_id, r, 1));
	r[0] = (struct ioasid_iova_range){ 0, FIXED_IOVA(1) };
	ASSERT_EQ(-EINVAL, ioas_allow_iovas(self->fd, self->ioas_id, r, 1));
	r[0] = (struct ioasid_iova_range){ 0, FIXED_IOVA(2) - 1 };
	r[1] = (struct ioasid_iova_range){ FIXED_IOVA(1), FIXED_IOVA(3) - 1 };
	ASSERT_EQ(-EINVAL, ioas_allow_iovas(self->fd, self->ioas_id, r, 2));

	/* A mapping outside the new ranges keeps the old ones in force. */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, page_size,
			      &iova, MAP_FIXED_RW));
	r[0] = (struct ioasid_iova_range){ 0, FIXED_IOVA(1) - 1 };
	ASSERT_EQ(-EADDRINUSE, ioas_allow_iovas(self->fd, self->ioas_id, r, 1));
	ASSERT_EQ(0, ioas_iova_ranges(self->fd, self->ioas_id, r, &num));
	ASSERT_EQ(1, num);
	ASSERT_EQ(UINT64_MAX, r[0].last);

	/* Ranges that touch are one range. */
	r[0] = (struct ioasid_iova_range){ FIXED_IOVA(3), FIXED_IOVA(4) - 1 };
	r[1] = (struct ioasid_iova_range){ FIXED_IOVA(4), FIXED_IOVA(5) - 1 };
	ASSERT_EQ(0, ioas_allow_iovas(self->fd, self->ioas_id, r, 2));
	num = 2;
	ASSERT_EQ(0, ioas_iova_ranges(self->fd, self->ioas_id, r, &num));
	ASSERT_EQ(1, num);
	ASSERT_EQ(FIXED_IOVA(3), r[0].start);
	ASSERT_EQ(FIXED_IOVA(5) - 1, r[0].last);
	iova = FIXED_IOVA(4) - page_size;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf,
			      2 * page_size, &iova, MAP_FIXED_RW));

	/* Ranges may end at the top of the IOVA space; 0 ranges clear. */
	r[0] = (struct ioasid_iova_range){ FIXED_IOVA(3), UINT64_MAX };
	ASSERT_EQ(0, ioas_allow_iovas(self->fd, self->ioas_id, r, 1));
	ASSERT_EQ(0, ioas_allow_iovas(self->fd, self->ioas_id, NULL, 0));
	num = 2;
	ASSERT_EQ(0, ioas_iova_ranges(self->fd, self->ioas_id, r, &num));
	ASSERT_EQ(1, num);
	ASSERT_EQ(0, r[0].start);
}

TEST_F(ioas, no_iova_space_left)
{
	struct ioasid_iova_range r = { FIXED_IOVA(1),
				       FIXED_IOVA(1) + 2 * page_size - 1 };
	__u64 iova = 0;

	ASSERT_EQ(0, ioas_allow_iovas(self->fd, self->ioas_id, &r, 1));
	ASSERT_EQ(-ENOSPC, ioas_map(self->fd, self->ioas_id, self->buf,
				    3 * page_size, &iova, MAP_RW));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf,
			      2 * page_size, &iova, MAP_RW));
	ASSERT_EQ(r.start, iova);
	ASSERT_EQ(-ENOSPC, ioas_map(self->fd, self->ioas_id, self->buf,
				    page_size, &iova, MAP_RW));
	ASSERT_COUNTERS(&self->start, 2, 2);
}

/*
 * VFIO type1 stops at 65535 mappings; there is no such limit here.  Slow on
 * a debug kernel (KASAN, lockdep) under TCG: 5 minutes.
 */
TEST_F_TIMEOUT(ioas, more_than_65535_mappings, 300)
{
	const unsigned long count = 70000;
	__u64 iova, unmapped;
	unsigned long i;

	for (i = 0; i < count; i++) {
		iova = FIXED_IOVA(1) + i * page_size;
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf,
				      page_size, &iova, MAP_FIXED_RW));
	}
	/* One page mapped 70000 times is pinned and charged once. */
	ASSERT_COUNTERS(&self->start, 1, 1);
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, &unmapped));
	ASSERT_EQ(count * page_size, unmapped);
}

/* With no device, an IOAS offers nothing and bounds nothing. */
TEST_F(ioas, info_without_devices)
{
	struct ioasid_ioas_info info;

	memset(&info, 0xff, sizeof(info));
	ASSERT_EQ(0, ioas_info(self->fd, self->ioas_id, &info));
	ASSERT_EQ(self->ioas_id, info.ioas_id);
	ASSERT_EQ(0, info.out_num_devices);
	ASSERT_EQ(0, info.out_families);
	ASSERT_EQ(0, info.out_caps);
	ASSERT_EQ(0, info.out_pgsize_bitmap);
	ASSERT_EQ(0, info.out_min_page_size);
	ASSERT_EQ(0, info.out_aperture_start);
	ASSERT_EQ(~0ULL, info.out_aperture_last);
	ASSERT_EQ(0, info.out_max_pasid_log2);
	ASSERT_EQ(0, info.out_nesting_formats);
}

TEST_F(ioas, info_rejects_bad_input)
{
	struct ioasid_ioas_info info;

	ASSERT_EQ(-ENOENT, ioas_info(self->fd, self->ioas_id + 100, &info));
	info = (struct ioasid_ioas_info){
		.size = sizeof(info), .flags = 1, .ioas_id = self->ioas_id,
	};
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_IOAS_INFO, &info));
	info = (struct ioasid_ioas_info){
		.size = sizeof(info), .ioas_id = self->ioas_id, .__reserved = 1,
	};
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_IOAS_INFO, &info));
	info = (struct ioasid_ioas_info){
		.size = sizeof(info), .ioas_id = self->ioas_id, .__reserved2 = 1,
	};
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_IOAS_INFO, &info));
	/* A caller that predates out_nesting_formats is served. */
	info = (struct ioasid_ioas_info){
		.size = offsetof(struct ioasid_ioas_info, out_nesting_formats),
		.ioas_id = self->ioas_id,
	};
	ASSERT_EQ(0, ioasid_ioctl(self->fd, IOASID_IOAS_INFO, &info));
	info = (struct ioasid_ioas_info){
		.size = offsetof(struct ioasid_ioas_info, __reserved),
		.ioas_id = self->ioas_id,
	};
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_IOAS_INFO, &info));
}

TEST_F(ioas, destroy_unmaps_everything)
{
	__u64 iova = 0;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->size,
			      &iova, MAP_RW));
	ASSERT_EQ(0, ioasid_destroy(self->fd, self->ioas_id));
	ASSERT_COUNTERS(&self->start, 0, 0);
	ASSERT_EQ(-ENOENT, ioas_map(self->fd, self->ioas_id, self->buf,
				    self->size, &iova, MAP_RW));
}

TEST_F(ioas, close_releases_everything)
{
	__u64 iova = 0, dst = 0;
	__u32 ioas2;

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->size,
			      &iova, MAP_RW));
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas_id, self->size,
			       &dst, iova, MAP_RW));
	/* The teardown closes the file and checks the counters. */
}

/* Drop CAP_IPC_LOCK from the effective set of the calling process. */
static int drop_cap_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
	return syscall(SYS_capset, &hdr, data);
}

static int set_memlock_limit(unsigned long pages)
{
	struct rlimit limit = {
		.rlim_cur = pages * page_size,
		.rlim_max = pages * page_size,
	};

	return setrlimit(RLIMIT_MEMLOCK, &limit);
}

/* Run @fn in a child process and return its exit status, or -1. */
static int run_in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

struct rlimit_case {
	int fd;
	__u32 ioas_id;
	char *buf;
	bool drop_cap;
};

static int map_pages_at(struct rlimit_case *c, unsigned long first,
			unsigned long npages)
{
	__u64 iova = 0;

	return ioas_map(c->fd, c->ioas_id, c->buf + first * page_size,
			npages * page_size, &iova, MAP_RW);
}

/*
 * With a limit of 64 pages: 48 pages map; 32 more go over the limit once
 * charged, and 80 at once go over before anything is pinned; the same 48
 * again still fit, being shared.  Returns the first failed step, or 0.
 */
static int rlimit_steps(void *arg)
{
	struct rlimit_case *c = arg;
	int over = c->drop_cap ? -ENOMEM : 0;

	if (c->drop_cap && drop_cap_ipc_lock())
		return 1;
	if (set_memlock_limit(64))
		return 2;
	if (map_pages_at(c, 0, 48))
		return 3;
	if (map_pages_at(c, 48, 32) != over)
		return 4;
	if (map_pages_at(c, 0, 80) != over)
		return 5;
	if (map_pages_at(c, 0, 48))
		return 6;
	return 0;
}

TEST_F(ioas, rlimit_memlock_is_enforced)
{
	struct rlimit_case c = { self->fd, self->ioas_id, self->buf, true };

	if (self->npages < 80)
		SKIP(return, "the buffer is too small");
	ASSERT_EQ(0, run_in_child(rlimit_steps, &c));
	/* The child's maps live on in the shared context; the failures none. */
	ASSERT_COUNTERS(&self->start, 48, 48);
}

TEST_F(ioas, cap_ipc_lock_lifts_the_limit)
{
	struct rlimit_case c = { self->fd, self->ioas_id, self->buf, false };

	if (self->npages < 80)
		SKIP(return, "the buffer is too small");
	ASSERT_EQ(0, run_in_child(rlimit_steps, &c));
	/* MAPs of 48, 32, 80 and 48 pages: each of the 80 pinned once. */
	ASSERT_COUNTERS(&self->start, 80, 80);
}

#define PREFIX_LIMIT 128

/*
 * Overlapping MAPs of one buffer, as many as a process cares to make: with a
 * limit of PREFIX_LIMIT pages, every prefix of the first PREFIX_LIMIT pages,
 * every window of 16 pages in them and every suffix map, each charging at
 * most the one page no MAP pinned before; one page more fails.  Returns the
 * first failed step, or 0.
 */
static int overlapping_steps(void *arg)
{
	struct rlimit_case *c = arg;
	unsigned long k;

	if (drop_cap_ipc_lock())
		return 1;
	if (set_memlock_limit(PREFIX_LIMIT))
		return 2;
	for (k = 1; k <= PREFIX_LIMIT; k++)
		if (map_pages_at(c, 0, k))
			return 3;
	for (k = 0; k + 16 <= PREFIX_LIMIT; k++)
		if (map_pages_at(c, k, 16))
			return 4;
	for (k = 0; k < PREFIX_LIMIT; k++)
		if (map_pages_at(c, k, PREFIX_LIMIT - k))
			return 5;
	if (map_pages_at(c, 0, PREFIX_LIMIT + 1) != -ENOMEM)
		return 6;
	if (map_pages_at(c, PREFIX_LIMIT - 1, 2) != -ENOMEM)
		return 7;
	return 0;
}

/*
 * Pins are bounded by the charge: the 369 overlapping MAPs above, which
 * would hold 18,320 page pins if each MAP pinned what it maps, pin each
 * of the PREFIX_LIMIT pages once (on a huge page too, whose pin count a
 * MAP per subpage range would otherwise overflow).
 */
TEST_F(ioas, overlapping_maps_stay_within_the_limit)
{
	struct rlimit_case c = { self->fd, self->ioas_id, self->buf, true };

	if (self->npages < PREFIX_LIMIT + 1)
		SKIP(return, "the buffer is too small");
	ASSERT_EQ(0, run_in_child(overlapping_steps, &c));
	ASSERT_COUNTERS(&self->start, PREFIX_LIMIT, PREFIX_LIMIT);
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, NULL));
	ASSERT_COUNTERS(&self->start, 0, 0);
}

/* A MAP by an unprivileged user of its own, in a child. */
struct owner_map {
	int fd;
	__u32 ioas_id;
	uid_t uid;
	unsigned long limit;	/* RLIMIT_MEMLOCK, in pages */
	unsigned long npages;
	__u64 iova;
	char *mem;		/* or NULL: memory of the child's own */
};

enum {
	OWNER_MAPPED,		/* the MAP succeeded, VmPin rose by its size */
	OWNER_ENOMEM,		/* it failed with -ENOMEM, VmPin did not move */
	OWNER_NO_SETUP,		/* the child could not become the owner */
	OWNER_BAD_VMPIN,	/* VmPin moved by something else */
	OWNER_ERRNO,		/* the MAP failed with OWNER_ERRNO + errno */
};

/* Become the owner and map; returns what happened, an OWNER_* value. */
static int owner_map_steps(void *arg)
{
	struct owner_map *o = arg;
	size_t len = o->npages * page_size;
	char *mem = o->mem;
	__u64 iova = o->iova;
	long before;
	int status, rc;

	/* Opened as root: the new user may not reach /proc by its path. */
	status = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (status < 0 || set_memlock_limit(o->limit) || setuid(o->uid))
		return OWNER_NO_SETUP;
	if (!mem)
		mem = buffer_alloc(len, false);
	before = status_vmpin_kb(status);
	if (!mem || before < 0)
		return OWNER_NO_SETUP;
	rc = ioas_map(o->fd, o->ioas_id, mem, len, &iova, MAP_FIXED_RW);
	if (rc && rc != -ENOMEM)
		return OWNER_ERRNO - rc;
	if (status_vmpin_kb(status) != before + (rc ? 0 : PAGES_KB(o->npages)))
		return OWNER_BAD_VMPIN;
	return rc ? OWNER_ENOMEM : OWNER_MAPPED;
}

#define OWNER_PAGES 64

static int owner_map(int fd, __u32 ioas_id, uid_t uid, unsigned long npages,
		     __u64 iova)
{
	struct owner_map o = { fd, ioas_id, uid, OWNER_PAGES, npages, iova };

	return run_in_child(owner_map_steps, &o);
}

/*
 * The opener hands its file to two unprivileged users: each pays for its own
 * pins, up to its own limit, and the opener for none.
 */
TEST_F(ioas, charge_follows_the_task_that_maps)
{
	long before = vmpin_kb();

	ASSERT_EQ(OWNER_MAPPED, owner_map(self->fd, self->ioas_id, 65534,
					  OWNER_PAGES, FIXED_IOVA(1)));
	ASSERT_EQ(OWNER_MAPPED, owner_map(self->fd, self->ioas_id, 65533,
					  OWNER_PAGES, FIXED_IOVA(2)));
	ASSERT_COUNTERS(&self->start, 2 * OWNER_PAGES, 2 * OWNER_PAGES);
	ASSERT_EQ(before, vmpin_kb());

	/* The first user's charge outlives its process: no room for more. */
	ASSERT_EQ(OWNER_ENOMEM, owner_map(self->fd, self->ioas_id, 65534, 1,
					  FIXED_IOVA(3)));
	ASSERT_COUNTERS(&self->start, 2 * OWNER_PAGES, 2 * OWNER_PAGES);
}

/*
 * What an exited child mapped stays mapped and charged to it, works like
 * any mapping, and is uncharged from the child's user when it goes.
 */
TEST_F(ioas, mappings_of_an_exited_child_stay_charged_to_it)
{
	__u64 src = FIXED_IOVA(1), dst = 0, unmapped;
	long before = vmpin_kb();
	__u32 ioas2;

	ASSERT_EQ(OWNER_MAPPED, owner_map(self->fd, self->ioas_id, 65534,
					  OWNER_PAGES, src));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas_id,
			       OWNER_PAGES * page_size, &dst, src, MAP_RW));
	ASSERT_COUNTERS(&self->start, OWNER_PAGES, OWNER_PAGES);
	ASSERT_EQ(before, vmpin_kb());

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, src,
				OWNER_PAGES * page_size, &unmapped));
	ASSERT_EQ(OWNER_PAGES * page_size, unmapped);
	ASSERT_COUNTERS(&self->start, OWNER_PAGES, OWNER_PAGES);
	ASSERT_EQ(0, ioasid_destroy(self->fd, ioas2));
	ASSERT_COUNTERS(&self->start, 0, 0);

	/* Given back to the child's user: the whole limit maps again. */
	ASSERT_EQ(OWNER_MAPPED, owner_map(self->fd, self->ioas_id, 65534,
					  OWNER_PAGES, src));
	ASSERT_COUNTERS(&self->start, OWNER_PAGES, OWNER_PAGES);
}

/*
 * Two owners pinning the same page frames at the same address are each
 * charged: a pin of one never counts as the charge of the other.
 */
TEST_F(ioas, owners_pay_for_shared_memory_each)
{
	struct owner_map o = { self->fd, self->ioas_id, 65534, OWNER_PAGES,
			       OWNER_PAGES, FIXED_IOVA(2) };
	__u64 mine = FIXED_IOVA(1);
	size_t len = OWNER_PAGES * page_size;
	long before = vmpin_kb();
	int memfd;

	memfd = memfd_create("ioasid-shared", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, len));
	o.mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, o.mem);
	memset(o.mem, 0x5a, len);

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, o.mem, len, &mine,
			      MAP_FIXED_RW));
	ASSERT_EQ(OWNER_MAPPED, run_in_child(owner_map_steps, &o));
	ASSERT_COUNTERS(&self->start, 2 * OWNER_PAGES, 2 * OWNER_PAGES);
	ASSERT_EQ(before + PAGES_KB(OWNER_PAGES), vmpin_kb());

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, mine, len, NULL));
	ASSERT_COUNTERS(&self->start, OWNER_PAGES, OWNER_PAGES);
	ASSERT_EQ(before, vmpin_kb());
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, o.iova, len, NULL));
	ASSERT_COUNTERS(&self->start, 0, 0);
	munmap(o.mem, len);
	close(memfd);
}

/* userfaultfd: a way to hold a MAP in the middle of pinning. */
struct stalled_map {
	int fd;
	__u32 ioas_id;
	char *mem;		/* present pages, then missing ones */
	size_t present;
	size_t missing;
	int uffd;
	int map_rc;
};

/* @present_pages present, then 16 missing. */
static int stalled_map_setup(struct stalled_map *s, int fd, __u32 ioas_id,
			     size_t present_pages)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	s->fd = fd;
	s->ioas_id = ioas_id;
	s->present = present_pages * page_size;
	s->missing = 16 * page_size;
	s->mem = mmap(NULL, s->present + s->missing, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->mem == MAP_FAILED)
		return -1;
	madvise(s->mem, s->present + s->missing, MADV_NOHUGEPAGE);
	memset(s->mem, 1, s->present);
	s->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (s->uffd < 0)
		return -1;
	reg.range.start = (uintptr_t)s->mem + s->present;
	reg.range.len = s->missing;
	if (ioctl(s->uffd, UFFDIO_API, &api) ||
	    ioctl(s->uffd, UFFDIO_REGISTER, &reg))
		return -1;
	return 0;
}

static void *stalled_map_thread(void *arg)
{
	struct stalled_map *s = arg;
	__u64 iova = 0;

	s->map_rc = ioas_map(s->fd, s->ioas_id, s->mem, s->present + s->missing,
			     &iova, MAP_RW);
	return NULL;
}

/* Wait until the map thread is stuck on the first missing page. */
static int stalled_map_wait(struct stalled_map *s)
{
	struct pollfd pfd = { .fd = s->uffd, .events = POLLIN };

	return poll(&pfd, 1, 20000) == 1 ? 0 : -1;
}

/* Fill the missing pages, which lets the map finish. */
static int stalled_map_release(struct stalled_map *s)
{
	struct uffdio_copy copy = {
		.dst = (uintptr_t)s->mem + s->present,
		.src = (uintptr_t)s->mem,
		.len = s->missing,
	};

	return ioctl(s->uffd, UFFDIO_COPY, &copy);
}

TEST_F(ioas, destroy_while_a_map_runs_is_busy)
{
	struct stalled_map s;
	pthread_t thread;

	if (stalled_map_setup(&s, self->fd, self->ioas_id, 1024))
		SKIP(return, "userfaultfd unavailable: %s", strerror(errno));
	ASSERT_EQ(0, pthread_create(&thread, NULL, stalled_map_thread, &s));
	ASSERT_EQ(0, stalled_map_wait(&s));

	ASSERT_EQ(-EBUSY, ioasid_destroy(self->fd, self->ioas_id));
	ASSERT_EQ(0, stalled_map_release(&s));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(0, s.map_rc);
	ASSERT_COUNTERS(&self->start, (s.present + s.missing) / page_size,
			(s.present + s.missing) / page_size);
	ASSERT_EQ(0, ioasid_destroy(self->fd, self->ioas_id));
	ASSERT_COUNTERS(&self->start, 0, 0);
	close(s.uffd);
	munmap(s.mem, s.present + s.missing);
}

/* The module pins and charges a page of page pointers at a time. */
#define PIN_BATCH_PAGES (page_size / sizeof(void *))

struct racing_maps {
	int fd;
	__u32 ioas_id;
	struct ioasid_counters start;
};

/*
 * With a MAP stalled after two batches: what it pinned is charged, so a MAP
 * of @other, @limit pages, fails on its first batch and pins nothing.
 * Returns the first failed step, or 0.
 */
static int racing_map_over_the_limit(struct racing_maps *r, char *other,
				     unsigned long limit)
{
	struct ioasid_counters now;
	__u64 iova = 0;

	if (ioasid_read_counters(&now) ||
	    now.pinned_pages - r->start.pinned_pages != 2 * PIN_BATCH_PAGES ||
	    now.accounted_pages - r->start.accounted_pages != 2 * PIN_BATCH_PAGES)
		return 3;
	if (ioas_map(r->fd, r->ioas_id, other, limit * page_size, &iova,
		     MAP_RW) != -ENOMEM)
		return 4;
	if (ioasid_read_counters(&now) ||
	    now.pinned_pages - r->start.pinned_pages != 2 * PIN_BATCH_PAGES)
		return 5;
	return 0;
}

/*
 * Without CAP_IPC_LOCK and with room for two batches and 16 pages: a MAP
 * of that size stalls after two batches, charged; another MAP as large must
 * then fail on its first batch, and the first one completes.  Returns the
 * first failed step, or 0.
 */
static int racing_maps_steps(void *arg)
{
	unsigned long limit = 2 * PIN_BATCH_PAGES + 16;
	struct racing_maps *r = arg;
	struct stalled_map s;
	pthread_t thread;
	char *other;
	int failed;

	if (drop_cap_ipc_lock() || set_memlock_limit(limit))
		return 1;
	other = buffer_alloc(limit * page_size, false);
	if (!other ||
	    stalled_map_setup(&s, r->fd, r->ioas_id, 2 * PIN_BATCH_PAGES) ||
	    pthread_create(&thread, NULL, stalled_map_thread, &s) ||
	    stalled_map_wait(&s))
		return 2;
	failed = racing_map_over_the_limit(r, other, limit);
	/* Let the stalled MAP finish, even after a failed step. */
	if (stalled_map_release(&s) || pthread_join(thread, NULL))
		return 6;
	if (!failed && s.map_rc)
		return 7;
	return failed;
}

TEST_F(ioas, concurrent_maps_cannot_pin_past_the_limit)
{
	struct racing_maps r = { self->fd, self->ioas_id, self->start };
	unsigned long limit = 2 * PIN_BATCH_PAGES + 16;

	if (2 * limit * page_size > 64UL << 20)
		SKIP(return, "pin batches too large for the test");
	ASSERT_EQ(0, run_in_child(racing_maps_steps, &r));
	ASSERT_COUNTERS(&self->start, limit, limit);
}

/*
 * The child maps until it stalls on a missing page, the parent sees the
 * pages pinned so far in the counters, kills it, and sees them all back.
 */
TEST(kill_during_a_large_map_releases_everything)
{
	struct ioasid_counters start, now;
	int pipefd[2], status;
	pid_t pid;
	char ok;

	skip_unless_loaded(_metadata, &start);
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct stalled_map s;
		pthread_t thread;
		__u32 ioas_id;
		int fd;

		fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
		if (fd < 0 || ioas_alloc(fd, &ioas_id) ||
		    stalled_map_setup(&s, fd, ioas_id, 1024) ||
		    pthread_create(&thread, NULL, stalled_map_thread, &s) ||
		    stalled_map_wait(&s))
			_exit(1);
		ok = 1;
		if (write(pipefd[1], &ok, 1) != 1)
			_exit(1);
		pthread_join(thread, NULL);
		_exit(1);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &ok, 1) != 1) {
		waitpid(pid, &status, 0);
		SKIP(return, "the child could not stall a map (userfaultfd?)");
	}
	close(pipefd[0]);

	/* At least the first batch of present pages is pinned, and charged. */
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_LT(start.pinned_pages, now.pinned_pages);
	ASSERT_EQ(now.pinned_pages - start.pinned_pages,
		  now.accounted_pages - start.accounted_pages);
	ASSERT_EQ(start.contexts + 1, now.contexts);

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_TRUE(ioasid_counters_equal(&start, &now));
}

/* Several threads mapping, copying and unmapping on one context. */
struct worker {
	int fd;
	__u32 ioas_id, ioas2;
	char *buf;
	unsigned int index;
	pthread_barrier_t *barrier;
	int failed_step;
};

#define WORKERS 4
#define ROUNDS 100

static int worker_round(struct worker *w, unsigned int round)
{
	__u64 mine = FIXED_IOVA(1 + w->index), shared = FIXED_IOVA(8);
	__u64 dst = 0, unmapped;
	int rc;

	if (ioas_map(w->fd, w->ioas_id, w->buf, 8 * page_size, &mine,
		     MAP_FIXED_RW))
		return 1;
	if (ioas_copy(w->fd, w->ioas2, w->ioas_id, 8 * page_size, &dst, mine,
		      MAP_RW))
		return 2;
	/* Everyone races for the same IOVA: it is mapped at most once. */
	rc = ioas_map(w->fd, w->ioas_id, w->buf, page_size, &shared,
		      MAP_FIXED_RW);
	if (rc && rc != -EEXIST)
		return 3;
	if (!rc && ioas_unmap(w->fd, w->ioas_id, shared, page_size, NULL))
		return 4;
	if (ioas_unmap(w->fd, w->ioas2, dst, 8 * page_size, &unmapped) ||
	    unmapped != 8 * page_size)
		return 5;
	if (ioas_unmap(w->fd, w->ioas_id, mine, 8 * page_size, &unmapped) ||
	    unmapped != 8 * page_size)
		return 6;
	if (round % 10 == 0) {
		__u32 id;

		if (ioas_alloc(w->fd, &id) || ioasid_destroy(w->fd, id))
			return 7;
	}
	return 0;
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	unsigned int round;

	pthread_barrier_wait(w->barrier);
	for (round = 0; round < ROUNDS && !w->failed_step; round++)
		w->failed_step = worker_round(w, round);
	return NULL;
}

TEST_F(ioas, concurrent_map_copy_unmap)
{
	struct worker workers[WORKERS];
	pthread_t threads[WORKERS];
	pthread_barrier_t barrier;
	__u32 ioas2;
	int i;

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, WORKERS));
	for (i = 0; i < WORKERS; i++) {
		workers[i] = (struct worker){
			.fd = self->fd,
			.ioas_id = self->ioas_id,
			.ioas2 = ioas2,
			.buf = self->buf + i * 8 * page_size,
			.index = i,
			.barrier = &barrier,
		};
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, worker_thread,
					    &workers[i]));
	}
	for (i = 0; i < WORKERS; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
	for (i = 0; i < WORKERS; i++)
		ASSERT_EQ(0, workers[i].failed_step);
	ASSERT_COUNTERS(&self->start, 0, 0);
	pthread_barrier_destroy(&barrier);
}

TEST_HARNESS_MAIN
