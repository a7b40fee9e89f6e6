//! Every tracing attach path, through the exact calls libbpf 1.x makes and through the
//! older PERF_EVENT_IOC_SET_BPF sequence, counted exactly: one small libbpf program
//! (tests/guest/attach/: attach.bpf.c + attach_test.c) runs in the no-bpf guest under
//! libbpfhook.so + bpfdrv.ko, and the same binaries run natively on Debian's stock
//! kernel (real eBPF) — the oracle. Both must report the same values, which are also
//! pinned here (N = 5 triggers per path).
//!
//!     cargo test -p bpfcompat-tests --test guest_attach

use bpfcompat_tests::guest::{self, Guest, GuestRun, Kernel, Skip};
use std::sync::OnceLock;

/// What attach_test must print, key by key (`BPFCOMPAT-RESULT attach_<key>=<value>`).
const EXPECTED: &[(&str, &str, &str)] = &[
    ("loaded", "yes", "the object loads"),
    ("kprobe", "5", "kprobe (kprobe PMU, BPF_LINK_CREATE): 5 getpgid calls"),
    ("kprobe_cookie", "0x1234", "bpf_get_attach_cookie in a kprobe attached with a cookie"),
    ("kprobe_func_ip", "symbol", "bpf_get_func_ip in a kprobe is __x64_sys_getpgid's address"),
    ("kretprobe", "5", "kretprobe (kprobe PMU, link)"),
    ("kretprobe_rc", "pgid", "kretprobe sees the syscall's return value"),
    ("kretprobe_func_ip", "symbol", "bpf_get_func_ip in a kretprobe"),
    ("kprobe_pmu_setbpf", "5", "kprobe PMU event with PERF_EVENT_IOC_SET_BPF + ENABLE"),
    ("kprobe_legacy", "5", "legacy kprobe_events + tracepoint perf event + SET_BPF"),
    ("kretprobe_legacy", "5", "legacy kretprobe with maxactive (r16:...)"),
    ("kretprobe_legacy_rc", "pgid", "legacy kretprobe sees the return value"),
    ("tracepoint", "5", "tracepoint syscalls:sys_enter_getpgid (link)"),
    ("tracepoint_cookie", "0x5678", "bpf_get_attach_cookie in a tracepoint program"),
    ("kprobe_stack_top", "probed-function", "kprobe: bpf_get_stack's first kernel frame is in the probed function"),
    ("kretprobe_addr_entry", "ok", "kprobe PMU kretprobe at a raw address (config1 = 0) that is getpgid's entry"),
    ("kretprobe_addr_inside", "EINVAL", "kprobe PMU kretprobe at getpgid + 8 (not a function entry) is refused"),
    ("raw_tracepoint", "5", "raw tracepoint sys_enter filtered on args[1] == __NR_getpgid"),
    ("raw_tracepoint_sched_switch", "preempt-prev-next", "raw tracepoint sched_switch: (preempt, prev, next) with prev the current task"),
    ("ksyscall", "5", "libbpf's ksyscall/getpgid (syscall wrapper prefix probed through the kprobe PMU)"),
    ("link_update", "EINVAL", "BPF_LINK_UPDATE on a perf-event link (the kernel has no update)"),
    ("link_detach", "EOPNOTSUPP", "BPF_LINK_DETACH on a perf-event link (the kernel has no detach)"),
    ("second_set_bpf", "EEXIST", "SET_BPF on an event that already has a program"),
    ("tracepoint_prog_on_kprobe", "EINVAL", "a TRACEPOINT program on a kprobe event is refused"),
    ("after_detach", "0", "closing links and perf fds detaches every kprobe/tracepoint program"),
    ("uprobe", "5", "uprobe on a function of the test binary (uprobe PMU, link)"),
    ("uprobe_arg", "4", "uprobe reads the argument register (last call: x = 4)"),
    ("uprobe_cookie", "0x9abc", "bpf_get_attach_cookie in a uprobe"),
    ("uretprobe", "5", "uretprobe"),
    ("uretprobe_rc", "9", "uretprobe reads the return value (2 * 4 + 1)"),
    ("uprobe_libc", "5", "uprobe on libc's getpgid (a shared library function)"),
    ("uprobe_pid", "3", "uprobe with a pid: only the child's 3 calls count, not the parent's 4"),
    ("uprobe_legacy", "5", "legacy uprobe_events (path:offset) + tracepoint perf event + SET_BPF"),
    ("uprobe_legacy_arg", "4", "legacy uprobe reads the argument register"),
    ("uprobe_after_detach", "0", "closing uprobe links detaches"),
    ("uprobe_past_end", "EINVAL", "a uprobe PMU event past the end of the file is refused (uprobe_register's error path)"),
    ("cpu_clock_sampled", "yes", "per-CPU cpu-clock sampling runs the perf_event program"),
    ("cpu_clock_period", "1000000", "bpf_perf_event_data.sample_period"),
    ("cpu_clock_cookie", "77", "bpf_get_attach_cookie in a perf_event program"),
    ("task_clock_sampled", "yes", "task-clock sampling of the process (SET_BPF)"),
    ("task_clock_period", "2000000", "task-clock sample_period"),
    ("task_clock_cookie", "0", "no cookie through SET_BPF"),
    ("sample_freq_99", "ok", "a 99 Hz cpu-clock sampling event opens"),
    ("sample_freq_above_max", "EINVAL", "sample_freq above kernel.perf_event_max_sample_rate is refused"),
    ("sample_period_bit63", "EINVAL", "a sample_period with bit 63 set is refused"),
    ("done", "yes", "attach_test ran to the end"),
];

