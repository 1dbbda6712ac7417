// SPDX-License-Identifier: GPL-2.0
/*
 * The mock backend (ioasid.ko loaded with mock=1): software DMA through a
 * software IOMMU whose page sizes (below the CPU page on purpose),
 * aperture, reserved region, PASID width and nesting formats each test
 * chooses, going through the same core paths as the hardware.  Then the
 * enable step on heterogeneous mock devices: every reason ENABLE gives for
 * a refusal, the same reasons at a later attach, the two-stage fallback
 * carried out (a guest's stage-1 table on the nested plan, none on the
 * kernel-managed one), and the features descriptor read back and given to
 * another IOAS.  ioasid_nested tests nesting itself.
 *
 * Every test checks at teardown that closing the file gave back every
 * object, pin, accounted page, domain, nested hwpt and fault queue.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ioasid_utils.h"
#include "ioasid_mock_utils.h"
#include "../../../ioasid/ioasid_features.h"

#define MIB (1024ULL * 1024)
#define APERTURE_LAST ((1ULL << 48) - 1)
#define REFUSAL "ioasid: mock refused by enabled IOAS"

static size_t page;

/* A mock device that honours everything the enable tests ask for. */
static struct ioasid_test_mock_device mock_capable(void)
{
	return (struct ioasid_test_mock_device){
		.caps = IOASID_DEVICE_CAP_COHERENT |
			IOASID_DEVICE_CAP_ISOLATED_MSI |
			IOASID_DEVICE_CAP_DIRTY_TRACKING,
		.max_pasid_log2 = 16,
		.nesting_formats = IOASID_NESTING_VTD_S1,
		.pgsize_bitmap = page / 2,
		.aperture_last = APERTURE_LAST,
	};
}

/*
 * Open @ctx with mock_open(), and learn the CPU page size every test
 * uses.
 */
static const char *open_mock_ctx(struct mock_ctx *ctx)
{
	page = getpagesize();
	return mock_open(ctx);
}

/* A mock context and memory to map; mock=1 is required. */
FIXTURE(mock) {
	struct mock_ctx ctx;
	char *buf;
};

FIXTURE_SETUP(mock)
{
	const char *why = open_mock_ctx(&self->ctx);

	if (why)
		SKIP(return, "%s", why);
	ASSERT_LE(0, self->ctx.fd);
	ASSERT_EQ(0, ioas_alloc(self->ctx.fd, &self->ctx.ioas_id));
	self->buf = mmap(NULL, 16 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0, 16 * page);
}

FIXTURE_TEARDOWN(mock)
{
	ASSERT_TRUE(mock_close(&self->ctx));
}

/* Map @n pages of the buffer from page @first at @iova. */
static int map_buf(struct _test_data_mock *self, __u32 ioas_id, int first,
		   int n, __u64 iova, __u32 flags)
{
	return ioas_map(self->ctx.fd, ioas_id, self->buf + first * page, n * page,
			&iova, IOASID_IOAS_MAP_FIXED_IOVA | flags);
}

static int add_mock(struct _test_data_mock *self,
		    struct ioasid_test_mock_device config, __u32 *dev_id)
{
	return mock_device(self->ctx.fd, &config, dev_id);
}

TEST_F(mock, dma_goes_through_the_page_table)
{
	char out[300], in[300];
	__u32 dev_id;
	size_t i;

	ASSERT_EQ(0, add_mock(self, mock_capable(), &dev_id));
	ASSERT_EQ(0, map_buf(self, self->ctx.ioas_id, 2, 2, 64 * MIB, MAP_RW));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(self->ctx.start.domains + 1, ioasid_counter("domains"));

	/* Across an IOMMU page and a CPU page boundary. */
	for (i = 0; i < sizeof(out); i++)
		out[i] = i * 13 + 1;
	ASSERT_EQ(0, mock_dma(self->ctx.fd, dev_id, 64 * MIB + page - 100, out,
			      sizeof(out), true));
	ASSERT_EQ(0, memcmp(self->buf + 3 * page - 100, out, sizeof(out)));
	ASSERT_EQ(0, self->buf[3 * page - 101]);
	ASSERT_EQ(0, self->buf[3 * page + 200]);

	/* Across an IOMMU page boundary inside a CPU page. */
	ASSERT_EQ(0, mock_dma(self->ctx.fd, dev_id, 64 * MIB + page / 2 - 100,
			      out, sizeof(out), true));
	ASSERT_EQ(0, memcmp(self->buf + 2 * page + page / 2 - 100, out,
			    sizeof(out)));

	self->buf[2 * page + 5] = 0x5a;
	ASSERT_EQ(0, mock_dma(self->ctx.fd, dev_id, 64 * MIB, in, 6, false));
	ASSERT_EQ(0x5a, in[5]);
}

TEST_F(mock, unmapped_and_read_only_iovas_stop_the_dma)
{
	char out[64];
	__u32 dev_id;

	memset(out, 0x77, sizeof(out));
	ASSERT_EQ(0, add_mock(self, mock_capable(), &dev_id));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(0, map_buf(self, self->ctx.ioas_id, 0, 1, 64 * MIB,
			     IOASID_IOAS_MAP_READABLE));
	ASSERT_EQ(-EACCES, mock_dma(self->ctx.fd, dev_id, 64 * MIB, out,
				    sizeof(out), true));
	ASSERT_EQ(0, self->buf[0]);
	ASSERT_EQ(0, mock_dma(self->ctx.fd, dev_id, 64 * MIB, out, sizeof(out),
			      false));
	ASSERT_EQ(0, out[0]);
	ASSERT_EQ(-ENXIO, mock_dma(self->ctx.fd, dev_id, 64 * MIB + page, out,
				   sizeof(out), false));
	ASSERT_EQ(0, ioas_unmap(self->ctx.fd, self->ctx.ioas_id, 64 * MIB, page,
				NULL));
	ASSERT_EQ(-ENXIO, mock_dma(self->ctx.fd, dev_id, 64 * MIB, out,
				   sizeof(out), false));
}

TEST_F(mock, detach_blocks_and_attach_fills)
{
	char out[8] = "mockdma";
	__u32 dev_id;

	ASSERT_EQ(0, add_mock(self, mock_capable(), &dev_id));
	ASSERT_EQ(-ENXIO, mock_dma(self->ctx.fd, dev_id, 64 * MIB, out,
				   sizeof(out), true));
	ASSERT_EQ(0, map_buf(self, self->ctx.ioas_id, 0, 1, 64 * MIB, MAP_RW));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(0, mock_dma(self->ctx.fd, dev_id, 64 * MIB, out, sizeof(out),
			      true));
	ASSERT_EQ(0, memcmp(self->buf, out, sizeof(out)));
	ASSERT_EQ(0, detach(self->ctx.fd, dev_id));
	ASSERT_EQ(self->ctx.start.domains, ioasid_counter("domains"));
	memset(self->buf, 0, page);
	ASSERT_EQ(-ENXIO, mock_dma(self->ctx.fd, dev_id, 64 * MIB, out,
				   sizeof(out), true));
	ASSERT_EQ(0, self->buf[0]);
}

/* Half-page IOMMU pages: the IOAS still maps in CPU pages. */
TEST_F(mock, iommu_pages_below_the_cpu_page)
{
	struct ioasid_device_info dev;
	struct ioasid_ioas_info info;
	__u64 iova = 64 * MIB;
	__u32 dev_id;

	ASSERT_EQ(0, add_mock(self, mock_capable(), &dev_id));
	ASSERT_EQ(0, device_info(self->ctx.fd, dev_id, &dev));
	ASSERT_EQ(IOASID_IOMMU_FAMILY_MOCK, dev.out_family);
	ASSERT_EQ(page / 2, dev.out_pgsize_bitmap);
	ASSERT_EQ(16, dev.out_max_pasid_log2);
	ASSERT_EQ(IOASID_NESTING_VTD_S1, dev.out_nesting_formats);
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(0, ioas_info(self->ctx.fd, self->ctx.ioas_id, &info));
	ASSERT_EQ(page / 2, info.out_min_page_size);
	ASSERT_EQ(-EINVAL, ioas_map(self->ctx.fd, self->ctx.ioas_id, self->buf,
				    page / 2, &iova, MAP_FIXED_RW));
	ASSERT_EQ(0, map_buf(self, self->ctx.ioas_id, 0, 3, 64 * MIB, MAP_RW));
	ASSERT_EQ(-EINVAL, ioas_unmap(self->ctx.fd, self->ctx.ioas_id,
				      64 * MIB + page / 2, page, NULL));
	ASSERT_EQ(0, ioas_unmap(self->ctx.fd, self->ctx.ioas_id, 64 * MIB, 3 * page,
				NULL));
}

/* The page frame of the page at @addr, or 0 when it is not known. */
static __u64 pfn_of(void *addr)
{
	return physical_address(addr) / page;
}

