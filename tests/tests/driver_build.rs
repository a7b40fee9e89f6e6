//! The compile matrix: `bpfdrv.ko` built with W=1 against every kernel tree the suite
//! boots must give no warning at all and no undefined symbol (modpost checks the module
//! against the tree's Module.symvers: a symbol the kernel does not export would only fail
//! at insmod on a user's host). Each build runs in its own copy of `driver/`, so it never
//! races the guest tests' build of `driver/bpfdrv.ko`.
//!
//!     cargo test -p bpfcompat-tests --test driver_build

use bpfcompat_tests::guest::{self, repo_root, Kernel};
use bpfcompat_tests::require;
use std::path::Path;
use std::process::Command;

/// Build lines that fail the matrix: compiler and modpost warnings and errors
/// (modpost says "undefined!" for a symbol the kernel does not export).
fn problems(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("warning") || l.contains("error") || l.contains("undefined")
        })
        .collect()
}

fn copy_sources(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("mkdir {}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("dir entry");
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().expect("file type").is_dir() {
            // compat/generated/: feature probe results of builds in driver/ itself; the copy probes afresh.
            if entry.file_name() != "generated" {
                copy_sources(&src, &dst);
            }
        } else if matches!(src.extension().and_then(|e| e.to_str()), Some("c" | "h")) || entry.file_name() == "Makefile" {
            std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
        }
    }
}

/// `make W=1` of a fresh copy of `driver/` against `kernel`; panics with the log on any
/// problem. Returns the log.
fn build_warning_free(tree: &str, kernel: &Kernel) -> String {
    let dir = guest::work_dir().join("driver-build").join(tree);
    let _ = std::fs::remove_dir_all(&dir);
    copy_sources(&repo_root().join("driver"), &dir);
    let out =
        Command::new("make").arg("-C").arg(&dir).arg(format!("KDIR={}", kernel.kdir.display())).arg("W=1").output().expect("run make");
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "bpfdrv.ko does not build against {tree} ({}):\n{log}", kernel.kdir.display());
    let bad = problems(&log);
    assert!(
        bad.is_empty(),
        "bpfdrv.ko against {tree} with W=1: {} problem lines:\n{}\n--- whole log ---\n{log}",
        bad.len(),
        bad.join("\n")
    );
    assert!(dir.join("bpfdrv.ko").is_file(), "make succeeded but left no bpfdrv.ko:\n{log}");
    log
}

#[test]
fn the_problem_filter_sees_modpost_and_compiler_complaints() {
    let log = "  CC [M]  x.o\nx.c:3:5: warning: unused variable 'y' [-Wunused-variable]\n\
               WARNING: \"get_monotonic_coarse64\" [bpfdrv.ko] undefined!\n\
               ERROR: modpost: \"foo\" [bpfdrv.ko] undefined!\n  LD [M]  bpfdrv.ko\n";
    assert_eq!(problems(log).len(), 3);
}

#[test]
fn bpfdrv_builds_warning_free_against_the_nobpf_6_1_tree() {
    let kernel = require!(guest::nobpf_kernel());
    build_warning_free("nobpf-6.1", &kernel);
}

#[test]
fn bpfdrv_builds_warning_free_against_centos7() {
    let kernel = require!(guest::centos7_kernel());
    let log = build_warning_free("centos7", &kernel);
    // Loaders before 4.16 refuse R_X86_64_PLT32: the Makefile rewrites them.
    assert!(log.contains("R_X86_64_PLT32 relocations now R_X86_64_PC32"), "the PLT32 rewrite did not run:\n{log}");
}
