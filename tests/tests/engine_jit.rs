//! Native code for the programs the static kinds prove (driver/engine/ebpf_jit_x86.c),
//! differentially against the interpreter: every conformance vector the compiler takes
//! runs both ways on copies of the same memory, and r0 (the vector's result), the
//! memory afterwards and the error must agree. Vectors it refuses say why (the interpreter runs them). Host only:
//! the module does not use the compiler yet.
use bpfcompat_tests::engine as engine_common;

use bpfcompat_tests::jit::Code;
use engine_common::asm::*;
use engine_common::*;
use std::collections::BTreeMap;
use std::ffi::c_void;

#[test]
fn conformance_vectors_agree_with_the_interpreter() {
    let Some(text) = conformance_vectors() else { return };
    let mut scratch = Scratch::new();
    let (mut compiled, mut checked) = (0, 0);
    let mut refused: BTreeMap<String, u32> = BTreeMap::new();
    let mut failures = vec![];
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let name = v["name"].as_str().unwrap();
        let mut p = Program::new(insns_from_hex(v["insns"].as_str().unwrap()));
        p.ctx_writable = true;
        let mem = hex::decode(v["mem"].as_str().unwrap_or("")).unwrap();
        p.ctx_size = mem.len() as u32;
        if p.check().0 != 0 {
            continue;
        }
        checked += 1;
        let code = match Code::compile(&p.raw()) {
            Ok(c) => c,
            Err(why) => {
                // "jit: insn N (code xx): reason": count by reason
                let reason = why.split("): ").nth(1).unwrap_or(&why).to_string();
                *refused.entry(reason).or_default() += 1;
                continue;
            }
        };
        compiled += 1;
        let (mut a, mut b) = (mem.clone(), mem.clone());
        let len = mem.len() as u64;
        let interp = p.run(&mut scratch, &mut a, len, 10_000_000, std::ptr::null_mut());
        let native = code.run(&p.raw(), &mut scratch, &mut b, len, 10_000_000, std::ptr::null_mut());
        let expected = u64::from_str_radix(v["result"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
        // the interpreter passes the suite (tests/conformance.rs): both must give its result
        let agree = interp.error == 0 && native.error == 0 && native.r0 == interp.r0 && native.r0 == expected && a == b;
        if !agree {
            failures.push(format!(
                "{name}: interpreter r0 {:#x} error {}, native r0 {:#x} error {} (memory {})",
                interp.r0,
                interp.error,
                native.r0,
                native.error,
                if a == b { "same" } else { "differs" }
            ));
        }
    }
    println!("{compiled} of {checked} checked vectors compiled; the rest left to the interpreter:");
    for (why, n) in &refused {
        println!("  {n:>4}  {why}");
    }
    assert!(failures.is_empty(), "native code disagrees with the interpreter:\n{}", failures.join("\n"));
    assert!(compiled * 2 > checked, "only {compiled} of {checked} compiled");
}

#[test]
fn loops_pay_the_budget_by_back_edge() {
    // r0 = 0; loop: r0 += 1; if r0 != 1000 goto loop; exit: the interpreter runs 2002
    // instructions; the code pays the loop's 2 at each of the 999 back edges
    let p = Program::new(vec![mov64_imm(0, 0), add64_imm(0, 1), jne_imm(0, 1000, -2), exit()]);
    assert_eq!(p.check().0, 0);
    let code = Code::compile(&p.raw()).expect("a plain loop compiles");
    let mut s = Scratch::new();
    let interp = p.run(&mut s, &mut [], 0, 2002, std::ptr::null_mut());
    let native = code.run(&p.raw(), &mut s, &mut [], 0, 2002, std::ptr::null_mut());
    assert_eq!((interp.r0, interp.error), (1000, 0));
    assert_eq!((native.r0, native.error, native.budget_left), (1000, 0, 4), "the budget the interpreter needs is enough");
    let interp = p.run(&mut s, &mut [], 0, 1000, std::ptr::null_mut());
    let native = code.run(&p.raw(), &mut s, &mut [], 0, 1000, std::ptr::null_mut());
    assert_eq!((interp.r0, interp.error), (0, -E2BIG));
    assert_eq!((native.r0, native.error, native.error_pc), (0, -E2BIG, 2), "the budget ends the run at the back edge");
}

#[test]
fn accesses_outside_their_region_are_refused() {
    // the stack's last byte is fine; one past the frame, or the context's 9th byte of 8, is not
    let ok = Program::new(vec![st(B, 10, -512, 1), ldx(B, 0, 10, -1), exit()]);
    let below = Program::new(vec![st(B, 10, -513, 1), mov64_imm(0, 0), exit()]);
    let mut ctx = Program::new(vec![ldx(B, 0, 1, 8), exit()]);
    ctx.ctx_size = 8;
    assert!(Code::compile(&ok.raw()).is_ok());
    let why = Code::compile(&below.raw()).err().expect("refused");
    assert!(why.contains("outside r10's region"), "{why}");
    let why = Code::compile(&ctx.raw()).err().expect("refused");
    assert!(why.contains("outside r1's region"), "{why}");
}

#[test]
fn offsets_the_facts_leave_open_are_checked_at_run_time() {
    // r3 = fp - 16 + r2 (r2 the caller's number): a store and a load there, in or out of the frame
    let p = Program::new(vec![mov64_reg(3, 10), add64_imm(3, -16), add64_reg(3, 2), st(DW, 3, 0, 7), ldx(DW, 0, 3, 0), exit()]);
    assert_eq!(p.check().0, 0);
    let code = Code::compile(&p.raw()).expect("a checked store compiles");
    let mut s = Scratch::new();
    for r2 in [0u64, 8, 9, 16, (-496i64) as u64, (-497i64) as u64, 1 << 40] {
        let interp = p.run(&mut s, &mut [], r2, 0, std::ptr::null_mut());
        let native = code.run(&p.raw(), &mut s, &mut [], r2, 0, std::ptr::null_mut());
        assert_eq!((native.r0, native.error), (interp.r0, interp.error), "r2 = {r2:#x}");
        if interp.error != 0 {
            assert_eq!((native.error, native.error_pc), (-EFAULT, interp.error_pc), "r2 = {r2:#x}");
        }
    }
}

#[test]
fn edge_cases_agree_with_the_interpreter() {
    const ALU32: u8 = 0x04;
    let mut cases: Vec<(&str, Vec<Insn>)> = vec![];
    // 32-bit shifts by 0 still zero the upper half; by register, with the count in each register
    for (op, name) in [(0x60, "lsh"), (0x70, "rsh"), (0xc0, "arsh")] {
        cases.push((name, vec![mov64_imm(0, -1), Insn::new(ALU32 | op, 0, 0, 0, 0), exit()]));
        for count in 0..10u8 {
            let dst = if count == 0 { 1 } else { 0 };
            cases.push((
                name,
                vec![
                    mov64_imm(0, -1),
                    mov64_imm(1, -1),
                    mov64_imm(4, -7),
                    mov64_imm(count, 0),
                    Insn::new(ALU32 | op | X, dst, count, 0, 0),
                    Insn::new(ALU64 | op | X, 4, count, 0, 0),
                    add64_reg(0, 1),
                    add64_reg(0, 4),
                    exit(),
                ],
            ));
        }
    }
    // division and modulo by 0 and by -1, 32 and 64 bits, signed and not, into r0 and r3 (rax, rdx)
    for (class, op) in [(ALU32, 0x30u8), (ALU32, 0x90), (ALU64, 0x30), (ALU64, 0x90)] {
        for off in [0i16, 1] {
            for (divisor, dst) in [(0i32, 0u8), (-1, 0), (0, 3), (-1, 3), (7, 3), (-3, 0)] {
                let mut v = vec![mov64_imm(0, i32::MIN), Insn::new(0x67, 0, 0, 0, 32), mov64_imm(3, -100), mov64_imm(2, divisor)];
                v.push(Insn::new(class | op | X, dst, 2, off, 0));
                if divisor != 0 {
                    v.push(Insn::new(class | op, dst, 0, off, divisor)); // "div by zero" refused at load
                }
                v.extend([mov64_reg(5, 3), add64_reg(0, 5), exit()]);
                cases.push(("divmod", v));
            }
        }
    }
    // byte swaps of r7 (r13), 16/32/64, both directions
    for imm in [16, 32, 64] {
        for code in [0xd4u8, 0xdc, 0xd7] {
            cases.push((
                "end",
                vec![
                    ld_imm64(7, 0, 0x0102_0304_0506_0708)[0],
                    ld_imm64(7, 0, 0x0102_0304_0506_0708)[1],
                    Insn::new(code, 7, 0, 0, imm),
                    mov64_reg(0, 7),
                    exit(),
                ],
            ));
        }
    }
    // every atomic read-modify-write, 32 and 64 bits, the operand in r0 or r3, the address
    // in r1 or in r0 itself; cmpxchg that succeeds (r0's upper half must go); misaligned
    let ops = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];
    for op in ops {
        for size in [W, DW] {
            for (base, operand) in [(1u8, 3u8), (1, 0), (0, 0), (0, 3)] {
                let mut v = vec![st(DW, 10, -8, 0x0f0f_0f0f), mov64_reg(base, 10)];
                if operand != base {
                    v.extend(ld_imm64(operand, 0, 0xffff_0000_0f0f_0f0f)); // else: the address is the operand
                }
                if base != 0 && operand != 0 {
                    v.extend(ld_imm64(0, 0, 0x1234_5678_0f0f_0f0f)); // cmpxchg's expected value
                }
                v.extend([
                    atomic(size, base, operand, -8, op),
                    ldx(DW, 2, 10, -8),
                    add64_reg(0, 2),
                    mov64_reg(5, operand),
                    add64_reg(0, 5),
                    exit(),
                ]);
                cases.push(("atomic", v));
            }
        }
        cases.push(("misaligned atomic", vec![mov64_imm(0, 1), atomic(W, 10, 0, -6, op), exit()]));
    }
    let mut s = Scratch::new();
    for (name, insns) in cases {
        let p = Program::new(insns.clone());
        let (rc, log) = p.check();
        assert_eq!(rc, 0, "{name}: {log}");
        let code = Code::compile(&p.raw()).unwrap_or_else(|why| panic!("{name}: {why}"));
        let interp = p.run(&mut s, &mut [], 0, 0, std::ptr::null_mut());
        let native = code.run(&p.raw(), &mut s, &mut [], 0, 0, std::ptr::null_mut());
        assert_eq!((native.r0, native.error), (interp.r0, interp.error), "{name}: {insns:?}");
    }
}

