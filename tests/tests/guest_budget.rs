//! Work a program's helpers do outside the instruction budget (issue 14, item 6).
//!
//! `tests/guest/budget_probe.c`, natively on the stock 6.1 kernel and under the hook +
//! module on the no-bpf 6.1 kernel, one boot each:
//! - bpf_trace_printk / bpf_snprintf with field widths up to Linux's largest (8388607)
//!   and past it: return values and the bytes written are the stock kernel's, while the
//!   module formats no more than its buffer can show (`bpf_loop(4)` × three
//!   `trace_printk("%8388607d")` took 1–2 s with preemption off; now well under 100 ms);
//! - `bpf_loop(1000)` × `probe_read_user` of 1 MiB: helpers pay for the bytes they copy
//!   from the run's budget, so the run is aborted with -E2BIG like a runaway loop
//!   instead of copying a GiB with preemption off;
//! - `bpf_loop(2^20)` × `probe_read_user` of an unmapped address: one unit of the
//!   budget each but a page fault, so the budget allowed 380 ms of them under TCG; the
//!   run's wall-clock limit (200 ms) ends it, reported as running past its time limit;
//! - `bpf_loop(1000)` × a lookup in a hash of maps of 50000 keys walks one hash chain
//!   (it compared the key with every slot before), well under 100 ms (natively 100 keys:
//!   Linux waits a grace period at every update of a map of maps);
//! - an update into a full LRU hash of 2^19 elements that programs all looked up evicts
//!   within 2 ms (the eviction cleared every element's reference bit, with the lock held
//!   and IRQs off);
//! - closing a prog array of 65536 programs and a perf event array of 4096 output events
//!   waits one grace period, not one per slot.
//!
//!     cargo test --release -p bpfcompat-tests --test guest_budget

use std::path::Path;
use std::time::Duration;

use bpfcompat_tests::guest::{self, BpfSide, Guest, GuestRun, Kernel};
use bpfcompat_tests::require;

/// The module's budget of guest time for the printk loop and the hash-of-maps lookup
/// loop (TCG guest, 2 vCPUs).
const LOOP_MAX_MS: f64 = 100.0;
/// The fastest of 3 evicting updates into the full, all-referenced LRU hash.
const LRU_EVICT_MAX_MS: f64 = 2.0;
/// The module's time limit of one run (200 ms, prog_run.c), with room for the slice
/// between two looks at the clock and a loaded host.
const FAULT_LOOP_MAX_MS: f64 = 1000.0;
/// A close may cost this many single-slot deletes (one grace period each), at least
/// CLOSE_FLOOR_MS: far below one grace period per slot, well above one.
const CLOSE_MAX_DELETES: f64 = 20.0;
const CLOSE_FLOOR_MS: f64 = 500.0;

fn boot(name: &str, kernel: &Kernel, bin: &Path) -> GuestRun {
    let BpfSide { setup, prefix, teardown } = kernel.bpf_side();
    let side = if kernel.native_bpf { "native" } else { "shim" };
    let body = format!(
        ". /bpfcompat/lib.sh\n{}\n{}/bpfcompat/budget_probe {} >/tmp/out.txt 2>&1; result exit $?\nshow probe /tmp/out.txt\n\
         grep '^R ' /tmp/out.txt | sed 's/^R /BPFCOMPAT-RESULT /'\n\
         dmesg | grep -c \"program 'big_reads' aborted at insn [0-9]*: error -7\" | sed 's/^/BPFCOMPAT-RESULT big_reads_aborted=/'\n\
         dmesg | grep -c \"program 'empty_walk' aborted at insn [0-9]*: error -7\" | sed 's/^/BPFCOMPAT-RESULT empty_walk_aborted=/'\n\
         dmesg | grep -c \"program 'fault_reads' aborted at insn [0-9]*: error -7 (ran past its time limit)\" | sed 's/^/BPFCOMPAT-RESULT fault_reads_timed_out=/'\n{}\n",
        setup, prefix, side, teardown,
    );
    let run = Guest::new(name, kernel)
        .binary_at(bin, "/bpfcompat/budget_probe")
        .timeout(Duration::from_secs(240))
        .serving_bpf()
        .body(&body)
        .boot();
    run.assert_completed();
    run.assert_kernel_clean();
    run.assert_value("exit", "0", "budget_probe's exit status");
    run.assert_value("done", "1", "budget_probe ran to the end");
    run
}

