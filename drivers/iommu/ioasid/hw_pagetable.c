// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware page tables: the IOMMU domains an IOAS is mapped into.
 *
 * An IOAS keeps one struct ioasid_hwpt, a paging iommu_domain, for each
 * kind of IOMMU its attached groups need: a group joins an existing domain
 * of the IOAS when the IOMMU driver accepts it, and gets a new one
 * otherwise.  A domain holds exactly the areas of its IOAS (io_pagetable.c
 * maps and unmaps them all as the tree changes), and what lies outside its
 * aperture is reserved in the IOAS, so no later mapping can fall there.
 * The last group to leave a domain frees it.
 *
 * A new domain is filled before a group is attached to it, so that a group
 * replaced into it finds every mapping there.  Some drivers (virtio-iommu on
 * 6.12) learn a domain's aperture and accept mappings only at its first
 * attach: their domains are attached first, then filled (device.c), and a
 * group replaced into one sees its DMA to IOVAs not yet filled fault for
 * that time, never go untranslated.
 *
 * Everything here runs with the IOAS's iova_rwsem held for writing.
 */
#include <linux/iommu.h>
#include <linux/slab.h>

#include "ioasid.h"

/*
 * The IOMMU pages one iommu_map() or iommu_unmap() of an area covers at
 * most, give or take the smaller pages at the ends of a run: a long run is
 * mapped in bounded steps, with a chance to reschedule between them.
 */
#define AREA_CHUNK_PAGES 512

/*
 * The length of the chunk at @iova of a run of @length bytes at @phys: up
 * to a multiple of AREA_CHUNK_PAGES times the largest IOMMU page that
 * @iova and @phys allow, so that a chunk ends where such a page may.
 */
static size_t area_chunk_length(struct iommu_domain *domain,
				unsigned long iova, phys_addr_t phys,
				size_t length)
{
	unsigned long pgsizes = domain->pgsize_bitmap;
	unsigned long merged = iova ^ phys;
	unsigned int shift = PAGE_SHIFT;
	unsigned long chunk_last;

	if (merged)
		pgsizes &= GENMASK(__ffs(merged), 0);
	if (pgsizes)
		shift = min_t(unsigned int, __fls(pgsizes), 30);
	chunk_last = iova | ((1UL << (shift + ilog2(AREA_CHUNK_PAGES))) - 1);
	return min(length, chunk_last - iova + 1);
}

/*
 * The chunk of @area that starts at page @index (of its pages): sets its
 * @iova and @phys and returns its length.  Mapping and unmapping cut an
 * area into the same chunks.
 */
static size_t area_chunk(struct ioasid_area *area, struct iommu_domain *domain,
			 unsigned long index, unsigned long *iova,
			 phys_addr_t *phys)
{
	unsigned long end = area->pgoff + (ioasid_area_length(area) >> PAGE_SHIFT);
	unsigned long pfn, npages;

	pfn = ioasid_pages_pfn(area->pages, index, end - index, &npages);
	*iova = area->node.start + ((index - area->pgoff) << PAGE_SHIFT);
	*phys = PFN_PHYS(pfn);
	return area_chunk_length(domain, *iova, *phys, npages << PAGE_SHIFT);
}

/*
 * Unmap the chunks of @area below page @stop, gathering what the IOTLB
 * must forget into @gather: the caller flushes it.
 */
static void area_unmap_chunks(struct ioasid_area *area,
			      struct iommu_domain *domain, unsigned long stop,
			      struct iommu_iotlb_gather *gather)
{
	unsigned long index = area->pgoff;
	size_t length, unmapped;
	unsigned long iova;
	phys_addr_t phys;

	while (index < stop) {
		length = area_chunk(area, domain, index, &iova, &phys);
		unmapped = iommu_unmap_fast(domain, iova, length, gather);
		WARN_ON(unmapped != length);
		index += length >> PAGE_SHIFT;
		cond_resched();
	}
}

