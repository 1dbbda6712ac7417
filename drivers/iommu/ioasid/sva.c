// SPDX-License-Identifier: GPL-2.0
/*
 * Process-bound access: a device shared by the context that bound it, to
 * which any process allowed to open its node binds its own address space.
 *
 * IOASID_DEVICE_SHARE gives a device a node, /dev/ioasid-sva/<name> (struct
 * ioasid_share).  Each open of the node is one access point (struct
 * ioasid_sva_file); IOASID_SVA_BIND on it binds the calling process's
 * address space to the device with a PASID, which device.c takes from the
 * device's PASIDs and the backend makes the device's DMA use.
 *
 * A binding ends by IOASID_SVA_UNBIND, by the close of its file, when the
 * device is shared no more, and when its address space goes.  For the last,
 * every address space with a binding has one mmu_notifier of ours (struct
 * ioasid_sva_mm, from mmu_notifier_get(), so one per address space however
 * many devices it binds), whose release, called as the address space is
 * torn down (exit, exec, kill) and before its pages are freed, ends its
 * bindings.  The file keeps its reference on that notifier until it is
 * unbound or closed, so the notifier is put from process context, never
 * from its own release.
 *
 * The release of an address space waits for ioasid_sva_lock, and it may
 * run in an IOMMU driver's page fault handler (which drops the last user
 * of an address space), in an SRCU read section: so ioasid_sva_lock only
 * guards lists and states, and is never held across a call into the
 * backend.  Binding checks and charges under the lock, binds with none
 * held, and installs the binding under the lock again.  Ending a binding
 * takes it off its share, its address space and its user under the lock,
 * then unbinds its PASID with no lock held (ioasid_device_sva_unbind()),
 * which the release hands to a work item of the file; the device's DMA
 * cannot reach the address space meanwhile, for the IOMMU driver's own
 * release blocks the PASID, and the mock needs a user of the address
 * space, of which there is none left.  A share counts the binds and the
 * unbinds going on, and ending the share waits for them.
 *
 * Each user (by real uid) holds at most max_sva_binds_per_user bindings.
 *
 * Locking: ioasid_sva_lock guards every share's device and bindings, every
 * file's binding, the bindings of every address space and the count of
 * every user.  Sharing runs under the attach_lock of the device's context,
 * which nests ioasid_sva_lock; nothing takes an attach_lock under
 * ioasid_sva_lock.  A file keeps its share (its class device) alive; the
 * share does not keep the device: it is told to stop when the device
 * leaves its context, and the device stays until it has stopped.
 */
#include <linux/cdev.h>
#include <linux/cred.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"

static unsigned int max_sva_binds_per_user = 4096;
module_param(max_sva_binds_per_user, uint, 0644);
MODULE_PARM_DESC(max_sva_binds_per_user,
		 "How many process address spaces one user may have bound to devices at once (default: 4096)");

#define IOASID_SVA_MAX_SHARES 256

static DEFINE_MUTEX(ioasid_sva_lock);
static DECLARE_WAIT_QUEUE_HEAD(ioasid_sva_ended);
static DEFINE_IDA(ioasid_sva_minors);
static dev_t ioasid_sva_devt;

/* The bindings of each user, by uid, as xarray values. */
static DEFINE_XARRAY(ioasid_sva_users);

/**
 * struct ioasid_share - a device shared for process-bound access
 * @dev: the class device behind /dev/ioasid-sva/<name>; frees this
 * @cdev: its character device
 * @idev: the device; NULL once it is shared no more (the device's share
 *	stays set until the share has ended)
 * @binds: the struct ioasid_sva_file bound through it, by share_link
 * @busy: the binds going on through it, and the PASIDs of bindings taken
 *	off it and not unbound yet
 * @uid: the owner of the node
 * @gid: its group
 * @mode: its permissions
 *
 * @idev, @binds and @busy are under ioasid_sva_lock.
 */
struct ioasid_share {
	struct device dev;
	struct cdev cdev;
	struct ioasid_device *idev;
	struct list_head binds;
	unsigned int busy;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
};

/**
 * struct ioasid_sva_mm - our notifier on an address space with bindings
 * @mn: the notifier, one per address space
 * @binds: the struct ioasid_sva_file bound to it, by mm_link; under
 *	ioasid_sva_lock
 */
