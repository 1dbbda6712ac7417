// SPDX-License-Identifier: GPL-2.0
/*
 * PCI devices given to user space through the ioasid_pci driver, with
 * QEMU's edu device (1234:11e8): binding to a context and what it claims,
 * group viability, MSI isolation, BAR regions and mmap, configuration
 * space, bus mastering, reset, the device handed back as binding found it,
 * and the device going away while in use.
 *
 * Tests bind devices through sysfs and give them back at teardown; they
 * skip when the machine has no edu device.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "ioasid_utils.h"
#include "ioasid_pci_utils.h"
#include "ioasid_mock_utils.h"

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
	const char *why;

	self->devfd = -1;
	self->fd = -1;
	why = edu_available(self->bdf, sizeof(self->bdf), &self->start);
	if (why)
		SKIP(return, "%s", why);
	edu_open(_metadata, self->bdf, &self->unsafe, &self->devfd, &self->fd);
}

FIXTURE_TEARDOWN(edu)
{
	if (self->bdf[0])
		edu_close(_metadata, self->bdf, self->unsafe, self->devfd,
			  self->fd, &self->start);
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

/* Before a bind, the file tells what binding needs, and reaches nothing. */
TEST_F(edu, nothing_before_bind)
{
	struct ioasid_pci_region_info region;
	struct ioasid_pci_info info;
	__u32 value = 0;

	ASSERT_EQ(0, pci_info(self->devfd, &info));
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
	ASSERT_EQ(-EALREADY, pci_bind(self->devfd, self->fd, NULL));
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

/*
 * PCI_INFO tells, before a bind as after, the group and what binding
 * needs; only the BOUND flag changes with the bind.
 */
TEST_F(edu, info_reports_the_group)
{
	struct ioasid_pci_info before, info;

	ASSERT_EQ(0, pci_info(self->devfd, &before));
	ASSERT_EQ(0, before.out_flags & IOASID_PCI_INFO_BOUND);
	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(0, pci_info(self->devfd, &info));
	ASSERT_EQ(pci_iommu_group(self->bdf), (int)info.out_iommu_group);
	ASSERT_EQ(before.out_iommu_group, info.out_iommu_group);
	ASSERT_EQ(6, info.out_num_regions);
	ASSERT_EQ(before.out_flags | IOASID_PCI_INFO_BOUND, info.out_flags);
	ASSERT_EQ(0, info.out_flags & ~(IOASID_PCI_INFO_ISOLATED_MSI |
					IOASID_PCI_INFO_COHERENT |
					IOASID_PCI_INFO_RESETTABLE |
					IOASID_PCI_INFO_BOUND));
}

#define UNSAFE_HINT \
	"allow_unsafe_interrupts to 1 (/sys/module/ioasid/parameters/"

/*
 * Without MSI isolation, which PCI_INFO tells before the bind, binding
 * needs the allow_unsafe_interrupts opt-in (-EACCES, the log says how).
 */
TEST_F(edu, unisolated_msi_needs_the_opt_in)
{
	struct ioasid_pci_info info;
	bool isolated;

	ASSERT_EQ(0, pci_info(self->devfd, &info));
	isolated = info.out_flags & IOASID_PCI_INFO_ISOLATED_MSI;
	set_unsafe_interrupts('0');
	ASSERT_EQ(isolated ? 0 : -EACCES, pci_bind(self->devfd, self->fd, NULL));
	if (!isolated)
		ASSERT_TRUE(klog_contains(UNSAFE_HINT));
}

/* Only an administrator's opt-in lets a device that cannot reset bind. */
TEST_F(edu, unresettable_device_needs_the_opt_in)
{
	struct ioasid_pci_reset reset = { .size = sizeof(reset) };
	struct ioasid_pci_info info;
	struct ioasid_counters now;
	bool resettable;
	char old;

	/* PCI_INFO tells it before the bind, as the reset finds it. */
	ASSERT_EQ(0, pci_info(self->devfd, &info));
	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	resettable = !ioasid_ioctl(self->devfd, IOASID_PCI_RESET, &reset);
	ASSERT_EQ(resettable, !!(info.out_flags & IOASID_PCI_INFO_RESETTABLE));
	ASSERT_EQ(0, close(self->devfd));

	old = set_module_bool(UNRESETTABLE, '0');
	self->devfd = open_device_file(self->bdf);
	ASSERT_LE(0, self->devfd);
	ASSERT_EQ(resettable ? 0 : -EACCES,
		  pci_bind(self->devfd, self->fd, NULL));
	set_module_bool(UNRESETTABLE, old);
	if (resettable)
		return;
	ASSERT_TRUE(klog_contains("allow_unresettable"));
	/* Refused whole: no device object, the group given back. */
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(self->start.objects, now.objects);
	ASSERT_EQ(-EINVAL, pci_bus_master(self->devfd, 1));
	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
}

/*
 * What the user changed in configuration space is undone at unbind, and a
 * device that could not be reset is handed back with INTx masked.
 */
TEST_F(edu, unbind_restores_the_configuration)
{
	struct ioasid_pci_reset reset = { .size = sizeof(reset) };
	uint8_t line, line_after;
	uint16_t cmd, cmd_after;
	bool resettable;
	__u32 value;

	ASSERT_EQ(0, sysfs_config(self->bdf, PCI_INTERRUPT_LINE, &line, 1));
	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(0, sysfs_config(self->bdf, PCI_COMMAND, &cmd, 2));
	resettable = !ioasid_ioctl(self->devfd, IOASID_PCI_RESET, &reset);
	value = line ^ 0x5a;
	ASSERT_EQ(0, pci_config(self->devfd, IOASID_PCI_CONFIG_WRITE,
				PCI_INTERRUPT_LINE, 1, &value));
	ASSERT_EQ(0, pci_bus_master(self->devfd, 1));

	ASSERT_EQ(0, close(self->devfd));
	self->devfd = -1;
	ASSERT_EQ(0, sysfs_config(self->bdf, PCI_INTERRUPT_LINE, &line_after, 1));
	ASSERT_EQ(line, line_after);
	ASSERT_EQ(0, sysfs_config(self->bdf, PCI_COMMAND, &cmd_after, 2));
	ASSERT_FALSE(cmd_after & PCI_COMMAND_MASTER);
	/* Decoding as it was at bind; INTx masked unless it was reset. */
	ASSERT_EQ(cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO),
		  cmd_after & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO));
	if (!resettable)
		ASSERT_TRUE(cmd_after & PCI_COMMAND_INTX_DISABLE);
}

TEST_F(edu, bar_region_and_mmap)
{
	struct ioasid_pci_region_info region;
	struct edu_bar bar = {};

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(0, pci_region(self->devfd, 0, &region));
	ASSERT_EQ(IOASID_PCI_REGION_MMIO | IOASID_PCI_REGION_MMAP,
		  region.out_flags);
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

/* Device memory cannot be pinned: a MAP of a BAR mapping is -EFAULT. */
TEST_F(edu, bar_mapping_cannot_be_mapped)
{
	struct ioasid_counters now;
	struct edu_bar bar = {};
	__u32 ioas_id;
	__u64 iova = 0;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(0, edu_map(self->devfd, &bar));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas_id));
	ASSERT_EQ(-EFAULT, ioas_map(self->fd, ioas_id, bar.regs, getpagesize(),
				    &iova, MAP_RW));
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(self->start.pinned_pages, now.pinned_pages);
	munmap(bar.regs, 1 << 20);
}

/* The first version of each device file command, as ioasid.rst lists it. */
static const struct first_version pci_first_versions[] = {
	{ IOASID_PCI_BIND, 16, sizeof(struct ioasid_pci_bind) },
	{ IOASID_PCI_INFO, 24, sizeof(struct ioasid_pci_info) },
	{ IOASID_PCI_REGION_INFO, 32, sizeof(struct ioasid_pci_region_info) },
	{ IOASID_PCI_CONFIG, 24, sizeof(struct ioasid_pci_config) },
	{ IOASID_PCI_BUS_MASTER, 16, sizeof(struct ioasid_pci_bus_master) },
	{ IOASID_PCI_RESET, 8, sizeof(struct ioasid_pci_reset) },
	{ IOASID_PCI_ERROR_NOTIFY, 16, sizeof(struct ioasid_pci_error_notify) },
};

/* On a bound file, each command takes its first version, nothing shorter. */
TEST_F(edu, first_versions_are_as_documented)
{
	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(-1, first_version_misfit(self->devfd, pci_first_versions,
					   ARRAY_SIZE(pci_first_versions)));
}

static int pci_error_notify(int devfd, int eventfd)
{
	struct ioasid_pci_error_notify cmd = {
		.size = sizeof(cmd),
		.eventfd = eventfd,
	};

	return ioasid_ioctl(devfd, IOASID_PCI_ERROR_NOTIFY, &cmd);
}

/* The signals an eventfd holds, taken; 0 when it holds none. */
static __u64 eventfd_take(int efd)
{
	__u64 count = 0;

	if (read(efd, &count, sizeof(count)) != sizeof(count))
		return 0;
	return count;
}

TEST_F(edu, error_notify_rejects_bad_input)
{
	struct ioasid_pci_error_notify cmd = {
		.size = sizeof(cmd),
		.eventfd = -1,
	};
	int nullfd, efd;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(-EINVAL, pci_error_notify(self->devfd, efd));
	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	cmd.flags = 1;
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->devfd,
					    IOASID_PCI_ERROR_NOTIFY, &cmd));
	cmd.flags = 0;
	cmd.__reserved = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->devfd, IOASID_PCI_ERROR_NOTIFY,
					&cmd));
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nullfd);
	ASSERT_EQ(-EINVAL, pci_error_notify(self->devfd, nullfd));
	close(nullfd);
	ASSERT_EQ(-EBADF, pci_error_notify(self->devfd, nullfd));
	ASSERT_EQ(-EBADF, pci_error_notify(self->devfd, -2));
	ASSERT_EQ(0, pci_error_notify(self->devfd, efd));
	ASSERT_EQ(0, pci_error_notify(self->devfd, -1));
	close(efd);
}

