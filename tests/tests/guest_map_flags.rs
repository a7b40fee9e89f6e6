//! Read-only / write-only maps, zero-sized attrs and bad pointers, answered as Linux
//! answers them (issue 14, item 8 and section 0).
//!
//! `tests/guest/map_flags_probe.c` tries, with the errno of each call printed:
//! - fd modes: BPF_F_RDONLY / BPF_F_WRONLY at MAP_CREATE, OBJ_GET (`file_flags`) and
//!   MAP_GET_FD_BY_ID (`open_flags`): lookup / get_next_key / update / delete / batches
//!   through each kind of fd (EPERM where the mode forbids), the mode being the fd's (a
//!   read-write fd by id on a map created read-only writes), bad combinations (EINVAL),
//!   MAP_FREEZE making every fd read-only, a pinned program ignoring the mode;
//! - programs: PROG_LOAD of stores, atomics, update / delete helpers and writing helpers
//!   on a BPF_F_RDONLY_PROG map's values, loads and reading helpers on a
//!   BPF_F_WRONLY_PROG map's values (EACCES at load, as the verifier refuses them);
//! - commands with a zeroed attr of size 0 and 4 (PROG_LOAD: E2BIG);
//! - bad pointers through the hook: an attr at address 1 or running into an unmapped
//!   page, bad insns / license / log_buf / key / value pointers, perf_event_open of a
//!   bad attr: EFAULT, and the process goes on (valid calls after them succeed).
//!
//! Natively on the stock 6.1 kernel (the oracle) and under the hook + bpfdrv.ko on the
//! no-bpf 6.1 kernel and on CentOS 7.9, the probe must print the same lines.
//!
//!     cargo test --release -p bpfcompat-tests --test guest_map_flags

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use bpfcompat_tests::guest::{self, GuestRun, Kernel};
use bpfcompat_tests::require;

fn boot(name: &str, kernel: &Kernel, bin: &Path) -> GuestRun {
    // Natively, pins need the kernel's bpffs; under the hook, bpfdrv keeps them.
    let bpffs = if kernel.native_bpf { "mount -t bpf bpf /sys/fs/bpf" } else { "" };
    let body = kernel.bpf_side().probe_body("map_flags_probe", bpffs, "flags", "");
    let exit = format!("{name}: map_flags_probe exit status (a crash is not EFAULT)");
    guest::boot_probe(name, kernel, bin, "map_flags_probe", &body, Duration::from_secs(180), &exit)
}

/// The probe's lines natively on the stock kernel, shared by both comparisons.
fn native_lines() -> Option<&'static Vec<String>> {
    static N: OnceLock<Option<Vec<String>>> = OnceLock::new();
    N.get_or_init(|| {
        let bin = || guest::guest_c_program("map_flags_probe.c");
        let native = guest::boot_on_stock_kernel("guest_map_flags", bin, |stock, bin| boot("map_flags_native", stock, bin))?;
        let l = native.section_lines("flags", "F ");
        // The oracle itself ran to the end, refused what the flags forbid and survived.
        for must in ["F rdonly update EPERM", "F wronly lookup EPERM", "F prog rdonly_prog lookup+store EACCES", "F done"] {
            if !l.iter().any(|l| l == must) {
                native.fail(format!("stock kernel: expected {must:?}"));
            }
        }
        Some(l)
    })
    .as_ref()
}

/// The probe's lines under the hook on `kernel` are the stock kernel's.
fn assert_matches_native(name: &str, kernel: &Kernel) {
    let bin = require!(guest::guest_c_program("map_flags_probe.c"));
    let Some(want) = native_lines() else { return };
    let shim = boot(name, kernel, &bin);
    let got = shim.section_lines("flags", "F ");
    shim.assert_lines_as_stock(want, &got, &format!("{name}: map flags / attr sizes / bad pointers differ from the stock kernel"));
    println!("{name}: {} lines identical to the stock kernel's", got.len());
}

#[test]
fn map_flags_and_bad_attrs_answer_as_linux() {
    let kernel = require!(guest::nobpf_kernel());
    assert_matches_native("map_flags_nobpf", &kernel);
}

#[test]
fn map_flags_and_bad_attrs_answer_as_linux_on_centos7() {
    let kernel = require!(guest::centos7_kernel());
    assert_matches_native("map_flags_centos7", &kernel);
}
