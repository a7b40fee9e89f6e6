//! bpf_loop (helper 181) and ld_imm64 BPF_PSEUDO_FUNC callbacks in the portable engine:
//! Linux's return values (count of calls, early stop on a nonzero return, -EINVAL for
//! flags, -E2BIG past BPF_MAX_LOOPS, nr_loops taken as u32), the callback's frame
//! (r1 = index, r2 = callback_ctx pointing into the caller's stack, caller's r6..r9
//! kept), nesting, and what must stay safe without the checker (bad callback values,
//! unbounded recursion through callbacks, the instruction budget).
extern crate bpfcompat_tests;

use bpfcompat_tests::engine as engine_common;

use engine_common::asm::*;
use engine_common::*;

const LOOP: i32 = 181;

fn prog(parts: &[&[Insn]]) -> Program {
    let mut p = Program::new(parts.iter().flat_map(|p| p.iter().copied()).collect());
    p.helper(
        LOOP as usize,
        "loop",
        ebpf_helper_loop,
        RET_INTEGER,
        [ARG_ANYTHING, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL, ARG_ANYTHING, ARG_NONE],
    );
    p
}

fn run_checked(p: &Program) -> Outcome {
    let (rc, log) = p.check();
    assert_eq!(rc, 0, "checker rejected: {log}");
    run_raw(p, 0)
}

fn run_raw(p: &Program, budget: u64) -> Outcome {
    let mut s = Scratch::new();
    p.run(&mut s, &mut [], 0, budget, std::ptr::null_mut())
}

/// main: sum = 0 on the stack; r0 = bpf_loop(nr, cb, &sum, flags); return r0 * 1000 + sum.
/// `nr` is loaded as a 64-bit constant (bpf_loop takes a u32). The callback follows.
fn summing(nr: u64, flags: i32, callback: &[Insn]) -> Program {
    let head: Vec<Insn> = [
        &[st(DW, 10, -8, 0)][..],
        &ld_imm64(1, 0, nr),
        &ld_func(2, 0), // patched below
        &[mov64_reg(3, 10), add64_imm(3, -8), mov64_imm(4, flags), call(LOOP)],
        &[ldx(DW, 1, 10, -8), Insn::new(0x27, 0, 0, 0, 1000), add64_reg(0, 1), exit()],
    ]
    .concat();
    let mut p = prog(&[&head, callback]);
    let at = 3; // the ld_func
    p.insns[at].imm = (head.len() - (at + 1)) as i32;
    p
}

/// *ctx += index; return 0.
const ADD_INDEX: &[Insn] = &[
    Insn { code: 0x79, regs: 3 | (2 << 4), off: 0, imm: 0 }, // r3 = *(u64 *)(r2 + 0)
    Insn { code: 0x0f, regs: 3 | (1 << 4), off: 0, imm: 0 }, // r3 += r1
    Insn { code: 0x7b, regs: 2 | (3 << 4), off: 0, imm: 0 }, // *(u64 *)(r2 + 0) = r3
    Insn { code: 0xb7, regs: 0, off: 0, imm: 0 },            // r0 = 0
    Insn { code: 0x95, regs: 0, off: 0, imm: 0 },            // exit
];

#[test]
fn counts_calls_and_passes_index_and_ctx() {
    let o = run_checked(&summing(10, 0, ADD_INDEX));
    assert_eq!((o.error, o.r0), (0, 10 * 1000 + 45));
    // no iterations: the callback never runs
    let o = run_checked(&summing(0, 0, ADD_INDEX));
    assert_eq!((o.error, o.r0), (0, 0));
    // nr_loops is a u32: the upper half of the register is ignored
    let o = run_checked(&summing((1 << 32) | 3, 0, ADD_INDEX));
    assert_eq!((o.error, o.r0), (0, 3 * 1000 + 3));
}

#[test]
fn nonzero_return_stops_and_is_counted() {
    // *ctx += index; return index == 3
    let cb = [&ADD_INDEX[..3], &[mov64_imm(0, 0), jne_imm(1, 3, 1), mov64_imm(0, 1), exit()]].concat();
    let o = run_checked(&summing(100, 0, &cb));
    assert_eq!((o.error, o.r0), (0, 4 * 1000 + 6));
}

#[test]
fn errors_as_linux() {
    let neg = |e: i32| (-(e as i64)) as u64;
    // flags first, then the limit (kernel/bpf/bpf_iter.c)
    let o = run_checked(&summing(5, 1, ADD_INDEX));
    assert_eq!(o.error, 0);
    assert_eq!(o.r0, neg(EINVAL).wrapping_mul(1000));
    let o = run_checked(&summing((1 << 23) + 1, 0, ADD_INDEX));
    assert_eq!(o.r0, neg(E2BIG).wrapping_mul(1000));
    let o = run_checked(&summing((1 << 23) + 1, 4, ADD_INDEX));
    assert_eq!(o.r0, neg(EINVAL).wrapping_mul(1000));
}

