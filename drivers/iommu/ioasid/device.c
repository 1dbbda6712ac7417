// SPDX-License-Identifier: GPL-2.0
/*
 * Devices bound to a context, and their attachment to IO address spaces.
 *
 * A device bound to a context is an object of the context (struct
 * ioasid_device) for as long as the binding lasts.  Its backend (backends/)
 * binds it and does for it what its IOMMU does; what is common to every
 * backend is here: attaching, detaching and replacing, a whole group at a
 * time, and the end of the binding.
 *
 * The binder (the PCI device file) holds a reference on the object besides
 * the table's, so DESTROY cannot remove a bound device (-EBUSY); unbinding
 * removes it, in two steps so that the binder can reset the device between
 * them: quiesce (out of the table, commands done, detached) and release
 * (the group given back).  Since unbinding waits for the commands holding
 * the device, no command holds a device across an access to user memory,
 * which may fault into the device's own BAR mapping.  A mock device has
 * only the table's reference: DESTROY or the release of the file removes
 * it.
 *
 * Attaching.  The IOMMU translates a group as a whole, so a group is what
 * attaches to an IOAS (struct ioasid_group_attach): its first device to
 * attach brings it in, the others of the group may only join the same
 * IOAS, and the last to detach takes it out, back to the blocking domain
 * that DMA ownership gives it.  An attached group holds a reference on its
 * IOAS, so the IOAS cannot be destroyed under it (-EBUSY), and reserves its
 * reserved regions (MSI windows, ...) in it; a group whose regions hold a
 * mapping is refused with -EADDRINUSE.  Replace moves a group to another
 * IOAS in one step (iommu_group_replace_domain() for the IOMMU core), onto
 * a domain that holds every mapping of the new IOAS already: the group's
 * DMA is never untranslated, and never faults on what both IOASes map.
 * The exception is a driver that settles a domain only when it is first
 * attached (virtio-iommu on 6.12): a new domain for it is attached, then
 * filled, and its DMA faults until the fill is done.  Into an enabled IOAS only a
 * device that honours its frozen features may come (enable.c).
 *
 * Locking: ictx->attach_lock serializes attach, detach, replace and unbind,
 * and is taken before any iova_rwsem.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/slab.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"
#include "trace.h"

/**
 * struct ioasid_group_attach - an IOMMU group attached to an IOAS
 * @at: where it is attached
 * @devices: the group's devices attached
 */
struct ioasid_group_attach {
	struct ioasid_attach_point at;
	unsigned int devices;
};

/**
 * ioasid_device_alloc() - a new device object, for a backend to bind
 * @ictx: the context
 * @size: the size of the backend's struct, which embeds struct
 *	ioasid_device first
 * @ops: the backend
 *
 * The backend fills in the rest and publishes the object with
 * ioasid_object_finalize(), or frees it with ioasid_object_abort().
 *
 * Return: the zeroed device, or an ERR_PTR.
 */
