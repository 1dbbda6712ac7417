// SPDX-License-Identifier: GPL-2.0
/*
 * Live update: a process hands its context over to another, with the
 * devices doing DMA throughout (see "Live update" in the uAPI header).
 *
 * The "live" tests need no device: user addresses invalidated and supplied
 * again, checked against the pinned pages, and ownership with the charge
 * moving.  The "edu_live" tests hand a context whose edu device is doing
 * DMA over to a new process, made by fork() and exec() of this binary,
 * which receives the files over a Unix socket (see new_owner()).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "ioasid_utils.h"
#include "ioasid_pci_utils.h"

#define NPAGES 8
#define IOVA 0x1000000ULL
#define PROT_RW (PROT_READ | PROT_WRITE)

static size_t page_size;

static void fill(char *p, char c, size_t len)
{
	memset(p, c, len);
}

static bool all(const char *p, char c, size_t len)
{
	while (len--)
		if (*p++ != c)
			return false;
	return true;
}

/* The exit status of child @pid, or -1 when it did not exit. */
static int wait_exit_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Another shared mapping of @len bytes of @memfd from @offset, or NULL. */
static char *map_shared(int memfd, size_t len, off_t offset, int prot)
{
	char *p = mmap(NULL, len, prot, MAP_SHARED, memfd, offset);

	return p == MAP_FAILED ? NULL : p;
}

/* A context with an IOAS, and a memfd of 2 * NPAGES pages mapped shared. */
FIXTURE(live) {
	int fd;
	__u32 ioas_id;
	int memfd;
	char *mem;
	size_t len;
	long pinned_kib;
	struct ioasid_counters start;
};

FIXTURE_SETUP(live)
{
	if (access(IOASID_DEV, F_OK) || ioasid_read_counters(&self->start))
		SKIP(return, "ioasid.ko not loaded or debugfs not mounted");
	self->pinned_kib = vm_pinned_kib(0);
	self->fd = open(IOASID_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	self->len = NPAGES * page_size;
	self->memfd = memfd_create("ioasid_live", MFD_CLOEXEC);
	ASSERT_LE(0, self->memfd);
	ASSERT_EQ(0, ftruncate(self->memfd, 2 * self->len));
	self->mem = map_shared(self->memfd, 2 * self->len, 0, PROT_RW);
	ASSERT_NE(NULL, self->mem);
}

FIXTURE_TEARDOWN(live)
{
	struct ioasid_counters end;

	munmap(self->mem, 2 * self->len);
	close(self->memfd);
	close(self->fd);
	ASSERT_EQ(0, ioasid_read_counters(&end));
	ASSERT_TRUE(ioasid_counters_equal(&self->start, &end));
	ASSERT_EQ(self->pinned_kib, vm_pinned_kib(0));
}

/* Map the first NPAGES of the memfd at IOVA, readable and writeable. */
static int map_mem(struct _test_data_live *self, __u32 ioas_id)
{
	__u64 iova = IOVA;

	return ioas_map(self->fd, ioas_id, self->mem, self->len, &iova,
			MAP_FIXED_RW);
}

TEST_F(live, supply_gives_back_an_address)
{
	char *again;
	__u64 n;

	ASSERT_EQ(0, map_mem(self, self->ioas_id));
	ASSERT_EQ(-EEXIST, uaddr_supply(self->fd, self->ioas_id, IOVA,
					self->len, self->mem));
	ASSERT_EQ(0, uaddr_invalidate(self->fd, self->ioas_id, &n));
	ASSERT_EQ(1, n);
	/* Invalid already: nothing more to invalidate. */
	ASSERT_EQ(0, uaddr_invalidate(self->fd, 0, &n));
	ASSERT_EQ(0, n);

	/* The same pages at another address: a new process's mmap(). */
	again = map_shared(self->memfd, self->len, 0, PROT_RW);
	ASSERT_NE(NULL, again);
	ASSERT_EQ(0, uaddr_supply(self->fd, self->ioas_id, IOVA, self->len,
				  again));
	ASSERT_EQ(-EEXIST, uaddr_supply(self->fd, self->ioas_id, IOVA,
					self->len, again));
	ASSERT_EQ(0, uaddr_invalidate(self->fd, self->ioas_id, &n));
	ASSERT_EQ(1, n);
	ASSERT_EQ(0, uaddr_supply(self->fd, self->ioas_id, IOVA, self->len,
				  self->mem));
	munmap(again, self->len);
}

/* Map three mappings of two pages each, A B C, at IOVA, of the memfd. */
static void map_three(struct __test_metadata *_metadata,
		      struct _test_data_live *self)
{
	size_t two = 2 * page_size;
	__u64 iova;
	int i;

	for (i = 0; i < 3; i++) {
		iova = IOVA + i * two;
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id,
				      self->mem + i * two, two, &iova,
				      MAP_FIXED_RW));
	}
}

/*
 * A range of mappings is invalidated whole or not at all; with
 * IOASID_UADDR_INVALIDATE_VALID every one must have had its address.
 */
TEST_F(live, invalidate_a_range)
{
	const __u32 valid = IOASID_UADDR_INVALIDATE_VALID;
	size_t two = 2 * page_size;
	__u64 n, len;

	map_three(_metadata, self);
	/* Cutting A: nothing changes, A still has its address. */
	ASSERT_EQ(-EINVAL, uaddr_invalidate_range(self->fd, self->ioas_id,
						  valid, IOVA + page_size, two,
						  &n, &len));
	ASSERT_EQ(-EEXIST, uaddr_supply(self->fd, self->ioas_id, IOVA, two,
					self->mem));
	/* A and B. */
	ASSERT_EQ(0, uaddr_invalidate_range(self->fd, self->ioas_id, valid,
					    IOVA, 2 * two, &n, &len));
	ASSERT_EQ(2, n);
	ASSERT_EQ(2 * two, len);
	/* Again: refused with VALID, nothing to do without it. */
	ASSERT_EQ(-EALREADY, uaddr_invalidate_range(self->fd, self->ioas_id,
						    valid, IOVA, 2 * two,
						    &n, &len));
	ASSERT_EQ(0, uaddr_invalidate_range(self->fd, self->ioas_id, 0, IOVA,
					    2 * two, &n, &len));
	ASSERT_EQ(0, n);
	ASSERT_EQ(0, len);
	/* A B C with VALID, or the whole IOAS: C keeps its address. */
	ASSERT_EQ(-EALREADY, uaddr_invalidate_range(self->fd, self->ioas_id,
						    valid, IOVA, 3 * two,
						    &n, &len));
	ASSERT_EQ(-EALREADY, ioasid_ioctl(self->fd, IOASID_UADDR_INVALIDATE,
					  &(struct ioasid_uaddr_invalidate){
						  .size = sizeof(struct ioasid_uaddr_invalidate),
						  .flags = valid,
						  .ioas_id = self->ioas_id }));
	ASSERT_EQ(-EEXIST, uaddr_supply(self->fd, self->ioas_id,
					IOVA + 2 * two, two, self->mem + 2 * two));
	/* A range with no mapping in it. */
	ASSERT_EQ(0, uaddr_invalidate_range(self->fd, self->ioas_id, valid,
					    4 * IOVA, two, &n, &len));
	ASSERT_EQ(0, n);

	/* Bad ranges. */
	ASSERT_EQ(-EINVAL, uaddr_invalidate_range(self->fd, 0, 0, IOVA, two,
						  &n, &len));
	ASSERT_EQ(-EINVAL, uaddr_invalidate_range(self->fd, self->ioas_id, 0,
						  IOVA, 0, &n, &len));
	ASSERT_EQ(-EINVAL, uaddr_invalidate_range(self->fd, self->ioas_id, 0,
						  IOVA + 1, two, &n, &len));
	ASSERT_EQ(-EINVAL, uaddr_invalidate_range(self->fd, self->ioas_id, 0,
						  IOVA, two + 1, &n, &len));
	ASSERT_EQ(-EOVERFLOW, uaddr_invalidate_range(self->fd, self->ioas_id,
						     0, -page_size, two,
						     &n, &len));
	ASSERT_EQ(-ENOENT, uaddr_invalidate_range(self->fd, 999, 0, IOVA, two,
						  &n, &len));
	ASSERT_EQ(-EOPNOTSUPP, uaddr_invalidate_range(self->fd, self->ioas_id,
						      1U << 2, IOVA, two,
						      &n, &len));
	/* A range without IOASID_UADDR_INVALIDATE_RANGE is a mistake. */
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_UADDR_INVALIDATE,
					&(struct ioasid_uaddr_invalidate){
						.size = sizeof(struct ioasid_uaddr_invalidate),
						.ioas_id = self->ioas_id,
						.iova = IOVA,
						.length = two }));
	ASSERT_EQ(0, uaddr_supply(self->fd, self->ioas_id, IOVA, 2 * two,
				  self->mem));
}

