// SPDX-License-Identifier: GPL-2.0
/*
 * Objects for the bpftool test (tests/tests/guest_bpftool.rs): a raw tracepoint
 * program that counts into a hash and an array map, a prog array and a map of maps
 * (user-space lookups answer object ids). bpftool_test.c loads it and keeps it alive.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} bt_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} bt_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} bt_progs SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bt_inner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct inner);
} bt_outer SEC(".maps") = {
	.values = { &bt_inner },
};

SEC("raw_tp/sys_enter")
int bt_count(void *ctx)
{
	__u32 k = 0;
	__u64 one = 1, *v = bpf_map_lookup_elem(&bt_array, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	bpf_map_update_elem(&bt_hash, &k, &one, BPF_ANY);
	return 0;
}

/* Tail-call target kept in bt_progs; `bpftool prog run` runs it (retval 7). */
SEC("raw_tp/sys_exit")
int bt_seven(void *ctx)
{
	return 7;
}

char LICENSE[] SEC("license") = "GPL";
