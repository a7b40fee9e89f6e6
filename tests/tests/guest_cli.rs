//! The `bpfhook` CLI as an operator meets it, installed from the .deb:
//! - `bpfhook doctor` verdicts on the host, in the no-bpf guest before and after
//!   `insmod bpfdrv.ko`, and in the stock (native eBPF) guest, each compared with what
//!   that machine really is;
//! - `bpfhook run -- execsnoop` in the no-bpf guest reports the same workload as
//!   `LD_PRELOAD=libbpfhook.so execsnoop` in the same boot;
//! - `bpfhook stats` shows the running program and its delivered events;
//! - the BTF comes from `scripts/make-btf.sh` run on the guest kernel's vmlinux, and
//!   doctor verifies it against the running kernel;
//! - the module is the PLT32→PC32-rewritten bpfdrv.ko a pre-4.16 kernel would get.
//!
//! One boot per kernel.
//!
//!     cargo test -p bpfcompat-tests --test guest_cli

mod packaging_common;

use bpfcompat_tests::guest::{self, repo_root, Guest, GuestRun, Kernel};
use bpfcompat_tests::require;
use packaging_common::{packages, run, unpacked_main};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The CLI and library as the .deb installs them (unpacked once: the tests run in parallel).
fn installed() -> (PathBuf, PathBuf) {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let root = ROOT.get_or_init(|| {
        let pkgs = packages(false).unwrap_or_else(|s| panic!("packages: {}", s.0));
        unpacked_main(&pkgs, "guest-cli")
    });
    (root.join("usr/bin/bpfhook"), root.join("usr/lib/bpfcompat/libbpfhook.so"))
}

fn check<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["checks"].as_array().and_then(|a| a.iter().find(|c| c["check"] == name)).unwrap_or_else(|| panic!("no '{name}' check in {doc}"))
}

fn doctor_json(run: &GuestRun, section: &str) -> Value {
    let text = run.expect_section(section);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| run.fail(format!("{section} is not JSON ({e}): {text}")))
}

/// make-btf.sh on the kernel's vmlinux (cached next to the guest images).
fn made_btf(kernel: &Kernel) -> PathBuf {
    let dir = guest::work_dir().join("make-btf");
    let out = dir.join(format!("{}.btf", kernel.release));
    let fresh = |p: &Path| {
        let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        matches!((m(p), m(&kernel.vmlinux)), (Some(a), Some(b)) if a >= b)
    };
    if !fresh(&out) || !dir.join(format!("{}.btf.banner", kernel.release)).exists() {
        guest::note("make-btf.sh on the guest kernel's vmlinux");
        run(Command::new(repo_root().join("scripts/make-btf.sh")).arg(&kernel.vmlinux).arg(&out));
    }
    out
}

/// bpfdrv.ko with every R_X86_64_PLT32 rewritten to PC32, as driver/Makefile does for
/// kernels before 4.16; the 6.1 loader treats both the same, so it must work unchanged.
fn pc32_module(kernel: &Kernel) -> PathBuf {
    let ko = guest::bpfdrv_module(kernel);
    let dir = guest::work_dir();
    let tool = dir.join("plt32_to_pc32");
    run(Command::new("gcc").args(["-O2", "-Wall", "-Werror", "-o"]).arg(&tool).arg(repo_root().join("driver/tools/plt32_to_pc32.c")));
    let out = dir.join("bpfdrv-pc32.ko");
    std::fs::copy(&ko, &out).unwrap();
    run(Command::new(&tool).arg(&out));
    let relocs = run(Command::new("readelf").arg("-r").arg(&out));
    assert!(!relocs.contains("R_X86_64_PLT32"), "PLT32 relocations left in {}", out.display());
    assert!(relocs.contains("R_X86_64_PC32"));
    out
}

