/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel stacks, and this module's own frames in them.
 */
#ifndef BPFDRV_COMPAT_STACKTRACE_H
#define BPFDRV_COMPAT_STACKTRACE_H

#include <linux/stacktrace.h>
#include <linux/module.h>
#include "base.h"

/* The current kernel stack, innermost first. */
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

/* Whether @addr is in this module's core text (its own frames in a captured stack). */
static inline bool bpfdrv_in_module_text(unsigned long addr)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	const struct module_memory *m = &THIS_MODULE->mem[MOD_TEXT];

	return addr - (unsigned long)m->base < m->size;
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(4, 5, 0)
	return addr - (unsigned long)THIS_MODULE->core_layout.base < THIS_MODULE->core_layout.text_size;
#else
	return addr - (unsigned long)THIS_MODULE->module_core < THIS_MODULE->core_text_size;
#endif
}

#endif /* BPFDRV_COMPAT_STACKTRACE_H */
