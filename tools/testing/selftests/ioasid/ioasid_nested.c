// SPDX-License-Identifier: GPL-2.0
/*
 * Nested translation on the mock IOMMU (ioasid.ko loaded with mock=1): a
 * guest's stage-1 table (IOASID_NESTING_MOCK_S1), built by the test in
 * memory the IOAS maps, walked through stage 2 by mock DMA; every bit of a
 * stage-1 entry, the mock's IOTLB and IOASID_HWPT_INVALIDATE (ranges,
 * PASIDs, an entry that fails part way), attach, PASID attach and replace
 * between IOASes and nested hwpts.  Then the IO page faults of stage 1
 * queued to a fault object: the records, page requests answered through
 * its file, a full queue, the requests answered for the device when it
 * leaves or the file closes, and the file outliving its object and its
 * context.  Then dirty tracking of an IOAS, in the hardware mode of mock
 * devices that track (through stage 1 too) and the software mode of those
 * that do not.
 *
 * Every test checks at teardown that closing the files gave back every
 * object, pin, domain, nested hwpt and fault queue.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ioasid_utils.h"
#include "ioasid_mock_utils.h"

#define MIB (1024ULL * 1024)
/*
 * The memory of the tests, the guest's, is NSLOTS CPU pages, each mapped
 * on its own at GPA(n) (a guest physical address: an IOVA of the IOAS), so
 * that each can be unmapped or made read-only in stage 2 alone.  Slots 0-5
 * hold the tables of a first stage 1, 6-11 those of a second, 12-23 data:
 * the first 4 KiB of each is a stage-1 page.
 */
#define NSLOTS 24
#define TABLES_A 0
#define TABLES_B 6
#define NTABLES 6
#define DATA0 12
#define NDATA 12
#define GPA_BASE (1024 * MIB)
#define GPA(n) (GPA_BASE + (n) * page)
/* No slot is mapped there. */
#define UNMAPPED_GPA (512 * MIB)
/* Stage-1 IOVAs: X(n) has non-zero indexes at every level. */
#define X(n) ((3ULL << 30) + (5ULL << 21) + ((7ULL + (n)) << 12))
/* One through other tables of every level. */
#define FAR ((300ULL << 30) + (17ULL << 21) + (511ULL << 12))
/* Where the dirty tests map more memory. */
#define BIG_GPA (256 * MIB)
#define DEPTH 8
#define PASID 5
#define NOWHERE (-1000)
#define MAX_FDS 4

static size_t page;

/*
 * What every fixture of this file holds: a mock context with an IOAS that
 * maps the slots, a nesting mock device (not attached), two stage-1 table
 * sets (empty roots), and the extra files a test opens, closed at teardown
 * before the counters are checked.
 */
struct nenv {
	struct mock_ctx ctx;
	__u32 dev_id;
	char *mem;
	struct mock_s1 s1, s1b;
	int fds[MAX_FDS];
};

static char *slot(struct nenv *e, int n)
{
	return e->mem + n * page;
}

static char *data(struct nenv *e, int i)
{
	return slot(e, DATA0 + i);
}

static __u64 data_gpa(int i)
{
	return GPA(DATA0 + i);
}

static int map_slot(struct nenv *e, int n, __u32 flags)
{
	__u64 iova = GPA(n);

	return ioas_map(e->ctx.fd, e->ctx.ioas_id, slot(e, n), page, &iova,
			IOASID_IOAS_MAP_FIXED_IOVA | flags);
}

static int unmap_slot(struct nenv *e, int n)
{
	return ioas_unmap(e->ctx.fd, e->ctx.ioas_id, GPA(n), page, NULL);
}

/* Returns why the tests cannot run here, or NULL. */
static const char *nenv_open(struct __test_metadata *_metadata,
			     struct nenv *e)
{
	struct ioasid_test_mock_device config;
	const char *why;
	int i;

	page = getpagesize();
	for (i = 0; i < MAX_FDS; i++)
		e->fds[i] = -1;
	why = mock_open(&e->ctx);
	if (why)
		return why;
	ASSERT_LE(0, e->ctx.fd);
	ASSERT_EQ(0, ioas_alloc(e->ctx.fd, &e->ctx.ioas_id));
	config = mock_nesting_device(page);
	ASSERT_EQ(0, mock_device(e->ctx.fd, &config, &e->dev_id));
	e->mem = mmap(NULL, NSLOTS * page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, e->mem);
	memset(e->mem, 0, NSLOTS * page);
	for (i = 0; i < NSLOTS; i++)
		ASSERT_EQ(0, map_slot(e, i, MAP_RW));
	mock_s1_init(&e->s1, slot(e, TABLES_A), GPA(TABLES_A), page, NTABLES);
	mock_s1_init(&e->s1b, slot(e, TABLES_B), GPA(TABLES_B), page,
		     NTABLES);
	return NULL;
}

/* Close what the test left open; returns whether all came back. */
static bool nenv_close(struct nenv *e)
{
	int i;

	for (i = 0; i < MAX_FDS; i++)
		if (e->fds[i] >= 0)
			close(e->fds[i]);
	return mock_close(&e->ctx);
}

/* Have the teardown close @fd; returns it. */
static int keep_fd(struct nenv *e, int fd)
{
	int i;

	for (i = 0; i < MAX_FDS && fd >= 0; i++) {
		if (e->fds[i] < 0) {
			e->fds[i] = fd;
			break;
		}
	}
	return fd;
}

/* Close a file keep_fd() kept, now. */
static void drop_fd(struct nenv *e, int fd)
{
	int i;

	for (i = 0; i < MAX_FDS; i++)
		if (e->fds[i] == fd)
			e->fds[i] = -1;
	close(fd);
}

/* Make data page @i the stage-1 page of @iova in @s1, with @bits. */
static int s1_map(struct mock_s1 *s1, __u64 iova, int i, __u64 bits)
{
	return mock_s1_set(s1, iova, data_gpa(i), bits);
}

/* A nested hwpt for the fixture's device on @s1, faults to @fault_id. */
static int new_hwpt(struct nenv *e, struct mock_s1 *s1, __u32 fault_id,
		    __u32 *hwpt_id)
{
	struct ioasid_hwpt_mock_s1 s1_data = { .root = mock_s1_root(s1) };

	return hwpt_alloc(e->ctx.fd, e->dev_id, e->ctx.ioas_id,
			  IOASID_NESTING_MOCK_S1, fault_id, &s1_data,
			  sizeof(s1_data), hwpt_id, NULL);
}

/* A fault object of @depth, its file non-blocking and kept. */
static int new_fault(struct nenv *e, __u32 depth, __u32 *fault_id,
		     int *fault_fd)
{
	int rc;

	rc = fault_alloc(e->ctx.fd, depth, fault_id, fault_fd);
	if (rc)
		return rc;
	keep_fd(e, *fault_fd);
	return fcntl(*fault_fd, F_SETFL, O_NONBLOCK) ? -errno : 0;
}

/*
 * A hwpt on the first stage 1 with the fixture's device attached to it,
 * and, when @depth is not 0, a fault object of @depth that it names
 * (*@fault_fd is -1 otherwise).
 */
static void nested_attach(struct __test_metadata *_metadata, struct nenv *e,
			  __u32 depth, __u32 *hwpt_id, __u32 *fault_id,
			  int *fault_fd)
{
	__u64 unmet;

	*fault_id = 0;
	*fault_fd = -1;
	if (depth)
		ASSERT_EQ(0, new_fault(e, depth, fault_id, fault_fd));
	ASSERT_EQ(0, new_hwpt(e, &e->s1, *fault_id, hwpt_id));
	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, *hwpt_id, 0, &unmet));
	ASSERT_EQ(0, unmet);
}

/*
 * @dev_id writes a new tag at @iova (@flags and @pasid as for
 * mock_dma_flags()); returns the index of the data page that got it (at
 * the offset of @iova in its 4 KiB page), NOWHERE, or the DMA's -errno.
 */
static int land(struct nenv *e, __u32 dev_id, __u32 flags, __u32 pasid,
		__u64 iova)
{
	static __u32 tag = 0x7a900000;
	size_t off = iova & (MOCK_S1_TABLE - 1);
	int i, rc, where = NOWHERE;
	__u32 t = ++tag;

	rc = mock_dma_flags(e->ctx.fd, dev_id, flags | IOASID_TEST_DMA_WRITE,
			    pasid, iova, &t, sizeof(t));
	if (rc)
		return rc;
	for (i = 0; i < NDATA; i++)
		if (!memcmp(data(e, i) + off, &t, sizeof(t)))
			where = i;
	return where;
}

/* Where a write of the fixture's device through @iova lands. */
static int landed_in(struct nenv *e, __u64 iova)
{
	return land(e, e->dev_id, 0, 0, iova);
}

static int dma_read(struct nenv *e, __u64 iova, void *buf, size_t len)
{
	return mock_dma(e->ctx.fd, e->dev_id, iova, buf, len, false);
}

/* A read of the fixture's device that waits for page requests. */
static int pri_read(struct nenv *e, __u64 iova)
{
	char buf[8];

	return mock_dma_flags(e->ctx.fd, e->dev_id, IOASID_TEST_DMA_PRI, 0,
			      iova, buf, sizeof(buf));
}

static struct ioasid_hwpt_invalidate_mock inv_range(__u64 iova, __u64 length)
{
	return (struct ioasid_hwpt_invalidate_mock){
		.iova = iova,
		.length = length,
	};
}

static struct ioasid_hwpt_invalidate_mock inv_all(void)
{
	return (struct ioasid_hwpt_invalidate_mock){
		.flags = IOASID_HWPT_INVALIDATE_MOCK_ALL,
	};
}

/* @n entries; *@done and *@error get what the kernel says. */
static int invalidate(struct nenv *e, __u32 hwpt_id,
		      const struct ioasid_hwpt_invalidate_mock *entries,
		      __u32 n, __u32 *done, __u32 *error)
{
	*done = n;
	return hwpt_invalidate(e->ctx.fd, hwpt_id, entries, sizeof(*entries),
			       done, error);
}

/* One entry, which must be done. */
static int invalidate_one(struct nenv *e, __u32 hwpt_id,
			  struct ioasid_hwpt_invalidate_mock entry)
{
	__u32 done, error;
	int rc;

	rc = invalidate(e, hwpt_id, &entry, 1, &done, &error);
	if (rc)
		return rc;
	return done == 1 && error == IOASID_HWPT_INVALIDATE_OK ? 0 : -EIO;
}

/* Read up to @room records; returns how many, or -errno. */
static int read_faults(int fd, struct ioasid_fault *f, int room)
{
	ssize_t n = read(fd, f, room * sizeof(*f));

	if (n < 0)
		return -errno;
	return n % sizeof(*f) ? -EIO : (int)(n / sizeof(*f));
}

/* Write @n responses; returns the bytes taken, or -errno. */
static int respond_n(int fd, const struct ioasid_fault_response *r, int n)
{
	ssize_t len = write(fd, r, n * sizeof(*r));

	return len < 0 ? -errno : (int)len;
}

static int respond(int fd, __u32 cookie, __u32 code)
{
	struct ioasid_fault_response r = { .cookie = cookie, .code = code };

	return respond_n(fd, &r, 1);
}