#[test]
fn doctor_on_the_host_matches_the_host() {
    let (bpfhook, lib) = installed();
    let o = Command::new(&bpfhook).args(["doctor", "--json"]).env_remove("BPFHOOK_LIB").output().unwrap();
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {o:?}"));
    // Oracle: the kernel's symbol table has the bpf(2) entry point iff CONFIG_BPF_SYSCALL.
    let kallsyms = std::fs::read_to_string("/proc/kallsyms").unwrap_or_default();
    let has_sys_bpf = kallsyms.lines().any(|l| l.ends_with(" __x64_sys_bpf") || l.ends_with(" sys_bpf") || l.ends_with(" __do_sys_bpf"));
    if !kallsyms.is_empty() {
        assert_eq!(doc["native_bpf"], has_sys_bpf, "{doc}");
    }
    // The kernel line says which mode the hook picks here, and why.
    let reason = doc["mode_reason"].as_str().unwrap_or_else(|| panic!("no mode_reason: {doc}"));
    assert!(check(&doc, "kernel")["detail"].as_str().unwrap().ends_with(&format!(": {reason}")), "{doc}");
    assert!(doc["mode"] == "native" || doc["mode"] == "driver", "{doc}");
    let btf = check(&doc, "btf");
    if Path::new("/sys/kernel/btf/vmlinux").exists() {
        assert_eq!(btf["status"], "ok", "{doc}");
        assert!(btf["detail"].as_str().unwrap().contains("/sys/kernel/btf/vmlinux"));
    }
    let tracing = ["/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events"].iter().any(|p| Path::new(p).is_dir());
    assert_eq!(check(&doc, "tracefs")["status"], if tracing { "ok" } else { "fail" }, "{doc}");
    assert_eq!(check(&doc, "hook")["detail"], std::fs::canonicalize(&lib).unwrap().display().to_string());
    let blocked = doc["checks"].as_array().unwrap().iter().any(|c| c["status"] == "fail");
    assert_eq!(doc["usable"], !blocked);
    assert_eq!(o.status.code(), Some(if blocked { 1 } else { 0 }), "{doc}");
    // The text form says the same, one line per check.
    let text = run(Command::new(&bpfhook).arg("doctor").env_remove("BPFHOOK_LIB"));
    assert_eq!(text.lines().filter(|l| l.starts_with('[')).count(), doc["checks"].as_array().unwrap().len(), "{text}");
}

const MARKERS: &[(&str, &str)] = &[("echo", "/bin/echo cli-marker-1"), ("true", "cli-marker-2 --flag")];

