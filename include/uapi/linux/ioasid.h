/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ioasid: IO address spaces for user space, through /dev/ioasid.
 */
#ifndef _UAPI_LINUX_IOASID_H
#define _UAPI_LINUX_IOASID_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: General ioctl format
 *
 * Each open of /dev/ioasid is a context of its own: what one context creates
 * is invisible to every other, and closing the file (or the death of the
 * process holding it) releases all of it.
 *
 * Every command is an ``_IO(IOASID_TYPE, IOASID_CMD_BASE + n)`` ioctl whose
 * argument is a pointer to a command struct.  A number the kernel does not
 * know fails with -ENOTTY.
 *
 * Every command struct starts with ``__u32 size`` and ``__u32 flags``.  The
 * caller sets size to sizeof() the struct as it knows it.  Structs only grow
 * by appending members, so:
 *
 * - a size below the struct's first version fails with -EINVAL;
 * - a shorter size (an older caller) is accepted, and the kernel treats the
 *   missing members as zero and writes back only the first size bytes;
 * - a longer size (a newer caller) is accepted if every byte past the end the
 *   kernel knows is zero, and fails with -E2BIG otherwise.
 *
 * A flag the kernel does not know fails with -EOPNOTSUPP, a non-zero
 * reserved member with -EINVAL, and a struct that cannot be read, or cannot
 * be written back, with -EFAULT before the command does anything.  (A caller
 * that unmaps the struct before the command returns may still lose the reply
 * of a command that took effect.)
 *
 * Objects (IO address spaces, and later devices) are named by a __u32 id,
 * unique within the context and never 0.  An id that does not exist in this
 * context fails with -ENOENT; the id of an object of another type where an
 * IOAS is expected fails with -EINVAL.
 *
 * IOVAs, user addresses and lengths are in bytes and must be multiples of
 * the CPU page size unless a command says otherwise.
 */
/* 0xD5 is free in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define IOASID_TYPE 0xD5
#define IOASID_CMD_BASE 0x80

enum {
	IOASID_CMD_DESTROY = IOASID_CMD_BASE,
	IOASID_CMD_IOAS_ALLOC,
	IOASID_CMD_IOAS_MAP,
	IOASID_CMD_IOAS_UNMAP,
	IOASID_CMD_IOAS_COPY,
	IOASID_CMD_IOAS_IOVA_RANGES,
	IOASID_CMD_IOAS_ALLOW_IOVAS,
	IOASID_CMD_DEVICE_ATTACH,
	IOASID_CMD_DEVICE_DETACH,
	IOASID_CMD_DEVICE_INFO,
	IOASID_CMD_IOAS_INFO,
	IOASID_CMD_IOAS_ENABLE,
	IOASID_CMD_IOAS_FEATURES,
	IOASID_CMD_TAKE_OWNERSHIP,
	IOASID_CMD_UADDR_INVALIDATE,
	IOASID_CMD_UADDR_SUPPLY,
	IOASID_CMD_OBJECTS,
	IOASID_CMD_IOAS_MAPPINGS,
	IOASID_CMD_IOAS_MAP_FILE,
	IOASID_CMD_DEVICE_SHARE,
	IOASID_CMD_HWPT_ALLOC,
	IOASID_CMD_HWPT_INVALIDATE,
	IOASID_CMD_FAULT_ALLOC,
	IOASID_CMD_IOAS_DIRTY_TRACKING,
	IOASID_CMD_IOAS_DIRTY_BITMAP,
	IOASID_CMD_IOAS_MAP_BATCH,
	IOASID_CMD_IOAS_UNMAP_BATCH,
};

/**
 * struct ioasid_destroy - ioctl(IOASID_DESTROY)
 * @size: sizeof(struct ioasid_destroy)
 * @flags: must be 0
 * @id: the object to destroy
 * @__reserved: must be 0
 *
 * Destroy any object by its id.  Destroying an IOAS unmaps everything mapped
 * in it.
 *
 * Errors: -ENOENT no object @id in this context; -EBUSY the object is in use
 * (another command is working on it, or another object refers to it), or
 * it is the device object of a PCI device file, which the file's binding
 * owns (closing the file removes it).
 */
struct ioasid_destroy {
	__u32 size;
	__u32 flags;
	__u32 id;
	__u32 __reserved;
};

#define IOASID_DESTROY _IO(IOASID_TYPE, IOASID_CMD_DESTROY)

/**
 * struct ioasid_ioas_alloc - ioctl(IOASID_IOAS_ALLOC)
 * @size: sizeof(struct ioasid_ioas_alloc)
 * @flags: must be 0
 * @out_ioas_id: the id of the new IO address space
 * @__reserved: must be 0
 *
 * Create an IO address space (IOAS).  It starts empty, with every IOVA
 * allowed.  Memory can be mapped into it before any device is attached.
 *
 * Errors: -ENOMEM.
 */
struct ioasid_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
	__u32 __reserved;
};

#define IOASID_IOAS_ALLOC _IO(IOASID_TYPE, IOASID_CMD_IOAS_ALLOC)

/**
 * enum ioasid_ioas_map_flags - flags of IOASID_IOAS_MAP and IOASID_IOAS_COPY
 * @IOASID_IOAS_MAP_FIXED_IOVA: map at the IOVA given; without it the kernel
 *	chooses the IOVA and returns it
 * @IOASID_IOAS_MAP_READABLE: devices may read the memory
 * @IOASID_IOAS_MAP_WRITEABLE: devices may write the memory
 */
enum ioasid_ioas_map_flags {
	IOASID_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOASID_IOAS_MAP_READABLE = 1 << 1,
	IOASID_IOAS_MAP_WRITEABLE = 1 << 2,
};

/**
 * struct ioasid_ioas_map - ioctl(IOASID_IOAS_MAP)
 * @size: sizeof(struct ioasid_ioas_map)
 * @flags: a combination of enum ioasid_ioas_map_flags; READABLE, WRITEABLE
 *	or both must be set
 * @ioas_id: the IOAS to map into
 * @__reserved: must be 0
 * @user_va: the start of the caller's memory to map
 * @length: the number of bytes to map
 * @iova: with IOASID_IOAS_MAP_FIXED_IOVA, the IOVA to map at; otherwise
 *	set by the kernel to the IOVA it chose, which may be 0
 *
 * Pin the memory at [@user_va, @user_va + @length) and map it at
 * [@iova, @iova + @length) as one mapping.  The pages are charged to the
 * caller, whoever opened the context: to the locked_vm of its user, against
 * its RLIMIT_MEMLOCK (callers with CAP_IPC_LOCK are exempt from the limit),
 * and to the pinned_vm of its process; the charge stays with them until the
 * pages are unpinned, after the caller exits too (the mappings of a forked
 * child stay in the context when it exits, usable by whoever holds the
 * file, and charged to the child's user).  A page the same user
 * and process already pin through this context, at the same user address
 * and with the same physical page, is shared, not pinned or charged again,
 * however often and in whatever overlapping ranges it is mapped or copied;
 * memory replaced at an address still pinned is pinned and charged again,
 * all of the MAP.  A kernel-chosen IOVA is congruent to @user_va modulo the
 * largest CPU huge page size (PUD, then PMD) that @length can hold, so that
 * huge pages stay usable by the IOMMU, and aligned to the IOAS's alignment
 * (&ioasid_ioas_iova_ranges.out_iova_alignment).  The number of mappings a
 * context holds, over all its IOASes, is not limited unless the module
 * parameter max_mappings is set (it is 0, no limit, by default).
 *
 * Errors: -EINVAL zero @length, an unaligned @user_va, @length or fixed
 * @iova, neither READABLE nor WRITEABLE, or, in an IOAS whose alignment is
 * larger than the CPU page, an @iova or @length that is not a multiple of
 * it or memory not made of physically contiguous blocks of that size
 * aligned to it; -EOVERFLOW @user_va + @length - 1 or @iova + @length - 1
 * wraps; -EEXIST the fixed range overlaps a mapping; -ERANGE the fixed
 * range is not within the usable IOVA ranges (IOASID_IOAS_IOVA_RANGES)
 * (these two, and the alignment of a fixed @iova and @length, are checked
 * before the memory is pinned, so they come before the memory's errors);
 * -ENOSPC no free IOVA range is large enough, or the context would hold
 * more than max_mappings mappings;
 * -EFAULT part of the memory is not mapped in the caller, is read-only
 * while WRITEABLE is asked, or cannot be pinned for long (device memory
 * such as a BAR mapping, VM_IO or VM_PFNMAP; DAX; a writeable shared
 * mapping of a regular file other than tmpfs, memfd or hugetlbfs);
 * -ENOMEM RLIMIT_MEMLOCK would be exceeded (a @length above the limit is
 * refused before anything is pinned, and the pages are charged as they are
 * pinned, a batch at a time), or out of memory; -EINTR a fatal signal
 * arrived (while pinning, or while looking through the allowed ranges for a
 * kernel-chosen IOVA).  On any error nothing is mapped, pinned or charged.
 */
struct ioasid_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};

#define IOASID_IOAS_MAP _IO(IOASID_TYPE, IOASID_CMD_IOAS_MAP)

/**
 * struct ioasid_ioas_map_file - ioctl(IOASID_IOAS_MAP_FILE)
 * @size: sizeof(struct ioasid_ioas_map_file)
 * @flags: a combination of enum ioasid_ioas_map_flags; READABLE, WRITEABLE
 *	or both must be set
 * @ioas_id: the IOAS to map into
 * @fd: a file of memory: a memfd, or another tmpfs (shmem) or hugetlbfs
 *	file
 * @start: the offset in the file of the memory to map
 * @length: the number of bytes to map
 * @iova: with IOASID_IOAS_MAP_FIXED_IOVA, the IOVA to map at; otherwise
 *	set by the kernel to the IOVA it chose, which may be 0
 *
 * Pin the pages of the file at [@start, @start + @length), allocating those
 * it does not have yet, and map them at [@iova, @iova + @length) as one
 * mapping.  No user address is involved: the mapping holds the file's
 * pages whatever the caller maps, or unmaps, and needs no new address when
 * another process takes the context over (see "Live update").  The pages
 * are pinned a folio at a time, a huge page with one pin, and charged as
 * IOASID_IOAS_MAP charges, a page for each page mapped, to the caller; two
 * mappings of the same pages of a file pin and charge them twice (COPY
 * shares them).  A kernel-chosen IOVA is congruent to @start as
 * IOASID_IOAS_MAP makes it congruent to the user address.  The file keeps
 * its size: pages the file drops later (by truncation or a hole punched)
 * stay pinned and mapped, no longer the file's, until they are unmapped.
 *
 * Errors: those of IOASID_IOAS_MAP, but for the memory, and -EBADF @fd is
 * not an open file; -EINVAL it is not a tmpfs or hugetlbfs file, an
 * unaligned @start, or a range that does not end within the file's size;
 * -EACCES WRITEABLE and the file is not open for writing; -EPERM WRITEABLE
 * and the file is sealed against writes (F_SEAL_WRITE,
 * F_SEAL_FUTURE_WRITE); -EFAULT the file could not give a page (its
 * hugetlbfs pool or its size limit is exhausted; a hugetlbfs file open
 * read-only lacks one: then it is not allocated).
 */
struct ioasid_ioas_map_file {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
};

#define IOASID_IOAS_MAP_FILE _IO(IOASID_TYPE, IOASID_CMD_IOAS_MAP_FILE)

/**
 * enum ioasid_ioas_unmap_flags - flags of IOASID_IOAS_UNMAP
 * @IOASID_IOAS_UNMAP_ALL: unmap every mapping; @iova and @length must be 0
 */
enum ioasid_ioas_unmap_flags {
	IOASID_IOAS_UNMAP_ALL = 1 << 0,
};

/**
 * struct ioasid_ioas_unmap - ioctl(IOASID_IOAS_UNMAP)
 * @size: sizeof(struct ioasid_ioas_unmap)
 * @flags: enum ioasid_ioas_unmap_flags
 * @ioas_id: the IOAS to unmap from
 * @__reserved: must be 0
 * @iova: the start of the range
 * @length: the length of the range; set by the kernel to the number of bytes
 *	unmapped
 *
 * Remove every mapping inside [@iova, @iova + @length).  The range must not
 * cut a mapping: each mapping it touches must lie wholly inside it.  With
 * IOASID_IOAS_UNMAP_ALL, remove every mapping, whatever their number; an
 * empty IOAS is not an error then.  Either way @length comes back as the
 * number of bytes unmapped (0 for UNMAP_ALL of an empty IOAS).
 *
 * Errors: -EINVAL zero or unaligned @iova or @length, the range cuts a
 * mapping, or UNMAP_ALL with a non-zero @iova or @length; -EOVERFLOW
 * @iova + @length - 1 wraps; -ENOENT nothing is mapped in the range; -EINTR
 * a fatal signal arrived while the range was checked.  On any error nothing
 * is unmapped.
 */
struct ioasid_ioas_unmap {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
};

#define IOASID_IOAS_UNMAP _IO(IOASID_TYPE, IOASID_CMD_IOAS_UNMAP)

/**
 * struct ioasid_ioas_copy - ioctl(IOASID_IOAS_COPY)
 * @size: sizeof(struct ioasid_ioas_copy)
 * @flags: a combination of enum ioasid_ioas_map_flags, as for MAP
 * @dst_ioas_id: the IOAS to map into
 * @src_ioas_id: the IOAS to copy from; may be @dst_ioas_id
 * @length: the number of bytes to copy
 * @dst_iova: as @iova of struct ioasid_ioas_map
 * @src_iova: the start of the range in the source IOAS
 *
 * Map into the destination the memory that [@src_iova, @src_iova + @length)
 * maps in the source, sharing its pinned pages: nothing is pinned or charged
 * again.  The source range must be mapped with no hole; it may span several
 * mappings and take part of one, and becomes one mapping per source mapping
 * it touches, each counted against max_mappings.
 *
 * Errors: as for IOASID_IOAS_MAP (-ENOSPC also when the new mappings would
 * take the context above max_mappings), and -ENOENT part of the source
 * range is not mapped; -EPERM WRITEABLE is asked of memory mapped
 * read-only; -EINTR a fatal signal arrived while the source range was read.
 */
