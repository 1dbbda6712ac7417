/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioasid: what the backends of the devices the kernel's IOMMU core serves
 * share (iommu.c), and the families that build on it.
 */
#ifndef __IOASID_BACKEND_H
#define __IOASID_BACKEND_H

#include <linux/types.h>
#include <linux/xarray.h>
#include <uapi/linux/ioasid.h>

#include "../ioasid.h"

struct device;
struct ioasid_device_info;
struct list_head;

/**
 * struct ioasid_backend - how ioasid drives one family of IOMMUs
 * @family: enum ioasid_iommu_family
 * @serves: does the IOMMU whose sysfs device is @iommu_dev belong to the
 *	family?
 * @device_size: the size of the family's device struct, which embeds
 *	struct ioasid_device first
 * @bind: set up what the family needs for a device whose group the
 *	context now owns; optional; undone by the ops' unbind
 * @fill_after_attach: its IOMMU driver accepts mappings into a new domain
 *	only once it is attached (struct ioasid_device)
 * @settles_at_attach: its IOMMU driver settles a new domain's page sizes and
 *	aperture only when it is first attached (struct ioasid_device)
 * @hw_regs: fill in the registers of the IOMMU that serves a device, and
 *	what they tell, for the families of ioasid_iommu_paging_ops; optional
 * @ops: what the family does for its devices
 */
struct ioasid_backend {
	enum ioasid_iommu_family family;
	bool (*serves)(struct device *iommu_dev);
	size_t device_size;
	int (*bind)(struct ioasid_device *idev);
	bool fill_after_attach;
	bool settles_at_attach;
	int (*hw_regs)(struct ioasid_device *idev,
		       struct ioasid_device_info *info);
	const struct ioasid_device_ops *ops;
};

extern const struct ioasid_backend ioasid_vtd_backend;
extern const struct ioasid_backend ioasid_amd_backend;
extern const struct ioasid_backend ioasid_smmuv3_backend;
extern const struct ioasid_backend ioasid_virtio_backend;
extern const struct ioasid_backend ioasid_spapr_backend;

/* The ops of the families whose IOMMU drivers give paging domains. */
extern const struct ioasid_device_ops ioasid_iommu_paging_ops;

/* What every backend of a device the IOMMU core serves may use (iommu.c). */
int ioasid_iommu_get_resv_regions(struct ioasid_device *idev,
				  struct list_head *regions);
void ioasid_iommu_put_resv_regions(struct ioasid_device *idev,
				   struct list_head *regions);
void ioasid_iommu_describe(struct ioasid_device *idev,
			   struct ioasid_device_info *info, u32 family);
void ioasid_iommu_release(struct ioasid_device *idev);
struct device *ioasid_iommu_dev(struct device *dev);
void *ioasid_iommu_hw_info(struct ioasid_device *idev, u32 *length,
			   u32 *type);

/**
 * struct ioasid_swpt - a page table in software (swpt.c)
 * @ptes: by IOVA >> @shift, the entry of each page mapped
 * @shift: log2 of its page size
 */
struct ioasid_swpt {
	struct xarray ptes;
	unsigned int shift;
};

void ioasid_swpt_init(struct ioasid_swpt *pt, unsigned int shift);
void ioasid_swpt_destroy(struct ioasid_swpt *pt);
int ioasid_swpt_map(struct ioasid_swpt *pt, unsigned long iova,
		    phys_addr_t paddr, size_t size, int prot, gfp_t gfp,
		    size_t *mapped);
size_t ioasid_swpt_unmap(struct ioasid_swpt *pt, unsigned long iova,
			 size_t size);
bool ioasid_swpt_lookup(struct ioasid_swpt *pt, unsigned long iova,
			phys_addr_t *paddr, int *prot);
phys_addr_t ioasid_swpt_iova_to_phys(struct ioasid_swpt *pt, dma_addr_t iova);
bool ioasid_swpt_next_run(struct ioasid_swpt *pt, unsigned long *iova,
			  phys_addr_t *paddr, size_t *size, int *prot);
void ioasid_swpt_set_dirty(struct ioasid_swpt *pt, unsigned long iova);
void ioasid_swpt_read_dirty(struct ioasid_swpt *pt, unsigned long iova,
			    unsigned long length, bool keep,
			    struct ioasid_dirty_bitmap *bitmap);

#endif /* __IOASID_BACKEND_H */
