// SPDX-License-Identifier: GPL-2.0
/*
 * Synthetic syscall tracepoints: syscalls:sys_enter_<name> / sys_exit_<name> for the
 * syscalls a kernel has no tracepoint for.
 *
 * Why they are missing: ftrace finds a syscall's metadata by the symbol name of its
 * sys_call_table entry. On 3.10 x86_64 six entries are assembly stubs that save the
 * full pt_regs first (stub_rt_sigreturn, stub_clone, stub_fork, stub_vfork,
 * stub_execve, stub_iopl), and two syscalls are plain functions without
 * SYSCALL_DEFINE metadata (sys_arch_prctl, sys_ioperm), so no
 * events/syscalls/sys_{enter,exit}_<name> exists for these eight. Checked against
 * CentOS 7.9's 3.10.0-1160 source: of the 314 implemented native entries of
 * arch/x86/syscalls/syscall_64.tbl, 306 have metadata, i.e. 612 event directories, as
 * measured on that kernel. execveat (stub_execveat, 3.19 to 4.x kernels) is covered
 * too. Left out: the x32 stubs (513 rt_sigreturn, 520 execve), which the native
 * tracepoints never report, and modify_ldt, which has metadata on 3.10 and whose
 * symbol, where CONFIG_MODIFY_LDT_SYSCALL is off, aliases sys_ni_syscall (a probe
 * would fire for every unimplemented syscall).
 *
 * How an event is chosen: synth_tp.c publishes events/syscalls/<event>/{id,format}
 * for every syscall here in debugfs and routes perf_event_open of their ids (in the
 * module's private range) here; the hook (hook/src/tracepoints.rs) points a tool's
 * read of <tracefs>/events/syscalls/<event>/... there only when the kernel's own file
 * does not exist.
 *
 * How it runs: a kprobe on the syscall's kernel function (enter) or a kretprobe on
 * it (exit), registered at perf_event_open like the kernel registers probe events;
 * the handler builds the record the tracepoint has on kernels that have it (the
 * format file below is theirs, checked against 6.1's by tests/tests/guest_synth_tp.rs)
 * and runs the TRACEPOINT program on it. The child of clone/fork/vfork never returns
 * through the probed function: the kernel reports its sys_exit (ret 0) on its way out
 * of ret_from_fork, so for those a kprobe on schedule_tail (the C function every new
 * task runs first, 3.10 to 6.x) reports it for user tasks whose saved syscall number
 * is this syscall's.
 */
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/seq_file.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/preempt.h>
#include "bpfdrv.h"
#include "compat.h"
#include "stats.h"

struct synth_arg {
	const char *type, *name; /* as the format file prints them */
};

struct synth_syscall {
	const char *name;
	u16 nr; /* x86_64 */
	u8 nargs;
	struct synth_arg args[6];
	bool forks; /* the child returns through ret_from_fork */
};

#ifdef CONFIG_X86_64
static const struct synth_syscall synth_syscalls[] = {
	{ "rt_sigreturn", 15, 0, {} },
	{ "clone", 56, 5, { { "unsigned long", "clone_flags" }, { "unsigned long", "newsp" },
			    { "int *", "parent_tidptr" }, { "int *", "child_tidptr" },
			    { "unsigned long", "tls" } }, true },
	{ "fork", 57, 0, {}, true },
	{ "vfork", 58, 0, {}, true },
	{ "execve", 59, 3, { { "const char *", "filename" }, { "const char *const *", "argv" },
			     { "const char *const *", "envp" } } },
	{ "arch_prctl", 158, 2, { { "int", "option" }, { "unsigned long", "arg2" } } },
	{ "iopl", 172, 1, { { "unsigned int", "level" } } },
	{ "ioperm", 173, 3, { { "unsigned long", "from" }, { "unsigned long", "num" },
			      { "int", "turn_on" } } },
	{ "execveat", 322, 5, { { "int", "fd" }, { "const char *", "filename" },
				{ "const char *const *", "argv" }, { "const char *const *", "envp" },
				{ "int", "flags" } } },
};
#else
/* Syscall numbers and probe conventions are x86_64's: no synthetic events elsewhere. */
static const struct synth_syscall synth_syscalls[] = {};
#endif

