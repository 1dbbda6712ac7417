// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid as an IOMMU backend of VFIO containers (ioasid_vfio.ko).
 *
 * VFIO on Debian's 6.12 has no iommufd, but still takes the IOMMU backends
 * of its containers from modules (vfio_register_iommu_driver()), as
 * vfio_iommu_type1 plugs in.  This one serves a container from an ioasid
 * context: every map, every attachment and every isolation decision is
 * ioasid's, and vfio-pci's device model (interrupts, regions, reset) comes
 * as it is.
 *
 * Two kinds of container are served.  A type1 container has a context of
 * its own, held by no process, with one IOAS, and answers the VFIO type1
 * commands a client of type1 uses, so an unmodified VMM or DPDK runs on it;
 * it is served only while the module parameter type1 is set, since VFIO
 * gives a type two backends answer to the one registered last.  A type1
 * container also takes VFIO_UPDATE_VADDR, on ioasid's live update.  An
 * IOASID_VFIO_IOMMU container is linked by its user to an IOAS of a
 * /dev/ioasid context (IOASID_VFIO_LINK) and answers nothing else: the
 * mappings are the context's.  Either way every group set to the container
 * has its devices bound to the context (VFIO owns the group's DMA, and
 * lends it: nothing is claimed again) and attached to the IOAS, once the
 * container has one.
 *
 * The container commands run as the ioctls of /dev/ioasid would, for the
 * task that calls them: the memory a MAP_DMA names is its memory, charged
 * to it.
 *
 * Locking: ioasid_vfio.lock guards the link and the groups of a container;
 * MAP_DMA and UNMAP_DMA go to the context, which serializes them itself.
 */
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <uapi/linux/ioasid.h>

/* VFIO's private header, from the source of the running kernel's version. */
#include <vfio.h>

#include "ioasid.h"

MODULE_IMPORT_NS(IOASID);

/*
 * The header above is the only declaration of the backend interface: a
 * kernel whose VFIO has another layout fails the build here, not a guest.
 */
static_assert(sizeof(struct vfio_iommu_driver_ops) == 13 * sizeof(void *));

/* Read without a lock: a container set after a write sees the new value. */
static bool type1;
module_param(type1, bool, 0644);
MODULE_PARM_DESC(type1,
		 "Serve VFIO_TYPE1_IOMMU and VFIO_TYPE1v2_IOMMU containers set from now on (default: no, leave them to vfio_iommu_type1)");

/**
 * struct ioasid_vfio_device - a device of a group of the container
 * @dev: the device, with a reference for as long as it is bound
 * @idev: its binding to the context
 * @link: in ioasid_vfio_group.devices
 */
struct ioasid_vfio_device {
	struct device *dev;
	struct ioasid_device *idev;
	struct list_head link;
};

/**
 * struct ioasid_vfio_group - a group set to the container
 * @group: the IOMMU group, whose DMA ownership VFIO holds
 * @devices: its devices, each bound to the context and attached; empty
 *	until the container is linked
 * @link: in ioasid_vfio.groups
 */
struct ioasid_vfio_group {
	struct iommu_group *group;
	struct list_head devices;
	struct list_head link;
};

/**
 * struct ioasid_vfio - a container served by ioasid
 * @type1: a type1 container, with a context of its own; else an
 *	IOASID_VFIO_IOMMU one
 * @file: the context's file, held by the container; NULL until an
 *	IOASID_VFIO_IOMMU container is linked
 * @ictx: the context
 * @ioas_id: the IOAS every group of the container is attached to
 * @lock: guards @file, @ictx, @ioas_id and @groups
 * @groups: the struct ioasid_vfio_group set to the container
 */
struct ioasid_vfio {
	bool type1;
	struct file *file;
	struct ioasid_ctx *ictx;
	u32 ioas_id;
	struct mutex lock;	/* guards the link and groups */
	struct list_head groups;
};

/* Does a new container (@iv NULL), or @iv, serve the type1 uAPI? */
static bool answers_type1(const struct ioasid_vfio *iv)
{
	return iv ? iv->type1 : READ_ONCE(type1);
}

