//! The protocol between `libbpfhook.so` (user space) and `bpfdrv.ko` (kernel).
//!
//! This file is the single definition: the module's C header
//! (`driver/bpfdrv_protocol.h`) is generated from it by cbindgen, and a test fails
//! when the committed header drifts.
//!
//! Shape of the protocol:
//! - `/dev/bpfdrv` answers five ioctls: [`BPFDRV_IOC_HELLO`] (version handshake, must
//!   come first), [`BPFDRV_IOC_BPF`] (one bpf(2) command, its `union bpf_attr` passed
//!   through unchanged so the module applies the kernel's own attr rules; links included),
//!   [`BPFDRV_IOC_PERF_OPEN`] (a perf event the module emulates: tracepoints, kprobes and
//!   uprobes ([`BPFDRV_PERF_KIND_KPROBE`], [`BPFDRV_PERF_KIND_UPROBE`]), cpu-clock /
//!   task-clock sampling events and `PERF_COUNT_SW_BPF_OUTPUT` rings),
//!   [`BPFDRV_IOC_PROG_LOAD_BTF`] (`BPF_PROG_LOAD` of fentry / fexit / tp_btf programs, with
//!   the target the hook resolved from the BTF it serves) and [`BPFDRV_IOC_UNPIN`] (remove
//!   a pin, where no bpffs is mounted).
//! - Every request starts with its own size; the module rejects a size it does not know
//!   and non-zero reserved fields with `EINVAL`.
//! - Objects (maps, programs, BTF, links, emulated perf events) come back as real file
//!   descriptors; the perf-event fds answer the kernel's own `PERF_EVENT_IOC_*` ioctls.
//! - Errors are Linux errno values, exactly those bpf(2) would give; a protocol version
//!   mismatch is `EPROTO`.
//!
//! The `*_attr` structs mirror the prefixes of the kernel's `union bpf_attr` members
//! the module understands, with Linux's exact layout (the module cannot include
//! `<linux/bpf.h>`: 3.10 has none).
#![no_std]
#![allow(non_camel_case_types)]

/// Bumped on any incompatible change to a request struct or ioctl.
pub const BPFDRV_PROTOCOL_VERSION: u32 = 3;

/// Name of the misc device (`/dev/bpfdrv`).
pub const BPFDRV_DEVICE_NAME: &str = "bpfdrv";

/// ioctl type byte ("magic") of all bpfdrv ioctls.
pub const BPFDRV_IOC_MAGIC: u32 = 0xB5;

/// `_IOWR(BPFDRV_IOC_MAGIC, 1, struct bpfdrv_hello)`.
pub const BPFDRV_IOC_HELLO: u32 = 0xC010_B501;
/// `_IOWR(BPFDRV_IOC_MAGIC, 2, struct bpfdrv_bpf_req)`; returns what bpf(2) would.
pub const BPFDRV_IOC_BPF: u32 = 0xC018_B502;
/// `_IOWR(BPFDRV_IOC_MAGIC, 3, struct bpfdrv_perf_open_req)`; returns a new fd.
pub const BPFDRV_IOC_PERF_OPEN: u32 = 0xC028_B503;
/// `_IOWR(BPFDRV_IOC_MAGIC, 4, struct bpfdrv_prog_load_btf_req)`: `BPF_PROG_LOAD` of a
/// BTF-typed tracing program (fentry, fexit, tp_btf) with its target resolved; returns
/// what bpf(2) would (since protocol 3).
pub const BPFDRV_IOC_PROG_LOAD_BTF: u32 = 0xC098_B504;
/// `_IOWR(BPFDRV_IOC_MAGIC, 5, struct bpfdrv_unpin_req)`: unpin a path (see the struct).
pub const BPFDRV_IOC_UNPIN: u32 = 0xC010_B505;

/// Version handshake. The caller sets `size` and `version`; the module fills
/// `driver_version` (also on mismatch, then failing with `EPROTO`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_hello {
    pub size: u32,
    pub version: u32,
    pub driver_version: u32,
    pub reserved: u32,
}

/// One bpf(2) call: `bpf(cmd, attr, attr_size)`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_bpf_req {
    pub size: u32,
    pub cmd: u32,
    /// User pointer to the caller's `union bpf_attr`.
    pub attr: u64,
    pub attr_size: u32,
    pub reserved: u32,
}

