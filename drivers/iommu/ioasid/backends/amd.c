// SPDX-License-Identifier: GPL-2.0
/*
 * The AMD-Vi backend.
 *
 * The amd-iommu driver's paging domains hold the IOAS's mappings, as for
 * every family of the IOMMU core (iommu.c).  On 6.12 the driver has no
 * hw_info(): what it offers a device is known only through the IOMMU core
 * (coherency, interrupt isolation by interrupt remapping, dirty tracking
 * where the unit has HDSup, the PASID width of the device), which is all
 * this backend reports.
 */
#include <linux/device.h>
#include <linux/string.h>
#include <uapi/linux/ioasid.h>

#include "backend.h"

static bool amd_serves(struct device *iommu_dev)
{
	return strstarts(dev_name(iommu_dev), "ivhd");
}

const struct ioasid_backend ioasid_amd_backend = {
	.family = IOASID_IOMMU_FAMILY_AMD_VI,
	.serves = amd_serves,
	.device_size = sizeof(struct ioasid_device),
	.ops = &ioasid_iommu_paging_ops,
};
