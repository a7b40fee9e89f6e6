//! Static pointer kinds over real programs: every BPF object Debian's libbpf-tools embed
//! (their skeletons carry the ELF object), each program linked as libbpf links it
//! (subprograms of .text appended, calls and callback addresses resolved, maps and
//! global data as ld_imm64 map handles and value addresses), run through ebpf_kinds().
//! Nothing runs, so this measures what a compiler to native code could do with the
//! facts, by the address of each load and store the programs can reach:
//! - fixed: the stack, the context, a map value or a ring buffer record at a constant
//!   offset (no run-time check);
//! - var: a known region at an unknown offset (a bounds check against that region);
//! - probe: a number (a kernel pointer read out of a tracing context: a fault-tolerant
//!   load, Linux's PROBE_MEM);
//! - other: unknown (memory a helper handed out, a value whose null check the facts
//!   lost, paths that disagree): the interpreter's tags decide.
//!
//! Then the compiler to native code (ebpf_jit_x86) over the same programs: how many it
//! takes, and why it leaves the others to the interpreter (a 4 KiB context, 4 KiB map
//! values, fault-tolerant loads for the BTF-typed sections as the module sets them).
//!
//! Also shows ebpf_kinds() takes every real program. Skipped with the reason where
//! Debian's libbpf-tools are not installed (they are under CI: scripts/install-deps.sh).
use bpfcompat_tests::engine as engine_common;

use bpfcompat_tests::jit::Code;
use engine_common::*;
use object::{Object, ObjectSection, ObjectSymbol, RelocationTarget, SectionFlags};
use std::collections::{BTreeMap, HashMap};
use std::ffi::c_void;
use std::process::Command;

const EM_BPF: u16 = 247;
const SHF_EXECINSTR: u64 = 0x4;
const LD_IMM64: u8 = 0x18;
const CALL: u8 = 0x85;
const PSEUDO_MAP_FD: u8 = 1;
const PSEUDO_MAP_VALUE: u8 = 2;
const PSEUDO_CALL: u8 = 1;
const PSEUDO_FUNC: u8 = 4;

