// SPDX-License-Identifier: GPL-2.0
/*
 * What a device's IOMMU offers it (IOASID_DEVICE_INFO), what all the
 * devices of an IOAS have in common (IOASID_IOAS_INFO), and what a context
 * holds (IOASID_OBJECTS, IOASID_IOAS_MAPPINGS).
 *
 * The device's backend tells the family, the capabilities, the PASID width,
 * the nesting formats and the raw registers.  The page sizes and the
 * aperture are those of the device's attached domain, or of a domain of its
 * own, learnt once per binding: they are what an IOAS gets for the device.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"

static void report_paging_of(const struct ioasid_paging *paging,
			     struct ioasid_device_info *cmd)
{
	cmd->out_caps |= IOASID_DEVICE_CAP_PAGING;
	cmd->out_pgsize_bitmap = paging->pgsize_bitmap;
	cmd->out_aperture_start = paging->aperture_start;
	cmd->out_aperture_last = paging->aperture_last;
}

static void paging_of(struct iommu_domain *domain, struct ioasid_paging *paging)
{
	paging->pgsize_bitmap = domain->pgsize_bitmap;
	paging->aperture_start = domain->geometry.aperture_start;
	paging->aperture_last = domain->geometry.aperture_end;
}

/*
 * Learn what a domain of the device's own maps: allocate one, and where the
 * driver settles it only at attach (VT-d narrows the aperture to the unit's
 * width and adds its superpages, virtio-iommu takes both from the device's
 * probe), attach the device's group to it for the question, which blocks
 * its DMA as the group's blocking domain does, and detach it again.
 */
static int learn_paging(struct ioasid_device *idev)
{
	struct iommu_domain *domain;
	int rc = 0;

	domain = ioasid_domain_alloc(idev);
	if (IS_ERR(domain))
		return PTR_ERR(domain);
	if (idev->settles_at_attach) {
		if (ioasid_should_fail())
			rc = -ENOMEM;
		else
			rc = idev->ops->set_domain(idev, domain, NULL);
	}
	if (!rc) {
		paging_of(domain, &idev->alone);
		if (idev->settles_at_attach)
			idev->ops->unset_domain(idev, domain);
	}
	ioasid_domain_free(domain);
	return rc;
}

/*
 * The page sizes and aperture of the device's paging domain, when it can
 * have one: those of the domain its group is attached to, or else those a
 * domain of its own has, learnt once per binding.
 */
static int report_paging(struct ioasid_device *idev,
			 struct ioasid_device_info *cmd)
{
	struct iommu_domain *domain = ioasid_device_domain(idev);
	struct ioasid_paging attached;
	int rc;

	if (domain) {
		paging_of(domain, &attached);
		report_paging_of(&attached, cmd);
		return 0;
	}
	if (!idev->alone.pgsize_bitmap) {
		rc = learn_paging(idev);
		if (rc)
			return rc == -EOPNOTSUPP ? 0 : rc;
	}
	report_paging_of(&idev->alone, cmd);
	return 0;
}

/**
 * ioasid_device_describe() - what a device's IOMMU offers it
 * @idev: the device; the caller holds idev->ictx->attach_lock
 * @info: filled in from out_family on; the rest is left alone
 *
 * Return: 0, or an errno of the backend or of the domain it gave.
 */
int ioasid_device_describe(struct ioasid_device *idev,
			   struct ioasid_device_info *info)
{
	int rc;

	lockdep_assert_held(&idev->ictx->attach_lock);

	rc = idev->ops->describe(idev, info);
	if (rc)
		return rc;
	return report_paging(idev, info);
}

