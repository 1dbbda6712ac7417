// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid as the IOMMU backend of VFIO containers (ioasid_vfio.ko): an edu
 * device bound to vfio-pci, driven through its VFIO device file, in a type1
 * container that ioasid serves.
 *
 * The test loads ioasid_vfio.ko with type1=1 from IOASID_VFIO_MODULE (the
 * lanes set it) when it is not loaded, and unloads it at the end; VFIO
 * (vfio, vfio-pci) must be there already, and vfio_iommu_type1, the oracle
 * of type1_oracle, registered before ioasid_vfio.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "ioasid_mock_utils.h"
#include "ioasid_pci_utils.h"
#include "ioasid_vfio_utils.h"

#define NPAGES 4

static size_t page_size;

/* Set bus mastering of a VFIO device through its config space region. */
static int vfio_bus_master(int devfd)
{
	struct vfio_region_info reg = {
		.argsz = sizeof(reg),
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	__u16 cmd;

	if (ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &reg) ||
	    pread(devfd, &cmd, 2, reg.offset + PCI_COMMAND) != 2)
		return -1;
	cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	return pwrite(devfd, &cmd, 2, reg.offset + PCI_COMMAND) == 2 ? 0 : -1;
}

/* Map BAR0 of edu; *@size gets its size, to munmap(). */
static int vfio_edu_map(int devfd, struct edu_bar *bar, size_t *size)
{
	struct vfio_region_info reg = {
		.argsz = sizeof(reg),
		.index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	void *p;

	if (ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &reg))
		return -errno;
	p = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED, devfd,
		 reg.offset);
	if (p == MAP_FAILED)
		return -errno;
	*size = reg.size;
	edu_bar_init(bar, p);
	return 0;
}

/*
 * edu bound to vfio-pci, its group in a container, its device file open
 * with BAR0 mapped and bus mastering on; what both fixtures share.
 */
struct vfio_edu {
	char bdf[16];
	char unsafe;
	bool loaded;
	int container, group, devfd;
	struct edu_bar bar;
	size_t bar_size;
	struct ioasid_counters start;
};

/*
 * Find edu and load ioasid_vfio.ko (with type1=1) for @v; returns why the
 * test cannot run here, or NULL.  @type1: the test needs type1 containers.
 */
static const char *vfio_edu_prepare(struct __test_metadata *_metadata,
				    struct vfio_edu *v, bool type1)
{
	char bdfs[4][16];
	int rc;

	page_size = getpagesize();
	*v = (struct vfio_edu){ .container = -1, .group = -1, .devfd = -1 };
	if (access("/dev/vfio/vfio", F_OK))
		return "no VFIO (vfio, vfio-pci) in this kernel";
	if (ioasid_read_counters(&v->start))
		return "ioasid.ko not loaded or debugfs not mounted";
	if (find_edu(bdfs, 4) < 1)
		return "no edu device (1234:11e8) on this machine";
	rc = load_ioasid_vfio(&v->loaded);
	if (rc == -ENOENT)
		return "ioasid_vfio.ko not loaded, and IOASID_VFIO_MODULE names none";
	if (rc == -EPERM && type1)
		return "ioasid_vfio.ko is loaded without type1=1";
	ASSERT_TRUE(!rc || rc == -EPERM);
	snprintf(v->bdf, sizeof(v->bdf), "%s", bdfs[0]);
	return NULL;
}

/* Give edu to vfio-pci and open it in a container of @type. */
static void vfio_edu_open(struct __test_metadata *_metadata,
			  struct vfio_edu *v, unsigned long type)
{
	v->unsafe = set_unsafe_interrupts('1');
	ASSERT_TRUE(pci_bind_driver(v->bdf, "vfio-pci"));
	v->group = open_vfio_group(v->bdf);
	ASSERT_LE(0, v->group);
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, v->container);
	ASSERT_EQ(1, ioctl(v->container, VFIO_CHECK_EXTENSION, type));
	ASSERT_EQ(0, ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container));
	ASSERT_EQ(0, ioctl(v->container, VFIO_SET_IOMMU, type));
	v->devfd = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, v->bdf);
	ASSERT_LE(0, v->devfd);
	ASSERT_EQ(0, vfio_edu_map(v->devfd, &v->bar, &v->bar_size));
	ASSERT_EQ(0, vfio_bus_master(v->devfd));
}

/* Undo vfio_edu_open(), check that ioasid has all back, unload. */
static void vfio_edu_close(struct __test_metadata *_metadata,
			   struct vfio_edu *v)
{
	struct ioasid_counters end;

	if (!v->bdf[0])
		return;
	/* The mapping holds the device file, which vfio-pci waits for. */
	if (v->bar.regs)
		munmap(v->bar.regs, v->bar_size);
	if (v->devfd >= 0)
		close(v->devfd);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	pci_release(v->bdf);
	set_unsafe_interrupts(v->unsafe);
	EXPECT_EQ(0, ioasid_read_counters(&end));
	EXPECT_TRUE(ioasid_counters_equal(&v->start, &end));
	if (v->loaded)
		EXPECT_EQ(0, unload_ioasid_vfio());
}

/* edu in a type1v2 container that ioasid serves, and memory to map. */
FIXTURE(vfio_edu) {
	struct vfio_edu v;
	char *buf;
};

FIXTURE_SETUP(vfio_edu)
{
	const char *why = vfio_edu_prepare(_metadata, &self->v, true);

	if (why)
		SKIP(return, "%s", why);
	vfio_edu_open(_metadata, &self->v, VFIO_TYPE1v2_IOMMU);
	self->buf = mmap(NULL, NPAGES * page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0, NPAGES * page_size);
}

FIXTURE_TEARDOWN(vfio_edu)
{
	vfio_edu_close(_metadata, &self->v);
}

/*
 * ioasid, not type1, took the container: its context is counted, and the
 * memory MAP_DMA pins is counted in ioasid's pins.
 */
TEST_F(vfio_edu, ioasid_serves_the_container)
{
	long pinned = ioasid_counter("pinned_pages");

	ASSERT_EQ(self->v.start.contexts + 1, ioasid_counter("contexts"));
	ASSERT_EQ(0, map_dma(self->v.container, self->buf, DMA_IOVA(0),
			     NPAGES * page_size, RW));
	ASSERT_EQ(pinned + NPAGES, ioasid_counter("pinned_pages"));
	ASSERT_EQ(0, unmap_dma(self->v.container, DMA_IOVA(0),
			       NPAGES * page_size, 0, NULL));
	ASSERT_EQ(pinned, ioasid_counter("pinned_pages"));
	/* In use: VFIO holds the backend's module. */
	if (self->v.loaded)
		ASSERT_EQ(-EWOULDBLOCK, unload_ioasid_vfio());
}

/*
 * The device's DMA goes through what MAP_DMA mapped, both ways, and no
 * longer reaches the memory once it is unmapped.
 */
