//! Fleet packaging: the .debs and RPMs `scripts/build-packages.sh` builds hold what the
//! operator needs, install into a root, and the CLI runs from the installed paths;
//! DKMS builds the module from the packaged source against the no-bpf 6.1 tree; every
//! ELF file the RPM ships loads on glibc 2.17 (CentOS/RHEL 7).
//!
//!     cargo test -p bpfcompat-tests --test packaging

mod packaging_common;

use bpfcompat_tests::guest;
use bpfcompat_tests::require;
use packaging_common::{deb, packages, run, unpacked_main, version};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
    assert!(
        !dfiles.contains(".ko") && !dfiles.contains(".o\n") && !dfiles.contains(".mod.c"),
        "build products in the source package:\n{dfiles}"
    );

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
    let preload = run(Command::new(root.join("usr/bin/bpfhook"))
        .args(["run", "--", "sh", "-c", "echo \"$LD_PRELOAD\""])
        .env_remove("BPFHOOK_LIB")
        .env_remove("LD_PRELOAD"));
    assert_eq!(preload.trim(), std::fs::canonicalize(root.join("usr/lib/bpfcompat/libbpfhook.so")).unwrap().to_str().unwrap());
    assert!(root.join(format!("usr/src/bpfdrv-{v}/dkms.conf")).is_file());

    // CentOS 7's rpm 4.11 reads gzip payloads, not zstd (Debian rpmbuild's default).
    assert_eq!(rpm_query(&main, &["--qf", "%{PAYLOADCOMPRESSOR}"]).trim(), "gzip");
    assert_eq!(rpm_query(&dkms, &["--qf", "%{ARCH} %{VERSION}"]).trim(), format!("noarch {v}"));
    // What rpmbuild found the binaries need of glibc (its automatic requirements): nothing
    // CentOS 7's glibc 2.17 lacks. The symbol-level check is rpm_payload_loads_on_glibc_2_17.
    let newest =
        req.lines().filter_map(|l| l.trim().strip_prefix("libc.so.6(GLIBC_")?.strip_suffix(")(64bit)")).max_by_key(|v| glibc_version(v));
    let newest = newest.expect("no libc.so.6(GLIBC_*) requirement: rpmbuild's ELF dependency generator did not run");
    assert!(!after_2_17(newest), "the bpfcompat RPM requires GLIBC_{newest}, newer than CentOS 7's 2.17:\n{req}");
    guest::note(format!("bpfcompat RPM needs glibc symbols up to GLIBC_{newest}"));
}

// ---- glibc 2.17 (CentOS/RHEL 7): what the RPM ships must load there ----

/// "2.2.5" -> [2, 2, 5]: compared numerically, part by part (2.2.5 < 2.17 < 2.18).
fn glibc_version(v: &str) -> Vec<u32> {
    v.split('.').map(|n| n.parse().unwrap_or(u32::MAX)).collect()
}

/// Whether glibc version `v` ("2.18") is newer than CentOS/RHEL 7's 2.17.
fn after_2_17(v: &str) -> bool {
    glibc_version(v).as_slice() > [2, 17].as_slice()
}

