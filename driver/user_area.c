// SPDX-License-Identifier: GPL-2.0
/*
 * Zeroed, page-aligned kernel areas that mmap may map into user space (mmapable array
 * values, perf output rings): what vmalloc_user() gives, without its two side effects on
 * a size user space chose. vmalloc_user() allocates with plain GFP_KERNEL, so a map of
 * 2 GiB in a 1 GiB machine prints an allocation-failure splat with a stack trace
 * (warn_alloc) and, below the machine's size, may run the OOM killer. Linux's
 * bpf_map_area_alloc() asks for __GFP_NOWARN | __GFP_RETRY_MAYFAIL: the creation fails
 * with ENOMEM instead. vmalloc_user() takes no gfp flags and the allocator entry points
 * that do are not exported on every kernel, so the pages are allocated here one by one and
 * mapped with vmap(VM_USERMAP), which remap_vmalloc_range() accepts.
 */
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include "bpfdrv.h"
#include "compat.h"

void bpfdrv_user_area_free(struct bpfdrv_user_area *a)
{
	unsigned long i;

	if (a->addr)
		vunmap(a->addr);
	for (i = 0; a->pages && i < a->nr_pages; i++)
		if (a->pages[i])
			__free_page(a->pages[i]);
	bpfdrv_free_large(a->pages);
	memset(a, 0, sizeof(*a));
}

/* 0 or -ENOMEM; @a is zeroed either way first, and left empty on failure. */
int bpfdrv_user_area_alloc(struct bpfdrv_user_area *a, unsigned long size)
{
	unsigned long n = PAGE_ALIGN(size) >> PAGE_SHIFT, i;

	memset(a, 0, sizeof(*a));
	/* What vmalloc refuses with "exceeds total pages", without its warning. */
	if (!n || n > bpfdrv_totalram_pages() || n > UINT_MAX)
		return -ENOMEM;
	a->pages = bpfdrv_zalloc_large(n * sizeof(*a->pages));
	if (!a->pages)
		return -ENOMEM;
	a->nr_pages = n;
	for (i = 0; i < n; i++) {
		a->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN | BPFDRV_GFP_MAYFAIL);
		if (!a->pages[i])
			goto nomem;
	}
	a->addr = vmap(a->pages, n, VM_MAP | VM_USERMAP, PAGE_KERNEL);
	if (!a->addr)
		goto nomem;
	return 0;
nomem:
	bpfdrv_user_area_free(a);
	return -ENOMEM;
}