struct ioasid_sva_mm {
	struct mmu_notifier mn;
	struct list_head binds;
};

/**
 * struct ioasid_sva_file - an open node: one access point
 * @share: the share, of whose class device it holds a reference
 * @smm: the notifier of the address space it bound, with a reference
 *	(mmu_notifier_get()); NULL until it binds, and again after an unbind
 * @ipasid: the PASID of the binding; NULL when it has none, or the binding
 *	ended with its address space
 * @ending: the PASID of a binding that ended with its address space, until
 *	@end_work has unbound it
 * @end_work: unbinds @ending
 * @binding: a bind through the file is going on
 * @uid: the user the binding is charged to
 * @share_link: in share->binds while the binding lasts
 * @mm_link: in the binds of the address space's struct ioasid_sva_mm from
 *	the start of a bind to the end of the binding
 *
 * All of it is under ioasid_sva_lock; @ending is set before @end_work is
 * queued, and cleared by it.
 */
struct ioasid_sva_file {
	struct ioasid_share *share;
	struct ioasid_sva_mm *smm;
	struct ioasid_pasid *ipasid;
	struct ioasid_pasid *ending;
	struct work_struct end_work;
	bool binding;
	kuid_t uid;
	struct list_head share_link;
	struct list_head mm_link;
};

/* Charge a binding to @uid, within max_sva_binds_per_user. */
static int user_charge(kuid_t uid)
{
	unsigned long key = __kuid_val(uid);
	unsigned long count = xa_to_value(xa_load(&ioasid_sva_users, key));

	lockdep_assert_held(&ioasid_sva_lock);

	if (count >= READ_ONCE(max_sva_binds_per_user))
		return -EDQUOT;
	if (ioasid_should_fail())
		return -ENOMEM;
	return xa_err(xa_store(&ioasid_sva_users, key, xa_mk_value(count + 1),
			       GFP_KERNEL));
}

static void user_uncharge(kuid_t uid)
{
	unsigned long key = __kuid_val(uid);
	unsigned long count = xa_to_value(xa_load(&ioasid_sva_users, key));

	lockdep_assert_held(&ioasid_sva_lock);

	if (count > 1)
		xa_store(&ioasid_sva_users, key, xa_mk_value(count - 1),
			 GFP_KERNEL);
	else
		xa_erase(&ioasid_sva_users, key);
}

/*
 * Take the binding of @sf off its share, its address space and its user.
 * Returns its PASID, for the caller to give to sva_unbind_pasid() once it
 * holds no lock.  The file keeps its notifier reference.
 */
static struct ioasid_pasid *sva_detach(struct ioasid_sva_file *sf)
{
	struct ioasid_pasid *ipasid = sf->ipasid;

	lockdep_assert_held(&ioasid_sva_lock);

	sf->ipasid = NULL;
	list_del(&sf->share_link);
	list_del(&sf->mm_link);
	user_uncharge(sf->uid);
	sf->share->busy++;
	ioasid_count(IOASID_CNT_SVA_BINDS, -1);
	return ipasid;
}

/* What a bind or an unbind through @share left to do is done. */
static void sva_share_idle(struct ioasid_share *share)
{
	lockdep_assert_held(&ioasid_sva_lock);

	if (!--share->busy)
		wake_up_all(&ioasid_sva_ended);
}

/* Unbind a PASID sva_detach() took off @share; no lock held. */
static void sva_unbind_pasid(struct ioasid_share *share,
			     struct ioasid_pasid *ipasid)
{
	ioasid_device_sva_unbind(ipasid);
	mutex_lock(&ioasid_sva_lock);
	sva_share_idle(share);
	mutex_unlock(&ioasid_sva_lock);
}

static void sva_end_work(struct work_struct *work)
{
	struct ioasid_sva_file *sf = container_of(work, struct ioasid_sva_file,
						  end_work);

	ioasid_device_sva_unbind(sf->ending);
	mutex_lock(&ioasid_sva_lock);
	sf->ending = NULL;
	sva_share_idle(sf->share);
	mutex_unlock(&ioasid_sva_lock);
}

/*
 * The address space goes: end its bindings, whose PASIDs the work items of
 * their files unbind.
 */
