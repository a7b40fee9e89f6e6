//! Pins without bpffs. Old kernels have no bpf filesystem, so `/sys/fs/bpf` does not
//! exist; the driver keeps pins by path (BPF_OBJ_PIN / BPF_OBJ_GET) and the hook makes
//! the path look like bpffs to the checks libbpf and bpftool make before pinning
//! (`statfs(dir).f_type == BPF_FS_MAGIC`), and turns `unlink` of a pin into an unpin,
//! as removing a bpffs file does. Only in driver mode and only while no real bpffs is
//! mounted at `/sys/fs/bpf`: a kernel with bpffs keeps answering for itself. The empty
//! directory alone does not count: RHEL 7's eBPF backport creates it in sysfs.
//!
//! Existence checks see a pin as a file (`rm` stats before it unlinks): lookups of a
//! pinned path are pointed at `/dev/null`.
//!
//! Limits: pins are not listed (there is no directory to read); bpftool prog loadall,
//! which creates a directory of pins, fails at mkdir; only processes with the hook
//! (dynamically linked ones) or under `bpfhook run`'s launcher (static and Go tools,
//! which traps their statfs and unlink calls) can unpin.

use crate::user_mem::{self, Memory};
use crate::{driver, mode, real};
use driver_protocol::{bpfdrv_unpin_req, BPFDRV_CMD_OBJ_GET, BPFDRV_IOC_UNPIN};
use libc::{c_char, c_int};
use std::ffi::CStr;

const ROOT: &CStr = c"/sys/fs/bpf";

/// `path` (the caller's string, read by [`emulated_ptr`] or `paths::redirect`) is
/// `/sys/fs/bpf` or below it, and pins are emulated here.
pub fn emulated(path: &CStr) -> bool {
    let Some(rest) = path.to_bytes().strip_prefix(ROOT.to_bytes()) else {
        return false;
    };
    (rest.is_empty() || rest[0] == b'/') && !bpffs_mounted() && mode::get() == mode::Mode::Driver
}

/// [`emulated`] for the caller's pointer; false for a bad one, which then reaches the
/// real function and its EFAULT.
pub fn emulated_ptr(path: *const c_char) -> bool {
    let mut buf = [0u8; crate::paths::PATH_BUF];
    user_mem::read_c_str(path as usize, &mut buf).is_some_and(emulated)
}

/// A real bpffs is mounted at `/sys/fs/bpf` (real statfs: a missing directory or
/// another filesystem there is not one).
fn bpffs_mounted() -> bool {
    let mut st = std::mem::MaybeUninit::<libc::statfs>::zeroed();
    // SAFETY: NUL-terminated path and a statfs buffer of the right size.
    // f_type and the magic have different integer types in other C libraries.
    #[allow(clippy::unnecessary_cast)]
    unsafe {
        real::statfs(ROOT.as_ptr(), st.as_mut_ptr()) == 0 && st.assume_init().f_type as i64 == libc::BPF_FS_MAGIC as i64
    }
}

/// What a lookup of an emulated path sees instead: `/dev/null` for a pinned path (it
/// exists and is not a directory: `rm` checks before it unlinks); None otherwise (the
/// path itself, which does not exist).
pub fn stand_in(path: &CStr) -> Option<&'static CStr> {
    pinned(path.as_ptr()).then_some(c"/dev/null")
}

/// A pin exists at `path` (BPF_OBJ_GET succeeds).
fn pinned(path: *const c_char) -> bool {
    // union bpf_attr's obj: pathname, bpf_fd, file_flags.
    let mut attr = [0u64; 2];
    attr[0] = path as u64;
    match crate::bpf::call(BPFDRV_CMD_OBJ_GET as libc::c_long, attr.as_mut_ptr() as libc::c_long, 16) {
        Ok(fd) => {
            // SAFETY: the fd the driver just gave us.
            unsafe { libc::close(fd as c_int) };
            true
        }
        Err(_) => false,
    }
}

/// statfs of an emulated path: bpffs, written to the caller's buffer `buf` in `mem` as the
/// kernel's copy_to_user would (EFAULT for a bad one).
pub fn fill_statfs(mem: Memory, buf: usize) -> Result<(), c_int> {
    // SAFETY: statfs is plain data; all-zero is a valid value.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    st.f_type = libc::BPF_FS_MAGIC;
    st.f_bsize = 4096;
    st.f_namelen = 255;
    // SAFETY: viewing our own struct's bytes.
    let bytes = unsafe { std::slice::from_raw_parts((&st as *const libc::statfs).cast::<u8>(), std::mem::size_of::<libc::statfs>()) };
    mem.write(buf, bytes)
}

/// unlink of an emulated path in this process: unpin. 0 or the errno.
pub fn unpin(path: *const c_char) -> Result<(), c_int> {
    let mut drv = driver::get().map_err(|u| u.errno)?;
    unpin_via(&mut drv, path as u64)
}

/// Unpin the path at `path` in the memory of the process `port` runs its ioctls in.
pub fn unpin_via(port: &mut impl driver::Port, path: u64) -> Result<(), c_int> {
    let mut req = bpfdrv_unpin_req { size: std::mem::size_of::<bpfdrv_unpin_req>() as u32, reserved: 0, pathname: path };
    driver::ioctl(port, BPFDRV_IOC_UNPIN, &mut req).map(|_| ())
}
