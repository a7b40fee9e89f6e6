//! Checking a vmlinux BTF file against the running kernel.
//!
//! CO-RE tools only need the BTF to describe the running kernel's *types*: field offsets
//! and struct sizes are what libbpf relocates against. So the checks are:
//!
//! 1. the file is raw BTF (magic 0xeB9F, version 1, a header whose sections fit);
//! 2. if `make-btf.sh` left `<file>.banner` next to it (the `linux_banner` string of the
//!    vmlinux the BTF was made from, which is exactly what that kernel prints in
//!    /proc/version), it must equal /proc/version: same build, not just same release;
//! 3. the struct sizes the BTF gives for kernel objects with their own slab caches
//!    (`struct inode` → `inode_cache`, `struct proc_inode`, `struct socket_alloc`,
//!    `struct dentry`, `struct file` → `filp`, ...) must equal the object sizes the running kernel
//!    reports in /sys/kernel/slab/<cache>/object_size: a BTF from another build of
//!    another config or patch level almost always differs in one of these, and a
//!    mismatch there is precisely the kind that would make CO-RE reads wrong.
//!
//! Only caches SLUB did not merge with others count (a merged cache is a symlink in
//! /sys/kernel/slab and its object_size is the largest of its users'); /proc/slabinfo
//! is no use here, it shows the aligned slot size. Without SLUB's sysfs and without a
//! banner the verdict is "not verified", never "matches".

use bpfcompat_btf::KIND_STRUCT;
use std::collections::HashMap;
use std::path::Path;

/// Slab caches whose object size is `sizeof(struct <type>)` on every kernel 3.10 .. 6.x
/// (created with KMEM_CACHE or kmem_cache_create(name, sizeof(struct x), ...)), with the
/// struct's names over time. The ones with a constructor (inode caches, sighand,
/// anon_vma, radix_tree_node) are never merged by SLUB, so they are always comparable;
/// struct inode and friends depend on config and version, which makes them good
/// witnesses.
pub const SLAB_STRUCTS: &[(&str, &[&str])] = &[
    ("inode_cache", &["inode"]),
    ("proc_inode_cache", &["proc_inode"]),
    ("shmem_inode_cache", &["shmem_inode_info"]),
    ("sock_inode_cache", &["socket_alloc"]),
    ("bdev_cache", &["bdev_inode"]),
    ("anon_vma", &["anon_vma"]),
    ("radix_tree_node", &["radix_tree_node", "xa_node"]),
    ("sighand_cache", &["sighand_struct"]),
    ("dentry", &["dentry"]),
    ("filp", &["file"]),
    ("vm_area_struct", &["vm_area_struct"]),
    ("cred_jar", &["cred"]),
    ("signal_cache", &["signal_struct"]),
    ("files_cache", &["files_struct"]),
    ("fs_cache", &["fs_struct"]),
];

/// Struct sizes must agree for at least this many caches before a BTF without a banner
/// counts as matching.
pub const MIN_COMPARED: usize = 3;

#[derive(Debug)]
pub struct Btf {
    /// Size of each named struct (first definition of a name).
    pub struct_sizes: HashMap<String, u32>,
    /// Definitions of each named struct: several in BTF pahole could not deduplicate.
    pub struct_copies: HashMap<String, usize>,
    pub types: usize,
}

/// More definitions of one struct than this: BTF made from RHEL 7's debuginfo and not
/// normalized (its kABI macros make a copy per object file; a deduplicated BTF has a few
/// at most, where one config option changes a layout in some objects).
pub const MAX_COPIES: usize = 8;

impl Btf {
    /// When some struct has more than [`MAX_COPIES`] definitions: which, and how many.
    /// libbpf relocates against such a file the same way (the copies have one layout),
    /// but every tool reads and scans all of it.
    pub fn duplicated(&self) -> Option<(&str, usize)> {
        self.struct_copies
            .iter()
            .map(|(n, &c)| (n.as_str(), c))
            .filter(|&(_, c)| c > MAX_COPIES)
            .max_by_key(|&(n, c)| (c, std::cmp::Reverse(n)))
    }
}