#[test]
fn callback_ctx_may_be_null() {
    // bpf_loop(3, cb, NULL, 0): the callback only returns 0
    let mut p =
        prog(&[&[mov64_imm(1, 3)], &ld_func(2, 5), &[mov64_imm(3, 0), mov64_imm(4, 0), call(LOOP), exit()], &[mov64_imm(0, 0), exit()]]);
    assert_eq!(run_checked(&p).r0, 3);
    // a ctx that is not the stack (here a map-less scalar address) is refused at the call
    p.insns[3] = mov64_imm(3, 0x1000);
    let o = run_checked(&p);
    assert_eq!((o.error, o.error_pc), (-EFAULT, 5));
}

#[test]
fn callback_value_must_be_untouched() {
    // a scalar in place of the callback
    let p = prog(&[&[mov64_imm(1, 3), mov64_imm(2, 7), mov64_imm(3, 0), mov64_imm(4, 0), call(LOOP), exit()], &[mov64_imm(0, 0), exit()]]);
    let o = run_raw(&p, 0);
    assert_eq!((o.error, o.error_pc), (-EFAULT, 4));
    // callback + 1 is a scalar
    let p = prog(&[
        &[mov64_imm(1, 3)],
        &ld_func(2, 6),
        &[add64_imm(2, 1), mov64_imm(3, 0), mov64_imm(4, 0), call(LOOP), exit()],
        &[mov64_imm(0, 0), exit()],
    ]);
    let o = run_raw(&p, 0);
    assert_eq!((o.error, o.error_pc), (-EFAULT, 6));
    // a callback value cannot be dereferenced
    let p = prog(&[&ld_func(1, 3), &[ldx(DW, 0, 1, 0), exit()], &[mov64_imm(0, 0), exit()]]);
    assert_eq!(run_raw(&p, 0).error, -EFAULT);
}

#[test]
fn callers_callee_saved_registers_survive() {
    // r6 = 99; bpf_loop(2, cb, NULL, 0) where cb sets r6..r9 = 5; return r6 + r9 (99 + 42)
    let p = prog(&[
        &[mov64_imm(6, 99), mov64_imm(9, 42), mov64_imm(1, 2)],
        &ld_func(2, 7),
        &[mov64_imm(3, 0), mov64_imm(4, 0), call(LOOP), mov64_reg(0, 6), add64_reg(0, 9), exit()],
        &[mov64_imm(6, 5), mov64_imm(7, 5), mov64_imm(8, 5), mov64_imm(9, 5), mov64_imm(0, 0), exit()],
    ]);
    assert_eq!(run_checked(&p).r0, 141);
}

#[test]
fn nested_loops() {
    // main: n = 0; bpf_loop(3, outer, &n, 0); return n
    // outer(i, ctx): bpf_loop(4, inner, ctx, 0); return 0
    // inner(i, ctx): *ctx += 1; return 0
    let main: Vec<Insn> = [
        &[st(DW, 10, -8, 0), mov64_imm(1, 3)][..],
        &ld_func(2, 7), // -> outer at 10
        &[mov64_reg(3, 10), add64_imm(3, -8), mov64_imm(4, 0), call(LOOP), ldx(DW, 0, 10, -8), exit()],
    ]
    .concat();
    assert_eq!(main.len(), 10);
    let outer: Vec<Insn> = [
        &[mov64_reg(3, 2), mov64_imm(1, 4)][..],
        &ld_func(2, 5), // -> inner at 10 + 8
        &[mov64_imm(4, 0), call(LOOP), mov64_imm(0, 0), exit()],
    ]
    .concat();
    assert_eq!(outer.len(), 8);
    let inner = [ldx(DW, 1, 2, 0), add64_imm(1, 1), stx(DW, 2, 1, 0), mov64_imm(0, 0), exit()];
    let p = prog(&[&main, &outer, &inner]);
    let o = run_checked(&p);
    assert_eq!((o.error, o.r0), (0, 12));
}

#[test]
fn budget_bounds_long_loops() {
    // 8M iterations of a 2-insn callback need more than the default budget
    let p = prog(&[
        &ld_imm64(1, 0, 1 << 23),
        &ld_func(2, 5),
        &[mov64_imm(3, 0), mov64_imm(4, 0), call(LOOP), exit()],
        &[mov64_imm(0, 0), exit()],
    ]);
    let o = run_checked(&p);
    assert_eq!((o.error, o.r0, o.budget_left), (-E2BIG, 0, 0));
    let o = run_raw(&p, 1000);
    assert_eq!((o.error, o.budget_left), (-E2BIG, 0));
}

