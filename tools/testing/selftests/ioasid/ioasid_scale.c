// SPDX-License-Identifier: GPL-2.0
/*
 * IO address spaces at scale: the cost of a MAP does not grow with the
 * number of mappings, nor that of a command with the number of objects of
 * its context, the max_mappings module parameter bounds mappings per
 * context, and a large map of small pages into a real IOMMU domain goes
 * through without a soft lockup or an RCU stall (the lane scans the kernel
 * log for both).
 *
 * The figures are compared within one run, never with a fixed time: the
 * lanes run under TCG, and the debug lane (KASAN, lockdep) is many times
 * slower, so it runs the same checks on fewer mappings.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "ioasid_utils.h"
#include "ioasid_pci_utils.h"

#define MAX_MAPPINGS IOASID_SYSFS_MODULE "/parameters/max_mappings"

/* A kernel with lockdep or kmemleak: the debug lane. */
static bool debug_kernel(void)
{
	return !access("/proc/lockdep", F_OK) ||
	       !access("/sys/kernel/debug/kmemleak", F_OK);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *page_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, size);
	return p;
}

/* A context, an IOAS and one page to map again and again. */
FIXTURE(scale) {
	int fd;
	__u32 ioas_id;
	char *page;
	size_t page_size;
	struct ioasid_counters start;
};

FIXTURE_SETUP(scale)
{
	self->fd = -1;
	if (access(IOASID_DEV, F_OK) || ioasid_read_counters(&self->start))
		SKIP(return, "ioasid.ko not loaded or debugfs not mounted");
	self->page_size = getpagesize();
	self->page = page_alloc(self->page_size);
	ASSERT_NE(NULL, self->page);
	self->fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
}

FIXTURE_TEARDOWN(scale)
{
	struct ioasid_counters end;

	if (self->fd < 0)
		return;
	close(self->fd);
	ASSERT_EQ(0, ioasid_read_counters(&end));
	ASSERT_TRUE(ioasid_counters_equal(&self->start, &end));
}

/* Map the fixture's page @count times at kernel-chosen IOVAs. */
static double map_many(struct __test_metadata *_metadata,
		       struct _test_data_scale *self, unsigned long count)
{
	double t0 = now();
	unsigned long i;
	__u64 iova;

	for (i = 0; i < count; i++) {
		iova = 0;
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->page,
				      self->page_size, &iova, MAP_RW));
	}
	return now() - t0;
}

/*
 * 10^6 mappings of one page (one shared pin), at IOVAs the kernel chooses:
 * a search proportional to the number of mappings would make the last 10^4
 * maps about 100 times slower than the first.  Time is compared, not
 * measured: the last must be within 5 times the first.
 */
TEST_F_TIMEOUT(scale, a_million_maps_cost_the_same_each, 1200)
{
	unsigned long total = 1000000, batch = 10000;
	double first, last;
	__u64 unmapped;

	if (debug_kernel()) {
		total /= 10;
		batch /= 10;
		ksft_print_msg("debug kernel: %lu mappings, batches of %lu\n",
			       total, batch);
	}
	first = map_many(_metadata, self, batch);
	map_many(_metadata, self, total - 2 * batch);
	last = map_many(_metadata, self, batch);
	ASSERT_EQ(1, ioasid_counter("pinned_pages") - self->start.pinned_pages);
	ksft_print_msg("4 KiB maps: first %lu %.2f us, last %lu %.2f us, x%.2f\n",
		       batch, first / batch * 1e6, batch, last / batch * 1e6,
		       last / first);
	ASSERT_LT(last / first, 5.0);
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, &unmapped));
	ASSERT_EQ(total * self->page_size, unmapped);
	ASSERT_EQ(self->start.pinned_pages, ioasid_counter("pinned_pages"));
}

/*
 * Place @count fixed mappings of a page from @iova on, each followed by a
 * hole of a page: too short for a map of two pages.
 */
static void map_comb(struct __test_metadata *_metadata,
		     struct _test_data_scale *self, __u64 iova,
		     unsigned long count)
{
	unsigned long i;
	__u64 at;

	for (i = 0; i < count; i++) {
		at = iova + 2 * i * self->page_size;
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->page,
				      self->page_size, &at, MAP_FIXED_RW));
	}
}

