/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for PCI device files and QEMU's edu device (1234:11e8), shared by
 * the selftests and the demo: giving a device to ioasid_pci through sysfs,
 * the device file's commands, and edu's registers and DMA engine.
 */
#ifndef __SELFTEST_IOASID_PCI_UTILS_H
#define __SELFTEST_IOASID_PCI_UTILS_H

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>

#include <linux/pci_regs.h>

#include "ioasid_utils.h"

#define PCI_DEVICES "/sys/bus/pci/devices"
#define EDU_ID 0x010000edU
#define EDU_REG_ID 0x00
#define EDU_REG_LIVENESS 0x04
#define UNSAFE_INTERRUPTS "/sys/module/ioasid/parameters/allow_unsafe_interrupts"
#define UNRESETTABLE "/sys/module/ioasid/parameters/allow_unresettable"

static inline int sysfs_write(const char *path, const char *value)
{
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static inline unsigned long sysfs_read_ulong(const char *path)
{
	char buf[32];

	if (ioasid_read_file(path, buf, sizeof(buf)) <= 0)
		return ULONG_MAX;
	return strtoul(buf, NULL, 0);
}

/* The driver @bdf is bound to, in @driver, or "" when none. */
static inline void pci_driver_of(const char *bdf, char *driver, size_t size)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t len;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	len = readlink(path, link, sizeof(link) - 1);
	driver[0] = '\0';
	if (len > 0) {
		link[len] = '\0';
		snprintf(driver, size, "%s", strrchr(link, '/') + 1);
	}
}

static inline int pci_iommu_group(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t len;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group", bdf);
	len = readlink(path, link, sizeof(link) - 1);
	if (len <= 0)
		return -1;
	link[len] = '\0';
	return atoi(strrchr(link, '/') + 1);
}

/*
 * What the kernel's own DMA of @bdf goes through, from the type of its
 * IOMMU group's default domain: enum ioasid_kernel_dma.  A platform domain
 * (the SPAPR TCE default window) shows as "unknown", and translates.
 */
static inline int pci_kernel_dma(const char *bdf, int family)
{
	static const struct {
		const char *type;
		int kernel_dma;
	} types[] = {
		{ "DMA\n", IOASID_KERNEL_DMA_TRANSLATED },
		{ "DMA-FQ\n", IOASID_KERNEL_DMA_TRANSLATED },
		{ "identity\n", IOASID_KERNEL_DMA_IDENTITY },
		{ "blocked\n", IOASID_KERNEL_DMA_BLOCKED },
	};
	char path[PATH_MAX], type[32];
	size_t i;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group/type", bdf);
	if (ioasid_read_file(path, type, sizeof(type)) < 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(types); i++)
		if (!strcmp(type, types[i].type))
			return types[i].kernel_dma;
	if (!strcmp(type, "unknown\n") &&
	    family == IOASID_IOMMU_FAMILY_SPAPR_TCE)
		return IOASID_KERNEL_DMA_TRANSLATED;
	return IOASID_KERNEL_DMA_UNKNOWN;
}

/* Unbind @bdf from its driver and clear its driver_override. */
static inline void pci_release(const char *bdf)
{
	char path[PATH_MAX], driver[64];

	pci_driver_of(bdf, driver, sizeof(driver));
	if (driver[0]) {
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind",
			 bdf);
		sysfs_write(path, bdf);
	}
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	sysfs_write(path, "\n");
}

/* Bind @bdf to @driver; true if it is bound to it afterwards. */
static inline bool pci_bind_driver(const char *bdf, const char *driver)
{
	char path[PATH_MAX], now[64];

	pci_release(bdf);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	if (sysfs_write(path, driver))
		return false;
	/* A refused probe is not an error of the write: look at the result. */
	sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	pci_driver_of(bdf, now, sizeof(now));
	return !strcmp(now, driver);
}

/* The edu devices, sorted; returns how many. */
static inline int find_edu(char bdfs[][16], int max)
{
	struct dirent **names;
	char path[PATH_MAX];
	int i, n, found = 0;

	n = scandir(PCI_DEVICES, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		const char *bdf = names[i]->d_name;

		snprintf(path, sizeof(path), PCI_DEVICES "/%s/vendor", bdf);
		if (bdf[0] != '.' && sysfs_read_ulong(path) == 0x1234) {
			snprintf(path, sizeof(path), PCI_DEVICES "/%s/device",
				 bdf);
			if (sysfs_read_ulong(path) == 0x11e8 && found < max &&
			    strlen(bdf) < 16)
				memcpy(bdfs[found++], bdf, strlen(bdf) + 1);
		}
		free(names[i]);
	}
	free(names);
	return found;
}

static inline int open_device_file(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/dev/ioasid-pci/%s", bdf);
	return open(path, O_RDWR | O_CLOEXEC);
}