/* Does poll() say a record waits? */
static bool fault_waits(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void check_fault(struct __test_metadata *_metadata,
			const struct ioasid_fault *f, __u32 flags,
			__u32 dev_id, __u32 hwpt_id, __u64 addr)
{
	ASSERT_EQ(flags, f->flags);
	ASSERT_EQ(dev_id, f->dev_id);
	ASSERT_EQ(hwpt_id, f->hwpt_id);
	ASSERT_EQ(addr, f->addr);
	if (flags & IOASID_FAULT_PAGE_REQUEST)
		ASSERT_NE(0, f->cookie);
}

/* The answers @dev_id got so far. */
static void check_responses(struct __test_metadata *_metadata,
			    struct nenv *e, __u32 dev_id, __u64 success,
			    __u64 invalid)
{
	__u64 ok, bad;

	ASSERT_EQ(0, mock_responses(e->ctx.fd, dev_id, &ok, &bad));
	ASSERT_EQ(success, ok);
	ASSERT_EQ(invalid, bad);
}

#define BIT(n) (1ULL << (n))

/* The bits of a word that stand for @nbits, the last ones of a bitmap. */
static __u64 tail_mask(unsigned int nbits)
{
	return nbits % 64 ? BIT(nbits % 64) - 1 : ~0ULL;
}

/*
 * The dirty bits of @npages (at most 64) CPU pages from @iova in one word,
 * which is filled with ones first, as is the word after it: -EIO if the
 * kernel wrote past the bitmap.  The clean bits must come back 0; those
 * past the range are cleared here, whatever the kernel left there.
 */
static int dirty_word(int fd, __u32 ioas_id, __u32 flags, __u64 iova,
		      unsigned int npages, __u64 *word, __u32 *mode)
{
	__u64 bitmap[2] = { ~0ULL, ~0ULL };
	int rc;

	rc = ioas_dirty_bitmap(fd, ioas_id, flags, iova, npages * page, page,
			       bitmap, mode);
	*word = bitmap[0] & tail_mask(npages);
	return !rc && bitmap[1] != ~0ULL ? -EIO : rc;
}

/* The dirty bits of the fixture's slots. */
static int dirty_slots(struct nenv *e, __u32 flags, __u64 *word, __u32 *mode)
{
	return dirty_word(e->ctx.fd, e->ctx.ioas_id, flags, GPA_BASE, NSLOTS,
			  word, mode);
}

#define ALL_SLOTS (BIT(NSLOTS) - 1)

FIXTURE(nested) {
	struct nenv e;
};

FIXTURE_SETUP(nested)
{
	const char *why = nenv_open(_metadata, &self->e);

	if (why)
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(nested)
{
	ASSERT_TRUE(nenv_close(&self->e));
}

/*
 * A hwpt and a fault object are objects of the context, listed with their
 * kind, and counted until they go: a fault queue until its file is closed
 * too.
 */
TEST_F(nested, hwpt_and_fault_objects_are_listed_and_counted)
{
	struct nenv *e = &self->e;
	struct ioasid_object_entry objs[8];
	struct ioasid_ioas_info info;
	struct ioasid_counters now;
	__u32 num = 8, fault_id, hwpt_id, i, seen = 0;
	__u64 unmet;
	int ffd;

	ASSERT_EQ(0, new_fault(e, DEPTH, &fault_id, &ffd));
	ASSERT_EQ(e->ctx.start.faults + 1, ioasid_counter("faults"));
	ASSERT_EQ(0, new_hwpt(e, &e->s1, fault_id, &hwpt_id));
	ASSERT_NE(0, hwpt_id);
	ASSERT_NE(fault_id, hwpt_id);
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(e->ctx.start.nested + 1, now.nested);
	ASSERT_EQ(e->ctx.start.objects + 4, now.objects);
	/* The nested domain, over a stage-2 domain of the IOAS. */
	ASSERT_LT(e->ctx.start.domains, now.domains);
	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, hwpt_id, 0, &unmet));
	ASSERT_EQ(0, unmet);
	/* A device on a hwpt is a device of its IOAS. */
	ASSERT_EQ(0, ioas_info(e->ctx.fd, e->ctx.ioas_id, &info));
	ASSERT_EQ(1, info.out_num_devices);
	ASSERT_EQ(IOASID_NESTING_MOCK_S1, info.out_nesting_formats);

	ASSERT_EQ(0, list_objects(e->ctx.fd, 0, objs, &num, NULL));
	ASSERT_EQ(4, num);
	for (i = 0; i < num; i++) {
		if (objs[i].id == e->ctx.ioas_id) {
			ASSERT_EQ(IOASID_OBJECT_IOAS, objs[i].kind);
			ASSERT_EQ(0, objs[i].attached_ioas_id);
		} else if (objs[i].id == e->dev_id) {
			/* Through the hwpt, the device is on the IOAS. */
			ASSERT_EQ(IOASID_OBJECT_DEVICE, objs[i].kind);
			ASSERT_EQ(e->ctx.ioas_id, objs[i].attached_ioas_id);
		} else if (objs[i].id == fault_id) {
			ASSERT_EQ(IOASID_OBJECT_FAULT, objs[i].kind);
			ASSERT_EQ(0, objs[i].attached_ioas_id);
		} else {
			ASSERT_EQ(hwpt_id, objs[i].id);
			ASSERT_EQ(IOASID_OBJECT_HWPT, objs[i].kind);
			ASSERT_EQ(e->ctx.ioas_id, objs[i].attached_ioas_id);
		}
		ASSERT_EQ(0, objs[i].__reserved);
		seen |= 1 << i;
	}
	ASSERT_EQ(0xf, seen);

	ASSERT_EQ(0, detach(e->ctx.fd, e->dev_id));
	ASSERT_EQ(0, ioasid_destroy(e->ctx.fd, hwpt_id));
	ASSERT_EQ(0, ioasid_read_counters(&now));
	ASSERT_EQ(e->ctx.start.nested, now.nested);
	ASSERT_EQ(e->ctx.start.domains, now.domains);
	ASSERT_EQ(e->ctx.start.objects + 3, now.objects);
	ASSERT_EQ(-ENOENT, ioasid_destroy(e->ctx.fd, hwpt_id));
	/* The object goes; the queue stays with the file. */
	ASSERT_EQ(0, ioasid_destroy(e->ctx.fd, fault_id));
	ASSERT_EQ(e->ctx.start.objects + 2, ioasid_counter("objects"));
	ASSERT_EQ(e->ctx.start.faults + 1, ioasid_counter("faults"));
	drop_fd(e, ffd);
	ASSERT_EQ(e->ctx.start.faults, ioasid_counter("faults"));
}

TEST_F(nested, hwpt_alloc_rejects_bad_input)
{
	struct nenv *e = &self->e;
	struct ioasid_hwpt_mock_s1 s1_data[2] = {
		{ .root = mock_s1_root(&e->s1) }, { .root = 1 },
	};
	struct ioasid_hwpt_alloc good = {
		.size = sizeof(good),
		.dev_id = e->dev_id,
		.ioas_id = e->ctx.ioas_id,
		.format = IOASID_NESTING_MOCK_S1,
		.data_len = sizeof(s1_data[0]),
		.data = (__u64)(uintptr_t)s1_data,
	};
	static const int expect[] = {
		-EOPNOTSUPP, -EINVAL, -EINVAL, -EINVAL, -E2BIG, -EINVAL,
		-EINVAL, -ENOENT, -EINVAL, -EINVAL, -ENOENT, -EINVAL, -ENOENT,
		-EINVAL, -EFAULT, -EINVAL,
	};
	struct ioasid_hwpt_alloc cmd;
	struct ioasid_counters before;
	__u32 fault_id, hwpt_id;
	int ffd, i;

	ASSERT_EQ(0, new_fault(e, DEPTH, &fault_id, &ffd));
	ASSERT_EQ(0, ioasid_read_counters(&before));
	for (i = 0; i < (int)ARRAY_SIZE(expect); i++) {
		cmd = good;
		s1_data[0].root = mock_s1_root(&e->s1);
		switch (i) {
		case 0:
			cmd.flags = 1 << 3;
			break;
		case 1:
			cmd.format = 0;
			break;
		case 2:
			cmd.format = IOASID_NESTING_MOCK_S1 |
				     IOASID_NESTING_VTD_S1;
			break;
		case 3:
			cmd.data_len = sizeof(s1_data[0]) - 4;
			break;
		case 4:
			/* Longer data with a non-zero tail. */
			cmd.data_len = sizeof(s1_data);
			break;
		case 5:
			s1_data[0].root += 0x800;
			break;
		case 6:
			cmd.fault_id = e->ctx.ioas_id;
			break;
		case 7:
			cmd.fault_id = 999;
			break;
		case 8:
			cmd.__reserved = 1;
			break;
		case 9:
			cmd.__reserved2 = 1;
			break;
		case 10:
			cmd.dev_id = 999;
			break;
		case 11:
			cmd.dev_id = e->ctx.ioas_id;
			break;
		case 12:
			cmd.ioas_id = 999;
			break;
		case 13:
			cmd.ioas_id = e->dev_id;
			break;
		case 14:
			cmd.data = 0;
			break;
		case 15:
			/* A fault object is not a device either. */
			cmd.dev_id = fault_id;
			break;
		}
		ASSERT_EQ(expect[i], ioasid_ioctl(e->ctx.fd, IOASID_HWPT_ALLOC,
						  &cmd))
			TH_LOG("case %d", i);
	}
	s1_data[0].root = mock_s1_root(&e->s1);
	ASSERT_EQ(before.nested, ioasid_counter("nested"));
	ASSERT_EQ(before.objects, ioasid_counter("objects"));
	ASSERT_EQ(before.domains, ioasid_counter("domains"));

	/* A longer struct of data whose tail is zero is the one known. */
	s1_data[1].root = 0;
	cmd = good;
	cmd.data_len = sizeof(s1_data);
	cmd.fault_id = fault_id;
	ASSERT_EQ(0, ioasid_ioctl(e->ctx.fd, IOASID_HWPT_ALLOC, &cmd));
	hwpt_id = cmd.out_hwpt_id;
	ASSERT_EQ(0, cmd.out_unmet);
	ASSERT_EQ(before.nested + 1, ioasid_counter("nested"));
	/* No hwpt nests on a hwpt. */
	cmd = good;
	cmd.ioas_id = hwpt_id;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(e->ctx.fd, IOASID_HWPT_ALLOC, &cmd));
	ASSERT_EQ(before.nested + 1, ioasid_counter("nested"));
}

/*
 * The device's IOMMU must offer the format; a format it offers but the
 * kernel does not drive is refused for that reason; a device whose IOMMU
 * lacks the format cannot attach to a hwpt of it, one that has it can.
 */
TEST_F(nested, hwpt_needs_a_format_the_device_offers)
{
	struct nenv *e = &self->e;
	struct ioasid_test_mock_device config = mock_nesting_device(page);
	struct ioasid_hwpt_mock_s1 s1_data = { .root = mock_s1_root(&e->s1) };
	__u32 vtd, none, twin, hwpt_id;
	__u32 got = 0, tag = 0x7217;
	__u64 unmet;

	config.nesting_formats = IOASID_NESTING_VTD_S1;
	ASSERT_EQ(0, mock_device(e->ctx.fd, &config, &vtd));
	config.nesting_formats = 0;
	ASSERT_EQ(0, mock_device(e->ctx.fd, &config, &none));
	config = mock_nesting_device(page);
	ASSERT_EQ(0, mock_device(e->ctx.fd, &config, &twin));

	ASSERT_EQ(-EOPNOTSUPP,
		  hwpt_alloc(e->ctx.fd, vtd, e->ctx.ioas_id,
			     IOASID_NESTING_MOCK_S1, 0, &s1_data,
			     sizeof(s1_data), NULL, &unmet));
	ASSERT_EQ(IOASID_UNMET_NESTING, unmet);
	/* Offered, but no IOMMU driver of 6.12 lets ioasid nest it. */
	ASSERT_EQ(-EOPNOTSUPP,
		  hwpt_alloc(e->ctx.fd, vtd, e->ctx.ioas_id,
			     IOASID_NESTING_VTD_S1, 0, &s1_data,
			     sizeof(s1_data), NULL, &unmet));
	ASSERT_EQ(0, unmet);
	ASSERT_EQ(-EOPNOTSUPP,
		  hwpt_alloc(e->ctx.fd, none, e->ctx.ioas_id,
			     IOASID_NESTING_MOCK_S1, 0, &s1_data,
			     sizeof(s1_data), NULL, &unmet));
	ASSERT_EQ(IOASID_UNMET_NESTING, unmet);
	ASSERT_EQ(e->ctx.start.nested, ioasid_counter("nested"));

	ASSERT_EQ(0, new_hwpt(e, &e->s1, 0, &hwpt_id));
	ASSERT_EQ(-EOPNOTSUPP, device_attach(e->ctx.fd, vtd, hwpt_id, 0,
					     &unmet));
	ASSERT_EQ(IOASID_UNMET_NESTING, unmet);
	ASSERT_EQ(-EOPNOTSUPP, device_attach(e->ctx.fd, none, hwpt_id, 0,
					     &unmet));
	ASSERT_EQ(IOASID_UNMET_NESTING, unmet);
	ASSERT_EQ(-EINVAL, detach(e->ctx.fd, vtd));

	/* Two devices of the format share the hwpt and its stage 1. */
	ASSERT_EQ(0, s1_map(&e->s1, X(0), 0, MOCK_S1_RW));
	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, hwpt_id, 0, &unmet));
	ASSERT_EQ(0, device_attach(e->ctx.fd, twin, hwpt_id, 0, &unmet));
	ASSERT_EQ(0, unmet);
	ASSERT_EQ(0, mock_dma(e->ctx.fd, twin, X(0) + 0x10, &tag, sizeof(tag),
			      true));
	ASSERT_EQ(0, memcmp(data(e, 0) + 0x10, &tag, sizeof(tag)));
	ASSERT_EQ(0, dma_read(e, X(0) + 0x10, &got, sizeof(got)));
	ASSERT_EQ(tag, got);
}

/*
 * An enabled IOAS takes nested hwpts only in the format it froze: none
 * when it froze a kernel-managed table.  ENABLE refuses to freeze another
 * format than that of the hwpts there.
 */
TEST_F(nested, enabled_ioas_takes_only_its_format)
{
	struct nenv *e = &self->e;
	struct ioasid_test_mock_device config = mock_nesting_device(page);
	struct ioasid_hwpt_mock_s1 s1_data = { .root = GPA(TABLES_B) };
	__u32 other, managed, hwpt_id;
	struct ioasid_features f;
	__u64 unmet;

	ASSERT_EQ(0, mock_device(e->ctx.fd, &config, &other));
	ASSERT_EQ(0, ioas_alloc(e->ctx.fd, &managed));
	ASSERT_EQ(0, device_attach(e->ctx.fd, other, managed, 0, NULL));
	features_init(&f);
	ASSERT_EQ(0, ioas_enable(e->ctx.fd, managed, &f, &unmet));
	ASSERT_EQ(0, unmet);
	ASSERT_EQ(-EOPNOTSUPP,
		  hwpt_alloc(e->ctx.fd, other, managed,
			     IOASID_NESTING_MOCK_S1, 0, &s1_data,
			     sizeof(s1_data), NULL, &unmet));
	ASSERT_EQ(IOASID_UNMET_NESTING, unmet);

	/* A hwpt there already: ENABLE wants its format. */
	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, e->ctx.ioas_id, 0,
				   NULL));
	ASSERT_EQ(0, new_hwpt(e, &e->s1, 0, &hwpt_id));
	ASSERT_EQ(-EOPNOTSUPP, ioas_enable(e->ctx.fd, e->ctx.ioas_id, &f,
					   &unmet));
	ASSERT_EQ(IOASID_UNMET_NESTING, unmet);
	ASSERT_EQ(-ENODATA, ioas_features(e->ctx.fd, e->ctx.ioas_id, &f));
	features_init(&f);
	f.nesting_format = htole32(IOASID_NESTING_MOCK_S1);
	ASSERT_EQ(0, ioas_enable(e->ctx.fd, e->ctx.ioas_id, &f, &unmet));
	ASSERT_EQ(0, unmet);
	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, hwpt_id,
				   IOASID_DEVICE_ATTACH_REPLACE, &unmet));
	ASSERT_EQ(0, unmet);
	ASSERT_EQ(0, s1_map(&e->s1, X(0), 3, MOCK_S1_RW));
	ASSERT_EQ(3, landed_in(e, X(0) + 0x20));
	/* And another hwpt of it. */
	ASSERT_EQ(0, new_hwpt(e, &e->s1b, 0, &hwpt_id));
	ASSERT_EQ(e->ctx.start.nested + 2, ioasid_counter("nested"));
}

