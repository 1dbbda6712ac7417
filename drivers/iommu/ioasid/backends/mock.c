// SPDX-License-Identifier: GPL-2.0
/*
 * The mock backend: a software IOMMU and software DMA devices, for the
 * selftests to reach what no emulated IOMMU offers (other apertures and
 * page sizes, nesting formats, PASIDs, reserved regions) through the same
 * core paths as the hardware: the IOAS, pinning, accounting, attach.
 *
 * A mock domain is a paging iommu_domain whose domain ops are ours and
 * whose page table is in software (swpt.c), one entry per IOMMU page, so
 * iommu_map() and iommu_unmap() run through the IOMMU core exactly as for
 * a hardware domain; nothing is registered with the IOMMU core.  Its
 * smallest page is half the CPU page by default, as in iommufd's mock, so
 * that alignment bugs show.  A mock device is a group of its own; its DMA
 * (IOASID_TEST_OP_MOCK_DMA) walks that page table and copies to or from the
 * pinned pages it finds.
 *
 * Mock devices have PASIDs (max_pasid_log2), and with IOASID_DEVICE_CAP_SVA
 * page requests too: DMA tagged with a PASID a process bound walks the
 * process's page tables and faults pages in as the IOMMU's page request
 * handling would, honouring the permissions of the mapping.  It keeps no
 * IOTLB: every DMA walks afresh, so munmap() and mprotect() apply at once.
 *
 * Mock devices nest in IOASID_NESTING_MOCK_S1: a nested mock domain walks
 * the user's stage-1 table through its parent's page table, as hardware
 * walks through stage 2, and caches what it walked in an IOTLB of its own
 * until IOASID_HWPT_INVALIDATE, so that a test sees what a missing
 * invalidation does.  Stage-1 faults go to the nested hwpt's fault object,
 * as page requests when the DMA asks to wait for an answer.  A mock domain
 * of a device with IOASID_DEVICE_CAP_DIRTY_TRACKING sets the dirty bit of
 * each page its devices write while tracking is on.
 *
 * Mock devices are created through the test ioctl, which exists only when
 * the module is loaded with mock=1.
 */
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/ioasid.h>

#include "../ioasid_test.h"
#include "backend.h"

static bool mock;
module_param(mock, bool, 0444);
MODULE_PARM_DESC(mock, "Offer the selftests' test ioctl and its software mock IOMMU (default: off)");

#define MOCK_CAPS (IOASID_DEVICE_CAP_COHERENT |                     \
		   IOASID_DEVICE_CAP_ENFORCE_COHERENT |             \
		   IOASID_DEVICE_CAP_ISOLATED_MSI |                 \
		   IOASID_DEVICE_CAP_DIRTY_TRACKING |               \
		   IOASID_DEVICE_CAP_SVA)
#define MOCK_NESTING_FORMATS (IOASID_NESTING_VTD_S1 | IOASID_NESTING_MOCK_S1)
#define MOCK_MAX_PASID_LOG2 20
#define MOCK_MIN_PAGE_SIZE 512
#define MOCK_MAX_MIN_PAGE_SIZE SZ_1G

/* The mock's stage 1: 39-bit IOVAs, three levels of 4 KiB tables. */
#define MOCK_S1_IOVA_BITS 39
#define MOCK_S1_LEVELS 3
#define MOCK_S1_PAGE_SHIFT 12
#define MOCK_S1_PRESENT BIT_ULL(0)
#define MOCK_S1_READ BIT_ULL(1)
#define MOCK_S1_WRITE BIT_ULL(2)
#define MOCK_S1_ADDR GENMASK_ULL(51, 12)
/* An IOTLB key: the PASID, then the stage-1 page number. */
#define MOCK_IOTLB_PASID_SHIFT (MOCK_S1_IOVA_BITS - MOCK_S1_PAGE_SHIFT)

/**
 * struct mock_domain - a software IOMMU page table
 * @domain: the paging domain the core maps through
 * @pt: its page table, of its smallest page size
 * @dirty_capable: it can track what devices write
 * @tracking: it does: each write sets the dirty bit of its page
 */
struct mock_domain {
	struct iommu_domain domain;
	struct ioasid_swpt pt;
	bool dirty_capable;
	bool tracking;
};

