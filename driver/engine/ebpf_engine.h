/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ebpf_engine.h - portable eBPF execution engine and load-time checker.
 *
 * Kernel independent: builds in the Linux kernel (3.10+, gnu89) and on the
 * host (tests).  The engine is memory safe for ANY bytecode on its own: every
 * register and every 8-byte stack slot carries a run-time tag (scalar, or a
 * pointer into a region {base, size, writable}); every load, store, atomic and
 * helper argument is checked against that tag.  ebpf_check() adds structural
 * validation and kernel-style rejection messages at load time; ebpf_run_prog()
 * must only be given programs that passed ebpf_check() (it re-checks what
 * memory safety depends on anyway: pc bounds, opcodes, map and helper indexes).
 */
#ifndef EBPF_ENGINE_H
#define EBPF_ENGINE_H

#include "ebpf_env.h"

struct ebpf_insn {
	u8 code;
	u8 regs;	/* dst = regs & 0xf, src = regs >> 4 (Linux, little-endian layout) */
	s16 off;
	s32 imm;
};

#define EBPF_INSN_DST(i)	((i)->regs & 0xf)
#define EBPF_INSN_SRC(i)	((i)->regs >> 4)

enum ebpf_ptr_kind {
	EBPF_SCALAR = 0,
	EBPF_PTR_STACK,
	EBPF_PTR_CTX,
	EBPF_PTR_MAP_VALUE,
	EBPF_PTR_MAP,		/* map handle: not dereferenceable */
	EBPF_PTR_MEM,		/* memory handed out by a helper (ebpf_set_ret_region) */
	/* callback (ld_imm64 BPF_PSEUDO_FUNC): base = its first insn; not dereferenceable */
	EBPF_PTR_FUNC,
	/*
	 * the socket a socket filter's skb->sk gave (struct ebpf_bpf_sock): read-only, with
	 * Linux's bpf_sock rules
	 */
	EBPF_PTR_SOCK,
	/*
	 * into a region a helper released (ring buffer record submitted), for a program
	 * without allow_ptr_leaks: neither dereferenceable nor a number
	 */
	EBPF_PTR_RELEASED,
};

/*
 * What r1 points to.  PLAIN: ctx_size bytes, writable if ctx_writable.  SKB: a
 * struct ebpf_skb (ebpf_skb.h; ctx_size and ctx_writable are ignored): the program
 * reaches its __sk_buff under a socket filter's access rules (checked at every access
 * and, where the checker can follow the context pointer, at load as Linux does), never
 * passes it as memory to a helper, reads skb->sk as a socket pointer (EBPF_PTR_SOCK), and
 * BPF_LD_ABS / BPF_LD_IND read the packet.  A tail call stays within one kind.
 * The checker and the interpreter know a kind only by its struct ebpf_ctx_ops.
 */
enum ebpf_ctx_kind {
	EBPF_CTX_PLAIN = 0,
	EBPF_CTX_SKB,
};

struct ebpf_tag;

/*
 * A context with access rules of its own (Linux's bpf_verifier_ops: is_valid_access,
 * the loads convert_ctx_access rewrites, LD_ABS): what the checker and the interpreter
 * ask instead of knowing the program type.  A plain context has none.
 */
struct ebpf_ctx_ops {
	/* The bytes r1 reaches (what follows them in the context stays out of reach). */
	u32 size;
	/*
	 * May the program access [off, off + size) of it?  Asked at every access, and at
	 * load where the checker can follow the context pointer.
	 */
	bool (*access_ok)(u32 off, u32 size, bool write);
	/* Such a read: the value, and in *dt (a scalar on entry) a pointer it hands out. */
	u64 (*read)(const void *ctx, u32 off, u32 size, struct ebpf_tag *dt);
	/* The socket it hands out (EBPF_PTR_SOCK): the same two. */
	bool (*sock_access_ok)(u32 off, u32 size, bool write);
	u64 (*sock_read)(const void *sock, u32 off, u32 size);
	/*
	 * BPF_LD_ABS / BPF_LD_IND of @size bytes at @off: 0 and *val, or nonzero when
	 * the load is outside the packet.  NULL: the program type has no such loads.
	 */
	int (*ld_abs)(const void *ctx, s32 off, u32 size, u64 *val);
};