/* IOASID_UADDR_SUPPLY_ONE: the range is one mapping, exactly. */
TEST_F(live, supply_one_mapping)
{
	const __u32 one = IOASID_UADDR_SUPPLY_ONE;
	size_t two = 2 * page_size;

	map_three(_metadata, self);
	ASSERT_EQ(0, uaddr_invalidate(self->fd, self->ioas_id, NULL));
	/* Two mappings, one with room around it, part of one: refused. */
	ASSERT_EQ(-EINVAL, uaddr_supply_flags(self->fd, self->ioas_id, one,
					      IOVA, 2 * two, self->mem));
	ASSERT_EQ(-EINVAL, uaddr_supply_flags(self->fd, self->ioas_id, one,
					      IOVA - page_size, two + page_size,
					      self->mem - page_size));
	ASSERT_EQ(-EINVAL, uaddr_supply_flags(self->fd, self->ioas_id, one,
					      IOVA, page_size, self->mem));
	ASSERT_EQ(-ENOENT, uaddr_supply_flags(self->fd, self->ioas_id, one,
					      4 * IOVA, two, self->mem));
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_UADDR_SUPPLY,
					&(struct ioasid_uaddr_supply){
						.size = sizeof(struct ioasid_uaddr_supply),
						.flags = one | IOASID_UADDR_SUPPLY_SHIFT }));
	/* None of that gave an address: B, then A and C, one by one. */
	ASSERT_EQ(0, uaddr_supply_flags(self->fd, self->ioas_id, one,
					IOVA + two, two, self->mem + two));
	ASSERT_EQ(-EEXIST, uaddr_supply_flags(self->fd, self->ioas_id, one,
					      IOVA + two, two, self->mem + two));
	ASSERT_EQ(0, uaddr_supply_flags(self->fd, self->ioas_id, one, IOVA,
					two, self->mem));
	ASSERT_EQ(0, uaddr_supply_flags(self->fd, self->ioas_id, one,
					IOVA + 2 * two, two,
					self->mem + 2 * two));
}

/*
 * Memory that is not the pinned pages is refused, however alike, and
 * leaves the address invalid.
 */
TEST_F(live, supply_refuses_other_memory)
{
	char *anon, *private, *ro;
	__u64 iova = 2 * IOVA;

	ASSERT_EQ(0, map_mem(self, self->ioas_id));
	/* The same pages, read-only, for a mapping devices may only read. */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->mem, self->len,
			      &iova, IOASID_IOAS_MAP_FIXED_IOVA |
			      IOASID_IOAS_MAP_READABLE));
	ASSERT_EQ(0, uaddr_invalidate(self->fd, self->ioas_id, NULL));

	anon = mmap(NULL, self->len, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	fill(anon, 1, self->len);
	ASSERT_EQ(-EXDEV, uaddr_supply(self->fd, self->ioas_id, IOVA,
				       self->len, anon));
	/* Other pages of the same file. */
	ASSERT_EQ(-EXDEV, uaddr_supply(self->fd, self->ioas_id, IOVA,
				       self->len, self->mem + page_size));
	/*
	 * A private mapping, where it still holds the very pages of the file
	 * (read, never written), for the mapping devices only read: a write
	 * of the process would make copies.
	 */
	private = mmap(NULL, self->len, PROT_RW, MAP_PRIVATE, self->memfd, 0);
	ASSERT_NE(MAP_FAILED, private);
	ASSERT_EQ(private[0], self->mem[0]);
	ASSERT_EQ(-EXDEV, uaddr_supply(self->fd, self->ioas_id, 2 * IOVA,
				       self->len, private));
	/* And for the mapping devices write. */
	ASSERT_EQ(-EXDEV, uaddr_supply(self->fd, self->ioas_id, IOVA,
				       self->len, private));
	/* The pages themselves, read-only, for a writeable mapping. */
	ro = map_shared(self->memfd, self->len, 0, PROT_READ);
	ASSERT_NE(NULL, ro);
	ASSERT_EQ(-EACCES, uaddr_supply(self->fd, self->ioas_id, IOVA,
					self->len, ro));
	/* Nothing there. */
	munmap(anon, self->len);
	ASSERT_EQ(-EFAULT, uaddr_supply(self->fd, self->ioas_id, IOVA,
					self->len, anon));

	/* Every refusal left the addresses invalid. */
	ASSERT_EQ(0, uaddr_supply(self->fd, self->ioas_id, IOVA, self->len,
				  self->mem));
	ASSERT_EQ(0, uaddr_supply(self->fd, self->ioas_id, 2 * IOVA,
				  self->len, ro));
	munmap(private, self->len);
	munmap(ro, self->len);
}

/*
 * Private anonymous hugetlb memory is the process's own, as any anonymous
 * memory is: its address is supplied again, though the kernel backs it
 * with a file of its own (found by ioasid_fuzz).
 */
TEST_F(live, supply_takes_private_hugetlb_memory)
{
	struct ioasid_mapping got;
	size_t huge = 2UL << 20;
	long pool = ioasid_huge_pool();
	__u64 iova = 1ULL << 30;
	__u32 n = 1;
	char *mem;

	if (pool < 0 || ioasid_meminfo("Hugepagesize: %ld kB") != 2048 ||
	    ioasid_set_huge_pool(pool + 1))
		SKIP(return, "no 2 MiB hugetlb pages on this kernel");
	mem = mmap(NULL, huge, PROT_RW,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (mem == MAP_FAILED) {
		ioasid_set_huge_pool(pool);
		SKIP(return, "the pool gave no huge page");
	}
	fill(mem, 3, huge);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, mem, huge, &iova,
			      MAP_FIXED_RW));
	ASSERT_EQ(0, uaddr_invalidate(self->fd, self->ioas_id, NULL));
	ASSERT_EQ(0, uaddr_supply(self->fd, self->ioas_id, iova, huge, mem));
	ASSERT_EQ(0, list_mappings(self->fd, self->ioas_id, 0, &got, &n,
				   NULL));
	ASSERT_EQ(1, n);
	ASSERT_EQ((__u64)(uintptr_t)mem, got.user_va);
	ASSERT_EQ(0, got.flags & IOASID_MAPPING_UADDR_INVALID);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, huge, NULL));
	munmap(mem, huge);
	ASSERT_EQ(0, ioasid_set_huge_pool(pool));
	ASSERT_EQ(pool, ioasid_huge_pool());
}