fn ms(run: &GuestRun, key: &str) -> f64 {
    run.value(key).and_then(|v| v.parse().ok()).unwrap_or_else(|| run.fail(format!("{key}: no time reported")))
}

/// A run the module stopped: `key` (its r0) is 0, and `key`_`report` (the module's abort
/// report) is 1.
fn assert_aborted(run: &GuestRun, key: &str, what: &str, report: &str, report_what: &str) {
    run.assert_value(key, "0", what);
    run.assert_value(&format!("{key}_{report}"), "1", report_what);
}

/// The time reported as `key`, failing the run with `too_long(time)` when it is over `limit`.
fn ms_within(run: &GuestRun, key: &str, limit: f64, too_long: impl FnOnce(f64) -> String) -> f64 {
    let t = ms(run, key);
    if t > limit {
        run.fail(too_long(t));
    }
    t
}

/// Closing the array with @stored entries must cost about one grace period.
fn assert_one_grace_period(run: &GuestRun, what: &str, slots: &str) {
    run.assert_value(&format!("{what}_stored"), slots, &format!("{what}: every slot filled"));
    run.assert_value(&format!("{what}_delete"), "0", &format!("{what}: delete of slot 0"));
    let (delete, close) = (ms(run, &format!("{what}_delete_ms")), ms(run, &format!("{what}_close_ms")));
    let max = (delete * CLOSE_MAX_DELETES).max(CLOSE_FLOOR_MS);
    if close > max {
        run.fail(format!(
            "{what}: closing the array with {slots} entries took {close:.1} ms, a single-slot delete {delete:.1} ms: \
             more than one grace period (limit {max:.0} ms)"
        ));
    }
    println!("{what}: close of {slots} entries {close:.1} ms, one delete {delete:.1} ms");
}

