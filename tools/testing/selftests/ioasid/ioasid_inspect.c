// SPDX-License-Identifier: GPL-2.0
/*
 * ioasidctl against what the test built: the contexts, IOASes, mappings,
 * devices, attachments, PASIDs, features, takeovers and charges it reports,
 * from debugfs and from a context's own state query, and the IOMMU groups
 * with their owners.  The tool is the one the lane ships, in /tools
 * (IOASID_TOOLS elsewhere).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ioasid_mock_utils.h"
#include "ioasid_pci_utils.h"

#define IOVA_ANON 0x100000ULL
#define IOVA_FILE 0x200000ULL
#define PASID 5

static char tool[256];

/* Where ioasidctl is; false when it is not there. */
static bool find_tool(void)
{
	const char *dir = getenv("IOASID_TOOLS") ?: "/tools";

	snprintf(tool, sizeof(tool), "%s/ioasidctl", dir);
	return !access(tool, X_OK);
}

/*
 * Run ioasidctl with @args (NULL-terminated, after the program name); its
 * standard output in *@out (which it frees first).  Returns its exit
 * status, or -1 when it did not exit.
 */
static int run_tool(char **out, const char *const *args)
{
	const char *argv[8] = { tool };
	int i;

	for (i = 0; args[i] && i < 6; i++)
		argv[i + 1] = args[i];
	free(*out);
	return ioasid_run_program(argv, out);
}

/* What a child of the test does, before it waits to be let go. */
enum child_act {
	CHILD_TAKE_OWNERSHIP,	/* of the context of the file it inherits */
	CHILD_NAME_AND_OPEN,	/* names itself with a newline, opens one */
};

struct child {
	pid_t pid;
	int release;
};

/* 15 characters, the most a name holds: no line of its own must come. */
#define FORGED_NAME "\x1b\ncontext 99999"

/*
 * Start a child that does @act (@fd: the file it inherits) and then waits,
 * holding what it has, until child_end(); false when it could not.
 */