/* The index in its pages of the page after @area. */
static unsigned long area_end_index(struct ioasid_area *area)
{
	return area->pgoff + (ioasid_area_length(area) >> PAGE_SHIFT);
}

/* Unmap the chunks of @area below page @stop, with one IOTLB flush. */
static void area_unmap_flush(struct ioasid_area *area,
			     struct iommu_domain *domain, unsigned long stop)
{
	struct iommu_iotlb_gather gather;

	iommu_iotlb_gather_init(&gather);
	area_unmap_chunks(area, domain, stop, &gather);
	iommu_iotlb_sync(domain, &gather);
}

/**
 * ioasid_area_map_domain() - map an area into a domain, chunk by chunk
 * @area: the area
 * @hwpt: the hardware page table of the domain
 *
 * Each run of physically contiguous pages is mapped in chunks of a bounded
 * number of IOMMU pages, rescheduling between them.
 *
 * Return: 0, or the error of iommu_map(); then nothing of @area is mapped.
 */
int ioasid_area_map_domain(struct ioasid_area *area, struct ioasid_hwpt *hwpt)
{
	struct iommu_domain *domain = hwpt->domain;
	int prot = area->prot | (hwpt->coherent ? IOMMU_CACHE : 0);
	unsigned long index = area->pgoff;
	unsigned long end = index + (ioasid_area_length(area) >> PAGE_SHIFT);
	unsigned long iova;
	phys_addr_t phys;
	size_t length;
	int rc;

	while (index < end) {
		length = area_chunk(area, domain, index, &iova, &phys);
		if (ioasid_should_fail())
			rc = -ENOMEM;
		else
			rc = iommu_map(domain, iova, phys, length, prot,
				       GFP_KERNEL_ACCOUNT);
		if (rc) {
			area_unmap_flush(area, domain, index);
			return rc;
		}
		index += length >> PAGE_SHIFT;
		cond_resched();
	}
	return 0;
}

/**
 * ioasid_area_unmap_domain() - unmap an area from a domain
 * @area: the area, mapped in @hwpt's domain
 * @hwpt: the hardware page table of the domain
 *
 * The area is unmapped in the chunks it was mapped in, rescheduling between
 * them, and the IOTLB flushed once at the end.
 */
void ioasid_area_unmap_domain(struct ioasid_area *area,
			      struct ioasid_hwpt *hwpt)
{
	area_unmap_flush(area, hwpt->domain, area_end_index(area));
}

/**
 * ioasid_hwpt_unmap_areas() - unmap areas from a domain, with one IOTLB
 *	flush
 * @hwpt: the hardware page table of the domain
 * @areas: areas mapped in it, listed by their link
 *
 * The IOTLB is flushed once, after the last area is unmapped, over the
 * whole span of the areas: gathered from the start, the span is never
 * disjoint from what the IOMMU driver adds, which would make it flush at
 * each area.  IOVAs between the areas are flushed too, which costs their
 * translations a walk, nothing more.  The caller unpins the pages only
 * after this returns.
 */
void ioasid_hwpt_unmap_areas(struct ioasid_hwpt *hwpt, struct list_head *areas)
{
	struct iommu_iotlb_gather gather;
	struct ioasid_area *area;
	unsigned long start, last;

	if (list_empty(areas))
		return;
	/* The areas are in IOVA order. */
	start = list_first_entry(areas, struct ioasid_area, link)->node.start;
	last = list_last_entry(areas, struct ioasid_area, link)->node.last;
	iommu_iotlb_gather_init(&gather);
	iommu_iotlb_gather_add_range(&gather, start, last - start + 1);
	list_for_each_entry(area, areas, link)
		area_unmap_chunks(area, hwpt->domain, area_end_index(area),
				  &gather);
	iommu_iotlb_sync(hwpt->domain, &gather);
}

/* Reserve what lies outside the domain's aperture. */
static int hwpt_reserve_aperture(struct ioasid_ioas *ioas,
				 struct ioasid_hwpt *hwpt)
{
	hwpt->aperture_start = 0;
	hwpt->aperture_end = ULONG_MAX;
	return ioasid_hwpt_narrow_aperture(ioas, hwpt);
}

