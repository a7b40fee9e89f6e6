//! Socket filters on the portable engine — driver/engine/ebpf_skb.c and the
//! interpreter's BPF_LD_ABS / BPF_LD_IND and __sk_buff rules — against the host
//! kernel's own BPF_PROG_TEST_RUN: the same programs, frames and contexts must give
//! the same retval, the same ctx_out and the same errno. `engine_test_run` below is
//! what driver/prog_test_run.c does in the module, minus the copies from user space.
//!
//! Where Linux refuses a program at load (a forbidden __sk_buff access, LD_ABS with r6
//! not the context) the engine, which checks those at run time, aborts the run with
//! the same errno; the comparison treats the two alike. Skipped with the reason when
//! the host does not allow bpf().

use bpfcompat_tests::engine as engine_common;

use bpfcompat_tests::native::{self, NativeProg, TestRunIn};
use engine_common::asm::*;
use engine_common::*;
use std::ffi::c_void;

const SOCKET_FILTER: u32 = native::BPF_PROG_TYPE_SOCKET_FILTER;
const SKF_NET_OFF: i32 = -0x100000;
const SKF_LL_OFF: i32 = -0x200000;
const XOR_MARK: i32 = 0x5a5a5a5a;

fn ld_abs(size: u8, imm: i32) -> Insn {
    Insn::new(0x20 | size, 0, 0, 0, imm)
}

fn ld_ind(size: u8, src: u8, imm: i32) -> Insn {
    Insn::new(0x40 | size, 0, src, 0, imm)
}

fn xor64_imm(dst: u8, imm: i32) -> Insn {
    Insn::new(0xa7, dst, 0, 0, imm)
}

fn bytes(insns: &[Insn]) -> Vec<u8> {
    insns
        .iter()
        .flat_map(|i| {
            let mut b = vec![i.code, i.regs];
            b.extend(i.off.to_le_bytes());
            b.extend(i.imm.to_le_bytes());
            b
        })
        .collect()
}

unsafe extern "C" fn skb_load_bytes(_: *mut Run, ctx: u64, off: u64, to: u64, len: u64, _: u64) -> u64 {
    ebpf_skb_load_bytes(ctx as *const Skb, off as u32, to as *mut c_void, len as u32) as i64 as u64
}

unsafe extern "C" fn skb_load_bytes_relative(_: *mut Run, ctx: u64, off: u64, to: u64, len: u64, start: u64) -> u64 {
    ebpf_skb_load_bytes_relative(ctx as *const Skb, off as u32, to as *mut c_void, len as u32, start as u32) as i64 as u64
}

/// The run as the module does it: Ok((retval, ctx_out)) or Err(errno), where a load
/// refusal and an aborted run both give their errno.
type Outcome = Result<(u32, Option<SkBuff>), i32>;

fn socket_filter(insns: &[Insn]) -> Program {
    let mut p = Program::new(insns.to_vec());
    p.ctx_kind = CTX_SKB;
    p.helper(
        26,
        "skb_load_bytes",
        skb_load_bytes,
        RET_INTEGER,
        [ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE, ARG_NONE],
    );
    p.helper(
        68,
        "skb_load_bytes_relative",
        skb_load_bytes_relative,
        RET_INTEGER,
        [ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE, ARG_ANYTHING],
    );
    p
}

/// The engine's checker alone: Err(errno) where it refuses the program at load.
fn engine_load(insns: &[Insn]) -> Result<(), i32> {
    match socket_filter(insns).check().0 {
        0 => Ok(()),
        rc => Err(-rc),
    }
}

fn engine_test_run(insns: &[Insn], frame: &[u8], ctx_in: Option<&SkBuff>) -> Outcome {
    engine_load(insns)?;
    engine_run_unchecked(insns, frame, ctx_in)
}

/// The interpreter alone, without the checker: its own checks of every access.
fn engine_run_unchecked(insns: &[Insn], frame: &[u8], ctx_in: Option<&SkBuff>) -> Outcome {
    let p = socket_filter(insns);
    let mut skb = Skb::new(frame, &LOOPBACK, ctx_in)?;
    let mut scratch = Scratch::new();
    let out = run_prog(&p.raw(), &mut scratch, &mut *skb as *mut Skb as *mut c_void, 0, 0, std::ptr::null_mut());
    if out.error != 0 {
        return Err(-out.error);
    }
    let ctx_out = ctx_in.map(|c| {
        let mut u = *c;
        unsafe { ebpf_skb_to_user(&*skb, &mut u) };
        u
    });
    Ok((out.r0 as u32, ctx_out))
}