/*
 * IOMMU pages of two CPU pages: the IOAS reports that alignment, and
 * refuses what its domain could not map, leaving nothing pinned and before
 * the IOMMU core would log an unaligned map: IOVAs and lengths not aligned,
 * and memory whose frames are not contiguous, aligned pairs, such as a
 * page mapped twice or a huge page from its second page on.  A group whose
 * domain could not map an existing mapping is refused at attach.
 */
TEST_F(mock, iommu_pages_above_the_cpu_page)
{
	struct ioasid_test_mock_device config = mock_capable();
	const size_t huge = 2 * MIB, block = 2 * page;
	long pinned = ioasid_counter("pinned_pages");
	int unaligned = klog_count("unaligned:");
	__u32 dev_id, dev2, ioas2, src_ioas, tag = 0x600dd1ce;
	__u64 iova, iova2 = 64 * MIB, src = 64 * MIB + page;
	struct ioasid_ioas_info info;
	char *raw, *thp, *twice;
	int memfd;

	config.pgsize_bitmap = block | huge;
	ASSERT_EQ(0, add_mock(self, config, &dev_id));
	ASSERT_EQ(0, add_mock(self, config, &dev2));
	ASSERT_EQ(page, ioas_iova_alignment(self->ctx.fd, self->ctx.ioas_id));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0,
				   NULL));
	ASSERT_EQ(0, ioas_info(self->ctx.fd, self->ctx.ioas_id, &info));
	ASSERT_EQ(block, info.out_min_page_size);
	ASSERT_EQ(block, ioas_iova_alignment(self->ctx.fd, self->ctx.ioas_id));

	raw = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	thp = (char *)(((uintptr_t)raw + huge - 1) & ~(huge - 1));
	madvise(thp, huge, MADV_HUGEPAGE);
	memset(thp, 0, huge);

	/* Unaligned IOVA or length. */
	iova = 64 * MIB + page;
	ASSERT_EQ(-EINVAL, ioas_map(self->ctx.fd, self->ctx.ioas_id, thp,
				    block, &iova, MAP_FIXED_RW));
	iova = 64 * MIB;
	ASSERT_EQ(-EINVAL, ioas_map(self->ctx.fd, self->ctx.ioas_id, thp, page,
				    &iova, MAP_FIXED_RW));
	ASSERT_EQ(-EINVAL, ioas_map(self->ctx.fd, self->ctx.ioas_id, thp,
				    3 * page, &iova, MAP_RW));

	/* One page twice: not contiguous. */
	memfd = memfd_create("ioasid-twice", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, page));
	twice = mmap(NULL, block, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, twice);
	ASSERT_EQ(twice + page, mmap(twice + page, page, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_FIXED, memfd, 0));
	twice[0] = 1;
	ASSERT_EQ(-EINVAL, ioas_map(self->ctx.fd, self->ctx.ioas_id, twice,
				    block, &iova, MAP_RW));

	/* Contiguous but out of phase: from the second page of a pair. */
	if (pfn_of(thp) && !(pfn_of(thp) % 2) &&
	    pfn_of(thp + page) == pfn_of(thp) + 1 &&
	    pfn_of(thp + block) == pfn_of(thp) + 2)
		ASSERT_EQ(-EINVAL, ioas_map(self->ctx.fd, self->ctx.ioas_id,
					    thp + page, block, &iova, MAP_RW));
	ASSERT_EQ(pinned, ioasid_counter("pinned_pages"));

	/* An aligned pair maps at an aligned IOVA the kernel chooses. */
	if (!pfn_of(thp) || pfn_of(thp) % 2 ||
	    pfn_of(thp + page) != pfn_of(thp) + 1)
		SKIP(goto out, "no physically aligned pair of pages (no THP)");
	iova = 0;
	ASSERT_EQ(0, ioas_map(self->ctx.fd, self->ctx.ioas_id, thp, block,
			      &iova, MAP_RW));
	ASSERT_EQ(0, iova % block);
	ASSERT_EQ(0, mock_dma(self->ctx.fd, dev_id, iova + page + 8, &tag,
			      sizeof(tag), true));
	ASSERT_EQ(0, memcmp(thp + page + 8, &tag, sizeof(tag)));

	/* A COPY from an IOVA out of phase lands at an aligned one too. */
	ASSERT_EQ(0, ioas_alloc(self->ctx.fd, &src_ioas));
	ASSERT_EQ(0, ioas_map(self->ctx.fd, src_ioas, thp, block, &src,
			      MAP_FIXED_RW));
	iova = 0;
	ASSERT_EQ(0, ioas_copy(self->ctx.fd, self->ctx.ioas_id, src_ioas, block,
			       &iova, src, MAP_RW));
	ASSERT_EQ(0, iova % block);
	tag = ~tag;
	ASSERT_EQ(0, mock_dma(self->ctx.fd, dev_id, iova + page + 16, &tag,
			      sizeof(tag), true));
	ASSERT_EQ(0, memcmp(thp + page + 16, &tag, sizeof(tag)));

	/* One page mapped in another IOAS keeps such a device out of it. */
	ASSERT_EQ(0, ioas_alloc(self->ctx.fd, &ioas2));
	ASSERT_EQ(0, ioas_map(self->ctx.fd, ioas2, thp, page, &iova2,
			      MAP_FIXED_RW));
	ASSERT_EQ(-EADDRINUSE, device_attach(self->ctx.fd, dev2, ioas2, 0,
					     NULL));
	ASSERT_EQ(0, ioas_info(self->ctx.fd, ioas2, &info));
	ASSERT_EQ(0, info.out_num_devices);
	ASSERT_EQ(page, ioas_iova_alignment(self->ctx.fd, ioas2));
out:
	ASSERT_EQ(unaligned, klog_count("unaligned:"));
	munmap(twice, block);
	close(memfd);
	munmap(raw, 2 * huge);
}

/*
 * Have the mock device write, through @iova, a tag of @base | i into each
 * page i of the @n pages at @mem (at an offset that differs from page to
 * page), and check that each lands in its own page.
 */
static void dma_tag_every_page(struct __test_metadata *_metadata, int fd,
			       __u32 dev_id, __u64 iova, const char *mem,
			       size_t n, __u32 base)
{
	__u32 tag;
	size_t i;

	for (i = 0; i < n; i++) {
		tag = base | i;
		ASSERT_EQ(0, mock_dma(fd, dev_id, iova + i * page + i % 64 * 8,
				      &tag, sizeof(tag), true));
	}
	for (i = 0; i < n; i++) {
		memcpy(&tag, mem + i * page + i % 64 * 8, sizeof(tag));
		ASSERT_EQ(base | i, tag);
	}
}

/*
 * Small pages, then a transparent huge page where the kernel gives one: the
 * pin records them as runs of frames, and a run of the huge page crosses
 * the boundary of a pin batch (a page of page pointers) when the CPU page
 * is 4 KiB.  A DMA to each page lands in that page.
 */
TEST_F(mock, dma_reaches_every_page_of_small_and_huge_pages)
{
	const size_t huge = 2 * MIB, small = 16;
	size_t n = small + huge / page;
	long pinned = ioasid_counter("pinned_pages");
	char *raw, *start, *thp;
	__u64 iova = 64 * MIB;
	__u32 dev_id;

	raw = mmap(NULL, 3 * huge, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	thp = (char *)(((uintptr_t)raw + 2 * huge - 1) & ~(huge - 1));
	start = thp - small * page;
	madvise(thp - huge, huge, MADV_NOHUGEPAGE);
	madvise(thp, huge, MADV_HUGEPAGE);
	memset(start, 0, n * page);

	ASSERT_EQ(0, add_mock(self, mock_capable(), &dev_id));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(0, ioas_map(self->ctx.fd, self->ctx.ioas_id, start, n * page,
			      &iova, MAP_FIXED_RW));
	ASSERT_EQ(pinned + (long)n, ioasid_counter("pinned_pages"));
	dma_tag_every_page(_metadata, self->ctx.fd, dev_id, iova, start, n,
			   0xd0000000);
	ASSERT_EQ(0, ioas_unmap(self->ctx.fd, self->ctx.ioas_id, iova, n * page,
				NULL));
	ASSERT_EQ(pinned, ioasid_counter("pinned_pages"));
	munmap(raw, 3 * huge);
}

/*
 * A MAP over memory that earlier MAPs pinned in pieces shares their pins
 * and finds every frame through them: a huge page mapped as its 16 first
 * prefixes, then as a whole, is pinned once, and the device's writes through
 * the whole land in each page.
 */
TEST_F(mock, dma_through_a_map_of_pins_shared_in_pieces)
{
	const size_t huge = 2 * MIB, pieces = 16;
	size_t n = huge / page, i;
	long pinned = ioasid_counter("pinned_pages");
	__u64 iova = 64 * MIB, piece;
	__u32 dev_id, tag;
	char *raw, *thp;

	raw = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	thp = (char *)(((uintptr_t)raw + huge - 1) & ~(huge - 1));
	madvise(thp, huge, MADV_HUGEPAGE);
	memset(thp, 0, huge);

	ASSERT_EQ(0, add_mock(self, mock_capable(), &dev_id));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0, NULL));
	for (i = 1; i <= pieces; i++) {
		piece = 0;
		ASSERT_EQ(0, ioas_map(self->ctx.fd, self->ctx.ioas_id, thp,
				      i * page, &piece, MAP_RW));
	}
	ASSERT_EQ(pinned + (long)pieces, ioasid_counter("pinned_pages"));
	ASSERT_EQ(0, ioas_map(self->ctx.fd, self->ctx.ioas_id, thp, huge,
			      &iova, MAP_FIXED_RW));
	ASSERT_EQ(pinned + (long)n, ioasid_counter("pinned_pages"));
	dma_tag_every_page(_metadata, self->ctx.fd, dev_id, iova, thp, n,
			   0xe0000000);
	/* The last piece reads what the device wrote through the whole. */
	ASSERT_EQ(0, mock_dma(self->ctx.fd, dev_id,
			      piece + (pieces - 1) * page + (pieces - 1) % 64 * 8,
			      &tag, sizeof(tag), false));
	ASSERT_EQ(0xe0000000 | (pieces - 1), tag);
	ASSERT_EQ(0, ioas_unmap_all(self->ctx.fd, self->ctx.ioas_id, NULL));
	ASSERT_EQ(pinned, ioasid_counter("pinned_pages"));
	munmap(raw, 2 * huge);
}