/// helper 2: fills r2 bytes at r1 with 0xab (ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE)
unsafe extern "C" fn h_fill(_: *mut Run, to: u64, size: u64, _: u64, _: u64, _: u64) -> u64 {
    std::ptr::write_bytes(to as *mut u8, 0xab, size as usize);
    size
}

/// helper 3: a ring buffer reserve of r1 bytes (RET_MEM_OR_NULL, the size in r1)
unsafe extern "C" fn h_reserve(run: *mut Run, size: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    thread_local!(static REC: std::cell::UnsafeCell<[u64; 8]> = const { std::cell::UnsafeCell::new([0; 8]) });
    let base = REC.with(|m| m.get()) as *mut c_void;
    if size > 64 {
        return 0;
    }
    ebpf_set_ret_region(run, base, size as u32, true);
    base as u64
}

/// helper 4: submit (ARG_PTR_TO_ALLOC_MEM): returns the record's second word
unsafe extern "C" fn h_submit(run: *mut Run, rec: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    ebpf_invalidate_region(run, rec as *mut c_void);
    *(rec as *const u64).add(1)
}

/// helper 5: ends the run with -EPERM when r1 is 7 (a helper's own error)
unsafe extern "C" fn h_fail(run: *mut Run, v: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    if v == 7 {
        (*run).error = -1;
    }
    v + 1
}

