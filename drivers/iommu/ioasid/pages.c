// SPDX-License-Identifier: GPL-2.0
/*
 * Pinning user memory and charging it to its owner.
 *
 * Theory of operation
 *
 * Every MAP pins the user memory it names before the IOAS is locked (pinning
 * is the slow part of a map and must not stall the other commands of the
 * IOAS), and gets a struct ioasid_pages: the user pages [start, start +
 * npages) of one owner, pinned, which the areas of the MAP and of the COPYs
 * made from it share by reference.  The owner is the user and the address
 * space of the task that maps (struct ioasid_account), which need not be the
 * task that opened the context: a manager may open /dev/ioasid and hand the
 * file to unprivileged VMMs, each of which pays for its own pins.
 *
 * Pinned once.  The page frames live in struct ioasid_pin: user pages pinned
 * with FOLL_LONGTERM and stored as runs of physically contiguous frames (a
 * huge page is one run, so the IOMMU can map it with its largest pages, and
 * it is unpinned a range at a time).  The pins of an owner sit in its shared
 * pinset, an interval tree by user page number in which pins never overlap,
 * so a user page is pinned at most once for its owner however often it is
 * mapped, copied or mapped in part.  A struct ioasid_pages holds a reference
 * (users) on every pin of its pinset that overlaps its range, and a pin lives
 * until the last of them goes.  A MAP over memory partly pinned already
 * shares the pins it finds, where they hold the frames the owner's memory
 * has now, and pins only the rest: mapping a thousand overlapping ranges of a
 * buffer pins each of its pages once.  A MAP that falls within one complete
 * pin shares, rather than a struct ioasid_pages of its own, the pin's whole
 * (a struct ioasid_pages of exactly that pin, when one exists), at an
 * offset, so mapping a buffer again and again costs an area and nothing
 * more; and the frames of a struct ioasid_pages that one complete pin holds
 * are read without a lock, the pin's runs never changing once complete.
 *
 * Charged once.  A pin is charged to its owner as it is made, one page for
 * each of its pages: to the user's locked_vm, against the RLIMIT_MEMLOCK of
 * the task that maps (CAP_IPC_LOCK lifts the limit, not the charge), and to
 * the address space's pinned_vm (VmPin in /proc/PID/status).  It is
 * uncharged there when it is unpinned, whoever drops it and whenever, even
 * after the owner's process has exited.  So an owner is charged exactly what
 * it has pinned, and what its pins take, pins and kernel memory, is bounded
 * by its charge: a pin holds at least one charged page, and so does each of
 * its runs.  The same frame pinned at two user addresses, or by two owners,
 * is pinned and charged twice: over-charging, never under.
 *
 * Replaced memory.  A pinset keys pins by user page, so it holds one frame
 * per user page.  Should the owner's memory at a page have another frame
 * than the shared pin there (the process put other memory at an address
 * while a mapping of the old memory still pins it), the MAP starts again in
 * a pinset of its own, which no other MAP shares: its whole range is pinned
 * and charged again.
 *
 * Batches.  Memory is pinned in batches of up to a page of page pointers
 * (those of a small MAP fit on the stack), and each batch is committed to the
 * pinset under ictx->acct_lock before the next is pinned: the pages a pin of
 * the set holds already are unpinned again and that pin shared, the others
 * are charged and added to the pin the MAP is building.  So a MAP holds at
 * most one batch (or 1 GiB and a huge page) more pinned than charged, and N
 * concurrent MAPs at most N of them, whatever their lengths; a MAP longer
 * than the limit is refused before anything is pinned.  A pin is in its
 * set, and may be shared, from its first batch on; it grows batch by batch
 * while its MAP builds it.
 *
 * Dirty pages.  Devices may write what a writable MAP maps.  A pin made by a
 * writable MAP was pinned for writing, all of it, and is unpinned dirty,
 * after every area using it has left the IOMMUs.  The rare writable MAP
 * that shares a pin made for reading marks its own pages of it dirty when
 * it is released, after its areas have left the IOMMUs.
 *
 * Huge pages.  Each batch starts with its first page pinned alone.  When
 * that page is of a hugetlb folio, which is only ever mapped whole, so that
 * the pages after it at the following user addresses are the rest of the
 * folio, the batch is of hugetlb folios: a page of each of the next ones is
 * pinned, while they come to less than 1 GiB, and each folio's one pin is
 * kept for all of its pages.  Pinning a huge page costs one call of GUP, as
 * a base page does, whatever its size (its charge is still a page for each
 * base page).  Such pins hold one pin on each folio each of their runs
 * touches, rather than one on each page, and are marked so (pin->folios);
 * they are unpinned a folio at a time.  The rest of a folio that a pin of
 * the set cut short is pinned again, into another pin.  A MAP whose memory
 * goes from huge pages to others, or back, starts a new pin.  Other memory,
 * transparent huge pages included, is pinned a page at a time, as no
 * exported interface tells how a large folio is mapped; its frames are still
 * recorded and unpinned a piece of a folio at a time.
 *
 * Files.  A MAP_FILE pins the pages of a file (memfd_pin_folios()), which
 * takes one pin on each folio of the range, a huge page with one; its pins
 * are pins of folios as well.  They are keyed by index in the file, in a
 * pinset of the MAP's own, so nothing shares them but the areas of the MAP
 * and of COPYs made from it; they are charged as user pins are, a page for
 * each page mapped.  A batch is as many folios as a page of pointers holds,
 * and the next batch starts after its last folio, so no folio is pinned
 * twice by one pin.
 *
 * Vocabulary: a user page number (upn) is a user address >> PAGE_SHIFT; a
 * page "index" counts pages from the start of a pin.  Ranges named "last"
 * are inclusive.
 */
#include <linux/capability.h>
#include <linux/falloc.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/shmem_fs.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "ioasid.h"

#define PIN_BATCH (PAGE_SIZE / sizeof(struct page *))
#define PIN_ON_STACK 16

/**
 * struct pin_cursor - how far a MAP is in committing its batches
 * @pin: the last pin the MAP took a reference on
 * @building: @pin is the one the MAP is making, and ends just below the
 *	next page to commit
 */
struct pin_cursor {
	struct ioasid_pin *pin;
	bool building;
};

/* The run holding page @index of @pin, which has at least one run. */
static struct ioasid_run *pin_find_run(struct ioasid_pin *pin,
				       unsigned long index)
{
	unsigned long lo = 0, hi = pin->nr_runs - 1;

	while (lo < hi) {
		unsigned long mid = lo + (hi - lo + 1) / 2;

		if (pin->runs[mid].index <= index)
			lo = mid;
		else
			hi = mid - 1;
	}
	return &pin->runs[lo];
}