static inline int pci_bind(int devfd, int ioasid_fd, __u32 *dev_id)
{
	struct ioasid_pci_bind cmd = {
		.size = sizeof(cmd),
		.ioasid_fd = ioasid_fd,
	};
	int rc;

	rc = ioasid_ioctl(devfd, IOASID_PCI_BIND, &cmd);
	if (dev_id)
		*dev_id = cmd.out_dev_id;
	return rc;
}

/*
 * The IOMMU family of the QEMU lane this runs in, from the lane's name on
 * the kernel command line (ioasid_lane=), or -1 outside the lanes.
 */
static inline int lane_iommu_family(void)
{
	static const struct {
		const char *lane;
		int family;
	} lanes[] = {
		{ "x86-vtd", IOASID_IOMMU_FAMILY_INTEL_VTD },
		{ "x86-amd-iommu", IOASID_IOMMU_FAMILY_AMD_VI },
		{ "arm64-smmuv3", IOASID_IOMMU_FAMILY_ARM_SMMUV3 },
		{ "x86-virtio-iommu", IOASID_IOMMU_FAMILY_VIRTIO },
		{ "ppc64-spapr", IOASID_IOMMU_FAMILY_SPAPR_TCE },
	};
	char cmdline[1024], *lane;
	size_t i;

	if (ioasid_read_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		return -1;
	lane = strstr(cmdline, "ioasid_lane=");
	if (!lane)
		return -1;
	lane += strlen("ioasid_lane=");
	for (i = 0; i < ARRAY_SIZE(lanes); i++)
		if (!strncmp(lane, lanes[i].lane, strlen(lanes[i].lane)))
			return lanes[i].family;
	return -1;
}

static inline int pci_info(int devfd, struct ioasid_pci_info *info)
{
	*info = (struct ioasid_pci_info){ .size = sizeof(*info) };
	return ioasid_ioctl(devfd, IOASID_PCI_INFO, info);
}

static inline int pci_config(int devfd, __u32 flags, __u32 offset,
			     __u32 width, __u32 *value)
{
	struct ioasid_pci_config cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.offset = offset,
		.width = width,
		.value = *value,
	};
	int rc;

	rc = ioasid_ioctl(devfd, IOASID_PCI_CONFIG, &cmd);
	*value = cmd.value;
	return rc;
}

static inline int pci_bus_master(int devfd, __u32 enable)
{
	struct ioasid_pci_bus_master cmd = {
		.size = sizeof(cmd),
		.enable = enable,
	};

	return ioasid_ioctl(devfd, IOASID_PCI_BUS_MASTER, &cmd);
}

static inline int pci_region(int devfd, __u32 index,
			     struct ioasid_pci_region_info *info)
{
	*info = (struct ioasid_pci_region_info){
		.size = sizeof(*info),
		.index = index,
	};
	return ioasid_ioctl(devfd, IOASID_PCI_REGION_INFO, info);
}

/*
 * edu registers are little-endian, except under qemu-system-ppc64 where
 * they read big-endian: learn the order from the ID register.
 */
struct edu_bar {
	uint32_t *regs;
	bool swap;
};

/* Register accesses the compiler neither drops nor merges. */
static inline uint32_t edu_read(struct edu_bar *bar, unsigned int reg)
{
	uint32_t v = __atomic_load_n(&bar->regs[reg / 4], __ATOMIC_RELAXED);

	return bar->swap ? __builtin_bswap32(v) : v;
}

static inline void edu_write(struct edu_bar *bar, unsigned int reg, uint32_t v)
{
	__atomic_store_n(&bar->regs[reg / 4],
			 bar->swap ? __builtin_bswap32(v) : v, __ATOMIC_RELAXED);
}

/* The DMA address registers take 64 bits, in one access. */
static inline void edu_write64(struct edu_bar *bar, unsigned int reg,
			       uint64_t v)
{
	__atomic_store_n((uint64_t *)&bar->regs[reg / 4],
			 bar->swap ? __builtin_bswap64(v) : v,
			 __ATOMIC_RELAXED);
}

/* Use the registers mapped at @regs, learning their byte order. */
static inline void edu_bar_init(struct edu_bar *bar, void *regs)
{
	bar->regs = regs;
	bar->swap = false;
	bar->swap = edu_read(bar, EDU_REG_ID) == __builtin_bswap32(EDU_ID);
}

static inline int edu_map(int devfd, struct edu_bar *bar)
{
	struct ioasid_pci_region_info info;
	void *p;
	int rc;

	rc = pci_region(devfd, 0, &info);
	if (rc)
		return rc;
	p = mmap(NULL, info.out_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 devfd, info.out_offset);
	if (p == MAP_FAILED)
		return -errno;
	edu_bar_init(bar, p);
	return 0;
}

/* Set a bool parameter of the module; returns the previous setting. */
static inline char set_module_bool(const char *path, char value)
{
	char old[4] = "N", v[2] = { value, '\0' };

	ioasid_read_file(path, old, sizeof(old));
	sysfs_write(path, v);
	return old[0];
}

/* Let devices without MSI isolation bind; returns the previous setting. */
static inline char set_unsafe_interrupts(char value)
{
	return set_module_bool(UNSAFE_INTERRUPTS, value);
}

