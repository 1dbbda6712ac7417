// SPDX-License-Identifier: GPL-2.0
/*
 * ioasid-bench: time map and unmap through /dev/ioasid and through VFIO
 * type1, in the same machine, on two edu devices: one bound to ioasid_pci
 * and attached to an IOAS, one bound to vfio-pci in a type1 container.
 *
 * Each row runs REPS times per interface, alternating, and the median is
 * reported with the ratio VFIO / ioasid (above 1: ioasid is faster).  One
 * row runs through ioasid alone, on a second IOAS with no device, hence no
 * IOMMU domain: the 4 KiB pair without the IOMMU's work, to tell the two
 * apart.  Two rows time the live-update handover of 1 GiB of mappings to
 * a new owner (invalidate the user addresses, supply them again with every
 * page checked, take ownership) in the ioasid column: against an unmap and
 * a map of the same memory through ioasid in the other column, and against
 * type1's own update of the addresses (VFIO_DMA_UNMAP_FLAG_VADDR, then
 * VFIO_DMA_MAP_FLAG_VADDR, which checks nothing).
 *
 * The rows named "type1 on ioasid: ..." run the same type1 client code on
 * the VFIO device in both columns: in a container that ioasid_vfio serves
 * (its parameter type1 set) and in one that vfio_iommu_type1 serves, a new
 * container for each repetition.  Which backend took each container is
 * checked by ioasid's count of contexts (a container ioasid serves has
 * one), the plain type1 column's too.  The table goes to stdout; with -c
 * FILE the same rows go to FILE as CSV (an empty field where a row has no
 * VFIO side).
 *
 * The rows named "SVA: ..." measure process-bound access through ioasid
 * alone, on a mock device with page requests (the module loaded with
 * mock=1; no emulated device has PASIDs), shared through its node: a bind
 * and an unbind in one process; a process that forks, binds and exits,
 * beside one that forks, opens the node and exits; and the kernel memory
 * one binding takes: the growth of the slab in /proc/meminfo when many
 * processes that hold the node open bind (a floor: objects that free room
 * in slabs already there take no new page).
 *
 * The row "4K maps batched 10000" maps 10,000 pages, two pages apart, and
 * unmaps them: through ioasid in batches of MAP_BATCH ranges
 * (IOASID_IOAS_MAP_BATCH, IOASID_IOAS_UNMAP_BATCH), through type1, which
 * has no batches, one at a time; per map.  The rows "map 4K at 10^N
 * mappings", run once per interface and not in quick mode, fill an
 * address space with that many 4 KiB maps (in batches where there are
 * some), then time SCALE_PROBES more, one at a time, and report the
 * median; "bytes per mapping" is the growth of the slab over the 10^6
 * maps, per map (the IOMMU's page tables are not slab).
 *
 * Usage: ioasid-bench [-q] [-c FILE] IOASID_BDF VFIO_BDF
 *   -q  quick: fewer repetitions and smaller loops, to prove it works
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/vfio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ioasid_utils.h"
#include "ioasid_pci_utils.h"
#include "ioasid_mock_utils.h"

#define SZ_4K (4UL << 10)
#define SZ_2M (2UL << 20)
#define SZ_64M (64UL << 20)
#define SZ_256M (256UL << 20)
#define SZ_1G (1024UL << 20)
#define BENCH_IOVA (1024UL << 20)
/* Above 4 GiB, clear of the MSI window that x86 reserves below it. */
#define SCALE_IOVA (16ULL << 30)
/* The maps timed, one at a time, at each scale. */
#define SCALE_PROBES 1001
#define MAX_REPS 9

/* One interface under test. */
struct iface {
	const char *name;
	int (*map)(struct iface *i, void *va, __u64 iova, size_t len);
	int (*unmap)(struct iface *i, __u64 iova, size_t len);
	int (*unmap_all)(struct iface *i);
	int (*noop)(struct iface *i);
	/* @n maps of a page of @va, two pages apart from @iova on; undone. */
	int (*map_n)(struct iface *i, void *va, __u64 iova, int n);
	int (*unmap_n)(struct iface *i, __u64 iova, int n);
	double slab_per_map;	/* set by the row at 10^6 mappings */
	int fd;		/* /dev/ioasid, or the VFIO container */
	__u32 ioas;	/* ioasid only */
	int group;	/* VFIO only: the group in the container */
};

