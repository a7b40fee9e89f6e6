//! Kernel BTF redirection: old kernels have no `/sys/kernel/btf/vmlinux`, so lookups of
//! it are pointed at a raw BTF file generated offline (pahole --btf_encode_detached).
//!
//! Applies only when the real path does not exist and the replacement does; every other
//! path goes straight to the real function ([`lookup`]: the real call first, the path
//! read and compared only when that fails with ENOENT; no allocation, and the path is
//! read without trusting the pointer: user_mem.rs).
//!
//! - `BPFHOOK_BTF`: the replacement (default `/var/lib/bpfhook/btf/$(uname -r).btf`).
//! - `BPFHOOK_SYS_BTF_PATH`: the path being replaced (default
//!   `/sys/kernel/btf/vmlinux`); for tests on kernels that do have the real file.

use crate::{real, user_mem};
use libc::c_char;
use std::ffi::{CStr, CString};
use std::sync::{Once, OnceLock};

pub const BTF_ENV: &str = "BPFHOOK_BTF";
pub const SYS_BTF_PATH_ENV: &str = "BPFHOOK_SYS_BTF_PATH";
pub const SYS_BTF_PATH: &CStr = c"/sys/kernel/btf/vmlinux";
pub const BTF_DIR: &str = "/var/lib/bpfhook/btf";
/// Where `bpfhook bcc-headers` writes the kernel headers bcc compiles against on a kernel
/// built without CONFIG_BPF_SYSCALL: `<dir>/$(uname -r)`.
pub const BCC_HEADERS_DIR: &str = "/var/lib/bpfhook/bcc";
/// bcc's variable for the kernel header tree it compiles against.
pub const BCC_KERNEL_SOURCE_ENV: &CStr = c"BCC_KERNEL_SOURCE";

static VIRTUAL: OnceLock<&'static CStr> = OnceLock::new();
static REPLACEMENT: OnceLock<CString> = OnceLock::new();

/// The path being replaced. Reads the environment with libc's getenv (no lock, no
/// allocation unless the override is set).
fn virtual_path() -> &'static CStr {
    VIRTUAL.get_or_init(|| {
        // SAFETY: NUL-terminated name; getenv's result is a NUL-terminated string.
        let v = unsafe { libc::getenv(c"BPFHOOK_SYS_BTF_PATH".as_ptr()) };
        if v.is_null() || unsafe { *v } == 0 {
            SYS_BTF_PATH
        } else {
            Box::leak(unsafe { CStr::from_ptr(v) }.to_owned().into_boxed_c_str())
        }
    })
}

/// The default replacement for a kernel release.
pub fn default_btf_path(release: &str) -> String {
    format!("{BTF_DIR}/{release}.btf")
}

/// `uname -r`.
pub fn kernel_release() -> String {
    // SAFETY: uname fills a zeroed utsname; release is NUL-terminated.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return String::from("unknown");
        }
        CStr::from_ptr(u.release.as_ptr()).to_string_lossy().into_owned()
    }
}

fn replacement() -> &'static CStr {
    REPLACEMENT.get_or_init(|| {
        let path = std::env::var_os(BTF_ENV)
            .filter(|p| !p.is_empty())
            .map(std::os::unix::ffi::OsStringExt::into_vec)
            .unwrap_or_else(|| default_btf_path(&kernel_release()).into_bytes());
        CString::new(path).unwrap_or_default()
    })
}

/// How much of a path the hook reads to decide: every path it redirects is far shorter;
/// a longer one (or one without a NUL in reach) goes to the real function unchanged.
pub const PATH_BUF: usize = 512;

/// A libc result that says whether the call failed (then errno says why).
pub trait CallResult: Copy {
    fn failed(self) -> bool;
}

impl CallResult for libc::c_int {
    fn failed(self) -> bool {
        self == -1
    }
}

impl CallResult for *mut libc::FILE {
    fn failed(self) -> bool {
        self.is_null()
    }
}

/// Runs a path lookup (`call` with the caller's path) the way the hook serves it, at no
/// cost for the paths it does not serve. Every path the hook serves is one that does not
/// exist on this kernel (the kernel BTF file, pins without bpffs, syscall tracepoints the
/// kernel lacks), so the real call runs first: only when it fails with ENOENT or ENOTDIR
/// is the path read (a syscall or two, see user_mem.rs) and, if it is one the hook
/// serves, the call made again with the stand-in. Reading every path before every call
/// instead cost ~14,000 instructions per open/stat/access on a kernel without
/// process_vm_readv (scripts/bench.sh). Where a served path may exist (tracepoints
/// hidden with BPFHOOK_HIDE_TRACEPOINTS, for tests), every path is read first.
pub fn lookup<R: CallResult>(path: *const c_char, call: impl Fn(*const c_char) -> R) -> R {
    if crate::tracepoints::hides_existing() {
        return call(redirect(path));
    }
    let r = call(path);
    if !r.failed() {
        return r;
    }
    let e = real::errno();
    if e != libc::ENOENT && e != libc::ENOTDIR {
        return r;
    }
    let served = redirect_read_by_kernel(path);
    if served == path {
        real::set_errno(e);
        return r;
    }
    call(served)
}

