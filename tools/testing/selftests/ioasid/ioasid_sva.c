// SPDX-License-Identifier: GPL-2.0
/*
 * Process-bound access (ioasid.ko loaded with mock=1): a mock device with
 * PASIDs and page requests, shared through its node, to which processes
 * bind their own address spaces; the device's DMA with a process's PASID
 * reaches that process's virtual addresses, faulting pages in, honouring
 * their permissions, and stops when the binding ends however it ends.
 * Then PASID attach of an IOAS, and the edu devices of the lanes, which
 * have no PASID and refuse both.
 *
 * Every test checks at teardown that closing the file gave back every
 * object, pin, domain, PASID, binding and node.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ioasid_utils.h"
#include "ioasid_mock_utils.h"
#include "ioasid_pci_utils.h"
#include "../../../ioasid/ioasid_features.h"

#define PASID_LOG2 11
#define IOVA 0x100000ULL
#define CAP_PARAM IOASID_SYSFS_MODULE "/parameters/max_sva_binds_per_user"

static size_t page;

/* A mock device that can bind address spaces. */
static struct ioasid_test_mock_device sva_config(void)
{
	return (struct ioasid_test_mock_device){
		.caps = IOASID_DEVICE_CAP_COHERENT |
			IOASID_DEVICE_CAP_ISOLATED_MSI |
			IOASID_DEVICE_CAP_SVA,
		.max_pasid_log2 = PASID_LOG2,
		.pgsize_bitmap = page,
		.aperture_last = (1ULL << 48) - 1,
	};
}

/* A context with an IOAS and a shared SVA mock device; memory to map. */
FIXTURE(sva) {
	int fd;
	__u32 ioas_id;
	__u32 dev_id;
	char node[64];
	char *buf;
	struct ioasid_counters start;
};

FIXTURE_SETUP(sva)
{
	struct ioasid_test_mock_device config;
	__u32 minor;

	page = getpagesize();
	self->fd = -1;
	if (access(IOASID_DEV, F_OK) || ioasid_read_counters(&self->start))
		SKIP(return, "ioasid.ko not loaded or debugfs not mounted");
	self->fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	if (!mock_available(self->fd)) {
		close(self->fd);
		self->fd = -1;
		SKIP(return, "ioasid.ko has no mock backend, or was loaded without mock=1");
	}
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	config = sva_config();
	ASSERT_EQ(0, mock_device(self->fd, &config, &self->dev_id));
	ASSERT_EQ(0, device_share(self->fd, self->dev_id, 0666, &minor));
	snprintf(self->node, sizeof(self->node), "/dev/ioasid-sva/mock%u",
		 minor);
	self->buf = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0, 4 * page);
}

FIXTURE_TEARDOWN(sva)
{
	struct ioasid_counters end;

	if (self->fd < 0)
		return;
	close(self->fd);
	ASSERT_EQ(0, ioasid_read_counters(&end));
	EXPECT_TRUE(ioasid_counters_equal(&self->start, &end));
}

static int open_node(const char *node)
{
	return open(node, O_RDWR | O_CLOEXEC);
}

/* DMA of the shared device tagged with @pasid, at virtual address @va. */
static int sva_dma(struct _test_data_sva *self, __u32 pasid, const void *va,
		   void *buf, size_t len, bool write)
{
	return mock_dma_pasid(self->fd, self->dev_id, pasid,
			      (__u64)(uintptr_t)va, buf, len, write);
}

static long counter_delta(struct _test_data_sva *self, const char *name)
{
	struct ioasid_counters now;

	if (ioasid_read_counters(&now))
		return -1000000;
	if (!strcmp(name, "sva_binds"))
		return now.sva_binds - self->start.sva_binds;
	if (!strcmp(name, "pasids"))
		return now.pasids - self->start.pasids;
	return now.shares - self->start.shares;
}

/*
 * Wait up to 10 s for the counter @name to come back to where the test
 * started: a PASID a released address space leaves is unbound by a work
 * item, a moment later.
 */
static long settle(struct _test_data_sva *self, const char *name)
{
	long delta;
	int i;

	for (i = 0; i < 1000; i++) {
		delta = counter_delta(self, name);
		if (!delta)
			break;
		usleep(10000);
	}
	return delta;
}

/*
 * What a child tells its parent: the PASID it bound (0: it could not, and
 * then err is its errno) and where its buffer is.
 */
struct bound {
	__u32 pasid;
	int err;
	__u64 va;
};

/*
 * In a child: open @node, bind, fill a page with @fill, report on @out,
 * then wait until @in is closed, and exit 0 when the page holds @expect
 * (any byte when @expect is 0).
 */
static void child_bind_and_wait(const char *node, int out, int in, char fill,
				char expect)
{
	struct bound b = {};
	char *mem, c;
	int nodefd, i;

	mem = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		_exit(3);
	memset(mem, fill, page);
	nodefd = open_node(node);
	b.err = nodefd < 0 ? -errno : sva_bind(nodefd, &b.pasid);
	b.va = (__u64)(uintptr_t)mem;
	if (write(out, &b, sizeof(b)) != sizeof(b))
		_exit(4);
	while (read(in, &c, 1) > 0)
		;
	for (i = 0; expect && i < (int)page; i++)
		if (mem[i] != expect)
			_exit(1);
	_exit(0);
}

/* Fork a child_bind_and_wait(); @b gets its report, @release its leash. */
static pid_t spawn_bound(const char *node, char fill, char expect,
			 struct bound *b, int *release)
{
	int up[2], down[2];
	pid_t pid;