struct ioasid_device *ioasid_device_alloc(struct ioasid_ctx *ictx, size_t size,
					  const struct ioasid_device_ops *ops)
{
	struct ioasid_device *idev;
	struct ioasid_object *obj;

	obj = ioasid_object_alloc(ictx, size, IOASID_OBJ_DEVICE);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	idev = container_of(obj, struct ioasid_device, obj);
	idev->ops = ops;
	idev->ictx = ictx;
	xa_init_flags(&idev->pasids, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	return idev;
}

/**
 * struct ioasid_bound_group - an IOMMU group with devices bound to a context
 * @devices: the number of them
 * @kernel_dma: enum ioasid_kernel_dma: what the group's DMA went through
 *	before the context took its first device
 */
struct ioasid_bound_group {
	unsigned int devices;
	u32 kernel_dma;
};

/**
 * ioasid_group_kernel_dma() - what the kernel's DMA of a bound group was
 * @ictx: the context; the caller holds its attach_lock
 * @group_id: the IOMMU group
 * @kernel_dma: set to the group's enum ioasid_kernel_dma
 *
 * A group the context owns is on the context's domains, so what the
 * kernel's own DMA of its devices went through is known only from the time
 * its first device was bound.
 *
 * Return: whether @ictx has a device of the group bound.
 */
bool ioasid_group_kernel_dma(struct ioasid_ctx *ictx, unsigned long group_id,
			     u32 *kernel_dma)
{
	struct ioasid_bound_group *bg;

	lockdep_assert_held(&ictx->attach_lock);

	bg = xa_load(&ictx->bound_groups, group_id);
	if (bg)
		*kernel_dma = bg->kernel_dma;
	return bg;
}

/**
 * ioasid_group_bind() - count a device of a group bound to a context
 * @ictx: the context; the caller holds its attach_lock
 * @group_id: the device's IOMMU group, whose DMA the context owns
 * @kernel_dma: enum ioasid_kernel_dma: what the group's DMA went through
 *	before, kept if this is the first device of the group
 *
 * Return: 0 or -ENOMEM.
 */
int ioasid_group_bind(struct ioasid_ctx *ictx, unsigned long group_id,
		      u32 kernel_dma)
{
	struct ioasid_bound_group *bg;
	int rc;

	lockdep_assert_held(&ictx->attach_lock);

	bg = xa_load(&ictx->bound_groups, group_id);
	if (bg) {
		bg->devices++;
		return 0;
	}
	bg = ioasid_kzalloc(sizeof(*bg));
	if (!bg)
		return -ENOMEM;
	bg->devices = 1;
	bg->kernel_dma = kernel_dma;
	rc = ioasid_should_fail() ? -ENOMEM :
	     xa_insert(&ictx->bound_groups, group_id, bg, GFP_KERNEL_ACCOUNT);
	if (rc)
		kfree(bg);
	return rc;
}

/**
 * ioasid_group_unbind() - a device of a group is no longer bound
 * @ictx: the context; the caller holds its attach_lock
 * @group_id: the device's IOMMU group, as given to ioasid_group_bind()
 */
void ioasid_group_unbind(struct ioasid_ctx *ictx, unsigned long group_id)
{
	struct ioasid_bound_group *bg;

	lockdep_assert_held(&ictx->attach_lock);

	bg = xa_load(&ictx->bound_groups, group_id);
	if (--bg->devices)
		return;
	xa_erase(&ictx->bound_groups, group_id);
	kfree(bg);
}

/**
 * ioasid_device_name() - how the log names a device
 * @idev: the device
 *
 * Return: the name of its struct device, or "mock".
 */
const char *ioasid_device_name(struct ioasid_device *idev)
{
	return idev->dev ? dev_name(idev->dev) : "mock";
}

/* Copy the regions of @regions an IOAS must keep out of into @out. */
static u32 resv_ranges_fill(struct list_head *regions,
			    struct ioasid_iova_range *out)
{
	struct iommu_resv_region *region;
	u32 n = 0;

	list_for_each_entry(region, regions, list) {
		/* Firmware mappings the OS may drop once it owns the device. */
		if (region->type == IOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		if (out) {
			out[n].start = region->start;
			out[n].last = region->start + region->length - 1;
		}
		n++;
	}
	return n;
}

/**
 * ioasid_device_resv_ranges() - the IOVAs an IOAS loses to a device
 * @idev: the device
 * @num: set to the number of ranges
 *
 * The reserved regions of the device's group (MSI windows, firmware
 * mappings the device keeps), but the firmware mappings the OS may drop
 * once it owns the device.
 *
 * Return: the @num ranges, to kfree(); NULL when there are none; or an
 * ERR_PTR.
 */
struct ioasid_iova_range *ioasid_device_resv_ranges(struct ioasid_device *idev,
						    u32 *num)
{
	struct ioasid_iova_range *ranges = NULL;
	LIST_HEAD(regions);
	int rc;

	if (ioasid_should_fail())
		return ERR_PTR(-ENOMEM);
	rc = idev->ops->get_resv_regions(idev, &regions);
	*num = rc ? 0 : resv_ranges_fill(&regions, NULL);
	if (*num) {
		ranges = ioasid_should_fail() ? NULL :
			 kcalloc(*num, sizeof(*ranges), GFP_KERNEL_ACCOUNT);
		if (ranges)
			resv_ranges_fill(&regions, ranges);
		else
			rc = -ENOMEM;
	}
	idev->ops->put_resv_regions(idev, &regions);
	return rc ? ERR_PTR(rc) : ranges;
}

/**
 * ioasid_device_sw_msi() - where a device's MSIs go through its domain
 * @idev: the device
 * @base: set to the base of the software-managed MSI window, if any
 *
 * An IOMMU that translates MSIs like any DMA (SMMUv3, virtio-iommu on
 * arm64) has the kernel map the interrupt controller's doorbells into
 * the device's domain, at a window its reserved regions name
 * (IOMMU_RESV_SW_MSI).
 *
 * Return: 1 when @idev has such a window, 0 when not, or an errno.
 */
int ioasid_device_sw_msi(struct ioasid_device *idev, dma_addr_t *base)
{
	struct iommu_resv_region *region;
	LIST_HEAD(regions);
	int rc;

	rc = idev->ops->get_resv_regions(idev, &regions);
	list_for_each_entry(region, &regions, list) {
		if (!rc && region->type == IOMMU_RESV_SW_MSI) {
			*base = region->start;
			rc = 1;
		}
	}
	idev->ops->put_resv_regions(idev, &regions);
	return rc;
}

/* Reserve in @ioas the reserved regions of @idev's group, for @owner. */
static int reserve_group_regions(struct ioasid_ioas *ioas,
				 struct ioasid_device *idev, const void *owner)
{
	struct ioasid_iova_range *ranges;
	u32 i, num;
	int rc = 0;

	ranges = ioasid_device_resv_ranges(idev, &num);
	if (IS_ERR(ranges))
		return PTR_ERR(ranges);
	for (i = 0; i < num && !rc; i++)
		rc = ioasid_ioas_reserve(ioas, owner, ranges[i].start,
					 ranges[i].last);
	kfree(ranges);
	if (rc)
		ioasid_ioas_unreserve(ioas, owner);
	return rc;
}

/*
 * Attach the group of @idev to @domain, or move it there from @old; with a
 * @pasid, only the device's DMA tagged with it.
 */
static int group_set_domain(struct ioasid_device *idev, u32 pasid,
			    struct iommu_domain *domain,
			    struct iommu_domain *old)
{
	/* The IOMMU driver allocates too (context entries, ...). */
	if (ioasid_should_fail())
		return -ENOMEM;
	if (pasid)
		return idev->ops->set_pasid(idev, pasid, domain, old);
	return idev->ops->set_domain(idev, domain, old);
}

/* Block the DMA of the group of @idev (or of its @pasid) on @domain. */
static void group_unset_domain(struct ioasid_device *idev, u32 pasid,
			       struct iommu_domain *domain)
{
	if (pasid)
		idev->ops->unset_pasid(idev, pasid, domain);
	else
		idev->ops->unset_domain(idev, domain);
}

/*
 * Move the group of @idev (or its @pasid) from @domain back to @old, where
 * it was; should that fail, or @old be NULL, it is blocked rather than left
 * on @domain.
 */
static void group_set_back(struct ioasid_device *idev, u32 pasid,
			   struct iommu_domain *domain,
			   struct iommu_domain *old)
{
	int rc = -EINVAL;

	if (old) {
		if (pasid)
			rc = idev->ops->set_pasid(idev, pasid, old, domain);
		else
			rc = idev->ops->set_domain(idev, old, domain);
		WARN_ON(rc);
	}
	if (rc)
		group_unset_domain(idev, pasid, domain);
}

/*
 * The group of @idev (or its @pasid) is attached to @hwpt, from @old:
 * reserve what the attach took out of the domain's aperture, or move it
 * back.  The driver may keep the domain narrowed after that (VT-d does):
 * then, until an attach narrows it again here, a MAP beyond it fails in the
 * driver rather than with -ERANGE; nothing is mapped there either way.
 */
static int hwpt_attached(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt,
			 struct ioasid_device *idev, u32 pasid,
			 struct iommu_domain *old)
{
	int rc = ioasid_hwpt_narrow_aperture(ioas, hwpt);

	if (rc)
		group_set_back(idev, pasid, hwpt->domain, old);
	return rc;
}

/*
 * Fill the new @hwpt with every area of @ioas, then move the group of @idev
 * onto it: from @old in one step, its DMA never sees a partial domain.
 */
static int hwpt_fill_then_attach(struct ioasid_ioas *ioas,
				 struct ioasid_hwpt *hwpt,
				 struct ioasid_device *idev, u32 pasid,
				 struct iommu_domain *old)
{
	int rc;

	rc = ioasid_hwpt_install(ioas, hwpt);
	if (rc)
		return rc;
	rc = group_set_domain(idev, pasid, hwpt->domain, old);
	if (!rc)
		rc = hwpt_attached(ioas, hwpt, idev, pasid, old);
	if (rc)
		ioasid_hwpt_uninstall(ioas, hwpt);
	return rc;
}

/*
 * For a driver that settles a domain only at its first attach (see
 * fill_after_attach in struct ioasid_device): attach, then fill.  DMA to
 * what is not filled yet faults meanwhile.
 */
static int hwpt_attach_then_fill(struct ioasid_ioas *ioas,
				 struct ioasid_hwpt *hwpt,
				 struct ioasid_device *idev, u32 pasid,
				 struct iommu_domain *old)
{
	int rc;

	rc = group_set_domain(idev, pasid, hwpt->domain, old);
	if (rc)
		return rc;
	rc = ioasid_hwpt_install(ioas, hwpt);
	if (rc)
		group_set_back(idev, pasid, hwpt->domain, old);
	return rc;
}

/*
 * Put the group of @idev (or its @pasid) on a hwpt of @ioas: one it shares
 * if the IOMMU driver accepts it there, else a new one.  With @old the
 * group is attached to that domain, and moves in one step.
 */
static struct ioasid_hwpt *ioas_take_group(struct ioasid_ioas *ioas,
					   struct ioasid_device *idev,
					   u32 pasid, struct iommu_domain *old)
{
	struct ioasid_hwpt *hwpt;
	int rc;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	list_for_each_entry(hwpt, &ioas->hwpts, link) {
		if (!ioasid_hwpt_fits(hwpt, idev))
			continue;
		rc = group_set_domain(idev, pasid, hwpt->domain, old);
		if (!rc)
			rc = hwpt_attached(ioas, hwpt, idev, pasid, old);
		if (!rc) {
			hwpt->users++;
			return hwpt;
		}
		/* -EINVAL: the IOMMU cannot use that domain; try another. */
		if (rc != -EINVAL)
			return ERR_PTR(rc);
	}

	hwpt = ioasid_hwpt_alloc(idev);
	if (IS_ERR(hwpt))
		return hwpt;
	if (idev->fill_after_attach)
		rc = hwpt_attach_then_fill(ioas, hwpt, idev, pasid, old);
	else
		rc = hwpt_fill_then_attach(ioas, hwpt, idev, pasid, old);
	if (rc) {
		ioasid_hwpt_free(hwpt);
		return ERR_PTR(rc);
	}
	return hwpt;
}

/*
 * Put the group of @idev (or its @pasid) on @nested, whose stage 2 its
 * IOMMU must be able to use; with @old, from that domain in one step.
 */
static struct ioasid_hwpt *nested_take_group(struct ioasid_nested *nested,
					     struct ioasid_device *idev,
					     u32 pasid, struct iommu_domain *old)
{
	struct ioasid_hwpt *hwpt = nested->hwpt;
	int rc;

	lockdep_assert_held_write(&nested->ioas->iova_rwsem);

	if (!ioasid_hwpt_fits(hwpt, idev))
		return ERR_PTR(-EINVAL);
	rc = group_set_domain(idev, pasid, nested->domain, old);
	if (rc)
		return ERR_PTR(rc);
	hwpt->users++;
	refcount_inc(&nested->obj.users);
	return hwpt;
}

/*
 * Bring the group of @idev (or its @pasid), attached at @at, to @nested or
 * else into @ioas, in one step from where it is (if anywhere), and set @at
 * to where it went; nothing changes on failure.  Coming into another IOAS,
 * its reserved regions are reserved there, owned by @at, and the IOAS
 * referenced; moving within the IOAS, it keeps both.
 */
static int point_enter(struct ioasid_attach_point *at, struct ioasid_ioas *ioas,
		       struct ioasid_nested *nested, struct ioasid_device *idev,
		       u32 pasid)
{
	struct iommu_domain *old = at->ioas ? ioasid_point_domain(at) : NULL;
	bool within = at->ioas == ioas;
	struct ioasid_hwpt *hwpt = NULL;
	int rc = 0;

	down_write(&ioas->iova_rwsem);
	if (!within)
		rc = reserve_group_regions(ioas, idev, at);
	if (!rc) {
		if (nested)
			hwpt = nested_take_group(nested, idev, pasid, old);
		else
			hwpt = ioas_take_group(ioas, idev, pasid, old);
		rc = PTR_ERR_OR_ZERO(hwpt);
		if (rc && !within)
			ioasid_ioas_unreserve(ioas, at);
	}
	up_write(&ioas->iova_rwsem);
	if (rc)
		return rc;
	if (!within)
		refcount_inc(&ioas->obj.users);
	at->ioas = ioas;
	at->hwpt = hwpt;
	at->nested = nested;
	return 0;
}

/*
 * Take the group of @idev (or its @pasid) off @from, where it was attached
 * at @at: with @detach its DMA is blocked, else it moved to where @at is
 * now.  What it leaves behind no longer waits for an answer to its page
 * requests.
 */
static void point_leave(struct ioasid_attach_point *at,
			const struct ioasid_attach_point *from,
			struct ioasid_device *idev, u32 pasid, bool detach)
{
	bool within = !detach && at->ioas == from->ioas;
	struct ioasid_ioas *ioas = from->ioas;

	down_write(&ioas->iova_rwsem);
	if (detach)
		group_unset_domain(idev, pasid, ioasid_point_domain(from));
	ioasid_hwpt_put(ioas, from->hwpt);
	if (!within)
		ioasid_ioas_unreserve(ioas, at);
	up_write(&ioas->iova_rwsem);
	if (from->nested) {
		/* A PASID leaves for its device; else the whole group does. */
		if (from->nested->fault)
			ioasid_fault_cancel(from->nested->fault, idev, pasid,
					    !pasid);
		ioasid_put_object(&from->nested->obj);
	}
	if (!within)
		ioasid_put_object(&ioas->obj);
}

static int group_attach(struct ioasid_device *idev, struct ioasid_ioas *ioas,
			struct ioasid_nested *nested)
{
	struct ioasid_ctx *ictx = idev->ictx;
	struct ioasid_group_attach *ga;
	int rc;

	ga = ioasid_kzalloc(sizeof(*ga));
	if (!ga)
		return -ENOMEM;
	if (ioasid_should_fail())
		rc = -ENOMEM;
	else
		rc = xa_insert(&ictx->groups, idev->group_id, ga,
			       GFP_KERNEL_ACCOUNT);
	if (!rc) {
		rc = point_enter(&ga->at, ioas, nested, idev, 0);
		if (rc)
			xa_erase(&ictx->groups, idev->group_id);
	}
	if (rc) {
		kfree(ga);
		return rc;
	}
	ga->devices = 1;
	return 0;
}

static int group_replace(struct ioasid_group_attach *ga,
			 struct ioasid_device *idev, struct ioasid_ioas *ioas,
			 struct ioasid_nested *nested)
{
	struct ioasid_attach_point from = ga->at;
	struct ioasid_device *other, *tmp;
	int rc;

	rc = point_enter(&ga->at, ioas, nested, idev, 0);
	if (rc)
		return rc;
	if (from.ioas != ioas)
		list_for_each_entry_safe(other, tmp, &from.ioas->devices,
					 ioas_link)
			if (other->group_id == idev->group_id)
				list_move_tail(&other->ioas_link,
					       &ioas->devices);
	point_leave(&ga->at, &from, idev, 0, false);
	return 0;
}

/* The attachment of the group of @idev, or NULL; under the attach lock. */
static struct ioasid_group_attach *device_group_attach(struct ioasid_device *idev)
{
	lockdep_assert_held(&idev->ictx->attach_lock);
	return xa_load(&idev->ictx->groups, idev->group_id);
}

/*
 * May @idev come to @nested, or else into @ioas?  An enabled IOAS must take
 * it, and its IOMMU must offer the nested hwpt's format.
 */
static int check_device(struct ioasid_device *idev, struct ioasid_ioas *ioas,
			struct ioasid_nested *nested, u64 *unmet)
{
	int rc = ioasid_ioas_check_device(ioas, idev, unmet);

	if (rc || !nested)
		return rc;
	return ioasid_device_check_format(idev, nested->format, unmet);
}

/*
 * May the group of @idev, attached through @ga, move to @nested or @ioas?
 * Every device of it attached moves with it.
 */
static int check_group(struct ioasid_device *idev,
		       struct ioasid_group_attach *ga, struct ioasid_ioas *ioas,
		       struct ioasid_nested *nested, u64 *unmet)
{
	struct ioasid_device *other;
	int rc;

	ioasid_ioas_for_each_device(ga->at.ioas, other) {
		if (other->group_id != idev->group_id)
			continue;
		rc = check_device(other, ioas, nested, unmet);
		if (rc)
			return rc;
	}
	return 0;
}

static bool point_is(const struct ioasid_attach_point *at,
		     struct ioasid_ioas *ioas, struct ioasid_nested *nested)
{
	return at->ioas == ioas && at->nested == nested;
}

static int attach_device(struct ioasid_device *idev, struct ioasid_ioas *ioas,
			 struct ioasid_nested *nested, bool replace, u64 *unmet)
{
	struct ioasid_group_attach *ga;
	int rc;

	lockdep_assert_held(&idev->ictx->attach_lock);

	ga = device_group_attach(idev);
	if (idev->attached) {
		if (!replace)
			return -EBUSY;
		if (point_is(&ga->at, ioas, nested))
			return 0;
		return check_group(idev, ga, ioas, nested, unmet) ?:
		       group_replace(ga, idev, ioas, nested);
	}
	/* Another device of the group is attached: to the same place only. */
	if (ga && !point_is(&ga->at, ioas, nested))
		return -EINVAL;
	rc = check_device(idev, ioas, nested, unmet);
	if (rc)
		return rc;
	if (ga) {
		ga->devices++;
	} else {
		rc = group_attach(idev, ioas, nested);
		if (rc)
			return rc;
	}
	idev->attached = true;
	list_add_tail(&idev->ioas_link, &ioas->devices);
	return 0;
}

static void detach_device(struct ioasid_device *idev)
{
	struct ioasid_ctx *ictx = idev->ictx;
	struct ioasid_group_attach *ga;
	struct ioasid_attach_point from;

	ga = device_group_attach(idev);
	idev->attached = false;
	list_del(&idev->ioas_link);
	if (--ga->devices) {
		/* The group stays; the device waits for nothing any more. */
		if (ga->at.nested && ga->at.nested->fault)
			ioasid_fault_cancel(ga->at.nested->fault, idev, 0,
					    false);
		return;
	}
	xa_erase(&ictx->groups, idev->group_id);
	from = ga->at;
	point_leave(&ga->at, &from, idev, 0, true);
	kfree(ga);
}

/*
 * May @pasid of @idev attach to @nested or @ioas?  The device must have
 * PASIDs, and an enabled IOAS must have promised them.
 */
static int check_pasid(struct ioasid_device *idev, struct ioasid_ioas *ioas,
		       struct ioasid_nested *nested, u32 pasid, u64 *unmet)
{
	int rc;

	if (!idev->max_pasid_log2 || !idev->ops->set_pasid) {
		*unmet = IOASID_UNMET_PASID;
		pr_info_ratelimited("ioasid: %s has no PASIDs to attach\n",
				    ioasid_device_name(idev));
		return -EOPNOTSUPP;
	}
	if (!pasid || pasid >> idev->max_pasid_log2)
		return -EINVAL;
	rc = ioasid_ioas_check_pasid(ioas, idev, pasid, unmet);
	if (rc || !nested)
		return rc;
	return ioasid_device_check_format(idev, nested->format, unmet);
}

/* Attach @pasid of @idev, which nothing uses, to @nested or @ioas. */
static int pasid_attach(struct ioasid_device *idev, u32 pasid,
			struct ioasid_ioas *ioas, struct ioasid_nested *nested)
{
	struct ioasid_pasid *ipasid;
	int rc;

	ipasid = ioasid_kzalloc(sizeof(*ipasid));
	if (!ipasid)
		return -ENOMEM;
	ipasid->idev = idev;
	ipasid->pasid = pasid;
	rc = ioasid_should_fail() ? -ENOMEM :
	     xa_insert(&idev->pasids, pasid, ipasid, GFP_KERNEL_ACCOUNT);
	if (rc)
		goto out_free;
	rc = point_enter(&ipasid->at, ioas, nested, idev, pasid);
	if (rc) {
		xa_erase(&idev->pasids, pasid);
		goto out_free;
	}
	list_add_tail(&ipasid->ioas_link, &ioas->pasids);
	ioasid_count(IOASID_CNT_PASIDS, 1);
	return 0;

out_free:
	kfree(ipasid);
	return rc;
}

/* Move @ipasid to @nested or @ioas in one step, where the backend can. */
static int pasid_replace(struct ioasid_pasid *ipasid, struct ioasid_ioas *ioas,
			 struct ioasid_nested *nested)
{
	struct ioasid_attach_point from = ipasid->at;
	int rc;

	rc = point_enter(&ipasid->at, ioas, nested, ipasid->idev,
			 ipasid->pasid);
	if (rc)
		return rc;
	if (from.ioas != ioas)
		list_move_tail(&ipasid->ioas_link, &ioas->pasids);
	point_leave(&ipasid->at, &from, ipasid->idev, ipasid->pasid, false);
	return 0;
}

static void pasid_detach(struct ioasid_pasid *ipasid)
{
	struct ioasid_attach_point from = ipasid->at;

	xa_erase(&ipasid->idev->pasids, ipasid->pasid);
	list_del(&ipasid->ioas_link);
	point_leave(&ipasid->at, &from, ipasid->idev, ipasid->pasid, true);
	kfree(ipasid);
	ioasid_count(IOASID_CNT_PASIDS, -1);
}

static int attach_device_pasid(struct ioasid_device *idev,
			       struct ioasid_ioas *ioas,
			       struct ioasid_nested *nested, u32 pasid,
			       bool replace, u64 *unmet)
{
	struct ioasid_pasid *ipasid;
	int rc;

	lockdep_assert_held(&idev->ictx->attach_lock);

	ipasid = pasid ? xa_load(&idev->pasids, pasid) : NULL;
	/* A process is bound with it (or its binding is ending). */
	if (ipasid && (!ipasid->at.ioas || !replace))
		return -EBUSY;
	if (ipasid && point_is(&ipasid->at, ioas, nested))
		return 0;
	rc = check_pasid(idev, ioas, nested, pasid, unmet);
	if (rc)
		return rc;
	if (!ipasid)
		return pasid_attach(idev, pasid, ioas, nested);
	return pasid_replace(ipasid, ioas, nested);
}

/* Detach every PASID of @idev attached to an IOAS. */
static void detach_device_pasids(struct ioasid_device *idev)
{
	struct ioasid_pasid *ipasid;
	unsigned long pasid;

	lockdep_assert_held(&idev->ictx->attach_lock);

	xa_for_each(&idev->pasids, pasid, ipasid)
		if (ipasid->at.ioas)
			pasid_detach(ipasid);
}

/**
 * ioasid_device_sva_bind() - bind a process's address space to a device
 * @idev: the device, which the caller keeps bound (sva.c: its share is
 *	busy)
 * @mm: the address space, which the caller keeps
 *
 * Return: the PASID of the binding, or an ERR_PTR: -ENOSPC no free PASID,
 * -ENOMEM, or the backend's errno.
 */
struct ioasid_pasid *ioasid_device_sva_bind(struct ioasid_device *idev,
					    struct mm_struct *mm)
{
	struct xa_limit limit = XA_LIMIT(1, (1U << idev->max_pasid_log2) - 1);
	struct ioasid_ctx *ictx = idev->ictx;
	struct ioasid_pasid *ipasid;
	u32 free, pasid;
	void *cookie;
	int rc;

	ipasid = ioasid_kzalloc(sizeof(*ipasid));
	if (!ipasid)
		return ERR_PTR(-ENOMEM);
	mutex_lock(&ictx->attach_lock);
	/* Reserve a free PASID, which the backend may take. */
	rc = ioasid_should_fail() ? -ENOMEM :
	     xa_alloc(&idev->pasids, &free, NULL, limit, GFP_KERNEL_ACCOUNT);
	if (rc == -EBUSY)
		rc = -ENOSPC;
	if (rc)
		goto out_unlock;
	pasid = free;
	cookie = idev->ops->sva_bind(idev, mm, &pasid);
	if (IS_ERR(cookie)) {
		rc = PTR_ERR(cookie);
		xa_release(&idev->pasids, free);
		goto out_unlock;
	}
	ipasid->idev = idev;
	ipasid->pasid = pasid;
	ipasid->mm = mm;
	ipasid->cookie = cookie;
	if (pasid == free) {
		xa_store(&idev->pasids, pasid, ipasid, GFP_KERNEL_ACCOUNT);
	} else {
		/* The backend chose: the address space's own PASID. */
		xa_release(&idev->pasids, free);
		rc = xa_insert(&idev->pasids, pasid, ipasid, GFP_KERNEL_ACCOUNT);
		if (rc) {
			mutex_unlock(&ictx->attach_lock);
			/* With no lock held: see ioasid_device_sva_unbind(). */
			idev->ops->sva_unbind(idev, cookie);
			kfree(ipasid);
			return ERR_PTR(rc);
		}
	}
	mutex_unlock(&ictx->attach_lock);
	ioasid_count(IOASID_CNT_PASIDS, 1);
	return ipasid;

out_unlock:
	mutex_unlock(&ictx->attach_lock);
	kfree(ipasid);
	return ERR_PTR(rc);
}

/**
 * ioasid_device_sva_unbind() - end a binding ioasid_device_sva_bind() made
 * @ipasid: the binding's PASID; freed on return
 *
 * The device's DMA with the PASID is stopped, and the PASID free.  The
 * backend unbinds with no lock of ours held: an IOMMU driver may wait for
 * the page faults of the PASID, whose handling may drop the last user of
 * an address space, whose release takes ioasid_sva_lock (sva.c).  The
 * PASID stays taken meanwhile: blocked, and refused to an attach.
 */
void ioasid_device_sva_unbind(struct ioasid_pasid *ipasid)
{
	struct ioasid_device *idev = ipasid->idev;

	mutex_lock(&idev->ictx->attach_lock);
	ipasid->mm = NULL;
	mutex_unlock(&idev->ictx->attach_lock);
	idev->ops->sva_unbind(idev, ipasid->cookie);
	mutex_lock(&idev->ictx->attach_lock);
	xa_erase(&idev->pasids, ipasid->pasid);
	mutex_unlock(&idev->ictx->attach_lock);
	kfree(ipasid);
	ioasid_count(IOASID_CNT_PASIDS, -1);
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
	return device_group_attach(idev)->at.ioas;
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

	return ga ? ga->at.hwpt->domain : NULL;
}

/**
 * ioasid_device_point() - where a device's untagged DMA goes
 * @idev: the device; the caller holds idev->ictx->attach_lock
 *
 * Return: where its group is attached (through this device or another of
 * the group), or NULL when it is not.
 */
const struct ioasid_attach_point *ioasid_device_point(struct ioasid_device *idev)
{
	struct ioasid_group_attach *ga = device_group_attach(idev);

	return ga ? &ga->at : NULL;
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

static int attach_cmd(struct ioasid_ucmd *ucmd)
{
	struct ioasid_device_attach *cmd = ucmd->cmd;
	struct ioasid_nested *nested = NULL;
	struct ioasid_object *obj;
	struct ioasid_device *idev;
	struct ioasid_ioas *ioas;
	int rc;

	cmd->out_unmet = 0;
	if (cmd->flags & ~(IOASID_DEVICE_ATTACH_REPLACE |
			   IOASID_DEVICE_ATTACH_PASID))
		return -EOPNOTSUPP;
	if (cmd->__reserved ||
	    (cmd->pasid && !(cmd->flags & IOASID_DEVICE_ATTACH_PASID)))
		return -EINVAL;
	idev = ioasid_device_get(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	obj = ioasid_get_object(ucmd->ictx, cmd->ioas_id, IOASID_OBJ_ANY);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		goto out_put_dev;
	}
	if (obj->type == IOASID_OBJ_NESTED) {
		nested = container_of(obj, struct ioasid_nested, obj);
		ioas = nested->ioas;
	} else if (obj->type == IOASID_OBJ_IOAS) {
		ioas = container_of(obj, struct ioasid_ioas, obj);
	} else {
		rc = -EINVAL;
		goto out_put_obj;
	}
	mutex_lock(&ucmd->ictx->attach_lock);
	if (cmd->flags & IOASID_DEVICE_ATTACH_PASID)
		rc = attach_device_pasid(idev, ioas, nested, cmd->pasid,
					 cmd->flags & IOASID_DEVICE_ATTACH_REPLACE,
					 &cmd->out_unmet);
	else
		rc = attach_device(idev, ioas, nested,
				   cmd->flags & IOASID_DEVICE_ATTACH_REPLACE,
				   &cmd->out_unmet);
	mutex_unlock(&ucmd->ictx->attach_lock);
	ioasid_put_object(obj);
	ioasid_put_object(&idev->obj);
	/* No reference is held across user memory: see ioasid_object_take(). */
	if (!rc || rc == -EOPNOTSUPP)
		rc = ioasid_ucmd_respond(ucmd) ?: rc;
	return rc;

out_put_obj:
	ioasid_put_object(obj);
out_put_dev:
	ioasid_put_object(&idev->obj);
	return rc;
}

int ioasid_cmd_device_attach(struct ioasid_ucmd *ucmd)
{
	int rc = attach_cmd(ucmd);

	trace_ioasid_device_attach(ucmd->cmd, rc);
	return rc;
}

static int detach_cmd(struct ioasid_ucmd *ucmd)
{
	struct ioasid_device_detach *cmd = ucmd->cmd;
	struct ioasid_pasid *ipasid;
	struct ioasid_device *idev;
	int rc = 0;

	if (cmd->flags & ~IOASID_DEVICE_DETACH_PASID)
		return -EOPNOTSUPP;
	if (cmd->pasid && !(cmd->flags & IOASID_DEVICE_DETACH_PASID))
		return -EINVAL;
	idev = ioasid_device_get(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	mutex_lock(&ucmd->ictx->attach_lock);
	if (cmd->flags & IOASID_DEVICE_DETACH_PASID) {
		ipasid = xa_load(&idev->pasids, cmd->pasid);
		if (ipasid && ipasid->at.ioas)
			pasid_detach(ipasid);
		else
			rc = -EINVAL;
	} else if (idev->attached) {
		detach_device(idev);
	} else {
		rc = -EINVAL;
	}
	mutex_unlock(&ucmd->ictx->attach_lock);
	ioasid_put_object(&idev->obj);
	return rc;
}

int ioasid_cmd_device_detach(struct ioasid_ucmd *ucmd)
{
	int rc = detach_cmd(ucmd);

	trace_ioasid_device_detach(ucmd->cmd, rc);
	return rc;
}

/*
 * End every binding of processes to @idev, detach its PASIDs, and detach
 * it if it is attached: all of its DMA is blocked then.
 */
static void device_detach_if_attached(struct ioasid_device *idev)
{
	ioasid_sva_unshare_device(idev);
	mutex_lock(&idev->ictx->attach_lock);
	detach_device_pasids(idev);
	if (idev->attached)
		detach_device(idev);
	mutex_unlock(&idev->ictx->attach_lock);
	WARN_ON(!xa_empty(&idev->pasids));
	xa_destroy(&idev->pasids);
}

/**
 * ioasid_device_destroy() - detach and unbind a device
 * @obj: the device's object, out of the table, which no command holds
 *
 * The device's DMA must be stopped already: it is detached, and its backend
 * gives back what binding took.
 */
void ioasid_device_destroy(struct ioasid_object *obj)
{
	struct ioasid_device *idev = container_of(obj, struct ioasid_device,
						  obj);

	device_detach_if_attached(idev);
	idev->ops->unbind(idev);
}

/**
 * ioasid_device_quiesce() - the first step of unbinding a device its binder
 *	holds
 * @idev: the device, from ioasid_iommu_device_bind()
 *
 * Takes the device out of its context, waits for the commands working on
 * it, and detaches it.  The context still owns the device's group, whose
 * DMA is blocked now (or still goes through the IOAS other devices of the
 * group are attached to), so the binder can reset the device before
 * ioasid_device_release() gives the group back.  The caller must hold no
 * lock that a command on the device may wait for (see
 * ioasid_object_take()).
 */
void ioasid_device_quiesce(struct ioasid_device *idev)
{
	ioasid_object_take(idev->ictx, &idev->obj);
	device_detach_if_attached(idev);
}

/**
 * ioasid_device_release() - the end of unbinding a device its binder holds
 * @idev: the device, after ioasid_device_quiesce(); freed on return
 *
 * Gives the device's group back to the kernel.
 */
void ioasid_device_release(struct ioasid_device *idev)
{
	WARN_ON(!refcount_dec_if_one(&idev->obj.users));
	idev->ops->unbind(idev);
	ioasid_object_free(&idev->obj);
}

/**
 * ioasid_kernel_device_bind() - bind a device of an IOMMU group whose DMA
 *	ownership another owner holds, for a kernel user
 * @ictx: the context
 * @dev: the device; its group's DMA ownership is held (by VFIO) for as long
 *	as it is bound
 * @dev_id: set to the device's id in the context
 *
 * Binding changes the context: it is refused, as a command, when another
 * process owns it.
 *
 * Return: the device, with a reference for the caller, to give back to
 * ioasid_kernel_device_unbind(); or an ERR_PTR, as
 * ioasid_iommu_owned_device_bind() or -EPERM, -EINTR as ownership gives.
 */
struct ioasid_device *ioasid_kernel_device_bind(struct ioasid_ctx *ictx,
						struct device *dev, u32 *dev_id)
{
	struct ioasid_device *idev;
	int rc;

	rc = ioasid_ctx_begin_change(ictx);
	if (rc)
		return ERR_PTR(rc);
	idev = ioasid_iommu_owned_device_bind(ictx, dev);
	ioasid_ctx_end_change(ictx);
	if (!IS_ERR(idev))
		*dev_id = idev->obj.id;
	return idev;
}
EXPORT_SYMBOL_NS_GPL(ioasid_kernel_device_bind, IOASID);

/**
 * ioasid_kernel_device_unbind() - unbind a device ioasid_kernel_device_bind()
 *	bound
 * @idev: the device; freed on return
 *
 * The device is detached: its group's DMA is blocked, for its owner to
 * take back.
 */
void ioasid_kernel_device_unbind(struct ioasid_device *idev)
{
	ioasid_device_quiesce(idev);
	ioasid_device_release(idev);
}
EXPORT_SYMBOL_NS_GPL(ioasid_kernel_device_unbind, IOASID);