#define SYNTH_NR_EVENTS (2 * ARRAY_SIZE(synth_syscalls))

/* struct trace_entry + the syscall tracepoints' fields (kernel/trace/trace_syscalls.c). */
struct synth_record {
	u16 common_type;
	u8 common_flags;
	u8 common_preempt_count;
	s32 common_pid;
	s32 syscall_nr;
	u32 pad;
	union {
		u64 args[6];
		s64 ret;
	};
};

/* Event index i: syscall i / 2, exit when odd (the id's low bit, as in the protocol). */
static u32 synth_id(size_t i)
{
	return BPFDRV_SYNTH_TP_ID_BASE + synth_syscalls[i / 2].nr * 2 + (i & 1);
}

static bool synth_is_exit(size_t i)
{
	return i & 1;
}

/* The index of the event with this id, or -1. */
static int synth_index(u64 id)
{
	size_t i;

	for (i = 0; i < SYNTH_NR_EVENTS; i++)
		if (synth_id(i) == id)
			return i;
	return -1;
}

/* The size of the record body and of the raw sample perf would hand over for it. */
static u32 synth_body_size(size_t i)
{
	return synth_is_exit(i) ? 24 : 16 + 8 * synth_syscalls[i / 2].nargs;
}

static u32 synth_raw_size(size_t i)
{
	/* perf_syscall_enter/exit: the raw sample's u32 size + data end 8-aligned. */
	return ALIGN(synth_body_size(i) + sizeof(u32), sizeof(u64)) - sizeof(u32);
}

/* ---- the probe ---- */

struct synth_state {
	struct bpfdrv_event *ev;
	int index;
	struct kretprobe rp; /* rp.kp alone for enter events */
	struct kprobe child_kp; /* exit events of forking syscalls: the child's return */
	bool child_probe;
	char sym[64];
};

static void synth_header(struct synth_record *r, const struct synth_state *s)
{
	memset(r, 0, sizeof(*r));
	r->common_type = (u16)synth_id(s->index); /* the kernel's u16 entry->type */
	/* Syscalls run in task context with interrupts on: the tracepoint's flags are 0. */
	r->common_flags = 0;
	r->common_preempt_count = preempt_count() & 0xff;
	r->common_pid = current->pid;
	r->syscall_nr = synth_syscalls[s->index / 2].nr;
}

static int synth_enter(struct kprobe *kp, struct pt_regs *regs)
{
	struct synth_state *s = container_of(kp, struct synth_state, rp.kp);
	struct synth_record r;
	unsigned long args[6];
	int i;

	synth_header(&r, s);
	bpfdrv_syscall_fn_args(regs, args);
	for (i = 0; i < synth_syscalls[s->index / 2].nargs; i++)
		r.args[i] = args[i];
	bpfdrv_event_run(s->ev, &r, synth_raw_size(s->index), regs, 0);
	return 0;
}

static int synth_exit(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct synth_state *s = container_of(bpfdrv_kretprobe_of(ri), struct synth_state, rp);
	struct synth_record r;

	synth_header(&r, s);
	r.ret = (s64)regs_return_value(regs);
	bpfdrv_event_run(s->ev, &r, synth_raw_size(s->index), regs, 0);
	return 0;
}

static int synth_child_exit(struct kprobe *kp, struct pt_regs *regs)
{
	struct synth_state *s = container_of(kp, struct synth_state, child_kp);
	struct synth_record r;

	if (!bpfdrv_new_user_task_of_syscall(synth_syscalls[s->index / 2].nr))
		return 0;
	synth_header(&r, s);
	r.ret = 0;
	bpfdrv_event_run(s->ev, &r, synth_raw_size(s->index), regs, 0);
	return 0;
}

