//! Members a legacy kernel has under an older name or shape, served in the current one.
//!
//! Tools built against a current vmlinux.h read kernel fields through CO-RE relocations
//! that name the path by member names: mountsnoop reads `mnt_namespace.ns.inum`,
//! tcptracer `sock.__sk_common.skc_net.net` and `net.ns.inum`. 3.10 keeps the same values
//! as `mnt_namespace.proc_inum` and a plain `struct net *skc_net`, so libbpf finds no
//! target and the load fails ("failed to resolve CO-RE relocation"). Only renames of the
//! same data are listed here: a field whose meaning changed (task_struct.start_time, a
//! timespec on 3.10 and nanoseconds today) must not be given the current name.
//!
//! libbpf matches a member by its name (the first member of that name in a struct, looking
//! into anonymous struct and union members on the way) and then checks its type: any
//! struct or union is compatible with any other, a pointer with a pointer, an integer with
//! an integer; a struct is not compatible with a pointer. So the two shapes of change are
//! served differently:
//! - [`Change::Wrapped`] (`unsigned int proc_inum` became `struct ns_common ns` holding
//!   `unsigned int inum`): the old member becomes an anonymous union of itself and the
//!   new member, a struct whose one member (the new inner name) is the old field at
//!   offset 0. Both names then resolve to the old field's offset, the struct's size and
//!   member count stay as they were, and a C dump of the result is still the kernel's
//!   layout (the union is what RHEL's own kABI macros do to members).
//! - [`Change::PointerWrapped`] (`struct net *skc_net` became `possible_net_t skc_net`, a
//!   struct holding the pointer as `net`): a second member of the same name would never be
//!   looked at and the two types are not compatible, so the member's type becomes the
//!   wrapper (same size, the pointer at offset 0). A program relocated against the old
//!   shape (reading skc_net as a pointer) would no longer resolve; programs built against
//!   a kernel since 4.1 expect the wrapper, and the served BTF is for them.
//!
//! Every change patches one member record in place (its name and type words) and appends
//! the types it needs, so no record moves and every id stays what it was. An entry applies
//! to each struct of its name that has the old member and lacks the new one (RHEL's BTF
//! may hold many copies of a struct); a current kernel's BTF is left as it is.

use crate::btf::{self, Btf, Builder};
use std::collections::HashMap;

