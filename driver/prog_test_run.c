// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_PROG_TEST_RUN. Supported where Linux supports it for the program types this
 * module runs: raw tracepoint programs (ctx_in = the u64 arguments, at most 12;
 * data_in/out, ctx_out, repeat, duration and batch_size must be 0; optionally on
 * one CPU with BPF_F_TEST_RUN_ON_CPU; other flag bits are ignored, as by Linux), with the program's return value in retval.
 * Linux has no test run for tracepoint, kprobe and perf_event programs: -ENOTSUPP,
 * like it. Socket filters (Linux builds an skb from data_in) are not supported here
 * yet: -ENOTSUPP too, with a log line.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include "bpfdrv.h"
#include "compat.h"

#define BPF_F_TEST_RUN_ON_CPU (1U << 0)
#define RAW_TP_MAX_ARGS 12

struct raw_tp_test {
	struct bpfdrv_prog *prog;
	u64 args[RAW_TP_MAX_ARGS];
	u32 size;
	u64 retval;
};

static void raw_tp_test_fn(void *data)
{
	struct raw_tp_test *t = data;
	struct bpfdrv_run_ctx c = { t->args, t->size, NULL, 0, 0, &t->retval };

	bpfdrv_prog_run(t->prog, &c);
}

static int test_run_raw_tp(struct bpfdrv_prog *prog, struct bpfdrv_test_run_attr *attr)
{
	struct raw_tp_test *t;
	int err = 0, cpu;

	if (attr->data_in || attr->data_out || attr->ctx_out || attr->duration ||
	    attr->repeat || attr->batch_size || attr->data_size_in || attr->data_size_out ||
	    attr->ctx_size_out)
		return -EINVAL;
	if (attr->ctx_size_in > RAW_TP_MAX_ARGS * sizeof(u64) || (attr->ctx_size_in && !attr->ctx_in))
		return -EINVAL;
	if (!(attr->flags & BPF_F_TEST_RUN_ON_CPU) && attr->cpu)
		return -EINVAL;
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->prog = prog;
	t->size = attr->ctx_size_in;
	if (t->size && copy_from_user(t->args, bpfdrv_u64_to_ptr(attr->ctx_in), t->size)) {
		err = -EFAULT;
		goto out;
	}
	cpu = get_cpu();
	if (!(attr->flags & BPF_F_TEST_RUN_ON_CPU) || attr->cpu == cpu) {
		raw_tp_test_fn(t);
		put_cpu();
	} else {
		put_cpu();
		if (attr->cpu >= nr_cpu_ids || !cpu_online(attr->cpu))
			err = -ENXIO;
		else
			err = smp_call_function_single(attr->cpu, raw_tp_test_fn, t, 1);
	}
	if (!err)
		attr->retval = (u32)t->retval;
out:
	kfree(t);
	return err;
}

int bpfdrv_cmd_prog_test_run(union bpfdrv_attr *uattr)
{
	struct bpfdrv_test_run_attr *attr = &uattr->test;
	struct bpfdrv_prog *prog;
	int err;

	prog = bpfdrv_prog_from_fd(attr->prog_fd);
	if (IS_ERR(prog))
		return PTR_ERR(prog);
	switch (prog->type) {
	case BPFDRV_PROG_TYPE_RAW_TRACEPOINT:
		err = test_run_raw_tp(prog, attr);
		break;
	case BPFDRV_PROG_TYPE_SOCKET_FILTER:
		bpfdrv_warn("BPF_PROG_TEST_RUN of socket filters is not supported\n");
		err = -ENOTSUPP;
		break;
	default:
		err = -ENOTSUPP; /* as Linux: no test_run for this program type */
		break;
	}
	bpfdrv_prog_put(prog);
	return err;
}