TEST_F(vfio_edu, dma_goes_through_the_mappings)
{
	char *src = self->buf, *dst = self->buf + page_size;
	__u64 unmapped;

	ASSERT_EQ(0, map_dma(self->v.container, self->buf, DMA_IOVA(0),
			     page_size, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_dma(self->v.container, dst, DMA_IOVA(1), page_size,
			     RW));
	memset(src, 0x5a, 64);
	ASSERT_EQ(0, edu_dma(&self->v.bar, DMA_IOVA(0), 64, false));
	ASSERT_EQ(0, edu_dma(&self->v.bar, DMA_IOVA(1), 64, true));
	ASSERT_EQ(0, memcmp(src, dst, 64));

	ASSERT_EQ(0, unmap_dma(self->v.container, DMA_IOVA(1), page_size, 0,
			       &unmapped));
	ASSERT_EQ(page_size, unmapped);
	memset(dst, 0, 64);
	edu_dma(&self->v.bar, DMA_IOVA(1), 64, true);
	ASSERT_EQ(0, dst[0]);
	ASSERT_EQ(0, dst[63]);

	ASSERT_EQ(0, unmap_dma(self->v.container, 0, 0,
			       VFIO_DMA_UNMAP_FLAG_ALL, &unmapped));
	ASSERT_EQ(page_size, unmapped);
}

#define EDU_REG_INTR_RAISE 0x60
#define EDU_REG_INTR_ACK 0x64

/* Have the MSI of @devfd signal @efd (or nothing, with -1). */
static int set_msi_eventfd(int devfd, int efd)
{
	struct {
		struct vfio_irq_set set;
		__s32 fd;
	} irq = {
		.set = {
			.argsz = sizeof(irq),
			.flags = VFIO_IRQ_SET_ACTION_TRIGGER |
				 (efd < 0 ? VFIO_IRQ_SET_DATA_NONE :
					    VFIO_IRQ_SET_DATA_EVENTFD),
			.index = VFIO_PCI_MSI_IRQ_INDEX,
			.count = efd < 0 ? 0 : 1,
		},
		.fd = efd,
	};

	if (efd < 0)
		irq.set.argsz = sizeof(irq.set);
	return ioctl(devfd, VFIO_DEVICE_SET_IRQS, &irq) ? -errno : 0;
}

/*
 * edu's interrupt, an MSI through VFIO, reaches the eventfd set for it:
 * where the IOMMU translates MSIs as DMA (SMMUv3), through the doorbell
 * that ioasid's domain maps at the software MSI window.
 */
TEST_F(vfio_edu, msi_reaches_its_eventfd)
{
	struct vfio_irq_info info = {
		.argsz = sizeof(info),
		.index = VFIO_PCI_MSI_IRQ_INDEX,
	};
	struct pollfd pfd = { .events = POLLIN };
	__u64 count = 0;

	ASSERT_EQ(0, ioctl(self->v.devfd, VFIO_DEVICE_GET_IRQ_INFO, &info));
	if (!info.count)
		SKIP(return, "edu offers no MSI here");
	pfd.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, pfd.fd);
	ASSERT_EQ(0, set_msi_eventfd(self->v.devfd, pfd.fd));
	/* Nothing is signalled before the device raises it. */
	ASSERT_EQ(0, poll(&pfd, 1, 100));
	edu_write(&self->v.bar, EDU_REG_INTR_RAISE, 1);
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ(sizeof(count), read(pfd.fd, &count, sizeof(count)));
	ASSERT_LE(1, count);
	edu_write(&self->v.bar, EDU_REG_INTR_ACK, 1);
	ASSERT_EQ(0, set_msi_eventfd(self->v.devfd, -1));
	close(pfd.fd);
}

/*
 * GET_INFO tells the page sizes, the usable IOVAs, the DMA limit and the
 * migration capability: dirty bitmaps of CPU pages.
 */
TEST_F(vfio_edu, get_info_has_ranges_and_dma_avail)
{
	char raw[512] = {};
	struct vfio_iommu_type1_info *info = (void *)raw;
	struct vfio_iommu_type1_info_cap_migration *mig = NULL;
	struct vfio_info_cap_header *hdr;
	bool ranges = false, avail = false;
	__u32 off;

	info->argsz = sizeof(*info);
	ASSERT_EQ(0, ioctl(self->v.container, VFIO_IOMMU_GET_INFO, info));
	ASSERT_TRUE(info->flags & VFIO_IOMMU_INFO_PGSIZES);
	ASSERT_EQ(page_size, info->iova_pgsizes & -info->iova_pgsizes);
	ASSERT_LT(sizeof(*info), info->argsz);
	ASSERT_GE(sizeof(raw), info->argsz);
	info->argsz = sizeof(raw);
	ASSERT_EQ(0, ioctl(self->v.container, VFIO_IOMMU_GET_INFO, info));
	ASSERT_TRUE(info->flags & VFIO_IOMMU_INFO_CAPS);
	for (off = info->cap_offset; off; off = hdr->next) {
		ASSERT_GT(sizeof(raw), off);
		hdr = (void *)(raw + off);
		if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			struct vfio_iommu_type1_info_cap_iova_range *r =
				(void *)hdr;

			ASSERT_LE(1, r->nr_iovas);
			ASSERT_LT(r->iova_ranges[0].start,
				  r->iova_ranges[0].end);
			ranges = true;
		}
		if (hdr->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)
			avail = ((struct vfio_iommu_type1_info_dma_avail *)
				 hdr)->avail > 0;
		if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION)
			mig = (void *)hdr;
	}
	ASSERT_TRUE(ranges);
	ASSERT_TRUE(avail);
	ASSERT_NE(NULL, mig);
	ASSERT_EQ(page_size, mig->pgsize_bitmap);
	ASSERT_EQ(1ULL << 28, mig->max_dirty_bitmap_size);
}

/*
 * A container closed while it tracks dirty pages gives everything back:
 * the teardown checks the counters and unloads the backend.
 */
TEST_F(vfio_edu, closing_while_tracking_releases_everything)
{
	struct vfio_iommu_type1_dirty_bitmap start = {
		.argsz = sizeof(start),
		.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
	};

	ASSERT_EQ(0, map_dma(self->v.container, self->buf, DMA_IOVA(0),
			     NPAGES * page_size, RW));
	ASSERT_EQ(0, ioctl(self->v.container, VFIO_IOMMU_DIRTY_PAGES, &start));
	ASSERT_EQ(0, edu_dma(&self->v.bar, DMA_IOVA(0), 64, true));
}

/*
 * A caller of the first version of GET_INFO (no cap_offset) gets its 16
 * bytes and no more, with the size the whole answer needs.
 */
TEST_F(vfio_edu, get_info_of_the_first_version)
{
	struct {
		__u32 argsz, flags;
		__u64 iova_pgsizes;
		__u64 canary;
	} old = { .argsz = 16, .canary = 0x1122334455667788ULL };

	ASSERT_EQ(0, ioctl(self->v.container, VFIO_IOMMU_GET_INFO, &old));
	ASSERT_LT(sizeof(struct vfio_iommu_type1_info), old.argsz);
	ASSERT_TRUE(old.flags & VFIO_IOMMU_INFO_PGSIZES);
	ASSERT_EQ(0x1122334455667788ULL, old.canary);
}

