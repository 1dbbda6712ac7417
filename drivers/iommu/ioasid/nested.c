// SPDX-License-Identifier: GPL-2.0
/*
 * Nested hwpts: a stage-1 table of the user's over the domain of an IOAS.
 *
 * A nested hwpt (struct ioasid_nested) is an object of the context made
 * for a device, in a format its IOMMU offers, on one of the IOAS's hwpts
 * whose domain the device's IOMMU can nest on: the first that the backend
 * accepts, or a new one filled with every area of the IOAS.  It is one of
 * that hwpt's users, so the stage-2 domain lives as long as it does, and
 * stays mapped and unmapped with the IOAS like any other.  Devices attach
 * to it through the attach paths of device.c, which keep them in the
 * IOAS's device list and among the stage-2 hwpt's users as well.
 *
 * The stage-1 table is the user's, in memory the IOAS maps: the backend
 * hands its address to the IOMMU, which reads it through stage 2.  Nothing
 * here reads it.
 *
 * Locking: creating and destroying a nested hwpt take the context's
 * attach_lock, then the IOAS's iova_rwsem for the stage-2 hwpt; the
 * members of a nested hwpt never change.
 */
#include <linux/iommu.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"

/* The largest format data or invalidation entry a backend may have. */
#define NESTED_MAX_DATA 64

/**
 * ioasid_device_check_format() - does a device's IOMMU offer a nesting
 *	format?
 * @idev: the device
 * @format: one enum ioasid_nesting_formats
 * @unmet: set to IOASID_UNMET_NESTING when it does not
 *
 * Return: 0 if it does, -EOPNOTSUPP if not, or the backend's errno.
 */
int ioasid_device_check_format(struct ioasid_device *idev, u32 format,
			       u64 *unmet)
{
	struct ioasid_device_info info = {};
	int rc;

	rc = idev->ops->describe(idev, &info);
	if (rc)
		return rc;
	if (info.out_nesting_formats & format)
		return 0;
	*unmet = IOASID_UNMET_NESTING;
	return -EOPNOTSUPP;
}

/**
 * ioasid_nested_get() - look up a nested hwpt of a context
 * @ictx: the context
 * @id: its object id
 *
 * Return: the hwpt with a reference (ioasid_put_object()), or an ERR_PTR:
 * -ENOENT no object @id, -EINVAL it is not a nested hwpt.
 */
struct ioasid_nested *ioasid_nested_get(struct ioasid_ctx *ictx, u32 id)
{
	struct ioasid_object *obj;

	obj = ioasid_get_object(ictx, id, IOASID_OBJ_NESTED);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct ioasid_nested, obj);
}

/*
 * Make @nested's domain on a hwpt of @ioas that @idev's IOMMU can nest
 * on: an existing one the backend accepts, or a new one.
 */
static int nested_domain_alloc(struct ioasid_nested *nested,
			       struct ioasid_ioas *ioas,
			       struct ioasid_device *idev, const void *data,
			       u32 len)
{
	const struct ioasid_device_ops *ops = idev->ops;
	struct iommu_domain *domain;
	struct ioasid_hwpt *hwpt;
	int rc;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	list_for_each_entry(hwpt, &ioas->hwpts, link) {
		if (!ioasid_hwpt_fits(hwpt, idev))
			continue;
		domain = ops->nested_alloc(idev, hwpt->domain, nested->format,
					   data, len);
		if (!IS_ERR(domain)) {
			hwpt->users++;
			goto out_done;
		}
		/* -EMEDIUMTYPE: the IOMMU cannot nest on that domain. */
		if (PTR_ERR(domain) != -EMEDIUMTYPE)
			return PTR_ERR(domain);
	}

	/* Filled before it is attached: see hw_pagetable.c. */
	if (idev->fill_after_attach)
		return -EOPNOTSUPP;
	hwpt = ioasid_hwpt_alloc(idev);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);
	rc = ioasid_hwpt_install(ioas, hwpt);
	if (rc) {
		ioasid_hwpt_free(hwpt);
		return rc;
	}
	domain = ops->nested_alloc(idev, hwpt->domain, nested->format, data,
				   len);
	if (IS_ERR(domain)) {
		ioasid_hwpt_put(ioas, hwpt);
		return PTR_ERR(domain) == -EMEDIUMTYPE ? -EINVAL :
							 PTR_ERR(domain);
	}
out_done:
	ioasid_count(IOASID_CNT_DOMAINS, 1);
	nested->domain = domain;
	nested->hwpt = hwpt;
	return 0;
}