/// One perf_event_open(2) call the hook routes to the module.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_perf_open_req {
    pub size: u32,
    pub attr_size: u32,
    /// User pointer to the caller's `struct perf_event_attr`.
    pub attr: u64,
    pub pid: i32,
    pub cpu: i32,
    pub group_fd: i32,
    /// perf_event_open flags (`PERF_FLAG_FD_CLOEXEC` is honoured).
    pub flags: u32,
    /// What the hook recognised the event as (`BPFDRV_PERF_KIND_*`): the kprobe and
    /// uprobe PMUs have dynamic type numbers only user space can read (sysfs).
    pub kind: u32,
    pub reserved: u32,
}

/// What a BTF-typed tracing program attaches to. The program names its target by a type
/// id of the vmlinux BTF (`attach_btf_id`); the module has no BTF (old kernels have
/// none: the hook serves a file), so the hook resolves the id and sends the result.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bpfdrv_btf_target {
    /// `BPFDRV_BTF_TARGET_*`.
    pub kind: u32,
    /// u64 slots the target's arguments fill in the program's context (a struct
    /// argument of 9..16 bytes takes two, as in the kernel's trampolines); fexit
    /// programs find the return value in the slot after them.
    pub nr_args: u32,
    /// The kernel function (fentry/fexit) or tracepoint (tp_btf), NUL-terminated.
    pub name: [u8; 128],
}

impl Default for bpfdrv_btf_target {
    fn default() -> Self {
        bpfdrv_btf_target { kind: 0, nr_args: 0, name: [0; 128] }
    }
}

/// A kernel function: fentry runs at its entry, fexit at its return.
pub const BPFDRV_BTF_TARGET_FUNC: u32 = 1;
/// A tracepoint: tp_btf runs with its raw arguments.
pub const BPFDRV_BTF_TARGET_TRACEPOINT: u32 = 2;

/// `bpf(BPF_PROG_LOAD, attr, attr_size)` for a program of type tracing, plus the target
/// its `attach_btf_id` names.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_prog_load_btf_req {
    pub size: u32,
    pub attr_size: u32,
    /// User pointer to the caller's `union bpf_attr`.
    pub attr: u64,
    pub target: bpfdrv_btf_target,
}

/// `bpfdrv_perf_open_req::kind`: dispatch on `attr.type` (tracepoint, software).
pub const BPFDRV_PERF_KIND_BY_TYPE: u32 = 0;
/// `attr.type` is the kprobe PMU's: config bit 0 = retprobe, config1 = function name
/// (user pointer) or 0, config2 = offset (with a name) or address.
pub const BPFDRV_PERF_KIND_KPROBE: u32 = 1;
/// `attr.type` is the uprobe PMU's: config bit 0 = retprobe, config bits 32.. =
/// reference counter offset, config1 = path (user pointer), config2 = file offset.
pub const BPFDRV_PERF_KIND_UPROBE: u32 = 2;

/// The first 72 bytes of `struct perf_event_attr` (PERF_ATTR_SIZE_VER1), identical on
/// every kernel since 3.x; `flags` holds the bitfield word (disabled, inherit, ...).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_perf_event_attr {
    pub type_: u32,
    pub size: u32,
    pub config: u64,
    pub sample_period: u64,
    pub sample_type: u64,
    pub read_format: u64,
    pub flags: u64,
    pub wakeup_events: u32,
    pub bp_type: u32,
    pub config1: u64,
    pub config2: u64,
}

/// `PERF_ATTR_SIZE_VER0`: what the kernel takes an attr `size` of 0 to mean, and the
/// smallest size it accepts.
pub const BPFDRV_PERF_ATTR_SIZE_VER0: u32 = 64;

pub const BPFDRV_PERF_ATTR_FLAG_DISABLED: u64 = 1 << 0;
pub const BPFDRV_PERF_ATTR_FLAG_EXCLUDE_USER: u64 = 1 << 4;
pub const BPFDRV_PERF_ATTR_FLAG_EXCLUDE_KERNEL: u64 = 1 << 5;
pub const BPFDRV_PERF_ATTR_FLAG_EXCLUDE_HV: u64 = 1 << 6;
pub const BPFDRV_PERF_ATTR_FLAG_EXCLUDE_IDLE: u64 = 1 << 7;
/// `sample_period` holds a frequency (`sample_freq`).
pub const BPFDRV_PERF_ATTR_FLAG_FREQ: u64 = 1 << 10;
pub const BPFDRV_PERF_ATTR_FLAG_WATERMARK: u64 = 1 << 14;