/// helper 6: a tail call into the program in the run's env
unsafe extern "C" fn h_tail(run: *mut Run, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    ebpf_tail_call(run, (*run).env as *const Prog) as u64
}

/// The helpers above by id (1: map_lookup_elem over `map`, 2: fill, 3: reserve, 4: submit,
/// 5: fail, 6: tail_call) and `map` as map 0.
fn with_helpers(insns: Vec<Insn>, map: &mut OneValue) -> Program {
    const MEM: [u8; 5] = [ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE, 0, 0, 0];
    const ONE: [u8; 5] = [ARG_ANYTHING, 0, 0, 0, 0];
    let table: [(&str, HelperFn, u8, [u8; 5]); 6] = [
        ("map_lookup_elem", lookup_one_value, RET_MAP_VALUE_OR_NULL, [ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, 0, 0, 0]),
        ("fill", h_fill, RET_INTEGER, MEM),
        ("reserve", h_reserve, RET_MEM_OR_NULL, ONE),
        ("submit", h_submit, RET_INTEGER, [ARG_PTR_TO_ALLOC_MEM, 0, 0, 0, 0]),
        ("fail", h_fail, RET_INTEGER, ONE),
        ("tail_call", h_tail, RET_INTEGER, [ARG_PTR_TO_CTX, 0, 0, 0, 0]),
    ];
    let mut p = Program::new(insns);
    for (id, (name, f, ret, args)) in table.into_iter().enumerate() {
        p.helper(id + 1, name, f, ret, args);
    }
    p.helpers[3].ret_size_arg = 1;
    p.maps.push(MapRef::new(map as *mut OneValue as *mut c_void, 4, 16));
    p
}

