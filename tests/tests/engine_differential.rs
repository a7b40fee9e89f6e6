//! Differential test against the host kernel's own eBPF: every conformance
//! vector the host verifier accepts is run natively with BPF_PROG_TEST_RUN and
//! through the portable engine; the results must agree.
//!
//! - vectors without input memory: BPF_PROG_TYPE_SOCKET_FILTER, data_in = a
//!   64-byte zero packet (r1 is the skb the program does not touch);
//! - vectors with input memory of 8..96 bytes, a multiple of 8: raw
//!   tracepoint programs, ctx_in = the memory (Linux lets raw_tp read its u64
//!   args; the verifier decides which accesses are allowed).
//! BPF_PROG_TEST_RUN reports retval as u32, so the low 32 bits are compared.
//! Skipped with the reason when the host does not allow bpf() (not root,
//! unprivileged_bpf_disabled, seccomp, no BPF_SYSCALL).
extern crate bpfcompat_tests;

#[path = "engine_common/mod.rs"]
mod engine_common;

use engine_common::*;
use std::path::PathBuf;

const BPF_PROG_LOAD: i64 = 5;
const BPF_PROG_TEST_RUN: i64 = 10;
const SOCKET_FILTER: u32 = 1;
const RAW_TRACEPOINT: u32 = 17;

fn bpf(cmd: i64, attr: &mut [u8; 128]) -> Result<i64, i32> {
    let r = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr.as_mut_ptr(), attr.len() as u32) };
    if r < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(r)
    }
}

fn put32(a: &mut [u8; 128], off: usize, v: u32) {
    a[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
fn put64(a: &mut [u8; 128], off: usize, v: u64) {
    a[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

/// Load natively; Err(errno).
fn load(prog_type: u32, code: &[u8]) -> Result<i32, i32> {
    let license = b"GPL\0";
    let mut a = [0u8; 128];
    put32(&mut a, 0, prog_type);
    put32(&mut a, 4, (code.len() / 8) as u32);
    put64(&mut a, 8, code.as_ptr() as u64);
    put64(&mut a, 16, license.as_ptr() as u64);
    bpf(BPF_PROG_LOAD, &mut a).map(|fd| fd as i32)
}

/// BPF_PROG_TEST_RUN: retval.
fn test_run(fd: i32, data: &[u8], ctx: &[u8]) -> Result<u32, i32> {
    let mut out = vec![0u8; data.len() + 256];
    let mut a = [0u8; 128];
    put32(&mut a, 0, fd as u32);
    if !data.is_empty() {
        put32(&mut a, 8, data.len() as u32);
        put32(&mut a, 12, out.len() as u32);
        put64(&mut a, 16, data.as_ptr() as u64);
        put64(&mut a, 24, out.as_mut_ptr() as u64);
    }
    if !ctx.is_empty() {
        put32(&mut a, 40, ctx.len() as u32);
        put64(&mut a, 48, ctx.as_ptr() as u64);
    }
    bpf(BPF_PROG_TEST_RUN, &mut a)?;
    Ok(u32::from_le_bytes(a[4..8].try_into().unwrap()))
}

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
    // Can this host load and test-run anything at all?  r0 = 7; exit.
    let probe = hex::decode("b7000000070000009500000000000000").unwrap();
    match load(SOCKET_FILTER, &probe).and_then(|fd| {
        let r = test_run(fd, &[0u8; 64], &[]);
        unsafe { libc::close(fd) };
        r
    }) {
        Ok(7) => {}
        Ok(v) => panic!("host BPF_PROG_TEST_RUN of 'r0 = 7' returned {v}"),
        Err(e) => {
            println!(
                "SKIPPED: the host kernel does not allow BPF_PROG_LOAD/BPF_PROG_TEST_RUN here: {}",
                std::io::Error::from_raw_os_error(e)
            );
            return;
        }
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
        } else if mem.len() % 8 == 0 && mem.len() <= 96 {
            (RAW_TRACEPOINT, vec![], mem.clone())
        } else {
            continue;
        };
        let fd = match load(ptype, &code) {
            Ok(fd) => fd,
            Err(_) => {
                host_rejected += 1;
                continue;
            }
        };
        let native = test_run(fd, &data, &ctx);
        unsafe { libc::close(fd) };
        let native = match native {
            Ok(r) => r,
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
