//! The compile matrix: `bpfdrv.ko` built with W=1 against every kernel tree the suite
//! boots, and against Debian's own header packages of 6.1 and 6.12 (what a user's
//! `apt install linux-headers-$(uname -r)` gives, with the distribution's full config and
//! BPF on, so its headers pull in more than the no-bpf trees' do), must give no warning
//! at all and no undefined symbol (modpost checks the module against the tree's
//! Module.symvers: a symbol the kernel does not export would only fail at insmod on a
//! user's host). Each build runs in its own copy of `driver/`, so it never
//! races the guest tests' build of `driver/bpfdrv.ko`.
//!
//!     cargo test -p bpfcompat-tests --test driver_build

use bpfcompat_tests::guest::{self, repo_root, Skip};
use bpfcompat_tests::require;
use std::path::{Path, PathBuf};
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

/// `make W=1` of a fresh copy of `driver/` against the kbuild tree `kdir`; panics with the
/// log on any problem. Returns the log.
fn build_warning_free(tree: &str, kdir: &Path) -> String {
    let dir = guest::work_dir().join("driver-build").join(tree);
    let _ = std::fs::remove_dir_all(&dir);
    copy_sources(&repo_root().join("driver"), &dir);
    let out = Command::new("make").arg("-C").arg(&dir).arg(format!("KDIR={}", kdir.display())).arg("W=1").output().expect("run make");
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "bpfdrv.ko does not build against {tree} ({}):\n{log}", kdir.display());
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
    build_warning_free("nobpf-6.1", &kernel.kdir);
}

#[test]
fn bpfdrv_builds_warning_free_against_the_nobpf_6_12_tree() {
    let kernel = require!(guest::nobpf_kernel_612());
    build_warning_free("nobpf-6.12", &kernel.kdir);
}

#[test]
fn bpfdrv_builds_warning_free_against_centos7() {
    let kernel = require!(guest::centos7_kernel());
    let log = build_warning_free("centos7", &kernel.kdir);
    // Loaders before 4.16 refuse R_X86_64_PLT32: the Makefile rewrites them.
    assert!(log.contains("R_X86_64_PLT32 relocations now R_X86_64_PC32"), "the PLT32 rewrite did not run:\n{log}");
}

/// The kbuild tree of a Debian headers package, found through its meta package
/// (`linux-headers-amd64` → `linux-headers-6.1.0-57-amd64`): `/usr/src/<package>`.
/// `scripts/install-deps.sh` installs both meta packages.
fn debian_headers(meta: &str) -> Result<PathBuf, Skip> {
    let out =
        Command::new("dpkg-query").args(["-W", "-f=${Status}\t${Depends}", meta]).output().map_err(|e| Skip(format!("dpkg-query: {e}")))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(("install ok installed", depends)) = text.split_once('\t') else {
        return Err(Skip(format!("{meta} is not installed (scripts/install-deps.sh installs it)")));
    };
    let package = depends
        .split(',')
        .map(|d| d.split_whitespace().next().unwrap_or(""))
        .find(|p| p.starts_with("linux-headers-") && !p.ends_with("-common"))
        .ok_or_else(|| Skip(format!("{meta} depends on no headers package: {depends}")))?;
    let kdir = Path::new("/usr/src").join(package);
    if !kdir.join("Makefile").is_file() {
        return Err(Skip(format!("{}: no kbuild tree (is {package} installed?)", kdir.display())));
    }
    Ok(kdir)
}

/// [`build_warning_free`] as `tree` against the headers the meta package `meta` depends
/// on: what the feature probes found.
fn build_against_debian_headers(meta: &str, tree: &str) -> Result<String, Skip> {
    build_warning_free(tree, &debian_headers(meta)?);
    Ok(features_found(tree))
}

#[test]
fn bpfdrv_builds_warning_free_against_debian_6_1_headers() {
    let features = require!(build_against_debian_headers("linux-headers-amd64", "debian-6.1"));
    assert!(features.contains("HAVE_UPROBE_HANDLE: not in this kernel"), "6.1 has no uprobe handle API:\n{features}");
}

/// 6.12: uprobe_register returns a handle, and <linux/security.h> pulls in <linux/bpf.h>
/// with its BTF and id declarations (struct btf_header, btf_idr), which the module's own
/// names must not collide with.
#[test]
fn bpfdrv_builds_warning_free_against_debian_6_12_headers() {
    let features = require!(build_against_debian_headers("linux-headers-6.12-amd64", "debian-6.12"));
    assert!(features.contains("#define HAVE_UPROBE_HANDLE 1"), "the 6.12 uprobe API was not found:\n{features}");
}

/// The feature probes' result (driver/Makefile) of the build of `tree`.
fn features_found(tree: &str) -> String {
    let generated = guest::work_dir().join("driver-build").join(tree).join("compat/generated");
    let dirs = std::fs::read_dir(&generated).unwrap_or_else(|e| panic!("{}: {e}", generated.display()));
    let headers: Vec<String> = dirs.flatten().filter_map(|d| std::fs::read_to_string(d.path().join("bpfdrv_features.h")).ok()).collect();
    assert_eq!(headers.len(), 1, "one feature header in {}", generated.display());
    headers.into_iter().next().unwrap_or_default()
}
