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
 * effect, does a MAP of memory its owner (see below) already pins whole in
 * the context, at the same user address, with the same page frames and at
 * least the same access: the new pin is dropped and the existing one shared,
 * so mapping one buffer again and again costs an area, not a pin.  The last
 * reference unpins, marking the pages dirty if they were pinned for writing.
 *
 * Charging.  Pinned pages are charged to their owner: the user and the
 * address space of the task that maps them, which need not be the task that
 * opened the context (a manager may open /dev/ioasid and hand the file to
 * unprivileged VMMs, each of which must pay for its own pins).  Each owner
 * the context charges has a struct ioasid_account, found or made on the
 * owner's first MAP; every pin points to the account it charged, so that it
 * is uncharged there, whoever drops it and whenever, even after the owner's
 * process has exited.  A charge is a number of pages added to the
 * user's locked_vm, against the RLIMIT_MEMLOCK of the task that maps
 * (CAP_IPC_LOCK lifts the limit, not the charge), and to the address space's
 * pinned_vm (VmPin in /proc/PID/status).  An account is all that the rest
 * of the module knows of an owner, so moving a pin to another owner is a
 * matter of charging the other account and uncharging this one.
 *
 * A VMM maps the same guest memory into several IOASes, so a page must be
 * charged once per owner however often the owner pins it.  Every struct
 * ioasid_pages of an account sits in its pins, an interval tree by user page
 * number.  A page of a new pin is already charged exactly when another pin
 * of the same account holds the same page frame at the same user page
 * number; only the others are charged.  Unpinning uncharges, by the same
 * rule, the pages no other pin of the account still holds.  So the charge of
 * an account is always the number of distinct (user page, page frame) pairs
 * its pins hold.  The same frame pinned through two different user
 * addresses, or by two owners, is charged twice: over-charging, never under.
 * Memory is shared whole (see above) only with a pin of the same account.
 *
 * Pages are charged as they are pinned, batch by batch: a pin enters its
 * account's tree with its first batch and grows with each batch charged, and
 * the next batch is pinned only once the previous one is charged.  So a MAP
 * holds at most one batch more pinned than charged, and N concurrent MAPs at
 * most N batches, whatever their lengths; a MAP longer than the limit is
 * refused before anything is pinned.  A MAP whose batch goes over the limit
 * fails and gives back all it pinned and charged.  A pin still pinning is in
 * its account's tree only as far as it has charged, and cannot be shared.
 *
 * Vocabulary: a page "index" counts pages from the start of one struct
 * ioasid_pages; a user page number is a user address >> PAGE_SHIFT.
 * Ranges named "last" are inclusive.
 */
#include <linux/capability.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
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
 * How many of the user pages [@first, @last] of @pages, which must not be in
 * its account's tree over that range, another pin of the account holds at
 * the same page frame: those are charged already.
 *
 * Walk the range in segments over which nothing changes: the segment ends
 * where a run of @pages or of any pin covering its start ends, where the part
 * of that pin which is charged ends, or where another pin begins.  Over such
 * a segment two pins that hold the same frame at its start hold the same
 * frames all along.
 */
