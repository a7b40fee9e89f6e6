//! Debian's bpftrace (0.17, unmodified) on the kernel without bpf(2), under the hook, against
//! the same one-liners run natively on the stock Debian kernel (the oracle): one boot per
//! kernel, each one-liner started, given a deterministic workload, stopped (by its own
//! exit() or SIGINT) and its output compared.
//!
//!     cargo test --release -p bpfcompat-tests --test guest_bpftrace

use bpfcompat_tests::guest::{self, Guest, GuestRun, Kernel};
use bpfcompat_tests::require;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

/// How a one-liner's output is compared with its native run.
#[derive(Clone, Copy, PartialEq)]
enum Compare {
    /// Byte for byte (after dropping bpftrace's own warnings): the workload fixes every value.
    Exact,
    /// Numbers replaced by `N`: the values are times or sample counts, which differ between
    /// two runs of the same kernel; the shape (keys, lines, histogram rows) must not.
    Shape,
}

struct OneLiner {
    name: &'static str,
    prog: &'static str,
    /// Busybox sh, run once the program has attached.
    workload: &'static str,
    /// Seconds the program gets to exit() by itself before SIGINT.
    settle: u32,
    compare: Compare,
    /// Substrings the output must contain (on both kernels).
    expect: &'static [&'static str],
}

use Compare::*;

