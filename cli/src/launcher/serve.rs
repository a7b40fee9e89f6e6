//! A trapped system call of a traced tool, answered as the preloaded hook answers it:
//! bpfhook-core's `bpf::serve` and `perf::serve` read the tool's attrs through
//! `Memory::of(tid)` and send their requests through a [`TraceePort`], which runs the
//! driver ioctl in the tool's thread, on the tool's own /dev/bpfdrv fd. The fds the
//! driver creates (maps, programs, links, perf events) are so the tool's own. Path
//! lookups get the hook's stand-ins (`paths::stand_in`), written into the tool.

use super::tracee::{Gone, Stopped};
use bpfhook_core::driver::{self, Port};
use bpfhook_core::pin;
use bpfhook_core::user_mem::Memory;
use driver_protocol::BPFDRV_IOC_HELLO;
use libc::{c_int, c_long, pid_t};
use std::collections::HashMap;

/// What a trapped system call is to the launcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Bpf,
    PerfEventOpen,
    /// A path lookup, the path in argument `n` (from 0): served like the hook's path
    /// functions (`paths::stand_in`: the kernel BTF file, pins, synthetic tracepoints).
    Path(usize),
    /// statfs(path, buf): bpffs's answer where pins are emulated (`pin::fill_statfs`).
    Statfs,
    /// unlink / unlinkat, the path in argument `n`: an emulated pin is unpinned.
    Unlink(usize),
}

/// The system calls the seccomp filter stops the tool at: what the preloaded hook takes
/// from libc's `syscall()` (bpf.rs, perf.rs) and the system calls behind the path
/// functions it interposes (paths.rs), which a static or Go tool makes itself.
pub const TRAPPED: &[(c_long, Call)] = &[
    (libc::SYS_bpf, Call::Bpf),
    (libc::SYS_perf_event_open, Call::PerfEventOpen),
    (libc::SYS_open, Call::Path(0)),
    (libc::SYS_openat, Call::Path(1)),
    (libc::SYS_stat, Call::Path(0)),
    (libc::SYS_lstat, Call::Path(0)),
    (libc::SYS_newfstatat, Call::Path(1)),
    (libc::SYS_statx, Call::Path(1)),
    (libc::SYS_access, Call::Path(0)),
    (libc::SYS_faccessat, Call::Path(1)),
    (libc::SYS_faccessat2, Call::Path(1)),
    (libc::SYS_statfs, Call::Statfs),
    (libc::SYS_unlink, Call::Unlink(0)),
    (libc::SYS_unlinkat, Call::Unlink(1)),
];

/// The driver as one traced process (thread group) has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriverFd {
    /// No bpf() yet: the hook opens the device on the first one.
    Unopened,
    /// Open and handshaken: the fd in the tool's fd table.
    Open(c_int),
    /// Could not be opened or did not answer; every bpf() fails with this errno (the
    /// reason was logged once).
    Unusable(c_int),
}

/// What the launcher keeps per traced process.
#[derive(Clone, Debug)]
pub struct Process {
    pub driver: DriverFd,
    /// One page per thread in the tool's memory where requests sit during an ioctl
    /// (threads trap at the same time); a thread's page is reused after it exits.
    scratch: HashMap<pid_t, u64>,
    free_scratch: Vec<u64>,
}

impl Process {
    pub fn new() -> Process {
        Process { driver: DriverFd::Unopened, scratch: HashMap::new(), free_scratch: Vec::new() }
    }

    /// A forked child: the same fds and a copy of the memory, so the same driver fd; its
    /// threads start without pages (the parent's are at the same addresses in the copy,
    /// unused: a page each).
    pub fn forked(&self) -> Process {
        Process {
            driver: self.driver,
            scratch: HashMap::new(),
            free_scratch: self.scratch.values().chain(&self.free_scratch).copied().collect(),
        }
    }

    pub fn thread_exited(&mut self, tid: pid_t) {
        if let Some(page) = self.scratch.remove(&tid) {
            self.free_scratch.push(page);
        }
    }
}

