//! Types the driver emulates but a legacy kernel's BTF cannot have.
//!
//! BPF programs test for kernel features with CO-RE existence checks against the kernel's
//! BTF; libbpf-tools' `compat.bpf.h` picks its event channel with
//! `bpf_core_type_exists(struct bpf_ringbuf)` while its user side picks the channel by
//! probing `BPF_MAP_TYPE_RINGBUF` (which the driver answers "yes"). A kernel built without
//! bpf(2) has no `struct bpf_ringbuf` in its DWARF, so the two sides disagree: user space
//! drops the per-CPU "heap" map of the fallback path, the program takes that path anyway
//! and libbpf has poisoned its map reference ("invalid func unknown#2001000000"). So the
//! BTF served in place of /sys/kernel/btf/vmlinux gets the missing names appended, as
//! empty structs (existence is all such checks ask), in a memfd the path points at.

//!
//! Tracepoints get the same treatment for `tp_btf` programs: libbpf finds a tracepoint
//! by the typedef `btf_trace_<name>` (pointer to the tracepoint's probe prototype), which
//! only kernels with CONFIG_BPF_EVENTS generate. Each tracepoint of the running kernel
//! gets one; its prototype is the one of `trace_event_raw_event_<name>` when the BTF has
//! that function (events defined with TRACE_EVENT), else `void (void *)`: libbpf only
//! needs the typedef's id, and the driver passes a tracepoint's raw arguments whatever
//! the prototype says.

use crate::btf::{self, Btf};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::sync::OnceLock;

/// Structs added when the kernel BTF lacks them.
pub const EXTRA_STRUCTS: &[&str] = &["bpf_ringbuf"];

/// `raw` with an empty struct appended for each name of `structs` it lacks and a
/// `btf_trace_<tp>` typedef for each of `tracepoints` it lacks; None when nothing is
/// missing or `raw` is not little-endian raw BTF.
pub fn augment(raw: &[u8], structs: &[&str], tracepoints: &[String]) -> Option<Vec<u8>> {
    let b = Btf::parse(raw)?;
    let have_structs = b.index(btf::KIND_STRUCT);
    let have_typedefs = b.index(btf::KIND_TYPEDEF);
    let funcs = b.index(btf::KIND_FUNC);
    let missing_structs: Vec<&str> = structs.iter().copied().filter(|n| !have_structs.contains_key(n)).collect();
    let missing_tps: Vec<&String> =
        tracepoints.iter().filter(|tp| !have_typedefs.contains_key(format!("btf_trace_{tp}").as_str())).collect();
    if missing_structs.is_empty() && missing_tps.is_empty() {
        return None;
    }
    let mut new_types = b.types_sec.to_vec();
    let mut new_strings = b.strings.to_vec();
    let mut next_id = b.types.len() as u32 + 1;
    // struct btf_type { name_off, info = kind << 24 | vlen, size/type } + kind data.
    let mut add = |name: Option<&str>, kind: u32, vlen: u32, size_or_type: u32, extra: &[u32]| -> u32 {
        let name_off = match name {
            Some(n) => {
                let off = new_strings.len() as u32;
                new_strings.extend_from_slice(n.as_bytes());
                new_strings.push(0);
                off
            }
            None => 0,
        };
        for w in [name_off, kind << 24 | vlen, size_or_type].iter().chain(extra) {
            new_types.extend_from_slice(&w.to_le_bytes());
        }
        next_id += 1;
        next_id - 1
    };
    for name in &missing_structs {
        add(Some(name), btf::KIND_STRUCT, 0, 0, &[]);
    }
    if !missing_tps.is_empty() {
        let void_ptr = add(None, btf::KIND_PTR, 0, 0, &[]);
        let generic = add(None, btf::KIND_FUNC_PROTO, 1, 0, &[0, void_ptr]);
        for tp in &missing_tps {
            let proto = funcs
                .get(format!("trace_event_raw_event_{tp}").as_str())
                .and_then(|&f| b.get(f))
                .map(|f| f.size_or_type)
                .unwrap_or(generic);
            let ptr = add(None, btf::KIND_PTR, 0, proto, &[]);
            add(Some(&format!("btf_trace_{tp}")), btf::KIND_TYPEDEF, 0, ptr, &[]);
        }
    }
    // Header (as read, hdr_len bytes) with types first, then strings.
    let mut out = raw[..b.hdr_len].to_vec();
    out[8..12].copy_from_slice(&0u32.to_le_bytes());
    out[12..16].copy_from_slice(&(new_types.len() as u32).to_le_bytes());
    out[16..20].copy_from_slice(&(new_types.len() as u32).to_le_bytes());
    out[20..24].copy_from_slice(&(new_strings.len() as u32).to_le_bytes());
    out.extend_from_slice(&new_types);
    out.extend_from_slice(&new_strings);
    Some(out)
}

/// The running kernel's tracepoints: `__tracepoint_<name>` in /proc/kallsyms (every
/// tracepoint, with CONFIG_KALLSYMS_ALL), plus the trace events tracefs lists.
pub fn kernel_tracepoints() -> Vec<String> {
    let mut names = std::collections::BTreeSet::new();
    if let Ok(k) = std::fs::read_to_string("/proc/kallsyms") {
        for line in k.lines() {
            if let Some(n) = line.split_whitespace().nth(2).and_then(|s| s.strip_prefix("__tracepoint_")) {
                names.insert(n.to_string());
            }
        }
    }
    for f in ["/sys/kernel/tracing/available_events", "/sys/kernel/debug/tracing/available_events"] {
        if let Ok(ev) = std::fs::read_to_string(f) {
            names.extend(ev.lines().filter_map(|l| l.split_once(':')).map(|(_, n)| n.to_string()));
            break;
        }
    }
    names.into_iter().collect()
}

