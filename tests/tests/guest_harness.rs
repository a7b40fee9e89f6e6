//! The guest harness itself: a body's exit status, a kernel bug in dmesg and a hung guest
//! must each turn into a clear failure carrying the serial log.
//!
//!     cargo test -p bpfcompat-tests --test guest_harness

use bpfcompat_tests::guest::{self, Guest};
use bpfcompat_tests::require;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

fn panic_text(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("the assertion should have failed");
    err.downcast_ref::<String>().cloned().unwrap_or_default()
}

#[test]
fn the_body_exit_status_and_results_reach_the_host() {
    let kernel = require!(guest::nobpf_kernel());
    let run = Guest::new("harness_status", &kernel)
        .body(". /bpfcompat/lib.sh\nresult greeting hello\necho text > /tmp/f\nshow the-file /tmp/f\nexit 3\n")
        .boot();
    run.assert_completed();
    run.assert_kernel_clean();
    assert_eq!(run.body_status, Some(3));
    assert_eq!(run.value("greeting").as_deref(), Some("hello"));
    assert_eq!(run.section("the-file").as_deref(), Some("text\n"));
    let msg = panic_text(|| run.assert_clean_exit());
    assert!(msg.contains("exited with status Some(3)") && msg.contains("serial log of guest"), "{msg}");
}

#[test]
fn a_kernel_bug_in_dmesg_fails_the_run() {
    let kernel = require!(guest::nobpf_kernel());
    let run = Guest::new("harness_dmesg", &kernel).body("echo 'BUG: injected by the harness self-test' > /dev/kmsg\n").boot();
    run.assert_completed();
    assert_eq!(run.body_status, Some(0));
    run.assert_contains("BPFCOMPAT-GUEST-DMESG-PROBLEM");
    let msg = panic_text(|| run.assert_kernel_clean());
    assert!(msg.contains("injected by the harness self-test"), "the failure shows the kernel log: {msg}");
}

#[test]
fn a_hung_guest_is_killed_and_reported() {
    let kernel = require!(guest::nobpf_kernel());
    let run = Guest::new("harness_hang", &kernel).body("echo about-to-hang\nsleep 100000\n").timeout(Duration::from_secs(15)).boot();
    assert!(run.timed_out, "{}", run.log);
    assert_eq!(run.body_status, None);
    assert!(run.elapsed < Duration::from_secs(40), "killed in time: {:?}", run.elapsed);
    let msg = panic_text(|| run.assert_completed());
    assert!(msg.contains("timed out") && msg.contains("about-to-hang"), "{msg}");
}
