//! Both event channels, end to end: a tracepoint program (syscalls:sys_enter_getppid)
//! built with clang and a loader built against Debian's libbpf-dev
//! (`tests/guest/events/`) send sequence-numbered records through the perf buffer and
//! the BPF ring buffer. The loader triggers the tracepoint itself on CPU 0, so every count
//! is deterministic. The same binaries run natively on Debian's stock kernel (the oracle)
//! and under libbpfhook.so + bpfdrv.ko on the no-bpf kernel; every value must match, and
//! the key ones are also pinned here (what the kernel's ring arithmetic gives).
//!
//!     cargo test -p bpfcompat-tests --test guest_events
//!
//! With BPFCOMPAT_DEBUG_KERNEL=1 the driver run repeats on the KASAN/lockdep/kmemleak
//! kernel, which must report nothing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use bpfcompat_tests::guest::{self, Guest, GuestRun, Kernel};
use bpfcompat_tests::{require, require_debug_kernel};

/// Loader modes, each a section of the serial log (see events_load.c).
const MODES: &[(&str, &str)] = &[
    ("perf", "perf 1000"),
    ("perf-wakeup", "perf-wakeup"),
    ("perf-watermark", "perf-watermark"),
    ("rb-output", "rb rb_out 4096 1000"),
    ("rb-reserve", "rb rb_reserve 4096 1000"),
    ("rb-discard", "rb rb_discard 65536 100"),
    ("rb-wakeup", "rb-wakeup"),
    ("rb-query", "rb-query"),
    ("rb-layout", "rb-layout"),
    ("rb-leak", "rb-leak"),
];

/// Modes whose outcome differs by design: the kernel's verifier refuses a program that
/// keeps a ring buffer reservation; the driver runs it and discards the record.
const DRIVER_ONLY: &[&str] = &["rb-leak"];

struct Artifacts {
    loader: PathBuf,
    object: PathBuf,
}

fn artifacts() -> Result<Artifacts, guest::Skip> {
    Ok(Artifacts { object: guest::guest_bpf_object("events/events.bpf.c")?, loader: guest::guest_libbpf_program("events/events_load.c")? })
}

/// Shell running every mode; with `driver`, under the hook with bpfdrv.ko loaded.
/// `kmemleak` adds scans before and after rmmod (debug kernel).
fn body(driver: bool, kmemleak: bool) -> String {
    let mut s = String::from(". /bpfcompat/lib.sh\n");
    if kmemleak {
        // Forget what boot left behind: later reports are ours.
        s.push_str(guest::DEBUG_CHECKS);
        s.push_str("echo clear > /sys/kernel/debug/kmemleak\n");
    }
    if driver {
        s.push_str("insmod $MODULE; result insmod $?\nexport LD_PRELOAD=$HOOK\n");
    } else {
        // The hook in auto mode passes a native kernel's bpf() through: the oracle runs with it too.
        s.push_str("export LD_PRELOAD=$HOOK\n");
    }
    for (name, args) in MODES {
        s.push_str(&format!(
            "/bpfcompat/events_load /bpfcompat/events.bpf.o {args} >/tmp/{name}.out 2>/tmp/{name}.err; result exit-{name} $?\n\
             show {name} /tmp/{name}.out\nshow {name}-stderr /tmp/{name}.err\n"
        ));
    }
    s.push_str("unset LD_PRELOAD\n");
    if kmemleak {
        // kmemleak reports objects unreferenced for two scans and older than 5 s.
        s.push_str(
            "sleep 6; echo scan > /sys/kernel/debug/kmemleak; echo scan > /sys/kernel/debug/kmemleak\n\
             cat /sys/kernel/debug/kmemleak > /tmp/kml-loaded; show kmemleak-loaded /tmp/kml-loaded\n",
        );
    }
    if driver {
        s.push_str("rmmod bpfdrv; result rmmod $?\n");
    }
    if kmemleak {
        s.push_str(
            "sleep 6; echo scan > /sys/kernel/debug/kmemleak; echo scan > /sys/kernel/debug/kmemleak\n\
             cat /sys/kernel/debug/kmemleak > /tmp/kml-unloaded; show kmemleak-unloaded /tmp/kml-unloaded\n",
        );
    }
    s
}

fn boot(name: &str, kernel: &Kernel, a: &Artifacts, driver: bool, kmemleak: bool) -> GuestRun {
    let mut g = Guest::new(name, kernel)
        .binary_at(&a.loader, "/bpfcompat/events_load")
        .file(&a.object, "/bpfcompat/events.bpf.o")
        .with_hook(guest::hook_library_for(kernel))
        .body(&body(driver, kmemleak));
    if driver {
        g = g.with_module(guest::bpfdrv_module(kernel));
    }
    g.boot()
}