TEST_F(live, bad_arguments_are_refused)
{
	struct ioasid_uaddr_supply supply = {
		.size = sizeof(supply),
		.ioas_id = self->ioas_id,
		.iova = IOVA,
		.length = page_size,
	};
	struct ioasid_uaddr_invalidate inval = { .size = sizeof(inval) };
	struct ioasid_take_ownership take = { .size = sizeof(take) };
	__u64 n;

	ASSERT_EQ(0, map_mem(self, self->ioas_id));
	ASSERT_EQ(0, uaddr_invalidate(self->fd, self->ioas_id, &n));
	supply.user_va = (__u64)(uintptr_t)self->mem;

	supply.flags = 1U << 7;
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_UADDR_SUPPLY,
					    &supply));
	supply.flags = 0;
	supply.__reserved = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_UADDR_SUPPLY,
					&supply));
	ASSERT_EQ(-EINVAL, uaddr_supply(self->fd, self->ioas_id, IOVA,
					self->len, self->mem + 1));
	ASSERT_EQ(-EINVAL, uaddr_supply(self->fd, self->ioas_id, IOVA + 1,
					self->len, self->mem));
	ASSERT_EQ(-EINVAL, uaddr_supply(self->fd, self->ioas_id, IOVA, 0,
					self->mem));
	ASSERT_EQ(-EOVERFLOW, uaddr_supply(self->fd, self->ioas_id,
					   -page_size, 2 * page_size,
					   self->mem));
	ASSERT_EQ(-EOVERFLOW, uaddr_supply(self->fd, self->ioas_id, IOVA,
					   self->len,
					   (void *)(uintptr_t)-page_size));
	/* A range that cuts the mapping, one that holds none. */
	ASSERT_EQ(-EINVAL, uaddr_supply(self->fd, self->ioas_id, IOVA,
					page_size, self->mem));
	ASSERT_EQ(-ENOENT, uaddr_supply(self->fd, self->ioas_id, 4 * IOVA,
					self->len, self->mem));
	ASSERT_EQ(-EINVAL, uaddr_supply(self->fd, 0, IOVA, self->len,
					self->mem));
	ASSERT_EQ(-ENOENT, uaddr_supply(self->fd, 999, IOVA, self->len,
					self->mem));
	supply.__reserved = 0;
	supply.flags = IOASID_UADDR_SUPPLY_SHIFT;
	supply.user_va = 0;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_UADDR_SUPPLY,
					&supply));
	ASSERT_EQ(-EINVAL, uaddr_supply_shift(self->fd, 0, 1));

	inval.flags = 1U << 2;
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_UADDR_INVALIDATE,
					    &inval));
	inval.flags = 0;
	inval.__reserved = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_UADDR_INVALIDATE,
					&inval));
	ASSERT_EQ(-ENOENT, uaddr_invalidate(self->fd, 999, NULL));
	take.flags = 1;
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_TAKE_OWNERSHIP,
					    &take));
	take.flags = 0;
	take.__reserved2 = 1;
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_TAKE_OWNERSHIP,
					&take));

	/* None of it supplied the address. */
	ASSERT_EQ(0, uaddr_supply_shift(self->fd, 0, 0));
	ASSERT_EQ(-ENOENT, uaddr_supply_shift(self->fd, 0, 0));
}

/*
 * One offset gives every IOAS its addresses, all or nothing: a mapping
 * refused in one IOAS leaves the others invalid too.
 */
TEST_F(live, shift_supplies_every_ioas_or_none)
{
	char *again, *anon;
	__u64 n, iova = IOVA;
	__u32 ioas2;

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, map_mem(self, self->ioas_id));
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, self->mem + self->len,
			      self->len, &iova, MAP_FIXED_RW));
	again = map_shared(self->memfd, 2 * self->len, 0, PROT_RW);
	ASSERT_NE(NULL, again);
	anon = mmap(NULL, page_size, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	iova = 2 * IOVA;
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, anon, page_size, &iova,
			      MAP_FIXED_RW));
	ASSERT_EQ(0, uaddr_invalidate(self->fd, 0, &n));
	ASSERT_EQ(3, n);

	/* The anonymous page has no counterpart at its shifted address. */
	ASSERT_NE(0, uaddr_supply_shift(self->fd, 0, again - self->mem));
	ASSERT_EQ(0, uaddr_supply(self->fd, self->ioas_id, IOVA, self->len,
				  self->mem));
	ASSERT_EQ(0, uaddr_invalidate(self->fd, self->ioas_id, &n));
	ASSERT_EQ(1, n);

	ASSERT_EQ(0, ioas_unmap(self->fd, ioas2, 2 * IOVA, page_size, NULL));
	ASSERT_EQ(0, uaddr_supply_shift(self->fd, 0, again - self->mem));
	ASSERT_EQ(-EEXIST, uaddr_supply(self->fd, self->ioas_id, IOVA,
					self->len, again));
	ASSERT_EQ(-EEXIST, uaddr_supply(self->fd, ioas2, IOVA, self->len,
					again + self->len));
	munmap(anon, page_size);
	munmap(again, 2 * self->len);
}

/*
 * No command needs the address of a mapping: with it invalid, a copy,
 * whose address is invalid too, and an unmap work as ever.
 */
TEST_F(live, invalid_mappings_copy_and_unmap)
{
	__u64 iova = IOVA, unmapped;
	__u32 ioas2;

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, map_mem(self, self->ioas_id));
	ASSERT_EQ(0, uaddr_invalidate(self->fd, self->ioas_id, NULL));
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas_id, self->len,
			       &iova, IOVA, MAP_FIXED_RW));
	ASSERT_EQ(0, uaddr_supply(self->fd, ioas2, IOVA, self->len,
				  self->mem));
	ASSERT_EQ(-EEXIST, uaddr_supply(self->fd, ioas2, IOVA, self->len,
					self->mem));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, IOVA, self->len,
				&unmapped));
	ASSERT_EQ(self->len, unmapped);
	ASSERT_EQ(-ENOENT, uaddr_supply(self->fd, self->ioas_id, IOVA,
					self->len, self->mem));
}

/* Read every mapping of @ioas_id, one per call. */
static int read_mappings_one_by_one(int fd, __u32 ioas_id,
				    struct ioasid_mapping *out, int max)
{
	struct ioasid_mapping scratch;
	__u64 next = 0;
	__u32 num;
	int n;

	for (n = 0; n <= max; n++) {
		num = 1;
		if (list_mappings(fd, ioas_id, next, n < max ? &out[n] : &scratch,
				  &num, &next))
			return -1;
		if (!num)
			return n;
	}
	return -1;
}

/*
 * What the context holds, as a new process reads it: the objects, and the
 * mappings of each IOAS with their access and user addresses, valid or not,
 * read a page at a time.
 */