/* A socket filter's (ebpf_skb.c). */
extern const struct ebpf_ctx_ops ebpf_skb_ctx_ops;

/* One map a program references, filled by the loader. */
struct ebpf_map_ref {
	void *map;		/* opaque; given to helpers as the raw u64 of a map-pointer register */
	u32 key_size, value_size;
	u8 *value_base;		/* BPF_PSEUDO_MAP_VALUE target (array-like maps), NULL if none */
	u32 value_region_size;	/* bytes addressable from value_base */
	bool value_readonly;	/* program may not write through value pointers of this map */
	/*
	 * The bytes at value_base never change while the program exists (map frozen and
	 * BPF_F_RDONLY_PROG, libbpf's .rodata): the checker reads them as constants, as
	 * Linux's bpf_map_direct_read, to prune branches they decide.
	 */
	bool value_const;
	/* Program may not read through value pointers of this map (BPF_F_WRONLY_PROG). */
	bool value_writeonly;
	/*
	 * A lookup hands out a map, not memory (array and hash of maps): its helper tags
	 * r0 with ebpf_set_ret_map. The engine refuses a map handle from any other map.
	 */
	bool values_are_maps;
};

enum ebpf_arg_kind {
	EBPF_ARG_NONE = 0,
	EBPF_ARG_ANYTHING,
	EBPF_ARG_CONST_MAP_PTR,
	EBPF_ARG_PTR_TO_MAP_KEY,		/* readable key_size bytes (map: earlier CONST_MAP_PTR arg) */
	EBPF_ARG_PTR_TO_MAP_VALUE,		/* readable value_size bytes */
	EBPF_ARG_PTR_TO_MEM,			/* readable, size in next arg */
	EBPF_ARG_PTR_TO_MEM_OR_NULL,		/* same, or NULL (helper must handle NULL) */
	EBPF_ARG_PTR_TO_UNINIT_MEM,		/* writable, size in next arg */
	EBPF_ARG_CONST_SIZE,			/* > 0 */
	EBPF_ARG_CONST_SIZE_OR_ZERO,
	EBPF_ARG_PTR_TO_CTX,			/* the unmodified ctx pointer */
	EBPF_ARG_PTR_TO_STACK_OR_MAP_VALUE_WRITABLE_8,	/* e.g. a u64 out-param */
	/*
	 * the unmodified pointer a helper returned with ebpf_set_ret_region, still valid
	 * (ring buffer submit/discard); the helper must still check it is one it handed out
	 */
	EBPF_ARG_PTR_TO_ALLOC_MEM,
	EBPF_ARG_PTR_TO_FUNC,			/* the unmodified value of an ld_imm64 BPF_PSEUDO_FUNC */
	EBPF_ARG_PTR_TO_STACK_OR_NULL		/* a stack pointer, or NULL (callback context) */
};

/*
 * What a helper's r0 is. Only MEM_OR_NULL and MAP_VALUE_OR_NULL helpers may tag it
 * (ebpf_set_ret_region, ebpf_set_ret_map): the engine aborts a run where another does,
 * so that ebpf_kinds() can tell a number from a pointer by the table alone.
 */
enum ebpf_ret_kind {
	EBPF_RET_INTEGER = 0,
	EBPF_RET_VOID,
	EBPF_RET_MAP_VALUE_OR_NULL,	/* value_size of the map in arg1 */
	/* writable memory the helper describes with ebpf_set_ret_region */
	EBPF_RET_MEM_OR_NULL
};

struct ebpf_run;
typedef u64 (*ebpf_helper_fn)(struct ebpf_run *run, u64 r1, u64 r2, u64 r3, u64 r4, u64 r5);

