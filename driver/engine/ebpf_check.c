// SPDX-License-Identifier: GPL-2.0-only
/*
 * ebpf_check.c - load-time structural validation of eBPF programs.
 *
 * Checks what Linux's verifier checks before its data-flow analysis, with the
 * same errors and log messages: known opcodes, reserved fields, register
 * numbers, r10 read-only, ld_imm64 pairs and pseudo sources, immediate shifts
 * and divisions, helper ids, jump and call targets (inside the program, inside
 * the subprogram, not into an ld_imm64), no falling off a subprogram, no
 * unreachable instructions, no recursion, call depth; then, where it can follow
 * the pointers, a socket filter's context accesses and the program-side map flags
 * (BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG).  Memory safety does not depend on this:
 * the interpreter checks every access at run time.
 */
#include "ebpf_engine.h"
#include "ebpf_insn.h"

#define AUX_LD2		0x01	/* second half of an ld_imm64 */
#define AUX_SUBPROG	0x02	/* first insn of a subprogram */
#define AUX_SEEN	0x04	/* reached by the control-flow walk */
#define AUX_TARGET	0x08	/* target of a jump */
#define AUX_LIVE	0x10	/* reached when branches on known constants are pruned */

struct check_env {
	const struct ebpf_prog *prog;
	struct ebpf_log *log;
	u8 *aux;
};

static void EBPF_PRINTF(2, 0) vvlog(struct ebpf_log *log, const char *fmt, va_list ap)
{
	u32 room;
	int n;

	if (!log || !log->level || !log->buf || !log->size)
		return;
	if (log->len >= log->size) {
		log->len = log->size - 1;
		log->buf[log->len] = 0;
		return;
	}
	room = log->size - log->len;
	n = vsnprintf(log->buf + log->len, room, fmt, ap);
	if (n < 0)
		n = 0;
	if ((u32)n >= room)
		log->len = log->size - 1;
	else
		log->len += (u32)n;
	log->buf[log->len] = 0;
}

void ebpf_logf(struct ebpf_log *log, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vvlog(log, fmt, ap);
	va_end(ap);
}

static bool opcode_known(u8 code)
{
	u8 op = EBPF_OP(code);

	switch (EBPF_CLASS(code)) {
	case EBPF_ALU:
		if (op == EBPF_NEG)
			return EBPF_SRC(code) == EBPF_K;
		return op <= EBPF_END;
	case EBPF_ALU64:
		if (op == EBPF_NEG || op == EBPF_END)
			return EBPF_SRC(code) == EBPF_K;
		return op <= EBPF_END;
	case EBPF_JMP:
		if (op == EBPF_JA || op == EBPF_CALL || op == EBPF_EXIT)
			return EBPF_SRC(code) == EBPF_K;
		return op <= EBPF_JSLE;
	case EBPF_JMP32:
		if (op == EBPF_JA)
			return EBPF_SRC(code) == EBPF_K;
		if (op == EBPF_CALL || op == EBPF_EXIT)
			return false;
		return op <= EBPF_JSLE;
	case EBPF_LD:
		if (code == (EBPF_LD | EBPF_IMM | EBPF_DW))
			return true;
		return (EBPF_MODE(code) == EBPF_ABS || EBPF_MODE(code) == EBPF_IND) &&
		       EBPF_SIZE(code) != EBPF_DW;
	case EBPF_LDX:
		return EBPF_MODE(code) == EBPF_MEM ||
		       (EBPF_MODE(code) == EBPF_MEMSX && EBPF_SIZE(code) != EBPF_DW);
	case EBPF_ST:
		return EBPF_MODE(code) == EBPF_MEM;
	default: /* EBPF_STX */
		return EBPF_MODE(code) == EBPF_MEM || EBPF_MODE(code) == EBPF_ATOMIC;
	}
}

static int check_reg(struct check_env *env, u32 regno, bool write)
{
	if (regno >= EBPF_NR_REGS) {
		ebpf_logf(env->log, "R%u is invalid\n", regno);
		return -EINVAL;
	}
	if (write && regno == EBPF_REG_FP) {
		ebpf_logf(env->log, "frame pointer is read only\n");
		return -EINVAL;
	}
	return 0;
}

static int reserved_fields(struct check_env *env, const char *what)
{
	ebpf_logf(env->log, "%s uses reserved fields\n", what);
	return -EINVAL;
}

