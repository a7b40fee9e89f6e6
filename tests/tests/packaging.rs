//! Fleet packaging: the .debs and RPMs `scripts/build-packages.sh` builds hold what the
//! operator needs, install into a root, and the CLI runs from the installed paths;
//! DKMS builds the module from the packaged source against the no-bpf 6.1 tree.
//!
//!     cargo test -p bpfcompat-tests --test packaging

mod packaging_common;

use bpfcompat_tests::guest;
use bpfcompat_tests::require;
use packaging_common::{deb, packages, run, version};
use std::process::Command;

fn rpm_query(rpm: &std::path::Path, args: &[&str]) -> String {
    run(Command::new("rpm").args(["-qp"]).args(args).arg(rpm))
}

#[test]
fn rpms_hold_the_files_scripts_and_requirements() {
    let out = require!(packages(true));
    let v = version();
    let main = out.join(format!("bpfcompat-{v}-1.x86_64.rpm"));
    let dkms = out.join(format!("bpfcompat-dkms-{v}-1.noarch.rpm"));
    let files = rpm_query(&main, &["-l"]);
    for f in [
        "/usr/bin/bpfhook",
        "/usr/lib/bpfcompat/libbpfhook.so",
        "/usr/share/bpfcompat/make-btf.sh",
        "/usr/share/doc/bpfcompat/README.md",
        "/var/lib/bpfhook/btf",
    ] {
        assert!(files.lines().any(|l| l == f), "bpfcompat RPM lacks {f}:\n{files}");
    }
    let dfiles = rpm_query(&dkms, &["-l"]);
    for f in [
        format!("/usr/src/bpfdrv-{v}/dkms.conf"),
        format!("/usr/src/bpfdrv-{v}/Makefile"),
        format!("/usr/src/bpfdrv-{v}/bpfdrv_main.c"),
        format!("/usr/src/bpfdrv-{v}/compat.h"),
        format!("/usr/src/bpfdrv-{v}/engine/ebpf_interp.c"),
        "/usr/lib/modules-load.d/bpfdrv.conf".into(),
        "/usr/lib/udev/rules.d/60-bpfdrv.rules".into(),
    ] {
        assert!(dfiles.lines().any(|l| l == f), "bpfcompat-dkms RPM lacks {f}:\n{dfiles}");
    }
    assert!(!dfiles.contains(".ko") && !dfiles.contains(".o\n") && !dfiles.contains(".mod.c"), "build products in the source package:\n{dfiles}");

    let scripts = rpm_query(&dkms, &["--scripts"]);
    for s in [
        format!("dkms add -m bpfdrv -v {v}"),
        format!("dkms build -m bpfdrv -v {v}"),
        format!("dkms install -m bpfdrv -v {v}"),
        "modprobe bpfdrv".into(),
        format!("dkms remove -m bpfdrv -v {v} --all"),
    ] {
        assert!(scripts.contains(&s), "bpfcompat-dkms scriptlets lack '{s}':\n{scripts}");
    }
    assert!(scripts.contains("postinstall") && scripts.contains("preuninstall"), "{scripts}");
    assert!(rpm_query(&main, &["--scripts"]).trim().is_empty(), "bpfcompat itself needs no scriptlets");

    let req = rpm_query(&dkms, &["--requires"]);
    for r in ["dkms", "make", "gcc"] {
        assert!(req.lines().any(|l| l.trim() == r), "bpfcompat-dkms does not require {r}:\n{req}");
    }
    let req = rpm_query(&main, &["--requires"]);
    assert!(req.lines().any(|l| l.trim() == "glibc >= 2.17"), "{req}");
    // Both RPMs install with rpm into an empty root (scriptlets need dkms: not run here),
    // and the CLI runs from there with the library next to it.
    let root = guest::repo_root().join("target/pkg-rpm-root");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    run(Command::new("rpm").arg(format!("--root={}", root.display())).arg("--initdb"));
    run(Command::new("rpm")
        .arg(format!("--root={}", root.display()))
        .args(["-i", "--nodeps", "--noscripts", "--nosignature"])
        .arg(&main)
        .arg(&dkms));
    let qa = run(Command::new("rpm").arg(format!("--root={}", root.display())).arg("-qa"));
    assert!(qa.contains(&format!("bpfcompat-{v}-1.x86_64")) && qa.contains(&format!("bpfcompat-dkms-{v}-1.noarch")), "{qa}");
    let preload = run(Command::new(root.join("usr/bin/bpfhook")).args(["run", "--", "sh", "-c", "echo \"$LD_PRELOAD\""]).env_remove("BPFHOOK_LIB").env_remove("LD_PRELOAD"));
    assert_eq!(preload.trim(), std::fs::canonicalize(root.join("usr/lib/bpfcompat/libbpfhook.so")).unwrap().to_str().unwrap());
    assert!(root.join(format!("usr/src/bpfdrv-{v}/dkms.conf")).is_file());

    // CentOS 7's rpm 4.11 reads gzip payloads, not zstd (Debian rpmbuild's default).
    assert_eq!(rpm_query(&main, &["--qf", "%{PAYLOADCOMPRESSOR}"]).trim(), "gzip");
    assert_eq!(rpm_query(&dkms, &["--qf", "%{ARCH} %{VERSION}"]).trim(), format!("noarch {v}"));
    // What the binaries built here need of glibc: on CentOS 7 (glibc 2.17) they must be
    // built there; the note makes that visible in the test log.
    let newest = req.lines().filter_map(|l| l.trim().strip_prefix("libc.so.6(GLIBC_")?.strip_suffix(")(64bit)")).max_by_key(|v| {
        v.split('.').map(|n| n.parse::<u32>().unwrap_or(0)).collect::<Vec<_>>()
    });
    guest::note(format!("bpfcompat RPM built here needs glibc symbols up to GLIBC_{}", newest.unwrap_or("?")));
}

