//! Static pointer kinds (driver/engine/ebpf_kinds.c), the first piece of a compiler to
//! native code: what each register holds before each instruction, known at load.
//!
//! Soundness is held against the interpreter on every run of every engine test: the
//! test build calls host/kinds_oracle.c before each instruction, and a register whose
//! tag or value disagrees with its static kind fails the run's test (tests/src/engine.rs;
//! the libFuzzer target aborts the same way). Here: that the oracle is live and can
//! fail, that the facts are precise where a compiler needs them (a lookup's value after
//! its null check, spills and fills, the stack and the context at constant offsets),
//! and how many of the conformance suite's loads and stores they fix.
use bpfcompat_tests::engine as engine_common;

use engine_common::asm::*;
use engine_common::*;
use std::ffi::c_void;

/// helper 1, map_lookup_elem, over `map`
fn with_map(insns: Vec<Insn>, map: &mut OneValue) -> Program {
    let mut p = Program::new(insns);
    p.helper(1, "map_lookup_elem", lookup_one_value, RET_MAP_VALUE_OR_NULL, [ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, 0, 0, 0]);
    p.maps.push(MapRef::new(map as *mut OneValue as *mut c_void, 4, 16).with_values(map.value.as_mut_ptr() as *mut u8, 16));
    p
}

/// A counter as tools keep them: look a key up, spill the value pointer across a
/// helper-free stretch, add 1 through the filled copy, return what the context's
/// second word holds.
fn counter() -> Vec<Insn> {
    let mut v = vec![
        st(W, 10, -4, 0), // 0: key = 0
        mov64_reg(2, 10), // 1
        add64_imm(2, -4), // 2: r2 = &key
    ];
    v.extend(ld_imm64(1, 1, 0)); // 3-4: r1 = map 0
    v.extend([
        call(1),                // 5: r0 = lookup (or null)
        mov64_reg(6, 0),        // 6: r6 = r0, same lookup
        jeq_imm(0, 0, 6),       // 7: null: to 14
        stx(DW, 10, 6, -16),    // 8: spill the value pointer
        ldx(DW, 7, 10, -16),    // 9: fill it into r7
        mov64_imm(1, 1),        // 10
        atomic(DW, 7, 1, 8, 0), // 11: value[1] += 1
        ldx(DW, 0, 6, 0),       // 12: r0 = value[0]
        exit(),                 // 13
        ldx(DW, 0, 1, 0),       // 14: r1 is 0 here (call clobbered it): not reached by a run
        exit(),                 // 15
    ]);
    v
}

fn kind_at(k: &[KRegs], pc: usize, reg: usize) -> (u8, u8, i32) {
    let v = k[pc].r[reg];
    (v.kind, v.flags, v.off)
}

#[test]
fn facts_follow_lookups_spills_and_null_checks() {
    let mut map = OneValue { value: [7, 0] };
    let p = with_map(counter(), &mut map);
    let (rc, log) = p.check();
    assert_eq!(rc, 0, "{log}");
    let k = kinds(&p.raw()).expect("ebpf_kinds");
    assert_eq!(kind_at(&k, 0, 1), (K_CTX, 0, 0), "r1 on entry: the context");
    assert_eq!(kind_at(&k, 0, 10), (K_STACK, 0, 0));
    assert_eq!(kind_at(&k, 5, 2), (K_STACK, 0, -4), "the key's address");
    assert_eq!(kind_at(&k, 5, 1).0, K_MAP);
    assert_eq!(kind_at(&k, 6, 0).0, K_MAP_VALUE_OR_NULL);
    assert_eq!(k[7].r[6].id, k[7].r[0].id, "a copy is the same lookup");
    assert_ne!(k[7].r[6].id, 0);
    // after the null check both copies are the value, and the fill brings it back
    assert_eq!(kind_at(&k, 8, 6), (K_MAP_VALUE, 0, 0));
    assert_eq!(kind_at(&k, 8, 0), (K_MAP_VALUE, 0, 0));
    assert_eq!(kind_at(&k, 10, 7), (K_MAP_VALUE, 0, 0));
    assert_eq!(kind_at(&k, 11, 1), (K_SCALAR, KF_CONST, 0));
    assert_eq!(k[11].r[1].val, 1);
    // the null edge: r0 and its copy are the number 0, r1 the 0 the call left
    assert_eq!(kind_at(&k, 14, 0), (K_SCALAR, KF_CONST, 0));
    assert_eq!(kind_at(&k, 14, 6), (K_SCALAR, KF_CONST, 0));
    assert_eq!(kind_at(&k, 14, 1), (K_SCALAR, KF_CONST, 0));
    assert_eq!(kind_at(&k, 4, 0).0, K_UNREACHED, "the second half of an ld_imm64");
}