/*
 * An enabled IOAS refuses a nested hwpt for a device it would refuse at
 * attach, before any stage-2 domain of that device takes IOVAs from it.
 */
TEST_F(nested, enabled_ioas_refuses_a_device_it_would_not_take)
{
	struct nenv *e = &self->e;
	struct ioasid_test_mock_device narrow = mock_nesting_device(page);
	struct ioasid_hwpt_mock_s1 s1_data = { .root = mock_s1_root(&e->s1) };
	struct ioasid_features f;
	__u32 dev2, hwpt_id;
	__u64 unmet, iova;

	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, e->ctx.ioas_id, 0,
				   NULL));
	features_init(&f);
	f.nesting_format = htole32(IOASID_NESTING_MOCK_S1);
	features_add_range(&f, 0, (1ULL << 40) - 1);
	ASSERT_EQ(0, ioas_enable(e->ctx.fd, e->ctx.ioas_id, &f, &unmet));
	narrow.aperture_last = (1ULL << 36) - 1;
	ASSERT_EQ(0, mock_device(e->ctx.fd, &narrow, &dev2));
	ASSERT_EQ(-EOPNOTSUPP,
		  hwpt_alloc(e->ctx.fd, dev2, e->ctx.ioas_id,
			     IOASID_NESTING_MOCK_S1, 0, &s1_data,
			     sizeof(s1_data), &hwpt_id, &unmet));
	ASSERT_EQ(IOASID_UNMET_IOVA_RANGES, unmet);
	/* The promised range is still whole. */
	iova = 1ULL << 38;
	ASSERT_EQ(0, ioas_map(e->ctx.fd, e->ctx.ioas_id, slot(e, 0), page,
			      &iova, MAP_FIXED_RW));
	ASSERT_EQ(0, ioas_unmap(e->ctx.fd, e->ctx.ioas_id, iova, page, NULL));
	/* The device the IOAS takes gets its hwpt. */
	ASSERT_EQ(0, new_hwpt(e, &e->s1, 0, &hwpt_id));
}

/* What another object holds cannot be destroyed. */
TEST_F(nested, destroy_refuses_what_is_in_use)
{
	struct nenv *e = &self->e;
	__u32 hwpt_id, fault_id;
	int ffd;

	nested_attach(_metadata, e, DEPTH, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(-EBUSY, ioasid_destroy(e->ctx.fd, e->ctx.ioas_id));
	ASSERT_EQ(-EBUSY, ioasid_destroy(e->ctx.fd, hwpt_id));
	ASSERT_EQ(-EBUSY, ioasid_destroy(e->ctx.fd, fault_id));
	ASSERT_EQ(e->ctx.start.nested + 1, ioasid_counter("nested"));
	ASSERT_EQ(0, detach(e->ctx.fd, e->dev_id));
	ASSERT_EQ(-EBUSY, ioasid_destroy(e->ctx.fd, e->ctx.ioas_id));
	ASSERT_EQ(-EBUSY, ioasid_destroy(e->ctx.fd, fault_id));
	ASSERT_EQ(0, ioasid_destroy(e->ctx.fd, hwpt_id));
	ASSERT_EQ(e->ctx.start.nested, ioasid_counter("nested"));
	ASSERT_EQ(0, ioasid_destroy(e->ctx.fd, fault_id));
	ASSERT_EQ(0, ioasid_destroy(e->ctx.fd, e->ctx.ioas_id));
	/* The fault queue lives on with its file. */
	ASSERT_EQ(e->ctx.start.faults + 1, ioasid_counter("faults"));
}

/*
 * DMA goes through all three levels, 4 KiB page by 4 KiB page (a DMA
 * across two pages of stage 1 lands in two data pages that are not
 * neighbours), and only through what stage 1 maps.
 */
TEST_F(nested, dma_walks_the_three_levels)
{
	struct nenv *e = &self->e;
	char out[64], in[64];
	__u32 hwpt_id, fault_id;
	int ffd, i;

	for (i = 0; i < (int)sizeof(out); i++)
		out[i] = i * 3 + 1;
	ASSERT_EQ(0, s1_map(&e->s1, X(0), 3, MOCK_S1_RW));
	ASSERT_EQ(0, s1_map(&e->s1, X(1), 1, MOCK_S1_RW));
	ASSERT_EQ(0, s1_map(&e->s1, FAR, 2, MOCK_S1_RW));
	nested_attach(_metadata, e, 0, &hwpt_id, &fault_id, &ffd);

	ASSERT_EQ(0, mock_dma(e->ctx.fd, e->dev_id, X(1) - 32, out,
			      sizeof(out), true));
	ASSERT_EQ(0, memcmp(data(e, 3) + MOCK_S1_TABLE - 32, out, 32));
	ASSERT_EQ(0, memcmp(data(e, 1), out + 32, 32));
	ASSERT_EQ(0, dma_read(e, X(1) - 32, in, sizeof(in)));
	ASSERT_EQ(0, memcmp(out, in, sizeof(in)));
	ASSERT_EQ(2, landed_in(e, FAR + 0x800));
	ASSERT_EQ(2, landed_in(e, FAR + MOCK_S1_TABLE - 4));

	/* Neither a stage-2 address nor an IOVA stage 1 leaves out. */
	ASSERT_EQ(-ENXIO, landed_in(e, data_gpa(0) + 0x40));
	ASSERT_EQ(-ENXIO, landed_in(e, X(2)));
	ASSERT_EQ(-ENXIO, landed_in(e, FAR - MOCK_S1_TABLE));
	for (i = 0; i < (int)page; i++)
		ASSERT_EQ(0, data(e, 0)[i]);
}

/*
 * A fault of stage 2, in the walk of a table or at the page, fails the DMA
 * as without nesting and is no fault of the guest's: nothing is queued,
 * nothing asked of the device's page requests.  A walk that failed is not
 * cached.
 */
TEST_F(nested, stage2_faults_are_not_queued)
{
	struct nenv *e = &self->e;
	__u32 hwpt_id, hwpt2, fault_id;
	struct ioasid_fault f[2];
	char buf[16];
	int ffd;

	memset(data(e, 1), 0x4d, page);
	memset(data(e, 2), 0x2e, page);
	ASSERT_EQ(0, mock_s1_set(&e->s1, X(0), UNMAPPED_GPA, MOCK_S1_RW));
	ASSERT_EQ(0, s1_map(&e->s1, X(1), 1, MOCK_S1_RW));
	nested_attach(_metadata, e, DEPTH, &hwpt_id, &fault_id, &ffd);

	/* The page is not mapped in the IOAS, with or without PRI. */
	ASSERT_EQ(-ENXIO, dma_read(e, X(0), buf, sizeof(buf)));
	ASSERT_EQ(-ENXIO, pri_read(e, X(0)));
	/* The page is mapped read-only in the IOAS. */
	ASSERT_EQ(0, unmap_slot(e, DATA0 + 1));
	ASSERT_EQ(0, map_slot(e, DATA0 + 1, IOASID_IOAS_MAP_READABLE));
	ASSERT_EQ(-EACCES, landed_in(e, X(1)));
	ASSERT_EQ(0x4d, data(e, 1)[0]);
	ASSERT_EQ(0, dma_read(e, X(1), buf, sizeof(buf)));
	ASSERT_EQ(0x4d, buf[0]);

	/* The root table is not mapped in the IOAS. */
	ASSERT_EQ(0, s1_map(&e->s1b, X(2), 2, MOCK_S1_RW));
	ASSERT_EQ(0, unmap_slot(e, TABLES_B));
	ASSERT_EQ(0, new_hwpt(e, &e->s1b, fault_id, &hwpt2));
	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, hwpt2,
				   IOASID_DEVICE_ATTACH_REPLACE, NULL));
	ASSERT_EQ(-ENXIO, dma_read(e, X(2), buf, sizeof(buf)));
	ASSERT_EQ(-ENXIO, pri_read(e, X(2)));
	ASSERT_EQ(0, map_slot(e, TABLES_B, MAP_RW));
	ASSERT_EQ(0, dma_read(e, X(2), buf, sizeof(buf)));
	ASSERT_EQ(0x2e, buf[0]);

	ASSERT_FALSE(fault_waits(ffd));
	ASSERT_EQ(-EAGAIN, read_faults(ffd, f, 2));
	check_responses(_metadata, e, e->dev_id, 0, 0);
}

/* Stage 2 is never cached: a change of the IOAS applies at once. */
TEST_F(nested, stage2_changes_apply_at_once)
{
	struct nenv *e = &self->e;
	__u32 hwpt_id, fault_id, tag;
	__u64 iova = data_gpa(0);
	char *other;
	int ffd;

	other = mmap(NULL, page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, other);
	memset(other, 0, page);
	ASSERT_EQ(0, s1_map(&e->s1, X(0), 0, MOCK_S1_RW));
	nested_attach(_metadata, e, 0, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(0, landed_in(e, X(0) + 0x100));

	ASSERT_EQ(0, unmap_slot(e, DATA0));
	ASSERT_EQ(-ENXIO, landed_in(e, X(0) + 0x100));
	ASSERT_EQ(0, ioas_map(e->ctx.fd, e->ctx.ioas_id, other, page, &iova,
			      MAP_FIXED_RW));
	tag = 0x0de1e7e5;
	ASSERT_EQ(0, mock_dma(e->ctx.fd, e->dev_id, X(0) + 0x100, &tag,
			      sizeof(tag), true));
	ASSERT_EQ(0, memcmp(other + 0x100, &tag, sizeof(tag)));
	ASSERT_EQ(0, unmap_slot(e, DATA0));
	ASSERT_EQ(0, map_slot(e, DATA0, MAP_RW));
	ASSERT_EQ(0, landed_in(e, X(0) + 0x100));
	munmap(other, page);
}

/*
 * The mock's IOTLB keeps what a DMA walked: a leaf pointed elsewhere, or
 * with fewer permissions, or cleared, is not seen until an invalidation
 * covers it; a leaf made present where none was is seen at once, since a
 * walk that failed is not cached.
 */
TEST_F(nested, iotlb_keeps_a_changed_leaf_until_invalidated)
{
	struct nenv *e = &self->e;
	__u32 hwpt_id, fault_id;
	char buf[8];
	int ffd;

	ASSERT_EQ(0, s1_map(&e->s1, X(0), 0, MOCK_S1_RW));
	nested_attach(_metadata, e, 0, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(0, dma_read(e, X(0), buf, sizeof(buf)));

	/* Elsewhere. */
	ASSERT_EQ(0, s1_map(&e->s1, X(0), 1, MOCK_S1_RW));
	ASSERT_EQ(0, landed_in(e, X(0) + 0x10));
	ASSERT_EQ(0, landed_in(e, X(0) + 0x20));
	ASSERT_EQ(0, invalidate_one(e, hwpt_id, inv_range(X(0), 4096)));
	ASSERT_EQ(1, landed_in(e, X(0) + 0x10));

	/* Fewer permissions. */
	ASSERT_EQ(0, s1_map(&e->s1, X(0), 1,
			    MOCK_S1_PRESENT | MOCK_S1_READ));
	ASSERT_EQ(1, landed_in(e, X(0) + 0x30));
	ASSERT_EQ(0, invalidate_one(e, hwpt_id, inv_all()));
	ASSERT_EQ(-EACCES, landed_in(e, X(0) + 0x30));
	ASSERT_EQ(0, dma_read(e, X(0), buf, sizeof(buf)));

	/* Present where nothing was: at once. */
	ASSERT_EQ(-ENXIO, landed_in(e, X(1)));
	ASSERT_EQ(0, s1_map(&e->s1, X(1), 2, MOCK_S1_RW));
	ASSERT_EQ(2, landed_in(e, X(1)));

	/* Cleared. */
	ASSERT_EQ(0, mock_s1_set(&e->s1, X(1), 0, 0));
	ASSERT_EQ(2, landed_in(e, X(1) + 0x40));
	ASSERT_EQ(0, invalidate_one(e, hwpt_id, inv_range(X(1), 4096)));
	ASSERT_EQ(-ENXIO, landed_in(e, X(1) + 0x40));
}

/*
 * An IOVA at or above 1 << 39 is a stage-1 fault whatever the IOTLB holds:
 * not the page of the same index that DMA of another PASID cached.
 */
TEST_F(nested, iova_beyond_39_bits_is_no_cached_page)
{
	struct nenv *e = &self->e;
	__u64 wide = X(0) | 1ULL << MOCK_S1_IOVA_BITS;
	__u32 hwpt_id, fault_id;
	struct ioasid_fault f[2];
	char buf[8];
	int ffd;

	ASSERT_EQ(0, s1_map(&e->s1, X(0), 0, MOCK_S1_RW));
	nested_attach(_metadata, e, DEPTH, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(0, attach_pasid(e->ctx.fd, e->dev_id, 1, hwpt_id, 0, NULL));
	ASSERT_EQ(0, land(e, e->dev_id, IOASID_TEST_DMA_PASID, 1, X(0)));
	ASSERT_EQ(0, landed_in(e, X(0)));
	ASSERT_EQ(-ENXIO, landed_in(e, wide));
	ASSERT_EQ(-ENXIO, dma_read(e, wide, buf, sizeof(buf)));
	ASSERT_EQ(2, read_faults(ffd, f, 2));
	check_fault(_metadata, &f[0], IOASID_FAULT_WRITE, e->dev_id, hwpt_id,
		    wide);
	check_fault(_metadata, &f[1], IOASID_FAULT_READ, e->dev_id, hwpt_id,
		    wide);
}

/*
 * An invalidation drops exactly the pages of its range, entries are done
 * in order, many in one call, and ALL drops the rest.
 */
TEST_F(nested, invalidation_covers_only_its_range)
{
	struct nenv *e = &self->e;
	struct ioasid_hwpt_invalidate_mock two[2];
	__u32 hwpt_id, fault_id, done, error;
	char buf[8];
	int ffd, i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, s1_map(&e->s1, X(i), i, MOCK_S1_RW));
	nested_attach(_metadata, e, 0, &hwpt_id, &fault_id, &ffd);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, dma_read(e, X(i), buf, sizeof(buf)));
		ASSERT_EQ(0, s1_map(&e->s1, X(i), 4 + i, MOCK_S1_RW));
	}

	ASSERT_EQ(0, invalidate_one(e, hwpt_id, inv_range(X(1), 2 * 4096)));
	ASSERT_EQ(0, landed_in(e, X(0)));
	ASSERT_EQ(5, landed_in(e, X(1)));
	ASSERT_EQ(6, landed_in(e, X(2)));
	ASSERT_EQ(3, landed_in(e, X(3)));
	ASSERT_EQ(0, invalidate_one(e, hwpt_id, inv_all()));
	ASSERT_EQ(4, landed_in(e, X(0)));
	ASSERT_EQ(5, landed_in(e, X(1)));
	ASSERT_EQ(6, landed_in(e, X(2)));
	ASSERT_EQ(7, landed_in(e, X(3)));

	/* Two entries in one call; the other pages stay cached. */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, s1_map(&e->s1, X(i), 8 + i, MOCK_S1_RW));
	two[0] = inv_range(X(0), 4096);
	two[1] = inv_range(X(3), 4096);
	ASSERT_EQ(0, invalidate(e, hwpt_id, two, 2, &done, &error));
	ASSERT_EQ(2, done);
	ASSERT_EQ(IOASID_HWPT_INVALIDATE_OK, error);
	ASSERT_EQ(8, landed_in(e, X(0)));
	ASSERT_EQ(5, landed_in(e, X(1)));
	ASSERT_EQ(6, landed_in(e, X(2)));
	ASSERT_EQ(11, landed_in(e, X(3)));
}

