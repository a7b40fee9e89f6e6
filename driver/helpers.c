// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel implementations of BPF helpers, with the kernel's argument rules (declared
 * per helper so the engine validates pointers before the call) and return values.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/cred.h>
#include <linux/uidgid.h>
#include <linux/smp.h>
#include <linux/ptrace.h>
#include <linux/stacktrace.h>
#include <linux/random.h>
#include <linux/percpu.h>
#include "bpfdrv.h"
#include "compat.h"
#include "helpers.h"
#include "prog_types.h"
#include "ebpf_skb.h"
#include "helper_args.h"


static u64 h_map_lookup_elem(struct ebpf_run *run, u64 map, u64 key, u64 a3, u64 a4, u64 a5)
{
	void *v = MAP(map)->ops->lookup(MAP(map), PTR(key));

	/* A map of maps hands out the inner map: a handle, never memory. */
	if (v && MAP(map)->ops->lookup_returns_map)
		ebpf_set_ret_map(run, &((struct bpfdrv_map *)v)->eref);
	return (u64)(uintptr_t)v;
}

/*
 * A BPF_F_RDONLY_PROG map is read-only to programs, helpers included: Linux refuses
 * these calls at load ("write into map forbidden"), as the checker does where it can
 * see the map (MAP_WRITE_HELPER); a map it could not follow is refused here, because
 * the checker reads a frozen one's value as constants: it must not change under a
 * running program. An update copies a value of up to 1 MiB: paid from the budget.
 */
static u64 h_map_update_elem(struct ebpf_run *run, u64 map, u64 key, u64 value, u64 flags, u64 a5)
{
	if (!bpfdrv_charge_bytes(run, MAP(map)->value_size))
		return 0;
	if (MAP(map)->map_flags & BPFDRV_F_RDONLY_PROG)
		return (s64)-EACCES;
	return (s64)MAP(map)->ops->update(MAP(map), PTR(key), PTR(value), flags);
}

static u64 h_map_delete_elem(struct ebpf_run *run, u64 map, u64 key, u64 a3, u64 a4, u64 a5)
{
	if (MAP(map)->map_flags & BPFDRV_F_RDONLY_PROG)
		return (s64)-EACCES;
	return (s64)MAP(map)->ops->delete(MAP(map), PTR(key));
}

/*
 * Queue / stack / bloom filter (87..89): maps without those ops answer -EINVAL. Each
 * copies (or hashes) a value: paid like update.
 */
static u64 h_map_push_elem(struct ebpf_run *run, u64 map, u64 value, u64 flags, u64 a4, u64 a5)
{
	if (!bpfdrv_charge_bytes(run, MAP(map)->value_size))
		return 0;
	if (!MAP(map)->ops->push)
		return (s64)-EINVAL;
	return (s64)MAP(map)->ops->push(MAP(map), PTR(value), flags);
}

static u64 h_map_pop_elem(struct ebpf_run *run, u64 map, u64 value, u64 a3, u64 a4, u64 a5)
{
	if (!bpfdrv_charge_bytes(run, MAP(map)->value_size))
		return 0;
	/* The value is an out-parameter: it must be writable (Linux: ARG_PTR_TO_UNINIT_MAP_VALUE). */
	if (!MAP(map)->ops->pop ||
	    !ebpf_arg_access_ok(run, 2, value, MAP(map)->value_size, true))
		return (s64)-EINVAL;
	return (s64)MAP(map)->ops->pop(MAP(map), PTR(value));
}

static u64 h_map_peek_elem(struct ebpf_run *run, u64 map, u64 value, u64 a3, u64 a4, u64 a5)
{
	struct bpfdrv_map *m = MAP(map);

	if (!bpfdrv_charge_bytes(run, m->value_size))
		return 0;
	if (!m->ops->peek)
		return (s64)-EINVAL;
	/* Bloom filter peek reads the value; queue/stack peek writes it. */
	if (!m->ops->sys_lookup_value_in && !ebpf_arg_access_ok(run, 2, value, m->value_size, true))
		return (s64)-EINVAL;
	return (s64)m->ops->peek(m, PTR(value));
}