/// The path to really use for `path`: the caller's pointer unchanged unless it names a
/// path the hook serves. The path is read through [`user_mem`], so a bad pointer reaches
/// the real function, and the caller gets the kernel's EFAULT.
pub fn redirect(path: *const c_char) -> *const c_char {
    let mut buf = [0u8; PATH_BUF];
    match user_mem::read_c_str(path as usize, &mut buf) {
        Some(p) => redirect_path(path, p),
        None => path,
    }
}

/// [`redirect`] for a path the real call has just failed on with ENOENT or ENOTDIR: the
/// kernel copied the whole string to get that far (getname answers EFAULT for a pointer
/// it cannot read, ENAMETOOLONG past PATH_MAX), so it is read in place, without the
/// syscall [`user_mem`] costs (a process_vm_readv: ~13,800 guest instructions per stat
/// of a missing file, scripts/bench.sh). Only the caller's own threads unmapping the
/// string in between could still make it fault, as libc's own string functions would.
fn redirect_read_by_kernel(path: *const c_char) -> *const c_char {
    let mut buf = [0u8; PATH_BUF];
    for (i, b) in buf.iter_mut().enumerate() {
        // SAFETY: the kernel has read these bytes up to the NUL (see above); the loop
        // stops at the NUL, so it reads no byte the kernel did not.
        *b = unsafe { path.add(i).cast::<u8>().read_volatile() };
        if *b == 0 {
            return match CStr::from_bytes_with_nul(&buf[..=i]) {
                Ok(p) => redirect_path(path, p),
                Err(_) => path,
            };
        }
    }
    path
}

/// The path to use for the caller's `path`, whose text is `p`.
fn redirect_path(path: *const c_char, p: &CStr) -> *const c_char {
    stand_in(p).map_or(path, CStr::as_ptr)
}

/// What a lookup of path `p` (the caller's string, copied) is served instead, or None to
/// use the path as it is: the kernel BTF file, a pin's stand-in, a synthetic syscall
/// tracepoint, the list of traceable functions. Shared with `bpfhook run`'s launcher,
/// which writes it into the tool.
pub fn stand_in(p: &CStr) -> Option<&'static CStr> {
    if crate::pin::emulated(p) {
        return crate::pin::stand_in(p);
    }
    // Fast reject: relative paths.
    if p.to_bytes().first() != Some(&b'/') {
        return None;
    }
    let virt = virtual_path();
    if p != virt {
        // The other virtual paths: syscall tracepoints and the filter list the kernel lacks.
        return crate::tracepoints::redirect(p).or_else(|| crate::filter_functions::redirect(p));
    }
    decide(virt, replacement())
}

/// bpftrace finds the kernel BTF by walking the kernel's BTF objects (BTF_GET_NEXT_ID),
/// not through /sys/kernel/btf/vmlinux, unless `BPFTRACE_BTF` names a file. Where the
/// hook serves the BTF (no /sys/kernel/btf/vmlinux, the replacement exists), set it to
/// the replacement when the user has not, so bpftrace runs unmodified. Called from the
/// library's constructor, while the process is single-threaded (setenv is not
/// thread-safe).
pub fn export_bpftrace_btf() {
    const VAR: &CStr = c"BPFTRACE_BTF";
    // SAFETY: NUL-terminated names; constructor context (single-threaded).
    unsafe {
        if !libc::getenv(VAR.as_ptr()).is_null() || real::exists(virtual_path()) {
            return;
        }
        let repl = replacement();
        if !repl.is_empty() && real::exists(repl) {
            libc::setenv(VAR.as_ptr(), repl.as_ptr(), 0);
        }
    }
}

/// The header tree `bpfhook bcc-headers` makes for a kernel release.
pub fn default_bcc_headers(release: &str) -> String {
    format!("{BCC_HEADERS_DIR}/{release}")
}