	if (pipe2(up, O_CLOEXEC) || pipe2(down, O_CLOEXEC))
		return -1;
	pid = fork();
	if (!pid) {
		/*
		 * Keep only its own pipe ends, as 0 and 1: the leashes of
		 * its siblings must close when the parent lets them go.
		 */
		if (dup2(down[0], 0) < 0 || dup2(up[1], 1) < 0 ||
		    close_range(3, ~0U, 0))
			_exit(5);
		child_bind_and_wait(node, 1, 0, fill, expect);
	}
	close(up[1]);
	close(down[0]);
	if (pid < 0 || read(up[0], b, sizeof(*b)) != sizeof(*b)) {
		close(up[0]);
		close(down[1]);
		return -1;
	}
	close(up[0]);
	*release = down[1];
	return pid;
}

/* Let a spawn_bound() child go; returns its exit status, or -1. */
static int release_child(pid_t pid, int release)
{
	int status;

	close(release);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(sva, node_of_a_shared_device)
{
	struct stat st;
	__u32 minor;

	ASSERT_EQ(0, stat(self->node, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(0666U, st.st_mode & 07777);
	ASSERT_EQ(geteuid(), st.st_uid);
	/* Binding gives the device the caller's memory: open for writing. */
	ASSERT_EQ(-1, open(self->node, O_RDONLY | O_CLOEXEC));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(1, counter_delta(self, "shares"));
	ASSERT_EQ(-EBUSY, device_share(self->fd, self->dev_id, 0600, NULL));
	ASSERT_EQ(0, device_unshare(self->fd, self->dev_id));
	ASSERT_EQ(-1, stat(self->node, &st));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(0, counter_delta(self, "shares"));
	ASSERT_EQ(-EINVAL, device_unshare(self->fd, self->dev_id));
	ASSERT_EQ(-EINVAL, device_share(self->fd, self->dev_id, 0777, NULL));
	ASSERT_EQ(-EINVAL, device_share(self->fd, self->dev_id, 01600, NULL));
	ASSERT_EQ(0, device_share(self->fd, self->dev_id, 0600, &minor));
	snprintf(self->node, sizeof(self->node), "/dev/ioasid-sva/mock%u",
		 minor);
	ASSERT_EQ(0, stat(self->node, &st));
	ASSERT_EQ(0600U, st.st_mode & 07777);
	ASSERT_EQ(-ENOENT, device_share(self->fd, 999, 0600, NULL));
	ASSERT_EQ(-EINVAL, device_share(self->fd, self->ioas_id, 0600, NULL));
}

TEST_F(sva, share_needs_a_device_that_binds_address_spaces)
{
	struct ioasid_test_mock_device config = sva_config();
	struct ioasid_device_share cmd = {
		.size = sizeof(cmd),
		.flags = 1 << 7,
		.dev_id = self->dev_id,
	};
	struct ioasid_device_info info = {};
	__u32 plain_id;

	ASSERT_EQ(0, device_info(self->fd, self->dev_id, &info));
	ASSERT_TRUE(info.out_caps & IOASID_DEVICE_CAP_SVA);
	ASSERT_EQ(PASID_LOG2, info.out_max_pasid_log2);
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_DEVICE_SHARE, &cmd));
	/* Page requests without PASIDs is no device. */
	config.max_pasid_log2 = 0;
	ASSERT_EQ(-EINVAL, mock_device(self->fd, &config, &plain_id));
	config = sva_config();
	config.caps &= ~IOASID_DEVICE_CAP_SVA;
	ASSERT_EQ(0, mock_device(self->fd, &config, &plain_id));
	ASSERT_EQ(-EOPNOTSUPP, device_share(self->fd, plain_id, 0600, NULL));
	ASSERT_EQ(0, counter_delta(self, "shares") - 1);
}

TEST_F(sva, bind_dma_unbind)
{
	char *out = malloc(page);
	__u32 pasid, again;
	int nodefd;

	ASSERT_NE(NULL, out);
	nodefd = open_node(self->node);
	ASSERT_LE(0, nodefd);
	ASSERT_EQ(0, sva_bind(nodefd, &pasid));
	ASSERT_LT(0U, pasid);
	ASSERT_GT(1U << PASID_LOG2, pasid);
	ASSERT_EQ(1, counter_delta(self, "sva_binds"));
	ASSERT_EQ(1, counter_delta(self, "pasids"));

	/* The device reads what the process wrote, at its address. */
	memset(self->buf, 0x5a, page);
	ASSERT_EQ(0, sva_dma(self, pasid, self->buf, out, page, false));
	ASSERT_EQ(0, memcmp(self->buf, out, page));
	/* And writes where the process reads, across a page boundary. */
	memset(out, 0xc3, page);
	ASSERT_EQ(0, sva_dma(self, pasid, self->buf + page + page / 2, out,
			     page, true));
	ASSERT_EQ(0, memcmp(self->buf + page + page / 2, out, page));
	ASSERT_EQ(0, self->buf[page + page / 2 - 1]);
	/* Untagged DMA does not reach it: the device is not attached. */
	ASSERT_EQ(-ENXIO, mock_dma(self->fd, self->dev_id,
				   (__u64)(uintptr_t)self->buf, out, 8, false));
	/* Nor does another PASID. */
	ASSERT_EQ(-ENXIO, sva_dma(self, pasid + 1, self->buf, out, 8, false));

	ASSERT_EQ(0, sva_unbind(nodefd));
	ASSERT_EQ(-ENXIO, sva_dma(self, pasid, self->buf, out, 8, false));
	ASSERT_EQ(0, counter_delta(self, "sva_binds"));
	ASSERT_EQ(0, counter_delta(self, "pasids"));
	ASSERT_EQ(-EINVAL, sva_unbind(nodefd));
	/* The file binds again, and the PASID was free. */
	ASSERT_EQ(0, sva_bind(nodefd, &again));
	ASSERT_EQ(pasid, again);
	ASSERT_EQ(0, sva_dma(self, pasid, self->buf, out, 8, false));
	/* Closing the file unbinds. */
	close(nodefd);
	ASSERT_EQ(-ENXIO, sva_dma(self, pasid, self->buf, out, 8, false));
	ASSERT_EQ(0, counter_delta(self, "sva_binds"));
	free(out);
}

TEST_F(sva, bind_errors)
{
	struct ioasid_sva_bind bind = { .size = sizeof(bind) };
	struct ioasid_test_cmd dma = {
		.size = sizeof(dma),
		.op = IOASID_TEST_OP_MOCK_DMA,
		.mock_dma = {
			.dev_id = self->dev_id,
			.iova = (__u64)(uintptr_t)self->buf,
			.length = 8,
			.uptr = (__u64)(uintptr_t)self->buf,
			.pasid = 1,
		},
	};
	int nodefd, other;
	__u32 pasid;

	nodefd = open_node(self->node);
	ASSERT_LE(0, nodefd);
	other = open_node(self->node);
	ASSERT_LE(0, other);
	ASSERT_EQ(-EINVAL, sva_unbind(nodefd));
	bind.flags = 1;
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(nodefd, IOASID_SVA_BIND, &bind));
	bind.flags = 0;
	bind.__reserved = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(nodefd, IOASID_SVA_BIND, &bind));
	bind.size = 4;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(nodefd, IOASID_SVA_BIND, &bind));
	ASSERT_EQ(-ENOTTY, ioasid_ioctl(nodefd, IOASID_IOAS_ALLOC, &bind));
	ASSERT_EQ(0, counter_delta(self, "sva_binds"));

	ASSERT_EQ(0, sva_bind(nodefd, &pasid));
	/* A file binds once, and a process binds a device once. */
	ASSERT_EQ(-EBUSY, sva_bind(nodefd, NULL));
	ASSERT_EQ(-EBUSY, sva_bind(other, NULL));
	ASSERT_EQ(1, counter_delta(self, "sva_binds"));
	/* A PASID outside the test op's flag is refused. */
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_TEST, &dma));
	close(nodefd);
	ASSERT_EQ(0, sva_bind(other, NULL));
	close(other);
}

