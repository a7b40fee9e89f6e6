//! The walking skeleton, proven in a QEMU guest running the kernel built with
//! CONFIG_BPF_SYSCALL=n: Debian's unmodified libbpf-tools run there through
//! libbpfhook.so and bpfdrv.ko. Each test names the tool, the workload and what must
//! appear; a failure prints the guest's whole serial log.
//!
//!     cargo test -p bpfcompat-tests --test guest_skeleton

use bpfcompat_tests::guest::{self, Guest, GuestRun, Kernel};
use bpfcompat_tests::require;

/// How long a tool may take to load and attach under TCG before we give up on it.
const TOOL_READY_SECS: u32 = 120;

/// The guest for a libbpf-tool run under the hook, optionally with the module.
fn tool_guest(name: &str, kernel: &Kernel, tool: &std::path::Path, with_module: bool) -> Guest {
    let g = Guest::new(name, kernel).binary(tool).with_hook(guest::hook_library_for(kernel)).with_stdbuf();
    if with_module {
        g.with_module(guest::bpfdrv_module(kernel))
    } else {
        g
    }
}

/// Shell for: load the module, start TOOL under the hook with line-buffered stdout, wait
/// for its header, run WORKLOAD, wait for the event lines, SIGINT it, unload the module.
fn traced_body(tool: &str, header: &str, workload: &str, expect: &str) -> String {
    format!(
        r#". /bpfcompat/lib.sh
insmod $MODULE; result insmod $?
ls -l /dev/bpfdrv
LD_PRELOAD=$HOOK stdbuf -oL {tool} >/tmp/tool.out 2>/tmp/tool.err &
pid=$!
if wait_for /tmp/tool.out '{header}' {ready} $pid; then result ready yes; else result ready no; fi
# libbpf-tools print the header after attaching but before perf_buffer__new: events in
# between find no reader and are dropped (natively too, in a shorter window).
sleep 1
{workload}
if wait_for /tmp/tool.out '{expect}' 30 $pid; then result events yes; else result events no; fi
stop $pid 30; result tool_exit $exit_status
show tool-stdout /tmp/tool.out
show tool-stderr /tmp/tool.err
rmmod bpfdrv; result rmmod $?
lsmod
"#,
        ready = TOOL_READY_SECS
    )
}

/// The facts every skeleton run pins about the tool's life cycle.
fn assert_tool_lifecycle(run: &GuestRun, tool: &str) {
    run.assert_completed();
    run.assert_value("insmod", "0", "insmod bpfdrv.ko");
    run.assert_value("ready", "yes", &format!("{tool} printed its header under the hook"));
    run.assert_value("events", "yes", &format!("{tool} reported the workload"));
    // Natively, libbpf-tools exit 0 on SIGINT.
    run.assert_value("tool_exit", "0", &format!("{tool} exit status after SIGINT"));
    run.assert_value("rmmod", "0", "rmmod bpfdrv after the tool exited (nothing leaked)");
    run.assert_kernel_clean();
}

#[test]
fn bpf_syscall_is_enosys_in_the_nobpf_guest() {
    let kernel = require!(guest::nobpf_kernel());
    let probe = require!(guest::guest_c_program("bpf_probe.c"));
    let run = Guest::new("bpf_enosys", &kernel)
        .binary_at(&probe, "/bpfcompat/bpf_probe")
        .body(
            r#". /bpfcompat/lib.sh
/bpfcompat/bpf_probe; result probe_exit $?
[ -e /sys/kernel/btf/vmlinux ] && result kernel_btf present || result kernel_btf absent
[ -r /sys/kernel/tracing/events/syscalls/sys_enter_execve/id ] && result execve_tracepoint present || result execve_tracepoint absent
[ -e /sys/bus/event_source/devices/kprobe/type ] && result kprobe_pmu present || result kprobe_pmu absent
"#,
        )
        .boot();
    run.assert_clean_exit();
    run.assert_contains("BPFCOMPAT-GUEST-START kernel=");
    if !run.log.contains("errno=38 ENOSYS") {
        run.fail("bpf(BPF_MAP_CREATE) did not fail with ENOSYS");
    }
    run.assert_value("probe_exit", "0", "bpf_probe");
    run.assert_value("kernel_btf", "absent", "a legacy-like kernel has no /sys/kernel/btf/vmlinux");
    run.assert_value("execve_tracepoint", "present", "syscall tracepoints are built in");
    run.assert_value("kprobe_pmu", "present", "the kprobe PMU is built in");
}