struct ebpf_helper {
	const char *name;
	ebpf_helper_fn fn;
	u8 ret;			/* enum ebpf_ret_kind */
	u8 args[5];		/* enum ebpf_arg_kind */
	/*
	 * Changes the map its CONST_MAP_PTR argument names (update, delete, push, pop):
	 * refused at load on a value_readonly map, as Linux's record_func_map does.
	 */
	bool map_write;
	/*
	 * EBPF_RET_MEM_OR_NULL: the argument (1..5) that is the returned memory's size, 0 if
	 * none is. The engine aborts a run where the helper hands out another size.
	 */
	u8 ret_size_arg;
	/*
	 * bpf_snprintf's format check (Linux's ARG_PTR_TO_CONST_STR fmt in r3, a u64 array
	 * of r5 bytes): where the checker sees r3 is a string in a map value that never
	 * changes and r5 a constant, it calls this at load with the string (@room bytes to
	 * the value's end) and r5; nonzero refuses the program with that error, as Linux's
	 * check_bpf_snprintf_call. NULL: no load-time check.
	 */
	int (*check_fmt)(const char *fmt, u32 room, u64 data_len);
};

struct ebpf_prog {
	const struct ebpf_insn *insns;
	u32 len;
	const struct ebpf_map_ref *maps;
	u32 nr_maps;
	const struct ebpf_helper *helpers;	/* indexed by helper id; fn == NULL = not available */
	u32 nr_helpers;
	u32 ctx_size;
	bool ctx_writable;
	u8 ctx_kind;		/* enum ebpf_ctx_kind */
	/*
	 * Set for BTF-typed tracing programs (fentry/fexit/tp_btf): a load (LDX only, never
	 * a store or an atomic) through a value that is not a pointer the engine tagged
	 * (e.g. a kernel pointer read out of ctx) copies @size bytes from @src with this
	 * fault-tolerant reader; the load yields 0 when it returns nonzero. This is Linux's
	 * PROBE_MEM for PTR_TO_BTF_ID loads. NULL: such loads abort the run (-EFAULT).
	 */
	long (*probe_read)(void *dst, u64 src, u32 size);
	/*
	 * Linux's allow_ptr_leaks (the loader had CAP_PERFMON): false means the program may
	 * not turn a pointer into bits user space can see. Linux's verifier refuses such a
	 * program at load; this engine aborts the run that tries it (-EACCES) before the
	 * bits are stored, passed or returned: see ptr_leak() in ebpf_interp.c.
	 */
	bool allow_ptr_leaks;
};

/*
 * Does the helper take memory another handed out (ring buffer submit / discard)? Only
 * such a helper may release it (ebpf_invalidate_region).
 */
static inline bool ebpf_helper_releases_mem(const struct ebpf_helper *h)
{
	int i;

	for (i = 0; i < 5; i++)
		if (h->args[i] == EBPF_ARG_PTR_TO_ALLOC_MEM)
			return true;
	return false;
}

/*
 * May a helper write through an argument of @kind on its own, with ebpf_arg_access_ok()
 * (an out-buffer the table cannot size: map_pop_elem's value, bpf_snprintf's str, a
 * number that may point anywhere)? The engine writes UNINIT_MEM and WRITABLE_8
 * arguments' stack itself, and refuses such writes through any other kind, so that
 * ebpf_kinds() knows which stack slots a call may change.
 */
static inline bool ebpf_arg_helper_writes(u8 kind)
{
	return kind == EBPF_ARG_ANYTHING || kind == EBPF_ARG_PTR_TO_MAP_VALUE ||
	       kind == EBPF_ARG_PTR_TO_MEM_OR_NULL;
}

/* The rules of @prog's context; NULL: a plain one. The one place a kind is named. */
static inline const struct ebpf_ctx_ops *ebpf_ctx_ops(const struct ebpf_prog *prog)
{
	return prog->ctx_kind == EBPF_CTX_SKB ? &ebpf_skb_ctx_ops : NULL;
}

/* Kernel-style verifier log: always NUL-terminated, truncated safely. */
struct ebpf_log {
	char *buf;
	u32 size;
	u32 len;
	u32 level;		/* 0: no output (like Linux) */
};

#define EBPF_MAX_INSNS		1000000
#define EBPF_MAX_SUBPROGS	256
#define EBPF_STACK_SIZE		512
#define EBPF_MAX_CALL_DEPTH	8	/* frames, main program included (Linux MAX_CALL_FRAMES) */
#define EBPF_DEFAULT_BUDGET	1000000	/* instructions per run when run->budget == 0 */
#define EBPF_TIME_SLICE		4096	/* budget units between two run->over_time questions */
#define EBPF_MAX_VAR_SIZE	(1U << 29)	/* Linux BPF_MAX_VAR_SIZ: helper memory sizes are below */
#define EBPF_MAX_TAIL_CALLS	33	/* Linux MAX_TAIL_CALL_CNT */
#define EBPF_NR_REGS		11