#[test]
fn joins_keep_the_kind_and_the_offsets_span() {
    // r6 = fp - 8 or fp - 16 by r2, then a store through it: still the stack, at an
    // offset in [-16, -8];
    // a pointer on one path and a number on the other: unknown
    let insns = vec![
        mov64_reg(6, 10), // 0
        add64_imm(6, -8), // 1
        mov64_reg(7, 10), // 2: r7 = fp
        jeq_imm(2, 0, 2), // 3
        add64_imm(6, -8), // 4
        mov64_imm(7, 5),  // 5: r7 = 5 on this path only
        st(DW, 6, 0, 1),  // 6
        mov64_imm(0, 0),  // 7
        exit(),           // 8
    ];
    let p = Program::new(insns);
    assert_eq!(p.check().0, 0);
    let k = kinds(&p.raw()).expect("ebpf_kinds");
    assert_eq!(kind_at(&k, 6, 6), (K_STACK, KF_VAR_OFF | KF_BOUNDED, -16));
    assert_eq!(k[6].r[6].range, 8);
    assert_eq!(kind_at(&k, 6, 7).0, K_UNKNOWN);
    let mut s = Scratch::new();
    for r2 in [0, 1] {
        let out = p.run(&mut s, &mut [], r2, 0, std::ptr::null_mut());
        assert_eq!(out.error, 0);
    }
}

#[test]
fn numbers_keep_the_bounds_a_histogram_slot_needs() {
    // slot = r2 >> 32 (the caller's number); if (25 > slot) skip; else slot = 25;
    // slot <<= 2; r3 = fp - 104 + slot; a store there: the stack in [-104, -4]
    let insns = vec![
        mov64_reg(1, 2),                // 0
        alu64(0x70, 1, 0xff, 32),       // 1: rsh 32: < 2^32
        mov64_imm(2, 25),               // 2
        Insn::new(0x2d, 2, 1, 1, 0),    // 3: if r2 > r1 goto 5
        mov64_imm(1, 25),               // 4
        alu64(0x60, 1, 0xff, 2),        // 5: lsh 2
        mov64_reg(3, 10),               // 6
        add64_imm(3, -104),             // 7
        add64_reg(3, 1),                // 8
        st(W, 3, 0, 7),                 // 9
        Insn::new(0x57, 4, 0, 0, 0xff), // 10: r4 &= 0xff (r4 = 0 here)
        mov64_imm(0, 0),                // 11
        exit(),                         // 12
    ];
    let p = Program::new(insns);
    assert_eq!(p.check().0, 0, "{}", p.check().1);
    let k = kinds(&p.raw()).expect("ebpf_kinds");
    assert_eq!((kind_at(&k, 2, 1), k[2].r[1].val), ((K_SCALAR, KF_BOUNDED, 0), u32::MAX as u64));
    assert_eq!((kind_at(&k, 5, 1), k[5].r[1].val), ((K_SCALAR, KF_BOUNDED, 0), 25), "24 on one edge, 25 on the other");
    assert_eq!((kind_at(&k, 9, 3), k[9].r[3].range), ((K_STACK, KF_VAR_OFF | KF_BOUNDED, -104), 100));
    // every run agrees with the bounds (the oracle checks each instruction)
    let mut s = Scratch::new();
    for r2 in [0u64, 1 << 32, 24 << 32, 25 << 32, 26 << 32, u64::MAX] {
        assert_eq!(p.run(&mut s, &mut [], r2, 0, std::ptr::null_mut()).error, 0, "r2 = {r2:#x}");
    }

    // a loop's counter grows its bound on every turn: the walk drops it and ends
    let insns = vec![mov64_imm(0, 0), add64_imm(0, 1), jne_imm(0, 100_000, -2), exit()];
    let p = Program::new(insns);
    assert_eq!(p.check().0, 0);
    let k = kinds(&p.raw()).expect("ebpf_kinds ends");
    assert_eq!(kind_at(&k, 1, 0), (K_SCALAR, 0, 0), "no bound left at the loop's head");
    assert_eq!(p.run(&mut s, &mut [], 0, 10_000_000, std::ptr::null_mut()).r0, 100_000);
}