/// key = r2 (the caller's number); r0 = lookup; null: r0 = 1000; else value[1] += 1,
/// r0 = value[0] + value[1] + what the call left in r1..r5 (0)
fn counter() -> Vec<Insn> {
    let mut v = vec![stx(W, 10, 2, -4), mov64_reg(2, 10), add64_imm(2, -4)];
    v.extend(ld_imm64(1, 1, 0));
    v.extend([
        call(1),
        jeq_imm(0, 0, 9),
        mov64_imm(1, 1),
        atomic(DW, 0, 1, 8, 0),
        ldx(DW, 6, 0, 0),
        ldx(DW, 7, 0, 8),
        add64_reg(6, 7),
        add64_reg(6, 1),
        add64_reg(6, 5),
        mov64_reg(0, 6),
        exit(),
        mov64_imm(0, 1000),
        exit(),
    ]);
    v
}

/// Runs `p` both ways on copies of `ctx` and of the map value: r0, error, its insn and the memory after.
/// How a run ended: r0, error, the insn of the error, the context and the map value after.
type RunEnd = (u64, i32, u32, Vec<u8>, [u64; 2]);

/// The map goes by raw pointer: the helpers change it behind the program's back.
fn both_ways(p: &Program, map: *mut OneValue, ctx: &[u8], r2: u64, env: *mut c_void) -> [RunEnd; 2] {
    let code = Code::compile(&p.raw()).unwrap_or_else(|why| panic!("refused: {why}"));
    let mut s = Scratch::new();
    let before = unsafe { std::ptr::read_volatile(map) }.value;
    let mut out = vec![];
    for native in [false, true] {
        unsafe { std::ptr::write_volatile(map, OneValue { value: before }) };
        let mut c = ctx.to_vec();
        let o = if native { code.run(&p.raw(), &mut s, &mut c, r2, 0, env) } else { p.run(&mut s, &mut c, r2, 0, env) };
        let after = unsafe { std::ptr::read_volatile(map) }.value;
        out.push((o.r0, o.error, if o.error != 0 { o.error_pc } else { 0 }, c, after));
    }
    [out[0].clone(), out[1].clone()]
}

#[test]
fn helper_calls_go_through_the_interpreters_checks() {
    let mut map = OneValue { value: [40, 1] };
    // a lookup that finds the value (key 0) and one that does not (key 1)
    let p = with_helpers(counter(), &mut map);
    assert_eq!(p.check().0, 0, "{}", p.check().1);
    for key in [0, 1] {
        let [interp, native] = both_ways(&p, &mut map as *mut OneValue, &[], key, std::ptr::null_mut());
        assert_eq!(native, interp, "key {key}");
        assert_eq!(interp.0, if key == 0 { 40 + 2 + 1 } else { 1000 });
    }
    // a helper writing the stack (fp - 16, 16 bytes) and past the frame's end: -EFAULT at the call
    for (off, size, error) in [(-16i32, 16i32, 0), (-8, 16, -EFAULT)] {
        let p = with_helpers(vec![mov64_reg(1, 10), add64_imm(1, off), mov64_imm(2, size), call(2), ldx(DW, 0, 10, -8), exit()], &mut map);
        assert_eq!(p.check().0, 0);
        let [interp, native] = both_ways(&p, &mut map as *mut OneValue, &[], 0, std::ptr::null_mut());
        assert_eq!(native, interp, "fill {size} at fp{off}");
        assert_eq!((interp.1, interp.2), (error, if error != 0 { 3 } else { 0 }));
    }
    // ... and into the context, whose size the interpreter's tag holds
    for size in [8, 9] {
        let p = with_helpers(vec![mov64_imm(2, size), call(2), mov64_imm(0, 0), exit()], &mut map);
        let [interp, native] = both_ways(&p, &mut map as *mut OneValue, &[0u8; 8], 0, std::ptr::null_mut());
        assert_eq!(native, interp, "fill {size} of an 8-byte context");
    }
    // a helper's own error ends the run at its call
    for v in [6, 7] {
        let p = with_helpers(vec![mov64_imm(1, v), call(5), exit()], &mut map);
        let [interp, native] = both_ways(&p, &mut map as *mut OneValue, &[], 0, std::ptr::null_mut());
        assert_eq!(native, interp, "fail({v})");
    }
}

