// SPDX-License-Identifier: GPL-2.0
/*
 * The IOVA space of an IO address space.
 *
 * Theory of operation
 *
 * An IOAS is a set of areas, each mapping an IOVA range to a slice of one
 * struct ioasid_pages.  Areas never overlap; they live in an rbtree keyed
 * by IOVA, so lookups and range walks visit them in IOVA order.  A MAP
 * makes one area over a fresh pin; a COPY makes one area per source area it
 * touches, sharing the source's pages.  An UNMAP removes whole areas only: a
 * range that would cut one is refused before anything is removed.
 *
 * The usable IOVA space is everything, or the ranges ALLOW_IOVAS set, less
 * the reserved ranges: the reserved regions of every attached group (MSI
 * windows, ...) and what lies outside the aperture of every hardware
 * domain.  Attaching a group whose reserved ranges hold an area is refused.
 * A kernel-chosen IOVA is searched in IOVA order in the usable ranges, at
 * the huge page alignment the length allows and in phase with the memory,
 * so that a huge page of the CPU can be a huge page of the IOMMU; where no
 * such hole exists, any page-aligned hole is taken.
 *
 * Finding a hole.  Each area records the free gap just below it, and each
 * node of the tree the largest gap of its subtree (an augmented rbtree), so
 * the search skips whole subtrees of gaps too short and costs O(log n) in
 * the number of areas, per usable range it looks into: the allowed ranges
 * (as many as the caller set) in turn, each cut by the reserved ranges (a
 * few per attached group).  A gap long enough may still be too short once
 * its start is put in phase with the memory: such gaps are skipped one by
 * one, O(log n) each, and after a few only gaps long enough at any phase
 * are looked at.  So the IOVA chosen is the lowest possible unless more than
 * GAP_MISSES_MAX gaps below it are long enough but out of phase; then it may
 * be a higher one, and the cost stays O(log n).
 *
 * Alignment.  An IOMMU maps whole pages of its own, so an IOAS one of whose
 * domains has a smallest page larger than the CPU's maps only whole such
 * pages: every mapping starts and ends at IOVAs aligned to the largest of
 * the domains' smallest pages, and its page frames come in physically
 * contiguous, aligned blocks of that size (huge pages do).  A MAP or COPY
 * that does not is refused before anything is mapped, and so is a group
 * whose domain could not map an existing area.
 *
 * Work under iova_rwsem is proportional to what the caller maps, unmaps or
 * looks at; every loop over areas reschedules, and the loops that can give
 * up without having changed anything do so (-EINTR) on a fatal signal.
 *
 * The module parameter max_mappings, when not 0, bounds the number of
 * areas each context holds, over all its IOASes (ictx->nr_mappings).
 *
 * Every area is mapped in every hardware domain of the IOAS (ioas->hwpts)
 * for as long as it is in the tree: inserting maps it, removing unmaps it,
 * and a new domain is filled with every area before a group uses it.
 *
 * Locking: iova_rwsem guards the trees and the domain list, so the IOMMU
 * mappings change with the tree.  Pinning happens before it is taken and
 * unpinning after it is dropped, so one thread's pinning does not stall
 * another's unmap.  Areas being built or freed sit on private
 * lists, outside the tree, with their IOVA relative to the start of their
 * range until they are inserted.
 *
 * Vocabulary: "last" is an inclusive end, so a range may end at ULONG_MAX;
 * beware "last + 1".  The module requires 64BIT, so an IOVA fits in an
 * unsigned long.
 */
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/kdev_t.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/rbtree_augmented.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"

#define area_node_of(rbnode) rb_entry(rbnode, struct ioasid_area_node, rb)

static unsigned long area_node_gap(struct ioasid_area_node *node)
{
	return node->gap;
}

RB_DECLARE_CALLBACKS_MAX(static, area_gap_cb, struct ioasid_area_node, rb,
			 unsigned long, subtree_gap, area_node_gap)

/* Insert @new, whose range is free, and account for the gaps it splits. */
static void areas_insert(struct rb_root *root, struct ioasid_area_node *new)
{
	struct rb_node **link = &root->rb_node, *parent = NULL, *prev, *next;

	while (*link) {
		parent = *link;
		if (new->start < area_node_of(parent)->start)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&new->rb, parent, link);
	prev = rb_prev(&new->rb);
	new->gap = new->start - (prev ? area_node_of(prev)->last + 1 : 0);
	new->subtree_gap = new->gap;
	if (parent)
		area_gap_cb_propagate(parent, NULL);
	next = rb_next(&new->rb);
	if (next) {
		area_node_of(next)->gap = area_node_of(next)->start - new->last - 1;
		area_gap_cb_propagate(next, NULL);
	}
	rb_insert_augmented(&new->rb, root, &area_gap_cb);
}

/* Remove @node; the gap below the next area grows by its range and gap. */
static void areas_remove(struct rb_root *root, struct ioasid_area_node *node)
{
	struct rb_node *next = rb_next(&node->rb);

	rb_erase_augmented(&node->rb, root, &area_gap_cb);
	if (next) {
		area_node_of(next)->gap += node->gap + (node->last - node->start + 1);
		area_gap_cb_propagate(next, NULL);
	}
}

/* The first area of [start, last], in IOVA order. */
static struct ioasid_area *area_first(struct ioasid_ioas *ioas,
				      unsigned long start, unsigned long last)
{
	struct rb_node *rb = ioas->areas.rb_node;
	struct ioasid_area_node *found = NULL;

	/* Areas never overlap: their last IOVAs are in order too. */
	while (rb) {
		if (area_node_of(rb)->last >= start) {
			found = area_node_of(rb);
			rb = rb->rb_left;
		} else {
			rb = rb->rb_right;
		}
	}
	if (!found || found->start > last)
		return NULL;
	return container_of(found, struct ioasid_area, node);
}

/* The area after @area, if it starts at or below @last. */
static struct ioasid_area *area_next(struct ioasid_area *area,
				     unsigned long last)
{
	struct rb_node *rb = rb_next(&area->node.rb);

	if (!rb || area_node_of(rb)->start > last)
		return NULL;
	return container_of(area_node_of(rb), struct ioasid_area, node);
}

/**
 * ioasid_ioas_mark_writable() - mark the pages devices may write
 * @ioas: the IO address space, with iova_rwsem held
 * @bitmap: where to mark them
 * @start: the first IOVA to look at
 * @last: the last one
 *
 * The software dirty tracking of IOASID_IOAS_DIRTY_BITMAP: every page
 * mapped writable in [@start, @last] counts as written.
 */