static bool serves_type(const struct ioasid_vfio *iv, unsigned long type)
{
	if (type == IOASID_VFIO_IOMMU)
		return !iv || !iv->type1;
	return answers_type1(iv) &&
	       (type == VFIO_TYPE1_IOMMU || type == VFIO_TYPE1v2_IOMMU);
}

/* A type1 container's context of its own, with its IOAS. */
static int open_own_context(struct ioasid_vfio *iv)
{
	struct ioasid_ioas_alloc alloc = { .size = sizeof(alloc) };
	int rc;

	iv->file = ioasid_kernel_ctx_open();
	if (IS_ERR(iv->file))
		return PTR_ERR(iv->file);
	iv->ictx = ioasid_file_ctx(iv->file);
	rc = ioasid_kernel_cmd(iv->ictx, IOASID_IOAS_ALLOC, &alloc);
	if (rc) {
		fput(iv->file);
		return rc;
	}
	iv->ioas_id = alloc.out_ioas_id;
	return 0;
}

static void *ioasid_vfio_open(unsigned long type)
{
	struct ioasid_vfio *iv;
	int rc;

	if (!serves_type(NULL, type))
		return ERR_PTR(-EINVAL);
	iv = kzalloc(sizeof(*iv), GFP_KERNEL_ACCOUNT);
	if (!iv)
		return ERR_PTR(-ENOMEM);
	iv->type1 = type != IOASID_VFIO_IOMMU;
	if (iv->type1) {
		rc = open_own_context(iv);
		if (rc) {
			kfree(iv);
			return ERR_PTR(rc);
		}
	}
	mutex_init(&iv->lock);
	INIT_LIST_HEAD(&iv->groups);
	return iv;
}

static void ioasid_vfio_release(void *data)
{
	struct ioasid_vfio *iv = data;

	/* VFIO detaches every group before it releases the backend. */
	WARN_ON(!list_empty(&iv->groups));
	mutex_destroy(&iv->lock);
	if (iv->file)
		fput(iv->file);
	kfree(iv);
}

static void group_unbind(struct ioasid_vfio_group *ig)
{
	struct ioasid_vfio_device *vd, *tmp;

	list_for_each_entry_safe(vd, tmp, &ig->devices, link) {
		ioasid_kernel_device_unbind(vd->idev);
		put_device(vd->dev);
		list_del(&vd->link);
		kfree(vd);
	}
}

/*
 * Bind @dev, of a group set to @iv, and attach it to the container's IOAS;
 * the binding takes over the caller's reference on @dev.  *@unmet gets
 * what an enabled IOAS found missing, as IOASID_DEVICE_ATTACH tells it.
 */
static int group_bind_device(struct ioasid_vfio *iv,
			     struct ioasid_vfio_group *ig, struct device *dev,
			     u64 *unmet)
{
	struct ioasid_device_attach attach = {
		.size = sizeof(attach),
		.ioas_id = iv->ioas_id,
	};
	struct ioasid_vfio_device *vd;
	int rc;

	vd = kzalloc(sizeof(*vd), GFP_KERNEL_ACCOUNT);
	if (!vd) {
		put_device(dev);
		return -ENOMEM;
	}
	vd->dev = dev;
	vd->idev = ioasid_kernel_device_bind(iv->ictx, dev, &attach.dev_id);
	if (IS_ERR(vd->idev)) {
		rc = PTR_ERR(vd->idev);
		put_device(dev);
		kfree(vd);
		return rc;
	}
	list_add_tail(&vd->link, &ig->devices);
	rc = ioasid_kernel_cmd(iv->ictx, IOASID_DEVICE_ATTACH, &attach);
	*unmet = attach.out_unmet;
	return rc;
}

/* Where group_devices() collects the devices of a group. */
struct device_array {
	struct device **devs;
	unsigned int num;
	unsigned int max;
};

static int collect_device(struct device *dev, void *data)
{
	struct device_array *a = data;

	/* A device added since they were counted: count again. */
	if (a->num == a->max)
		return -EAGAIN;
	a->devs[a->num++] = get_device(dev);
	return 0;
}

