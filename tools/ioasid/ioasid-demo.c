// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid-demo: show, in plain lines, what the ioasid module does.
 *
 * Run as root in a system where ioasid.ko is loaded (make demo boots one).
 * Exits non-zero if anything does not behave as documented.
 */
#include <fcntl.h>
#include <libgen.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "ioasid_utils.h"
#include "ioasid_pci_utils.h"

#define BUF_SIZE (2UL << 20)
/* Pages to look through for one within edu's 28-bit DMA reach. */
#define VICTIM_PAGES 4096

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

static int show_node(void)
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

/* tracefs, where debugfs, which the counters need, is mounted. */
#define TRACING "/sys/kernel/debug/tracing"

/* Write @val to tracefs file @name; false when tracefs is not there. */
static bool trace_set(const char *name, const char *val)
{
	char path[128];
	bool ok;
	FILE *f;

	snprintf(path, sizeof(path), TRACING "/%s", name);
	f = fopen(path, "w");
	if (!f)
		return false;
	ok = fputs(val, f) >= 0;
	return !fclose(f) && ok;
}

/* Start tracing ioasid's events, from an empty buffer. */
static bool trace_start(void)
{
	return trace_set("trace", "") &&
	       trace_set("events/ioasid/enable", "1");
}

/* Print the events of ioasid traced since trace_start(), and stop. */
static void trace_show(void)
{
	char *line = NULL, *event;
	size_t size = 0;
	FILE *in;

	trace_set("events/ioasid/enable", "0");
	printf("  trace     what events/ioasid in tracefs recorded meanwhile:\n");
	in = fopen(TRACING "/trace", "r");
	while (in && getline(&line, &size, in) > 0) {
		event = strstr(line, ": ioasid_");
		if (event)
			printf("            %s", event + 2);
	}
	free(line);
	if (in)
		fclose(in);
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
	bool tracing;
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
	tracing = trace_start();
	rc = show_mappings(fd, ioas, ioas2, buf);
	if (tracing)
		trace_show();
	munmap(buf, BUF_SIZE);
	return rc;
}

/* Copy a message through the IOAS with edu's DMA engine. */
static int show_translated_dma(int fd, __u32 ioas, struct edu_bar *bar,
			       char *buf, size_t page)
{
	static const char msg[] = "hello through the IOMMU";
	__u64 src = DMA_IOVA(0), dst = DMA_IOVA(1);
	int rc;

	memcpy(buf, msg, sizeof(msg));
	rc = ioas_map(fd, ioas, buf, page, &src, MAP_FIXED_RW);
	if (!rc)
		rc = ioas_map(fd, ioas, buf + page, page, &dst, MAP_FIXED_RW);
	if (rc)
		return failed("MAP", rc);
	rc = edu_dma(bar, src, sizeof(msg), false);
	if (!rc)
		rc = edu_dma(bar, dst, sizeof(msg), true);
	if (rc)
		return failed("edu DMA", rc);
	printf("  dma       device read IOVA 0x%llx and wrote IOVA 0x%llx\n",
	       (unsigned long long)src, (unsigned long long)dst);
	printf("            the page behind IOVA 0x%llx now reads \"%s\"\n",
	       (unsigned long long)dst, buf + page);
	return strcmp(buf + page, msg) ? failed("the copy", -EIO) : 0;
}

/*
 * Run ioasidctl, which sits beside this program, with @args, indented; a
 * demo without it says so and goes on.
 */
static int run_ioasidctl(const char *const *args)
{
	char self[PATH_MAX], tool[PATH_MAX + 16], *out, *line, *next;
	const char *argv[6] = { tool };
	ssize_t len;
	int i, rc;

	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0)
		return failed("finding ioasidctl", -errno);
	self[len] = 0;
	snprintf(tool, sizeof(tool), "%s/ioasidctl", dirname(self));
	if (access(tool, X_OK)) {
		printf("            (no %s: not shown)\n", tool);
		return 0;
	}
	for (i = 0; args[i] && i < 4; i++)
		argv[i + 1] = args[i];
	rc = ioasid_run_program(argv, &out);
	for (line = out; line && *line; line = next) {
		next = strchrnul(line, '\n');
		if (*next)
			next++;
		printf("            %.*s", (int)(next - line), line);
	}
	free(out);
	return rc ? failed("ioasidctl", -EIO) : 0;
}