/// How one member changed.
#[derive(Clone, Copy, Debug)]
pub enum Change {
    /// `old` became `new`, a struct (named `wrapper` when the BTF has no type of that
    /// name) holding the same value as its member `inner`.
    Wrapped { old: &'static str, new: &'static str, wrapper: &'static str, inner: &'static str },
    /// The pointer member `member` became a struct (behind a typedef `wrapper`, when the
    /// BTF has no type of that name) holding the pointer as its member `inner`.
    PointerWrapped { member: &'static str, wrapper: &'static str, inner: &'static str },
}

/// One renamed member of struct `parent`, current since Linux `since`.
#[derive(Clone, Copy, Debug)]
pub struct FieldRename {
    pub parent: &'static str,
    pub since: &'static str,
    pub change: Change,
}

const fn ns_common(parent: &'static str) -> FieldRename {
    FieldRename { parent, since: "3.19", change: Change::Wrapped { old: "proc_inum", new: "ns", wrapper: "ns_common", inner: "inum" } }
}

const fn possible_net(parent: &'static str, member: &'static str) -> FieldRename {
    FieldRename { parent, since: "4.1", change: Change::PointerWrapped { member, wrapper: "possible_net_t", inner: "net" } }
}

/// The renames served. Each is checked against the current layout (the host's BTF) by
/// the tests.
pub const FIELD_RENAMES: &[FieldRename] = &[
    // 3.19, "common object embedded into various struct ....ns": each namespace's
    // `unsigned int proc_inum` became `struct ns_common ns` with the same number as
    // `ns.inum` (mountsnoop, tcptracer and the pid-namespace filters of tools read it).
    ns_common("mnt_namespace"),
    ns_common("net"),
    ns_common("pid_namespace"),
    ns_common("user_namespace"),
    ns_common("uts_namespace"),
    ns_common("ipc_namespace"),
    // 4.1, "net: Introduce possible_net_t": a `struct net *` that exists only with
    // CONFIG_NET_NS became `possible_net_t`, a struct holding the pointer as `net`
    // (read with read_pnet()); tcptracer reads `sk->__sk_common.skc_net.net`.
    possible_net("sock_common", "skc_net"),
    possible_net("net_device", "nd_net"),
    possible_net("neigh_parms", "net"),
    possible_net("pneigh_entry", "net"),
    possible_net("inet_bind_bucket", "ib_net"),
    possible_net("genl_info", "_net"),
    possible_net("xfrm_state", "xs_net"),
    possible_net("xfrm_policy", "xp_net"),
    possible_net("packet_fanout", "net"),
];

/// A member record to patch: the rename, where the record starts in the type section,
/// and its name offset and type id.
struct Site {
    rename: FieldRename,
    at: usize,
    name_off: u32,
    ty: u32,
}

/// Where `renames` apply to `b`: each struct named as an entry's parent with the old
/// member (a non-bitfield one for [`Change::Wrapped`], a pointer for
/// [`Change::PointerWrapped`]) and without the new one, in id order.
fn sites(b: &Btf, renames: &[FieldRename]) -> Vec<Site> {
    let mut by_parent: HashMap<&str, Vec<&FieldRename>> = HashMap::new();
    for r in renames {
        by_parent.entry(r.parent).or_default().push(r);
    }
    let mut found = Vec::new();
    for t in b.types.iter().filter(|t| t.kind == btf::KIND_STRUCT && t.name_off != 0) {
        let Some(entries) = by_parent.get(b.name(t)) else { continue };
        // With kflag the offset word's top byte is a bitfield's size; else it is 0.
        let kflag = btf::u32_at(b.types_sec, t.extra - 8).is_some_and(|info| info >> 31 == 1);
        for r in entries {
            let (old, new) = match r.change {
                Change::Wrapped { old, new, .. } => (old, new),
                Change::PointerWrapped { member, .. } => (member, member),
            };
            let Some((at, name_off, ty, offset)) = b.members(t).find(|m| b.str_at(m.1) == old) else { continue };
            let bitfield = kflag && offset >> 24 != 0;
            let applies = match r.change {
                Change::Wrapped { .. } => !b.has_member(t, new) && !bitfield && b.size_of(ty).is_some_and(|s| s > 0),
                Change::PointerWrapped { .. } => b.resolve(ty).is_some_and(|(_, rt)| rt.kind == btf::KIND_PTR),
            };
            if applies {
                found.push(Site { rename: **r, at, name_off, ty });
            }
        }
    }
    found
}

/// Whether [`apply`] would change anything in `b`.
pub fn applies(b: &Btf, renames: &[FieldRename]) -> bool {
    !sites(b, renames).is_empty()
}

/// Gives `out` (a copy of `b`) the members of `renames` under their current names and
/// shapes; returns how many members were changed.
pub fn apply(b: &Btf, renames: &[FieldRename], out: &mut Builder) -> usize {
    let sites = sites(b, renames);
    // A wrapper type's name is given once, and only when `b` has no type of that name
    // (else the C dump would hold two definitions); other wrappers are anonymous, which
    // libbpf's matching does not mind (it compares member names, not struct names).
    let mut free_names: HashMap<&str, bool> = HashMap::new();
    for s in &sites {
        let (Change::Wrapped { wrapper, .. } | Change::PointerWrapped { wrapper, .. }) = s.rename.change;
        free_names.insert(wrapper, true);
    }
    for t in &b.types {
        if let Some(free) = free_names.get_mut(b.name(t)) {
            *free = false;
        }
    }
    let mut take_name =
        |name: &'static str| free_names.get_mut(name).filter(|free| **free).map(|free| std::mem::replace(free, false)).map(|_| name);
    // Types made, by the change and the old member's type (and name, for the union),
    // so copies of one struct share them.
    let mut made: HashMap<(&str, &str, u32, u32), u32> = HashMap::new();
    for s in &sites {
        match s.rename.change {
            Change::Wrapped { new, wrapper, inner, .. } => {
                let size = b.size_of(s.ty).unwrap_or(0);
                let wrapper_id = *made.entry((wrapper, inner, s.ty, 0)).or_insert_with(|| {
                    let inner_off = out.name(inner);
                    out.add(take_name(wrapper), btf::KIND_STRUCT << 24 | 1, size, &btf::words(&[inner_off, s.ty, 0]))
                });
                let union = *made.entry((new, wrapper, s.ty, s.name_off)).or_insert_with(|| {
                    let new_off = out.name(new);
                    let members = btf::words(&[s.name_off, s.ty, 0, new_off, wrapper_id, 0]);
                    out.add(None, btf::KIND_UNION << 24 | 2, size, &members)
                });
                // The member becomes the anonymous union, at the same offset.
                out.set(s.at, 0);
                out.set(s.at + 4, union);
            }
            Change::PointerWrapped { wrapper, inner, .. } => {
                let wrapper_id = *made.entry((wrapper, inner, s.ty, 0)).or_insert_with(|| {
                    let inner_off = out.name(inner);
                    let size = b.size_of(s.ty).unwrap_or(8);
                    let st = out.add(None, btf::KIND_STRUCT << 24 | 1, size, &btf::words(&[inner_off, s.ty, 0]));
                    // As in current kernels: `typedef struct { struct net *net; } possible_net_t`.
                    match take_name(wrapper) {
                        Some(name) => out.add(Some(name), btf::KIND_TYPEDEF << 24, st, &[]),
                        None => st,
                    }
                });
                out.set(s.at + 4, wrapper_id);
            }
        }
    }
    sites.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::testing::{build, rec};
    use crate::btf_extra::tests::{core_relocation_candidates, embedded_bpf_objects, require, BPFTOOL};
    use crate::btf_extra::{augment, EXTRA_STRUCTS, RENAMED_PREFIXES};
    use std::path::Path;
    use std::process::Command;

    /// 3.10's shapes: 1 `unsigned int`; 2 `struct net { unsigned int proc_inum; }`;
    /// 3 pointer to 2; 4 `struct mnt_namespace { unsigned int count; unsigned int proc_inum;
    /// struct net *n; }`; 5 a second `struct net` like 2 (RHEL's BTF holds copies);
    /// 6 `struct sock_common { unsigned int skc_hash; struct net *skc_net; }`;
    /// 7 `struct uts_namespace { unsigned int proc_inum; <8 or 1> ns; }`, which has both
    /// names and is left alone; 8 `struct ns_common {}`, only when `with_ns_common`.
    fn legacy(with_ns_common: bool) -> Vec<u8> {
        let strings =
            b"\0unsigned int\0net\0mnt_namespace\0count\0proc_inum\0n\0sock_common\0skc_hash\0skc_net\0uts_namespace\0ns\0ns_common\0";
        let off = |s: &str| {
            let at = strings.windows(s.len() + 2).position(|w| w[0] == 0 && &w[1..=s.len()] == s.as_bytes() && w[s.len() + 1] == 0);
            at.unwrap() as u32 + 1
        };
        let mut t = Vec::new();
        rec(&mut t, &[off("unsigned int"), btf::KIND_INT << 24, 4, 32]);
        rec(&mut t, &[off("net"), btf::KIND_STRUCT << 24 | 1, 4, off("proc_inum"), 1, 0]);
        rec(&mut t, &[0, btf::KIND_PTR << 24, 2]);
        let mnt = [off("count"), 1, 0, off("proc_inum"), 1, 32, off("n"), 3, 64];
        rec(&mut t, &[&[off("mnt_namespace"), btf::KIND_STRUCT << 24 | 3, 16][..], &mnt].concat());
        rec(&mut t, &[off("net"), btf::KIND_STRUCT << 24 | 1, 4, off("proc_inum"), 1, 0]);
        rec(&mut t, &[off("sock_common"), btf::KIND_STRUCT << 24 | 2, 16, off("skc_hash"), 1, 0, off("skc_net"), 3, 64]);
        let ns_common = if with_ns_common { 8 } else { 1 };
        rec(&mut t, &[off("uts_namespace"), btf::KIND_STRUCT << 24 | 2, 8, off("proc_inum"), 1, 0, off("ns"), ns_common, 32]);
        if with_ns_common {
            rec(&mut t, &[off("ns_common"), btf::KIND_STRUCT << 24, 0]);
        }
        build(&t, strings)
    }

    /// Member `i` of struct `id`: (name, type id, offset word).
    fn member<'a>(b: &'a Btf, id: u32, i: usize) -> (&'a str, u32, u32) {
        let (_, name, ty, off) = b.members(b.get(id).unwrap()).nth(i).unwrap();
        (b.str_at(name), ty, off)
    }