/// Parse raw (little-endian) BTF far enough to list struct sizes.
pub fn parse(data: &[u8]) -> Result<Btf, String> {
    let btf = bpfcompat_btf::Btf::parse_or_why(data)?;
    let mut struct_sizes = HashMap::new();
    let mut struct_copies = HashMap::new();
    for t in btf.types.iter().filter(|t| t.kind == KIND_STRUCT && t.name_off != 0) {
        let name = btf.name(t).to_string();
        *struct_copies.entry(name.clone()).or_insert(0) += 1;
        struct_sizes.entry(name).or_insert(t.size_or_type);
    }
    Ok(Btf { struct_sizes, struct_copies, types: btf.types.len() })
}

/// Exact object sizes of the unmerged SLUB caches we compare, from `root`
/// (/sys/kernel/slab): `<cache>/object_size` of real directories with no aliases.
pub fn slab_object_sizes(root: &Path) -> HashMap<String, u32> {
    let mut out = HashMap::new();
    for (cache, _) in SLAB_STRUCTS {
        let dir = root.join(cache);
        let real_dir = std::fs::symlink_metadata(&dir).map(|m| m.is_dir()).unwrap_or(false);
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok().and_then(|s| s.trim().parse::<u32>().ok());
        if real_dir && read("aliases") == Some(0) {
            if let Some(size) = read("object_size") {
                out.insert(cache.to_string(), size);
            }
        }
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
pub enum Match {
    /// Verified; the detail says how.
    Yes(String),
    /// Definitely another kernel; the detail says what differs.
    No(String),
    /// Nothing to compare with here.
    Unknown(String),
}

/// Compare struct sizes with the slab caches, and the banner with /proc/version.
pub fn matches_kernel(btf: &Btf, banner: Option<&str>, proc_version: &str, sizes: &HashMap<String, u32>) -> Match {
    if let Some(b) = banner {
        if b.trim() != proc_version.trim() {
            return Match::No(format!("made from '{}', but this kernel is '{}'", b.trim(), proc_version.trim()));
        }
    }
    let mut compared = Vec::new();
    for (cache, names) in SLAB_STRUCTS {
        let found = names.iter().find_map(|n| btf.struct_sizes.get(*n).map(|&b| (*n, b)));
        if let (Some(&k), Some((ty, b))) = (sizes.get(*cache), found) {
            if k != b {
                return Match::No(format!("struct {ty} is {b} bytes in the BTF but {k} bytes in this kernel (slab '{cache}')"));
            }
            compared.push(format!("{ty}={b}"));
        }
    }
    match (banner.is_some(), compared.len()) {
        (true, 0) => Match::Yes("build banner equals /proc/version".into()),
        (true, _) => Match::Yes(format!("build banner equals /proc/version; struct sizes agree ({})", compared.join(" "))),
        (false, n) if n >= MIN_COMPARED => Match::Yes(format!("struct sizes agree with the running kernel ({})", compared.join(" "))),
        (false, n) => Match::Unknown(format!(
            "cannot verify: no <file>.banner, and only {n} unmerged slab caches in /sys/kernel/slab \
             to compare struct sizes with (need {MIN_COMPARED})"
        )),
    }
}

/// `bpfhook btf normalize IN OUT`: OUT (written whole, then renamed into place) is IN
/// with RHEL's kABI copies merged (see the BTF crate's norm.rs). A one-line summary.
pub fn normalize_file(input: &Path, output: &Path) -> Result<String, String> {
    let raw = std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
    parse(&raw).map_err(|e| format!("{}: {e}", input.display()))?;
    let (out, n) = bpfcompat_btf::norm::normalize(&raw).ok_or_else(|| format!("{}: refers to types it does not have", input.display()))?;
    let mut tmp = output.as_os_str().to_owned();
    tmp.push(format!(".tmp.{}", std::process::id()));
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, &out).and_then(|()| std::fs::rename(&tmp, output)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", output.display())
    })?;
    Ok(format!(
        "{} ({} types, {} bytes) -> {} ({} types, {} bytes): {} hidden kABI members renamed, {} FWDs resolved",
        input.display(),
        n.types_before,
        raw.len(),
        output.display(),
        n.types_after,
        out.len(),
        n.hidden_members,
        n.fwds_resolved
    ))
}

