// SPDX-License-Identifier: GPL-2.0
/*
 * Failure injection for the selftests (CONFIG_IOMMU_IOASID_TEST).
 *
 * Every allocation and pin ioasid makes on behalf of a command first asks
 * ioasid_should_fail().  Writing N to debugfs ioasid/fail_nth makes the Nth
 * such call of the writing task fail; reading it back gives the calls still
 * to go, 0 once the failure was injected.  This works on kernels without
 * CONFIG_FAULT_INJECTION.  Where the kernel has it, the same calls are also
 * points for the task's /proc/self/task/TID/fail-nth, beside every slab and
 * page allocation of the kernel.
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
	if (ioasid_fail_nth && ioasid_fail_pid == task_pid(current))
		fail = !--ioasid_fail_nth;
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

/* The calls still to go before the failure, for the asking task. */
static unsigned int ioasid_fail_nth_left(void)
{
	unsigned int left;

	spin_lock(&ioasid_fail_lock);
	left = ioasid_fail_pid == task_pid(current) ? ioasid_fail_nth : 0;
	spin_unlock(&ioasid_fail_lock);
	return left;
}

/* Make the @nth call of the current task fail; 0 disarms. */
static void ioasid_fail_nth_arm(unsigned int nth)
{
	struct pid *old;

	spin_lock(&ioasid_fail_lock);
	old = ioasid_fail_pid;
	ioasid_fail_pid = nth ? get_pid(task_pid(current)) : NULL;
	ioasid_fail_nth = nth;
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
 * ioasid_fault_init() - create the fail_nth knob
 * @dir: the module's debugfs directory
 */
void ioasid_fault_init(struct dentry *dir)
{
#ifdef CONFIG_FAULT_INJECTION
	/* Only fail-nth drives it: quiet, and never at random. */
	ioasid_fault_attr.verbose = 0;
#endif
	debugfs_create_file("fail_nth", 0600, dir, NULL, &ioasid_fail_nth_fops);
}

/**
 * ioasid_fault_exit() - forget the armed task
 */
void ioasid_fault_exit(void)
{
	ioasid_fail_nth_arm(0);
}