/*
 * A file mapped with no user address at all: what was written to the file
 * is what the device reads, what the device writes is what the file reads
 * back, and pages the file did not have yet are allocated for the mapping.
 */
TEST_F(mock, dma_through_a_map_of_a_file)
{
	const size_t n = 8, first = 2;
	long pinned = ioasid_counter("pinned_pages");
	long accounted = ioasid_counter("accounted_pages");
	char *out, *in, *view;
	__u64 iova = 64 * MIB;
	__u32 dev_id;
	int memfd;

	out = malloc(n * page);
	in = malloc(n * page);
	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, in);
	memfd = memfd_create("ioasid_mock", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, 16 * page));
	/* Half the range written, half a hole until the MAP fills it. */
	memset(out, 0xa5, n * page);
	ASSERT_EQ(n / 2 * page, pwrite(memfd, out, n / 2 * page, first * page));

	ASSERT_EQ(0, add_mock(self, mock_capable(), &dev_id));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0,
				   NULL));
	ASSERT_EQ(0, ioas_map_file(self->ctx.fd, self->ctx.ioas_id, memfd,
				   first * page, n * page, &iova, MAP_FIXED_RW));
	ASSERT_EQ(pinned + (long)n, ioasid_counter("pinned_pages"));
	ASSERT_EQ(accounted + (long)n, ioasid_counter("accounted_pages"));

	ASSERT_EQ(0, mock_dma(self->ctx.fd, dev_id, iova, in, n * page,
			      false));
	ASSERT_EQ(0, memcmp(out, in, n / 2 * page));
	memset(out, 0, n * page);
	ASSERT_EQ(0, memcmp(out + n / 2 * page, in + n / 2 * page,
			    n / 2 * page));

	view = mmap(NULL, n * page, PROT_READ, MAP_SHARED, memfd, first * page);
	ASSERT_NE(MAP_FAILED, view);
	dma_tag_every_page(_metadata, self->ctx.fd, dev_id, iova, view, n,
			   0xf0000000);
	munmap(view, n * page);
	ASSERT_EQ(0, ioas_unmap(self->ctx.fd, self->ctx.ioas_id, iova,
				n * page, NULL));
	ASSERT_EQ(pinned, ioasid_counter("pinned_pages"));
	ASSERT_EQ(accounted, ioasid_counter("accounted_pages"));
	close(memfd);
	free(out);
	free(in);
}

/* Set the number of default huge pages; returns 0 or -1. */
/*
 * A hugetlbfs memfd mapped from the middle of its first huge page to the
 * middle of its second: the MAP allocates the huge pages, reserved as
 * fallocate() reserves them (a read-only file gets none), one pin per huge
 * folio, in phase at a kernel-chosen IOVA, and a DMA to each base page
 * lands in that page of the file.  The test grows the huge page pool by
 * the two pages it needs, and shrinks it back: the pool's count of
 * reserved pages must come back too.
 */
TEST_F(mock, dma_through_a_map_of_huge_pages_of_a_file)
{
	long huge_kib = ioasid_meminfo("Hugepagesize: %ld kB"), pool;
	size_t huge = huge_kib > 0 ? huge_kib * 1024 : 0, n;
	long pinned = ioasid_counter("pinned_pages");
	long reserved = ioasid_meminfo("HugePages_Rsvd: %ld");
	__u64 iova = 0;
	__u32 dev_id;
	char path[64], *view;
	int memfd, ro;

	pool = ioasid_huge_pool();
	if (!huge || pool < 0 || ioasid_set_huge_pool(pool + 2))
		SKIP(return, "no hugetlbfs huge pages on this kernel");
	memfd = memfd_create("ioasid_mock_huge", MFD_CLOEXEC | MFD_HUGETLB);
	if (memfd < 0 || ftruncate(memfd, 2 * huge) ||
	    ioasid_huge_pool() < pool + 2) {
		if (memfd >= 0)
			close(memfd);
		ioasid_set_huge_pool(pool);
		SKIP(return, "the huge page pool cannot grow by two pages");
	}
	n = huge / page;

	ASSERT_EQ(0, add_mock(self, mock_capable(), &dev_id));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0,
				   NULL));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	ASSERT_EQ(-EFAULT, ioas_map_file(self->ctx.fd, self->ctx.ioas_id, ro,
					 0, huge, &iova,
					 IOASID_IOAS_MAP_READABLE));
	ASSERT_EQ(pinned, ioasid_counter("pinned_pages"));
	ASSERT_EQ(0, ioas_map_file(self->ctx.fd, self->ctx.ioas_id, memfd,
				   huge / 2, huge, &iova, MAP_RW));
	ASSERT_EQ(huge / 2, iova % huge);
	ASSERT_EQ(pinned + (long)n, ioasid_counter("pinned_pages"));
	view = mmap(NULL, 2 * huge, PROT_READ, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, view);
	dma_tag_every_page(_metadata, self->ctx.fd, dev_id, iova,
			   view + huge / 2, n, 0xc0000000);
	munmap(view, 2 * huge);
	ASSERT_EQ(0, ioas_unmap_all(self->ctx.fd, self->ctx.ioas_id, NULL));
	ASSERT_EQ(pinned, ioasid_counter("pinned_pages"));
	/* Now that they exist, a read-only file maps them too. */
	ASSERT_EQ(0, ioas_map_file(self->ctx.fd, self->ctx.ioas_id, ro, 0,
				   2 * huge, &iova, IOASID_IOAS_MAP_READABLE));
	ASSERT_EQ(0, ioas_unmap_all(self->ctx.fd, self->ctx.ioas_id, NULL));
	close(ro);
	close(memfd);
	ASSERT_EQ(reserved, ioasid_meminfo("HugePages_Rsvd: %ld"));
	ASSERT_EQ(0, ioasid_set_huge_pool(pool));
	ASSERT_EQ(pool, ioasid_huge_pool());
}

/* Base pages of anonymous memory on either side of the huge pages. */
#define SMALL_PAGES 4

/*
 * Two huge pages of anonymous hugetlb memory, with SMALL_PAGES small pages
 * of anonymous memory just before and just after them, in one reservation
 * of address space; and the huge page pool as it was before.
 */
struct huge_mem {
	size_t huge, n;		/* bytes, and base pages, of a huge page */
	long pool, in_use, surplus;
	char *raw, *mem;	/* the reservation; the first huge page */
	size_t raw_len;
};

/*
 * Grow the pool by three huge pages (the third for a page that a long-term
 * pin must move out of a movable zone) and map two, @share (MAP_PRIVATE or
 * MAP_SHARED), at a huge page boundary of the reservation, the small pages
 * around them, all of it written; returns why it cannot, the pool as it
 * was, or NULL.
 */
static const char *huge_mem_map(struct huge_mem *hm, int share)
{
	long huge_kib = ioasid_meminfo("Hugepagesize: %ld kB");
	const size_t small = SMALL_PAGES * page;
	const int rw = PROT_READ | PROT_WRITE;
	char *before, *after;

	hm->huge = huge_kib > 0 ? huge_kib * 1024 : 0;
	hm->n = hm->huge / page;
	hm->pool = ioasid_huge_pool();
	hm->in_use = ioasid_meminfo("HugePages_Total: %ld") -
		     ioasid_meminfo("HugePages_Free: %ld");
	hm->surplus = ioasid_meminfo("HugePages_Surp: %ld");
	if (!hm->huge || hm->pool < 0 || hm->surplus < 0)
		return "no hugetlbfs huge pages on this kernel";
	if (ioasid_set_huge_pool(hm->pool + 3) ||
	    ioasid_huge_pool() < hm->pool + 3) {
		ioasid_set_huge_pool(hm->pool);
		return "the huge page pool cannot grow by three pages";
	}
	hm->raw_len = 2 * small + 3 * hm->huge;
	hm->raw = mmap(NULL, hm->raw_len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hm->raw == MAP_FAILED) {
		ioasid_set_huge_pool(hm->pool);
		return "no room for the huge pages";
	}
	hm->mem = (char *)(((uintptr_t)hm->raw + small + hm->huge - 1) &
			   ~(hm->huge - 1));
	before = hm->mem - small;
	after = hm->mem + 2 * hm->huge;
	if (mmap(before, small, rw, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) != before ||
	    mmap(hm->mem, 2 * hm->huge, rw,
		 share | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED,
		 -1, 0) != hm->mem ||
	    mmap(after, small, rw, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) != after) {
		munmap(hm->raw, hm->raw_len);
		ioasid_set_huge_pool(hm->pool);
		return "two huge pages of anonymous memory cannot be mapped";
	}
	memset(before, 0, 2 * small + 2 * hm->huge);
	return NULL;
}