/// Size of a thread's request page: every protocol request struct fits.
const SCRATCH_LEN: usize = 4096;

/// The driver of a traced thread: requests copied into its page, the ioctl run in it.
struct TraceePort<'a> {
    t: &'a mut Stopped,
    fd: c_int,
    page: u64,
    /// Set when the thread vanished during an ioctl.
    gone: Option<Gone>,
}

impl Port for TraceePort<'_> {
    fn ioctl_bytes(&mut self, request: u32, arg: &mut [u8]) -> Result<c_long, c_int> {
        let mem = Memory::of(self.t.tid);
        mem.write(self.page as usize, arg)?;
        match self.t.syscall(libc::SYS_ioctl, &[self.fd as u64, request as u64, self.page]) {
            Ok(r) if r < 0 => Err(-r as c_int),
            Ok(r) => {
                mem.read(self.page as usize, arg)?;
                Ok(r as c_long)
            }
            Err(g) => {
                self.gone = Some(g);
                Err(libc::ESRCH)
            }
        }
    }
}

/// The raw result a failed call returns in rax.
fn failed(errno: c_int) -> i64 {
    -(errno as i64)
}

/// The thread's request page, mapped in the tool on first use.
fn page_of(p: &mut Process, t: &mut Stopped) -> Result<Result<u64, c_int>, Gone> {
    if let Some(&page) = p.scratch.get(&t.tid) {
        return Ok(Ok(page));
    }
    let page = match p.free_scratch.pop() {
        Some(page) => page,
        None => {
            let prot = (libc::PROT_READ | libc::PROT_WRITE) as u64;
            let flags = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as u64;
            let r = t.syscall(libc::SYS_mmap, &[0, SCRATCH_LEN as u64, prot, flags, u64::MAX, 0])?;
            if r < 0 {
                log::error!("cannot map a page in the tool for its driver requests: {}", std::io::Error::from_raw_os_error(-r as i32));
                return Ok(Err(-r as c_int));
            }
            r as u64
        }
    };
    p.scratch.insert(t.tid, page);
    Ok(Ok(page))
}

/// Opens /dev/bpfdrv in the tool and shakes hands, as the hook's `driver::get` does in
/// its own process, with the same log lines and errnos.
fn open_driver(t: &mut Stopped, page: u64) -> Result<DriverFd, Gone> {
    let path = driver::device_path();
    if let Err(e) = Memory::of(t.tid).write(page as usize, path.as_bytes_with_nul()) {
        log::error!("cannot write to the tool's memory: {}", std::io::Error::from_raw_os_error(e));
        return Ok(DriverFd::Unusable(libc::ENOSYS));
    }
    let flags = (libc::O_RDWR | libc::O_CLOEXEC) as u64;
    let fd = t.syscall(libc::SYS_openat, &[libc::AT_FDCWD as u64, page, flags])?;
    if fd < 0 {
        let e = -fd as c_int;
        log::error!("{}", driver::open_failure_message(&path, e));
        return Ok(DriverFd::Unusable(driver::open_failure_errno(e)));
    }
    let mut hello = driver::hello_request();
    let mut port = TraceePort { t, fd: fd as c_int, page, gone: None };
    let r = driver::ioctl(&mut port, BPFDRV_IOC_HELLO, &mut hello);
    if let Some(g) = port.gone {
        return Err(g);
    }
    match r {
        Ok(_) => {
            log::debug!("{}: bpfdrv protocol version {} (fd {fd} of the tool)", path.to_string_lossy(), hello.driver_version);
            Ok(DriverFd::Open(fd as c_int))
        }
        Err(e) => {
            log::error!("{}", driver::handshake_failure_message(&path, e, &hello));
            t.syscall(libc::SYS_close, &[fd as u64])?;
            Ok(DriverFd::Unusable(libc::ENOSYS))
        }
    }
}

