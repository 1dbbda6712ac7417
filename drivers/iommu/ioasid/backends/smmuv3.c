// SPDX-License-Identifier: GPL-2.0
/*
 * The Arm SMMUv3 backend.
 *
 * The arm-smmu-v3 driver's paging domains hold the IOAS's mappings, as for
 * every family of the IOMMU core (iommu.c).  On 6.12 the driver has no
 * hw_info(), so its ID registers are not reported: what it
 * offers a device is known through the IOMMU core (coherency from
 * IDR0.COHACC, dirty tracking from HTTU, the substream width of the
 * device), which is all this backend reports.  Its MSI doorbell is a
 * software-managed region the kernel would map in a DMA domain; it is
 * listed among the device's reserved regions.
 */
#include <linux/device.h>
#include <linux/string.h>
#include <uapi/linux/ioasid.h>

#include "backend.h"

static bool smmuv3_serves(struct device *iommu_dev)
{
	return strstarts(dev_name(iommu_dev), "smmu3.");
}

const struct ioasid_backend ioasid_smmuv3_backend = {
	.family = IOASID_IOMMU_FAMILY_ARM_SMMUV3,
	.serves = smmuv3_serves,
	.device_size = sizeof(struct ioasid_device),
	.ops = &ioasid_iommu_paging_ops,
};
