//! The caller's memory, read and written without trusting it.
//!
//! Every pointer the hook itself follows (bpf attrs, perf_event_attr, paths, the statfs
//! buffer it fills) comes from the tool and may be bad: the kernel copies such memory
//! with copy_from_user / copy_to_user and answers EFAULT, so the hook must too, never
//! die of SIGSEGV inside the caller. Everything goes through this module; pointers the
//! hook only hands to the driver are checked by the driver's own copies.
//!
//! How: `process_vm_readv` / `process_vm_writev` on our own pid. The kernel walks our
//! page tables with its fault handling and answers EFAULT for unmapped or inaccessible
//! memory (PROT_NONE, a write to read-only pages), which is exactly copy_from_user's
//! rule. They exist since Linux 3.2 and glibc 2.15, so on every target (3.10, glibc 2.17
//! up), and need no permission for our own process (ptrace access to oneself is always
//! granted). Partial transfers happen only at page boundaries, so every transfer here is
//! split per page and must complete whole.
//!
//! Where they are unavailable (`CONFIG_CROSS_MEMORY_ATTACH=n`: ENOSYS; a seccomp filter
//! such as older container profiles: EPERM) a pipe does the same job: `write(pipe, src)`
//! and `read(pipe, dst)` also go through copy_from_user / copy_to_user and fail with
//! EFAULT. It costs a pipe and more syscalls per transfer, so it is only the fallback;
//! with no fd left for the pipe either, the copy is direct (unchecked).
//! No signal handler is involved: the hook must not take SIGSEGV away from the tool.
//!
//! The same rules serve a traced process (`bpfhook run`'s launcher, `Memory::of(pid)`):
//! process_vm_readv / process_vm_writev on its pid, which its tracer may always use, or
//! where the kernel lacks them its `/proc/<pid>/mem`.

use std::ffi::CStr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

/// The kernel's PAGE_SIZE (the unit of partial transfers, and bpf's attr size limit).
pub fn page_size() -> usize {
    static P: OnceLock<usize> = OnceLock::new();
    // SAFETY: sysconf has no preconditions.
    *P.get_or_init(|| usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok().filter(|&p| p > 0).unwrap_or(4096))
}

const UNKNOWN: u8 = 0;
const VM: u8 = 1;
const PIPE: u8 = 2;
static METHOD: AtomicU8 = AtomicU8::new(UNKNOWN);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Read,
    Write,
}

/// Whose memory: this process's (the preloaded hook: the caller is the tool itself) or
/// a traced process's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory {
    pid: Option<libc::pid_t>,
}

/// One transfer from or to another process that does not cross one of its pages.
fn transfer_remote(pid: libc::pid_t, dir: Dir, addr: usize, local: *mut u8, len: usize) -> Result<(), libc::c_int> {
    let l = libc::iovec { iov_base: local.cast(), iov_len: len };
    let r = libc::iovec { iov_base: addr as *mut libc::c_void, iov_len: len };
    // SAFETY: `local` is our own buffer of `len` bytes; the remote side is checked by
    // the kernel.
    let n = unsafe {
        match dir {
            Dir::Read => libc::process_vm_readv(pid, &l, 1, &r, 1, 0),
            Dir::Write => libc::process_vm_writev(pid, &l, 1, &r, 1, 0),
        }
    };
    match n {
        n if n == len as isize => Ok(()),
        n if n < 0 && crate::real::errno() == libc::ENOSYS => through_proc_mem(pid, dir, addr, local, len),
        _ => Err(libc::EFAULT),
    }
}

