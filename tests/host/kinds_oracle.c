// SPDX-License-Identifier: GPL-2.0-only
/*
 * The interpreter's run-time tags as the oracle of ebpf_kinds(): with EBPF_OBSERVE
 * (the test build), before each instruction of every run of a checked program, each
 * register's static kind must agree with its tag and value. The first disagreement is
 * kept per thread for tests/src/engine.rs, which fails the run's test with it. Also
 * counts the loads and stores whose address the static kinds fix (a known region and
 * a constant offset): what a compiler could emit without a run-time tag.
 */
#include <stdio.h>
#include "ebpf_engine.h"
#include "ebpf_insn.h"

size_t ebpf_host_kinds_error(char *buf, size_t size);
void ebpf_host_kinds_counts(u64 *insns, u64 *accesses, u64 *fixed);
bool ebpf_host_kinds_tamper(u32 pc, u32 reg, u8 kind);

#ifdef EBPF_OBSERVE

#define CACHED 8

/* The facts of the last programs run on this thread, by content. */
struct cached_kinds {
	u64 hash;
	u32 len;
	int rc;			/* ebpf_check(), then ebpf_kinds() */
	struct ebpf_kregs *k;
};

static __thread struct cached_kinds cache[CACHED];
static __thread u32 cache_next;
static __thread char first_error[512];
static __thread u64 seen_insns, seen_accesses, fixed_accesses;