/*
 * Unmap the memory of @hm: every huge page must go back to the pool (a
 * huge page still pinned would not be free), and the pool must shrink back
 * to its size, with no surplus page left (a huge page in use becomes one).
 */
static void huge_mem_unmap(struct __test_metadata *_metadata,
			   struct huge_mem *hm)
{
	ASSERT_EQ(0, munmap(hm->raw, hm->raw_len));
	ASSERT_EQ(hm->in_use, ioasid_meminfo("HugePages_Total: %ld") -
			      ioasid_meminfo("HugePages_Free: %ld"));
	ASSERT_EQ(0, ioasid_set_huge_pool(hm->pool));
	ASSERT_EQ(hm->pool, ioasid_huge_pool());
	ASSERT_EQ(hm->surplus, ioasid_meminfo("HugePages_Surp: %ld"));
}

/*
 * The IOVA of slot @slot (32 huge pages apart) for memory at @addr, in the
 * phase of @addr in its huge page, so that an IOMMU could map huge pages.
 */
static __u64 iova_in_phase(int slot, const void *addr, size_t huge)
{
	return slot * 32 * (__u64)huge + ((uintptr_t)addr & (huge - 1));
}

/*
 * Have the mock device read, through @iova, from each page i of the @n
 * pages at @mem, at the offset dma_tag_every_page() writes at, what the
 * CPU reads there.
 */
static void dma_read_every_page(struct __test_metadata *_metadata, int fd,
				__u32 dev_id, __u64 iova, const char *mem,
				size_t n)
{
	__u32 tag, want;
	size_t i;

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, mock_dma(fd, dev_id, iova + i * page + i % 64 * 8,
				      &tag, sizeof(tag), false));
		memcpy(&want, mem + i * page + i % 64 * 8, sizeof(want));
		ASSERT_EQ(want, tag);
	}
}

/*
 * Private anonymous hugetlb memory, between small pages: a MAP from the
 * middle of one huge page to the middle of the next pins each of its base
 * pages once (a huge folio with one pin); a MAP inside it pins nothing
 * more; one that begins before it and ends after it pins only the pages it
 * adds; and one from the small pages before the huge pages to those after
 * them pins only what no MAP holds, in a new pin where the memory goes from
 * small pages to huge pages and back.  A DMA to each page of each MAP
 * lands in that page.  The last MAP keeps every page it maps pinned when
 * the others go, and when it goes too, every pin is let go: the huge pages
 * go back to the pool, which shrinks back.
 */
TEST_F(mock, dma_through_maps_sharing_pins_of_huge_pages)
{
	long pinned = ioasid_counter("pinned_pages");
	const size_t s = SMALL_PAGES;
	__u64 iova_a, iova_b, iova_c, iova_d;
	char *a, *b, *c, *d;
	struct huge_mem hm;
	const char *why;
	__u32 dev_id;
	size_t n;

	why = huge_mem_map(&hm, MAP_PRIVATE);
	if (why)
		SKIP(return, "%s", why);
	n = hm.n;
	ASSERT_EQ(0, add_mock(self, mock_capable(), &dev_id));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0,
				   NULL));

	a = hm.mem + hm.huge / 2;
	iova_a = iova_in_phase(1, a, hm.huge);
	ASSERT_EQ(0, ioas_map(self->ctx.fd, self->ctx.ioas_id, a, n * page,
			      &iova_a, MAP_FIXED_RW));
	ASSERT_EQ(pinned + (long)n, ioasid_counter("pinned_pages"));
	dma_tag_every_page(_metadata, self->ctx.fd, dev_id, iova_a, a, n,
			   0xa0000000);

	/* Inside it, across the boundary of the huge pages. */
	b = hm.mem + hm.huge / 4 * 3;
	iova_b = iova_in_phase(2, b, hm.huge);
	ASSERT_EQ(0, ioas_map(self->ctx.fd, self->ctx.ioas_id, b,
			      n / 2 * page, &iova_b, MAP_FIXED_RW));
	ASSERT_EQ(pinned + (long)n, ioasid_counter("pinned_pages"));
	dma_tag_every_page(_metadata, self->ctx.fd, dev_id, iova_b, b, n / 2,
			   0xb0000000);

	/* A quarter of a huge page more on either side. */
	c = hm.mem + hm.huge / 4;
	iova_c = iova_in_phase(3, c, hm.huge);
	ASSERT_EQ(0, ioas_map(self->ctx.fd, self->ctx.ioas_id, c,
			      n / 2 * 3 * page, &iova_c, MAP_FIXED_RW));
	ASSERT_EQ(pinned + (long)(n + n / 2), ioasid_counter("pinned_pages"));
	dma_tag_every_page(_metadata, self->ctx.fd, dev_id, iova_c, c,
			   n / 2 * 3, 0xc0000000);

	/* Small pages, the two huge pages, small pages. */
	d = hm.mem - s * page;
	iova_d = iova_in_phase(4, d, hm.huge);
	ASSERT_EQ(0, ioas_map(self->ctx.fd, self->ctx.ioas_id, d,
			      (2 * n + 2 * s) * page, &iova_d, MAP_FIXED_RW));
	ASSERT_EQ(pinned + (long)(2 * n + 2 * s),
		  ioasid_counter("pinned_pages"));
	dma_tag_every_page(_metadata, self->ctx.fd, dev_id, iova_d, d,
			   2 * n + 2 * s, 0xd0000000);

	ASSERT_EQ(0, ioas_unmap(self->ctx.fd, self->ctx.ioas_id, iova_a,
				n * page, NULL));
	ASSERT_EQ(0, ioas_unmap(self->ctx.fd, self->ctx.ioas_id, iova_b,
				n / 2 * page, NULL));
	ASSERT_EQ(0, ioas_unmap(self->ctx.fd, self->ctx.ioas_id, iova_c,
				n / 2 * 3 * page, NULL));
	ASSERT_EQ(pinned + (long)(2 * n + 2 * s),
		  ioasid_counter("pinned_pages"));
	dma_tag_every_page(_metadata, self->ctx.fd, dev_id, iova_d, d,
			   2 * n + 2 * s, 0xe0000000);
	ASSERT_EQ(0, ioas_unmap_all(self->ctx.fd, self->ctx.ioas_id, NULL));
	ASSERT_EQ(pinned, ioasid_counter("pinned_pages"));
	huge_mem_unmap(_metadata, &hm);
}

/*
 * Shared anonymous hugetlb memory, between small pages: a read-only MAP of
 * both huge pages shares the pins of a writable MAP of the small pages
 * before them and the first huge page, pins only the second, reads what
 * the memory holds and refuses a DMA write; a writable MAP of the second
 * huge page and the small pages after it shares the read-only pins, and
 * its DMA to each page lands in that page.  Unmapped, every pin is let go:
 * the huge pages go back to the pool, which shrinks back.
 */