/// Why an ELF file would not load on glibc 2.17, one line per reason, from its
/// `objdump -T` (dynamic symbols) and `objdump -p` (version references) output:
/// - a symbol bound to `GLIBC_2.18` or newer (weak or not: ld.so checks every version
///   an object needs when it loads it, and fails on one it does not know);
/// - an undefined, non-weak symbol with no version: in a build linked against glibc 2.17
///   (every symbol 2.17 has gets its version) it is one that 2.17 lacks, and with
///   BIND_NOW, as Rust links, the object does not load.
fn glibc_findings(dynsyms: &str, private_headers: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in dynsyms.lines() {
        // "0000000000000000  w   DF *UND*\t0000000000000000 (GLIBC_2.25) getrandom"
        let Some((head, tail)) = line.split_once('\t') else { continue };
        if head.len() < 24 || !head[..16].bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let (flags, section) = (&head[17..24], head[24..].trim());
        let words: Vec<&str> = tail.split_whitespace().collect();
        let (version, name) = match words.as_slice() {
            [_size, name] => (None, *name),
            [_size, version, name, ..] => (Some(version.trim_matches(|c| c == '(' || c == ')')), *name),
            _ => continue,
        };
        match version {
            Some(v) => match v.strip_prefix("GLIBC_") {
                Some(v) if after_2_17(v) => found.push(format!("{name}@GLIBC_{v}")),
                _ => {}
            },
            None if section == "*UND*" && !flags.contains('w') => {
                found.push(format!("{name} (undefined, non-weak and unversioned: not in glibc 2.17)"))
            }
            None => {}
        }
    }
    // "Version References:\n  required from libc.so.6:\n    0x09691a75 0x00 02 GLIBC_2.2.5"
    let mut from = "";
    for line in private_headers.lines().skip_while(|l| !l.starts_with("Version References")) {
        if let Some(lib) = line.trim().strip_prefix("required from ") {
            from = lib.trim_end_matches(':');
        } else if let Some(v) = line.split_whitespace().last().and_then(|w| w.strip_prefix("GLIBC_")) {
            if after_2_17(v) {
                found.push(format!("version GLIBC_{v} required from {from}"));
            }
        }
    }
    found
}

/// [`glibc_findings`] of one file, with objdump.
fn glibc_findings_of(elf: &Path) -> Vec<String> {
    glibc_findings(&run(Command::new("objdump").arg("-T").arg(elf)), &run(Command::new("objdump").arg("-p").arg(elf)))
}

fn is_elf(p: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(p).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && magic == *b"\x7fELF"
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let t = e.file_type().unwrap();
        if t.is_dir() {
            out.extend(files_under(&e.path()));
        } else if t.is_file() {
            out.push(e.path());
        }
    }
    out.sort();
    out
}

/// `rpm2cpio RPM | cpio -idm` into a fresh `target/<tag>`.
fn rpm_payload(rpm: &Path, tag: &str) -> PathBuf {
    let root = guest::repo_root().join("target").join(tag);
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let mut rpm2cpio = Command::new("rpm2cpio").arg(rpm).stdout(Stdio::piped()).spawn().expect("rpm2cpio");
    let cpio = Command::new("cpio")
        .args(["-idm", "--quiet", "--no-absolute-filenames"])
        .current_dir(&root)
        .stdin(rpm2cpio.stdout.take().unwrap())
        .output()
        .expect("cpio");
    let r = rpm2cpio.wait().unwrap();
    assert!(r.success() && cpio.status.success(), "rpm2cpio {} | cpio: {r}, {cpio:?}", rpm.display());
    root
}

#[test]
fn rpm_payload_loads_on_glibc_2_17() {
    require!(guest::need_tool("objdump", "binutils"));
    require!(guest::need_tool("rpm2cpio", "rpm"));
    require!(guest::need_tool("cpio", "cpio"));
    let out = require!(packages(true));
    let rpm = out.join(format!("bpfcompat-{}-1.x86_64.rpm", version()));
    let root = rpm_payload(&rpm, "pkg-rpm-payload");
    let elves: Vec<PathBuf> = files_under(&root).into_iter().filter(|p| is_elf(p)).collect();
    let rel = |p: &Path| p.strip_prefix(&root).unwrap().display().to_string();
    let names: Vec<String> = elves.iter().map(|p| rel(p)).collect();
    assert!(
        names.contains(&"usr/bin/bpfhook".into()) && names.contains(&"usr/lib/bpfcompat/libbpfhook.so".into()),
        "ELF files in the RPM: {names:?}"
    );
    let mut bad = Vec::new();
    for elf in &elves {
        bad.extend(glibc_findings_of(elf).into_iter().map(|f| format!("{}: {f}", rel(elf))));
    }
    assert!(bad.is_empty(), "the bpfcompat RPM ships symbols glibc 2.17 (CentOS/RHEL 7) lacks:\n  {}", bad.join("\n  "));
    guest::note(format!("{} ELF files in the RPM need nothing newer than GLIBC_2.17: {names:?}", elves.len()));

    // The same build runs here, on a newer glibc: the CLI, and the library as a preload
    // (a library ld.so cannot preload is only a warning on stderr, so stderr must be empty
    // and the library must be mapped).
    let (bin, lib) = (root.join("usr/bin/bpfhook"), root.join("usr/lib/bpfcompat/libbpfhook.so"));
    let v = run(Command::new(&bin).arg("--version"));
    assert_eq!(v.trim(), format!("bpfhook {}", version()));
    let o = Command::new("/bin/true").env("LD_PRELOAD", &lib).output().unwrap();
    assert!(o.status.success() && o.stderr.is_empty(), "LD_PRELOAD={} /bin/true: {o:?}", lib.display());
    let maps = run(Command::new("cat").arg("/proc/self/maps").env("LD_PRELOAD", &lib));
    assert!(maps.contains(lib.to_str().unwrap()), "{} not mapped into cat:\n{maps}", lib.display());

    // The .deb ships the very same two files.
    let deb_root = unpacked_main(&out, "glibc217");
    for f in ["usr/bin/bpfhook", "usr/lib/bpfcompat/libbpfhook.so"] {
        assert!(
            std::fs::read(root.join(f)).unwrap() == std::fs::read(deb_root.join(f)).unwrap(),
            "{f} differs between the RPM and the .deb"
        );
    }
}

