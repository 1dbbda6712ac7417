// SPDX-License-Identifier: GPL-2.0
/*
 * The SPAPR TCE backend: devices behind the host bridges of a PowerPC
 * partition (pseries).  A PowerNV host's table groups take the same calls,
 * but that platform is untested.
 *
 * Here the IOMMU core has no paging domain.  A partitionable endpoint (PE,
 * an IOMMU group) translates DMA through at most two DMA windows, each a
 * table of translation control entries (TCEs) the hypervisor or the host
 * bridge walks: the default window, 32-bit, at the bottom of the bus, and
 * a dynamic window (DDW) the platform places where it likes, usually far
 * above.  The platform keeps them in the group's struct iommu_table_group,
 * and VFIO's SPAPR driver is the other user of the calls made here.
 *
 * Claiming DMA ownership of the group (iommu.c) takes the table group from
 * the kernel's DMA API and removes its windows.  Binding the first device
 * of a PE then opens ioasid's windows for as long as a device of the PE is
 * bound:
 *
 * - the default window, at the platform's bus address, with 4 KiB TCEs, of
 *   the platform's size or of spapr_dma32_size if that is smaller;
 * - unless spapr_ddw is off, a DDW when the platform can have one beside
 *   the default window, with TCEs of the CPU's page size (what an IOAS
 *   maps in), large enough to map all the memory of the machine at once.
 *   Should the platform fail to create it, the PE keeps the default window
 *   for this binding, but pseries then refuses every new window to the PE,
 *   the default one included, until reboot: the PE cannot be bound again.
 *
 * A window's TCEs all start clear: the PE's DMA is blocked.  Unbinding the
 * last device removes the windows, so that releasing ownership gives the
 * kernel its default window back.
 *
 * A domain of this backend (struct spapr_domain) is a hardware page table
 * of one PE: its aperture spans the windows, the gap between them is a
 * reserved region of the PE, and its one page size is the CPU's.  Its
 * mappings are kept in software (swpt.c) and written as TCEs while it is
 * the PE's domain: attaching writes them all, a map or unmap writes its
 * run, and detaching clears them.  Each write is read back: the platform
 * reports some failures only in the log.  The TCE tables belong to the PE,
 * not to a domain, so a replace writes the new domain's TCEs over the old
 * one's, then clears those of the old mappings the new domain does not
 * have: DMA to what both map keeps landing, and nothing is ever
 * untranslated.  A PE's domain serves no other PE.
 *
 * The platform makes every TCE readable: a mapping the device may only
 * write is also readable by it.
 */
#include <linux/dma-direction.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/iommu.h>
#include <asm/tce.h>
#include <uapi/linux/ioasid.h>

#include "backend.h"

static unsigned long spapr_dma32_size;
module_param(spapr_dma32_size, ulong, 0644);
MODULE_PARM_DESC(spapr_dma32_size,
		 "Open the default 32-bit DMA window of a SPAPR TCE endpoint at most this large (bytes, rounded down to a power of two, at least 1 MiB; 0 for the platform's size): smaller windows take less table memory");

static bool spapr_ddw = true;
module_param(spapr_ddw, bool, 0644);
MODULE_PARM_DESC(spapr_ddw,
		 "Open a dynamic DMA window beside the default one of a SPAPR TCE endpoint, where the platform offers it (default: on)");

/* The most TCEs written or cleared with interrupts off at a time. */
#define SPAPR_TCE_BATCH 512

/* The window numbers of a table group. */
enum {
	SPAPR_WINDOW_DEFAULT,
	SPAPR_WINDOW_DDW,
	SPAPR_WINDOWS,
};

/**
 * struct spapr_pe - the DMA windows ioasid opened for an endpoint
 * @tg: the platform's table group of the endpoint
 * @link: in spapr_pes
 * @users: the devices of the endpoint bound (under spapr_pes_lock)
 * @lock: guards @domain and the TCEs of the windows
 * @domain: the domain whose mappings the TCEs hold; NULL when every TCE
 *	is clear
 * @windows: the TCE table of each window open, of which the PE holds a
 *	reference; NULL for one not open
 */
