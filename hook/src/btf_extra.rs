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
//! empty structs (existence is all such checks ask), in an anonymous file the path points at.
//!
//! Tracepoints get the same treatment for `tp_btf` programs: libbpf finds a tracepoint
//! by the typedef `btf_trace_<name>` (pointer to the tracepoint's probe prototype), which
//! only kernels with CONFIG_BPF_EVENTS generate. Each tracepoint of the running kernel
//! gets one; its prototype is the one of `trace_event_raw_event_<name>` (3.10:
//! `ftrace_raw_event_<name>`) when the BTF has that function (events defined with
//! TRACE_EVENT), else `void (void *)`: libbpf only needs the typedef's id, and the driver
//! passes a tracepoint's raw arguments whatever the prototype says.
//!
//! Tracepoint records are the third addition. Tools built against a current kernel type
//! a tracepoint program's context as `struct trace_event_raw_<event>` (execsnoop's
//! `trace_event_raw_sys_enter`, runqlat's `trace_event_raw_sched_switch`) and read it
//! through CO-RE relocations; kernels before 4.1 name the same records
//! `ftrace_raw_<event>`. libbpf looks for relocation candidates by name (ignoring a
//! `___flavor` suffix) and kind only, finds none, and poisons the instruction ("invalid
//! func unknown#195896080"). The layouts did not change with the name, so each old
//! record gets a STRUCT of the new name with the same size and members.
//!
//! Records of the module's synthetic tracepoints (`trace_event_raw_inet_sock_set_state`
//! where the kernel has no sock:inet_sock_set_state) are the fifth: see [`btf_synth_tp`].
//!
//! Members renamed inside structs (`mnt_namespace.proc_inum` read as `ns.inum`,
//! `sock_common.skc_net` as `skc_net.net`) are the fourth: see [`btf_alias`]. Those
//! patch records in place, so they are applied first and everything else is appended.

use crate::btf::{self, Btf};
use crate::btf_alias;
use crate::btf_synth_tp;
use std::collections::HashSet;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::sync::OnceLock;

/// Structs added when the kernel BTF lacks them.
pub const EXTRA_STRUCTS: &[&str] = &["bpf_ringbuf"];

/// Renamed kernel name prefixes, as (old, current): a STRUCT named `<old><x>` gets a copy
/// named `<current><x>` when there is none, and a FUNC `<current><x>` the hook looks for
/// is also found as `<old><x>`.
pub const RENAMED_PREFIXES: &[(&str, &str)] = &[("ftrace_raw_", "trace_event_raw_")];

/// What [`augment`] appended.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Added {
    /// Empty structs, by name.
    pub structs: Vec<String>,
    /// Copies of structs under their current names.
    pub renamed_structs: usize,
    /// Members given their current shape ([`btf_alias::FIELD_RENAMES`]).
    pub aliased_fields: usize,
    /// `btf_trace_<tp>` typedefs.
    pub tracepoints: usize,
    /// Records of synthetic tracepoints ([`btf_synth_tp::RECORDS`]), by name.
    pub records: Vec<String>,
}

