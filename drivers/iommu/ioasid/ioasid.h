/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioasid: definitions shared by the files of the module.
 */
#ifndef __IOASID_H
#define __IOASID_H

#include <linux/atomic.h>
#include <linux/interval_tree.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

struct dentry;
struct device;
struct file;
struct iommu_domain;
struct iommu_group;
struct ioasid_ctx;
struct ioasid_pasid;
struct ioasid_share;
struct ioasid_features;
struct ioasid_iova_range;
struct mm_struct;
struct user_struct;

/*
 * Module-wide counters of what is alive, shown in debugfs (ioasid/counters)
 * so that tests can prove every release path gives back what was taken.
 */
enum ioasid_counter {
	IOASID_CNT_CONTEXTS,	/* open files */
	IOASID_CNT_OBJECTS,	/* objects in all contexts' tables */
	IOASID_CNT_PINNED,	/* pages pinned (a page pinned twice is 2) */
	IOASID_CNT_ACCOUNTED,	/* pages charged to RLIMIT_MEMLOCK */
	IOASID_CNT_DOMAINS,	/* IOMMU domains allocated */
	IOASID_CNT_PASIDS,	/* PASIDs attached or bound, over all devices */
	IOASID_CNT_SVA_BINDS,	/* process address spaces bound to devices */
	IOASID_CNT_SHARES,	/* shares, until their node and its files go */
	IOASID_CNT_NESTED,	/* nested hwpts */
	IOASID_CNT_FAULTS,	/* fault queues, until their object and file go */
	IOASID_CNT_MAX,
};

extern atomic_long_t ioasid_counters[IOASID_CNT_MAX];

static inline void ioasid_count(enum ioasid_counter counter, long delta)
{
	atomic_long_add(delta, &ioasid_counters[counter]);
}

/*
 * Failure injection (fail_nth.c): every allocation and pin made for a
 * command asks ioasid_should_fail() first, so that the selftests can fail
 * each in turn and check that nothing is left behind.
 */
#ifdef CONFIG_IOMMU_IOASID_TEST
bool ioasid_should_fail(void);
void ioasid_fail_nth_init(struct dentry *dir);
void ioasid_fail_nth_exit(void);
#else
static inline bool ioasid_should_fail(void)
{
	return false;
}

static inline void ioasid_fail_nth_init(struct dentry *dir)
{
}

static inline void ioasid_fail_nth_exit(void)
{
}
#endif

/* The view of every context in debugfs (debugfs.c). */
void ioasid_ctx_register(struct ioasid_ctx *ictx);
void ioasid_ctx_unregister(struct ioasid_ctx *ictx);
void ioasid_debugfs_init(struct dentry *dir);

/* The mock backend's test ioctl (backends/mock.c). */
struct ioasid_ucmd;
#ifdef CONFIG_IOMMU_IOASID_MOCK
long ioasid_mock_ioctl(struct ioasid_ucmd *ucmd, unsigned int cmd,
		       unsigned long arg);
#else
static inline long ioasid_mock_ioctl(struct ioasid_ucmd *ucmd,
				     unsigned int cmd, unsigned long arg)
{
	return -ENOTTY;
}
#endif

/*
 * kzalloc() of what a command creates: a point of failure injection.  A
 * macro, so that allocation profiling charges the caller.
 */
#define ioasid_kzalloc(size) \
	(ioasid_should_fail() ? NULL : kzalloc(size, GFP_KERNEL_ACCOUNT))

/**
 * struct ioasid_ctx - what one open of /dev/ioasid owns
 * @objects: every object of the context by id; the xarray's lock guards
 *	lookups against DESTROY
 * @acct_lock: guards @accounts, everything of each struct ioasid_account
 *	on it, the pinsets of the context and the pins in them, and the
 *	pinning state of every struct ioasid_pages
 * @accounts: the struct ioasid_account of every owner the context's pins
 *	are charged to
 * @attach_lock: guards @groups and the attachment of every device; taken
 *	before any IOAS's iova_rwsem
 * @groups: the struct ioasid_group_attach of every attached IOMMU group, by
 *	group id
 * @bound_groups: the struct ioasid_bound_group of every IOMMU group with a
 *	device bound to the context, by group id; under @attach_lock
 * @nr_mappings: the areas in all IOASes of the context; changed under the
 *	iova_rwsem of the IOAS the areas are in, so atomic across IOASes
 * @owner_rwsem: held for reading by every command that changes the
 *	context, from its ownership check to its end; for writing while the
 *	owner changes, so that no command of the old owner runs on after it;
 *	taken before any other lock of the context
 * @owner: the address space of the process that took the context over
 *	(IOASID_TAKE_OWNERSHIP), grabbed; NULL until one does; under
 *	@owner_rwsem
 * @uaddr_lock: taken by the commands that change the user addresses of
 *	mappings in several IOASes at once, around their iova_rwsems
 * @serial: the context's number, unique while the module is loaded, shown
 *	in the file's fdinfo and in debugfs; never changes
 * @creator_pid: the thread group id of the process that opened it, or for
 *	which a kernel user did; never changes
 * @creator_uid: the real uid of that process; never changes
 * @creator_comm: its name then; never changes
 * @owner_pid: the thread group id of the process that took it over last, 0
 *	until one does; set under @owner_rwsem held for writing, read without
 *	it by the debugfs view (READ_ONCE())
 * @link: in the list of every context (debugfs.c), under its lock
 * @users: 1 for the context's file, and 1 for each reader of the debugfs
 *	view reading it; the release of the file waits for the readers
 * @destroy_rwsem: held for writing by IOASID_DESTROY while it takes an
 *	object out of @objects and destroys it, for reading by the debugfs
 *	view while it reads an object it holds no reference of; taken after
 *	@owner_rwsem, before the other locks of the context
 */
