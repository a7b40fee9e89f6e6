//! `bpfhook run`'s launcher (seccomp + ptrace) on this host, in driver mode
//! (`BPFHOOK_MODE=driver`) with no driver behind the device: a static program's bpf()
//! calls are trapped and answered as the hook answers them there (ENOSYS, one log line),
//! and the launcher is otherwise invisible: exit status, death by signal, signals sent to
//! it, a missing tool, a tool someone else traces. The guest tests
//! (tests/tests/guest_launcher.rs) run the same program against the real driver.

#[path = "../../hook/preload/tests/common/mod.rs"]
mod common;

use common::{clean, hook_lib, run_with_limit, text};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

const BPFHOOK: &str = env!("CARGO_BIN_EXE_bpfhook");
const LIMIT: Duration = Duration::from_secs(60);

/// `bpfhook run [--trace] -- TOOL...` in driver mode, the device missing.
fn launcher(trace: bool, tool: &[&str]) -> Command {
    let mut cmd = clean(BPFHOOK);
    cmd.arg("run");
    if trace {
        cmd.arg("--trace");
    }
    cmd.arg("--").args(tool);
    cmd.env("BPFHOOK_LIB", hook_lib()).env("BPFHOOK_MODE", "driver").env("BPFHOOK_DEVICE", "/nonexistent/bpfdrv");
    cmd
}

/// tests/guest/static_bpf.c linked statically against musl; None (skipped) without musl-gcc.
fn static_program() -> Option<PathBuf> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/guest/static_bpf.c");
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("static_bpf");
    match Command::new("musl-gcc").args(["-static", "-O2", "-pthread", "-o"]).arg(&out).arg(&src).status() {
        Ok(s) if s.success() => Some(out),
        Ok(s) => panic!("musl-gcc {}: {s}", src.display()),
        Err(e) if std::env::var_os("CI").is_some() => panic!("musl-gcc (apt-get install musl-tools): {e}"),
        Err(e) => {
            eprintln!("skipped: musl-gcc (apt-get install musl-tools): {e}");
            None
        }
    }
}

#[test]
fn a_static_programs_bpf_calls_are_served_as_the_hook_serves_them() {
    let Some(prog) = static_program() else { return };
    // Natively, on this host's own bpf(): the map is created.
    let native = run_with_limit(clean(&prog).arg("/nonexistent"), LIMIT);
    assert!(text(&native.stdout).contains("update: 0"), "native run: {}", text(&native.stdout));
    // Under the launcher its raw bpf() goes where the hook sends bpf(): the missing driver.
    let out = run_with_limit(&mut launcher(false, &[prog.to_str().unwrap(), "/nonexistent"]), LIMIT);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(stdout.trim(), "array map: Function not implemented", "stderr: {stderr}");
    assert_eq!(out.status.code(), Some(1), "the tool's own exit status; stderr: {stderr}");
    let said = stderr.matches("/nonexistent/bpfdrv is missing: the bpfdrv kernel module is not loaded").count();
    assert_eq!(said, 1, "one line says why, once per process: {stderr}");
}

#[test]
fn exit_status_and_death_by_signal_are_the_tools() {
    let out = run_with_limit(&mut launcher(true, &["sh", "-c", "echo hi; exit 3"]), LIMIT);
    assert_eq!((out.status.code(), text(&out.stdout).trim()), (Some(3), "hi"), "{}", text(&out.stderr));
    let out = run_with_limit(&mut launcher(true, &["sh", "-c", "kill -TERM $$"]), LIMIT);
    assert_eq!(out.status.signal(), Some(libc::SIGTERM), "{:?} {}", out.status, text(&out.stderr));
}

#[test]
fn a_signal_sent_to_the_launcher_reaches_the_tool() {
    let script = "trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.05; done";
    let mut child = launcher(true, &["sh", "-c", script]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 6];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    assert_eq!(&first, b"ready\n");
    // SAFETY: our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!((status.code(), rest.trim()), (Some(7), "got TERM"));
}

#[test]
fn a_missing_tool_and_a_traced_one_get_one_clear_line() {
    let out = run_with_limit(&mut launcher(true, &["/nonexistent/tool"]), LIMIT);
    assert_eq!(out.status.code(), Some(127));
    assert!(text(&out.stderr).contains("bpfhook run: cannot run /nonexistent/tool: No such file"), "{}", text(&out.stderr));

    if Command::new("strace").arg("-V").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "strace is missing (apt-get install strace)");
        eprintln!("skipped: strace is missing");
        return;
    }
    // strace -f traces the launcher's child from its fork: the launcher cannot.
    let cmd = launcher(true, &["true"]);
    let mut strace = clean("strace");
    strace.args(["-f", "-o", "/dev/null", BPFHOOK]).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            strace.env(k, v);
        }
    }
    let out = run_with_limit(&mut strace, LIMIT);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(126), "{stderr}");
    assert!(stderr.contains("cannot trace true: it is already traced (strace, gdb)"), "{stderr}");
}