static int check_alu(struct check_env *env, const struct ebpf_insn *in)
{
	u8 code = in->code, op = EBPF_OP(code);
	u32 dst = EBPF_INSN_DST(in), src = EBPF_INSN_SRC(in);
	bool is64 = EBPF_CLASS(code) == EBPF_ALU64;
	bool x = EBPF_SRC(code) == EBPF_X;
	int err;

	if (op == EBPF_END) {
		if (src || in->off || (in->imm != 16 && in->imm != 32 && in->imm != 64) ||
		    (x && is64))
			return reserved_fields(env, "BPF_END");
	} else if (op == EBPF_NEG) {
		if (x || src || in->off || in->imm)
			return reserved_fields(env, "BPF_NEG");
	} else if (op == EBPF_MOV) {
		if (x) {
			if (in->imm || (in->off != 0 && in->off != 8 && in->off != 16 &&
					(!is64 || in->off != 32)))
				return reserved_fields(env, "BPF_MOV");
		} else if (src || in->off) {
			return reserved_fields(env, "BPF_MOV");
		}
	} else {
		if ((x && in->imm) || (!x && src) || (in->off != 0 && in->off != 1) ||
		    (in->off == 1 && op != EBPF_MOD && op != EBPF_DIV))
			return reserved_fields(env, "BPF_ALU");
	}
	if (x) {
		err = check_reg(env, src, false);
		if (err)
			return err;
	}
	err = check_reg(env, dst, true);
	if (err)
		return err;
	if ((op == EBPF_MOD || op == EBPF_DIV) && !x && in->imm == 0) {
		ebpf_logf(env->log, "div by zero\n");
		return -EINVAL;
	}
	if ((op == EBPF_LSH || op == EBPF_RSH || op == EBPF_ARSH) && !x) {
		s32 size = is64 ? 64 : 32;

		if (in->imm < 0 || in->imm >= size) {
			ebpf_logf(env->log, "invalid shift %d\n", in->imm);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_jmp(struct check_env *env, const struct ebpf_insn *in, u32 idx)
{
	const struct ebpf_prog *prog = env->prog;
	u8 code = in->code, op = EBPF_OP(code);
	u32 dst = EBPF_INSN_DST(in), src = EBPF_INSN_SRC(in);
	bool is32 = EBPF_CLASS(code) == EBPF_JMP32;
	bool x = EBPF_SRC(code) == EBPF_X;
	s64 target;
	int err;

	if (op == EBPF_CALL) {
		if (x || (src != 0 && src != EBPF_PSEUDO_CALL && src != EBPF_PSEUDO_KFUNC_CALL) ||
		    (in->off && src != EBPF_PSEUDO_KFUNC_CALL) || dst || is32)
			return reserved_fields(env, "BPF_CALL");
		if (src == EBPF_PSEUDO_CALL) {
			target = (s64)idx + in->imm + 1;
			if (target < 0 || target >= prog->len) {
				ebpf_logf(env->log, "call to invalid destination\n");
				return -EINVAL;
			}
			env->aux[target] |= AUX_SUBPROG;
		}
		/*
		 * helper ids and kfuncs: check_live_calls(), like Linux only
		 * where reachable (libbpf leaves poisoned calls in dead code)
		 */
		return 0;
	}
	if (op == EBPF_JA) {
		if (x || src || dst || (!is32 && in->imm) || (is32 && in->off))
			return reserved_fields(env, "BPF_JA");
		return 0;
	}
	if (op == EBPF_EXIT) {
		if (x || in->imm || in->off || src || dst || is32)
			return reserved_fields(env, "BPF_EXIT");
		return 0;
	}
	if (x) {
		if (in->imm)
			return reserved_fields(env, "BPF_JMP/JMP32");
		err = check_reg(env, src, false);
		if (err)
			return err;
	} else if (src) {
		return reserved_fields(env, "BPF_JMP/JMP32");
	}
	return check_reg(env, dst, false);
}

static int check_atomic(struct check_env *env, const struct ebpf_insn *in)
{
	u32 dst = EBPF_INSN_DST(in), src = EBPF_INSN_SRC(in);
	u8 size = EBPF_SIZE(in->code);
	int err;

	if (in->imm == EBPF_LOAD_ACQ) {
		err = check_reg(env, src, false);
		return err ? err : check_reg(env, dst, true);
	}
	if (in->imm == EBPF_STORE_REL) {
		err = check_reg(env, src, false);
		return err ? err : check_reg(env, dst, false);
	}
	if (!ebpf_atomic_rmw(in->imm)) {
		ebpf_logf(env->log, "BPF_ATOMIC uses invalid atomic opcode %02x\n", (u32)in->imm);
		return -EINVAL;
	}
	if (size != EBPF_W && size != EBPF_DW) {
		ebpf_logf(env->log, "invalid atomic operand size\n");
		return -EINVAL;
	}
	err = check_reg(env, src, (in->imm & EBPF_FETCH) && in->imm != EBPF_CMPXCHG);
	if (!err)
		err = check_reg(env, dst, false);
	return err;
}

static int check_ld_imm64(struct check_env *env, u32 idx)
{
	const struct ebpf_prog *prog = env->prog;
	const struct ebpf_insn *in = &prog->insns[idx];
	const struct ebpf_map_ref *m;
	u32 src = EBPF_INSN_SRC(in);
	int err;

	if (idx + 1 >= prog->len || in[1].code || in[1].regs || in[1].off) {
		ebpf_logf(env->log, "invalid bpf_ld_imm64 insn\n");
		return -EINVAL;
	}
	if (in->off)
		return reserved_fields(env, "BPF_LD_IMM64");
	err = check_reg(env, EBPF_INSN_DST(in), true);
	if (err)
		return err;
	env->aux[idx + 1] |= AUX_LD2;
	if (src == 0)
		return 0;
	if (src == EBPF_PSEUDO_FUNC) {
		s64 target = (s64)idx + in->imm + 1;

		/* a callback is a subprogram, as the target of a call (Linux add_subprog) */
		if (target < 0 || target >= prog->len) {
			ebpf_logf(env->log, "call to invalid destination\n");
			return -EINVAL;
		}
		env->aux[target] |= AUX_SUBPROG;
		return 0;
	}
	if (src != EBPF_PSEUDO_MAP_FD && src != EBPF_PSEUDO_MAP_VALUE) {
		ebpf_logf(env->log, "unsupported ld_imm64 pseudo src %u\n", src);
		return -EINVAL;
	}
	if (!prog->maps || (u32)in->imm >= prog->nr_maps) {
		ebpf_logf(env->log, "fd %d is not pointing to valid bpf_map\n", in->imm);
		return -EINVAL;
	}
	m = &prog->maps[(u32)in->imm];
	if (src == EBPF_PSEUDO_MAP_VALUE) {
		if (!m->value_base) {
			ebpf_logf(env->log, "no direct value access support for this map type\n");
			return -EINVAL;
		}
		if ((u32)in[1].imm >= m->value_region_size) {
			ebpf_logf(env->log, "invalid access to map value pointer, value_size=%u off=%u\n",
			     m->value_region_size, (u32)in[1].imm);
			return -EACCES;
		}
	}
	return 0;
}

/*
 * BPF_LD_ABS / BPF_LD_IND: socket filters only, Linux's field rules.  That r6 holds the
 * context when it runs is the interpreter's check.
 */
static int check_ld_abs(struct check_env *env, const struct ebpf_insn *in)
{
	const struct ebpf_ctx_ops *ops = ebpf_ctx_ops(env->prog);

	if (!ops || !ops->ld_abs) {
		ebpf_logf(env->log, "BPF_LD_[ABS|IND] instructions not allowed for this program type\n");
		return -EINVAL;
	}
	if (EBPF_INSN_DST(in) || in->off ||
	    (EBPF_MODE(in->code) == EBPF_ABS && EBPF_INSN_SRC(in)))
		return reserved_fields(env, "BPF_LD_[ABS|IND]");
	return EBPF_MODE(in->code) == EBPF_IND ? check_reg(env, EBPF_INSN_SRC(in), false) : 0;
}

/* Pass 1: each instruction on its own. */
static int check_insn(struct check_env *env, u32 idx)
{
	const struct ebpf_insn *in = &env->prog->insns[idx];
	u32 dst = EBPF_INSN_DST(in), src = EBPF_INSN_SRC(in);
	u8 code = in->code;
	int err;

	if (!opcode_known(code)) {
		ebpf_logf(env->log, "unknown opcode %02x\n", code);
		return -EINVAL;
	}
	switch (EBPF_CLASS(code)) {
	case EBPF_ALU:
	case EBPF_ALU64:
		return check_alu(env, in);
	case EBPF_JMP:
	case EBPF_JMP32:
		return check_jmp(env, in, idx);
	case EBPF_LD:
		if (EBPF_MODE(code) != EBPF_IMM)
			return check_ld_abs(env, in);
		return check_ld_imm64(env, idx);
	case EBPF_LDX:
		if (in->imm)
			return reserved_fields(env, "BPF_LDX");
		err = check_reg(env, src, false);
		return err ? err : check_reg(env, dst, true);
	case EBPF_ST:
		if (src)
			return reserved_fields(env, "BPF_ST");
		return check_reg(env, dst, false);
	default: /* EBPF_STX */
		if (EBPF_MODE(code) == EBPF_ATOMIC)
			return check_atomic(env, in);
		if (in->imm)
			return reserved_fields(env, "BPF_STX");
		err = check_reg(env, src, false);
		return err ? err : check_reg(env, dst, false);
	}
}

/* Jump target of a JA / conditional jump, false for anything else. */
static inline bool is_pseudo_call(const struct ebpf_insn *in)
{
	return in->code == (EBPF_JMP | EBPF_CALL) && EBPF_INSN_SRC(in) == EBPF_PSEUDO_CALL;
}

/* ld_imm64 of a callback (bpf_loop's callback_fn): an edge of the call graph too. */
static inline bool is_pseudo_func(const struct ebpf_insn *in)
{
	return in->code == (EBPF_LD | EBPF_IMM | EBPF_DW) && EBPF_INSN_SRC(in) == EBPF_PSEUDO_FUNC;
}

/* Insn i (not the second half of an ld_imm64) names a subprogram at i + imm + 1. */
static inline bool is_call_site(const struct check_env *env, u32 i)
{
	return !(env->aux[i] & AUX_LD2) &&
	       (is_pseudo_call(&env->prog->insns[i]) || is_pseudo_func(&env->prog->insns[i]));
}

/* Pass 2: jumps stay inside their subprogram, subprograms end in exit/ja. */
static int check_subprogs(struct check_env *env, u32 *nr_subprogs)
{
	const struct ebpf_prog *prog = env->prog;
	const struct ebpf_insn *insns = prog->insns;
	u32 start, end, i, last, n = 0;
	s64 t;

	for (start = 0; start < prog->len; start = end) {
		if (++n > EBPF_MAX_SUBPROGS) {
			ebpf_logf(env->log, "too many subprograms\n");
			return -E2BIG;
		}
		end = start + 1;
		while (end < prog->len && !(env->aux[end] & AUX_SUBPROG))
			end++;
		for (i = start; i < end; i++) {
			if (env->aux[i] & AUX_LD2)
				continue;
			if (is_call_site(env, i)) {
				t = (s64)i + insns[i].imm + 1;
				if (env->aux[t] & AUX_LD2) {
					ebpf_logf(env->log, "call to invalid destination\n");
					return -EINVAL;
				}
				continue;
			}
			if (!ebpf_jump_target(&insns[i], i, &t))
				continue;
			if (t < start || t >= end) {
				ebpf_logf(env->log, "jump out of range from insn %u to %lld\n", i, (long long)t);
				return -EINVAL;
			}
			if (env->aux[t] & AUX_LD2) {
				ebpf_logf(env->log, "jump into the middle of ldimm64 insn %lld\n", (long long)t - 1);
				return -EINVAL;
			}
			env->aux[t] |= AUX_TARGET;
		}
		last = end - 1;
		if ((env->aux[last] & AUX_LD2) ||
		    (insns[last].code != (EBPF_JMP | EBPF_EXIT) &&
		     insns[last].code != (EBPF_JMP | EBPF_JA) &&
		     insns[last].code != (EBPF_JMP32 | EBPF_JA))) {
			ebpf_logf(env->log, "last insn is not an exit or jmp\n");
			return -EINVAL;
		}
	}
	*nr_subprogs = n;
	return 0;
}

/* Does insn write register reg? */
static bool insn_writes(const struct ebpf_insn *in, u32 reg)
{
	switch (EBPF_CLASS(in->code)) {
	case EBPF_LD:
		if (EBPF_MODE(in->code) != EBPF_IMM)	/* LD_ABS / LD_IND: a helper call */
			return reg <= 5;
		return EBPF_INSN_DST(in) == reg;
	case EBPF_ALU:
	case EBPF_ALU64:
	case EBPF_LDX:
		return EBPF_INSN_DST(in) == reg;
	case EBPF_JMP:
		return in->code == (EBPF_JMP | EBPF_CALL) && reg <= 5;
	case EBPF_STX:
		if (EBPF_MODE(in->code) != EBPF_ATOMIC)
			return false;
		if (in->imm == EBPF_CMPXCHG)
			return reg == 0;
		if (in->imm == EBPF_LOAD_ACQ)
			return EBPF_INSN_DST(in) == reg;
		return (in->imm & EBPF_FETCH) && EBPF_INSN_SRC(in) == reg;
	default:
		return false;
	}
}

/*
 * The insn that last wrote reg before insn i, if it is in i's straight-line block: no
 * jump target, subprogram start, exit or ja in between.  *steps bounds a whole search.
 */
static bool reg_def_at(const struct check_env *env, u32 i, u32 reg, u32 *def, u32 *steps)
{
	const struct ebpf_insn *in;
	u32 j = i;

	while ((*steps)++ < 64) {
		if (j == 0 || (env->aux[j] & (AUX_TARGET | AUX_SUBPROG)))
			return false;	/* more than one way in */
		j--;
		if (env->aux[j] & AUX_LD2) {
			if (j == 0)
				return false;
			j--;
		}
		in = &env->prog->insns[j];
		if (in->code == (EBPF_JMP | EBPF_EXIT) || in->code == (EBPF_JMP | EBPF_JA) ||
		    in->code == (EBPF_JMP32 | EBPF_JA))
			return false;	/* j does not fall through to j + 1 */
		if (insn_writes(in, reg)) {
			*def = j;
			return true;
		}
	}
	return false;
}

/*
 * Load insn j, rX = *(size *)(rY + off), where rY holds (ld_imm64 BPF_PSEUDO_MAP_VALUE in
 * the same block, possibly insns earlier, as clang schedules it) an address in the value
 * of a map whose bytes never change: libbpf's frozen .rodata, the "const volatile"
 * globals a tool sets before load.  Linux's verifier reads those bytes
 * (bpf_map_direct_read) and so decides branches on them; libbpf-tools rely on it
 * ("if (targ_per_pidns)" guarding a CO-RE read poisoned on old kernels).  Outside the
 * value it is not a constant (the interpreter faults the load).
 */
static bool map_const_load(const struct check_env *env, u32 j, u32 *steps, u64 *val)
{
	const struct ebpf_insn *in = &env->prog->insns[j], *ld;
	const struct ebpf_map_ref *m;
	u32 size = ebpf_size_bytes(in->code), k;
	bool sx = EBPF_MODE(in->code) == EBPF_MEMSX;
	union { u8 b; u16 h; u32 w; u64 d; s8 sb; s16 sh; s32 sw; } u;
	s64 off;

	if (!reg_def_at(env, j, EBPF_INSN_SRC(in), &k, steps))
		return false;
	ld = &env->prog->insns[k];
	if (ld->code != (EBPF_LD | EBPF_IMM | EBPF_DW) || EBPF_INSN_SRC(ld) != EBPF_PSEUDO_MAP_VALUE)
		return false;
	m = &env->prog->maps[(u32)ld->imm];	/* index checked by pass 1 */
	off = (s64)(u32)ld[1].imm + in->off;
	if (!m->value_const || !m->value_base || off < 0 || off + size > m->value_region_size)
		return false;
	memcpy(&u, m->value_base + off, size);	/* native byte order, as the load */
	switch (size) {
	case 1:
		*val = sx ? (u64)(s64)u.sb : u.b;
		break;
	case 2:
		*val = sx ? (u64)(s64)u.sh : u.h;
		break;
	case 4:
		*val = sx ? (u64)(s64)u.sw : u.w;
		break;
	default:
		*val = u.d;
	}
	return true;
}

/*
 * Value of reg on entry to insn i, if a constant load (mov imm / ld_imm64, or a load
 * from a constant map value) reaches it inside the same straight-line block with no
 * write in between.  This is how libbpf's CO-RE guards (bpf_core_field_exists, enum
 * value exists, ...) look after relocation: "rX = 0/1; if rX == 0 goto ...".
 */
static bool reg_const_at(const struct check_env *env, u32 i, u32 reg, u64 *val)
{
	const struct ebpf_insn *in;
	u32 j, steps = 0;

	if (!reg_def_at(env, i, reg, &j, &steps))
		return false;
	in = &env->prog->insns[j];
	if (in->code == (EBPF_ALU64 | EBPF_MOV | EBPF_K)) {
		*val = (u64)(s64)in->imm;
		return true;
	}
	if (in->code == (EBPF_ALU | EBPF_MOV | EBPF_K)) {
		*val = (u32)in->imm;
		return true;
	}
	if (in->code == (EBPF_LD | EBPF_IMM | EBPF_DW) && EBPF_INSN_SRC(in) == 0) {
		*val = (u64)(u32)in->imm | ((u64)(u32)in[1].imm << 32);
		return true;
	}
	if (EBPF_CLASS(in->code) == EBPF_LDX)	/* MEM or MEMSX (pass 1) */
		return map_const_load(env, j, &steps, val);
	return false;
}

/* Outcome of conditional jump insn i if decided by constants: 1 taken, 0 not, -1 unknown. */
static int branch_outcome(const struct check_env *env, u32 i)
{
	const struct ebpf_insn *in = &env->prog->insns[i];
	bool is32 = EBPF_CLASS(in->code) == EBPF_JMP32;
	u64 a, b;
	s64 sa, sb;

	if (!reg_const_at(env, i, EBPF_INSN_DST(in), &a))
		return -1;
	if (EBPF_SRC(in->code) == EBPF_X) {
		if (!reg_const_at(env, i, EBPF_INSN_SRC(in), &b))
			return -1;
	} else {
		b = (u64)(s64)in->imm;
	}
	if (is32) {
		a = (u32)a;
		b = (u32)b;
		sa = (s32)(u32)a;
		sb = (s32)(u32)b;
	} else {
		sa = (s64)a;
		sb = (s64)b;
	}
	{
		bool bad = false;
		bool taken = ebpf_jmp_taken(EBPF_OP(in->code), a, b, sa, sb, &bad);

		return bad ? -1 : taken;
	}
}

/*
 * The instructions control may go to after insn i: with prune, conditional jumps
 * decided by constants have only their live edge; with into_calls, a call or a
 * callback's address also leads into the callee.  Returns how many (0..2).
 */
static u32 successors(const struct check_env *env, u32 i, bool prune, bool into_calls, u32 *succ)
{
	const struct ebpf_insn *in = &env->prog->insns[i];
	u32 ns = 0;
	int outcome;
	s64 t;

	if (in->code == (EBPF_JMP | EBPF_EXIT)) {
		/* no successor */
	} else if (in->code == (EBPF_LD | EBPF_IMM | EBPF_DW)) {
		succ[ns++] = i + 2;
		if (into_calls && is_pseudo_func(in))
			succ[ns++] = (u32)((s64)i + in->imm + 1);
	} else if (is_pseudo_call(in)) {
		succ[ns++] = i + 1;
		if (into_calls)
			succ[ns++] = (u32)((s64)i + in->imm + 1);
	} else if (ebpf_jump_target(in, i, &t)) {
		outcome = EBPF_OP(in->code) == EBPF_JA ? 1 : prune ? branch_outcome(env, i) : -1;
		if (outcome != 1)
			succ[ns++] = i + 1;
		if (outcome != 0)
			succ[ns++] = (u32)t;
	} else {
		succ[ns++] = i + 1;
	}
	return ns;
}

/*
 * Iterative walk from insn 0 (explicit stack), marking mark.  With prune,
 * conditional jumps decided by constants follow only the live edge.
 */
static int walk(struct check_env *env, u8 mark, bool prune)
{
	const struct ebpf_prog *prog = env->prog;
	u32 *stack, sp = 0, i, succ[2], ns, k;

	stack = EBPF_ZALLOC((size_t)prog->len * sizeof(u32));
	if (!stack)
		return -ENOMEM;
	env->aux[0] |= mark;
	stack[sp++] = 0;
	while (sp) {
		i = stack[--sp];
		ns = successors(env, i, prune, true, succ);
		for (k = 0; k < ns; k++) {
			if (succ[k] >= prog->len)
				continue;	/* excluded by pass 2 */
			if (env->aux[succ[k]] & mark)
				continue;
			env->aux[succ[k]] |= mark;
			stack[sp++] = succ[k];
		}
	}
	EBPF_FREE(stack);
	return 0;
}

/* Pass 3: every instruction reachable in the control-flow graph (Linux check_cfg). */
static int check_reachable(struct check_env *env)
{
	u32 i;
	int err = walk(env, AUX_SEEN, false);

	if (err)
		return err;
	for (i = 0; i < env->prog->len; i++) {
		if (!(env->aux[i] & (AUX_SEEN | AUX_LD2))) {
			ebpf_logf(env->log, "unreachable insn %u\n", i);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * The format string of helper call i (r3) checked at load by the helper's check_fmt,
 * where the checker can read it: r3 is set in the call's block by an ld_imm64 of a
 * value in a map whose bytes never change (libbpf's .rodata, where BPF_SNPRINTF puts
 * its format), and r5 by a constant.  Linux refuses any other fmt (ARG_PTR_TO_CONST_STR);
 * here the helper checks such a string at every run instead.
 */
static int check_const_fmt(const struct check_env *env, u32 i, const struct ebpf_helper *h)
{
	const struct ebpf_insn *ld;
	const struct ebpf_map_ref *m;
	u32 def, steps = 0, off;
	u64 data_len;
	int err;

	if (!reg_def_at(env, i, 3, &def, &steps))
		return 0;
	ld = &env->prog->insns[def];
	if (ld->code != (EBPF_LD | EBPF_IMM | EBPF_DW) || EBPF_INSN_SRC(ld) != EBPF_PSEUDO_MAP_VALUE)
		return 0;
	m = &env->prog->maps[(u32)ld->imm];	/* index checked by pass 1 */
	off = (u32)ld[1].imm;
	if (!m->value_const || !m->value_base || off >= m->value_region_size ||
	    !reg_const_at(env, i, 5, &data_len))
		return 0;
	if (!memchr(m->value_base + off, 0, m->value_region_size - off)) {
		ebpf_logf(env->log, "string is not zero-terminated\n");
		return -EINVAL;
	}
	err = h->check_fmt((const char *)m->value_base + off, m->value_region_size - off, data_len);
	if (err)
		ebpf_logf(env->log, "Invalid format string\n");
	return err;
}

/*
 * Pass 4: helper calls that can execute name available helpers; no kfuncs.
 * Linux checks these only on paths its verifier explores, so calls behind
 * branches that constants decide (libbpf's CO-RE guards, its poisoned
 * "call 0xbad2310" / "call 2001000000+N") are accepted; the engine aborts the
 * run with -EINVAL should one execute anyway.
 */
static int check_live_calls(struct check_env *env)
{
	const struct ebpf_prog *prog = env->prog;
	const struct ebpf_insn *in;
	u32 i;
	int err = walk(env, AUX_LIVE, true);

	if (err)
		return err;
	for (i = 0; i < prog->len; i++) {
		in = &prog->insns[i];
		if (!(env->aux[i] & AUX_LIVE) || (env->aux[i] & AUX_LD2) ||
		    in->code != (EBPF_JMP | EBPF_CALL))
			continue;
		if (EBPF_INSN_SRC(in) == EBPF_PSEUDO_KFUNC_CALL) {
			ebpf_logf(env->log, "calling kernel function is not supported\n");
			return -EINVAL;
		}
		if (EBPF_INSN_SRC(in) != 0)
			continue;
		if (in->imm < 0 || !prog->helpers || (u32)in->imm >= prog->nr_helpers) {
			/*
			 * Linux's two lines, the instruction and then the error:
			 * libbpf recognises the pair after a failed load and
			 * rewrites it into what its poisoned call stands for,
			 * the CO-RE relocation this kernel's BTF cannot satisfy
			 * or the map it did not create, so the tool's error
			 * names what the kernel lacks.
			 */
			ebpf_logf(env->log, "%u: (%02x) call unknown#%d\n", i, in->code, in->imm);
			ebpf_logf(env->log, "invalid func unknown#%d\n", in->imm);
			return -EINVAL;
		}
		if (!prog->helpers[in->imm].fn) {
			ebpf_logf(env->log, "unknown func %s#%d\n",
			     prog->helpers[in->imm].name ? prog->helpers[in->imm].name : "unknown",
			     in->imm);
			return -EINVAL;
		}
		if (prog->helpers[in->imm].check_fmt) {
			err = check_const_fmt(env, i, &prog->helpers[in->imm]);
			if (err)
				return err;
		}
	}
	return 0;
}

static u32 subprog_of(const u32 *starts, u32 n, u32 insn)
{
	u32 lo = 0, hi = n, mid;

	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (starts[mid] <= insn)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Pass 4: call graph without recursion, at most EBPF_MAX_CALL_DEPTH frames; a
 * callback counts as called where its address is taken (it runs one frame deeper).
 */
static int check_call_graph(struct check_env *env, u32 n)
{
	const struct ebpf_prog *prog = env->prog;
	u32 *starts, *stk_sub, *stk_pos, *height;
	u8 *state;
	u32 i, k, sp, sub, pos, end, callee, h;
	int err = 0;

	starts = EBPF_ZALLOC((size_t)n * (4 * sizeof(u32) + 1));
	if (!starts)
		return -ENOMEM;
	stk_sub = starts + n;
	stk_pos = stk_sub + n;
	height = stk_pos + n;
	state = (u8 *)(height + n);
	for (i = 0, k = 0; i < prog->len && k < n; i++)
		if (i == 0 || (env->aux[i] & AUX_SUBPROG))
			starts[k++] = i;

	sp = 0;
	state[0] = 1;
	stk_sub[sp] = 0;
	stk_pos[sp++] = 0;
	while (sp) {
		sub = stk_sub[sp - 1];
		pos = stk_pos[sp - 1];
		end = sub + 1 < n ? starts[sub + 1] : prog->len;
		while (pos < end && !is_call_site(env, pos))
			pos++;
		if (pos < end) {
			stk_pos[sp - 1] = pos + 1;
			callee = subprog_of(starts, n,
					    (u32)((s64)pos + prog->insns[pos].imm + 1));
			if (state[callee] == 1) {
				ebpf_logf(env->log, "back-edge from insn %u to %u\n", pos, starts[callee]);
				err = -EINVAL;
				goto out;
			}
			if (state[callee] == 2) {
				if (height[callee] > height[sub])
					height[sub] = height[callee];
				continue;
			}
			state[callee] = 1;
			stk_sub[sp] = callee;
			stk_pos[sp++] = starts[callee];
		} else {
			state[sub] = 2;
			height[sub]++;	/* max callee chain + this frame */
			h = height[sub];
			sp--;
			if (sp && h > height[stk_sub[sp - 1]])
				height[stk_sub[sp - 1]] = h;
		}
	}
	if (height[0] > EBPF_MAX_CALL_DEPTH) {
		ebpf_logf(env->log, "the call stack of %u frames is too deep !\n", height[0]);
		err = -E2BIG;
	}
out:
	EBPF_FREE(starts);
	return err;
}

/*
 * Pass 6, for contexts with access rules (a socket filter's __sk_buff) and for maps
 * programs may only read (BPF_F_RDONLY_PROG) or only write (BPF_F_WRONLY_PROG): which
 * registers hold the context pointer, a map (ld_imm64 BPF_PSEUDO_MAP_FD) or a pointer
 * into a map's values (ld_imm64 BPF_PSEUDO_MAP_VALUE, what a lookup helper returns, and
 * pointer arithmetic on them), propagated over the live control flow, so that accesses
 * and helper calls Linux's verifier refuses are refused at load with its messages and
 * errnos.  A register's value: unreached, "none of those", unknown (paths disagree, a
 * spill was filled, a callee's argument), the context plus a constant offset, a map,
 * or a pointer into a map's values.  Unknown registers are left to the interpreter,
 * which applies the context rules and refuses writes to read-only values at run time.
 */
#define CTXF_UNREACHED	0
#define CTXF_OTHER	1
#define CTXF_UNKNOWN	2
#define CTXF_MAP	0x2000	/* | map index: the map itself */
#define CTXF_MAPV	0x4000	/* | map index: somewhere in one of its values */
#define CTXF_MAP_MAX	0x2000	/* maps with larger indexes: not followed */
#define CTXF_CTX	0x8000	/* | (offset + 0x4000), offsets within +-16 KiB */
#define CTXF_OFF_BIAS	0x4000
#define CTXF_MAX_INSNS	65536	/* larger programs: the interpreter's checks only */

typedef u16 ctxf_regs[EBPF_NR_REGS];

static u16 ctxf_ctx(s64 off)
{
	if (off <= -CTXF_OFF_BIAS || off >= CTXF_OFF_BIAS)
		return CTXF_UNKNOWN;
	return (u16)(CTXF_CTX | (off + CTXF_OFF_BIAS));
}

static s32 ctxf_off(u16 v)
{
	return (s32)(v & ~CTXF_CTX) - CTXF_OFF_BIAS;
}

static bool ctxf_is_map(u16 v)
{
	return (v & ~(CTXF_MAP - 1)) == CTXF_MAP;
}

static bool ctxf_is_mapv(u16 v)
{
	return (v & ~(CTXF_MAPV - 1)) == CTXF_MAPV;
}

/* A map-kind value for map @idx (CTXF_MAP or CTXF_MAPV), or unknown past the range. */
static u16 ctxf_map(u16 kind, u32 idx)
{
	return idx < CTXF_MAP_MAX ? (u16)(kind | idx) : CTXF_UNKNOWN;
}

static u16 ctxf_join(u16 a, u16 b)
{
	if (a == CTXF_UNREACHED || a == b)
		return b;
	return b == CTXF_UNREACHED ? a : CTXF_UNKNOWN;
}

static int EBPF_PRINTF(4, 5) ctxf_deny(struct check_env *env, u32 i, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vvlog(env->log, fmt, ap);
	va_end(ap);
	ebpf_logf(env->log, "verification failed at insn %u (code %02x)\n", i, env->prog->insns[i].code);
	return err;
}

/*
 * A read or write of @size bytes through a pointer into map values (v): refused where
 * the map's program-side flags forbid it (Linux's check_map_access_type).  The offset
 * logged is the instruction's: this pass does not follow offsets into values.
 */
static int ctxf_value_access(struct check_env *env, u32 i, u16 v, u32 size, bool write)
{
	const struct ebpf_map_ref *m;

	if (!ctxf_is_mapv(v))
		return 0;
	m = &env->prog->maps[v & (CTXF_MAP_MAX - 1)];
	if (write && m->value_readonly)
		return ctxf_deny(env, i, -EACCES, "write into map forbidden, value_size=%u off=%d size=%u\n",
				 m->value_size, env->prog->insns[i].off, size);
	if (!write && m->value_writeonly)
		return ctxf_deny(env, i, -EACCES, "read from map forbidden, value_size=%u off=%d size=%u\n",
				 m->value_size, env->prog->insns[i].off, size);
	return 0;
}

/* A load or store of size bytes at insn->off through register reg holding value v. */
static int ctxf_access(struct check_env *env, u32 i, u32 reg, u16 v, u32 size, bool write,
		       bool atomic)
{
	const struct ebpf_insn *in = &env->prog->insns[i];
	const struct ebpf_ctx_ops *ops = ebpf_ctx_ops(env->prog);
	s32 off;

	if (ctxf_is_mapv(v)) {
		/* an atomic read-modify-write reads first, then writes (Linux check_atomic) */
		int err = atomic && write ? ctxf_value_access(env, i, v, size, false) : 0;

		return err ? err : ctxf_value_access(env, i, v, size, write);
	}
	if (!(v & CTXF_CTX) || !ops)
		return 0;
	if (atomic)
		return ctxf_deny(env, i, -EACCES, "BPF_ATOMIC stores into R%u ctx is not allowed\n", reg);
	if (ctxf_off(v))
		return ctxf_deny(env, i, -EACCES, "dereference of modified ctx ptr R%u off=%d disallowed\n",
				 reg, ctxf_off(v));
	off = in->off;
	if (off < 0 || !ops->access_ok((u32)off, size, write))
		return ctxf_deny(env, i, -EACCES, "invalid bpf_context access off=%d size=%u\n", off, size);
	return 0;
}

/*
 * A helper call with arguments r[1..5]: a map-changing helper on a map programs may
 * only read (Linux's record_func_map), a map value a helper writes to (UNINIT_MEM,
 * out-parameters) or reads from (keys, values, memory) against its map's flags (Linux's
 * check_helper_mem_access).  r0 becomes the lookup's value pointer where known.
 */
static int ctxf_call(struct check_env *env, u32 i, u16 *r)
{
	const struct ebpf_prog *prog = env->prog;
	const struct ebpf_helper *h;
	u32 id = (u32)prog->insns[i].imm, a;
	u16 map = CTXF_UNKNOWN;
	int err = 0;

	if (EBPF_INSN_SRC(&prog->insns[i]) || !prog->helpers || id >= prog->nr_helpers)
		return 0;
	h = &prog->helpers[id];
	for (a = 0; a < 5 && !err; a++) {
		u16 v = r[a + 1];

		switch (h->args[a]) {
		case EBPF_ARG_CONST_MAP_PTR:
			map = v;
			if (h->map_write && ctxf_is_map(v) && prog->maps[v & (CTXF_MAP_MAX - 1)].value_readonly)
				err = ctxf_deny(env, i, -EACCES, "write into map forbidden\n");
			break;
		case EBPF_ARG_PTR_TO_MAP_KEY:
		case EBPF_ARG_PTR_TO_MAP_VALUE:
		case EBPF_ARG_PTR_TO_MEM:
		case EBPF_ARG_PTR_TO_MEM_OR_NULL:
			err = ctxf_value_access(env, i, v, 0, false);
			break;
		case EBPF_ARG_PTR_TO_UNINIT_MEM:
		case EBPF_ARG_PTR_TO_STACK_OR_MAP_VALUE_WRITABLE_8:
			err = ctxf_value_access(env, i, v, 0, true);
			break;
		default:
			break;
		}
	}
	if (h->ret == EBPF_RET_MAP_VALUE_OR_NULL && ctxf_is_map(map))
		r[0] = ctxf_map(CTXF_MAPV, map & (CTXF_MAP_MAX - 1));
	return err;
}

/* ALU64 add / sub: constant offsets move the context pointer, keep a map value pointer. */
static u16 ctxf_add_sub(const struct ebpf_insn *in, u16 d, u16 s)
{
	u8 op = EBPF_OP(in->code);
	bool k = EBPF_SRC(in->code) == EBPF_K;

	if (k && (d & CTXF_CTX))
		return ctxf_ctx(ctxf_off(d) + (op == EBPF_ADD ? in->imm : -(s64)in->imm));
	if (ctxf_is_mapv(d) && (k || s == CTXF_OTHER))
		return d;
	if (op == EBPF_ADD && !k && d == CTXF_OTHER && ctxf_is_mapv(s))
		return s;
	return (d == CTXF_OTHER && (k || s == CTXF_OTHER)) ? CTXF_OTHER : CTXF_UNKNOWN;
}

/* The registers after insn i (r[] on entry), or an error for an access Linux refuses. */
static int ctxf_step(struct check_env *env, u32 i, u16 *r)
{
	const struct ebpf_insn *in = &env->prog->insns[i];
	u32 dst = EBPF_INSN_DST(in), src = EBPF_INSN_SRC(in) % EBPF_NR_REGS, k;
	u32 size = ebpf_size_bytes(in->code);
	u8 op = EBPF_OP(in->code);
	int err;

	dst %= EBPF_NR_REGS;
	switch (EBPF_CLASS(in->code)) {
	case EBPF_ALU64:
		if (op == EBPF_MOV && EBPF_SRC(in->code) == EBPF_X && !in->off)
			r[dst] = r[src];
		else if (op == EBPF_ADD || op == EBPF_SUB)
			r[dst] = ctxf_add_sub(in, r[dst], r[src]);
		else
			r[dst] = CTXF_OTHER;
		return 0;
	case EBPF_ALU:
		r[dst] = CTXF_OTHER;
		return 0;
	case EBPF_LDX:
		err = ctxf_access(env, i, src, r[src], size, false, false);
		/* a 64-bit load may fill a spilled pointer */
		r[dst] = size == 8 ? CTXF_UNKNOWN : CTXF_OTHER;
		return err;
	case EBPF_ST:
		return ctxf_access(env, i, dst, r[dst], size, true, false);
	case EBPF_STX:
		if (EBPF_MODE(in->code) != EBPF_ATOMIC)
			return ctxf_access(env, i, dst, r[dst], size, true, false);
		if (in->imm == EBPF_LOAD_ACQ) {
			err = ctxf_access(env, i, src, r[src], size, false, true);
			r[dst] = CTXF_OTHER;
			return err;
		}
		err = ctxf_access(env, i, dst, r[dst], size, true, in->imm != EBPF_STORE_REL);
		if (in->imm == EBPF_CMPXCHG)
			r[0] = CTXF_OTHER;
		else if (in->imm & EBPF_FETCH)
			r[src] = CTXF_OTHER;
		return err;
	case EBPF_LD:
		if (EBPF_MODE(in->code) == EBPF_IMM) {
			if (EBPF_INSN_SRC(in) == EBPF_PSEUDO_MAP_FD)
				r[dst] = ctxf_map(CTXF_MAP, (u32)in->imm);
			else if (EBPF_INSN_SRC(in) == EBPF_PSEUDO_MAP_VALUE)
				r[dst] = ctxf_map(CTXF_MAPV, (u32)in->imm);
			else
				r[dst] = CTXF_OTHER;
			return 0;
		}
		/* LD_ABS / LD_IND read through r6, then clobber r0..r5 like a call */
		if (r[6] == CTXF_OTHER)
			return ctxf_deny(env, i, -EINVAL, "at the time of BPF_LD_ABS|IND R6 != pointer to skb\n");
		if ((r[6] & CTXF_CTX) && ctxf_off(r[6]))
			return ctxf_deny(env, i, -EACCES, "dereference of modified ctx ptr R6 off=%d disallowed\n",
					 ctxf_off(r[6]));
		for (k = 0; k <= 5; k++)
			r[k] = CTXF_OTHER;
		return 0;
	default: /* JMP, JMP32 */
		if (in->code != (EBPF_JMP | EBPF_CALL))
			return 0;
		r[0] = CTXF_OTHER;
		err = ctxf_call(env, i, r);
		for (k = 1; k <= 5; k++)
			r[k] = CTXF_OTHER;
		if (src == EBPF_PSEUDO_CALL)
			r[0] = CTXF_UNKNOWN;	/* whatever the subprogram returned */
		return err;
	}
}

/* Anything for pass 6 to follow: a context with rules, or a restricted map. */
static bool ctxf_needed(const struct ebpf_prog *prog)
{
	u32 i;

	if (ebpf_ctx_ops(prog))
		return true;
	for (i = 0; i < prog->nr_maps && i < CTXF_MAP_MAX; i++)
		if (prog->maps[i].value_readonly || prog->maps[i].value_writeonly)
			return true;
	return false;
}

static int check_ctx_flow(struct check_env *env)
{
	const struct ebpf_prog *prog = env->prog;
	u32 len = prog->len, i, k, ns, succ[2], sp = 0, *stack;
	ctxf_regs *in, out;
	u8 *queued;
	int err = 0;

	if (!ctxf_needed(prog) || len > CTXF_MAX_INSNS)
		return 0;
	stack = EBPF_ZALLOC((size_t)len * (sizeof(u32) + sizeof(ctxf_regs) + 1));
	if (!stack)
		return -ENOMEM;
	in = (ctxf_regs *)(stack + len);	/* u32 then u16 alignment */
	queued = (u8 *)(in + len);
	/* Entries: the main program gets the context in r1; a subprogram, unknowns. */
	for (i = 0; i < len; i++) {
		if (i && !(env->aux[i] & AUX_SUBPROG))
			continue;
		for (k = 0; k < EBPF_NR_REGS; k++)
			in[i][k] = i ? CTXF_UNKNOWN : CTXF_OTHER;
		in[i][EBPF_REG_FP] = CTXF_OTHER;
		if (!i)
			in[i][1] = ctxf_ctx(0);
		if (env->aux[i] & AUX_LIVE) {
			queued[i] = 1;
			stack[sp++] = i;
		}
	}
	while (sp && !err) {
		i = stack[--sp];
		queued[i] = 0;
		memcpy(out, in[i], sizeof(out));
		err = ctxf_step(env, i, out);
		ns = successors(env, i, true, false, succ);
		for (k = 0; k < ns && !err; k++) {
			u32 s = succ[k], r;
			bool changed = false;

			if (s >= len)
				continue;
			for (r = 0; r < EBPF_NR_REGS; r++) {
				u16 j = ctxf_join(in[s][r], out[r]);

				changed |= j != in[s][r];
				in[s][r] = j;
			}
			if (changed && !queued[s]) {
				queued[s] = 1;
				stack[sp++] = s;
			}
		}
	}
	EBPF_FREE(stack);
	return err;
}

int ebpf_check(const struct ebpf_prog *prog, struct ebpf_log *log)
{
	struct check_env env;
	u32 i, nr_subprogs = 0;
	int err;

	if (log && log->buf && log->size) {
		if (log->len >= log->size)
			log->len = 0;
		log->buf[log->len] = 0;
	}
	if (!prog || !prog->insns) {
		ebpf_logf(log, "no program\n");
		return -EINVAL;
	}
	if (prog->len == 0 || prog->len > EBPF_MAX_INSNS) {
		ebpf_logf(log, "program of %u insns is out of range (1..%u)\n", prog->len, EBPF_MAX_INSNS);
		return -E2BIG;
	}
	env.prog = prog;
	env.log = log;
	env.aux = EBPF_ZALLOC(prog->len);
	if (!env.aux)
		return -ENOMEM;

	for (i = 0; i < prog->len; i++) {
		if (env.aux[i] & AUX_LD2)
			continue;
		err = check_insn(&env, i);
		if (err) {
			ebpf_logf(log, "verification failed at insn %u (code %02x)\n", i, prog->insns[i].code);
			goto out;
		}
	}
	err = check_subprogs(&env, &nr_subprogs);
	if (!err)
		err = check_reachable(&env);
	if (!err)
		err = check_live_calls(&env);
	if (!err)
		err = check_call_graph(&env, nr_subprogs);
	if (!err)
		err = check_ctx_flow(&env);
	if (!err)
		ebpf_logf(log, "processed %u insns (limit %u) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n",
		     prog->len, EBPF_MAX_INSNS);
out:
	EBPF_FREE(env.aux);
	return err;
}