struct ioasid_ctx {
	struct xarray objects;
	struct mutex acct_lock; /* guards accounts and what they hold */
	struct list_head accounts;
	struct mutex attach_lock; /* guards groups and attachments */
	struct xarray groups;
	struct xarray bound_groups;
	atomic_long_t nr_mappings;
	struct rw_semaphore owner_rwsem; /* fences commands from the owner */
	struct mm_struct *owner;
	struct mutex uaddr_lock; /* nests the iova_rwsems of IOASes */
	u64 serial;
	pid_t creator_pid;
	kuid_t creator_uid;
	char creator_comm[TASK_COMM_LEN];
	pid_t owner_pid;
	struct list_head link;
	refcount_t users;
	struct rw_semaphore destroy_rwsem; /* fences DESTROY from readers */
};

enum ioasid_object_type {
	IOASID_OBJ_NONE,
	IOASID_OBJ_ANY = IOASID_OBJ_NONE,
	IOASID_OBJ_IOAS,
	IOASID_OBJ_DEVICE,
	IOASID_OBJ_NESTED,
	IOASID_OBJ_FAULT,
	IOASID_OBJ_MAX,
};

/**
 * struct ioasid_object - the header every object embeds first
 * @users: 1 for the object table, plus 1 for each command working on the
 *	object; DESTROY succeeds only from exactly 1
 * @type: enum ioasid_object_type
 * @id: the object's id in its context
 */
struct ioasid_object {
	refcount_t users;
	enum ioasid_object_type type;
	u32 id;
};

/**
 * struct ioasid_ucmd - one ioctl in progress
 * @ictx: the context, for commands on /dev/ioasid
 * @priv: the file's private data, for commands on other files
 * @ubuffer: the caller's command struct
 * @user_size: the size the caller gave for it
 * @cmd_len: the size of the command struct the kernel knows
 * @cmd: the kernel copy, zero-extended to @cmd_len
 * @kernel: a kernel user's command (ioasid_kernel_cmd()): @cmd is its own
 *	struct, to which the command replies, and any array it points to is
 *	in kernel memory; @ubuffer is NULL
 */
struct ioasid_ucmd {
	struct ioasid_ctx *ictx;
	void *priv;
	void __user *ubuffer;
	u32 user_size;
	u32 cmd_len;
	void *cmd;
	bool kernel;
};

int ioasid_ucmd_respond(struct ioasid_ucmd *ucmd);

/**
 * struct ioasid_ioctl_op - one command of a dispatch table
 * @size: the size of its struct as the kernel knows it
 * @min_size: the size of the struct's first version
 * @any_process: the command changes nothing a context's owner would not
 *	want (it reads, or takes ownership): any process holding the file
 *	may run it
 * @execute: the handler
 *
 * Entry n of a table whose first command is base is the ioctl
 * _IO(IOASID_TYPE, base + n).
 */
struct ioasid_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	bool any_process;
	int (*execute)(struct ioasid_ucmd *ucmd);
};

#define IOASID_IOCTL_OP(_base, _cmd, _fn, _struct, _last)                   \
	[(_cmd) - (_base)] = {                                              \
		.size = sizeof(_struct),                                    \
		.min_size = offsetofend(_struct, _last),                    \
		.execute = _fn,                                             \
	}

/* A command any process holding the file may run (see above). */
#define IOASID_IOCTL_OP_ANY(_base, _cmd, _fn, _struct, _last)               \
	[(_cmd) - (_base)] = {                                              \
		.size = sizeof(_struct),                                    \
		.min_size = offsetofend(_struct, _last),                    \
		.any_process = true,                                        \
		.execute = _fn,                                             \
	}

long ioasid_dispatch(const struct ioasid_ioctl_op *ops, unsigned int num_ops,
		     unsigned int base, struct ioasid_ucmd *ucmd,
		     unsigned int cmd, unsigned long arg);
struct ioasid_ctx *ioasid_file_ctx(struct file *file);

struct ioasid_object *ioasid_object_alloc(struct ioasid_ctx *ictx, size_t size,
					  enum ioasid_object_type type);
void ioasid_object_abort(struct ioasid_ctx *ictx, struct ioasid_object *obj);
void ioasid_object_finalize(struct ioasid_ctx *ictx, struct ioasid_object *obj);
void ioasid_object_take(struct ioasid_ctx *ictx, struct ioasid_object *obj);
void ioasid_object_free(struct ioasid_object *obj);
struct ioasid_object *ioasid_get_object(struct ioasid_ctx *ictx, u32 id,
					enum ioasid_object_type type);

void ioasid_put_object(struct ioasid_object *obj);

/* device.c, pci.c and the backends */

struct ioasid_device;
struct ioasid_device_info;
struct ioasid_dirty_bitmap;
struct list_head;

