//! `bpfhook doctor`: one line per check, each failure or warning with its fix. Exit
//! status 1 when something blocks eBPF tools here (a `fail`), 0 otherwise.
//!
//! The checks read only what a tool itself would touch: bpf(2), /sys/module/bpfdrv,
//! /dev/bpfdrv (the protocol handshake), tracefs, the BTF file, RLIMIT_MEMLOCK. The
//! module is needed where the hook would use it: what `BPFHOOK_MODE` and the library's
//! own probe of bpf(2) decide (`mode_rule`, the same source).

use crate::btf_check as btf;
use crate::mode_rule::{self, KernelBpf, Mode, Requested, MODE_ENV};
use driver_protocol::{bpfdrv_hello, BPFDRV_IOC_HELLO, BPFDRV_PROTOCOL_VERSION};
use serde_json::json;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    pub fix: Option<String>,
}

fn check(name: &'static str, status: Status, detail: impl Into<String>, fix: Option<&str>) -> Check {
    Check { name, status, detail: detail.into(), fix: fix.map(str::to_owned) }
}

/// `name` Ok with `detail` if `ok`, else a warning: `problem`, and its `fix`.
fn ok_or_warn(name: &'static str, ok: bool, detail: impl Into<String>, problem: impl Into<String>, fix: &str) -> Check {
    if ok {
        check(name, Status::Ok, detail, None)
    } else {
        check(name, Status::Warn, problem, Some(fix))
    }
}

/// bpf(2) for the mode rule's probe: the process's own, as the tool's would be.
///
/// # Safety
/// As `mode_rule::BpfSyscall`.
unsafe fn libc_bpf(cmd: u32, attr: *mut u8, size: u32) -> Result<i64, i32> {
    let r = libc::syscall(libc::SYS_bpf, cmd as libc::c_long, attr, size as libc::c_long);
    if r < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(r)
    }
}

/// The hook's mode here: `BPFHOOK_MODE` as the hook reads it, applied to what the kernel's
/// bpf(2) answers this process.
pub struct ModeChoice {
    pub kernel: KernelBpf,
    pub mode: Mode,
    /// Which mode and why, e.g. "no bpf() (ENOSYS): auto mode uses bpfdrv".
    pub reason: String,
}

/// The mode the hook would pick in a tool started from here, and what `BPFHOOK_MODE`
/// asked for (None: a value that is not a mode, taken as auto).
pub fn hook_mode() -> (ModeChoice, Option<Requested>) {
    let kernel = mode_rule::probe(libc_bpf);
    let parsed = mode_rule::parse(std::env::var(MODE_ENV).ok().as_deref());
    let (mode, reason) = mode_rule::choose(parsed.unwrap_or(Requested::Auto), &kernel);
    (ModeChoice { kernel, mode, reason }, parsed)
}

/// The mode choice and the "kernel" check that reports it.
fn mode_choice(release: &str) -> (ModeChoice, Check) {
    let raw = std::env::var(MODE_ENV).ok();
    let (choice, parsed) = hook_mode();
    let mut detail = format!("{release}: {}", choice.reason);
    let unset = "unset BPFHOOK_MODE (auto mode uses bpfdrv here)";
    let (status, fix) = match (parsed, &choice.kernel) {
        (None, _) => {
            detail += &format!(" ({MODE_ENV}={:?} is not one of auto, driver, native, so auto)", raw.unwrap_or_default());
            (Status::Warn, Some("set BPFHOOK_MODE to auto, driver or native, or unset it"))
        }
        (Some(Requested::Native), KernelBpf::Absent) => (Status::Fail, Some(unset)),
        (Some(Requested::Native), KernelBpf::Insufficient(_)) => (Status::Warn, Some(unset)),
        (_, KernelBpf::NotPermitted(_)) => {
            (Status::Warn, Some("run doctor as root (as eBPF tools run) to learn whether this kernel's bpf() has global data and BTF"))
        }
        _ => (Status::Ok, None),
    };
    (choice, check("kernel", status, detail, fix))
}

fn device_path() -> PathBuf {
    std::env::var_os("BPFHOOK_DEVICE").filter(|p| !p.is_empty()).map(PathBuf::from).unwrap_or_else(|| "/dev/bpfdrv".into())
}

