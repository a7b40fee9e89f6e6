//! The fast subset of the compatibility matrix (the full one is `scripts/compat-matrix.sh`,
//! which regenerates docs/compat-matrix.md): a handful of representative libbpf-tools, one
//! boot of the no-bpf guest (bpfdrv.ko + hook) and one of the stock guest (native eBPF,
//! the oracle), each tool given its workload and compared with its native run; and one
//! boot of CentOS 7.9's kernel (bpfdrv.ko + hook) compared with the same native runs.
//! On 6.1 and CentOS 7.9 the module compiles programs to native code (jit=1): the tools
//! must give the same results, and some of their programs must have run natively; 6.12
//! keeps the interpreter (jit=0, the default).
//!
//!     cargo test --release -p bpfcompat-tests --test guest_matrix

use bpfcompat_tests::guest;
use bpfcompat_tests::matrix::{self, Bench, Runs, Side, Tool, Verdict};
use bpfcompat_tests::require;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Tools of the fast subset that must pass today: all of them. One that stops passing
/// fails the test.
const MUST_PASS: &[&str] = matrix::FAST;

/// Tools that prefer BTF-typed programs when the kernel can attach them: under the shim
/// they must have loaded tp_btf (runqlat, bitesize) or fentry / fexit (vfsstat, fsdist,
/// tcpconnlat) programs, not their kprobe / raw_tp fallback, and those must have run.
const MUST_TAKE_BTF_PATH: &[&str] = &["runqlat", "bitesize", "vfsstat", "fsdist", "tcpconnlat"];

/// Tools of the fast subset n/a on CentOS 7.9's kernel today; all others must pass there
/// (one that stops passing fails the test, one of these that starts passing is reported).
/// The one fast tool n/a there, as its own error says: exitsnoop reads a field whose type
/// 3.10 has in an older form (task_struct.start_time is a timespec). What makes the others
/// pass on 3.10: tcpstates and tcplife, the driver's synthetic sock:inet_sock_set_state
/// (driver/attach_sock_synth.c) and its record type in the served BTF
/// (hook/src/btf_synth_tp.rs); fsdist, ext4's read/write/getattr entries probed under
/// their 3.10 names (driver/kprobe_fn_names.c); mountsnoop, 3.10's
/// mnt_namespace.proc_inum served as ns.inum (hook/src/btf_alias.rs); runqlat and
/// biolatency, sched_switch's and block_rq_complete's arguments passed as kernels with raw
/// tracepoints do (driver/raw_tp_args.c), and for runqlat its read of
/// task_struct.thread_pid (absent in 3.10) behind a frozen .rodata option, which the
/// checker reads as a constant, as Linux's verifier does.
const CENTOS7_NOT_APPLICABLE: &[&str] = &["exitsnoop"];

fn fast_tools() -> Vec<&'static Tool> {
    matrix::FAST.iter().map(|n| matrix::tool(n).expect("fast tool in the table")).collect()
}

/// A verdict against its must-pass list (named `list`): a listed tool that does not pass is
/// a problem, an unlisted one that passes is reported, every non-pass must give a reason.
fn check_must_pass(t: &Tool, v: &Verdict, must_pass: &[&str], list: &str, problems: &mut Vec<String>) {
    match (v, must_pass.contains(&t.name)) {
        (Verdict::Pass | Verdict::PassWithoutOracle(_), false) => guest::note(format!("{} passes now: update {list}", t.name)),
        (Verdict::Pass | Verdict::PassWithoutOracle(_), true) | (Verdict::PassAttachOnly(_), _) => {}
        (_, true) => problems.push(format!("{}: {:?}", t.name, v)),
        (Verdict::Fail(w) | Verdict::NotApplicable(w), false) => assert!(!w.is_empty(), "{} has no reason", t.name),
    }
}

/// The native runs of the fast subset, the stock kernel's release and its serial logs.
type NativeRuns = (Runs, String, Vec<PathBuf>);