static bool child_start(struct child *c, enum child_act act, int fd)
{
	int ready[2], release[2];
	__u64 moved;
	char ok = 0;

	if (pipe(ready))
		return false;
	if (pipe(release)) {
		close(ready[0]);
		close(ready[1]);
		return false;
	}
	c->pid = fork();
	if (!c->pid) {
		close(ready[0]);
		close(release[1]);
		if (act == CHILD_TAKE_OWNERSHIP) {
			ok = !take_ownership(fd, &moved);
		} else {
			prctl(PR_SET_NAME, FORGED_NAME);
			ok = open(IOASID_DEV, O_RDWR | O_CLOEXEC) >= 0;
		}
		/* Until the parent closes its end. */
		if (write(ready[1], &ok, 1) == 1)
			ok = read(release[0], &ok, 1);
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	c->release = release[1];
	if (c->pid < 0 || read(ready[0], &ok, 1) != 1)
		ok = 0;
	close(ready[0]);
	return ok;
}

static void child_end(struct child *c)
{
	close(c->release);
	if (c->pid > 0)
		waitpid(c->pid, NULL, 0);
}

/* The JSON object of context @serial in @out, cut off at the next one. */
static char *context_json(char *out, unsigned long long serial)
{
	char key[48], *start, *next;

	snprintf(key, sizeof(key), "{\"context\":%llu,", serial);
	start = strstr(out, key);
	if (!start)
		return NULL;
	next = strstr(start + 1, "{\"context\":");
	if (next)
		*next = 0;
	return start;
}

/*
 * A context with two IOASes: the first holds two mappings (anonymous
 * memory and a memfd) and a mock device with a PASID attached to the
 * second, and is enabled; and a fault object.
 */
FIXTURE(inspect) {
	struct mock_ctx ctx;
	__u32 ioas2, dev_id, fault_id;
	int fault_fd, memfd;
	unsigned long long serial;
	size_t page;
	char *buf, *out;
	struct stat memfd_stat;
};

FIXTURE_SETUP(inspect)
{
	struct ioasid_test_mock_device config = {
		.caps = IOASID_DEVICE_CAP_COHERENT,
		.max_pasid_log2 = 8,
		.pgsize_bitmap = getpagesize(),
		.aperture_last = (1ULL << 39) - 1,
	};
	__u64 iova_anon = IOVA_ANON, iova_file = IOVA_FILE;
	struct ioasid_features f;
	const char *why;

	self->fault_fd = -1;
	self->memfd = -1;
	self->page = getpagesize();
	why = mock_open(&self->ctx);
	if (why)
		SKIP(return, "%s", why);
	if (!find_tool())
		SKIP(return, "%s is not there", tool);
	ASSERT_EQ(0, ioas_alloc(self->ctx.fd, &self->ctx.ioas_id));
	ASSERT_EQ(0, ioas_alloc(self->ctx.fd, &self->ioas2));
	self->buf = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	ASSERT_EQ(0, ioas_map(self->ctx.fd, self->ctx.ioas_id, self->buf,
			      2 * self->page, &iova_anon, MAP_FIXED_RW));
	self->memfd = memfd_create("inspect", MFD_CLOEXEC);
	ASSERT_LE(0, self->memfd);
	ASSERT_EQ(0, ftruncate(self->memfd, 4 * self->page));
	ASSERT_EQ(0, fstat(self->memfd, &self->memfd_stat));
	ASSERT_EQ(0, ioas_map_file(self->ctx.fd, self->ctx.ioas_id,
				   self->memfd, self->page, self->page,
				   &iova_file, IOASID_IOAS_MAP_FIXED_IOVA |
				   IOASID_IOAS_MAP_READABLE));
	ASSERT_EQ(0, mock_device(self->ctx.fd, &config, &self->dev_id));
	ASSERT_EQ(0, device_attach(self->ctx.fd, self->dev_id,
				   self->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(0, attach_pasid(self->ctx.fd, self->dev_id, PASID,
				  self->ioas2, 0, NULL));
	features_init(&f);
	f.caps = htole64(IOASID_DEVICE_CAP_COHERENT);
	ASSERT_EQ(0, ioas_enable(self->ctx.fd, self->ctx.ioas_id, &f, NULL));
	ASSERT_EQ(0, fault_alloc(self->ctx.fd, 4, &self->fault_id,
				 &self->fault_fd));
	self->serial = ioasid_fd_context(getpid(), self->ctx.fd);
	ASSERT_NE(0, self->serial);
}

FIXTURE_TEARDOWN(inspect)
{
	if (self->fault_fd >= 0)
		close(self->fault_fd);
	if (self->memfd >= 0)
		close(self->memfd);
	EXPECT_TRUE(mock_close(&self->ctx));
	free(self->out);
}

/*
 * The fragments of the JSON of the fixture's context both views share.
 * (The fixture's type is spelt out: checkpatch misreads
 * FIXTURE_DATA(inspect) *self.)
 */
static void expect_common_json(struct __test_metadata *_metadata,
			       struct _test_data_inspect *self,
			       const char *ctx)
{
	char want[256];

	snprintf(want, sizeof(want),
		 "{\"id\":%u,\"enabled\":true,", self->ctx.ioas_id);
	EXPECT_NE(NULL, strstr(ctx, want)) TH_LOG("no %s in %s", want, ctx);
	snprintf(want, sizeof(want),
		 "\"features\":{\"caps\":\"0x%x\",\"nesting_format\":0,",
		 IOASID_DEVICE_CAP_COHERENT);
	EXPECT_NE(NULL, strstr(ctx, want)) TH_LOG("no %s in %s", want, ctx);
	snprintf(want, sizeof(want),
		 "{\"iova\":\"0x%llx\",\"length\":\"0x%zx\",\"pages\":2,\"access\":\"rw\",\"backing\":\"va\",\"va\":\"0x%llx\",\"invalid\":false}",
		 IOVA_ANON, 2 * self->page,
		 (unsigned long long)(uintptr_t)self->buf);
	EXPECT_NE(NULL, strstr(ctx, want)) TH_LOG("no %s in %s", want, ctx);
	snprintf(want, sizeof(want),
		 "{\"iova\":\"0x%llx\",\"length\":\"0x%zx\",\"pages\":1,\"access\":\"r\",\"backing\":\"file\",\"dev\":%u,\"ino\":%llu,\"offset\":\"0x%zx\"}",
		 IOVA_FILE, self->page,
		 (unsigned int)makedev(major(self->memfd_stat.st_dev),
				       minor(self->memfd_stat.st_dev)),
		 (unsigned long long)self->memfd_stat.st_ino, self->page);
	EXPECT_NE(NULL, strstr(ctx, want)) TH_LOG("no %s in %s", want, ctx);
	snprintf(want, sizeof(want),
		 "{\"id\":%u,\"enabled\":false,", self->ioas2);
	EXPECT_NE(NULL, strstr(ctx, want)) TH_LOG("no %s in %s", want, ctx);
	snprintf(want, sizeof(want), "\"faults\":[%u]", self->fault_id);
	EXPECT_NE(NULL, strstr(ctx, want)) TH_LOG("no %s in %s", want, ctx);
	snprintf(want, sizeof(want), "\"holders\":[{\"pid\":%d,\"fd\":%d}]",
		 getpid(), self->ctx.fd);
	EXPECT_NE(NULL, strstr(ctx, want)) TH_LOG("no %s in %s", want, ctx);
}

TEST_F(inspect, contexts_from_debugfs)
{
	struct ioasid_counters now;
	char want[256], *ctx;

	ASSERT_EQ(0, run_tool(&self->out, (const char *[]){ "--json",
			      "contexts", NULL }));
	ctx = context_json(self->out, self->serial);
	ASSERT_NE(NULL, ctx) TH_LOG("context %llu not in %s", self->serial,
				    self->out);
	snprintf(want, sizeof(want),
		 "{\"context\":%llu,\"pid\":%d,\"uid\":%u,\"comm\":\"ioasid_inspect\",\"owner\":0,",
		 self->serial, getpid(), getuid());
	EXPECT_NE(NULL, strstr(ctx, want)) TH_LOG("no %s in %s", want, ctx);
	expect_common_json(_metadata, self, ctx);
	snprintf(want, sizeof(want),
		 "{\"id\":%u,\"ioas\":%u,\"name\":\"mock\",\"group\":-1,\"hwpt\":0,\"pasids\":[{\"pasid\":%u,\"process\":false,\"ioas\":%u,\"hwpt\":0}]}",
		 self->dev_id, self->ctx.ioas_id, PASID, self->ioas2);
	EXPECT_NE(NULL, strstr(ctx, want)) TH_LOG("no %s in %s", want, ctx);
	/* Ours is the one context with pins: its charge is all of them. */
	ASSERT_EQ(0, ioasid_read_counters(&now));
	snprintf(want, sizeof(want), "\"accounts\":[{\"uid\":%u,\"charged\":%ld,",
		 getuid(), now.accounted_pages - self->ctx.start.accounted_pages);
	EXPECT_NE(NULL, strstr(ctx, want)) TH_LOG("no %s in %s", want, ctx);

	/* The table says the same to a person. */
	ASSERT_EQ(0, run_tool(&self->out, (const char *[]){ "contexts", NULL }));
	snprintf(want, sizeof(want), "CONTEXT %llu  opened by pid %d (ioasid_inspect)",
		 self->serial, getpid());
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), "  IOAS %u  2 mappings", self->ctx.ioas_id);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), "      0x%016llx  0x%-10zx  %8d  %-6s  va 0x%llx\n",
		 IOVA_ANON, 2 * self->page, 2, "rw",
		 (unsigned long long)(uintptr_t)self->buf);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	snprintf(want, sizeof(want), "      PASID %u  -> IOAS %u\n", PASID,
		 self->ioas2);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
}