/**
 * struct mock_nested - a stage-1 table over a mock domain
 * @domain: the nested domain
 * @parent: the mock domain that is stage 2
 * @root: the stage-2 address of the top table
 * @lock: orders walks that fill @iotlb with invalidations that empty it
 * @iotlb: the translations walked, by PASID and stage-1 page: xarray
 *	values of the stage-2 page number and the permissions
 */
struct mock_nested {
	struct iommu_domain domain;
	struct mock_domain *parent;
	u64 root;
	struct mutex lock; /* guards iotlb */
	struct xarray iotlb;
};

/**
 * struct mock_device - a software DMA device
 * @idev: the device object
 * @config: what the test asked for
 * @responses: the answers to its page requests, by enum
 *	ioasid_fault_response_code
 */
struct mock_device {
	struct ioasid_device idev;
	struct ioasid_test_mock_device config;
	atomic64_t responses[2];
};

static const struct iommu_domain_ops mock_domain_ops;
static const struct iommu_domain_ops mock_nested_ops;
static const struct ioasid_device_ops mock_device_ops;

static struct mock_domain *to_mock_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

static struct mock_nested *to_mock_nested(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_nested, domain);
}

static struct mock_device *to_mock_device(struct ioasid_device *idev)
{
	return container_of(idev, struct mock_device, idev);
}

static int mock_map_pages(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	size_t size = pgsize * pgcount;

	if (iova < domain->geometry.aperture_start ||
	    iova + size - 1 > domain->geometry.aperture_end)
		return -EINVAL;
	return ioasid_swpt_map(&to_mock_domain(domain)->pt, iova, paddr, size,
			       prot, gfp, mapped);
}

static size_t mock_unmap_pages(struct iommu_domain *domain, unsigned long iova,
			       size_t pgsize, size_t pgcount,
			       struct iommu_iotlb_gather *gather)
{
	/* Stop at a hole: the core reports a short unmap. */
	return ioasid_swpt_unmap(&to_mock_domain(domain)->pt, iova,
				 pgsize * pgcount);
}

static phys_addr_t mock_iova_to_phys(struct iommu_domain *domain,
				     dma_addr_t iova)
{
	return ioasid_swpt_iova_to_phys(&to_mock_domain(domain)->pt, iova);
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct mock_domain *md = to_mock_domain(domain);

	/* As hardware page tables are, it is freed with what it maps. */
	ioasid_swpt_destroy(&md->pt);
	kfree(md);
}

static const struct iommu_domain_ops mock_domain_ops = {
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iova_to_phys = mock_iova_to_phys,
	.free = mock_domain_free,
};

static struct iommu_domain *mock_domain_alloc(struct ioasid_device *idev)
{
	struct ioasid_test_mock_device *config = &to_mock_device(idev)->config;
	struct mock_domain *md;

	md = kzalloc(sizeof(*md), GFP_KERNEL_ACCOUNT);
	if (!md)
		return ERR_PTR(-ENOMEM);
	ioasid_swpt_init(&md->pt, __ffs(config->pgsize_bitmap));
	md->dirty_capable = config->caps & IOASID_DEVICE_CAP_DIRTY_TRACKING;
	md->domain.type = IOMMU_DOMAIN_UNMANAGED;
	md->domain.ops = &mock_domain_ops;
	md->domain.pgsize_bitmap = config->pgsize_bitmap;
	md->domain.geometry.aperture_start = config->aperture_start;
	md->domain.geometry.aperture_end = config->aperture_last;
	md->domain.geometry.force_aperture = true;
	return &md->domain;
}

/*
 * A mock device uses a mock domain with its page sizes, aperture and dirty
 * tracking.
 */
static bool mock_domain_fits(struct ioasid_device *idev,
			     struct iommu_domain *domain)
{
	struct ioasid_test_mock_device *config = &to_mock_device(idev)->config;

	return domain->ops == &mock_domain_ops &&
	       domain->pgsize_bitmap == config->pgsize_bitmap &&
	       domain->geometry.aperture_start == config->aperture_start &&
	       domain->geometry.aperture_end == config->aperture_last &&
	       to_mock_domain(domain)->dirty_capable ==
			!!(config->caps & IOASID_DEVICE_CAP_DIRTY_TRACKING);
}

/* ... or a nested domain on such a domain, in a format it offers. */
static int mock_set_domain(struct ioasid_device *idev,
			   struct iommu_domain *domain,
			   struct iommu_domain *old)
{
	struct ioasid_test_mock_device *config = &to_mock_device(idev)->config;