/**
 * struct ioasid_device_ops - what a backend does for the devices it binds
 * @domain_alloc: a new, empty paging domain for the device; ERR_PTR
 *	(-EOPNOTSUPP) when it cannot have one
 * @set_domain: make the device's group translate through @domain, from
 *	blocked DMA (@old NULL) or in one step from @old; -EINVAL when the
 *	group cannot use @domain, which may be another backend's
 * @unset_domain: block the group's DMA again
 * @get_resv_regions: add to @regions the struct iommu_resv_region the group
 *	cannot map
 * @put_resv_regions: free what @get_resv_regions added
 * @describe: fill in the family, the capabilities (but PAGING), the PASID
 *	width, the nesting formats and the raw registers of the device's IOMMU
 * @unbind: give back what binding took; the device is detached
 * @set_pasid: make the device's DMA tagged with @pasid translate through
 *	@domain, from blocked (@old NULL) or in one step from @old; -EINVAL
 *	as @set_domain; optional: the device has no PASIDs without it
 * @unset_pasid: block the DMA tagged with @pasid again
 * @sva_enable: prepare the device for process-bound access, when it is
 *	shared; optional
 * @sva_disable: undo @sva_enable, when no process is bound any more
 * @sva_bind: bind the address space @mm to the device; *@pasid comes in as
 *	a PASID free on the device, which the backend may use, and goes out
 *	as the PASID of the binding; returns what @sva_unbind needs, or an
 *	ERR_PTR; optional: no IOASID_DEVICE_CAP_SVA without it
 * @sva_unbind: end a binding: the device's DMA with its PASID is stopped on
 *	return
 * @nested_alloc: a nested domain of @format on the paging domain @parent,
 *	from the format's data at @data (@len bytes, zero-extended to what the
 *	backend knows); ERR_PTR(-EINVAL) when the device cannot use @parent or
 *	the data is bad, ERR_PTR(-EOPNOTSUPP) when the backend does not drive
 *	@format; optional: no nesting without it
 * @nested_data_len: the size of the data of IOASID_HWPT_ALLOC in a format
 *	the backend drives; 0 for a format it does not drive
 * @nested_entry_len: the size of the invalidation entry of a format the
 *	backend drives
 * @nested_invalidate: carry out one invalidation @entry on a nested domain;
 *	on failure set *@error to enum ioasid_hwpt_invalidate_error
 * @page_response: answer the device's page request on @pasid (0 for its
 *	untagged DMA) with enum ioasid_fault_response_code @code
 * @set_dirty_tracking: start or stop tracking the writes of devices in a
 *	paging domain's page table; -EOPNOTSUPP when it cannot; optional
 * @read_dirty: mark in @bitmap the pages of [@iova, @iova + @length) of a
 *	tracking domain that devices wrote, and clear their dirty bits unless
 *	@keep
 *
 * Every op but @unbind, @sva_disable, @sva_unbind, the nested and dirty
 * ops and @page_response runs under ictx->attach_lock; @sva_disable runs
 * with or without it, @sva_unbind with no lock of ioasid held, the dirty
 * ops under the IOAS's iova_rwsem, @nested_invalidate with no lock held,
 * and @page_response under the lock of a fault queue (fault.c), with or
 * without the attach_lock.
 */
struct ioasid_device_ops {
	struct iommu_domain *(*domain_alloc)(struct ioasid_device *idev);
	int (*set_domain)(struct ioasid_device *idev,
			  struct iommu_domain *domain,
			  struct iommu_domain *old);
	void (*unset_domain)(struct ioasid_device *idev,
			     struct iommu_domain *domain);
	int (*get_resv_regions)(struct ioasid_device *idev,
				struct list_head *regions);
	void (*put_resv_regions)(struct ioasid_device *idev,
				 struct list_head *regions);
	int (*describe)(struct ioasid_device *idev,
			struct ioasid_device_info *info);
	void (*unbind)(struct ioasid_device *idev);
	int (*set_pasid)(struct ioasid_device *idev, u32 pasid,
			 struct iommu_domain *domain, struct iommu_domain *old);
	void (*unset_pasid)(struct ioasid_device *idev, u32 pasid,
			    struct iommu_domain *domain);
	int (*sva_enable)(struct ioasid_device *idev);
	void (*sva_disable)(struct ioasid_device *idev);
	void *(*sva_bind)(struct ioasid_device *idev, struct mm_struct *mm,
			  u32 *pasid);
	void (*sva_unbind)(struct ioasid_device *idev, void *cookie);
	struct iommu_domain *(*nested_alloc)(struct ioasid_device *idev,
					     struct iommu_domain *parent,
					     u32 format, const void *data,
					     u32 len);
	u32 (*nested_data_len)(u32 format);
	u32 (*nested_entry_len)(u32 format);
	int (*nested_invalidate)(struct iommu_domain *domain, const void *entry,
				 u32 *error);
	void (*page_response)(struct ioasid_device *idev, u32 pasid, u32 code);
	int (*set_dirty_tracking)(struct iommu_domain *domain, bool enable);
	void (*read_dirty)(struct iommu_domain *domain, unsigned long iova,
			   unsigned long length, bool keep,
			   struct ioasid_dirty_bitmap *bitmap);
};

/**
 * struct ioasid_paging - what a paging domain of a device maps
 * @pgsize_bitmap: its page sizes
 * @aperture_start: the first IOVA it translates
 * @aperture_last: the last one
 */
struct ioasid_paging {
	u64 pgsize_bitmap;
	u64 aperture_start;
	u64 aperture_last;
};

/**
 * struct ioasid_device - a device bound to a context
 * @obj: the object header
 * @ops: its backend
 * @ictx: the context
 * @dev: the device; NULL for a mock device
 * @group: its IOMMU group, whose DMA ownership the context holds, or
 *	another owner lends it (VFIO); NULL for a mock device
 * @group_id: the key of its group in ictx->groups: the IOMMU group id, or
 *	above INT_MAX for a mock device, which is a group of its own
 * @isolated_msi: the platform isolates the device's MSIs
 * @coherent: the IOMMU keeps the device's DMA cache coherent
 * @enforce_coherent: the IOMMU can make a domain enforce cache coherency
 *	for the device (IOMMU_CAP_ENFORCE_CACHE_COHERENCY): its domains do
 * @fill_after_attach: the IOMMU driver accepts mappings into a new domain
 *	only once it is attached, so it must be attached before it can be
 *	filled
 * @settles_at_attach: the IOMMU driver settles a new domain's page sizes and
 *	aperture only when it is first attached: DEVICE_INFO attaches one to
 *	learn them
 * @kernel_dma: enum ioasid_kernel_dma: what the kernel's own DMA of the
 *	device went through before the binding
 * @dma_claimed: the context claimed the DMA ownership of the device's
 *	group, to give back at the end of the binding; false for a device
 *	whose group VFIO owns
 * @attached: the device is attached to an IOAS (under ictx->attach_lock)
 * @ioas_link: in the devices of that IOAS (under ictx->attach_lock)
 * @alone: the page sizes and aperture of a domain of its own, once
 *	DEVICE_INFO learnt them (pgsize_bitmap is 0 until then); under
 *	ictx->attach_lock
 * @max_pasid_log2: log2 of the number of PASIDs it may use; 0 for none
 * @sva: a process may bind its address space to it (IOASID_DEVICE_CAP_SVA)
 * @pasids: the struct ioasid_pasid of each PASID attached to an IOAS or
 *	bound to a process, by PASID; under ictx->attach_lock
 * @share: how it is shared for process-bound access, or NULL; under
 *	ioasid_sva_lock (sva.c)
 */
