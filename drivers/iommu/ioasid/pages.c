// SPDX-License-Identifier: GPL-2.0
/*
 * Pinning user memory and charging it to its owner.
 *
 * Theory of operation
 *
 * Every MAP pins the user memory it names once, whole, into a struct
 * ioasid_pages, before the IOAS is locked: pinning is the slow part of a map
 * and must not stall the other commands of the IOAS.  Pages are pinned with
 * FOLL_LONGTERM in batches of up to a page of page pointers (those of a
 * small MAP fit on the stack), and stored as runs of physically contiguous
 * page frames, in user address order: a huge page is one run, so later IOMMU
 * mapping can use the largest page sizes and unpinning works a range at a
 * time.  The first run is stored in the struct ioasid_pages itself, so a MAP
 * of physically contiguous memory needs no array of runs.  COPY never pins:
 * the new areas take references on the same struct ioasid_pages.  Nor, in
 * effect, does a MAP of memory the context already pins whole, at the same
 * user address, with the same page frames and at least the same access: the
 * new pin is dropped and the existing one shared, so mapping one buffer
 * again and again costs an area, not a pin.  The last reference unpins,
 * marking the pages dirty if they were pinned for writing.
 *
 * Charging.  Pinned pages are charged to the locked_vm of the user who
 * opened the context, against the RLIMIT_MEMLOCK of the task that maps
 * (CAP_IPC_LOCK lifts the limit, not the charge).  A MAP longer than the
 * limit is refused before anything is pinned, which bounds what a task can
 * hold pinned while its charge is being decided.  A VMM maps the same guest
 * memory into several IOASes, so a page must be charged once however often
 * the context pins it.  Every struct ioasid_pages of a context sits in
 * ictx->acct_pages, an interval tree by user page number.  A page of a new
 * pin is already charged exactly when another pin of the context holds the
 * same page frame at the same user page number; only the others are
 * charged.  Unpinning uncharges, by the same rule, the pages no other pin
 * still holds.  So the charge of a context is always the number of distinct
 * (user page, page frame) pairs it pins.  The same frame pinned through two
 * different user addresses is charged twice: over-charging, never under.
 *
 * Vocabulary: a page "index" counts pages from the start of one struct
 * ioasid_pages; a user page number is a user address >> PAGE_SHIFT.
 * Ranges named "last" are inclusive.
 */
#include <linux/capability.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>

#include "ioasid.h"

#define PIN_BATCH (PAGE_SIZE / sizeof(struct page *))
#define PIN_ON_STACK 16

/*
 * The run holding page @index; @index must be below pages->npages, so there
 * is at least one run.
 */
static struct ioasid_run *pages_find_run(struct ioasid_pages *pages,
					 unsigned long index)
{
	unsigned long lo = 0, hi = pages->nr_runs - 1;

	while (lo < hi) {
		unsigned long mid = lo + (hi - lo + 1) / 2;

		if (pages->runs[mid].index <= index)
			lo = mid;
		else
			hi = mid - 1;
	}
	return &pages->runs[lo];
}

/* Double the room for runs; the first run is stored in the pages. */
static int pages_grow_runs(struct ioasid_pages *pages)
{
	unsigned long want = 2 * pages->max_runs;
	struct ioasid_run *runs;

	if (ioasid_should_fail())
		return -ENOMEM;
	runs = kvmalloc_array(want, sizeof(*runs),
			      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!runs)
		return -ENOMEM;
	memcpy(runs, pages->runs, pages->nr_runs * sizeof(*runs));
	if (pages->runs != &pages->first_run)
		kvfree(pages->runs);
	pages->runs = runs;
	pages->max_runs = want;
	return 0;
}

