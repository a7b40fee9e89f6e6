/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tasks.
 */
#ifndef BPFDRV_COMPAT_SCHED_H
#define BPFDRV_COMPAT_SCHED_H

#include <linux/sched.h>
#include <linux/pid.h>
#include "base.h"

#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 11, 0)
#include <linux/sched/signal.h>
#endif

/* The task with (namespace) pid @nr (0: the caller, as perf_event_open), referenced, or NULL. */
static inline struct task_struct *bpfdrv_get_task(pid_t nr)
{
	struct task_struct *task;

	if (nr == 0) {
		get_task_struct(current);
		return current;
	}
	rcu_read_lock();
	task = get_pid_task(find_vpid(nr), PIDTYPE_PID);
	rcu_read_unlock();
	return task;
}

#endif /* BPFDRV_COMPAT_SCHED_H */
