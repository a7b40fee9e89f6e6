//! The compatibility matrix runner (`scripts/compat-matrix.sh` wraps it): boots the no-bpf
//! guest (bpfdrv.ko + libbpfhook.so) and the stock Debian guest (native eBPF), runs the
//! libbpf-tools in both, compares and writes the report. `--kernel centos7` (or `--side
//! centos7`) boots CentOS 7.9's kernel with bpfdrv.ko and the hook instead, judged against
//! the native 6.1 runs (cached ones; tools without one are run natively first).
//! `--kernel 6.12` boots the no-bpf 6.12 kernel (bpfdrv.ko built for it) and Debian's
//! stock 6.12 kernel, its oracle.
//!
//!     compat-matrix [--out docs/compat-matrix.md] [--tools a,b,c | --fast] [--batch N]
//!                   [--side shim|native|both|centos7|shim-6.12|native-6.12|all|none]
//!                   [--kernel 6.1|6.12|centos7] [--require a,b] [--require-centos7 a,b]
//!
//! Runs are merged into per-side caches (target/guest/matrix-<side>.json): a side not run
//! this time, or a tool not in `--tools`, is judged from its cached run; the report has a
//! CentOS 7.9 column and a 6.12 column whenever those sides have runs (this time or cached).
//!
//! Exit status: 0 when the report was written (failing tools are the report's content,
//! not an error), 1 when a tool listed in `--require` does not pass, 2 on usage errors.
use bpfcompat_tests::matrix::{self, Bench, Runs, Side, Tool};
use std::time::Instant;