/* A page request that cannot be served fails the DMA, and only the DMA. */
TEST_F(sva, faults_fail_the_dma_alone)
{
	char *mem = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char data[64], got[64];
	__u32 pasid;
	int nodefd;

	ASSERT_NE(MAP_FAILED, mem);
	nodefd = open_node(self->node);
	ASSERT_LE(0, nodefd);
	ASSERT_EQ(0, sva_bind(nodefd, &pasid));
	memset(data, 0x77, sizeof(data));

	/* A page never touched is faulted in: the write lands. */
	ASSERT_EQ(0, sva_dma(self, pasid, mem, data, sizeof(data), true));
	ASSERT_EQ(0, memcmp(mem, data, sizeof(data)));

	/* Nothing mapped. */
	ASSERT_EQ(0, munmap(mem + 3 * page, page));
	ASSERT_EQ(-ENXIO, sva_dma(self, pasid, mem + 3 * page, got, 8, false));
	ASSERT_EQ(-ENXIO, sva_dma(self, pasid, mem + 3 * page, data, 8, true));

	/* No access at all. */
	mem[2 * page] = 1;
	ASSERT_EQ(0, mprotect(mem + 2 * page, page, PROT_NONE));
	ASSERT_EQ(-EACCES, sva_dma(self, pasid, mem + 2 * page, got, 8, false));

	/* Read-only: the device reads, and its write never lands. */
	memset(mem + page, 0x11, page);
	ASSERT_EQ(0, mprotect(mem + page, page, PROT_READ));
	ASSERT_EQ(0, sva_dma(self, pasid, mem + page, got, sizeof(got), false));
	ASSERT_EQ(0x11, got[0]);
	ASSERT_EQ(-EACCES, sva_dma(self, pasid, mem + page, data, 8, true));
	ASSERT_EQ(0x11, mem[page]);
	/* mprotect() back: the write lands now. */
	ASSERT_EQ(0, mprotect(mem + page, page, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, sva_dma(self, pasid, mem + page, data, 8, true));
	ASSERT_EQ(0x77, mem[page]);

	/* munmap() of what the device used: it faults, as the CPU would. */
	ASSERT_EQ(0, munmap(mem, page));
	ASSERT_EQ(-ENXIO, sva_dma(self, pasid, mem, got, 8, false));

	/* The process and the binding are as they were. */
	ASSERT_EQ(0x77, mem[page]);
	ASSERT_EQ(0, sva_dma(self, pasid, mem + page, got, 8, false));
	ASSERT_EQ(1, counter_delta(self, "sva_binds"));
	close(nodefd);
	munmap(mem + page, 3 * page);
}

/* The device reaches the memory of the process that bound, not its own. */
TEST_F(sva, another_process_binds_its_memory)
{
	char data[256], got[256];
	struct bound b;
	int release;
	pid_t pid;

	pid = spawn_bound(self->node, 'c', 'p', &b, &release);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, b.err);
	ASSERT_EQ(0, mock_dma_pasid(self->fd, self->dev_id, b.pasid, b.va, got,
				    sizeof(got), false));
	memset(data, 'c', sizeof(data));
	ASSERT_EQ(0, memcmp(data, got, sizeof(got)));
	/* Fill the child's whole page; it checks it. */
	memset(data, 'p', sizeof(data));
	for (size_t off = 0; off < page; off += sizeof(data))
		ASSERT_EQ(0, mock_dma_pasid(self->fd, self->dev_id, b.pasid,
					    b.va + off, data, sizeof(data),
					    true));
	ASSERT_EQ(0, release_child(pid, release));
	ASSERT_EQ(-ENXIO, mock_dma_pasid(self->fd, self->dev_id, b.pasid, b.va,
					 got, 8, false));
	ASSERT_EQ(0, counter_delta(self, "sva_binds"));
	ASSERT_EQ(0, counter_delta(self, "pasids"));
}

