// SPDX-License-Identifier: GPL-2.0
/*
 * Kprobe PMU events (perf_event_open with the "kprobe" PMU's dynamic type, 4.17+):
 * config bit 0 = kretprobe, config1 = user pointer to the symbol ("func",
 * "module:func", "__x64_sys_execve") or 0, config2 = offset from the symbol, or the
 * address when there is no symbol. The kernel's own PMU would copy config1 from the
 * *calling* task, which a kernel counter opened by a module is not, so the probe is
 * a plain register_kprobe / register_kretprobe, registered at open time like the
 * kernel's (a missing symbol fails perf_event_open, which libbpf's probes rely on).
 * KPROBE programs get the probed pt_regs.
 */
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/kallsyms.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "bpfdrv.h"
#include "compat.h"

struct kprobe_state {
	struct bpfdrv_event *ev;
	bool retprobe;
	bool on_entry;
	u64 func_ip; /* bpf_get_func_ip, known once registered */
	struct kretprobe rp; /* rp.kp is the probe for plain kprobes too */
	char sym[KSYM_NAME_LEN];
};

static int kprobe_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct kprobe_state *ks = container_of(kp, struct kprobe_state, rp.kp);

	bpfdrv_event_run(ks->ev, NULL, 0, regs, READ_ONCE(ks->func_ip));
	return 0;
}

static int kretprobe_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct kprobe_state *ks = container_of(bpfdrv_kretprobe_of(ri), struct kprobe_state, rp);

	bpfdrv_event_run(ks->ev, NULL, 0, regs, READ_ONCE(ks->func_ip));
	return 0;
}

static int kprobe_init(struct bpfdrv_event *ev, const struct bpfdrv_perf_event_attr *attr,
		       int pid, int cpu)
{
	struct kprobe_state *ks;
	int err;

	if (attr->config & ~BPFDRV_PERF_PROBE_CONFIG_IS_RETPROBE)
		return -EINVAL;
	ks = kzalloc(sizeof(*ks), GFP_KERNEL);
	if (!ks)
		return -ENOMEM;
	ks->ev = ev;
	ks->retprobe = attr->config & BPFDRV_PERF_PROBE_CONFIG_IS_RETPROBE;
	if (attr->config1) {
		long n = strncpy_from_user(ks->sym, bpfdrv_u64_to_ptr(attr->config1), sizeof(ks->sym));

		if (n < 0) {
			err = n;
			goto fail;
		}
		if (n == 0 || n == sizeof(ks->sym)) {
			err = -EINVAL;
			goto fail;
		}
		bpfdrv_kprobe_fn_name(ks->sym, sizeof(ks->sym));
		ks->rp.kp.symbol_name = ks->sym;
		ks->rp.kp.offset = attr->config2;
		ks->on_entry = !attr->config2;
	} else {
		ks->rp.kp.addr = (kprobe_opcode_t *)(uintptr_t)attr->config2;
		/* As register_kprobe's KPROBE_FLAG_ON_FUNC_ENTRY: kallsyms decides. */
		ks->on_entry = bpfdrv_kallsyms_on_func_entry((unsigned long)attr->config2);
	}
	/*
	 * kretprobes only probe function entries, as in the kernel (EINVAL); before 4.15
	 * register_kretprobe does not check, and a return probe inside a function
	 * replaces whatever the stack holds there with the trampoline's address.
	 */
	if (ks->retprobe && !ks->on_entry) {
		err = -EINVAL;
		goto fail;
	}
	ev->priv = ks;
	if (ks->retprobe) {
		ks->rp.handler = kretprobe_ret;
		ks->rp.maxactive = 0; /* the kernel's default: max(10, 2 * NR_CPUS) */
		err = register_kretprobe(&ks->rp);
	} else {
		ks->rp.kp.pre_handler = kprobe_pre;
		err = register_kprobe(&ks->rp.kp);
	}
	if (err) {
		bpfdrv_warn("cannot %s '%s'+%llu: %d\n", ks->retprobe ? "register_kretprobe" :
			    "register_kprobe", ks->sym[0] ? ks->sym : "(address)", attr->config2, err);
		goto fail;
	}
	/* kp.addr is resolved by registering; no program can run before the fd exists. */
	WRITE_ONCE(ks->func_ip, ks->on_entry ? bpfdrv_kprobe_entry_ip(&ks->rp.kp) : 0);
	return 0;
fail:
	ev->priv = NULL;
	kfree(ks);
	return err;
}

static void kprobe_free(struct bpfdrv_event *ev)
{
	struct kprobe_state *ks = ev->priv;

	/* Both wait until no handler runs (and no kretprobe instance is pending). */
	if (ks->retprobe)
		unregister_kretprobe(&ks->rp);
	else
		unregister_kprobe(&ks->rp.kp);
	kfree(ks);
}

const struct bpfdrv_event_type bpfdrv_kprobe_event = {
	.name = "kprobe",
	.init = kprobe_init,
	.prog_types = BIT(BPFDRV_PROG_TYPE_KPROBE),
	.free = kprobe_free,
};
