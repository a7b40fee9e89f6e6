#ifndef BPFDRV_PROTOCOL_H
#define BPFDRV_PROTOCOL_H

/* Generated from driver-protocol/src/lib.rs by cbindgen: do not edit.
 * Regenerate with: BPFDRV_BLESS=1 cargo test -p driver-protocol */

#ifdef __KERNEL__
#include <linux/types.h> /* uint32_t and friends */
#else
#include <stdint.h>
#endif

/**
 * Bumped on any incompatible change to a request struct or ioctl.
 */
#define BPFDRV_PROTOCOL_VERSION 3

/**
 * ioctl type byte ("magic") of all bpfdrv ioctls.
 */
#define BPFDRV_IOC_MAGIC 181

/**
 * `_IOWR(BPFDRV_IOC_MAGIC, 1, struct bpfdrv_hello)`.
 */
#define BPFDRV_IOC_HELLO 3222320385

/**
 * `_IOWR(BPFDRV_IOC_MAGIC, 2, struct bpfdrv_bpf_req)`; returns what bpf(2) would.
 */
#define BPFDRV_IOC_BPF 3222844674

/**
 * `_IOWR(BPFDRV_IOC_MAGIC, 3, struct bpfdrv_perf_open_req)`; returns a new fd.
 */
#define BPFDRV_IOC_PERF_OPEN 3223893251

/**
 * `_IOWR(BPFDRV_IOC_MAGIC, 4, struct bpfdrv_prog_load_btf_req)`: `BPF_PROG_LOAD` of a
 * BTF-typed tracing program (fentry, fexit, tp_btf) with its target resolved; returns
 * what bpf(2) would (since protocol 3).
 */
#define BPFDRV_IOC_PROG_LOAD_BTF 3231233284

/**
 * `_IOWR(BPFDRV_IOC_MAGIC, 5, struct bpfdrv_unpin_req)`: unpin a path (see the struct).
 */
#define BPFDRV_IOC_UNPIN 3222320389

/**
 * A kernel function: fentry runs at its entry, fexit at its return.
 */
#define BPFDRV_BTF_TARGET_FUNC 1

/**
 * A tracepoint: tp_btf runs with its raw arguments.
 */
#define BPFDRV_BTF_TARGET_TRACEPOINT 2

/**
 * `bpfdrv_perf_open_req::kind`: dispatch on `attr.type` (tracepoint, software).
 */
#define BPFDRV_PERF_KIND_BY_TYPE 0

/**
 * `attr.type` is the kprobe PMU's: config bit 0 = retprobe, config1 = function name
 * (user pointer) or 0, config2 = offset (with a name) or address.
 */
#define BPFDRV_PERF_KIND_KPROBE 1

/**
 * `attr.type` is the uprobe PMU's: config bit 0 = retprobe, config bits 32.. =
 * reference counter offset, config1 = path (user pointer), config2 = file offset.
 */
#define BPFDRV_PERF_KIND_UPROBE 2

/**
 * `PERF_ATTR_SIZE_VER0`: what the kernel takes an attr `size` of 0 to mean, and the
 * smallest size it accepts.
 */
#define BPFDRV_PERF_ATTR_SIZE_VER0 64

#define BPFDRV_PERF_ATTR_FLAG_DISABLED (1 << 0)

#define BPFDRV_PERF_ATTR_FLAG_EXCLUDE_USER (1 << 4)

#define BPFDRV_PERF_ATTR_FLAG_EXCLUDE_KERNEL (1 << 5)

#define BPFDRV_PERF_ATTR_FLAG_EXCLUDE_HV (1 << 6)

#define BPFDRV_PERF_ATTR_FLAG_EXCLUDE_IDLE (1 << 7)

/**
 * `sample_period` holds a frequency (`sample_freq`).
 */
#define BPFDRV_PERF_ATTR_FLAG_FREQ (1 << 10)

#define BPFDRV_PERF_ATTR_FLAG_WATERMARK (1 << 14)

#define BPFDRV_PERF_TYPE_HARDWARE 0

#define BPFDRV_PERF_TYPE_SOFTWARE 1

#define BPFDRV_PERF_TYPE_TRACEPOINT 2

#define BPFDRV_PERF_COUNT_SW_CPU_CLOCK 0