#define TYPE1_PARAM "/sys/module/ioasid_vfio/parameters/type1"

static int reps = 5, pairs = 10000, small_maps = 10000, noops = 100000;
static int quick;
static int sva_pairs = 10000, sva_procs = 1000, sva_held = 500;

/* The node of the shared mock device, empty without the mock. */
static char sva_node[64];
static size_t handover_len = SZ_1G;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int ioasid_map(struct iface *i, void *va, __u64 iova, size_t len)
{
	return ioas_map(i->fd, i->ioas, va, len, &iova, MAP_FIXED_RW);
}

static int ioasid_unmap(struct iface *i, __u64 iova, size_t len)
{
	return ioas_unmap(i->fd, i->ioas, iova, len, NULL);
}

static int ioasid_unmap_all(struct iface *i)
{
	return ioas_unmap_all(i->fd, i->ioas, NULL);
}

/*
 * The cheapest command: DESTROY of an id no object has, which copies its
 * struct in, looks the id up and fails.  VFIO's is GET_API_VERSION.
 */
static int ioasid_noop(struct iface *i)
{
	return ioasid_destroy(i->fd, 0) == -ENOENT ? 0 : -EIO;
}

/* The ranges of a batch of maps ioasid_map_n() makes at a time. */
#define MAP_BATCH 1000

/* Maps in batches of MAP_BATCH (IOASID_IOAS_MAP_BATCH), unmaps likewise. */
static int ioasid_batch_n(struct iface *i, unsigned long cmd, void *va,
			  __u64 iova, int n)
{
	struct ioasid_batch_range ranges[MAP_BATCH];
	int done, k, rc = 0;
	__u32 failed;

	for (done = 0; done < n && !rc; done += k) {
		for (k = 0; k < MAP_BATCH && done + k < n; k++)
			ranges[k] = (struct ioasid_batch_range){
				.flags = va ? MAP_RW : 0,
				.user_va = (__u64)(uintptr_t)va,
				.length = SZ_4K,
				.iova = iova + (done + k) * 2 * SZ_4K,
			};
		rc = ioas_batch(i->fd, cmd, i->ioas, ranges, k, &failed);
	}
	return rc;
}

static int ioasid_map_n(struct iface *i, void *va, __u64 iova, int n)
{
	return ioasid_batch_n(i, IOASID_IOAS_MAP_BATCH, va, iova, n);
}

static int ioasid_unmap_n(struct iface *i, __u64 iova, int n)
{
	return ioasid_batch_n(i, IOASID_IOAS_UNMAP_BATCH, NULL, iova, n);
}

static int vfio_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static int vfio_map(struct iface *i, void *va, __u64 iova, size_t len)
{
	struct vfio_iommu_type1_dma_map cmd = {
		.argsz = sizeof(cmd),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (unsigned long)va,
		.iova = iova,
		.size = len,
	};

	return vfio_ioctl(i->fd, VFIO_IOMMU_MAP_DMA, &cmd);
}

static int vfio_unmap(struct iface *i, __u64 iova, size_t len)
{
	struct vfio_iommu_type1_dma_unmap cmd = {
		.argsz = sizeof(cmd), .iova = iova, .size = len,
	};

	return vfio_ioctl(i->fd, VFIO_IOMMU_UNMAP_DMA, &cmd);
}

static int vfio_unmap_all(struct iface *i)
{
	struct vfio_iommu_type1_dma_unmap cmd = {
		.argsz = sizeof(cmd), .flags = VFIO_DMA_UNMAP_FLAG_ALL,
	};

	return vfio_ioctl(i->fd, VFIO_IOMMU_UNMAP_DMA, &cmd);
}

/* Type1 has no batches: a map, or an unmap, each. */
static int vfio_map_n(struct iface *i, void *va, __u64 iova, int n)
{
	int k;

	for (k = 0; k < n; k++)
		if (vfio_map(i, va, iova + k * 2 * SZ_4K, SZ_4K))
			return -1;
	return 0;
}

