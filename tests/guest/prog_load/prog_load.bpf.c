// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_loop (helper 181) test programs, run with BPF_PROG_TEST_RUN by prog_load_test.c.
 * ctx (raw tracepoint args): nr_loops, flags, stop_at (the index whose callback returns
 * 1), inner (0: one loop; else each iteration runs a nested bpf_loop of `inner`).
 * The result goes to the `out` array: bpf_loop's return, what the callbacks summed
 * through callback_ctx (a pointer into this program's stack), and how often a map
 * lookup from inside a callback ran.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct result {
	__s64 ret;
	__u64 sum;
	__u64 calls;
	__u64 hits;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct result);
} out SEC(".maps");

struct loop_ctx {
	__u64 sum;
	__u64 calls;
	__u64 stop_at;
	__u64 inner;
};

static long add_index(__u32 index, void *data)
{
	struct loop_ctx *c = data;

	c->sum += index;
	c->calls++;
	return index == c->stop_at ? 1 : 0;
}

/* Helpers work from a callback frame: count the calls in the map too. */
static long inner_cb(__u32 index, void *data)
{
	struct loop_ctx *c = data;
	__u32 k = 0;
	struct result *r = bpf_map_lookup_elem(&out, &k);

	if (r)
		__sync_fetch_and_add(&r->hits, 1);
	c->sum += index;
	c->calls++;
	return 0;
}

static long outer_cb(__u32 index, void *data)
{
	struct loop_ctx *c = data;

	bpf_loop(c->inner, inner_cb, data, 0);
	return 0;
}

SEC("raw_tp")
int run_loop(__u64 *ctx)
{
	struct loop_ctx c = { .stop_at = ctx[2], .inner = ctx[3] };
	struct result *r;
	__u32 k = 0;
	long ret;

	if (c.inner)
		ret = bpf_loop(ctx[0], outer_cb, &c, ctx[1]);
	else
		ret = bpf_loop(ctx[0], add_index, &c, ctx[1]);
	r = bpf_map_lookup_elem(&out, &k);
	if (!r)
		return 0;
	r->ret = ret;
	r->sum = c.sum;
	r->calls = c.calls;
	return 1;
}

/* No callback context at all: bpf_loop(n, cb, NULL, 0). */
static long nothing(__u32 index, void *data)
{
	return 0;
}

SEC("raw_tp")
int run_null_ctx(__u64 *ctx)
{
	return bpf_loop(ctx[0], nothing, NULL, 0);
}

char LICENSE[] SEC("license") = "GPL";