struct ioasid_device {
	struct ioasid_object obj;
	const struct ioasid_device_ops *ops;
	struct ioasid_ctx *ictx;
	struct device *dev;
	struct iommu_group *group;
	unsigned long group_id;
	bool isolated_msi;
	bool coherent;
	bool enforce_coherent;
	bool fill_after_attach;
	bool settles_at_attach;
	u32 kernel_dma;
	bool dma_claimed;
	bool attached;
	struct list_head ioas_link;
	struct ioasid_paging alone;
	u32 max_pasid_log2;
	bool sva;
	struct xarray pasids;
	struct ioasid_share *share;
};

/**
 * struct ioasid_attach_point - where a group or a PASID is attached
 * @ioas: the IOAS, of which the attachment holds a reference
 * @hwpt: the hwpt of @ioas whose domain translates, or is the stage 2 of
 *	@nested; the attachment is one of its users
 * @nested: the nested hwpt on @hwpt that translates, of which the
 *	attachment holds a reference; NULL when @hwpt translates
 *
 * All of it is under the context's attach_lock.
 */
struct ioasid_attach_point {
	struct ioasid_ioas *ioas;
	struct ioasid_hwpt *hwpt;
	struct ioasid_nested *nested;
};

/**
 * struct ioasid_pasid - what a PASID of a device is attached or bound to
 * @idev: the device
 * @pasid: the PASID
 * @mm: the address space of a process bound with it (sva.c), with no
 *	reference of its own (the binding's mmu_notifier holds one); NULL
 *	for an IOAS attached, and once the binding is being unbound
 * @cookie: what the backend's sva_bind returned
 * @at: where it is attached; at.ioas is NULL for a binding
 * @ioas_link: in the pasids of at.ioas
 *
 * It lives in idev->pasids; all of it is under ictx->attach_lock.
 */
struct ioasid_pasid {
	struct ioasid_device *idev;
	u32 pasid;
	struct mm_struct *mm;
	void *cookie;
	struct ioasid_attach_point at;
	struct list_head ioas_link;
};

/*
 * iommu_group_replace_domain() is exported for iommufd only, and declared in
 * drivers/iommu/iommu-priv.h, which distribution headers do not ship.  It is
 * the one way to switch a group's translation without a window of blocked
 * or untranslated DMA; in the tree this would come from iommu-priv.h.
 */
int iommu_group_replace_domain(struct iommu_group *group,
			       struct iommu_domain *new_domain);

struct ioasid_device *ioasid_device_alloc(struct ioasid_ctx *ictx, size_t size,
					  const struct ioasid_device_ops *ops);
void ioasid_device_destroy(struct ioasid_object *obj);
void ioasid_device_quiesce(struct ioasid_device *idev);
void ioasid_device_release(struct ioasid_device *idev);
struct ioasid_pasid *ioasid_device_sva_bind(struct ioasid_device *idev,
					    struct mm_struct *mm);
void ioasid_device_sva_unbind(struct ioasid_pasid *ipasid);
int ioasid_cmd_device_share(struct ioasid_ucmd *ucmd);
bool ioasid_sva_unshare_device(struct ioasid_device *idev);
int ioasid_sva_init(void);
void ioasid_sva_exit(void);
const char *ioasid_device_name(struct ioasid_device *idev);
bool ioasid_group_kernel_dma(struct ioasid_ctx *ictx, unsigned long group_id,
			     u32 *kernel_dma);
int ioasid_group_bind(struct ioasid_ctx *ictx, unsigned long group_id,
		      u32 kernel_dma);
void ioasid_group_unbind(struct ioasid_ctx *ictx, unsigned long group_id);
struct ioasid_iova_range *ioasid_device_resv_ranges(struct ioasid_device *idev,
						    u32 *num);
int ioasid_device_sw_msi(struct ioasid_device *idev, dma_addr_t *base);
int ioasid_device_describe(struct ioasid_device *idev,
			   struct ioasid_device_info *info);
struct ioasid_device *ioasid_iommu_device_bind(struct ioasid_ctx *ictx,
					       struct device *dev);
struct ioasid_device *ioasid_iommu_owned_device_bind(struct ioasid_ctx *ictx,
						     struct device *dev);

/* The kernel's way into a context (main.c, device.c), for ioasid_vfio.ko. */
bool ioasid_group_msi_allowed(struct iommu_group *group);
struct file *ioasid_kernel_ctx_open(void);
int ioasid_kernel_cmd(struct ioasid_ctx *ictx, unsigned int cmd, void *data);
struct ioasid_device *ioasid_kernel_device_bind(struct ioasid_ctx *ictx,
						struct device *dev, u32 *dev_id);
