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
#include <linux/cgroup.h>
#include <linux/module.h>
#include <linux/capability.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 11, 0)
#include <linux/sched/signal.h>
#endif

/*
 * RHEL/CentOS kernels keep their base version number (3.10.0) and backport newer APIs
 * under it; RHEL_RELEASE_CODE (linux/version.h) says which minor release we build for.
 */
#ifdef RHEL_RELEASE_CODE
#define BPFDRV_RHEL_AT_LEAST(a, b) (RHEL_RELEASE_CODE >= RHEL_RELEASE_VERSION(a, b))
#else
#define BPFDRV_RHEL_AT_LEAST(a, b) 0
#endif

#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/atomic.h>
#include "compat_refcount.h"

/*
 * Linux's bpf_capable() and perfmon_capable() (include/linux/capability.h), with the
 * credentials of the calling task. 5.8 split CAP_BPF and CAP_PERFMON off CAP_SYS_ADMIN
 * (CAP_SYS_ADMIN still implies both); where the uapi header has no such capability
 * (3.10, CentOS 7) CAP_SYS_ADMIN alone grants what they grant.
 */
static inline bool bpfdrv_bpf_capable(void)
{
#ifdef CAP_BPF
	return capable(CAP_BPF) || capable(CAP_SYS_ADMIN);
#else
	return capable(CAP_SYS_ADMIN);
#endif
}

static inline bool bpfdrv_perfmon_capable(void)
{
#ifdef CAP_PERFMON
	return capable(CAP_PERFMON) || capable(CAP_SYS_ADMIN);
#else
	return capable(CAP_SYS_ADMIN);
#endif
}

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
 * Cgroup arrays: a cgroup2 directory fd to a referenced struct cgroup, and whether
 * current runs in its subtree. cgroup_get_from_fd arrived in 4.8 (4.7's was static).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 8, 0) && defined(CONFIG_CGROUPS)
static inline void *bpfdrv_cgroup_from_fd(int fd)
{
	return cgroup_get_from_fd(fd);
}

static inline void bpfdrv_cgroup_put(void *cgrp)
{
	cgroup_put(cgrp);
}

static inline int bpfdrv_current_under_cgroup(void *cgrp)
{
	int ret;

	rcu_read_lock();
	ret = task_under_cgroup_hierarchy(current, cgrp);
	rcu_read_unlock();
	return ret;
}
#else
static inline void *bpfdrv_cgroup_from_fd(int fd)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void bpfdrv_cgroup_put(void *cgrp)
{
}

static inline int bpfdrv_current_under_cgroup(void *cgrp)
{
	return 0;
}
#endif

/* bpf_get_current_cgroup_id: the cgroup v2 id (kernfs node id) of current; 0 before cgroup2. */
static inline u64 bpfdrv_current_cgroup_id(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 5, 0) && defined(CONFIG_CGROUPS)
	u64 id;

	rcu_read_lock();
	id = cgroup_id(task_dfl_cgroup(current));
	rcu_read_unlock();
	return id;
#else
	return 0;
#endif
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

/* The raw trace record perf hands to an overflow handler. */
static inline void *bpfdrv_sample_raw(struct perf_sample_data *data, u32 *size)
{
	if (!data->raw)
		return NULL;
/* RHEL 7.6 (3.10.0-957) backported the 4.7 fragment layout with its eBPF tracing. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 7, 0) || BPFDRV_RHEL_AT_LEAST(7, 6)
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

/* Wait until no CPU can still be inside a program run or a probe handler. */
static inline void bpfdrv_synchronize(void)
{
	synchronize_rcu();
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 0, 0)
	synchronize_sched();
#endif
}

/*
 * bpfdrv_kfree_rcu_all: kfree an object once no program run (preemption off) and no
 * syscall path (rcu_read_lock) can still see it, without waiting. Since 5.0 one RCU
 * grace period covers both; before, a sched grace period is followed by a normal one,
 * as bpfdrv_synchronize does. @head must be the object's first member. The callbacks
 * are module code: bpfdrv_rcu_barrier_all waits for those queued so far.
 */
static inline void bpfdrv_rcu_kfree_cb(struct rcu_head *head)
{
	kfree(head);
}

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 0, 0)
static inline void bpfdrv_rcu_sched_done_cb(struct rcu_head *head)
{
	call_rcu(head, bpfdrv_rcu_kfree_cb);
}
#endif

static inline void bpfdrv_kfree_rcu_all(struct rcu_head *head)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 0, 0)
	call_rcu(head, bpfdrv_rcu_kfree_cb);
