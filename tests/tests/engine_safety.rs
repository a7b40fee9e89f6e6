//! Hostile programs against the portable engine: every one must be rejected at
//! load or abort cleanly at run time, never touch memory it was not given, and
//! never run past its budget.  Ends with a randomized fuzz loop (fixed seed).
// Links the engine: build.rs attaches libebpf_engine.a to the library crate.
extern crate bpfcompat_tests;

use bpfcompat_tests::engine as engine_common;

use engine_common::asm::*;
use engine_common::*;
use std::ffi::c_void;

fn prog(parts: &[&[Insn]]) -> Program {
    Program::new(parts.iter().flat_map(|p| p.iter().copied()).collect())
}

/// Check must pass; run with a ctx buffer; return the outcome.
fn run_checked(p: &Program, ctx: &mut [u8]) -> Outcome {
    let (rc, log) = p.check();
    assert_eq!(rc, 0, "checker rejected: {log}");
    let mut s = Scratch::new();
    p.run(&mut s, ctx, 0, 0, std::ptr::null_mut())
}

/// Run without asking the checker (the engine must be safe on its own).
fn run_raw(p: &Program, ctx: &mut [u8], budget: u64) -> Outcome {
    let mut s = Scratch::new();
    p.run(&mut s, ctx, 0, budget, std::ptr::null_mut())
}

fn assert_fault(o: &Outcome, pc: u32) {
    assert_eq!(o.error, -EFAULT, "expected -EFAULT at pc {pc}, got error {} at {}", o.error, o.error_pc);
    assert_eq!(o.error_pc, pc);
    assert_eq!(o.r0, 0);
}

fn assert_rejected(p: &Program, rc_want: i32, msg: &str) {
    let (rc, log) = p.check();
    assert_eq!(rc, rc_want, "log: {log}");
    assert!(log.contains(msg), "expected {msg:?} in log {log:?}");
}

#[test]
fn layout_matches_header() {
    check_layout();
}

#[test]
fn stack_bounds() {
    // in bounds: store and load back
    let p = prog(&[&[st(DW, 10, -8, 42), ldx(DW, 0, 10, -8), exit()]]);
    let o = run_checked(&p, &mut []);
    assert_eq!((o.error, o.r0), (0, 42));
    // below the frame
    let p = prog(&[&[ldx(DW, 0, 10, -520), exit()]]);
    assert_fault(&run_checked(&p, &mut []), 0);
    // at/above the top of the frame
    let p = prog(&[&[ldx(B, 0, 10, 0), exit()]]);
    assert_fault(&run_checked(&p, &mut []), 0);
    // straddling the top
    let p = prog(&[&[mov64_imm(0, 0), stx(DW, 10, 0, -4), exit()]]);
    assert_fault(&run_checked(&p, &mut []), 1);
    // stack pointer arithmetic out of the frame, by a run-time scalar
    let p = prog(&[&[mov64_reg(2, 10), mov64_imm(3, -1000), add64_reg(2, 3), ldx(W, 0, 2, 0), exit()]]);
    assert_fault(&run_checked(&p, &mut []), 3);
    // pointer + pointer is a scalar
    let p = prog(&[&[mov64_reg(2, 10), add64_reg(2, 10), add64_imm(2, -8), ldx(B, 0, 2, 0), exit()]]);
    assert_fault(&run_checked(&p, &mut []), 3);
    // ptr - ptr is a scalar (the difference), and usable as such
    let p = prog(&[&[mov64_reg(2, 10), add64_imm(2, -16), mov64_reg(0, 10), sub64_reg(0, 2), exit()]]);
    assert_eq!(run_checked(&p, &mut []).r0, 16);
    // 32-bit ALU on a pointer makes a scalar
    let p = prog(&[&[Insn::new(0xbc, 2, 10, 0, 0), add64_imm(2, -8), ldx(B, 0, 2, 0), exit()]]);
    assert_fault(&run_checked(&p, &mut []), 2);
    // the stack starts zeroed
    let p = prog(&[&[ldx(DW, 0, 10, -512), exit()]]);
    assert_eq!(run_checked(&p, &mut []).r0, 0);
}

#[test]
fn ctx_bounds_and_read_only() {
    let mut ctx = [1u8, 2, 3, 4, 5, 6, 7, 8];
    let p = prog(&[&[ldx(W, 0, 1, 4), exit()]]);
    let o = run_checked(&p, &mut ctx);
    assert_eq!(o.r0, u32::from_le_bytes([5, 6, 7, 8]) as u64);
    let p = prog(&[&[ldx(W, 0, 1, 6), exit()]]);
    assert_fault(&run_checked(&p, &mut ctx), 0);
    let p = prog(&[&[ldx(B, 0, 1, -1), exit()]]);
    assert_fault(&run_checked(&p, &mut ctx), 0);
    // read-only ctx
    let mut p = prog(&[&[st(B, 1, 0, 9), mov64_imm(0, 0), exit()]]);
    p.ctx_writable = false;
    assert_fault(&run_checked(&p, &mut ctx), 0);
    p.insns[0] = atomic(W, 1, 0, 0, 0); // lock add
    assert_fault(&run_checked(&p, &mut ctx), 0);
    assert_eq!(ctx, [1, 2, 3, 4, 5, 6, 7, 8]);
    p.ctx_writable = true;
    p.insns[0] = st(B, 1, 0, 9);
    assert_eq!(run_checked(&p, &mut ctx).error, 0);
    assert_eq!(ctx[0], 9);
    // no ctx at all (NULL, size 0)
    let p = prog(&[&[ldx(B, 0, 1, 0), exit()]]);
    assert_fault(&run_checked(&p, &mut []), 0);
}

#[test]
fn pointers_from_scalars() {
    let secret = Box::new(0x5ec2e7u64);
    let addr = &*secret as *const u64 as u64;
    // a real host address as a constant
    let p = prog(&[&ld_imm64(1, 0, addr), &[ldx(DW, 0, 1, 0), exit()]]);
    assert_fault(&run_checked(&p, &mut []), 2);
    // a small integer
    let p = prog(&[&[mov64_imm(1, 4096), stx(DW, 1, 1, 0), exit()]]);
    assert_fault(&run_checked(&p, &mut []), 1);
    // ctx address computed as a number (ctx - ctx + ctx via scalar ops)
    let mut ctx = [0u8; 16];
    let p = prog(&[&[mov64_reg(2, 1), alu64(0x40, 2, 0xff, 0), ldx(B, 0, 2, 0), exit()]]); // or 0
    assert_fault(&run_checked(&p, &mut ctx), 2);
    assert_eq!(*secret, 0x5ec2e7);
}

