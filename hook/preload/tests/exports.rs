//! libbpfhook.so exports exactly the functions it interposes: anything more could
//! shadow a symbol of the program it is preloaded into.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

const INTERPOSED: &[&str] = &[
    // bpf(2) and perf_event_open(2) reach the kernel through syscall().
    "syscall",
    // Kernel BTF lookups (/sys/kernel/btf/vmlinux).
    "access",
    "eaccess",
    "euidaccess",
    "faccessat",
    "open",
    "open64",
    "openat",
    "openat64",
    "__open_2",
    "__open64_2",
    "__openat_2",
    "__openat64_2",
    "fopen",
    "fopen64",
    "stat",
    "stat64",
    "lstat",
    "lstat64",
    "fstatat",
    "fstatat64",
    "statx",
    // Pins without bpffs: /sys/fs/bpf looks like bpffs, unlink unpins.
    "statfs",
    "statfs64",
    "unlink",
    "unlinkat",
];

#[test]
fn exports_only_the_interposed_functions() {
    let lib = common::hook_lib();
    let out = Command::new("nm").args(["-D", "--defined-only"]).arg(&lib).output().expect("nm (binutils) runs");
    assert!(out.status.success(), "nm failed: {}", common::text(&out.stderr));
    let exported: BTreeSet<String> =
        common::text(&out.stdout).lines().filter_map(|l| l.split_whitespace().last().map(str::to_owned)).collect();
    let expected: BTreeSet<String> = INTERPOSED.iter().map(|s| s.to_string()).collect();
    assert_eq!(exported, expected, "exports of {}", lib.display());
}