/* Bad MAP_DMA and UNMAP_DMA requests get type1's errnos. */
TEST_F(vfio_edu, bad_requests_get_type1_errnos)
{
	__u64 unmapped;

	ASSERT_EQ(-EINVAL, map_dma(self->v.container, self->buf, DMA_IOVA(0),
				   page_size, RW | 1U << 7));
	ASSERT_EQ(-EINVAL, map_dma(self->v.container, self->buf + 1,
				   DMA_IOVA(0), page_size, RW));
	ASSERT_EQ(-EINVAL, map_dma(self->v.container, self->buf, DMA_IOVA(0),
				   0, RW));
	ASSERT_EQ(0, map_dma(self->v.container, self->buf, DMA_IOVA(0),
			     2 * page_size, RW));
	ASSERT_EQ(-EEXIST, map_dma(self->v.container, self->buf, DMA_IOVA(0),
				   page_size, RW));
	/* Wrapping, and (type1v2) cutting a mapping. */
	ASSERT_EQ(-EINVAL, map_dma(self->v.container, self->buf, -page_size,
				   2 * page_size, RW));
	ASSERT_EQ(-EINVAL, unmap_dma(self->v.container, -page_size,
				     2 * page_size, 0, NULL));
	ASSERT_EQ(-EINVAL, unmap_dma(self->v.container, DMA_IOVA(0), page_size,
				     0, NULL));
	/* Nothing mapped there: nothing unmapped, no error. */
	ASSERT_EQ(0, unmap_dma(self->v.container, DMA_IOVA(8), page_size, 0,
			       &unmapped));
	ASSERT_EQ(0, unmapped);
	ASSERT_EQ(-EINVAL, unmap_dma(self->v.container, DMA_IOVA(0), page_size,
				     VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
				     NULL));
	ASSERT_EQ(-EINVAL, unmap_dma(self->v.container, DMA_IOVA(0), page_size,
				     VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	ASSERT_EQ(0, unmap_dma(self->v.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
			       &unmapped));
	ASSERT_EQ(2 * page_size, unmapped);
}

/*
 * VFIO_UPDATE_VADDR: the addresses of the mappings are invalidated and
 * supplied again, as a VMM's live update does, with DMA going on; unlike
 * type1, ioasid checks that the new address holds the mapping's memory.
 */
TEST_F(vfio_edu, vaddr_update_keeps_dma)
{
	size_t len = 2 * page_size;
	char *mem, *again, *other, *ro;
	__u64 unmapped;
	int memfd;

	ASSERT_EQ(1, ioctl(self->v.container, VFIO_CHECK_EXTENSION,
			   VFIO_UPDATE_VADDR));
	memfd = memfd_create("ioasid_vfio", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, len));
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	again = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_NE(MAP_FAILED, again);
	other = self->buf;
	ASSERT_EQ(0, map_dma(self->v.container, mem, DMA_IOVA(0), len, RW));

	ASSERT_EQ(0, unmap_dma(self->v.container, DMA_IOVA(0), len,
			       VFIO_DMA_UNMAP_FLAG_VADDR, &unmapped));
	ASSERT_EQ(len, unmapped);
	ASSERT_EQ(-EINVAL, unmap_dma(self->v.container, DMA_IOVA(0), len,
				     VFIO_DMA_UNMAP_FLAG_VADDR, NULL));
	ASSERT_EQ(-EINVAL, unmap_dma(self->v.container, 0, 0,
				     VFIO_DMA_UNMAP_FLAG_VADDR |
				     VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	/* The device goes on while the address is invalid. */
	memset(mem, 0x3c, 64);
	ASSERT_EQ(0, edu_dma(&self->v.bar, DMA_IOVA(0), 64, false));
	ASSERT_EQ(0, edu_dma(&self->v.bar, DMA_IOVA(0) + page_size, 64, true));
	ASSERT_EQ(0, memcmp(mem, mem + page_size, 64));

	/* A new address with a permission, of other memory, of nothing. */
	ASSERT_EQ(-EINVAL, map_dma(self->v.container, again, DMA_IOVA(0), len,
				   RW | VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_EQ(-EXDEV, map_dma(self->v.container, other, DMA_IOVA(0), len,
				  VFIO_DMA_MAP_FLAG_VADDR));
	ro = mmap(NULL, len, PROT_READ, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(-EACCES, map_dma(self->v.container, ro, DMA_IOVA(0), len,
				   VFIO_DMA_MAP_FLAG_VADDR));
	munmap(ro, len);
	ASSERT_EQ(-ENOENT, map_dma(self->v.container, again, DMA_IOVA(8), len,
				   VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_EQ(-EINVAL, map_dma(self->v.container, again, DMA_IOVA(0),
				   page_size, VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_EQ(0, map_dma(self->v.container, again, DMA_IOVA(0), len,
			     VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_EQ(-EINVAL, map_dma(self->v.container, again, DMA_IOVA(0), len,
				   VFIO_DMA_MAP_FLAG_VADDR));

	/* All at once, then back. */
	ASSERT_EQ(0, unmap_dma(self->v.container, 0, 0,
			       VFIO_DMA_UNMAP_FLAG_VADDR |
			       VFIO_DMA_UNMAP_FLAG_ALL, &unmapped));
	ASSERT_EQ(len, unmapped);
	ASSERT_EQ(0, map_dma(self->v.container, mem, DMA_IOVA(0), len,
			     VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_EQ(0, unmap_dma(self->v.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
			       &unmapped));
	ASSERT_EQ(len, unmapped);
	munmap(again, len);
	munmap(mem, len);
	close(memfd);
}

static int vfio_link(int container, int fd, __u32 ioas_id)
{
	struct ioasid_vfio_link cmd = {
		.size = sizeof(cmd),
		.fd = fd,
		.ioas_id = ioas_id,
	};

	return ioctl(container, IOASID_VFIO_LINK, &cmd) ? -errno : 0;
}

/*
 * edu bound to vfio-pci, in an IOASID_VFIO_IOMMU container not linked yet,
 * its device file open as in vfio_edu; and a /dev/ioasid context with an
 * IOAS mapping the buffer's two pages at DMA_IOVA(0) and DMA_IOVA(1).
 */
FIXTURE(vfio_link) {
	struct vfio_edu v;
	int fd;
	__u32 ioas_id;
	char *buf;
};

FIXTURE_SETUP(vfio_link)
{
	const char *why = vfio_edu_prepare(_metadata, &self->v, false);
	__u64 iova;

	self->fd = -1;
	if (why)
		SKIP(return, "%s", why);
	vfio_edu_open(_metadata, &self->v, IOASID_VFIO_IOMMU);
	self->fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	self->buf = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0, 2 * page_size);
	iova = DMA_IOVA(0);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, page_size,
			      &iova, MAP_FIXED_RW));
	iova = DMA_IOVA(1);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf + page_size,
			      page_size, &iova, MAP_FIXED_RW));
}

/* The container holds the context: closing it first is as good. */
FIXTURE_TEARDOWN(vfio_link)
{
	if (self->fd >= 0)
		close(self->fd);
	vfio_edu_close(_metadata, &self->v);
}

/*
 * Unlinked, the device's DMA reaches nothing; linked, it goes through the
 * context's IOAS, whose state query shows the device attached to it.
 */
TEST_F(vfio_link, dma_through_the_linked_ioas)
{
	struct ioasid_object_entry objs[4];
	char *src = self->buf, *dst = self->buf + page_size;
	bool attached = false;
	__u32 num = 4, i;

	memset(src, 0x6b, 64);
	edu_dma(&self->v.bar, DMA_IOVA(0), 64, false);
	edu_dma(&self->v.bar, DMA_IOVA(1), 64, true);
	ASSERT_EQ(0, dst[0]);

	ASSERT_EQ(0, vfio_link(self->v.container, self->fd, self->ioas_id));
	ASSERT_EQ(0, edu_dma(&self->v.bar, DMA_IOVA(0), 64, false));
	ASSERT_EQ(0, edu_dma(&self->v.bar, DMA_IOVA(1), 64, true));
	ASSERT_EQ(0, memcmp(src, dst, 64));

	ASSERT_EQ(0, list_objects(self->fd, 0, objs, &num, NULL));
	for (i = 0; i < num; i++)
		if (objs[i].kind == IOASID_OBJECT_DEVICE &&
		    objs[i].attached_ioas_id == self->ioas_id)
			attached = true;
	ASSERT_TRUE(attached);
	/* The IOAS is in use by the container's device. */
	ASSERT_EQ(-EBUSY, ioasid_destroy(self->fd, self->ioas_id));
}

/*
 * Live update and the state query cover a linked container's device: its
 * DMA goes on while the addresses are invalid, the query shows them so,
 * and they are supplied again, all through /dev/ioasid.
 */
TEST_F(vfio_link, live_update_covers_the_device)
{
	char *src = self->buf, *dst = self->buf + page_size;
	struct ioasid_mapping maps[4];
	__u32 num = 4, i;
	__u64 n;

	ASSERT_EQ(0, vfio_link(self->v.container, self->fd, self->ioas_id));
	ASSERT_EQ(0, uaddr_invalidate(self->fd, 0, &n));
	ASSERT_EQ(2, n);
	ASSERT_EQ(0, list_mappings(self->fd, self->ioas_id, 0, maps, &num,
				   NULL));
	ASSERT_EQ(2, num);
	for (i = 0; i < num; i++)
		ASSERT_TRUE(maps[i].flags & IOASID_MAPPING_UADDR_INVALID);

	memset(src, 0x2e, 64);
	ASSERT_EQ(0, edu_dma(&self->v.bar, DMA_IOVA(0), 64, false));
	ASSERT_EQ(0, edu_dma(&self->v.bar, DMA_IOVA(1), 64, true));
	ASSERT_EQ(0, memcmp(src, dst, 64));

	ASSERT_EQ(0, take_ownership(self->fd, NULL));
	ASSERT_EQ(0, uaddr_supply_shift(self->fd, 0, 0));
	num = 4;
	ASSERT_EQ(0, list_mappings(self->fd, self->ioas_id, 0, maps, &num,
				   NULL));
	ASSERT_EQ(2, num);
	for (i = 0; i < num; i++)
		ASSERT_FALSE(maps[i].flags & IOASID_MAPPING_UADDR_INVALID);
}

TEST_F(vfio_link, link_refuses_bad_requests)
{
	struct ioasid_vfio_link cmd = {
		.size = sizeof(cmd),
		.flags = 1,
		.fd = self->fd,
		.ioas_id = self->ioas_id,
	};
	__u32 ioas2;
	int notctx;

	ASSERT_EQ(-1, ioctl(self->v.container, IOASID_VFIO_LINK, &cmd));
	ASSERT_EQ(EOPNOTSUPP, errno);
	cmd.flags = 0;
	cmd.size = 8;
	ASSERT_EQ(-1, ioctl(self->v.container, IOASID_VFIO_LINK, &cmd));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-EBADF, vfio_link(self->v.container, -1, self->ioas_id));
	notctx = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_EQ(-EINVAL, vfio_link(self->v.container, notctx, self->ioas_id));
	close(notctx);
	ASSERT_EQ(-ENOENT, vfio_link(self->v.container, self->fd, 999));
	/* The type1 commands are not the container's: map on /dev/ioasid. */
	ASSERT_EQ(-ENOTTY, map_dma(self->v.container, self->buf, DMA_IOVA(4),
				   page_size, RW));
	/* A caller of the first version, without out_unmet, is served. */
	cmd.size = offsetof(struct ioasid_vfio_link, out_unmet);
	cmd.out_unmet = 0x5a5a;
	ASSERT_EQ(0, ioctl(self->v.container, IOASID_VFIO_LINK, &cmd));
	ASSERT_EQ(0x5a5a, cmd.out_unmet);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(-EBUSY, vfio_link(self->v.container, self->fd, ioas2));
}

/*
 * An enabled IOAS refuses at the link a group that cannot honour what it
 * froze, saying why, and links nothing: here a mock device that tracks
 * dirty pages enabled it asking for that, which no lane's IOMMU offers edu.
 * Linked to another IOAS, the group's DMA goes through.
 */
TEST_F(vfio_link, enabled_ioas_refuses_what_it_lacks)
{
	struct ioasid_test_mock_device mock = {
		.caps = IOASID_DEVICE_CAP_COHERENT |
			IOASID_DEVICE_CAP_ISOLATED_MSI |
			IOASID_DEVICE_CAP_DIRTY_TRACKING,
		.pgsize_bitmap = page_size,
		.aperture_last = (1ULL << 48) - 1,
	};
	struct ioasid_vfio_link cmd = {
		.size = sizeof(cmd),
		.fd = self->fd,
		.ioas_id = self->ioas_id,
	};
	char *src = self->buf, *dst = self->buf + page_size;
	struct ioasid_features f;
	__u32 dev_id, ioas2;
	__u64 unmet, iova;

	if (!mock_available(self->fd))
		SKIP(return, "ioasid.ko without the mock backend (mock=1)");
	ASSERT_EQ(0, mock_device(self->fd, &mock, &dev_id));
	ASSERT_EQ(0, attach(self->fd, dev_id, self->ioas_id, 0));
	features_init(&f);
	f.caps = htole64(IOASID_DEVICE_CAP_DIRTY_TRACKING);
	ASSERT_EQ(0, ioas_enable(self->fd, self->ioas_id, &f, &unmet));

	ASSERT_EQ(-1, ioctl(self->v.container, IOASID_VFIO_LINK, &cmd));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(IOASID_UNMET_CAPS, cmd.out_unmet);
	/* Nothing linked: the device's DMA is still blocked. */
	memset(src, 0x4d, 64);
	edu_dma(&self->v.bar, DMA_IOVA(0), 64, false);
	edu_dma(&self->v.bar, DMA_IOVA(1), 64, true);
	ASSERT_EQ(0, dst[0]);

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	iova = DMA_IOVA(0);
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, self->buf, 2 * page_size,
			      &iova, MAP_FIXED_RW));
	cmd.ioas_id = ioas2;
	ASSERT_EQ(0, ioctl(self->v.container, IOASID_VFIO_LINK, &cmd));
	ASSERT_EQ(0, cmd.out_unmet);
	ASSERT_EQ(0, edu_dma(&self->v.bar, DMA_IOVA(0), 64, false));
	ASSERT_EQ(0, edu_dma(&self->v.bar, DMA_IOVA(0) + page_size, 64, true));
	ASSERT_EQ(0, memcmp(src, dst, 64));
}

/* Two edu devices of one IOMMU group into @a and @b, or false. */
static bool find_edu_pair(char a[16], char b[16])
{
	char bdfs[4][16];
	int n = find_edu(bdfs, 4), i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (pci_iommu_group(bdfs[i]) == pci_iommu_group(bdfs[j])) {
				memcpy(a, bdfs[i], 16);
				memcpy(b, bdfs[j], 16);
				return true;
			}
	return false;
}

/*
 * An IOMMU group is not split between VFIO and ioasid_pci: while a device
 * of it is bound to a context, VFIO finds the group not viable and cannot
 * take it; while VFIO holds it, a device of it cannot be bound.
 */
TEST(group_is_not_split_between_vfio_and_ioasid_pci)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char a[16], b[16], unsafe;
	struct ioasid_counters start, end;
	int fd, devfd, group, container, rc;
	bool loaded;
	__u32 dev_id;

	page_size = getpagesize();
	if (access("/dev/vfio/vfio", F_OK))
		SKIP(return, "no VFIO (vfio, vfio-pci) in this kernel");
	if (ioasid_read_counters(&start))
		SKIP(return, "ioasid.ko not loaded or debugfs not mounted");
	if (!find_edu_pair(a, b))
		SKIP(return, "no IOMMU group with two edu devices here");
	rc = load_ioasid_vfio(&loaded);
	if (rc == -ENOENT)
		SKIP(return, "ioasid_vfio.ko not loaded, and IOASID_VFIO_MODULE names none");
	/* Loaded without type1=1 is as good: the type here is ioasid's. */
	ASSERT_TRUE(!rc || rc == -EPERM);
	unsafe = set_unsafe_interrupts('1');
	ASSERT_TRUE(pci_bind_driver(a, "vfio-pci"));
	ASSERT_TRUE(pci_bind_driver(b, "ioasid_pci"));
	group = open_vfio_group(a);
	ASSERT_LE(0, group);

	/* b bound to a context: VFIO may not have the group. */
	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	devfd = open_device_file(b);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, devfd);
	ASSERT_EQ(0, pci_bind(devfd, fd, &dev_id));
	ASSERT_EQ(0, ioctl(group, VFIO_GROUP_GET_STATUS, &status));
	ASSERT_FALSE(status.flags & VFIO_GROUP_FLAGS_VIABLE);
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, container);
	ASSERT_EQ(-1, ioctl(group, VFIO_GROUP_SET_CONTAINER, &container));
	ASSERT_EQ(EPERM, errno);

	/* Unbound, the group is VFIO's to take; then b cannot be bound. */
	close(devfd);
	close(fd);
	ASSERT_EQ(0, ioctl(group, VFIO_GROUP_GET_STATUS, &status));
	ASSERT_TRUE(status.flags & VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_EQ(0, ioctl(group, VFIO_GROUP_SET_CONTAINER, &container));
	ASSERT_EQ(0, ioctl(container, VFIO_SET_IOMMU, IOASID_VFIO_IOMMU));
	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	devfd = open_device_file(b);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, devfd);
	ASSERT_EQ(-EPERM, pci_bind(devfd, fd, &dev_id));

	close(devfd);
	close(fd);
	close(container);
	close(group);
	pci_release(a);
	pci_release(b);
	set_unsafe_interrupts(unsafe);
	ASSERT_EQ(0, ioasid_read_counters(&end));
	ASSERT_TRUE(ioasid_counters_equal(&start, &end));
	if (loaded)
		ASSERT_EQ(0, unload_ioasid_vfio());
}

/*
 * A group whose MSIs the platform does not isolate (no interrupt
 * remapping: virtio-iommu) is refused when a container is set up with it,
 * unless ioasid's allow_unsafe_interrupts is set; one whose MSIs are
 * isolated is taken.  ioasid_pci's IOASID_PCI_INFO says which to expect.
 */
TEST(unsafe_interrupts_are_refused)
{
	struct ioasid_pci_info info = { .size = sizeof(info) };
	struct vfio_edu v;
	const char *why;
	bool isolated;
	int devfd;

	why = vfio_edu_prepare(_metadata, &v, false);
	if (why)
		SKIP(return, "%s", why);
	v.unsafe = set_unsafe_interrupts('0');
	ASSERT_TRUE(pci_bind_driver(v.bdf, "ioasid_pci"));
	devfd = open_device_file(v.bdf);
	ASSERT_LE(0, devfd);
	ASSERT_EQ(0, pci_info(devfd, &info));
	close(devfd);
	isolated = info.out_flags & IOASID_PCI_INFO_ISOLATED_MSI;
	TH_LOG("%s: MSIs %sisolated", v.bdf, isolated ? "" : "not ");

	ASSERT_TRUE(pci_bind_driver(v.bdf, "vfio-pci"));
	v.group = open_vfio_group(v.bdf);
	v.container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, v.group);
	ASSERT_LE(0, v.container);
	ASSERT_EQ(0, ioctl(v.group, VFIO_GROUP_SET_CONTAINER, &v.container));
	ASSERT_EQ(isolated ? 0 : -1,
		  ioctl(v.container, VFIO_SET_IOMMU, IOASID_VFIO_IOMMU));
	if (!isolated) {
		ASSERT_EQ(EPERM, errno);
		set_unsafe_interrupts('1');
		ASSERT_EQ(0, ioctl(v.container, VFIO_SET_IOMMU,
				   IOASID_VFIO_IOMMU));
	}
	vfio_edu_close(_metadata, &v);
}

/*
 * Type1 as an oracle.  The same seeded random sequences of type1 commands
 * run against vfio_iommu_type1 and against ioasid's type1 mode in turn, on
 * the same device and memory: every call must have the same result and
 * size, and the containers must end with the same mappings, which DMA
 * reads where the sequence's own record says.  The differences documented
 * in "VFIO" of ioasid.rst are left out of the sequences: VADDR maps give
 * the mapping's own memory (type1 takes any), and on the first version of
 * type1 no unmap cuts a mapping (ioasid answers -EINVAL, as the second).
 */
#define TYPE1_UNSAFE "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"
#define ORACLE_SLOTS 32		/* pages of IOVA the sequences use */
#define ORACLE_PAGES 48		/* pages of memory they map */
#define ORACLE_OPS 300
#define ORACLE_CHECKED 4	/* mappings whose memory DMA reads at the end */

enum oracle_kind { MAP, UNMAP, UNMAP_ALL, VADDR_UNMAP, VADDR_MAP };

static const char *const oracle_kind_name[] = {
	"map", "unmap", "unmap-all", "vaddr-unmap", "vaddr-map",
};

struct oracle_op {
	enum oracle_kind kind;
	__u32 flags;
	__u64 iova, size, vaddr;
	unsigned int page;	/* of the memory at @vaddr */
};

struct oracle_result {
	int rc;
	__u64 size;
};

/* What a container offers and holds at the end of a sequence. */
struct oracle_end {
	__u64 occupied;		/* a bit per page of the window mapped */
	__u64 total;		/* bytes UNMAP_ALL unmapped */
	struct vfio_iova_range ranges[8];
	unsigned int nranges;
};

/* A mapping the sequence made, as its record of what the container holds. */
struct oracle_mapping {
	__u64 iova, size;
	unsigned int page;
	__u32 flags;
};

/* One run of a sequence: its container, device, memory and record. */
struct oracle_run {
	int container, devfd;
	struct edu_bar bar;
	size_t bar_size;
	bool v2;
	__u64 seed;
	char *mem, *alias, *ro, *hole;
	struct oracle_mapping maps[ORACLE_SLOTS + 4];
	unsigned int nmaps;
};

static __u64 oracle_rand(struct oracle_run *r)
{
	r->seed ^= r->seed << 13;
	r->seed ^= r->seed >> 7;
	r->seed ^= r->seed << 17;
	return r->seed;
}

static unsigned int pick(struct oracle_run *r, unsigned int n)
{
	return oracle_rand(r) % n;
}

static __u64 slot_iova(unsigned int slot)
{
	return DMA_IOVA(0) + slot * page_size;
}

/* The tag DMA finds in the first bytes of page @page of the memory. */
static __u64 page_tag(unsigned int page)
{
	return 0x7a9e000000000000ULL | page;
}

/* Does [iova, iova + size) cut a mapping of the record? */
static struct oracle_mapping *cut_mapping(struct oracle_run *r, __u64 iova,
					  __u64 size)
{
	unsigned int i;

	for (i = 0; i < r->nmaps; i++) {
		struct oracle_mapping *m = &r->maps[i];
		bool overlaps = m->iova < iova + size && iova < m->iova + m->size;

		if (overlaps && (m->iova < iova ||
				 m->iova + m->size > iova + size))
			return m;
	}
	return NULL;
}

static struct oracle_mapping *find_mapping(struct oracle_run *r, __u64 iova,
					   __u64 size)
{
	unsigned int i;

	for (i = 0; i < r->nmaps; i++)
		if (r->maps[i].iova == iova && r->maps[i].size == size)
			return &r->maps[i];
	return NULL;
}

/*
 * Aim @op at a recorded mapping, if there is one, all but one time in
 * @odds; else anywhere in the window, up to @pages pages long.
 */
static void aim(struct oracle_run *r, struct oracle_op *op,
		unsigned int odds, unsigned int pages)
{
	struct oracle_mapping *m;

	if (r->nmaps && pick(r, odds)) {
		m = &r->maps[pick(r, r->nmaps)];
		op->iova = m->iova;
		op->size = m->size;
	} else {
		op->iova = slot_iova(pick(r, ORACLE_SLOTS));
		op->size = (1 + pick(r, pages)) * page_size;
	}
}

/* A range for an unmap: a recorded mapping, or anywhere, or a bad one. */
static void pick_range(struct oracle_run *r, struct oracle_op *op)
{
	struct oracle_mapping *m;

	aim(r, op, 2, 8);
	switch (pick(r, 16)) {
	case 0:
		op->iova += page_size / 2;
		break;
	case 1:
		op->size = 0;
		break;
	case 2:
		op->size += 512;
		break;
	case 3:
		op->iova = -2 * page_size;
		op->size = 4 * page_size;
		break;
	}
	/* Type1 v1 unmaps what a cut leaves differently: cut nothing. */
	m = r->v2 ? NULL : cut_mapping(r, op->iova, op->size);
	if (m) {
		op->iova = m->iova;
		op->size = m->size;
	}
}

static void pick_map(struct oracle_run *r, struct oracle_op *op)
{
	static const __u32 prot[] = { VFIO_DMA_MAP_FLAG_READ,
				      VFIO_DMA_MAP_FLAG_WRITE, RW, RW };
	static const __u64 far[] = { 1ULL << 52, 0xfee00000, 0x8000000 };
	unsigned int n = 1 + pick(r, 4), page = pick(r, ORACLE_PAGES - n);

	op->kind = MAP;
	op->iova = slot_iova(pick(r, ORACLE_SLOTS - n + 1));
	op->size = n * page_size;
	op->vaddr = (uintptr_t)(r->mem + page * page_size);
	op->page = page;
	op->flags = prot[pick(r, 4)];
	switch (pick(r, 24)) {
	case 0:
		op->iova += page_size / 2;
		break;
	case 1:
		op->size += 512;
		break;
	case 2:
		op->size = 0;
		break;
	case 3:
		op->iova = -2 * page_size;
		op->size = 4 * page_size;
		break;
	case 4:
		op->iova = far[pick(r, 3)];
		break;
	case 5:
		op->flags |= 1U << 5;
		break;
	case 6:
		op->flags = 0;
		break;
	case 7:
		op->vaddr = (uintptr_t)(r->ro + page * page_size);
		break;
	case 8:
		op->vaddr = (uintptr_t)r->hole;
		break;
	case 9:
		op->vaddr += 64;
		break;
	}
}

/* A new address for a mapping: the same memory, at its other address. */
static void pick_vaddr_map(struct oracle_run *r, struct oracle_op *op)
{
	struct oracle_mapping *m;

	op->kind = VADDR_MAP;
	op->flags = VFIO_DMA_MAP_FLAG_VADDR;
	if (pick(r, 8) == 0)
		op->flags |= VFIO_DMA_MAP_FLAG_READ;
	aim(r, op, 3, 4);
	m = find_mapping(r, op->iova, op->size);
	op->vaddr = (uintptr_t)(r->alias + (m ? m->page : 0) * page_size);
}

static void pick_op(struct oracle_run *r, struct oracle_op *op)
{
	unsigned int k = pick(r, 100);

	*op = (struct oracle_op){};
	if (k < 40) {
		pick_map(r, op);
	} else if (k < 70) {
		op->kind = UNMAP;
		pick_range(r, op);
		if (pick(r, 24) == 0)
			op->flags = 1U << 5;
	} else if (k < 73) {
		op->kind = UNMAP_ALL;
		op->flags = VFIO_DMA_UNMAP_FLAG_ALL;
		if (pick(r, 8) == 0)
			op->iova = slot_iova(1);
	} else if (k < 86) {
		op->kind = VADDR_UNMAP;
		op->flags = VFIO_DMA_UNMAP_FLAG_VADDR;
		if (pick(r, 6) == 0)
			op->flags |= VFIO_DMA_UNMAP_FLAG_ALL;
		else
			pick_range(r, op);
	} else {
		pick_vaddr_map(r, op);
	}
}

/* What a call that succeeded did to the record. */
static void record(struct oracle_run *r, const struct oracle_op *op)
{
	unsigned int i;

	switch (op->kind) {
	case MAP:
		r->maps[r->nmaps++] = (struct oracle_mapping){
			.iova = op->iova,
			.size = op->size,
			.page = op->page,
			.flags = op->flags,
		};
		break;
	case UNMAP:
	case UNMAP_ALL:
		for (i = 0; i < r->nmaps;) {
			struct oracle_mapping *m = &r->maps[i];

			if (op->kind == UNMAP_ALL ||
			    (m->iova >= op->iova &&
			     m->iova + m->size <= op->iova + op->size))
				*m = r->maps[--r->nmaps];
			else
				i++;
		}
		break;
	default:
		break;
	}
}

static struct oracle_result oracle_call(struct oracle_run *r,
					const struct oracle_op *op)
{
	struct oracle_result res = {};

	switch (op->kind) {
	case MAP:
	case VADDR_MAP:
		res.rc = map_dma(r->container, (void *)(uintptr_t)op->vaddr,
				 op->iova, op->size, op->flags);
		break;
	default:
		res.rc = unmap_dma(r->container, op->iova, op->size, op->flags,
				   &res.size);
		break;
	}
	if (res.rc)
		res.size = 0;
	else
		record(r, op);
	return res;
}

/* Which pages of the window are mapped: a page mapped over is -EEXIST. */
static __u64 oracle_occupied(struct __test_metadata *_metadata,
			     struct oracle_run *r)
{
	__u64 occupied = 0;
	unsigned int i;
	int rc;

	for (i = 0; i < ORACLE_SLOTS; i++) {
		rc = map_dma(r->container, r->mem, slot_iova(i), page_size,
			     VFIO_DMA_MAP_FLAG_READ);
		if (rc == -EEXIST) {
			occupied |= 1ULL << i;
			continue;
		}
		EXPECT_EQ(0, rc);
		EXPECT_EQ(0, unmap_dma(r->container, slot_iova(i), page_size,
				       0, NULL));
	}
	return occupied;
}

/*
 * DMA reads the first recorded mappings that devices may read: each must
 * show its page's tag.  A marker page read first shows through where a
 * read fails.
 */
static void oracle_check_memory(struct __test_metadata *_metadata,
				struct oracle_run *r, __u64 *probe)
{
	__u64 marker = slot_iova(ORACLE_SLOTS + 8);
	__u64 sink = marker + page_size;
	unsigned int i;

	probe[0] = 0xeeeeeeeeeeeeeeeeULL;
	ASSERT_EQ(0, map_dma(r->container, probe, marker, page_size,
			     VFIO_DMA_MAP_FLAG_READ));
	ASSERT_EQ(0, map_dma(r->container, (char *)probe + page_size, sink,
			     page_size, RW));
	for (i = 0; i < r->nmaps && i < ORACLE_CHECKED; i++) {
		const struct oracle_mapping *m = &r->maps[i];
		__u64 *seen = (__u64 *)((char *)probe + page_size);

		if (!(m->flags & VFIO_DMA_MAP_FLAG_READ) ||
		    !(m->iova >= DMA_IOVA(0) && m->iova < slot_iova(ORACLE_SLOTS)))
			continue;
		*seen = 0;
		ASSERT_EQ(0, edu_dma(&r->bar, marker, 8, false));
		ASSERT_EQ(0, edu_dma(&r->bar, m->iova, 8, false));
		ASSERT_EQ(0, edu_dma(&r->bar, sink, 8, true));
		EXPECT_EQ(page_tag(m->page), *seen);
	}
	ASSERT_EQ(0, unmap_dma(r->container, marker, 2 * page_size, 0, NULL));
}

/* The capability @id of GET_INFO, read into @raw; NULL if there is none. */
static void *info_cap(int container, __u16 id, char raw[512])
{
	struct vfio_iommu_type1_info *info = (void *)raw;
	struct vfio_info_cap_header *hdr;
	__u32 off;

	memset(raw, 0, 512);
	info->argsz = 512;
	if (ioctl(container, VFIO_IOMMU_GET_INFO, info))
		return NULL;
	for (off = info->cap_offset; off && off < 512; off = hdr->next) {
		hdr = (void *)(raw + off);
		if (hdr->id == id)
			return hdr;
	}
	return NULL;
}

/* The usable IOVA ranges GET_INFO tells, up to 8, into @ranges. */
static unsigned int oracle_iova_ranges(struct __test_metadata *_metadata,
				       int container,
				       struct vfio_iova_range *ranges)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	char raw[512];

	cap = info_cap(container, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, raw);
	EXPECT_NE(NULL, cap);
	if (!cap || cap->nr_iovas > 8)
		return 0;
	memcpy(ranges, cap->iova_ranges, cap->nr_iovas * sizeof(*ranges));
	return cap->nr_iovas;
}

/*
 * Run the sequence of @seed in a new container of @type, which @ioasid
 * says who must serve; results into @res, and what the container offers
 * and holds at the end into *@end.
 */
/*
 * A new container of @type for edu, which @ioasid says who must serve,
 * with edu's BAR mapped and bus mastering on.
 */
static void oracle_open(struct __test_metadata *_metadata, struct vfio_edu *v,
			struct oracle_run *r, unsigned long type, bool ioasid)
{
	long contexts = ioasid_counter("contexts");

	ASSERT_EQ(0, sysfs_write(TYPE1_PARAM, ioasid ? "1" : "0"));
	r->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, r->container);
	ASSERT_EQ(0, ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &r->container));
	ASSERT_EQ(0, ioctl(r->container, VFIO_SET_IOMMU, type));
	/* Which backend took it: ioasid's has a context of its own. */
	ASSERT_EQ(contexts + ioasid, ioasid_counter("contexts"));
	r->devfd = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, v->bdf);
	ASSERT_LE(0, r->devfd);
	ASSERT_EQ(0, vfio_edu_map(r->devfd, &r->bar, &r->bar_size));
	ASSERT_EQ(0, vfio_bus_master(r->devfd));
	r->v2 = type == VFIO_TYPE1v2_IOMMU;
	r->nmaps = 0;
}

