/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What events.bpf.c and its loader events_load.c share: the record the programs send and
 * the counters map's value, laid out once for both sides.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <linux/types.h>

struct event {
	__u64 seq;
	__u64 tgid;
};

struct counters {
	__u64 produced;
	__u64 drops;
	__u64 tgid; /* set by the loader; 0: every process (storm) */
	__u64 last_err;
	__u64 rb_flags; /* wakeup flags for output/submit, set by the loader */
};

#endif
