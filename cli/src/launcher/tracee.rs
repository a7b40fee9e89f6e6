//! A traced thread stopped at the entry of a system call its seccomp filter trapped, and
//! system calls run in it: the way the launcher opens the driver in the tool and makes
//! the driver's ioctls from the tool's own fd.
//!
//! The trapped call itself becomes the first system call run (its number and arguments
//! rewritten at the seccomp stop, then run to its syscall-exit stop); every further one
//! backs the thread up onto its `syscall` instruction and runs it again. The result the
//! tool finally sees is written into `rax` at the last exit stop, with the thread's
//! original registers otherwise, so it resumes right after its own `syscall`.

use libc::{c_long, pid_t, user_regs_struct};

/// The thread is gone (killed, or its process exited) while the launcher worked on it.
#[derive(Debug)]
pub enum Gone {
    /// Its wait status (exited or killed), taken by the launcher's waitpid.
    Ended(libc::c_int),
    /// A ptrace or waitpid error: the thread no longer exists for the launcher.
    Lost(libc::c_int),
}

/// The `syscall` instruction's length: a thread at a syscall stop has `rip` past it.
const SYSCALL_INSN_LEN: u64 = 2;

/// ptrace(2) with an errno result.
pub fn ptrace(req: libc::c_uint, tid: pid_t, addr: usize, data: usize) -> Result<c_long, libc::c_int> {
    // SAFETY: the requests used here take integers or point at our own buffers.
    let r = unsafe { libc::ptrace(req, tid, addr, data) };
    if r == -1 {
        let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO);
        if e != 0 {
            return Err(e);
        }
    }
    Ok(r)
}

pub fn get_regs(tid: pid_t) -> Result<user_regs_struct, libc::c_int> {
    // SAFETY: user_regs_struct is plain data.
    let mut regs: user_regs_struct = unsafe { std::mem::zeroed() };
    ptrace(libc::PTRACE_GETREGS, tid, 0, &mut regs as *mut _ as usize)?;
    Ok(regs)
}

pub fn set_regs(tid: pid_t, regs: &user_regs_struct) -> Result<(), libc::c_int> {
    ptrace(libc::PTRACE_SETREGS, tid, 0, regs as *const _ as usize).map(|_| ())
}

/// Whether the first stop after PTRACE_SYSCALL at a seccomp stop is the syscall-entry
/// stop (before 4.8, seccomp ran before ptrace's entry stop; since commit 93e35efb8de4 it
/// runs after, so the next stop is the exit). Read from the kernel version, and checked
/// at the stop (`rax` is -ENOSYS at an entry stop).
pub fn entry_stop_follows_seccomp_stop() -> bool {
    // SAFETY: utsname is plain data.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: our own buffer.
    if unsafe { libc::uname(&mut u) } != 0 {
        return false;
    }
    // SAFETY: uname NUL-terminates the field.
    let release = unsafe { std::ffi::CStr::from_ptr(u.release.as_ptr()) }.to_string_lossy();
    kernel_before(&release, (4, 8))
}

/// Whether `release` ("3.10.0-1160.el7.x86_64") is older than `major.minor`.
pub fn kernel_before(release: &str, (major, minor): (u32, u32)) -> bool {
    let mut it = release.split(|c: char| !c.is_ascii_digit()).filter_map(|p| p.parse::<u32>().ok());
    let v = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    v < (major, minor)
}

/// A thread stopped at a seccomp stop, and the system calls run in it since.
pub struct Stopped {
    pub tid: pid_t,
    /// Its registers at the seccomp stop: the trapped call's number is `orig_rax`, its
    /// arguments rdi, rsi, rdx, r10, r8, r9.
    pub regs: user_regs_struct,
    /// Whether a system call already ran (the thread is then at a syscall-exit stop).
    ran: bool,
    entry_stop_first: bool,
    /// Signals that arrived while calls ran, sent again once the thread resumes.
    deferred: Vec<libc::c_int>,
}

impl Stopped {
    pub fn new(tid: pid_t, entry_stop_first: bool) -> Result<Stopped, libc::c_int> {
        Ok(Stopped { tid, regs: get_regs(tid)?, ran: false, entry_stop_first, deferred: Vec::new() })
    }

    /// Whether a system call ran in the thread since its seccomp stop.
    pub fn ran(&self) -> bool {
        self.ran
    }

    /// The trapped call's number and its six arguments.
    pub fn call(&self) -> (c_long, [u64; 6]) {
        let r = &self.regs;
        (r.orig_rax as c_long, [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9])
    }

