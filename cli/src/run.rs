//! `bpfhook run`: the tool with the hook preloaded.
//!
//! A tool that reaches the kernel through the dynamic libc is exec'd (not spawned) with
//! LD_PRELOAD: it keeps our pid, so signals sent to it (Ctrl-C, kill, a service manager's
//! stop) and its exit status are its own, with nothing in between.
//!
//! A tool LD_PRELOAD cannot reach (statically linked, or a Go program, whose cilium/ebpf
//! makes raw system calls; see tool_kind.rs), or any tool with `--trace`, runs under the
//! launcher (launcher/): a seccomp filter stops it at bpf() and perf_event_open() only,
//! and the launcher, its tracer, serves those calls with the hook's own functions. It
//! still gets LD_PRELOAD, which serves what it does through a dynamic libc (cgo's
//! libbpf, BTF lookups) without a stop. Where this kernel's bpf() serves tools, every
//! tool runs as it is.

use crate::mode_rule::Mode;
use crate::tool_kind::{self, ToolKind};
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

pub fn run(btf: Option<PathBuf>, trace: bool, tool: Vec<OsString>) -> ExitCode {
    let lib = match crate::hook_library() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bpfhook run: {e}");
            return ExitCode::from(127);
        }
    };
    let name = tool[0].to_string_lossy().into_owned();
    if let Some(btf) = &btf {
        if !btf.is_file() {
            eprintln!("bpfhook run: --btf {}: no such file", btf.display());
            return ExitCode::from(2);
        }
    }
    let file = tool_kind::resolve(std::path::Path::new(&tool[0]), std::env::var_os("PATH").as_deref());
    // Unreadable or not found: exec says why.
    let kind = file.as_deref().and_then(|f| std::fs::read(f).ok()).map(|data| tool_kind::classify(&data));
    let native = crate::doctor::hook_mode().0.mode == Mode::Native;
    let launcher = !native && (trace || matches!(kind, Some(ToolKind::Static | ToolKind::DynamicGo)));
    if launcher {
        // Inherited through the launcher's fork and the tool's exec; the launcher itself
        // reads BPFHOOK_BTF too, to resolve tracing programs' BTF targets as the hook does.
        std::env::set_var("LD_PRELOAD", preload_value(&lib, std::env::var_os("LD_PRELOAD")));
        if let Some(btf) = btf {
            std::env::set_var("BPFHOOK_BTF", btf);
        }
        return crate::launcher::run(&tool);
    }
    let mut cmd = Command::new(&tool[0]);
    cmd.args(&tool[1..]);
    cmd.env("LD_PRELOAD", preload_value(&lib, std::env::var_os("LD_PRELOAD")));
    if let Some(btf) = btf {
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
