/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the ioasid selftests.
 */
#ifndef __SELFTEST_IOASID_UTILS_H
#define __SELFTEST_IOASID_UTILS_H

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/wait.h>

#include <linux/ioasid.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define IOASID_DEV "/dev/ioasid"
#define IOASID_SYSFS_MODULE "/sys/module/ioasid"
#define IOASID_COUNTERS "/sys/kernel/debug/ioasid/counters"

/* The number in the line of /proc/meminfo that @format reads, or -1. */
static inline long ioasid_meminfo(const char *format)
{
	char line[128];
	long n = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, format, &n) == 1)
			break;
	fclose(f);
	return n;
}

/*
 * Read one of the module-wide counters ("contexts", ...) from debugfs.
 * Returns -1 when the file or the counter does not exist.
 */
static inline long ioasid_counter(const char *name)
{
	char key[64];
	long value, found = -1;
	FILE *f;

	f = fopen(IOASID_COUNTERS, "re");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &value) == 2) {
		if (!strcmp(key, name)) {
			found = value;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Read a small text file whole; returns its length or -1. */
static inline int ioasid_read_file(const char *path, char *buf, size_t size)
{
	size_t len;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -1;
	len = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[len] = '\0';
	return len;
}

/*
 * The number of the context open on file @fd of process @pid, from the
 * file's fdinfo; 0 when it is no context.
 */
static inline unsigned long long ioasid_fd_context(int pid, int fd)
{
	unsigned long long serial = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "ioasid-context: %llu", &serial) == 1)
			break;
	fclose(f);
	return serial;
}

/*
 * Run the program @argv[0] with @argv (NULL-terminated); what it writes
 * to its standard output, NUL-terminated, in *@out, to free().  Returns
 * its exit status, or -1 when it could not be run or did not exit.
 */
static inline int ioasid_run_program(const char *const *argv, char **out)
{
	size_t len = 0, size = 4096;
	int pipefd[2], status;
	char *buf, *more;
	ssize_t n;
	pid_t pid;

	*out = NULL;
	buf = malloc(size);
	if (!buf || pipe2(pipefd, O_CLOEXEC)) {
		free(buf);
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (!pid) {
		dup2(pipefd[1], 1);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (pid > 0 && (n = read(pipefd[0], buf + len, size - len - 1)) > 0) {
		len += n;
		if (size - len > 1)
			continue;
		more = realloc(buf, 2 * size);
		if (!more)
			break;
		buf = more;
		size *= 2;
	}
	close(pipefd[0]);
	buf[len] = 0;
	*out = buf;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* How many times @needle is in the kernel log. */
static inline int klog_count(const char *needle)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	const char *p;
	int len, n = 0;
	char *buf;

	if (size <= 0)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (len > 0) {
		buf[len] = '\0';
		for (p = strstr(buf, needle); p; p = strstr(p + 1, needle))
			n++;
	}
	free(buf);
	return n;
}

/* Is @needle in the kernel log? */
static inline bool klog_contains(const char *needle)
{
	return klog_count(needle) > 0;
}

/* The huge pages of the default size in the pool, or -1. */
static inline long ioasid_huge_pool(void)
{
	char buf[32];

	if (ioasid_read_file("/proc/sys/vm/nr_hugepages", buf, sizeof(buf)) < 0)
		return -1;
	return atol(buf);
}

/* Make the pool @n huge pages (as many as the kernel finds); 0 or -1. */
static inline int ioasid_set_huge_pool(long n)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "we");
	int rc;

	if (!f)
		return -1;
	rc = fprintf(f, "%ld\n", n) < 0;
	return fclose(f) || rc ? -1 : 0;
}

/* The module's reference count from sysfs, or -1. */
static inline long ioasid_module_refcnt(void)
{
	char buf[32];

	if (ioasid_read_file(IOASID_SYSFS_MODULE "/refcnt", buf, sizeof(buf)) < 0)
		return -1;
	return strtol(buf, NULL, 10);
}

/* The module-wide counters, all at once. */
struct ioasid_counters {
	long contexts;
	long objects;
	long pinned_pages;
	long accounted_pages;
	long domains;
	long pasids;
	long sva_binds;
	long shares;
	long nested;
	long faults;
};