struct ioasid_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};

#define IOASID_IOAS_COPY _IO(IOASID_TYPE, IOASID_CMD_IOAS_COPY)

/**
 * struct ioasid_iova_range - an inclusive range of IOVAs
 * @start: the first IOVA
 * @last: the last IOVA (inclusive, so a range can end at U64_MAX)
 */
struct ioasid_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/**
 * struct ioasid_ioas_iova_ranges - ioctl(IOASID_IOAS_IOVA_RANGES)
 * @size: sizeof(struct ioasid_ioas_iova_ranges)
 * @flags: must be 0
 * @ioas_id: the IOAS to query
 * @num_iovas: the number of entries @allowed_iovas can hold; set by the
 *	kernel to the number of usable ranges
 * @allowed_iovas: a pointer to an array of struct ioasid_iova_range
 * @out_iova_alignment: set by the kernel to the alignment every IOVA and
 *	length must have: the CPU page size, or the largest smallest page of
 *	the IOMMU domains of the IOAS where that is larger (then the memory
 *	of a mapping must also come in physically contiguous, aligned blocks
 *	of it)
 *
 * Report the ranges of IOVA that can be mapped, in increasing order: the
 * ranges set by IOASID_IOAS_ALLOW_IOVAS, or all of [0, U64_MAX] if none was
 * set.
 *
 * Errors: -EMSGSIZE @num_iovas is too small (the first @num_iovas ranges and
 * the number needed are still returned); -EFAULT @allowed_iovas cannot be
 * written.
 */
struct ioasid_ioas_iova_ranges {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 num_iovas;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};

#define IOASID_IOAS_IOVA_RANGES _IO(IOASID_TYPE, IOASID_CMD_IOAS_IOVA_RANGES)

/**
 * struct ioasid_ioas_allow_iovas - ioctl(IOASID_IOAS_ALLOW_IOVAS)
 * @size: sizeof(struct ioasid_ioas_allow_iovas)
 * @flags: must be 0
 * @ioas_id: the IOAS to restrict
 * @num_iovas: the number of entries of @allowed_iovas; 0 allows every IOVA
 * @allowed_iovas: a pointer to an array of struct ioasid_iova_range
 *
 * Replace the set of IOVA ranges that mappings, fixed or kernel-chosen, may
 * use.  A VMM uses it to keep the IOAS within what its guest sees.  Ranges
 * that touch are merged into one.  Their number is limited only by memory:
 * each takes a small allocation charged to the caller's memory cgroup, and
 * they are read one at a time, so a @num_iovas beyond the end of the array
 * fails with -EFAULT there.
 *
 * Errors: -EINVAL a range whose start is after its last, that is not aligned
 * (start and last + 1 multiples of the page size), or that overlaps another;
 * -EADDRINUSE an existing mapping lies outside the new ranges; -EBUSY the
 * IOAS is enabled and one of the IOVA ranges it froze lies outside the new
 * ranges; -EFAULT
 * @allowed_iovas cannot be read; -ENOMEM; -EINTR a fatal signal arrived
 * while the ranges were read or the mappings checked.  On any error the
 * allowed ranges are unchanged.
 */
struct ioasid_ioas_allow_iovas {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 num_iovas;
	__aligned_u64 allowed_iovas;
};

#define IOASID_IOAS_ALLOW_IOVAS _IO(IOASID_TYPE, IOASID_CMD_IOAS_ALLOW_IOVAS)

/**
 * enum ioasid_device_attach_flags - flags of IOASID_DEVICE_ATTACH
 * @IOASID_DEVICE_ATTACH_REPLACE: the device may be attached already: move
 *	it (with its whole IOMMU group) to @ioas_id in one step, with no moment
 *	at which its DMA is untranslated; with IOASID_DEVICE_ATTACH_PASID,
 *	move that PASID
 * @IOASID_DEVICE_ATTACH_PASID: attach only the device's DMA tagged with
 *	&ioasid_device_attach.pasid, not its group
 */
enum ioasid_device_attach_flags {
	IOASID_DEVICE_ATTACH_REPLACE = 1 << 0,
	IOASID_DEVICE_ATTACH_PASID = 1 << 1,
};

/**
 * struct ioasid_device_attach - ioctl(IOASID_DEVICE_ATTACH)
 * @size: sizeof(struct ioasid_device_attach)
 * @flags: enum ioasid_device_attach_flags
 * @dev_id: a bound device of this context
 * @ioas_id: the IOAS whose mappings its DMA is to go through, or a nested
 *	hwpt (IOASID_HWPT_ALLOC): stage 1 over its IOAS
 * @out_unmet: when the IOAS is enabled and the device (or another of its
 *	group, on a REPLACE) cannot honour its features, enum ioasid_unmet
 *	saying which; 0 on success and on -EOPNOTSUPP for another reason
 * @pasid: with IOASID_DEVICE_ATTACH_PASID, the PASID, from 1 to below
 *	1 << &ioasid_device_info.out_max_pasid_log2
 * @__reserved: must be 0
 *
 * Attach a device to an IOAS.  The IOMMU translates a whole IOMMU group at
 * once: the first device of a group to attach brings the group in, and the
 * other devices of the group may only attach to the same IOAS.  What is
 * mapped in the IOAS is there for the device at once, and later MAPs and
 * UNMAPs apply to it.  The group's reserved regions (MSI windows, ...) and
 * what lies outside the IOMMU's aperture leave the usable IOVA ranges of the
 * IOAS.  Compatible groups share one IOMMU domain.
 *
 * Once the IOAS is enabled (IOASID_IOAS_ENABLE), a device is attached only
 * if it honours every feature the IOAS froze, exactly as ENABLE would have
 * checked it; otherwise the attach fails with -EOPNOTSUPP, @out_unmet says
 * why, and the kernel log names the device.
 *
 * With IOASID_DEVICE_ATTACH_PASID, only the DMA the device tags with @pasid
 * goes through the IOAS; the device's other DMA stays where it is, attached
 * or blocked.  A PASID starts blocked and is attached, replaced and
 * detached on its own; the rules above (reserved regions, the features of
 * an enabled IOAS) apply as to any attach.  Into an enabled IOAS, a PASID
 * comes only if the features promised PASIDs (&ioasid_features.min_pasid_log2
 * not 0) and @pasid is below 1 << min_pasid_log2.  A device without PASIDs
 * (&ioasid_device_info.out_max_pasid_log2 0) refuses with -EOPNOTSUPP,
 * @out_unmet IOASID_UNMET_PASID, and the kernel log says why.  Replacing
 * the domain of a PASID in one step needs the IOMMU driver to do it: a
 * hardware IOMMU on Linux 6.12 cannot (-EOPNOTSUPP), so detach the PASID
 * and attach it again.
 *
 * Attached to a nested hwpt, the device's DMA goes through the hwpt's
 * stage-1 table, then through its IOAS.  Every rule above applies with the
 * hwpt's IOAS, and the device's IOMMU must offer the hwpt's format and be
 * able to use its stage-2 domain.  REPLACE moves a device between a nested
 * hwpt and an IOAS, or another hwpt, in one step.
 *
 * Errors: -ENOENT no such device, IOAS or hwpt; -EINVAL an id of the wrong
 * kind, another device of the group is attached elsewhere, or the device's
 * IOMMU cannot use the nested hwpt's stage 2; -EBUSY the
 * device is attached and REPLACE is not set; -EADDRINUSE a mapping of the
 * IOAS lies in a reserved region of the group or outside the aperture, or
 * the IOMMU's smallest page is larger than the IOAS's alignment and a
 * mapping is not made of whole such pages (see
 * &ioasid_ioas_iova_ranges.out_iova_alignment);
 * -EOPNOTSUPP the IOAS is enabled and the device cannot honour its
 * features (@out_unmet is set), or the device's IOMMU can give it no IO
 * page table that ioasid manages (no IOASID_DEVICE_CAP_PAGING in
 * IOASID_DEVICE_INFO; @out_unmet is 0), or the device's IOMMU does not
 * offer a nested hwpt's format (@out_unmet IOASID_UNMET_NESTING), or, with
 * IOASID_DEVICE_ATTACH_PASID,
 * the device has no PASIDs, the enabled IOAS promised none (@out_unmet
 * IOASID_UNMET_PASID both), or the IOMMU cannot replace a PASID's domain;
 * with IOASID_DEVICE_ATTACH_PASID also: -EINVAL @pasid is 0, or beyond the
 * device's PASIDs or the enabled IOAS's; -EBUSY @pasid is attached and
 * REPLACE is not set, or a process is bound to the device with it;
 * -ENOMEM.  On any error nothing changed.
 */
struct ioasid_device_attach {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 ioas_id;
	__aligned_u64 out_unmet;
	__u32 pasid;
	__u32 __reserved;
};

#define IOASID_DEVICE_ATTACH _IO(IOASID_TYPE, IOASID_CMD_DEVICE_ATTACH)

/**
 * enum ioasid_device_detach_flags - flags of &ioasid_device_detach
 * @IOASID_DEVICE_DETACH_PASID: detach only &ioasid_device_detach.pasid
 */
enum ioasid_device_detach_flags {
	IOASID_DEVICE_DETACH_PASID = 1 << 0,
};

/**
 * struct ioasid_device_detach - ioctl(IOASID_DEVICE_DETACH)
 * @size: sizeof(struct ioasid_device_detach)
 * @flags: enum ioasid_device_detach_flags
 * @dev_id: an attached device of this context
 * @pasid: with IOASID_DEVICE_DETACH_PASID, the PASID to detach; else must
 *	be 0
 *
 * Detach a device.  When it is the last attached device of its IOMMU
 * group, the group's DMA is blocked: it is never left untranslated.  With
 * IOASID_DEVICE_DETACH_PASID, the DMA the device tags with @pasid is
 * blocked, and nothing else changes.
 *
 * Errors: -ENOENT no such device; -EINVAL it is not attached, or @pasid is
 * not attached (a PASID a process bound is not: it goes with the binding),
 * or is not 0 without IOASID_DEVICE_DETACH_PASID.
 */
struct ioasid_device_detach {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
};

#define IOASID_DEVICE_DETACH _IO(IOASID_TYPE, IOASID_CMD_DEVICE_DETACH)

/**
 * enum ioasid_iommu_family - the kind of IOMMU that serves a device
 * @IOASID_IOMMU_FAMILY_UNKNOWN: none of those below
 * @IOASID_IOMMU_FAMILY_INTEL_VTD: Intel VT-d
 * @IOASID_IOMMU_FAMILY_AMD_VI: AMD-Vi
 * @IOASID_IOMMU_FAMILY_ARM_SMMUV3: Arm SMMUv3
 * @IOASID_IOMMU_FAMILY_VIRTIO: virtio-iommu
 * @IOASID_IOMMU_FAMILY_SPAPR_TCE: PowerPC SPAPR TCE tables (pseries)
 * @IOASID_IOMMU_FAMILY_MOCK: the software IOMMU of the selftests
 */
enum ioasid_iommu_family {
	IOASID_IOMMU_FAMILY_UNKNOWN,
	IOASID_IOMMU_FAMILY_INTEL_VTD,
	IOASID_IOMMU_FAMILY_AMD_VI,
	IOASID_IOMMU_FAMILY_ARM_SMMUV3,
	IOASID_IOMMU_FAMILY_VIRTIO,
	IOASID_IOMMU_FAMILY_SPAPR_TCE,
	IOASID_IOMMU_FAMILY_MOCK,
};

/**
 * enum ioasid_device_caps - what a device's IOMMU does for it
 * @IOASID_DEVICE_CAP_PAGING: the device can be attached to an IOAS (the
 *	IOMMU gives it a paging domain); the page sizes and the aperture are
 *	reported only then
 * @IOASID_DEVICE_CAP_COHERENT: the device's DMA snoops the CPU caches
 * @IOASID_DEVICE_CAP_ENFORCE_COHERENT: the IOMMU can make the device's DMA
 *	snoop even when the device asks not to
 * @IOASID_DEVICE_CAP_ISOLATED_MSI: the device's interrupts are isolated
 *	(remapped): it cannot raise another device's interrupts
 * @IOASID_DEVICE_CAP_DIRTY_TRACKING: the IOMMU can track which pages the
 *	device wrote
 * @IOASID_DEVICE_CAP_SVA: a process may bind its own address space to the
 *	device (see "Process-bound access"): the device has PASIDs and
 *	recoverable I/O page faults, and the kernel's IOMMU driver binds
 *	address spaces; the kernel may still refuse a binding
 */
enum ioasid_device_caps {
	IOASID_DEVICE_CAP_PAGING = 1 << 0,
	IOASID_DEVICE_CAP_COHERENT = 1 << 1,
	IOASID_DEVICE_CAP_ENFORCE_COHERENT = 1 << 2,
	IOASID_DEVICE_CAP_ISOLATED_MSI = 1 << 3,
	IOASID_DEVICE_CAP_DIRTY_TRACKING = 1 << 4,
	IOASID_DEVICE_CAP_SVA = 1 << 5,
};

/**
 * enum ioasid_nesting_formats - user-managed page table formats an IOMMU
 *	can nest on a kernel-managed one
 * @IOASID_NESTING_VTD_S1: VT-d first-stage tables (ECAP.NEST)
 * @IOASID_NESTING_MOCK_S1: the stage-1 tables of the mock IOMMU of the
 *	selftests (struct ioasid_hwpt_mock_s1)
 */