static int vfio_unmap_n(struct iface *i, __u64 iova, int n)
{
	int k;

	for (k = 0; k < n; k++)
		if (vfio_unmap(i, iova + k * 2 * SZ_4K, SZ_4K))
			return -1;
	return 0;
}

static int vfio_noop(struct iface *i)
{
	return ioctl(i->fd, VFIO_GET_API_VERSION) == VFIO_API_VERSION ?
	       0 : -EIO;
}

/*
 * /dev/ioasid with @bdf bound to ioasid_pci and attached to an IOAS, and
 * @bare on a second IOAS of the same file, with no device.
 */
static int ioasid_setup(struct iface *i, struct iface *bare, const char *bdf)
{
	__u32 dev_id;
	int devfd, rc;

	set_unsafe_interrupts('1');
	if (!pci_bind_driver(bdf, "ioasid_pci"))
		return -ENODEV;
	i->fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	devfd = open_device_file(bdf);
	if (i->fd < 0 || devfd < 0)
		return -errno;
	rc = pci_bind(devfd, i->fd, &dev_id);
	if (!rc)
		rc = ioas_alloc(i->fd, &i->ioas);
	if (!rc)
		rc = attach(i->fd, dev_id, i->ioas, 0);
	bare->fd = i->fd;
	if (!rc)
		rc = ioas_alloc(bare->fd, &bare->ioas);
	/* The device file stays open: the binding lasts until exit. */
	return rc;
}

/*
 * Put the group of @i in a new type1 container, in place of the one it is
 * in, if any, served by ioasid_vfio (@ioasid) or by vfio_iommu_type1, and
 * check that the one asked for took it.  -ENOENT: ioasid_vfio is not
 * loaded; -EPROTO: the other backend took it.
 */