static void sva_mm_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct ioasid_sva_mm *smm = container_of(mn, struct ioasid_sva_mm, mn);
	struct ioasid_sva_file *sf, *next;

	mutex_lock(&ioasid_sva_lock);
	list_for_each_entry_safe(sf, next, &smm->binds, mm_link) {
		/* A bind holds a user of the address space: none is left. */
		if (WARN_ON(sf->binding))
			continue;
		sf->ending = sva_detach(sf);
		WARN_ON(!queue_work(system_wq, &sf->end_work));
	}
	mutex_unlock(&ioasid_sva_lock);
}

static struct mmu_notifier *sva_mm_alloc(struct mm_struct *mm)
{
	struct ioasid_sva_mm *smm;

	smm = ioasid_kzalloc(sizeof(*smm));
	if (!smm)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&smm->binds);
	return &smm->mn;
}

static void sva_mm_free(struct mmu_notifier *mn)
{
	kfree(container_of(mn, struct ioasid_sva_mm, mn));
}

static const struct mmu_notifier_ops sva_mm_ops = {
	.release = sva_mm_release,
	.alloc_notifier = sva_mm_alloc,
	.free_notifier = sva_mm_free,
};

/* Is the address space of @smm bound to the device of @share already? */
static bool sva_mm_binds(struct ioasid_sva_mm *smm, struct ioasid_share *share)
{
	struct ioasid_sva_file *sf;

	list_for_each_entry(sf, &smm->binds, mm_link)
		if (sf->share == share)
			return true;
	return false;
}

/*
 * Start a bind through @sf of the caller's address space, whose notifier is
 * @smm: check, charge @uid, and keep the share busy, so that its device
 * stays until sva_bind_finish().  Returns the device, or an ERR_PTR:
 * -EAGAIN while the PASID of a binding that ended is still being unbound.
 */
static struct ioasid_device *sva_bind_start(struct ioasid_sva_file *sf,
					    struct ioasid_sva_mm *smm,
					    kuid_t uid)
{
	struct ioasid_share *share = sf->share;
	int rc;

	lockdep_assert_held(&ioasid_sva_lock);

	if (!share->idev)
		return ERR_PTR(-ENODEV);
	if (sf->ending)
		return ERR_PTR(-EAGAIN);
	if (sf->ipasid || sf->binding || sva_mm_binds(smm, share))
		return ERR_PTR(-EBUSY);
	rc = user_charge(uid);
	if (rc)
		return ERR_PTR(rc);
	sf->binding = true;
	list_add_tail(&sf->mm_link, &smm->binds);
	share->busy++;
	return share->idev;
}

/*
 * Install the binding @ipasid (or the error) of the bind sva_bind_start()
 * started; the notifier reference of the file is swapped into *@smm to be
 * put.  A device shared no more meanwhile is unbound again.
 */
static int sva_bind_finish(struct ioasid_sva_file *sf,
			   struct ioasid_sva_mm **smm,
			   struct ioasid_pasid *ipasid, kuid_t uid)
{
	struct ioasid_share *share = sf->share;
	int rc = 0;

	mutex_lock(&ioasid_sva_lock);
	sf->binding = false;
	if (!IS_ERR(ipasid) && share->idev) {
		sf->ipasid = ipasid;
		sf->uid = uid;
		swap(sf->smm, *smm);
		list_add_tail(&sf->share_link, &share->binds);
		ioasid_count(IOASID_CNT_SVA_BINDS, 1);
		sva_share_idle(share);
		mutex_unlock(&ioasid_sva_lock);
		return 0;
	}
	list_del(&sf->mm_link);
	user_uncharge(uid);
	mutex_unlock(&ioasid_sva_lock);
	if (IS_ERR(ipasid)) {
		rc = PTR_ERR(ipasid);
	} else {
		ioasid_device_sva_unbind(ipasid);
		rc = -ENODEV;
	}
	mutex_lock(&ioasid_sva_lock);
	sva_share_idle(share);
	mutex_unlock(&ioasid_sva_lock);
	return rc;
}

/* Start a bind, once the unbind of a binding that ended is done. */
static struct ioasid_device *sva_bind_wait_start(struct ioasid_sva_file *sf,
						 struct ioasid_sva_mm *smm,
						 kuid_t uid)
{
	struct ioasid_device *idev;

	do {
		flush_work(&sf->end_work);
		mutex_lock(&ioasid_sva_lock);
		idev = sva_bind_start(sf, smm, uid);
		mutex_unlock(&ioasid_sva_lock);
	} while (idev == ERR_PTR(-EAGAIN));
	return idev;
}

