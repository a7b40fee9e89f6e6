// SPDX-License-Identifier: GPL-2.0
/*
 * Records, for one process (target_tgid), the raw syscall tracepoint records of clone
 * (five arguments: the fourth and fifth travel in r10/r8) and arch_prctl (two), enter
 * and exit, as the tracepoint format lays them out (the common header is not readable
 * by tracepoint programs: the kernel refuses offsets below 8). The same object runs through the kernel's tracepoints and the
 * module's synthetic ones; synth_test prints what it saw for comparison.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

/* The records as the format files describe them: the common header, then the fields. */
struct trace_common {
	__u16 common_type;
	__u8 common_flags;
	__u8 common_preempt_count;
	__s32 common_pid;
};

struct sys_enter_rec {
	struct trace_common common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};

struct sys_exit_rec {
	struct trace_common common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/*
 * Slots: 0 clone enter, 1 clone exit, 2 arch_prctl enter, 3 arch_prctl exit, 4 the
 * child's return from clone (another tgid, recognised by the comm it inherited).
 */
struct seen {
	__u64 hits;
	__s64 nr;
	__u64 args[5];
	__s64 ret;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 5);
	__type(key, __u32);
	__type(value, struct seen);
} seen SEC(".maps");

const volatile __u32 target_tgid = 0;

static __always_inline struct seen *slot(__u32 i)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	return bpf_map_lookup_elem(&seen, &i);
}

static __always_inline int on_enter(struct sys_enter_rec *ctx, __u32 i, int nargs)
{
	struct seen *s = slot(i);
	int a;

	if (!s)
		return 0;
	s->hits++;
	s->nr = ctx->nr;
	for (a = 0; a < 5; a++)
		s->args[a] = a < nargs ? ctx->args[a] : 0;
	return 0;
}

static __always_inline void record_exit(struct seen *s, const struct sys_exit_rec *ctx)
{
	s->hits++;
	s->nr = ctx->nr;
	s->ret = ctx->ret;
}

static __always_inline int on_exit(struct sys_exit_rec *ctx, __u32 i)
{
	struct seen *s = slot(i);

	if (s)
		record_exit(s, ctx);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_clone")
int enter_clone(struct sys_enter_rec *ctx) { return on_enter(ctx, 0, 5); }

static __always_inline int is_test_child(void)
{
	static const char name[] = "synth_test";
	char comm[16];
	int i;

	if ((bpf_get_current_pid_tgid() >> 32) == target_tgid || bpf_get_current_comm(comm, sizeof(comm)))
		return 0;
	for (i = 0; i < sizeof(name); i++)
		if (comm[i] != name[i])
			return 0;
	return 1;
}

SEC("tracepoint/syscalls/sys_exit_clone")
int exit_clone(struct sys_exit_rec *ctx)
{
	__u32 child = 4;
	struct seen *s;

	if (is_test_child()) {
		s = bpf_map_lookup_elem(&seen, &child);
		if (s)
			record_exit(s, ctx);
		return 0;
	}
	return on_exit(ctx, 1);
}

SEC("tracepoint/syscalls/sys_enter_arch_prctl")
int enter_arch_prctl(struct sys_enter_rec *ctx) { return on_enter(ctx, 2, 2); }

SEC("tracepoint/syscalls/sys_exit_arch_prctl")
int exit_arch_prctl(struct sys_exit_rec *ctx) { return on_exit(ctx, 3); }

char LICENSE[] SEC("license") = "GPL";