#[test]
fn nobpf_guest_doctor_verdicts_run_and_stats() {
    let kernel = require!(guest::nobpf_kernel());
    let execsnoop = require!(guest::host_tool("execsnoop", "libbpf-tools"));
    let (bpfhook, lib) = installed();
    let btf = made_btf(&kernel);
    let module = pc32_module(&kernel);
    let btf_dst = format!("/var/lib/bpfhook/btf/{}.btf", kernel.release);
    let mut banner = btf.clone().into_os_string();
    banner.push(".banner");
    let tool_run = |name: &str, launch: &str| {
        format!(
            r#"{launch} >/tmp/{name}.out 2>/tmp/{name}.err &
pid=$!
if wait_for /tmp/{name}.out PCOMM 120 $pid; then result {name}_ready yes; else result {name}_ready no; fi
/bin/echo cli-marker-1
/bin/true cli-marker-2 --flag
if wait_for /tmp/{name}.out cli-marker-2 30 $pid; then result {name}_events yes; else result {name}_events no; fi
bpfhook stats >/tmp/{name}-stats.txt 2>&1; result {name}_stats_exit $?
bpfhook stats --json >/tmp/{name}-stats.json 2>&1
stop $pid 30; result {name}_exit $exit_status
show {name}-stdout /tmp/{name}.out
show {name}-stderr /tmp/{name}.err
show {name}-stats /tmp/{name}-stats.txt
show {name}-stats-json /tmp/{name}-stats.json
"#
        )
    };
    let body = format!(
        r#". /bpfcompat/lib.sh
export PATH=/usr/bin:$PATH
bpfhook doctor >/tmp/d0.txt; result doctor0_exit $?
bpfhook doctor --json >/tmp/d0.json
show doctor0 /tmp/d0.txt
show doctor0-json /tmp/d0.json
BPFHOOK_BTF=/var/lib/bpfhook/nobanner.btf bpfhook doctor --json >/tmp/d-nobanner.json
show doctor-nobanner-json /tmp/d-nobanner.json
if [ -e /var/lib/bpfhook/other.btf ]; then
    BPFHOOK_BTF=/var/lib/bpfhook/other.btf bpfhook doctor --json >/tmp/d-other.json; result doctor_other_exit $?
    show doctor-other-json /tmp/d-other.json
fi
insmod $MODULE; result insmod $?
ls -l /dev/bpfdrv
bpfhook doctor >/tmp/d1.txt; result doctor1_exit $?
bpfhook doctor --json >/tmp/d1.json
show doctor1 /tmp/d1.txt
show doctor1-json /tmp/d1.json
{run_form}
{preload_form}
# busybox is static: LD_PRELOAD never reaches it, bpfhook run traces it (the launcher).
bpfhook run -- /bin/busybox true 2>/tmp/static.err; result static_run_exit $?
show static-run /tmp/static.err
bpfhook stats --json >/tmp/final-stats.json 2>&1
show final-stats-json /tmp/final-stats.json
rmmod bpfdrv; result rmmod $?
"#,
        run_form = tool_run("cli", &format!("stdbuf -oL bpfhook run -- {}", execsnoop.display())),
        preload_form = tool_run("preload", &format!("LD_PRELOAD=$HOOK stdbuf -oL {}", execsnoop.display())),
    );
    // The host kernel's BTF: another kernel for the guest (when the host has one).
    let host_btf = std::fs::read("/sys/kernel/btf/vmlinux").ok().map(|b| {
        let p = guest::work_dir().join("host-vmlinux.btf");
        std::fs::write(&p, b).unwrap();
        p
    });
    let mut g = Guest::new("cli_nobpf", &kernel);
    if let Some(h) = &host_btf {
        g = g.file(h, "/var/lib/bpfhook/other.btf");
    }
    let run = g
        .file(&btf, "/var/lib/bpfhook/nobanner.btf")
        .binary_at(&bpfhook, "/usr/bin/bpfhook")
        .file(&lib, guest::GUEST_HOOK)
        .file(&btf, &btf_dst)
        .file(PathBuf::from(banner), &format!("{btf_dst}.banner"))
        .binary(&execsnoop)
        .with_stdbuf()
        .with_module(&module)
        .body(&body)
        .boot();
    run.assert_completed();

    // Without the module: no bpf(), so doctor blocks and says to load it.
    let d0 = doctor_json(&run, "doctor0-json");
    run.assert_value("doctor0_exit", "1", "doctor's exit status without the module");
    assert_eq!(d0["native_bpf"], false, "{d0}");
    assert_eq!(d0["mode"], "driver", "{d0}");
    assert_eq!(d0["mode_reason"], "no bpf() (ENOSYS): auto mode uses bpfdrv", "{d0}");
    assert_eq!(d0["usable"], false, "{d0}");
    assert_eq!(check(&d0, "module")["status"], "fail", "{d0}");
    assert!(check(&d0, "module")["fix"].as_str().unwrap_or("").contains("modprobe bpfdrv"), "{d0}");
    assert_eq!(check(&d0, "device")["status"], "fail", "{d0}");
    assert!(run.expect_section("doctor0").contains("verdict: BLOCKED"));
    assert!(run
        .expect_section("doctor0")
        .contains(&format!(" kernel               {}: no bpf() (ENOSYS): auto mode uses bpfdrv\n", kernel.release)));
    // The BTF made by make-btf.sh is verified against the running kernel.
    let b = check(&d0, "btf");
    assert_eq!(b["status"], "ok", "{d0}");
    let detail = b["detail"].as_str().unwrap();
    assert!(detail.contains("build banner equals /proc/version"), "{detail}");
    // Without the banner the struct sizes alone must recognise the right BTF ...
    let nb = doctor_json(&run, "doctor-nobanner-json");
    let b = check(&nb, "btf");
    assert_eq!(b["status"], "ok", "{nb}");
    assert!(b["detail"].as_str().unwrap().contains("struct sizes agree with the running kernel"), "{nb}");
    // ... and reject another kernel's (the host's), which blocks use.
    if host_btf.is_some() {
        let other = doctor_json(&run, "doctor-other-json");
        let b = check(&other, "btf");
        assert_eq!(b["status"], "fail", "the host's BTF accepted for the guest kernel: {other}");
        assert!(b["detail"].as_str().unwrap().contains("is for another kernel: struct "), "{other}");
        run.assert_value("doctor_other_exit", "1", "doctor with a BTF for another kernel");
    }
    for (k, v) in
        [("tracefs", "ok"), ("syscall_tracepoints", "ok"), ("kprobe_events", "ok"), ("debugfs", "ok"), ("hook", "ok"), ("launcher", "ok")]
    {
        assert_eq!(check(&d0, k)["status"], v, "{k}: {d0}");
    }

    // With the module: usable, protocol versions agree.
    run.assert_value("insmod", "0", "insmod of the PC32-rewritten bpfdrv.ko");
    let d1 = doctor_json(&run, "doctor1-json");
    run.assert_value("doctor1_exit", "0", "doctor's exit status with the module");
    assert_eq!(d1["usable"], true, "{d1}");
    assert_eq!(check(&d1, "module")["status"], "ok", "{d1}");
    assert_eq!(check(&d1, "device")["status"], "ok", "{d1}");
    let proto = check(&d1, "protocol");
    assert_eq!(proto["status"], "ok", "{d1}");
    let want = format!("module speaks protocol {p}, hook speaks {p}", p = driver_protocol_version());
    assert_eq!(proto["detail"], want, "{d1}");
    assert!(check(&d1, "device")["detail"].as_str().unwrap().contains("mode 0600"), "{d1}");
    assert!(run.expect_section("doctor1").contains("verdict: eBPF tools can run here"));

    // `bpfhook run` and LD_PRELOAD: the same tool life and the same events.
    for form in ["cli", "preload"] {
        run.assert_value(&format!("{form}_ready"), "yes", &format!("execsnoop ({form}) printed its header"));
        run.assert_value(&format!("{form}_events"), "yes", &format!("execsnoop ({form}) reported the workload"));
        run.assert_value(&format!("{form}_exit"), "0", &format!("execsnoop ({form}) exit status after SIGINT"));
        run.assert_line(&format!("{form}-stdout"), &["PCOMM", "PID", "PPID", "RET", "ARGS"], "header");
        for (comm, args) in MARKERS {
            run.assert_line(&format!("{form}-stdout"), &[comm, args], &format!("{form}: exec of {comm}"));
        }
        run.assert_value(&format!("{form}_stats_exit"), "0", "bpfhook stats while execsnoop runs");
        let stats: Value = serde_json::from_str(run.expect_section(&format!("{form}-stats-json")).trim())
            .unwrap_or_else(|e| run.fail(format!("stats --json: {e}")));
        let progs = stats["progs"].as_array().cloned().unwrap_or_default();
        assert!(stats["objects"]["progs"].as_u64().unwrap_or(0) >= 1 && !progs.is_empty(), "no program alive: {stats}");
        assert!(stats["objects"]["maps"].as_u64().unwrap_or(0) >= 1, "{stats}");
        // execsnoop's tracepoint perf events and its per-CPU perf buffer rings.
        assert!(stats["objects"]["events"].as_u64().unwrap_or(0) >= 1, "{stats}");
        assert!(stats["objects"]["rings"].as_u64().unwrap_or(0) >= 1, "{stats}");
        assert!(progs.iter().any(|p| p["runs"].as_u64().unwrap_or(0) > 0), "no program ran: {stats}");
        assert!(stats["events"]["delivered"].as_u64().unwrap_or(0) >= MARKERS.len() as u64, "{stats}");
        assert!(run.expect_section(&format!("{form}-stats")).contains("RUN_TIME_NS"));
    }
    let events = |form: &str| -> Vec<String> {
        let out = run.expect_section(&format!("{form}-stdout"));
        // The workload's execs (the shell's own polling greps name the output file).
        out.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|f| f.len() > 4 && MARKERS.iter().any(|(comm, _)| f[0] == *comm))
            // PCOMM PID PPID RET ARGS...: the pids differ between runs, the rest must not.
            .map(|f| format!("{} {} {}", f[0], f[3], f[4..].join(" ")))
            .collect()
    };
    assert_eq!(events("cli"), events("preload"), "bpfhook run and LD_PRELOAD saw different events");
    run.assert_value("static_run_exit", "0", "bpfhook run starts a static tool under its launcher where the driver serves");
    let said = run.expect_section("static-run");
    assert!(said.trim().is_empty(), "the launcher is silent for a tool that makes no bpf() call: {said}");
    // Both tools gone: every object count is back to zero (nothing leaked).
    let fin: Value =
        serde_json::from_str(run.expect_section("final-stats-json").trim()).unwrap_or_else(|e| run.fail(format!("final stats: {e}")));
    for k in ["maps", "progs", "btf", "links", "events", "rings"] {
        assert_eq!(fin["objects"][k], 0, "{k} still alive after the tools exited: {fin}");
    }
    assert!(fin["progs"].as_array().is_some_and(|p| p.is_empty()), "{fin}");
    run.assert_value("rmmod", "0", "rmmod after both tools exited");
    run.assert_kernel_clean();
    run.assert_clean_exit();
}

