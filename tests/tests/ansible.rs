//! The Ansible role (deploy/ansible) against localhost: `--check` with the packages
//! built here, then a real run of everything that does not change this machine's
//! packages (BTF placement into a scratch directory, doctor run and collection).
//!
//! ansible-core comes from PyPI into a venv under ~/.cache/bpfcompat/ansible-venv
//! (created on first use).
//!
//!     cargo test -p bpfcompat-tests --test ansible

mod packaging_common;

use bpfcompat_tests::guest::{self, repo_root, Skip};
use bpfcompat_tests::require;
use packaging_common::{packages, run, unpacked_main};
use std::path::{Path, PathBuf};
use std::process::Command;

fn ansible_playbook() -> Result<PathBuf, Skip> {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| "/root".into());
    let venv = home.join(".cache/bpfcompat/ansible-venv");
    let bin = venv.join("bin/ansible-playbook");
    if bin.exists() {
        return Ok(bin);
    }
    guest::note(format!("installing ansible-core from PyPI into {}", venv.display()));
    let ok = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().map(|s| s.success()).unwrap_or(false)
        && Command::new(venv.join("bin/pip")).args(["install", "-q", "ansible-core"]).status().map(|s| s.success()).unwrap_or(false);
    if ok && bin.exists() {
        Ok(bin)
    } else {
        Err(Skip(format!("cannot install ansible-core into {} (python3 -m venv, pip from PyPI)", venv.display())))
    }
}

struct Play {
    out: String,
    status: std::process::ExitStatus,
}

fn playbook(bin: &Path, work: &Path, extra: &[(&str, String)], check: bool) -> Play {
    let venv_python = bin.parent().unwrap().join("python3");
    let inventory = work.join("inventory");
    std::fs::write(&inventory, format!("localhost ansible_connection=local ansible_python_interpreter={}\n", venv_python.display()))
        .unwrap();
    let mut cmd = Command::new(bin);
    cmd.arg("-i").arg(&inventory).arg(repo_root().join("deploy/ansible/playbook.yml"));
    // Already root here, and no sudo: the play's become would fail for nothing.
    cmd.args(["-e", "ansible_become=false"]);
    for (k, v) in extra {
        cmd.arg("-e").arg(format!("{k}={v}"));
    }
    if check {
        cmd.arg("--check");
    }
    cmd.env("ANSIBLE_NOCOLOR", "1").env("ANSIBLE_LOCAL_TEMP", work.join("tmp")).env("ANSIBLE_HOME", work.join("home"));
    let o = cmd.output().expect("run ansible-playbook");
    Play { out: format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)), status: o.status }
}

fn recap_ok(p: &Play, what: &str) {
    let recap = p.out.lines().skip_while(|l| !l.starts_with("PLAY RECAP")).nth(1).unwrap_or("");
    assert!(
        p.status.success() && recap.contains("failed=0") && recap.contains("unreachable=0"),
        "{what}: ansible-playbook {:?}, recap '{recap}':\n{}",
        p.status,
        p.out
    );
}

#[test]
fn role_passes_check_mode_and_collects_doctor_for_real() {
    let bin = require!(ansible_playbook());
    let pkgs = require!(packages(false));
    let root = unpacked_main(&pkgs, "ansible");
    let bpfhook = root.join("usr/bin/bpfhook");
    let work = repo_root().join("target/ansible");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(work.join("btf-store")).unwrap();
    let release = String::from_utf8(run(Command::new("uname").arg("-r")).into_bytes()).unwrap().trim().to_string();
    // A stand-in BTF for this host's release (the real one comes from make-btf.sh).
    std::fs::write(work.join("btf-store").join(format!("{release}.btf")), b"\x9f\xeb\x01\x00").unwrap();

    let common = |dest: &str| {
        vec![
            ("bpfcompat_packages_dir", pkgs.display().to_string()),
            ("bpfcompat_remote_cache", work.join(format!("{dest}/cache")).display().to_string()),
            ("bpfcompat_btf_store", work.join("btf-store").display().to_string()),
            ("bpfcompat_btf_dest_dir", work.join(format!("{dest}/btf")).display().to_string()),
            // Pretend to be a legacy host without /sys/kernel/btf/vmlinux.
            ("bpfcompat_kernel_btf", "/nonexistent/vmlinux".to_string()),
            ("bpfcompat_bin", bpfhook.display().to_string()),
            ("bpfcompat_doctor_dir", work.join(format!("{dest}/doctor")).display().to_string()),
        ]
    };

    // --check: every task evaluates; nothing is installed, copied or placed.
    let p = playbook(&bin, &work, &common("check"), true);
    recap_ok(&p, "--check");
    assert!(!work.join("check/cache").exists() && !work.join("check/btf").exists(), "check mode changed files:\n{}", p.out);
    assert!(p.out.contains("TASK [bpfcompat : bpfhook doctor --json]"), "{}", p.out);

    // For real, minus the package installation (it would change this machine).
    let mut vars = common("real");
    vars.push(("bpfcompat_install", "false".into()));
    let p = playbook(&bin, &work, &vars, false);
    recap_ok(&p, "real run");
    let placed = work.join(format!("real/btf/{release}.btf"));
    assert_eq!(
        std::fs::read(&placed).ok().as_deref(),
        Some(&b"\x9f\xeb\x01\x00"[..]),
        "BTF not placed at {}:\n{}",
        placed.display(),
        p.out
    );
    let collected = work.join("real/doctor/localhost.json");
    let text = std::fs::read_to_string(&collected).unwrap_or_else(|e| panic!("{}: {e}\n{}", collected.display(), p.out));
    let got: serde_json::Value = serde_json::from_str(&text).unwrap();
    let direct: serde_json::Value =
        serde_json::from_str(run(Command::new(&bpfhook).args(["doctor", "--json"]).env_remove("BPFHOOK_LIB")).trim())
            .unwrap_or(serde_json::Value::Null);
    assert_eq!(got["kernel"], release);
    assert_eq!(got["native_bpf"], direct["native_bpf"], "collected: {got}\ndirect: {direct}");
    assert_eq!(got["mode"], direct["mode"], "collected: {got}\ndirect: {direct}");
    assert_eq!(got["usable"], direct["usable"]);
    assert!(p.out.contains("localhost (") && (p.out.contains("usable") || p.out.contains("BLOCKED")), "summary line missing:\n{}", p.out);
}