#[test]
fn the_oracle_is_live_and_can_fail() {
    let mut map = OneValue { value: [7, 0] };
    let p = with_map(counter(), &mut map);
    let mut s = Scratch::new();
    let mut ctx = [0u8; 16];
    let before = kinds_counts();
    let out = p.run(&mut s, &mut ctx, 0, 0, std::ptr::null_mut());
    assert_eq!((out.error, out.r0, map.value[1]), (0, 7, 1));
    let after = kinds_counts();
    assert_eq!(after.0 - before.0, 13, "instructions held against the facts");
    // key store, spill, fill, atomic, value load: each address fixed at load
    assert_eq!((after.1 - before.1, after.2 - before.2), (5, 5));

    // a wrong fact for r6 before insn 12 (a number where the value pointer is) must fail
    assert!(unsafe { ebpf_host_kinds_tamper(12, 6, K_SCALAR) });
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut s = Scratch::new();
        p.run(&mut s, &mut ctx, 0, 0, std::ptr::null_mut());
    }));
    let msg = caught.expect_err("the oracle let a wrong fact pass");
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("insn 12") && msg.contains("r6"), "{msg}");
}

#[test]
fn helper_tagging_r0_against_its_table_aborts() {
    // a helper that hands out memory while its table entry says "integer" would make the
    // static kinds wrong: the engine refuses the run instead
    unsafe extern "C" fn h_region(run: *mut Run, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
        thread_local!(static MEM: std::cell::UnsafeCell<[u8; 8]> = const { std::cell::UnsafeCell::new([0; 8]) });
        let base = MEM.with(|m| m.get()) as *mut c_void;
        ebpf_set_ret_region(run, base, 8, true);
        base as u64
    }
    // ... and so does one that releases memory without taking it (ARG_PTR_TO_ALLOC_MEM)
    unsafe extern "C" fn h_release(run: *mut Run, p: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
        ebpf_invalidate_region(run, p as *mut c_void);
        0
    }
    let mut s = Scratch::new();
    // (ret kind, size argument, size asked, errno)
    for (ret, size_arg, size, error) in
        [(RET_INTEGER, 0, 8, EINVAL), (RET_MEM_OR_NULL, 0, 8, 0), (RET_MEM_OR_NULL, 1, 8, 0), (RET_MEM_OR_NULL, 1, 4, EINVAL)]
    {
        let mut p = Program::new(vec![mov64_imm(1, size), call(2), mov64_imm(0, 0), exit()]);
        p.helper(2, "region", h_region, ret, [ARG_ANYTHING, 0, 0, 0, 0]);
        p.helpers[2].ret_size_arg = size_arg;
        assert_eq!(p.check().0, 0);
        let out = p.run(&mut s, &mut [], 0, 0, std::ptr::null_mut());
        assert_eq!(out.error, -error, "ret kind {ret}, size in r{size_arg}: {size}");
    }
    for (arg, error) in [(ARG_ANYTHING, EINVAL), (ARG_PTR_TO_ALLOC_MEM, 0)] {
        let mut p = Program::new(vec![call(2), jeq_imm(0, 0, 2), mov64_reg(1, 0), call(3), mov64_imm(0, 0), exit()]);
        p.helper(2, "region", h_region, RET_MEM_OR_NULL, [0; 5]);
        p.helper(3, "release", h_release, RET_VOID, [arg, 0, 0, 0, 0]);
        assert_eq!(p.check().0, 0);
        let out = p.run(&mut s, &mut [], 0, 0, std::ptr::null_mut());
        assert_eq!(out.error, -error, "release through arg kind {arg}");
    }
}