#[test]
fn ring_buffer_records_are_written_and_handed_back() {
    // r6 = reserve(r2); null: r0 = 7; fill(r6, 8); *(u64 *)(r6 + 8) = 5; r0 = submit(r6) + *(u8 *)(r6 + 0) read before
    let insns = vec![
        mov64_reg(1, 2),
        call(3),
        mov64_reg(6, 0),
        jeq_imm(6, 0, 9),
        mov64_reg(1, 6),
        mov64_imm(2, 8),
        call(2),
        st(DW, 6, 8, 5),
        ldx(B, 7, 6, 0),
        mov64_reg(1, 6),
        call(4),
        add64_reg(0, 7),
        exit(),
        mov64_imm(0, 7),
        exit(),
    ];
    let mut map = OneValue { value: [0, 0] };
    let mut p = with_helpers(insns, &mut map);
    p.helpers[3].ret_size_arg = 0; // the size is the caller's number: no static size
    assert_eq!(p.check().0, 0, "{}", p.check().1);
    let why = Code::compile(&p.raw()).err().expect("a record of unknown size");
    assert!(why.contains("not a known region") || why.contains("interpreter"), "{why}");
    p.helpers[3].ret_size_arg = 1;
    let mut insns = p.insns.clone();
    insns[0] = mov64_imm(1, 16);
    let p = with_helpers(insns, &mut map);
    let [interp, native] = both_ways(&p, &mut map as *mut OneValue, &[], 0, std::ptr::null_mut());
    assert_eq!(native, interp);
    assert_eq!(interp.0, 5 + 0xab);
}

#[test]
fn a_tail_call_goes_on_in_the_interpreter() {
    let mut map = OneValue { value: [0, 0] };
    // next: r0 = ctx[0] + 40
    let next = Program::new(vec![ldx(B, 0, 1, 0), add64_imm(0, 40), exit()]);
    let mut next_raw = next.raw();
    next_raw.ctx_size = 1;
    // main: r6 = 5; tail_call(ctx); r0 = r6 (the tail call failed) ; exit
    let p = with_helpers(vec![mov64_imm(6, 5), call(6), mov64_reg(0, 6), exit()], &mut map);
    let [interp, native] = both_ways(&p, &mut map as *mut OneValue, &[2], 0, &mut next_raw as *mut Prog as *mut c_void);
    assert_eq!(native, interp);
    assert_eq!(interp.0, 42);
}

#[test]
fn what_the_code_leaves_to_the_interpreter_says_why() {
    let mut map = OneValue { value: [0, 0] };
    // a helper argument that is a pointer on one path and a number on the other
    let p = with_helpers(vec![mov64_reg(1, 10), jeq_imm(2, 0, 1), mov64_imm(1, 0), mov64_imm(2, 8), call(2), exit()], &mut map);
    assert_eq!(p.check().0, 0);
    let why = Code::compile(&p.raw()).err().expect("refused");
    assert!(why.contains("r1") && why.contains("interpreter's to know"), "{why}");
    // a callback helper
    let mut p = Program::new(vec![
        mov64_imm(1, 1),
        ld_imm64(2, 4, 5)[0],
        ld_imm64(2, 4, 5)[1],
        mov64_imm(3, 0),
        mov64_imm(4, 0),
        call(181),
        exit(),
        mov64_imm(0, 0),
        exit(),
    ]);
    p.helper(181, "loop", ebpf_helper_loop, RET_INTEGER, [ARG_ANYTHING, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL, ARG_ANYTHING, 0]);
    assert_eq!(p.check().0, 0, "{}", p.check().1);
    let why = Code::compile(&p.raw()).err().expect("refused");
    assert!(why.contains("callback"), "{why}");
}

/// The "kernel memory" loads through a number may read; everything else faults.
static KERNEL: [u32; 4] = [0x1111_1111, 0xdead_beef, 0x3333_3333, 0x8000_0082];

