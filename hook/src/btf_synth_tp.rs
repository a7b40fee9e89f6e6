//! Records of synthetic tracepoints, typed in the served BTF.
//!
//! bpfdrv.ko serves events the kernel lacks (driver/synth_tp.c), among them
//! `sock:inet_sock_set_state` (4.16+). tcpstates and tcplife read its record as
//! `struct trace_event_raw_inet_sock_set_state` through CO-RE relocations; a kernel
//! without the event has no such type (nor an `ftrace_raw_` one for [`btf_extra`]'s
//! copies), so libbpf finds no candidate and fails ("no type or field matching the
//! CO-RE relocation"). Each record listed here is appended, in Linux 6.1's layout (the
//! one the module's records have), built from the base types the BTF has
//! (`struct trace_entry`, `int`, `char`, `__u8`, `__u16`); when one of them is missing
//! the record is left out.
//!
//! [`btf_extra`]: crate::btf_extra

use crate::btf::{self, Btf, Builder};

/// A member's type, by the names of the kernel's own types.
#[derive(Clone, Copy, Debug)]
pub enum Ty {
    /// A type of this name (`struct trace_entry`, `int`, `__u16`, ...).
    Named(u32, &'static str),
    /// `const void *`.
    ConstVoidPtr,
    /// An array of `n` of the named type.
    Array(u32, &'static str, u32),
}

/// One record: its name and its members (name, type, byte offset), and its size.
pub struct Record {
    pub name: &'static str,
    pub size: u32,
    pub members: &'static [(&'static str, Ty, u32)],
}

/// Linux 6.1's `struct trace_event_raw_inet_sock_set_state` (include/trace/events/sock.h).
pub const RECORDS: &[Record] = &[Record {
    name: "trace_event_raw_inet_sock_set_state",
    size: 72,
    members: &[
        ("ent", Ty::Named(btf::KIND_STRUCT, "trace_entry"), 0),
        ("skaddr", Ty::ConstVoidPtr, 8),
        ("oldstate", Ty::Named(btf::KIND_INT, "int"), 16),
        ("newstate", Ty::Named(btf::KIND_INT, "int"), 20),
        ("sport", Ty::Named(btf::KIND_TYPEDEF, "__u16"), 24),
        ("dport", Ty::Named(btf::KIND_TYPEDEF, "__u16"), 26),
        ("family", Ty::Named(btf::KIND_TYPEDEF, "__u16"), 28),
        ("protocol", Ty::Named(btf::KIND_TYPEDEF, "__u16"), 30),
        ("saddr", Ty::Array(btf::KIND_TYPEDEF, "__u8", 4), 32),
        ("daddr", Ty::Array(btf::KIND_TYPEDEF, "__u8", 4), 36),
        ("saddr_v6", Ty::Array(btf::KIND_TYPEDEF, "__u8", 16), 40),
        ("daddr_v6", Ty::Array(btf::KIND_TYPEDEF, "__u8", 16), 56),
        ("__data", Ty::Array(btf::KIND_INT, "char", 0), 72),
    ],
}];

/// The named types of the kinds records use, by kind and name.
struct Bases<'a>(std::collections::HashMap<u32, std::collections::HashMap<&'a str, u32>>);

impl<'a> Bases<'a> {
    fn new(b: &Btf<'a>) -> Bases<'a> {
        Bases([btf::KIND_STRUCT, btf::KIND_INT, btf::KIND_TYPEDEF].into_iter().map(|k| (k, b.index(k))).collect())
    }

    fn get(&self, ty: Ty) -> Option<u32> {
        match ty {
            Ty::Named(kind, name) | Ty::Array(kind, name, _) => self.0.get(&kind)?.get(name).copied(),
            Ty::ConstVoidPtr => Some(0),
        }
    }
}

/// The records of `records` that `b` lacks (under their name or an old `ftrace_raw_`
/// one) and can build from its types.
pub fn missing<'r>(b: &Btf, records: &'r [Record]) -> Vec<&'r Record> {
    let bases = Bases::new(b);
    let structs = &bases.0[&btf::KIND_STRUCT];
    records
        .iter()
        .filter(|r| {
            let old = r.name.replace("trace_event_raw_", "ftrace_raw_");
            !structs.contains_key(r.name) && !structs.contains_key(old.as_str())
        })
        .filter(|r| r.members.iter().all(|(_, ty, _)| bases.get(*ty).is_some()))
        .filter(|_| bases.get(Ty::Named(btf::KIND_INT, "int")).is_some())
        .collect()
}