/* Every counter: its name in the counters file, and its field. */
static const struct {
	const char *name;
	size_t offset;
} ioasid_counter_fields[] = {
	{ "contexts", offsetof(struct ioasid_counters, contexts) },
	{ "objects", offsetof(struct ioasid_counters, objects) },
	{ "pinned_pages", offsetof(struct ioasid_counters, pinned_pages) },
	{ "accounted_pages", offsetof(struct ioasid_counters, accounted_pages) },
	{ "domains", offsetof(struct ioasid_counters, domains) },
	{ "pasids", offsetof(struct ioasid_counters, pasids) },
	{ "sva_binds", offsetof(struct ioasid_counters, sva_binds) },
	{ "shares", offsetof(struct ioasid_counters, shares) },
	{ "nested", offsetof(struct ioasid_counters, nested) },
	{ "faults", offsetof(struct ioasid_counters, faults) },
};

static inline long *ioasid_counter_field(struct ioasid_counters *c, size_t i)
{
	return (long *)((char *)c + ioasid_counter_fields[i].offset);
}

static inline long ioasid_counter_value(const struct ioasid_counters *c,
					size_t i)
{
	return *(const long *)((const char *)c + ioasid_counter_fields[i].offset);
}

/*
 * Fill @c from the text of the counters file ("name value" lines); -1
 * unless the text names every counter.
 */
static inline int ioasid_parse_counters(const char *text,
					struct ioasid_counters *c)
{
	unsigned int found = 0;
	char key[64];
	long value;
	size_t i;
	int n;

	while (sscanf(text, "%63s %ld%n", key, &value, &n) == 2) {
		for (i = 0; i < ARRAY_SIZE(ioasid_counter_fields); i++) {
			if (strcmp(key, ioasid_counter_fields[i].name))
				continue;
			*ioasid_counter_field(c, i) = value;
			found |= 1U << i;
		}
		text += n;
	}
	return found == (1U << ARRAY_SIZE(ioasid_counter_fields)) - 1 ? 0 : -1;
}

/* The module-wide counters, all at once: one read of the file. */
static inline int ioasid_read_counters(struct ioasid_counters *c)
{
	char text[1024];

	if (ioasid_read_file(IOASID_COUNTERS, text, sizeof(text)) < 0)
		return -1;
	return ioasid_parse_counters(text, c);
}

/*
 * Whether @a and @b are the same counters; each one that differs is
 * printed, as a TAP comment, for the failure it makes to say which.
 */
static inline bool ioasid_counters_equal(const struct ioasid_counters *a,
					 const struct ioasid_counters *b)
{
	bool equal = true;
	long x, y;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ioasid_counter_fields); i++) {
		x = ioasid_counter_value(a, i);
		y = ioasid_counter_value(b, i);
		if (x == y)
			continue;
		printf("# counter %s: %ld, then %ld\n",
		       ioasid_counter_fields[i].name, x, y);
		equal = false;
	}
	return equal;
}

/*
 * Thin wrappers of the commands: each returns 0 or -errno, so that a test
 * reads ASSERT_EQ(-EEXIST, ioas_map(...)).
 */
static inline int ioasid_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int ioasid_destroy(int fd, __u32 id)
{
	struct ioasid_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioasid_ioctl(fd, IOASID_DESTROY, &cmd);
}

static inline int ioas_alloc(int fd, __u32 *ioas_id)
{
	struct ioasid_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc;

	rc = ioasid_ioctl(fd, IOASID_IOAS_ALLOC, &cmd);
	*ioas_id = cmd.out_ioas_id;
	return rc;
}

#define MAP_RW (IOASID_IOAS_MAP_READABLE | IOASID_IOAS_MAP_WRITEABLE)
#define MAP_FIXED_RW (IOASID_IOAS_MAP_FIXED_IOVA | MAP_RW)

