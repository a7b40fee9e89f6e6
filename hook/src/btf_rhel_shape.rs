//! BTF in the shape pahole makes from RHEL 7's real debuginfo, where `RH_KABI_REPLACE`'s
//! hidden member has another name in every object file, so that task_struct and every
//! type holding or pointing to one keep a copy per object file (about 570 on CentOS 7.9,
//! 25 MB). The BTF kept next to the repository was made from a build whose hidden names
//! agree, so the shape is synthesized from it: see [`undeduplicated`].

use crate::btf::{self, Btf};
use crate::btf_extra::tests::require;
use crate::btf_norm;
use std::collections::HashMap;
use std::path::Path;

/// CentOS 7.9's kernel BTF (3.10.0-1160), kept next to the repository.
fn centos7_btf() -> Option<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/kernels/centos7-3.10.0-1160/vmlinux.btf");
    require(std::fs::read(&path).ok(), &format!("{} cannot be read", path.display()))
}

/// The words of each type record (index 0: void, empty).
fn records(b: &Btf) -> Vec<Vec<u32>> {
    let mut recs = vec![Vec::new()];
    for (i, t) in b.types.iter().enumerate() {
        let end = b.types.get(i + 1).map_or(b.types_sec.len(), |next| next.extra - 12);
        recs.push((t.extra - 12..end).step_by(4).map(|o| btf::u32_at(b.types_sec, o).unwrap()).collect());
    }
    recs
}

/// `raw` plus `copies` copies of every type that holds a hidden member (a
/// `__UNIQUE_ID_rh_kabi_hide<N>`) and of every type that refers to one of those,
/// transitively (through pointers too when `through_pointers`), as each object file
/// pahole reads contributes them: the same records, with every hidden member renamed as
/// another `__COUNTER__` would, and refs among the copied types going to the same copy.
/// Functions, variables and sections are not copied (each has one definition).
fn undeduplicated(raw: &[u8], copies: u32, through_pointers: bool) -> Vec<u8> {
    let b = Btf::parse(raw).unwrap();
    let recs = records(&b);
    let n = b.types.len();
    let copied_kind = |t: usize| !matches!(b.types[t - 1].kind, btf::KIND_FUNC | btf::KIND_VAR | btf::KIND_DATASEC | btf::KIND_DECL_TAG);
    let hidden = |t: usize, j: usize| {
        matches!(b.types[t - 1].kind, btf::KIND_STRUCT | btf::KIND_UNION)
            && j >= 3
            && (j - 3).is_multiple_of(3)
            && btf_norm::is_hidden_member(b.str_at(recs[t][j]))
    };
    let mut referrers: Vec<Vec<usize>> = vec![Vec::new(); n + 1];
    for t in 1..=n {
        let kind = b.types[t - 1].kind;
        if kind == btf::KIND_PTR && !through_pointers {
            continue;
        }
        for j in btf_norm::ref_words(kind, recs[t].len()) {
            referrers[recs[t][j] as usize].push(t);
        }
    }
    let mut copied = vec![false; n + 1];
    let mut todo: Vec<usize> = (1..=n).filter(|&t| (3..recs[t].len()).any(|j| hidden(t, j))).collect();
    while let Some(t) = todo.pop() {
        if !copied[t] && copied_kind(t) {
            copied[t] = true;
            todo.extend(&referrers[t]);
        }
    }
    let set: Vec<usize> = (1..=n).filter(|&t| copied[t]).collect();
    let index: HashMap<usize, u32> = set.iter().enumerate().map(|(i, &t)| (t, i as u32)).collect();
    let mut types = b.types_sec.to_vec();
    let mut strings = b.strings.to_vec();
    for k in 0..copies {
        let base = n as u32 + 1 + k * set.len() as u32;
        for &t in &set {
            let kind = b.types[t - 1].kind;
            let mut words = recs[t].clone();
            for j in btf_norm::ref_words(kind, words.len()) {
                if let Some(i) = index.get(&(words[j] as usize)) {
                    words[j] = base + i;
                }
            }
            for (j, w) in words.iter_mut().enumerate().skip(3) {
                if hidden(t, j) {
                    let n: u32 = b.str_at(*w)[btf_norm::HIDE_PREFIX.len()..].parse().unwrap();
                    *w = strings.len() as u32;
                    strings.extend_from_slice(format!("{}{}", btf_norm::HIDE_PREFIX, 10000 * (k + 1) + n).as_bytes());
                    strings.push(0);
                }
            }
            types.extend(words.iter().flat_map(|w| w.to_le_bytes()));
        }
    }
    let mut out = raw[..b.hdr_len].to_vec();
    for (at, v) in [(8, 0), (12, types.len()), (16, types.len()), (20, strings.len())] {
        out[at..at + 4].copy_from_slice(&(v as u32).to_le_bytes());
    }
    out.extend_from_slice(&types);
    out.extend_from_slice(&strings);
    out
}

