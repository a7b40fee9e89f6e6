//! Program loading features through the whole stack (tests/guest/prog_load/), natively
//! on the stock Debian kernel (the oracle) and under libbpfhook.so + bpfdrv.ko on the
//! no-bpf kernel; every result line must be identical:
//! - bpf_loop (helper 181): a clang-built object whose callbacks are ld_imm64
//!   BPF_PSEUDO_FUNC subprograms, loaded by Debian's libbpf and run with
//!   BPF_PROG_TEST_RUN: the count of calls, early stop, -EINVAL / -E2BIG, nested loops
//!   with a map helper inside the callback, callback_ctx in the caller's stack, NULL ctx;
//! - fd_array: maps named by BPF_PSEUDO_MAP_IDX / MAP_IDX_VALUE, -EPROTO without an
//!   fd_array, -EINVAL / -EBADF for entries that are not maps;
//! - bpf_for_each_map_elem (164) over a hash, an array and a per-CPU array: sums, early
//!   stop, values bumped and elements deleted by the callback, -EINVAL for flags;
//! - .rodata constants: a `const volatile` option (libbpf-tools' `targ_*`) guarding a
//!   CO-RE read libbpf poisons into `call 0xbad2310` loads with the option off (the
//!   verifier reads the frozen .rodata, the call is dead) and fails to load with it on;
//! - BPF_PROG_BIND_MAP (35): the bound map in the program's map ids and held by it,
//!   binding twice, flags and fds of the wrong kind.
//!
//!     cargo test -p bpfcompat-tests --test guest_prog_load

use bpfcompat_tests::guest::{self, BpfSide, Guest, GuestRun, Kernel};
use bpfcompat_tests::require;

fn run(name: &str, kernel: &Kernel) -> GuestRun {
    let (loader, obj) = guest::guest_bpf_program("prog_load", "prog_load").unwrap_or_else(|s| panic!("{}", s.0));
    let BpfSide { setup, prefix, teardown } = kernel.bpf_side();
    let body = format!(
        ". /bpfcompat/lib.sh\n{setup}\n{prefix}/bpfcompat/prog_load/prog_load_test /bpfcompat/prog_load/prog_load.bpf.o >/tmp/out.txt 2>&1; \
         result exit $?\nshow prog_load /tmp/out.txt\n{teardown}\n",
    );
    Guest::new(name, kernel)
        .binary_at(&loader, "/bpfcompat/prog_load/prog_load_test")
        .file(&obj, "/bpfcompat/prog_load/prog_load.bpf.o")
        .serving_bpf()
        .body(&body)
        .boot()
}

fn results(run: &GuestRun) -> Vec<String> {
    run.expect_section("prog_load").lines().filter(|l| l.starts_with("R ")).map(str::to_string).collect()
}

#[test]
fn callbacks_and_fd_array_match_the_stock_kernel() {
    let nobpf = require!(guest::nobpf_kernel());
    let stock = require!(guest::stock_kernel());
    let native = run("prog_load_stock", &stock);
    native.assert_completed();
    native.assert_value("exit", "0", "stock kernel: prog_load_test exit status");
    let want = results(&native);
    // pin the oracle, so a broken loader cannot make both sides agree on nothing
    for line in [
        "R ten err=0 retval=1 ret=10 sum=45 calls=10 hits=0",
        "R stop_at_3 err=0 retval=1 ret=4 sum=6 calls=4 hits=0",
        "R too_many err=0 retval=1 ret=-7 sum=0 calls=0 hits=0",
        "R nested_3x4 err=0 retval=1 ret=3 sum=18 calls=12 hits=12",
        "R fd_array_idx=1234",
        "R fd_array_missing=-71",
        "R bind before=0 first=0 again=0 nr_map_ids=1 same_id=1",
        "R bind_flags=-22",
        "R bind_closed_fd=-9",
        "R bind_keeps_map=1",
        "R each_array_stop_at_2 err=0 retval=1 ret=3 sum=6 calls=3 keys=3 left=10",
        "R each_hash_delete err=0 retval=1 ret=10 sum=2100 calls=10 keys=1045 left=0",
        "R rodata_off err=0 retval=42",
        "R rodata_on err=-22 retval=0",
        "R done=1",
    ] {
        assert!(want.iter().any(|l| l == line), "stock kernel lacks {line:?}:\n{}", want.join("\n"));
    }
    let shim = run("prog_load_nobpf", &nobpf);
    shim.assert_completed();
    shim.assert_value("insmod", "0", "insmod bpfdrv.ko");
    let got = results(&shim);
    if want != got {
        shim.fail(format!("results differ\nstock kernel:\n{}\nunder bpfcompat:\n{}", want.join("\n"), got.join("\n")));
    }
    println!("prog_load: {} result lines identical to the stock kernel", want.len());
    shim.assert_value("exit", "0", "prog_load_test exit status under the hook");
    shim.assert_value("rmmod", "0", "rmmod bpfdrv after the run");
    shim.assert_kernel_clean();
}
