// SPDX-License-Identifier: GPL-2.0
/*
 * Devices bound to a context.
 *
 * A device bound to a context is an object of the context (struct
 * ioasid_device) for as long as the binding lasts.  Binding claims DMA
 * ownership of the device's IOMMU group with the context as owner
 * (iommu_device_claim_dma_owner()): from then on the IOMMU core keeps the
 * group's DMA blocked until a domain is attached, refuses to bind a DMA-API
 * driver to any device of the group, and refuses the group to every other
 * context.  This is VFIO's group viability rule, enforced by the IOMMU core
 * rather than copied here.
 *
 * The binder (the PCI device file) holds a reference on the object besides
 * the table's, so DESTROY cannot remove a bound device (-EBUSY); unbinding
 * removes it.
 *
 * Attaching.  The IOMMU translates a group as a whole, so a group is what
 * attaches to an IOAS (struct ioasid_group_attach): its first device to
 * attach brings it in, the others of the group may only join the same
 * IOAS, and the last to detach takes it out, back to the blocking domain
 * that DMA ownership gives it.  An attached group holds a reference on its
 * IOAS, so the IOAS cannot be destroyed under it (-EBUSY), and reserves its
 * reserved regions (MSI windows, ...) in it; a group whose regions hold a
 * mapping is refused with -EADDRINUSE.  Replace moves a group to another
 * IOAS with iommu_group_replace_domain(), which switches the translation in
 * one step: no DMA of the group is ever untranslated.
 *
 * Locking: ictx->attach_lock serializes attach, detach, replace and unbind,
 * and is taken before any iova_rwsem.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"

/* For iommu_group_replace_domain(): see ioasid.h. */
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);

/**
 * struct ioasid_group_attach - an IOMMU group attached to an IOAS
 * @group: the group
 * @ioas: the IOAS, of which the attachment holds a reference
 * @hwpt: the IOAS's hardware page table the group uses
 * @devices: the group's devices attached
 */
struct ioasid_group_attach {
	struct iommu_group *group;
	struct ioasid_ioas *ioas;
	struct ioasid_hwpt *hwpt;
	unsigned int devices;
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
 * ioasid_device_bind() - bind a device to a context
 * @ictx: the context
 * @dev: the device, bound to a driver with driver_managed_dma
 *
 * Return: the device object, published, with a reference for the caller
 * besides the table's; or ERR_PTR(-ENODEV) when @dev has no IOMMU group,
 * ERR_PTR(-EPERM) when its MSIs are not isolated (and unsafe interrupts are
 * not allowed) or its group cannot be claimed, ERR_PTR(-ENOMEM).
 */
struct ioasid_device *ioasid_device_bind(struct ioasid_ctx *ictx,
					 struct device *dev)
{
	struct ioasid_device *idev;
	struct ioasid_object *obj;
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

	obj = ioasid_object_alloc(ictx, sizeof(*idev), IOASID_OBJ_DEVICE);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		goto out_release;
	}
	idev = container_of(obj, struct ioasid_device, obj);
	idev->ictx = ictx;
	idev->dev = dev;
	idev->group = group;
	idev->isolated_msi = isolated_msi;
	idev->coherent = device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY);
	refcount_inc(&obj->users);
	ioasid_object_finalize(ictx, obj);
	return idev;

out_release:
	iommu_device_release_dma_owner(dev);
out_put_group:
	iommu_group_put(group);
	return ERR_PTR(rc);
}

/* Reserve in @ioas the reserved regions of @idev's group, for @owner. */
static int reserve_group_regions(struct ioasid_ioas *ioas,
				 struct ioasid_device *idev, const void *owner)
{
	struct iommu_resv_region *region;
	LIST_HEAD(regions);
	int rc;

	if (ioasid_should_fail())
		rc = -ENOMEM;
	else
		rc = iommu_get_group_resv_regions(idev->group, &regions);
	list_for_each_entry(region, &regions, list) {
		/* Firmware mappings the OS may drop once it owns the device. */
		if (rc || region->type == IOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		rc = ioasid_ioas_reserve(ioas, owner, region->start,
					 region->start + region->length - 1);
	}
	iommu_put_resv_regions(idev->dev, &regions);
	if (rc)
		ioasid_ioas_unreserve(ioas, owner);
	return rc;
}

/* Attach the group of @idev to @domain, or move it there from @old. */
static int group_set_domain(struct ioasid_device *idev,
			    struct iommu_domain *domain,
			    struct iommu_domain *old)
{
	/* The IOMMU driver allocates too (context entries, ...). */
	if (ioasid_should_fail())
		return -ENOMEM;
	if (old)
		return iommu_group_replace_domain(idev->group, domain);
	return iommu_attach_group(domain, idev->group);
}

/*
 * Put the group of @idev on a hwpt of @ioas: one it shares if the IOMMU
 * driver accepts it there, else a new one.  With @old the group is attached
 * to that domain, and moves in one step.
 */
static struct ioasid_hwpt *ioas_take_group(struct ioasid_ioas *ioas,
					   struct ioasid_device *idev,
					   struct iommu_domain *old)
{
	struct ioasid_hwpt *hwpt;
	int rc;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	list_for_each_entry(hwpt, &ioas->hwpts, link) {
		rc = group_set_domain(idev, hwpt->domain, old);
		if (!rc) {
			hwpt->users++;
			return hwpt;
		}
		/* -EINVAL: the IOMMU cannot use that domain; try another. */
		if (rc != -EINVAL)
			return ERR_PTR(rc);
	}