#define BPFDRV_PERF_COUNT_SW_TASK_CLOCK 1

#define BPFDRV_PERF_COUNT_SW_BPF_OUTPUT 10

/**
 * Probe PMUs: `config` bit 0 asks for a return probe.
 */
#define BPFDRV_PERF_PROBE_CONFIG_IS_RETPROBE (1 << 0)

/**
 * Uprobe PMU: `config` bits 32..63 hold the reference counter (USDT semaphore) offset.
 */
#define BPFDRV_PERF_UPROBE_REF_CTR_OFFSET_SHIFT 32

/**
 * perf_event_open(2) `flags`: the only one the module honours.
 */
#define BPFDRV_PERF_FLAG_FD_CLOEXEC (1 << 3)

/**
 * `expected_attach_type` of BPF_PROG_TYPE_TRACING programs: tp_btf, fentry, fexit.
 */
#define BPFDRV_TRACE_RAW_TP 23

#define BPFDRV_TRACE_FENTRY 24

#define BPFDRV_TRACE_FEXIT 25

/**
 * `BPF_LINK_CREATE` of a program on a perf event fd.
 */
#define BPFDRV_ATTACH_PERF_EVENT 41

#define BPFDRV_PERF_SAMPLE_RAW (1 << 10)

#define BPFDRV_CMD_MAP_CREATE 0

#define BPFDRV_CMD_MAP_LOOKUP_ELEM 1

#define BPFDRV_CMD_MAP_UPDATE_ELEM 2

#define BPFDRV_CMD_MAP_DELETE_ELEM 3

#define BPFDRV_CMD_MAP_GET_NEXT_KEY 4

#define BPFDRV_CMD_PROG_LOAD 5

#define BPFDRV_CMD_OBJ_PIN 6

#define BPFDRV_CMD_OBJ_GET 7

#define BPFDRV_CMD_PROG_ATTACH 8

#define BPFDRV_CMD_PROG_DETACH 9

#define BPFDRV_CMD_PROG_TEST_RUN 10

#define BPFDRV_CMD_PROG_GET_NEXT_ID 11

#define BPFDRV_CMD_MAP_GET_NEXT_ID 12

#define BPFDRV_CMD_PROG_GET_FD_BY_ID 13

#define BPFDRV_CMD_MAP_GET_FD_BY_ID 14

#define BPFDRV_CMD_OBJ_GET_INFO_BY_FD 15

#define BPFDRV_CMD_PROG_QUERY 16

#define BPFDRV_CMD_RAW_TRACEPOINT_OPEN 17

#define BPFDRV_CMD_BTF_LOAD 18

#define BPFDRV_CMD_BTF_GET_FD_BY_ID 19

#define BPFDRV_CMD_TASK_FD_QUERY 20

#define BPFDRV_CMD_MAP_LOOKUP_AND_DELETE_ELEM 21

#define BPFDRV_CMD_MAP_FREEZE 22

#define BPFDRV_CMD_BTF_GET_NEXT_ID 23

#define BPFDRV_CMD_MAP_LOOKUP_BATCH 24

#define BPFDRV_CMD_MAP_LOOKUP_AND_DELETE_BATCH 25

#define BPFDRV_CMD_MAP_UPDATE_BATCH 26

#define BPFDRV_CMD_MAP_DELETE_BATCH 27

#define BPFDRV_CMD_LINK_CREATE 28

#define BPFDRV_CMD_LINK_UPDATE 29

#define BPFDRV_CMD_LINK_GET_FD_BY_ID 30

#define BPFDRV_CMD_LINK_GET_NEXT_ID 31

#define BPFDRV_CMD_ENABLE_STATS 32

#define BPFDRV_CMD_ITER_CREATE 33

#define BPFDRV_CMD_LINK_DETACH 34

#define BPFDRV_CMD_PROG_BIND_MAP 35

/**
 * `sizeof(union bpf_attr)` as the module knows it; larger attrs must be zero past it
 * (else `E2BIG`), exactly like the kernel's `bpf_check_uarg_tail_zero`.
 */
#define BPFDRV_ATTR_SIZE 144

#define BPFDRV_MAP_TYPE_HASH 1

#define BPFDRV_MAP_TYPE_ARRAY 2