const ONE_LINERS: &[OneLiner] = &[
    OneLiner {
        name: "begin_exit",
        prog: r#"BEGIN { printf("answer %d\n", 6 * 7); exit(); }"#,
        workload: ":",
        settle: 10,
        compare: Exact,
        expect: &["answer 42"],
    },
    OneLiner {
        name: "begin_end",
        prog: r#"BEGIN { printf("begin\n"); } END { printf("end\n"); }"#,
        workload: ":",
        settle: 0,
        compare: Exact,
        expect: &["begin", "end"],
    },
    OneLiner {
        name: "tracepoint_args",
        prog: r#"tracepoint:syscalls:sys_enter_openat /str(args->filename) == "/tmp/bt-marker"/ { printf("%s opened %s\n", comm, str(args->filename)); }"#,
        workload: "cat /tmp/bt-marker; cat /tmp/bt-marker; cat /tmp/bt-marker",
        settle: 1,
        compare: Exact,
        expect: &["cat opened /tmp/bt-marker"],
    },
    OneLiner {
        name: "tracepoint_count_by_comm",
        prog: r#"tracepoint:syscalls:sys_enter_openat /str(args->filename) == "/tmp/bt-marker"/ { @[comm] = count(); }"#,
        workload: "cat /tmp/bt-marker; head -1 /tmp/bt-marker; cat /tmp/bt-marker",
        settle: 1,
        compare: Exact,
        expect: &["@[cat]: 2", "@[head]: 1"],
    },
    OneLiner {
        name: "sched_tracepoint",
        // comm is the new program's after exec. (str(args->filename), a __data_loc string,
        // reads nothing natively in 0.17.)
        prog: r#"tracepoint:sched:sched_process_exec /comm == "bt_target"/ { @execs[comm] = count(); }"#,
        workload: "/bpfcompat/bt_target 1; /bpfcompat/bt_target 1; /bpfcompat/bt_target 1; /bpfcompat/bt_target 1",
        settle: 1,
        compare: Exact,
        expect: &["@execs[bt_target]: 4"],
    },
    OneLiner {
        name: "kprobe_arg",
        // dfd: AT_FDCWD. (The file name is a user pointer: str() reads it as kernel memory
        // in 0.17 and prints "" natively too.)
        prog: r#"kprobe:do_sys_openat2 /comm == "cat"/ { printf("openat2 dfd %d\n", arg0); }"#,
        workload: "cat /tmp/bt-marker",
        settle: 1,
        compare: Exact,
        expect: &["openat2 dfd -100"],
    },
    OneLiner {
        name: "kretprobe_retval",
        prog: r#"kretprobe:do_sys_openat2 /comm == "cat"/ { @[retval] = count(); }"#,
        workload: "cat /tmp/bt-marker; cat /tmp/bt-missing; cat /tmp/bt-missing",
        settle: 1,
        compare: Exact,
        expect: &["@[3]: 1", "@[-2]: 2"],
    },
    OneLiner {
        name: "uprobe_arg",
        prog: r#"uprobe:/bpfcompat/bt_target:bt_add { printf("bt_add(%d, %d)\n", arg0, arg1); }"#,
        workload: "/bpfcompat/bt_target 3",
        settle: 1,
        compare: Exact,
        expect: &["bt_add(1, 10)", "bt_add(3, 10)"],
    },
    OneLiner {
        name: "uretprobe_sum",
        prog: r#"uretprobe:/bpfcompat/bt_target:bt_add { @total = sum(retval); @calls = count(); }"#,
        workload: "/bpfcompat/bt_target 5",
        settle: 1,
        compare: Exact,
        expect: &["@total: 65", "@calls: 5"],
    },
    OneLiner {
        name: "kprobe_hist",
        prog: r#"kretprobe:vfs_read /comm == "dd"/ { @bytes = hist(retval); }"#,
        workload: "dd if=/dev/zero of=/dev/null bs=4096 count=8 2>/dev/null",
        settle: 1,
        compare: Exact,
        expect: &["@bytes:", "[4K, 8K)", "8 |@@@@"],
    },
    OneLiner {
        name: "tracepoint_sum",
        prog: r#"tracepoint:syscalls:sys_exit_read /comm == "dd"/ { @read_bytes = sum(args->ret); }"#,
        workload: "dd if=/dev/zero of=/dev/null bs=1024 count=6 2>/dev/null",
        settle: 1,
        compare: Exact,
        expect: &["@read_bytes: 6144"],
    },
    OneLiner {
        name: "min_max_avg",
        prog: r#"uprobe:/bpfcompat/bt_target:bt_add { @lo = min(arg0); @hi = max(arg0); @mean = avg(arg0); }"#,
        workload: "/bpfcompat/bt_target 9",
        settle: 1,
        compare: Exact,
        expect: &["@lo: 1", "@hi: 9", "@mean: 5"],
    },
    OneLiner {
        name: "signal_args",
        prog: r#"tracepoint:signal:signal_generate /args->sig == 28/ { printf("sig %d to %s\n", args->sig, comm); }"#,
        workload: "sleep 3 & v=$!; usleep 200000; kill -28 $v; kill $v; wait $v",
        settle: 1,
        compare: Exact,
        expect: &["sig 28 to sh"],
    },
    OneLiner {
        name: "interval",
        prog: r#"interval:s:1 { @ticks = @ticks + 1; if (@ticks == 2) { printf("two ticks\n"); exit(); } }"#,
        workload: ":",
        settle: 10,
        compare: Exact,
        expect: &["two ticks"],
    },
    OneLiner {
        name: "profile",
        prog: r#"profile:hz:99 { @samples = count(); } interval:s:2 { exit(); }"#,
        workload: "/bpfcompat/bt_target 100000000",
        settle: 10,
        compare: Shape,
        expect: &["@samples: "],
    },
    OneLiner {
        name: "exit_by_comm",
        prog: r#"tracepoint:sched:sched_process_exit /comm == "bt_target"/ { @exits[comm] = count(); }"#,
        workload: "/bpfcompat/bt_target 1; /bpfcompat/bt_target 2; /bpfcompat/bt_target 3",
        settle: 1,
        compare: Exact,
        expect: &["@exits[bt_target]: 3"],
    },
    OneLiner {
        name: "kprobe_count_and_lhist",
        prog: r#"kprobe:vfs_read /comm == "dd"/ { @reads = count(); @size = lhist(arg2, 0, 4096, 1024); }"#,
        workload: "dd if=/dev/zero of=/dev/null bs=2048 count=3 2>/dev/null",
        settle: 1,
        compare: Exact,
        expect: &["@reads: 3", "[2K, 3K)"],
    },
];

