// SPDX-License-Identifier: GPL-2.0
/*
 * Live update: a process hands a context over to another while its devices
 * go on doing DMA.  See "Live update" in include/uapi/linux/ioasid.h.
 *
 * Nothing here touches a pin or an IOMMU: the user addresses of the areas
 * (area->uaddr) are marked invalid and given new ones, checked against the
 * pinned frames, and the charge of the pins moves to a new owner.  The
 * commands that change the addresses in several IOASes at once hold every
 * iova_rwsem of them together, nested in ictx->uaddr_lock, so that no
 * other command sees some of the areas changed and others not.
 */
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"
#include "trace.h"

/**
 * struct ioas_group - the IOASes a command works on, with a reference each
 * @ioas: the IOASes
 * @num: how many
 */
struct ioas_group {
	struct ioasid_ioas **ioas;
	unsigned int num;
};

static void ioas_group_put(struct ioas_group *grp)
{
	while (grp->num)
		ioasid_put_object(&grp->ioas[--grp->num]->obj);
	kfree(grp->ioas);
}

/* Every IOAS of @ictx, at the time of the call. */
static int ioas_group_get_all(struct ioasid_ctx *ictx, struct ioas_group *grp)
{
	struct ioasid_object *obj;
	struct ioasid_ioas *ioas;
	unsigned int max = 0;
	unsigned long id;

	xa_for_each(&ictx->objects, id, obj)
		max++;
	grp->num = 0;
	grp->ioas = max ? ioasid_kzalloc(array_size(max, sizeof(*grp->ioas))) :
			    NULL;
	if (max && !grp->ioas)
		return -ENOMEM;
	xa_for_each(&ictx->objects, id, obj) {
		if (grp->num == max)
			break;
		ioas = ioasid_ioas_get(ictx, id);
		if (!IS_ERR(ioas))
			grp->ioas[grp->num++] = ioas;
	}
	return 0;
}

/* The IOAS @id, or every IOAS of @ictx when @id is 0. */
static int ioas_group_get(struct ioasid_ctx *ictx, u32 id,
			  struct ioas_group *grp)
{
	struct ioasid_ioas *ioas;

	if (!id)
		return ioas_group_get_all(ictx, grp);
	ioas = ioasid_ioas_get(ictx, id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	grp->ioas = ioasid_kzalloc(sizeof(*grp->ioas));
	if (!grp->ioas) {
		ioasid_put_object(&ioas->obj);
		return -ENOMEM;
	}
	grp->ioas[0] = ioas;
	grp->num = 1;
	return 0;
}

static void ioas_group_lock(struct ioasid_ctx *ictx, struct ioas_group *grp)
{
	unsigned int i;

	mutex_lock(&ictx->uaddr_lock);
	for (i = 0; i < grp->num; i++)
		down_write_nest_lock(&grp->ioas[i]->iova_rwsem,
				     &ictx->uaddr_lock);
}

static void ioas_group_unlock(struct ioasid_ctx *ictx, struct ioas_group *grp)
{
	unsigned int i;

	for (i = grp->num; i--;)
		up_write(&grp->ioas[i]->iova_rwsem);
	mutex_unlock(&ictx->uaddr_lock);
}

/**
 * ioasid_ctx_begin_change() - start a command that changes a context
 * @ictx: the context
 *
 * Until ioasid_ctx_end_change(), the owner of the context cannot change.
 *
 * Return: 0 when the context has no owner or the current process owns it;
 * -EPERM when another process owns it, -EINTR when a fatal signal arrived
 * while an owner change was waited for: then there is nothing to end.
 */
int ioasid_ctx_begin_change(struct ioasid_ctx *ictx)
{
	if (down_read_killable(&ictx->owner_rwsem))
		return -EINTR;
	if (!ictx->owner || ictx->owner == current->mm)
		return 0;
	up_read(&ictx->owner_rwsem);
	return -EPERM;
}

/**
 * ioasid_ctx_end_change() - end a command that ioasid_ctx_begin_change()
 *	let start
 * @ictx: the context
 */
void ioasid_ctx_end_change(struct ioasid_ctx *ictx)
{
	up_read(&ictx->owner_rwsem);
}

/* Make the current process the owner of @ictx. */
static void ctx_set_owner(struct ioasid_ctx *ictx)
{
	struct mm_struct *old = ictx->owner;

	lockdep_assert_held_write(&ictx->owner_rwsem);

	if (old == current->mm)
		return;
	mmgrab(current->mm);
	ictx->owner = current->mm;
	WRITE_ONCE(ictx->owner_pid, task_tgid_nr(current));
	if (old)
		mmdrop(old);
}

static int take_ownership_cmd(struct ioasid_ucmd *ucmd)
{
	struct ioasid_take_ownership *cmd = ucmd->cmd;
	struct ioasid_ctx *ictx = ucmd->ictx;
	unsigned long moved;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->__reserved2)
		return -EINVAL;

	/* Wait for the commands running, whoever runs them. */
	if (down_write_killable(&ictx->owner_rwsem))
		return -EINTR;
	mutex_lock(&ictx->acct_lock);
	rc = ioasid_take_charge(ictx, &moved);
	mutex_unlock(&ictx->acct_lock);
	if (!rc)
		ctx_set_owner(ictx);
	up_write(&ictx->owner_rwsem);
	if (rc)
		return rc;
	cmd->out_moved = (u64)moved << PAGE_SHIFT;
	return ioasid_ucmd_respond(ucmd);
}

