// SPDX-License-Identifier: GPL-2.0
/*
 * The uAPI of IO address spaces: argument checks and replies; the work is
 * in io_pagetable.c and pages.c.
 */
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"
#include "trace.h"

#define MAP_FLAGS (IOASID_IOAS_MAP_FIXED_IOVA | IOASID_IOAS_MAP_READABLE | \
		   IOASID_IOAS_MAP_WRITEABLE)

/**
 * ioasid_ioas_get() - look up an IOAS and take a reference on it
 * @ictx: the context
 * @id: the IOAS's id
 *
 * Return: the IOAS, or ERR_PTR(-ENOENT) or ERR_PTR(-EINVAL) as
 * ioasid_get_object().
 */
struct ioasid_ioas *ioasid_ioas_get(struct ioasid_ctx *ictx, u32 id)
{
	struct ioasid_object *obj;

	obj = ioasid_get_object(ictx, id, IOASID_OBJ_IOAS);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct ioasid_ioas, obj);
}

static struct ioasid_ioas *ioas_get(struct ioasid_ucmd *ucmd, u32 id)
{
	return ioasid_ioas_get(ucmd->ictx, id);
}

static void ioas_put(struct ioasid_ioas *ioas)
{
	ioasid_put_object(&ioas->obj);
}