struct spapr_pe {
	struct iommu_table_group *tg;
	struct list_head link;
	unsigned int users;
	struct mutex lock; /* guards domain and the TCEs */
	struct spapr_domain *domain;
	struct iommu_table *windows[SPAPR_WINDOWS];
};

/**
 * struct spapr_domain - a hardware page table of one endpoint
 * @domain: the paging domain the core maps through
 * @pe: the endpoint
 * @pt: its mappings, in CPU pages
 */
struct spapr_domain {
	struct iommu_domain domain;
	struct spapr_pe *pe;
	struct ioasid_swpt pt;
};

/**
 * struct spapr_device - a device behind a SPAPR TCE host bridge
 * @idev: the device object
 * @pe: its endpoint
 */
struct spapr_device {
	struct ioasid_device idev;
	struct spapr_pe *pe;
};

/* The endpoints with windows open, for the devices of each to share. */
static LIST_HEAD(spapr_pes);
static DEFINE_MUTEX(spapr_pes_lock);

static const struct iommu_domain_ops spapr_domain_ops;

static struct spapr_domain *to_spapr_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct spapr_domain, domain);
}

static struct spapr_pe *device_pe(struct ioasid_device *idev)
{
	return container_of(idev, struct spapr_device, idev)->pe;
}

static u64 window_start(struct iommu_table *tbl)
{
	return (u64)tbl->it_offset << tbl->it_page_shift;
}

static u64 window_last(struct iommu_table *tbl)
{
	return window_start(tbl) + ((u64)tbl->it_size << tbl->it_page_shift) - 1;
}

/* The window of @pe that holds [iova, iova + size), or NULL. */
static struct iommu_table *pe_window(struct spapr_pe *pe, unsigned long iova,
				     size_t size)
{
	struct iommu_table *tbl;
	int i;

	for (i = 0; i < SPAPR_WINDOWS; i++) {
		tbl = pe->windows[i];
		if (tbl && iova >= window_start(tbl) &&
		    iova + size - 1 <= window_last(tbl) &&
		    IS_ALIGNED(iova | size, 1UL << tbl->it_page_shift))
			return tbl;
	}
	return NULL;
}

/* The DMA direction a TCE needs for the device to access as @prot says. */
static enum dma_data_direction tce_direction(int prot)
{
	if (!(prot & IOMMU_WRITE))
		return DMA_TO_DEVICE;
	return prot & IOMMU_READ ? DMA_BIDIRECTIONAL : DMA_FROM_DEVICE;
}

/* Does the TCE at @index translate to @paddr, as just written? */
static bool tce_written(struct iommu_table *tbl, unsigned long index,
			phys_addr_t paddr)
{
	unsigned long tce = tbl->it_ops->get(tbl, index);

	return (tce & (TCE_PCI_READ | TCE_PCI_WRITE)) &&
	       (tce & IOMMU_PAGE_MASK(tbl)) == paddr;
}

/* Clear TCEs in batches, and have the platform forget them. */
static void tce_clear_entries(struct iommu_table *tbl, unsigned long index,
			      unsigned long n)
{
	unsigned long first = index, left = n, batch;

	while (left) {
		batch = min_t(unsigned long, left, SPAPR_TCE_BATCH);
		tbl->it_ops->clear(tbl, index, batch);
		index += batch;
		left -= batch;
	}
	iommu_tce_kill(tbl, first, n);
}

/*
 * Write the TCEs of a physically contiguous run, in batches; under
 * pe->lock.  On failure none of them is left.
 */