/// Appends `missing` (from [`missing`]) to `out`.
pub fn add(b: &Btf, missing: &[&Record], out: &mut Builder) {
    if missing.is_empty() {
        return;
    }
    let bases = Bases::new(b);
    let index_type = bases.get(Ty::Named(btf::KIND_INT, "int")).unwrap_or(0);
    let konst = out.add(None, btf::KIND_CONST << 24, 0, &[]);
    let const_void_ptr = out.add(None, btf::KIND_PTR << 24, konst, &[]);
    for r in missing {
        let mut members = Vec::new();
        for (name, ty, off) in r.members {
            let id = match *ty {
                Ty::ConstVoidPtr => const_void_ptr,
                Ty::Named(..) => bases.get(*ty).unwrap_or(0),
                Ty::Array(_, _, n) => {
                    let elem = bases.get(*ty).unwrap_or(0);
                    out.add(None, btf::KIND_ARRAY << 24, 0, &btf::words(&[elem, index_type, n]))
                }
            };
            let name_off = out.name(name);
            members.extend(btf::words(&[name_off, id, off * 8]));
        }
        out.add(Some(r.name), btf::KIND_STRUCT << 24 | r.members.len() as u32, r.size, &members);
    }
}

#[cfg(test)]
mod tests {
    use crate::btf_extra::augment;
    use std::path::Path;
    use std::process::Command;

    const BPFTOOL: &str = "/usr/sbin/bpftool";

    /// `struct <name> { ... };` from `bpftool btf dump file <raw> format c`.
    fn c_struct(raw: &[u8], name: &str) -> Option<String> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("vmlinux.btf");
        std::fs::write(&file, raw).unwrap();
        let o = Command::new(BPFTOOL).args(["btf", "dump", "file"]).arg(&file).args(["format", "c"]).output().ok()?;
        assert!(o.status.success(), "bpftool (libbpf's btf__parse): {}", String::from_utf8_lossy(&o.stderr));
        let c = String::from_utf8(o.stdout).unwrap();
        let start = c.find(&format!("\nstruct {name} {{\n"))? + 1;
        Some(c[start..start + c[start..].find("\n};\n").unwrap() + 3].to_string())
    }

    fn read(rel: &str) -> Option<Vec<u8>> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
        let raw = std::fs::read(&path).ok();
        if raw.is_none() || !Path::new(BPFTOOL).exists() {
            assert!(std::env::var("CI").map_or(true, |v| v.is_empty()), "{} or {BPFTOOL} missing under CI", path.display());
            eprintln!("SKIP: {} or {BPFTOOL} missing", path.display());
            return None;
        }
        raw
    }

    #[test]
    fn centos7_gets_the_inet_sock_set_state_record_of_6_1() {
        let Some(raw) = read("../../shared/kernels/centos7-3.10.0-1160/vmlinux.btf") else { return };
        let (out, added) = augment(&raw, &[], &[], &[], &[]).expect("augmented");
        assert_eq!(added.records, ["trace_event_raw_inet_sock_set_state"]);
        let got = c_struct(&out, "trace_event_raw_inet_sock_set_state").expect("the record in the served BTF");
        // Linux 6.1's, as bpftool prints it from 6.1's own BTF (the nobpf test kernel's).
        let want = "struct trace_event_raw_inet_sock_set_state {\n\tstruct trace_entry ent;\n\tconst void *skaddr;\n\
                    \tint oldstate;\n\tint newstate;\n\t__u16 sport;\n\t__u16 dport;\n\t__u16 family;\n\t__u16 protocol;\n\
                    \t__u8 saddr[4];\n\t__u8 daddr[4];\n\t__u8 saddr_v6[16];\n\t__u8 daddr_v6[16];\n\tchar __data[0];\n};";
        assert_eq!(got, want);
        if let Some(k) = std::env::var_os("BPFCOMPAT_KERNEL_DIR") {
            if let Ok(native) = std::fs::read(Path::new(&k).join("vmlinux.btf")) {
                assert_eq!(c_struct(&native, "trace_event_raw_inet_sock_set_state").as_deref(), Some(want));
            }
        }
        // Served once: a second pass adds nothing.
        assert!(augment(&out, &[], &[], &[], &[]).is_none());
    }

    #[test]
    fn a_kernel_with_the_event_keeps_its_own_record() {
        let Ok(raw) = std::fs::read("/sys/kernel/btf/vmlinux") else { return };
        assert!(augment(&raw, &[], &[], &[], &[]).is_none_or(|(_, added)| added.records.is_empty()));
    }
}