int ioasid_cmd_device_info(struct ioasid_ucmd *ucmd)
{
	struct ioasid_device_info *cmd = ucmd->cmd;
	u32 room = cmd->num_resv_regions;
	u64 uptr = cmd->resv_regions;
	struct ioasid_iova_range *ranges = NULL;
	struct ioasid_device *idev;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved2)
		return -EINVAL;
	idev = ioasid_device_get(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	/* The caller's values of the out_ fields mean nothing. */
	*cmd = (struct ioasid_device_info){
		.size = ucmd->user_size,
		.dev_id = idev->obj.id,
		.resv_regions = uptr,
	};
	mutex_lock(&ucmd->ictx->attach_lock);
	rc = ioasid_device_describe(idev, cmd);
	mutex_unlock(&ucmd->ictx->attach_lock);
	if (!rc)
		ranges = ioasid_device_resv_ranges(idev, &cmd->num_resv_regions);
	/*
	 * Unbinding waits for this reference, so user memory (which may be a
	 * mapping of the device's own BAR) is written only once it is dropped.
	 */
	ioasid_put_object(&idev->obj);
	if (rc)
		return rc;
	if (IS_ERR(ranges))
		return PTR_ERR(ranges);
	if (copy_to_user(u64_to_user_ptr(uptr), ranges,
			 min(cmd->num_resv_regions, room) * sizeof(*ranges)))
		rc = -EFAULT;
	kfree(ranges);
	return rc ?: ioasid_ucmd_respond(ucmd);
}

/* Fold in what one attached device offers. */
static int ioas_add_device(struct ioasid_device *idev,
			   struct ioasid_ioas_info *cmd)
{
	struct ioasid_device_info info = {};
	u64 caps;
	int rc;

	rc = idev->ops->describe(idev, &info);
	if (rc)
		return rc;
	caps = info.out_caps | IOASID_DEVICE_CAP_PAGING;
	cmd->out_families |= BIT_ULL(info.out_family);
	if (!cmd->out_num_devices++) {
		cmd->out_caps = caps;
		cmd->out_max_pasid_log2 = info.out_max_pasid_log2;
		cmd->out_nesting_formats = info.out_nesting_formats;
		return 0;
	}
	cmd->out_caps &= caps;
	cmd->out_max_pasid_log2 = min(cmd->out_max_pasid_log2,
				      info.out_max_pasid_log2);
	cmd->out_nesting_formats &= info.out_nesting_formats;
	return 0;
}

/* Is @ipasid the first way its device is attached to @ioas? */
static bool pasid_brings_device(struct ioasid_ioas *ioas,
				struct ioasid_pasid *ipasid)
{
	struct ioasid_pasid *other;

	if (ioasid_device_ioas(ipasid->idev) == ioas)
		return false;
	ioasid_ioas_for_each_pasid(ioas, other) {
		if (other == ipasid)
			return true;
		if (other->idev == ipasid->idev)
			return false;
	}
	return true;
}

/*
 * The devices attached to @ioas, whole or by PASIDs, each once; the caller
 * holds the attach lock.
 */
static int ioas_report_devices(struct ioasid_ctx *ictx,
			       struct ioasid_ioas *ioas,
			       struct ioasid_ioas_info *cmd)
{
	struct ioasid_pasid *ipasid;
	struct ioasid_device *idev;
	int rc;

	lockdep_assert_held(&ictx->attach_lock);

	ioasid_ioas_for_each_device(ioas, idev) {
		rc = ioas_add_device(idev, cmd);
		if (rc)
			return rc;
	}
	ioasid_ioas_for_each_pasid(ioas, ipasid) {
		if (!pasid_brings_device(ioas, ipasid))
			continue;
		rc = ioas_add_device(ipasid->idev, cmd);
		if (rc)
			return rc;
	}
	return 0;
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
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->__reserved2)
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
	rc = ioas_report_devices(ucmd->ictx, ioas, cmd);
	if (!rc) {
		down_read(&ioas->iova_rwsem);
		ioas_report_hwpts(ioas, cmd);
		up_read(&ioas->iova_rwsem);
	}
	mutex_unlock(&ucmd->ictx->attach_lock);
	ioasid_put_object(&ioas->obj);
	return rc ?: ioasid_ucmd_respond(ucmd);
}

/* Entries described under a lock, then copied out without it. */
#define READ_BATCH 64

/*
 * Describe object @id of @ictx in @entry; false when it is none now, or of
 * no kind the uAPI knows.
 */
static bool describe_object(struct ioasid_ctx *ictx, unsigned long id,
			    struct ioasid_object_entry *entry)
{
	struct ioasid_object *obj;
	struct ioasid_ioas *ioas;