/*
 * After fork(), the device sees the binding process's current page; the
 * child keeps the copy it had, and the device never sees what it writes.
 */
TEST_F(sva, copy_on_write_after_fork)
{
	int up[2], down[2], status, nodefd;
	char got, c;
	__u32 pasid;
	pid_t pid;

	nodefd = open_node(self->node);
	ASSERT_LE(0, nodefd);
	ASSERT_EQ(0, sva_bind(nodefd, &pasid));
	self->buf[0] = 'A';
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(up[0]);
		close(down[1]);
		/* Wait for the device's write, then look, then write. */
		if (read(down[0], &c, 1) != 1 || self->buf[0] != 'A')
			_exit(1);
		self->buf[0] = 'C';
		if (write(up[1], "x", 1) != 1)
			_exit(2);
		_exit(read(down[0], &c, 1) == 0 && self->buf[0] == 'C' ? 0 : 3);
	}
	close(up[1]);
	close(down[0]);
	/* The device writes the page the parent shares with its child. */
	c = 'D';
	ASSERT_EQ(0, sva_dma(self, pasid, self->buf, &c, 1, true));
	ASSERT_EQ('D', self->buf[0]);
	ASSERT_EQ(1, write(down[1], "x", 1));
	ASSERT_EQ(1, read(up[0], &c, 1));
	/* The child wrote its own copy: the device still reads the parent's. */
	ASSERT_EQ(0, sva_dma(self, pasid, self->buf, &got, 1, false));
	ASSERT_EQ('D', got);
	self->buf[0] = 'B';
	ASSERT_EQ(0, sva_dma(self, pasid, self->buf, &got, 1, false));
	ASSERT_EQ('B', got);
	close(down[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* The child's exit ended nothing of the parent's. */
	ASSERT_EQ(1, counter_delta(self, "sva_binds"));
	close(nodefd);
}

/* A process that exits, or is killed, loses its binding and its PASID. */
TEST_F(sva, exit_and_kill_end_the_binding)
{
	struct bound b, again;
	int release, nodefd;
	__u32 pasid;
	char got;
	pid_t pid;

	pid = spawn_bound(self->node, 'e', 0, &b, &release);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, b.err);
	ASSERT_EQ(0, release_child(pid, release));
	ASSERT_EQ(-ENXIO, mock_dma_pasid(self->fd, self->dev_id, b.pasid, b.va,
					 &got, 1, false));
	ASSERT_EQ(0, counter_delta(self, "sva_binds"));
	ASSERT_EQ(0, counter_delta(self, "pasids"));

	pid = spawn_bound(self->node, 'k', 0, &again, &release);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, again.err);
	/* The PASID of the process that exited is free again. */
	ASSERT_EQ(b.pasid, again.pasid);
	ASSERT_EQ(0, mock_dma_pasid(self->fd, self->dev_id, again.pasid,
				    again.va, &got, 1, false));
	ASSERT_EQ('k', got);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(-1, release_child(pid, release));
	ASSERT_EQ(-ENXIO, mock_dma_pasid(self->fd, self->dev_id, again.pasid,
					 again.va, &got, 1, false));
	ASSERT_EQ(0, counter_delta(self, "sva_binds"));
	ASSERT_EQ(0, counter_delta(self, "pasids"));

	nodefd = open_node(self->node);
	ASSERT_LE(0, nodefd);
	ASSERT_EQ(0, sva_bind(nodefd, &pasid));
	ASSERT_EQ(b.pasid, pasid);
	close(nodefd);
}

/*
 * A file passed on binds again for its new holder as soon as the address
 * space of the first is gone, whose PASID is unbound first.
 */
TEST_F(sva, inherited_file_binds_again)
{
	int up[2], go[2], leash[2], status, nodefd;
	struct bound b = {}, first = {};
	char got;
	pid_t pid;

	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(leash));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		nodefd = open_node(self->node);
		first.err = nodefd < 0 ? -errno : sva_bind(nodefd, &first.pasid);
		if (write(up[1], &first, sizeof(first)) != sizeof(first))
			_exit(1);
		if (fork() == 0) {
			/* The heir: bind the same file when told to. */
			if (read(go[0], &got, 1) != 1)
				_exit(1);
			self->buf[0] = 'h';
			b.err = sva_bind(nodefd, &b.pasid);
			b.va = (__u64)(uintptr_t)self->buf;
			if (write(up[1], &b, sizeof(b)) != sizeof(b))
				_exit(1);
			close(leash[1]);
			_exit(read(leash[0], &got, 1) == 0 ? 0 : 1);
		}
		/* The first holder goes at once, its binding with it. */
		_exit(0);
	}
	close(leash[0]);
	ASSERT_EQ(sizeof(first), read(up[0], &first, sizeof(first)));
	ASSERT_EQ(0, first.err);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(sizeof(b), read(up[0], &b, sizeof(b)));
	ASSERT_EQ(0, b.err);
	ASSERT_EQ(1, counter_delta(self, "sva_binds"));
	ASSERT_EQ(1, counter_delta(self, "pasids"));
	ASSERT_EQ(0, mock_dma_pasid(self->fd, self->dev_id, b.pasid, b.va,
				    &got, 1, false));
	ASSERT_EQ('h', got);
	close(leash[1]);
	ASSERT_LT(0, waitpid(-1, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, counter_delta(self, "sva_binds"));
	ASSERT_EQ(0, counter_delta(self, "pasids"));
}