static void oracle_close(struct __test_metadata *_metadata,
			 struct vfio_edu *v, struct oracle_run *r)
{
	munmap(r->bar.regs, r->bar_size);
	close(r->devfd);
	ASSERT_EQ(0, ioctl(v->group, VFIO_GROUP_UNSET_CONTAINER));
	close(r->container);
}

static void oracle_run(struct __test_metadata *_metadata, struct vfio_edu *v,
		       struct oracle_run *r, unsigned long type, bool ioasid,
		       struct oracle_op *ops, struct oracle_result *res,
		       struct oracle_end *end, __u64 *probe)
{
	unsigned int i;

	oracle_open(_metadata, v, r, type, ioasid);
	for (i = 0; i < ORACLE_OPS; i++) {
		pick_op(r, &ops[i]);
		res[i] = oracle_call(r, &ops[i]);
	}
	end->occupied = oracle_occupied(_metadata, r);
	oracle_check_memory(_metadata, r, probe);
	end->nranges = oracle_iova_ranges(_metadata, r->container,
					  end->ranges);
	ASSERT_EQ(0, unmap_dma(r->container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
			       &end->total));
	oracle_close(_metadata, v, r);
}

/* The memory the sequences map, tagged page by page, and its aliases. */
FIXTURE(type1_oracle) {
	struct vfio_edu v;
	char type1_unsafe;
	char param;
	int memfd;
	struct oracle_run run;
	__u64 *probe;
};