int ioasid_cmd_ioas_alloc(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_alloc *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;

	ioas = ioasid_ioas_alloc(ucmd->ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	cmd->out_ioas_id = ioas->obj.id;
	rc = ioasid_ucmd_respond(ucmd);
	if (rc) {
		ioasid_object_abort(ucmd->ictx, &ioas->obj);
		return rc;
	}
	ioasid_object_finalize(ucmd->ictx, &ioas->obj);
	return 0;
}

/* A non-empty, page-aligned range that does not wrap. */
static int check_range(u64 start, u64 length)
{
	u64 last;

	if (!length || !PAGE_ALIGNED(start) || !PAGE_ALIGNED(length))
		return -EINVAL;
	if (check_add_overflow(start, length - 1, &last))
		return -EOVERFLOW;
	return 0;
}

/* The checks MAP and COPY share: flags, length and the destination IOVA. */
static int check_map_flags(u32 flags, u64 iova, u64 length)
{
	if (flags & ~MAP_FLAGS)
		return -EOPNOTSUPP;
	if (!(flags & (IOASID_IOAS_MAP_READABLE | IOASID_IOAS_MAP_WRITEABLE)))
		return -EINVAL;
	if (flags & IOASID_IOAS_MAP_FIXED_IOVA)
		return check_range(iova, length);
	return check_range(0, length);
}

static int map_prot(u32 flags)
{
	int prot = 0;

	if (flags & IOASID_IOAS_MAP_READABLE)
		prot |= IOMMU_READ;
	if (flags & IOASID_IOAS_MAP_WRITEABLE)
		prot |= IOMMU_WRITE;
	return prot;
}

/*
 * Insert @areas and tell the caller where.  The dispatcher has checked that
 * the reply can be written; should the caller unmap it meanwhile, the
 * mapping stays, as with any command whose reply is lost.
 */
static int map_and_respond(struct ioasid_ucmd *ucmd, struct ioasid_ioas *ioas,
			   struct list_head *areas, u64 *iova, u64 length,
			   u32 flags, unsigned long phase)
{
	bool fixed = flags & IOASID_IOAS_MAP_FIXED_IOVA;
	unsigned long where = *iova;
	int rc;

	rc = ioasid_ioas_map_pages(ioas, areas, &where, length, fixed, phase);
	if (rc) {
		ioasid_free_areas(areas);
		return rc;
	}
	*iova = where;
	return ioasid_ucmd_respond(ucmd);
}

/* A fixed IOVA range taken or not usable fails before anything is pinned. */
static int check_fixed_iova(struct ioasid_ioas *ioas, u32 flags, u64 iova,
			    u64 length)
{
	if (!(flags & IOASID_IOAS_MAP_FIXED_IOVA))
		return 0;
	return ioasid_ioas_check_iova(ioas, iova, length);
}

/*
 * A new area of @length bytes of @pages, just pinned, from its page @pgoff
 * on, at IOVA 0, added to @areas.  The area takes over the caller's
 * reference on @pages; on error it is put.  @uaddr: the user address of
 * the memory, 0 for a file's.
 */
static int add_new_area(struct list_head *areas, struct ioasid_pages *pages,
			unsigned long pgoff, unsigned long uaddr, u64 length,
			u32 flags)
{
	struct ioasid_area *area;

	area = ioasid_kzalloc(sizeof(*area));
	if (!area) {
		ioasid_pages_put(pages);
		return -ENOMEM;
	}
	area->pages = pages;
	area->pgoff = pgoff;
	area->prot = map_prot(flags);
	area->uaddr = uaddr;
	area->node.last = length - 1;
	list_add_tail(&area->link, areas);
	return 0;
}

/*
 * Map @pages, just pinned, from its page @pgoff on as one area at *@iova,
 * and tell the caller where; as add_new_area().
 */
static int map_new_area(struct ioasid_ucmd *ucmd, struct ioasid_ioas *ioas,
			struct ioasid_pages *pages, unsigned long pgoff,
			unsigned long uaddr, u64 *iova, u64 length, u32 flags,
			unsigned long phase)
{
	LIST_HEAD(areas);
	int rc;

	rc = add_new_area(&areas, pages, pgoff, uaddr, length, flags);
	if (rc)
		return rc;
	return map_and_respond(ucmd, ioas, &areas, iova, length, flags, phase);
}

static int ioas_map_cmd(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_map *cmd = ucmd->cmd;
	struct ioasid_pages *pages;
	struct ioasid_ioas *ioas;
	unsigned long pgoff;
	int rc;

	rc = check_map_flags(cmd->flags, cmd->iova, cmd->length);
	if (rc)
		return rc;
	if (cmd->__reserved)
		return -EINVAL;
	rc = check_range(cmd->user_va, cmd->length);
	if (rc)
		return rc;

	ioas = ioas_get(ucmd, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = check_fixed_iova(ioas, cmd->flags, cmd->iova, cmd->length);
	if (rc)
		goto out_put;
	pages = ioasid_pages_pin(ucmd->ictx, cmd->user_va, cmd->length,
				 cmd->flags & IOASID_IOAS_MAP_WRITEABLE, &pgoff);
	if (IS_ERR(pages))
		rc = PTR_ERR(pages);
	else
		rc = map_new_area(ucmd, ioas, pages, pgoff, cmd->user_va,
				  &cmd->iova, cmd->length, cmd->flags,
				  cmd->user_va);
out_put:
	ioas_put(ioas);
	return rc;
}

int ioasid_cmd_ioas_map(struct ioasid_ucmd *ucmd)
{
	int rc = ioas_map_cmd(ucmd);

	trace_ioasid_ioas_map(ucmd->cmd, rc);
	return rc;
}

static int ioas_map_file_cmd(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_map_file *cmd = ucmd->cmd;
	struct ioasid_pages *pages;
	struct ioasid_ioas *ioas;
	struct file *file;
	int rc;

	rc = check_map_flags(cmd->flags, cmd->iova, cmd->length);
	if (rc)
		return rc;
	rc = check_range(cmd->start, cmd->length);
	if (rc)
		return rc;
	file = fget(cmd->fd);
	if (!file)
		return -EBADF;

	ioas = ioas_get(ucmd, cmd->ioas_id);
	if (IS_ERR(ioas)) {
		rc = PTR_ERR(ioas);
		goto out_fput;
	}
	rc = check_fixed_iova(ioas, cmd->flags, cmd->iova, cmd->length);
	if (rc)
		goto out_put;
	pages = ioasid_pages_pin_file(ucmd->ictx, file, cmd->start, cmd->length,
				      cmd->flags & IOASID_IOAS_MAP_WRITEABLE);
	if (IS_ERR(pages))
		rc = PTR_ERR(pages);
	else
		rc = map_new_area(ucmd, ioas, pages, 0, 0, &cmd->iova,
				  cmd->length, cmd->flags, cmd->start);
out_put:
	ioas_put(ioas);
out_fput:
	fput(file);
	return rc;
}

int ioasid_cmd_ioas_map_file(struct ioasid_ucmd *ucmd)
{
	int rc = ioas_map_file_cmd(ucmd);

	trace_ioasid_ioas_map_file(ucmd->cmd, rc);
	return rc;
}

static int ioas_copy_cmd(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_copy *cmd = ucmd->cmd;
	struct ioasid_ioas *src, *dst;
	LIST_HEAD(areas);
	int rc;

	rc = check_map_flags(cmd->flags, cmd->dst_iova, cmd->length);
	if (rc)
		return rc;
	rc = check_range(cmd->src_iova, cmd->length);
	if (rc)
		return rc;

	src = ioas_get(ucmd, cmd->src_ioas_id);
	if (IS_ERR(src))
		return PTR_ERR(src);
	dst = ioas_get(ucmd, cmd->dst_ioas_id);
	if (IS_ERR(dst)) {
		rc = PTR_ERR(dst);
		goto out_put_src;
	}

	rc = ioasid_ioas_slice(src, cmd->src_iova, cmd->length,
			       map_prot(cmd->flags), &areas);
	if (!rc)
		rc = map_and_respond(ucmd, dst, &areas, &cmd->dst_iova,
				     cmd->length, cmd->flags, cmd->src_iova);
	ioas_put(dst);
out_put_src:
	ioas_put(src);
	return rc;
}

int ioasid_cmd_ioas_copy(struct ioasid_ucmd *ucmd)
{
	int rc = ioas_copy_cmd(ucmd);

	trace_ioasid_ioas_copy(ucmd->cmd, rc);
	return rc;
}

static int ioas_unmap_cmd(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_unmap *cmd = ucmd->cmd;
	unsigned long unmapped = 0;
	struct ioasid_ioas *ioas;
	int rc;

	if (cmd->flags & ~IOASID_IOAS_UNMAP_ALL)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if (cmd->flags & IOASID_IOAS_UNMAP_ALL)
		rc = cmd->iova || cmd->length ? -EINVAL : 0;
	else
		rc = check_range(cmd->iova, cmd->length);
	if (rc)
		return rc;

	ioas = ioas_get(ucmd, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (cmd->flags & IOASID_IOAS_UNMAP_ALL)
		unmapped = ioasid_ioas_unmap_all(ioas);
	else
		rc = ioasid_ioas_unmap(ioas, cmd->iova, cmd->length, &unmapped);
	if (!rc) {
		cmd->length = unmapped;
		rc = ioasid_ucmd_respond(ucmd);
	}
	ioas_put(ioas);
	return rc;
}

/* The event wants the length asked for, which the reply replaces. */
int ioasid_cmd_ioas_unmap(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_unmap *cmd = ucmd->cmd;
	u64 length = cmd->length;
	int rc = ioas_unmap_cmd(ucmd);

	trace_ioasid_ioas_unmap(cmd, length, rc);
	return rc;
}

/**
 * struct ioas_batch - the ranges of a batch command, read in
 * @ranges: the ranges, as the caller gave them
 * @sorted: the IOVA ranges of @ranges in IOVA order, once sorted
 * @order: @order[k] is the index in @ranges of @sorted[k]
 * @num: the number of ranges
 */
struct ioas_batch {
	struct ioasid_batch_range *ranges;
	struct ioasid_iova_range *sorted;
	u32 *order;
	u32 num;
};

static void batch_free(struct ioas_batch *batch)
{
	kvfree(batch->sorted);
	kvfree(batch->ranges);
}

/* Check the flags and size of a batch, and read its ranges in. */
static int batch_read(const struct ioasid_ioas_batch *cmd,
		      struct ioas_batch *batch)
{
	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || !cmd->num || cmd->num > IOASID_BATCH_MAX)
		return -EINVAL;
	if (ioasid_should_fail())
		return -ENOMEM;
	batch->num = cmd->num;
	batch->sorted = kvmalloc_array(cmd->num, sizeof(*batch->sorted) +
				       sizeof(*batch->order),
				       GFP_KERNEL_ACCOUNT);
	if (!batch->sorted)
		return -ENOMEM;
	batch->order = (u32 *)(batch->sorted + cmd->num);
	batch->ranges = vmemdup_array_user(u64_to_user_ptr(cmd->ranges),
					   cmd->num, sizeof(*batch->ranges));
	if (IS_ERR(batch->ranges)) {
		kvfree(batch->sorted);
		return PTR_ERR(batch->ranges);
	}
	return 0;
}

/* By IOVA, then by index: of two ranges at one IOVA, the later is named. */
static int cmp_range_start(const void *a, const void *b, const void *priv)
{
	const struct ioasid_batch_range *ranges = priv;
	u32 i = *(const u32 *)a, j = *(const u32 *)b;
	u64 x = ranges[i].iova, y = ranges[j].iova;

	if (x != y)
		return x < y ? -1 : 1;
	return i < j ? -1 : i > j;
}

/*
 * Sort the ranges of @batch, checked not to wrap, by IOVA; return the
 * index in batch->ranges of the first range that overlaps the one before
 * it in that order, or batch->num when none does.
 */
static u32 batch_sort(struct ioas_batch *batch)
{
	struct ioasid_iova_range *sorted = batch->sorted;
	const struct ioasid_batch_range *range;
	u32 i;

	for (i = 0; i < batch->num; i++)
		batch->order[i] = i;
	sort_r(batch->order, batch->num, sizeof(*batch->order),
	       cmp_range_start, NULL, batch->ranges);
	for (i = 0; i < batch->num; i++) {
		range = &batch->ranges[batch->order[i]];
		sorted[i].start = range->iova;
		sorted[i].last = range->iova + range->length - 1;
		if (i && sorted[i].start <= sorted[i - 1].last)
			return batch->order[i];
	}
	return batch->num;
}

/* A range of IOASID_IOAS_MAP_BATCH, checked as IOASID_IOAS_MAP checks. */
static int check_map_range(const struct ioasid_batch_range *range)
{
	u32 flags = range->flags | IOASID_IOAS_MAP_FIXED_IOVA;
	int rc;

	if (range->flags & ~(IOASID_IOAS_MAP_READABLE |
			     IOASID_IOAS_MAP_WRITEABLE))
		return -EOPNOTSUPP;
	if (range->__reserved)
		return -EINVAL;
	rc = check_map_flags(flags, range->iova, range->length);
	return rc ?: check_range(range->user_va, range->length);
}

/* A range of IOASID_IOAS_UNMAP_BATCH, checked as IOASID_IOAS_UNMAP checks. */
static int check_unmap_range(const struct ioasid_batch_range *range)
{
	if (range->flags)
		return -EOPNOTSUPP;
	if (range->__reserved || range->user_va)
		return -EINVAL;
	return check_range(range->iova, range->length);
}

/*
 * Check every range of @batch with @check, then that no two overlap
 * (@overlap_errno); *@failed: the index of the range that failed.
 */
static int batch_check(struct ioas_batch *batch,
		       int (*check)(const struct ioasid_batch_range *range),
		       int overlap_errno, u32 *failed)
{
	int rc;
	u32 i;

	for (i = 0; i < batch->num; i++) {
		rc = check(&batch->ranges[i]);
		if (rc) {
			*failed = i;
			return rc;
		}
	}
	*failed = batch_sort(batch);
	return *failed < batch->num ? overlap_errno : 0;
}

/* Pin the memory of a range of a MAP_BATCH into a new area of @areas. */
static int pin_map_range(struct ioasid_ucmd *ucmd,
			 const struct ioasid_batch_range *range,
			 struct list_head *areas)
{
	struct ioasid_pages *pages;
	struct ioasid_area *area;
	unsigned long pgoff;
	int rc;

	pages = ioasid_pages_pin(ucmd->ictx, range->user_va, range->length,
				 range->flags & IOASID_IOAS_MAP_WRITEABLE, &pgoff);
	if (IS_ERR(pages))
		return PTR_ERR(pages);
	rc = add_new_area(areas, pages, pgoff, range->user_va, range->length,
			  range->flags);
	if (!rc) {
		area = list_last_entry(areas, struct ioasid_area, link);
		area->node.start = range->iova;
		area->node.last += range->iova;
	}
	return rc;
}

/*
 * Check the IOVAs of the ranges of a MAP_BATCH against the IOAS, then pin
 * the memory of each into an area of @areas, at its IOVA: everything that
 * can fail before the IOAS is locked.  *@failed: the index of the range
 * that failed.
 */
static int prepare_map_batch(struct ioasid_ucmd *ucmd, struct ioasid_ioas *ioas,
			     const struct ioasid_batch_range *ranges, u32 num,
			     struct list_head *areas, u32 *failed)
{
	int rc;
	u32 i;

	for (i = 0; i < num; i++) {
		rc = ioasid_ioas_check_iova(ioas, ranges[i].iova,
					    ranges[i].length);
		if (rc)
			goto fail;
	}
	for (i = 0; i < num; i++) {
		rc = i && fatal_signal_pending(current) ? -EINTR :
		     pin_map_range(ucmd, &ranges[i], areas);
		if (rc)
			goto fail;
	}
	return 0;

fail:
	*failed = i;
	return rc;
}

/*
 * Tell the caller of a batch which range failed, on error too: the
 * dispatcher has checked that the reply can be written.
 */
static int respond_batch(struct ioasid_ucmd *ucmd, u32 failed, int rc)
{
	struct ioasid_ioas_batch *cmd = ucmd->cmd;
	int reply;

	cmd->out_failed = failed;
	reply = ioasid_ucmd_respond(ucmd);
	return rc ?: reply;
}

/*
 * Run a batch command: read its ranges, check each with @check and that
 * no two overlap (@overlap_errno), then @apply them to the IOAS; tell the
 * caller which range failed.
 */
static int run_batch(struct ioasid_ucmd *ucmd,
		     int (*check)(const struct ioasid_batch_range *range),
		     int overlap_errno,
		     int (*apply)(struct ioasid_ucmd *ucmd,
				  struct ioasid_ioas *ioas,
				  struct ioas_batch *batch, u32 *failed))
{
	struct ioasid_ioas_batch *cmd = ucmd->cmd;
	struct ioas_batch batch;
	struct ioasid_ioas *ioas;
	u32 failed = cmd->num;
	int rc;

	rc = batch_read(cmd, &batch);
	if (rc)
		return respond_batch(ucmd, failed, rc);
	rc = batch_check(&batch, check, overlap_errno, &failed);
	if (rc)
		goto out;
	ioas = ioas_get(ucmd, cmd->ioas_id);
	if (IS_ERR(ioas)) {
		rc = PTR_ERR(ioas);
		goto out;
	}
	rc = apply(ucmd, ioas, &batch, &failed);
	ioas_put(ioas);
out:
	batch_free(&batch);
	return respond_batch(ucmd, failed, rc);
}

static int apply_map_batch(struct ioasid_ucmd *ucmd, struct ioasid_ioas *ioas,
			   struct ioas_batch *batch, u32 *failed)
{
	LIST_HEAD(areas);
	int rc;

	rc = prepare_map_batch(ucmd, ioas, batch->ranges, batch->num, &areas,
			       failed);
	if (!rc)
		rc = ioasid_ioas_map_batch(ioas, &areas, failed);
	ioasid_free_areas(&areas);
	return rc;
}

/* The range named is the caller's, not its place in IOVA order. */
static int apply_unmap_batch(struct ioasid_ucmd *ucmd,
			     struct ioasid_ioas *ioas,
			     struct ioas_batch *batch, u32 *failed)
{
	int rc;

	rc = ioasid_ioas_unmap_batch(ioas, batch->sorted, batch->num, failed);
	if (*failed < batch->num)
		*failed = batch->order[*failed];
	return rc;
}

int ioasid_cmd_ioas_map_batch(struct ioasid_ucmd *ucmd)
{
	int rc = run_batch(ucmd, check_map_range, -EEXIST, apply_map_batch);

	trace_ioasid_ioas_map_batch(ucmd->cmd, rc);
	return rc;
}

int ioasid_cmd_ioas_unmap_batch(struct ioasid_ucmd *ucmd)
{
	int rc = run_batch(ucmd, check_unmap_range, -EINVAL,
			   apply_unmap_batch);

	trace_ioasid_ioas_unmap_batch(ucmd->cmd, rc);
	return rc;
}

/*
 * The usable ranges, up to @max of them, in a buffer of the kernel's, so
 * that they are copied out with no lock held: a fault on the caller's
 * buffer may take mmap_lock, which other paths hold while they come to the
 * IOAS.  Sets *@num to the number of ranges; they may change meanwhile.
 */
static struct ioasid_iova_range *usable_ranges(struct ioasid_ioas *ioas,
					       unsigned int max,
					       unsigned int *num)
{
	struct ioasid_iova_range *ranges = NULL;
	unsigned int room = 0;

	for (;;) {
		*num = ioasid_ioas_usable_ranges(ioas, ranges, room);
		if (*num <= room || room == max)
			return ranges;
		kvfree(ranges);
		room = min(*num, max);
		if (ioasid_should_fail())
			return ERR_PTR(-ENOMEM);
		ranges = kvcalloc(room, sizeof(*ranges),
				  GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!ranges)
			return ERR_PTR(-ENOMEM);
	}
}

int ioasid_cmd_ioas_iova_ranges(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_iova_ranges *cmd = ucmd->cmd;
	struct ioasid_iova_range *ranges;
	struct ioasid_ioas *ioas;
	unsigned int n;
	int rc = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;

	ioas = ioas_get(ucmd, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	ranges = usable_ranges(ioas, cmd->num_iovas, &n);
	cmd->out_iova_alignment = ioasid_ioas_iova_alignment(ioas);
	ioas_put(ioas);
	if (IS_ERR(ranges))
		return PTR_ERR(ranges);

	/* A kernel caller's array is in the kernel (ioasid_kernel_cmd()). */
	if (ucmd->kernel)
		memcpy((void *)(uintptr_t)cmd->allowed_iovas,
		       ranges, min(n, cmd->num_iovas) * sizeof(*ranges));
	else if (copy_to_user(u64_to_user_ptr(cmd->allowed_iovas), ranges,
			      min(n, cmd->num_iovas) * sizeof(*ranges)))
		rc = -EFAULT;
	kvfree(ranges);
	if (rc)
		return rc;
	rc = n > cmd->num_iovas ? -EMSGSIZE : 0;
	cmd->num_iovas = n;
	return ioasid_ucmd_respond(ucmd) ?: rc;
}

static int check_allowed_range(const struct ioasid_iova_range *range)
{
	if (range->start > range->last || !PAGE_ALIGNED(range->start) ||
	    !PAGE_ALIGNED(range->last + 1))
		return -EINVAL;
	return 0;
}

/* Read the caller's ranges one at a time: their number costs no buffer. */
static int read_allowed(struct ioasid_ioas_allow_iovas *cmd,
			struct rb_root_cached *allowed)
{
	struct ioasid_iova_range __user *uranges;
	struct ioasid_iova_range range;
	unsigned int i;
	int rc;

	uranges = u64_to_user_ptr(cmd->allowed_iovas);
	for (i = 0; i < cmd->num_iovas; i++) {
		if (copy_from_user(&range, &uranges[i], sizeof(range)))
			return -EFAULT;
		rc = check_allowed_range(&range);
		if (!rc)
			rc = ioasid_allowed_add(allowed, range.start,
						range.last);
		if (rc)
			return rc;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

int ioasid_cmd_ioas_allow_iovas(struct ioasid_ucmd *ucmd)
{
	struct ioasid_ioas_allow_iovas *cmd = ucmd->cmd;
	struct rb_root_cached allowed = RB_ROOT_CACHED;
	struct ioasid_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	rc = read_allowed(cmd, &allowed);
	if (rc)
		goto out_free;
	ioas = ioas_get(ucmd, cmd->ioas_id);
	if (IS_ERR(ioas)) {
		rc = PTR_ERR(ioas);
		goto out_free;
	}
	rc = ioasid_ioas_set_allowed(ioas, &allowed);
	ioas_put(ioas);
out_free:
	ioasid_allowed_free(&allowed);
	return rc;
}