/*
 * The driver answers the PCI core's error recovery: the device can
 * recover (or, failed for good, is disconnected), and the eventfd the user
 * set is signalled each time; the binding stays, and a binding's eventfd
 * goes with it.
 */
TEST_F(edu, pci_error_signals_the_eventfd)
{
	__u32 dev_id, result;
	int efd;

	if (!mock_available(self->fd))
		SKIP(return, "no test ioctl (ioasid.ko without mock=1)");
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, &dev_id));
	/* No eventfd: nothing to signal, still an answer. */
	ASSERT_EQ(0, test_pci_error(self->fd, dev_id, false, &result));
	ASSERT_EQ(2, result);	/* PCI_ERS_RESULT_CAN_RECOVER */

	ASSERT_EQ(0, pci_error_notify(self->devfd, efd));
	ASSERT_EQ(0, test_pci_error(self->fd, dev_id, false, &result));
	ASSERT_EQ(2, result);
	ASSERT_EQ(0, test_pci_error(self->fd, dev_id, true, &result));
	ASSERT_EQ(4, result);	/* PCI_ERS_RESULT_DISCONNECT */
	ASSERT_EQ(2, eventfd_take(efd));
	ASSERT_EQ(0, pci_bus_master(self->devfd, 1));
	ASSERT_EQ(0, pci_bus_master(self->devfd, 0));

	/* Taken away: no signal. */
	ASSERT_EQ(0, pci_error_notify(self->devfd, -1));
	ASSERT_EQ(0, test_pci_error(self->fd, dev_id, false, &result));
	ASSERT_EQ(0, eventfd_take(efd));

	/* The binding's eventfd goes with it. */
	ASSERT_EQ(0, pci_error_notify(self->devfd, efd));
	ASSERT_EQ(0, close(self->devfd));
	self->devfd = -1;
	ASSERT_EQ(-ENOENT, test_pci_error(self->fd, dev_id, false, &result));
	ASSERT_EQ(0, eventfd_take(efd));
	close(efd);
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
	/* An offset whose end wraps around 32 bits is no way in. */
	ASSERT_EQ(-EINVAL, pci_config(self->devfd, 0, 0xfffffffc, 4, &value));
	ASSERT_EQ(-EINVAL, pci_config(self->devfd, IOASID_PCI_CONFIG_WRITE,
				      0xfffffffc, 4, &value));

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

/* What every lane's IOMMU offers edu, checked against the lane itself. */
TEST_F(edu, device_info_describes_the_lane_iommu)
{
	struct ioasid_device_info info;
	struct ioasid_pci_info pci;
	int family = lane_iommu_family();
	__u64 smallest;
	__u32 dev_id;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, &dev_id));
	ASSERT_EQ(0, pci_info(self->devfd, &pci));
	ASSERT_EQ(0, device_info(self->fd, dev_id, &info));
	if (family < 0)
		SKIP(return, "not one of the QEMU lanes: no IOMMU to expect");
	ASSERT_EQ(family, info.out_family);
	/* edu has no PASID capability; no lane's IOMMU tracks dirt. */
	ASSERT_EQ(0, info.out_max_pasid_log2);
	ASSERT_FALSE(info.out_caps & IOASID_DEVICE_CAP_DIRTY_TRACKING);
	ASSERT_EQ(!!(pci.out_flags & IOASID_PCI_INFO_ISOLATED_MSI),
		  !!(info.out_caps & IOASID_DEVICE_CAP_ISOLATED_MSI));
	/* Every lane boots with iommu.passthrough=0, or translates. */
	ASSERT_EQ(IOASID_KERNEL_DMA_TRANSLATED, info.out_kernel_dma);
	ASSERT_EQ(pci_kernel_dma(self->bdf, family), info.out_kernel_dma);
	ASSERT_TRUE(info.out_caps & IOASID_DEVICE_CAP_PAGING);
	/* The smallest IOMMU page divides the CPU's. */
	smallest = info.out_pgsize_bitmap & -info.out_pgsize_bitmap;
	ASSERT_NE(0, smallest);
	ASSERT_EQ(0, getpagesize() % smallest);
	ASSERT_LT(info.out_aperture_start, info.out_aperture_last);
	switch (family) {
	case IOASID_IOMMU_FAMILY_INTEL_VTD:
		ASSERT_EQ(IOASID_HW_REGS_INTEL_VTD, info.out_hw_regs_type);
		break;
	case IOASID_IOMMU_FAMILY_VIRTIO:
		/* The driver's domains are what the device's config says. */
		ASSERT_EQ(IOASID_HW_REGS_VIRTIO_IOMMU, info.out_hw_regs_type);
		ASSERT_EQ(info.out_hw_regs[0], info.out_pgsize_bitmap);
		ASSERT_EQ(info.out_hw_regs[1], info.out_aperture_start);
		ASSERT_EQ(info.out_hw_regs[2], info.out_aperture_last);
		ASSERT_LE(info.out_hw_regs[3] & 0xffffffff,
			  info.out_hw_regs[3] >> 32);
		ASSERT_EQ(0, info.out_nesting_formats);
		break;
	case IOASID_IOMMU_FAMILY_SPAPR_TCE:
		/*
		 * QEMU's pseries: a 1 GiB default window at 0, one dynamic
		 * window beside it; the aperture runs from the default
		 * window to the end of the dynamic one, far above.
		 */
		ASSERT_EQ(IOASID_HW_REGS_SPAPR_TCE, info.out_hw_regs_type);
		ASSERT_TRUE(info.out_hw_regs[0] & 4096);
		ASSERT_EQ(0, info.out_hw_regs[1]);
		ASSERT_EQ(1ULL << 30, info.out_hw_regs[2]);
		ASSERT_EQ(2, info.out_hw_regs[3]);
		ASSERT_EQ(4096, info.out_pgsize_bitmap);
		ASSERT_EQ(info.out_hw_regs[1], info.out_aperture_start);
		ASSERT_LT(1ULL << 32, info.out_aperture_last);
		ASSERT_EQ(0, info.out_nesting_formats);
		break;
	default:
		ASSERT_EQ(IOASID_HW_REGS_NONE, info.out_hw_regs_type);
		ASSERT_EQ(0, info.out_nesting_formats);
	}
}

/* What is reported before an attach is what the attach gives. */
TEST_F(edu, device_info_foretells_the_attach)
{
	struct ioasid_device_info before, after;
	struct ioasid_counters now;
	__u32 dev_id, ioas_id;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, &dev_id));
	ASSERT_EQ(0, device_info(self->fd, dev_id, &before));
	if (!(before.out_caps & IOASID_DEVICE_CAP_PAGING))
		SKIP(return, "the IOMMU gives this device no paging domain");
	/* The domain of the question is gone. */
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(self->start.domains, now.domains);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas_id));
	ASSERT_EQ(0, attach(self->fd, dev_id, ioas_id, 0));
	ASSERT_EQ(0, device_info(self->fd, dev_id, &after));
	ASSERT_EQ(before.out_pgsize_bitmap, after.out_pgsize_bitmap);
	ASSERT_EQ(before.out_aperture_start, after.out_aperture_start);
	ASSERT_EQ(before.out_aperture_last, after.out_aperture_last);
	ASSERT_EQ(before.out_caps, after.out_caps);
}

#define IOASID_FAIL_NTH "/sys/kernel/debug/ioasid/fail_nth"
#define POINTS_ARMED 1000

/*
 * The points of failure injection (allocations, pins and calls into the
 * IOMMU core that allocate) one DEVICE_INFO of @dev_id passes, or -1.
 */
static int device_info_points(int fd, __u32 dev_id)
{
	struct ioasid_device_info info;
	char buf[16];
	int rc;

	snprintf(buf, sizeof(buf), "%d", POINTS_ARMED);
	if (sysfs_write(IOASID_FAIL_NTH, buf))
		return -1;
	rc = device_info(fd, dev_id, &info);
	if (ioasid_read_file(IOASID_FAIL_NTH, buf, sizeof(buf)) < 0 ||
	    sysfs_write(IOASID_FAIL_NTH, "0") || rc)
		return -1;
	return POINTS_ARMED - atoi(buf);
}

/*
 * DEVICE_INFO learns what a domain of the device's own maps once per
 * binding: asked again, it allocates no domain, as for an attached device.
 * The domain of the first question is attached only where the IOMMU driver
 * settles a domain at attach (VT-d, virtio-iommu): one point more there,
 * where allocating and attaching a domain pass one point each.
 */
