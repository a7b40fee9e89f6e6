//! Capabilities are checked at every command, with the caller's credentials at the time
//! of the call — not only the device's file mode when the hook opened it (issue 14,
//! section 0: a root process that dropped to uid 65534 kept its /dev/bpfdrv fd and could
//! still create maps, load kprobe programs calling bpf_probe_read_kernel and attach them).
//!
//! `tests/guest/caps_drop_probe.c` creates a map and a kprobe program as root, then a
//! child drops to uid/gid 65534 with every capability gone and tries MAP_CREATE,
//! PROG_LOAD, BTF_LOAD, *_GET_FD_BY_ID, *_GET_NEXT_ID and attaching kprobes and a
//! tracepoint; two more children keep CAP_BPF, then CAP_BPF + CAP_PERFMON (the 5.8
//! split: tracing programs and events need CAP_PERFMON, lookups by id CAP_SYS_ADMIN).
//! Natively on the stock 6.1 kernel (the oracle) Linux answers each with its errno; the hook + bpfdrv.ko on the no-bpf 6.1 kernel must print the same lines, and
//! on CentOS 7.9 (no CAP_BPF / CAP_PERFMON: CAP_SYS_ADMIN alone; the hook provides the
//! kprobe PMU) the same root and nobody lines. Both run with perf_event_paranoid at
//! Linux's default, 2.
//!
//!     cargo test --release -p bpfcompat-tests --test guest_caps

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use bpfcompat_tests::guest::{self, GuestRun, Kernel};
use bpfcompat_tests::require;

fn boot(name: &str, kernel: &Kernel, bin: &Path) -> GuestRun {
    // Linux's default perf_event_paranoid (2), not Debian's 3, under which the stock
    // kernel wants CAP_SYS_ADMIN for any perf_event_open: the driver implements mainline's
    // rule (perfmon_capable() for kprobe / uprobe PMU, CPU-wide and tracepoint events).
    let body = kernel.bpf_side().probe_body("caps_drop_probe", "echo 2 > /proc/sys/kernel/perf_event_paranoid", "caps", "");
    let exit = format!("{name}: caps_drop_probe exit status");
    guest::boot_probe(name, kernel, bin, "caps_drop_probe", &body, Duration::from_secs(240), &exit)
}

/// The probe's lines natively on the stock kernel, shared by both comparisons.
fn native_lines() -> Option<&'static Vec<String>> {
    static N: OnceLock<Option<Vec<String>>> = OnceLock::new();
    N.get_or_init(|| {
        let bin = || guest::guest_c_program("caps_drop_probe.c");
        let native = guest::boot_on_stock_kernel("guest_caps", bin, |stock, bin| boot("caps_native", stock, bin))?;
        let l = native.section_lines("caps", "C ");
        // The oracle itself: root may do everything, nobody nothing, and every child ran.
        for l in &l {
            let refused = l.ends_with(" EPERM") || l.ends_with(" EACCES");
            if (l.starts_with("C root ") && !l.ends_with(" ok")) || (l.starts_with("C nobody ") && l.ends_with(" ok")) {
                native.fail(format!("stock kernel: unexpected line {l:?}"));
            }
            if l.starts_with("C nobody ") && !refused && !l.contains(" uid ") && !l.contains(" exit ") {
                native.fail(format!("stock kernel: unexpected refusal {l:?}"));
            }
        }
        // The pointer-leak rule (allow_ptr_leaks = CAP_PERFMON): the oracle must show both sides.
        for want in ["C root ptr_store ok", "C cap_bpf ptr_store refused", "C cap_bpf_perfmon ptr_store ok"] {
            if !l.iter().any(|l| l == want) {
                native.fail(format!("stock kernel: expected {want:?}"));
            }
        }
        for who in ["nobody", "cap_bpf", "cap_bpf_perfmon"] {
            if !l.iter().any(|l| *l == format!("C {who} exit 0")) {
                native.fail(format!("stock kernel: the {who} child did not finish"));
            }
        }
        Some(l)
    })
    .as_ref()
}

/// The probe's lines under the hook on `kernel` are the stock kernel's; where the kernel
/// has no CAP_BPF (3.10), only root's and nobody's, and the split children are skipped.
fn assert_matches_native(name: &str, kernel: &Kernel, has_cap_bpf: bool) {
    let bin = require!(guest::guest_c_program("caps_drop_probe.c"));
    let Some(native) = native_lines() else { return };
    let shim = boot(name, kernel, &bin);
    let mut got = shim.section_lines("caps", "C ");
    let mut want = native.clone();
    if !has_cap_bpf {
        let split = |l: &String| l.starts_with("C cap_bpf");
        for who in ["cap_bpf", "cap_bpf_perfmon"] {
            let skipped = format!("C {who} skipped: the kernel has no CAP_BPF");
            if !got.contains(&skipped) {
                shim.fail(format!("{name}: expected {skipped:?}"));
            }
        }
        got.retain(|l| !split(l));
        want.retain(|l| !split(l));
    }
    shim.assert_lines_as_stock(&want, &got, &format!("{name}: a process that dropped root is not refused as Linux refuses it"));
    println!("{name}: {} lines identical to the stock kernel's", got.len());
}

#[test]
fn dropped_root_is_refused_as_linux_refuses_it() {
    let kernel = require!(guest::nobpf_kernel());
    assert_matches_native("caps_nobpf", &kernel, true);
}

#[test]
fn dropped_root_is_refused_as_linux_refuses_it_on_centos7() {
    let kernel = require!(guest::centos7_kernel());
    assert_matches_native("caps_centos7", &kernel, false);
}