pub const BPFDRV_PERF_TYPE_HARDWARE: u32 = 0;
pub const BPFDRV_PERF_TYPE_SOFTWARE: u32 = 1;
pub const BPFDRV_PERF_TYPE_TRACEPOINT: u32 = 2;
pub const BPFDRV_PERF_COUNT_SW_CPU_CLOCK: u64 = 0;
pub const BPFDRV_PERF_COUNT_SW_TASK_CLOCK: u64 = 1;
pub const BPFDRV_PERF_COUNT_SW_BPF_OUTPUT: u64 = 10;
/// Probe PMUs: `config` bit 0 asks for a return probe.
pub const BPFDRV_PERF_PROBE_CONFIG_IS_RETPROBE: u64 = 1 << 0;
/// Uprobe PMU: `config` bits 32..63 hold the reference counter (USDT semaphore) offset.
pub const BPFDRV_PERF_UPROBE_REF_CTR_OFFSET_SHIFT: u32 = 32;
/// perf_event_open(2) `flags`: the only one the module honours.
pub const BPFDRV_PERF_FLAG_FD_CLOEXEC: u32 = 1 << 3;

// ---- attach types (Linux `enum bpf_attach_type`) ----
/// `expected_attach_type` of BPF_PROG_TYPE_TRACING programs: tp_btf, fentry, fexit.
pub const BPFDRV_TRACE_RAW_TP: u32 = 23;
pub const BPFDRV_TRACE_FENTRY: u32 = 24;
pub const BPFDRV_TRACE_FEXIT: u32 = 25;
/// `BPF_LINK_CREATE` of a program on a perf event fd.
pub const BPFDRV_ATTACH_PERF_EVENT: u32 = 41;
pub const BPFDRV_PERF_SAMPLE_RAW: u64 = 1 << 10;

// ---- bpf(2) commands (Linux `enum bpf_cmd`) ----
pub const BPFDRV_CMD_MAP_CREATE: u32 = 0;
pub const BPFDRV_CMD_MAP_LOOKUP_ELEM: u32 = 1;
pub const BPFDRV_CMD_MAP_UPDATE_ELEM: u32 = 2;
pub const BPFDRV_CMD_MAP_DELETE_ELEM: u32 = 3;
pub const BPFDRV_CMD_MAP_GET_NEXT_KEY: u32 = 4;
pub const BPFDRV_CMD_PROG_LOAD: u32 = 5;
pub const BPFDRV_CMD_OBJ_PIN: u32 = 6;
pub const BPFDRV_CMD_OBJ_GET: u32 = 7;
pub const BPFDRV_CMD_PROG_ATTACH: u32 = 8;
pub const BPFDRV_CMD_PROG_DETACH: u32 = 9;
pub const BPFDRV_CMD_PROG_TEST_RUN: u32 = 10;
pub const BPFDRV_CMD_PROG_GET_NEXT_ID: u32 = 11;
pub const BPFDRV_CMD_MAP_GET_NEXT_ID: u32 = 12;
pub const BPFDRV_CMD_PROG_GET_FD_BY_ID: u32 = 13;
pub const BPFDRV_CMD_MAP_GET_FD_BY_ID: u32 = 14;
pub const BPFDRV_CMD_OBJ_GET_INFO_BY_FD: u32 = 15;
pub const BPFDRV_CMD_PROG_QUERY: u32 = 16;
pub const BPFDRV_CMD_RAW_TRACEPOINT_OPEN: u32 = 17;
pub const BPFDRV_CMD_BTF_LOAD: u32 = 18;
pub const BPFDRV_CMD_BTF_GET_FD_BY_ID: u32 = 19;
pub const BPFDRV_CMD_TASK_FD_QUERY: u32 = 20;
pub const BPFDRV_CMD_MAP_LOOKUP_AND_DELETE_ELEM: u32 = 21;
pub const BPFDRV_CMD_MAP_FREEZE: u32 = 22;
pub const BPFDRV_CMD_BTF_GET_NEXT_ID: u32 = 23;
pub const BPFDRV_CMD_MAP_LOOKUP_BATCH: u32 = 24;
pub const BPFDRV_CMD_MAP_LOOKUP_AND_DELETE_BATCH: u32 = 25;
pub const BPFDRV_CMD_MAP_UPDATE_BATCH: u32 = 26;
pub const BPFDRV_CMD_MAP_DELETE_BATCH: u32 = 27;
pub const BPFDRV_CMD_LINK_CREATE: u32 = 28;
pub const BPFDRV_CMD_LINK_UPDATE: u32 = 29;
pub const BPFDRV_CMD_LINK_GET_FD_BY_ID: u32 = 30;
pub const BPFDRV_CMD_LINK_GET_NEXT_ID: u32 = 31;
pub const BPFDRV_CMD_ENABLE_STATS: u32 = 32;
pub const BPFDRV_CMD_ITER_CREATE: u32 = 33;
pub const BPFDRV_CMD_LINK_DETACH: u32 = 34;
pub const BPFDRV_CMD_PROG_BIND_MAP: u32 = 35;

