//! What libbpfhook.so does for an unmodified eBPF tool on a kernel without bpf(2): its
//! bpf() and perf_event_open() calls go to the bpfdrv kernel module. The interposed C
//! symbols are in `preload/` (the library itself); `bpfhook run`'s launcher serves
//! tools that LD_PRELOAD cannot reach with the same functions.
//!
//! Modules:
//! - [`real`]: the real libc functions (dlsym RTLD_NEXT), used for every pass-through.
//! - [`mode`]: native pass-through or driver (`BPFHOOK_MODE`), once per process.
//! - [`mode_rule`]: which mode `BPFHOOK_MODE` and the kernel's own bpf() give (shared
//!   with `bpfhook doctor`).
//! - [`driver`]: /dev/bpfdrv, opened and handshaken once per process.
//! - [`bpf`]: bpf() commands forwarded to the driver.
//! - [`perf`]: perf_event_open() routing.
//! - [`paths`]: /sys/kernel/btf/vmlinux redirection (the BTF served there: [`btf_extra`],
//!   [`btf_alias`]).
//! - [`tracepoints`]: missing syscall tracepoints pointed at the module's synthetic ones
//!   (their BTF records: [`btf_synth_tp`]).
//! - [`filter_functions`]: `available_filter_functions` from kallsyms where the kernel
//!   has no function tracer.
//! - [`tracing`]: `BPF_PROG_LOAD` of fentry / fexit / tp_btf programs, their target
//!   resolved in the served BTF.
//! - [`pin`]: pins where no bpffs is mounted: `/sys/fs/bpf` made to look like one.
//! - [`user_mem`]: the caller's memory, read and written with EFAULT instead of SIGSEGV.
//! - [`logging`]: `bpfhook:` lines on stderr (`BPFHOOK_LOG`).

pub mod bpf;
pub use bpfcompat_btf as btf;
pub mod btf_alias;
pub mod btf_extra;
pub use bpfcompat_btf::norm as btf_norm;
#[cfg(test)]
mod btf_rhel_shape;
pub mod btf_synth_tp;
pub mod driver;
pub mod filter_functions;
pub mod logging;
pub mod mode;
pub mod mode_rule;
pub mod paths;
pub mod perf;
pub mod pin;
pub mod real;
pub mod tracepoints;
pub mod tracing;
pub mod user_mem;