FIXTURE_SETUP(type1_oracle)
{
	struct oracle_run *r = &self->run;
	const char *why = NULL;
	unsigned int i;
	size_t len;

	self->memfd = -1;
	/* Before ioasid_vfio is loaded: no teardown follows a skip. */
	if (access(TYPE1_UNSAFE, F_OK))
		why = "vfio_iommu_type1 is not loaded (ppc64 has SPAPR only)";
	else
		why = vfio_edu_prepare(_metadata, &self->v, true);
	if (why)
		SKIP(return, "%s", why);
	len = ORACLE_PAGES * page_size;
	self->param = set_module_bool(TYPE1_PARAM, 'Y');
	self->type1_unsafe = set_module_bool(TYPE1_UNSAFE, 'Y');
	self->v.unsafe = set_unsafe_interrupts('1');
	ASSERT_TRUE(pci_bind_driver(self->v.bdf, "vfio-pci"));
	self->v.group = open_vfio_group(self->v.bdf);
	ASSERT_LE(0, self->v.group);

	self->memfd = memfd_create("ioasid_oracle", MFD_CLOEXEC);
	ASSERT_LE(0, self->memfd);
	ASSERT_EQ(0, ftruncate(self->memfd, len));
	r->mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      self->memfd, 0);
	r->alias = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			self->memfd, 0);
	r->ro = mmap(NULL, len, PROT_READ, MAP_SHARED, self->memfd, 0);
	r->hole = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	self->probe = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r->mem);
	ASSERT_NE(MAP_FAILED, r->alias);
	ASSERT_NE(MAP_FAILED, r->ro);
	ASSERT_NE(MAP_FAILED, r->hole);
	ASSERT_NE(MAP_FAILED, self->probe);
	memset(self->probe, 0, 2 * page_size);
	for (i = 0; i < ORACLE_PAGES; i++)
		*(__u64 *)(r->mem + i * page_size) = page_tag(i);
}