/* Append @npages frames from @pfn on, at page @index, to the runs. */
static int pages_add_frames(struct ioasid_pages *pages, unsigned long index,
			    unsigned long pfn, unsigned long npages)
{
	struct ioasid_run *run;

	if (pages->nr_runs) {
		run = &pages->runs[pages->nr_runs - 1];
		if (run->pfn + run->npages == pfn) {
			run->npages += npages;
			return 0;
		}
	}
	if (pages->nr_runs == pages->max_runs && pages_grow_runs(pages))
		return -ENOMEM;
	run = &pages->runs[pages->nr_runs++];
	run->index = index;
	run->pfn = pfn;
	run->npages = npages;
	return 0;
}

/*
 * Record @n pages just pinned, from page @index on.  Contiguous frames are
 * counted in a tight loop, so a huge page costs a compare per base page.  On
 * error the pages not recorded are unpinned.
 */
static int pages_add_batch(struct ioasid_pages *pages, unsigned long index,
			   struct page **batch, unsigned long n)
{
	unsigned long i = 0, j, pfn;

	while (i < n) {
		pfn = page_to_pfn(batch[i]);
		for (j = i + 1; j < n && page_to_pfn(batch[j]) == pfn + j - i; j++)
			;
		if (pages_add_frames(pages, index + i, pfn, j - i)) {
			unpin_user_pages(batch + i, n - i);
			ioasid_count(IOASID_CNT_PINNED, i);
			return -ENOMEM;
		}
		i = j;
	}
	ioasid_count(IOASID_CNT_PINNED, n);
	return 0;
}

static long pages_pin_batch(struct ioasid_pages *pages, unsigned long uptr,
			    unsigned long done, struct page **batch,
			    unsigned long batch_len)
{
	unsigned int gup_flags = FOLL_LONGTERM;
	unsigned long n = min(pages->npages - done, batch_len);
	long pinned;
	int rc;

	if (pages->writable)
		gup_flags |= FOLL_WRITE;
	if (ioasid_should_fail())
		return -ENOMEM;
	pinned = pin_user_pages_fast(uptr + done * PAGE_SIZE, n, gup_flags,
				     batch);
	if (pinned <= 0)
		return pinned ?: -EFAULT;
	rc = pages_add_batch(pages, done, batch, pinned);
	return rc ?: pinned;
}

/*
 * Pin every page; on error the pages pinned so far stay in pages->runs.  A
 * small pin needs no allocation: its page pointers fit on the stack.
 */
static int pages_pin_user(struct ioasid_pages *pages, unsigned long uptr)
{
	struct page *small[PIN_ON_STACK], **batch = small;
	unsigned long batch_len = ARRAY_SIZE(small), done = 0;
	long rc = 0;

	if (pages->npages > batch_len) {
		if (ioasid_should_fail())
			return -ENOMEM;
		batch = (struct page **)__get_free_page(GFP_KERNEL);
		if (!batch)
			return -ENOMEM;
		batch_len = PIN_BATCH;
	}

	while (done < pages->npages) {
		rc = pages_pin_batch(pages, uptr, done, batch, batch_len);
		if (rc < 0)
			break;
		done += rc;
		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			break;
		}
		cond_resched();
	}
	if (batch != small)
		free_page((unsigned long)batch);
	return rc < 0 ? rc : 0;
}

static void pages_unpin(struct ioasid_pages *pages)
{
	unsigned long i;

	for (i = 0; i < pages->nr_runs; i++) {
		struct ioasid_run *run = &pages->runs[i];

		unpin_user_page_range_dirty_lock(pfn_to_page(run->pfn),
						 run->npages, pages->writable);
		ioasid_count(IOASID_CNT_PINNED, -run->npages);
		cond_resched();
	}
}

/* The page frame at user page number @upn, and how far it runs on. */
static unsigned long pages_pfn_at(struct ioasid_pages *pages,
				  unsigned long upn, unsigned long *run_last)
{
	unsigned long index = upn - pages->acct_node.start;
	struct ioasid_run *run = pages_find_run(pages, index);

	*run_last = pages->acct_node.start + run->index + run->npages - 1;
	return run->pfn + (index - run->index);
}