enum ioasid_nesting_formats {
	IOASID_NESTING_VTD_S1 = 1 << 0,
	IOASID_NESTING_MOCK_S1 = 1 << 1,
};

/**
 * enum ioasid_hw_regs_type - the layout of &ioasid_device_info.out_hw_regs
 * @IOASID_HW_REGS_NONE: the kernel exposes no registers of this IOMMU
 * @IOASID_HW_REGS_INTEL_VTD: [0] is the Capability Register, [1] the
 *	Extended Capability Register (VT-d specification, 11.4.2 and 11.4.3),
 *	[2] the flags of the kernel's report (bit 0: erratum 772415, no
 *	read-only mappings in a domain that nests another)
 * @IOASID_HW_REGS_VIRTIO_IOMMU: from the virtio-iommu device's
 *	configuration (virtio specification, 5.13.4): [0] page_size_mask,
 *	[1] input_range.start, [2] input_range.end, [3] domain_range.start
 *	in bits 0-31 and domain_range.end in bits 32-63
 * @IOASID_HW_REGS_SPAPR_TCE: what the platform tells of the device's
 *	partitionable endpoint: [0] the TCE page sizes it offers, each a bit;
 *	[1] the bus address of the default 32-bit DMA window; [2] its size as
 *	the platform gives it (ioasid may open less of it); [3] the number
 *	of DMA windows the endpoint may have at once (0: the platform cannot
 *	create windows, so only the default one exists)
 */
enum ioasid_hw_regs_type {
	IOASID_HW_REGS_NONE,
	IOASID_HW_REGS_INTEL_VTD,
	IOASID_HW_REGS_VIRTIO_IOMMU,
	IOASID_HW_REGS_SPAPR_TCE,
};

/**
 * enum ioasid_kernel_dma - what a device's DMA goes through when the kernel
 *	owns it
 * @IOASID_KERNEL_DMA_UNKNOWN: not known (a mock device, or a domain of a
 *	kind ioasid does not know)
 * @IOASID_KERNEL_DMA_TRANSLATED: the IOMMU translates it, through the
 *	kernel's DMA API domain or, on SPAPR TCE, the platform's DMA windows
 *	(which the platform may fill to map all of memory)
 * @IOASID_KERNEL_DMA_IDENTITY: the IOMMU lets it through untranslated
 *	(bypass, passthrough, an identity domain)
 * @IOASID_KERNEL_DMA_BLOCKED: the IOMMU blocks it
 *
 * This is the domain the device's group was on when ioasid took it: its
 * default domain, as /sys/kernel/iommu_groups/N/type shows it, unless
 * another user of the IOMMU core had changed it.  It is what the device
 * got before the VMM took it, and what a driver of the kernel gets when
 * the device is given back.
 */
enum ioasid_kernel_dma {
	IOASID_KERNEL_DMA_UNKNOWN,
	IOASID_KERNEL_DMA_TRANSLATED,
	IOASID_KERNEL_DMA_IDENTITY,
	IOASID_KERNEL_DMA_BLOCKED,
};

/**
 * struct ioasid_device_info - ioctl(IOASID_DEVICE_INFO)
 * @size: sizeof(struct ioasid_device_info)
 * @flags: must be 0
 * @dev_id: a bound device of this context
 * @out_family: enum ioasid_iommu_family
 * @out_caps: enum ioasid_device_caps
 * @out_pgsize_bitmap: the page sizes the IOMMU maps for the device, each a
 *	bit; a map or an unmap is in multiples of the smallest
 * @out_aperture_start: the first IOVA the IOMMU translates for the device
 * @out_aperture_last: the last one
 * @out_max_pasid_log2: log2 of the number of PASIDs the device may use (0
 *	for none, or only one)
 * @out_nesting_formats: enum ioasid_nesting_formats, as far as the
 *	registers the kernel exposes tell (0 where they tell nothing)
 * @out_hw_regs_type: enum ioasid_hw_regs_type
 * @out_kernel_dma: enum ioasid_kernel_dma: what the device's DMA goes
 *	through when the kernel owns it
 * @out_hw_regs: the IOMMU's own registers, laid out as @out_hw_regs_type
 *	says
 * @num_resv_regions: in, the room at @resv_regions; out, the number of
 *	reserved regions of the device's group
 * @__reserved2: must be 0
 * @resv_regions: a pointer to an array of struct ioasid_iova_range, filled
 *	with the first @num_resv_regions (in) reserved regions
 *
 * Report what the IOMMU that serves a device offers it, before or after the
 * device is attached.  Page sizes and aperture are those of the domain the
 * device's group is attached to, or else those an IOAS would get for the
 * device alone, learnt once per binding from an empty domain: where the
 * IOMMU driver settles a domain only when it is attached (VT-d and
 * virtio-iommu on Linux 6.12), the group is attached to it for the
 * question, which blocks its DMA as before, and detached again.  PASIDs,
 * nesting, dirty tracking and enforced coherency are reported as the
 * hardware offers them; ioasid does not use them yet.  The reserved regions
 * (MSI windows, firmware mappings the device keeps) are the IOVAs an IOAS
 * loses to the device when it attaches; when @num_resv_regions comes back
 * larger than the room given, the call can be made again with more.
 *
 * Errors: -EOPNOTSUPP unknown @flags; -EINVAL @__reserved2 is not 0, @size
 * is too small, or @dev_id is not a device; -ENOENT no such device;
 * -EFAULT, also when @resv_regions cannot be written; -ENOMEM, or another
 * errno of the IOMMU driver for a domain it could not give.
 */
struct ioasid_device_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 out_family;
	__aligned_u64 out_caps;
	__aligned_u64 out_pgsize_bitmap;
	__aligned_u64 out_aperture_start;
	__aligned_u64 out_aperture_last;
	__u32 out_max_pasid_log2;
	__u32 out_nesting_formats;
	__u32 out_hw_regs_type;
	__u32 out_kernel_dma;
	__aligned_u64 out_hw_regs[4];
	__u32 num_resv_regions;
	__u32 __reserved2;
	__aligned_u64 resv_regions;
};

#define IOASID_DEVICE_INFO _IO(IOASID_TYPE, IOASID_CMD_DEVICE_INFO)

/**
 * struct ioasid_ioas_info - ioctl(IOASID_IOAS_INFO)
 * @size: sizeof(struct ioasid_ioas_info)
 * @flags: must be 0
 * @ioas_id: the IOAS
 * @out_num_devices: the devices attached to it, whole or by PASIDs
 * @out_families: the IOMMU families of those devices, bit N standing for
 *	enum ioasid_iommu_family N
 * @out_caps: the enum ioasid_device_caps that every one of them has; 0
 *	without devices
 * @out_pgsize_bitmap: the page sizes every one of its IOMMU domains maps;
 *	0 without devices
 * @out_min_page_size: the granule of a map or an unmap: the largest of the
 *	domains' smallest page sizes; 0 without devices
 * @out_aperture_start: the first IOVA that every domain translates
 * @out_aperture_last: the last one; below @out_aperture_start when the
 *	apertures do not meet, and ~0 with @out_aperture_start 0 without
 *	devices
 * @out_max_pasid_log2: the smallest PASID width of the devices
 * @__reserved: must be 0
 * @out_nesting_formats: the enum ioasid_nesting_formats every device's
 *	IOMMU offers; 0 without devices
 * @__reserved2: must be 0
 *
 * Report what an IOAS offers as it stands: what all of its devices have in
 * common.  A VMM compares it with what its guest needs; IOASID_IOAS_IOVA_RANGES
 * gives the usable IOVA ranges in detail.
 *
 * Errors: -EOPNOTSUPP unknown @flags; -EINVAL @__reserved or @__reserved2
 * is not 0, @size is too small, or @ioas_id is not an IOAS; -ENOENT no such
 * IOAS; -EFAULT; -ENOMEM, or another errno of an IOMMU driver asked what it
 * offers a device.
 */
struct ioasid_ioas_info {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 out_num_devices;
	__aligned_u64 out_families;
	__aligned_u64 out_caps;
	__aligned_u64 out_pgsize_bitmap;
	__aligned_u64 out_min_page_size;
	__aligned_u64 out_aperture_start;
	__aligned_u64 out_aperture_last;
	__u32 out_max_pasid_log2;
	__u32 __reserved;
	__u32 out_nesting_formats;
	__u32 __reserved2;
};

#define IOASID_IOAS_INFO _IO(IOASID_TYPE, IOASID_CMD_IOAS_INFO)

/**
 * DOC: Enabling an IOAS
 *
 * An IOAS starts open: any device the IOMMU can serve attaches, and what
 * the IOAS offers is whatever its devices have in common
 * (IOASID_IOAS_INFO).  A VMM that is about to show its guest an IOMMU
 * states what that IOMMU promises, in a struct ioasid_features, with
 * IOASID_IOAS_ENABLE.  The kernel checks every attached device against it
 * and then freezes it: from then on a device (a hot-plug) that cannot
 * honour the frozen features is refused at attach, rather than failing in
 * the guest later.  The frozen features can be read back
 * (IOASID_IOAS_FEATURES) as a descriptor, saved, carried to another host,
 * and given to ENABLE there before a migration starts: ENABLE succeeds only
 * if that host honours every feature of it.
 *
 * The descriptor is stable: its fields are little-endian whatever the
 * host, it has a version, and a later version only appends fields.
 */

/**
 * enum ioasid_unmet - which feature of a struct ioasid_features a host
 *	cannot honour
 * @IOASID_UNMET_NO_DEVICE: no device is attached to the IOAS, so nothing
 *	can be checked (ENABLE only)
 * @IOASID_UNMET_CAPS: a device lacks one of &ioasid_features.caps, or has
 *	no paging domain at all
 * @IOASID_UNMET_NESTING: a device's IOMMU does not offer
 *	&ioasid_features.nesting_format
 * @IOASID_UNMET_PAGE_SIZE: a device's smallest IOMMU page is larger than
 *	&ioasid_features.max_page_size
 * @IOASID_UNMET_IOVA_RANGES: a range of &ioasid_features.iova_ranges cannot
 *	be mapped: it lies outside a device's aperture, in a reserved region,
 *	outside the IOAS's allowed ranges, or is not made of whole CPU pages
 * @IOASID_UNMET_PASID: a device has fewer PASID bits than
 *	&ioasid_features.min_pasid_log2
 */
enum ioasid_unmet {
	IOASID_UNMET_NO_DEVICE = 1 << 0,
	IOASID_UNMET_CAPS = 1 << 1,
	IOASID_UNMET_NESTING = 1 << 2,
	IOASID_UNMET_PAGE_SIZE = 1 << 3,
	IOASID_UNMET_IOVA_RANGES = 1 << 4,
	IOASID_UNMET_PASID = 1 << 5,
};

/* "IOAF" read as a little-endian __le32 */
#define IOASID_FEATURES_MAGIC 0x46414f49
#define IOASID_FEATURES_VERSION 1
#define IOASID_FEATURES_MAX_RANGES 8
/* The PASIDs of PCIe are 20 bits wide. */
#define IOASID_FEATURES_MAX_PASID_LOG2 20

/**
 * struct ioasid_features_range - an inclusive range of IOVAs, little-endian
 * @start: the first IOVA
 * @last: the last IOVA
 */
struct ioasid_features_range {
	__le64 start;
	__le64 last;
};

/**
 * struct ioasid_features - what an enabled IOAS promises; the migration
 *	descriptor
 * @magic: IOASID_FEATURES_MAGIC
 * @version: IOASID_FEATURES_VERSION
 * @num_iova_ranges: the entries of @iova_ranges in use, at most
 *	IOASID_FEATURES_MAX_RANGES
 * @nesting_format: 0 for an IO page table the kernel manages (mappings
 *	through IOASID_IOAS_MAP), or the one enum ioasid_nesting_formats in
 *	which the guest will own its page tables
 * @min_pasid_log2: every device has at least this many PASID bits; at
 *	most IOASID_FEATURES_MAX_PASID_LOG2
 * @caps: enum ioasid_device_caps every device has; IOASID_DEVICE_CAP_PAGING
 *	is implied
 * @max_page_size: the smallest IOMMU page of every device is at most this:
 *	a power of two, or 0 for any
 * @iova_ranges: IOVA ranges that stay mappable: sorted, not overlapping,
 *	each with start and last + 1 multiples of 4 KiB (a host that cannot
 *	map a range in its own pages does not honour it); the entries past
 *	@num_iova_ranges are 0
 *
 * Every field is little-endian, so that a descriptor read on one host means
 * the same on any other.
 */
struct ioasid_features {
	__le32 magic;
	__le16 version;
	__le16 num_iova_ranges;
	__le32 nesting_format;
	__le32 min_pasid_log2;
	__le64 caps;
	__le64 max_page_size;
	struct ioasid_features_range iova_ranges[IOASID_FEATURES_MAX_RANGES];
};