/*
 * bpf_for_each_map_elem (164): the engine calls the callback per element; Linux refuses
 * other map types at load, so here they get -EINVAL when the call runs.
 */
static u64 h_map_elem_loop(struct ebpf_run *run, u64 map, u64 fn, u64 ctx, u64 flags, u64 a5)
{
	struct bpfdrv_map *m = MAP(map);

	if (flags)
		return (s64)-EINVAL;
	if (!m->ops->for_each_next) {
		bpfdrv_warn("bpf_for_each_map_elem: map type %u is not supported\n", m->map_type);
		return (s64)-EINVAL;
	}
	return (s64)ebpf_map_elem_loop(run, map, fn, ctx, m->ops->for_each_next);
}

static u64 h_probe_read_kernel(struct ebpf_run *run, u64 dst, u64 size, u64 src, u64 a4, u64 a5)
{
	long err;

	if (!bpfdrv_charge_bytes(run, size))
		return 0;
	err = bpfdrv_read_kernel_nofault(PTR(dst), PTR(src), size);
	if (err) {
		memset(PTR(dst), 0, size);
		return (s64)-EFAULT;
	}
	return 0;
}

static u64 h_probe_read_user(struct ebpf_run *run, u64 dst, u64 size, u64 src, u64 a4, u64 a5)
{
	long err;

	if (!bpfdrv_charge_bytes(run, size))
		return 0;
	err = bpfdrv_read_user_nofault(PTR(dst), (const void __user *)PTR(src), size);
	if (err) {
		memset(PTR(dst), 0, size);
		return (s64)-EFAULT;
	}
	return 0;
}

/* bpf_probe_read: on x86 a user address is read as user memory, like the kernel's compat helper. */
static u64 h_probe_read(struct ebpf_run *run, u64 dst, u64 size, u64 src, u64 a4, u64 a5)
{
	if (src < TASK_SIZE)
		return h_probe_read_user(run, dst, size, src, 0, 0);
	return h_probe_read_kernel(run, dst, size, src, 0, 0);
}

static u64 h_probe_read_user_str(struct ebpf_run *run, u64 dst, u64 size, u64 src, u64 a4, u64 a5)
{
	long ret;

	if (!size || !bpfdrv_charge_bytes(run, size))
		return 0;
	ret = bpfdrv_read_user_str_nofault(PTR(dst), (const void __user *)PTR(src), size);
	if (ret < 0)
		memset(PTR(dst), 0, size);
	return (s64)ret;
}

static u64 h_probe_read_kernel_str(struct ebpf_run *run, u64 dst, u64 size, u64 src, u64 a4, u64 a5)
{
	long ret;

	if (!size || !bpfdrv_charge_bytes(run, size))
		return 0;
	ret = bpfdrv_read_kernel_str_nofault(PTR(dst), PTR(src), size);
	if (ret < 0)
		memset(PTR(dst), 0, size);
	return (s64)ret;
}

static u64 h_probe_read_str(struct ebpf_run *run, u64 dst, u64 size, u64 src, u64 a4, u64 a5)
{
	if (src < TASK_SIZE)
		return h_probe_read_user_str(run, dst, size, src, 0, 0);
	return h_probe_read_kernel_str(run, dst, size, src, 0, 0);
}

static u64 h_ktime_get_ns(struct ebpf_run *run, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return bpfdrv_ktime_ns();
}

static u64 h_ktime_get_boot_ns(struct ebpf_run *run, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return bpfdrv_ktime_boot_ns();
}

/*
 * bpf_get_prandom_u32: a per-CPU pseudo-random state, as Linux's bpf_user_rnd_u32.
 * Programs run in NMI, where get_random_u32 may take the crng's lock (lockdep reported
 * it from a kprobe program in the debug-kernel fuzz run). Programs run with preemption
 * off and never nest on a CPU (the busy guard), so this CPU's state is theirs alone.
 */
