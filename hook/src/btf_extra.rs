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

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;

/// Structs added when the kernel BTF lacks them.
pub const EXTRA_STRUCTS: &[&str] = &["bpf_ringbuf"];

const BTF_MAGIC: u16 = 0xeb9f;
const BTF_KIND_STRUCT: u32 = 4;

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

/// `raw` with an empty struct appended for each name of `names` its string section lacks;
/// None when nothing is missing or `raw` is not little-endian raw BTF.
pub fn augment(raw: &[u8], names: &[&str]) -> Option<Vec<u8>> {
    if raw.len() < 24 || u16::from_le_bytes([raw[0], raw[1]]) != BTF_MAGIC {
        return None;
    }
    let hdr_len = u32_at(raw, 4)? as usize;
    let (type_off, type_len) = (u32_at(raw, 8)? as usize, u32_at(raw, 12)? as usize);
    let (str_off, str_len) = (u32_at(raw, 16)? as usize, u32_at(raw, 20)? as usize);
    let types = raw.get(hdr_len + type_off..hdr_len + type_off + type_len)?;
    let strings = raw.get(hdr_len + str_off..hdr_len + str_off + str_len)?;
    // A name is present when "\0name\0" is in the string section (kernel BTF names every
    // struct; a missing string means a missing type).
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| {
            let needle = [&[0u8][..], n.as_bytes(), &[0u8][..]].concat();
            !strings.windows(needle.len()).any(|w| w == needle)
        })
        .collect();
    if missing.is_empty() {
        return None;
    }
    let mut new_types = types.to_vec();
    let mut new_strings = strings.to_vec();
    for name in missing {
        let name_off = new_strings.len() as u32;
        new_strings.extend_from_slice(name.as_bytes());
        new_strings.push(0);
        // struct btf_type { name_off, info = kind << 24 | vlen, size }: an empty struct.
        new_types.extend_from_slice(&name_off.to_le_bytes());
        new_types.extend_from_slice(&(BTF_KIND_STRUCT << 24).to_le_bytes());
        new_types.extend_from_slice(&0u32.to_le_bytes());
    }
    // Header (as read, hdr_len bytes) with types first, then strings.
    let mut out = raw[..hdr_len].to_vec();
    out[8..12].copy_from_slice(&0u32.to_le_bytes());
    out[12..16].copy_from_slice(&(new_types.len() as u32).to_le_bytes());
    out[16..20].copy_from_slice(&(new_types.len() as u32).to_le_bytes());
    out[20..24].copy_from_slice(&(new_strings.len() as u32).to_le_bytes());
    out.extend_from_slice(&new_types);
    out.extend_from_slice(&new_strings);
    Some(out)
}

/// A `/proc/self/fd/N` path to a memfd holding `file`'s BTF with [`EXTRA_STRUCTS`] added,
/// or None when the file already has them (or cannot be read).
pub fn served_path(file: &std::ffi::CStr) -> Option<CString> {
    let raw = std::fs::read(std::ffi::OsStr::from_bytes(file.to_bytes())).ok()?;
    let blob = augment(&raw, EXTRA_STRUCTS)?;
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
    log::info!("kernel BTF: added {:?} (types the driver emulates) in memfd {fd}", EXTRA_STRUCTS);
    CString::new(format!("/proc/self/fd/{fd}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal raw BTF: one INT type named "int".
    fn tiny() -> Vec<u8> {
        let strings = b"\0int\0".to_vec();
        let mut types = Vec::new();
        types.extend_from_slice(&1u32.to_le_bytes()); // name_off "int"
        types.extend_from_slice(&(1u32 << 24).to_le_bytes()); // BTF_KIND_INT
        types.extend_from_slice(&4u32.to_le_bytes());
        types.extend_from_slice(&32u32.to_le_bytes()); // encoding: 32 bits
        let mut b = Vec::new();
        b.extend_from_slice(&BTF_MAGIC.to_le_bytes());
        b.push(1);
        b.push(0);
        for v in [24u32, 0, types.len() as u32, types.len() as u32, strings.len() as u32] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&types);
        b.extend_from_slice(&strings);
        b
    }

    #[test]
    fn missing_struct_is_appended_and_lengths_follow() {
        let out = augment(&tiny(), &["bpf_ringbuf"]).expect("augmented");
        assert_eq!(u32_at(&out, 12), Some(16 + 12));
        assert_eq!(u32_at(&out, 16), Some(16 + 12));
        assert_eq!(u32_at(&out, 20), Some(5 + 12));
        let t = &out[24 + 16..24 + 28];
        assert_eq!(u32_at(t, 0), Some(5), "name offset after the old strings");
        assert_eq!(u32_at(t, 4), Some(BTF_KIND_STRUCT << 24));
        assert!(out.ends_with(b"\0int\0bpf_ringbuf\0"));
        // Already there: nothing to do.
        assert!(augment(&out, &["bpf_ringbuf"]).is_none());
        assert!(augment(b"not btf at all, long enough to read", &["x"]).is_none());
    }

    #[test]
    fn libbpf_parses_the_result_when_the_host_has_kernel_btf() {
        // The host's own BTF, with a made-up name added: libbpf (via bpftool) must parse it.
        let Ok(raw) = std::fs::read("/sys/kernel/btf/vmlinux") else { return };
        let out = augment(&raw, &["bpfhook_test_struct"]).expect("augmented");
        let dir = std::env::temp_dir().join(format!("bpfhook-btf-{}", std::process::id()));
        std::fs::write(&dir, &out).unwrap();
        let Ok(o) = std::process::Command::new("bpftool").args(["btf", "dump", "file"]).arg(&dir).output() else { return };
        let _ = std::fs::remove_file(&dir);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(text.contains("STRUCT 'bpfhook_test_struct' size=0 vlen=0"), "{}", &text[text.len().saturating_sub(500)..]);
    }
}
