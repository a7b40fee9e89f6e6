// SPDX-License-Identifier: GPL-2.0
/*
 * Emulated perf events: the fd perf_event_open returns for an event the module
 * emulates (tracepoint ids, the kprobe and uprobe PMUs, software sampling clocks).
 * This file owns what all of them share — the fd, its PERF_EVENT_IOC_* ioctls, the
 * attached program and cookie, attach/detach for SET_BPF and links — and each attach
 * type (attach_*.c) supplies the probe through struct bpfdrv_event_type.
 */
#include <linux/kernel.h>
#include <linux/file.h>
#include <linux/perf_event.h>
#include <linux/ptrace.h>
#include <linux/slab.h>
#include <linux/rcupdate.h>
#include "bpfdrv.h"
#include "compat.h"
#include "prog_types.h"
#include "stats.h"

void bpfdrv_event_run(struct bpfdrv_event *ev, const void *rec, u32 size,
		      struct pt_regs *regs, u64 func_ip)
{
	struct bpfdrv_prog *prog;
	struct bpfdrv_run_ctx c = { rec, size, regs, 0, func_ip };

	if (!READ_ONCE(ev->enabled))
		return;
	rcu_read_lock();
	prog = rcu_dereference(ev->prog);
	if (prog) {
		/* The program type decides what it reads (the kernel's convention). */
		if (prog->ptype->ctx_regs) {
			c.ctx = regs;
			c.size = regs ? sizeof(*regs) : 0;
		}
		c.cookie = ev->cookie;
		if (c.ctx)
			bpfdrv_prog_run(prog, &c);
	}
	rcu_read_unlock();
}

int bpfdrv_event_attach(struct bpfdrv_event *ev, struct bpfdrv_prog *prog, u64 cookie)
{
	int err = 0;

	if (prog->type >= 32 || !(ev->type->prog_types & BIT(prog->type))) {
		bpfdrv_warn("a program of type %u cannot attach to a %s event\n", prog->type,
			    ev->type->name);
		return -EINVAL;
	}
	mutex_lock(&ev->lock);
	if (rcu_access_pointer(ev->prog)) {
		err = -EEXIST;
		goto out;
	}
	ev->cookie = cookie;
	rcu_assign_pointer(ev->prog, prog);
	if (ev->type->start) {
		err = ev->type->start(ev);
		if (err) {
			RCU_INIT_POINTER(ev->prog, NULL);
			/* start failed: its handlers never ran the program. */
			bpfdrv_synchronize();
		}
	}
out:
	mutex_unlock(&ev->lock);
	return err;
}

void bpfdrv_event_detach(struct bpfdrv_event *ev)
{
	struct bpfdrv_prog *prog;

	mutex_lock(&ev->lock);
	prog = rcu_dereference_protected(ev->prog, lockdep_is_held(&ev->lock));
	if (prog) {
		if (ev->type->stop)
			ev->type->stop(ev);
		RCU_INIT_POINTER(ev->prog, NULL);
		/* A handler that already fetched the program may still be running it. */
		bpfdrv_synchronize();
		bpfdrv_prog_put(prog);
	}
	mutex_unlock(&ev->lock);
}

static int event_set_bpf(struct bpfdrv_event *ev, int prog_fd)
{
	struct bpfdrv_prog *prog = bpfdrv_prog_from_fd(prog_fd);
	int err;

	if (IS_ERR(prog))
		return PTR_ERR(prog);
	err = bpfdrv_event_attach(ev, prog, 0);
	if (err)
		bpfdrv_prog_put(prog);
	return err;
}

static long event_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct bpfdrv_event *ev = file->private_data;

	switch (cmd) {
	case PERF_EVENT_IOC_SET_BPF:
		return event_set_bpf(ev, (int)arg);
	case PERF_EVENT_IOC_ENABLE:
		WRITE_ONCE(ev->enabled, true);
		return 0;
	case PERF_EVENT_IOC_DISABLE:
		WRITE_ONCE(ev->enabled, false);
		return 0;
	case PERF_EVENT_IOC_RESET:
		return 0;
	default:
		bpfdrv_warn("perf ioctl 0x%x is not supported on an emulated %s event\n", cmd,
			    ev->type->name);
		return -ENOTTY;
	}
}

static int event_release(struct inode *inode, struct file *file)
{
	struct bpfdrv_event *ev = file->private_data;

	/* Links hold a file reference: none is left, so the program came from SET_BPF. */
	bpfdrv_event_detach(ev);
	ev->type->free(ev);
	kfree(ev);
	bpfdrv_stats_obj(BPFDRV_STAT_EVENT, -1);
	return 0;
}

static const struct file_operations bpfdrv_event_fops = {
	.owner = THIS_MODULE,
	.release = event_release,
	BPFDRV_IOCTL(event_ioctl)
	.llseek = noop_llseek,
};

struct file *bpfdrv_event_fget(int fd, struct bpfdrv_event **evp)
{
	struct file *file = bpfdrv_fget_typed(fd, &bpfdrv_event_fops, -EBADF);

	if (!IS_ERR(file))
		*evp = file->private_data;
	return file;
}

int bpfdrv_event_open(const struct bpfdrv_event_type *type,
		      const struct bpfdrv_perf_event_attr *attr, int pid, int cpu, int flags)
{
	struct bpfdrv_event *ev;
	int fd, err;

	if (cpu >= (int)nr_cpu_ids || cpu < -1 || (pid == -1 && cpu == -1) || pid < -1)
		return -EINVAL;
	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return -ENOMEM;
	mutex_init(&ev->lock);
	ev->type = type;
	ev->enabled = !(attr->flags & BPFDRV_PERF_ATTR_FLAG_DISABLED);
	err = type->init(ev, attr, pid, cpu);
	if (err) {
		kfree(ev);
		return err;
	}
	bpfdrv_stats_obj(BPFDRV_STAT_EVENT, 1);
	fd = bpfdrv_new_fd("[perf_event]", &bpfdrv_event_fops, ev, flags);
	if (fd < 0) {
		bpfdrv_stats_obj(BPFDRV_STAT_EVENT, -1);
		type->free(ev);
		kfree(ev);
	}
	return fd;
}