/*
 * How many pages of @pages another pin of the context (in acct_pages, which
 * must not hold @pages itself) holds at the same user page: those are
 * charged already.
 *
 * Walk @pages in segments over which nothing changes: the segment ends where
 * a run of @pages or of any pin covering its start ends, or where another
 * pin begins.  Over such a segment two pins that hold the same frame at its
 * start hold the same frames all along.
 */
static unsigned long pages_charged_elsewhere(struct ioasid_pages *pages)
{
	struct rb_root_cached *root = &pages->ictx->acct_pages;
	unsigned long upn = pages->acct_node.start;
	unsigned long last = pages->acct_node.last;
	unsigned long shared = 0;

	lockdep_assert_held(&pages->ictx->acct_lock);

	while (upn <= last) {
		struct interval_tree_node *node;
		unsigned long pfn, end, other_pfn, other_end;
		bool same = false;

		pfn = pages_pfn_at(pages, upn, &end);
		for (node = interval_tree_iter_first(root, upn, end); node;
		     node = interval_tree_iter_next(node, upn, end)) {
			struct ioasid_pages *other =
				container_of(node, struct ioasid_pages, acct_node);

			if (node->start > upn) {
				end = min(end, node->start - 1);
				continue;
			}
			other_pfn = pages_pfn_at(other, upn, &other_end);
			end = min(end, other_end);
			/* Shared up to @end: no other pin can change that. */
			if (other_pfn == pfn) {
				same = true;
				break;
			}
		}
		if (same)
			shared += end - upn + 1;
		upn = end + 1;
		cond_resched();
	}
	return shared;
}

static unsigned long memlock_limit_pages(void)
{
	return rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
}

static int user_charge(struct user_struct *user, unsigned long npages)
{
	unsigned long limit = memlock_limit_pages();
	unsigned long locked = atomic_long_read(&user->locked_vm);

	do {
		if (locked + npages > limit && !capable(CAP_IPC_LOCK))
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &locked,
					  locked + npages));
	return 0;
}

/* Does @big hold every page of @small, at the same user pages? */
static bool pages_contain(struct ioasid_pages *big, struct ioasid_pages *small)
{
	unsigned long upn = small->acct_node.start;
	unsigned long end, big_end;

	if (big->acct_node.start > upn || big->acct_node.last < small->acct_node.last ||
	    (small->writable && !big->writable))
		return false;
	while (upn <= small->acct_node.last) {
		if (pages_pfn_at(small, upn, &end) != pages_pfn_at(big, upn, &big_end))
			return false;
		upn = min(end, big_end) + 1;
	}
	return true;
}

/* A live pin of the context holding all of @pages, with a new reference. */
static struct ioasid_pages *pages_find_container(struct ioasid_pages *pages)
{
	struct rb_root_cached *root = &pages->ictx->acct_pages;
	unsigned long upn = pages->acct_node.start;
	struct interval_tree_node *node;

	lockdep_assert_held(&pages->ictx->acct_lock);

	for (node = interval_tree_iter_first(root, upn, upn); node;
	     node = interval_tree_iter_next(node, upn, upn)) {
		struct ioasid_pages *other =
			container_of(node, struct ioasid_pages, acct_node);

		/* A pin whose last reference is going is no container. */
		if (pages_contain(other, pages) && kref_get_unless_zero(&other->kref))
			return other;
	}
	return NULL;
}

/*
 * Charge a new pin, or find a live pin of the context that already holds all
 * of it: then *@container is set, with a reference, and nothing is charged.
 */
static int pages_charge(struct ioasid_pages *pages,
			struct ioasid_pages **container)
{
	struct ioasid_ctx *ictx = pages->ictx;
	unsigned long npages;
	int rc = 0;

	mutex_lock(&ictx->acct_lock);
	*container = pages_find_container(pages);
	if (!*container) {
		npages = pages->npages - pages_charged_elsewhere(pages);
		rc = user_charge(ictx->user, npages);
		if (!rc) {
			interval_tree_insert(&pages->acct_node,
					     &ictx->acct_pages);
			ioasid_count(IOASID_CNT_ACCOUNTED, npages);
		}
	}
	mutex_unlock(&ictx->acct_lock);
	return rc;
}

