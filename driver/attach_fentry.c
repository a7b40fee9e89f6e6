// SPDX-License-Identifier: GPL-2.0
/*
 * fentry / fexit: BPF_PROG_TYPE_TRACING programs on a kernel function, emulated with a
 * kprobe at its entry and a kretprobe at its return. Linux runs them from a BPF
 * trampoline with a context of u64 slots, one per argument (fexit: then the return
 * value); the program reads those slots and dereferences the pointers among them with
 * plain loads (the engine's probe_mem makes those fault-tolerant).
 *
 * The module has no BTF: the hook resolves the program's attach_btf_id against the
 * BTF it serves and sends the function's name and argument slot count with the load
 * (BPFDRV_IOC_PROG_LOAD_BTF). Loading registers and drops a probe with no-op handlers
 * on the function once (the program is not checked yet: it never runs from there), so
 * a load succeeds exactly when attaching would: libbpf-tools' fentry_can_attach()
 * loads a small program to decide between fentry and kprobes.
 */
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/slab.h>
#include <linux/ptrace.h>
#include "bpfdrv.h"
#include "compat.h"

/* Register arguments of x86-64; Linux 6.1's trampolines take no more either. */
#define FENTRY_MAX_ARGS 6

struct fentry_state {
	struct kretprobe rp; /* rp.kp is the probe for fentry too */
	struct bpfdrv_prog *prog; /* the link's reference */
	u64 cookie;
	u64 func_ip;
	u32 nr_args;
};

static void fentry_collect(const struct pt_regs *regs, u64 *args, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		args[i] = bpfdrv_func_arg(regs, i);
}

static int fentry_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct fentry_state *fs = container_of(kp, struct fentry_state, rp.kp);
	u64 args[FENTRY_MAX_ARGS];
	struct bpfdrv_run_ctx c = { args, fs->nr_args * sizeof(u64), regs, fs->cookie,
				    READ_ONCE(fs->func_ip), NULL };

	fentry_collect(regs, args, fs->nr_args);
	bpfdrv_prog_run(fs->prog, &c);
	return 0;
}

/* fexit needs the arguments as they were at entry: saved in the instance's data. */
static int fexit_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct fentry_state *fs = container_of(bpfdrv_kretprobe_of(ri), struct fentry_state, rp);

	fentry_collect(regs, (u64 *)ri->data, fs->nr_args);
	return 0;
}

static int fexit_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct fentry_state *fs = container_of(bpfdrv_kretprobe_of(ri), struct fentry_state, rp);
	u64 args[FENTRY_MAX_ARGS + 1];
	struct bpfdrv_run_ctx c = { args, (fs->nr_args + 1) * sizeof(u64), regs, fs->cookie,
				    READ_ONCE(fs->func_ip), NULL };

	memcpy(args, ri->data, fs->nr_args * sizeof(u64));
	args[fs->nr_args] = regs_return_value(regs);
	bpfdrv_prog_run(fs->prog, &c);
	return 0;
}

static bool is_fexit(const struct bpfdrv_prog *prog)
{
	return prog->expected_attach_type == BPFDRV_TRACE_FEXIT;
}

/* The load-time check's probe: the program has not been checked yet, it must not run. */
static int fentry_check_pre(struct kprobe *kp, struct pt_regs *regs)
{
	return 0;
}

static int fexit_check_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return 0;
}

static struct fentry_state *fentry_state_new(struct bpfdrv_prog *prog)
{
	struct fentry_state *fs = kzalloc(sizeof(*fs), GFP_KERNEL);

	if (!fs)
		return NULL;
	fs->prog = prog;
	fs->nr_args = prog->target.nr_args;
	fs->rp.kp.symbol_name = (const char *)prog->target.name;
	if (is_fexit(prog)) {
		fs->rp.entry_handler = fexit_entry;
		fs->rp.handler = fexit_ret;
		fs->rp.data_size = FENTRY_MAX_ARGS * sizeof(u64);
		fs->rp.maxactive = 0; /* the kernel's default: max(10, 2 * NR_CPUS) */
	} else {
		fs->rp.kp.pre_handler = fentry_pre;
	}
	return fs;
}

static int fentry_register(struct fentry_state *fs, const struct bpfdrv_prog *prog)
{
	int err = is_fexit(prog) ? register_kretprobe(&fs->rp) : register_kprobe(&fs->rp.kp);

	if (err)
		bpfdrv_warn("%s '%s': cannot probe the function: %d\n",
			    is_fexit(prog) ? "fexit" : "fentry", prog->target.name, err);
	return err;
}

static void fentry_unregister(struct fentry_state *fs, const struct bpfdrv_prog *prog)
{
	/* Both wait until no handler runs (and no kretprobe instance is pending). */
	if (is_fexit(prog))
		unregister_kretprobe(&fs->rp);
	else
		unregister_kprobe(&fs->rp.kp);
}

int bpfdrv_fentry_check(const struct bpfdrv_prog *prog)
{
	struct fentry_state *fs;
	int err;

	if (!BPFDRV_HAVE_FUNC_ARGS) {
		bpfdrv_warn("fentry/fexit: argument registers of this architecture are not known\n");
		return -EOPNOTSUPP;
	}
	if (prog->target.nr_args > FENTRY_MAX_ARGS) {
		bpfdrv_warn("fentry/fexit '%s': %u argument slots, at most %u are passed in registers\n",
			    prog->target.name, prog->target.nr_args, FENTRY_MAX_ARGS);
		return -EINVAL;
	}
	fs = fentry_state_new((struct bpfdrv_prog *)prog);
	if (!fs)
		return -ENOMEM;
	/* Called before ebpf_check: a probe that cannot run the program, nor save args. */
	fs->prog = NULL;
	fs->rp.entry_handler = NULL;
	fs->rp.data_size = 0;
	if (is_fexit(prog))
		fs->rp.handler = fexit_check_ret;
	else
		fs->rp.kp.pre_handler = fentry_check_pre;
	err = fentry_register(fs, prog);
	if (!err)
		fentry_unregister(fs, prog);
	kfree(fs);
	return err;
}

static void fentry_release(struct bpfdrv_link *link)
{
	struct fentry_state *fs = link->priv;

	fentry_unregister(fs, link->prog);
	kfree(fs);
}

static const struct bpfdrv_link_ops fentry_link_ops = {
	.name = "tracing",
	.type = BPFDRV_LINK_TYPE_TRACING,
	.release = fentry_release,
};

int bpfdrv_fentry_attach(struct bpfdrv_prog *prog, u64 cookie)
{
	struct fentry_state *fs = fentry_state_new(prog);
	int err;

	if (!fs)
		return -ENOMEM;
	fs->cookie = cookie;
	err = bpfdrv_prog_get(prog); /* the link's */
	if (!err) {
		err = fentry_register(fs, prog);
		if (err)
			bpfdrv_prog_put(prog);
	}
	if (err) {
		kfree(fs);
		return err;
	}
	WRITE_ONCE(fs->func_ip, bpfdrv_kprobe_entry_ip(&fs->rp.kp));
	return bpfdrv_link_new_fd(&fentry_link_ops, prog, fs);
}
