//! Reference counts of maps and programs refuse a reference past their limit instead of
//! wrapping (issue 14, item 9).
//!
//! The limit (INT_MAX / 2 by default) is out of reach of a test guest, so bpfdrv.ko is
//! loaded with `max_refs=64`. `tests/guest/refcount_probe.c` then fills a prog array with
//! one program and an array of maps with one inner map: each slot holds a reference, so
//! exactly 63 program slots fit next to the program's fd, and the next update fails with
//! EBUSY, as Linux's bpf_prog_add did against BPF_MAX_REFCNT. At the limit the program
//! cannot be reached by id or asked for its info; after a delete the slot can be filled
//! again; closing everything leaves nothing alive (rmmod succeeds, the kernel log is clean).
//! The count itself is `driver/compat/refcount.h`'s, tested at its real limit on the host
//! (`refcount_compat`). No native run: Linux 6.1 counts in 64 bits and has no such limit.
//!
//!     cargo test --release -p bpfcompat-tests --test guest_refcount

use std::time::Duration;

use bpfcompat_tests::guest::{self, GuestRun, Kernel};
use bpfcompat_tests::require;

const MAX_REFS: u32 = 64;

fn run(name: &str, kernel: &Kernel) -> GuestRun {
    let run = guest::probe_guest(name, kernel, "refcount_probe.c")
        .body(&format!(
            r#". /bpfcompat/lib.sh
insmod $MODULE max_refs=1 2>/dev/null; result insmod_too_low $?
insmod $MODULE max_refs={MAX_REFS}; result insmod $?
LD_PRELOAD=$HOOK /bpfcompat/refcount_probe {MAX_REFS} >/tmp/out.txt 2>/tmp/err.txt; result probe_exit $?
show refs /tmp/out.txt
show stderr /tmp/err.txt
rmmod bpfdrv; result rmmod $?
"#
        ))
        .timeout(Duration::from_secs(180))
        .boot();
    run.assert_completed();
    run.assert_kernel_clean();
    if run.value("insmod_too_low").as_deref() == Some("0") {
        run.fail("insmod accepted max_refs=1 (a program could not even hold its own fd)");
    }
    run.assert_value("insmod", "0", "insmod bpfdrv.ko max_refs=64");
    run.assert_value("probe_exit", "0", "refcount_probe");
    run.assert_value("rmmod", "0", "rmmod bpfdrv after closing everything: no reference leaked");
    run
}

fn assert_limits(run: &GuestRun) {
    let out = run.expect_section("refs");
    let value = |k: &str| out.lines().find_map(|l| l.strip_prefix(&format!("R {k}="))).unwrap_or("missing").trim().to_string();
    let expect = |k: &str, want: &str, what: &str| {
        if value(k) != want {
            run.fail(format!("{what}: {k} = {}, expected {want}", value(k)));
        }
    };
    expect("prog_slots", &(MAX_REFS - 1).to_string(), "prog array slots next to the program's own fd");
    expect("prog_err", "EBUSY", "the prog array update past the limit");
    // The object exists: EBUSY, as Linux's bpf_prog_inc_not_zero at its old 32768-reference
    // limit, not the ENOENT of an object being freed.
    expect("by_id_at_limit", "EBUSY", "PROG_GET_FD_BY_ID of a program at the limit");
    expect("info_at_limit", "EBUSY", "OBJ_GET_INFO_BY_FD of a program at the limit");
    expect("refill", "ok", "a slot freed at the limit is usable again");
    let map_slots: u32 = value("map_slots").parse().unwrap_or(0);
    if map_slots == 0 || map_slots >= MAX_REFS {
        run.fail(format!("array of maps: {map_slots} slots referenced one inner map with max_refs={MAX_REFS}"));
    }
    expect("map_err", "EBUSY", "the array of maps update past the limit");
    guest::note(format!("{}: {} prog array slots, {map_slots} map slots at max_refs={MAX_REFS}", run.name, value("prog_slots")));
}

#[test]
fn references_past_the_limit_are_refused_not_wrapped() {
    let kernel = require!(guest::nobpf_kernel());
    require!(guest::need_tool("gcc", "gcc"));
    assert_limits(&run("refcount", &kernel));
}

#[test]
fn references_past_the_limit_are_refused_not_wrapped_on_centos7() {
    let kernel = require!(guest::centos7_kernel());
    require!(guest::need_tool("gcc", "gcc"));
    assert_limits(&run("refcount_centos7", &kernel));
}