#[test]
fn glibc_findings_parse_objdump_and_compare_versions_numerically() {
    let dynsyms = "\
/x/libbpfhook.so:     file format elf64-x86-64

DYNAMIC SYMBOL TABLE:
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.2.5) bcmp
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.14) memcpy
0000000000000000      DF *UND*\t0000000000000000  GLIBC_2.17  clock_gettime
0000000000000000  w   DF *UND*\t0000000000000000 (GLIBC_2.18) __cxa_thread_atexit_impl
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.27) memfd_create
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.34) dlsym
0000000000000000  w   D  *UND*\t0000000000000000              getrandom
0000000000000000      D  *UND*\t0000000000000000              statx
0000000000000000      DF *UND*\t0000000000000000 (GCC_3.0)     _Unwind_Resume
0000000000029ff0 g    DF .text\t0000000000000067  Base        faccessat
";
    let headers = "\
Version References:
  required from libc.so.6:
    0x09691a75 0x00 02 GLIBC_2.2.5
    0x06969197 0x00 03 GLIBC_2.17
    0x06969198 0x00 04 GLIBC_2.18
";
    assert_eq!(
        glibc_findings(dynsyms, headers),
        [
            "__cxa_thread_atexit_impl@GLIBC_2.18",
            "memfd_create@GLIBC_2.27",
            "dlsym@GLIBC_2.34",
            "statx (undefined, non-weak and unversioned: not in glibc 2.17)",
            "version GLIBC_2.18 required from libc.so.6",
        ]
    );
    assert!(!after_2_17("2.2.5") && !after_2_17("2.17") && after_2_17("2.18") && after_2_17("2.34") && after_2_17("3.0"));
    assert!(glibc_findings("", "").is_empty());
}

