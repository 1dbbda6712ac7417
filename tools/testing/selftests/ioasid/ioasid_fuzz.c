// SPDX-License-Identifier: GPL-2.0
/*
 * A grammar fuzzer of the whole uAPI: /dev/ioasid, the mock devices of the
 * test interface, the fault objects' files, the nodes of shared devices and,
 * where the lane has an edu device, a PCI device file.
 *
 * Each operation is one command with its arguments drawn from a grammar:
 * ids of live objects, of destroyed ones, of another kind or of nothing;
 * IOVAs and lengths at the boundaries (0, 1, a page less one, a page, a huge
 * page, the top of the address space, sums that wrap); user memory that is
 * mapped, unmapped, read-only, PROT_NONE, of a memfd or of hugetlbfs;
 * unknown flags and non-zero reserved members.  A share of the commands
 * goes out with a struct that is short, long with a zero tail, long with
 * junk in its tail, or that cannot be read, and those fail with the errno
 * the general rules give (-EINVAL, success, -E2BIG, -EFAULT).  Some run
 * with ioasid's own fail_nth armed, so that their allocations and pins fail.
 *
 * The fuzzer keeps a model of what each context holds: its objects, and
 * the mappings of each IOAS with their user addresses.  After every
 * command it checks:
 * - the result is success or an errno the command's documentation gives
 *   (and, where the model knows it, the very result: an overlapping fixed
 *   MAP fails with -EEXIST, an UNMAP that cuts a mapping with -EINVAL, ...);
 * - the IOAS the command touched holds exactly the mappings the model says
 *   (IOASID_IOAS_MAPPINGS): a failed command changed nothing;
 * - the module counters agree with the objects the model holds, and no page
 *   is pinned or charged while nothing is mapped;
 * - a mock device's DMA reaches exactly what is mapped: the bytes it writes
 *   are in the memory the mapping pins, at the address the model says, and
 *   an IOVA the model holds no mapping at fails;
 * and every few commands that the objects the context lists
 * (IOASID_OBJECTS) are those the model holds.  At the end, with every file
 * closed, each counter is back where it started.
 *
 * A run prints its seed and the number of operations.  It replays with
 * IOASID_FUZZ_SEED=<seed> IOASID_FUZZ_OPS=<ops> ./ioasid_fuzz -t random_seed
 * (IOASID_FUZZ_VERBOSE=1 prints every operation; in a lane, pass these
 * through IOASID_GUEST_ENV of scripts/run-lane.sh).  IOASID_FUZZ_OPS sets
 * how many operations the random run makes (the lanes set it: 100,000 in
 * the debug lane), and a failure prints the operations before it.  The
 * "racing" run, a tenth as long, adds a thread that takes away a region of
 * the memory the fuzzer maps from (PROT_NONE), maps it again with new pages
 * and frees them, all the time: its runs do not replay exactly.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "ioasid_utils.h"
#include "ioasid_mock_utils.h"
#include "ioasid_pci_utils.h"

#define FZ_CTXS 2
#define FZ_OBJS 40
#define FZ_MAPS 96
#define FZ_STALE 8
#define FZ_TRACE 24
#define FZ_FULL_CHECK 32	/* operations between two checks of everything */
#define FZ_DEFAULT_OPS 20000
#define FZ_FIXED_OPS 1000
#define FZ_IOVA_PAGES 256	/* the window most IOVAs are drawn from */
#define FZ_ANON_PAGES 64
#define FZ_MEMFD_PAGES 32
#define FZ_SMALL_PAGES 8
#define FZ_DMA_MAX (4 * 4096)
#define FZ_HUGE (2UL << 20)
#define IOASID_FAIL_NTH "/sys/kernel/debug/ioasid/fail_nth"

/* The regions of memory the fuzzer maps from. */
enum fz_region_kind {
	R_ANON,		/* private anonymous, read-write */
	R_RO,		/* private anonymous, read-only */
	R_HOLE,		/* nothing mapped */
	R_NONE,		/* PROT_NONE */
	R_MEMFD,	/* a shared mapping of the memfd */
	R_HUGE,		/* hugetlb, when the pool gives two huge pages */
	R_RACE,		/* unmapped and mapped again by the racing thread */
	R_NUM,
};

struct fz_region {
	char *va;
	size_t len;
};

/* A mapping as the model holds it. */
struct fz_map {
	__u64 iova;
	__u64 length;
	__u64 va;	/* the user address of the memory at @iova, or 0 */
	__u64 off;	/* for a mapping of the memfd, its offset at @iova */
	__u32 flags;	/* enum ioasid_mapping_flags */
	bool stable;	/* the memory at @va is what the mapping pins */
};

struct fz_obj {
	__u32 id;
	__u32 kind;		/* enum ioasid_object_kind */
	__u32 attached;		/* a device's IOAS, a hwpt's IOAS */
	__u32 via;		/* a device's hwpt, or its IOAS */
	bool pci;		/* the device of the PCI device file */
	bool enabled;		/* an enabled IOAS */
	bool restricted;	/* an IOAS with allowed ranges set */
	bool tracking;		/* an IOAS that tracks dirty pages */
	bool pasid_held;	/* an IOAS a PASID was attached to */
	bool shared;		/* a device shared for SVA */
	int node_fd;		/* an open node of a shared device, or -1 */
	int fault_fd;		/* a fault object's file, or -1 */
	unsigned int nmaps;
	struct fz_map *maps;	/* an IOAS's mappings, by IOVA */
};

struct fz_ctx {
	int fd;			/* -1 when closed */
	unsigned int nobjs;
	struct fz_obj objs[FZ_OBJS];
	__u32 stale[FZ_STALE];	/* ids destroyed */
	unsigned int nstale;
};

/* How a command is known to the fuzzer. */
struct fz_cmd {
	const char *name;
	unsigned long nr;
	__u32 first;		/* the size of the first version */
	__u32 size;		/* the size this fuzzer knows */
	const int *errs;	/* the errnos its documentation gives, 0-ended */
};

struct fz {
	struct __test_metadata *meta;
	__u64 seed, rng;
	unsigned long op;
	size_t page;
	struct fz_ctx ctx[FZ_CTXS];
	struct fz_region region[R_NUM];
	int memfd, memfd_ro;
	char *arg;		/* two pages: the struct, then PROT_NONE */
	char *buf;		/* room for arrays the commands point to */
	char *dma;		/* a DMA buffer */
	struct ioasid_counters start;
	int fail_knob;		/* ioasid/fail_nth, or -1 */
	int counters;		/* the counters' file */
	long huge_pool;		/* the huge pages the pool had, or -1 */
	/* the PCI device file, where the lane has an edu device */
	char bdf[16];
	char unsafe;
	int devfd;
	int dev_ctx;		/* the context it is bound to, or -1 */
	/* the result of the command being checked */
	int expect;		/* the result the model knows, or 1 */
	bool fired;		/* the armed failure happened */
	bool mutated;		/* the struct was made bad on purpose */
	/* what happened, for the report */
	unsigned long calls, fails, mutations, injections, dma_checked;
	char trace[FZ_TRACE][200];
	bool failed;
	bool verbose;		/* print every operation */
	/* the racing thread */
	pthread_t racer;
	bool racing;		/* read and written atomically */
};

#define FZ_UNKNOWN 1

/* The errnos of each command (the general ones are added to all). */
static const int e_destroy[] = { ENOENT, EBUSY, 0 };
static const int e_alloc[] = { ENOMEM, 0 };
static const int e_map[] = { EOVERFLOW, EEXIST, ERANGE, ENOSPC, ENOMEM,
			     ENOENT, 0 };
static const int e_map_file[] = { EOVERFLOW, EEXIST, ERANGE, ENOSPC, ENOMEM,
				  ENOENT, EBADF, EACCES, EPERM, 0 };
static const int e_unmap[] = { EOVERFLOW, ENOENT, 0 };
static const int e_copy[] = { EOVERFLOW, EEXIST, ERANGE, ENOSPC, ENOMEM,
			      ENOENT, EPERM, 0 };
static const int e_ranges[] = { EMSGSIZE, ENOENT, 0 };
static const int e_allow[] = { EADDRINUSE, EBUSY, ENOMEM, ENOENT, 0 };
static const int e_attach[] = { ENOENT, EBUSY, EADDRINUSE, ENOMEM, 0 };
static const int e_detach[] = { ENOENT, 0 };
static const int e_info[] = { ENOENT, ENOMEM, 0 };
static const int e_enable[] = { EALREADY, ENOENT, ENOMEM, 0 };
static const int e_features[] = { ENODATA, ENOENT, 0 };
static const int e_take[] = { ENOMEM, 0 };
static const int e_inval[] = { EOVERFLOW, EALREADY, ENOENT, ENOMEM, 0 };
static const int e_supply[] = { EOVERFLOW, ENOENT, EEXIST, EACCES, EXDEV,
				ENOMEM, 0 };
static const int e_objects[] = { ENOMEM, 0 };
static const int e_mappings[] = { ENOENT, ENOMEM, 0 };
static const int e_share[] = { EBUSY, ENOENT, ENOSPC, ENOMEM, 0 };
static const int e_hwpt[] = { ENOENT, EADDRINUSE, ENOMEM, 0 };
static const int e_hwpt_inv[] = { ENOENT, 0 };
static const int e_fault[] = { EMFILE, ENOMEM, 0 };
static const int e_dirty[] = { ENOENT, 0 };
static const int e_bitmap[] = { ENODATA, ENOENT, ENOMEM, 0 };
static const int e_batch[] = { EOVERFLOW, EEXIST, ERANGE, ENOSPC, ENOMEM,
			       ENOENT, 0 };
static const int e_sva_bind[] = { EBUSY, EDQUOT, ENOSPC, ENODEV, ENOMEM, 0 };
static const int e_sva_unbind[] = { ENODEV, 0 };
static const int e_pci_bind[] = { EBADF, EALREADY, EBUSY, EPERM, EACCES,
				  EAGAIN, ENODEV, ENOMEM, 0 };
static const int e_pci[] = { ENODEV, 0 };
static const int e_pci_config[] = { EPERM, ENODEV, 0 };
static const int e_pci_reset[] = { ENOTTY, EAGAIN, ENODEV, 0 };
static const int e_pci_notify[] = { EBADF, ENODEV, 0 };

/* @_first: the size of the first version, as ioasid.rst lists it. */
#define FZ_CMD(_nr, _struct, _first, _errs) {				\
	.name = #_nr,							\
	.nr = _nr,							\
	.first = _first,						\
	.size = sizeof(_struct),					\
	.errs = _errs,							\
}

enum {
	C_DESTROY, C_IOAS_ALLOC, C_MAP, C_MAP_FILE, C_UNMAP, C_COPY,
	C_RANGES, C_ALLOW, C_ATTACH, C_DETACH, C_DEV_INFO, C_IOAS_INFO,
	C_ENABLE, C_FEATURES, C_TAKE, C_INVALIDATE, C_SUPPLY, C_OBJECTS,
	C_MAPPINGS, C_SHARE, C_HWPT_ALLOC, C_HWPT_INV, C_FAULT_ALLOC,
	C_DIRTY, C_BITMAP, C_MAP_BATCH, C_UNMAP_BATCH, C_SVA_BIND,
	C_SVA_UNBIND, C_PCI_BIND, C_PCI_INFO, C_PCI_REGION, C_PCI_CONFIG,
	C_PCI_MASTER, C_PCI_RESET, C_PCI_NOTIFY,
};

static const struct fz_cmd fz_cmds[] = {
	[C_DESTROY] = FZ_CMD(IOASID_DESTROY, struct ioasid_destroy,
		16, e_destroy),
	[C_IOAS_ALLOC] = FZ_CMD(IOASID_IOAS_ALLOC, struct ioasid_ioas_alloc,
		16, e_alloc),
	[C_MAP] = FZ_CMD(IOASID_IOAS_MAP, struct ioasid_ioas_map, 40, e_map),
	[C_MAP_FILE] = FZ_CMD(IOASID_IOAS_MAP_FILE, struct ioasid_ioas_map_file,
		40, e_map_file),
	[C_UNMAP] = FZ_CMD(IOASID_IOAS_UNMAP, struct ioasid_ioas_unmap,
		32, e_unmap),
	[C_COPY] = FZ_CMD(IOASID_IOAS_COPY, struct ioasid_ioas_copy,
		40, e_copy),
	[C_RANGES] = FZ_CMD(IOASID_IOAS_IOVA_RANGES,
		struct ioasid_ioas_iova_ranges, 24, e_ranges),
	[C_ALLOW] = FZ_CMD(IOASID_IOAS_ALLOW_IOVAS,
		struct ioasid_ioas_allow_iovas, 24, e_allow),
	[C_ATTACH] = FZ_CMD(IOASID_DEVICE_ATTACH, struct ioasid_device_attach,
		16, e_attach),
	[C_DETACH] = FZ_CMD(IOASID_DEVICE_DETACH, struct ioasid_device_detach,
		16, e_detach),
	[C_DEV_INFO] = FZ_CMD(IOASID_DEVICE_INFO, struct ioasid_device_info,
		96, e_info),
	[C_IOAS_INFO] = FZ_CMD(IOASID_IOAS_INFO, struct ioasid_ioas_info,
		72, e_info),
	[C_ENABLE] = FZ_CMD(IOASID_IOAS_ENABLE, struct ioasid_ioas_enable,
		32, e_enable),
	[C_FEATURES] = FZ_CMD(IOASID_IOAS_FEATURES, struct ioasid_ioas_features,
		24, e_features),
	[C_TAKE] = FZ_CMD(IOASID_TAKE_OWNERSHIP, struct ioasid_take_ownership,
		24, e_take),
	[C_INVALIDATE] = FZ_CMD(IOASID_UADDR_INVALIDATE,
		struct ioasid_uaddr_invalidate, 24, e_inval),
	[C_SUPPLY] = FZ_CMD(IOASID_UADDR_SUPPLY, struct ioasid_uaddr_supply,
		40, e_supply),
	[C_OBJECTS] = FZ_CMD(IOASID_OBJECTS, struct ioasid_objects,
		32, e_objects),
	[C_MAPPINGS] = FZ_CMD(IOASID_IOAS_MAPPINGS, struct ioasid_ioas_mappings,
		40, e_mappings),
	[C_SHARE] = FZ_CMD(IOASID_DEVICE_SHARE, struct ioasid_device_share,
		24, e_share),
	[C_HWPT_ALLOC] = FZ_CMD(IOASID_HWPT_ALLOC, struct ioasid_hwpt_alloc,
		56, e_hwpt),
	[C_HWPT_INV] = FZ_CMD(IOASID_HWPT_INVALIDATE,
		struct ioasid_hwpt_invalidate, 40, e_hwpt_inv),
	[C_FAULT_ALLOC] = FZ_CMD(IOASID_FAULT_ALLOC, struct ioasid_fault_alloc,
		24, e_fault),
	[C_DIRTY] = FZ_CMD(IOASID_IOAS_DIRTY_TRACKING,
		struct ioasid_ioas_dirty_tracking, 16, e_dirty),
	[C_BITMAP] = FZ_CMD(IOASID_IOAS_DIRTY_BITMAP,
		struct ioasid_ioas_dirty_bitmap, 48, e_bitmap),
	[C_MAP_BATCH] = FZ_CMD(IOASID_IOAS_MAP_BATCH, struct ioasid_ioas_batch,
		32, e_batch),
	[C_UNMAP_BATCH] = FZ_CMD(IOASID_IOAS_UNMAP_BATCH,
		struct ioasid_ioas_batch, 32, e_batch),
	[C_SVA_BIND] = FZ_CMD(IOASID_SVA_BIND, struct ioasid_sva_bind,
		16, e_sva_bind),
	[C_SVA_UNBIND] = FZ_CMD(IOASID_SVA_UNBIND, struct ioasid_sva_unbind,
		8, e_sva_unbind),
	[C_PCI_BIND] = FZ_CMD(IOASID_PCI_BIND, struct ioasid_pci_bind,
		16, e_pci_bind),
	[C_PCI_INFO] = FZ_CMD(IOASID_PCI_INFO, struct ioasid_pci_info,
		24, e_pci),
	[C_PCI_REGION] = FZ_CMD(IOASID_PCI_REGION_INFO,
		struct ioasid_pci_region_info, 32, e_pci),
	[C_PCI_CONFIG] = FZ_CMD(IOASID_PCI_CONFIG, struct ioasid_pci_config,
		24, e_pci_config),
	[C_PCI_MASTER] = FZ_CMD(IOASID_PCI_BUS_MASTER,
		struct ioasid_pci_bus_master, 16, e_pci),
	[C_PCI_RESET] = FZ_CMD(IOASID_PCI_RESET, struct ioasid_pci_reset,
		8, e_pci_reset),
	[C_PCI_NOTIFY] = FZ_CMD(IOASID_PCI_ERROR_NOTIFY,
		struct ioasid_pci_error_notify, 16, e_pci_notify),
};

