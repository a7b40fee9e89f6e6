/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints and trace events: registering probes by name, what a perf counter's
 * trace event is, tracepoints whose arguments old kernels declare differently.
 */
#ifndef BPFDRV_COMPAT_TRACEPOINT_H
#define BPFDRV_COMPAT_TRACEPOINT_H

#include <linux/tracepoint.h>
#include <linux/perf_event.h>
#include "base.h"

/* 4.1 renamed the header; RHEL 7 keeps the old name. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 1, 0)
#include <linux/trace_events.h>
#else
#include <linux/ftrace_event.h>
#endif

/*
 * Is the tracepoint behind this kernel counter a kprobe/uprobe event (1), a static or
 * syscall tracepoint (0), or can this kernel not tell (-1)? The flags came with BPF in
 * 4.1; RHEL 7.6 backported them with its eBPF (CentOS 7.9 has them). Without
 * CONFIG_EVENT_TRACING a perf event has no tp_event, and the probe fails.
 */
static inline int bpfdrv_tp_is_probe_event(struct perf_event *counter)
{
#ifdef HAVE_TRACE_EVENT_FL_PROBE /* compat/features/trace_event_fl_probe.c */
	if (!counter->tp_event)
		return -1;
	return !!(counter->tp_event->flags & (TRACE_EVENT_FL_KPROBE | TRACE_EVENT_FL_UPROBE));
#else
	return -1;
#endif
}

/*
 * Tracepoints whose arguments a kernel older than raw tracepoints (4.17) declares
 * differently from every kernel that has them (raw_tp_args.c rewrites them):
 * sched_switch(prev, next) before 4.4 added preempt; block_rq_complete(q, rq, nr_bytes)
 * before 4.13 made it (rq, error, nr_bytes).
 */
#define BPFDRV_TP_SCHED_SWITCH_NO_PREEMPT (LINUX_VERSION_CODE < KERNEL_VERSION(4, 4, 0))
#define BPFDRV_TP_BLOCK_RQ_COMPLETE_WITH_QUEUE (LINUX_VERSION_CODE < KERNEL_VERSION(4, 13, 0))

/*
 * Tracepoints by name for raw tracepoints: since 3.15 probes register on a
 * struct tracepoint * found with for_each_kernel_tracepoint; before, by name
 * (tracepoint_probe_register(const char *name, ...)), which also accepts names no
 * tracepoint has yet, so there a typo attaches to nothing instead of failing.
 */
struct bpfdrv_tracepoint {
	char name[128];
#if LINUX_VERSION_CODE >= KERNEL_VERSION(3, 15, 0)
	struct tracepoint *tp;
#endif
};

#if LINUX_VERSION_CODE >= KERNEL_VERSION(3, 15, 0)
static inline void bpfdrv_tracepoint_match(struct tracepoint *tp, void *priv)
{
	struct bpfdrv_tracepoint *t = priv;

	if (!t->tp && !strcmp(tp->name, t->name))
		t->tp = tp;
}
#endif

/* Find t->name among the kernel's tracepoints: 0 or -ENOENT. */
static inline int bpfdrv_tracepoint_find(struct bpfdrv_tracepoint *t)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(3, 15, 0)
	t->tp = NULL;
	for_each_kernel_tracepoint(bpfdrv_tracepoint_match, t);
	return t->tp ? 0 : -ENOENT;
#else
	return 0;
#endif
}

static inline int bpfdrv_tracepoint_register(struct bpfdrv_tracepoint *t, void *probe, void *data)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(3, 15, 0)
	return tracepoint_probe_register(t->tp, probe, data);
#else
	return tracepoint_probe_register(t->name, probe, data);
#endif
}

/* Unregister and wait until no CPU is inside the probe. */
static inline void bpfdrv_tracepoint_unregister(struct bpfdrv_tracepoint *t, void *probe, void *data)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(3, 15, 0)
	tracepoint_probe_unregister(t->tp, probe, data);
#else
	tracepoint_probe_unregister(t->name, probe, data);
#endif
	tracepoint_synchronize_unregister();
}

#endif /* BPFDRV_COMPAT_TRACEPOINT_H */