TEST_F(live, state_query_tells_what_was_built)
{
	struct ioasid_object_entry objs[4];
	struct ioasid_mapping maps[4];
	__u64 iova = 2 * IOVA, next;
	__u32 ioas2, num, next_id;

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, map_mem(self, self->ioas_id));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->mem + self->len,
			      page_size, &iova, IOASID_IOAS_MAP_FIXED_IOVA |
			      IOASID_IOAS_MAP_READABLE));
	iova = IOVA;
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas_id, 2 * page_size,
			       &iova, IOVA + page_size, MAP_FIXED_RW));
	ASSERT_EQ(0, uaddr_invalidate(self->fd, ioas2, NULL));

	num = 4;
	ASSERT_EQ(0, list_objects(self->fd, 0, objs, &num, &next_id));
	ASSERT_EQ(2, num);
	ASSERT_EQ(self->ioas_id, objs[0].id);
	ASSERT_EQ(IOASID_OBJECT_IOAS, objs[0].kind);
	ASSERT_EQ(ioas2, objs[1].id);
	ASSERT_EQ(IOASID_OBJECT_IOAS, objs[1].kind);
	ASSERT_EQ(ioas2 + 1, next_id);
	/* A page at a time. */
	num = 1;
	ASSERT_EQ(0, list_objects(self->fd, self->ioas_id + 1, objs, &num,
				  NULL));
	ASSERT_EQ(1, num);
	ASSERT_EQ(ioas2, objs[0].id);
	num = 1;
	ASSERT_EQ(0, list_objects(self->fd, ioas2 + 1, objs, &num, NULL));
	ASSERT_EQ(0, num);

	ASSERT_EQ(2, read_mappings_one_by_one(self->fd, self->ioas_id, maps,
					      4));
	ASSERT_EQ(IOVA, maps[0].iova);
	ASSERT_EQ(self->len, maps[0].length);
	ASSERT_EQ((uintptr_t)self->mem, maps[0].user_va);
	ASSERT_EQ(IOASID_MAPPING_READABLE | IOASID_MAPPING_WRITEABLE,
		  maps[0].flags);
	ASSERT_EQ(2 * IOVA, maps[1].iova);
	ASSERT_EQ(page_size, maps[1].length);
	ASSERT_EQ((uintptr_t)(self->mem + self->len), maps[1].user_va);
	ASSERT_EQ(IOASID_MAPPING_READABLE, maps[1].flags);
	ASSERT_EQ(1, read_mappings_one_by_one(self->fd, ioas2, maps, 4));
	ASSERT_EQ(IOVA, maps[0].iova);
	ASSERT_EQ(2 * page_size, maps[0].length);
	ASSERT_EQ((uintptr_t)(self->mem + page_size), maps[0].user_va);
	ASSERT_EQ(IOASID_MAPPING_READABLE | IOASID_MAPPING_WRITEABLE |
		  IOASID_MAPPING_UADDR_INVALID, maps[0].flags);
	/* All at once, from within the first mapping. */
	num = 4;
	ASSERT_EQ(0, list_mappings(self->fd, self->ioas_id, IOVA + page_size,
				   maps, &num, &next));
	ASSERT_EQ(2, num);
	ASSERT_EQ(2 * IOVA + page_size, next);

	/* Bad arguments. */
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_OBJECTS,
					    &(struct ioasid_objects){
						.size = sizeof(struct ioasid_objects),
						.flags = 1 }));
	ASSERT_EQ(-EINVAL, ioasid_ioctl(self->fd, IOASID_OBJECTS,
					&(struct ioasid_objects){
						.size = sizeof(struct ioasid_objects),
						.__reserved = 1 }));
	ASSERT_EQ(-EOPNOTSUPP, ioasid_ioctl(self->fd, IOASID_IOAS_MAPPINGS,
					    &(struct ioasid_ioas_mappings){
						.size = sizeof(struct ioasid_ioas_mappings),
						.flags = 1 }));
	num = 4;
	ASSERT_EQ(-ENOENT, list_mappings(self->fd, 999, 0, maps, &num, NULL));
	num = 0;
	ASSERT_EQ(-ENOENT, list_mappings(self->fd, 999, 0, maps, &num, NULL));
	num = 4;
	ASSERT_EQ(-EFAULT, list_mappings(self->fd, self->ioas_id, 0, NULL,
					 &num, NULL));
	ASSERT_EQ(-EFAULT, list_objects(self->fd, 0, NULL, &num, NULL));
}

/* What a child reports of its steps. */
struct child_report {
	int rc;
	__u64 moved;
	long pinned_kib;
};

static int write_full(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

static int read_full(int fd, void *buf, size_t len)
{
	return read(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

/*
 * A child takes ownership: the charge moves to it, and its parent may
 * read the context but no longer change it; after the child exits, the
 * parent takes it back.
 */
TEST_F(live, ownership_moves_the_charge)
{
	struct child_report report = {};
	struct ioasid_ioas_info info;
	int to_child[2], to_parent[2];
	__u64 moved, iova = 2 * IOVA;
	__u32 ioas2;
	pid_t pid;
	char go;

	ASSERT_EQ(0, map_mem(self, self->ioas_id));
	ASSERT_EQ(self->pinned_kib + self->len / 1024, vm_pinned_kib(0));
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		report.rc = take_ownership(self->fd, &report.moved);
		report.pinned_kib = vm_pinned_kib(0);
		if (write_full(to_parent[1], &report, sizeof(report)) ||
		    read_full(to_child[0], &go, 1))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(0, read_full(to_parent[0], &report, sizeof(report)));
	ASSERT_EQ(0, report.rc);
	ASSERT_EQ(self->len, report.moved);
	ASSERT_EQ(self->len / 1024, report.pinned_kib);
	ASSERT_EQ(self->pinned_kib, vm_pinned_kib(0));

	/* The parent reads, and changes nothing. */
	ASSERT_EQ(0, ioas_info(self->fd, self->ioas_id, &info));
	ASSERT_EQ(-EPERM, map_mem(self, self->ioas_id));
	ASSERT_EQ(-EPERM, ioas_unmap(self->fd, self->ioas_id, IOVA, self->len,
				     NULL));
	ASSERT_EQ(-EPERM, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(-EPERM, ioasid_destroy(self->fd, self->ioas_id));
	ASSERT_EQ(-EPERM, uaddr_invalidate(self->fd, 0, NULL));
	ASSERT_EQ(-EPERM, uaddr_supply_shift(self->fd, 0, 0));
	ASSERT_EQ(-EPERM, ioas_copy(self->fd, self->ioas_id, self->ioas_id,
				    page_size, &iova, IOVA, MAP_FIXED_RW));
	ASSERT_EQ(-EPERM, ioas_allow_iovas(self->fd, self->ioas_id, NULL, 0));
	ASSERT_EQ(0, write_full(to_child[1], "g", 1));
	ASSERT_EQ(0, wait_exit_status(pid));

	/* The owner is gone; its charge stays until someone takes over. */
	ASSERT_EQ(-EPERM, ioas_map(self->fd, self->ioas_id, self->mem,
				   page_size, &iova, MAP_FIXED_RW));
	ASSERT_EQ(0, take_ownership(self->fd, &moved));
	ASSERT_EQ(self->len, moved);
	ASSERT_EQ(self->pinned_kib + self->len / 1024, vm_pinned_kib(0));
	ASSERT_EQ(0, take_ownership(self->fd, &moved));
	ASSERT_EQ(0, moved);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->mem + self->len,
			      page_size, &iova, MAP_FIXED_RW));
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

/* Take ownership as an unprivileged user with a memlock limit of 1 page. */
static int take_over_the_limit(int fd)
{
	struct rlimit limit = { page_size, page_size };

	if (setrlimit(RLIMIT_MEMLOCK, &limit) || setuid(65534))
		return 100;
	return -take_ownership(fd, NULL);
}

/* Refused over the new owner's limit: nothing moves, nothing changes. */
TEST_F(live, ownership_over_the_limit_is_refused)
{
	__u64 iova = 2 * IOVA;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root, to become another user");
	ASSERT_EQ(0, map_mem(self, self->ioas_id));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(take_over_the_limit(self->fd));
	ASSERT_EQ(ENOMEM, wait_exit_status(pid));
	ASSERT_EQ(self->pinned_kib + self->len / 1024, vm_pinned_kib(0));
	/* Still no owner: anyone may change the context. */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, self->mem + self->len,
			      page_size, &iova, MAP_FIXED_RW));
}

/*
 * A mapping of a file has no user address: invalidation leaves it alone,
 * there is nothing to supply, the state query says which file and where,
 * and its charge moves with the rest.
 */
TEST_F(live, file_mappings_need_no_address)
{
	__u64 n, moved, iova = 2 * IOVA;
	struct child_report report = {};
	struct ioasid_mapping maps[3];
	int to_parent[2];
	struct stat st;
	__u32 ioas2;
	pid_t pid;

	ASSERT_EQ(0, fstat(self->memfd, &st));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, map_mem(self, self->ioas_id));
	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id, self->memfd,
				   self->len, self->len, &iova, MAP_FIXED_RW));
	ASSERT_EQ(self->pinned_kib + 2 * self->len / 1024, vm_pinned_kib(0));
	iova = IOVA;
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas_id, page_size,
			       &iova, 2 * IOVA + page_size, MAP_FIXED_RW));

	ASSERT_EQ(0, uaddr_invalidate(self->fd, 0, &n));
	ASSERT_EQ(1, n);
	ASSERT_EQ(2, read_mappings_one_by_one(self->fd, self->ioas_id, maps,
					      3));
	ASSERT_EQ(IOASID_MAPPING_READABLE | IOASID_MAPPING_WRITEABLE |
		  IOASID_MAPPING_UADDR_INVALID, maps[0].flags);
	ASSERT_EQ(0, maps[0].file_ino);
	ASSERT_EQ(0, maps[0].file_dev);
	ASSERT_EQ(0, maps[0].file_offset);
	ASSERT_EQ(2 * IOVA, maps[1].iova);
	ASSERT_EQ(self->len, maps[1].length);
	ASSERT_EQ(IOASID_MAPPING_READABLE | IOASID_MAPPING_WRITEABLE |
		  IOASID_MAPPING_FILE, maps[1].flags);
	ASSERT_EQ(st.st_ino, maps[1].file_ino);
	ASSERT_EQ(st.st_dev, maps[1].file_dev);
	ASSERT_EQ(self->len, maps[1].file_offset);
	ASSERT_EQ(0, maps[1].user_va);
	/* A copy maps the same file, from where it copied. */
	ASSERT_EQ(1, read_mappings_one_by_one(self->fd, ioas2, maps, 3));
	ASSERT_EQ(IOASID_MAPPING_READABLE | IOASID_MAPPING_WRITEABLE |
		  IOASID_MAPPING_FILE, maps[0].flags);
	ASSERT_EQ(st.st_ino, maps[0].file_ino);
	ASSERT_EQ(self->len + page_size, maps[0].file_offset);

	/* Nothing to supply there, by range or by offset. */
	ASSERT_EQ(-ENOENT, uaddr_supply(self->fd, self->ioas_id, 2 * IOVA,
					self->len, self->mem + self->len));
	ASSERT_EQ(-ENOENT, uaddr_supply(self->fd, ioas2, IOVA, page_size,
					self->mem + self->len + page_size));
	ASSERT_EQ(0, uaddr_supply_shift(self->fd, 0, 0));
	ASSERT_EQ(-ENOENT, uaddr_supply_shift(self->fd, 0, 0));

	/* A child takes over: the charge of both mappings moves, once. */
	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		report.rc = take_ownership(self->fd, &report.moved);
		report.pinned_kib = vm_pinned_kib(0);
		_exit(write_full(to_parent[1], &report, sizeof(report)));
	}
	ASSERT_EQ(0, read_full(to_parent[0], &report, sizeof(report)));
	ASSERT_EQ(0, wait_exit_status(pid));
	ASSERT_EQ(0, report.rc);
	ASSERT_EQ(2 * self->len, report.moved);
	ASSERT_EQ(2 * self->len / 1024, report.pinned_kib);
	ASSERT_EQ(self->pinned_kib, vm_pinned_kib(0));
	ASSERT_EQ(0, take_ownership(self->fd, &moved));
	ASSERT_EQ(2 * self->len, moved);
	ASSERT_EQ(self->pinned_kib + 2 * self->len / 1024, vm_pinned_kib(0));
	close(to_parent[0]);
	close(to_parent[1]);
}