static int count_device(struct device *dev, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

static void put_devices(struct device_array *a)
{
	while (a->num)
		put_device(a->devs[--a->num]);
	kfree(a->devs);
}

/* The devices of @group into @a, each with a reference: 0 or -ENOMEM. */
static int group_devices(struct iommu_group *group, struct device_array *a)
{
	int rc;

	do {
		a->num = 0;
		a->max = 0;
		iommu_group_for_each_dev(group, &a->max, count_device);
		a->devs = kcalloc(a->max, sizeof(*a->devs), GFP_KERNEL);
		if (!a->devs)
			return -ENOMEM;
		rc = iommu_group_for_each_dev(group, a, collect_device);
		if (rc)
			put_devices(a);
	} while (rc == -EAGAIN);
	return 0;
}

/*
 * What type1 says where ioasid says otherwise: a range outside the usable
 * IOVAs, or one that wraps, is -EINVAL; a group whose MSIs are not isolated
 * is -EPERM; one with a reserved region over a mapping, -EINVAL.
 */
static int type1_errno(int rc)
{
	switch (rc) {
	case -ERANGE:
	case -EOVERFLOW:
	case -EADDRINUSE:
		return -EINVAL;
	case -EACCES:
		return -EPERM;
	default:
		return rc;
	}
}

/*
 * Bind every device of @ig to the context of @iv, which has one, and attach
 * it to the container's IOAS; all or none.  Under iv->lock.  *@unmet as
 * group_bind_device() sets it.
 */
static int group_bind(struct ioasid_vfio *iv, struct ioasid_vfio_group *ig,
		      u64 *unmet)
{
	struct device_array a;
	int rc;

	lockdep_assert_held(&iv->lock);

	rc = group_devices(ig->group, &a);
	if (rc)
		return rc;
	/* Each device's reference goes to its binding, or is put. */
	while (a.num) {
		struct device *dev = a.devs[--a.num];

		if (rc)
			put_device(dev);
		else
			rc = group_bind_device(iv, ig, dev, unmet);
	}
	kfree(a.devs);
	if (rc)
		group_unbind(ig);
	return rc;
}

static int ioasid_vfio_attach_group(void *data, struct iommu_group *group,
				    enum vfio_group_type type)
{
	struct ioasid_vfio *iv = data;
	struct ioasid_vfio_group *ig;
	u64 unmet;
	int rc = 0;

	/* Emulated (mdev) devices pin through the backend: not served. */
	if (type != VFIO_IOMMU)
		return -EINVAL;
	/*
	 * VFIO leaves it to the backend to refuse a group whose MSIs are not
	 * isolated, before its devices can be opened: an unlinked container
	 * binds nothing yet, so here.
	 */
	if (!ioasid_group_msi_allowed(group))
		return -EPERM;
	ig = kzalloc(sizeof(*ig), GFP_KERNEL_ACCOUNT);
	if (!ig)
		return -ENOMEM;
	ig->group = group;
	INIT_LIST_HEAD(&ig->devices);
	mutex_lock(&iv->lock);
	/* An unlinked container binds its groups when it is linked. */
	if (iv->file)
		rc = group_bind(iv, ig, &unmet);
	if (!rc)
		list_add_tail(&ig->link, &iv->groups);
	mutex_unlock(&iv->lock);
	if (rc) {
		kfree(ig);
		return iv->type1 ? type1_errno(rc) : rc;
	}
	return 0;
}

/* Is @ioas_id an IOAS of @ictx, for the current task to attach to? */
static int check_ioas(struct ioasid_ctx *ictx, u32 ioas_id)
{
	struct ioasid_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
	};
	int rc;

	rc = ioasid_kernel_cmd(ictx, IOASID_IOAS_IOVA_RANGES, &cmd);
	return rc == -EMSGSIZE ? 0 : rc;
}

