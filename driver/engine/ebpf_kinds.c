// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpf_kinds.c - static pointer kinds of a checked program (ebpf_kinds() in
 * ebpf_engine.h).
 *
 * Abstract interpretation over basic blocks: the state at a block's entry (registers
 * and the frame's 64 stack slots) is the join of what every path brings, and a block
 * is walked again whenever its entry state grows. The lattice is finite (a number
 * loses its constant, a pointer its offset, then any value its kind), so the walk
 * ends. Every rule follows what ebpf_interp.c does with its run-time tags, not what
 * Linux's verifier would allow: the facts describe this engine's runs.
 *
 * What is not followed is UNKNOWN, never guessed: pointers into another frame's
 * stack, values a subprogram returns, maps a helper hands out, memory it hands out
 * of a size the table does not name, loads through a context with rules (a socket
 * filter's skb->sk), anything after a helper releases memory it handed out. A
 * bpf-to-bpf callee starts from the join of its calls' arguments, as far as they hold
 * in any frame (frame_arg); a callback is analysed on its own, with unknown arguments.
 */
#include "ebpf_engine.h"
#include "ebpf_insn.h"

#define SLOTS		(EBPF_STACK_SIZE / 8)
#define KMAX_NONE	((u64)-1)	/* a number nothing bounds */
#define KMAX_32		0xffffffffULL	/* a 32-bit operation's result */
#define KDELTA_MAX	0x7fffffffLL	/* the widest move a pointer's offset range follows */
/* growths of a block's entry before its bounds are dropped (so that loops end) */
#define KWIDEN_AFTER	16

#define KF_ENTRY	0x01	/* first insn of the main program or a subprogram */
#define KF_LEADER	0x02	/* starts a basic block */
#define KF_LD2		0x04	/* second half of an ld_imm64 */
#define KF_CALLBACK	0x08	/* a callback's first insn (ld_imm64 BPF_PSEUDO_FUNC) */

/* The abstract machine: registers and this frame's 8-byte stack slots. */
struct kstate {
	struct ebpf_kval r[EBPF_NR_REGS];
	struct ebpf_kval slot[SLOTS];
};

struct kenv {
	const struct ebpf_prog *prog;
	struct ebpf_kregs *out;
	u8 *flags;		/* per insn: KF_* */
	u32 *block;		/* per insn: index into entry[] of the block it starts */
	struct kstate *entry;	/* per block: its entry state */
	u8 *reached;		/* per block */
	u8 *queued;		/* per block */
	u8 *grown;		/* per block: how often its entry grew once reached */
	u32 *work;		/* stack of blocks to walk */
	u32 nr_work;
	/* the walk's state and a branch's other edge (too large for a kernel stack frame) */
	struct kstate cur, edge;
};

static struct ebpf_kval kv(u8 kind)
{
	struct ebpf_kval v;

	memset(&v, 0, sizeof(v));
	v.kind = kind;
	return v;
}

static struct ebpf_kval kconst(u64 c)
{
	struct ebpf_kval v = kv(EBPF_K_SCALAR);

	v.flags = EBPF_KF_CONST;
	v.val = c;
	return v;
}

static bool is_const(const struct ebpf_kval *v, u64 c)
{
	return v->kind == EBPF_K_SCALAR && (v->flags & EBPF_KF_CONST) && v->val == c;
}

/* A number's largest value (unsigned), KMAX_NONE when nothing bounds it. */
static u64 kmax(const struct ebpf_kval *v)
{
	if (v->kind == EBPF_K_SCALAR && (v->flags & (EBPF_KF_CONST | EBPF_KF_BOUNDED)))
		return v->val;
	return KMAX_NONE;
}

static u64 kmin(u64 a, u64 b)
{
	return a < b ? a : b;
}

/* A number of at most @max. */
static struct ebpf_kval kbounded(u64 max)
{
	struct ebpf_kval v = kv(EBPF_K_SCALAR);

	if (max != KMAX_NONE) {
		v.flags = EBPF_KF_BOUNDED;
		v.val = max;
	}
	return v;
}

/* A pointer whose offset nothing bounds. */
static struct ebpf_kval kvar_off(struct ebpf_kval v)
{
	v.id = 0;
	v.flags = (v.flags | EBPF_KF_VAR_OFF) & ~EBPF_KF_BOUNDED;
	v.off = 0;
	v.range = 0;
	return v;
}

/* The offsets pointer @v may have, [*lo, *hi]: false when nothing bounds them. */
static bool koff_span(const struct ebpf_kval *v, s64 *lo, s64 *hi)
{
	*lo = v->off;
	*hi = v->off;
	if (!(v->flags & EBPF_KF_VAR_OFF))
		return true;
	*hi += v->range;
	return v->flags & EBPF_KF_BOUNDED;
}

/* Pointer @v with an offset in [lo, hi]: exact, a range, or VAR_OFF without bounds. */
static struct ebpf_kval koff_in(struct ebpf_kval v, s64 lo, s64 hi)
{
	if (lo != (s32)lo || hi != (s32)hi)
		return kvar_off(v);
	v.id = 0;
	v.off = (s32)lo;
	v.range = (u32)(hi - lo);
	if (lo == hi)
		v.flags &= ~(EBPF_KF_VAR_OFF | EBPF_KF_BOUNDED);
	else
		v.flags |= EBPF_KF_VAR_OFF | EBPF_KF_BOUNDED;
	return v;
}

/* Pointer @v moved by the number @n (back when @sub): the interpreter's pointer + n. */
static struct ebpf_kval kmove(struct ebpf_kval v, const struct ebpf_kval *n, bool sub)
{
	s64 lo, hi, c;
	u64 max = kmax(n);

	if (!koff_span(&v, &lo, &hi))
		return kvar_off(v);
	if (n->flags & EBPF_KF_CONST) {
		c = (s64)n->val;
		if (c < -KDELTA_MAX || c > KDELTA_MAX)
			return kvar_off(v);
		c = sub ? -c : c;
		return koff_in(v, lo + c, hi + c);
	}
	if (max > (u64)KDELTA_MAX)
		return kvar_off(v);
	return sub ? koff_in(v, lo - (s64)max, hi) : koff_in(v, lo, hi + (s64)max);
}

static bool kv_equal(const struct ebpf_kval *a, const struct ebpf_kval *b)
{
	return a->kind == b->kind && a->flags == b->flags && a->val == b->val && a->off == b->off &&
	       a->id == b->id && a->map == b->map && a->range == b->range;
}

/* A pointer that may be the number 0 instead: its kind once checked, or 0. */
static u8 nonnull_of(u8 kind)
{
	if (kind == EBPF_K_MAP_VALUE_OR_NULL)
		return EBPF_K_MAP_VALUE;
	return kind == EBPF_K_MEM_OR_NULL ? EBPF_K_MEM : 0;
}

/* The kind that may also be null, or 0 for a kind that has none. */
static u8 or_null_of(u8 kind)
{
	if (kind == EBPF_K_MAP_VALUE)
		return EBPF_K_MAP_VALUE_OR_NULL;
	return kind == EBPF_K_MEM ? EBPF_K_MEM_OR_NULL : 0;
}

/* Pointer @a with an offset that is @a's or @b's. */
static struct ebpf_kval kjoin_off(struct ebpf_kval a, const struct ebpf_kval *b)
{
	s64 lo_a, hi_a, lo_b, hi_b;

	if (!koff_span(&a, &lo_a, &hi_a) || !koff_span(b, &lo_b, &hi_b))
		return kvar_off(a);
	return koff_in(a, lo_a < lo_b ? lo_a : lo_b, hi_a > hi_b ? hi_a : hi_b);
}

/* What a value is on either of two paths. */
static struct ebpf_kval kv_join(struct ebpf_kval a, struct ebpf_kval b)
{
	if (a.kind == EBPF_K_UNREACHED || kv_equal(&a, &b))
		return b;
	if (b.kind == EBPF_K_UNREACHED)
		return a;
	/* a pointer and the 0 of the path where it was null (another 0: no id) */
	if (is_const(&a, 0) && (or_null_of(b.kind) || nonnull_of(b.kind))) {
		b.kind = or_null_of(b.kind) ? or_null_of(b.kind) : b.kind;
		b.id = 0;
		return b;
	}
	if (is_const(&b, 0) && (or_null_of(a.kind) || nonnull_of(a.kind)))
		return kv_join(b, a);
	/* checked on one path, not on the other: maybe null */
	if (or_null_of(a.kind) && or_null_of(a.kind) == b.kind)
		a.kind = b.kind;
	else if (or_null_of(b.kind) && or_null_of(b.kind) == a.kind)
		b.kind = a.kind;
	if (a.kind != b.kind)
		return kv(EBPF_K_UNKNOWN);
	switch (a.kind) {
	case EBPF_K_SCALAR:
		return kbounded(kmax(&a) > kmax(&b) ? kmax(&a) : kmax(&b));
	case EBPF_K_MAP:
	case EBPF_K_FUNC:
		return kv(EBPF_K_UNKNOWN);	/* two maps, two callbacks */
	case EBPF_K_UNKNOWN:
		return a;
	default:	/* memory */
		if (a.map != b.map || a.val != b.val ||
		    (a.flags & EBPF_KF_DIRECT) != (b.flags & EBPF_KF_DIRECT))
			return kv(EBPF_K_UNKNOWN);
		if (a.id != b.id)
			a.id = 0;
		if (a.off != b.off || a.range != b.range || ((a.flags ^ b.flags) & EBPF_KF_VAR_OFF))
			return kjoin_off(a, &b);
		return a;
	}
}

/* A bound dropped: a loop's counter grows it on every turn. */
static void kwiden_one(struct ebpf_kval *v)
{
	if (!(v->flags & EBPF_KF_BOUNDED))
		return;
	if (v->kind == EBPF_K_SCALAR)
		*v = kv(EBPF_K_SCALAR);
	else
		*v = kvar_off(*v);
}

static void kwiden(struct kstate *st)
{
	u32 k;

	for (k = 0; k < EBPF_NR_REGS; k++)
		kwiden_one(&st->r[k]);
	for (k = 0; k < SLOTS; k++)
		kwiden_one(&st->slot[k]);
}

/*
 * Joins @in into block @b's entry state; queues the block if that grew. Bounds stop
 * following a block whose entry keeps growing (KWIDEN_AFTER): the walk ends.
 */
static void flow_to(struct kenv *env, const struct kstate *in, u32 insn)
{
	struct kstate *e;
	bool grew = false;
	u32 b, k;

	if (insn >= env->prog->len || !(env->flags[insn] & KF_LEADER))
		return;		/* ebpf_check() refuses such a jump */
	b = env->block[insn];
	e = &env->entry[b];
	for (k = 0; k < EBPF_NR_REGS; k++) {
		struct ebpf_kval j = kv_join(e->r[k], in->r[k]);

		grew |= !kv_equal(&j, &e->r[k]);
		e->r[k] = j;
	}
	for (k = 0; k < SLOTS; k++) {
		struct ebpf_kval j = kv_join(e->slot[k], in->slot[k]);

		grew |= !kv_equal(&j, &e->slot[k]);
		e->slot[k] = j;
	}
	if (grew && env->reached[b] && env->grown[b] < KWIDEN_AFTER)
		env->grown[b]++;
	else if (grew && env->reached[b])
		kwiden(e);
	if ((grew || !env->reached[b]) && !env->queued[b]) {
		env->queued[b] = 1;
		env->work[env->nr_work++] = insn;
	}
	env->reached[b] = 1;
}

/* Every stack slot may now also hold @v (a write the walk cannot place). */
static void slots_may_hold(struct kstate *st, struct ebpf_kval v)
{
	u32 k;

	for (k = 0; k < SLOTS; k++)
		st->slot[k] = kv_join(st->slot[k], v);
}

/*
 * A write of @size bytes at @base + insn->off that is not a whole-slot spill: the slots
 * it touches read back as numbers (the interpreter's stack_untag).
 */
static void stack_written(struct kstate *st, const struct ebpf_kval *base, s16 insn_off, u32 size)
{
	s64 at, k;

	if (base->kind == EBPF_K_STACK && !(base->flags & EBPF_KF_VAR_OFF)) {
		at = (s64)base->off + insn_off + EBPF_STACK_SIZE;
		if (at < 0 || at + size > EBPF_STACK_SIZE)
			return;		/* the access aborts the run */
		for (k = at / 8; k <= (at + size - 1) / 8; k++)
			st->slot[k] = kv(EBPF_K_SCALAR);
	} else if (base->kind == EBPF_K_STACK || base->kind == EBPF_K_UNKNOWN) {
		slots_may_hold(st, kv(EBPF_K_SCALAR));
	}
}

/* The slot an aligned 8-byte access at @base + @insn_off is, or -1. */
static int whole_slot(const struct ebpf_kval *base, s16 insn_off)
{
	s64 at;

	if (base->kind != EBPF_K_STACK || (base->flags & EBPF_KF_VAR_OFF))
		return -1;
	at = (s64)base->off + insn_off + EBPF_STACK_SIZE;
	if (at < 0 || at + 8 > EBPF_STACK_SIZE || (at & 7))
		return -1;
	return (int)(at / 8);
}

/* dst += / -= src (@s NULL: the immediate): the interpreter's tag_arith. */
static struct ebpf_kval k_add_sub(struct ebpf_kval d, const struct ebpf_kval *s, s32 imm, bool sub)
{
	struct ebpf_kval n;
	bool known;
	u64 c;

	if (d.kind == EBPF_K_MAP || d.kind == EBPF_K_FUNC)
		return kv(EBPF_K_SCALAR);
	if (!s || s->kind == EBPF_K_SCALAR) {
		n = s ? *s : kconst((u64)(s64)imm);
		known = n.flags & EBPF_KF_CONST;
		c = sub ? -n.val : n.val;
		if (d.kind == EBPF_K_SCALAR && known && (d.flags & EBPF_KF_CONST))
			return kconst(d.val + c);
		/* a sum of bounded numbers (a histogram's slot times its size, plus one) */
		if (d.kind == EBPF_K_SCALAR && !sub && kmax(&d) != KMAX_NONE && kmax(&n) != KMAX_NONE &&
		    kmax(&d) + kmax(&n) >= kmax(&d))
			return kbounded(kmax(&d) + kmax(&n));
		if (d.kind == EBPF_K_SCALAR)
			return kv(EBPF_K_SCALAR);
		if (d.kind == EBPF_K_STACK || d.kind == EBPF_K_CTX || d.kind == EBPF_K_MAP_VALUE ||
		    d.kind == EBPF_K_MEM)
			return kmove(d, &n, sub);
		return kv(EBPF_K_UNKNOWN);	/* a null pointer moved is no longer null */
	}
	if (s->kind == EBPF_K_MAP || s->kind == EBPF_K_FUNC)
		return kv(EBPF_K_SCALAR);
	if (s->kind == EBPF_K_UNKNOWN || d.kind == EBPF_K_UNKNOWN)
		return kv(EBPF_K_UNKNOWN);
	/* s is memory: scalar + pointer is the pointer, anything else a number */
	if (sub || d.kind != EBPF_K_SCALAR)
		return kv(EBPF_K_SCALAR);
	if (nonnull_of(s->kind))
		return kv(EBPF_K_UNKNOWN);
	return kmove(*s, &d, false);
}

/*
 * A number's bound after and, shifts or modulo (@s NULL: by the immediate) of
 * @width's bits (KMAX_NONE: 64, KMAX_32: 32, whose results are zero-extended): what
 * a histogram's slot computation keeps. Any such operation on a pointer makes a
 * number, as in the interpreter.
 */
static struct ebpf_kval k_bound(const struct ebpf_kval *d, const struct ebpf_kval *s,
				const struct ebpf_insn *in, u64 width)
{
	bool by_const = !s || (s->kind == EBPF_K_SCALAR && (s->flags & EBPF_KF_CONST));
	u64 c = s ? s->val : (u64)(s64)in->imm;
	/* the operands as the operation sees them (32 bits: truncated) */
	u64 m = kmin(kmax(d), width), n = by_const ? c & width : kmin(kmax(s), width);
	u32 k = (u32)c & (width == KMAX_32 ? 31 : 63);

	switch (EBPF_OP(in->code)) {
	case EBPF_AND:
		return kbounded(kmin(m, n));
	case EBPF_RSH:
		return kbounded(by_const ? m >> k : m);
	case EBPF_LSH:
		if (!by_const || m == KMAX_NONE || ((m << k) >> k) != m || (m << k) > width)
			return kbounded(width);
		return kbounded(m << k);
	case EBPF_MOD:
		/* unsigned: x % 0 is x, x % y < y */
		if (in->off)
			return kbounded(width);
		return kbounded(by_const && n ? kmin(m, n - 1) : m);
	default:
		return kbounded(width);
	}
}

static void step_alu64(struct kstate *st, const struct ebpf_insn *in)
{
	u32 dst = EBPF_INSN_DST(in), src = EBPF_INSN_SRC(in);
	u8 op = EBPF_OP(in->code);
	bool x = EBPF_SRC(in->code) == EBPF_X;

	if (op == EBPF_MOV && !x)
		st->r[dst] = kconst((u64)(s64)in->imm);
	else if (op == EBPF_MOV && !in->off)
		st->r[dst] = st->r[src];
	else if (op == EBPF_ADD || op == EBPF_SUB)
		st->r[dst] = k_add_sub(st->r[dst], x ? &st->r[src] : NULL, in->imm, op == EBPF_SUB);
	else
		st->r[dst] = k_bound(&st->r[dst], x ? &st->r[src] : NULL, in, KMAX_NONE);
}

static void step_alu32(struct kstate *st, const struct ebpf_insn *in)
{
	u32 dst = EBPF_INSN_DST(in), src = EBPF_INSN_SRC(in);
	const struct ebpf_kval *s = &st->r[src];

	if (EBPF_OP(in->code) == EBPF_END)	/* to_le 64 keeps all 64 bits */
		st->r[dst] = kbounded(in->imm == 16 ? 0xffff : in->imm == 32 ? KMAX_32 : KMAX_NONE);
	else if (EBPF_OP(in->code) != EBPF_MOV)
		st->r[dst] = k_bound(&st->r[dst], EBPF_SRC(in->code) == EBPF_X ? s : NULL, in, KMAX_32);
	else if (EBPF_SRC(in->code) == EBPF_K)
		st->r[dst] = kconst((u32)in->imm);
	else if (!in->off && s->kind == EBPF_K_SCALAR && (s->flags & EBPF_KF_CONST))
		st->r[dst] = kconst((u32)s->val);
	else
		st->r[dst] = kbounded(in->off ? KMAX_32 : kmin(kmax(s), KMAX_32));
}

/* May a load through @base hand out a pointer? Only a context with rules does. */
static bool ruled_load(const struct ebpf_prog *prog, const struct ebpf_kval *base)
{
	return ebpf_ctx_ops(prog) && base->kind != EBPF_K_STACK && base->kind != EBPF_K_MAP_VALUE &&
	       base->kind != EBPF_K_MEM && base->kind != EBPF_K_SCALAR;
}

static void step_ldx(const struct kenv *env, struct kstate *st, const struct ebpf_insn *in)
{
	const struct ebpf_kval *b = &st->r[EBPF_INSN_SRC(in)];
	u32 size = ebpf_size_bytes(in->code);
	int slot = whole_slot(b, in->off);
	struct ebpf_kval v = kv(EBPF_K_SCALAR);

	if (ruled_load(env->prog, b))
		v = kv(EBPF_K_UNKNOWN);
	else if (size == 8 && EBPF_MODE(in->code) == EBPF_MEM && slot >= 0)
		v = st->slot[slot];		/* a fill */
	else if (size == 8 && EBPF_MODE(in->code) == EBPF_MEM &&
		 (b->kind == EBPF_K_STACK || b->kind == EBPF_K_UNKNOWN))
		v = kv(EBPF_K_UNKNOWN);		/* maybe a fill */
	st->r[EBPF_INSN_DST(in)] = v;
}

static void step_stx(struct kstate *st, const struct ebpf_insn *in)
{
	const struct ebpf_kval *b = &st->r[EBPF_INSN_DST(in)];
	struct ebpf_kval v = st->r[EBPF_INSN_SRC(in)];
	u32 size = ebpf_size_bytes(in->code);
	int slot = whole_slot(b, in->off);

	if (EBPF_MODE(in->code) == EBPF_ATOMIC) {
		if (in->imm == EBPF_LOAD_ACQ) {
			st->r[EBPF_INSN_DST(in)] = kv(EBPF_K_SCALAR);
			return;
		}
		stack_written(st, b, in->off, size);
		if (in->imm == EBPF_CMPXCHG)
			st->r[0] = kv(EBPF_K_SCALAR);
		else if (in->imm & EBPF_FETCH)
			st->r[EBPF_INSN_SRC(in)] = kv(EBPF_K_SCALAR);
		return;
	}
	if (size == 8 && slot >= 0) {
		st->slot[slot] = v;		/* a spill, or the number itself */
		return;
	}
	stack_written(st, b, in->off, size);
	if (size == 8 && ((b->kind == EBPF_K_STACK && (b->flags & EBPF_KF_VAR_OFF)) ||
			  b->kind == EBPF_K_UNKNOWN))
		slots_may_hold(st, v);		/* maybe a spill somewhere */
}

/* Could @v point into this frame's stack? */
static bool may_be_stack(const struct ebpf_kval *v)
{
	return v->kind == EBPF_K_STACK || v->kind == EBPF_K_UNKNOWN;
}

/*
 * A helper ends the life of memory it handed out (ring buffer submit / discard): what
 * pointed there is no longer a pointer to dereference (the interpreter's
 * ebpf_invalidate_region).
 */
static void release_mem(struct kstate *st)
{
	u32 k;

	for (k = 0; k < EBPF_NR_REGS + SLOTS; k++) {
		struct ebpf_kval *v = k < EBPF_NR_REGS ? &st->r[k] : &st->slot[k - EBPF_NR_REGS];

		if (v->kind == EBPF_K_MEM || v->kind == EBPF_K_MEM_OR_NULL)
			*v = kv(EBPF_K_UNKNOWN);
	}
}

/* The state on entry: the main program's (reset_state), or a subprogram's. */
static void entry_state(struct kstate *st, bool is_main)
{
	u32 k;

	for (k = 0; k < EBPF_NR_REGS; k++)
		st->r[k] = is_main ? kconst(0) : kv(EBPF_K_UNKNOWN);
	if (is_main) {
		st->r[1] = kv(EBPF_K_CTX);
		st->r[2] = kv(EBPF_K_SCALAR);
	}
	st->r[EBPF_REG_FP] = kv(EBPF_K_STACK);
	for (k = 0; k < SLOTS; k++)
		st->slot[k] = kconst(0);	/* frame_enter zeroes the stack */
}

/*
 * The stack slots a helper call (@h, NULL: one the run refuses) leaves holding bytes,
 * as the interpreter untags them: an UNINIT_MEM argument's constant size, or a
 * WRITABLE_8 argument's 8 bytes, at a known place; any slot for such an argument at an
 * unknown place or of an unknown size, and for one a helper may write through on its
 * own (ebpf_arg_helper_writes). Helpers write bytes only.
 */
static void helper_writes_stack(struct kstate *st, const struct ebpf_helper *h)
{
	const struct ebpf_kval *r, *size;
	bool exact;
	u32 k;
	u8 a;

	for (k = 1; k <= 5; k++) {
		r = &st->r[k];
		if (!may_be_stack(r))
			continue;
		a = h ? h->args[k - 1] : EBPF_ARG_ANYTHING;
		exact = r->kind == EBPF_K_STACK && !(r->flags & EBPF_KF_VAR_OFF);
		size = k < 5 ? &st->r[k + 1] : NULL;
		if (a == EBPF_ARG_PTR_TO_UNINIT_MEM && exact && size && size->kind == EBPF_K_SCALAR &&
		    (size->flags & EBPF_KF_CONST)) {
			/* 0 bytes: nothing untagged; EBPF_MAX_VAR_SIZE or more: the call aborts */
			if (size->val && size->val < EBPF_MAX_VAR_SIZE)
				stack_written(st, r, 0, (u32)size->val);
		} else if (a == EBPF_ARG_PTR_TO_STACK_OR_MAP_VALUE_WRITABLE_8 && exact) {
			stack_written(st, r, 0, 8);
		} else if (a == EBPF_ARG_PTR_TO_UNINIT_MEM ||
			   a == EBPF_ARG_PTR_TO_STACK_OR_MAP_VALUE_WRITABLE_8 || ebpf_arg_helper_writes(a)) {
			slots_may_hold(st, kv(EBPF_K_SCALAR));
		}
	}
}

/*
 * What a bpf-to-bpf callee gets in an argument register: what holds in every frame
 * (a number, the context, a map handle, a map value). A pointer into the caller's
 * stack, a value not yet checked for null and a helper's memory (which the callee
 * could release behind the caller's back) are unknown to it.
 */
static struct ebpf_kval frame_arg(const struct ebpf_kval *v)
{
	switch (v->kind) {
	case EBPF_K_SCALAR:
	case EBPF_K_CTX:
	case EBPF_K_MAP:
	case EBPF_K_MAP_VALUE:
		return *v;
	default:
		return kv(EBPF_K_UNKNOWN);
	}
}

/* A bpf-to-bpf call's callee at insn @t starts from @st's arguments (a fresh frame). */
static void flow_call(struct kenv *env, const struct kstate *st, s64 t)
{
	struct kstate *callee = &env->edge;
	u32 k;

	if (t < 0 || t >= env->prog->len)
		return;
	entry_state(callee, false);
	for (k = 1; k <= 5; k++)
		callee->r[k] = frame_arg(&st->r[k]);
	flow_to(env, callee, (u32)t);
}

static void step_call(struct kenv *env, struct kstate *st, const struct ebpf_insn *in, u32 i)
{
	const struct ebpf_prog *prog = env->prog;
	const struct ebpf_helper *h = NULL;
	const struct ebpf_kval *map = NULL, *size;
	bool stack_arg = false, callback = false;
	u32 k;

	for (k = 1; k <= 5; k++)
		stack_arg |= may_be_stack(&st->r[k]);
	if (EBPF_INSN_SRC(in) == EBPF_PSEUDO_CALL) {
		flow_call(env, st, (s64)i + in->imm + 1);
		/* the callee sees r1..r9 and may spill pointers through any of them */
		for (k = 6; k <= 9; k++)
			stack_arg |= may_be_stack(&st->r[k]);
		if (stack_arg)
			slots_may_hold(st, kv(EBPF_K_UNKNOWN));
		st->r[0] = kv(EBPF_K_UNKNOWN);
		goto clobber;
	}
	if (prog->helpers && (u32)in->imm < prog->nr_helpers)
		h = &prog->helpers[in->imm];
	for (k = 0; h && k < 5; k++) {
		if (h->args[k] == EBPF_ARG_CONST_MAP_PTR)
			map = &st->r[k + 1];
		callback |= h->args[k] == EBPF_ARG_PTR_TO_FUNC;
	}
	if (callback) {
		/* callbacks run in the next frame, with this one's r6..r9 in reach */
		for (k = 6; k <= 9; k++)
			stack_arg |= may_be_stack(&st->r[k]);
		if (stack_arg)
			slots_may_hold(st, kv(EBPF_K_UNKNOWN));
	} else if (stack_arg) {
		helper_writes_stack(st, h);
	}
	if (h && ebpf_helper_releases_mem(h))
		release_mem(st);	/* the record it submits (the others, to be sure) */
	size = h && h->ret_size_arg >= 1 && h->ret_size_arg <= 5 ? &st->r[h->ret_size_arg] : NULL;
	if (!h || h->ret == EBPF_RET_INTEGER || h->ret == EBPF_RET_VOID) {
		st->r[0] = kv(EBPF_K_SCALAR);
	} else if (h->ret == EBPF_RET_MEM_OR_NULL && size && size->kind == EBPF_K_SCALAR &&
		   (size->flags & EBPF_KF_CONST) && size->val && size->val < EBPF_MAX_VAR_SIZE) {
		st->r[0] = kv(EBPF_K_MEM_OR_NULL);
		st->r[0].val = size->val;
		st->r[0].id = i + 1;
	} else if (h->ret == EBPF_RET_MAP_VALUE_OR_NULL && map && map->kind == EBPF_K_MAP &&
		   map->map < prog->nr_maps && !prog->maps[map->map].values_are_maps) {
		st->r[0] = kv(EBPF_K_MAP_VALUE_OR_NULL);
		st->r[0].map = map->map;
		st->r[0].id = i + 1;
	} else {
		st->r[0] = kv(EBPF_K_UNKNOWN);
	}
clobber:
	for (k = 1; k <= 5; k++)
		st->r[k] = kconst(0);
}

static void step_ld(struct kstate *st, const struct ebpf_insn *in, u32 i)
{
	u32 dst = EBPF_INSN_DST(in), k;

	if (EBPF_MODE(in->code) != EBPF_IMM) {	/* LD_ABS / LD_IND: a call, in effect */
		st->r[0] = kv(EBPF_K_SCALAR);
		for (k = 1; k <= 5; k++)
			st->r[k] = kv(EBPF_K_SCALAR);
		return;
	}
	switch (EBPF_INSN_SRC(in)) {
	case EBPF_PSEUDO_MAP_FD:
		st->r[dst] = kv(EBPF_K_MAP);
		st->r[dst].map = (u16)in->imm;
		if ((u32)in->imm > 0xffff)
			st->r[dst] = kv(EBPF_K_UNKNOWN);
		break;
	case EBPF_PSEUDO_MAP_VALUE:
		st->r[dst] = kv(EBPF_K_MAP_VALUE);
		st->r[dst].map = (u16)in->imm;
		st->r[dst].flags = EBPF_KF_DIRECT;
		st->r[dst].off = (s32)(u32)in[1].imm;
		if ((u32)in->imm > 0xffff || st->r[dst].off < 0)
			st->r[dst] = kv(EBPF_K_UNKNOWN);
		break;
	case EBPF_PSEUDO_FUNC:
		st->r[dst] = kv(EBPF_K_FUNC);
		st->r[dst].val = (u64)((s64)i + in->imm + 1);
		break;
	default:
		st->r[dst] = kconst((u64)(u32)in->imm | ((u64)(u32)in[1].imm << 32));
	}
}

/* Everything that held call @id's pointer-or-null: the outcome of its null check. */
static void settle_lookup(struct kstate *st, u32 id, bool null)
{
	u32 k;

	for (k = 0; k < EBPF_NR_REGS + SLOTS; k++) {
		struct ebpf_kval *v = k < EBPF_NR_REGS ? &st->r[k] : &st->slot[k - EBPF_NR_REGS];

		if (!nonnull_of(v->kind) || v->id != id)
			continue;
		if (null) {
			*v = kconst(0);
		} else {
			v->kind = nonnull_of(v->kind);
			v->id = 0;
		}
	}
}

/* @v is at most @max on this edge (a number's bound from a comparison). */
static void bound_to(struct ebpf_kval *v, u64 max)
{
	if (max != KMAX_NONE && v->kind == EBPF_K_SCALAR && !(v->flags & EBPF_KF_CONST))
		*v = kbounded(kmin(kmax(v), max));
}

/*
 * An unsigned 64-bit comparison of a number with the constant @c (@c on the left
 * when @c_left): the number's bound on the edge taken and on the other.
 */
static void compare_bounds(u8 op, u64 c, bool c_left, u64 *taken, u64 *not_taken)
{
	static const u8 mirror[16] = { [EBPF_JGT >> 4] = EBPF_JLT, [EBPF_JLT >> 4] = EBPF_JGT,
				       [EBPF_JGE >> 4] = EBPF_JLE, [EBPF_JLE >> 4] = EBPF_JGE };

	*taken = KMAX_NONE;
	*not_taken = KMAX_NONE;
	switch (c_left ? mirror[op >> 4] : op) {
	case EBPF_JGT:		/* n > c fails: n <= c */
		*not_taken = c;
		break;
	case EBPF_JGE:		/* n >= c fails: n < c */
		if (c)
			*not_taken = c - 1;
		break;
	case EBPF_JLT:
		if (c)
			*taken = c - 1;
		break;
	case EBPF_JLE:
		*taken = c;
		break;
	}
}

/*
 * A 64-bit unsigned comparison of a number with a constant bounds the number on each
 * edge (a histogram slot's clamp): false for any other jump.
 */
static bool branch_bounds(struct kenv *env, const struct ebpf_insn *in, u32 i)
{
	struct kstate *st = &env->cur;
	u32 dst = EBPF_INSN_DST(in), src = EBPF_INSN_SRC(in), reg;
	const struct ebpf_kval *d = &st->r[dst], *sv = &st->r[src];
	u8 op = EBPF_OP(in->code);
	bool x = EBPF_SRC(in->code) == EBPF_X, c_left = false;
	u64 c, taken, not_taken;
	s64 target = 0;

	if (EBPF_CLASS(in->code) != EBPF_JMP ||
	    (op != EBPF_JGT && op != EBPF_JGE && op != EBPF_JLT && op != EBPF_JLE))
		return false;
	if (!x) {
		reg = dst;
		c = (u64)(s64)in->imm;
	} else if (sv->kind == EBPF_K_SCALAR && (sv->flags & EBPF_KF_CONST)) {
		reg = dst;
		c = sv->val;
	} else if (d->kind == EBPF_K_SCALAR && (d->flags & EBPF_KF_CONST)) {
		reg = src;
		c = d->val;
		c_left = true;
	} else {
		return false;
	}
	compare_bounds(op, c, c_left, &taken, &not_taken);
	ebpf_jump_target(in, i, &target);
	memcpy(&env->edge, st, sizeof(*st));
	bound_to(&env->edge.r[reg], taken);
	bound_to(&st->r[reg], not_taken);
	flow_to(env, &env->edge, (u32)target);
	flow_to(env, st, i + 1);
	return true;
}

/*
 * A conditional jump: the state on each edge. A 64-bit (in)equality of a lookup's or a
 * reserve's result with 0 tells the two outcomes apart, as the verifier's
 * mark_ptr_or_null_regs.
 */
static void step_branch(struct kenv *env, const struct ebpf_insn *in, u32 i)
{
	struct kstate *st = &env->cur;
	const struct ebpf_kval *d = &st->r[EBPF_INSN_DST(in)];
	u8 op = EBPF_OP(in->code);
	bool zero = EBPF_SRC(in->code) == EBPF_K ? in->imm == 0 : is_const(&st->r[EBPF_INSN_SRC(in)], 0);
	u32 id = d->id;
	s64 target = 0;

	if (branch_bounds(env, in, i))
		return;
	ebpf_jump_target(in, i, &target);
	if (EBPF_CLASS(in->code) != EBPF_JMP || (op != EBPF_JEQ && op != EBPF_JNE) || !zero ||
	    !nonnull_of(d->kind) || !id) {
		flow_to(env, st, (u32)target);
		flow_to(env, st, i + 1);
		return;
	}
	memcpy(&env->edge, st, sizeof(*st));
	settle_lookup(&env->edge, id, op == EBPF_JEQ);
	settle_lookup(st, id, op != EBPF_JEQ);
	flow_to(env, &env->edge, (u32)target);
	flow_to(env, st, i + 1);
}

/* Walks the block at @start from its entry state to its end. */
static void walk_block(struct kenv *env, u32 start)
{
	const struct ebpf_insn *insns = env->prog->insns;
	struct kstate *st = &env->cur;
	u32 i = start, len = env->prog->len;
	s64 t;

	memcpy(st, &env->entry[env->block[start]], sizeof(*st));
	for (;;) {
		const struct ebpf_insn *in = &insns[i];
		u8 cls = EBPF_CLASS(in->code), op = EBPF_OP(in->code);

		memcpy(env->out[i].r, st->r, sizeof(st->r));
		switch (cls) {
		case EBPF_ALU64:
			step_alu64(st, in);
			break;
		case EBPF_ALU:
			step_alu32(st, in);
			break;
		case EBPF_LDX:
			step_ldx(env, st, in);
			break;
		case EBPF_ST:
			stack_written(st, &st->r[EBPF_INSN_DST(in)], in->off, ebpf_size_bytes(in->code));
			break;
		case EBPF_STX:
			step_stx(st, in);
			break;
		case EBPF_LD:
			step_ld(st, in, i);
			break;
		default:	/* JMP, JMP32 */
			if (op == EBPF_EXIT)
				return;
			if (op == EBPF_JA) {
				ebpf_jump_target(in, i, &t);
				flow_to(env, st, (u32)t);	/* out of range: ignored */
				return;
			}
			if (op != EBPF_CALL) {
				step_branch(env, in, i);
				return;
			}
			step_call(env, st, in, i);
		}
		i += in->code == (EBPF_LD | EBPF_IMM | EBPF_DW) ? 2 : 1;
		if (i >= len)
			return;		/* ebpf_check() refuses falling off the end */
		if (env->flags[i] & KF_LEADER) {
			flow_to(env, st, i);
			return;
		}
	}
}

/*
 * Entries, block leaders and ld_imm64 halves: the number of blocks, or 0 for what no
 * checked program has (a register past r10, an ld_imm64 cut off at the end), which
 * the walk could not hold in its arrays.
 */
static u32 mark_blocks(struct kenv *env)
{
	const struct ebpf_insn *insns = env->prog->insns;
	u32 len = env->prog->len, i, n = 0;
	s64 t;

	env->flags[0] |= KF_ENTRY | KF_LEADER;
	for (i = 0; i < len; i++) {
		const struct ebpf_insn *in = &insns[i];
		u8 cls = EBPF_CLASS(in->code), op = EBPF_OP(in->code);

		if (EBPF_INSN_DST(in) >= EBPF_NR_REGS || EBPF_INSN_SRC(in) >= EBPF_NR_REGS)
			return 0;
		if (in->code == (EBPF_LD | EBPF_IMM | EBPF_DW)) {
			if (i + 1 >= len)
				return 0;
			env->flags[i + 1] |= KF_LD2;
			t = (s64)i + in->imm + 1;
			if (EBPF_INSN_SRC(in) == EBPF_PSEUDO_FUNC && t >= 0 && t < len)
				env->flags[t] |= KF_ENTRY | KF_LEADER | KF_CALLBACK;
			i++;
			continue;
		}
		if (cls != EBPF_JMP && cls != EBPF_JMP32)
			continue;
		if (op == EBPF_CALL) {
			t = (s64)i + in->imm + 1;
			if (EBPF_INSN_SRC(in) == EBPF_PSEUDO_CALL && t >= 0 && t < len)
				env->flags[t] |= KF_ENTRY | KF_LEADER;
			continue;
		}
		if (!ebpf_jump_target(in, i, &t))
			continue;	/* an exit */
		if (t >= 0 && t < len)
			env->flags[t] |= KF_LEADER;
		if (op != EBPF_JA && i + 1 < len)
			env->flags[i + 1] |= KF_LEADER;
	}
	for (i = 0; i < len; i++)
		if ((env->flags[i] & KF_LEADER) && !(env->flags[i] & KF_LD2))
			env->block[i] = n++;
		else
			env->flags[i] &= ~KF_LEADER;
	return n;
}

int ebpf_kinds(const struct ebpf_prog *prog, struct ebpf_kregs **out)
{
	struct kenv *env;
	u32 len = prog->len, i, nr_blocks;
	int err = 0;

	*out = NULL;
	if (!len || len > EBPF_KINDS_MAX_INSNS)
		return -E2BIG;
	env = EBPF_ZALLOC(sizeof(*env));
	if (!env)
		return -ENOMEM;
	env->prog = prog;
	env->out = EBPF_ZALLOC((size_t)len * sizeof(*env->out));
	env->flags = EBPF_ZALLOC(len);
	env->block = EBPF_ZALLOC((size_t)len * sizeof(u32));
	if (!env->out || !env->flags || !env->block) {
		err = -ENOMEM;
		goto out;
	}
	nr_blocks = mark_blocks(env);
	if (!nr_blocks) {
		err = -EINVAL;
		goto out;
	}
	env->entry = EBPF_ZALLOC((size_t)nr_blocks * sizeof(*env->entry));
	env->reached = EBPF_ZALLOC(nr_blocks);
	env->queued = EBPF_ZALLOC(nr_blocks);
	env->grown = EBPF_ZALLOC(nr_blocks);
	env->work = EBPF_ZALLOC((size_t)nr_blocks * sizeof(u32));
	if (!env->entry || !env->reached || !env->queued || !env->grown || !env->work) {
		err = -ENOMEM;
		goto out;
	}
	/* a bpf-to-bpf callee's entry comes from its calls; a callback's is unknown */
	for (i = 0; i < len; i++) {
		if (i && !(env->flags[i] & KF_CALLBACK))
			continue;
		entry_state(&env->cur, i == 0);
		flow_to(env, &env->cur, i);
	}
	while (env->nr_work) {
		i = env->work[--env->nr_work];
		env->queued[env->block[i]] = 0;
		walk_block(env, i);
	}
	*out = env->out;
	env->out = NULL;
out:
	EBPF_FREE(env->out);
	EBPF_FREE(env->flags);
	EBPF_FREE(env->block);
	EBPF_FREE(env->entry);
	EBPF_FREE(env->reached);
	EBPF_FREE(env->queued);
	EBPF_FREE(env->grown);
	EBPF_FREE(env->work);
	EBPF_FREE(env);
	return err;
}
