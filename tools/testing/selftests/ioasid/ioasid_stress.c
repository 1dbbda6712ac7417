// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: many users of one context at once.  Workers run random commands
 * (map, unmap, copy, alloc, destroy, attach, detach, replace, enable, info,
 * close, mock DMA) against shared pools of IOASes and mock devices, so that
 * every command races every other: 8 threads on one file, while another
 * reads the debugfs view of every context over and over; 4 processes
 * forked after the open, sharing it, one of which exits and one of which is
 * killed mid-run; threads mapping and unmapping pages while a mock device
 * and, where the lane has one, QEMU's edu device write to them; and
 * threads mapping overlapping runs of the same huge pages, whose folio
 * pins they share.
 *
 * What is asserted:
 * - every command succeeds or fails with an errno its uAPI documentation
 *   gives it (the first other one fails the test, named);
 * - the debugfs view reads without error throughout;
 * - every worker finishes: a watchdog names one that makes no progress,
 *   with its kernel stack, rather than letting the test hang;
 * - DMA never lands in a page once UNMAP of it returned: the page is then
 *   filled with a sentinel that must still be there when it is mapped
 *   again and at the end, after more DMA; a mock DMA to an IOVA never
 *   mapped fails with -ENXIO;
 * - once every file is closed and every child reaped, the module counters
 *   are what they were (no object, pin or accounted page leaked), and the
 *   kernel log has no new warning, bug or lockdep report.
 *
 * IOASID_STRESS_OPS sets the number of commands of the whole binary (half
 * for the threads, a quarter each for the processes and the DMA); the
 * count of each kind, and how each ended, is printed.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ioasid_utils.h"
#include "ioasid_mock_utils.h"
#include "ioasid_pci_utils.h"

#define DEFAULT_OPS 20000
#define THREADS 8
#define PROCESSES 4
#define DMA_CHAOS 4
#define WORKERS_MAX 8
/* The DMA test's other workers: the mapper, the mock DMA, the edu DMA. */
#define MAPPER DMA_CHAOS
#define MOCK_AGENT (DMA_CHAOS + 1)
#define EDU_AGENT (DMA_CHAOS + 2)
/*
 * The process that exits by itself half-way, and the one killed once half
 * of its commands ran (it runs on until it is).
 */
#define EXITER 2
#define VICTIM 3

#define POOL 8
#define BUF_PAGES 32
#define WINDOW_PAGES 32
#define WINDOW 0x40000000ULL
#define APERTURE_LAST 0xffffffffffffULL

/* Seconds: the harness's limit, the watchdog's, and a worker's stall. */
#define TIMEOUT 900
#define LIMIT 780
#define STALL 120

/* The sentinel slots of the DMA test, at DMA_IOVA(1) on. */
#define SLOTS 6
#define SOURCE_IOVA DMA_IOVA(0)
#define SLOT_IOVA(n) DMA_IOVA(1 + (n))
#define HOLE_IOVA DMA_IOVA(SLOTS + 4)
#define SENTINEL 0x5a
#define MOCK_BYTE 0xa5
#define EDU_BYTE 0xe7
#define MOCK_DMA_LEN 64
#define EDU_DMAS_MIN 16
#define MOCK_DMAS_MIN 1000

enum stress_op {
	OP_MAP,
	OP_UNMAP,
	OP_COPY,
	OP_ALLOC,
	OP_DESTROY,
	OP_ATTACH,
	OP_REPLACE,
	OP_DETACH,
	OP_ENABLE,
	OP_INFO,
	OP_CLOSE,
	OP_CLOSE_CTX,
	OP_DMA,
	OP_NR,
};

#define ERRNOS_MAX 7

/*
 * A kind of command, how often workers pick it, and the errnos the uAPI
 * documents for it that a race may produce.  (REPLACE has no -EBUSY: that
 * is only for an attach without it.)
 */
static const struct op_desc {
	const char *name;
	int weight;
	int errnos[ERRNOS_MAX];
} ops[OP_NR] = {
	[OP_MAP] = { "map", 6,
		     { ENOENT, EINVAL, EEXIST, ERANGE, ENOSPC, ENOMEM } },
	[OP_UNMAP] = { "unmap", 5, { ENOENT, EINVAL } },
	[OP_COPY] = { "copy", 3,
		      { ENOENT, EINVAL, EEXIST, ERANGE, ENOSPC, ENOMEM } },
	[OP_ALLOC] = { "alloc", 2, { EINVAL, ENOMEM } },
	[OP_DESTROY] = { "destroy", 2, { ENOENT, EBUSY } },
	[OP_ATTACH] = { "attach", 3,
			{ ENOENT, EINVAL, EBUSY, EADDRINUSE, EOPNOTSUPP,
			  ENOMEM } },
	[OP_REPLACE] = { "replace", 3,
			 { ENOENT, EINVAL, EADDRINUSE, EOPNOTSUPP, ENOMEM } },
	[OP_DETACH] = { "detach", 2, { ENOENT, EINVAL } },
	[OP_ENABLE] = { "enable", 1,
			{ ENOENT, EINVAL, EOPNOTSUPP, EALREADY, ENOMEM } },
	[OP_INFO] = { "info", 3, { ENOENT, EINVAL, ENOMEM } },
	[OP_CLOSE] = { "close", 1,
		       { ENOENT, EINVAL, EEXIST, ERANGE, ENOSPC, ENOMEM } },
	[OP_CLOSE_CTX] = { "closectx", 1, { ENOMEM } },
	[OP_DMA] = { "dma", 3, { ENOENT, EINVAL, ENXIO } },
};

/*
 * What the workers share, in memory shared with forked children too: the
 * pools of object ids, the counts of each command's outcomes (0: success,
 * 1 + i: ops[].errnos[i], ERRNOS_MAX + 1: anything else), each worker's
 * progress, and the first undocumented errno.
 */
struct shared {
	int fd;
	size_t page;
	long budget;
	__u32 ioas[POOL];
	__u32 dev[POOL];
	unsigned long count[OP_NR][ERRNOS_MAX + 2];
	long progress[WORKERS_MAX];
	int now[WORKERS_MAX];
	int finished[WORKERS_MAX];
	int tid[WORKERS_MAX];
	int bad, bad_op, bad_errno, bad_worker;
	const char *bad_step;
	int stop;
	/* The DMA test. */
	char failure[256];
	unsigned long edu_dmas, mock_dmas, mock_landed, edu_landed;
};