/*
 * exec() replaces the address space: the binding ends then, though the
 * node file stays open in the new program.
 */
TEST_F(sva, exec_ends_the_binding)
{
	const char *sh = "/bin/busybox";
	int report[2], nodefd, status;
	struct bound b = {};
	char got;
	pid_t pid;

	if (access(sh, X_OK))
		SKIP(return, "no %s to exec", sh);
	ASSERT_EQ(0, pipe2(report, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(report[0]);
		nodefd = open(self->node, O_RDWR);	/* kept across exec */
		b.err = nodefd < 0 ? -errno : sva_bind(nodefd, &b.pasid);
		b.va = (__u64)(uintptr_t)self->buf;
		if (write(report[1], &b, sizeof(b)) != sizeof(b))
			_exit(4);
		execl(sh, "sleep", "60", NULL);
		_exit(5);
	}
	close(report[1]);
	ASSERT_EQ(sizeof(b), read(report[0], &b, sizeof(b)));
	ASSERT_EQ(0, b.err);
	/* The report pipe closes at exec. */
	ASSERT_EQ(0, read(report[0], &got, 1));
	close(report[0]);
	ASSERT_EQ(0, waitpid(pid, &status, WNOHANG));
	ASSERT_EQ(-ENXIO, mock_dma_pasid(self->fd, self->dev_id, b.pasid, b.va,
					 &got, 1, false));
	ASSERT_EQ(0, counter_delta(self, "sva_binds"));
	/* Freed by a work item, though the new program holds the file. */
	ASSERT_EQ(0, settle(self, "pasids"));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
}

/*
 * 10,000 processes, one after another, each binding and exiting; fewer
 * where IOASID_SVA_PROCESSES says so (each takes some 18 ms under TCG).
 */
TEST_F_TIMEOUT(sva, processes_in_turn, 1200)
{
	const char *env = getenv("IOASID_SVA_PROCESSES");
	int i, n = env ? atoi(env) : 10000;
	__u32 first = 0, pasid;
	time_t begin = time(NULL);
	int status, nodefd;
	pid_t pid;

	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		int report[2];

		ASSERT_EQ(0, pipe2(report, O_CLOEXEC));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			pasid = 0;
			nodefd = open_node(self->node);
			if (nodefd < 0 || sva_bind(nodefd, &pasid))
				_exit(1);
			_exit(write(report[1], &pasid, 4) == 4 ? 0 : 2);
		}
		close(report[1]);
		ASSERT_EQ(4, read(report[0], &pasid, 4));
		close(report[0]);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
		/* Each gets the PASID its predecessor's exit freed. */
		if (!i)
			first = pasid;
		ASSERT_EQ(first, pasid);
	}
	TH_LOG("%d processes bound and exited in turn in %ld s", n,
	       (long)(time(NULL) - begin));
	ASSERT_EQ(0, counter_delta(self, "sva_binds"));
	ASSERT_EQ(0, counter_delta(self, "pasids"));
}

#define AT_ONCE 1000

/* 1,000 processes bound at once, each with its PASID and its memory. */
TEST_F_TIMEOUT(sva, thousand_processes_at_once, 600)
{
	static struct bound b[AT_ONCE];
	static pid_t pids[AT_ONCE];
	static int release[AT_ONCE];
	static char seen[1 << PASID_LOG2];
	struct rlimit files = { 4096, 4096 };
	char got;
	int i;

	/* A leash per child. */
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &files));

	for (i = 0; i < AT_ONCE; i++) {
		pids[i] = spawn_bound(self->node, 'a' + i % 26, 0, &b[i],
				      &release[i]);
		ASSERT_LT(0, pids[i]);
		ASSERT_EQ(0, b[i].err);
		ASSERT_EQ(0, seen[b[i].pasid]);
		seen[b[i].pasid] = 1;
	}
	ASSERT_EQ(AT_ONCE, counter_delta(self, "sva_binds"));
	ASSERT_EQ(AT_ONCE, counter_delta(self, "pasids"));
	/* Each PASID reaches its own process's memory. */
	for (i = 0; i < AT_ONCE; i += 97) {
		ASSERT_EQ(0, mock_dma_pasid(self->fd, self->dev_id, b[i].pasid,
					    b[i].va, &got, 1, false));
		ASSERT_EQ('a' + i % 26, got);
	}
	for (i = 0; i < AT_ONCE; i++)
		ASSERT_EQ(0, release_child(pids[i], release[i]));
	ASSERT_EQ(0, counter_delta(self, "sva_binds"));
	ASSERT_EQ(0, counter_delta(self, "pasids"));
}

/* Set the cap on the bindings of one user; returns the old one, or -1. */
static long set_cap(long cap)
{
	char buf[32];
	long old;
	FILE *f;

	if (ioasid_read_file(CAP_PARAM, buf, sizeof(buf)) < 0)
		return -1;
	old = strtol(buf, NULL, 10);
	f = fopen(CAP_PARAM, "we");
	if (!f)
		return -1;
	fprintf(f, "%ld\n", cap);
	return fclose(f) ? -1 : old;
}