TEST_F(mock, dma_through_a_read_only_map_of_shared_huge_pages)
{
	long pinned = ioasid_counter("pinned_pages");
	const size_t s = SMALL_PAGES;
	__u64 iova_w, iova_r, iova_v;
	struct huge_mem hm;
	char *w, *v;
	const char *why;
	__u32 dev_id, tag;
	size_t n, i;

	why = huge_mem_map(&hm, MAP_SHARED);
	if (why)
		SKIP(return, "%s", why);
	n = hm.n;
	ASSERT_EQ(0, add_mock(self, mock_capable(), &dev_id));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0,
				   NULL));

	w = hm.mem - s * page;
	iova_w = iova_in_phase(1, w, hm.huge);
	ASSERT_EQ(0, ioas_map(self->ctx.fd, self->ctx.ioas_id, w,
			      (s + n) * page, &iova_w, MAP_FIXED_RW));
	ASSERT_EQ(pinned + (long)(s + n), ioasid_counter("pinned_pages"));
	dma_tag_every_page(_metadata, self->ctx.fd, dev_id, iova_w, w, s + n,
			   0xa0000000);
	/* Tags from the CPU too, beside those the device wrote. */
	for (i = 0; i < 2 * n; i++) {
		tag = 0xb0000000 | i;
		memcpy(hm.mem + i * page + i % 64 * 8, &tag, sizeof(tag));
	}

	iova_r = iova_in_phase(2, hm.mem, hm.huge);
	ASSERT_EQ(0, ioas_map(self->ctx.fd, self->ctx.ioas_id, hm.mem,
			      2 * n * page, &iova_r,
			      IOASID_IOAS_MAP_FIXED_IOVA |
			      IOASID_IOAS_MAP_READABLE));
	ASSERT_EQ(pinned + (long)(s + 2 * n), ioasid_counter("pinned_pages"));
	dma_read_every_page(_metadata, self->ctx.fd, dev_id, iova_r, hm.mem,
			    2 * n);
	tag = 0x77777777;
	ASSERT_EQ(-EACCES, mock_dma(self->ctx.fd, dev_id, iova_r + n * page,
				    &tag, sizeof(tag), true));
	memcpy(&tag, hm.mem + n * page, sizeof(tag));
	ASSERT_EQ(0xb0000000 | n, tag);

	v = hm.mem + hm.huge;
	iova_v = iova_in_phase(3, v, hm.huge);
	ASSERT_EQ(0, ioas_map(self->ctx.fd, self->ctx.ioas_id, v,
			      (n + s) * page, &iova_v, MAP_FIXED_RW));
	ASSERT_EQ(pinned + (long)(2 * s + 2 * n),
		  ioasid_counter("pinned_pages"));
	dma_tag_every_page(_metadata, self->ctx.fd, dev_id, iova_v, v, n + s,
			   0xc0000000);
	/* The read-only MAP reads what the device wrote. */
	dma_read_every_page(_metadata, self->ctx.fd, dev_id, iova_r, hm.mem,
			    2 * n);

	ASSERT_EQ(0, ioas_unmap_all(self->ctx.fd, self->ctx.ioas_id, NULL));
	ASSERT_EQ(pinned, ioasid_counter("pinned_pages"));
	huge_mem_unmap(_metadata, &hm);
}

TEST_F(mock, device_info_lists_the_reserved_region)
{
	struct ioasid_test_mock_device config = mock_capable();
	struct ioasid_iova_range regions[2] = { { 1, 1 }, { 2, 2 } };
	struct ioasid_device_info info;
	__u32 plain, resv;

	config.flags = IOASID_TEST_MOCK_RESV;
	config.resv_start = 32 * MIB;
	config.resv_last = 33 * MIB - 1;
	ASSERT_EQ(0, add_mock(self, mock_capable(), &plain));
	ASSERT_EQ(0, add_mock(self, config, &resv));
	ASSERT_EQ(0, device_info_resv(self->ctx.fd, plain, &info, regions, 2));
	ASSERT_EQ(0, info.num_resv_regions);
	ASSERT_EQ(1, regions[0].start);
	/* Without room, the count alone. */
	ASSERT_EQ(0, device_info_resv(self->ctx.fd, resv, &info, regions, 0));
	ASSERT_EQ(1, info.num_resv_regions);
	ASSERT_EQ(1, regions[0].start);
	ASSERT_EQ(0, device_info_resv(self->ctx.fd, resv, &info, regions, 2));
	ASSERT_EQ(1, info.num_resv_regions);
	ASSERT_EQ(32 * MIB, regions[0].start);
	ASSERT_EQ(33 * MIB - 1, regions[0].last);
	ASSERT_EQ(2, regions[1].start);
	ASSERT_EQ(-EFAULT, device_info_resv(self->ctx.fd, resv, &info,
					    (void *)8, 1));
	info = (struct ioasid_device_info){
		.size = sizeof(info), .dev_id = resv, .__reserved2 = 1,
	};
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->ctx.fd, IOASID_DEVICE_INFO, &info));
}