/// The fallback for another process where process_vm_readv is missing
/// (`CONFIG_CROSS_MEMORY_ATTACH=n`): its `/proc/<pid>/mem`, which its tracer may read and
/// write, and which fails (EIO) where the memory is not mapped. Unlike copy_from_user it
/// reads PROT_NONE and writes read-only mappings (a debugger's access); the launcher
/// writes only to the page it mapped in the tool.
fn through_proc_mem(pid: libc::pid_t, dir: Dir, addr: usize, local: *mut u8, len: usize) -> Result<(), libc::c_int> {
    let path = std::ffi::CString::new(format!("/proc/{pid}/mem")).map_err(|_| libc::EFAULT)?;
    let flags = if dir == Dir::Read { libc::O_RDONLY } else { libc::O_RDWR };
    let fd = crate::real::open_file(&path, flags | libc::O_CLOEXEC).map_err(|_| libc::EFAULT)?;
    let off = i64::try_from(addr).map_err(|_| libc::EFAULT)?;
    // SAFETY: our own fd and our own buffer of `len` bytes.
    let n = unsafe {
        match dir {
            Dir::Read => libc::pread64(fd, local.cast(), len, off),
            Dir::Write => libc::pwrite64(fd, local.cast(), len, off),
        }
    };
    // SAFETY: our own fd.
    unsafe { libc::close(fd) };
    if n == len as isize {
        Ok(())
    } else {
        Err(libc::EFAULT)
    }
}

/// One transfer that does not cross a page of the caller's memory: all or EFAULT.
fn transfer_in_page(dir: Dir, addr: usize, local: *mut u8, len: usize) -> Result<(), libc::c_int> {
    if METHOD.load(Ordering::Relaxed) != PIPE {
        let l = libc::iovec { iov_base: local.cast(), iov_len: len };
        let r = libc::iovec { iov_base: addr as *mut libc::c_void, iov_len: len };
        // SAFETY: `local` is our own buffer of `len` bytes; the remote side is checked
        // by the kernel, which answers EFAULT instead of faulting.
        let n = unsafe {
            match dir {
                Dir::Read => libc::process_vm_readv(libc::getpid(), &l, 1, &r, 1, 0),
                Dir::Write => libc::process_vm_writev(libc::getpid(), &l, 1, &r, 1, 0),
            }
        };
        if n == len as isize {
            METHOD.store(VM, Ordering::Relaxed);
            return Ok(());
        }
        let e = if n < 0 { crate::real::errno() } else { libc::EFAULT };
        if !(e == libc::ENOSYS || e == libc::EPERM) || METHOD.load(Ordering::Relaxed) == VM {
            return Err(libc::EFAULT);
        }
        METHOD.store(PIPE, Ordering::Relaxed);
    }
    through_pipe(dir, addr, local, len)
}

/// The fallback: the caller's memory is the user buffer of a pipe write (read) or a
/// pipe read (write), which the kernel copies with EFAULT checks.
fn through_pipe(dir: Dir, addr: usize, local: *mut u8, len: usize) -> Result<(), libc::c_int> {
    let mut fds = [0; 2];
    let (src, dst) = match dir {
        Dir::Read => (addr as *const u8, local),
        Dir::Write => (local as *const u8, addr as *mut u8),
    };
    // SAFETY: a two-int array for pipe2.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        // No fd to spare (a tool at its RLIMIT_NOFILE): failing the call with EMFILE
        // would break a bpf() the kernel serves, so copy directly, as the hook did
        // before it could check; only a bad pointer in this doubly degraded case faults.
        // SAFETY: the caller's pointer, trusted here as libc's own wrappers trust it.
        unsafe { std::ptr::copy_nonoverlapping(src, dst, len) };
        return Ok(());
    }
    // SAFETY: our own pipe; `len` is at most a page, which an empty pipe always takes
    // whole; a bad caller address makes the syscall fail with EFAULT, never fault.
    let ok = unsafe { libc::write(fds[1], src.cast(), len) == len as isize && libc::read(fds[0], dst.cast(), len) == len as isize };
    // SAFETY: our own fds.
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
    }
    if ok {
        Ok(())
    } else {
        Err(libc::EFAULT)
    }
}

/// Splits `[addr, addr + len)` at the caller's page boundaries.
fn per_page(addr: usize, len: usize, mut f: impl FnMut(usize, usize, usize) -> Result<(), libc::c_int>) -> Result<(), libc::c_int> {
    let page = page_size();
    let mut done = 0;
    while done < len {
        let at = addr.checked_add(done).ok_or(libc::EFAULT)?;
        let n = (page - at % page).min(len - done);
        f(at, done, n)?;
        done += n;
    }
    Ok(())
}

impl Memory {
    /// This process's memory.
    pub const OWN: Memory = Memory { pid: None };