/* Every command may fail by the general rules of the format. */
static const int e_general[] = { EINVAL, EFAULT, E2BIG, EOPNOTSUPP, 0 };

/* splitmix64: small, and the same sequence from a seed everywhere. */
static __u64 fz_next(struct fz *f)
{
	__u64 z = (f->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u64 fz_below(struct fz *f, __u64 n)
{
	return n ? fz_next(f) % n : 0;
}

/* True with a chance of @percent in a hundred. */
static bool fz_chance(struct fz *f, unsigned int percent)
{
	return fz_below(f, 100) < percent;
}

static void fz_trace(struct fz *f, const char *fmt, ...)
{
	char *line = f->trace[f->op % FZ_TRACE];
	int n;
	va_list ap;

	n = snprintf(line, sizeof(f->trace[0]), "op %lu: ", f->op);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(f->trace[0]) - n, fmt, ap);
	va_end(ap);
}

/* Report a broken rule, with the operations that led to it. */
static void fz_fail(struct fz *f, const char *fmt, ...)
{
	struct __test_metadata *_metadata = f->meta;
	char why[256];
	unsigned long i, from;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (f->failed)
		return;
	f->failed = true;
	from = f->op >= FZ_TRACE - 1 ? f->op - (FZ_TRACE - 1) : 0;
	for (i = from; i <= f->op; i++)
		TH_LOG("  %s", f->trace[i % FZ_TRACE]);
	TH_LOG("seed 0x%llx, operation %lu: %s", (unsigned long long)f->seed,
	       f->op, why);
	TH_LOG("replay, in the same lane: IOASID_FUZZ_SEED=0x%llx IOASID_FUZZ_OPS=%lu",
	       (unsigned long long)f->seed, f->op + 1);
}

static bool errno_in(int err, const int *list)
{
	for (; *list; list++)
		if (*list == err)
			return true;
	return false;
}

/* Arm ioasid's fail_nth for the next command, now and then. */
static bool fz_arm(struct fz *f)
{
	char n[8];

	if (f->fail_knob < 0 || !fz_chance(f, 4))
		return false;
	snprintf(n, sizeof(n), "%u", (unsigned int)fz_below(f, 6) + 1);
	return pwrite(f->fail_knob, n, strlen(n), 0) > 0;
}

/* Disarm it; true if the armed failure happened. */
static bool fz_disarm(struct fz *f)
{
	char n[16] = "";

	if (pread(f->fail_knob, n, sizeof(n) - 1, 0) <= 0)
		return false;
	if (strtoul(n, NULL, 10) == 0)
		return true;
	if (pwrite(f->fail_knob, "0", 1, 0) != 1)
		fz_fail(f, "cannot disarm fail_nth");
	return false;
}

enum fz_mutation {
	M_NONE,
	M_SHORT,	/* a size below the first version: -EINVAL */
	M_LONG,		/* a longer struct with a zero tail: as M_NONE */
	M_JUNK,		/* a longer struct with junk in its tail: -E2BIG */
	M_NULL,		/* no struct: -EFAULT */
	M_GUARD,	/* the struct ends in a page that cannot be read */
};

/*
 * Issue command @c on @fd with the struct @s, which holds its output
 * afterwards.  Now and then the struct is made bad in one way, and the
 * result must be the errno of the general rules; now and then ioasid's
 * fail_nth is armed.  Returns 0 or -errno; the result was checked against
 * the command's errnos and against f->expect (the result the model knows,
 * or FZ_UNKNOWN), which is reset.
 */
static int fz_ioctl(struct fz *f, int fd, int which, void *s)
{
	const struct fz_cmd *c = &fz_cmds[which];
	union {
		__u32 d[10];
		__u64 q[5];
	} w = {};		/* the struct's start, for the trace */
	enum fz_mutation m = M_NONE;
	size_t room = f->page - 64, extra = 0;
	char *at = f->arg;
	int rc, expect = f->expect;
	bool armed;

	f->expect = FZ_UNKNOWN;
	f->calls++;
	memset(f->arg, 0, f->page);
	if (fz_chance(f, 8))
		m = fz_below(f, M_GUARD) + 1;
	switch (m) {
	case M_SHORT:
		*(__u32 *)s = fz_below(f, c->first);
		expect = -EINVAL;
		break;
	case M_LONG:
	case M_JUNK:
		extra = fz_below(f, room - c->size) + 1;
		*(__u32 *)s = c->size + extra;
		if (m == M_JUNK) {
			f->arg[c->size + fz_below(f, extra)] = 0x5a;
			expect = -E2BIG;
		}
		break;
	case M_NULL:
		at = NULL;
		expect = -EFAULT;
		break;
	case M_GUARD:
		/* The struct starts in the page and ends past it. */
		at = f->arg + f->page - fz_below(f, c->size - 4) - 4;
		expect = -EFAULT;
		break;
	default:
		break;
	}
	if (at == f->arg) {
		if (m == M_JUNK) {
			memcpy(f->arg, s, c->size);
		} else {
			memset(f->arg + c->size, 0, extra);
			memcpy(f->arg, s, c->size);
		}
	} else if (at) {
		memcpy(at, s, 4);
		memcpy(at + 4, (char *)s + 4, f->arg + f->page - at - 4);
	}
	f->mutated = m != M_NONE && m != M_LONG;
	if (f->mutated)
		f->mutations++;
	armed = fz_arm(f);
	rc = ioctl(fd, c->nr, at) ? -errno : 0;
	f->fired = armed && fz_disarm(f);
	if (f->fired)
		f->injections++;
	if (at == f->arg)
		memcpy(s, f->arg, c->size);
	if (rc)
		f->fails++;

	memcpy(&w, s, c->size < sizeof(w) ? c->size : sizeof(w));
	fz_trace(f, "%s size %u [%08x %08x %08x %08x %016llx %016llx]%s%s -> %d",
		 c->name, w.d[0], w.d[1], w.d[2], w.d[3], w.d[4],
		 (unsigned long long)w.q[3], (unsigned long long)w.q[4],
		 f->mutated ? " (bad struct)" : "",
		 f->fired ? " (failure injected)" : "", rc);
	if (f->fired && (rc == -ENOMEM || (expect != FZ_UNKNOWN && rc == expect)))
		return rc;
	if (expect != FZ_UNKNOWN && !f->mutated && !f->fired && rc != expect) {
		fz_fail(f, "%s returned %d where %d was due", c->name, rc,
			expect);
		return rc;
	}
	if (f->mutated && rc != expect) {
		fz_fail(f, "%s with a bad struct returned %d, not %d", c->name,
			rc, expect);
		return rc;
	}
	if (rc && !errno_in(-rc, c->errs) && !errno_in(-rc, e_general))
		fz_fail(f, "%s returned %d, which it does not document",
			c->name, rc);
	return rc;
}

/* ---- the model ---- */

static struct fz_obj *fz_obj(struct fz_ctx *ctx, __u32 id)
{
	unsigned int i;

	for (i = 0; i < ctx->nobjs; i++)
		if (ctx->objs[i].id == id)
			return &ctx->objs[i];
	return NULL;
}

static struct fz_obj *fz_obj_add(struct fz *f, struct fz_ctx *ctx, __u32 id,
				 __u32 kind)
{
	struct fz_obj *obj;

	if (fz_obj(ctx, id)) {
		fz_fail(f, "the kernel gave id %u twice", id);
		return NULL;
	}
	if (!id) {
		fz_fail(f, "the kernel gave id 0");
		return NULL;
	}
	if (ctx->nobjs == FZ_OBJS) {
		fz_fail(f, "the model has no room for object %u", id);
		return NULL;
	}
	obj = &ctx->objs[ctx->nobjs++];
	memset(obj, 0, sizeof(*obj));
	obj->id = id;
	obj->kind = kind;
	obj->node_fd = -1;
	obj->fault_fd = -1;
	if (kind == IOASID_OBJECT_IOAS) {
		obj->maps = calloc(FZ_MAPS, sizeof(*obj->maps));
		if (!obj->maps)
			fz_fail(f, "out of memory");
	}
	return obj;
}

static void fz_obj_forget(struct fz_obj *obj)
{
	if (obj->node_fd >= 0)
		close(obj->node_fd);
	if (obj->fault_fd >= 0)
		close(obj->fault_fd);
	free(obj->maps);
}

static void fz_obj_remove(struct fz_ctx *ctx, struct fz_obj *obj)
{
	ctx->stale[ctx->nstale++ % FZ_STALE] = obj->id;
	fz_obj_forget(obj);
	*obj = ctx->objs[--ctx->nobjs];
}

/* A random object of @kind (any kind for 0), or NULL. */
static struct fz_obj *fz_pick(struct fz *f, struct fz_ctx *ctx, __u32 kind)
{
	struct fz_obj *found[FZ_OBJS];
	unsigned int i, n = 0;

	for (i = 0; i < ctx->nobjs; i++)
		if (!kind || ctx->objs[i].kind == kind)
			found[n++] = &ctx->objs[i];
	return n ? found[fz_below(f, n)] : NULL;
}

/*
 * An id for a command that wants an object of @kind: mostly one, at times
 * one of another kind, a destroyed one, 0 or junk.  *@obj is the object,
 * or NULL when the id names none of @kind.
 */
static __u32 fz_id(struct fz *f, struct fz_ctx *ctx, __u32 kind,
		   struct fz_obj **obj)
{
	struct fz_obj *o = NULL;
	__u32 id;

	switch (fz_below(f, 20)) {
	case 0:
		o = fz_pick(f, ctx, 0);
		id = o ? o->id : 0;
		break;
	case 1:
		id = ctx->nstale ? ctx->stale[fz_below(f, ctx->nstale < FZ_STALE ?
						     ctx->nstale : FZ_STALE)] : 0;
		break;
	case 2:
		id = fz_chance(f, 50) ? 0 : (__u32)fz_next(f);
		break;
	default:
		o = fz_pick(f, ctx, kind);
		id = o ? o->id : 1;
		break;
	}
	o = fz_obj(ctx, id);
	*obj = o && o->kind == kind ? o : NULL;
	return id;
}

static bool fz_any_mapping(struct fz *f)
{
	unsigned int c, i;

	for (c = 0; c < FZ_CTXS; c++)
		for (i = 0; i < f->ctx[c].nobjs; i++)
			if (f->ctx[c].objs[i].nmaps)
				return true;
	return false;
}

/* Does [@iova, @iova + @len) meet a mapping of @ioas? */
static bool fz_overlaps(const struct fz_obj *ioas, __u64 iova, __u64 len)
{
	unsigned int i;

	for (i = 0; i < ioas->nmaps; i++)
		if (ioas->maps[i].iova <= iova + len - 1 &&
		    iova <= ioas->maps[i].iova + ioas->maps[i].length - 1)
			return true;
	return false;
}

static void fz_insert(struct fz *f, struct fz_obj *ioas,
		      const struct fz_map *map)
{
	unsigned int i;

	if (fz_overlaps(ioas, map->iova, map->length)) {
		fz_fail(f, "a new mapping at 0x%llx overlaps another",
			(unsigned long long)map->iova);
		return;
	}
	if (ioas->nmaps == FZ_MAPS) {
		fz_fail(f, "the model has no room for a mapping");
		return;
	}
	for (i = ioas->nmaps; i && ioas->maps[i - 1].iova > map->iova; i--)
		ioas->maps[i] = ioas->maps[i - 1];
	ioas->maps[i] = *map;
	ioas->nmaps++;
}

/*
 * What UNMAP of [@iova, @iova + @len) does to @ioas: -EINVAL if it cuts a
 * mapping, -ENOENT if it holds none, else 0 and *@bytes unmapped.
 */
static int fz_unmap_result(const struct fz_obj *ioas, __u64 iova, __u64 len,
			   __u64 *bytes)
{
	__u64 last = iova + len - 1;
	unsigned int i;

	*bytes = 0;
	for (i = 0; i < ioas->nmaps; i++) {
		const struct fz_map *m = &ioas->maps[i];
		__u64 m_last = m->iova + m->length - 1;

		if (m_last < iova || m->iova > last)
			continue;
		if (m->iova < iova || m_last > last)
			return -EINVAL;
		*bytes += m->length;
	}
	return *bytes ? 0 : -ENOENT;
}

static void fz_remove_range(struct fz_obj *ioas, __u64 iova, __u64 len)
{
	unsigned int i, n = 0;

	for (i = 0; i < ioas->nmaps; i++)
		if (ioas->maps[i].iova < iova ||
		    ioas->maps[i].iova + ioas->maps[i].length - 1 >
		    iova + len - 1)
			ioas->maps[n++] = ioas->maps[i];
	ioas->nmaps = n;
}

/* ---- checks against the kernel ---- */

/* The counters, from the file kept open: one pread() per operation. */
static int fz_counters(struct fz *f, struct ioasid_counters *c)
{
	char text[1024];
	int n;

	n = pread(f->counters, text, sizeof(text) - 1, 0);
	if (n <= 0)
		return -1;
	text[n] = 0;
	return ioasid_parse_counters(text, c);
}

/* Do the counters agree with the model? */
static void fz_check_counters(struct fz *f)
{
	struct ioasid_counters now;
	long contexts = 0, objects = 0, nested = 0;
	unsigned int c, i;

	for (c = 0; c < FZ_CTXS; c++) {
		if (f->ctx[c].fd < 0)
			continue;
		contexts++;
		objects += f->ctx[c].nobjs;
		for (i = 0; i < f->ctx[c].nobjs; i++)
			nested += f->ctx[c].objs[i].kind == IOASID_OBJECT_HWPT;
	}
	if (fz_counters(f, &now)) {
		fz_fail(f, "cannot read the counters");
		return;
	}
	if (now.contexts != f->start.contexts + contexts ||
	    now.objects != f->start.objects + objects ||
	    now.nested != f->start.nested + nested)
		fz_fail(f, "counters %ld, %ld, %ld; the model %ld, %ld, %ld",
			now.contexts - f->start.contexts,
			now.objects - f->start.objects,
			now.nested - f->start.nested, contexts, objects,
			nested);
	else if (!fz_any_mapping(f) &&
		 (now.pinned_pages != f->start.pinned_pages ||
		  now.accounted_pages != f->start.accounted_pages))
		fz_fail(f, "%ld pages pinned, %ld charged, with nothing mapped",
			now.pinned_pages - f->start.pinned_pages,
			now.accounted_pages - f->start.accounted_pages);
}

/* Show what the kernel and the model hold, for a report. */
static void fz_dump_mappings(struct fz *f, const struct fz_obj *ioas,
			     const struct ioasid_mapping *got, unsigned int n)
{
	struct __test_metadata *_metadata = f->meta;
	unsigned int i;

	for (i = 0; i < n; i++)
		TH_LOG("kernel: 0x%llx + 0x%llx flags 0x%x va 0x%llx off 0x%llx",
		       (unsigned long long)got[i].iova,
		       (unsigned long long)got[i].length, got[i].flags,
		       (unsigned long long)got[i].user_va,
		       (unsigned long long)got[i].file_offset);
	for (i = 0; i < ioas->nmaps; i++)
		TH_LOG("model: 0x%llx + 0x%llx flags 0x%x va 0x%llx off 0x%llx",
		       (unsigned long long)ioas->maps[i].iova,
		       (unsigned long long)ioas->maps[i].length,
		       ioas->maps[i].flags,
		       (unsigned long long)ioas->maps[i].va,
		       (unsigned long long)ioas->maps[i].off);
}

/* Does the kernel hold exactly the mappings the model holds for @ioas? */
static void fz_check_mappings(struct fz *f, struct fz_ctx *ctx,
			      struct fz_obj *ioas)
{
	struct ioasid_mapping *got = (struct ioasid_mapping *)f->buf;
	unsigned int i, n;
	int rc;

	if (!ioas || ioas->kind != IOASID_OBJECT_IOAS || f->failed)
		return;
	n = FZ_MAPS + 1;
	rc = list_mappings(ctx->fd, ioas->id, 0, got, &n, NULL);
	if (rc) {
		fz_fail(f, "IOASID_IOAS_MAPPINGS of IOAS %u: %d", ioas->id, rc);
		return;
	}
	if (n != ioas->nmaps) {
		fz_dump_mappings(f, ioas, got, n);
		fz_fail(f, "IOAS %u holds %u mappings, the model %u", ioas->id,
			n, ioas->nmaps);
		return;
	}
	for (i = 0; i < n; i++) {
		const struct fz_map *m = &ioas->maps[i];
		bool file = m->flags & IOASID_MAPPING_FILE;

		if (got[i].iova != m->iova || got[i].length != m->length ||
		    got[i].flags != m->flags ||
		    (!file && got[i].user_va != m->va) ||
		    (file && got[i].file_offset != m->off)) {
			fz_dump_mappings(f, ioas, got, n);
			fz_fail(f, "IOAS %u: mapping %u is not the model's",
				ioas->id, i);
			return;
		}
	}
}

/*
 * Does the context list the objects the model holds?  The devices'
 * attachments are taken from the list.
 */
static void fz_check_objects(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_object_entry *got = (struct ioasid_object_entry *)f->buf;
	struct fz_obj *obj;
	unsigned int i, n = FZ_OBJS + 1;
	int rc;

	if (ctx->fd < 0 || f->failed)
		return;
	rc = list_objects(ctx->fd, 0, got, &n, NULL);
	if (rc) {
		fz_fail(f, "IOASID_OBJECTS: %d", rc);
		return;
	}
	if (n != ctx->nobjs) {
		fz_fail(f, "the context lists %u objects, the model holds %u",
			n, ctx->nobjs);
		return;
	}
	for (i = 0; i < n; i++) {
		obj = fz_obj(ctx, got[i].id);
		if (!obj || obj->kind != got[i].kind) {
			fz_fail(f, "the context lists object %u of kind %u",
				got[i].id, got[i].kind);
			return;
		}
		if (got[i].attached_ioas_id &&
		    !(fz_obj(ctx, got[i].attached_ioas_id) &&
		      fz_obj(ctx, got[i].attached_ioas_id)->kind ==
		      IOASID_OBJECT_IOAS))
			fz_fail(f, "object %u is attached to %u, not an IOAS",
				got[i].id, got[i].attached_ioas_id);
		obj->attached = got[i].attached_ioas_id;
		if (!obj->attached)
			obj->via = 0;
	}
}

static void fz_check_all(struct fz *f)
{
	unsigned int c, i;

	for (c = 0; c < FZ_CTXS; c++) {
		fz_check_objects(f, &f->ctx[c]);
		for (i = 0; i < f->ctx[c].nobjs; i++)
			fz_check_mappings(f, &f->ctx[c], &f->ctx[c].objs[i]);
	}
	fz_check_counters(f);
}

/* Is anything attached to @ioas, directly or through a hwpt? */
static bool fz_ioas_busy(const struct fz_ctx *ctx, __u32 ioas_id)
{
	unsigned int i;

	for (i = 0; i < ctx->nobjs; i++)
		if (ctx->objs[i].attached == ioas_id &&
		    ctx->objs[i].kind != IOASID_OBJECT_IOAS)
			return true;
	return false;
}

/*
 * Does the model know what a MAP into @ioas does?  Not with devices (their
 * apertures, reserved regions and pages), allowed ranges or an armed
 * failure in play.
 */
static bool fz_ioas_plain(const struct fz_ctx *ctx, const struct fz_obj *ioas)
{
	return ioas && !ioas->restricted && !fz_ioas_busy(ctx, ioas->id);
}

/* ---- the grammar ---- */

/* An IOVA: mostly in a small window, so that ranges meet; or a boundary. */
static __u64 fz_iova(struct fz *f)
{
	static const __u64 odd[] = { 0, 1, 4095, FZ_HUGE, 1ULL << 39,
				     1ULL << 48, ~0ULL, ~0ULL - 4095 };

	if (fz_chance(f, 85))
		return f->page * fz_below(f, FZ_IOVA_PAGES);
	if (fz_chance(f, 50))
		return odd[fz_below(f, ARRAY_SIZE(odd))];
	return f->page * fz_below(f, FZ_IOVA_PAGES) + fz_below(f, f->page);
}

static __u64 fz_len(struct fz *f)
{
	static const __u64 odd[] = { 0, 1, 4095, FZ_HUGE, 1ULL << 32, ~0ULL,
				     ~0ULL - 4095 };

	if (fz_chance(f, 85))
		return f->page * (fz_below(f, 8) + 1);
	if (fz_chance(f, 50))
		return odd[fz_below(f, ARRAY_SIZE(odd))];
	return f->page * (fz_below(f, 32) + 1) + fz_below(f, 2) * 512;
}

static bool fz_aligned(struct fz *f, __u64 iova, __u64 len)
{
	return len && !(iova % f->page) && !(len % f->page) &&
	       iova + len - 1 >= iova;
}

/*
 * User memory for @len bytes: *@kind says which region (R_NUM for an
 * address in none), *@stable whether its pages stay what they are.
 */
static __u64 fz_va(struct fz *f, __u64 len, int *kind)
{
	static const __u64 odd[] = { 0, 1, 0xffff800000000000ULL,
				     ~0ULL - 4095 };
	static const unsigned char pick[] = {
		R_ANON, R_ANON, R_ANON, R_ANON, R_ANON, R_ANON, R_ANON,
		R_MEMFD, R_MEMFD, R_MEMFD, R_HUGE, R_HUGE, R_RO, R_HOLE,
		R_NONE, R_RACE, R_NUM,
	};
	const struct fz_region *r;
	__u64 pages;

	*kind = pick[fz_below(f, sizeof(pick))];
	if (*kind != R_NUM && !f->region[*kind].va)
		*kind = R_ANON;
	if (*kind == R_NUM)
		return odd[fz_below(f, ARRAY_SIZE(odd))];
	r = &f->region[*kind];
	if (len > r->len || len % f->page)
		return (__u64)(uintptr_t)r->va + fz_below(f, 2) * f->page;
	pages = (r->len - len) / f->page + 1;
	return (__u64)(uintptr_t)r->va + f->page * fz_below(f, pages);
}

/* Is [@va, @va + @len) wholly inside region @kind? */
static bool fz_in_region(struct fz *f, int kind, __u64 va, __u64 len)
{
	const struct fz_region *r = &f->region[kind];
	__u64 start = (uintptr_t)r->va;

	return kind != R_NUM && r->va && va >= start && len <= r->len &&
	       va - start <= r->len - len;
}

/* MAP flags: mostly readable and/or writeable, fixed or not. */
static __u32 fz_map_flags(struct fz *f, bool *sane)
{
	__u32 flags = fz_below(f, 3) + 1;

	flags = (flags & 1 ? IOASID_IOAS_MAP_READABLE : 0) |
		(flags & 2 ? IOASID_IOAS_MAP_WRITEABLE : 0);
	if (fz_chance(f, 75))
		flags |= IOASID_IOAS_MAP_FIXED_IOVA;
	if (fz_chance(f, 5)) {
		flags = fz_chance(f, 50) ? 0 : flags | 1U << fz_below(f, 32);
		*sane = false;
	}
	return flags;
}

static __u32 fz_mapping_flags(__u32 map_flags)
{
	return (map_flags & IOASID_IOAS_MAP_READABLE ?
		IOASID_MAPPING_READABLE : 0) |
	       (map_flags & IOASID_IOAS_MAP_WRITEABLE ?
		IOASID_MAPPING_WRITEABLE : 0);
}

/* A non-zero reserved member, now and then. */
static __u32 fz_reserved(struct fz *f, bool *sane)
{
	if (!fz_chance(f, 3))
		return 0;
	*sane = false;
	return fz_next(f) | 1;
}

/* The result of mapping memory of region @kind, when the model knows it. */
static int fz_memory_result(struct fz *f, int kind, __u64 va, __u64 len,
			    __u32 flags)
{
	if (!fz_in_region(f, kind, va, len))
		return FZ_UNKNOWN;
	switch (kind) {
	case R_ANON:
	case R_MEMFD:
	case R_HUGE:
		return 0;
	case R_RO:
		return flags & IOASID_IOAS_MAP_WRITEABLE ? -EFAULT : 0;
	case R_HOLE:
	case R_NONE:
		return -EFAULT;
	default:
		return FZ_UNKNOWN;
	}
}

static struct fz_ctx *fz_pick_ctx(struct fz *f)
{
	struct fz_ctx *ctx = &f->ctx[fz_below(f, FZ_CTXS)];

	if (ctx->fd < 0) {
		ctx->fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
		ctx->nobjs = 0;
		ctx->nstale = 0;
		if (ctx->fd < 0)
			fz_fail(f, "cannot open %s", IOASID_DEV);
		fz_trace(f, "open a context");
	}
	return ctx;
}

/* ---- the operations ---- */

static void op_ioas_alloc(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_ioas_alloc cmd = { .size = sizeof(cmd) };
	bool sane = true;
	int rc;

	if (ctx->nobjs > FZ_OBJS - 4)
		return;
	cmd.__reserved = fz_reserved(f, &sane);
	if (fz_chance(f, 3)) {
		cmd.flags = 1U << fz_below(f, 32);
		f->expect = -EOPNOTSUPP;
	} else {
		f->expect = sane ? 0 : -EINVAL;
	}
	rc = fz_ioctl(f, ctx->fd, C_IOAS_ALLOC, &cmd);
	if (!rc)
		fz_obj_add(f, ctx, cmd.out_ioas_id, IOASID_OBJECT_IOAS);
}

static void op_mock_device(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_test_mock_device dev = {
		.pgsize_bitmap = f->page | FZ_HUGE,
		.aperture_last = ~0ULL,
	};
	__u32 id;
	int rc;

	if (ctx->nobjs > FZ_OBJS - 4)
		return;
	switch (fz_below(f, 6)) {
	case 0:
		dev.caps = IOASID_DEVICE_CAP_SVA;
		dev.max_pasid_log2 = 8;
		break;
	case 1:
		dev.nesting_formats = IOASID_NESTING_MOCK_S1;
		dev.caps = IOASID_DEVICE_CAP_DIRTY_TRACKING;
		dev.max_pasid_log2 = 4;
		break;
	case 2:
		dev.aperture_last = (FZ_IOVA_PAGES / 2) * f->page - 1;
		break;
	case 3:
		dev.flags = IOASID_TEST_MOCK_RESV;
		dev.resv_start = 16 * f->page;
		dev.resv_last = 20 * f->page - 1;
		break;
	case 4:
		dev.pgsize_bitmap = 2 * f->page;
		break;
	default:
		break;
	}
	rc = mock_device(ctx->fd, &dev, &id);
	fz_trace(f, "mock device caps 0x%x -> %d (id %u)", dev.caps, rc, id);
	if (rc) {
		fz_fail(f, "a mock device could not be made: %d", rc);
		return;
	}
	fz_obj_add(f, ctx, id, IOASID_OBJECT_DEVICE);
}

/* Would destroying @obj be refused because something holds it? */
static int fz_destroy_result(struct fz *f, struct fz_ctx *ctx,
			     struct fz_obj *obj)
{
	unsigned int i;

	if (!obj)
		return -ENOENT;
	if (obj->pci)
		return -EBUSY;
	switch (obj->kind) {
	case IOASID_OBJECT_IOAS:
		if (fz_ioas_busy(ctx, obj->id))
			return -EBUSY;
		return obj->pasid_held ? FZ_UNKNOWN : 0;
	case IOASID_OBJECT_HWPT:
		for (i = 0; i < ctx->nobjs; i++)
			if (ctx->objs[i].kind == IOASID_OBJECT_DEVICE &&
			    ctx->objs[i].via == obj->id)
				return -EBUSY;
		return 0;
	default:
		return FZ_UNKNOWN;
	}
}

static void op_destroy(struct fz *f, struct fz_ctx *ctx)
{
	static const __u32 kinds[] = { IOASID_OBJECT_IOAS, IOASID_OBJECT_IOAS,
				       IOASID_OBJECT_DEVICE, IOASID_OBJECT_HWPT,
				       IOASID_OBJECT_FAULT };
	struct ioasid_destroy cmd = { .size = sizeof(cmd) };
	struct fz_obj *obj;
	bool sane = true;
	int rc;

	cmd.id = fz_id(f, ctx, kinds[fz_below(f, ARRAY_SIZE(kinds))], &obj);
	obj = fz_obj(ctx, cmd.id);
	cmd.__reserved = fz_reserved(f, &sane);
	if (sane)
		f->expect = fz_destroy_result(f, ctx, obj);
	if (obj && obj->kind == IOASID_OBJECT_HWPT && f->expect == 0)
		f->expect = FZ_UNKNOWN;	/* a hwpt's domain may be busy */
	rc = fz_ioctl(f, ctx->fd, C_DESTROY, &cmd);
	if (rc)
		return;
	if (!obj) {
		fz_fail(f, "destroyed %u, which the model does not hold",
			cmd.id);
		return;
	}
	fz_obj_remove(ctx, obj);
	/* A destroyed device detached; a destroyed IOAS took its mappings. */
	fz_check_objects(f, ctx);
}

static void op_map(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_ioas_map cmd = { .size = sizeof(cmd) };
	struct fz_obj *ioas;
	struct fz_map map;
	bool sane = true;
	int kind, rc;

	cmd.ioas_id = fz_id(f, ctx, IOASID_OBJECT_IOAS, &ioas);
	if (ioas && ioas->nmaps > FZ_MAPS - 16)
		return;
	cmd.flags = fz_map_flags(f, &sane);
	cmd.length = fz_len(f);
	cmd.iova = fz_iova(f);
	cmd.user_va = fz_va(f, cmd.length, &kind);
	cmd.__reserved = fz_reserved(f, &sane);
	if (sane && fz_ioas_plain(ctx, ioas) &&
	    fz_aligned(f, cmd.user_va, cmd.length) &&
	    (!(cmd.flags & IOASID_IOAS_MAP_FIXED_IOVA) ||
	     fz_aligned(f, cmd.iova, cmd.length))) {
		if ((cmd.flags & IOASID_IOAS_MAP_FIXED_IOVA) &&
		    fz_overlaps(ioas, cmd.iova, cmd.length))
			f->expect = -EEXIST;
		else
			f->expect = fz_memory_result(f, kind, cmd.user_va,
						     cmd.length, cmd.flags);
	}
	rc = fz_ioctl(f, ctx->fd, C_MAP, &cmd);
	if (rc)
		goto check;
	if (!ioas) {
		fz_fail(f, "mapped into %u, which is no IOAS of the model",
			cmd.ioas_id);
		return;
	}
	map = (struct fz_map){
		.iova = cmd.iova,
		.length = cmd.length,
		.va = cmd.user_va,
		.flags = fz_mapping_flags(cmd.flags),
		.stable = kind != R_RACE && kind != R_NUM,
	};
	if (cmd.iova % f->page)
		fz_fail(f, "the kernel chose IOVA 0x%llx",
			(unsigned long long)cmd.iova);
	fz_insert(f, ioas, &map);
check:
	fz_check_mappings(f, ctx, ioas);
}

static void op_map_file(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_ioas_map_file cmd = { .size = sizeof(cmd) };
	__u64 file_len = FZ_MEMFD_PAGES * f->page;
	struct fz_obj *ioas;
	struct fz_map map;
	bool sane = true;
	int rc;

	cmd.ioas_id = fz_id(f, ctx, IOASID_OBJECT_IOAS, &ioas);
	if (ioas && ioas->nmaps > FZ_MAPS - 16)
		return;
	cmd.flags = fz_map_flags(f, &sane);
	cmd.length = fz_len(f);
	cmd.iova = fz_iova(f);
	cmd.start = f->page * fz_below(f, FZ_MEMFD_PAGES);
	switch (fz_below(f, 20)) {
	case 0:
		cmd.fd = f->memfd_ro;
		sane = false;
		break;
	case 1:
		cmd.fd = fz_chance(f, 50) ? -1 : ctx->fd;
		sane = false;
		break;
	case 2:
		cmd.start += fz_below(f, f->page);
		sane = false;
		break;
	default:
		cmd.fd = f->memfd;
		break;
	}
	if (sane && fz_ioas_plain(ctx, ioas) &&
	    fz_aligned(f, cmd.start, cmd.length) &&
	    (!(cmd.flags & IOASID_IOAS_MAP_FIXED_IOVA) ||
	     fz_aligned(f, cmd.iova, cmd.length))) {
		if ((cmd.flags & IOASID_IOAS_MAP_FIXED_IOVA) &&
		    fz_overlaps(ioas, cmd.iova, cmd.length))
			f->expect = -EEXIST;
		else if (cmd.length <= file_len &&
			 cmd.start <= file_len - cmd.length)
			f->expect = 0;
	}
	rc = fz_ioctl(f, ctx->fd, C_MAP_FILE, &cmd);
	if (rc)
		goto check;
	if (!ioas) {
		fz_fail(f, "mapped into %u, which is no IOAS of the model",
			cmd.ioas_id);
		return;
	}
	if (cmd.length > file_len || cmd.start > file_len - cmd.length) {
		fz_fail(f, "mapped 0x%llx bytes at 0x%llx of a file of 0x%llx",
			(unsigned long long)cmd.length,
			(unsigned long long)cmd.start,
			(unsigned long long)file_len);
		return;
	}
	map = (struct fz_map){
		.iova = cmd.iova,
		.length = cmd.length,
		.off = cmd.start,
		.flags = fz_mapping_flags(cmd.flags) | IOASID_MAPPING_FILE,
		.stable = true,
	};
	fz_insert(f, ioas, &map);
check:
	fz_check_mappings(f, ctx, ioas);
}

/* A range of IOVAs for an unmap: a mapping, a run of them, or anything. */
static void fz_unmap_range(struct fz *f, struct fz_obj *ioas, __u64 *iova,
			   __u64 *len)
{
	const struct fz_map *a, *b;
	unsigned int i;

	if (ioas && ioas->nmaps && fz_chance(f, 70)) {
		i = fz_below(f, ioas->nmaps);
		a = &ioas->maps[i];
		b = &ioas->maps[i + fz_below(f, ioas->nmaps - i < 3 ?
					     ioas->nmaps - i : 3)];
		*iova = a->iova;
		*len = b->iova + b->length - a->iova;
		if (fz_chance(f, 15))
			*len -= f->page;	/* cuts the last one */
		return;
	}
	*iova = fz_iova(f);
	*len = fz_len(f);
}

static void op_unmap(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_ioas_unmap cmd = { .size = sizeof(cmd) };
	struct fz_obj *ioas;
	bool sane = true, know = false;
	__u64 bytes = 0, length;
	unsigned int i;
	int rc;

	cmd.ioas_id = fz_id(f, ctx, IOASID_OBJECT_IOAS, &ioas);
	fz_unmap_range(f, ioas, &cmd.iova, &cmd.length);
	cmd.__reserved = fz_reserved(f, &sane);
	if (fz_chance(f, 4)) {
		cmd.flags = IOASID_IOAS_UNMAP_ALL;
		if (fz_chance(f, 80)) {
			cmd.iova = 0;
			cmd.length = 0;
		}
	} else if (fz_chance(f, 2)) {
		cmd.flags = 1U << fz_below(f, 32);
		sane = false;
	}
	if (sane && ioas) {
		know = true;
		if (cmd.flags == IOASID_IOAS_UNMAP_ALL) {
			f->expect = cmd.iova || cmd.length ? -EINVAL : 0;
			for (i = 0; i < ioas->nmaps; i++)
				bytes += ioas->maps[i].length;
		} else if (fz_aligned(f, cmd.iova, cmd.length)) {
			f->expect = fz_unmap_result(ioas, cmd.iova, cmd.length,
						    &bytes);
		} else {
			know = false;
		}
	}
	length = cmd.length;
	rc = fz_ioctl(f, ctx->fd, C_UNMAP, &cmd);
	if (rc || !ioas)
		goto check;
	if (know && cmd.length != bytes)
		fz_fail(f, "UNMAP unmapped 0x%llx bytes, the model 0x%llx",
			(unsigned long long)cmd.length,
			(unsigned long long)bytes);
	if (cmd.flags == IOASID_IOAS_UNMAP_ALL)
		ioas->nmaps = 0;
	else
		fz_remove_range(ioas, cmd.iova, length);
check:
	fz_check_mappings(f, ctx, ioas);
}

/*
 * What COPY of [@src, @src + @len) of @from makes: the pieces, at IOVAs
 * from 0, in *@pieces; -ENOENT for a hole, -EPERM for a write asked of a
 * mapping that does not allow it, else 0; FZ_UNKNOWN when both apply.
 */
static int fz_copy_pieces(const struct fz_obj *from, __u64 src, __u64 len,
			  __u32 flags, struct fz_map *pieces, unsigned int *n)
{
	__u64 at = src, last = src + len - 1;
	unsigned int i;
	int rc = 0;

	*n = 0;
	for (i = 0; i < from->nmaps && at <= last; i++) {
		const struct fz_map *m = &from->maps[i];
		__u64 m_last = m->iova + m->length - 1, end;
		struct fz_map *p = &pieces[*n];

		if (m_last < at)
			continue;
		if (m->iova > at)
			return rc ? FZ_UNKNOWN : -ENOENT;
		end = m_last < last ? m_last : last;
		*p = *m;
		p->iova = at - src;
		p->length = end - at + 1;
		if (m->flags & IOASID_MAPPING_FILE)
			p->off += at - m->iova;
		else
			p->va += at - m->iova;
		p->flags = fz_mapping_flags(flags) |
			   (m->flags & (IOASID_MAPPING_FILE |
					IOASID_MAPPING_UADDR_INVALID));
		if ((flags & IOASID_IOAS_MAP_WRITEABLE) &&
		    !(m->flags & IOASID_MAPPING_WRITEABLE))
			rc = -EPERM;
		(*n)++;
		if (end == last)
			return rc;
		at = end + 1;
	}
	return rc ? FZ_UNKNOWN : -ENOENT;
}

static void op_copy(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_ioas_copy cmd = { .size = sizeof(cmd) };
	struct fz_map pieces[FZ_MAPS];
	struct fz_obj *src, *dst;
	unsigned int i, n = 0;
	bool sane = true;
	int rc, result = FZ_UNKNOWN;

	cmd.src_ioas_id = fz_id(f, ctx, IOASID_OBJECT_IOAS, &src);
	cmd.dst_ioas_id = fz_chance(f, 30) ? cmd.src_ioas_id :
			  fz_id(f, ctx, IOASID_OBJECT_IOAS, &dst);
	dst = fz_obj(ctx, cmd.dst_ioas_id);
	if (dst && dst->kind != IOASID_OBJECT_IOAS)
		dst = NULL;
	if (dst && dst->nmaps > FZ_MAPS - 24)
		return;
	fz_unmap_range(f, src, &cmd.src_iova, &cmd.length);
	if (fz_chance(f, 30) && cmd.length > f->page) {
		cmd.src_iova += f->page;
		cmd.length -= f->page;
	}
	cmd.flags = fz_map_flags(f, &sane);
	cmd.dst_iova = fz_iova(f);
	/* The copy adds at most one mapping per mapping of the source. */
	if ((src && src->nmaps > FZ_MAPS - 24) ||
	    (dst && src && dst->nmaps + src->nmaps > FZ_MAPS))
		return;
	if (src && fz_aligned(f, cmd.src_iova, cmd.length))
		result = fz_copy_pieces(src, cmd.src_iova, cmd.length,
					cmd.flags, pieces, &n);
	if (sane && fz_ioas_plain(ctx, dst) && src && result != FZ_UNKNOWN &&
	    (cmd.flags & IOASID_IOAS_MAP_FIXED_IOVA) &&
	    fz_aligned(f, cmd.dst_iova, cmd.length)) {
		/* When two reasons apply, the model does not know the first. */
		if (fz_overlaps(dst, cmd.dst_iova, cmd.length))
			f->expect = result ? FZ_UNKNOWN : -EEXIST;
		else
			f->expect = result;
	}
	rc = fz_ioctl(f, ctx->fd, C_COPY, &cmd);
	if (rc)
		goto check;
	if (!src || !dst || result) {
		fz_fail(f, "COPY succeeded where the model has %d", result);
		return;
	}
	for (i = 0; i < n; i++) {
		pieces[i].iova += cmd.dst_iova;
		fz_insert(f, dst, &pieces[i]);
	}
check:
	fz_check_mappings(f, ctx, dst);
}

static void fz_batch_cmd(struct fz *f, struct fz_ctx *ctx,
			 struct ioasid_ioas_batch *cmd, struct fz_obj **ioas)
{
	bool sane = true;

	cmd->size = sizeof(*cmd);
	cmd->ioas_id = fz_id(f, ctx, IOASID_OBJECT_IOAS, ioas);
	cmd->num = fz_below(f, 6) + 1;
	cmd->ranges = (__u64)(uintptr_t)f->buf;
	cmd->__reserved = fz_reserved(f, &sane);
	if (fz_chance(f, 3))
		cmd->flags = 1U << fz_below(f, 32);
	if (fz_chance(f, 2))
		cmd->num = fz_chance(f, 50) ? 0 : IOASID_BATCH_MAX + 1;
	if (fz_chance(f, 2))
		cmd->ranges = fz_chance(f, 50) ? 0 :
			      (__u64)(uintptr_t)f->region[R_HOLE].va;
	if (!sane || cmd->flags || !cmd->num || cmd->num > IOASID_BATCH_MAX ||
	    cmd->ranges != (__u64)(uintptr_t)f->buf)
		*ioas = NULL;	/* the model knows no result */
}

static void op_map_batch(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_batch_range *r = (struct ioasid_batch_range *)f->buf;
	struct ioasid_ioas_batch cmd = {};
	struct fz_obj *ioas, *model;
	unsigned int i, j;
	int kind, result = 0, rc;
	bool know = true;

	fz_batch_cmd(f, ctx, &cmd, &model);
	ioas = fz_obj(ctx, cmd.ioas_id);
	if (ioas && (ioas->kind != IOASID_OBJECT_IOAS ||
		     ioas->nmaps > FZ_MAPS - 16))
		return;
	for (i = 0; i < 6; i++) {
		bool sane = true;

		r[i] = (struct ioasid_batch_range){
			.flags = fz_map_flags(f, &sane) &
				 ~IOASID_IOAS_MAP_FIXED_IOVA,
			.length = fz_len(f),
			.iova = fz_iova(f),
		};
		r[i].user_va = fz_va(f, r[i].length, &kind);
		r[i].__reserved = fz_reserved(f, &sane);
		if (i >= cmd.num)
			continue;
		if (!sane || !fz_aligned(f, r[i].iova, r[i].length) ||
		    !fz_aligned(f, r[i].user_va, r[i].length))
			know = false;
		else if (model && fz_overlaps(model, r[i].iova, r[i].length))
			result = -EEXIST;
		for (j = 0; j < i && know; j++)
			if (r[j].iova <= r[i].iova + r[i].length - 1 &&
			    r[i].iova <= r[j].iova + r[j].length - 1)
				result = -EEXIST;
		if (know && !result)
			know = fz_memory_result(f, kind, r[i].user_va,
						r[i].length, r[i].flags) == 0;
	}
	if (model && fz_ioas_plain(ctx, model) && know)
		f->expect = result;
	rc = fz_ioctl(f, ctx->fd, C_MAP_BATCH, &cmd);
	if (!f->mutated && cmd.out_failed > cmd.num)
		fz_fail(f, "MAP_BATCH out_failed %u of %u", cmd.out_failed,
			cmd.num);
	if (rc)
		goto check;
	if (!ioas || cmd.out_failed != cmd.num) {
		fz_fail(f, "MAP_BATCH succeeded into %u (out_failed %u)",
			cmd.ioas_id, cmd.out_failed);
		return;
	}
	for (i = 0; i < cmd.num; i++) {
		struct fz_map map = {
			.iova = r[i].iova,
			.length = r[i].length,
			.va = r[i].user_va,
			.flags = fz_mapping_flags(r[i].flags),
			.stable = fz_in_region(f, R_ANON, r[i].user_va,
					       r[i].length) ||
				  fz_in_region(f, R_MEMFD, r[i].user_va,
					       r[i].length) ||
				  fz_in_region(f, R_HUGE, r[i].user_va,
					       r[i].length) ||
				  fz_in_region(f, R_RO, r[i].user_va,
					       r[i].length),
		};

		fz_insert(f, ioas, &map);
	}
check:
	fz_check_mappings(f, ctx, ioas);
}

static void op_unmap_batch(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_batch_range *r = (struct ioasid_batch_range *)f->buf;
	struct ioasid_ioas_batch cmd = {};
	struct fz_obj *ioas, *model;
	unsigned int i, j;
	bool know = true;
	__u64 bytes;
	int rc;

	fz_batch_cmd(f, ctx, &cmd, &model);
	ioas = fz_obj(ctx, cmd.ioas_id);
	if (ioas && ioas->kind != IOASID_OBJECT_IOAS)
		ioas = NULL;
	for (i = 0; i < 6; i++) {
		r[i] = (struct ioasid_batch_range){};
		fz_unmap_range(f, ioas, &r[i].iova, &r[i].length);
		if (fz_chance(f, 3))
			r[i].flags = IOASID_IOAS_MAP_READABLE;
		if (i >= cmd.num)
			continue;
		/* The model knows the result of batches that unmap. */
		if (r[i].flags || !model ||
		    fz_unmap_result(model, r[i].iova, r[i].length, &bytes) ||
		    !fz_aligned(f, r[i].iova, r[i].length))
			know = false;
		for (j = 0; j < i && know; j++)
			if (r[j].iova <= r[i].iova + r[i].length - 1 &&
			    r[i].iova <= r[j].iova + r[j].length - 1)
				know = false;
	}
	if (model && know)
		f->expect = 0;
	rc = fz_ioctl(f, ctx->fd, C_UNMAP_BATCH, &cmd);
	if (rc)
		goto check;
	if (!ioas) {
		fz_fail(f, "UNMAP_BATCH succeeded in %u", cmd.ioas_id);
		return;
	}
	for (i = 0; i < cmd.num; i++)
		fz_remove_range(ioas, r[i].iova, r[i].length);
check:
	fz_check_mappings(f, ctx, ioas);
}

static void op_iova_ranges(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_ioas_iova_ranges cmd = { .size = sizeof(cmd) };
	struct fz_obj *ioas;

	cmd.ioas_id = fz_id(f, ctx, IOASID_OBJECT_IOAS, &ioas);
	cmd.num_iovas = fz_below(f, 4);
	cmd.allowed_iovas = fz_chance(f, 90) ? (__u64)(uintptr_t)f->buf :
			    (__u64)(uintptr_t)f->region[R_RO].va;
	if (fz_ioctl(f, ctx->fd, C_RANGES, &cmd) == 0 &&
	    (cmd.out_iova_alignment < f->page ||
	     (cmd.out_iova_alignment & (cmd.out_iova_alignment - 1))))
		fz_fail(f, "IOVA alignment 0x%llx",
			(unsigned long long)cmd.out_iova_alignment);
}

static void op_allow_iovas(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_ioas_allow_iovas cmd = { .size = sizeof(cmd) };
	struct ioasid_iova_range *r = (struct ioasid_iova_range *)f->buf;
	struct fz_obj *ioas;
	unsigned int i;

	cmd.ioas_id = fz_id(f, ctx, IOASID_OBJECT_IOAS, &ioas);
	cmd.num_iovas = fz_chance(f, 30) ? 0 : fz_below(f, 3) + 1;
	cmd.allowed_iovas = (__u64)(uintptr_t)f->buf;
	for (i = 0; i < cmd.num_iovas; i++) {
		r[i].start = fz_iova(f);
		r[i].last = r[i].start + fz_len(f) - 1;
		if (fz_chance(f, 50))
			r[i].last = ~0ULL;
	}
	if (fz_chance(f, 3))
		cmd.allowed_iovas = (__u64)(uintptr_t)f->region[R_NONE].va;
	if (fz_ioctl(f, ctx->fd, C_ALLOW, &cmd) == 0 && ioas)
		ioas->restricted = cmd.num_iovas;
	fz_check_mappings(f, ctx, ioas);
}

static void op_attach(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_device_attach cmd = { .size = sizeof(cmd) };
	struct fz_obj *dev, *to;
	bool sane = true;
	int rc;

	cmd.dev_id = fz_id(f, ctx, IOASID_OBJECT_DEVICE, &dev);
	cmd.ioas_id = fz_id(f, ctx, fz_chance(f, 80) ? IOASID_OBJECT_IOAS :
				    IOASID_OBJECT_HWPT, &to);
	to = fz_obj(ctx, cmd.ioas_id);
	if (fz_chance(f, 40))
		cmd.flags |= IOASID_DEVICE_ATTACH_REPLACE;
	if (fz_chance(f, 10)) {
		cmd.flags |= IOASID_DEVICE_ATTACH_PASID;
		cmd.pasid = fz_below(f, 20);
		sane = false;
	}
	cmd.__reserved = fz_reserved(f, &sane);
	if (sane && dev && to && to->kind == IOASID_OBJECT_IOAS && dev->via &&
	    !(cmd.flags & IOASID_DEVICE_ATTACH_REPLACE))
		f->expect = -EBUSY;
	rc = fz_ioctl(f, ctx->fd, C_ATTACH, &cmd);
	if (rc)
		return;
	if (!dev || !to) {
		fz_fail(f, "attached %u to %u", cmd.dev_id, cmd.ioas_id);
		return;
	}
	if (cmd.flags & IOASID_DEVICE_ATTACH_PASID) {
		/* The model does not follow PASIDs: their IOAS may be held. */
		to->pasid_held = true;
		if (to->kind == IOASID_OBJECT_HWPT && fz_obj(ctx, to->attached))
			fz_obj(ctx, to->attached)->pasid_held = true;
		return;
	}
	dev->via = to->id;
	fz_check_objects(f, ctx);
	if (dev->attached != (to->kind == IOASID_OBJECT_HWPT ? to->attached :
			      to->id))
		fz_fail(f, "device %u attached to %u is listed at %u",
			dev->id, to->id, dev->attached);
}

static void op_detach(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_device_detach cmd = { .size = sizeof(cmd) };
	struct fz_obj *dev;
	int rc;

	cmd.dev_id = fz_id(f, ctx, IOASID_OBJECT_DEVICE, &dev);
	if (fz_chance(f, 10)) {
		cmd.flags = IOASID_DEVICE_DETACH_PASID;
		cmd.pasid = fz_below(f, 20);
	} else if (fz_chance(f, 3)) {
		cmd.pasid = 1;
		f->expect = -EINVAL;
	} else if (dev) {
		f->expect = dev->via ? 0 : -EINVAL;
	}
	rc = fz_ioctl(f, ctx->fd, C_DETACH, &cmd);
	if (rc || cmd.flags)
		return;
	if (!dev) {
		fz_fail(f, "detached %u", cmd.dev_id);
		return;
	}
	dev->via = 0;
	fz_check_objects(f, ctx);
	if (dev->attached)
		fz_fail(f, "detached device %u is listed at %u", dev->id,
			dev->attached);
}

static void op_info(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_device_info dev = { .size = sizeof(dev) };
	struct ioasid_ioas_info ioas = { .size = sizeof(ioas) };
	struct fz_obj *obj;
	bool sane = true;

	if (fz_chance(f, 50)) {
		dev.dev_id = fz_id(f, ctx, IOASID_OBJECT_DEVICE, &obj);
		dev.num_resv_regions = fz_below(f, 4);
		dev.resv_regions = fz_chance(f, 90) ?
				   (__u64)(uintptr_t)f->buf : 1;
		dev.__reserved2 = fz_reserved(f, &sane);
		if (obj && sane && dev.resv_regions != 1 && !obj->pci)
			f->expect = 0;
		fz_ioctl(f, ctx->fd, C_DEV_INFO, &dev);
		return;
	}
	ioas.ioas_id = fz_id(f, ctx, IOASID_OBJECT_IOAS, &obj);
	ioas.__reserved = fz_reserved(f, &sane);
	if (obj && sane)
		f->expect = 0;
	if (fz_ioctl(f, ctx->fd, C_IOAS_INFO, &ioas) == 0 && obj &&
	    !fz_ioas_busy(ctx, obj->id) && !obj->pasid_held &&
	    (ioas.out_num_devices || ioas.out_aperture_last != ~0ULL))
		fz_fail(f, "IOAS %u without devices reports %u devices",
			obj->id, ioas.out_num_devices);
}

static void op_enable(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_ioas_enable cmd = { .size = sizeof(cmd) };
	struct ioasid_features *ft = (struct ioasid_features *)f->buf;
	struct fz_obj *ioas;
	bool sane = true;
	unsigned int i;

	cmd.ioas_id = fz_id(f, ctx, IOASID_OBJECT_IOAS, &ioas);
	memset(ft, 0, sizeof(*ft));
	ft->magic = htole32(IOASID_FEATURES_MAGIC);
	ft->version = htole16(IOASID_FEATURES_VERSION);
	ft->num_iova_ranges = htole16(fz_below(f, 3));
	for (i = 0; i < le16toh(ft->num_iova_ranges); i++) {
		ft->iova_ranges[i].start = htole64((i * 64 + fz_below(f, 32)) *
						   4096);
		ft->iova_ranges[i].last = htole64(le64toh(ft->iova_ranges[i].start) +
						  4096 * (fz_below(f, 16) + 1) - 1);
	}
	if (fz_chance(f, 20))
		ft->caps = htole64(1ULL << fz_below(f, 8));
	if (fz_chance(f, 20))
		ft->max_page_size = htole64(fz_chance(f, 80) ? f->page : 3);
	if (fz_chance(f, 10))
		ft->min_pasid_log2 = htole32(fz_below(f, 24));
	if (fz_chance(f, 10))
		ft->nesting_format = htole32(fz_below(f, 4));
	if (fz_chance(f, 5)) {
		ft->magic = 0;
		sane = false;
	}
	cmd.features = (__u64)(uintptr_t)ft;
	cmd.features_len = sizeof(*ft);
	if (fz_chance(f, 5)) {
		cmd.features_len = fz_below(f, sizeof(*ft) + 64);
		sane = false;
	}
	if (sane && ioas && ioas->enabled && !ft->caps && !ft->max_page_size &&
	    !ft->min_pasid_log2 && !ft->nesting_format)
		f->expect = -EALREADY;
	if (fz_ioctl(f, ctx->fd, C_ENABLE, &cmd) == 0) {
		if (!ioas || ioas->enabled)
			fz_fail(f, "enabled %u a second time", cmd.ioas_id);
		else
			ioas->enabled = true;
	}
}

static void op_features(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_ioas_features cmd = { .size = sizeof(cmd) };
	struct fz_obj *ioas;

	cmd.ioas_id = fz_id(f, ctx, IOASID_OBJECT_IOAS, &ioas);
	cmd.features = (__u64)(uintptr_t)f->buf;
	cmd.features_len = fz_chance(f, 90) ? sizeof(struct ioasid_features) :
			   fz_below(f, 256);
	if (ioas && cmd.features_len == sizeof(struct ioasid_features))
		f->expect = ioas->enabled ? 0 : -ENODATA;
	fz_ioctl(f, ctx->fd, C_FEATURES, &cmd);
}

static void op_take_ownership(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_take_ownership cmd = { .size = sizeof(cmd) };
	bool sane = true;

	cmd.__reserved = fz_reserved(f, &sane);
	if (sane)
		f->expect = 0;
	fz_ioctl(f, ctx->fd, C_TAKE, &cmd);
}

/* Mark the user addresses of @ioas's mappings in [@iova, @last] invalid. */
static unsigned int fz_invalidate(struct fz_obj *ioas, __u64 iova, __u64 last)
{
	unsigned int i, n = 0;

	for (i = 0; i < ioas->nmaps; i++) {
		struct fz_map *m = &ioas->maps[i];

		if (m->iova < iova || m->iova + m->length - 1 > last ||
		    (m->flags & (IOASID_MAPPING_FILE |
				 IOASID_MAPPING_UADDR_INVALID)))
			continue;
		m->flags |= IOASID_MAPPING_UADDR_INVALID;
		n++;
	}
	return n;
}

static void op_uaddr_invalidate(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_uaddr_invalidate cmd = { .size = sizeof(cmd) };
	struct fz_obj *ioas;
	unsigned int i, n = 0;
	int rc;

	cmd.ioas_id = fz_chance(f, 20) ? 0 :
		      fz_id(f, ctx, IOASID_OBJECT_IOAS, &ioas);
	ioas = fz_obj(ctx, cmd.ioas_id);
	if (ioas && ioas->kind != IOASID_OBJECT_IOAS)
		ioas = NULL;
	if (fz_chance(f, 50)) {
		cmd.flags |= IOASID_UADDR_INVALIDATE_RANGE;
		fz_unmap_range(f, ioas, &cmd.iova, &cmd.length);
	}
	if (fz_chance(f, 20))
		cmd.flags |= IOASID_UADDR_INVALIDATE_VALID;
	rc = fz_ioctl(f, ctx->fd, C_INVALIDATE, &cmd);
	if (rc)
		goto check;
	if (!cmd.ioas_id) {
		for (i = 0; i < ctx->nobjs; i++)
			if (ctx->objs[i].kind == IOASID_OBJECT_IOAS)
				n += fz_invalidate(&ctx->objs[i], 0, ~0ULL);
	} else if (ioas) {
		n = cmd.flags & IOASID_UADDR_INVALIDATE_RANGE ?
		    fz_invalidate(ioas, cmd.iova, cmd.iova + cmd.length - 1) :
		    fz_invalidate(ioas, 0, ~0ULL);
	} else {
		fz_fail(f, "invalidated the addresses of %u", cmd.ioas_id);
	}
	if (cmd.out_mappings != n)
		fz_fail(f, "%llu addresses invalidated, the model %u",
			(unsigned long long)cmd.out_mappings, n);
check:
	if (!cmd.ioas_id)
		for (i = 0; i < ctx->nobjs; i++)
			fz_check_mappings(f, ctx, &ctx->objs[i]);
	else
		fz_check_mappings(f, ctx, ioas);
}

/* Give @ioas's invalid mappings in [@iova, @last] their address again. */
static void fz_supply(struct fz_obj *ioas, __u64 iova, __u64 last,
		      __u64 shift)
{
	unsigned int i;

	for (i = 0; i < ioas->nmaps; i++) {
		struct fz_map *m = &ioas->maps[i];

		if (m->iova < iova || m->iova + m->length - 1 > last ||
		    !(m->flags & IOASID_MAPPING_UADDR_INVALID))
			continue;
		m->flags &= ~IOASID_MAPPING_UADDR_INVALID;
		m->va += shift;
	}
}

static void op_uaddr_supply(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_uaddr_supply cmd = { .size = sizeof(cmd) };
	struct fz_obj *ioas;
	struct fz_map *m = NULL;
	unsigned int i;
	int rc;

	cmd.ioas_id = fz_id(f, ctx, IOASID_OBJECT_IOAS, &ioas);
	if (fz_chance(f, 25)) {
		cmd.flags = IOASID_UADDR_SUPPLY_SHIFT;
		if (fz_chance(f, 30))
			cmd.ioas_id = 0;
		cmd.user_va = fz_chance(f, 80) ? 0 : f->page;
	} else if (ioas && ioas->nmaps && fz_chance(f, 80)) {
		m = &ioas->maps[fz_below(f, ioas->nmaps)];
		cmd.iova = m->iova;
		cmd.length = m->length;
		cmd.user_va = m->va + (fz_chance(f, 85) ? 0 : f->page);
		if (fz_chance(f, 50))
			cmd.flags = IOASID_UADDR_SUPPLY_ONE;
		if (cmd.user_va == m->va && m->stable &&
		    !(m->flags & IOASID_MAPPING_FILE))
			f->expect = m->flags & IOASID_MAPPING_UADDR_INVALID ?
				    0 : -EEXIST;
	} else {
		cmd.iova = fz_iova(f);
		cmd.length = fz_len(f);
		cmd.user_va = fz_va(f, cmd.length, (int *)&i);
	}
	rc = fz_ioctl(f, ctx->fd, C_SUPPLY, &cmd);
	if (rc)
		goto check;
	if (cmd.flags & IOASID_UADDR_SUPPLY_SHIFT) {
		for (i = 0; i < ctx->nobjs; i++)
			if (ctx->objs[i].kind == IOASID_OBJECT_IOAS &&
			    (!cmd.ioas_id || ctx->objs[i].id == cmd.ioas_id))
				fz_supply(&ctx->objs[i], 0, ~0ULL,
					  cmd.user_va);
	} else if (ioas) {
		for (i = 0; i < ioas->nmaps; i++) {
			m = &ioas->maps[i];
			if (m->iova >= cmd.iova &&
			    m->iova <= cmd.iova + cmd.length - 1 &&
			    (m->flags & IOASID_MAPPING_UADDR_INVALID))
				m->va = cmd.user_va + m->iova - cmd.iova;
		}
		fz_supply(ioas, cmd.iova, cmd.iova + cmd.length - 1, 0);
	}
check:
	if (!cmd.ioas_id)
		for (i = 0; i < ctx->nobjs; i++)
			fz_check_mappings(f, ctx, &ctx->objs[i]);
	else
		fz_check_mappings(f, ctx, ioas);
}

static void op_list(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_objects objs = { .size = sizeof(objs) };
	struct ioasid_ioas_mappings maps = { .size = sizeof(maps) };
	struct fz_obj *ioas;
	bool sane = true;

	if (fz_chance(f, 50)) {
		objs.start_id = fz_chance(f, 70) ? fz_below(f, 8) :
				(__u32)fz_next(f);
		objs.num_objects = fz_below(f, 8);
		objs.objects = fz_chance(f, 95) ? (__u64)(uintptr_t)f->buf :
			       (__u64)(uintptr_t)f->region[R_RO].va;
		objs.__reserved = fz_reserved(f, &sane);
		if (sane && objs.objects == (__u64)(uintptr_t)f->buf)
			f->expect = 0;
		if (fz_ioctl(f, ctx->fd, C_OBJECTS, &objs) == 0 &&
		    !f->mutated && objs.num_objects > ctx->nobjs)
			fz_fail(f, "IOASID_OBJECTS wrote %u entries",
				objs.num_objects);
		return;
	}
	maps.ioas_id = fz_id(f, ctx, IOASID_OBJECT_IOAS, &ioas);
	maps.num_mappings = fz_below(f, 8);
	maps.start_iova = fz_iova(f);
	maps.mappings = fz_chance(f, 95) ? (__u64)(uintptr_t)f->buf :
			(__u64)(uintptr_t)f->region[R_RO].va;
	if (ioas && maps.mappings == (__u64)(uintptr_t)f->buf)
		f->expect = 0;
	if (fz_ioctl(f, ctx->fd, C_MAPPINGS, &maps) == 0 && ioas &&
	    !f->mutated && maps.num_mappings > ioas->nmaps)
		fz_fail(f, "IOASID_IOAS_MAPPINGS wrote %u entries of %u",
			maps.num_mappings, ioas->nmaps);
}

/* Share a device, stop sharing it, or open its node. */
static void op_share(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_device_share cmd = { .size = sizeof(cmd) };
	struct fz_obj *dev;
	char path[64];
	int rc;

	cmd.dev_id = fz_id(f, ctx, IOASID_OBJECT_DEVICE, &dev);
	if (dev && dev->shared && dev->node_fd < 0 && fz_chance(f, 60)) {
		struct ioasid_device_share again = cmd;

		/* Ask the minor again: a second share fails, -EBUSY. */
		f->expect = -EBUSY;
		fz_ioctl(f, ctx->fd, C_SHARE, &again);
		return;
	}
	if (fz_chance(f, 30))
		cmd.flags = IOASID_DEVICE_SHARE_STOP;
	cmd.mode = fz_chance(f, 90) ? 0600 : 01777;
	if (dev && cmd.mode == 0600)
		f->expect = cmd.flags ? (dev->shared ? 0 : -EINVAL) :
			    dev->shared ? -EBUSY : FZ_UNKNOWN;
	rc = fz_ioctl(f, ctx->fd, C_SHARE, &cmd);
	if (rc)
		return;
	if (!dev) {
		fz_fail(f, "shared %u, no device of the model", cmd.dev_id);
		return;
	}
	dev->shared = !cmd.flags;
	if (cmd.flags) {
		if (dev->node_fd >= 0)
			close(dev->node_fd);
		dev->node_fd = -1;
		return;
	}
	snprintf(path, sizeof(path), "/dev/ioasid-sva/mock%u", cmd.out_minor);
	dev->node_fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev->node_fd < 0)
		fz_fail(f, "cannot open %s: %d", path, -errno);
}

