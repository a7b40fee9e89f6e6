//! Kernel addresses must not reach a program's loader unless it may see them (issue 14,
//! item 7). Linux's verifier refuses, when the loader lacks CAP_PERFMON
//! (`allow_ptr_leaks` false), every way a program can turn a pointer into a number: a
//! store outside the stack, a partial fill or overwrite of a spilled pointer, arithmetic
//! other than pointer ± scalar, a comparison other than a NULL check, a pointer passed to
//! a helper as a number or read by a helper out of the stack, a pointer returned. The
//! engine aborts such a run with -EACCES before the bits go anywhere; with
//! `allow_ptr_leaks` (what a root loader has) the same programs run as before.
//!
//!     cargo test --release -p bpfcompat-tests --test engine_ptr_leaks
// Links the engine: build.rs attaches libebpf_engine.a to the library crate.
extern crate bpfcompat_tests;

use bpfcompat_tests::engine as engine_common;

use engine_common::asm::*;
use engine_common::*;
use std::ffi::c_void;

thread_local! {
    static RECORD: std::cell::UnsafeCell<[u8; 16]> = const { std::cell::UnsafeCell::new([0; 16]) };
}

/// Returns a 16-byte writable record (a ring buffer reserve).
unsafe extern "C" fn h_reserve(run: *mut Run, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let base = RECORD.with(|r| r.get()) as *mut c_void;
    ebpf_set_ret_region(run, base, 16, true);
    base as u64
}

/// Releases the record (a ring buffer submit).
unsafe extern "C" fn h_submit(run: *mut Run, p: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    ebpf_invalidate_region(run, p as *mut c_void);
    0
}

/// Reads n bytes (a helper copying memory out, e.g. ringbuf_output).
unsafe extern "C" fn h_sum(_: *mut Run, p: u64, n: u64, _: u64, _: u64, _: u64) -> u64 {
    std::slice::from_raw_parts(p as *const u8, n as usize).iter().map(|&b| b as u64).sum()
}

/// Takes a number (e.g. a trace_printk argument).
unsafe extern "C" fn h_number(_: *mut Run, v: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    v
}

const RESERVE: i32 = 1;
const SUBMIT: i32 = 2;
const SUM: i32 = 3;
const NUMBER: i32 = 4;

fn program(insns: &[Insn], allow_ptr_leaks: bool) -> Program {
    let mut p = Program::new(insns.to_vec());
    p.ctx_writable = true;
    p.allow_ptr_leaks = allow_ptr_leaks;
    p.helper(RESERVE as usize, "reserve", h_reserve, RET_MEM_OR_NULL, [0; 5]);
    p.helper(SUBMIT as usize, "submit", h_submit, RET_VOID, [ARG_PTR_TO_ALLOC_MEM, 0, 0, 0, 0]);
    p.helper(SUM as usize, "sum", h_sum, RET_INTEGER, [ARG_PTR_TO_MEM, ARG_CONST_SIZE, 0, 0, 0]);
    p.helper(NUMBER as usize, "number", h_number, RET_INTEGER, [ARG_ANYTHING, 0, 0, 0, 0]);
    p
}

/// Runs `insns` over a zeroed 16-byte ctx: (outcome, ctx afterwards).
fn run(insns: &[Insn], allow_ptr_leaks: bool) -> (Outcome, [u8; 16]) {
    let p = program(insns, allow_ptr_leaks);
    let (rc, log) = p.check();
    assert_eq!(rc, 0, "checker rejected: {log}");
    let mut ctx = [0u8; 16];
    let mut s = Scratch::new();
    let o = p.run(&mut s, &mut ctx, 0, 0, std::ptr::null_mut());
    (o, ctx)
}

/// Refused at `pc` without leaks allowed (nothing stored, r0 = 0); runs cleanly with them.
fn assert_leak(what: &str, insns: &[Insn], pc: u32) {
    let (o, ctx) = run(insns, false);
    assert_eq!((o.error, o.error_pc), (-EACCES, pc), "{what}: expected -EACCES at pc {pc}, got {} at {}", o.error, o.error_pc);
    assert_eq!(o.r0, 0, "{what}: r0 after the abort");
    assert_eq!(ctx, [0; 16], "{what}: the ctx was written before the abort");
    let (o, _) = run(insns, true);
    assert_eq!(o.error, 0, "{what}: with allow_ptr_leaks the program must run (error {} at {})", o.error, o.error_pc);
}

/// Runs cleanly either way.
fn assert_no_leak(what: &str, insns: &[Insn]) -> u64 {
    let (o, _) = run(insns, true);
    assert_eq!(o.error, 0, "{what} (allow_ptr_leaks): error {} at {}", o.error, o.error_pc);
    let (o2, _) = run(insns, false);
    assert_eq!(o2.error, 0, "{what}: error {} at {}", o2.error, o2.error_pc);
    assert_eq!(o.r0, o2.r0, "{what}: r0 differs");
    o.r0
}

#[test]
fn stores_of_pointers_outside_the_stack() {
    assert_leak("stack pointer into the ctx", &[stx(DW, 1, 10, 0), mov64_imm(0, 0), exit()], 0);
    assert_leak("ctx pointer into the ctx, 4 bytes", &[stx(W, 1, 1, 8), mov64_imm(0, 0), exit()], 0);
    assert_leak("store-release of a pointer", &[Insn::new(0xdb, 1, 10, 0, 0x110), mov64_imm(0, 0), exit()], 0);
    assert_leak("atomic add of a pointer", &[atomic(DW, 1, 10, 0, 0), mov64_imm(0, 0), exit()], 0);
    assert_leak("cmpxchg with a pointer in r0", &[mov64_reg(0, 10), atomic(DW, 1, 2, 0, 0xf1), mov64_imm(0, 0), exit()], 1);
    assert_leak(
        "pointer into a reserved record",
        &[call(RESERVE), stx(DW, 0, 10, 0), mov64_reg(1, 0), call(SUBMIT), mov64_imm(0, 0), exit()],
        1,
    );
}