#[test]
fn spilled_pointers() {
    let mut ctx = [7u8; 8];
    // spill ctx pointer, fill, use
    let p = prog(&[&[stx(DW, 10, 1, -8), ldx(DW, 2, 10, -8), ldx(B, 0, 2, 0), exit()]]);
    assert_eq!(run_checked(&p, &mut ctx).r0, 7);
    // a byte store into the spilled pointer makes it a scalar
    let p = prog(&[&[stx(DW, 10, 1, -8), st(B, 10, -8, 0), ldx(DW, 2, 10, -8), ldx(B, 0, 2, 0), exit()]]);
    assert_fault(&run_checked(&p, &mut ctx), 3);
    // partial (32-bit) reload is a scalar
    let p = prog(&[&[stx(DW, 10, 1, -8), ldx(W, 2, 10, -8), ldx(B, 0, 2, 0), exit()]]);
    assert_fault(&run_checked(&p, &mut ctx), 2);
    // misaligned spill does not keep the tag
    let p = prog(&[&[stx(DW, 10, 1, -12), ldx(DW, 2, 10, -12), ldx(B, 0, 2, 0), exit()]]);
    assert_fault(&run_checked(&p, &mut ctx), 2);
    // atomic on the spill slot forgets it
    let p = prog(&[&[stx(DW, 10, 1, -8), mov64_imm(3, 0), atomic(DW, 10, 3, -8, 0), ldx(DW, 2, 10, -8), ldx(B, 0, 2, 0), exit()]]);
    assert_fault(&run_checked(&p, &mut ctx), 4);
}

#[test]
fn budget_bounds_every_run() {
    let p = prog(&[&[ja(-1)]]);
    let (rc, _) = p.check();
    assert_eq!(rc, 0); // bounded loops are allowed; the budget ends them
    let o = run_raw(&p, &mut [], 10_000);
    assert_eq!((o.error, o.budget_left), (-E2BIG, 0));
    let o = run_raw(&p, &mut [], 0); // default budget
    assert_eq!(o.error, -E2BIG);
    // exact budget: 3 instructions need a budget of 3
    let p = prog(&[&[mov64_imm(0, 1), add64_imm(0, 1), exit()]]);
    assert_eq!(run_raw(&p, &mut [], 3).r0, 2);
    assert_eq!(run_raw(&p, &mut [], 2).error, -E2BIG);
}

#[test]
fn recursion_and_call_depth() {
    // direct recursion
    let p = prog(&[&[call_local(1), exit(), call_local(-1), exit()]]);
    assert_rejected(&p, -EINVAL, "back-edge from insn 2 to 2");
    // at run time too, if the checker is bypassed
    let o = run_raw(&p, &mut [], 0);
    assert_eq!(o.error, -ELOOP);
    // mutual recursion
    let p = prog(&[&[call_local(1), exit(), call_local(1), exit(), call_local(-3), exit()]]);
    assert_rejected(&p, -EINVAL, "back-edge");
    // a chain of 8 frames is fine, 9 is too deep
    for (frames, ok) in [(8usize, true), (9, false)] {
        let mut v = vec![];
        for _ in 0..frames - 1 {
            v.push(call_local(1));
            v.push(exit());
        }
        v.push(mov64_imm(0, 5));
        v.push(exit());
        let p = Program::new(v);
        let (rc, log) = p.check();
        if ok {
            assert_eq!(rc, 0, "{log}");
            let o = run_raw(&p, &mut [], 0);
            assert_eq!((o.error, o.r0), (0, 5));
        } else {
            assert_eq!(rc, -E2BIG, "{log}");
            assert!(log.contains("the call stack of 9 frames is too deep"), "{log}");
            assert_eq!(run_raw(&p, &mut [], 0).error, -ELOOP);
        }
    }
}

#[test]
fn frames_are_separate() {
    // callee gets its own frame; the caller's r6-r9 and stack survive
    let p = prog(&[&[
        st(DW, 10, -8, 11),
        mov64_imm(6, 6),
        mov64_reg(1, 10),
        add64_imm(1, -8),
        call_local(3),
        ldx(DW, 0, 10, -8),
        add64_reg(0, 6),
        exit(),
        // callee: writes through the caller's stack pointer, clobbers r6, reads its own frame
        ldx(DW, 2, 1, 0),
        add64_imm(2, 100),
        stx(DW, 1, 2, 0),
        mov64_imm(6, 0),
        ldx(DW, 0, 10, -8),
        exit(),
    ]]);
    let o = run_checked(&p, &mut []);
    assert_eq!((o.error, o.r0), (0, 111 + 6));
    // a callee's stack pointer does not survive its return
    let p = prog(&[&[call_local(2), ldx(DW, 0, 0, 0), exit(), mov64_reg(0, 10), add64_imm(0, -8), exit()]]);
    assert_fault(&run_checked(&p, &mut []), 1);
}

#[test]
fn misaligned_atomics_abort() {
    let p = prog(&[&[mov64_imm(1, 1), atomic(DW, 10, 1, -12, 0), mov64_imm(0, 0), exit()]]);
    assert_fault(&run_checked(&p, &mut []), 1);
    let p = prog(&[&[mov64_imm(1, 1), atomic(W, 10, 1, -6, 1), mov64_imm(0, 0), exit()]]);
    assert_fault(&run_checked(&p, &mut []), 1);
    let p = prog(&[&[mov64_imm(1, 1), atomic(W, 10, 1, -8, 0xe1), exit()]]);
    assert_eq!(run_checked(&p, &mut []).error, 0);
    // atomic ops on a map value are checked like stores
}

#[test]
fn r10_is_read_only() {
    let p = prog(&[&[mov64_imm(10, 0), exit()]]);
    assert_rejected(&p, -EINVAL, "frame pointer is read only");
    let p = prog(&[&[add64_imm(10, -8), exit()]]);
    assert_rejected(&p, -EINVAL, "frame pointer is read only");
    let p = prog(&[&[ldx(DW, 10, 1, 0), exit()]]);
    assert_rejected(&p, -EINVAL, "frame pointer is read only");
    // bypassing the checker: r10 = 0 is then just a scalar
    let p = prog(&[&[mov64_imm(10, 0), stx(DW, 10, 10, -8), exit()]]);
    assert_fault(&run_raw(&p, &mut [], 0), 1);
    let p = prog(&[&[Insn::new(0xb7, 11, 0, 0, 0), exit()]]);
    assert_rejected(&p, -EINVAL, "R11 is invalid");
}

// ---- helpers ---------------------------------------------------------------

struct TestMap {
    value: [u64; 2],
}

unsafe extern "C" fn h_lookup(_run: *mut Run, map: u64, key: u64, _: u64, _: u64, _: u64) -> u64 {
    let m = map as *mut TestMap;
    let k = *(key as *const u32);
    if k == 0 {
        (*m).value.as_mut_ptr() as u64
    } else {
        0
    }
}

unsafe extern "C" fn h_sum(_run: *mut Run, p: u64, n: u64, _: u64, _: u64, _: u64) -> u64 {
    std::slice::from_raw_parts(p as *const u8, n as usize).iter().map(|&b| b as u64).sum()
}

unsafe extern "C" fn h_fill(_run: *mut Run, p: u64, n: u64, _: u64, _: u64, _: u64) -> u64 {
    std::ptr::write_bytes(p as *mut u8, 0xab, n as usize);
    0
}

thread_local! {
    static RING: std::cell::UnsafeCell<[u8; 32]> = const { std::cell::UnsafeCell::new([0; 32]) };
}