TEST_F(inspect, context_from_its_state_query)
{
	char arg[32], want[256], *ctx;

	snprintf(arg, sizeof(arg), "%d:%d", getpid(), self->ctx.fd);
	ASSERT_EQ(0, run_tool(&self->out, (const char *[]){ "--json", "context",
			      arg, NULL }));
	ctx = context_json(self->out, self->serial);
	ASSERT_NE(NULL, ctx) TH_LOG("context %llu not in %s", self->serial,
				    self->out);
	expect_common_json(_metadata, self, ctx);
	/* The state query tells the device's attachment, not its name. */
	snprintf(want, sizeof(want), "\"devices\":[{\"id\":%u,\"ioas\":%u}]",
		 self->dev_id, self->ctx.ioas_id);
	EXPECT_NE(NULL, strstr(ctx, want)) TH_LOG("no %s in %s", want, ctx);
	/* Every context of the process, when no file is named. */
	snprintf(arg, sizeof(arg), "%d", getpid());
	ASSERT_EQ(0, run_tool(&self->out, (const char *[]){ "--json", "context",
			      arg, NULL }));
	EXPECT_NE(NULL, context_json(self->out, self->serial));
}

TEST_F(inspect, owner_after_a_takeover)
{
	struct child child;
	char want[128];

	ASSERT_TRUE(child_start(&child, CHILD_TAKE_OWNERSHIP, self->ctx.fd));
	EXPECT_EQ(0, run_tool(&self->out, (const char *[]){ "--json",
			      "contexts", NULL }));
	snprintf(want, sizeof(want), "\"owner\":%d,", child.pid);
	EXPECT_NE(NULL, strstr(context_json(self->out, self->serial) ?: "",
			       want)) TH_LOG("no %s in %s", want, self->out);
	/* The new owner holds the file too. */
	snprintf(want, sizeof(want), "{\"pid\":%d,\"fd\":%d}", child.pid,
		 self->ctx.fd);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	child_end(&child);
}