	hwpt = ioasid_hwpt_alloc(idev->dev);
	if (IS_ERR(hwpt))
		return hwpt;
	rc = group_set_domain(idev, hwpt->domain, old);
	if (rc)
		goto out_free;
	rc = ioasid_hwpt_install(ioas, hwpt);
	if (!rc)
		return hwpt;
	/* Back where it was; should that fail, blocked rather than freed. */
	if (!old || WARN_ON(iommu_group_replace_domain(idev->group, old)))
		iommu_detach_group(hwpt->domain, idev->group);
out_free:
	ioasid_hwpt_free(hwpt);
	return ERR_PTR(rc);
}

/* Bring the group of @idev into @ioas, reserved regions first. */
static int group_enter(struct ioasid_group_attach *ga,
		       struct ioasid_device *idev, struct ioasid_ioas *ioas,
		       struct iommu_domain *old)
{
	struct ioasid_hwpt *hwpt;
	int rc;

	down_write(&ioas->iova_rwsem);
	rc = reserve_group_regions(ioas, idev, ga);
	if (!rc) {
		hwpt = ioas_take_group(ioas, idev, old);
		if (IS_ERR(hwpt)) {
			ioasid_ioas_unreserve(ioas, ga);
			rc = PTR_ERR(hwpt);
		}
	}
	up_write(&ioas->iova_rwsem);
	if (rc)
		return rc;
	refcount_inc(&ioas->obj.users);
	ga->ioas = ioas;
	ga->hwpt = hwpt;
	return 0;
}

/* Take the group out of its IOAS; unless it moved, detach it too. */
static void group_leave(struct ioasid_group_attach *ga,
			struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt,
			bool detach)
{
	down_write(&ioas->iova_rwsem);
	if (detach)
		iommu_detach_group(hwpt->domain, ga->group);
	ioasid_hwpt_put(ioas, hwpt);
	ioasid_ioas_unreserve(ioas, ga);
	up_write(&ioas->iova_rwsem);
	ioasid_put_object(&ioas->obj);
}

static int group_attach(struct ioasid_device *idev, struct ioasid_ioas *ioas)
{
	struct ioasid_ctx *ictx = idev->ictx;
	struct ioasid_group_attach *ga;
	int rc;

	ga = ioasid_kzalloc(sizeof(*ga));
	if (!ga)
		return -ENOMEM;
	ga->group = idev->group;
	if (ioasid_should_fail())
		rc = -ENOMEM;
	else
		rc = xa_insert(&ictx->groups, iommu_group_id(idev->group), ga,
			       GFP_KERNEL_ACCOUNT);
	if (!rc) {
		rc = group_enter(ga, idev, ioas, NULL);
		if (rc)
			xa_erase(&ictx->groups, iommu_group_id(idev->group));
	}
	if (rc) {
		kfree(ga);
		return rc;
	}
	ga->devices = 1;
	return 0;
}

static int group_replace(struct ioasid_group_attach *ga,
			 struct ioasid_device *idev, struct ioasid_ioas *ioas)
{
	struct ioasid_ioas *old_ioas = ga->ioas;
	struct ioasid_hwpt *old_hwpt = ga->hwpt;
	int rc;

