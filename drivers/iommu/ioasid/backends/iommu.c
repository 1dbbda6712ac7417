// SPDX-License-Identifier: GPL-2.0
/*
 * The backend of devices the kernel's IOMMU core serves: VT-d, AMD-Vi,
 * SMMUv3 and virtio-iommu.
 *
 * Binding claims DMA ownership of the device's IOMMU group with the context
 * as owner (iommu_device_claim_dma_owner()): from then on the IOMMU core
 * keeps the group's DMA blocked until a domain is attached, refuses to bind
 * a DMA-API driver to any device of the group, and refuses the group to
 * every other context.  This is VFIO's group viability rule, enforced by
 * the IOMMU core rather than copied here.  The IOMMU driver's paging
 * domains hold the IOAS's mappings, and moving a group from one domain to
 * another is iommu_group_replace_domain(), which switches its translation
 * in one step.
 *
 * What the device's IOMMU offers is asked of the IOMMU core; the family is
 * known from the name its driver gives the IOMMU in sysfs, and the raw
 * registers are what the driver's hw_info() reports (VT-d on 6.12).
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <uapi/linux/iommufd.h>
#include <uapi/linux/ioasid.h>

#include "../ioasid.h"

/* For iommu_group_replace_domain(): see ioasid.h. */
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);

/* VT-d Extended Capability Register: nested translation supported. */
#define VTD_ECAP_NEST BIT_ULL(26)

static const struct {
	const char *prefix;
	enum ioasid_iommu_family family;
} iommu_names[] = {
	{ "dmar", IOASID_IOMMU_FAMILY_INTEL_VTD },
	{ "ivhd", IOASID_IOMMU_FAMILY_AMD_VI },
	{ "smmu3.", IOASID_IOMMU_FAMILY_ARM_SMMUV3 },
	{ "iommu-phb", IOASID_IOMMU_FAMILY_SPAPR_TCE },
};

static enum ioasid_iommu_family core_family(struct device *dev)
{
	struct device *iommu_dev = dev->iommu->iommu_dev->dev;
	struct device *parent;
	int i;

	if (!iommu_dev)
		return IOASID_IOMMU_FAMILY_UNKNOWN;
	for (i = 0; i < ARRAY_SIZE(iommu_names); i++)
		if (strstarts(dev_name(iommu_dev), iommu_names[i].prefix))
			return iommu_names[i].family;
	/*
	 * virtio-iommu names its IOMMU after its transport's device, under
	 * the virtio device its driver drives.
	 */
	parent = iommu_dev->parent;
	if (parent && !strcmp(dev_driver_string(parent), "virtio_iommu"))
		return IOASID_IOMMU_FAMILY_VIRTIO;
	return IOASID_IOMMU_FAMILY_UNKNOWN;
}

/* log2 of the number of PASIDs @dev may use; 0 for none or one. */
static u32 core_pasid_log2(struct device *dev)
{
	u32 max_pasids = dev->iommu->max_pasids;

	return max_pasids ? ilog2(max_pasids) : 0;
}

static u64 core_device_caps(struct ioasid_device *idev)
{
	u64 caps = 0;

	if (device_iommu_capable(idev->dev, IOMMU_CAP_CACHE_COHERENCY))
		caps |= IOASID_DEVICE_CAP_COHERENT;
	if (device_iommu_capable(idev->dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY))
		caps |= IOASID_DEVICE_CAP_ENFORCE_COHERENT;
	if (idev->isolated_msi)
		caps |= IOASID_DEVICE_CAP_ISOLATED_MSI;
	if (device_iommu_capable(idev->dev, IOMMU_CAP_DIRTY_TRACKING))
		caps |= IOASID_DEVICE_CAP_DIRTY_TRACKING;
	return caps;
}

/* The registers the IOMMU driver's hw_info() exposes, if any. */
static int report_hw_regs(struct device *dev, struct ioasid_device_info *cmd)
{
	const struct iommu_ops *ops = dev->iommu->iommu_dev->ops;
	struct iommu_hw_info_vtd *vtd;
	u32 length, type;
	void *data;

	if (!ops->hw_info)
		return 0;
	if (ioasid_should_fail())
		return -ENOMEM;
	data = ops->hw_info(dev, &length, &type);
	if (IS_ERR(data))
		return PTR_ERR(data);
	if (type == IOMMU_HW_INFO_TYPE_INTEL_VTD && length >= sizeof(*vtd)) {
		vtd = data;
		cmd->out_hw_regs_type = IOASID_HW_REGS_INTEL_VTD;
		cmd->out_hw_regs[0] = vtd->cap_reg;
		cmd->out_hw_regs[1] = vtd->ecap_reg;
		cmd->out_hw_regs[2] = vtd->flags;
		if (vtd->ecap_reg & VTD_ECAP_NEST)
			cmd->out_nesting_formats |= IOASID_NESTING_VTD_S1;
	}
	kfree(data);
	return 0;
}