/* IOASID_VFIO_LINK: see include/uapi/linux/ioasid.h. */
static int link_ioas(struct ioasid_vfio *iv, void __user *arg)
{
	struct ioasid_vfio_link cmd;
	struct ioasid_vfio_group *ig;
	struct ioasid_ctx *ictx;
	struct file *file;
	u32 size;
	int rc;

	if (get_user(size, (u32 __user *)arg))
		return -EFAULT;
	if (size < offsetofend(struct ioasid_vfio_link, ioas_id))
		return -EINVAL;
	rc = copy_struct_from_user(&cmd, sizeof(cmd), arg, size);
	if (rc)
		return rc;
	if (cmd.flags)
		return -EOPNOTSUPP;
	/* Written before anything is done: a link is never told -EFAULT. */
	if (size >= offsetofend(struct ioasid_vfio_link, out_unmet) &&
	    put_user(0, &((struct ioasid_vfio_link __user *)arg)->out_unmet))
		return -EFAULT;
	cmd.out_unmet = 0;
	file = fget(cmd.fd);
	if (!file)
		return -EBADF;
	ictx = ioasid_file_ctx(file);
	rc = ictx ? check_ioas(ictx, cmd.ioas_id) : -EINVAL;
	if (rc) {
		fput(file);
		return rc;
	}

	mutex_lock(&iv->lock);
	if (iv->file) {
		rc = -EBUSY;
		goto out_unlock;
	}
	iv->file = file;
	iv->ictx = ictx;
	iv->ioas_id = cmd.ioas_id;
	list_for_each_entry(ig, &iv->groups, link) {
		rc = group_bind(iv, ig, &cmd.out_unmet);
		if (rc)
			break;
	}
	if (rc) {
		list_for_each_entry(ig, &iv->groups, link)
			group_unbind(ig);
		iv->file = NULL;
		iv->ictx = NULL;
	}
out_unlock:
	mutex_unlock(&iv->lock);
	if (rc)
		fput(file);
	/* What an enabled IOAS found missing goes back with its refusal. */
	if (rc == -EOPNOTSUPP &&
	    size >= offsetofend(struct ioasid_vfio_link, out_unmet) &&
	    put_user(cmd.out_unmet,
		     &((struct ioasid_vfio_link __user *)arg)->out_unmet))
		return -EFAULT;
	return rc;
}

static void ioasid_vfio_detach_group(void *data, struct iommu_group *group)
{
	struct ioasid_vfio *iv = data;
	struct ioasid_vfio_group *ig, *found = NULL;

	mutex_lock(&iv->lock);
	list_for_each_entry(ig, &iv->groups, link) {
		if (ig->group == group) {
			found = ig;
			list_del(&ig->link);
			break;
		}
	}
	mutex_unlock(&iv->lock);
	if (WARN_ON(!found))
		return;
	group_unbind(found);
	kfree(found);
}

/* What a new container (@iv NULL), or @iv, offers. */
static int check_extension(const struct ioasid_vfio *iv, unsigned long arg)
{
	switch (arg) {
	case IOASID_VFIO_IOMMU:
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
		return serves_type(iv, arg);
	case VFIO_UNMAP_ALL:
		return answers_type1(iv);
	case VFIO_UPDATE_VADDR:
		/* As type1: a container set up as one, not before. */
		return iv && iv->type1;
	default:
		return 0;
	}
}

/* The usable IOVA ranges of the IOAS, and its alignment, for GET_INFO. */
static int add_iova_range_cap(struct ioasid_vfio *iv, struct vfio_info_cap *caps,
			      u64 *alignment)
{
	struct ioasid_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = iv->ioas_id,
	};
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct ioasid_iova_range *ranges = NULL;
	struct vfio_info_cap_header *header;
	size_t size;
	int rc;
	u32 i;

	/* Count, then read; a group attached meanwhile: again. */
	do {
		kfree(ranges);
		cmd.num_iovas = 0;
		rc = ioasid_kernel_cmd(iv->ictx, IOASID_IOAS_IOVA_RANGES, &cmd);
		if (rc && rc != -EMSGSIZE)
			return rc;
		ranges = kcalloc(cmd.num_iovas, sizeof(*ranges), GFP_KERNEL);
		if (!ranges)
			return -ENOMEM;
		cmd.allowed_iovas = (uintptr_t)ranges;
		rc = ioasid_kernel_cmd(iv->ictx, IOASID_IOAS_IOVA_RANGES, &cmd);
	} while (rc == -EMSGSIZE);
	if (rc)
		goto out_free;
	*alignment = cmd.out_iova_alignment;
	size = struct_size(cap, iova_ranges, cmd.num_iovas);
	header = vfio_info_cap_add(caps, size,
				   VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	if (IS_ERR(header)) {
		rc = PTR_ERR(header);
		goto out_free;
	}
	cap = container_of(header, struct vfio_iommu_type1_info_cap_iova_range,
			   header);
	cap->nr_iovas = cmd.num_iovas;
	for (i = 0; i < cmd.num_iovas; i++) {
		cap->iova_ranges[i].start = ranges[i].start;
		cap->iova_ranges[i].end = ranges[i].last;
	}
out_free:
	kfree(ranges);
	return rc;
}