FIXTURE_TEARDOWN(type1_oracle)
{
	size_t len = ORACLE_PAGES * page_size;

	if (self->memfd < 0)
		return;
	munmap(self->run.mem, len);
	munmap(self->run.alias, len);
	munmap(self->run.ro, len);
	munmap(self->run.hole, len);
	munmap(self->probe, 2 * page_size);
	close(self->memfd);
	set_module_bool(TYPE1_UNSAFE, self->type1_unsafe);
	set_module_bool(TYPE1_PARAM, self->param);
	vfio_edu_close(_metadata, &self->v);
}

/* The sequences of @nseeds seeds in containers of @type, both backends. */
static void oracle_compare(struct __test_metadata *_metadata,
			   struct _test_data_type1_oracle *self,
			   unsigned long type,
			   unsigned int nseeds)
{
	static struct oracle_op ops[2][ORACLE_OPS];
	static struct oracle_result res[2][ORACLE_OPS];
	unsigned int seed, b, i, differ = 0, succeeded;
	struct oracle_end end[2];

	for (seed = 1; seed <= nseeds; seed++) {
		for (b = 0; b < 2; b++) {
			self->run.seed = 0x10a5d0000 + seed;
			oracle_run(_metadata, &self->v, &self->run, type, b,
				   ops[b], res[b], &end[b], self->probe);
		}
		succeeded = 0;
		for (i = 0; i < ORACLE_OPS; i++) {
			const struct oracle_op *op = &ops[0][i];

			succeeded += !res[0][i].rc;

			if (res[0][i].rc == res[1][i].rc &&
			    res[0][i].size == res[1][i].size)
				continue;
			TH_LOG("seed %u call %u: %s flags %#x iova %#llx size %#llx",
			       seed, i, oracle_kind_name[op->kind], op->flags,
			       (unsigned long long)op->iova,
			       (unsigned long long)op->size);
			TH_LOG("  type1 %d (%llu bytes), ioasid %d (%llu bytes)",
			       res[0][i].rc,
			       (unsigned long long)res[0][i].size,
			       res[1][i].rc,
			       (unsigned long long)res[1][i].size);
			differ++;
		}
		/* Sequences that mostly fail would prove little. */
		TH_LOG("seed %u: %u of %u calls succeeded, %llu bytes mapped at the end",
		       seed, succeeded, ORACLE_OPS,
		       (unsigned long long)end[0].total);
		EXPECT_LE(ORACLE_OPS / 3, succeeded);
		EXPECT_EQ(end[0].occupied, end[1].occupied);
		EXPECT_EQ(end[0].total, end[1].total);
		ASSERT_LE(1, end[0].nranges);
		ASSERT_EQ(end[0].nranges, end[1].nranges);
		for (i = 0; i < end[0].nranges; i++) {
			EXPECT_EQ(end[0].ranges[i].start, end[1].ranges[i].start);
			EXPECT_EQ(end[0].ranges[i].end, end[1].ranges[i].end);
		}
	}
	EXPECT_EQ(0, differ);
}