TEST_F(edu, device_info_asks_the_iommu_once)
{
	struct ioasid_device_info info;
	int first, again, attached;
	__u32 dev_id, ioas_id;
	bool settles;

	if (access(IOASID_FAIL_NTH, F_OK))
		SKIP(return, "no failure injection (CONFIG_IOMMU_IOASID_TEST)");
	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, &dev_id));
	first = device_info_points(self->fd, dev_id);
	ASSERT_EQ(0, device_info(self->fd, dev_id, &info));
	if (!(info.out_caps & IOASID_DEVICE_CAP_PAGING))
		SKIP(return, "the IOMMU gives this device no paging domain");
	again = device_info_points(self->fd, dev_id);
	ASSERT_LE(0, again);
	ASSERT_LT(again, first);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas_id));
	ASSERT_EQ(0, attach(self->fd, dev_id, ioas_id, 0));
	attached = device_info_points(self->fd, dev_id);
	ASSERT_EQ(attached, again);

	settles = info.out_family == IOASID_IOMMU_FAMILY_INTEL_VTD ||
		  info.out_family == IOASID_IOMMU_FAMILY_VIRTIO;
	switch (info.out_family) {
	case IOASID_IOMMU_FAMILY_INTEL_VTD:
	case IOASID_IOMMU_FAMILY_AMD_VI:
	case IOASID_IOMMU_FAMILY_ARM_SMMUV3:
	case IOASID_IOMMU_FAMILY_VIRTIO:
		ASSERT_EQ(again + 1 + settles, first);
		break;
	default:
		/* SPAPR TCE allocates more of its own for a domain. */
		break;
	}
}

/* Read a register the intel-iommu driver shows in sysfs (hex). */
static int vtd_sysfs_reg(const char *bdf, const char *reg, __u64 *value)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu/intel-iommu/%s",
		 bdf, reg);
	if (ioasid_read_file(path, buf, sizeof(buf)) < 0)
		return -errno;
	*value = strtoull(buf, NULL, 16);
	return 0;
}

/*
 * On VT-d, the registers are the unit's own, and what the rest of the
 * report says follows from them and from how the lane configures QEMU's
 * intel-iommu (caching-mode=on, intremap=on).
 */
TEST_F(edu, vtd_device_info_is_the_hardware_registers)
{
	struct ioasid_device_info info;
	__u64 cap, ecap, mgaw, sysfs_cap, sysfs_ecap;
	__u32 dev_id;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, &dev_id));
	ASSERT_EQ(0, device_info(self->fd, dev_id, &info));
	if (info.out_family != IOASID_IOMMU_FAMILY_INTEL_VTD)
		SKIP(return, "not a VT-d lane");
	ASSERT_EQ(IOASID_HW_REGS_INTEL_VTD, info.out_hw_regs_type);
	cap = info.out_hw_regs[0];
	ecap = info.out_hw_regs[1];
	ASSERT_EQ(0, vtd_sysfs_reg(self->bdf, "cap", &sysfs_cap));
	ASSERT_EQ(0, vtd_sysfs_reg(self->bdf, "ecap", &sysfs_ecap));
	ASSERT_EQ(sysfs_cap, cap);
	ASSERT_EQ(sysfs_ecap, ecap);
	ASSERT_TRUE(cap & (1ULL << 7));		/* CM: caching-mode=on */
	ASSERT_TRUE(ecap & (1ULL << 3));	/* IR: intremap=on */
	ASSERT_TRUE(info.out_caps & IOASID_DEVICE_CAP_ISOLATED_MSI);
	/* MGAW (bits 21:16) is the guest address width less one. */
	mgaw = ((cap >> 16) & 0x3f) + 1;
	ASSERT_EQ((1ULL << mgaw) - 1, info.out_aperture_last);
	/* SLLPS bit 34: 2M second-level pages. */
	ASSERT_EQ(!!(cap & (1ULL << 34)), !!(info.out_pgsize_bitmap & (2 << 20)));
	/* ECAP.NEST (bit 26), which QEMU 7.2 does not offer. */
	ASSERT_EQ(ecap & (1ULL << 26) ? IOASID_NESTING_VTD_S1 : 0,
		  info.out_nesting_formats);
}

/* Does one usable IOVA range of @ioas_id hold all of [start, last]? */
static bool iova_usable(int fd, __u32 ioas_id, __u64 start, __u64 last)
{
	struct ioasid_iova_range ranges[16];
	__u32 i, num = ARRAY_SIZE(ranges);

	if (ioas_iova_ranges(fd, ioas_id, ranges, &num))
		return false;
	for (i = 0; i < num; i++)
		if (ranges[i].start <= start && ranges[i].last >= last)
			return true;
	return false;
}

/*
 * The two-stage fallback of a VMM on the lane's IOMMU, for a guest whose
 * device DMAs below 32 MiB (edu's addresses are 28-bit) in pages of the
 * host's size: the plan it settles on is the one DEVICE_INFO and the usable
 * IOVA ranges foretell, and an enabled IOAS carries the device's DMA.
 */
TEST_F(edu, fallback_flow_follows_what_the_iommu_offers)
{
	const __u64 start = DMA_IOVA(0), last = 32 * 1024 * 1024 - 1;
	size_t page = getpagesize();
	struct ioasid_device_info info;
	struct ioasid_features f;
	enum ioas_plan expect;
	struct edu_bar bar = {};
	__u32 dev_id, ioas_id;
	__u64 unmet, min_page;
	char *buf;
	int rc;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, &dev_id));
	ASSERT_EQ(0, device_info(self->fd, dev_id, &info));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas_id));
	rc = attach(self->fd, dev_id, ioas_id, 0);
	if (!(info.out_caps & IOASID_DEVICE_CAP_PAGING)) {
		/* No IOAS can serve the device: the VMM does not start. */
		ASSERT_EQ(-EOPNOTSUPP, rc);
		return;
	}
	ASSERT_EQ(0, rc);

	min_page = info.out_pgsize_bitmap & -info.out_pgsize_bitmap;
	if (min_page > page || !iova_usable(self->fd, ioas_id, start, last))
		expect = PLAN_NONE;
	else if (info.out_nesting_formats & IOASID_NESTING_VTD_S1)
		expect = PLAN_NESTED;
	else
		expect = PLAN_KERNEL_MANAGED;
	ASSERT_EQ(expect, ioas_enable_with_fallback(self->fd, ioas_id,
						    IOASID_NESTING_VTD_S1,
						    start, last, page, &unmet));
	if (expect == PLAN_NONE) {
		ASSERT_NE(0, unmet);
		ASSERT_EQ(-ENODATA, ioas_features(self->fd, ioas_id, &f));
		return;
	}
	ASSERT_EQ(0, unmet);
	ASSERT_EQ(0, ioas_features(self->fd, ioas_id, &f));
	ASSERT_EQ(expect == PLAN_NESTED ? IOASID_NESTING_VTD_S1 : 0,
		  le32toh(f.nesting_format));

	/* The enabled IOAS carries DMA as an open one does. */
	buf = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 0x6b, page);
	memset(buf + page, 0, page);
	ASSERT_EQ(0, ioas_map(self->fd, ioas_id, buf, 2 * page,
			      &(__u64){ start }, MAP_FIXED_RW));
	ASSERT_EQ(0, edu_map(self->devfd, &bar));
	ASSERT_EQ(0, pci_bus_master(self->devfd, 1));
	ASSERT_EQ(0, edu_dma(&bar, start, EDU_DMA_MAX, false));
	ASSERT_EQ(0, edu_dma(&bar, start + page, EDU_DMA_MAX, true));
	ASSERT_EQ(0, memcmp(buf, buf + page, EDU_DMA_MAX));
	ASSERT_EQ(0, pci_bus_master(self->devfd, 0));
	munmap(buf, 2 * page);
}

TEST_F(edu, device_info_rejects_bad_input)
{
	struct ioasid_device_info info;
	__u32 dev_id, ioas_id;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, &dev_id));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas_id));
	ASSERT_EQ(-ENOENT, device_info(self->fd, dev_id + 100, &info));
	ASSERT_EQ(-EINVAL, device_info(self->fd, ioas_id, &info));
	info = (struct ioasid_device_info){
		.size = sizeof(info), .flags = 1, .dev_id = dev_id,
	};
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_DEVICE_INFO, &info));
	info = (struct ioasid_device_info){
		.size = sizeof(info), .dev_id = dev_id, .__reserved2 = 1,
	};
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_DEVICE_INFO, &info));
	info = (struct ioasid_device_info){
		.size = offsetof(struct ioasid_device_info, out_hw_regs),
		.dev_id = dev_id,
	};
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_DEVICE_INFO, &info));
	/* Nothing was written back on failure. */
	ASSERT_EQ(0, info.out_family);
}

TEST_F(edu, reset_keeps_the_device_usable)
{
	struct ioasid_pci_reset cmd = { .size = sizeof(cmd) };
	struct edu_bar bar = {};
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

/* The device went: @objects objects are left in the contexts. */
static void check_gone(struct __test_metadata *_metadata, int devfd,
		       struct edu_bar *bar, long objects)
{
	struct ioasid_pci_info info;
	struct ioasid_counters now;

	ASSERT_EQ(-ENODEV, pci_info(devfd, &info));
	ASSERT_EQ(-ENODEV, pci_bus_master(devfd, 1));
	ASSERT_EQ(SIGBUS, touch_in_child(bar));
	/* The binding is undone already; the context is free to go. */
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(objects, now.objects);
}

/* Attached, mapped and mastering when the driver lets go. */
TEST_F(edu, driver_unbind_while_in_use)
{
	struct ioasid_counters now;
	char path[PATH_MAX];
	struct edu_bar bar = {};
	__u32 dev_id, ioas_id;
	__u64 iova = 0x100000;
	char *page;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, &dev_id));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas_id));
	ASSERT_EQ(0, attach(self->fd, dev_id, ioas_id, 0));
	ASSERT_EQ(0, edu_map(self->devfd, &bar));
	page = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, ioas_map(self->fd, ioas_id, page, getpagesize(), &iova,
			      MAP_FIXED_RW));
	ASSERT_EQ(0, pci_bus_master(self->devfd, 1));
	ASSERT_EQ(0, touch_in_child(&bar));
	ASSERT_EQ(-EBUSY, ioasid_destroy(self->fd, ioas_id));

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/ioasid_pci/unbind");
	ASSERT_EQ(0, sysfs_write(path, self->bdf));
	ASSERT_FALSE(sysfs_command(self->bdf) & PCI_COMMAND_MASTER);
	/* The device object went; the IOAS stays. */
	check_gone(_metadata, self->devfd, &bar, self->start.objects + 1);
	/* Detached on the way out: its domain is gone, the IOAS free. */
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(self->start.domains, now.domains);
	ASSERT_EQ(0, ioasid_destroy(self->fd, ioas_id));
	munmap((void *)bar.regs, 1 << 20);
	munmap(page, getpagesize());
}

