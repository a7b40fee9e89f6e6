//! Maps returned by helpers (array/hash of maps): ebpf_set_ret_map tags r0 as a
//! map handle described by its own struct ebpf_map_ref.  The handle works as a
//! CONST_MAP_PTR argument (the value lookup through it gets the inner map's value
//! size), is never memory, and a scalar forged to the same address is refused.
// Links the engine: build.rs attaches libebpf_engine.a to the library crate.
extern crate bpfcompat_tests;

use bpfcompat_tests::engine as engine_common;

use engine_common::asm::*;
use engine_common::*;
use std::ffi::c_void;

extern "C" {
    fn ebpf_set_ret_map(run: *mut Run, r: *const MapRef);
}

struct World {
    inner: MapRef,
    inner_value: [u64; 2],
    outer_token: u8,
}

/// helper 1: lookup.  On the outer map returns the inner map (tagged); on the
/// inner map returns its 16-byte value.
unsafe extern "C" fn h_lookup(run: *mut Run, map: u64, _key: u64, _: u64, _: u64, _: u64) -> u64 {
    let w = &mut *((*run).env as *mut World);
    if map == &w.outer_token as *const u8 as u64 {
        ebpf_set_ret_map(run, &w.inner);
        return w.inner.map as u64;
    }
    if map == w.inner.map as u64 {
        return w.inner_value.as_mut_ptr() as u64;
    }
    0
}

fn program(parts: &[&[Insn]]) -> Program {
    let mut p = Program::new(parts.iter().flat_map(|p| p.iter().copied()).collect());
    p.helper(1, "map_lookup_elem", h_lookup, RET_MAP_VALUE_OR_NULL, [ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, 0, 0, 0]);
    p
}

fn world() -> Box<World> {
    let mut w = Box::new(World { inner: MapRef::new(std::ptr::null_mut(), 4, 16), inner_value: [5, 6], outer_token: 0 });
    w.inner.map = &mut w.inner_value as *mut _ as *mut c_void; // any stable, distinct address
    w
}

fn run(p: &mut Program, w: &mut World) -> Outcome {
    let outer = MapRef { values_are_maps: true, ..MapRef::new(&mut w.outer_token as *mut u8 as *mut c_void, 4, 4) };
    p.maps = vec![outer];
    let (rc, log) = p.check();
    assert_eq!(rc, 0, "{log}");
    let mut s = Scratch::new();
    p.run(&mut s, &mut [], 0, 0, w as *mut World as *mut c_void)
}

/// r0 = lookup(outer, &0); if !r0 exit; r1 = r0; r0 = lookup(r1, &0); ...
fn outer_then_inner(tail: &[Insn]) -> Program {
    program(&[
        &[st(W, 10, -4, 0)],
        &ld_imm64(1, 1, 0),
        &[mov64_reg(2, 10), add64_imm(2, -4), call(1), jne_imm(0, 0, 1), exit()],
        &[mov64_reg(1, 0), mov64_reg(2, 10), add64_imm(2, -4), call(1), jne_imm(0, 0, 1), exit()],
        tail,
    ])
}

#[test]
fn inner_map_handle_reaches_the_inner_value() {
    let mut w = world();
    // second 8 bytes of the inner value: inside its 16 bytes
    let mut p = outer_then_inner(&[ldx(DW, 0, 0, 8), exit()]);
    let o = run(&mut p, &mut w);
    assert_eq!((o.error, o.r0), (0, 6));
    // past the inner value's 16 bytes: refused
    let mut p = outer_then_inner(&[ldx(DW, 0, 0, 16), exit()]);
    let o = run(&mut p, &mut w);
    assert_eq!(o.error, -EFAULT);
}

#[test]
fn inner_map_handle_is_not_memory() {
    let mut w = world();
    // r0 = lookup(outer) is a map handle: loading through it faults
    let mut p = program(&[
        &[st(W, 10, -4, 0)],
        &ld_imm64(1, 1, 0),
        &[mov64_reg(2, 10), add64_imm(2, -4), call(1), jne_imm(0, 0, 1), exit(), ldx(B, 0, 0, 0), exit()],
    ]);
    let o = run(&mut p, &mut w);
    assert_eq!((o.error, o.error_pc), (-EFAULT, 8));
    // a scalar with the inner map's address is not a map argument
    let addr = w.inner.map as u64;
    let mut p = program(&[&[st(W, 10, -4, 0)], &ld_imm64(1, 0, addr), &[mov64_reg(2, 10), add64_imm(2, -4), call(1), exit()]]);
    let o = run(&mut p, &mut w);
    assert_eq!(o.error, -EFAULT);
}