/// `sizeof(union bpf_attr)` as the module knows it; larger attrs must be zero past it
/// (else `E2BIG`), exactly like the kernel's `bpf_check_uarg_tail_zero`.
pub const BPFDRV_ATTR_SIZE: u32 = 144;

// ---- map types (Linux `enum bpf_map_type`) ----
pub const BPFDRV_MAP_TYPE_HASH: u32 = 1;
pub const BPFDRV_MAP_TYPE_ARRAY: u32 = 2;
pub const BPFDRV_MAP_TYPE_PROG_ARRAY: u32 = 3;
pub const BPFDRV_MAP_TYPE_PERF_EVENT_ARRAY: u32 = 4;
pub const BPFDRV_MAP_TYPE_PERCPU_HASH: u32 = 5;
pub const BPFDRV_MAP_TYPE_PERCPU_ARRAY: u32 = 6;
pub const BPFDRV_MAP_TYPE_STACK_TRACE: u32 = 7;
pub const BPFDRV_MAP_TYPE_CGROUP_ARRAY: u32 = 8;
pub const BPFDRV_MAP_TYPE_LRU_HASH: u32 = 9;
pub const BPFDRV_MAP_TYPE_LRU_PERCPU_HASH: u32 = 10;
pub const BPFDRV_MAP_TYPE_LPM_TRIE: u32 = 11;
pub const BPFDRV_MAP_TYPE_ARRAY_OF_MAPS: u32 = 12;
pub const BPFDRV_MAP_TYPE_HASH_OF_MAPS: u32 = 13;
pub const BPFDRV_MAP_TYPE_QUEUE: u32 = 22;
pub const BPFDRV_MAP_TYPE_STACK: u32 = 23;
pub const BPFDRV_MAP_TYPE_RINGBUF: u32 = 27;
pub const BPFDRV_MAP_TYPE_BLOOM_FILTER: u32 = 30;
/// One past the highest map type number the module's dispatch table is sized for.
pub const BPFDRV_MAP_TYPE_MAX: u32 = 32;

// ---- map flags ----
pub const BPFDRV_F_NO_PREALLOC: u32 = 1 << 0;
/// LRU hash maps: one LRU list per CPU instead of a common one.
pub const BPFDRV_F_NO_COMMON_LRU: u32 = 1 << 1;
pub const BPFDRV_F_NUMA_NODE: u32 = 1 << 2;
pub const BPFDRV_F_RDONLY: u32 = 1 << 3;
pub const BPFDRV_F_WRONLY: u32 = 1 << 4;
/// Stack trace maps: values are `struct bpf_stack_build_id` (not supported).
pub const BPFDRV_F_STACK_BUILD_ID: u32 = 1 << 5;
pub const BPFDRV_F_ZERO_SEED: u32 = 1 << 6;
pub const BPFDRV_F_RDONLY_PROG: u32 = 1 << 7;
pub const BPFDRV_F_WRONLY_PROG: u32 = 1 << 8;
pub const BPFDRV_F_MMAPABLE: u32 = 1 << 10;
/// Perf event arrays: keep the entries when the map's files are closed.
pub const BPFDRV_F_PRESERVE_ELEMS: u32 = 1 << 11;

// ---- element update flags ----
pub const BPFDRV_ANY: u64 = 0;
pub const BPFDRV_NOEXIST: u64 = 1;
pub const BPFDRV_EXIST: u64 = 2;
pub const BPFDRV_F_LOCK: u64 = 4;