struct info_loop {
	int fd;
	__u32 dev_id;
	void *regions;
	int rc;
	long calls;
	bool faulted;
};

/* DEVICE_INFO, its regions written to a BAR mapping, until it fails. */
static void *device_info_into_bar(void *arg)
{
	struct info_loop *loop = arg;
	struct ioasid_device_info info;

	do {
		info = (struct ioasid_device_info){
			.size = sizeof(info),
			.dev_id = loop->dev_id,
			.num_resv_regions = 4,
			.resv_regions = (uintptr_t)loop->regions,
		};
		loop->rc = ioasid_ioctl(loop->fd, IOASID_DEVICE_INFO, &info);
		if (loop->rc == -EFAULT)
			loop->faulted = true;
		loop->calls++;
	} while (loop->rc != -ENOENT && loop->calls < 10000000);
	return NULL;
}

/*
 * A command writing into the device's own BAR mapping while the driver lets
 * go of the device: the unbind waits for the command, which must not wait
 * for the unbind.  The command fails with a documented errno, and nothing
 * is left behind.
 */
TEST_F(edu, driver_unbind_while_a_command_writes_to_the_bar)
{
	struct info_loop loop = { .fd = self->fd };
	struct ioasid_device_info info;
	struct ioasid_counters now;
	struct edu_bar bar = {};
	pthread_t thread;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, &loop.dev_id));
	ASSERT_EQ(0, device_info(self->fd, loop.dev_id, &info));
	if (!info.num_resv_regions)
		SKIP(return, "the device has no reserved region to report");
	ASSERT_EQ(0, edu_map(self->devfd, &bar));
	/* Past edu's registers, where writes do nothing. */
	loop.regions = (char *)bar.regs + 0x10000;

	ASSERT_EQ(0, pthread_create(&thread, NULL, device_info_into_bar, &loop));
	usleep(200000);
	ASSERT_EQ(0, sysfs_write("/sys/bus/pci/drivers/ioasid_pci/unbind",
				 self->bdf));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	TH_LOG("%ld calls; one faulted on the revoked BAR: %s", loop.calls,
	       loop.faulted ? "yes" : "no");
	ASSERT_EQ(-ENOENT, loop.rc);
	ASSERT_LT(1, loop.calls);
	check_gone(_metadata, self->devfd, &bar, self->start.objects);
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(self->start.domains, now.domains);
	munmap((void *)bar.regs, 1 << 20);
}

TEST_F(edu, hot_unplug_while_in_use)
{
	char path[PATH_MAX];
	struct edu_bar bar = {};

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, NULL));
	ASSERT_EQ(0, edu_map(self->devfd, &bar));

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/remove", self->bdf);
	ASSERT_EQ(0, sysfs_write(path, "1"));
	check_gone(_metadata, self->devfd, &bar, self->start.objects);
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
	ASSERT_EQ(-EBUSY, pci_bind(devfd, self->fd, NULL));
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

/*
 * An SR-IOV physical function whose driver enables virtual functions
 * through sysfs (sriov_configure), in @bdf; false if there is none.
 */
static bool find_sriov_pf(char *bdf, size_t size)
{
	struct dirent **names;
	char path[PATH_MAX], driver[64];
	bool found = false;
	int i, n;

	n = scandir(PCI_DEVICES, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/sriov_totalvfs",
			 names[i]->d_name);
		pci_driver_of(names[i]->d_name, driver, sizeof(driver));
		if (!found && names[i]->d_name[0] != '.' && driver[0] &&
		    sysfs_read_ulong(path) != ULONG_MAX &&
		    sysfs_read_ulong(path) > 0) {
			snprintf(bdf, size, "%s", names[i]->d_name);
			found = true;
		}
		free(names[i]);
	}
	free(names);
	return found;
}

/* Write @value to the sysfs attribute @attr of PCI device @bdf. */
static int pci_attr_write(const char *bdf, const char *attr, const char *value)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", bdf, attr);
	return sysfs_write(path, value);
}

/*
 * The user of an SR-IOV physical function could reach its virtual
 * functions: with virtual functions enabled (by the PF's previous driver,
 * which left them), the PF does not bind (-EBUSY), and a VF does not bind
 * while its PF is bound to ioasid_pci (-EPERM).  Nor can virtual functions
 * be enabled under ioasid_pci.
 */
TEST(sriov_functions_whose_other_side_may_be_held)
{
	char pf[NAME_MAX + 1], vf[NAME_MAX + 1], pf_driver[64];
	char path[PATH_MAX], link[PATH_MAX];
	int fd, pffd, vffd;
	ssize_t len;

	if (access(IOASID_DEV, F_OK))
		SKIP(return, "ioasid.ko not loaded");
	if (!find_sriov_pf(pf, sizeof(pf)))
		SKIP(return, "no SR-IOV physical function bound to a driver");
	pci_driver_of(pf, pf_driver, sizeof(pf_driver));
	ASSERT_EQ(0, pci_attr_write(pf, "sriov_drivers_autoprobe", "0"));
	if (pci_attr_write(pf, "sriov_numvfs", "1"))
		SKIP(return, "%s (%s) cannot enable a virtual function", pf,
		     pf_driver);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/virtfn0", pf);
	len = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, len);
	link[len] = '\0';
	snprintf(vf, sizeof(vf), "%s", strrchr(link, '/') + 1);
	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);

	/* The PF, with its VF enabled. */
	ASSERT_TRUE(pci_bind_driver(pf, "ioasid_pci"));
	pffd = open_device_file(pf);
	ASSERT_LE(0, pffd);
	EXPECT_EQ(-EBUSY, pci_bind(pffd, fd, NULL));
	EXPECT_TRUE(klog_contains("has virtual functions enabled"));
	/* Its VF while the PF is ioasid_pci's. */
	ASSERT_TRUE(pci_bind_driver(vf, "ioasid_pci"));
	vffd = open_device_file(vf);
	ASSERT_LE(0, vffd);
	EXPECT_EQ(-EPERM, pci_bind(vffd, fd, NULL));
	EXPECT_TRUE(klog_contains("its physical function is bound to ioasid_pci"));
	/* ioasid_pci enables no VF (the sysfs write finds no way to). */
	EXPECT_NE(0, pci_attr_write(pf, "sriov_numvfs", "0"));

	close(vffd);
	close(pffd);
	close(fd);
	pci_release(vf);
	ASSERT_TRUE(pci_bind_driver(pf, pf_driver));
	EXPECT_EQ(0, pci_attr_write(pf, "sriov_numvfs", "0"));
	EXPECT_EQ(0, pci_attr_write(pf, "sriov_drivers_autoprobe", "1"));
}

/* Give both devices of the group to ioasid_pci and open their files. */
static void open_both(struct __test_metadata *_metadata, const char *a,
		      const char *b, int *fda, int *fdb)
{
	ASSERT_TRUE(pci_bind_driver(a, "ioasid_pci"));
	ASSERT_TRUE(pci_bind_driver(b, "ioasid_pci"));
	*fda = open_device_file(a);
	*fdb = open_device_file(b);
	ASSERT_LE(0, *fda);
	ASSERT_LE(0, *fdb);
}

/* The IOMMU translates a group as one: its devices share an IOAS. */
TEST_F(edu_group, devices_of_a_group_share_one_ioas)
{
	__u32 dev_a, dev_b, ioas1, ioas2;
	int fda, fdb, rc;

	open_both(_metadata, self->a, self->b, &fda, &fdb);
	ASSERT_EQ(0, pci_bind(fda, self->fd, &dev_a));
	ASSERT_EQ(0, pci_bind(fdb, self->fd, &dev_b));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas1));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	rc = attach(self->fd, dev_a, ioas1, 0);
	if (rc == -EOPNOTSUPP) {
		close(fda);
		close(fdb);
		SKIP(return, "the IOMMU gives this device no paging domain");
	}
	ASSERT_EQ(0, rc);
	ASSERT_EQ(-EINVAL, attach(self->fd, dev_b, ioas2, 0));
	ASSERT_EQ(0, attach(self->fd, dev_b, ioas1, 0));
	/* The group stays in while one device of it is attached. */
	ASSERT_EQ(0, detach(self->fd, dev_a));
	ASSERT_EQ(-EBUSY, ioasid_destroy(self->fd, ioas1));
	ASSERT_EQ(0, detach(self->fd, dev_b));
	ASSERT_EQ(0, ioasid_destroy(self->fd, ioas1));
	close(fda);
	close(fdb);
}

