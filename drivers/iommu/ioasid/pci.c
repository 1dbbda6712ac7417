// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid_pci: the PCI driver that gives devices to user space.
 *
 * A device is bound to this driver through driver_override (it matches no
 * id of its own) and gets a device file, /dev/ioasid-pci/<name>.  The file
 * reaches nothing of the device until IOASID_PCI_BIND ties it to an ioasid
 * context, which claims the DMA ownership of the device's IOMMU group (see
 * device.c): before that, the device could still DMA through the kernel's
 * own domain, so it must not be programmable.
 *
 * Lifetimes.  struct ioasid_pci_dev lives as long as its class device: the
 * driver holds one reference from probe to remove, an open file another.
 * A bound file holds the ioasid file it is bound to, so the context outlives
 * the binding.  Unbinding, at close or when the driver lets go of the device
 * (remove, on unbind or hot-unplug), stops the device's DMA (bus mastering
 * off) before handing its group back to the kernel.  Remove also revokes the
 * file's BAR mappings and marks the device gone: every later command fails
 * with -ENODEV, and a mapped BAR faults.
 *
 * Locking: ipdev->lock guards the binding and the gone flag; mmap() takes
 * it under mmap_lock, and remove() zaps mappings under it, which takes
 * i_mmap_rwsem: mmap_lock, then ipdev->lock, then i_mmap_rwsem.  remove()
 * runs under the device lock, so under ipdev->lock the device lock is only
 * ever tried (reset).
 */
#include <linux/cdev.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"

/* The mmap() offset of BAR n is n << IOASID_PCI_REGION_SHIFT. */
#define IOASID_PCI_REGION_SHIFT 40
#define IOASID_PCI_NUM_REGIONS (PCI_STD_RESOURCE_END + 1)
#define IOASID_PCI_MAX_DEVICES 256

static dev_t ioasid_pci_devt;
static DEFINE_IDA(ioasid_pci_minors);

/**
 * struct ioasid_pci_dev - a PCI device given to user space
 * @dev: the class device behind /dev/ioasid-pci/<name>; frees this
 * @cdev: its character device
 * @pdev: the PCI device, referenced until @dev is released
 * @lock: guards the fields below
 * @gone: the driver let go of the device; nothing reaches it any more
 * @opened: a file is open (one at a time)
 * @mapping: the open file's address space, to revoke its BAR mappings
 * @ioasid_file: the /dev/ioasid file bound to, or NULL
 * @idev: the device's object in that context
 */
struct ioasid_pci_dev {
	struct device dev;
	struct cdev cdev;
	struct pci_dev *pdev;
	struct mutex lock; /* guards the binding and @gone */
	bool gone;
	bool opened;
	struct address_space *mapping;
	struct file *ioasid_file;
	struct ioasid_device *idev;
};

static char *ioasid_pci_devnode(const struct device *dev, umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return kasprintf(GFP_KERNEL, "ioasid-pci/%s", dev_name(dev));
}

static const struct class ioasid_pci_class = {
	.name = "ioasid-pci",
	.devnode = ioasid_pci_devnode,
};

/* Stop the device's DMA, then give its group back.  Called bound. */
static void ipdev_unbind(struct ioasid_pci_dev *ipdev)
{
	lockdep_assert_held(&ipdev->lock);

	pci_clear_master(ipdev->pdev);
	pci_release_regions(ipdev->pdev);
	pci_disable_device(ipdev->pdev);
	ioasid_device_unbind(ipdev->idev);
	fput(ipdev->ioasid_file);
	ipdev->idev = NULL;
	ipdev->ioasid_file = NULL;
}

/* Fail unless the file is bound to a context and the device is there. */
static int ipdev_check_bound(struct ioasid_pci_dev *ipdev)
{
	lockdep_assert_held(&ipdev->lock);

	if (ipdev->gone)
		return -ENODEV;
	return ipdev->idev ? 0 : -EINVAL;
}

static int ipdev_bind(struct ioasid_pci_dev *ipdev, struct file *file,
		      u32 *dev_id)
{
	struct ioasid_ctx *ictx = ioasid_file_ctx(file);
	struct ioasid_device *idev;
	int rc;

	if (!ictx)
		return -EINVAL;
	idev = ioasid_iommu_device_bind(ictx, &ipdev->pdev->dev);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	rc = pci_enable_device(ipdev->pdev);
	if (rc)
		goto out_unbind;
	rc = pci_request_regions(ipdev->pdev, "ioasid_pci");
	if (rc)
		goto out_disable;

	ipdev->idev = idev;
	ipdev->ioasid_file = get_file(file);
	*dev_id = idev->obj.id;
	return 0;

out_disable:
	pci_disable_device(ipdev->pdev);
out_unbind:
	ioasid_device_unbind(idev);
	return rc;
}

