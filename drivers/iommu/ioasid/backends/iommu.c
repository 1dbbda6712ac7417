// SPDX-License-Identifier: GPL-2.0
/*
 * Devices the kernel's IOMMU core serves: binding them, and what the
 * families whose IOMMU drivers give paging domains (VT-d, AMD-Vi, SMMUv3,
 * virtio-iommu) share.
 *
 * Binding claims DMA ownership of the device's IOMMU group with the context
 * as owner (iommu_device_claim_dma_owner()): from then on the IOMMU core
 * keeps the group's DMA blocked until a domain is attached, refuses to bind
 * a DMA-API driver to any device of the group, and refuses the group to
 * every other context.  This is VFIO's group viability rule, enforced by
 * the IOMMU core rather than copied here.
 *
 * The backend of a device is chosen from the IOMMU that serves it: each
 * family (vtd.c, amd.c, smmuv3.c, virtio.c, spapr_tce.c) knows its IOMMUs by
 * the device its driver gives them in sysfs.  An IOMMU of no known family
 * still gets the IOMMU core's paging domains, reported as of an unknown
 * family.  For the families with paging domains the IOMMU driver's domains
 * hold the IOAS's mappings, and moving a group from one domain to another
 * is iommu_group_replace_domain(), which switches its translation in one
 * step.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/slab.h>
#include <uapi/linux/ioasid.h>

#include "backend.h"

/* For iommu_group_replace_domain(): see ioasid.h. */
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);

/* log2 of the number of PASIDs @dev may use; 0 for none or one. */
static u32 iommu_pasid_log2(struct device *dev)
{
	u32 max_pasids = dev->iommu->max_pasids;

	return max_pasids ? ilog2(max_pasids) : 0;
}

/*
 * Can a process bind its address space to @idev: PASIDs, page requests
 * (PRI, for a PCI device) and the IOMMU core's SVA?  The IOMMU driver may
 * still refuse when the device is shared, or the core at the binding.
 */
static bool iommu_device_sva_capable(struct ioasid_device *idev)
{
	if (!IS_ENABLED(CONFIG_IOMMU_SVA) || !idev->max_pasid_log2 ||
	    idev->ops != &ioasid_iommu_paging_ops)
		return false;
	return dev_is_pci(idev->dev) && pci_pri_supported(to_pci_dev(idev->dev));
}

static u64 iommu_device_caps(struct ioasid_device *idev)
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
	if (idev->sva)
		caps |= IOASID_DEVICE_CAP_SVA;
	return caps;
}

/**
 * ioasid_iommu_describe() - what the IOMMU core tells of every device
 * @idev: the device
 * @info: gets the family, the capabilities, the PASID width and what the
 *	kernel's own DMA did before the binding
 * @family: enum ioasid_iommu_family
 */
void ioasid_iommu_describe(struct ioasid_device *idev,
			   struct ioasid_device_info *info, u32 family)
{
	info->out_family = family;
	info->out_caps = iommu_device_caps(idev);
	info->out_max_pasid_log2 = iommu_pasid_log2(idev->dev);
	info->out_kernel_dma = idev->kernel_dma;
}

/**
 * ioasid_iommu_dev() - the device the IOMMU that serves a device has in sysfs
 * @dev: the device
 *
 * Return: the IOMMU's device, or NULL when its driver registered none.
 */
struct device *ioasid_iommu_dev(struct device *dev)
{
	return dev->iommu->iommu_dev->dev;
}

/**
 * ioasid_iommu_hw_info() - the registers the IOMMU driver reports
 * @idev: the device
 * @length: set to the length of what is returned
 * @type: set to its enum iommu_hw_info_type
 *
 * Return: the driver's struct, to kfree(); NULL when the driver reports
 * none; or an ERR_PTR.
 */
void *ioasid_iommu_hw_info(struct ioasid_device *idev, u32 *length, u32 *type)
{
	const struct iommu_ops *ops = idev->dev->iommu->iommu_dev->ops;

	if (!ops->hw_info)
		return NULL;
	if (ioasid_should_fail())
		return ERR_PTR(-ENOMEM);
	return ops->hw_info(idev->dev, length, type);
}

static struct iommu_domain *paging_domain_alloc(struct ioasid_device *idev)
{
	return iommu_paging_domain_alloc(idev->dev);
}

/*
 * Attach the device's group to @domain, or move it there from @old.  The
 * IOMMU core checks that a domain attached is of the device's own IOMMU
 * driver, but not a domain replaced into: a domain of another driver (two
 * kinds of IOMMU in one machine) would reach this driver's attach.
 */
static int paging_set_domain(struct ioasid_device *idev,
			     struct iommu_domain *domain,
			     struct iommu_domain *old)
{
	if (domain->owner != idev->dev->iommu->iommu_dev->ops)
		return -EINVAL;
	if (old)
		return iommu_group_replace_domain(idev->group, domain);
	return iommu_attach_group(domain, idev->group);
}

