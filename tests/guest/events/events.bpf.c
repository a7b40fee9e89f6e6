// SPDX-License-Identifier: GPL-2.0
/*
 * Event-channel test programs: each fires on syscalls:sys_enter_getppid of one process
 * (cfg.tgid) and sends {seq, tgid} through the perf buffer or the ring buffer. seq counts
 * every firing (produced); drops counts failed outputs/reserves. The loader
 * (events_load.c) picks the program by name.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "events.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* the loader resizes it before load */
} rb SEC(".maps");

/* The counters if this firing is ours, with produced bumped and *seq set. */
static __always_inline struct counters *ours(__u64 *seq)
{
	__u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&cnt, &zero);

	if (!c || (c->tgid && c->tgid != bpf_get_current_pid_tgid() >> 32))
		return 0;
	*seq = __sync_fetch_and_add(&c->produced, 1);
	return c;
}

static __always_inline void dropped(struct counters *c, long err)
{
	__sync_fetch_and_add(&c->drops, 1);
	c->last_err = err;
}

/*
 * A program sending {seq, tgid} by copy with SEND, an expression of ctx, e and c (the
 * event and the counters) that returns the helper's error.
 */
#define OUTPUT_PROG(name, send)						\
SEC("tracepoint/syscalls/sys_enter_getppid")				\
int name(void *ctx)							\
{									\
	struct event e = {};						\
	struct counters *c = ours(&e.seq);				\
	long err;							\
									\
	if (!c)								\
		return 0;						\
	e.tgid = c->tgid;						\
	err = send;							\
	if (err)							\
		dropped(c, err);					\
	return 0;							\
}

OUTPUT_PROG(perf_out, bpf_perf_event_output(ctx, &pb, BPF_F_CURRENT_CPU, &e, sizeof(e)))
OUTPUT_PROG(rb_out, bpf_ringbuf_output(&rb, &e, sizeof(e), c->rb_flags))

/*
 * This firing's ring buffer record, reserved and filled with {seq, tgid}, with its
 * counters in *cp and seq in *seq; 0 if the firing is not ours or (a drop counted) the
 * ring is full.
 */
static __always_inline struct event *reserved(struct counters **cp, __u64 *seq)
{
	struct counters *c = ours(seq);
	struct event *e;

	if (!c)
		return 0;
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e) {
		dropped(c, -1);
		return 0;
	}
	e->seq = *seq;
	e->tgid = c->tgid;
	*cp = c;
	return e;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int rb_reserve(void *ctx)
{
	struct counters *c;
	__u64 seq;
	struct event *e = reserved(&c, &seq);

	if (e)
		bpf_ringbuf_submit(e, c->rb_flags);
	return 0;
}

/* Odd sequence numbers are reserved and discarded: the reader must skip them. */
SEC("tracepoint/syscalls/sys_enter_getppid")
int rb_discard(void *ctx)
{
	struct counters *c;
	__u64 seq;
	struct event *e = reserved(&c, &seq);

	if (!e)
		return 0;
	if (seq & 1)
		bpf_ringbuf_discard(e, 0);
	else
		bpf_ringbuf_submit(e, 0);
	return 0;
}

/* bpf_ringbuf_query after an output: what the program sees of the ring, for the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} query SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int rb_query(void *ctx)
{
	struct event e_out = {};
	__u64 seq, *v;
	struct counters *c = ours(&seq);
	__u32 i;

	if (!c)
		return 0;
	e_out.seq = seq;
	bpf_ringbuf_output(&rb, &e_out, sizeof(e_out), 0);
	for (i = 0; i < 4; i++) {
		__u32 k = i;

		v = bpf_map_lookup_elem(&query, &k);
		if (v)
			*v = bpf_ringbuf_query(&rb, i);
	}
	return 0;
}

/*
 * Reserves and never submits. The kernel's verifier refuses this program ("Unreleased
 * reference"); the driver's checker has no reference tracking, so it accepts it and must
 * discard the record when the run ends, or the reader would stall on a BUSY header.
 */
SEC("tracepoint/syscalls/sys_enter_getppid")
int rb_leak(void *ctx)
{
	__u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&cnt, &zero);
	__u64 *e;

	if (!c || c->tgid != bpf_get_current_pid_tgid() >> 32)
		return 0;
	e = bpf_ringbuf_reserve(&rb, sizeof(struct event), 0);
	if (e)
		*e = 0xdead;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