/* Bind as user @uid in a child; its exit status is 0 or the -errno. */
static int bind_as(const char *node, uid_t uid)
{
	int status, nodefd, rc;
	pid_t pid = fork();

	if (!pid) {
		if (setresuid(uid, uid, uid))
			_exit(100);
		nodefd = open_node(node);
		rc = nodefd < 0 ? -errno : sva_bind(nodefd, NULL);
		_exit(-rc);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* One user holds at most max_sva_binds_per_user bindings; others still bind. */
TEST_F(sva, per_user_cap)
{
	struct bound b[3];
	int release[3], i;
	pid_t pids[3];
	long old;

	old = set_cap(3);
	ASSERT_LT(0, old);
	for (i = 0; i < 3; i++) {
		pids[i] = spawn_bound(self->node, 'u', 0, &b[i], &release[i]);
		ASSERT_LT(0, pids[i]);
		EXPECT_EQ(0, b[i].err);
	}
	/* The fourth of this user is refused; another user binds. */
	EXPECT_EQ(EDQUOT, bind_as(self->node, getuid()));
	EXPECT_EQ(0, bind_as(self->node, 4242));
	EXPECT_EQ(3, counter_delta(self, "sva_binds"));
	/* A cap raised at run time applies to the next binding. */
	EXPECT_LT(0, set_cap(4));
	EXPECT_EQ(0, bind_as(self->node, getuid()));
	EXPECT_LT(0, set_cap(old));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, release_child(pids[i], release[i]));
	ASSERT_EQ(0, counter_delta(self, "sva_binds"));
}

/*
 * Sharing no more, or the device leaving the context, ends every binding;
 * their files then answer -ENODEV, and the node is gone.
 */
TEST_F(sva, unshare_and_unbind_end_the_bindings)
{
	struct bound b;
	int release, nodefd;
	struct stat st;
	__u32 minor;
	char got;
	pid_t pid;

	nodefd = open_node(self->node);
	ASSERT_LE(0, nodefd);
	pid = spawn_bound(self->node, 's', 0, &b, &release);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, b.err);
	ASSERT_EQ(0, sva_bind(nodefd, NULL));
	ASSERT_EQ(2, counter_delta(self, "sva_binds"));
	ASSERT_EQ(0, device_unshare(self->fd, self->dev_id));
	ASSERT_EQ(0, counter_delta(self, "sva_binds"));
	ASSERT_EQ(0, counter_delta(self, "pasids"));
	ASSERT_EQ(-ENXIO, mock_dma_pasid(self->fd, self->dev_id, b.pasid, b.va,
					 &got, 1, false));
	ASSERT_EQ(-ENODEV, sva_unbind(nodefd));
	ASSERT_EQ(-ENODEV, sva_bind(nodefd, NULL));
	ASSERT_EQ(-1, stat(self->node, &st));
	/* The open files keep the node's object until they are closed. */
	ASSERT_EQ(0, release_child(pid, release));
	ASSERT_EQ(1, counter_delta(self, "shares"));
	close(nodefd);
	ASSERT_EQ(0, counter_delta(self, "shares"));

	/* Shared again, then the device goes with a binding on it. */
	ASSERT_EQ(0, device_share(self->fd, self->dev_id, 0666, &minor));
	snprintf(self->node, sizeof(self->node), "/dev/ioasid-sva/mock%u",
		 minor);
	nodefd = open_node(self->node);
	ASSERT_LE(0, nodefd);
	ASSERT_EQ(0, sva_bind(nodefd, NULL));
	ASSERT_EQ(0, ioasid_destroy(self->fd, self->dev_id));
	ASSERT_EQ(0, counter_delta(self, "sva_binds"));
	ASSERT_EQ(-ENODEV, sva_unbind(nodefd));
	ASSERT_EQ(-1, stat(self->node, &st));
	close(nodefd);
}

/* Map one page of the buffer, filled with @fill, at IOVA into @ioas_id. */
static void map_filled(struct __test_metadata *_metadata,
		       struct _test_data_sva *self, __u32 ioas_id, int index,
		       char fill)
{
	__u64 iova = IOVA;

	memset(self->buf + index * page, fill, page);
	ASSERT_EQ(0, ioas_map(self->fd, ioas_id, self->buf + index * page, page,
			      &iova, MAP_FIXED_RW));
}