static void paging_unset_domain(struct ioasid_device *idev,
				struct iommu_domain *domain)
{
	iommu_detach_group(domain, idev->group);
}

/*
 * Linux 6.12 has no way to move a PASID from one domain to another in one
 * step (iommu_replace_device_pasid() came later).
 */
static int paging_set_pasid(struct ioasid_device *idev, u32 pasid,
			    struct iommu_domain *domain,
			    struct iommu_domain *old)
{
	if (domain->owner != idev->dev->iommu->iommu_dev->ops)
		return -EINVAL;
	if (old)
		return -EOPNOTSUPP;
	return iommu_attach_device_pasid(domain, idev->dev, pasid, NULL);
}

static void paging_unset_pasid(struct ioasid_device *idev, u32 pasid,
			       struct iommu_domain *domain)
{
	iommu_detach_device_pasid(domain, idev->dev, pasid);
}

/* Page requests, then SVA, as the IOMMU core wants them enabled. */
static int paging_sva_enable(struct ioasid_device *idev)
{
	int rc;

	rc = iommu_dev_enable_feature(idev->dev, IOMMU_DEV_FEAT_IOPF);
	if (rc)
		return rc;
	rc = iommu_dev_enable_feature(idev->dev, IOMMU_DEV_FEAT_SVA);
	if (rc)
		iommu_dev_disable_feature(idev->dev, IOMMU_DEV_FEAT_IOPF);
	return rc;
}

static void paging_sva_disable(struct ioasid_device *idev)
{
	iommu_dev_disable_feature(idev->dev, IOMMU_DEV_FEAT_SVA);
	iommu_dev_disable_feature(idev->dev, IOMMU_DEV_FEAT_IOPF);
}

/* The IOMMU core chooses the PASID: the address space's own. */
static void *paging_sva_bind(struct ioasid_device *idev, struct mm_struct *mm,
			     u32 *pasid)
{
	struct iommu_sva *handle = iommu_sva_bind_device(idev->dev, mm);

	if (!IS_ERR(handle))
		*pasid = iommu_sva_get_pasid(handle);
	return handle;
}

static void paging_sva_unbind(struct ioasid_device *idev, void *cookie)
{
	iommu_sva_unbind_device(cookie);
}

/**
 * ioasid_iommu_get_resv_regions() - the reserved regions of a device's group
 * @idev: the device
 * @regions: the list to add them to
 *
 * Return: 0 or -ENOMEM.
 */
int ioasid_iommu_get_resv_regions(struct ioasid_device *idev,
				  struct list_head *regions)
{
	return iommu_get_group_resv_regions(idev->group, regions);
}

/**
 * ioasid_iommu_put_resv_regions() - free a device's reserved regions
 * @idev: the device
 * @regions: the list, of regions from the IOMMU core or from
 *	iommu_alloc_resv_region() (the mock's, for a mock device)
 */
void ioasid_iommu_put_resv_regions(struct ioasid_device *idev,
				   struct list_head *regions)
{
	iommu_put_resv_regions(idev->dev, regions);
}

/**
 * ioasid_iommu_release() - the end of a binding: give the group back
 * @idev: the device, detached
 */
void ioasid_iommu_release(struct ioasid_device *idev)
{
	struct ioasid_ctx *ictx = idev->ictx;

	mutex_lock(&ictx->attach_lock);
	if (idev->dma_claimed)
		iommu_device_release_dma_owner(idev->dev);
	ioasid_group_unbind(ictx, idev->group_id);
	mutex_unlock(&ictx->attach_lock);
	iommu_group_put(idev->group);
}

static const struct ioasid_backend generic_backend;

static const struct ioasid_backend *const backends[] = {
	&ioasid_vtd_backend,
	&ioasid_amd_backend,
	&ioasid_smmuv3_backend,
	&ioasid_virtio_backend,
#ifdef CONFIG_SPAPR_TCE_IOMMU
	&ioasid_spapr_backend,
#endif
};

static const struct ioasid_backend *backend_of(struct device *dev)
{
	struct device *iommu_dev = ioasid_iommu_dev(dev);
	int i;

	for (i = 0; iommu_dev && i < ARRAY_SIZE(backends); i++)
		if (backends[i]->serves(iommu_dev))
			return backends[i];
	return &generic_backend;
}

static int paging_describe(struct ioasid_device *idev,
			   struct ioasid_device_info *info)
{
	const struct ioasid_backend *backend = backend_of(idev->dev);

	ioasid_iommu_describe(idev, info, backend->family);
	return backend->hw_regs ? backend->hw_regs(idev, info) : 0;
}

