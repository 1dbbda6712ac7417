// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty tracking: which pages of an IOAS devices wrote, for migration.
 *
 * An IOAS tracks in hardware when every hwpt of it has a domain whose page
 * table the IOMMU marks as devices write (the backend's set_dirty_tracking
 * and read_dirty): the bitmap is what those marks say.  Otherwise it tracks
 * in software: nothing sees the writes, so every page mapped writable
 * counts as written at every read, as VFIO type1 reports it.  A hwpt that
 * comes while the IOAS tracks in hardware starts tracking too, or, if it
 * cannot, turns the IOAS to software until tracking stops: the writes of
 * its devices would be missed otherwise.
 *
 * Locking: ioas->dirty and hwpt->dirty_hw change under the IOAS's
 * iova_rwsem held for writing; reading a bitmap holds it for reading, so
 * that the hwpts and areas stay, while devices go on writing.
 */
#include <linux/bitmap.h>
#include <linux/iommu.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"

/* The bits of one pass of IOASID_IOAS_DIRTY_BITMAP: a page of them. */
#define DIRTY_CHUNK_BITS (PAGE_SIZE * BITS_PER_BYTE)
/* At most this many bits in a call. */
#define DIRTY_MAX_BITS BIT(31)

/**
 * ioasid_dirty_mark() - mark written IOVAs in a bitmap being filled
 * @bitmap: the bitmap
 * @iova: the first IOVA written
 * @last: the last one; what falls outside @bitmap is left alone
 */
void ioasid_dirty_mark(struct ioasid_dirty_bitmap *bitmap, unsigned long iova,
		       unsigned long last)
{
	unsigned long end = bitmap->iova + (bitmap->nbits << bitmap->shift) - 1;
	unsigned long first_bit, last_bit;

	if (!bitmap->nbits || last < bitmap->iova || iova > end)
		return;
	iova = max(iova, bitmap->iova);
	last = min(last, end);
	first_bit = (iova - bitmap->iova) >> bitmap->shift;
	last_bit = (last - bitmap->iova) >> bitmap->shift;
	bitmap_set(bitmap->bits, first_bit, last_bit - first_bit + 1);
}

/* Start tracking in @hwpt's page table; false when it cannot. */
static bool hwpt_dirty_start(struct ioasid_hwpt *hwpt, int *rc)
{
	*rc = 0;
	if (!hwpt->ops->set_dirty_tracking)
		return false;
	*rc = hwpt->ops->set_dirty_tracking(hwpt->domain, true);
	if (*rc == -EOPNOTSUPP)
		*rc = 0;
	else if (!*rc)
		hwpt->dirty_hw = true;
	return hwpt->dirty_hw;
}

static void hwpt_dirty_stop(struct ioasid_hwpt *hwpt)
{
	if (!hwpt->dirty_hw)
		return;
	hwpt->ops->set_dirty_tracking(hwpt->domain, false);
	hwpt->dirty_hw = false;
}

/**
 * ioasid_dirty_hwpt_installed() - a hwpt joins an IOAS that may track
 * @ioas: the IO address space, with iova_rwsem held for writing
 * @hwpt: its new hwpt
 */
void ioasid_dirty_hwpt_installed(struct ioasid_ioas *ioas,
				 struct ioasid_hwpt *hwpt)
{
	int rc;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	if (ioas->dirty != IOASID_DIRTY_HARDWARE)
		return;
	if (!hwpt_dirty_start(hwpt, &rc))
		ioas->dirty = IOASID_DIRTY_SOFTWARE;
}

/**
 * ioasid_dirty_hwpt_uninstalled() - a hwpt leaves its IOAS
 * @hwpt: the hwpt; its dirty bits are lost
 */
void ioasid_dirty_hwpt_uninstalled(struct ioasid_hwpt *hwpt)
{
	hwpt_dirty_stop(hwpt);
}

static void ioas_dirty_stop(struct ioasid_ioas *ioas)
{
	struct ioasid_hwpt *hwpt;

	list_for_each_entry(hwpt, &ioas->hwpts, link)
		hwpt_dirty_stop(hwpt);
	ioas->dirty = IOASID_DIRTY_OFF;
}

/* Start tracking in every hwpt that can, all or none. */
static int ioas_dirty_start(struct ioasid_ioas *ioas)
{
	u32 mode = IOASID_DIRTY_HARDWARE;
	struct ioasid_hwpt *hwpt;
	int rc;

	list_for_each_entry(hwpt, &ioas->hwpts, link) {
		if (!hwpt_dirty_start(hwpt, &rc))
			mode = IOASID_DIRTY_SOFTWARE;
		if (rc) {
			ioas_dirty_stop(ioas);
			return rc;
		}
	}
	ioas->dirty = mode;
	return 0;
}

