// SPDX-License-Identifier: GPL-2.0
/*
 * The SPAPR TCE backend: devices behind the host bridges of a PowerPC
 * partition (pseries).
 *
 * The IOMMU core has no paging domain here, so such a device is known and
 * reported, but cannot be attached to an IOAS (-EOPNOTSUPP).
 */
#include <linux/device.h>
#include <linux/string.h>
#include <uapi/linux/ioasid.h>

#include "backend.h"

static bool spapr_serves(struct device *iommu_dev)
{
	return strstarts(dev_name(iommu_dev), "iommu-phb");
}

const struct ioasid_backend ioasid_spapr_backend = {
	.family = IOASID_IOMMU_FAMILY_SPAPR_TCE,
	.serves = spapr_serves,
	.device_size = sizeof(struct ioasid_device),
	.ops = &ioasid_iommu_paging_ops,
};