static int tce_write(struct spapr_pe *pe, unsigned long iova,
		     phys_addr_t paddr, size_t size, int prot)
{
	struct iommu_table *tbl = pe_window(pe, iova, size);
	unsigned long index, n, batch, done = 0;
	unsigned int shift;

	if (!tbl)
		return -EINVAL;
	shift = tbl->it_page_shift;
	if (!IS_ALIGNED(paddr, 1UL << shift))
		return -EINVAL;
	/* TCEs take the hypervisor's resources, as allocations do. */
	if (ioasid_should_fail())
		return -ENOMEM;
	index = iova >> shift;
	n = size >> shift;
	while (done < n) {
		batch = min_t(unsigned long, n - done, SPAPR_TCE_BATCH);
		/* It fails when the hypervisor runs out of resources... */
		if (tbl->it_ops->set(tbl, index + done, batch,
				     (unsigned long)__va(paddr + (done << shift)),
				     tce_direction(prot), 0))
			break;
		/* ...and only prints most other failures. */
		if (!tce_written(tbl, index + done, paddr + (done << shift)) ||
		    !tce_written(tbl, index + done + batch - 1,
				 paddr + ((done + batch - 1) << shift)))
			break;
		done += batch;
	}
	if (done == n)
		return 0;
	tce_clear_entries(tbl, index, n);
	return -ENOMEM;
}

/* Clear the TCEs of a run; under pe->lock. */
static void tce_clear(struct spapr_pe *pe, unsigned long iova, size_t size)
{
	struct iommu_table *tbl = pe_window(pe, iova, size);

	if (WARN_ON(!tbl))
		return;
	tce_clear_entries(tbl, iova >> tbl->it_page_shift,
			  size >> tbl->it_page_shift);
}

/*
 * Clear the TCEs of every mapping of @sd that @keep (if not NULL) does not
 * map: those @keep maps hold its TCEs already.  Under pe->lock.
 */
static void spapr_unload_except(struct spapr_pe *pe, struct spapr_domain *sd,
				struct spapr_domain *keep)
{
	unsigned long iova = 0, page = 1UL << sd->pt.shift, start, at;
	phys_addr_t paddr, kept_paddr;
	size_t size, done;
	int prot, kept_prot;

	while (ioasid_swpt_next_run(&sd->pt, &iova, &paddr, &size, &prot)) {
		start = iova;
		for (done = 0; keep && done < size; done += page) {
			at = iova + done;
			if (!ioasid_swpt_lookup(&keep->pt, at, &kept_paddr,
						&kept_prot))
				continue;
			if (at != start)
				tce_clear(pe, start, at - start);
			start = at + page;
		}
		if (start != iova + size)
			tce_clear(pe, start, iova + size - start);
		iova += size;
		if (!iova)
			break;
		cond_resched();
	}
}

static void spapr_unload(struct spapr_pe *pe, struct spapr_domain *sd)
{
	spapr_unload_except(pe, sd, NULL);
}

/*
 * Write the TCEs of every mapping of @sd; under pe->lock.  On failure
 * some may be written: spapr_unload() clears them.
 */
static int spapr_load(struct spapr_pe *pe, struct spapr_domain *sd)
{
	unsigned long iova = 0;
	phys_addr_t paddr;
	size_t size;
	int prot, rc;

	while (ioasid_swpt_next_run(&sd->pt, &iova, &paddr, &size, &prot)) {
		rc = tce_write(pe, iova, paddr, size, prot);
		if (rc)
			return rc;
		iova += size;
		if (!iova)
			break;
		cond_resched();
	}
	return 0;
}

static int spapr_map_pages(struct iommu_domain *domain, unsigned long iova,
			   phys_addr_t paddr, size_t pgsize, size_t pgcount,
			   int prot, gfp_t gfp, size_t *mapped)
{
	struct spapr_domain *sd = to_spapr_domain(domain);
	struct spapr_pe *pe = sd->pe;
	size_t size = pgsize * pgcount;
	int rc;

	if (!pe_window(pe, iova, size))
		return -EINVAL;
	mutex_lock(&pe->lock);
	rc = ioasid_swpt_map(&sd->pt, iova, paddr, size, prot, gfp, mapped);
	if (!rc && pe->domain == sd) {
		rc = tce_write(pe, iova, paddr, size, prot);
		if (rc) {
			ioasid_swpt_unmap(&sd->pt, iova, size);
			*mapped = 0;
		}
	}
	mutex_unlock(&pe->lock);
	return rc;
}

