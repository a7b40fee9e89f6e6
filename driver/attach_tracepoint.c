// SPDX-License-Identifier: GPL-2.0
/*
 * Emulated PERF_TYPE_TRACEPOINT events: the fd user space gets from perf_event_open
 * for a tracepoint id. PERF_EVENT_IOC_SET_BPF attaches a program: the module then
 * opens a kernel perf counter on that tracepoint on every online CPU, whose overflow
 * handler receives the raw trace record (the layout of the event's format file) —
 * the same route on 3.10 and 6.x, for static tracepoints and for kprobe/uprobe
 * events created through tracefs alike.
 */
#include <linux/kernel.h>
#include <linux/perf_event.h>
#include <linux/cpumask.h>
#include <linux/slab.h>
#include <linux/rcupdate.h>
#include "bpfdrv.h"
#include "compat.h"

struct bpfdrv_tp_event {
	struct mutex lock;
	u64 tp_id;
	bool enabled;
	struct bpfdrv_prog __rcu *prog;
	struct perf_event **counters; /* per possible CPU, NULL where not opened */
};

static void tp_overflow(struct perf_event *event, struct perf_sample_data *data,
			struct pt_regs *regs)
{
	struct bpfdrv_tp_event *tp = event->overflow_handler_context;
	struct bpfdrv_prog *prog;
	void *rec;
	u32 size = 0;

	if (!READ_ONCE(tp->enabled))
		return;
	rec = bpfdrv_sample_raw(data, &size);
	if (!rec)
		return;
	rcu_read_lock();
	prog = rcu_dereference(tp->prog);
	if (prog)
		bpfdrv_run_trace_record(prog, rec, size, regs);
	rcu_read_unlock();
}

static void tp_close_counters(struct bpfdrv_tp_event *tp)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (tp->counters[cpu]) {
			perf_event_release_kernel(tp->counters[cpu]);
			tp->counters[cpu] = NULL;
		}
	}
}

static int tp_open_counters(struct bpfdrv_tp_event *tp)
{
	struct perf_event_attr attr;
	int cpu;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.size = sizeof(attr);
	attr.config = tp->tp_id;
	attr.sample_period = 1;
	attr.sample_type = PERF_SAMPLE_RAW;
	for_each_online_cpu(cpu) {
		struct perf_event *ev;

		ev = perf_event_create_kernel_counter(&attr, cpu, NULL, tp_overflow, tp);
		if (IS_ERR(ev)) {
			bpfdrv_warn("cannot open tracepoint %llu on cpu %d: %ld\n",
				    tp->tp_id, cpu, PTR_ERR(ev));
			tp_close_counters(tp);
			return PTR_ERR(ev);
		}
		tp->counters[cpu] = ev;
	}
	return 0;
}

static int tp_set_bpf(struct bpfdrv_tp_event *tp, int prog_fd)
{
	struct bpfdrv_prog *prog = bpfdrv_prog_from_fd(prog_fd);
	int err;

	if (IS_ERR(prog))
		return PTR_ERR(prog);
	if (prog->type != BPFDRV_PROG_TYPE_TRACEPOINT) {
		bpfdrv_prog_put(prog);
		return -EINVAL;
	}
	mutex_lock(&tp->lock);
	if (rcu_access_pointer(tp->prog)) {
		err = -EEXIST;
		goto fail;
	}
	rcu_assign_pointer(tp->prog, prog);
	err = tp_open_counters(tp);
	if (err) {
		RCU_INIT_POINTER(tp->prog, NULL);
		goto fail;
	}
	mutex_unlock(&tp->lock);
	return 0;
fail:
	mutex_unlock(&tp->lock);
	bpfdrv_prog_put(prog);
	return err;
}

static long tp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct bpfdrv_tp_event *tp = file->private_data;

	switch (cmd) {
	case PERF_EVENT_IOC_SET_BPF:
		return tp_set_bpf(tp, (int)arg);
	case PERF_EVENT_IOC_ENABLE:
		WRITE_ONCE(tp->enabled, true);
		return 0;
	case PERF_EVENT_IOC_DISABLE:
		WRITE_ONCE(tp->enabled, false);
		return 0;
	case PERF_EVENT_IOC_RESET:
		return 0;
	default:
		bpfdrv_warn("perf ioctl 0x%x is not supported on an emulated tracepoint event\n", cmd);
		return -ENOTTY;
	}
}

static int tp_release(struct inode *inode, struct file *file)
{
	struct bpfdrv_tp_event *tp = file->private_data;
	struct bpfdrv_prog *prog;

	tp_close_counters(tp);
	prog = rcu_dereference_protected(tp->prog, 1);
	RCU_INIT_POINTER(tp->prog, NULL);
	if (prog) {
		/* A handler that already fetched the program may still be running it. */
		bpfdrv_synchronize();
		bpfdrv_prog_put(prog);
	}
	kfree(tp->counters);
	kfree(tp);
	return 0;
}

static const struct file_operations bpfdrv_tp_fops = {
	.owner = THIS_MODULE,
	.release = tp_release,
	.unlocked_ioctl = tp_ioctl,
	.compat_ioctl = tp_ioctl,
	.llseek = noop_llseek,
};

int bpfdrv_tp_event_open(const struct bpfdrv_perf_event_attr *attr, int pid, int cpu, int flags)
{
	struct bpfdrv_tp_event *tp;
	int fd;

	/* BPF programs on tracepoints run on every CPU, whatever cpu/pid the event names. */
	if (cpu >= (int)nr_cpu_ids || cpu < -1 || (pid == -1 && cpu == -1))
		return -EINVAL;
	tp = kzalloc(sizeof(*tp), GFP_KERNEL);
	if (!tp)
		return -ENOMEM;
	tp->counters = kcalloc(nr_cpu_ids, sizeof(*tp->counters), GFP_KERNEL);
	if (!tp->counters) {
		kfree(tp);
		return -ENOMEM;
	}
	mutex_init(&tp->lock);
	tp->tp_id = attr->config;
	tp->enabled = !(attr->flags & BPFDRV_PERF_ATTR_FLAG_DISABLED);
	fd = bpfdrv_new_fd("bpf-tracepoint-event", &bpfdrv_tp_fops, tp, flags);
	if (fd < 0) {
		kfree(tp->counters);
		kfree(tp);
	}
	return fd;
}