static DEFINE_PER_CPU(struct rnd_state, bpfdrv_prandom_state);

static u64 h_get_prandom_u32(struct ebpf_run *run, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return prandom_u32_state(this_cpu_ptr(&bpfdrv_prandom_state));
}

static u64 h_get_smp_processor_id(struct ebpf_run *run, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return raw_smp_processor_id();
}

static u64 h_get_current_pid_tgid(struct ebpf_run *run, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return (u64)current->tgid << 32 | current->pid;
}

static u64 h_get_current_uid_gid(struct ebpf_run *run, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	kuid_t uid;
	kgid_t gid;

	current_uid_gid(&uid, &gid);
	return (u64)from_kgid(&init_user_ns, gid) << 32 | from_kuid(&init_user_ns, uid);
}

static u64 h_get_current_comm(struct ebpf_run *run, u64 buf, u64 size, u64 a3, u64 a4, u64 a5)
{
	char *dst = PTR(buf);
	u64 i;

	for (i = 0; i + 1 < size && i < sizeof(current->comm) && current->comm[i]; i++)
		dst[i] = current->comm[i];
	dst[i] = 0;
	return 0;
}

static u64 h_get_current_task(struct ebpf_run *run, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return (u64)(uintptr_t)current;
}

static u64 h_perf_event_output(struct ebpf_run *run, u64 ctx, u64 map, u64 flags, u64 data, u64 size)
{
	struct bpfdrv_perf_ring *ring;

	if (!bpfdrv_charge_bytes(run, size))
		return 0;
	if (flags & ~(BPFDRV_F_INDEX_MASK | BPFDRV_F_CTXLEN_MASK) || (flags & BPFDRV_F_CTXLEN_MASK))
		return (s64)-EINVAL;
	if (MAP(map)->map_type != BPFDRV_MAP_TYPE_PERF_EVENT_ARRAY)
		return (s64)-EINVAL;
	ring = bpfdrv_perf_array_ring(MAP(map), flags);
	if (IS_ERR(ring))
		return (s64)PTR_ERR(ring);
	if (bpfdrv_perf_ring_cpu(ring) != raw_smp_processor_id())
		return (s64)-EOPNOTSUPP;
	return (s64)bpfdrv_perf_ring_output(ring, PTR(data), size);
}

/* The counter, or a negative errno in the same u64 (Linux's uapi: [-22..-2] are lost). */
static u64 h_perf_event_read(struct ebpf_run *run, u64 map, u64 flags, u64 a3, u64 a4, u64 a5)
{
	u64 value = 0;
	int err = bpfdrv_perf_array_read(MAP(map), flags, &value, NULL, NULL);

	return err ? (s64)err : value;
}

/* struct bpf_perf_event_value { __u64 counter, enabled, running; }, zeroed on error. */
static u64 h_perf_event_read_value(struct ebpf_run *run, u64 map, u64 flags, u64 buf, u64 size,
				   u64 a5)
{
	u64 *v = PTR(buf);
	int err = -EINVAL;

	if (size == 3 * sizeof(u64))
		err = bpfdrv_perf_array_read(MAP(map), flags, &v[0], &v[1], &v[2]);
	if (err)
		memset(v, 0, size);
	return (s64)err;
}

static u64 h_current_task_under_cgroup(struct ebpf_run *run, u64 map, u64 idx, u64 a3, u64 a4, u64 a5)
{
	return (s64)bpfdrv_cgroup_array_check(MAP(map), idx);
}

/* User stack by frame pointers from the task's saved user registers, like perf's. */
static u32 user_stack(u64 *ips, u32 max)
{
	struct pt_regs *regs = task_pt_regs(current);
	unsigned long fp, frame[2];
	u32 n = 0;

	if (!current->mm || !regs || !max)
		return 0;
	ips[n++] = regs->ip;
	fp = regs->bp;
	while (n < max && fp && !(fp & 7)) {
		if (bpfdrv_read_user_nofault(frame, (const void __user *)fp, sizeof(frame)))
			break;
		if (!frame[1])
			break;
		ips[n++] = frame[1];
		if (frame[0] <= fp)
			break;
		fp = frame[0];
	}
	return n;
}

