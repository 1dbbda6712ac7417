// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-iommu backend.
 *
 * The virtio-iommu driver's paging domains hold the IOAS's mappings, as for
 * every family of the IOMMU core (iommu.c); the driver settles a domain's
 * page sizes and aperture at its first attach, from the device's
 * configuration, which is why a new domain is attached before it is filled
 * (fill_after_attach, device.c), and why a replace into a new domain is not
 * hitless here.  The reserved regions the device's probe gives an
 * endpoint (its MSI doorbell, or the ones QEMU declares) are the group's
 * reserved regions, which the IOAS keeps out of.
 *
 * What this backend adds is the device's configuration itself: the page
 * size mask, the input range and the domain id range, as a VMM that puts
 * a virtio-iommu in front of its guest needs them to offer no more than
 * the host's.  Whether a device's DMA was translated or bypassed while the
 * kernel owned it (iommu.passthrough, or a bypass domain) is in the
 * report's out_kernel_dma, as for every family.
 */
#include <linux/device.h>
#include <linux/string.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <uapi/linux/ioasid.h>
#include <uapi/linux/virtio_iommu.h>

#include "backend.h"

/**
 * struct virtio_iommu_device - a device behind a virtio-iommu
 * @idev: the device object
 * @regs: the virtio-iommu's configuration, read at bind, as
 *	IOASID_HW_REGS_VIRTIO_IOMMU lays it out
 */
struct virtio_iommu_device {
	struct ioasid_device idev;
	u64 regs[4];
};

static struct virtio_iommu_device *to_virtio_device(struct ioasid_device *idev)
{
	return container_of(idev, struct virtio_iommu_device, idev);
}

/* The virtio-iommu's IOMMU is a child of the virtio device it drives. */
static bool virtio_serves(struct device *iommu_dev)
{
	struct device *parent = iommu_dev->parent;

	return parent && !strcmp(dev_driver_string(parent), "virtio_iommu");
}

/* The ranges the specification gives when the features are absent. */
static void virtio_read_config(struct virtio_device *vdev, u64 *regs)
{
	u64 pgsize_bitmap = 0, input_start = 0, input_end = U64_MAX;
	u32 domain_start = 0, domain_end = U32_MAX;

	virtio_cread_le(vdev, struct virtio_iommu_config, page_size_mask,
			&pgsize_bitmap);
	virtio_cread_le_feature(vdev, VIRTIO_IOMMU_F_INPUT_RANGE,
				struct virtio_iommu_config, input_range.start,
				&input_start);
	virtio_cread_le_feature(vdev, VIRTIO_IOMMU_F_INPUT_RANGE,
				struct virtio_iommu_config, input_range.end,
				&input_end);
	virtio_cread_le_feature(vdev, VIRTIO_IOMMU_F_DOMAIN_RANGE,
				struct virtio_iommu_config, domain_range.start,
				&domain_start);
	virtio_cread_le_feature(vdev, VIRTIO_IOMMU_F_DOMAIN_RANGE,
				struct virtio_iommu_config, domain_range.end,
				&domain_end);
	regs[0] = pgsize_bitmap;
	regs[1] = input_start;
	regs[2] = input_end;
	regs[3] = domain_start | (u64)domain_end << 32;
}

/*
 * Read the configuration once, while the virtio-iommu driver surely drives
 * its device: the device's IOMMU is that driver's.
 */
static int virtio_bind(struct ioasid_device *idev)
{
	struct device *parent = ioasid_iommu_dev(idev->dev)->parent;

	if (!parent->driver)
		return -ENODEV;
	virtio_read_config(dev_to_virtio(parent), to_virtio_device(idev)->regs);
	return 0;
}

static int virtio_hw_regs(struct ioasid_device *idev,
			  struct ioasid_device_info *info)
{
	info->out_hw_regs_type = IOASID_HW_REGS_VIRTIO_IOMMU;
	memcpy(info->out_hw_regs, to_virtio_device(idev)->regs,
	       sizeof(info->out_hw_regs));
	return 0;
}

const struct ioasid_backend ioasid_virtio_backend = {
	.family = IOASID_IOMMU_FAMILY_VIRTIO,
	.serves = virtio_serves,
	.device_size = sizeof(struct virtio_iommu_device),
	.bind = virtio_bind,
	.fill_after_attach = true,
	.settles_at_attach = true,
	.hw_regs = virtio_hw_regs,
	.ops = &ioasid_iommu_paging_ops,
};
