// SPDX-License-Identifier: GPL-2.0
/*
 * The program types this module loads, one descriptor each (Linux's bpf_types.h and
 * each type's bpf_verifier_ops / bpf_prog_ops): the context it reads, whether it is a
 * tracing type, its test run and how it is linked. The helpers each type gets are
 * filled in by helpers.c from its helper table.
 */
#include <linux/kernel.h>
#include <linux/ptrace.h>
#include "bpfdrv.h"
#include "helper_ids.h"
#include "prog_types.h"

/* TRACEPOINT: the raw record, up to PERF_MAX_TRACE_SIZE. */
static u32 tracepoint_ctx_size(void)
{
	return BPFDRV_TRACE_CTX_SIZE;
}

/* KPROBE: struct pt_regs. */
static u32 kprobe_ctx_size(void)
{
	return sizeof(struct pt_regs);
}

static struct ebpf_helper socket_filter_helpers[BPFDRV_HELPER_MAX];
static struct ebpf_helper kprobe_helpers[BPFDRV_HELPER_MAX];
static struct ebpf_helper tracepoint_helpers[BPFDRV_HELPER_MAX];
static struct ebpf_helper perf_event_helpers[BPFDRV_HELPER_MAX];
static struct ebpf_helper raw_tracepoint_helpers[BPFDRV_HELPER_MAX];
static struct ebpf_helper tracing_helpers[BPFDRV_HELPER_MAX];

const struct bpfdrv_prog_type bpfdrv_prog_types[] = {
	/* r1 is a struct ebpf_skb, which only BPF_PROG_TEST_RUN builds: never attached. */
	{
		.type = BPFDRV_PROG_TYPE_SOCKET_FILTER,
		.ctx_kind = EBPF_CTX_SKB,
		.test_run = bpfdrv_test_run_skb,
		.helpers = socket_filter_helpers,
	},
	{
		.type = BPFDRV_PROG_TYPE_KPROBE,
		.ctx_size = kprobe_ctx_size,
		.ctx_regs = true,
		.tracing = true,
		.link_create = bpfdrv_perf_link_create,
		.helpers = kprobe_helpers,
	},
	{
		.type = BPFDRV_PROG_TYPE_TRACEPOINT,
		.ctx_size = tracepoint_ctx_size,
		.tracing = true,
		.link_create = bpfdrv_perf_link_create,
		.helpers = tracepoint_helpers,
	},
	/* struct bpf_perf_event_data */
	{
		.type = BPFDRV_PROG_TYPE_PERF_EVENT,
		.ctx_size = bpfdrv_perf_event_ctx_size,
		.tracing = true,
		.link_create = bpfdrv_perf_link_create,
		.helpers = perf_event_helpers,
	},
	/* u64 args[12]; attached by BPF_RAW_TRACEPOINT_OPEN, not by a link */
	{
		.type = BPFDRV_PROG_TYPE_RAW_TRACEPOINT,
		.ctx_size = bpfdrv_raw_tp_ctx_size,
		.tracing = true,
		.test_run = bpfdrv_test_run_raw_tp,
		.helpers = raw_tracepoint_helpers,
	},
	/* fentry, fexit, tp_btf: the context is sized by the target at load */
	{
		.type = BPFDRV_PROG_TYPE_TRACING,
		.tracing = true,
		.btf_target = true,
		.link_create = bpfdrv_tracing_link_create,
		.helpers = tracing_helpers,
	},
};

const u32 bpfdrv_nr_prog_types = ARRAY_SIZE(bpfdrv_prog_types);

const struct bpfdrv_prog_type *bpfdrv_prog_type_find(u32 type)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(bpfdrv_prog_types); i++)
		if (bpfdrv_prog_types[i].type == type)
			return &bpfdrv_prog_types[i];
	return NULL;
}
