// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid: an IOMMU file descriptor for user space
 *
 * /dev/ioasid is a misc device.  Each open is a context: the container for
 * everything that file creates, released as a whole when the file is closed,
 * whether by close() or by the death of its process.  The file holds
 * a reference on this module, so the module cannot be unloaded while any
 * context exists.
 *
 * Module-wide counters of live objects are exported in debugfs so that tests
 * can prove every release path gives back what the matching create took.
 */

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/seq_file.h>

/* Live contexts of all files; read through debugfs ioasid/counters. */
static atomic_long_t ioasid_nr_contexts;

static struct dentry *ioasid_debugfs_dir;

static int ioasid_fops_open(struct inode *inode, struct file *filp)
{
	atomic_long_inc(&ioasid_nr_contexts);
	return 0;
}

static int ioasid_fops_release(struct inode *inode, struct file *filp)
{
	atomic_long_dec(&ioasid_nr_contexts);
	return 0;
}

static const struct file_operations ioasid_fops = {
	.owner = THIS_MODULE,
	.open = ioasid_fops_open,
	.release = ioasid_fops_release,
	.llseek = noop_llseek,
};

static struct miscdevice ioasid_misc_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ioasid",
	.fops = &ioasid_fops,
	.mode = 0600,
};

static int ioasid_counters_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "contexts %ld\n", atomic_long_read(&ioasid_nr_contexts));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ioasid_counters);

static int __init ioasid_init(void)
{
	int rc;

	rc = misc_register(&ioasid_misc_dev);
	if (rc)
		return rc;

	ioasid_debugfs_dir = debugfs_create_dir("ioasid", NULL);
	debugfs_create_file("counters", 0400, ioasid_debugfs_dir, NULL,
			    &ioasid_counters_fops);
	return 0;
}

static void __exit ioasid_exit(void)
{
	debugfs_remove_recursive(ioasid_debugfs_dir);
	misc_deregister(&ioasid_misc_dev);
}

module_init(ioasid_init);
module_exit(ioasid_exit);

MODULE_DESCRIPTION("IOMMU file descriptor for user space (/dev/ioasid)");
MODULE_LICENSE("GPL");
