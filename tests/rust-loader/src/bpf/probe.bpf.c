// SPDX-License-Identifier: GPL-2.0
/*
 * What a libbpf-rs tool's BPF side usually is: a kprobe and a tracepoint on the same
 * syscall, filtered on the loader's process through .rodata, counting into a hash map and
 * a .bss counter, and sending each event through a ring buffer. CO-RE: the task's tgid
 * is read through a relocation against the kernel's BTF (without, -DNO_CORE, for the Go
 * loader).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* Only what the program reads; the relocation finds the field in the running kernel. */
struct task_struct {
	int tgid;
} __attribute__((preserve_access_index));

enum { KIND_KPROBE = 1, KIND_TRACEPOINT = 2 };

struct event {
	__u32 kind;
	__u32 tgid;
	__u64 seq;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

const volatile __u32 target_tgid = 0;
__u64 seq = 0;

static int record(__u32 kind)
{
#ifndef NO_CORE
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tgid = BPF_CORE_READ(task, tgid);
#else
	/*
	 * tests/go-loader: Debian's cilium/ebpf 0.9.1 cannot read 6.1's kernel BTF
	 * (BTF_KIND_ENUM64 came after it), so its CO-RE fails natively too.
	 */
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
#endif
	__u64 one = 1, *n;
	struct event *e;

	if (tgid != target_tgid)
		return 0;
	n = bpf_map_lookup_elem(&counts, &kind);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &kind, &one, BPF_NOEXIST);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->kind = kind;
	e->tgid = tgid;
	e->seq = __sync_fetch_and_add(&seq, 1);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("kprobe/__x64_sys_getppid")
int BPF_KPROBE(on_getppid_kprobe)
{
	return record(KIND_KPROBE);
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid_tracepoint(void *ctx)
{
	return record(KIND_TRACEPOINT);
}

char LICENSE[] SEC("license") = "GPL";
