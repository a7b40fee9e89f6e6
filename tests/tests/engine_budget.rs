//! Helper work and the instruction budget in the portable engine (issue 14, item 6):
//! a helper pays for work that grows with its arguments with `ebpf_charge` from the
//! same budget as instructions, and a charge the budget cannot pay aborts the run with
//! -E2BIG at the call, as a runaway loop is aborted; a memory argument's size must be
//! below Linux's BPF_MAX_VAR_SIZ (512 MiB) whatever region it lies in.
extern crate bpfcompat_tests;

use bpfcompat_tests::engine as engine_common;

use std::sync::atomic::{AtomicU64, Ordering};

use engine_common::asm::*;
use engine_common::*;

extern "C" {
    fn ebpf_charge(run: *mut Run, units: u64) -> bool;
}

const CHARGE: i32 = 1;
const TOUCH: i32 = 2;
const E2BIG: i32 = 7;
const EFAULT: i32 = 14;
/// Linux's BPF_MAX_VAR_SIZ.
const MAX_VAR_SIZE: u64 = 1 << 29;

static TOUCHED: AtomicU64 = AtomicU64::new(0);

/// charge(units): r0 = 1 when the budget paid.
unsafe extern "C" fn h_charge(run: *mut Run, units: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    ebpf_charge(run, units) as u64
}

/// touch(mem, size): counts its calls.
unsafe extern "C" fn h_touch(_: *mut Run, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    TOUCHED.fetch_add(1, Ordering::SeqCst);
    0
}

fn prog(insns: Vec<Insn>) -> Program {
    let mut p = Program::new(insns);
    p.helper(CHARGE as usize, "charge", h_charge, RET_INTEGER, [ARG_ANYTHING, ARG_NONE, ARG_NONE, ARG_NONE, ARG_NONE]);
    p.helper(TOUCH as usize, "touch", h_touch, RET_INTEGER, [ARG_PTR_TO_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_NONE, ARG_NONE, ARG_NONE]);
    p
}

fn run(p: &Program, budget: u64) -> Outcome {
    let mut s = Scratch::new();
    p.run(&mut s, &mut [], 0, budget, std::ptr::null_mut())
}

/// r0 = charge(units); exit
fn charging(units: i32) -> Program {
    prog(vec![mov64_imm(1, units), call(CHARGE), exit()])
}

#[test]
fn charges_come_out_of_the_instruction_budget() {
    let o = run(&charging(1000), 5000);
    assert_eq!((o.error, o.r0), (0, 1));
    // three instructions and the charge
    assert_eq!(o.budget_left, 5000 - 3 - 1000);
    // a charge of exactly what is left is paid; the next instruction ends the run
    let o = run(&charging(5000 - 2), 5000);
    assert_eq!((o.error, o.error_pc), (-E2BIG, 2));
}

#[test]
fn a_charge_the_budget_cannot_pay_aborts_like_a_runaway_loop() {
    let o = run(&charging(10_000), 5000);
    assert_eq!((o.error, o.error_pc, o.r0, o.budget_left), (-E2BIG, 1, 0, 0));
    // what a runaway loop gets
    let o = run(&prog(vec![ja(-1), exit()]), 5000);
    assert_eq!((o.error, o.r0, o.budget_left), (-E2BIG, 0, 0));
}

#[test]
fn charges_in_a_loop_end_the_run() {
    // r6 = 0; loop: charge(100); r6 += 1; goto loop -- 103 per round, 1000 rounds would need 103000
    let p = prog(vec![mov64_imm(6, 0), mov64_imm(1, 100), call(CHARGE), add64_imm(6, 1), ja(-4), exit()]);
    let o = run(&p, 10_000);
    assert_eq!((o.error, o.error_pc), (-E2BIG, 2), "the run ends at a charge the budget cannot pay");
}

/// A map whose value region is @size bytes of untouched anonymous memory.
struct BigRegion {
    base: *mut libc::c_void,
    size: usize,
}

impl BigRegion {
    fn new(size: usize) -> BigRegion {
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
        let base = unsafe { libc::mmap(std::ptr::null_mut(), size, libc::PROT_READ | libc::PROT_WRITE, flags, -1, 0) };
        assert_ne!(base, libc::MAP_FAILED, "mmap of {size} bytes");
        BigRegion { base, size }
    }
}