/*
 * The pins are real and every one is dropped: sealing the file against
 * writes, which waits for its pages' pins to go, fails while a mapping of
 * it exists (two mappings, a copy) and succeeds once they are gone.
 */
TEST_F(live, file_pins_hold_until_unmapped)
{
	__u64 iova = IOVA;
	__u32 ioas2;
	int memfd;

	memfd = memfd_create("ioasid_seal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, self->len));
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id, memfd, 0,
				   self->len, &iova, MAP_FIXED_RW));
	iova = 2 * IOVA;
	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id, memfd, page_size,
				   page_size, &iova, MAP_FIXED_RW));
	iova = IOVA;
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas_id, 2 * page_size,
			       &iova, IOVA, MAP_FIXED_RW));
	ASSERT_EQ(-1, fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE));
	ASSERT_EQ(EBUSY, errno);
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, NULL));
	ASSERT_EQ(-1, fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE));
	ASSERT_EQ(EBUSY, errno);
	ASSERT_EQ(0, ioasid_destroy(self->fd, ioas2));
	ASSERT_EQ(0, fcntl(memfd, F_ADD_SEALS, F_SEAL_WRITE));
	ASSERT_EQ(-EPERM, ioas_map_file(self->fd, self->ioas_id, memfd, 0,
					self->len, &iova, MAP_FIXED_RW));
	close(memfd);
}

/* Map a file over the memlock limit of 1 page, as an unprivileged user. */
static int map_file_over_the_limit(int fd, __u32 ioas_id, int memfd,
				   size_t len)
{
	struct rlimit limit = { page_size, page_size };
	__u64 iova = IOVA;

	if (setrlimit(RLIMIT_MEMLOCK, &limit) || setuid(65534))
		return 100;
	return -ioas_map_file(fd, ioas_id, memfd, 0, len, &iova,
			      IOASID_IOAS_MAP_FIXED_IOVA |
			      IOASID_IOAS_MAP_READABLE);
}

