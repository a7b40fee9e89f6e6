/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory: large allocations, allocation flags, memory size, a mapping's flags, code
 * written at run time.
 */
#ifndef BPFDRV_COMPAT_MM_H
#define BPFDRV_COMPAT_MM_H

#include <linux/mm.h>
#include <linux/gfp.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "base.h"
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 8, 0)
#include <asm/sync_core.h>
#else
#include <asm/processor.h>
#endif

/* Allocation flag: fail under memory pressure instead of running the OOM killer. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 13, 0)
#define BPFDRV_GFP_MAYFAIL __GFP_RETRY_MAYFAIL
#else
#define BPFDRV_GFP_MAYFAIL __GFP_NORETRY
#endif

/* 5.0 made totalram_pages an accessor. */
static inline unsigned long bpfdrv_totalram_pages(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 0, 0)
	return totalram_pages();
#else
	return totalram_pages;
#endif
}

/*
 * Large zeroed allocations that may exceed kmalloc's limits. Sizes come from user space
 * (map dimensions): like Linux's bpf_map_area_alloc, a failure is ENOMEM for the caller,
 * never an allocation-failure splat or the OOM killer.
 * RHEL 7.9 has kvzalloc/kvfree too, but the version decides: a feature
 * probe would move CentOS 7 off the path it is tested with.
 */
static inline void *bpfdrv_zalloc_large(size_t size)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 13, 0)
	return kvzalloc(size, GFP_KERNEL | __GFP_NOWARN | BPFDRV_GFP_MAYFAIL);
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(4, 12, 0)
	return kvzalloc(size, GFP_KERNEL | __GFP_NOWARN);
#else
	void *p = kzalloc(size, GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY);

	return p ? p : __vmalloc(size, GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN | BPFDRV_GFP_MAYFAIL,
				 PAGE_KERNEL);
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

/* 6.3 made vma->vm_flags const: its changes go through vm_flags_clear and friends. */
static inline void bpfdrv_vm_flags_clear(struct vm_area_struct *vma, unsigned long flags)
{
#ifdef HAVE_VM_FLAGS_CLEAR /* compat/features/vm_flags_clear.c */
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/*
 * Before a CPU runs code another wrote (native code in the module's text): serialize
 * its instruction stream. 5.8 moved sync_core() to asm/sync_core.h.
 */
static inline void bpfdrv_sync_core(void)
{
	sync_core();
}

#endif /* BPFDRV_COMPAT_MM_H */