/* Bind this process through a node, unbind it, or close the node. */
static void op_sva(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_sva_bind bind = { .size = sizeof(bind) };
	struct ioasid_sva_unbind unbind = { .size = sizeof(unbind) };
	struct fz_obj *dev = fz_pick(f, ctx, IOASID_OBJECT_DEVICE);

	if (!dev || dev->node_fd < 0)
		return;
	switch (fz_below(f, 5)) {
	case 0:
		close(dev->node_fd);
		dev->node_fd = -1;
		fz_trace(f, "close the node of device %u", dev->id);
		break;
	case 1:
	case 2:
		fz_ioctl(f, dev->node_fd, C_SVA_BIND, &bind);
		break;
	default:
		fz_ioctl(f, dev->node_fd, C_SVA_UNBIND, &unbind);
		break;
	}
}

static void op_hwpt_alloc(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_hwpt_alloc cmd = { .size = sizeof(cmd) };
	struct ioasid_hwpt_mock_s1 *data = (void *)f->buf;
	struct fz_obj *dev, *ioas, *fault, *hwpt;
	bool sane = true;

	if (ctx->nobjs > FZ_OBJS - 4)
		return;
	cmd.dev_id = fz_id(f, ctx, IOASID_OBJECT_DEVICE, &dev);
	cmd.ioas_id = fz_id(f, ctx, IOASID_OBJECT_IOAS, &ioas);
	cmd.format = fz_chance(f, 85) ? IOASID_NESTING_MOCK_S1 :
		     fz_below(f, 8);
	cmd.fault_id = fz_chance(f, 50) ? 0 :
		       fz_id(f, ctx, IOASID_OBJECT_FAULT, &fault);
	data->root = fz_chance(f, 90) ? fz_below(f, FZ_IOVA_PAGES) * 4096 :
		     fz_iova(f);
	cmd.data = (__u64)(uintptr_t)data;
	cmd.data_len = fz_chance(f, 90) ? sizeof(*data) : fz_below(f, 24);
	cmd.__reserved = fz_reserved(f, &sane);
	if (fz_ioctl(f, ctx->fd, C_HWPT_ALLOC, &cmd))
		return;
	if (!dev || !ioas) {
		fz_fail(f, "a hwpt of device %u on %u", cmd.dev_id,
			cmd.ioas_id);
		return;
	}
	hwpt = fz_obj_add(f, ctx, cmd.out_hwpt_id, IOASID_OBJECT_HWPT);
	if (hwpt)
		hwpt->attached = ioas->id;
}