/**
 * struct ioasid_ioas_enable - ioctl(IOASID_IOAS_ENABLE)
 * @size: sizeof(struct ioasid_ioas_enable)
 * @flags: must be 0
 * @ioas_id: the IOAS
 * @features_len: the size of the struct ioasid_features at @features
 * @features: a pointer to the features to honour: built by the caller, or
 *	read from an enabled IOAS (on this host or another) with
 *	IOASID_IOAS_FEATURES
 * @out_unmet: enum ioasid_unmet: what this host cannot honour when the
 *	command fails with -EOPNOTSUPP for that reason, 0 when it succeeds;
 *	not written on other errors
 *
 * Check that every device attached to the IOAS honours the features, and
 * the IOAS itself too (every range of &ioasid_features.iova_ranges is
 * allowed and free of reserved regions); then freeze them.  From then on:
 *
 * - IOASID_DEVICE_ATTACH refuses a device that does not honour them;
 * - IOASID_IOAS_ALLOW_IOVAS refuses to leave out any of the ranges;
 * - IOASID_IOAS_FEATURES returns them.
 *
 * Detaching devices, mapping and unmapping work as before.  An IOAS is
 * enabled once, for its life.
 *
 * @features_len follows the rules of command structs: shorter than version
 * 1 fails with -EINVAL, longer is accepted if the bytes the kernel does not
 * know are 0 (-E2BIG otherwise).
 *
 * Errors: -EOPNOTSUPP unknown @flags (@out_unmet is not written), or the
 * features cannot be honoured (@out_unmet says why); -EINVAL a bad @magic
 * or @version, more ranges than IOASID_FEATURES_MAX_RANGES, a range that is
 * not 4 KiB aligned, reversed, unsorted or overlapping, a non-zero unused
 * range, unknown @caps bits, an unknown @nesting_format, a @max_page_size
 * that is not a power of two, a @min_pasid_log2 above
 * IOASID_FEATURES_MAX_PASID_LOG2, a short @features_len, or @ioas_id is not
 * an IOAS;
 * -E2BIG see above; -EALREADY the IOAS is enabled already; -ENOENT no such
 * IOAS; -EFAULT; -ENOMEM.  On any error the IOAS is still open.
 */
struct ioasid_ioas_enable {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 features_len;
	__aligned_u64 features;
	__aligned_u64 out_unmet;
};

#define IOASID_IOAS_ENABLE _IO(IOASID_TYPE, IOASID_CMD_IOAS_ENABLE)

/**
 * struct ioasid_ioas_features - ioctl(IOASID_IOAS_FEATURES)
 * @size: sizeof(struct ioasid_ioas_features)
 * @flags: must be 0
 * @ioas_id: an enabled IOAS
 * @features_len: the room at @features; set to the size written
 * @features: a pointer to a struct ioasid_features, filled with the features
 *	the IOAS froze
 *
 * Read the descriptor of an enabled IOAS, to check a migration destination
 * with IOASID_IOAS_ENABLE there, or to compare with
 * tools/ioasid/ioasid-features.
 *
 * Errors: -EOPNOTSUPP unknown @flags; -ENODATA the IOAS is not enabled;
 * -EINVAL @features_len is below version 1 of the struct, or @ioas_id is
 * not an IOAS; -ENOENT no such IOAS; -EFAULT.
 */
struct ioasid_ioas_features {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 features_len;
	__aligned_u64 features;
};

#define IOASID_IOAS_FEATURES _IO(IOASID_TYPE, IOASID_CMD_IOAS_FEATURES)

/**
 * DOC: Live update
 *
 * A process may hand a context over to another, with its devices doing DMA
 * all along: a VMM that re-executes itself, or passes its files to a new
 * version of itself over a Unix socket.  Nothing is unmapped or pinned
 * again: the mappings, their pins and the IOMMUs' page tables stay as they
 * are, so DMA never stops.  What changes hands is the user addresses of the
 * mappings, which mean nothing in the new process, and the charge of the
 * pins.
 *
 * Ownership.  A context has no owner at first: any process holding the
 * file may change it, each paying for what it pins.  IOASID_TAKE_OWNERSHIP
 * makes the caller's process the owner, and charges it for every pin of
 * the context.  From then on a command that changes the context (every
 * command of /dev/ioasid but IOASID_IOAS_IOVA_RANGES, IOASID_DEVICE_INFO,
 * IOASID_IOAS_INFO, IOASID_IOAS_FEATURES, IOASID_OBJECTS,
 * IOASID_IOAS_MAPPINGS and IOASID_TAKE_OWNERSHIP itself, and IOASID_PCI_BIND
 * to the context) from any other process fails with
 * -EPERM.  Any holder of the file may take ownership, the old owner too: the
 * file is the capability, ownership says who pays and whose addresses the
 * mappings have.  Taking ownership waits for the commands changing the
 * context that are running, so none of the old owner's runs on after it;
 * those that come meanwhile wait for it.  A fatal signal ends either wait
 * with -EINTR.
 * The commands of a device file (its registers, reset, bus mastering) are
 * the file's holders' whoever owns the context: a new process that must
 * be the only one to drive a device makes sure the old one has closed the
 * device file.
 *
 * User addresses.  IOASID_UADDR_INVALIDATE marks the user addresses of the
 * mappings invalid; IOASID_UADDR_SUPPLY gives them new ones in the caller,
 * after checking that the memory there is made of the very pages the
 * mapping pins.  Mappings of a file (IOASID_IOAS_MAP_FILE) have no user
 * address: they need neither, and are the simplest to hand over.  No
 * command needs the user address of an existing mapping (its pages stay
 * pinned as long as it exists), so none waits for it or fails for want of
 * it: DMA, IOASID_IOAS_UNMAP, IOASID_IOAS_COPY (a copy of a mapping whose
 * address is invalid has an invalid address too), attach and enable all
 * work as before.
 *
 * The sequence, in the old process: IOASID_UADDR_INVALIDATE of every IOAS
 * (ioas_id 0); then pass /dev/ioasid, the device files and the memory's
 * file descriptors (memfd, shmem, hugetlbfs: the memory must outlive the
 * old process) to the new one, by exec() or SCM_RIGHTS.  In the new
 * process: IOASID_TAKE_OWNERSHIP; mmap() the memory; IOASID_UADDR_SUPPLY
 * for each mapping, range of mappings, or all at once with the offset
 * between the old and the new addresses (a VMM whose guest memory is all
 * mapped from files stops after IOASID_TAKE_OWNERSHIP).  Should the new process fail or
 * die at any step, the context is as the last command that completed left
 * it, and another process (the old one too) may take it over and go on.
 */

/**
 * struct ioasid_take_ownership - ioctl(IOASID_TAKE_OWNERSHIP)
 * @size: sizeof(struct ioasid_take_ownership)
 * @flags: must be 0
 * @__reserved: must be 0
 * @__reserved2: must be 0
 * @out_moved: set to the number of bytes whose charge moved to the caller
 *
 * Make the caller's process the owner of the context, and move the charge
 * of every page the context pins to the caller's user (locked_vm) and
 * process (pinned_vm), in one step: the pages charged to another user are
 * checked against the caller's RLIMIT_MEMLOCK first (callers with
 * CAP_IPC_LOCK are exempt).  The pins of other processes stay as they are,
 * but no later MAP shares them: memory of the caller that they pin too is
 * pinned and charged again when it is mapped.  Taking a context one owns
 * already moves what others charged since, if anything.
 *
 * Errors: -EOPNOTSUPP unknown @flags; -EINVAL a reserved member is not 0;
 * -ENOMEM the pages charged to other users would take the caller's user
 * over its RLIMIT_MEMLOCK; -EINTR a fatal signal arrived while the
 * commands running were waited for; then the context, its owner and every
 * charge are as they were.
 */
struct ioasid_take_ownership {
	__u32 size;
	__u32 flags;
	__u32 __reserved;
	__u32 __reserved2;
	__aligned_u64 out_moved;
};

#define IOASID_TAKE_OWNERSHIP _IO(IOASID_TYPE, IOASID_CMD_TAKE_OWNERSHIP)

/**
 * enum ioasid_uaddr_invalidate_flags - flags of IOASID_UADDR_INVALIDATE
 * @IOASID_UADDR_INVALIDATE_RANGE: only the mappings inside [@iova, @iova +
 *	@length) of the IOAS, which must be one
 * @IOASID_UADDR_INVALIDATE_VALID: every mapping of user memory covered
 *	must have a valid address, or none changes
 */
enum ioasid_uaddr_invalidate_flags {
	IOASID_UADDR_INVALIDATE_RANGE = 1 << 0,
	IOASID_UADDR_INVALIDATE_VALID = 1 << 1,
};

/**
 * struct ioasid_uaddr_invalidate - ioctl(IOASID_UADDR_INVALIDATE)
 * @size: sizeof(struct ioasid_uaddr_invalidate)
 * @flags: enum ioasid_uaddr_invalidate_flags
 * @ioas_id: the IOAS whose mappings to invalidate, or 0 for every IOAS of
 *	the context
 * @__reserved: must be 0
 * @out_mappings: set to the number of mappings whose address was valid
 * @iova: with IOASID_UADDR_INVALIDATE_RANGE, the start of the range
 * @length: with IOASID_UADDR_INVALIDATE_RANGE, its length
 * @out_length: set to the length in bytes of the mappings whose address
 *	was valid
 *
 * Mark the user address of every mapping of the IOAS (or of the context),
 * or of the mappings inside a range of an IOAS, invalid, at once: no
 * command sees some of them changed and others not.  The mappings, their
 * pins and DMA are untouched.  A mapping invalid already stays so, which
 * makes a handover that failed easy to retry; with
 * IOASID_UADDR_INVALIDATE_VALID (which VFIO type1's VADDR unmap needs) it
 * is an error instead.  A MAP or COPY running meanwhile may add a mapping
 * with a valid address just after: the caller stops changing the context
 * first.
 *
 * Errors: -EOPNOTSUPP unknown @flags; -EINVAL @__reserved is not 0,
 * @ioas_id is not an IOAS, without IOASID_UADDR_INVALIDATE_RANGE a non-zero
 * @iova or @length, or, with it, @ioas_id 0, an unaligned @iova or
 * @length, a zero @length, or a range that cuts a mapping; -EOVERFLOW the
 * range wraps; -EALREADY with IOASID_UADDR_INVALIDATE_VALID, a mapping's
 * address is invalid already; -ENOENT no such IOAS; -EPERM another
 * process owns the context; -ENOMEM.  On error no address changes.
 */
struct ioasid_uaddr_invalidate {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 out_mappings;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 out_length;
};

#define IOASID_UADDR_INVALIDATE _IO(IOASID_TYPE, IOASID_CMD_UADDR_INVALIDATE)

/**
 * enum ioasid_uaddr_supply_flags - flags of IOASID_UADDR_SUPPLY
 * @IOASID_UADDR_SUPPLY_SHIFT: every mapping whose address is invalid, in
 *	the IOAS or in every IOAS, gets its old address plus @user_va (a
 *	two's complement offset); @iova and @length must be 0
 * @IOASID_UADDR_SUPPLY_ONE: the range is exactly one mapping, as VFIO
 *	type1's VADDR map wants; not with IOASID_UADDR_SUPPLY_SHIFT
 */
enum ioasid_uaddr_supply_flags {
	IOASID_UADDR_SUPPLY_SHIFT = 1 << 0,
	IOASID_UADDR_SUPPLY_ONE = 1 << 1,
};

/**
 * struct ioasid_uaddr_supply - ioctl(IOASID_UADDR_SUPPLY)
 * @size: sizeof(struct ioasid_uaddr_supply)
 * @flags: enum ioasid_uaddr_supply_flags
 * @ioas_id: the IOAS; with IOASID_UADDR_SUPPLY_SHIFT, 0 for every IOAS of
 *	the context
 * @__reserved: must be 0
 * @iova: the start of the range of mappings
 * @length: its length
 * @user_va: the new address of the memory at @iova; with
 *	IOASID_UADDR_SUPPLY_SHIFT, the offset to add to each old address
 *
 * Give the mappings inside [@iova, @iova + @length), whose addresses must
 * all be invalid, the memory of the caller laid out as the IOVAs are: the
 * mapping at @iova + x gets the address @user_va + x.  The kernel checks,
 * page by page, that the caller's memory at each new address is made of
 * the very pages the mapping pins, and that it is writable where the
 * mapping lets devices write; the caller needs no ownership of the pages
 * beyond that.  All or nothing: every mapping is checked before any gets
 * its address.
 *
 * The new memory is faulted in while the IOASes are held: memory whose
 * faults wait for the caller (userfaultfd handled by one of its threads)
 * must be faulted in before.
 *
 * Errors: -EOPNOTSUPP unknown @flags; -EINVAL @__reserved is not 0, an
 * unaligned @iova, @length or @user_va, a zero @length, a range that cuts a
 * mapping, @ioas_id 0 without IOASID_UADDR_SUPPLY_SHIFT, or, with it, a
 * non-zero @iova or @length or IOASID_UADDR_SUPPLY_ONE too, or, with
 * IOASID_UADDR_SUPPLY_ONE, a range that is not exactly one mapping;
 * -EOVERFLOW the range, or a new address range, wraps; -ENOENT no such
 * IOAS, or no mapping of user memory in the range (with SHIFT: no mapping
 * whose address is invalid); -EEXIST a mapping in the range has a valid
 * address; -EFAULT part of the new memory is not mapped in the
 * caller, or cannot be reached; -EACCES it is read-only where the mapping
 * is writable; -EXDEV it is other memory than the mapping pins (other
 * pages of the same size), or a page of a file in a private mapping of
 * it, which a write of the caller would replace with a copy (anonymous
 * memory, hugetlb included, and the pages of a private mapping the caller
 * wrote are its own); -ENOMEM; -EINTR a fatal signal arrived
 * while the memory was checked; -EPERM another process owns the context.
 * On any error no address changes.
 */
struct ioasid_uaddr_supply {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 user_va;
};

#define IOASID_UADDR_SUPPLY _IO(IOASID_TYPE, IOASID_CMD_UADDR_SUPPLY)