/// The native 6.1 runs of the fast subset (the oracle of both tests): one boot of the
/// stock kernel, whichever test asks first; its release and serial logs.
fn native_fast_runs() -> Result<&'static NativeRuns, guest::Skip> {
    static NATIVE: OnceLock<Result<NativeRuns, guest::Skip>> = OnceLock::new();
    NATIVE
        .get_or_init(|| {
            let mut native = Bench::new(Side::Native)?;
            native.prefix = "matrix-fast".into();
            let tools = fast_tools();
            let runs = native.run(&tools, tools.len());
            Ok((runs, native.kernel.release.clone(), native.logs.clone()))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// With jit=1: how many of the tools' programs were compiled to native code and ran so;
/// at least one must have run.
fn assert_native_programs_ran(runs: &Runs, kernel: &str) {
    let counts: Vec<(&String, (usize, usize))> = runs.iter().map(|(n, r)| (n, matrix::native_programs(r))).collect();
    let (ran, compiled) = counts.iter().fold((0, 0), |a, (_, c)| (a.0 + c.0, a.1 + c.1));
    let loaded: usize = runs.values().map(|r| r.progs.lines().count()).sum();
    let per_tool: Vec<String> = counts.iter().filter(|(_, c)| c.1 > 0).map(|(n, c)| format!("{n} {}/{}", c.0, c.1)).collect();
    guest::note(format!(
        "{kernel} (jit=1): {compiled} of {loaded} programs compiled to native code, {ran} of them ran (tool ran/compiled: {})",
        per_tool.join(", ")
    ));
    assert!(ran > 0, "jit=1 on {kernel}, yet no program ran as native code");
}

/// The fast subset on `shim_side` (bpfdrv.ko's parameters `module_args`) against the
/// native `native` runs: a report with a row and a reason per tool, MUST_PASS passing,
/// MUST_TAKE_BTF_PATH's tools on their fentry / tp_btf programs.
fn assert_fast_subset_matches(shim_side: Side, module_args: &'static str, native: &NativeRuns, report_name: &str) {
    let start = std::time::Instant::now();
    let mut shim = require!(Bench::new(shim_side));
    shim.prefix = "matrix-fast".into();
    shim.module_args = module_args;
    let tools = fast_tools();
    let shim_runs = shim.run(&tools, tools.len());
    let (native_runs, native_kernel, native_logs) = native;
    let report = matrix::Report {
        tools: &tools,
        native: native_runs,
        shim: &shim_runs,
        shim_kernel: &shim.kernel.release,
        native_kernel,
        centos7: None,
        centos7_kernel: "",
        k612: None,
        wall_secs: start.elapsed().as_secs_f64(),
        command: "cargo test -p bpfcompat-tests --test guest_matrix",
    };
    let md = report.markdown();
    let out = guest::work_dir().join(report_name);
    std::fs::write(&out, &md).expect("write the fast report");
    guest::note(format!("fast matrix: report in {} ({:.0}s)\n{md}", out.display(), start.elapsed().as_secs_f64()));

    // The report has one row per tool, with a reason for every non-pass.
    for t in &tools {
        assert!(md.contains(&format!("\n| {} | ", t.name)), "the report lacks a row for {}:\n{md}", t.name);
    }
    let mut problems = Vec::new();
    for (t, v) in report.verdicts() {
        check_must_pass(t, &v, MUST_PASS, "MUST_PASS", &mut problems);
        if MUST_TAKE_BTF_PATH.contains(&t.name) {
            let run = shim_runs.get(t.name);
            if !run.is_some_and(matrix::took_btf_path) {
                problems.push(format!("{}: did not take its fentry / tp_btf path; loaded {:?}", t.name, run.map(matrix::loaded_kinds)));
            } else if !run.is_some_and(matrix::btf_program_ran) {
                problems.push(format!("{}: its fentry / tp_btf programs never ran", t.name));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "tools that must pass do not:\n  {}\nserial logs: shim {:?}, native {:?}\n{md}",
        problems.join("\n  "),
        shim.logs,
        native_logs
    );
    if module_args.contains("jit=1") {
        assert_native_programs_ran(&shim_runs, &shim.kernel.release);
    }
}

#[test]
fn fast_matrix_subset_matches_native_ebpf() {
    let native = require!(native_fast_runs());
    assert_fast_subset_matches(Side::Shim, "jit=1", native, "compat-matrix-fast.md");
}

/// The same on 6.12: the no-bpf 6.12 kernel against Debian's stock 6.12 kernel.
#[test]
fn fast_matrix_subset_on_6_12_matches_native_ebpf() {
    let mut native = require!(Bench::new(Side::Native612));
    native.prefix = "matrix-fast".into();
    let tools = fast_tools();
    let runs = native.run(&tools, tools.len());
    let native_runs: NativeRuns = (runs, native.kernel.release.clone(), native.logs.clone());
    assert_fast_subset_matches(Side::Shim612, "", &native_runs, "compat-matrix-fast-6.12.md");
}

/// The fast subset on CentOS 7.9's own kernel (3.10, hook + bpfdrv.ko built for it),
/// compared with the same native 6.1 runs (there is no native oracle for these tools on
/// 3.10). A tool whose error names what 3.10 lacks is n/a, with that reason.
#[test]
fn fast_matrix_subset_on_centos7_matches_native_ebpf() {
    let start = std::time::Instant::now();
    let mut centos7 = require!(Bench::new(Side::Centos7));
    centos7.prefix = "matrix-fast".into();
    centos7.module_args = "jit=1";
    let tools = fast_tools();
    let centos7_runs = centos7.run(&tools, tools.len());
    let (native_runs, native_kernel, native_logs) = require!(native_fast_runs());
    let none = Runs::new();
    let report = matrix::Report {
        tools: &tools,
        native: native_runs,
        shim: &none,
        shim_kernel: "(not run)",
        native_kernel,
        centos7: Some(&centos7_runs),
        centos7_kernel: &centos7.kernel.release,
        k612: None,
        wall_secs: start.elapsed().as_secs_f64(),
        command: "cargo test -p bpfcompat-tests --test guest_matrix",
    };
    let md = report.markdown();
    let out = guest::work_dir().join("compat-matrix-fast-centos7.md");
    std::fs::write(&out, &md).expect("write the fast CentOS 7.9 report");
    guest::note(format!("fast matrix on CentOS 7.9: report in {} ({:.0}s)\n{md}", out.display(), start.elapsed().as_secs_f64()));
    let centos7_must_pass: Vec<&str> = matrix::FAST.iter().copied().filter(|n| !CENTOS7_NOT_APPLICABLE.contains(n)).collect();
    let mut problems = Vec::new();
    for (t, v) in report.centos7_verdicts() {
        assert!(md.contains(&format!("\n| {} | ", t.name)), "the report lacks a row for {}:\n{md}", t.name);
        check_must_pass(t, &v, &centos7_must_pass, "CENTOS7_NOT_APPLICABLE", &mut problems);
    }
    assert!(
        problems.is_empty(),
        "tools that must pass on CentOS 7.9 do not:\n  {}\nserial logs: CentOS 7.9 {:?}, native {:?}\n{md}",
        problems.join("\n  "),
        centos7.logs,
        native_logs
    );
    assert_native_programs_ran(&centos7_runs, &centos7.kernel.release);
}

/// The report generator itself, without guests: verdicts and reasons from canned runs.
#[test]
fn verdicts_compare_the_shim_run_with_the_native_run() {
    let t = matrix::tool("opensnoop").unwrap();
    let ok = matrix::ToolRun {
        ready: true,
        exit: "0".into(),
        stdout: "PID    COMM  FD ERR PATH\n12 cat 3 0 /tmp/mtx-open-marker\n".into(),
        ..Default::default()
    };
    assert_eq!(matrix::judge(t, Some(&ok), Some(&ok)), Verdict::Pass);
    let silent = matrix::ToolRun { stdout: "PID    COMM  FD ERR PATH\n".into(), ..ok.clone() };
    assert!(matches!(matrix::judge(t, Some(&ok), Some(&silent)), Verdict::Fail(w) if w.contains("did not report")));
    assert!(matches!(matrix::judge(t, Some(&silent), Some(&ok)), Verdict::NotApplicable(w) if w.contains("native")));
    let broken = matrix::ToolRun {
        ready: false,
        exit: "1".into(),
        stdout: String::new(),
        stderr: "libbpf: prog 'x': failed to attach: Operation not supported\n".into(),
        ..Default::default()
    };
    assert!(matches!(matrix::judge(t, Some(&ok), Some(&broken)), Verdict::Fail(w) if w.contains("failed to attach")));
    let other_header = matrix::ToolRun { stdout: ok.stdout.replace("PATH", "FILE"), ..ok.clone() };
    assert!(matches!(matrix::judge(t, Some(&ok), Some(&other_header)), Verdict::Fail(w) if w.contains("header")));
    assert!(matches!(matrix::judge(matrix::tool("mdflush").unwrap(), None, None), Verdict::NotApplicable(_)));
    // `{pid}` in an expectation is each run's own traced process.
    let gc = matrix::tool("javagc").unwrap();
    let run = |pid: &str, line: &str| matrix::ToolRun {
        ready: true,
        exit: "0".into(),
        stdout: format!("TIME     CPU     PID     GC TIME\n{line}\n"),
        pid: Some(pid.into()),
        ..Default::default()
    };
    let (native, shim) = (run("81", "10:00:00 1       81      1342"), run("93", "10:00:01 0       93      1201"));
    assert_eq!(matrix::judge(gc, Some(&native), Some(&shim)), Verdict::Pass);
    assert!(matches!(matrix::judge(gc, Some(&native), Some(&run("93", ""))), Verdict::Fail(_)));
    // On CentOS 7.9 a tool may report the workload under 3.10's own names: the native 6.1
    // run is judged by the tool's lines, the 3.10 run by its centos7_expect lines.
    let slab = matrix::tool("slabratetop").unwrap();
    let cache = |name: &str| matrix::ToolRun {
        ready: true,
        exit: "0".into(),
        stdout: format!("CACHE                            ALLOCS      BYTES\n{name}  68  278528\n"),
        ..Default::default()
    };
    let (native, el7) = (cache("names_cache"), cache("kmalloc-4096"));
    assert!(matches!(matrix::judge(slab, Some(&native), Some(&el7)), Verdict::Fail(_)));
    assert_eq!(matrix::judge_centos7(slab, Some(&native), Some(&el7)), Verdict::Pass);
    assert!(matches!(matrix::judge_centos7(slab, Some(&native), Some(&cache("dentry"))), Verdict::Fail(_)));
    assert!(matches!(matrix::judge_centos7(slab, Some(&el7), Some(&el7)), Verdict::NotApplicable(_)));
    // Where 6.1 lacks the function a tool traces and 3.10 has it, the 3.10 run is judged on
    // its own lines (no oracle); without them it stays n/a, with why.
    let biotop = matrix::tool("biotop").unwrap();
    let no_fn = matrix::ToolRun {
        ready: false,
        exit: "0".into(),
        stderr: "libbpf: prog 'blk_account_io_start': failed to create kprobe 'blk_account_io_start+0x0' perf event: No such file or directory\n"
            .into(),
        ..Default::default()
    };
    let io = |line: &str| matrix::ToolRun {
        ready: true,
        exit: "0".into(),
        stdout: format!("PID     COMM             D MAJ MIN DISK       I/O  Kbytes  AVGms\n{line}\n"),
        ..Default::default()
    };
    let el7_io = io("346     dd               R 254 0   vda          4    2048   1.76");
    assert!(matches!(matrix::judge(biotop, Some(&no_fn), Some(&el7_io)), Verdict::NotApplicable(_)));
    assert!(
        matches!(matrix::judge_centos7(biotop, Some(&no_fn), Some(&el7_io)), Verdict::PassWithoutOracle(w) if w.contains("blk_account_io_start"))
    );
    assert!(matches!(matrix::judge_centos7(biotop, Some(&no_fn), Some(&io(""))), Verdict::NotApplicable(w) if w.contains("no oracle")));
    // The path a tool took, from the driver's statistics.
    let loaded = matrix::ToolRun {
        progs: "prog id=4 name=vfs_read type=26 attach=24 target=vfs_read runs=9\n\
                prog id=5 name=vfs_read_ret type=26 attach=25 target=vfs_read runs=9\n\
                prog id=6 name=x type=2 attach=0 target=- runs=0\n"
            .into(),
        ..Default::default()
    };
    assert_eq!(matrix::loaded_kinds(&loaded), "fentry ×1, fexit ×1, kprobe ×1");
    assert!(matrix::took_btf_path(&loaded));
    assert!(matrix::btf_program_ran(&loaded));
    let idle = matrix::ToolRun { progs: "prog id=4 name=vfs_read type=26 attach=24 target=vfs_read runs=0\n".into(), ..Default::default() };
    assert!(matrix::took_btf_path(&idle) && !matrix::btf_program_ran(&idle), "loaded but never ran");
    assert!(!matrix::took_btf_path(&ok));
    // CentOS 7.9: judged against the native 6.1 run; what 3.10 lacks, as the tool's own
    // error names it, is n/a with that name, anything else fails.
    let failed = |stderr: &str| matrix::ToolRun { ready: false, exit: "1".into(), stderr: stderr.into(), ..Default::default() };
    let kprobe =
        failed("libbpf: prog 'file_read_entry': failed to create kprobe 'ext4_file_read_iter+0x0' perf event: No such file or directory\n");
    assert!(
        matches!(matrix::judge_centos7(t, Some(&ok), Some(&kprobe)), Verdict::NotApplicable(w) if w.contains("kernel function `ext4_file_read_iter`"))
    );
    let core = failed(
        "libbpf: prog 'mount_exit': BPF program load failed: Invalid argument\n13: <invalid CO-RE relocation>\n\
                       failed to resolve CO-RE relocation <byte_off> [12] struct mnt_namespace.ns.inum (0:1:0 @ offset 8)\n",
    );
    assert!(
        matches!(matrix::judge_centos7(t, Some(&ok), Some(&core)), Verdict::NotApplicable(w) if w.contains("struct mnt_namespace.ns.inum"))
    );
    let tp = failed("libbpf: failed to determine tracepoint 'sock/inet_sock_set_state' perf event ID: No such file or directory\n");
    assert!(
        matches!(matrix::judge_centos7(t, Some(&ok), Some(&tp)), Verdict::NotApplicable(w) if w.contains("tracepoint `sock/inet_sock_set_state`"))
    );
    assert!(matches!(matrix::judge_centos7(t, Some(&ok), Some(&broken)), Verdict::Fail(_)), "an error naming nothing missing is a failure");
    assert_eq!(matrix::judge_centos7(t, Some(&ok), Some(&ok)), Verdict::Pass);
    let (runs, centos7): (matrix::Runs, matrix::Runs) =
        ([("opensnoop".to_string(), ok.clone())].into(), [("opensnoop".to_string(), kprobe.clone())].into());
    let report = matrix::Report {
        tools: &[t],
        native: &runs,
        shim: &runs,
        shim_kernel: "6.1",
        native_kernel: "6.1",
        centos7: Some(&centos7),
        centos7_kernel: "3.10.0-1160.el7.x86_64",
        k612: None,
        wall_secs: 0.0,
        command: "test",
    };
    let md = report.markdown();
    assert!(md.contains("**0 of 1 tools pass on CentOS 7.9**") && md.contains("| opensnoop | pass | n/a | "), "{md}");
    // 6.12 gets its own column, judged against its own native runs (a load failure there is
    // a failure, not something 6.12 lacks), and every row keeps
    // as many cells as the header has.
    let report = matrix::Report {
        k612: Some(matrix::SecondKernel { shim: &centos7, native: &runs, shim_kernel: "6.12.118", native_kernel: "6.12.118+deb12-amd64" }),
        ..report
    };
    let md = report.markdown();
    assert!(md.contains("**0 of 1 tools pass on 6.12**") && md.contains("| opensnoop | pass | n/a | **FAIL** | "), "{md}");
    let cells = |l: &str| l.matches(" | ").count();
    let table: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
    assert!(table.len() == 2 && cells(table[0]) == cells(table[1]), "{md}");
    // Program kinds come from the BPF object embedded in the binary.
    if std::path::Path::new("/usr/sbin/opensnoop").exists() {
        let kinds = matrix::program_kinds(std::path::Path::new("/usr/sbin/opensnoop"));
        assert!(kinds.iter().any(|k| k == "tracepoint"), "{kinds:?}");
    }
}
