//! Real programs under LD_PRELOAD=libbpfhook.so on this host, whose kernel has native
//! eBPF and no /dev/bpfdrv.

mod common;

use common::{clean, hooked, run_then_interrupt, run_with_limit, text, BPF_CLIENT, EXECSNOOP, PYTHON};
use std::path::Path;
use std::time::{Duration, Instant};

/// coreutils' stdbuf: line-buffers a libc program's stdout on a pipe.
const STDBUF: &str = "/usr/bin/stdbuf";
const NOT_LOADED: &str = "the bpfdrv kernel module is not loaded";

fn have(path: &str) -> bool {
    let ok = Path::new(path).exists();
    if !ok {
        eprintln!("skipped: {path} is not installed");
    }
    ok
}

#[test]
fn driver_mode_without_the_module_fails_cleanly_with_one_clear_line() {
    if !have(EXECSNOOP) {
        return;
    }
    if Path::new("/dev/bpfdrv").exists() {
        eprintln!("skipped: /dev/bpfdrv exists here");
        return;
    }
    let start = Instant::now();
    let out = run_with_limit(hooked(EXECSNOOP).env("BPFHOOK_MODE", "driver"), Duration::from_secs(30));
    let stderr = text(&out.stderr);
    assert!(start.elapsed() < Duration::from_secs(15), "took {:?}", start.elapsed());
    let code = out.status.code().unwrap_or_else(|| panic!("killed by a signal: {:?}\n{stderr}", out.status));
    assert_ne!(code, 0, "execsnoop cannot work without bpf: {stderr}");
    assert_eq!(stderr.matches(NOT_LOADED).count(), 1, "stderr:\n{stderr}");
    assert!(
        stderr.contains(&format!("bpfhook: /dev/bpfdrv is missing: {NOT_LOADED} (load it with 'modprobe bpfdrv' or 'insmod bpfdrv.ko')")),
        "stderr:\n{stderr}"
    );
}

/// The bpf() client in driver mode with `device` for the driver: its output, stdout and
/// stderr.
fn driver_mode_client(device: &str) -> (std::process::Output, String, String) {
    let out = run_with_limit(
        hooked(PYTHON).args(["-c", BPF_CLIENT]).env("BPFHOOK_MODE", "driver").env("BPFHOOK_DEVICE", device),
        Duration::from_secs(30),
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    (out, stdout, stderr)
}

#[test]
fn driver_mode_bpf_fails_like_a_kernel_without_bpf() {
    let (out, stdout, stderr) = driver_mode_client("/nonexistent/bpfdrv");
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout, format!("-1 {0}\n-1 {0}\n-1 {0}\n", libc::ENOSYS), "stderr:\n{stderr}");
    assert_eq!(stderr.matches(NOT_LOADED).count(), 1, "stderr:\n{stderr}");
    assert!(stderr.starts_with("bpfhook: /nonexistent/bpfdrv is missing"), "{stderr}");
}

#[test]
fn a_device_that_is_not_bpfdrv_fails_the_handshake() {
    let (_, stdout, stderr) = driver_mode_client("/dev/null");
    assert_eq!(stdout, format!("-1 {0}\n-1 {0}\n-1 {0}\n", libc::ENOSYS), "stderr:\n{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/dev/null did not answer the bpfdrv handshake"), "{stderr}");
}

#[test]
fn programs_that_never_use_bpf_see_no_difference() {
    let cases: &[(&str, &[&str])] = &[
        ("/bin/true", &[]),
        // Not -l: /proc's link count changes whenever processes come and go.
        ("/bin/ls", &["-a", "/"]),
        ("/bin/cat", &["/etc/os-release"]),
        ("/bin/sh", &["-c", "echo hi; ls /sys/kernel/btf >/dev/null; exit 3"]),
        (PYTHON, &["-c", "import os, sys; print(sorted(os.listdir('/'))); sys.exit(4)"]),
    ];
    for (prog, args) in cases {
        if !have(prog) {
            continue;
        }
        let limit = Duration::from_secs(30);
        let plain = run_with_limit(clean(prog).args(*args), limit);
        for mode in ["auto", "driver", "native"] {
            let with = run_with_limit(hooked(prog).args(*args).env("BPFHOOK_MODE", mode), limit);
            assert_eq!(with.status.code(), plain.status.code(), "{prog} {args:?} ({mode})");
            assert_eq!(text(&with.stdout), text(&plain.stdout), "{prog} {args:?} ({mode})");
            assert_eq!(text(&with.stderr), text(&plain.stderr), "{prog} {args:?} ({mode})");
        }
    }
}