static int add_dma_avail_cap(struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_dma_avail *cap;
	struct vfio_info_cap_header *header;

	header = vfio_info_cap_add(caps, sizeof(*cap),
				   VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1);
	if (IS_ERR(header))
		return PTR_ERR(header);
	cap = container_of(header, struct vfio_iommu_type1_info_dma_avail,
			   header);
	/* No limit unless ioasid's max_mappings is set: say the most. */
	cap->avail = U32_MAX;
	return 0;
}

/*
 * Migration: dirty bitmaps of CPU pages, read from the IOAS's dirty
 * tracking (IOASID_IOAS_DIRTY_BITMAP), of at most 2^31 bits.
 */
#define DIRTY_BITMAP_MAX_BYTES BIT_ULL(28)

static int add_migration_cap(struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_migration *cap;
	struct vfio_info_cap_header *header;

	header = vfio_info_cap_add(caps, sizeof(*cap),
				   VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 1);
	if (IS_ERR(header))
		return PTR_ERR(header);
	cap = container_of(header, struct vfio_iommu_type1_info_cap_migration,
			   header);
	cap->flags = 0;
	cap->pgsize_bitmap = PAGE_SIZE;
	cap->max_dirty_bitmap_size = DIRTY_BITMAP_MAX_BYTES;
	return 0;
}

static int get_info(struct ioasid_vfio *iv, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_info,
					  iova_pgsizes);
	struct vfio_iommu_type1_info info = {};
	struct vfio_info_cap caps = {};
	u64 alignment = PAGE_SIZE;
	int rc;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	/* The caller's struct may be of the first version, without caps. */
	minsz = min_t(size_t, info.argsz, sizeof(info));
	rc = add_iova_range_cap(iv, &caps, &alignment) ?:
	     add_dma_avail_cap(&caps) ?:
	     add_migration_cap(&caps);
	if (rc)
		goto out_free;
	info.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	/* Any multiple of the alignment is mapped, in pages as large as fit. */
	info.iova_pgsizes = ~(alignment - 1);
	info.cap_offset = 0;
	if (info.argsz < sizeof(info) + caps.size) {
		info.argsz = sizeof(info) + caps.size;
	} else {
		vfio_info_cap_shift(&caps, sizeof(info));
		if (copy_to_user(arg + sizeof(info), caps.buf, caps.size)) {
			rc = -EFAULT;
			goto out_free;
		}
		info.cap_offset = sizeof(info);
	}
	rc = copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
out_free:
	kfree(caps.buf);
	return rc;
}

/*
 * MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR: the memory of one mapping whose
 * address was invalidated, at a new address.  Unlike type1, which takes any
 * address, ioasid checks that the memory there is the mapping's.
 */
static int supply_vaddr(struct ioasid_vfio *iv,
			const struct vfio_iommu_type1_dma_map *map)
{
	struct ioasid_uaddr_supply cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_UADDR_SUPPLY_ONE,
		.ioas_id = iv->ioas_id,
		.iova = map->iova,
		.length = map->size,
		.user_va = map->vaddr,
	};
	int rc;

	rc = ioasid_kernel_cmd(iv->ictx, IOASID_UADDR_SUPPLY, &cmd);
	/*
	 * A mapping whose address is valid is no mapping to give one, and a
	 * range that wraps is invalid to type1; the errnos of the memory's
	 * check are ioasid's own.
	 */
	return rc == -EEXIST || rc == -EOVERFLOW ? -EINVAL : rc;
}