static size_t spapr_unmap_pages(struct iommu_domain *domain,
				unsigned long iova, size_t pgsize,
				size_t pgcount, struct iommu_iotlb_gather *gather)
{
	struct spapr_domain *sd = to_spapr_domain(domain);
	struct spapr_pe *pe = sd->pe;
	size_t unmapped;

	mutex_lock(&pe->lock);
	/* Stop at a hole: the core reports a short unmap. */
	unmapped = ioasid_swpt_unmap(&sd->pt, iova, pgsize * pgcount);
	if (unmapped && pe->domain == sd)
		tce_clear(pe, iova, unmapped);
	mutex_unlock(&pe->lock);
	return unmapped;
}

static phys_addr_t spapr_iova_to_phys(struct iommu_domain *domain,
				      dma_addr_t iova)
{
	return ioasid_swpt_iova_to_phys(&to_spapr_domain(domain)->pt, iova);
}

static void spapr_domain_free(struct iommu_domain *domain)
{
	struct spapr_domain *sd = to_spapr_domain(domain);

	/* The core frees a domain only once no group uses it. */
	WARN_ON(READ_ONCE(sd->pe->domain) == sd);
	ioasid_swpt_destroy(&sd->pt);
	kfree(sd);
}

static const struct iommu_domain_ops spapr_domain_ops = {
	.map_pages = spapr_map_pages,
	.unmap_pages = spapr_unmap_pages,
	.iova_to_phys = spapr_iova_to_phys,
	.free = spapr_domain_free,
};

/* The bus addresses that the windows of @pe span. */
static void pe_span(struct spapr_pe *pe, u64 *start, u64 *last)
{
	struct iommu_table *tbl;
	int i;

	*start = U64_MAX;
	*last = 0;
	for (i = 0; i < SPAPR_WINDOWS; i++) {
		tbl = pe->windows[i];
		if (!tbl)
			continue;
		*start = min(*start, window_start(tbl));
		*last = max(*last, window_last(tbl));
	}
}

static struct iommu_domain *spapr_domain_alloc(struct ioasid_device *idev)
{
	struct spapr_pe *pe = device_pe(idev);
	struct spapr_domain *sd;
	u64 start, last;

	sd = kzalloc(sizeof(*sd), GFP_KERNEL_ACCOUNT);
	if (!sd)
		return ERR_PTR(-ENOMEM);
	pe_span(pe, &start, &last);
	sd->pe = pe;
	ioasid_swpt_init(&sd->pt, PAGE_SHIFT);
	sd->domain.type = IOMMU_DOMAIN_UNMANAGED;
	sd->domain.ops = &spapr_domain_ops;
	sd->domain.pgsize_bitmap = PAGE_SIZE;
	sd->domain.geometry.aperture_start = start;
	sd->domain.geometry.aperture_end = last;
	sd->domain.geometry.force_aperture = true;
	return &sd->domain;
}

/*
 * Make @domain the one whose mappings the TCEs of the device's PE hold.
 * The group stays on the IOMMU core's blocking domain throughout: ioasid
 * owns the table group and switches the TCEs itself.
 */
static int spapr_set_domain(struct ioasid_device *idev,
			    struct iommu_domain *domain,
			    struct iommu_domain *old)
{
	struct spapr_pe *pe = device_pe(idev);
	struct spapr_domain *sd, *prev;
	int rc;

	if (domain->ops != &spapr_domain_ops)
		return -EINVAL;
	sd = to_spapr_domain(domain);
	if (sd->pe != pe)
		return -EINVAL;
	mutex_lock(&pe->lock);
	prev = pe->domain;
	/*
	 * The new TCEs over the old ones, then the old ones the new domain
	 * does not map cleared: what both map stays translated throughout.
	 */
	rc = spapr_load(pe, sd);
	if (!rc && prev)
		spapr_unload_except(pe, prev, sd);
	if (rc) {
		spapr_unload_except(pe, sd, prev);
		/* Should the old mappings not go back, DMA stays blocked. */
		if (prev && WARN_ON(spapr_load(pe, prev))) {
			spapr_unload(pe, prev);
			prev = NULL;
		}
		pe->domain = prev;
	} else {
		pe->domain = sd;
	}
	mutex_unlock(&pe->lock);
	return rc;
}