/// libbpf attaches execsnoop's tracepoints through tracefs; mount it when the host has
/// not (as root; harmless when it is already mounted or cannot be).
fn ensure_tracefs() {
    if Path::new("/sys/kernel/tracing/events").exists() || Path::new("/sys/kernel/debug/tracing/events").exists() {
        return;
    }
    let _ = std::process::Command::new("mount").args(["-t", "tracefs", "nodev", "/sys/kernel/tracing"]).status();
}

#[test]
fn native_and_auto_modes_pass_bpf_through_to_this_kernel() {
    if !have(EXECSNOOP) {
        return;
    }
    ensure_tracefs();
    let run = Duration::from_secs(3);
    // execsnoop under stdbuf -oL: its header reaches the pipe when printed, not at exit
    // (run_then_interrupt waits for a line to know it attached).
    let execsnoop = |mut cmd: std::process::Command| {
        cmd.args(["-oL", EXECSNOOP]);
        cmd
    };
    let plain = run_then_interrupt(&mut execsnoop(clean(STDBUF)), run);
    let header = |o: &std::process::Output| text(&o.stdout).lines().next().unwrap_or("").to_owned();
    let works_natively = plain.status.code() == Some(0) && header(&plain).starts_with("PCOMM");
    if !works_natively {
        eprintln!("note: execsnoop does not run natively here ({:?}): {}", plain.status, text(&plain.stderr));
    }
    for mode in ["native", "auto"] {
        let out = run_then_interrupt(execsnoop(hooked(STDBUF)).env("BPFHOOK_MODE", mode), run);
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("bpfhook"), "{mode}: {stderr}");
        if works_natively {
            assert_eq!(out.status.code(), Some(0), "{mode}: {stderr}");
            assert!(header(&out).starts_with("PCOMM"), "{mode}: stdout {:?}", text(&out.stdout));
        } else {
            // Same failure as without the hook: whatever stopped it, it was not us.
            assert_eq!(out.status.code(), plain.status.code(), "{mode}: {stderr}");
            assert_eq!(header(&out), header(&plain), "{mode}");
        }
    }
}

/// The old-kernel situation for real: in a private mount namespace an empty directory
/// hides /sys/kernel/btf, so libbpf-tools and libbpf (statically linked in execsnoop)
/// find no kernel BTF — until the hook points them at a copy of it (BPFHOOK_BTF).
#[test]
fn execsnoop_loads_with_kernel_btf_from_the_configured_file() {
    if !have(EXECSNOOP) || !have("/sys/kernel/btf/vmlinux") || !have("/usr/bin/unshare") {
        return;
    }
    ensure_tracefs();
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let btf = dir.path().join("kernel.btf");
    std::fs::copy("/sys/kernel/btf/vmlinux", &btf).unwrap();
    // $1 = empty dir, $2 = LD_PRELOAD value ("" for none), $3 = BPFHOOK_BTF.
    let script = r#"mount --bind "$1" /sys/kernel/btf || exit 99
        [ -e /sys/kernel/btf/vmlinux ] && exit 98
        [ -n "$2" ] && export LD_PRELOAD="$2" BPFHOOK_BTF="$3" BPFHOOK_MODE=native BPFHOOK_LOG=info
        exec /usr/bin/stdbuf -oL /usr/sbin/execsnoop"#;
    let run = |preload: &Path| {
        let mut cmd = clean("/usr/bin/unshare");
        cmd.args(["-m", "/bin/sh", "-c", script, "sh"]).arg(&empty).arg(preload).arg(&btf);
        run_then_interrupt(&mut cmd, Duration::from_secs(4))
    };
    let without = run(Path::new(""));
    if matches!(without.status.code(), Some(99) | Some(98)) {
        eprintln!("skipped: cannot hide /sys/kernel/btf here: {}", text(&without.stderr));
        return;
    }
    if without.status.code() == Some(0) {
        // libbpf-tools carry small BTFs for some distributions; then this is no control.
        eprintln!("note: execsnoop found BTF of its own without /sys/kernel/btf/vmlinux");
    }

    let with = run(&common::hook_lib());
    let stderr = text(&with.stderr);
    assert_eq!(with.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(text(&with.stdout).starts_with("PCOMM"), "stdout:\n{}", text(&with.stdout));
    assert!(stderr.contains(&format!("kernel BTF: /sys/kernel/btf/vmlinux is missing, using {}", btf.display())), "stderr:\n{stderr}");
}