static int vfio_container(struct iface *i, bool ioasid)
{
	long contexts;
	int rc;

	if (i->fd >= 0) {
		if (ioctl(i->group, VFIO_GROUP_UNSET_CONTAINER) < 0)
			return -errno;
		close(i->fd);
	}
	rc = sysfs_write(TYPE1_PARAM, ioasid ? "1" : "0");
	if (rc && (ioasid || rc != -ENOENT))
		return rc;
	contexts = ioasid_counter("contexts");
	i->fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (i->fd < 0)
		return -errno;
	if (ioctl(i->group, VFIO_GROUP_SET_CONTAINER, &i->fd) < 0 ||
	    ioctl(i->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
		return -errno;
	return ioasid_counter("contexts") == contexts + ioasid ? 0 : -EPROTO;
}

/* A type1 container with the group of @bdf bound to vfio-pci. */
static int vfio_setup(struct iface *i, const char *bdf)
{
	char path[64];

	if (!pci_bind_driver(bdf, "vfio-pci"))
		return -ENODEV;
	snprintf(path, sizeof(path), "/dev/vfio/%d", pci_iommu_group(bdf));
	i->group = open(path, O_RDWR | O_CLOEXEC);
	if (i->group < 0)
		return -errno;
	i->fd = -1;
	return vfio_container(i, false);
}

/* A populated buffer of @len bytes of the given kind, or NULL. */
enum backing { BACK_4K, BACK_THP, BACK_HUGETLB, BACK_MEMFD };

/* A memfd mapped shared: memory that outlives its process's exec(). */
static char *memfd_buffer(size_t len)
{
	char *buf;
	int fd;

	fd = memfd_create("ioasid-bench", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = ftruncate(fd, len) ? MAP_FAILED :
	      mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (buf == MAP_FAILED)
		return NULL;
	memset(buf, 0x5a, len);
	return buf;
}

static char *buffer(size_t len, enum backing backing)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	char *raw, *buf;

	if (backing == BACK_MEMFD)
		return memfd_buffer(len);
	if (backing == BACK_HUGETLB) {
		buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   flags | MAP_HUGETLB | MAP_POPULATE, -1, 0);
		return buf == MAP_FAILED ? NULL : buf;
	}
	/* THP needs 2 MiB alignment: over-allocate, and align. */
	raw = mmap(NULL, len + SZ_2M, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	buf = (char *)(((unsigned long)raw + SZ_2M - 1) & ~(SZ_2M - 1));
	madvise(buf, len, backing == BACK_THP ? MADV_HUGEPAGE :
						 MADV_NOHUGEPAGE);
	memset(buf, 0x5a, len);
	return buf;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* What one repetition of a row measures, in microseconds; < 0 on error. */
typedef double (*row_fn)(struct iface *i, char *buf, size_t len);

static double row_pairs(struct iface *i, char *buf, size_t len)
{
	double start = now_us();
	int n;

	for (n = 0; n < pairs; n++)
		if (i->map(i, buf, BENCH_IOVA, SZ_4K) ||
		    i->unmap(i, BENCH_IOVA, SZ_4K))
			return -1;
	return (now_us() - start) / pairs;
}

static double row_map(struct iface *i, char *buf, size_t len)
{
	double start = now_us(), t;

	if (i->map(i, buf, BENCH_IOVA, len))
		return -1;
	t = now_us() - start;
	return i->unmap(i, BENCH_IOVA, len) ? -1 : t;
}

static double row_unmap(struct iface *i, char *buf, size_t len)
{
	double start;

	if (i->map(i, buf, BENCH_IOVA, len))
		return -1;
	start = now_us();
	return i->unmap(i, BENCH_IOVA, len) ? -1 : now_us() - start;
}

static double row_unmap_all(struct iface *i, char *buf, size_t len)
{
	double start;
	int n;

	for (n = 0; n < small_maps; n++)
		if (i->map(i, buf, BENCH_IOVA + n * 2 * SZ_4K, SZ_4K))
			return -1;
	start = now_us();
	return i->unmap_all(i) ? -1 : now_us() - start;
}

/*
 * 10,000 separate 4 KiB maps, then their unmaps: ioasid's in batches,
 * type1's one at a time; per map.
 */
static double row_batched(struct iface *i, char *buf, size_t len)
{
	double start = now_us();

	if (i->map_n(i, buf, BENCH_IOVA, small_maps) ||
	    i->unmap_n(i, BENCH_IOVA, small_maps))
		return -1;
	return (now_us() - start) / small_maps;
}

/* The kernel's slab memory in bytes, or -1. */
static double slab_bytes(void);

/*
 * The median time of one more 4 KiB map into an address space that holds
 * @held maps already (made in batches where the interface has them); the
 * slab growth per map is kept for the row "bytes per mapping".
 */
static double map_when_holding(struct iface *i, char *buf, int held)
{
	__u64 iova = SCALE_IOVA + (__u64)held * 2 * SZ_4K;
	double before = slab_bytes(), t[SCALE_PROBES], start;
	int k;

	if (i->map_n(i, buf, SCALE_IOVA, held))
		goto fail;
	i->slab_per_map = (slab_bytes() - before) / held;
	for (k = 0; k < SCALE_PROBES; k++) {
		start = now_us();
		if (i->map(i, buf, iova + k * 2 * SZ_4K, SZ_4K))
			goto fail;
		t[k] = now_us() - start;
	}
	return i->unmap_all(i) ? -1 : median(t, SCALE_PROBES);

fail:
	fprintf(stderr, "%s: a map when holding %d failed: %m\n", i->name,
		held);
	i->unmap_all(i);
	return -1;
}

static double row_at_1k(struct iface *i, char *buf, size_t len)
{
	return map_when_holding(i, buf, 1000);
}

static double row_at_100k(struct iface *i, char *buf, size_t len)
{
	return map_when_holding(i, buf, 100000);
}

static double row_at_1m(struct iface *i, char *buf, size_t len)
{
	return map_when_holding(i, buf, 1000000);
}

/* What the row at 10^6 mappings measured of the slab, per mapping. */
static double row_bytes(struct iface *i, char *buf, size_t len)
{
	return i->slab_per_map;
}

/* Invalidate, supply again (every page checked), take ownership. */
static double row_handover(struct iface *i, char *buf, size_t len)
{
	double start, t = -1;

	if (i->map(i, buf, BENCH_IOVA, len))
		return -1;
	start = now_us();
	if (!uaddr_invalidate(i->fd, 0, NULL) &&
	    !uaddr_supply_shift(i->fd, 0, 0) && !take_ownership(i->fd, NULL))
		t = now_us() - start;
	return i->unmap(i, BENCH_IOVA, len) ? -1 : t;
}

/* What a handover spares: an unmap and a map of the same memory. */
static double row_remap(struct iface *i, char *buf, size_t len)
{
	double start, t = -1;

	if (i->map(i, buf, BENCH_IOVA, len))
		return -1;
	start = now_us();
	if (!i->unmap(i, BENCH_IOVA, len) && !i->map(i, buf, BENCH_IOVA, len))
		t = now_us() - start;
	return i->unmap(i, BENCH_IOVA, len) ? -1 : t;
}

/* type1's handover: invalidate the vaddr, supply it again, unchecked. */
static double row_vaddr(struct iface *i, char *buf, size_t len)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = VFIO_DMA_UNMAP_FLAG_VADDR,
		.iova = BENCH_IOVA,
		.size = len,
	};
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_VADDR,
		.vaddr = (__u64)(uintptr_t)buf,
		.iova = BENCH_IOVA,
		.size = len,
	};
	double start, t = -1;

	if (i->map(i, buf, BENCH_IOVA, len))
		return -1;
	start = now_us();
	if (!vfio_ioctl(i->fd, VFIO_IOMMU_UNMAP_DMA, &unmap) &&
	    !vfio_ioctl(i->fd, VFIO_IOMMU_MAP_DMA, &map))
		t = now_us() - start;
	return i->unmap(i, BENCH_IOVA, len) ? -1 : t;
}