/*
 * Structural validation at load time.  Returns 0, -EINVAL (log explains,
 * in the kernel verifier's words), -E2BIG (len 0 or > EBPF_MAX_INSNS, call
 * stack deeper than EBPF_MAX_CALL_DEPTH, more than EBPF_MAX_SUBPROGS),
 * -EACCES (PSEUDO_MAP_VALUE offset outside the value, as Linux) or -ENOMEM.
 * Process context (allocates working memory with vzalloc).
 */
int ebpf_check(const struct ebpf_prog *prog, struct ebpf_log *log);

/*
 * Append to the load log, kernel-verifier style: nothing at level 0 or without a
 * buffer; output past the end is cut, the log stays NUL-terminated.
 */
void EBPF_PRINTF(2, 3) ebpf_logf(struct ebpf_log *log, const char *fmt, ...);

/* Run-time tag of a register or a stack slot. */
struct ebpf_tag {
	/* region start (PTR_MAP: the map pointer, or for EBPF_MAP_DYNAMIC its ebpf_map_ref) */
	u64 base;
	/* region size (PTR_MAP: index into prog->maps, or EBPF_MAP_DYNAMIC: a map a helper returned) */
	u32 size;
	u8 kind;		/* enum ebpf_ptr_kind */
	u8 writable;
	u16 pad;
};

struct ebpf_run;

/*
 * The element iterator of a map, for bpf_for_each_map_elem: called before each
 * callback with the cursor it last left (0 at first); sets *key and *value to the next
 * element and returns true, or returns false when there is none.  key may point to
 * *key_buf (8 bytes the engine keeps for the callback, e.g. an array index); key and
 * value must stay valid memory until the run ends.  Work that grows with the map
 * rather than with the elements found (empty buckets skipped) is paid with
 * ebpf_charge(@run): false with run->error set when the budget cannot pay.
 */
typedef bool (*ebpf_map_iter_fn)(struct ebpf_run *run, void *map, u64 *cursor, u64 *key_buf,
				 void **key, void **value);

enum ebpf_loop_kind {
	EBPF_LOOP_NONE = 0,	/* the frame made a plain bpf-to-bpf call */
	EBPF_LOOP_COUNT,	/* bpf_loop: callback(index, ctx) */
	EBPF_LOOP_MAP,		/* bpf_for_each_map_elem: callback(map, key, value, ctx) */
};

/*
 * A callback helper in progress in the frame that called it: the callback runs in the
 * next frame, and its exit either calls it again or returns to the caller.
 */
struct ebpf_loop_state {
	u32 kind;		/* enum ebpf_loop_kind */
	u32 nr;			/* COUNT: iterations asked for */
	u32 idx;		/* calls made before the running one */
	u32 fn;			/* callback's first insn */
	u64 ctx;		/* callback_ctx */
	struct ebpf_tag ctx_tag;
	/* MAP: the map (its handle's tag and description), iterator, current element */
	struct ebpf_tag map_tag;
	const struct ebpf_map_ref *map;
	ebpf_map_iter_fn next;
	u64 cursor;
	u64 key_buf;
	void *key, *value;
};

struct ebpf_frame_save {
	u64 regs[4];		/* caller's r6..r9 */
	struct ebpf_tag tags[4];
	u32 ret_pc;
	u32 pad;
	struct ebpf_loop_state loop;
};

/*
 * Per-invocation working memory: stack bytes of all frames and their shadow
 * tags.  Caller allocates sizeof(struct ebpf_scratch) (about 13 KiB), one per
 * CPU, and must not let two runs share one at the same time.
 */
