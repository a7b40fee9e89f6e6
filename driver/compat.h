/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version-dependent API the module uses goes through compat/, so the rest
 * of the driver reads the same on every kernel it is built for (the ones built and
 * tested: CentOS 7.9's 3.10.0-1160, Debian's 6.1 and 6.12). One header per subsystem, all
 * included here: every .c file includes bpfdrv.h, which needs struct bpfdrv_ref from
 * here, so including only some pieces would save no compile time and would only
 * lengthen every file's include list.
 */
#ifndef BPFDRV_COMPAT_H
#define BPFDRV_COMPAT_H

#include "compat/base.h"
#include "compat/refcount.h"
#include "compat/cred.h"
#include "compat/uaccess.h"
#include "compat/time.h"
#include "compat/mm.h"
#include "compat/rcu.h"
#include "compat/sched.h"
#include "compat/cgroup.h"
#include "compat/stacktrace.h"
#include "compat/perf.h"
#include "compat/tracepoint.h"
#include "compat/probes.h"
#include "compat/abi.h"
#include "compat/net.h"
#include "compat/fs.h"

#endif /* BPFDRV_COMPAT_H */
