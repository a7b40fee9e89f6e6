//! The kernel's coding style for the module: every C file of `driver/` (but the header
//! cbindgen generates) passes the kernel's own `scripts/checkpatch.pl`, taken from the
//! source of the no-bpf kernel the suite builds. Two parts of the driver are exempt from
//! a few checks, each for a reason of its own ([`EXEMPT`]).
//!
//!     cargo test -p bpfcompat-tests --test driver_style

use bpfcompat_tests::guest::{self, repo_root, Skip};
use bpfcompat_tests::require;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Directory of `driver/`, the checkpatch types it may break there, and why.
const EXEMPT: &[(&str, &str, &str)] = &[
    (
        "compat/",
        "LINUX_VERSION_CODE,CONSTANT_COMPARISON,DEPRECATED_API,NEW_TYPEDEFS",
        "the kernel-version layer: version tests are its job, 3.10 has only the old RCU flavours, \
         some function types differ by version",
    ),
    (
        "engine/",
        "PREFER_DEFINED_ATTRIBUTE_MACRO,DEEP_INDENTATION",
        "portable C also built on the host, where the kernel's attribute macros do not exist; \
         the interpreter's dispatch is one switch in one loop for speed",
    ),
];

/// Generated or not ours to style.
fn skipped(rel: &str) -> bool {
    rel == "bpfdrv_protocol.h" || rel.starts_with("compat/generated/") || rel.ends_with(".mod.c")
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("dir entry").path();
        let rel = path.strip_prefix(root).expect("under driver/").to_string_lossy().into_owned();
        if path.is_dir() {
            sources(&path, root, out);
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("c" | "h")) && !skipped(&rel) {
            out.push((rel, path));
        }
    }
}

fn checkpatch() -> Result<PathBuf, Skip> {
    let kernel = guest::nobpf_kernel()?;
    let script = kernel.kdir.join("source/scripts/checkpatch.pl");
    if script.is_file() {
        Ok(script)
    } else {
        Err(Skip(format!("{} missing: the kernel's source tree is gone from the cache", script.display())))
    }
}

#[test]
fn driver_sources_pass_checkpatch() {
    let script = require!(checkpatch());
    let root = repo_root().join("driver");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    assert!(files.len() > 40, "only {} C files found under {}", files.len(), root.display());
    let mut findings = Vec::new();
    for (rel, path) in &files {
        let mut cmd = Command::new("perl");
        cmd.arg(&script).args(["--no-tree", "--no-signoff", "--terse", "--show-types"]);
        if let Some((_, types, _)) = EXEMPT.iter().find(|(dir, _, _)| rel.starts_with(dir)) {
            cmd.args(["--ignore", types]);
        }
        let out = cmd.arg("-f").arg(path).output().expect("run checkpatch.pl");
        let text = String::from_utf8_lossy(&out.stdout);
        findings.extend(
            text.lines()
                .filter(|l| l.contains(": ERROR:") || l.contains(": WARNING:") || l.contains(": CHECK:"))
                .map(|l| l.replacen(&root.display().to_string(), "driver", 1)),
        );
    }
    assert!(findings.is_empty(), "checkpatch.pl ({}) on driver/: {} findings:\n{}", script.display(), findings.len(), findings.join("\n"));
    println!("checkpatch: {} files of driver/ clean", files.len());
}
