/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ebpf_insn.h - eBPF opcode constants (the engine's, also used by prog.c and prog_tag.c;
 * EBPF_ prefixed so they never clash with <linux/bpf_common.h>).
 */
#ifndef EBPF_INSN_H
#define EBPF_INSN_H

#define EBPF_CLASS(c)	((c) & 0x07)
#define EBPF_LD		0x00
#define EBPF_LDX	0x01
#define EBPF_ST		0x02
#define EBPF_STX	0x03
#define EBPF_ALU	0x04
#define EBPF_JMP	0x05
#define EBPF_JMP32	0x06
#define EBPF_ALU64	0x07

#define EBPF_SIZE(c)	((c) & 0x18)
#define EBPF_W		0x00
#define EBPF_H		0x08
#define EBPF_B		0x10
#define EBPF_DW		0x18

#define EBPF_MODE(c)	((c) & 0xe0)
#define EBPF_IMM	0x00
#define EBPF_ABS	0x20
#define EBPF_IND	0x40
#define EBPF_MEM	0x60
#define EBPF_MEMSX	0x80
#define EBPF_ATOMIC	0xc0

#define EBPF_SRC(c)	((c) & 0x08)
#define EBPF_K		0x00
#define EBPF_X		0x08

#define EBPF_OP(c)	((c) & 0xf0)
#define EBPF_ADD	0x00
#define EBPF_SUB	0x10
#define EBPF_MUL	0x20
#define EBPF_DIV	0x30
#define EBPF_OR		0x40
#define EBPF_AND	0x50
#define EBPF_LSH	0x60
#define EBPF_RSH	0x70
#define EBPF_NEG	0x80
#define EBPF_MOD	0x90
#define EBPF_XOR	0xa0
#define EBPF_MOV	0xb0
#define EBPF_ARSH	0xc0
#define EBPF_END	0xd0
#define EBPF_TO_LE	0x00
#define EBPF_TO_BE	0x08

#define EBPF_JA		0x00
#define EBPF_JEQ	0x10
#define EBPF_JGT	0x20
#define EBPF_JGE	0x30
#define EBPF_JSET	0x40
#define EBPF_JNE	0x50
#define EBPF_JSGT	0x60
#define EBPF_JSGE	0x70
#define EBPF_CALL	0x80
#define EBPF_EXIT	0x90
#define EBPF_JLT	0xa0
#define EBPF_JLE	0xb0
#define EBPF_JSLT	0xc0
#define EBPF_JSLE	0xd0

/* BPF_ATOMIC imm */
#define EBPF_FETCH	0x01
#define EBPF_XCHG	(0xe0 | EBPF_FETCH)
#define EBPF_CMPXCHG	(0xf0 | EBPF_FETCH)
#define EBPF_LOAD_ACQ	0x100
#define EBPF_STORE_REL	0x110

/* src_reg of BPF_CALL */
#define EBPF_PSEUDO_CALL	1
#define EBPF_PSEUDO_KFUNC_CALL	2

/* src_reg of ld_imm64 */
#define EBPF_PSEUDO_MAP_FD	1
#define EBPF_PSEUDO_MAP_VALUE	2
#define EBPF_PSEUDO_FUNC	4	/* ld_imm64: imm = callback's first insn - (this insn + 1) */

#define EBPF_REG_FP	10

/* Bytes a load or store of code moves (its BPF_SIZE). */
static inline u32 ebpf_size_bytes(u8 code)
{
	static const u8 bytes[4] = { 4, 2, 1, 8 };	/* W, H, B, DW */

	return bytes[EBPF_SIZE(code) >> 3];
}

/*
 * Where a jump (conditional or not, JMP or JMP32) at @idx goes: true and *target, or
 * false for what is not one (calls, exits, other classes). JMP32's JA takes imm.
 */
static inline bool ebpf_jump_target(const struct ebpf_insn *in, u32 idx, s64 *target)
{
	u8 cls = EBPF_CLASS(in->code), op = EBPF_OP(in->code);

	if (cls != EBPF_JMP && cls != EBPF_JMP32)
		return false;
	if (op == EBPF_CALL || op == EBPF_EXIT)
		return false;
	if (op == EBPF_JA && cls == EBPF_JMP32)
		*target = (s64)idx + in->imm + 1;
	else
		*target = (s64)idx + in->off + 1;
	return true;
}

/*
 * A read-modify-write BPF_ATOMIC operation (imm), as opposed to load-acquire and
 * store-release: what the checker accepts in 4 and 8 bytes and the interpreter runs.
 */
static inline bool ebpf_atomic_rmw(s32 op)
{
	switch (op) {
	case EBPF_ADD:
	case EBPF_ADD | EBPF_FETCH:
	case EBPF_AND:
	case EBPF_AND | EBPF_FETCH:
	case EBPF_OR:
	case EBPF_OR | EBPF_FETCH:
	case EBPF_XOR:
	case EBPF_XOR | EBPF_FETCH:
	case EBPF_XCHG:
	case EBPF_CMPXCHG:
		return true;
	default:
		return false;
	}
}

/*
 * Whether a conditional jump with operation @op is taken for operands @a/@b (@sa/@sb
 * their signed views, already narrowed for JMP32). Shared by the interpreter and the
 * checker's constant-branch folding so both decide branches the same way. An unknown
 * op sets *bad.
 */
static inline bool ebpf_jmp_taken(u8 op, u64 a, u64 b, s64 sa, s64 sb, bool *bad)
{
	switch (op) {
	case EBPF_JEQ:
		return a == b;
	case EBPF_JNE:
		return a != b;
	case EBPF_JGT:
		return a > b;
	case EBPF_JGE:
		return a >= b;
	case EBPF_JLT:
		return a < b;
	case EBPF_JLE:
		return a <= b;
	case EBPF_JSET:
		return (a & b) != 0;
	case EBPF_JSGT:
		return sa > sb;
	case EBPF_JSGE:
		return sa >= sb;
	case EBPF_JSLT:
		return sa < sb;
	case EBPF_JSLE:
		return sa <= sb;
	default:
		*bad = true;
		return false;
	}
}

#endif /* EBPF_INSN_H */
