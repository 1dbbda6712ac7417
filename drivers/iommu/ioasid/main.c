// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid: an IOMMU file descriptor for user space
 *
 * /dev/ioasid is a misc device.  Each open is a context (struct ioasid_ctx):
 * the container for every object the file creates, released as a whole
 * when the file is closed, whether by close() or by the death of its
 * process.  The file holds a reference on this module, so the module cannot
 * be unloaded while any context exists.
 *
 * Objects live in the context's xarray by id.  A command takes a reference
 * on each object it works on (ioasid_get_object()), so DESTROY, which needs
 * the table's reference to be the only one, cannot free an object under a
 * running command: it fails with -EBUSY instead.  An object is published in
 * the table only once it is complete (ioasid_object_finalize()); until then
 * its id is reserved and lookups do not see it.
 *
 * Every ioctl goes through one table, which gives each command its handler,
 * its struct and the size of its first version; the size checks and the
 * zero-extension of structs from older callers are done here, once.
 *
 * Module-wide counters of live objects are exported in debugfs so that tests
 * can prove every release path gives back what the matching create took.
 */
#include <linux/anon_inodes.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait_bit.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"
#include "ioasid_test.h"

atomic_long_t ioasid_counters[IOASID_CNT_MAX];

static const char * const ioasid_counter_names[IOASID_CNT_MAX] = {
	[IOASID_CNT_CONTEXTS] = "contexts",
	[IOASID_CNT_OBJECTS] = "objects",
	[IOASID_CNT_PINNED] = "pinned_pages",
	[IOASID_CNT_ACCOUNTED] = "accounted_pages",
	[IOASID_CNT_DOMAINS] = "domains",
	[IOASID_CNT_PASIDS] = "pasids",
	[IOASID_CNT_SVA_BINDS] = "sva_binds",
	[IOASID_CNT_SHARES] = "shares",
	[IOASID_CNT_NESTED] = "nested",
	[IOASID_CNT_FAULTS] = "faults",
};

static struct dentry *ioasid_debugfs_dir;

/* What to undo when an object goes. */
static void (*const ioasid_object_destroy[IOASID_OBJ_MAX])(struct ioasid_object *) = {
	[IOASID_OBJ_IOAS] = ioasid_ioas_destroy,
	[IOASID_OBJ_DEVICE] = ioasid_device_destroy,
	[IOASID_OBJ_NESTED] = ioasid_nested_destroy,
	[IOASID_OBJ_FAULT] = ioasid_fault_destroy,
};

/**
 * ioasid_object_alloc() - allocate an object and reserve its id
 * @ictx: the context
 * @size: the size of the structure embedding the object header first
 * @type: its enum ioasid_object_type
 *
 * The object cannot be looked up until ioasid_object_finalize(); undo with
 * ioasid_object_abort().
 *
 * Return: the zeroed object, or an ERR_PTR.
 */
struct ioasid_object *ioasid_object_alloc(struct ioasid_ctx *ictx, size_t size,
					  enum ioasid_object_type type)
{
	struct ioasid_object *obj;
	int rc;

	obj = ioasid_kzalloc(size);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	obj->type = type;
	refcount_set(&obj->users, 1);
	if (ioasid_should_fail())
		rc = -ENOMEM;
	else
		rc = xa_alloc(&ictx->objects, &obj->id, XA_ZERO_ENTRY,
			      xa_limit_31b, GFP_KERNEL_ACCOUNT);
	if (rc) {
		kfree(obj);
		return ERR_PTR(rc);
	}
	ioasid_count(IOASID_CNT_OBJECTS, 1);
	return obj;
}

/**
 * ioasid_object_finalize() - publish a complete object under its id
 * @ictx: the context
 * @obj: the object from ioasid_object_alloc()
 */
void ioasid_object_finalize(struct ioasid_ctx *ictx, struct ioasid_object *obj)
{
	void *old;

	old = xa_store(&ictx->objects, obj->id, obj, GFP_KERNEL);
	/* The id was reserved with XA_ZERO_ENTRY, so no allocation is needed. */
	WARN_ON(old);
}

