/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tracepoints of ioasid: events/ioasid/ in tracefs.
 *
 * Each command event fires once per command, when it returns, whether it
 * succeeded or not: rc is 0 or the negative errno the caller gets, and the
 * fields are the command's arguments, with what it answered on success.
 * On failure the answers are 0, also where the command did its work and
 * only the copy of its answer to the caller failed (-EFAULT).
 *
 * ioasid_ioas_map         IOASID_IOAS_MAP: ioas, iova (the one chosen on
 *                         success), length, uaddr, flags, rc
 * ioasid_ioas_map_file    IOASID_IOAS_MAP_FILE: ioas, iova, length, fd,
 *                         start (the offset in the file), flags, rc
 * ioasid_ioas_copy        IOASID_IOAS_COPY: dst_ioas, dst_iova, src_ioas,
 *                         src_iova, length, flags, rc
 * ioasid_ioas_unmap       IOASID_IOAS_UNMAP: ioas, iova, length (as asked;
 *                         0 with UNMAP_ALL), unmapped (bytes), flags, rc
 * ioasid_ioas_map_batch   IOASID_IOAS_MAP_BATCH and IOASID_IOAS_UNMAP_BATCH,
 * ioasid_ioas_unmap_batch per command: ioas, num (ranges), failed (the
 *                         index of the range the error is about; num when
 *                         none), rc
 * ioasid_device_attach    IOASID_DEVICE_ATTACH, also with REPLACE: dev,
 *                         pt (the IOAS or nested hwpt), pasid, op (attach
 *                         or replace), unmet (what an enabled IOAS found
 *                         lacking), rc
 * ioasid_device_detach    IOASID_DEVICE_DETACH: dev, pasid, rc
 * ioasid_device_refused   an enabled IOAS refuses a device or a PASID of
 *                         it: ioas, dev, unmet (enum ioasid_unmet)
 * ioasid_ioas_enable      IOASID_IOAS_ENABLE: ioas, unmet, rc
 * ioasid_fault_report     a stage-1 fault of a nested hwpt, queued on its
 *                         fault object or not: dev, hwpt, pasid, addr,
 *                         flags (enum ioasid_fault_flags), rc (0 queued;
 *                         -ENODEV no fault object or its file closed;
 *                         -ENOSPC, -ENOMEM lost)
 * ioasid_fault_response   a page request answered, by the VMM or by the
 *                         kernel: dev, pasid, cookie (0 for a request
 *                         answered at once, never queued), code
 * ioasid_take_ownership   IOASID_TAKE_OWNERSHIP: moved (bytes), rc
 * ioasid_uaddr_invalidate IOASID_UADDR_INVALIDATE: ioas (0: all), iova,
 *                         length, flags, mappings, bytes (as answered), rc
 * ioasid_uaddr_supply     IOASID_UADDR_SUPPLY: ioas, iova, length, uaddr,
 *                         flags, rc
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ioasid

#if !defined(_IOASID_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _IOASID_TRACE_H

#include <linux/tracepoint.h>
#include <uapi/linux/ioasid.h>

TRACE_EVENT(ioasid_ioas_map,
	    TP_PROTO(const struct ioasid_ioas_map *cmd, int rc),
	    TP_ARGS(cmd, rc),
	    TP_STRUCT__entry(__field(u32, ioas)
			     __field(u32, flags)
			     __field(u64, iova)
			     __field(u64, length)
			     __field(u64, uaddr)
			     __field(int, rc)),
	    TP_fast_assign(__entry->ioas = cmd->ioas_id;
			   __entry->flags = cmd->flags;
			   __entry->iova = cmd->iova;
			   __entry->length = cmd->length;
			   __entry->uaddr = cmd->user_va;
			   __entry->rc = rc;),
	    TP_printk("ioas=%u iova=0x%llx length=0x%llx uaddr=0x%llx flags=0x%x rc=%d",
		      __entry->ioas, __entry->iova, __entry->length,
		      __entry->uaddr, __entry->flags, __entry->rc)
);