	if (domain->ops == &mock_nested_ops)
		return mock_domain_fits(idev, &to_mock_nested(domain)->parent->domain) &&
		       (config->nesting_formats & IOASID_NESTING_MOCK_S1) ?
		       0 : -EINVAL;
	return mock_domain_fits(idev, domain) ? 0 : -EINVAL;
}

static void mock_unset_domain(struct ioasid_device *idev,
			      struct iommu_domain *domain)
{
}

/* A PASID uses a mock domain as the device does, and can move in one step. */
static int mock_set_pasid(struct ioasid_device *idev, u32 pasid,
			  struct iommu_domain *domain, struct iommu_domain *old)
{
	return mock_set_domain(idev, domain, old);
}

static void mock_unset_pasid(struct ioasid_device *idev, u32 pasid,
			     struct iommu_domain *domain)
{
}

/*
 * The core's table of PASIDs is the mock IOMMU's PASID table: the binding
 * takes the free PASID it is given, and DMA finds the address space there.
 */
static void *mock_sva_bind(struct ioasid_device *idev, struct mm_struct *mm,
			   u32 *pasid)
{
	/* The IOMMU driver allocates its PASID table entry. */
	if (ioasid_should_fail())
		return ERR_PTR(-ENOMEM);
	return mm;
}

static void mock_sva_unbind(struct ioasid_device *idev, void *cookie)
{
}

static int mock_get_resv_regions(struct ioasid_device *idev,
				 struct list_head *regions)
{
	struct ioasid_test_mock_device *config = &to_mock_device(idev)->config;
	struct iommu_resv_region *region;

	if (!(config->flags & IOASID_TEST_MOCK_RESV))
		return 0;
	region = iommu_alloc_resv_region(config->resv_start,
					 config->resv_last - config->resv_start + 1,
					 0, IOMMU_RESV_RESERVED, GFP_KERNEL);
	if (!region)
		return -ENOMEM;
	list_add_tail(&region->list, regions);
	return 0;
}

static int mock_describe(struct ioasid_device *idev,
			 struct ioasid_device_info *info)
{
	struct ioasid_test_mock_device *config = &to_mock_device(idev)->config;

	info->out_family = IOASID_IOMMU_FAMILY_MOCK;
	info->out_caps = config->caps;
	info->out_max_pasid_log2 = config->max_pasid_log2;
	info->out_nesting_formats = config->nesting_formats;
	return 0;
}

static void mock_unbind(struct ioasid_device *idev)
{
}

static void mock_nested_free(struct iommu_domain *domain)
{
	struct mock_nested *mn = to_mock_nested(domain);

	xa_destroy(&mn->iotlb);
	mutex_destroy(&mn->lock);
	kfree(mn);
}

static const struct iommu_domain_ops mock_nested_ops = {
	.free = mock_nested_free,
};

static u32 mock_nested_data_len(u32 format)
{
	return format == IOASID_NESTING_MOCK_S1 ?
	       sizeof(struct ioasid_hwpt_mock_s1) : 0;
}

static u32 mock_nested_entry_len(u32 format)
{
	return format == IOASID_NESTING_MOCK_S1 ?
	       sizeof(struct ioasid_hwpt_invalidate_mock) : 0;
}

static struct iommu_domain *mock_nested_alloc(struct ioasid_device *idev,
					      struct iommu_domain *parent,
					      u32 format, const void *data,
					      u32 len)
{
	const struct ioasid_hwpt_mock_s1 *s1 = data;
	struct mock_nested *mn;

	if (format != IOASID_NESTING_MOCK_S1)
		return ERR_PTR(-EOPNOTSUPP);
	if (!mock_domain_fits(idev, parent))
		return ERR_PTR(-EMEDIUMTYPE);
	if (!IS_ALIGNED(s1->root, SZ_4K))
		return ERR_PTR(-EINVAL);
	mn = ioasid_kzalloc(sizeof(*mn));
	if (!mn)
		return ERR_PTR(-ENOMEM);
	mn->parent = to_mock_domain(parent);
	mn->root = s1->root;
	mutex_init(&mn->lock);
	xa_init(&mn->iotlb);
	mn->domain.type = IOMMU_DOMAIN_NESTED;
	mn->domain.ops = &mock_nested_ops;
	return &mn->domain;
}