/**
 * DOC: What a context holds
 *
 * A process that received a context can read all of it, with no help from
 * the process that built it: IOASID_OBJECTS lists its objects, with the
 * attachment of each device; for each IOAS, IOASID_IOAS_MAPPINGS lists its
 * mappings, IOASID_IOAS_IOVA_RANGES its allowed ranges, IOASID_IOAS_INFO
 * what its devices offer, and IOASID_IOAS_FEATURES whether it is enabled
 * (-ENODATA when not) and the features it froze.  Any process holding the
 * file may read them, owner or not.  The two lists are read in pages: a
 * call that fills the room it is given may have more to tell, from the
 * cursor it returns on; one that writes less has told all.  What the
 * context holds may change between two calls; a reader that needs one
 * picture keeps the context's other holders still meanwhile.
 */

/**
 * enum ioasid_object_kind - what IOASID_OBJECTS says an object is
 * @IOASID_OBJECT_IOAS: an IO address space
 * @IOASID_OBJECT_DEVICE: a device bound to the context
 * @IOASID_OBJECT_HWPT: a nested hwpt (IOASID_HWPT_ALLOC)
 * @IOASID_OBJECT_FAULT: a fault object (IOASID_FAULT_ALLOC)
 */
enum ioasid_object_kind {
	IOASID_OBJECT_IOAS = 1,
	IOASID_OBJECT_DEVICE = 2,
	IOASID_OBJECT_HWPT = 3,
	IOASID_OBJECT_FAULT = 4,
};

/**
 * struct ioasid_object_entry - one object of a context
 * @id: its id
 * @kind: enum ioasid_object_kind
 * @attached_ioas_id: for a device, the IOAS it is attached to (directly or
 *	through a nested hwpt), or 0; for a nested hwpt, its IOAS; 0 for an
 *	IOAS and a fault object
 * @__reserved: 0
 */
struct ioasid_object_entry {
	__u32 id;
	__u32 kind;
	__u32 attached_ioas_id;
	__u32 __reserved;
};

/**
 * struct ioasid_objects - ioctl(IOASID_OBJECTS)
 * @size: sizeof(struct ioasid_objects)
 * @flags: must be 0
 * @start_id: list the objects whose id is @start_id or above
 * @num_objects: the room at @objects, in entries; set to the number written
 * @objects: a pointer to an array of struct ioasid_object_entry
 * @out_next_id: where the next call starts: one above the last id written,
 *	or @start_id when none was
 * @__reserved: must be 0
 *
 * List the objects of the context by id, up to @num_objects of them.
 * Objects being made or destroyed by another command meanwhile may be left
 * out.
 *
 * Errors: -EOPNOTSUPP unknown @flags; -EINVAL @__reserved is not 0;
 * -EFAULT @objects cannot be written (then @num_objects entries may be
 * written in part); -ENOMEM.
 */
struct ioasid_objects {
	__u32 size;
	__u32 flags;
	__u32 start_id;
	__u32 num_objects;
	__aligned_u64 objects;
	__u32 out_next_id;
	__u32 __reserved;
};

#define IOASID_OBJECTS _IO(IOASID_TYPE, IOASID_CMD_OBJECTS)

/**
 * enum ioasid_mapping_flags - what a mapping is
 * @IOASID_MAPPING_READABLE: devices may read it
 * @IOASID_MAPPING_WRITEABLE: devices may write it
 * @IOASID_MAPPING_UADDR_INVALID: its user address is invalid
 *	(IOASID_UADDR_INVALIDATE): @user_va is the last one it had
 * @IOASID_MAPPING_FILE: it maps a file (IOASID_IOAS_MAP_FILE):
 *	@file_dev, @file_ino and @file_offset say where, @user_va is 0
 */
enum ioasid_mapping_flags {
	IOASID_MAPPING_READABLE = 1 << 0,
	IOASID_MAPPING_WRITEABLE = 1 << 1,
	IOASID_MAPPING_UADDR_INVALID = 1 << 2,
	IOASID_MAPPING_FILE = 1 << 3,
};

/**
 * struct ioasid_mapping - one mapping of an IOAS
 * @iova: its first IOVA
 * @length: its length in bytes
 * @user_va: the user address of its memory, in the process that mapped it
 *	or that supplied the address last
 * @file_ino: for a mapping of a file, the file's inode number (st_ino of
 *	fstat()), else 0
 * @file_offset: for a mapping of a file, the offset in the file of the
 *	memory at @iova, else 0
 * @flags: enum ioasid_mapping_flags
 * @file_dev: for a mapping of a file, the device of its file system (st_dev
 *	of fstat()), else 0
 */
struct ioasid_mapping {
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 user_va;
	__aligned_u64 file_ino;
	__aligned_u64 file_offset;
	__u32 flags;
	__u32 file_dev;
};

/**
 * struct ioasid_ioas_mappings - ioctl(IOASID_IOAS_MAPPINGS)
 * @size: sizeof(struct ioasid_ioas_mappings)
 * @flags: must be 0
 * @ioas_id: the IOAS
 * @num_mappings: the room at @mappings, in entries; set to the number
 *	written
 * @start_iova: list the mappings that end at or above this IOVA
 * @mappings: a pointer to an array of struct ioasid_mapping
 * @out_next_iova: where the next call starts: the IOVA after the last
 *	mapping written, or @start_iova when none was; 0 after a mapping
 *	that ends at the last IOVA, which means there is no more
 *
 * List the mappings of an IOAS in IOVA order, up to @num_mappings of them,
 * as separate MAPs and COPYs made them.  The list is read a batch at a
 * time, without holding the IOAS while the caller's memory is written, so
 * a mapping made or unmapped meanwhile by another command may or may not
 * be in it.
 *
 * Errors: -EOPNOTSUPP unknown @flags; -ENOENT no such IOAS; -EINVAL
 * @ioas_id is not an IOAS; -EFAULT @mappings cannot be written (then
 * entries may be written in part); -ENOMEM.
 */
struct ioasid_ioas_mappings {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 num_mappings;
	__aligned_u64 start_iova;
	__aligned_u64 mappings;
	__aligned_u64 out_next_iova;
};

#define IOASID_IOAS_MAPPINGS _IO(IOASID_TYPE, IOASID_CMD_IOAS_MAPPINGS)

/**
 * DOC: Process-bound access
 *
 * A device whose IOMMU offers IOASID_DEVICE_CAP_SVA can serve many
 * processes at once, each through its own PASID, in its own address space
 * (shared virtual addressing): the DMA the device tags with a process's
 * PASID uses that process's virtual addresses, and the kernel resolves the
 * device's page faults as it resolves the CPU's.  No broker is involved.
 *
 * The context that bound the device shares it (IOASID_DEVICE_SHARE): the
 * device gets a node, /dev/ioasid-sva/<name>, owned by the sharing
 * process's user and group, with the mode it chose.  Any process that may
 * open that node for writing may bind to the device (a read-only open
 * fails with -EACCES): each open of it is one access point, and
 * IOASID_SVA_BIND on it binds the address space of the calling process
 * and returns the PASID, which the process then programs into the
 * device (through the device's own interface, which the sharing process
 * gives out as it sees fit).
 *
 * The device reaches the process's memory as the process itself does: an
 * address not mapped, or mapped without the access the DMA needs, fails
 * that DMA (the device gets the error response its bus defines), harms
 * neither the process nor others, and a write to read-only memory never
 * lands.  What munmap(), mprotect() and copy-on-write do apply to the
 * device at once: after fork() the device sees the binding process's
 * current page, and the child, which is a process of its own, sees only
 * what it binds itself.
 *
 * A binding ends with IOASID_SVA_UNBIND, when its node file is closed,
 * when the address space goes (the process exits, is killed, or calls
 * exec()), when the device is shared no more or leaves its context.  The
 * device's DMA with the PASID is stopped before the address space is torn
 * down.  The PASID is free for another binding once it is unbound: before
 * the command, the close() or the sharing's end returns, and, for a
 * binding that ended with its address space, moments later, from a work
 * item of the kernel (at the latest when the file is closed or binds
 * again).  An ended binding leaves its file usable for a new
 * IOASID_SVA_BIND.  On a mock device a free PASID is given again, lowest
 * first; on hardware a binding's PASID is its address space's own.
 *
 * Limits.  A user (by real uid) may hold at most max_sva_binds_per_user
 * bindings at once, over every device (a module parameter of ioasid,
 * writable at run time; 4096 by default): a binding beyond it fails with
 * -EDQUOT, so that one user cannot take every PASID of a device from the
 * others.  A process binds a device once.  Every other resource of a
 * binding is charged where the kernel charges such resources: the open
 * files to RLIMIT_NOFILE, the kernel memory to the memory cgroup.
 *
 * The sharing context keeps its own use of the device: it may attach the
 * device, and IOAS to PASIDs of it (IOASID_DEVICE_ATTACH_PASID), which
 * bindings then cannot take.
 *
 * Hardware: the IOMMU core's SVA (iommu_sva_bind_device()) serves devices of
 * the hardware IOMMUs.  The IOMMU core of Debian's Linux 6.12.118 refuses
 * every SVA binding on x86 (-EOPNOTSUPP), and its arm64 kernel is built
 * without SMMUv3 SVA, so on those kernels a binding to a hardware device
 * fails with the IOMMU core's errno.
 */

/**
 * enum ioasid_device_share_flags - flags of &ioasid_device_share
 * @IOASID_DEVICE_SHARE_STOP: share the device no more: every binding to it
 *	ends, its node goes, and the files open on the node fail every
 *	command with -ENODEV
 */
enum ioasid_device_share_flags {
	IOASID_DEVICE_SHARE_STOP = 1 << 0,
};

/**
 * struct ioasid_device_share - ioctl(IOASID_DEVICE_SHARE)
 * @size: sizeof(struct ioasid_device_share)
 * @flags: enum ioasid_device_share_flags
 * @dev_id: a bound device of this context
 * @mode: the permissions of the node, at most 0666 (0 gives 0600)
 * @out_major: the major number of the node
 * @out_minor: its minor number
 *
 * Share a device for process-bound access: give it the node
 * /dev/ioasid-sva/<name>, where name is the device's (0000:00:03.0, say),
 * or mock<minor> for a mock device.  The node belongs to the caller's
 * filesystem user and group and has @mode.  Sharing lasts until
 * IOASID_DEVICE_SHARE_STOP, or until the device leaves the context.
 *
 * Errors: -EOPNOTSUPP unknown @flags, or the device cannot bind address
 * spaces (no IOASID_DEVICE_CAP_SVA); -EINVAL @mode has other bits than
 * 0666; -EBUSY the device is shared already; with IOASID_DEVICE_SHARE_STOP,
 * -EINVAL it is not shared; -ENOENT no such device; -ENOSPC every node is
 * taken; -ENOMEM.
 */
struct ioasid_device_share {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 mode;
	__u32 out_major;
	__u32 out_minor;
};

#define IOASID_DEVICE_SHARE _IO(IOASID_TYPE, IOASID_CMD_DEVICE_SHARE)

/**
 * DOC: Nested translation
 *
 * A VMM that shows its guest a virtual IOMMU of the same kind as the host's
 * can let the hardware walk the guest's own IO page tables: the guest's
 * table is stage 1 (guest IOVA to guest physical address), and the IOAS,
 * which the VMM maps guest memory into as usual, is stage 2 (guest physical
 * address to host memory).  IOASID_HWPT_ALLOC makes such a nested hardware
 * page table (a hwpt object) on an IOAS, for a format the device's IOMMU
 * reports in &ioasid_device_info.out_nesting_formats; IOASID_DEVICE_ATTACH
 * then takes the hwpt's id where it takes an IOAS's, and moves devices
 * onto it, off it, or between it and plain IOASes with REPLACE, in one
 * step.  The guest's tables live in guest memory, which the IOAS maps: the
 * IOMMU reads them through stage 2 like any DMA, so a table the guest
 * corrupts translates only into what the IOAS maps, and the kernel never
 * reads them itself.  The IOMMU caches what it walks; the guest's
 * invalidations are passed on with IOASID_HWPT_INVALIDATE, and until then a
 * change of a table may or may not be seen.  Faults of stage 1 are the
 * guest's to handle: they go to a fault object (IOASID_FAULT_ALLOC) given
 * at IOASID_HWPT_ALLOC, to be injected into the guest.  Faults of stage 2
 * are the VMM's: the DMA fails as it would without nesting.
 *
 * Which hardware nests: VT-d with ECAP.NEST, SMMUv3 with both stages, AMD-Vi
 * with a guest translation table.  Linux 6.12 lets only iommufd allocate
 * nested domains in any of them, and QEMU 7.2 emulates none, so on this
 * kernel ioasid nests only on the mock IOMMU, in IOASID_NESTING_MOCK_S1;
 * every other format is refused with -EOPNOTSUPP.  A VMM then falls back to
 * a kernel-managed IOAS whose mappings shadow the guest's tables.
 *
 * An enabled IOAS (IOASID_IOAS_ENABLE) takes nested hwpts only in the
 * &ioasid_features.nesting_format it froze: with 0 (a kernel-managed IO page
 * table) it takes none.  A refused allocation or attach fails with
 * -EOPNOTSUPP and IOASID_UNMET_NESTING.
 */

/**
 * struct ioasid_hwpt_mock_s1 - the IOASID_NESTING_MOCK_S1 data of
 *	IOASID_HWPT_ALLOC
 * @root: the stage-2 address (an IOVA of the IOAS) of the top table, 4 KiB
 *	aligned
 *
 * The mock's stage 1 translates 39-bit IOVAs in 4 KiB pages through three
 * levels of 4 KiB tables of 512 little-endian 64-bit entries, indexed by
 * IOVA bits 38-30, 29-21 and 20-12.  Bit 0 of an entry is present, bit 1
 * readable, bit 2 writable, bits 12-51 the stage-2 address of the next
 * table, or, in the last level, of the page; the other bits must be 0.
 * Only the last level's permissions count.  An IOVA at or above 1 << 39,
 * an entry not present, one with other bits set, or one whose permissions
 * forbid the access is a stage-1 fault.
 */