unsafe extern "C" fn h_reserve(run: *mut Run, size: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    if size > 32 {
        return 0;
    }
    let base = RING.with(|r| r.get()) as *mut c_void;
    ebpf_set_ret_region(run, base, size as u32, true);
    base as u64
}

unsafe extern "C" fn h_submit(run: *mut Run, p: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    if !ebpf_arg_access_ok(run, 1, p, 1, false) {
        return u64::MAX;
    }
    ebpf_invalidate_region(run, p as *mut c_void);
    0
}

unsafe extern "C" fn h_tail(run: *mut Run, next: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    if ebpf_tail_call(run, next as *const Prog) == 0 {
        0
    } else {
        u64::MAX
    }
}

fn with_helpers(mut p: Program, map: &mut TestMap, readonly: bool) -> Program {
    p.helper(1, "map_lookup_elem", h_lookup, RET_MAP_VALUE_OR_NULL, [ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, 0, 0, 0]);
    p.helper(2, "sum", h_sum, RET_INTEGER, [ARG_PTR_TO_MEM, ARG_CONST_SIZE, 0, 0, 0]);
    p.helper(3, "fill", h_fill, RET_INTEGER, [ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE, 0, 0, 0]);
    p.helper(4, "reserve", h_reserve, RET_MEM_OR_NULL, [ARG_ANYTHING, 0, 0, 0, 0]);
    p.helpers[4].ret_size_arg = 1;
    p.helper(5, "submit", h_submit, RET_INTEGER, [ARG_PTR_TO_ALLOC_MEM, 0, 0, 0, 0]);
    p.helper(6, "tail", h_tail, RET_INTEGER, [ARG_ANYTHING, 0, 0, 0, 0]);
    p.helper(7, "submit_alloc", h_submit, RET_VOID, [ARG_PTR_TO_ALLOC_MEM, 0, 0, 0, 0]);
    p.helper(181, "loop", ebpf_helper_loop, RET_INTEGER, [ARG_ANYTHING, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL, ARG_ANYTHING, 0]);
    p.maps.push(MapRef {
        value_readonly: readonly,
        ..MapRef::new(map as *mut TestMap as *mut c_void, 4, 16).with_values(map.value.as_mut_ptr() as *mut u8, 16)
    });
    p
}

#[test]
fn helper_arguments_are_validated() {
    let mut map = TestMap { value: [5, 6] };
    let key0: &[Insn] = &[st(W, 10, -4, 0), mov64_reg(2, 10), add64_imm(2, -4)];
    // lookup, null check, read and write the value
    let p = with_helpers(
        prog(&[&ld_imm64(1, 1, 0), key0, &[call(1), jeq_imm(0, 0, 3), ldx(DW, 1, 0, 8), stx(DW, 0, 1, 0), ja(1), exit(), exit()]]),
        &mut map,
        false,
    );
    let o = run_checked(&p, &mut []);
    assert_eq!(o.error, 0);
    assert_eq!(map.value, [6, 6]);
    // write past the value
    let p = with_helpers(prog(&[&ld_imm64(1, 1, 0), key0, &[call(1), jeq_imm(0, 0, 1), stx(DW, 0, 0, 16), exit()]]), &mut map, false);
    assert_fault(&run_checked(&p, &mut []), 7);
    // map argument that is not a map pointer
    let p = with_helpers(prog(&[&ld_imm64(1, 1, 0), &[add64_imm(1, 8)], key0, &[call(1), exit()]]), &mut map, false);
    let o = run_checked(&p, &mut []);
    assert_eq!((o.error, o.error_pc), (-EFAULT, 6));
    let p = with_helpers(prog(&[&[mov64_imm(1, 0)], key0, &[call(1), exit()]]), &mut map, false);
    assert_eq!(run_checked(&p, &mut []).error, -EFAULT);
    // key pointer not readable for key_size (points 2 bytes below the top)
    let p = with_helpers(prog(&[&ld_imm64(1, 1, 0), &[mov64_reg(2, 10), add64_imm(2, -2), call(1), exit()]]), &mut map, false);
    assert_eq!(run_checked(&p, &mut []).error, -EFAULT);
    // mem + size: in bounds, out of bounds, zero size, scalar pointer
    let sum = |off: i32, size: i32| {
        with_helpers(
            prog(&[&[st(DW, 10, -8, 0x0101), mov64_reg(1, 10), add64_imm(1, off), mov64_imm(2, size), call(2), exit()]]),
            &mut TestMap { value: [0; 2] },
            false,
        )
    };
    assert_eq!(run_checked(&sum(-8, 8), &mut []).r0, 2);
    assert_eq!(run_checked(&sum(-8, 9), &mut []).error, -EFAULT);
    assert_eq!(run_checked(&sum(-600, 8), &mut []).error, -EFAULT);
    assert_eq!(run_checked(&sum(-8, 0), &mut []).error, -EINVAL);
    let p = with_helpers(prog(&[&[mov64_imm(1, 4096), mov64_imm(2, 8), call(2), exit()]]), &mut map, false);
    assert_eq!(run_checked(&p, &mut []).error, -EFAULT);
    // uninit (writable) mem: not into read-only ctx, not past the stack
    let mut ctx = [0u8; 8];
    let mut p = with_helpers(prog(&[&[mov64_imm(2, 8), call(3), exit()]]), &mut map, false);
    p.ctx_writable = false;
    assert_eq!(run_checked(&p, &mut ctx).error, -EFAULT);
    assert_eq!(ctx, [0; 8]);
    p.ctx_writable = true;
    assert_eq!(run_checked(&p, &mut ctx).error, 0);
    assert_eq!(ctx, [0xab; 8]);
    // a helper overwriting a spilled pointer forgets it
    let p = with_helpers(
        prog(&[&[
            stx(DW, 10, 1, -8),
            mov64_reg(1, 10),
            add64_imm(1, -8),
            mov64_imm(2, 8),
            call(3),
            ldx(DW, 1, 10, -8),
            ldx(B, 0, 1, 0),
            exit(),
        ]]),
        &mut map,
        false,
    );
    assert_fault(&run_checked(&p, &mut ctx), 6);
    // r1-r5 are clobbered by a call
    let p = with_helpers(prog(&[&[mov64_reg(6, 1), mov64_imm(2, 8), call(2), ldx(B, 0, 6, 0), ldx(B, 0, 1, 0), exit()]]), &mut map, false);
    assert_fault(&run_checked(&p, &mut ctx), 4);
}

