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
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "ioasid.h"

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

/**
 * ioasid_device_unbind() - undo ioasid_device_bind()
 * @idev: the device object; freed on return
 *
 * The device's DMA must be stopped already: its group goes back to the
 * kernel's DMA domain.
 */
void ioasid_device_unbind(struct ioasid_device *idev)
{
	iommu_device_release_dma_owner(idev->dev);
	iommu_group_put(idev->group);
	ioasid_object_remove(idev->ictx, &idev->obj);
}
