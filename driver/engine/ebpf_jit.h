/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ebpf_jit.h - what native code (ebpf_jit_x86.c), its run-time (ebpf_jit.c) and the
 * interpreter share: a native run is an interpreter's run (struct ebpf_run: budget,
 * errors, the frame in the scratch), and its helper calls go through the interpreter's
 * own argument checks, with tags made from the static kinds.
 */
#ifndef EBPF_JIT_H
#define EBPF_JIT_H

#include "ebpf_engine.h"

/* The interpreter's (ebpf_interp.c). */
/* A run's start: its fields as ebpf_run_prog() sets them (budget slices included). */
void ebpf_run_begin(struct ebpf_run *run, struct ebpf_scratch *s, void *ctx);
/* The run goes on in run->tail_prog, from its first insn (a tail call native code made). */
u64 ebpf_run_tail(struct ebpf_run *run, struct ebpf_scratch *s);
/* A helper call, r1..r5 in regs[1..5] tagged in s->tags: 0 and regs[0], or -errno. */
int ebpf_call_helper(struct ebpf_run *run, struct ebpf_scratch *s, u64 *regs, s32 id);
/* The tag of r1 at a run's start. */
void ebpf_ctx_tag(const struct ebpf_run *run, struct ebpf_tag *t);
/* A PROBE_MEM load: @sz bytes at a kernel address nothing vouches for; 0 on fault. */
u64 ebpf_probe_load(const struct ebpf_prog *prog, u64 addr, u32 sz);

/* Where a helper argument's tag comes from, by its static kind. */
enum ebpf_jit_tag_from {
	EBPF_JT_SCALAR = 0,	/* a number */
	EBPF_JT_FIXED,		/* base = at (a map's handle or direct value) */
	EBPF_JT_FRAME,		/* this frame (run->frame's stack) */
	EBPF_JT_CTX,		/* the context */
	EBPF_JT_VALUE,		/* base = the register - at (a lookup's value, a helper's memory) */
	EBPF_JT_VALUE_OR_NULL,	/* the same, or a number while the register is 0 */
};

struct ebpf_jit_arg {
	u64 at;
	u32 size;
	u8 from;		/* enum ebpf_jit_tag_from */
	u8 kind;		/* enum ebpf_ptr_kind */
	u8 writable;
	u8 pad;
};

/* A helper call site, in the code's read-only data after its last instruction. */
struct ebpf_jit_call {
	u32 pc;
	s32 id;
	struct ebpf_jit_arg args[5];
};

/*
 * Called by native code (System V ABI: r1..r5 are its first five arguments) with
 * run->jit_call set to the call site: r0, or 0 with run->error set, which ends the
 * code's run (EBPF_JIT_TAIL_CALL: the run goes on in run->tail_prog).
 */
u64 ebpf_jit_helper(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5, struct ebpf_run *run);

/*
 * Called by native code before a bpf-to-bpf call, as the interpreter's frame_push: one
 * frame deeper (run->frame; the code's r10 moves to that frame's stack, which follows
 * the caller's in the scratch), its stack zeroed. false, with run->error -ELOOP, past
 * EBPF_MAX_CALL_DEPTH. The callee's return takes run->frame back itself.
 */
bool ebpf_jit_frame_push(struct ebpf_run *run);

/*
 * Called by native code for a load through a number (a BTF-typed program's kernel
 * pointer): the interpreter's PROBE_MEM load of @size bytes at @addr, sign-extended
 * when @sx (BPF_MEMSX).
 */
u64 ebpf_jit_probe_load(u64 addr, u32 size, u32 sx, struct ebpf_run *run);
#define EBPF_JIT_TAIL_CALL	1

#endif /* EBPF_JIT_H */
