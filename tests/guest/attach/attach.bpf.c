// SPDX-License-Identifier: GPL-2.0
/*
 * One program per attach path; each counts its hits of the test's own process into
 * counts[slot] (and records what its context / helpers gave), so N triggers must
 * read back as exactly N. Plain UAPI types, no vmlinux.h: the same object runs
 * natively on the stock kernel (the oracle) and under bpfcompat.
 */
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "attach_slots.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

/* cfg[0]: tgid to count (0: any); cfg[1]: syscall nr for the raw tracepoint. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} cfg SEC(".maps");

static __always_inline __u64 cfg_get(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&cfg, &i);

	return v ? *v : 0;
}

static __always_inline int mine(void)
{
	__u64 tgid = cfg_get(0);

	return !tgid || (bpf_get_current_pid_tgid() >> 32) == tgid;
}

static __always_inline void add(__u32 slot, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &slot);

	if (v)
		__sync_fetch_and_add(v, n);
}

static __always_inline void set(__u32 slot, __u64 val)
{
	bpf_map_update_elem(&counts, &slot, &val, BPF_ANY);
}

SEC("kprobe/__x64_sys_getpgid")
int kp(struct pt_regs *ctx)
{
	__u64 top[1];

	if (!mine())
		return 0;
	add(SLOT_KP, 1);
	set(SLOT_KP_COOKIE, bpf_get_attach_cookie(ctx));
	set(SLOT_KP_FUNC_IP, bpf_get_func_ip(ctx));
	/* The kernel stack starts at the probed function (unwound from the probe's regs). */
	if (bpf_get_stack(ctx, top, sizeof(top), 0) == sizeof(top))
		set(SLOT_KP_STACK_TOP, top[0]);
	return 0;
}

SEC("kretprobe/__x64_sys_getpgid")
int kretp(struct pt_regs *ctx)
{
	if (!mine())
		return 0;
	add(SLOT_KRETP, 1);
	set(SLOT_KRETP_RC, PT_REGS_RC(ctx));
	set(SLOT_KRETP_FUNC_IP, bpf_get_func_ip(ctx));
	return 0;
}

/* Attached by the loader itself: legacy kprobe_events + PERF_EVENT_IOC_SET_BPF. */
SEC("kprobe")
int kp_setbpf(struct pt_regs *ctx)
{
	if (mine())
		add(SLOT_KP_SETBPF, 1);
	return 0;
}

SEC("kprobe")
int kp_legacy(struct pt_regs *ctx)
{
	if (mine())
		add(SLOT_KP_LEGACY, 1);
	return 0;
}

SEC("kprobe")
int kretp_legacy(struct pt_regs *ctx)
{
	if (mine()) {
		add(SLOT_KRETP_LEGACY, 1);
		set(SLOT_KRETP_LEGACY_RC, PT_REGS_RC(ctx));
	}
	return 0;
}

/* libbpf's ksyscall: it finds the syscall wrapper prefix (__x64_sys_) itself. */
SEC("ksyscall/getpgid")
int ksys(struct pt_regs *ctx)
{
	if (mine())
		add(SLOT_KSYSCALL, 1);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpgid")
int tp(void *ctx)
{
	if (!mine())
		return 0;
	add(SLOT_TP, 1);
	set(SLOT_TP_COOKIE, bpf_get_attach_cookie(ctx));
	return 0;
}

SEC("raw_tracepoint/sys_enter")
int rawtp(struct bpf_raw_tracepoint_args *ctx)
{
	/* sys_enter(struct pt_regs *regs, long id) */
	if (mine() && ctx->args[1] == cfg_get(1))
		add(SLOT_RAWTP, 1);
	return 0;
}

/*
 * sched_switch(bool preempt, prev, next[, prev_state]) as every kernel with raw tracepoints
 * passes it (3.10 declares (prev, next): the driver rewrites them). The tracepoint fires
 * while prev is still the current task, so each hit of this process must see itself in
 * args[1], a different task in args[2] and a boolean in args[0].
 */
SEC("raw_tracepoint/sched_switch")
int rawtp_switch(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 current = bpf_get_current_task();

	if (!mine())
		return 0;
	add(SLOT_SWITCH, 1);
	if (ctx->args[0] <= 1 && ctx->args[1] == current && ctx->args[2] && ctx->args[2] != current)
		add(SLOT_SWITCH_ARGS, 1);
	return 0;
}

SEC("uprobe")
int up(struct pt_regs *ctx)
{
	if (!mine())
		return 0;
	add(SLOT_UPROBE, 1);
	set(SLOT_UPROBE_ARG, PT_REGS_PARM1(ctx));
	set(SLOT_UPROBE_COOKIE, bpf_get_attach_cookie(ctx));
	return 0;
}

SEC("uretprobe")
int uretp(struct pt_regs *ctx)
{
	if (!mine())
		return 0;
	add(SLOT_URETPROBE, 1);
	set(SLOT_URETPROBE_RC, PT_REGS_RC(ctx));
	return 0;
}

SEC("uprobe")
int up_lib(struct pt_regs *ctx)
{
	if (mine())
		add(SLOT_ULIB, 1);
	return 0;
}

/* Attached by the loader: legacy uprobe_events + PERF_EVENT_IOC_SET_BPF. */
SEC("uprobe")
int up_legacy(struct pt_regs *ctx)
{
	if (mine()) {
		add(SLOT_ULEGACY, 1);
		set(SLOT_ULEGACY_ARG, PT_REGS_PARM1(ctx));
	}
	return 0;
}

/* No tgid filter: the pid given to perf_event_open must do the filtering. */
SEC("uprobe")
int up_pid(struct pt_regs *ctx)
{
	add(SLOT_UPID, 1);
	return 0;
}

/* Counts every call: the module function runs only for this test's lookups. */
SEC("kprobe")
int kp_module(struct pt_regs *ctx)
{
	add(SLOT_MODULE_KP, 1);
	return 0;
}

SEC("perf_event")
int sample(struct bpf_perf_event_data *ctx)
{
	add(SLOT_SAMPLES, 1);
	set(SLOT_SAMPLE_PERIOD, ctx->sample_period);
	set(SLOT_SAMPLE_COOKIE, bpf_get_attach_cookie(ctx));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