fn main() {
    let mut out = guest_default_out();
    let mut names: Option<Vec<String>> = None;
    let mut batch = 12usize;
    // The sides booted this time; the others are judged from their caches.
    let mut sides = vec![Side::Shim, Side::Native];
    let mut require: Vec<String> = Vec::new();
    let mut require_centos7: Vec<String> = Vec::new();
    let mut skip_run = false;
    let mut args = std::env::args().skip(1);
    let usage = || -> ! {
        eprintln!(
            "usage: compat-matrix [--out FILE] [--tools a,b | --fast] [--batch N] \
             [--side shim|native|both|centos7|shim-6.12|native-6.12|all|none] [--kernel 6.1|6.12|centos7] \
             [--require a,b] [--require-centos7 a,b]"
        );
        std::process::exit(2)
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().unwrap_or_else(|| usage()).into(),
            "--tools" => names = Some(args.next().unwrap_or_else(|| usage()).split(',').map(str::to_string).collect()),
            "--fast" => names = Some(matrix::FAST.iter().map(|s| s.to_string()).collect()),
            "--batch" => batch = args.next().and_then(|s| s.parse().ok()).unwrap_or_else(|| usage()),
            "--side" => {
                sides = match args.next().as_deref() {
                    Some("both") => vec![Side::Shim, Side::Native],
                    Some("all") => Side::ALL.to_vec(),
                    // Re-judge the cached runs only (no boot).
                    Some("none") => Vec::new(),
                    Some(label) => vec![Side::from_label(label).unwrap_or_else(|| usage())],
                    None => usage(),
                }
            }
            // The kernel the tools run on under the shim: Debian's 6.1 or 6.12 without
            // bpf(2) (each with its native run) or CentOS 7.9's 3.10.
            "--kernel" => {
                sides = match args.next().as_deref() {
                    Some("6.1") => vec![Side::Shim, Side::Native],
                    Some("6.12") => vec![Side::Shim612, Side::Native612],
                    Some("centos7") => vec![Side::Centos7],
                    _ => usage(),
                }
            }
            "--parse-log" => {
                // --parse-log shim|native LOG: put the runs of an earlier boot's serial log into the cache.
                let side = args.next().and_then(|s| Side::from_label(&s)).unwrap_or_else(|| usage());
                let path = std::path::PathBuf::from(args.next().unwrap_or_else(|| usage()));
                let log = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let run = bpfcompat_tests::guest::GuestRun {
                    name: "parsed".into(),
                    log,
                    log_path: path,
                    body_status: None,
                    timed_out: false,
                    runner_status: None,
                    elapsed: Default::default(),
                };
                let all: Vec<&Tool> = matrix::TOOLS.iter().collect();
                let runs = matrix::parse(&run, &all);
                eprintln!("compat-matrix: {} runs from the log into the {} cache", runs.len(), side.label());
                matrix::merge_cache(side, &runs);
                skip_run = true;
            }
            "--require" => require = args.next().unwrap_or_else(|| usage()).split(',').map(str::to_string).collect(),
            "--require-centos7" => require_centos7 = args.next().unwrap_or_else(|| usage()).split(',').map(str::to_string).collect(),
            _ => usage(),
        }
    }
    if skip_run {
        sides.clear();
    }
    // The report covers every tool (judged from the caches) unless --fast asked for the subset.
    let fast = names.as_ref().map(|n| n.len() == matrix::FAST.len() && n.iter().zip(matrix::FAST).all(|(a, b)| a == b)).unwrap_or(false);
    let report_tools: Vec<&Tool> =
        if fast { matrix::FAST.iter().filter_map(|n| matrix::tool(n)).collect() } else { matrix::TOOLS.iter().collect() };
    let tools: Vec<&Tool> = match &names {
        None => matrix::TOOLS.iter().collect(),
        Some(n) => n
            .iter()
            .map(|n| {
                matrix::tool(n).unwrap_or_else(|| {
                    eprintln!("compat-matrix: unknown tool {n}");
                    std::process::exit(2)
                })
            })
            .collect(),
    };
    let start = Instant::now();
    let run_side = |side: Side, tools: &[&Tool]| -> (Runs, String, f64) {
        let mut bench = match Bench::new(side) {
            Ok(b) => b,
            Err(skip) => {
                eprintln!("compat-matrix: cannot run the {} side: {}", side.label(), skip.0);
                return (Runs::new(), "unavailable".into(), 0.0);
            }
        };
        let runs = matrix::merge_cache(side, &bench.run(tools, batch));
        eprintln!(
            "compat-matrix: {} side: {} tools in {:.0}s of guest time; logs: {:?}",
            side.label(),
            runs.len(),
            bench.boot_secs,
            bench.logs
        );
        (runs, bench.kernel.release.clone(), bench.boot_secs)
    };
    let cached = |side: Side| -> (Runs, String, f64) {
        (matrix::load_cache(side), format!("{}{}", side.kernel().map(|k| k.release).unwrap_or_default(), matrix::CACHED), 0.0)
    };
    let (shim, shim_kernel, shim_secs) = if sides.contains(&Side::Shim) { run_side(Side::Shim, &tools) } else { cached(Side::Shim) };
    // The CentOS column is judged against the native 6.1 runs: tools without a cached one
    // run natively first.
    let need_native: Vec<&Tool> = if sides.contains(&Side::Centos7) && !sides.contains(&Side::Native) {
        let have = matrix::load_cache(Side::Native);
        tools.iter().copied().filter(|t| t.not_applicable.is_none() && !have.contains_key(t.name)).collect()
    } else {
        Vec::new()
    };
    let (native, native_kernel, native_secs) = if sides.contains(&Side::Native) {
        run_side(Side::Native, &tools)
    } else if !need_native.is_empty() {
        eprintln!(
            "compat-matrix: no cached native runs of {:?}: running them natively",
            need_native.iter().map(|t| t.name).collect::<Vec<_>>()
        );
        run_side(Side::Native, &need_native)
    } else {
        cached(Side::Native)
    };
    let (centos7, centos7_kernel, centos7_secs) =
        if sides.contains(&Side::Centos7) { run_side(Side::Centos7, &tools) } else { cached(Side::Centos7) };
    let side_or_cache = |side: Side| if sides.contains(&side) { run_side(side, &tools) } else { cached(side) };
    let (shim612, shim612_kernel, shim612_secs) = side_or_cache(Side::Shim612);
    let (native612, native612_kernel, native612_secs) = side_or_cache(Side::Native612);
    let command = std::env::var("COMPAT_MATRIX_COMMAND").unwrap_or_else(|_| "scripts/compat-matrix.sh".into());
    let report = matrix::Report {
        tools: &report_tools,
        native: &native,
        shim: &shim,
        shim_kernel: &shim_kernel,
        native_kernel: &native_kernel,
        centos7: (!centos7.is_empty()).then_some(&centos7),
        centos7_kernel: &centos7_kernel,
        k612: (!shim612.is_empty()).then_some(matrix::SecondKernel {
            shim: &shim612,
            native: &native612,
            shim_kernel: &shim612_kernel,
            native_kernel: &native612_kernel,
        }),
        wall_secs: start.elapsed().as_secs_f64(),
        command: &command,
    };
    let md = report.markdown();
    if let Some(dir) = out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&out, &md).unwrap_or_else(|e| panic!("write {}: {e}", out.display()));
    let verdicts = report.verdicts();
    for (t, v) in &verdicts {
        eprintln!("  {:16} {:?}", t.name, v);
    }
    let passed = verdicts.iter().filter(|(_, v)| v.is_pass()).count();
    let centos7_verdicts = report.centos7_verdicts();
    for (t, v) in &centos7_verdicts {
        eprintln!("  centos7 {:16} {:?}", t.name, v);
    }
    let centos7_passed = centos7_verdicts.iter().filter(|(_, v)| v.is_pass()).count();
    let verdicts_612 = report.verdicts_612();
    for (t, v) in &verdicts_612 {
        eprintln!("  6.12 {:16} {:?}", t.name, v);
    }
    let passed_612 = verdicts_612.iter().filter(|(_, v)| v.is_pass()).count();
    eprintln!(
        "compat-matrix: {passed}/{} pass on 6.1, {centos7_passed}/{} on CentOS 7.9, {passed_612}/{} on 6.12; shim guests {shim_secs:.0}s, \
         native guests {native_secs:.0}s, CentOS 7.9 guests {centos7_secs:.0}s, 6.12 guests {:.0}s, wall {:.0}s; report in {}",
        verdicts.len(),
        centos7_verdicts.len(),
        verdicts_612.len(),
        shim612_secs + native612_secs,
        start.elapsed().as_secs_f64(),
        out.display()
    );
    let mut broken: Vec<String> =
        require.iter().filter(|r| !verdicts.iter().any(|(t, v)| t.name == r.as_str() && v.is_pass())).cloned().collect();
    broken.extend(
        require_centos7
            .iter()
            .filter(|r| !centos7_verdicts.iter().any(|(t, v)| t.name == r.as_str() && v.is_pass()))
            .map(|r| format!("{r} (CentOS 7.9)")),
    );
    if !broken.is_empty() {
        eprintln!("compat-matrix: required tools do not pass: {broken:?}");
        std::process::exit(1);
    }
}

fn guest_default_out() -> std::path::PathBuf {
    bpfcompat_tests::guest::repo_root().join("docs/compat-matrix.md")
}
