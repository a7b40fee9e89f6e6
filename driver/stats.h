/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module statistics for `bpfhook stats`: objects alive, per-program run counters and
 * event delivery, shown read-only in debugfs as /sys/kernel/debug/bpfdrv/stats.
 * All functions may be called from any context (the event counters from probes).
 */
#ifndef BPFDRV_STATS_H
#define BPFDRV_STATS_H

#include <linux/types.h>

struct bpfdrv_prog;

enum bpfdrv_stat_obj {
	BPFDRV_STAT_MAP,
	BPFDRV_STAT_BTF,
	BPFDRV_STAT_LINK,
	BPFDRV_STAT_EVENT,
	BPFDRV_STAT_RING,
	BPFDRV_STAT_NR
};

void bpfdrv_stats_obj(enum bpfdrv_stat_obj kind, int delta);
/* A loaded program (listed until bpfdrv_stats_prog_del, which must precede its free). */
void bpfdrv_stats_prog_add(struct bpfdrv_prog *prog);
void bpfdrv_stats_prog_del(struct bpfdrv_prog *prog);
/* Records written to a user-visible ring, and records dropped because it was full. */
void bpfdrv_stats_events(u32 delivered, u32 lost);

/* Failure to create the debugfs file is logged, not fatal (debugfs may be off). */
void bpfdrv_stats_init(void);
void bpfdrv_stats_exit(void);
/* The module's debugfs directory (bpfdrv/), NULL without debugfs; removed by stats_exit. */
struct dentry;
struct dentry *bpfdrv_stats_debugfs_dir(void);

#endif /* BPFDRV_STATS_H */
