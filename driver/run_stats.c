// SPDX-License-Identifier: GPL-2.0
/*
 * Run-time statistics on demand (BPF_ENABLE_STATS), as Linux's bpf_stats_enabled_key:
 * a program's run_time_ns, which costs two clock reads per run, is only measured while
 * some process holds a stats fd or the run_stats parameter is set (Linux's sysctl
 * kernel.bpf_stats_enabled). run_cnt is counted always: the module's own diagnostics
 * (debugfs stats, `bpfhook stats`) show whether programs fire.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/capability.h>
#include "bpfdrv.h"

static atomic_t bpfdrv_stats_fds = ATOMIC_INIT(0);

static bool bpfdrv_run_stats_param;
module_param_named(run_stats, bpfdrv_run_stats_param, bool, 0644);
MODULE_PARM_DESC(run_stats, "measure every program's run time (kernel.bpf_stats_enabled)");

bool bpfdrv_run_stats_enabled(void)
{
	return atomic_read(&bpfdrv_stats_fds) || READ_ONCE(bpfdrv_run_stats_param);
}

static int bpfdrv_stats_release(struct inode *inode, struct file *file)
{
	atomic_dec(&bpfdrv_stats_fds);
	return 0;
}

static const struct file_operations bpfdrv_stats_fops = {
	.owner = THIS_MODULE,
	.release = bpfdrv_stats_release,
};

int bpfdrv_cmd_enable_stats(union bpfdrv_attr *attr)
{
	int fd;

	if (attr->enable_stats.type_ != BPFDRV_STATS_RUN_TIME)
		return -EINVAL;
	atomic_inc(&bpfdrv_stats_fds);
	fd = bpfdrv_new_fd("bpf-stats", &bpfdrv_stats_fops, NULL, O_CLOEXEC);
	if (fd < 0)
		atomic_dec(&bpfdrv_stats_fds);
	return fd;
}