fn native_test_run(insns: &[Insn], frame: &[u8], ctx_in: Option<&SkBuff>) -> Outcome {
    let prog = NativeProg::load(SOCKET_FILTER, &bytes(insns))?;
    let ctx = ctx_in.map(|c| c.0.to_vec()).unwrap_or_default();
    let out = prog.test_run_with(&TestRunIn {
        data: frame,
        ctx_in: &ctx,
        ctx_out_size: if ctx_in.is_some() { 192 } else { 0 },
        ..Default::default()
    })?;
    // What the module hands back as data_out, pinned on the oracle: the frame with its
    // Ethernet header zeroed (Linux pushes the pulled header back as zeroes).
    let mut want = frame.to_vec();
    want[..14].fill(0);
    assert_eq!(out.data_out, want, "host data_out is not the frame with a zeroed Ethernet header");
    Ok((out.retval, ctx_in.map(|_| SkBuff(out.ctx_out.as_slice().try_into().expect("192-byte ctx_out")))))
}

/// An outcome for a failure message: retval and the ctx_out words that are not zero.
fn show(o: &Outcome) -> String {
    match o {
        Err(e) => format!("errno {e}"),
        Ok((r, None)) => format!("retval {r:#x}"),
        Ok((r, Some(c))) => {
            let words: Vec<String> =
                (0..192).step_by(4).filter(|&off| c.u32_at(off) != 0).map(|off| format!("@{off}={:#x}", c.u32_at(off))).collect();
            format!("retval {r:#x} ctx_out {}", words.join(" "))
        }
    }
}

fn frame(dest: [u8; 6], proto: u16, payload: usize) -> Vec<u8> {
    let mut f = dest.to_vec();
    f.extend([0x02, 0, 0, 0, 0, 0x02]);
    f.extend(proto.to_be_bytes());
    f.extend((0..payload).map(|i| (i * 37 + 11) as u8));
    f
}

fn frames() -> Vec<(&'static str, Vec<u8>)> {
    let mut raw_8023 = frame([0; 6], 0x0040, 30);
    raw_8023[14] = 0xff;
    raw_8023[15] = 0xff;
    vec![
        ("ipv4 to host", frame([0; 6], 0x0800, 50)),
        ("arp broadcast", frame([0xff; 6], 0x0806, 28)),
        ("ipv4 multicast", frame([1, 0, 0x5e, 0, 0, 1], 0x0800, 20)),
        ("ipv6 other host", frame([2, 0, 0, 0, 0, 1], 0x86dd, 40)),
        ("802.2 llc", frame([0; 6], 0x0040, 30)),
        ("802.3 raw", raw_8023),
        ("header only", frame([0; 6], 0x0806, 0)),
        ("one byte", frame([0; 6], 0x0806, 1)),
        ("1500 bytes", frame([0; 6], 0x0800, 1486)),
    ]
}

fn user_ctx() -> SkBuff {
    let mut c = SkBuff::zeroed();
    c.set_u32(8, 0x1234) // mark
        .set_u32(32, 6) // priority
        .set_u32(36, 3) // ingress_ifindex
        .set_u32(48, 0xc0) // cb[0..4]
        .set_u32(52, 0xc1)
        .set_u32(56, 0xc2)
        .set_u32(60, 0xc3)
        .set_u32(64, 0xc4)
        .set_u64(152, 123_456_789) // tstamp
        .set_u32(164, 2) // gso_segs
        .set_u32(176, 1400) // gso_size
        .set_u64(184, 987_654); // hwtstamp
    c
}