/// Every `key=value` token of a mode's output.
fn values(run: &GuestRun, mode: &str) -> BTreeMap<String, String> {
    let text = run.expect_section(mode);
    let mut m = BTreeMap::new();
    for tok in text.split_whitespace() {
        if let Some((k, v)) = tok.split_once('=') {
            // Repeated keys (e.g. records=) keep their position.
            let mut key = k.to_string();
            let mut n = 1;
            while m.contains_key(&key) {
                n += 1;
                key = format!("{k}#{n}");
            }
            m.insert(key, v.to_string());
        }
    }
    m
}

fn get<'a>(run: &GuestRun, vals: &'a BTreeMap<String, String>, mode: &str, key: &str) -> &'a str {
    vals.get(key).map(String::as_str).unwrap_or_else(|| run.fail(format!("mode {mode}: no {key}= in its output")))
}

/// The values both kernels must give: the kernel's ring arithmetic for these sizes.
fn assert_expected(run: &GuestRun) {
    let expect: &[(&str, &[(&str, &str)])] = &[
        // 1 data page: perf keeps at most 4095 bytes, 32-byte samples → 127; the loss is
        // reported with the flush event: 1000 - 127 lost, 128 delivered, 1001 produced.
        (
            "perf",
            &[
                ("delivered_burst", "127"),
                ("produced", "1001"),
                ("delivered", "128"),
                ("lost", "873"),
                ("drops", "873"),
                ("out_of_order", "0"),
                ("foreign", "0"),
                ("accounted", "yes"),
                ("last_seq", "1000"),
            ],
        ),
        ("perf-wakeup", &[("poll_after_3", "0"), ("records", "0"), ("poll_after_4", "1"), ("records#2", "4")]),
        ("perf-watermark", &[("poll_after_3", "0"), ("records", "0"), ("poll_after_4", "1"), ("records#2", "4")]),
        // 4096-byte ring, 24-byte records, at most 4095 bytes in flight → 170.
        ("rb-output", &[("produced", "1000"), ("delivered", "170"), ("drops", "830"), ("out_of_order", "0"), ("accounted", "yes")]),
        ("rb-reserve", &[("produced", "1000"), ("delivered", "170"), ("drops", "830"), ("out_of_order", "0"), ("accounted", "yes")]),
        ("rb-discard", &[("produced", "100"), ("delivered", "50"), ("odd_seen", "0"), ("out_of_order", "0"), ("accounted", "yes")]),
        (
            "rb-wakeup",
            &[
                ("no_wakeup_poll", "0"),
                ("no_wakeup_consume", "1"),
                ("default_poll", "1"),
                ("behind_poll", "0"),
                ("force_poll", "3"),
                ("delivered", "5"),
                ("accounted", "yes"),
            ],
        ),
        ("rb-query", &[("avail", "72"), ("ring_size", "8192"), ("cons", "0"), ("prod", "72")]),
        (
            "rb-layout",
            &[
                ("mmap_rw_two_pages", "Operation"),
                ("mmap_rw_producer", "Operation"),
                ("mmap_ro_too_big", "Invalid"),
                ("mmap_ro_past_end", "Invalid"),
                ("mmap_ro_far_offset", "Invalid"),
                ("mmap_consumer", "ok"),
                ("mmap_producer_data", "ok"),
                ("mprotect_producer_rw", "Permission"),
                ("hdr_len", "0x10"),
                ("hdr_pg_off", "3"),
                ("double_mapped", "yes"),
            ],
        ),
    ];
    for (mode, kvs) in expect.iter().filter(|(m, _)| !DRIVER_ONLY.contains(m)) {
        run.assert_value(&format!("exit-{mode}"), "0", &format!("events_load {mode}"));
        let vals = values(run, mode);
        for (k, want) in *kvs {
            let got = get(run, &vals, mode, k);
            if got != *want {
                run.fail(format!("mode {mode}: {k}={got}, expected {want}"));
            }
        }
    }
}

/// The driver accepts the leaking program, and the reader still gets every record.
fn assert_leak_discarded(run: &GuestRun) {
    run.assert_value("exit-rb-leak", "0", "events_load rb-leak");
    let vals = values(run, "rb-leak");
    for (k, want) in [("leak_load", "accepted"), ("produced", "10"), ("delivered", "10"), ("drained", "yes"), ("out_of_order", "0")] {
        let got = get(run, &vals, "rb-leak", k);
        if got != want {
            run.fail(format!("mode rb-leak: {k}={got}, expected {want}"));
        }
    }
}

