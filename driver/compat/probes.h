/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kprobes, kretprobes, kallsyms and uprobes.
 */
#ifndef BPFDRV_COMPAT_PROBES_H
#define BPFDRV_COMPAT_PROBES_H

#include <linux/kprobes.h>
#include <linux/kallsyms.h>
#include <linux/uprobes.h>
#include <linux/string.h>
#include "base.h"
#include "uaccess.h"

/* The kretprobe a return-probe instance belongs to. */
static inline struct kretprobe *bpfdrv_kretprobe_of(struct kretprobe_instance *ri)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
	return get_kretprobe(ri);
#else
	return ri->rp;
#endif
}

/*
 * bpf_get_func_ip of a kprobe at a function's entry: its address. With IBT, kprobes
 * at offset 0 sit after the ENDBR64 (arch_adjust_kprobe_addr) and the kernel's
 * helper steps back over it (get_entry_ip); so do we.
 */
static inline u64 bpfdrv_kprobe_entry_ip(const struct kprobe *kp)
{
	unsigned long addr = (unsigned long)kp->addr;
#ifdef CONFIG_X86_KERNEL_IBT
	u32 insn;

	if (!bpfdrv_read_kernel_nofault(&insn, (void *)(addr - 4), sizeof(insn)) &&
	    insn == 0xfa1e0ff3 /* endbr64 */)
		addr -= 4;
#endif
	return addr;
}

/*
 * The name under which a syscall's function can be probed. libbpf's ksyscall sections
 * ask for "__se_sys_<name>" where it finds no "__x64_sys_" wrappers; before 4.17 the
 * function is SYSCALL_DEFINE's "SyS_<name>" (arguments in registers, as libbpf then
 * assumes). The shorter name is rewritten in place.
 */
static inline void bpfdrv_syscall_fn_name(char *sym)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 17, 0)
	static const char se[] = "__se_sys_";
	const size_t n = sizeof(se) - 1;

	if (!strncmp(sym, se, n)) {
		memmove(sym + 4, sym + n, strlen(sym + n) + 1);
		memcpy(sym, "SyS_", 4);
	}
#endif
}

/*
 * The address of a kernel symbol modules cannot link against (0: not found; data
 * symbols need CONFIG_KALLSYMS_ALL). kallsyms_lookup_name itself was unexported in
 * 5.7; since then its address comes from a kprobe registered on it (register_kprobe
 * resolves names), stepped back over an IBT ENDBR64 so that an indirect call lands on
 * the function's landing pad. Process context (register_kprobe sleeps).
 */
static inline unsigned long bpfdrv_kallsyms_lookup_name(const char *name)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 7, 0)
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long (*lookup)(const char *name);

	if (register_kprobe(&kp))
		return 0;
	lookup = (void *)(uintptr_t)bpfdrv_kprobe_entry_ip(&kp);
	unregister_kprobe(&kp);
	return lookup(name);
#else
	return kallsyms_lookup_name(name);
#endif
}

/*
 * Whether a raw kernel address is a function's entry, as the kernel's
 * kprobe_on_func_entry decides it: offset 0 from the kallsyms symbol holding it, or
 * with IBT 4 after an ENDBR64 at the symbol (arch_adjust_kprobe_addr). Linux's
 * register_kretprobe refuses other addresses from 4.15; older kernels plant the
 * return trampoline anywhere. kallsyms_lookup_size_offset is not exported but
 * sprint_symbol is, since 2.6 ("name+0x0/0x40 [module]", a bare "0x..." when no
 * symbol holds the address).
 */
static inline bool bpfdrv_kallsyms_on_func_entry(unsigned long addr)
{
	char buf[KSYM_SYMBOL_LEN];
	unsigned long off;
	char *plus, *slash;

	sprint_symbol(buf, addr);
	plus = strrchr(buf, '+');
	slash = plus ? strchr(plus, '/') : NULL;
	if (!slash)
		return false;
	*slash = '\0';
	if (kstrtoul(plus + 1, 0, &off))
		return false;
	if (!off)
		return true;
#ifdef CONFIG_X86_KERNEL_IBT
	if (off == 4) {
		u32 insn;

		return !bpfdrv_read_kernel_nofault(&insn, (void *)(addr - 4), sizeof(insn)) &&
		       insn == 0xfa1e0ff3; /* endbr64 */
	}
#endif
	return false;
}

/*
 * Uprobes: uprobe_register(inode, offset, consumer) since 3.5, with a reference
 * counter (USDT semaphore) variant uprobe_register_refctr since 4.20. 6.12 merged the
 * two, returns a struct uprobe * that names the registration, and splits unregistering
 * into nosync (detach this consumer) + sync (wait for handlers still running); before,
 * the (inode, offset) pair names it and uprobe_unregister waits itself. 6.13 gives the
 * handlers a third argument (session data): not supported yet, the build stops.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#error "bpfdrv: uprobe_consumer's handlers changed in 6.13; add them to compat/probes.h"
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 20, 0)
#define BPFDRV_HAVE_UPROBE_REFCTR 1
#else
#define BPFDRV_HAVE_UPROBE_REFCTR 0
#endif

struct bpfdrv_uprobe {
	struct inode *inode;
	loff_t offset;
#ifdef HAVE_UPROBE_HANDLE /* compat/features/uprobe_handle.c */
	struct uprobe *uprobe;
#endif
};

static inline int bpfdrv_uprobe_register(struct bpfdrv_uprobe *up, struct inode *inode,
					 loff_t offset, loff_t ref_ctr,
					 struct uprobe_consumer *uc)
{
	up->inode = inode;
	up->offset = offset;
#ifdef HAVE_UPROBE_HANDLE
	up->uprobe = uprobe_register(inode, offset, ref_ctr, uc);
	return PTR_ERR_OR_ZERO(up->uprobe);
#elif BPFDRV_HAVE_UPROBE_REFCTR
	return uprobe_register_refctr(inode, offset, ref_ctr, uc);
#else
	return ref_ctr ? -EOPNOTSUPP : uprobe_register(inode, offset, uc);
#endif
}

/* Returns once no handler of this consumer runs. */
static inline void bpfdrv_uprobe_unregister(struct bpfdrv_uprobe *up, struct uprobe_consumer *uc)
{
#ifdef HAVE_UPROBE_HANDLE
	uprobe_unregister_nosync(up->uprobe, uc);
	uprobe_unregister_sync();
#else
	uprobe_unregister(up->inode, up->offset, uc);
#endif
}

#endif /* BPFDRV_COMPAT_PROBES_H */
