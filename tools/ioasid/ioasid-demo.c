// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid-demo: show, in plain lines, what the ioasid module does.
 *
 * Run as root in a system where ioasid.ko is loaded (make demo boots one).
 * Exits non-zero if anything does not behave as documented.
 */
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "ioasid_utils.h"

#define BUF_SIZE (2UL << 20)

static int failed(const char *what, int rc)
{
	printf("  FAILED    %s: %s\n", what, strerror(-rc));
	return 1;
}

static void show_counters(const char *label)
{
	struct ioasid_counters c;

	if (ioasid_read_counters(&c))
		return;
	printf("  %-9s contexts %ld, objects %ld, pinned pages %ld, charged pages %ld\n",
	       label, c.contexts, c.objects, c.pinned_pages, c.accounted_pages);
}

static int show_device(void)
{
	struct stat st;

	printf("  module    ioasid is loaded, reference count %ld\n",
	       ioasid_module_refcnt());
	if (stat(IOASID_DEV, &st))
		return failed("stat " IOASID_DEV, -errno);
	printf("  node      %s is character device %u:%u, mode %04o, owner uid %u\n",
	       IOASID_DEV, major(st.st_rdev), minor(st.st_rdev),
	       st.st_mode & 07777, st.st_uid);
	return 0;
}

static int show_unload_refused(void)
{
	if (!syscall(SYS_delete_module, "ioasid", O_NONBLOCK)) {
		printf("  unload    succeeded with a file open: this is a bug\n");
		return 1;
	}
	printf("  unload    refused while a file is open: %s\n",
	       strerror(errno));
	return 0;
}

static int show_ranges(int fd, __u32 ioas)
{
	struct ioasid_iova_range range;
	__u32 num = 1;
	int rc;

	rc = ioas_iova_ranges(fd, ioas, &range, &num);
	if (rc)
		return failed("IOVA_RANGES", rc);
	printf("  ranges    IOAS %u can map IOVA 0x%llx..0x%llx\n", ioas,
	       (unsigned long long)range.start, (unsigned long long)range.last);
	return 0;
}

/* Map a buffer, map it again elsewhere, copy it, and unmap it all. */
static int show_mappings(int fd, __u32 ioas, __u32 ioas2, void *buf)
{
	__u64 iova = 0, again = 0, copy = 0, unmapped;
	int rc;

	rc = ioas_map(fd, ioas, buf, BUF_SIZE, &iova, MAP_RW);
	if (rc)
		return failed("MAP", rc);
	printf("  map       %lu KiB at user address %p -> IOAS %u IOVA 0x%llx\n",
	       BUF_SIZE >> 10, buf, ioas, (unsigned long long)iova);
	show_counters("now");

	rc = ioas_map(fd, ioas2, buf, BUF_SIZE, &again, MAP_RW);
	if (rc)
		return failed("MAP again", rc);
	printf("  map       the same buffer -> IOAS %u IOVA 0x%llx: shares the pin\n",
	       ioas2, (unsigned long long)again);
	show_counters("now");

	rc = ioas_copy(fd, ioas2, ioas, BUF_SIZE, &copy, iova, MAP_RW);
	if (rc)
		return failed("COPY", rc);
	printf("  copy      IOAS %u IOVA 0x%llx -> IOAS %u IOVA 0x%llx: shares the pages\n",
	       ioas, (unsigned long long)iova, ioas2, (unsigned long long)copy);
	show_counters("now");

	rc = ioas_unmap(fd, ioas, iova, BUF_SIZE, &unmapped);
	if (rc)
		return failed("UNMAP", rc);
	printf("  unmap     IOAS %u: %llu KiB unmapped\n", ioas,
	       (unsigned long long)unmapped >> 10);
	rc = ioas_unmap_all(fd, ioas2, &unmapped);
	if (rc)
		return failed("UNMAP all", rc);
	printf("  unmap     IOAS %u, everything: %llu KiB unmapped\n", ioas2,
	       (unsigned long long)unmapped >> 10);
	show_counters("now");
	return 0;
}

static int show_ioas(int fd)
{
	__u32 ioas, ioas2;
	void *buf;
	int rc;

	rc = ioas_alloc(fd, &ioas);
	if (!rc)
		rc = ioas_alloc(fd, &ioas2);
	if (rc)
		return failed("IOAS_ALLOC", rc);
	printf("  ioas      created IO address spaces %u and %u\n", ioas, ioas2);
	if (show_ranges(fd, ioas))
		return 1;

	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return failed("mmap", -errno);
	memset(buf, 0, BUF_SIZE);
	rc = show_mappings(fd, ioas, ioas2, buf);
	munmap(buf, BUF_SIZE);
	return rc;
}

int main(void)
{
	int fd, rc;

	printf("ioasid demo: /dev/ioasid and its IO address spaces\n");
	if (show_device())
		return 1;
	show_counters("counters");

	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return failed("open " IOASID_DEV, -errno);
	printf("  open      fd %d is a new context\n", fd);
	rc = show_unload_refused() || show_ioas(fd);
	close(fd);
	printf("  close     the context and everything in it released\n");
	show_counters("counters");
	return rc;
}
