//! bcc's Python tools (Debian's `bpfcc-tools` 0.26, unmodified) natively on the stock 6.1
//! and 6.12 kernels, the oracles, and under the hook on the no-bpf 6.1 and 6.12 kernels
//! and CentOS 7.9's own:
//! each tool is started, a workload does something it reports, and every side must
//! report it, with the same columns.
//!
//! bcc compiles each tool's C at run time, with the clang in libbcc, against the running
//! kernel's headers, `/lib/modules/$(uname -r)/{build,source}`: the guests get the
//! headers of their kernel there (Debian's linux-headers package for the stock one, the
//! build and source trees for the no-bpf one, the kbuild tree for CentOS 7.9). bcc refuses the headers of a kernel built
//! without CONFIG_BPF_SYSCALL; `bpfhook bcc-headers` makes the tree it compiles against
//! there (and says natively that none is needed).
//!
//!     cargo test -p bpfcompat-tests --test guest_bcc

use bpfcompat_tests::guest::{self, Guest, GuestRun, Kernel, Skip};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// One tool: its name (`/usr/sbin/<name>-bpfcc`), a pattern of its header line (printed
/// once it is attached), the workload (busybox sh), and a pattern (grep -E) of the line the
/// workload must produce in its output.
struct Tool {
    name: &'static str,
    ready: &'static str,
    workload: &'static str,
    reports: &'static str,
}

const TOOLS: &[Tool] = &[
    Tool { name: "execsnoop", ready: "PCOMM", workload: "/bin/true bcc-exec-marker", reports: "^true .* /bin/true bcc-exec-marker$" },
    Tool {
        name: "opensnoop",
        ready: "PATH",
        workload: "cat /tmp/bcc-open-marker",
        reports: "^[0-9]+ +cat +[0-9]+ +0 +/tmp/bcc-open-marker$",
    },
    Tool {
        name: "killsnoop",
        ready: "TPID",
        workload: "sleep 30 & p=$!; kill -USR1 $p; wait $p",
        reports: "^[0-9:]+ +[0-9]+ +(sh|kill) +10 +[0-9]+ +0$",
    },
    Tool { name: "syncsnoop", ready: "CALL", workload: "sync", reports: "sync\\(\\)" },
    Tool { name: "exitsnoop", ready: "PCOMM", workload: "sh -c 'exit 3'", reports: "^sh +[0-9]+ +[0-9]+ +[0-9]+ +[0-9.]+ +code 3$" },
];

/// The header trees bcc reads for `kernel`: (host dir, guest dir) pairs.
fn kernel_headers(kernel: &Kernel) -> Result<Vec<(PathBuf, String)>, Skip> {
    let modules = format!("/lib/modules/{}", kernel.release);
    let roots = if kernel.native_bpf {
        // Debian's package: the configured tree and the common one it refers to.
        let common = kernel.release.rsplit_once('-').map(|(v, _)| format!("/usr/src/linux-headers-{v}-common"));
        vec![PathBuf::from(format!("/usr/src/linux-headers-{}", kernel.release)), PathBuf::from(common.unwrap_or_default())]
    } else if let Ok(source) = std::fs::canonicalize(kernel.kdir.join("source")) {
        // A kbuild tree made with O=: its sources apart.
        vec![kernel.kdir.clone(), source]
    } else {
        vec![kernel.kdir.clone()]
    };
    let mut trees = Vec::new();
    for (root, name) in roots.iter().zip(["build", "source"]) {
        if !root.join("include").is_dir() {
            return Err(Skip(format!(
                "{} has no include/ (the headers of {}: apt-get install linux-headers-{})",
                root.display(),
                kernel.release,
                kernel.release
            )));
        }
        for sub in ["include", "arch/x86/include"] {
            if root.join(sub).is_dir() {
                trees.push((root.join(sub), format!("{modules}/{name}/{sub}")));
            }
        }
    }
    Ok(trees)
}