/*
 * With IOASID_HWPT_INVALIDATE_MOCK_PASID, only what DMA tagged with that
 * PASID cached is dropped (PASID 0: the untagged DMA); without it, all.
 */
TEST_F(nested, invalidation_by_pasid)
{
	struct nenv *e = &self->e;
	struct ioasid_hwpt_invalidate_mock entry;
	__u32 hwpt_id, fault_id;
	char buf[8];
	int ffd;

	ASSERT_EQ(0, s1_map(&e->s1, X(0), 0, MOCK_S1_RW));
	nested_attach(_metadata, e, 0, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(0, attach_pasid(e->ctx.fd, e->dev_id, PASID, hwpt_id, 0,
				  NULL));
	ASSERT_EQ(0, dma_read(e, X(0), buf, sizeof(buf)));
	ASSERT_EQ(0, mock_dma_pasid(e->ctx.fd, e->dev_id, PASID, X(0), buf,
				    sizeof(buf), false));
	ASSERT_EQ(0, s1_map(&e->s1, X(0), 1, MOCK_S1_RW));

	entry = inv_range(X(0), 4096);
	entry.flags = IOASID_HWPT_INVALIDATE_MOCK_PASID;
	entry.pasid = PASID;
	ASSERT_EQ(0, invalidate_one(e, hwpt_id, entry));
	ASSERT_EQ(1, land(e, e->dev_id, IOASID_TEST_DMA_PASID, PASID, X(0)));
	ASSERT_EQ(0, landed_in(e, X(0)));

	/* Another PASID's: nothing of ours. */
	entry = inv_all();
	entry.flags |= IOASID_HWPT_INVALIDATE_MOCK_PASID;
	entry.pasid = PASID + 1;
	ASSERT_EQ(0, invalidate_one(e, hwpt_id, entry));
	ASSERT_EQ(0, landed_in(e, X(0)));
	entry.pasid = 0;
	ASSERT_EQ(0, invalidate_one(e, hwpt_id, entry));
	ASSERT_EQ(1, landed_in(e, X(0)));

	/* Without the flag, every tag. */
	ASSERT_EQ(0, s1_map(&e->s1, X(0), 2, MOCK_S1_RW));
	ASSERT_EQ(1, landed_in(e, X(0)));
	ASSERT_EQ(1, land(e, e->dev_id, IOASID_TEST_DMA_PASID, PASID, X(0)));
	ASSERT_EQ(0, invalidate_one(e, hwpt_id, inv_range(X(0), 4096)));
	ASSERT_EQ(2, landed_in(e, X(0)));
	ASSERT_EQ(2, land(e, e->dev_id, IOASID_TEST_DMA_PASID, PASID, X(0)));
}

TEST_F(nested, invalidate_rejects_bad_commands)
{
	struct nenv *e = &self->e;
	struct {
		struct ioasid_hwpt_invalidate_mock entry;
		__u64 tail;
	} longer[2] = {};
	struct ioasid_hwpt_invalidate_mock entry = inv_all();
	struct ioasid_hwpt_invalidate cmd;
	__u32 hwpt_id, fault_id, num, error;
	char buf[8];
	int ffd;

	ASSERT_EQ(0, s1_map(&e->s1, X(0), 0, MOCK_S1_RW));
	nested_attach(_metadata, e, DEPTH, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(0, dma_read(e, X(0), buf, sizeof(buf)));
	ASSERT_EQ(0, s1_map(&e->s1, X(0), 1, MOCK_S1_RW));

	num = 1;
	ASSERT_EQ(-EINVAL, hwpt_invalidate(e->ctx.fd, hwpt_id, &entry,
					   sizeof(entry) - 8, &num, NULL));
	num = 1;
	ASSERT_EQ(-EINVAL, hwpt_invalidate(e->ctx.fd, e->ctx.ioas_id, &entry,
					   sizeof(entry), &num, NULL));
	num = 1;
	ASSERT_EQ(-EINVAL, hwpt_invalidate(e->ctx.fd, e->dev_id, &entry,
					   sizeof(entry), &num, NULL));
	num = 1;
	ASSERT_EQ(-EINVAL, hwpt_invalidate(e->ctx.fd, fault_id, &entry,
					   sizeof(entry), &num, NULL));
	num = 1;
	ASSERT_EQ(-ENOENT, hwpt_invalidate(e->ctx.fd, 999, &entry,
					   sizeof(entry), &num, NULL));
	cmd = (struct ioasid_hwpt_invalidate){
		.size = sizeof(cmd), .flags = 1 << 4, .hwpt_id = hwpt_id,
		.entry_len = sizeof(entry), .entry_num = 1,
		.entries = (__u64)(uintptr_t)&entry,
	};
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(e->ctx.fd, IOASID_HWPT_INVALIDATE,
					    &cmd));
	cmd.flags = 0;
	cmd.__reserved = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(e->ctx.fd, IOASID_HWPT_INVALIDATE,
					&cmd));
	cmd.__reserved = 0;
	cmd.__reserved2 = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(e->ctx.fd, IOASID_HWPT_INVALIDATE,
					&cmd));
	/* Entries longer than the kernel knows, with a tail that is not 0. */
	longer[0].entry = inv_all();
	longer[0].tail = 1;
	num = 1;
	ASSERT_EQ(-E2BIG, hwpt_invalidate(e->ctx.fd, hwpt_id, longer,
					  sizeof(longer[0]), &num, NULL));
	/* None of it was done. */
	ASSERT_EQ(0, landed_in(e, X(0)));

	/* No entry: success, and nothing done. */
	num = 0;
	ASSERT_EQ(0, hwpt_invalidate(e->ctx.fd, hwpt_id, NULL, sizeof(entry),
				     &num, &error));
	ASSERT_EQ(0, num);
	ASSERT_EQ(IOASID_HWPT_INVALIDATE_OK, error);
	ASSERT_EQ(0, landed_in(e, X(0)));

	/* Longer entries whose tails are 0 are the entries known. */
	longer[0].tail = 0;
	longer[1].entry = inv_range(X(0), 4096);
	num = 2;
	ASSERT_EQ(0, hwpt_invalidate(e->ctx.fd, hwpt_id, longer,
				     sizeof(longer[0]), &num, &error));
	ASSERT_EQ(2, num);
	ASSERT_EQ(IOASID_HWPT_INVALIDATE_OK, error);
	ASSERT_EQ(1, landed_in(e, X(0)));
}

/*
 * REPLACE moves the device from an IOAS to a hwpt, to another hwpt of
 * other tables, and back, in one step each: DMA lands where the domain of
 * the moment says.
 */
TEST_F(nested, replace_moves_dma_between_ioas_and_hwpts)
{
	struct nenv *e = &self->e;
	__u32 first, second;
	__u64 unmet;

	ASSERT_EQ(0, s1_map(&e->s1, X(0), 1, MOCK_S1_RW));
	ASSERT_EQ(0, s1_map(&e->s1b, X(0), 2, MOCK_S1_RW));
	ASSERT_EQ(0, new_hwpt(e, &e->s1, 0, &first));
	ASSERT_EQ(0, new_hwpt(e, &e->s1b, 0, &second));

	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, e->ctx.ioas_id, 0,
				   NULL));
	ASSERT_EQ(3, landed_in(e, data_gpa(3) + 0x80));
	ASSERT_EQ(-ENXIO, landed_in(e, X(0)));

	ASSERT_EQ(-EBUSY, device_attach(e->ctx.fd, e->dev_id, first, 0, NULL));
	ASSERT_EQ(3, landed_in(e, data_gpa(3) + 0x80));
	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, first,
				   IOASID_DEVICE_ATTACH_REPLACE, &unmet));
	ASSERT_EQ(0, unmet);
	ASSERT_EQ(1, landed_in(e, X(0) + 0x80));
	ASSERT_EQ(-ENXIO, landed_in(e, data_gpa(3) + 0x80));

	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, second,
				   IOASID_DEVICE_ATTACH_REPLACE, NULL));
	ASSERT_EQ(2, landed_in(e, X(0) + 0x80));
	/* The hwpt left is free to go; the one in use is not. */
	ASSERT_EQ(-EBUSY, ioasid_destroy(e->ctx.fd, second));
	ASSERT_EQ(0, ioasid_destroy(e->ctx.fd, first));

	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, e->ctx.ioas_id,
				   IOASID_DEVICE_ATTACH_REPLACE, NULL));
	ASSERT_EQ(3, landed_in(e, data_gpa(3) + 0x80));
	ASSERT_EQ(-ENXIO, landed_in(e, X(0) + 0x80));
	ASSERT_EQ(0, ioasid_destroy(e->ctx.fd, second));
	ASSERT_EQ(e->ctx.start.nested, ioasid_counter("nested"));

	/* Detached, then attached to a hwpt straight away. */
	ASSERT_EQ(0, new_hwpt(e, &e->s1, 0, &first));
	ASSERT_EQ(0, detach(e->ctx.fd, e->dev_id));
	ASSERT_EQ(-ENXIO, landed_in(e, data_gpa(3) + 0x80));
	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, first, 0, NULL));
	ASSERT_EQ(1, landed_in(e, X(0) + 0x80));
}

/*
 * A PASID attached to a hwpt: the DMA tagged with it walks stage 1 while
 * the device's untagged DMA goes through the IOAS alone.
 */
TEST_F(nested, pasid_attach_to_a_hwpt)
{
	struct nenv *e = &self->e;
	__u32 hwpt_id;
	__u64 unmet;

	ASSERT_EQ(0, s1_map(&e->s1, X(0), 1, MOCK_S1_RW));
	ASSERT_EQ(0, new_hwpt(e, &e->s1, 0, &hwpt_id));
	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, e->ctx.ioas_id, 0,
				   NULL));
	ASSERT_EQ(0, attach_pasid(e->ctx.fd, e->dev_id, PASID, hwpt_id, 0,
				  &unmet));
	ASSERT_EQ(0, unmet);
	ASSERT_EQ(1, land(e, e->dev_id, IOASID_TEST_DMA_PASID, PASID, X(0)));
	ASSERT_EQ(-ENXIO, land(e, e->dev_id, IOASID_TEST_DMA_PASID, PASID,
			       data_gpa(2)));
	ASSERT_EQ(2, landed_in(e, data_gpa(2)));
	ASSERT_EQ(-ENXIO, landed_in(e, X(0)));
	ASSERT_EQ(-ENXIO, land(e, e->dev_id, IOASID_TEST_DMA_PASID, PASID + 1,
			       X(0)));
	ASSERT_EQ(-EBUSY, ioasid_destroy(e->ctx.fd, hwpt_id));

	/* The PASID moves to the IOAS and back. */
	ASSERT_EQ(0, attach_pasid(e->ctx.fd, e->dev_id, PASID, e->ctx.ioas_id,
				  IOASID_DEVICE_ATTACH_REPLACE, NULL));
	ASSERT_EQ(2, land(e, e->dev_id, IOASID_TEST_DMA_PASID, PASID,
			  data_gpa(2)));
	ASSERT_EQ(0, attach_pasid(e->ctx.fd, e->dev_id, PASID, hwpt_id,
				  IOASID_DEVICE_ATTACH_REPLACE, NULL));
	ASSERT_EQ(1, land(e, e->dev_id, IOASID_TEST_DMA_PASID, PASID, X(0)));
	ASSERT_EQ(0, detach_pasid(e->ctx.fd, e->dev_id, PASID));
	ASSERT_EQ(-ENXIO, land(e, e->dev_id, IOASID_TEST_DMA_PASID, PASID,
			       X(0)));
	ASSERT_EQ(0, ioasid_destroy(e->ctx.fd, hwpt_id));
}

