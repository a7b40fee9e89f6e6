//! PROBE_MEM loads for BTF-typed tracing programs (fentry/fexit/tp_btf): a kernel pointer
//! read out of ctx is a scalar to the run-time-tagged interpreter; with `probe_read` set
//! a load through it copies fault-tolerantly (0 on fault), as Linux's PROBE_MEM does.
//! Stores and atomics through such a value still abort, and nothing changes without it.
// Links the engine: build.rs attaches libebpf_engine.a to the library crate.
extern crate bpfcompat_tests;

use bpfcompat_tests::engine as engine_common;

use engine_common::asm::*;
use engine_common::*;
use std::ffi::{c_long, c_void};

/// The "kernel memory" the test reader serves; everything else faults.
static TARGET: [u32; 4] = [0x1111_1111, 0xdead_beef, 0x3333_3333, 0x8000_0002];

unsafe extern "C" fn test_probe_read(dst: *mut c_void, src: u64, size: u32) -> c_long {
    let base = TARGET.as_ptr() as u64;
    let end = base + std::mem::size_of_val(&TARGET) as u64;
    if src < base || src.checked_add(size as u64).is_none_or(|e| e > end) {
        return -14;
    }
    std::ptr::copy_nonoverlapping(src as *const u8, dst as *mut u8, size as usize);
    0
}

/// r1 = ctx; r2 = ctx[0] (the "kernel pointer"); then `tail`.
fn program(tail: &[Insn], probe: bool) -> Program {
    let mut insns = vec![ldx(DW, 2, 1, 0)];
    insns.extend_from_slice(tail);
    let mut p = Program::new(insns);
    if probe {
        p.probe_read = Some(test_probe_read);
    }
    p
}

fn run_with(p: &Program, ptr: u64) -> Outcome {
    let (rc, log) = p.check();
    assert_eq!(rc, 0, "{log}");
    let mut ctx = ptr.to_le_bytes().to_vec();
    ctx.resize(16, 0);
    let mut scratch = Scratch::new();
    p.run(&mut scratch, &mut ctx, 0, 0, std::ptr::null_mut())
}

#[test]
fn loads_through_a_scalar_pointer_read_kernel_memory() {
    check_layout();
    let base = TARGET.as_ptr() as u64;
    let p = program(&[ldx(W, 0, 2, 4), exit()], true);
    let o = run_with(&p, base);
    assert_eq!((o.error, o.r0), (0, 0xdead_beef));
    // Sign-extending load (MEMSX, opcode 0x81 | size) of the last word.
    let p = program(&[Insn::new(0x81, 0, 2, 12, 0), exit()], true);
    let o = run_with(&p, base);
    assert_eq!((o.error, o.r0), (0, 0xffff_ffff_8000_0002));
}

#[test]
fn a_faulting_probe_load_yields_zero_and_the_run_goes_on() {
    let p = program(&[mov64_imm(0, 7), ldx(DW, 3, 2, 0), add64_reg(0, 3), exit()], true);
    // NULL, a wild address and a read straddling the end of the readable area.
    for ptr in [0u64, 0xdead_0000_0000, TARGET.as_ptr() as u64 + 12] {
        let o = run_with(&p, ptr);
        assert_eq!((o.error, o.r0), (0, 7), "ptr {ptr:#x}");
    }
}

#[test]
fn without_probe_read_such_loads_abort() {
    let p = program(&[ldx(W, 0, 2, 4), exit()], false);
    let o = run_with(&p, TARGET.as_ptr() as u64);
    assert_eq!(o.error, -14, "EFAULT");
}

#[test]
fn stores_and_atomics_through_a_scalar_still_abort() {
    for tail in [
        [st(W, 2, 0, 1), exit()],
        [stx(W, 2, 1, 0), exit()],
        [atomic(W, 2, 1, 0, 0x00), exit()], // atomic add
    ] {
        let p = program(&[mov64_imm(0, 0), tail[0], tail[1]], true);
        let o = run_with(&p, TARGET.as_ptr() as u64);
        assert_eq!(o.error, -14, "{:?}", tail[0].code);
    }
    assert_eq!(TARGET, [0x1111_1111, 0xdead_beef, 0x3333_3333, 0x8000_0002]);
}