/// Only where bpfdrv.ko is loaded: a kprobe on one of its functions ("module:symbol"),
/// hit once per BPF_MAP_LOOKUP_ELEM.
const MODULE_SYMBOL: &str = "bpfdrv:bpfdrv_cmd_map_lookup";

fn body(with_module: bool) -> String {
    let (load, unload, module_sym) = if with_module {
        ("insmod $MODULE; result insmod $?", "rmmod bpfdrv; result rmmod $?", MODULE_SYMBOL)
    } else {
        ("result insmod 0", "result rmmod 0", "")
    };
    format!(
        r#". /bpfcompat/lib.sh
{load}
LD_PRELOAD=$HOOK /bpfcompat/attach/attach_test /bpfcompat/attach/attach.bpf.o {module_sym} >/tmp/out 2>/tmp/err &
pid=$!
wait_exit $pid 240; result attach_exit $exit_status
cat /tmp/out
show attach-stderr /tmp/err
dmesg | grep bpfdrv >/tmp/dmesg-bpfdrv
show bpfdrv-dmesg /tmp/dmesg-bpfdrv
{unload}
"#
    )
}

fn run_attach_test(name: &str, kernel: &Kernel, with_module: bool) -> GuestRun {
    let (loader, obj) = guest::guest_bpf_program("attach", "attach").unwrap_or_else(|s| panic!("{}", s.0));
    let g = Guest::new(name, kernel)
        .binary_at(&loader, "/bpfcompat/attach/attach_test")
        .file(&obj, "/bpfcompat/attach/attach.bpf.o")
        .with_hook(guest::hook_library_for(kernel));
    let g = if with_module { g.with_module(guest::bpfdrv_module(kernel)) } else { g };
    g.body(&body(with_module)).boot()
}

/// [`run_attach_test`], or the skip when the programs cannot be built here.
fn attach_run(name: &str, kernel: &Kernel, with_module: bool) -> Result<GuestRun, Skip> {
    guest::guest_bpf_program("attach", "attach")?;
    Ok(run_attach_test(name, kernel, with_module))
}

/// The no-bpf guest's run, shared by the tests of this file (one boot).
fn nobpf_run() -> Option<&'static GuestRun> {
    static R: OnceLock<Option<GuestRun>> = OnceLock::new();
    guest::shared_run(&R, guest::nobpf_kernel, "guest_attach (no-bpf kernel)", |k| attach_run("attach_nobpf", k, true))
}

/// The stock kernel's native run (the oracle).
fn stock_run() -> Option<&'static GuestRun> {
    static R: OnceLock<Option<GuestRun>> = OnceLock::new();
    guest::shared_run(&R, guest::stock_kernel, "guest_attach (stock kernel)", |k| attach_run("attach_stock", k, false))
}

/// CentOS 7.9's kernel under the hook's default mode, which must choose bpfdrv there
/// (RHEL's own bpf() cannot load what libbpf 1.x sends).
fn centos7_run() -> Option<&'static GuestRun> {
    static R: OnceLock<Option<GuestRun>> = OnceLock::new();
    guest::shared_run(&R, guest::centos7_kernel, "guest_attach (CentOS 7.9 kernel)", |k| attach_run("attach_centos7", k, true))
}

