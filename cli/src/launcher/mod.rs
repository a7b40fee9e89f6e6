//! `bpfhook run`'s launcher for tools LD_PRELOAD cannot reach: statically linked programs
//! and Go programs that make raw system calls (cilium/ebpf).
//!
//! The tool runs under a seccomp filter that stops it only at bpf(), perf_event_open()
//! and the path lookups the hook serves ([`seccomp`], `serve::TRAPPED`); the launcher is its tracer (PTRACE_SEIZE, following every thread, fork,
//! clone and exec) and answers each stop with the preloaded hook's own functions
//! ([`serve`]), the driver ioctls running in the tool's threads ([`tracee`]). Every other
//! system call runs without a stop. Signals reach the tool as without the launcher; its
//! exit status is the launcher's.
//!
//! Works from Linux 3.5 (seccomp filters; PTRACE_SEIZE is 3.4); not where the tool is
//! already traced (strace, gdb), which is refused.

pub mod seccomp;
mod serve;
mod tracee;

use serve::Process;
use std::collections::HashMap;
use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};
use tracee::{ptrace, Gone, Stopped};

const OPTIONS: libc::c_int = libc::PTRACE_O_TRACESECCOMP
    | libc::PTRACE_O_TRACECLONE
    | libc::PTRACE_O_TRACEFORK
    | libc::PTRACE_O_TRACEVFORK
    | libc::PTRACE_O_TRACEEXEC
    | libc::PTRACE_O_TRACESYSGOOD;

/// Signals that, sent to the launcher by another process (kill, a service manager), go on
/// to the tool. From a terminal they reach the whole process group, the tool included, so
/// those are not sent again.
const FORWARDED: &[libc::c_int] = &[libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT, libc::SIGUSR1, libc::SIGUSR2];

static PENDING_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let code = unsafe { (*info).si_code };
    // SI_USER (0), SI_QUEUE (-1), SI_TKILL (-6): sent by a process, not by the tty.
    if code <= 0 {
        PENDING_SIGNAL.store(sig, Ordering::Relaxed);
    }
}

fn install_forwarding() {
    for &sig in FORWARDED {
        // SAFETY: a plain sigaction with a handler that only stores an atomic; no
        // SA_RESTART, so the launcher's waitpid returns EINTR and forwards the signal.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// How the child reports what failed before it could run the tool: (step, errno).
const STEP_SECCOMP: i32 = 1;
const STEP_EXEC: i32 = 2;

/// Forks the child that installs the filter, stops until the launcher has seized it,
/// and execs the tool. Returns its pid and the read end of its error pipe.
fn spawn(tool: &[OsString]) -> Result<(libc::pid_t, libc::c_int), String> {
    let args: Vec<CString> =
        tool.iter().map(|a| CString::new(a.as_bytes())).collect::<Result<_, _>>().map_err(|_| "an argument holds a NUL byte")?;
    let mut argv: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let filter = seccomp::filter();
    let mut pipe = [0; 2];
    // SAFETY: a two-int array.
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("pipe: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: the child makes only system calls (no allocation, no locks) until exec.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        // SAFETY: the child: system calls on what was prepared before fork, then exec or _exit.
        unsafe {
            let report = |step: i32, e: i32| {
                let msg = [step, e];
                libc::write(pipe[1], msg.as_ptr().cast(), std::mem::size_of_val(&msg));
            };
            libc::close(pipe[0]);
            if let Err(e) = seccomp::install(&filter) {
                report(STEP_SECCOMP, e);
                libc::_exit(126);
            }
            // Stopped until the launcher is its tracer: the filter's first trap must
            // find one (without a tracer, SECCOMP_RET_TRACE fails the call with ENOSYS).
            libc::kill(libc::getpid(), libc::SIGSTOP);
            libc::execvp(argv[0], argv.as_ptr());
            let e = *libc::__errno_location();
            report(STEP_EXEC, e);
            libc::_exit(if e == libc::ENOENT { 127 } else { 126 });
        }
    }
    // SAFETY: our own fd.
    unsafe { libc::close(pipe[1]) };
    Ok((pid, pipe[0]))
}

/// What the child reported before exiting, if anything.
fn child_error(fd: libc::c_int) -> Option<(i32, i32)> {
    let mut msg = [0i32; 2];
    // SAFETY: our own fd and buffer; the write end is closed (exec or exit), so no block.
    let n = unsafe { libc::read(fd, msg.as_mut_ptr().cast(), std::mem::size_of_val(&msg)) };
    (n == std::mem::size_of_val(&msg) as isize).then_some((msg[0], msg[1]))
}

fn waitpid(pid: libc::pid_t, flags: libc::c_int) -> Result<(libc::pid_t, libc::c_int), libc::c_int> {
    let mut status = 0;
    // SAFETY: our own status word.
    let r = unsafe { libc::waitpid(pid, &mut status, flags) };
    if r < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::ECHILD))
    } else {
        Ok((r, status))
    }
}