// ---- helper flag arguments (Linux `BPF_F_*` of the helpers' `flags`) ----
// The C header spells values in decimal without a suffix: a mask past bit 30 is a
// literal here, never a shift that would overflow `int` there.
/// bpf_get_stackid / bpf_get_stack: frames to skip.
pub const BPFDRV_F_SKIP_FIELD_MASK: u64 = 0xff;
/// bpf_get_stackid / bpf_get_stack: the user stack instead of the kernel's.
pub const BPFDRV_F_USER_STACK: u64 = 1 << 8;
/// bpf_get_stackid: compare the whole stack on a hash match.
pub const BPFDRV_F_FAST_STACK_CMP: u64 = 1 << 9;
/// bpf_get_stackid: replace the stack already in the bucket.
pub const BPFDRV_F_REUSE_STACKID: u64 = 1 << 10;
/// bpf_perf_event_output / bpf_perf_event_read: the array index; all ones is
/// `BPF_F_CURRENT_CPU`.
pub const BPFDRV_F_INDEX_MASK: u64 = 0xffff_ffff;
pub const BPFDRV_F_CURRENT_CPU: u64 = BPFDRV_F_INDEX_MASK;
/// bpf_perf_event_output on skb / xdp contexts: bytes of the packet to append.
pub const BPFDRV_F_CTXLEN_MASK: u64 = 0x000f_ffff_0000_0000;
/// bpf_ringbuf_output / submit / discard: wake-up policy.
pub const BPFDRV_RB_NO_WAKEUP: u64 = 1 << 0;
pub const BPFDRV_RB_FORCE_WAKEUP: u64 = 1 << 1;
/// bpf_ringbuf_query: what to report.
pub const BPFDRV_RB_AVAIL_DATA: u64 = 0;
pub const BPFDRV_RB_RING_SIZE: u64 = 1;
pub const BPFDRV_RB_CONS_POS: u64 = 2;
pub const BPFDRV_RB_PROD_POS: u64 = 3;

// ---- BPF ring buffer records (Linux `BPF_RINGBUF_*`) ----
/// Record header `len` bit: reserved, not yet submitted or discarded.
pub const BPFDRV_RINGBUF_BUSY_BIT: u32 = 0x8000_0000;
/// Record header `len` bit: discarded, the consumer skips it.
pub const BPFDRV_RINGBUF_DISCARD_BIT: u32 = 0x4000_0000;
/// Size of the record header (len, page offset).
pub const BPFDRV_RINGBUF_HDR_SZ: u32 = 8;

// ---- BPF_PROG_TEST_RUN flags ----
/// Run on `cpu` instead of the current CPU.
pub const BPFDRV_F_TEST_RUN_ON_CPU: u32 = 1 << 0;
/// Socket filter test runs: give the skb CHECKSUM_COMPLETE.
pub const BPFDRV_F_TEST_SKB_CHECKSUM_COMPLETE: u32 = 1 << 2;

// ---- program types (Linux `enum bpf_prog_type`) ----
pub const BPFDRV_PROG_TYPE_SOCKET_FILTER: u32 = 1;
pub const BPFDRV_PROG_TYPE_KPROBE: u32 = 2;
pub const BPFDRV_PROG_TYPE_TRACEPOINT: u32 = 5;
pub const BPFDRV_PROG_TYPE_PERF_EVENT: u32 = 7;
pub const BPFDRV_PROG_TYPE_RAW_TRACEPOINT: u32 = 17;
pub const BPFDRV_PROG_TYPE_TRACING: u32 = 26;
pub const BPFDRV_PROG_TYPE_MAX: u32 = 32;

// ---- instruction-level pseudo sources (Linux `BPF_PSEUDO_*`) ----
pub const BPFDRV_PSEUDO_MAP_FD: u8 = 1;
pub const BPFDRV_PSEUDO_MAP_VALUE: u8 = 2;
pub const BPFDRV_PSEUDO_BTF_ID: u8 = 3;
pub const BPFDRV_PSEUDO_FUNC: u8 = 4;
pub const BPFDRV_PSEUDO_MAP_IDX: u8 = 5;
pub const BPFDRV_PSEUDO_MAP_IDX_VALUE: u8 = 6;
pub const BPFDRV_PSEUDO_CALL: u8 = 1;
pub const BPFDRV_PSEUDO_KFUNC_CALL: u8 = 2;

/// The kernel-internal errno (`ENOTSUPP`, not libc's `ENOTSUP`) some bpf(2) commands return
/// for a combination they do not implement; user space sees it as errno 524.
pub const BPFDRV_ENOTSUPP: i32 = 524;

/// Largest program the module accepts, in instructions (Linux's BPF_COMPLEXITY_LIMIT_INSNS).
pub const BPFDRV_MAX_INSNS: u32 = 1_000_000;

/// `BPF_MAP_CREATE` attr (Linux 6.1 layout).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_map_create_attr {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub inner_map_fd: u32,
    pub numa_node: u32,
    pub map_name: [u8; 16],
    pub map_ifindex: u32,
    pub btf_fd: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub map_extra: u64,
}