	obj = ioasid_get_object(ictx, id, IOASID_OBJ_ANY);
	if (IS_ERR(obj))
		return false;
	*entry = (struct ioasid_object_entry){ .id = id };
	switch (obj->type) {
	case IOASID_OBJ_IOAS:
		entry->kind = IOASID_OBJECT_IOAS;
		break;
	case IOASID_OBJ_DEVICE:
		entry->kind = IOASID_OBJECT_DEVICE;
		mutex_lock(&ictx->attach_lock);
		ioas = ioasid_device_ioas(container_of(obj,
						       struct ioasid_device,
						       obj));
		entry->attached_ioas_id = ioas ? ioas->obj.id : 0;
		mutex_unlock(&ictx->attach_lock);
		break;
	case IOASID_OBJ_NESTED:
		entry->kind = IOASID_OBJECT_HWPT;
		entry->attached_ioas_id = container_of(obj,
						       struct ioasid_nested,
						       obj)->ioas->obj.id;
		break;
	case IOASID_OBJ_FAULT:
		entry->kind = IOASID_OBJECT_FAULT;
		break;
	default:
		WARN_ON_ONCE(1);
		break;
	}
	ioasid_put_object(obj);
	return entry->kind;
}

int ioasid_cmd_objects(struct ioasid_ucmd *ucmd)
{
	struct ioasid_objects *cmd = ucmd->cmd;
	struct ioasid_object_entry __user *uptr = u64_to_user_ptr(cmd->objects);
	struct ioasid_object_entry *batch;
	unsigned long id = cmd->start_id;
	unsigned int done = 0, n;
	void *entry;
	int rc = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	batch = kmalloc_array(READ_BATCH, sizeof(*batch), GFP_KERNEL_ACCOUNT);
	if (!batch)
		return -ENOMEM;
	cmd->out_next_id = cmd->start_id;
	while (!rc && done < cmd->num_objects) {
		n = 0;
		xa_for_each_start(&ucmd->ictx->objects, id, entry, id) {
			if (n == READ_BATCH || done + n == cmd->num_objects)
				break;
			if (describe_object(ucmd->ictx, id, &batch[n]))
				n++;
			cond_resched();
		}
		if (!n)
			break;
		if (copy_to_user(uptr + done, batch, n * sizeof(*batch)))
			rc = -EFAULT;
		done += n;
		/* Ids stay below 2^31 (xa_limit_31b): this cannot wrap. */
		cmd->out_next_id = batch[n - 1].id + 1;
		id = cmd->out_next_id;
	}
	kfree(batch);
	if (rc)
		return rc;
	cmd->num_objects = done;
	return ioasid_ucmd_respond(ucmd);
}

int ioasid_cmd_ioas_mappings(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_mappings *cmd = ucmd->cmd;
	struct ioasid_mapping __user *uptr = u64_to_user_ptr(cmd->mappings);
	unsigned long next = cmd->start_iova;
	struct ioasid_mapping *batch;
	struct ioasid_ioas *ioas;
	unsigned int done = 0, n;
	int rc = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;
	batch = kmalloc_array(READ_BATCH, sizeof(*batch), GFP_KERNEL_ACCOUNT);
	if (!batch)
		return -ENOMEM;
	cmd->out_next_iova = cmd->start_iova;
	do {
		/* Not held while the caller's memory is written. */
		ioas = ioasid_ioas_get(ucmd->ictx, cmd->ioas_id);
		if (IS_ERR(ioas)) {
			rc = PTR_ERR(ioas);
			break;
		}
		rc = ioasid_ioas_read_mappings(ioas, next, batch,
					       min(cmd->num_mappings - done,
						   READ_BATCH), &next);
		ioasid_put_object(&ioas->obj);
		if (rc <= 0)
			break;
		n = rc;
		rc = 0;
		if (copy_to_user(uptr + done, batch, n * sizeof(*batch))) {
			rc = -EFAULT;
			break;
		}
		done += n;
		cmd->out_next_iova = next;
		cond_resched();
	} while (done < cmd->num_mappings && next);
	kfree(batch);
	if (rc)
		return rc;
	cmd->num_mappings = done;
	return ioasid_ucmd_respond(ucmd);
}