/* What an IOAS offers is what all of its devices do. */
TEST_F(mock, ioas_info_intersects_its_devices)
{
	struct ioasid_test_mock_device lesser = mock_capable();
	struct ioasid_ioas_info info;
	__u32 a, b;

	lesser.max_pasid_log2 = 8;
	lesser.nesting_formats = 0;
	lesser.caps &= ~IOASID_DEVICE_CAP_DIRTY_TRACKING;
	lesser.pgsize_bitmap = page | 2 * MIB;
	lesser.aperture_last = 512 * MIB - 1;
	ASSERT_EQ(0, add_mock(self, mock_capable(), &a));
	ASSERT_EQ(0, add_mock(self, lesser, &b));
	ASSERT_EQ(0, device_attach(self->ctx.fd, a, self->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(0, ioas_info(self->ctx.fd, self->ctx.ioas_id, &info));
	ASSERT_EQ(1, info.out_num_devices);
	ASSERT_EQ(1ULL << IOASID_IOMMU_FAMILY_MOCK, info.out_families);
	ASSERT_EQ(IOASID_NESTING_VTD_S1, info.out_nesting_formats);
	ASSERT_EQ(16, info.out_max_pasid_log2);
	ASSERT_TRUE(info.out_caps & IOASID_DEVICE_CAP_DIRTY_TRACKING);

	ASSERT_EQ(0, device_attach(self->ctx.fd, b, self->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(0, ioas_info(self->ctx.fd, self->ctx.ioas_id, &info));
	ASSERT_EQ(2, info.out_num_devices);
	ASSERT_EQ(0, info.out_nesting_formats);
	ASSERT_EQ(8, info.out_max_pasid_log2);
	ASSERT_FALSE(info.out_caps & IOASID_DEVICE_CAP_DIRTY_TRACKING);
	ASSERT_TRUE(info.out_caps & IOASID_DEVICE_CAP_COHERENT);
	/* No page size both map; a map goes by the larger smallest one. */
	ASSERT_EQ(0, info.out_pgsize_bitmap);
	ASSERT_EQ(page, info.out_min_page_size);
	ASSERT_EQ(512 * MIB - 1, info.out_aperture_last);
}

TEST_F(mock, devices_share_a_domain_when_they_can)
{
	struct ioasid_test_mock_device other = mock_capable();
	char out[4] = "abc", in[4];
	__u32 a, b, c;

	other.pgsize_bitmap = page;
	ASSERT_EQ(0, add_mock(self, mock_capable(), &a));
	ASSERT_EQ(0, add_mock(self, mock_capable(), &b));
	ASSERT_EQ(0, add_mock(self, other, &c));
	ASSERT_EQ(0, map_buf(self, self->ctx.ioas_id, 0, 1, 64 * MIB, MAP_RW));
	ASSERT_EQ(0, device_attach(self->ctx.fd, a, self->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(0, device_attach(self->ctx.fd, b, self->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(self->ctx.start.domains + 1, ioasid_counter("domains"));
	ASSERT_EQ(0, device_attach(self->ctx.fd, c, self->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(self->ctx.start.domains + 2, ioasid_counter("domains"));
	/* What one writes, one of the other domain reads. */
	ASSERT_EQ(0, mock_dma(self->ctx.fd, a, 64 * MIB, out, sizeof(out), true));
	ASSERT_EQ(0, mock_dma(self->ctx.fd, c, 64 * MIB, in, sizeof(in), false));
	ASSERT_EQ(0, memcmp(out, in, sizeof(in)));
	/* A destroyed device is detached; the last one frees the domain. */
	ASSERT_EQ(0, ioasid_destroy(self->ctx.fd, c));
	ASSERT_EQ(self->ctx.start.domains + 1, ioasid_counter("domains"));
}

TEST_F(mock, aperture_and_reserved_region_leave_the_iova_ranges)
{
	struct ioasid_test_mock_device config = mock_capable();
	struct ioasid_iova_range ranges[4];
	__u32 num = 4, dev_id;

	config.aperture_start = 16 * MIB;
	config.aperture_last = 64 * MIB - 1;
	config.flags = IOASID_TEST_MOCK_RESV;
	config.resv_start = 32 * MIB;
	config.resv_last = 33 * MIB - 1;
	ASSERT_EQ(0, add_mock(self, config, &dev_id));
	/* A mapping outside the aperture keeps the device out. */
	ASSERT_EQ(0, map_buf(self, self->ctx.ioas_id, 0, 1, 0, MAP_RW));
	ASSERT_EQ(-EADDRINUSE, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id,
					     0, NULL));
	ASSERT_EQ(0, ioas_unmap_all(self->ctx.fd, self->ctx.ioas_id, NULL));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(0, ioas_iova_ranges(self->ctx.fd, self->ctx.ioas_id, ranges, &num));
	ASSERT_EQ(2, num);
	ASSERT_EQ(16 * MIB, ranges[0].start);
	ASSERT_EQ(32 * MIB - 1, ranges[0].last);
	ASSERT_EQ(33 * MIB, ranges[1].start);
	ASSERT_EQ(64 * MIB - 1, ranges[1].last);
	ASSERT_EQ(-ERANGE, map_buf(self, self->ctx.ioas_id, 0, 1, 32 * MIB,
				   MAP_RW));
}

TEST_F(mock, bad_mock_requests)
{
	struct ioasid_test_mock_device config;
	struct ioasid_test_cmd cmd = { .size = sizeof(cmd), .op = 99 };
	char buf[8];
	__u32 dev_id;

	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->ctx.fd, IOASID_TEST, &cmd));
	config = mock_capable();
	config.pgsize_bitmap = 256;
	ASSERT_EQ(-EINVAL, mock_device(self->ctx.fd, &config, &dev_id));
	config = mock_capable();
	config.caps = IOASID_DEVICE_CAP_PAGING;
	ASSERT_EQ(-EINVAL, mock_device(self->ctx.fd, &config, &dev_id));
	config = mock_capable();
	config.aperture_start = 1;
	ASSERT_EQ(-EINVAL, mock_device(self->ctx.fd, &config, &dev_id));
	config = mock_capable();
	config.flags = 1 << 7;
	ASSERT_EQ(-EOPNOTSUPP, mock_device(self->ctx.fd, &config, &dev_id));
	config = mock_capable();
	config.flags = IOASID_TEST_MOCK_RESV;
	config.resv_start = 2 * MIB;
	config.resv_last = MIB;
	ASSERT_EQ(-EINVAL, mock_device(self->ctx.fd, &config, &dev_id));
	ASSERT_EQ(self->ctx.start.objects + 1, ioasid_counter("objects"));

	ASSERT_EQ(-ENOENT, mock_dma(self->ctx.fd, 99, 0, buf, 8, false));
	ASSERT_EQ(-EINVAL, mock_dma(self->ctx.fd, self->ctx.ioas_id, 0, buf, 8, false));
	ASSERT_EQ(0, add_mock(self, mock_capable(), &dev_id));
	ASSERT_EQ(-EINVAL, mock_dma(self->ctx.fd, dev_id, 0, buf, 0, false));
	ASSERT_EQ(-EINVAL, mock_dma(self->ctx.fd, dev_id, ~0ULL, buf, 8, false));
}

/* ENABLE needs a device to check. */
TEST_F(mock, enable_without_devices_is_refused)
{
	struct ioasid_features f;
	__u64 unmet;

	features_init(&f);
	ASSERT_EQ(-EOPNOTSUPP, ioas_enable(self->ctx.fd, self->ctx.ioas_id, &f,
					   &unmet));
	ASSERT_EQ(IOASID_UNMET_NO_DEVICE, unmet);
	ASSERT_EQ(-ENODATA, ioas_features(self->ctx.fd, self->ctx.ioas_id, &f));
}

TEST_F(mock, enable_freezes_the_features)
{
	struct ioasid_iova_range outside = { 128 * MIB, 256 * MIB - 1 };
	struct ioasid_iova_range around = { 0, 256 * MIB - 1 };
	struct ioasid_features f, got;
	char out[4] = "xyz";
	__u32 dev_id;
	__u64 unmet;

	ASSERT_EQ(0, add_mock(self, mock_capable(), &dev_id));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0, NULL));
	features_init(&f);
	f.caps = htole64(IOASID_DEVICE_CAP_COHERENT);
	f.max_page_size = htole64(page);
	features_add_range(&f, 16 * MIB, 64 * MIB - 1);
	ASSERT_EQ(0, ioas_enable(self->ctx.fd, self->ctx.ioas_id, &f, &unmet));
	ASSERT_EQ(0, unmet);
	ASSERT_EQ(0, ioas_features(self->ctx.fd, self->ctx.ioas_id, &got));
	ASSERT_EQ(0, memcmp(&f, &got, sizeof(f)));
	ASSERT_EQ(-EALREADY, ioas_enable(self->ctx.fd, self->ctx.ioas_id, &f, NULL));

	/* The required range may not be left out of the allowed ones. */
	ASSERT_EQ(-EBUSY, ioas_allow_iovas(self->ctx.fd, self->ctx.ioas_id, &outside,
					   1));
	ASSERT_EQ(0, ioas_allow_iovas(self->ctx.fd, self->ctx.ioas_id, &around, 1));

	/* Mapping, DMA and detaching work as before. */
	ASSERT_EQ(0, map_buf(self, self->ctx.ioas_id, 0, 1, 16 * MIB, MAP_RW));
	ASSERT_EQ(0, mock_dma(self->ctx.fd, dev_id, 16 * MIB, out, sizeof(out),
			      true));
	ASSERT_EQ(0, memcmp(self->buf, out, sizeof(out)));
	ASSERT_EQ(0, detach(self->ctx.fd, dev_id));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0, NULL));
}

TEST_F(mock, enable_rejects_bad_descriptors)
{
	struct {
		struct ioasid_features f;
		__u64 tail;
	} big = {};
	struct ioasid_features f;
	__u32 dev_id;
	int i;

	ASSERT_EQ(0, add_mock(self, mock_capable(), &dev_id));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0, NULL));
	for (i = 0; i < 12; i++) {
		features_init(&f);
		features_add_range(&f, 16 * MIB, 32 * MIB - 1);
		switch (i) {
		case 0:
			f.magic = 0;
			break;
		case 1:
			f.version = htole16(2);
			break;
		case 2:
			f.num_iova_ranges = htole16(IOASID_FEATURES_MAX_RANGES + 1);
			break;
		case 3:
			f.iova_ranges[0].start = htole64(16 * MIB + 1);
			break;
		case 4:
			f.iova_ranges[0].last = htole64(MIB - 1);
			break;
		case 5:
			features_add_range(&f, 8 * MIB, 9 * MIB - 1);
			break;
		case 6:
			f.iova_ranges[3].last = htole64(page - 1);
			break;
		case 7:
			f.caps = htole64(1ULL << 40);
			break;
		case 8:
			f.nesting_format = htole32(1U << 9);
			break;
		case 9:
			f.max_page_size = htole64(3 * page);
			break;
		case 10:
			features_add_range(&f, 31 * MIB, 40 * MIB - 1);
			break;
		case 11:
			f.iova_ranges[0].start = htole64(16 * MIB + 2048);
			break;
		}
		ASSERT_EQ(-EINVAL, ioas_enable(self->ctx.fd, self->ctx.ioas_id, &f,
					       NULL))
			TH_LOG("case %d", i);
	}
	features_init(&f);
	ASSERT_EQ(-EINVAL, ioas_enable_len(self->ctx.fd, self->ctx.ioas_id, &f,
					   sizeof(f) - 8, NULL));
	ASSERT_EQ(-EINVAL, ioas_enable(self->ctx.fd, dev_id, &f, NULL));
	ASSERT_EQ(-ENOENT, ioas_enable(self->ctx.fd, 999, &f, NULL));
	big.f = f;
	big.tail = 1;
	ASSERT_EQ(-E2BIG, ioas_enable_len(self->ctx.fd, self->ctx.ioas_id, &big,
					  sizeof(big), NULL));
	ASSERT_EQ(-ENODATA, ioas_features(self->ctx.fd, self->ctx.ioas_id, &f));
	/* A longer struct whose tail is zero is version 1 still. */
	big.tail = 0;
	ASSERT_EQ(0, ioas_enable_len(self->ctx.fd, self->ctx.ioas_id, &big,
				     sizeof(big), NULL));
}

/* A range of whole 4 KiB pages but not of whole CPU pages is not honoured. */
TEST_F(mock, enable_wants_ranges_of_whole_cpu_pages)
{
	struct ioasid_features f;
	__u32 dev_id;
	__u64 unmet;

	if (page == 4096)
		SKIP(return, "4 KiB CPU pages: every valid range is whole pages");
	ASSERT_EQ(0, add_mock(self, mock_capable(), &dev_id));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dev_id, self->ctx.ioas_id, 0, NULL));
	features_init(&f);
	features_add_range(&f, 16 * MIB, 16 * MIB + 4096 - 1);
	ASSERT_EQ(-EOPNOTSUPP, ioas_enable(self->ctx.fd, self->ctx.ioas_id, &f,
					   &unmet));
	ASSERT_EQ(IOASID_UNMET_IOVA_RANGES, unmet);
	features_init(&f);
	features_add_range(&f, 16 * MIB, 16 * MIB + page - 1);
	ASSERT_EQ(0, ioas_enable(self->ctx.fd, self->ctx.ioas_id, &f, &unmet));
}

/* Every reason of a refusal, first at ENABLE, then at a later attach. */
FIXTURE(unmet) {
	struct mock_ctx ctx;
};

FIXTURE_VARIANT(unmet) {
	__u64 unmet;
	void (*ask)(struct ioasid_features *f);
	void (*lack)(struct ioasid_test_mock_device *config);
};

FIXTURE_SETUP(unmet)
{
	const char *why = open_mock_ctx(&self->ctx);

	if (why)
		SKIP(return, "%s", why);
	ASSERT_LE(0, self->ctx.fd);
	ASSERT_EQ(0, ioas_alloc(self->ctx.fd, &self->ctx.ioas_id));
}

FIXTURE_TEARDOWN(unmet)
{
	ASSERT_TRUE(mock_close(&self->ctx));
}

static void ask_dirty(struct ioasid_features *f)
{
	f->caps = htole64(IOASID_DEVICE_CAP_DIRTY_TRACKING);
}

static void lack_dirty(struct ioasid_test_mock_device *c)
{
	c->caps &= ~IOASID_DEVICE_CAP_DIRTY_TRACKING;
}