#define BPFDRV_MAP_TYPE_PROG_ARRAY 3

#define BPFDRV_MAP_TYPE_PERF_EVENT_ARRAY 4

#define BPFDRV_MAP_TYPE_PERCPU_HASH 5

#define BPFDRV_MAP_TYPE_PERCPU_ARRAY 6

#define BPFDRV_MAP_TYPE_STACK_TRACE 7

#define BPFDRV_MAP_TYPE_CGROUP_ARRAY 8

#define BPFDRV_MAP_TYPE_LRU_HASH 9

#define BPFDRV_MAP_TYPE_LRU_PERCPU_HASH 10

#define BPFDRV_MAP_TYPE_LPM_TRIE 11

#define BPFDRV_MAP_TYPE_ARRAY_OF_MAPS 12

#define BPFDRV_MAP_TYPE_HASH_OF_MAPS 13

#define BPFDRV_MAP_TYPE_QUEUE 22

#define BPFDRV_MAP_TYPE_STACK 23

#define BPFDRV_MAP_TYPE_RINGBUF 27

#define BPFDRV_MAP_TYPE_BLOOM_FILTER 30

/**
 * One past the highest map type number the module's dispatch table is sized for.
 */
#define BPFDRV_MAP_TYPE_MAX 32

#define BPFDRV_F_NO_PREALLOC (1 << 0)

/**
 * LRU hash maps: one LRU list per CPU instead of a common one.
 */
#define BPFDRV_F_NO_COMMON_LRU (1 << 1)

#define BPFDRV_F_NUMA_NODE (1 << 2)

#define BPFDRV_F_RDONLY (1 << 3)

#define BPFDRV_F_WRONLY (1 << 4)

/**
 * Stack trace maps: values are `struct bpf_stack_build_id` (not supported).
 */
#define BPFDRV_F_STACK_BUILD_ID (1 << 5)

#define BPFDRV_F_ZERO_SEED (1 << 6)

#define BPFDRV_F_RDONLY_PROG (1 << 7)

#define BPFDRV_F_WRONLY_PROG (1 << 8)

#define BPFDRV_F_MMAPABLE (1 << 10)

/**
 * Perf event arrays: keep the entries when the map's files are closed.
 */
#define BPFDRV_F_PRESERVE_ELEMS (1 << 11)

#define BPFDRV_ANY 0

#define BPFDRV_NOEXIST 1

#define BPFDRV_EXIST 2

#define BPFDRV_F_LOCK 4

/**
 * bpf_get_stackid / bpf_get_stack: frames to skip.
 */
#define BPFDRV_F_SKIP_FIELD_MASK 255

/**
 * bpf_get_stackid / bpf_get_stack: the user stack instead of the kernel's.
 */
#define BPFDRV_F_USER_STACK (1 << 8)

/**
 * bpf_get_stackid: compare the whole stack on a hash match.
 */
#define BPFDRV_F_FAST_STACK_CMP (1 << 9)

/**
 * bpf_get_stackid: replace the stack already in the bucket.
 */
#define BPFDRV_F_REUSE_STACKID (1 << 10)

/**
 * bpf_perf_event_output / bpf_perf_event_read: the array index; all ones is
 * `BPF_F_CURRENT_CPU`.
 */
#define BPFDRV_F_INDEX_MASK 4294967295

#define BPFDRV_F_CURRENT_CPU BPFDRV_F_INDEX_MASK

/**
 * bpf_perf_event_output on skb / xdp contexts: bytes of the packet to append.
 */
#define BPFDRV_F_CTXLEN_MASK 4503595332403200

/**
 * bpf_ringbuf_output / submit / discard: wake-up policy.
 */
#define BPFDRV_RB_NO_WAKEUP (1 << 0)

#define BPFDRV_RB_FORCE_WAKEUP (1 << 1)

/**
 * bpf_ringbuf_query: what to report.
 */
#define BPFDRV_RB_AVAIL_DATA 0

#define BPFDRV_RB_RING_SIZE 1

#define BPFDRV_RB_CONS_POS 2

#define BPFDRV_RB_PROD_POS 3

/**
 * Record header `len` bit: reserved, not yet submitted or discarded.
 */
#define BPFDRV_RINGBUF_BUSY_BIT 2147483648