unsafe extern "C" fn kernel_read(dst: *mut c_void, src: u64, size: u32) -> std::ffi::c_long {
    let base = KERNEL.as_ptr() as u64;
    if src < base || src.checked_add(size as u64).is_none_or(|e| e > base + 16) {
        return -14;
    }
    std::ptr::copy_nonoverlapping(src as *const u8, dst as *mut u8, size as usize);
    0
}

#[test]
fn loads_through_a_number_read_as_the_interpreters() {
    const MEMSX: u8 = 0x81;
    // r2 = ctx[0], a kernel pointer as a BTF-typed program reads one; r3..r5 and r0 set
    // before the load must survive it, whatever it reads
    let prologue = [ldx(DW, 2, 1, 0), mov64_imm(3, 3), mov64_imm(4, 40), mov64_imm(5, 500), mov64_imm(0, 7000)];
    let sum = [add64_reg(0, 3), add64_reg(0, 4), add64_reg(0, 5), add64_reg(0, 6), exit()];
    let loads = [
        ("a word", ldx(W, 6, 2, 4)),
        ("a double word across the end", ldx(DW, 6, 2, 12)),
        ("a byte, sign-extended", Insn::new(MEMSX | B, 6, 2, 12, 0)),
        ("a half, sign-extended", Insn::new(MEMSX | H, 6, 2, 14, 0)),
        ("a word, sign-extended", Insn::new(MEMSX | W, 6, 2, 12, 0)),
        ("into r0", ldx(W, 0, 2, 0)),
        ("into its own base", ldx(B, 2, 2, 1)),
    ];
    let base = KERNEL.as_ptr() as u64;
    let mut s = Scratch::new();
    for (what, load) in loads {
        let mut insns = prologue.to_vec();
        insns.push(load);
        insns.extend_from_slice(&sum);
        let mut p = Program::new(insns);
        p.probe_read = Some(kernel_read);
        p.ctx_size = 8;
        assert_eq!(p.check().0, 0, "{what}: {}", p.check().1);
        let code = Code::compile(&p.raw()).unwrap_or_else(|why| panic!("{what}: {why}"));
        for ptr in [base, base + 4, 0, 0xdead_0000_0000, u64::MAX - 2] {
            let (mut a, mut b) = (ptr.to_le_bytes(), ptr.to_le_bytes());
            let interp = p.run(&mut s, &mut a, 0, 0, std::ptr::null_mut());
            let native = code.run(&p.raw(), &mut s, &mut b, 0, 0, std::ptr::null_mut());
            assert_eq!((native.r0, native.error), (interp.r0, interp.error), "{what} at {ptr:#x}");
        }
    }
    // without a fault-tolerant read (not a BTF-typed program) such a load is refused
    let mut p = Program::new(vec![ldx(DW, 2, 1, 0), ldx(W, 0, 2, 0), exit()]);
    p.ctx_size = 8;
    let why = Code::compile(&p.raw()).err().expect("refused");
    assert!(why.contains("r2 is not a known region"), "{why}");
}

/// A bpf-to-bpf call of the subprogram at `target` from insn `at`.
fn call_at(at: usize, target: usize) -> Insn {
    Insn::new(0x85, 0, 1, 0, (target as i64 - at as i64 - 1) as i32)
}

/// `main` then the subprograms, each call (a placeholder `call_sub(n)`, imm = -1 - n)
/// pointed at the start of subprogram n.
fn link(main: Vec<Insn>, subs: Vec<Vec<Insn>>) -> Vec<Insn> {
    let mut starts = vec![];
    let mut all = main;
    for s in &subs {
        starts.push(all.len());
        all.extend_from_slice(s);
    }
    for i in 0..all.len() {
        if all[i].code == 0x85 && all[i].regs >> 4 == 1 {
            all[i] = call_at(i, starts[(-1 - all[i].imm) as usize]);
        }
    }
    all
}

fn call_sub(n: i32) -> Insn {
    Insn::new(0x85, 0, 1, 0, -1 - n)
}