/// Open the device and shake hands: Ok(driver protocol version) or a failed check.
fn handshake(dev: &Path) -> Result<u32, (Status, String, &'static str)> {
    use std::os::unix::io::AsRawFd;
    let f = std::fs::OpenOptions::new().read(true).write(true).open(dev).map_err(|e| match e.raw_os_error() {
        Some(libc::EACCES) | Some(libc::EPERM) => (
            Status::Fail,
            format!("{}: permission denied for uid {}", dev.display(), unsafe { libc::geteuid() }),
            "run the tool as root, or install the bpfcompat udev rule (/dev/bpfdrv 0600 root)",
        ),
        _ => (Status::Fail, format!("cannot open {}: {e}", dev.display()), "load the module: modprobe bpfdrv"),
    })?;
    let mut hello =
        bpfdrv_hello { size: std::mem::size_of::<bpfdrv_hello>() as u32, version: BPFDRV_PROTOCOL_VERSION, ..Default::default() };
    // SAFETY: HELLO's size is that of bpfdrv_hello, exclusively borrowed.
    let r = unsafe { libc::ioctl(f.as_raw_fd(), BPFDRV_IOC_HELLO as libc::Ioctl, &mut hello as *mut bpfdrv_hello) };
    if r == 0 {
        return Ok(hello.driver_version);
    }
    let e = std::io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EPROTO) {
        Err((
            Status::Fail,
            format!("protocol mismatch: hook speaks {BPFDRV_PROTOCOL_VERSION}, module speaks {}", hello.driver_version),
            "install bpfcompat and bpfcompat-dkms of the same release, then rmmod bpfdrv; modprobe bpfdrv",
        ))
    } else {
        Err((
            Status::Fail,
            format!("{} did not answer the handshake: {e}", dev.display()),
            "is /dev/bpfdrv really bpfdrv's device? reload the module",
        ))
    }
}

fn mounted(fstype: &str) -> Option<String> {
    let m = std::fs::read_to_string("/proc/mounts").ok()?;
    m.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(2) == Some(&fstype)).then(|| f[1].to_string())
    })
}

/// The tracing directory tools use: tracefs (4.1+) or debugfs's tracing/ (3.10).
pub fn tracing_dir() -> Option<PathBuf> {
    ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"].iter().map(PathBuf::from).find(|p| p.join("events").is_dir())
}