static int ioasid_pci_cmd_bind(struct ioasid_ucmd *ucmd)
{
	struct ioasid_pci_dev *ipdev = ucmd->priv;
	struct ioasid_pci_bind *cmd = ucmd->cmd;
	struct file *file;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	file = fget(cmd->ioasid_fd);
	if (!file)
		return -EBADF;

	mutex_lock(&ipdev->lock);
	if (ipdev->gone)
		rc = -ENODEV;
	else if (ipdev->idev)
		rc = -EBUSY;
	else
		rc = ipdev_bind(ipdev, file, &cmd->out_dev_id);
	mutex_unlock(&ipdev->lock);
	fput(file);
	if (rc)
		return rc;
	/* The binding stands; the caller closes the file to undo it. */
	return ioasid_ucmd_respond(ucmd);
}

static int ioasid_pci_cmd_info(struct ioasid_ucmd *ucmd)
{
	struct ioasid_pci_dev *ipdev = ucmd->priv;
	struct ioasid_pci_info *cmd = ucmd->cmd;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	mutex_lock(&ipdev->lock);
	rc = ipdev_check_bound(ipdev);
	if (!rc) {
		cmd->out_flags = 0;
		if (ipdev->idev->isolated_msi)
			cmd->out_flags |= IOASID_PCI_INFO_ISOLATED_MSI;
		if (ipdev->idev->coherent)
			cmd->out_flags |= IOASID_PCI_INFO_COHERENT;
		cmd->out_iommu_group = iommu_group_id(ipdev->idev->group);
		cmd->out_num_regions = IOASID_PCI_NUM_REGIONS;
	}
	mutex_unlock(&ipdev->lock);
	return rc ?: ioasid_ucmd_respond(ucmd);
}

/* Can BAR @index be mmap()ed: MMIO, page-aligned and at least a page? */
static bool bar_mmappable(struct pci_dev *pdev, unsigned int index)
{
	return (pci_resource_flags(pdev, index) & IORESOURCE_MEM) &&
	       PAGE_ALIGNED(pci_resource_start(pdev, index)) &&
	       pci_resource_len(pdev, index) >= PAGE_SIZE;
}

static int ioasid_pci_cmd_region_info(struct ioasid_ucmd *ucmd)
{
	struct ioasid_pci_region_info *cmd = ucmd->cmd;
	struct ioasid_pci_dev *ipdev = ucmd->priv;
	unsigned long flags;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->index >= IOASID_PCI_NUM_REGIONS)
		return -EINVAL;
	mutex_lock(&ipdev->lock);
	rc = ipdev_check_bound(ipdev);
	if (!rc) {
		flags = pci_resource_flags(ipdev->pdev, cmd->index);
		cmd->out_flags = 0;
		if (flags & IORESOURCE_MEM)
			cmd->out_flags = IOASID_PCI_REGION_MMIO;
		else if (flags & IORESOURCE_IO)
			cmd->out_flags = IOASID_PCI_REGION_IO;
		if (bar_mmappable(ipdev->pdev, cmd->index))
			cmd->out_flags |= IOASID_PCI_REGION_MMAP;
		cmd->out_size = pci_resource_len(ipdev->pdev, cmd->index);
		cmd->out_offset = (u64)cmd->index << IOASID_PCI_REGION_SHIFT;
	}
	mutex_unlock(&ipdev->lock);
	return rc ?: ioasid_ucmd_respond(ucmd);
}

/* The lowest offset of any capability structure, or 0 if none. */
static unsigned int lowest_capability(struct pci_dev *pdev)
{
	unsigned int lowest = 0, ttl = 48;
	u16 status = 0;
	u8 pos = 0;

	pci_read_config_word(pdev, PCI_STATUS, &status);
	if (!(status & PCI_STATUS_CAP_LIST))
		return 0;
	pci_read_config_byte(pdev, PCI_CAPABILITY_LIST, &pos);
	/* QEMU, for one, links capabilities from the highest down. */
	while ((pos &= ~3) >= PCI_STD_HEADER_SIZEOF && ttl--) {
		if (!lowest || pos < lowest)
			lowest = pos;
		pci_read_config_byte(pdev, pos + PCI_CAP_LIST_NEXT, &pos);
	}
	return lowest ?: PCI_STD_HEADER_SIZEOF;
}

