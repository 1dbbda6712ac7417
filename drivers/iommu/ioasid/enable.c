// SPDX-License-Identifier: GPL-2.0
/*
 * Enabling an IOAS: checking that its devices honour a set of features, and
 * freezing the set (IOASID_IOAS_ENABLE, IOASID_IOAS_FEATURES).
 *
 * The features are a struct ioasid_features, kept as the caller gave it
 * once checked: it is also the migration descriptor, read back byte for
 * byte.  A device honours them when what ioasid_device_describe() reports
 * of it covers them; an IOAS honours them when every attached device does,
 * and every required IOVA range is allowed and free of reserved regions.
 * After ENABLE, a device attaches only if it honours them and none of its
 * reserved regions falls in a required range, and ALLOW_IOVAS may not leave
 * a required range out: so the IOAS keeps honouring what it froze.
 *
 * Locking: ENABLE holds the context's attach_lock while it checks the
 * devices, so none comes or goes meanwhile, and sets ioas->features with
 * the IOAS's iova_rwsem held for writing too.
 */
#include <linux/device.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"
#include "trace.h"

#define IOASID_KNOWN_CAPS (IOASID_DEVICE_CAP_PAGING |                       \
			   IOASID_DEVICE_CAP_COHERENT |                     \
			   IOASID_DEVICE_CAP_ENFORCE_COHERENT |             \
			   IOASID_DEVICE_CAP_ISOLATED_MSI |                 \
			   IOASID_DEVICE_CAP_DIRTY_TRACKING)
#define IOASID_KNOWN_NESTING_FORMATS (IOASID_NESTING_VTD_S1 | \
				      IOASID_NESTING_MOCK_S1)

static void range_of(const struct ioasid_features *features, unsigned int i,
		     u64 *start, u64 *last)
{
	*start = le64_to_cpu(features->iova_ranges[i].start);
	*last = le64_to_cpu(features->iova_ranges[i].last);
}

static bool ranges_valid(const struct ioasid_features *features)
{
	unsigned int n = le16_to_cpu(features->num_iova_ranges);
	u64 start, last, prev_last = 0;
	unsigned int i;

	if (n > IOASID_FEATURES_MAX_RANGES)
		return false;
	for (i = 0; i < IOASID_FEATURES_MAX_RANGES; i++) {
		range_of(features, i, &start, &last);
		if (i >= n) {
			if (start || last)
				return false;
			continue;
		}
		if (start > last || !IS_ALIGNED(start, SZ_4K) ||
		    !IS_ALIGNED(last + 1, SZ_4K) || (i && start <= prev_last))
			return false;
		prev_last = last;
	}
	return true;
}

static bool features_valid(const struct ioasid_features *features)
{
	u32 nesting = le32_to_cpu(features->nesting_format);
	u64 max_page_size = le64_to_cpu(features->max_page_size);

	return le32_to_cpu(features->magic) == IOASID_FEATURES_MAGIC &&
	       le16_to_cpu(features->version) == IOASID_FEATURES_VERSION &&
	       !(le64_to_cpu(features->caps) & ~IOASID_KNOWN_CAPS) &&
	       !(nesting & ~IOASID_KNOWN_NESTING_FORMATS) &&
	       !(nesting & (nesting - 1)) &&
	       !(max_page_size & (max_page_size - 1)) &&
	       le32_to_cpu(features->min_pasid_log2) <=
			IOASID_FEATURES_MAX_PASID_LOG2 &&
	       ranges_valid(features);
}

/* Read and check the caller's features; the struct rules of the uAPI apply. */
static int features_read(struct ioasid_features *features, u64 uptr, u32 len)
{
	int rc;

	if (len < sizeof(*features))
		return -EINVAL;
	rc = copy_struct_from_user(features, sizeof(*features),
				   u64_to_user_ptr(uptr), len);
	if (rc)
		return rc;
	return features_valid(features) ? 0 : -EINVAL;
}

/* What of @features a device, as @info describes it, does not honour. */
static u64 device_unmet(const struct ioasid_features *features,
			const struct ioasid_device_info *info)
{
	u64 caps = le64_to_cpu(features->caps) | IOASID_DEVICE_CAP_PAGING;
	u64 max_page_size = le64_to_cpu(features->max_page_size);
	u64 min_page = info->out_pgsize_bitmap & -info->out_pgsize_bitmap;
	unsigned int i, n = le16_to_cpu(features->num_iova_ranges);
	u64 start, last, unmet = 0;

	if (caps & ~info->out_caps)
		unmet |= IOASID_UNMET_CAPS;
	if (le32_to_cpu(features->nesting_format) & ~info->out_nesting_formats)
		unmet |= IOASID_UNMET_NESTING;
	if (max_page_size && min_page > max_page_size)
		unmet |= IOASID_UNMET_PAGE_SIZE;
	if (info->out_max_pasid_log2 < le32_to_cpu(features->min_pasid_log2))
		unmet |= IOASID_UNMET_PASID;
	for (i = 0; i < n; i++) {
		range_of(features, i, &start, &last);
		if (start < info->out_aperture_start ||
		    last > info->out_aperture_last)
			unmet |= IOASID_UNMET_IOVA_RANGES;
	}
	return unmet;
}

