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
#define MOCK_NESTING_FORMATS IOASID_NESTING_VTD_S1
#define MOCK_MAX_PASID_LOG2 20
#define MOCK_MIN_PAGE_SIZE 512
#define MOCK_MAX_MIN_PAGE_SIZE SZ_1G

/**
 * struct mock_domain - a software IOMMU page table
 * @domain: the paging domain the core maps through
 * @pt: its page table, of its smallest page size
 */
struct mock_domain {
	struct iommu_domain domain;
	struct ioasid_swpt pt;
};

/**
 * struct mock_device - a software DMA device
 * @idev: the device object
 * @config: what the test asked for
 */
struct mock_device {
	struct ioasid_device idev;
	struct ioasid_test_mock_device config;
};

static const struct iommu_domain_ops mock_domain_ops;
static const struct ioasid_device_ops mock_device_ops;

static struct mock_domain *to_mock_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
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
	md->domain.type = IOMMU_DOMAIN_UNMANAGED;
	md->domain.ops = &mock_domain_ops;
	md->domain.pgsize_bitmap = config->pgsize_bitmap;
	md->domain.geometry.aperture_start = config->aperture_start;
	md->domain.geometry.aperture_end = config->aperture_last;
	md->domain.geometry.force_aperture = true;
	return &md->domain;
}

/* A mock device uses a mock domain with its page sizes and aperture. */
static int mock_set_domain(struct ioasid_device *idev,
			   struct iommu_domain *domain,
			   struct iommu_domain *old)
{
	struct ioasid_test_mock_device *config = &to_mock_device(idev)->config;

	if (domain->ops != &mock_domain_ops ||
	    domain->pgsize_bitmap != config->pgsize_bitmap ||
	    domain->geometry.aperture_start != config->aperture_start ||
	    domain->geometry.aperture_end != config->aperture_last)
		return -EINVAL;
	return 0;
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

/* DMA through @domain, with the mappings of @ioas held still. */
static int mock_ioas_dma(struct ioasid_ioas *ioas, struct iommu_domain *domain,
			 u64 iova, void *buf, size_t length, bool write)
{
	int rc;

	down_read(&ioas->iova_rwsem);
	rc = mock_dma_copy(domain, iova, buf, length, write);
	up_read(&ioas->iova_rwsem);
	return rc;
}

/* DMA tagged with @pasid: through an IOAS, or in a process's memory. */
static int mock_pasid_dma(struct ioasid_device *idev, u32 pasid, u64 iova,
			  void *buf, size_t length, bool write)
{
	struct ioasid_pasid *ipasid = xa_load(&idev->pasids, pasid);

	if (ipasid && ipasid->mm)
		return mock_sva_copy(ipasid->mm, iova, buf, length, write);
	if (ipasid && ipasid->ioas)
		return mock_ioas_dma(ipasid->ioas, ipasid->hwpt->domain, iova,
				     buf, length, write);
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
	bool write = dma->flags & IOASID_TEST_DMA_WRITE;
	struct ioasid_ioas *ioas;
	int rc;

	mutex_lock(&idev->ictx->attach_lock);
	if (dma->flags & IOASID_TEST_DMA_PASID) {
		rc = mock_pasid_dma(idev, dma->pasid, dma->iova, buf,
				    dma->length, write);
	} else {
		ioas = ioasid_device_ioas(idev);
		rc = ioas ? mock_ioas_dma(ioas, ioasid_device_domain(idev),
					  dma->iova, buf, dma->length, write) :
			    -ENXIO;
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

	if (dma->flags & ~(IOASID_TEST_DMA_WRITE | IOASID_TEST_DMA_PASID))
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