/// `raw` with, appended: an empty struct for each name of `structs` it lacks; a copy
/// under the current name of each struct whose name has an old prefix of `renamed` (see
/// [`RENAMED_PREFIXES`]) and which lacks a struct of the current name; a
/// `btf_trace_<tp>` typedef for each of `tracepoints` it lacks; and the members of
/// `fields` (see [`btf_alias::FIELD_RENAMES`]) under their current names and shapes where
/// it has only the old ones; and each record of [`btf_synth_tp::RECORDS`] it lacks and
/// has the types for. None when nothing is missing or `raw` is not little-endian raw BTF.
pub fn augment(
    raw: &[u8],
    structs: &[&str],
    renamed: &[(&str, &str)],
    fields: &[btf_alias::FieldRename],
    tracepoints: &[String],
) -> Option<(Vec<u8>, Added)> {
    let b = Btf::parse(raw)?;
    let have_structs = b.index(btf::KIND_STRUCT);
    let have_typedefs = b.index(btf::KIND_TYPEDEF);
    let funcs = b.index(btf::KIND_FUNC);
    let missing_structs: Vec<&str> = structs.iter().copied().filter(|n| !have_structs.contains_key(n)).collect();
    // In id order, the first struct of each old name: ids stay the same from run to run.
    let mut seen = HashSet::new();
    let renames: Vec<(&btf::Type, String)> = b
        .types
        .iter()
        .filter(|t| t.kind == btf::KIND_STRUCT && t.name_off != 0)
        .filter_map(|t| {
            let name = b.name(t);
            let current = renamed.iter().find_map(|(old, new)| Some(format!("{new}{}", name.strip_prefix(old)?)))?;
            (!have_structs.contains_key(current.as_str()) && seen.insert(current.clone())).then_some((t, current))
        })
        .collect();
    let missing_tps: Vec<&String> =
        tracepoints.iter().filter(|tp| !have_typedefs.contains_key(format!("btf_trace_{tp}").as_str())).collect();
    let missing_records = btf_synth_tp::missing(&b, btf_synth_tp::RECORDS);
    if missing_structs.is_empty()
        && renames.is_empty()
        && missing_tps.is_empty()
        && missing_records.is_empty()
        && !btf_alias::applies(&b, fields)
    {
        return None;
    }
    let mut out = btf::Builder::new(&b);
    // First: patches in place and the types they need (see btf_alias).
    let aliased_fields = btf_alias::apply(&b, fields, &mut out);
    for name in &missing_structs {
        out.add(Some(name), btf::KIND_STRUCT << 24, 0, &[]);
    }
    // Members name their types by id and their names by string offset, both unchanged
    // in the output, so the member records are copied as they are. `info` is copied
    // whole, so a copied struct keeps its kflag (bitfield members' offsets are encoded
    // differently under it).
    for (t, current) in &renames {
        let info = btf::u32_at(b.types_sec, t.extra - 8)?;
        let members = b.types_sec.get(t.extra..t.extra + 12 * t.vlen as usize)?;
        out.add(Some(current), info, t.size_or_type, members);
    }
    if !missing_tps.is_empty() {
        let void_ptr = out.add(None, btf::KIND_PTR << 24, 0, &[]);
        let generic = out.add(None, btf::KIND_FUNC_PROTO << 24 | 1, 0, &btf::words(&[0, void_ptr]));
        for tp in &missing_tps {
            let proto = func_by_current_name(&funcs, renamed, &format!("trace_event_raw_event_{tp}"))
                .and_then(|f| b.get(f))
                .map(|f| f.size_or_type)
                .unwrap_or(generic);
            let ptr = out.add(None, btf::KIND_PTR << 24, proto, &[]);
            out.add(Some(&format!("btf_trace_{tp}")), btf::KIND_TYPEDEF << 24, ptr, &[]);
        }
    }
    btf_synth_tp::add(&b, &missing_records, &mut out);
    let added = Added {
        structs: missing_structs.iter().map(|s| s.to_string()).collect(),
        renamed_structs: renames.len(),
        aliased_fields,
        tracepoints: missing_tps.len(),
        records: missing_records.iter().map(|r| r.name.to_string()).collect(),
    };
    Some((out.finish(), added))
}

/// The FUNC named `name`, or the one of its old name when `name` has a renamed prefix.
fn func_by_current_name(funcs: &std::collections::HashMap<&str, u32>, renamed: &[(&str, &str)], name: &str) -> Option<u32> {
    funcs
        .get(name)
        .copied()
        .or_else(|| renamed.iter().find_map(|(old, new)| funcs.get(format!("{old}{}", name.strip_prefix(new)?).as_str()).copied()))
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
        Some(match augment(&raw, EXTRA_STRUCTS, RENAMED_PREFIXES, btf_alias::FIELD_RENAMES, &tps) {
            Some((out, added)) => {
                log::info!(
                    "kernel BTF: added structs {:?}, {} tracepoint records under their current names \
                     (trace_event_raw_* copies of ftrace_raw_*), {} members in their current shape \
                     (ns.inum, possible_net_t), btf_trace_* typedefs for {} of {} tracepoints \
                     and records of the driver's own trace events {:?}",
                    added.structs,
                    added.renamed_structs,
                    added.aliased_fields,
                    added.tracepoints,
                    tps.len(),
                    added.records
                );
                (out, true)
            }
            None => (raw, false),
        })
    })
    .as_ref()
    .map(|(b, added)| (b.as_slice(), *added))
}

/// A `/proc/self/fd/N` path to an anonymous file ([`anon_file`]) holding [`served_blob`]
/// of `file`, or None when it cannot be read or needs nothing added (then the file itself
/// is served).
pub fn served_path(file: &std::ffi::CStr) -> Option<CString> {
    let (blob, true) = served_blob(file)? else { return None };
    let path = anon_path_with(c"bpfhook-vmlinux.btf", blob);
    if path.is_none() {
        log::warn!("kernel BTF: no anonymous file for the added types (memfd_create, /dev/shm, /tmp); serving the file as it is");
    }
    path
}