/**
 * Record header `len` bit: discarded, the consumer skips it.
 */
#define BPFDRV_RINGBUF_DISCARD_BIT 1073741824

/**
 * Size of the record header (len, page offset).
 */
#define BPFDRV_RINGBUF_HDR_SZ 8

/**
 * Run on `cpu` instead of the current CPU.
 */
#define BPFDRV_F_TEST_RUN_ON_CPU (1 << 0)

/**
 * Socket filter test runs: give the skb CHECKSUM_COMPLETE.
 */
#define BPFDRV_F_TEST_SKB_CHECKSUM_COMPLETE (1 << 2)

#define BPFDRV_PROG_TYPE_SOCKET_FILTER 1

#define BPFDRV_PROG_TYPE_KPROBE 2

#define BPFDRV_PROG_TYPE_TRACEPOINT 5

#define BPFDRV_PROG_TYPE_PERF_EVENT 7

#define BPFDRV_PROG_TYPE_RAW_TRACEPOINT 17

#define BPFDRV_PROG_TYPE_TRACING 26

#define BPFDRV_PROG_TYPE_MAX 32

#define BPFDRV_PSEUDO_MAP_FD 1

#define BPFDRV_PSEUDO_MAP_VALUE 2

#define BPFDRV_PSEUDO_BTF_ID 3

#define BPFDRV_PSEUDO_FUNC 4

#define BPFDRV_PSEUDO_MAP_IDX 5

#define BPFDRV_PSEUDO_MAP_IDX_VALUE 6

#define BPFDRV_PSEUDO_CALL 1

#define BPFDRV_PSEUDO_KFUNC_CALL 2

/**
 * The kernel-internal errno (`ENOTSUPP`, not libc's `ENOTSUP`) some bpf(2) commands return
 * for a combination they do not implement; user space sees it as errno 524.
 */
#define BPFDRV_ENOTSUPP 524

/**
 * Largest program the module accepts, in instructions (Linux's BPF_COMPLEXITY_LIMIT_INSNS).
 */
#define BPFDRV_MAX_INSNS 1000000

/**
 * `struct btf_header::magic`.
 */
#define BPFDRV_BTF_MAGIC 60319

/**
 * `BPF_F_REPLACE` for `BPF_LINK_UPDATE`.
 */
#define BPFDRV_F_REPLACE (1 << 2)

/**
 * `BPF_STATS_RUN_TIME`, the only `bpfdrv_enable_stats_attr::type_`.
 */
#define BPFDRV_STATS_RUN_TIME 0

#define BPFDRV_LINK_TYPE_RAW_TRACEPOINT 1

#define BPFDRV_LINK_TYPE_TRACING 2

#define BPFDRV_LINK_TYPE_PERF_EVENT 7

/**
 * Tracepoint ids the module serves itself: syscalls:sys_enter_<name> /
 * sys_exit_<name> of syscalls the running kernel has no tracepoint for (3.10 x86_64:
 * execve, clone, fork, vfork, rt_sigreturn, iopl, ...), and sock:inet_sock_set_state
 * (4.16+). Published in debugfs as `bpfdrv/events/<category>/<event>/{id,format}`; a
 * syscall event's id is `BPFDRV_SYNTH_TP_ID_BASE + 2 * syscall_nr + is_exit`,
 * inet_sock_set_state's [`BPFDRV_SYNTH_TP_ID_SOCK_SET_STATE`]. Kernel trace event ids are
 * 16-bit (`struct trace_entry::type`), so the range never collides with a real one:
 * `perf_event_open(PERF_TYPE_TRACEPOINT)` with a config in
 * [`BPFDRV_SYNTH_TP_ID_BASE`, `BPFDRV_SYNTH_TP_ID_END`) goes to the synthetic event,
 * any other config to the kernel's tracepoint.
 */
#define BPFDRV_SYNTH_TP_ID_BASE 268435456

#define BPFDRV_SYNTH_TP_ID_END 268500992

/**
 * The synthetic sock:inet_sock_set_state (above every syscall event's id).
 */
#define BPFDRV_SYNTH_TP_ID_SOCK_SET_STATE (BPFDRV_SYNTH_TP_ID_BASE + 32768)

/**
 * Version handshake. The caller sets `size` and `version`; the module fills
 * `driver_version` (also on mismatch, then failing with `EPROTO`).
 */