unsafe extern "C" fn never_called(_: *mut Run, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 {
    unreachable!("nothing runs here")
}

/// The text between `open` and the matching `close` after `from`.
fn braced(text: &str, from: usize, open: char, close: char) -> Option<&str> {
    let start = from + text[from..].find(open)?;
    let mut depth = 0;
    for (i, c) in text[start..].char_indices() {
        depth += (c == open) as i32 - (c == close) as i32;
        if depth == 0 {
            return Some(&text[start + 1..start + i]);
        }
    }
    None
}

/// The members of a C enum of the engine's header, by value (`EBPF_ARG_NONE = 0, ...`).
fn c_enum(header: &str, name: &str) -> HashMap<String, u8> {
    let at = header.find(&format!("enum {name} {{")).unwrap_or_else(|| panic!("no enum {name}"));
    let body = braced(header, at, '{', '}').unwrap();
    let members = body.lines().map(|l| l.split("/*").next().unwrap().trim()).filter(|l| l.starts_with("EBPF_"));
    members.enumerate().map(|(i, m)| (m.split([' ', ',']).next().unwrap().to_string(), i as u8)).collect()
}

/// The driver's own helper table (driver/helpers.c, ids from driver/helper_ids.h): what
/// a program gets in the module, argument kinds and all. Callback helpers included.
fn helpers(p: &mut Program) {
    let driver = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../driver");
    let read = |f: &str| std::fs::read_to_string(driver.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    let (table, ids, header) = (read("helpers.c"), read("helper_ids.h"), read("engine/ebpf_engine.h"));
    let (args, rets) = (c_enum(&header, "ebpf_arg_kind"), c_enum(&header, "ebpf_ret_kind"));
    let id_of: HashMap<&str, usize> = ids
        .lines()
        .filter_map(|l| l.trim().strip_prefix("BPFDRV_FUNC_"))
        .filter_map(|l| {
            let (name, v) = l.split_once(" = ")?;
            Some((name, v.trim_end_matches(',').parse().ok()?))
        })
        .collect();
    let defs = table.find("bpfdrv_helper_defs[] = {").expect("the helper table in helpers.c");
    let mut at = defs;
    let mut seen = 0;
    while let Some(rel) = table[at..].find("{ .id = BPFDRV_FUNC_") {
        let entry = braced(&table, at + rel, '{', '}').unwrap();
        at += rel + entry.len();
        let name = entry[" .id = BPFDRV_FUNC_".len()..].split(',').next().unwrap();
        let id = id_of[name];
        let field = |f: &str| entry.find(f).map(|i| entry[i + f.len()..].split([',', ' ', '}']).next().unwrap().to_string());
        let ret = field(".ret = ").map_or(RET_INTEGER, |r| rets[&r]);
        let mut kinds = [ARG_NONE; 5];
        if let Some(i) = entry.find(".args = ") {
            let list = braced(entry, i, '{', '}').unwrap();
            for (k, a) in list.split(',').map(str::trim).filter(|a| !a.is_empty()).enumerate() {
                kinds[k] = args[a];
            }
        }
        p.helper(id, name, never_called, ret, kinds);
        if let Some(n) = field(".ret_size_arg = ") {
            p.helpers[id].ret_size_arg = n.parse().unwrap();
        }
        seen += 1;
    }
    assert!(seen > 40, "only {seen} helpers read from driver/helpers.c");
}

#[derive(Default, Clone, Copy)]
struct Counts {
    progs: u64,
    insns: u64,
    accesses: u64,
    fixed: u64,
    var: u64,
    probe: u64,
    /// programs with no load or store the facts leave to the tags
    untagged_progs: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.progs += o.progs;
        self.insns += o.insns;
        self.accesses += o.accesses;
        self.fixed += o.fixed;
        self.var += o.var;
        self.probe += o.probe;
        self.untagged_progs += o.untagged_progs;
    }
    fn other(&self) -> u64 {
        self.accesses - self.fixed - self.var - self.probe
    }
}

fn pct(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

/// The BPF ELF objects inside a binary: each starts with the ELF magic, and its section
/// headers are its end.
fn embedded_objects(bin: &[u8]) -> Vec<&[u8]> {
    let mut out = vec![];
    let mut at = 0;
    while let Some(i) = bin[at..].windows(4).position(|w| w == b"\x7fELF") {
        let start = at + i;
        at = start + 4;
        let h = &bin[start..];
        if h.len() < 64 || h[4] != 2 || h[5] != 1 || u16::from_le_bytes([h[18], h[19]]) != EM_BPF {
            continue;
        }
        let shoff = u64::from_le_bytes(h[40..48].try_into().unwrap()) as usize;
        let shentsize = u16::from_le_bytes([h[58], h[59]]) as usize;
        let shnum = u16::from_le_bytes([h[60], h[61]]) as usize;
        let end = shoff + shentsize * shnum;
        if end <= h.len() {
            out.push(&h[..end]);
            at = start + end;
        }
    }
    out
}

fn insns_of(data: &[u8]) -> Vec<Insn> {
    data.chunks_exact(8)
        .map(|c| Insn { code: c[0], regs: c[1], off: i16::from_le_bytes([c[2], c[3]]), imm: i32::from_le_bytes([c[4], c[5], c[6], c[7]]) })
        .collect()
}

fn set_src(insn: &mut Insn, src: u8) {
    insn.regs = (insn.regs & 0x0f) | (src << 4);
}

/// Each program of one object, linked: (section name, instructions, map count).
fn programs(obj: &[u8]) -> Result<Vec<(String, Vec<Insn>, usize)>, String> {
    let file = object::File::parse(obj).map_err(|e| e.to_string())?;
    let exec = |s: &object::Section| matches!(s.flags(), SectionFlags::Elf { sh_flags } if sh_flags & SHF_EXECINSTR != 0);
    // maps: one per .maps symbol, one per data section (libbpf's .data, .bss, .rodata*, .kconfig)
    let mut map_of_symbol = HashMap::new();
    let mut map_of_section = HashMap::new();
    let mut nr_maps = 0usize;
    for sym in file.symbols() {
        let Some(idx) = sym.section_index() else { continue };
        let sec = file.section_by_index(idx).map_err(|e| e.to_string())?;
        if sec.name().unwrap_or("") == ".maps" {
            map_of_symbol.insert(sym.index(), nr_maps);
            nr_maps += 1;
        }
    }
    for sec in file.sections() {
        let name = sec.name().unwrap_or("");
        if name.starts_with(".data") || name.starts_with(".bss") || name.starts_with(".rodata") {
            map_of_section.insert(sec.index(), nr_maps);
            nr_maps += 1;
        }
    }
    let kconfig = nr_maps;
    nr_maps += 1;
    let text = file.section_by_name(".text").filter(|s| s.size() > 0);
    let mut out = vec![];
    for sec in file.sections().filter(|s| exec(s) && s.size() > 0 && s.name().unwrap_or("") != ".text") {
        let mut insns = insns_of(sec.data().map_err(|e| e.to_string())?);
        let mut relocs: Vec<(usize, object::SymbolIndex)> = vec![];
        for (off, r) in sec.relocations() {
            if let RelocationTarget::Symbol(s) = r.target() {
                relocs.push((off as usize / 8, s));
            }
        }
        let mut text_base = None;
        if let Some(t) = &text {
            // libbpf appends what the program calls; all of .text does for the facts
            if relocs.iter().any(|(_, s)| file.symbol_by_index(*s).ok().and_then(|s| s.section_index()) == Some(t.index())) {
                let base = insns.len();
                insns.extend(insns_of(t.data().map_err(|e| e.to_string())?));
                for (off, r) in t.relocations() {
                    if let RelocationTarget::Symbol(s) = r.target() {
                        relocs.push((base + off as usize / 8, s));
                    }
                }
                text_base = Some(base);
            }
        }
        for (i, s) in relocs {
            let sym = file.symbol_by_index(s).map_err(|e| e.to_string())?;
            let sec_idx = sym.section_index();
            let in_text = text.as_ref().is_some_and(|t| Some(t.index()) == sec_idx);
            let value = sym.address() as i64;
            let Some(insn) = insns.get(i).copied() else { return Err(format!("relocation at {i} outside")) };
            if in_text {
                let base = text_base.ok_or("a call into .text without .text")? as i64;
                let target = if insn.code == CALL { base + value / 8 + insn.imm as i64 + 1 } else { base + (value + insn.imm as i64) / 8 };
                insns[i].imm = (target - (i as i64 + 1)) as i32;
                set_src(&mut insns[i], if insn.code == CALL { PSEUDO_CALL } else { PSEUDO_FUNC });
                continue;
            }
            if insn.code != LD_IMM64 || i + 1 >= insns.len() {
                continue; // e.g. BTF or CO-RE records, not instructions to fix
            }
            if let Some(&m) = map_of_symbol.get(&s) {
                insns[i].imm = m as i32;
                set_src(&mut insns[i], PSEUDO_MAP_FD);
            } else if let Some(&m) = sec_idx.and_then(|x| map_of_section.get(&x)) {
                let off = value + insn.imm as i64;
                insns[i].imm = m as i32;
                insns[i + 1].imm = off as i32;
                set_src(&mut insns[i], PSEUDO_MAP_VALUE);
            } else if sym.is_undefined() && !sym.name().unwrap_or("").is_empty() {
                // an extern: libbpf's .kconfig values (a typed ksym stays a number here)
                insns[i].imm = kconfig as i32;
                insns[i + 1].imm = 0;
                set_src(&mut insns[i], PSEUDO_MAP_VALUE);
            }
        }
        out.push((sec.name().unwrap_or("?").to_string(), insns, nr_maps));
    }
    Ok(out)
}

/// Where each reachable load and store's address comes from, by the facts.
fn count(insns: &[Insn], k: &[KRegs]) -> Counts {
    let mut c = Counts { progs: 1, ..Counts::default() };
    for (i, insn) in insns.iter().enumerate() {
        if k[i].r[10].kind == K_UNREACHED {
            continue;
        }
        c.insns += 1;
        let (dst, src) = (insn.regs & 0xf, insn.regs >> 4);
        let base = match insn.code & 7 {
            0x01 => src,                                                  // LDX
            0x02 => dst,                                                  // ST
            0x03 if insn.code & 0xe0 == 0xc0 && insn.imm == 0x100 => src, // load-acquire
            0x03 => dst,                                                  // STX
            _ => continue,
        };
        c.accesses += 1;
        let v = k[i].r[base as usize];
        match v.kind {
            K_STACK | K_CTX | K_MAP_VALUE | K_MEM if v.flags & KF_VAR_OFF == 0 => c.fixed += 1,
            K_STACK | K_CTX | K_MAP_VALUE | K_MEM => c.var += 1,
            K_SCALAR => c.probe += 1,
            _ => {}
        }
    }
    c.untagged_progs = u64::from(c.other() == 0);
    c
}

unsafe extern "C" fn never_read(_: *mut c_void, _: u64, _: u32) -> std::ffi::c_long {
    unreachable!("nothing runs here")
}

/// The module's BTF-typed tracing programs read kernel memory through numbers (PROBE_MEM).
fn btf_typed(section: &str) -> bool {
    ["fentry/", "fexit/", "tp_btf/"].iter().any(|p| section.starts_with(p))
}

/// "jit: insn N (code xx): reason" -> "reason", with register numbers kept.
fn refusal(why: &str) -> String {
    why.split("): ").nth(1).unwrap_or(why).to_string()
}

#[test]
fn libbpf_tools_programs() {
    let listed = Command::new("dpkg").args(["-L", "libbpf-tools"]).output();
    let tools: Vec<String> = match listed {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.starts_with("/usr/sbin/") && std::path::Path::new(l).is_file())
            .map(String::from)
            .collect(),
        _ => vec![],
    };
    if tools.is_empty() {
        assert!(std::env::var_os("CI").is_none(), "libbpf-tools is missing under CI (scripts/install-deps.sh installs it)");
        println!("SKIPPED: Debian's libbpf-tools are not installed");
        return;
    }
    let mut total = Counts::default();
    let mut rows = vec![];
    let mut values = vec![0u8; 4096];
    let (mut compiled, mut refused) = (0u64, BTreeMap::<String, u64>::new());
    for path in &tools {
        let bin = std::fs::read(path).unwrap();
        let objs = embedded_objects(&bin);
        let mut c = Counts::default();
        let mut native = 0u64;
        for obj in &objs {
            for (sec, insns, nr_maps) in programs(obj).unwrap_or_else(|e| panic!("{path}: {e}")) {
                let mut p = Program::new(insns);
                helpers(&mut p);
                for m in 0..nr_maps {
                    p.maps.push(MapRef::new((m + 1) as *mut c_void, 0, 0));
                }
                let k = kinds(&p.raw()).unwrap_or_else(|e| panic!("{path} {sec}: ebpf_kinds {e}"));
                c.add(&count(&p.insns, &k));
                for m in p.maps.iter_mut() {
                    *m = MapRef { value_size: 4096, ..*m }.with_values(values.as_mut_ptr(), 4096);
                }
                p.ctx_size = 4096;
                if btf_typed(&sec) {
                    p.probe_read = Some(never_read);
                }
                match Code::compile(&p.raw()) {
                    Ok(_) => native += 1,
                    Err(why) => *refused.entry(refusal(&why)).or_default() += 1,
                }
            }
        }
        compiled += native;
        let name = path.rsplit('/').next().unwrap().to_string();
        rows.push((name, objs.len(), c, native));
        total.add(&c);
    }
    println!("tool                 objs progs native  insns accesses  fixed    var  probe  other");
    for (name, objs, c, native) in &rows {
        println!(
            "{name:<20} {objs:>4} {:>5} {native:>6} {:>6} {:>8} {:>5.1}% {:>5.1}% {:>5.1}% {:>5.1}%",
            c.progs,
            c.insns,
            c.accesses,
            pct(c.fixed, c.accesses),
            pct(c.var, c.accesses),
            pct(c.probe, c.accesses),
            pct(c.other(), c.accesses)
        );
    }
    println!(
        "{} tools, {} programs ({} with no access left to the tags), {} reachable insns, {} loads and stores: fixed {:.1}%, var {:.1}%, probe {:.1}%, other {:.1}%",
        rows.len(),
        total.progs,
        total.untagged_progs,
        total.insns,
        total.accesses,
        pct(total.fixed, total.accesses),
        pct(total.var, total.accesses),
        pct(total.probe, total.accesses),
        pct(total.other(), total.accesses)
    );
    println!("native code for {compiled} of {} programs; the others left to the interpreter because of:", total.progs);
    let mut reasons: Vec<_> = refused.iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(a.1));
    for (why, n) in reasons {
        println!("  {n:>4}  {why}");
    }
    let with_objects = rows.iter().filter(|(_, objs, _, _)| *objs > 0).count();
    assert!(with_objects * 10 >= rows.len() * 9, "only {with_objects} of {} tools carry a BPF object", rows.len());
    assert!(total.progs > 100 && total.accesses > 0);
    // what the compiler takes today (369 of 386 with Debian 12's libbpf-tools): less is a lost program
    assert!(compiled >= 369, "native code for only {compiled} programs");
    // what the facts fix today (94.6% with Debian 12's libbpf-tools): less is a lost fact
    assert!(pct(total.fixed, total.accesses) >= 90.0, "the static kinds fix fewer addresses than they did");
}