void ioasid_ioas_mark_writable(struct ioasid_ioas *ioas,
			       struct ioasid_dirty_bitmap *bitmap,
			       unsigned long start, unsigned long last)
{
	struct ioasid_area *area;
	unsigned long first, end;

	lockdep_assert_held(&ioas->iova_rwsem);

	for (area = area_first(ioas, start, last); area;
	     area = area_next(area, last)) {
		if (!(area->prot & IOMMU_WRITE))
			continue;
		first = max(area->node.start, start);
		end = min(area->node.last, last);
		ioasid_dirty_mark(bitmap, first, end);
	}
}

/**
 * ioasid_allowed_covers() - is a range inside one allowed range
 * @allowed: allowed ranges; empty allows every IOVA
 * @start: the first IOVA
 * @last: the last IOVA
 *
 * Ranges that touch are merged (allowed_merge()), so one is enough.
 *
 * Return: true when [@start, @last] is allowed.
 */
bool ioasid_allowed_covers(struct rb_root_cached *allowed, unsigned long start,
			   unsigned long last)
{
	struct interval_tree_node *node;

	if (RB_EMPTY_ROOT(&allowed->rb_root))
		return true;
	node = interval_tree_iter_first(allowed, start, start);
	return node && node->last >= last;
}

/**
 * ioasid_ioas_iova_usable() - may mappings use a range
 * @ioas: the IO address space, with iova_rwsem held
 * @start: the first IOVA
 * @last: the last IOVA
 *
 * Return: true when [@start, @last] is allowed and reserves nothing.
 */
bool ioasid_ioas_iova_usable(struct ioasid_ioas *ioas, unsigned long start,
			     unsigned long last)
{
	lockdep_assert_held(&ioas->iova_rwsem);

	return ioasid_allowed_covers(&ioas->allowed, start, last) &&
	       !interval_tree_iter_first(&ioas->reserved, start, last);
}

/* The largest smallest page of the IOAS's domains, at least a CPU page. */
static unsigned long ioas_alignment(struct ioasid_ioas *ioas)
{
	unsigned long align = PAGE_SIZE;
	struct ioasid_hwpt *hwpt;

	lockdep_assert_held(&ioas->iova_rwsem);

	list_for_each_entry(hwpt, &ioas->hwpts, link)
		align = max(align, 1UL << __ffs(hwpt->domain->pgsize_bitmap));
	return align;
}

/**
 * ioasid_ioas_iova_alignment() - the alignment of every mapping of an IOAS
 * @ioas: the IO address space
 *
 * An IOMMU maps only whole pages of its own: in an IOAS whose domains'
 * smallest page is larger than the CPU's, every mapping must be made of
 * whole such pages, at IOVAs and on page frames aligned to it.
 *
 * Return: the alignment, a power of two, at least PAGE_SIZE.
 */
unsigned long ioasid_ioas_iova_alignment(struct ioasid_ioas *ioas)
{
	unsigned long align;

	down_read(&ioas->iova_rwsem);
	align = ioas_alignment(ioas);
	up_read(&ioas->iova_rwsem);
	return align;
}

/*
 * Can a domain whose smallest page is @align map @area: is it made of
 * blocks of @align at aligned IOVAs, each on contiguous, aligned frames?
 */
static bool area_aligned(struct ioasid_area *area, unsigned long align)
{
	unsigned long index = area->pgoff;
	unsigned long end = index + (ioasid_area_length(area) >> PAGE_SHIFT);
	unsigned long pfn, npages;

	if ((area->node.start | ioasid_area_length(area)) & (align - 1))
		return false;
	if (align == PAGE_SIZE)
		return true;
	while (index < end) {
		pfn = ioasid_pages_pfn(area->pages, index, end - index, &npages);
		if ((PFN_PHYS(pfn) | (npages << PAGE_SHIFT)) & (align - 1))
			return false;
		index += npages;
		cond_resched();
	}
	return true;
}

/*
 * Are the areas of @ioas aligned for a new domain whose smallest page is
 * @align?  The areas are, already, for what the IOAS's domains need.
 */
static bool ioas_areas_aligned(struct ioasid_ioas *ioas, unsigned long align)
{
	struct ioasid_area *area;

	if (align <= ioas_alignment(ioas))
		return true;
	for (area = area_first(ioas, 0, ULONG_MAX); area;
	     area = area_next(area, ULONG_MAX))
		if (!area_aligned(area, align))
			return false;
	return true;
}

static int ioas_check_fixed(struct ioasid_ioas *ioas, unsigned long iova,
			    unsigned long length)
{
	unsigned long last = iova + length - 1;

	if (!ioasid_ioas_iova_usable(ioas, iova, last))
		return -ERANGE;
	if (area_first(ioas, iova, last))
		return -EEXIST;
	return 0;
}

/**
 * ioasid_ioas_check_iova() - check the fixed IOVA range of a MAP before its
 *	memory is pinned
 * @ioas: the IO address space
 * @iova: the start of the range
 * @length: its length, which does not wrap
 *
 * A MAP that would fail for its IOVAs fails so before pinning anything;
 * ioasid_ioas_map_pages() checks again, for what changed meanwhile.
 *
 * Return: 0, -EINVAL the range is not aligned to the IOAS's alignment,
 * -ERANGE it is not usable, or -EEXIST it is mapped.
 */
int ioasid_ioas_check_iova(struct ioasid_ioas *ioas, unsigned long iova,
			   unsigned long length)
{
	int rc = -EINVAL;

	down_read(&ioas->iova_rwsem);
	if (!((iova | length) & (ioas_alignment(ioas) - 1)))
		rc = ioas_check_fixed(ioas, iova, length);
	up_read(&ioas->iova_rwsem);
	return rc;
}

/*
 * Place @length bytes in [lo, hi] at the lowest IOVA congruent to @phase
 * modulo @align (a power of two, above @phase).
 */
static bool iova_fit(unsigned long lo, unsigned long hi, unsigned long length,
		     unsigned long align, unsigned long phase,
		     unsigned long *iova)
{
	unsigned long start = (lo & ~(align - 1)) | phase;
	unsigned long last;

	if (start < lo && check_add_overflow(start, align, &start))
		return false;
	if (check_add_overflow(start, length - 1, &last) || last > hi)
		return false;
	*iova = start;
	return true;
}

/**
 * struct iova_want - what a kernel-chosen IOVA must be
 * @length: the number of bytes
 * @align: a power of two the IOVA is in phase with
 * @phase: the IOVA modulo @align
 */
struct iova_want {
	unsigned long length;
	unsigned long align;
	unsigned long phase;
};

/*
 * Gaps long enough for the length whose every placement is out of phase
 * are skipped one by one; after this many, only gaps that hold the length
 * at any phase are looked at.
 */