/* Check an invalidation; its range, in stage-1 pages, in *@first, *@last. */
static int mock_invalidate_check(const struct ioasid_hwpt_invalidate_mock *inv,
				 u64 *first, u64 *last, u32 *error)
{
	u64 end;

	if (inv->flags & ~(IOASID_HWPT_INVALIDATE_MOCK_ALL |
			   IOASID_HWPT_INVALIDATE_MOCK_PASID)) {
		*error = IOASID_HWPT_INVALIDATE_ERR_FLAGS;
		return -EOPNOTSUPP;
	}
	if ((inv->flags & IOASID_HWPT_INVALIDATE_MOCK_PASID) &&
	    inv->pasid >> MOCK_MAX_PASID_LOG2) {
		*error = IOASID_HWPT_INVALIDATE_ERR_PASID;
		return -EINVAL;
	}
	if (inv->flags & IOASID_HWPT_INVALIDATE_MOCK_ALL) {
		*first = 0;
		*last = U64_MAX;
		if (!inv->iova && !inv->length)
			return 0;
	} else if (inv->length && IS_ALIGNED(inv->iova, SZ_4K) &&
		   IS_ALIGNED(inv->length, SZ_4K) &&
		   !check_add_overflow(inv->iova, inv->length - 1, &end)) {
		*first = inv->iova >> MOCK_S1_PAGE_SHIFT;
		*last = end >> MOCK_S1_PAGE_SHIFT;
		return 0;
	}
	*error = IOASID_HWPT_INVALIDATE_ERR_RANGE;
	return -EINVAL;
}

static int mock_nested_invalidate(struct iommu_domain *domain,
				  const void *entry, u32 *error)
{
	const struct ioasid_hwpt_invalidate_mock *inv = entry;
	struct mock_nested *mn = to_mock_nested(domain);
	u64 page_mask = BIT_ULL(MOCK_IOTLB_PASID_SHIFT) - 1;
	unsigned long key;
	u64 first, last;
	void *cached;
	int rc;

	rc = mock_invalidate_check(inv, &first, &last, error);
	if (rc)
		return rc;
	mutex_lock(&mn->lock);
	xa_for_each(&mn->iotlb, key, cached) {
		if ((inv->flags & IOASID_HWPT_INVALIDATE_MOCK_PASID) &&
		    key >> MOCK_IOTLB_PASID_SHIFT != inv->pasid)
			continue;
		if ((key & page_mask) < first || (key & page_mask) > last)
			continue;
		xa_erase(&mn->iotlb, key);
	}
	mutex_unlock(&mn->lock);
	return 0;
}

static void mock_page_response(struct ioasid_device *idev, u32 pasid,
			       u32 code)
{
	atomic64_inc(&to_mock_device(idev)->responses[code]);
}

static int mock_set_dirty_tracking(struct iommu_domain *domain, bool enable)
{
	struct mock_domain *md = to_mock_domain(domain);
	struct ioasid_dirty_bitmap none = {};

	if (!md->dirty_capable)
		return -EOPNOTSUPP;
	/* What was written before tracking starts is no news. */
	if (enable)
		ioasid_swpt_read_dirty(&md->pt, 0, ULONG_MAX, false, &none);
	WRITE_ONCE(md->tracking, enable);
	return 0;
}

static void mock_read_dirty(struct iommu_domain *domain, unsigned long iova,
			    unsigned long length, bool keep,
			    struct ioasid_dirty_bitmap *bitmap)
{
	ioasid_swpt_read_dirty(&to_mock_domain(domain)->pt, iova, length, keep,
			       bitmap);
}

static const struct ioasid_device_ops mock_device_ops = {
	.domain_alloc = mock_domain_alloc,
	.set_domain = mock_set_domain,
	.unset_domain = mock_unset_domain,
	.get_resv_regions = mock_get_resv_regions,
	.put_resv_regions = ioasid_iommu_put_resv_regions,
	.describe = mock_describe,
	.unbind = mock_unbind,
	.set_pasid = mock_set_pasid,
	.unset_pasid = mock_unset_pasid,
	/* Shared only with IOASID_DEVICE_CAP_SVA (idev->sva). */
	.sva_bind = mock_sva_bind,
	.sva_unbind = mock_sva_unbind,
	.nested_alloc = mock_nested_alloc,
	.nested_data_len = mock_nested_data_len,
	.nested_entry_len = mock_nested_entry_len,
	.nested_invalidate = mock_nested_invalidate,
	.page_response = mock_page_response,
	.set_dirty_tracking = mock_set_dirty_tracking,
	.read_dirty = mock_read_dirty,
};

