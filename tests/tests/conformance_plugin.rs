//! The `bpf-conformance-plugin` binary (public bpf_conformance plugin protocol:
//! program hex on stdin, memory hex in argv[1], r0 in hex on stdout and exit 0,
//! or an error and a non-zero exit) over every vector of the shared suite and
//! every program of reject.jsonl, exactly as the suite's runner drives plugins.
use bpfcompat_tests::conformance::records;
use std::io::Write;
use std::process::{Command, Stdio};

const PLUGIN: &str = env!("CARGO_BIN_EXE_bpf-conformance-plugin");

/// Vectors Linux rejects at load (see conformance.rs): the plugin must report an error.
fn rejected_like_linux(name: &str) -> bool {
    name == "callx" || name.contains("-imm-high") || name.contains("-imm-neg")
}

/// (exit success, stdout) of one plugin run.
fn plugin(insns_hex: &str, mem_hex: &str) -> (bool, String) {
    let mut child = Command::new(PLUGIN)
        .arg(mem_hex)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bpf-conformance-plugin");
    child.stdin.take().unwrap().write_all(insns_hex.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn plugin_runs_every_vector() {
    let Some(vectors) = records("vectors.jsonl") else {
        println!("SKIPPED: shared/conformance not found beside the repository");
        return;
    };
    let (mut passed, mut rejected, mut failures) = (0, 0, Vec::new());
    for v in &vectors {
        let name = v["name"].as_str().unwrap();
        let want = u64::from_str_radix(v["result"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
        let (ok, out) = plugin(v["insns"].as_str().unwrap(), v["mem"].as_str().unwrap_or(""));
        if rejected_like_linux(name) {
            if ok {
                failures.push(format!("{name}: plugin ran it ({out}), Linux rejects it"));
            } else {
                assert!(!out.is_empty(), "{name}: error exit without a message");
                rejected += 1;
            }
        } else if !ok {
            failures.push(format!("{name}: plugin error: {out}"));
        } else {
            match u64::from_str_radix(&out, 16) {
                Ok(r0) if r0 == want => passed += 1,
                _ => failures.push(format!("{name}: plugin printed {out:?}, expected {want:x}")),
            }
        }
    }
    println!("plugin: {passed} vectors passed, {rejected} rejected like Linux, {} failed", failures.len());
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(failures.is_empty());
    assert!(passed >= 300, "only {passed} vectors passed");
}

#[test]
fn plugin_rejects_every_reject_program() {
    let Some(programs) = records("reject.jsonl") else {
        println!("SKIPPED: shared/conformance not found beside the repository");
        return;
    };
    let mut accepted = Vec::new();
    let mut n = 0;
    for v in &programs {
        n += 1;
        let (ok, out) = plugin(v["insns"].as_str().unwrap(), "");
        if ok {
            accepted.push(format!("{}: {out}", v["name"].as_str().unwrap()));
        }
    }
    println!("plugin: {n} reject programs, {} accepted", accepted.len());
    assert!(accepted.is_empty(), "accepted: {accepted:?}");
}

#[test]
fn plugin_protocol_errors() {
    // Not hex, and a truncated instruction: an error message and a failing exit.
    let (ok, out) = plugin("zz", "");
    assert!(!ok && out.contains("hex"), "{out}");
    let (ok, out) = plugin("b7000000", "");
    assert!(!ok && out.contains("multiple of 8"), "{out}");
    // r0 = 42 with memory given: printed in hex.
    let (ok, out) = plugin("b7000000 2a000000 9500000000000000", "0102");
    assert!(ok && out == "2a", "{out}");
}