fn body(prefix: &str, setup: &str, teardown: &str) -> String {
    let mut s = format!(
        r#". /bpfcompat/lib.sh
{setup}
echo marker > /tmp/bcc-open-marker
/usr/bin/bpfhook bcc-headers > /tmp/hdr.txt 2>&1; result bcc_headers $?
show bcc-headers /tmp/hdr.txt
dmesg -c > /dev/null
"#
    );
    for t in TOOLS {
        s += &format!(
            r#"env PYTHONUNBUFFERED=1 {prefix}/usr/sbin/{name}-bpfcc > /tmp/{name}.out 2>/tmp/{name}.err &
pid=$!
if wait_for /tmp/{name}.out '{ready}' 240 $pid; then
    result {name}_ready yes
    # bcc's tools print their header before they open the perf buffer, and what happens
    # between the two is lost (a window of seconds under TCG): the workload repeats until
    # the tool reports it. Python prints what it polls slowly too.
    i=0
    until grep -E -q -e '{reports}' /tmp/{name}.out || [ $i -ge 20 ]; do
        {workload}
        wait_for_ere /tmp/{name}.out '{reports}' 3 $pid
        i=$((i + 1))
    done
    grep -E -q -e '{reports}' /tmp/{name}.out && result {name}_reports yes || result {name}_reports no
else
    result {name}_ready no
fi
# Python keeps SIGINT ignored in a background job: SIGTERM ends the tool.
kill -TERM $pid 2>/dev/null; wait_exit $pid 30
show {name} /tmp/{name}.out
show {name}-stderr /tmp/{name}.err
dmesg -c > /tmp/{name}.dmesg; show {name}-kernel-log /tmp/{name}.dmesg
"#,
            name = t.name,
            ready = t.ready,
            workload = t.workload,
            reports = t.reports
        );
    }
    s + teardown + "\n"
}

fn run_tools(name: &str, kernel: &Kernel) -> Result<GuestRun, Skip> {
    for (path, package) in [("/usr/sbin/execsnoop-bpfcc", "bpfcc-tools"), ("/usr/lib/python3/dist-packages/bcc", "python3-bpfcc")] {
        if !Path::new(path).exists() {
            return Err(Skip(format!("{path} not found (apt-get install {package})")));
        }
    }
    let side = kernel.bpf_side();
    let mut g = Guest::new(name, kernel)
        .serving_bpf()
        // Room for the image twice over: CentOS 7's guests copy it to a ramfs root.
        .memory(3072)
        .timeout(Duration::from_secs(900))
        .binary_at(guest::bpfhook_cli_for(kernel), "/usr/bin/bpfhook")
        .binary_at("/usr/bin/python3.11", "/usr/bin/python3")
        .tree("/usr/lib/python3.11", "/usr/lib/python3.11")
        .tree("/usr/lib/python3/dist-packages/bcc", "/usr/lib/python3/dist-packages/bcc")
        .tree("/usr/lib/python3/dist-packages/netaddr", "/usr/lib/python3/dist-packages/netaddr")
        // bcc's Python module loads these by name with ctypes.
        .file("/usr/lib/x86_64-linux-gnu/libbcc.so.0", "/usr/lib/x86_64-linux-gnu/libbcc.so.0")
        .file("/usr/lib/x86_64-linux-gnu/libbcc_bpf.so.0", "/usr/lib/x86_64-linux-gnu/libbcc_bpf.so.0")
        .file("/lib/x86_64-linux-gnu/librt.so.1", "/lib/x86_64-linux-gnu/librt.so.1")
        .body(&body(side.prefix, side.setup, side.teardown));
    for t in TOOLS {
        let tool = format!("/usr/sbin/{}-bpfcc", t.name);
        g = g.file(&tool, &tool);
    }
    for (src, dst) in kernel_headers(kernel)? {
        g = g.tree(src, &dst);
    }
    let run = g.boot();
    run.assert_completed();
    run.assert_module_cycle(kernel);
    run.assert_kernel_clean();
    Ok(run)
}

/// One boot per kernel, shared by the tests that read it (None: skipped, said why).
fn run_once(
    cell: &'static OnceLock<Option<GuestRun>>,
    name: &str,
    kernel: fn() -> Result<Kernel, Skip>,
    what: &str,
) -> Option<&'static GuestRun> {
    cell.get_or_init(|| {
        let report = |s: Skip| s.report(&format!("guest_bcc ({what})"));
        run_tools(name, &kernel().map_err(report).ok()?).map_err(report).ok()
    })
    .as_ref()
}