/// `BPF_MAP_*_ELEM`, `BPF_MAP_GET_NEXT_KEY` and `BPF_MAP_FREEZE` attr.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_map_elem_attr {
    pub map_fd: u32,
    pub pad: u32,
    pub key: u64,
    /// `value`, or `next_key` for GET_NEXT_KEY.
    pub value: u64,
    pub flags: u64,
}

/// `BPF_MAP_LOOKUP_BATCH`, `LOOKUP_AND_DELETE_BATCH`, `UPDATE_BATCH`, `DELETE_BATCH`
/// attr (Linux's `batch`). `count` is in/out; `in_batch`/`out_batch` point at a u32
/// position token.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_map_batch_attr {
    pub in_batch: u64,
    pub out_batch: u64,
    pub keys: u64,
    pub values: u64,
    pub count: u32,
    pub map_fd: u32,
    pub elem_flags: u64,
    pub flags: u64,
}

/// `BPF_PROG_TEST_RUN` attr (Linux's `test`). retval, data_size_out, ctx_size_out
/// and duration are written back.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_test_run_attr {
    pub prog_fd: u32,
    pub retval: u32,
    pub data_size_in: u32,
    pub data_size_out: u32,
    pub data_in: u64,
    pub data_out: u64,
    pub repeat: u32,
    pub duration: u32,
    pub ctx_size_in: u32,
    pub ctx_size_out: u32,
    pub ctx_in: u64,
    pub ctx_out: u64,
    pub flags: u32,
    pub cpu: u32,
    pub batch_size: u32,
}

/// `BPF_PROG_LOAD` attr (Linux 6.1 layout).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_prog_load_attr {
    pub prog_type: u32,
    pub insn_cnt: u32,
    pub insns: u64,
    pub license: u64,
    pub log_level: u32,
    pub log_size: u32,
    pub log_buf: u64,
    pub kern_version: u32,
    pub prog_flags: u32,
    pub prog_name: [u8; 16],
    pub prog_ifindex: u32,
    pub expected_attach_type: u32,
    pub prog_btf_fd: u32,
    pub func_info_rec_size: u32,
    pub func_info: u64,
    pub func_info_cnt: u32,
    pub line_info_rec_size: u32,
    pub line_info: u64,
    pub line_info_cnt: u32,
    pub attach_btf_id: u32,
    pub attach_prog_fd: u32,
    pub core_relo_cnt: u32,
    pub fd_array: u64,
    pub core_relos: u64,
    pub core_relo_rec_size: u32,
    pub log_true_size: u32,
}

/// `struct btf_header::magic`.
pub const BPFDRV_BTF_MAGIC: u16 = 0xeb9f;

/// `BPF_BTF_LOAD` attr.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_btf_load_attr {
    pub btf: u64,
    pub btf_log_buf: u64,
    pub btf_size: u32,
    pub btf_log_size: u32,
    pub btf_log_level: u32,
    pub btf_log_true_size: u32,
}

/// `BPF_LINK_CREATE` attr, the part shared by all attach types plus the
/// perf-event member of its union.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_link_create_attr {
    pub prog_fd: u32,
    pub target_fd: u32,
    pub attach_type: u32,
    pub flags: u32,
    pub bpf_cookie: u64,
}

/// `BPF_RAW_TRACEPOINT_OPEN` attr.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_raw_tp_open_attr {
    /// User pointer to the tracepoint name (NUL-terminated).
    pub name: u64,
    pub prog_fd: u32,
}

/// `BPF_LINK_UPDATE` attr.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_link_update_attr {
    pub link_fd: u32,
    pub new_prog_fd: u32,
    pub flags: u32,
    pub old_prog_fd: u32,
}

/// `BPF_LINK_DETACH` attr.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_link_detach_attr {
    pub link_fd: u32,
}

/// `BPF_F_REPLACE` for `BPF_LINK_UPDATE`.
pub const BPFDRV_F_REPLACE: u32 = 1 << 2;

/// `BPF_ENABLE_STATS` attr: the fd it returns measures programs' run time while open.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_enable_stats_attr {
    pub type_: u32,
}

/// `BPF_STATS_RUN_TIME`, the only `bpfdrv_enable_stats_attr::type_`.
pub const BPFDRV_STATS_RUN_TIME: u32 = 0;

/// `BPF_PROG_BIND_MAP` attr.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_prog_bind_map_attr {
    pub prog_fd: u32,
    pub map_fd: u32,
    pub flags: u32,
}

/// `BPF_OBJ_GET_INFO_BY_FD` attr. The module writes `info_len` back (bytes filled).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_info_attr {
    pub bpf_fd: u32,
    pub info_len: u32,
    pub info: u64,
}