static bool mock_range_aligned(u64 start, u64 last, u64 align)
{
	return start <= last && IS_ALIGNED(start, align) &&
	       IS_ALIGNED(last + 1, align);
}

static int mock_check_config(struct ioasid_test_mock_device *config)
{
	u64 min_page = config->pgsize_bitmap & -config->pgsize_bitmap;

	if (config->flags & ~IOASID_TEST_MOCK_RESV)
		return -EOPNOTSUPP;
	if (config->__reserved || config->caps & ~MOCK_CAPS ||
	    config->nesting_formats & ~MOCK_NESTING_FORMATS ||
	    config->max_pasid_log2 > MOCK_MAX_PASID_LOG2 ||
	    min_page < MOCK_MIN_PAGE_SIZE || min_page > MOCK_MAX_MIN_PAGE_SIZE ||
	    !mock_range_aligned(config->aperture_start, config->aperture_last,
				min_page))
		return -EINVAL;
	if ((config->flags & IOASID_TEST_MOCK_RESV) &&
	    config->resv_start > config->resv_last)
		return -EINVAL;
	if ((config->caps & IOASID_DEVICE_CAP_SVA) && !config->max_pasid_log2)
		return -EINVAL;
	return 0;
}

static int mock_device_create(struct ioasid_ucmd *ucmd,
			      struct ioasid_test_mock_device *config)
{
	struct mock_device *mdev;
	struct ioasid_device *idev;
	int rc;

	rc = mock_check_config(config);
	if (rc)
		return rc;
	idev = ioasid_device_alloc(ucmd->ictx, sizeof(*mdev), &mock_device_ops);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	mdev = to_mock_device(idev);
	mdev->config = *config;
	/* Above every IOMMU group id: a group of its own. */
	idev->group_id = (unsigned long)INT_MAX + 1 + idev->obj.id;
	idev->isolated_msi = config->caps & IOASID_DEVICE_CAP_ISOLATED_MSI;
	idev->coherent = config->caps & IOASID_DEVICE_CAP_COHERENT;
	idev->max_pasid_log2 = config->max_pasid_log2;
	idev->sva = config->caps & IOASID_DEVICE_CAP_SVA;
	config->out_dev_id = idev->obj.id;
	rc = ioasid_ucmd_respond(ucmd);
	if (rc) {
		ioasid_object_abort(ucmd->ictx, &idev->obj);
		return rc;
	}
	ioasid_object_finalize(ucmd->ictx, &idev->obj);
	return 0;
}

/* Copy between @buf and memory at @iova through @domain's page table. */
static int mock_dma_copy(struct iommu_domain *domain, u64 iova, void *buf,
			 size_t length, bool write)
{
	struct ioasid_swpt *pt = &to_mock_domain(domain)->pt;
	u64 page_mask = (1ULL << pt->shift) - 1;
	int need = write ? IOMMU_WRITE : IOMMU_READ;
	phys_addr_t phys;
	size_t chunk;
	void *va;
	int prot;

	while (length) {
		if (!ioasid_swpt_lookup(pt, iova, &phys, &prot))
			return -ENXIO;
		if (!(prot & need))
			return -EACCES;
		chunk = min3(length, (size_t)(page_mask + 1 - (iova & page_mask)),
			     (size_t)(PAGE_SIZE - offset_in_page(phys)));
		va = kmap_local_page(pfn_to_page(PHYS_PFN(phys)));
		if (write)
			memcpy(va + offset_in_page(phys), buf, chunk);
		else
			memcpy(buf, va + offset_in_page(phys), chunk);
		kunmap_local(va);
		if (write && READ_ONCE(to_mock_domain(domain)->tracking))
			ioasid_swpt_set_dirty(pt, iova);
		iova += chunk;
		buf += chunk;
		length -= chunk;
	}
	return 0;
}

/* Why a page request for @va in @mm fails. */
static int mock_fault_errno(struct mm_struct *mm, unsigned long va,
			    bool write, long rc)
{
	struct vm_area_struct *vma = vma_lookup(mm, va);

	if (!vma)
		return -ENXIO;
	if (!(vma->vm_flags & (write ? VM_WRITE : VM_READ)))
		return -EACCES;
	return rc < 0 ? rc : -EFAULT;
}

/*
 * Copy between @buf and the virtual addresses at @va of @mm, faulting each
 * page in as a page request would.  The address space may be on its way
 * out: then nothing is copied.
 */
