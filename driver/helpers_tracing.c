// SPDX-License-Identifier: GPL-2.0
/*
 * Tracing helpers beyond the basics of helpers.c, with Linux's argument rules and
 * return values: get_stackid (27), probe_write_user (36), get_numa_node_id (42),
 * get_current_cgroup_id (80), send_signal (109) / send_signal_thread (117), jiffies64
 * (118), ktime_get_coarse_ns (160), trace_printk (6), snprintf (165), strncmp (182).
 * helpers.c lists them in its table.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/signal.h>
#include <linux/irq_work.h>
#include <linux/percpu.h>
#include <linux/jiffies.h>
#include <linux/topology.h>
#include <linux/hardirq.h>
#include <linux/ptrace.h>
#include <linux/ctype.h>
#include "bpfdrv.h"
#include "compat.h"
#include "helpers.h"
#include "helper_args.h"

/*
 * The probed context's stack unwound from its registers through the frame-pointer chain
 * (x86-64: [rbp] is the caller's rbp, [rbp + 8] the return address), for kernels whose
 * own walk from inside the probe drops the probed frames and which give modules no walk
 * from registers (save_stack_trace_regs is not exported): 3.10 passes the pt_regs the
 * int3 or ftrace handler saved without reporting their ip, and the probed function's
 * caller, reached through no frame of its own at a function's entry, is lost with it.
 * @entry: the probe is at a function's entry, where the return address into the caller
 * is on top of the stack and rbp is still the caller's. Every read is fault-tolerant and
 * the chain must climb within sp's stack, so a corrupt chain only ends the walk.
 */
static u32 stack_from_regs(u64 *ips, u32 max, struct pt_regs *regs, bool entry)
{
#ifdef CONFIG_FRAME_POINTER
	unsigned long sp = kernel_stack_pointer(regs), top = (sp | (THREAD_SIZE - 1)) + 1;
	unsigned long bp = regs->bp, frame[2];
	u32 n = 0;

	ips[n++] = instruction_pointer(regs);
	if (entry && n < max && !bpfdrv_read_kernel_nofault(frame, (void *)sp, sizeof(frame[0])))
		ips[n++] = frame[0];
	while (n < max && bp >= sp && bp <= top - sizeof(frame) &&
	       !bpfdrv_read_kernel_nofault(frame, (void *)bp, sizeof(frame)) && frame[1]) {
		ips[n++] = frame[1];
		if (frame[0] <= bp)
			break;	/* frames only climb */
		sp = bp;
		bp = frame[0];
	}
	return n;
#else
	return 0;
#endif
}

/*
 * The kernel stack a program sees: none when the probe's registers are user mode
 * (syscall tracepoints, uprobes), as Linux's get_perf_callchain decides.
 */
u32 bpfdrv_prog_kernel_stack(struct ebpf_run *run, u64 *ips, u32 max)
{
	struct pt_regs *regs = ENV(run)->regs;

	u32 n, skip = 0;

	if (regs && user_mode(regs))
		return 0;
	/*
	 * The capture starts in this module (helper, engine, probe handler): drop those
	 * frames so the stack starts where the probe fired, as the kernel's does.
	 */
	n = bpfdrv_kernel_stack(ips, max);
	while (skip < n && bpfdrv_in_module_text(ips[skip]))
		skip++;
	/*
	 * A probe with registers (kprobe, fentry): the kernel unwinds from them, so the stack
	 * starts at the probed instruction; drop the probe machinery above it (int3 or ftrace
	 * handler frames) when the unwinder passed through it.
	 */
	if (regs) {
		u32 i, from_regs;

		for (i = skip; i < n; i++)
			if (ips[i] == instruction_pointer(regs))
				break;
		if (i < n) {
			skip = i;
		} else {
			/* The walk lost the probed frames. */
			from_regs = stack_from_regs(ips, max, regs, ENV(run)->func_ip);
			if (from_regs)
				return from_regs;
		}
	}
	memmove(ips, ips + skip, (n - skip) * sizeof(*ips));
	return n - skip;
}

u64 bpfdrv_h_get_stackid(struct ebpf_run *run, u64 ctx, u64 map, u64 flags, u64 a4, u64 a5)
{
	u64 *ips = ENV(run)->stack_ips;
	u32 n = (flags & BPFDRV_F_USER_STACK) ? bpfdrv_user_stack(ips, BPFDRV_MAX_STACK_DEPTH) :
					     bpfdrv_prog_kernel_stack(run, ips, BPFDRV_MAX_STACK_DEPTH);

	return (s64)bpfdrv_stack_map_store(MAP(map), ips, n, flags);
}

