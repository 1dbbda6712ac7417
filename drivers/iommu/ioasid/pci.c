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
 * the binding.
 *
 * Handing a device over.  Binding resets the device where it can be reset
 * and saves its configuration as the kernel left it.  Unbinding, at close
 * or when the driver lets go of the device (remove, on unbind or
 * hot-unplug), first cuts the user off (commands fail, BAR mappings are
 * revoked, bus mastering is off), then waits for the commands working on
 * the device and detaches it, so that its group's DMA is blocked; then,
 * while the context still owns the group, resets the device and restores
 * the configuration saved at bind, and only then gives the group back.  A
 * device that cannot be reset (no FLR, no PM reset, not alone on its bus:
 * QEMU's edu, for one) could keep what its user programmed into it, so it
 * is refused unless the module parameter allow_unresettable is set; such a
 * device is handed back with its configuration restored and INTx masked.
 * After remove, every command fails with -ENODEV and a mapped BAR faults.
 *
 * Locking: ipdev->bind_lock serializes binding and unbinding, and is held
 * while unbinding waits for the commands on the device.  ipdev->lock guards
 * the binding and the gone flag for everything else (the commands of the
 * file, mmap(), the fault handler), and is never held while waiting for
 * anything a command holds: a command may touch a BAR mapping of the device,
 * whose fault handler takes ipdev->lock.  remove() runs under the device
 * lock; mmap() takes ipdev->lock under mmap_lock, and zapping the mappings
 * takes i_mmap_rwsem under it: device lock, then bind_lock, then
 * (mmap_lock, then) ipdev->lock, then i_mmap_rwsem.  Under bind_lock or
 * ipdev->lock the device lock is only ever tried (reset).
 */
#include <linux/cdev.h>
#include <linux/eventfd.h>
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
#include "ioasid_test.h"

static bool allow_unresettable;
module_param(allow_unresettable, bool, 0644);
MODULE_PARM_DESC(allow_unresettable,
		 "Bind PCI devices that cannot be reset: what a user leaves programmed in one may outlive its binding");

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
 * @bind_lock: serializes binding and unbinding; guards @pristine and
 *	@reset_works
 * @lock: guards the fields below
 * @gone: the driver let go of the device; nothing reaches it any more
 * @opened: a file is open (one at a time)
 * @mapping: the open file's address space, to revoke its BAR mappings
 * @ioasid_file: the /dev/ioasid file bound to, or NULL; changes under both
 *	locks
 * @idev: the device's object in that context; changes under both locks
 * @err_trigger: the eventfd to signal on a PCI error, or NULL
 * @pristine: the configuration the device had at bind, restored at unbind
 * @reset_works: the device could be reset at bind
 * @config_end: the end of the configuration registers the user may write
 *	(below every capability structure), as the device had them at bind;
 *	set before the binding is published
 */
struct ioasid_pci_dev {
	struct device dev;
	struct cdev cdev;
	struct pci_dev *pdev;
	struct mutex bind_lock; /* serializes bind and unbind */
	struct mutex lock; /* guards the binding and @gone */
	bool gone;
	bool opened;
	struct address_space *mapping;
	struct file *ioasid_file;
	struct ioasid_device *idev;
	struct eventfd_ctx *err_trigger;
	struct pci_saved_state *pristine;
	bool reset_works;
	unsigned int config_end;
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

/*
 * Reset the device with its lock held or tried (and its upstream bridge's
 * tried, for a bus reset), so that no other reset or remove can run
 * meanwhile; -EAGAIN when a lock is taken.
 */
static int ipdev_reset_locked(struct pci_dev *pdev, bool dev_locked)
{
	struct pci_dev *bridge = pci_upstream_bridge(pdev);
	int rc = -EAGAIN;

	if (bridge && !pci_dev_trylock(bridge))
		return rc;
	if (dev_locked || pci_dev_trylock(pdev)) {
		rc = __pci_reset_function_locked(pdev);
		if (!dev_locked)
			pci_dev_unlock(pdev);
	}
	if (bridge)
		pci_dev_unlock(bridge);
	return rc;
}

/*
 * Hand the device back as binding found it: reset it where it can be, and
 * restore the configuration saved at bind.  INTx stays masked on a device
 * that was not reset: it may still assert what its user left it asserting.
 */
static void ipdev_restore(struct ioasid_pci_dev *ipdev, bool dev_locked)
{
	struct pci_dev *pdev = ipdev->pdev;
	bool reset = false;

	WARN_ON(pci_load_and_free_saved_state(pdev, &ipdev->pristine));
	/* No decoding, no mastering, no INTx while it resets. */
	pci_write_config_word(pdev, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
	/*
	 * Not from remove(): a slot reset there would take the hotplug
	 * controller's reset lock, which pciehp holds while it removes.
	 */
	if (ipdev->reset_works && !dev_locked)
		reset = !ipdev_reset_locked(pdev, false);
	pci_restore_state(pdev);
	if (!reset)
		pci_intx(pdev, 0);
}

/*
 * Undo the binding (see the comment at the top).  @dev_locked: the caller
 * holds the device lock (remove).
 */
static void ipdev_unbind(struct ioasid_pci_dev *ipdev, bool dev_locked)
{
	struct ioasid_device *idev = ipdev->idev;
	struct file *ioasid_file = ipdev->ioasid_file;
	struct eventfd_ctx *err_trigger;

	lockdep_assert_held(&ipdev->bind_lock);

	mutex_lock(&ipdev->lock);
	ipdev->idev = NULL;
	ipdev->ioasid_file = NULL;
	err_trigger = ipdev->err_trigger;
	ipdev->err_trigger = NULL;
	unmap_mapping_range(ipdev->mapping, 0, 0, true);
	pci_clear_master(ipdev->pdev);
	mutex_unlock(&ipdev->lock);
	if (err_trigger)
		eventfd_ctx_put(err_trigger);

	ioasid_device_quiesce(idev);
	ipdev_restore(ipdev, dev_locked);
	pci_release_regions(ipdev->pdev);
	pci_disable_device(ipdev->pdev);
	ioasid_device_release(idev);
	fput(ioasid_file);
}

/* Fail unless the file is bound to a context and the device is there. */
static int ipdev_check_bound(struct ioasid_pci_dev *ipdev)
{
	lockdep_assert_held(&ipdev->lock);

	if (ipdev->gone)
		return -ENODEV;
	return ipdev->idev ? 0 : -EINVAL;
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
 * Reset the device if it can be, and save its configuration for unbind.
 * Mastering is off, so that the state restored at unbind has it off too.
 */
static int ipdev_save_pristine(struct ioasid_pci_dev *ipdev)
{
	struct pci_dev *pdev = ipdev->pdev;
	int rc;

	pci_clear_master(pdev);
	rc = pci_try_reset_function(pdev);
	if (rc == -EAGAIN)
		return rc;
	ipdev->reset_works = !rc;
	if (!ipdev->reset_works && !allow_unresettable) {
		pci_warn(pdev, "cannot be reset; set the ioasid module parameter allow_unresettable to 1 (/sys/module/ioasid/parameters/allow_unresettable) to bind it anyway\n");
		return -EACCES;
	}
	pci_save_state(pdev);
	ipdev->pristine = ioasid_should_fail() ? NULL :
			  pci_store_saved_state(pdev);
	ipdev->config_end = lowest_capability(pdev) ?: PCI_CFG_SPACE_SIZE;
	return ipdev->pristine ? 0 : -ENOMEM;
}

static struct pci_driver ioasid_pci_driver;

/*
 * The user of an SR-IOV physical function controls its virtual functions,
 * which the kernel or other users may hold: vfio-pci has the users of both
 * share a token.  ioasid_pci enables no virtual function and refuses the
 * pair: -EBUSY a physical function with virtual functions enabled, -EPERM a
 * virtual function whose physical function is bound to ioasid_pci (whose
 * user may take it at any time).
 */
static int ipdev_check_sriov(struct pci_dev *pdev)
{
	if (pdev->is_physfn && pci_num_vf(pdev)) {
		pci_warn(pdev, "has virtual functions enabled: not bound\n");
		return -EBUSY;
	}
	if (pdev->is_virtfn &&
	    pci_dev_driver(pci_physfn(pdev)) == &ioasid_pci_driver) {
		pci_warn(pdev, "its physical function is bound to ioasid_pci: not bound\n");
		return -EPERM;
	}
	return 0;
}

static int ipdev_bind(struct ioasid_pci_dev *ipdev, struct file *file,
		      u32 *dev_id)
{
	struct ioasid_ctx *ictx = ioasid_file_ctx(file);
	struct ioasid_device *idev;
	int rc;

	lockdep_assert_held(&ipdev->bind_lock);

	if (!ictx)
		return -EINVAL;
	rc = ipdev_check_sriov(ipdev->pdev);
	if (rc)
		return rc;
	idev = ioasid_iommu_device_bind(ictx, &ipdev->pdev->dev);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	rc = pci_enable_device(ipdev->pdev);
	if (rc)
		goto out_unbind;
	rc = ipdev_save_pristine(ipdev);
	if (rc)
		goto out_disable;
	rc = pci_request_regions(ipdev->pdev, "ioasid_pci");
	if (rc)
		goto out_free_state;

	mutex_lock(&ipdev->lock);
	ipdev->idev = idev;
	ipdev->ioasid_file = get_file(file);
	mutex_unlock(&ipdev->lock);
	*dev_id = idev->obj.id;
	return 0;

out_free_state:
	kfree(ipdev->pristine);
	ipdev->pristine = NULL;
out_disable:
	pci_disable_device(ipdev->pdev);
out_unbind:
	ioasid_device_quiesce(idev);
	ioasid_device_release(idev);
	return rc;
}

static int ioasid_pci_cmd_bind(struct ioasid_ucmd *ucmd)
{
	struct ioasid_pci_dev *ipdev = ucmd->priv;
	struct ioasid_pci_bind *cmd = ucmd->cmd;
	struct ioasid_ctx *ictx;
	struct file *file;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	file = fget(cmd->ioasid_fd);
	if (!file)
		return -EBADF;
	ictx = ioasid_file_ctx(file);
	/*
	 * Binding changes the context: not for another process than its
	 * owner.  Waited for before bind_lock, which unbinding takes.
	 */
	rc = ictx ? ioasid_ctx_begin_change(ictx) : -EINVAL;
	if (rc) {
		fput(file);
		return rc;
	}

	mutex_lock(&ipdev->bind_lock);
	if (ipdev->gone)
		rc = -ENODEV;
	else if (ipdev->idev)
		rc = -EALREADY;
	else
		rc = ipdev_bind(ipdev, file, &cmd->out_dev_id);
	mutex_unlock(&ipdev->bind_lock);
	ioasid_ctx_end_change(ictx);
	fput(file);
	if (rc)
		return rc;
	/* The binding stands; the caller closes the file to undo it. */
	return ioasid_ucmd_respond(ucmd);
}

/* What binding the device would give and needs: asked before a BIND too. */
static void ipdev_info(struct ioasid_pci_dev *ipdev, struct ioasid_pci_info *cmd)
{
	struct pci_dev *pdev = ipdev->pdev;
	struct iommu_group *group = iommu_group_get(&pdev->dev);

	cmd->out_flags = 0;
	if (group && iommu_group_has_isolated_msi(group))
		cmd->out_flags |= IOASID_PCI_INFO_ISOLATED_MSI;
	if (device_iommu_capable(&pdev->dev, IOMMU_CAP_CACHE_COHERENCY))
		cmd->out_flags |= IOASID_PCI_INFO_COHERENT;
	/* The methods pci_reset_function() may use, probed at enumeration. */
	if (pdev->reset_methods[0])
		cmd->out_flags |= IOASID_PCI_INFO_RESETTABLE;
	if (ipdev->idev)
		cmd->out_flags |= IOASID_PCI_INFO_BOUND;
	/* Probe refuses a device without a group; it has one until remove. */
	cmd->out_iommu_group = group ? iommu_group_id(group) : 0;
	cmd->out_num_regions = IOASID_PCI_NUM_REGIONS;
	iommu_group_put(group);
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
	rc = ipdev->gone ? -ENODEV : 0;
	if (!rc)
		ipdev_info(ipdev, cmd);
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

/*
 * Writable: the interrupt line, a scratch register by definition, and the
 * device-specific area below every capability structure, as the device laid
 * out its configuration space at bind: what a device changes of its
 * capability list later never makes a capability writable.
 */
static bool config_write_allowed(struct ioasid_pci_dev *ipdev, u32 offset,
				 u32 width)
{
	if (offset == PCI_INTERRUPT_LINE && width == 1)
		return true;
	return offset >= PCI_STD_HEADER_SIZEOF &&
	       (u64)offset + width <= ipdev->config_end;
}

static int config_access(struct ioasid_pci_dev *ipdev,
			 struct ioasid_pci_config *cmd)
{
	bool write = cmd->flags & IOASID_PCI_CONFIG_WRITE;
	struct pci_dev *pdev = ipdev->pdev;
	int rc;

	if (write && !config_write_allowed(ipdev, cmd->offset, cmd->width))
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
		rc = config_access(ipdev, cmd);
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
	 * bind_lock and then ipdev->lock, which is held here (-EAGAIN then).
	 */
	if (!rc) {
		/* No MMIO may reach the function while it resets. */
		unmap_mapping_range(ipdev->mapping, 0, 0, true);
		rc = pci_try_reset_function(ipdev->pdev);
	}
	mutex_unlock(&ipdev->lock);
	return rc;
}

static int ioasid_pci_cmd_error_notify(struct ioasid_ucmd *ucmd)
{
	struct ioasid_pci_error_notify *cmd = ucmd->cmd;
	struct ioasid_pci_dev *ipdev = ucmd->priv;
	struct eventfd_ctx *trigger = NULL;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if (cmd->eventfd != -1) {
		trigger = eventfd_ctx_fdget(cmd->eventfd);
		if (IS_ERR(trigger))
			return PTR_ERR(trigger);
	}
	mutex_lock(&ipdev->lock);
	rc = ipdev_check_bound(ipdev);
	if (!rc)
		swap(trigger, ipdev->err_trigger);
	mutex_unlock(&ipdev->lock);
	if (trigger)
		eventfd_ctx_put(trigger);
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
	IOASID_IOCTL_OP(IOASID_CMD_PCI_BIND, IOASID_CMD_PCI_ERROR_NOTIFY,
			ioasid_pci_cmd_error_notify,
			struct ioasid_pci_error_notify, __reserved),
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

	mutex_lock(&ipdev->bind_lock);
	if (ipdev->idev)
		ipdev_unbind(ipdev, false);
	mutex_lock(&ipdev->lock);
	ipdev->opened = false;
	ipdev->mapping = NULL;
	mutex_unlock(&ipdev->lock);
	mutex_unlock(&ipdev->bind_lock);
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
	mutex_destroy(&ipdev->bind_lock);
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
	mutex_init(&ipdev->bind_lock);
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

	mutex_lock(&ipdev->bind_lock);
	mutex_lock(&ipdev->lock);
	ipdev->gone = true;
	mutex_unlock(&ipdev->lock);
	if (ipdev->idev)
		ipdev_unbind(ipdev, true);
	mutex_unlock(&ipdev->bind_lock);

	cdev_device_del(&ipdev->cdev, &ipdev->dev);
	put_device(&ipdev->dev);
}

/*
 * The PCI core's error recovery (AER, EEH, DPC) asks every driver below a
 * failed link: tell the user, and say the device can recover, as vfio-pci
 * does, so that recovery goes on for the devices beside it; a driver with
 * no answer would make it fail for them all.
 */
static pci_ers_result_t ioasid_pci_error_detected(struct pci_dev *pdev,
						  pci_channel_state_t state)
{
	struct ioasid_pci_dev *ipdev = pci_get_drvdata(pdev);

	mutex_lock(&ipdev->lock);
	if (ipdev->err_trigger)
		eventfd_signal(ipdev->err_trigger);
	mutex_unlock(&ipdev->lock);
	if (state == pci_channel_io_perm_failure)
		return PCI_ERS_RESULT_DISCONNECT;
	return PCI_ERS_RESULT_CAN_RECOVER;
}

static const struct pci_error_handlers ioasid_pci_err_handlers = {
	.error_detected = ioasid_pci_error_detected,
};

static struct pci_driver ioasid_pci_driver = {
	.name = "ioasid_pci",
	.probe = ioasid_pci_probe,
	.remove = ioasid_pci_remove,
	.err_handler = &ioasid_pci_err_handlers,
	.driver_managed_dma = true,
};

#ifdef CONFIG_IOMMU_IOASID_MOCK
/**
 * ioasid_pci_test_error() - report a PCI error as the PCI core would
 * @ucmd: the test command, with its context
 * @err: the device, bound through ioasid_pci, and the kind of error
 *
 * Return: 0 with the driver's answer in @err, -ENOENT or -EINVAL as
 * ioasid_device_get(), -EINVAL also when the device is not one of
 * ioasid_pci's, or bad arguments.
 */
int ioasid_pci_test_error(struct ioasid_ucmd *ucmd,
			  struct ioasid_test_pci_error *err)
{
	pci_channel_state_t state = pci_channel_io_frozen;
	struct ioasid_device *idev;
	struct pci_dev *pdev;
	int rc = -EINVAL;

	if (err->permanent > 1 || err->__reserved)
		return -EINVAL;
	if (err->permanent)
		state = pci_channel_io_perm_failure;
	idev = ioasid_device_get(ucmd->ictx, err->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	pdev = idev->dev && dev_is_pci(idev->dev) ? to_pci_dev(idev->dev) : NULL;
	if (pdev && pci_dev_driver(pdev) == &ioasid_pci_driver) {
		err->out_result =
			(__force u32)ioasid_pci_error_detected(pdev, state);
		rc = 0;
	}
	ioasid_put_object(&idev->obj);
	return rc ?: ioasid_ucmd_respond(ucmd);
}
#endif

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