static int mock_sva_copy(struct mm_struct *mm, u64 va, void *buf,
			 size_t length, bool write)
{
	struct page *page;
	size_t chunk;
	void *kva;
	long rc = 0;

	if (!mmget_not_zero(mm))
		return -ENXIO;
	mmap_read_lock(mm);
	while (length) {
		rc = get_user_pages_remote(mm, va & PAGE_MASK, 1,
					   write ? FOLL_WRITE : 0, &page, NULL);
		if (rc != 1) {
			rc = mock_fault_errno(mm, va, write, rc);
			break;
		}
		rc = 0;
		chunk = min_t(size_t, length, PAGE_SIZE - offset_in_page(va));
		kva = kmap_local_page(page);
		if (write)
			memcpy(kva + offset_in_page(va), buf, chunk);
		else
			memcpy(buf, kva + offset_in_page(va), chunk);
		kunmap_local(kva);
		if (write)
			set_page_dirty_lock(page);
		put_page(page);
		va += chunk;
		buf += chunk;
		length -= chunk;
	}
	mmap_read_unlock(mm);
	/*
	 * Not the release of the last user (an exit, a whole exit_mmap())
	 * in the middle of the device's DMA, under the attach_lock.
	 */
	mmput_async(mm);
	return rc;
}

/**
 * struct mock_walk - a DMA of a mock device on its way
 * @idev: the device
 * @pasid: the PASID it is tagged with, or 0
 * @iova: where it is at
 * @write: it writes
 * @pri: it waits for the answer to a page request rather than fail
 */
struct mock_walk {
	struct ioasid_device *idev;
	u32 pasid;
	u64 iova;
	bool write;
	bool pri;
};

/*
 * Look up the stage-1 page of @walk in @mn's IOTLB: set *@s2 to the
 * stage-2 address of the page, and *@prot to its permissions.
 */
static bool mock_iotlb_lookup(struct mock_nested *mn, unsigned long key,
			      u64 *s2, u64 *prot)
{
	void *cached = xa_load(&mn->iotlb, key);

	if (!cached)
		return false;
	*prot = xa_to_value(cached) & (MOCK_S1_READ | MOCK_S1_WRITE);
	*s2 = (xa_to_value(cached) >> 3) << MOCK_S1_PAGE_SHIFT;
	return true;
}

/*
 * Walk @mn's stage-1 table for the page of @iova, reading it through stage
 * 2.  Return: 0 with the leaf in *@pte; 1 for a stage-1 fault (no
 * translation); or the errno of stage 2.
 */
static int mock_s1_walk(struct mock_nested *mn, u64 iova, u64 *pte)
{
	u64 table = mn->root;
	__le64 entry;
	int level, shift, rc;

	for (level = 0; level < MOCK_S1_LEVELS; level++) {
		shift = MOCK_S1_IOVA_BITS - 9 * (level + 1);
		rc = mock_dma_copy(&mn->parent->domain,
				   table + ((iova >> shift) & 511) * 8,
				   &entry, sizeof(entry), false);
		if (rc)
			return rc;
		*pte = le64_to_cpu(entry);
		if (!(*pte & MOCK_S1_PRESENT) ||
		    *pte & ~(MOCK_S1_ADDR | MOCK_S1_PRESENT | MOCK_S1_READ |
			     MOCK_S1_WRITE))
			return 1;
		table = *pte & MOCK_S1_ADDR;
	}
	return 0;
}

/*
 * Translate the stage-1 IOVA of @walk into a stage-2 address, from the
 * IOTLB or by a walk whose result the IOTLB keeps.  Return: 0, -ENXIO or
 * -EACCES for a stage-1 fault (*@s1_fault set), or the errno of stage 2.
 */