/// The tool's threads and processes as the launcher follows them.
struct Tracees {
    main: libc::pid_t,
    main_status: Option<libc::c_int>,
    entry_stop_first: bool,
    procs: HashMap<libc::pid_t, Process>,
    tgid: HashMap<libc::pid_t, libc::pid_t>,
}

impl Tracees {
    fn tgid(&mut self, tid: libc::pid_t) -> libc::pid_t {
        *self.tgid.entry(tid).or_insert_with(|| tracee::tgid_of(tid).unwrap_or(tid))
    }

    fn ended(&mut self, tid: libc::pid_t, status: libc::c_int) {
        if tid == self.main {
            self.main_status = Some(status);
        }
        let tgid = self.tgid.remove(&tid).unwrap_or(tid);
        if let Some(p) = self.procs.get_mut(&tgid) {
            p.thread_exited(tid);
        }
        if tid == tgid {
            self.procs.remove(&tgid);
        }
    }

    /// A new task from a fork, vfork or clone of `parent`.
    fn born(&mut self, parent: libc::pid_t, child: libc::pid_t) {
        let ptgid = self.tgid(parent);
        let ctgid = self.tgid(child);
        if ctgid != ptgid {
            let p = self.procs.get(&ptgid).map_or_else(Process::new, Process::forked);
            self.procs.insert(ctgid, p);
        }
    }

    fn trapped(&mut self, tid: libc::pid_t) {
        let tgid = self.tgid(tid);
        let result = match Stopped::new(tid, self.entry_stop_first) {
            Ok(t) => serve::trapped(self.procs.entry(tgid).or_insert_with(Process::new), t),
            Err(e) => Err(Gone::Lost(e)),
        };
        match result {
            Ok(()) => {}
            Err(Gone::Ended(status)) => self.ended(tid, status),
            Err(Gone::Lost(e)) => log::debug!("thread {tid} lost while serving its call: {}", std::io::Error::from_raw_os_error(e)),
        }
    }

    /// One ptrace stop of `tid`: handled, and the thread resumed.
    fn stopped(&mut self, tid: libc::pid_t, status: libc::c_int) {
        let sig = libc::WSTOPSIG(status);
        let event = status >> 16;
        let resume = |sig: libc::c_int| {
            let _ = ptrace(libc::PTRACE_CONT, tid, 0, sig as usize);
        };
        match event {
            libc::PTRACE_EVENT_SECCOMP => self.trapped(tid),
            libc::PTRACE_EVENT_CLONE | libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK => {
                let mut child: libc::c_ulong = 0;
                if ptrace(libc::PTRACE_GETEVENTMSG, tid, 0, &mut child as *mut _ as usize).is_ok() {
                    self.born(tid, child as libc::pid_t);
                }
                resume(0);
            }
            libc::PTRACE_EVENT_EXEC => {
                // A new program: the driver fd (O_CLOEXEC) and the pages are gone. A
                // thread other than the leader that execs takes the leader's pid.
                let tgid = tracee::tgid_of(tid).unwrap_or(tid);
                self.tgid.retain(|_, g| *g != tgid);
                self.procs.insert(tgid, Process::new());
                resume(0);
            }
            // Group-stop (SIGSTOP, ^Z): stay stopped until SIGCONT, as without a tracer.
            libc::PTRACE_EVENT_STOP if [libc::SIGSTOP, libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU].contains(&sig) => {
                let _ = ptrace(libc::PTRACE_LISTEN, tid, 0, 0);
            }
            // A new task's first stop, or an interrupt.
            libc::PTRACE_EVENT_STOP => resume(0),
            // A signal for the tool: delivered.
            0 if sig != (libc::SIGTRAP | 0x80) => resume(sig),
            _ => resume(0),
        }
    }
}