static int synth_init(struct bpfdrv_event *ev, const struct bpfdrv_perf_event_attr *attr,
		      int pid, int cpu)
{
	int index = synth_index(attr->config);
	struct synth_state *s;
	int err;

	if (index < 0) {
		bpfdrv_warn("synthetic tracepoint id %llu is not one of ours\n", attr->config);
		return -ENOENT;
	}
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->ev = ev;
	s->index = index;
	snprintf(s->sym, sizeof(s->sym), "%s%s", BPFDRV_SYSCALL_FN_PREFIX,
		 synth_syscalls[index / 2].name);
	s->rp.kp.symbol_name = s->sym;
	ev->priv = s;
	if (synth_is_exit(index)) {
		s->rp.handler = synth_exit;
		/* Calls sleep inside (vfork until the child execs): room for many at once. */
		s->rp.maxactive = 64 + 8 * num_possible_cpus();
		err = register_kretprobe(&s->rp);
		if (!err && synth_syscalls[index / 2].forks) {
			s->child_kp.symbol_name = "schedule_tail";
			s->child_kp.pre_handler = synth_child_exit;
			err = register_kprobe(&s->child_kp);
			if (err)
				unregister_kretprobe(&s->rp);
			else
				s->child_probe = true;
		}
	} else {
		s->rp.kp.pre_handler = synth_enter;
		err = register_kprobe(&s->rp.kp);
	}
	if (err) {
		bpfdrv_warn("synthetic syscalls:sys_%s_%s: cannot probe %s: %d\n",
			    synth_is_exit(index) ? "exit" : "enter", synth_syscalls[index / 2].name,
			    s->sym, err);
		ev->priv = NULL;
		kfree(s);
		return err;
	}
	return 0;
}

static void synth_free(struct bpfdrv_event *ev)
{
	struct synth_state *s = ev->priv;

	/* Both wait until no handler runs (and no kretprobe instance is pending). */
	if (s->child_probe)
		unregister_kprobe(&s->child_kp);
	if (synth_is_exit(s->index))
		unregister_kretprobe(&s->rp);
	else
		unregister_kprobe(&s->rp.kp);
	kfree(s);
}

static const struct bpfdrv_event_type bpfdrv_syscall_synth_event = {
	.name = "synthetic syscall tracepoint",
	.init = synth_init,
	/* As for the kernel's syscall tracepoints (perf_event_set_bpf_prog): TRACEPOINT only. */
	.prog_types = BIT(BPFDRV_PROG_TYPE_TRACEPOINT),
	.free = synth_free,
};

/* ---- the published events (synth_tp.c): names, ids and format files ---- */

static u32 synth_family_id(unsigned int i)
{
	return synth_id(i);
}

static void synth_name(unsigned int i, char *buf, size_t len)
{
	snprintf(buf, len, "sys_%s_%s", synth_is_exit(i) ? "exit" : "enter",
		 synth_syscalls[i / 2].name);
}

static void synth_format(struct seq_file *m, unsigned int i)
{
	const struct synth_syscall *sc = &synth_syscalls[i / 2];
	int a;

	seq_puts(m, "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n");
	if (synth_is_exit(i)) {
		seq_puts(m, "\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n\n"
			    "print fmt: \"0x%lx\", REC->ret\n");
		return;
	}
	for (a = 0; a < sc->nargs; a++)
		seq_printf(m, "\tfield:%s %s;\toffset:%d;\tsize:8;\tsigned:0;\n",
			   sc->args[a].type, sc->args[a].name, 16 + 8 * a);
	seq_puts(m, "\nprint fmt: \"");
	for (a = 0; a < sc->nargs; a++)
		seq_printf(m, "%s%s: 0x%%08lx", a ? ", " : "", sc->args[a].name);
	seq_puts(m, "\"");
	for (a = 0; a < sc->nargs; a++)
		seq_printf(m, ", ((unsigned long)(REC->%s))", sc->args[a].name);
	seq_puts(m, "\n");
}

const struct bpfdrv_synth_tp_family bpfdrv_syscall_synth = {
	.category = "syscalls",
	.type = &bpfdrv_syscall_synth_event,
	.nr_events = SYNTH_NR_EVENTS,
	.id = synth_family_id,
	.name = synth_name,
	.format = synth_format,
};
