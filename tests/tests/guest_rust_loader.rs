//! A Rust tool built with libbpf-rs (crates.io) and its libbpf-cargo CO-RE skeleton
//! (`tests/rust-loader`): kprobe and tracepoint on getppid, a hash map, a ring buffer,
//! `.rodata` set before the load, `.bss` read back. It runs natively on the stock kernel
//! (the oracle) and under the hook on the no-bpf kernel, 6.1 and 6.12 each; the outputs
//! must be the same line for line. libbpf-rs vendors a newer libbpf (1.7) than Debian's
//! libbpf-tools (1.1), with the feature probes a current libbpf makes.
//!
//!     cargo test -p bpfcompat-tests --test guest_rust_loader

use bpfcompat_tests::guest::{self, BpfSide, Guest, GuestRun, Kernel};
use bpfcompat_tests::require;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// `target/release/rust-loader`, built by `cargo build --release -p bpfcompat-rust-loader`
/// (a no-op when the workspace build made it already). Panics with cargo's output on failure.
fn loader() -> PathBuf {
    static L: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    L.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(guest::repo_root())
            .args(["build", "--release", "-p", "bpfcompat-rust-loader"])
            .output()
            .map_err(|e| format!("run cargo: {e}"))?;
        if !out.status.success() {
            return Err(format!("building rust-loader failed:\n{}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(guest::repo_root().join("target/release/rust-loader"))
    })
    .clone()
    .unwrap_or_else(|e| panic!("{e}"))
}

fn boot(name: &str, kernel: &Kernel, bin: &PathBuf) -> GuestRun {
    let BpfSide { setup, prefix, teardown } = kernel.bpf_side();
    let body = format!(
        r#". /bpfcompat/lib.sh
{setup}
{prefix}/bpfcompat/rust-loader >/tmp/out.txt 2>/tmp/err.txt; result exit $?
show output /tmp/out.txt
show stderr /tmp/err.txt
{teardown}
"#
    );
    let run = Guest::new(name, kernel).binary_at(bin, "/bpfcompat/rust-loader").serving_bpf().body(&body).boot();
    run.assert_completed();
    run.assert_value("exit", "0", &format!("{name}: rust-loader exit status"));
    run.assert_module_cycle(kernel);
    run.assert_kernel_clean();
    run
}

/// The native run's lines and the hooked run's must be equal, and say what the program
/// must have seen: every getppid call once through each probe.
fn assert_same_output(native: &GuestRun, shim: &GuestRun) {
    let lines = |r: &GuestRun| r.expect_section("output").lines().map(str::to_string).collect::<Vec<_>>();
    let (want, got) = (lines(native), lines(shim));
    for fact in [
        "attached",
        "ringbuf kprobe events=50",
        "ringbuf tracepoint events=50",
        "map counts[kprobe]=50",
        "map counts[tracepoint]=50",
        "bss seq=100",
        "done",
    ] {
        if !want.iter().any(|l| l == fact) {
            native.fail(format!("the native run lacks `{fact}`: the oracle itself is broken"));
        }
    }
    if want != got {
        shim.fail(format!("rust-loader under the hook differs from native eBPF:\n  native: {want:?}\n  shim:   {got:?}"));
    }
    println!("rust-loader: {} lines identical to native eBPF on {}", want.len(), native.name);
}

#[test]
fn libbpf_rs_tool_matches_native_ebpf() {
    let stock = require!(guest::stock_kernel());
    let nobpf = require!(guest::nobpf_kernel());
    let bin = loader();
    let native = boot("rust_loader_stock", &stock, &bin);
    let shim = boot("rust_loader_shim", &nobpf, &bin);
    assert_same_output(&native, &shim);
}

#[test]
fn libbpf_rs_tool_on_6_12_matches_native_ebpf() {
    let stock = require!(guest::stock_kernel_612());
    let nobpf = require!(guest::nobpf_kernel_612());
    let bin = loader();
    let native = boot("rust_loader_stock_612", &stock, &bin);
    let shim = boot("rust_loader_shim_612", &nobpf, &bin);
    assert_same_output(&native, &shim);
}