    /// The memory of traced process `pid`.
    pub fn of(pid: libc::pid_t) -> Memory {
        Memory { pid: Some(pid) }
    }

    fn transfer(self, dir: Dir, addr: usize, local: *mut u8, len: usize) -> Result<(), libc::c_int> {
        match self.pid {
            None => transfer_in_page(dir, addr, local, len),
            Some(pid) => transfer_remote(pid, dir, addr, local, len),
        }
    }

    /// Copies `dst.len()` bytes from the caller's `addr` (copy_from_user): EFAULT if any of
    /// them is unreadable.
    pub fn read(self, addr: usize, dst: &mut [u8]) -> Result<(), libc::c_int> {
        let base = dst.as_mut_ptr();
        // SAFETY (pointer arithmetic): `off + n <= dst.len()`.
        per_page(addr, dst.len(), |at, off, n| self.transfer(Dir::Read, at, unsafe { base.add(off) }, n))
    }

    /// Copies `src` to the caller's `addr` (copy_to_user): EFAULT if any byte is not
    /// writable.
    pub fn write(self, addr: usize, src: &[u8]) -> Result<(), libc::c_int> {
        let base = src.as_ptr().cast_mut();
        // SAFETY: as in `read`; the local buffer is only read by process_vm_writev / write.
        per_page(addr, src.len(), |at, off, n| self.transfer(Dir::Write, at, unsafe { base.add(off) }, n))
    }

    /// A plain-data value (every bit pattern valid) from the caller's `addr`.
    pub fn read_pod<T: Copy + Default>(self, addr: usize) -> Result<T, libc::c_int> {
        let mut v = T::default();
        // SAFETY: T is plain data: its bytes may be overwritten with anything.
        let bytes = unsafe { std::slice::from_raw_parts_mut((&mut v as *mut T).cast::<u8>(), std::mem::size_of::<T>()) };
        self.read(addr, bytes)?;
        Ok(v)
    }

    /// Whether every byte of `[addr, addr + len)` is zero: EFAULT if unreadable (the
    /// kernel's check_zeroed_user).
    pub fn all_zero(self, addr: usize, len: usize) -> Result<bool, libc::c_int> {
        let mut buf = [0u8; 256];
        let mut zero = true;
        per_page(addr, len, |at, _, n| {
            let mut done = 0;
            while done < n {
                let k = (n - done).min(buf.len());
                self.read(at + done, &mut buf[..k])?;
                zero &= buf[..k].iter().all(|&b| b == 0);
                done += k;
            }
            Ok(())
        })?;
        Ok(zero)
    }

    /// The caller's NUL-terminated string at `addr`, copied into `buf`: None when it is null,
    /// unreadable before its NUL, or does not fit (NUL included). Reads no further than the
    /// string's page holding the NUL, so a string ending just before an unmapped page is
    /// read like the kernel's strncpy_from_user reads it.
    pub fn read_c_str(self, addr: usize, buf: &mut [u8]) -> Option<&CStr> {
        if addr == 0 {
            return None;
        }
        let page = page_size();
        let mut done = 0;
        while done < buf.len() {
            let at = addr.checked_add(done)?;
            let n = (page - at % page).min(buf.len() - done);
            self.read(at, &mut buf[done..done + n]).ok()?;
            if let Some(nul) = buf[done..done + n].iter().position(|&b| b == 0) {
                return CStr::from_bytes_with_nul(&buf[..done + nul + 1]).ok();
            }
            done += n;
        }
        None
    }

    /// The prefix of a bpf(2) attr the hook looks at, with the kernel's checks in the
    /// kernel's order (`__sys_bpf`: bpf_check_uarg_tail_zero, then copy_from_user):
    /// `size` above PAGE_SIZE is E2BIG; bytes past `known` (what the driver knows of
    /// `union bpf_attr`) must be zero, else E2BIG, and readable, else EFAULT; the first
    /// `min(size, known)` bytes must be readable, else EFAULT. `dst` gets the first
    /// `min(size, dst.len())` of them; the rest of it stays as it was (zero).
    pub fn read_bpf_attr(self, addr: usize, size: u32, known: usize, dst: &mut [u8]) -> Result<(), libc::c_int> {
        let size = size as usize;
        if size > page_size() {
            return Err(libc::E2BIG);
        }
        if size > known && !self.all_zero(addr.wrapping_add(known), size - known)? {
            return Err(libc::E2BIG);
        }
        let copied = size.min(known);
        let n = copied.min(dst.len());
        self.read(addr, &mut dst[..n])?;
        if copied > n {
            // Read like the kernel's copy (readable or EFAULT), not kept.
            self.all_zero(addr + n, copied - n)?;
        }
        Ok(())
    }
}