TEST_F(edu_group, a_group_belongs_to_one_context)
{
	int fda, fdb, other;

	open_both(_metadata, self->a, self->b, &fda, &fdb);
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

/* An edu device bound, attached to an IOAS and mastering the bus. */
FIXTURE(edu_dma) {
	char bdf[16];
	int devfd, fd;
	__u32 dev_id, ioas_id;
	struct edu_bar bar;
	char *buf;
	size_t page;
	char unsafe;
	struct ioasid_counters start;
};

FIXTURE_SETUP(edu_dma)
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
	self->page = getpagesize();
	edu_open(_metadata, self->bdf, &self->unsafe, &self->devfd, &self->fd);
	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, &self->dev_id));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	rc = attach(self->fd, self->dev_id, self->ioas_id, 0);
	if (rc == -EOPNOTSUPP) {
		/* The harness runs no teardown after a skipped setup. */
		edu_close(_metadata, self->bdf, self->unsafe, self->devfd,
			  self->fd, &self->start);
		self->bdf[0] = '\0';
		SKIP(return, "the IOMMU gives this device no paging domain");
	}
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, edu_map(self->devfd, &self->bar));
	ASSERT_EQ(0, pci_bus_master(self->devfd, 1));
	self->buf = mmap(NULL, 8 * self->page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0, 8 * self->page);
}

FIXTURE_TEARDOWN(edu_dma)
{
	if (self->bdf[0])
		edu_close(_metadata, self->bdf, self->unsafe, self->devfd,
			  self->fd, &self->start);
}

/*
 * Map page @n of the fixture's buffer at DMA_IOVA(n).  (The fixture's type
 * is spelt out: checkpatch misreads struct _test_data_edu_dma *self.)
 */
static int map_page(struct _test_data_edu_dma *self, __u32 ioas_id, int n,
		    __u32 flags)
{
	__u64 iova = DMA_IOVA(n);

	return ioas_map(self->fd, ioas_id, self->buf + n * self->page,
			self->page, &iova, IOASID_IOAS_MAP_FIXED_IOVA | flags);
}

static void fill(char *p, char c, size_t len)
{
	memset(p, c, len);
}

static bool all(const char *p, char c, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

/* An IOAS with one device offers what that device does; then nothing. */
TEST_F(edu_dma, ioas_info_is_what_its_devices_share)
{
	struct ioasid_device_info dev;
	struct ioasid_ioas_info info;

	ASSERT_EQ(0, device_info(self->fd, self->dev_id, &dev));
	ASSERT_EQ(0, ioas_info(self->fd, self->ioas_id, &info));
	ASSERT_EQ(1, info.out_num_devices);
	ASSERT_EQ(1ULL << dev.out_family, info.out_families);
	ASSERT_EQ(dev.out_caps, info.out_caps);
	ASSERT_EQ(dev.out_pgsize_bitmap, info.out_pgsize_bitmap);
	ASSERT_EQ(dev.out_pgsize_bitmap & -dev.out_pgsize_bitmap,
		  info.out_min_page_size);
	ASSERT_EQ(dev.out_aperture_start, info.out_aperture_start);
	ASSERT_EQ(dev.out_aperture_last, info.out_aperture_last);
	ASSERT_EQ(dev.out_max_pasid_log2, info.out_max_pasid_log2);
	ASSERT_EQ(dev.out_nesting_formats, info.out_nesting_formats);

	ASSERT_EQ(0, detach(self->fd, self->dev_id));
	ASSERT_EQ(0, ioas_info(self->fd, self->ioas_id, &info));
	ASSERT_EQ(0, info.out_num_devices);
	ASSERT_EQ(0, info.out_caps);
	ASSERT_EQ(0, info.out_pgsize_bitmap);
}

TEST_F(edu_dma, dma_round_trip_through_the_ioas)
{
	size_t i;

	ASSERT_EQ(0, map_page(self, self->ioas_id, 0, MAP_RW));
	ASSERT_EQ(0, map_page(self, self->ioas_id, 1, MAP_RW));
	for (i = 0; i < EDU_DMA_MAX; i++)
		self->buf[i] = i * 7 + 3;
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(0), EDU_DMA_MAX, false));
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(1), EDU_DMA_MAX, true));
	ASSERT_EQ(0, memcmp(self->buf, self->buf + self->page, EDU_DMA_MAX));
}

TEST_F(edu_dma, attach_fills_the_domain_with_what_is_mapped)
{
	fill(self->buf, 0x3c, self->page);
	ASSERT_EQ(0, detach(self->fd, self->dev_id));
	ASSERT_EQ(0, map_page(self, self->ioas_id, 0, MAP_RW));
	ASSERT_EQ(0, map_page(self, self->ioas_id, 1, MAP_RW));
	ASSERT_EQ(0, attach(self->fd, self->dev_id, self->ioas_id, 0));
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(0), 64, false));
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(1), 64, true));
	ASSERT_TRUE(all(self->buf + self->page, 0x3c, 64));
}

TEST_F(edu_dma, read_only_mapping_blocks_device_writes)
{
	char *ro = self->buf + 2 * self->page;

	fill(self->buf, 0x5e, self->page);
	fill(ro, 0x11, self->page);
	ASSERT_EQ(0, map_page(self, self->ioas_id, 0, MAP_RW));
	ASSERT_EQ(0, map_page(self, self->ioas_id, 2,
			      IOASID_IOAS_MAP_READABLE));
	/* The device reads it fine... */
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(2), 64, false));
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(0), 64, true));
	ASSERT_TRUE(all(self->buf, 0x11, 64));
	/* ...but cannot write it. */
	fill(self->buf, 0x5e, self->page);
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(0), 64, false));
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(2), 64, true));
	ASSERT_TRUE(all(ro, 0x11, self->page));
}

/*
 * A device write aimed at the physical address of a page it was never
 * given, as an IOVA, whether never mapped or just unmapped, must not land:
 * without the IOMMU it would.
 */
#define VICTIMS 4096

/*
 * Does the fixture's edu read at @iova, which pages 6 and 7 of the buffer
 * leave unmapped?  Its buffer is loaded with another pattern first, so
 * only a read that lands brings the pattern mapped there.
 */
static bool edu_reads_at(struct __test_metadata *_metadata,
			 struct _test_data_edu_dma *self, __u64 iova)
{
	char *seen = self->buf + 7 * self->page;
	bool landed;

	fill(self->buf + 6 * self->page, 0x3c, self->page);
	fill(seen, 0xa1, self->page);
	if (ioas_map(self->fd, self->ioas_id, self->buf + 6 * self->page,
		     self->page, &iova, MAP_FIXED_RW))
		return false;
	EXPECT_EQ(0, map_page(self, self->ioas_id, 7, MAP_RW));
	EXPECT_EQ(0, edu_dma(&self->bar, DMA_IOVA(7), 64, false));
	EXPECT_EQ(0, edu_dma(&self->bar, iova, 64, false));
	EXPECT_EQ(0, edu_dma(&self->bar, DMA_IOVA(7), 64, true));
	landed = all(seen, 0x3c, 64);
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, self->page,
				NULL));
	EXPECT_EQ(0, ioas_unmap(self->fd, self->ioas_id, DMA_IOVA(7),
				self->page, NULL));
	return landed;
}

/*
 * Does the fixture's edu reach above its default 28-bit DMA addresses?
 * QEMU's edu takes a dma_mask property, and the lanes whose memory lies
 * above 256 MiB give their first edu a wide one.  A 28-bit edu cuts the
 * IOVA read to DMA_IOVA(6), which is not mapped.
 */
static bool edu_dma_is_wide(struct __test_metadata *_metadata,
			    struct _test_data_edu_dma *self)
{
	return edu_reads_at(_metadata, self, (1ULL << 28) + DMA_IOVA(6));
}

/*
 * A page of @victims (VICTIMS pages) filled with 0x77 whose physical
 * address, in *@pa, is below @limit, where edu reaches, and that no test
 * IOVA uses; or NULL.
 */
static char *find_victim(char *victims, size_t page, __u64 limit, __u64 *pa)
{
	int i;

	for (i = 0; i < VICTIMS; i++) {
		fill(victims + i * page, 0x77, page);
		*pa = physical_address(victims + i * page);
		if (*pa >= DMA_IOVA(16) && *pa < limit)
			return victims + i * page;
	}
	return NULL;
}

TEST_F(edu_dma, writes_to_unmapped_iovas_do_not_reach_memory)
{
	char *victims, *victim;
	__u64 pa, iova;

	victims = mmap(NULL, VICTIMS * self->page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, victims);
	victim = find_victim(victims, self->page,
			     edu_dma_is_wide(_metadata, self) ? ~0ULL :
			     1ULL << 28, &pa);
	if (!victim)
		SKIP(return, "no page of ours below edu's 28-bit DMA limit");

	fill(self->buf, 0x5e, self->page);
	ASSERT_EQ(0, map_page(self, self->ioas_id, 0, MAP_RW));
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(0), 64, false));
	/* Never mapped. */
	ASSERT_EQ(0, edu_dma(&self->bar, pa, 64, true));
	ASSERT_TRUE(all(victim, 0x77, self->page));

	/* Just unmapped: mapped at that IOVA, then unmapped. */
	iova = pa;
	fill(self->buf + 3 * self->page, 0x22, self->page);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id,
			      self->buf + 3 * self->page, self->page, &iova,
			      MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, pa, self->page,
				NULL));
	ASSERT_EQ(0, edu_dma(&self->bar, pa, 64, true));
	ASSERT_TRUE(all(victim, 0x77, self->page));
	ASSERT_TRUE(all(self->buf + 3 * self->page, 0x22, self->page));
	munmap(victims, VICTIMS * self->page);
}

/*
 * An UNMAP that removes several mappings makes the IOMMU forget each, its
 * IOTLB included: edu has read through every one of them, and can write
 * through none afterwards, while a mapping left in place still works.
 */