#define GAP_MISSES_MAX 16

/* Place @want in [lo, hi] clipped to the gap just below @node. */
static bool gap_fit(struct ioasid_area_node *node, unsigned long lo,
		    unsigned long hi, const struct iova_want *want,
		    unsigned long *iova)
{
	if (!node->gap || node->start <= lo)
		return false;
	return iova_fit(max(node->start - node->gap, lo),
			min(node->start - 1, hi), want->length, want->align,
			want->phase, iova);
}

/* Down the left of @node as far as a gap of @need above @lo may be. */
static struct ioasid_area_node *gap_descend(struct ioasid_area_node *node,
					    unsigned long lo,
					    unsigned long need)
{
	struct rb_node *left;

	while ((left = node->rb.rb_left) && node->start > lo &&
	       area_node_of(left)->subtree_gap >= need)
		node = area_node_of(left);
	return node;
}

/*
 * The next area after @node, in IOVA order, that may have a gap of @need
 * below it, above @lo: subtrees whose gaps are all shorter are skipped.
 */
static struct ioasid_area_node *gap_next(struct ioasid_area_node *node,
					 unsigned long lo, unsigned long need)
{
	struct rb_node *right = node->rb.rb_right, *parent;

	if (right && area_node_of(right)->subtree_gap >= need)
		return gap_descend(area_node_of(right), lo, need);
	while ((parent = rb_parent(&node->rb)) && parent->rb_right == &node->rb)
		node = area_node_of(parent);
	return parent ? area_node_of(parent) : NULL;
}

/* Place @want in [lo, hi] above the last area. */
static bool tail_fit(struct rb_root *root, unsigned long lo, unsigned long hi,
		     const struct iova_want *want, unsigned long *iova)
{
	struct rb_node *last = rb_last(root);

	if (last) {
		if (area_node_of(last)->last == ULONG_MAX)
			return false;
		lo = max(lo, area_node_of(last)->last + 1);
	}
	return lo <= hi && iova_fit(lo, hi, want->length, want->align,
				    want->phase, iova);
}

/*
 * Find the lowest IOVA in [lo, hi] where @want fits clear of areas.  The
 * walk visits, in IOVA order, only the areas whose gap below is at least
 * @need long, skipping whole subtrees of shorter gaps by their subtree_gap.
 */
static bool areas_find_gap(struct rb_root *root, unsigned long lo,
			   unsigned long hi, const struct iova_want *want,
			   unsigned long *iova)
{
	unsigned long need = want->length, any_phase;
	struct ioasid_area_node *node = NULL;
	unsigned int misses = 0;

	if (check_add_overflow(want->length, want->align - PAGE_SIZE,
			       &any_phase))
		any_phase = ULONG_MAX;
	if (root->rb_node && area_node_of(root->rb_node)->subtree_gap >= need)
		node = gap_descend(area_node_of(root->rb_node), lo, need);
	for (; node; node = gap_next(node, lo, need)) {
		if (node->start - node->gap > hi)
			return false;
		if (node->gap < need)
			continue;
		if (gap_fit(node, lo, hi, want, iova))
			return true;
		if (++misses == GAP_MISSES_MAX)
			need = any_phase;
	}
	return tail_fit(root, lo, hi, want, iova);
}

/*
 * The first stretch of [*start, last] clear of reserved ranges, as
 * [*start, *end]; false when there is none.
 */
static bool usable_stretch(struct ioasid_ioas *ioas, unsigned long *start,
			   unsigned long last, unsigned long *end)
{
	struct interval_tree_node *busy;
	unsigned long lo = *start;

	/* Skip to the end of a run of reserved ranges over lo. */
	busy = interval_tree_iter_first(&ioas->reserved, lo, last);
	while (busy && busy->start <= lo) {
		if (busy->last >= last)
			return false;
		lo = max(lo, busy->last + 1);
		busy = interval_tree_iter_first(&ioas->reserved, lo, last);
	}
	*start = lo;
	*end = busy ? busy->start - 1 : last;
	return true;
}

/* Find a place for @want in [start, last], clear of areas and reserved. */
static bool range_find_hole(struct ioasid_ioas *ioas, unsigned long start,
			    unsigned long last, const struct iova_want *want,
			    unsigned long *iova)
{
	unsigned long end;

	while (usable_stretch(ioas, &start, last, &end)) {
		if (areas_find_gap(&ioas->areas, start, end, want, iova))
			return true;
		if (end == last)
			break;
		start = end + 1;
	}
	return false;
}

/*
 * Find a place for @want in the usable ranges.  The allowed ranges are as
 * many as the caller set, so their loop may be cut short by a fatal signal.
 */
