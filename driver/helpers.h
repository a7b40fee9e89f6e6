/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF helpers: every helper function helpers.c's table lists that is implemented
 * outside helpers.c (next to the object it works on), and what they share. The
 * engine's own bpf_loop, ebpf_helper_loop(), is declared by the engine (ebpf_engine.h).
 */
#ifndef BPFDRV_HELPERS_H
#define BPFDRV_HELPERS_H

#include "bpfdrv.h"
#include "helper_ids.h"

/* helpers_tracing.c */
u64 bpfdrv_h_get_stackid(struct ebpf_run *run, u64 ctx, u64 map, u64 flags, u64 a4, u64 a5);
u64 bpfdrv_h_probe_write_user(struct ebpf_run *run, u64 dst, u64 src, u64 size, u64 a4, u64 a5);
u64 bpfdrv_h_get_numa_node_id(struct ebpf_run *run, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
u64 bpfdrv_h_get_current_cgroup_id(struct ebpf_run *run, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
u64 bpfdrv_h_jiffies64(struct ebpf_run *run, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
u64 bpfdrv_h_ktime_get_coarse_ns(struct ebpf_run *run, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
u64 bpfdrv_h_send_signal(struct ebpf_run *run, u64 sig, u64 a2, u64 a3, u64 a4, u64 a5);
u64 bpfdrv_h_send_signal_thread(struct ebpf_run *run, u64 sig, u64 a2, u64 a3, u64 a4, u64 a5);
u64 bpfdrv_h_trace_printk(struct ebpf_run *run, u64 fmt, u64 fmt_size, u64 a1, u64 a2, u64 a3);
u64 bpfdrv_h_snprintf(struct ebpf_run *run, u64 str, u64 str_size, u64 fmt, u64 data, u64 data_len);
int bpfdrv_snprintf_check_fmt(const char *fmt, u32 room, u64 data_len);
u64 bpfdrv_h_strncmp(struct ebpf_run *run, u64 s1, u64 s1_sz, u64 s2, u64 a4, u64 a5);

/* BPF ring buffer (ringbuf.c): helpers 130..134 */
u64 bpfdrv_h_ringbuf_output(struct ebpf_run *run, u64 map, u64 data, u64 size, u64 flags, u64 a5);
u64 bpfdrv_h_ringbuf_reserve(struct ebpf_run *run, u64 map, u64 size, u64 flags, u64 a4, u64 a5);
u64 bpfdrv_h_ringbuf_submit(struct ebpf_run *run, u64 sample, u64 flags, u64 a3, u64 a4, u64 a5);
u64 bpfdrv_h_ringbuf_discard(struct ebpf_run *run, u64 sample, u64 flags, u64 a3, u64 a4, u64 a5);
u64 bpfdrv_h_ringbuf_query(struct ebpf_run *run, u64 map, u64 flags, u64 a3, u64 a4, u64 a5);

/* bpf_tail_call (prog_array.c) */
u64 bpfdrv_h_tail_call(struct ebpf_run *run, u64 ctx, u64 map, u64 index, u64 a4, u64 a5);

/* What the helpers share */
int bpfdrv_bprintf(char *out, u32 size, const char *fmt, u32 fmt_len, const u64 *args, u32 nargs);
/* User stack by frame pointers (helpers.c). */
u32 bpfdrv_user_stack(u64 *ips, u32 max);
/* Kernel stack of the probed context (none for user-mode regs; helpers_tracing.c). */
u32 bpfdrv_prog_kernel_stack(struct ebpf_run *run, u64 *ips, u32 max);
void bpfdrv_helpers_tracing_init(void);
void bpfdrv_helpers_tracing_exit(void);

#endif