TEST_F(type1_oracle, same_results_as_type1v2)
{
	oracle_compare(_metadata, self, VFIO_TYPE1v2_IOMMU, 4);
}

TEST_F(type1_oracle, same_results_as_type1)
{
	oracle_compare(_metadata, self, VFIO_TYPE1_IOMMU, 2);
}

/*
 * Dirty tracking, as a VMM migrating with a type1 container does it.  The
 * sequence maps only writable memory: type1 reports every page of its
 * mappings dirty, read-only ones included, where ioasid reports only the
 * pages a device may write ("Dirty tracking" in ioasid.rst).
 */
#define DIRTY_STEPS 12

struct dirty_end {
	int rc[DIRTY_STEPS];
	__u64 bits[DIRTY_STEPS];
	__u64 cap_pgsize;	/* the smallest page of the migration cap */
	__u64 cap_max;		/* its max_dirty_bitmap_size */
};

static int dirty_pages(int container, __u32 flags)
{
	struct vfio_iommu_type1_dirty_bitmap dirty = {
		.argsz = sizeof(dirty),
		.flags = flags,
	};

	return ioctl(container, VFIO_IOMMU_DIRTY_PAGES, &dirty) ? -errno : 0;
}

/* GET_BITMAP of [@iova, + @size) at @pgsize into @bits, of @bytes. */
static int dirty_bitmap(int container, __u64 iova, __u64 size, __u64 pgsize,
			__u64 *bits, __u64 bytes)
{
	struct {
		struct vfio_iommu_type1_dirty_bitmap dirty;
		struct vfio_iommu_type1_dirty_bitmap_get get;
	} arg = {
		.dirty = {
			.argsz = sizeof(arg),
			.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
		},
		.get = {
			.iova = iova,
			.size = size,
			.bitmap = { .pgsize = pgsize, .size = bytes,
				    .data = bits },
		},
	};

	*bits = 0;
	return ioctl(container, VFIO_IOMMU_DIRTY_PAGES, &arg) ? -errno : 0;
}

