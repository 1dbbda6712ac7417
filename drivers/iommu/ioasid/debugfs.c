// SPDX-License-Identifier: GPL-2.0
/*
 * Every context, as debugfs shows it to root: ioasid/contexts lists each
 * open /dev/ioasid, and each context of a kernel user (ioasid_vfio), with
 * what it holds.  ioasidctl reads it; so can a person.  One line per thing,
 * indented under what holds it, each a keyword and its id followed by
 * "key value" pairs:
 *
 *   context SERIAL pid PID uid UID owner PID mappings N comm COMM
 *     ioas ID enabled 0|1 dirty 0|1|2
 *     [features caps CAPS nesting FORMAT max_page_size SIZE min_pasid_log2 N]
 *       mapping IOVA LENGTH pages N access r|w|rw va ADDR [invalid]
 *       mapping IOVA LENGTH pages N access r|w|rw file DEV INO offset OFF
 *     device ID name NAME group GROUP ioas ID hwpt ID
 *       pasid PASID ioas ID hwpt ID
 *       pasid PASID process
 *     hwpt ID ioas ID format FORMAT fault ID
 *     fault ID
 *     account uid UID charged PAGES sets N retired 0|1
 *
 * The comm, last, is the rest of its line, spaces and all, with every
 * character that is not printable ASCII shown as '?'.  Numbers are
 * decimal but for IOVAs, lengths, addresses and masks, which
 * are hexadecimal with 0x.  pid is the process that opened the file, or
 * for which a kernel user made the context (the VMM of a VFIO container
 * ioasid_vfio serves), owner the last one that took it over (0 for none).  A
 * mapping's pages are the CPU pages its memory spans, which it keeps
 * pinned; pages it shares with other mappings are counted in each.
 * ioas 0 and hwpt 0 mean none; group -1 is a mock device's.  An account's
 * sets are the struct ioasid_pages (the memory of one MAP each) charged to
 * it.
 *
 * A context is read with a reference that keeps it from being freed: the
 * release of its file waits for the readers.  The list's lock is held only
 * to find the next context, never while one is read.  Each object is read
 * under the context's own locks, waited for killably, so that a reader is
 * never stuck behind a command that is; objects made or destroyed meanwhile
 * may or may not be shown.  IOASes, nested hwpts and fault objects are read
 * under the context's destroy_rwsem, with no reference: a DESTROY waits for
 * the read of an object rather than fail with -EBUSY.  Devices, which also
 * leave when their file unbinds them, are held by a reference, as a command
 * holds them (a DESTROY of a mock device then fails with -EBUSY).
 */
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/seq_file.h>
#include <linux/user_namespace.h>
#include <linux/wait_bit.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"

/* Guards ioasid_contexts and the link of every context; taken first. */
static DEFINE_MUTEX(ioasid_contexts_lock);
/* Every context, in the order of their serials. */
static LIST_HEAD(ioasid_contexts);
static u64 ioasid_next_serial;

/* Mappings read under the IOAS's lock at a time. */
#define MAPPINGS_BATCH 32

/**
 * ioasid_ctx_register() - number a new context and list it
 * @ictx: the context, opened by the current process, or for it by a kernel
 *	user; its file's reference is set here
 */
void ioasid_ctx_register(struct ioasid_ctx *ictx)
{
	ictx->creator_pid = task_tgid_nr(current);
	ictx->creator_uid = current_uid();
	get_task_comm(ictx->creator_comm, current);
	refcount_set(&ictx->users, 1);
	mutex_lock(&ioasid_contexts_lock);
	ictx->serial = ++ioasid_next_serial;
	list_add_tail(&ictx->link, &ioasid_contexts);
	mutex_unlock(&ioasid_contexts_lock);
}

/**
 * ioasid_ctx_unregister() - take a context off the list, before it is freed
 * @ictx: the context, whose file is being released
 *
 * Returns once no reader of the list holds the context any more.
 */
void ioasid_ctx_unregister(struct ioasid_ctx *ictx)
{
	mutex_lock(&ioasid_contexts_lock);
	list_del(&ictx->link);
	mutex_unlock(&ioasid_contexts_lock);
	if (!refcount_dec_and_test(&ictx->users))
		wait_var_event(&ictx->users, !refcount_read(&ictx->users));
}

/* The first context whose serial is @pos or above, held; NULL past the end. */
static struct ioasid_ctx *ctx_get_from(loff_t pos)
{
	struct ioasid_ctx *ictx;

