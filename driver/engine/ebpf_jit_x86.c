// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpf_jit_x86.c - x86-64 code for the programs the static kinds prove (ebpf_jit_x86()
 * in ebpf_engine.h).
 *
 * No run-time tags at all: only programs every one of whose loads and stores has a
 * region ebpf_kinds() knows (the stack, the context, a map's direct value, a lookup's
 * value or a helper's memory after its null check): at a constant offset checked
 * against the region's size once, at compile time; at an offset the facts leave open,
 * by the code (where the region's start is the code's to know: not yet for a lookup's
 * value or a helper's memory).
 * - A helper call passes its arguments with the tags their kinds stand for to the
 *   interpreter's own checks (ebpf_jit_helper()); a tail call ends the code and the
 *   interpreter goes on.
 * - A load through a number (a BTF-typed program's kernel pointer, Linux's PROBE_MEM)
 *   calls the interpreter's fault-tolerant read.
 * - A bpf-to-bpf call is a native call one frame deeper, the callee's stack the next
 *   one in the scratch as in the interpreter. rbp stays the main program's frame, so
 *   an error anywhere leaves through the main epilogue.
 * - Loops pay the budget by the back edge and calls by the callee's length, so every
 *   run ends.
 * Anything else is refused with the reason, and the interpreter runs the program:
 * callbacks, packet loads, load-acquire / store-release, other addresses (e.g. through
 * a subprogram's arguments, whose kinds the callee does not know), programs that may
 * not leak pointers (their rules need tags).
 *
 * Registers as Linux's JIT maps them, but for r10: the frame is the interpreter's (in
 * the run's scratch, not on the kernel stack), so r10 lives in r12, and rbp stays a
 * true frame pointer (a stack walk from a helper, e.g. bpf_get_stackid under a
 * frame-pointer unwinder, passes through the code's frame). The run is kept in that
 * frame; x86 r10 and r11 are scratch. Every jump to another instruction is a rel32, so
 * a first pass that only measures gives each instruction its final offset.
 */
#include "ebpf_jit.h"
#include "ebpf_insn.h"

#define X_RAX	0
#define X_RCX	1
#define X_RDX	2
#define X_RBX	3
#define X_RSP	4
#define X_RBP	5
#define X_RSI	6
#define X_RDI	7
#define X_AUX	10
#define X_TMP	11
#define X_R12	12

/* BPF register -> x86 register */
static const u8 xreg[EBPF_NR_REGS] = { X_RAX, X_RDI, X_RSI, X_RDX, X_RCX, 8, X_RBX, 13, 14, 15, X_R12 };

/* Where the prologue keeps the run: below the saved rbx, r12..r15 */
#define RUN_SLOT	(-48)

struct jit {
	const struct ebpf_prog *prog;
	const struct ebpf_kregs *k;
	struct ebpf_log *log;
	u8 *buf;		/* NULL: measure only */
	u32 size, len;
	u32 *at;		/* per insn: where its code starts */
	/* per insn: a subprogram's length where one starts (a bpf-to-bpf call's target) */
	u32 *sub_len;
	u32 *sub_at;		/* per insn: where such a subprogram's prologue starts */
	bool in_sub;		/* emitting a subprogram: its exit returns to its caller */
	u32 exit_at;		/* the epilogue */
	u32 sub_exit_at;	/* a subprogram's epilogue */
	/* the ways out of a run that ends in an error: -EFAULT, or run->error already set */
	u32 fault_at, failed_at;
	u32 calls_at;		/* the call sites' descriptors (after the code, 8-aligned) */
	u32 nr_calls;
};

static void emit1(struct jit *j, u8 b)
{
	if (j->buf && j->len < j->size)
		j->buf[j->len] = b;
	j->len++;
}

static void emit4(struct jit *j, u32 v)
{
	emit1(j, (u8)v);
	emit1(j, (u8)(v >> 8));
	emit1(j, (u8)(v >> 16));
	emit1(j, (u8)(v >> 24));
}

static bool is_s8(s64 v)
{
	return v >= -128 && v <= 127;
}

/* REX for a 64-bit (@w) operation of @reg (ModRM.reg) on @rm; @force for byte regs. */
static void rex(struct jit *j, bool w, u8 reg, u8 rm, bool force)
{
	u8 r = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((rm & 8) ? 1 : 0);

	if (r != 0x40 || force)
		emit1(j, r);
}

static void modrm_reg(struct jit *j, u8 reg, u8 rm)
{
	emit1(j, 0xc0 | ((reg & 7) << 3) | (rm & 7));
}

/* [base + disp32] */
static void modrm_mem(struct jit *j, u8 reg, u8 base, s32 disp)
{
	emit1(j, 0x80 | ((reg & 7) << 3) | (base & 7));
	if ((base & 7) == X_RSP)
		emit1(j, 0x24);		/* SIB: no index (rsp, r12) */
	emit4(j, (u32)disp);
}

/* op r/m(@dst), reg(@src): add 01, or 09, and 21, sub 29, xor 31, cmp 39, mov 89, test 85 */
static void op_rr(struct jit *j, bool w, u8 opc, u8 dst, u8 src)
{
	rex(j, w, src, dst, false);
	emit1(j, opc);
	modrm_reg(j, src, dst);
}

/* op r/m(@dst), imm: 81 / 83 /digit */
static void op_ri(struct jit *j, bool w, u8 digit, u8 dst, s32 imm)
{
	rex(j, w, 0, dst, false);
	if (is_s8(imm)) {
		emit1(j, 0x83);
		modrm_reg(j, digit, dst);
		emit1(j, (u8)imm);
	} else {
		emit1(j, 0x81);
		modrm_reg(j, digit, dst);
		emit4(j, (u32)imm);
	}
}

/* dst = imm: 64-bit (sign-extended imm32 or a full imm64) or 32-bit (zero-extended) */
static void mov_ri(struct jit *j, bool w, u8 dst, u64 imm)
{
	if (w && (s64)imm == (s32)imm) {
		rex(j, true, 0, dst, false);
		emit1(j, 0xc7);
		modrm_reg(j, 0, dst);
		emit4(j, (u32)imm);
	} else if (!w || imm == (u32)imm) {
		rex(j, false, 0, dst, false);
		emit1(j, 0xb8 | (dst & 7));
		emit4(j, (u32)imm);
	} else {
		rex(j, true, 0, dst, false);
		emit1(j, 0xb8 | (dst & 7));
		emit4(j, (u32)imm);
		emit4(j, (u32)(imm >> 32));
	}
}

/* A one-byte-opcode operation reg <- r/m (movsxd 63) */
static void op_reg_rm(struct jit *j, bool w, u8 opc, u8 reg, u8 rm)
{
	rex(j, w, reg, rm, false);
	emit1(j, opc);
	modrm_reg(j, reg, rm);
}

/* A two-byte-opcode (0F xx) operation reg <- r/m */
static void op0f_rr(struct jit *j, bool w, u8 opc, u8 reg, u8 rm, bool force)
{
	rex(j, w, reg, rm, force);
	emit1(j, 0x0f);
	emit1(j, opc);
	modrm_reg(j, reg, rm);
}

/* A forward jump over code to come: returns where to patch its rel8. */
static u32 jcc8(struct jit *j, u8 cc)
{
	emit1(j, cc == 0xeb ? 0xeb : (u8)(0x70 | cc));
	emit1(j, 0);
	return j->len;
}

static void land8(struct jit *j, u32 from)
{
	if (j->buf && from - 1 < j->size)
		j->buf[from - 1] = (u8)(j->len - from);
}

/* jmp / jcc (@cc, 0xff: always) to offset @to */
static void jump32(struct jit *j, u8 cc, u32 to)
{
	if (cc == 0xff) {
		emit1(j, 0xe9);
		emit4(j, to - (j->len + 4));
	} else {
		emit1(j, 0x0f);
		emit1(j, 0x80 | cc);
		emit4(j, to - (j->len + 4));
	}
}

#define CC_B	0x2
#define CC_AE	0x3
#define CC_E	0x4
#define CC_NE	0x5
#define CC_BE	0x6
#define CC_A	0x7
#define CC_L	0xc
#define CC_GE	0xd
#define CC_LE	0xe
#define CC_G	0xf
#define JMP8	0xeb

static int EBPF_PRINTF(3, 4) refuse(struct jit *j, u32 i, const char *fmt, ...)
{
	va_list ap;
	char why[96];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	ebpf_logf(j->log, "jit: insn %u (code %02x): %s\n", i, j->prog->insns[i].code, why);
	return -EOPNOTSUPP;
}

/*
 * May the access of @size bytes at insn @i through register @r be compiled: 0 when its
 * address is proven inside its region (a constant offset, or every offset of a bounded
 * range), 1 when the region is known but nothing bounds the offset (the code checks
 * it: emit_bounds_check), or -EOPNOTSUPP. *@room is the region's size.
 */
static int access_ok(struct jit *j, u32 i, u32 r, u32 size, bool write, u32 *room)
{
	const struct ebpf_prog *prog = j->prog;
	const struct ebpf_kval *v = &j->k[i].r[r];
	const struct ebpf_map_ref *m;
	bool bounded = !(v->flags & EBPF_KF_VAR_OFF) || (v->flags & EBPF_KF_BOUNDED);
	s64 at = (s64)v->off + prog->insns[i].off, last;

	switch (v->kind) {
	case EBPF_K_STACK:
		at += EBPF_STACK_SIZE;
		*room = EBPF_STACK_SIZE;
		break;
	case EBPF_K_CTX:
		if (ebpf_ctx_ops(prog))
			return refuse(j, i, "a context with access rules");
		if (write && !prog->ctx_writable)
			return refuse(j, i, "a write to a read-only context");
		*room = prog->ctx_size;
		break;
	case EBPF_K_MAP_VALUE:
		if (v->map >= prog->nr_maps)
			return refuse(j, i, "no map %u", v->map);
		m = &prog->maps[v->map];
		if ((write && m->value_readonly) || (!write && m->value_writeonly))
			return refuse(j, i, "map %u's flags forbid it", v->map);
		if (!(v->flags & EBPF_KF_DIRECT)) {
			/* a lookup's value: where it starts is the code's to know, not yet */
			if (!bounded)
				return refuse(j, i, "a lookup's value at an unknown offset");
			*room = m->value_size;
			break;
		}
		if (!m->value_base)
			return refuse(j, i, "map %u has no direct value", v->map);
		*room = m->value_region_size;
		break;
	case EBPF_K_MEM:
		/* memory a helper handed out: writable (the engine's contract), val bytes */
		if (!bounded)
			return refuse(j, i, "a helper's memory at an unknown offset");
		*room = (u32)v->val;
		break;
	default:
		return refuse(j, i, "r%u is not a known region (kind %u)", r, v->kind);
	}
	if (size > *room)
		return refuse(j, i, "larger than r%u's region", r);
	last = at + ((v->flags & EBPF_KF_VAR_OFF) ? v->range : 0);
	if (bounded && at >= 0 && last + size <= *room)
		return 0;
	/*
	 * Offsets that may fall outside: checked by the code where it knows the region's
	 * start (the frame, the context, a direct value), refused where it does not.
	 */
	if (!(v->flags & EBPF_KF_VAR_OFF) || v->kind == EBPF_K_MEM ||
	    (v->kind == EBPF_K_MAP_VALUE && !(v->flags & EBPF_KF_DIRECT)))
		return refuse(j, i, "outside r%u's region", r);
	return 1;
}

/* @reg = the run (kept in the frame by the prologue) */
static void load_run(struct jit *j, u8 reg)
{
	rex(j, true, reg, X_RBP, false);
	emit1(j, 0x8b);
	modrm_mem(j, reg, X_RBP, RUN_SLOT);
}

/* A run that ends in @at's error at insn @i. */
static void abort_run(struct jit *j, u32 i, u32 at)
{
	load_run(j, X_TMP);
	rex(j, false, 0, X_TMP, false);
	emit1(j, 0xc7);
	modrm_mem(j, 0, X_TMP, offsetof(struct ebpf_run, error_pc));
	emit4(j, i);
	jump32(j, 0xff, at);
}

/*
 * An address the facts leave open: [reg + off, + size) must lie in the region of reg's
 * kind, whose start the code knows (the frame, the context it was called with, a
 * map's direct value), or the run ends with -EFAULT as the interpreter's would.
 */
static void emit_bounds_check(struct jit *j, u32 i, u32 r, u32 size, u32 room)
{
	const struct ebpf_kval *v = &j->k[i].r[r];
	u8 reg = xreg[r];
	u32 inside;

	/* r11 = the address, r10 = the region's start */
	rex(j, true, X_TMP, reg, false);
	emit1(j, 0x8d);
	modrm_mem(j, X_TMP, reg, j->prog->insns[i].off);	/* lea */
	if (v->kind == EBPF_K_STACK) {
		rex(j, true, X_AUX, X_R12, false);
		emit1(j, 0x8d);
		modrm_mem(j, X_AUX, X_R12, -EBPF_STACK_SIZE);
	} else if (v->kind == EBPF_K_CTX) {
		load_run(j, X_AUX);
		rex(j, true, X_AUX, X_AUX, false);
		emit1(j, 0x8b);
		modrm_mem(j, X_AUX, X_AUX, offsetof(struct ebpf_run, ctx));
	} else {
		mov_ri(j, true, X_AUX, (u64)(unsigned long)j->prog->maps[v->map].value_base);
	}
	op_rr(j, true, 0x29, X_TMP, X_AUX);		/* r11 = offset into the region */
	mov_ri(j, true, X_AUX, room - size);
	op_rr(j, true, 0x39, X_TMP, X_AUX);		/* cmp r11, room - size */
	inside = jcc8(j, CC_BE);
	abort_run(j, i, j->fault_at);
	land8(j, inside);
}

static void emit_mem(struct jit *j, const struct ebpf_insn *in)
{
	u8 cls = EBPF_CLASS(in->code), sz = EBPF_SIZE(in->code);
	u8 dst = xreg[EBPF_INSN_DST(in)], src = xreg[EBPF_INSN_SRC(in)];
	bool sx = EBPF_MODE(in->code) == EBPF_MEMSX;

	if (cls == EBPF_LDX) {
		if (sz == EBPF_DW || (sz == EBPF_W && !sx)) {
			rex(j, sz == EBPF_DW, dst, src, false);
			emit1(j, 0x8b);
		} else if (sz == EBPF_W) {
			rex(j, true, dst, src, false);
			emit1(j, 0x63);			/* movsxd */
		} else {
			rex(j, sx, dst, src, false);
			emit1(j, 0x0f);
			emit1(j, (sz == EBPF_B ? 0xb6 : 0xb7) | (sx ? 0x08 : 0));
		}
		modrm_mem(j, dst, src, in->off);
		return;
	}
	if (sz == EBPF_H)
		emit1(j, 0x66);
	if (cls == EBPF_STX) {
		rex(j, sz == EBPF_DW, src, dst, sz == EBPF_B);
		emit1(j, sz == EBPF_B ? 0x88 : 0x89);
		modrm_mem(j, src, dst, in->off);
		return;
	}
	rex(j, sz == EBPF_DW, 0, dst, false);
	emit1(j, sz == EBPF_B ? 0xc6 : 0xc7);
	modrm_mem(j, 0, dst, in->off);
	if (sz == EBPF_B) {
		emit1(j, (u8)in->imm);
	} else if (sz == EBPF_H) {
		emit1(j, (u8)in->imm);
		emit1(j, (u8)(in->imm >> 8));
	} else
		emit4(j, (u32)in->imm);
}

/* lock-prefixed op [r11], @reg: add 01, or 09, and 21, xor 31; 0F C1 xadd, 0F B1 cmpxchg */
static void locked_op(struct jit *j, bool w, bool two_byte, u8 opc, u8 reg)
{
	emit1(j, 0xf0);
	rex(j, w, reg, X_TMP, false);
	if (two_byte)
		emit1(j, 0x0f);
	emit1(j, opc);
	modrm_mem(j, reg, X_TMP, 0);
}

/* [r11] with r/m = [r11 + 0] */
static void mem_r11(struct jit *j, bool w, u8 opc, u8 reg)
{
	rex(j, w, reg, X_TMP, false);
	emit1(j, opc);
	modrm_mem(j, reg, X_TMP, 0);
}

/*
 * BPF_ATOMIC read-modify-write at dst + off (its region already proven or checked):
 * misaligned ends the run with -EFAULT as in the interpreter, then the x86 locked
 * instruction, or a cmpxchg loop for the fetching and / or / xor.
 */
static void emit_atomic(struct jit *j, const struct ebpf_insn *in, u32 i)
{
	bool w = EBPF_SIZE(in->code) == EBPF_DW;
	u8 dst = xreg[EBPF_INSN_DST(in)], src = xreg[EBPF_INSN_SRC(in)];
	u8 op = (u8)(in->imm & ~EBPF_FETCH);
	static const u8 opc[16] = { [EBPF_ADD >> 4] = 0x01, [EBPF_OR >> 4] = 0x09,
				    [EBPF_AND >> 4] = 0x21, [EBPF_XOR >> 4] = 0x31 };
	u32 aligned, again;

	rex(j, true, X_TMP, dst, false);
	emit1(j, 0x8d);
	modrm_mem(j, X_TMP, dst, in->off);		/* lea r11, [dst + off] */
	rex(j, false, 0, X_TMP, false);
	emit1(j, 0xf6);
	modrm_reg(j, 0, X_TMP);
	emit1(j, w ? 7 : 3);				/* test r11b, size - 1 */
	aligned = jcc8(j, CC_E);
	abort_run(j, i, j->fault_at);
	land8(j, aligned);
	if (in->imm == EBPF_XCHG) {
		mem_r11(j, w, 0x87, src);		/* xchg: locked by itself */
		return;
	}
	if (in->imm == EBPF_CMPXCHG) {
		locked_op(j, w, true, 0xb1, src);
		if (!w)
			op_rr(j, false, 0x89, X_RAX, X_RAX);	/* r0 = old, zero-extended */
		return;
	}
	if (!(in->imm & EBPF_FETCH)) {
		locked_op(j, w, false, opc[op >> 4], src);
		return;
	}
	if (op == EBPF_ADD) {
		locked_op(j, w, true, 0xc1, src);	/* xadd: src = old */
		return;
	}
	/* fetch and / or / xor: r10 = old op src until cmpxchg finds old unchanged */
	emit1(j, 0x50);					/* push rax: r0 while rax serves cmpxchg */
	mem_r11(j, w, 0x8b, X_RAX);			/* rax = [r11] */
	again = j->len;
	op_rr(j, w, 0x89, X_AUX, X_RAX);
	if (src == X_RAX) {				/* the operand is r0, saved */
		rex(j, w, X_AUX, X_RSP, false);
		emit1(j, (u8)(opc[op >> 4] + 2));	/* op r10, [rsp] */
		modrm_mem(j, X_AUX, X_RSP, 0);
	} else {
		op_rr(j, w, opc[op >> 4], X_AUX, src);
	}
	locked_op(j, w, true, 0xb1, X_AUX);
	emit1(j, 0x75);					/* jne again */
	emit1(j, (u8)(again - (j->len + 1)));
	op_rr(j, w, 0x89, src, X_RAX);			/* src = old */
	if (src != X_RAX)
		emit1(j, 0x58);				/* pop rax */
	else
		op_ri(j, true, 0, X_RSP, 8);		/* add rsp, 8: r0 is the old value */
}

/* dst = dst / src or dst % src with the engine's rules for 0 and signed -1 */
static void emit_divmod(struct jit *j, const struct ebpf_insn *in, bool w)
{
	u8 dst = xreg[EBPF_INSN_DST(in)];
	bool mod = EBPF_OP(in->code) == EBPF_MOD, sgn = in->off == 1;
	u32 nonzero, normal = 0, done1, done2 = 0;

	if (EBPF_SRC(in->code) == EBPF_X)
		op_rr(j, w, 0x89, X_TMP, xreg[EBPF_INSN_SRC(in)]);
	else
		mov_ri(j, w, X_TMP, w ? (u64)(s64)in->imm : (u32)in->imm);
	op_rr(j, w, 0x85, X_TMP, X_TMP);
	nonzero = jcc8(j, CC_NE);
	if (mod)
		op_rr(j, w, 0x89, dst, dst);	/* x % 0 = x (32-bit: zero-extended) */
	else
		op_rr(j, false, 0x31, dst, dst);	/* x / 0 = 0 */
	done1 = jcc8(j, JMP8);
	land8(j, nonzero);
	if (sgn) {
		op_ri(j, w, 7, X_TMP, -1);		/* cmp tmp, -1: idiv would trap on MIN / -1 */
		normal = jcc8(j, CC_NE);
		if (mod) {
			op_rr(j, false, 0x31, dst, dst);
		} else {
			rex(j, w, 0, dst, false);
			emit1(j, 0xf7);
			modrm_reg(j, 3, dst);		/* neg */
		}
		done2 = jcc8(j, JMP8);
		land8(j, normal);
	}
	emit1(j, 0x50);				/* push rax */
	emit1(j, 0x52);				/* push rdx */
	op_rr(j, w, 0x89, X_RAX, dst);
	if (sgn) {
		if (w)
			emit1(j, 0x48);
		emit1(j, 0x99);			/* cqo / cdq */
	} else {
		op_rr(j, false, 0x31, X_RDX, X_RDX);
	}
	rex(j, w, 0, X_TMP, false);
	emit1(j, 0xf7);
	modrm_reg(j, sgn ? 7 : 6, X_TMP);	/* idiv / div */
	op_rr(j, w, 0x89, X_AUX, mod ? X_RDX : X_RAX);
	emit1(j, 0x5a);				/* pop rdx */
	emit1(j, 0x58);				/* pop rax */
	op_rr(j, w, 0x89, dst, X_AUX);
	land8(j, done1);
	if (sgn)
		land8(j, done2);
}

/* shifts: digit 4 shl, 5 shr, 7 sar */
static void emit_shift(struct jit *j, const struct ebpf_insn *in, bool w, u8 digit)
{
	u8 dst = xreg[EBPF_INSN_DST(in)], src = xreg[EBPF_INSN_SRC(in)];

	if (EBPF_SRC(in->code) == EBPF_K) {
		rex(j, w, 0, dst, false);
		emit1(j, 0xc1);
		modrm_reg(j, digit, dst);
		emit1(j, (u8)(in->imm & (w ? 63 : 31)));
		return;
	}
	if (src == X_RCX) {
		rex(j, w, 0, dst, false);
		emit1(j, 0xd3);
		modrm_reg(j, digit, dst);
		return;
	}
	/* the count must be in cl, which holds r4 */
	op_rr(j, true, 0x89, X_TMP, X_RCX);
	op_rr(j, true, 0x89, X_RCX, src);
	rex(j, w, 0, dst == X_RCX ? X_TMP : dst, false);
	emit1(j, 0xd3);
	modrm_reg(j, digit, dst == X_RCX ? X_TMP : dst);
	op_rr(j, true, 0x89, X_RCX, X_TMP);	/* r4 back, or r4 the result */
}

static void emit_bswap(struct jit *j, u8 dst, s32 width)
{
	if (width == 16) {
		emit1(j, 0x66);
		rex(j, false, 0, dst, false);
		emit1(j, 0xc1);
		modrm_reg(j, 1, dst);		/* ror r16, 8 */
		emit1(j, 8);
		op0f_rr(j, false, 0xb7, dst, dst, false);	/* movzx r32, r16 */
		return;
	}
	rex(j, width == 64, 0, dst, false);
	emit1(j, 0x0f);
	emit1(j, 0xc8 | (dst & 7));
}

static int emit_alu(struct jit *j, const struct ebpf_insn *in, u32 i)
{
	bool w = EBPF_CLASS(in->code) == EBPF_ALU64, x = EBPF_SRC(in->code) == EBPF_X;
	u8 dst = xreg[EBPF_INSN_DST(in)], src = xreg[EBPF_INSN_SRC(in)], op = EBPF_OP(in->code);
	static const u8 rr[16] = { [EBPF_ADD >> 4] = 0x01, [EBPF_SUB >> 4] = 0x29, [EBPF_OR >> 4] = 0x09,
				   [EBPF_AND >> 4] = 0x21, [EBPF_XOR >> 4] = 0x31 };
	static const u8 digit[16] = { [EBPF_ADD >> 4] = 0, [EBPF_SUB >> 4] = 5, [EBPF_OR >> 4] = 1,
				      [EBPF_AND >> 4] = 4, [EBPF_XOR >> 4] = 6 };

	switch (op) {
	case EBPF_ADD:
	case EBPF_SUB:
	case EBPF_OR:
	case EBPF_AND:
	case EBPF_XOR:
		if (x)
			op_rr(j, w, rr[op >> 4], dst, src);
		else
			op_ri(j, w, digit[op >> 4], dst, in->imm);
		return 0;
	case EBPF_MUL:
		if (x) {
			op0f_rr(j, w, 0xaf, dst, src, false);
		} else {
			rex(j, w, dst, dst, false);
			emit1(j, 0x69);
			modrm_reg(j, dst, dst);
			emit4(j, (u32)in->imm);
		}
		return 0;
	case EBPF_DIV:
	case EBPF_MOD:
		emit_divmod(j, in, w);
		return 0;
	case EBPF_LSH:
		emit_shift(j, in, w, 4);
		return 0;
	case EBPF_RSH:
		emit_shift(j, in, w, 5);
		return 0;
	case EBPF_ARSH:
		emit_shift(j, in, w, 7);
		return 0;
	case EBPF_NEG:
		rex(j, w, 0, dst, false);
		emit1(j, 0xf7);
		modrm_reg(j, 3, dst);
		return 0;
	case EBPF_MOV:
		if (!x)
			mov_ri(j, w, dst, w ? (u64)(s64)in->imm : (u32)in->imm);
		else if (!in->off)
			op_rr(j, w, 0x89, dst, src);
		else if (in->off == 32 && w)
			op_reg_rm(j, true, 0x63, dst, src);	/* movsxd */
		else if (in->off == 8 || in->off == 16)
			op0f_rr(j, w, in->off == 8 ? 0xbe : 0xbf, dst, src, in->off == 8);
		else
			return refuse(j, i, "movsx by %d", in->off);
		return 0;
	case EBPF_END:
		if (!w && EBPF_SRC(in->code) == EBPF_TO_LE) {
			/* little-endian host: truncation only */
			if (in->imm == 16)
				op0f_rr(j, false, 0xb7, dst, dst, false);
			else if (in->imm == 32)
				op_rr(j, false, 0x89, dst, dst);
			return 0;
		}
		emit_bswap(j, dst, in->imm);
		return 0;
	default:
		return refuse(j, i, "ALU op %02x", op);
	}
}

static u8 jmp_cc(u8 op)
{
	switch (op) {
	case EBPF_JEQ:
		return CC_E;
	case EBPF_JNE:
	case EBPF_JSET:
		return CC_NE;
	case EBPF_JGT:
		return CC_A;
	case EBPF_JGE:
		return CC_AE;
	case EBPF_JLT:
		return CC_B;
	case EBPF_JLE:
		return CC_BE;
	case EBPF_JSGT:
		return CC_G;
	case EBPF_JSGE:
		return CC_GE;
	case EBPF_JSLT:
		return CC_L;
	default:	/* JSLE */
		return CC_LE;
	}
}

/* The x86 registers that hold r0..r5: a C function called from the code may change them. */
static const u8 caller_saved[] = { X_RAX, X_RDI, X_RSI, X_RDX, X_RCX, 8 };

/* call the C function at @fn (r1..r5 and the run already where it takes them) */
static void call_c(struct jit *j, const void *fn)
{
	mov_ri(j, true, X_TMP, (u64)(unsigned long)fn);
	rex(j, false, 0, X_TMP, false);
	emit1(j, 0xff);
	modrm_reg(j, 2, X_TMP);				/* call r11 */
}

/* push r0..r5 around a call to C: 48 bytes keep rsp 16-aligned */
static void save_caller_saved(struct jit *j)
{
	u32 k;

	for (k = 0; k < sizeof(caller_saved); k++) {
		rex(j, false, 0, caller_saved[k], false);
		emit1(j, 0x50 | (caller_saved[k] & 7));	/* push */
	}
}

static void restore_caller_saved(struct jit *j)
{
	u32 k;

	for (k = sizeof(caller_saved); k-- > 0;) {
		rex(j, false, 0, caller_saved[k], false);
		emit1(j, 0x58 | (caller_saved[k] & 7));	/* pop */
	}
}

/*
 * A load through a number (PROBE_MEM: a BTF-typed program's kernel pointer): the
 * interpreter's fault-tolerant read (0 on a fault), with r0..r5 kept but for dst.
 */
static void emit_probe_load(struct jit *j, const struct ebpf_insn *in)
{
	u8 dst = xreg[EBPF_INSN_DST(in)], src = xreg[EBPF_INSN_SRC(in)];

	rex(j, true, X_TMP, src, false);
	emit1(j, 0x8d);
	modrm_mem(j, X_TMP, src, in->off);		/* lea r11, [src + off] */
	save_caller_saved(j);
	op_rr(j, true, 0x89, X_RDI, X_TMP);
	mov_ri(j, false, X_RSI, ebpf_size_bytes(in->code));
	mov_ri(j, false, X_RDX, EBPF_MODE(in->code) == EBPF_MEMSX);
	load_run(j, X_RCX);
	call_c(j, ebpf_jit_probe_load);
	op_rr(j, true, 0x89, X_TMP, X_RAX);
	restore_caller_saved(j);
	op_rr(j, true, 0x89, dst, X_TMP);
}

/*
 * Insn @i pays @span instructions from run->budget. When the budget in hand is short,
 * ebpf_charge() decides as for a helper's work (the next time slice, or the end of the
 * run with -E2BIG).
 *
 * Code that pays only at back edges and calls still pays for every instruction it
 * runs: a loop's back edge at insn i to insn t pays the loop's length, i - t + 1, at
 * least what the interpreter charges for one turn (a turn that leaves the loop by a
 * forward jump pays at the back edge that ends it, for no more than the program's
 * length in all); a bpf-to-bpf call pays the callee's length, at least what one run
 * through it costs outside its loops.
 */
static void pay_budget(struct jit *j, u32 i, s32 span)
{
	u32 paid, charged;

	load_run(j, X_TMP);
	rex(j, true, 0, X_TMP, false);
	emit1(j, 0x81);
	modrm_mem(j, 5, X_TMP, offsetof(struct ebpf_run, budget));	/* sub [run], span */
	emit4(j, (u32)span);
	paid = jcc8(j, CC_AE);
	rex(j, true, 0, X_TMP, false);
	emit1(j, 0x81);
	modrm_mem(j, 0, X_TMP, offsetof(struct ebpf_run, budget));	/* add it back */
	emit4(j, (u32)span);
	save_caller_saved(j);
	op_rr(j, true, 0x89, X_RDI, X_TMP);		/* the run */
	mov_ri(j, false, X_RSI, (u32)span);
	call_c(j, ebpf_charge);
	op0f_rr(j, false, 0xb6, X_TMP, X_RAX, false);	/* movzx r11d, al */
	restore_caller_saved(j);
	op_rr(j, false, 0x85, X_TMP, X_TMP);
	charged = jcc8(j, CC_NE);
	abort_run(j, i, j->failed_at);			/* ebpf_charge set -E2BIG */
	land8(j, charged);
	land8(j, paid);
}

/* The tag a helper argument's static kind @v stands for: 0, or -EOPNOTSUPP. */
static int call_arg(struct jit *j, u32 i, u32 r, struct ebpf_jit_arg *a)
{
	const struct ebpf_prog *prog = j->prog;
	const struct ebpf_kval *v = &j->k[i].r[r];
	const struct ebpf_map_ref *m = v->map < prog->nr_maps ? &prog->maps[v->map] : NULL;
	bool or_null = v->kind == EBPF_K_MAP_VALUE_OR_NULL || v->kind == EBPF_K_MEM_OR_NULL;

	memset(a, 0, sizeof(*a));
	switch (v->kind) {
	case EBPF_K_SCALAR:
		return 0;
	case EBPF_K_STACK:
		a->from = EBPF_JT_FRAME;
		a->kind = EBPF_PTR_STACK;
		a->size = EBPF_STACK_SIZE;
		a->writable = 1;
		return 0;
	case EBPF_K_CTX:
		a->from = EBPF_JT_CTX;
		return 0;
	case EBPF_K_MAP:
		if (!m)
			break;
		a->from = EBPF_JT_FIXED;
		a->kind = EBPF_PTR_MAP;
		a->at = (u64)(unsigned long)m->map;
		a->size = v->map;
		return 0;
	case EBPF_K_MAP_VALUE:
	case EBPF_K_MAP_VALUE_OR_NULL:
	case EBPF_K_MEM:
	case EBPF_K_MEM_OR_NULL:
		if (v->flags & EBPF_KF_VAR_OFF || (or_null && v->off))
			break;
		a->kind = v->kind <= EBPF_K_MAP_VALUE_OR_NULL ? EBPF_PTR_MAP_VALUE : EBPF_PTR_MEM;
		if (a->kind == EBPF_PTR_MAP_VALUE && !m)
			break;
		/* a helper's memory is writable (the engine's contract), val bytes */
		a->size = a->kind == EBPF_PTR_MEM ? (u32)v->val : m->value_size;
		a->writable = a->kind == EBPF_PTR_MEM || !m->value_readonly;
		if (v->flags & EBPF_KF_DIRECT) {
			a->from = EBPF_JT_FIXED;
			a->at = (u64)(unsigned long)m->value_base;
			a->size = m->value_region_size;
			return 0;
		}
		a->from = or_null ? EBPF_JT_VALUE_OR_NULL : EBPF_JT_VALUE;
		a->at = (u64)(s64)v->off;
		return 0;
	default:
		break;
	}
	return refuse(j, i, "r%u (kind %u) for a helper: its tag is the interpreter's to know", r,
		      v->kind);
}

/*
 * A bpf-to-bpf call at insn @i: the callee's length paid, one frame deeper
 * (ebpf_jit_frame_push: its stack zeroed, or the run ends with -ELOOP), then a direct
 * call of its prologue. It returns with r0 its result and r6..r9 and r10 the caller's;
 * r1..r5 read 0 afterwards, as in the interpreter.
 */
static int emit_subprog_call(struct jit *j, u32 i)
{
	s64 t = (s64)i + j->prog->insns[i].imm + 1;
	u32 pushed, k;

	if (t <= 0 || t >= j->prog->len || !j->sub_len[t])
		return refuse(j, i, "a call to no subprogram");
	pay_budget(j, i, (s32)j->sub_len[t]);
	save_caller_saved(j);
	load_run(j, X_RDI);
	call_c(j, ebpf_jit_frame_push);
	op0f_rr(j, false, 0xb6, X_TMP, X_RAX, false);	/* movzx r11d, al */
	restore_caller_saved(j);
	op_rr(j, false, 0x85, X_TMP, X_TMP);
	pushed = jcc8(j, CC_NE);
	abort_run(j, i, j->failed_at);			/* -ELOOP */
	land8(j, pushed);
	emit1(j, 0xe8);
	emit4(j, j->sub_at[t] - (j->len + 4));		/* call rel32 */
	for (k = 1; k <= 5; k++)
		op_rr(j, false, 0x31, xreg[k], xreg[k]);
	return 0;
}

/*
 * A helper call: r1..r5 are already the C arguments; the run goes in r9 and the call
 * site's descriptor in run->jit_call, for ebpf_jit_helper() to check the arguments as
 * the interpreter does. After it, r1..r5 read 0 as in the interpreter.
 */
static int emit_call(struct jit *j, const struct ebpf_insn *in, u32 i)
{
	const struct ebpf_prog *prog = j->prog;
	const struct ebpf_helper *h = NULL;
	struct ebpf_jit_call c;
	u32 k, desc;
	int err;

	if (EBPF_INSN_SRC(in) == EBPF_PSEUDO_CALL)
		return emit_subprog_call(j, i);
	if (EBPF_INSN_SRC(in))
		return refuse(j, i, "call kind %u", EBPF_INSN_SRC(in));
	memset(&c, 0, sizeof(c));
	c.pc = i;
	c.id = in->imm;
	if (prog->helpers && in->imm >= 0 && (u32)in->imm < prog->nr_helpers && prog->helpers[in->imm].fn)
		h = &prog->helpers[in->imm];
	/* else the interpreter's check ends the run with -EINVAL when the call is reached */
	for (k = 0; h && k < 5; k++) {
		if (h->args[k] == EBPF_ARG_PTR_TO_FUNC)
			return refuse(j, i, "callback helpers are left to the interpreter");
		if (h->args[k] == EBPF_ARG_NONE)
			continue;
		err = call_arg(j, i, k + 1, &c.args[k]);
		if (err)
			return err;
	}
	desc = j->calls_at + j->nr_calls * (u32)sizeof(c);
	if (j->buf && desc + sizeof(c) <= j->size)
		memcpy(j->buf + desc, &c, sizeof(c));
	j->nr_calls++;
	emit1(j, 0x4c);
	emit1(j, 0x8d);
	emit1(j, 0x1d);
	emit4(j, desc - (j->len + 4));			/* lea r11, [rip + descriptor] */
	load_run(j, 9);					/* r9 = run */
	rex(j, true, X_TMP, 9, false);
	emit1(j, 0x89);
	modrm_mem(j, X_TMP, 9, offsetof(struct ebpf_run, jit_call));
	call_c(j, ebpf_jit_helper);
	load_run(j, X_TMP);
	rex(j, false, 0, X_TMP, false);
	emit1(j, 0x83);
	modrm_mem(j, 7, X_TMP, offsetof(struct ebpf_run, error));
	emit1(j, 0);					/* cmp dword [run->error], 0 */
	jump32(j, CC_NE, j->failed_at);
	for (k = 1; k <= 5; k++)
		op_rr(j, false, 0x31, xreg[k], xreg[k]);
	return 0;
}

static int emit_jmp(struct jit *j, const struct ebpf_insn *in, u32 i)
{
	bool w = EBPF_CLASS(in->code) == EBPF_JMP;
	u8 op = EBPF_OP(in->code), dst = xreg[EBPF_INSN_DST(in)], src = xreg[EBPF_INSN_SRC(in)];
	s64 t = 0;
	u32 skip;

	if (op == EBPF_EXIT) {
		jump32(j, 0xff, j->in_sub ? j->sub_exit_at : j->exit_at);
		return 0;
	}
	if (op == EBPF_CALL)
		return emit_call(j, in, i);
	ebpf_jump_target(in, i, &t);
	if (t < 0 || t >= j->prog->len)
		return refuse(j, i, "a jump out of the program");
	if (op == EBPF_JA) {
		if (t <= i)
			pay_budget(j, i, (s32)(i - t + 1));
		jump32(j, 0xff, j->at[t]);
		return 0;
	}
	if (EBPF_SRC(in->code) == EBPF_X) {
		op_rr(j, w, op == EBPF_JSET ? 0x85 : 0x39, dst, src);
	} else if (op == EBPF_JSET) {
		rex(j, w, 0, dst, false);
		emit1(j, 0xf7);
		modrm_reg(j, 0, dst);
		emit4(j, (u32)in->imm);
	} else {
		op_ri(j, w, 7, dst, in->imm);
	}
	if (t > i) {
		jump32(j, jmp_cc(op), j->at[t]);
		return 0;
	}
	skip = jcc8(j, jmp_cc(op) ^ 1);		/* not taken: on */
	pay_budget(j, i, (s32)(i - t + 1));
	jump32(j, 0xff, j->at[t]);
	land8(j, skip);
	return 0;
}

static int emit_insn(struct jit *j, u32 i)
{
	const struct ebpf_prog *prog = j->prog;
	const struct ebpf_insn *in = &prog->insns[i];
	u8 cls = EBPF_CLASS(in->code), mode = EBPF_MODE(in->code);
	const struct ebpf_map_ref *m;
	u32 base, room;
	bool atomic;
	int checked;
	u64 imm;

	switch (cls) {
	case EBPF_ALU:
	case EBPF_ALU64:
		return emit_alu(j, in, i);
	case EBPF_JMP:
	case EBPF_JMP32:
		return emit_jmp(j, in, i);
	case EBPF_LDX:
	case EBPF_ST:
	case EBPF_STX:
		atomic = cls == EBPF_STX && mode == EBPF_ATOMIC;
		if (atomic && !ebpf_atomic_rmw(in->imm))
			return refuse(j, i, "load-acquire and store-release are left to the interpreter");
		if (cls == EBPF_LDX ? mode != EBPF_MEM && mode != EBPF_MEMSX : mode != EBPF_MEM && !atomic)
			return refuse(j, i, "mode %02x", mode);
		base = cls == EBPF_LDX ? EBPF_INSN_SRC(in) : EBPF_INSN_DST(in);
		if (cls == EBPF_LDX && j->k[i].r[base].kind == EBPF_K_SCALAR && prog->probe_read) {
			emit_probe_load(j, in);
			return 0;
		}
		checked = access_ok(j, i, base, ebpf_size_bytes(in->code), cls != EBPF_LDX, &room);
		if (checked < 0)
			return checked;
		if (checked)
			emit_bounds_check(j, i, base, ebpf_size_bytes(in->code), room);
		if (atomic)
			emit_atomic(j, in, i);
		else
			emit_mem(j, in);
		return 0;
	default:	/* LD */
		if (in->code != (EBPF_LD | EBPF_IMM | EBPF_DW))
			return refuse(j, i, "packet loads are left to the interpreter");
		imm = (u64)(u32)in->imm | ((u64)(u32)in[1].imm << 32);
		switch (EBPF_INSN_SRC(in)) {
		case 0:
			break;
		case EBPF_PSEUDO_MAP_FD:
			if ((u32)in->imm >= prog->nr_maps)
				return refuse(j, i, "no map %u", (u32)in->imm);
			imm = (u64)(unsigned long)prog->maps[(u32)in->imm].map;	/* its handle */
			break;
		case EBPF_PSEUDO_MAP_VALUE:
			if ((u32)in->imm >= prog->nr_maps)
				return refuse(j, i, "no map %u", (u32)in->imm);
			m = &prog->maps[(u32)in->imm];
			if (!m->value_base)
				return refuse(j, i, "map %u has no direct value", (u32)in->imm);
			imm = (u64)(unsigned long)m->value_base + (u32)in[1].imm;
			break;
		case EBPF_PSEUDO_FUNC:
			return refuse(j, i, "callbacks are left to the interpreter");
		default:
			return refuse(j, i, "ld_imm64 of kind %u", EBPF_INSN_SRC(in));
		}
		mov_ri(j, true, xreg[EBPF_INSN_DST(in)], imm);
		return 0;
	}
}

/* What a subprogram keeps for its caller: r6..r9 and r10 (rbx, r13..r15, r12). */
static const u8 sub_saved[] = { X_RBX, X_R12, 13, 14, 15 };

/*
 * A subprogram's entry (rbp stays the main program's frame, which holds the run): with
 * the return address, 48 bytes keep rsp 16-aligned; r10 = the next frame's stack.
 */
static void emit_sub_prologue(struct jit *j)
{
	u32 k;

	for (k = 0; k < sizeof(sub_saved); k++) {
		rex(j, false, 0, sub_saved[k], false);
		emit1(j, 0x50 | (sub_saved[k] & 7));	/* push */
	}
	op_ri(j, true, 0, X_R12, EBPF_STACK_SIZE);	/* add r12, 512 */
}

static void emit_prologue(struct jit *j)
{
	static const u8 saved[] = { X_RBX, X_R12, 13, 14, 15, X_RCX };
	u32 k;

	/* endbr64: an indirect call's landing pad where the CPU checks them (IBT) */
	emit1(j, 0xf3);
	emit1(j, 0x0f);
	emit1(j, 0x1e);
	emit1(j, 0xfa);
	emit1(j, 0x55);					/* push rbp */
	op_rr(j, true, 0x89, X_RBP, X_RSP);		/* mov rbp, rsp: a frame */
	/* the callee-saved registers, then the run (rcx) at RUN_SLOT: rsp 16-aligned */
	for (k = 0; k < sizeof(saved); k++) {
		rex(j, false, 0, saved[k], false);
		emit1(j, 0x50 | (saved[k] & 7));	/* push */
	}
	op_rr(j, true, 0x89, X_R12, X_RDX);		/* r10 = the frame's top */
	/* r0, r3..r9 start at 0 (r1 = ctx and r2 came in rdi, rsi) */
	for (k = 0; k < EBPF_NR_REGS - 1; k++)
		if (k != 1 && k != 2)
			op_rr(j, false, 0x31, xreg[k], xreg[k]);
}

static void emit_epilogue(struct jit *j)
{
	static const u8 saved[] = { 15, 14, 13, X_R12, X_RBX };
	u32 k;

	/* a run's error: r0 = 0 and run->error (-EFAULT here, else already set) */
	j->fault_at = j->len;
	load_run(j, X_TMP);
	rex(j, false, 0, X_TMP, false);
	emit1(j, 0xc7);
	modrm_mem(j, 0, X_TMP, offsetof(struct ebpf_run, error));
	emit4(j, (u32)-EFAULT);
	j->failed_at = j->len;
	op_rr(j, false, 0x31, X_RAX, X_RAX);
	j->exit_at = j->len;
	/* rsp from the frame: an error in a subprogram leaves its frames behind */
	rex(j, true, X_RSP, X_RBP, false);
	emit1(j, 0x8d);
	modrm_mem(j, X_RSP, X_RBP, RUN_SLOT + 8);	/* lea rsp, [rbp - 40] */
	for (k = 0; k < sizeof(saved); k++) {
		rex(j, false, 0, saved[k], false);
		emit1(j, 0x58 | (saved[k] & 7));	/* pop */
	}
	emit1(j, 0x5d);					/* pop rbp */
	emit1(j, 0xc3);
	/* a subprogram's exit: the caller's r6..r10 back, one frame up */
	j->sub_exit_at = j->len;
	for (k = 0; k < sizeof(sub_saved); k++) {
		rex(j, false, 0, sub_saved[sizeof(sub_saved) - 1 - k], false);
		emit1(j, 0x58 | (sub_saved[sizeof(sub_saved) - 1 - k] & 7));	/* pop */
	}
	load_run(j, X_TMP);
	rex(j, false, 0, X_TMP, false);
	emit1(j, 0xff);
	modrm_mem(j, 1, X_TMP, offsetof(struct ebpf_run, frame));	/* dec dword [run->frame] */
	emit1(j, 0xc3);
	while (j->len & 7)
		emit1(j, 0xcc);				/* int3 up to the descriptors */
}

/*
 * Where the subprograms start (the targets of bpf-to-bpf calls) and their lengths:
 * ebpf_check() keeps every jump inside its subprogram and ends each in exit or ja.
 */
static void find_subprogs(struct jit *j)
{
	const struct ebpf_prog *prog = j->prog;
	u32 i, last = 0;
	s64 t;

	for (i = 0; i < prog->len; i++) {
		const struct ebpf_insn *in = &prog->insns[i];

		if (in->code == (EBPF_LD | EBPF_IMM | EBPF_DW)) {
			i++;
			continue;
		}
		t = (s64)i + in->imm + 1;
		if (in->code == (EBPF_JMP | EBPF_CALL) && EBPF_INSN_SRC(in) == EBPF_PSEUDO_CALL &&
		    t > 0 && t < prog->len)
			j->sub_len[t] = 1;
	}
	for (i = 1; i <= prog->len; i++) {
		if (i < prog->len && !j->sub_len[i])
			continue;
		if (last)
			j->sub_len[last] = i - last;
		last = i;
	}
}

/* One pass over the program; the first only measures (j->buf NULL). */
static int emit_all(struct jit *j)
{
	const struct ebpf_prog *prog = j->prog;
	u32 i;
	int err;

	j->len = 0;
	j->nr_calls = 0;
	j->in_sub = false;
	emit_prologue(j);
	for (i = 0; i < prog->len; i++) {
		if (j->sub_len[i]) {
			j->in_sub = true;
			j->sub_at[i] = j->len;
			emit_sub_prologue(j);
		}
		j->at[i] = j->len;
		if (j->k[i].r[EBPF_REG_FP].kind == EBPF_K_UNREACHED)
			continue;	/* unreachable, or an ld_imm64's second half */
		err = emit_insn(j, i);
		if (err)
			return err;
	}
	emit_epilogue(j);
	j->calls_at = j->len;
	j->len += j->nr_calls * (u32)sizeof(struct ebpf_jit_call);
	return 0;
}

int ebpf_jit_x86(const struct ebpf_prog *prog, const struct ebpf_kregs *kinds, u8 *buf, u32 size,
		 struct ebpf_log *log)
{
	struct jit j;
	int err;

	memset(&j, 0, sizeof(j));
	j.prog = prog;
	j.k = kinds;
	j.log = log;
	if (!prog->allow_ptr_leaks) {
		ebpf_logf(log, "jit: a program that may not leak pointers needs the tags\n");
		return -EOPNOTSUPP;
	}
	j.at = EBPF_ZALLOC((size_t)prog->len * 3 * sizeof(u32));
	if (!j.at)
		return -ENOMEM;
	j.sub_len = j.at + prog->len;
	j.sub_at = j.sub_len + prog->len;
	find_subprogs(&j);
	/* measure (every label lands where it will), then write */
	err = emit_all(&j);
	if (!err && buf) {
		j.buf = buf;
		j.size = size;
		err = emit_all(&j);
		if (!err && j.len > size)
			err = -ENOSPC;
	}
	EBPF_FREE(j.at);
	return err ? err : (int)j.len;
}