TEST_F(nested, fault_alloc_rejects_bad_input)
{
	struct nenv *e = &self->e;
	struct ioasid_fault_alloc cmd = { .size = sizeof(cmd), .depth = 4 };
	__u32 one, most;
	int fd1, fd2;

	ASSERT_EQ(-EINVAL, fault_alloc(e->ctx.fd, 0, NULL, NULL));
	ASSERT_EQ(-EINVAL, fault_alloc(e->ctx.fd, 65537, NULL, NULL));
	cmd.flags = 1;
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(e->ctx.fd, IOASID_FAULT_ALLOC,
					    &cmd));
	cmd.flags = 0;
	cmd.__reserved = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(e->ctx.fd, IOASID_FAULT_ALLOC, &cmd));
	ASSERT_EQ(e->ctx.start.faults, ioasid_counter("faults"));
	ASSERT_EQ(e->ctx.start.objects + 2, ioasid_counter("objects"));

	ASSERT_EQ(0, new_fault(e, 1, &one, &fd1));
	ASSERT_EQ(0, new_fault(e, 65536, &most, &fd2));
	ASSERT_NE(one, most);
	ASSERT_NE(fd1, fd2);
	ASSERT_TRUE(fcntl(fd1, F_GETFD) & FD_CLOEXEC);
	ASSERT_TRUE(fcntl(fd2, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(e->ctx.start.faults + 2, ioasid_counter("faults"));
	ASSERT_EQ(e->ctx.start.objects + 4, ioasid_counter("objects"));
	/* A fault object is no IOAS. */
	ASSERT_EQ(-EINVAL, device_attach(e->ctx.fd, e->dev_id, one, 0, NULL));
	/* Nothing to read yet. */
	ASSERT_FALSE(fault_waits(fd1));
}

/*
 * A record says what faulted: the access, the device, the hwpt (two
 * hwpts may share a fault object), the PASID, and the stage-1 IOVA of the
 * DMA's first byte.  poll() tells when one waits.
 */
TEST_F(nested, fault_records_say_what_faulted)
{
	struct nenv *e = &self->e;
	struct ioasid_test_mock_device config = mock_nesting_device(page);
	__u32 hwpt_id, hwpt2, fault_id, twin;
	struct ioasid_fault f[6];
	char buf[16];
	int ffd;

	ASSERT_EQ(0, s1_map(&e->s1, X(0), 0, MOCK_S1_PRESENT | MOCK_S1_READ));
	nested_attach(_metadata, e, DEPTH, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(0, attach_pasid(e->ctx.fd, e->dev_id, PASID, hwpt_id, 0,
				  NULL));
	ASSERT_EQ(0, mock_device(e->ctx.fd, &config, &twin));
	ASSERT_EQ(0, new_hwpt(e, &e->s1b, fault_id, &hwpt2));
	ASSERT_EQ(0, device_attach(e->ctx.fd, twin, hwpt2, 0, NULL));
	ASSERT_FALSE(fault_waits(ffd));

	ASSERT_EQ(-EACCES, landed_in(e, X(0) + 0x10));
	ASSERT_TRUE(fault_waits(ffd));
	ASSERT_EQ(-ENXIO, dma_read(e, X(1) + 0x20, buf, sizeof(buf)));
	ASSERT_EQ(-ENXIO, mock_dma_pasid(e->ctx.fd, e->dev_id, PASID,
					 X(1) + 0x30, buf, sizeof(buf), false));
	ASSERT_EQ(-EACCES, land(e, e->dev_id, IOASID_TEST_DMA_PASID, PASID,
				X(0) + 0x40));
	ASSERT_EQ(-ENXIO, land(e, twin, 0, 0, X(0) + 0x50));
	ASSERT_EQ(0, dma_read(e, X(0), buf, sizeof(buf)));

	ASSERT_EQ(5, read_faults(ffd, f, 6));
	check_fault(_metadata, &f[0], IOASID_FAULT_WRITE, e->dev_id, hwpt_id,
		    X(0) + 0x10);
	check_fault(_metadata, &f[1], IOASID_FAULT_READ, e->dev_id, hwpt_id,
		    X(1) + 0x20);
	check_fault(_metadata, &f[2], IOASID_FAULT_READ | IOASID_FAULT_PASID,
		    e->dev_id, hwpt_id, X(1) + 0x30);
	ASSERT_EQ(PASID, f[2].pasid);
	check_fault(_metadata, &f[3], IOASID_FAULT_WRITE | IOASID_FAULT_PASID,
		    e->dev_id, hwpt_id, X(0) + 0x40);
	ASSERT_EQ(PASID, f[3].pasid);
	check_fault(_metadata, &f[4], IOASID_FAULT_WRITE, twin, hwpt2,
		    X(0) + 0x50);
	ASSERT_FALSE(fault_waits(ffd));
	ASSERT_EQ(-EAGAIN, read_faults(ffd, f, 6));
	/* No page request among them: nothing was answered. */
	check_responses(_metadata, e, e->dev_id, 0, 0);
}

/* read() gives whole records, oldest first, as many as fit. */
TEST_F(nested, fault_read_takes_whole_records)
{
	struct nenv *e = &self->e;
	struct ioasid_fault f[3];
	__u32 hwpt_id, fault_id;
	char buf[8];
	int ffd, i;

	nested_attach(_metadata, e, DEPTH, &hwpt_id, &fault_id, &ffd);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(-ENXIO, dma_read(e, X(i), buf, sizeof(buf)));
	ASSERT_EQ(-1, read(ffd, f, sizeof(f[0]) - 1));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ((ssize_t)sizeof(f[0]),
		  read(ffd, f, sizeof(f[0]) + sizeof(f[0]) / 2));
	check_fault(_metadata, &f[0], IOASID_FAULT_READ, e->dev_id, hwpt_id,
		    X(0));
	ASSERT_EQ(2, read_faults(ffd, f, 3));
	check_fault(_metadata, &f[0], IOASID_FAULT_READ, e->dev_id, hwpt_id,
		    X(1));
	check_fault(_metadata, &f[1], IOASID_FAULT_READ, e->dev_id, hwpt_id,
		    X(2));
	ASSERT_EQ(-EAGAIN, read_faults(ffd, f, 3));
}

/*
 * A device with PRI waits for the answer to its page request: the guest
 * fixes its table, the VMM answers SUCCESS through the file, and the
 * device's retry goes through.  An answer INVALID is counted as such; a
 * request is answered once.
 */
TEST_F(nested, page_request_waits_for_its_answer)
{
	struct nenv *e = &self->e;
	__u32 hwpt_id, fault_id, got = 0;
	struct ioasid_fault f[2];
	int ffd;

	nested_attach(_metadata, e, DEPTH, &hwpt_id, &fault_id, &ffd);
	memset(data(e, 0), 0x66, page);
	ASSERT_EQ(-EAGAIN, pri_read(e, X(0) + 0x100));
	ASSERT_TRUE(fault_waits(ffd));
	ASSERT_EQ(1, read_faults(ffd, f, 2));
	check_fault(_metadata, &f[0],
		    IOASID_FAULT_READ | IOASID_FAULT_PAGE_REQUEST, e->dev_id,
		    hwpt_id, X(0) + 0x100);
	check_responses(_metadata, e, e->dev_id, 0, 0);

	ASSERT_EQ(0, s1_map(&e->s1, X(0), 0, MOCK_S1_RW));
	ASSERT_EQ((int)sizeof(struct ioasid_fault_response),
		  respond(ffd, f[0].cookie, IOASID_FAULT_RESPONSE_SUCCESS));
	check_responses(_metadata, e, e->dev_id, 1, 0);
	ASSERT_EQ(0, mock_dma_flags(e->ctx.fd, e->dev_id, IOASID_TEST_DMA_PRI,
				    0, X(0) + 0x100, &got, sizeof(got)));
	ASSERT_EQ(0x66666666, got);
	ASSERT_EQ(-EINVAL, respond(ffd, f[0].cookie,
				   IOASID_FAULT_RESPONSE_SUCCESS));
	check_responses(_metadata, e, e->dev_id, 1, 0);

	/* A write the leaf does not allow; the guest allows it. */
	ASSERT_EQ(0, s1_map(&e->s1, X(1), 1, MOCK_S1_PRESENT | MOCK_S1_READ));
	ASSERT_EQ(-EAGAIN, land(e, e->dev_id, IOASID_TEST_DMA_PRI, 0, X(1)));
	ASSERT_EQ(1, read_faults(ffd, f, 2));
	check_fault(_metadata, &f[0],
		    IOASID_FAULT_WRITE | IOASID_FAULT_PAGE_REQUEST, e->dev_id,
		    hwpt_id, X(1));
	ASSERT_EQ(0, s1_map(&e->s1, X(1), 1, MOCK_S1_RW));
	ASSERT_EQ(0, invalidate_one(e, hwpt_id, inv_range(X(1), 4096)));
	ASSERT_EQ((int)sizeof(struct ioasid_fault_response),
		  respond(ffd, f[0].cookie, IOASID_FAULT_RESPONSE_SUCCESS));
	ASSERT_EQ(1, land(e, e->dev_id, IOASID_TEST_DMA_PRI, 0, X(1)));
	check_responses(_metadata, e, e->dev_id, 2, 0);

	/* One the guest cannot serve. */
	ASSERT_EQ(-EAGAIN, pri_read(e, X(2)));
	ASSERT_EQ(1, read_faults(ffd, f, 2));
	ASSERT_EQ((int)sizeof(struct ioasid_fault_response),
		  respond(ffd, f[0].cookie, IOASID_FAULT_RESPONSE_INVALID));
	check_responses(_metadata, e, e->dev_id, 2, 1);
	ASSERT_EQ(-EAGAIN, read_faults(ffd, f, 2));
}

/*
 * A write takes whole responses in order and stops at the first whose
 * cookie names no request waiting.
 */
TEST_F(nested, responses_stop_at_the_first_unknown_cookie)
{
	struct nenv *e = &self->e;
	struct ioasid_fault_response r[2];
	struct ioasid_fault f[2];
	__u32 hwpt_id, fault_id;
	int ffd;

	nested_attach(_metadata, e, DEPTH, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(-EINVAL, respond(ffd, 0, IOASID_FAULT_RESPONSE_SUCCESS));
	ASSERT_EQ(-EAGAIN, pri_read(e, X(0)));
	ASSERT_EQ(-EAGAIN, pri_read(e, X(1)));
	ASSERT_EQ(2, read_faults(ffd, f, 2));
	ASSERT_NE(f[0].cookie, f[1].cookie);

	r[0] = (struct ioasid_fault_response){
		f[0].cookie, IOASID_FAULT_RESPONSE_SUCCESS,
	};
	/* No page request has cookie 0. */
	r[1] = (struct ioasid_fault_response){
		0, IOASID_FAULT_RESPONSE_SUCCESS,
	};
	/* Not a whole response: nothing taken. */
	ASSERT_EQ(-1, write(ffd, r, sizeof(r[0]) - 1));
	ASSERT_EQ(EINVAL, errno);
	check_responses(_metadata, e, e->dev_id, 0, 0);
	ASSERT_EQ((int)sizeof(r[0]), respond_n(ffd, r, 2));
	check_responses(_metadata, e, e->dev_id, 1, 0);
	/* The first is answered now: it stops the write at once. */
	r[1].cookie = f[1].cookie;
	ASSERT_EQ(-EINVAL, respond_n(ffd, r, 2));
	check_responses(_metadata, e, e->dev_id, 1, 0);
	r[1].code = IOASID_FAULT_RESPONSE_INVALID;
	ASSERT_EQ((int)sizeof(r[1]), respond_n(ffd, &r[1], 1));
	check_responses(_metadata, e, e->dev_id, 1, 1);
	ASSERT_EQ(-EINVAL, respond(ffd, f[1].cookie,
				   IOASID_FAULT_RESPONSE_SUCCESS));
}

/*
 * A full queue loses the faults that find it full: one record with
 * IOASID_FAULT_LOST takes their place and says how many; a page request
 * lost is answered INVALID at once, and its DMA fails rather than waits.
 * A read makes room again.
 */
TEST_F(nested, full_queue_loses_faults)
{
	struct nenv *e = &self->e;
	__u32 hwpt_id, fault_id, i;
	struct ioasid_fault f[5];
	char buf[8];
	int ffd;

	nested_attach(_metadata, e, 2, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(-EAGAIN, pri_read(e, X(0)));
	ASSERT_EQ(-EAGAIN, pri_read(e, X(1)));
	ASSERT_EQ(-ENXIO, pri_read(e, X(2)));
	ASSERT_EQ(-ENXIO, pri_read(e, X(3)));
	ASSERT_EQ(-ENXIO, dma_read(e, X(4), buf, sizeof(buf)));
	check_responses(_metadata, e, e->dev_id, 0, 2);

	ASSERT_EQ(3, read_faults(ffd, f, 5));
	for (i = 0; i < 2; i++)
		check_fault(_metadata, &f[i],
			    IOASID_FAULT_READ | IOASID_FAULT_PAGE_REQUEST,
			    e->dev_id, hwpt_id, X(i));
	ASSERT_EQ(IOASID_FAULT_LOST, f[2].flags);
	ASSERT_EQ(3, f[2].lost);

	/* Read and answered: room again. */
	for (i = 0; i < 2; i++)
		ASSERT_EQ((int)sizeof(struct ioasid_fault_response),
			  respond(ffd, f[i].cookie,
				  IOASID_FAULT_RESPONSE_SUCCESS));
	check_responses(_metadata, e, e->dev_id, 2, 2);
	ASSERT_EQ(-EAGAIN, pri_read(e, X(5)));
	ASSERT_EQ(1, read_faults(ffd, &f[3], 2));
	check_fault(_metadata, &f[3],
		    IOASID_FAULT_READ | IOASID_FAULT_PAGE_REQUEST, e->dev_id,
		    hwpt_id, X(5));
	ASSERT_EQ((int)sizeof(struct ioasid_fault_response),
		  respond(ffd, f[3].cookie, IOASID_FAULT_RESPONSE_SUCCESS));
	check_responses(_metadata, e, e->dev_id, 3, 2);
}

/*
 * Closing the file answers every request waiting INVALID, and the faults
 * after are lost; the queue is counted until its object goes too.
 */
TEST_F(nested, closing_the_fault_file_answers_what_waits)
{
	struct nenv *e = &self->e;
	__u32 hwpt_id, fault_id;
	int ffd;

	nested_attach(_metadata, e, DEPTH, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(-EAGAIN, pri_read(e, X(0)));
	ASSERT_EQ(-EAGAIN, pri_read(e, X(1)));
	ASSERT_EQ(-EAGAIN, pri_read(e, X(2)));
	check_responses(_metadata, e, e->dev_id, 0, 0);
	drop_fd(e, ffd);
	check_responses(_metadata, e, e->dev_id, 0, 3);
	ASSERT_EQ(-ENXIO, pri_read(e, X(3)));
	check_responses(_metadata, e, e->dev_id, 0, 4);
	ASSERT_EQ(e->ctx.start.faults + 1, ioasid_counter("faults"));

	ASSERT_EQ(-EBUSY, ioasid_destroy(e->ctx.fd, fault_id));
	ASSERT_EQ(0, detach(e->ctx.fd, e->dev_id));
	ASSERT_EQ(0, ioasid_destroy(e->ctx.fd, hwpt_id));
	ASSERT_EQ(0, ioasid_destroy(e->ctx.fd, fault_id));
	ASSERT_EQ(e->ctx.start.faults, ioasid_counter("faults"));
}

/*
 * A device that leaves the hwpt, by detach or by replace, has its page
 * requests answered INVALID; their cookies answer no more.
 */
TEST_F(nested, leaving_the_hwpt_answers_its_requests)
{
	struct nenv *e = &self->e;
	__u32 hwpt_id, fault_id;
	struct ioasid_fault f[2];
	int ffd;

	nested_attach(_metadata, e, DEPTH, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(-EAGAIN, pri_read(e, X(0)));
	ASSERT_EQ(-EAGAIN, pri_read(e, X(1)));
	ASSERT_EQ(0, detach(e->ctx.fd, e->dev_id));
	check_responses(_metadata, e, e->dev_id, 0, 2);
	ASSERT_EQ(2, read_faults(ffd, f, 2));
	ASSERT_EQ(-EINVAL, respond(ffd, f[0].cookie,
				   IOASID_FAULT_RESPONSE_SUCCESS));
	ASSERT_EQ(-EINVAL, respond(ffd, f[1].cookie,
				   IOASID_FAULT_RESPONSE_SUCCESS));

	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, hwpt_id, 0, NULL));
	ASSERT_EQ(-EAGAIN, pri_read(e, X(2)));
	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, e->ctx.ioas_id,
				   IOASID_DEVICE_ATTACH_REPLACE, NULL));
	check_responses(_metadata, e, e->dev_id, 0, 3);
	ASSERT_EQ(1, read_faults(ffd, f, 2));
	check_fault(_metadata, &f[0],
		    IOASID_FAULT_READ | IOASID_FAULT_PAGE_REQUEST, e->dev_id,
		    hwpt_id, X(2));
	ASSERT_EQ(-EINVAL, respond(ffd, f[0].cookie,
				   IOASID_FAULT_RESPONSE_SUCCESS));
	check_responses(_metadata, e, e->dev_id, 0, 3);
}

/*
 * A cookie the kernel answered is not handed out again at once: a late
 * answer to it must not answer the next request.
 */
TEST_F(nested, answered_cookies_are_not_reused)
{
	struct nenv *e = &self->e;
	__u32 hwpt_id, fault_id;
	struct ioasid_fault f[2];
	int ffd;

	nested_attach(_metadata, e, DEPTH, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(-EAGAIN, pri_read(e, X(0)));
	ASSERT_EQ(1, read_faults(ffd, &f[0], 1));
	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, e->ctx.ioas_id,
				   IOASID_DEVICE_ATTACH_REPLACE, NULL));
	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, hwpt_id,
				   IOASID_DEVICE_ATTACH_REPLACE, NULL));
	ASSERT_EQ(-EAGAIN, pri_read(e, X(1)));
	ASSERT_EQ(1, read_faults(ffd, &f[1], 1));
	ASSERT_NE(f[0].cookie, f[1].cookie);
	ASSERT_EQ(-EINVAL, respond(ffd, f[0].cookie,
				   IOASID_FAULT_RESPONSE_SUCCESS));
	check_responses(_metadata, e, e->dev_id, 0, 1);
	ASSERT_EQ((int)sizeof(struct ioasid_fault_response),
		  respond(ffd, f[1].cookie, IOASID_FAULT_RESPONSE_SUCCESS));
	check_responses(_metadata, e, e->dev_id, 1, 1);
}