struct ebpf_scratch {
	u64 stack[EBPF_MAX_CALL_DEPTH][EBPF_STACK_SIZE / 8];
	u64 slot_mask[EBPF_MAX_CALL_DEPTH];	/* bit set: slot holds a spilled pointer */
	struct ebpf_tag slot_tag[EBPF_MAX_CALL_DEPTH * (EBPF_STACK_SIZE / 8)];
	struct ebpf_tag tags[16];		/* register tags (11..15 unused) */
	struct ebpf_frame_save frames[EBPF_MAX_CALL_DEPTH];
};

/*
 * One invocation.  The caller fills prog, env and budget; ebpf_run_prog()
 * initialises everything else.  Helpers receive it.
 */
struct ebpf_run {
	const struct ebpf_prog *prog;	/* program running now (updated by tail calls) */
	void *env;			/* caller's context for helpers */
	u64 budget;			/* in: instructions allowed (0 = EBPF_DEFAULT_BUDGET);
					 * in a helper and out: instructions left (helpers
					 * pay with ebpf_charge); exhausted: error -E2BIG
					 */
	/*
	 * 0, or -errno why the run was aborted: -EFAULT bad memory access / bad helper
	 * pointer arg, -EINVAL bad insn / bad helper arg, -E2BIG budget, -ELOOP call depth;
	 * a helper may set it to abort
	 */
	int error;
	u32 error_pc;			/* insn index of the abort (in prog) */
	/*
	 * in, optional: asked after every EBPF_TIME_SLICE units of the budget (never for a
	 * shorter run); true ends the run with -E2BIG, as an exhausted budget does.  The
	 * budget bounds units of work, not what one costs: a wall-clock limit for callers
	 * whose helpers may cost far more than an instruction per unit.
	 */
	bool (*over_time)(struct ebpf_run *run);
	bool out_of_time;		/* out: over_time ended the run, not the budget */
	/* engine private */
	struct ebpf_scratch *scratch;
	u64 budget_rest;		/* budget beyond the current slice */
	u64 ctx;
	u32 frame;			/* current call depth, 0 = main */
	u32 tail_calls;
	const struct ebpf_prog *tail_prog;
	struct ebpf_tag ret_tag;
	bool ret_tag_set;
	bool released;			/* the helper running called ebpf_invalidate_region */
	struct ebpf_loop_state loop;	/* set by ebpf_helper_loop(), started after it returns */
	/* native code's (ebpf_jit.h): the helper call it makes */
	const void *jit_call;
	const struct ebpf_helper *helper;	/* the helper running: what it may write */
};

/*
 * Run: r1 = ctx (tagged CTX over ctx_size bytes, writable if
 * prog->ctx_writable), r2 = scalar, r10 = top of a zeroed 512-byte stack.
 * Returns r0, or 0 with run->error set on abort.
 */
u64 ebpf_run_prog(struct ebpf_run *run, struct ebpf_scratch *scratch, void *ctx, u64 r2);

/*
 * For helpers.  Argument validation by ebpf_arg_kind already happened before
 * the call, so helpers can just use those pointers.  For other arguments:
 * true if [addr, addr+size) lies inside the region that argument register
 * argno (1..5) points into, and is writable if write is set (and the argument's
 * kind is one a helper may write through: ebpf_arg_helper_writes).
 */
bool ebpf_arg_access_ok(struct ebpf_run *run, u32 argno, u64 addr, u64 size, bool write);

/*
 * For helpers doing work that grows with an argument (bytes copied or scanned): take
 * @units from the run's instruction budget before doing it.  False when the budget
 * cannot pay: the run is then aborted with -E2BIG, as a runaway loop is, and the
 * helper must return at once without doing the work.
 */
bool ebpf_charge(struct ebpf_run *run, u64 units);

/*
 * For helpers taking a C string or other memory of unknown length (e.g. a
 * format string typed EBPF_ARG_ANYTHING): number of bytes from addr to the
 * end of the region argument register argno points into (0 if addr is not
 * inside a readable, or writable if write is set, region).  Before writing,
 * call ebpf_arg_access_ok(..., write = true) for the range actually written.
 */
u32 ebpf_arg_room(struct ebpf_run *run, u32 argno, u64 addr, bool write);

/*
 * For helpers returning memory (e.g. a reserved ring buffer record): call
 * before returning; if the helper's return value is not 0, r0 is tagged
 * EBPF_PTR_MEM over [base, base+size).
 */