TEST_F(inspect, closed_contexts_are_gone)
{
	struct ioasid_counters end;
	char want[64];

	close(self->fault_fd);
	self->fault_fd = -1;
	EXPECT_TRUE(mock_close(&self->ctx));
	self->ctx.fd = -1;
	ASSERT_EQ(0, ioasid_read_counters(&end));
	EXPECT_TRUE(ioasid_counters_equal(&self->ctx.start, &end));
	ASSERT_EQ(0, run_tool(&self->out, (const char *[]){ "--json",
			      "contexts", NULL }));
	snprintf(want, sizeof(want), "{\"context\":%llu,", self->serial);
	EXPECT_EQ(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
}

TEST_F(inspect, a_name_cannot_forge_lines)
{
	struct child child;
	char want[128];

	/* A process names itself as it likes, and opens a context. */
	ASSERT_TRUE(child_start(&child, CHILD_NAME_AND_OPEN, -1));
	EXPECT_EQ(0, run_tool(&self->out, (const char *[]){ "--json",
			      "contexts", NULL }));
	snprintf(want, sizeof(want),
		 "\"pid\":%d,\"uid\":%u,\"comm\":\"??context 99999\",",
		 child.pid, getuid());
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("no %s in %s", want,
							self->out);
	EXPECT_EQ(NULL, strstr(self->out, "{\"context\":99999,"));
	child_end(&child);
}

TEST_F(inspect, bad_arguments)
{
	/* Usage errors exit 2, a process without contexts 1. */
	EXPECT_EQ(2, run_tool(&self->out, (const char *[]){ "frobnicate", NULL }));
	EXPECT_EQ(2, run_tool(&self->out, (const char *[]){ "--xml", "contexts",
			      NULL }));
	EXPECT_EQ(2, run_tool(&self->out, (const char *[]){ "context", "x1",
			      NULL }));
	EXPECT_EQ(2, run_tool(&self->out, (const char *[]){ "context", "1:",
			      NULL }));
	EXPECT_EQ(2, run_tool(&self->out, (const char *[]){ "context", "1:-5",
			      NULL }));
	EXPECT_EQ(0, run_tool(&self->out, (const char *[]){ "--json", "-h",
			      NULL }));
	EXPECT_EQ(1, run_tool(&self->out, (const char *[]){ "context", "1",
			      NULL }));
	EXPECT_EQ(1, run_tool(&self->out, (const char *[]){ "context",
			      "2147483647", NULL }));
}

/* Each device of each IOMMU group, with its driver, as sysfs says. */
static void expect_groups(struct __test_metadata *_metadata, const char *out)
{
	char path[PATH_MAX], want[PATH_MAX], driver[64];
	struct dirent **groups, **devs;
	int i, j, n, ndevs;

	n = scandir("/sys/kernel/iommu_groups", &groups, NULL, NULL);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		if (groups[i]->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%s/devices",
			 groups[i]->d_name);
		ndevs = scandir(path, &devs, NULL, NULL);
		for (j = 0; j < ndevs; j++) {
			if (devs[j]->d_name[0] == '.')
				continue;
			pci_driver_of(devs[j]->d_name, driver, sizeof(driver));
			snprintf(want, sizeof(want),
				 "{\"group\":%s,\"type\":\"", groups[i]->d_name);
			EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", want);
			snprintf(want, sizeof(want),
				 "\"device\":\"%s\",\"driver\":\"%s\",",
				 devs[j]->d_name, driver);
			EXPECT_NE(NULL, strstr(out, want))
				TH_LOG("no %s in %s", want, out);
		}
	}
}