#[test]
fn map_values_direct_and_read_only() {
    let mut map = TestMap { value: [1, 2] };
    // PSEUDO_MAP_VALUE: read at offset 8, write allowed
    let p = with_helpers(prog(&[&ld_map_value(1, 0, 8), &[ldx(DW, 0, 1, 0), st(DW, 1, 0, 9), exit()]]), &mut map, false);
    let o = run_checked(&p, &mut []);
    assert_eq!((o.error, o.r0), (0, 2));
    assert_eq!(map.value, [1, 9]);
    // past the region
    let p = with_helpers(prog(&[&ld_map_value(1, 0, 8), &[ldx(DW, 0, 1, 8), exit()]]), &mut map, false);
    assert_fault(&run_checked(&p, &mut []), 2);
    // read-only map (BPF_F_RDONLY_PROG): the store is refused at load, as Linux's verifier
    // refuses it, and the interpreter still refuses it when nothing checked the program
    let p = with_helpers(prog(&[&ld_map_value(1, 0, 0), &[ldx(DW, 0, 1, 0), st(DW, 1, 0, 3), exit()]]), &mut map, true);
    assert_rejected(&p, -EACCES, "write into map forbidden");
    assert_fault(&run_raw(&p, &mut [], 0), 3);
    assert_eq!(map.value, [1, 9]);
    // ... through a pointer moved within the value, and by an atomic
    let p = with_helpers(prog(&[&ld_map_value(1, 0, 0), &[add64_imm(1, 8), mov64_reg(2, 1), st(W, 2, 0, 3), exit()]]), &mut map, true);
    assert_rejected(&p, -EACCES, "write into map forbidden");
    let p = with_helpers(prog(&[&ld_map_value(1, 0, 0), &[mov64_imm(2, 1), atomic(DW, 1, 2, 0, 0 /* BPF_ADD */), exit()]]), &mut map, true);
    assert_rejected(&p, -EACCES, "write into map forbidden");
    // write-only map (BPF_F_WRONLY_PROG): stores load, reads do not
    let mut p = with_helpers(prog(&[&ld_map_value(1, 0, 0), &[st(DW, 1, 0, 4), mov64_imm(0, 0), exit()]]), &mut map, false);
    p.maps[0].value_writeonly = true;
    assert_eq!(run_checked(&p, &mut []).error, 0);
    assert_eq!(map.value, [4, 9]);
    let mut p = with_helpers(prog(&[&ld_map_value(1, 0, 0), &[ldx(DW, 0, 1, 0), exit()]]), &mut map, false);
    p.maps[0].value_writeonly = true;
    assert_rejected(&p, -EACCES, "read from map forbidden");
    // offset outside the value at load
    let p = with_helpers(prog(&[&ld_map_value(1, 0, 16), &[exit()]]), &mut map, false);
    assert_rejected(&p, -EACCES, "invalid access to map value pointer");
    // map index out of range, unknown pseudo source
    let p = with_helpers(prog(&[&ld_imm64(1, 1, 3), &[exit()]]), &mut map, false);
    assert_rejected(&p, -EINVAL, "fd 3 is not pointing to valid bpf_map");
    let p = prog(&[&ld_imm64(1, 3, 0), &[exit()]]);
    assert_rejected(&p, -EINVAL, "unsupported ld_imm64 pseudo src 3");
    // a map handle cannot be dereferenced
    let p = with_helpers(prog(&[&ld_imm64(1, 1, 0), &[ldx(DW, 0, 1, 0), exit()]]), &mut map, false);
    assert_fault(&run_checked(&p, &mut []), 2);
}

#[test]
fn helper_memory_regions() {
    let mut map = TestMap { value: [0; 2] };
    // reserve 16, write inside, write past, submit then write
    let base: &[Insn] = &[mov64_imm(1, 16), call(4), jeq_imm(0, 0, 6), mov64_reg(6, 0)];
    let p = with_helpers(prog(&[base, &[st(DW, 6, 8, 1), mov64_reg(1, 6), call(5), mov64_imm(0, 0), exit(), exit()]]), &mut map, false);
    assert_eq!(run_checked(&p, &mut []).error, 0);
    let p = with_helpers(prog(&[base, &[st(DW, 6, 16, 1), mov64_reg(1, 6), call(5), mov64_imm(0, 0), exit(), exit()]]), &mut map, false);
    assert_fault(&run_checked(&p, &mut []), 4);
    let p = with_helpers(
        prog(&[base, &[stx(DW, 10, 6, -8), mov64_reg(1, 6), call(5), ldx(DW, 7, 10, -8), st(DW, 7, 0, 1), exit()]]),
        &mut map,
        false,
    );
    let o = run_checked(&p, &mut []);
    assert_fault(&o, 8);
    let p = with_helpers(prog(&[base, &[mov64_reg(1, 6), call(5), st(DW, 6, 0, 1), mov64_imm(0, 0), exit(), exit()]]), &mut map, false);
    assert_fault(&run_checked(&p, &mut []), 6);
}

/// ARG_PTR_TO_ALLOC_MEM (ring buffer submit/discard): only the unmodified pointer a helper
/// handed out, and only while it is still valid.
#[test]
fn alloc_mem_arguments() {
    let mut map = TestMap { value: [0; 2] };
    let base: &[Insn] = &[mov64_imm(1, 16), call(4), jeq_imm(0, 0, 6), mov64_reg(6, 0)];
    let ok = with_helpers(prog(&[base, &[mov64_reg(1, 6), call(7), mov64_imm(0, 0), mov64_imm(0, 0), exit(), exit()]]), &mut map, false);
    assert_eq!(run_checked(&ok, &mut []).error, 0);
    // an interior pointer
    let p = with_helpers(prog(&[base, &[mov64_reg(1, 6), add64_imm(1, 8), call(7), mov64_imm(0, 0), exit(), exit()]]), &mut map, false);
    assert_fault(&run_checked(&p, &mut []), 6);
    // stack memory
    let p = with_helpers(prog(&[base, &[mov64_reg(1, 10), add64_imm(1, -8), call(7), mov64_imm(0, 0), exit(), exit()]]), &mut map, false);
    assert_fault(&run_checked(&p, &mut []), 6);
    // submitted twice: the first submit invalidated it
    let p = with_helpers(prog(&[base, &[mov64_reg(1, 6), call(7), mov64_reg(1, 6), call(7), exit(), exit()]]), &mut map, false);
    assert_fault(&run_checked(&p, &mut []), 7);
}

#[test]
fn tail_calls() {
    let mut map = TestMap { value: [0; 2] };
    let target = Program::new(vec![mov64_imm(0, 77), exit()]);
    let target_raw = target.raw();
    let addr = &target_raw as *const Prog as u64;
    let p = with_helpers(prog(&[&ld_imm64(1, 0, addr), &[call(6), mov64_imm(0, 1), exit()]]), &mut map, false);
    assert_eq!(run_checked(&p, &mut []).r0, 77);
    // a program tail-calling itself stops after 33 tail calls and goes on
    let mut selfp = with_helpers(prog(&[&ld_imm64(1, 0, 0), &[call(6), exit()]]), &mut map, false);
    let mut raw = selfp.raw();
    let raw_addr = &mut raw as *mut Prog as u64;
    selfp.insns[0].imm = raw_addr as u32 as i32;
    selfp.insns[1].imm = (raw_addr >> 32) as u32 as i32;
    raw = selfp.raw();
    let mut s = Scratch::new();
    let mut run = Run::new(&raw, std::ptr::null_mut(), 0);
    let r0 = unsafe { ebpf_run_prog(&mut run, s.ptr(), std::ptr::null_mut(), 0) };
    assert_eq!((run.error, r0, run.tail_calls), (0, u64::MAX, 33));
}

