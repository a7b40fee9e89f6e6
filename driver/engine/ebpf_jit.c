// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpf_jit.c - the run-time of native code (ebpf_jit_run() in ebpf_engine.h): a run
 * started as the interpreter starts one, helper calls through the interpreter's own
 * argument checks, and a tail call handed to the interpreter.
 */
#include "ebpf_jit.h"

/* The run-time tag the interpreter would give argument @v, from the call site's kind. */
static void arg_tag(const struct ebpf_run *run, const struct ebpf_jit_arg *a, u64 v,
		    struct ebpf_tag *t)
{
	memset(t, 0, sizeof(*t));
	switch (a->from) {
	case EBPF_JT_CTX:
		ebpf_ctx_tag(run, t);
		return;
	case EBPF_JT_FRAME:
		t->base = (u64)(unsigned long)&run->scratch->stack[run->frame][0];
		break;
	case EBPF_JT_FIXED:
		t->base = a->at;
		break;
	case EBPF_JT_VALUE_OR_NULL:
	case EBPF_JT_VALUE:
		if (!v && a->from == EBPF_JT_VALUE_OR_NULL)
			return;		/* the lookup found nothing: a number */
		t->base = v - a->at;
		break;
	default:
		return;			/* a number */
	}
	t->kind = a->kind;
	t->size = a->size;
	t->writable = a->writable;
}

u64 ebpf_jit_helper(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5, struct ebpf_run *run)
{
	const struct ebpf_jit_call *c = run->jit_call;
	struct ebpf_scratch *s = run->scratch;
	u64 regs[6];
	int err, k;

	regs[0] = 0;
	regs[1] = r1;
	regs[2] = r2;
	regs[3] = r3;
	regs[4] = r4;
	regs[5] = r5;
	for (k = 0; k < 5; k++)
		arg_tag(run, &c->args[k], regs[k + 1], &s->tags[k + 1]);
	err = ebpf_call_helper(run, s, regs, c->id);
	/* a callback helper's loop needs the interpreter's frames: never compiled */
	if (!err && run->loop.kind)
		err = -EINVAL;
	if (!err && run->tail_prog)
		err = EBPF_JIT_TAIL_CALL;
	if (err) {
		run->error = err;
		run->error_pc = c->pc;
		return 0;
	}
	return regs[0];
}

bool ebpf_jit_frame_push(struct ebpf_run *run)
{
	struct ebpf_scratch *s = run->scratch;
	u32 f = run->frame + 1;

	if (f >= EBPF_MAX_CALL_DEPTH) {
		run->error = -ELOOP;
		return false;
	}
	run->frame = f;
	memset(s->stack[f], 0, sizeof(s->stack[f]));
	s->slot_mask[f] = 0;
	return true;
}

u64 ebpf_jit_probe_load(u64 addr, u32 size, u32 sx, struct ebpf_run *run)
{
	u64 v = ebpf_probe_load(run->prog, addr, size);

	if (!sx || size == 8)
		return v;
	return (u64)((s64)(v << (64 - 8 * size)) >> (64 - 8 * size));
}

u64 ebpf_jit_run(struct ebpf_run *run, struct ebpf_scratch *s, ebpf_jit_fn code, void *ctx, u64 r2)
{
	u64 r0;

	ebpf_run_begin(run, s, ctx);
	memset(s->stack[0], 0, sizeof(s->stack[0]));
	memset(s->slot_mask, 0, sizeof(s->slot_mask));
	r0 = code(ctx, r2, &s->stack[0][EBPF_STACK_SIZE / 8], run);
	if (run->error == EBPF_JIT_TAIL_CALL) {
		run->error = 0;
		return ebpf_run_tail(run, s);
	}
	run->budget += run->budget_rest;
	run->budget_rest = 0;
	return run->error ? 0 : r0;
}