#[test]
fn stock_guest_doctor_says_native() {
    let kernel = require!(guest::stock_kernel());
    let (bpfhook, lib) = installed();
    let run = Guest::new("cli_stock", &kernel)
        .binary_at(&bpfhook, "/usr/bin/bpfhook")
        .file(&lib, guest::GUEST_HOOK)
        .body(
            r#". /bpfcompat/lib.sh
/usr/bin/bpfhook doctor --json >/tmp/d.json; result doctor_exit $?
/usr/bin/bpfhook doctor >/tmp/d.txt
show doctor-json /tmp/d.json
show doctor /tmp/d.txt
grep -q ' sys_bpf$\| __x64_sys_bpf$' /proc/kallsyms && result oracle_sys_bpf yes || result oracle_sys_bpf no
# A static tool needs no hook where the kernel's own bpf() serves it.
/usr/bin/bpfhook run -- /bin/busybox true; result static_run_exit $?
"#,
        )
        .boot();
    run.assert_clean_exit();
    run.assert_value("oracle_sys_bpf", "yes", "the stock kernel has bpf(2)");
    run.assert_value("static_run_exit", "0", "bpfhook run starts a static tool where the kernel's bpf() serves it");
    let d = doctor_json(&run, "doctor-json");
    run.assert_value("doctor_exit", "0", "doctor on a kernel with native eBPF");
    assert_eq!(d["native_bpf"], true, "{d}");
    assert_eq!(d["mode"], "native", "{d}");
    assert_eq!(d["usable"], true, "{d}");
    assert_eq!(check(&d, "module")["status"], "ok", "{d}");
    assert!(check(&d, "module")["detail"].as_str().unwrap().contains("not needed"), "{d}");
    assert_eq!(check(&d, "btf")["status"], "ok", "{d}");
    assert!(check(&d, "btf")["detail"].as_str().unwrap().contains("/sys/kernel/btf/vmlinux"), "{d}");
    // The guest runs doctor as root: the probe reaches the kernel's own answers.
    assert!(run.expect_section("doctor").contains("native bpf() usable (global data, BTF): auto mode passes through"));
}

