// SPDX-License-Identifier: GPL-2.0
/*
 * Fault objects: the stage-1 faults of nested hwpts, queued for user space.
 *
 * A fault object is an object of the context and a file: the object is what
 * IOASID_HWPT_ALLOC names, the file what the VMM reads records from and
 * writes answers to.  Both hold the queue (struct ioasid_fault_queue),
 * which lives until the last of them goes, so that a file outliving its
 * context can still be read.
 *
 * A page request waits in the queue's pending table, by cookie, until it is
 * answered: by the VMM, or by the kernel when its device leaves the nested
 * hwpt (ioasid_fault_cancel()), when the file is closed, or at once when it
 * is lost.  Waiting requests are bounded by the queue's depth too.
 *
 * Locking: queue->lock guards everything of the queue; it nests inside the
 * context's attach_lock (faults are reported and cancelled under it) and
 * is held across the backend's page_response.  A device's page requests
 * are all answered before it leaves a nested hwpt, under this lock, so the
 * device a waiting request names is alive while the lock is held.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <uapi/linux/ioasid.h>

#include "ioasid.h"
#include "trace.h"

#define FAULT_MAX_DEPTH 65536
/* Records copied out by one pass of read(). */
#define FAULT_READ_BATCH 8

/**
 * struct ioasid_fault_queue - what a fault object and its file share
 * @kref: one for the object, one for the file
 * @lock: guards the rest
 * @records: the struct fault_record queued, oldest first
 * @queued: their number, at most @depth
 * @depth: the room of the queue, and of @pending
 * @lost: the faults lost since the last one queued
 * @pending: the struct fault_pending of every page request waiting for an
 *	answer, by cookie
 * @next_cookie: where the search for a free cookie starts: cookies go
 *	round, so that a late answer to a request the kernel answered does
 *	not answer the next one
 * @nr_pending: their number
 * @closed: the file is closed: faults are lost, unanswered
 * @wait: readers and pollers wait here for a record
 */
struct ioasid_fault_queue {
	struct kref kref;
	struct mutex lock; /* guards the queue */
	struct list_head records;
	unsigned int queued;
	unsigned int depth;
	u32 lost;
	struct xarray pending;
	u32 next_cookie;
	unsigned int nr_pending;
	bool closed;
	wait_queue_head_t wait;
};

/**
 * struct fault_record - a fault in the queue
 * @link: in queue->records
 * @lost_before: faults lost just before this one
 * @fault: the record, as read()
 */
struct fault_record {
	struct list_head link;
	u32 lost_before;
	struct ioasid_fault fault;
};

/**
 * struct fault_pending - a page request waiting for an answer
 * @idev: the device that waits
 * @pasid: the PASID its DMA was tagged with, or 0
 */
struct fault_pending {
	struct ioasid_device *idev;
	u32 pasid;
};

static void fault_queue_release(struct kref *kref)
{
	struct ioasid_fault_queue *q = container_of(kref,
						    struct ioasid_fault_queue,
						    kref);
	struct fault_record *rec, *next;

	list_for_each_entry_safe(rec, next, &q->records, link)
		kfree(rec);
	WARN_ON(!xa_empty(&q->pending));
	xa_destroy(&q->pending);
	mutex_destroy(&q->lock);
	kfree(q);
	ioasid_count(IOASID_CNT_FAULTS, -1);
}

static void fault_queue_put(struct ioasid_fault_queue *q)
{
	kref_put(&q->kref, fault_queue_release);
}

/* Answer the page request @cookie with @code; under q->lock. */
static void fault_answer(struct ioasid_fault_queue *q, unsigned long cookie,
			 u32 code)
{
	struct fault_pending *p = xa_erase(&q->pending, cookie);

	trace_ioasid_fault_response(p->idev->obj.id, p->pasid, cookie, code);
	p->idev->ops->page_response(p->idev, p->pasid, code);
	q->nr_pending--;
	kfree(p);
}