static int core_describe(struct ioasid_device *idev,
			 struct ioasid_device_info *info)
{
	info->out_family = core_family(idev->dev);
	info->out_caps = core_device_caps(idev);
	info->out_max_pasid_log2 = core_pasid_log2(idev->dev);
	return report_hw_regs(idev->dev, info);
}

static struct iommu_domain *core_domain_alloc(struct ioasid_device *idev)
{
	return iommu_paging_domain_alloc(idev->dev);
}

static int core_set_domain(struct ioasid_device *idev,
			   struct iommu_domain *domain,
			   struct iommu_domain *old)
{
	if (old)
		return iommu_group_replace_domain(idev->group, domain);
	return iommu_attach_group(domain, idev->group);
}

static void core_unset_domain(struct ioasid_device *idev,
			      struct iommu_domain *domain)
{
	iommu_detach_group(domain, idev->group);
}

static int core_get_resv_regions(struct ioasid_device *idev,
				 struct list_head *regions)
{
	return iommu_get_group_resv_regions(idev->group, regions);
}

static void core_put_resv_regions(struct ioasid_device *idev,
				  struct list_head *regions)
{
	iommu_put_resv_regions(idev->dev, regions);
}

static void core_unbind(struct ioasid_device *idev)
{
	iommu_device_release_dma_owner(idev->dev);
	iommu_group_put(idev->group);
}

static const struct ioasid_device_ops core_device_ops = {
	.domain_alloc = core_domain_alloc,
	.set_domain = core_set_domain,
	.unset_domain = core_unset_domain,
	.get_resv_regions = core_get_resv_regions,
	.put_resv_regions = core_put_resv_regions,
	.describe = core_describe,
	.unbind = core_unbind,
};

static bool allow_unsafe_interrupts;
module_param(allow_unsafe_interrupts, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Bind devices whose MSIs the platform does not isolate (no interrupt remapping): a device could then raise other devices' interrupts");

/* Is @dev bound to a driver that uses the DMA API? */
static bool device_uses_dma_api(struct device *dev)
{
	if (!dev->driver)
		return false;
	if (dev_is_pci(dev))
		return !to_pci_driver(dev->driver)->driver_managed_dma;
	return true;
}

static int find_dma_api_user(struct device *dev, void *data)
{
	struct device **user = data;

	if (!device_uses_dma_api(dev))
		return 0;
	*user = dev;
	return 1;
}

/* Say in the log why the group of @dev could not be claimed. */
static void report_unviable(struct device *dev, struct iommu_group *group)
{
	struct device *user = NULL;

	iommu_group_for_each_dev(group, &user, find_dma_api_user);
	if (user)
		dev_warn(dev, "IOMMU group %d is not viable: %s is bound to DMA-API driver %s\n",
			 iommu_group_id(group), dev_name(user),
			 dev_driver_string(user));
	else
		dev_warn(dev, "IOMMU group %d is owned by another user\n",
			 iommu_group_id(group));
}

/**
 * ioasid_iommu_device_bind() - bind a device the IOMMU core serves
 * @ictx: the context
 * @dev: the device, bound to a driver with driver_managed_dma
 *
 * Return: the device object, published, with a reference for the caller
 * besides the table's; or ERR_PTR(-ENODEV) when @dev has no IOMMU group,
 * ERR_PTR(-EPERM) when its MSIs are not isolated (and unsafe interrupts are
 * not allowed) or its group cannot be claimed, ERR_PTR(-ENOMEM).
 */
struct ioasid_device *ioasid_iommu_device_bind(struct ioasid_ctx *ictx,
					       struct device *dev)
{
	struct ioasid_device *idev;
	struct iommu_group *group;
	bool isolated_msi;
	int rc;

	group = iommu_group_get(dev);
	if (!group)
		return ERR_PTR(-ENODEV);
	isolated_msi = iommu_group_has_isolated_msi(group);
	if (!isolated_msi && !allow_unsafe_interrupts) {
		dev_warn(dev, "no MSI isolation (interrupt remapping); load ioasid with allow_unsafe_interrupts=1 to bind anyway\n");
		rc = -EPERM;
		goto out_put_group;
	}
	rc = iommu_device_claim_dma_owner(dev, ictx);
	if (rc) {
		report_unviable(dev, group);
		rc = -EPERM;
		goto out_put_group;
	}

	idev = ioasid_device_alloc(ictx, sizeof(*idev), &core_device_ops);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto out_release;
	}
	idev->dev = dev;
	idev->group = group;
	idev->group_id = iommu_group_id(group);
	idev->isolated_msi = isolated_msi;
	idev->coherent = device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY);
	refcount_inc(&idev->obj.users);
	ioasid_object_finalize(ictx, &idev->obj);
	return idev;

out_release:
	iommu_device_release_dma_owner(dev);
out_put_group:
	iommu_group_put(group);
	return ERR_PTR(rc);
}