/* The config space of @bdf from @offset, read through sysfs; -1 on error. */
static inline int sysfs_config(const char *bdf, unsigned int offset,
			       void *buf, size_t len)
{
	char path[PATH_MAX];
	int fd, rc = 0;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (pread(fd, buf, len, offset) != (ssize_t)len)
		rc = -1;
	close(fd);
	return rc;
}

/* The PCI command register, read through sysfs (no binding needed). */
static inline int sysfs_command(const char *bdf)
{
	uint16_t cmd;

	return sysfs_config(bdf, PCI_COMMAND, &cmd, 2) ? 0xffff : cmd;
}

/* edu's DMA engine: 100 ms of virtual time per transfer, <= 4095 bytes. */
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_START 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_DMA_BUFFER 0x40000
#define EDU_DMA_MAX 4095
/* edu masks DMA addresses to 28 bits: the IOVAs used stay below. */
#define DMA_IOVA(n) (0x100000ULL + (n) * 0x10000ULL)

static inline int attach(int fd, __u32 dev_id, __u32 ioas_id, __u32 flags)
{
	return device_attach(fd, dev_id, ioas_id, flags, NULL);
}

/*
 * Run one transfer between RAM at @iova and the device's buffer.  Register
 * writes are 32-bit: edu zero-extends them, and the IOVAs fit.
 */
static inline void edu_dma_start(struct edu_bar *bar, __u64 iova, __u32 len,
				 bool to_ram)
{
	edu_write64(bar, EDU_DMA_SRC, to_ram ? EDU_DMA_BUFFER : iova);
	edu_write64(bar, EDU_DMA_DST, to_ram ? iova : EDU_DMA_BUFFER);
	edu_write(bar, EDU_DMA_COUNT, len);
	edu_write(bar, EDU_DMA_CMD,
		  EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
}

/* Wait for the transfer edu_dma_start() started to end. */
static inline int edu_dma_wait(struct edu_bar *bar)
{
	int waited;

	for (waited = 0; edu_read(bar, EDU_DMA_CMD) & EDU_DMA_START; waited++) {
		if (waited > 20000)
			return -ETIMEDOUT;
		usleep(1000);
	}
	return 0;
}

static inline int edu_dma(struct edu_bar *bar, __u64 iova, __u32 len,
			  bool to_ram)
{
	edu_dma_start(bar, iova, len, to_ram);
	return edu_dma_wait(bar);
}

/*
 * Why the tests of an edu device cannot run here, or NULL: then @bdf (of
 * @size bytes) names the first edu device, and @start holds the counters
 * as they are.
 */
static inline const char *edu_available(char *bdf, size_t size,
					struct ioasid_counters *start)
{
	char bdfs[4][16];

	if (access(IOASID_DEV, F_OK) || ioasid_read_counters(start))
		return "ioasid.ko not loaded or debugfs not mounted";
	if (find_edu(bdfs, 4) < 1)
		return "no edu device (1234:11e8) on this machine";
	snprintf(bdf, size, "%s", bdfs[0]);
	return NULL;
}

#ifdef __KSELFTEST_HARNESS_H
/*
 * Give @bdf to ioasid_pci with unsafe interrupts allowed (the previous
 * setting in *@unsafe), open its device file and a context.  (This and
 * edu_close() use the harness's assertions: only for the selftests, which
 * include kselftest_harness.h first.)
 */
static inline void edu_open(struct __test_metadata *_metadata, const char *bdf,
			    char *unsafe, int *devfd, int *fd)
{
	*unsafe = set_unsafe_interrupts('1');
	ASSERT_TRUE(pci_bind_driver(bdf, "ioasid_pci"));
	*devfd = open_device_file(bdf);
	ASSERT_LE(0, *devfd);
	*fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, *fd);
}

/* Undo edu_open(), and check that everything came back to @start. */
static inline void edu_close(struct __test_metadata *_metadata, const char *bdf,
			     char unsafe, int devfd, int fd,
			     const struct ioasid_counters *start)
{
	struct ioasid_counters end;

	if (devfd >= 0)
		close(devfd);
	if (fd >= 0)
		close(fd);
	pci_release(bdf);
	set_unsafe_interrupts(unsafe);
	ASSERT_EQ(0, ioasid_read_counters(&end));
	ASSERT_EQ(start->contexts, end.contexts);
	ASSERT_EQ(start->objects, end.objects);
	ASSERT_EQ(start->pinned_pages, end.pinned_pages);
	ASSERT_EQ(start->accounted_pages, end.accounted_pages);
	ASSERT_EQ(start->domains, end.domains);
	ASSERT_EQ(start->pasids, end.pasids);
	ASSERT_EQ(start->sva_binds, end.sva_binds);
	ASSERT_EQ(start->shares, end.shares);
	ASSERT_EQ(start->nested, end.nested);
	ASSERT_EQ(start->faults, end.faults);
}
#endif /* __KSELFTEST_HARNESS_H */

#endif /* __SELFTEST_IOASID_PCI_UTILS_H */