static int ioasid_cmd_sva_bind(struct ioasid_ucmd *ucmd)
{
	struct ioasid_sva_bind *cmd = ucmd->cmd;
	struct ioasid_sva_file *sf = ucmd->priv;
	kuid_t uid = current_uid();
	struct ioasid_device *idev;
	struct ioasid_pasid *ipasid;
	struct mmu_notifier *mn;
	struct ioasid_sva_mm *smm;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || !current->mm)
		return -EINVAL;
	mn = mmu_notifier_get(&sva_mm_ops, current->mm);
	if (IS_ERR(mn))
		return PTR_ERR(mn);
	smm = container_of(mn, struct ioasid_sva_mm, mn);
	idev = sva_bind_wait_start(sf, smm, uid);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
	} else {
		ipasid = ioasid_device_sva_bind(idev, current->mm);
		if (!IS_ERR(ipasid))
			cmd->out_pasid = ipasid->pasid;
		rc = sva_bind_finish(sf, &smm, ipasid, uid);
	}
	/* The reference not used, or the one of an ended binding. */
	if (smm)
		mmu_notifier_put(&smm->mn);
	if (rc)
		return rc;
	/* The reply was checked writable before: only a racing unmap fails. */
	return ioasid_ucmd_respond(ucmd);
}

static int ioasid_cmd_sva_unbind(struct ioasid_ucmd *ucmd)
{
	struct ioasid_sva_unbind *cmd = ucmd->cmd;
	struct ioasid_sva_file *sf = ucmd->priv;
	struct ioasid_pasid *ipasid = NULL;
	struct ioasid_sva_mm *smm = NULL;
	int rc = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;
	mutex_lock(&ioasid_sva_lock);
	if (!sf->share->idev) {
		rc = -ENODEV;
	} else if (!sf->ipasid) {
		rc = -EINVAL;
	} else {
		ipasid = sva_detach(sf);
		swap(sf->smm, smm);
	}
	mutex_unlock(&ioasid_sva_lock);
	if (ipasid)
		sva_unbind_pasid(sf->share, ipasid);
	if (smm)
		mmu_notifier_put(&smm->mn);
	return rc;
}

#define SVA_IOCTL_OP(_cmd, _fn, _struct, _last) \
	IOASID_IOCTL_OP(IOASID_CMD_SVA_BIND, _cmd, _fn, _struct, _last)

static const struct ioasid_ioctl_op sva_ioctl_ops[] = {
	SVA_IOCTL_OP(IOASID_CMD_SVA_BIND, ioasid_cmd_sva_bind,
		     struct ioasid_sva_bind, __reserved),
	SVA_IOCTL_OP(IOASID_CMD_SVA_UNBIND, ioasid_cmd_sva_unbind,
		     struct ioasid_sva_unbind, flags),
};

static long sva_fops_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct ioasid_ucmd ucmd = { .priv = filp->private_data };

	return ioasid_dispatch(sva_ioctl_ops, ARRAY_SIZE(sva_ioctl_ops),
			       IOASID_CMD_SVA_BIND, &ucmd, cmd, arg);
}

static int sva_fops_open(struct inode *inode, struct file *filp)
{
	struct ioasid_share *share =
		container_of(inode->i_cdev, struct ioasid_share, cdev);
	struct ioasid_sva_file *sf;
	int rc = 0;

	/* Binding hands the device the caller's memory: a write access. */
	if (!(filp->f_mode & FMODE_WRITE))
		return -EACCES;
	sf = ioasid_kzalloc(sizeof(*sf));
	if (!sf)
		return -ENOMEM;
	INIT_WORK(&sf->end_work, sva_end_work);
	mutex_lock(&ioasid_sva_lock);
	if (share->idev)
		get_device(&share->dev);
	else
		rc = -ENODEV;
	mutex_unlock(&ioasid_sva_lock);
	if (rc) {
		kfree(sf);
		return rc;
	}
	sf->share = share;
	filp->private_data = sf;
	return 0;
}