/// bpftrace's own noise that differs between the two kernels and is not the program's
/// output: warnings about kernel headers / debug info it looks for and does not need.
fn normalise(out: &str, compare: Compare) -> String {
    let lines = out.lines().filter(|l| !l.contains("WARNING:") && !l.trim().is_empty());
    let text: Vec<String> = match compare {
        Exact => lines.map(str::to_string).collect(),
        Shape => lines.map(|l| l.split(|c: char| c.is_ascii_digit()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join("N")).collect(),
    };
    text.join("\n")
}

fn bpftrace_guest(name: &str, kernel: &Kernel, preload: bool, module: Option<PathBuf>) -> GuestRun {
    let bpftrace = require_tool();
    let target = guest::guest_c_program("bt_target.c").unwrap_or_else(|s| panic!("{}", s.0));
    let mut body = String::from(". /bpfcompat/lib.sh\n. /bpfcompat/bpftrace.sh\n");
    if module.is_some() {
        body.push_str("insmod $MODULE; result insmod $?\n");
    }
    // BPFCOMPAT_BPFTRACE_DEBUG=1: the hook's debug log and bpftrace -d in stderr.
    let debug = std::env::var_os("BPFCOMPAT_BPFTRACE_DEBUG").is_some();
    body.push_str(match (preload, debug) {
        (true, false) => "BT_PRELOAD=\"LD_PRELOAD=$HOOK\"\n",
        (true, true) => "BT_PRELOAD=\"LD_PRELOAD=$HOOK BPFHOOK_LOG=debug\"\n",
        (false, _) => "BT_PRELOAD=\n",
    });
    body.push_str("echo marker > /tmp/bt-marker\n");
    for o in selected() {
        body.push_str(&format!(
            "run_bt {} '{}' '{}' {}\n",
            o.name,
            for_kernel(o.prog, kernel).replace('\'', r"'\''"),
            o.workload.replace('\'', r"'\''"),
            o.settle
        ));
    }
    if module.is_some() {
        body.push_str("rmmod bpfdrv; result rmmod $?\n");
    }
    let mut g = Guest::new(name, kernel)
        .binary(&bpftrace)
        .binary_at(&target, "/bpfcompat/bt_target")
        .file(guest::repo_root().join("tests/guest/bpftrace.sh"), "/bpfcompat/bpftrace.sh")
        .with_hook(guest::hook_library_for(kernel))
        // bpftrace and its libraries (LLVM, clang, bcc) make a ~250 MB initramfs.
        .memory(2048)
        .timeout(Duration::from_secs(60 + 90 * ONE_LINERS.len() as u64))
        .body(&body);
    if let Some(ko) = module {
        g = g.with_module(ko);
    }
    g.boot()
}

/// Kernel functions the one-liners probe that CentOS 7.9's 3.10 names differently (same
/// arguments and return values): the one legitimate difference in what is run there.
const EL7_FUNCTIONS: &[(&str, &str)] = &[("do_sys_openat2", "do_sys_open")];

/// `prog` with the kernel function names of `kernel`.
fn for_kernel(prog: &str, kernel: &Kernel) -> String {
    let mut p = prog.to_string();
    if kernel.is_el7() {
        for (now, then) in EL7_FUNCTIONS {
            p = p.replace(&format!(":{now} "), &format!(":{then} "));
        }
    }
    p
}

/// The one-liners to run: all, or those `BPFCOMPAT_BPFTRACE_ONLY` names (comma
/// separated), to look at one while debugging.
fn selected() -> Vec<&'static OneLiner> {
    let only = std::env::var("BPFCOMPAT_BPFTRACE_ONLY").unwrap_or_default();
    ONE_LINERS.iter().filter(|o| only.is_empty() || only.split(',').any(|n| n == o.name)).collect()
}

fn require_tool() -> PathBuf {
    guest::host_tool("bpftrace", "bpftrace").unwrap_or_else(|s| panic!("{}", s.0))
}