#[test]
fn checker_messages() {
    let cases: Vec<(Vec<Insn>, i32, &str)> = vec![
        (vec![], -E2BIG, ""),
        (vec![mov64_imm(0, 0)], -EINVAL, "last insn is not an exit or jmp"),
        (vec![ja(5), exit()], -EINVAL, "jump out of range from insn 0 to 6"),
        (vec![jeq_imm(1, 0, -3), exit()], -EINVAL, "jump out of range from insn 0 to -2"),
        (vec![ja(1), ld_imm64(0, 0, 1)[0], ld_imm64(0, 0, 1)[1], exit()], -EINVAL, "jump into the middle of ldimm64 insn 1"),
        (vec![ld_imm64(0, 0, 1)[0]], -EINVAL, "invalid bpf_ld_imm64 insn"),
        (vec![ld_imm64(0, 0, 1)[0], exit()], -EINVAL, "invalid bpf_ld_imm64 insn"),
        (vec![call(1), exit()], -EINVAL, "invalid func unknown#1"),
        (vec![call(-1), exit()], -EINVAL, "invalid func unknown#-1"),
        (vec![Insn::new(0x85, 0, 2, 0, 1), exit()], -EINVAL, "calling kernel function is not supported"),
        (vec![call_local(5), exit()], -EINVAL, "call to invalid destination"),
        (vec![Insn::new(0xff, 0, 0, 0, 0), exit()], -EINVAL, "unknown opcode ff"),
        (vec![Insn::new(0x8d, 0, 1, 0, 0), exit()], -EINVAL, "unknown opcode 8d"),
        (vec![Insn::new(0x20, 0, 0, 0, 0), exit()], -EINVAL, "BPF_LD_[ABS|IND] instructions not allowed"),
        (vec![Insn::new(0x37, 0, 0, 0, 0), exit()], -EINVAL, "div by zero"),
        (vec![Insn::new(0x67, 0, 0, 0, 64), exit()], -EINVAL, "invalid shift 64"),
        (vec![Insn::new(0xd4, 0, 0, 0, 8), exit()], -EINVAL, "BPF_END uses reserved fields"),
        (vec![Insn::new(0xdb, 0, 1, 0, 0x42), exit()], -EINVAL, "BPF_ATOMIC uses invalid atomic opcode 42"),
        (vec![Insn::new(0xd3, 0, 1, 0, 0), exit()], -EINVAL, "invalid atomic operand size"),
        (vec![Insn::new(0xdb, 1, 10, 0, 1), exit()], -EINVAL, "frame pointer is read only"),
        (vec![exit(), exit()], -EINVAL, "unreachable insn 1"),
        (vec![Insn::new(0x61, 0, 12, 0, 0), exit()], -EINVAL, "R12 is invalid"),
        (vec![call_local(1), exit(), jeq_imm(0, 0, -3), exit()], -EINVAL, "jump out of range from insn 2 to 0"),
        (vec![call_local(1), exit(), mov64_imm(0, 0)], -EINVAL, "last insn is not an exit or jmp"),
    ];
    for (insns, rc, msg) in cases {
        let p = Program::new(insns.clone());
        let (got, log) = p.check();
        assert_eq!(got, rc, "{insns:?}: {log}");
        assert!(log.contains(msg), "{insns:?}: expected {msg:?} in {log:?}");
    }
    // a helper that exists in the table but not for this program type
    let mut p = Program::new(vec![call(2), exit()]);
    p.helper(1, "x", h_sum, RET_INTEGER, [ARG_PTR_TO_MEM, ARG_CONST_SIZE, 0, 0, 0]);
    p.helpers.push(Helper::absent(c"bpf_probe_write_user".as_ptr()));
    assert_rejected(&p, -EINVAL, "unknown func bpf_probe_write_user#2");
    // tiny log buffers are truncated safely
    let p = Program::new(vec![Insn::new(0xff, 0, 0, 0, 0), exit()]);
    let prog = p.raw();
    for size in [1usize, 2, 5, 17] {
        let mut buf = vec![0x55u8; size + 4];
        let mut log = Log { buf: buf.as_mut_ptr() as *mut _, size: size as u32, len: 0, level: 1 };
        assert_eq!(unsafe { ebpf_check(&prog, &mut log) }, -EINVAL);
        assert!((log.len as usize) < size);
        assert_eq!(buf[log.len as usize], 0);
        assert!(buf[size..].iter().all(|&b| b == 0x55), "wrote past the log buffer");
    }
    // level 0: nothing written
    let mut buf = vec![0x55u8; 64];
    let mut log = Log { buf: buf.as_mut_ptr() as *mut _, size: 64, len: 0, level: 0 };
    assert_eq!(unsafe { ebpf_check(&prog, &mut log) }, -EINVAL);
    assert_eq!(log.len, 0);
}

#[test]
fn dead_calls_behind_constant_branches() {
    const CORE_POISON: i32 = 0xbad2310;
    // libbpf CO-RE guard resolved to "absent": the poisoned call is dead
    let p = prog(&[&[mov64_imm(1, 0), jeq_imm(1, 0, 2), call(CORE_POISON), exit(), mov64_imm(0, 7), exit()]]);
    let o = run_checked(&p, &mut []);
    assert_eq!((o.error, o.r0), (0, 7));
    // ... through a 32-bit move, a JMP32 compare and unrelated insns in between
    let p = prog(&[&[
        mov32_imm(3, 1),
        mov64_imm(2, 5),
        st(DW, 10, -8, 1),
        Insn::new(0x56, 3, 0, 2, 1), // if w3 != 1 goto +2
        mov64_imm(0, 1),
        exit(),
        Insn::new(0x85, 0, 2, 0, 7), // kfunc call, dead
        exit(),
    ]]);
    let o = run_checked(&p, &mut []);
    assert_eq!((o.error, o.r0), (0, 1));
    // ... and a map ldimm64 poisoned into two calls
    let p = prog(&[&[mov64_imm(1, 1), jne_imm(1, 0, 3), call(2001000000), call(2001000000), exit(), mov64_imm(0, 0), exit()]]);
    assert_eq!(run_checked(&p, &mut []).error, 0);
    // resolved to "present": reachable, rejected like Linux
    let p = prog(&[&[mov64_imm(1, 1), jeq_imm(1, 0, 2), call(CORE_POISON), exit(), mov64_imm(0, 7), exit()]]);
    assert_rejected(&p, -EINVAL, "invalid func unknown#195896080");
    // in Linux's shape, the instruction and then the error: libbpf's log fixup turns the
    // pair into the CO-RE relocation that failed (it ignores a lone error line)
    assert_rejected(&p, -EINVAL, "2: (85) call unknown#195896080\ninvalid func unknown#195896080\n");
    // a branch on run-time data decides nothing
    let p = prog(&[&[ldx(B, 1, 1, 0), jeq_imm(1, 0, 2), call(CORE_POISON), exit(), mov64_imm(0, 7), exit()]]);
    assert_rejected(&p, -EINVAL, "invalid func unknown#195896080");
    // the constant does not survive a write or a second way into the block
    let p = prog(&[&[mov64_imm(1, 0), add64_imm(1, 1), jeq_imm(1, 0, 2), call(CORE_POISON), exit(), mov64_imm(0, 7), exit()]]);
    assert_rejected(&p, -EINVAL, "invalid func unknown");
    let p = prog(&[&[
        ldx(B, 2, 1, 0),
        mov64_imm(1, 0),
        jeq_imm(2, 0, 1),
        mov64_imm(1, 1),
        jeq_imm(1, 0, 2),
        call(CORE_POISON),
        exit(),
        mov64_imm(0, 7),
        exit(),
    ]]);
    assert_rejected(&p, -EINVAL, "invalid func unknown");
    let p = prog(&[&[mov64_imm(0, 0), call(1), jeq_imm(0, 0, 2), call(CORE_POISON), exit(), exit()]]);
    let mut p = p;
    p.helper(1, "h", h_sum, RET_INTEGER, [ARG_ANYTHING, ARG_ANYTHING, 0, 0, 0]);
    assert_rejected(&p, -EINVAL, "invalid func unknown");
    // an unknown helper that does execute (checker bypassed) aborts the run
    let p = prog(&[&[call(CORE_POISON), exit()]]);
    let o = run_raw(&p, &mut [], 0);
    assert_eq!((o.error, o.error_pc), (-EINVAL, 0));
}

