/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the ioasid selftests.
 */
#ifndef __SELFTEST_IOASID_UTILS_H
#define __SELFTEST_IOASID_UTILS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IOASID_DEV "/dev/ioasid"
#define IOASID_SYSFS_MODULE "/sys/module/ioasid"
#define IOASID_COUNTERS "/sys/kernel/debug/ioasid/counters"

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

/* The module's reference count from sysfs, or -1. */
static inline long ioasid_module_refcnt(void)
{
	char buf[32];

	if (ioasid_read_file(IOASID_SYSFS_MODULE "/refcnt", buf, sizeof(buf)) < 0)
		return -1;
	return strtol(buf, NULL, 10);
}

#endif /* __SELFTEST_IOASID_UTILS_H */
