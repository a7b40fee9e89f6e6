//! Native code for the programs the static kinds prove (driver/engine/ebpf_jit_x86.c),
//! differentially against the interpreter: every conformance vector the compiler takes
//! runs both ways on copies of the same memory, and r0 (the vector's result), the
//! memory afterwards and the error must agree. Vectors it refuses say why (the interpreter runs them). Host only:
//! the module does not use the compiler yet.
use bpfcompat_tests::engine as engine_common;

use bpfcompat_tests::jit::Code;
use engine_common::*;
use std::collections::BTreeMap;

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
        let (r0, st) = code.run(&mut scratch, &mut b, len, 10_000_000);
        let expected = u64::from_str_radix(v["result"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
        // the interpreter passes the suite (tests/conformance.rs): both must give its result
        let agree = interp.error == 0 && st.error == 0 && r0 == interp.r0 && r0 == expected && a == b;
        if !agree {
            failures.push(format!(
                "{name}: interpreter r0 {:#x} error {}, native r0 {r0:#x} error {} (memory {})",
                interp.r0,
                interp.error,
                st.error,
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
    use engine_common::asm::*;
    // r0 = 0; loop: r0 += 1; if r0 != 1000 goto loop; exit
    let p = Program::new(vec![mov64_imm(0, 0), add64_imm(0, 1), jne_imm(0, 1000, -2), exit()]);
    assert_eq!(p.check().0, 0);
    let code = Code::compile(&p.raw()).expect("a plain loop compiles");
    let mut s = Scratch::new();
    let (r0, st) = code.run(&mut s, &mut [], 0, 1000);
    assert_eq!((r0, st.error), (1000, 0), "999 back edges within a budget of 1000");
    let (r0, st) = code.run(&mut s, &mut [], 0, 500);
    assert_eq!((r0, st.error, st.error_pc), (0, -E2BIG, 2), "the budget ends the run at the back edge");
}

#[test]
fn accesses_outside_their_region_are_refused() {
    use engine_common::asm::*;
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
    use engine_common::asm::*;
    // r3 = fp - 16 + r2 (r2 the caller's number): a store and a load there, in or out of the frame
    let p = Program::new(vec![mov64_reg(3, 10), add64_imm(3, -16), add64_reg(3, 2), st(DW, 3, 0, 7), ldx(DW, 0, 3, 0), exit()]);
    assert_eq!(p.check().0, 0);
    let code = Code::compile(&p.raw()).expect("a checked store compiles");
    let mut s = Scratch::new();
    for r2 in [0u64, 8, 9, 16, (-496i64) as u64, (-497i64) as u64, 1 << 40] {
        let interp = p.run(&mut s, &mut [], r2, 0, std::ptr::null_mut());
        let (r0, st) = code.run(&mut s, &mut [], r2, 1);
        assert_eq!((r0, st.error), (interp.r0, interp.error), "r2 = {r2:#x}");
        if interp.error != 0 {
            assert_eq!((st.error, st.error_pc), (-EFAULT, interp.error_pc), "r2 = {r2:#x}");
        }
    }
}

#[test]
fn edge_cases_agree_with_the_interpreter() {
    use engine_common::asm::*;
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
        let (r0, st) = code.run(&mut s, &mut [], 0, 1);
        assert_eq!((r0, st.error), (interp.r0, interp.error), "{name}: {insns:?}");
    }
}