/// A program using map 0, a one-element array whose 16 value bytes are `value`; `constant`:
/// frozen and BPF_F_RDONLY_PROG (libbpf's .rodata), so the checker may read them.
fn with_rodata(mut p: Program, value: &mut TestMap, constant: bool) -> Program {
    p.helper(1, "sum", h_sum, RET_INTEGER, [ARG_PTR_TO_MEM, ARG_CONST_SIZE, 0, 0, 0]);
    p.maps.push(MapRef {
        value_readonly: constant,
        value_const: constant,
        ..MapRef::new(value as *mut TestMap as *mut c_void, 4, 16).with_values(value.value.as_mut_ptr() as *mut u8, 16)
    });
    p
}

#[test]
fn loads_from_constant_maps_decide_branches() {
    const CORE_POISON: i32 = 0xbad2310;
    const POISON_LOG: &str = "4: (85) call unknown#195896080\ninvalid func unknown#195896080\n";
    // libbpf-tools' "if (targ_flag) <CO-RE read poisoned on this kernel>": r1 = &rodata;
    // r1 = *(u8 *)(r1 + 0); if r1 == 0 goto skip
    let guard = |vo: u32, size: u8, off: i16| {
        prog(&[&ld_map_value(1, 0, vo), &[ldx(size, 1, 1, off), jeq_imm(1, 0, 2), call(CORE_POISON), exit(), mov64_imm(0, 7), exit()]])
    };
    let mut v = TestMap { value: [0, 0] };
    let o = run_checked(&with_rodata(guard(0, B, 0), &mut v, true), &mut []);
    assert_eq!((o.error, o.r0), (0, 7));
    // the flag set: the call is live, rejected with Linux's lines (libbpf's log fixup)
    let mut v = TestMap { value: [1, 0] };
    assert_rejected(&with_rodata(guard(0, B, 0), &mut v, true), -EINVAL, POISON_LOG);
    // the same bytes in a map that is not frozen / not RDONLY_PROG: not constants
    let mut v = TestMap { value: [0, 0] };
    assert_rejected(&with_rodata(guard(0, B, 0), &mut v, false), -EINVAL, POISON_LOG);
    // value offset (ld_imm64) plus insn offset, each load size, little-endian bytes
    let mut v = TestMap { value: [0x0102_0304_0506_0708, 0x0000_0001_0000_0000] };
    for (vo, size, off, zero) in
        [(0, B, 0, false), (4, B, 3, false), (8, W, 0, true), (8, H, 2, true), (10, H, 2, false), (8, DW, 0, false), (12, W, 0, false)]
    {
        let p = with_rodata(guard(vo, size, off), &mut v, true);
        if zero {
            assert_eq!(run_checked(&p, &mut []).r0, 7, "vo {vo} size {size:#x} off {off}");
        } else {
            assert_rejected(&p, -EINVAL, POISON_LOG);
        }
    }
    // a 64-bit value: nonzero as a whole, zero in its low 32 bits (JMP32)
    let jmp32 = |cond: Insn| prog(&[&ld_map_value(1, 0, 8), &[ldx(DW, 1, 1, 0), cond, call(CORE_POISON), exit(), mov64_imm(0, 7), exit()]]);
    assert_eq!(run_checked(&with_rodata(jmp32(Insn::new(0x16, 1, 0, 2, 0)), &mut v, true), &mut []).r0, 7);
    assert_rejected(&with_rodata(jmp32(jeq_imm(1, 0, 2)), &mut v, true), -EINVAL, POISON_LOG);
    // sign-extending load (ldsx): 0xff is -1
    let mut v = TestMap { value: [0xff, 0] };
    let p = prog(&[
        &ld_map_value(1, 0, 0),
        &[Insn::new(0x91, 2, 1, 0, 0), jeq_imm(2, -1, 2), call(CORE_POISON), exit(), mov64_imm(0, 7), exit()],
    ]);
    assert_eq!(run_checked(&with_rodata(p, &mut v, true), &mut []).r0, 7);
    // clang's shape: the address in a callee-saved register, loaded insns before the
    // load, a helper call and stack stores in between, a 32-bit compare
    let mut v = TestMap { value: [0, 0] };
    let p = prog(&[
        &ld_map_value(6, 0, 8),
        &[st(DW, 10, -8, 0), mov64_reg(1, 10), add64_imm(1, -8), mov64_imm(2, 8), call(1), ldx(W, 3, 6, 4)],
        &[st(DW, 10, -16, 0), Insn::new(0x16, 3, 0, 2, 0), call(CORE_POISON), exit(), mov64_imm(0, 7), exit()],
    ]);
    assert_eq!(run_checked(&with_rodata(p, &mut v, true), &mut []).r0, 7);
    // out of the value (past the end, straddling it, before it): not constants, however
    // zero the neighbouring bytes; the run-time check faults such a load
    for (vo, size, off) in [(12, W, 4), (14, W, 0), (15, H, 0), (8, DW, 1), (0, B, -1), (4, W, -8), (0, B, 16)] {
        assert_rejected(&with_rodata(guard(vo, size, off), &mut v, true), -EINVAL, POISON_LOG);
    }
    // the address register rewritten, or a second way into the block, between the
    // ld_imm64 and the load: not constants
    let p = prog(&[
        &ld_map_value(1, 0, 0),
        &[add64_imm(1, 0), ldx(B, 1, 1, 0), jeq_imm(1, 0, 2), call(CORE_POISON), exit(), mov64_imm(0, 7), exit()],
    ]);
    assert_rejected(&with_rodata(p, &mut v, true), -EINVAL, "invalid func unknown#195896080");
    let p = prog(&[
        &ld_map_value(1, 0, 0),
        &[jeq_imm(2, 0, 0), ldx(B, 1, 1, 0), jeq_imm(1, 0, 2), call(CORE_POISON), exit(), mov64_imm(0, 7), exit()],
    ]);
    assert_rejected(&with_rodata(p, &mut v, true), -EINVAL, "invalid func unknown#195896080");
    // a map-pointer ld_imm64 (src 1) is not a value address
    let p = prog(&[&ld_imm64(1, 1, 0), &[ldx(B, 1, 1, 0), jeq_imm(1, 0, 2), call(CORE_POISON), exit(), mov64_imm(0, 7), exit()]]);
    assert_rejected(&with_rodata(p, &mut v, true), -EINVAL, "invalid func unknown#195896080");
}