    #[test]
    fn old_members_get_their_current_names_in_place() {
        let raw = legacy(false);
        let (out, added) = augment(&raw, &[], &[], FIELD_RENAMES, &[]).expect("augmented");
        // mnt_namespace, both nets, sock_common; uts_namespace has `ns` already.
        assert_eq!(added.aliased_fields, 4);
        let (old, new) = (Btf::parse(&raw).unwrap(), Btf::parse(&out).unwrap());
        // Every record stays where it was with its size, member count and kind.
        for (id, (o, n)) in (1..).zip(old.types.iter().zip(&new.types)) {
            assert_eq!(
                (o.extra, o.kind, o.vlen, o.size_or_type, o.name_off),
                (n.extra, n.kind, n.vlen, n.size_or_type, n.name_off),
                "[{id}]"
            );
        }
        // mnt_namespace { count; union { proc_inum; struct ns_common { inum } ns; }; n; }
        assert_eq!(member(&new, 4, 0), ("count", 1, 0));
        let (name, union, offset) = member(&new, 4, 1);
        assert_eq!((name, offset), ("", 32), "an anonymous member at proc_inum's offset");
        let u = new.get(union).unwrap();
        assert_eq!((u.kind, u.vlen, u.size_or_type, new.name(u)), (btf::KIND_UNION, 2, 4, ""));
        assert_eq!(member(&new, union, 0), ("proc_inum", 1, 0));
        let (name, wrapper, offset) = member(&new, union, 1);
        assert_eq!((name, offset), ("ns", 0));
        let w = new.get(wrapper).unwrap();
        assert_eq!((w.kind, w.vlen, w.size_or_type, new.name(w)), (btf::KIND_STRUCT, 1, 4, "ns_common"));
        assert_eq!(member(&new, wrapper, 0), ("inum", 1, 0));
        assert_eq!(member(&new, 4, 2), ("n", 3, 64));
        // Both copies of struct net share the union.
        assert_eq!(member(&new, 2, 0), ("", union, 0));
        assert_eq!(member(&new, 5, 0), ("", union, 0));
        // sock_common.skc_net: possible_net_t, a typedef of struct { struct net *net; }.
        let (name, ty, offset) = member(&new, 6, 1);
        assert_eq!((name, offset), ("skc_net", 64));
        let td = new.get(ty).unwrap();
        assert_eq!((td.kind, new.name(td)), (btf::KIND_TYPEDEF, "possible_net_t"));
        let s = new.get(td.size_or_type).unwrap();
        assert_eq!((s.kind, s.vlen, s.size_or_type, new.name(s)), (btf::KIND_STRUCT, 1, 8, ""));
        assert_eq!(member(&new, td.size_or_type, 0), ("net", 3, 0));
        // uts_namespace had the current member: untouched.
        assert_eq!(
            new.types_sec[new.get(7).unwrap().extra - 12..new.get(8).unwrap().extra - 12],
            old.types_sec[old.get(7).unwrap().extra - 12..]
        );
        // Served again, nothing is left to do; without the table, nothing is done.
        assert!(augment(&out, &[], &[], FIELD_RENAMES, &[]).is_none());
        assert!(augment(&raw, &[], &[], &[], &[]).is_none());
    }