/// The check fails on binaries linked against this host's glibc (Debian 12: 2.36) as a
/// plain `cargo build` or gcc links them: what the RPM would ship without the 2.17 build.
#[test]
fn glibc_findings_catch_host_glibc_builds() {
    require!(guest::need_tool("objdump", "binutils"));
    // libbpfhook.so from a plain `cargo build --release` ($BPFCOMPAT_HOOK, which
    // scripts/test.sh sets to that build, else built by the guest harness): Rust's std
    // references __cxa_thread_atexit_impl@GLIBC_2.18 (weak) and GLIBC_2.25+ symbols.
    let hook = guest::hook_library();
    let found = glibc_findings_of(&hook);
    assert!(found.iter().any(|f| f == "__cxa_thread_atexit_impl@GLIBC_2.18"), "{}: {found:?}", hook.display());
    assert!(found.iter().any(|f| f.starts_with("version GLIBC_2.")), "{}: {found:?}", hook.display());
    guest::note(format!("host-glibc build {}: {found:?}", hook.display()));

    // A C library calling memfd_create and getrandom (glibc 2.27 and 2.25) directly.
    require!(guest::need_tool("gcc", "gcc"));
    let dir = guest::work_dir();
    let (src, so) = (dir.join("glibc-new.c"), dir.join("libglibc-new.so"));
    std::fs::write(
        &src,
        "#define _GNU_SOURCE\n#include <sys/mman.h>\n#include <sys/random.h>\n\
         int f(char *b) { return memfd_create(\"x\", 0) + (int)getrandom(b, 1, 0); }\n",
    )
    .unwrap();
    run(Command::new("gcc").args(["-shared", "-fPIC", "-O2", "-o"]).arg(&so).arg(&src));
    let found = glibc_findings_of(&so);
    for f in ["memfd_create@GLIBC_2.27", "getrandom@GLIBC_2.25", "version GLIBC_2.27 required from libc.so.6"] {
        assert!(found.iter().any(|x| x == f), "{f} not reported for {}: {found:?}", so.display());
    }
}

#[test]
fn deb_installs_into_a_root_and_its_cli_runs_from_the_installed_paths() {
    let out = require!(packages(false));
    let v = version();
    let info =
        run(Command::new("dpkg-deb").args(["-f"]).arg(deb(&out, "bpfcompat")).args(["Package", "Version", "Architecture", "Depends"]));
    assert!(
        info.contains("Package: bpfcompat\n") && info.contains(&format!("Version: {v}")) && info.contains("Architecture: amd64"),
        "{info}"
    );
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
    let o = Command::new(&bin)
        .args(["run", "--", "sh", "-c", "echo \"$LD_PRELOAD\"; exit 3"])
        .env_remove("LD_PRELOAD")
        .env_remove("BPFHOOK_LIB")
        .output()
        .unwrap();
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

/// `dkms add` + `dkms build` of the packaged source (unpacked at `src/usr/src`) against
/// `kernel`'s build tree, in a private dkms tree under `target/<tag>`; checks vermagic.
fn dkms_build(kernel: &guest::Kernel, src: &Path, tag: &str) {
    let v = version();
    let tree = guest::repo_root().join("target").join(tag);
    let _ = std::fs::remove_dir_all(&tree);
    std::fs::create_dir_all(&tree).unwrap();
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

#[test]
fn dkms_builds_the_packaged_module_against_the_nobpf_kernel() {
    let kernel = require!(guest::nobpf_kernel());
    require!(guest::need_tool("dkms", "dkms"));
    let out = require!(packages(false));
    let src = guest::repo_root().join("target/pkg-dkms-src");
    let _ = std::fs::remove_dir_all(&src);
    run(Command::new("dpkg").arg("-x").arg(deb(&out, "bpfcompat-dkms")).arg(&src));
    dkms_build(&kernel, &src, "pkg-dkms");
}

/// What a CentOS 7 host with kernel-devel does on `yum install bpfcompat-dkms`: the RPM's
/// source, built by dkms against CentOS 7.9's own tree (with its 3.10 fix-ups: PLT32).
#[test]
fn dkms_builds_the_rpm_module_against_centos7() {
    let kernel = require!(guest::centos7_kernel());
    require!(guest::need_tool("dkms", "dkms"));
    require!(guest::need_tool("rpm2cpio", "rpm"));
    let out = require!(packages(true));
    let rpm = out.join(format!("bpfcompat-dkms-{}-1.noarch.rpm", version()));
    let src = rpm_payload(&rpm, "pkg-dkms-rpm-src");
    dkms_build(&kernel, &src, "pkg-dkms-centos7");
    let ko = guest::repo_root().join(format!("target/pkg-dkms-centos7/bpfdrv/{}/{}/x86_64/module/bpfdrv.ko", version(), kernel.release));
    let relocs = run(Command::new("readelf").arg("-r").arg(&ko));
    assert!(!relocs.contains("R_X86_64_PLT32"), "a 3.10 loader refuses R_X86_64_PLT32, and dkms's bpfdrv.ko has some");
}
