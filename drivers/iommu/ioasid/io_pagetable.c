// SPDX-License-Identifier: GPL-2.0
/*
 * The IOVA space of an IO address space.
 *
 * Theory of operation
 *
 * An IOAS is a set of areas, each mapping an IOVA range to a slice of one
 * struct ioasid_pages.  Areas never overlap; they live in an interval tree
 * keyed by IOVA, so lookups, hole searches and range walks visit them in
 * IOVA order.  A MAP makes one area over a fresh pin; a COPY makes one area
 * per source area it touches, sharing the source's pages.  An UNMAP removes
 * whole areas only: a range that would cut one is refused before anything is
 * removed.
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
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"

static struct ioasid_area *area_first(struct ioasid_ioas *ioas,
				      unsigned long start, unsigned long last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_first(&ioas->areas, start, last);
	return node ? container_of(node, struct ioasid_area, node) : NULL;
}

static struct ioasid_area *area_next(struct ioasid_area *area,
				     unsigned long start, unsigned long last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_next(&area->node, start, last);
	return node ? container_of(node, struct ioasid_area, node) : NULL;
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

/* Of the areas and reserved ranges in [start, last], one that ends last. */
static struct interval_tree_node *ioas_busy(struct ioasid_ioas *ioas,
					    unsigned long start,
					    unsigned long last)
{
	struct interval_tree_node *area, *reserved;

	area = interval_tree_iter_first(&ioas->areas, start, last);
	reserved = interval_tree_iter_first(&ioas->reserved, start, last);
	if (!area || (reserved && reserved->last > area->last))
		return reserved;
	return area;
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

/* Find a hole of @length in [start, last] clear of areas and reserved. */
static bool ioas_find_hole(struct ioasid_ioas *ioas, unsigned long start,
			   unsigned long last, unsigned long length,
			   unsigned long align, unsigned long phase,
			   unsigned long *iova)
{
	struct interval_tree_node *busy;
	unsigned long lo = start;

	while (iova_fit(lo, last, length, align, phase, iova)) {
		busy = ioas_busy(ioas, *iova, *iova + length - 1);
		if (!busy)
			return true;
		if (busy->last >= last)
			return false;
		lo = busy->last + 1;
	}
	return false;
}

static bool ioas_find_usable_hole(struct ioasid_ioas *ioas,
				  unsigned long length, unsigned long align,
				  unsigned long phase, unsigned long *iova)
{
	struct interval_tree_node *node;

	if (RB_EMPTY_ROOT(&ioas->allowed.rb_root))
		return ioas_find_hole(ioas, 0, ULONG_MAX, length, align, phase,
				      iova);
	for (node = interval_tree_iter_first(&ioas->allowed, 0, ULONG_MAX);
	     node; node = interval_tree_iter_next(node, 0, ULONG_MAX))
		if (ioas_find_hole(ioas, node->start, node->last, length, align,
				   phase, iova))
			return true;
	return false;
}

/*
 * Keep the largest CPU huge page the length can hold (PUD, then PMD) in
 * phase with the memory; fall back to any page-aligned hole.
 */
static int ioas_alloc_iova(struct ioasid_ioas *ioas, unsigned long length,
			   unsigned long phase, unsigned long *iova)
{
	/* Not static: PUD_SIZE is not a constant on every architecture. */
	const unsigned long aligns[] = { PUD_SIZE, PMD_SIZE, PAGE_SIZE };
	int i;

	for (i = 0; i < ARRAY_SIZE(aligns); i++) {
		if (length < aligns[i] && aligns[i] != PAGE_SIZE)
			continue;
		if (ioas_find_usable_hole(ioas, length, aligns[i],
					  phase & (aligns[i] - 1), iova))
			return 0;
	}
	return -ENOSPC;
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

/* Insert @areas at @iova and map them everywhere, or leave all as it was. */
static int ioas_insert_areas(struct ioasid_ioas *ioas, struct list_head *areas,
			     unsigned long iova)
{
	struct ioasid_area *area, *done;
	int rc = 0;

	list_for_each_entry(area, areas, link) {
		area->node.start += iova;
		area->node.last += iova;
		rc = area_map_hwpts(ioas, area);
		if (rc)
			break;
		interval_tree_insert(&area->node, &ioas->areas);
	}
	if (!rc) {
		INIT_LIST_HEAD(areas);
		return 0;
	}

	done = area;
	list_for_each_entry(area, areas, link) {
		if (area != done) {
			interval_tree_remove(&area->node, &ioas->areas);
			area_unmap_hwpts(ioas, area);
		}
		area->node.start -= iova;
		area->node.last -= iova;
		if (area == done)
			break;
	}
	return rc;
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
 * Return: 0, or -ERANGE (outside the usable ranges), -EEXIST (overlap) for
 * a fixed IOVA, -ENOSPC when no hole is large enough, or the error of
 * mapping into a hardware domain.
 */
int ioasid_ioas_map_pages(struct ioasid_ioas *ioas, struct list_head *areas,
			  unsigned long *iova, unsigned long length, bool fixed,
			  unsigned long phase)
{
	int rc;

	down_write(&ioas->iova_rwsem);
	if (fixed)
		rc = ioas_check_fixed(ioas, *iova, length);
	else
		rc = ioas_alloc_iova(ioas, length, phase, iova);
	if (!rc)
		rc = ioas_insert_areas(ioas, areas, *iova);
	up_write(&ioas->iova_rwsem);
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
	}
}

/* Take every area inside [start, last] out of the tree onto @freed. */
static unsigned long ioas_remove_areas(struct ioasid_ioas *ioas,
				       unsigned long start, unsigned long last,
				       struct list_head *freed)
{
	unsigned long removed = 0;
	struct ioasid_area *area;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	while ((area = area_first(ioas, start, last))) {
		area_unmap_hwpts(ioas, area);
		interval_tree_remove(&area->node, &ioas->areas);
		list_add_tail(&area->link, freed);
		removed += ioasid_area_length(area);
	}
	return removed;
}

/**
 * ioasid_ioas_unmap() - unmap the areas inside a range
 * @ioas: the IO address space
 * @iova: the start of the range
 * @length: its length; @iova + @length - 1 must not wrap
 * @unmapped: set to the number of bytes unmapped
 *
 * Return: 0, or -EINVAL when the range cuts an area, -ENOENT when it holds
 * none; then nothing is unmapped.
 */
int ioasid_ioas_unmap(struct ioasid_ioas *ioas, unsigned long iova,
		      unsigned long length, unsigned long *unmapped)
{
	unsigned long last = iova + length - 1;
	struct ioasid_area *area;
	LIST_HEAD(freed);
	int rc = 0;

	down_write(&ioas->iova_rwsem);
	for (area = area_first(ioas, iova, last); area;
	     area = area_next(area, iova, last)) {
		if (area->node.start < iova || area->node.last > last) {
			rc = -EINVAL;
			break;
		}
	}
	if (!rc)
		*unmapped = ioas_remove_areas(ioas, iova, last, &freed);
	up_write(&ioas->iova_rwsem);

	if (!rc && list_empty(&freed))
		rc = -ENOENT;
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

	down_write(&ioas->iova_rwsem);
	unmapped = ioas_remove_areas(ioas, 0, ULONG_MAX, &freed);
	up_write(&ioas->iova_rwsem);
	ioasid_free_areas(&freed);
	return unmapped;
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
 * @prot asks to write pages pinned read-only, -ENOMEM; then @areas is as it
 * was.
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
	     area = area_next(area, iova, last)) {
		if (area->node.start > next) {
			rc = -ENOENT;
			break;
		}
		if ((prot & IOMMU_WRITE) && !area->pages->writable) {
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
	}
	up_read(&ioas->iova_rwsem);

	if (rc)
		ioasid_free_areas(&slices);
	else
		list_splice_tail(&slices, areas);
	return rc;
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
 * Return: 0, or -EADDRINUSE when an area lies outside the new ranges, or
 * -EBUSY when a range the enabled IOAS froze does; then the allowed ranges
 * are unchanged.
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
	     area = area_next(area, 0, ULONG_MAX)) {
		if (!ioasid_allowed_covers(allowed, area->node.start, area->node.last)) {
			rc = -EADDRINUSE;
			break;
		}
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
	struct interval_tree_node *busy;

	for (;;) {
		busy = interval_tree_iter_first(&ioas->reserved, start, last);
		/* Skip to the end of a run of reserved ranges over start. */
		while (busy && busy->start <= start) {
			if (busy->last >= last)
				return;
			start = max(start, busy->last + 1);
			busy = interval_tree_iter_first(&ioas->reserved, start,
							last);
		}
		if (*n < max) {
			out[*n].start = start;
			out[*n].last = busy ? busy->start - 1 : last;
		}
		(*n)++;
		if (!busy)
			return;
		start = busy->start;
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
 * @hwpt: the hardware page table of an empty paging domain
 *
 * Return: 0, or the error of iommu_map(); then the domain is empty again.
 */
int ioasid_ioas_fill_domain(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt)
{
	struct ioasid_area *area, *failed;
	int rc = 0;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	for (area = area_first(ioas, 0, ULONG_MAX); area;
	     area = area_next(area, 0, ULONG_MAX)) {
		rc = ioasid_area_map_domain(area, hwpt);
		if (rc)
			break;
	}
	if (!rc)
		return 0;
	failed = area;
	for (area = area_first(ioas, 0, ULONG_MAX); area != failed;
	     area = area_next(area, 0, ULONG_MAX))
		ioasid_area_unmap_domain(area, hwpt);
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
	init_rwsem(&ioas->iova_rwsem);
	ioas->areas = RB_ROOT_CACHED;
	ioas->allowed = RB_ROOT_CACHED;
	ioas->reserved = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&ioas->hwpts);
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
	WARN_ON(!list_empty(&ioas->hwpts));
	ioasid_ioas_unmap_all(ioas);
	ioasid_allowed_free(&ioas->allowed);
	kfree(ioas->features);
}
