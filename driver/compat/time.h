/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The clocks of bpf_ktime_get_*_ns.
 */
#ifndef BPFDRV_COMPAT_TIME_H
#define BPFDRV_COMPAT_TIME_H

#include <linux/ktime.h>
#include <linux/time.h>
#include <linux/hrtimer.h>
#include "base.h"

/*
 * bpf_ktime_get_coarse_ns: CLOCK_MONOTONIC_COARSE. Before 3.17 (RHEL 7 included)
 * get_monotonic_coarse() is not exported: the coarse wall clock plus wall_to_monotonic,
 * read again if a clock step moved the offset in between.
 */
static inline u64 bpfdrv_ktime_coarse_ns(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 3, 0)
	return ktime_get_coarse_ns();
#elif LINUX_VERSION_CODE < KERNEL_VERSION(3, 17, 0)
	struct timespec ts;
	ktime_t off;

	do {
		off = ktime_get_monotonic_offset();
		ts = current_kernel_time();
	} while (ktime_to_ns(off) != ktime_to_ns(ktime_get_monotonic_offset()));
	return (u64)(timespec_to_ns(&ts) + ktime_to_ns(off));
#else
	struct timespec ts = get_monotonic_coarse();

	return (u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
#endif
}

/*
 * bpf_ktime_get_ns: CLOCK_MONOTONIC.
 * RHEL 7.9 has ktime_get_mono_fast_ns too, but the version decides: a feature
 * probe would move CentOS 7 off the path it is tested with.
 */
static inline u64 bpfdrv_ktime_ns(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 2, 0)
	return ktime_get_mono_fast_ns();
#else
	return ktime_to_ns(ktime_get());
#endif
}

static inline u64 bpfdrv_ktime_boot_ns(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 3, 0)
	return ktime_get_boot_fast_ns();
#else
	return ktime_to_ns(ktime_get_boottime());
#endif
}

#endif /* BPFDRV_COMPAT_TIME_H */