u64 bpfdrv_h_probe_write_user(struct ebpf_run *run, u64 dst, u64 src, u64 size, u64 a4, u64 a5)
{
	if (!bpfdrv_charge_bytes(run, size))
		return 0;
	/* Linux: only from a user task's own context. */
	if (in_interrupt() || (current->flags & (PF_KTHREAD | PF_EXITING)))
		return (s64)-EPERM;
	return (s64)bpfdrv_write_user_nofault((void __user *)PTR(dst), PTR(src), size);
}

u64 bpfdrv_h_get_numa_node_id(struct ebpf_run *run, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return numa_node_id();
}

u64 bpfdrv_h_get_current_cgroup_id(struct ebpf_run *run, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return bpfdrv_current_cgroup_id();
}

u64 bpfdrv_h_jiffies64(struct ebpf_run *run, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return get_jiffies_64();
}

u64 bpfdrv_h_ktime_get_coarse_ns(struct ebpf_run *run, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return bpfdrv_ktime_coarse_ns();
}

/*
 * send_signal: the signal is sent from an irq_work, as Linux does when it cannot
 * send in place: programs run inside probes that may hold the locks signal delivery
 * takes. One pending signal per CPU; a second one meanwhile is -EBUSY.
 */
struct bpfdrv_signal_work {
	struct irq_work work;
	struct task_struct *task;
	int sig;
	bool thread;
	atomic_t busy;
};

static DEFINE_PER_CPU(struct bpfdrv_signal_work, bpfdrv_signal_works);

static void bpfdrv_signal_fn(struct irq_work *work)
{
	struct bpfdrv_signal_work *w = container_of(work, struct bpfdrv_signal_work, work);
	struct task_struct *task = w->task;

	if (w->thread)
		send_sig(w->sig, task, 1);
	else
		kill_pid(task_tgid(task), w->sig, 1);
	put_task_struct(task);
	w->task = NULL;
	atomic_set(&w->busy, 0);
}

static u64 send_signal_common(u32 sig, bool thread)
{
	struct bpfdrv_signal_work *w;

	if (current->flags & (PF_KTHREAD | PF_EXITING) || is_global_init(current))
		return (s64)-EPERM;
	if (!valid_signal(sig))
		return (s64)-EINVAL;
	w = this_cpu_ptr(&bpfdrv_signal_works);
	if (atomic_cmpxchg(&w->busy, 0, 1))
		return (s64)-EBUSY;
	get_task_struct(current);
	w->task = current;
	w->sig = sig;
	w->thread = thread;
	irq_work_queue(&w->work);
	return 0;
}

u64 bpfdrv_h_send_signal(struct ebpf_run *run, u64 sig, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return send_signal_common(sig, false);
}

u64 bpfdrv_h_send_signal_thread(struct ebpf_run *run, u64 sig, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return send_signal_common(sig, true);
}

void bpfdrv_helpers_tracing_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct bpfdrv_signal_work *w = per_cpu_ptr(&bpfdrv_signal_works, cpu);

		init_irq_work(&w->work, bpfdrv_signal_fn);
		atomic_set(&w->busy, 0);
	}
}

void bpfdrv_helpers_tracing_exit(void)
{
	int cpu;

	/* No program runs any more: wait for signals still queued. */
	for_each_possible_cpu(cpu)
		irq_work_sync(&per_cpu_ptr(&bpfdrv_signal_works, cpu)->work);
}

/*
 * The bprintf family: a format string with at most 3 (trace_printk) or 12 (snprintf)
 * conversions, as Linux's bpf_bprintf_prepare accepts them: %d %i %u %x %X %c %%,
 * with l / ll, flags "-+ 0" and a width; %s (a string read without faulting, kernel
 * or user address); %p / %px / %pK (as the kernel prints them; %pks / %pus strings).
 * Anything else, '#', %o, and characters neither printable nor space, is -EINVAL.
 * Returns the length written (without NUL), or -errno.
 */
#define BPRINTF_STR 64	/* also bounds every conversion's text before padding */