u32 bpfdrv_user_stack(u64 *ips, u32 max)
{
	return user_stack(ips, max);
}

static u64 h_get_stack(struct ebpf_run *run, u64 ctx, u64 buf, u64 size, u64 flags, u64 a5)
{
	u64 *ips = ENV(run)->stack_ips, *dst = PTR(buf);
	u32 skip = flags & BPFDRV_F_SKIP_FIELD_MASK, n, copy;

	if (!bpfdrv_charge_bytes(run, size))
		return 0;
	if ((flags & ~(BPFDRV_F_SKIP_FIELD_MASK | BPFDRV_F_USER_STACK)) || size % sizeof(u64)) {
		memset(dst, 0, size);
		return (s64)-EINVAL;
	}
	if (flags & BPFDRV_F_USER_STACK)
		n = user_stack(ips, BPFDRV_MAX_STACK_DEPTH);
	else
		n = bpfdrv_prog_kernel_stack(run, ips, BPFDRV_MAX_STACK_DEPTH);
	if (skip >= n) {
		memset(dst, 0, size);
		return (s64)-EFAULT;
	}
	copy = min_t(u64, n - skip, size / sizeof(u64));
	memcpy(dst, ips + skip, copy * sizeof(u64));
	if (copy * sizeof(u64) < size)
		memset((u8 *)dst + copy * sizeof(u64), 0, size - copy * sizeof(u64));
	return copy * sizeof(u64);
}

/*
 * Socket filters' skb helpers. The engine passed the unmodified ctx (PTR_TO_CTX), and
 * only socket filters have these helpers, so ctx is the test run's struct ebpf_skb.
 */
#define SKB(v) ((const struct ebpf_skb *)(uintptr_t)(v))

static u64 h_skb_load_bytes(struct ebpf_run *run, u64 ctx, u64 off, u64 to, u64 len, u64 a5)
{
	return (s64)ebpf_skb_load_bytes(SKB(ctx), off, PTR(to), len);
}

static u64 h_skb_load_bytes_relative(struct ebpf_run *run, u64 ctx, u64 off, u64 to, u64 len,
				     u64 start)
{
	return (s64)ebpf_skb_load_bytes_relative(SKB(ctx), off, PTR(to), len, start);
}

static u64 h_get_socket_cookie(struct ebpf_run *run, u64 ctx, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return SKB(ctx)->sock_cookie;
}

/* The test run's socket is root's in its namespace, as Linux's (sock_init_data(NULL, sk)). */
static u64 h_get_socket_uid(struct ebpf_run *run, u64 ctx, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return 0;
}

/* bpf_get_func_ip: the probed function's address (kprobes), else 0. */
static u64 h_get_func_ip(struct ebpf_run *run, u64 ctx, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return ENV(run)->func_ip;
}

/* bpf_get_attach_cookie: the bpf_cookie of the link that attached the program (0 for SET_BPF). */
static u64 h_get_attach_cookie(struct ebpf_run *run, u64 ctx, u64 a2, u64 a3, u64 a4, u64 a5)
{
	return ENV(run)->cookie;
}

/*
 * One helper: its Linux id, the name the checker's log prints and what the engine is
 * told of it. Fields left out are EBPF_RET_INTEGER, EBPF_ARG_NONE and false.
 */
struct bpfdrv_helper_def {
	enum bpfdrv_func_id id;
	const char *name;
	ebpf_helper_fn fn;
	u8 ret;		/* enum ebpf_ret_kind */
	u8 args[5];	/* enum ebpf_arg_kind */
	/* Changes the map in its first argument (refused on BPF_F_RDONLY_PROG maps). */
	bool map_write;
	/* The argument that is the size of the memory it returns (struct ebpf_helper's). */
	u8 ret_size_arg;
	/* Checks a constant format string at load (struct ebpf_helper's check_fmt). */
	int (*check_fmt)(const char *fmt, u32 room, u64 data_len);
	/* Needs a GPL-compatible program license. */
	bool gpl_only;
	/* Only the tracing program types get it (Linux's bpf_tracing_func_proto). */
	bool tracing_only;
	/*
	 * If set, only these program types (PROG_TYPE() bits) get it, as in the kernel's
	 * *_func_proto.
	 */
	u32 only_types;
};