pub fn run_checks() -> (Vec<Check>, ModeChoice) {
    let release = bpfhook_core::paths::kernel_release();
    let (choice, kernel) = mode_choice(&release);
    let mut c = vec![kernel];
    let native = choice.mode == Mode::Native;

    // The module and its device.
    let need = if native { Status::Warn } else { Status::Fail };
    let sys_module = Path::new("/sys/module/bpfdrv");
    if sys_module.is_dir() {
        let ver = std::fs::read_to_string(sys_module.join("version")).map(|v| v.trim().to_string()).unwrap_or_else(|_| "unknown".into());
        c.push(check("module", Status::Ok, format!("bpfdrv loaded, version {ver}"), None));
        c.push(engine_check(sys_module));
    } else if native {
        c.push(check("module", Status::Ok, "bpfdrv not loaded (not needed: the hook passes bpf() through to the kernel)", None));
    } else {
        c.push(check(
            "module",
            Status::Fail,
            "bpfdrv is not loaded",
            Some("modprobe bpfdrv (package bpfcompat-dkms builds it for this kernel)"),
        ));
    }
    let dev = device_path();
    match std::fs::metadata(&dev) {
        Ok(m) if m.file_type().is_char_device() => {
            let detail = format!("{} mode {:04o} uid {} gid {}", dev.display(), m.permissions().mode() & 0o7777, m.uid(), m.gid());
            match handshake(&dev) {
                Ok(v) => {
                    c.push(check("device", Status::Ok, detail, None));
                    c.push(check(
                        "protocol",
                        Status::Ok,
                        format!("module speaks protocol {v}, hook speaks {BPFDRV_PROTOCOL_VERSION}"),
                        None,
                    ));
                }
                Err((st, why, fix)) => {
                    let st = if native { Status::Warn } else { st };
                    c.push(check("device", st, format!("{detail}: {why}"), Some(fix)));
                }
            }
        }
        Ok(_) => c.push(check(
            "device",
            need,
            format!("{} is not a character device", dev.display()),
            Some("rm it and reload the module (udev recreates it)"),
        )),
        Err(_) if native => c.push(check("device", Status::Ok, format!("{} absent (not needed)", dev.display()), None)),
        Err(_) => c.push(check(
            "device",
            Status::Fail,
            format!("{} does not exist", dev.display()),
            Some("modprobe bpfdrv; check that udev created /dev/bpfdrv"),
        )),
    }

    // Tracing.
    match mounted("debugfs") {
        Some(p) => c.push(check("debugfs", Status::Ok, format!("mounted at {p}"), None)),
        None => c.push(check(
            "debugfs",
            Status::Warn,
            "not mounted (3.10 keeps tracing in debugfs; bpfhook stats reads it)",
            Some("mount -t debugfs none /sys/kernel/debug"),
        )),
    }
    let tracing = tracing_dir();
    match &tracing {
        Some(t) => c.push(check("tracefs", Status::Ok, format!("{}", t.display()), None)),
        None => c.push(check(
            "tracefs",
            Status::Fail,
            "no tracing directory with events/ (tracefs or debugfs not mounted)",
            Some("mount -t tracefs nodev /sys/kernel/tracing (4.1+) or mount -t debugfs none /sys/kernel/debug"),
        )),
    }
    let t = tracing.clone().unwrap_or_default();
    for (name, file, cfg) in
        [("kprobe_events", "kprobe_events", "CONFIG_KPROBE_EVENTS"), ("uprobe_events", "uprobe_events", "CONFIG_UPROBE_EVENTS")]
    {
        c.push(ok_or_warn(
            name,
            tracing.is_some() && t.join(file).exists(),
            format!("{}", t.join(file).display()),
            format!("{file} missing: tools using {} fail", &name[..6]),
            &format!("a kernel with {cfg}=y"),
        ));
    }
    c.push(ok_or_warn(
        "syscall_tracepoints",
        tracing.is_some() && t.join("events/syscalls/sys_enter_execve/id").exists(),
        "events/syscalls/sys_enter_execve present",
        "no syscalls tracepoints: execsnoop, opensnoop and other syscall tools fail",
        "a kernel with CONFIG_FTRACE_SYSCALLS=y",
    ));

    // BTF.
    c.push(btf_check(&release));

    // RLIMIT_MEMLOCK.
    let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: valid out pointer.
    unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut rl) };
    let root = unsafe { libc::geteuid() } == 0;
    let show = |v: libc::rlim_t| if v == libc::RLIM_INFINITY { "unlimited".to_string() } else { format!("{} KiB", v / 1024) };
    let detail = format!("soft {} hard {}", show(rl.rlim_cur), show(rl.rlim_max));
    c.push(ok_or_warn(
        "memlock",
        rl.rlim_cur == libc::RLIM_INFINITY || root || rl.rlim_cur >= 64 << 20,
        detail.clone(),
        format!("{detail}: libbpf cannot raise it without root"),
        "ulimit -l unlimited (or LimitMEMLOCK=infinity in the service)",
    ));

    // The hook library `bpfhook run` preloads.
    match crate::hook_library() {
        Ok(p) => c.push(check("hook", Status::Ok, format!("{}", p.display()), None)),
        Err(e) => c.push(check("hook", need, e, Some("install the bpfcompat package"))),
    }
    // What `bpfhook run` needs for tools LD_PRELOAD cannot reach (static, Go).
    match crate::launcher::usable() {
        Ok(detail) => c.push(check("launcher", Status::Ok, detail, None)),
        Err(why) if native => {
            c.push(check("launcher", Status::Ok, format!("not needed (the kernel's bpf() serves static tools): {why}"), None))
        }
        Err(why) => c.push(check(
            "launcher",
            Status::Warn,
            format!("static and Go tools cannot be served: {why}"),
            Some("dynamically linked tools are unaffected; for the others use a kernel with CONFIG_SECCOMP_FILTER and ptrace allowed"),
        )),
    }
    (c, choice)
}