#[test]
fn recursion_through_callbacks() {
    // cb(i, ctx) { bpf_loop(1, cb, NULL, 0) }: the checker sees the cycle ...
    let main: Vec<Insn> = [&[mov64_imm(1, 1)][..], &ld_func(2, 5), &[mov64_imm(3, 0), mov64_imm(4, 0), call(LOOP), exit()]].concat();
    let cb: Vec<Insn> = [&[mov64_imm(1, 1)][..], &ld_func(2, -2), &[mov64_imm(3, 0), mov64_imm(4, 0), call(LOOP), exit()]].concat();
    let p = prog(&[&main, &cb]);
    let (rc, log) = p.check();
    assert_eq!(rc, -EINVAL, "{log}");
    assert!(log.contains("back-edge"), "{log}");
    // ... and the engine alone stops at the frame limit
    let o = run_raw(&p, 0);
    assert_eq!(o.error, -ELOOP);
}

#[test]
fn checker_resolves_callbacks() {
    // a callback outside the program
    let p = prog(&[&ld_func(1, 10), &[mov64_imm(0, 0), exit()]]);
    let (rc, log) = p.check();
    assert_eq!(rc, -EINVAL);
    assert!(log.contains("call to invalid destination"), "{log}");
    // into the middle of an ld_imm64
    let p = prog(&[&ld_func(1, 4), &[mov64_imm(0, 0), exit()], &ld_imm64(0, 0, 1), &[exit()]]);
    let (rc, log) = p.check();
    assert_eq!(rc, -EINVAL);
    assert!(log.contains("call to invalid destination"), "{log}");
    // a callback is a subprogram: the main program may not jump into it or fall into it
    let p = prog(&[&ld_func(1, 1), &[mov64_imm(0, 0), mov64_imm(0, 1), exit()]]);
    let (rc, log) = p.check();
    assert_eq!(rc, -EINVAL);
    assert!(log.contains("last insn is not an exit or jmp"), "{log}");
    // a callback only reachable through its address is not unreachable code
    let p = prog(&[&ld_func(1, 3), &[mov64_imm(0, 0), exit()], &[mov64_imm(0, 1), exit()]]);
    assert_eq!(p.check().0, 0);
    // frames: main + 7 nested callbacks is the limit (8 frames), as for calls
    let chain = |n: usize| {
        let mut parts: Vec<Vec<Insn>> = vec![];
        for k in 0..n {
            if k + 1 < n {
                parts.push([&[mov64_imm(1, 1)][..], &ld_func(2, 5), &[mov64_imm(3, 0), mov64_imm(4, 0), call(LOOP), exit()]].concat());
            } else {
                parts.push(vec![mov64_imm(0, 0), exit()]);
            }
        }
        let refs: Vec<&[Insn]> = parts.iter().map(|v| v.as_slice()).collect();
        prog(&refs)
    };
    let p = chain(8);
    assert_eq!(p.check().0, 0);
    let o = run_raw(&p, 0);
    assert_eq!((o.error, o.r0), (0, 1));
    let p = chain(9);
    let (rc, log) = p.check();
    assert_eq!(rc, -E2BIG, "{log}");
    assert!(log.contains("too deep"), "{log}");
    assert_eq!(run_raw(&p, 0).error, -ELOOP);
}

// ---- bpf_for_each_map_elem (164) ---------------------------------------------

const FOR_EACH: i32 = 164;
const LOOKUP: i32 = 1;

/// An array map of u64 values, iterated by index like Linux's arrays.
struct TestArray {
    values: Vec<u64>,
}

unsafe extern "C" fn array_next(
    _run: *mut Run,
    map: *mut std::ffi::c_void,
    cursor: *mut u64,
    key_buf: *mut u64,
    key: *mut *mut std::ffi::c_void,
    value: *mut *mut std::ffi::c_void,
) -> bool {
    let a = &mut *(map as *mut TestArray);
    let i = *cursor as usize;
    if i >= a.values.len() {
        return false;
    }
    *key_buf = i as u64;
    *key = key_buf as *mut std::ffi::c_void;
    *value = &mut a.values[i] as *mut u64 as *mut std::ffi::c_void;
    *cursor += 1;
    true
}

unsafe extern "C" fn h_for_each(run: *mut Run, map: u64, func: u64, ctx: u64, flags: u64, _: u64) -> u64 {
    if flags != 0 {
        return (-(EINVAL as i64)) as u64;
    }
    let err = ebpf_map_elem_loop(run, map, func, ctx, array_next);
    if err != 0 {
        return err as i64 as u64;
    }
    0
}