#else
	call_rcu_sched(head, bpfdrv_rcu_sched_done_cb);
#endif
}

static inline void bpfdrv_rcu_barrier_all(void)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 0, 0)
	rcu_barrier_sched(); /* its callbacks queue the normal-RCU ones rcu_barrier waits for */
#endif
	rcu_barrier();
}

#ifndef READ_ONCE
#define READ_ONCE(x) ACCESS_ONCE(x)
#define WRITE_ONCE(x, v) (ACCESS_ONCE(x) = (v))
#endif

/* 6.3 made vma->vm_flags const: its changes go through vm_flags_clear and friends. */
static inline void bpfdrv_vm_flags_clear(struct vm_area_struct *vma, unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/* ---- attach points ---- */
#include <linux/kprobes.h>
#include <linux/kallsyms.h>
#include <linux/uprobes.h>
#include <linux/tracepoint.h>
#include <linux/pid.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 1, 0)
#include <linux/trace_events.h>
#else
#include <linux/ftrace_event.h>
#endif

/*
 * Is the tracepoint behind this kernel counter a kprobe/uprobe event (1), a static or
 * syscall tracepoint (0), or can this kernel not tell (-1)? The flags came with BPF in
 * 4.1; RHEL 7.6 backported them with its eBPF (CentOS 7.9 has them).
 */
static inline int bpfdrv_tp_is_probe_event(struct perf_event *counter)
{
#if (LINUX_VERSION_CODE >= KERNEL_VERSION(4, 1, 0) || BPFDRV_RHEL_AT_LEAST(7, 6)) && \
	defined(CONFIG_EVENT_TRACING)
	if (!counter->tp_event)
		return -1;
	return !!(counter->tp_event->flags & (TRACE_EVENT_FL_KPROBE | TRACE_EVENT_FL_UPROBE));
#else
	return -1;
#endif
}

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
 * Tracepoints whose arguments a kernel older than raw tracepoints (4.17) declares
 * differently from every kernel that has them (raw_tp_args.c rewrites them):
 * sched_switch(prev, next) before 4.4 added preempt; block_rq_complete(q, rq, nr_bytes)
 * before 4.13 made it (rq, error, nr_bytes).
 */
#define BPFDRV_TP_SCHED_SWITCH_NO_PREEMPT (LINUX_VERSION_CODE < KERNEL_VERSION(4, 4, 0))
#define BPFDRV_TP_BLOCK_RQ_COMPLETE_WITH_QUEUE (LINUX_VERSION_CODE < KERNEL_VERSION(4, 13, 0))

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
 * perf_event_read_local(event, &value, &enabled, &running): the NMI-safe read of a
 * counter local to this CPU or task that bpf_perf_event_read uses. That signature is
 * 4.15's (4.3 returned the value, 4.13 added the errno); earlier kernels get no
 * counter reads. Never exported: found with bpfdrv_kallsyms_lookup_name.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 15, 0) && defined(CONFIG_PERF_EVENTS)
#define BPFDRV_HAVE_PERF_READ_LOCAL 1
typedef typeof(&perf_event_read_local) bpfdrv_perf_read_local_t;
#else
#define BPFDRV_HAVE_PERF_READ_LOCAL 0
typedef int (*bpfdrv_perf_read_local_t)(struct perf_event *event, u64 *value, u64 *enabled,
					u64 *running);
#endif

/*
 * Uprobes: uprobe_register(inode, offset, consumer) since 3.5, with a reference
 * counter (USDT semaphore) variant since 4.20; 6.12 returns a struct uprobe * and
 * splits unregistering into nosync + sync (not supported here yet: build error).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#error "bpfdrv: uprobe_register changed in 6.12; add the new calls to compat.h"
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 20, 0)
#define BPFDRV_HAVE_UPROBE_REFCTR 1
#else
#define BPFDRV_HAVE_UPROBE_REFCTR 0
#endif
static inline int bpfdrv_uprobe_register(struct inode *inode, loff_t offset, loff_t ref_ctr,
					 struct uprobe_consumer *uc)
{
#if BPFDRV_HAVE_UPROBE_REFCTR
	return uprobe_register_refctr(inode, offset, ref_ctr, uc);
#else
	return ref_ctr ? -EOPNOTSUPP : uprobe_register(inode, offset, uc);
#endif
}

static inline void bpfdrv_uprobe_unregister(struct inode *inode, loff_t offset,
					    struct uprobe_consumer *uc)
{
	uprobe_unregister(inode, offset, uc);
}

/*
 * Tracepoints by name for raw tracepoints: since 3.15 probes register on a
 * struct tracepoint * found with for_each_kernel_tracepoint; before, by name
 * (tracepoint_probe_register(const char *name, ...)), which also accepts names no
 * tracepoint has yet, so there a typo attaches to nothing instead of failing.
 */