/* The frame of @pin at user page @upn, and the last user page of its run. */
static unsigned long pin_pfn_at(struct ioasid_pin *pin, unsigned long upn,
				unsigned long *run_last)
{
	unsigned long index = upn - pin->node.start;
	struct ioasid_run *run = pin_find_run(pin, index);

	*run_last = pin->node.start + run->index + run->npages - 1;
	return run->pfn + (index - run->index);
}

/* Double the room for runs; the first run is stored in the pin. */
static int pin_grow_runs(struct ioasid_pin *pin)
{
	unsigned long want = 2 * pin->max_runs;
	struct ioasid_run *runs;

	if (ioasid_should_fail())
		return -ENOMEM;
	runs = kvmalloc_array(want, sizeof(*runs),
			      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!runs)
		return -ENOMEM;
	memcpy(runs, pin->runs, pin->nr_runs * sizeof(*runs));
	if (pin->runs != &pin->first_run)
		kvfree(pin->runs);
	pin->runs = runs;
	pin->max_runs = want;
	return 0;
}

/*
 * Append @npages contiguous frames from @pfn to @pin, as its page @index
 * on: the last run grows when they continue it.
 */
static int pin_add_frames(struct ioasid_pin *pin, unsigned long index,
			  unsigned long pfn, unsigned long npages)
{
	struct ioasid_run *run;

	run = pin->nr_runs ? &pin->runs[pin->nr_runs - 1] : NULL;
	if (run && run->pfn + run->npages == pfn) {
		run->npages += npages;
		return 0;
	}
	if (pin->nr_runs == pin->max_runs && pin_grow_runs(pin))
		return -ENOMEM;
	run = &pin->runs[pin->nr_runs++];
	run->index = index;
	run->pfn = pfn;
	run->npages = npages;
	return 0;
}

/*
 * Frames just pinned, to add to a pin: user pages, a page each; or with
 * @huge, one page of each of several hugetlb folios, pinned once, each
 * followed in the memory by the rest of its folio; or folios of a file,
 * from @offset pages into the first one.
 */
struct pin_source {
	struct page **pages;
	bool huge;
	struct folio **folios;
	unsigned long offset;
};

/* How many pages of its folio @page and those after it are. */
static unsigned long folio_len_from(struct page *page)
{
	struct folio *folio = page_folio(page);

	return folio_nr_pages(folio) - folio_page_idx(folio, page);
}

/*
 * How many of @batch[0..n) are the pages that follow @batch[0] in its
 * folio: a compare of page pointers each, the struct pages of a folio
 * being contiguous.
 */
static unsigned long batch_folio_len(struct page **batch, unsigned long n)
{
	unsigned long i, max = min(n, folio_len_from(batch[0]));

	for (i = 1; i < max && batch[i] == batch[0] + i; i++)
		;
	return i;
}

/*
 * Append the frames of @batch[0..n) to @pin, from page @index on, a piece
 * of a folio at a time.  On error the runs may hold part of the batch:
 * pin_trim_runs() takes it back.
 */
static int pin_add_pages(struct ioasid_pin *pin, unsigned long index,
			 struct page **batch, unsigned long n)
{
	unsigned long i, len;
	int rc;

