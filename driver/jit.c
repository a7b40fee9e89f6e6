// SPDX-License-Identifier: GPL-2.0
/*
 * Native code for loaded programs (the engine's x86-64 compiler, ebpf_jit_x86.c), when
 * the jit parameter is set at load; else, and for every program the compiler leaves to
 * it, the interpreter.
 *
 * Where the code lives: kernels since 5.8 export no allocator of executable memory to
 * modules, but this module's own text is executable, in module (vmalloc) space, on
 * every kernel from 3.10 to 6.12. So the module carries an arena of int3 in its text,
 * and the code is written there through a writable, non-executable vmap() alias of the
 * arena's pages (vmalloc_to_page(), vmap(): exported everywhere; Linux's text_poke()
 * writes kernel text the same way). The text itself stays read-only and executable
 * (W^X), one route for every kernel.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include <linux/bitmap.h>
#include <linux/spinlock.h>
#include <linux/smp.h>
#include "bpfdrv.h"
#include "compat.h"

static bool bpfdrv_jit_param;
module_param_named(jit, bpfdrv_jit_param, bool, 0644);
MODULE_PARM_DESC(jit, "compile programs loaded from now on to native code (0: interpret them)");

/*
 * 1 MiB of int3 in the module's text, handed out in 64-byte units. To objtool it is a
 * function: an endbr64 (its address is taken, as an indirect call's target must have
 * one where the CPU checks them, IBT; every program's code starts with one too), then a
 * ud2 that ends the flow objtool follows.
 */
#define BPFDRV_JIT_ARENA_SIZE	(1U << 20)
#define BPFDRV_JIT_UNIT		64
#define BPFDRV_JIT_UNITS	(BPFDRV_JIT_ARENA_SIZE / BPFDRV_JIT_UNIT)

asm(".pushsection .text.bpfdrv_jit_arena, \"ax\", @progbits\n"
"	.balign 4096\n"
"	.type bpfdrv_jit_arena, @function\n"
"bpfdrv_jit_arena:\n"
"	.byte 0xf3, 0x0f, 0x1e, 0xfa, 0x0f, 0x0b\n"
"	.fill " __stringify(BPFDRV_JIT_ARENA_SIZE) " - 6, 1, 0xcc\n"
"	.size bpfdrv_jit_arena, " __stringify(BPFDRV_JIT_ARENA_SIZE) "\n"
"	.popsection\n");

/* A spinlock: a program's last reference may go where sleeping is not allowed. */
static DEFINE_SPINLOCK(bpfdrv_jit_lock);
static DECLARE_BITMAP(bpfdrv_jit_used, BPFDRV_JIT_UNITS);

bool bpfdrv_jit_enabled(void)
{
	return READ_ONCE(bpfdrv_jit_param);
}

/* Each CPU serializes its instruction stream before it may run bytes just written. */
static void bpfdrv_jit_sync_core(void *unused)
{
	bpfdrv_sync_core();
}

/* Writes @len bytes of @code at @at in the arena, through a writable alias of its pages. */
static int bpfdrv_jit_write(u8 *at, const u8 *code, u32 len)
{
	unsigned long first = (unsigned long)at & PAGE_MASK;
	u32 nr = (u32)(PAGE_ALIGN((unsigned long)at + len) - first) >> PAGE_SHIFT, i;
	struct page **pages;
	u8 *alias;

	pages = kcalloc(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		pages[i] = vmalloc_to_page((void *)(first + ((unsigned long)i << PAGE_SHIFT)));
		if (!pages[i]) {
			kfree(pages);
			return -EFAULT;
		}
	}
	alias = vmap(pages, nr, VM_MAP, PAGE_KERNEL);
	kfree(pages);
	if (!alias)
		return -ENOMEM;
	memcpy(alias + ((unsigned long)at - first), code, len);
	vunmap(alias);
	on_each_cpu(bpfdrv_jit_sync_core, NULL, 1);
	return 0;
}

/* Units for @len bytes of code, or -ENOSPC: the arena is full. */
static int bpfdrv_jit_alloc(u32 len, u32 *first)
{
	u32 nr = DIV_ROUND_UP(len, BPFDRV_JIT_UNIT);
	unsigned long at, flags;

	spin_lock_irqsave(&bpfdrv_jit_lock, flags);
	at = bitmap_find_next_zero_area(bpfdrv_jit_used, BPFDRV_JIT_UNITS, 0, nr, 0);
	if (at >= BPFDRV_JIT_UNITS) {
		spin_unlock_irqrestore(&bpfdrv_jit_lock, flags);
		return -ENOSPC;
	}
	bitmap_set(bpfdrv_jit_used, at, nr);
	spin_unlock_irqrestore(&bpfdrv_jit_lock, flags);
	*first = (u32)at;
	return 0;
}

static void bpfdrv_jit_release(u32 first, u32 len)
{
	unsigned long flags;

	spin_lock_irqsave(&bpfdrv_jit_lock, flags);
	bitmap_clear(bpfdrv_jit_used, first, DIV_ROUND_UP(len, BPFDRV_JIT_UNIT));
	spin_unlock_irqrestore(&bpfdrv_jit_lock, flags);
}

void bpfdrv_jit_compile(struct bpfdrv_prog *prog)
{
	struct ebpf_kregs *kinds = NULL;
	char why[128] = "";
	struct ebpf_log log = { why, sizeof(why), 0, 1 };
	u8 *code = NULL;
	u32 first;
	int len, err;

	if (!bpfdrv_jit_enabled())
		return;
	err = ebpf_kinds(&prog->eprog, &kinds);
	if (err)
		goto out;
	len = ebpf_jit_x86(&prog->eprog, kinds, NULL, 0, &log);
	err = len;
	if (len <= 0)
		goto out;
	code = vmalloc(len);
	err = -ENOMEM;
	if (!code)
		goto out;
	err = ebpf_jit_x86(&prog->eprog, kinds, code, len, &log);
	if (err != len) {
		err = err < 0 ? err : -EINVAL;
		goto out;
	}
	err = bpfdrv_jit_alloc(len, &first);
	if (err)
		goto out;
	err = bpfdrv_jit_write(bpfdrv_jit_arena + first * BPFDRV_JIT_UNIT, code, len);
	if (err) {
		bpfdrv_jit_release(first, len);
		goto out;
	}
	prog->jit_first = first;
	prog->jit_len = len;
	prog->jit_code = (ebpf_jit_fn)(bpfdrv_jit_arena + first * BPFDRV_JIT_UNIT);
out:
	if (err < 0)
		pr_debug(BPFDRV_LOG_PREFIX "program '%s' stays interpreted (%d): %s", prog->name, err, why);
	vfree(code);
	vfree(kinds);
}

void bpfdrv_jit_free(struct bpfdrv_prog *prog)
{
	if (prog->jit_code)
		bpfdrv_jit_release(prog->jit_first, prog->jit_len);
	prog->jit_code = NULL;
}