static int ioas_find_usable_hole(struct ioasid_ioas *ioas,
				 const struct iova_want *want,
				 unsigned long *iova)
{
	struct interval_tree_node *node;

	if (RB_EMPTY_ROOT(&ioas->allowed.rb_root))
		return range_find_hole(ioas, 0, ULONG_MAX, want, iova) ?
		       0 : -ENOSPC;
	for (node = interval_tree_iter_first(&ioas->allowed, 0, ULONG_MAX);
	     node; node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		if (range_find_hole(ioas, node->start, node->last, want, iova))
			return 0;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return -ENOSPC;
}

/*
 * Keep the largest CPU huge page the length can hold (PUD, then PMD) in
 * phase with the memory; fall back to any hole aligned to @min_align, the
 * alignment of the IOAS.
 */
static int ioas_alloc_iova(struct ioasid_ioas *ioas, unsigned long length,
			   unsigned long phase, unsigned long min_align,
			   unsigned long *iova)
{
	/* Not static: PUD_SIZE is not a constant on every architecture. */
	const unsigned long aligns[] = { PUD_SIZE, PMD_SIZE, min_align };
	struct iova_want want = { .length = length };
	int i, rc = -ENOSPC;

	/* The frames at the start are aligned (area_aligned()): so is the IOVA. */
	phase &= ~(min_align - 1);
	for (i = 0; i < ARRAY_SIZE(aligns); i++) {
		if (aligns[i] < min_align ||
		    (length < aligns[i] && aligns[i] != min_align))
			continue;
		want.align = aligns[i];
		want.phase = phase & (aligns[i] - 1);
		rc = ioas_find_usable_hole(ioas, &want, iova);
		if (rc != -ENOSPC)
			return rc;
	}
	return rc;
}

/* Map @area in every hardware domain, or in none. */
static int area_map_hwpts(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	struct ioasid_hwpt *hwpt, *failed;
	int rc;

	list_for_each_entry(hwpt, &ioas->hwpts, link) {
		rc = ioasid_area_map_domain(area, hwpt);
		if (rc)
			goto out_unmap;
	}
	return 0;

out_unmap:
	failed = hwpt;
	list_for_each_entry(hwpt, &ioas->hwpts, link) {
		if (hwpt == failed)
			break;
		ioasid_area_unmap_domain(area, hwpt);
	}
	return rc;
}

static void area_unmap_hwpts(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	struct ioasid_hwpt *hwpt;

	list_for_each_entry(hwpt, &ioas->hwpts, link)
		ioasid_area_unmap_domain(area, hwpt);
}

static unsigned int max_mappings;
module_param(max_mappings, uint, 0644);
MODULE_PARM_DESC(max_mappings,
		 "The most mappings a context may hold, 0 for no limit (default: 0)");

/*
 * Count @count more mappings in @ictx, unless that would take it above
 * max_mappings.  Concurrent MAPs into two IOASes of a context may both be
 * refused where one alone would have fitted; the count stays exact.
 */
static int ctx_charge_mappings(struct ioasid_ctx *ictx, size_t count)
{
	unsigned int max = READ_ONCE(max_mappings);

	if (atomic_long_add_return(count, &ictx->nr_mappings) > max && max) {
		atomic_long_sub(count, &ictx->nr_mappings);
		return -ENOSPC;
	}
	return 0;
}

static void ctx_uncharge_mappings(struct ioasid_ctx *ictx, size_t count)
{
	atomic_long_sub(count, &ictx->nr_mappings);
}

/*
 * Take the areas of @areas before @stop out of the tree and the domains
 * again, and move every area up to @stop back by @iova.
 */
static void ioas_uninsert_areas(struct ioasid_ioas *ioas,
				struct list_head *areas,
				struct ioasid_area *stop, unsigned long iova)
{
	struct ioasid_area *area;

	list_for_each_entry(area, areas, link) {
		if (area != stop) {
			areas_remove(&ioas->areas, &area->node);
			area_unmap_hwpts(ioas, area);
		}
		area->node.start -= iova;
		area->node.last -= iova;
		if (area == stop)
			break;
	}
}

/* Insert @areas at @iova and map them everywhere, or leave all as it was. */
static int ioas_insert_areas(struct ioasid_ioas *ioas, struct list_head *areas,
			     unsigned long iova)
{
	struct ioasid_area *area;
	int rc = 0;

	list_for_each_entry(area, areas, link) {
		area->node.start += iova;
		area->node.last += iova;
		rc = area_map_hwpts(ioas, area);
		if (rc)
			break;
		areas_insert(&ioas->areas, &area->node);
		cond_resched();
	}
	if (!rc) {
		INIT_LIST_HEAD(areas);
		return 0;
	}
	ioas_uninsert_areas(ioas, areas, area, iova);
	return rc;
}

/*
 * Can the IOAS's domains map @areas, relative to @iova (0 for a
 * kernel-chosen one, which will be aligned), as @length bytes?
 */
static int ioas_check_aligned(struct ioasid_ioas *ioas,
			      struct list_head *areas, unsigned long iova,
			      unsigned long length)
{
	unsigned long align = ioas_alignment(ioas);
	struct ioasid_area *area;

	if ((iova | length) & (align - 1))
		return -EINVAL;
	list_for_each_entry(area, areas, link)
		if (!area_aligned(area, align))
			return -EINVAL;
	return 0;
}

/**
 * ioasid_ioas_map_pages() - insert prepared areas as one contiguous range
 * @ioas: the IO address space
 * @areas: areas whose node holds their range relative to the start; emptied
 *	on success, left to the caller on error
 * @iova: in: the IOVA to map at if @fixed; out: the IOVA used
 * @length: the total length of @areas
 * @fixed: map at *@iova rather than at a kernel-chosen IOVA
 * @phase: for a kernel-chosen IOVA, the address it should be congruent to
 *	modulo the huge page size
 *
 * Return: 0, or -ENOSPC when the context would hold more than max_mappings
 * areas, -EINVAL when the IOAS's domains cannot map the areas at that IOVA
 * (ioasid_ioas_iova_alignment()), -ERANGE (outside the usable ranges),
 * -EEXIST (overlap) for a fixed IOVA, -ENOSPC when no hole is large enough,
 * -EINTR when a fatal signal cut the search short, or the error of mapping
 * into a hardware domain.
 */
int ioasid_ioas_map_pages(struct ioasid_ioas *ioas, struct list_head *areas,
			  unsigned long *iova, unsigned long length, bool fixed,
			  unsigned long phase)
{
	size_t count = list_count_nodes(areas);
	int rc;

	rc = ctx_charge_mappings(ioas->ictx, count);
	if (rc)
		return rc;
	down_write(&ioas->iova_rwsem);
	rc = ioas_check_aligned(ioas, areas, fixed ? *iova : 0, length);
	if (!rc && fixed)
		rc = ioas_check_fixed(ioas, *iova, length);
	else if (!rc)
		rc = ioas_alloc_iova(ioas, length, phase, ioas_alignment(ioas),
				     iova);
	if (!rc)
		rc = ioas_insert_areas(ioas, areas, *iova);
	up_write(&ioas->iova_rwsem);
	if (rc)
		ctx_uncharge_mappings(ioas->ictx, count);
	return rc;
}

/**
 * ioasid_ioas_map_batch() - insert prepared areas, each at its own IOVA, all
 *	or none
 * @ioas: the IO address space
 * @areas: areas whose node holds their IOVA range; emptied on success, left
 *	to the caller on error
 * @failed: set on error to the index in @areas of the area the error is
 *	about, or to their number when it is about none in particular
 *
 * Each area is checked (alignment, usable IOVAs, no mapping there, the
 * areas inserted before it included), mapped into every domain and
 * inserted in turn, with the IOAS locked once for all of them.
 *
 * Return: 0, or as ioasid_ioas_map_pages() for a fixed IOVA; then nothing
 * of @areas is mapped.
 */
int ioasid_ioas_map_batch(struct ioasid_ioas *ioas, struct list_head *areas,
			  u32 *failed)
{
	size_t count = list_count_nodes(areas);
	struct ioasid_area *area;
	unsigned long align;
	u32 index = 0;
	int rc;

	*failed = count;
	rc = ctx_charge_mappings(ioas->ictx, count);
	if (rc)
		return rc;
	down_write(&ioas->iova_rwsem);
	align = ioas_alignment(ioas);
	list_for_each_entry(area, areas, link) {
		rc = area_aligned(area, align) ?
		     ioas_check_fixed(ioas, area->node.start,
				      ioasid_area_length(area)) : -EINVAL;
		if (!rc)
			rc = area_map_hwpts(ioas, area);
		if (rc)
			break;
		areas_insert(&ioas->areas, &area->node);
		index++;
		cond_resched();
	}
	if (rc) {
		ioas_uninsert_areas(ioas, areas, area, 0);
		*failed = index;
	} else {
		INIT_LIST_HEAD(areas);
	}
	up_write(&ioas->iova_rwsem);
	if (rc)
		ctx_uncharge_mappings(ioas->ictx, count);
	return rc;
}

/**
 * ioasid_free_areas() - free areas that are not in any tree
 * @areas: a list of areas; each drops its reference on its pages
 */
void ioasid_free_areas(struct list_head *areas)
{
	struct ioasid_area *area, *tmp;

	list_for_each_entry_safe(area, tmp, areas, link) {
		ioasid_pages_put(area->pages);
		kfree(area);
		cond_resched();
	}
}

/*
 * Take every area inside [start, last] out of the tree onto the end of
 * @freed, adding their number to *@count; returns their bytes.
 */
static unsigned long ioas_take_areas(struct ioasid_ioas *ioas,
				     unsigned long start, unsigned long last,
				     struct list_head *freed, size_t *count)
{
	unsigned long removed = 0;
	struct ioasid_area *area;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	while ((area = area_first(ioas, start, last))) {
		areas_remove(&ioas->areas, &area->node);
		list_add_tail(&area->link, freed);
		removed += ioasid_area_length(area);
		(*count)++;
		cond_resched();
	}
	return removed;
}

/*
 * Take every area of the tree onto @freed, an empty list, in IOVA order,
 * adding their number to *@count; returns their bytes.  The tree is left
 * empty at once, so no gap needs keeping as each goes.
 */
static unsigned long ioas_take_all_areas(struct ioasid_ioas *ioas,
					 struct list_head *freed,
					 size_t *count)
{
	unsigned long removed = 0;
	struct ioasid_area *area;
	struct rb_node *rb;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	for (rb = rb_first(&ioas->areas); rb; rb = rb_next(rb)) {
		area = container_of(area_node_of(rb), struct ioasid_area, node);
		list_add_tail(&area->link, freed);
		removed += ioasid_area_length(area);
		(*count)++;
		cond_resched();
	}
	ioas->areas = RB_ROOT;
	return removed;
}

/*
 * Unmap the @count areas taken onto @freed, in IOVA order, from every
 * domain, with one IOTLB flush per domain.
 */
static void ioas_unmap_taken(struct ioasid_ioas *ioas, struct list_head *freed,
			     size_t count)
{
	struct ioasid_hwpt *hwpt;

	list_for_each_entry(hwpt, &ioas->hwpts, link)
		ioasid_hwpt_unmap_areas(hwpt, freed);
	ctx_uncharge_mappings(ioas->ictx, count);
}

/*
 * Take every area inside [start, last] out of the tree onto @freed, an
 * empty list, and unmap them from every domain, with one IOTLB flush per
 * domain.
 */
static unsigned long ioas_remove_areas(struct ioasid_ioas *ioas,
				       unsigned long start, unsigned long last,
				       struct list_head *freed)
{
	size_t count = 0;
	unsigned long removed;

	removed = ioas_take_areas(ioas, start, last, freed, &count);
	ioas_unmap_taken(ioas, freed, count);
	return removed;
}

/*
 * Can the areas inside [@iova, @last] be unmapped: does the range cut none
 * (-EINVAL)?  -EINTR: a fatal signal arrived.
 */
static int ioas_check_unmap(struct ioasid_ioas *ioas, unsigned long iova,
			    unsigned long last)
{
	struct ioasid_area *area;

	lockdep_assert_held(&ioas->iova_rwsem);

	for (area = area_first(ioas, iova, last); area;
	     area = area_next(area, last)) {
		if (area->node.start < iova || area->node.last > last)
			return -EINVAL;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

/**
 * ioasid_ioas_unmap() - unmap the areas inside a range
 * @ioas: the IO address space
 * @iova: the start of the range
 * @length: its length; @iova + @length - 1 must not wrap
 * @unmapped: set to the number of bytes unmapped
 *
 * Return: 0, or -EINVAL when the range cuts an area, -ENOENT when it holds
 * none, -EINTR when a fatal signal arrived while the range was checked;
 * then nothing is unmapped.
 */
int ioasid_ioas_unmap(struct ioasid_ioas *ioas, unsigned long iova,
		      unsigned long length, unsigned long *unmapped)
{
	unsigned long last = iova + length - 1;
	LIST_HEAD(freed);
	int rc;

	down_write(&ioas->iova_rwsem);
	rc = ioas_check_unmap(ioas, iova, last);
	if (!rc)
		*unmapped = ioas_remove_areas(ioas, iova, last, &freed);
	up_write(&ioas->iova_rwsem);

	if (!rc && list_empty(&freed))
		rc = -ENOENT;
	ioasid_free_areas(&freed);
	return rc;
}

/**
 * ioasid_ioas_unmap_batch() - unmap the areas inside several ranges, all
 *	or none
 * @ioas: the IO address space
 * @ranges: the ranges, none of which wraps, in IOVA order and disjoint
 * @num: their number
 * @failed: set on -EINVAL and -ENOENT to the index in @ranges of the
 *	range the error is about
 *
 * Every range is checked, then the areas of all of them are unmapped, with
 * one IOTLB flush per domain, before any is freed.
 *
 * Return: 0, -EINVAL a range cuts an area, -ENOENT one holds none, -EINTR a
 * fatal signal arrived while they were checked; then nothing is unmapped.
 */
int ioasid_ioas_unmap_batch(struct ioasid_ioas *ioas,
			    const struct ioasid_iova_range *ranges, u32 num,
			    u32 *failed)
{
	LIST_HEAD(freed);
	size_t count = 0;
	int rc = 0;
	u32 i;

	down_write(&ioas->iova_rwsem);
	for (i = 0; i < num; i++) {
		rc = ioas_check_unmap(ioas, ranges[i].start, ranges[i].last);
		if (!rc && !area_first(ioas, ranges[i].start, ranges[i].last))
			rc = -ENOENT;
		if (rc)
			break;
	}
	if (rc == -EINVAL || rc == -ENOENT) {
		*failed = i;
	} else if (!rc) {
		for (i = 0; i < num; i++)
			ioas_take_areas(ioas, ranges[i].start, ranges[i].last,
					&freed, &count);
		ioas_unmap_taken(ioas, &freed, count);
	}
	up_write(&ioas->iova_rwsem);
	ioasid_free_areas(&freed);
	return rc;
}

/**
 * ioasid_ioas_unmap_all() - unmap every area
 * @ioas: the IO address space
 *
 * Return: the number of bytes unmapped.
 */
unsigned long ioasid_ioas_unmap_all(struct ioasid_ioas *ioas)
{
	unsigned long unmapped;
	LIST_HEAD(freed);
	size_t count = 0;

	down_write(&ioas->iova_rwsem);
	unmapped = ioas_take_all_areas(ioas, &freed, &count);
	ioas_unmap_taken(ioas, &freed, count);
	up_write(&ioas->iova_rwsem);
	ioasid_free_areas(&freed);
	return unmapped;
}

static bool area_maps_file(const struct ioasid_area *area)
{
	return area->pages->file;
}

static struct ioasid_area *area_slice(struct ioasid_area *src,
				      unsigned long start, unsigned long last,
				      unsigned long range_start, int prot)
{
	struct ioasid_area *area;

	area = ioasid_kzalloc(sizeof(*area));
	if (!area)
		return NULL;
	ioasid_pages_get(src->pages);
	area->pages = src->pages;
	area->pgoff = src->pgoff + ((start - src->node.start) >> PAGE_SHIFT);
	area->prot = prot;
	if (!area_maps_file(src))
		area->uaddr = src->uaddr + (start - src->node.start);
	area->uaddr_invalid = src->uaddr_invalid;
	area->node.start = start - range_start;
	area->node.last = last - range_start;
	return area;
}

/**
 * ioasid_ioas_slice() - new areas sharing the pages a range maps
 * @ioas: the IO address space to copy from
 * @iova: the start of the range
 * @length: its length; @iova + @length - 1 must not wrap
 * @prot: the protection of the new areas
 * @areas: the new areas are added here, with their range relative to @iova,
 *	ready for ioasid_ioas_map_pages()
 *
 * Return: 0, or -ENOENT when part of the range is not mapped, -EPERM when
 * @prot asks to write what an area maps read-only, -ENOMEM, -EINTR when a
 * fatal signal arrived; then @areas is as it was.
 */
int ioasid_ioas_slice(struct ioasid_ioas *ioas, unsigned long iova,
		      unsigned long length, int prot, struct list_head *areas)
{
	unsigned long last = iova + length - 1, next = iova;
	struct ioasid_area *area, *slice;
	LIST_HEAD(slices);
	int rc = -ENOENT;

	down_read(&ioas->iova_rwsem);
	for (area = area_first(ioas, iova, last); area;
	     area = area_next(area, last)) {
		if (area->node.start > next) {
			rc = -ENOENT;
			break;
		}
		if ((prot & IOMMU_WRITE) && !(area->prot & IOMMU_WRITE)) {
			rc = -EPERM;
			break;
		}
		slice = area_slice(area, next, min(area->node.last, last), iova,
				   prot);
		if (!slice) {
			rc = -ENOMEM;
			break;
		}
		list_add_tail(&slice->link, &slices);
		if (area->node.last >= last) {
			rc = 0;
			break;
		}
		next = area->node.last + 1;
		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			break;
		}
		cond_resched();
	}
	up_read(&ioas->iova_rwsem);

	if (rc)
		ioasid_free_areas(&slices);
	else
		list_splice_tail(&slices, areas);
	return rc;
}

/**
 * ioasid_ioas_check_invalidate() - check that a request to invalidate user
 *	addresses can be done whole
 * @ioas: the IO address space, whose iova_rwsem the caller holds
 * @req: the range, and whether each area must have a valid address
 *
 * Return: 0, or -EINVAL an area is cut by the range, -EALREADY an area's
 * address is invalid already where @req wants it valid.
 */
int ioasid_ioas_check_invalidate(struct ioasid_ioas *ioas,
				 const struct ioasid_uaddr_request *req)
{
	struct ioasid_area *area;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	for (area = area_first(ioas, req->start, req->last); area;
	     area = area_next(area, req->last)) {
		if (area->node.start < req->start || area->node.last > req->last)
			return -EINVAL;
		if (req->valid && !area_maps_file(area) && area->uaddr_invalid)
			return -EALREADY;
		cond_resched();
	}
	return 0;
}

/**
 * ioasid_ioas_invalidate_uaddr() - mark the user address of every area of
 *	user memory in a range invalid
 * @ioas: the IO address space, whose iova_rwsem the caller holds for
 *	writing
 * @req: the range, which ioasid_ioas_check_invalidate() passed
 * @length: the length of the areas whose address was valid is added here
 *
 * Return: the number of areas whose address was valid.
 */
unsigned long ioasid_ioas_invalidate_uaddr(struct ioasid_ioas *ioas,
					   const struct ioasid_uaddr_request *req,
					   u64 *length)
{
	struct ioasid_area *area;
	unsigned long n = 0;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	for (area = area_first(ioas, req->start, req->last); area;
	     area = area_next(area, req->last)) {
		if (area_maps_file(area) || area->uaddr_invalid)
			continue;
		area->uaddr_invalid = true;
		*length += ioasid_area_length(area);
		n++;
		cond_resched();
	}
	return n;
}

/*
 * Does @req give @area an address, and which, in *@uaddr?  -ENOENT: it
 * needs none (it maps a file), or has a valid one, which SHIFT skips;
 * -EEXIST: it has a valid one, which a range may not hold; -EOVERFLOW: the
 * new one wraps.
 */
static int supply_uaddr(const struct ioasid_uaddr_request *req,
			const struct ioasid_area *area, unsigned long *uaddr)
{
	unsigned long last;

	if (area_maps_file(area))
		return -ENOENT;
	if (!area->uaddr_invalid)
		return req->shift ? -ENOENT : -EEXIST;
	if (req->shift)
		*uaddr = area->uaddr + req->user_va;
	else
		*uaddr = req->user_va + (area->node.start - req->start);
	if (check_add_overflow(*uaddr, ioasid_area_length(area) - 1, &last))
		return -EOVERFLOW;
	return 0;
}

/**
 * ioasid_ioas_check_supply() - check the memory a supply of user addresses
 *	offers each area
 * @ioas: the IO address space, whose iova_rwsem the caller holds
 * @req: the request
 * @found: the number of areas it gives an address is added here
 *
 * Return: 0, or the errno of the first area refused, as
 * ioasid_pages_verify(), or -EINVAL an area is cut by the range (or, with
 * @req->one, is not the range), -EEXIST an area in the range has a valid
 * address, -EOVERFLOW a new address range wraps.
 */
int ioasid_ioas_check_supply(struct ioasid_ioas *ioas,
			     const struct ioasid_uaddr_request *req,
			     unsigned long *found)
{
	struct ioasid_area *area;
	unsigned long uaddr;
	int rc;

	lockdep_assert_held(&ioas->iova_rwsem);

	for (area = area_first(ioas, req->start, req->last); area;
	     area = area_next(area, req->last)) {
		if (area->node.start < req->start || area->node.last > req->last)
			return -EINVAL;
		if (req->one && (area->node.start != req->start ||
				 area->node.last != req->last))
			return -EINVAL;
		rc = supply_uaddr(req, area, &uaddr);
		if (rc == -ENOENT)
			continue;
		if (rc)
			return rc;
		rc = ioasid_pages_verify(area->pages, area->pgoff,
					 ioasid_area_length(area) >> PAGE_SHIFT,
					 uaddr, area->prot & IOMMU_WRITE);
		if (rc)
			return rc;
		(*found)++;
	}
	return 0;
}

/**
 * ioasid_ioas_supply() - give the areas the addresses a request checked
 * @ioas: the IO address space, whose iova_rwsem the caller has held for
 *	writing since ioasid_ioas_check_supply() passed
 * @req: the request
 */
void ioasid_ioas_supply(struct ioasid_ioas *ioas,
			const struct ioasid_uaddr_request *req)
{
	struct ioasid_area *area;
	unsigned long uaddr;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	for (area = area_first(ioas, req->start, req->last); area;
	     area = area_next(area, req->last)) {
		if (supply_uaddr(req, area, &uaddr))
			continue;
		area->uaddr = uaddr;
		area->uaddr_invalid = false;
		cond_resched();
	}
}

/* Where the memory of @area, a file's, is in its file. */
static void describe_file_area(const struct ioasid_area *area,
			       struct ioasid_mapping *out)
{
	struct ioasid_pages *pages = area->pages;

	out->flags |= IOASID_MAPPING_FILE;
	out->file_dev = new_encode_dev(file_inode(pages->file)->i_sb->s_dev);
	out->file_ino = file_inode(pages->file)->i_ino;
	out->file_offset = (u64)(pages->start + area->pgoff) << PAGE_SHIFT;
}

/**
 * ioasid_ioas_read_mappings() - describe the areas from an IOVA on
 * @ioas: the IO address space
 * @start: the first area described is the first that ends at or above it
 * @out: where to describe them
 * @max: the room at @out
 * @next: set to the IOVA after the last area described, or to @start when
 *	none was
 *
 * The wait for the IOAS's lock ends when the task is killed: a reader of
 * another process's context may not be stuck behind a command that is.
 *
 * Return: the number of areas described, or -EINTR.
 */
int ioasid_ioas_read_mappings(struct ioasid_ioas *ioas, unsigned long start,
			      struct ioasid_mapping *out, unsigned int max,
			      unsigned long *next)
{
	struct ioasid_area *area;
	unsigned int n = 0;

	*next = start;
	if (down_read_killable(&ioas->iova_rwsem))
		return -EINTR;
	for (area = area_first(ioas, start, ULONG_MAX); area && n < max;
	     area = area_next(area, ULONG_MAX), n++) {
		out[n] = (struct ioasid_mapping){
			.iova = area->node.start,
			.length = ioasid_area_length(area),
		};
		if (area_maps_file(area))
			describe_file_area(area, &out[n]);
		else
			out[n].user_va = area->uaddr;
		if (area->prot & IOMMU_READ)
			out[n].flags |= IOASID_MAPPING_READABLE;
		if (area->prot & IOMMU_WRITE)
			out[n].flags |= IOASID_MAPPING_WRITEABLE;
		if (area->uaddr_invalid)
			out[n].flags |= IOASID_MAPPING_UADDR_INVALID;
		*next = area->node.last + 1;
	}
	up_read(&ioas->iova_rwsem);
	return n;
}

/**
 * ioasid_allowed_free() - empty a tree of allowed ranges
 * @allowed: the tree
 */
void ioasid_allowed_free(struct rb_root_cached *allowed)
{
	struct interval_tree_node *node;

	while ((node = interval_tree_iter_first(allowed, 0, ULONG_MAX))) {
		interval_tree_remove(node, allowed);
		kfree(container_of(node, struct ioasid_allowed, node));
	}
}

/**
 * ioasid_allowed_add() - add a range to a tree of allowed ranges
 * @allowed: the tree, not yet any IOAS's
 * @start: the first IOVA
 * @last: the last IOVA
 *
 * Return: 0, or -EINVAL when the range overlaps one in @allowed, -ENOMEM.
 */
int ioasid_allowed_add(struct rb_root_cached *allowed, unsigned long start,
		       unsigned long last)
{
	struct ioasid_allowed *range;

	if (interval_tree_iter_first(allowed, start, last))
		return -EINVAL;
	range = ioasid_kzalloc(sizeof(*range));
	if (!range)
		return -ENOMEM;
	range->node.start = start;
	range->node.last = last;
	interval_tree_insert(&range->node, allowed);
	return 0;
}

/* Merge ranges that touch, so that a mapping may span them. */
static void allowed_merge(struct rb_root_cached *allowed)
{
	struct interval_tree_node *node, *next;

	node = interval_tree_iter_first(allowed, 0, ULONG_MAX);
	while (node && node->last != ULONG_MAX) {
		next = interval_tree_iter_first(allowed, node->last + 1,
						node->last + 1);
		if (!next) {
			node = interval_tree_iter_next(node, 0, ULONG_MAX);
			continue;
		}
		interval_tree_remove(next, allowed);
		interval_tree_remove(node, allowed);
		node->last = next->last;
		interval_tree_insert(node, allowed);
		kfree(container_of(next, struct ioasid_allowed, node));
	}
}

/**
 * ioasid_ioas_set_allowed() - replace the allowed IOVA ranges
 * @ioas: the IO address space
 * @allowed: the new ranges, built with ioasid_allowed_add(); empty allows
 *	every IOVA.  On success the old ranges are left here to be freed.
 *
 * Return: 0, or -EADDRINUSE when an area lies outside the new ranges,
 * -EBUSY when a range the enabled IOAS froze does, -EINTR when a fatal
 * signal arrived; then the allowed ranges are unchanged.
 */
int ioasid_ioas_set_allowed(struct ioasid_ioas *ioas,
			    struct rb_root_cached *allowed)
{
	struct ioasid_area *area;
	int rc = 0;

	allowed_merge(allowed);
	down_write(&ioas->iova_rwsem);
	if (ioas->features && !ioasid_features_allowed(ioas->features, allowed))
		rc = -EBUSY;
	for (area = rc ? NULL : area_first(ioas, 0, ULONG_MAX); area;
	     area = area_next(area, ULONG_MAX)) {
		if (!ioasid_allowed_covers(allowed, area->node.start, area->node.last)) {
			rc = -EADDRINUSE;
			break;
		}
		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			break;
		}
		cond_resched();
	}
	if (!rc)
		swap(*allowed, ioas->allowed);
	up_write(&ioas->iova_rwsem);
	return rc;
}

/* Put [start, last] less the reserved ranges in @out; @n counts them all. */
static void span_ranges(struct ioasid_ioas *ioas,
			struct ioasid_iova_range *out, unsigned int *n,
			unsigned int max, unsigned long start,
			unsigned long last)
{
	unsigned long end;

	while (usable_stretch(ioas, &start, last, &end)) {
		if (*n < max) {
			out[*n].start = start;
			out[*n].last = end;
		}
		(*n)++;
		if (end == last)
			return;
		start = end + 1;
	}
}

/**
 * ioasid_ioas_usable_ranges() - the IOVA ranges that can be mapped
 * @ioas: the IO address space
 * @out: filled with up to @max ranges, in IOVA order
 * @max: the room in @out
 *
 * Return: the number of usable ranges, which may be above @max.
 */
unsigned int ioasid_ioas_usable_ranges(struct ioasid_ioas *ioas,
				       struct ioasid_iova_range *out,
				       unsigned int max)
{
	struct interval_tree_node *node;
	unsigned int n = 0;

	down_read(&ioas->iova_rwsem);
	if (RB_EMPTY_ROOT(&ioas->allowed.rb_root))
		span_ranges(ioas, out, &n, max, 0, ULONG_MAX);
	for (node = interval_tree_iter_first(&ioas->allowed, 0, ULONG_MAX);
	     node; node = interval_tree_iter_next(node, 0, ULONG_MAX))
		span_ranges(ioas, out, &n, max, node->start, node->last);
	up_read(&ioas->iova_rwsem);
	return n;
}

/**
 * ioasid_ioas_reserve() - reserve IOVA ranges on behalf of an owner
 * @ioas: the IO address space, with iova_rwsem held for writing
 * @owner: what the ranges belong to, to remove them by
 * @start: the first IOVA
 * @last: the last IOVA
 *
 * Return: 0, or -EADDRINUSE when an area lies in the range, -ENOMEM.
 */
int ioasid_ioas_reserve(struct ioasid_ioas *ioas, const void *owner,
			unsigned long start, unsigned long last)
{
	struct ioasid_reserved *reserved;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	if (area_first(ioas, start, last))
		return -EADDRINUSE;
	reserved = ioasid_kzalloc(sizeof(*reserved));
	if (!reserved)
		return -ENOMEM;
	reserved->owner = owner;
	reserved->node.start = start;
	reserved->node.last = last;
	interval_tree_insert(&reserved->node, &ioas->reserved);
	return 0;
}

/**
 * ioasid_ioas_unreserve() - remove every range an owner reserved
 * @ioas: the IO address space, with iova_rwsem held for writing
 * @owner: as given to ioasid_ioas_reserve()
 */
void ioasid_ioas_unreserve(struct ioasid_ioas *ioas, const void *owner)
{
	struct interval_tree_node *node, *next;
	struct ioasid_reserved *reserved;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	for (node = interval_tree_iter_first(&ioas->reserved, 0, ULONG_MAX);
	     node; node = next) {
		next = interval_tree_iter_next(node, 0, ULONG_MAX);
		reserved = container_of(node, struct ioasid_reserved, node);
		if (reserved->owner != owner)
			continue;
		interval_tree_remove(node, &ioas->reserved);
		kfree(reserved);
	}
}

/**
 * ioasid_ioas_fill_domain() - map every area of an IOAS into a new domain
 * @ioas: the IO address space, with iova_rwsem held for writing
 * @hwpt: the hardware page table of an empty paging domain, not yet one of
 *	the IOAS's
 *
 * Return: 0, or -EADDRINUSE when an area is not made of whole pages of the
 * domain's smallest size (at aligned IOVAs and page frames), or the error
 * of iommu_map(); then the domain is empty again.
 */
int ioasid_ioas_fill_domain(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt)
{
	struct ioasid_area *area, *failed;
	int rc = 0;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	if (!ioas_areas_aligned(ioas, 1UL << __ffs(hwpt->domain->pgsize_bitmap)))
		return -EADDRINUSE;

	for (area = area_first(ioas, 0, ULONG_MAX); area;
	     area = area_next(area, ULONG_MAX)) {
		rc = ioasid_area_map_domain(area, hwpt);
		if (rc)
			break;
		cond_resched();
	}
	if (!rc)
		return 0;
	failed = area;
	for (area = area_first(ioas, 0, ULONG_MAX); area != failed;
	     area = area_next(area, ULONG_MAX)) {
		ioasid_area_unmap_domain(area, hwpt);
		cond_resched();
	}
	return rc;
}

/**
 * ioasid_ioas_alloc() - create an empty IO address space
 * @ictx: the context to create it in
 *
 * Return: the new IOAS, not yet visible by id, or an ERR_PTR.
 */
struct ioasid_ioas *ioasid_ioas_alloc(struct ioasid_ctx *ictx)
{
	struct ioasid_object *obj;
	struct ioasid_ioas *ioas;

	obj = ioasid_object_alloc(ictx, sizeof(*ioas), IOASID_OBJ_IOAS);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	ioas = container_of(obj, struct ioasid_ioas, obj);
	ioas->ictx = ictx;
	init_rwsem(&ioas->iova_rwsem);
	ioas->areas = RB_ROOT;
	ioas->allowed = RB_ROOT_CACHED;
	ioas->reserved = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&ioas->hwpts);
	INIT_LIST_HEAD(&ioas->devices);
	INIT_LIST_HEAD(&ioas->pasids);
	INIT_LIST_HEAD(&ioas->nested);
	return ioas;
}

/**
 * ioasid_ioas_destroy() - unmap everything of an IOAS being destroyed
 * @obj: the IOAS's object header
 */
void ioasid_ioas_destroy(struct ioasid_object *obj)
{
	struct ioasid_ioas *ioas = container_of(obj, struct ioasid_ioas, obj);

	/* Attached groups hold the IOAS: none is left. */
	WARN_ON(!list_empty(&ioas->hwpts) || !list_empty(&ioas->devices) ||
		!list_empty(&ioas->pasids));
	ioasid_ioas_unmap_all(ioas);
	ioasid_allowed_free(&ioas->allowed);
	kfree(ioas->features);
}