/*
 * May @idev have a nested hwpt of @format on @ioas?  Its IOMMU must offer
 * the format, an enabled IOAS must have frozen it and take the device,
 * and its backend must drive the format.
 */
static int nested_check(struct ioasid_device *idev, struct ioasid_ioas *ioas,
			u32 format, u64 *unmet)
{
	int rc;

	rc = ioasid_ioas_check_device(ioas, idev, unmet) ?:
	     ioasid_device_check_format(idev, format, unmet);
	if (rc)
		return rc;
	if (ioas->features &&
	    le32_to_cpu(ioas->features->nesting_format) != format) {
		*unmet = IOASID_UNMET_NESTING;
		return -EOPNOTSUPP;
	}
	if (!idev->ops->nested_alloc || !idev->ops->nested_data_len(format))
		return -EOPNOTSUPP;
	return 0;
}

/*
 * Is @len bytes the data of @format for the backend of @idev?  The bytes
 * the backend does not know must be 0, as in a longer command struct.
 */
static int nested_check_data(struct ioasid_device *idev, u32 format,
			     const u8 *data, u32 len)
{
	u32 need = idev->ops->nested_data_len(format);

	if (WARN_ON(need > NESTED_MAX_DATA) || len < need)
		return -EINVAL;
	if (memchr_inv(data + need, 0, NESTED_MAX_DATA - need))
		return -E2BIG;
	return 0;
}

/*
 * Make the nested hwpt @cmd asks for, with the format's data at @data,
 * not published yet.
 */
static struct ioasid_object *nested_create(struct ioasid_ctx *ictx,
					   struct ioasid_hwpt_alloc *cmd,
					   struct ioasid_device *idev,
					   struct ioasid_ioas *ioas,
					   struct ioasid_object *fault,
					   const u8 *data)
{
	struct ioasid_nested *nested;
	struct ioasid_object *obj;
	int rc;

	obj = ioasid_object_alloc(ictx, sizeof(*nested), IOASID_OBJ_NESTED);
	if (IS_ERR(obj))
		return obj;
	nested = container_of(obj, struct ioasid_nested, obj);
	nested->ioas = ioas;
	nested->ops = idev->ops;
	nested->format = cmd->format;

	mutex_lock(&ictx->attach_lock);
	rc = nested_check(idev, ioas, cmd->format, &cmd->out_unmet) ?:
	     nested_check_data(idev, cmd->format, data, cmd->data_len);
	if (!rc) {
		down_write(&ioas->iova_rwsem);
		/* The bytes past NESTED_MAX_DATA were checked to be 0. */
		rc = nested_domain_alloc(nested, ioas, idev, data,
					 min_t(u32, cmd->data_len,
					       NESTED_MAX_DATA));
		up_write(&ioas->iova_rwsem);
	}
	if (!rc)
		list_add_tail(&nested->ioas_link, &ioas->nested);
	mutex_unlock(&ictx->attach_lock);
	if (rc) {
		ioasid_object_abort(ictx, obj);
		return ERR_PTR(rc);
	}

	refcount_inc(&ioas->obj.users);
	if (fault) {
		refcount_inc(&fault->users);
		nested->fault = container_of(fault, struct ioasid_fault_object,
					     obj)->queue;
		nested->fault_obj = fault;
	}
	ioasid_count(IOASID_CNT_NESTED, 1);
	return obj;
}

/* The objects HWPT_ALLOC names, with a reference each; -errno if not. */
static int hwpt_alloc_get(struct ioasid_ucmd *ucmd, struct ioasid_device **idev,
			  struct ioasid_ioas **ioas, struct ioasid_object **fault)
{
	struct ioasid_hwpt_alloc *cmd = ucmd->cmd;

	*idev = ioasid_device_get(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(*idev))
		return PTR_ERR(*idev);
	*ioas = ioasid_ioas_get(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(*ioas))
		goto out_put_dev;
	*fault = NULL;
	if (!cmd->fault_id)
		return 0;
	*fault = ioasid_get_object(ucmd->ictx, cmd->fault_id, IOASID_OBJ_FAULT);
	if (!IS_ERR(*fault))
		return 0;
	ioasid_put_object(&(*ioas)->obj);
	*ioas = ERR_CAST(*fault);
out_put_dev:
	ioasid_put_object(&(*idev)->obj);
	return PTR_ERR(*ioas);
}