#[test]
fn bpf_to_bpf_calls_agree_with_the_interpreter() {
    let mut map = OneValue { value: [0, 0] };
    // main keeps r6, r7 and its stack across the call; the subprogram clobbers r6, uses
    // its own frame (a store, a load, a helper filling 16 bytes of it) and returns its
    // argument + what it read; after the call r1..r5 read 0
    let main = vec![
        mov64_imm(6, 6),
        mov64_imm(7, 7),
        st(DW, 10, -8, 11),
        mov64_imm(1, 100),
        call_sub(0),
        add64_reg(0, 6),
        add64_reg(0, 7),
        ldx(DW, 2, 10, -8),
        add64_reg(0, 2),
        add64_reg(0, 1),
        add64_reg(0, 5),
        exit(),
    ];
    let sub = vec![
        mov64_reg(6, 1),
        st(DW, 10, -24, 22),
        mov64_reg(1, 10),
        add64_imm(1, -16),
        mov64_imm(2, 16),
        call(2),
        ldx(DW, 0, 10, -24),
        ldx(B, 3, 10, -1),
        add64_reg(0, 3),
        add64_reg(0, 6),
        exit(),
    ];
    let p = with_helpers(link(main, vec![sub]), &mut map);
    assert_eq!(p.check().0, 0, "{}", p.check().1);
    let [interp, native] = both_ways(&p, &mut map as *mut OneValue, &[], 0, std::ptr::null_mut());
    assert_eq!(native, interp);
    assert_eq!(interp.0, 22 + 0xab + 100 + 6 + 7 + 11);

    // the deepest chain the checker takes (8 frames), each frame's stack its own; then a
    // store past the deepest frame (at r10 + r2 - 16, r2 the run's number passed down)
    // ends the run there, with every frame the code entered left behind
    let mut subs = vec![];
    for n in 0..7 {
        let mut s = vec![stx(DW, 10, 1, -8), add64_imm(1, 1)];
        if n < 6 {
            s.push(call_sub(n + 1));
        } else {
            // r2 & 0xfffff: a number (an argument's kind is unknown to the callee)
            s.extend([mov64_reg(3, 2), Insn::new(0x57, 3, 0, 0, 0xfffff), add64_reg(3, 10), st(DW, 3, -16, 1), mov64_reg(0, 1)]);
        }
        s.extend([ldx(DW, 4, 10, -8), add64_reg(0, 4), exit()]);
        subs.push(s);
    }
    let main = vec![mov64_imm(1, 1), call_sub(0), exit()];
    let p = with_helpers(link(main, subs), &mut map);
    assert_eq!(p.check().0, 0, "{}", p.check().1);
    for r2 in [0, 8, 16, 1 << 19] {
        let [interp, native] = both_ways(&p, &mut map as *mut OneValue, &[], r2, std::ptr::null_mut());
        assert_eq!(native, interp, "r2 = {r2}");
        assert_eq!(interp.1, if r2 <= 8 { 0 } else { -EFAULT }, "r2 = {r2}");
    }
    let [interp, _] = both_ways(&p, &mut map as *mut OneValue, &[], 0, std::ptr::null_mut());
    assert_eq!(interp.0, 8 + (1..=7).sum::<u64>());

    // a subprogram called in a loop: the budget ends both runs
    let main = vec![mov64_imm(6, 0), call_sub(0), add64_imm(6, 1), jne_imm(6, 1 << 20, -3), mov64_reg(0, 6), exit()];
    let sub = vec![mov64_imm(0, 1), exit()];
    let p = with_helpers(link(main, vec![sub]), &mut map);
    assert_eq!(p.check().0, 0, "{}", p.check().1);
    let code = Code::compile(&p.raw()).expect("compiles");
    let mut s = Scratch::new();
    let interp = p.run(&mut s, &mut [], 0, 10_000, std::ptr::null_mut());
    let native = code.run(&p.raw(), &mut s, &mut [], 0, 10_000, std::ptr::null_mut());
    assert_eq!((interp.error, native.error), (-E2BIG, -E2BIG));
}

#[test]
fn a_lookups_value_at_a_bounded_offset_compiles_without_a_check() {
    // a histogram: slot = r2 & mask, clamped to 1; value[slot] += 1 (a 16-byte value)
    let program = |mask: i32| {
        let mut v = vec![
            Insn::new(0x57, 2, 0, 0, mask), // r2 &= mask
            Insn::new(0xa5, 2, 0, 1, 2),    // if r2 < 2 goto +1
            mov64_imm(2, 1),
            alu64(0x60, 2, 0xff, 3), // r2 <<= 3
            mov64_reg(6, 2),
            st(W, 10, -4, 0),
            mov64_reg(2, 10),
            add64_imm(2, -4),
        ];
        v.extend(ld_imm64(1, 1, 0));
        v.extend([call(1), jeq_imm(0, 0, 4), add64_reg(0, 6), mov64_imm(1, 1), atomic(DW, 0, 1, 0, 0), mov64_imm(0, 0), exit()]);
        v
    };
    let mut map = OneValue { value: [10, 20] };
    let p = with_helpers(program(0xff), &mut map);
    assert_eq!(p.check().0, 0, "{}", p.check().1);
    for r2 in [0, 1, 2, 0x80, 0x1ff] {
        let [interp, native] = both_ways(&p, &mut map as *mut OneValue, &[], r2, std::ptr::null_mut());
        assert_eq!(native, interp, "r2 = {r2:#x}");
        assert_eq!(interp.1, 0);
    }
    // without the clamp the slot may reach past the value: left to the interpreter
    let mut insns = program(0x3);
    insns[1] = mov64_imm(3, 0);
    insns[2] = mov64_imm(3, 0);
    let p = with_helpers(insns, &mut map);
    assert_eq!(p.check().0, 0, "{}", p.check().1);
    let why = Code::compile(&p.raw()).err().expect("refused");
    assert!(why.contains("outside r0's region"), "{why}");
}