/// The format strings the mock check was given, with room and data_len; it refuses "%q".
static FMT_SEEN: std::sync::Mutex<Vec<(String, u32, u64)>> = std::sync::Mutex::new(Vec::new());

unsafe extern "C" fn check_fmt_refusing_q(fmt: *const std::ffi::c_char, room: u32, data_len: u64) -> std::ffi::c_int {
    let fmt = std::ffi::CStr::from_ptr(fmt).to_string_lossy().into_owned();
    let refused = fmt.contains("%q");
    FMT_SEEN.lock().unwrap().push((fmt, room, data_len));
    if refused {
        -EINVAL
    } else {
        0
    }
}

#[test]
fn constant_format_strings_are_checked_at_load() {
    // snprintf's shape: r3 the format (ld_imm64 of a map value), r5 the data's size.
    let call_fmt =
        |vo: u32, r5: &[Insn]| prog(&[&ld_map_value(3, 0, vo), r5, &[mov64_imm(1, 0), mov64_imm(2, 0), mov64_imm(4, 0), call(2), exit()]]);
    let setup = |p: Program, v: &mut TestMap, constant: bool| {
        let mut p = with_rodata(p, v, constant);
        p.helper(2, "snprintf", h_sum, RET_INTEGER, [ARG_ANYTHING; 5]);
        p.helpers[2].check_fmt = Some(check_fmt_refusing_q);
        p
    };
    let seen = |fmt: &str| FMT_SEEN.lock().unwrap().iter().filter(|(f, _, _)| f == fmt).map(|(_, r, d)| (*r, *d)).collect::<Vec<_>>();
    // bytes 0..8 "%q", 8..16 "ok %d"
    let mut v = TestMap { value: [u64::from_le_bytes(*b"%q\0\0\0\0\0\0"), u64::from_le_bytes(*b"ok %d\0\0\0")] };
    // a good format loads, checked once with the room to the value's end and r5
    let (rc, log) = setup(call_fmt(8, &[mov64_imm(5, 8)]), &mut v, true).check();
    assert_eq!(rc, 0, "{log}");
    assert_eq!(seen("ok %d"), [(8, 8)]);
    // a bad one is refused at load, as Linux's check_bpf_snprintf_call
    assert_rejected(&setup(call_fmt(0, &[mov64_imm(5, 16)]), &mut v, true), -EINVAL, "Invalid format string");
    assert_eq!(seen("%q"), [(16, 16)]);
    // where the checker cannot read it, the helper checks it at run time: no load-time call
    FMT_SEEN.lock().unwrap().clear();
    for p in [
        setup(call_fmt(0, &[mov64_imm(5, 8)]), &mut v, false),   // not a constant map
        setup(call_fmt(0, &[ldx(DW, 5, 10, -8)]), &mut v, true), // r5 not a constant
        setup(prog(&[&ld_map_value(3, 0, 0), &[add64_imm(3, 0), mov64_imm(5, 8), call(2), exit()]]), &mut v, true), // r3 moved
    ] {
        let (rc, log) = p.check();
        assert!(rc == 0 || !log.contains("Invalid format string"), "{log}");
    }
    assert!(FMT_SEEN.lock().unwrap().is_empty(), "{:?}", FMT_SEEN.lock().unwrap());
    // a constant string must end inside its value
    let mut v = TestMap { value: [0, u64::from_le_bytes(*b"%d%d%d%d")] };
    assert_rejected(&setup(call_fmt(8, &[mov64_imm(5, 8)]), &mut v, true), -EINVAL, "string is not zero-terminated");
    assert!(FMT_SEEN.lock().unwrap().is_empty());
}

unsafe extern "C" fn h_strlen(run: *mut Run, p: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    let room = ebpf_arg_room(run, 1, p, false) as usize;
    if room == 0 {
        return u64::MAX;
    }
    let bytes = std::slice::from_raw_parts(p as *const u8, room);
    bytes.iter().position(|&b| b == 0).map(|n| n as u64).unwrap_or(u64::MAX - 1)
}

#[test]
fn helper_string_arguments() {
    let strlen = |setup: &[Insn]| {
        let mut p = prog(&[setup, &[call(1), exit()]]);
        p.helper(1, "strlen", h_strlen, RET_INTEGER, [ARG_ANYTHING, 0, 0, 0, 0]);
        run_checked(&p, &mut [b'a', b'b', b'c', 0, b'x'])
    };
    // "ab\0" on the stack
    assert_eq!(strlen(&[st(W, 10, -4, 0x6261), mov64_reg(1, 10), add64_imm(1, -4)]).r0, 2);
    // unterminated: the scan stops at the end of the frame
    assert_eq!(strlen(&[st(W, 10, -4, 0x61616161), mov64_reg(1, 10), add64_imm(1, -4)]).r0, u64::MAX - 1);
    // in ctx, with an offset
    assert_eq!(strlen(&[add64_imm(1, 1)]).r0, 2);
    // outside any region
    assert_eq!(strlen(&[mov64_reg(1, 10)]).r0, u64::MAX);
    assert_eq!(strlen(&[mov64_imm(1, 4096)]).r0, u64::MAX);
}