/* Map at *iova with IOASID_IOAS_MAP_FIXED_IOVA, or set *iova. */
static inline int ioas_map(int fd, __u32 ioas_id, const void *va, __u64 length,
			   __u64 *iova, __u32 flags)
{
	struct ioasid_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.user_va = (__u64)(uintptr_t)va,
		.length = length,
		.iova = *iova,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_IOAS_MAP, &cmd);
	*iova = cmd.iova;
	return rc;
}

/* Map @length bytes of file @file_fd from @start; *@iova as for ioas_map(). */
static inline int ioas_map_file(int fd, __u32 ioas_id, int file_fd,
				__u64 start, __u64 length, __u64 *iova,
				__u32 flags)
{
	struct ioasid_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.fd = file_fd,
		.start = start,
		.length = length,
		.iova = *iova,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_IOAS_MAP_FILE, &cmd);
	*iova = cmd.iova;
	return rc;
}

static inline int ioas_unmap(int fd, __u32 ioas_id, __u64 iova, __u64 length,
			     __u64 *unmapped)
{
	struct ioasid_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_IOAS_UNMAP, &cmd);
	if (unmapped)
		*unmapped = cmd.length;
	return rc;
}

/* IOASID_IOAS_MAP_BATCH or UNMAP_BATCH of @num ranges; sets *@failed. */
static inline int ioas_batch(int fd, unsigned long cmd, __u32 ioas_id,
			     const struct ioasid_batch_range *ranges,
			     __u32 num, __u32 *failed)
{
	struct ioasid_ioas_batch batch = {
		.size = sizeof(batch),
		.ioas_id = ioas_id,
		.num = num,
		.ranges = (__u64)(uintptr_t)ranges,
		.out_failed = UINT32_MAX,
	};
	int rc;

	rc = ioasid_ioctl(fd, cmd, &batch);
	*failed = batch.out_failed;
	return rc;
}

static inline int ioas_map_batch(int fd, __u32 ioas_id,
				 const struct ioasid_batch_range *ranges,
				 __u32 num, __u32 *failed)
{
	return ioas_batch(fd, IOASID_IOAS_MAP_BATCH, ioas_id, ranges, num,
			  failed);
}

static inline int ioas_unmap_batch(int fd, __u32 ioas_id,
				   const struct ioasid_batch_range *ranges,
				   __u32 num, __u32 *failed)
{
	return ioas_batch(fd, IOASID_IOAS_UNMAP_BATCH, ioas_id, ranges, num,
			  failed);
}

static inline int ioas_unmap_all(int fd, __u32 ioas_id, __u64 *unmapped)
{
	struct ioasid_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_IOAS_UNMAP_ALL,
		.ioas_id = ioas_id,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_IOAS_UNMAP, &cmd);
	if (unmapped)
		*unmapped = cmd.length;
	return rc;
}

static inline int ioas_copy(int fd, __u32 dst_id, __u32 src_id, __u64 length,
			    __u64 *dst_iova, __u64 src_iova, __u32 flags)
{
	struct ioasid_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst_id,
		.src_ioas_id = src_id,
		.length = length,
		.dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_IOAS_COPY, &cmd);
	*dst_iova = cmd.dst_iova;
	return rc;
}

static inline int ioas_allow_iovas(int fd, __u32 ioas_id,
				   const struct ioasid_iova_range *ranges,
				   __u32 num)
{
	struct ioasid_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = num,
		.allowed_iovas = (__u64)(uintptr_t)ranges,
	};

	return ioasid_ioctl(fd, IOASID_IOAS_ALLOW_IOVAS, &cmd);
}

static inline int ioas_info(int fd, __u32 ioas_id, struct ioasid_ioas_info *info)
{
	*info = (struct ioasid_ioas_info){
		.size = sizeof(*info),
		.ioas_id = ioas_id,
	};
	return ioasid_ioctl(fd, IOASID_IOAS_INFO, info);
}

/* Fill @ranges (room for *@num); *@num is set to the number of ranges. */
static inline int ioas_iova_ranges(int fd, __u32 ioas_id,
				   struct ioasid_iova_range *ranges, __u32 *num)
{
	struct ioasid_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = *num,
		.allowed_iovas = (__u64)(uintptr_t)ranges,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_IOAS_IOVA_RANGES, &cmd);
	*num = cmd.num_iovas;
	return rc;
}

