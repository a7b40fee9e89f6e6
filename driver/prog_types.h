/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The program types this module loads: one descriptor each, in one table
 * (prog_types.c), as Linux's bpf_types.h. Loading, the helper tables, BPF_PROG_TEST_RUN
 * and BPF_LINK_CREATE look a program's type up here instead of switching on it.
 */
#ifndef BPFDRV_PROG_TYPES_H
#define BPFDRV_PROG_TYPES_H

#include "bpfdrv.h"

struct bpfdrv_prog_type {
	u32 type; /* BPFDRV_PROG_TYPE_* */
	/*
	 * The context size the engine gives its programs (read-only); NULL: 0, for a
	 * socket filter's skb context (test runs only) and for tracing programs, whose
	 * target sizes it at load.
	 */
	u32 (*ctx_size)(void);
	u8 ctx_kind; /* enum ebpf_ctx_kind */
	/*
	 * Reads the probe's pt_regs on whatever event it is attached to (kprobe programs on
	 * kprobes, uprobes and their trace events), not the event's own record.
	 */
	bool ctx_regs;
	/*
	 * A tracing type (Linux's is_perfmon_prog_type()): loading it needs CAP_PERFMON,
	 * and it gets the tracing-only helpers.
	 */
	bool tracing;
	/* Names its target by BTF id, which libbpfhook.so resolves (fentry, fexit, tp_btf). */
	bool btf_target;
	/* BPF_PROG_TEST_RUN; NULL: -ENOTSUPP, as Linux. */
	int (*test_run)(struct bpfdrv_prog *prog, struct bpfdrv_test_run_attr *attr);
	/* BPF_LINK_CREATE, attach rules included; NULL: -EINVAL. */
	int (*link_create)(const struct bpfdrv_link_create_attr *attr, struct bpfdrv_prog *prog);
	/* Its helpers, indexed by helper id, BPFDRV_HELPER_MAX of them (bpfdrv_helpers_init()). */
	struct ebpf_helper *helpers;
};

extern const struct bpfdrv_prog_type bpfdrv_prog_types[];
extern const u32 bpfdrv_nr_prog_types;

/* The descriptor of @type; NULL: this module does not load programs of that type. */
const struct bpfdrv_prog_type *bpfdrv_prog_type_find(u32 type);

/* The operations the table names (prog_test_run.c, link.c). */
int bpfdrv_test_run_raw_tp(struct bpfdrv_prog *prog, struct bpfdrv_test_run_attr *attr);
int bpfdrv_test_run_skb(struct bpfdrv_prog *prog, struct bpfdrv_test_run_attr *attr);
int bpfdrv_perf_link_create(const struct bpfdrv_link_create_attr *attr, struct bpfdrv_prog *prog);
int bpfdrv_tracing_link_create(const struct bpfdrv_link_create_attr *attr, struct bpfdrv_prog *prog);

#endif
