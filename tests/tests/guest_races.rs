//! Object lifetime races a root process can provoke (issue 14, section 0).
//!
//! `tests/guest/create_race_probe.c`: a creator process with one free descriptor loops
//! BPF_MAP_CREATE (then BPF_PROG_LOAD) into EMFILE and closes its fresh fds at once, while a
//! walker does what `bpftool map|prog list` does — GET_NEXT_ID, GET_FD_BY_ID,
//! OBJ_GET_INFO_BY_FD, mmap of the map — on whatever it finds. Linux survives it: the
//! creator drops a reference instead of freeing, a lookup takes one only while the count
//! is not zero. The guest boots with `slub_debug=FZPU`, so a use after free is reported
//! by the allocator even when it does not fault; every info record the walker reads must
//! be the object the creator asked for, and the walker must have held at least one object
//! whose fd installation was failing (else the race was not exercised).
//!
//!     cargo test --release -p bpfcompat-tests --test guest_races

use std::time::Duration;

use bpfcompat_tests::guest::{self, Guest, GuestRun, Kernel};
use bpfcompat_tests::require;

/// What SLUB's debug checks print besides the Call Trace the harness already refuses.
const SLUB_REPORTS: &[&str] =
    &["Object already free", "Poison overwritten", "Redzone overwritten", "Freepointer corrupt", "Padding overwritten", "vfree()"];

fn run_races(name: &str, kernel: &Kernel, seconds: u32) -> GuestRun {
    let probe = require_ok(guest::guest_c_program("create_race_probe.c"));
    let run = Guest::new(name, kernel)
        .binary_at(&probe, "/bpfcompat/create_race_probe")
        .with_hook(guest::hook_library_for(kernel))
        .with_module(guest::bpfdrv_module(kernel))
        .kernel_arg("slub_debug=FZPU")
        .body(&format!(
            r#". /bpfcompat/lib.sh
insmod $MODULE; result insmod $?
LD_PRELOAD=$HOOK /bpfcompat/create_race_probe {seconds} >/tmp/race.out 2>/tmp/race.err; result probe_exit $?
show race /tmp/race.out
show race-stderr /tmp/race.err
rmmod bpfdrv; result rmmod $?
"#
        ))
        .timeout(Duration::from_secs(180))
        .boot();
    run.assert_completed();
    run.assert_not_reported(SLUB_REPORTS, |p| format!("SLUB reports {p:?}: an object was used or freed after it was freed"));
    run.assert_kernel_clean();
    run.assert_value("insmod", "0", "insmod bpfdrv.ko");
    let out = run.expect_section("race");
    let value =
        |k: &str| -> i64 { out.lines().find_map(|l| l.strip_prefix(&format!("R {k}="))).and_then(|v| v.trim().parse().ok()).unwrap_or(-1) };
    run.assert_value("probe_exit", "0", "the create/lookup race probe");
    for kind in ["map", "prog"] {
        if value(&format!("{kind}_emfile")) <= 0 {
            run.fail(format!("the {kind} creator never hit EMFILE: the race was not exercised"));
        }
        if value(&format!("{kind}_created")) <= 0 || value(&format!("{kind}_create_errors")) != 0 {
            run.fail(format!("the {kind} creator's results are off (successes, errors other than EMFILE)"));
        }
        if value(&format!("{kind}_walks")) <= 0 {
            run.fail(format!("the {kind} walker never ran"));
        }
        if value(&format!("{kind}_bad_info")) != 0 {
            run.fail(format!("OBJ_GET_INFO_BY_FD on a {kind} fd from GET_FD_BY_ID gave another object's (or freed) data"));
        }
    }
    run.assert_value("rmmod", "0", "rmmod bpfdrv after the races: no object leaked");
    let held = value("map_held_failing") + value("prog_held_failing");
    if held <= 0 {
        run.fail("the walker never got an fd for an object whose creation was failing: the race was not exercised");
    }
    guest::note(format!(
        "{name}: maps {} created / {} EMFILE, {} fds by id ({} of failing creates) in {} walks; \
         programs {} / {}, {} by id ({}) in {} walks; guest {:.1}s",
        value("map_created"),
        value("map_emfile"),
        value("map_by_id"),
        value("map_held_failing"),
        value("map_walks"),
        value("prog_created"),
        value("prog_emfile"),
        value("prog_by_id"),
        value("prog_held_failing"),
        value("prog_walks"),
        run.elapsed.as_secs_f64()
    ));
    run
}

fn require_ok<T>(r: Result<T, guest::Skip>) -> T {
    r.unwrap_or_else(|s| panic!("race test prerequisites: {}", s.0))
}

#[test]
fn create_failing_with_emfile_while_bpftool_lists_is_safe() {
    let kernel = require!(guest::nobpf_kernel());
    require!(guest::need_tool("gcc", "gcc"));
    run_races("races", &kernel, 4);
}

#[test]
fn create_failing_with_emfile_while_bpftool_lists_is_safe_on_centos7() {
    let kernel = require!(guest::centos7_kernel());
    require!(guest::need_tool("gcc", "gcc"));
    run_races("races_centos7", &kernel, 3);
}