/**
 * ioasid_object_free() - free an object out of the table, undone already
 * @obj: the object, of which no reference is left but the caller's
 */
void ioasid_object_free(struct ioasid_object *obj)
{
	kfree(obj);
	ioasid_count(IOASID_CNT_OBJECTS, -1);
}

/**
 * ioasid_object_abort() - free an object that was never finalized
 * @ictx: the context
 * @obj: the object from ioasid_object_alloc(), with nothing else to undo
 */
void ioasid_object_abort(struct ioasid_ctx *ictx, struct ioasid_object *obj)
{
	xa_erase(&ictx->objects, obj->id);
	ioasid_object_free(obj);
}

/**
 * ioasid_get_object() - look up an object and take a reference on it
 * @ictx: the context
 * @id: the object's id
 * @type: the type expected, or IOASID_OBJ_ANY
 *
 * Return: the object, to be released with ioasid_put_object(), or
 * ERR_PTR(-ENOENT) when @id names no live object of the context, or
 * ERR_PTR(-EINVAL) when it names one of another type.
 */
struct ioasid_object *ioasid_get_object(struct ioasid_ctx *ictx, u32 id,
					enum ioasid_object_type type)
{
	struct ioasid_object *obj;

	xa_lock(&ictx->objects);
	obj = xa_load(&ictx->objects, id);
	if (!obj)
		obj = ERR_PTR(-ENOENT);
	else if (type != IOASID_OBJ_ANY && obj->type != type)
		obj = ERR_PTR(-EINVAL);
	else if (!refcount_inc_not_zero(&obj->users))
		obj = ERR_PTR(-ENOENT);
	xa_unlock(&ictx->objects);
	return obj;
}

static void ioasid_object_destroy_now(struct ioasid_object *obj)
{
	if (ioasid_object_destroy[obj->type])
		ioasid_object_destroy[obj->type](obj);
	ioasid_object_free(obj);
}

/**
 * ioasid_object_take() - take an object its creator holds out of the table
 * @ictx: the context
 * @obj: the object, with the creator's reference besides the table's
 *
 * For objects that live as long as something outside the table holds them
 * (a bound device).  No new lookup finds the object once this starts, and it
 * returns once the commands that held it are done: the caller then has the
 * only reference, to end with ioasid_object_free().  The caller must not
 * hold anything a command holding @obj may wait for.
 */
void ioasid_object_take(struct ioasid_ctx *ictx, struct ioasid_object *obj)
{
	xa_erase(&ictx->objects, obj->id);
	refcount_dec(&obj->users);
	wait_var_event(&obj->users, refcount_read(&obj->users) == 1);
}

/**
 * ioasid_put_object() - drop a reference from ioasid_get_object()
 * @obj: the object
 */
void ioasid_put_object(struct ioasid_object *obj)
{
	refcount_dec(&obj->users);
	/* Order the drop before wake_up_var()'s look at the waitqueue. */
	smp_mb__after_atomic();
	wake_up_var(&obj->users);
}

static int ioasid_cmd_destroy(struct ioasid_ucmd *ucmd)
{
	struct ioasid_destroy *cmd = ucmd->cmd;
	struct ioasid_ctx *ictx = ucmd->ictx;
	struct ioasid_object *obj;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;

	/* A reader of the debugfs view may be reading the object. */
	if (down_write_killable(&ictx->destroy_rwsem))
		return -EINTR;
	xa_lock(&ictx->objects);
	obj = xa_load(&ictx->objects, cmd->id);
	if (!obj) {
		obj = ERR_PTR(-ENOENT);
	} else if (!refcount_dec_if_one(&obj->users)) {
		/* Only the table's reference may be left. */
		obj = ERR_PTR(-EBUSY);
	} else {
		/* Then no one can take one. */
		__xa_erase(&ictx->objects, obj->id);
	}
	xa_unlock(&ictx->objects);
	if (!IS_ERR(obj))
		ioasid_object_destroy_now(obj);
	up_write(&ictx->destroy_rwsem);
	return PTR_ERR_OR_ZERO(obj);
}