const struct ioasid_device_ops ioasid_iommu_paging_ops = {
	.domain_alloc = paging_domain_alloc,
	.set_domain = paging_set_domain,
	.unset_domain = paging_unset_domain,
	.get_resv_regions = ioasid_iommu_get_resv_regions,
	.put_resv_regions = ioasid_iommu_put_resv_regions,
	.describe = paging_describe,
	.unbind = ioasid_iommu_release,
	.set_pasid = paging_set_pasid,
	.unset_pasid = paging_unset_pasid,
	.sva_enable = paging_sva_enable,
	.sva_disable = paging_sva_disable,
	.sva_bind = paging_sva_bind,
	.sva_unbind = paging_sva_unbind,
};

/* An IOMMU of no family ioasid knows: the IOMMU core's paging domains. */
static const struct ioasid_backend generic_backend = {
	.family = IOASID_IOMMU_FAMILY_UNKNOWN,
	.device_size = sizeof(struct ioasid_device),
	.settles_at_attach = true,
	.ops = &ioasid_iommu_paging_ops,
};

/*
 * What the kernel's own DMA of @dev goes through when ioasid does not own
 * its group: the group's domain now, unless @ictx owns the group already.
 * The caller holds the attach_lock, so that the group's first device is
 * counted before another is asked about.
 */
static u32 kernel_dma_of(struct ioasid_ctx *ictx, struct device *dev,
			 struct iommu_group *group)
{
	struct iommu_domain *domain;
	u32 kernel_dma;

	if (ioasid_group_kernel_dma(ictx, iommu_group_id(group), &kernel_dma))
		return kernel_dma;
	domain = iommu_get_domain_for_dev(dev);
	if (!domain)
		return IOASID_KERNEL_DMA_UNKNOWN;
	switch (domain->type) {
	case IOMMU_DOMAIN_IDENTITY:
		return IOASID_KERNEL_DMA_IDENTITY;
	case IOMMU_DOMAIN_BLOCKED:
		return IOASID_KERNEL_DMA_BLOCKED;
	case IOMMU_DOMAIN_DMA:
	case IOMMU_DOMAIN_DMA_FQ:
	case IOMMU_DOMAIN_PLATFORM:
		return IOASID_KERNEL_DMA_TRANSLATED;
	default:
		return IOASID_KERNEL_DMA_UNKNOWN;
	}
}

static bool allow_unsafe_interrupts;
module_param(allow_unsafe_interrupts, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Bind devices whose MSIs the platform does not isolate (no interrupt remapping): a device could then raise other devices' interrupts");

/**
 * ioasid_group_msi_allowed() - may a group's devices be given to a user
 * @group: the IOMMU group
 *
 * Return: true when the platform isolates the MSIs of @group's devices, or
 * the administrator allows unsafe interrupts (allow_unsafe_interrupts).
 */
bool ioasid_group_msi_allowed(struct iommu_group *group)
{
	return iommu_group_has_isolated_msi(group) || allow_unsafe_interrupts;
}
EXPORT_SYMBOL_NS_GPL(ioasid_group_msi_allowed, IOASID);

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

/*
 * Say in the log why the group of @dev could not be claimed (@rc, from
 * iommu_device_claim_dma_owner()), and return it: -EBUSY a device of the
 * group is bound to a driver that uses the DMA API (the group is not
 * viable), -EPERM another user owns the group; any other errno as it is.
 */
static int report_unviable(struct device *dev, struct iommu_group *group,
			   int rc)
{
	struct device *user = NULL;

	if (rc != -EPERM)
		return rc;

	iommu_group_for_each_dev(group, &user, find_dma_api_user);
	if (!user) {
		dev_warn(dev, "IOMMU group %d is owned by another user\n",
			 iommu_group_id(group));
		return -EPERM;
	}
	dev_warn(dev, "IOMMU group %d is not viable: %s is bound to DMA-API driver %s\n",
		 iommu_group_id(group), dev_name(user), dev_driver_string(user));
	return -EBUSY;
}

/*
 * Claim the DMA ownership of the group of @dev for @ictx, unless @claim is
 * false (another owner holds it for the context), and count the device in
 * the context's bound groups; set @kernel_dma to what the group's DMA went
 * through before the context took its first device.
 */
static int group_claim(struct ioasid_ctx *ictx, struct device *dev,
		       struct iommu_group *group, bool claim, u32 *kernel_dma)
{
	int rc = 0;

	mutex_lock(&ictx->attach_lock);
	*kernel_dma = kernel_dma_of(ictx, dev, group);
	if (claim)
		rc = iommu_device_claim_dma_owner(dev, ictx);
	if (rc) {
		rc = report_unviable(dev, group, rc);
	} else {
		rc = ioasid_group_bind(ictx, iommu_group_id(group), *kernel_dma);
		if (rc && claim)
			iommu_device_release_dma_owner(dev);
	}
	mutex_unlock(&ictx->attach_lock);
	return rc;
}

/* The device object of @dev, whose group @ictx owns now. */
static struct ioasid_device *
backend_bind(const struct ioasid_backend *backend, struct ioasid_ctx *ictx,
	     struct device *dev, struct iommu_group *group, bool isolated_msi,
	     u32 kernel_dma)
{
	struct ioasid_device *idev;
	int rc;

	idev = ioasid_device_alloc(ictx, backend->device_size, backend->ops);
	if (IS_ERR(idev))
		return idev;
	idev->dev = dev;
	idev->group = group;
	idev->group_id = iommu_group_id(group);
	idev->isolated_msi = isolated_msi;
	idev->coherent = device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY);
	idev->enforce_coherent =
		device_iommu_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY);
	idev->kernel_dma = kernel_dma;
	idev->fill_after_attach = backend->fill_after_attach;
	idev->settles_at_attach = backend->settles_at_attach;
	idev->max_pasid_log2 = iommu_pasid_log2(dev);
	idev->sva = iommu_device_sva_capable(idev);
	rc = backend->bind ? backend->bind(idev) : 0;
	if (rc) {
		ioasid_object_abort(ictx, &idev->obj);
		return ERR_PTR(rc);
	}
	return idev;
}

