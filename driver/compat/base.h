/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every compat/ header starts from: the kernel version, the APIs the feature
 * probes found, small language-level differences.
 */
#ifndef BPFDRV_COMPAT_BASE_H
#define BPFDRV_COMPAT_BASE_H

#include <linux/version.h>
#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/compiler.h>
#include <linux/atomic.h>
#include <linux/random.h>

/*
 * HAVE_<API>: the kernel APIs driver/Makefile's feature probes (compat/features/<api>.c)
 * found in the tree this build is for. Distribution kernels backport APIs under their
 * old version number (RHEL 7 keeps 3.10.0 and carries many from 4.x), so an API that a
 * vendor may have backported is tested by compiling against it, not by the version;
 * LINUX_VERSION_CODE remains for what no vendor kernel in use changes.
 */
#include "bpfdrv_features.h"

#ifndef READ_ONCE
#define READ_ONCE(x) ACCESS_ONCE(x)
#define WRITE_ONCE(x, v) (ACCESS_ONCE(x) = (v))
#endif

static inline u32 bpfdrv_random_u32(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0)
	return get_random_u32();
#else
	return prandom_u32();
#endif
}

#endif /* BPFDRV_COMPAT_BASE_H */