TRACE_EVENT(ioasid_ioas_map_file,
	    TP_PROTO(const struct ioasid_ioas_map_file *cmd, int rc),
	    TP_ARGS(cmd, rc),
	    TP_STRUCT__entry(__field(u32, ioas)
			     __field(u32, flags)
			     __field(u64, iova)
			     __field(u64, length)
			     __field(s32, fd)
			     __field(u64, start)
			     __field(int, rc)),
	    TP_fast_assign(__entry->ioas = cmd->ioas_id;
			   __entry->flags = cmd->flags;
			   __entry->iova = cmd->iova;
			   __entry->length = cmd->length;
			   __entry->fd = cmd->fd;
			   __entry->start = cmd->start;
			   __entry->rc = rc;),
	    TP_printk("ioas=%u iova=0x%llx length=0x%llx fd=%d start=0x%llx flags=0x%x rc=%d",
		      __entry->ioas, __entry->iova, __entry->length,
		      __entry->fd, __entry->start, __entry->flags,
		      __entry->rc)
);

TRACE_EVENT(ioasid_ioas_copy,
	    TP_PROTO(const struct ioasid_ioas_copy *cmd, int rc),
	    TP_ARGS(cmd, rc),
	    TP_STRUCT__entry(__field(u32, dst_ioas)
			     __field(u32, src_ioas)
			     __field(u64, dst_iova)
			     __field(u64, src_iova)
			     __field(u64, length)
			     __field(u32, flags)
			     __field(int, rc)),
	    TP_fast_assign(__entry->dst_ioas = cmd->dst_ioas_id;
			   __entry->src_ioas = cmd->src_ioas_id;
			   __entry->dst_iova = cmd->dst_iova;
			   __entry->src_iova = cmd->src_iova;
			   __entry->length = cmd->length;
			   __entry->flags = cmd->flags;
			   __entry->rc = rc;),
	    TP_printk("dst_ioas=%u dst_iova=0x%llx src_ioas=%u src_iova=0x%llx length=0x%llx flags=0x%x rc=%d",
		      __entry->dst_ioas, __entry->dst_iova, __entry->src_ioas,
		      __entry->src_iova, __entry->length, __entry->flags,
		      __entry->rc)
);

TRACE_EVENT(ioasid_ioas_unmap,
	    TP_PROTO(const struct ioasid_ioas_unmap *cmd, u64 length, int rc),
	    TP_ARGS(cmd, length, rc),
	    TP_STRUCT__entry(__field(u32, ioas)
			     __field(u32, flags)
			     __field(u64, iova)
			     __field(u64, length)
			     __field(u64, unmapped)
			     __field(int, rc)),
	    TP_fast_assign(__entry->ioas = cmd->ioas_id;
			   __entry->flags = cmd->flags;
			   __entry->iova = cmd->iova;
			   __entry->length = length;
			   __entry->unmapped = rc ? 0 : cmd->length;
			   __entry->rc = rc;),
	    TP_printk("ioas=%u iova=0x%llx length=0x%llx unmapped=0x%llx flags=0x%x rc=%d",
		      __entry->ioas, __entry->iova, __entry->length,
		      __entry->unmapped, __entry->flags, __entry->rc)
);

DECLARE_EVENT_CLASS(ioasid_ioas_batch,
		    TP_PROTO(const struct ioasid_ioas_batch *cmd, int rc),
		    TP_ARGS(cmd, rc),
		    TP_STRUCT__entry(__field(u32, ioas)
				     __field(u32, num)
				     __field(u32, failed)
				     __field(int, rc)),
		    TP_fast_assign(__entry->ioas = cmd->ioas_id;
				   __entry->num = cmd->num;
				   __entry->failed = cmd->out_failed;
				   __entry->rc = rc;),
		    TP_printk("ioas=%u num=%u failed=%u rc=%d", __entry->ioas,
			      __entry->num, __entry->failed, __entry->rc)
);