struct ioasid_hwpt_mock_s1 {
	__aligned_u64 root;
};

/**
 * struct ioasid_hwpt_alloc - ioctl(IOASID_HWPT_ALLOC)
 * @size: sizeof(struct ioasid_hwpt_alloc)
 * @flags: must be 0
 * @dev_id: a bound device of this context, whose IOMMU the hwpt is for
 * @ioas_id: the IOAS that is stage 2
 * @format: the one enum ioasid_nesting_formats of the stage-1 table
 * @fault_id: a fault object (IOASID_FAULT_ALLOC) to receive the faults of
 *	stage 1, or 0: then they only fail the DMA
 * @data_len: the size of the format's data at @data
 * @__reserved: must be 0
 * @data: a pointer to the format's data: struct ioasid_hwpt_mock_s1 for
 *	IOASID_NESTING_MOCK_S1
 * @out_hwpt_id: the id of the new hwpt
 * @__reserved2: must be 0
 * @out_unmet: when the device or the enabled IOAS refuses the format,
 *	IOASID_UNMET_NESTING; else 0
 *
 * Make a nested hardware page table: the table at @data, in the memory of
 * the IOAS, as stage 1 over the IOAS.  The hwpt holds the IOAS (destroying
 * it fails with -EBUSY) and the fault object; IOASID_DESTROY of the hwpt
 * fails with -EBUSY while a device is attached to it.  Devices whose IOMMU
 * can share the hwpt's stage 2 may be attached to it, as to an IOAS.
 * @data_len follows the rules of command structs.
 *
 * Errors: -EOPNOTSUPP unknown @flags, or the device's IOMMU does not offer
 * @format or the enabled IOAS froze another (@out_unmet is
 * IOASID_UNMET_NESTING), or the kernel does not drive @format (@out_unmet
 * is 0); -EINVAL @format is not one bit, a non-zero reserved member, a
 * short @data_len, bad data (a @root not 4 KiB aligned), or an id of the
 * wrong kind; -E2BIG see @data_len; -ENOENT no such device, IOAS or fault
 * object; -EADDRINUSE a new stage-2 domain for the device cannot hold
 * every mapping of the IOAS (see IOASID_DEVICE_ATTACH); -EOPNOTSUPP also
 * when the enabled IOAS refuses the device itself (@out_unmet says why, as
 * IOASID_DEVICE_ATTACH would), or its IOMMU driver fills a domain only
 * once attached (virtio-iommu); -EFAULT; -ENOMEM.
 */
struct ioasid_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 ioas_id;
	__u32 format;
	__u32 fault_id;
	__u32 data_len;
	__u32 __reserved;
	__aligned_u64 data;
	__u32 out_hwpt_id;
	__u32 __reserved2;
	__aligned_u64 out_unmet;
};

#define IOASID_HWPT_ALLOC _IO(IOASID_TYPE, IOASID_CMD_HWPT_ALLOC)

/**
 * enum ioasid_hwpt_invalidate_mock_flags - flags of struct
 *	ioasid_hwpt_invalidate_mock
 * @IOASID_HWPT_INVALIDATE_MOCK_ALL: every IOVA; @iova and @length must be 0
 * @IOASID_HWPT_INVALIDATE_MOCK_PASID: only what DMA tagged with @pasid
 *	cached; without it, what any DMA through the hwpt cached
 */
enum ioasid_hwpt_invalidate_mock_flags {
	IOASID_HWPT_INVALIDATE_MOCK_ALL = 1 << 0,
	IOASID_HWPT_INVALIDATE_MOCK_PASID = 1 << 1,
};

/**
 * struct ioasid_hwpt_invalidate_mock - an invalidation of the mock IOMMU's
 *	IOTLB, for a hwpt of IOASID_NESTING_MOCK_S1
 * @flags: enum ioasid_hwpt_invalidate_mock_flags
 * @pasid: with IOASID_HWPT_INVALIDATE_MOCK_PASID, the PASID (0 for the
 *	untagged DMA)
 * @iova: the first stage-1 IOVA of the range, 4 KiB aligned
 * @length: its length, a non-zero multiple of 4 KiB
 */
struct ioasid_hwpt_invalidate_mock {
	__u32 flags;
	__u32 pasid;
	__aligned_u64 iova;
	__aligned_u64 length;
};

/**
 * enum ioasid_hwpt_invalidate_error - why an invalidation entry failed
 * @IOASID_HWPT_INVALIDATE_OK: none failed
 * @IOASID_HWPT_INVALIDATE_ERR_FLAGS: unknown flags in the entry, or
 *	non-zero bytes past the entry the kernel knows (-E2BIG)
 * @IOASID_HWPT_INVALIDATE_ERR_RANGE: a bad range (unaligned, empty,
 *	wrapping, or given with a flag that wants none)
 * @IOASID_HWPT_INVALIDATE_ERR_PASID: a PASID beyond the IOMMU's
 * @IOASID_HWPT_INVALIDATE_ERR_READ: the entry could not be read
 */
enum ioasid_hwpt_invalidate_error {
	IOASID_HWPT_INVALIDATE_OK,
	IOASID_HWPT_INVALIDATE_ERR_FLAGS,
	IOASID_HWPT_INVALIDATE_ERR_RANGE,
	IOASID_HWPT_INVALIDATE_ERR_PASID,
	IOASID_HWPT_INVALIDATE_ERR_READ,
};

/**
 * struct ioasid_hwpt_invalidate - ioctl(IOASID_HWPT_INVALIDATE)
 * @size: sizeof(struct ioasid_hwpt_invalidate)
 * @flags: must be 0
 * @hwpt_id: a nested hwpt
 * @entry_len: the size of one entry, in the hwpt's format:
 *	sizeof(struct ioasid_hwpt_invalidate_mock) or more for
 *	IOASID_NESTING_MOCK_S1, the bytes past what the kernel knows being 0
 * @entry_num: in, the number of entries at @entries; out, the number done
 * @__reserved: must be 0
 * @entries: a pointer to the array of entries
 * @out_error: enum ioasid_hwpt_invalidate_error: why entry @entry_num
 *	(out) failed, or IOASID_HWPT_INVALIDATE_OK
 * @__reserved2: must be 0
 *
 * Pass the guest's invalidations of its stage-1 table on to the IOMMU's
 * caches, in order, many in one call, as a virtual IOMMU's invalidation
 * queue holds them.  When the call returns, DMA through the hwpt no longer
 * uses what the entries done invalidated.  An entry that fails stops the
 * call: the ones before it are done, @entry_num says how many, and
 * @out_error says why it failed; none after it is looked at.
 *
 * Errors: -EOPNOTSUPP unknown @flags, or an entry with unknown flags;
 * -EINVAL @hwpt_id is not a nested hwpt, @entry_len is short, a bad entry
 * (@out_error), or a non-zero reserved member; -E2BIG @entry_len is longer
 * than the kernel knows and the rest of an entry is not 0; -ENOENT no such
 * hwpt; -EFAULT the command, or an entry (IOASID_HWPT_INVALIDATE_ERR_READ),
 * cannot be read; -EINTR a fatal signal stopped the call.  @entry_num and
 * @out_error are written on every error but those of the command itself
 * (-EFAULT reading it, unknown @flags, -ENOENT, a bad id or @entry_len).
 */
struct ioasid_hwpt_invalidate {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
	__aligned_u64 entries;
	__u32 out_error;
	__u32 __reserved2;
};

#define IOASID_HWPT_INVALIDATE _IO(IOASID_TYPE, IOASID_CMD_HWPT_INVALIDATE)

/**
 * DOC: Page faults
 *
 * A fault object gathers the stage-1 faults of the nested hwpts that name
 * it, for the VMM to inject into its guest's virtual IOMMU.  Its file
 * descriptor, from IOASID_FAULT_ALLOC, is read, polled (POLLIN when a record
 * waits) and written:
 *
 * - read() returns whole struct ioasid_fault records, oldest first, as many
 *   as fit (-EINVAL if not one does); it blocks while none waits, unless
 *   the file is non-blocking (-EAGAIN).
 * - A record with IOASID_FAULT_PAGE_REQUEST is a page request of a device
 *   that can wait for one (PCIe PRI): the device retries once it is
 *   answered.  The VMM answers it, when its guest has, by writing a struct
 *   ioasid_fault_response with the record's cookie.  A write takes whole
 *   responses, in order, and stops at the first whose cookie names no
 *   request waiting (-EINVAL if it is the first); it returns the bytes of
 *   the responses taken.
 * - The queue holds the depth given at IOASID_FAULT_ALLOC, and as many page
 *   requests may wait for an answer.  A fault that finds either full is
 *   lost: a page request is answered at once with
 *   IOASID_FAULT_RESPONSE_INVALID, and a record with IOASID_FAULT_LOST
 *   takes the lost faults' place in the order, with their number.
 * - A device that leaves the hwpt (detach, replace, unbind) has its page
 *   requests answered with IOASID_FAULT_RESPONSE_INVALID; their cookies no
 *   longer answer.  Closing the file answers every request waiting in the
 *   same way, and the faults that come after are lost.
 *
 * The file holds what it has queued after the object is destroyed, or the
 * context closed, and can still be read; a hwpt holds the fault object, so
 * destroying it while a hwpt names it fails with -EBUSY.
 */

/**
 * struct ioasid_fault_alloc - ioctl(IOASID_FAULT_ALLOC)
 * @size: sizeof(struct ioasid_fault_alloc)
 * @flags: must be 0
 * @depth: the number of faults the queue holds, 1 to 65536
 * @out_fault_id: the id of the new fault object
 * @out_fault_fd: its file descriptor, close-on-exec
 * @__reserved: must be 0
 *
 * Errors: -EOPNOTSUPP unknown @flags; -EINVAL a @depth out of range or a
 * non-zero @__reserved; -EMFILE; -ENOMEM.
 */
struct ioasid_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 depth;
	__u32 out_fault_id;
	__s32 out_fault_fd;
	__u32 __reserved;
};

#define IOASID_FAULT_ALLOC _IO(IOASID_TYPE, IOASID_CMD_FAULT_ALLOC)

/**
 * enum ioasid_fault_flags - flags of struct ioasid_fault
 * @IOASID_FAULT_READ: the access read
 * @IOASID_FAULT_WRITE: the access wrote
 * @IOASID_FAULT_PASID: the DMA was tagged with &ioasid_fault.pasid
 * @IOASID_FAULT_PAGE_REQUEST: the device waits for an answer, with
 *	&ioasid_fault.cookie
 * @IOASID_FAULT_LOST: no fault: &ioasid_fault.lost faults were lost here
 *	because the queue was full; only @lost is set
 */
enum ioasid_fault_flags {
	IOASID_FAULT_READ = 1 << 0,
	IOASID_FAULT_WRITE = 1 << 1,
	IOASID_FAULT_PASID = 1 << 2,
	IOASID_FAULT_PAGE_REQUEST = 1 << 3,
	IOASID_FAULT_LOST = 1 << 4,
};

/**
 * struct ioasid_fault - a record read from a fault object's file
 * @flags: enum ioasid_fault_flags
 * @dev_id: the device that faulted
 * @hwpt_id: the nested hwpt its DMA went through
 * @pasid: with IOASID_FAULT_PASID, the PASID of the DMA
 * @addr: the stage-1 IOVA that faulted
 * @cookie: with IOASID_FAULT_PAGE_REQUEST, what the answer names
 * @lost: with IOASID_FAULT_LOST, the number of faults lost
 */
struct ioasid_fault {
	__u32 flags;
	__u32 dev_id;
	__u32 hwpt_id;
	__u32 pasid;
	__aligned_u64 addr;
	__u32 cookie;
	__u32 lost;
};

/**
 * enum ioasid_fault_response_code - how a page request is answered
 * @IOASID_FAULT_RESPONSE_SUCCESS: the page is there now: the device retries
 * @IOASID_FAULT_RESPONSE_INVALID: it is not, and will not be: the device
 *	fails the access
 */
enum ioasid_fault_response_code {
	IOASID_FAULT_RESPONSE_SUCCESS,
	IOASID_FAULT_RESPONSE_INVALID,
};

/**
 * struct ioasid_fault_response - written to a fault object's file
 * @cookie: &ioasid_fault.cookie of the page request
 * @code: enum ioasid_fault_response_code
 */
struct ioasid_fault_response {
	__u32 cookie;
	__u32 code;
};

/**
 * DOC: Dirty tracking
 *
 * To migrate a guest, its VMM copies the guest's memory while the guest
 * runs, then again what was written meanwhile, by the CPUs (the VMM tracks
 * those itself) and by devices, which the IOMMU tracks for an IOAS between
 * IOASID_IOAS_DIRTY_TRACKING on and off.  IOASID_IOAS_DIRTY_BITMAP reads,
 * and clears, the pages devices wrote, by IOVA range.  Two modes:
 *
 * - IOASID_DIRTY_HARDWARE: every IOMMU domain of the IOAS sets dirty bits in
 *   its page table as devices write (the mock IOMMU does; the dirty bits of
 *   VT-d, AMD-Vi and SMMUv3 need iommufd's bitmap code, which Debian's 6.12
 *   leaves out, and QEMU 7.2 emulates none of them);
 * - IOASID_DIRTY_SOFTWARE: otherwise every page mapped writable counts as
 *   written at every read, cleared or not, as VFIO type1 reports it for
 *   devices whose writes it cannot see.
 *
 * The mode is chosen when tracking starts, and drops to software for good
 * (until tracking stops) when a device whose IOMMU cannot track comes in.
 * The dirty bits of a range are lost when it is unmapped, and those of a
 * domain when its last device leaves: read the bitmap first.  A device
 * writes through stage 2 of a nested hwpt too, so its writes are tracked
 * in the IOAS.
 */