/// Debian's static busybox; None (skipped) where it is missing.
fn static_busybox() -> Option<&'static str> {
    let found = ["/bin/busybox", "/usr/bin/busybox"].into_iter().find(|p| std::path::Path::new(p).exists());
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "busybox is missing (apt-get install busybox-static)");
        eprintln!("skipped: busybox is missing");
    }
    found
}

#[test]
fn a_static_tools_statfs_and_unlink_serve_pins_and_leave_other_paths_alone() {
    let Some(busybox) = static_busybox() else { return };
    // The launcher stops the tool at every statfs and unlink to serve pins under
    // /sys/fs/bpf; everywhere else the kernel's call must run unchanged.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("launcher-unlink");
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("a"), dir.join("b"));
    std::fs::write(&a, "a").unwrap();
    std::fs::write(&b, "b").unwrap();
    let script = format!(
        "{bb} rm {a} && {bb} unlink {b} && {bb} stat -f -c %t {dir}",
        bb = busybox,
        a = a.display(),
        b = b.display(),
        dir = dir.display()
    );
    let native = run_with_limit(clean(busybox).args(["sh", "-c", &script]), LIMIT);
    std::fs::write(&a, "a").unwrap();
    std::fs::write(&b, "b").unwrap();
    let traced = run_with_limit(&mut launcher(false, &[busybox, "sh", "-c", &script]), LIMIT);
    assert!(traced.status.success(), "{}", text(&traced.stderr));
    assert!(!a.exists() && !b.exists(), "rm and unlink removed the files");
    assert_eq!(text(&traced.stdout), text(&native.stdout), "the filesystem's own statfs type");
    assert_ne!(text(&traced.stdout).trim(), "cafe4a11", "not bpffs's magic");

    // Where no bpffs is mounted the launcher makes /sys/fs/bpf one, and unlink there is an
    // unpin: here it reaches the missing driver (ENOSYS and its one line).
    let host = run_with_limit(clean(busybox).args(["stat", "-f", "-c", "%t", "/sys/fs/bpf"]), LIMIT);
    if text(&host.stdout).trim() == "cafe4a11" {
        eprintln!("skipped the emulated half: this host has bpffs mounted at /sys/fs/bpf");
        return;
    }
    let served = run_with_limit(&mut launcher(false, &[busybox, "stat", "-f", "-c", "%t", "/sys/fs/bpf"]), LIMIT);
    assert_eq!(text(&served.stdout).trim(), "cafe4a11", "{}", text(&served.stderr));
    let unpin = run_with_limit(&mut launcher(false, &[busybox, "unlink", "/sys/fs/bpf/nothing"]), LIMIT);
    let stderr = text(&unpin.stderr);
    assert!(stderr.contains("can't remove file '/sys/fs/bpf/nothing': Function not implemented"), "{stderr}");
    assert_eq!(stderr.matches("the bpfdrv kernel module is not loaded").count(), 1, "{stderr}");
}

#[test]
fn a_static_tool_finds_the_kernel_btf_the_hook_serves() {
    let Some(busybox) = static_busybox() else { return };
    let real = "/sys/kernel/btf/vmlinux";
    if !std::path::Path::new(real).exists() {
        eprintln!("skipped: this host has no {real} to serve in place of a missing path");
        return;
    }
    // The path a kernel without BTF lacks, and the file the hook serves there.
    let virt = "/nonexistent/btf/vmlinux";
    let cat = |cmd: &mut Command| {
        cmd.env("BPFHOOK_SYS_BTF_PATH", virt).env("BPFHOOK_BTF", real);
        run_with_limit(cmd, LIMIT)
    };
    let plain = cat(clean(busybox).args(["head", "-c", "2", virt]));
    assert!(!plain.status.success(), "{virt} exists?");
    let served = cat(&mut launcher(false, &[busybox, "head", "-c", "2", virt]));
    assert!(served.status.success(), "{}", text(&served.stderr));
    assert_eq!(served.stdout, [0x9f, 0xeb], "raw BTF's magic, little-endian");
    let stat = cat(&mut launcher(false, &[busybox, "stat", "-L", "-c", "%F", virt]));
    assert_eq!(text(&stat.stdout).trim(), "regular file", "{}", text(&stat.stderr));
}