/*
 * Writable: the interrupt line, a scratch register by definition, and the
 * device-specific area below every capability structure.
 */
static bool config_write_allowed(struct pci_dev *pdev, u32 offset, u32 width)
{
	unsigned int end;

	if (offset == PCI_INTERRUPT_LINE && width == 1)
		return true;
	if (offset < PCI_STD_HEADER_SIZEOF)
		return false;
	end = lowest_capability(pdev) ?: PCI_CFG_SPACE_SIZE;
	return (u64)offset + width <= end;
}

static int config_access(struct pci_dev *pdev, struct ioasid_pci_config *cmd)
{
	bool write = cmd->flags & IOASID_PCI_CONFIG_WRITE;
	int rc;

	if (write && !config_write_allowed(pdev, cmd->offset, cmd->width))
		return -EPERM;
	switch (cmd->width) {
	case 1: {
		u8 val = cmd->value;

		rc = write ? pci_user_write_config_byte(pdev, cmd->offset, val) :
			     pci_user_read_config_byte(pdev, cmd->offset, &val);
		cmd->value = val;
		break;
	}
	case 2: {
		u16 val = cmd->value;

		rc = write ? pci_user_write_config_word(pdev, cmd->offset, val) :
			     pci_user_read_config_word(pdev, cmd->offset, &val);
		cmd->value = val;
		break;
	}
	default:
		rc = write ? pci_user_write_config_dword(pdev, cmd->offset,
							 cmd->value) :
			     pci_user_read_config_dword(pdev, cmd->offset,
							&cmd->value);
		break;
	}
	return pcibios_err_to_errno(rc);
}

static int ioasid_pci_cmd_config(struct ioasid_ucmd *ucmd)
{
	struct ioasid_pci_dev *ipdev = ucmd->priv;
	struct ioasid_pci_config *cmd = ucmd->cmd;
	int rc;

	if (cmd->flags & ~IOASID_PCI_CONFIG_WRITE)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if ((cmd->width != 1 && cmd->width != 2 && cmd->width != 4) ||
	    cmd->offset % cmd->width)
		return -EINVAL;

	mutex_lock(&ipdev->lock);
	rc = ipdev_check_bound(ipdev);
	if (!rc && (u64)cmd->offset + cmd->width > ipdev->pdev->cfg_size)
		rc = -EINVAL;
	if (!rc)
		rc = config_access(ipdev->pdev, cmd);
	mutex_unlock(&ipdev->lock);
	return rc ?: ioasid_ucmd_respond(ucmd);
}

static int ioasid_pci_cmd_bus_master(struct ioasid_ucmd *ucmd)
{
	struct ioasid_pci_bus_master *cmd = ucmd->cmd;
	struct ioasid_pci_dev *ipdev = ucmd->priv;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->enable > 1)
		return -EINVAL;
	mutex_lock(&ipdev->lock);
	rc = ipdev_check_bound(ipdev);
	if (!rc && cmd->enable)
		pci_set_master(ipdev->pdev);
	else if (!rc)
		pci_clear_master(ipdev->pdev);
	mutex_unlock(&ipdev->lock);
	return rc;
}

static int ioasid_pci_cmd_reset(struct ioasid_ucmd *ucmd)
{
	struct ioasid_pci_dev *ipdev = ucmd->priv;
	struct ioasid_pci_reset *cmd = ucmd->cmd;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	mutex_lock(&ipdev->lock);
	rc = ipdev_check_bound(ipdev);
	/*
	 * Only try the device lock: remove() holds it while it waits for
	 * ipdev->lock, which is held here.
	 */
	if (!rc) {
		/* No MMIO may reach the function while it resets. */
		unmap_mapping_range(ipdev->mapping, 0, 0, true);
		rc = pci_try_reset_function(ipdev->pdev);
	}
	mutex_unlock(&ipdev->lock);
	return rc;
}