#[test]
fn deb_installs_into_a_root_and_its_cli_runs_from_the_installed_paths() {
    let out = require!(packages(false));
    let v = version();
    let info = run(Command::new("dpkg-deb").args(["-f"]).arg(deb(&out, "bpfcompat")).args(["Package", "Version", "Architecture", "Depends"]));
    assert!(info.contains("Package: bpfcompat\n") && info.contains(&format!("Version: {v}")) && info.contains("Architecture: amd64"), "{info}");
    let dinfo = run(Command::new("dpkg-deb").arg("-I").arg(deb(&out, "bpfcompat-dkms")));
    assert!(dinfo.contains("Depends: dkms") && dinfo.contains("postinst") && dinfo.contains("prerm"), "{dinfo}");

    // A real dpkg install into an empty root with its own dpkg database.
    let root = bpfcompat_tests::guest::repo_root().join("target/pkg-dpkg-root");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("var/lib/dpkg/info")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg/updates")).unwrap();
    std::fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
    run(Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .args(["--force-depends", "--force-not-root", "--force-script-chrootless", "--log=/dev/null", "-i"])
        .arg(deb(&out, "bpfcompat")));
    let listed = run(Command::new("dpkg").arg(format!("--root={}", root.display())).args(["-L", "bpfcompat"]));
    assert!(listed.contains("/usr/bin/bpfhook") && listed.contains("/usr/lib/bpfcompat/libbpfhook.so"), "{listed}");

    let bin = root.join("usr/bin/bpfhook");
    let lib = root.join("usr/lib/bpfcompat/libbpfhook.so");
    // `bpfhook run` finds the library next to itself (../lib/bpfcompat) and execs the tool.
    let o = Command::new(&bin).args(["run", "--", "sh", "-c", "echo \"$LD_PRELOAD\"; exit 3"]).env_remove("LD_PRELOAD").env_remove("BPFHOOK_LIB").output().unwrap();
    assert_eq!(o.status.code(), Some(3), "the tool's exit status comes back: {o:?}");
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), std::fs::canonicalize(&lib).unwrap().to_str().unwrap());
    // ... and the tool really runs with the hook loaded (it is a real preload library).
    let maps = run(Command::new(&bin).args(["run", "--", "cat", "/proc/self/maps"]).env_remove("BPFHOOK_LIB"));
    assert!(maps.contains("libbpfhook.so"), "libbpfhook.so not mapped into the tool:\n{maps}");

    // --btf sets the hook's BTF path for the tool; a missing file is refused up front.
    let o = Command::new(&bin).args(["run", "--btf"]).arg(&lib).args(["--", "sh", "-c", "echo \"$BPFHOOK_BTF\""]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), lib.to_str().unwrap(), "{o:?}");
    let o = Command::new(&bin).args(["run", "--btf", "/nonexistent.btf", "--", "true"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent.btf: no such file"), "{o:?}");
    let o = Command::new(&bin).args(["run", "--", "/nonexistent-tool"]).output().unwrap();
    assert_eq!(o.status.code(), Some(127), "{o:?}");

    // doctor from the installed path: JSON, the hook found there, a verdict.
    let o = Command::new(&bin).args(["doctor", "--json"]).env_remove("BPFHOOK_LIB").output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("doctor --json: {e}: {o:?}"));
    let hook = v["checks"].as_array().unwrap().iter().find(|c| c["check"] == "hook").expect("hook check");
    assert_eq!(hook["status"], "ok", "{v}");
    assert!(hook["detail"].as_str().unwrap().ends_with("/usr/lib/bpfcompat/libbpfhook.so"), "{v}");
    assert_eq!(o.status.code(), Some(if v["usable"] == true { 0 } else { 1 }), "exit status follows the verdict: {v}");
    let help = run(Command::new(&bin).arg("--help"));
    assert!(help.contains("run") && help.contains("doctor") && help.contains("stats"), "{help}");
}