fn assert_expected(run: &GuestRun, under: &str) {
    run.assert_completed();
    run.assert_value("insmod", "0", "insmod bpfdrv.ko");
    run.assert_value("attach_exit", "0", &format!("attach_test exit status {under}"));
    let wrong: Vec<String> = EXPECTED
        .iter()
        .filter_map(|(key, want, what)| {
            let got = run.value(&format!("attach_{key}"));
            (got.as_deref() != Some(*want)).then(|| format!("{what}: attach_{key} = {got:?}, expected {want:?}"))
        })
        .collect();
    if !wrong.is_empty() {
        run.fail(format!("{under}:\n  {}", wrong.join("\n  ")));
    }
    run.assert_value("rmmod", "0", "rmmod bpfdrv after attach_test exited (nothing leaked)");
    run.assert_clean_exit();
}

#[test]
fn every_attach_path_counts_exactly_under_bpfcompat() {
    let Some(run) = nobpf_run() else { return };
    assert_expected(run, "under libbpfhook.so + bpfdrv.ko on the no-bpf kernel");
    run.assert_value("attach_module_kprobe", "5", "kprobe on a module symbol (bpfdrv:bpfdrv_cmd_map_lookup): 5 lookups");
}

/// Everything attach_test printed, not only the pinned keys, must agree with the oracle.
fn assert_same_as_native(native: &GuestRun, shim: &GuestRun) {
    let lines = |r: &GuestRun| -> Vec<String> {
        r.log
            .lines()
            .filter(|l| l.contains("BPFCOMPAT-RESULT attach_") && !l.contains("attach_exit") && !l.contains("attach_module_kprobe"))
            .map(|l| l.trim().to_string())
            .collect()
    };
    let (native, emulated) = (lines(native), lines(shim));
    if native != emulated {
        shim.fail(format!("attach_test output differs from the native oracle:\nnative:   {native:?}\nbpfcompat: {emulated:?}"));
    }
}

#[test]
fn the_same_binaries_natively_on_the_stock_kernel_give_the_same_values() {
    let Some(run) = stock_run() else { return };
    assert_expected(run, "natively on the stock Debian kernel");
    let Some(shim) = nobpf_run() else { return };
    assert_same_as_native(run, shim);
}

/// The no-bpf 6.12 guest's run and the stock 6.12 kernel's native one.
fn runs_612() -> Option<&'static (GuestRun, GuestRun)> {
    static R: OnceLock<Option<(GuestRun, GuestRun)>> = OnceLock::new();
    R.get_or_init(|| {
        let nobpf = guest::nobpf_kernel_612().map_err(|s| s.report("guest_attach (no-bpf 6.12 kernel)")).ok()?;
        let stock = guest::stock_kernel_612().map_err(|s| s.report("guest_attach (stock 6.12 kernel)")).ok()?;
        guest::guest_bpf_program("attach", "attach").map_err(|s| s.report("guest_attach")).ok()?;
        Some((run_attach_test("attach_nobpf_612", &nobpf, true), run_attach_test("attach_stock_612", &stock, false)))
    })
    .as_ref()
}

#[test]
fn every_attach_path_counts_exactly_on_6_12_as_natively() {
    let Some((shim, native)) = runs_612() else { return };
    assert_expected(native, "natively on Debian's stock 6.12 kernel");
    assert_expected(shim, "under libbpfhook.so + bpfdrv.ko on the no-bpf 6.12 kernel");
    shim.assert_value("attach_module_kprobe", "5", "kprobe on a module symbol (bpfdrv:bpfdrv_cmd_map_lookup): 5 lookups");
    assert_same_as_native(native, shim);
}

#[test]
fn every_attach_path_counts_exactly_on_centos7() {
    let Some(run) = centos7_run() else { return };
    // Every value as on 6.1: the kprobe PMU is the driver's, ksyscall's __se_sys_getpgid
    // is 3.10's SyS_getpgid, kprobe_events' kretprobes take no maxactive.
    assert_expected(run, "under libbpfhook.so + bpfdrv.ko on CentOS 7.9's kernel");
    run.assert_value("attach_module_kprobe", "5", "kprobe on a module symbol (bpfdrv:bpfdrv_cmd_map_lookup): 5 lookups");
}