/* The alignment IOVA_RANGES reports for every mapping of an IOAS, or 0. */
static inline __u64 ioas_iova_alignment(int fd, __u32 ioas_id)
{
	struct ioasid_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_IOAS_IOVA_RANGES, &cmd);
	return rc && rc != -EMSGSIZE ? 0 : cmd.out_iova_alignment;
}

/* DEVICE_INFO, with room for @room reserved regions at @regions. */
static inline int device_info_resv(int fd, __u32 dev_id,
				   struct ioasid_device_info *info,
				   struct ioasid_iova_range *regions,
				   __u32 room)
{
	*info = (struct ioasid_device_info){
		.size = sizeof(*info),
		.dev_id = dev_id,
		.num_resv_regions = room,
		.resv_regions = (__u64)(uintptr_t)regions,
	};
	return ioasid_ioctl(fd, IOASID_DEVICE_INFO, info);
}

static inline int device_info(int fd, __u32 dev_id,
			      struct ioasid_device_info *info)
{
	return device_info_resv(fd, dev_id, info, NULL, 0);
}

static inline int device_attach(int fd, __u32 dev_id, __u32 ioas_id,
				__u32 flags, __u64 *unmet)
{
	struct ioasid_device_attach cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.ioas_id = ioas_id,
		.out_unmet = ~0ULL,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_DEVICE_ATTACH, &cmd);
	if (unmet)
		*unmet = cmd.out_unmet;
	return rc;
}

static inline int detach(int fd, __u32 dev_id)
{
	struct ioasid_device_detach cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
	};

	return ioasid_ioctl(fd, IOASID_DEVICE_DETACH, &cmd);
}

/* Attach @pasid of @dev_id to @ioas_id (@flags: REPLACE). */
static inline int attach_pasid(int fd, __u32 dev_id, __u32 pasid,
			       __u32 ioas_id, __u32 flags, __u64 *unmet)
{
	struct ioasid_device_attach cmd = {
		.size = sizeof(cmd),
		.flags = flags | IOASID_DEVICE_ATTACH_PASID,
		.dev_id = dev_id,
		.ioas_id = ioas_id,
		.out_unmet = ~0ULL,
		.pasid = pasid,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_DEVICE_ATTACH, &cmd);
	if (unmet)
		*unmet = cmd.out_unmet;
	return rc;
}

static inline int detach_pasid(int fd, __u32 dev_id, __u32 pasid)
{
	struct ioasid_device_detach cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_DEVICE_DETACH_PASID,
		.dev_id = dev_id,
		.pasid = pasid,
	};

	return ioasid_ioctl(fd, IOASID_DEVICE_DETACH, &cmd);
}

/* Share @dev_id with @mode; @minor gets its node's minor (may be NULL). */
static inline int device_share(int fd, __u32 dev_id, __u32 mode, __u32 *minor)
{
	struct ioasid_device_share cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.mode = mode,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_DEVICE_SHARE, &cmd);
	if (minor)
		*minor = cmd.out_minor;
	return rc;
}

static inline int device_unshare(int fd, __u32 dev_id)
{
	struct ioasid_device_share cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_DEVICE_SHARE_STOP,
		.dev_id = dev_id,
	};

	return ioasid_ioctl(fd, IOASID_DEVICE_SHARE, &cmd);
}

/* Bind the caller's address space through the open node @nodefd. */
static inline int sva_bind(int nodefd, __u32 *pasid)
{
	struct ioasid_sva_bind cmd = { .size = sizeof(cmd) };
	int rc;

	rc = ioasid_ioctl(nodefd, IOASID_SVA_BIND, &cmd);
	if (pasid)
		*pasid = cmd.out_pasid;
	return rc;
}

static inline int sva_unbind(int nodefd)
{
	struct ioasid_sva_unbind cmd = { .size = sizeof(cmd) };

	return ioasid_ioctl(nodefd, IOASID_SVA_UNBIND, &cmd);
}

/*
 * IOASID_HWPT_ALLOC of a nested hwpt in @format over @ioas_id for @dev_id,
 * with @data_len bytes of the format's data at @data, and the faults of
 * stage 1 going to @fault_id (0: none); *@hwpt_id and *@unmet (either may
 * be NULL) get out_hwpt_id and out_unmet.
 */