// ---- fuzz ------------------------------------------------------------------

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random instruction at index `at` of a program of `len`: mostly well
/// encoded (so that the checker accepts a fair share), sometimes garbage.
fn random_insn(r: &mut Rng, at: usize, len: usize) -> Vec<Insn> {
    if r.below(40) == 0 {
        return vec![Insn { code: r.next() as u8, regs: r.next() as u8, off: r.next() as i16, imm: r.next() as i32 }];
    }
    let rd = |r: &mut Rng| r.below(10) as u8; // writable register
    let rs = |r: &mut Rng| if r.below(5) == 0 { 10 } else { r.below(10) as u8 }; // readable
    let fwd = |r: &mut Rng| -> i16 {
        let room = (len - at - 1) as u64; // targets at+1 ..= len-1
        if room == 0 || r.below(20) == 0 {
            -(r.below(at as u64 + 1) as i16) - 1
        } else {
            r.below(room) as i16
        }
    };
    let mem_off = |r: &mut Rng| -> i16 {
        match r.below(3) {
            0 => -(r.below(64) as i16) * 8,
            1 => r.below(72) as i16,
            _ => -(r.below(530) as i16),
        }
    };
    let size = |r: &mut Rng| [0x00u8, 0x08, 0x10, 0x18][r.below(4) as usize];
    match r.below(12) {
        0..=3 => {
            let class = if r.below(2) == 0 { 0x07 } else { 0x04 };
            let op = [0x00u8, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0][r.below(14) as usize];
            let x = r.below(2) == 0 && op != 0x80 && !(op == 0xd0 && class == 0x07);
            let width = if class == 0x07 { 64 } else { 32 };
            let mut i = Insn::new(class | op | if x { 0x08 } else { 0 }, rd(r), if x { rs(r) } else { 0 }, 0, 0);
            match op {
                0x60 | 0x70 | 0xc0 if !x => i.imm = r.below(width) as i32,
                0x30 | 0x90 => {
                    i.off = r.below(2) as i16;
                    if !x {
                        i.imm = [1, -1, 3, i32::MIN, 7][r.below(5) as usize];
                    }
                }
                0x80 => {}
                0xd0 => i.imm = [16, 32, 64][r.below(3) as usize],
                0xb0 if x => i.off = [0, 0, 8, 16, if class == 0x07 { 32 } else { 0 }][r.below(5) as usize],
                _ if !x => i.imm = [0, 1, -1, 8, -8, 512, r.next() as i32][r.below(7) as usize],
                _ => {}
            }
            vec![i]
        }
        4 | 5 => {
            let class = if r.below(3) == 0 { 0x06 } else { 0x05 };
            let op = [0x00u8, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0][r.below(12) as usize];
            if op == 0 {
                return vec![if class == 0x06 { Insn::new(0x06, 0, 0, 0, fwd(r) as i32) } else { ja(fwd(r)) }];
            }
            let x = r.below(2) == 0;
            let mut i = Insn::new(class | op | if x { 0x08 } else { 0 }, rs(r), if x { rs(r) } else { 0 }, fwd(r), 0);
            if !x {
                i.imm = [0, 1, -1, 64, r.next() as i32][r.below(5) as usize];
            }
            vec![i]
        }
        6 => vec![Insn::new(0x61 | size(r), rd(r), rs(r), mem_off(r), 0)],
        7 => vec![Insn::new(0x62 | size(r), rs(r), 0, mem_off(r), r.next() as i32)],
        8 => vec![Insn::new(0x63 | size(r), rs(r), rs(r), mem_off(r), 0)],
        9 => {
            let imm = [0, 1, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1][r.below(10) as usize];
            vec![atomic(if r.below(2) == 0 { W } else { DW }, rs(r), rd(r), mem_off(r), imm)]
        }
        10 => match r.below(6) {
            0 => ld_imm64(rd(r), 0, r.next()).to_vec(),
            1 => ld_imm64(rd(r), 1, 0).to_vec(),
            2 => ld_map_value(rd(r), 0, r.below(16) as u32).to_vec(),
            // a callback anywhere in (or just outside) the program, and bpf_loop
            3 => ld_func(rd(r), r.below(len as u64 + 2) as i32 - at as i32 - 1).to_vec(),
            4 => vec![call(181)],
            _ => vec![call(1 + r.below(5) as i32)], // not 6: tail call needs a real program
        },
        _ => {
            if r.below(3) == 0 && at + 2 < len {
                vec![call_local(r.below((len - at - 2) as u64) as i32)]
            } else {
                vec![exit()]
            }
        }
    }
}

#[test]
fn fuzz_random_programs() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut scratch = Scratch::new();
    let mut map = TestMap { value: [0; 2] };
    // instructions and ctx each sit against a guard page (an over-read
    // faults); the rest of the ctx page must stay untouched
    let mut code_page = GuardedPage::new();
    let mut ctx_page = GuardedPage::new();
    let page = ctx_page.page_size();
    let pattern = vec![0xc5u8; page];
    let mut accepted = 0;
    let mut completed = 0;
    let mut errors = std::collections::BTreeMap::new();
    let start = std::time::Instant::now();
    let iterations: usize = std::env::var("ENGINE_FUZZ_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    for i in 0..iterations {
        let len = 1 + rng.below(24) as usize;
        let mut insns: Vec<Insn> = Vec::new();
        while insns.len() < len {
            let at = insns.len();
            insns.extend(random_insn(&mut rng, at, len));
        }
        if rng.below(8) != 0 {
            insns.push(exit());
        }
        let mut p = with_helpers(Program::new(insns), &mut map, rng.below(4) == 0);
        p.ctx_writable = rng.below(2) == 0;
        let bytes: Vec<u8> = p
            .insns
            .iter()
            .flat_map(|i| {
                let mut b = vec![i.code, i.regs];
                b.extend_from_slice(&i.off.to_le_bytes());
                b.extend_from_slice(&i.imm.to_le_bytes());
                b
            })
            .collect();
        let mut raw = p.raw();
        raw.insns = code_page.place(&bytes, rng.below(2) == 0) as *const Insn;
        let (rc, _log) = check_prog(&raw);
        if rc == 0 {
            accepted += 1;
        }
        // run everything, accepted or not: the engine must be safe on its own
        let fill = (i & 0xff) as u8;
        ctx_page.place(&pattern, false);
        let ctx_len = rng.below(65) as usize;
        let at_end = rng.below(2) == 0;
        let ctx = ctx_page.place(&[fill; 64][..ctx_len], at_end);
        raw.ctx_size = ctx_len as u32;
        let o = run_prog(&raw, &mut scratch, ctx as *mut c_void, ctx_len as u64, 5_000, std::ptr::null_mut());
        let whole = unsafe { std::slice::from_raw_parts(if at_end { ctx.add(ctx_len).sub(page) } else { ctx }, page) };
        let (lo, hi) = if at_end { (page - ctx_len, page) } else { (0, ctx_len) };
        assert!(whole[..lo] == pattern[..lo] && whole[hi..] == pattern[hi..], "run wrote outside ctx: {:?}", p.insns);
        if !p.ctx_writable {
            assert!(whole[lo..hi] == [fill; 64][..ctx_len], "run wrote to read-only ctx: {:?}", p.insns);
        }
        if o.error == 0 {
            completed += 1;
        } else {
            assert_eq!(o.r0, 0);
            assert!([-EFAULT, -EINVAL, -E2BIG, -ELOOP].contains(&o.error), "odd error {}", o.error);
            assert!((o.error_pc as usize) < p.insns.len() || o.error == -EINVAL);
            if rc == 0 {
                *errors.entry(o.error).or_insert(0) += 1;
                // an accepted program never hits an invalid instruction at
                // run time; -EINVAL can only come from helper arguments
                if o.error == -EINVAL {
                    assert_eq!(p.insns[o.error_pc as usize].code, 0x85, "{:?}", p.insns);
                }
            }
        }
    }
    println!(
        "fuzz: {iterations} programs in {:?}, {accepted} accepted by the checker, {completed} ran to exit, aborts of accepted programs by error: {errors:?}",
        start.elapsed()
    );
    assert!(accepted > iterations / 10, "the generator should produce a fair share of valid programs");
}