/// Every readable 32-bit field (and narrow reads of a few), LD_ABS / LD_IND at offsets
/// in, at the end of and past the packet and relative to the mac / network header,
/// cb writes, and the two load-bytes helpers.
fn programs() -> Vec<(String, Vec<Insn>)> {
    let mut v: Vec<(String, Vec<Insn>)> = Vec::new();
    for off in (0..192).step_by(4) {
        if unsafe { ebpf_skb_ctx_access_ok(off, 4, false) } {
            v.push((format!("read u32 @{off}"), vec![ldx(W, 0, 1, off as i16), exit()]));
        }
    }
    // narrow reads of every field, every byte: Linux masks the kernel's (possibly
    // narrower) field, so some return the whole value whichever bytes they name
    for off in 0..192u32 {
        for (size, n) in [(B, 1), (H, 2)] {
            if off % n == 0 && unsafe { ebpf_skb_ctx_access_ok(off, n, false) } {
                v.push((format!("narrow read {n} @{off}"), vec![ldx(size, 0, 1, off as i16), exit()]));
            }
        }
    }
    let abs_offsets = [
        0,
        1,
        2,
        3,
        12,
        13,
        16,
        35,
        36,
        45,
        46,
        47,
        48,
        49,
        1484,
        1485,
        1486,
        1000,
        -1,
        -14,
        i32::MAX,
        i32::MIN,
        SKF_NET_OFF,
        SKF_NET_OFF + 2,
        SKF_NET_OFF + 46,
        SKF_NET_OFF + 49,
        SKF_NET_OFF - 1,
        SKF_LL_OFF,
        SKF_LL_OFF + 12,
        SKF_LL_OFF + 60,
        SKF_LL_OFF + 63,
        SKF_LL_OFF - 1,
    ];
    for (size, sname) in [(B, "b"), (H, "h"), (W, "w")] {
        for off in abs_offsets {
            // r0 ^ XOR_MARK: a load that ends the program (r0 = 0) differs from a load of 0
            v.push((format!("ld_abs{sname} {off:#x}"), vec![mov64_reg(6, 1), ld_abs(size, off), xor64_imm(0, XOR_MARK), exit()]));
        }
    }
    for (index, imm) in [(10i64, 2), (-2, 4), (0x1_0000_0000, 3), (SKF_NET_OFF as i64, 3), (60, 0), (0xffff_ffff, 5), (48, -48)] {
        let [a, b] = ld_imm64(7, 0, index as u64);
        v.push((format!("ld_indw [{index:#x} + {imm}]"), vec![mov64_reg(6, 1), a, b, ld_ind(W, 7, imm), xor64_imm(0, XOR_MARK), exit()]));
    }
    v.push((
        "two loads combined, r7 kept".into(),
        vec![mov64_reg(6, 1), ld_abs(H, 12), mov64_reg(7, 0), ld_abs(B, 5), add64_reg(0, 7), exit()],
    ));
    v.push(("ld_abs with r6 not the context".into(), vec![mov64_imm(6, 0), ld_abs(B, 0), exit()]));
    v.push(("ld_abs with r6 = ctx + 8".into(), vec![mov64_reg(6, 1), add64_imm(6, 8), ld_abs(B, 0), exit()]));
    // cb writes: STX of 4 and 8 bytes, then read back; forbidden writes and reads
    let [lo, hi] = ld_imm64(3, 0, 0x0000_0099_0000_0088);
    v.push((
        "cb writes".into(),
        vec![mov64_imm(2, 0x77), stx(W, 1, 2, 48), lo, hi, stx(DW, 1, 3, 56), stx(H, 1, 2, 64), ldx(W, 0, 1, 60), exit()],
    ));
    v.push(("write mark".into(), vec![mov64_imm(2, 1), stx(W, 1, 2, 8), mov64_imm(0, 0), exit()]));
    v.push(("write len".into(), vec![mov64_imm(2, 1), stx(W, 1, 2, 0), mov64_imm(0, 0), exit()]));
    v.push(("write cb[4] as u64".into(), vec![mov64_imm(2, 1), stx(DW, 1, 2, 64), mov64_imm(0, 0), exit()]));
    v.push(("read past __sk_buff".into(), vec![ldx(W, 0, 1, 192), exit()]));
    v.push(("read u64 len".into(), vec![ldx(DW, 0, 1, 0), exit()]));
    for off in [48, 56] {
        // both halves of the u64 into the u32 retval
        v.push((
            format!("read u64 cb @{off}"),
            vec![ldx(DW, 0, 1, off), mov64_reg(2, 0), alu64(0x70, 2, 0xff, 32), alu64(0xa0, 0, 2, 0), exit()],
        ));
    }
    // skb->sk: the test run's socket, read at every offset and size (Linux refuses some
    // at load, the engine when they run: both EACCES); one program skips the NULL check
    for (size, n) in [(B, 1), (H, 2), (W, 4), (DW, 8)] {
        for off in (0..84i16).step_by(n) {
            v.push((
                format!("sk read {n} @{off}"),
                vec![ldx(DW, 2, 1, 168), mov64_imm(0, 0x7777), jeq_imm(2, 0, 1), ldx(size, 0, 2, off), exit()],
            ));
        }
    }
    v.push((
        "sk pointer moved".into(),
        vec![ldx(DW, 2, 1, 168), mov64_imm(0, 0), jeq_imm(2, 0, 2), add64_imm(2, 4), ldx(W, 0, 2, 0), exit()],
    ));
    v.push(("sk written".into(), vec![ldx(DW, 2, 1, 168), mov64_imm(0, 0), jeq_imm(2, 0, 2), mov64_imm(3, 1), stx(W, 2, 3, 4), exit()]));
    v.push(("read through ctx + 8".into(), vec![add64_imm(1, 8), ldx(W, 0, 1, 0), exit()]));
    v.push(("read through a copy of ctx".into(), vec![mov64_reg(2, 1), ldx(W, 0, 2, 8), exit()]));
    v.push(("ctx spilled, filled, bad read".into(), vec![stx(DW, 10, 1, -8), ldx(DW, 3, 10, -8), ldx(W, 0, 3, 76), exit()]));
    v.push(("ctx spilled, filled, good read".into(), vec![stx(DW, 10, 1, -8), ldx(DW, 3, 10, -8), ldx(W, 0, 3, 8), exit()]));
    v.push((
        "bad read on one path only".into(),
        vec![ldx(W, 2, 1, 0), jeq_imm(2, 0x7fff, 2), ldx(W, 0, 1, 8), exit(), ldx(W, 0, 1, 76), exit()],
    ));
    v.push(("atomic add to cb".into(), vec![mov64_imm(2, 1), atomic(W, 1, 2, 48, 0), mov64_imm(0, 0), exit()]));
    // bpf_skb_load_bytes(ctx, off, fp - 8, len): (ret & 0xffff) << 16 | low 16 bits read
    for (off, len) in [(0u32, 4i32), (2, 8), (36, 8), (46, 4), (47, 4), (1480, 6), (1000, 1), (0x8000_0000, 4), (0xffff_fff0, 8)] {
        v.push((format!("skb_load_bytes({off:#x}, {len})"), load_bytes_prog(26, off, len, None)));
    }
    for (off, len, start) in [(0u32, 8i32, 0i32), (12, 2, 0), (0, 4, 1), (50, 8, 1), (58, 8, 0), (0x1_0000, 1, 0), (0, 4, 2)] {
        v.push((format!("skb_load_bytes_relative({off:#x}, {len}, {start})"), load_bytes_prog(68, off, len, Some(start))));
    }
    v
}