static int map_dma(struct ioasid_vfio *iv, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	u32 prot = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	struct vfio_iommu_type1_dma_map map;
	struct ioasid_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_IOAS_MAP_FIXED_IOVA,
		.ioas_id = iv->ioas_id,
	};

	if (copy_from_user(&map, arg, minsz))
		return -EFAULT;
	if (map.argsz < minsz ||
	    map.flags & ~(prot | VFIO_DMA_MAP_FLAG_VADDR))
		return -EINVAL;
	/* A new address, or a new mapping that devices may use somehow. */
	if (!(map.flags & prot) == !(map.flags & VFIO_DMA_MAP_FLAG_VADDR))
		return -EINVAL;
	if (map.flags & VFIO_DMA_MAP_FLAG_VADDR)
		return supply_vaddr(iv, &map);
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		cmd.flags |= IOASID_IOAS_MAP_READABLE;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		cmd.flags |= IOASID_IOAS_MAP_WRITEABLE;
	cmd.user_va = map.vaddr;
	cmd.length = map.size;
	cmd.iova = map.iova;
	return type1_errno(ioasid_kernel_cmd(iv->ictx, IOASID_IOAS_MAP, &cmd));
}

/*
 * UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_VADDR: invalidate the addresses of the
 * mappings of the range (or of all, with VFIO_DMA_UNMAP_FLAG_ALL), every
 * one of which must have a valid address; *@length gets their length.
 */
static int invalidate_vaddr(struct ioasid_vfio *iv,
			    const struct vfio_iommu_type1_dma_unmap *unmap,
			    u64 *length)
{
	struct ioasid_uaddr_invalidate cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_UADDR_INVALIDATE_VALID,
		.ioas_id = iv->ioas_id,
	};
	int rc;

	if (!(unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL)) {
		cmd.flags |= IOASID_UADDR_INVALIDATE_RANGE;
		cmd.iova = unmap->iova;
		cmd.length = unmap->size;
	}
	rc = ioasid_kernel_cmd(iv->ictx, IOASID_UADDR_INVALIDATE, &cmd);
	*length = cmd.out_length;
	return rc == -EALREADY ? -EINVAL : type1_errno(rc);
}

/*
 * Write the dirty bitmap @bitmap of [@iova, @iova + @size) from the IOAS's
 * dirty tracking, and clear what it read, as type1 does; -EINVAL when the
 * container does not track.
 */
static int read_dirty_bitmap(struct ioasid_vfio *iv, u64 iova, u64 size,
			     const struct vfio_bitmap *bitmap)
{
	struct ioasid_ioas_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = iv->ioas_id,
		.iova = iova,
		.length = size,
		.page_size = bitmap->pgsize,
		.bitmap = (uintptr_t)bitmap->data,
	};
	int rc;

	if (bitmap->pgsize != PAGE_SIZE || !size ||
	    bitmap->size < DIV_ROUND_UP(size / PAGE_SIZE, 64) * sizeof(u64) ||
	    bitmap->size > DIRTY_BITMAP_MAX_BYTES)
		return -EINVAL;
	rc = ioasid_kernel_cmd(iv->ictx, IOASID_IOAS_DIRTY_BITMAP, &cmd);
	return rc == -ENODATA ? -EINVAL : rc;
}

static int remove_mappings(struct ioasid_vfio *iv,
			   const struct vfio_iommu_type1_dma_unmap *unmap,
			   u64 *length)
{
	struct ioasid_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = iv->ioas_id,
	};
	int rc;

	if (unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		cmd.flags = IOASID_IOAS_UNMAP_ALL;
	} else {
		cmd.iova = unmap->iova;
		cmd.length = unmap->size;
	}
	rc = type1_errno(ioasid_kernel_cmd(iv->ictx, IOASID_IOAS_UNMAP, &cmd));
	/* Nothing mapped there is no error to type1: it unmapped nothing. */
	if (rc == -ENOENT) {
		*length = 0;
		return 0;
	}
	*length = cmd.length;
	return rc;
}