int ioasid_cmd_ioas_dirty_tracking(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_dirty_tracking *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas;
	int rc = 0;

	if (cmd->flags & ~IOASID_DIRTY_TRACKING_ENABLE)
		return -EOPNOTSUPP;
	ioas = ioasid_ioas_get(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	down_write(&ioas->iova_rwsem);
	if (!(cmd->flags & IOASID_DIRTY_TRACKING_ENABLE))
		ioas_dirty_stop(ioas);
	else if (ioas->dirty == IOASID_DIRTY_OFF)
		rc = ioas_dirty_start(ioas);
	cmd->out_mode = ioas->dirty;
	up_write(&ioas->iova_rwsem);
	ioasid_put_object(&ioas->obj);
	return rc ?: ioasid_ucmd_respond(ucmd);
}

static int dirty_bitmap_check(const struct ioasid_ioas_dirty_bitmap *cmd)
{
	u64 end;

	if (cmd->flags & ~IOASID_DIRTY_BITMAP_NO_CLEAR)
		return -EOPNOTSUPP;
	if (!is_power_of_2(cmd->page_size) || cmd->page_size < PAGE_SIZE ||
	    !IS_ALIGNED(cmd->iova, cmd->page_size) || !cmd->length ||
	    !IS_ALIGNED(cmd->length, cmd->page_size) ||
	    cmd->length / cmd->page_size > DIRTY_MAX_BITS ||
	    check_add_overflow(cmd->iova, cmd->length - 1, &end))
		return -EINVAL;
	return 0;
}

/* Fill @bitmap from what @ioas tracks; *@mode gets the mode read. */
static int dirty_read_chunk(struct ioasid_ioas *ioas,
			    struct ioasid_dirty_bitmap *bitmap, bool keep,
			    u32 *mode)
{
	unsigned long length = bitmap->nbits << bitmap->shift;
	struct ioasid_hwpt *hwpt;

	bitmap_zero(bitmap->bits, bitmap->nbits);
	down_read(&ioas->iova_rwsem);
	*mode = ioas->dirty;
	if (ioas->dirty == IOASID_DIRTY_SOFTWARE) {
		ioasid_ioas_mark_writable(ioas, bitmap, bitmap->iova,
					  bitmap->iova + length - 1);
	} else if (ioas->dirty == IOASID_DIRTY_HARDWARE) {
		list_for_each_entry(hwpt, &ioas->hwpts, link)
			hwpt->ops->read_dirty(hwpt->domain, bitmap->iova,
					      length, keep, bitmap);
	}
	up_read(&ioas->iova_rwsem);
	return *mode == IOASID_DIRTY_OFF ? -ENODATA : 0;
}

int ioasid_cmd_ioas_dirty_bitmap(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_dirty_bitmap *cmd = ucmd->cmd;
	bool keep = cmd->flags & IOASID_DIRTY_BITMAP_NO_CLEAR;
	u64 __user *ubits = u64_to_user_ptr(cmd->bitmap);
	struct ioasid_dirty_bitmap bitmap;
	unsigned long done, nbits;
	struct ioasid_ioas *ioas;
	int rc;

	/* The uAPI's 64-bit words are the bitmap's longs. */
	BUILD_BUG_ON(BITS_PER_LONG != 64);
	rc = dirty_bitmap_check(cmd);
	if (rc)
		return rc;
	ioas = ioasid_ioas_get(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	bitmap.shift = ilog2(cmd->page_size);
	bitmap.bits = ioasid_should_fail() ? NULL :
		      kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	rc = -ENOMEM;
	if (!bitmap.bits)
		goto out_put;
	nbits = cmd->length >> bitmap.shift;
	/* Whole words of the user's bitmap, one page of them at a time. */
	for (done = 0; done < nbits; done += bitmap.nbits) {
		bitmap.iova = cmd->iova + (done << bitmap.shift);
		bitmap.nbits = min(nbits - done, DIRTY_CHUNK_BITS);
		rc = dirty_read_chunk(ioas, &bitmap, keep, &cmd->out_mode);
		if (rc)
			break;
		rc = -EFAULT;
		if (copy_to_user(ubits + done / 64, bitmap.bits,
				 DIV_ROUND_UP(bitmap.nbits, 64) * sizeof(u64)))
			break;
		rc = 0;
		cond_resched();
	}
	kfree(bitmap.bits);
out_put:
	ioasid_put_object(&ioas->obj);
	return rc ?: ioasid_ucmd_respond(ucmd);
}
