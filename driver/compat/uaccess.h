/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault-tolerant copies from and to kernel and user memory, from any context.
 */
#ifndef BPFDRV_COMPAT_UACCESS_H
#define BPFDRV_COMPAT_UACCESS_H

#include <linux/uaccess.h>
#include <linux/mm.h>
#include "base.h"

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

/* bpf_probe_write_user: copy to the current task's user memory without faulting. */
static inline long bpfdrv_write_user_nofault(void __user *dst, const void *src, size_t size)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 8, 0)
	return copy_to_user_nofault(dst, src, size);
#else
	long ret;
	mm_segment_t old_fs = get_fs();

	if ((unsigned long)dst >= TASK_SIZE || size > TASK_SIZE - (unsigned long)dst)
		return -EFAULT;
	set_fs(USER_DS);
	pagefault_disable();
	ret = __copy_to_user_inatomic(dst, src, size);
	pagefault_enable();
	set_fs(old_fs);
	return ret ? -EFAULT : 0;
#endif
}

#endif /* BPFDRV_COMPAT_UACCESS_H */