fn load_bytes_prog(helper: i32, off: u32, len: i32, start: Option<i32>) -> Vec<Insn> {
    let mut p = vec![
        st(DW, 10, -8, 0x5555),
        mov64_imm(2, off as i32),
        alu64(0x50, 2, 0xff, -1), // r2 &= 0xffffffff (mov imm sign-extends)
        mov64_reg(3, 10),
        add64_imm(3, -8),
        mov64_imm(4, len),
    ];
    if let Some(s) = start {
        p.push(mov64_imm(5, s));
    }
    p.extend([call(helper), alu64(0x50, 0, 0xff, 0xffff), alu64(0x60, 0, 0xff, 16), ldx(H, 2, 10, -8), add64_reg(0, 2), exit()]);
    p
}

/// ebpf_tail_call from a run of `from` to `to`: its return value.
fn tail_call_between(from: &Program, to: &Program) -> i32 {
    let from_raw = from.raw();
    let to_raw = to.raw();
    let mut run = Run::new(&from_raw, std::ptr::null_mut(), 0);
    unsafe { ebpf_tail_call(&mut run, &to_raw) }
}

#[test]
fn socket_filters_agree_with_the_host_kernel() {
    if let Err(why) = native::available() {
        println!("SKIPPED: {why}");
        return;
    }
    let user = user_ctx();
    let mut wide_wire = user;
    wide_wire.set_u32(160, 9000);
    let contexts: [(&str, Option<&SkBuff>); 3] = [("no ctx", None), ("ctx", Some(&user)), ("ctx wire_len 9000", Some(&wide_wire))];
    let (mut agreed, mut failures) = (0, Vec::new());
    let mut errnos = std::collections::BTreeMap::new();
    for (pname, prog) in programs() {
        for (fname, f) in frames() {
            for (cname, ctx) in contexts {
                let native = native_test_run(&prog, &f, ctx);
                let engine = engine_test_run(&prog, &f, ctx);
                if let Err(e) = native {
                    *errnos.entry(e).or_insert(0) += 1;
                }
                if native == engine {
                    agreed += 1;
                } else {
                    failures.push(format!("{pname} / {fname} / {cname}: host {}, engine {}", show(&native), show(&engine)));
                }
            }
        }
    }
    println!("socket filters: {agreed} runs agree with the host kernel (host errnos: {errnos:?}), {} disagree", failures.len());
    for f in failures.iter().take(40) {
        println!("FAIL {f}");
    }
    assert!(failures.is_empty());
    assert!(agreed > 1000, "only {agreed} runs compared");
}

