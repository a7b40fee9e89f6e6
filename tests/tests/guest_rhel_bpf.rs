//! The one native oracle a 3.10 kernel has: what RHEL 7's eBPF backport itself can run.
//! `tests/guest/rhel_native_probe.c` (raw bpf(2): a hash map and a kprobe program counting
//! getpgid calls per process through kprobe_events + SET_BPF, then the map's user-space
//! commands and errnos) runs twice in one CentOS 7.9 boot: natively on RHEL's bpf(), with
//! no hook, and under the hook + bpfdrv.ko in its default mode. Every line must agree.
//!
//!     cargo test --release -p bpfcompat-tests --test guest_rhel_bpf

use bpfcompat_tests::guest::{self, Guest};
use bpfcompat_tests::require;

/// What both runs must print (5 calls by the probe itself, 3 by its child; a 4-entry hash).
const EXPECTED: &[(&str, &str)] = &[
    ("loaded", "yes"),
    ("attached", "yes"),
    ("self_lookup", "ok"),
    ("self_count", "5"),
    ("child_lookup", "ok"),
    ("child_count", "3"),
    ("keys", "2"),
    ("self_count_after_detach", "5"),
    ("missing_lookup", "ENOENT"),
    ("update_noexist_existing", "EEXIST"),
    ("update_exist_missing", "ENOENT"),
    ("fill_1", "ok"),
    ("fill_2", "ok"),
    ("over_capacity", "E2BIG"),
    ("replace_when_full", "ok"),
    ("keys_full", "4"),
    ("delete", "ok"),
    ("delete_again", "ENOENT"),
    ("keys_after_delete", "3"),
    ("done", "yes"),
];

#[test]
fn rhel7_native_bpf_and_the_driver_agree_on_a_kprobe_and_hash_map() {
    let kernel = require!(guest::centos7_kernel());
    let probe = require!(guest::guest_c_program("rhel_native_probe.c"));
    let run = Guest::new("rhel_bpf_centos7", &kernel)
        .binary_at(&probe, "/bpfcompat/rhel_native_probe")
        .with_hook(guest::hook_library_for(&kernel))
        .with_module(guest::bpfdrv_module(&kernel))
        .body(
            r#". /bpfcompat/lib.sh
/bpfcompat/rhel_native_probe >/tmp/native.out 2>/tmp/native.err; result native_exit $?
insmod $MODULE; result insmod $?
LD_PRELOAD=$HOOK /bpfcompat/rhel_native_probe >/tmp/shim.out 2>/tmp/shim.err; result shim_exit $?
rmmod bpfdrv; result rmmod $?
show native /tmp/native.out
show native-stderr /tmp/native.err
show shim /tmp/shim.out
show shim-stderr /tmp/shim.err
"#,
        )
        .boot();
    run.assert_clean_exit();
    run.assert_value("native_exit", "0", "the probe natively on RHEL's bpf()");
    run.assert_value("insmod", "0", "insmod bpfdrv.ko");
    run.assert_value("shim_exit", "0", "the probe under the hook + bpfdrv.ko");
    run.assert_value("rmmod", "0", "rmmod bpfdrv after the probe exited");
    let lines = |section: &str| -> Vec<String> {
        run.expect_section(section).lines().filter_map(|l| l.strip_prefix("R ")).map(str::to_string).collect()
    };
    let (native, shim) = (lines("native"), lines("shim"));
    let want: Vec<String> = EXPECTED.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if native != want {
        run.fail(format!("RHEL's own bpf() did not give the pinned results:\n  got  {native:?}\n  want {want:?}"));
    }
    if shim != native {
        run.fail(format!("the driver differs from RHEL's native bpf():\n  native {native:?}\n  shim   {shim:?}"));
    }
}
