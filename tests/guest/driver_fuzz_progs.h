/* SPDX-License-Identifier: GPL-2.0 */
/*
 * driver_fuzz's program corpus and its instruction-level mutator.
 *
 * The corpus is self-contained (no files, no clang): small programs of the shapes real
 * tools load — counters in an array, hash updates keyed by pid, bounded loops, helper
 * calls, perf and ring buffer output, tail calls, queue pushes, bpf-to-bpf calls,
 * bpf_loop callbacks, kernel reads and stack ids. Each builder writes its instructions
 * with the fixture maps' fds in its ld_imm64s and returns the count. Mutations then work
 * on the encoding (struct bpfdrv_insn, the protocol's own definition), so the engine's
 * checker sees everything from "one register changed" to garbage.
 */
#ifndef DRIVER_FUZZ_PROGS_H
#define DRIVER_FUZZ_PROGS_H

#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include "../../driver/bpfdrv_protocol.h"

/* Maps every process creates at start and keeps: what the corpus programs reference. */
struct fixtures {
	int hits;	/* array, key 4, value 8, 4 entries: counters the probes bump */
	int hash;	/* hash, key 8, value 8 */
	int perf_array; /* perf event array, one slot per CPU */
	int ringbuf;
	int prog_array;
	int queue;	/* value 8 */
	int stack_trace;
};