/// The one-liners natively on the stock kernel (the oracle), shared by this file's tests.
fn native_run() -> Option<&'static GuestRun> {
    static R: OnceLock<Option<GuestRun>> = OnceLock::new();
    R.get_or_init(|| {
        let stock = guest::stock_kernel().map_err(|s| s.report("guest_bpftrace (stock kernel)")).ok()?;
        let native = bpftrace_guest("bpftrace-native", &stock, false, None);
        native.assert_completed();
        Some(native)
    })
    .as_ref()
}

/// Every one-liner under the hook on `kernel` gives native's output and exit status.
fn assert_one_liners_match_native(name: &str, kernel: &Kernel) {
    require!(guest::host_tool("bpftrace", "bpftrace"));
    let shim = bpftrace_guest(name, kernel, true, Some(guest::bpfdrv_module(kernel)));
    let Some(native) = native_run() else { return };
    shim.assert_completed();
    shim.assert_value("insmod", "0", "insmod bpfdrv.ko");
    let mut problems = Vec::new();
    for o in selected() {
        let (s, n) = (
            shim.section(&format!("{}.stdout", o.name)).unwrap_or_default(),
            native.section(&format!("{}.stdout", o.name)).unwrap_or_default(),
        );
        let missing_native: Vec<&&str> = o.expect.iter().filter(|e| !n.contains(*e)).collect();
        if !missing_native.is_empty() {
            problems.push(format!("{}: the native run lacks {missing_native:?} (the one-liner or its workload is wrong):\n{n}", o.name));
            continue;
        }
        let (ns, nn) = (normalise(&s, o.compare), normalise(&n, o.compare));
        if ns != nn {
            let err = shim.section(&format!("{}.stderr", o.name)).unwrap_or_default();
            problems.push(format!("{}: differs from native\n--- native\n{nn}\n--- shim\n{ns}\n--- shim stderr\n{err}", o.name));
        }
        // The no-bpf kernels have no function tracer: the hook serves the list of
        // traceable functions that bpftrace checks kprobes against.
        let err = shim.section(&format!("{}.stderr", o.name)).unwrap_or_default();
        if let Some(warning) = err.lines().find(|l| l.contains("is not traceable")) {
            problems.push(format!("{}: bpftrace warns under the shim: {warning}", o.name));
        }
        let exits = (shim.value(&format!("{}.exit", o.name)), native.value(&format!("{}.exit", o.name)));
        if exits.0.as_deref() == Some("timeout") && exits.1.as_deref() == Some("0") && ns == nn {
            // bpftrace 0.17 sometimes sleeps on in epoll_wait after SIGINT (seen natively
            // too; the body sends a second one). Output complete: reported, not failed.
            let hang = shim.section(&format!("{}.hang", o.name)).unwrap_or_default();
            guest::note(format!("{}: bpftrace did not exit after two SIGINTs under the shim (output complete); threads:\n{hang}", o.name));
        } else if exits.0 != exits.1 {
            problems.push(format!("{}: exit status {:?} under the shim, {:?} natively", o.name, exits.0, exits.1));
        }
    }
    let n = selected().len();
    guest::note(format!("bpftrace ({name}): {} of {n} one-liners as natively", n - problems.len()));
    assert!(problems.is_empty(), "{}\n\n{}", problems.join("\n\n"), shim.log_path.display());
    shim.assert_value("rmmod", "0", "rmmod bpfdrv after bpftrace exited (nothing leaked)");
    shim.assert_kernel_clean();
}

#[test]
fn bpftrace_one_liners_match_native_ebpf() {
    let nobpf = require!(guest::nobpf_kernel());
    assert_one_liners_match_native("bpftrace-shim", &nobpf);
}

/// On 3.10 the kprobe one-liners probe do_sys_open (EL7_FUNCTIONS); everything else,
/// output included, is as on 6.1 natively.
#[test]
fn bpftrace_one_liners_on_centos7_match_native_ebpf() {
    let centos7 = require!(guest::centos7_kernel());
    assert_one_liners_match_native("bpftrace-centos7", &centos7);
}