/// CentOS 7.9's kernel has RHEL's eBPF backport: bpf() answers, but without global data
/// or BTF loading, so auto mode must choose bpfdrv there and doctor must say why.
#[test]
fn centos7_guest_doctor_chooses_the_driver_over_rhels_bpf() {
    let kernel = require!(guest::centos7_kernel());
    let (bpfhook, lib) = installed();
    let run = Guest::new("cli_centos7", &kernel)
        .binary_at(&bpfhook, "/usr/bin/bpfhook")
        .with_hook(&lib)
        .with_module(guest::bpfdrv_module(&kernel))
        .body(
            r#". /bpfcompat/lib.sh
grep -q ' sys_bpf$\| SyS_bpf$' /proc/kallsyms && result oracle_sys_bpf yes || result oracle_sys_bpf no
/usr/bin/bpfhook doctor --json >/tmp/d0.json; result doctor0_exit $?
/usr/bin/bpfhook doctor >/tmp/d0.txt
insmod $MODULE; result insmod $?
/usr/bin/bpfhook doctor --json >/tmp/d1.json; result doctor1_exit $?
/usr/bin/bpfhook doctor >/tmp/d1.txt
show doctor0-json /tmp/d0.json
show doctor0 /tmp/d0.txt
show doctor1-json /tmp/d1.json
show doctor1 /tmp/d1.txt
rmmod bpfdrv; result rmmod $?
"#,
        )
        .boot();
    run.assert_clean_exit();
    run.assert_value("oracle_sys_bpf", "yes", "RHEL 7's kernel has bpf(2)");
    let reason = "native bpf() present but lacks global data (BPF_PSEUDO_MAP_VALUE, EINVAL): auto mode uses bpfdrv";
    for (section, exit, usable) in [("doctor0", "1", false), ("doctor1", "0", true)] {
        let d = doctor_json(&run, &format!("{section}-json"));
        run.assert_value(&format!("{section}_exit"), exit, &format!("{section}: exit status (module loaded: {usable})"));
        assert_eq!(d["native_bpf"], true, "{d}");
        assert_eq!(d["mode"], "driver", "{d}");
        assert_eq!(d["mode_reason"], reason, "{d}");
        assert_eq!(d["usable"], usable, "{d}");
        if !run.expect_section(section).contains(reason) {
            run.fail(format!("{section}: the kernel line does not say {reason:?}"));
        }
    }
    run.assert_value("rmmod", "0", "rmmod bpfdrv");
}

fn driver_protocol_version() -> u32 {
    let src = std::fs::read_to_string(repo_root().join("driver-protocol/src/lib.rs")).unwrap();
    src.lines()
        .find_map(|l| l.trim().strip_prefix("pub const BPFDRV_PROTOCOL_VERSION: u32 = ")?.trim_end_matches(';').parse().ok())
        .expect("BPFDRV_PROTOCOL_VERSION in driver-protocol")
}