struct bpfdrv_hello {
  uint32_t size;
  uint32_t version;
  uint32_t driver_version;
  uint32_t reserved;
};

/**
 * One bpf(2) call: `bpf(cmd, attr, attr_size)`.
 */
struct bpfdrv_bpf_req {
  uint32_t size;
  uint32_t cmd;
  /**
   * User pointer to the caller's `union bpf_attr`.
   */
  uint64_t attr;
  uint32_t attr_size;
  uint32_t reserved;
};

/**
 * One perf_event_open(2) call the hook routes to the module.
 */
struct bpfdrv_perf_open_req {
  uint32_t size;
  uint32_t attr_size;
  /**
   * User pointer to the caller's `struct perf_event_attr`.
   */
  uint64_t attr;
  int32_t pid;
  int32_t cpu;
  int32_t group_fd;
  /**
   * perf_event_open flags (`PERF_FLAG_FD_CLOEXEC` is honoured).
   */
  uint32_t flags;
  /**
   * What the hook recognised the event as (`BPFDRV_PERF_KIND_*`): the kprobe and
   * uprobe PMUs have dynamic type numbers only user space can read (sysfs).
   */
  uint32_t kind;
  uint32_t reserved;
};

/**
 * What a BTF-typed tracing program attaches to. The program names its target by a type
 * id of the vmlinux BTF (`attach_btf_id`); the module has no BTF (old kernels have
 * none: the hook serves a file), so the hook resolves the id and sends the result.
 */
struct bpfdrv_btf_target {
  /**
   * `BPFDRV_BTF_TARGET_*`.
   */
  uint32_t kind;
  /**
   * u64 slots the target's arguments fill in the program's context (a struct
   * argument of 9..16 bytes takes two, as in the kernel's trampolines); fexit
   * programs find the return value in the slot after them.
   */
  uint32_t nr_args;
  /**
   * The kernel function (fentry/fexit) or tracepoint (tp_btf), NUL-terminated.
   */
  uint8_t name[128];
};

/**
 * `bpf(BPF_PROG_LOAD, attr, attr_size)` for a program of type tracing, plus the target
 * its `attach_btf_id` names.
 */
struct bpfdrv_prog_load_btf_req {
  uint32_t size;
  uint32_t attr_size;
  /**
   * User pointer to the caller's `union bpf_attr`.
   */
  uint64_t attr;
  struct bpfdrv_btf_target target;
};

/**
 * `BPF_OBJ_PIN` / `BPF_OBJ_GET` attr (`bpf_fd` is 0 for OBJ_GET).
 */
struct bpfdrv_obj_pin_attr {
  uint64_t pathname;
  uint32_t bpf_fd;
  uint32_t file_flags;
};

/**
 * `BPF_ENABLE_STATS` attr: the fd it returns measures programs' run time while open.
 */
struct bpfdrv_enable_stats_attr {
  uint32_t type_;
};

/**
 * Drop the pin at `pathname` (user pointer): what unlink(2) of a bpffs file does. Old
 * kernels have no bpffs, so pins live in the module and the hook sends unlinks of
 * `/sys/fs/bpf/...` here (since protocol 3; older modules answer ENOTTY).
 */
struct bpfdrv_unpin_req {
  uint32_t size;
  uint32_t reserved;
  uint64_t pathname;
};

/**
 * The first 72 bytes of `struct perf_event_attr` (PERF_ATTR_SIZE_VER1), identical on
 * every kernel since 3.x; `flags` holds the bitfield word (disabled, inherit, ...).
 */
struct bpfdrv_perf_event_attr {
  uint32_t type_;
  uint32_t size;
  uint64_t config;
  uint64_t sample_period;
  uint64_t sample_type;
  uint64_t read_format;
  uint64_t flags;
  uint32_t wakeup_events;
  uint32_t bp_type;
  uint64_t config1;
  uint64_t config2;
};

/**
 * `BPF_RAW_TRACEPOINT_OPEN` attr.
 */
struct bpfdrv_raw_tp_open_attr {
  /**
   * User pointer to the tracepoint name (NUL-terminated).
   */
  uint64_t name;
  uint32_t prog_fd;
};

/**
 * `BPF_LINK_UPDATE` attr.
 */
