/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version-dependent API the module uses goes through here, so the rest
 * of the driver reads the same on 3.10 and 6.x.
 */
#ifndef BPFDRV_COMPAT_H
#define BPFDRV_COMPAT_H

#include <linux/version.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/perf_event.h>
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/mm.h>
#include <linux/sched.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 11, 0)
#include <linux/sched/signal.h>
#endif

/* Fault-tolerant reads of kernel and user memory from any context. */
static inline long bpfdrv_read_kernel_nofault(void *dst, const void *src, size_t size)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 8, 0)
	return copy_from_kernel_nofault(dst, src, size);
#else
	return probe_kernel_read(dst, src, size);
#endif
}

static inline long bpfdrv_read_user_nofault(void *dst, const void __user *src, size_t size)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 8, 0)
	return copy_from_user_nofault(dst, src, size);
#else
	long ret;
	mm_segment_t old_fs = get_fs();

	if ((unsigned long)src >= TASK_SIZE || size > TASK_SIZE - (unsigned long)src)
		return -EFAULT;
	set_fs(USER_DS);
	pagefault_disable();
	ret = __copy_from_user_inatomic(dst, src, size);
	pagefault_enable();
	set_fs(old_fs);
	return ret ? -EFAULT : 0;
#endif
}

/*
 * Copy a NUL-terminated string; returns its length including the NUL, or -EFAULT.
 * The kernel's *_nofault string copies are not exported to modules, so read in
 * chunks that never cross a page (a readable first byte means a readable chunk) and
 * copy only up to the NUL, leaving the rest of @dst untouched as the kernel does.
 */
static inline long bpfdrv_read_str_nofault(char *dst, const void *src, long size, bool user)
{
	char chunk[32];
	long i = 0;

	while (i < size) {
		unsigned long addr = (unsigned long)src + i;
		long n = min_t(long, size - i, sizeof(chunk));
		long j, err;

		n = min_t(long, n, PAGE_SIZE - (addr & ~PAGE_MASK));
		err = user ? bpfdrv_read_user_nofault(chunk, (const void __user *)addr, n) :
			     bpfdrv_read_kernel_nofault(chunk, (const void *)addr, n);
		if (err)
			return -EFAULT;
		for (j = 0; j < n; j++) {
			dst[i + j] = chunk[j];
			if (!chunk[j])
				return i + j + 1;
		}
		i += n;
	}
	dst[size - 1] = 0;
	return size;
}

static inline long bpfdrv_read_user_str_nofault(char *dst, const void __user *src, long size)
{
	return bpfdrv_read_str_nofault(dst, (const void __force *)src, size, true);
}

static inline long bpfdrv_read_kernel_str_nofault(char *dst, const void *src, long size)
{
	return bpfdrv_read_str_nofault(dst, src, size, false);
}

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

static inline u32 bpfdrv_random_u32(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0)
	return get_random_u32();
#else
	return prandom_u32();
#endif
}

/* Large zeroed allocations that may exceed kmalloc's limits. */
static inline void *bpfdrv_zalloc_large(size_t size)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 12, 0)
	return kvzalloc(size, GFP_KERNEL | __GFP_NOWARN);
#else
	void *p = kzalloc(size, GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY);

	return p ? p : vzalloc(size);
#endif
}

static inline void bpfdrv_free_large(void *p)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 12, 0)
	kvfree(p);
#else
	if (is_vmalloc_addr(p))
		vfree(p);
	else
		kfree(p);
#endif
}

/* The raw trace record perf hands to an overflow handler. */
static inline void *bpfdrv_sample_raw(struct perf_sample_data *data, u32 *size)
{
	if (!data->raw)
		return NULL;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 7, 0)
	*size = data->raw->frag.size;
	return data->raw->frag.data;
#else
	*size = data->raw->size;
	return data->raw->data;
#endif
}

/* The current kernel stack, innermost first. */
#include <linux/stacktrace.h>
static inline u32 bpfdrv_kernel_stack(u64 *ips, u32 max)
{
	/* 64-bit only: unsigned long and u64 are the same, so perf writes in place. */
	BUILD_BUG_ON(sizeof(unsigned long) != sizeof(u64));
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 2, 0)
	return stack_trace_save((unsigned long *)ips, max, 0);
#else
	{
		struct stack_trace trace = { .entries = (unsigned long *)ips, .max_entries = max };

		save_stack_trace(&trace);
		return trace.nr_entries;
	}
#endif
}

/* Wait until no CPU can still be inside a program run or a probe handler. */
static inline void bpfdrv_synchronize(void)
{
	synchronize_rcu();
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 0, 0)
	synchronize_sched();
#endif
}

#ifndef READ_ONCE
#define READ_ONCE(x) ACCESS_ONCE(x)
#define WRITE_ONCE(x, v) (ACCESS_ONCE(x) = (v))
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define bpfdrv_vm_flags_set(vma, flags) vm_flags_set(vma, flags)
#else
#define bpfdrv_vm_flags_set(vma, flags) ((vma)->vm_flags |= (flags))
#endif

#endif /* BPFDRV_COMPAT_H */