/* UNMAP_DMA of [@iova, + @size) with the dirty bitmap of what it unmaps. */
static int unmap_dirty(int container, __u64 iova, __u64 size, __u64 *bits)
{
	struct {
		struct vfio_iommu_type1_dma_unmap unmap;
		struct vfio_bitmap bitmap;
	} arg = {
		.unmap = {
			.argsz = sizeof(arg),
			.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
			.iova = iova,
			.size = size,
		},
		.bitmap = { .pgsize = page_size, .size = sizeof(*bits),
			    .data = bits },
	};

	*bits = 0;
	return ioctl(container, VFIO_IOMMU_UNMAP_DMA, &arg) ? -errno : 0;
}

/* The migration capability of GET_INFO; false when there is none. */
static bool migration_cap(int container, struct dirty_end *end)
{
	struct vfio_iommu_type1_info_cap_migration *cap;
	char raw[512];

	cap = info_cap(container, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, raw);
	if (!cap)
		return false;
	end->cap_pgsize = cap->pgsize_bitmap & -cap->pgsize_bitmap;
	end->cap_max = cap->max_dirty_bitmap_size;
	return true;
}

static void dirty_sequence(struct __test_metadata *_metadata,
			   struct oracle_run *r, struct dirty_end *end)
{
	int c = r->container, i = 0;
	__u64 *b = end->bits;

	ASSERT_TRUE(migration_cap(c, end));
	end->rc[i++] = map_dma(c, r->mem, slot_iova(0), 2 * page_size, RW);
	end->rc[i++] = map_dma(c, r->mem + 2 * page_size, slot_iova(4),
			       page_size, RW);
	/* Not tracking yet. */
	end->rc[i] = dirty_bitmap(c, slot_iova(0), 2 * page_size, page_size,
				  &b[i], 8), i++;
	end->rc[i++] = dirty_pages(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
	EXPECT_EQ(0, edu_dma(&r->bar, slot_iova(1), 64, true));
	end->rc[i] = dirty_bitmap(c, slot_iova(0), 2 * page_size, page_size,
				  &b[i], 8), i++;
	/* Read again: what cannot be seen is dirty at every read. */
	end->rc[i] = dirty_bitmap(c, slot_iova(0), 2 * page_size, page_size,
				  &b[i], 8), i++;
	/* Another page size; a bitmap too small; two flags. */
	end->rc[i] = dirty_bitmap(c, slot_iova(0), 2 * page_size,
				  2 * page_size, &b[i], 8), i++;
	end->rc[i] = dirty_bitmap(c, slot_iova(0), 2 * page_size, page_size,
				  &b[i], 0), i++;
	end->rc[i++] = dirty_pages(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
				      VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP);
	end->rc[i] = unmap_dirty(c, slot_iova(4), page_size, &b[i]), i++;
	end->rc[i++] = dirty_pages(c, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP);
	end->rc[i] = dirty_bitmap(c, slot_iova(0), 2 * page_size, page_size,
				  &b[i], 8), i++;
	ASSERT_EQ(DIRTY_STEPS, i);
	ASSERT_EQ(0, unmap_dma(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL));
}

TEST_F(type1_oracle, dirty_pages_as_type1)
{
	struct dirty_end end[2] = {};
	unsigned int b, i;

	for (b = 0; b < 2; b++) {
		oracle_open(_metadata, &self->v, &self->run,
			    VFIO_TYPE1v2_IOMMU, b);
		dirty_sequence(_metadata, &self->run, &end[b]);
		oracle_close(_metadata, &self->v, &self->run);
	}
	for (i = 0; i < DIRTY_STEPS; i++) {
		EXPECT_EQ(end[0].rc[i], end[1].rc[i])
			TH_LOG("step %u", i);
		EXPECT_EQ(end[0].bits[i], end[1].bits[i])
			TH_LOG("step %u", i);
	}
	/* The sequence proves something: tracking worked in both. */
	EXPECT_EQ(0, end[1].rc[4]);
	EXPECT_EQ(3, end[1].bits[4]);
	EXPECT_EQ(1, end[1].bits[9]);
	EXPECT_EQ(-EINVAL, end[1].rc[2]);
	EXPECT_EQ(page_size, end[0].cap_pgsize);
	EXPECT_EQ(page_size, end[1].cap_pgsize);
	EXPECT_EQ(end[0].cap_max, end[1].cap_max);
}

TEST_HARNESS_MAIN
