// SPDX-License-Identifier: GPL-2.0
/*
 * PCI devices given to user space through the ioasid_pci driver, with
 * QEMU's edu device (1234:11e8): binding to a context and what it claims,
 * group viability, MSI isolation, BAR regions and mmap, configuration
 * space, bus mastering, reset, and the device going away while in use.
 *
 * Tests bind devices through sysfs and give them back at teardown; they
 * skip when the machine has no edu device.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "ioasid_utils.h"

#define PCI_DEVICES "/sys/bus/pci/devices"
#define EDU_ID 0x010000edU
#define EDU_REG_ID 0x00
#define EDU_REG_LIVENESS 0x04
#define UNSAFE_INTERRUPTS "/sys/module/ioasid/parameters/allow_unsafe_interrupts"

static int sysfs_write(const char *path, const char *value)
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

static unsigned long sysfs_read_ulong(const char *path)
{
	char buf[32];

	if (ioasid_read_file(path, buf, sizeof(buf)) <= 0)
		return ULONG_MAX;
	return strtoul(buf, NULL, 0);
}

/* The driver @bdf is bound to, in @driver, or "" when none. */
static void pci_driver_of(const char *bdf, char *driver, size_t size)
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

static int pci_iommu_group(const char *bdf)
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

/* Unbind @bdf from its driver and clear its driver_override. */
static void pci_release(const char *bdf)
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
static bool pci_bind_driver(const char *bdf, const char *driver)
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
static int find_edu(char bdfs[][16], int max)
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

static int open_device_file(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/dev/ioasid-pci/%s", bdf);
	return open(path, O_RDWR | O_CLOEXEC);
}

static int pci_bind(int devfd, int ioasid_fd, __u32 *dev_id)
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

static int pci_info(int devfd, struct ioasid_pci_info *info)
{
	*info = (struct ioasid_pci_info){ .size = sizeof(*info) };
	return ioasid_ioctl(devfd, IOASID_PCI_INFO, info);
}

static int pci_config(int devfd, __u32 flags, __u32 offset, __u32 width,
		      __u32 *value)
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

static int pci_bus_master(int devfd, __u32 enable)
{
	struct ioasid_pci_bus_master cmd = {
		.size = sizeof(cmd),
		.enable = enable,
	};

	return ioasid_ioctl(devfd, IOASID_PCI_BUS_MASTER, &cmd);
}

static int pci_region(int devfd, __u32 index,
		      struct ioasid_pci_region_info *info)
{
	*info = (struct ioasid_pci_region_info){
		.size = sizeof(*info),
		.index = index,
	};
	return ioasid_ioctl(devfd, IOASID_PCI_REGION_INFO, info);
}

/* The PCI command register, read through sysfs (no binding needed). */
static int sysfs_command(const char *bdf)
{
	char path[PATH_MAX];
	uint16_t cmd = 0;
	int fd;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, &cmd, 2, PCI_COMMAND) != 2)
		cmd = 0xffff;
	if (fd >= 0)
		close(fd);
	return cmd;
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
static uint32_t edu_read(struct edu_bar *bar, unsigned int reg)
{
	uint32_t v = __atomic_load_n(&bar->regs[reg / 4], __ATOMIC_RELAXED);

	return bar->swap ? __builtin_bswap32(v) : v;
}

static void edu_write(struct edu_bar *bar, unsigned int reg, uint32_t v)
{
	__atomic_store_n(&bar->regs[reg / 4],
			 bar->swap ? __builtin_bswap32(v) : v, __ATOMIC_RELAXED);
}

static int edu_map(int devfd, struct edu_bar *bar)
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
	bar->regs = p;
	bar->swap = false;
	bar->swap = edu_read(bar, EDU_REG_ID) == __builtin_bswap32(EDU_ID);
	return 0;
}

/* Is @needle in the kernel log? */
static bool klog_contains(const char *needle)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	bool found = false;
	char *buf;
	int len;

	if (size <= 0)
		return false;
	buf = malloc(size + 1);
	if (!buf)
		return false;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (len > 0) {
		buf[len] = '\0';
		found = strstr(buf, needle);
	}
	free(buf);
	return found;
}