static void op_hwpt_invalidate(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_hwpt_invalidate cmd = { .size = sizeof(cmd) };
	struct ioasid_hwpt_invalidate_mock *e = (void *)f->buf;
	struct fz_obj *hwpt;
	unsigned int i;

	cmd.hwpt_id = fz_id(f, ctx, IOASID_OBJECT_HWPT, &hwpt);
	cmd.entry_len = fz_chance(f, 90) ? sizeof(*e) : fz_below(f, 48);
	cmd.entry_num = fz_below(f, 4);
	cmd.entries = (__u64)(uintptr_t)e;
	for (i = 0; i < 4; i++) {
		e[i] = (struct ioasid_hwpt_invalidate_mock){};
		if (fz_chance(f, 30)) {
			e[i].flags = IOASID_HWPT_INVALIDATE_MOCK_ALL;
		} else {
			e[i].iova = fz_iova(f);
			e[i].length = fz_len(f);
		}
		if (fz_chance(f, 10)) {
			e[i].flags |= IOASID_HWPT_INVALIDATE_MOCK_PASID;
			e[i].pasid = fz_below(f, 32);
		}
		if (fz_chance(f, 3))
			e[i].flags |= 1U << fz_below(f, 32);
	}
	fz_ioctl(f, ctx->fd, C_HWPT_INV, &cmd);
	if (!f->mutated && cmd.entry_num > 4)
		fz_fail(f, "HWPT_INVALIDATE did %u entries", cmd.entry_num);
}

