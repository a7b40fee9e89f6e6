// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/bpfdrv: the entry point of the hook. One table of ioctl handlers, each
 * declaring its request size, so validation happens once before dispatch.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include "bpfdrv.h"
#include "stats.h"
#include "compat.h"

#define BPFDRV_VERSION_STRING "0.1.0"

struct bpfdrv_session {
	bool greeted;
};

struct bpfdrv_ioctl_handler {
	unsigned int cmd;
	u32 req_size;
	bool needs_hello;
	/* What the calling task needs (the BPF ones check per bpf command, in bpf_cmd.c). */
	enum bpfdrv_need need;
	long (*fn)(struct bpfdrv_session *s, void *req);
};

static long bpfdrv_ioctl_hello(struct bpfdrv_session *s, void *req)
{
	struct bpfdrv_hello *h = req;

	h->driver_version = BPFDRV_PROTOCOL_VERSION;
	if (h->version != BPFDRV_PROTOCOL_VERSION) {
		bpfdrv_warn("protocol mismatch: caller speaks version %u, module speaks %u\n",
			    h->version, BPFDRV_PROTOCOL_VERSION);
		return -EPROTO;
	}
	s->greeted = true;
	return 0;
}

static long bpfdrv_ioctl_bpf(struct bpfdrv_session *s, void *req)
{
	struct bpfdrv_bpf_req *r = req;

	return bpfdrv_bpf_cmd(r->cmd, bpfdrv_u64_to_ptr(r->attr), r->attr_size, NULL);
}

static long bpfdrv_ioctl_prog_load_btf(struct bpfdrv_session *s, void *req)
{
	struct bpfdrv_prog_load_btf_req *r = req;
	struct bpfdrv_btf_target *t = &r->target;

	if (t->kind != BPFDRV_BTF_TARGET_FUNC && t->kind != BPFDRV_BTF_TARGET_TRACEPOINT)
		return -EINVAL;
	if (!t->name[0] || !memchr(t->name, 0, sizeof(t->name)))
		return -EINVAL;
	return bpfdrv_bpf_cmd(BPFDRV_CMD_PROG_LOAD, bpfdrv_u64_to_ptr(r->attr), r->attr_size, t);
}

static long bpfdrv_ioctl_perf_open(struct bpfdrv_session *s, void *req)
{
	struct bpfdrv_perf_open_req *r = req;
	struct bpfdrv_perf_event_attr attr;
	u32 size = r->attr_size;
	int fd_flags;

	/* We read the VER1 prefix (72) and zero the rest. */
	if (size < BPFDRV_PERF_ATTR_SIZE_VER0 || size > 4096)
		return -E2BIG;
	memset(&attr, 0, sizeof(attr));
	if (copy_from_user(&attr, bpfdrv_u64_to_ptr(r->attr), min_t(u32, size, sizeof(attr))))
		return -EFAULT;
	if (r->reserved)
		return -EINVAL;
	if (r->flags & ~BPFDRV_PERF_FLAG_FD_CLOEXEC)
		return -EINVAL;
	fd_flags = (r->flags & BPFDRV_PERF_FLAG_FD_CLOEXEC) ? O_CLOEXEC : 0;

	if (r->kind == BPFDRV_PERF_KIND_KPROBE)
		return bpfdrv_event_open(&bpfdrv_kprobe_event, &attr, r->pid, r->cpu, fd_flags);
	if (r->kind == BPFDRV_PERF_KIND_UPROBE)
		return bpfdrv_event_open(&bpfdrv_uprobe_event, &attr, r->pid, r->cpu, fd_flags);
	if (r->kind != BPFDRV_PERF_KIND_BY_TYPE)
		return -EINVAL;
	if (attr.type_ == BPFDRV_PERF_TYPE_TRACEPOINT && bpfdrv_synth_tp_id(attr.config)) {
		const struct bpfdrv_event_type *synth = bpfdrv_synth_tp_type(attr.config);

		if (!synth) {
			bpfdrv_warn("synthetic tracepoint id %llu is not one of ours\n", attr.config);
			return -ENOENT;
		}
		return bpfdrv_event_open(synth, &attr, r->pid, r->cpu, fd_flags);
	}
	if (attr.type_ == BPFDRV_PERF_TYPE_TRACEPOINT)
		return bpfdrv_event_open(&bpfdrv_tracepoint_event, &attr, r->pid, r->cpu, fd_flags);
	if (attr.type_ == BPFDRV_PERF_TYPE_SOFTWARE && attr.config == BPFDRV_PERF_COUNT_SW_BPF_OUTPUT) {
		if (r->pid != -1 || r->group_fd != -1)
			return -EINVAL;
		return bpfdrv_perf_ring_open(&attr, r->cpu, fd_flags);
	}
	if (attr.type_ == BPFDRV_PERF_TYPE_SOFTWARE && attr.sample_period &&
	    (attr.config == BPFDRV_PERF_COUNT_SW_CPU_CLOCK || attr.config == BPFDRV_PERF_COUNT_SW_TASK_CLOCK))
		return bpfdrv_event_open(&bpfdrv_sw_sample_event, &attr, r->pid, r->cpu, fd_flags);
	bpfdrv_warn("perf event type %u config %llu is not emulated\n", attr.type_, attr.config);
	return -EOPNOTSUPP;
}

static long bpfdrv_ioctl_unpin(struct bpfdrv_session *s, void *req)
{
	struct bpfdrv_unpin_req *r = req;

	if (r->reserved)
		return -EINVAL;
	return bpfdrv_unpin(r->pathname);
}