impl Drop for BigRegion {
    fn drop(&mut self) {
        unsafe { libc::munmap(self.base, self.size) };
    }
}

#[test]
fn memory_sizes_stop_below_linux_max_var_size() {
    let region = BigRegion::new(MAX_VAR_SIZE as usize + 4096);
    let touch = |size: u64| {
        let insns = [&ld_map_value(1, 0, 0)[..], &ld_imm64(2, 0, size), &[call(TOUCH), exit()]].concat();
        let mut p = prog(insns);
        p.maps.push(MapRef::new(region.base, 4, region.size as u32).with_values(region.base as *mut u8, region.size as u32));
        let before = TOUCHED.load(Ordering::SeqCst);
        let o = run(&p, 0);
        (o.error, TOUCHED.load(Ordering::SeqCst) - before)
    };
    assert_eq!(touch(MAX_VAR_SIZE - 8), (0, 1), "a size inside the region and below the limit");
    assert_eq!(touch(MAX_VAR_SIZE), (-EFAULT, 0), "Linux's verifier refuses sizes from BPF_MAX_VAR_SIZ on");
}

/// What a run's over_time saw: how often it was asked, and from which call on it says stop.
struct Clock {
    asked: u64,
    stop_at: u64,
}

unsafe extern "C" fn over_time(run: *mut Run) -> bool {
    let clock = &mut *((*run).env as *mut Clock);
    clock.asked += 1;
    clock.asked >= clock.stop_at
}

/// A run with an over_time that says stop from its `stop_at`th question on: the outcome,
/// whether the run was ended by it, and the questions asked.
fn timed_run(p: &Program, budget: u64, stop_at: u64) -> (Outcome, bool, u64) {
    let mut clock = Clock { asked: 0, stop_at };
    let prog = p.raw();
    let mut s = Scratch::new();
    let mut run = Run::new(&prog, &mut clock as *mut Clock as *mut libc::c_void, budget);
    run.over_time = Some(over_time);
    let r0 = unsafe { ebpf_run_prog(&mut run, s.ptr(), std::ptr::null_mut(), 0) };
    let o = Outcome { r0, error: run.error, error_pc: run.error_pc, budget_left: run.budget };
    (o, run.out_of_time, clock.asked)
}

/// The engine's EBPF_TIME_SLICE.
const TIME_SLICE: u64 = 4096;

#[test]
fn over_time_is_asked_once_per_slice_and_ends_a_run_like_its_budget() {
    // a runaway loop with a budget of a million: stopped at the third question
    let (o, out_of_time, asked) = timed_run(&prog(vec![ja(-1), exit()]), 1_000_000, 3);
    assert_eq!((o.error, o.r0, o.budget_left, out_of_time, asked), (-E2BIG, 0, 0, true, 3));
    // never saying stop: the budget ends it, after one question per slice but the first
    let (o, out_of_time, asked) = timed_run(&prog(vec![ja(-1), exit()]), 10 * TIME_SLICE, u64::MAX);
    assert_eq!((o.error, out_of_time, asked), (-E2BIG, false, 9));
}

#[test]
fn a_run_within_one_slice_is_never_asked() {
    let (o, out_of_time, asked) = timed_run(&charging(1000), 1_000_000, 1);
    assert_eq!((o.error, o.r0, out_of_time, asked), (0, 1, false, 0));
    assert_eq!(o.budget_left, 1_000_000 - 3 - 1000, "what is left counts every slice");
}

#[test]
fn a_charge_reaching_into_later_slices_asks_once() {
    let (o, out_of_time, asked) = timed_run(&charging(100_000), 1_000_000, u64::MAX);
    assert_eq!((o.error, o.r0, out_of_time, asked), (0, 1, false, 1));
    assert_eq!(o.budget_left, 1_000_000 - 3 - 100_000);
    // and over_time saying stop there aborts at the call
    let (o, out_of_time, _) = timed_run(&charging(100_000), 1_000_000, 1);
    assert_eq!((o.error, o.error_pc, o.r0, out_of_time), (-E2BIG, 1, 0, true));
    // a charge of more than the whole budget is refused without asking
    let (o, out_of_time, asked) = timed_run(&charging(2_000_000), 1_000_000, 1);
    assert_eq!((o.error, out_of_time, asked), (-E2BIG, false, 0));
}
