//! Merging the per-object-file copies RHEL 7's kABI macros leave in a kernel's BTF.
//!
//! `RH_KABI_REPLACE(old, new)` expands to `union { new; struct { old; }
//! __UNIQUE_ID_rh_kabi_hide<N>; }` with N from `__COUNTER__`: the hidden member has another
//! name in every compilation unit. pahole's dedup merges types only when everything about
//! them agrees, names included, so each struct holding such a union (task_struct,
//! mm_struct, ...) and each type embedding or pointing to one, transitively, keeps a copy
//! per object file: about 570 `task_struct`s and 25 MB from CentOS 7.9's debuginfo. libbpf
//! relocates against that (the copies have one layout), but every tool loads and scans it.
//!
//! [`normalize`] renames each hidden member to `__UNIQUE_ID_rh_kabi_hide<i>` (i: its rank
//! among its parent's hidden members) and then merges types that are structurally equal:
//! the coarsest partition of the type graph in which types of one class have equal records
//! and refer to types of equal classes (Moore's partition refinement). Unlike merging
//! records that became byte-identical, which can never merge copies that refer to each
//! other in a cycle (task_struct -> mm_struct -> owner task_struct), this merges them all.
//! A FWD then stands for the one struct of its name when exactly one is left, as pahole's
//! dedup would have resolved it had there been one; the refinement reruns with that.
//! Hand-rolled: libbpf's btf__dedup would do the merging, but the hook links no libbpf
//! (it runs under tools that bring their own), and the rename has to come first anyway.

use crate as btf;
use crate::Btf;
use std::collections::HashMap;

/// The name `RH_KABI_REPLACE` gives the hidden member, before `__COUNTER__`'s digits.
pub const HIDE_PREFIX: &str = "__UNIQUE_ID_rh_kabi_hide";

const KIND_FWD: u32 = 7;

/// Whether `name` is a member name `RH_KABI_REPLACE` made.
pub fn is_hidden_member(name: &str) -> bool {
    name.strip_prefix(HIDE_PREFIX).is_some_and(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()))
}

/// What [`normalize`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub types_before: usize,
    pub types_after: usize,
    /// Hidden members renamed.
    pub hidden_members: usize,
    /// FWDs replaced by the single struct or union of their name.
    pub fwds_resolved: usize,
    /// Refinement rounds, over all passes.
    pub rounds: usize,
}

/// Indices of the words of a type record of `kind` (`len` words, header included) that
/// hold type ids.
pub fn ref_words(kind: u32, len: usize) -> impl Iterator<Item = usize> {
    (0..len).filter(move |&i| word(kind, i) == Word::Ref)
}

#[derive(Clone, Copy, PartialEq)]
enum Word {
    /// A string offset.
    Name,
    /// A type id.
    Ref,
    Plain,
}

/// What word `i` of a type record of `kind` holds (words 0..3 are the header).
fn word(kind: u32, i: usize) -> Word {
    use btf::*;
    match (kind, i) {
        (_, 0) => Word::Name,
        (_, 1) => Word::Plain,
        (
            KIND_PTR | KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT | KIND_FUNC | KIND_FUNC_PROTO | KIND_VAR | KIND_DECL_TAG
            | KIND_TYPE_TAG,
            2,
        ) => Word::Ref,
        (_, 2) => Word::Plain,
        (KIND_ARRAY, 3 | 4) => Word::Ref,
        (KIND_STRUCT | KIND_UNION, i) => [Word::Name, Word::Ref, Word::Plain][(i - 3) % 3],
        (KIND_FUNC_PROTO, i) => [Word::Name, Word::Ref][(i - 3) % 2],
        (KIND_ENUM, i) => [Word::Name, Word::Plain][(i - 3) % 2],
        (KIND_ENUM64, i) => [Word::Name, Word::Plain, Word::Plain][(i - 3) % 3],
        (KIND_DATASEC, i) => [Word::Ref, Word::Plain, Word::Plain][(i - 3) % 3],
        // INT's encoding, ARRAY's nelems, VAR's linkage, DECL_TAG's component index.
        _ => Word::Plain,
    }
}

