// SPDX-License-Identifier: GPL-2.0
/*
 * A perf counter's trace event and its kprobe / uprobe flags (4.1 with BPF; RHEL 7.6
 * backports them with its eBPF): compat/tracepoint.h. The header's name is the 4.1
 * rename, which RHEL 7 does not carry.
 */
#include <linux/version.h>
#include <linux/perf_event.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 1, 0)
#include <linux/trace_events.h>
#else
#include <linux/ftrace_event.h>
#endif

int bpfdrv_probe(struct perf_event *counter);
int bpfdrv_probe(struct perf_event *counter)
{
	return counter->tp_event &&
	       (counter->tp_event->flags & (TRACE_EVENT_FL_KPROBE | TRACE_EVENT_FL_UPROBE));
}