void ebpf_set_ret_region(struct ebpf_run *run, void *base, u32 size, bool writable);

/*
 * For helpers returning a map handle (lookup in an array/hash of maps): if the
 * helper's return value is not 0 (it must be ref->map), r0 is tagged as a map
 * pointer described by ref, usable as a CONST_MAP_PTR argument. ref must stay
 * valid until the run ends.
 */
#define EBPF_MAP_DYNAMIC	0xffffffffu
void ebpf_set_ret_map(struct ebpf_run *run, const struct ebpf_map_ref *ref);

/*
 * For helpers ending the life of such memory (submit/discard): every
 * register or spilled stack slot pointing into the region that starts at base
 * becomes a scalar (with allow_ptr_leaks; else EBPF_PTR_RELEASED). Only a helper
 * with an EBPF_ARG_PTR_TO_ALLOC_MEM argument may: the engine aborts a run where
 * another does, so that ebpf_kinds() knows which calls end such memory.
 */
void ebpf_invalidate_region(struct ebpf_run *run, void *base);

/*
 * For a tail-call helper: after the helper returns, the run continues at insn
 * 0 of next (fresh stack, r1 = ctx) and never comes back.  Returns 0, or
 * -E2BIG after EBPF_MAX_TAIL_CALLS (then the helper returns an error and the
 * program goes on, like Linux).  next must have passed ebpf_check().
 */
int ebpf_tail_call(struct ebpf_run *run, const struct ebpf_prog *next);

/*
 * bpf_loop (helper 181), Linux's semantics: calls callback_fn(index, callback_ctx)
 * for index 0..nr_loops-1 until it returns nonzero; returns the number of calls made,
 * -E2BIG for nr_loops > EBPF_MAX_LOOPS, -EINVAL for flags != 0.  Put it in a helper
 * table with args { ANYTHING, PTR_TO_FUNC, PTR_TO_STACK_OR_NULL, ANYTHING }: the
 * callback runs in the engine, one frame deeper, and every one of its instructions
 * counts against run->budget.
 */
#define EBPF_MAX_LOOPS		(1U << 23)	/* Linux BPF_MAX_LOOPS */
u64 ebpf_helper_loop(struct ebpf_run *run, u64 nr_loops, u64 callback_fn, u64 callback_ctx,
		     u64 flags, u64 unused);

/*
 * For a bpf_for_each_map_elem helper (args { CONST_MAP_PTR, PTR_TO_FUNC,
 * PTR_TO_STACK_OR_NULL, ANYTHING }) once it has checked flags and the map type: calls
 * callback_fn(map, key, value, callback_ctx) for each element @next yields until it
 * returns nonzero; r0 becomes the number of calls (0 without elements).  key is
 * read-only, value writable unless the map is read-only to programs.  @map is the
 * helper's r1.  Returns 0, or -EINVAL if the arguments are not a map handle and a
 * callback of this program.
 */
int ebpf_map_elem_loop(struct ebpf_run *run, u64 map, u64 fn, u64 ctx, ebpf_map_iter_fn next);

/*
 * Static pointer kinds (ebpf_kinds.c): what each register holds before each
 * instruction on every path that reaches it, found by abstract interpretation of a
 * program that passed ebpf_check(), with the interpreter's rules (tag arithmetic,
 * spills and fills of 8-byte stack slots, helper returns by the table, null checks
 * on a lookup's result). The foundation of a compiler to native code: where a kind
 * and offset are known, an access needs no run-time tag. The facts are sound
 * exactly when the interpreter's tags agree with them on every run, which the host
 * tests check instruction by instruction (EBPF_OBSERVE).
 */
enum ebpf_kind {
	EBPF_K_UNREACHED = 0,	/* no path reaches the instruction */
	EBPF_K_SCALAR,		/* a number (val when EBPF_KF_CONST) */
	EBPF_K_STACK,		/* this frame's stack: the frame pointer + off */
	EBPF_K_CTX,		/* the context + off */
	EBPF_K_MAP_VALUE,	/* a value of maps[map] + off (EBPF_KF_DIRECT: of its value_base) */
	EBPF_K_MAP_VALUE_OR_NULL,	/* the same, or the number 0 (a lookup not yet checked) */
	EBPF_K_MAP,		/* the handle of maps[map] */
	EBPF_K_FUNC,		/* a callback's address (ld_imm64 BPF_PSEUDO_FUNC) */
	EBPF_K_UNKNOWN,		/* paths disagree, or the interpreter's tags decide */
	EBPF_K_MEM,		/* memory a helper handed out (val bytes) + off */
	EBPF_K_MEM_OR_NULL,	/* the same, or the number 0 (not yet checked) */
};

