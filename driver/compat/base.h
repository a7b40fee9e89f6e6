/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every compat/ header starts from: the kernel version, the RHEL minor release,
 * small language-level differences.
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
 * RHEL/CentOS kernels keep their base version number (3.10.0) and backport newer APIs
 * under it; RHEL_RELEASE_CODE (linux/version.h) says which minor release we build for.
 */
#ifdef RHEL_RELEASE_CODE
#define BPFDRV_RHEL_AT_LEAST(a, b) (RHEL_RELEASE_CODE >= RHEL_RELEASE_VERSION(a, b))
#else
#define BPFDRV_RHEL_AT_LEAST(a, b) 0
#endif

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