int ioasid_cmd_take_ownership(struct ioasid_ucmd *ucmd)
{
	int rc = take_ownership_cmd(ucmd);

	trace_ioasid_take_ownership(ucmd->cmd, rc);
	return rc;
}

/* The range and rule of an IOASID_UADDR_INVALIDATE, its arguments checked. */
static int invalidate_request(const struct ioasid_uaddr_invalidate *cmd,
			      struct ioasid_uaddr_request *req)
{
	u64 last;

	if (cmd->flags & ~(IOASID_UADDR_INVALIDATE_RANGE |
			   IOASID_UADDR_INVALIDATE_VALID))
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	req->valid = cmd->flags & IOASID_UADDR_INVALIDATE_VALID;
	req->start = 0;
	req->last = ULONG_MAX;
	if (!(cmd->flags & IOASID_UADDR_INVALIDATE_RANGE))
		return cmd->iova || cmd->length ? -EINVAL : 0;
	if (!cmd->ioas_id || !cmd->length || !PAGE_ALIGNED(cmd->iova) ||
	    !PAGE_ALIGNED(cmd->length))
		return -EINVAL;
	if (check_add_overflow(cmd->iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	req->start = cmd->iova;
	req->last = last;
	return 0;
}

static int uaddr_invalidate_cmd(struct ioasid_ucmd *ucmd)
{
	struct ioasid_uaddr_invalidate *cmd = ucmd->cmd;
	struct ioasid_ctx *ictx = ucmd->ictx;
	struct ioasid_uaddr_request req = {};
	struct ioas_group grp;
	unsigned long n = 0;
	u64 length = 0;
	unsigned int i;
	int rc;

	rc = invalidate_request(cmd, &req);
	if (rc)
		return rc;
	rc = ioas_group_get(ictx, cmd->ioas_id, &grp);
	if (rc)
		return rc;
	ioas_group_lock(ictx, &grp);
	for (i = 0; i < grp.num && !rc; i++)
		rc = ioasid_ioas_check_invalidate(grp.ioas[i], &req);
	for (i = 0; i < grp.num && !rc; i++)
		n += ioasid_ioas_invalidate_uaddr(grp.ioas[i], &req, &length);
	ioas_group_unlock(ictx, &grp);
	ioas_group_put(&grp);
	if (rc)
		return rc;
	cmd->out_mappings = n;
	cmd->out_length = length;
	return ioasid_ucmd_respond(ucmd);
}

int ioasid_cmd_uaddr_invalidate(struct ioasid_ucmd *ucmd)
{
	int rc = uaddr_invalidate_cmd(ucmd);

	trace_ioasid_uaddr_invalidate(ucmd->cmd, rc);
	return rc;
}

/* The request of @cmd, its arguments checked. */
static int supply_request(const struct ioasid_uaddr_supply *cmd,
			  struct ioasid_uaddr_request *req)
{
	u64 last;

	if (cmd->flags & ~(IOASID_UADDR_SUPPLY_SHIFT | IOASID_UADDR_SUPPLY_ONE))
		return -EOPNOTSUPP;
	if (cmd->__reserved || !PAGE_ALIGNED(cmd->user_va))
		return -EINVAL;
	req->user_va = cmd->user_va;
	req->shift = cmd->flags & IOASID_UADDR_SUPPLY_SHIFT;
	req->one = cmd->flags & IOASID_UADDR_SUPPLY_ONE;
	if (req->shift) {
		if (cmd->iova || cmd->length || req->one)
			return -EINVAL;
		req->start = 0;
		req->last = ULONG_MAX;
		return 0;
	}
	if (!cmd->ioas_id)
		return -EINVAL;
	if (!cmd->length || !PAGE_ALIGNED(cmd->iova) ||
	    !PAGE_ALIGNED(cmd->length))
		return -EINVAL;
	if (check_add_overflow(cmd->iova, cmd->length - 1, &last) ||
	    check_add_overflow(cmd->user_va, cmd->length - 1, &last))
		return -EOVERFLOW;
	req->start = cmd->iova;
	req->last = cmd->iova + cmd->length - 1;
	return 0;
}

static int uaddr_supply_cmd(struct ioasid_ucmd *ucmd)
{
	struct ioasid_uaddr_supply *cmd = ucmd->cmd;
	struct ioasid_ctx *ictx = ucmd->ictx;
	struct ioasid_uaddr_request req = {};
	unsigned long found = 0;
	struct ioas_group grp;
	unsigned int i;
	int rc;

	rc = supply_request(cmd, &req);
	if (rc)
		return rc;
	rc = ioas_group_get(ictx, cmd->ioas_id, &grp);
	if (rc)
		return rc;
	ioas_group_lock(ictx, &grp);
	for (i = 0; i < grp.num && !rc; i++)
		rc = ioasid_ioas_check_supply(grp.ioas[i], &req, &found);
	if (!rc && !found)
		rc = -ENOENT;
	for (i = 0; i < grp.num && !rc; i++)
		ioasid_ioas_supply(grp.ioas[i], &req);
	ioas_group_unlock(ictx, &grp);
	ioas_group_put(&grp);
	return rc;
}

int ioasid_cmd_uaddr_supply(struct ioasid_ucmd *ucmd)
{
	int rc = uaddr_supply_cmd(ucmd);

	trace_ioasid_uaddr_supply(ucmd->cmd, rc);
	return rc;
}