    #[test]
    fn a_wrapper_name_the_btf_has_is_not_given_again() {
        let (out, _) = augment(&legacy(true), &[], &[], FIELD_RENAMES, &[]).expect("augmented");
        let b = Btf::parse(&out).unwrap();
        assert_eq!(b.types.iter().filter(|t| b.name(t) == "ns_common").count(), 1, "the BTF's own ns_common only");
        let (_, union, _) = member(&b, 4, 1);
        let (name, wrapper, _) = member(&b, union, 1);
        assert_eq!((name, b.name(b.get(wrapper).unwrap())), ("ns", ""), "an anonymous wrapper");
        assert_eq!(member(&b, wrapper, 0).0, "inum");
    }

    /// `bpftool btf dump file <raw> format c`, or None (with a note) without bpftool.
    fn c_dump(raw: &[u8]) -> Option<String> {
        require(Path::new(BPFTOOL).exists().then_some(()), &format!("{BPFTOOL} is missing"))?;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("served.btf");
        std::fs::write(&file, raw).unwrap();
        let o = Command::new(BPFTOOL).args(["btf", "dump", "file"]).arg(&file).args(["format", "c"]).output().unwrap();
        assert!(o.status.success(), "bpftool (libbpf's btf__parse): {}", String::from_utf8_lossy(&o.stderr));
        Some(String::from_utf8(o.stdout).unwrap())
    }