#define PROG_TYPE(t) (1u << BPFDRV_PROG_TYPE_##t)

static const struct bpfdrv_helper_def bpfdrv_helper_defs[] = {
	{ .id = BPFDRV_FUNC_map_lookup_elem, .name = "map_lookup_elem", .fn = h_map_lookup_elem,
	  .ret = EBPF_RET_MAP_VALUE_OR_NULL,
	  .args = { EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_PTR_TO_MAP_KEY } },
	{ .id = BPFDRV_FUNC_map_update_elem, .name = "map_update_elem", .fn = h_map_update_elem,
	  .map_write = true,
	  .args = { EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_PTR_TO_MAP_KEY, EBPF_ARG_PTR_TO_MAP_VALUE, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_map_delete_elem, .name = "map_delete_elem", .fn = h_map_delete_elem,
	  .map_write = true, .args = { EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_PTR_TO_MAP_KEY } },
	{ .id = BPFDRV_FUNC_probe_read, .name = "probe_read", .fn = h_probe_read,
	  .gpl_only = true, .tracing_only = true,
	  .args = { EBPF_ARG_PTR_TO_UNINIT_MEM, EBPF_ARG_CONST_SIZE_OR_ZERO, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_ktime_get_ns, .name = "ktime_get_ns", .fn = h_ktime_get_ns },
	{ .id = BPFDRV_FUNC_get_prandom_u32, .name = "get_prandom_u32", .fn = h_get_prandom_u32 },
	{ .id = BPFDRV_FUNC_get_smp_processor_id, .name = "get_smp_processor_id", .fn = h_get_smp_processor_id },
	{ .id = BPFDRV_FUNC_get_current_pid_tgid, .name = "get_current_pid_tgid", .fn = h_get_current_pid_tgid,
	  .tracing_only = true },
	{ .id = BPFDRV_FUNC_get_current_uid_gid, .name = "get_current_uid_gid", .fn = h_get_current_uid_gid,
	  .tracing_only = true },
	{ .id = BPFDRV_FUNC_get_current_comm, .name = "get_current_comm", .fn = h_get_current_comm,
	  .tracing_only = true, .args = { EBPF_ARG_PTR_TO_UNINIT_MEM, EBPF_ARG_CONST_SIZE } },
	{ .id = BPFDRV_FUNC_perf_event_output, .name = "perf_event_output", .fn = h_perf_event_output,
	  .gpl_only = true, .tracing_only = true,
	  .args = { EBPF_ARG_PTR_TO_CTX, EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_ANYTHING, EBPF_ARG_PTR_TO_MEM, EBPF_ARG_CONST_SIZE_OR_ZERO } },
	{ .id = BPFDRV_FUNC_perf_event_read, .name = "perf_event_read", .fn = h_perf_event_read,
	  .gpl_only = true, .tracing_only = true,
	  .args = { EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_perf_event_read_value, .name = "perf_event_read_value", .fn = h_perf_event_read_value,
	  .gpl_only = true, .tracing_only = true,
	  .args = { EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_ANYTHING, EBPF_ARG_PTR_TO_UNINIT_MEM, EBPF_ARG_CONST_SIZE } },
	{ .id = BPFDRV_FUNC_get_current_task, .name = "get_current_task", .fn = h_get_current_task,
	  .gpl_only = true, .tracing_only = true },
	/* The same pointer; BTF-typed programs dereference it with plain (probe_mem) loads. */
	{ .id = BPFDRV_FUNC_get_current_task_btf, .name = "get_current_task_btf", .fn = h_get_current_task,
	  .gpl_only = true, .tracing_only = true },
	{ .id = BPFDRV_FUNC_current_task_under_cgroup, .name = "current_task_under_cgroup", .fn = h_current_task_under_cgroup,
	  .tracing_only = true, .args = { EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_probe_read_str, .name = "probe_read_str", .fn = h_probe_read_str,
	  .gpl_only = true, .tracing_only = true,
	  .args = { EBPF_ARG_PTR_TO_UNINIT_MEM, EBPF_ARG_CONST_SIZE_OR_ZERO, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_get_stack, .name = "get_stack", .fn = h_get_stack,
	  .gpl_only = true, .tracing_only = true,
	  .args = { EBPF_ARG_PTR_TO_CTX, EBPF_ARG_PTR_TO_UNINIT_MEM, EBPF_ARG_CONST_SIZE_OR_ZERO, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_probe_read_user, .name = "probe_read_user", .fn = h_probe_read_user,
	  .gpl_only = true, .tracing_only = true,
	  .args = { EBPF_ARG_PTR_TO_UNINIT_MEM, EBPF_ARG_CONST_SIZE_OR_ZERO, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_probe_read_kernel, .name = "probe_read_kernel", .fn = h_probe_read_kernel,
	  .gpl_only = true, .tracing_only = true,
	  .args = { EBPF_ARG_PTR_TO_UNINIT_MEM, EBPF_ARG_CONST_SIZE_OR_ZERO, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_probe_read_user_str, .name = "probe_read_user_str", .fn = h_probe_read_user_str,
	  .gpl_only = true, .tracing_only = true,
	  .args = { EBPF_ARG_PTR_TO_UNINIT_MEM, EBPF_ARG_CONST_SIZE_OR_ZERO, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_probe_read_kernel_str, .name = "probe_read_kernel_str", .fn = h_probe_read_kernel_str,
	  .gpl_only = true, .tracing_only = true,
	  .args = { EBPF_ARG_PTR_TO_UNINIT_MEM, EBPF_ARG_CONST_SIZE_OR_ZERO, EBPF_ARG_ANYTHING } },
	/* helpers_tracing.c */
	{ .id = BPFDRV_FUNC_trace_printk, .name = "trace_printk", .fn = bpfdrv_h_trace_printk,
	  .gpl_only = true,
	  .args = { EBPF_ARG_PTR_TO_MEM, EBPF_ARG_CONST_SIZE, EBPF_ARG_ANYTHING, EBPF_ARG_ANYTHING, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_tail_call, .name = "tail_call", .fn = bpfdrv_h_tail_call,
	  .ret = EBPF_RET_VOID,
	  .args = { EBPF_ARG_PTR_TO_CTX, EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_get_stackid, .name = "get_stackid", .fn = bpfdrv_h_get_stackid,
	  .gpl_only = true, .tracing_only = true,
	  .args = { EBPF_ARG_PTR_TO_CTX, EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_probe_write_user, .name = "probe_write_user", .fn = bpfdrv_h_probe_write_user,
	  .gpl_only = true, .tracing_only = true,
	  .args = { EBPF_ARG_ANYTHING, EBPF_ARG_PTR_TO_MEM, EBPF_ARG_CONST_SIZE } },
	{ .id = BPFDRV_FUNC_get_numa_node_id, .name = "get_numa_node_id", .fn = bpfdrv_h_get_numa_node_id },
	{ .id = BPFDRV_FUNC_get_current_cgroup_id, .name = "get_current_cgroup_id", .fn = bpfdrv_h_get_current_cgroup_id,
	  .tracing_only = true },
	{ .id = BPFDRV_FUNC_send_signal, .name = "send_signal", .fn = bpfdrv_h_send_signal,
	  .tracing_only = true, .args = { EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_send_signal_thread, .name = "send_signal_thread", .fn = bpfdrv_h_send_signal_thread,
	  .tracing_only = true, .args = { EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_jiffies64, .name = "jiffies64", .fn = bpfdrv_h_jiffies64 },
	/* Linux refuses it to tracing programs (its seqlock could deadlock). */
	{ .id = BPFDRV_FUNC_ktime_get_coarse_ns, .name = "ktime_get_coarse_ns", .fn = bpfdrv_h_ktime_get_coarse_ns,
	  .only_types = PROG_TYPE(SOCKET_FILTER) },
	{ .id = BPFDRV_FUNC_snprintf, .name = "snprintf", .fn = bpfdrv_h_snprintf,
	  .check_fmt = bpfdrv_snprintf_check_fmt, .gpl_only = true,
	  .args = { EBPF_ARG_PTR_TO_MEM_OR_NULL, EBPF_ARG_CONST_SIZE_OR_ZERO, EBPF_ARG_ANYTHING, EBPF_ARG_PTR_TO_MEM_OR_NULL, EBPF_ARG_CONST_SIZE_OR_ZERO } },
	{ .id = BPFDRV_FUNC_for_each_map_elem, .name = "for_each_map_elem", .fn = h_map_elem_loop,
	  .args = { EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_PTR_TO_FUNC, EBPF_ARG_PTR_TO_STACK_OR_NULL, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_loop, .name = "loop", .fn = ebpf_helper_loop,
	  .args = { EBPF_ARG_ANYTHING, EBPF_ARG_PTR_TO_FUNC, EBPF_ARG_PTR_TO_STACK_OR_NULL, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_strncmp, .name = "strncmp", .fn = bpfdrv_h_strncmp,
	  .args = { EBPF_ARG_PTR_TO_MEM, EBPF_ARG_CONST_SIZE, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_map_push_elem, .name = "map_push_elem", .fn = h_map_push_elem,
	  .map_write = true,
	  .args = { EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_PTR_TO_MAP_VALUE, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_map_pop_elem, .name = "map_pop_elem", .fn = h_map_pop_elem,
	  .map_write = true, .args = { EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_PTR_TO_MAP_VALUE } },
	{ .id = BPFDRV_FUNC_map_peek_elem, .name = "map_peek_elem", .fn = h_map_peek_elem,
	  .args = { EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_PTR_TO_MAP_VALUE } },
	{ .id = BPFDRV_FUNC_ktime_get_boot_ns, .name = "ktime_get_boot_ns", .fn = h_ktime_get_boot_ns },
	/* BPF ring buffer (ringbuf.c). reserve's result is tagged by the helper itself. */
	{ .id = BPFDRV_FUNC_ringbuf_output, .name = "ringbuf_output", .fn = bpfdrv_h_ringbuf_output,
	  .args = { EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_PTR_TO_MEM, EBPF_ARG_CONST_SIZE_OR_ZERO, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_ringbuf_reserve, .name = "ringbuf_reserve", .fn = bpfdrv_h_ringbuf_reserve,
	  .ret = EBPF_RET_MEM_OR_NULL, .ret_size_arg = 2,
	  .args = { EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_ANYTHING, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_ringbuf_submit, .name = "ringbuf_submit", .fn = bpfdrv_h_ringbuf_submit,
	  .ret = EBPF_RET_VOID, .args = { EBPF_ARG_PTR_TO_ALLOC_MEM, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_ringbuf_discard, .name = "ringbuf_discard", .fn = bpfdrv_h_ringbuf_discard,
	  .ret = EBPF_RET_VOID, .args = { EBPF_ARG_PTR_TO_ALLOC_MEM, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_ringbuf_query, .name = "ringbuf_query", .fn = bpfdrv_h_ringbuf_query,
	  .args = { EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_ANYTHING } },
	{ .id = BPFDRV_FUNC_get_func_ip, .name = "get_func_ip", .fn = h_get_func_ip,
	  .gpl_only = true, .tracing_only = true, .args = { EBPF_ARG_PTR_TO_CTX },
	  .only_types = PROG_TYPE(KPROBE) | PROG_TYPE(TRACING) },
	/* socket filters (sk_filter_func_proto) */
	{ .id = BPFDRV_FUNC_skb_load_bytes, .name = "skb_load_bytes", .fn = h_skb_load_bytes,
	  .args = { EBPF_ARG_PTR_TO_CTX, EBPF_ARG_ANYTHING, EBPF_ARG_PTR_TO_UNINIT_MEM, EBPF_ARG_CONST_SIZE },
	  .only_types = PROG_TYPE(SOCKET_FILTER) },
	{ .id = BPFDRV_FUNC_skb_load_bytes_relative, .name = "skb_load_bytes_relative", .fn = h_skb_load_bytes_relative,
	  .args = { EBPF_ARG_PTR_TO_CTX, EBPF_ARG_ANYTHING, EBPF_ARG_PTR_TO_UNINIT_MEM, EBPF_ARG_CONST_SIZE, EBPF_ARG_ANYTHING },
	  .only_types = PROG_TYPE(SOCKET_FILTER) },
	{ .id = BPFDRV_FUNC_get_socket_cookie, .name = "get_socket_cookie", .fn = h_get_socket_cookie,
	  .args = { EBPF_ARG_PTR_TO_CTX },
	  .only_types = PROG_TYPE(SOCKET_FILTER) },
	{ .id = BPFDRV_FUNC_get_socket_uid, .name = "get_socket_uid", .fn = h_get_socket_uid,
	  .args = { EBPF_ARG_PTR_TO_CTX },
	  .only_types = PROG_TYPE(SOCKET_FILTER) },
	/* Where a perf event (link) carries one. */
	{ .id = BPFDRV_FUNC_get_attach_cookie, .name = "get_attach_cookie", .fn = h_get_attach_cookie,
	  .tracing_only = true, .args = { EBPF_ARG_PTR_TO_CTX },
	  .only_types = PROG_TYPE(KPROBE) | PROG_TYPE(TRACEPOINT) | PROG_TYPE(PERF_EVENT) | PROG_TYPE(TRACING) },
};

/* Indexed by helper id; built once from the definitions above. */
static bool bpfdrv_gpl_only[BPFDRV_HELPER_MAX];

static bool helper_allowed(const struct bpfdrv_helper_def *d, u32 prog_type)
{
	return !d->only_types || (d->only_types & (1u << prog_type));
}

static struct ebpf_helper helper_of(const struct bpfdrv_helper_def *d)
{
	struct ebpf_helper h = {
		.name = d->name, .fn = d->fn, .ret = d->ret, .map_write = d->map_write,
		.ret_size_arg = d->ret_size_arg, .check_fmt = d->check_fmt,
	};

	BUILD_BUG_ON(sizeof(h.args) != sizeof(d->args));
	memcpy(h.args, d->args, sizeof(h.args));
	return h;
}

/*
 * Each program type gets the helpers allowed to it; the tracing-only ones only if it
 * is a tracing type.
 */
void bpfdrv_helpers_init(void)
{
	size_t i, t;
	int cpu;

	/* prandom_seed_full_state's work: RHEL 7 declares it without exporting it. */
	for_each_possible_cpu(cpu)
		prandom_seed_state(per_cpu_ptr(&bpfdrv_prandom_state, cpu),
				   ((u64)bpfdrv_random_u32() << 32) | bpfdrv_random_u32());
	bpfdrv_helpers_tracing_init();
	for (i = 0; i < ARRAY_SIZE(bpfdrv_helper_defs); i++) {
		const struct bpfdrv_helper_def *d = &bpfdrv_helper_defs[i];

		for (t = 0; t < bpfdrv_nr_prog_types; t++) {
			const struct bpfdrv_prog_type *pt = &bpfdrv_prog_types[t];

			if ((pt->tracing || !d->tracing_only) && helper_allowed(d, pt->type))
				pt->helpers[d->id] = helper_of(d);
		}
		bpfdrv_gpl_only[d->id] = d->gpl_only;
	}
}

bool bpfdrv_helper_gpl_only(u32 id)
{
	return id < BPFDRV_HELPER_MAX && bpfdrv_gpl_only[id];
}
