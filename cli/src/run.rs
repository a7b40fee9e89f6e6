//! `bpfhook run`: exec the tool with the hook preloaded. exec (not spawn) so the tool
//! keeps our pid: signals sent to it (Ctrl-C, kill, a service manager's stop) and its
//! exit status are its own, with nothing in between to forward or translate.
//!
//! Where the hook would use bpfdrv, a tool LD_PRELOAD cannot reach (statically linked) is
//! refused with one line saying so, rather than started to fail on this kernel's bpf();
//! see tool_kind.rs. Where this kernel's bpf() serves tools, it runs as it is.

use crate::mode_rule::Mode;
use crate::tool_kind::{self, ToolKind};
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

pub fn run(btf: Option<PathBuf>, tool: Vec<OsString>) -> ExitCode {
    let lib = match crate::hook_library() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bpfhook run: {e}");
            return ExitCode::from(127);
        }
    };
    let name = tool[0].to_string_lossy().into_owned();
    let file = tool_kind::resolve(std::path::Path::new(&tool[0]), std::env::var_os("PATH").as_deref());
    // Unreadable or not found: exec says why.
    match file.as_deref().and_then(|f| std::fs::read(f).ok()).map(|data| tool_kind::classify(&data)) {
        // This kernel's own bpf() serves the tool: it needs no hook.
        Some(ToolKind::Static | ToolKind::DynamicGo) if crate::doctor::hook_mode().0.mode == Mode::Native => {}
        Some(ToolKind::Static) => {
            eprintln!(
                "bpfhook run: {name} is statically linked (no ELF interpreter): LD_PRELOAD cannot reach its bpf() calls, \
                 which would meet this kernel's bpf() instead of bpfdrv; only dynamically linked tools are served"
            );
            return ExitCode::from(2);
        }
        Some(ToolKind::DynamicGo) => eprintln!(
            "bpfhook run: warning: {name} is a Go program: tools that load BPF through libbpf (cgo, libbpfgo) are served, \
             tools that use cilium/ebpf make raw syscalls LD_PRELOAD cannot reach"
        ),
        Some(ToolKind::Dynamic) | None => {}
    }
    let mut cmd = Command::new(&tool[0]);
    cmd.args(&tool[1..]);
    cmd.env("LD_PRELOAD", preload_value(&lib, std::env::var_os("LD_PRELOAD")));
    if let Some(btf) = btf {
        if !btf.is_file() {
            eprintln!("bpfhook run: --btf {}: no such file", btf.display());
            return ExitCode::from(2);
        }
        cmd.env("BPFHOOK_BTF", btf);
    }
    let err = cmd.exec();
    eprintln!("bpfhook run: cannot run {name}: {err}");
    // The shell's conventions: 127 not found, 126 found but not executable.
    ExitCode::from(if err.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 })
}

/// The hook first, then whatever the caller already preloads.
fn preload_value(lib: &std::path::Path, existing: Option<OsString>) -> OsString {
    let mut v = OsString::from(lib);
    if let Some(e) = existing.filter(|e| !e.is_empty()) {
        v.push(":");
        v.push(e);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_comes_first_in_ld_preload() {
        let lib = std::path::Path::new("/usr/lib/bpfcompat/libbpfhook.so");
        assert_eq!(preload_value(lib, None), "/usr/lib/bpfcompat/libbpfhook.so");
        assert_eq!(preload_value(lib, Some("".into())), "/usr/lib/bpfcompat/libbpfhook.so");
        assert_eq!(preload_value(lib, Some("libx.so".into())), "/usr/lib/bpfcompat/libbpfhook.so:libx.so");
    }
}