static unsigned long pages_charged_elsewhere(struct ioasid_pages *pages,
					     unsigned long first,
					     unsigned long last)
{
	struct rb_root_cached *root = &pages->acct->pins;
	unsigned long upn = first;
	unsigned long shared = 0;

	lockdep_assert_held(&pages->ictx->acct_lock);

	while (upn <= last) {
		struct interval_tree_node *node;
		unsigned long pfn, end, other_pfn, other_end;
		bool same = false;

		pfn = pages_pfn_at(pages, upn, &end);
		end = min(end, last);
		for (node = interval_tree_iter_first(root, upn, end); node;
		     node = interval_tree_iter_next(node, upn, end)) {
			struct ioasid_pages *other =
				container_of(node, struct ioasid_pages, acct_node);

			if (node->start > upn) {
				end = min(end, node->start - 1);
				continue;
			}
			other_pfn = pages_pfn_at(other, upn, &other_end);
			/* Frames past the node are pinned, not charged. */
			end = min3(end, other_end, node->last);
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

/* Charge @acct for @npages, against the limit of the current task. */
static int account_charge(struct ioasid_account *acct, unsigned long npages)
{
	int rc;

	if (!npages)
		return 0;
	rc = user_charge(acct->user, npages);
	if (rc)
		return rc;
	atomic64_add(npages, &acct->mm->pinned_vm);
	ioasid_count(IOASID_CNT_ACCOUNTED, npages);
	return 0;
}

/* Give back @npages that account_charge() charged @acct. */
static void account_uncharge(struct ioasid_account *acct, unsigned long npages)
{
	atomic_long_sub(npages, &acct->user->locked_vm);
	atomic64_sub(npages, &acct->mm->pinned_vm);
	ioasid_count(IOASID_CNT_ACCOUNTED, -(long)npages);
}

/* The account of the current task's user and address space, if any. */
static struct ioasid_account *account_find_current(struct ioasid_ctx *ictx)
{
	struct ioasid_account *acct;

	lockdep_assert_held(&ictx->acct_lock);

	list_for_each_entry(acct, &ictx->accounts, link)
		if (acct->user == current_user() && acct->mm == current->mm)
			return acct;
	return NULL;
}

static struct ioasid_account *account_alloc_current(struct ioasid_ctx *ictx)
{
	struct ioasid_account *acct;

	lockdep_assert_held(&ictx->acct_lock);

	acct = ioasid_kzalloc(sizeof(*acct));
	if (!acct)
		return NULL;
	acct->user = get_uid(current_user());
	mmgrab(current->mm);
	acct->mm = current->mm;
	acct->pins = RB_ROOT_CACHED;
	list_add(&acct->link, &ictx->accounts);
	return acct;
}

/* Drop a pin's use of @acct; the last one frees it. */
static void account_put(struct ioasid_ctx *ictx, struct ioasid_account *acct)
{
	lockdep_assert_held(&ictx->acct_lock);

	if (--acct->nr_pins)
		return;
	WARN_ON(!RB_EMPTY_ROOT(&acct->pins.rb_root));
	list_del(&acct->link);
	free_uid(acct->user);
	mmdrop(acct->mm);
	kfree(acct);
}

/* Point a new pin to the account of the current task, made if need be. */
static int pages_bind_account(struct ioasid_pages *pages)
{
	struct ioasid_ctx *ictx = pages->ictx;
	struct ioasid_account *acct;

	mutex_lock(&ictx->acct_lock);
	acct = account_find_current(ictx) ?: account_alloc_current(ictx);
	if (acct) {
		acct->nr_pins++;
		pages->acct = acct;
	}
	mutex_unlock(&ictx->acct_lock);
	return acct ? 0 : -ENOMEM;
}

/*
 * Charge the @n pages from page @index on, just recorded in the runs, for
 * those not charged already, and grow the pin's node in the account's tree
 * over them.  The pages charged so far end just before @index.
 */
static int pages_charge_batch(struct ioasid_pages *pages, unsigned long index,
			      unsigned long n)
{
	struct ioasid_account *acct = pages->acct;
	unsigned long first = pages->acct_node.start + index;
	unsigned long last = first + n - 1;
	int rc;

	rc = account_charge(acct, n - pages_charged_elsewhere(pages, first, last));
	if (rc)
		return rc;
	if (!RB_EMPTY_NODE(&pages->acct_node.rb))
		interval_tree_remove(&pages->acct_node, &acct->pins);
	pages->acct_node.last = last;
	interval_tree_insert(&pages->acct_node, &acct->pins);
	return 0;
}

/*
 * Record and charge @n pages just pinned, from page @index on.  On error the
 * pages not recorded are unpinned and those recorded but not charged stay in
 * the runs.
 */
static int pages_commit_batch(struct ioasid_pages *pages, unsigned long index,
			      struct page **batch, unsigned long n)
{
	struct ioasid_ctx *ictx = pages->ictx;
	int rc;

	mutex_lock(&ictx->acct_lock);
	rc = pages_add_batch(pages, index, batch, n);
	if (!rc)
		rc = pages_charge_batch(pages, index, n);
	mutex_unlock(&ictx->acct_lock);
	return rc;
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
	rc = pages_commit_batch(pages, done, batch, pinned);
	return rc ?: pinned;
}

/*
 * Pin and charge every page, a batch at a time; on error the pages pinned so
 * far stay in pages->runs, and those charged in the account's tree.  A small
 * pin needs no allocation: its page pointers fit on the stack.
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

/*
 * A complete, live pin of the same account holding all of @pages, with a new
 * reference.
 */
static struct ioasid_pages *pages_find_container(struct ioasid_pages *pages)
{
	struct rb_root_cached *root = &pages->acct->pins;
	unsigned long upn = pages->acct_node.start;
	struct interval_tree_node *node;

	lockdep_assert_held(&pages->ictx->acct_lock);

	for (node = interval_tree_iter_first(root, upn, upn); node;
	     node = interval_tree_iter_next(node, upn, upn)) {
		struct ioasid_pages *other =
			container_of(node, struct ioasid_pages, acct_node);

		/* Nor is a pin still pinning, nor one whose last ref is going. */
		if (!other->pinning && pages_contain(other, pages) &&
		    kref_get_unless_zero(&other->kref))
			return other;
	}
	return NULL;
}

/*
 * End the pinning of @pages, all charged, and return a pin that already
 * holds all of it, with a reference; or NULL, and then @pages may be shared.
 */
static struct ioasid_pages *pages_complete(struct ioasid_pages *pages)
{
	struct ioasid_ctx *ictx = pages->ictx;
	struct ioasid_pages *container;

	mutex_lock(&ictx->acct_lock);
	container = pages_find_container(pages);
	if (!container)
		pages->pinning = false;
	mutex_unlock(&ictx->acct_lock);
	return container;
}

/* Uncharge the pages of @pages that no other pin of its account holds. */
static void pages_uncharge(struct ioasid_pages *pages)
{
	struct ioasid_ctx *ictx = pages->ictx;
	struct ioasid_account *acct = pages->acct;
	struct interval_tree_node *node = &pages->acct_node;

	if (!acct)
		return;
	mutex_lock(&ictx->acct_lock);
	if (!RB_EMPTY_NODE(&node->rb)) {
		interval_tree_remove(node, &acct->pins);
		RB_CLEAR_NODE(&node->rb);
		account_uncharge(acct, node->last - node->start + 1 -
				 pages_charged_elsewhere(pages, node->start,
							 node->last));
	}
	account_put(ictx, acct);
	mutex_unlock(&ictx->acct_lock);
}

/* Uncharge, unpin and free @pages. */
static void pages_destroy(struct ioasid_pages *pages)
{
	pages_uncharge(pages);
	pages_unpin(pages);
	if (pages->runs != &pages->first_run)
		kvfree(pages->runs);
	kfree(pages);
}

static struct ioasid_pages *pages_alloc(struct ioasid_ctx *ictx,
					unsigned long uptr, unsigned long length,
					bool writable)
{
	struct ioasid_pages *pages;

	pages = ioasid_kzalloc(sizeof(*pages));
	if (!pages)
		return NULL;
	kref_init(&pages->kref);
	pages->ictx = ictx;
	pages->npages = length >> PAGE_SHIFT;
	pages->writable = writable;
	pages->pinning = true;
	RB_CLEAR_NODE(&pages->acct_node.rb);
	pages->acct_node.start = uptr >> PAGE_SHIFT;
	pages->runs = &pages->first_run;
	pages->max_runs = 1;
	return pages;
}

/**
 * ioasid_pages_pin() - pin user memory and charge it to the current task
 * @ictx: the context pinning it
 * @uptr: the page-aligned start of the memory in the current process
 * @length: its page-aligned, non-zero length
 * @writable: pin for writing
 * @pgoff: set to the index of the memory's first page in the pages returned
 *
 * The pages are charged to the account of the current task's user and
 * address space in @ictx, batch by batch as they are pinned.  When a pin of
 * that account already holds all of the memory (see the theory of
 * operation), that pin is returned and @pgoff says where the memory starts
 * in it.
 *
 * Return: the pinned pages with a reference for the caller, or an ERR_PTR:
 * -EFAULT part of the range is not mapped (or is read-only and @writable),
 * -ENOMEM out of memory, or @length or the charge of a batch over the
 * RLIMIT_MEMLOCK of the current task, -EINTR a fatal signal arrived.  On
 * error nothing stays pinned or charged.
 */
struct ioasid_pages *ioasid_pages_pin(struct ioasid_ctx *ictx,
				      unsigned long uptr, unsigned long length,
				      bool writable, unsigned long *pgoff)
{
	struct ioasid_pages *pages, *container = NULL;
	int rc;

	if (length >> PAGE_SHIFT > memlock_limit_pages() &&
	    !capable(CAP_IPC_LOCK))
		return ERR_PTR(-ENOMEM);

	pages = pages_alloc(ictx, uptr, length, writable);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	rc = pages_bind_account(pages);
	if (!rc)
		rc = pages_pin_user(pages, uptr);
	if (!rc)
		container = pages_complete(pages);
	if (rc || container) {
		pages_destroy(pages);
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

	pages_destroy(pages);
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
