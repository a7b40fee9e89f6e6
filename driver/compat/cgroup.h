/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cgroups: cgroup arrays' membership test and bpf_get_current_cgroup_id.
 */
#ifndef BPFDRV_COMPAT_CGROUP_H
#define BPFDRV_COMPAT_CGROUP_H

#include <linux/cgroup.h>
#include <linux/sched.h>
#include <linux/err.h>
#include "base.h"

/*
 * Cgroup arrays: a cgroup2 directory fd to a referenced struct cgroup, and whether
 * current runs in its subtree. cgroup_get_from_fd arrived in 4.8 (4.7's was static).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 8, 0) && defined(CONFIG_CGROUPS)
static inline void *bpfdrv_cgroup_from_fd(int fd)
{
	return cgroup_get_from_fd(fd);
}

static inline void bpfdrv_cgroup_put(void *cgrp)
{
	cgroup_put(cgrp);
}

static inline int bpfdrv_current_under_cgroup(void *cgrp)
{
	int ret;

	rcu_read_lock();
	ret = task_under_cgroup_hierarchy(current, cgrp);
	rcu_read_unlock();
	return ret;
}
#else
static inline void *bpfdrv_cgroup_from_fd(int fd)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void bpfdrv_cgroup_put(void *cgrp)
{
}

static inline int bpfdrv_current_under_cgroup(void *cgrp)
{
	return 0;
}
#endif

/* bpf_get_current_cgroup_id: the cgroup v2 id (kernfs node id) of current; 0 before cgroup2. */
static inline u64 bpfdrv_current_cgroup_id(void)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 5, 0) && defined(CONFIG_CGROUPS)
	u64 id;

	rcu_read_lock();
	id = cgroup_id(task_dfl_cgroup(current));
	rcu_read_unlock();
	return id;
#else
	return 0;
#endif
}

#endif /* BPFDRV_COMPAT_CGROUP_H */