/*
 * The file keeps what was queued after the object is destroyed, and after
 * its context is closed; the queue is counted until both are gone.
 */
TEST_F(nested, fault_file_outlives_its_object_and_context)
{
	struct nenv *e = &self->e;
	struct ioasid_test_mock_device config = mock_nesting_device(page);
	struct ioasid_hwpt_mock_s1 s1_data = { .root = mock_s1_root(&e->s1) };
	__u32 hwpt_id, fault_id, ioas2, dev2;
	__u64 gpa = GPA_BASE;
	struct ioasid_fault f[2];
	char buf[8];
	int ffd, fd2;

	nested_attach(_metadata, e, DEPTH, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(-ENXIO, dma_read(e, X(0), buf, sizeof(buf)));
	ASSERT_EQ(0, detach(e->ctx.fd, e->dev_id));
	ASSERT_EQ(0, ioasid_destroy(e->ctx.fd, hwpt_id));
	ASSERT_EQ(0, ioasid_destroy(e->ctx.fd, fault_id));
	ASSERT_EQ(e->ctx.start.faults + 1, ioasid_counter("faults"));
	ASSERT_EQ(1, read_faults(ffd, f, 2));
	check_fault(_metadata, &f[0], IOASID_FAULT_READ, e->dev_id, hwpt_id,
		    X(0));
	drop_fd(e, ffd);
	ASSERT_EQ(e->ctx.start.faults, ioasid_counter("faults"));

	/* A context of its own, closed with everything in it. */
	fd2 = keep_fd(e, open(IOASID_DEV, O_RDWR | O_CLOEXEC));
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ioas_alloc(fd2, &ioas2));
	ASSERT_EQ(0, ioas_map(fd2, ioas2, e->mem, NSLOTS * page, &gpa,
			      MAP_FIXED_RW));
	ASSERT_EQ(0, mock_device(fd2, &config, &dev2));
	ASSERT_EQ(0, fault_alloc(fd2, DEPTH, &fault_id, &ffd));
	keep_fd(e, ffd);
	ASSERT_EQ(0, hwpt_alloc(fd2, dev2, ioas2, IOASID_NESTING_MOCK_S1,
				fault_id, &s1_data, sizeof(s1_data), &hwpt_id,
				NULL));
	ASSERT_EQ(0, device_attach(fd2, dev2, hwpt_id, 0, NULL));
	ASSERT_EQ(-ENXIO, mock_dma(fd2, dev2, X(3) + 8, buf, sizeof(buf),
				   true));
	drop_fd(e, fd2);
	ASSERT_EQ(e->ctx.start.nested, ioasid_counter("nested"));
	ASSERT_EQ(e->ctx.start.faults + 1, ioasid_counter("faults"));
	ASSERT_TRUE(fault_waits(ffd));
	ASSERT_EQ((ssize_t)sizeof(f[0]), read(ffd, f, 2 * sizeof(f[0])));
	check_fault(_metadata, &f[0], IOASID_FAULT_WRITE, dev2, hwpt_id,
		    X(3) + 8);
	drop_fd(e, ffd);
	ASSERT_EQ(e->ctx.start.faults, ioasid_counter("faults"));
	ASSERT_EQ(e->ctx.start.contexts + 1, ioasid_counter("contexts"));
}

/* A hwpt that names no fault object queues nothing; its DMA still fails. */
TEST_F(nested, faults_without_a_fault_object_go_nowhere)
{
	struct nenv *e = &self->e;
	__u32 hwpt_id, fault_id, unused;
	struct ioasid_fault f[2];
	char buf[8];
	int ffd, unused_fd;

	ASSERT_EQ(0, new_fault(e, DEPTH, &unused, &unused_fd));
	nested_attach(_metadata, e, 0, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(-ENXIO, dma_read(e, X(0), buf, sizeof(buf)));
	ASSERT_EQ(-ENXIO, pri_read(e, X(0)));
	ASSERT_EQ(0, s1_map(&e->s1, X(1), 1, MOCK_S1_PRESENT | MOCK_S1_READ));
	ASSERT_EQ(-EACCES, landed_in(e, X(1)));
	ASSERT_FALSE(fault_waits(unused_fd));
	ASSERT_EQ(-EAGAIN, read_faults(unused_fd, f, 2));
	/* And the unused fault object is free to go. */
	ASSERT_EQ(0, ioasid_destroy(e->ctx.fd, unused));
}

/*
 * Who tracks: hardware while every domain of the IOAS tracks (or none is
 * there), software once a device whose IOMMU cannot comes in, until
 * tracking stops; off when stopped.
 */
TEST_F(nested, dirty_tracking_mode_follows_the_devices)
{
	struct nenv *e = &self->e;
	struct ioasid_test_mock_device config = mock_nesting_device(page);
	__u32 empty, blind, hwpt_id, mode;
	__u64 word;

	config.caps &= ~IOASID_DEVICE_CAP_DIRTY_TRACKING;
	ASSERT_EQ(0, mock_device(e->ctx.fd, &config, &blind));
	ASSERT_EQ(0, ioas_alloc(e->ctx.fd, &empty));

	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, empty,
					 IOASID_DIRTY_TRACKING_ENABLE, &mode));
	ASSERT_EQ(IOASID_DIRTY_HARDWARE, mode);
	ASSERT_EQ(0, dirty_word(e->ctx.fd, empty, 0, GPA_BASE, 8, &word,
				&mode));
	ASSERT_EQ(0, word);
	ASSERT_EQ(IOASID_DIRTY_HARDWARE, mode);
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, empty, 0, &mode));
	ASSERT_EQ(IOASID_DIRTY_OFF, mode);
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, empty, 0, &mode));
	ASSERT_EQ(IOASID_DIRTY_OFF, mode);
	ASSERT_EQ(-ENODATA, dirty_word(e->ctx.fd, empty, 0, GPA_BASE, 8,
				       &word, &mode));

	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, e->ctx.ioas_id, 0,
				   NULL));
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, e->ctx.ioas_id,
					 IOASID_DIRTY_TRACKING_ENABLE, &mode));
	ASSERT_EQ(IOASID_DIRTY_HARDWARE, mode);
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, e->ctx.ioas_id,
					 IOASID_DIRTY_TRACKING_ENABLE, &mode));
	ASSERT_EQ(IOASID_DIRTY_HARDWARE, mode);
	ASSERT_EQ(0, dirty_slots(e, 0, &word, &mode));
	ASSERT_EQ(0, word);

	/* A device that cannot track comes in: every writable page is. */
	ASSERT_EQ(0, device_attach(e->ctx.fd, blind, e->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(0, dirty_slots(e, 0, &word, &mode));
	ASSERT_EQ(IOASID_DIRTY_SOFTWARE, mode);
	ASSERT_EQ(ALL_SLOTS, word);
	/* It leaves: software still, until tracking stops. */
	ASSERT_EQ(0, detach(e->ctx.fd, blind));
	ASSERT_EQ(0, dirty_slots(e, 0, &word, &mode));
	ASSERT_EQ(IOASID_DIRTY_SOFTWARE, mode);
	ASSERT_EQ(ALL_SLOTS, word);
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, e->ctx.ioas_id, 0, &mode));
	ASSERT_EQ(IOASID_DIRTY_OFF, mode);
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, e->ctx.ioas_id,
					 IOASID_DIRTY_TRACKING_ENABLE, &mode));
	ASSERT_EQ(IOASID_DIRTY_HARDWARE, mode);
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, e->ctx.ioas_id, 0, NULL));

	/* There when tracking starts. */
	ASSERT_EQ(0, device_attach(e->ctx.fd, blind, e->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, e->ctx.ioas_id,
					 IOASID_DIRTY_TRACKING_ENABLE, &mode));
	ASSERT_EQ(IOASID_DIRTY_SOFTWARE, mode);

	ASSERT_EQ(-EOPNOTSUPP, ioas_dirty_tracking(e->ctx.fd, e->ctx.ioas_id,
						   1 << 3, NULL));
	ASSERT_EQ(-EINVAL, ioas_dirty_tracking(e->ctx.fd, e->dev_id,
					       IOASID_DIRTY_TRACKING_ENABLE,
					       NULL));
	ASSERT_EQ(-ENOENT, ioas_dirty_tracking(e->ctx.fd, 999,
					       IOASID_DIRTY_TRACKING_ENABLE,
					       NULL));
	ASSERT_EQ(0, new_hwpt(e, &e->s1, 0, &hwpt_id));
	ASSERT_EQ(-EINVAL, ioas_dirty_tracking(e->ctx.fd, hwpt_id,
					       IOASID_DIRTY_TRACKING_ENABLE,
					       NULL));
	ASSERT_EQ(-EINVAL, dirty_word(e->ctx.fd, hwpt_id, 0, GPA_BASE, 8,
				      &word, NULL));
}