/// helper 7: writes r2 bytes at r1 through ebpf_arg_access_ok, as map_pop_elem writes its
/// value: 1 when the engine let it, 0 when it refused
unsafe extern "C" fn h_write_own(run: *mut Run, to: u64, size: u64, _: u64, _: u64, _: u64) -> u64 {
    if !ebpf_arg_access_ok(run, 1, to, size, true) {
        return 0;
    }
    std::ptr::write_bytes(to as *mut u8, 0xcd, size as usize);
    1
}

#[test]
fn a_helper_writes_the_stack_slots_its_arguments_say() {
    let mut map = OneValue { value: [0, 0] };
    // ctx spilled at fp - 8; a helper fills the 16 bytes below it; the fill brings the
    // context back: its kind survives the call, so the load through it compiles
    let insns = vec![
        stx(DW, 10, 1, -8),
        mov64_reg(1, 10),
        add64_imm(1, -24),
        mov64_imm(2, 16),
        call(2),
        ldx(DW, 1, 10, -8),
        ldx(B, 0, 1, 0),
        ldx(B, 3, 10, -24),
        add64_reg(0, 3),
        exit(),
    ];
    let mut p = with_helpers(insns, &mut map);
    p.ctx_size = 4;
    assert_eq!(p.check().0, 0, "{}", p.check().1);
    let [interp, native] = both_ways(&p, &mut map as *mut OneValue, &[7, 0, 0, 0], 0, std::ptr::null_mut());
    assert_eq!(native, interp);
    assert_eq!(interp.0, 7 + 0xab);

    // a helper may write on its own only through the kinds that say so
    // (ebpf_arg_helper_writes): through PTR_TO_MEM (read-only) the engine refuses ...
    let mut p = Program::new(vec![mov64_reg(1, 10), add64_imm(1, -16), mov64_imm(2, 16), call(7), exit()]);
    p.helper(7, "write_own", h_write_own, RET_INTEGER, [ARG_PTR_TO_MEM, ARG_CONST_SIZE, 0, 0, 0]);
    assert_eq!(p.check().0, 0, "{}", p.check().1);
    let mut s = Scratch::new();
    let o = p.run(&mut s, &mut [], 0, 0, std::ptr::null_mut());
    assert_eq!((o.error, o.r0), (0, 0), "written through a read-only argument");
    // ... through a MAP_VALUE out-parameter (map_pop_elem's) it lets it
    let mut p = Program::new(vec![mov64_reg(2, 10), add64_imm(2, -16)]);
    p.insns.extend(ld_imm64(1, 1, 0));
    p.insns.extend([call(7), exit()]);
    p.helper(7, "write_value", h_write_value, RET_INTEGER, [ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_VALUE, 0, 0, 0]);
    p.maps.push(MapRef::new(&mut map as *mut OneValue as *mut c_void, 4, 16));
    assert_eq!(p.check().0, 0, "{}", p.check().1);
    let o = p.run(&mut s, &mut [], 0, 0, std::ptr::null_mut());
    assert_eq!((o.error, o.r0), (0, 1), "written through a value out-parameter");
}

/// helper 7 for a MAP_VALUE out-parameter in r2 (16 bytes)
unsafe extern "C" fn h_write_value(run: *mut Run, _: u64, to: u64, _: u64, _: u64, _: u64) -> u64 {
    if !ebpf_arg_access_ok(run, 2, to, 16, true) {
        return 0;
    }
    std::ptr::write_bytes(to as *mut u8, 0xcd, 16);
    1
}
