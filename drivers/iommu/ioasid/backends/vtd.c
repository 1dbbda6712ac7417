// SPDX-License-Identifier: GPL-2.0
/*
 * The Intel VT-d backend.
 *
 * The intel-iommu driver's paging domains hold the IOAS's mappings, as for
 * every family of the IOMMU core (iommu.c).  What VT-d adds is its
 * registers: the driver's hw_info() reports the Capability and Extended
 * Capability Registers of the unit that serves the device, which a VMM
 * needs to emulate a vIOMMU its guest may nest on, and from which the
 * nesting format is known (ECAP.NEST).
 */
#include <linux/device.h>
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <uapi/linux/iommufd.h>
#include <uapi/linux/ioasid.h>

#include "backend.h"

/* VT-d Extended Capability Register: nested translation supported. */
#define VTD_ECAP_NEST BIT_ULL(26)

static bool vtd_serves(struct device *iommu_dev)
{
	return strstarts(dev_name(iommu_dev), "dmar");
}

static int vtd_hw_regs(struct ioasid_device *idev,
		       struct ioasid_device_info *info)
{
	struct iommu_hw_info_vtd *vtd;
	u32 length, type;

	vtd = ioasid_iommu_hw_info(idev, &length, &type);
	if (IS_ERR(vtd))
		return PTR_ERR(vtd);
	if (vtd && type == IOMMU_HW_INFO_TYPE_INTEL_VTD &&
	    length >= sizeof(*vtd)) {
		info->out_hw_regs_type = IOASID_HW_REGS_INTEL_VTD;
		info->out_hw_regs[0] = vtd->cap_reg;
		info->out_hw_regs[1] = vtd->ecap_reg;
		info->out_hw_regs[2] = vtd->flags;
		if (vtd->ecap_reg & VTD_ECAP_NEST)
			info->out_nesting_formats |= IOASID_NESTING_VTD_S1;
	}
	kfree(vtd);
	return 0;
}

const struct ioasid_backend ioasid_vtd_backend = {
	.family = IOASID_IOMMU_FAMILY_INTEL_VTD,
	.serves = vtd_serves,
	.device_size = sizeof(struct ioasid_device),
	/* 6.12 narrows the aperture to the unit's width, adds superpages. */
	.settles_at_attach = true,
	.hw_regs = vtd_hw_regs,
	.ops = &ioasid_iommu_paging_ops,
};