/* Time @count kernel-chosen maps of two pages, each above @above. */
static double map_pairs(struct __test_metadata *_metadata,
			struct _test_data_scale *self, char *pair,
			unsigned long count, __u64 above)
{
	double t0 = now();
	unsigned long i;
	__u64 iova;

	for (i = 0; i < count; i++) {
		iova = 0;
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, pair,
				      2 * self->page_size, &iova, MAP_RW));
		ASSERT_LE(above, iova);
	}
	return now() - t0;
}

/*
 * A kernel-chosen IOVA for two pages must skip every one-page hole: with
 * 10 times as many holes, the maps must not take 10 times as long.  A hole
 * of two pages left among them is found first.
 */
TEST_F_TIMEOUT(scale, search_skips_holes_too_short, 600)
{
	unsigned long holes = 10000, pairs = 1000;
	size_t pg = self->page_size;
	double few, many;
	__u64 iova = 0;
	char *pair;

	if (debug_kernel()) {
		holes /= 10;
		pairs /= 10;
		ksft_print_msg("debug kernel: %lu and %lu holes, %lu maps\n",
			       holes, 10 * holes, pairs);
	}
	pair = page_alloc(2 * pg);
	ASSERT_NE(NULL, pair);
	/* [0, 2 pages) is a hole that fits: taken first. */
	map_comb(_metadata, self, 2 * pg, holes);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, pair, 2 * pg, &iova,
			      MAP_RW));
	ASSERT_EQ(0, iova);

	few = map_pairs(_metadata, self, pair, pairs, (2 * holes + 1) * pg);
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, NULL));
	map_comb(_metadata, self, 0, 10 * holes);
	many = map_pairs(_metadata, self, pair, pairs, (20 * holes - 1) * pg);
	ksft_print_msg("8 KiB maps: %lu holes %.2f us, %lu holes %.2f us, x%.2f\n",
		       holes, few / pairs * 1e6, 10 * holes,
		       many / pairs * 1e6, many / few);
	ASSERT_LT(many / few, 5.0);
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, NULL));
	munmap(pair, 2 * pg);
}

/* The least time of three runs of @calls IOAS_INFO on the fixture's IOAS. */
static double time_ioas_info(struct __test_metadata *_metadata,
			     struct _test_data_scale *self, unsigned long calls)
{
	struct ioasid_ioas_info info;
	double best = 0, t0, t;
	unsigned long i;
	int run;

	for (run = 0; run < 3; run++) {
		t0 = now();
		for (i = 0; i < calls; i++)
			ASSERT_EQ(0, ioas_info(self->fd, self->ioas_id, &info));
		t = now() - t0;
		if (!run || t < best)
			best = t;
	}
	return best;
}

/*
 * A command on one IOAS costs the same however many objects its context
 * holds: IOAS_INFO among 10^5 other IOASes is timed against IOAS_INFO
 * among none.  A walk of every object of the context per call (as the
 * walk for the devices of an IOAS was) makes it hundreds of times slower;
 * it must stay within 5 times.
 */
TEST_F_TIMEOUT(scale, commands_do_not_walk_every_object, 600)
{
	unsigned long others = 100000, calls = 10000, i;
	double alone, among;
	__u32 id;

	if (debug_kernel()) {
		others /= 10;
		calls /= 10;
		ksft_print_msg("debug kernel: %lu IOASes, %lu calls\n", others,
			       calls);
	}
	alone = time_ioas_info(_metadata, self, calls);
	for (i = 0; i < others; i++)
		ASSERT_EQ(0, ioas_alloc(self->fd, &id));
	among = time_ioas_info(_metadata, self, calls);
	ksft_print_msg("IOAS_INFO: alone %.2f us, among %lu IOASes %.2f us, x%.2f\n",
		       alone / calls * 1e6, others, among / calls * 1e6,
		       among / alone);
	ASSERT_LT(among / alone, 5.0);
}

/* The module parameter max_mappings, restored after each test. */
FIXTURE(cap) {
	int fd, other;
	__u32 ioas_id, ioas2_id, other_ioas_id;
	char *buf;
	size_t page_size;
	char saved[32];
};