void ioasid_kernel_device_unbind(struct ioasid_device *idev);
int ioasid_cmd_device_attach(struct ioasid_ucmd *ucmd);
int ioasid_cmd_device_detach(struct ioasid_ucmd *ucmd);
int ioasid_cmd_device_info(struct ioasid_ucmd *ucmd);
int ioasid_cmd_ioas_info(struct ioasid_ucmd *ucmd);
struct ioasid_ioas *ioasid_device_ioas(struct ioasid_device *idev);
struct iommu_domain *ioasid_device_domain(struct ioasid_device *idev);
const struct ioasid_attach_point *ioasid_device_point(struct ioasid_device *idev);
struct ioasid_device *ioasid_device_get(struct ioasid_ctx *ictx, u32 id);
int ioasid_pci_init(void);
void ioasid_pci_exit(void);
struct ioasid_test_pci_error;
int ioasid_pci_test_error(struct ioasid_ucmd *ucmd,
			  struct ioasid_test_pci_error *err);

/* pages.c */

/**
 * struct ioasid_run - physically contiguous pinned pages
 * @index: the index of its first page in its struct ioasid_pin
 * @pfn: the first page frame
 * @npages: the number of pages
 */
struct ioasid_run {
	unsigned long index;
	unsigned long pfn;
	unsigned long npages;
};

/**
 * struct ioasid_pin - user pages of one owner, pinned once, or pages of a
 *	file
 * @node: [first, last] user page number (or index in the file), in its
 *	pinset's tree
 * @users: the struct ioasid_pages whose pinned range overlaps it; the last
 *	one unpins it
 * @writable: the MAP that made it pinned it for writing, all of it: it is
 *	unpinned dirty
 * @building: the MAP that makes it is still adding batches to it: its runs
 *	may move; once false, they never change
 * @folios: hugetlb pages or pages of a file, holding one pin on each folio
 *	each of its runs touches rather than one on each page
 * @whole: a complete struct ioasid_pages of exactly this pin, which MAPs
 *	that fall within the pin share rather than making their own; NULL
 *	when there is none
 * @nr_runs: the number of entries in @runs
 * @max_runs: the room in @runs
 * @runs: the page frames, in user address order, merged into runs; points
 *	to @first_run until there is more than one run
 * @first_run: the room for the first run
 * @link: on a list of pins to unpin, once out of the tree
 */
struct ioasid_pin {
	struct interval_tree_node node;
	unsigned long users;
	bool writable;
	bool building;
	bool folios;
	struct ioasid_pages *whole;
	unsigned long nr_runs;
	unsigned long max_runs;
	struct ioasid_run *runs;
	struct ioasid_run first_run;
	struct list_head link;
};

/**
 * struct ioasid_pinset - pins of one owner that never overlap
 * @acct: the owner they are charged to
 * @pins: every struct ioasid_pin of the set, by user page number
 */
struct ioasid_pinset {
	struct ioasid_account *acct;
	struct rb_root_cached pins;
};

/**
 * struct ioasid_account - one owner whom a context's pins are charged to
 * @user: the user whose locked_vm is charged, with a reference
 * @mm: the address space whose pinned_vm is charged, grabbed (mmgrab()) so
 *	that it can be uncharged after its process exits
 * @shared: the owner's pins that every MAP of the owner may share
 * @charged: the pages charged to @user and @mm
 * @users: the struct ioasid_pages charged to the account; the last one
 *	frees it
 * @retired: IOASID_TAKE_OWNERSHIP moved its charge from another user or
 *	address space: its pins are keyed by user pages that may mean
 *	nothing to the new owner, so no MAP shares them any more
 * @link: in ictx->accounts
 *
 * All of it is guarded by ictx->acct_lock.
 */
struct ioasid_account {
	struct user_struct *user;
	struct mm_struct *mm;
	struct ioasid_pinset shared;
	unsigned long charged;
	unsigned long users;
	bool retired;
	struct list_head link;
};

/**
 * struct ioasid_pages - the memory of one MAP, pinned
 * @kref: one reference per area mapping part of it
 * @ictx: the context that pinned it
 * @file: the file whose pages it pins, with a reference; NULL for user
 *	memory
 * @set: where its pins are: its owner's shared pinset, or one of its own
 *	(freed with it) for memory of which a shared pin holds other page
 *	frames, and for a file (see pages.c)
 * @only: the one pin that holds all of it, complete, when there is one: its
 *	frames can be read without a lock
 * @share: while it is pinned, the whole of @only to share instead of it
 * @start: the user page number of its first page (its index in @file)
 * @npages: the number of pages
 * @done: the number of pages pinned so far, from @start on
 * @writable: pinned for writing: devices may write the pages
 *
 * It holds a reference on every pin of @set that overlaps [@start, @start
 * + @done); @set, @only and @done change only under ictx->acct_lock, and
 * only until ioasid_pages_pin() returns.
 */
struct ioasid_pages {
	struct kref kref;
	struct ioasid_ctx *ictx;
	struct file *file;
	struct ioasid_pinset *set;
	struct ioasid_pin *only;
	struct ioasid_pages *share;
	unsigned long start;
	unsigned long npages;
	unsigned long done;
	bool writable;
};

struct ioasid_pages *ioasid_pages_pin(struct ioasid_ctx *ictx,
				      unsigned long uptr, unsigned long length,
				      bool writable, unsigned long *pgoff);
struct ioasid_pages *ioasid_pages_pin_file(struct ioasid_ctx *ictx,
					   struct file *file, u64 start,
					   unsigned long length, bool writable);
void ioasid_pages_put(struct ioasid_pages *pages);
unsigned long ioasid_pages_pfn(struct ioasid_pages *pages, unsigned long index,
			       unsigned long max, unsigned long *npages);