static const struct ioasid_ioctl_op ioasid_pci_ioctl_ops[] = {
	IOASID_IOCTL_OP(IOASID_CMD_PCI_BIND, IOASID_CMD_PCI_BIND, ioasid_pci_cmd_bind,
			struct ioasid_pci_bind, out_dev_id),
	IOASID_IOCTL_OP(IOASID_CMD_PCI_BIND, IOASID_CMD_PCI_INFO, ioasid_pci_cmd_info,
			struct ioasid_pci_info, __reserved),
	IOASID_IOCTL_OP(IOASID_CMD_PCI_BIND, IOASID_CMD_PCI_REGION_INFO,
			ioasid_pci_cmd_region_info,
			struct ioasid_pci_region_info, out_offset),
	IOASID_IOCTL_OP(IOASID_CMD_PCI_BIND, IOASID_CMD_PCI_CONFIG, ioasid_pci_cmd_config,
			struct ioasid_pci_config, __reserved),
	IOASID_IOCTL_OP(IOASID_CMD_PCI_BIND, IOASID_CMD_PCI_BUS_MASTER,
			ioasid_pci_cmd_bus_master,
			struct ioasid_pci_bus_master, __reserved),
	IOASID_IOCTL_OP(IOASID_CMD_PCI_BIND, IOASID_CMD_PCI_RESET, ioasid_pci_cmd_reset,
			struct ioasid_pci_reset, flags),
};

static long ioasid_pci_fops_ioctl(struct file *filp, unsigned int cmd,
				  unsigned long arg)
{
	struct ioasid_ucmd ucmd = { .priv = filp->private_data };

	return ioasid_dispatch(ioasid_pci_ioctl_ops,
			       ARRAY_SIZE(ioasid_pci_ioctl_ops),
			       IOASID_CMD_PCI_BIND, &ucmd, cmd, arg);
}

/*
 * BAR pages are inserted at fault time, under ipdev->lock, so that remove()
 * and reset, which zap the file's mappings under the same lock, can never
 * miss a page being mapped.
 */
static vm_fault_t ioasid_pci_mmap_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct ioasid_pci_dev *ipdev = vma->vm_private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	mutex_lock(&ipdev->lock);
	/* vm_pgoff is the BAR's first frame, so pgoff is the fault's frame. */
	if (!ipdev->gone && ipdev->idev)
		ret = vmf_insert_pfn(vma, vmf->address, vmf->pgoff);
	mutex_unlock(&ipdev->lock);
	return ret;
}

static const struct vm_operations_struct ioasid_pci_mmap_ops = {
	.fault = ioasid_pci_mmap_fault,
};

static int ipdev_mmap(struct ioasid_pci_dev *ipdev, struct vm_area_struct *vma)
{
	unsigned long index = vma->vm_pgoff >>
			      (IOASID_PCI_REGION_SHIFT - PAGE_SHIFT);
	unsigned long pgoff = vma->vm_pgoff &
			      ((1UL << (IOASID_PCI_REGION_SHIFT - PAGE_SHIFT)) - 1);
	unsigned long len = vma->vm_end - vma->vm_start;
	struct pci_dev *pdev = ipdev->pdev;

	if (index >= IOASID_PCI_NUM_REGIONS || !bar_mmappable(pdev, index))
		return -EINVAL;
	if ((pgoff << PAGE_SHIFT) + len > pci_resource_len(pdev, index))
		return -EINVAL;

	/* From here on vm_pgoff is the page frame the mapping starts at. */
	vma->vm_pgoff = (pci_resource_start(pdev, index) >> PAGE_SHIFT) + pgoff;
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_private_data = ipdev;
	vma->vm_ops = &ioasid_pci_mmap_ops;
	return 0;
}

static int ioasid_pci_fops_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct ioasid_pci_dev *ipdev = filp->private_data;
	int rc;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	mutex_lock(&ipdev->lock);
	rc = ipdev_check_bound(ipdev);
	if (!rc)
		rc = ipdev_mmap(ipdev, vma);
	mutex_unlock(&ipdev->lock);
	return rc;
}

static int ioasid_pci_fops_open(struct inode *inode, struct file *filp)
{
	struct ioasid_pci_dev *ipdev =
		container_of(inode->i_cdev, struct ioasid_pci_dev, cdev);
	int rc = 0;

	mutex_lock(&ipdev->lock);
	if (ipdev->gone)
		rc = -ENODEV;
	else if (ipdev->opened)
		rc = -EBUSY;
	if (!rc) {
		ipdev->opened = true;
		ipdev->mapping = filp->f_mapping;
		get_device(&ipdev->dev);
		filp->private_data = ipdev;
	}
	mutex_unlock(&ipdev->lock);
	return rc;
}