/// A `/proc/self/fd/N` path to an anonymous file ([`anon_file`]) holding `bytes`. The fd
/// is kept for the life of the process: the path handed out refers to it.
pub fn anon_path_with(name: &std::ffi::CStr, bytes: &[u8]) -> Option<CString> {
    let fd = anon_file(name)?;
    let mut written = 0;
    while written < bytes.len() {
        // SAFETY: writes from a live buffer within its bounds.
        let n = unsafe { libc::write(fd, bytes[written..].as_ptr().cast(), bytes.len() - written) };
        if n <= 0 {
            // SAFETY: our own fd.
            unsafe { libc::close(fd) };
            return None;
        }
        written += n as usize;
    }
    CString::new(format!("/proc/self/fd/{fd}")).ok()
}

/// Where [`anon_file`] makes a file when the kernel has no memfd_create: tmpfs first.
const ANON_FILE_DIRS: &[&std::ffi::CStr] = &[c"/dev/shm", c"/tmp"];

/// A read-write file with no name, close-on-exec (an exec'd program has its own hook),
/// that others in the process open again as `/proc/self/fd/N` (which works for memfds and
/// unlinked files alike). The hook runs on CentOS/RHEL 7: glibc 2.17 and kernel 3.10.
/// - memfd_create(2) through the raw syscall: glibc's wrapper is GLIBC_2.27, a reference
///   to it keeps the library from loading on 2.17 (and `real::syscall`, not the exported
///   `syscall`, so the hook does not see its own call).
/// - The kernel has it from 3.17 (RHEL 7.9's 3.10.0-1160 has it backported, a plain 3.10
///   has not); without it O_TMPFILE (3.11+, also backported there, and only on filesystems
///   that support it), else a file created O_EXCL with mode 0600 and unlinked at once.
pub fn anon_file(name: &std::ffi::CStr) -> Option<libc::c_int> {
    // SAFETY: NUL-terminated name; the syscall takes (const char *, unsigned int).
    let fd = unsafe {
        crate::real::syscall(libc::SYS_memfd_create, name.as_ptr() as libc::c_long, libc::MFD_CLOEXEC as libc::c_long, 0, 0, 0, 0)
    };
    if fd >= 0 {
        return Some(fd as libc::c_int);
    }
    log::debug!("memfd_create: errno {}; falling back to an unlinked file", crate::real::errno());
    ANON_FILE_DIRS.iter().find_map(|dir| tmpfile_in(dir).or_else(|| unlinked_file_in(dir, name)))
}

/// An O_TMPFILE file in `dir`. Kernels before 3.11 do not know the flag and fail with
/// EISDIR (it includes O_DIRECTORY) rather than open the directory.
fn tmpfile_in(dir: &std::ffi::CStr) -> Option<libc::c_int> {
    crate::real::open_file_mode(dir, libc::O_TMPFILE | libc::O_RDWR | libc::O_CLOEXEC, 0o600).ok()
}