int ioasid_cmd_hwpt_alloc(struct ioasid_ucmd *ucmd)
{
	struct ioasid_hwpt_alloc *cmd = ucmd->cmd;
	u8 data[NESTED_MAX_DATA];
	struct ioasid_object *fault, *obj;
	struct ioasid_device *idev;
	struct ioasid_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->__reserved2 || !cmd->format ||
	    cmd->format & (cmd->format - 1))
		return -EINVAL;
	/*
	 * The format's data, read before any object is held: no command
	 * holds a device across user memory (see device.c).
	 */
	rc = copy_struct_from_user(data, sizeof(data),
				   u64_to_user_ptr(cmd->data), cmd->data_len);
	if (rc)
		return rc;
	cmd->out_unmet = 0;
	rc = hwpt_alloc_get(ucmd, &idev, &ioas, &fault);
	if (rc)
		return rc;
	obj = nested_create(ucmd->ictx, cmd, idev, ioas, fault, data);
	if (fault)
		ioasid_put_object(fault);
	ioasid_put_object(&ioas->obj);
	ioasid_put_object(&idev->obj);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		/* A refusal says why. */
		if (rc == -EOPNOTSUPP)
			rc = ioasid_ucmd_respond(ucmd) ?: rc;
		return rc;
	}
	cmd->out_hwpt_id = obj->id;
	rc = ioasid_ucmd_respond(ucmd);
	if (rc) {
		ioasid_nested_destroy(obj);
		ioasid_object_abort(ucmd->ictx, obj);
		return rc;
	}
	ioasid_object_finalize(ucmd->ictx, obj);
	return 0;
}

/**
 * ioasid_nested_destroy() - free a nested hwpt no device is attached to
 * @obj: its object, out of the table
 */
void ioasid_nested_destroy(struct ioasid_object *obj)
{
	struct ioasid_nested *nested = container_of(obj, struct ioasid_nested,
						    obj);
	struct ioasid_ioas *ioas = nested->ioas;

	mutex_lock(&ioas->ictx->attach_lock);
	list_del(&nested->ioas_link);
	mutex_unlock(&ioas->ictx->attach_lock);
	/* Before its stage 2, which the hwpt's last user frees. */
	ioasid_domain_free(nested->domain);
	down_write(&ioas->iova_rwsem);
	ioasid_hwpt_put(ioas, nested->hwpt);
	up_write(&ioas->iova_rwsem);
	if (nested->fault_obj)
		ioasid_put_object(nested->fault_obj);
	ioasid_put_object(&ioas->obj);
	ioasid_count(IOASID_CNT_NESTED, -1);
}

/* Read entry @i of @cmd into @entry, @len bytes as the kernel knows it. */
static int invalidate_read_entry(struct ioasid_hwpt_invalidate *cmd, u32 i,
				 void *entry, u32 len, u32 *error)
{
	void __user *uptr = u64_to_user_ptr(cmd->entries) +
			    (u64)i * cmd->entry_len;
	int rc;

	rc = copy_struct_from_user(entry, len, uptr, cmd->entry_len);
	if (rc == -EFAULT)
		*error = IOASID_HWPT_INVALIDATE_ERR_READ;
	else if (rc)
		*error = IOASID_HWPT_INVALIDATE_ERR_FLAGS;
	return rc;
}

int ioasid_cmd_hwpt_invalidate(struct ioasid_ucmd *ucmd)
{
	struct ioasid_hwpt_invalidate *cmd = ucmd->cmd;
	u64 entry[NESTED_MAX_DATA / sizeof(u64)];
	struct ioasid_nested *nested;
	u32 i, len, error = IOASID_HWPT_INVALIDATE_OK;
	int rc = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->__reserved2)
		return -EINVAL;
	nested = ioasid_nested_get(ucmd->ictx, cmd->hwpt_id);
	if (IS_ERR(nested))
		return PTR_ERR(nested);
	len = nested->ops->nested_entry_len(nested->format);
	if (WARN_ON(len > sizeof(entry)) || cmd->entry_len < len) {
		ioasid_put_object(&nested->obj);
		return -EINVAL;
	}
	for (i = 0; i < cmd->entry_num; i++) {
		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			break;
		}
		rc = invalidate_read_entry(cmd, i, entry, len, &error);
		if (!rc)
			rc = nested->ops->nested_invalidate(nested->domain,
							    entry, &error);
		if (rc)
			break;
		cond_resched();
	}
	ioasid_put_object(&nested->obj);
	cmd->entry_num = i;
	cmd->out_error = error;
	return ioasid_ucmd_respond(ucmd) ?: rc;
}
