// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid-demo: show, in plain lines, what the ioasid module does.
 *
 * Run as root in a system where ioasid.ko is loaded (make demo boots one).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "ioasid_utils.h"

static void show_module(void)
{
	printf("  module    ioasid is loaded: %s exists, reference count %ld\n",
	       IOASID_SYSFS_MODULE, ioasid_module_refcnt());
}

static int show_node(void)
{
	struct stat st;

	if (stat(IOASID_DEV, &st)) {
		printf("  node      %s: %s\n", IOASID_DEV, strerror(errno));
		return -1;
	}
	printf("  node      %s is character device %u:%u, mode %04o, owner uid %u\n",
	       IOASID_DEV, major(st.st_rdev), minor(st.st_rdev),
	       st.st_mode & 07777, st.st_uid);
	return 0;
}

static int show_open(void)
{
	int fd;

	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("  open      %s: %s\n", IOASID_DEV, strerror(errno));
		return -1;
	}
	printf("  open      fd %d: a new context; live contexts %ld, module reference count %ld\n",
	       fd, ioasid_counter("contexts"), ioasid_module_refcnt());

	if (syscall(SYS_delete_module, "ioasid", O_NONBLOCK))
		printf("  unload    refused while the file is open: %s\n",
		       strerror(errno));
	else
		printf("  unload    succeeded with a file open: this is a bug\n");

	close(fd);
	printf("  close     context released; live contexts %ld, module reference count %ld\n",
	       ioasid_counter("contexts"), ioasid_module_refcnt());
	return 0;
}

int main(void)
{
	printf("ioasid demo: the /dev/ioasid character device\n");
	show_module();
	if (show_node() || show_open())
		return 1;
	return 0;
}
