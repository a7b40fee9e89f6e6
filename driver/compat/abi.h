/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86-64 ABI facts, apart from kernel versions: where a probed function's arguments
 * are (the C calling convention), where a syscall function's are (the syscall wrapper
 * or the C convention), and the syscall number a task's saved user registers hold
 * (orig_ax). Other architectures get zeroes and BPFDRV_HAVE_FUNC_ARGS 0.
 */
#ifndef BPFDRV_COMPAT_ABI_H
#define BPFDRV_COMPAT_ABI_H

#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/string.h>
#include "base.h"
#include "uaccess.h"

/*
 * Argument @n (0..5) of a probed function, at its entry: the x86-64 calling
 * convention's registers (pt_regs has had these names since 2.6.25).  fentry
 * emulation is x86-64 only (BPFDRV_HAVE_FUNC_ARGS); Linux's trampolines are per-arch too.
 */
#ifdef CONFIG_X86_64
#define BPFDRV_HAVE_FUNC_ARGS 1
static inline u64 bpfdrv_func_arg(const struct pt_regs *regs, u32 n)
{
	switch (n) {
	case 0: return regs->di;
	case 1: return regs->si;
	case 2: return regs->dx;
	case 3: return regs->cx;
	case 4: return regs->r8;
	default: return regs->r9;
	}
}
#else
#define BPFDRV_HAVE_FUNC_ARGS 0
static inline u64 bpfdrv_func_arg(const struct pt_regs *regs, u32 n)
{
	return 0;
}
#endif

/*
 * Syscall entry functions, probed for the synthetic syscall tracepoints
 * (attach_syscall_synth.c). With CONFIG_ARCH_HAS_SYSCALL_WRAPPER (x86_64 4.17+) the
 * function is __x64_sys_<name>(const struct pt_regs *regs) and the arguments are in
 * the user registers regs points at (di, si, dx, r10, r8, r9); before, it is
 * sys_<name>(args...) (3.10: also the SyS_<name> alias; the stubs call it with the
 * syscall ABI's r10 moved to rcx) taking them in the C ABI's registers.
 */
#ifdef CONFIG_ARCH_HAS_SYSCALL_WRAPPER
#define BPFDRV_SYSCALL_FN_PREFIX "__x64_sys_"
#else
#define BPFDRV_SYSCALL_FN_PREFIX "sys_"
#endif

/* The six arguments at the probed entry of a syscall function (zeroes if unreadable). */
static inline void bpfdrv_syscall_fn_args(struct pt_regs *regs, unsigned long args[6])
{
#ifdef CONFIG_X86_64
	const struct pt_regs *r = regs;
#ifdef CONFIG_ARCH_HAS_SYSCALL_WRAPPER
	struct pt_regs user;

	/* The pointer is the entry code's pt_regs on this task's stack; read it safely all the same. */
	if (bpfdrv_read_kernel_nofault(&user, (const void *)regs->di, sizeof(user))) {
		memset(args, 0, 6 * sizeof(args[0]));
		return;
	}
	r = &user;
	args[3] = r->r10;
#else
	args[3] = r->cx;
#endif
	args[0] = r->di;
	args[1] = r->si;
	args[2] = r->dx;
	args[4] = r->r8;
	args[5] = r->r9;
#else
	memset(args, 0, 6 * sizeof(args[0]));
#endif
}

/*
 * Is current a new user task (first run, schedule_tail) created by syscall @nr? Its
 * saved user registers are a copy of the parent's, so orig_ax holds that syscall.
 */
static inline bool bpfdrv_new_user_task_of_syscall(long nr)
{
#ifdef CONFIG_X86_64
	return !(current->flags & PF_KTHREAD) && task_pt_regs(current)->orig_ax == nr;
#else
	return false;
#endif
}

#endif /* BPFDRV_COMPAT_ABI_H */