static void ask_nesting(struct ioasid_features *f)
{
	f->nesting_format = htole32(IOASID_NESTING_VTD_S1);
}

static void lack_nesting(struct ioasid_test_mock_device *c)
{
	c->nesting_formats = 0;
}

static void ask_small_pages(struct ioasid_features *f)
{
	f->max_page_size = htole64(page / 2);
}

static void lack_small_pages(struct ioasid_test_mock_device *c)
{
	c->pgsize_bitmap = page | 2 * MIB;
}

static void ask_range(struct ioasid_features *f)
{
	features_add_range(f, 16 * MIB, 32 * MIB - 1);
}

static void lack_aperture(struct ioasid_test_mock_device *c)
{
	c->aperture_last = 24 * MIB - 1;
}

static void lack_range(struct ioasid_test_mock_device *c)
{
	c->flags = IOASID_TEST_MOCK_RESV;
	c->resv_start = 20 * MIB;
	c->resv_last = 20 * MIB + page - 1;
}

static void ask_pasid(struct ioasid_features *f)
{
	f->min_pasid_log2 = htole32(10);
}

static void lack_pasid(struct ioasid_test_mock_device *c)
{
	c->max_pasid_log2 = 8;
}

static void ask_pasid_and_dirty(struct ioasid_features *f)
{
	ask_pasid(f);
	ask_dirty(f);
}

static void lack_pasid_and_dirty(struct ioasid_test_mock_device *c)
{
	lack_pasid(c);
	lack_dirty(c);
}

FIXTURE_VARIANT_ADD(unmet, caps) {
	.unmet = IOASID_UNMET_CAPS, .ask = ask_dirty, .lack = lack_dirty,
};

FIXTURE_VARIANT_ADD(unmet, nesting) {
	.unmet = IOASID_UNMET_NESTING, .ask = ask_nesting,
	.lack = lack_nesting,
};

FIXTURE_VARIANT_ADD(unmet, page_size) {
	.unmet = IOASID_UNMET_PAGE_SIZE, .ask = ask_small_pages,
	.lack = lack_small_pages,
};

FIXTURE_VARIANT_ADD(unmet, aperture) {
	.unmet = IOASID_UNMET_IOVA_RANGES, .ask = ask_range,
	.lack = lack_aperture,
};

FIXTURE_VARIANT_ADD(unmet, reserved_region) {
	.unmet = IOASID_UNMET_IOVA_RANGES, .ask = ask_range,
	.lack = lack_range,
};

FIXTURE_VARIANT_ADD(unmet, pasid) {
	.unmet = IOASID_UNMET_PASID, .ask = ask_pasid, .lack = lack_pasid,
};

FIXTURE_VARIANT_ADD(unmet, two_at_once) {
	.unmet = IOASID_UNMET_PASID | IOASID_UNMET_CAPS,
	.ask = ask_pasid_and_dirty, .lack = lack_pasid_and_dirty,
};

/*
 * A capable device and one that lacks what the variant asks: ENABLE names
 * the lack; without the lacking device it succeeds; then the lacking
 * device is refused at attach with the same reason, and another capable
 * one is taken.
 */