static int mock_s1_translate(struct mock_nested *mn, struct mock_walk *walk,
			     u64 *s2, bool *s1_fault)
{
	unsigned long key = (unsigned long)walk->pasid << MOCK_IOTLB_PASID_SHIFT |
			    walk->iova >> MOCK_S1_PAGE_SHIFT;
	u64 need = walk->write ? MOCK_S1_WRITE : MOCK_S1_READ;
	u64 pte, prot;
	int rc = 0;

	*s1_fault = walk->iova >> MOCK_S1_IOVA_BITS;
	if (*s1_fault)
		return -ENXIO;
	mutex_lock(&mn->lock);
	if (!mock_iotlb_lookup(mn, key, s2, &prot)) {
		rc = mock_s1_walk(mn, walk->iova, &pte);
		if (!rc) {
			prot = pte & (MOCK_S1_READ | MOCK_S1_WRITE);
			*s2 = pte & MOCK_S1_ADDR;
			/* Not cached, the next DMA walks again. */
			xa_store(&mn->iotlb, key,
				 xa_mk_value((*s2 >> MOCK_S1_PAGE_SHIFT) << 3 |
					     prot), GFP_KERNEL_ACCOUNT);
		}
	}
	mutex_unlock(&mn->lock);
	if (rc == 1) {
		*s1_fault = true;
		return -ENXIO;
	}
	if (rc)
		return rc;
	if (!(prot & need)) {
		*s1_fault = true;
		return -EACCES;
	}
	*s2 |= walk->iova & (BIT_ULL(MOCK_S1_PAGE_SHIFT) - 1);
	return 0;
}

/*
 * A stage-1 fault of @walk through @at: reported to the nested hwpt's fault
 * object.  A page request that is queued waits for its answer: -EAGAIN.
 */
static int mock_s1_fault(const struct ioasid_attach_point *at,
			 struct mock_walk *walk, int rc)
{
	u32 flags = walk->write ? IOASID_FAULT_WRITE : IOASID_FAULT_READ;

	if (walk->pasid)
		flags |= IOASID_FAULT_PASID;
	if (walk->pri)
		flags |= IOASID_FAULT_PAGE_REQUEST;
	if (!ioasid_fault_report(at->nested, walk->idev, walk->pasid,
				 walk->iova, flags) && walk->pri)
		return -EAGAIN;
	return rc;
}

/* DMA through the nested hwpt of @at, one stage-1 page at a time. */
static int mock_nested_dma(const struct ioasid_attach_point *at,
			   struct mock_walk *walk, void *buf, size_t length)
{
	struct mock_nested *mn = to_mock_nested(at->nested->domain);
	u64 page = BIT_ULL(MOCK_S1_PAGE_SHIFT);
	bool s1_fault;
	size_t chunk;
	u64 s2;
	int rc;

	while (length) {
		rc = mock_s1_translate(mn, walk, &s2, &s1_fault);
		if (s1_fault)
			return mock_s1_fault(at, walk, rc);
		chunk = min_t(size_t, length, page - (walk->iova & (page - 1)));
		if (!rc)
			rc = mock_dma_copy(&mn->parent->domain, s2, buf, chunk,
					   walk->write);
		if (rc)
			return rc;
		walk->iova += chunk;
		buf += chunk;
		length -= chunk;
	}
	return 0;
}

/* DMA through the IOAS of @at, with its mappings held still. */
static int mock_point_dma(const struct ioasid_attach_point *at,
			  struct mock_walk *walk, void *buf, size_t length)
{
	int rc;

	down_read(&at->ioas->iova_rwsem);
	if (at->nested)
		rc = mock_nested_dma(at, walk, buf, length);
	else
		rc = mock_dma_copy(at->hwpt->domain, walk->iova, buf, length,
				   walk->write);
	up_read(&at->ioas->iova_rwsem);
	return rc;
}

/* DMA tagged with a PASID: through an IOAS, or in a process's memory. */
static int mock_pasid_dma(struct mock_walk *walk, void *buf, size_t length)
{
	struct ioasid_pasid *ipasid = xa_load(&walk->idev->pasids, walk->pasid);

	if (ipasid && ipasid->mm)
		return mock_sva_copy(ipasid->mm, walk->iova, buf, length,
				     walk->write);
	if (ipasid && ipasid->at.ioas)
		return mock_point_dma(&ipasid->at, walk, buf, length);
	/* Blocked, or a binding ending. */
	return -ENXIO;
}

/*
 * DMA of a device, untagged or tagged with a PASID; the attach_lock keeps
 * what it goes through, and a binding ends only once it is done.
 */
static int mock_device_dma(struct ioasid_device *idev,
			   struct ioasid_test_mock_dma *dma, void *buf)
{
	const struct ioasid_attach_point *at;
	struct mock_walk walk = {
		.idev = idev,
		.pasid = dma->pasid,
		.iova = dma->iova,
		.write = dma->flags & IOASID_TEST_DMA_WRITE,
		.pri = dma->flags & IOASID_TEST_DMA_PRI,
	};
	int rc;