#define INSN(c, d, s, o, i) \
	((struct bpfdrv_insn){ .code = (c), .regs = (uint8_t)((d) | (s) << 4), .off = (o), .imm = (i) })
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV32_IMM(d, i) INSN(BPF_ALU | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV64_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD64_IMM(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define ADD64_REG(d, s) INSN(BPF_ALU64 | BPF_ADD | BPF_X, d, s, 0, 0)
#define ST_DW(d, o, i) INSN(BPF_ST | BPF_MEM | BPF_DW, d, 0, o, i)
#define ST_W(d, o, i) INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
#define STX_DW(d, s, o) INSN(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0)
#define JEQ_IMM(d, i, o) INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define JLT_IMM(d, i, o) INSN(BPF_JMP | BPF_JLT | BPF_K, d, 0, o, i)
#define ATOMIC_ADD_DW(d, s, o) INSN(BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, BPF_ADD)
#define CALL(helper) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, helper)
#define CALL_LOCAL(rel) INSN(BPF_JMP | BPF_CALL, 0, BPFDRV_PSEUDO_CALL, 0, rel)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LD_IMM64_LO(d, src, i) INSN(BPF_LD | BPF_DW | BPF_IMM, d, src, 0, i)
#define LD_IMM64_HI() INSN(0, 0, 0, 0, 0)

/* r1 = the map whose fd is @fd (two instructions). */
static int ld_map(struct bpfdrv_insn *p, int reg, int fd)
{
	p[0] = LD_IMM64_LO(reg, BPFDRV_PSEUDO_MAP_FD, fd);
	p[1] = LD_IMM64_HI();
	return 2;
}

/* r2 = fp - @off: a stack slot's address as a helper argument. */
static int fp_arg(struct bpfdrv_insn *p, int reg, int off)
{
	p[0] = MOV64_REG(reg, BPF_REG_10);
	p[1] = ADD64_IMM(reg, -off);
	return 2;
}

static int ret0(struct bpfdrv_insn *p)
{
	p[0] = MOV64_IMM(BPF_REG_0, 0);
	p[1] = EXIT();
	return 2;
}

/* hits[0] += 1 (atomically): what every counting tool does. */
static int prog_counter(struct bpfdrv_insn *p, const struct fixtures *f)
{
	int n = 0;

	p[n++] = ST_W(BPF_REG_10, -4, 0);
	n += ld_map(p + n, BPF_REG_1, f->hits);
	n += fp_arg(p + n, BPF_REG_2, 4);
	p[n++] = CALL(BPF_FUNC_map_lookup_elem);
	p[n++] = JEQ_IMM(BPF_REG_0, 0, 2);
	p[n++] = MOV64_IMM(BPF_REG_1, 1);
	p[n++] = ATOMIC_ADD_DW(BPF_REG_0, BPF_REG_1, 0);
	return n + ret0(p + n);
}

/* hash[pid_tgid] = ktime, then look it up and delete it again. */
static int prog_hash(struct bpfdrv_insn *p, const struct fixtures *f)
{
	int n = 0;

	p[n++] = CALL(BPF_FUNC_get_current_pid_tgid);
	p[n++] = STX_DW(BPF_REG_10, BPF_REG_0, -8);
	p[n++] = CALL(BPF_FUNC_ktime_get_ns);
	p[n++] = STX_DW(BPF_REG_10, BPF_REG_0, -16);
	n += ld_map(p + n, BPF_REG_1, f->hash);
	n += fp_arg(p + n, BPF_REG_2, 8);
	n += fp_arg(p + n, BPF_REG_3, 16);
	p[n++] = MOV64_IMM(BPF_REG_4, BPF_ANY);
	p[n++] = CALL(BPF_FUNC_map_update_elem);
	n += ld_map(p + n, BPF_REG_1, f->hash);
	n += fp_arg(p + n, BPF_REG_2, 8);
	p[n++] = CALL(BPF_FUNC_map_lookup_elem);
	n += ld_map(p + n, BPF_REG_1, f->hash);
	n += fp_arg(p + n, BPF_REG_2, 8);
	p[n++] = CALL(BPF_FUNC_map_delete_elem);
	return n + ret0(p + n);
}

/* A bounded loop: r0 = sum(0..31) & 1. */
static int prog_loop(struct bpfdrv_insn *p, const struct fixtures *f)
{
	int n = 0;

	(void)f;
	p[n++] = MOV64_IMM(BPF_REG_1, 0);
	p[n++] = MOV64_IMM(BPF_REG_2, 0);
	p[n++] = ADD64_REG(BPF_REG_2, BPF_REG_1);
	p[n++] = ADD64_IMM(BPF_REG_1, 1);
	p[n++] = JLT_IMM(BPF_REG_1, 32, -3);
	p[n++] = MOV64_REG(BPF_REG_0, BPF_REG_2);
	p[n++] = INSN(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_0, 0, 0, 1);
	p[n++] = EXIT();
	return n;
}

/* Helpers without arguments, and a trace_printk of a small format. */
static int prog_helpers(struct bpfdrv_insn *p, const struct fixtures *f)
{
	int n = 0;

	(void)f;
	p[n++] = CALL(BPF_FUNC_get_smp_processor_id);
	p[n++] = CALL(BPF_FUNC_get_prandom_u32);
	p[n++] = CALL(BPF_FUNC_ktime_get_ns);
	p[n++] = ST_W(BPF_REG_10, -4, 0x000a6425); /* "%d\n" */
	n += fp_arg(p + n, BPF_REG_1, 4);
	p[n++] = MOV64_IMM(BPF_REG_2, 4);
	p[n++] = MOV64_IMM(BPF_REG_3, 7);
	p[n++] = CALL(BPF_FUNC_trace_printk);
	return n + ret0(p + n);
}

/* perf_event_output(ctx, perf_array, BPF_F_CURRENT_CPU, &u64, 8). */
static int prog_perf_output(struct bpfdrv_insn *p, const struct fixtures *f)
{
	int n = 0;

	p[n++] = ST_DW(BPF_REG_10, -8, 42);
	n += ld_map(p + n, BPF_REG_2, f->perf_array);
	p[n++] = MOV32_IMM(BPF_REG_3, -1); /* BPF_F_CURRENT_CPU */
	n += fp_arg(p + n, BPF_REG_4, 8);
	p[n++] = MOV64_IMM(BPF_REG_5, 8);
	p[n++] = CALL(BPF_FUNC_perf_event_output);
	return n + ret0(p + n);
}

static int prog_ringbuf(struct bpfdrv_insn *p, const struct fixtures *f)
{
	int n = 0;

	p[n++] = ST_DW(BPF_REG_10, -8, 7);
	n += ld_map(p + n, BPF_REG_1, f->ringbuf);
	n += fp_arg(p + n, BPF_REG_2, 8);
	p[n++] = MOV64_IMM(BPF_REG_3, 8);
	p[n++] = MOV64_IMM(BPF_REG_4, 0);
	p[n++] = CALL(BPF_FUNC_ringbuf_output);
	return n + ret0(p + n);
}

static int prog_tail_call(struct bpfdrv_insn *p, const struct fixtures *f)
{
	int n = 0;

	n += ld_map(p + n, BPF_REG_2, f->prog_array);
	p[n++] = MOV64_IMM(BPF_REG_3, 0);
	p[n++] = CALL(BPF_FUNC_tail_call);
	return n + ret0(p + n);
}

static int prog_queue(struct bpfdrv_insn *p, const struct fixtures *f)
{
	int n = 0;

	p[n++] = ST_DW(BPF_REG_10, -8, 9);
	n += ld_map(p + n, BPF_REG_1, f->queue);
	n += fp_arg(p + n, BPF_REG_2, 8);
	p[n++] = MOV64_IMM(BPF_REG_3, 0);
	p[n++] = CALL(BPF_FUNC_map_push_elem);
	n += ld_map(p + n, BPF_REG_1, f->queue);
	n += fp_arg(p + n, BPF_REG_2, 8);
	p[n++] = CALL(BPF_FUNC_map_pop_elem);
	return n + ret0(p + n);
}

/* main calls a subprogram (bpf-to-bpf call) and returns what it returned. */
static int prog_subprog(struct bpfdrv_insn *p, const struct fixtures *f)
{
	int n = 0;

	(void)f;
	p[n++] = CALL_LOCAL(1);
	p[n++] = EXIT();
	p[n++] = MOV64_IMM(BPF_REG_0, 1);
	p[n++] = EXIT();
	return n;
}

/* bpf_loop(4, callback, NULL, 0): the callback bumps hits[1]. */
static int prog_bpf_loop(struct bpfdrv_insn *p, const struct fixtures *f)
{
	int n = 0, cb;

	p[n++] = MOV64_IMM(BPF_REG_1, 4);
	cb = n;
	n += 2; /* r2 = callback, filled below */
	p[n++] = MOV64_IMM(BPF_REG_3, 0);
	p[n++] = MOV64_IMM(BPF_REG_4, 0);
	p[n++] = CALL(BPF_FUNC_loop);
	n += ret0(p + n);
	p[cb] = LD_IMM64_LO(BPF_REG_2, BPFDRV_PSEUDO_FUNC, n - cb - 1);
	p[cb + 1] = LD_IMM64_HI();
	p[n++] = ST_W(BPF_REG_10, -4, 1);
	n += ld_map(p + n, BPF_REG_1, f->hits);
	n += fp_arg(p + n, BPF_REG_2, 4);
	p[n++] = CALL(BPF_FUNC_map_lookup_elem);
	p[n++] = JEQ_IMM(BPF_REG_0, 0, 2);
	p[n++] = MOV64_IMM(BPF_REG_1, 1);
	p[n++] = ATOMIC_ADD_DW(BPF_REG_0, BPF_REG_1, 0);
	return n + ret0(p + n);
}

/* probe_read_kernel(fp - 8, 8, ctx): a kernel read, as every kprobe tool does. */
static int prog_probe_read(struct bpfdrv_insn *p, const struct fixtures *f)
{
	int n = 0;

	(void)f;
	p[n++] = MOV64_REG(BPF_REG_3, BPF_REG_1);
	n += fp_arg(p + n, BPF_REG_1, 8);
	p[n++] = MOV64_IMM(BPF_REG_2, 8);
	p[n++] = CALL(BPF_FUNC_probe_read_kernel);
	return n + ret0(p + n);
}

static int prog_stackid(struct bpfdrv_insn *p, const struct fixtures *f)
{
	int n = 0;

	n += ld_map(p + n, BPF_REG_2, f->stack_trace);
	p[n++] = MOV64_IMM(BPF_REG_3, 0);
	p[n++] = CALL(BPF_FUNC_get_stackid);
	return n + ret0(p + n);
}

static int prog_ret0(struct bpfdrv_insn *p, const struct fixtures *f)
{
	(void)f;
	return ret0(p);
}

typedef int (*prog_builder)(struct bpfdrv_insn *p, const struct fixtures *f);

static const prog_builder corpus[] = {
	prog_ret0, prog_counter, prog_hash, prog_loop, prog_helpers, prog_perf_output,
	prog_ringbuf, prog_tail_call, prog_queue, prog_subprog, prog_bpf_loop, prog_probe_read,
	prog_stackid,
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CORPUS_SIZE ((int)ARRAY_SIZE(corpus))
/* Room for the longest corpus program plus every insertion the mutator may make. */
#define PROG_ROOM 128

/* Values the checker's range logic is most likely to get wrong. */
static const int64_t boundary_ints[] = {
	0, 1, -1, 2, 4, 7, 8, 16, 63, 64, 255, 256, 511, 512, 4095, 4096, 0x7fff, -0x8000,
	0x7fffffff, -0x7fffffff - 1, 0xffff, 0x10000, -8, -512, -513, 1000000,
};

#endif /* DRIVER_FUZZ_PROGS_H */