/// Whether the launcher can work here (`bpfhook doctor`): a seccomp filter installs, and
/// Yama lets a process trace its child. Ok: what was found; Err: what is missing.
pub fn usable() -> Result<String, String> {
    let scope = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope").ok().map(|s| s.trim().to_string());
    if scope.as_deref() == Some("3") {
        return Err("kernel.yama.ptrace_scope = 3 forbids ptrace until reboot".into());
    }
    let filter = seccomp::filter();
    // In a forked child, so this process keeps no filter.
    // SAFETY: the child only makes system calls, then _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: as above.
        unsafe { libc::_exit(seccomp::install(&filter).err().unwrap_or(0)) };
    }
    let errno = match waitpid(pid, 0) {
        Ok((_, st)) if libc::WIFEXITED(st) => libc::WEXITSTATUS(st),
        _ => libc::ECHILD,
    };
    if errno != 0 {
        return Err(format!(
            "seccomp filters are unavailable ({}): this kernel lacks CONFIG_SECCOMP_FILTER",
            std::io::Error::from_raw_os_error(errno)
        ));
    }
    let scope = scope.map_or_else(String::new, |s| format!(", kernel.yama.ptrace_scope = {s}"));
    Ok(format!("seccomp filters and ptrace usable{scope}: static and Go tools are served by tracing them"))
}

/// Runs `tool` under the launcher; its exit status (or its death by signal) is ours.
pub fn run(tool: &[OsString]) -> ExitCode {
    bpfhook_core::logging::init();
    let name = tool[0].to_string_lossy().into_owned();
    let (pid, errors) = match spawn(tool) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bpfhook run: cannot start {name}: {e}");
            return ExitCode::from(126);
        }
    };
    match waitpid(pid, libc::WUNTRACED) {
        Ok((_, st)) if libc::WIFSTOPPED(st) => {}
        Ok(_) => return exec_failure(&name, errors, 126),
        Err(e) => {
            eprintln!("bpfhook run: waiting for {name}: {}", std::io::Error::from_raw_os_error(e));
            return ExitCode::from(126);
        }
    }
    if let Err(e) = ptrace(libc::PTRACE_SEIZE, pid, 0, OPTIONS as usize) {
        // SAFETY: our own child.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        if e == libc::EPERM {
            eprintln!(
                "bpfhook run: cannot trace {name}: it is already traced (strace, gdb) or tracing is not allowed here \
                 (kernel.yama.ptrace_scope = 3); the launcher must be its tracer to serve its bpf() calls"
            );
        } else {
            eprintln!("bpfhook run: cannot trace {name}: {}", std::io::Error::from_raw_os_error(e));
        }
        return ExitCode::from(126);
    }
    install_forwarding();
    // SAFETY: our own child, stopped by itself.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    let mut t = Tracees {
        main: pid,
        main_status: None,
        entry_stop_first: tracee::entry_stop_follows_seccomp_stop(),
        procs: HashMap::new(),
        tgid: HashMap::new(),
    };
    loop {
        let sig = PENDING_SIGNAL.swap(0, Ordering::Relaxed);
        if sig != 0 && t.main_status.is_none() {
            // SAFETY: the tool's pid, which it keeps while we trace it (not reaped).
            unsafe { libc::kill(pid, sig) };
        }
        match waitpid(-1, libc::__WALL) {
            Err(libc::EINTR) => continue,
            Err(_) => break, // ECHILD: every tracee is gone.
            Ok((tid, st)) if libc::WIFSTOPPED(st) => t.stopped(tid, st),
            Ok((tid, st)) => t.ended(tid, st),
        }
    }
    match t.main_status {
        Some(st) if libc::WIFEXITED(st) => {
            let code = libc::WEXITSTATUS(st);
            if code >= 126 {
                if let Some(failure) = child_error_message(&name, errors) {
                    eprintln!("{failure}");
                }
            }
            ExitCode::from(code as u8)
        }
        Some(st) if libc::WIFSIGNALED(st) => die_like(libc::WTERMSIG(st)),
        _ => ExitCode::from(1),
    }
}

fn child_error_message(name: &str, errors: libc::c_int) -> Option<String> {
    let (step, e) = child_error(errors)?;
    let err = std::io::Error::from_raw_os_error(e);
    Some(match step {
        STEP_SECCOMP => format!("bpfhook run: cannot install the seccomp filter that serves {name}: {err}"),
        _ => format!("bpfhook run: cannot run {name}: {err}"),
    })
}

fn exec_failure(name: &str, errors: libc::c_int, code: u8) -> ExitCode {
    match child_error_message(name, errors) {
        Some(m) => eprintln!("{m}"),
        None => eprintln!("bpfhook run: {name} ended before it started"),
    }
    ExitCode::from(code)
}

/// Ends the launcher by the signal that ended the tool, so that whoever waits for us sees
/// what they would have seen without the launcher.
fn die_like(sig: libc::c_int) -> ExitCode {
    // SAFETY: default action for `sig`, then raise it in ourselves.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
    ExitCode::from(128 + sig as u8)
}