#[test]
fn spilled_pointers_read_or_clobbered_in_part() {
    // a whole spill and fill keeps the pointer usable as a pointer
    let r0 = assert_no_leak("spill and fill", &[stx(DW, 10, 1, -8), ldx(DW, 2, 10, -8), ldx(B, 0, 2, 3), exit()]);
    assert_eq!(r0, 0);
    assert_leak("4-byte fill of a spilled pointer", &[stx(DW, 10, 1, -8), ldx(W, 0, 10, -4), mov64_imm(0, 0), exit()], 1);
    assert_leak(
        "1-byte overwrite of a spilled pointer",
        &[stx(DW, 10, 1, -8), st(B, 10, -8, 0), ldx(DW, 0, 10, -8), mov64_imm(0, 0), exit()],
        1,
    );
    assert_leak(
        "4-byte register store over a spilled pointer",
        &[stx(DW, 10, 1, -8), mov64_imm(2, 0), stx(W, 10, 2, -8), mov64_imm(0, 0), exit()],
        2,
    );
    assert_leak(
        "atomic on a spilled pointer",
        &[stx(DW, 10, 1, -8), mov64_imm(2, 1), atomic(DW, 10, 2, -8, 0), mov64_imm(0, 0), exit()],
        2,
    );
    // a pointer stored in 4 bytes into the stack is not a spill: its bits would stay
    assert_leak("4-byte store of a pointer into the stack", &[stx(W, 10, 1, -8), mov64_imm(0, 0), exit()], 0);
    // overwriting the whole slot with a number is fine
    assert_no_leak("8-byte overwrite of a spill", &[stx(DW, 10, 1, -8), st(DW, 10, -8, 7), ldx(DW, 0, 10, -8), exit()]);
}

#[test]
fn arithmetic_and_comparisons_on_pointers() {
    assert_no_leak("pointer plus a number", &[mov64_reg(2, 10), add64_imm(2, -8), st(DW, 2, 0, 1), ldx(DW, 0, 10, -8), exit()]);
    assert_leak("xor of a pointer", &[mov64_reg(0, 10), alu64(0xa0, 0, 0xff, 1), mov64_imm(0, 0), exit()], 1);
    assert_leak("pointer minus pointer", &[mov64_reg(0, 10), sub64_reg(0, 1), mov64_imm(0, 0), exit()], 1);
    assert_leak("32-bit move of a pointer", &[Insn::new(0xbc, 0, 10, 0, 0), mov64_imm(0, 0), exit()], 0);
    assert_leak("32-bit add to a pointer", &[mov64_reg(0, 10), Insn::new(0x04, 0, 0, 0, 1), mov64_imm(0, 0), exit()], 1);
    assert_leak("byte swap of a pointer", &[mov64_reg(0, 10), Insn::new(0xdc, 0, 0, 0, 64), mov64_imm(0, 0), exit()], 1);
    assert_leak("sign-extending move of a pointer", &[Insn::new(0xbf, 0, 10, 32, 0), mov64_imm(0, 0), exit()], 0);
    assert_leak("pointer compared with a number", &[jeq_imm(10, 0x1000, 0), mov64_imm(0, 0), exit()], 0);
    assert_leak("pointer compared with a pointer", &[Insn::new(0x2d, 1, 10, 0, 0), mov64_imm(0, 0), exit()], 0);
    assert_no_leak("NULL check of a pointer", &[jeq_imm(1, 0, 1), mov64_imm(0, 1), exit()]);
    assert_no_leak("NULL check against a zero register", &[mov64_imm(2, 0), Insn::new(0x5d, 1, 2, 1, 0), exit(), mov64_imm(0, 2), exit()]);
}

#[test]
fn pointers_given_to_helpers_or_returned() {
    assert_leak("pointer as a helper's number", &[mov64_reg(1, 10), call(NUMBER), mov64_imm(0, 0), exit()], 1);
    assert_leak(
        "helper reading a spilled pointer",
        &[stx(DW, 10, 1, -8), mov64_reg(1, 10), add64_imm(1, -8), mov64_imm(2, 8), call(SUM), mov64_imm(0, 0), exit()],
        4,
    );
    assert_no_leak(
        "helper reading numbers from the stack",
        &[st(DW, 10, -8, 3), mov64_reg(1, 10), add64_imm(1, -8), mov64_imm(2, 8), call(SUM), exit()],
    );
    assert_leak("pointer as the return value", &[mov64_reg(0, 1), exit()], 1);
    // a submitted record's pointer is no longer memory, and not a number either
    assert_leak("released record returned", &[call(RESERVE), mov64_reg(6, 0), mov64_reg(1, 0), call(SUBMIT), mov64_reg(0, 6), exit()], 5);
    let (o, _) = run(&[call(RESERVE), mov64_reg(6, 0), mov64_reg(1, 0), call(SUBMIT), ldx(B, 0, 6, 0), exit()], false);
    assert_eq!((o.error, o.error_pc), (-EFAULT, 4), "a released record must not be readable");
}