TEST_F(nested, dirty_bitmap_rejects_bad_arguments)
{
	struct nenv *e = &self->e;
	__u64 bitmap[4], *none;
	__u32 mode;

	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, e->ctx.ioas_id, 0,
				   NULL));
	ASSERT_EQ(-ENODATA, ioas_dirty_bitmap(e->ctx.fd, e->ctx.ioas_id, 0,
					      GPA_BASE, page, page, bitmap,
					      NULL));
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, e->ctx.ioas_id,
					 IOASID_DIRTY_TRACKING_ENABLE, NULL));
	/* Page sizes: a power of two, at least the CPU's. */
	ASSERT_EQ(-EINVAL, ioas_dirty_bitmap(e->ctx.fd, e->ctx.ioas_id, 0,
					     GPA_BASE, 4 * page, 0, bitmap,
					     NULL));
	ASSERT_EQ(-EINVAL, ioas_dirty_bitmap(e->ctx.fd, e->ctx.ioas_id, 0,
					     GPA_BASE, 6 * page, 3 * page,
					     bitmap, NULL));
	ASSERT_EQ(-EINVAL, ioas_dirty_bitmap(e->ctx.fd, e->ctx.ioas_id, 0,
					     GPA_BASE, 4 * page, page / 2,
					     bitmap, NULL));
	/* Ranges: aligned to the page size, whole pages of it, not empty. */
	ASSERT_EQ(-EINVAL, ioas_dirty_bitmap(e->ctx.fd, e->ctx.ioas_id, 0,
					     GPA_BASE + page, 4 * page,
					     2 * page, bitmap, NULL));
	ASSERT_EQ(-EINVAL, ioas_dirty_bitmap(e->ctx.fd, e->ctx.ioas_id, 0,
					     GPA_BASE, 3 * page, 2 * page,
					     bitmap, NULL));
	ASSERT_EQ(-EINVAL, ioas_dirty_bitmap(e->ctx.fd, e->ctx.ioas_id, 0,
					     GPA_BASE, 0, page, bitmap, NULL));
	/* At most 2^31 bits. */
	ASSERT_EQ(-EINVAL, ioas_dirty_bitmap(e->ctx.fd, e->ctx.ioas_id, 0, 0,
					     ((1ULL << 31) + 1) * page, page,
					     bitmap, NULL));
	ASSERT_EQ(-EOPNOTSUPP, ioas_dirty_bitmap(e->ctx.fd, e->ctx.ioas_id,
						 1 << 4, GPA_BASE, page, page,
						 bitmap, NULL));
	ASSERT_EQ(-EINVAL, ioas_dirty_bitmap(e->ctx.fd, e->dev_id, 0,
					     GPA_BASE, page, page, bitmap,
					     NULL));
	ASSERT_EQ(-ENOENT, ioas_dirty_bitmap(e->ctx.fd, 999, 0, GPA_BASE, page,
					     page, bitmap, NULL));
	/* A bitmap the kernel cannot write. */
	none = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(-EFAULT, ioas_dirty_bitmap(e->ctx.fd, e->ctx.ioas_id, 0,
					     GPA_BASE, page, page, none,
					     NULL));
	ASSERT_EQ(-EFAULT, ioas_dirty_bitmap(e->ctx.fd, e->ctx.ioas_id, 0,
					     GPA_BASE, page, page,
					     (__u64 *)8, NULL));
	munmap(none, page);
	/* Still tracking, and a good call works. */
	ASSERT_EQ(0, ioas_dirty_bitmap(e->ctx.fd, e->ctx.ioas_id, 0, GPA_BASE,
				       page, page, bitmap, &mode));
	ASSERT_EQ(IOASID_DIRTY_HARDWARE, mode);
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, e->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(-ENODATA, ioas_dirty_bitmap(e->ctx.fd, e->ctx.ioas_id, 0,
					      GPA_BASE, page, page, bitmap,
					      NULL));
}

/*
 * In hardware mode, the pages the device wrote, and those alone; read
 * without clearing, then cleared, range by range; larger pages; several
 * words; writes from before tracking started do not count.
 */
TEST_F(nested, hardware_dirty_bits_follow_device_writes)
{
	struct nenv *e = &self->e;
	__u64 iova = BIG_GPA, word, bitmap[3];
	const unsigned int big = 72;
	char buf[8], *mem;
	__u32 mode;

	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, e->ctx.ioas_id, 0,
				   NULL));
	ASSERT_EQ(0, landed_in(e, GPA(DATA0) + 8));
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, e->ctx.ioas_id,
					 IOASID_DIRTY_TRACKING_ENABLE, &mode));
	ASSERT_EQ(IOASID_DIRTY_HARDWARE, mode);
	ASSERT_EQ(0, dirty_slots(e, 0, &word, &mode));
	ASSERT_EQ(0, word);

	ASSERT_EQ(1, landed_in(e, GPA(13) + 8));
	ASSERT_EQ(5, landed_in(e, GPA(17) + MOCK_S1_TABLE - 4));
	ASSERT_EQ(0, dma_read(e, GPA(14), buf, sizeof(buf)));
	ASSERT_EQ(0, dirty_slots(e, IOASID_DIRTY_BITMAP_NO_CLEAR, &word,
				 &mode));
	ASSERT_EQ(IOASID_DIRTY_HARDWARE, mode);
	ASSERT_EQ(BIT(13) | BIT(17), word);
	ASSERT_EQ(0, dirty_slots(e, IOASID_DIRTY_BITMAP_NO_CLEAR, &word, NULL));
	ASSERT_EQ(BIT(13) | BIT(17), word);
	ASSERT_EQ(0, dirty_slots(e, 0, &word, NULL));
	ASSERT_EQ(BIT(13) | BIT(17), word);
	ASSERT_EQ(0, dirty_slots(e, 0, &word, NULL));
	ASSERT_EQ(0, word);

	/* A range clears only itself. */
	ASSERT_EQ(1, landed_in(e, GPA(13)));
	ASSERT_EQ(5, landed_in(e, GPA(17)));
	ASSERT_EQ(0, dirty_word(e->ctx.fd, e->ctx.ioas_id, 0, GPA(16), 8,
				&word, NULL));
	ASSERT_EQ(BIT(1), word);
	ASSERT_EQ(0, dirty_slots(e, 0, &word, NULL));
	ASSERT_EQ(BIT(13), word);

	/* Two pages a bit; a write across two pages dirties both. */
	ASSERT_EQ(1, landed_in(e, GPA(13)));
	bitmap[0] = ~0ULL;
	ASSERT_EQ(0, ioas_dirty_bitmap(e->ctx.fd, e->ctx.ioas_id, 0, GPA_BASE,
				       NSLOTS * page, 2 * page, bitmap, NULL));
	ASSERT_EQ(BIT(6), bitmap[0] & tail_mask(NSLOTS / 2));
	ASSERT_EQ(0, mock_dma(e->ctx.fd, e->dev_id, GPA(20) - 4, buf,
			      sizeof(buf), true));
	ASSERT_EQ(0, dirty_slots(e, 0, &word, NULL));
	ASSERT_EQ(BIT(19) | BIT(20), word);

	/* Writes while nothing tracks are not in the bitmap. */
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, e->ctx.ioas_id, 0, NULL));
	ASSERT_EQ(1, landed_in(e, GPA(13)));
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, e->ctx.ioas_id,
					 IOASID_DIRTY_TRACKING_ENABLE, NULL));
	ASSERT_EQ(0, dirty_slots(e, 0, &word, NULL));
	ASSERT_EQ(0, word);

	/* More than a word: the kernel writes every word, and no more. */
	mem = mmap(NULL, big * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 0, big * page);
	ASSERT_EQ(0, ioas_map(e->ctx.fd, e->ctx.ioas_id, mem, big * page,
			      &iova, MAP_FIXED_RW));
	ASSERT_EQ(0, mock_dma(e->ctx.fd, e->dev_id, BIG_GPA, buf, 1, true));
	ASSERT_EQ(0, mock_dma(e->ctx.fd, e->dev_id, BIG_GPA + 63 * page, buf,
			      1, true));
	ASSERT_EQ(0, mock_dma(e->ctx.fd, e->dev_id, BIG_GPA + 64 * page, buf,
			      1, true));
	ASSERT_EQ(0, mock_dma(e->ctx.fd, e->dev_id, BIG_GPA + 71 * page, buf,
			      1, true));
	memset(bitmap, 0xff, sizeof(bitmap));
	ASSERT_EQ(0, ioas_dirty_bitmap(e->ctx.fd, e->ctx.ioas_id, 0, BIG_GPA,
				       big * page, page, bitmap, NULL));
	ASSERT_EQ(BIT(0) | BIT(63), bitmap[0]);
	ASSERT_EQ(BIT(0) | BIT(7), bitmap[1] & tail_mask(big));
	ASSERT_EQ(~0ULL, bitmap[2]);
	ASSERT_EQ(0, ioas_unmap(e->ctx.fd, e->ctx.ioas_id, BIG_GPA, big * page,
				NULL));
	munmap(mem, big * page);
}

/*
 * Through a nested hwpt, the device's writes dirty stage 2: the data page
 * written, not the tables read on the way.
 */
TEST_F(nested, nested_writes_dirty_stage2)
{
	struct nenv *e = &self->e;
	__u32 hwpt_id, fault_id, mode;
	__u64 word;
	char buf[8];
	int ffd;

	ASSERT_EQ(0, s1_map(&e->s1, X(0), 2, MOCK_S1_RW));
	ASSERT_EQ(0, s1_map(&e->s1, X(1), 4, MOCK_S1_RW));
	nested_attach(_metadata, e, 0, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, e->ctx.ioas_id,
					 IOASID_DIRTY_TRACKING_ENABLE, &mode));
	ASSERT_EQ(IOASID_DIRTY_HARDWARE, mode);
	ASSERT_EQ(0, dma_read(e, X(1), buf, sizeof(buf)));
	ASSERT_EQ(2, landed_in(e, X(0) + 0x200));
	ASSERT_EQ(0, dirty_slots(e, 0, &word, &mode));
	ASSERT_EQ(IOASID_DIRTY_HARDWARE, mode);
	ASSERT_EQ(BIT(DATA0 + 2), word);
	ASSERT_EQ(0, dirty_slots(e, 0, &word, NULL));
	ASSERT_EQ(0, word);
}

/*
 * The last pages of the address space are tracked like any other, in
 * software and in hardware: a bitmap may end at the last IOVA.
 */
TEST_F(nested, dirty_bits_at_the_top_of_the_address_space)
{
	struct nenv *e = &self->e;
	struct ioasid_test_mock_device config = mock_nesting_device(page);
	__u64 top = -2ULL * page, iova, word;
	__u32 dev, ioas2, mode;
	int hw;

	config.aperture_last = ~0ULL;
	for (hw = 0; hw < 2; hw++) {
		if (!hw)
			config.caps &= ~IOASID_DEVICE_CAP_DIRTY_TRACKING;
		else
			config.caps |= IOASID_DEVICE_CAP_DIRTY_TRACKING;
		ASSERT_EQ(0, mock_device(e->ctx.fd, &config, &dev));
		ASSERT_EQ(0, ioas_alloc(e->ctx.fd, &ioas2));
		iova = top;
		ASSERT_EQ(0, ioas_map(e->ctx.fd, ioas2, slot(e, 0), 2 * page,
				      &iova, MAP_FIXED_RW));
		ASSERT_EQ(0, device_attach(e->ctx.fd, dev, ioas2, 0, NULL));
		ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, ioas2,
						 IOASID_DIRTY_TRACKING_ENABLE,
						 &mode));
		ASSERT_EQ(hw ? IOASID_DIRTY_HARDWARE : IOASID_DIRTY_SOFTWARE,
			  mode);
		ASSERT_EQ(0, mock_dma(e->ctx.fd, dev, top + page, &word, 1,
				      true));
		ASSERT_EQ(0, dirty_word(e->ctx.fd, ioas2, 0, top, 2, &word,
					NULL));
		/* Software: both pages; hardware: the one written. */
		ASSERT_EQ(hw ? 2 : 3, word);
		ASSERT_EQ(0, ioasid_destroy(e->ctx.fd, dev));
		ASSERT_EQ(0, ioasid_destroy(e->ctx.fd, ioas2));
	}
}

/*
 * In software mode every page mapped writable is reported at every read,
 * cleared or not; read-only mappings and holes are not.
 */