/// bcc compiles its programs against the running kernel's headers, and refuses those of a
/// kernel built without CONFIG_BPF_SYSCALL. Where `bpfhook bcc-headers` has made a tree
/// for this kernel, point bcc at it (`BCC_KERNEL_SOURCE`) when the user has not, so bcc's
/// tools run unmodified. Constructor context, as [`export_bpftrace_btf`].
pub fn export_bcc_kernel_source() {
    let Ok(tree) = CString::new(default_bcc_headers(&kernel_release())) else { return };
    // SAFETY: NUL-terminated names; constructor context (single-threaded).
    unsafe {
        if libc::getenv(BCC_KERNEL_SOURCE_ENV.as_ptr()).is_null() && real::exists(&tree) {
            libc::setenv(BCC_KERNEL_SOURCE_ENV.as_ptr(), tree.as_ptr(), 0);
        }
    }
}

/// The kernel BTF as tools see it: the real file when the kernel has one, else what the
/// hook serves in its place (the replacement plus the types added to it).
pub fn served_btf() -> Option<&'static [u8]> {
    static REAL: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    let virt = virtual_path();
    if real::exists(virt) {
        return REAL.get_or_init(|| std::fs::read(virt.to_str().ok()?).ok()).as_deref();
    }
    crate::btf_extra::served_blob(replacement()).map(|(b, _)| b)
}

fn decide(virt: &CStr, repl: &'static CStr) -> Option<&'static CStr> {
    if real::exists(virt) {
        return None;
    }
    crate::logging::init();
    static ONCE: Once = Once::new();
    if !repl.is_empty() && real::exists(repl) {
        ONCE.call_once(|| log::info!("kernel BTF: {} is missing, using {}", virt.to_string_lossy(), repl.to_string_lossy()));
        // The file plus the types the driver emulates (btf_extra), when it lacks them.
        static SERVED: OnceLock<Option<CString>> = OnceLock::new();
        Some(SERVED.get_or_init(|| crate::btf_extra::served_path(repl)).as_deref().unwrap_or(repl))
    } else {
        ONCE.call_once(|| {
            log::info!(
                "kernel BTF: {} is missing and so is {} (set {BTF_ENV} to a BTF file for this kernel)",
                virt.to_string_lossy(),
                repl.to_string_lossy()
            )
        });
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_paths_pass_through_unchanged() {
        for p in [c"/etc/passwd", c"relative/sys/kernel/btf/vmlinux", c"", c"/sys/kernel/btf/bpfdrv"] {
            assert_eq!(redirect(p.as_ptr()), p.as_ptr());
        }
        assert!(redirect(std::ptr::null()).is_null());
        // Unreadable: passed on for the real function to refuse (EFAULT).
        assert_eq!(redirect(std::ptr::dangling::<c_char>()), std::ptr::dangling());
    }

    #[test]
    fn lookups_of_paths_not_served_call_once_with_the_callers_pointer() {
        use std::cell::Cell;
        let calls = Cell::new(0);
        let stat = |p: *const c_char| -> libc::c_int {
            calls.set(calls.get() + 1);
            let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
            // SAFETY: a NUL-terminated path (or the caller's bad pointer, refused by the
            // kernel) and a stat buffer of the right size.
            unsafe { libc::stat(p, st.as_mut_ptr()) }
        };
        let exists = c"/proc/self/stat";
        assert_eq!(lookup(exists.as_ptr(), stat), 0);
        assert_eq!(calls.get(), 1);
        // Missing and not served: the real call's result and errno, no second call.
        calls.set(0);
        assert_eq!(lookup(c"/proc/self/no-such-file".as_ptr(), stat), -1);
        assert_eq!((calls.get(), real::errno()), (1, libc::ENOENT));
        // A bad pointer: the kernel's EFAULT, and the path is never read.
        calls.set(0);
        assert_eq!(lookup(std::ptr::dangling::<c_char>(), stat), -1);
        assert_eq!((calls.get(), real::errno()), (1, libc::EFAULT));
    }

    #[test]
    fn default_replacement_names_the_release() {
        assert_eq!(default_btf_path("3.10.0-957.el7.x86_64"), "/var/lib/bpfhook/btf/3.10.0-957.el7.x86_64.btf");
    }

    #[test]
    fn existing_virtual_path_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let virt = dir.path().join("vmlinux");
        std::fs::write(&virt, b"real").unwrap();
        let virt = CString::new(virt.to_str().unwrap()).unwrap();
        assert_eq!(decide(&virt, c"/etc/hostname"), None);
    }

    #[test]
    fn missing_virtual_path_uses_an_existing_replacement() {
        let dir = tempfile::tempdir().unwrap();
        let virt = CString::new(dir.path().join("vmlinux").to_str().unwrap()).unwrap();
        let repl: &'static CStr = Box::leak(CString::new(dir.path().join("k.btf").to_str().unwrap()).unwrap().into_boxed_c_str());
        assert_eq!(decide(&virt, repl), None, "replacement missing");
        std::fs::write(repl.to_str().unwrap(), b"btf").unwrap();
        assert_eq!(decide(&virt, repl), Some(repl));
    }
}