/**
 * enum ioasid_dirty_mode - how an IOAS tracks what devices write
 * @IOASID_DIRTY_OFF: it does not
 * @IOASID_DIRTY_HARDWARE: by the dirty bits of the IOMMU page tables
 * @IOASID_DIRTY_SOFTWARE: every page mapped writable is reported written
 */
enum ioasid_dirty_mode {
	IOASID_DIRTY_OFF,
	IOASID_DIRTY_HARDWARE,
	IOASID_DIRTY_SOFTWARE,
};

/**
 * enum ioasid_dirty_tracking_flags - flags of IOASID_IOAS_DIRTY_TRACKING
 * @IOASID_DIRTY_TRACKING_ENABLE: start tracking; without it, stop
 */
enum ioasid_dirty_tracking_flags {
	IOASID_DIRTY_TRACKING_ENABLE = 1 << 0,
};

/**
 * struct ioasid_ioas_dirty_tracking - ioctl(IOASID_IOAS_DIRTY_TRACKING)
 * @size: sizeof(struct ioasid_ioas_dirty_tracking)
 * @flags: enum ioasid_dirty_tracking_flags
 * @ioas_id: the IOAS
 * @out_mode: enum ioasid_dirty_mode in force after the call
 *
 * Start or stop tracking what devices write into the IOAS.  Starting
 * clears every dirty bit; starting while tracking, or stopping while not,
 * changes nothing.
 *
 * Errors: -EOPNOTSUPP unknown @flags; -EINVAL @ioas_id is not an IOAS;
 * -ENOENT no such IOAS; or the errno of an IOMMU driver that could not
 * start (then nothing tracks).
 */
struct ioasid_ioas_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 out_mode;
};

#define IOASID_IOAS_DIRTY_TRACKING _IO(IOASID_TYPE, IOASID_CMD_IOAS_DIRTY_TRACKING)

/**
 * enum ioasid_dirty_bitmap_flags - flags of IOASID_IOAS_DIRTY_BITMAP
 * @IOASID_DIRTY_BITMAP_NO_CLEAR: read the dirty bits without clearing them
 */
enum ioasid_dirty_bitmap_flags {
	IOASID_DIRTY_BITMAP_NO_CLEAR = 1 << 0,
};

/**
 * struct ioasid_ioas_dirty_bitmap - ioctl(IOASID_IOAS_DIRTY_BITMAP)
 * @size: sizeof(struct ioasid_ioas_dirty_bitmap)
 * @flags: enum ioasid_dirty_bitmap_flags
 * @ioas_id: an IOAS that tracks
 * @out_mode: enum ioasid_dirty_mode of the bits read
 * @iova: the first IOVA of the range, aligned to @page_size
 * @length: its length, a non-zero multiple of @page_size, at most
 *	@page_size * 2^31
 * @page_size: what one bit stands for: a power of two, at least the CPU
 *	page size
 * @bitmap: a pointer to (@length / @page_size) bits, rounded up to 64-bit
 *	words: bit n (bit n % 64 of the host-endian word n / 64) is set when
 *	a device wrote into [@iova + n * @page_size, + @page_size), cleared
 *	otherwise; the kernel writes every word
 *
 * Read which pages devices wrote since the bits were last cleared, and
 * clear them (unless IOASID_DIRTY_BITMAP_NO_CLEAR).  A write that races
 * with the read is in this bitmap or the next.
 *
 * Errors: -EOPNOTSUPP unknown @flags; -ENODATA the IOAS does not track;
 * -EINVAL a bad @page_size, @iova or @length, or @ioas_id is not an IOAS;
 * -ENOENT no such IOAS; -EFAULT @bitmap cannot be written: the bits of
 * the part not written may be cleared, and lost; -ENOMEM.
 */
struct ioasid_ioas_dirty_bitmap {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 out_mode;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 bitmap;
};

#define IOASID_IOAS_DIRTY_BITMAP _IO(IOASID_TYPE, IOASID_CMD_IOAS_DIRTY_BITMAP)

/* The most ranges one IOASID_IOAS_MAP_BATCH or IOASID_IOAS_UNMAP_BATCH takes. */
#define IOASID_BATCH_MAX 16384

/**
 * struct ioasid_batch_range - one range of a batch
 * @flags: for IOASID_IOAS_MAP_BATCH, IOASID_IOAS_MAP_READABLE,
 *	IOASID_IOAS_MAP_WRITEABLE or both; for IOASID_IOAS_UNMAP_BATCH, 0
 * @__reserved: must be 0
 * @user_va: for IOASID_IOAS_MAP_BATCH, the start of the caller's memory to
 *	map; for IOASID_IOAS_UNMAP_BATCH, 0
 * @length: the number of bytes
 * @iova: the start of the range in the IOAS
 */
struct ioasid_batch_range {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};

/**
 * struct ioasid_ioas_batch - ioctl(IOASID_IOAS_MAP_BATCH) and
 *	ioctl(IOASID_IOAS_UNMAP_BATCH)
 * @size: sizeof(struct ioasid_ioas_batch)
 * @flags: must be 0
 * @ioas_id: the IOAS
 * @num: the number of ranges, 1 to IOASID_BATCH_MAX
 * @ranges: the address of an array of @num struct ioasid_batch_range; the
 *	kernel does not write it
 * @out_failed: set by the kernel, on error too, to the index in @ranges of
 *	the range the error is about (of two that overlap, the later in
 *	IOVA order, or in @ranges at one IOVA); to @num when it is about none
 *	in particular, and on success
 * @__reserved: must be 0
 *
 * IOASID_IOAS_MAP_BATCH maps each range as IOASID_IOAS_MAP with
 * IOASID_IOAS_MAP_FIXED_IOVA would, a mapping each, all or none: a virtual
 * IOMMU shadowing many small mappings of its guest, or a VMM mapping the
 * pieces of guest memory at boot, pays one call and takes the IOAS's lock
 * once.  The ranges must not overlap in IOVA, one another or the mappings
 * there; their memory may overlap, and is then pinned and charged once, as
 * IOASID_IOAS_MAP shares it.  Every range's IOVAs are checked, against the
 * other ranges and the IOAS, before any memory is pinned; a fatal signal
 * stops the pinning between two ranges (-EINTR).  The IOMMU maps each
 * range with a call of its own and Linux 6.12 syncs its IOTLB at each;
 * where the IOMMU must be told of new translations (a virtual IOMMU in
 * caching mode), a batch of many ranges costs that many syncs.
 *
 * IOASID_IOAS_UNMAP_BATCH removes, all or none, every mapping inside each
 * range, as IOASID_IOAS_UNMAP would: no range may cut a mapping or hold
 * none, and no two ranges may overlap.  Each IOMMU's IOTLB is flushed once
 * for the whole batch, before any of its pages is unpinned.  @user_va and
 * @flags of each range must be 0.
 *
 * Errors: -EOPNOTSUPP non-zero @flags, or a range's flags other than
 * READABLE and WRITEABLE (UNMAP_BATCH: any); -EINVAL @num 0 or above
 * IOASID_BATCH_MAX, a non-zero @__reserved, a range that IOASID_IOAS_MAP
 * (MAP_BATCH) or IOASID_IOAS_UNMAP (UNMAP_BATCH) refuses with -EINVAL, a
 * non-zero @user_va of UNMAP_BATCH, or two ranges of UNMAP_BATCH that
 * overlap; -EFAULT @ranges cannot be read, or a range's memory as
 * IOASID_IOAS_MAP; -EEXIST a range overlaps a mapping or, for MAP_BATCH,
 * another range; -ENOENT a range of UNMAP_BATCH holds no mapping; and the
 * other errors of IOASID_IOAS_MAP and IOASID_IOAS_UNMAP, for the same
 * reasons.  On any error nothing is mapped, pinned, charged or unmapped.
 */
struct ioasid_ioas_batch {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 num;
	__aligned_u64 ranges;
	__u32 out_failed;
	__u32 __reserved;
};

#define IOASID_IOAS_MAP_BATCH _IO(IOASID_TYPE, IOASID_CMD_IOAS_MAP_BATCH)
#define IOASID_IOAS_UNMAP_BATCH _IO(IOASID_TYPE, IOASID_CMD_IOAS_UNMAP_BATCH)

enum {
	IOASID_CMD_SVA_BIND = IOASID_CMD_BASE + 0x50,
	IOASID_CMD_SVA_UNBIND,
};

/**
 * struct ioasid_sva_bind - ioctl(IOASID_SVA_BIND) on /dev/ioasid-sva/<name>
 * @size: sizeof(struct ioasid_sva_bind)
 * @flags: must be 0
 * @out_pasid: the PASID of the binding
 * @__reserved: must be 0
 *
 * Bind the address space of the calling process to the device, through
 * this open file.
 *
 * Errors: -EBUSY the file has a binding already, or the process is bound
 * to the device through another file, or, on a hardware IOMMU (where the
 * PASID of a binding is the address space's own), that PASID is attached
 * to an IOAS of the device; -EDQUOT the user holds
 * max_sva_binds_per_user bindings; -ENOSPC the device has no free PASID;
 * -ENODEV the device is shared no more; -ENOMEM; -EINVAL the caller has no
 * address space (a kernel thread); or the errno of the IOMMU core
 * (-EOPNOTSUPP where the kernel refuses SVA).
 */
struct ioasid_sva_bind {
	__u32 size;
	__u32 flags;
	__u32 out_pasid;
	__u32 __reserved;
};

#define IOASID_SVA_BIND _IO(IOASID_TYPE, IOASID_CMD_SVA_BIND)

/**
 * struct ioasid_sva_unbind - ioctl(IOASID_SVA_UNBIND) on
 *	/dev/ioasid-sva/<name>
 * @size: sizeof(struct ioasid_sva_unbind)
 * @flags: must be 0
 *
 * End the binding of this file, whichever process calls it: the device's
 * DMA with its PASID stops before the call returns.
 *
 * Errors: -EINVAL the file has no binding, or it ended already (its
 * address space went); -ENODEV the device is shared no more.
 */
struct ioasid_sva_unbind {
	__u32 size;
	__u32 flags;
};

#define IOASID_SVA_UNBIND _IO(IOASID_TYPE, IOASID_CMD_SVA_UNBIND)

/**
 * DOC: PCI device files
 *
 * A PCI device is given to user space by binding it to the ioasid_pci
 * driver (through driver_override and drivers_probe, as for vfio-pci).  It
 * then has a device file, /dev/ioasid-pci/<domain:bus:device.function>,
 * which may be open once at a time: a second open() fails with -EBUSY until
 * the file is closed, whichever process holds it (a file passed to another
 * process, or inherited across fork(), is still the one open file).  The
 * commands below are ioctls on that file, with the format of every ioasid
 * command.  IOASID_PCI_INFO works from the start; the others need a
 * binding.
 *
 * The file does nothing until IOASID_PCI_BIND ties it to an ioasid context:
 * binding takes DMA ownership of the device's whole IOMMU group for that
 * context, which blocks the group's DMA until the device is attached to an
 * IO address space (IOASID_DEVICE_ATTACH).  Only once bound can the
 * device's registers be reached.  Binding resets the device and saves its
 * configuration space as the kernel left it.  Closing the file undoes the
 * binding: bus mastering is turned off, the commands of the context on the
 * device are waited for, the device is detached (its group's DMA blocked),
 * reset, and given the configuration saved at bind, and only then is the
 * group's DMA ownership given back.  A device that cannot be reset
 * (IOASID_PCI_RESET answers -ENOTTY) is handed back with its configuration
 * restored and INTx masked, but what its user programmed into the device
 * itself may remain: such devices bind only when the ioasid module parameter
 * allow_unresettable is set (writable at run time in
 * /sys/module/ioasid/parameters).  When the driver lets go of the device
 * (unbind, hot-unplug) while its file is open, the same happens at once, the
 * BAR mappings of the file are revoked (an access then raises SIGBUS, and a
 * command reading or writing such a mapping fails with -EFAULT), the device
 * object leaves its context (its id then answers -ENOENT), and every command
 * on the file fails with -ENODEV.
 *
 * The device object of a binding belongs to the device file: IOASID_DESTROY
 * of its id fails with -EBUSY, attached or not.  Closing the device file
 * (or the driver letting go of the device) ends the binding, and from then
 * on the id answers -ENOENT, as any id that names nothing.
 *
 * SR-IOV: ioasid_pci does not enable virtual functions.  The user of a
 * physical function could reach its virtual functions, which the kernel or
 * other users may hold, so a physical function with virtual functions
 * enabled does not bind (-EBUSY), nor does a virtual function whose
 * physical function is bound to ioasid_pci (-EPERM); vfio-pci's VF token is
 * for users who trust each other with both.
 */
enum {
	IOASID_CMD_PCI_BIND = IOASID_CMD_BASE + 0x40,
	IOASID_CMD_PCI_INFO,
	IOASID_CMD_PCI_REGION_INFO,
	IOASID_CMD_PCI_CONFIG,
	IOASID_CMD_PCI_BUS_MASTER,
	IOASID_CMD_PCI_RESET,
	IOASID_CMD_PCI_ERROR_NOTIFY,
};