/// Answers the call thread `t` of process `p` trapped, and resumes the thread.
pub fn trapped(p: &mut Process, t: Stopped) -> Result<(), Gone> {
    let nr = t.call().0;
    match TRAPPED.iter().find(|(n, _)| *n == nr).map(|(_, c)| *c) {
        Some(Call::Bpf) => bpf_or_perf(p, t, true),
        Some(Call::PerfEventOpen) => bpf_or_perf(p, t, false),
        Some(Call::Path(arg)) => path(p, t, arg),
        Some(Call::Statfs) => statfs(t),
        Some(Call::Unlink(arg)) => unlink(p, t, arg),
        // Not one of ours (the filter traps only these): the kernel's.
        None => t.pass(),
    }
}

/// Whether the kernel has system call `nr`, as the tool sees it (a seccomp filter the
/// launcher runs under is the tool's too): called with bad pointers, an existing path
/// call fails with EFAULT or EBADF, a missing one with ENOSYS. Probed once per call.
fn kernel_has(nr: c_long) -> bool {
    static KNOWN: std::sync::Mutex<Vec<(c_long, bool)>> = std::sync::Mutex::new(Vec::new());
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&(_, has)) = known.iter().find(|(n, _)| *n == nr) {
        return has;
    }
    // SAFETY: every path call takes a pointer or a directory fd first; -1 and NULL fail
    // before anything is looked up or changed.
    let r = unsafe { libc::syscall(nr, -1 as c_long, 0 as c_long, 0 as c_long, 0 as c_long, 0 as c_long) };
    let has = !(r == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ENOSYS));
    known.push((nr, has));
    has
}

/// A path lookup: with the path the hook would serve instead, if any, written into the
/// thread's page and the call made again with it; else the kernel's.
fn path(p: &mut Process, mut t: Stopped, arg: usize) -> Result<(), Gone> {
    let (nr, mut a) = t.call();
    // A call newer than the kernel (faccessat2 and statx on 3.10, which glibc tries
    // first) is the kernel's ENOSYS, and must not be run again: 3.10 gives no
    // syscall-exit stop for a number past its table, so it would never be seen to end.
    if !kernel_has(nr) {
        return t.pass();
    }
    let mut buf = [0u8; bpfhook_core::paths::PATH_BUF];
    // Unreadable or too long: the kernel's own answer (EFAULT, ENAMETOOLONG).
    let Some(served) = Memory::of(t.tid).read_c_str(a[arg] as usize, &mut buf).and_then(bpfhook_core::paths::stand_in) else {
        return t.pass();
    };
    let page = match page_of(p, &mut t)? {
        Ok(page) => page,
        Err(e) => return t.finish(failed(e)),
    };
    let served = in_the_tool(served);
    if let Err(e) = Memory::of(t.tid).write(page as usize, &served) {
        return t.finish(failed(e));
    }
    a[arg] = page;
    let r = t.syscall(nr, &a)?;
    t.finish(r)
}

/// The string at `addr` in the tool is a path under /sys/fs/bpf where pins are emulated.
fn emulated_pin(t: &Stopped, addr: u64) -> bool {
    let mut buf = [0u8; bpfhook_core::paths::PATH_BUF];
    Memory::of(t.tid).read_c_str(addr as usize, &mut buf).is_some_and(pin::emulated)
}

/// statfs of the emulated bpffs: its answer written into the tool, no call made.
fn statfs(t: Stopped) -> Result<(), Gone> {
    let a = t.call().1;
    if !emulated_pin(&t, a[0]) {
        return t.pass();
    }
    let r = pin::fill_statfs(Memory::of(t.tid), a[1] as usize);
    t.finish(r.map_or_else(failed, |()| 0))
}