unsafe extern "C" fn h_lookup(_run: *mut Run, map: u64, key: u64, _: u64, _: u64, _: u64) -> u64 {
    let a = &mut *(map as *mut TestArray);
    let k = *(key as *const u32) as usize;
    a.values.get_mut(k).map(|v| v as *mut u64 as u64).unwrap_or(0)
}

/// main: acc = 0; r0 = for_each_map_elem(map 0, cb, &acc, 0); return r0 * 1000 + acc.
fn for_each(callback: &[Insn], map: &mut TestArray, readonly: bool) -> Program {
    let head: Vec<Insn> = [
        &[st(DW, 10, -8, 0)][..],
        &ld_imm64(1, 1, 0), // map 0
        &ld_func(2, 0),     // patched below
        &[mov64_reg(3, 10), add64_imm(3, -8), mov64_imm(4, 0), call(FOR_EACH)],
        &[ldx(DW, 1, 10, -8), Insn::new(0x27, 0, 0, 0, 1000), add64_reg(0, 1), exit()],
    ]
    .concat();
    let mut p = prog(&[&head, callback]);
    p.insns[3].imm = (head.len() - 4) as i32;
    p.helper(
        FOR_EACH as usize,
        "for_each_map_elem",
        h_for_each,
        RET_INTEGER,
        [ARG_CONST_MAP_PTR, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL, ARG_ANYTHING, ARG_NONE],
    );
    p.helper(LOOKUP as usize, "map_lookup_elem", h_lookup, RET_MAP_VALUE_OR_NULL, [ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, 0, 0, 0]);
    p.maps.push(MapRef { value_readonly: readonly, ..MapRef::new(map as *mut TestArray as *mut std::ffi::c_void, 4, 8) });
    p
}

/// callback(map, key, value, ctx): *ctx += *value; *value += 1; return *key == stop.
fn sum_and_bump(stop: i32) -> Vec<Insn> {
    vec![
        ldx(DW, 5, 3, 0),
        ldx(DW, 0, 4, 0),
        add64_reg(0, 5),
        stx(DW, 4, 0, 0),
        add64_imm(5, 1),
        stx(DW, 3, 5, 0),
        ldx(W, 1, 2, 0),
        mov64_imm(0, 0),
        jne_imm(1, stop, 1),
        mov64_imm(0, 1),
        exit(),
    ]
}

#[test]
fn for_each_map_elem_visits_every_element() {
    let mut map = TestArray { values: vec![10, 20, 30, 40] };
    let p = for_each(&sum_and_bump(-1), &mut map, false);
    let o = run_checked(&p);
    assert_eq!((o.error, o.r0), (0, 4 * 1000 + 100));
    assert_eq!(map.values, [11, 21, 31, 41], "the callback writes values in place");
    // stop at key 1: two calls
    let mut map = TestArray { values: vec![10, 20, 30, 40] };
    let o = run_checked(&for_each(&sum_and_bump(1), &mut map, false));
    assert_eq!((o.error, o.r0), (0, 2 * 1000 + 30));
    assert_eq!(map.values, [11, 21, 30, 40]);
    // no elements: no call, 0
    let mut map = TestArray { values: vec![] };
    let o = run_checked(&for_each(&sum_and_bump(-1), &mut map, false));
    assert_eq!((o.error, o.r0), (0, 0));
}

#[test]
fn for_each_map_elem_keys_are_read_only_values_follow_the_map() {
    // a read-only map: the value write aborts
    let mut map = TestArray { values: vec![1, 2] };
    let o = run_raw(&for_each(&sum_and_bump(-1), &mut map, true), 0);
    assert_eq!(o.error, -EFAULT);
    assert_eq!(map.values, [1, 2]);
    // the key cannot be written
    let mut map = TestArray { values: vec![1, 2] };
    let o = run_raw(&for_each(&[st(W, 2, 0, 9), mov64_imm(0, 0), exit()], &mut map, false), 0);
    assert_eq!(o.error, -EFAULT);
    // the callback's r1 is the map handle and r2 a key: lookup(r1, r2) finds the element
    let mut map = TestArray { values: vec![5, 6, 7] };
    let cb = [
        mov64_reg(6, 4),
        call(LOOKUP),
        jeq_imm(0, 0, 4),
        ldx(DW, 1, 0, 0),
        ldx(DW, 2, 6, 0),
        add64_reg(2, 1),
        stx(DW, 6, 2, 0),
        mov64_imm(0, 0),
        exit(),
    ];
    let o = run_checked(&for_each(&cb, &mut map, false));
    assert_eq!((o.error, o.r0), (0, 3 * 1000 + 18));
}
