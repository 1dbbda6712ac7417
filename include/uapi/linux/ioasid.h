/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ioasid: IO address spaces for user space, through /dev/ioasid.
 */
#ifndef _UAPI_LINUX_IOASID_H
#define _UAPI_LINUX_IOASID_H

#include <linux/ioctl.h>

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
 */
#define IOASID_TYPE 0xBA
#define IOASID_CMD_BASE 0x80

#endif /* _UAPI_LINUX_IOASID_H */
