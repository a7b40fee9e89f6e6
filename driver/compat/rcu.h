/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Waiting out program runs and probe handlers, and freeing after them (RCU flavours).
 */
#ifndef BPFDRV_COMPAT_RCU_H
#define BPFDRV_COMPAT_RCU_H

#include <linux/rcupdate.h>
#include <linux/slab.h>
#include "base.h"

/* Wait until no CPU can still be inside a program run or a probe handler. */
static inline void bpfdrv_synchronize(void)
{
	synchronize_rcu();
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 0, 0)
	synchronize_sched();
#endif
}

/*
 * bpfdrv_kfree_rcu_all: kfree an object once no program run (preemption off) and no
 * syscall path (rcu_read_lock) can still see it, without waiting. Since 5.0 one RCU
 * grace period covers both; before, a sched grace period is followed by a normal one,
 * as bpfdrv_synchronize does. @head must be the object's first member. The callbacks
 * are module code: bpfdrv_rcu_barrier_all waits for those queued so far.
 */
static inline void bpfdrv_rcu_kfree_cb(struct rcu_head *head)
{
	kfree(head);
}

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 0, 0)
static inline void bpfdrv_rcu_sched_done_cb(struct rcu_head *head)
{
	call_rcu(head, bpfdrv_rcu_kfree_cb);
}
#endif

static inline void bpfdrv_kfree_rcu_all(struct rcu_head *head)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 0, 0)
	call_rcu(head, bpfdrv_rcu_kfree_cb);
#else
	call_rcu_sched(head, bpfdrv_rcu_sched_done_cb);
#endif
}

static inline void bpfdrv_rcu_barrier_all(void)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 0, 0)
	rcu_barrier_sched(); /* its callbacks queue the normal-RCU ones rcu_barrier waits for */
#endif
	rcu_barrier();
}

#endif /* BPFDRV_COMPAT_RCU_H */