FIXTURE_SETUP(cap)
{
	self->fd = -1;
	self->other = -1;
	self->saved[0] = '\0';
	if (ioasid_read_file(MAX_MAPPINGS, self->saved,
			     sizeof(self->saved)) < 0)
		SKIP(return, "no max_mappings parameter");
	self->page_size = getpagesize();
	self->buf = page_alloc(4 * self->page_size);
	ASSERT_NE(NULL, self->buf);
	self->fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->other = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->other);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas2_id));
	ASSERT_EQ(0, ioas_alloc(self->other, &self->other_ioas_id));
}

FIXTURE_TEARDOWN(cap)
{
	if (self->saved[0])
		sysfs_write(MAX_MAPPINGS, self->saved);
	if (self->fd >= 0)
		close(self->fd);
	if (self->other >= 0)
		close(self->other);
}

static int map_page_at(int fd, __u32 ioas_id, void *va, size_t page,
		       unsigned long n)
{
	__u64 iova = (n + 1) * page;

	return ioas_map(fd, ioas_id, va, page, &iova, MAP_FIXED_RW);
}

TEST_F(cap, max_mappings_bounds_each_context)
{
	const unsigned long max = 8;
	size_t pg = self->page_size;
	__u64 iova, unmapped;
	unsigned long i;

	ASSERT_STREQ("0\n", self->saved);
	ASSERT_EQ(0, sysfs_write(MAX_MAPPINGS, "8"));
	/* Over two IOASes of the context: 6 in one, 2 in the other. */
	for (i = 0; i < 6; i++)
		ASSERT_EQ(0, map_page_at(self->fd, self->ioas_id, self->buf,
					 pg, i));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, map_page_at(self->fd, self->ioas2_id, self->buf,
					 pg, i));
	ASSERT_EQ(-ENOSPC, map_page_at(self->fd, self->ioas_id, self->buf,
				       pg, max));
	iova = 0;
	ASSERT_EQ(-ENOSPC, ioas_map(self->fd, self->ioas2_id, self->buf, pg,
				    &iova, MAP_RW));
	iova = 0;
	ASSERT_EQ(-ENOSPC, ioas_copy(self->fd, self->ioas2_id, self->ioas_id,
				     pg, &iova, pg, MAP_RW));

	/* Another context has a count of its own. */
	for (i = 0; i < max; i++)
		ASSERT_EQ(0, map_page_at(self->other, self->other_ioas_id,
					 self->buf, pg, i));
	ASSERT_EQ(-ENOSPC, map_page_at(self->other, self->other_ioas_id,
				       self->buf, pg, max));

	/* Unmapping gives back exactly what it removed. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, pg, 2 * pg,
				&unmapped));
	ASSERT_EQ(2 * pg, unmapped);
	/* A COPY counts a mapping per source mapping: two here. */
	iova = 0;
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas2_id, self->ioas_id,
			       2 * pg, &iova, 3 * pg, MAP_RW));
	ASSERT_EQ(-ENOSPC, map_page_at(self->fd, self->ioas_id, self->buf,
				       pg, 0));
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas2_id, &unmapped));
	ASSERT_EQ(4 * pg, unmapped);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, map_page_at(self->fd, self->ioas2_id, self->buf,
					 pg, i));
	ASSERT_EQ(-ENOSPC, map_page_at(self->fd, self->ioas2_id, self->buf,
				       pg, 4));

	/* 0 is no limit again. */
	ASSERT_EQ(0, sysfs_write(MAX_MAPPINGS, "0"));
	ASSERT_EQ(0, map_page_at(self->fd, self->ioas2_id, self->buf, pg, 4));
}

/*
 * An edu device attached to an IOAS, for a large map of small pages into
 * its IOMMU domain.
 */
FIXTURE(big) {
	char bdf[16];
	int devfd, fd;
	__u32 dev_id, ioas_id;
	struct edu_bar bar;
	char unsafe;
	struct ioasid_counters start;
};