	mutex_lock(&ioasid_contexts_lock);
	list_for_each_entry(ictx, &ioasid_contexts, link) {
		if (ictx->serial >= pos) {
			refcount_inc(&ictx->users);
			mutex_unlock(&ioasid_contexts_lock);
			return ictx;
		}
	}
	mutex_unlock(&ioasid_contexts_lock);
	return NULL;
}

static void ctx_put(struct ioasid_ctx *ictx)
{
	if (refcount_dec_and_test(&ictx->users))
		wake_up_var(&ictx->users);
}

static unsigned long pages_spanned(u64 start, u64 length)
{
	return ((start + length - 1) >> PAGE_SHIFT) - (start >> PAGE_SHIFT) + 1;
}

static void show_mapping(struct seq_file *m, const struct ioasid_mapping *map)
{
	bool file = map->flags & IOASID_MAPPING_FILE;
	u64 start = file ? map->file_offset : map->user_va;

	seq_printf(m, "    mapping 0x%llx 0x%llx pages %lu access %s%s",
		   map->iova, map->length, pages_spanned(start, map->length),
		   map->flags & IOASID_MAPPING_READABLE ? "r" : "",
		   map->flags & IOASID_MAPPING_WRITEABLE ? "w" : "");
	if (file)
		seq_printf(m, " file %u %llu offset 0x%llx\n", map->file_dev,
			   map->file_ino, map->file_offset);
	else
		seq_printf(m, " va 0x%llx%s\n", map->user_va,
			   map->flags & IOASID_MAPPING_UADDR_INVALID ?
			   " invalid" : "");
}

static int show_mappings(struct seq_file *m, struct ioasid_ioas *ioas)
{
	struct ioasid_mapping *batch;
	unsigned long next = 0;
	int i, n;

	batch = kmalloc_array(MAPPINGS_BATCH, sizeof(*batch), GFP_KERNEL);
	if (!batch)
		return -ENOMEM;
	do {
		n = ioasid_ioas_read_mappings(ioas, next, batch, MAPPINGS_BATCH,
					      &next);
		for (i = 0; i < n; i++)
			show_mapping(m, &batch[i]);
		cond_resched();
	} while (n == MAPPINGS_BATCH && next && !seq_has_overflowed(m));
	kfree(batch);
	return n < 0 ? n : 0;
}

static void show_features(struct seq_file *m,
			  const struct ioasid_features *features)
{
	seq_printf(m, "    features caps 0x%llx nesting %u max_page_size 0x%llx min_pasid_log2 %u\n",
		   le64_to_cpu(features->caps),
		   le32_to_cpu(features->nesting_format),
		   le64_to_cpu(features->max_page_size),
		   le32_to_cpu(features->min_pasid_log2));
}

static int show_ioas(struct seq_file *m, struct ioasid_ioas *ioas)
{
	if (down_read_killable(&ioas->iova_rwsem))
		return -EINTR;
	seq_printf(m, "  ioas %u enabled %d dirty %u\n", ioas->obj.id,
		   !!ioas->features, ioas->dirty);
	if (ioas->features)
		show_features(m, ioas->features);
	up_read(&ioas->iova_rwsem);
	return show_mappings(m, ioas);
}

static void show_point(struct seq_file *m, const struct ioasid_attach_point *at)
{
	seq_printf(m, " ioas %u hwpt %u\n", at && at->ioas ? at->ioas->obj.id : 0,
		   at && at->nested ? at->nested->obj.id : 0);
}

static int show_device(struct seq_file *m, struct ioasid_device *idev)
{
	struct ioasid_pasid *ipasid;
	unsigned long pasid;

	if (mutex_lock_killable(&idev->ictx->attach_lock))
		return -EINTR;
	seq_printf(m, "  device %u name %s group %d", idev->obj.id,
		   idev->dev ? dev_name(idev->dev) : "mock",
		   idev->group ? iommu_group_id(idev->group) : -1);
	show_point(m, ioasid_device_point(idev));
	xa_for_each(&idev->pasids, pasid, ipasid) {
		seq_printf(m, "    pasid %lu", pasid);
		if (ipasid->at.ioas)
			show_point(m, &ipasid->at);
		else
			seq_puts(m, " process\n");
	}
	mutex_unlock(&idev->ictx->attach_lock);
	return 0;
}

static void show_nested(struct seq_file *m, struct ioasid_nested *nested)
{
	seq_printf(m, "  hwpt %u ioas %u format %u fault %u\n", nested->obj.id,
		   nested->ioas->obj.id, nested->format,
		   nested->fault_obj ? nested->fault_obj->id : 0);
}