static u64 fnv(u64 h, const void *p, size_t n)
{
	const u8 *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

static u64 prog_hash(const struct ebpf_prog *prog)
{
	u64 h = fnv(0xcbf29ce484222325ULL, prog->insns, (size_t)prog->len * sizeof(*prog->insns));

	if (prog->maps)
		h = fnv(h, prog->maps, (size_t)prog->nr_maps * sizeof(*prog->maps));
	if (prog->helpers)
		h = fnv(h, prog->helpers, (size_t)prog->nr_helpers * sizeof(*prog->helpers));
	h = fnv(h, &prog->ctx_kind, sizeof(prog->ctx_kind));
	return fnv(h, &prog->probe_read, sizeof(prog->probe_read));
}

static const struct ebpf_kregs *facts_of(const struct ebpf_prog *prog)
{
	u64 h = prog_hash(prog);
	struct cached_kinds *c;
	u32 i;

	for (i = 0; i < CACHED; i++)
		if (cache[i].k && cache[i].hash == h && cache[i].len == prog->len)
			return cache[i].rc ? NULL : cache[i].k;
	c = &cache[cache_next++ % CACHED];
	free(c->k);
	c->k = NULL;
	c->hash = h;
	c->len = prog->len;
	c->rc = ebpf_check(prog, NULL);
	if (!c->rc)
		c->rc = ebpf_kinds(prog, &c->k);
	if (c->rc) {
		/* remember the refusal too: a placeholder the lookup above finds */
		c->k = calloc(1, sizeof(*c->k));
		return NULL;
	}
	return c->k;
}

/* Is @v at an offset from @base that pointer fact @k allows (exact, in its range, any)? */
static bool at_off(const struct ebpf_kval *k, u64 v, u64 base)
{
	s64 off = (s64)(v - base);

	if (!(k->flags & EBPF_KF_VAR_OFF))
		return off == k->off;
	if (!(k->flags & EBPF_KF_BOUNDED))
		return true;
	return off >= k->off && off <= (s64)k->off + k->range;
}

/* Does register value @v with tag @t fit the static @k? */
static bool fits(const struct ebpf_run *run, const struct ebpf_kval *k, u64 v, const struct ebpf_tag *t)
{
	const struct ebpf_scratch *s = run->scratch;
	const struct ebpf_map_ref *m = k->map < run->prog->nr_maps ? &run->prog->maps[k->map] : NULL;
	u64 frame_base;

	switch (k->kind) {
	case EBPF_K_UNKNOWN:
		return true;
	case EBPF_K_SCALAR:
		if (k->flags & EBPF_KF_CONST)
			return t->kind == EBPF_SCALAR && v == k->val;
		return t->kind == EBPF_SCALAR && (!(k->flags & EBPF_KF_BOUNDED) || v <= k->val);
	case EBPF_K_STACK:
		frame_base = (u64)(unsigned long)&s->stack[run->frame][0];
		return t->kind == EBPF_PTR_STACK && t->base == frame_base &&
		       at_off(k, v, frame_base + EBPF_STACK_SIZE);
	case EBPF_K_CTX:
		return t->kind == EBPF_PTR_CTX && t->base == run->ctx && at_off(k, v, t->base);
	case EBPF_K_MAP_VALUE_OR_NULL:
		if (t->kind == EBPF_SCALAR && v == 0)
			return true;
		/* fall through */
	case EBPF_K_MAP_VALUE:
		if (!m || t->kind != EBPF_PTR_MAP_VALUE)
			return false;
		if (k->flags & EBPF_KF_DIRECT) {
			if (t->base != (u64)(unsigned long)m->value_base || t->size != m->value_region_size)
				return false;
		} else if (t->size != m->value_size) {
			return false;
		}
		return at_off(k, v, t->base);
	case EBPF_K_MEM_OR_NULL:
		if (t->kind == EBPF_SCALAR && v == 0)
			return true;
		/* fall through */
	case EBPF_K_MEM:
		return t->kind == EBPF_PTR_MEM && t->size == k->val && at_off(k, v, t->base);
	case EBPF_K_MAP:
		return m && t->kind == EBPF_PTR_MAP && t->size == k->map && v == (u64)(unsigned long)m->map;
	case EBPF_K_FUNC:
		return t->kind == EBPF_PTR_FUNC && v == k->val;
	default:	/* UNREACHED: the run got where no path goes */
		return false;
	}
}

/* The register a load, store or atomic addresses memory through, or -1. */
static int address_reg(const struct ebpf_insn *in)
{
	switch (EBPF_CLASS(in->code)) {
	case EBPF_LDX:
		return EBPF_INSN_SRC(in);
	case EBPF_ST:
		return EBPF_INSN_DST(in);
	case EBPF_STX:
		if (EBPF_MODE(in->code) == EBPF_ATOMIC && in->imm == EBPF_LOAD_ACQ)
			return EBPF_INSN_SRC(in);
		return EBPF_INSN_DST(in);
	default:
		return -1;
	}
}

void ebpf_observe_insn(const struct ebpf_run *run, const u64 *regs, u32 pc)
{
	static __thread const struct ebpf_prog *prog;
	static __thread const struct ebpf_kregs *facts;
	const struct ebpf_kval *k;
	int r;

	/* a run (or tail call) starts at insn 0: the program may have changed since */
	if (pc == 0 || run->prog != prog) {
		prog = run->prog;
		facts = facts_of(prog);
	}
	if (!facts || first_error[0])
		return;
	seen_insns++;
	for (r = 0; r < EBPF_NR_REGS; r++) {
		const struct ebpf_tag *t = &run->scratch->tags[r];

		k = &facts[pc].r[r];
		if (fits(run, k, regs[r], t))
			continue;
		snprintf(first_error, sizeof(first_error),
			 "insn %u (code %02x), frame %u: r%d is static kind %u (flags %x, off %d, range %u, val %llu, map %u) but tag kind %u (base %llx size %u), value %llx",
			 pc, run->prog->insns[pc].code, run->frame, r, k->kind, k->flags, k->off, k->range,
			 (unsigned long long)k->val, k->map, t->kind, (unsigned long long)t->base,
			 t->size, (unsigned long long)regs[r]);
		return;
	}
	r = address_reg(&run->prog->insns[pc]);
	if (r < 0)
		return;
	seen_accesses++;
	k = &facts[pc].r[r];
	if ((k->kind == EBPF_K_STACK || k->kind == EBPF_K_CTX || k->kind == EBPF_K_MAP_VALUE ||
	     k->kind == EBPF_K_MEM) && !(k->flags & EBPF_KF_VAR_OFF))
		fixed_accesses++;
}

size_t ebpf_host_kinds_error(char *buf, size_t size)
{
	size_t n = strlen(first_error);

	if (!n || !size)
		return n;
	snprintf(buf, size, "%s", first_error);
	first_error[0] = 0;
	return n;
}

/*
 * For the test that the oracle can fail: the most recent program's fact for @reg
 * before @pc becomes @kind. False without such facts.
 */
bool ebpf_host_kinds_tamper(u32 pc, u32 reg, u8 kind)
{
	struct cached_kinds *c = &cache[(cache_next + CACHED - 1) % CACHED];

	if (!c->k || c->rc || pc >= c->len || reg >= EBPF_NR_REGS)
		return false;
	memset(&c->k[pc].r[reg], 0, sizeof(c->k[pc].r[reg]));
	c->k[pc].r[reg].kind = kind;
	return true;
}

void ebpf_host_kinds_counts(u64 *insns, u64 *accesses, u64 *fixed)
{
	*insns = seen_insns;
	*accesses = seen_accesses;
	*fixed = fixed_accesses;
}

#else /* the benchmark's build: no oracle */

bool ebpf_host_kinds_tamper(u32 pc, u32 reg, u8 kind)
{
	(void)pc;
	(void)reg;
	(void)kind;
	return false;
}

size_t ebpf_host_kinds_error(char *buf, size_t size)
{
	(void)buf;
	(void)size;
	return 0;
}

void ebpf_host_kinds_counts(u64 *insns, u64 *accesses, u64 *fixed)
{
	*insns = 0;
	*accesses = 0;
	*fixed = 0;
}

#endif