fn count_named(raw: &[u8], kind: u32, name: &str) -> usize {
    let b = Btf::parse(raw).unwrap();
    b.types.iter().filter(|t| t.kind == kind && b.name(t) == name).count()
}

/// The synthesized shape, as real CentOS 7.9 debuginfo gives it: 285 copies of the
/// types holding a hidden member (pointers in the copies lead to the originals) make
/// 572 task_structs and 30 MB; a copy of everything reaching them through pointers too
/// (cycles among the copies) is 0.7 MB each, 8 of them. Both normalize to exactly what
/// the deduplicated BTF normalizes to.
#[test]
fn rhel_kabi_copies_normalize_to_the_deduplicated_btf() {
    let Some(raw) = centos7_btf() else { return };
    let t = std::time::Instant::now();
    let (dedup, _) = btf_norm::normalize(&raw).unwrap();
    eprintln!("deduplicated BTF: {} -> {} bytes in {:?}", raw.len(), dedup.len(), t.elapsed());
    let task_structs = count_named(&raw, btf::KIND_STRUCT, "task_struct");
    assert_eq!(count_named(&dedup, btf::KIND_STRUCT, "task_struct"), task_structs);
    assert!(dedup.len() <= raw.len());
    for (copies, through_pointers) in [(285, false), (8, true)] {
        let shape = undeduplicated(&raw, copies, through_pointers);
        let n = count_named(&shape, btf::KIND_STRUCT, "task_struct");
        eprintln!("{copies} copies (through pointers: {through_pointers}): {} bytes, {n} task_structs", shape.len());
        assert_eq!(n, task_structs * (copies as usize + 1));
        if !through_pointers {
            assert!(shape.len() > 25 << 20 && n >= 570, "the size and count of the real shape");
        }
        let t = std::time::Instant::now();
        let (out, stats) = btf_norm::normalize(&shape).unwrap();
        eprintln!("normalized to {} bytes in {:?}: {stats:?}", out.len(), t.elapsed());
        assert!(out == dedup, "{copies} copies normalize to the deduplicated BTF's normal form");
    }
}

/// What breaks with the undeduplicated shape, and what does not: libbpf's CO-RE
/// relocation of real tools (bpftool's min_core_btf runs it offline) finds ~286 times as
/// many candidates, all with one layout, so it resolves every relocation as against the
/// deduplicated BTF, with no ambiguity; the cost is the file's size (0.1 s more per tool
/// here, and 30 MB read and scanned by each). The hook's additions work on it too.
#[test]
fn tools_relocate_alike_against_every_shape() {
    use crate::btf_extra::{self, tests as extra};
    let Some(raw) = centos7_btf() else { return };
    if require(Path::new(extra::BPFTOOL).exists().then_some(()), &format!("{} is missing", extra::BPFTOOL)).is_none() {
        return;
    }
    let tools = ["execsnoop", "opensnoop", "runqlat", "biolatency", "offcputime", "bindsnoop"];
    let Some(exes) = require(
        tools.iter().map(|t| std::fs::read(format!("/usr/sbin/{t}")).ok().map(|b| (*t, b))).collect::<Option<Vec<_>>>(),
        "Debian's libbpf-tools are not installed (/usr/sbin/execsnoop, ...)",
    ) else {
        return;
    };
    let shape = undeduplicated(&raw, 285, false);
    let (normal, _) = btf_norm::normalize(&shape).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, blob) in [("dedup", &raw), ("rhel", &shape), ("normalized", &normal)] {
        // As the hook serves each: with its additions.
        let t = std::time::Instant::now();
        let tps = ["sched_switch".to_string()];
        let (served, added) =
            btf_extra::augment(blob, btf_extra::EXTRA_STRUCTS, btf_extra::RENAMED_PREFIXES, crate::btf_alias::FIELD_RENAMES, &tps).unwrap();
        eprintln!("{name}: {} bytes, augmented in {:?}: {added:?}", blob.len(), t.elapsed());
        assert_eq!(added.renamed_structs, 283, "{name}");
        let file = dir.path().join(format!("{name}.btf"));
        std::fs::write(&file, &served).unwrap();
        files.push(file);
    }
    for (tool, exe) in &exes {
        let obj = dir.path().join(format!("{tool}.bpf.o"));
        std::fs::write(&obj, extra::embedded_bpf_objects(exe)[0]).unwrap();
        let relos: Vec<_> = files
            .iter()
            .map(|f| {
                let t = std::time::Instant::now();
                let r = extra::core_relocations(&obj, f, &dir.path().join("min.btf"));
                let found = r.iter().filter(|r| r.1).count();
                eprintln!("{tool} against {}: {} relocations, {found} resolved, {:?}", f.display(), r.len(), t.elapsed());
                r
            })
            .collect();
        assert!(relos[0].iter().any(|r| r.1), "{tool}: some relocation resolves");
        assert_eq!(relos[1], relos[0], "{tool}: the undeduplicated shape relocates as the deduplicated BTF");
        assert_eq!(relos[2], relos[0], "{tool}: so does the normalized one");
    }
}