/// ctx_in fields Linux refuses, and the limits it puts on the ones it takes.
#[test]
fn context_checks_agree_with_the_host_kernel() {
    if let Err(why) = native::available() {
        println!("SKIPPED: {why}");
        return;
    }
    let prog = vec![ldx(W, 0, 1, 8), exit()];
    let f = frame([0; 6], 0x0800, 50);
    let mut failures = Vec::new();
    let mut cases: Vec<(String, SkBuff)> = Vec::new();
    for off in (0..192).step_by(4) {
        let mut c = SkBuff::zeroed();
        c.set_u32(off, 1);
        cases.push((format!("u32 @{off} = 1"), c));
    }
    for (name, off, v) in [
        ("wire_len = len", 160, 50u32),
        ("wire_len < len", 160, 49),
        ("wire_len 65536", 160, 65536),
        ("wire_len 65537", 160, 65537),
        ("gso_segs 65535", 164, 65535),
        ("gso_segs 65536", 164, 65536),
        ("tstamp_type 1", 180, 1),
    ] {
        let mut c = SkBuff::zeroed();
        c.set_u32(off, v);
        cases.push((name.to_string(), c));
    }
    let mut rejected = 0;
    for (name, c) in &cases {
        // ifindex names the device: the module looks it up in the kernel (not modelled here)
        if name == "u32 @40 = 1" {
            continue;
        }
        let native = native_test_run(&prog, &f, Some(c));
        let engine = engine_test_run(&prog, &f, Some(c));
        rejected += native.is_err() as u32;
        if native != engine {
            failures.push(format!("{name}: host {}, engine {}", show(&native), show(&engine)));
        }
    }
    println!("contexts: {} compared, {rejected} refused by both", cases.len() - 1);
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(failures.is_empty());
    assert!(rejected > 20);
}

/// Which __sk_buff bytes a socket filter may read and write, at every offset and size:
/// the host verifier's answer at load against the engine's at run time.
#[test]
fn context_access_rules_agree_with_the_host_verifier() {
    if let Err(why) = native::available() {
        println!("SKIPPED: {why}");
        return;
    }
    let f = frame([0; 6], 0x0800, 50);
    let (mut compared, mut failures) = (0, Vec::new());
    for size in [B, H, W, DW] {
        let bytes_n = match size {
            B => 1,
            H => 2,
            W => 4,
            _ => 8,
        };
        for off in (0..200i16).step_by(bytes_n) {
            for (kind, prog) in [
                ("read", vec![ldx(size, 0, 1, off), mov64_imm(0, 1), exit()]),
                ("write", vec![mov64_imm(2, 7), stx(size, 1, 2, off), mov64_imm(0, 1), exit()]),
            ] {
                let native = NativeProg::load(SOCKET_FILTER, &bytes(&prog)).map(|_| ());
                // refused at load, as Linux does, and by the interpreter should it run
                let engine_load = engine_load(&prog);
                let engine_run = engine_run_unchecked(&prog, &f, None).map(|_| ());
                compared += 1;
                if native != engine_load || native != engine_run {
                    failures
                        .push(format!("{kind} size {bytes_n} @{off}: host {native:?}, engine load {engine_load:?}, run {engine_run:?}"));
                }
            }
        }
    }
    println!("context access: {compared} (offset, size, read/write) cases agree: {}", compared - failures.len());
    for f in failures.iter().take(40) {
        println!("FAIL {f}");
    }
    assert!(failures.is_empty());
}