/// unlink of an emulated pin: unpinned through the tool's driver fd (the path is read
/// by the driver from the tool's memory, where it is).
fn unlink(p: &mut Process, mut t: Stopped, arg: usize) -> Result<(), Gone> {
    let a = t.call().1;
    if !emulated_pin(&t, a[arg]) {
        return t.pass();
    }
    let (fd, page) = match driver_of(p, &mut t)? {
        Ok(d) => d,
        Err(e) => return t.finish(failed(e)),
    };
    let mut port = TraceePort { t: &mut t, fd, page, gone: None };
    let r = pin::unpin_via(&mut port, a[arg]);
    if let Some(g) = port.gone {
        return Err(g);
    }
    t.finish(r.map_or_else(failed, |()| 0))
}

/// The tool's driver fd and the thread's request page, the device opened in the tool on
/// first use; or the errno every driver request of this process fails with.
fn driver_of(p: &mut Process, t: &mut Stopped) -> Result<Result<(c_int, u64), c_int>, Gone> {
    let page = match page_of(p, t)? {
        Ok(page) => page,
        Err(e) => return Ok(Err(e)),
    };
    if p.driver == DriverFd::Unopened {
        p.driver = open_driver(t, page)?;
    }
    Ok(match p.driver {
        DriverFd::Open(fd) => Ok((fd, page)),
        DriverFd::Unusable(e) => Err(e),
        DriverFd::Unopened => unreachable!("opened above"),
    })
}

/// A stand-in path as the tool must name it (NUL-terminated): the kernel BTF with added
/// types is an anonymous file of this process (`/proc/self/fd/N`, btf_extra.rs), which
/// the tool reaches as `/proc/<our pid>/fd/N` while we trace it.
fn in_the_tool(served: &std::ffi::CStr) -> Vec<u8> {
    match served.to_bytes().strip_prefix(b"/proc/self/") {
        Some(rest) => [format!("/proc/{}/", std::process::id()).as_bytes(), rest, b"\0"].concat(),
        None => served.to_bytes_with_nul().to_vec(),
    }
}

fn bpf_or_perf(p: &mut Process, mut t: Stopped, is_bpf: bool) -> Result<(), Gone> {
    let (nr, a) = t.call();
    // perf_event_open goes to the driver only once the process uses it, as in the hook.
    if !is_bpf && !matches!(p.driver, DriverFd::Open(_)) {
        return t.pass();
    }
    let (fd, page) = match driver_of(p, &mut t)? {
        Ok(d) => d,
        // perf_event_open found the device open: only its page can fail.
        Err(e) => return t.finish(failed(if is_bpf { e } else { libc::ENOMEM })),
    };
    let mem = Memory::of(t.tid);
    let [a1, a2, a3, a4, a5, _] = a.map(|v| v as c_long);
    let mut port = TraceePort { t: &mut t, fd, page, gone: None };
    let answer = if is_bpf {
        Some(bpfhook_core::bpf::serve(mem, &mut port, a1, a2, a3))
    } else {
        bpfhook_core::perf::serve(mem, &mut port, a1, a2, a3, a4, a5)
    };
    if let Some(g) = port.gone {
        return Err(g);
    }
    match answer {
        Some(Ok(v)) => t.finish(v),
        Some(Err(e)) => t.finish(failed(e)),
        // A perf event the kernel keeps: its own perf_event_open runs.
        None if t.ran() => {
            let r = t.syscall(nr, &a)?;
            t.finish(r)
        }
        None => t.pass(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stand_ins_in_our_proc_dir_name_our_pid() {
        let me = std::process::id();
        assert_eq!(in_the_tool(c"/proc/self/fd/7"), format!("/proc/{me}/fd/7\0").into_bytes());
        assert_eq!(in_the_tool(c"/var/lib/bpfhook/btf/x.btf"), b"/var/lib/bpfhook/btf/x.btf\0");
    }

    #[test]
    fn every_trapped_call_has_one_descriptor() {
        let mut nrs: Vec<_> = TRAPPED.iter().map(|(n, _)| *n).collect();
        nrs.sort();
        nrs.dedup();
        assert_eq!(nrs.len(), TRAPPED.len());
    }
}