/**
 * ioasid_ucmd_respond() - copy the command struct back to the caller
 * @ucmd: the command
 *
 * Only the size the caller knows is written.
 *
 * Return: 0 or -EFAULT.
 */
int ioasid_ucmd_respond(struct ioasid_ucmd *ucmd)
{
	/* A kernel caller's struct is the command's own: nothing to copy. */
	if (ucmd->kernel)
		return 0;
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min(ucmd->user_size, ucmd->cmd_len)))
		return -EFAULT;
	return 0;
}

/* Room for the struct of any command. */
union ioasid_ucmd_buffer {
	struct ioasid_destroy destroy;
	struct ioasid_ioas_alloc ioas_alloc;
	struct ioasid_ioas_map ioas_map;
	struct ioasid_ioas_map_file ioas_map_file;
	struct ioasid_ioas_unmap ioas_unmap;
	struct ioasid_ioas_copy ioas_copy;
	struct ioasid_ioas_iova_ranges ioas_iova_ranges;
	struct ioasid_ioas_allow_iovas ioas_allow_iovas;
	struct ioasid_pci_bind pci_bind;
	struct ioasid_pci_info pci_info;
	struct ioasid_pci_region_info pci_region_info;
	struct ioasid_pci_config pci_config;
	struct ioasid_pci_bus_master pci_bus_master;
	struct ioasid_pci_reset pci_reset;
	struct ioasid_hwpt_alloc hwpt_alloc;
	struct ioasid_hwpt_invalidate hwpt_invalidate;
	struct ioasid_fault_alloc fault_alloc;
	struct ioasid_ioas_dirty_tracking ioas_dirty_tracking;
	struct ioasid_ioas_dirty_bitmap ioas_dirty_bitmap;
	struct ioasid_ioas_batch ioas_batch;
	struct ioasid_pci_error_notify pci_error_notify;
	struct ioasid_device_attach device_attach;
	struct ioasid_device_detach device_detach;
	struct ioasid_device_info device_info;
	struct ioasid_ioas_info ioas_info;
	struct ioasid_ioas_enable ioas_enable;
	struct ioasid_ioas_features ioas_features;
	struct ioasid_take_ownership take_ownership;
	struct ioasid_uaddr_invalidate uaddr_invalidate;
	struct ioasid_uaddr_supply uaddr_supply;
	struct ioasid_objects objects;
	struct ioasid_ioas_mappings ioas_mappings;
	struct ioasid_device_share device_share;
	struct ioasid_sva_bind sva_bind;
	struct ioasid_sva_unbind sva_unbind;
	struct ioasid_test_cmd test;
};

/**
 * ioasid_dispatch() - run one ioctl through a dispatch table
 * @ops: the table
 * @num_ops: its size
 * @base: the command number of its first entry
 * @ucmd: the command, with its context or private data set
 * @cmd: the ioctl number
 * @arg: the ioctl argument, a pointer to the command struct
 *
 * Copies the struct in under the size rules of the uAPI, checks that the
 * reply can be written, and calls the handler.
 *
 * Return: the handler's result, -ENOTTY for an unknown ioctl, or the errno
 * of a bad struct.
 */
