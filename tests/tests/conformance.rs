//! The public eBPF conformance suite (shared/conformance) against the portable
//! engine: every vector is checked by ebpf_check and run by ebpf_run_prog with
//! r1 = a writable copy of `mem`, r2 = its length; r0 must equal `result`.
//! Every program of reject.jsonl must be rejected at load.
// Links the engine: build.rs attaches libebpf_engine.a to the library crate.
extern crate bpfcompat_tests;

use bpfcompat_tests::engine as engine_common;

use bpfcompat_tests::conformance::records;
use engine_common::*;

/// Vectors where our answer is, deliberately, not the vector's `result`.
enum Exception {
    /// Linux rejects this program at load time, and so do we.
    RejectedLikeLinux(&'static str),
}

fn exception(name: &str) -> Option<Exception> {
    use Exception::*;
    const SHIFT: &str = "shift by an immediate outside 0..width: Linux rejects it at load (\"invalid shift\")";
    Some(match name {
        "callx" => RejectedLikeLinux("call via register (BPF_CALL|BPF_X, 0x8d) is not in Linux's ISA: \"unknown opcode 8d\""),
        n if n.contains("-imm-high") || n.contains("-imm-neg") => RejectedLikeLinux(SHIFT),
        _ => return None,
    })
}

/// bpf_conformance's helper 5 ("unwind": stop the program if r1 == 0,
/// otherwise return r1).  Only `call_unwind_fail` uses it; it is the test
/// suite's own helper, not Linux's helper 5, so it is provided only here.
unsafe extern "C" fn unwind_helper(run: *mut Run, r1: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    if r1 == 0 {
        (*run).error = -4; // stop the run (EINTR), like the suite's unwind
    }
    r1
}

#[test]
fn conformance_vectors() {
    check_layout();
    let Some(vectors) = records("vectors.jsonl") else {
        println!("SKIPPED: shared/conformance not found beside the repository ({}/../../shared)", env!("CARGO_MANIFEST_DIR"));
        return;
    };
    let mut scratch = Scratch::new();
    let (mut passed, mut rejected, mut failures) = (0, 0, Vec::new());
    let mut total = 0;
    for v in &vectors {
        total += 1;
        let name = v["name"].as_str().unwrap();
        let mut mem = hex::decode(v["mem"].as_str().unwrap_or("")).unwrap();
        let result = u64::from_str_radix(v["result"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
        let mut prog = Program::new(insns_from_hex(v["insns"].as_str().unwrap()));
        prog.ctx_writable = true;
        prog.ctx_size = mem.len() as u32;
        if name == "call_unwind_fail" {
            prog.helper(5, "unwind", unwind_helper, RET_INTEGER, [ARG_ANYTHING, 0, 0, 0, 0]);
        }
        let (rc, log) = prog.check();
        match exception(name) {
            Some(Exception::RejectedLikeLinux(why)) => {
                if rc == 0 {
                    failures.push(format!("{name}: accepted, but Linux rejects it ({why})"));
                } else {
                    println!("{name}: rejected as expected ({why}): {}", log.lines().next().unwrap_or(""));
                    rejected += 1;
                }
                continue;
            }
            None => {}
        }
        if rc != 0 {
            failures.push(format!("{name}: rejected by ebpf_check ({rc}): {log}"));
            continue;
        }
        let len = mem.len() as u64;
        let out = prog.run(&mut scratch, &mut mem, len, 0, std::ptr::null_mut());
        if out.error != 0 {
            failures.push(format!("{name}: run aborted with {} at pc {}", out.error, out.error_pc));
        } else if out.r0 != result {
            failures.push(format!("{name}: r0 = {:#x}, expected {:#x}", out.r0, result));
        } else {
            passed += 1;
        }
    }
    println!(
        "conformance: {total} vectors, {passed} passed (call_unwind_fail with the suite's own helper 5), \
         {rejected} rejected at load like Linux (callx, out-of-range immediate shifts), {} failed",
        failures.len()
    );
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(failures.is_empty(), "{} conformance failures", failures.len());
    assert_eq!(passed + rejected, total);
}

#[test]
fn reserved_fields_rejected() {
    let Some(programs) = records("reject.jsonl") else {
        println!("SKIPPED: shared/conformance not found beside the repository");
        return;
    };
    let mut n = 0;
    let mut failures = Vec::new();
    for v in &programs {
        let name = v["name"].as_str().unwrap();
        let prog = Program::new(insns_from_hex(v["insns"].as_str().unwrap()));
        let (rc, log) = prog.check();
        n += 1;
        if rc == 0 {
            failures.push(name.to_string());
        } else {
            assert!(rc == -EINVAL || rc == -E2BIG, "{name}: unexpected error {rc}");
            assert!(!log.is_empty(), "{name}: rejection without a log message");
            println!("{name}: {rc} {}", log.lines().next().unwrap_or(""));
        }
    }
    println!("reject: {n} programs, {} rejected, {} accepted", n - failures.len(), failures.len());
    assert!(failures.is_empty(), "accepted: {failures:?}");
}