fn stock_run() -> Option<&'static GuestRun> {
    static RUN: OnceLock<Option<GuestRun>> = OnceLock::new();
    run_once(&RUN, "bcc_stock", guest::stock_kernel, "stock 6.1")
}

fn nobpf_run() -> Option<&'static GuestRun> {
    static RUN: OnceLock<Option<GuestRun>> = OnceLock::new();
    run_once(&RUN, "bcc_nobpf", guest::nobpf_kernel, "no-bpf 6.1")
}

fn stock_612_run() -> Option<&'static GuestRun> {
    static RUN: OnceLock<Option<GuestRun>> = OnceLock::new();
    run_once(&RUN, "bcc_stock_612", guest::stock_kernel_612, "stock 6.12")
}

fn nobpf_612_run() -> Option<&'static GuestRun> {
    static RUN: OnceLock<Option<GuestRun>> = OnceLock::new();
    run_once(&RUN, "bcc_nobpf_612", guest::nobpf_kernel_612, "no-bpf 6.12")
}

fn centos7_run() -> Option<&'static GuestRun> {
    static RUN: OnceLock<Option<GuestRun>> = OnceLock::new();
    run_once(&RUN, "bcc_centos7", guest::centos7_kernel, "CentOS 7.9")
}

/// Every tool got ready and reported the workload.
fn assert_tools_report(run: &GuestRun, side: &str) {
    for t in TOOLS {
        run.assert_value(&format!("{}_ready", t.name), "yes", &format!("{side}: {}-bpfcc attached (its header line)", t.name));
        if run.value(&format!("{}_reports", t.name)).as_deref() != Some("yes") {
            run.fail(format!(
                "{side}: {}-bpfcc did not report `{}` (grep -E '{}'):\n{}\n--- stderr ---\n{}",
                t.name,
                t.workload,
                t.reports,
                run.expect_section(t.name),
                run.section(&format!("{}-stderr", t.name)).unwrap_or_default()
            ));
        }
    }
}

/// A tool's header line (its columns).
fn header(run: &GuestRun, tool: &Tool) -> String {
    let out = run.expect_section(tool.name);
    out.lines().find(|l| l.contains(tool.ready)).unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Under the hook: `bpfhook bcc-headers` succeeded, every tool reported its workload, with
/// the columns it has natively.
fn assert_shim_like_native(run: &GuestRun, native: &GuestRun, side: &str) {
    run.assert_value("bcc_headers", "0", &format!("bpfhook bcc-headers on {side}"));
    assert_tools_report(run, &format!("{side} under the hook"));
    for t in TOOLS {
        assert_eq!(header(run, t), header(native, t), "{}-bpfcc's columns on {side} and natively", t.name);
    }
}

#[test]
fn bcc_tools_run_natively_on_the_stock_kernel() {
    let Some(run) = stock_run() else { return };
    run.assert_value("bcc_headers", "0", "bpfhook bcc-headers on a kernel with CONFIG_BPF_SYSCALL");
    assert!(run.expect_section("bcc-headers").contains("define CONFIG_BPF_SYSCALL"), "bpfhook bcc-headers says no tree is needed");
    assert_tools_report(run, "stock 6.1, native eBPF");
}

#[test]
fn bcc_tools_run_under_the_hook_as_natively() {
    let (Some(run), Some(native)) = (nobpf_run(), stock_run()) else { return };
    assert_shim_like_native(run, native, "no-bpf 6.1");
}

#[test]
fn bcc_tools_run_under_the_hook_on_centos7() {
    let (Some(run), Some(native)) = (centos7_run(), stock_run()) else { return };
    assert_shim_like_native(run, native, "CentOS 7.9 (its config has CONFIG_BPF_SYSCALL; against stock 6.1)");
}

#[test]
fn bcc_tools_run_under_the_hook_on_6_12_as_natively() {
    let Some(native) = stock_612_run() else { return };
    assert_tools_report(native, "stock 6.12, native eBPF");
    let Some(run) = nobpf_612_run() else { return };
    assert_shim_like_native(run, native, "no-bpf 6.12");
}
