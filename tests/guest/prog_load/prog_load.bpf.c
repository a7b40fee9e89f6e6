// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_loop (helper 181) test programs, run with BPF_PROG_TEST_RUN by prog_load_test.c.
 * ctx (raw tracepoint args): nr_loops, flags, stop_at (the index whose callback returns
 * 1), inner (0: one loop; else each iteration runs a nested bpf_loop of `inner`).
 * The result goes to the `out` array: bpf_loop's return, what the callbacks summed
 * through callback_ctx (a pointer into this program's stack), and how often a map
 * lookup from inside a callback ran.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

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

/*
 * bpf_for_each_map_elem (164) over a hash, an array and a per-CPU array (u32 -> u64).
 * ctx: (unused), stop_at (key whose callback returns 1),
 * mode (0 sum, 1 also bump each value, 2 also delete each element, 3 stop at the first),
 * flags. The result goes to `out`: ret, sum of values, calls, sum of keys (in hits).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

struct each_ctx {
	__u64 sum, calls, keys, stop_at, mode;
};

static long visit(void *map, __u32 *key, __u64 *val, struct each_ctx *c)
{
	c->sum += *val;
	c->keys += *key;
	c->calls++;
	if (c->mode == 1)
		*val += 1;
	if (c->mode == 2)
		bpf_map_delete_elem(map, key);
	return c->mode == 3 || *key == c->stop_at ? 1 : 0;
}

static __always_inline int save_each(struct each_ctx *c, long ret)
{
	struct result *r;
	__u32 k = 0;

	r = bpf_map_lookup_elem(&out, &k);
	if (!r)
		return 0;
	r->ret = ret;
	r->sum = c->sum;
	r->calls = c->calls;
	r->hits = c->keys;
	return 1;
}

/* One program per map: 6.1's verifier wants one map per bpf_for_each_map_elem call site. */
#define FOR_EACH_PROG(name_, map_)								\
SEC("raw_tp")											\
int name_(__u64 *ctx)										\
{												\
	struct each_ctx c = { .stop_at = ctx[1], .mode = ctx[2] };				\
												\
	return save_each(&c, bpf_for_each_map_elem(&map_, visit, &c, ctx[3]));			\
}

FOR_EACH_PROG(each_hash, hash)
FOR_EACH_PROG(each_arr, arr)
FOR_EACH_PROG(each_pcpu, pcpu)

/*
 * A libbpf-tools option (runqlat's targ_per_pidns): a "const volatile" global in .rodata,
 * set by the loader before load, guarding a CO-RE read of a field this kernel lacks.
 * libbpf poisons that read into "call 0xbad2310"; the verifier reads the frozen
 * .rodata as a constant, so with the option off the call is dead and the program loads.
 */
const volatile bool use_missing_field = false;

struct task_struct___bpfcompat {
	int bpfcompat_no_such_field;
} __attribute__((preserve_access_index));

SEC("raw_tp")
int rodata_guard(__u64 *ctx)
{
	struct task_struct___bpfcompat *t = (void *)bpf_get_current_task();

	if (use_missing_field)
		return BPF_CORE_READ(t, bpfcompat_no_such_field);
	return 42;
}

char LICENSE[] SEC("license") = "GPL";