#[test]
fn ring_buffer_records_by_size_until_released() {
    // r6 = reserve(16); null check; *(u64 *)(r6 + 8) = 1; submit(r6); r0 = 0
    unsafe extern "C" fn h_reserve(run: *mut Run, size: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
        thread_local!(static REC: std::cell::UnsafeCell<[u64; 4]> = const { std::cell::UnsafeCell::new([0; 4]) });
        let base = REC.with(|m| m.get()) as *mut c_void;
        ebpf_set_ret_region(run, base, size as u32, true);
        base as u64
    }
    unsafe extern "C" fn h_submit(run: *mut Run, p: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
        ebpf_invalidate_region(run, p as *mut c_void);
        0
    }
    let mut p = Program::new(vec![
        mov64_imm(1, 16),
        call(2),
        mov64_reg(6, 0),
        jeq_imm(0, 0, 4),
        st(DW, 6, 8, 1),
        mov64_reg(1, 6),
        call(3),
        mov64_reg(0, 6),
        mov64_imm(0, 0),
        exit(),
    ]);
    p.helper(2, "reserve", h_reserve, RET_MEM_OR_NULL, [ARG_ANYTHING, 0, 0, 0, 0]);
    p.helpers[2].ret_size_arg = 1;
    p.helper(3, "submit", h_submit, RET_VOID, [ARG_PTR_TO_ALLOC_MEM, 0, 0, 0, 0]);
    assert_eq!(p.check().0, 0);
    let k = kinds(&p.raw()).expect("ebpf_kinds");
    assert_eq!((k[3].r[6].kind, k[3].r[6].val), (K_MEM_OR_NULL, 16));
    assert_eq!((kind_at(&k, 4, 6), k[4].r[6].val), ((K_MEM, 0, 0), 16), "after its null check");
    assert_eq!(kind_at(&k, 7, 6).0, K_UNKNOWN, "submitted: no longer memory");
    let mut s = Scratch::new();
    assert_eq!(p.run(&mut s, &mut [], 0, 0, std::ptr::null_mut()).error, 0);
}

#[test]
fn conformance_accesses_with_fixed_addresses() {
    let Some(text) = conformance_vectors() else { return };
    let mut scratch = Scratch::new();
    let before = kinds_counts();
    let mut ran = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let mut p = Program::new(insns_from_hex(v["insns"].as_str().unwrap()));
        p.ctx_writable = true;
        if p.check().0 != 0 {
            continue;
        }
        let mut mem = hex::decode(v["mem"].as_str().unwrap_or("")).unwrap();
        let len = mem.len() as u64;
        p.run(&mut scratch, &mut mem, len, 0, std::ptr::null_mut());
        ran += 1;
    }
    let after = kinds_counts();
    let (insns, accesses, fixed) = (after.0 - before.0, after.1 - before.1, after.2 - before.2);
    println!(
        "{ran} vectors, {insns} instructions held against the static kinds; {fixed} of {accesses} loads and stores at a fixed address"
    );
    assert!(ran > 100 && insns > 0, "{ran} vectors ran");
    // most vectors address r1's memory or the stack at constant offsets
    assert!(fixed * 10 >= accesses * 8, "{fixed} of {accesses}");
}