/// Linux's `struct bpf_map_info` (6.1 layout): what `BPF_OBJ_GET_INFO_BY_FD` fills for
/// a map fd (libbpf's ring buffer reader needs `type` and `max_entries`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_map_info {
    pub type_: u32,
    pub id: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub name: [u8; 16],
    pub ifindex: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub netns_dev: u64,
    pub netns_ino: u64,
    pub btf_id: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub pad: u32,
    pub map_extra: u64,
}

/// `BPF_OBJ_PIN` / `BPF_OBJ_GET` attr (`bpf_fd` is 0 for OBJ_GET).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_obj_pin_attr {
    pub pathname: u64,
    pub bpf_fd: u32,
    pub file_flags: u32,
}

/// Drop the pin at `pathname` (user pointer): what unlink(2) of a bpffs file does. Old
/// kernels have no bpffs, so pins live in the module and the hook sends unlinks of
/// `/sys/fs/bpf/...` here (since protocol 3; older modules answer ENOTTY).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_unpin_req {
    pub size: u32,
    pub reserved: u32,
    pub pathname: u64,
}

/// `BPF_*_GET_NEXT_ID` and `BPF_*_GET_FD_BY_ID` attr: `id` is start_id / prog_id /
/// map_id / btf_id / link_id (one union member in Linux).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_get_id_attr {
    pub id: u32,
    pub next_id: u32,
    pub open_flags: u32,
}

/// Linux's `struct bpf_prog_info` (6.1 layout). `gpl_compatible` is bit 0 of `flags`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_prog_info {
    pub type_: u32,
    pub id: u32,
    pub tag: [u8; 8],
    pub jited_prog_len: u32,
    pub xlated_prog_len: u32,
    pub jited_prog_insns: u64,
    pub xlated_prog_insns: u64,
    pub load_time: u64,
    pub created_by_uid: u32,
    pub nr_map_ids: u32,
    pub map_ids: u64,
    pub name: [u8; 16],
    pub ifindex: u32,
    pub flags: u32,
    pub netns_dev: u64,
    pub netns_ino: u64,
    pub nr_jited_ksyms: u32,
    pub nr_jited_func_lens: u32,
    pub jited_ksyms: u64,
    pub jited_func_lens: u64,
    pub btf_id: u32,
    pub func_info_rec_size: u32,
    pub func_info: u64,
    pub nr_func_info: u32,
    pub nr_line_info: u32,
    pub line_info: u64,
    pub jited_line_info: u64,
    pub nr_jited_line_info: u32,
    pub line_info_rec_size: u32,
    pub jited_line_info_rec_size: u32,
    pub nr_prog_tags: u32,
    pub prog_tags: u64,
    pub run_time_ns: u64,
    pub run_cnt: u64,
    pub recursion_misses: u64,
    pub verified_insns: u32,
    pub attach_btf_obj_id: u32,
    pub attach_btf_id: u32,
    pub pad: u32,
}

/// Linux's `struct bpf_btf_info` (6.1 layout).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_btf_info {
    pub btf: u64,
    pub btf_size: u32,
    pub id: u32,
    pub name: u64,
    pub name_len: u32,
    pub kernel_btf: u32,
}

/// Linux's `struct bpf_link_info` (6.1 layout): type, id, prog_id and the per-type
/// union (raw_tracepoint: tp_name pointer + length; tracing: attach_type,
/// target_obj_id, target_btf_id), 32 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct bpfdrv_link_info {
    pub type_: u32,
    pub id: u32,
    pub prog_id: u32,
    pub pad: u32,
    pub u: [u64; 4],
}

// ---- link types (Linux `enum bpf_link_type`, `bpfdrv_link_info::type_`) ----
pub const BPFDRV_LINK_TYPE_RAW_TRACEPOINT: u32 = 1;
pub const BPFDRV_LINK_TYPE_TRACING: u32 = 2;
pub const BPFDRV_LINK_TYPE_PERF_EVENT: u32 = 7;