TEST_F(nested, software_mode_reports_every_writable_page)
{
	struct nenv *e = &self->e;
	struct ioasid_test_mock_device config = mock_nesting_device(page);
	__u64 iova, word;
	__u32 blind, ioas2, mode;
	char *mem;

	config.caps &= ~IOASID_DEVICE_CAP_DIRTY_TRACKING;
	ASSERT_EQ(0, mock_device(e->ctx.fd, &config, &blind));
	ASSERT_EQ(0, ioas_alloc(e->ctx.fd, &ioas2));
	mem = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 0, 8 * page);
	iova = BIG_GPA;
	ASSERT_EQ(0, ioas_map(e->ctx.fd, ioas2, mem, 4 * page, &iova,
			      MAP_FIXED_RW));
	iova = BIG_GPA + 4 * page;
	ASSERT_EQ(0, ioas_map(e->ctx.fd, ioas2, mem + 4 * page, page, &iova,
			      IOASID_IOAS_MAP_FIXED_IOVA |
			      IOASID_IOAS_MAP_READABLE));
	iova = BIG_GPA + 6 * page;
	ASSERT_EQ(0, ioas_map(e->ctx.fd, ioas2, mem + 6 * page, 2 * page,
			      &iova, MAP_FIXED_RW));
	ASSERT_EQ(0, device_attach(e->ctx.fd, blind, ioas2, 0, NULL));

	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, ioas2,
					 IOASID_DIRTY_TRACKING_ENABLE, &mode));
	ASSERT_EQ(IOASID_DIRTY_SOFTWARE, mode);
	ASSERT_EQ(0, dirty_word(e->ctx.fd, ioas2, 0, BIG_GPA, 8, &word,
				&mode));
	ASSERT_EQ(IOASID_DIRTY_SOFTWARE, mode);
	ASSERT_EQ(0xcf, word);
	ASSERT_EQ(0, dirty_word(e->ctx.fd, ioas2, 0, BIG_GPA, 8, &word, NULL));
	ASSERT_EQ(0xcf, word);
	ASSERT_EQ(0, dirty_word(e->ctx.fd, ioas2, IOASID_DIRTY_BITMAP_NO_CLEAR,
				BIG_GPA, 8, &word, NULL));
	ASSERT_EQ(0xcf, word);
	ASSERT_EQ(0, mock_dma(e->ctx.fd, blind, BIG_GPA, &word, 1, true));
	ASSERT_EQ(0, dirty_word(e->ctx.fd, ioas2, 0, BIG_GPA, 8, &word, NULL));
	ASSERT_EQ(0xcf, word);

	/* A device that tracks joins, the blind one leaves: software still. */
	ASSERT_EQ(0, device_attach(e->ctx.fd, e->dev_id, ioas2, 0, NULL));
	ASSERT_EQ(0, detach(e->ctx.fd, blind));
	ASSERT_EQ(0, dirty_word(e->ctx.fd, ioas2, 0, BIG_GPA, 8, &word,
				&mode));
	ASSERT_EQ(IOASID_DIRTY_SOFTWARE, mode);
	ASSERT_EQ(0xcf, word);
	ASSERT_EQ(0, ioas_unmap(e->ctx.fd, ioas2, BIG_GPA + 6 * page,
				2 * page, NULL));
	ASSERT_EQ(0, dirty_word(e->ctx.fd, ioas2, 0, BIG_GPA, 8, &word, NULL));
	ASSERT_EQ(0x0f, word);

	/* Started again with trackers only: hardware. */
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, ioas2, 0, &mode));
	ASSERT_EQ(IOASID_DIRTY_OFF, mode);
	ASSERT_EQ(0, ioas_dirty_tracking(e->ctx.fd, ioas2,
					 IOASID_DIRTY_TRACKING_ENABLE, &mode));
	ASSERT_EQ(IOASID_DIRTY_HARDWARE, mode);
	ASSERT_EQ(0, dirty_word(e->ctx.fd, ioas2, 0, BIG_GPA, 8, &word, NULL));
	ASSERT_EQ(0, word);
	ASSERT_EQ(0, ioas_unmap_all(e->ctx.fd, ioas2, NULL));
	munmap(mem, 8 * page);
}

/*
 * Each bit of a stage-1 entry, and the IOVA's width, against a read and a
 * write: what the DMA does, and the record of each fault.
 */
FIXTURE(perm) {
	struct nenv e;
};

FIXTURE_VARIANT(perm) {
	__u64 leaf;		/* the last-level entry but its address */
	__u64 inter;		/* bits added to both entries above it */
	bool clear_l2;		/* the second-level entry cleared */
	bool beyond;		/* the DMA at bit 39 of the IOVA */
	int read_rc;
	int write_rc;
};

FIXTURE_SETUP(perm)
{
	const char *why = nenv_open(_metadata, &self->e);

	if (why)
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(perm)
{
	ASSERT_TRUE(nenv_close(&self->e));
}

FIXTURE_VARIANT_ADD(perm, read_only) {
	.leaf = MOCK_S1_PRESENT | MOCK_S1_READ,
	.read_rc = 0, .write_rc = -EACCES,
};

FIXTURE_VARIANT_ADD(perm, write_only) {
	.leaf = MOCK_S1_PRESENT | MOCK_S1_WRITE,
	.read_rc = -EACCES, .write_rc = 0,
};

FIXTURE_VARIANT_ADD(perm, read_write) {
	.leaf = MOCK_S1_RW, .read_rc = 0, .write_rc = 0,
};

FIXTURE_VARIANT_ADD(perm, no_access) {
	.leaf = MOCK_S1_PRESENT, .read_rc = -EACCES, .write_rc = -EACCES,
};

FIXTURE_VARIANT_ADD(perm, not_present) {
	.leaf = MOCK_S1_READ | MOCK_S1_WRITE,
	.read_rc = -ENXIO, .write_rc = -ENXIO,
};

FIXTURE_VARIANT_ADD(perm, reserved_bit) {
	.leaf = MOCK_S1_RW | (1ULL << 3),
	.read_rc = -ENXIO, .write_rc = -ENXIO,
};

FIXTURE_VARIANT_ADD(perm, reserved_high_bit) {
	.leaf = MOCK_S1_RW | (1ULL << 63),
	.read_rc = -ENXIO, .write_rc = -ENXIO,
};

FIXTURE_VARIANT_ADD(perm, upper_levels_permissions_ignored) {
	.leaf = MOCK_S1_RW, .inter = MOCK_S1_READ,
	.read_rc = 0, .write_rc = 0,
};

FIXTURE_VARIANT_ADD(perm, upper_level_reserved_bit) {
	.leaf = MOCK_S1_RW, .inter = 1ULL << 4,
	.read_rc = -ENXIO, .write_rc = -ENXIO,
};

FIXTURE_VARIANT_ADD(perm, upper_level_not_present) {
	.leaf = MOCK_S1_RW, .clear_l2 = true,
	.read_rc = -ENXIO, .write_rc = -ENXIO,
};

FIXTURE_VARIANT_ADD(perm, iova_beyond_39_bits) {
	.leaf = MOCK_S1_RW, .beyond = true,
	.read_rc = -ENXIO, .write_rc = -ENXIO,
};

TEST_F(perm, stage1_entry_decides)
{
	struct nenv *e = &self->e;
	__u64 iova = (X(0) + 0x40) | (variant->beyond ? 1ULL << 39 : 0);
	__u32 hwpt_id, fault_id, flags[2];
	struct ioasid_fault f[4];
	char in[64], out[64];
	int ffd, level, n = 0, i;
	__u64 *entry;

	memset(data(e, 0), 0x5a, page);
	memset(out, 0xc3, sizeof(out));
	ASSERT_EQ(0, s1_map(&e->s1, X(0), 0, variant->leaf));
	for (level = 0; level < MOCK_S1_LEVELS - 1; level++) {
		entry = mock_s1_entry(&e->s1, X(0), level);
		ASSERT_NE(NULL, entry);
		*entry |= htole64(variant->inter);
		if (variant->clear_l2 && level == 1)
			*entry = 0;
	}
	nested_attach(_metadata, e, DEPTH, &hwpt_id, &fault_id, &ffd);

	ASSERT_EQ(variant->read_rc, dma_read(e, iova, in, sizeof(in)));
	if (variant->read_rc)
		flags[n++] = IOASID_FAULT_READ;
	else
		ASSERT_EQ(0, memcmp(in, data(e, 0) + 0x40, sizeof(in)));
	ASSERT_EQ(variant->write_rc, mock_dma(e->ctx.fd, e->dev_id, iova, out,
					      sizeof(out), true));
	ASSERT_EQ(!variant->write_rc,
		  !memcmp(out, data(e, 0) + 0x40, sizeof(out)));
	if (variant->write_rc) {
		for (i = 0; i < (int)page; i++)
			ASSERT_EQ(0x5a, data(e, 0)[i]);
		flags[n++] = IOASID_FAULT_WRITE;
	}

	if (!n) {
		ASSERT_EQ(-EAGAIN, read_faults(ffd, f, 4));
		return;
	}
	ASSERT_EQ(n, read_faults(ffd, f, 4));
	for (i = 0; i < n; i++)
		check_fault(_metadata, &f[i], flags[i], e->dev_id, hwpt_id,
			    iova);
}

/*
 * An entry that fails stops the invalidation there: the entries before it
 * are done, it and those after are not, and the call says which and why.
 */
FIXTURE(bad_entry) {
	struct nenv e;
};

FIXTURE_VARIANT(bad_entry) {
	struct ioasid_hwpt_invalidate_mock bad;
	bool unreadable;	/* the entry cannot be read at all */
	int rc;
	__u32 error;
};

FIXTURE_SETUP(bad_entry)
{
	const char *why = nenv_open(_metadata, &self->e);

	if (why)
		SKIP(return, "%s", why);
}

FIXTURE_TEARDOWN(bad_entry)
{
	ASSERT_TRUE(nenv_close(&self->e));
}

FIXTURE_VARIANT_ADD(bad_entry, unknown_flag) {
	.bad = { .flags = 1 << 6, .iova = X(0), .length = 4096 },
	.rc = -EOPNOTSUPP, .error = IOASID_HWPT_INVALIDATE_ERR_FLAGS,
};

FIXTURE_VARIANT_ADD(bad_entry, unaligned_iova) {
	.bad = { .iova = X(0) + 0x800, .length = 4096 },
	.rc = -EINVAL, .error = IOASID_HWPT_INVALIDATE_ERR_RANGE,
};

FIXTURE_VARIANT_ADD(bad_entry, unaligned_length) {
	.bad = { .iova = X(0), .length = 0x1800 },
	.rc = -EINVAL, .error = IOASID_HWPT_INVALIDATE_ERR_RANGE,
};

FIXTURE_VARIANT_ADD(bad_entry, empty_range) {
	.bad = { .iova = X(0), .length = 0 },
	.rc = -EINVAL, .error = IOASID_HWPT_INVALIDATE_ERR_RANGE,
};

FIXTURE_VARIANT_ADD(bad_entry, wrapping_range) {
	.bad = { .iova = 0xfffffffffffff000ULL, .length = 0x2000 },
	.rc = -EINVAL, .error = IOASID_HWPT_INVALIDATE_ERR_RANGE,
};

FIXTURE_VARIANT_ADD(bad_entry, all_with_a_range) {
	.bad = { .flags = IOASID_HWPT_INVALIDATE_MOCK_ALL, .iova = X(0),
		 .length = 4096 },
	.rc = -EINVAL, .error = IOASID_HWPT_INVALIDATE_ERR_RANGE,
};

FIXTURE_VARIANT_ADD(bad_entry, pasid_beyond_20_bits) {
	.bad = { .flags = IOASID_HWPT_INVALIDATE_MOCK_PASID, .pasid = 1 << 20,
		 .iova = X(0), .length = 4096 },
	.rc = -EINVAL, .error = IOASID_HWPT_INVALIDATE_ERR_PASID,
};

FIXTURE_VARIANT_ADD(bad_entry, unreadable) {
	.unreadable = true,
	.rc = -EFAULT, .error = IOASID_HWPT_INVALIDATE_ERR_READ,
};

TEST_F(bad_entry, stops_the_invalidation_there)
{
	struct nenv *e = &self->e;
	struct ioasid_hwpt_invalidate_mock local[3], *entries = local;
	__u32 hwpt_id, fault_id, done, error;
	char buf[8], *two = NULL;
	int ffd;

	ASSERT_EQ(0, s1_map(&e->s1, X(0), 0, MOCK_S1_RW));
	ASSERT_EQ(0, s1_map(&e->s1, X(1), 1, MOCK_S1_RW));
	nested_attach(_metadata, e, 0, &hwpt_id, &fault_id, &ffd);
	ASSERT_EQ(0, dma_read(e, X(0), buf, sizeof(buf)));
	ASSERT_EQ(0, dma_read(e, X(1), buf, sizeof(buf)));
	ASSERT_EQ(0, s1_map(&e->s1, X(0), 2, MOCK_S1_RW));
	ASSERT_EQ(0, s1_map(&e->s1, X(1), 3, MOCK_S1_RW));

	if (variant->unreadable) {
		/* The first entry ends its page; the next page is not there. */
		two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, two);
		ASSERT_EQ(0, mprotect(two + page, page, PROT_NONE));
		entries = (void *)(two + page - sizeof(*entries));
	} else {
		entries[1] = variant->bad;
		entries[2] = inv_range(X(1), 4096);
	}
	entries[0] = inv_range(X(0), 4096);
	ASSERT_EQ(variant->rc, invalidate(e, hwpt_id, entries, 3, &done,
					  &error));
	ASSERT_EQ(1, done);
	ASSERT_EQ(variant->error, error);
	ASSERT_EQ(2, landed_in(e, X(0)));
	ASSERT_EQ(1, landed_in(e, X(1)));

	ASSERT_EQ(0, invalidate_one(e, hwpt_id, inv_all()));
	ASSERT_EQ(3, landed_in(e, X(1)));
	if (two)
		munmap(two, 2 * page);
}

TEST_HARNESS_MAIN