/*
 * A field width as Linux 6.1's vsnprintf takes it: the digits' value in its 24-bit
 * signed field_width (skip_atoi wraps, the bitfield keeps the low 24 bits), where a
 * negative width pads nothing. 0: no width.
 */
static u32 bprintf_width(const char *fmt, u32 *i)
{
	u32 w = 0;

	while (fmt[*i] >= '0' && fmt[*i] <= '9')
		w = (w * 10 + (fmt[(*i)++] - '0')) & 0xffffff;
	return w & 0x800000 ? 0 : w;
}

/*
 * The width to format a field with when @room bytes of the output are left: a wider
 * field only adds padding past the end (right-aligned text starts at least @room in,
 * left-aligned text comes first), so vsnprintf, which counts every padding byte, is
 * given at most room + BPRINTF_STR and the caller adds the rest to the length.
 */
static u32 bprintf_capped_width(u32 width, u32 room)
{
	return min_t(u64, width, (u64)room + BPRINTF_STR);
}

int bpfdrv_bprintf(char *out, u32 size, const char *fmt, u32 fmt_len, const u64 *args,
		   u32 nargs)
{
	u32 i = 0, n = 0, argi = 0;
	char spec[32], str[BPRINTF_STR];

	if (!size)
		return -EINVAL;
	out[0] = 0;
	if (!memchr(fmt, 0, fmt_len))
		return -EINVAL;
	for (i = 0; fmt[i]; i++)
		if (!isascii(fmt[i]) || (!isprint(fmt[i]) && !isspace(fmt[i])))
			return -EINVAL;
	i = 0;
	while (fmt[i]) {
		u32 sl = 0, lmod = 0, width, capped;
		int w;
		u64 v;

		if (fmt[i] != '%') {
			if (n + 1 < size)
				out[n] = fmt[i];
			n++;
			i++;
			continue;
		}
		if (fmt[i + 1] == '%') {
			if (n + 1 < size)
				out[n] = '%';
			n++;
			i += 2;
			continue;
		}
		spec[sl++] = fmt[i++];
		while (fmt[i] && strchr("-+ 0", fmt[i]) && sl < 6)
			spec[sl++] = fmt[i++];
		width = bprintf_width(fmt, &i);
		capped = bprintf_capped_width(width, size - min(n, size - 1));
		if (capped)
			sl += sprintf(spec + sl, "%u", capped);
		while (fmt[i] == 'l' && lmod < 2) {
			lmod++;
			i++;
		}
		if (argi >= nargs)
			return -EINVAL;
		v = args[argi++];
		w = 0;
		switch (fmt[i]) {
		case 'd': case 'i': case 'u': case 'x': case 'X':
			spec[sl++] = 'l';
			spec[sl++] = 'l';
			spec[sl++] = fmt[i];
			spec[sl] = 0;
			if (fmt[i] == 'd' || fmt[i] == 'i')
				w = snprintf(out + min(n, size - 1), size - min(n, size - 1), spec,
					     lmod ? (long long)v : (long long)(int)v);
			else
				w = snprintf(out + min(n, size - 1), size - min(n, size - 1), spec,
					     lmod ? (unsigned long long)v : (unsigned long long)(u32)v);
			break;
		case 'c':
			if (lmod)
				return -EINVAL;
			spec[sl++] = 'c';
			spec[sl] = 0;
			w = snprintf(out + min(n, size - 1), size - min(n, size - 1), spec, (int)(u8)v);
			break;
		case 's':
		case 'p': {
			bool user = false;

			if (lmod)
				return -EINVAL;
			if (fmt[i] == 'p') {
				spec[sl++] = 'p';
				if (fmt[i + 1] == 'x' || fmt[i + 1] == 'K') {
					spec[sl++] = fmt[++i];
				} else if ((fmt[i + 1] == 'k' || fmt[i + 1] == 'u') && fmt[i + 2] == 's') {
					user = fmt[i + 1] == 'u';
					i += 2;
					sl--;
					goto string;
				} else if (isalnum(fmt[i + 1])) {
					return -EINVAL; /* %pB, %pI4, ...: not supported here */
				}
				spec[sl] = 0;
				/*
				 * The kernel's own %p, %px, %pK, as Linux's bpf_bprintf passes them
				 * on: %p hashed (4.15+), %pK as kptr_restrict says, %px raw.
				 */
				w = snprintf(out + min(n, size - 1), size - min(n, size - 1), spec,
					     (void *)(unsigned long)v);
				break;
			}
			user = v < TASK_SIZE;
string:
			if (!v) {
				strcpy(str, "(null)");
			} else if ((user ? bpfdrv_read_user_str_nofault(str, (const void __user *)PTR(v),
									sizeof(str)) :
					   bpfdrv_read_kernel_str_nofault(str, PTR(v), sizeof(str))) < 0) {
				strcpy(str, "(fault)");
			}
			spec[sl++] = 's';
			spec[sl] = 0;
			w = snprintf(out + min(n, size - 1), size - min(n, size - 1), spec, str);
			break;
		}
		default:
			return -EINVAL;
		}
		n += w + (width - capped);
		i++;
	}
	out[min(n, size - 1)] = 0;
	return n;
}