static inline int hwpt_alloc(int fd, __u32 dev_id, __u32 ioas_id,
			     __u32 format, __u32 fault_id, const void *data,
			     __u32 data_len, __u32 *hwpt_id, __u64 *unmet)
{
	struct ioasid_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.ioas_id = ioas_id,
		.format = format,
		.fault_id = fault_id,
		.data_len = data_len,
		.data = (__u64)(uintptr_t)data,
		.out_unmet = ~0ULL,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_HWPT_ALLOC, &cmd);
	if (hwpt_id)
		*hwpt_id = cmd.out_hwpt_id;
	if (unmet)
		*unmet = cmd.out_unmet;
	return rc;
}

/*
 * IOASID_HWPT_INVALIDATE of *@entry_num entries of @entry_len bytes at
 * @entries; *@entry_num gets the number done, *@error (may be NULL)
 * out_error.
 */
static inline int hwpt_invalidate(int fd, __u32 hwpt_id, const void *entries,
				  __u32 entry_len, __u32 *entry_num,
				  __u32 *error)
{
	struct ioasid_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt_id,
		.entry_len = entry_len,
		.entry_num = *entry_num,
		.entries = (__u64)(uintptr_t)entries,
		.out_error = ~0U,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_HWPT_INVALIDATE, &cmd);
	*entry_num = cmd.entry_num;
	if (error)
		*error = cmd.out_error;
	return rc;
}

/* A fault object whose queue holds @depth faults, and its file. */
static inline int fault_alloc(int fd, __u32 depth, __u32 *fault_id,
			      int *fault_fd)
{
	struct ioasid_fault_alloc cmd = {
		.size = sizeof(cmd),
		.depth = depth,
		.out_fault_fd = -1,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_FAULT_ALLOC, &cmd);
	if (fault_id)
		*fault_id = cmd.out_fault_id;
	if (fault_fd)
		*fault_fd = rc ? -1 : cmd.out_fault_fd;
	return rc;
}

/*
 * IOASID_IOAS_DIRTY_TRACKING with @flags (IOASID_DIRTY_TRACKING_ENABLE to
 * start, 0 to stop); *@mode (may be NULL) gets out_mode.
 */
static inline int ioas_dirty_tracking(int fd, __u32 ioas_id, __u32 flags,
				      __u32 *mode)
{
	struct ioasid_ioas_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.out_mode = ~0U,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_IOAS_DIRTY_TRACKING, &cmd);
	if (mode)
		*mode = cmd.out_mode;
	return rc;
}

/*
 * Read the dirty bits of [@iova, @iova + @length) of @ioas_id, one bit per
 * @page_size, into @bitmap, with @flags (IOASID_DIRTY_BITMAP_NO_CLEAR);
 * *@mode (may be NULL) gets out_mode.
 */
static inline int ioas_dirty_bitmap(int fd, __u32 ioas_id, __u32 flags,
				    __u64 iova, __u64 length, __u64 page_size,
				    __u64 *bitmap, __u32 *mode)
{
	struct ioasid_ioas_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.out_mode = ~0U,
		.iova = iova,
		.length = length,
		.page_size = page_size,
		.bitmap = (__u64)(uintptr_t)bitmap,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_IOAS_DIRTY_BITMAP, &cmd);
	if (mode)
		*mode = cmd.out_mode;
	return rc;
}

/* Features asking for nothing but a paging domain. */
static inline void features_init(struct ioasid_features *f)
{
	*f = (struct ioasid_features){
		.magic = htole32(IOASID_FEATURES_MAGIC),
		.version = htole16(IOASID_FEATURES_VERSION),
	};
}

static inline void features_add_range(struct ioasid_features *f, __u64 start,
				      __u64 last)
{
	unsigned int n = le16toh(f->num_iova_ranges);

	f->iova_ranges[n].start = htole64(start);
	f->iova_ranges[n].last = htole64(last);
	f->num_iova_ranges = htole16(n + 1);
}