/// [`Memory::read`] of this process.
pub fn read(addr: usize, dst: &mut [u8]) -> Result<(), libc::c_int> {
    Memory::OWN.read(addr, dst)
}

/// [`Memory::write`] of this process.
pub fn write(addr: usize, src: &[u8]) -> Result<(), libc::c_int> {
    Memory::OWN.write(addr, src)
}

/// [`Memory::read_pod`] of this process.
pub fn read_pod<T: Copy + Default>(addr: usize) -> Result<T, libc::c_int> {
    Memory::OWN.read_pod(addr)
}

/// [`Memory::read_c_str`] of this process.
pub fn read_c_str(addr: usize, buf: &mut [u8]) -> Option<&CStr> {
    Memory::OWN.read_c_str(addr, buf)
}

/// [`Memory::read_bpf_attr`] of this process.
pub fn read_bpf_attr(addr: usize, size: u32, known: usize, dst: &mut [u8]) -> Result<(), libc::c_int> {
    Memory::OWN.read_bpf_attr(addr, size, known, dst)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two pages: the first read-write and filled, the second PROT_NONE.
    struct Guarded {
        base: *mut u8,
        page: usize,
    }

    impl Guarded {
        fn new() -> Guarded {
            let page = page_size();
            // SAFETY: a fresh anonymous mapping, owned by this value.
            let base = unsafe {
                let p = libc::mmap(
                    std::ptr::null_mut(),
                    2 * page,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                );
                assert_ne!(p, libc::MAP_FAILED);
                assert_eq!(libc::mprotect(p.cast::<u8>().add(page).cast(), page, libc::PROT_NONE), 0);
                p.cast::<u8>()
            };
            Guarded { base, page }
        }

        /// The address `back` bytes before the guard page.
        fn end(&self, back: usize) -> usize {
            self.base as usize + self.page - back
        }

        fn fill(&self, back: usize, bytes: &[u8]) {
            // SAFETY: inside the writable page.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), (self.end(back)) as *mut u8, bytes.len()) }
        }
    }

    impl Drop for Guarded {
        fn drop(&mut self) {
            // SAFETY: our mapping.
            unsafe { libc::munmap(self.base.cast(), 2 * self.page) };
        }
    }

    #[test]
    fn reads_and_writes_up_to_the_guard_page_and_faults_past_it() {
        let g = Guarded::new();
        g.fill(8, b"abcdefgh");
        let mut buf = [0u8; 8];
        assert_eq!(read(g.end(8), &mut buf), Ok(()));
        assert_eq!(&buf, b"abcdefgh");
        assert_eq!(read(g.end(4), &mut buf), Err(libc::EFAULT), "runs into the guard page");
        assert_eq!(read(g.end(0), &mut buf[..1]), Err(libc::EFAULT));
        assert_eq!(read(0, &mut buf), Err(libc::EFAULT));
        assert_eq!(read(1, &mut buf[..0]), Ok(()), "nothing to copy");
        assert_eq!(write(g.end(3), b"xyz"), Ok(()));
        assert_eq!(read_pod::<[u8; 3]>(g.end(3)), Ok(*b"xyz"));
        assert_eq!(write(g.end(2), b"xyz"), Err(libc::EFAULT));
        assert_eq!(write(1, b"x"), Err(libc::EFAULT));
        // Read-only memory is readable, not writable.
        assert_eq!(write(b"const".as_ptr() as usize, b"x"), Err(libc::EFAULT));
    }

    #[test]
    fn another_process_memory_without_process_vm_readv_is_its_proc_mem() {
        let g = Guarded::new();
        g.fill(8, b"abcdefgh");
        let me = std::process::id() as libc::pid_t;
        let mut buf = [0u8; 8];
        assert_eq!(through_proc_mem(me, Dir::Read, g.end(8), buf.as_mut_ptr(), 8), Ok(()));
        assert_eq!(&buf, b"abcdefgh");
        let mut xyz = *b"xyz";
        assert_eq!(through_proc_mem(me, Dir::Write, g.end(3), xyz.as_mut_ptr(), 3), Ok(()));
        assert_eq!(read_pod::<[u8; 3]>(g.end(3)), Ok(*b"xyz"));
        assert_eq!(through_proc_mem(me, Dir::Read, 8, buf.as_mut_ptr(), 8), Err(libc::EFAULT), "page zero is never mapped");
    }

    #[test]
    fn c_strings_may_end_right_before_an_unmapped_page() {
        let g = Guarded::new();
        let mut buf = [0u8; 64];
        g.fill(4, b"abc\0");
        assert_eq!(read_c_str(g.end(4), &mut buf), Some(c"abc"));
        g.fill(4, b"abcd");
        assert_eq!(read_c_str(g.end(4), &mut buf), None, "no NUL before the guard page");
        assert_eq!(read_c_str(0, &mut buf), None);
        assert_eq!(read_c_str(c"0123456789".as_ptr() as usize, &mut buf[..10]), None, "does not fit");
        assert_eq!(read_c_str(c"012345678".as_ptr() as usize, &mut buf[..10]), Some(c"012345678"));
    }

    #[test]
    fn bpf_attr_checks_follow_the_kernel_order() {
        let g = Guarded::new();
        let mut dst = [0u8; 16];
        g.fill(48, &[7; 48]);
        // size first: E2BIG before anything is read, even from an unmapped address.
        assert_eq!(read_bpf_attr(1, page_size() as u32 + 1, 16, &mut dst), Err(libc::E2BIG));
        assert_eq!(read_bpf_attr(1, 16, 16, &mut dst), Err(libc::EFAULT));
        // Nonzero bytes past what is known: E2BIG; an unreadable tail: EFAULT.
        assert_eq!(read_bpf_attr(g.end(48), 48, 16, &mut dst), Err(libc::E2BIG));
        assert_eq!(read_bpf_attr(g.end(16), 32, 16, &mut dst), Err(libc::EFAULT));
        g.fill(32, &[0; 32]);
        assert_eq!(read_bpf_attr(g.end(48), 48, 16, &mut dst), Ok(()));
        assert_eq!(dst, [7; 16]);
        // Size 0 reads nothing (the command then sees a zeroed attr).
        let mut dst = [0u8; 16];
        assert_eq!(read_bpf_attr(1, 0, 16, &mut dst), Ok(()));
        // A short attr fills only its own bytes.
        assert_eq!(read_bpf_attr(g.end(48), 4, 16, &mut dst), Ok(()));
        assert_eq!(dst, [7, 7, 7, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        // Known bytes beyond what the hook keeps must still be readable.
        assert_eq!(read_bpf_attr(g.end(16), 32, 32, &mut [0u8; 8]), Err(libc::EFAULT));
    }

    #[test]
    fn the_pipe_fallback_answers_alike() {
        let g = Guarded::new();
        g.fill(4, b"wxyz");
        let mut buf = [0u8; 4];
        let at = |a: usize, b: &mut [u8]| through_pipe(Dir::Read, a, b.as_mut_ptr(), b.len());
        assert_eq!(at(g.end(4), &mut buf), Ok(()));
        assert_eq!(&buf, b"wxyz");
        assert_eq!(at(g.end(2), &mut buf), Err(libc::EFAULT));
        assert_eq!(at(1, &mut buf), Err(libc::EFAULT));
        let mut src = *b"ab";
        assert_eq!(through_pipe(Dir::Write, g.end(2), src.as_mut_ptr(), 2), Ok(()));
        assert_eq!(through_pipe(Dir::Write, g.end(0), src.as_mut_ptr(), 2), Err(libc::EFAULT));
        assert_eq!(read_pod::<[u8; 2]>(g.end(2)), Ok(*b"ab"));
    }
}