int ioasid_pages_verify(struct ioasid_pages *pages, unsigned long index,
			unsigned long npages, unsigned long uaddr,
			bool writable);
int ioasid_take_charge(struct ioasid_ctx *ictx, unsigned long *moved);

static inline void ioasid_pages_get(struct ioasid_pages *pages)
{
	kref_get(&pages->kref);
}

/* io_pagetable.c and ioas.c */

/**
 * struct ioasid_ioas - an IO address space
 * @obj: the object header
 * @ictx: the context the IOAS belongs to, charged for its mappings
 * @iova_rwsem: guards @areas, @allowed, @reserved and @hwpts
 * @areas: every struct ioasid_area, by IOVA; never overlapping; a tree
 *	augmented with the largest free gap of each subtree (io_pagetable.c)
 * @allowed: the struct ioasid_allowed ranges set by ALLOW_IOVAS, by IOVA;
 *	never overlapping; empty allows every IOVA
 * @reserved: the struct ioasid_reserved ranges of attached groups and of
 *	domain apertures, by IOVA; may overlap one another, never an area
 * @hwpts: the struct ioasid_hwpt the IOAS is mapped into
 * @features: what ENABLE froze (enable.c), NULL while the IOAS is open; set
 *	once, under both the context's attach_lock and @iova_rwsem held for
 *	writing, so that either suffices to read it
 * @devices: the devices attached to it, by ioas_link; under the context's
 *	attach_lock
 * @pasids: the struct ioasid_pasid of the PASIDs attached to it, by
 *	ioas_link; under the context's attach_lock
 * @nested: the struct ioasid_nested on it, by ioas_link; under the
 *	context's attach_lock
 * @dirty: enum ioasid_dirty_mode; under @iova_rwsem
 */
struct ioasid_ioas {
	struct ioasid_object obj;
	struct ioasid_ctx *ictx;
	struct rw_semaphore iova_rwsem;
	struct rb_root areas;
	struct rb_root_cached allowed;
	struct rb_root_cached reserved;
	struct list_head hwpts;
	struct ioasid_features *features;
	struct list_head devices;
	struct list_head pasids;
	struct list_head nested;
	u32 dirty;
};

/* Every device attached to @ioas; the caller holds the attach_lock. */
#define ioasid_ioas_for_each_device(ioas, idev) \
	list_for_each_entry(idev, &(ioas)->devices, ioas_link)

/* Every PASID attached to @ioas; the caller holds the attach_lock. */
#define ioasid_ioas_for_each_pasid(ioas, ipasid) \
	list_for_each_entry(ipasid, &(ioas)->pasids, ioas_link)

/**
 * struct ioasid_hwpt - a hardware page table: an IOMMU domain of an IOAS
 * @domain: the paging domain, holding every area of the IOAS
 * @ops: the backend of the devices that may use it
 * @link: in ioas->hwpts
 * @users: the groups attached to it; the last one frees it
 * @coherent: the IOMMU keeps DMA coherent with the CPU caches, so mappings
 *	ask for cacheable accesses (IOMMU_CACHE)
 * @enforced: the domain enforces cache coherency (no-snoop DMA is snooped
 *	too): only devices whose IOMMU can enforce it (enforce_coherent) use
 *	it, and they use no other
 * @aperture_start: the first IOVA its reservations leave in the IOAS
 * @aperture_end: the last one; the domain's aperture, as narrowed by the
 *	attaches so far
 * @dirty_hw: the domain's page table tracks what devices write (the IOAS
 *	tracks in hardware)
 */
struct ioasid_hwpt {
	struct iommu_domain *domain;
	const struct ioasid_device_ops *ops;
	struct list_head link;
	unsigned int users;
	bool coherent;
	bool enforced;
	unsigned long aperture_start;
	unsigned long aperture_end;
	bool dirty_hw;
};

/*
 * May the group of @idev use the domain of @hwpt, as far as ioasid can tell
 * (the IOMMU driver may still refuse it)?  The same backend, and the same
 * enforcement of cache coherency.
 */
static inline bool ioasid_hwpt_fits(const struct ioasid_hwpt *hwpt,
				    const struct ioasid_device *idev)
{
	return hwpt->ops == idev->ops &&
	       hwpt->enforced == idev->enforce_coherent;
}

/**
 * struct ioasid_reserved - an IOVA range no mapping may use
 * @node: [first, last] IOVA in ioas->reserved
 * @owner: what reserved it (a group attachment, a hwpt's aperture)
 */
struct ioasid_reserved {
	struct interval_tree_node node;
	const void *owner;
};

/**
 * struct ioasid_area_node - the place of an area in ioas->areas
 * @rb: in ioas->areas, by @start
 * @start: the first IOVA
 * @last: the last IOVA
 * @gap: the number of free IOVAs just below @start: down to the end of the
 *	previous area, or to 0
 * @subtree_gap: the largest @gap of the subtree rooted here
 *
 * Outside the tree, only @start and @last mean anything.
 */
struct ioasid_area_node {
	struct rb_node rb;
	unsigned long start;
	unsigned long last;
	unsigned long gap;
	unsigned long subtree_gap;
};

/**
 * struct ioasid_area - one mapping: a slice of pinned pages at an IOVA
 * @node: [first, last] IOVA in ioas->areas
 * @pages: the pinned pages, of which the area holds a reference
 * @pgoff: the index in @pages of the area's first page
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 * @uaddr: the user address of its first page, in the process that mapped
 *	it or that supplied the address last (IOASID_UADDR_SUPPLY)
 * @uaddr_invalid: @uaddr means nothing until a new one is supplied
 * @link: on a list of areas being inserted or freed, outside the tree
 *
 * @uaddr and @uaddr_invalid change under the IOAS's iova_rwsem held for
 * writing.
 */