#[test]
fn helper_work_is_bounded_and_charged_to_the_budget() {
    let nobpf = require!(guest::nobpf_kernel());
    let stock = require!(guest::stock_kernel());
    let bin = guest::guest_c_program("budget_probe.c").unwrap_or_else(|s| panic!("budget_probe prerequisites: {}", s.0));
    let native = boot("budget_stock", &stock, &bin);
    let shim = boot("budget_nobpf", &nobpf, &bin);
    shim.assert_value("insmod", "0", "insmod bpfdrv.ko");

    // Formats: Linux's return values and output bytes; hash-of-maps lookups.
    let mut keys = vec!["setup".to_string(), "hom_all_stored".to_string(), "hom_found".to_string(), "hom_missing".to_string()];
    // budget_probe.c's formats: 0-7 widths and pointers, 8-11 the flags, conversions
    // and characters Linux refuses or takes.
    for f in 0..12 {
        keys.push(format!("trace_printk_{f}"));
        // Linux refuses bpf_snprintf's bad formats (8, 9, 11) when the program loads, the
        // module when it runs: not compared.
        if f != 7 && f != 8 && f != 9 && f != 11 {
            keys.push(format!("snprintf_{f}"));
        }
    }
    // "%p|" of 42: hashed by the kernel (a value of its own each boot), natively and here,
    // never the raw "000000000000002a" that "%px|" prints; the length is the same.
    for (side, run) in [("stock", &native), ("shim", &shim)] {
        let (p, px) = (run.value("snprintf_7").unwrap_or_default(), run.value("snprintf_6").unwrap_or_default());
        let ret = |s: &str| s.split(' ').next().unwrap_or_default().to_string();
        if ret(&p) != ret(&px) || p == px || !px.contains("\"000000000000002") {
            shim.fail(format!("{side}: snprintf(\"%p|\", 42) gave {p:?}, \"%px|\" {px:?}: not the kernel's hashed and raw pointers"));
        }
    }
    shim.assert_values_as_stock(&native, &keys, "printf and hash-of-maps results differ from the stock kernel");
    println!("budget: {} printf and hash-of-maps results identical to the stock kernel", keys.len());

    shim.assert_value("printk_loop", "4", "bpf_loop(4) of trace_printk(\"%8388607d\") x 3");
    let printk = ms_within(&shim, "printk_loop_ms", LOOP_MAX_MS, |printk| {
        format!("bpf_loop(4) x three trace_printk(\"%8388607d\") took {printk:.1} ms (limit {LOOP_MAX_MS} ms)")
    });
    shim.assert_value("hom_loop", "1000", "bpf_loop(1000) x hash-of-maps lookup");
    let hom = ms_within(&shim, "hom_loop_ms", LOOP_MAX_MS, |hom| {
        format!("bpf_loop(1000) x a lookup in a hash of maps of 50000 keys took {hom:.1} ms (limit {LOOP_MAX_MS} ms)")
    });

    // The run is aborted (r0 0), and reported as a budget abort.
    assert_aborted(
        &shim,
        "big_reads",
        "bpf_loop(1000) x probe_read_user(1 MiB): aborted by the budget",
        "aborted",
        "the module's abort report for big_reads (error -E2BIG)",
    );
    let reads = ms(&shim, "big_reads_ms");
    // Units of the budget that cost microseconds each (page faults) meet the time limit.
    assert_aborted(
        &shim,
        "fault_reads",
        "bpf_loop(2^20) x probe_read_user of an unmapped address: aborted",
        "timed_out",
        "the module's abort report for fault_reads (past its time limit)",
    );
    let faults = ms_within(&shim, "fault_reads_ms", FAULT_LOOP_MAX_MS, |faults| {
        format!("the run of faulting reads stopped after {faults:.1} ms (limit {FAULT_LOOP_MAX_MS} ms)")
    });
    // Empty buckets skipped by bpf_for_each_map_elem are charged too.
    assert_aborted(
        &shim,
        "empty_walk",
        "bpf_loop(1000) x for_each_map_elem over an empty hash of 2^20 buckets: aborted by the budget",
        "aborted",
        "the module's abort report for empty_walk (error -E2BIG)",
    );
    let walk = ms(&shim, "empty_walk_ms");
    // ... and only those: a walk of a populated hash of 16384 elements completes.
    shim.assert_value("full_walk", "16384", "for_each_map_elem over a hash of 16384 elements: every element visited");
    if walk > LOOP_MAX_MS * 10.0 {
        shim.fail(format!("the aborted walk of empty buckets took {walk:.1} ms (limit {} ms)", LOOP_MAX_MS * 10.0));
    }

    shim.assert_value("lru_filled", "1", "LRU hash of 2^19 elements filled by UPDATE_BATCH");
    shim.assert_value("lru_referenced", "1", "every LRU element looked up by programs, then updates of new keys");
    let evict = ms_within(&shim, "lru_evict_ms", LRU_EVICT_MAX_MS, |evict| {
        format!(
            "an update evicting from a full LRU hash of 2^19 referenced elements took {evict:.2} ms at best (limit {LRU_EVICT_MAX_MS} ms)"
        )
    });

    assert_one_grace_period(&shim, "parr", "65536");
    assert_one_grace_period(&shim, "perf", "4096");
    shim.assert_value("rmmod", "0", "rmmod bpfdrv after the run");
    guest::note(format!(
        "budget: printk loop {printk:.1} ms, hash-of-maps lookup loop {hom:.1} ms, big reads stopped after {reads:.1} ms, faulting reads after {faults:.1} ms, \
         empty-bucket walk stopped after {walk:.1} ms, \
         LRU eviction {evict:.2} ms (slowest {}); \
         stock kernel: prog array close {} ms, perf array close {} ms",
        shim.value("lru_evict_max_ms").unwrap_or_default(),
        native.value("parr_close_ms").unwrap_or_default(),
        native.value("perf_close_ms").unwrap_or_default()
    ));
}