	if (ioas == old_ioas)
		return 0;
	rc = group_enter(ga, idev, ioas, old_hwpt->domain);
	if (!rc)
		group_leave(ga, old_ioas, old_hwpt, false);
	return rc;
}

/* The attachment of the group of @idev, or NULL; under the attach lock. */
static struct ioasid_group_attach *device_group_attach(struct ioasid_device *idev)
{
	lockdep_assert_held(&idev->ictx->attach_lock);
	return xa_load(&idev->ictx->groups, iommu_group_id(idev->group));
}

static int attach_device(struct ioasid_device *idev, struct ioasid_ioas *ioas,
			 bool replace)
{
	struct ioasid_group_attach *ga;

	lockdep_assert_held(&idev->ictx->attach_lock);

	if (idev->unbinding)
		return -ENODEV;
	ga = device_group_attach(idev);
	if (idev->attached)
		return replace ? group_replace(ga, idev, ioas) : -EBUSY;
	if (ga) {
		/* Another device of the group is attached: same IOAS only. */
		if (ga->ioas != ioas)
			return -EINVAL;
		ga->devices++;
	} else {
		int rc = group_attach(idev, ioas);

		if (rc)
			return rc;
	}
	idev->attached = true;
	return 0;
}

static void detach_device(struct ioasid_device *idev)
{
	struct ioasid_ctx *ictx = idev->ictx;
	struct ioasid_group_attach *ga;

	ga = device_group_attach(idev);
	idev->attached = false;
	if (--ga->devices)
		return;
	xa_erase(&ictx->groups, iommu_group_id(idev->group));
	group_leave(ga, ga->ioas, ga->hwpt, true);
	kfree(ga);
}

/**
 * ioasid_device_ioas() - the IOAS a device is attached to
 * @idev: the device; the caller holds idev->ictx->attach_lock
 *
 * Return: the IOAS, or NULL when the device is not attached.
 */
struct ioasid_ioas *ioasid_device_ioas(struct ioasid_device *idev)
{
	if (!idev->attached)
		return NULL;
	return device_group_attach(idev)->ioas;
}

/**
 * ioasid_device_domain() - the IOMMU domain a device's DMA goes through
 * @idev: the device; the caller holds idev->ictx->attach_lock
 *
 * Return: the domain of the IOAS the device's group is attached to (through
 * this device or another of the group), or NULL when it is not attached.
 */
struct iommu_domain *ioasid_device_domain(struct ioasid_device *idev)
{
	struct ioasid_group_attach *ga = device_group_attach(idev);

	return ga ? ga->hwpt->domain : NULL;
}

/**
 * ioasid_device_get() - look up a bound device of a context
 * @ictx: the context
 * @id: the device's object id
 *
 * Return: the device with a reference (ioasid_put_object()), or an ERR_PTR:
 * -ENOENT no object @id, -EINVAL it is not a device.
 */
struct ioasid_device *ioasid_device_get(struct ioasid_ctx *ictx, u32 id)
{
	struct ioasid_object *obj;

	obj = ioasid_get_object(ictx, id, IOASID_OBJ_DEVICE);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct ioasid_device, obj);
}

int ioasid_cmd_device_attach(struct ioasid_ucmd *ucmd)
{
	struct ioasid_device_attach *cmd = ucmd->cmd;
	struct ioasid_device *idev;
	struct ioasid_ioas *ioas;
	int rc;

	if (cmd->flags & ~IOASID_DEVICE_ATTACH_REPLACE)
		return -EOPNOTSUPP;
	idev = ioasid_device_get(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	ioas = ioasid_ioas_get(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas)) {
		rc = PTR_ERR(ioas);
		goto out_put_dev;
	}
	mutex_lock(&ucmd->ictx->attach_lock);
	rc = attach_device(idev, ioas,
			   cmd->flags & IOASID_DEVICE_ATTACH_REPLACE);
	mutex_unlock(&ucmd->ictx->attach_lock);
	ioasid_put_object(&ioas->obj);
out_put_dev:
	ioasid_put_object(&idev->obj);
	return rc;
}

int ioasid_cmd_device_detach(struct ioasid_ucmd *ucmd)
{
	struct ioasid_device_detach *cmd = ucmd->cmd;
	struct ioasid_device *idev;
	int rc = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	idev = ioasid_device_get(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	mutex_lock(&ucmd->ictx->attach_lock);
	if (idev->attached)
		detach_device(idev);
	else
		rc = -EINVAL;
	mutex_unlock(&ucmd->ictx->attach_lock);
	ioasid_put_object(&idev->obj);
	return rc;
}

/**
 * ioasid_device_unbind() - undo ioasid_device_bind()
 * @idev: the device object; freed on return
 *
 * The device's DMA must be stopped already: it is detached, and its group
 * goes back to the kernel's DMA domain.
 */
void ioasid_device_unbind(struct ioasid_device *idev)
{
	struct ioasid_ctx *ictx = idev->ictx;

	mutex_lock(&ictx->attach_lock);
	idev->unbinding = true;
	if (idev->attached)
		detach_device(idev);
	mutex_unlock(&ictx->attach_lock);
	iommu_device_release_dma_owner(idev->dev);
	iommu_group_put(idev->group);
	ioasid_object_remove(ictx, &idev->obj);
}