static const struct bpfdrv_ioctl_handler bpfdrv_ioctls[] = {
	{ BPFDRV_IOC_HELLO, sizeof(struct bpfdrv_hello), false, BPFDRV_NEED_FD, bpfdrv_ioctl_hello },
	{ BPFDRV_IOC_BPF, sizeof(struct bpfdrv_bpf_req), true, BPFDRV_NEED_FD, bpfdrv_ioctl_bpf },
	/*
	 * Every event the driver emulates traces the kernel (kprobe / uprobe / tracepoint
	 * records for programs, CPU-wide BPF output rings, sampling clocks): refused without
	 * perfmon_capable() with EACCES, as perf_event_open does for the kprobe and uprobe
	 * PMUs and, at perf_event_paranoid >= 1, for CPU-wide events (Debian's default of 3
	 * refuses all of them). The paranoid level itself is not consulted.
	 */
	{ BPFDRV_IOC_PERF_OPEN, sizeof(struct bpfdrv_perf_open_req), true, BPFDRV_NEED_PERFMON,
		bpfdrv_ioctl_perf_open },
	{ BPFDRV_IOC_PROG_LOAD_BTF, sizeof(struct bpfdrv_prog_load_btf_req), true, BPFDRV_NEED_FD,
		bpfdrv_ioctl_prog_load_btf },
	{ BPFDRV_IOC_UNPIN, sizeof(struct bpfdrv_unpin_req), true, BPFDRV_NEED_BPFFS, bpfdrv_ioctl_unpin },
};

static long bpfdrv_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct bpfdrv_session *s = file->private_data;
	const struct bpfdrv_ioctl_handler *h = NULL;
	u64 req[20]; /* largest request, 8-byte aligned */
	u32 size;
	long ret;
	size_t i;

	BUILD_BUG_ON(sizeof(struct bpfdrv_prog_load_btf_req) > sizeof(req));
	for (i = 0; i < ARRAY_SIZE(bpfdrv_ioctls); i++)
		if (bpfdrv_ioctls[i].cmd == cmd)
			h = &bpfdrv_ioctls[i];
	if (!h) {
		bpfdrv_warn("unknown ioctl 0x%x on /dev/bpfdrv\n", cmd);
		return -ENOTTY;
	}
	if (h->needs_hello && !s->greeted) {
		bpfdrv_warn("ioctl 0x%x before the version handshake\n", cmd);
		return -EPROTO;
	}
	if (copy_from_user(req, (void __user *)arg, h->req_size))
		return -EFAULT;
	memcpy(&size, req, sizeof(size));
	if (size != h->req_size) {
		bpfdrv_warn("ioctl 0x%x: request size %u, expected %u\n", cmd, size, h->req_size);
		return -EINVAL;
	}
	ret = bpfdrv_permitted(h->need, NULL);
	if (!ret)
		ret = h->fn(s, req);
	/* Requests are in/out: replies travel back in the same struct. */
	if (copy_to_user((void __user *)arg, req, h->req_size))
		return -EFAULT;
	return ret;
}

static int bpfdrv_dev_open(struct inode *inode, struct file *file)
{
	struct bpfdrv_session *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return -ENOMEM;
	file->private_data = s;
	return 0;
}

static int bpfdrv_dev_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static const struct file_operations bpfdrv_dev_fops = {
	.owner = THIS_MODULE,
	.open = bpfdrv_dev_open,
	.release = bpfdrv_dev_release,
	BPFDRV_IOCTL(bpfdrv_dev_ioctl)
	.llseek = noop_llseek,
};

static struct miscdevice bpfdrv_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "bpfdrv",
	.fops = &bpfdrv_dev_fops,
	.mode = 0600,
};

/*
 * References one map or program may have (compat/refcount.h). Lowered only by tests, to
 * reach the limit with a few hundred prog array or map-in-map slots.
 */
int bpfdrv_ref_limit = BPFDRV_REF_MAX;
module_param_named(max_refs, bpfdrv_ref_limit, int, 0444);
MODULE_PARM_DESC(max_refs, "references a map or program may have: 2 to INT_MAX / 2, the default");

static int __init bpfdrv_init(void)
{
	int err;

	if (bpfdrv_ref_limit < 2 || bpfdrv_ref_limit > BPFDRV_REF_MAX)
		return -EINVAL;
	err = bpfdrv_prog_run_init();
	if (err)
		return err;
	err = misc_register(&bpfdrv_misc);
	if (err) {
		bpfdrv_prog_run_exit();
		return err;
	}
	bpfdrv_stats_init();
	bpfdrv_synth_tp_init();
	pr_info(BPFDRV_LOG_PREFIX "version %s, protocol %u, /dev/%s ready\n",
		BPFDRV_VERSION_STRING, BPFDRV_PROTOCOL_VERSION, bpfdrv_misc.name);
	return 0;
}

static void __exit bpfdrv_exit(void)
{
	/* Every object fd holds a module reference: nothing can be alive here. */
	misc_deregister(&bpfdrv_misc);
	bpfdrv_stats_exit();
	bpfdrv_prog_run_exit();
	bpfdrv_ids_exit();
	pr_info(BPFDRV_LOG_PREFIX "unloaded\n");
}

module_init(bpfdrv_init);
module_exit(bpfdrv_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("eBPF emulation for kernels without bpf(2)");
MODULE_VERSION(BPFDRV_VERSION_STRING);