/* Does a reserved region of @idev's group fall in a required range? */
static int device_resv_unmet(const struct ioasid_features *features,
			     struct ioasid_device *idev, u64 *unmet)
{
	unsigned int i, n = le16_to_cpu(features->num_iova_ranges);
	struct ioasid_iova_range *resv;
	u64 start, last;
	u32 r, num;

	resv = ioasid_device_resv_ranges(idev, &num);
	if (IS_ERR(resv))
		return PTR_ERR(resv);
	for (r = 0; r < num; r++) {
		for (i = 0; i < n; i++) {
			range_of(features, i, &start, &last);
			if (resv[r].start <= last && resv[r].last >= start)
				*unmet |= IOASID_UNMET_IOVA_RANGES;
		}
	}
	kfree(resv);
	return 0;
}

static int device_check(const struct ioasid_features *features,
			struct ioasid_device *idev, u64 *unmet)
{
	struct ioasid_device_info info = {};
	int rc;

	rc = ioasid_device_describe(idev, &info);
	if (rc)
		return rc;
	*unmet |= device_unmet(features, &info);
	return 0;
}

/**
 * ioasid_ioas_check_device() - may a device attach to an IOAS
 * @ioas: the IOAS; the caller holds its context's attach_lock
 * @idev: the device
 * @unmet: set to the enum ioasid_unmet the device does not honour
 *
 * Open IOASes take any device.  An enabled one takes a device that honours
 * its features and has no reserved region in a required IOVA range; a
 * refusal is logged.
 *
 * Return: 0; -EOPNOTSUPP when the device is refused, with @unmet set; or
 * the errno of describing the device.
 */
int ioasid_ioas_check_device(struct ioasid_ioas *ioas,
			     struct ioasid_device *idev, u64 *unmet)
{
	const struct ioasid_features *features = ioas->features;
	int rc;

	*unmet = 0;
	if (!features)
		return 0;
	rc = device_check(features, idev, unmet);
	if (!rc)
		rc = device_resv_unmet(features, idev, unmet);
	if (rc || !*unmet)
		return rc;
	pr_warn("ioasid: %s refused by enabled IOAS %u: unmet features %#llx\n",
		ioasid_device_name(idev), ioas->obj.id, *unmet);
	trace_ioasid_device_refused(ioas->obj.id, idev->obj.id, *unmet);
	return -EOPNOTSUPP;
}

/**
 * ioasid_ioas_check_pasid() - may a PASID of a device attach to an IOAS
 * @ioas: the IOAS; the caller holds its context's attach_lock
 * @idev: the device
 * @pasid: the PASID, within the device's PASIDs
 * @unmet: set to the enum ioasid_unmet the device does not honour
 *
 * As ioasid_ioas_check_device(); an enabled IOAS also takes only the
 * PASIDs its features promised.
 *
 * Return: 0; -EOPNOTSUPP when the device is refused, or the IOAS promised
 * no PASIDs, with @unmet set; -EINVAL @pasid is beyond the PASIDs the IOAS
 * promised; or the errno of describing the device.
 */
int ioasid_ioas_check_pasid(struct ioasid_ioas *ioas,
			    struct ioasid_device *idev, u32 pasid, u64 *unmet)
{
	const struct ioasid_features *features = ioas->features;
	u32 min_pasid_log2;

	*unmet = 0;
	if (!features)
		return 0;
	min_pasid_log2 = le32_to_cpu(features->min_pasid_log2);
	if (!min_pasid_log2) {
		*unmet = IOASID_UNMET_PASID;
		pr_warn_ratelimited("ioasid: PASID %u of %s refused by enabled IOAS %u: it promised no PASIDs\n",
				    pasid, ioasid_device_name(idev),
				    ioas->obj.id);
		trace_ioasid_device_refused(ioas->obj.id, idev->obj.id, *unmet);
		return -EOPNOTSUPP;
	}
	if (pasid >> min_pasid_log2)
		return -EINVAL;
	return ioasid_ioas_check_device(ioas, idev, unmet);
}

/**
 * ioasid_features_allowed() - are the required ranges within allowed ones
 * @features: the features of an enabled IOAS
 * @allowed: the allowed ranges; empty allows every IOVA
 *
 * Return: true when every required range lies in one allowed range.
 */
bool ioasid_features_allowed(const struct ioasid_features *features,
			     struct rb_root_cached *allowed)
{
	unsigned int i, n = le16_to_cpu(features->num_iova_ranges);
	u64 start, last;

	for (i = 0; i < n; i++) {
		range_of(features, i, &start, &last);
		if (!ioasid_allowed_covers(allowed, start, last))
			return false;
	}
	return true;
}

