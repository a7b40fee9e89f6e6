//! libbpfhook.so: LD_PRELOAD it under an unmodified eBPF tool and bpf(2) goes to the
//! bpfdrv kernel module on kernels that lack it.
//!
//! This crate holds only the interposed C symbols: `syscall` (bpf and perf_event_open) and
//! the file functions libbpf and libbpf-tools use to find kernel BTF. Nothing else is
//! exported (checked by tests/exports.rs). Each forwards to bpfhook-core (`hook/src`),
//! where the work is done.
//!
//! Left out of the crate's own unit-test binary, where they would interpose the test
//! harness's libc calls.
#![cfg(not(test))]
// Each symbol's safety contract is the libc function's it replaces.
#![allow(clippy::missing_safety_doc)]

use bpfhook_core::user_mem::Memory;
use bpfhook_core::{bpf, mode, paths, perf, pin, real};
use libc::{c_char, c_int, c_long, c_uint, FILE};

/// Runs when the library is loaded: resolves the real functions and points bpftrace at
/// the kernel BTF and bcc at its headers (no output).
extern "C" fn on_load() {
    real::resolve_all();
    paths::export_bpftrace_btf();
    paths::export_bcc_kernel_source();
}

#[used]
#[link_section = ".init_array"]
static ON_LOAD: extern "C" fn() = on_load;

/// libc's syscall() convention: -1 and errno on failure.
fn finish(r: Result<c_long, c_int>) -> c_long {
    match r {
        Ok(v) => v,
        Err(e) => {
            real::set_errno(e);
            -1
        }
    }
}

/// `long syscall(long number, ...)`. On x86_64 the variadic integer arguments arrive in
/// the same registers as six fixed ones, so all six are taken and passed on.
#[no_mangle]
pub unsafe extern "C" fn syscall(n: c_long, a1: c_long, a2: c_long, a3: c_long, a4: c_long, a5: c_long, a6: c_long) -> c_long {
    match n {
        libc::SYS_bpf if mode::get() == mode::Mode::Driver => finish(bpf::call(a1, a2, a3)),
        libc::SYS_perf_event_open => match perf::call(a1, a2, a3, a4, a5) {
            Some(r) => finish(r),
            None => real::syscall(n, a1, a2, a3, a4, a5, a6),
        },
        _ => real::syscall(n, a1, a2, a3, a4, a5, a6),
    }
}

/// Defines exported path functions: the real function, with the path the hook serves in
/// place of the caller's where the caller's does not exist (paths::lookup).
macro_rules! path_hooks {
    ($( fn $name:ident ( $($pre:ident : $pty:ty ,)* @ $path:ident $(, $arg:ident : $ty:ty)* ) -> $ret:ty ; )*) => {
        $(
            #[no_mangle]
            pub unsafe extern "C" fn $name($($pre: $pty,)* $path: *const c_char $(, $arg: $ty)*) -> $ret {
                paths::lookup($path, |p| real::$name($($pre,)* p $(, $arg)*))
            }
        )*
    };
}

path_hooks! {
    fn access(@ path, mode: c_int) -> c_int;
    fn eaccess(@ path, mode: c_int) -> c_int;
    fn euidaccess(@ path, mode: c_int) -> c_int;
    fn faccessat(dirfd: c_int, @ path, mode: c_int, flags: c_int) -> c_int;
    fn open(@ path, flags: c_int, mode: c_uint) -> c_int;
    fn open64(@ path, flags: c_int, mode: c_uint) -> c_int;
    fn openat(dirfd: c_int, @ path, flags: c_int, mode: c_uint) -> c_int;
    fn openat64(dirfd: c_int, @ path, flags: c_int, mode: c_uint) -> c_int;
    fn __open_2(@ path, flags: c_int) -> c_int;
    fn __open64_2(@ path, flags: c_int) -> c_int;
    fn __openat_2(dirfd: c_int, @ path, flags: c_int) -> c_int;
    fn __openat64_2(dirfd: c_int, @ path, flags: c_int) -> c_int;
    fn fopen(@ path, mode: *const c_char) -> *mut FILE;
    fn fopen64(@ path, mode: *const c_char) -> *mut FILE;
    fn stat(@ path, buf: *mut libc::stat) -> c_int;
    fn stat64(@ path, buf: *mut libc::stat64) -> c_int;
    fn lstat(@ path, buf: *mut libc::stat) -> c_int;
    fn lstat64(@ path, buf: *mut libc::stat64) -> c_int;
    fn fstatat(dirfd: c_int, @ path, buf: *mut libc::stat, flags: c_int) -> c_int;
    fn fstatat64(dirfd: c_int, @ path, buf: *mut libc::stat64, flags: c_int) -> c_int;
    fn statx(dirfd: c_int, @ path, flags: c_int, mask: c_uint, buf: *mut libc::statx) -> c_int;
}

/// Pins without bpffs (pin.rs): `/sys/fs/bpf` reports BPF_FS_MAGIC where it is emulated.
#[no_mangle]
pub unsafe extern "C" fn statfs(path: *const c_char, buf: *mut libc::statfs) -> c_int {
    if pin::emulated_ptr(path) {
        return finish(pin::fill_statfs(Memory::OWN, buf as usize).map(|_| 0)) as c_int;
    }
    real::statfs(path, buf)
}

#[no_mangle]
pub unsafe extern "C" fn statfs64(path: *const c_char, buf: *mut libc::statfs64) -> c_int {
    if pin::emulated_ptr(path) {
        // statfs64 and statfs are the same struct on 64-bit targets.
        return finish(pin::fill_statfs(Memory::OWN, buf as usize).map(|_| 0)) as c_int;
    }
    real::statfs64(path, buf)
}

/// Removing a pin unpins it, as unlink of a bpffs file does.
#[no_mangle]
pub unsafe extern "C" fn unlink(path: *const c_char) -> c_int {
    if pin::emulated_ptr(path) {
        return finish(pin::unpin(path).map(|_| 0)) as c_int;
    }
    real::unlink(path)
}

#[no_mangle]
pub unsafe extern "C" fn unlinkat(dirfd: c_int, path: *const c_char, flags: c_int) -> c_int {
    if pin::emulated_ptr(path) {
        return finish(pin::unpin(path).map(|_| 0)) as c_int;
    }
    real::unlinkat(dirfd, path, flags)
}