struct bpfdrv_link_update_attr {
  uint32_t link_fd;
  uint32_t new_prog_fd;
  uint32_t flags;
  uint32_t old_prog_fd;
};

/**
 * `BPF_LINK_DETACH` attr.
 */
struct bpfdrv_link_detach_attr {
  uint32_t link_fd;
};

/**
 * `BPF_MAP_CREATE` attr (Linux 6.1 layout).
 */
struct bpfdrv_map_create_attr {
  uint32_t map_type;
  uint32_t key_size;
  uint32_t value_size;
  uint32_t max_entries;
  uint32_t map_flags;
  uint32_t inner_map_fd;
  uint32_t numa_node;
  uint8_t map_name[16];
  uint32_t map_ifindex;
  uint32_t btf_fd;
  uint32_t btf_key_type_id;
  uint32_t btf_value_type_id;
  uint32_t btf_vmlinux_value_type_id;
  uint64_t map_extra;
};

/**
 * `BPF_MAP_*_ELEM`, `BPF_MAP_GET_NEXT_KEY` and `BPF_MAP_FREEZE` attr.
 */
struct bpfdrv_map_elem_attr {
  uint32_t map_fd;
  uint32_t pad;
  uint64_t key;
  /**
   * `value`, or `next_key` for GET_NEXT_KEY.
   */
  uint64_t value;
  uint64_t flags;
};

/**
 * `BPF_MAP_LOOKUP_BATCH`, `LOOKUP_AND_DELETE_BATCH`, `UPDATE_BATCH`, `DELETE_BATCH`
 * attr (Linux's `batch`). `count` is in/out; `in_batch`/`out_batch` point at a u32
 * position token.
 */
struct bpfdrv_map_batch_attr {
  uint64_t in_batch;
  uint64_t out_batch;
  uint64_t keys;
  uint64_t values;
  uint32_t count;
  uint32_t map_fd;
  uint64_t elem_flags;
  uint64_t flags;
};

/**
 * `BPF_PROG_TEST_RUN` attr (Linux's `test`). retval, data_size_out, ctx_size_out
 * and duration are written back.
 */
struct bpfdrv_test_run_attr {
  uint32_t prog_fd;
  uint32_t retval;
  uint32_t data_size_in;
  uint32_t data_size_out;
  uint64_t data_in;
  uint64_t data_out;
  uint32_t repeat;
  uint32_t duration;
  uint32_t ctx_size_in;
  uint32_t ctx_size_out;
  uint64_t ctx_in;
  uint64_t ctx_out;
  uint32_t flags;
  uint32_t cpu;
  uint32_t batch_size;
};

/**
 * `BPF_PROG_LOAD` attr (Linux 6.1 layout).
 */
struct bpfdrv_prog_load_attr {
  uint32_t prog_type;
  uint32_t insn_cnt;
  uint64_t insns;
  uint64_t license;
  uint32_t log_level;
  uint32_t log_size;
  uint64_t log_buf;
  uint32_t kern_version;
  uint32_t prog_flags;
  uint8_t prog_name[16];
  uint32_t prog_ifindex;
  uint32_t expected_attach_type;
  uint32_t prog_btf_fd;
  uint32_t func_info_rec_size;
  uint64_t func_info;
  uint32_t func_info_cnt;
  uint32_t line_info_rec_size;
  uint64_t line_info;
  uint32_t line_info_cnt;
  uint32_t attach_btf_id;
  uint32_t attach_prog_fd;
  uint32_t core_relo_cnt;
  uint64_t fd_array;
  uint64_t core_relos;
  uint32_t core_relo_rec_size;
  uint32_t log_true_size;
};

/**
 * `BPF_BTF_LOAD` attr.
 */
struct bpfdrv_btf_load_attr {
  uint64_t btf;
  uint64_t btf_log_buf;
  uint32_t btf_size;
  uint32_t btf_log_size;
  uint32_t btf_log_level;
  uint32_t btf_log_true_size;
};

/**
 * `BPF_LINK_CREATE` attr, the part shared by all attach types plus the
 * perf-event member of its union.
 */
struct bpfdrv_link_create_attr {
  uint32_t prog_fd;
  uint32_t target_fd;
  uint32_t attach_type;
  uint32_t flags;
  uint64_t bpf_cookie;
};

