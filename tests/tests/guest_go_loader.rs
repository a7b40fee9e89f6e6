//! A Go tool built on cilium/ebpf (Debian's golang-github-cilium-ebpf-dev 0.9.1, built
//! offline in GOPATH mode): `tests/go-loader/main.go` loads the object of
//! `tests/rust-loader/src/bpf/probe.bpf.c` (a kprobe and a tracepoint on getppid, a hash
//! map, a ring buffer, `.rodata` set before the load, `.bss` read back) and calls getppid
//! from seven OS threads, then runs until SIGINT as an agent does. Go makes its system
//! calls itself, so LD_PRELOAD never sees them: `bpfhook run` traces it
//! (cli/src/launcher/). It runs natively on the stock kernel (the oracle) and through
//! `bpfhook run` on no-bpf 6.1 and CentOS 7.9; the outputs must be the same line for
//! line; SIGINT (sent to `bpfhook run`, which passes it on) must end the tool with
//! status 0 after it detached, leave no process behind, and the module must unload
//! afterwards.
//!
//! The object is built with -DNO_CORE: cilium/ebpf 0.9.1 predates BTF_KIND_ENUM64, which
//! 6.1's kernel BTF holds, so its CO-RE fails natively too.
//!
//!     cargo test --release -p bpfcompat-tests --test guest_go_loader

use bpfcompat_tests::guest::{self, BpfSide, Guest, GuestRun, Kernel, Skip};
use bpfcompat_tests::require;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const CILIUM: &str = "/usr/share/gocode/src/github.com/cilium/ebpf";

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(out.status.success(), "{what} failed:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// (go-loader, its BPF object), built into target/guest once per test process (the tests
/// run in parallel and copy the files into their initramfs).
fn build() -> Result<(PathBuf, PathBuf), Skip> {
    static BUILT: OnceLock<Result<(PathBuf, PathBuf), Skip>> = OnceLock::new();
    BUILT.get_or_init(build_uncached).clone()
}

fn build_uncached() -> Result<(PathBuf, PathBuf), Skip> {
    guest::need_tool("go", "golang-go")?;
    if !Path::new(CILIUM).is_dir() {
        return Err(Skip(format!("{CILIUM} is missing (apt-get install golang-github-cilium-ebpf-dev)")));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = guest::work_dir();
    let bin = dir.join("go-loader");
    let obj = guest::getppid_probe_object(false)?;
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
# As an agent is run and stopped: in the background until Ctrl-C (SIGINT to the pid the
# shell started, bpfhook run under the launcher, which passes it on).
{prefix}/bpfcompat/go-loader /bpfcompat/probe.bpf.o $sym sigint >/tmp/out.txt 2>/tmp/err.txt &
pid=$!
wait_for /tmp/out.txt '^done$' 300 $pid || echo "go-loader never printed done"
stop $pid 60; result exit $exit_status
# Neither the tool (a thread, a zombie) nor the launcher may outlive the wait.
left=0
for s in /proc/[0-9]*/stat; do
    case "$(cat $s 2>/dev/null)" in *"(go-loader)"*|*"(bpfhook)"*) left=$((left + 1)) ;; esac
done
result left_behind $left
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
    run.assert_value("exit", "0", &format!("{name}: go-loader's exit status after SIGINT"));
    run.assert_value("left_behind", "0", &format!("{name}: go-loader or bpfhook processes after the wait"));
    run.assert_module_cycle(kernel);
    run.assert_kernel_clean();
    run
}

/// go-loader natively on the stock kernel, booted once for every comparison.
fn native_lines(bin: &Path, obj: &Path) -> &'static [String] {
    static NATIVE: OnceLock<Vec<String>> = OnceLock::new();
    NATIVE.get_or_init(|| {
        let stock = guest::stock_kernel().unwrap_or_else(|s| panic!("the oracle needs the stock kernel: {}", s.0));
        let facts = [guest::GETPPID_PROBE_FACTS, &["SIGINT: detached, exiting"]].concat();
        boot("go_loader_stock", &stock, bin, obj).oracle_lines("output", &facts)
    })
}

fn assert_matches_native(name: &str, nobpf: &Kernel) {
    let (bin, obj) = build().unwrap_or_else(|s| panic!("{}", s.0));
    let want = native_lines(&bin, &obj);
    let shim = boot(name, nobpf, &bin, &obj);
    shim.assert_same_lines("output", want, &format!("go-loader under bpfhook run on {name}"));
}

#[test]
fn cilium_ebpf_tool_matches_native_ebpf() {
    require!(build());
    require!(guest::stock_kernel());
    assert_matches_native("go_loader_shim", &require!(guest::nobpf_kernel()));
}

#[test]
fn cilium_ebpf_tool_on_centos7_matches_native_ebpf() {
    require!(build());
    require!(guest::stock_kernel());
    assert_matches_native("go_loader_centos7", &require!(guest::centos7_kernel()));
}
