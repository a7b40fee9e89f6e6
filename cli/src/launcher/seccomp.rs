//! The seccomp filter the launcher puts on the tool: only the calls the hook would serve
//! stop it for the tracer (`SECCOMP_RET_TRACE`); every other system call runs without a
//! stop, at native speed.
//!
//! Classic BPF through `prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)`: what Linux has
//! offered since 3.5 (the seccomp() system call only came in 3.17).

use super::serve::TRAPPED;

const BPF_LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const BPF_JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const BPF_RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
/// linux/audit.h: EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE (not in the libc crate).
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// `struct seccomp_data`: `int nr` at 0, `__u32 arch` at 4.
const DATA_NR: u32 = 0;
const DATA_ARCH: u32 = 4;

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter { code, jt: 0, jf: 0, k }
}

fn jeq(k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code: BPF_JEQ_K, jt, jf, k }
}

/// The filter: x86-64 calls in [`TRAPPED`] trace, everything else is allowed (32-bit
/// `int 0x80` calls too: the hook does not see those either).
pub fn filter() -> Vec<libc::sock_filter> {
    let n = TRAPPED.len() as u8;
    const _: () = assert!(TRAPPED.len() < 250, "jump offsets are 8 bits");
    let mut f = vec![stmt(BPF_LD_W_ABS, DATA_ARCH), jeq(AUDIT_ARCH_X86_64, 1, 0), stmt(BPF_RET_K, libc::SECCOMP_RET_ALLOW)];
    f.push(stmt(BPF_LD_W_ABS, DATA_NR));
    for (i, (nr, _)) in TRAPPED.iter().enumerate() {
        // Matched: jump over the remaining comparisons and the ALLOW to the TRACE.
        f.push(jeq(*nr as u32, n - i as u8, 0));
    }
    f.push(stmt(BPF_RET_K, libc::SECCOMP_RET_ALLOW));
    f.push(stmt(BPF_RET_K, libc::SECCOMP_RET_TRACE));
    f
}

/// Installs `filter` on the calling process. Called in the forked child before exec, so
/// only system calls: no allocation. Without CAP_SYS_ADMIN the kernel wants
/// no_new_privs first (EACCES): then it is set, which a root tool never notices.
///
/// # Safety
/// `filter` must stay alive for the call; nothing else.
pub unsafe fn install(filter: &[libc::sock_filter]) -> Result<(), libc::c_int> {
    let prog = libc::sock_fprog { len: filter.len() as u16, filter: filter.as_ptr().cast_mut() };
    let set = || unsafe { libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &prog as *const libc::sock_fprog) };
    if set() == 0 {
        return Ok(());
    }
    if *libc::__errno_location() == libc::EACCES && libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && set() == 0 {
        return Ok(());
    }
    Err(*libc::__errno_location())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the filter on (arch, nr) the way the kernel does: classic BPF over
    /// `struct seccomp_data`.
    fn verdict(f: &[libc::sock_filter], arch: u32, nr: u32) -> u32 {
        let (mut pc, mut acc) = (0usize, 0u32);
        loop {
            let i = f[pc];
            match i.code {
                BPF_LD_W_ABS => acc = if i.k == DATA_ARCH { arch } else { nr },
                BPF_JEQ_K => pc += if acc == i.k { i.jt } else { i.jf } as usize,
                BPF_RET_K => return i.k,
                c => panic!("opcode {c:#x}"),
            }
            pc += 1;
        }
    }

    #[test]
    fn only_the_calls_the_hook_serves_stop_the_tool() {
        let f = filter();
        for nr in [libc::SYS_bpf, libc::SYS_perf_event_open, libc::SYS_openat, libc::SYS_newfstatat, libc::SYS_faccessat2] {
            assert_eq!(verdict(&f, AUDIT_ARCH_X86_64, nr as u32), libc::SECCOMP_RET_TRACE, "{nr}");
        }
        for nr in [libc::SYS_read, libc::SYS_write, libc::SYS_ioctl, libc::SYS_mmap, libc::SYS_getpid, libc::SYS_close] {
            assert_eq!(verdict(&f, AUDIT_ARCH_X86_64, nr as u32), libc::SECCOMP_RET_ALLOW, "{nr}");
        }
        // i386's 357 is its bpf(); x86-64 numbers mean nothing there.
        assert_eq!(verdict(&f, 0x4000_0003, libc::SYS_bpf as u32), libc::SECCOMP_RET_ALLOW);
    }

    #[test]
    fn the_kernel_takes_the_filter() {
        // In a forked child, so the test process keeps no filter.
        // SAFETY: the child only makes system calls, then _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // With no tracer, SECCOMP_RET_TRACE answers ENOSYS without running the call.
            let ok = unsafe { install(&filter()) }.is_ok()
                && unsafe { libc::syscall(libc::SYS_bpf, 0, 0, 0) } == -1
                && unsafe { *libc::__errno_location() } == libc::ENOSYS
                && unsafe { libc::syscall(libc::SYS_getppid) } > 0;
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "status {status:#x}");
    }
}