/* Let devices without MSI isolation bind; returns the previous setting. */
static char set_unsafe_interrupts(char value)
{
	char old[4] = "N", v[2] = { value, '\0' };

	ioasid_read_file(UNSAFE_INTERRUPTS, old, sizeof(old));
	sysfs_write(UNSAFE_INTERRUPTS, v);
	return old[0];
}

/* One edu device bound to ioasid_pci, its file open, and a context. */
FIXTURE(edu) {
	char bdf[16];
	int devfd;
	int fd;
	char unsafe;
	struct ioasid_counters start;
};

FIXTURE_SETUP(edu)
{
	char bdfs[4][16];

	self->devfd = -1;
	self->fd = -1;
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
}

FIXTURE_TEARDOWN(edu)
{
	struct ioasid_counters end;

	if (self->devfd >= 0)
		close(self->devfd);
	if (self->fd >= 0)
		close(self->fd);
	if (!self->bdf[0])
		return;
	pci_release(self->bdf);
	set_unsafe_interrupts(self->unsafe);
	ASSERT_EQ(0, ioasid_read_counters(&end));
	ASSERT_EQ(self->start.contexts, end.contexts);
	ASSERT_EQ(self->start.objects, end.objects);
}

TEST_F(edu, device_file_per_bound_device)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/ioasid-pci/%s", self->bdf);
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(0600U, st.st_mode & 07777);
	snprintf(path, sizeof(path), "/sys/class/ioasid-pci/%s", self->bdf);
	ASSERT_EQ(0, access(path, F_OK));
	/* One open at a time. */
	ASSERT_EQ(-1, open_device_file(self->bdf));
	ASSERT_EQ(EBUSY, errno);
}

TEST_F(edu, nothing_before_bind)
{
	struct ioasid_pci_region_info region;
	struct ioasid_pci_info info;
	__u32 value = 0;

	ASSERT_EQ(-EINVAL, pci_info(self->devfd, &info));
	ASSERT_EQ(-EINVAL, pci_region(self->devfd, 0, &region));
	ASSERT_EQ(-EINVAL, pci_config(self->devfd, 0, 0, 4, &value));
	ASSERT_EQ(-EINVAL, pci_bus_master(self->devfd, 1));
	ASSERT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED,
				   self->devfd, 0));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(edu, bind_makes_a_device_object)
{
	struct ioasid_counters now;
	__u64 iova = 0;
	__u32 dev_id;
	int nullfd;

	ASSERT_EQ(-EBADF, pci_bind(self->devfd, -1, NULL));
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_EQ(-EINVAL, pci_bind(self->devfd, nullfd, NULL));
	close(nullfd);

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, &dev_id));
	ASSERT_NE(0, dev_id);
	ASSERT_EQ(-EBUSY, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(self->start.objects + 1, now.objects);

	/* The object is the device file's: DESTROY cannot take it. */
	ASSERT_EQ(-EBUSY, ioasid_destroy(self->fd, dev_id));
	/* A device id is not an IOAS id. */
	ASSERT_EQ(-EINVAL, ioas_map(self->fd, dev_id, &iova, 4096, &iova,
				    MAP_RW));

	/* Closing the device file unbinds. */
	ASSERT_EQ(0, close(self->devfd));
	self->devfd = -1;
	ASSERT_EQ(-ENOENT, ioasid_destroy(self->fd, dev_id));
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(self->start.objects, now.objects);
}

TEST_F(edu, context_outlives_its_bindings)
{
	struct ioasid_counters now;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(self->start.contexts + 1, now.contexts);
	ASSERT_EQ(0, close(self->devfd));
	self->devfd = -1;
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(self->start.contexts, now.contexts);
}

TEST_F(edu, info_reports_the_group)
{
	struct ioasid_pci_info info;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(0, pci_info(self->devfd, &info));
	ASSERT_EQ(pci_iommu_group(self->bdf), (int)info.out_iommu_group);
	ASSERT_EQ(6, info.out_num_regions);
	ASSERT_EQ(0, info.out_flags & ~(IOASID_PCI_INFO_ISOLATED_MSI |
					IOASID_PCI_INFO_COHERENT));
}

