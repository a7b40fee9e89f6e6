//! The packages, built once per test binary with `scripts/build-packages.sh`, and the
//! .deb unpacked into a root directory: what an operator's host would get.

#![allow(dead_code)]

use bpfcompat_tests::guest::{self, repo_root, Skip};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Run a command; its stdout, or a panic with everything it printed.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let (so, se) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{cmd:?} failed ({}):\n--- stdout\n{so}\n--- stderr\n{se}", out.status);
    so.into_owned()
}

/// Output directory with the .debs and, when rpmbuild is installed, the RPMs (built
/// once per test binary, from the glibc 2.17 build in target/glibc217, which needs zig
/// and cargo-zigbuild from scripts/install-deps.sh). `need_rpm`: skip without rpmbuild.
pub fn packages(need_rpm: bool) -> Result<PathBuf, Skip> {
    guest::need_tool("dpkg-deb", "dpkg")?;
    if need_rpm {
        guest::need_tool("rpmbuild", "rpm")?;
    }
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    Ok(OUT
        .get_or_init(|| {
            let out = repo_root().join("target/pkg-out");
            let _ = std::fs::remove_dir_all(&out);
            let mut cmd = Command::new(repo_root().join("scripts/build-packages.sh"));
            cmd.arg(&out);
            if guest::need_tool("rpmbuild", "rpm").is_err() {
                cmd.arg("--no-rpm");
            }
            guest::note(format!("building packages into {}", out.display()));
            run(&mut cmd);
            out
        })
        .clone())
}

pub fn deb(out: &Path, name: &str) -> PathBuf {
    let arch = if name == "bpfcompat" { "amd64" } else { "all" };
    let p = out.join(format!("{name}_{}_{arch}.deb", version()));
    assert!(p.is_file(), "{} was not built", p.display());
    p
}

/// The bpfcompat .deb unpacked (`dpkg -x`) into a fresh directory.
pub fn unpacked_main(out: &Path, tag: &str) -> PathBuf {
    let root = repo_root().join("target").join(format!("pkg-root-{tag}"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    run(Command::new("dpkg").arg("-x").arg(deb(out, "bpfcompat")).arg(&root));
    root
}