/// The BTF served for `file` (its bytes with the additions), built once per process so
/// the ids libbpf reads and the ids the hook resolves are the same.
/// The second value says whether anything was added.
pub fn served_blob(file: &std::ffi::CStr) -> Option<(&'static [u8], bool)> {
    static BLOB: OnceLock<Option<(Vec<u8>, bool)>> = OnceLock::new();
    BLOB.get_or_init(|| {
        let raw = std::fs::read(std::ffi::OsStr::from_bytes(file.to_bytes())).ok()?;
        let tps = kernel_tracepoints();
        Some(match augment(&raw, EXTRA_STRUCTS, &tps) {
            Some(out) => {
                log::info!("kernel BTF: added {:?} and btf_trace_* typedefs for {} tracepoints", EXTRA_STRUCTS, tps.len());
                (out, true)
            }
            None => (raw, false),
        })
    })
    .as_ref()
    .map(|(b, added)| (b.as_slice(), *added))
}

/// A `/proc/self/fd/N` path to a memfd holding [`served_blob`] of `file`, or None when
/// it cannot be read or needs nothing added (then the file itself is served).
pub fn served_path(file: &std::ffi::CStr) -> Option<CString> {
    let (blob, true) = served_blob(file)? else { return None };
    // SAFETY: NUL-terminated name; the fd is kept for the life of the process (the path
    // handed out refers to it). MFD_CLOEXEC: an exec'd program has its own hook.
    let fd = unsafe { libc::memfd_create(c"bpfhook-vmlinux.btf".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    let mut written = 0;
    while written < blob.len() {
        // SAFETY: writes from a live buffer within its bounds.
        let n = unsafe { libc::write(fd, blob[written..].as_ptr().cast(), blob.len() - written) };
        if n <= 0 {
            // SAFETY: our own fd.
            unsafe { libc::close(fd) };
            return None;
        }
        written += n as usize;
    }
    CString::new(format!("/proc/self/fd/{fd}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::{tests::build, tests::rec, u32_at};

    /// A minimal raw BTF: one INT type named "int".
    fn tiny() -> Vec<u8> {
        let mut t = Vec::new();
        rec(&mut t, &[1, btf::KIND_INT << 24, 4, 32]);
        build(&t, b"\0int\0")
    }

    #[test]
    fn missing_struct_is_appended_and_lengths_follow() {
        let out = augment(&tiny(), &["bpf_ringbuf"], &[]).expect("augmented");
        assert_eq!(u32_at(&out, 12), Some(16 + 12));
        assert_eq!(u32_at(&out, 16), Some(16 + 12));
        assert_eq!(u32_at(&out, 20), Some(5 + 12));
        let t = &out[24 + 16..24 + 28];
        assert_eq!(u32_at(t, 0), Some(5), "name offset after the old strings");
        assert_eq!(u32_at(t, 4), Some(btf::KIND_STRUCT << 24));
        assert!(out.ends_with(b"\0int\0bpf_ringbuf\0"));
        // Already there: nothing to do.
        assert!(augment(&out, &["bpf_ringbuf"], &[]).is_none());
        assert!(augment(b"not btf at all, long enough to read", &["x"], &[]).is_none());
    }

    #[test]
    fn tracepoints_get_btf_trace_typedefs() {
        let out = augment(&tiny(), &[], &["sched_switch".into()]).expect("augmented");
        let b = Btf::parse(&out).unwrap();
        let id = b.index(btf::KIND_TYPEDEF)["btf_trace_sched_switch"];
        let ptr = b.get(b.get(id).unwrap().size_or_type).unwrap();
        assert_eq!(ptr.kind, btf::KIND_PTR);
        let proto = b.get(ptr.size_or_type).unwrap();
        assert_eq!((proto.kind, proto.vlen), (btf::KIND_FUNC_PROTO, 1), "void (void *)");
        assert!(augment(&out, &[], &["sched_switch".into()]).is_none());
    }

    #[test]
    fn libbpf_parses_the_result_when_the_host_has_kernel_btf() {
        // The host's own BTF, with made-up names added: libbpf (via bpftool) must parse it.
        let Ok(raw) = std::fs::read("/sys/kernel/btf/vmlinux") else { return };
        let tps = vec!["bpfhook_test_tp".to_string(), "sched_switch".to_string()];
        let out = augment(&raw, &["bpfhook_test_struct"], &tps).expect("augmented");
        let dir = std::env::temp_dir().join(format!("bpfhook-btf-{}", std::process::id()));
        std::fs::write(&dir, &out).unwrap();
        let Ok(o) = std::process::Command::new("bpftool").args(["btf", "dump", "file"]).arg(&dir).output() else { return };
        let _ = std::fs::remove_file(&dir);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(text.contains("STRUCT 'bpfhook_test_struct' size=0 vlen=0"), "{}", &text[text.len().saturating_sub(500)..]);
        assert!(text.contains("TYPEDEF 'btf_trace_bpfhook_test_tp'"), "{}", &text[text.len().saturating_sub(500)..]);
    }
}