/// Engine rules with no host counterpart: LD_ABS only in socket filters, Linux's reserved
/// fields, the context never as helper memory, a failed load ending only its subprogram,
/// skb->sk without a NULL check (a deliberate difference: the engine runs it).
#[test]
fn engine_ld_abs_rules() {
    let mut plain = Program::new(vec![mov64_reg(6, 1), ld_abs(B, 0), exit()]);
    let (rc, log) = plain.check();
    assert_eq!((rc, log.lines().next()), (-EINVAL, Some("BPF_LD_[ABS|IND] instructions not allowed for this program type")));
    plain.ctx_kind = CTX_SKB;
    assert_eq!(plain.check().0, 0);
    for (bad, why) in
        [(Insn::new(0x30, 1, 0, 0, 0), "dst"), (Insn::new(0x30, 0, 0, 1, 0), "off"), (Insn::new(0x30, 0, 2, 0, 0), "src of ABS")]
    {
        let mut p = Program::new(vec![mov64_reg(6, 1), bad, exit()]);
        p.ctx_kind = CTX_SKB;
        let (rc, log) = p.check();
        assert_eq!((rc, log.lines().next()), (-EINVAL, Some("BPF_LD_[ABS|IND] uses reserved fields")), "{why}");
    }
    let mut p = Program::new(vec![mov64_reg(6, 1), ld_ind(W, 11, 0), exit()]);
    p.ctx_kind = CTX_SKB;
    assert_eq!(p.check().0, -EINVAL, "LD_IND from r11");

    let f = frame([0; 6], 0x0800, 50);
    // main: r0 = sub() + 100; sub: LD_ABS past the end: returns 0 from sub only
    let prog = vec![mov64_reg(6, 1), call_local(2), add64_imm(0, 100), exit(), ld_abs(W, 1000), mov64_imm(0, 7), exit()];
    assert_eq!(engine_test_run(&prog, &f, None), Ok((100, None)));
    // the context as memory for a helper: refused (Linux: R3 type=ctx expected=fp)
    let prog = vec![mov64_reg(3, 1), mov64_imm(2, 0), mov64_imm(4, 4), call(26), exit()];
    assert_eq!(engine_test_run(&prog, &f, None), Err(EACCES));
    // IPv4 / IPv6 frames too short for their IP header: EINVAL (Linux 6.1's test run;
    // the host's newer kernel answers differently, so this one is pinned here)
    let prog = vec![mov64_imm(0, 1), exit()];
    assert_eq!(engine_test_run(&prog, &frame([0; 6], 0x0800, 19), None), Err(EINVAL));
    assert_eq!(engine_test_run(&prog, &frame([0; 6], 0x0800, 20), None), Ok((1, None)));
    assert_eq!(engine_test_run(&prog, &frame([0; 6], 0x86dd, 39), None), Err(EINVAL));
    assert_eq!(engine_test_run(&prog, &frame([0; 6], 0x86dd, 40), None), Ok((1, None)));
    // skb->sk read without a NULL check: Linux refuses it at load (R2 invalid mem access
    // 'sock_common_or_null'); in a test run the socket always exists, and the engine reads it
    let prog = vec![ldx(DW, 2, 1, 168), ldx(W, 0, 2, 4), exit()];
    assert_eq!(engine_test_run(&prog, &f, None), Ok((2, None)), "AF_INET");
    // a tail call into a program whose context means something else is refused
    let plain_prog = Program::new(vec![mov64_imm(0, 1), exit()]);
    let skb_prog = {
        let mut p = Program::new(vec![mov64_imm(0, 2), exit()]);
        p.ctx_kind = CTX_SKB;
        p
    };
    assert_eq!(tail_call_between(&skb_prog, &plain_prog), -EINVAL);
    assert_eq!(tail_call_between(&skb_prog, &skb_prog), 0);
}
