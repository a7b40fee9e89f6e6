//! `bpf-conformance-plugin`: the portable eBPF engine (driver/engine, the same C
//! the module runs) behind the public bpf_conformance plugin protocol.
//!
//! The runner writes the program as hex bytes (8 per instruction) on stdin and
//! passes the input memory as hex in the last argument (argv[1] normally; it
//! may be missing or empty).  The plugin prints r0 in hex and exits 0, or
//! prints an error (the checker's first log line, or why the run aborted) and
//! exits 1.  Like the suite's own plugins, r1 = the memory (writable), r2 = its
//! length, and helper 5 is the suite's "unwind" helper (stop the program when
//! r1 is 0, otherwise return r1).
//!
//! Options before the memory: `--debug` prints the checker log on stderr.
// Links the engine: build.rs attaches libebpf_engine.a to the library crate.
extern crate bpfcompat_tests;

use bpfcompat_tests::engine as engine_common;

use engine_common::*;
use std::io::Read;

unsafe extern "C" fn unwind_helper(run: *mut Run, r1: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    if r1 == 0 {
        (*run).error = -4; // EINTR: the suite's "unwind" ends the program
    }
    r1
}

fn fail(msg: &str) -> ! {
    println!("{msg}");
    std::process::exit(1);
}

fn main() {
    let mut debug = false;
    let mut mem_hex = String::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--debug" => debug = true,
            s if s.starts_with("--") => fail(&format!("unknown option {s}")),
            s => mem_hex = s.to_string(),
        }
    }
    let mut input = String::new();
    if std::io::stdin().read_to_string(&mut input).is_err() {
        fail("cannot read the program from stdin");
    }
    let prog_hex: String = input.split_whitespace().collect();
    let mem_hex: String = mem_hex.split_whitespace().collect();
    let bytes = match hex::decode(&prog_hex) {
        Ok(b) => b,
        Err(e) => fail(&format!("program is not hex: {e}")),
    };
    if bytes.is_empty() || bytes.len() % 8 != 0 {
        fail(&format!("program length {} is not a positive multiple of 8", bytes.len()));
    }
    let mut mem = match hex::decode(&mem_hex) {
        Ok(m) => m,
        Err(e) => fail(&format!("memory is not hex: {e}")),
    };
    check_layout();
    let mut prog = Program::new(insns_from_hex(&prog_hex));
    prog.ctx_writable = true;
    prog.ctx_size = mem.len() as u32;
    prog.helper(5, "unwind", unwind_helper, RET_INTEGER, [ARG_ANYTHING, 0, 0, 0, 0]);
    let (rc, log) = prog.check();
    if debug {
        eprint!("{log}");
    }
    if rc != 0 {
        let first = log.lines().find(|l| !l.trim().is_empty()).unwrap_or("rejected");
        fail(&format!("rejected ({rc}): {first}"));
    }
    let mut scratch = Scratch::new();
    let len = mem.len() as u64;
    let out = prog.run(&mut scratch, &mut mem, len, 0, std::ptr::null_mut());
    match out.error {
        0 => println!("{:x}", out.r0),
        // The suite's unwind helper stopped the program: r0 is what it returned.
        -4 => println!("{:x}", out.r0),
        e => fail(&format!("run aborted at insn {}: error {e}", out.error_pc)),
    }
}