static void op_fault(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_fault_alloc cmd = { .size = sizeof(cmd) };
	struct ioasid_fault_response resp;
	struct fz_obj *fault;
	bool sane = true;
	ssize_t n;

	fault = fz_pick(f, ctx, IOASID_OBJECT_FAULT);
	if (fault && fault->fault_fd >= 0 && fz_chance(f, 60)) {
		if (fz_chance(f, 50)) {
			n = read(fault->fault_fd, f->buf, fz_below(f, 80));
			fz_trace(f, "read fault %u -> %zd", fault->id, n);
			if (n < 0 && errno != EAGAIN && errno != EINVAL)
				fz_fail(f, "read of a fault file: %d", -errno);
		} else {
			resp.cookie = fz_next(f);
			resp.code = fz_below(f, 3);
			n = write(fault->fault_fd, &resp, sizeof(resp));
			fz_trace(f, "answer fault %u -> %zd", fault->id, n);
			if (n >= 0 || errno != EINVAL)
				fz_fail(f, "an answer to no request: %zd, %d",
					n, -errno);
		}
		return;
	}
	if (ctx->nobjs > FZ_OBJS - 4)
		return;
	cmd.depth = fz_chance(f, 90) ? fz_below(f, 64) + 1 :
		    fz_below(f, 2) * 65537;
	cmd.__reserved = fz_reserved(f, &sane);
	if (sane)
		f->expect = cmd.depth && cmd.depth <= 65536 ? 0 : -EINVAL;
	if (fz_ioctl(f, ctx->fd, C_FAULT_ALLOC, &cmd))
		return;
	fault = fz_obj_add(f, ctx, cmd.out_fault_id, IOASID_OBJECT_FAULT);
	if (fault) {
		fault->fault_fd = cmd.out_fault_fd;
		if (fcntl(fault->fault_fd, F_SETFL, O_NONBLOCK))
			fz_fail(f, "fault file %d: %d", cmd.out_fault_fd,
				-errno);
	}
}

