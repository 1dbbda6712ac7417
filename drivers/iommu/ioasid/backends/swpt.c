// SPDX-License-Identifier: GPL-2.0
/*
 * A page table in software: what a backend whose hardware has no page
 * table of the IOAS's own keeps of a domain's mappings.
 *
 * The mock IOMMU walks it for its software DMA.  The SPAPR TCE backend
 * keeps one per domain because the TCE tables belong to the endpoint, not
 * to a domain: a domain's mappings must outlive its turn in them, to go
 * back there when a replace is undone.
 *
 * An entry is an xarray value: the IOMMU page frame, then the permissions
 * and the dirty bit, which the mock IOMMU sets as its devices write.  The
 * xarray's lock guards the entries; whoever maps and unmaps (the IOAS,
 * under its iova_rwsem) keeps an entry's page alive for its readers.
 */
#include <linux/iommu.h>
#include <linux/sched.h>
#include <linux/xarray.h>

#include "backend.h"

enum {
	SWPT_READ = 1 << 0,
	SWPT_WRITE = 1 << 1,
	SWPT_DIRTY = 1 << 2,
	SWPT_PFN_SHIFT = 3,
};

/* Entries read_dirty looks at under the xarray's lock at once. */
#define SWPT_DIRTY_BATCH 256

/**
 * ioasid_swpt_init() - an empty page table
 * @pt: the page table
 * @shift: log2 of its page size
 */
void ioasid_swpt_init(struct ioasid_swpt *pt, unsigned int shift)
{
	xa_init(&pt->ptes);
	pt->shift = shift;
}

/**
 * ioasid_swpt_destroy() - free a page table, with what it maps
 * @pt: the page table
 */
void ioasid_swpt_destroy(struct ioasid_swpt *pt)
{
	xa_destroy(&pt->ptes);
}

static unsigned long swpt_entry(struct ioasid_swpt *pt, phys_addr_t paddr,
				int prot)
{
	unsigned long pte = (paddr >> pt->shift) << SWPT_PFN_SHIFT;

	if (prot & IOMMU_READ)
		pte |= SWPT_READ;
	if (prot & IOMMU_WRITE)
		pte |= SWPT_WRITE;
	return pte;
}

/**
 * ioasid_swpt_map() - map physically contiguous pages
 * @pt: the page table
 * @iova: the first IOVA, aligned to the page size
 * @paddr: the first physical address, aligned to the page size
 * @size: the length, in whole pages
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 * @gfp: for the xarray's nodes
 * @mapped: set to how much was mapped
 *
 * Return: 0, or -EBUSY when a page is mapped already, or -ENOMEM; then
 * *@mapped tells what was mapped before.
 */
int ioasid_swpt_map(struct ioasid_swpt *pt, unsigned long iova,
		    phys_addr_t paddr, size_t size, int prot, gfp_t gfp,
		    size_t *mapped)
{
	unsigned long first = iova >> pt->shift, n = size >> pt->shift, i;
	unsigned long pte = swpt_entry(pt, paddr, prot);
	int rc = 0;

	for (i = 0; i < n && !rc; i++)
		rc = xa_insert(&pt->ptes, first + i,
			       xa_mk_value(pte + (i << SWPT_PFN_SHIFT)), gfp);
	*mapped = (rc ? i - 1 : i) << pt->shift;
	return rc;
}

/**
 * ioasid_swpt_unmap() - unmap pages, up to the first hole
 * @pt: the page table
 * @iova: the first IOVA, aligned to the page size
 * @size: the length, in whole pages
 *
 * Return: the length unmapped.
 */
size_t ioasid_swpt_unmap(struct ioasid_swpt *pt, unsigned long iova,
			 size_t size)
{
	unsigned long first = iova >> pt->shift, n = size >> pt->shift, i;

	for (i = 0; i < n; i++)
		if (!xa_erase(&pt->ptes, first + i))
			break;
	return i << pt->shift;
}

/**
 * ioasid_swpt_lookup() - what an IOVA translates to
 * @pt: the page table
 * @iova: the IOVA
 * @paddr: set to the physical address
 * @prot: set to IOMMU_READ and/or IOMMU_WRITE
 *
 * Return: whether @iova is mapped.
 */