TEST(groups_and_their_owners)
{
	char *out = NULL, want[256], bdf[1][16], unsafe;
	unsigned long long serial;
	int fd, devfd, rc;
	__u32 dev_id;

	if (!find_tool())
		SKIP(return, "%s is not there", tool);
	if (access("/sys/kernel/iommu_groups", F_OK))
		SKIP(return, "no IOMMU groups: the kernel has no IOMMU");
	ASSERT_EQ(0, run_tool(&out, (const char *[]){ "--json", "groups", NULL }));
	expect_groups(_metadata, out);
	if (find_edu(bdf, 1) < 1)
		SKIP(return, "no edu device in this machine");

	/*
	 * An edu device bound to a context: ioasid owns it, for that context.
	 * (Where the platform does not isolate MSIs, binding needs the
	 * opt-in.)
	 */
	ASSERT_TRUE(pci_bind_driver(bdf[0], "ioasid_pci"));
	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	devfd = open_device_file(bdf[0]);
	ASSERT_LE(0, devfd);
	unsafe = set_unsafe_interrupts('1');
	rc = pci_bind(devfd, fd, &dev_id);
	set_unsafe_interrupts(unsafe);
	ASSERT_EQ(0, rc);
	serial = ioasid_fd_context(getpid(), fd);
	ASSERT_EQ(0, run_tool(&out, (const char *[]){ "--json", "groups", NULL }));
	snprintf(want, sizeof(want),
		 ",\"device\":\"%s\",\"driver\":\"ioasid_pci\",\"owner\":\"ioasid\",\"context\":%llu}",
		 bdf[0], serial);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no %s in %s", want, out);
	ASSERT_EQ(0, run_tool(&out, (const char *[]){ "--json", "contexts",
			      NULL }));
	snprintf(want, sizeof(want), "{\"id\":%u,\"ioas\":0,\"name\":\"%s\",\"group\":%d,",
		 dev_id, bdf[0], pci_iommu_group(bdf[0]));
	EXPECT_NE(NULL, strstr(context_json(out, serial) ?: "", want))
		TH_LOG("no %s in %s", want, out);
	close(devfd);
	close(fd);
	pci_release(bdf[0]);
	free(out);
}

TEST(counters)
{
	char *out = NULL, want[64];
	struct ioasid_counters c;

	if (!find_tool())
		SKIP(return, "%s is not there", tool);
	if (ioasid_read_counters(&c))
		SKIP(return, "ioasid.ko not loaded or debugfs not mounted");
	ASSERT_EQ(0, run_tool(&out, (const char *[]){ "--json", "counters",
			      NULL }));
	snprintf(want, sizeof(want), "{\"contexts\":%ld,\"objects\":%ld,",
		 c.contexts, c.objects);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("no %s in %s", want, out);
	free(out);
}

TEST_HARNESS_MAIN
