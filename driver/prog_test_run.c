// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_PROG_TEST_RUN. Supported where Linux supports it for the program types this
 * module runs, with Linux 6.1's rules:
 * - raw tracepoint programs: ctx_in = the u64 arguments, at most 12; data_in/out,
 *   ctx_out, repeat, duration and batch_size must be 0; optionally on one CPU with
 *   BPF_F_TEST_RUN_ON_CPU; other flag bits are ignored, as by Linux.
 * - socket filters (bpf_prog_test_run_skb): data_in is an Ethernet frame arriving on
 *   the loopback device (or ctx_in's ifindex), ctx_in / ctx_out a struct __sk_buff,
 *   repeat runs and their average duration, data_out the frame with its Ethernet
 *   header zeroed; the skb model is driver/engine/ebpf_skb.c.
 * retval is the program's r0. Linux has no test run for tracepoint, kprobe and
 * perf_event programs: -ENOTSUPP, like it. A run the engine aborts fails with its
 * error (a context access Linux refuses at load: EACCES).
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <linux/math64.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/skbuff.h>
#include <linux/nsproxy.h>
#include <net/net_namespace.h>
#include "bpfdrv.h"
#include "compat.h"
#include "ebpf_skb.h"
#include "prog_types.h"


struct raw_tp_test {
	struct bpfdrv_prog *prog;
	u64 args[BPFDRV_RAW_TP_MAX_ARGS];
	u32 size;
	u64 retval;
};

static void raw_tp_test_fn(void *data)
{
	struct raw_tp_test *t = data;
	struct bpfdrv_run_ctx c = { t->args, t->size, NULL, 0, 0, &t->retval };

	bpfdrv_prog_run(t->prog, &c);
}

int bpfdrv_test_run_raw_tp(struct bpfdrv_prog *prog, struct bpfdrv_test_run_attr *attr)
{
	struct raw_tp_test *t;
	int err = 0, cpu;

	if (attr->data_in || attr->data_out || attr->ctx_out || attr->duration ||
	    attr->repeat || attr->batch_size || attr->data_size_in || attr->data_size_out ||
	    attr->ctx_size_out)
		return -EINVAL;
	if (attr->ctx_size_in > BPFDRV_RAW_TP_MAX_ARGS * sizeof(u64) || (attr->ctx_size_in && !attr->ctx_in))
		return -EINVAL;
	if (!(attr->flags & BPFDRV_F_TEST_RUN_ON_CPU) && attr->cpu)
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
	if (!(attr->flags & BPFDRV_F_TEST_RUN_ON_CPU) || attr->cpu == cpu) {
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

/* The largest frame: what fits a page beside the skb's headroom and shared info. */
#define SKB_TEST_MAX_FRAME \
	(PAGE_SIZE - NET_SKB_PAD - NET_IP_ALIGN - SKB_DATA_ALIGN(sizeof(struct skb_shared_info)))
#define SKB_CTX_SIZE sizeof(struct ebpf_sk_buff)

/*
 * Linux 6.1's bpf_ctx_init(): ctx_in beyond struct __sk_buff must be zero, and no
 * longer than a page (bpf_check_uarg_tail_zero: E2BIG).
 */
static int skb_ctx_in(const struct bpfdrv_test_run_attr *attr, struct ebpf_sk_buff *ctx)
{
	const u8 __user *in = bpfdrv_u64_to_ptr(attr->ctx_in);
	int err;

	if (attr->ctx_size_in > PAGE_SIZE)
		return -E2BIG;
	err = bpfdrv_user_tail_zero(in, SKB_CTX_SIZE, attr->ctx_size_in);
	if (err)
		return err;
	if (copy_from_user(ctx, in, min_t(u32, attr->ctx_size_in, SKB_CTX_SIZE)))
		return -EFAULT;
	return 0;
}

/* The device the frame arrives on: loopback, or ctx_in's ifindex (ENODEV if none). */
static int skb_dev(const struct ebpf_sk_buff *user, struct ebpf_skb_dev *d)
{
	struct net *net = current->nsproxy->net_ns;
	struct net_device *dev = net->loopback_dev;

	if (user && user->ifindex > 1) {
		dev = dev_get_by_index(net, user->ifindex);
		if (!dev)
			return -ENODEV;
	}
	memset(d, 0, sizeof(*d));
	d->ifindex = dev->ifindex;
	if (dev->addr_len == ETH_ALEN) {
		memcpy(d->addr, dev->dev_addr, ETH_ALEN);
		memcpy(d->broadcast, dev->broadcast, ETH_ALEN);
	}
	if (dev != net->loopback_dev)
		dev_put(dev);
	return 0;
}

/* Linux's bpf_test_finish() and bpf_ctx_finish(): ENOSPC still reports sizes and retval. */
static int skb_finish(struct bpfdrv_test_run_attr *attr, u8 *frame, u32 size,
		      const struct ebpf_sk_buff *ctx)
{
	u32 copy = size;
	int err = 0;

	memset(frame, 0, ETH_HLEN); /* the pulled Ethernet header goes back as zeroes */
	if (attr->data_size_out && copy > attr->data_size_out) {
		copy = attr->data_size_out;
		err = -ENOSPC;
	}
	if (attr->data_out && copy_to_user(bpfdrv_u64_to_ptr(attr->data_out), frame, copy))
		return -EFAULT;
	attr->data_size_out = size;
	if (err || !ctx || !attr->ctx_out)
		return err;
	copy = SKB_CTX_SIZE;
	if (copy > attr->ctx_size_out) {
		copy = attr->ctx_size_out;
		err = -ENOSPC;
	}
	if (copy_to_user(bpfdrv_u64_to_ptr(attr->ctx_out), ctx, copy))
		return -EFAULT;
	attr->ctx_size_out = SKB_CTX_SIZE;
	return err;
}

/* The skb, the user's context and the run's results, off the stack. */
struct skb_test {
	struct ebpf_skb skb;
	struct ebpf_sk_buff user;
	u64 retval;
};

static atomic64_t skb_test_cookies = ATOMIC64_INIT(0);

int bpfdrv_test_run_skb(struct bpfdrv_prog *prog, struct bpfdrv_test_run_attr *attr)
{
	u32 size = attr->data_size_in, repeat = attr->repeat ? attr->repeat : 1, i;
	bool has_ctx = attr->ctx_in || attr->ctx_out;
	struct bpfdrv_run_ctx c;
	struct ebpf_skb_dev dev;
	struct skb_test *t;
	u64 start, total;
	u8 *frame;
	int err = 0;

	BUILD_BUG_ON(sizeof(struct ebpf_skb) > BPFDRV_TRACE_CTX_SIZE);
	if ((attr->flags & ~BPFDRV_F_TEST_SKB_CHECKSUM_COMPLETE) || attr->cpu || attr->batch_size)
		return -EINVAL;
	if (size < ETH_HLEN || size > SKB_TEST_MAX_FRAME)
		return -EINVAL;
	frame = kmalloc(size, GFP_KERNEL);
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!frame || !t) {
		err = -ENOMEM;
		goto out;
	}
	if (copy_from_user(frame, bpfdrv_u64_to_ptr(attr->data_in), size)) {
		err = -EFAULT;
		goto out;
	}
	if (attr->ctx_in)
		err = skb_ctx_in(attr, &t->user);
	if (!err)
		err = skb_dev(has_ctx ? &t->user : NULL, &dev);
	if (!err)
		err = ebpf_skb_init(&t->skb, frame, size, &dev, has_ctx ? &t->user : NULL);
	if (err)
		goto out;
	t->skb.sock_cookie = atomic64_inc_return(&skb_test_cookies);

	memset(&c, 0, sizeof(c));
	c.ctx = &t->skb;
	c.size = sizeof(t->skb);
	c.retval = &t->retval;
	c.ctx_out = &t->skb; /* cb[] written by one run is there for the next, as on one skb */
	c.error = &err;
	total = 0;
	for (i = 0; i < repeat; i++) {
		start = bpfdrv_ktime_ns();
		bpfdrv_prog_run(prog, &c);
		total += bpfdrv_ktime_ns() - start;
		if (err) {
			bpfdrv_warn("BPF_PROG_TEST_RUN: program '%s' aborted (error %d); Linux refuses such programs at load\n",
				    prog->name, err);
			break;
		}
		if (i + 1 < repeat) { /* Linux's bpf_test_timer_continue() */
			if (signal_pending(current)) {
				err = -EINTR;
				break;
			}
			cond_resched();
		}
	}
	if (err)
		goto out;
	attr->retval = (u32)t->retval;
	total = div64_u64(total, repeat);
	attr->duration = total > U32_MAX ? U32_MAX : (u32)total;
	if (has_ctx)
		ebpf_skb_to_user(&t->skb, &t->user);
	err = skb_finish(attr, frame, size, has_ctx ? &t->user : NULL);
out:
	kfree(t);
	kfree(frame);
	return err;
}

int bpfdrv_cmd_prog_test_run(union bpfdrv_attr *uattr)
{
	struct bpfdrv_test_run_attr *attr = &uattr->test;
	struct bpfdrv_prog *prog;
	int err;

	/* Linux's bpf_prog_test_run(): a context pointer and its size come together */
	if (!attr->ctx_size_in != !attr->ctx_in || !attr->ctx_size_out != !attr->ctx_out)
		return -EINVAL;
	prog = bpfdrv_prog_from_fd(attr->prog_fd);
	if (IS_ERR(prog))
		return PTR_ERR(prog);
	if (prog->ptype->test_run)
		err = prog->ptype->test_run(prog, attr);
	else
		err = -ENOTSUPP; /* as Linux: no test_run for this program type */
	bpfdrv_prog_put(prog);
	return err;
}
