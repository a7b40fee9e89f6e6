//! Native code in the module (bpfdrv.ko `jit=1`) on real kernels.
//!
//! `tests/guest/jit_probe.c` loads raw tracepoint programs and runs them with
//! BPF_PROG_TEST_RUN: a loop with arithmetic, a hash map counter (update, lookup, atomic
//! add), a bpf_get_stackid whose stack walk passes through the program's frame. Their
//! results must be the stock 6.1 kernel's (native eBPF, its JIT on), and the kernel
//! must report native code for each (jited_prog_len), under the hook with the module
//! loaded with jit=1 on the no-bpf 6.1 kernel and on CentOS 7.9's. Then what Linux's
//! verifier refuses at load and the module must stop at run time, in native code as in
//! the interpreter: a loop of 7 << 40 turns (ended by the budget and the run's time limit)
//! and a store past the frame (a bounds check the code makes), each reported in the
//! kernel log; the kernel log stays clean. Last, more programs than the module's arena
//! holds: those that do not fit run interpreted with the same results, and closing them
//! frees the arena for the next one.
//!
//!     cargo test --release -p bpfcompat-tests --test guest_jit

use std::path::Path;
use std::time::Duration;

use bpfcompat_tests::guest::{self, GuestRun, Kernel};
use bpfcompat_tests::require;

/// What must be the stock kernel's, and what the stock kernel must say of each.
const AS_STOCK: &[&str] = &[
    "load_counter",
    "jited_counter",
    "counter",
    "counter_again",
    "counter_value",
    "load_stackid",
    "jited_stackid",
    "stackid",
    "load_alu",
    "jited_alu",
    "alu",
    "arena_results",
    "arena_native",
    "arena_after_close",
];

fn boot(name: &str, kernel: &Kernel, bin: &Path) -> GuestRun {
    let side = kernel.bpf_side();
    // under the hook: programs loaded from now on are compiled (natively: no module)
    let before = "[ -w /sys/module/bpfdrv/parameters/jit ] && echo 1 > /sys/module/bpfdrv/parameters/jit";
    let after = r#"grep '^R ' /tmp/out.txt | sed 's/^R /BPFCOMPAT-RESULT /'
dmesg | grep -c "program 'runaway' aborted at insn [0-9]*: error -7" | sed 's/^/BPFCOMPAT-RESULT runaway_aborted=/'
dmesg | grep -c "program 'stack' aborted at insn 4: error -14" | sed 's/^/BPFCOMPAT-RESULT stack_aborted=/'"#;
    let body = side.probe_body("jit_probe", before, "probe", after);
    let run = guest::boot_probe(name, kernel, bin, "jit_probe", &body, Duration::from_secs(300), &format!("{name}: jit_probe"));
    run.assert_value("done", "1", &format!("{name}: jit_probe ran to the end"));
    run
}

/// Under the hook: the same results as natively, native code for each, and the two
/// programs Linux refuses stopped by the module.
fn assert_native_code_as_stock(shim: &GuestRun, native: &GuestRun) {
    native.assert_value("alu", &(5050 + 35).to_string(), "the stock kernel's loop");
    native.assert_value("counter", "12", "the stock kernel's counter");
    for p in ["counter", "stackid", "alu"] {
        native.assert_value(&format!("jited_{p}"), "1", "the stock kernel's JIT");
    }
    shim.assert_values_as_stock(native, AS_STOCK, "native code's results differ from the stock kernel's");
    for (key, want, what) in [
        ("load_runaway", "E2BIG", "Linux cannot see the loop end (too large)"),
        ("load_stack", "EINVAL", "Linux refuses the variable store"),
    ] {
        native.assert_value(key, want, what);
        shim.assert_value(key, "ok", "the module loads it and stops it when it runs");
    }
    shim.assert_value("jited_runaway", "1", "a loop whose end comes after the budget is compiled (the budget ends it)");
    shim.assert_value("run_runaway", "0", "the runaway loop's run ends");
    shim.assert_value("runaway_aborted", "1", "the kernel log reports the runaway loop's end (-E2BIG)");
    shim.assert_value("jited_stack", "1", "a store at an offset known at run time is compiled with its check");
    shim.assert_value("run_stack_in", "3", "a store inside the frame");
    shim.assert_value("run_stack_out", "0", "a store past the frame ends the run");
    shim.assert_value("stack_aborted", "1", "the kernel log reports the store past the frame (-EFAULT at insn 4)");
    native.assert_value("arena_results", "1", "the stock kernel's results of the 4096-insn programs");
    native.assert_value("arena_after_close", "1", "the stock kernel's JIT after closing them");
    if shim.value("arena_interpreted").is_none_or(|n| n == "0") {
        shim.fail(format!("more native code than the arena holds, yet no program was interpreted: {:?}", shim.value("arena_interpreted")));
    }
}

#[test]
fn native_code_matches_the_stock_kernel_and_stops_what_linux_refuses() {
    let nobpf = require!(guest::nobpf_kernel());
    let bin = guest::guest_c_program("jit_probe.c").unwrap_or_else(|s| panic!("jit_probe: {}", s.0));
    let Some(native) = guest::boot_on_stock_kernel("guest_jit", || Ok(bin.clone()), |k, b| boot("jit_stock", k, b)) else {
        return;
    };
    let shim = boot("jit_nobpf", &nobpf, &bin);
    assert_native_code_as_stock(&shim, &native);
    let centos7 = require!(guest::centos7_kernel());
    let centos7_run = boot("jit_centos7", &centos7, &bin);
    assert_native_code_as_stock(&centos7_run, &native);
}