/* trace_printk output goes to the kernel log, rate limited, tagged like Linux's. */
u64 bpfdrv_h_trace_printk(struct ebpf_run *run, u64 fmt, u64 fmt_size, u64 a1, u64 a2, u64 a3)
{
	static DEFINE_PER_CPU(char[256], buf);
	u64 args[3] = { a1, a2, a3 };
	char *b = this_cpu_ptr(buf);
	int len;

	if (!bpfdrv_charge_bytes(run, fmt_size + 256))
		return 0;
	len = bpfdrv_bprintf(b, 256, PTR(fmt), fmt_size, args, 3);
	if (len < 0)
		return (s64)len;
	pr_info_ratelimited("bpf_trace_printk: %s%s", b, len && b[min(len, 255) - 1] == '\n' ? "" : "\n");
	return len;
}

u64 bpfdrv_h_snprintf(struct ebpf_run *run, u64 str, u64 str_size, u64 fmt, u64 data, u64 data_len)
{
	u32 room = ebpf_arg_room(run, 3, fmt, false);
	u32 fmt_len = strnlen(PTR(fmt), room);
	int len;

	/* The format's text plus what can be written: bpfdrv_bprintf's work. */
	if (!bpfdrv_charge_bytes(run, (u64)fmt_len + str_size))
		return 0;
	/* Linux: fmt is a constant NUL-terminated string, data a u64 array of <= 12. */
	if (data_len % 8 || data_len > 12 * 8 || (!data && data_len))
		return (s64)-EINVAL;
	if (fmt_len == room)
		return (s64)-EINVAL;
	/* str is an out-buffer: it must be writable (Linux: ARG_PTR_TO_MEM_OR_NULL, uninit). */
	if (str && str_size && !ebpf_arg_access_ok(run, 1, str, str_size, true))
		return (s64)-EINVAL;
	if (!str_size || !str) {
		char one;

		len = bpfdrv_bprintf(&one, 1, PTR(fmt), fmt_len + 1, PTR(data), data_len / 8);
	} else {
		len = bpfdrv_bprintf(PTR(str), str_size, PTR(fmt), fmt_len + 1, PTR(data), data_len / 8);
	}
	return len < 0 ? (s64)len : len + 1;
}

/*
 * bpf_snprintf's load-time check of a constant format (the engine's check_fmt): data
 * a whole number of u64s, and the format parsed as a run parses it, with zero for
 * every argument, as Linux's check_bpf_snprintf_call runs bpf_bprintf_prepare. Only 12
 * arguments are given: a run with more fails anyway (data_len > 96 is -EINVAL).
 */
int bpfdrv_snprintf_check_fmt(const char *fmt, u32 room, u64 data_len)
{
	static const u64 zeros[12];
	char out[16];
	int len;

	if (data_len % 8)
		return -EINVAL;
	len = bpfdrv_bprintf(out, sizeof(out), fmt, room, zeros,
			     min_t(u64, data_len / 8, ARRAY_SIZE(zeros)));
	return len < 0 ? len : 0;
}

u64 bpfdrv_h_strncmp(struct ebpf_run *run, u64 s1, u64 s1_sz, u64 s2, u64 a4, u64 a5)
{
	u32 room = ebpf_arg_room(run, 3, s2, false);

	if (!bpfdrv_charge_bytes(run, s1_sz))
		return 0;
	/* Linux's verifier insists on a NUL-terminated constant s2: abort otherwise. */
	if (!room || !memchr(PTR(s2), 0, room)) {
		run->error = -EFAULT;
		return 0;
	}
	return (s64)strncmp(PTR(s1), PTR(s2), s1_sz);
}