/* Queue @rec, and for a page request wait for its answer; under q->lock. */
static int fault_queue_add(struct ioasid_fault_queue *q,
			   struct fault_record *rec, struct ioasid_device *idev)
{
	struct xa_limit limit = XA_LIMIT(1, U32_MAX);
	struct fault_pending *p;
	u32 cookie;
	int rc;

	if (rec->fault.flags & IOASID_FAULT_PAGE_REQUEST) {
		if (q->nr_pending >= q->depth)
			return -ENOSPC;
		p = ioasid_kzalloc(sizeof(*p));
		if (!p)
			return -ENOMEM;
		p->idev = idev;
		p->pasid = rec->fault.pasid;
		rc = ioasid_should_fail() ? -ENOMEM :
		     xa_alloc_cyclic(&q->pending, &cookie, p, limit,
				     &q->next_cookie, GFP_KERNEL_ACCOUNT);
		if (rc > 0)
			rc = 0;
		if (rc) {
			kfree(p);
			return rc;
		}
		q->nr_pending++;
		rec->fault.cookie = cookie;
	}
	rec->lost_before = q->lost;
	q->lost = 0;
	list_add_tail(&rec->link, &q->records);
	q->queued++;
	wake_up_interruptible(&q->wait);
	return 0;
}

/* Queue a fault, or count it lost; under q->lock. */
static int fault_queue_one(struct ioasid_fault_queue *q,
			   const struct ioasid_fault *fault,
			   struct ioasid_device *idev)
{
	struct fault_record *rec;
	int rc;

	if (q->closed)
		return -ENODEV;
	rc = -ENOSPC;
	if (q->queued < q->depth) {
		rc = -ENOMEM;
		rec = ioasid_kzalloc(sizeof(*rec));
		if (rec) {
			rec->fault = *fault;
			rc = fault_queue_add(q, rec, idev);
			if (rc)
				kfree(rec);
		}
	}
	if (rc)
		q->lost++;
	return rc;
}

/**
 * ioasid_fault_report() - report a stage-1 fault of a nested hwpt
 * @nested: the nested hwpt the DMA went through
 * @idev: the device; the caller holds its context's attach_lock, and the
 *	device is attached to @nested
 * @pasid: the PASID the DMA was tagged with, or 0
 * @addr: the stage-1 IOVA that faulted
 * @flags: enum ioasid_fault_flags: READ or WRITE, PASID, PAGE_REQUEST
 *
 * Return: 0 when the fault is queued: a page request then waits for its
 * answer.  Otherwise the fault went nowhere (-ENODEV: the hwpt has no fault
 * object, or its file is closed) or was lost (-ENOSPC: the queue is full,
 * or -ENOMEM), and a page request was answered
 * IOASID_FAULT_RESPONSE_INVALID.
 */
int ioasid_fault_report(struct ioasid_nested *nested,
			struct ioasid_device *idev, u32 pasid, u64 addr,
			u32 flags)
{
	struct ioasid_fault_queue *q = nested->fault;
	struct ioasid_fault fault = {
		.flags = flags,
		.dev_id = idev->obj.id,
		.hwpt_id = nested->obj.id,
		.pasid = pasid,
		.addr = addr,
	};
	int rc = -ENODEV;

	lockdep_assert_held(&idev->ictx->attach_lock);

	if (q) {
		mutex_lock(&q->lock);
		rc = fault_queue_one(q, &fault, idev);
		mutex_unlock(&q->lock);
	}
	trace_ioasid_fault_report(&fault, rc);
	if (rc && (flags & IOASID_FAULT_PAGE_REQUEST)) {
		/* Answered at once, never queued: it has no cookie. */
		trace_ioasid_fault_response(idev->obj.id, pasid, 0,
					    IOASID_FAULT_RESPONSE_INVALID);
		idev->ops->page_response(idev, pasid,
					 IOASID_FAULT_RESPONSE_INVALID);
	}
	return rc;
}