/* ENABLE with @len bytes of @f; *@unmet gets out_unmet. */
static inline int ioas_enable_len(int fd, __u32 ioas_id, const void *f,
				  __u32 len, __u64 *unmet)
{
	struct ioasid_ioas_enable cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.features_len = len,
		.features = (__u64)(uintptr_t)f,
		.out_unmet = ~0ULL,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_IOAS_ENABLE, &cmd);
	if (unmet)
		*unmet = cmd.out_unmet;
	return rc;
}

static inline int ioas_enable(int fd, __u32 ioas_id,
			      const struct ioasid_features *f, __u64 *unmet)
{
	return ioas_enable_len(fd, ioas_id, f, sizeof(*f), unmet);
}

static inline int ioas_features(int fd, __u32 ioas_id,
				struct ioasid_features *f)
{
	struct ioasid_ioas_features cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.features_len = sizeof(*f),
		.features = (__u64)(uintptr_t)f,
	};

	return ioasid_ioctl(fd, IOASID_IOAS_FEATURES, &cmd);
}

/* What the two-stage fallback of a VMM settles on. */
enum ioas_plan {
	PLAN_NESTED,		/* the guest owns page tables in the format */
	PLAN_KERNEL_MANAGED,	/* the VMM maps the guest's IOVAs */
	PLAN_NONE,		/* refuse to start the guest */
	PLAN_ERROR,		/* ENABLE failed for another reason than a refusal */
};

/*
 * The flow of Documentation/userspace-api/ioasid.rst, for an IOAS whose
 * devices are attached: enable the exact nested @format; where that is
 * refused, enable a kernel-managed IOAS that covers [@start, @last] with
 * IOMMU pages no larger than @page_size; where that is refused too, give
 * up.  *@unmet is what the last refusal said.
 */
static inline enum ioas_plan ioas_enable_with_fallback(int fd, __u32 ioas_id,
						       __u32 format,
						       __u64 start, __u64 last,
						       __u64 page_size,
						       __u64 *unmet)
{
	struct ioasid_features f;
	int rc;

	features_init(&f);
	f.nesting_format = htole32(format);
	f.max_page_size = htole64(page_size);
	features_add_range(&f, start, last);
	rc = ioas_enable(fd, ioas_id, &f, unmet);
	if (!rc)
		return PLAN_NESTED;
	if (rc != -EOPNOTSUPP)
		return PLAN_ERROR;
	f.nesting_format = 0;
	rc = ioas_enable(fd, ioas_id, &f, unmet);
	if (!rc)
		return PLAN_KERNEL_MANAGED;
	return rc == -EOPNOTSUPP ? PLAN_NONE : PLAN_ERROR;
}

static inline int take_ownership(int fd, __u64 *moved)
{
	struct ioasid_take_ownership cmd = { .size = sizeof(cmd) };
	int rc;

	rc = ioasid_ioctl(fd, IOASID_TAKE_OWNERSHIP, &cmd);
	if (moved)
		*moved = cmd.out_moved;
	return rc;
}

static inline int uaddr_invalidate(int fd, __u32 ioas_id, __u64 *mappings)
{
	struct ioasid_uaddr_invalidate cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_UADDR_INVALIDATE, &cmd);
	if (mappings)
		*mappings = cmd.out_mappings;
	return rc;
}

/*
 * Invalidate the addresses of the mappings of [iova, iova + length) of
 * @ioas_id, with IOASID_UADDR_INVALIDATE_RANGE and @flags; *@mappings and
 * *@length get how many were valid, and their length.
 */
static inline int uaddr_invalidate_range(int fd, __u32 ioas_id, __u32 flags,
					 __u64 iova, __u64 length,
					 __u64 *mappings, __u64 *out_length)
{
	struct ioasid_uaddr_invalidate cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_UADDR_INVALIDATE_RANGE | flags,
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_UADDR_INVALIDATE, &cmd);
	*mappings = cmd.out_mappings;
	*out_length = cmd.out_length;
	return rc;
}

/*
 * Give the mappings of [iova, iova + length) the memory at @va, with
 * @flags (enum ioasid_uaddr_supply_flags).
 */
