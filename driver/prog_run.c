// SPDX-License-Identifier: GPL-2.0
/*
 * Running programs: per-CPU scratch (engine stack, context copy), a per-CPU recursion
 * guard, an instruction budget per invocation and run statistics.
 *
 * The guard is also what keeps programs from deadlocking on the locks they share with
 * the rest of the module (Linux's bpf_prog_active). The locks a run can take are the
 * maps' and the rings' (hash, LPM trie, queue/stack, stack trace, perf ring, BPF ring
 * buffer); the run path itself (bpfdrv_event_run, bpfdrv_prog_run) takes none, only RCU
 * and this CPU's state. Each of those locks is held only
 *  - by a program's helper, with the guard up (busy), or
 *  - by a syscall-side operation between bpfdrv_disable_instrumentation() and
 *    bpfdrv_enable_instrumentation(), with the guard up too,
 * always with IRQs off and for a bounded section that waits for nothing else. So a
 * program starting on a CPU, in any context including NMI, either finds the guard up
 * and is skipped (counted as missed), or holds no lock of this CPU's: the locks it then
 * takes can only be held by another CPU, which releases them without waiting for this
 * one. Linux's trylock-and-fail in NMI is not needed on top; in NMI the locks are
 * taken by spinning on trylock only because lockdep accepts no other form there
 * (map_lock.h).
 */
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include "bpfdrv.h"
#include "compat.h"
#include "helpers.h"

/* Enough for bounded loops over a few thousand elements; ends runaway programs. */
#define BPFDRV_RUN_BUDGET 1000000
/*
 * Helpers pay for the bytes they copy, format or scan from the same budget, one
 * instruction per this many bytes (about what a copy of them costs next to one
 * interpreted instruction): a run moves at most 32 MB, and a loop of big helper calls
 * ends like a runaway loop instead of running for seconds with preemption off.
 */
#define BPFDRV_BUDGET_BYTES 32
/*
 * Wall-clock limit of one run, asked once per EBPF_TIME_SLICE units of its budget. The
 * budget counts work, not what a unit of it costs: a probe read that faults or a stack
 * walk costs microseconds where an instruction costs nanoseconds, so a loop of faulting
 * reads ran 380 ms within the budget in a TCG guest (guest_budget), and every program
 * attached to one event may take as long. A full budget of instructions takes ~10 ms
 * natively, ~60 ms in a TCG guest.
 */
#define BPFDRV_RUN_TIME_LIMIT_NS (200 * NSEC_PER_MSEC)

struct bpfdrv_cpu_state {
	/* Programs running, plus syscall-side sections, on this CPU: none may start. */
	int busy;
	u8 ctx[BPFDRV_TRACE_CTX_SIZE] __aligned(8);
	u64 stack_ips[BPFDRV_MAX_STACK_DEPTH];
	struct ebpf_scratch scratch;
};

static struct bpfdrv_cpu_state **bpfdrv_cpu_states;