TEST_F(live, map_file_refuses_bad_arguments)
{
	const __u32 ro_flags = IOASID_IOAS_MAP_FIXED_IOVA |
			       IOASID_IOAS_MAP_READABLE;
	char path[64];
	int ro, wo, sealed, proc, pipefd[2];
	__u64 iova = IOVA;
	pid_t pid;

	ASSERT_EQ(-EBADF, ioas_map_file(self->fd, self->ioas_id, -1, 0,
					self->len, &iova, MAP_FIXED_RW));
	ASSERT_EQ(-EOPNOTSUPP, ioas_map_file(self->fd, self->ioas_id,
					     self->memfd, 0, self->len, &iova,
					     MAP_FIXED_RW | 1U << 7));
	ASSERT_EQ(-EINVAL, ioas_map_file(self->fd, self->ioas_id, self->memfd,
					 0, self->len, &iova,
					 IOASID_IOAS_MAP_FIXED_IOVA));
	ASSERT_EQ(-EINVAL, ioas_map_file(self->fd, self->ioas_id, self->memfd,
					 page_size / 2, self->len, &iova,
					 MAP_FIXED_RW));
	ASSERT_EQ(-EINVAL, ioas_map_file(self->fd, self->ioas_id, self->memfd,
					 0, 0, &iova, MAP_FIXED_RW));
	ASSERT_EQ(-EOVERFLOW, ioas_map_file(self->fd, self->ioas_id,
					    self->memfd, -page_size,
					    2 * page_size, &iova,
					    MAP_FIXED_RW));
	/* Past the end of the file, which the MAP does not grow. */
	ASSERT_EQ(-EINVAL, ioas_map_file(self->fd, self->ioas_id, self->memfd,
					 self->len, 2 * self->len, &iova,
					 MAP_FIXED_RW));
	ASSERT_EQ(-ENOENT, ioas_map_file(self->fd, 999, self->memfd, 0,
					 self->len, &iova, MAP_FIXED_RW));

	/* Files that are not memory. */
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(-EINVAL, ioas_map_file(self->fd, self->ioas_id, pipefd[0], 0,
					 page_size, &iova, ro_flags));
	proc = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, proc);
	ASSERT_EQ(-EINVAL, ioas_map_file(self->fd, self->ioas_id, proc, 0,
					 page_size, &iova, ro_flags));

	/* Read by devices, the file must allow reads; written, writes. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->memfd);
	wo = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, wo);
	ASSERT_EQ(-EACCES, ioas_map_file(self->fd, self->ioas_id, wo, 0,
					 self->len, &iova, MAP_FIXED_RW));
	ro = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	ASSERT_EQ(-EACCES, ioas_map_file(self->fd, self->ioas_id, ro, 0,
					 self->len, &iova, MAP_FIXED_RW));
	sealed = memfd_create("ioasid_sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ASSERT_LE(0, sealed);
	ASSERT_EQ(0, ftruncate(sealed, self->len));
	ASSERT_EQ(0, fcntl(sealed, F_ADD_SEALS, F_SEAL_WRITE));
	ASSERT_EQ(-EPERM, ioas_map_file(self->fd, self->ioas_id, sealed, 0,
					self->len, &iova, MAP_FIXED_RW));
	/* Devices may read them both. */
	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id, ro, 0, self->len,
				   &iova, ro_flags));
	ASSERT_EQ(-EEXIST, ioas_map_file(self->fd, self->ioas_id, sealed, 0,
					 self->len, &iova, ro_flags));
	iova = 2 * IOVA;
	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id, sealed, 0,
				   self->len, &iova, ro_flags));
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, NULL));

	/* Over the memlock limit, charging nothing. */
	if (!geteuid()) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(map_file_over_the_limit(self->fd, self->ioas_id,
						      self->memfd, self->len));
		ASSERT_EQ(ENOMEM, wait_exit_status(pid));
	}
	close(sealed);
	close(ro);
	close(wo);
	close(proc);
	close(pipefd[0]);
	close(pipefd[1]);
}

/* The flags of every mapping of @ioas_id OR-ed, and AND-ed; -1 on error. */
static int mapping_flags(int fd, __u32 ioas_id, __u32 *any, __u32 *every)
{
	struct ioasid_mapping maps[64];
	__u64 next = 0;
	__u32 num, i;

	*any = 0;
	*every = ~0U;
	do {
		num = ARRAY_SIZE(maps);
		if (list_mappings(fd, ioas_id, next, maps, &num, &next))
			return -1;
		for (i = 0; i < num; i++) {
			*any |= maps[i].flags;
			*every &= maps[i].flags;
		}
	} while (num == ARRAY_SIZE(maps));
	return 0;
}

/*
 * The old owner dies with its addresses invalidated: the context lives on
 * in whoever holds the file, who takes it over and supplies its own.
 */
TEST_F(live, old_owner_killed_after_invalidating)
{
	struct ioasid_mapping map;
	int ready[2];
	__u64 moved;
	__u32 num = 1;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (take_ownership(self->fd, NULL) ||
		    map_mem(self, self->ioas_id) ||
		    uaddr_invalidate(self->fd, 0, NULL) ||
		    write_full(ready[1], "r", 1))
			_exit(1);
		pause();
		_exit(2);
	}
	ASSERT_EQ(0, read_full(ready[0], &c, 1));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));

	ASSERT_EQ(0, list_mappings(self->fd, self->ioas_id, 0, &map, &num,
				   NULL));
	ASSERT_EQ(1, num);
	ASSERT_TRUE(map.flags & IOASID_MAPPING_UADDR_INVALID);
	ASSERT_EQ(-EPERM, uaddr_supply(self->fd, self->ioas_id, IOVA,
				       self->len, self->mem));
	ASSERT_EQ(0, take_ownership(self->fd, &moved));
	ASSERT_EQ(self->len, moved);
	ASSERT_EQ(self->pinned_kib + self->len / 1024, vm_pinned_kib(0));
	ASSERT_EQ(0, uaddr_supply(self->fd, self->ioas_id, IOVA, self->len,
				  self->mem));
	num = 1;
	ASSERT_EQ(0, list_mappings(self->fd, self->ioas_id, 0, &map, &num,
				   NULL));
	ASSERT_EQ(IOASID_MAPPING_READABLE | IOASID_MAPPING_WRITEABLE,
		  map.flags);
	close(ready[0]);
	close(ready[1]);
}

#define KILL_MAPS 512
#define KILL_MAP_SIZE (128UL << 10)

/*
 * A new owner killed at any point of a long supply leaves every address
 * supplied or none: the state query finds no mix.
 */
TEST_F_TIMEOUT(live, new_owner_killed_while_supplying, 300)
{
	size_t each = page_size > KILL_MAP_SIZE ? page_size : KILL_MAP_SIZE;
	size_t len = KILL_MAPS * each;
	static const int delays_us[] = { 0, 1000, 4000, 15000, 60000, 250000 };
	__u32 any, every;
	int memfd, n, k, started[2];
	__u64 iova;
	char *big, c;
	pid_t pid;

	memfd = memfd_create("ioasid_live_big", MFD_CLOEXEC);
	ASSERT_LE(0, memfd);
	ASSERT_EQ(0, ftruncate(memfd, len));
	big = map_shared(memfd, len, 0, PROT_RW);
	ASSERT_NE(NULL, big);
	memset(big, 1, len);
	for (n = 0; n < KILL_MAPS; n++) {
		iova = IOVA + n * each;
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, big + n * each,
				      each, &iova, MAP_FIXED_RW));
	}

	ASSERT_EQ(0, pipe(started));
	for (k = 0; k < ARRAY_SIZE(delays_us); k++) {
		ASSERT_EQ(0, uaddr_invalidate(self->fd, 0, NULL));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			if (take_ownership(self->fd, NULL) ||
			    write_full(started[1], "s", 1))
				_exit(1);
			_exit(-uaddr_supply_shift(self->fd, 0, 0));
		}
		/* The delays count from the start of the supply. */
		ASSERT_EQ(0, read_full(started[0], &c, 1));
		usleep(delays_us[k]);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, NULL, 0));
		ASSERT_EQ(0, mapping_flags(self->fd, self->ioas_id, &any,
					   &every));
		/* All invalid, or all valid. */
		ASSERT_EQ(any & IOASID_MAPPING_UADDR_INVALID,
			  every & IOASID_MAPPING_UADDR_INVALID);
		TH_LOG("killed after %d us: %s", delays_us[k],
		       every & IOASID_MAPPING_UADDR_INVALID ? "none supplied" :
		       "all supplied");
		ASSERT_EQ(0, take_ownership(self->fd, NULL));
	}
	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, NULL));
	munmap(big, len);
	close(memfd);
	close(started[0]);
	close(started[1]);
}

/*
 * The new process of a handover: exec()'d with the Unix socket at fd 3,
 * on which it receives the context, the device file and the memfd.
 */
struct handover {
	__u64 len;
	bool die_after_take;
	bool files;
};

/* What the new process found, step by step, for its parent to check. */
struct new_owner_report {
	int query;
	__u32 ioas_id;
	__u32 attached_ioas_id;
	int take;
	__u64 moved;
	int wrong_memory;
	int supply;
	long pinned_kib;
	int dma;
	bool landed_during;
	bool landed_after;
	int map;
};

#define HANDOVER_SOCKET 3
#define NEW_OWNER_ARG "--new-owner"