/**
 * `BPF_PROG_BIND_MAP` attr.
 */
struct bpfdrv_prog_bind_map_attr {
  uint32_t prog_fd;
  uint32_t map_fd;
  uint32_t flags;
};

/**
 * `BPF_OBJ_GET_INFO_BY_FD` attr. The module writes `info_len` back (bytes filled).
 */
struct bpfdrv_info_attr {
  uint32_t bpf_fd;
  uint32_t info_len;
  uint64_t info;
};

/**
 * Linux's `struct bpf_map_info` (6.1 layout): what `BPF_OBJ_GET_INFO_BY_FD` fills for
 * a map fd (libbpf's ring buffer reader needs `type` and `max_entries`).
 */
struct bpfdrv_map_info {
  uint32_t type_;
  uint32_t id;
  uint32_t key_size;
  uint32_t value_size;
  uint32_t max_entries;
  uint32_t map_flags;
  uint8_t name[16];
  uint32_t ifindex;
  uint32_t btf_vmlinux_value_type_id;
  uint64_t netns_dev;
  uint64_t netns_ino;
  uint32_t btf_id;
  uint32_t btf_key_type_id;
  uint32_t btf_value_type_id;
  uint32_t pad;
  uint64_t map_extra;
};

/**
 * A BPF instruction, Linux's `struct bpf_insn` (`regs` = dst_reg | src_reg << 4).
 */
struct bpfdrv_insn {
  uint8_t code;
  uint8_t regs;
  int16_t off;
  int32_t imm;
};

/**
 * `BPF_*_GET_NEXT_ID` and `BPF_*_GET_FD_BY_ID` attr: `id` is start_id / prog_id /
 * map_id / btf_id / link_id (one union member in Linux).
 */
struct bpfdrv_get_id_attr {
  uint32_t id;
  uint32_t next_id;
  uint32_t open_flags;
};

/**
 * Linux's `struct bpf_prog_info` (6.1 layout). `gpl_compatible` is bit 0 of `flags`.
 */
struct bpfdrv_prog_info {
  uint32_t type_;
  uint32_t id;
  uint8_t tag[8];
  uint32_t jited_prog_len;
  uint32_t xlated_prog_len;
  uint64_t jited_prog_insns;
  uint64_t xlated_prog_insns;
  uint64_t load_time;
  uint32_t created_by_uid;
  uint32_t nr_map_ids;
  uint64_t map_ids;
  uint8_t name[16];
  uint32_t ifindex;
  uint32_t flags;
  uint64_t netns_dev;
  uint64_t netns_ino;
  uint32_t nr_jited_ksyms;
  uint32_t nr_jited_func_lens;
  uint64_t jited_ksyms;
  uint64_t jited_func_lens;
  uint32_t btf_id;
  uint32_t func_info_rec_size;
  uint64_t func_info;
  uint32_t nr_func_info;
  uint32_t nr_line_info;
  uint64_t line_info;
  uint64_t jited_line_info;
  uint32_t nr_jited_line_info;
  uint32_t line_info_rec_size;
  uint32_t jited_line_info_rec_size;
  uint32_t nr_prog_tags;
  uint64_t prog_tags;
  uint64_t run_time_ns;
  uint64_t run_cnt;
  uint64_t recursion_misses;
  uint32_t verified_insns;
  uint32_t attach_btf_obj_id;
  uint32_t attach_btf_id;
  uint32_t pad;
};

/**
 * Linux's `struct bpf_btf_info` (6.1 layout).
 */
struct bpfdrv_btf_info {
  uint64_t btf;
  uint32_t btf_size;
  uint32_t id;
  uint64_t name;
  uint32_t name_len;
  uint32_t kernel_btf;
};

/**
 * Linux's `struct bpf_link_info` (6.1 layout): type, id, prog_id and the per-type
 * union (raw_tracepoint: tp_name pointer + length; tracing: attach_type,
 * target_obj_id, target_btf_id), 32 bytes.
 */
struct bpfdrv_link_info {
  uint32_t type_;
  uint32_t id;
  uint32_t prog_id;
  uint32_t pad;
  uint64_t u[4];
};

#endif  /* BPFDRV_PROTOCOL_H */