struct ioasid_area {
	struct ioasid_area_node node;
	struct ioasid_pages *pages;
	unsigned long pgoff;
	int prot;
	unsigned long uaddr;
	bool uaddr_invalid;
	struct list_head link;
};

/**
 * struct ioasid_allowed - one range of ALLOW_IOVAS
 * @node: [first, last] IOVA in ioas->allowed
 */
struct ioasid_allowed {
	struct interval_tree_node node;
};

static inline unsigned long ioasid_area_length(const struct ioasid_area *area)
{
	return area->node.last - area->node.start + 1;
}

struct ioasid_ioas *ioasid_ioas_alloc(struct ioasid_ctx *ictx);
void ioasid_ioas_destroy(struct ioasid_object *obj);
int ioasid_ioas_check_iova(struct ioasid_ioas *ioas, unsigned long iova,
			   unsigned long length);
int ioasid_ioas_map_pages(struct ioasid_ioas *ioas, struct list_head *areas,
			  unsigned long *iova, unsigned long length, bool fixed,
			  unsigned long phase);
int ioasid_ioas_map_batch(struct ioasid_ioas *ioas, struct list_head *areas,
			  u32 *failed);
int ioasid_ioas_unmap(struct ioasid_ioas *ioas, unsigned long iova,
		      unsigned long length, unsigned long *unmapped);
int ioasid_ioas_unmap_batch(struct ioasid_ioas *ioas,
			    const struct ioasid_iova_range *ranges, u32 num,
			    u32 *failed);
unsigned long ioasid_ioas_unmap_all(struct ioasid_ioas *ioas);
int ioasid_ioas_slice(struct ioasid_ioas *ioas, unsigned long iova,
		      unsigned long length, int prot, struct list_head *areas);
void ioasid_free_areas(struct list_head *areas);
int ioasid_allowed_add(struct rb_root_cached *allowed, unsigned long start,
		       unsigned long last);
void ioasid_allowed_free(struct rb_root_cached *allowed);
int ioasid_ioas_set_allowed(struct ioasid_ioas *ioas,
			    struct rb_root_cached *allowed);
int ioasid_ioas_reserve(struct ioasid_ioas *ioas, const void *owner,
			unsigned long start, unsigned long last);
void ioasid_ioas_unreserve(struct ioasid_ioas *ioas, const void *owner);
int ioasid_ioas_fill_domain(struct ioasid_ioas *ioas,
			    struct ioasid_hwpt *hwpt);
int ioasid_area_map_domain(struct ioasid_area *area,
			   struct ioasid_hwpt *hwpt);
void ioasid_area_unmap_domain(struct ioasid_area *area,
			      struct ioasid_hwpt *hwpt);
void ioasid_hwpt_unmap_areas(struct ioasid_hwpt *hwpt, struct list_head *areas);
struct iommu_domain *ioasid_domain_alloc(struct ioasid_device *idev);
void ioasid_domain_free(struct iommu_domain *domain);
struct ioasid_hwpt *ioasid_hwpt_alloc(struct ioasid_device *idev);
int ioasid_hwpt_install(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt);
int ioasid_hwpt_narrow_aperture(struct ioasid_ioas *ioas,
				struct ioasid_hwpt *hwpt);
void ioasid_hwpt_uninstall(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt);
void ioasid_hwpt_free(struct ioasid_hwpt *hwpt);
void ioasid_hwpt_put(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt);
struct ioasid_ioas *ioasid_ioas_get(struct ioasid_ctx *ictx, u32 id);
unsigned int ioasid_ioas_usable_ranges(struct ioasid_ioas *ioas,
				       struct ioasid_iova_range *out,
				       unsigned int max);

bool ioasid_allowed_covers(struct rb_root_cached *allowed, unsigned long start,
			   unsigned long last);
bool ioasid_ioas_iova_usable(struct ioasid_ioas *ioas, unsigned long start,
			     unsigned long last);
unsigned long ioasid_ioas_iova_alignment(struct ioasid_ioas *ioas);

/**
 * struct ioasid_uaddr_request - the areas IOASID_UADDR_SUPPLY gives
 *	addresses to, or IOASID_UADDR_INVALIDATE takes them from, and how
 * @start: the first IOVA of the range
 * @last: its last IOVA
 * @user_va: the new address of @start; with @shift, the offset added to the
 *	old address of each area
 * @shift: every area of the range whose address is invalid gets its old
 *	one plus @user_va; without it, every area of the range gets the
 *	address at its place in the memory at @user_va, and must have none
 * @one: the range is exactly one area
 * @valid: every area of the range must have a valid address, to invalidate
 */
struct ioasid_uaddr_request {
	unsigned long start;
	unsigned long last;
	unsigned long user_va;
	bool shift;
	bool one;
	bool valid;
};

int ioasid_ioas_check_invalidate(struct ioasid_ioas *ioas,
				 const struct ioasid_uaddr_request *req);
unsigned long ioasid_ioas_invalidate_uaddr(struct ioasid_ioas *ioas,
					   const struct ioasid_uaddr_request *req,
					   u64 *length);
int ioasid_ioas_check_supply(struct ioasid_ioas *ioas,
			     const struct ioasid_uaddr_request *req,
			     unsigned long *found);
void ioasid_ioas_supply(struct ioasid_ioas *ioas,
			const struct ioasid_uaddr_request *req);

struct ioasid_mapping;
int ioasid_ioas_read_mappings(struct ioasid_ioas *ioas, unsigned long start,
			      struct ioasid_mapping *out, unsigned int max,
			      unsigned long *next);
int ioasid_cmd_objects(struct ioasid_ucmd *ucmd);
int ioasid_cmd_ioas_mappings(struct ioasid_ucmd *ucmd);