TEST_F(unmet, at_enable_and_at_attach)
{
	struct ioasid_test_mock_device lacking = mock_capable();
	struct ioasid_test_mock_device capable = mock_capable();
	struct ioasid_features f;
	__u32 good, bad, more;
	__u64 unmet;
	int logged;

	variant->lack(&lacking);
	ASSERT_EQ(0, mock_device(self->ctx.fd, &capable, &good));
	ASSERT_EQ(0, mock_device(self->ctx.fd, &lacking, &bad));
	ASSERT_EQ(0, mock_device(self->ctx.fd, &capable, &more));
	ASSERT_EQ(0, device_attach(self->ctx.fd, good, self->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(0, device_attach(self->ctx.fd, bad, self->ctx.ioas_id, 0, &unmet));
	ASSERT_EQ(0, unmet);

	features_init(&f);
	variant->ask(&f);
	ASSERT_EQ(-EOPNOTSUPP, ioas_enable(self->ctx.fd, self->ctx.ioas_id, &f,
					   &unmet));
	ASSERT_EQ(variant->unmet, unmet);
	ASSERT_EQ(-ENODATA, ioas_features(self->ctx.fd, self->ctx.ioas_id, &f));

	ASSERT_EQ(0, detach(self->ctx.fd, bad));
	ASSERT_EQ(0, ioas_enable(self->ctx.fd, self->ctx.ioas_id, &f, &unmet));
	ASSERT_EQ(0, unmet);
	logged = klog_count(REFUSAL);
	ASSERT_EQ(-EOPNOTSUPP, device_attach(self->ctx.fd, bad, self->ctx.ioas_id, 0,
					     &unmet));
	ASSERT_EQ(variant->unmet, unmet);
	ASSERT_EQ(logged + 1, klog_count(REFUSAL));
	ASSERT_EQ(0, device_attach(self->ctx.fd, more, self->ctx.ioas_id, 0, &unmet));
	ASSERT_EQ(0, unmet);
}

/* A device moving into an enabled IOAS is checked as one attaching. */
TEST_F(unmet, at_replace)
{
	struct ioasid_test_mock_device lacking = mock_capable();
	struct ioasid_test_mock_device capable = mock_capable();
	struct ioasid_features f;
	__u32 good, bad, open_ioas;
	__u64 unmet;

	variant->lack(&lacking);
	ASSERT_EQ(0, ioas_alloc(self->ctx.fd, &open_ioas));
	ASSERT_EQ(0, mock_device(self->ctx.fd, &capable, &good));
	ASSERT_EQ(0, mock_device(self->ctx.fd, &lacking, &bad));
	ASSERT_EQ(0, device_attach(self->ctx.fd, good, self->ctx.ioas_id, 0, NULL));
	features_init(&f);
	variant->ask(&f);
	ASSERT_EQ(0, ioas_enable(self->ctx.fd, self->ctx.ioas_id, &f, NULL));
	ASSERT_EQ(0, device_attach(self->ctx.fd, bad, open_ioas, 0, NULL));
	ASSERT_EQ(-EOPNOTSUPP,
		  device_attach(self->ctx.fd, bad, self->ctx.ioas_id,
				IOASID_DEVICE_ATTACH_REPLACE, &unmet));
	ASSERT_EQ(variant->unmet, unmet);
	/* Still where it was: its IOAS cannot be destroyed. */
	ASSERT_EQ(-EBUSY, ioasid_destroy(self->ctx.fd, open_ioas));
}

/*
 * The two-stage fallback of a VMM over mock devices: the mock's nested
 * format where both devices offer it, else a kernel-managed IOAS where the
 * pages and the IOVA range fit, else nothing.  The plan is then carried
 * out: a guest's stage-1 table on the nested IOAS, which both devices DMA
 * through; a kernel-managed IOAS takes no stage 1.
 */
FIXTURE(fallback) {
	struct mock_ctx ctx;
};

FIXTURE_VARIANT(fallback) {
	__u32 nesting_formats[2];
	__u64 pgsize;
	__u64 aperture_last;
	enum ioas_plan plan;
	__u64 unmet;
};

FIXTURE_SETUP(fallback)
{
	const char *why = open_mock_ctx(&self->ctx);

	if (why)
		SKIP(return, "%s", why);
	ASSERT_LE(0, self->ctx.fd);
	ASSERT_EQ(0, ioas_alloc(self->ctx.fd, &self->ctx.ioas_id));
}

FIXTURE_TEARDOWN(fallback)
{
	ASSERT_TRUE(mock_close(&self->ctx));
}

FIXTURE_VARIANT_ADD(fallback, nested) {
	.nesting_formats = { IOASID_NESTING_MOCK_S1, IOASID_NESTING_MOCK_S1 },
	.pgsize = 0, .aperture_last = APERTURE_LAST, .plan = PLAN_NESTED,
};

FIXTURE_VARIANT_ADD(fallback, kernel_managed) {
	.nesting_formats = { 0, 0 }, .pgsize = 0,
	.aperture_last = APERTURE_LAST, .plan = PLAN_KERNEL_MANAGED,
};

FIXTURE_VARIANT_ADD(fallback, nesting_on_one_device_only) {
	.nesting_formats = { IOASID_NESTING_MOCK_S1, 0 }, .pgsize = 0,
	.aperture_last = APERTURE_LAST, .plan = PLAN_KERNEL_MANAGED,
};

FIXTURE_VARIANT_ADD(fallback, pages_too_large) {
	.nesting_formats = { 0, 0 }, .pgsize = 2 * MIB,
	.aperture_last = APERTURE_LAST, .plan = PLAN_NONE,
	.unmet = IOASID_UNMET_PAGE_SIZE,
};

FIXTURE_VARIANT_ADD(fallback, range_beyond_the_aperture) {
	.nesting_formats = { IOASID_NESTING_MOCK_S1, IOASID_NESTING_MOCK_S1 },
	.pgsize = 0, .aperture_last = 64 * MIB - 1, .plan = PLAN_NONE,
	.unmet = IOASID_UNMET_IOVA_RANGES,
};

/* Where the guest's memory starts in the IOAS, and an IOVA of its own. */
#define GUEST_GPA (16 * MIB)
#define GUEST_IOVA 0x12345000ULL

/*
 * The guest's stage-1 table (three tables and a page of data, at
 * GUEST_GPA) maps GUEST_IOVA to the data; a nested hwpt takes it, the
 * devices @a and @b move onto the hwpt, and DMA goes through it.
 */
static void take_stage1(struct __test_metadata *_metadata, int fd,
			__u32 ioas_id, __u32 a, __u32 b)
{
	__u32 tag = 0x5eed1e55, got = 0, hwpt_id;
	struct ioasid_hwpt_mock_s1 data;
	__u64 gpa = GUEST_GPA, unmet;
	struct mock_s1 s1;
	char *mem;

	mem = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 0, 4 * page);
	mock_s1_init(&s1, mem, GUEST_GPA, page, 3);
	ASSERT_EQ(0, mock_s1_set(&s1, GUEST_IOVA, GUEST_GPA + 3 * page,
				 MOCK_S1_RW));
	ASSERT_EQ(0, ioas_map(fd, ioas_id, mem, 4 * page, &gpa, MAP_FIXED_RW));

	data.root = mock_s1_root(&s1);
	ASSERT_EQ(0, hwpt_alloc(fd, a, ioas_id, IOASID_NESTING_MOCK_S1, 0,
				&data, sizeof(data), &hwpt_id, &unmet));
	ASSERT_EQ(0, unmet);
	ASSERT_EQ(0, device_attach(fd, a, hwpt_id,
				   IOASID_DEVICE_ATTACH_REPLACE, &unmet));
	ASSERT_EQ(0, unmet);
	ASSERT_EQ(0, device_attach(fd, b, hwpt_id,
				   IOASID_DEVICE_ATTACH_REPLACE, &unmet));
	ASSERT_EQ(0, unmet);

	/* What one device writes through stage 1, the other reads. */
	ASSERT_EQ(0, mock_dma(fd, a, GUEST_IOVA + 8, &tag, sizeof(tag), true));
	ASSERT_EQ(0, memcmp(mem + 3 * page + 8, &tag, sizeof(tag)));
	ASSERT_EQ(0, mock_dma(fd, b, GUEST_IOVA + 8, &got, sizeof(got),
			      false));
	ASSERT_EQ(tag, got);
	/* A guest physical address is no IOVA of stage 1. */
	ASSERT_EQ(-ENXIO, mock_dma(fd, a, GUEST_GPA + 3 * page + 8, &tag,
				   sizeof(tag), true));
	munmap(mem, 4 * page);
}

TEST_F(fallback, picks_what_the_devices_honour)
{
	struct ioasid_test_mock_device config = mock_capable();
	struct ioasid_hwpt_mock_s1 data = { .root = GUEST_GPA };
	struct ioasid_features f;
	__u32 a, b;
	__u64 unmet;

	config.aperture_last = variant->aperture_last;
	if (variant->pgsize)
		config.pgsize_bitmap = variant->pgsize;
	config.nesting_formats = variant->nesting_formats[0];
	ASSERT_EQ(0, mock_device(self->ctx.fd, &config, &a));
	config.nesting_formats = variant->nesting_formats[1];
	ASSERT_EQ(0, mock_device(self->ctx.fd, &config, &b));
	ASSERT_EQ(0, device_attach(self->ctx.fd, a, self->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(0, device_attach(self->ctx.fd, b, self->ctx.ioas_id, 0, NULL));
	/* A guest with pages of the host's size and 1 GiB of RAM. */
	ASSERT_EQ(variant->plan,
		  ioas_enable_with_fallback(self->ctx.fd, self->ctx.ioas_id,
					    IOASID_NESTING_MOCK_S1, 0,
					    (1ULL << 30) - 1, page, &unmet));
	if (variant->plan == PLAN_NONE) {
		ASSERT_EQ(variant->unmet, unmet);
		ASSERT_EQ(-ENODATA, ioas_features(self->ctx.fd, self->ctx.ioas_id, &f));
		return;
	}
	ASSERT_EQ(0, unmet);
	ASSERT_EQ(0, ioas_features(self->ctx.fd, self->ctx.ioas_id, &f));
	ASSERT_EQ(variant->plan == PLAN_NESTED ? IOASID_NESTING_MOCK_S1 : 0,
		  le32toh(f.nesting_format));
	if (variant->plan == PLAN_NESTED) {
		take_stage1(_metadata, self->ctx.fd, self->ctx.ioas_id, a, b);
		return;
	}
	/* Kernel-managed: even a device that offers the format is refused. */
	ASSERT_EQ(-EOPNOTSUPP,
		  hwpt_alloc(self->ctx.fd, a, self->ctx.ioas_id,
			     IOASID_NESTING_MOCK_S1, 0, &data, sizeof(data),
			     NULL, &unmet));
	ASSERT_EQ(IOASID_UNMET_NESTING, unmet);
	ASSERT_EQ(self->ctx.start.nested, ioasid_counter("nested"));
}

/*
 * The descriptor of an enabled IOAS is what a migration destination is
 * checked with: another IOAS whose devices honour it is enabled with it,
 * one whose devices do not is refused with the reason.
 */
TEST_F(mock, descriptor_round_trip)
{
	struct ioasid_test_mock_device narrow = mock_capable();
	struct ioasid_features f, desc, again;
	__u32 src_dev, dst_dev, far_dev, dst, far;
	struct ioasid_ioas_features short_read = {
		.size = sizeof(short_read),
		.ioas_id = self->ctx.ioas_id,
		.features_len = sizeof(desc) - 1,
		.features = (__u64)(uintptr_t)&desc,
	};
	__u64 unmet;

	narrow.aperture_last = 512 * MIB - 1;
	ASSERT_EQ(0, add_mock(self, mock_capable(), &src_dev));
	ASSERT_EQ(0, add_mock(self, mock_capable(), &dst_dev));
	ASSERT_EQ(0, add_mock(self, narrow, &far_dev));
	ASSERT_EQ(0, ioas_alloc(self->ctx.fd, &dst));
	ASSERT_EQ(0, ioas_alloc(self->ctx.fd, &far));
	ASSERT_EQ(0, device_attach(self->ctx.fd, src_dev, self->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(0, device_attach(self->ctx.fd, dst_dev, dst, 0, NULL));
	ASSERT_EQ(0, device_attach(self->ctx.fd, far_dev, far, 0, NULL));

	features_init(&f);
	ask_dirty(&f);
	ask_pasid(&f);
	f.max_page_size = htole64(page);
	features_add_range(&f, 0, (1ULL << 30) - 1);
	features_add_range(&f, 4ULL << 30, (8ULL << 30) - 1);
	ASSERT_EQ(0, ioas_enable(self->ctx.fd, self->ctx.ioas_id, &f, NULL));
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->ctx.fd, IOASID_IOAS_FEATURES,
					&short_read));
	ASSERT_EQ(0, ioas_features(self->ctx.fd, self->ctx.ioas_id, &desc));
	ASSERT_EQ(0, memcmp(&f, &desc, sizeof(f)));

	ASSERT_EQ(0, ioas_enable(self->ctx.fd, dst, &desc, &unmet));
	ASSERT_EQ(0, ioas_features(self->ctx.fd, dst, &again));
	ASSERT_EQ(0, memcmp(&desc, &again, sizeof(desc)));
	ASSERT_EQ(-EOPNOTSUPP, ioas_enable(self->ctx.fd, far, &desc, &unmet));
	ASSERT_EQ(IOASID_UNMET_IOVA_RANGES, unmet);
}

/* What tools/ioasid/ioasid-features diff says of two descriptors. */
TEST(descriptor_diff_names_each_field)
{
	struct ioasid_features a, b;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	features_init(&a);
	a.caps = htole64(IOASID_DEVICE_CAP_DIRTY_TRACKING);
	features_add_range(&a, 0, (1ULL << 30) - 1);
	b = a;
	ASSERT_TRUE(features_readable(&a));
	ASSERT_EQ(0, features_diff(stderr, &a, &b));

	b.caps = 0;
	b.min_pasid_log2 = htole32(8);
	b.iova_ranges[0].last = htole64((1ULL << 29) - 1);
	out = open_memstream(&text, &len);
	ASSERT_NE(NULL, out);
	ASSERT_EQ(3, features_diff(out, &a, &b));
	fclose(out);
	ASSERT_NE(NULL, strstr(text, "caps: 0x10 -> 0x0\n"));
	ASSERT_NE(NULL, strstr(text, "min_pasid_log2: 0 -> 8\n"));
	ASSERT_NE(NULL, strstr(text,
			       "iova_ranges: [0x0, 0x3fffffff] -> [0x0, 0x1fffffff]\n"));
	free(text);

	b.magic = 0;
	ASSERT_FALSE(features_readable(&b));
}

TEST_HARNESS_MAIN