static int send_files(int sock, const struct handover *h, const int *fds,
		      int nfds)
{
	char control[CMSG_SPACE(4 * sizeof(int))] = {};
	struct iovec iov = { (void *)h, sizeof(*h) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = CMSG_SPACE(nfds * sizeof(int)),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(cmsg), fds, nfds * sizeof(int));
	return sendmsg(sock, &msg, 0) == sizeof(*h) ? 0 : -1;
}

static int receive_files(int sock, struct handover *h, int *fds, int nfds)
{
	char control[CMSG_SPACE(4 * sizeof(int))] = {};
	struct iovec iov = { h, sizeof(*h) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = CMSG_SPACE(nfds * sizeof(int)),
	};
	struct cmsghdr *cmsg;

	if (recvmsg(sock, &msg, 0) != sizeof(*h))
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(nfds * sizeof(int)))
		return -1;
	memcpy(fds, CMSG_DATA(cmsg), nfds * sizeof(int));
	return 0;
}

static bool mapping_of_file(const struct ioasid_mapping *map,
			    const struct stat *st, __u64 offset)
{
	return map->flags & IOASID_MAPPING_FILE && map->file_ino == st->st_ino &&
	       map->file_dev == st->st_dev && map->file_offset == offset;
}

static bool mapping_invalid_at(const struct ioasid_mapping *map, __u64 va)
{
	return map->flags & IOASID_MAPPING_UADDR_INVALID && map->user_va == va;
}

/*
 * Learn from the context alone its IOAS, the IOAS its device is attached
 * to, and its NPAGES mappings: with @files, each of page after page of the
 * file @memfd; else, all invalid, of the memory at *@old_va page after
 * page.
 */
static int learn_context(int fd, struct new_owner_report *r, bool files,
			 int memfd, __u64 *old_va)
{
	struct ioasid_mapping maps[NPAGES + 1];
	struct ioasid_object_entry objs[4];
	__u32 num = ARRAY_SIZE(objs), i;
	struct stat st;

	if (list_objects(fd, 0, objs, &num, NULL) || fstat(memfd, &st))
		return -1;
	for (i = 0; i < num; i++) {
		if (objs[i].kind == IOASID_OBJECT_IOAS)
			r->ioas_id = objs[i].id;
		else
			r->attached_ioas_id = objs[i].attached_ioas_id;
	}
	num = ARRAY_SIZE(maps);
	if (list_mappings(fd, r->ioas_id, 0, maps, &num, NULL) ||
	    num != NPAGES)
		return -1;
	*old_va = maps[0].user_va;
	for (i = 0; i < num; i++)
		if (!(files ? mapping_of_file(&maps[i], &st, i * page_size) :
			      mapping_invalid_at(&maps[i], *old_va + i * page_size)))
			return -1;
	return 0;
}

/*
 * The new owner: learn what the context holds, take it over, offer wrong
 * memory first, then the memfd mapped at a new address, with one offset
 * for every mapping (mappings of the file need none: both find nothing to
 * supply); run a DMA of its own through the device file; map memory of its
 * own.
 */
static int new_owner(void)
{
	struct new_owner_report r = {};
	struct edu_bar bar = {};
	struct handover h;
	char *mem, *anon, go;
	__u64 iova, old_va = 0;
	int fds[3];

	page_size = getpagesize();
	if (receive_files(HANDOVER_SOCKET, &h, fds, 3))
		return 1;
	r.query = learn_context(fds[0], &r, h.files, fds[2], &old_va);
	r.take = take_ownership(fds[0], &r.moved);
	if (h.die_after_take)
		raise(SIGKILL);
	mem = map_shared(fds[2], h.len, 0, PROT_RW);
	anon = mmap(NULL, h.len, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!mem || anon == MAP_FAILED)
		return 2;
	fill(anon, 0x22, h.len);
	r.wrong_memory = uaddr_supply_shift(fds[0], 0,
					    (__u64)(uintptr_t)anon - old_va);
	r.supply = uaddr_supply_shift(fds[0], 0,
				      (__u64)(uintptr_t)mem - old_va);
	r.pinned_kib = vm_pinned_kib(0);

	/* Page 2 gets the transfer started before the handover. */
	r.dma = edu_map(fds[1], &bar);
	if (!r.dma)
		r.dma = edu_dma_wait(&bar);
	r.landed_during = all(mem + 2 * page_size, 0x22, 64);
	fill(mem + 3 * page_size, 0x33, page_size);
	if (!r.dma)
		r.dma = edu_dma(&bar, DMA_IOVA(3), 64, false);
	if (!r.dma)
		r.dma = edu_dma(&bar, DMA_IOVA(4), 64, true);
	r.landed_after = all(mem + 4 * page_size, 0x33, 64);
	iova = DMA_IOVA(NPAGES);
	r.map = ioas_map(fds[0], r.ioas_id, anon, page_size, &iova,
			 MAP_FIXED_RW);
	if (write_full(HANDOVER_SOCKET, &r, sizeof(r)) ||
	    read_full(HANDOVER_SOCKET, &go, 1))
		return 3;
	return 0;
}

/*
 * Start this binary as a new owner, with @sock as its fd 3; returns its
 * pid.
 */
static pid_t spawn_new_owner(int sock)
{
	char self_exe[PATH_MAX] = {};
	pid_t pid;

	if (readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1) < 0)
		return -1;
	pid = fork();
	if (pid)
		return pid;
	if (dup2(sock, HANDOVER_SOCKET) == HANDOVER_SOCKET)
		execl(self_exe, self_exe, NEW_OWNER_ARG, NULL);
	_exit(127);
}

/*
 * An edu device attached to an IOAS, doing DMA to NPAGES pages of a memfd
 * mapped one page a mapping at DMA_IOVA(n).
 */
FIXTURE(edu_live) {
	char bdf[16];
	int devfd;
	int fd;
	char unsafe;
	__u32 dev_id;
	__u32 ioas_id;
	int memfd;
	char *mem;
	size_t len;
	struct edu_bar bar;
	long pinned_kib;
	struct ioasid_counters start;
};

FIXTURE_SETUP(edu_live)
{
	char bdfs[4][16];
	__u64 iova;
	int n, rc;

	self->bdf[0] = '\0';
	if (access(IOASID_DEV, F_OK) || ioasid_read_counters(&self->start))
		SKIP(return, "ioasid.ko not loaded or debugfs not mounted");
	if (find_edu(bdfs, 4) < 1)
		SKIP(return, "no edu device (1234:11e8) on this machine");
	snprintf(self->bdf, sizeof(self->bdf), "%s", bdfs[0]);
	self->pinned_kib = vm_pinned_kib(0);
	edu_open(_metadata, self->bdf, &self->unsafe, &self->devfd, &self->fd);
	ASSERT_EQ(0, pci_bind(self->devfd, self->fd, &self->dev_id));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	rc = attach(self->fd, self->dev_id, self->ioas_id, 0);
	if (rc == -EOPNOTSUPP) {
		edu_close(_metadata, self->bdf, self->unsafe, self->devfd,
			  self->fd, &self->start);
		self->bdf[0] = '\0';
		SKIP(return, "the IOMMU gives this device no paging domain");
	}
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0, edu_map(self->devfd, &self->bar));
	ASSERT_EQ(0, pci_bus_master(self->devfd, 1));
	self->len = NPAGES * page_size;
	self->memfd = memfd_create("ioasid_live", MFD_CLOEXEC);
	ASSERT_LE(0, self->memfd);
	ASSERT_EQ(0, ftruncate(self->memfd, self->len));
	self->mem = map_shared(self->memfd, self->len, 0, PROT_RW);
	ASSERT_NE(NULL, self->mem);
	for (n = 0; n < NPAGES; n++) {
		iova = DMA_IOVA(n);
		ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id,
				      self->mem + n * page_size, page_size,
				      &iova, MAP_FIXED_RW));
	}
}

