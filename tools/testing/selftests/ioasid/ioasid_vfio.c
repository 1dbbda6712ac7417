// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid as the IOMMU backend of VFIO containers (ioasid_vfio.ko): an edu
 * device bound to vfio-pci, driven through its VFIO device file, in a type1
 * container that ioasid serves.
 *
 * The test loads ioasid_vfio.ko with type1=1 from IOASID_VFIO_MODULE (the
 * lanes set it) when it is not loaded, and unloads it at the end; VFIO
 * (vfio, vfio-pci) must be there already.
 */
#include <fcntl.h>
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
#include "ioasid_utils.h"
#include "ioasid_pci_utils.h"

#define TYPE1_PARAM "/sys/module/ioasid_vfio/parameters/type1"
#define NPAGES 4

static size_t page_size;

/*
 * Load ioasid_vfio.ko with type1=1 if it is not loaded; *@loaded says
 * whether it was.  -ENOENT: there is none to load; -EPERM: it is loaded
 * without type1.
 */
static int load_ioasid_vfio(bool *loaded)
{
	const char *ko = getenv("IOASID_VFIO_MODULE");
	char type1[4] = "";
	int fd, rc;

	*loaded = false;
	if (!access(TYPE1_PARAM, F_OK)) {
		ioasid_read_file(TYPE1_PARAM, type1, sizeof(type1));
		return type1[0] == 'Y' ? 0 : -EPERM;
	}
	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = syscall(__NR_finit_module, fd, "type1=1", 0) ? -errno : 0;
	close(fd);
	*loaded = !rc;
	return rc;
}

static int unload_ioasid_vfio(void)
{
	return syscall(__NR_delete_module, "ioasid_vfio", O_NONBLOCK) ?
	       -errno : 0;
}

/* The VFIO group file of @bdf, or -1. */
static int open_vfio_group(const char *bdf)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%d", pci_iommu_group(bdf));
	return open(path, O_RDWR | O_CLOEXEC);
}

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

static int map_dma(int container, void *va, __u64 iova, __u64 size,
		   __u32 flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (__u64)(uintptr_t)va,
		.iova = iova,
		.size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

static int unmap_dma(int container, __u64 iova, __u64 size, __u32 flags,
		     __u64 *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	int rc;

	rc = ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) ? -errno : 0;
	if (unmapped)
		*unmapped = unmap.size;
	return rc;
}

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

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

/* GET_INFO tells the page sizes, the usable IOVAs and the DMA limit. */
TEST_F(vfio_edu, get_info_has_ranges_and_dma_avail)
{
	char raw[512] = {};
	struct vfio_iommu_type1_info *info = (void *)raw;
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
	}
	ASSERT_TRUE(ranges);
	ASSERT_TRUE(avail);
	/* No dirty tracking is offered, and none is done. */
	ASSERT_EQ(-1, ioctl(self->v.container, VFIO_IOMMU_DIRTY_PAGES,
			    &(struct vfio_iommu_type1_dirty_bitmap){
				    .argsz = sizeof(struct vfio_iommu_type1_dirty_bitmap),
				    .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START }));
	ASSERT_EQ(EOPNOTSUPP, errno);
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
	char *mem, *again, *other;
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
	ASSERT_EQ(0, vfio_link(self->v.container, self->fd, self->ioas_id));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(-EBUSY, vfio_link(self->v.container, self->fd, ioas2));
}

TEST_HARNESS_MAIN
