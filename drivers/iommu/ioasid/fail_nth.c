// SPDX-License-Identifier: GPL-2.0
/*
 * Failing the Nth allocation or pin, for the selftests
 * (CONFIG_IOMMU_IOASID_TEST).
 *
 * Every allocation and page pin ioasid makes for a command, and every call
 * into the IOMMU core that allocates, first asks ioasid_should_fail().
 * Writing N to debugfs ioasid/fail_nth makes the Nth such call of the
 * writing task fail; reading gives the calls still to go before it, 0 once
 * the failure happened or when nothing is armed.  One task at a time is
 * armed.  This works on kernels without CONFIG_FAULT_INJECTION.  Where the
 * kernel has it, the same calls also count towards the task's own
 * /proc/self/task/TID/fail-nth, besides every slab and page allocation of
 * the kernel.
 */
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/fs.h>
#include <linux/kstrtox.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/spinlock.h>

#include "ioasid.h"

/* Protects the armed task and its count. */
static DEFINE_SPINLOCK(ioasid_fail_lock);
static struct pid *ioasid_fail_pid;
static unsigned int ioasid_fail_nth;

#ifdef CONFIG_FAULT_INJECTION
/* Only the task's fail-nth drives it: probability 0, and quiet. */
static DECLARE_FAULT_ATTR(ioasid_fault_attr);

static bool ioasid_kernel_should_fail(void)
{
	return should_fail(&ioasid_fault_attr, 1);
}
#else
static bool ioasid_kernel_should_fail(void)
{
	return false;
}
#endif

static bool ioasid_fail_nth_hit(void)
{
	bool fail = false;

	if (!READ_ONCE(ioasid_fail_nth))
		return false;
	spin_lock(&ioasid_fail_lock);
	if (ioasid_fail_nth && ioasid_fail_pid == task_pid(current)) {
		WRITE_ONCE(ioasid_fail_nth, ioasid_fail_nth - 1);
		fail = !ioasid_fail_nth;
	}
	spin_unlock(&ioasid_fail_lock);
	return fail;
}

/**
 * ioasid_should_fail() - whether the caller must fail as if out of memory
 *
 * Return: true when a test asked for this allocation or pin to fail.
 */
bool ioasid_should_fail(void)
{
	return ioasid_fail_nth_hit() || ioasid_kernel_should_fail();
}

/* The calls of the armed task still to go before the failure. */
static unsigned int ioasid_fail_nth_left(void)
{
	return READ_ONCE(ioasid_fail_nth);
}

/* Make the @nth call of the current task fail; 0 disarms. */
static void ioasid_fail_nth_arm(unsigned int nth)
{
	struct pid *old;

	spin_lock(&ioasid_fail_lock);
	old = ioasid_fail_pid;
	ioasid_fail_pid = nth ? get_pid(task_pid(current)) : NULL;
	WRITE_ONCE(ioasid_fail_nth, nth);
	spin_unlock(&ioasid_fail_lock);
	put_pid(old);
}

/* Like /proc/PID/fail-nth: no allocation, and pread()/pwrite() work. */
static ssize_t ioasid_fail_nth_read(struct file *file, char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	char buf[16];
	int len;

	len = scnprintf(buf, sizeof(buf), "%u\n", ioasid_fail_nth_left());
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static ssize_t ioasid_fail_nth_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	unsigned int nth;
	int rc;

	rc = kstrtouint_from_user(ubuf, count, 0, &nth);
	if (rc)
		return rc;
	ioasid_fail_nth_arm(nth);
	return count;
}

static const struct file_operations ioasid_fail_nth_fops = {
	.owner = THIS_MODULE,
	.read = ioasid_fail_nth_read,
	.write = ioasid_fail_nth_write,
	.llseek = default_llseek,
};

/**
 * ioasid_fail_nth_init() - create the fail_nth knob
 * @dir: the module's debugfs directory
 */
void ioasid_fail_nth_init(struct dentry *dir)
{
#ifdef CONFIG_FAULT_INJECTION
	/* should_fail_ex(), which takes FAULT_NOWARN, is not exported. */
	ioasid_fault_attr.verbose = 0;
#endif
	debugfs_create_file("fail_nth", 0600, dir, NULL, &ioasid_fail_nth_fops);
}

/**
 * ioasid_fail_nth_exit() - forget the armed task
 */
void ioasid_fail_nth_exit(void)
{
	ioasid_fail_nth_arm(0);
}