long ioasid_dispatch(const struct ioasid_ioctl_op *ops, unsigned int num_ops,
		     unsigned int base, struct ioasid_ucmd *ucmd,
		     unsigned int cmd, unsigned long arg)
{
	const struct ioasid_ioctl_op *op;
	union ioasid_ucmd_buffer buf;
	unsigned int nr = _IOC_NR(cmd);
	int rc;

	if (cmd != _IO(IOASID_TYPE, nr) || nr < base || nr - base >= num_ops)
		return -ENOTTY;
	op = &ops[nr - base];
	if (!op->execute)
		return -ENOTTY;
	if (WARN_ON_ONCE(op->size > sizeof(buf)))
		return -ENOTTY;

	ucmd->ubuffer = (void __user *)arg;
	rc = get_user(ucmd->user_size, (u32 __user *)ucmd->ubuffer);
	if (rc)
		return rc;
	if (ucmd->user_size < op->min_size)
		return -EINVAL;
	rc = copy_struct_from_user(&buf, op->size, ucmd->ubuffer,
				   ucmd->user_size);
	if (rc)
		return rc;
	/* Fail before doing anything if the reply could not be written. */
	if (copy_to_user(ucmd->ubuffer, &buf, min(ucmd->user_size, op->size)))
		return -EFAULT;
	ucmd->cmd = &buf;
	ucmd->cmd_len = op->size;
	if (!ucmd->ictx || op->any_process)
		return op->execute(ucmd);
	rc = ioasid_ctx_begin_change(ucmd->ictx);
	if (rc)
		return rc;
	rc = op->execute(ucmd);
	ioasid_ctx_end_change(ucmd->ictx);
	return rc;
}

#define IOCTL_OP(_cmd, _fn, _struct, _last) \
	IOASID_IOCTL_OP(IOASID_CMD_BASE, _cmd, _fn, _struct, _last)
#define IOCTL_OP_ANY(_cmd, _fn, _struct, _last) \
	IOASID_IOCTL_OP_ANY(IOASID_CMD_BASE, _cmd, _fn, _struct, _last)

static const struct ioasid_ioctl_op ioasid_ioctl_ops[] = {
	IOCTL_OP(IOASID_CMD_DESTROY, ioasid_cmd_destroy, struct ioasid_destroy,
		 __reserved),
	IOCTL_OP(IOASID_CMD_IOAS_ALLOC, ioasid_cmd_ioas_alloc,
		 struct ioasid_ioas_alloc, __reserved),
	IOCTL_OP(IOASID_CMD_IOAS_MAP, ioasid_cmd_ioas_map,
		 struct ioasid_ioas_map, iova),
	IOCTL_OP(IOASID_CMD_IOAS_UNMAP, ioasid_cmd_ioas_unmap,
		 struct ioasid_ioas_unmap, length),
	IOCTL_OP(IOASID_CMD_IOAS_COPY, ioasid_cmd_ioas_copy,
		 struct ioasid_ioas_copy, src_iova),
	IOCTL_OP_ANY(IOASID_CMD_IOAS_IOVA_RANGES, ioasid_cmd_ioas_iova_ranges,
		     struct ioasid_ioas_iova_ranges, allowed_iovas),
	IOCTL_OP(IOASID_CMD_IOAS_ALLOW_IOVAS, ioasid_cmd_ioas_allow_iovas,
		 struct ioasid_ioas_allow_iovas, allowed_iovas),
	IOCTL_OP(IOASID_CMD_DEVICE_ATTACH, ioasid_cmd_device_attach,
		 struct ioasid_device_attach, ioas_id),
	IOCTL_OP(IOASID_CMD_DEVICE_DETACH, ioasid_cmd_device_detach,
		 struct ioasid_device_detach, pasid),
	IOCTL_OP_ANY(IOASID_CMD_DEVICE_INFO, ioasid_cmd_device_info,
		     struct ioasid_device_info, out_hw_regs),
	IOCTL_OP_ANY(IOASID_CMD_IOAS_INFO, ioasid_cmd_ioas_info,
		     struct ioasid_ioas_info, __reserved),
	IOCTL_OP(IOASID_CMD_IOAS_ENABLE, ioasid_cmd_ioas_enable,
		 struct ioasid_ioas_enable, out_unmet),
	IOCTL_OP_ANY(IOASID_CMD_IOAS_FEATURES, ioasid_cmd_ioas_features,
		     struct ioasid_ioas_features, features),
	IOCTL_OP_ANY(IOASID_CMD_TAKE_OWNERSHIP, ioasid_cmd_take_ownership,
		     struct ioasid_take_ownership, out_moved),
	IOCTL_OP(IOASID_CMD_UADDR_INVALIDATE, ioasid_cmd_uaddr_invalidate,
		 struct ioasid_uaddr_invalidate, out_mappings),
	IOCTL_OP(IOASID_CMD_UADDR_SUPPLY, ioasid_cmd_uaddr_supply,
		 struct ioasid_uaddr_supply, user_va),
	IOCTL_OP_ANY(IOASID_CMD_OBJECTS, ioasid_cmd_objects,
		     struct ioasid_objects, __reserved),
	IOCTL_OP_ANY(IOASID_CMD_IOAS_MAPPINGS, ioasid_cmd_ioas_mappings,
		     struct ioasid_ioas_mappings, out_next_iova),
	IOCTL_OP(IOASID_CMD_IOAS_MAP_FILE, ioasid_cmd_ioas_map_file,
		 struct ioasid_ioas_map_file, iova),
	IOCTL_OP(IOASID_CMD_DEVICE_SHARE, ioasid_cmd_device_share,
		 struct ioasid_device_share, out_minor),
	IOCTL_OP(IOASID_CMD_HWPT_ALLOC, ioasid_cmd_hwpt_alloc,
		 struct ioasid_hwpt_alloc, out_unmet),
	IOCTL_OP(IOASID_CMD_HWPT_INVALIDATE, ioasid_cmd_hwpt_invalidate,
		 struct ioasid_hwpt_invalidate, __reserved2),
	IOCTL_OP(IOASID_CMD_FAULT_ALLOC, ioasid_cmd_fault_alloc,
		 struct ioasid_fault_alloc, __reserved),
	IOCTL_OP(IOASID_CMD_IOAS_DIRTY_TRACKING, ioasid_cmd_ioas_dirty_tracking,
		 struct ioasid_ioas_dirty_tracking, out_mode),
	IOCTL_OP(IOASID_CMD_IOAS_DIRTY_BITMAP, ioasid_cmd_ioas_dirty_bitmap,
		 struct ioasid_ioas_dirty_bitmap, bitmap),
	IOCTL_OP(IOASID_CMD_IOAS_MAP_BATCH, ioasid_cmd_ioas_map_batch,
		 struct ioasid_ioas_batch, __reserved),
	IOCTL_OP(IOASID_CMD_IOAS_UNMAP_BATCH, ioasid_cmd_ioas_unmap_batch,
		 struct ioasid_ioas_batch, __reserved),
};