	mutex_lock(&idev->ictx->attach_lock);
	if (dma->flags & IOASID_TEST_DMA_PASID) {
		rc = mock_pasid_dma(&walk, buf, dma->length);
	} else {
		at = ioasid_device_point(idev);
		rc = at ? mock_point_dma(at, &walk, buf, dma->length) : -ENXIO;
	}
	mutex_unlock(&idev->ictx->attach_lock);
	return rc;
}

static int mock_dma(struct ioasid_ucmd *ucmd, struct ioasid_test_mock_dma *dma)
{
	bool write = dma->flags & IOASID_TEST_DMA_WRITE;
	void __user *uptr = u64_to_user_ptr(dma->uptr);
	struct ioasid_device *idev;
	void *buf;
	int rc;

	if (dma->flags & ~(IOASID_TEST_DMA_WRITE | IOASID_TEST_DMA_PASID |
			   IOASID_TEST_DMA_PRI))
		return -EOPNOTSUPP;
	if (dma->__reserved ||
	    (dma->pasid && !(dma->flags & IOASID_TEST_DMA_PASID)))
		return -EINVAL;
	if (!dma->length || dma->length > IOASID_TEST_DMA_MAX ||
	    dma->iova + dma->length - 1 < dma->iova)
		return -EINVAL;
	buf = kvzalloc(dma->length, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	/* User memory is reached with no reference on the device held. */
	rc = -EFAULT;
	if (write && copy_from_user(buf, uptr, dma->length))
		goto out_free;
	idev = ioasid_device_get(ucmd->ictx, dma->dev_id);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto out_free;
	}
	rc = -EINVAL;
	if (idev->ops == &mock_device_ops)
		rc = mock_device_dma(idev, dma, buf);
	ioasid_put_object(&idev->obj);
	if (!rc && !write && copy_to_user(uptr, buf, dma->length))
		rc = -EFAULT;
out_free:
	kvfree(buf);
	return rc;
}

static int mock_responses(struct ioasid_ucmd *ucmd,
			  struct ioasid_test_mock_responses *resp)
{
	struct ioasid_device *idev;
	struct mock_device *mdev;
	int rc = -EINVAL;

	if (resp->__reserved)
		return -EINVAL;
	idev = ioasid_device_get(ucmd->ictx, resp->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	if (idev->ops == &mock_device_ops) {
		mdev = to_mock_device(idev);
		resp->out_success = atomic64_read(&mdev->responses[IOASID_FAULT_RESPONSE_SUCCESS]);
		resp->out_invalid = atomic64_read(&mdev->responses[IOASID_FAULT_RESPONSE_INVALID]);
		rc = 0;
	}
	ioasid_put_object(&idev->obj);
	return rc ?: ioasid_ucmd_respond(ucmd);
}

static int mock_cmd_test(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test_cmd *cmd = ucmd->cmd;

	switch (cmd->op) {
	case IOASID_TEST_OP_MOCK_DEVICE:
		return mock_device_create(ucmd, &cmd->mock_device);
	case IOASID_TEST_OP_MOCK_DMA:
		return mock_dma(ucmd, &cmd->mock_dma);
	case IOASID_TEST_OP_PCI_ERROR:
		return ioasid_pci_test_error(ucmd, &cmd->pci_error);
	case IOASID_TEST_OP_MOCK_RESPONSES:
		return mock_responses(ucmd, &cmd->mock_responses);
	}
	return -EOPNOTSUPP;
}

static const struct ioasid_ioctl_op mock_ioctl_ops[] = {
	{
		.size = sizeof(struct ioasid_test_cmd),
		.min_size = sizeof(struct ioasid_test_cmd),
		.execute = mock_cmd_test,
	},
};

/**
 * ioasid_mock_ioctl() - run the test ioctl
 * @ucmd: the command, with its context set
 * @cmd: the ioctl number, IOASID_TEST
 * @arg: the ioctl argument
 *
 * Return: what the test operation returns, or -ENOTTY without mock=1.
 */
long ioasid_mock_ioctl(struct ioasid_ucmd *ucmd, unsigned int cmd,
		       unsigned long arg)
{
	if (!mock)
		return -ENOTTY;
	return ioasid_dispatch(mock_ioctl_ops, ARRAY_SIZE(mock_ioctl_ops),
			       IOASID_CMD_TEST, ucmd, cmd, arg);
}
