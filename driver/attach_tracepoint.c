// SPDX-License-Identifier: GPL-2.0
/*
 * PERF_TYPE_TRACEPOINT events: static tracepoints, and kprobe/uprobe events created
 * through tracefs (kprobe_events, uprobe_events — the legacy route libbpf takes where
 * there is no kprobe PMU, e.g. 3.10). Attaching a program opens a kernel perf counter
 * on the tracepoint id on every online CPU; its overflow handler receives both the raw
 * record (the layout of the event's format file: TRACEPOINT programs read it) and the
 * probed registers (for a kprobe/uprobe event: KPROBE programs read them) — the same
 * route on 3.10 and 6.x.
 */
#include <linux/kernel.h>
#include <linux/perf_event.h>
#include <linux/cpumask.h>
#include <linux/slab.h>
#include "bpfdrv.h"
#include "compat.h"

struct tp_state {
	u64 tp_id;
	struct perf_event **counters; /* per possible CPU, NULL where not opened */
};

static void tp_overflow(struct perf_event *event, struct perf_sample_data *data,
			struct pt_regs *regs)
{
	struct bpfdrv_event *ev = event->overflow_handler_context;
	void *rec;
	u32 size = 0;

	rec = bpfdrv_sample_raw(data, &size);
	if (!rec)
		return;
	/* func_ip: the kernel asks kprobe_running(), which modules cannot: 0 here. */
	bpfdrv_event_run(ev, rec, size, regs, 0);
}

static void tp_close_counters(struct tp_state *tp)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (tp->counters[cpu]) {
			perf_event_release_kernel(tp->counters[cpu]);
			tp->counters[cpu] = NULL;
		}
	}
}

/* The kernel's perf_event_set_bpf_prog rule: probe events take KPROBE programs only. */
static int tp_check_kind(struct bpfdrv_event *ev, struct perf_event *counter)
{
	struct bpfdrv_prog *prog = rcu_dereference_protected(ev->prog, 1);
	int probe = bpfdrv_tp_is_probe_event(counter);
	bool want_probe = prog->type == BPFDRV_PROG_TYPE_KPROBE;

	if (probe < 0 || probe == want_probe)
		return 0;
	bpfdrv_warn("tracepoint id %llu is %sa kprobe/uprobe event: program type %u cannot attach\n",
		    ((struct tp_state *)ev->priv)->tp_id, probe ? "" : "not ", prog->type);
	return -EINVAL;
}

static int tp_start(struct bpfdrv_event *ev)
{
	struct tp_state *tp = ev->priv;
	struct perf_event_attr attr;
	int cpu, err;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.size = sizeof(attr);
	attr.config = tp->tp_id;
	attr.sample_period = 1;
	attr.sample_type = PERF_SAMPLE_RAW;
	for_each_online_cpu(cpu) {
		struct perf_event *pe;

		pe = perf_event_create_kernel_counter(&attr, cpu, NULL, tp_overflow, ev);
		if (IS_ERR(pe)) {
			bpfdrv_warn("cannot open tracepoint %llu on cpu %d: %ld\n",
				    tp->tp_id, cpu, PTR_ERR(pe));
			tp_close_counters(tp);
			return PTR_ERR(pe);
		}
		tp->counters[cpu] = pe;
		err = tp_check_kind(ev, pe);
		if (err) {
			tp_close_counters(tp);
			return err;
		}
	}
	return 0;
}

static void tp_stop(struct bpfdrv_event *ev)
{
	tp_close_counters(ev->priv);
}

static int tp_init(struct bpfdrv_event *ev, const struct bpfdrv_perf_event_attr *attr,
		   int pid, int cpu)
{
	struct tp_state *tp = kzalloc(sizeof(*tp), GFP_KERNEL);

	if (!tp)
		return -ENOMEM;
	tp->counters = kcalloc(nr_cpu_ids, sizeof(*tp->counters), GFP_KERNEL);
	if (!tp->counters) {
		kfree(tp);
		return -ENOMEM;
	}
	/* BPF programs on tracepoints run on every CPU, whatever cpu/pid the event names. */
	tp->tp_id = attr->config;
	ev->priv = tp;
	return 0;
}

static void tp_free(struct bpfdrv_event *ev)
{
	struct tp_state *tp = ev->priv;

	tp_close_counters(tp);
	kfree(tp->counters);
	kfree(tp);
}

const struct bpfdrv_event_type bpfdrv_tracepoint_event = {
	.name = "tracepoint",
	.init = tp_init,
	/* Which of the two the id accepts is known once a counter is open (tp_check_kind). */
	.prog_types = BIT(BPFDRV_PROG_TYPE_TRACEPOINT) | BIT(BPFDRV_PROG_TYPE_KPROBE),
	.start = tp_start,
	.stop = tp_stop,
	.free = tp_free,
};
