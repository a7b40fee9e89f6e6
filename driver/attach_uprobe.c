// SPDX-License-Identifier: GPL-2.0
/*
 * Uprobe PMU events (perf_event_open with the "uprobe" PMU's dynamic type): config
 * bit 0 = uretprobe, config bits 32.. = reference counter offset (USDT semaphore),
 * config1 = user pointer to the file's path, config2 = offset in the file. Registered
 * with uprobe_register at open time, like the kernel's PMU (through compat.h: its
 * signature changes across versions). A pid given to perf_event_open restricts the
 * probe to that process, as the kernel's uprobe filter does (it compares the mm).
 * KPROBE programs get the user pt_regs at the probe.
 */
#include <linux/kernel.h>
#include <linux/namei.h>
#include <linux/path.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uprobes.h>
#include <linux/uaccess.h>
#include "bpfdrv.h"
#include "compat.h"

struct uprobe_state {
	struct bpfdrv_event *ev;
	struct uprobe_consumer uc;
	struct path path;
	struct bpfdrv_uprobe probe;
	pid_t tgid; /* 0: every process */
};

static bool uprobe_wanted(struct uprobe_state *us)
{
	return !us->tgid || current->tgid == us->tgid;
}

static int uprobe_handler(struct uprobe_consumer *uc, struct pt_regs *regs)
{
	struct uprobe_state *us = container_of(uc, struct uprobe_state, uc);

	/* The kernel's bpf_get_func_ip gives 0 in uprobes (no kprobe is running). */
	if (uprobe_wanted(us))
		bpfdrv_event_run(us->ev, NULL, 0, regs, 0);
	return 0;
}

static int uretprobe_handler(struct uprobe_consumer *uc, unsigned long func, struct pt_regs *regs)
{
	struct uprobe_state *us = container_of(uc, struct uprobe_state, uc);

	if (uprobe_wanted(us))
		bpfdrv_event_run(us->ev, NULL, 0, regs, 0);
	return 0;
}

static int uprobe_target_tgid(int pid, pid_t *tgid)
{
	struct task_struct *task;

	*tgid = 0;
	if (pid < 0)
		return 0;
	task = bpfdrv_get_task(pid);
	if (!task)
		return -ESRCH;
	*tgid = task->tgid;
	put_task_struct(task);
	return 0;
}

static int uprobe_init(struct bpfdrv_event *ev, const struct bpfdrv_perf_event_attr *attr,
		       int pid, int cpu)
{
	struct uprobe_state *us;
	loff_t ref_ctr = attr->config >> BPFDRV_PERF_UPROBE_REF_CTR_OFFSET_SHIFT;
	char *name;
	int err;

	if ((attr->config & 0xffffffffULL) & ~BPFDRV_PERF_PROBE_CONFIG_IS_RETPROBE)
		return -EINVAL;
	/* The kernel rejects offsets past the file; a negative loff_t would slip past that. */
	if (!attr->config1 || (s64)attr->config2 < 0)
		return -EINVAL;
	us = kzalloc(sizeof(*us), GFP_KERNEL);
	if (!us)
		return -ENOMEM;
	us->ev = ev;
	err = uprobe_target_tgid(pid, &us->tgid);
	if (err)
		goto fail;
	name = strndup_user(bpfdrv_u64_to_ptr(attr->config1), PATH_MAX);
	if (IS_ERR(name)) {
		err = PTR_ERR(name);
		goto fail;
	}
	err = kern_path(name, LOOKUP_FOLLOW, &us->path);
	if (err) {
		bpfdrv_warn("uprobe: cannot find '%s': %d\n", name, err);
		kfree(name);
		goto fail;
	}
	kfree(name);
	if (!S_ISREG(us->path.dentry->d_inode->i_mode)) {
		err = -EINVAL;
		goto fail_path;
	}
	if (attr->config & BPFDRV_PERF_PROBE_CONFIG_IS_RETPROBE)
		us->uc.ret_handler = uretprobe_handler;
	else
		us->uc.handler = uprobe_handler;
	ev->priv = us;
	err = bpfdrv_uprobe_register(&us->probe, bpfdrv_path_inode(&us->path), attr->config2,
				     ref_ctr, &us->uc);
	if (err) {
		bpfdrv_warn("uprobe_register at offset %lld: %d\n", (long long)attr->config2, err);
		ev->priv = NULL;
		goto fail_path;
	}
	return 0;
fail_path:
	path_put(&us->path);
fail:
	kfree(us);
	return err;
}

static void uprobe_free(struct bpfdrv_event *ev)
{
	struct uprobe_state *us = ev->priv;

	/* Returns once no handler of this consumer runs. */
	bpfdrv_uprobe_unregister(&us->probe, &us->uc);
	path_put(&us->path);
	kfree(us);
}

const struct bpfdrv_event_type bpfdrv_uprobe_event = {
	.name = "uprobe",
	.init = uprobe_init,
	.prog_types = BIT(BPFDRV_PROG_TYPE_KPROBE),
	.free = uprobe_free,
};