/**
 * ioasid_fault_cancel() - answer the page requests of what leaves a hwpt
 * @q: the fault queue of the nested hwpt
 * @idev: the device whose requests are answered; with @group, every
 *	device of its group
 * @pasid: the PASID of the requests, or 0 for the untagged ones
 * @group: the whole group of @idev leaves
 *
 * Each is answered IOASID_FAULT_RESPONSE_INVALID, and its cookie answers
 * no more.  Every device of a request waiting is attached to the hwpt:
 * this is called before a device leaves it, so no request outlives its
 * device.
 */
void ioasid_fault_cancel(struct ioasid_fault_queue *q,
			 struct ioasid_device *idev, u32 pasid, bool group)
{
	struct fault_pending *p;
	unsigned long cookie;

	mutex_lock(&q->lock);
	xa_for_each(&q->pending, cookie, p) {
		if (p->pasid != pasid)
			continue;
		if (p->idev == idev ||
		    (group && p->idev->group_id == idev->group_id))
			fault_answer(q, cookie, IOASID_FAULT_RESPONSE_INVALID);
	}
	mutex_unlock(&q->lock);
}

/*
 * Take up to @max records off @q into @out, LOST records in their places;
 * under q->lock.
 */
static size_t fault_take(struct ioasid_fault_queue *q, struct ioasid_fault *out,
			 size_t max)
{
	struct fault_record *rec;
	size_t n = 0;

	while (n < max) {
		rec = list_first_entry_or_null(&q->records, struct fault_record,
					       link);
		if (!rec && !q->lost)
			break;
		if (!rec || rec->lost_before) {
			out[n++] = (struct ioasid_fault){
				.flags = IOASID_FAULT_LOST,
				.lost = rec ? rec->lost_before : q->lost,
			};
			if (rec)
				rec->lost_before = 0;
			else
				q->lost = 0;
			continue;
		}
		out[n++] = rec->fault;
		list_del(&rec->link);
		q->queued--;
		kfree(rec);
	}
	return n;
}

static bool fault_ready(struct ioasid_fault_queue *q)
{
	return !list_empty(&q->records) || q->lost;
}

static ssize_t fault_fops_read(struct file *filp, char __user *buf,
			       size_t count, loff_t *ppos)
{
	struct ioasid_fault_queue *q = filp->private_data;
	struct ioasid_fault batch[FAULT_READ_BATCH];
	size_t max = min_t(size_t, count / sizeof(batch[0]),
			   ARRAY_SIZE(batch));
	size_t n;
	int rc;

	if (!max)
		return -EINVAL;
	for (;;) {
		mutex_lock(&q->lock);
		n = fault_take(q, batch, max);
		mutex_unlock(&q->lock);
		if (n)
			break;
		if (filp->f_flags & O_NONBLOCK)
			return -EAGAIN;
		rc = wait_event_interruptible(q->wait, fault_ready(q));
		if (rc)
			return rc;
	}
	/* Records that cannot be written are lost. */
	if (copy_to_user(buf, batch, n * sizeof(batch[0])))
		return -EFAULT;
	return n * sizeof(batch[0]);
}

static ssize_t fault_fops_write(struct file *filp, const char __user *buf,
				size_t count, loff_t *ppos)
{
	struct ioasid_fault_queue *q = filp->private_data;
	struct ioasid_fault_response resp;
	size_t done = 0;
	int rc = 0;

	if (count % sizeof(resp))
		return -EINVAL;
	while (done < count) {
		if (copy_from_user(&resp, buf + done, sizeof(resp))) {
			rc = -EFAULT;
			break;
		}
		if (resp.code != IOASID_FAULT_RESPONSE_SUCCESS &&
		    resp.code != IOASID_FAULT_RESPONSE_INVALID) {
			rc = -EINVAL;
			break;
		}
		mutex_lock(&q->lock);
		rc = xa_load(&q->pending, resp.cookie) ? 0 : -EINVAL;
		if (!rc)
			fault_answer(q, resp.cookie, resp.code);
		mutex_unlock(&q->lock);
		if (rc)
			break;
		done += sizeof(resp);
	}
	return done ? done : rc;
}