    /// Runs system call `nr` with `args` in the thread: its raw result (-errno on failure).
    pub fn syscall(&mut self, nr: c_long, args: &[u64]) -> Result<i64, Gone> {
        let mut r = self.regs;
        let mut stops = 1;
        if self.ran {
            // At the previous call's exit stop: back onto the `syscall` instruction.
            r.rip -= SYSCALL_INSN_LEN;
            r.rax = nr as u64;
            stops = 2;
        } else if self.entry_stop_first {
            stops = 2;
        }
        r.orig_rax = nr as u64;
        for (reg, a) in [&mut r.rdi, &mut r.rsi, &mut r.rdx, &mut r.r10, &mut r.r8, &mut r.r9].into_iter().zip(args) {
            *reg = *a;
        }
        set_regs(self.tid, &r).map_err(Gone::Lost)?;
        let mut seen = 0;
        while seen < stops {
            ptrace(libc::PTRACE_SYSCALL, self.tid, 0, 0).map_err(Gone::Lost)?;
            self.wait_syscall_stop()?;
            seen += 1;
            if seen == 1 && stops == 2 && !self.ran {
                // Before 4.8 (or a distribution kernel that backported the order): an
                // entry stop shows -ENOSYS in rax; anything else is already the exit.
                let at = get_regs(self.tid).map_err(Gone::Lost)?;
                if at.rax as i64 != -(libc::ENOSYS as i64) {
                    break;
                }
            }
        }
        self.ran = true;
        Ok(get_regs(self.tid).map_err(Gone::Lost)?.rax as i64)
    }

    /// Waits for this thread's next syscall stop; a signal that arrives first is kept
    /// for later (delivering it now would run a handler inside the launcher's calls).
    fn wait_syscall_stop(&mut self) -> Result<(), Gone> {
        loop {
            let mut status = 0;
            // SAFETY: our own status word.
            let r = unsafe { libc::waitpid(self.tid, &mut status, libc::__WALL) };
            if r < 0 {
                let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::ECHILD);
                if e == libc::EINTR {
                    continue;
                }
                return Err(Gone::Lost(e));
            }
            if !libc::WIFSTOPPED(status) {
                return Err(Gone::Ended(status));
            }
            let sig = libc::WSTOPSIG(status);
            if sig == libc::SIGTRAP | 0x80 {
                return Ok(());
            }
            if status >> 16 == 0 && sig != libc::SIGTRAP {
                self.deferred.push(sig);
            }
            ptrace(libc::PTRACE_SYSCALL, self.tid, 0, 0).map_err(Gone::Lost)?;
        }
    }

    /// Resumes the thread with `result` as what its trapped call returned (a raw value:
    /// -errno for a failure). Without a call run, a getpid stands in for the trapped
    /// one, so the trapped call never reaches the kernel.
    pub fn finish(mut self, result: i64) -> Result<(), Gone> {
        if !self.ran {
            self.syscall(libc::SYS_getpid, &[])?;
        }
        let mut r = self.regs;
        r.rax = result as u64;
        set_regs(self.tid, &r).map_err(Gone::Lost)?;
        ptrace(libc::PTRACE_CONT, self.tid, 0, 0).map_err(Gone::Lost)?;
        self.send_deferred();
        Ok(())
    }

    /// Resumes the thread with its trapped call untouched: the kernel runs it. Only
    /// before any other call ran in it.
    pub fn pass(self) -> Result<(), Gone> {
        debug_assert!(!self.ran);
        ptrace(libc::PTRACE_CONT, self.tid, 0, 0).map_err(Gone::Lost)?;
        self.send_deferred();
        Ok(())
    }

    fn send_deferred(&self) {
        for &sig in &self.deferred {
            // SAFETY: plain syscalls on the tool's own thread.
            unsafe { libc::syscall(libc::SYS_tgkill, tgid_of(self.tid).unwrap_or(self.tid), self.tid, sig) };
        }
    }
}

/// The process (thread group) of thread `tid`, from /proc.
pub fn tgid_of(tid: pid_t) -> Option<pid_t> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("Tgid:")).and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_versions_compare_by_major_and_minor() {
        assert!(kernel_before("3.10.0-1160.el7.x86_64", (4, 8)));
        assert!(kernel_before("4.7.10", (4, 8)));
        assert!(!kernel_before("4.8.0", (4, 8)));
        assert!(!kernel_before("6.1.0-27-amd64", (4, 8)));
        assert!(!kernel_before("6.18.44-fc-v1252", (4, 8)));
    }
}