fn assert_same_as_oracle(run: &GuestRun, oracle: &GuestRun) {
    for (mode, _) in MODES.iter().filter(|(m, _)| !DRIVER_ONLY.contains(m)) {
        let want = values(oracle, mode);
        let got = values(run, mode);
        if want != got {
            run.fail(format!(
                "mode {mode}: the driver's output differs from native eBPF on the stock kernel\n native: {want:?}\n driver: {got:?}"
            ));
        }
    }
}

fn assert_no_leaks(run: &GuestRun) {
    let loaded = run.expect_section("kmemleak-loaded");
    if loaded.contains("bpfdrv") {
        run.fail(format!("kmemleak: objects allocated by bpfdrv leaked after every tool exited:\n{loaded}"));
    }
    let unloaded = run.expect_section("kmemleak-unloaded");
    if unloaded.contains("unreferenced object") {
        run.fail(format!("kmemleak reports leaks after rmmod bpfdrv:\n{unloaded}"));
    }
}

/// The loaders run natively on a stock kernel: the oracle.
fn boot_oracle(name: &str, stock: Result<Kernel, guest::Skip>) -> Option<GuestRun> {
    let stock = stock.map_err(|s| s.report("guest_events (stock kernel)")).ok()?;
    let a = artifacts().map_err(|s| s.report("guest_events")).ok()?;
    let oracle = boot(name, &stock, &a, false, false);
    oracle.assert_clean_exit();
    assert_expected(&oracle);
    let refused = values(&oracle, "rb-leak");
    if get(&oracle, &refused, "rb-leak", "leak_load") != "refused" {
        oracle.fail("the kernel's verifier accepted a program that never submits its ring buffer reservation");
    }
    Some(oracle)
}

/// The stock 6.1 kernel's run, shared by this file's tests.
fn oracle_run() -> Option<&'static GuestRun> {
    static R: OnceLock<Option<GuestRun>> = OnceLock::new();
    R.get_or_init(|| boot_oracle("events_native", guest::stock_kernel())).as_ref()
}

/// Every mode under the hook + bpfdrv.ko on `kernel`: the pinned values, `oracle`'s output.
fn assert_driver_matches_native(name: &str, kernel: &Kernel, oracle: Option<&GuestRun>) {
    let a = require!(artifacts());
    let Some(oracle) = oracle else { return };
    let run = boot(name, kernel, &a, true, false);
    run.assert_clean_exit();
    run.assert_value("insmod", "0", "insmod bpfdrv.ko");
    assert_expected(&run);
    assert_same_as_oracle(&run, oracle);
    assert_leak_discarded(&run);
    run.assert_value("rmmod", "0", "rmmod bpfdrv after the loaders exited");
    run.assert_kernel_clean();
}

#[test]
fn perf_buffer_and_ring_buffer_match_native_ebpf() {
    let kernel = require!(guest::nobpf_kernel());
    assert_driver_matches_native("events_driver", &kernel, oracle_run());
}

/// 6.12 against its own stock kernel's native eBPF.
#[test]
fn perf_buffer_and_ring_buffer_on_6_12_match_native_ebpf() {
    let kernel = require!(guest::nobpf_kernel_612());
    let oracle = boot_oracle("events_native_612", guest::stock_kernel_612());
    assert_driver_matches_native("events_driver_612", &kernel, oracle.as_ref());
}

/// 3.10 has neither BPF output perf events (4.4) nor ring buffers (5.8): both are the
/// driver's, with the layouts libbpf reads.
#[test]
fn perf_buffer_and_ring_buffer_on_centos7_match_native_ebpf() {
    let kernel = require!(guest::centos7_kernel());
    assert_driver_matches_native("events_centos7", &kernel, oracle_run());
}

#[test]
fn event_channels_are_clean_under_kasan_lockdep_and_kmemleak() {
    let kernel = require_debug_kernel!("event_channels_are_clean_under_kasan_lockdep_and_kmemleak");
    let a = require!(artifacts());
    let run = boot("events_debug", &kernel, &a, true, true);
    run.assert_clean_exit();
    run.assert_value("insmod", "0", "insmod bpfdrv.ko");
    assert_expected(&run);
    assert_leak_discarded(&run);
    run.assert_value("rmmod", "0", "rmmod bpfdrv after the loaders exited");
    run.assert_kernel_clean();
    guest::assert_debug_checkers(&run);
    assert_no_leaks(&run);
}