bool ioasid_swpt_lookup(struct ioasid_swpt *pt, unsigned long iova,
			phys_addr_t *paddr, int *prot)
{
	void *entry = xa_load(&pt->ptes, iova >> pt->shift);
	unsigned long pte;

	if (!entry)
		return false;
	pte = xa_to_value(entry);
	*prot = (pte & SWPT_READ ? IOMMU_READ : 0) |
		(pte & SWPT_WRITE ? IOMMU_WRITE : 0);
	*paddr = ((phys_addr_t)(pte >> SWPT_PFN_SHIFT) << pt->shift) |
		 (iova & ((1UL << pt->shift) - 1));
	return true;
}

/**
 * ioasid_swpt_iova_to_phys() - the iova_to_phys of a domain on a swpt
 * @pt: the page table
 * @iova: the IOVA
 *
 * Return: the physical address @iova translates to, or 0 when it is not
 * mapped, as struct iommu_domain_ops wants.
 */
phys_addr_t ioasid_swpt_iova_to_phys(struct ioasid_swpt *pt, dma_addr_t iova)
{
	phys_addr_t paddr;
	int prot;

	return ioasid_swpt_lookup(pt, iova, &paddr, &prot) ? paddr : 0;
}

/**
 * ioasid_swpt_next_run() - the next run of pages mapped alike
 * @pt: the page table
 * @iova: in, where to look from; out, the run's first IOVA
 * @paddr: set to the run's first physical address
 * @size: set to the run's length: its pages are physically contiguous,
 *	at consecutive IOVAs, with the same permissions
 * @prot: set to the run's permissions
 *
 * Return: whether there is a run at or after @iova.
 */
bool ioasid_swpt_next_run(struct ioasid_swpt *pt, unsigned long *iova,
			  phys_addr_t *paddr, size_t *size, int *prot)
{
	unsigned long index = *iova >> pt->shift, first, pte;
	void *entry;

	entry = xa_find(&pt->ptes, &index, ULONG_MAX, XA_PRESENT);
	if (!entry)
		return false;
	first = index;
	pte = xa_to_value(entry);
	for (;;) {
		entry = xa_load(&pt->ptes, index + 1);
		if (!entry || (xa_to_value(entry) & ~SWPT_DIRTY) !=
			      (pte & ~SWPT_DIRTY) +
			      ((index + 1 - first) << SWPT_PFN_SHIFT))
			break;
		index++;
	}
	*iova = first << pt->shift;
	ioasid_swpt_lookup(pt, *iova, paddr, prot);
	*size = (index - first + 1) << pt->shift;
	return true;
}

/**
 * ioasid_swpt_set_dirty() - mark the page of an IOVA written
 * @pt: the page table
 * @iova: an IOVA of the page; nothing happens when it is not mapped
 */
void ioasid_swpt_set_dirty(struct ioasid_swpt *pt, unsigned long iova)
{
	unsigned long index = iova >> pt->shift;
	void *entry;

	xa_lock(&pt->ptes);
	entry = xa_load(&pt->ptes, index);
	if (entry && !(xa_to_value(entry) & SWPT_DIRTY))
		__xa_store(&pt->ptes, index,
			   xa_mk_value(xa_to_value(entry) | SWPT_DIRTY), 0);
	xa_unlock(&pt->ptes);
}

/**
 * ioasid_swpt_read_dirty() - find, and clear, the pages written
 * @pt: the page table
 * @iova: the first IOVA to look at
 * @length: the bytes to look at
 * @keep: leave the dirty bits set
 * @bitmap: where to mark the pages written
 *
 * Replacing an entry takes no memory, so this cannot fail.
 */
void ioasid_swpt_read_dirty(struct ioasid_swpt *pt, unsigned long iova,
			    unsigned long length, bool keep,
			    struct ioasid_dirty_bitmap *bitmap)
{
	unsigned long last = (iova + length - 1) >> pt->shift;
	unsigned long index = iova >> pt->shift, pte;
	unsigned int n;
	void *entry;

	/* A batch of entries at a time, rescheduling between batches. */
	for (;;) {
		n = 0;
		xa_lock(&pt->ptes);
		xa_for_each_range(&pt->ptes, index, entry, index, last) {
			pte = xa_to_value(entry);
			if (pte & SWPT_DIRTY) {
				ioasid_dirty_mark(bitmap, index << pt->shift,
						  ((index + 1) << pt->shift) - 1);
				if (!keep)
					__xa_store(&pt->ptes, index,
						   xa_mk_value(pte & ~SWPT_DIRTY),
						   0);
			}
			if (++n == SWPT_DIRTY_BATCH)
				break;
		}
		xa_unlock(&pt->ptes);
		if (n < SWPT_DIRTY_BATCH || index == last)
			return;
		index++;
		cond_resched();
	}
}
