// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_RAW_TRACEPOINT_OPEN: a RAW_TRACEPOINT program on a kernel tracepoint by name,
 * reading the tracepoint's arguments as u64 args[]. The result is a link fd (closing
 * it detaches), as in the kernel.
 *
 * The probe cannot know the tracepoint's prototype (the kernel generates one
 * __bpf_trace_<name> per tracepoint, and takes the argument count from
 * bpf_raw_event_map, both absent without CONFIG_BPF_EVENTS), so it takes the
 * maximum, 12 u64 arguments after the data pointer. On x86_64 this is safe for any
 * tracepoint: the first five arguments travel in registers, the rest in the caller's
 * outgoing stack area, which the callee only reads; arguments the tracepoint does not
 * pass read as leftover register/stack values, and 32-bit arguments are not
 * sign-extended as the kernel's CAST_TO_U64 would. Programs read what the
 * tracepoint's TP_PROTO defines, as they must natively (the kernel rejects reads past
 * its argument count at attach; this module cannot check that). Where an old kernel
 * declares a tracepoint differently from every kernel with raw tracepoints, the
 * arguments are first rewritten into the modern list (raw_tp_args.c).
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/seq_file.h>
#include "bpfdrv.h"
#include "compat.h"


struct raw_tp_state {
	struct bpfdrv_tracepoint tp;
	struct bpfdrv_prog *prog; /* the link's reference */
	bpfdrv_raw_tp_args_fn adapt_args; /* this kernel's list to the modern one, or NULL */
};

u32 bpfdrv_raw_tp_ctx_size(void)
{
	return BPFDRV_RAW_TP_MAX_ARGS * sizeof(u64);
}

static void raw_tp_probe(void *data, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5,
			 u64 a6, u64 a7, u64 a8, u64 a9, u64 a10, u64 a11)
{
	struct raw_tp_state *rs = data;
	u64 args[BPFDRV_RAW_TP_MAX_ARGS] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11 };
	struct bpfdrv_run_ctx c = { args, sizeof(args), NULL, 0, 0 };

	if (rs->adapt_args)
		rs->adapt_args(args);
	bpfdrv_prog_run(rs->prog, &c);
}

static void raw_tp_release(struct bpfdrv_link *link)
{
	struct raw_tp_state *rs = link->priv;

	/* Waits until no CPU is inside raw_tp_probe: the program outlives every run. */
	bpfdrv_tracepoint_unregister(&rs->tp, raw_tp_probe, rs);
	kfree(rs);
}

/*
 * Link info: the tracepoint's name into the caller's tp_name buffer (kernel's
 * bpf_raw_tp_link_fill_link_info): tp_name_len comes back as the length with the NUL;
 * a short buffer gets a truncated, terminated name and ENOSPC.
 */
static int raw_tp_fill_info(struct bpfdrv_link *link, struct bpfdrv_link_info *info)
{
	const char *name = ((struct raw_tp_state *)link->priv)->tp.name;
	char __user *ubuf = bpfdrv_u64_to_ptr(info->u[0]);
	u32 ulen = (u32)info->u[1], len = strlen(name) + 1;

	if (!ulen ^ !ubuf)
		return -EINVAL;
	info->u[1] = len;
	if (!ubuf)
		return 0;
	if (ulen >= len)
		return copy_to_user(ubuf, name, len) ? -EFAULT : 0;
	if (copy_to_user(ubuf, name, ulen - 1) || put_user('\0', ubuf + ulen - 1))
		return -EFAULT;
	return -ENOSPC;
}

static void raw_tp_show_fdinfo(struct bpfdrv_link *link, struct seq_file *m)
{
	seq_printf(m, "tp_name:\t%s\n", ((struct raw_tp_state *)link->priv)->tp.name);
}

static const struct bpfdrv_link_ops raw_tp_link_ops = {
	.name = "raw_tracepoint",
	.type = BPFDRV_LINK_TYPE_RAW_TRACEPOINT,
	.release = raw_tp_release,
	.fill_info = raw_tp_fill_info,
	.show_fdinfo = raw_tp_show_fdinfo,
};

/* tp_btf: the tracepoint the hook resolved from btf_trace_<name> must exist. */
int bpfdrv_tp_btf_check(const struct bpfdrv_prog *prog)
{
	struct bpfdrv_tracepoint tp;

	snprintf(tp.name, sizeof(tp.name), "%s", (const char *)prog->target.name);
	if (bpfdrv_tracepoint_find(&tp)) {
		bpfdrv_warn("tp_btf: tracepoint '%s' not found\n", tp.name);
		return -EINVAL;
	}
	return 0;
}

/* Attach a RAW_TRACEPOINT program to @name, or a tp_btf program to its target. */
static int raw_tp_attach(struct bpfdrv_prog *prog, const char *name)
{
	struct raw_tp_state *rs = kzalloc(sizeof(*rs), GFP_KERNEL);
	int err;

	if (!rs)
		return -ENOMEM;
	snprintf(rs->tp.name, sizeof(rs->tp.name), "%s", name);
	err = bpfdrv_tracepoint_find(&rs->tp);
	if (err) {
		bpfdrv_warn("raw tracepoint '%s' not found\n", rs->tp.name);
		goto fail;
	}
	rs->prog = prog;
	rs->adapt_args = bpfdrv_raw_tp_args_adapter(rs->tp.name);
	err = bpfdrv_prog_get(prog); /* the link's */
	if (err)
		goto fail;
	err = bpfdrv_tracepoint_register(&rs->tp, raw_tp_probe, rs);
	if (err) {
		bpfdrv_prog_put(prog);
		goto fail;
	}
	return bpfdrv_link_new_fd(&raw_tp_link_ops, prog, rs);
fail:
	kfree(rs);
	return err;
}

int bpfdrv_tp_btf_attach(struct bpfdrv_prog *prog, u64 cookie)
{
	return raw_tp_attach(prog, (const char *)prog->target.name);
}

int bpfdrv_cmd_raw_tp_open(union bpfdrv_attr *uattr)
{
	const struct bpfdrv_raw_tp_open_attr *attr = &uattr->raw_tp;
	char name[128];
	struct bpfdrv_prog *prog;
	long n;
	int err;

	prog = bpfdrv_prog_from_fd((int)attr->prog_fd);
	if (IS_ERR(prog))
		return PTR_ERR(prog);
	if (prog->type == BPFDRV_PROG_TYPE_TRACING && !attr->name) {
		/* fentry / fexit / tp_btf the way libbpf attaches them on kernels before 5.7+. */
		err = bpfdrv_tracing_attach(prog, 0);
	} else if (prog->type != BPFDRV_PROG_TYPE_RAW_TRACEPOINT) {
		err = -EINVAL;
	} else {
		n = strncpy_from_user(name, bpfdrv_u64_to_ptr(attr->name), sizeof(name));
		if (n < 0 || n == sizeof(name))
			err = n < 0 ? n : -EINVAL;
		else
			err = raw_tp_attach(prog, name);
	}
	bpfdrv_prog_put(prog);
	return err;
}