// ---- synthetic syscall tracepoints ----
/// Tracepoint ids the module serves itself: syscalls:sys_enter_<name> /
/// sys_exit_<name> of syscalls the running kernel has no tracepoint for (3.10 x86_64:
/// execve, clone, fork, vfork, rt_sigreturn, iopl, ...), and sock:inet_sock_set_state
/// (4.16+). Published in debugfs as `bpfdrv/events/<category>/<event>/{id,format}`; a
/// syscall event's id is `BPFDRV_SYNTH_TP_ID_BASE + 2 * syscall_nr + is_exit`,
/// inet_sock_set_state's [`BPFDRV_SYNTH_TP_ID_SOCK_SET_STATE`]. Kernel trace event ids are
/// 16-bit (`struct trace_entry::type`), so the range never collides with a real one:
/// `perf_event_open(PERF_TYPE_TRACEPOINT)` with a config in
/// [`BPFDRV_SYNTH_TP_ID_BASE`, `BPFDRV_SYNTH_TP_ID_END`) goes to the synthetic event,
/// any other config to the kernel's tracepoint.
pub const BPFDRV_SYNTH_TP_ID_BASE: u32 = 0x1000_0000;
pub const BPFDRV_SYNTH_TP_ID_END: u32 = 0x1001_0000;
/// The synthetic sock:inet_sock_set_state (above every syscall event's id).
pub const BPFDRV_SYNTH_TP_ID_SOCK_SET_STATE: u32 = BPFDRV_SYNTH_TP_ID_BASE + 0x8000;

/// A BPF instruction, Linux's `struct bpf_insn` (`regs` = dst_reg | src_reg << 4).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bpfdrv_insn {
    pub code: u8,
    pub regs: u8,
    pub off: i16,
    pub imm: i32,
}

const _: () = {
    use core::mem::size_of;
    assert!(size_of::<bpfdrv_hello>() == 16);
    assert!(size_of::<bpfdrv_bpf_req>() == 24);
    assert!(size_of::<bpfdrv_perf_open_req>() == 40);
    assert!(size_of::<bpfdrv_prog_load_btf_req>() == 152);
    assert!(size_of::<bpfdrv_raw_tp_open_attr>() == 16);
    assert!(size_of::<bpfdrv_link_update_attr>() == 16);
    assert!(size_of::<bpfdrv_link_detach_attr>() == 4);
    assert!(size_of::<bpfdrv_perf_event_attr>() == 72);
    assert!(size_of::<bpfdrv_map_create_attr>() == 72);
    assert!(size_of::<bpfdrv_prog_info>() == 232);
    assert!(size_of::<bpfdrv_link_info>() == 48);
    assert!(size_of::<bpfdrv_btf_info>() == 32);
    assert!(size_of::<bpfdrv_map_info>() == 88);
    assert!(size_of::<bpfdrv_get_id_attr>() == 12);
    assert!(size_of::<bpfdrv_obj_pin_attr>() == 16);
    assert!(size_of::<bpfdrv_unpin_req>() == 16);
    assert!(size_of::<bpfdrv_map_elem_attr>() == 32);
    assert!(size_of::<bpfdrv_map_batch_attr>() == 56);
    assert!(size_of::<bpfdrv_test_run_attr>() == 80);
    assert!(size_of::<bpfdrv_prog_load_attr>() == 144);
    assert!(size_of::<bpfdrv_btf_load_attr>() == 32);
    assert!(size_of::<bpfdrv_link_create_attr>() == 24);
    assert!(size_of::<bpfdrv_insn>() == 8);
    assert!(size_of::<bpfdrv_info_attr>() == 16);
    assert!(size_of::<bpfdrv_map_info>() == 88);
    assert!(size_of::<bpfdrv_prog_load_attr>() as u32 <= BPFDRV_ATTR_SIZE);
};

/// Linux's `_IOC(dir, type, nr, size)` for x86 (used by tests to check the literal
/// ioctl numbers above, which cbindgen must see as plain expressions).
pub const fn ioc(dir: u32, ty: u32, nr: u32, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | (ty << 8) | nr
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::size_of;

    #[test]
    fn ioctl_numbers_encode_their_request_sizes() {
        assert_eq!(BPFDRV_IOC_HELLO, ioc(3, BPFDRV_IOC_MAGIC, 1, size_of::<bpfdrv_hello>()));
        assert_eq!(BPFDRV_IOC_BPF, ioc(3, BPFDRV_IOC_MAGIC, 2, size_of::<bpfdrv_bpf_req>()));
        assert_eq!(BPFDRV_IOC_PERF_OPEN, ioc(3, BPFDRV_IOC_MAGIC, 3, size_of::<bpfdrv_perf_open_req>()));
        assert_eq!(BPFDRV_IOC_PROG_LOAD_BTF, ioc(3, BPFDRV_IOC_MAGIC, 4, size_of::<bpfdrv_prog_load_btf_req>()));
        assert_eq!(BPFDRV_IOC_UNPIN, ioc(3, BPFDRV_IOC_MAGIC, 5, size_of::<bpfdrv_unpin_req>()));
    }
}
