//! Shared by the integration tests: where the freshly built libbpfhook.so is, and
//! running real programs under it.
//!
//! `cargo test -p bpfhook` builds the library target with both its crate types before
//! the integration tests, so the cdylib sits next to the test executable
//! (`target/<profile>/deps/libbpfhook.so`, also copied to `target/<profile>/`).
//! `BPFHOOK_TEST_LIB` overrides the path (e.g. to test an installed copy).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn hook_lib() -> PathBuf {
    if let Some(p) = std::env::var_os("BPFHOOK_TEST_LIB") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("deps dir");
    for dir in [deps, deps.parent().unwrap_or(deps)] {
        let lib = dir.join("libbpfhook.so");
        if lib.exists() {
            return lib;
        }
    }
    panic!("libbpfhook.so not found next to {}: build it with cargo build -p bpfhook", exe.display());
}

/// A command with no inherited BPFHOOK_* settings, so each test states its own.
pub fn clean(program: impl AsRef<Path>) -> Command {
    let mut cmd = Command::new(program.as_ref());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("BPFHOOK_") || k == "LD_PRELOAD" {
            cmd.env_remove(k);
        }
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// `clean(program)` with LD_PRELOAD=libbpfhook.so.
pub fn hooked(program: impl AsRef<Path>) -> Command {
    let mut cmd = clean(program);
    cmd.env("LD_PRELOAD", hook_lib());
    cmd
}

/// Runs to completion, killing it (and failing) after `limit`.
pub fn run_with_limit(cmd: &mut Command, limit: Duration) -> Output {
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    wait_with_limit(child, limit)
}

pub fn wait_with_limit(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "still running after {limit:?}; stdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts a long-running tool, lets it run for `run`, sends SIGINT, collects it.
/// Start `cmd`, let it run until it printed its first line (a tool's header: it is
/// loaded) or `run` passed, whichever is later bounded by 60 s, then SIGINT it.
/// Waiting for the header rather than a fixed time keeps this stable on a loaded machine.
pub fn run_then_interrupt(cmd: &mut Command, run: Duration) -> Output {
    use std::io::Read;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
            let _ = tx.send(buf[..n].to_vec());
        }
        all
    });
    let start = std::time::Instant::now();
    let mut seen = Vec::new();
    while start.elapsed() < Duration::from_secs(60) {
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.extend_from_slice(&chunk);
        }
        if (seen.contains(&b'\n') && start.elapsed() >= run) || matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
    }
    // SAFETY: signalling our own child by its pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let mut out = wait_with_limit(child, Duration::from_secs(60));
    out.stdout = reader.join().unwrap_or_default();
    out
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub const PYTHON: &str = "/usr/bin/python3";
pub const EXECSNOOP: &str = "/usr/sbin/execsnoop";

/// bpf() as a C program calls it, via ctypes: `syscall(__NR_bpf, cmd, attr, size)`.
pub const BPF_CLIENT: &str = r#"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
attr = ctypes.create_string_buffer(128)
for _ in range(3):
    r = libc.syscall(321, 5, attr, 128)   # BPF_PROG_LOAD
    print(r, ctypes.get_errno())
"#;