static double row_noop(struct iface *i, char *buf, size_t len)
{
	double start = now_us();
	int n;

	for (n = 0; n < noops; n++)
		if (i->noop(i))
			return -1;
	return (now_us() - start) / noops;
}

/* Share a new mock device of the context @fd, with page requests. */
static void sva_setup(int fd)
{
	struct ioasid_test_mock_device config = {
		.caps = IOASID_DEVICE_CAP_SVA,
		.max_pasid_log2 = 16,
		.pgsize_bitmap = getpagesize(),
		.aperture_last = ~0ULL,
	};
	__u32 dev_id, minor;

	if (!mock_available(fd) || mock_device(fd, &config, &dev_id) ||
	    device_share(fd, dev_id, 0600, &minor))
		return;
	snprintf(sva_node, sizeof(sva_node), "/dev/ioasid-sva/mock%u", minor);
}

static double row_sva_bind(struct iface *i, char *buf, size_t len)
{
	int nodefd = open(sva_node, O_RDWR | O_CLOEXEC);
	double start = now_us();
	int n;

	for (n = 0; n < sva_pairs && nodefd >= 0; n++)
		if (sva_bind(nodefd, NULL) || sva_unbind(nodefd))
			break;
	if (nodefd >= 0)
		close(nodefd);
	return n == sva_pairs ? (now_us() - start) / n : -1;
}