FIXTURE_TEARDOWN(edu_live)
{
	if (!self->bdf[0])
		return;
	munmap(self->mem, self->len);
	close(self->memfd);
	edu_close(_metadata, self->bdf, self->unsafe, self->devfd, self->fd,
		  &self->start);
	ASSERT_EQ(self->pinned_kib, vm_pinned_kib(0));
}

/* Give each mapping its page of the fixture's memfd again. */
static int supply_each(struct _test_data_edu_live *self)
{
	int n, rc = 0;

	for (n = 0; n < NPAGES && !rc; n++)
		rc = uaddr_supply(self->fd, self->ioas_id, DMA_IOVA(n),
				  page_size, self->mem + n * page_size);
	return rc;
}

/*
 * Invalidate, start a transfer that lands while the new process starts,
 * and hand the files over; returns the new process's pid.  @files: the
 * mappings are of the memfd, with no address to invalidate.
 */
static pid_t hand_over(struct __test_metadata *_metadata,
		       struct _test_data_edu_live *self, int sock[2],
		       bool die_after_take, bool files)
{
	struct handover h = {
		.len = self->len,
		.die_after_take = die_after_take,
		.files = files,
	};
	int fds[3] = { self->fd, self->devfd, self->memfd };
	__u64 n;
	pid_t pid;

	fill(self->mem, 0x22, page_size);
	EXPECT_EQ(0, edu_dma(&self->bar, DMA_IOVA(0), 64, false));
	edu_dma_start(&self->bar, DMA_IOVA(2), 64, true);
	EXPECT_EQ(0, uaddr_invalidate(self->fd, 0, &n));
	EXPECT_EQ(files ? 0 : NPAGES, n);
	pid = spawn_new_owner(sock[1]);
	EXPECT_LT(0, pid);
	EXPECT_EQ(0, send_files(sock[0], &h, fds, 3));
	return pid;
}

/* A transfer each way before the handover, landing in the memfd. */
static void dma_before(struct __test_metadata *_metadata,
		       struct _test_data_edu_live *self)
{
	fill(self->mem, 0x11, page_size);
	EXPECT_EQ(0, edu_dma(&self->bar, DMA_IOVA(0), 64, false));
	EXPECT_EQ(0, edu_dma(&self->bar, DMA_IOVA(1), 64, true));
	EXPECT_TRUE(all(self->mem + page_size, 0x11, 64));
}

/*
 * What the new owner found: the context as built, the charge moved to it,
 * @wrong and @supply from its two supplies, and DMA landing during and
 * after the handover in the very pages the old process sees.
 */
static void check_new_owner(struct __test_metadata *_metadata,
			    struct _test_data_edu_live *self,
			    const struct new_owner_report *r, int wrong,
			    int supply)
{
	EXPECT_EQ(0, r->query);
	EXPECT_EQ(self->ioas_id, r->ioas_id);
	EXPECT_EQ(self->ioas_id, r->attached_ioas_id);
	EXPECT_EQ(0, r->take);
	EXPECT_EQ(self->len, r->moved);
	EXPECT_EQ(wrong, r->wrong_memory);
	EXPECT_EQ(supply, r->supply);
	EXPECT_EQ(self->len / 1024, r->pinned_kib);
	EXPECT_EQ(self->pinned_kib, vm_pinned_kib(0));
	EXPECT_TRUE(r->landed_during);
	EXPECT_TRUE(all(self->mem + 2 * page_size, 0x22, 64));
	EXPECT_EQ(0, r->dma);
	EXPECT_TRUE(r->landed_after);
	EXPECT_TRUE(all(self->mem + 4 * page_size, 0x33, 64));
	EXPECT_EQ(0, r->map);
}

TEST_F(edu_live, handover_keeps_dma_landing)
{
	struct new_owner_report r;
	int sock[2];
	__u64 moved;
	pid_t pid;

	dma_before(_metadata, self);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock));
	pid = hand_over(_metadata, self, sock, false, false);
	ASSERT_EQ(0, read_full(sock[0], &r, sizeof(r)));
	check_new_owner(_metadata, self, &r, -EXDEV, 0);
	ASSERT_EQ(-EPERM, supply_each(self));
	ASSERT_EQ(0, write_full(sock[0], "g", 1));
	ASSERT_EQ(0, wait_exit_status(pid));

	/* The old process takes it back, with what the new one mapped. */
	ASSERT_EQ(0, take_ownership(self->fd, &moved));
	ASSERT_EQ(self->len + page_size, moved);
	ASSERT_EQ(0, uaddr_invalidate(self->fd, 0, NULL));
	ASSERT_EQ(0, supply_each(self));
	fill(self->mem + 5 * page_size, 0, page_size);
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(5), 64, true));
	ASSERT_TRUE(all(self->mem + 5 * page_size, 0x33, 64));
	close(sock[0]);
	close(sock[1]);
}

/*
 * The same handover with every page mapped from the memfd itself: nothing
 * to invalidate or supply, the DMA lands in the same pages of the file
 * throughout, and the charge moves with ownership.
 */
TEST_F(edu_live, handover_of_file_mappings_needs_no_address)
{
	struct new_owner_report r;
	int sock[2], n;
	__u64 moved, iova;
	pid_t pid;

	ASSERT_EQ(0, ioas_unmap_all(self->fd, self->ioas_id, NULL));
	for (n = 0; n < NPAGES; n++) {
		iova = DMA_IOVA(n);
		ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id,
					   self->memfd, n * page_size,
					   page_size, &iova, MAP_FIXED_RW));
	}
	ASSERT_EQ(self->pinned_kib + self->len / 1024, vm_pinned_kib(0));
	dma_before(_metadata, self);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock));
	pid = hand_over(_metadata, self, sock, false, true);
	ASSERT_EQ(0, read_full(sock[0], &r, sizeof(r)));
	check_new_owner(_metadata, self, &r, -ENOENT, -ENOENT);
	ASSERT_EQ(0, write_full(sock[0], "g", 1));
	ASSERT_EQ(0, wait_exit_status(pid));

	ASSERT_EQ(0, take_ownership(self->fd, &moved));
	ASSERT_EQ(self->len + page_size, moved);
	fill(self->mem + 5 * page_size, 0, page_size);
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(5), 64, true));
	ASSERT_TRUE(all(self->mem + 5 * page_size, 0x33, 64));
	close(sock[0]);
	close(sock[1]);
}

/*
 * The new process dies right after taking over: the context is as it
 * left it, and the old process takes it back and goes on.
 */
TEST_F(edu_live, new_owner_killed_after_taking_over)
{
	int sock[2];
	__u64 moved;
	pid_t pid;
	int status;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock));
	pid = hand_over(_metadata, self, sock, true, false);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(SIGKILL, WTERMSIG(status));

	ASSERT_EQ(-EPERM, supply_each(self));
	ASSERT_EQ(0, take_ownership(self->fd, &moved));
	ASSERT_EQ(self->len, moved);
	ASSERT_EQ(self->pinned_kib + self->len / 1024, vm_pinned_kib(0));
	ASSERT_EQ(0, supply_each(self));
	ASSERT_EQ(0, edu_dma_wait(&self->bar));
	ASSERT_TRUE(all(self->mem + 2 * page_size, 0x22, 64));
	fill(self->mem + 3 * page_size, 0x44, page_size);
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(3), 64, false));
	ASSERT_EQ(0, edu_dma(&self->bar, DMA_IOVA(4), 64, true));
	ASSERT_TRUE(all(self->mem + 4 * page_size, 0x44, 64));
	close(sock[0]);
	close(sock[1]);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], NEW_OWNER_ARG))
		return new_owner();
	page_size = getpagesize();
	return test_harness_run(argc, argv);
}
