// SPDX-License-Identifier: GPL-2.0
/*
 * Software sampling events (PERF_TYPE_SOFTWARE cpu-clock / task-clock with a sample
 * period or frequency): what profile-style tools open per CPU and attach PERF_EVENT
 * programs to. The module opens the same event as a kernel counter whose overflow
 * handler runs the program on a bpf_perf_event_data {regs, sample_period, addr} built
 * from the sample, as the kernel's bpf_overflow_handler does.
 */
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/perf_event.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include "bpfdrv.h"
#include "compat.h"

/* struct bpf_perf_event_data on x86_64 (bpf_user_pt_regs_t is struct pt_regs). */
struct bpfdrv_perf_event_data {
	struct pt_regs regs;
	u64 sample_period;
	u64 addr;
};

u32 bpfdrv_perf_event_ctx_size(void)
{
	return sizeof(struct bpfdrv_perf_event_data);
}

static void sample_overflow(struct perf_event *event, struct perf_sample_data *data,
			    struct pt_regs *regs)
{
	struct bpfdrv_event *ev = event->overflow_handler_context;
	struct bpfdrv_perf_event_data ctx;

	if (!regs)
		return;
	ctx.regs = *regs;
	ctx.sample_period = data->period;
	ctx.addr = data->addr;
	bpfdrv_event_run(ev, &ctx, sizeof(ctx), regs, 0);
}

/* perf's own default of kernel.perf_event_max_sample_rate (DEFAULT_MAX_SAMPLE_RATE). */
#define PERF_DEFAULT_MAX_SAMPLE_RATE 100000

static DEFINE_MUTEX(sample_rate_mutex);
static const int *sample_rate_sysctl;
static bool sample_rate_looked_up;

/*
 * kernel.perf_event_max_sample_rate now (perf lowers it by itself when samples take
 * too long). sysctl_perf_event_sample_rate is not exported: looked up by name once;
 * without data symbols in kallsyms, perf's default is the limit.
 */
static int max_sample_rate(void)
{
	mutex_lock(&sample_rate_mutex);
	if (!sample_rate_looked_up) {
		sample_rate_sysctl = (const int *)
			bpfdrv_kallsyms_lookup_name("sysctl_perf_event_sample_rate");
		sample_rate_looked_up = true;
		if (!sample_rate_sysctl)
			bpfdrv_warn("sysctl_perf_event_sample_rate not in kallsyms (CONFIG_KALLSYMS_ALL?): sampling frequencies are limited to %d Hz\n",
				    PERF_DEFAULT_MAX_SAMPLE_RATE);
	}
	mutex_unlock(&sample_rate_mutex);
	return sample_rate_sysctl ? READ_ONCE(*sample_rate_sysctl) : PERF_DEFAULT_MAX_SAMPLE_RATE;
}

/*
 * perf_event_open's limits on a sampling attr, which perf_event_create_kernel_counter()
 * does not apply: without them a caller gets what no perf_event_open would give it, a
 * program run at every 10 us hrtimer tick (perf's floor) of every CPU.
 */
static int check_sampling(const struct bpfdrv_perf_event_attr *uattr)
{
	int max_rate;

	if (!(uattr->flags & BPFDRV_PERF_ATTR_FLAG_FREQ)) {
		if (uattr->sample_period & (1ULL << 63)) {
			bpfdrv_warn("sampling event: sample_period 0x%llx has bit 63 set\n",
				    uattr->sample_period);
			return -EINVAL;
		}
		return 0;
	}
	max_rate = max_sample_rate();
	if (uattr->sample_period > max_rate) {
		bpfdrv_warn("sampling event: sample_freq %llu above kernel.perf_event_max_sample_rate %d\n",
			    uattr->sample_period, max_rate);
		return -EINVAL;
	}
	return 0;
}

static int sample_init(struct bpfdrv_event *ev, const struct bpfdrv_perf_event_attr *uattr,
		       int pid, int cpu)
{
	const u64 copied = BPFDRV_PERF_ATTR_FLAG_DISABLED | BPFDRV_PERF_ATTR_FLAG_FREQ |
		BPFDRV_PERF_ATTR_FLAG_EXCLUDE_USER | BPFDRV_PERF_ATTR_FLAG_EXCLUDE_KERNEL |
		BPFDRV_PERF_ATTR_FLAG_EXCLUDE_HV | BPFDRV_PERF_ATTR_FLAG_EXCLUDE_IDLE;
	struct task_struct *task = NULL;
	struct perf_event_attr attr;
	struct perf_event *pe;
	int err;

	if (uattr->config != BPFDRV_PERF_COUNT_SW_CPU_CLOCK &&
	    uattr->config != BPFDRV_PERF_COUNT_SW_TASK_CLOCK)
		return -EINVAL;
	if (!uattr->sample_period)
		return -EINVAL;
	err = check_sampling(uattr);
	if (err)
		return err;
	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_SOFTWARE;
	attr.size = sizeof(attr);
	attr.config = uattr->config;
	attr.sample_period = uattr->sample_period; /* or sample_freq: same field */
	attr.freq = !!(uattr->flags & BPFDRV_PERF_ATTR_FLAG_FREQ);
	attr.exclude_user = !!(uattr->flags & BPFDRV_PERF_ATTR_FLAG_EXCLUDE_USER);
	attr.exclude_kernel = !!(uattr->flags & BPFDRV_PERF_ATTR_FLAG_EXCLUDE_KERNEL);
	attr.exclude_hv = !!(uattr->flags & BPFDRV_PERF_ATTR_FLAG_EXCLUDE_HV);
	attr.exclude_idle = !!(uattr->flags & BPFDRV_PERF_ATTR_FLAG_EXCLUDE_IDLE);
	if (uattr->flags & ~copied & 0xffffULL)
		bpfdrv_warn("sampling event: attr flags 0x%llx ignored\n", uattr->flags & ~copied);
	if (pid >= 0) {
		task = bpfdrv_get_task(pid);
		if (!task)
			return -ESRCH;
	}
	/* The counter always runs; the event's enabled flag gates the program. */
	pe = perf_event_create_kernel_counter(&attr, cpu, task, sample_overflow, ev);
	if (task)
		put_task_struct(task);
	if (IS_ERR(pe)) {
		bpfdrv_warn("cannot open a sampling %s event on cpu %d: %ld\n",
			    uattr->config ? "task-clock" : "cpu-clock", cpu, PTR_ERR(pe));
		return PTR_ERR(pe);
	}
	ev->priv = pe;
	return 0;
}

static void sample_free(struct bpfdrv_event *ev)
{
	perf_event_release_kernel(ev->priv);
}

const struct bpfdrv_event_type bpfdrv_sw_sample_event = {
	.name = "software sampling",
	.init = sample_init,
	.prog_types = BIT(BPFDRV_PROG_TYPE_PERF_EVENT),
	.free = sample_free,
};
