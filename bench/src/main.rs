//! `engine-bench`: nanoseconds per executed eBPF instruction of the portable
//! engine (driver/engine, host build, the same C the module runs) against
//! rbpf's interpreter and the host kernel's native eBPF (JIT, BPF_PROG_TEST_RUN with
//! `repeat`, the kernel's own per-run duration) on the same programs, in one run.
//!
//!   cargo run --release -p bpfcompat-bench [-- ITERATIONS]
//!
//! The instruction count is the engine's (budget in - budget out); all run the
//! identical bytecode, and r0 is compared so none skips work. Native runs are socket
//! filters: with a zeroed 64-byte packet for programs that ignore r1, with the frame
//! for the LD_IND packet program (the engine runs it on its skb context, rbpf on the
//! bytes past the Ethernet header). Programs reading r1 as plain memory, and hosts
//! that refuse bpf(), print n/a with the reason. The engine's own x86-64 code
//! (ebpf_jit_x86.c, host only so far) runs the programs it compiles: "engine JIT", with
//! its ratio to the host kernel's JIT; n/a with the reason for those it leaves to the
//! interpreter.
extern crate bpfcompat_tests;

use bpfcompat_tests::engine as engine_common;

use bpfcompat_tests::jit::Code;
use bpfcompat_tests::native;
use engine_common::asm::*;
use engine_common::*;
use std::time::Instant;

fn bytes(insns: &[Insn]) -> Vec<u8> {
    insns
        .iter()
        .flat_map(|i| {
            let mut b = vec![i.code, i.regs];
            b.extend_from_slice(&i.off.to_le_bytes());
            b.extend_from_slice(&i.imm.to_le_bytes());
            b
        })
        .collect()
}

/// What a program reads.
#[derive(PartialEq)]
enum Input {
    /// Nothing: runs natively too, on a zeroed packet.
    Nothing,
    /// Its memory through r1 (a socket filter's r1 is an skb, so no native run).
    Memory,
    /// The packet through LD_ABS / LD_IND: `mem` is the Ethernet frame.
    Packet,
}

struct Case {
    name: &'static str,
    insns: Vec<Insn>,
    mem: Vec<u8>,
    input: Input,
}

fn cases() -> Vec<Case> {
    // r0 = sum of i*3 ^ i for i in 0..10000: ALU and a backward branch.
    let alu = vec![
        mov64_imm(0, 0),
        mov64_imm(2, 0),
        // loop:
        mov64_reg(3, 2),
        Insn::new(0x27, 3, 0, 0, 3), // r3 *= 3
        Insn::new(0xaf, 3, 2, 0, 0), // r3 ^= r2
        add64_reg(0, 3),
        add64_imm(2, 1),
        Insn::new(0xa5, 2, 0, -6, 10000), // if r2 < 10000 goto loop
        exit(),
    ];
    // r0 = sum of the bytes of a 1500-byte packet at r1 (length in the loop bound).
    let packet = vec![
        mov64_imm(0, 0),
        mov64_imm(2, 0),
        // loop:
        mov64_reg(3, 1),
        add64_reg(3, 2),
        ldx(B, 4, 3, 0),
        add64_reg(0, 4),
        add64_imm(2, 1),
        Insn::new(0xa5, 2, 0, -6, 1500), // if r2 < 1500 goto loop
        exit(),
    ];
    // Stack traffic: a 64-slot array on the stack filled and summed 50 times.
    let stack = vec![
        mov64_imm(0, 0),
        mov64_imm(6, 0),
        // outer:
        mov64_imm(2, 0),
        // fill:
        mov64_reg(3, 10),
        add64_imm(3, -512),
        mov64_reg(4, 2),
        Insn::new(0x67, 4, 0, 0, 3), // r4 <<= 3
        add64_reg(3, 4),
        stx(DW, 3, 2, 0),
        ldx(DW, 5, 3, 0),
        add64_reg(0, 5),
        add64_imm(2, 1),
        Insn::new(0xa5, 2, 0, -10, 64), // if r2 < 64 goto fill
        add64_imm(6, 1),
        Insn::new(0xa5, 6, 0, -13, 50), // if r6 < 50 goto outer
        exit(),
    ];
    // The same sum over a 1500-byte frame's 1486 bytes past the Ethernet header, the
    // socket filter way: r0 = LD_IND byte [r7].
    let ld_ind = vec![
        mov64_reg(6, 1),
        mov64_imm(7, 0),
        mov64_imm(8, 0),
        // loop:
        Insn::new(0x50, 0, 7, 0, 0), // r0 = *(u8 *)skb[r7]
        add64_reg(8, 0),
        add64_imm(7, 1),
        Insn::new(0xa5, 7, 0, -4, 1486), // if r7 < 1486 goto loop
        mov64_reg(0, 8),
        exit(),
    ];
    let packet_mem: Vec<u8> = (0..1500u32).map(|i| (i * 7) as u8).collect();
    vec![
        Case { name: "alu loop (10k iterations)", insns: alu, mem: vec![0; 8], input: Input::Nothing },
        Case { name: "packet byte sum (1500 B)", insns: packet, mem: packet_mem.clone(), input: Input::Memory },
        Case { name: "LD_IND byte sum (1486 B)", insns: ld_ind, mem: packet_mem, input: Input::Packet },
        Case { name: "stack fill+sum (50x64 slots)", insns: stack, mem: vec![0; 8], input: Input::Nothing },
    ]
}

