//! auto mode's choice, made by the hook inside a tool's process and reported by
//! `bpfhook doctor`: on this host's kernel, and on the same kernel made to answer the way
//! older ones do. A seccomp filter gives bpf(2), or one of its commands, the errno such a
//! kernel gives: ENOSYS without CONFIG_BPF_SYSCALL, EINVAL for BPF_BTF_LOAD before 4.18,
//! EINVAL for RHEL 7's program loads with global data, EPERM for a caller without
//! privilege.

#[path = "../../hook/preload/tests/common/mod.rs"]
mod common;

use common::{clean, hooked, run_with_limit, text, BPF_CLIENT, PYTHON};
use driver_protocol::{BPFDRV_CMD_BTF_LOAD, BPFDRV_CMD_MAP_CREATE, BPFDRV_CMD_PROG_LOAD};
use serde_json::Value;
use std::os::unix::process::CommandExt;
use std::process::{Command, Output};
use std::time::Duration;

const DOCTOR: &str = env!("CARGO_BIN_EXE_bpfhook");

fn root() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        eprintln!("skipped: the probes need root to reach the kernel's answers");
    }
    root
}

/// In the child, bpf(2) fails before reaching the kernel: `(Some(cmd), errno)` for one
/// command, `(None, errno)` for all (the first rule that matches applies).
fn bpf_fails<'a>(cmd: &'a mut Command, rules: &[(Option<u32>, i32)]) -> &'a mut Command {
    use libc::{BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W};
    let stmt = |code: u32, k: u32| libc::sock_filter { code: code as u16, jt: 0, jf: 0, k };
    let jne_skip = |k: u32, jf: u8| libc::sock_filter { code: (BPF_JMP | BPF_JEQ | BPF_K) as u16, jt: 0, jf, k };
    let load = |offset| stmt(BPF_LD | BPF_W | BPF_ABS, offset);
    let fail = |errno: i32| stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ERRNO | errno as u32);
    // struct seccomp_data: nr at 0, args[0] (its low half, little-endian) at 16.
    let mut filter = vec![load(0), jne_skip(libc::SYS_bpf as u32, 0), load(16)];
    for &(only, errno) in rules {
        if let Some(c) = only {
            filter.push(jne_skip(c, 1));
        }
        filter.push(fail(errno));
    }
    filter.push(stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ALLOW));
    filter[1].jf = (filter.len() - 3) as u8;
    // SAFETY: only prctl between fork and exec; the filter is moved into the closure.
    unsafe {
        cmd.pre_exec(move || {
            let prog = libc::sock_fprog { len: filter.len() as u16, filter: filter.as_ptr() as *mut _ };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &prog) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

fn doctor(setup: impl Fn(&mut Command) -> &mut Command) -> (Value, String) {
    let json = run_with_limit(setup(clean(DOCTOR).args(["doctor", "--json"]).env_remove("BPFHOOK_LIB")), Duration::from_secs(30));
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap_or_else(|e| panic!("doctor --json: {e}: {json:?}"));
    let out = run_with_limit(setup(clean(DOCTOR).arg("doctor").env_remove("BPFHOOK_LIB")), Duration::from_secs(30));
    let kernel_line = text(&out.stdout).lines().find(|l| l.contains(" kernel ")).unwrap_or_default().to_owned();
    (doc, kernel_line)
}

/// A process calling bpf(BPF_PROG_LOAD) three times, printing what it returned and errno.
fn client(mut cmd: Command, setup: impl Fn(&mut Command) -> &mut Command) -> Output {
    cmd.args(["-c", BPF_CLIENT]);
    run_with_limit(setup(&mut cmd), Duration::from_secs(30))
}

/// What auto mode decides here, checked in doctor's JSON and text, and in a process
/// under the hook: its info log line, and its bpf() answers (the kernel's own, or the
/// driver's ENOSYS, there being no device).
fn expect(setup: impl Fn(&mut Command) -> &mut Command, reason: &str, mode: &str, native_bpf: bool) {
    let (doc, line) = doctor(&setup);
    assert_eq!(doc["mode"], mode, "{doc}");
    assert_eq!(doc["mode_reason"], reason, "{doc}");
    assert_eq!(doc["native_bpf"], native_bpf, "{doc}");
    let release = doc["kernel"].as_str().unwrap();
    assert!(line.contains(&format!(" kernel               {release}: {reason}")), "{line}");
    let module = doc["checks"].as_array().unwrap().iter().find(|c| c["check"] == "module").unwrap();
    if mode == "native" {
        assert_eq!(module["status"], "ok", "{doc}");
    } else if !std::path::Path::new("/sys/module/bpfdrv").exists() {
        assert_eq!(module["status"], "fail", "bpfdrv is needed here: {doc}");
        assert_eq!(doc["usable"], false, "{doc}");
    }

    if !std::path::Path::new(PYTHON).exists() {
        eprintln!("skipped: no {PYTHON} for the client under the hook");
        return;
    }
    let mut cmd = hooked(PYTHON);
    cmd.env("BPFHOOK_LOG", "info").env("BPFHOOK_DEVICE", "/nonexistent/bpfdrv");
    let hooked = client(cmd, &setup);
    let stderr = text(&hooked.stderr);
    assert!(hooked.status.success(), "{stderr}");
    assert!(stderr.starts_with(&format!("bpfhook: info: {reason}\n")), "{stderr}");
    let want = if mode == "native" { text(&client(clean(PYTHON), &setup).stdout) } else { format!("-1 {}\n", libc::ENOSYS).repeat(3) };
    assert_eq!(text(&hooked.stdout), want, "stderr:\n{stderr}");
}

#[test]
fn this_kernel_is_passed_through() {
    if !root() {
        return;
    }
    expect(|c| c, "native bpf() usable (global data, BTF): auto mode passes through", "native", true);
}

#[test]
fn without_bpf_the_driver_serves() {
    expect(|c| bpf_fails(c, &[(None, libc::ENOSYS)]), "no bpf() (ENOSYS): auto mode uses bpfdrv", "driver", false);
}

/// As root: bpf() present but refusing `cmd` with EINVAL (a feature the kernel lacks), for
/// which auto mode uses the driver, saying `reason`.
fn expect_driver_when_refused(cmd: u32, reason: &str) {
    if !root() {
        return;
    }
    expect(|c| bpf_fails(c, &[(Some(cmd), libc::EINVAL)]), reason, "driver", true);
}

#[test]
fn without_global_data_the_driver_serves() {
    expect_driver_when_refused(
        BPFDRV_CMD_PROG_LOAD,
        "native bpf() present but lacks global data (BPF_PSEUDO_MAP_VALUE, EINVAL): auto mode uses bpfdrv",
    );
}

#[test]
fn without_btf_loading_the_driver_serves() {
    expect_driver_when_refused(
        BPFDRV_CMD_BTF_LOAD,
        "native bpf() present but lacks BTF loading (BPF_BTF_LOAD, EINVAL): auto mode uses bpfdrv",
    );
}

#[test]
fn a_refused_probe_keeps_the_pass_through() {
    // The tool gets bpf()'s own EPERM, as it would without the hook.
    expect(
        |c| bpf_fails(c, &[(None, libc::EPERM)]),
        "native bpf() present but refused this process's probe for array maps (BPF_MAP_TYPE_ARRAY, EPERM): auto mode passes through",
        "native",
        true,
    );
}

/// Root short of locked memory on RHEL 7: EPERM for the map, EINVAL for BTF.
#[test]
fn a_definite_answer_wins_over_a_refusal() {
    expect(
        |c| bpf_fails(c, &[(Some(BPFDRV_CMD_MAP_CREATE), libc::EPERM), (Some(BPFDRV_CMD_BTF_LOAD), libc::EINVAL)]),
        "native bpf() present but lacks BTF loading (BPF_BTF_LOAD, EINVAL): auto mode uses bpfdrv",
        "driver",
        true,
    );
}

#[test]
fn a_forced_mode_is_reported_as_forced() {
    let (doc, line) = doctor(|c| c.env("BPFHOOK_MODE", "driver"));
    assert_eq!(doc["mode"], "driver", "{doc}");
    assert!(line.contains(": BPFHOOK_MODE=driver: the hook uses bpfdrv"), "{line}");
    let (doc, line) = doctor(|c| bpf_fails(c.env("BPFHOOK_MODE", "native"), &[(None, libc::ENOSYS)]));
    assert_eq!(doc["mode"], "native", "{doc}");
    assert_eq!(doc["usable"], false, "native mode without bpf() blocks every tool: {doc}");
    assert!(
        line.starts_with("[FAIL] kernel ") && line.contains("no bpf() (ENOSYS): BPFHOOK_MODE=native: the hook passes through"),
        "{line}"
    );
}