    /// The body of `struct <name> {` in a C dump.
    fn c_struct<'a>(c: &'a str, name: &str) -> &'a str {
        let start = c.find(&format!("\nstruct {name} {{\n")).unwrap_or_else(|| panic!("no struct {name}")) + 1;
        &c[start..start + c[start..].find("\n};\n").unwrap() + 3]
    }

    #[test]
    fn libbpf_parses_the_served_legacy_shapes() {
        let (out, _) = augment(&legacy(false), &[], &[], FIELD_RENAMES, &[]).unwrap();
        let Some(c) = c_dump(&out) else { return };
        let expected = "struct mnt_namespace {\n\tunsigned int count;\n\tunion {\n\t\tunsigned int proc_inum;\n\t\tstruct ns_common ns;\n\t};\n\tstruct net *n;\n};";
        assert_eq!(c_struct(&c, "mnt_namespace"), expected);
        assert!(c.contains("struct ns_common {\n\tunsigned int inum;\n};"), "{c}");
        assert!(c.contains("typedef struct {\n\tstruct net *net;\n} possible_net_t;"), "{c}");
        assert!(c_struct(&c, "sock_common").contains("\tpossible_net_t skc_net;\n"), "{c}");
    }

    /// A current kernel's BTF (the host's) has every entry's current shape, which is what
    /// tools are built against, so nothing applies and it is served unchanged.
    #[test]
    fn current_kernels_have_the_current_shapes_and_are_left_alone() {
        let Some(raw) = require(std::fs::read("/sys/kernel/btf/vmlinux").ok(), "/sys/kernel/btf/vmlinux cannot be read") else { return };
        let b = Btf::parse(&raw).unwrap();
        let structs = b.index(btf::KIND_STRUCT);
        let mut checked = 0;
        for r in FIELD_RENAMES {
            // Not every struct is in every configuration's BTF (modules have their own).
            let Some(&id) = structs.get(r.parent) else {
                eprintln!("{}: not in this kernel's vmlinux BTF", r.parent);
                continue;
            };
            let t = b.get(id).unwrap();
            let (member, inner) = match r.change {
                Change::Wrapped { new, inner, .. } => (new, inner),
                Change::PointerWrapped { member, inner, .. } => (member, inner),
            };
            let (_, _, ty, _) = b.members(t).find(|m| b.str_at(m.1) == member).unwrap_or_else(|| panic!("{r:?}: no {member}"));
            let (_, wrapper) = b.resolve(ty).unwrap();
            assert_eq!(wrapper.kind, btf::KIND_STRUCT, "{r:?}");
            assert!(b.has_member(wrapper, inner), "{r:?}: no {member}.{inner}");
            checked += 1;
        }
        assert!(checked >= 8, "only {checked} of the entries' structs found");
        assert!(!applies(&b, FIELD_RENAMES));
    }

    /// CentOS 7.9's kernel BTF (3.10.0-1160), kept next to the repository.
    fn centos7_btf() -> Option<Vec<u8>> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/kernels/centos7-3.10.0-1160/vmlinux.btf");
        require(std::fs::read(&path).ok(), &format!("{} cannot be read", path.display()))
    }

    #[test]
    fn centos7_btf_serves_current_member_shapes() {
        let Some(raw) = centos7_btf() else { return };
        let (out, added) = augment(&raw, &[], &[], FIELD_RENAMES, &[]).expect("augmented");
        // Six namespaces (two copies of struct net), and the possible_net_t pointers.
        assert!(added.aliased_fields >= 9, "{added:?}");
        let Some(c) = c_dump(&out) else { return };
        let mnt = c_struct(&c, "mnt_namespace");
        assert!(
            mnt.starts_with(
                "struct mnt_namespace {\n\tatomic_t count;\n\tunion {\n\t\tunsigned int proc_inum;\n\t\tstruct ns_common ns;\n\t};\n"
            ),
            "{mnt}"
        );
        assert!(c_struct(&c, "net").contains("\tunion {\n\t\tunsigned int proc_inum;\n\t\tstruct ns_common ns;\n\t};\n"));
        assert!(c_struct(&c, "sock_common").contains("\tpossible_net_t skc_net;\n"));
        assert!(c_struct(&c, "net_device").contains("\tpossible_net_t nd_net;\n"));
        assert!(c.contains("typedef struct {\n\tstruct net *net;\n} possible_net_t;"));
    }

    /// libbpf's CO-RE relocations of `obj` against `btf` (bpftool's min_core_btf runs
    /// them offline): for each relocation as the debug log describes it, the byte offset
    /// of its first matching candidate.
    fn relocated_offsets(obj: &Path, btf: &Path, out: &Path) -> Vec<(String, Option<u64>)> {
        let offset = |c: &str| c.rsplit_once("@ offset ").and_then(|(_, o)| o.trim_end_matches(')').parse().ok());
        let first = |c: Option<String>| c.as_deref().and_then(|c| c.strip_prefix("#0 ")).and_then(offset);
        core_relocation_candidates(obj, btf, out).into_iter().map(|(r, c)| (r, first(c))).collect()
    }

    /// mountsnoop's and tcptracer's relocations of the renamed members resolve against
    /// the served 3.10 BTF, to the offsets of the old members; nothing else changes.
    #[test]
    fn mountsnoop_and_tcptracer_relocate_against_centos7() {
        let Some(raw) = centos7_btf() else { return };
        if require(Path::new(BPFTOOL).exists().then_some(()), &format!("{BPFTOOL} is missing")).is_none() {
            return;
        }
        let Some(exes) = require(
            ["mountsnoop", "tcptracer"]
                .iter()
                .map(|t| std::fs::read(format!("/usr/sbin/{t}")).ok().map(|b| (*t, b)))
                .collect::<Option<Vec<_>>>(),
            "Debian's libbpf-tools are not installed (/usr/sbin/mountsnoop, /usr/sbin/tcptracer)",
        ) else {
            return;
        };
        let (without, _) = augment(&raw, EXTRA_STRUCTS, RENAMED_PREFIXES, &[], &[]).unwrap();
        let (with, _) = augment(&raw, EXTRA_STRUCTS, RENAMED_PREFIXES, FIELD_RENAMES, &[]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (before_file, after_file) = (dir.path().join("before.btf"), dir.path().join("after.btf"));
        std::fs::write(&before_file, &without).unwrap();
        std::fs::write(&after_file, &with).unwrap();
        // The old members' byte offsets on 3.10.
        let b = Btf::parse(&raw).unwrap();
        let structs = b.index(btf::KIND_STRUCT);
        let offset_of = |s: &str, m: &str| {
            let t = b.get(structs[s]).unwrap();
            b.members(t).find(|x| b.str_at(x.1) == m).map(|x| u64::from(x.3 & 0xff_ffff) / 8).unwrap()
        };
        let expected = [
            ("struct mnt_namespace.ns.inum ", offset_of("mnt_namespace", "proc_inum")),
            ("struct net.ns.inum ", offset_of("net", "proc_inum")),
            ("struct sock.__sk_common.skc_net.net ", offset_of("sock_common", "skc_net")),
        ];
        let mut fixed = Vec::new();
        for (tool, exe) in &exes {
            let obj = dir.path().join(format!("{tool}.bpf.o"));
            std::fs::write(&obj, embedded_bpf_objects(exe)[0]).unwrap();
            let before = relocated_offsets(&obj, &before_file, &dir.path().join("min.btf"));
            let after = relocated_offsets(&obj, &after_file, &dir.path().join("min.btf"));
            assert_eq!(before.len(), after.len(), "{tool}");
            for ((relo, was), (relo_after, now)) in before.iter().zip(&after) {
                assert_eq!(relo, relo_after, "{tool}");
                match expected.iter().find(|(path, _)| relo.contains(path)) {
                    Some((path, offset)) => {
                        assert_eq!((*was, *now), (None, Some(*offset)), "{tool}: {relo}");
                        fixed.push(*path);
                    }
                    None => assert_eq!(was, now, "{tool}: {relo}"),
                }
            }
        }
        // mountsnoop: mnt_namespace.ns.inum; tcptracer: skc_net.net and net.ns.inum in
        // each probe that reports the network namespace.
        eprintln!("{} relocations resolved with the current member shapes", fixed.len());
        for (path, _) in expected {
            assert!(fixed.contains(&path), "no relocation of {path}");
        }
    }
}