TEST_F(sva, pasid_attach_of_an_ioas)
{
	struct ioasid_ioas_info info;
	__u32 ioas2;
	__u64 unmet;
	char got;

	map_filled(_metadata, self, self->ioas_id, 0, '1');
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	map_filled(_metadata, self, ioas2, 1, '2');

	/* A PASID starts blocked. */
	ASSERT_EQ(-ENXIO, mock_dma_pasid(self->fd, self->dev_id, 7, IOVA, &got,
					 1, false));
	ASSERT_EQ(0, attach_pasid(self->fd, self->dev_id, 7, self->ioas_id, 0,
				  &unmet));
	ASSERT_EQ(0, unmet);
	ASSERT_EQ(1, counter_delta(self, "pasids"));
	ASSERT_EQ(0, mock_dma_pasid(self->fd, self->dev_id, 7, IOVA, &got, 1,
				    false));
	ASSERT_EQ('1', got);
	/* Only that PASID: the device's other DMA stays blocked. */
	ASSERT_EQ(-ENXIO, mock_dma(self->fd, self->dev_id, IOVA, &got, 1,
				   false));
	ASSERT_EQ(-ENXIO, mock_dma_pasid(self->fd, self->dev_id, 8, IOVA, &got,
					 1, false));
	/* Later MAPs and UNMAPs apply to it. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, IOVA, page, NULL));
	ASSERT_EQ(-ENXIO, mock_dma_pasid(self->fd, self->dev_id, 7, IOVA, &got,
					 1, false));
	map_filled(_metadata, self, self->ioas_id, 0, '3');
	ASSERT_EQ(0, mock_dma_pasid(self->fd, self->dev_id, 7, IOVA, &got, 1,
				    false));
	ASSERT_EQ('3', got);

	ASSERT_EQ(-EBUSY, attach_pasid(self->fd, self->dev_id, 7, ioas2, 0,
				       NULL));
	ASSERT_EQ(0, attach_pasid(self->fd, self->dev_id, 7, ioas2,
				  IOASID_DEVICE_ATTACH_REPLACE, NULL));
	ASSERT_EQ(0, mock_dma_pasid(self->fd, self->dev_id, 7, IOVA, &got, 1,
				    false));
	ASSERT_EQ('2', got);
	/* IOAS_INFO counts a device attached by PASIDs, once. */
	ASSERT_EQ(0, attach_pasid(self->fd, self->dev_id, 8, ioas2, 0, NULL));
	ASSERT_EQ(0, ioas_info(self->fd, ioas2, &info));
	ASSERT_EQ(1, info.out_num_devices);
	ASSERT_EQ(PASID_LOG2, info.out_max_pasid_log2);
	ASSERT_TRUE(info.out_caps & IOASID_DEVICE_CAP_SVA);
	ASSERT_EQ(0, ioas_info(self->fd, self->ioas_id, &info));
	ASSERT_EQ(0, info.out_num_devices);
	ASSERT_EQ(0, detach_pasid(self->fd, self->dev_id, 8));
	ASSERT_EQ(0, attach_pasid(self->fd, self->dev_id, 7, ioas2,
				  IOASID_DEVICE_ATTACH_REPLACE, NULL));
	/* The attached IOAS cannot go; the one left can. */
	ASSERT_EQ(-EBUSY, ioasid_destroy(self->fd, ioas2));
	/* Device and PASID attach on their own. */
	ASSERT_EQ(0, device_attach(self->fd, self->dev_id, self->ioas_id, 0,
				   NULL));
	ASSERT_EQ(0, mock_dma(self->fd, self->dev_id, IOVA, &got, 1, false));
	ASSERT_EQ('3', got);
	ASSERT_EQ(0, detach(self->fd, self->dev_id));
	ASSERT_EQ(0, mock_dma_pasid(self->fd, self->dev_id, 7, IOVA, &got, 1,
				    false));
	ASSERT_EQ(0, detach_pasid(self->fd, self->dev_id, 7));
	ASSERT_EQ(-ENXIO, mock_dma_pasid(self->fd, self->dev_id, 7, IOVA, &got,
					 1, false));
	ASSERT_EQ(-EINVAL, detach_pasid(self->fd, self->dev_id, 7));
	ASSERT_EQ(0, counter_delta(self, "pasids"));
	ASSERT_EQ(0, ioasid_destroy(self->fd, ioas2));
	/* A PASID still attached goes with the device. */
	ASSERT_EQ(0, attach_pasid(self->fd, self->dev_id, 9, self->ioas_id, 0,
				  NULL));
}

TEST_F(sva, pasid_attach_errors)
{
	struct ioasid_test_mock_device config = sva_config();
	struct ioasid_device_attach cmd = {
		.size = sizeof(cmd),
		.dev_id = self->dev_id,
		.ioas_id = self->ioas_id,
		.pasid = 3,
	};
	struct ioasid_device_detach dcmd = {
		.size = sizeof(dcmd),
		.dev_id = self->dev_id,
		.pasid = 3,
	};
	__u32 plain_id, pasid, again;
	__u64 unmet;
	int nodefd;

	ASSERT_EQ(-EINVAL, attach_pasid(self->fd, self->dev_id, 0,
					self->ioas_id, 0, NULL));
	ASSERT_EQ(-EINVAL, attach_pasid(self->fd, self->dev_id,
					1U << PASID_LOG2, self->ioas_id, 0,
					NULL));
	/* A PASID without the flag, a reserved member, an unknown flag. */
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_DEVICE_ATTACH, &cmd));
	cmd.flags = IOASID_DEVICE_ATTACH_PASID;
	cmd.__reserved = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_DEVICE_ATTACH, &cmd));
	cmd.flags = 1 << 5;
	cmd.__reserved = 0;
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_DEVICE_ATTACH,
					    &cmd));
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_DEVICE_DETACH, &dcmd));
	dcmd.flags = 1 << 5;
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_DEVICE_DETACH,
					    &dcmd));
	ASSERT_EQ(-ENOENT, attach_pasid(self->fd, 999, 3, self->ioas_id, 0,
					NULL));
	ASSERT_EQ(-EINVAL, attach_pasid(self->fd, self->dev_id, 3,
					self->dev_id, 0, NULL));

	/* A device without PASIDs says so. */
	config.caps &= ~IOASID_DEVICE_CAP_SVA;
	config.max_pasid_log2 = 0;
	ASSERT_EQ(0, mock_device(self->fd, &config, &plain_id));
	ASSERT_EQ(-EOPNOTSUPP, attach_pasid(self->fd, plain_id, 3,
					    self->ioas_id, 0, &unmet));
	ASSERT_EQ(IOASID_UNMET_PASID, unmet);
	ASSERT_TRUE(klog_contains("ioasid: mock has no PASIDs to attach"));

	/* A PASID a process bound is not the context's to attach or detach. */
	nodefd = open_node(self->node);
	ASSERT_LE(0, nodefd);
	ASSERT_EQ(0, sva_bind(nodefd, &pasid));
	ASSERT_EQ(-EBUSY, attach_pasid(self->fd, self->dev_id, pasid,
				       self->ioas_id, 0, NULL));
	ASSERT_EQ(-EBUSY, attach_pasid(self->fd, self->dev_id, pasid,
				       self->ioas_id,
				       IOASID_DEVICE_ATTACH_REPLACE, NULL));
	ASSERT_EQ(-EINVAL, detach_pasid(self->fd, self->dev_id, pasid));
	/* And an attached PASID is not given to a process. */
	ASSERT_EQ(0, attach_pasid(self->fd, self->dev_id, pasid + 1,
				  self->ioas_id, 0, NULL));
	ASSERT_EQ(0, sva_unbind(nodefd));
	ASSERT_EQ(0, attach_pasid(self->fd, self->dev_id, pasid, self->ioas_id,
				  0, NULL));
	ASSERT_EQ(0, sva_bind(nodefd, &again));
	ASSERT_NE(pasid, again);
	ASSERT_NE(pasid + 1, again);
	close(nodefd);
	ASSERT_EQ(2, counter_delta(self, "pasids"));
}