FIXTURE_SETUP(big)
{
	char bdfs[4][16];
	int rc;

	self->devfd = -1;
	self->fd = -1;
	self->bdf[0] = '\0';
	if (access(IOASID_DEV, F_OK) || ioasid_read_counters(&self->start))
		SKIP(return, "ioasid.ko not loaded or debugfs not mounted");
	if (find_edu(bdfs, 4) < 1)
		SKIP(return, "no edu device (1234:11e8) on this machine");
	snprintf(self->bdf, sizeof(self->bdf), "%s", bdfs[0]);
	self->unsafe = set_unsafe_interrupts('1');
	ASSERT_TRUE(pci_bind_driver(self->bdf, "ioasid_pci"));
	self->devfd = open_device_file(self->bdf);
	ASSERT_LE(0, self->devfd);
	self->fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, &self->dev_id));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	rc = attach(self->fd, self->dev_id, self->ioas_id, 0);
	if (rc == -EOPNOTSUPP) {
		/* The harness runs no teardown after a skipped setup. */
		close(self->devfd);
		close(self->fd);
		pci_release(self->bdf);
		set_unsafe_interrupts(self->unsafe);
		self->bdf[0] = '\0';
		SKIP(return, "the IOMMU gives this device no paging domain");
	}
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, edu_map(self->devfd, &self->bar));
	ASSERT_EQ(0, pci_bus_master(self->devfd, 1));
}

FIXTURE_TEARDOWN(big)
{
	struct ioasid_counters end;

	if (!self->bdf[0])
		return;
	if (self->devfd >= 0)
		close(self->devfd);
	if (self->fd >= 0)
		close(self->fd);
	pci_release(self->bdf);
	set_unsafe_interrupts(self->unsafe);
	ASSERT_EQ(0, ioasid_read_counters(&end));
	ASSERT_TRUE(ioasid_counters_equal(&self->start, &end));
}

/*
 * 1 GiB of IOVA in 4 KiB pages, in a guest of 1 GiB: 512 MiB of memory
 * (no transparent huge pages) mapped as one mapping and copied once, both
 * at IOVAs the kernel chooses (clear of the lane's reserved regions and
 * within its windows); then the domain is filled anew by a detach and
 * attach.  The debug lane maps 256 MiB, copied once.  A DMA through the
 * first mapping, from its first page to the last page of it edu can
 * address, proves it is all there.
 */
TEST_F_TIMEOUT(big, large_map_of_small_pages, 1200)
{
	size_t size = 512UL << 20, pg = getpagesize();
	const __u64 edu_limit = 1UL << 28;
	__u64 iova = 0, copy = 0, unmapped, far;
	double t0, t_map, t_copy, t_attach;
	char *buf;

	if (debug_kernel()) {
		size /= 2;
		ksft_print_msg("debug kernel: %zu MiB\n", size >> 20);
	}
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, madvise(buf, size, MADV_NOHUGEPAGE));
	memset(buf, 0x5a, size);

	t0 = now();
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, buf, size, &iova,
			      MAP_RW));
	t_map = now() - t0;
	t0 = now();
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas_id, self->ioas_id, size,
			       &copy, iova, MAP_RW));
	t_copy = now() - t0;
	ASSERT_EQ(0, detach(self->fd, self->dev_id));
	t0 = now();
	ASSERT_EQ(0, attach(self->fd, self->dev_id, self->ioas_id, 0));
	t_attach = now() - t0;
	ksft_print_msg("%zu MiB of 4 KiB pages at 0x%llx: map %.2f s, copy %.2f s\n",
		       size >> 20, (unsigned long long)iova, t_map, t_copy);
	ksft_print_msg("attach filling %zu MiB: %.2f s\n", 2 * size >> 20,
		       t_attach);

	/* edu reaches the first 256 MiB of IOVA. */
	far = (iova + size < edu_limit ? iova + size : edu_limit) - pg;
	if (iova + pg <= far) {
		memset(buf + (far - iova), 0xc3, EDU_DMA_MAX);
		ASSERT_EQ(0, edu_dma(&self->bar, far, EDU_DMA_MAX, false));
		ASSERT_EQ(0, edu_dma(&self->bar, iova, EDU_DMA_MAX, true));
		ASSERT_EQ(0, memcmp(buf, buf + (far - iova), EDU_DMA_MAX));
	} else {
		ksft_print_msg("the mapping is beyond edu's 28-bit reach: no DMA check\n");
	}

	t0 = now();
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, &unmapped));
	ksft_print_msg("unmap of %zu MiB: %.2f s\n", 2 * size >> 20,
		       now() - t0);
	ASSERT_EQ(2 * size, unmapped);
	munmap(buf, size);
}

TEST_HARNESS_MAIN
