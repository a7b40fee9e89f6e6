// SPDX-License-Identifier: GPL-2.0
/*
 * Raw tracepoint arguments as every kernel with BPF raw tracepoints passes them.
 *
 * RAW_TRACEPOINT and tp_btf programs read a tracepoint's TP_PROTO arguments as
 * u64 args[]. Raw tracepoints exist since 4.17 (tp_btf since 5.5), so tools are
 * written for the argument lists of those kernels: offcputime declares
 * BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, ...), biolatency
 * BPF_PROG(block_rq_complete, struct request *rq, int error, unsigned int nr_bytes),
 * and no tool checks the kernel version for them because no kernel it can run on
 * declares them differently. Older kernels do: 3.10 (CentOS/RHEL 7) passes
 * sched_switch(prev, next) and block_rq_complete(q, rq, nr_bytes). An adapter
 * rewrites such a kernel's arguments into the list of the oldest kernel with raw
 * tracepoints (extended with what later kernels appended, e.g. sched_switch's
 * prev_state), from the same data; which kernels differ is compat/tracepoint.h's knowledge.
 *
 * Tracepoints whose arguments changed after raw tracepoints existed (block_rq_issue
 * and block_rq_insert dropped their request_queue in 5.11) are left alone: tools
 * choose by kernel version there (bitesize, biolatency: ctx[1] before 5.11), and
 * natively such a kernel passes the old list.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/sched.h>
#include <linux/blkdev.h>
#include "bpfdrv.h"
#include "compat.h"

#if BPFDRV_TP_SCHED_SWITCH_NO_PREEMPT
/*
 * (prev, next) -> (preempt, prev, next, prev_state). Before 4.4 the tracepoint fires in
 * the scheduler with prev still current, and a preemption is marked by PREEMPT_ACTIVE in
 * its preempt count, which is what 4.4 turned into the preempt argument. prev_state
 * (5.18) is prev's state read at the same point.
 */
static void sched_switch_args(u64 *args)
{
	struct task_struct *prev = (struct task_struct *)(unsigned long)args[0];
	u64 next = args[1];

	args[0] = !!(preempt_count() & PREEMPT_ACTIVE);
	args[1] = (unsigned long)prev;
	args[2] = next;
	args[3] = (u64)(long)prev->state;
}
#endif

#if BPFDRV_TP_BLOCK_RQ_COMPLETE_WITH_QUEUE
/*
 * (q, rq, nr_bytes) -> (rq, error, nr_bytes), the list since 4.13. These kernels keep
 * the completion's error in rq->errors (what their own tracepoint record shows).
 */
static void block_rq_complete_args(u64 *args)
{
	struct request *rq = (struct request *)(unsigned long)args[1];
	u64 nr_bytes = (u32)args[2];

	args[0] = (unsigned long)rq;
	args[1] = (u64)(s64)rq->errors;
	args[2] = nr_bytes;
}
#endif

static const struct {
	const char *name;
	bpfdrv_raw_tp_args_fn fn;
} raw_tp_adapters[] = {
#if BPFDRV_TP_SCHED_SWITCH_NO_PREEMPT
	{ "sched_switch", sched_switch_args },
#endif
#if BPFDRV_TP_BLOCK_RQ_COMPLETE_WITH_QUEUE
	{ "block_rq_complete", block_rq_complete_args },
#endif
	{ NULL, NULL },
};

bpfdrv_raw_tp_args_fn bpfdrv_raw_tp_args_adapter(const char *tp_name)
{
	unsigned int i;

	for (i = 0; raw_tp_adapters[i].name; i++)
		if (!strcmp(raw_tp_adapters[i].name, tp_name))
			return raw_tp_adapters[i].fn;
	return NULL;
}