/// `raw` with RHEL's hidden members renamed and structurally equal types merged (see the
/// module comment); type ids change, the header's other fields are kept. None when `raw`
/// is not little-endian raw BTF or refers to types it does not have.
pub fn normalize(raw: &[u8]) -> Option<(Vec<u8>, Normalized)> {
    let b = Btf::parse(raw)?;
    let n = b.types.len();
    let mut stats = Normalized { types_before: n, ..Normalized::default() };
    // Every record as words, string offsets replaced by ids of distinct strings (id 0: "").
    let mut strings: Vec<String> = vec![String::new()];
    let mut string_ids: HashMap<String, u32> = HashMap::from([(String::new(), 0)]);
    let mut intern = |s: &str| -> u32 {
        if let Some(&id) = string_ids.get(s) {
            return id;
        }
        strings.push(s.to_string());
        string_ids.insert(s.to_string(), strings.len() as u32 - 1);
        strings.len() as u32 - 1
    };
    let mut recs: Vec<Vec<u32>> = Vec::with_capacity(n + 1);
    recs.push(Vec::new()); // void
    for (i, t) in b.types.iter().enumerate() {
        let end = b.types.get(i + 1).map_or(b.types_sec.len(), |next| next.extra - 12);
        let mut words: Vec<u32> = (t.extra - 12..end).step_by(4).map(|o| btf::u32_at(b.types_sec, o).unwrap_or(0)).collect();
        let mut hidden = 0;
        for (j, w) in words.iter_mut().enumerate() {
            match word(t.kind, j) {
                Word::Name => {
                    let name = b.str_at(*w);
                    *w = if j > 0 && matches!(t.kind, btf::KIND_STRUCT | btf::KIND_UNION) && is_hidden_member(name) {
                        hidden += 1;
                        intern(&format!("{HIDE_PREFIX}{}", hidden - 1))
                    } else {
                        intern(name)
                    };
                }
                Word::Ref if *w as usize > n => return None,
                _ => {}
            }
        }
        stats.hidden_members += hidden;
        recs.push(words);
    }
    let kind_of = |t: usize| b.types[t - 1].kind;

    // alias[t]: the type refs to t stand for (t itself, or the struct a FWD resolved to).
    let mut alias: Vec<u32> = (0..=n as u32).collect();
    let mut class;
    loop {
        class = refine(&recs, &alias, &kind_of, &mut stats.rounds);
        // Struct and union classes by name (FWD's kflag: 1 for a union).
        let mut by_name: HashMap<(u32, bool), Option<u32>> = HashMap::new();
        for t in 1..=n {
            let k = kind_of(t);
            if matches!(k, btf::KIND_STRUCT | btf::KIND_UNION) && recs[t][0] != 0 {
                let e = by_name.entry((recs[t][0], k == btf::KIND_UNION)).or_insert(Some(t as u32));
                if e.is_some_and(|u| class[u as usize] != class[t]) {
                    *e = None;
                }
            }
        }
        let mut resolved = 0;
        for t in 1..=n {
            if kind_of(t) == KIND_FWD && alias[t] == t as u32 {
                if let Some(Some(target)) = by_name.get(&(recs[t][0], recs[t][1] >> 31 == 1)) {
                    alias[t] = *target;
                    resolved += 1;
                }
            }
        }
        stats.fwds_resolved += resolved;
        if resolved == 0 {
            break;
        }
    }

    // New ids: the first type of each class, in id order; resolved FWDs go.
    let mut new_id = vec![0u32; n + 1];
    let mut class_id: HashMap<u32, u32> = HashMap::new();
    let mut kept = Vec::new();
    for t in 1..=n {
        if alias[t] == t as u32 && !class_id.contains_key(&class[t]) {
            kept.push(t);
            class_id.insert(class[t], kept.len() as u32);
        }
    }
    for t in 1..=n {
        new_id[t] = class_id[&class[alias[t] as usize]];
    }
    stats.types_after = kept.len();

    let mut str_off = vec![0u32; strings.len()];
    let mut str_sec = vec![0u8];
    let mut types_sec = Vec::with_capacity(b.types_sec.len());
    for &t in &kept {
        for (j, &w) in recs[t].iter().enumerate() {
            let w = match word(kind_of(t), j) {
                Word::Name if w != 0 && str_off[w as usize] == 0 => {
                    str_off[w as usize] = str_sec.len() as u32;
                    str_sec.extend_from_slice(strings[w as usize].as_bytes());
                    str_sec.push(0);
                    str_off[w as usize]
                }
                Word::Name => str_off[w as usize],
                Word::Ref => new_id[w as usize],
                Word::Plain => w,
            };
            types_sec.extend_from_slice(&w.to_le_bytes());
        }
    }
    let mut out = raw[..b.hdr_len].to_vec();
    for (at, v) in [(8, 0), (12, types_sec.len()), (16, types_sec.len()), (20, str_sec.len())] {
        out[at..at + 4].copy_from_slice(&(v as u32).to_le_bytes());
    }
    out.extend_from_slice(&types_sec);
    out.extend_from_slice(&str_sec);
    Some((out, stats))
}

