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

/// The tool natively on `stock` and under the hook on `nobpf`: the same output.
fn assert_matches_native(suffix: &str, stock: &Kernel, nobpf: &Kernel) {
    let bin = guest::workspace_binary("bpfcompat-rust-loader", "rust-loader");
    let native = boot(&format!("rust_loader_stock{suffix}"), stock, &bin);
    let shim = boot(&format!("rust_loader_shim{suffix}"), nobpf, &bin);
    let want = native.oracle_lines("output", guest::GETPPID_PROBE_FACTS);
    shim.assert_same_lines("output", &want, &format!("rust-loader under the hook on {}", shim.name));
}

#[test]
fn libbpf_rs_tool_matches_native_ebpf() {
    assert_matches_native("", &require!(guest::stock_kernel()), &require!(guest::nobpf_kernel()));
}

#[test]
fn libbpf_rs_tool_on_6_12_matches_native_ebpf() {
    assert_matches_native("_612", &require!(guest::stock_kernel_612()), &require!(guest::nobpf_kernel_612()));
}