/* What ioasidctl, the inspector, sees of the groups and of this context. */
static int show_inspector(int fd)
{
	char arg[32];

	snprintf(arg, sizeof(arg), "%d:%d", getpid(), fd);
	printf("  inspect   ioasidctl groups: who owns each device\n");
	if (run_ioasidctl((const char *[]){ "groups", NULL }))
		return 1;
	printf("  inspect   ioasidctl contexts: every context, from debugfs (root)\n");
	if (run_ioasidctl((const char *[]){ "contexts", NULL }))
		return 1;
	printf("  inspect   ioasidctl context %s: through its state query, as a\n"
	       "            process taking the context over sees it (--json for scripts)\n",
	       arg);
	return run_ioasidctl((const char *[]){ "context", arg, NULL });
}

/*
 * Aim a device write at the physical address of one of our pages, as an
 * IOVA nothing maps: without the IOMMU it would land there.
 */
static int show_blocked_dma(struct edu_bar *bar, size_t page)
{
	char *pages, *victim = NULL;
	__u64 pa = 0;
	int i, rc;

	pages = mmap(NULL, VICTIM_PAGES * page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED)
		return failed("mmap", -errno);
	for (i = 0; i < VICTIM_PAGES && !victim; i++) {
		memset(pages + i * page, 0x77, page);
		pa = physical_address(pages + i * page);
		if (pa >= DMA_IOVA(16) && pa < (1ULL << 28))
			victim = pages + i * page;
	}
	if (!victim) {
		printf("  blocked   no page of ours within edu's 28-bit reach: not shown\n");
		munmap(pages, VICTIM_PAGES * page);
		return 0;
	}
	rc = edu_dma(bar, pa, 64, true);
	if (rc)
		return failed("edu DMA", rc);
	printf("  blocked   device wrote to IOVA 0x%llx: nothing maps it, but it is\n",
	       (unsigned long long)pa);
	printf("            the physical address of a page of ours, which still reads 0x%02x\n",
	       (unsigned char)victim[0]);
	rc = victim[0] == 0x77 ? 0 : failed("isolation", -EIO);
	munmap(pages, VICTIM_PAGES * page);
	return rc;
}

static int show_device_dma(int fd, int devfd, size_t page)
{
	struct ioasid_pci_info info;
	struct edu_bar bar = {};
	__u32 dev_id, ioas;
	char *buf;
	int rc;

	rc = pci_bind(devfd, fd, &dev_id);
	if (!rc)
		rc = pci_info(devfd, &info);
	if (rc)
		return failed("PCI_BIND", rc);
	printf("  bind      device %u of the context, IOMMU group %u, MSI %s\n",
	       dev_id, info.out_iommu_group,
	       info.out_flags & IOASID_PCI_INFO_ISOLATED_MSI ?
	       "isolated" : "not isolated (allowed by opt-in)");
	rc = ioas_alloc(fd, &ioas);
	if (!rc)
		rc = attach(fd, dev_id, ioas, 0);
	if (rc == -EOPNOTSUPP) {
		printf("  attach    this IOMMU gives no paging domain: no DMA shown\n");
		return 0;
	}
	if (rc)
		return failed("DEVICE_ATTACH", rc);
	printf("  attach    device %u -> IOAS %u: its DMA now goes through the IOAS\n",
	       dev_id, ioas);
	rc = edu_map(devfd, &bar);
	if (!rc)
		rc = pci_bus_master(devfd, 1);
	if (rc)
		return failed("BAR mmap", rc);
	buf = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return failed("mmap", -errno);
	rc = show_translated_dma(fd, ioas, &bar, buf, page) ||
	     show_inspector(fd) || show_blocked_dma(&bar, page);
	munmap(buf, 2 * page);
	return rc;
}

static int show_device(int fd)
{
	char bdfs[1][16], unsafe;
	int devfd, rc;

	if (find_edu(bdfs, 1) < 1) {
		printf("  device    no edu device here: devices not shown\n");
		return 0;
	}
	unsafe = set_unsafe_interrupts('1');
	if (!pci_bind_driver(bdfs[0], "ioasid_pci"))
		return failed("binding to ioasid_pci", -EIO);
	printf("  device    edu %s given to ioasid_pci: /dev/ioasid-pci/%s\n",
	       bdfs[0], bdfs[0]);
	devfd = open_device_file(bdfs[0]);
	if (devfd < 0)
		return failed("open the device file", -errno);
	rc = show_device_dma(fd, devfd, getpagesize());
	close(devfd);
	pci_release(bdfs[0]);
	set_unsafe_interrupts(unsafe);
	return rc;
}

int main(void)
{
	int fd, rc;

	printf("ioasid demo: /dev/ioasid and its IO address spaces\n");
	if (show_node())
		return 1;
	show_counters("counters");

	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return failed("open " IOASID_DEV, -errno);
	printf("  open      fd %d is a new context\n", fd);
	rc = show_unload_refused() || show_ioas(fd) || show_device(fd);
	close(fd);
	printf("  close     the context and everything in it released\n");
	show_counters("counters");
	return rc;
}