static void pages_uncharge(struct ioasid_pages *pages)
{
	struct ioasid_ctx *ictx = pages->ictx;
	unsigned long npages;

	mutex_lock(&ictx->acct_lock);
	interval_tree_remove(&pages->acct_node, &ictx->acct_pages);
	npages = pages->npages - pages_charged_elsewhere(pages);
	atomic_long_sub(npages, &ictx->user->locked_vm);
	ioasid_count(IOASID_CNT_ACCOUNTED, -npages);
	mutex_unlock(&ictx->acct_lock);
}

static void pages_free(struct ioasid_pages *pages)
{
	pages_unpin(pages);
	if (pages->runs != &pages->first_run)
		kvfree(pages->runs);
	kfree(pages);
}

/**
 * ioasid_pages_pin() - pin and charge user memory
 * @ictx: the context to charge
 * @uptr: the page-aligned start of the memory in the current process
 * @length: its page-aligned, non-zero length
 * @writable: pin for writing
 * @pgoff: set to the index of the memory's first page in the pages returned
 *
 * When the context already pins all of the memory (see the theory of
 * operation), that pin is returned and @pgoff says where the memory starts
 * in it.
 *
 * Return: the pinned pages with a reference for the caller, or an ERR_PTR:
 * -EFAULT part of the range is not mapped (or is read-only and @writable),
 * -ENOMEM out of memory or over RLIMIT_MEMLOCK, -EINTR a fatal signal
 * arrived.  On error nothing stays pinned or charged.
 */
struct ioasid_pages *ioasid_pages_pin(struct ioasid_ctx *ictx,
				      unsigned long uptr, unsigned long length,
				      bool writable, unsigned long *pgoff)
{
	struct ioasid_pages *pages, *container;
	int rc;

	if (length >> PAGE_SHIFT > memlock_limit_pages() &&
	    !capable(CAP_IPC_LOCK))
		return ERR_PTR(-ENOMEM);

	pages = ioasid_kzalloc(sizeof(*pages));
	if (!pages)
		return ERR_PTR(-ENOMEM);
	kref_init(&pages->kref);
	pages->ictx = ictx;
	pages->npages = length >> PAGE_SHIFT;
	pages->writable = writable;
	pages->acct_node.start = uptr >> PAGE_SHIFT;
	pages->acct_node.last = pages->acct_node.start + pages->npages - 1;
	pages->runs = &pages->first_run;
	pages->max_runs = 1;

	rc = pages_pin_user(pages, uptr);
	if (!rc)
		rc = pages_charge(pages, &container);
	if (rc || container) {
		pages_free(pages);
		if (rc)
			return ERR_PTR(rc);
		*pgoff = (uptr >> PAGE_SHIFT) - container->acct_node.start;
		return container;
	}
	*pgoff = 0;
	return pages;
}

static void pages_release(struct kref *kref)
{
	struct ioasid_pages *pages = container_of(kref, struct ioasid_pages, kref);

	pages_uncharge(pages);
	pages_free(pages);
}

/**
 * ioasid_pages_pfn() - the page frame of one pinned page
 * @pages: the pinned pages
 * @index: the page, below pages->npages
 * @npages: set to the number of pages from @index to the end of its run of
 *	contiguous frames
 *
 * Return: the page frame number.
 */
unsigned long ioasid_pages_pfn(struct ioasid_pages *pages, unsigned long index,
			       unsigned long *npages)
{
	struct ioasid_run *run = pages_find_run(pages, index);

	*npages = run->index + run->npages - index;
	return run->pfn + (index - run->index);
}

/**
 * ioasid_pages_put() - drop a reference; the last one uncharges and unpins
 * @pages: the pinned pages
 */
void ioasid_pages_put(struct ioasid_pages *pages)
{
	kref_put(&pages->kref, pages_release);
}