DEFINE_EVENT(ioasid_ioas_batch, ioasid_ioas_map_batch,
	     TP_PROTO(const struct ioasid_ioas_batch *cmd, int rc),
	     TP_ARGS(cmd, rc)
);

DEFINE_EVENT(ioasid_ioas_batch, ioasid_ioas_unmap_batch,
	     TP_PROTO(const struct ioasid_ioas_batch *cmd, int rc),
	     TP_ARGS(cmd, rc)
);

TRACE_EVENT(ioasid_device_attach,
	    TP_PROTO(const struct ioasid_device_attach *cmd, int rc),
	    TP_ARGS(cmd, rc),
	    TP_STRUCT__entry(__field(u32, dev)
			     __field(u32, pt)
			     __field(u32, pasid)
			     __field(bool, replace)
			     __field(u64, unmet)
			     __field(int, rc)),
	    TP_fast_assign(__entry->dev = cmd->dev_id;
			   __entry->pt = cmd->ioas_id;
			   __entry->pasid = cmd->pasid;
			   __entry->replace = cmd->flags &
					      IOASID_DEVICE_ATTACH_REPLACE;
			   __entry->unmet = cmd->out_unmet;
			   __entry->rc = rc;),
	    TP_printk("dev=%u pt=%u pasid=%u op=%s unmet=0x%llx rc=%d",
		      __entry->dev, __entry->pt, __entry->pasid,
		      __entry->replace ? "replace" : "attach", __entry->unmet,
		      __entry->rc)
);

TRACE_EVENT(ioasid_device_detach,
	    TP_PROTO(const struct ioasid_device_detach *cmd, int rc),
	    TP_ARGS(cmd, rc),
	    TP_STRUCT__entry(__field(u32, dev)
			     __field(u32, pasid)
			     __field(int, rc)),
	    TP_fast_assign(__entry->dev = cmd->dev_id;
			   __entry->pasid = cmd->pasid;
			   __entry->rc = rc;),
	    TP_printk("dev=%u pasid=%u rc=%d", __entry->dev, __entry->pasid,
		      __entry->rc)
);

TRACE_EVENT(ioasid_device_refused,
	    TP_PROTO(u32 ioas, u32 dev, u64 unmet),
	    TP_ARGS(ioas, dev, unmet),
	    TP_STRUCT__entry(__field(u32, ioas)
			     __field(u32, dev)
			     __field(u64, unmet)),
	    TP_fast_assign(__entry->ioas = ioas;
			   __entry->dev = dev;
			   __entry->unmet = unmet;),
	    TP_printk("ioas=%u dev=%u unmet=0x%llx", __entry->ioas, __entry->dev,
		      __entry->unmet)
);

TRACE_EVENT(ioasid_ioas_enable,
	    TP_PROTO(const struct ioasid_ioas_enable *cmd, int rc),
	    TP_ARGS(cmd, rc),
	    TP_STRUCT__entry(__field(u32, ioas)
			     __field(u64, unmet)
			     __field(int, rc)),
	    TP_fast_assign(__entry->ioas = cmd->ioas_id;
			   __entry->unmet = cmd->out_unmet;
			   __entry->rc = rc;),
	    TP_printk("ioas=%u unmet=0x%llx rc=%d", __entry->ioas, __entry->unmet,
		      __entry->rc)
);