static void op_dirty(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_ioas_dirty_tracking track = { .size = sizeof(track) };
	struct ioasid_ioas_dirty_bitmap bits = { .size = sizeof(bits) };
	struct fz_obj *ioas;

	if (fz_chance(f, 40)) {
		track.ioas_id = fz_id(f, ctx, IOASID_OBJECT_IOAS, &ioas);
		track.flags = fz_chance(f, 60) ? IOASID_DIRTY_TRACKING_ENABLE :
			      0;
		if (ioas && fz_ioctl(f, ctx->fd, C_DIRTY, &track) == 0)
			ioas->tracking = track.flags;
		else if (!ioas)
			fz_ioctl(f, ctx->fd, C_DIRTY, &track);
		return;
	}
	bits.ioas_id = fz_id(f, ctx, IOASID_OBJECT_IOAS, &ioas);
	bits.iova = fz_iova(f);
	bits.length = fz_len(f);
	bits.page_size = fz_chance(f, 90) ? f->page : 1ULL << fz_below(f, 40);
	bits.bitmap = fz_chance(f, 95) ? (__u64)(uintptr_t)f->buf :
		      (__u64)(uintptr_t)f->region[R_RO].va;
	if (fz_chance(f, 20))
		bits.flags = IOASID_DIRTY_BITMAP_NO_CLEAR;
	/* The bitmap must fit the buffer of a page. */
	if (bits.page_size >= f->page &&
	    bits.length / bits.page_size > f->page * 8)
		bits.length = f->page;
	if (ioas && !ioas->tracking && bits.page_size == f->page &&
	    fz_aligned(f, bits.iova, bits.length))
		f->expect = -ENODATA;
	fz_ioctl(f, ctx->fd, C_BITMAP, &bits);
}