struct worker {
	struct shared *sh;
	int index;
	unsigned int seed;
	char *buf;
	long exit_at;
	bool until_killed;
};

static long load(const long *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void store(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static unsigned int rnd(struct worker *w)
{
	return rand_r(&w->seed);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *errno_name(int e)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{ ENOENT, "ENOENT" }, { EINVAL, "EINVAL" }, { EEXIST, "EEXIST" },
		{ ERANGE, "ERANGE" }, { ENOSPC, "ENOSPC" }, { ENOMEM, "ENOMEM" },
		{ EBUSY, "EBUSY" }, { EADDRINUSE, "EADDRINUSE" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { EALREADY, "EALREADY" },
		{ ENXIO, "ENXIO" }, { EFAULT, "EFAULT" }, { EINTR, "EINTR" },
		{ EACCES, "EACCES" }, { EPERM, "EPERM" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].e == e)
			return names[i].name;
	return "?";
}

#define UNDOCUMENTED (ERRNOS_MAX + 1)

/* Where the outcome @rc of @op is counted. */
static int outcome(enum stress_op op, int rc)
{
	int i;

	if (!rc)
		return 0;
	for (i = 0; i < ERRNOS_MAX && ops[op].errnos[i]; i++)
		if (-rc == ops[op].errnos[i])
			return 1 + i;
	return UNDOCUMENTED;
}

/*
 * Count outcome @slot of @op; remember the first undocumented one, and
 * which @step of the command it was.
 */
static void tally(struct worker *w, enum stress_op op, int rc, int slot,
		  const char *step)
{
	struct shared *sh = w->sh;

	__atomic_fetch_add(&sh->count[op][slot], 1, __ATOMIC_RELAXED);
	if (slot == UNDOCUMENTED &&
	    !__atomic_exchange_n(&sh->bad, 1, __ATOMIC_ACQ_REL)) {
		sh->bad_op = op;
		sh->bad_errno = -rc;
		sh->bad_worker = w->index;
		sh->bad_step = step;
	}
}

static void record(struct worker *w, enum stress_op op, int rc)
{
	tally(w, op, rc, outcome(op, rc), ops[op].name);
}

/* An id from @pool; now and then one of the other kind, or 0. */
static __u32 pick(struct worker *w, __u32 *pool, __u32 *other)
{
	unsigned int r = rnd(w) % 32;

	if (r == 0)
		return __atomic_load_n(&other[rnd(w) % POOL], __ATOMIC_RELAXED);
	if (r == 1)
		return 0;
	return __atomic_load_n(&pool[rnd(w) % POOL], __ATOMIC_RELAXED);
}

static __u32 pick_ioas(struct worker *w)
{
	return pick(w, w->sh->ioas, w->sh->dev);
}

static __u32 pick_dev(struct worker *w)
{
	return pick(w, w->sh->dev, w->sh->ioas);
}

static __u64 window_iova(struct worker *w, unsigned int pages)
{
	return WINDOW + (rnd(w) % (WINDOW_PAGES - pages + 1)) * w->sh->page;
}

/* A mock device of CPU pages or of half ones: two kinds of domain. */
static int new_mock(int fd, bool half, __u32 *dev_id)
{
	struct ioasid_test_mock_device config = {
		.pgsize_bitmap = half ? getpagesize() / 2 : getpagesize(),
		.aperture_last = APERTURE_LAST,
	};

	return mock_device(fd, &config, dev_id);
}

static void do_map(struct worker *w)
{
	size_t page = w->sh->page;
	unsigned int n = 1 + rnd(w) % 4;
	char *va = w->buf + (rnd(w) % (BUF_PAGES - n + 1)) * page;
	__u32 ioas = pick_ioas(w);
	bool fixed = rnd(w) % 8;
	__u64 iova = window_iova(w, n);
	int rc;

	rc = ioas_map(w->sh->fd, ioas, va, n * page, &iova,
		      fixed ? MAP_FIXED_RW : MAP_RW);
	record(w, OP_MAP, rc);
	/* A kernel-chosen IOVA is outside the window: take it back. */
	if (!rc && !fixed)
		record(w, OP_UNMAP, ioas_unmap(w->sh->fd, ioas, iova, n * page,
					       NULL));
}

static void do_unmap(struct worker *w)
{
	unsigned int n = 1 + rnd(w) % 8;
	__u32 ioas = pick_ioas(w);

	if (!(rnd(w) % 16))
		record(w, OP_UNMAP, ioas_unmap_all(w->sh->fd, ioas, NULL));
	else
		record(w, OP_UNMAP, ioas_unmap(w->sh->fd, ioas, window_iova(w, n),
					       n * w->sh->page, NULL));
}

static void do_copy(struct worker *w)
{
	unsigned int n = 1 + rnd(w) % 2;
	__u32 src = pick_ioas(w), dst = pick_ioas(w);
	__u64 dst_iova = window_iova(w, n);

	record(w, OP_COPY, ioas_copy(w->sh->fd, dst, src, n * w->sh->page,
				     &dst_iova, window_iova(w, n),
				     MAP_FIXED_RW));
}

/* Make a slot of a pool free, then put a new IOAS or mock device there. */
static void do_alloc(struct worker *w)
{
	bool is_ioas = rnd(w) % 2;
	__u32 *pool = is_ioas ? w->sh->ioas : w->sh->dev;
	__u32 *slot = &pool[rnd(w) % POOL];
	__u32 old = __atomic_load_n(slot, __ATOMIC_RELAXED), id;
	int rc;

	if (old) {
		rc = ioasid_destroy(w->sh->fd, old);
		record(w, OP_DESTROY, rc);
		if (rc || !__atomic_compare_exchange_n(slot, &old, 0, false,
						       __ATOMIC_ACQ_REL,
						       __ATOMIC_RELAXED))
			return;
	}
	if (is_ioas)
		rc = ioas_alloc(w->sh->fd, &id);
	else
		rc = new_mock(w->sh->fd, rnd(w) % 2, &id);
	record(w, OP_ALLOC, rc);
	old = 0;
	if (!rc && !__atomic_compare_exchange_n(slot, &old, id, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
		record(w, OP_DESTROY, ioasid_destroy(w->sh->fd, id));
}

static void do_destroy(struct worker *w)
{
	__u32 *pool = rnd(w) % 2 ? w->sh->ioas : w->sh->dev;
	__u32 *slot = &pool[rnd(w) % POOL];
	__u32 id = __atomic_load_n(slot, __ATOMIC_RELAXED);
	int rc;

	rc = ioasid_destroy(w->sh->fd, id);
	record(w, OP_DESTROY, rc);
	if (!rc)
		__atomic_compare_exchange_n(slot, &id, 0, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

static void do_enable(struct worker *w)
{
	struct ioasid_features f;

	features_init(&f);
	record(w, OP_ENABLE, ioas_enable(w->sh->fd, pick_ioas(w), &f, NULL));
}

static void do_info(struct worker *w)
{
	struct ioasid_object_entry objects[16];
	struct ioasid_mapping mappings[16];
	struct ioasid_device_info dev;
	struct ioasid_ioas_info info;
	__u32 num = ARRAY_SIZE(objects);
	__u64 next;

	switch (rnd(w) % 4) {
	case 0:
		record(w, OP_INFO, ioas_info(w->sh->fd, pick_ioas(w), &info));
		break;
	case 1:
		record(w, OP_INFO, device_info(w->sh->fd, pick_dev(w), &dev));
		break;
	case 2:
		record(w, OP_INFO,
		       list_objects(w->sh->fd, rnd(w) % 32, objects, &num,
				    NULL));
		break;
	default:
		record(w, OP_INFO, list_mappings(w->sh->fd, pick_ioas(w),
						 WINDOW, mappings, &num, &next));
		break;
	}
}

/*
 * Give a dup of the file an IOAS with a page mapped, and close the dup.
 * The IOAS's id is in the table at once: a stale id of another worker may
 * name it and destroy it, and by the MAP the id may name another IOAS or
 * a device: the MAP may fail as any.
 */
static void do_close(struct worker *w)
{
	struct shared *sh = w->sh;
	__u64 iova = WINDOW;
	__u32 ioas, old = 0;
	int fd, rc;

	fd = fcntl(sh->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		record(w, OP_CLOSE, -errno);
		return;
	}
	rc = ioas_alloc(fd, &ioas);
	if (!rc)
		rc = ioas_map(fd, ioas, w->buf, sh->page, &iova, MAP_FIXED_RW);
	if (close(fd))
		rc = -errno;
	record(w, OP_CLOSE, rc);
	if (!rc && !__atomic_compare_exchange_n(&sh->ioas[rnd(w) % POOL], &old,
						ioas, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
		record(w, OP_DESTROY, ioasid_destroy(sh->fd, ioas));
}

/*
 * Fill a context of our own, with DMA, and close it with all that in it.
 * Nothing races it: each step may fail only for want of memory.
 */
static void do_close_ctx(struct worker *w)
{
	const char *step = "open";
	__u64 iova = WINDOW;
	__u32 ioas, dev;
	int fd, rc = 0;

	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		rc = -errno;
	if (!rc) {
		step = "ioas alloc";
		rc = ioas_alloc(fd, &ioas);
	}
	if (!rc) {
		step = "mock device";
		rc = new_mock(fd, rnd(w) % 2, &dev);
	}
	if (!rc) {
		step = "map";
		rc = ioas_map(fd, ioas, w->buf, 2 * w->sh->page, &iova,
			      MAP_FIXED_RW);
	}
	if (!rc) {
		step = "attach";
		rc = attach(fd, dev, ioas, 0);
	}
	if (!rc) {
		step = "mock dma";
		rc = mock_dma(fd, dev, WINDOW + 8, w->buf + 3 * w->sh->page,
			      MOCK_DMA_LEN, true);
	}
	if (fd >= 0 && close(fd) && !rc) {
		step = "close";
		rc = -errno;
	}
	tally(w, OP_CLOSE_CTX, rc, outcome(OP_CLOSE_CTX, rc), step);
}

static void do_dma(struct worker *w)
{
	__u64 iova = window_iova(w, 1) + rnd(w) % w->sh->page;
	char data[MOCK_DMA_LEN];

	memset(data, MOCK_BYTE, sizeof(data));
	record(w, OP_DMA, mock_dma(w->sh->fd, pick_dev(w), iova, data,
				   sizeof(data), rnd(w) % 2));
}

static void do_attach(struct worker *w)
{
	record(w, OP_ATTACH, attach(w->sh->fd, pick_dev(w), pick_ioas(w), 0));
}

static void do_replace(struct worker *w)
{
	record(w, OP_REPLACE, attach(w->sh->fd, pick_dev(w), pick_ioas(w),
				     IOASID_DEVICE_ATTACH_REPLACE));
}

static void do_detach(struct worker *w)
{
	record(w, OP_DETACH, detach(w->sh->fd, pick_dev(w)));
}

static void (*const do_op[OP_NR])(struct worker *w) = {
	[OP_MAP] = do_map,
	[OP_UNMAP] = do_unmap,
	[OP_COPY] = do_copy,
	[OP_ALLOC] = do_alloc,
	[OP_DESTROY] = do_destroy,
	[OP_ATTACH] = do_attach,
	[OP_REPLACE] = do_replace,
	[OP_DETACH] = do_detach,
	[OP_ENABLE] = do_enable,
	[OP_INFO] = do_info,
	[OP_CLOSE] = do_close,
	[OP_CLOSE_CTX] = do_close_ctx,
	[OP_DMA] = do_dma,
};

static enum stress_op pick_op(struct worker *w)
{
	int i, r, total = 0;

	for (i = 0; i < OP_NR; i++)
		total += ops[i].weight;
	r = rnd(w) % total;
	for (i = 0; r >= ops[i].weight; i++)
		r -= ops[i].weight;
	return i;
}

/* Run the worker's share of random commands. */
static void *chaos(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	enum stress_op op;
	long i;

	sh->tid[w->index] = syscall(SYS_gettid);
	for (i = 0; i < sh->budget || w->until_killed; i++) {
		if (w->exit_at && i == w->exit_at) {
			store(&sh->finished[w->index], 1);
			_exit(0);
		}
		op = pick_op(w);
		store(&sh->now[w->index], op);
		do_op[op](w);
		__atomic_store_n(&sh->progress[w->index], i + 1,
				 __ATOMIC_RELEASE);
	}
	store(&sh->finished[w->index], 1);
	return NULL;
}

/* Whether the first @n workers have finished. */
static bool workers_done(struct shared *sh, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!__atomic_load_n(&sh->finished[i], __ATOMIC_ACQUIRE))
			return false;
	return true;
}

/* A reader of the debugfs view of every context, as ioasidctl is. */
struct inspector {
	struct shared *sh;
	int workers;
	long reads;
	int error;
};

/*
 * Read ioasid/contexts whole, over and over, until the workers are done:
 * the view must read every time, whatever they do meanwhile.
 */
static void *inspect(void *arg)
{
	struct inspector *in = arg;
	char buf[4096];
	ssize_t n;
	int fd;

	do {
		fd = open("/sys/kernel/debug/ioasid/contexts", O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			in->error = errno;
			return NULL;
		}
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		if (n < 0)
			in->error = errno;
		close(fd);
		in->reads++;
	} while (!in->error && !workers_done(in->sh, in->workers));
	return NULL;
}

static long stress_ops(void)
{
	const char *env = getenv("IOASID_STRESS_OPS");
	long n = env ? strtol(env, NULL, 0) : 0;

	return n > 0 ? n : DEFAULT_OPS;
}

/* The shared state, with the pools half filled. */
static struct shared *shared_new(struct __test_metadata *_metadata, int fd,
				 long budget)
{
	struct shared *sh;
	int i;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return NULL;
	memset(sh, 0, sizeof(*sh));
	sh->fd = fd;
	sh->page = getpagesize();
	sh->budget = budget;
	for (i = 0; i < POOL / 2; i++) {
		EXPECT_EQ(0, ioas_alloc(fd, &sh->ioas[i]));
		EXPECT_EQ(0, new_mock(fd, i % 2, &sh->dev[i]));
	}
	return sh;
}

/* Memory for @n workers' buffers, each BUF_PAGES pages. */
static char *buffers(int n)
{
	char *p;

	p = mmap(NULL, n * BUF_PAGES * getpagesize(), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x11, n * BUF_PAGES * getpagesize());
	return p;
}

/* Print the kernel stack of a stuck task: a thread of ours, or a child. */
static void dump_stack_of(struct __test_metadata *_metadata, int tid,
			  bool thread)
{
	char path[64], stack[2048], *line, *save;

	snprintf(path, sizeof(path), thread ? "/proc/self/task/%d/stack" :
		 "/proc/%d/stack", tid);
	if (ioasid_read_file(path, stack, sizeof(stack)) <= 0) {
		TH_LOG("no kernel stack of %d to show", tid);
		return;
	}
	for (line = strtok_r(stack, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		TH_LOG("  %s", line);
}

/*
 * Wait until @n workers finish; returns -1, or the index of one that made
 * no progress for STALL seconds, or had not finished after LIMIT seconds.
 * With @pids (processes), reap the children that exit, and kill VICTIM
 * once half of its commands ran.
 */
static int watch(struct shared *sh, int n, pid_t *pids, int *status)
{
	double start = now_s(), since[WORKERS_MAX];
	long last[WORKERS_MAX];
	bool all;
	int i;

	for (i = 0; i < n; i++) {
		last[i] = -1;
		since[i] = start;
	}
	for (;;) {
		usleep(50000);
		all = true;
		for (i = 0; i < n; i++) {
			if (pids && pids[i] &&
			    waitpid(pids[i], &status[i], WNOHANG) == pids[i]) {
				pids[i] = 0;
				store(&sh->finished[i], 1);
			}
			if (__atomic_load_n(&sh->finished[i], __ATOMIC_ACQUIRE))
				continue;
			all = false;
			if (pids && i == VICTIM && pids[i] &&
			    load(&sh->progress[i]) >= sh->budget / 2) {
				kill(pids[i], SIGKILL);
				continue;
			}
			if (load(&sh->progress[i]) != last[i]) {
				last[i] = load(&sh->progress[i]);
				since[i] = now_s();
			} else if (now_s() - since[i] > STALL) {
				return i;
			}
			if (now_s() - start > LIMIT)
				return i;
		}
		if (all)
			return -1;
	}
}

/* Name the worker that did not finish, with what it was doing. */
static void report_stuck(struct __test_metadata *_metadata,
			 struct shared *sh, int i, int tid, bool thread)
{
	TH_LOG("worker %d (%s %d) stuck in '%s' after %ld commands", i,
	       thread ? "thread" : "pid", tid, ops[sh->now[i]].name,
	       load(&sh->progress[i]));
	dump_stack_of(_metadata, tid, thread);
}

/* Print how each kind of command ended; returns the commands run. */
static unsigned long report(struct shared *sh, const char *what)
{
	unsigned long total = 0, n;
	char line[256];
	int op, i, len;

	for (op = 0; op < OP_NR; op++) {
		n = 0;
		for (i = 0; i < ERRNOS_MAX + 2; i++)
			n += sh->count[op][i];
		total += n;
		len = snprintf(line, sizeof(line), "%s: %-7s %6lu, ok %lu",
			       what, ops[op].name, n, sh->count[op][0]);
		for (i = 0; i < ERRNOS_MAX && ops[op].errnos[i]; i++)
			if (sh->count[op][1 + i] && len < (int)sizeof(line))
				len += snprintf(line + len, sizeof(line) - len,
						", %s %lu",
						errno_name(ops[op].errnos[i]),
						sh->count[op][1 + i]);
		if (sh->count[op][UNDOCUMENTED] && len < (int)sizeof(line))
			snprintf(line + len, sizeof(line) - len,
				 ", undocumented %lu",
				 sh->count[op][UNDOCUMENTED]);
		ksft_print_msg("%s\n", line);
	}
	ksft_print_msg("%s: %lu commands\n", what, total);
	return total;
}

/* The first undocumented errno, named; true when there was none. */
static bool all_documented(struct __test_metadata *_metadata,
			   struct shared *sh)
{
	if (!sh->bad)
		return true;
	TH_LOG("worker %d: %s (%s) failed with %d (%s), which its uAPI does not document",
	       sh->bad_worker, ops[sh->bad_op].name, sh->bad_step,
	       -sh->bad_errno, errno_name(sh->bad_errno));
	return false;
}

/* What the kernel log says when something went wrong in it. */
static const char * const splats[] = {
	"WARNING:", "BUG:", "Oops", "KASAN", "UBSAN", "refcount_t:",
	"possible circular locking", "possible recursive locking",
	"inconsistent lock state", "suspicious RCU", "sleeping function",
	"blocked for more than", "general protection",
};

static void count_splats(int *n)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(splats); i++)
		n[i] = klog_count(splats[i]);
}

/*
 * The counters and the kernel log as each test found them; each test
 * opens its own context.
 */
FIXTURE(stress) {
	struct ioasid_counters start;
	int splats[ARRAY_SIZE(splats)];
	long ops;
	size_t page;
};

FIXTURE_SETUP(stress)
{
	struct mock_ctx probe;
	const char *why = mock_open(&probe);

	if (why)
		SKIP(return, "%s", why);
	ASSERT_LE(0, probe.fd);
	close(probe.fd);
	self->start = probe.start;
	self->ops = stress_ops();
	self->page = getpagesize();
	count_splats(self->splats);
}

FIXTURE_TEARDOWN(stress)
{
	int now[ARRAY_SIZE(splats)];
	struct ioasid_counters end;
	size_t i;

	ASSERT_EQ(0, ioasid_read_counters(&end));
	EXPECT_TRUE(ioasid_counters_equal(&self->start, &end));
	count_splats(now);
	for (i = 0; i < ARRAY_SIZE(splats); i++) {
		if (now[i] > self->splats[i])
			TH_LOG("the kernel log has a new '%s'", splats[i]);
		EXPECT_LE(now[i], self->splats[i]);
	}
}

TEST_F_TIMEOUT(stress, threads_on_one_context, TIMEOUT)
{
	struct worker workers[THREADS];
	pthread_t threads[THREADS], reader;
	struct inspector inspector;
	struct shared *sh;
	char *bufs;
	int fd, i, stuck;

	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	sh = shared_new(_metadata, fd, self->ops / 2 / THREADS);
	ASSERT_NE(NULL, sh);
	bufs = buffers(THREADS);
	ASSERT_NE(NULL, bufs);
	for (i = 0; i < THREADS; i++) {
		workers[i] = (struct worker){
			.sh = sh,
			.index = i,
			.seed = 1 + i,
			.buf = bufs + i * BUF_PAGES * self->page,
		};
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, chaos,
					    &workers[i]));
	}
	/* And root reads what the context holds meanwhile. */
	inspector = (struct inspector){ .sh = sh, .workers = THREADS };
	ASSERT_EQ(0, pthread_create(&reader, NULL, inspect, &inspector));
	stuck = watch(sh, THREADS, NULL, NULL);
	if (stuck >= 0) {
		report_stuck(_metadata, sh, stuck, sh->tid[stuck], true);
		ASSERT_EQ(-1, stuck);
	}
	for (i = 0; i < THREADS; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
	ASSERT_EQ(0, pthread_join(reader, NULL));
	EXPECT_EQ(0, inspector.error) TH_LOG("reading ioasid/contexts: %s",
					     strerror(inspector.error));
	EXPECT_LT(0, inspector.reads);
	printf("# the debugfs view was read %ld times meanwhile\n",
	       inspector.reads);
	report(sh, "threads");
	ASSERT_TRUE(all_documented(_metadata, sh));
	ASSERT_EQ(0, close(fd));
	munmap(bufs, THREADS * BUF_PAGES * self->page);
	munmap(sh, sizeof(*sh));
}

TEST_F_TIMEOUT(stress, processes_sharing_the_file, TIMEOUT)
{
	int status[PROCESSES] = { 0 }, fd, i, stuck;
	pid_t pids[PROCESSES], all[PROCESSES];
	struct worker w;
	struct shared *sh;
	char *bufs;

	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	sh = shared_new(_metadata, fd, self->ops / 4 / PROCESSES);
	ASSERT_NE(NULL, sh);
	bufs = buffers(PROCESSES);
	ASSERT_NE(NULL, bufs);
	for (i = 0; i < PROCESSES; i++) {
		w = (struct worker){
			.sh = sh,
			.index = i,
			.seed = 100 + i,
			.buf = bufs + i * BUF_PAGES * self->page,
			.exit_at = i == EXITER ? sh->budget / 2 : 0,
			.until_killed = i == VICTIM,
		};
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i]) {
			/* Never outlive a parent the harness killed. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			chaos(&w);
			_exit(0);
		}
		all[i] = pids[i];
	}
	stuck = watch(sh, PROCESSES, pids, status);
	if (stuck >= 0) {
		report_stuck(_metadata, sh, stuck, all[stuck], false);
		for (i = 0; i < PROCESSES; i++)
			if (pids[i])
				kill(pids[i], SIGKILL);
		ASSERT_EQ(-1, stuck);
	}
	/* Those that said they were done, and exit. */
	for (i = 0; i < PROCESSES; i++)
		if (pids[i])
			ASSERT_EQ(pids[i], waitpid(pids[i], &status[i], 0));
	report(sh, "processes");
	ksft_print_msg("processes: %d exited after %ld of %ld commands, %d was killed after %ld\n",
		       EXITER, sh->progress[EXITER], sh->budget, VICTIM,
		       sh->progress[VICTIM]);
	for (i = 0; i < PROCESSES; i++) {
		if (i == VICTIM) {
			ASSERT_TRUE(WIFSIGNALED(status[i]));
			ASSERT_EQ(SIGKILL, WTERMSIG(status[i]));
			continue;
		}
		ASSERT_TRUE(WIFEXITED(status[i]));
		ASSERT_EQ(0, WEXITSTATUS(status[i]));
	}
	ASSERT_LT(sh->progress[EXITER], sh->budget);
	ASSERT_TRUE(all_documented(_metadata, sh));
	/* What the children mapped is still there; closing gives it back. */
	ASSERT_EQ(0, close(fd));
	munmap(bufs, PROCESSES * BUF_PAGES * self->page);
	munmap(sh, sizeof(*sh));
}

/*
 * The DMA test: slot pages mapped and unmapped by the mapper in an IOAS
 * that a mock device and the edu device are attached to, and that the
 * chaos workers' pools never name.
 */
struct dma_test {
	struct shared *sh;
	__u32 ioas, mock;
	char *slots;
	bool mapped[SLOTS];
	struct edu_bar bar;
	bool edu;
	unsigned int seed;
};

/* Fail the DMA test with @msg, once. */
static void dma_fail(struct dma_test *t, const char *msg, int slot, int v)
{
	struct shared *sh = t->sh;

	if (!__atomic_exchange_n(&sh->bad, 1, __ATOMIC_ACQ_REL))
		snprintf(sh->failure, sizeof(sh->failure), "%s (slot %d, %d)",
			 msg, slot, v);
	store(&sh->stop, 1);
}

static char *slot_page(struct dma_test *t, int slot)
{
	return t->slots + slot * t->sh->page;
}

/* The first byte of slot @slot that is not the sentinel, or -1. */
static int slot_changed(struct dma_test *t, int slot)
{
	const char *p = slot_page(t, slot);
	size_t i;

	for (i = 0; i < t->sh->page; i++)
		if (p[i] != SENTINEL)
			return i;
	return -1;
}

/* Unmap slot @slot, count what DMA landed in it, then fill it. */
static int unmap_slot(struct dma_test *t, int slot)
{
	const char *p = slot_page(t, slot);
	__u64 unmapped = 0;
	int rc;

	rc = ioas_unmap(t->sh->fd, t->ioas, SLOT_IOVA(slot), t->sh->page,
			&unmapped);
	if (rc || unmapped != t->sh->page)
		return rc ?: -EIO;
	t->mapped[slot] = false;
	if (memchr(p, MOCK_BYTE, t->sh->page))
		__atomic_fetch_add(&t->sh->mock_landed, 1, __ATOMIC_RELAXED);
	if (memchr(p, EDU_BYTE, t->sh->page))
		__atomic_fetch_add(&t->sh->edu_landed, 1, __ATOMIC_RELAXED);
	/* From now on nothing may write it. */
	memset(slot_page(t, slot), SENTINEL, t->sh->page);
	return 0;
}

static int map_slot(struct dma_test *t, int slot)
{
	__u64 iova = SLOT_IOVA(slot);
	int rc;

	rc = ioas_map(t->sh->fd, t->ioas, slot_page(t, slot), t->sh->page,
		      &iova, MAP_FIXED_RW);
	if (!rc)
		t->mapped[slot] = true;
	return rc;
}

/*
 * Map and unmap the slots until the chaos workers are done and enough DMA
 * ran; a slot's page must still hold the sentinel when it is mapped again.
 */
static void *mapper(void *arg)
{
	struct dma_test *t = arg;
	struct shared *sh = t->sh;
	long n = 0;
	int slot, at, rc;

	sh->tid[MAPPER] = syscall(SYS_gettid);
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		slot = rand_r(&t->seed) % SLOTS;
		if (t->mapped[slot]) {
			rc = unmap_slot(t, slot);
			if (rc)
				dma_fail(t, "unmap of a mapped slot failed",
					 slot, rc);
		} else {
			at = slot_changed(t, slot);
			if (at >= 0)
				dma_fail(t, "DMA landed in an unmapped page",
					 slot, (unsigned char)slot_page(t, slot)[at]);
			rc = map_slot(t, slot);
			if (rc)
				dma_fail(t, "map of a free slot failed", slot,
					 rc);
		}
		usleep(rand_r(&t->seed) % 2000);
		__atomic_store_n(&sh->progress[MAPPER], ++n, __ATOMIC_RELEASE);
		if (workers_done(sh, DMA_CHAOS) &&
		    __atomic_load_n(&sh->mock_dmas, __ATOMIC_RELAXED) >=
		    MOCK_DMAS_MIN &&
		    (!t->edu || __atomic_load_n(&sh->edu_dmas,
						__ATOMIC_RELAXED) >= EDU_DMAS_MIN))
			store(&sh->stop, 1);
	}
	store(&sh->finished[MAPPER], 1);
	return NULL;
}

/*
 * The mock device writes the slots, mapped or not, and now and then an
 * IOVA never mapped: that must fail with -ENXIO.
 */
static void *mock_agent(void *arg)
{
	struct dma_test *t = arg;
	struct shared *sh = t->sh;
	char data[MOCK_DMA_LEN];
	unsigned int seed = 7;
	__u64 iova;
	long n = 0;
	int slot, rc;

	sh->tid[MOCK_AGENT] = syscall(SYS_gettid);
	memset(data, MOCK_BYTE, sizeof(data));
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		slot = rand_r(&seed) % (SLOTS + 1);
		if (slot == SLOTS) {
			rc = mock_dma(sh->fd, t->mock, HOLE_IOVA, data,
				      sizeof(data), true);
			if (rc != -ENXIO)
				dma_fail(t, "mock DMA to a hole: not ENXIO",
					 slot, rc);
		} else {
			iova = SLOT_IOVA(slot) +
			       rand_r(&seed) % (sh->page - sizeof(data));
			rc = mock_dma(sh->fd, t->mock, iova, data,
				      sizeof(data), true);
			if (rc && rc != -ENXIO)
				dma_fail(t, "mock DMA to a slot failed", slot,
					 rc);
		}
		__atomic_fetch_add(&sh->mock_dmas, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&sh->progress[MOCK_AGENT], ++n,
				 __ATOMIC_RELEASE);
		/* Leave the workers some of the CPU. */
		usleep(100);
	}
	store(&sh->finished[MOCK_AGENT], 1);
	return NULL;
}

/* edu writes its buffer (EDU_BYTE) to the slots, mapped or not. */
static void *edu_agent(void *arg)
{
	struct dma_test *t = arg;
	struct shared *sh = t->sh;
	__u32 len = sh->page < EDU_DMA_MAX ? sh->page : EDU_DMA_MAX;
	unsigned int seed = 11;
	long n = 0;
	int slot;

	sh->tid[EDU_AGENT] = syscall(SYS_gettid);
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		slot = rand_r(&seed) % SLOTS;
		if (edu_dma(&t->bar, SLOT_IOVA(slot), len, true))
			dma_fail(t, "edu DMA did not complete", slot,
				 -ETIMEDOUT);
		__atomic_fetch_add(&sh->edu_dmas, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&sh->progress[EDU_AGENT], ++n,
				 __ATOMIC_RELEASE);
	}
	store(&sh->finished[EDU_AGENT], 1);
	return NULL;
}

/*
 * Bind the first edu device to the context of @t, attach it to the
 * slots' IOAS and load its buffer with EDU_BYTE from a page mapped at
 * SOURCE_IOVA; then check that its DMA lands in a mapped slot.  Returns
 * why edu takes no part, or NULL.
 */
static const char *edu_setup(struct __test_metadata *_metadata,
			     struct dma_test *t, const char *bdf, int devfd,
			     char *source)
{
	__u32 len = t->sh->page < EDU_DMA_MAX ? t->sh->page : EDU_DMA_MAX;
	__u64 iova = SOURCE_IOVA;
	__u32 dev_id;
	int rc;

	if (!bdf[0])
		return "no edu device (1234:11e8) on this machine";
	if (pci_bind(devfd, t->sh->fd, &dev_id))
		return "edu would not bind to the context";
	rc = attach(t->sh->fd, dev_id, t->ioas, 0);
	if (rc == -EOPNOTSUPP)
		return "the IOMMU gives edu no paging domain";
	EXPECT_EQ(0, rc);
	if (rc)
		return "edu would not attach";
	EXPECT_EQ(0, edu_map(devfd, &t->bar));
	EXPECT_EQ(0, pci_bus_master(devfd, 1));
	memset(source, EDU_BYTE, t->sh->page);
	EXPECT_EQ(0, ioas_map(t->sh->fd, t->ioas, source, t->sh->page, &iova,
			      MAP_FIXED_RW));
	EXPECT_EQ(0, edu_dma(&t->bar, SOURCE_IOVA, len, false));
	EXPECT_EQ(0, map_slot(t, 0));
	EXPECT_EQ(0, edu_dma(&t->bar, SLOT_IOVA(0), len, true));
	EXPECT_EQ(EDU_BYTE, (unsigned char)slot_page(t, 0)[0]);
	EXPECT_EQ(0, unmap_slot(t, 0));
	t->edu = true;
	return NULL;
}

TEST_F_TIMEOUT(stress, dma_never_lands_unmapped, TIMEOUT)
{
	struct worker workers[DMA_CHAOS];
	pthread_t threads[EDU_AGENT + 1];
	char bdfs[4][16], bdf[16] = "", unsafe = 'N';
	__u32 len = self->page < EDU_DMA_MAX ? self->page : EDU_DMA_MAX;
	struct dma_test t = { .seed = 3 };
	const char *why_no_edu = NULL;
	int fd, devfd = -1, i, n, at, stuck;
	char data[MOCK_DMA_LEN] = { 0 };
	char *bufs, *source;

	if (find_edu(bdfs, 4) > 0) {
		snprintf(bdf, sizeof(bdf), "%s", bdfs[0]);
		edu_open(_metadata, bdf, &unsafe, &devfd, &fd);
	} else {
		fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
	}
	/*
	 * The slots' IOAS and mock device first, then the pools: those ids
	 * are never freed, so no stale id of a worker comes to name them.
	 */
	ASSERT_EQ(0, ioas_alloc(fd, &t.ioas));
	ASSERT_EQ(0, new_mock(fd, true, &t.mock));
	ASSERT_EQ(0, attach(fd, t.mock, t.ioas, 0));
	t.sh = shared_new(_metadata, fd, self->ops / 4 / DMA_CHAOS);
	ASSERT_NE(NULL, t.sh);
	bufs = buffers(DMA_CHAOS + 2);
	ASSERT_NE(NULL, bufs);
	t.slots = bufs + DMA_CHAOS * BUF_PAGES * self->page;
	source = t.slots + BUF_PAGES * self->page;
	memset(t.slots, SENTINEL, SLOTS * self->page);
	why_no_edu = edu_setup(_metadata, &t, bdf, devfd, source);
	if (why_no_edu)
		ksft_print_msg("dma: mock DMA only: %s\n", why_no_edu);

	for (i = 0; i < DMA_CHAOS; i++) {
		workers[i] = (struct worker){
			.sh = t.sh,
			.index = i,
			.seed = 1000 + i,
			.buf = bufs + i * BUF_PAGES * self->page,
		};
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, chaos,
					    &workers[i]));
	}
	ASSERT_EQ(0, pthread_create(&threads[MAPPER], NULL, mapper, &t));
	ASSERT_EQ(0, pthread_create(&threads[MOCK_AGENT], NULL, mock_agent,
				    &t));
	n = MOCK_AGENT + 1;
	if (t.edu)
		ASSERT_EQ(0, pthread_create(&threads[n++], NULL, edu_agent,
					    &t));
	stuck = watch(t.sh, n, NULL, NULL);
	if (stuck >= 0) {
		store(&t.sh->stop, 1);
		report_stuck(_metadata, t.sh, stuck, t.sh->tid[stuck], true);
		ASSERT_EQ(-1, stuck);
	}
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
	report(t.sh, "dma");
	ksft_print_msg("dma: mapper %ld, mock DMA %lu (in %lu slots unmapped)\n",
		       t.sh->progress[MAPPER], t.sh->mock_dmas,
		       t.sh->mock_landed);
	ksft_print_msg("dma: edu DMA %lu (in %lu slots unmapped)\n",
		       t.sh->edu_dmas, t.sh->edu_landed);
	if (t.sh->failure[0])
		TH_LOG("%s", t.sh->failure);
	ASSERT_EQ(0, t.sh->failure[0]);
	ASSERT_TRUE(all_documented(_metadata, t.sh));
	ASSERT_LT(0, t.sh->mock_landed);

	/* Everything unmapped, DMA once more at every slot: nothing lands. */
	for (i = 0; i < SLOTS; i++)
		if (t.mapped[i])
			ASSERT_EQ(0, unmap_slot(&t, i));
	for (i = 0; i < SLOTS; i++) {
		ASSERT_EQ(-ENXIO, mock_dma(fd, t.mock, SLOT_IOVA(i), data,
					   sizeof(data), true));
		if (t.edu)
			ASSERT_EQ(0, edu_dma(&t.bar, SLOT_IOVA(i), len, true));
	}
	for (i = 0; i < SLOTS; i++) {
		at = slot_changed(&t, i);
		if (at >= 0)
			TH_LOG("slot %d changed at %d after its unmap", i, at);
		ASSERT_EQ(-1, at);
	}
	if (t.edu)
		ASSERT_EQ(0, pci_bus_master(devfd, 0));
	if (devfd >= 0) {
		ASSERT_EQ(0, close(devfd));
		pci_release(bdf);
		set_unsafe_interrupts(unsafe);
	}
	ASSERT_EQ(0, close(fd));
	munmap(bufs, (DMA_CHAOS + 2) * BUF_PAGES * self->page);
	munmap(t.sh, sizeof(*t.sh));
}

/* The hugetlb test: threads mapping ranges of the same huge pages. */
#define HUGE_THREADS 4
#define HUGE_PAGES 3
#define HUGE_IOVA 0x80000000ULL

struct huge_worker {
	int fd;
	__u32 ioas_id, dev_id;
	char *mem;		/* HUGE_PAGES huge pages */
	size_t huge, page;
	unsigned int seed;
	long ops, maps;
	char why[128];		/* the first failure */
};

/*
 * Map a random run of pages of the huge pages into the worker's IOAS, read
 * a piece of it back through the mock device, and unmap it.  The runs of
 * the workers meet in the same huge folios, one context pinning them: the
 * pins of a folio are shared, cut and dropped under each other.
 */
static void *huge_mapper(void *arg)
{
	struct huge_worker *w = arg;
	size_t pages = HUGE_PAGES * w->huge / w->page;
	char got[256];
	long i;

	for (i = 0; i < w->ops && !w->why[0]; i++) {
		size_t first = rand_r(&w->seed) % pages;
		size_t n = 1 + rand_r(&w->seed) % (pages - first);
		size_t at = rand_r(&w->seed) % (n * w->page - sizeof(got) + 1);
		__u64 iova = HUGE_IOVA + first * w->page;
		int rc;

		rc = ioas_map(w->fd, w->ioas_id, w->mem + first * w->page,
			      n * w->page, &iova, MAP_FIXED_RW);
		if (rc) {
			snprintf(w->why, sizeof(w->why), "map: %d", rc);
			break;
		}
		w->maps++;
		rc = mock_dma(w->fd, w->dev_id, iova + at, got, sizeof(got),
			      false);
		if (rc || memcmp(got, w->mem + first * w->page + at,
				 sizeof(got)))
			snprintf(w->why, sizeof(w->why),
				 "DMA at page %zu + %zu: %d, or other bytes",
				 first, at, rc);
		rc = ioas_unmap(w->fd, w->ioas_id, iova, n * w->page, NULL);
		if (rc && !w->why[0])
			snprintf(w->why, sizeof(w->why), "unmap: %d", rc);
	}
	return NULL;
}

/*
 * The pins of hugetlb folios, which a MAP takes a folio at a time and
 * shares with the pins of other MAPs of the same memory, under MAPs and
 * UNMAPs of overlapping runs from several threads: every byte read through
 * a mapping is the memory's, and once all is closed every huge page is
 * free again (a folio pinned once too often stays in use; once too few,
 * the kernel warns).
 */
TEST_F_TIMEOUT(stress, hugetlb_pins_under_racing_maps, TIMEOUT)
{
	struct ioasid_test_mock_device mock = {
		.pgsize_bitmap = self->page | (2UL << 20),
		.aperture_last = APERTURE_LAST,
	};
	struct huge_worker w[HUGE_THREADS];
	pthread_t threads[HUGE_THREADS];
	long pool = ioasid_huge_pool(), free_before, maps = 0;
	size_t huge = 2UL << 20, i;
	char *mem;
	int fd;

	if (pool < 0 || ioasid_meminfo("Hugepagesize: %ld kB") != 2048 ||
	    ioasid_set_huge_pool(pool + HUGE_PAGES))
		SKIP(return, "no 2 MiB hugetlb pages on this kernel");
	free_before = ioasid_meminfo("HugePages_Free: %ld");
	mem = mmap(NULL, HUGE_PAGES * huge, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE,
		   -1, 0);
	if (mem == MAP_FAILED) {
		ioasid_set_huge_pool(pool);
		SKIP(return, "the pool gave no %d huge pages", HUGE_PAGES);
	}
	for (i = 0; i < HUGE_PAGES * huge; i++)
		mem[i] = i * 7 + i / huge;
	fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	for (i = 0; i < HUGE_THREADS; i++) {
		w[i] = (struct huge_worker){
			.fd = fd,
			.mem = mem,
			.huge = huge,
			.page = self->page,
			.seed = i + 1,
			.ops = self->ops / 40 / HUGE_THREADS + 1,
		};
		ASSERT_EQ(0, ioas_alloc(fd, &w[i].ioas_id));
		ASSERT_EQ(0, mock_device(fd, &mock, &w[i].dev_id));
		ASSERT_EQ(0, attach(fd, w[i].dev_id, w[i].ioas_id, 0));
	}
	for (i = 0; i < HUGE_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, huge_mapper,
					    &w[i]));
	for (i = 0; i < HUGE_THREADS; i++) {
		pthread_join(threads[i], NULL);
		if (w[i].why[0])
			TH_LOG("worker %zu: %s", i, w[i].why);
		EXPECT_EQ(0, w[i].why[0]);
		maps += w[i].maps;
	}
	ksft_print_msg("hugetlb: %ld maps of runs of %d huge pages by %d threads\n",
		       maps, HUGE_PAGES, HUGE_THREADS);
	close(fd);
	munmap(mem, HUGE_PAGES * huge);
	/* Every folio is back in the pool: none kept a pin. */
	EXPECT_EQ(free_before, ioasid_meminfo("HugePages_Free: %ld"));
	ASSERT_EQ(0, ioasid_set_huge_pool(pool));
}

TEST_HARNESS_MAIN