static __poll_t fault_fops_poll(struct file *filp,
				struct poll_table_struct *wait)
{
	struct ioasid_fault_queue *q = filp->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(filp, &q->wait, wait);
	mutex_lock(&q->lock);
	if (fault_ready(q))
		mask |= EPOLLIN | EPOLLRDNORM;
	mutex_unlock(&q->lock);
	return mask;
}

/* The file goes: what waits is answered, and nothing is queued any more. */
static int fault_fops_release(struct inode *inode, struct file *filp)
{
	struct ioasid_fault_queue *q = filp->private_data;
	struct fault_pending *p;
	unsigned long cookie;

	mutex_lock(&q->lock);
	q->closed = true;
	xa_for_each(&q->pending, cookie, p)
		fault_answer(q, cookie, IOASID_FAULT_RESPONSE_INVALID);
	mutex_unlock(&q->lock);
	fault_queue_put(q);
	return 0;
}

static const struct file_operations ioasid_fault_fops = {
	.owner = THIS_MODULE,
	.read = fault_fops_read,
	.write = fault_fops_write,
	.poll = fault_fops_poll,
	.release = fault_fops_release,
};

static struct ioasid_fault_queue *fault_queue_alloc(u32 depth)
{
	struct ioasid_fault_queue *q;

	q = ioasid_kzalloc(sizeof(*q));
	if (!q)
		return NULL;
	kref_init(&q->kref);
	mutex_init(&q->lock);
	INIT_LIST_HEAD(&q->records);
	q->depth = depth;
	xa_init_flags(&q->pending, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	init_waitqueue_head(&q->wait);
	ioasid_count(IOASID_CNT_FAULTS, 1);
	return q;
}

/* The file of @q, holding a reference of it, at a new descriptor. */
static struct file *fault_file_open(struct ioasid_fault_queue *q, int *fd)
{
	struct file *file;

	*fd = get_unused_fd_flags(O_CLOEXEC);
	if (*fd < 0)
		return ERR_PTR(*fd);
	file = ioasid_should_fail() ? ERR_PTR(-ENOMEM) :
	       anon_inode_getfile("[ioasid-fault]", &ioasid_fault_fops, q,
				  O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(*fd);
		return file;
	}
	kref_get(&q->kref);
	return file;
}

int ioasid_cmd_fault_alloc(struct ioasid_ucmd *ucmd)
{
	struct ioasid_fault_alloc *cmd = ucmd->cmd;
	struct ioasid_fault_object *fobj;
	struct ioasid_object *obj;
	struct file *file;
	int fd, rc;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || !cmd->depth || cmd->depth > FAULT_MAX_DEPTH)
		return -EINVAL;
	obj = ioasid_object_alloc(ucmd->ictx, sizeof(*fobj), IOASID_OBJ_FAULT);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	fobj = container_of(obj, struct ioasid_fault_object, obj);
	fobj->queue = fault_queue_alloc(cmd->depth);
	if (!fobj->queue) {
		rc = -ENOMEM;
		goto out_abort;
	}
	file = fault_file_open(fobj->queue, &fd);
	if (IS_ERR(file)) {
		rc = PTR_ERR(file);
		goto out_put_queue;
	}
	cmd->out_fault_id = obj->id;
	cmd->out_fault_fd = fd;
	rc = ioasid_ucmd_respond(ucmd);
	if (rc)
		goto out_put_file;
	ioasid_object_finalize(ucmd->ictx, obj);
	fd_install(fd, file);
	return 0;

out_put_file:
	put_unused_fd(fd);
	fput(file);
out_put_queue:
	fault_queue_put(fobj->queue);
out_abort:
	ioasid_object_abort(ucmd->ictx, obj);
	return rc;
}

/**
 * ioasid_fault_destroy() - a fault object no nested hwpt names goes
 * @obj: its object, out of the table
 *
 * Its file, while open, keeps what is queued.
 */
void ioasid_fault_destroy(struct ioasid_object *obj)
{
	fault_queue_put(container_of(obj, struct ioasid_fault_object,
				     obj)->queue);
}
