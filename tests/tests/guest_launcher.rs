//! `bpfhook run`'s launcher (seccomp + ptrace) serving programs LD_PRELOAD cannot reach,
//! each run natively on the stock kernel (the oracle) and through `bpfhook run` on the
//! kernels without bpf(2); the transcripts must be equal, and the module must unload
//! afterwards (no reference left behind by the traced process):
//!
//! - `tests/guest/static_bpf.c`, linked statically against musl, calls bpf() and
//!   perf_event_open() itself: maps from two threads, a tracepoint program counting its
//!   getppid calls, a forked child using an inherited map fd, bad-pointer and
//!   unknown-command errnos, the kernel BTF at /sys/kernel/btf/vmlinux (the kernel's own
//!   natively, the offline file the hook serves under the launcher), pins made, found and
//!   removed with unlink / unlinkat under /sys/fs/bpf (bpffs natively, the driver's pins
//!   behind the emulated directory under the launcher);
//! - `tests/guest/static_libbpf.c`, a libbpf tool linked with `gcc -static` against
//!   Debian's libbpf.a: the bpftool skeleton of the CO-RE probe.bpf.c that the Rust and Go
//!   loaders load too (kprobe, tracepoint, hash map, ring buffer, .rodata, mmapped .bss).
//!
//!     cargo test --release -p bpfcompat-tests --test guest_launcher

use bpfcompat_tests::guest::{self, BpfSide, Guest, GuestRun, Kernel, Skip, StaticLibc};
use bpfcompat_tests::require;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A static program, how the guest runs it, and what its native transcript must hold.
struct StaticTool {
    /// Names the guests' serial logs.
    name: &'static str,
    bin: PathBuf,
    /// Shell lines that set `$args` for the guest's kernel.
    args: &'static str,
    facts: &'static [&'static str],
    /// The stock kernel's transcript, booted once for every comparison.
    native: &'static OnceLock<Vec<String>>,
}

fn musl_bpf_program() -> Result<StaticTool, Skip> {
    static NATIVE: OnceLock<Vec<String>> = OnceLock::new();
    Ok(StaticTool {
        name: "launcher",
        bin: guest::guest_static_c_program("static_bpf.c", StaticLibc::Musl)?,
        args: "for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
    [ -e $d/events/syscalls/sys_enter_getppid/id ] && args=$d/events/syscalls/sys_enter_getppid/id
done",
        facts: &[
            "lookup: 0 value 42",
            "thread: walked 5 keys",
            "enable: 0",
            "getppid calls counted: 10",
            "child's update: exit 0, value 7",
            "kernel btf: access 0, stat 0 (a file)",
            "kernel btf: magic 0xeb9f",
            "bpffs: statfs 0, BPF_FS_MAGIC",
            "pin 0: ok, stat 0",
            "pinned map: ok, value 42",
            "unlinkat: 0",
            "unlink: 0",
            "after unpin 1: No such file or directory",
        ],
        native: &NATIVE,
    })
}

fn static_libbpf_tool() -> Result<StaticTool, Skip> {
    static NATIVE: OnceLock<Vec<String>> = OnceLock::new();
    Ok(StaticTool {
        name: "static_libbpf",
        bin: guest::static_libbpf_tool()?,
        args: r#"args=__x64_sys_getppid; grep -q " $args$" /proc/kallsyms || args=sys_getppid"#,
        facts: guest::GETPPID_PROBE_FACTS,
        native: &NATIVE,
    })
}

fn boot(name: &str, kernel: &Kernel, tool: &StaticTool) -> GuestRun {
    let BpfSide { setup, teardown, .. } = kernel.bpf_side();
    // The launcher instead of LD_PRELOAD: bpfhook run sees a static binary and traces it.
    // Natively, pins need bpffs, as a distribution's boot mounts it.
    let (prefix, bpffs) = if kernel.native_bpf { ("", "mount -t bpf bpf /sys/fs/bpf") } else { ("bpfhook run -- ", "") };
    let args = tool.args;
    let body = format!(
        r#". /bpfcompat/lib.sh
{setup}
{bpffs}
{args}
{prefix}/bpfcompat/static-tool $args >/tmp/out.txt 2>/tmp/err.txt; result exit $?
show output /tmp/out.txt
show stderr /tmp/err.txt
{teardown}
"#
    );
    let mut g = Guest::new(name, kernel).binary_at(&tool.bin, "/bpfcompat/static-tool").serving_bpf();
    if !kernel.native_bpf {
        g = g.binary_at(guest::bpfhook_cli_for(kernel), "/usr/bin/bpfhook");
    }
    let run = g.body(&body).boot();
    run.assert_completed();
    run.assert_value("exit", "0", &format!("{name}: {}'s exit status", tool.bin.display()));
    run.assert_module_cycle(kernel);
    run.assert_kernel_clean();
    run
}

/// `tool` through `bpfhook run` on `nobpf`: the same transcript as natively.
fn assert_matches_native(tool: &StaticTool, suffix: &str, nobpf: &Kernel) {
    let want = tool.native.get_or_init(|| {
        let kernel = guest::stock_kernel().unwrap_or_else(|s| panic!("the oracle needs the stock kernel: {}", s.0));
        boot(&format!("{}_stock", tool.name), &kernel, tool).oracle_lines("output", tool.facts)
    });
    let name = format!("{}_{suffix}", tool.name);
    let shim = boot(&name, nobpf, tool);
    shim.assert_same_lines("output", want, &format!("{} under bpfhook run on {name}", tool.bin.display()));
}

#[test]
fn static_program_matches_native_ebpf() {
    let tool = require!(musl_bpf_program());
    require!(guest::stock_kernel());
    assert_matches_native(&tool, "shim", &require!(guest::nobpf_kernel()));
}

#[test]
fn static_program_on_centos7_matches_native_ebpf() {
    let tool = require!(musl_bpf_program());
    require!(guest::stock_kernel());
    assert_matches_native(&tool, "centos7", &require!(guest::centos7_kernel()));
}

#[test]
fn static_libbpf_tool_matches_native_ebpf() {
    let tool = require!(static_libbpf_tool());
    require!(guest::stock_kernel());
    assert_matches_native(&tool, "shim", &require!(guest::nobpf_kernel()));
}

#[test]
fn static_libbpf_tool_on_centos7_matches_native_ebpf() {
    let tool = require!(static_libbpf_tool());
    require!(guest::stock_kernel());
    assert_matches_native(&tool, "centos7", &require!(guest::centos7_kernel()));
}