TEST_F(edu_dma, unmap_of_several_mappings_forgets_each)
{
	char *keep = self->buf + 4 * self->page;
	__u64 unmapped;
	int n;

	for (n = 0; n < 4; n++) {
		fill(self->buf + n * self->page, 0x40 + n, self->page);
		ASSERT_EQ(0, map_page(self, self->ioas_id, n, MAP_RW));
		ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(n), 64, false));
	}
	fill(keep, 0x99, self->page);
	ASSERT_EQ(0, map_page(self, self->ioas_id, 4, MAP_RW));
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(4), 64, false));
	fill(keep, 0, self->page);

	/* Two mappings in one range; then the three left, all at once. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, DMA_IOVA(0),
				DMA_IOVA(2) - DMA_IOVA(0), &unmapped));
	ASSERT_EQ(2 * self->page, unmapped);
	for (n = 0; n < 2; n++)
		ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(n), 64, true));
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(4), 64, true));
	ASSERT_TRUE(all(keep, 0x99, 64));

	fill(keep, 0, self->page);
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, &unmapped));
	ASSERT_EQ(3 * self->page, unmapped);
	for (n = 2; n < 5; n++)
		ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(n), 64, true));
	for (n = 0; n < 4; n++)
		ASSERT_TRUE(all(self->buf + n * self->page, 0x40 + n,
				self->page));
	ASSERT_TRUE(all(keep, 0, self->page));
}

/*
 * A MAP_BATCH maps each of its ranges for the device; an UNMAP_BATCH, its
 * ranges in no order, makes the IOMMU forget each, its IOTLB included,
 * with one flush, and leaves a mapping outside its ranges in place.
 */
TEST_F(edu_dma, batches_map_and_forget_each_range)
{
	struct ioasid_batch_range ranges[4];
	char *keep = self->buf + 4 * self->page;
	__u32 failed;
	int n;

	for (n = 0; n < 4; n++) {
		fill(self->buf + n * self->page, 0x40 + n, self->page);
		ranges[n] = (struct ioasid_batch_range){
			.flags = MAP_RW,
			.user_va = (__u64)(uintptr_t)(self->buf + n * self->page),
			.length = self->page,
			.iova = DMA_IOVA(n),
		};
	}
	ASSERT_EQ(0, ioas_map_batch(self->fd, self->ioas_id, ranges, 4,
				    &failed));
	ASSERT_EQ(4, failed);
	ASSERT_EQ(0, map_page(self, self->ioas_id, 4, MAP_RW));
	/* The device reads each page through its own range. */
	for (n = 0; n < 4; n++) {
		fill(keep, 0, self->page);
		ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(n), 64, false));
		ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(4), 64, true));
		ASSERT_TRUE(all(keep, 0x40 + n, 64));
	}

	for (n = 0; n < 4; n++) {
		ranges[n] = (struct ioasid_batch_range){
			.length = self->page,
			.iova = DMA_IOVA(3 - n),
		};
	}
	fill(keep, 0x99, self->page);
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(4), 64, false));
	ASSERT_EQ(0, ioas_unmap_batch(self->fd, self->ioas_id, ranges, 4,
				      &failed));
	for (n = 0; n < 4; n++)
		ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(n), 64, true));
	for (n = 0; n < 4; n++)
		ASSERT_TRUE(all(self->buf + n * self->page, 0x40 + n,
				self->page));
	/* The mapping outside the batch still works. */
	fill(keep, 0, self->page);
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(4), 64, true));
	ASSERT_TRUE(all(keep, 0x99, 64));
}

TEST_F(edu_dma, detach_blocks_dma)
{
	__u64 limit = edu_dma_is_wide(_metadata, self) ? ~0ULL : 1ULL << 28;
	char *victims, *victim;
	__u64 pa;

	fill(self->buf, 0x5e, self->page);
	fill(self->buf + self->page, 0x11, self->page);
	ASSERT_EQ(0, map_page(self, self->ioas_id, 0, MAP_RW));
	ASSERT_EQ(0, map_page(self, self->ioas_id, 1, MAP_RW));
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(0), 64, false));
	ASSERT_EQ(0, detach(self->fd, self->dev_id));
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(1), 64, true));
	ASSERT_TRUE(all(self->buf + self->page, 0x11, self->page));
	/* Blocked, not untranslated: a physical address is no way in. */
	victims = mmap(NULL, VICTIMS * self->page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, victims);
	victim = find_victim(victims, self->page, limit, &pa);
	if (victim) {
		ASSERT_EQ(0, edu_dma(&self->bar, pa, 64, true));
		ASSERT_TRUE(all(victim, 0x77, self->page));
	}
	munmap(victims, VICTIMS * self->page);
	ASSERT_EQ(-EINVAL, detach(self->fd, self->dev_id));

	ASSERT_EQ(0, attach(self->fd, self->dev_id, self->ioas_id, 0));
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(1), 64, true));
	ASSERT_TRUE(all(self->buf + self->page, 0x5e, 64));
}

TEST_F(edu_dma, replace_switches_translation)
{
	char *first = self->buf + self->page, *second = self->buf + 2 * self->page;
	__u64 iova = DMA_IOVA(1);
	__u32 ioas2;

	fill(self->buf, 0x5e, self->page);
	fill(first, 0x11, self->page);
	fill(second, 0x22, self->page);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	/* The same IOVAs, other pages behind them in the second IOAS. */
	ASSERT_EQ(0, map_page(self, self->ioas_id, 0, MAP_RW));
	ASSERT_EQ(0, map_page(self, self->ioas_id, 1, MAP_RW));
	ASSERT_EQ(0, map_page(self, ioas2, 0, MAP_RW));
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, second, self->page, &iova,
			      MAP_FIXED_RW));

	ASSERT_EQ(-EBUSY, attach(self->fd, self->dev_id, ioas2, 0));
	ASSERT_EQ(0, attach(self->fd, self->dev_id, ioas2,
			    IOASID_DEVICE_ATTACH_REPLACE));
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(0), 64, false));
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(1), 64, true));
	ASSERT_TRUE(all(second, 0x5e, 64));
	ASSERT_TRUE(all(first, 0x11, self->page));
	/* The first IOAS is free to go; the second is held. */
	ASSERT_EQ(-EBUSY, ioasid_destroy(self->fd, ioas2));
	ASSERT_EQ(0, ioasid_destroy(self->fd, self->ioas_id));
}

/* A monotonic time in microseconds. */
static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Does [iova, iova + len) meet one of @n ranges? */
static bool in_ranges(const struct ioasid_iova_range *ranges, __u32 n,
		      __u64 iova, __u64 len)
{
	__u32 i;

	for (i = 0; i < n; i++)
		if (iova <= ranges[i].last && iova + len - 1 >= ranges[i].start)
			return true;
	return false;
}

/* edu reads or writes memory this long after a transfer starts. */
#define EDU_DMA_DELAY_US 100000LL

/* Replace the fixture's device into @ioas_id; returns how long it took. */
static long long timed_replace(struct _test_data_edu_dma *self, __u32 ioas_id)
{
	long long start = now_us();

	if (attach(self->fd, self->dev_id, ioas_id, IOASID_DEVICE_ATTACH_REPLACE))
		return -1;
	return now_us() - start;
}

/*
 * Replacing into an IOAS with no domain yet makes a new one, with many
 * mappings to fill: it is filled before the group moves, so a transfer in
 * flight through what both IOASes map lands, whenever it happens.  The
 * mapping it uses comes last in IOVA order, where a fill after the move
 * would reach it last, and the transfer is started so that edu reaches
 * memory in the middle of the replace, timed once beforehand.
 */
TEST_F_TIMEOUT(edu_dma, replace_keeps_dma_landing, 300)
{
	const __u64 hi = 0xf000000, fillers = 0x1000000, end = 0xe000000;
	char *pattern = self->buf, *zero = self->buf + self->page;
	char *out = self->buf + 2 * self->page;
	struct ioasid_iova_range resv[16];
	struct ioasid_device_info dev;
	long long fill_us, took;
	__u64 iova, n = 0;
	__u32 ioas2;

	ASSERT_EQ(0, device_info_resv(self->fd, self->dev_id, &dev, resv,
				      ARRAY_SIZE(resv)));
	ASSERT_GE(ARRAY_SIZE(resv), dev.num_resv_regions);
	if (dev.out_family == IOASID_IOMMU_FAMILY_VIRTIO)
		SKIP(return, "virtio-iommu: a new domain is filled after the move");
	ASSERT_FALSE(in_ranges(resv, dev.num_resv_regions, hi, self->page));
	fill(pattern, 0xa5, self->page);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	/* The device's buffer starts zeroed. */
	ASSERT_EQ(0, map_page(self, self->ioas_id, 1, MAP_RW));
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(1), EDU_DMA_MAX, false));
	iova = hi;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, pattern, self->page,
			      &iova, MAP_FIXED_RW));
	for (iova = fillers; iova < end; iova += self->page) {
		/* The group's reserved regions must stay empty in ioas2. */
		if (in_ranges(resv, dev.num_resv_regions, iova, self->page))
			continue;
		ASSERT_EQ(0, ioas_map(self->fd, ioas2, zero, self->page, &iova,
				      IOASID_IOAS_MAP_FIXED_IOVA |
				      IOASID_IOAS_MAP_READABLE));
		n++;
	}
	iova = hi;
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, pattern, self->page, &iova,
			      MAP_FIXED_RW));
	iova = DMA_IOVA(2);
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, out, self->page, &iova,
			      MAP_FIXED_RW));

	/* Each way, the IOAS left has no device, so its domain goes. */
	fill_us = timed_replace(self, ioas2);
	ASSERT_LE(0, fill_us);
	ASSERT_LE(0, timed_replace(self, self->ioas_id));

	edu_dma_start(&self->bar, hi, EDU_DMA_MAX, false);
	if (fill_us / 2 < EDU_DMA_DELAY_US)
		usleep(EDU_DMA_DELAY_US - fill_us / 2);
	took = timed_replace(self, ioas2);
	ASSERT_LE(0, took);
	ASSERT_EQ(0, edu_dma_wait(&self->bar));
	TH_LOG("%llu mappings: replace %lld us, then %lld us around edu's access",
	       (unsigned long long)n + 2, fill_us, took);
	/* What the device read is what both IOASes map at hi. */
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(2), EDU_DMA_MAX, true));
	ASSERT_TRUE(all(out, 0xa5, EDU_DMA_MAX));
	ASSERT_EQ(0, detach(self->fd, self->dev_id));
	ASSERT_EQ(0, ioasid_destroy(self->fd, ioas2));
}