static int sva_fops_release(struct inode *inode, struct file *filp)
{
	struct ioasid_sva_file *sf = filp->private_data;
	struct ioasid_pasid *ipasid = NULL;

	mutex_lock(&ioasid_sva_lock);
	if (sf->ipasid)
		ipasid = sva_detach(sf);
	mutex_unlock(&ioasid_sva_lock);
	if (ipasid)
		sva_unbind_pasid(sf->share, ipasid);
	/* Off every list now: no release can queue it again. */
	flush_work(&sf->end_work);
	if (sf->smm)
		mmu_notifier_put(&sf->smm->mn);
	put_device(&sf->share->dev);
	kfree(sf);
	return 0;
}

static const struct file_operations sva_fops = {
	.owner = THIS_MODULE,
	.open = sva_fops_open,
	.release = sva_fops_release,
	.unlocked_ioctl = sva_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static char *sva_devnode(const struct device *dev, umode_t *mode, kuid_t *uid,
			 kgid_t *gid)
{
	const struct ioasid_share *share =
		container_of(dev, struct ioasid_share, dev);

	if (mode)
		*mode = share->mode;
	if (uid)
		*uid = share->uid;
	if (gid)
		*gid = share->gid;
	return kasprintf(GFP_KERNEL, "ioasid-sva/%s", dev_name(dev));
}

static void sva_share_release(struct device *dev)
{
	struct ioasid_share *share = container_of(dev, struct ioasid_share, dev);

	ida_free(&ioasid_sva_minors, MINOR(dev->devt));
	kfree(share);
	ioasid_count(IOASID_CNT_SHARES, -1);
}

static const struct device_type sva_share_type = {
	.name = "ioasid-sva",
	.devnode = sva_devnode,
	.release = sva_share_release,
};

static const struct class ioasid_sva_class = {
	.name = "ioasid-sva",
};

/* Give @idev a node, owned by the caller, with @mode. */
static int sva_share(struct ioasid_device *idev, umode_t mode,
		     struct ioasid_device_share *cmd)
{
	struct ioasid_share *share;
	int minor, rc;

	lockdep_assert_held(&ioasid_sva_lock);

	share = ioasid_kzalloc(sizeof(*share));
	if (!share)
		return -ENOMEM;
	minor = ida_alloc_max(&ioasid_sva_minors, IOASID_SVA_MAX_SHARES - 1,
			      GFP_KERNEL);
	if (minor < 0) {
		kfree(share);
		return minor;
	}
	ioasid_count(IOASID_CNT_SHARES, 1);
	INIT_LIST_HEAD(&share->binds);
	share->mode = mode;
	share->uid = current_fsuid();
	share->gid = current_fsgid();
	device_initialize(&share->dev);
	share->dev.class = &ioasid_sva_class;
	share->dev.type = &sva_share_type;
	share->dev.devt = MKDEV(MAJOR(ioasid_sva_devt), minor);
	if (idev->dev)
		rc = dev_set_name(&share->dev, "%s", dev_name(idev->dev));
	else
		rc = dev_set_name(&share->dev, "mock%d", minor);
	if (rc)
		goto out_put;
	cdev_init(&share->cdev, &sva_fops);
	share->cdev.owner = THIS_MODULE;
	rc = ioasid_should_fail() ? -ENOMEM :
	     cdev_device_add(&share->cdev, &share->dev);
	if (rc)
		goto out_put;
	share->idev = idev;
	idev->share = share;
	cmd->out_major = MAJOR(share->dev.devt);
	cmd->out_minor = minor;
	return 0;

out_put:
	put_device(&share->dev);
	return rc;
}

/**
 * ioasid_sva_unshare_device() - end process-bound access to a device
 * @idev: a device of a context; the caller holds no lock of it
 *
 * Every binding to the device ends, with its PASID unbound, and its node
 * goes.
 *
 * Return: whether the device was shared.
 */
bool ioasid_sva_unshare_device(struct ioasid_device *idev)
{
	struct ioasid_pasid *ipasid, *next_pasid;
	struct ioasid_sva_file *sf, *next;
	struct ioasid_share *share;
	LIST_HEAD(ended);

	mutex_lock(&ioasid_sva_lock);
	share = idev->share;
	/*
	 * Not shared, or another is ending the sharing: a STOP, which holds
	 * the device, so that the device's own end cannot be that other.
	 */
	if (!share || !share->idev) {
		mutex_unlock(&ioasid_sva_lock);
		return false;
	}
	/* A bound PASID is in no IOAS: its ioas_link is free for the list. */
	list_for_each_entry_safe(sf, next, &share->binds, share_link) {
		ipasid = sva_detach(sf);
		list_add_tail(&ipasid->ioas_link, &ended);
	}
	share->idev = NULL;
	mutex_unlock(&ioasid_sva_lock);

	list_for_each_entry_safe(ipasid, next_pasid, &ended, ioas_link)
		sva_unbind_pasid(share, ipasid);
	/*
	 * And the binds going on, and the PASIDs the releases of address
	 * spaces handed to work items.
	 */
	wait_event(ioasid_sva_ended, !READ_ONCE(share->busy));
	if (idev->ops->sva_disable)
		idev->ops->sva_disable(idev);
	cdev_device_del(&share->cdev, &share->dev);
	/* Until now a new share of the device was refused. */
	mutex_lock(&ioasid_sva_lock);
	idev->share = NULL;
	mutex_unlock(&ioasid_sva_lock);
	put_device(&share->dev);
	return true;
}

/*
 * Share @idev; under the attach_lock of its context, which serializes the
 * shares of a device, and, the backend's enable being no list work, not
 * under ioasid_sva_lock.
 */
static int device_share(struct ioasid_device *idev,
			struct ioasid_device_share *cmd)
{
	int rc;

	lockdep_assert_held(&idev->ictx->attach_lock);

	if (cmd->mode & ~0666)
		return -EINVAL;
	if (!idev->sva)
		return -EOPNOTSUPP;
	/* Shared, or its sharing still ending. */
	mutex_lock(&ioasid_sva_lock);
	rc = idev->share ? -EBUSY : 0;
	mutex_unlock(&ioasid_sva_lock);
	if (rc)
		return rc;
	if (idev->ops->sva_enable) {
		rc = idev->ops->sva_enable(idev);
		if (rc)
			return rc;
	}
	/* Only a share sets it, and shares of the device are serialized. */
	mutex_lock(&ioasid_sva_lock);
	rc = WARN_ON(idev->share) ? -EBUSY : sva_share(idev, cmd->mode, cmd);
	mutex_unlock(&ioasid_sva_lock);
	if (rc && idev->ops->sva_disable)
		idev->ops->sva_disable(idev);
	return rc;
}

int ioasid_cmd_device_share(struct ioasid_ucmd *ucmd)
{
	struct ioasid_device_share *cmd = ucmd->cmd;
	struct ioasid_device *idev;
	int rc;

	if (cmd->flags & ~IOASID_DEVICE_SHARE_STOP)
		return -EOPNOTSUPP;
	idev = ioasid_device_get(ucmd->ictx, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	if (cmd->flags & IOASID_DEVICE_SHARE_STOP) {
		rc = ioasid_sva_unshare_device(idev) ? 0 : -EINVAL;
	} else {
		mutex_lock(&ucmd->ictx->attach_lock);
		rc = device_share(idev, cmd);
		mutex_unlock(&ucmd->ictx->attach_lock);
	}
	ioasid_put_object(&idev->obj);
	/* No reference is held across user memory: see ioasid_object_take(). */
	if (rc || (cmd->flags & IOASID_DEVICE_SHARE_STOP))
		return rc;
	return ioasid_ucmd_respond(ucmd);
}

/**
 * ioasid_sva_init() - register the class and the numbers of the nodes
 *
 * Return: 0 or an errno.
 */
int ioasid_sva_init(void)
{
	int rc;

	rc = alloc_chrdev_region(&ioasid_sva_devt, 0, IOASID_SVA_MAX_SHARES,
				 "ioasid-sva");
	if (rc)
		return rc;
	rc = class_register(&ioasid_sva_class);
	if (rc)
		unregister_chrdev_region(ioasid_sva_devt,
					 IOASID_SVA_MAX_SHARES);
	return rc;
}

/**
 * ioasid_sva_exit() - undo ioasid_sva_init()
 *
 * No node is left (each holds a context, which holds the module), but the
 * notifiers put last may still wait to be freed.
 */
void ioasid_sva_exit(void)
{
	mmu_notifier_synchronize();
	class_unregister(&ioasid_sva_class);
	unregister_chrdev_region(ioasid_sva_devt, IOASID_SVA_MAX_SHARES);
	WARN_ON(!xa_empty(&ioasid_sva_users));
}