/*
 * Object @id of @ictx, and its type: held when it is a device, else valid
 * while the caller holds destroy_rwsem; IOASID_OBJ_NONE when there is none.
 */
static enum ioasid_object_type lookup_object(struct ioasid_ctx *ictx,
					     unsigned long id,
					     struct ioasid_object **objp)
{
	enum ioasid_object_type type = IOASID_OBJ_NONE;
	struct ioasid_object *obj;

	xa_lock(&ictx->objects);
	obj = xa_load(&ictx->objects, id);
	if (obj && (obj->type != IOASID_OBJ_DEVICE ||
		    refcount_inc_not_zero(&obj->users)))
		type = obj->type;
	xa_unlock(&ictx->objects);
	*objp = obj;
	return type;
}

static int show_object(struct seq_file *m, struct ioasid_ctx *ictx,
		       unsigned long id)
{
	struct ioasid_object *obj;
	int rc = 0;

	if (down_read_killable(&ictx->destroy_rwsem))
		return -EINTR;
	switch (lookup_object(ictx, id, &obj)) {
	case IOASID_OBJ_IOAS:
		rc = show_ioas(m, container_of(obj, struct ioasid_ioas, obj));
		break;
	case IOASID_OBJ_DEVICE:
		rc = show_device(m, container_of(obj, struct ioasid_device, obj));
		ioasid_put_object(obj);
		break;
	case IOASID_OBJ_NESTED:
		show_nested(m, container_of(obj, struct ioasid_nested, obj));
		break;
	case IOASID_OBJ_FAULT:
		seq_printf(m, "  fault %u\n", obj->id);
		break;
	default:
		break;
	}
	up_read(&ictx->destroy_rwsem);
	return rc;
}

static int show_accounts(struct seq_file *m, struct ioasid_ctx *ictx)
{
	struct ioasid_account *acct;

	if (mutex_lock_killable(&ictx->acct_lock))
		return -EINTR;
	list_for_each_entry(acct, &ictx->accounts, link)
		seq_printf(m, "  account uid %u charged %lu sets %lu retired %d\n",
			   from_kuid(&init_user_ns, acct->user->uid),
			   acct->charged, acct->users, acct->retired);
	mutex_unlock(&ictx->acct_lock);
	return 0;
}

/* The comm, which its process may set to anything, as printable ASCII. */
static void show_comm(struct seq_file *m, const char *comm)
{
	for (; *comm; comm++)
		seq_putc(m, isascii(*comm) && isprint(*comm) ? *comm : '?');
	seq_putc(m, '\n');
}

static int ioasid_contexts_show(struct seq_file *m, void *v)
{
	struct ioasid_ctx *ictx = v;
	unsigned long id;
	void *entry;
	int rc;

	seq_printf(m, "context %llu pid %d uid %u owner %d mappings %ld comm ",
		   ictx->serial, ictx->creator_pid,
		   from_kuid(&init_user_ns, ictx->creator_uid),
		   READ_ONCE(ictx->owner_pid),
		   atomic_long_read(&ictx->nr_mappings));
	show_comm(m, ictx->creator_comm);
	xa_for_each(&ictx->objects, id, entry) {
		rc = show_object(m, ictx, id);
		if (rc)
			return rc;
		/* seq_file reads the context again, with more room. */
		if (seq_has_overflowed(m))
			return 0;
		cond_resched();
	}
	return show_accounts(m, ictx);
}

static void *ioasid_contexts_start(struct seq_file *m, loff_t *pos)
{
	return ctx_get_from(*pos);
}

static void *ioasid_contexts_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct ioasid_ctx *ictx = v;

	*pos = ictx->serial + 1;
	ctx_put(ictx);
	return ctx_get_from(*pos);
}

static void ioasid_contexts_stop(struct seq_file *m, void *v)
{
	if (v)
		ctx_put(v);
}

static const struct seq_operations ioasid_contexts_sops = {
	.start = ioasid_contexts_start,
	.next = ioasid_contexts_next,
	.stop = ioasid_contexts_stop,
	.show = ioasid_contexts_show,
};
DEFINE_SEQ_ATTRIBUTE(ioasid_contexts);

/**
 * ioasid_debugfs_init() - add the view of every context
 * @dir: the module's debugfs directory
 */
void ioasid_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("contexts", 0400, dir, NULL, &ioasid_contexts_fops);
}