	for (i = 0; i < n; i += len) {
		len = batch_folio_len(batch + i, n - i);
		rc = pin_add_frames(pin, index + i, page_to_pfn(batch[i]), len);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Append the first @n pages of hugetlb folios, from the page of @batch[k]
 * on in the k-th, to @pin from page @index on.
 */
static int pin_add_huge(struct ioasid_pin *pin, unsigned long index,
			struct page **batch, unsigned long n)
{
	unsigned long done, len;
	int rc;

	for (done = 0; done < n; done += len, batch++) {
		len = min(folio_len_from(*batch), n - done);
		rc = pin_add_frames(pin, index + done, page_to_pfn(*batch), len);
		if (rc)
			return rc;
	}
	return 0;
}

/* The same for the first @n pages of folios, a folio at a time. */
static int pin_add_folios(struct ioasid_pin *pin, unsigned long index,
			  struct folio **folios, unsigned long offset,
			  unsigned long n)
{
	unsigned long done = 0, len;
	int rc;

	for (; done < n; folios++, offset = 0) {
		len = min(folio_nr_pages(*folios) - offset, n - done);
		rc = pin_add_frames(pin, index + done,
				    folio_pfn(*folios) + offset, len);
		if (rc)
			return rc;
		done += len;
	}
	return 0;
}

static int pin_add_batch(struct ioasid_pin *pin, unsigned long index,
			 const struct pin_source *src, unsigned long n)
{
	if (src->folios)
		return pin_add_folios(pin, index, src->folios, src->offset, n);
	if (src->huge)
		return pin_add_huge(pin, index, src->pages, n);
	return pin_add_pages(pin, index, src->pages, n);
}

/* Take back from the runs of @pin every page from page @index on. */
static void pin_trim_runs(struct ioasid_pin *pin, unsigned long index)
{
	struct ioasid_run *run;

	while (pin->nr_runs) {
		run = &pin->runs[pin->nr_runs - 1];
		if (run->index + run->npages <= index)
			break;
		if (run->index < index) {
			run->npages = index - run->index;
			break;
		}
		pin->nr_runs--;
	}
}

static void unpin_batch(struct page **batch, unsigned long n)
{
	unpin_user_pages(batch, n);
	ioasid_count(IOASID_CNT_PINNED, -(long)n);
}

static struct ioasid_pin *pin_alloc(unsigned long upn)
{
	struct ioasid_pin *pin;

	pin = ioasid_kzalloc(sizeof(*pin));
	if (!pin)
		return NULL;
	pin->node.start = upn;
	pin->runs = &pin->first_run;
	pin->max_runs = 1;
	return pin;
}

static void mark_frames_dirty(unsigned long pfn, unsigned long npages)
{
	while (npages) {
		struct page *page = pfn_to_page(pfn);
		struct folio *folio = page_folio(page);
		unsigned long n = min_t(unsigned long, npages,
					folio_nr_pages(folio) -
					folio_page_idx(folio, page));

		if (!folio_test_dirty(folio))
			set_page_dirty_lock(page);
		pfn += n;
		npages -= n;
	}
}

/* Drop the pin a file's pin holds on each folio of a run. */
static void unpin_run_folios(struct ioasid_run *run, bool dirty)
{
	unsigned long pfn = run->pfn, left = run->npages, n;
	struct folio *folio;

	if (dirty)
		mark_frames_dirty(pfn, left);
	while (left) {
		folio = pfn_folio(pfn);
		n = min(left, folio_nr_pages(folio) - (pfn - folio_pfn(folio)));
		unpin_folio(folio);
		pfn += n;
		left -= n;
	}
}

/* Unpin and free a pin out of its set. */
static void pin_free(struct ioasid_pin *pin)
{
	unsigned long i;

	for (i = 0; i < pin->nr_runs; i++) {
		struct ioasid_run *run = &pin->runs[i];

		if (pin->folios)
			unpin_run_folios(run, pin->writable);
		else
			unpin_user_page_range_dirty_lock(pfn_to_page(run->pfn),
							 run->npages,
							 pin->writable);
		ioasid_count(IOASID_CNT_PINNED, -(long)run->npages);
		cond_resched();
	}
	if (pin->runs != &pin->first_run)
		kvfree(pin->runs);
	kfree(pin);
}

static void pins_free(struct list_head *pins)
{
	struct ioasid_pin *pin, *tmp;

	list_for_each_entry_safe(pin, tmp, pins, link)
		pin_free(pin);
}

static struct ioasid_pin *pin_of(struct interval_tree_node *node)
{
	return node ? container_of(node, struct ioasid_pin, node) : NULL;
}

/* The pin of @set holding user page @upn, if any. */
static struct ioasid_pin *pinset_find(struct ioasid_pinset *set,
				      unsigned long upn)
{
	return pin_of(interval_tree_iter_first(&set->pins, upn, upn));
}

/*
 * The last page of the gap from @upn, which no pin of @set holds, before the
 * next pin or @last.
 */
static unsigned long pinset_gap_last(struct ioasid_pinset *set,
				     unsigned long upn, unsigned long last)
{
	struct interval_tree_node *next;

	next = interval_tree_iter_first(&set->pins, upn, last);
	return next ? next->start - 1 : last;
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

	rc = user_charge(acct->user, npages);
	if (rc)
		return rc;
	atomic64_add(npages, &acct->mm->pinned_vm);
	acct->charged += npages;
	ioasid_count(IOASID_CNT_ACCOUNTED, npages);
	return 0;
}

/* Give back @npages that account_charge() charged @acct. */
static void account_uncharge(struct ioasid_account *acct, unsigned long npages)
{
	atomic_long_sub(npages, &acct->user->locked_vm);
	atomic64_sub(npages, &acct->mm->pinned_vm);
	acct->charged -= npages;
	ioasid_count(IOASID_CNT_ACCOUNTED, -(long)npages);
}

static void pinset_init(struct ioasid_pinset *set, struct ioasid_account *acct)
{
	set->acct = acct;
	set->pins = RB_ROOT_CACHED;
}

/* The account of the current task's user and address space, if any. */
static struct ioasid_account *account_find_current(struct ioasid_ctx *ictx)
{
	struct ioasid_account *acct;

	lockdep_assert_held(&ictx->acct_lock);

	list_for_each_entry(acct, &ictx->accounts, link)
		if (acct->user == current_user() && acct->mm == current->mm &&
		    !acct->retired)
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
	pinset_init(&acct->shared, acct);
	list_add(&acct->link, &ictx->accounts);
	return acct;
}

/* Drop the use of @acct by a struct ioasid_pages; the last one frees it. */
static void account_put(struct ioasid_ctx *ictx, struct ioasid_account *acct)
{
	lockdep_assert_held(&ictx->acct_lock);

	if (--acct->users)
		return;
	WARN_ON(!RB_EMPTY_ROOT(&acct->shared.pins.rb_root));
	list_del(&acct->link);
	free_uid(acct->user);
	mmdrop(acct->mm);
	kfree(acct);
}

/*
 * Charge the pins of @pages to the current task's account, made if need
 * be; from its first batch on.
 */
static int pages_bind_account(struct ioasid_pages *pages)
{
	struct ioasid_ctx *ictx = pages->ictx;
	struct ioasid_account *acct;

	lockdep_assert_held(&ictx->acct_lock);

	if (pages->set)
		return 0;
	acct = account_find_current(ictx) ?: account_alloc_current(ictx);
	if (!acct)
		return -ENOMEM;
	acct->users++;
	pages->set = &acct->shared;
	return 0;
}

/* Mark the frames of @pin from user page @upn to @last dirty. */
static void pin_mark_dirty(struct ioasid_pin *pin, unsigned long upn,
			   unsigned long last)
{
	unsigned long pfn, run_last;

	while (upn <= last) {
		pfn = pin_pfn_at(pin, upn, &run_last);
		run_last = min(run_last, last);
		mark_frames_dirty(pfn, run_last - upn + 1);
		upn = run_last + 1;
	}
}

/*
 * Drop the references @pages holds on the pins of its set; the pins no one
 * else holds leave the set, uncharged, for the caller to free (unpin) from
 * @freed.  With @written, devices may have written what @pages maps: the
 * pins made for writing are unpinned dirty, the others (memory pinned for
 * reading, then mapped for writing too) have the pages of @pages marked
 * dirty here.
 */
static void pages_drop_pins(struct ioasid_pages *pages, bool written,
			    struct list_head *freed)
{
	struct ioasid_pinset *set = pages->set;
	unsigned long last = pages->start + pages->done - 1;
	struct interval_tree_node *node, *next;
	struct ioasid_pin *pin;

	lockdep_assert_held(&pages->ictx->acct_lock);

	if (!pages->done)
		return;
	for (node = interval_tree_iter_first(&set->pins, pages->start, last);
	     node; node = next) {
		next = interval_tree_iter_next(node, pages->start, last);
		pin = pin_of(node);
		if (pin->whole == pages)
			pin->whole = NULL;
		if (written && !pin->writable)
			pin_mark_dirty(pin, max(node->start, pages->start),
				       min(node->last, last));
		if (--pin->users)
			continue;
		interval_tree_remove(node, &set->pins);
		account_uncharge(set->acct, node->last - node->start + 1);
		list_add_tail(&pin->link, freed);
	}
	pages->done = 0;
}

/*
 * The MAP adds no more to the pin it was building: its runs are final.
 * Under ictx->acct_lock.
 */
static void cursor_stop_building(struct pin_cursor *cur)
{
	if (cur->building)
		cur->pin->building = false;
	cur->building = false;
}

/*
 * How many of the first @n pages of @src, pinned from user page @upn on,
 * @pin holds with the same frames; @pin holds @upn.  Of hugetlb folios,
 * only the first is looked at: @n must be within it.
 */
static unsigned long src_shared_len(struct ioasid_pin *pin, unsigned long upn,
				    const struct pin_source *src,
				    unsigned long n)
{
	unsigned long pfn, run_last, i, len;

	pfn = pin_pfn_at(pin, upn, &run_last);
	n = min(n, run_last - upn + 1);
	if (src->huge)
		return page_to_pfn(src->pages[0]) == pfn ? n : 0;
	for (i = 0; i < n; i += len) {
		if (page_to_pfn(src->pages[i]) != pfn + i)
			break;
		len = batch_folio_len(src->pages + i, n - i);
	}
	return i;
}

/*
 * Share @pin, which holds user page @upn, for as many of the first @n
 * pages of @src, pinned from @upn on, as it holds with the same frames,
 * and unpin those of a batch of pages: they are pinned once already.
 * Returns how many; 0 when the pin holds another frame at @upn.
 */
static unsigned long commit_shared(struct pin_cursor *cur,
				   struct ioasid_pin *pin, unsigned long upn,
				   const struct pin_source *src,
				   unsigned long n)
{
	unsigned long len = src_shared_len(pin, upn, src, n);

	if (!len)
		return 0;
	if (cur->pin != pin) {
		cursor_stop_building(cur);
		pin->users++;
		cur->pin = pin;
	}
	if (!src->huge)
		unpin_batch(src->pages, len);
	return len;
}

/*
 * Add the first @n pages of @src, pinned from user page @upn on, where no
 * pin of @set is, to the pin the MAP is building, made if need be; charge
 * them.  Folios go to a pin of folios, pages to a pin of pages: a MAP
 * whose memory changes from one to the other starts a new pin.
 */
static int commit_new(struct ioasid_pages *pages, struct pin_cursor *cur,
		      unsigned long upn, const struct pin_source *src,
		      unsigned long n)
{
	struct ioasid_pinset *set = pages->set;
	struct ioasid_pin *pin;
	unsigned long index;
	bool folios = src->folios || src->huge;
	int rc;

	if (cur->building && cur->pin->folios != folios)
		cursor_stop_building(cur);
	pin = cur->building ? cur->pin : pin_alloc(upn);
	if (!pin)
		return -ENOMEM;
	index = upn - pin->node.start;
	rc = account_charge(set->acct, n);
	if (!rc) {
		rc = pin_add_batch(pin, index, src, n);
		if (rc) {
			pin_trim_runs(pin, index);
			account_uncharge(set->acct, n);
		}
	}
	if (rc) {
		if (!cur->building)
			pin_free(pin);
		return rc;
	}
	if (cur->building)
		interval_tree_remove(&pin->node, &set->pins);
	pin->node.last = upn + n - 1;
	interval_tree_insert(&pin->node, &set->pins);
	if (!cur->building) {
		pin->users = 1;
		pin->writable = pages->writable;
		pin->folios = folios;
		pin->building = true;
		cur->pin = pin;
		cur->building = true;
	}
	if (folios)
		ioasid_count(IOASID_CNT_PINNED, n);
	return 0;
}

/*
 * All of @pages is pinned.  When one complete pin holds it, remember that
 * pin, so that its frames are read without a lock, and share the pin's
 * whole struct ioasid_pages instead of this one where it allows at least
 * the same access; or become that whole if it is one.
 */
static void pages_pin_done(struct ioasid_pages *pages, struct pin_cursor *cur)
{
	struct ioasid_pin *pin = pinset_find(pages->set, pages->start);
	struct ioasid_pages *whole;

	cursor_stop_building(cur);
	if (pin->building || pin->node.last < pages->start + pages->npages - 1)
		return;
	pages->only = pin;
	whole = pin->whole;
	if (whole && (whole->writable || !pages->writable) &&
	    kref_get_unless_zero(&whole->kref))
		pages->share = whole;
	else if (!whole && pin->node.start == pages->start &&
		 pin->node.last == pages->start + pages->npages - 1)
		pin->whole = pages;
}

/*
 * Commit @n pages just pinned for @pages from user page @upn on: share what
 * the pins of its set hold already, add the rest to the pin it builds.  On
 * error the pages not committed are unpinned: -EXDEV a pin of the set holds
 * another frame at one of the pages, -ENOMEM the limit or out of memory.
 */
static int pages_commit_batch(struct ioasid_pages *pages,
			      struct pin_cursor *cur, unsigned long upn,
			      struct page **batch, unsigned long n)
{
	struct pin_source src;
	unsigned long i = 0, len = 0;
	struct ioasid_pinset *set;
	struct ioasid_pin *pin;
	int rc;

	mutex_lock(&pages->ictx->acct_lock);
	rc = pages_bind_account(pages);
	set = pages->set;
	while (!rc && i < n) {
		pin = pinset_find(set, upn + i);
		src = (struct pin_source){ .pages = batch + i };
		if (pin) {
			len = commit_shared(cur, pin, upn + i, &src, n - i);
			if (!len)
				rc = -EXDEV;
		} else {
			len = pinset_gap_last(set, upn + i, upn + n - 1) -
			      (upn + i) + 1;
			rc = commit_new(pages, cur, upn + i, &src, len);
		}
		if (rc)
			break;
		i += len;
		pages->done += len;
	}
	if (rc)
		cursor_stop_building(cur);
	else if (pages->done == pages->npages)
		pages_pin_done(pages, cur);
	mutex_unlock(&pages->ictx->acct_lock);
	if (rc)
		unpin_batch(batch + i, n - i);
	return rc;
}

/*
 * What a MAP says of memory GUP could not pin: -ENOMEM and -EINTR as they
 * are, anything else (no memory there, read-only, device memory, DAX, a
 * file whose writeback must see writes) -EFAULT.
 */
static int gup_errno(long rc)
{
	return rc == -ENOMEM || rc == -EINTR ? rc : -EFAULT;
}

/*
 * How many pages of the hugetlb folios of @batch[0..nr), from user page
 * @upn on, go to a new pin: those of the whole folios that fit in the gap
 * there, within the @left pages still to commit, or the part of the first
 * that does.  *@used: how many folios that takes.
 */
static unsigned long huge_gap_len(struct ioasid_pinset *set, unsigned long upn,
				  struct page **batch, unsigned long nr,
				  unsigned long left, unsigned long *used)
{
	unsigned long gap = pinset_gap_last(set, upn, upn + left - 1) - upn + 1;
	unsigned long len = 0, span, k;

	for (k = 0; k < nr && len < left; k++) {
		span = min(folio_len_from(batch[k]), left - len);
		if (len + span > gap)
			break;
		len += span;
	}
	*used = k ?: 1;
	return k ? len : gap;
}

/*
 * Commit @nr hugetlb folios, pinned once each from user page @upn on (see
 * struct pin_source), each folio shared with the pin of the set that holds
 * its first page, or added to the pin of folios the MAP builds, which
 * keeps the folio's one pin.  A folio a pin of the set holds only part of
 * ends the commit there; the caller pins the rest again.  The folios not
 * kept are unpinned.
 */
static int pages_commit_huge(struct ioasid_pages *pages,
			     struct pin_cursor *cur, unsigned long upn,
			     struct page **batch, unsigned long nr)
{
	unsigned long k = 0, len, span, used, left;
	struct pin_source src;
	struct ioasid_pin *pin;
	bool part = false;
	int rc;

	mutex_lock(&pages->ictx->acct_lock);
	rc = pages_bind_account(pages);
	while (!rc && !part && k < nr) {
		src = (struct pin_source){ .pages = batch + k, .huge = true };
		left = pages->npages - pages->done;
		span = min(folio_len_from(batch[k]), left);
		pin = pinset_find(pages->set, upn);
		if (pin) {
			len = commit_shared(cur, pin, upn, &src, span);
			if (!len) {
				rc = -EXDEV;
				break;
			}
			unpin_folio(page_folio(batch[k]));
			used = 1;
		} else {
			len = huge_gap_len(pages->set, upn, batch + k, nr - k,
					   left, &used);
			rc = commit_new(pages, cur, upn, &src, len);
			if (rc)
				break;
		}
		part = len < span;
		k += used;
		upn += len;
		pages->done += len;
	}
	/*
	 * The rest of a folio committed in part is pinned again, with a pin
	 * of its own: it must not join the run of the first part.
	 */
	if (rc || part)
		cursor_stop_building(cur);
	if (!rc && pages->done == pages->npages)
		pages_pin_done(pages, cur);
	mutex_unlock(&pages->ictx->acct_lock);
	for (; k < nr; k++)
		unpin_folio(page_folio(batch[k]));
	return rc;
}

/*
 * The most pages of huge pages a MAP pins before it charges them: 1 GiB,
 * or one huge page if larger.
 */
#define PIN_HUGE_PAGES (SZ_1G >> PAGE_SHIFT)

/*
 * Pin a page of each of the hugetlb folios that follow the one of
 * @batch[0], pinned at the next page of @pages, up to @batch_len folios,
 * and commit them all.
 */
static int pages_pin_huge(struct ioasid_pages *pages, struct pin_cursor *cur,
			  unsigned int gup_flags, struct page **batch,
			  unsigned long batch_len)
{
	unsigned long upn = pages->start + pages->done;
	unsigned long end = pages->start + pages->npages;
	unsigned long next = upn + folio_len_from(batch[0]), nr = 1;

	while (nr < batch_len && next < end && next - upn < PIN_HUGE_PAGES) {
		if (pin_user_pages_fast(next << PAGE_SHIFT, 1, gup_flags,
					batch + nr) != 1)
			break;
		if (!folio_test_hugetlb(page_folio(batch[nr]))) {
			unpin_user_page(batch[nr]);
			break;
		}
		next += folio_len_from(batch[nr++]);
	}
	return pages_commit_huge(pages, cur, upn, batch, nr);
}

/*
 * Pin the next batch of @pages and commit it.  Its first page is pinned
 * alone: when it is of a hugetlb folio, the batch is of hugetlb folios,
 * each pinned once (pages_pin_huge()), a huge page for the price of a base
 * page.
 */
static int pages_pin_batch(struct ioasid_pages *pages, struct pin_cursor *cur,
			   struct page **batch, unsigned long batch_len)
{
	unsigned long upn = pages->start + pages->done;
	unsigned long n = min(pages->npages - pages->done, batch_len);
	unsigned int gup_flags = FOLL_LONGTERM;
	long pinned, more;

	if (pages->writable)
		gup_flags |= FOLL_WRITE;
	if (ioasid_should_fail())
		return -ENOMEM;
	pinned = pin_user_pages_fast(upn << PAGE_SHIFT, 1, gup_flags, batch);
	if (pinned <= 0)
		return gup_errno(pinned);
	if (folio_test_hugetlb(page_folio(batch[0])))
		return pages_pin_huge(pages, cur, gup_flags, batch, batch_len);
	/* What the rest fails on, the next batch fails on first. */
	if (n > 1) {
		more = pin_user_pages_fast((upn + 1) << PAGE_SHIFT, n - 1,
					   gup_flags, batch + 1);
		pinned += max(more, 0L);
	}
	ioasid_count(IOASID_CNT_PINNED, pinned);
	return pages_commit_batch(pages, cur, upn, batch, pinned);
}

/*
 * Room for the page pointers of a batch of @npages pages: @small, the
 * caller's PIN_ON_STACK on its stack, when they fit, else a page of them;
 * *@batch_len set to the room.  NULL: out of memory.
 */
static struct page **batch_alloc(unsigned long npages, struct page **small,
				 unsigned long *batch_len)
{
	struct page **batch;

	*batch_len = PIN_ON_STACK;
	if (npages <= PIN_ON_STACK)
		return small;
	if (ioasid_should_fail())
		return NULL;
	batch = (struct page **)__get_free_page(GFP_KERNEL);
	if (batch)
		*batch_len = PIN_BATCH;
	return batch;
}

static void batch_free(struct page **batch, struct page **small)
{
	if (batch != small)
		free_page((unsigned long)batch);
}

/*
 * Pin and commit every page of @pages into its set, a batch at a time; on
 * error @pages holds the pins of what it committed.  A small pin needs no
 * allocation: its page pointers fit on the stack.
 */
static int pages_pin_user(struct ioasid_pages *pages)
{
	struct page *small[PIN_ON_STACK], **batch;
	struct pin_cursor cur = {};
	unsigned long batch_len;
	int rc = 0;

	batch = batch_alloc(pages->npages, small, &batch_len);
	if (!batch)
		return -ENOMEM;

	/*
	 * Nothing may fail once the last batch is committed: that published
	 * the pages (pages_pin_done()) for other MAPs to share.
	 */
	while (pages->done < pages->npages) {
		if (pages->done && fatal_signal_pending(current)) {
			rc = -EINTR;
			break;
		}
		rc = pages_pin_batch(pages, &cur, batch, batch_len);
		if (rc)
			break;
		cond_resched();
	}
	/* A failed GUP or a signal between batches: the pin stays as it is. */
	if (rc && cur.building) {
		mutex_lock(&pages->ictx->acct_lock);
		cursor_stop_building(&cur);
		mutex_unlock(&pages->ictx->acct_lock);
	}
	batch_free(batch, small);
	return rc;
}

static bool pages_own_set(struct ioasid_pages *pages)
{
	return pages->set != &pages->set->acct->shared;
}

/*
 * The shared pinset holds other frames at a user page of @pages: let go of
 * what it shares there, and pin all of it again into a set of its own.
 */
static int pages_pin_user_own(struct ioasid_pages *pages)
{
	struct ioasid_ctx *ictx = pages->ictx;
	struct ioasid_pinset *own;
	LIST_HEAD(freed);

	own = ioasid_kzalloc(sizeof(*own));
	if (!own)
		return -ENOMEM;
	pinset_init(own, pages->set->acct);
	mutex_lock(&ictx->acct_lock);
	pages_drop_pins(pages, false, &freed);
	pages->set = own;
	mutex_unlock(&ictx->acct_lock);
	pins_free(&freed);
	return pages_pin_user(pages);
}

/*
 * Charge @pages, of a file, to the current task's account, in a pinset of
 * its own: no other MAP shares the pins of a file.
 */
static int pages_bind_own_set(struct ioasid_pages *pages)
{
	struct ioasid_ctx *ictx = pages->ictx;
	struct ioasid_pinset *own;
	int rc;

	own = ioasid_kzalloc(sizeof(*own));
	if (!own)
		return -ENOMEM;
	mutex_lock(&ictx->acct_lock);
	rc = pages_bind_account(pages);
	if (!rc) {
		pinset_init(own, pages->set->acct);
		pages->set = own;
	}
	mutex_unlock(&ictx->acct_lock);
	if (rc)
		kfree(own);
	return rc;
}

/*
 * What a MAP_FILE says of pages memfd_pin_folios() could not pin: -ENOMEM
 * and -EINTR as they are, anything else (no page to be had, or one that
 * cannot be pinned) -EFAULT.
 */
static int file_pin_errno(long rc)
{
	return rc == -ENOMEM || rc == -EINTR ? rc : -EFAULT;
}

/*
 * Pin the folios of the next batch of @pages, a file's, up to @max of them,
 * and commit them to the pin it builds.  On error the folios not committed
 * are unpinned.
 */
static int pages_pin_file_batch(struct ioasid_pages *pages,
				struct pin_cursor *cur, struct folio **folios,
				unsigned long max)
{
	unsigned long index = pages->start + pages->done, n = 0;
	loff_t last = ((loff_t)(pages->start + pages->npages) << PAGE_SHIFT) - 1;
	struct pin_source src = { .folios = folios };
	pgoff_t offset;
	long nr, i;
	int rc;

	if (ioasid_should_fail())
		return -ENOMEM;
	nr = memfd_pin_folios(pages->file, (loff_t)index << PAGE_SHIFT, last,
			      folios, max, &offset);
	if (nr <= 0)
		return file_pin_errno(nr ?: -EFAULT);
	src.offset = offset >> PAGE_SHIFT;
	for (i = 0; i < nr; i++)
		n += folio_nr_pages(folios[i]);
	n = min(n - src.offset, pages->npages - pages->done);

	mutex_lock(&pages->ictx->acct_lock);
	rc = commit_new(pages, cur, index, &src, n);
	if (rc) {
		cursor_stop_building(cur);
	} else {
		pages->done += n;
		if (pages->done == pages->npages)
			pages_pin_done(pages, cur);
	}
	mutex_unlock(&pages->ictx->acct_lock);
	if (rc)
		unpin_folios(folios, nr);
	return rc;
}

/* Does the page cache of @file hold every page from @index to @last? */
static bool file_holds_range(struct file *file, pgoff_t index, pgoff_t last)
{
	struct folio *folio;

	while (index <= last) {
		folio = filemap_get_folio(file->f_mapping, index);
		if (IS_ERR(folio))
			return false;
		index = folio_next_index(folio);
		folio_put(folio);
		cond_resched();
	}
	return true;
}

static bool pages_in_file(struct ioasid_pages *pages)
{
	return file_holds_range(pages->file, pages->start,
				pages->start + pages->npages - 1);
}

/*
 * memfd_pin_folios() allocates the pages a file lacks; but for a hugetlbfs
 * file Debian's 6.12 takes them from the pool as reserved pages without
 * having reserved them, which leaves the pool's count of reserved pages
 * wrong for good.  So the missing huge pages of @pages are allocated here
 * first, as fallocate() allocates them, when the file is open for writing;
 * pages_pin_file() then checks that they are all there.  -EINTR: a fatal
 * signal arrived; any other failure shows in that check.
 */
static int pages_populate_huge_file(struct ioasid_pages *pages)
{
	int rc;

	if (!(pages->file->f_mode & FMODE_WRITE) || pages_in_file(pages))
		return 0;
	rc = vfs_fallocate(pages->file, FALLOC_FL_KEEP_SIZE,
			   (loff_t)pages->start << PAGE_SHIFT,
			   (loff_t)pages->npages << PAGE_SHIFT);
	return rc == -EINTR ? rc : 0;
}

/* The seals of a tmpfs or hugetlbfs file (fcntl(F_GET_SEALS)). */
static unsigned int file_seals(struct file *file)
{
	struct inode *inode = file_inode(file);

#ifdef CONFIG_HUGETLBFS
	if (is_file_hugepages(file))
		return HUGETLBFS_I(inode)->seals;
#endif
	return SHMEM_I(inode)->seals;
}

/*
 * Can @pages, of a file whose inode lock the caller holds, be pinned as it
 * is: within the file's size still (-EINVAL), not sealed against writes if
 * devices write it (-EPERM), and, for a hugetlbfs file, with every page
 * there already (-EFAULT)?
 */
static int pages_check_file(struct ioasid_pages *pages)
{
	loff_t end = (loff_t)(pages->start + pages->npages) << PAGE_SHIFT;

	if (end > i_size_read(file_inode(pages->file)))
		return -EINVAL;
	if (pages->writable &&
	    (file_seals(pages->file) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
		return -EPERM;
	if (is_file_hugepages(pages->file) && !pages_in_file(pages))
		return -EFAULT;
	return 0;
}

/*
 * Pin and commit every page of @pages, a file's, a batch of folios at a
 * time; on error @pages holds the pins of what it committed.  The file's
 * inode lock is held shared throughout: sealing the file against writes
 * (memfd_add_seals()), truncating it and punching holes in it wait, so the
 * seals checked hold for the pins, and a hugetlbfs file keeps the pages
 * checked.
 */
static int pages_pin_file(struct ioasid_pages *pages)
{
	unsigned long max = min_t(unsigned long, pages->npages, PIN_BATCH);
	struct inode *inode = file_inode(pages->file);
	struct pin_cursor cur = {};
	struct folio **folios;
	int rc;

	rc = pages_bind_own_set(pages);
	if (!rc && is_file_hugepages(pages->file))
		rc = pages_populate_huge_file(pages);
	if (rc)
		return rc;
	if (ioasid_should_fail())
		return -ENOMEM;
	folios = kmalloc_array(max, sizeof(*folios), GFP_KERNEL);
	if (!folios)
		return -ENOMEM;
	if (inode_lock_shared_killable(inode)) {
		kfree(folios);
		return -EINTR;
	}
	rc = pages_check_file(pages);
	while (!rc && pages->done < pages->npages) {
		if (pages->done && fatal_signal_pending(current)) {
			rc = -EINTR;
			break;
		}
		rc = pages_pin_file_batch(pages, &cur, folios, max);
		cond_resched();
	}
	inode_unlock_shared(inode);
	if (rc && cur.building) {
		mutex_lock(&pages->ictx->acct_lock);
		cursor_stop_building(&cur);
		mutex_unlock(&pages->ictx->acct_lock);
	}
	kfree(folios);
	return rc;
}

/*
 * Release the pins of @pages and its account, and free it; @written: its
 * areas may have let devices write the pages.
 */
static void pages_destroy(struct ioasid_pages *pages, bool written)
{
	struct ioasid_ctx *ictx = pages->ictx;
	struct ioasid_pinset *own;
	LIST_HEAD(freed);

	if (pages->set) {
		own = pages_own_set(pages) ? pages->set : NULL;
		mutex_lock(&ictx->acct_lock);
		pages_drop_pins(pages, written, &freed);
		account_put(ictx, pages->set->acct);
		mutex_unlock(&ictx->acct_lock);
		pins_free(&freed);
		kfree(own);
	}
	if (pages->file)
		fput(pages->file);
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
	pages->start = uptr >> PAGE_SHIFT;
	pages->npages = length >> PAGE_SHIFT;
	pages->writable = writable;
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
 * The pages the current task's user and address space already pin in @ictx,
 * with the frames the memory has now, are shared; the others are pinned and
 * charged to them, batch by batch (see the theory of operation).  Memory
 * that one complete pin holds is returned as the pin's whole struct
 * ioasid_pages where there is one, at an offset, so that mapping a buffer
 * again and again costs an area, nothing more.
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
	struct ioasid_pages *pages, *share;
	int rc;

	if (length >> PAGE_SHIFT > memlock_limit_pages() &&
	    !capable(CAP_IPC_LOCK))
		return ERR_PTR(-ENOMEM);

	pages = pages_alloc(ictx, uptr, length, writable);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	rc = pages_pin_user(pages);
	if (rc == -EXDEV)
		rc = pages_pin_user_own(pages);
	if (rc) {
		pages_destroy(pages, false);
		return ERR_PTR(rc);
	}
	share = pages->share;
	if (share) {
		pages_destroy(pages, false);
		*pgoff = (uptr >> PAGE_SHIFT) - share->start;
		return share;
	}
	*pgoff = 0;
	return pages;
}

/**
 * ioasid_pages_pin_file() - pin pages of a file and charge them to the
 *	current task
 * @ictx: the context pinning them
 * @file: the file: tmpfs (a memfd, shmem) or hugetlbfs
 * @start: the page-aligned offset in @file of the first page
 * @length: the page-aligned, non-zero length
 * @writable: devices may write the pages
 *
 * The pages are pinned a batch of folios at a time (see the theory of
 * operation), those the file lacks allocated, and charged as
 * ioasid_pages_pin() charges; the pins are not shared with other MAPs.
 *
 * Return: the pinned pages with a reference for the caller, or an ERR_PTR:
 * -EINVAL @file is not a tmpfs or hugetlbfs file, or the range does not end
 * within its size; -EACCES @file is not open for reading, or for writing
 * and @writable; -EPERM @writable and @file is sealed against writes;
 * -EFAULT the file could not give a page (a hugetlbfs file open read-only
 * gives only those it has); -ENOMEM out of memory, or the charge over the
 * RLIMIT_MEMLOCK of the current task; -EINTR a fatal signal arrived.  On
 * error nothing stays pinned or charged.
 */
struct ioasid_pages *ioasid_pages_pin_file(struct ioasid_ctx *ictx,
					   struct file *file, u64 start,
					   unsigned long length, bool writable)
{
	struct ioasid_pages *pages;
	int rc;

	if (!shmem_file(file) && !is_file_hugepages(file))
		return ERR_PTR(-EINVAL);
	if (start + length > i_size_read(file_inode(file)))
		return ERR_PTR(-EINVAL);
	if (!(file->f_mode & FMODE_READ) ||
	    (writable && !(file->f_mode & FMODE_WRITE)))
		return ERR_PTR(-EACCES);
	if (length >> PAGE_SHIFT > memlock_limit_pages() &&
	    !capable(CAP_IPC_LOCK))
		return ERR_PTR(-ENOMEM);

	pages = pages_alloc(ictx, start, length, writable);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	pages->file = get_file(file);
	rc = pages_pin_file(pages);
	if (rc) {
		pages_destroy(pages, false);
		return ERR_PTR(rc);
	}
	return pages;
}

static void pages_release(struct kref *kref)
{
	struct ioasid_pages *pages = container_of(kref, struct ioasid_pages, kref);

	pages_destroy(pages, pages->writable);
}

/*
 * Move the charge of @acct to the current task's user and address space,
 * which ioasid_take_charge() has charged for it already where it had to.
 */
static void account_move_to_current(struct ioasid_account *acct)
{
	struct user_struct *user = current_user();

	if (acct->user == user && acct->mm == current->mm)
		return;
	acct->retired = true;
	if (acct->user != user) {
		atomic_long_sub(acct->charged, &acct->user->locked_vm);
		free_uid(acct->user);
		acct->user = get_uid(user);
	}
	if (acct->mm != current->mm) {
		atomic64_sub(acct->charged, &acct->mm->pinned_vm);
		atomic64_add(acct->charged, &current->mm->pinned_vm);
		mmdrop(acct->mm);
		mmgrab(current->mm);
		acct->mm = current->mm;
	}
}

/**
 * ioasid_take_charge() - charge every pin of a context to the current task
 * @ictx: the context
 * @moved: set to the number of pages whose charge moved
 *
 * The pages charged to other users than the current task's are charged to
 * its user first, in one step against its RLIMIT_MEMLOCK (CAP_IPC_LOCK
 * lifts the limit); then each account of the context is moved over: its
 * user and address space become the current task's, uncharged on the old
 * ones.  The accounts moved retire: the user pages that key their pins may
 * mean nothing in the current process, so no MAP of it shares them (it
 * pins and charges again what it maps of the same memory), and the
 * current task's own account stays the one its MAPs share.
 *
 * Return: 0, or -ENOMEM when the charge does not fit the limit; then
 * nothing is changed.
 */
int ioasid_take_charge(struct ioasid_ctx *ictx, unsigned long *moved)
{
	unsigned long from_users = 0, total = 0;
	struct ioasid_account *acct;
	int rc;

	lockdep_assert_held(&ictx->acct_lock);

	list_for_each_entry(acct, &ictx->accounts, link) {
		if (acct->user != current_user())
			from_users += acct->charged;
		if (acct->user != current_user() || acct->mm != current->mm)
			total += acct->charged;
	}
	if (from_users) {
		rc = user_charge(current_user(), from_users);
		if (rc)
			return rc;
	}
	list_for_each_entry(acct, &ictx->accounts, link)
		account_move_to_current(acct);
	*moved = total;
	return 0;
}

/**
 * ioasid_pages_pfn() - the page frame of one pinned page, and how far the
 *	frames run on contiguously
 * @pages: the pinned pages
 * @index: the page, below pages->npages
 * @max: the most pages to look at from @index on, at least 1
 * @npages: set to the number of pages from @index on, at most @max, whose
 *	frames are contiguous
 *
 * Return: the page frame number.
 */
unsigned long ioasid_pages_pfn(struct ioasid_pages *pages, unsigned long index,
			       unsigned long max, unsigned long *npages)
{
	unsigned long upn = pages->start + index, last = upn + max - 1;
	unsigned long pfn, run_last, next_last;
	struct ioasid_pin *pin;

	if (pages->only) {
		pfn = pin_pfn_at(pages->only, upn, &run_last);
		*npages = min(run_last, last) - upn + 1;
		return pfn;
	}
	/* Other MAPs may change the tree of a shared set meanwhile. */
	mutex_lock(&pages->ictx->acct_lock);
	pfn = pin_pfn_at(pinset_find(pages->set, upn), upn, &run_last);
	/* Frames may run on contiguously into the next pin. */
	while (run_last < last) {
		pin = pinset_find(pages->set, run_last + 1);
		if (!pin || pin_pfn_at(pin, run_last + 1, &next_last) !=
			    pfn + (run_last + 1 - upn))
			break;
		run_last = next_last;
	}
	mutex_unlock(&pages->ictx->acct_lock);
	*npages = min(run_last, last) - upn + 1;
	return pfn;
}

/*
 * Can the current process's memory [@uaddr, @last] back a mapping: is it
 * all mapped (-EFAULT), and writable where @writable (-EACCES)?  -EINTR: a
 * fatal signal arrived.
 */
static int verify_vmas(unsigned long uaddr, unsigned long last, bool writable)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	int rc = 0;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	for (;;) {
		vma = vma_lookup(mm, uaddr);
		if (!vma)
			rc = -EFAULT;
		else if (writable && !(vma->vm_flags & VM_WRITE))
			rc = -EACCES;
		if (rc || vma->vm_end - 1 >= last)
			break;
		uaddr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return rc;
}

/*
 * Compare the frames of @batch[0..n) with those of @pages from page @index
 * on, and unpin them.
 */
static int verify_batch(struct ioasid_pages *pages, unsigned long index,
			struct page **batch, unsigned long n)
{
	unsigned long i, pfn = 0, left = 0;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (!left)
			pfn = ioasid_pages_pfn(pages, index + i, n - i, &left);
		if (page_to_pfn(batch[i]) != pfn)
			rc = -EXDEV;
		pfn++;
		left--;
	}
	unpin_user_pages(batch, n);
	return rc;
}

/**
 * ioasid_pages_verify() - is memory of the current process pinned pages
 * @pages: the pinned pages
 * @index: the first page to compare
 * @npages: the number of pages, from @index on, within @pages
 * @uaddr: the page-aligned address of the memory in the current process
 * @writable: the memory must be writable
 *
 * Checks the mappings of the memory (verify_vmas()), then pins it as a MAP
 * does, for long, and compares it page by page with the frames @pages pins.
 * A long read-only pin of a page of a file in a private mapping gives the
 * process its own copy, as its first write would: that is other memory
 * than any mapping pins.
 *
 * Return: 0 when the memory is exactly those pages; -EFAULT part of it is
 * not mapped or cannot be reached; -EACCES it is read-only and @writable;
 * -EXDEV it holds another page, or a page of a file in a private mapping
 * of it; -ENOMEM; -EINTR a fatal signal arrived.
 */
int ioasid_pages_verify(struct ioasid_pages *pages, unsigned long index,
			unsigned long npages, unsigned long uaddr, bool writable)
{
	unsigned int gup_flags = writable ? FOLL_WRITE : 0;
	struct page *small[PIN_ON_STACK], **batch;
	unsigned long done = 0, addr, batch_len;
	int got, rc;

	rc = verify_vmas(uaddr, uaddr + (npages << PAGE_SHIFT) - 1, writable);
	if (rc)
		return rc;
	/* As pinning does: a page of page pointers at a time. */
	batch = batch_alloc(npages, small, &batch_len);
	if (!batch)
		return -ENOMEM;
	while (!rc && done < npages) {
		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			break;
		}
		addr = uaddr + (done << PAGE_SHIFT);
		got = pin_user_pages_fast(addr, min(npages - done, batch_len),
					  gup_flags | FOLL_LONGTERM, batch);
		if (got <= 0) {
			rc = gup_errno(got);
			break;
		}
		rc = verify_batch(pages, index + done, batch, got);
		done += got;
		cond_resched();
	}
	batch_free(batch, small);
	return rc;
}

/**
 * ioasid_pages_put() - drop a reference; the last one releases the pins
 * @pages: the pinned pages
 *
 * The last reference marks the pages of a writable MAP dirty and drops its
 * references on its pins: those it was the last to hold are uncharged and
 * unpinned.
 */
void ioasid_pages_put(struct ioasid_pages *pages)
{
	kref_put(&pages->kref, pages_release);
}