/* Without MSI isolation, binding needs the allow_unsafe_interrupts opt-in. */
TEST_F(edu, unisolated_msi_needs_the_opt_in)
{
	struct ioasid_pci_info info;
	bool isolated;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(0, pci_info(self->devfd, &info));
	isolated = info.out_flags & IOASID_PCI_INFO_ISOLATED_MSI;
	ASSERT_EQ(0, close(self->devfd));

	set_unsafe_interrupts('0');
	self->devfd = open_device_file(self->bdf);
	ASSERT_LE(0, self->devfd);
	ASSERT_EQ(isolated ? 0 : -EPERM, pci_bind(self->devfd, self->fd, NULL));
	if (!isolated)
		ASSERT_TRUE(klog_contains("allow_unsafe_interrupts=1"));
}

TEST_F(edu, bar_region_and_mmap)
{
	struct ioasid_pci_region_info region;
	struct edu_bar bar;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(0, pci_region(self->devfd, 0, &region));
	ASSERT_EQ(IOASID_PCI_REGION_MMIO, region.out_flags);
	ASSERT_EQ(1 << 20, region.out_size);
	ASSERT_EQ(-EINVAL, pci_region(self->devfd, 6, &region));
	ASSERT_EQ(0, pci_region(self->devfd, 1, &region));
	ASSERT_EQ(0, region.out_flags);
	ASSERT_EQ(0, region.out_size);

	ASSERT_EQ(0, edu_map(self->devfd, &bar));
	ASSERT_EQ(EDU_ID, edu_read(&bar, EDU_REG_ID));
	/* The liveness register answers with the complement. */
	edu_write(&bar, EDU_REG_LIVENESS, 0x12345678);
	ASSERT_EQ(~0x12345678U, edu_read(&bar, EDU_REG_LIVENESS));
	munmap((void *)bar.regs, 1 << 20);
}

TEST_F(edu, bad_mmaps)
{
	struct ioasid_pci_region_info region;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(0, pci_region(self->devfd, 1, &region));
	/* An unimplemented BAR, private mappings, past the end of the BAR. */
	ASSERT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED,
				   self->devfd, region.out_offset));
	ASSERT_EQ(0, pci_region(self->devfd, 0, &region));
	ASSERT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_PRIVATE,
				   self->devfd, region.out_offset));
	ASSERT_EQ(MAP_FAILED, mmap(NULL, 2 * region.out_size, PROT_READ,
				   MAP_SHARED, self->devfd, region.out_offset));
	ASSERT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED,
				   self->devfd,
				   region.out_offset + region.out_size));
}

TEST_F(edu, config_space)
{
	__u32 value;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	value = 0;
	ASSERT_EQ(0, pci_config(self->devfd, 0, PCI_VENDOR_ID, 2, &value));
	ASSERT_EQ(0x1234, value);
	ASSERT_EQ(0, pci_config(self->devfd, 0, PCI_DEVICE_ID, 2, &value));
	ASSERT_EQ(0x11e8, value);
	ASSERT_EQ(0, pci_config(self->devfd, 0, PCI_VENDOR_ID, 4, &value));
	ASSERT_EQ(0x11e81234, value);

	ASSERT_EQ(-EINVAL, pci_config(self->devfd, 0, 0, 3, &value));
	ASSERT_EQ(-EINVAL, pci_config(self->devfd, 0, 2, 4, &value));
	ASSERT_EQ(-EINVAL, pci_config(self->devfd, 0, 4096, 4, &value));

	/* The interrupt line is a scratch register: it is writable. */
	value = 0x5a;
	ASSERT_EQ(0, pci_config(self->devfd, IOASID_PCI_CONFIG_WRITE,
				PCI_INTERRUPT_LINE, 1, &value));
	value = 0;
	ASSERT_EQ(0, pci_config(self->devfd, 0, PCI_INTERRUPT_LINE, 1, &value));
	ASSERT_EQ(0x5a, value);

	/* The header and the capabilities are not. */
	value = 0;
	ASSERT_EQ(-EPERM, pci_config(self->devfd, IOASID_PCI_CONFIG_WRITE,
				     PCI_COMMAND, 2, &value));
	ASSERT_EQ(-EPERM, pci_config(self->devfd, IOASID_PCI_CONFIG_WRITE,
				     PCI_BASE_ADDRESS_0, 4, &value));
	ASSERT_EQ(0, pci_config(self->devfd, 0, PCI_CAPABILITY_LIST, 1,
				&value));
	if (value >= 0x40) {
		__u32 zero = 0;

		ASSERT_EQ(-EPERM, pci_config(self->devfd,
					     IOASID_PCI_CONFIG_WRITE,
					     value & ~3, 4, &zero));
	}
}