/* nested.c, fault.c and dirty.c */

struct ioasid_fault_queue;

/**
 * struct ioasid_fault_object - a fault object (fault.c)
 * @obj: the object header
 * @queue: its queue, shared with its file
 */
struct ioasid_fault_object {
	struct ioasid_object obj;
	struct ioasid_fault_queue *queue;
};

/**
 * struct ioasid_nested - a nested hwpt: a stage-1 table over an IOAS
 * @obj: the object header
 * @ioas: the IOAS that is stage 2, of which it holds a reference
 * @hwpt: the hwpt of @ioas whose domain is stage 2, of which it is a user
 * @domain: the nested domain
 * @ops: the backend of the devices that may use it
 * @format: enum ioasid_nesting_formats
 * @fault: the queue its stage-1 faults go to, or NULL when they go nowhere
 * @fault_obj: the fault object of @fault, of which it holds a reference
 * @ioas_link: in ioas->nested
 *
 * Attaching a group to it makes the group a user of @hwpt too, and takes
 * a reference of @obj.  Its members never change.
 */
struct ioasid_nested {
	struct ioasid_object obj;
	struct ioasid_ioas *ioas;
	struct ioasid_hwpt *hwpt;
	struct iommu_domain *domain;
	const struct ioasid_device_ops *ops;
	u32 format;
	struct ioasid_fault_queue *fault;
	struct ioasid_object *fault_obj;
	struct list_head ioas_link;
};

/* The domain that translates the DMA of what is attached at @at. */
static inline struct iommu_domain *
ioasid_point_domain(const struct ioasid_attach_point *at)
{
	return at->nested ? at->nested->domain : at->hwpt->domain;
}

int ioasid_cmd_hwpt_alloc(struct ioasid_ucmd *ucmd);
int ioasid_cmd_hwpt_invalidate(struct ioasid_ucmd *ucmd);
void ioasid_nested_destroy(struct ioasid_object *obj);
struct ioasid_nested *ioasid_nested_get(struct ioasid_ctx *ictx, u32 id);
int ioasid_device_check_format(struct ioasid_device *idev, u32 format,
			       u64 *unmet);

int ioasid_cmd_fault_alloc(struct ioasid_ucmd *ucmd);
void ioasid_fault_destroy(struct ioasid_object *obj);
int ioasid_fault_report(struct ioasid_nested *nested,
			struct ioasid_device *idev, u32 pasid, u64 addr,
			u32 flags);
void ioasid_fault_cancel(struct ioasid_fault_queue *q,
			 struct ioasid_device *idev, u32 pasid, bool group);

/**
 * struct ioasid_dirty_bitmap - the bits IOASID_IOAS_DIRTY_BITMAP is filling
 * @iova: the IOVA of bit 0
 * @shift: log2 of the bytes one bit stands for
 * @nbits: the number of bits in @bits
 * @bits: the bitmap, in kernel memory
 */
struct ioasid_dirty_bitmap {
	unsigned long iova;
	unsigned int shift;
	unsigned long nbits;
	unsigned long *bits;
};

void ioasid_dirty_mark(struct ioasid_dirty_bitmap *bitmap, unsigned long iova,
		       unsigned long last);
void ioasid_ioas_mark_writable(struct ioasid_ioas *ioas,
			       struct ioasid_dirty_bitmap *bitmap,
			       unsigned long start, unsigned long last);
void ioasid_dirty_hwpt_installed(struct ioasid_ioas *ioas,
				 struct ioasid_hwpt *hwpt);
void ioasid_dirty_hwpt_uninstalled(struct ioasid_hwpt *hwpt);
int ioasid_cmd_ioas_dirty_tracking(struct ioasid_ucmd *ucmd);
int ioasid_cmd_ioas_dirty_bitmap(struct ioasid_ucmd *ucmd);

/* enable.c */
int ioasid_ioas_check_device(struct ioasid_ioas *ioas,
			     struct ioasid_device *idev, u64 *unmet);
int ioasid_ioas_check_pasid(struct ioasid_ioas *ioas,
			    struct ioasid_device *idev, u32 pasid, u64 *unmet);
bool ioasid_features_allowed(const struct ioasid_features *features,
			     struct rb_root_cached *allowed);
int ioasid_cmd_ioas_enable(struct ioasid_ucmd *ucmd);
int ioasid_cmd_ioas_features(struct ioasid_ucmd *ucmd);

/* live_update.c */
int ioasid_ctx_begin_change(struct ioasid_ctx *ictx);
void ioasid_ctx_end_change(struct ioasid_ctx *ictx);
int ioasid_cmd_take_ownership(struct ioasid_ucmd *ucmd);
int ioasid_cmd_uaddr_invalidate(struct ioasid_ucmd *ucmd);
int ioasid_cmd_uaddr_supply(struct ioasid_ucmd *ucmd);

int ioasid_cmd_ioas_alloc(struct ioasid_ucmd *ucmd);
int ioasid_cmd_ioas_map(struct ioasid_ucmd *ucmd);
int ioasid_cmd_ioas_map_file(struct ioasid_ucmd *ucmd);
int ioasid_cmd_ioas_unmap(struct ioasid_ucmd *ucmd);
int ioasid_cmd_ioas_map_batch(struct ioasid_ucmd *ucmd);
int ioasid_cmd_ioas_unmap_batch(struct ioasid_ucmd *ucmd);
int ioasid_cmd_ioas_copy(struct ioasid_ucmd *ucmd);
int ioasid_cmd_ioas_iova_ranges(struct ioasid_ucmd *ucmd);
int ioasid_cmd_ioas_allow_iovas(struct ioasid_ucmd *ucmd);

#endif /* __IOASID_H */
