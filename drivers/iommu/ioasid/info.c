// SPDX-License-Identifier: GPL-2.0
/*
 * What a device's IOMMU offers it (IOASID_DEVICE_INFO), and what all the
 * devices of an IOAS have in common (IOASID_IOAS_INFO).
 *
 * The capabilities are asked of the IOMMU core.  The page sizes and the
 * aperture are those of the device's attached domain, or of one attached
 * for the question: they are what an IOAS gets for the device.  The family is
 * known from the name its driver gives the IOMMU in sysfs, and the raw
 * registers are what the driver's hw_info() reports (VT-d on 6.12).
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <uapi/linux/iommufd.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"

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

static enum ioasid_iommu_family iommu_family(struct device *dev)
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

/* log2 of the number of PASIDs the device may use; 0 for none or one. */
static u32 device_pasid_log2(struct device *dev)
{
	u32 max_pasids = dev->iommu->max_pasids;

	return max_pasids ? ilog2(max_pasids) : 0;
}

static u64 device_caps(struct ioasid_device *idev)
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

static void report_domain(struct iommu_domain *domain,
			  struct ioasid_device_info *cmd)
{
	cmd->out_caps |= IOASID_DEVICE_CAP_PAGING;
	cmd->out_pgsize_bitmap = domain->pgsize_bitmap;
	cmd->out_aperture_start = domain->geometry.aperture_start;
	cmd->out_aperture_last = domain->geometry.aperture_end;
}

/*
 * The page sizes and aperture of the device's paging domain, when it can
 * have one.  Drivers settle both only when a domain is attached (VT-d
 * narrows the aperture to the unit's width and adds its superpages,
 * virtio-iommu takes them from the device's probe), so an unattached
 * device's group is attached to an empty domain for the question, which
 * blocks its DMA as the group's blocking domain does, and goes back.
 */
static int report_paging(struct ioasid_device *idev,
			 struct ioasid_device_info *cmd)
{
	struct iommu_domain *domain = ioasid_device_domain(idev);
	int rc;

	if (domain) {
		report_domain(domain, cmd);
		return 0;
	}
	if (ioasid_should_fail())
		return -ENOMEM;
	domain = iommu_paging_domain_alloc(idev->dev);
	if (IS_ERR(domain))
		return PTR_ERR(domain) == -EOPNOTSUPP ? 0 : PTR_ERR(domain);
	ioasid_count(IOASID_CNT_DOMAINS, 1);
	if (ioasid_should_fail())
		rc = -ENOMEM;
	else
		rc = iommu_attach_group(domain, idev->group);
	if (!rc) {
		report_domain(domain, cmd);
		iommu_detach_group(domain, idev->group);
	}
	iommu_domain_free(domain);
	ioasid_count(IOASID_CNT_DOMAINS, -1);
	return rc;
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

static int report_device(struct ioasid_device *idev,
			 struct ioasid_device_info *cmd)
{
	struct device *dev = idev->dev;
	int rc;

	cmd->out_family = iommu_family(dev);
	cmd->out_caps = device_caps(idev);
	cmd->out_max_pasid_log2 = device_pasid_log2(dev);
	rc = report_paging(idev, cmd);
	if (rc)
		return rc;
	return report_hw_regs(dev, cmd);
}

int ioasid_cmd_device_info(struct ioasid_ucmd *ucmd)
{
	struct ioasid_device_info *cmd = ucmd->cmd;
	struct ioasid_device *idev;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	idev = ioasid_device_get(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	/* The caller's values of the out_ fields mean nothing. */
	*cmd = (struct ioasid_device_info){
		.size = ucmd->user_size,
		.dev_id = idev->obj.id,
	};
	/* Unbinding takes the same lock: the device stays while we ask. */
	mutex_lock(&ucmd->ictx->attach_lock);
	rc = idev->unbinding ? -ENODEV : report_device(idev, cmd);
	mutex_unlock(&ucmd->ictx->attach_lock);
	ioasid_put_object(&idev->obj);
	if (rc)
		return rc;
	return ioasid_ucmd_respond(ucmd);
}

/* Fold in what one attached device offers. */
static void ioas_add_device(struct ioasid_device *idev,
			    struct ioasid_ioas_info *cmd)
{
	u32 pasid_log2 = device_pasid_log2(idev->dev);

	cmd->out_families |= BIT_ULL(iommu_family(idev->dev));
	if (!cmd->out_num_devices++) {
		cmd->out_caps = device_caps(idev) | IOASID_DEVICE_CAP_PAGING;
		cmd->out_max_pasid_log2 = pasid_log2;
		return;
	}
	cmd->out_caps &= device_caps(idev) | IOASID_DEVICE_CAP_PAGING;
	cmd->out_max_pasid_log2 = min(cmd->out_max_pasid_log2, pasid_log2);
}

/* The attached devices of @ioas; the caller holds the attach lock. */
static void ioas_report_devices(struct ioasid_ctx *ictx,
				struct ioasid_ioas *ioas,
				struct ioasid_ioas_info *cmd)
{
	struct ioasid_device *idev;
	struct ioasid_object *obj;
	unsigned long id;

	/* A reference each: only attached devices are safe from unbind. */
	xa_for_each(&ictx->objects, id, obj) {
		idev = ioasid_device_get(ictx, id);
		if (IS_ERR(idev))
			continue;
		if (ioasid_device_ioas(idev) == ioas)
			ioas_add_device(idev, cmd);
		ioasid_put_object(&idev->obj);
	}
}

/* The page sizes and apertures of the domains of @ioas. */
static void ioas_report_hwpts(struct ioasid_ioas *ioas,
			      struct ioasid_ioas_info *cmd)
{
	struct ioasid_hwpt *hwpt;
	u64 pgsizes;

	cmd->out_pgsize_bitmap = ~0ULL;
	cmd->out_aperture_last = ~0ULL;
	list_for_each_entry(hwpt, &ioas->hwpts, link) {
		pgsizes = hwpt->domain->pgsize_bitmap;
		cmd->out_pgsize_bitmap &= pgsizes;
		cmd->out_min_page_size = max(cmd->out_min_page_size,
					     pgsizes & -pgsizes);
		cmd->out_aperture_start = max_t(u64, cmd->out_aperture_start,
						hwpt->domain->geometry.aperture_start);
		cmd->out_aperture_last = min_t(u64, cmd->out_aperture_last,
					       hwpt->domain->geometry.aperture_end);
	}
	if (list_empty(&ioas->hwpts))
		cmd->out_pgsize_bitmap = 0;
}

int ioasid_cmd_ioas_info(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_info *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	ioas = ioasid_ioas_get(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	/* The caller's values of the out_ fields mean nothing. */
	*cmd = (struct ioasid_ioas_info){
		.size = ucmd->user_size,
		.ioas_id = ioas->obj.id,
	};
	mutex_lock(&ucmd->ictx->attach_lock);
	ioas_report_devices(ucmd->ictx, ioas, cmd);
	down_read(&ioas->iova_rwsem);
	ioas_report_hwpts(ioas, cmd);
	up_read(&ioas->iova_rwsem);
	mutex_unlock(&ucmd->ictx->attach_lock);
	ioasid_put_object(&ioas->obj);
	return ioasid_ucmd_respond(ucmd);
}