TEST_F(edu, bus_master_follows_the_file)
{
	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(0, pci_bus_master(self->devfd, 1));
	ASSERT_TRUE(sysfs_command(self->bdf) & PCI_COMMAND_MASTER);
	ASSERT_EQ(0, pci_bus_master(self->devfd, 0));
	ASSERT_FALSE(sysfs_command(self->bdf) & PCI_COMMAND_MASTER);
	ASSERT_EQ(-EINVAL, pci_bus_master(self->devfd, 2));

	/* Closing the file stops the device's DMA. */
	ASSERT_EQ(0, pci_bus_master(self->devfd, 1));
	ASSERT_EQ(0, close(self->devfd));
	self->devfd = -1;
	ASSERT_FALSE(sysfs_command(self->bdf) & PCI_COMMAND_MASTER);
}

TEST_F(edu, reset_keeps_the_device_usable)
{
	struct ioasid_pci_reset cmd = { .size = sizeof(cmd) };
	struct edu_bar bar;
	int rc;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(0, edu_map(self->devfd, &bar));
	rc = ioasid_ioctl(self->devfd, IOASID_PCI_RESET, &cmd);
	/* edu has no reset method of its own; a bus reset may apply. */
	ASSERT_TRUE(rc == 0 || rc == -ENOTTY);
	ASSERT_EQ(EDU_ID, edu_read(&bar, EDU_REG_ID));
	munmap((void *)bar.regs, 1 << 20);
}

