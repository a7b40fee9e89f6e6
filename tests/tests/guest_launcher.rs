//! `bpfhook run`'s launcher (seccomp + ptrace) serving a program LD_PRELOAD cannot reach:
//! `tests/guest/static_bpf.c`, linked statically against musl, calls bpf() and
//! perf_event_open() itself (maps from two threads, a tracepoint program counting its
//! getppid calls, a forked child using an inherited map fd, bad-pointer and
//! unknown-command errnos, the kernel BTF at /sys/kernel/btf/vmlinux: the kernel's own
//! natively, the offline file the hook serves under the launcher). It runs natively on the stock kernel (the oracle) and through
//! `bpfhook run` on the kernels without bpf(2); the transcripts must be equal, and the
//! module must unload afterwards (no reference left behind by the traced process).
//!
//!     cargo test --release -p bpfcompat-tests --test guest_launcher

use bpfcompat_tests::guest::{self, BpfSide, Guest, GuestRun, Kernel, StaticLibc};
use bpfcompat_tests::require;
use std::path::Path;
use std::sync::OnceLock;

fn boot(name: &str, kernel: &Kernel, bin: &Path) -> GuestRun {
    let BpfSide { setup, teardown, .. } = kernel.bpf_side();
    // The launcher instead of LD_PRELOAD: bpfhook run sees a static binary and traces it.
    let prefix = if kernel.native_bpf { "" } else { "bpfhook run -- " };
    let body = format!(
        r#". /bpfcompat/lib.sh
{setup}
for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
    [ -e $d/events/syscalls/sys_enter_getppid/id ] && id=$d/events/syscalls/sys_enter_getppid/id
done
{prefix}/bpfcompat/static_bpf $id >/tmp/out.txt 2>/tmp/err.txt; result exit $?
show output /tmp/out.txt
show stderr /tmp/err.txt
{teardown}
"#
    );
    let mut g = Guest::new(name, kernel).binary_at(bin, "/bpfcompat/static_bpf").serving_bpf();
    if !kernel.native_bpf {
        g = g.binary_at(guest::bpfhook_cli_for(kernel), "/usr/bin/bpfhook");
    }
    let run = g.body(&body).boot();
    run.assert_completed();
    run.assert_value("exit", "0", &format!("{name}: static_bpf's exit status"));
    run.assert_module_cycle(kernel);
    run.assert_kernel_clean();
    run
}

/// The stock kernel's transcript, booted once for every comparison.
fn native_lines(bin: &Path) -> &'static [String] {
    static NATIVE: OnceLock<Vec<String>> = OnceLock::new();
    NATIVE.get_or_init(|| {
        let kernel = guest::stock_kernel().unwrap_or_else(|s| panic!("the oracle needs the stock kernel: {}", s.0));
        let native = boot("launcher_stock", &kernel, bin);
        native.oracle_lines(
            "output",
            &[
                "lookup: 0 value 42",
                "thread: walked 5 keys",
                "enable: 0",
                "getppid calls counted: 10",
                "child's update: exit 0, value 7",
                "kernel btf: access 0, stat 0 (a file)",
                "kernel btf: magic 0xeb9f",
            ],
        )
    })
}

/// static_bpf through `bpfhook run` on `nobpf`: the same transcript as natively.
fn assert_matches_native(name: &str, nobpf: &Kernel) {
    let bin = guest::guest_static_c_program("static_bpf.c", StaticLibc::Musl).unwrap_or_else(|s| panic!("{}", s.0));
    let want = native_lines(&bin);
    let shim = boot(name, nobpf, &bin);
    shim.assert_same_lines("output", want, &format!("static_bpf under bpfhook run on {name}"));
}

#[test]
fn static_program_matches_native_ebpf() {
    require!(guest::need_tool("musl-gcc", "musl-tools"));
    require!(guest::stock_kernel());
    assert_matches_native("launcher_shim", &require!(guest::nobpf_kernel()));
}

#[test]
fn static_program_on_centos7_matches_native_ebpf() {
    require!(guest::need_tool("musl-gcc", "musl-tools"));
    require!(guest::stock_kernel());
    assert_matches_native("launcher_centos7", &require!(guest::centos7_kernel()));
}