/**
 * ioasid_hwpt_narrow_aperture() - reserve what the domain's aperture no
 *	longer holds
 * @ioas: the IO address space, with iova_rwsem held for writing
 * @hwpt: one of its hwpts, or one being installed
 *
 * Some IOMMU drivers narrow a domain's aperture when a device is attached,
 * to what that device's IOMMU reaches (VT-d on 6.12 sets it to the
 * IOMMU's address width at each attach): called after every attach, and
 * when the domain is installed.  An aperture that widens keeps what was
 * reserved.
 *
 * Return: 0, or as ioasid_ioas_reserve(); the new reservations are the
 * hwpt's either way.
 */
int ioasid_hwpt_narrow_aperture(struct ioasid_ioas *ioas,
				struct ioasid_hwpt *hwpt)
{
	struct iommu_domain_geometry *geo = &hwpt->domain->geometry;
	int rc = 0;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	if (geo->aperture_start > hwpt->aperture_start) {
		rc = ioasid_ioas_reserve(ioas, hwpt, hwpt->aperture_start,
					 geo->aperture_start - 1);
		if (rc)
			return rc;
		hwpt->aperture_start = geo->aperture_start;
	}
	if (geo->aperture_end < hwpt->aperture_end) {
		rc = ioasid_ioas_reserve(ioas, hwpt, geo->aperture_end + 1,
					 hwpt->aperture_end);
		if (rc)
			return rc;
		hwpt->aperture_end = geo->aperture_end;
	}
	return 0;
}

/**
 * ioasid_domain_alloc() - a new, empty paging domain for a device
 * @idev: the device
 *
 * The domain is counted in the module's "domains" until
 * ioasid_domain_free().
 *
 * Return: the domain, or an ERR_PTR: -EOPNOTSUPP when the IOMMU has no
 * paging domains for @idev, or another errno.
 */
struct iommu_domain *ioasid_domain_alloc(struct ioasid_device *idev)
{
	struct iommu_domain *domain;

	if (ioasid_should_fail())
		return ERR_PTR(-ENOMEM);
	domain = idev->ops->domain_alloc(idev);
	if (!IS_ERR(domain))
		ioasid_count(IOASID_CNT_DOMAINS, 1);
	return domain;
}

/**
 * ioasid_domain_free() - free a domain from ioasid_domain_alloc()
 * @domain: the domain, which no group uses
 */
void ioasid_domain_free(struct iommu_domain *domain)
{
	iommu_domain_free(domain);
	ioasid_count(IOASID_CNT_DOMAINS, -1);
}

/*
 * Where the device's IOMMU can, make the new, empty domain of @hwpt enforce
 * cache coherency, as iommufd does: KVM believes VFIO that a device whose
 * IOMMU can enforce it has coherent DMA (vfio_file_enforced_coherent()),
 * and does not emulate the guest's cache flushes for it.
 */
static int hwpt_enforce_coherency(struct ioasid_hwpt *hwpt,
				  struct ioasid_device *idev)
{
	const struct iommu_domain_ops *ops = hwpt->domain->ops;

	if (!idev->enforce_coherent)
		return 0;
	if (!ops->enforce_cache_coherency ||
	    !ops->enforce_cache_coherency(hwpt->domain))
		return -EINVAL;
	hwpt->enforced = true;
	return 0;
}

/*
 * Where the device's IOMMU translates MSIs as DMA, have the kernel map the
 * interrupt controller's doorbells into the new domain of @hwpt, at the
 * software-managed MSI window the IOAS reserves (as type1 does): without
 * it the device's MSIs fault in the IOMMU.
 */
static int hwpt_msi_cookie(struct ioasid_hwpt *hwpt,
			   struct ioasid_device *idev)
{
	dma_addr_t base;
	int rc;

	rc = ioasid_device_sw_msi(idev, &base);
	if (rc <= 0)
		return rc;
	return iommu_get_msi_cookie(hwpt->domain, base);
}

