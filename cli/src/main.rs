//! `bpfhook`: the operator's command for libbpfhook.so and bpfdrv.ko.
//!
//! - `bpfhook run [--btf FILE] [--trace] -- TOOL ARGS...`: exec TOOL with the installed
//!   libbpfhook.so preloaded (the tool's own signals and exit status, since it *is* the
//!   process after exec); static and Go binaries, which LD_PRELOAD cannot reach, run
//!   under the launcher (seccomp + ptrace) instead.
//! - `bpfhook doctor [--json]`: every check that decides whether tools can run here, one
//!   line each with a fix; exit status 1 when something blocks use.
//! - `bpfhook stats [--json]`: the module's live objects, per-program run statistics and
//!   event delivery counters (from debugfs).
//!
//! This binary links bpfhook-core, what the preloaded library does, not the library
//! itself (its symbols would interpose this binary's own libc calls): `doctor` reports
//! exactly the mode the hook decides.

mod bcc_headers;
mod btf_check;
mod doctor;
mod launcher;
mod run;
mod stats;
mod tool_kind;

use bpfhook_core::mode_rule;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "bpfhook", version, about = "Run unmodified eBPF tools on kernels without bpf(2)")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run TOOL with libbpfhook.so preloaded (static and Go binaries: traced).
    Run {
        /// Raw vmlinux BTF to serve as /sys/kernel/btf/vmlinux (default: the hook's,
        /// /var/lib/bpfhook/btf/$(uname -r).btf).
        #[arg(long, value_name = "FILE")]
        btf: Option<PathBuf>,
        /// Serve the tool's bpf() and perf_event_open() system calls by tracing it
        /// (seccomp + ptrace), as is done anyway for static and Go binaries, which
        /// LD_PRELOAD cannot reach.
        #[arg(long)]
        trace: bool,
        /// The tool and its arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "TOOL ARGS")]
        tool: Vec<std::ffi::OsString>,
    },
    /// Check whether eBPF tools can run here, and say how to fix what blocks them.
    Doctor {
        /// One JSON object (for fleet collection) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Live objects, program run statistics and event counters from bpfdrv.ko.
    Stats {
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Make the kernel headers bcc compiles against on a kernel built without
    /// CONFIG_BPF_SYSCALL (its helpers.h refuses such a kernel's own headers).
    BccHeaders {
        /// Kernel header trees, merged in this order (default: /lib/modules/$(uname -r)/build,
        /// then .../source where it exists).
        #[arg(long = "kernel-headers", value_name = "DIR")]
        kernel_headers: Vec<PathBuf>,
        /// Where to write the tree (default: /var/lib/bpfhook/bcc/$(uname -r), where
        /// libbpfhook.so points bcc at it).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Work on vmlinux BTF files.
    Btf {
        #[command(subcommand)]
        cmd: BtfCmd,
    },
}

#[derive(Subcommand)]
enum BtfCmd {
    /// Merge the copies of types RHEL 7's kABI macros leave in BTF made from its
    /// debuginfo (a hidden `__UNIQUE_ID_rh_kabi_hide<N>` member, named differently in
    /// every object file): about 570 copies of task_struct and 25 MB become one BTF of
    /// a few MB. make-btf.sh runs it. IN is read whole first, so OUT may be IN.
    Normalize {
        #[arg(value_name = "IN")]
        input: PathBuf,
        #[arg(value_name = "OUT")]
        output: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Run { btf, trace, tool } => run::run(btf, trace, tool),
        Cmd::Doctor { json } => doctor::main(json),
        Cmd::Stats { json } => stats::main(json),
        Cmd::BccHeaders { kernel_headers, out } => bcc_headers::main(kernel_headers, out),
        Cmd::Btf { cmd: BtfCmd::Normalize { input, output } } => match btf_check::normalize_file(&input, &output) {
            Ok(summary) => {
                println!("bpfhook btf normalize: {summary}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("bpfhook btf normalize: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

/// The installed libbpfhook.so: `$BPFHOOK_LIB`, then `../lib/bpfcompat/libbpfhook.so`
/// next to this binary (any install prefix), then `/usr/lib/bpfcompat/libbpfhook.so`.
pub fn hook_library() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("BPFHOOK_LIB").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() { Ok(p) } else { Err(format!("BPFHOOK_LIB={} does not exist", p.display())) };
    }
    let mut tried = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        if let Some(bin_dir) = exe.parent() {
            tried.push(bin_dir.join("../lib/bpfcompat/libbpfhook.so"));
            // A cargo build tree: target/<profile>/bpfhook next to libbpfhook.so.
            tried.push(bin_dir.join("libbpfhook.so"));
        }
    }
    tried.push(PathBuf::from("/usr/lib/bpfcompat/libbpfhook.so"));
    for p in &tried {
        if p.is_file() {
            return Ok(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()));
        }
    }
    Err(format!(
        "libbpfhook.so not found (looked at {}); install the bpfcompat package or set BPFHOOK_LIB",
        tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    ))
}