#define EBPF_KF_CONST	0x01	/* SCALAR: val is its value */
#define EBPF_KF_VAR_OFF	0x02	/* pointer: off is not known (the kind is) */
#define EBPF_KF_DIRECT	0x04	/* MAP_VALUE: from ld_imm64 BPF_PSEUDO_MAP_VALUE */
/*
 * SCALAR: 0 <= the number <= val (unsigned; a histogram's slot after its clamp);
 * pointer with VAR_OFF: its offset is in [off, off + range]
 */
#define EBPF_KF_BOUNDED	0x08

struct ebpf_kval {
	u64 val;		/* SCALAR | CONST or BOUNDED; MEM*: the memory's size; FUNC: its insn */
	s32 off;		/* pointers without VAR_OFF */
	u32 id;			/* *_OR_NULL: the call that made it (copies share it); 0: none */
	u16 map;		/* MAP_VALUE*, MAP: index into prog->maps */
	u8 kind;		/* enum ebpf_kind */
	u8 flags;		/* EBPF_KF_* */
	u32 range;		/* pointer, VAR_OFF | BOUNDED: the offset is in [off, off + range] */
};

/* The registers before one instruction. */
struct ebpf_kregs {
	struct ebpf_kval r[EBPF_NR_REGS];
};

/*
 * Allocates (EBPF_ZALLOC) prog->len register states into *out, free with EBPF_FREE:
 * (*out)[i] holds before insn i (all UNREACHED for an unreachable one and the second
 * half of an ld_imm64). Returns 0, -ENOMEM, -E2BIG for no insns or more than
 * EBPF_KINDS_MAX_INSNS, or -EINVAL for a register past r10 or an ld_imm64 cut off
 * (what ebpf_check() refuses; the rest of its checks are assumed). Process context.
 */
#define EBPF_KINDS_MAX_INSNS	65536
int ebpf_kinds(const struct ebpf_prog *prog, struct ebpf_kregs **out);

/*
 * Native code (ebpf_jit_x86.c) for a program whose every load and store @kinds
 * (ebpf_kinds() of @prog) places in a known region: the stack, the context, a map's
 * direct value, a lookup's value or a helper's memory at a known offset; checked at run
 * time where the offset is not known (and for an atomic, its alignment). Helper calls
 * go through the interpreter's checks (ebpf_jit.c). Returns the code's size (written to
 * @buf when it fits @size; NULL: measure only), -EOPNOTSUPP with the reason in @log for
 * a program the interpreter must run, -ENOSPC, -ENOMEM.
 */
int ebpf_jit_x86(const struct ebpf_prog *prog, const struct ebpf_kregs *kinds, u8 *buf, u32 size,
		 struct ebpf_log *log);

/*
 * Runs such code as ebpf_run_prog() runs @run->prog (the same prog: the code was made
 * from it), with the same results: r0, or 0 with run->error and run->error_pc set; the
 * budget in instructions, paid by each loop's back edge for the loop's length. A tail
 * call goes on in the interpreter. The code is called as
 *   u64 code(void *ctx, u64 r2, u64 *fp, struct ebpf_run *run)
 * with fp the top of the zeroed first frame of @s.
 */
typedef u64 (*ebpf_jit_fn)(void *ctx, u64 r2, u64 *fp, struct ebpf_run *run);
u64 ebpf_jit_run(struct ebpf_run *run, struct ebpf_scratch *s, ebpf_jit_fn code, void *ctx, u64 r2);

#ifdef EBPF_OBSERVE
/* Test builds: called before each instruction the interpreter runs. */
void ebpf_observe_insn(const struct ebpf_run *run, const u64 *regs, u32 pc);
#endif

#endif /* EBPF_ENGINE_H */