/* What of @features the devices of @ioas do not honour; under the attach lock. */
static int devices_check(struct ioasid_ctx *ictx, struct ioasid_ioas *ioas,
			 const struct ioasid_features *features, u64 *unmet)
{
	struct ioasid_nested *nested;
	struct ioasid_pasid *ipasid;
	struct ioasid_device *idev;
	int rc;

	lockdep_assert_held(&ictx->attach_lock);

	*unmet = IOASID_UNMET_NO_DEVICE;
	/* Nested hwpts stay, in the format they have. */
	list_for_each_entry(nested, &ioas->nested, ioas_link)
		if (nested->format != le32_to_cpu(features->nesting_format))
			*unmet |= IOASID_UNMET_NESTING;
	ioasid_ioas_for_each_device(ioas, idev) {
		*unmet &= ~IOASID_UNMET_NO_DEVICE;
		rc = device_check(features, idev, unmet);
		if (rc)
			return rc;
	}
	ioasid_ioas_for_each_pasid(ioas, ipasid) {
		*unmet &= ~IOASID_UNMET_NO_DEVICE;
		if (ipasid->pasid >> le32_to_cpu(features->min_pasid_log2))
			*unmet |= IOASID_UNMET_PASID;
		rc = device_check(features, ipasid->idev, unmet);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Can mappings use every required range of @ioas, in this host's pages?
 * Under its iova_rwsem.
 */
static u64 ranges_unmet(struct ioasid_ioas *ioas,
			const struct ioasid_features *features)
{
	unsigned int i, n = le16_to_cpu(features->num_iova_ranges);
	u64 start, last;

	for (i = 0; i < n; i++) {
		range_of(features, i, &start, &last);
		if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(last + 1) ||
		    !ioasid_ioas_iova_usable(ioas, start, last))
			return IOASID_UNMET_IOVA_RANGES;
	}
	return 0;
}

/*
 * Check @features against @ioas and freeze them; under the attach lock, so
 * that no device comes or goes.  The ranges are checked in the same
 * iova_rwsem section that freezes them: ALLOW_IOVAS cannot slip between.
 */
static int ioas_enable(struct ioasid_ctx *ictx, struct ioasid_ioas *ioas,
		       struct ioasid_features *features, u64 *unmet)
{
	int rc;

	if (ioas->features)
		return -EALREADY;
	rc = devices_check(ictx, ioas, features, unmet);
	if (rc)
		return rc;
	down_write(&ioas->iova_rwsem);
	*unmet |= ranges_unmet(ioas, features);
	if (!*unmet)
		ioas->features = features;
	up_write(&ioas->iova_rwsem);
	return *unmet ? -EOPNOTSUPP : 0;
}

static int ioas_enable_cmd(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_enable *cmd = ucmd->cmd;
	struct ioasid_features *features;
	struct ioasid_ioas *ioas;
	u64 unmet = 0;
	int rc;

	cmd->out_unmet = 0;
	if (cmd->flags)
		return -EOPNOTSUPP;
	features = ioasid_kzalloc(sizeof(*features));
	if (!features)
		return -ENOMEM;
	rc = features_read(features, cmd->features, cmd->features_len);
	if (rc)
		goto out_free;
	ioas = ioasid_ioas_get(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas)) {
		rc = PTR_ERR(ioas);
		goto out_free;
	}
	mutex_lock(&ucmd->ictx->attach_lock);
	rc = ioas_enable(ucmd->ictx, ioas, features, &unmet);
	mutex_unlock(&ucmd->ictx->attach_lock);
	ioasid_put_object(&ioas->obj);
	if (!rc)
		features = NULL;
	if (rc && rc != -EOPNOTSUPP)
		goto out_free;
	cmd->out_unmet = unmet;
	rc = ioasid_ucmd_respond(ucmd) ?: rc;
out_free:
	kfree(features);
	return rc;
}

int ioasid_cmd_ioas_enable(struct ioasid_ucmd *ucmd)
{
	int rc = ioas_enable_cmd(ucmd);

	trace_ioasid_ioas_enable(ucmd->cmd, rc);
	return rc;
}

int ioasid_cmd_ioas_features(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_features *cmd = ucmd->cmd;
	struct ioasid_features features;
	struct ioasid_ioas *ioas;
	int rc = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->features_len < sizeof(features))
		return -EINVAL;
	ioas = ioasid_ioas_get(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	down_read(&ioas->iova_rwsem);
	if (ioas->features)
		features = *ioas->features;
	else
		rc = -ENODATA;
	up_read(&ioas->iova_rwsem);
	ioasid_put_object(&ioas->obj);
	if (rc)
		return rc;
	if (copy_to_user(u64_to_user_ptr(cmd->features), &features,
			 sizeof(features)))
		return -EFAULT;
	cmd->features_len = sizeof(features);
	return ioasid_ucmd_respond(ucmd);
}