static long ioasid_fops_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	struct ioasid_ucmd ucmd = { .ictx = filp->private_data };

	if (cmd == IOASID_TEST)
		return ioasid_mock_ioctl(&ucmd, cmd, arg);
	return ioasid_dispatch(ioasid_ioctl_ops, ARRAY_SIZE(ioasid_ioctl_ops),
			       IOASID_CMD_BASE, &ucmd, cmd, arg);
}

/**
 * ioasid_kernel_cmd() - run a command of /dev/ioasid for a kernel user
 * @ictx: the context
 * @cmd: IOASID_DESTROY, IOASID_IOAS_ALLOC, IOASID_IOAS_MAP,
 *	IOASID_IOAS_UNMAP, IOASID_IOAS_IOVA_RANGES, IOASID_DEVICE_ATTACH,
 *	IOASID_DEVICE_DETACH, IOASID_UADDR_INVALIDATE, IOASID_UADDR_SUPPLY,
 *	IOASID_IOAS_DIRTY_TRACKING or IOASID_IOAS_DIRTY_BITMAP
 * @data: the command's struct, in kernel memory, with its size set to the
 *	size of the struct this kernel knows; what the command returns is
 *	written into it, and the array of IOASID_IOAS_IOVA_RANGES is in kernel
 *	memory too
 *
 * The command runs as the ioctl of the current task would: the memory a
 * MAP or a SUPPLY names, and the bitmap DIRTY_BITMAP writes, are the
 * task's (a MAP's is charged to it), and
 * another process owning the context refuses it.
 *
 * Return: the command's result, or -EINVAL for another command or size.
 */
