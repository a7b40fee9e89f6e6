// SPDX-License-Identifier: GPL-2.0
/*
 * Synthetic tracepoints: trace events the running kernel lacks, served by the module
 * from probes. Each family (attach_syscall_synth.c: syscalls:sys_{enter,exit}_<name>;
 * attach_sock_synth.c: sock:inet_sock_set_state) supplies its events' ids, names,
 * fields and the event type that probes them; this file publishes them and routes
 * perf_event_open to them.
 *
 * Publishing: events/<category>/<event>/{id,format} under the module's debugfs
 * directory (/sys/kernel/debug/bpfdrv/events/...), in tracefs's own format, for every
 * event of every family, on every kernel (the hook, hook/src/tracepoints.rs, points a
 * tool there only when the kernel's own event is missing). The ids are in
 * [BPFDRV_SYNTH_TP_ID_BASE, BPFDRV_SYNTH_TP_ID_END), a range no kernel trace event can
 * have (trace event ids are 16-bit), so perf_event_open(PERF_TYPE_TRACEPOINT) with such
 * a config goes to the family serving that id and every other id to the kernel's
 * tracepoint (attach_tracepoint.c).
 */
#include <linux/kernel.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include "bpfdrv.h"
#include "compat.h"
#include "stats.h"

static const struct bpfdrv_synth_tp_family *const synth_families[] = {
	&bpfdrv_syscall_synth,
	&bpfdrv_sock_synth,
};

bool bpfdrv_synth_tp_id(u64 config)
{
	return config >= BPFDRV_SYNTH_TP_ID_BASE && config < BPFDRV_SYNTH_TP_ID_END;
}

const struct bpfdrv_event_type *bpfdrv_synth_tp_type(u64 config)
{
	unsigned int f, i;

	for (f = 0; f < ARRAY_SIZE(synth_families); f++)
		for (i = 0; i < synth_families[f]->nr_events; i++)
			if (synth_families[f]->id(i) == config)
				return synth_families[f]->type;
	return NULL;
}

/* A debugfs file's private data: the family's index and the event's. */
#define SYNTH_PRIV(f, i) ((void *)(uintptr_t)((f) << 16 | (i)))
#define SYNTH_PRIV_FAMILY(p) (synth_families[(uintptr_t)(p) >> 16])
#define SYNTH_PRIV_EVENT(p) ((unsigned int)((uintptr_t)(p) & 0xffff))

static int synth_id_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "%u\n", SYNTH_PRIV_FAMILY(m->private)->id(SYNTH_PRIV_EVENT(m->private)));
	return 0;
}

static int synth_format_show(struct seq_file *m, void *unused)
{
	const struct bpfdrv_synth_tp_family *fam = SYNTH_PRIV_FAMILY(m->private);
	unsigned int i = SYNTH_PRIV_EVENT(m->private);
	char name[64];

	fam->name(i, name, sizeof(name));
	/* struct trace_entry, as every event's format starts; the family adds its fields. */
	seq_printf(m, "name: %s\nID: %u\nformat:\n", name, fam->id(i));
	seq_puts(m, "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
		    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
		    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n");
	fam->format(m, i);
	return 0;
}

/* synth_id_fops and synth_format_fops: m->private is the file's SYNTH_PRIV. */
DEFINE_SHOW_ATTRIBUTE(synth_id);
DEFINE_SHOW_ATTRIBUTE(synth_format);

void bpfdrv_synth_tp_init(void)
{
	struct dentry *root = bpfdrv_stats_debugfs_dir(), *events, *dir, *ev;
	char name[64];
	unsigned int f, i;

	/* No debugfs: tools see the kernel's tracepoints only, as without the module. */
	if (!root)
		return;
	events = debugfs_create_dir("events", root);
	if (IS_ERR_OR_NULL(events))
		return;
	for (f = 0; f < ARRAY_SIZE(synth_families); f++) {
		if (!synth_families[f]->nr_events)
			continue;
		dir = debugfs_create_dir(synth_families[f]->category, events);
		if (IS_ERR_OR_NULL(dir))
			return;
		for (i = 0; i < synth_families[f]->nr_events; i++) {
			synth_families[f]->name(i, name, sizeof(name));
			ev = debugfs_create_dir(name, dir);
			if (IS_ERR_OR_NULL(ev))
				return;
			/* Readable by all, as tracefs's own id and format files are. */
			debugfs_create_file("id", 0444, ev, SYNTH_PRIV(f, i), &synth_id_fops);
			debugfs_create_file("format", 0444, ev, SYNTH_PRIV(f, i),
					    &synth_format_fops);
		}
	}
}
