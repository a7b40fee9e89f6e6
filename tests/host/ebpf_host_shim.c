// SPDX-License-Identifier: GPL-2.0-only
/* Host-only shim for the Rust tests: struct sizes and offsets so the Rust FFI
 * declarations can be checked against the C header. */
#include "ebpf_engine.h"
#include "ebpf_skb.h"

size_t ebpf_host_sizeof_scratch(void);
size_t ebpf_host_sizeof_run(void);
size_t ebpf_host_sizeof_skb(void);
size_t ebpf_host_sizeof_prog(void);
size_t ebpf_host_sizeof_map_ref(void);
size_t ebpf_host_sizeof_helper(void);
size_t ebpf_host_sizeof_log(void);
size_t ebpf_host_offsetof_run_error(void);
size_t ebpf_host_offsetof_run_ret_tag_set(void);

size_t ebpf_host_sizeof_scratch(void) { return sizeof(struct ebpf_scratch); }
size_t ebpf_host_sizeof_run(void) { return sizeof(struct ebpf_run); }
size_t ebpf_host_sizeof_skb(void) { return sizeof(struct ebpf_skb); }
size_t ebpf_host_sizeof_prog(void) { return sizeof(struct ebpf_prog); }
size_t ebpf_host_sizeof_map_ref(void) { return sizeof(struct ebpf_map_ref); }
size_t ebpf_host_sizeof_helper(void) { return sizeof(struct ebpf_helper); }
size_t ebpf_host_sizeof_log(void) { return sizeof(struct ebpf_log); }
size_t ebpf_host_offsetof_run_error(void) { return offsetof(struct ebpf_run, error); }
size_t ebpf_host_offsetof_run_ret_tag_set(void) { return offsetof(struct ebpf_run, ret_tag_set); }