static int unmap_dma(struct ioasid_vfio *iv, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_dma_unmap,
					  size);
	u32 dirty = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	struct vfio_iommu_type1_dma_unmap unmap;
	struct vfio_bitmap bitmap;
	u64 length;
	int rc;

	if (copy_from_user(&unmap, arg, minsz))
		return -EFAULT;
	if (unmap.argsz < minsz ||
	    unmap.flags & ~(VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR |
			    dirty))
		return -EINVAL;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL && (unmap.iova || unmap.size))
		return -EINVAL;
	if (unmap.flags & dirty) {
		/* The bits of what is unmapped, read first. */
		if (unmap.flags != dirty || unmap.argsz < minsz + sizeof(bitmap))
			return -EINVAL;
		if (copy_from_user(&bitmap, arg + minsz, sizeof(bitmap)))
			return -EFAULT;
		rc = read_dirty_bitmap(iv, unmap.iova, unmap.size, &bitmap);
		if (rc)
			return rc;
	}
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_VADDR)
		rc = invalidate_vaddr(iv, &unmap, &length);
	else
		rc = remove_mappings(iv, &unmap, &length);
	if (rc)
		return rc;
	unmap.size = length;
	return copy_to_user(arg, &unmap, minsz) ? -EFAULT : 0;
}

/* VFIO_IOMMU_DIRTY_PAGES on the IOAS's dirty tracking. */
static int dirty_pages(struct ioasid_vfio *iv, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_dirty_bitmap,
					  flags);
	struct ioasid_ioas_dirty_tracking track = {
		.size = sizeof(track),
		.ioas_id = iv->ioas_id,
	};
	struct vfio_iommu_type1_dirty_bitmap dirty;
	struct vfio_iommu_type1_dirty_bitmap_get get;

	if (copy_from_user(&dirty, arg, minsz))
		return -EFAULT;
	if (dirty.argsz < minsz || hweight32(dirty.flags) != 1 ||
	    dirty.flags & ~(VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
			    VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
			    VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP))
		return -EINVAL;
	if (dirty.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP) {
		if (dirty.argsz < minsz + sizeof(get))
			return -EINVAL;
		if (copy_from_user(&get, arg + minsz, sizeof(get)))
			return -EFAULT;
		return read_dirty_bitmap(iv, get.iova, get.size, &get.bitmap);
	}
	if (dirty.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_START)
		track.flags = IOASID_DIRTY_TRACKING_ENABLE;
	return ioasid_kernel_cmd(iv->ictx, IOASID_IOAS_DIRTY_TRACKING, &track);
}

static long ioasid_vfio_ioctl(void *data, unsigned int cmd, unsigned long arg)
{
	struct ioasid_vfio *iv = data;
	void __user *uarg = (void __user *)arg;

	if (cmd == VFIO_CHECK_EXTENSION)
		return check_extension(iv, arg);
	if (!iv)
		return -ENOTTY;
	if (!iv->type1)
		return cmd == IOASID_VFIO_LINK ? link_ioas(iv, uarg) : -ENOTTY;
	switch (cmd) {
	case VFIO_IOMMU_GET_INFO:
		return get_info(iv, uarg);
	case VFIO_IOMMU_MAP_DMA:
		return map_dma(iv, uarg);
	case VFIO_IOMMU_UNMAP_DMA:
		return unmap_dma(iv, uarg);
	case VFIO_IOMMU_DIRTY_PAGES:
		return dirty_pages(iv, uarg);
	default:
		return -ENOTTY;
	}
}

static const struct vfio_iommu_driver_ops ioasid_vfio_ops = {
	.name = "ioasid",
	.owner = THIS_MODULE,
	.open = ioasid_vfio_open,
	.release = ioasid_vfio_release,
	.ioctl = ioasid_vfio_ioctl,
	.attach_group = ioasid_vfio_attach_group,
	.detach_group = ioasid_vfio_detach_group,
};

static int __init ioasid_vfio_init(void)
{
	return vfio_register_iommu_driver(&ioasid_vfio_ops);
}

static void __exit ioasid_vfio_exit(void)
{
	vfio_unregister_iommu_driver(&ioasid_vfio_ops);
}

module_init(ioasid_vfio_init);
module_exit(ioasid_vfio_exit);

MODULE_DESCRIPTION("ioasid as the IOMMU backend of VFIO containers");
MODULE_LICENSE("GPL");