struct bpfdrv_tracepoint {
	char name[128];
#if LINUX_VERSION_CODE >= KERNEL_VERSION(3, 15, 0)
	struct tracepoint *tp;
#endif
};

#if LINUX_VERSION_CODE >= KERNEL_VERSION(3, 15, 0)
static inline void bpfdrv_tracepoint_match(struct tracepoint *tp, void *priv)
{
	struct bpfdrv_tracepoint *t = priv;

	if (!t->tp && !strcmp(tp->name, t->name))
		t->tp = tp;
}
#endif

/* Find t->name among the kernel's tracepoints: 0 or -ENOENT. */
static inline int bpfdrv_tracepoint_find(struct bpfdrv_tracepoint *t)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(3, 15, 0)
	t->tp = NULL;
	for_each_kernel_tracepoint(bpfdrv_tracepoint_match, t);
	return t->tp ? 0 : -ENOENT;
#else
	return 0;
#endif
}

static inline int bpfdrv_tracepoint_register(struct bpfdrv_tracepoint *t, void *probe, void *data)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(3, 15, 0)
	return tracepoint_probe_register(t->tp, probe, data);
#else
	return tracepoint_probe_register(t->name, probe, data);
#endif
}

/* Unregister and wait until no CPU is inside the probe. */
static inline void bpfdrv_tracepoint_unregister(struct bpfdrv_tracepoint *t, void *probe, void *data)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(3, 15, 0)
	tracepoint_probe_unregister(t->tp, probe, data);
#else
	tracepoint_probe_unregister(t->name, probe, data);
#endif
	tracepoint_synchronize_unregister();
}

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

/*
 * An IPv6 socket's bound and peer addresses (sock:inet_sock_set_state's saddr_v6 /
 * daddr_v6, attach_sock_synth.c): in sock_common since 3.13, before in the ipv6_pinfo
 * inet_sk(sk)->pinet6 points at. RHEL 7 has the 3.13 layout (checked on 7.9).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(3, 13, 0) || defined(RHEL_RELEASE_CODE)
#define bpfdrv_sk_v6_rcv_saddr(sk) (&(sk)->sk_v6_rcv_saddr)
#define bpfdrv_sk_v6_daddr(sk) (&(sk)->sk_v6_daddr)
#else
#define bpfdrv_sk_v6_rcv_saddr(sk) (&inet_sk(sk)->pinet6->rcv_saddr)
#define bpfdrv_sk_v6_daddr(sk) (&inet_sk(sk)->pinet6->daddr)
#endif

/* The task with (namespace) pid @nr (0: the caller, as perf_event_open), referenced, or NULL. */
static inline struct task_struct *bpfdrv_get_task(pid_t nr)
{
	struct task_struct *task;

	if (nr == 0) {
		get_task_struct(current);
		return current;
	}
	rcu_read_lock();
	task = get_pid_task(find_vpid(nr), PIDTYPE_PID);
	rcu_read_unlock();
	return task;
}


/* The inode behind a path (through overlayfs, as the kernel's uprobe_events do). */
#include <linux/dcache.h>
static inline struct inode *bpfdrv_path_inode(const struct path *path)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 8, 0)
	return d_real_inode(path->dentry);
#else
	return path->dentry->d_inode;
#endif
}


/* A reference on a file unless its count already dropped to zero (it is being released). */
static inline bool bpfdrv_file_tryget(struct file *file)
{
	return atomic_long_inc_not_zero(&file->f_count);
}

/*
 * file_operations.show_fdinfo: 3.8+; its return type became void in 4.14 (int before).
 * BPFDRV_SHOW_FDINFO(fn) sets it to a void fn; before 4.14 to fn's int-returning wrapper
 * fn_int, which BPFDRV_SHOW_FDINFO_INT(fn) defines next to fn.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 14, 0)
#define BPFDRV_SHOW_FDINFO(fn) .show_fdinfo = fn,
#define BPFDRV_SHOW_FDINFO_INT(fn)
#else
#define BPFDRV_SHOW_FDINFO(fn) .show_fdinfo = fn##_int,
#define BPFDRV_SHOW_FDINFO_INT(fn)					\
int fn##_int(struct seq_file *m, struct file *file)			\
{									\
	fn(m, file);							\
	return 0;							\
}
#endif

#endif /* BPFDRV_COMPAT_H */