int ioasid_kernel_cmd(struct ioasid_ctx *ictx, unsigned int cmd, void *data)
{
	const struct ioasid_ioctl_op *op;
	struct ioasid_ucmd ucmd = { .ictx = ictx, .cmd = data, .kernel = true };
	int rc;

	switch (cmd) {
	case IOASID_DESTROY:
	case IOASID_IOAS_ALLOC:
	case IOASID_IOAS_MAP:
	case IOASID_IOAS_UNMAP:
	case IOASID_IOAS_IOVA_RANGES:
	case IOASID_DEVICE_ATTACH:
	case IOASID_DEVICE_DETACH:
	case IOASID_UADDR_INVALIDATE:
	case IOASID_UADDR_SUPPLY:
	case IOASID_IOAS_DIRTY_TRACKING:
	case IOASID_IOAS_DIRTY_BITMAP:
		break;
	default:
		return -EINVAL;
	}
	op = &ioasid_ioctl_ops[_IOC_NR(cmd) - IOASID_CMD_BASE];
	if (*(u32 *)data != op->size)
		return -EINVAL;
	ucmd.user_size = op->size;
	ucmd.cmd_len = op->size;
	rc = ioasid_ctx_begin_change(ictx);
	if (rc)
		return rc;
	rc = op->execute(&ucmd);
	ioasid_ctx_end_change(ictx);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(ioasid_kernel_cmd, IOASID);

static struct ioasid_ctx *ioasid_ctx_alloc(void)
{
	struct ioasid_ctx *ictx;

	ictx = ioasid_kzalloc(sizeof(*ictx));
	if (!ictx)
		return NULL;
	xa_init_flags(&ictx->objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	mutex_init(&ictx->acct_lock);
	INIT_LIST_HEAD(&ictx->accounts);
	mutex_init(&ictx->attach_lock);
	mutex_init(&ictx->uaddr_lock);
	init_rwsem(&ictx->owner_rwsem);
	init_rwsem(&ictx->destroy_rwsem);
	xa_init(&ictx->groups);
	xa_init(&ictx->bound_groups);
	ioasid_ctx_register(ictx);
	ioasid_count(IOASID_CNT_CONTEXTS, 1);
	return ictx;
}

static int ioasid_fops_open(struct inode *inode, struct file *filp)
{
	struct ioasid_ctx *ictx = ioasid_ctx_alloc();

	if (!ictx)
		return -ENOMEM;
	filp->private_data = ictx;
	return 0;
}

/* Destroy every object of @type of a context no command can use any more. */
static void ioasid_release_objects(struct ioasid_ctx *ictx,
				   enum ioasid_object_type type)
{
	struct ioasid_object *obj;
	unsigned long id;

	xa_for_each(&ictx->objects, id, obj) {
		if (type != IOASID_OBJ_ANY && obj->type != type)
			continue;
		xa_erase(&ictx->objects, id);
		/* Every object has only its table reference. */
		WARN_ON(!refcount_dec_if_one(&obj->users));
		ioasid_object_destroy_now(obj);
	}
}

/* Release what @ictx, which no file refers to any more, holds; free it. */
static void ioasid_ctx_free(struct ioasid_ctx *ictx)
{
	ioasid_ctx_unregister(ictx);
	/*
	 * Devices first: an attached device holds its IOAS, or its nested
	 * hwpt, which holds its IOAS and its fault object.
	 */
	ioasid_release_objects(ictx, IOASID_OBJ_DEVICE);
	ioasid_release_objects(ictx, IOASID_OBJ_NESTED);
	ioasid_release_objects(ictx, IOASID_OBJ_ANY);
	xa_destroy(&ictx->objects);
	/* The last pin of an account frees it. */
	WARN_ON(!list_empty(&ictx->accounts));
	/* Bound device files hold the context: no group is attached now. */
	WARN_ON(!xa_empty(&ictx->groups) || !xa_empty(&ictx->bound_groups));
	xa_destroy(&ictx->groups);
	xa_destroy(&ictx->bound_groups);
	if (ictx->owner)
		mmdrop(ictx->owner);
	mutex_destroy(&ictx->uaddr_lock);
	mutex_destroy(&ictx->attach_lock);
	mutex_destroy(&ictx->acct_lock);
	kfree(ictx);
	ioasid_count(IOASID_CNT_CONTEXTS, -1);
}

static int ioasid_fops_release(struct inode *inode, struct file *filp)
{
	ioasid_ctx_free(filp->private_data);
	return 0;
}

/* The context's number in the file's fdinfo, for ioasidctl to match. */
static void ioasid_fops_show_fdinfo(struct seq_file *m, struct file *filp)
{
	struct ioasid_ctx *ictx = filp->private_data;

	seq_printf(m, "ioasid-context:\t%llu\n", ictx->serial);
}

static const struct file_operations ioasid_fops;

/**
 * ioasid_file_ctx() - the context of an open /dev/ioasid file
 * @file: any open file
 *
 * Return: the context, valid while @file is held, or NULL when @file is not
 * /dev/ioasid.
 */
struct ioasid_ctx *ioasid_file_ctx(struct file *file)
{
	return file->f_op == &ioasid_fops ? file->private_data : NULL;
}
EXPORT_SYMBOL_NS_GPL(ioasid_file_ctx, IOASID);

/**
 * ioasid_kernel_ctx_open() - a new context for a kernel user
 *
 * The context is a file as every context is, held by no process, and
 * released as they are when the caller puts the file (fput()).
 *
 * Return: the file, or an ERR_PTR: -ENOMEM.
 */
struct file *ioasid_kernel_ctx_open(void)
{
	struct ioasid_ctx *ictx = ioasid_ctx_alloc();
	struct file *file;

	if (!ictx)
		return ERR_PTR(-ENOMEM);
	file = anon_inode_getfile("[ioasid]", &ioasid_fops, ictx, O_RDWR);
	if (IS_ERR(file))
		ioasid_ctx_free(ictx);
	return file;
}
EXPORT_SYMBOL_NS_GPL(ioasid_kernel_ctx_open, IOASID);

static const struct file_operations ioasid_fops = {
	.owner = THIS_MODULE,
	.open = ioasid_fops_open,
	.release = ioasid_fops_release,
	.unlocked_ioctl = ioasid_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
	.show_fdinfo = ioasid_fops_show_fdinfo,
};

static struct miscdevice ioasid_misc_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ioasid",
	.fops = &ioasid_fops,
	.mode = 0600,
};

static int ioasid_counters_show(struct seq_file *m, void *unused)
{
	int i;

	for (i = 0; i < IOASID_CNT_MAX; i++)
		seq_printf(m, "%s %ld\n", ioasid_counter_names[i],
			   atomic_long_read(&ioasid_counters[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ioasid_counters);

static int __init ioasid_init(void)
{
	int rc;

	/* What a context may use is there before /dev/ioasid is. */
	rc = ioasid_sva_init();
	if (rc)
		return rc;
	rc = misc_register(&ioasid_misc_dev);
	if (rc)
		goto out_sva;
	rc = ioasid_pci_init();
	if (rc)
		goto out_misc;

	ioasid_debugfs_dir = debugfs_create_dir("ioasid", NULL);
	debugfs_create_file("counters", 0400, ioasid_debugfs_dir, NULL,
			    &ioasid_counters_fops);
	ioasid_debugfs_init(ioasid_debugfs_dir);
	ioasid_fail_nth_init(ioasid_debugfs_dir);
	return 0;

out_misc:
	misc_deregister(&ioasid_misc_dev);
out_sva:
	ioasid_sva_exit();
	return rc;
}

static void __exit ioasid_exit(void)
{
	debugfs_remove_recursive(ioasid_debugfs_dir);
	ioasid_fail_nth_exit();
	ioasid_pci_exit();
	misc_deregister(&ioasid_misc_dev);
	ioasid_sva_exit();
}

module_init(ioasid_init);
module_exit(ioasid_exit);

MODULE_DESCRIPTION("IOMMU file descriptor for user space (/dev/ioasid)");
MODULE_LICENSE("GPL");