/*
 * What a mock device's DMA of [@iova, @iova + @len) through @ioas finds:
 * 0, or -ENXIO at the first byte not mapped, -EACCES at the first not
 * allowed; whichever comes first.
 */
static int fz_dma_result(const struct fz_obj *ioas, __u64 iova, __u64 len,
			 bool write)
{
	__u32 need = write ? IOASID_MAPPING_WRITEABLE :
		     IOASID_MAPPING_READABLE;
	__u64 at = iova, last = iova + len - 1;
	unsigned int i;

	for (i = 0; i < ioas->nmaps; i++) {
		const struct fz_map *m = &ioas->maps[i];
		__u64 m_last = m->iova + m->length - 1;

		if (m_last < at)
			continue;
		if (m->iova > at)
			return -ENXIO;
		if (!(m->flags & need))
			return -EACCES;
		if (m_last >= last)
			return 0;
		at = m_last + 1;
	}
	return -ENXIO;
}

/* A piece of a DMA: its bytes in the DMA buffer, and in memory. */
struct fz_piece {
	__u64 at;		/* offset in the DMA */
	__u64 len;
	const char *mem;
};

/*
 * Is the memory the model says [@iova, @iova + @len) of @ioas maps what the
 * DMA wrote there (@write) or read?  Two mappings of one piece of memory
 * in the range (a COPY beside its source, a memfd mapped twice) make the
 * bytes a write leaves there depend on the order of the writes: such a
 * write is not checked.
 */
static bool fz_dma_check(struct fz *f, const struct fz_obj *ioas, __u64 iova,
			 __u64 len, bool write)
{
	struct fz_piece p[FZ_MAPS];
	__u64 last = iova + len - 1;
	unsigned int i, j, n = 0;

	for (i = 0; i < ioas->nmaps; i++) {
		const struct fz_map *m = &ioas->maps[i];
		__u64 m_last = m->iova + m->length - 1, from, to;

		if (m_last < iova || m->iova > last || !m->stable ||
		    (m->flags & IOASID_MAPPING_UADDR_INVALID))
			continue;
		from = m->iova > iova ? m->iova : iova;
		to = m_last < last ? m_last : last;
		p[n].at = from - iova;
		p[n].len = to - from + 1;
		if (m->flags & IOASID_MAPPING_FILE)
			p[n].mem = f->region[R_MEMFD].va + m->off +
				   (from - m->iova);
		else
			p[n].mem = (const char *)(uintptr_t)m->va +
				   (from - m->iova);
		n++;
	}
	for (i = 0; write && i < n; i++)
		for (j = i + 1; j < n; j++)
			if (p[i].mem < p[j].mem + p[j].len &&
			    p[j].mem < p[i].mem + p[i].len)
				return true;
	for (i = 0; i < n; i++) {
		if (memcmp(p[i].mem, f->dma + p[i].at, p[i].len)) {
			fz_fail(f, "DMA at IOVA 0x%llx of IOAS %u does not meet the memory at %p",
				(unsigned long long)(iova + p[i].at), ioas->id,
				p[i].mem);
			return false;
		}
		f->dma_checked += p[i].len;
	}
	return true;
}

static void op_dma(struct fz *f, struct fz_ctx *ctx)
{
	struct fz_obj *dev = fz_pick(f, ctx, IOASID_OBJECT_DEVICE), *ioas;
	bool write = fz_chance(f, 50);
	__u64 iova, len;
	unsigned int i;
	int rc, expect = FZ_UNKNOWN;

	if (!dev || dev->pci)
		return;
	ioas = dev->via ? fz_obj(ctx, dev->via) : NULL;
	if (ioas && ioas->kind != IOASID_OBJECT_IOAS)
		ioas = NULL;	/* through a hwpt: stage 1 decides */
	len = fz_below(f, FZ_DMA_MAX) + 1;
	if (ioas && ioas->nmaps && fz_chance(f, 80)) {
		const struct fz_map *m = &ioas->maps[fz_below(f, ioas->nmaps)];

		iova = m->iova + fz_below(f, m->length);
	} else {
		iova = fz_iova(f);
	}
	if (iova + len < iova)
		len = -iova;
	for (i = 0; i < len; i++)
		f->dma[i] = fz_next(f);
	if (!dev->via)
		expect = -ENXIO;
	else if (ioas)
		expect = fz_dma_result(ioas, iova, len, write);
	rc = mock_dma(ctx->fd, dev->id, iova, f->dma, len, write);
	fz_trace(f, "DMA %s of device %u at 0x%llx, 0x%llx bytes -> %d",
		 write ? "write" : "read", dev->id, (unsigned long long)iova,
		 (unsigned long long)len, rc);
	if (expect != FZ_UNKNOWN && rc != expect) {
		fz_fail(f, "DMA returned %d where the model has %d", rc,
			expect);
		return;
	}
	if (rc && rc != -ENXIO && rc != -EACCES && rc != -EAGAIN)
		fz_fail(f, "DMA returned %d", rc);
	if (!rc && ioas)
		fz_dma_check(f, ioas, iova, len, write);
}

/* Close a context; its objects go with it. */
static void op_close(struct fz *f, struct fz_ctx *ctx)
{
	unsigned int i;

	if (f->devfd >= 0 && f->dev_ctx == ctx - f->ctx) {
		close(f->devfd);
		f->devfd = -1;
		f->dev_ctx = -1;
	}
	close(ctx->fd);
	ctx->fd = -1;
	for (i = 0; i < ctx->nobjs; i++)
		fz_obj_forget(&ctx->objs[i]);
	ctx->nobjs = 0;
	fz_trace(f, "close context %ld", (long)(ctx - f->ctx));
}

/* A number no command has, or a command encoded other than _IO(). */
static void op_unknown(struct fz *f, struct fz_ctx *ctx)
{
	static const unsigned long nrs[] = {
		_IO(IOASID_TYPE, IOASID_CMD_BASE + 0x30),
		_IO(IOASID_TYPE, IOASID_CMD_BASE + 0x3e),
		_IO(IOASID_TYPE, IOASID_CMD_BASE + 0x47),
		_IO(IOASID_TYPE, IOASID_CMD_BASE + 0x52),
		_IO(IOASID_TYPE, IOASID_CMD_BASE - 1),
		_IO(IOASID_TYPE, 0xff),
		_IO(IOASID_TYPE + 1, IOASID_CMD_BASE),
		_IOW(IOASID_TYPE, IOASID_CMD_DESTROY, __u32),
		_IOWR(IOASID_TYPE, IOASID_CMD_IOAS_MAP,
		      struct ioasid_ioas_map),
	};
	unsigned long nr = nrs[fz_below(f, ARRAY_SIZE(nrs))];
	int rc;

	memset(f->buf, 0, 64);
	*(__u32 *)f->buf = 16;
	rc = ioctl(ctx->fd, nr, f->buf) ? -errno : 0;
	fz_trace(f, "ioctl 0x%lx -> %d", nr, rc);
	if (rc != -ENOTTY)
		fz_fail(f, "unknown ioctl 0x%lx returned %d", nr, rc);
}

/* The PCI device file: open, bind, its commands, close. */
static void op_pci(struct fz *f, struct fz_ctx *ctx)
{
	struct ioasid_pci_bind bind = { .size = sizeof(bind) };
	struct ioasid_pci_info info = { .size = sizeof(info) };
	struct ioasid_pci_region_info region = { .size = sizeof(region) };
	struct ioasid_pci_config config = { .size = sizeof(config) };
	struct ioasid_pci_bus_master master = { .size = sizeof(master) };
	struct ioasid_pci_reset reset = { .size = sizeof(reset) };
	struct ioasid_pci_error_notify notify = { .size = sizeof(notify) };
	static const __u32 offsets[] = { 0, 4, 0x3c, 0x40, 0x44, 0xfc, 0xff,
					 0x100, 0xffc, 0x1000 };
	bool bound = f->dev_ctx >= 0;
	struct fz_obj *dev;
	int efd;

	if (!f->bdf[0])
		return;
	if (f->devfd < 0) {
		f->devfd = open_device_file(f->bdf);
		fz_trace(f, "open %s -> %d", f->bdf, f->devfd);
		if (f->devfd < 0)
			fz_fail(f, "cannot open the device file: %d", -errno);
		return;
	}
	switch (fz_below(f, 9)) {
	case 0:
		bind.ioasid_fd = fz_chance(f, 90) ? ctx->fd :
				 fz_chance(f, 50) ? -1 : f->memfd;
		if (bind.ioasid_fd == ctx->fd)
			f->expect = bound ? -EALREADY : 0;
		if (fz_ioctl(f, f->devfd, C_PCI_BIND, &bind))
			return;
		if (bound || bind.ioasid_fd != ctx->fd) {
			fz_fail(f, "bound the device file again");
			return;
		}
		f->dev_ctx = ctx - f->ctx;
		dev = fz_obj_add(f, ctx, bind.out_dev_id,
				 IOASID_OBJECT_DEVICE);
		if (dev)
			dev->pci = true;
		return;
	case 1:
		f->expect = 0;
		fz_ioctl(f, f->devfd, C_PCI_INFO, &info);
		if (!f->mutated && !f->fired &&
		    !!(info.out_flags & IOASID_PCI_INFO_BOUND) != bound)
			fz_fail(f, "PCI_INFO says bound %d",
				!!(info.out_flags & IOASID_PCI_INFO_BOUND));
		return;
	case 2:
		region.index = fz_below(f, 8);
		f->expect = bound && region.index < 6 ? 0 : -EINVAL;
		fz_ioctl(f, f->devfd, C_PCI_REGION, &region);
		return;
	case 3:
		config.offset = offsets[fz_below(f, ARRAY_SIZE(offsets))];
		config.width = 1U << fz_below(f, 3);
		if (fz_chance(f, 30)) {
			config.flags = IOASID_PCI_CONFIG_WRITE;
			config.value = fz_next(f);
		}
		if (!bound)
			f->expect = -EINVAL;
		fz_ioctl(f, f->devfd, C_PCI_CONFIG, &config);
		return;
	case 4:
		master.enable = fz_below(f, 3);
		f->expect = bound && master.enable < 2 ? 0 : -EINVAL;
		fz_ioctl(f, f->devfd, C_PCI_MASTER, &master);
		return;
	case 5:
		if (!bound)
			f->expect = -EINVAL;
		fz_ioctl(f, f->devfd, C_PCI_RESET, &reset);
		return;
	case 6:
		efd = eventfd(0, EFD_CLOEXEC);
		notify.eventfd = fz_chance(f, 80) ? efd : fz_chance(f, 50) ?
				 -1 : f->memfd;
		fz_ioctl(f, f->devfd, C_PCI_NOTIFY, &notify);
		close(efd);
		return;
	default:
		/* Close it: its device object leaves the context. */
		close(f->devfd);
		f->devfd = -1;
		fz_trace(f, "close the device file");
		if (bound) {
			struct fz_ctx *owner = &f->ctx[f->dev_ctx];
			unsigned int i;

			for (i = 0; i < owner->nobjs; i++)
				if (owner->objs[i].pci) {
					fz_obj_remove(owner, &owner->objs[i]);
					break;
				}
			f->dev_ctx = -1;
			fz_check_objects(f, owner);
		}
		return;
	}
}

