//! A Go tool built on cilium/ebpf (Debian's golang-github-cilium-ebpf-dev 0.9.1, built
//! offline in GOPATH mode): `tests/go-loader/main.go` loads the object of
//! `tests/rust-loader/src/bpf/probe.bpf.c` (a kprobe and a tracepoint on getppid, a hash
//! map, a ring buffer, `.rodata` set before the load, `.bss` read back) and calls getppid
//! from five OS threads. Go makes its system calls itself, so LD_PRELOAD never sees them:
//! `bpfhook run` traces it (cli/src/launcher/). It runs natively on the stock kernel (the
//! oracle) and through `bpfhook run` on the no-bpf kernel; the outputs must be the same
//! line for line, and the module must unload afterwards.
//!
//! The object is built with -DNO_CORE: cilium/ebpf 0.9.1 predates BTF_KIND_ENUM64, which
//! 6.1's kernel BTF holds, so its CO-RE fails natively too.
//!
//!     cargo test --release -p bpfcompat-tests --test guest_go_loader

use bpfcompat_tests::guest::{self, BpfSide, Guest, GuestRun, Kernel, Skip};
use bpfcompat_tests::require;
use std::path::{Path, PathBuf};
use std::process::Command;

const CILIUM: &str = "/usr/share/gocode/src/github.com/cilium/ebpf";

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(out.status.success(), "{what} failed:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// (go-loader, its BPF object), built into target/guest.
fn build() -> Result<(PathBuf, PathBuf), Skip> {
    guest::need_tool("go", "golang-go")?;
    guest::need_tool("clang", "clang")?;
    if !Path::new(CILIUM).is_dir() {
        return Err(Skip(format!("{CILIUM} is missing (apt-get install golang-github-cilium-ebpf-dev)")));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = guest::work_dir();
    let (bin, obj) = (dir.join("go-loader"), dir.join("go-probe.bpf.o"));
    let multiarch = Command::new("cc").arg("-print-multiarch").output().expect("cc -print-multiarch");
    let include = format!("-I/usr/include/{}", String::from_utf8_lossy(&multiarch.stdout).trim());
    run(
        Command::new("clang")
            .args(["-target", "bpf", "-O2", "-g", "-DNO_CORE", &include, "-c"])
            .arg(root.join("tests/rust-loader/src/bpf/probe.bpf.c"))
            .arg("-o")
            .arg(&obj),
        "clang of probe.bpf.c",
    );
    run(
        Command::new("go")
            .args(["build", "-o"])
            .arg(&bin)
            .arg(root.join("tests/go-loader/main.go"))
            .env("GO111MODULE", "off")
            .env("GOPATH", "/usr/share/gocode")
            .env("GOCACHE", dir.join("gocache"))
            .env("CGO_ENABLED", "0"),
        "go build of go-loader",
    );
    Ok((bin, obj))
}

fn boot(name: &str, kernel: &Kernel, bin: &Path, obj: &Path) -> GuestRun {
    let BpfSide { setup, teardown, .. } = kernel.bpf_side();
    let prefix = if kernel.native_bpf { "" } else { "bpfhook run -- " };
    let body = format!(
        r#". /bpfcompat/lib.sh
{setup}
sym=__x64_sys_getppid; grep -q " $sym$" /proc/kallsyms || sym=sys_getppid
{prefix}/bpfcompat/go-loader /bpfcompat/probe.bpf.o $sym >/tmp/out.txt 2>/tmp/err.txt; result exit $?
show output /tmp/out.txt
show stderr /tmp/err.txt
{teardown}
"#
    );
    // Several threads call the function a kprobe is being armed on: with a TCG thread per
    // vCPU, QEMU 7.2 kept the stock kernel's vCPUs in the patched text (soft lockups on
    // both CPUs, 2 of 20 native runs), as guest_fuzz saw with tracefs kprobes alone.
    let mut g = Guest::new(name, kernel)
        .binary_at(bin, "/bpfcompat/go-loader")
        .file(obj, "/bpfcompat/probe.bpf.o")
        .serving_bpf()
        .single_tcg_thread();
    if !kernel.native_bpf {
        g = g.binary_at(guest::bpfhook_cli_for(kernel), "/usr/bin/bpfhook");
    }
    let run = g.body(&body).boot();
    run.assert_completed();
    run.assert_value("exit", "0", &format!("{name}: go-loader exit status"));
    run.assert_module_cycle(kernel);
    run.assert_kernel_clean();
    run
}

#[test]
fn cilium_ebpf_tool_matches_native_ebpf() {
    let (bin, obj) = require!(build());
    let native = boot("go_loader_stock", &require!(guest::stock_kernel()), &bin, &obj);
    let shim = boot("go_loader_shim", &require!(guest::nobpf_kernel()), &bin, &obj);
    let want = native.oracle_lines("output", guest::GETPPID_PROBE_FACTS);
    shim.assert_same_lines("output", &want, "go-loader under bpfhook run");
}
