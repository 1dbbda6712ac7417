// SPDX-License-Identifier: GPL-2.0
/*
 * The tracepoints of ioasid, defined once; trace.h lists them.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
