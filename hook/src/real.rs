//! The real libc functions behind the ones this library interposes.
//!
//! Each is looked up once with `dlsym(RTLD_NEXT, name)` and cached in an atomic, so
//! the hook never calls itself: code in this library that needs `open`, `access` or
//! `syscall` goes through here, not through the (interposed) PLT symbol.

use libc::{c_char, c_int, c_long, c_uint, c_void, mode_t, FILE};
use std::ffi::CStr;
use std::sync::atomic::{AtomicPtr, Ordering};

/// A lazily resolved `dlsym(RTLD_NEXT, name)` address.
pub struct NextSym {
    name: &'static CStr,
    addr: AtomicPtr<c_void>,
}

impl NextSym {
    pub const fn new(name: &'static CStr) -> Self {
        NextSym { name, addr: AtomicPtr::new(std::ptr::null_mut()) }
    }

    /// The address of the next definition of the symbol; aborts when there is none
    /// (only possible for a libc that lacks a function we export).
    pub fn get(&self) -> *mut c_void {
        let cached = self.addr.load(Ordering::Acquire);
        if !cached.is_null() {
            return cached;
        }
        // SAFETY: dlsym with a NUL-terminated name; RTLD_NEXT from inside this object.
        let found = unsafe { libc::dlsym(libc::RTLD_NEXT, self.name.as_ptr()) };
        if found.is_null() {
            missing(self.name);
        }
        self.addr.store(found, Ordering::Release);
        found
    }

    /// Resolves and caches the address if there is one.
    pub fn try_resolve(&self) {
        if self.addr.load(Ordering::Acquire).is_null() {
            // SAFETY: as in `get`.
            let found = unsafe { libc::dlsym(libc::RTLD_NEXT, self.name.as_ptr()) };
            self.addr.store(found, Ordering::Release);
        }
    }
}

#[cold]
fn missing(name: &CStr) -> ! {
    let msg = b"bpfhook: fatal: the C library has no ";
    // SAFETY: writes of valid buffers to fd 2.
    unsafe {
        libc::write(2, msg.as_ptr().cast(), msg.len());
        libc::write(2, name.as_ptr().cast(), name.to_bytes().len());
        libc::write(2, b"\n".as_ptr().cast(), 1);
        libc::abort()
    }
}

/// Declares `pub unsafe fn name(args) -> ret` calling the next definition of `name`,
/// its cached address in `sym::name`, and `resolve_all()` filling every cache.
macro_rules! next_fns {
    ($( $name:ident ( $($arg:ident : $ty:ty),* $(; $va:tt)? ) -> $ret:ty ; )*) => {
        /// The cached addresses.
        #[allow(non_upper_case_globals)]
        pub mod sym {
            use super::NextSym;
            use std::ffi::CStr;
            $(
                pub static $name: NextSym = NextSym::new(
                    // SAFETY: literal with exactly one trailing NUL.
                    unsafe { CStr::from_bytes_with_nul_unchecked(concat!(stringify!($name), "\0").as_bytes()) }
                );
            )*
        }

        /// Looks every real function up now (from the library's constructor, while
        /// the process is single-threaded and malloc is usable), so that later calls,
        /// possibly from inside an allocator or a signal handler, never enter dlsym.
        /// A missing one is left for its first call to report.
        pub fn resolve_all() {
            $( sym::$name.try_resolve(); )*
        }

        $(
            #[allow(clippy::missing_safety_doc)]
            pub unsafe fn $name($($arg: $ty),*) -> $ret {
                let f: unsafe extern "C" fn($($ty),* $(, $va)?) -> $ret = std::mem::transmute(sym::$name.get());
                f($($arg),*)
            }
        )*
    };
}

next_fns! {
    syscall(n: c_long, a1: c_long, a2: c_long, a3: c_long, a4: c_long, a5: c_long, a6: c_long; ...) -> c_long;
    access(path: *const c_char, mode: c_int) -> c_int;
    faccessat(dirfd: c_int, path: *const c_char, mode: c_int, flags: c_int) -> c_int;
    eaccess(path: *const c_char, mode: c_int) -> c_int;
    euidaccess(path: *const c_char, mode: c_int) -> c_int;
    open(path: *const c_char, flags: c_int, mode: c_uint; ...) -> c_int;
    open64(path: *const c_char, flags: c_int, mode: c_uint; ...) -> c_int;
    openat(dirfd: c_int, path: *const c_char, flags: c_int, mode: c_uint; ...) -> c_int;
    openat64(dirfd: c_int, path: *const c_char, flags: c_int, mode: c_uint; ...) -> c_int;
    __open_2(path: *const c_char, flags: c_int) -> c_int;
    __open64_2(path: *const c_char, flags: c_int) -> c_int;
    __openat_2(dirfd: c_int, path: *const c_char, flags: c_int) -> c_int;
    __openat64_2(dirfd: c_int, path: *const c_char, flags: c_int) -> c_int;
    fopen(path: *const c_char, mode: *const c_char) -> *mut FILE;
    fopen64(path: *const c_char, mode: *const c_char) -> *mut FILE;
    stat(path: *const c_char, buf: *mut libc::stat) -> c_int;
    stat64(path: *const c_char, buf: *mut libc::stat64) -> c_int;
    lstat(path: *const c_char, buf: *mut libc::stat) -> c_int;
    lstat64(path: *const c_char, buf: *mut libc::stat64) -> c_int;
    fstatat(dirfd: c_int, path: *const c_char, buf: *mut libc::stat, flags: c_int) -> c_int;
    fstatat64(dirfd: c_int, path: *const c_char, buf: *mut libc::stat64, flags: c_int) -> c_int;
    statx(dirfd: c_int, path: *const c_char, flags: c_int, mask: c_uint, buf: *mut libc::statx) -> c_int;
    statfs(path: *const c_char, buf: *mut libc::statfs) -> c_int;
    statfs64(path: *const c_char, buf: *mut libc::statfs64) -> c_int;
    unlink(path: *const c_char) -> c_int;
    unlinkat(dirfd: c_int, path: *const c_char, flags: c_int) -> c_int;
}

/// Opens a file with the real `open`, never the interposed one.
pub fn open_file(path: &CStr, flags: c_int) -> Result<c_int, c_int> {
    // The mode is ignored without O_CREAT.
    open_file_mode(path, flags, 0)
}

/// Opens (or creates, with O_CREAT or O_TMPFILE) a file with the real `open`.
pub fn open_file_mode(path: &CStr, flags: c_int, mode: mode_t) -> Result<c_int, c_int> {
    // SAFETY: NUL-terminated path; the mode is passed as the variadic argument.
    let fd = unsafe { open(path.as_ptr(), flags, mode as c_uint) };
    if fd < 0 {
        Err(errno())
    } else {
        Ok(fd)
    }
}

/// Whether `path` exists (real `access(path, F_OK)`).
pub fn exists(path: &CStr) -> bool {
    // SAFETY: NUL-terminated path.
    unsafe { access(path.as_ptr(), libc::F_OK) == 0 }
}

pub fn errno() -> c_int {
    // SAFETY: glibc's thread-local errno.
    unsafe { *libc::__errno_location() }
}

pub fn set_errno(e: c_int) {
    // SAFETY: glibc's thread-local errno.
    unsafe { *libc::__errno_location() = e }
}