static void spapr_unset_domain(struct ioasid_device *idev,
			       struct iommu_domain *domain)
{
	struct spapr_pe *pe = device_pe(idev);

	mutex_lock(&pe->lock);
	if (pe->domain == to_spapr_domain(domain)) {
		spapr_unload(pe, pe->domain);
		pe->domain = NULL;
	}
	mutex_unlock(&pe->lock);
}

static int add_resv_region(struct list_head *regions, u64 start, u64 last)
{
	struct iommu_resv_region *region;

	region = iommu_alloc_resv_region(start, last - start + 1, 0,
					 IOMMU_RESV_RESERVED, GFP_KERNEL);
	if (!region)
		return -ENOMEM;
	list_add_tail(&region->list, regions);
	return 0;
}

/*
 * What the aperture of the PE's domains spans but no window translates,
 * and the MMIO the platform keeps out of a window (peer-to-peer decoding),
 * besides the group's own reserved regions.
 */
static int spapr_get_resv_regions(struct ioasid_device *idev,
				  struct list_head *regions)
{
	struct spapr_pe *pe = device_pe(idev);
	struct iommu_table *low = pe->windows[SPAPR_WINDOW_DEFAULT];
	struct iommu_table *high = pe->windows[SPAPR_WINDOW_DDW];
	struct iommu_table *tbl;
	int i, rc;

	rc = ioasid_iommu_get_resv_regions(idev, regions);
	if (!rc && high && window_start(high) < window_start(low))
		swap(low, high);
	if (!rc && high && window_last(low) + 1 < window_start(high))
		rc = add_resv_region(regions, window_last(low) + 1,
				     window_start(high) - 1);
	for (i = 0; !rc && i < SPAPR_WINDOWS; i++) {
		tbl = pe->windows[i];
		if (tbl && tbl->it_reserved_end > tbl->it_reserved_start)
			rc = add_resv_region(regions,
					     (u64)tbl->it_reserved_start << tbl->it_page_shift,
					     ((u64)tbl->it_reserved_end << tbl->it_page_shift) - 1);
	}
	return rc;
}

static int spapr_describe(struct ioasid_device *idev,
			  struct ioasid_device_info *info)
{
	struct iommu_table_group *tg = device_pe(idev)->tg;

	ioasid_iommu_describe(idev, info, IOASID_IOMMU_FAMILY_SPAPR_TCE);
	info->out_hw_regs_type = IOASID_HW_REGS_SPAPR_TCE;
	info->out_hw_regs[0] = tg->pgsizes;
	info->out_hw_regs[1] = tg->tce32_start;
	info->out_hw_regs[2] = tg->tce32_size;
	/* The platform says -1 for "no dynamic windows". */
	if (tg->max_dynamic_windows_supported <= SPAPR_WINDOWS)
		info->out_hw_regs[3] = tg->max_dynamic_windows_supported;
	return 0;
}

/* Open window @num of @pe; the table group is ioasid's. */
static long pe_open_window(struct spapr_pe *pe, int num, unsigned int shift,
			   u64 size)
{
	struct iommu_table_group *tg = pe->tg;
	struct iommu_table *tbl;
	long rc;

	rc = tg->ops->create_table(tg, num, shift, size, 1, &tbl);
	if (rc)
		return rc;
	rc = tg->ops->set_window(tg, num, tbl);
	if (rc) {
		tg->ops->unset_window(tg, num);
		iommu_tce_table_put(tbl);
		return rc;
	}
	pe->windows[num] = tbl;
	return 0;
}

static void pe_close_window(struct spapr_pe *pe, int num)
{
	struct iommu_table_group *tg = pe->tg;
	struct iommu_table *tbl = pe->windows[num];

	if (!tbl)
		return;
	if (tg->ops->unset_window(tg, num))
		pr_warn("ioasid: could not remove DMA window %d of IOMMU group %d\n",
			num, iommu_group_id(tg->group));
	iommu_tce_table_put(tbl);
	pe->windows[num] = NULL;
}

/*
 * A DDW beside the default window, when the platform can have one and
 * offers TCEs of the CPU's page size: large enough for all the memory of
 * the machine.  Without it the PE still has its default window.
 */