int bpfdrv_prog_run_init(void)
{
	int cpu;

	bpfdrv_helpers_init();
	bpfdrv_cpu_states = kcalloc(nr_cpu_ids, sizeof(*bpfdrv_cpu_states), GFP_KERNEL);
	if (!bpfdrv_cpu_states)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		bpfdrv_cpu_states[cpu] = vzalloc(sizeof(struct bpfdrv_cpu_state));
		if (!bpfdrv_cpu_states[cpu]) {
			bpfdrv_prog_run_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

void bpfdrv_prog_run_exit(void)
{
	int cpu;

	if (!bpfdrv_cpu_states)
		return;
	bpfdrv_helpers_tracing_exit(); /* signals bpf_send_signal queued */
	for_each_possible_cpu(cpu)
		vfree(bpfdrv_cpu_states[cpu]);
	kfree(bpfdrv_cpu_states);
	bpfdrv_cpu_states = NULL;
}

bool bpfdrv_charge_bytes(struct ebpf_run *run, u64 bytes)
{
	return ebpf_charge(run, DIV_ROUND_UP_ULL(bytes, BPFDRV_BUDGET_BYTES));
}

/* The run's over_time: its clock starts at the first question, EBPF_TIME_SLICE units in. */
static bool bpfdrv_run_over_time(struct ebpf_run *run)
{
	struct bpfdrv_run_env *env = run->env;
	u64 now = bpfdrv_ktime_ns();

	if (!env->time_start) {
		env->time_start = now;
		return false;
	}
	return now - env->time_start > BPFDRV_RUN_TIME_LIMIT_NS;
}

static void bpfdrv_run_on_cpu_ctx(struct bpfdrv_prog *prog, struct bpfdrv_cpu_state *st,
				  const struct bpfdrv_run_ctx *c)
{
	struct bpfdrv_run_env env = { c->regs, prog, st->stack_ips, c->cookie, c->func_ip };
	struct ebpf_run run;
	bool timed = bpfdrv_run_stats_enabled();
	u64 start = timed ? bpfdrv_ktime_ns() : 0, r0;

	memset(&run, 0, sizeof(run));
	run.prog = &prog->eprog;
	run.env = &env;
	run.budget = BPFDRV_RUN_BUDGET;
	run.over_time = bpfdrv_run_over_time;
	if (prog->jit_code)
		r0 = ebpf_jit_run(&run, &st->scratch, prog->jit_code, st->ctx, 0);
	else
		r0 = ebpf_run_prog(&run, &st->scratch, st->ctx, 0);
	if (c->retval)
		*c->retval = r0;
	if (c->error)
		*c->error = run.error;
	/* Records the program reserved and never submitted must not stay BUSY. */
	bpfdrv_ringbuf_run_end(&env);
	atomic64_inc(&prog->run_cnt);
	if (timed)
		atomic64_add(bpfdrv_ktime_ns() - start, &prog->run_time_ns);
	if (run.error) {
		atomic64_inc(&prog->aborts);
		bpfdrv_warn("program '%s' aborted at insn %u: error %d%s\n", prog->name,
			    run.error_pc, run.error,
			    run.out_of_time ? " (ran past its time limit)" : "");
	}
}

void bpfdrv_prog_run(struct bpfdrv_prog *prog, const struct bpfdrv_run_ctx *c)
{
	struct bpfdrv_cpu_state *st;
	u32 size;

	preempt_disable();
	st = bpfdrv_cpu_states[smp_processor_id()];
	/*
	 * A probe firing inside a program on this CPU (interrupt, NMI), or inside a
	 * syscall-side map operation (a kprobe on a function it calls, NMI), is skipped.
	 * An interrupt between the test and the increment runs to completion and leaves
	 * busy as it found it.
	 */
	if (st->busy) {
		atomic64_inc(&prog->missed);
		preempt_enable();
		return;
	}
	st->busy++;
	barrier();
	size = min_t(u32, c->size, sizeof(st->ctx));
	/*
	 * The program reads a private copy (kprobe regs, a trace record, raw_tp args),
	 * followed by zeroes up to its type's context size.
	 */
	memcpy(st->ctx, c->ctx, size);
	bpfdrv_run_on_cpu_ctx(prog, st, c);
	if (c->ctx_out)
		memcpy(c->ctx_out, st->ctx, size);
	memset(st->ctx, 0, size);
	barrier();
	st->busy--;
	preempt_enable();
}

void bpfdrv_disable_instrumentation(void)
{
	preempt_disable();
	bpfdrv_cpu_states[smp_processor_id()]->busy++;
	barrier();
}

void bpfdrv_enable_instrumentation(void)
{
	barrier();
	bpfdrv_cpu_states[smp_processor_id()]->busy--;
	preempt_enable();
}

void bpfdrv_run_trace_record(struct bpfdrv_prog *prog, const void *rec, u32 size,
			     struct pt_regs *regs)
{
	struct bpfdrv_run_ctx c = { rec, size, regs, 0, 0 };

	bpfdrv_prog_run(prog, &c);
}