static int ioasid_pci_fops_release(struct inode *inode, struct file *filp)
{
	struct ioasid_pci_dev *ipdev = filp->private_data;

	mutex_lock(&ipdev->lock);
	if (ipdev->idev)
		ipdev_unbind(ipdev);
	ipdev->opened = false;
	ipdev->mapping = NULL;
	mutex_unlock(&ipdev->lock);
	put_device(&ipdev->dev);
	return 0;
}

static const struct file_operations ioasid_pci_fops = {
	.owner = THIS_MODULE,
	.open = ioasid_pci_fops_open,
	.release = ioasid_pci_fops_release,
	.unlocked_ioctl = ioasid_pci_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = ioasid_pci_fops_mmap,
	.llseek = noop_llseek,
};

static void ipdev_release(struct device *dev)
{
	struct ioasid_pci_dev *ipdev = container_of(dev, struct ioasid_pci_dev,
						    dev);

	ida_free(&ioasid_pci_minors, MINOR(dev->devt));
	pci_dev_put(ipdev->pdev);
	mutex_destroy(&ipdev->lock);
	kfree(ipdev);
}

static int ioasid_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ioasid_pci_dev *ipdev;
	struct iommu_group *group;
	int minor, rc;

	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL)
		return -EINVAL;
	group = iommu_group_get(&pdev->dev);
	if (!group) {
		pci_warn(pdev, "no IOMMU group: cannot be isolated\n");
		return -ENODEV;
	}
	iommu_group_put(group);

	ipdev = kzalloc(sizeof(*ipdev), GFP_KERNEL);
	if (!ipdev)
		return -ENOMEM;
	minor = ida_alloc_max(&ioasid_pci_minors, IOASID_PCI_MAX_DEVICES - 1, GFP_KERNEL);
	if (minor < 0) {
		kfree(ipdev);
		return minor;
	}
	mutex_init(&ipdev->lock);
	ipdev->pdev = pci_dev_get(pdev);
	device_initialize(&ipdev->dev);
	ipdev->dev.class = &ioasid_pci_class;
	ipdev->dev.parent = &pdev->dev;
	ipdev->dev.devt = MKDEV(MAJOR(ioasid_pci_devt), minor);
	ipdev->dev.release = ipdev_release;
	dev_set_name(&ipdev->dev, "%s", pci_name(pdev));
	cdev_init(&ipdev->cdev, &ioasid_pci_fops);
	ipdev->cdev.owner = THIS_MODULE;

	rc = cdev_device_add(&ipdev->cdev, &ipdev->dev);
	if (rc) {
		put_device(&ipdev->dev);
		return rc;
	}
	pci_set_drvdata(pdev, ipdev);
	return 0;
}

static void ioasid_pci_remove(struct pci_dev *pdev)
{
	struct ioasid_pci_dev *ipdev = pci_get_drvdata(pdev);

	mutex_lock(&ipdev->lock);
	ipdev->gone = true;
	if (ipdev->mapping)
		unmap_mapping_range(ipdev->mapping, 0, 0, true);
	if (ipdev->idev)
		ipdev_unbind(ipdev);
	mutex_unlock(&ipdev->lock);

	cdev_device_del(&ipdev->cdev, &ipdev->dev);
	put_device(&ipdev->dev);
}

static struct pci_driver ioasid_pci_driver = {
	.name = "ioasid_pci",
	.probe = ioasid_pci_probe,
	.remove = ioasid_pci_remove,
	.driver_managed_dma = true,
};

/**
 * ioasid_pci_init() - register the ioasid_pci driver and its device files
 *
 * Return: 0 or a negative errno.
 */
int __init ioasid_pci_init(void)
{
	int rc;

	rc = alloc_chrdev_region(&ioasid_pci_devt, 0, IOASID_PCI_MAX_DEVICES, "ioasid-pci");
	if (rc)
		return rc;
	rc = class_register(&ioasid_pci_class);
	if (rc)
		goto out_chrdev;
	rc = pci_register_driver(&ioasid_pci_driver);
	if (rc)
		goto out_class;
	return 0;

out_class:
	class_unregister(&ioasid_pci_class);
out_chrdev:
	unregister_chrdev_region(ioasid_pci_devt, IOASID_PCI_MAX_DEVICES);
	return rc;
}

/**
 * ioasid_pci_exit() - unregister the ioasid_pci driver
 */
void ioasid_pci_exit(void)
{
	pci_unregister_driver(&ioasid_pci_driver);
	class_unregister(&ioasid_pci_class);
	unregister_chrdev_region(ioasid_pci_devt, IOASID_PCI_MAX_DEVICES);
}
