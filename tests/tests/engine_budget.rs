//! Helper work and the instruction budget in the portable engine (issue 14, item 6):
//! a helper pays for work that grows with its arguments with `ebpf_charge` from the
//! same budget as instructions, and a charge the budget cannot pay aborts the run with
//! -E2BIG at the call, as a runaway loop is aborted; a memory argument's size must be
//! below Linux's BPF_MAX_VAR_SIZ (512 MiB) whatever region it lies in.
extern crate bpfcompat_tests;

#[path = "engine_common/mod.rs"]
mod engine_common;

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
        p.maps.push(MapRef {
            map: region.base,
            key_size: 4,
            value_size: region.size as u32,
            value_base: region.base as *mut u8,
            value_region_size: region.size as u32,
            value_readonly: false,
            value_const: false,
            value_writeonly: false,
        });
        let before = TOUCHED.load(Ordering::SeqCst);
        let o = run(&p, 0);
        (o.error, TOUCHED.load(Ordering::SeqCst) - before)
    };
    assert_eq!(touch(MAX_VAR_SIZE - 8), (0, 1), "a size inside the region and below the limit");
    assert_eq!(touch(MAX_VAR_SIZE), (-EFAULT, 0), "Linux's verifier refuses sizes from BPF_MAX_VAR_SIZ on");
}
