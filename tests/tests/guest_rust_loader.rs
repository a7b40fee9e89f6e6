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
use std::path::Path;

fn boot(name: &str, kernel: &Kernel, bin: &Path) -> GuestRun {
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

/// The tool natively on `stock` and under the hook on `nobpf`: the same output.
fn assert_matches_native(suffix: &str, stock: &Kernel, nobpf: &Kernel) {
    let bin = guest::workspace_binary("bpfcompat-rust-loader", "rust-loader");
    let native = boot(&format!("rust_loader_stock{suffix}"), stock, &bin);
    let shim = boot(&format!("rust_loader_shim{suffix}"), nobpf, &bin);
    assert_same_output(&native, &shim);
}

#[test]
fn libbpf_rs_tool_matches_native_ebpf() {
    assert_matches_native("", &require!(guest::stock_kernel()), &require!(guest::nobpf_kernel()));
}

#[test]
fn libbpf_rs_tool_on_6_12_matches_native_ebpf() {
    assert_matches_native("_612", &require!(guest::stock_kernel_612()), &require!(guest::nobpf_kernel_612()));
}