TEST_F(edu_dma, attached_ioas_cannot_be_destroyed)
{
	ASSERT_EQ(-EBUSY, ioasid_destroy(self->fd, self->ioas_id));
	ASSERT_EQ(0, detach(self->fd, self->dev_id));
	ASSERT_EQ(0, ioasid_destroy(self->fd, self->ioas_id));
}

TEST_F(edu_dma, attach_rejects_bad_ids)
{
	ASSERT_EQ(-ENOENT, attach(self->fd, 999, self->ioas_id, 0));
	ASSERT_EQ(-ENOENT, attach(self->fd, self->dev_id, 999, 0));
	ASSERT_EQ(-EINVAL, attach(self->fd, self->ioas_id, self->ioas_id, 0));
	ASSERT_EQ(-EINVAL, attach(self->fd, self->dev_id, self->dev_id, 0));
	ASSERT_EQ(-ENOENT, detach(self->fd, 999));
}

/*
 * The dirty bits of DMA_IOVA(0) up to DMA_IOVA(4), a bit per CPU page,
 * into @bitmap (room for 2 words, filled with ones first so that clean
 * bits are seen written).
 */
static int edu_dirty_bits(struct _test_data_edu_dma *self, __u32 flags,
			  __u64 bitmap[2], __u32 *mode)
{
	bitmap[0] = ~0ULL;
	bitmap[1] = ~0ULL;
	return ioas_dirty_bitmap(self->fd, self->ioas_id, flags, DMA_IOVA(0),
				 DMA_IOVA(4) - DMA_IOVA(0), self->page, bitmap,
				 mode);
}

/* Set bit @n of @bitmap. */
static void set_bit64(__u64 *bitmap, unsigned long n)
{
	bitmap[n / 64] |= 1ULL << (n % 64);
}

/*
 * No lane's IOMMU tracks what edu writes: an IOAS with edu tracks in
 * software, where every page mapped writable is reported written at every
 * read, cleared or not, and read-only mappings and holes never are.
 */
TEST_F(edu_dma, dirty_tracking_is_software)
{
	unsigned long bits = (DMA_IOVA(4) - DMA_IOVA(0)) / self->page;
	__u64 bitmap[2], expect[2] = {};
	__u32 mode, flags[3] = { 0, 0, IOASID_DIRTY_BITMAP_NO_CLEAR };
	int i;

	ASSERT_EQ(0, map_page(self, self->ioas_id, 0, MAP_RW));
	ASSERT_EQ(0, map_page(self, self->ioas_id, 1, MAP_RW));
	ASSERT_EQ(0, map_page(self, self->ioas_id, 2,
			      IOASID_IOAS_MAP_READABLE));
	/* Page 3 is a hole. */
	set_bit64(expect, 0);
	set_bit64(expect, (DMA_IOVA(1) - DMA_IOVA(0)) / self->page);
	if (bits < 64)
		expect[0] |= ~0ULL << bits;
	ASSERT_EQ(-ENODATA, edu_dirty_bits(self, 0, bitmap, NULL));

	ASSERT_EQ(0, ioas_dirty_tracking(self->fd, self->ioas_id,
					 IOASID_DIRTY_TRACKING_ENABLE, &mode));
	ASSERT_EQ(IOASID_DIRTY_SOFTWARE, mode);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, edu_dirty_bits(self, flags[i], bitmap, &mode));
		ASSERT_EQ(IOASID_DIRTY_SOFTWARE, mode);
		/* The bits past the range are the kernel's to write or not. */
		if (bits < 64)
			bitmap[0] |= ~0ULL << bits;
		ASSERT_EQ(expect[0], bitmap[0]) TH_LOG("read %d", i);
		if (bits > 64)
			ASSERT_EQ(expect[1], bitmap[1]);
	}
	/* What edu writes changes nothing of it. */
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(0), 64, true));
	ASSERT_EQ(0, edu_dirty_bits(self, 0, bitmap, &mode));
	if (bits < 64)
		bitmap[0] |= ~0ULL << bits;
	ASSERT_EQ(expect[0], bitmap[0]);

	ASSERT_EQ(0, ioas_dirty_tracking(self->fd, self->ioas_id, 0, &mode));
	ASSERT_EQ(IOASID_DIRTY_OFF, mode);
	ASSERT_EQ(-ENODATA, edu_dirty_bits(self, 0, bitmap, NULL));
}

/*
 * No lane's IOMMU nests a table of the guest's for ioasid: a nested hwpt
 * for edu is refused, the mock's format because edu's IOMMU does not
 * offer it, VT-d's because this kernel does not drive it where it is
 * offered.
 */
TEST_F(edu_dma, nested_hwpt_is_refused)
{
	struct ioasid_hwpt_mock_s1 s1_data = { .root = DMA_IOVA(0) };
	struct ioasid_device_info info;
	long nested = ioasid_counter("nested");
	__u64 unmet;

	ASSERT_EQ(0, map_page(self, self->ioas_id, 0, MAP_RW));
	ASSERT_EQ(0, device_info(self->fd, self->dev_id, &info));
	ASSERT_EQ(-EOPNOTSUPP,
		  hwpt_alloc(self->fd, self->dev_id, self->ioas_id,
			     IOASID_NESTING_MOCK_S1, 0, &s1_data,
			     sizeof(s1_data), NULL, &unmet));
	ASSERT_EQ(IOASID_UNMET_NESTING, unmet);
	ASSERT_EQ(-EOPNOTSUPP,
		  hwpt_alloc(self->fd, self->dev_id, self->ioas_id,
			     IOASID_NESTING_VTD_S1, 0, &s1_data,
			     sizeof(s1_data), NULL, &unmet));
	ASSERT_EQ(info.out_nesting_formats & IOASID_NESTING_VTD_S1 ? 0 :
		  IOASID_UNMET_NESTING, unmet);
	ASSERT_EQ(nested, ioasid_counter("nested"));
	/* The device still does its DMA through the IOAS. */
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(0), 64, false));
}

/* Usable ranges shrink to the aperture; a mapping outside blocks attach. */
TEST_F(edu_dma, aperture_bounds_the_iova_ranges)
{
	struct ioasid_iova_range ranges[16];
	__u64 far = 1ULL << 60;
	__u32 num = 16, i;

	ASSERT_EQ(0, ioas_iova_ranges(self->fd, self->ioas_id, ranges, &num));
	ASSERT_LE(1, num);
	for (i = 0; i < num && i < 16; i++)
		TH_LOG("usable IOVA range 0x%llx..0x%llx",
		       (unsigned long long)ranges[i].start,
		       (unsigned long long)ranges[i].last);
	if (ranges[num - 1].last == UINT64_MAX)
		SKIP(return, "this IOMMU's aperture covers all 64 bits");
	ASSERT_GT(far, ranges[num - 1].last);
	ASSERT_EQ(-ERANGE, ioas_map(self->fd, self->ioas_id, self->buf,
				    self->page, &far, MAP_FIXED_RW));

	ASSERT_EQ(0, detach(self->fd, self->dev_id));
	num = 16;
	ASSERT_EQ(0, ioas_iova_ranges(self->fd, self->ioas_id, ranges, &num));
	ASSERT_EQ(1, num);
	ASSERT_EQ(UINT64_MAX, ranges[0].last);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->page,
			      &far, MAP_FIXED_RW));
	ASSERT_EQ(-EADDRINUSE, attach(self->fd, self->dev_id, self->ioas_id,
				      0));
	/* Nothing changed: the mapping stands, the device stays detached. */
	ASSERT_EQ(-EINVAL, detach(self->fd, self->dev_id));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, far, self->page,
				NULL));
	ASSERT_EQ(0, attach(self->fd, self->dev_id, self->ioas_id, 0));
}

/* A hole in the usable ranges is a reserved region of the group. */
/* Every region DEVICE_INFO lists is out of the usable IOVA ranges. */
TEST_F(edu_dma, device_info_lists_what_the_ioas_loses)
{
	struct ioasid_iova_range regions[16], ranges[16];
	struct ioasid_device_info info;
	__u32 i, j, num = 16;

	ASSERT_EQ(0, device_info_resv(self->fd, self->dev_id, &info, regions,
				      16));
	/* Every paging lane has an MSI window. */
	ASSERT_LE(1, info.num_resv_regions);
	ASSERT_GE(16, info.num_resv_regions);
	ASSERT_EQ(0, ioas_iova_ranges(self->fd, self->ioas_id, ranges, &num));
	for (i = 0; i < info.num_resv_regions; i++) {
		ASSERT_LE(regions[i].start, regions[i].last);
		for (j = 0; j < num; j++)
			ASSERT_TRUE(regions[i].last < ranges[j].start ||
				    regions[i].start > ranges[j].last)
				TH_LOG("region [%#llx, %#llx] is usable",
				       (unsigned long long)regions[i].start,
				       (unsigned long long)regions[i].last);
	}
}