/// execsnoop under the hook on `kernel`: the commands of the workload, with arguments.
fn assert_execsnoop_reports_commands(name: &str, kernel: &Kernel) {
    let tool = require!(guest::host_tool("execsnoop", "libbpf-tools"));
    let body = traced_body(
        "execsnoop",
        "PCOMM",
        "mkdir -p /tmp/marker-dir && touch /tmp/marker-dir/f\n\
         /bin/echo bpfcompat-marker-1\n\
         /bin/busybox ls /tmp/marker-dir\n\
         /bin/true bpfcompat-marker-2 --flag",
        "bpfcompat-marker-2",
    );
    let run = tool_guest(name, kernel, &tool, true).body(&body).boot();
    assert_tool_lifecycle(&run, "execsnoop");
    run.assert_line("tool-stdout", &["PCOMM", "PID", "PPID", "RET", "ARGS"], "execsnoop header");
    run.assert_line("tool-stdout", &["echo", "/bin/echo bpfcompat-marker-1"], "exec of /bin/echo with its argument");
    // busybox's shell runs `ls` in-process; naming busybox itself forces a real exec.
    run.assert_line("tool-stdout", &["busybox", "/bin/busybox ls /tmp/marker-dir"], "exec of busybox ls with its arguments");
    run.assert_line("tool-stdout", &["true", "bpfcompat-marker-2 --flag"], "exec of /bin/true with two arguments");
    run.assert_clean_exit();
}

/// opensnoop under the hook on `kernel`: successful and failed opens, with the errno.
fn assert_opensnoop_reports_paths(name: &str, kernel: &Kernel) {
    let tool = require!(guest::host_tool("opensnoop", "libbpf-tools"));
    let body = traced_body(
        "opensnoop",
        "PATH",
        "echo marker > /tmp/bpfcompat-open-marker\n\
         cat /tmp/bpfcompat-open-marker\n\
         cat /tmp/bpfcompat-missing-file 2>/dev/null\n\
         cat /tmp/bpfcompat-open-done 2>/dev/null",
        "bpfcompat-open-done",
    );
    let run = tool_guest(name, kernel, &tool, true).body(&body).boot();
    assert_tool_lifecycle(&run, "opensnoop");
    run.assert_line("tool-stdout", &["PID", "COMM", "FD", "ERR", "PATH"], "opensnoop header");
    run.assert_line("tool-stdout", &["cat", "/tmp/bpfcompat-open-marker"], "cat's open of the marker file");
    // ENOENT is reported in the ERR column.
    run.assert_line("tool-stdout", &["cat", " 2 ", "/tmp/bpfcompat-missing-file"], "cat's failed open (ERR 2)");
    run.assert_clean_exit();
}

#[test]
fn execsnoop_reports_guest_commands_under_the_hook() {
    let kernel = require!(guest::nobpf_kernel());
    assert_execsnoop_reports_commands("execsnoop", &kernel);
}

#[test]
fn opensnoop_reports_opened_paths_under_the_hook() {
    let kernel = require!(guest::nobpf_kernel());
    assert_opensnoop_reports_paths("opensnoop", &kernel);
}

/// CentOS 7.9 (3.10) has no execve syscall tracepoint: execsnoop's comes from the
/// driver's synthetic ones; its records are 3.10's ftrace_raw_* under their current names.
#[test]
fn execsnoop_reports_guest_commands_on_centos7() {
    let kernel = require!(guest::centos7_kernel());
    assert_execsnoop_reports_commands("execsnoop_centos7", &kernel);
}

