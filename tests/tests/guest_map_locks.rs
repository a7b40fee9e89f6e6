//! A program that fires while the syscall side holds a map's lock (issue 14, item 3).
//!
//! `tests/guest/map_lock_probe.c` attaches a kprobe program on `memcmp` that updates hash
//! map M, then hammers M with update / lookup / get_next_key / delete from one worker per
//! CPU. The hash table compares keys with `memcmp` under its lock, so the program fires on
//! a CPU that already holds the lock it is about to take. Linux skips programs on a CPU
//! while a syscall-side map operation runs there (`bpf_prog_active`); the driver must do
//! the same and count the skipped runs as the program's `recursion_misses`, or the guest
//! locks up (then this test fails by its short timeout). Meanwhile the probe's parent sends
//! datagrams to an abstract AF_UNIX name, whose lookup calls `memcmp` with no map lock
//! held: there the program must still run.
//!
//! No native run: the stock kernel refuses a kprobe event on `memcmp` (EINVAL: `lib/` is
//! built without ftrace, and trace_kprobe refuses notrace functions), and its own hash
//! table calls other functions under its locks. What Linux does here is documented in
//! kernel/bpf/syscall.c (`bpf_disable_instrumentation` around every map command) and
//! kernel/trace/bpf_trace.c (`trace_call_bpf` skips while `bpf_prog_active` is set).
//!
//!     cargo test --release -p bpfcompat-tests --test guest_map_locks

use std::time::Duration;

use bpfcompat_tests::guest::{self, GuestRun, Kernel};
use bpfcompat_tests::{require, require_debug_kernel};

/// Seconds the workers hammer the map.
const HAMMER_SECONDS: u32 = 3;

fn boot(name: &str, kernel: &Kernel) -> GuestRun {
    // A locked-up CPU never lets the guest power off: the timeout is the failure, so it is
    // short (a passing run takes about 20 s).
    let run = guest::probe_guest(name, kernel, "map_lock_probe.c")
        .body(&format!(
            r#". /bpfcompat/lib.sh
# Kprobes stay on int3 (not jump-optimized): their handlers, the program included, run
# as NMI on 6.1, the context where map locks need care (driver/map_lock.h).
echo 0 > /proc/sys/debug/kprobes-optimization 2>/dev/null
insmod $MODULE; result insmod $?
LD_PRELOAD=$HOOK /bpfcompat/map_lock_probe {HAMMER_SECONDS} >/tmp/out.txt 2>/tmp/err.txt; result probe_exit $?
show lock /tmp/out.txt
show stderr /tmp/err.txt
rmmod bpfdrv; result rmmod $?
"#
        ))
        .timeout(Duration::from_secs(120))
        .boot();
    run.assert_completed();
    run.assert_kernel_clean();
    run.assert_value("probe_exit", "0", &format!("{name}: map_lock_probe"));
    run.assert_value("rmmod", "0", &format!("{name}: rmmod bpfdrv (no object leaked)"));
    run
}

fn value(run: &GuestRun, key: &str) -> i64 {
    let out = run.expect_section("lock");
    out.lines().find_map(|l| l.strip_prefix(&format!("R {key}="))).and_then(|v| v.trim().parse().ok()).unwrap_or(-1)
}

/// The workers made progress and the program ran (it fires outside the locked sections too).
fn assert_ran(name: &str, run: &GuestRun) {
    if value(run, "ops") <= 0 {
        run.fail(format!("{name}: the workers did no map operation"));
    }
    if value(run, "sent") <= 0 {
        run.fail(format!("{name}: no datagram was sent: memcmp was not called outside the map commands"));
    }
    if value(run, "hits") <= 0 {
        run.fail(format!("{name}: the memcmp program never ran outside the map commands"));
    }
}

fn run_shim(name: &str, kernel: &Kernel) {
    let run = boot(name, kernel);
    assert_ran(name, &run);
    // Every syscall-side lookup of a present key calls memcmp with the lock held: the
    // program must have been skipped there, and said so.
    if value(&run, "misses") <= 0 {
        run.fail(format!("{name}: no run was counted as missed while the syscall side held the map's lock"));
    }
    guest::note(format!(
        "{name}: {} map ops, {} datagrams, program ran {} times, {} skipped inside syscall-side map ops; guest {:.1}s",
        value(&run, "ops"),
        value(&run, "sent"),
        value(&run, "hits"),
        value(&run, "misses"),
        run.elapsed.as_secs_f64()
    ));
}

#[test]
fn program_inside_syscall_map_lock_is_skipped_not_deadlocked() {
    let kernel = require!(guest::nobpf_kernel());
    run_shim("map_locks", &kernel);
}

#[test]
fn program_inside_syscall_map_lock_is_skipped_not_deadlocked_on_centos7() {
    let kernel = require!(guest::centos7_kernel());
    run_shim("map_locks_centos7", &kernel);
}

/// The same on the debug kernel (opt-in: BPFCOMPAT_DEBUG_KERNEL=1), where lockdep watches
/// the program take the hash map's lock in NMI (kprobe handlers run as NMI on 6.1) after
/// user space took it outside NMI. It reported "inconsistent {INITIAL USE} -> {IN-NMI}
/// usage" in the first minute of a fuzz run until programs in NMI took map locks by
/// spinning on trylock (driver/map_lock.h).
#[test]
fn program_inside_syscall_map_lock_is_clean_under_lockdep() {
    let kernel = require_debug_kernel!("program_inside_syscall_map_lock_is_clean_under_lockdep");
    run_shim("map_locks_debug", &kernel);
}