/* An enabled IOAS takes PASIDs only if its features promised them. */
TEST_F(sva, pasid_attach_of_an_enabled_ioas)
{
	struct ioasid_features f;
	__u32 ioas2;
	__u64 unmet;

	features_init(&f);
	ASSERT_EQ(0, device_attach(self->fd, self->dev_id, self->ioas_id, 0,
				   NULL));
	ASSERT_EQ(0, ioas_enable(self->fd, self->ioas_id, &f, &unmet));
	ASSERT_EQ(-EOPNOTSUPP, attach_pasid(self->fd, self->dev_id, 1,
					    self->ioas_id, 0, &unmet));
	ASSERT_EQ(IOASID_UNMET_PASID, unmet);
	ASSERT_TRUE(klog_contains("it promised no PASIDs"));

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, attach_pasid(self->fd, self->dev_id, 16, ioas2, 0, NULL));
	/* ENABLE checks attached PASIDs against what it promises. */
	f.min_pasid_log2 = htole32(4);
	ASSERT_EQ(-EOPNOTSUPP, ioas_enable(self->fd, ioas2, &f, &unmet));
	ASSERT_EQ(IOASID_UNMET_PASID, unmet);
	f.min_pasid_log2 = htole32(PASID_LOG2 + 1);
	ASSERT_EQ(-EOPNOTSUPP, ioas_enable(self->fd, ioas2, &f, &unmet));
	ASSERT_EQ(IOASID_UNMET_PASID, unmet);
	/* No PCIe device has more than 20 bits of PASID. */
	f.min_pasid_log2 = htole32(IOASID_FEATURES_MAX_PASID_LOG2 + 1);
	ASSERT_EQ(-EINVAL, ioas_enable(self->fd, ioas2, &f, NULL));
	f.min_pasid_log2 = htole32(40);
	ASSERT_EQ(-EINVAL, ioas_enable(self->fd, ioas2, &f, NULL));
	f.min_pasid_log2 = htole32(5);
	ASSERT_EQ(0, ioas_enable(self->fd, ioas2, &f, &unmet));
	ASSERT_EQ(0, unmet);
	ASSERT_EQ(-EINVAL, attach_pasid(self->fd, self->dev_id, 32, ioas2, 0,
					NULL));
	ASSERT_EQ(0, attach_pasid(self->fd, self->dev_id, 31, ioas2, 0, NULL));
	ASSERT_EQ(2, counter_delta(self, "pasids"));
}

/* The edu devices of the lanes have no PASID: they refuse both. */
FIXTURE(edu) {
	char bdf[16];
	char unsafe;
	int devfd;
	int fd;
	struct ioasid_counters start;
};

FIXTURE_SETUP(edu)
{
	const char *why;

	self->devfd = -1;
	self->fd = -1;
	why = edu_available(self->bdf, sizeof(self->bdf), &self->start);
	if (why)
		SKIP(return, "%s", why);
	edu_open(_metadata, self->bdf, &self->unsafe, &self->devfd, &self->fd);
}

FIXTURE_TEARDOWN(edu)
{
	if (self->bdf[0])
		edu_close(_metadata, self->bdf, self->unsafe, self->devfd,
			  self->fd, &self->start);
}

TEST_F(edu, no_pasid_no_sharing)
{
	struct ioasid_device_info info = {};
	__u32 dev_id, ioas_id;
	__u64 unmet;

	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, &dev_id));
	ASSERT_EQ(0, device_info(self->fd, dev_id, &info));
	ASSERT_EQ(0, info.out_max_pasid_log2);
	ASSERT_FALSE(info.out_caps & IOASID_DEVICE_CAP_SVA);
	ASSERT_EQ(-EOPNOTSUPP, device_share(self->fd, dev_id, 0600, NULL));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas_id));
	ASSERT_EQ(-EOPNOTSUPP, attach_pasid(self->fd, dev_id, 1, ioas_id, 0,
					    &unmet));
	ASSERT_EQ(IOASID_UNMET_PASID, unmet);
	ASSERT_EQ(-EINVAL, detach_pasid(self->fd, dev_id, 1));
}

TEST_HARNESS_MAIN