/* Bind @dev; @claim: claim its group's DMA ownership for @ictx. */
static struct ioasid_device *device_bind(struct ioasid_ctx *ictx,
					 struct device *dev, bool claim)
{
	struct ioasid_device *idev;
	struct iommu_group *group;
	bool isolated_msi;
	u32 kernel_dma;
	int rc;

	group = iommu_group_get(dev);
	if (!group)
		return ERR_PTR(-ENODEV);
	/* A group lent must be owned: else a DMA-API driver may use it. */
	if (!claim && !iommu_group_dma_owner_claimed(group)) {
		rc = -EPERM;
		goto out_put_group;
	}
	isolated_msi = iommu_group_has_isolated_msi(group);
	if (!isolated_msi && !allow_unsafe_interrupts) {
		dev_warn(dev, "no MSI isolation (interrupt remapping); set the ioasid module parameter allow_unsafe_interrupts to 1 (/sys/module/ioasid/parameters/allow_unsafe_interrupts) to bind it anyway\n");
		rc = -EACCES;
		goto out_put_group;
	}
	rc = group_claim(ictx, dev, group, claim, &kernel_dma);
	if (rc)
		goto out_put_group;

	idev = backend_bind(backend_of(dev), ictx, dev, group, isolated_msi,
			    kernel_dma);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto out_release;
	}
	idev->dma_claimed = claim;
	refcount_inc(&idev->obj.users);
	ioasid_object_finalize(ictx, &idev->obj);
	return idev;

out_release:
	mutex_lock(&ictx->attach_lock);
	if (claim)
		iommu_device_release_dma_owner(dev);
	ioasid_group_unbind(ictx, iommu_group_id(group));
	mutex_unlock(&ictx->attach_lock);
out_put_group:
	iommu_group_put(group);
	return ERR_PTR(rc);
}

/**
 * ioasid_iommu_device_bind() - bind a device the IOMMU core serves
 * @ictx: the context
 * @dev: the device, bound to a driver with driver_managed_dma
 *
 * Return: the device object, published, with a reference for the caller
 * besides the table's; or ERR_PTR(-ENODEV) when @dev has no IOMMU group,
 * ERR_PTR(-EACCES) when its MSIs are not isolated and unsafe interrupts are
 * not allowed, ERR_PTR(-EBUSY) when a device of its group is bound to a
 * driver that uses the DMA API, ERR_PTR(-EPERM) when another user owns its
 * group, ERR_PTR(-ENOMEM), or an errno of the platform for what the device's
 * backend sets up.
 */
struct ioasid_device *ioasid_iommu_device_bind(struct ioasid_ctx *ictx,
					       struct device *dev)
{
	return device_bind(ictx, dev, true);
}

/**
 * ioasid_iommu_owned_device_bind() - bind a device whose group's DMA
 *	ownership another owner holds
 * @ictx: the context
 * @dev: the device; its IOMMU group's DMA is owned already, by an owner
 *	(VFIO) that lends it to the context for as long as it is bound
 *
 * As ioasid_iommu_device_bind(), but the group is not claimed, nor given
 * back at the end: its owner keeps the group viable and refuses it to
 * other users.
 *
 * Return: the device object, published, with a reference for the caller;
 * or an ERR_PTR, as ioasid_iommu_device_bind() but for -EBUSY, and -EPERM
 * when no owner holds the group.
 */
struct ioasid_device *ioasid_iommu_owned_device_bind(struct ioasid_ctx *ictx,
						     struct device *dev)
{
	return device_bind(ictx, dev, false);
}