static void pe_open_ddw(struct spapr_pe *pe)
{
	struct iommu_table_group *tg = pe->tg;
	u64 size = roundup_pow_of_two(totalram_pages() << PAGE_SHIFT);
	long rc;

	if (!spapr_ddw || tg->max_dynamic_windows_supported != SPAPR_WINDOWS ||
	    !(tg->pgsizes & PAGE_SIZE))
		return;
	rc = pe_open_window(pe, SPAPR_WINDOW_DDW, PAGE_SHIFT, size);
	if (rc)
		pr_info("ioasid: IOMMU group %d gets no dynamic DMA window: %ld\n",
			iommu_group_id(tg->group), rc);
}

static struct spapr_pe *pe_open(struct iommu_table_group *tg)
{
	u64 size32 = tg->tce32_size;
	struct spapr_pe *pe;
	long rc;

	pe = ioasid_kzalloc(sizeof(*pe));
	if (!pe)
		return ERR_PTR(-ENOMEM);
	pe->tg = tg;
	mutex_init(&pe->lock);
	if (spapr_dma32_size && spapr_dma32_size < size32)
		size32 = rounddown_pow_of_two(max_t(u64, spapr_dma32_size,
						    SZ_1M));
	rc = pe_open_window(pe, SPAPR_WINDOW_DEFAULT, IOMMU_PAGE_SHIFT_4K,
			    size32);
	if (rc) {
		kfree(pe);
		return ERR_PTR(rc);
	}
	pe_open_ddw(pe);
	list_add(&pe->link, &spapr_pes);
	return pe;
}

static void pe_close(struct spapr_pe *pe)
{
	/* Removing a window leaves its TCEs as they are. */
	WARN_ON(pe->domain);
	list_del(&pe->link);
	pe_close_window(pe, SPAPR_WINDOW_DDW);
	pe_close_window(pe, SPAPR_WINDOW_DEFAULT);
	kfree(pe);
}

static struct spapr_pe *pe_get(struct iommu_table_group *tg)
{
	struct spapr_pe *pe;

	list_for_each_entry(pe, &spapr_pes, link) {
		if (pe->tg == tg) {
			pe->users++;
			return pe;
		}
	}
	pe = pe_open(tg);
	if (!IS_ERR(pe))
		pe->users = 1;
	return pe;
}

static int spapr_bind(struct ioasid_device *idev)
{
	struct iommu_table_group *tg = iommu_group_get_iommudata(idev->group);
	struct spapr_device *sdev =
		container_of(idev, struct spapr_device, idev);
	struct spapr_pe *pe;

	if (!tg || !tg->ops || !tg->ops->create_table)
		return -ENODEV;
	mutex_lock(&spapr_pes_lock);
	pe = pe_get(tg);
	mutex_unlock(&spapr_pes_lock);
	if (IS_ERR(pe))
		return PTR_ERR(pe);
	sdev->pe = pe;
	return 0;
}

static void spapr_unbind(struct ioasid_device *idev)
{
	struct spapr_pe *pe = device_pe(idev);

	mutex_lock(&spapr_pes_lock);
	if (!--pe->users)
		pe_close(pe);
	mutex_unlock(&spapr_pes_lock);
	ioasid_iommu_release(idev);
}

static const struct ioasid_device_ops spapr_device_ops = {
	.domain_alloc = spapr_domain_alloc,
	.set_domain = spapr_set_domain,
	.unset_domain = spapr_unset_domain,
	.get_resv_regions = spapr_get_resv_regions,
	.put_resv_regions = ioasid_iommu_put_resv_regions,
	.describe = spapr_describe,
	.unbind = spapr_unbind,
};

static bool spapr_serves(struct device *iommu_dev)
{
	return strstarts(dev_name(iommu_dev), "iommu-phb");
}

const struct ioasid_backend ioasid_spapr_backend = {
	.family = IOASID_IOMMU_FAMILY_SPAPR_TCE,
	.serves = spapr_serves,
	.device_size = sizeof(struct spapr_device),
	.bind = spapr_bind,
	.ops = &spapr_device_ops,
};