/**
 * ioasid_hwpt_alloc() - a new, empty domain for a device
 * @idev: a device the domain is for
 *
 * The domain enforces cache coherency where the device's IOMMU can make it,
 * and maps the MSI doorbells where the IOMMU translates MSIs.
 *
 * Return: the hwpt, with one user and in no IOAS yet, or an ERR_PTR:
 * -EOPNOTSUPP when the IOMMU has no paging domains for @idev, -EINVAL when
 * the domain cannot enforce the cache coherency the IOMMU says it can, or
 * another errno.
 */
struct ioasid_hwpt *ioasid_hwpt_alloc(struct ioasid_device *idev)
{
	struct ioasid_hwpt *hwpt;
	int rc;

	hwpt = ioasid_kzalloc(sizeof(*hwpt));
	if (!hwpt)
		return ERR_PTR(-ENOMEM);
	hwpt->domain = ioasid_domain_alloc(idev);
	if (IS_ERR(hwpt->domain)) {
		rc = PTR_ERR(hwpt->domain);
		kfree(hwpt);
		return ERR_PTR(rc);
	}
	hwpt->ops = idev->ops;
	hwpt->coherent = idev->coherent;
	rc = hwpt_enforce_coherency(hwpt, idev) ?:
	     hwpt_msi_cookie(hwpt, idev);
	if (rc) {
		ioasid_domain_free(hwpt->domain);
		kfree(hwpt);
		return ERR_PTR(rc);
	}
	hwpt->users = 1;
	INIT_LIST_HEAD(&hwpt->link);
	return hwpt;
}

/**
 * ioasid_hwpt_install() - make a new, attached domain one of an IOAS's
 * @ioas: the IO address space, with iova_rwsem held for writing
 * @hwpt: from ioasid_hwpt_alloc()
 *
 * Reserves what lies outside the domain's aperture and maps every area.
 *
 * Return: 0, or -EADDRINUSE when an area lies outside the aperture or is not
 * made of whole pages of the domain's smallest size, or the error of
 * mapping; then @hwpt is as it was.
 */
int ioasid_hwpt_install(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt)
{
	int rc;

	lockdep_assert_held_write(&ioas->iova_rwsem);

	rc = hwpt_reserve_aperture(ioas, hwpt);
	if (!rc)
		rc = ioasid_ioas_fill_domain(ioas, hwpt);
	if (rc) {
		ioasid_ioas_unreserve(ioas, hwpt);
		return rc;
	}
	list_add_tail(&hwpt->link, &ioas->hwpts);
	ioasid_dirty_hwpt_installed(ioas, hwpt);
	return 0;
}

/**
 * ioasid_hwpt_uninstall() - take a hwpt no group uses out of an IOAS
 * @ioas: the IO address space, with iova_rwsem held for writing
 * @hwpt: installed with ioasid_hwpt_install(); still holds every area, to
 *	be freed with ioasid_hwpt_free()
 */
void ioasid_hwpt_uninstall(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt)
{
	lockdep_assert_held_write(&ioas->iova_rwsem);

	list_del_init(&hwpt->link);
	ioasid_dirty_hwpt_uninstalled(hwpt);
	ioasid_ioas_unreserve(ioas, hwpt);
}

/**
 * ioasid_hwpt_free() - free a hwpt no group uses and no IOAS lists
 * @hwpt: the hwpt
 */
void ioasid_hwpt_free(struct ioasid_hwpt *hwpt)
{
	ioasid_domain_free(hwpt->domain);
	kfree(hwpt);
}

/**
 * ioasid_hwpt_put() - a group leaves a hwpt; the last frees it
 * @ioas: the IO address space, with iova_rwsem held for writing
 * @hwpt: the hwpt, which the group no longer uses
 */
void ioasid_hwpt_put(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt)
{
	lockdep_assert_held_write(&ioas->iova_rwsem);

	if (--hwpt->users)
		return;
	ioasid_hwpt_uninstall(ioas, hwpt);
	ioasid_hwpt_free(hwpt);
}