#[test]
fn opensnoop_reports_opened_paths_on_centos7() {
    let kernel = require!(guest::centos7_kernel());
    assert_opensnoop_reports_paths("opensnoop_centos7", &kernel);
}

#[test]
fn execsnoop_without_the_module_names_the_missing_module() {
    let kernel = require!(guest::nobpf_kernel());
    let tool = require!(guest::host_tool("execsnoop", "libbpf-tools"));
    let run = tool_guest("execsnoop_no_module", &kernel, &tool, false)
        .body(
            r#". /bpfcompat/lib.sh
[ -e /dev/bpfdrv ] && result dev_node present || result dev_node absent
LD_PRELOAD=$HOOK execsnoop >/tmp/tool.out 2>/tmp/tool.err &
pid=$!
wait_exit $pid 120; result tool_exit $exit_status
show tool-stdout /tmp/tool.out
show tool-stderr /tmp/tool.err
"#,
        )
        .boot();
    run.assert_completed();
    run.assert_kernel_clean();
    run.assert_value("dev_node", "absent", "no module, no /dev/bpfdrv");
    match run.value("tool_exit").as_deref() {
        Some("0") => run.fail("execsnoop exited 0 without the module"),
        Some("timeout") => run.fail("execsnoop kept running without the module instead of exiting"),
        None => run.fail("the body never reported execsnoop's exit status"),
        Some(_) => {}
    }
    let out = format!("{}{}", run.expect_section("tool-stdout"), run.expect_section("tool-stderr"));
    if !(out.contains("bpfdrv") && out.to_lowercase().contains("not loaded")) {
        run.fail("execsnoop's output does not name the missing module (\"bpfdrv\" ... \"not loaded\")");
    }
    run.assert_clean_exit();
}

/// The oracle: the same unmodified execsnoop natively on Debian's stock `kernel` (real
/// eBPF), through the hook in auto mode (which must pass everything through), reports
/// the same exec lines as under the shim.
fn assert_execsnoop_natively(name: &str, kernel: &Kernel) {
    let tool = require!(guest::host_tool("execsnoop", "libbpf-tools"));
    let body = traced_body(
        "execsnoop",
        "PCOMM",
        "/bin/echo bpfcompat-marker-1\n\
         /bin/true bpfcompat-marker-2 --flag",
        "bpfcompat-marker-2",
    )
    .replace("insmod $MODULE; result insmod $?", "result insmod 0")
    .replace("rmmod bpfdrv; result rmmod $?", "result rmmod 0");
    let run = Guest::new(name, kernel).binary(&tool).with_hook(guest::hook_library_for(kernel)).with_stdbuf().body(&body).boot();
    assert_tool_lifecycle(&run, "execsnoop (native)");
    run.assert_line("tool-stdout", &["echo", "/bin/echo bpfcompat-marker-1"], "exec of /bin/echo with its argument");
    run.assert_line("tool-stdout", &["true", "bpfcompat-marker-2 --flag"], "exec of /bin/true with two arguments");
}

#[test]
fn execsnoop_natively_on_the_stock_kernel_reports_the_same_commands() {
    let kernel = require!(guest::stock_kernel());
    assert_execsnoop_natively("execsnoop_stock", &kernel);
}

#[test]
fn execsnoop_reports_guest_commands_on_6_12_as_natively() {
    let kernel = require!(guest::nobpf_kernel_612());
    assert_execsnoop_reports_commands("execsnoop_612", &kernel);
    let stock = require!(guest::stock_kernel_612());
    assert_execsnoop_natively("execsnoop_stock_612", &stock);
}

#[test]
fn opensnoop_reports_opened_paths_on_6_12() {
    let kernel = require!(guest::nobpf_kernel_612());
    assert_opensnoop_reports_paths("opensnoop_612", &kernel);
}