fn main() {
    let iterations: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    check_layout();
    let native = native::available();
    if let Err(why) = &native {
        println!("native eBPF: n/a ({why})");
    }
    println!("ns per executed instruction; 'vs': the engine's time over the other's");
    println!(
        "{:<30} {:>9} {:>10} {:>10} {:>12} {:>11} {:>13} {:>11} {:>14}",
        "program", "insns/run", "engine", "rbpf", "native JIT", "vs rbpf", "vs native", "engine JIT", "JIT vs native"
    );
    let mut left_out = vec![];
    for case in cases() {
        let mut prog = Program::new(case.insns.clone());
        prog.ctx_writable = false;
        prog.ctx_size = case.mem.len() as u32;
        if case.input == Input::Packet {
            prog.ctx_kind = CTX_SKB;
        }
        let (rc, log) = prog.check();
        assert_eq!(rc, 0, "{}: checker rejected: {log}", case.name);
        let raw = prog.raw();
        let mut scratch = Scratch::new();
        let mut mem = case.mem.clone();
        let mut skb = Skb::new(&case.mem, &LOOPBACK, None).expect("a 1500-byte frame");
        let ctx: *mut std::ffi::c_void = match case.input {
            Input::Packet => &mut *skb as *mut Skb as *mut _,
            _ => mem.as_mut_ptr() as *mut _,
        };

        let budget = 100_000_000;
        let first = run_prog(&raw, &mut scratch, ctx, 0, budget, std::ptr::null_mut());
        assert_eq!(first.error, 0, "{}: aborted", case.name);
        let executed = budget - first.budget_left;

        let t = Instant::now();
        let mut r0 = 0;
        for _ in 0..iterations {
            r0 = run_prog(&raw, &mut scratch, ctx, 0, budget, std::ptr::null_mut()).r0;
        }
        let engine_ns = t.elapsed().as_nanos() as f64 / (iterations as f64 * executed as f64);
        assert_eq!(r0, first.r0);

        let code = bytes(&case.insns);
        let vm = rbpf::EbpfVmRaw::new(Some(&code)).expect("rbpf accepts the program");
        // rbpf's LD_ABS / LD_IND read its memory from byte 0: the bytes past the header,
        // plus 7 bytes it never reads (rbpf 0.4 bounds-checks 8 bytes for every size)
        let mut rmem = match case.input {
            Input::Packet => [&case.mem[14..], &[0u8; 7][..]].concat(),
            _ => case.mem.clone(),
        };
        let rr0 = vm.execute_program(&mut rmem).expect("rbpf run");
        assert_eq!(rr0, first.r0, "{}: rbpf and the engine disagree", case.name);
        let t = Instant::now();
        for _ in 0..iterations {
            std::hint::black_box(vm.execute_program(&mut rmem).unwrap());
        }
        let rbpf_ns = t.elapsed().as_nanos() as f64 / (iterations as f64 * executed as f64);
        let native_ns = match (&native, &case.input) {
            (Err(_), _) | (Ok(()), Input::Memory) => None,
            (Ok(()), input) => {
                let packet = if *input == Input::Packet { case.mem.clone() } else { vec![0u8; 64] };
                let p =
                    native::NativeProg::load(native::BPF_PROG_TYPE_SOCKET_FILTER, &code).expect("the host verifier accepts the program");
                let r = p.test_run(&packet, &[], iterations).expect("host BPF_PROG_TEST_RUN");
                assert_eq!(r.retval, first.r0 as u32, "{}: native eBPF and the engine disagree", case.name);
                Some(r.duration_ns as f64 / executed as f64)
            }
        };
        let jit_ns = match Code::compile(&raw) {
            Ok(jit) => {
                let out = jit.run(&raw, &mut scratch, &mut mem, 0, budget, std::ptr::null_mut());
                assert_eq!((out.r0, out.error), (first.r0, 0), "{}: the engine's JIT and its interpreter disagree", case.name);
                let t = Instant::now();
                for _ in 0..iterations {
                    std::hint::black_box(jit.run(&raw, &mut scratch, &mut mem, 0, budget, std::ptr::null_mut()).r0);
                }
                Some(t.elapsed().as_nanos() as f64 / (iterations as f64 * executed as f64))
            }
            Err(why) => {
                left_out.push(format!("{}: {why}", case.name));
                None
            }
        };
        let (native_col, vs_native) = match native_ns {
            Some(n) => (format!("{n:.3}"), format!("{:.1}x", engine_ns / n)),
            None => ("n/a".to_string(), "n/a".to_string()),
        };
        let (jit_col, jit_vs_native) = match (jit_ns, native_ns) {
            (Some(j), Some(n)) => (format!("{j:.3}"), format!("{:.1}x", j / n)),
            (Some(j), None) => (format!("{j:.3}"), "n/a".to_string()),
            _ => ("n/a".to_string(), "n/a".to_string()),
        };
        println!(
            "{:<30} {:>9} {:>10.2} {:>10.2} {:>12} {:>10.2}x {:>13} {:>11} {:>14}",
            case.name,
            executed,
            engine_ns,
            rbpf_ns,
            native_col,
            engine_ns / rbpf_ns,
            vs_native,
            jit_col,
            jit_vs_native
        );
    }
    for why in left_out {
        println!("engine JIT n/a: {why}");
    }
}