/* Fork @procs processes in turn, each opening the node (and binding). */
static double processes(bool bind)
{
	double start = now_us();
	int n, nodefd, status;
	pid_t pid;

	for (n = 0; n < sva_procs; n++) {
		pid = fork();
		if (!pid) {
			nodefd = open(sva_node, O_RDWR | O_CLOEXEC);
			_exit(nodefd < 0 || (bind && sva_bind(nodefd, NULL)));
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			return -1;
	}
	return (now_us() - start) / n;
}

static double row_sva_process(struct iface *i, char *buf, size_t len)
{
	return processes(true);
}

static double row_process(struct iface *i, char *buf, size_t len)
{
	return processes(false);
}

/* The kernel's slab memory in bytes, or -1. */
static double slab_bytes(void)
{
	long kib = ioasid_meminfo("Slab: %ld kB");

	return kib < 0 ? -1 : kib * 1024.0;
}

/*
 * In a child: open the node, bind on a byte from @bind, go at the end of
 * @leave; say how each went on @ready.
 */
static void held_child(int bind, int leave, int ready)
{
	int nodefd = open(sva_node, O_RDWR | O_CLOEXEC);
	char c = nodefd >= 0;

	if (write(ready, &c, 1) != 1 || read(bind, &c, 1) != 1)
		_exit(1);
	c = !sva_bind(nodefd, NULL);
	if (write(ready, &c, 1) != 1)
		_exit(1);
	_exit(read(leave, &c, 1) == 0 ? 0 : 1);
}

/*
 * Read @n acknowledgements of children, who hold the pipe until they go
 * (so count, and wait for no EOF); returns how many said yes.
 */
static int acks(int ready, int n)
{
	int ok = 0;
	char c;

	while (n-- > 0 && read(ready, &c, 1) == 1)
		ok += c;
	return ok;
}

/*
 * The slab growth when @sva_held processes, each holding the node open
 * already, bind: what the bindings alone take, per binding.  The slab
 * moves for other reasons too, so this may come out below 0: it fails with
 * NAN.
 */
static double row_sva_memory(struct iface *i, char *buf, size_t len)
{
	int n, k, bind[2], leave[2], ready[2], status, ok;
	double before, after;

	if (pipe(bind) || pipe(leave) || pipe(ready))
		return NAN;
	for (n = 0; n < sva_held; n++) {
		pid_t pid = fork();

		if (!pid) {
			close(bind[1]);
			close(leave[1]);
			close(ready[0]);
			held_child(bind[0], leave[0], ready[1]);
		}
		if (pid < 0)
			break;
	}
	close(bind[0]);
	close(leave[0]);
	close(ready[1]);
	ok = acks(ready[0], n);
	before = slab_bytes();
	for (k = 0; k < n; k++)
		if (write(bind[1], "b", 1) != 1)
			break;
	ok += acks(ready[0], n);
	after = slab_bytes();
	close(bind[1]);
	close(leave[1]);
	close(ready[0]);
	while (wait(&status) > 0)
		;
	return ok == 2 * sva_held && before >= 0 && after >= 0 ?
	       (after - before) / sva_held : NAN;
}

struct row {
	const char *name;	/* no comma: it is a field of the CSV */
	row_fn fn;
	size_t len;
	enum backing backing;
	const char *unit;
	int ratio;	/* counted in the ratios the issue sets */
	int bare;	/* ioasid alone, on the IOAS with no device */
	row_fn other;	/* the other column runs @other, not @fn */
	int other_ioasid;	/* and through ioasid, not type1 */
	int served;	/* both columns type1: served by ioasid, and not */
	int sva;	/* on the shared mock device */
	int signed_value;	/* may be below 0; NAN is a failure */
	int once;	/* one repetition, and none in quick mode */
};

static const struct row rows[] = {
	{ "4K map+unmap pair", row_pairs, SZ_4K, BACK_4K, "us/pair", 1 },
	{ "4K pair without a domain", row_pairs, SZ_4K, BACK_4K, "us/pair", 0,
	  1 },
	{ "4K maps batched 10000", row_batched, SZ_4K, BACK_4K, "us/map", 1 },
	{ "map 64M hugetlb", row_map, SZ_64M, BACK_HUGETLB, "us", 1 },
	{ "unmap 64M hugetlb", row_unmap, SZ_64M, BACK_HUGETLB, "us", 1 },
	{ "map 256M hugetlb", row_map, SZ_256M, BACK_HUGETLB, "us", 1 },
	{ "unmap 256M hugetlb", row_unmap, SZ_256M, BACK_HUGETLB, "us", 1 },
	{ "map 1G hugetlb", row_map, SZ_1G, BACK_HUGETLB, "us", 1 },
	{ "map 64M THP", row_map, SZ_64M, BACK_THP, "us", 1 },
	{ "unmap 64M THP", row_unmap, SZ_64M, BACK_THP, "us", 1 },
	{ "map 256M THP", row_map, SZ_256M, BACK_THP, "us", 1 },
	{ "unmap 256M THP", row_unmap, SZ_256M, BACK_THP, "us", 1 },
	{ "map 256M 4K pages", row_map, SZ_256M, BACK_4K, "us", 0 },
	{ "unmap-all 10000 maps", row_unmap_all, SZ_4K, BACK_4K, "us", 1 },
	{ "no-op ioctl", row_noop, 0, BACK_4K, "us/call", 1 },
	/* @len is handover_len: set at run time. */
	{ "handover 1G vs remap", row_handover, 0, BACK_MEMFD, "us", 1, 0,
	  row_remap, 1 },
	{ "handover 1G vs type1 vaddr", row_handover, 0, BACK_MEMFD, "us", 0,
	  0, row_vaddr },
	{ "type1 on ioasid: 4K map+unmap pair", row_pairs, SZ_4K, BACK_4K,
	  "us/pair", 0, .served = 1 },
	{ "type1 on ioasid: map 64M hugetlb", row_map, SZ_64M, BACK_HUGETLB,
	  "us", 0, .served = 1 },
	{ "type1 on ioasid: unmap 64M hugetlb", row_unmap, SZ_64M,
	  BACK_HUGETLB, "us", 0, .served = 1 },
	{ "type1 on ioasid: map 64M THP", row_map, SZ_64M, BACK_THP, "us", 0,
	  .served = 1 },
	{ "type1 on ioasid: unmap 64M THP", row_unmap, SZ_64M, BACK_THP, "us",
	  0, .served = 1 },
	{ "type1 on ioasid: unmap-all 10000 maps", row_unmap_all, SZ_4K,
	  BACK_4K, "us", 0, .served = 1 },
	/* ioasid checks the new addresses; type1 takes them on trust. */
	{ "type1 on ioasid: vaddr update 64M", row_vaddr, SZ_64M, BACK_MEMFD,
	  "us", 0, .served = 1 },
	{ "SVA: bind+unbind", row_sva_bind, 0, BACK_4K, "us/pair", 0, 1,
	  .sva = 1 },
	{ "SVA: fork+bind+exit", row_sva_process, 0, BACK_4K, "us/process", 0,
	  1, .sva = 1 },
	{ "SVA: fork+open+exit (no bind)", row_process, 0, BACK_4K,
	  "us/process", 0, 1, .sva = 1 },
	{ "SVA: slab growth per binding", row_sva_memory, 0, BACK_4K,
	  "bytes", 0, 1, .sva = 1, .signed_value = 1 },
	/* Last: tearing 10^6 mappings down leaves the machine busy a while. */
	{ "map 4K at 10^3 mappings", row_at_1k, SZ_4K, BACK_4K, "us", 0,
	  .once = 1 },
	{ "map 4K at 10^5 mappings", row_at_100k, SZ_4K, BACK_4K, "us", 0,
	  .once = 1 },
	{ "map 4K at 10^6 mappings", row_at_1m, SZ_4K, BACK_4K, "us", 0,
	  .once = 1 },
	{ "bytes per mapping", row_bytes, 0, BACK_4K, "bytes", 0, .once = 1,
	  .signed_value = 1 },
};

/* The interfaces, in the order of the table's columns. */
enum { IF_IOASID, IF_VFIO, IF_BARE, NR_IFACES };

static void print_row(const struct row *r, const double *med, int sides,
		      FILE *csv)
{
	if (sides == 1) {
		printf("%-38s %12.1f %12s %8s  %s (ioasid alone)\n", r->name,
		       med[0], "-", "-", r->unit);
		if (csv)
			fprintf(csv, "%s,%s,%.3f,,\n", r->name, r->unit, med[0]);
		return;
	}
	printf("%-38s %12.1f %12.1f %8.2f  %s%s\n", r->name, med[0], med[1],
	       med[1] / med[0], r->unit,
	       r->other_ioasid ? " (ioasid remap beside)" :
	       r->ratio || r->served ? "" : " (not a ratio row)");
	if (csv)
		fprintf(csv, "%s,%s,%.3f,%.3f,%.3f\n", r->name, r->unit,
			med[0], med[1], med[1] / med[0]);
}

static int run_row(const struct row *r, struct iface *ifs, FILE *csv)
{
	struct iface *side[2] = { &ifs[IF_IOASID], &ifs[IF_VFIO] };
	row_fn fn[2] = { r->fn, r->fn };
	size_t len = r->other ? handover_len : r->len;
	double t[2][MAX_REPS], med[2];
	int k, n, sides = 2, row_reps = reps;
	char *buf = NULL;

	if (r->bare) {
		side[0] = &ifs[IF_BARE];
		sides = 1;
	}
	if (r->other)
		fn[1] = r->other;
	if (r->other_ioasid)
		side[1] = &ifs[IF_IOASID];
	if (r->once && quick) {
		printf("%-38s skipped in quick mode\n", r->name);
		return 0;
	}
	if (r->once)
		row_reps = 1;
	if (r->sva && !sva_node[0]) {
		printf("%-38s skipped: ioasid.ko was loaded without mock=1\n",
		       r->name);
		return 0;
	}
	if (r->served) {
		side[0] = &ifs[IF_VFIO];
		if (access(TYPE1_PARAM, F_OK)) {
			printf("%-38s skipped: ioasid_vfio is not loaded\n",
			       r->name);
			return 0;
		}
	}
	if (len) {
		buf = buffer(len, r->backing);
		if (!buf) {
			printf("%-38s no buffer (%s)\n", r->name, strerror(errno));
			return -1;
		}
	}
	for (n = 0; n < row_reps; n++) {
		for (k = 0; k < sides; k++) {
			/* A new container, ioasid's first: type1's is left. */
			if (r->served && vfio_container(side[k], !k)) {
				printf("%-38s no container of %s\n", r->name,
				       k ? "vfio_iommu_type1" : "ioasid");
				goto fail;
			}
			t[k][n] = fn[k](side[k], buf, len);
			if (isnan(t[k][n]) ||
			    (t[k][n] < 0 && !r->signed_value)) {
				printf("%-38s %s failed\n", r->name, side[k]->name);
				goto fail;
			}
		}
	}
	for (k = 0; k < sides; k++)
		med[k] = median(t[k], row_reps);
	print_row(r, med, sides, csv);
	if (buf)
		munmap(buf, len);
	return 0;

fail:
	if (buf)
		munmap(buf, len);
	return -1;
}

int main(int argc, char **argv)
{
	struct iface ifs[NR_IFACES] = {
		[IF_IOASID] = { "ioasid", ioasid_map, ioasid_unmap,
				ioasid_unmap_all, ioasid_noop, ioasid_map_n,
				ioasid_unmap_n },
		[IF_VFIO] = { "vfio-type1", vfio_map, vfio_unmap,
			      vfio_unmap_all, vfio_noop, vfio_map_n,
			      vfio_unmap_n },
		[IF_BARE] = { "ioasid, no device", ioasid_map, ioasid_unmap,
			      ioasid_unmap_all, ioasid_noop, ioasid_map_n,
			      ioasid_unmap_n },
	};
	const char *csv_path = NULL;
	FILE *csv = NULL;
	int opt, rc = 0;
	size_t n;

	while ((opt = getopt(argc, argv, "qc:")) != -1) {
		if (opt == 'q') {
			quick = 1;
			reps = 3;
			pairs = 200;
			small_maps = 200;
			noops = 1000;
			handover_len = SZ_64M;
			sva_pairs = 200;
			sva_procs = 50;
			sva_held = 200;
		} else if (opt == 'c') {
			csv_path = optarg;
		} else {
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: ioasid-bench [-q] [-c FILE] IOASID_BDF VFIO_BDF\n");
		return 2;
	}
	rc = ioasid_setup(&ifs[IF_IOASID], &ifs[IF_BARE], argv[optind]);
	if (rc) {
		fprintf(stderr, "ioasid setup on %s: %s\n", argv[optind],
			strerror(-rc));
		return 1;
	}
	sva_setup(ifs[IF_IOASID].fd);
	rc = vfio_setup(&ifs[IF_VFIO], argv[optind + 1]);
	if (rc) {
		fprintf(stderr, "VFIO setup on %s: %s\n", argv[optind + 1],
			strerror(-rc));
		return 1;
	}
	if (csv_path) {
		csv = fopen(csv_path, "w");
		if (!csv)
			return 1;
		fprintf(csv, "row,unit,ioasid,vfio_type1,ratio\n");
	}
	printf("%-38s %12s %12s %8s  (median of %d)\n", "row", "ioasid",
	       "vfio-type1", "vfio/io", reps);
	for (n = 0; n < ARRAY_SIZE(rows); n++)
		rc |= run_row(&rows[n], ifs, csv);
	if (csv)
		fclose(csv);
	return rc ? 1 : 0;
}
