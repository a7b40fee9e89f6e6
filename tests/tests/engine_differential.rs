//! Differential test against the host kernel's own eBPF: every conformance
//! vector the host verifier accepts is run natively with BPF_PROG_TEST_RUN and
//! through the portable engine; the results must agree.
//!
//! - vectors without input memory: BPF_PROG_TYPE_SOCKET_FILTER, data_in = a
//!   64-byte zero packet (r1 is the skb the program does not touch);
//! - vectors with input memory of 8..96 bytes, a multiple of 8: raw
//!   tracepoint programs, ctx_in = the memory (Linux lets raw_tp read its u64
//!   args; the verifier decides which accesses are allowed).
//!
//! BPF_PROG_TEST_RUN reports retval as u32, so the low 32 bits are compared.
//! Skipped with the reason when the host does not allow bpf() (not root,
//! unprivileged_bpf_disabled, seccomp, no BPF_SYSCALL).

use bpfcompat_tests::engine as engine_common;

use bpfcompat_tests::native::{self, NativeProg};
use engine_common::*;
use std::path::PathBuf;

const SOCKET_FILTER: u32 = native::BPF_PROG_TYPE_SOCKET_FILTER;
const RAW_TRACEPOINT: u32 = native::BPF_PROG_TYPE_RAW_TRACEPOINT;

unsafe extern "C" fn ktime_get_ns(_: *mut Run, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts);
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[test]
fn host_kernel_agrees_with_engine() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance"));
    let Ok(text) = std::fs::read_to_string(dir.join("vectors.jsonl")) else {
        println!("SKIPPED: shared/conformance not found beside the repository");
        return;
    };
    if let Err(why) = native::available() {
        println!("SKIPPED: {why}");
        return;
    }
    let mut scratch = Scratch::new();
    let (mut agreed, mut host_rejected, mut failures) = (0, 0, Vec::new());
    let mut by_type = [0u32; 2];
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let name = v["name"].as_str().unwrap();
        let code = hex::decode(v["insns"].as_str().unwrap()).unwrap();
        let mem = hex::decode(v["mem"].as_str().unwrap_or("")).unwrap();
        let (ptype, data, ctx): (u32, Vec<u8>, Vec<u8>) = if mem.is_empty() {
            (SOCKET_FILTER, vec![0u8; 64], vec![])
        } else if mem.len().is_multiple_of(8) && mem.len() <= 96 {
            (RAW_TRACEPOINT, vec![], mem.clone())
        } else {
            continue;
        };
        let Ok(host) = NativeProg::load(ptype, &code) else {
            host_rejected += 1;
            continue;
        };
        let native = match host.test_run(&data, &ctx, 0) {
            Ok(r) => r.retval,
            Err(e) => {
                failures.push(format!("{name}: host loaded it but BPF_PROG_TEST_RUN failed: errno {e}"));
                continue;
            }
        };
        let mut prog = Program::new(insns_from_hex(v["insns"].as_str().unwrap()));
        // Linux's helper 5 for both program types (call_unwind_fail calls it).
        prog.helper(5, "ktime_get_ns", ktime_get_ns, RET_INTEGER, [0; 5]);
        let (rc, log) = prog.check();
        if rc != 0 {
            failures.push(format!("{name}: the host kernel accepts it, our checker rejects it: {log}"));
            continue;
        }
        // The engine gets what the native program got: an opaque ctx for
        // socket filters (not touched), the read-only u64 args for raw_tp.
        let mut ctx_buf = if ptype == SOCKET_FILTER { vec![0u8; 64] } else { ctx.clone() };
        prog.ctx_writable = false;
        let out = prog.run(&mut scratch, &mut ctx_buf, 0, 0, std::ptr::null_mut());
        if out.error != 0 {
            failures.push(format!("{name}: host ran it (retval {native:#x}), the engine aborted with {} at {}", out.error, out.error_pc));
        } else if out.r0 as u32 != native {
            failures.push(format!("{name}: host retval {native:#x}, engine r0 {:#x}", out.r0));
        } else {
            agreed += 1;
            by_type[(ptype == RAW_TRACEPOINT) as usize] += 1;
        }
    }
    println!(
        "differential: {agreed} programs agree with the host kernel ({} socket filter, {} raw_tp), \
         {host_rejected} rejected by the host verifier (not compared), {} disagreements",
        by_type[0],
        by_type[1],
        failures.len()
    );
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(failures.is_empty());
    assert!(agreed > 100, "only {agreed} programs compared");
}