/// A new file in `dir`, unlinked right away: only this fd keeps it.
fn unlinked_file_in(dir: &std::ffi::CStr, name: &std::ffi::CStr) -> Option<libc::c_int> {
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    for _ in 0..16 {
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = [dir.to_bytes(), b"/.", name.to_bytes(), format!(".{}.{seq}", std::process::id()).as_bytes()].concat();
        let path = CString::new(path).ok()?;
        match crate::real::open_file_mode(&path, libc::O_CREAT | libc::O_EXCL | libc::O_RDWR | libc::O_CLOEXEC, 0o600) {
            Ok(fd) => {
                // SAFETY: NUL-terminated path of the file just created.
                unsafe { crate::real::unlink(path.as_ptr()) };
                return Some(fd);
            }
            Err(libc::EEXIST) => continue,
            Err(_) => return None,
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::btf::{testing::build, testing::rec, u32_at};
    use crate::btf_alias::FIELD_RENAMES as FIELDS;
    use std::path::Path;
    use std::process::Command;

    /// The anonymous file of served_path, and both of its fallbacks for kernels without
    /// memfd_create (CentOS 7's 3.10): each reads back through /proc/self/fd/N, is
    /// close-on-exec and leaves no name in its directory.
    #[test]
    fn anon_files_reopen_through_proc_and_leave_no_name() {
        let dir = tempfile::tempdir().unwrap();
        let cdir = CString::new(dir.path().as_os_str().as_bytes()).unwrap();
        let tmpfile = tmpfile_in(&cdir);
        if tmpfile.is_none() {
            // Not every filesystem has O_TMPFILE (the fallback after it covers that).
            let errno = crate::real::errno();
            eprintln!("O_TMPFILE not supported in {}: errno {errno}", dir.path().display());
        }
        let fds = [("memfd", anon_file(c"t")), ("O_TMPFILE", tmpfile), ("unlinked", unlinked_file_in(&cdir, c"t"))];
        for (how, fd) in fds {
            let Some(fd) = fd else {
                assert_eq!(how, "O_TMPFILE", "no fd from {how}");
                continue;
            };
            let data = format!("served by {how}");
            // SAFETY: our own fd, a live buffer.
            assert_eq!(unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) }, data.len() as isize, "{how}");
            assert_eq!(std::fs::read_to_string(format!("/proc/self/fd/{fd}")).unwrap(), data, "{how}");
            // SAFETY: our own fd.
            let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
            assert_eq!(flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC, "{how} is not close-on-exec");
            let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert!(names.is_empty(), "{how} left {names:?} in {}", dir.path().display());
            // SAFETY: our own fd.
            unsafe { libc::close(fd) };
        }
    }

    /// On a kernel with neither memfd_create nor O_TMPFILE (a plain 3.10), as a seccomp
    /// filter on one thread makes this one look (ENOSYS for memfd_create; EISDIR for an
    /// open with O_TMPFILE, as 3.10 ignores the flag and refuses to open the directory
    /// read-write), anon_file hands out an unlinked file in /dev/shm (or /tmp).
    #[test]
    fn anon_file_without_memfd_create_or_o_tmpfile_is_an_unlinked_file() {
        const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
        const TMPFILE_BIT: u32 = (libc::O_TMPFILE & !libc::O_DIRECTORY) as u32;
        let op = |code: u32, k: u32, jt: u8, jf: u8| libc::sock_filter { code: code as u16, jt, jf, k };
        let ld = |offset: u32| op(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, offset, 0, 0);
        let jeq = |k: u32, jt: u8, jf: u8| op(libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K, k, jt, jf);
        let jset = |k: u32, jt: u8, jf: u8| op(libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K, k, jt, jf);
        let ret = |k: u32| op(libc::BPF_RET | libc::BPF_K, k, 0, 0);
        // struct seccomp_data: nr at 0, arch at 4, args[i] at 16 + 8 * i (low half first).
        // Jumps are relative to the next instruction.
        let filter = [
            ld(4),                                              // 0
            jeq(AUDIT_ARCH_X86_64, 0, 8),                       // 1: else allow
            ld(0),                                              // 2
            jeq(libc::SYS_memfd_create as u32, 8, 0),           // 3: -> ENOSYS
            jeq(libc::SYS_openat as u32, 1, 0),                 // 4: -> 6
            jeq(libc::SYS_open as u32, 2, 4),                   // 5: -> 8, else allow
            ld(16 + 8 * 2),                                     // 6: openat's flags
            jset(TMPFILE_BIT, 3, 2),                            // 7: -> EISDIR, else allow
            ld(16 + 8),                                         // 8: open's flags
            jset(TMPFILE_BIT, 1, 0),                            // 9: -> EISDIR, else allow
            ret(libc::SECCOMP_RET_ALLOW),                       // 10
            ret(libc::SECCOMP_RET_ERRNO | libc::EISDIR as u32), // 11
            ret(libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32), // 12
        ];
        // A thread of its own: the filter stays with it and ends with it.
        let (link, data) = std::thread::spawn(move || {
            let prog = libc::sock_fprog { len: filter.len() as u16, filter: filter.as_ptr() as *mut _ };
            // SAFETY: prctl with a valid filter program; both apply to this thread only.
            unsafe {
                assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
                assert_eq!(libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &prog as *const libc::sock_fprog), 0);
                assert_eq!(libc::syscall(libc::SYS_memfd_create, c"x".as_ptr(), 0), -1);
            }
            assert_eq!(crate::real::errno(), libc::ENOSYS, "the filter answers memfd_create");
            assert_eq!(tmpfile_in(c"/tmp"), None);
            assert_eq!(crate::real::errno(), libc::EISDIR, "the filter answers O_TMPFILE");
            let fd = anon_file(c"bpfhook-test").expect("an anonymous file without memfd_create and O_TMPFILE");
            // SAFETY: our own fd, a live buffer.
            assert_eq!(unsafe { libc::write(fd, b"3.10".as_ptr().cast(), 4) }, 4);
            let path = format!("/proc/self/fd/{fd}");
            let r = (std::fs::read_link(&path).unwrap(), std::fs::read_to_string(&path).unwrap());
            // SAFETY: our own fd.
            unsafe { libc::close(fd) };
            r
        })
        .join()
        .unwrap();
        let link = link.to_string_lossy();
        assert!(
            (link.starts_with("/dev/shm/.bpfhook-test.") || link.starts_with("/tmp/.bpfhook-test.")) && link.ends_with(" (deleted)"),
            "{link}"
        );
        assert_eq!(data, "3.10");
    }

    /// A minimal raw BTF: one INT type named "int".
    fn tiny() -> Vec<u8> {
        let mut t = Vec::new();
        rec(&mut t, &[1, btf::KIND_INT << 24, 4, 32]);
        build(&t, b"\0int\0")
    }

    /// The type record of `id` (header and kind data) in `b`'s type section.
    fn record<'a>(b: &'a Btf, id: u32) -> &'a [u8] {
        let t = b.get(id).unwrap();
        let end = b.types.get(id as usize).map_or(b.types_sec.len(), |next| next.extra - 12);
        &b.types_sec[t.extra - 12..end]
    }

    #[test]
    fn missing_struct_is_appended_and_lengths_follow() {
        let (out, added) = augment(&tiny(), &["bpf_ringbuf"], RENAMED_PREFIXES, FIELDS, &[]).expect("augmented");
        assert_eq!(added, Added { structs: vec!["bpf_ringbuf".into()], ..Added::default() });
        assert_eq!(u32_at(&out, 12), Some(16 + 12));
        assert_eq!(u32_at(&out, 16), Some(16 + 12));
        assert_eq!(u32_at(&out, 20), Some(5 + 12));
        let t = &out[24 + 16..24 + 28];
        assert_eq!(u32_at(t, 0), Some(5), "name offset after the old strings");
        assert_eq!(u32_at(t, 4), Some(btf::KIND_STRUCT << 24));
        assert!(out.ends_with(b"\0int\0bpf_ringbuf\0"));
        // Already there: nothing to do.
        assert!(augment(&out, &["bpf_ringbuf"], RENAMED_PREFIXES, FIELDS, &[]).is_none());
        assert!(augment(b"not btf at all, long enough to read", &["x"], RENAMED_PREFIXES, FIELDS, &[]).is_none());
    }

    #[test]
    fn tracepoints_get_btf_trace_typedefs() {
        let (out, added) = augment(&tiny(), &[], RENAMED_PREFIXES, FIELDS, &["sched_switch".into()]).expect("augmented");
        assert_eq!(added.tracepoints, 1);
        let b = Btf::parse(&out).unwrap();
        let id = b.index(btf::KIND_TYPEDEF)["btf_trace_sched_switch"];
        let ptr = b.get(b.get(id).unwrap().size_or_type).unwrap();
        assert_eq!(ptr.kind, btf::KIND_PTR);
        let proto = b.get(ptr.size_or_type).unwrap();
        assert_eq!((proto.kind, proto.vlen), (btf::KIND_FUNC_PROTO, 1), "void (void *)");
        assert!(augment(&out, &[], RENAMED_PREFIXES, FIELDS, &["sched_switch".into()]).is_none());
    }

    /// 1 int, 2 ptr -> 0, 3 proto (void *, int), 4 proto (void *), 5 FUNC `f5` -> 3,
    /// 6 FUNC `f6` -> 4 (names from the arguments).
    fn with_probe_functions(f5: &str, f6: &str) -> Vec<u8> {
        let strings = format!("\0int\0{f5}\0{f6}\0");
        let (o5, o6) = (5, 5 + f5.len() as u32 + 1);
        let mut t = Vec::new();
        rec(&mut t, &[1, btf::KIND_INT << 24, 4, 32]);
        rec(&mut t, &[0, btf::KIND_PTR << 24, 0]);
        rec(&mut t, &[0, btf::KIND_FUNC_PROTO << 24 | 2, 0, 0, 2, 0, 1]);
        rec(&mut t, &[0, btf::KIND_FUNC_PROTO << 24 | 1, 0, 0, 2]);
        rec(&mut t, &[o5, btf::KIND_FUNC << 24, 3]);
        rec(&mut t, &[o6, btf::KIND_FUNC << 24, 4]);
        build(&t, strings.as_bytes())
    }

    fn btf_trace_proto(out: &[u8], tp: &str) -> u32 {
        let b = Btf::parse(out).unwrap();
        let id = b.index(btf::KIND_TYPEDEF)[format!("btf_trace_{tp}").as_str()];
        b.get(b.get(id).unwrap().size_or_type).unwrap().size_or_type
    }

    #[test]
    fn btf_trace_prototypes_come_from_the_old_probe_function_names_too() {
        let tps = ["a".to_string(), "b".to_string(), "c".to_string()];
        // 3.10: ftrace_raw_event_<tp>.
        let (out, _) = augment(&with_probe_functions("ftrace_raw_event_a", "x"), &[], RENAMED_PREFIXES, FIELDS, &tps).unwrap();
        assert_eq!(btf_trace_proto(&out, "a"), 3);
        assert!(btf_trace_proto(&out, "b") > 6, "the generic prototype");
        // Both names: the current one wins.
        let raw = with_probe_functions("ftrace_raw_event_a", "trace_event_raw_event_a");
        let (out, _) = augment(&raw, &[], RENAMED_PREFIXES, FIELDS, &tps).unwrap();
        assert_eq!(btf_trace_proto(&out, "a"), 4);
        // Without the renaming table, the old name is not looked at.
        let (out, _) = augment(&with_probe_functions("ftrace_raw_event_a", "x"), &[], &[], &[], &tps).unwrap();
        assert!(btf_trace_proto(&out, "a") > 6);
    }

    /// 1 int; 2 `ftrace_raw_foo` { int a; int b:3 @32 } (kflag: bitfield offsets);
    /// 3 `ftrace_raw_bar` { int a }; 4 `trace_event_raw_bar` { int a };
    /// 5 a second `ftrace_raw_foo` (as in BTF pahole could not deduplicate).
    fn with_old_records() -> Vec<u8> {
        let strings = b"\0int\0ftrace_raw_foo\0a\0b\0ftrace_raw_bar\0trace_event_raw_bar\0";
        let (foo, a, bb, bar, new_bar) = (5, 20, 22, 24, 39);
        let mut t = Vec::new();
        rec(&mut t, &[1, btf::KIND_INT << 24, 4, 32]);
        rec(&mut t, &[foo, 1 << 31 | btf::KIND_STRUCT << 24 | 2, 8, a, 1, 0, bb, 1, 3 << 24 | 32]);
        rec(&mut t, &[bar, btf::KIND_STRUCT << 24 | 1, 4, a, 1, 0]);
        rec(&mut t, &[new_bar, btf::KIND_STRUCT << 24 | 1, 4, a, 1, 0]);
        rec(&mut t, &[foo, btf::KIND_STRUCT << 24 | 1, 4, a, 1, 0]);
        build(&t, strings)
    }

    #[test]
    fn old_tracepoint_records_get_a_struct_of_the_current_name() {
        let raw = with_old_records();
        let (out, added) = augment(&raw, &[], RENAMED_PREFIXES, FIELDS, &[]).expect("augmented");
        assert_eq!(added, Added { renamed_structs: 1, ..Added::default() });
        let (old, new) = (Btf::parse(&raw).unwrap(), Btf::parse(&out).unwrap());
        assert_eq!(new.types.len(), 6, "one copy, of the first ftrace_raw_foo only");
        let copy = new.index(btf::KIND_STRUCT)["trace_event_raw_foo"];
        assert_eq!(copy, 6);
        let t = new.get(copy).unwrap();
        assert_eq!((t.kind, t.vlen, t.size_or_type), (btf::KIND_STRUCT, 2, 8));
        let (orig, dup) = (record(&old, 2), record(&new, copy));
        assert_eq!(dup.len(), 12 + 2 * 12);
        assert_eq!(u32_at(dup, 4), Some(1 << 31 | btf::KIND_STRUCT << 24 | 2), "kind, vlen and kflag as they were");
        assert_eq!(dup[4..], orig[4..], "size and members as they were");
        assert_eq!(new.str_at(u32_at(dup, 12).unwrap()), "a");
        // The old types are unchanged, and trace_event_raw_bar was there already.
        assert_eq!(new.types_sec[..old.types_sec.len()], *old.types_sec);
        assert_eq!(new.types.iter().filter(|t| new.name(t) == "trace_event_raw_bar").count(), 1);
        assert!(augment(&out, &[], RENAMED_PREFIXES, FIELDS, &[]).is_none());
        assert!(augment(&raw, &[], &[], &[], &[]).is_none());
    }

    #[test]
    fn libbpf_parses_the_result_when_the_host_has_kernel_btf() {
        // The host's own BTF, with made-up names added: libbpf (via bpftool) must parse it.
        let Ok(raw) = std::fs::read("/sys/kernel/btf/vmlinux") else { return };
        let tps = vec!["bpfhook_test_tp".to_string(), "sched_switch".to_string()];
        let (out, _) = augment(&raw, &["bpfhook_test_struct"], RENAMED_PREFIXES, FIELDS, &tps).expect("augmented");
        let dir = std::env::temp_dir().join(format!("bpfhook-btf-{}", std::process::id()));
        std::fs::write(&dir, &out).unwrap();
        let Ok(o) = Command::new("bpftool").args(["btf", "dump", "file"]).arg(&dir).output() else { return };
        let _ = std::fs::remove_file(&dir);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(text.contains("STRUCT 'bpfhook_test_struct' size=0 vlen=0"), "{}", &text[text.len().saturating_sub(500)..]);
        assert!(text.contains("TYPEDEF 'btf_trace_bpfhook_test_tp'"), "{}", &text[text.len().saturating_sub(500)..]);
    }

    /// `what` when present; else None after saying what is missing, or a panic where
    /// everything is required (CI).
    pub(crate) fn require<T>(what: Option<T>, missing: &str) -> Option<T> {
        if what.is_none() {
            if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
                panic!("{missing}, and CI is set");
            }
            eprintln!("SKIP: {missing}");
        }
        what
    }

    pub(crate) const BPFTOOL: &str = "/usr/sbin/bpftool";

    /// CentOS 7.9's kernel BTF (3.10.0-1160), kept next to the repository.
    fn centos7_btf() -> Option<Vec<u8>> {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let path = repo.join("../shared/kernels/centos7-3.10.0-1160/vmlinux.btf");
        let raw = require(std::fs::read(&path).ok(), &format!("{} cannot be read", path.display()))?;
        require(Path::new(BPFTOOL).exists().then_some(raw), &format!("{BPFTOOL} is missing"))
    }

    #[test]
    fn centos7_btf_gets_current_tracepoint_record_names() {
        let Some(raw) = centos7_btf() else { return };
        let tps = ["sys_enter".to_string(), "sched_switch".to_string(), "sched_process_exec".to_string()];
        let (out, added) = augment(&raw, EXTRA_STRUCTS, RENAMED_PREFIXES, FIELDS, &tps).expect("augmented");
        assert_eq!(
            added,
            Added {
                structs: vec!["bpf_ringbuf".into()],
                renamed_structs: 283,
                aliased_fields: 18,
                tracepoints: 3,
                records: vec!["trace_event_raw_inet_sock_set_state".into()]
            }
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("vmlinux.btf");
        std::fs::write(&file, &out).unwrap();
        let o = Command::new(BPFTOOL).args(["btf", "dump", "file"]).arg(&file).output().unwrap();
        assert!(o.status.success(), "bpftool: {}", String::from_utf8_lossy(&o.stderr));
        let text = String::from_utf8_lossy(&o.stdout);
        let members = |name: &str| -> String {
            let start = text.find(&format!("] STRUCT '{name}' ")).unwrap_or_else(|| panic!("no STRUCT '{name}'"));
            let body = &text[start..];
            let header = body.lines().next().unwrap().split_once(' ').unwrap().1;
            let lines: Vec<&str> = body.lines().skip(1).take_while(|l| l.starts_with('\t')).collect();
            format!("{header}\n{}", lines.join("\n"))
        };
        // Linux 6.1's struct trace_event_raw_sys_enter: the same members at the same bits.
        let sys_enter = members("trace_event_raw_sys_enter");
        assert!(sys_enter.starts_with("STRUCT 'trace_event_raw_sys_enter' size=64 vlen=4"), "{sys_enter}");
        for (m, bits) in [("ent", 0), ("id", 64), ("args", 128), ("__data", 512)] {
            let line =
                sys_enter.lines().find(|l| l.starts_with(&format!("\t'{m}' type_id="))).unwrap_or_else(|| panic!("no {m}: {sys_enter}"));
            assert!(line.ends_with(&format!(" bits_offset={bits}")), "{line}");
        }
        for record in ["sys_enter", "sys_exit", "sched_process_exec", "sched_switch", "sched_process_template", "signal_generate"] {
            let (old, new) = (members(&format!("ftrace_raw_{record}")), members(&format!("trace_event_raw_{record}")));
            assert_eq!(old.replace("ftrace_raw_", "trace_event_raw_"), new);
        }
        // 283 copies, and the synthetic inet_sock_set_state's record (btf_synth_tp).
        assert_eq!(text.matches("] STRUCT 'trace_event_raw_").count(), 284);
        // btf_trace_<tp> gets the probe's own prototype, (void *__data, regs, id) for sys_enter.
        let b = Btf::parse(&out).unwrap();
        let proto = b.get(btf_trace_proto(&out, "sys_enter")).unwrap();
        assert_eq!((proto.kind, proto.vlen), (btf::KIND_FUNC_PROTO, 3));
    }

    /// The BPF objects embedded in an executable (libbpf skeletons keep them as bytes).
    pub(crate) fn embedded_bpf_objects(exe: &[u8]) -> Vec<&[u8]> {
        let magic = b"\x7fELF\x02\x01\x01";
        let mut found = Vec::new();
        let mut at = 1;
        while let Some(off) = exe[at..].windows(magic.len()).position(|w| w == magic).map(|p| p + at) {
            at = off + 1;
            let e = &exe[off..];
            let num = |o: usize, n: usize| e.get(o..o + n).map(|b| b.iter().rev().fold(0usize, |v, &x| v << 8 | x as usize));
            // EM_BPF; the section header table comes last in what clang writes.
            let (Some(247), Some(shoff), Some(entsize), Some(shnum)) = (num(18, 2), num(0x28, 8), num(0x3a, 2), num(0x3c, 2)) else {
                continue;
            };
            if let Some(obj) = e.get(..shoff + entsize * shnum) {
                found.push(obj);
            }
        }
        found
    }

    /// CO-RE relocations of `obj` against `btf` as libbpf resolves them (bpftool's
    /// min_core_btf runs libbpf's relocation code offline): each relocation as libbpf's
    /// debug log describes it, with the log's words on its first matching candidate
    /// ("#0 <kind> [id] struct s.f (spec @ offset x)"), None if no target was found.
    pub(crate) fn core_relocation_candidates(obj: &Path, btf: &Path, out: &Path) -> Vec<(String, Option<String>)> {
        let o = Command::new(BPFTOOL).arg("-d").args(["gen", "min_core_btf"]).args([btf, out, obj]).output().unwrap();
        let log = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "bpftool gen min_core_btf {}: {log}", obj.display());
        let mut relos: Vec<(String, Option<String>)> = Vec::new();
        for line in log.lines() {
            // "prog 'P': relo #N: <kind> [id] struct s.f (spec @ offset x)", then one line
            // per matching candidate, or "no matching targets found".
            let Some((prog, rest)) = line.strip_prefix("libbpf: prog ").and_then(|l| l.split_once(": relo #")) else { continue };
            let Some((n, what)) = rest.split_once(": ") else { continue };
            let id = format!("{prog} relo #{n}: ");
            if what.starts_with('<') {
                relos.push((format!("{id}{what}"), None));
            } else if let Some(c) = what.strip_prefix("matching candidate ") {
                if let Some(r) = relos.last_mut().filter(|r| r.0.starts_with(&id) && r.1.is_none()) {
                    r.1 = Some(c.to_string());
                }
            }
        }
        relos
    }

    /// [`core_relocation_candidates`]: (relocation, whether a target was found).
    pub(crate) fn core_relocations(obj: &Path, btf: &Path, out: &Path) -> Vec<(String, bool)> {
        core_relocation_candidates(obj, btf, out).into_iter().map(|(r, c)| (r, c.is_some())).collect()
    }

    #[test]
    fn libbpf_tools_core_relocations_find_centos7_tracepoint_records() {
        let Some(raw) = centos7_btf() else { return };
        let tools = [
            "execsnoop",
            "opensnoop",
            "exitsnoop",
            "sigsnoop",
            "killsnoop",
            "mountsnoop",
            "syscount",
            "runqlat",
            "tcplife",
            "tcpstates",
            "tcptracer",
        ];
        let Some(exes) = require(
            tools.iter().map(|t| std::fs::read(format!("/usr/sbin/{t}")).ok().map(|b| (*t, b))).collect::<Option<Vec<_>>>(),
            "Debian's libbpf-tools are not installed (/usr/sbin/execsnoop, ...)",
        ) else {
            return;
        };
        let (out, _) = augment(&raw, EXTRA_STRUCTS, RENAMED_PREFIXES, FIELDS, &[]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (plain, served) = (dir.path().join("plain.btf"), dir.path().join("served.btf"));
        std::fs::write(&plain, &raw).unwrap();
        std::fs::write(&served, &out).unwrap();
        let old = Btf::parse(&raw).unwrap().index(btf::KIND_STRUCT);
        let mut checked = 0;
        for (tool, exe) in &exes {
            let objs = embedded_bpf_objects(exe);
            assert_eq!(objs.len(), 1, "{tool}: one embedded BPF object");
            let obj = dir.path().join(format!("{tool}.bpf.o"));
            std::fs::write(&obj, objs[0]).unwrap();
            let before = core_relocations(&obj, &plain, &dir.path().join("min.btf"));
            let after = core_relocations(&obj, &served, &dir.path().join("min.btf"));
            assert_eq!(before.len(), after.len(), "{tool}");
            for ((relo, found_before), (relo_after, found)) in before.iter().zip(&after) {
                assert_eq!(relo, relo_after, "{tool}: the same relocations in the same order");
                let record = relo.split_once("struct trace_event_raw_").map(|(_, r)| r.split(['.', ' ']).next().unwrap());
                match record {
                    // A record this kernel has under its old name.
                    Some(r) if old.contains_key(format!("ftrace_raw_{r}").as_str()) => {
                        assert!(!found_before && *found, "{tool}: {relo}: found before {found_before}, now {found}");
                        checked += 1;
                    }
                    Some(_) => eprintln!("{tool}: {relo}: no such tracepoint record on 3.10"),
                    // The other additions (bpf_ringbuf) may only add targets.
                    None => assert!(*found || !found_before, "{tool}: {relo}: lost its target"),
                }
            }
        }
        assert!(checked >= 10, "only {checked} relocations against trace_event_raw_* records");
        eprintln!("{checked} CO-RE relocations against trace_event_raw_* found their target only with the copies");
    }
}