TEST_F(edu_dma, reserved_regions_leave_the_iova_ranges)
{
	struct ioasid_iova_range ranges[16];
	__u32 num = 16;
	__u64 hole;

	ASSERT_EQ(0, ioas_iova_ranges(self->fd, self->ioas_id, ranges, &num));
	if (num < 2)
		SKIP(return, "this IOMMU reports no reserved region inside its aperture");
	hole = ranges[0].last + 1;
	ASSERT_EQ(-ERANGE, ioas_map(self->fd, self->ioas_id, self->buf,
				    self->page, &hole, MAP_FIXED_RW));
	ASSERT_EQ(0, detach(self->fd, self->dev_id));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->page,
			      &hole, MAP_FIXED_RW));
	ASSERT_EQ(-EADDRINUSE, attach(self->fd, self->dev_id, self->ioas_id,
				      0));
}

/*
 * A second edu device in another group shares the IOAS, and its domain
 * too, but under SPAPR TCE, where the tables are an endpoint's own.
 */
TEST_F(edu_dma, two_groups_share_one_ioas)
{
	struct ioasid_device_info dev_info;
	int new_domains;
	struct ioasid_counters before, after;
	char bdfs[4][16], *other = NULL;
	struct ioasid_ioas_info info;
	struct edu_bar bar2 = {};
	__u32 dev2;
	int i, n, devfd2;

	n = find_edu(bdfs, 4);
	for (i = 1; i < n && !other; i++)
		if (pci_iommu_group(bdfs[i]) != pci_iommu_group(self->bdf) ||
		    pci_iommu_group(bdfs[i]) < 0)
			other = bdfs[i];
	if (!other)
		SKIP(return, "no edu device in a second IOMMU group");
	ASSERT_TRUE(pci_bind_driver(other, "ioasid_pci"));
	if (pci_iommu_group(other) == pci_iommu_group(self->bdf)) {
		pci_release(other);
		SKIP(return, "no edu device in a second IOMMU group");
	}
	devfd2 = open_device_file(other);
	ASSERT_LE(0, devfd2);
	ASSERT_EQ(0, pci_bind(devfd2, self->fd, &dev2));
	ASSERT_EQ(0, device_info(self->fd, dev2, &dev_info));
	new_domains = dev_info.out_family == IOASID_IOMMU_FAMILY_SPAPR_TCE;
	ASSERT_EQ(0, ioasid_read_counters(&before));
	ASSERT_EQ(0, attach(self->fd, dev2, self->ioas_id, 0));
	ASSERT_EQ(0, ioasid_read_counters(&after));
	ASSERT_EQ(before.domains + new_domains, after.domains);
	ASSERT_EQ(0, ioas_info(self->fd, self->ioas_id, &info));
	ASSERT_EQ(2, info.out_num_devices);

	fill(self->buf, 0x5e, self->page);
	ASSERT_EQ(0, map_page(self, self->ioas_id, 0, MAP_RW));
	ASSERT_EQ(0, map_page(self, self->ioas_id, 1, MAP_RW));
	ASSERT_EQ(0, edu_map(devfd2, &bar2));
	ASSERT_EQ(0, pci_bus_master(devfd2, 1));
	ASSERT_EQ(0, edu_dma(&bar2, DMA_IOVA(0), 64, false));
	ASSERT_EQ(0, edu_dma(&bar2, DMA_IOVA(1), 64, true));
	ASSERT_TRUE(all(self->buf + self->page, 0x5e, 64));
	munmap(bar2.regs, 1 << 20);
	close(devfd2);
	pci_release(other);
}

/*
 * SPAPR TCE: the aperture is the default window at the bottom and the
 * dynamic one far above, with the gap between them reserved; both map.
 */
TEST_F(edu_dma, spapr_windows_are_the_iova_ranges)
{
	struct ioasid_iova_range ranges[16];
	struct ioasid_device_info info;
	__u64 iova, unmapped;
	__u32 num = 16;

	if (lane_iommu_family() != IOASID_IOMMU_FAMILY_SPAPR_TCE)
		SKIP(return, "not a SPAPR TCE lane: no DMA windows");
	ASSERT_EQ(0, device_info(self->fd, self->dev_id, &info));
	ASSERT_EQ(0, ioas_iova_ranges(self->fd, self->ioas_id, ranges, &num));
	ASSERT_EQ(2, num);
	/* The default window, then the dynamic one: a power of two. */
	ASSERT_EQ(info.out_hw_regs[1], ranges[0].start);
	ASSERT_EQ(info.out_hw_regs[1] + info.out_hw_regs[2] - 1,
		  ranges[0].last);
	ASSERT_LT(1ULL << 32, ranges[1].start);
	ASSERT_EQ(info.out_aperture_last, ranges[1].last);
	ASSERT_EQ(0, (ranges[1].last + 1 - ranges[1].start) &
		     (ranges[1].last - ranges[1].start));

	/*
	 * Both ends of each window map (the kernel reads every TCE back),
	 * the gap does not.
	 */
	iova = ranges[1].start;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->page,
			      &iova, MAP_FIXED_RW));
	iova = ranges[1].last + 1 - self->page;
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->page,
			      &iova, MAP_FIXED_RW));
	iova = ranges[0].last + 1 - self->page;
	ASSERT_EQ(-ERANGE, ioas_map(self->fd, self->ioas_id, self->buf,
				    2 * self->page, &iova, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->buf, self->page,
			      &iova, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, self->page,
				&unmapped));
	ASSERT_EQ(self->page, unmapped);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, ranges[1].start,
				ranges[1].last - ranges[1].start + 1,
				&unmapped));
	ASSERT_EQ(2 * self->page, unmapped);

	/* The device's own DMA goes through the dynamic window. */
	if (!edu_dma_is_wide(_metadata, self))
		SKIP(return, "edu's DMA addresses are 28-bit: no DMA at 1 << 59");
	ASSERT_TRUE(edu_reads_at(_metadata, self, ranges[1].start));
	ASSERT_TRUE(edu_reads_at(_metadata, self,
				 ranges[1].last + 1 - self->page));
}

#define SPAPR_DMA32_SIZE "/sys/module/ioasid/parameters/spapr_dma32_size"

/*
 * SPAPR TCE: with the default window opened below a page of ours that edu
 * (28-bit) can reach, a device write aimed at that page, beyond every
 * window ioasid opened, must not land in memory, while one through the
 * window does.
 */
TEST_F(edu, spapr_dma_beyond_the_windows_does_not_reach_memory)
{
	const size_t page = getpagesize();
	char old[32] = "0", size[32], *buf, *victim = NULL, *victims;
	struct ioasid_iova_range ranges[4];
	__u32 dev_id, ioas_id, num = 4;
	struct edu_bar bar = {};
	__u64 iova, pa = 0, window;
	int i;

	if (lane_iommu_family() != IOASID_IOMMU_FAMILY_SPAPR_TCE)
		SKIP(return, "not a SPAPR TCE lane: no DMA windows");
	victims = mmap(NULL, VICTIMS * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, victims);
	/* The victim must stay where it is found. */
	ASSERT_EQ(0, mlock(victims, VICTIMS * page));
	for (i = 0; i < VICTIMS && !victim; i++) {
		fill(victims + i * page, 0x77, page);
		pa = physical_address(victims + i * page);
		if (pa >= (1 << 20) && pa < (1ULL << 28))
			victim = victims + i * page;
	}
	if (!victim)
		SKIP(return, "no page of ours between 1 MiB and 256 MiB");
	/* The largest window below the victim: a power of two. */
	for (window = 1 << 20; 2 * window <= pa; window *= 2)
		;

	ASSERT_LE(0, ioasid_read_file(SPAPR_DMA32_SIZE, old, sizeof(old)));
	snprintf(size, sizeof(size), "%llu", (unsigned long long)window);
	ASSERT_EQ(0, sysfs_write(SPAPR_DMA32_SIZE, size));
	i = pci_bind(self->devfd, self->fd, &dev_id);
	/* The windows are opened at bind: the knob may go back. */
	ASSERT_EQ(0, sysfs_write(SPAPR_DMA32_SIZE, old));
	ASSERT_EQ(0, i);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas_id));
	ASSERT_EQ(0, attach(self->fd, dev_id, ioas_id, 0));
	ASSERT_EQ(0, ioas_iova_ranges(self->fd, ioas_id, ranges, &num));
	ASSERT_LE(1, num);
	ASSERT_EQ(0, ranges[0].start);
	ASSERT_EQ(window - 1, ranges[0].last);
	/* No window translates the victim's address: nothing maps there. */
	iova = pa;
	ASSERT_EQ(-ERANGE, ioas_map(self->fd, ioas_id, victims, page, &iova,
				    MAP_FIXED_RW));

	buf = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	fill(buf, 0x5e, page);
	fill(buf + page, 0, page);
	iova = 0;
	ASSERT_EQ(0, ioas_map(self->fd, ioas_id, buf, 2 * page, &iova,
			      MAP_FIXED_RW));
	ASSERT_EQ(0, edu_map(self->devfd, &bar));
	ASSERT_EQ(0, pci_bus_master(self->devfd, 1));
	ASSERT_EQ(0, edu_dma(&bar, 0, 64, false));
	ASSERT_EQ(0, edu_dma(&bar, pa, 64, true));
	ASSERT_TRUE(all(victim, 0x77, page));
	ASSERT_EQ(0, edu_dma(&bar, page, 64, true));
	ASSERT_TRUE(all(buf + page, 0x5e, 64));
	ASSERT_EQ(0, pci_bus_master(self->devfd, 0));
	munmap(bar.regs, 1 << 20);
	munmap(buf, 2 * page);
	munmap(victims, VICTIMS * page);
}

TEST_HARNESS_MAIN
