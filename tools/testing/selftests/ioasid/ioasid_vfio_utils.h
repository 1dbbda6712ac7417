/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VFIO with ioasid as the backend of its containers (ioasid_vfio.ko), for
 * the selftests that use it: loading the module, and the type1 commands.
 */
#ifndef __SELFTEST_IOASID_VFIO_UTILS_H
#define __SELFTEST_IOASID_VFIO_UTILS_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "ioasid_pci_utils.h"

#define TYPE1_PARAM "/sys/module/ioasid_vfio/parameters/type1"

/*
 * Load ioasid_vfio.ko with type1=1 if it is not loaded; *@loaded says
 * whether it was.  -ENOENT: there is none to load; -EPERM: it is loaded
 * without type1.
 */
static inline int load_ioasid_vfio(bool *loaded)
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

static inline int unload_ioasid_vfio(void)
{
	return syscall(__NR_delete_module, "ioasid_vfio", O_NONBLOCK) ?
	       -errno : 0;
}

/* The VFIO group file of @bdf, or -1. */
static inline int open_vfio_group(const char *bdf)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%d", pci_iommu_group(bdf));
	return open(path, O_RDWR | O_CLOEXEC);
}

static inline int map_dma(int container, void *va, __u64 iova, __u64 size,
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

static inline int unmap_dma(int container, __u64 iova, __u64 size,
			    __u32 flags, __u64 *unmapped)
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

#endif