/// Class of each type (index 0: void, class 0) in the coarsest partition where types of
/// one class have equal records with refs (through `alias`) to types of equal classes.
fn refine(recs: &[Vec<u32>], alias: &[u32], kind_of: &dyn Fn(usize) -> u32, rounds: &mut usize) -> Vec<u32> {
    let n = recs.len() - 1;
    let mut class = vec![0u32; n + 1];
    let mut count = 0;
    let mut key = Vec::new();
    loop {
        // A type's key holds its own class, so each round refines the last: the same
        // number of classes means the same partition.
        let mut ids: HashMap<Vec<u32>, u32> = HashMap::with_capacity(count.max(1024));
        let mut next = vec![0u32; n + 1];
        for t in 1..=n {
            key.clear();
            key.push(class[t]);
            let kind = kind_of(t);
            key.extend(recs[t].iter().enumerate().map(|(j, &w)| match word(kind, j) {
                Word::Ref => class[alias[w as usize] as usize],
                _ => w,
            }));
            next[t] = match ids.get(&key) {
                Some(&c) => c,
                None => {
                    let c = ids.len() as u32 + 1;
                    ids.insert(key.clone(), c);
                    c
                }
            };
        }
        *rounds += 1;
        class = next;
        if ids.len() == count {
            return class;
        }
        count = ids.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // super::super: the crate root in the library, the module including both files in
    // the bpfhook binary.
    use crate::testing::{build, rec};
    use crate::*;

    /// Two copies of `struct s { int x; union { int a; struct { int b; } HIDE<N>; };
    /// struct s *next; }` pointing at each other's copy (a cycle through the pointer),
    /// and a FWD `s`.
    fn two_copies() -> Vec<u8> {
        let strings = b"\0int\0s\0x\0a\0b\0__UNIQUE_ID_rh_kabi_hide12\0__UNIQUE_ID_rh_kabi_hide77\0next\0";
        let (int, s, x, a, bb, h12, h77, next) = (1, 5, 7, 9, 11, 13, 40, 67);
        let mut t = Vec::new();
        rec(&mut t, &[int, KIND_INT << 24, 4, 32]); // 1
        rec(&mut t, &[0, KIND_STRUCT << 24 | 1, 4, bb, 1, 0]); // 2: struct { int b; }
                                                               // 3 union, 4 struct s, 5 ptr -> 7; 6 union, 7 struct s, 8 ptr -> 4.
        for (h, union, other) in [(h12, 3, 7), (h77, 6, 4)] {
            rec(&mut t, &[0, KIND_UNION << 24 | 2, 4, a, 1, 0, h, 2, 0]);
            rec(&mut t, &[s, KIND_STRUCT << 24 | 3, 16, x, 1, 0, 0, union, 32, next, union + 2, 64]);
            rec(&mut t, &[0, KIND_PTR << 24, other]);
        }
        rec(&mut t, &[s, 7 << 24, 0]); // 9: FWD struct s
        rec(&mut t, &[0, KIND_PTR << 24, 9]); // 10: ptr -> FWD
        build(&t, strings)
    }

    #[test]
    fn merges_copies_that_differ_in_the_hidden_member_only() {
        let raw = two_copies();
        let b = Btf::parse(&raw).unwrap();
        assert_eq!(b.types.len(), 10);
        let (out, stats) = normalize(&raw).unwrap();
        assert_eq!(stats.hidden_members, 2);
        assert_eq!(stats.fwds_resolved, 1);
        // int, struct { int b; }, union, struct s, ptr -> s.
        assert_eq!(stats.types_after, 5, "{stats:?}");
        let n = Btf::parse(&out).unwrap();
        assert_eq!(n.types.len(), 5);
        let s = n.get(4).unwrap();
        assert_eq!((n.name(s), s.kind, s.vlen, s.size_or_type), ("s", KIND_STRUCT, 3, 16));
        assert_eq!(u32_at(n.types_sec, s.extra + 12 * 2 + 4), Some(5), "next -> the one pointer");
        assert_eq!(n.get(5).unwrap().size_or_type, 4, "which points at the one struct s");
        let u = n.get(3).unwrap();
        assert_eq!(n.str_at(u32_at(n.types_sec, u.extra + 12).unwrap()), "__UNIQUE_ID_rh_kabi_hide0");
        // Normalizing again changes nothing.
        assert_eq!(normalize(&out).unwrap().0, out);
    }

    #[test]
    fn keeps_types_that_differ_elsewhere() {
        let mut raw = two_copies();
        // Second union: member `a` at bit 8 instead of 0.
        let hdr = 24;
        let union2 = hdr + 4 * (4 + 6 + 9 + 12 + 3); // type 6
        raw[union2 + 20..union2 + 24].copy_from_slice(&8u32.to_le_bytes());
        let (_, stats) = normalize(&raw).unwrap();
        // Nothing merges but the FWD, which has two structs s to choose from: it stays.
        assert_eq!((stats.types_after, stats.fwds_resolved), (10, 0), "{stats:?}");
        assert!(is_hidden_member("__UNIQUE_ID_rh_kabi_hide7"));
        assert!(!is_hidden_member("__UNIQUE_ID_rh_kabi_hide") && !is_hidden_member("__UNIQUE_ID_rh_kabi_hidex"));
    }
}