/// Which engine runs the programs loaded from now on: native code (the module's jit
/// parameter) or the interpreter.
fn engine_check(sys_module: &Path) -> Check {
    let jit = std::fs::read_to_string(sys_module.join("parameters/jit")).map(|v| v.trim().to_string());
    match jit.as_deref() {
        Ok("Y") | Ok("1") => {
            check("engine", Status::Ok, "native x86-64 code (jit=1), the interpreter for programs it cannot compile", None)
        }
        Ok(_) => check("engine", Status::Ok, "the interpreter (jit=0; modprobe bpfdrv jit=1 for native code)", None),
        Err(_) => check("engine", Status::Ok, "the interpreter (this module has no native code)", None),
    }
}

fn btf_check(release: &str) -> Check {
    let sys = Path::new("/sys/kernel/btf/vmlinux");
    if sys.exists() {
        return check("btf", Status::Ok, "/sys/kernel/btf/vmlinux (the kernel's own)", None);
    }
    let path = std::env::var_os("BPFHOOK_BTF")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(bpfhook_core::paths::default_btf_path(release)));
    let fix_make = "make it from this kernel's debuginfo vmlinux: /usr/share/bpfcompat/make-btf.sh (see README, 'BTF for legacy hosts')";
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => return check("btf", Status::Fail, format!("{}: {e}: CO-RE tools cannot load", path.display()), Some(fix_make)),
    };
    let parsed = match btf::parse(&data) {
        Ok(b) => b,
        Err(e) => return check("btf", Status::Fail, format!("{}: {e}", path.display()), Some(fix_make)),
    };
    let banner = btf::read_banner(&path);
    let version = std::fs::read_to_string("/proc/version").unwrap_or_default();
    let sizes = btf::slab_object_sizes(Path::new("/sys/kernel/slab"));
    let duplicated = parsed.duplicated().map(|(name, n)| {
        format!(
            "; but it has {n} copies of struct {name} ({} MB): made from RHEL debuginfo and not normalized, every tool loads all of them",
            data.len() >> 20
        )
    });
    let fix_dup = format!("bpfhook btf normalize {0} {0}", path.display());
    match btf::matches_kernel(&parsed, banner.as_deref(), &version, &sizes) {
        btf::Match::Yes(how) if duplicated.is_some() => check(
            "btf",
            Status::Warn,
            format!("{} ({} types) matches {release}: {how}{}", path.display(), parsed.types, duplicated.unwrap_or_default()),
            Some(&fix_dup),
        ),
        btf::Match::Yes(how) => {
            check("btf", Status::Ok, format!("{} ({} types) matches {release}: {how}", path.display(), parsed.types), None)
        }
        btf::Match::No(why) => check("btf", Status::Fail, format!("{} is for another kernel: {why}", path.display()), Some(fix_make)),
        btf::Match::Unknown(why) => check(
            "btf",
            Status::Warn,
            format!("{} ({} types): {why}", path.display(), parsed.types),
            Some("regenerate with make-btf.sh (it also writes <file>.banner, the exact build check)"),
        ),
    }
}

pub fn main(as_json: bool) -> ExitCode {
    let (checks, choice) = run_checks();
    let usable = !checks.iter().any(|c| c.status == Status::Fail);
    if as_json {
        let v = json!({
            "kernel": bpfhook_core::paths::kernel_release(),
            "native_bpf": choice.kernel.exists(),
            "mode": match choice.mode { Mode::Native => "native", Mode::Driver => "driver" },
            "mode_reason": choice.reason,
            "usable": usable,
            "protocol": BPFDRV_PROTOCOL_VERSION,
            "checks": checks.iter().map(|c| json!({
                "check": c.name, "status": c.status.word(), "detail": c.detail, "fix": c.fix,
            })).collect::<Vec<_>>(),
        });
        println!("{v}");
    } else {
        for c in &checks {
            let tag = match c.status {
                Status::Ok => "[ ok ]",
                Status::Warn => "[warn]",
                Status::Fail => "[FAIL]",
            };
            match &c.fix {
                Some(f) if c.status != Status::Ok => println!("{tag} {:<20} {} -- fix: {f}", c.name, c.detail),
                _ => println!("{tag} {:<20} {}", c.name, c.detail),
            }
        }
        println!("verdict: {}", if usable { "eBPF tools can run here" } else { "BLOCKED: fix the [FAIL] lines above" });
    }
    if usable {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