/**
 * struct ioasid_pci_bind - ioctl(IOASID_PCI_BIND) on a device file
 * @size: sizeof(struct ioasid_pci_bind)
 * @flags: must be 0
 * @ioasid_fd: an open /dev/ioasid file, the context to bind to
 * @out_dev_id: the id of the device object in that context
 *
 * Bind the device to a context.  The device's IOMMU group must be viable:
 * no other device of the group may be bound to a kernel driver that uses the
 * DMA API.  A group belongs to one context at a time.  Two kinds of device
 * need the administrator's opt-in, a module parameter of ioasid writable at
 * run time in /sys/module/ioasid/parameters (and read at each BIND), as
 * with VFIO: a device whose MSIs the platform does not isolate (no
 * interrupt remapping), allow_unsafe_interrupts; a device that cannot be
 * reset, allow_unresettable.  IOASID_PCI_INFO tells both before the BIND.
 * The context cannot be released while a device file is bound to it.
 *
 * Errors: -EBADF @ioasid_fd is not an open file; -EINVAL it is not
 * /dev/ioasid; -EALREADY the file is bound already; -EBUSY the group is not
 * viable: another device of it is bound to a kernel driver that uses the DMA
 * API (the kernel log names it), or the device is an SR-IOV physical
 * function with virtual functions enabled; -EPERM the group belongs to
 * another context (or another user of the IOMMU core, such as VFIO), or
 * the device is a virtual function whose physical function is bound to
 * ioasid_pci, or another process owns the context (see "Live update");
 * -EACCES the device needs an opt-in that is not given: its MSIs are not
 * isolated and allow_unsafe_interrupts is not set, or it cannot be reset
 * and allow_unresettable is not set (the kernel log names the parameter);
 * -EAGAIN the kernel is working on the device (its reset could not take the
 * device lock): retry; -ENODEV the device is gone; -ENOMEM; -EINTR a fatal
 * signal arrived while the context's owner was changing.
 */
struct ioasid_pci_bind {
	__u32 size;
	__u32 flags;
	__s32 ioasid_fd;
	__u32 out_dev_id;
};

#define IOASID_PCI_BIND _IO(IOASID_TYPE, IOASID_CMD_PCI_BIND)

/**
 * enum ioasid_pci_info_flags - what isolation a device really has
 * @IOASID_PCI_INFO_ISOLATED_MSI: the platform isolates the device's MSIs
 *	(interrupt remapping or an equivalent), so it cannot raise another
 *	device's interrupts
 * @IOASID_PCI_INFO_COHERENT: the IOMMU keeps device DMA coherent with the
 *	CPU caches
 * @IOASID_PCI_INFO_RESETTABLE: the function has a reset method (FLR, PM,
 *	or a bus or slot reset where it is alone), as the kernel found when it
 *	enumerated it: binding and unbinding reset it (a BIND may still find
 *	the reset busy, -EAGAIN)
 * @IOASID_PCI_INFO_BOUND: the file is bound to a context
 */
enum ioasid_pci_info_flags {
	IOASID_PCI_INFO_ISOLATED_MSI = 1 << 0,
	IOASID_PCI_INFO_COHERENT = 1 << 1,
	IOASID_PCI_INFO_RESETTABLE = 1 << 2,
	IOASID_PCI_INFO_BOUND = 1 << 3,
};

/**
 * struct ioasid_pci_info - ioctl(IOASID_PCI_INFO) on a device file
 * @size: sizeof(struct ioasid_pci_info)
 * @flags: must be 0
 * @out_flags: enum ioasid_pci_info_flags
 * @out_iommu_group: the IOMMU group number, as in /sys/kernel/iommu_groups
 * @out_num_regions: the number of BAR regions (6)
 * @__reserved: must be 0
 *
 * What isolation the device has and what binding it needs, bound or not:
 * a device without IOASID_PCI_INFO_ISOLATED_MSI binds only with
 * allow_unsafe_interrupts, one without IOASID_PCI_INFO_RESETTABLE only with
 * allow_unresettable.
 *
 * Errors: -EINVAL @__reserved is not 0; -ENODEV the device is gone.
 */
struct ioasid_pci_info {
	__u32 size;
	__u32 flags;
	__u32 out_flags;
	__u32 out_iommu_group;
	__u32 out_num_regions;
	__u32 __reserved;
};

#define IOASID_PCI_INFO _IO(IOASID_TYPE, IOASID_CMD_PCI_INFO)

/**
 * enum ioasid_pci_region_flags - kinds of BAR region
 * @IOASID_PCI_REGION_MMIO: memory space
 * @IOASID_PCI_REGION_IO: I/O port space
 * @IOASID_PCI_REGION_MMAP: can be mmap()ed: memory space, page-aligned and
 *	at least a page long, so that a mapping holds nothing of another
 *	device's registers
 */
enum ioasid_pci_region_flags {
	IOASID_PCI_REGION_MMIO = 1 << 0,
	IOASID_PCI_REGION_IO = 1 << 1,
	IOASID_PCI_REGION_MMAP = 1 << 2,
};

/**
 * struct ioasid_pci_region_info - ioctl(IOASID_PCI_REGION_INFO)
 * @size: sizeof(struct ioasid_pci_region_info)
 * @flags: must be 0
 * @index: the BAR, 0 to 5
 * @out_flags: enum ioasid_pci_region_flags; 0 for an unimplemented BAR
 * @out_size: the size of the BAR in bytes
 * @out_offset: the mmap() offset of the BAR in the device file
 *
 * A BAR with IOASID_PCI_REGION_MMAP is mapped with mmap(fd, @out_offset + n)
 * for n a multiple of the page size below @out_size; the mapping is uncached,
 * and is revoked while the function resets and when the device goes away.
 *
 * Errors: -EINVAL @index is above 5, or the file is not bound; -ENODEV the
 * device is gone.
 */
struct ioasid_pci_region_info {
	__u32 size;
	__u32 flags;
	__u32 index;
	__u32 out_flags;
	__aligned_u64 out_size;
	__aligned_u64 out_offset;
};

#define IOASID_PCI_REGION_INFO _IO(IOASID_TYPE, IOASID_CMD_PCI_REGION_INFO)

/**
 * enum ioasid_pci_config_flags - flags of IOASID_PCI_CONFIG
 * @IOASID_PCI_CONFIG_WRITE: write @value rather than read it
 */
enum ioasid_pci_config_flags {
	IOASID_PCI_CONFIG_WRITE = 1 << 0,
};

/**
 * struct ioasid_pci_config - ioctl(IOASID_PCI_CONFIG) on a bound device file
 * @size: sizeof(struct ioasid_pci_config)
 * @flags: enum ioasid_pci_config_flags
 * @offset: the offset in configuration space, aligned to @width
 * @width: 1, 2 or 4 bytes
 * @value: the value read (returned) or to write
 * @__reserved: must be 0
 *
 * Read anything in the device's configuration space.  Writes are limited
 * to what cannot break isolation: the interrupt line register and the
 * device-specific area from 0x40 up to the lowest capability structure (or
 * to 0xff when there is none).
 * The command register is reached through IOASID_PCI_BUS_MASTER only.
 *
 * Errors: -EINVAL a bad @width, an unaligned @offset, an access beyond the
 * configuration space, or the file is not bound; -EPERM a write outside the
 * writable registers; -ENODEV the device is gone.
 */
struct ioasid_pci_config {
	__u32 size;
	__u32 flags;
	__u32 offset;
	__u32 width;
	__u32 value;
	__u32 __reserved;
};

#define IOASID_PCI_CONFIG _IO(IOASID_TYPE, IOASID_CMD_PCI_CONFIG)

/**
 * struct ioasid_pci_bus_master - ioctl(IOASID_PCI_BUS_MASTER)
 * @size: sizeof(struct ioasid_pci_bus_master)
 * @flags: must be 0
 * @enable: 1 to let the device master the bus (do DMA), 0 to stop it
 * @__reserved: must be 0
 *
 * Errors: -EINVAL @enable is not 0 or 1, or the file is not bound; -ENODEV
 * the device is gone.
 */
struct ioasid_pci_bus_master {
	__u32 size;
	__u32 flags;
	__u32 enable;
	__u32 __reserved;
};

#define IOASID_PCI_BUS_MASTER _IO(IOASID_TYPE, IOASID_CMD_PCI_BUS_MASTER)

/**
 * struct ioasid_pci_reset - ioctl(IOASID_PCI_RESET) on a bound device file
 * @size: sizeof(struct ioasid_pci_reset)
 * @flags: must be 0
 *
 * Reset the PCI function with the first method it supports (FLR, PM,
 * secondary bus reset when it is alone on its bus, ...).  The configuration
 * space is restored afterwards.
 *
 * Errors: -ENOTTY the function has no reset method; -EAGAIN the kernel is
 * working on the device (being unbound, say): retry; -EINVAL the file is
 * not bound; -ENODEV the device is gone.
 */
struct ioasid_pci_reset {
	__u32 size;
	__u32 flags;
};

#define IOASID_PCI_RESET _IO(IOASID_TYPE, IOASID_CMD_PCI_RESET)

/**
 * struct ioasid_pci_error_notify - ioctl(IOASID_PCI_ERROR_NOTIFY) on a bound
 *	device file
 * @size: sizeof(struct ioasid_pci_error_notify)
 * @flags: must be 0
 * @eventfd: an eventfd to signal when the PCI core reports an error of the
 *	device, or -1 for none
 * @__reserved: must be 0
 *
 * A device bound to ioasid_pci takes part in the PCI core's error recovery
 * (AER, EEH, DPC) as a driver must: when the core reports an error of the
 * device, ioasid_pci signals @eventfd, so that its user (a VMM that tells
 * its guest, say) learns of it, and tells the core that the device can
 * recover; the binding stays.  A permanent failure is signalled too, and
 * the device then goes away (see above).  As with vfio-pci, what the user
 * does about an error, a reset say, is its own.  The eventfd replaces any
 * set before, and goes with the binding.
 *
 * Errors: -EOPNOTSUPP unknown @flags; -EINVAL @__reserved is not 0, the
 * file is not bound, or @eventfd is not an eventfd; -EBADF @eventfd is not
 * an open file (nor -1); -ENODEV the device is gone.
 */
struct ioasid_pci_error_notify {
	__u32 size;
	__u32 flags;
	__s32 eventfd;
	__u32 __reserved;
};

#define IOASID_PCI_ERROR_NOTIFY _IO(IOASID_TYPE, IOASID_CMD_PCI_ERROR_NOTIFY)

/**
 * DOC: VFIO containers
 *
 * ioasid_vfio.ko makes ioasid an IOMMU backend of VFIO containers.  A VMM
 * that knows ioasid opens its container with the type IOASID_VFIO_IOMMU
 * (VFIO_CHECK_EXTENSION answers 1 for it, VFIO_SET_IOMMU takes it), and
 * links the container to an IOAS of a /dev/ioasid context it holds with
 * IOASID_VFIO_LINK, a command of the container: from then on every device
 * of every group set to the container is bound to that context (an object
 * IOASID_OBJECTS lists) and attached to that IOAS, which it shares with
 * the context's other devices.  Until then the groups' DMA stays blocked.
 * The mappings are made on /dev/ioasid; the container answers no type1
 * command (-ENOTTY).  An enabled IOAS refuses a device that does not
 * honour its frozen features, as at any attach.
 *
 * Such a container holds the context's file: the context lives as long as
 * the container does, and its devices stay bound to the context as long
 * as VFIO holds them in the container.  Binding them is a change of the
 * context: while another process owns it, a group set to a linked
 * container is refused (VFIO_GROUP_SET_CONTAINER fails with -EPERM).
 *
 * Where the IOMMU translates MSIs as DMA (SMMUv3), a device's MSIs are
 * mapped into the domain it is on when they are set up: set the
 * interrupts (VFIO_DEVICE_SET_IRQS) after the link, and again after the
 * device moves to another IOAS.  A group whose MSIs the platform does not
 * isolate is refused at VFIO_GROUP_SET_CONTAINER (-EPERM) unless ioasid's
 * allow_unsafe_interrupts is set.
 */

/* The type of a VFIO container that ioasid serves, linked to an IOAS. */
#define IOASID_VFIO_IOMMU 0x494f4153

/**
 * struct ioasid_vfio_link - ioctl(IOASID_VFIO_LINK) on a VFIO container
 * @size: sizeof(struct ioasid_vfio_link)
 * @flags: must be 0
 * @fd: an open /dev/ioasid
 * @ioas_id: an IOAS of that context
 * @out_unmet: when the IOAS is enabled and a device of the groups cannot
 *	honour its features, enum ioasid_unmet saying which, as
 *	IOASID_DEVICE_ATTACH says it; else 0.  Written only by a caller whose
 *	@size holds it
 *
 * Link a container of type IOASID_VFIO_IOMMU to the IOAS @ioas_id of the
 * context @fd, once, and attach the devices of its groups to the IOAS, all
 * or none.  A group set to the container once it is linked is attached
 * then, and refused as an attach would be: VFIO_GROUP_SET_CONTAINER fails
 * with the attach's errno (-EOPNOTSUPP for features an enabled IOAS froze,
 * the kernel log naming the device and what it lacks).
 *
 * Errors: -EOPNOTSUPP unknown @flags, or a device of the groups cannot
 * honour the features of the enabled IOAS (@out_unmet is set), or its
 * IOMMU gives it no IO page table that ioasid manages (@out_unmet is 0);
 * -EFAULT @out_unmet cannot be written (checked first); -ENOTTY the
 * container is not of type IOASID_VFIO_IOMMU; -EBUSY it is linked
 * already; -EBADF @fd is not an open file; -EINVAL it is not /dev/ioasid,
 * or @ioas_id is not an IOAS; -ENOENT no such IOAS; -EPERM another
 * process owns the context; any other errno of IOASID_DEVICE_ATTACH for a
 * device of the groups (-EADDRINUSE, say); then nothing is linked or
 * attached.
 */
struct ioasid_vfio_link {
	__u32 size;
	__u32 flags;
	__s32 fd;
	__u32 ioas_id;
	__aligned_u64 out_unmet;
};

#define IOASID_VFIO_LINK _IO(IOASID_TYPE, IOASID_CMD_BASE + 0x60)

#endif /* _UAPI_LINUX_IOASID_H */
