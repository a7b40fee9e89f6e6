// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target over the portable engine: checker + interpreter, built with
 * ASAN/UBSAN (scripts/fuzz-engine.sh).  Input layout:
 *   byte 0: flags (bit 0: run even if the checker rejects - the engine claims
 *           memory safety without the checker; bits 1..2: ctx size class;
 *           bit 4: a socket filter's skb context instead, bits 5..7 its frame size)
 *   rest:   instructions, 8 bytes each.
 * The ctx, the map values and the helper-returned region are exact-size heap
 * blocks, so ASAN sees any byte the engine touches outside what it was given.
 * Helpers cover every argument kind the driver uses: map key/value, memory +
 * size, uninit memory, ctx, strings via ebpf_arg_room, 8-byte out-params,
 * returned regions (reserve/submit), tail calls and map handles returned by a
 * lookup in map 1 (map in map, ebpf_set_ret_map).  Every run is held against
 * the static kinds (ebpf_kinds(), checked before each instruction), and a checked
 * program the x86-64 compiler takes runs compiled too, with the same outcome.  With the skb context, the
 * frame is an exact-size block too (LD_ABS / LD_IND, skb_load_bytes(_relative)).
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include "ebpf_engine.h"
#include "ebpf_skb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t ebpf_host_kinds_error(char *buf, size_t size);

static char kinds_error[512];

#define VALUE_SIZE 24
#define KEY_SIZE 4

static u8 *values;	/* 4 array values */
static u8 *global;	/* direct value region (global data) */
static u8 *reserved;	/* region handed out by "reserve" */
static int reserved_live;
static struct ebpf_prog *self_prog;
static volatile u64 sink;

/* The inner map of map 1 (a map of maps): lookups in map 1 return it as a handle. */
static struct ebpf_map_ref inner_ref;

static u64 h_lookup(struct ebpf_run *run, u64 map, u64 key, u64 a3, u64 a4, u64 a5)
{
	u32 k = *(const u32 *)(uintptr_t)key;

	(void)a3; (void)a4; (void)a5;
	if (map == 0x2000 && k == 1) {
		ebpf_set_ret_map(run, &inner_ref);
		return (u64)(uintptr_t)inner_ref.map;
	}
	if (map == (u64)(uintptr_t)inner_ref.map)
		return k < 2 ? (u64)(uintptr_t)(values + 2 * VALUE_SIZE) : 0;
	return k < 4 ? (u64)(uintptr_t)(values + k * VALUE_SIZE) : 0;
}

/* bpf_for_each_map_elem's iterator: the elements h_lookup finds, by index. */
static bool iter_next(struct ebpf_run *run, void *map, u64 *cursor, u64 *key_buf, void **key,
		      void **value)
{
	u32 k = (u32)*cursor;

	(void)run;
	*key_buf = k;
	*key = key_buf;
	if (map == (void *)0x2000 && k == 1)
		*value = values + VALUE_SIZE; /* not the inner map handle h_lookup gives: memory */
	else
		*value = (void *)(uintptr_t)h_lookup(NULL, (u64)(uintptr_t)map, (u64)(uintptr_t)key_buf,
						     0, 0, 0);
	(*cursor)++;
	return *value != NULL;
}

static u64 h_for_each(struct ebpf_run *run, u64 map, u64 fn, u64 ctx, u64 flags, u64 a5)
{
	(void)a5;
	if (flags)
		return (u64)-22;
	return (u64)(s64)ebpf_map_elem_loop(run, map, fn, ctx, iter_next);
}

static u64 h_update(struct ebpf_run *run, u64 map, u64 key, u64 value, u64 flags, u64 a5)
{
	u32 k = *(const u32 *)(uintptr_t)key;

	(void)run; (void)map; (void)a5;
	if (k >= 4 || flags > 2)
		return (u64)-7;
	memcpy(values + k * VALUE_SIZE, (const void *)(uintptr_t)value, VALUE_SIZE);
	return 0;
}

static u64 h_sum(struct ebpf_run *run, u64 p, u64 n, u64 a3, u64 a4, u64 a5)
{
	const u8 *b = (const u8 *)(uintptr_t)p;
	u64 s = 0, i;

	(void)run; (void)a3; (void)a4; (void)a5;
	for (i = 0; b && i < n; i++)
		s += b[i];
	return s;
}

static u64 h_fill(struct ebpf_run *run, u64 p, u64 n, u64 a3, u64 a4, u64 a5)
{
	(void)run; (void)a3; (void)a4; (void)a5;
	if (n)	/* size 0 may come with a NULL pointer, as in Linux */
		memset((void *)(uintptr_t)p, 0xa5, n);
	return n;
}

static u64 h_strlen(struct ebpf_run *run, u64 p, u64 a2, u64 a3, u64 a4, u64 a5)
{
	u32 room = ebpf_arg_room(run, 1, p, false), i;
	const char *s = (const char *)(uintptr_t)p;

	(void)a2; (void)a3; (void)a4; (void)a5;
	for (i = 0; i < room; i++)
		if (!s[i])
			return i;
	return (u64)-22;
}

static u64 h_ctx_sum(struct ebpf_run *run, u64 ctx, u64 a2, u64 a3, u64 a4, u64 a5)
{
	(void)a2; (void)a3; (void)a4; (void)a5;
	return ebpf_arg_access_ok(run, 1, ctx, 1, false) ? *(const u8 *)(uintptr_t)ctx : 0;
}

/* skb_load_bytes / skb_load_bytes_relative: socket filters only, as in the driver */
static u64 h_skb_load(struct ebpf_run *run, u64 ctx, u64 off, u64 to, u64 len, u64 start)
{
	const struct ebpf_skb *skb = (const struct ebpf_skb *)(uintptr_t)ctx;

	if (run->prog->ctx_kind != EBPF_CTX_SKB)
		return (u64)-22;
	if (start == 99)
		return (u64)(s64)ebpf_skb_load_bytes(skb, (u32)off, (void *)(uintptr_t)to, (u32)len);
	return (u64)(s64)ebpf_skb_load_bytes_relative(skb, (u32)off, (void *)(uintptr_t)to, (u32)len,
						      (u32)start);
}

static u64 h_out8(struct ebpf_run *run, u64 p, u64 a2, u64 a3, u64 a4, u64 a5)
{
	(void)run; (void)a2; (void)a3; (void)a4; (void)a5;
	*(u64 *)(uintptr_t)p = 0x1122334455667788ull;
	return 0;
}

static u64 h_reserve(struct ebpf_run *run, u64 size, u64 a2, u64 a3, u64 a4, u64 a5)
{
	(void)a2; (void)a3; (void)a4; (void)a5;
	if (reserved_live || size == 0 || size > 64)
		return 0;
	reserved_live = 1;
	ebpf_set_ret_region(run, reserved, (u32)size, true);
	return (u64)(uintptr_t)reserved;
}

static u64 h_submit(struct ebpf_run *run, u64 p, u64 a2, u64 a3, u64 a4, u64 a5)
{
	(void)a2; (void)a3; (void)a4; (void)a5;
	if (p == (u64)(uintptr_t)reserved && reserved_live) {
		sink += reserved[0];
		reserved_live = 0;
		ebpf_invalidate_region(run, reserved);
	}
	return 0;
}

static u64 h_tail(struct ebpf_run *run, u64 ctx, u64 map, u64 idx, u64 a4, u64 a5)
{
	(void)ctx; (void)map; (void)a4; (void)a5;
	if (idx != 0)
		return (u64)-2;
	return (u64)(s64)ebpf_tail_call(run, self_prog);
}

static struct ebpf_helper helpers[182];

static void init_once(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	helpers[1] = (struct ebpf_helper){ "map_lookup_elem", h_lookup, EBPF_RET_MAP_VALUE_OR_NULL,
		{ EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_PTR_TO_MAP_KEY } };
	helpers[2] = (struct ebpf_helper){ "map_update_elem", h_update, EBPF_RET_INTEGER,
		{ EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_PTR_TO_MAP_KEY, EBPF_ARG_PTR_TO_MAP_VALUE, EBPF_ARG_ANYTHING } };
	helpers[4] = (struct ebpf_helper){ "fill", h_fill, EBPF_RET_INTEGER,
		{ EBPF_ARG_PTR_TO_UNINIT_MEM, EBPF_ARG_CONST_SIZE_OR_ZERO } };
	helpers[6] = (struct ebpf_helper){ "strlen", h_strlen, EBPF_RET_INTEGER, { EBPF_ARG_ANYTHING } };
	helpers[7] = (struct ebpf_helper){ "sum", h_sum, EBPF_RET_INTEGER,
		{ EBPF_ARG_PTR_TO_MEM, EBPF_ARG_CONST_SIZE } };
	helpers[8] = (struct ebpf_helper){ "sum_or_null", h_sum, EBPF_RET_INTEGER,
		{ EBPF_ARG_PTR_TO_MEM_OR_NULL, EBPF_ARG_CONST_SIZE_OR_ZERO } };
	helpers[9] = (struct ebpf_helper){ "ctx_sum", h_ctx_sum, EBPF_RET_INTEGER, { EBPF_ARG_PTR_TO_CTX } };
	helpers[10] = (struct ebpf_helper){ "out8", h_out8, EBPF_RET_INTEGER,
		{ EBPF_ARG_PTR_TO_STACK_OR_MAP_VALUE_WRITABLE_8 } };
	helpers[26] = (struct ebpf_helper){ "skb_load_bytes", h_skb_load, EBPF_RET_INTEGER,
		{ EBPF_ARG_PTR_TO_CTX, EBPF_ARG_ANYTHING, EBPF_ARG_PTR_TO_UNINIT_MEM, EBPF_ARG_CONST_SIZE,
		  EBPF_ARG_ANYTHING } };
	helpers[12] = (struct ebpf_helper){ "tail_call", h_tail, EBPF_RET_INTEGER,
		{ EBPF_ARG_PTR_TO_CTX, EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_ANYTHING } };
	helpers[131] = (struct ebpf_helper){ .name = "reserve", .fn = h_reserve, .ret = EBPF_RET_MEM_OR_NULL,
		.args = { EBPF_ARG_ANYTHING }, .ret_size_arg = 1 };
	helpers[132] = (struct ebpf_helper){ "submit", h_submit, EBPF_RET_VOID, { EBPF_ARG_PTR_TO_ALLOC_MEM } };
	helpers[164] = (struct ebpf_helper){ "for_each_map_elem", h_for_each, EBPF_RET_INTEGER,
		{ EBPF_ARG_CONST_MAP_PTR, EBPF_ARG_PTR_TO_FUNC, EBPF_ARG_PTR_TO_STACK_OR_NULL, EBPF_ARG_ANYTHING } };
	helpers[181] = (struct ebpf_helper){ "loop", ebpf_helper_loop, EBPF_RET_INTEGER,
		{ EBPF_ARG_ANYTHING, EBPF_ARG_PTR_TO_FUNC, EBPF_ARG_PTR_TO_STACK_OR_NULL, EBPF_ARG_ANYTHING } };
}

/* What helpers and programs change besides the context: map values, global data, the record. */
struct fuzz_memory {
	u8 values[4 * VALUE_SIZE], global[16], reserved[64];
	int reserved_live;
};

static void memory_save(struct fuzz_memory *m)
{
	memcpy(m->values, values, sizeof(m->values));
	memcpy(m->global, global, sizeof(m->global));
	memcpy(m->reserved, reserved, sizeof(m->reserved));
	m->reserved_live = reserved_live;
}

static void memory_restore(const struct fuzz_memory *m)
{
	memcpy(values, m->values, sizeof(m->values));
	memcpy(global, m->global, sizeof(m->global));
	memcpy(reserved, m->reserved, sizeof(m->reserved));
	reserved_live = m->reserved_live;
}

/*
 * A checked program the x86-64 compiler takes (ebpf_jit_x86.c), run by the interpreter
 * and compiled, each on the memory as it was before (@ctx_before and the rest as the
 * first run left it), both with pointer leaks allowed (the compiler leaves the other
 * programs to the interpreter): the same r0, error and memory afterwards, where the
 * interpreter's run ends within its budget (the compiled code pays a loop's length at
 * each back edge, which may be more than a turn's instructions; it gets more).
 */
static void jit_differential(const struct ebpf_prog *checked, u8 *ctx, const u8 *ctx_before)
{
	struct ebpf_prog prog = *checked;
	u32 ctx_size = prog.ctx_size;
	u8 *ctx_after = ctx_size ? malloc(ctx_size) : NULL;
	static struct fuzz_memory before, interpreted, native;
	struct ebpf_scratch *scratch = NULL;
	struct ebpf_kregs *k = NULL;
	struct ebpf_run run;
	void *code = MAP_FAILED;
	int size;
	u64 r0, jr0;
	int error;
	u32 error_pc;

	prog.allow_ptr_leaks = true;
	if (ebpf_kinds(&prog, &k))
		goto out;
	size = ebpf_jit_x86(&prog, k, NULL, 0, NULL);
	if (size <= 0)
		goto out;
	code = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED || ebpf_jit_x86(&prog, k, code, size, NULL) != size ||
	    mprotect(code, size, PROT_READ | PROT_EXEC))
		abort();
	/* the interpreter's run */
	memory_save(&before);
	scratch = malloc(sizeof(*scratch));
	if (ctx_size)
		memcpy(ctx, ctx_before, ctx_size);
	memset(&run, 0, sizeof(run));
	run.prog = &prog;
	run.budget = 20000;
	r0 = ebpf_run_prog(&run, scratch, ctx, ctx_size);
	if (run.error == -E2BIG)
		goto out;
	error = run.error;
	error_pc = run.error_pc;
	if (ctx_size)
		memcpy(ctx_after, ctx, ctx_size);
	memory_save(&interpreted);
	/* the compiled run */
	memory_restore(&before);
	if (ctx_size)
		memcpy(ctx, ctx_before, ctx_size);
	memset(&run, 0, sizeof(run));
	run.prog = &prog;
	run.budget = 1000000;
	jr0 = ebpf_jit_run(&run, scratch, (ebpf_jit_fn)code, ctx, ctx_size);
	memory_save(&native);
	if (run.error != error || jr0 != r0 || (error && run.error_pc != error_pc) ||
	    (ctx_size && memcmp(ctx, ctx_after, ctx_size)) || memcmp(&native, &interpreted, sizeof(native))) {
		fprintf(stderr, "compiled code disagrees: r0 %llx / %llx, error %d / %d at %u / %u\n",
			(unsigned long long)jr0, (unsigned long long)r0, run.error, error,
			run.error_pc, error_pc);
		abort();
	}
out:
	if (code != MAP_FAILED)
		munmap(code, size);
	free(scratch);
	free(k);
	free(ctx_after);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const u32 ctx_sizes[4] = { 0, 8, 64, 513 };
	struct ebpf_map_ref maps[2];
	struct ebpf_prog prog;
	struct ebpf_log log;
	struct ebpf_run run;
	struct ebpf_scratch *scratch;
	struct ebpf_insn *insns;
	char logbuf[256];
	u8 *ctx = NULL, *frame = NULL;
	u32 n, ctx_size;
	int rc;

	init_once();
	if (size < 9)
		return 0;
	n = (u32)((size - 1) / 8);
	if (n > 4096)
		return 0;
	/* Exact-size copies: the interpreter reading past the last insn is caught. */
	insns = malloc(n * sizeof(*insns));
	memcpy(insns, data + 1, n * sizeof(*insns));
	ctx_size = ctx_sizes[(data[0] >> 1) & 3];
	if (data[0] & 0x10) {
		static const struct ebpf_skb_dev lo = { 1, { 0 }, { 0 } };
		u32 frame_len = EBPF_ETH_HLEN + (data[0] >> 5) * 9;

		frame = malloc(frame_len);
		memset(frame, 0xa5, frame_len);
		ctx_size = sizeof(struct ebpf_skb);
		ctx = malloc(ctx_size);
		ebpf_skb_init((struct ebpf_skb *)ctx, frame, frame_len, &lo, NULL);
	} else if (ctx_size) {
		ctx = malloc(ctx_size);
		memset(ctx, 0x5a, ctx_size);
	}
	values = calloc(4, VALUE_SIZE);
	global = calloc(1, 16);
	reserved = calloc(1, 64);
	reserved_live = 0;

	memset(&inner_ref, 0, sizeof(inner_ref));
	inner_ref.map = (void *)0x3000;
	inner_ref.key_size = KEY_SIZE;
	inner_ref.value_size = 16; /* a smaller value than the outer maps' */
	memset(maps, 0, sizeof(maps));
	maps[0].map = (void *)0x1000;
	maps[0].key_size = KEY_SIZE;
	maps[0].value_size = VALUE_SIZE;
	maps[0].value_base = global;
	maps[0].value_region_size = 16;
	maps[1] = maps[0];
	maps[1].map = (void *)0x2000;
	maps[1].value_readonly = true;
	maps[1].value_const = true;	/* the checker reads its bytes as constants */
	maps[1].values_are_maps = true;	/* key 1 hands out the inner map */

	memset(&prog, 0, sizeof(prog));
	prog.insns = insns;
	prog.len = n;
	prog.maps = maps;
	prog.nr_maps = 2;
	prog.helpers = helpers;
	prog.nr_helpers = sizeof(helpers) / sizeof(helpers[0]);
	prog.ctx_size = ctx_size;
	prog.ctx_writable = data[0] & 8;
	prog.ctx_kind = data[0] & 0x10 ? EBPF_CTX_SKB : EBPF_CTX_PLAIN;
	prog.allow_ptr_leaks = data[0] & 0x20;
	self_prog = &prog;

	memset(&log, 0, sizeof(log));
	log.buf = logbuf;
	log.size = sizeof(logbuf);
	log.level = 1;
	rc = ebpf_check(&prog, &log);
	if (log.len >= log.size || logbuf[log.len] != 0)
		abort();
	if (rc == 0 || (data[0] & 1)) {
		u8 *ctx_before = ctx_size ? malloc(ctx_size) : NULL;

		if (ctx_size && !(data[0] & 0x10))
			memcpy(ctx_before, ctx, ctx_size);
		scratch = malloc(sizeof(*scratch));
		memset(&run, 0, sizeof(run));
		run.prog = &prog;
		run.budget = 20000;
		sink += ebpf_run_prog(&run, scratch, ctx, ctx_size);
		if (run.budget > 20000)
			abort();
		if (rc == 0 && !(data[0] & 0x10))
			jit_differential(&prog, ctx, ctx_before);
		free(ctx_before);
		/* the static kinds held on every instruction (tests/host/kinds_oracle.c) */
		if (ebpf_host_kinds_error(kinds_error, sizeof(kinds_error))) {
			fprintf(stderr, "static kinds disagree: %s\n", kinds_error);
			abort();
		}
		free(scratch);
	}
	free(insns);
	free(ctx);
	free(frame);
	free(values);
	free(global);
	free(reserved);
	return 0;
}