#[test]
fn dkms_builds_the_packaged_module_against_the_nobpf_kernel() {
    let kernel = require!(guest::nobpf_kernel());
    require!(guest::need_tool("dkms", "dkms"));
    let out = require!(packages(false));
    let v = version();
    let work = guest::repo_root().join("target/pkg-dkms");
    let _ = std::fs::remove_dir_all(&work);
    let (src, tree) = (work.join("root"), work.join("dkms"));
    std::fs::create_dir_all(&tree).unwrap();
    run(Command::new("dpkg").arg("-x").arg(deb(&out, "bpfcompat-dkms")).arg(&src));
    let conf = std::fs::read_to_string(src.join(format!("usr/src/bpfdrv-{v}/dkms.conf"))).unwrap();
    assert!(conf.contains(&format!("PACKAGE_VERSION=\"{v}\"")), "{conf}");
    let trees = |c: &mut Command| {
        c.arg("--sourcetree").arg(src.join("usr/src")).arg("--dkmstree").arg(&tree);
    };
    let mut add = Command::new("dkms");
    add.args(["add", "-m", "bpfdrv", "-v", &v]);
    trees(&mut add);
    run(&mut add);
    let mut build = Command::new("dkms");
    build.args(["build", "-m", "bpfdrv", "-v", &v, "-k", &kernel.release, "--kernelsourcedir"]).arg(&kernel.kdir);
    trees(&mut build);
    let o = build.output().unwrap();
    let log = std::fs::read_to_string(tree.join(format!("bpfdrv/{v}/build/make.log"))).unwrap_or_default();
    assert!(o.status.success(), "dkms build failed: {o:?}\n--- make.log\n{log}");
    let ko = tree.join(format!("bpfdrv/{v}/{}/x86_64/module/bpfdrv.ko", kernel.release));
    assert!(ko.is_file(), "dkms build left no {}: {o:?}", ko.display());
    let modinfo = run(Command::new("modinfo").arg(&ko));
    assert!(modinfo.contains(&format!("vermagic:       {} ", kernel.release)), "{modinfo}");
}