static inline int uaddr_supply_flags(int fd, __u32 ioas_id, __u32 flags,
				     __u64 iova, __u64 length, const void *va)
{
	struct ioasid_uaddr_supply cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
		.user_va = (__u64)(uintptr_t)va,
	};

	return ioasid_ioctl(fd, IOASID_UADDR_SUPPLY, &cmd);
}

/* Give the mappings of [iova, iova + length) the memory at @va. */
static inline int uaddr_supply(int fd, __u32 ioas_id, __u64 iova,
			       __u64 length, const void *va)
{
	return uaddr_supply_flags(fd, ioas_id, 0, iova, length, va);
}

/* Give every invalid mapping of @ioas_id (0: all) its address + @offset. */
static inline int uaddr_supply_shift(int fd, __u32 ioas_id, __u64 offset)
{
	struct ioasid_uaddr_supply cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_UADDR_SUPPLY_SHIFT,
		.ioas_id = ioas_id,
		.user_va = offset,
	};

	return ioasid_ioctl(fd, IOASID_UADDR_SUPPLY, &cmd);
}

/* Up to *@num objects from id @start on; *@num set to how many. */
static inline int list_objects(int fd, __u32 start,
			       struct ioasid_object_entry *out, __u32 *num,
			       __u32 *next)
{
	struct ioasid_objects cmd = {
		.size = sizeof(cmd),
		.start_id = start,
		.num_objects = *num,
		.objects = (__u64)(uintptr_t)out,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_OBJECTS, &cmd);
	*num = cmd.num_objects;
	if (next)
		*next = cmd.out_next_id;
	return rc;
}

/* Up to *@num mappings of @ioas_id from @start on; *@num set to how many. */
static inline int list_mappings(int fd, __u32 ioas_id, __u64 start,
				struct ioasid_mapping *out, __u32 *num,
				__u64 *next)
{
	struct ioasid_ioas_mappings cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_mappings = *num,
		.start_iova = start,
		.mappings = (__u64)(uintptr_t)out,
	};
	int rc;

	rc = ioasid_ioctl(fd, IOASID_IOAS_MAPPINGS, &cmd);
	*num = cmd.num_mappings;
	if (next)
		*next = cmd.out_next_iova;
	return rc;
}

/* The VmPin of process @pid (0: this one), in KiB, or -1. */
static inline long vm_pinned_kib(int pid)
{
	char path[64], line[128];
	long kib = -1;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * The physical address of a page of ours (root reads it in pagemap), or
 * 0 when it is not known.
 */
static inline __u64 physical_address(void *va)
{
	__u64 entry = 0;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry),
		  (uintptr_t)va / getpagesize() * sizeof(entry)) != sizeof(entry))
		entry = 0;
	close(fd);
	if (!(entry & (1ULL << 63)))
		return 0;
	return (entry & ((1ULL << 55) - 1)) * getpagesize();
}

/* The first version of a command struct: the least size the kernel takes. */
struct first_version {
	unsigned long cmd;
	__u32 first;
	__u32 now;
};

/*
 * Does @fd take each command of @versions as documented: a zeroed struct
 * of the first size does what the whole struct does (the same errno, for
 * want of ids), one byte less fails with -EINVAL?  Returns the index of the
 * first command that does not, or -1.
 */
static inline int first_version_misfit(int fd,
				       const struct first_version *versions,
				       size_t n)
{
	__u8 buf[256];
	size_t i;
	int whole;

	for (i = 0; i < n; i++) {
		memset(buf, 0, sizeof(buf));
		*(__u32 *)buf = versions[i].now;
		whole = ioasid_ioctl(fd, versions[i].cmd, buf);
		memset(buf, 0, sizeof(buf));
		*(__u32 *)buf = versions[i].first;
		if (ioasid_ioctl(fd, versions[i].cmd, buf) != whole)
			return i;
		memset(buf, 0, sizeof(buf));
		*(__u32 *)buf = versions[i].first - 1;
		if (ioasid_ioctl(fd, versions[i].cmd, buf) != -EINVAL)
			return i;
	}
	return -1;
}

#endif /* __SELFTEST_IOASID_UTILS_H */