/* Read the BAR in a child: returns the signal that killed it, or 0. */
static int touch_in_child(struct edu_bar *bar)
{
	int status;
	pid_t pid;

	pid = fork();
	if (!pid)
		_exit(edu_read(bar, EDU_REG_ID) == EDU_ID ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void check_gone(struct __test_metadata *_metadata, int devfd,
		       struct edu_bar *bar, const struct ioasid_counters *start)
{
	struct ioasid_pci_info info;
	struct ioasid_counters now;

	ASSERT_EQ(-ENODEV, pci_info(devfd, &info));
	ASSERT_EQ(-ENODEV, pci_bus_master(devfd, 1));
	ASSERT_EQ(SIGBUS, touch_in_child(bar));
	/* The binding is undone already; the context is free to go. */
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(start->objects, now.objects);
}

TEST_F(edu, driver_unbind_while_in_use)
{
	char path[PATH_MAX];
	struct edu_bar bar;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(0, edu_map(self->devfd, &bar));
	ASSERT_EQ(0, pci_bus_master(self->devfd, 1));
	ASSERT_EQ(0, touch_in_child(&bar));

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/ioasid_pci/unbind");
	ASSERT_EQ(0, sysfs_write(path, self->bdf));
	ASSERT_FALSE(sysfs_command(self->bdf) & PCI_COMMAND_MASTER);
	check_gone(_metadata, self->devfd, &bar, &self->start);
	munmap((void *)bar.regs, 1 << 20);
}

TEST_F(edu, hot_unplug_while_in_use)
{
	char path[PATH_MAX];
	struct edu_bar bar;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(0, edu_map(self->devfd, &bar));

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/remove", self->bdf);
	ASSERT_EQ(0, sysfs_write(path, "1"));
	check_gone(_metadata, self->devfd, &bar, &self->start);
	munmap((void *)bar.regs, 1 << 20);

	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/rescan", "1"));
	snprintf(path, sizeof(path), PCI_DEVICES "/%s", self->bdf);
	ASSERT_EQ(0, access(path, F_OK));
}

/*
 * A driver that binds to any PCI device and leaves the DMA API in charge of
 * it (pci-stub does not: it declares driver_managed_dma).
 */
#define DMA_API_DRIVER "uio_pci_generic"

/*
 * Two edu devices in one IOMMU group, or a skip.  Some IOMMUs (SMMUv3,
 * virtio-iommu) make a device's group only when a driver binds to it: bind
 * each once.
 */
static bool find_group_pair(char a[16], char b[16])
{
	char bdfs[8][16];
	int i, j, n;

	n = find_edu(bdfs, 8);
	for (i = 0; i < n; i++) {
		if (pci_iommu_group(bdfs[i]) < 0)
			pci_bind_driver(bdfs[i], "ioasid_pci");
		pci_release(bdfs[i]);
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (pci_iommu_group(bdfs[i]) >= 0 &&
			    pci_iommu_group(bdfs[i]) == pci_iommu_group(bdfs[j])) {
				memcpy(a, bdfs[i], 16);
				memcpy(b, bdfs[j], 16);
				return true;
			}
	return false;
}

/* A shared group: both devices given to ioasid_pci, and a context. */
FIXTURE(edu_group) {
	char a[16], b[16];
	int fd;
	char unsafe;
};

FIXTURE_SETUP(edu_group)
{
	self->a[0] = '\0';
	self->fd = -1;
	if (access(IOASID_DEV, F_OK))
		SKIP(return, "ioasid.ko not loaded");
	if (!find_group_pair(self->a, self->b))
		SKIP(return, "no IOMMU group holds two edu devices on this machine");
	self->unsafe = set_unsafe_interrupts('1');
	self->fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(edu_group)
{
	if (!self->a[0])
		return;
	close(self->fd);
	pci_release(self->a);
	pci_release(self->b);
	set_unsafe_interrupts(self->unsafe);
}

TEST_F(edu_group, dma_api_sibling_makes_the_group_unviable)
{
	char needle[128], driver[64];
	int devfd;

	if (access("/sys/bus/pci/drivers/" DMA_API_DRIVER, F_OK))
		SKIP(return, DMA_API_DRIVER ", a DMA-API driver to bind, is not loaded");
	ASSERT_TRUE(pci_bind_driver(self->b, DMA_API_DRIVER));
	ASSERT_TRUE(pci_bind_driver(self->a, "ioasid_pci"));
	devfd = open_device_file(self->a);
	ASSERT_LE(0, devfd);
	ASSERT_EQ(-EPERM, pci_bind(devfd, self->fd, NULL));
	snprintf(needle, sizeof(needle),
		 "%s is bound to DMA-API driver " DMA_API_DRIVER, self->b);
	ASSERT_TRUE(klog_contains(needle));

	/* Once the sibling is free, the group is ours... */
	pci_release(self->b);
	ASSERT_EQ(0, pci_bind(devfd, self->fd, NULL));
	/* ...and no DMA-API driver can bind to it while we hold it. */
	ASSERT_FALSE(pci_bind_driver(self->b, DMA_API_DRIVER));
	pci_driver_of(self->b, driver, sizeof(driver));
	ASSERT_STREQ("", driver);
	close(devfd);
	/* Given back, the group takes DMA-API drivers again. */
	ASSERT_TRUE(pci_bind_driver(self->b, DMA_API_DRIVER));
}

TEST_F(edu_group, a_group_belongs_to_one_context)
{
	int fda, fdb, other;

	ASSERT_TRUE(pci_bind_driver(self->a, "ioasid_pci"));
	ASSERT_TRUE(pci_bind_driver(self->b, "ioasid_pci"));
	fda = open_device_file(self->a);
	fdb = open_device_file(self->b);
	ASSERT_LE(0, fda);
	ASSERT_LE(0, fdb);
	other = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, other);

	ASSERT_EQ(0, pci_bind(fda, self->fd, NULL));
	ASSERT_EQ(-EPERM, pci_bind(fdb, other, NULL));
	ASSERT_EQ(0, pci_bind(fdb, self->fd, NULL));
	close(fda);
	close(fdb);
	/* Free again: the other context may take it now. */
	fdb = open_device_file(self->b);
	ASSERT_LE(0, fdb);
	ASSERT_EQ(0, pci_bind(fdb, other, NULL));
	close(fdb);
	close(other);
}

TEST_HARNESS_MAIN