TRACE_EVENT(ioasid_fault_report,
	    TP_PROTO(const struct ioasid_fault *fault, int rc),
	    TP_ARGS(fault, rc),
	    TP_STRUCT__entry(__field(u32, dev)
			     __field(u32, hwpt)
			     __field(u32, pasid)
			     __field(u32, flags)
			     __field(u64, addr)
			     __field(int, rc)),
	    TP_fast_assign(__entry->dev = fault->dev_id;
			   __entry->hwpt = fault->hwpt_id;
			   __entry->pasid = fault->pasid;
			   __entry->flags = fault->flags;
			   __entry->addr = fault->addr;
			   __entry->rc = rc;),
	    TP_printk("dev=%u hwpt=%u pasid=%u addr=0x%llx flags=0x%x rc=%d",
		      __entry->dev, __entry->hwpt, __entry->pasid,
		      __entry->addr, __entry->flags, __entry->rc)
);

TRACE_EVENT(ioasid_fault_response,
	    TP_PROTO(u32 dev, u32 pasid, u32 cookie, u32 code),
	    TP_ARGS(dev, pasid, cookie, code),
	    TP_STRUCT__entry(__field(u32, dev)
			     __field(u32, pasid)
			     __field(u32, cookie)
			     __field(u32, code)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->pasid = pasid;
			   __entry->cookie = cookie;
			   __entry->code = code;),
	    TP_printk("dev=%u pasid=%u cookie=%u code=%u", __entry->dev,
		      __entry->pasid, __entry->cookie, __entry->code)
);

TRACE_EVENT(ioasid_take_ownership,
	    TP_PROTO(const struct ioasid_take_ownership *cmd, int rc),
	    TP_ARGS(cmd, rc),
	    TP_STRUCT__entry(__field(u64, moved)
			     __field(int, rc)),
	    TP_fast_assign(__entry->moved = rc ? 0 : cmd->out_moved;
			   __entry->rc = rc;),
	    TP_printk("moved=0x%llx rc=%d", __entry->moved, __entry->rc)
);

TRACE_EVENT(ioasid_uaddr_invalidate,
	    TP_PROTO(const struct ioasid_uaddr_invalidate *cmd, int rc),
	    TP_ARGS(cmd, rc),
	    TP_STRUCT__entry(__field(u32, ioas)
			     __field(u32, flags)
			     __field(u64, iova)
			     __field(u64, length)
			     __field(u64, mappings)
			     __field(u64, bytes)
			     __field(int, rc)),
	    TP_fast_assign(__entry->ioas = cmd->ioas_id;
			   __entry->flags = cmd->flags;
			   __entry->iova = cmd->iova;
			   __entry->length = cmd->length;
			   __entry->mappings = rc ? 0 : cmd->out_mappings;
			   __entry->bytes = rc ? 0 : cmd->out_length;
			   __entry->rc = rc;),
	    TP_printk("ioas=%u iova=0x%llx length=0x%llx flags=0x%x mappings=%llu bytes=0x%llx rc=%d",
		      __entry->ioas, __entry->iova, __entry->length,
		      __entry->flags, __entry->mappings, __entry->bytes,
		      __entry->rc)
);

TRACE_EVENT(ioasid_uaddr_supply,
	    TP_PROTO(const struct ioasid_uaddr_supply *cmd, int rc),
	    TP_ARGS(cmd, rc),
	    TP_STRUCT__entry(__field(u32, ioas)
			     __field(u32, flags)
			     __field(u64, iova)
			     __field(u64, length)
			     __field(u64, uaddr)
			     __field(int, rc)),
	    TP_fast_assign(__entry->ioas = cmd->ioas_id;
			   __entry->flags = cmd->flags;
			   __entry->iova = cmd->iova;
			   __entry->length = cmd->length;
			   __entry->uaddr = cmd->user_va;
			   __entry->rc = rc;),
	    TP_printk("ioas=%u iova=0x%llx length=0x%llx uaddr=0x%llx flags=0x%x rc=%d",
		      __entry->ioas, __entry->iova, __entry->length,
		      __entry->uaddr, __entry->flags, __entry->rc)
);

#endif /* _IOASID_TRACE_H */

/* Out of tree, trace.c is built with -I$(src): see Kbuild. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