pub fn read_banner(btf_path: &Path) -> Option<String> {
    let mut p = btf_path.as_os_str().to_owned();
    p.push(".banner");
    std::fs::read_to_string(p).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use driver_protocol::BPFDRV_BTF_MAGIC;

    /// A BTF blob with one INT and one STRUCT "dentry" of `size` bytes.
    fn blob(size: u32) -> Vec<u8> {
        let strs = b"\0int\0dentry\0";
        let mut types = Vec::new();
        for w in [1u32, 1 << 24, 4, 32] {
            types.extend_from_slice(&w.to_le_bytes()); // INT "int", 4 bytes, encoding word
        }
        for w in [5u32, (4 << 24) | 1, size, 1, 1, 0] {
            types.extend_from_slice(&w.to_le_bytes()); // STRUCT "dentry" with one member
        }
        let mut b = Vec::new();
        b.extend_from_slice(&BPFDRV_BTF_MAGIC.to_le_bytes());
        b.extend_from_slice(&[1, 0]);
        for w in [24u32, 0, types.len() as u32, types.len() as u32, strs.len() as u32] {
            b.extend_from_slice(&w.to_le_bytes());
        }
        b.extend_from_slice(&types);
        b.extend_from_slice(strs);
        b
    }

    #[test]
    fn parses_struct_sizes() {
        let btf = parse(&blob(192)).unwrap();
        assert_eq!(btf.types, 2);
        assert_eq!(btf.struct_sizes.get("dentry"), Some(&192));
    }

    /// `copies` STRUCTs "dentry" of 192 bytes after an INT.
    fn copies(copies: usize) -> Vec<u8> {
        let mut b = blob(192);
        let one = b[24 + 16..24 + 40].to_vec();
        for _ in 1..copies {
            b.splice(24 + 40..24 + 40, one.iter().copied());
        }
        let types_len = 16 + 24 * copies as u32;
        b[12..16].copy_from_slice(&types_len.to_le_bytes());
        b[16..20].copy_from_slice(&types_len.to_le_bytes());
        b
    }

    #[test]
    fn flags_structs_pahole_could_not_deduplicate() {
        // RHEL 7 debuginfo's shape: a copy per object file.
        let many = parse(&copies(MAX_COPIES + 1)).unwrap();
        assert_eq!(many.duplicated(), Some(("dentry", MAX_COPIES + 1)));
        assert_eq!(many.struct_sizes.get("dentry"), Some(&192));
        assert_eq!(parse(&copies(2)).unwrap().duplicated(), None);
    }

    #[test]
    fn rejects_non_btf() {
        assert!(parse(b"\x7fELF....").unwrap_err().contains("not raw BTF"));
        let mut b = blob(1);
        b.truncate(30);
        assert!(parse(&b).is_err());
    }

    #[test]
    fn reads_only_unmerged_caches() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("dentry")).unwrap();
        std::fs::write(d.path().join("dentry/object_size"), "192\n").unwrap();
        std::fs::write(d.path().join("dentry/aliases"), "0\n").unwrap();
        std::fs::create_dir(d.path().join("filp")).unwrap();
        std::fs::write(d.path().join("filp/object_size"), "256\n").unwrap();
        std::fs::write(d.path().join("filp/aliases"), "2\n").unwrap();
        std::fs::create_dir(d.path().join(":0000192")).unwrap();
        std::os::unix::fs::symlink(":0000192", d.path().join("cred_jar")).unwrap();
        let m = slab_object_sizes(d.path());
        assert_eq!(m.len(), 1);
        assert_eq!(m.get("dentry"), Some(&192));
    }

    #[test]
    fn compares_struct_sizes_and_banner() {
        let btf = parse(&blob(192)).unwrap();
        let same: HashMap<String, u32> = [("dentry".to_string(), 192)].into();
        let other: HashMap<String, u32> = [("dentry".to_string(), 216)].into();
        let none = HashMap::new();
        assert!(matches!(matches_kernel(&btf, Some("Linux version X\n"), "Linux version X", &same), Match::Yes(_)));
        assert!(matches!(matches_kernel(&btf, Some("Linux version Y"), "Linux version X", &same), Match::No(_)));
        assert!(matches!(matches_kernel(&btf, None, "v", &other), Match::No(m) if m.contains("216")));
        // One comparable cache is not enough evidence on its own.
        assert!(matches!(matches_kernel(&btf, None, "v", &same), Match::Unknown(_)));
        assert!(matches!(matches_kernel(&btf, None, "v", &none), Match::Unknown(_)));
    }
}