/* ---- the run ---- */

static const struct {
	void (*fn)(struct fz *f, struct fz_ctx *ctx);
	unsigned int weight;
} fz_ops[] = {
	{ op_ioas_alloc, 4 },
	{ op_mock_device, 2 },
	{ op_destroy, 4 },
	{ op_map, 12 },
	{ op_map_file, 4 },
	{ op_unmap, 8 },
	{ op_copy, 5 },
	{ op_map_batch, 3 },
	{ op_unmap_batch, 3 },
	{ op_iova_ranges, 2 },
	{ op_allow_iovas, 2 },
	{ op_attach, 6 },
	{ op_detach, 3 },
	{ op_info, 3 },
	{ op_enable, 2 },
	{ op_features, 2 },
	{ op_take_ownership, 1 },
	{ op_uaddr_invalidate, 3 },
	{ op_uaddr_supply, 3 },
	{ op_list, 3 },
	{ op_share, 2 },
	{ op_sva, 2 },
	{ op_hwpt_alloc, 2 },
	{ op_hwpt_invalidate, 2 },
	{ op_fault, 2 },
	{ op_dirty, 3 },
	{ op_dma, 10 },
	{ op_close, 1 },
	{ op_unknown, 1 },
	{ op_pci, 4 },
};

static void fz_step(struct fz *f)
{
	unsigned int i, total = 0, pick;
	struct fz_ctx *ctx;

	for (i = 0; i < ARRAY_SIZE(fz_ops); i++)
		total += fz_ops[i].weight;
	pick = fz_below(f, total);
	for (i = 0; pick >= fz_ops[i].weight; i++)
		pick -= fz_ops[i].weight;
	snprintf(f->trace[f->op % FZ_TRACE], sizeof(f->trace[0]),
		 "op %lu: (nothing)", f->op);
	f->expect = FZ_UNKNOWN;
	ctx = fz_pick_ctx(f);
	if (f->failed)
		return;
	fz_ops[i].fn(f, ctx);
	if (f->verbose)
		ksft_print_msg("%s\n", f->trace[f->op % FZ_TRACE]);
	if (f->failed)
		return;
	if (f->op % FZ_FULL_CHECK == FZ_FULL_CHECK - 1)
		fz_check_all(f);
	else
		fz_check_counters(f);
}

/*
 * Keep taking R_RACE away (PROT_NONE) and mapping it again, new pages each
 * time, and freeing them.
 */
static void *fz_racer(void *arg)
{
	struct fz *f = arg;
	struct fz_region *r = &f->region[R_RACE];

	/* Never a hole: another mmap() could land in it. */
	while (__atomic_load_n(&f->racing, __ATOMIC_RELAXED)) {
		if (mmap(r->va, r->len, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
		    r->va)
			break;
		usleep(50);
		if (mmap(r->va, r->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
			 MAP_POPULATE, -1, 0) != r->va)
			break;
		usleep(50);
		madvise(r->va, r->len, MADV_DONTNEED);
	}
	return NULL;
}

static char *fz_mmap(size_t len, int prot, int flags, int fd)
{
	char *p = mmap(NULL, len, prot, flags, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Where the PCI device file can be fuzzed: an edu device of its own group. */
static void fz_pci_setup(struct fz *f)
{
	struct ioasid_counters unused;

	f->devfd = -1;
	f->dev_ctx = -1;
	f->bdf[0] = 0;
	if (edu_available(f->bdf, sizeof(f->bdf), &unused)) {
		f->bdf[0] = 0;
		return;
	}
	f->unsafe = set_unsafe_interrupts('1');
	if (!pci_bind_driver(f->bdf, "ioasid_pci")) {
		set_unsafe_interrupts(f->unsafe);
		f->bdf[0] = 0;
	}
}

static const char *fz_setup(struct fz *f, __u64 seed, bool race)
{
	size_t page = getpagesize();
	int i;

	memset(f, 0, sizeof(*f));
	f->seed = seed;
	f->rng = seed;
	f->page = page;
	f->fail_knob = -1;
	f->counters = -1;
	f->huge_pool = -1;
	f->expect = FZ_UNKNOWN;
	f->memfd = -1;
	f->memfd_ro = -1;
	for (i = 0; i < FZ_CTXS; i++)
		f->ctx[i].fd = -1;
	if (access(IOASID_DEV, F_OK) || ioasid_read_counters(&f->start))
		return "ioasid.ko not loaded or debugfs not mounted";
	f->ctx[0].fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	if (f->ctx[0].fd < 0)
		return "cannot open /dev/ioasid";
	if (!mock_available(f->ctx[0].fd))
		return "ioasid.ko has no mock backend, or was loaded without mock=1";
	close(f->ctx[0].fd);
	f->ctx[0].fd = -1;

	f->arg = fz_mmap(2 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1);
	f->buf = fz_mmap(4 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1);
	f->dma = malloc(FZ_DMA_MAX);
	if (!f->arg || !f->buf || !f->dma ||
	    mprotect(f->arg + page, page, PROT_NONE))
		return "out of memory";

	f->region[R_ANON].len = FZ_ANON_PAGES * page;
	f->region[R_ANON].va = fz_mmap(f->region[R_ANON].len,
				       PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS |
				       MAP_POPULATE, -1);
	f->region[R_RO].len = FZ_SMALL_PAGES * page;
	f->region[R_RO].va = fz_mmap(f->region[R_RO].len, PROT_READ,
				     MAP_PRIVATE | MAP_ANONYMOUS |
				     MAP_POPULATE, -1);
	f->region[R_NONE].len = FZ_SMALL_PAGES * page;
	f->region[R_NONE].va = fz_mmap(f->region[R_NONE].len, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1);
	/* The hole is cut out of PROT_NONE memory once nothing else maps. */
	f->region[R_HOLE].len = FZ_SMALL_PAGES * page;
	f->region[R_HOLE].va = fz_mmap(3 * f->region[R_HOLE].len, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1);
	if (!f->region[R_ANON].va || !f->region[R_RO].va ||
	    !f->region[R_NONE].va || !f->region[R_HOLE].va)
		return "out of memory";
	f->region[R_HOLE].va += f->region[R_HOLE].len;
	for (i = 0; i < FZ_ANON_PAGES; i++)
		memset(f->region[R_ANON].va + i * page, i + 1, page);

	f->memfd = memfd_create("ioasid-fuzz", MFD_CLOEXEC);
	if (f->memfd < 0 || ftruncate(f->memfd, FZ_MEMFD_PAGES * page))
		return "no memfd";
	f->region[R_MEMFD].len = FZ_MEMFD_PAGES * page;
	f->region[R_MEMFD].va = fz_mmap(f->region[R_MEMFD].len,
					PROT_READ | PROT_WRITE,
					MAP_SHARED | MAP_POPULATE, f->memfd);
	if (!f->region[R_MEMFD].va)
		return "cannot map the memfd";
	{
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", f->memfd);
		f->memfd_ro = open(path, O_RDONLY | O_CLOEXEC);
	}

	/* Two huge pages more in the pool; the run goes on without them. */
	f->huge_pool = ioasid_huge_pool();
	if (f->huge_pool >= 0 && ioasid_meminfo("Hugepagesize: %ld") == 2048)
		ioasid_set_huge_pool(f->huge_pool + 2);
	else
		f->huge_pool = -1;
	f->region[R_HUGE].len = 2 * FZ_HUGE;
	f->region[R_HUGE].va = fz_mmap(f->region[R_HUGE].len,
				       PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS |
				       MAP_HUGETLB | MAP_POPULATE, -1);
	if (!f->region[R_HUGE].va)
		f->region[R_HUGE].len = 0;

	if (race) {
		f->region[R_RACE].len = FZ_SMALL_PAGES * page;
		f->region[R_RACE].va = fz_mmap(f->region[R_RACE].len,
					       PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS |
					       MAP_POPULATE, -1);
		if (!f->region[R_RACE].va)
			return "out of memory";
		f->racing = true;
		if (pthread_create(&f->racer, NULL, fz_racer, f)) {
			f->racing = false;
			return "cannot start the racing thread";
		}
	}

	f->fail_knob = open(IOASID_FAIL_NTH, O_RDWR | O_CLOEXEC);
	f->counters = open(IOASID_COUNTERS, O_RDONLY | O_CLOEXEC);
	if (f->counters < 0)
		return "cannot open the counters";
	fz_pci_setup(f);
	munmap(f->region[R_HOLE].va, f->region[R_HOLE].len);
	return NULL;
}

/* Close everything; true if every counter is back where it started. */
static bool fz_teardown(struct fz *f)
{
	struct ioasid_counters end;
	unsigned int i;

	if (f->racing) {
		__atomic_store_n(&f->racing, false, __ATOMIC_RELAXED);
		pthread_join(f->racer, NULL);
	}
	for (i = 0; i < FZ_CTXS; i++)
		if (f->ctx[i].fd >= 0)
			op_close(f, &f->ctx[i]);
	if (f->devfd >= 0)
		close(f->devfd);
	if (f->bdf[0]) {
		pci_release(f->bdf);
		set_unsafe_interrupts(f->unsafe);
	}
	if (f->fail_knob >= 0)
		close(f->fail_knob);
	if (f->counters >= 0)
		close(f->counters);
	for (i = 0; i < R_NUM; i++)
		if (f->region[i].va && i != R_HOLE)
			munmap(f->region[i].va, f->region[i].len);
	if (f->region[R_HOLE].va)
		munmap(f->region[R_HOLE].va - f->region[R_HOLE].len,
		       3 * f->region[R_HOLE].len);
	if (f->huge_pool >= 0)
		ioasid_set_huge_pool(f->huge_pool);
	if (f->memfd >= 0)
		close(f->memfd);
	if (f->memfd_ro >= 0)
		close(f->memfd_ro);
	if (f->arg)
		munmap(f->arg, 2 * f->page);
	if (f->buf)
		munmap(f->buf, 4 * f->page);
	free(f->dma);
	return !ioasid_read_counters(&end) &&
	       ioasid_counters_equal(&f->start, &end);
}

static unsigned long fz_env(const char *name, unsigned long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

/* Run @ops operations from @seed; the test fails on any broken rule. */
static void fz_run(struct __test_metadata *_metadata, __u64 seed,
		   unsigned long ops, bool race)
{
	struct fz *f = calloc(1, sizeof(*f));
	struct ioasid_counters end;
	const char *why;

	ASSERT_NE(NULL, f);
	why = fz_setup(f, seed, race);
	if (why) {
		fz_teardown(f);
		free(f);
		SKIP(return, "%s", why);
	}
	f->meta = _metadata;
	f->verbose = fz_env("IOASID_FUZZ_VERBOSE", 0);
	ksft_print_msg("seed 0x%llx, %lu operations%s%s\n",
		       (unsigned long long)seed, ops,
		       f->bdf[0] ? ", device file " : "", f->bdf);
	ksft_print_msg("memory: %p anon, %p ro, %p hole, %p none, %p memfd, %p huge, %p race\n",
		       f->region[R_ANON].va, f->region[R_RO].va,
		       f->region[R_HOLE].va, f->region[R_NONE].va,
		       f->region[R_MEMFD].va, f->region[R_HUGE].va,
		       f->region[R_RACE].va);
	for (f->op = 0; f->op < ops && !f->failed; f->op++)
		fz_step(f);
	if (!f->failed)
		fz_check_all(f);
	ksft_print_msg("%lu operations, %lu commands: %lu failed, %lu bad structs\n",
		       f->op, f->calls, f->fails, f->mutations);
	ksft_print_msg("%lu failures injected, %lu DMA bytes checked\n",
		       f->injections, f->dma_checked);
	if (!fz_teardown(f) && !f->failed) {
		/* In the order of struct ioasid_counters. */
		ioasid_read_counters(&end);
		fz_fail(f, "left after closing: %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld",
			end.contexts - f->start.contexts,
			end.objects - f->start.objects,
			end.pinned_pages - f->start.pinned_pages,
			end.accounted_pages - f->start.accounted_pages,
			end.domains - f->start.domains,
			end.pasids - f->start.pasids,
			end.sva_binds - f->start.sva_binds,
			end.shares - f->start.shares,
			end.nested - f->start.nested,
			end.faults - f->start.faults);
	}
	EXPECT_FALSE(f->failed);
	free(f);
}

/* A seed of the clock's, unless IOASID_FUZZ_SEED gives one. */
static __u64 fz_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return fz_env("IOASID_FUZZ_SEED",
		      (__u64)ts.tv_sec * 1000000007ULL ^ ts.tv_nsec ^ getpid());
}

/* Each test makes its own state: the fixture holds nothing. */
FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* The same seeds in every run: a regression shows at once. */
TEST_F_TIMEOUT(fuzz, fixed_seeds, 3600)
{
	static const __u64 seeds[] = { 1, 2, 3, 0x10a51d, 0xdeadbeef };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(seeds); i++)
		fz_run(_metadata, seeds[i], FZ_FIXED_OPS, false);
}

/* A new seed at each run, IOASID_FUZZ_OPS operations long. */
TEST_F_TIMEOUT(fuzz, random_seed, 3600)
{
	fz_run(_metadata, fz_seed(), fz_env("IOASID_FUZZ_OPS", FZ_DEFAULT_OPS),
	       false);
}

/* With memory taken away and mapped again under the commands. */
TEST_F_TIMEOUT(fuzz, racing, 3600)
{
	fz_run(_metadata, fz_seed() + 1,
	       fz_env("IOASID_FUZZ_OPS", FZ_DEFAULT_OPS) / 10, true);
}

TEST_HARNESS_MAIN
