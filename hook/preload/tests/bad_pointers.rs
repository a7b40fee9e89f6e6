//! Bad pointers and sizes from the caller: bpf(), perf_event_open() and the path
//! functions the hook interposes answer as this host's kernel does (EFAULT, E2BIG),
//! never with a SIGSEGV inside the hook. Each case runs natively, then under the hook.
//!
//! On this host the driver is absent, so in driver mode bpf() answers ENOSYS, as a
//! kernel without bpf(2) does before it reads the attr, and perf_event_open goes to the
//! kernel (the hook routes perf events only once the driver is open). The hook's reads
//! with the driver present (the PROG_LOAD attr, the perf attr) are covered by
//! src/user_mem.rs's unit tests on guard pages.

mod common;

use common::{clean, hooked, run_with_limit, text, PYTHON};
use std::collections::BTreeMap;
use std::time::Duration;

/// Prints `name ret errno` per case. Bad memory: address 1, and a page followed by a
/// PROT_NONE page (`end(n)`: n bytes before it).
const CASES: &str = r#"
import ctypes, mmap, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
m = mmap.mmap(-1, 2 * mmap.PAGESIZE)
base = ctypes.addressof(ctypes.c_char.from_buffer(m))
P = mmap.PAGESIZE
assert libc.mprotect(ctypes.c_void_p(base + P), P, 0) == 0
def end(n): return base + P - n
def put(addr, data): ctypes.memmove(addr, data, len(data))
def case(name, f):
    ctypes.set_errno(0)
    r = f()
    print(name, r, ctypes.get_errno() if r == -1 else 0, flush=True)
SYS_bpf, SYS_perf = 321, 298
V = ctypes.c_void_p
bpf = lambda cmd, attr, size: libc.syscall(SYS_bpf, cmd, V(attr), size)
perf = lambda attr: libc.syscall(SYS_perf, V(attr), 0, -1, -1, 0)
# bpf(BPF_PROG_LOAD): unreadable, running into the guard page, size rules.
case("bpf_prog_load_null", lambda: bpf(5, 0, 144))
case("bpf_prog_load_addr1", lambda: bpf(5, 1, 144))
case("bpf_prog_load_guard", lambda: bpf(5, end(64), 144))
case("bpf_prog_load_size0", lambda: bpf(5, base, 0))
case("bpf_prog_load_huge", lambda: bpf(5, base, P + 1))
put(base + 1000, b"\x01")
case("bpf_prog_load_tail", lambda: bpf(5, base, P))
put(base + 1000, b"\x00")
case("bpf_map_create_addr1", lambda: bpf(0, 1, 72))
# perf_event_open: unreadable size, readable size with the rest unreadable, bad sizes.
case("perf_addr1", lambda: perf(1))
put(end(8), (2).to_bytes(4, "little") + (112).to_bytes(4, "little"))
case("perf_guard", lambda: perf(end(8)))
put(base, (1).to_bytes(4, "little") + (1).to_bytes(4, "little"))
case("perf_size1", lambda: perf(base))
# Paths: the real function's EFAULT.
case("open_addr1", lambda: libc.open(V(1), 0))
case("open_guard", lambda: libc.open(V(end(0)), 0))
put(end(4), b"/sys")
case("open_unterminated", lambda: libc.open(V(end(4)), 0))
case("access_addr1", lambda: libc.access(V(1), 0))
case("faccessat_addr1", lambda: libc.faccessat(-100, V(1), 0, 0))
case("unlink_addr1", lambda: libc.unlink(V(1)))
case("statfs_addr1", lambda: libc.statfs(V(1), V(base)))
# statfs of /sys/fs/bpf into a bad buffer (emulated bpffs in driver mode).
case("statfs_bpffs_badbuf", lambda: libc.statfs(b"/sys/fs/bpf", V(1)))
print("done", 0, 0)
"#;

fn run(cmd: &mut std::process::Command) -> BTreeMap<String, (i64, i32)> {
    let out = run_with_limit(cmd.args(["-c", CASES]), Duration::from_secs(60));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{:?} (SIGSEGV is 11)\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status);
    let parsed: BTreeMap<_, _> = stdout
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f[0].to_string(), (f[1].parse().unwrap(), f[2].parse().unwrap()))
        })
        .collect();
    assert!(parsed.contains_key("done"), "stdout:\n{stdout}\nstderr:\n{stderr}");
    parsed
}

#[test]
fn bad_pointers_get_the_kernels_errno_not_sigsegv() {
    let native = run(&mut clean(PYTHON));
    // Pin this kernel's answers, so the comparison means something.
    let efault = (-1, libc::EFAULT);
    let e2big = (-1, libc::E2BIG);
    for (name, want) in [
        ("bpf_prog_load_addr1", efault),
        ("bpf_prog_load_guard", efault),
        ("bpf_prog_load_size0", e2big),
        ("bpf_prog_load_huge", e2big),
        ("bpf_prog_load_tail", e2big),
        ("perf_addr1", efault),
        ("perf_guard", efault),
        ("perf_size1", e2big),
        ("open_addr1", efault),
        ("open_guard", efault),
        ("open_unterminated", efault),
        ("statfs_addr1", efault),
    ] {
        assert_eq!(native[name], want, "{name} natively");
    }

    // Native mode: everything passes through, the path functions included.
    let hooked_native = run(hooked(PYTHON).env("BPFHOOK_MODE", "native"));
    assert_eq!(hooked_native, native, "native mode");

    // Driver mode without the driver: a kernel without bpf(2).
    let hooked_driver = run(hooked(PYTHON).env("BPFHOOK_MODE", "driver").env("BPFHOOK_DEVICE", "/nonexistent/bpfdrv"));
    for (name, got) in &hooked_driver {
        let want = if name.starts_with("bpf_") {
            (-1, libc::ENOSYS)
        } else if name == "statfs_bpffs_badbuf" {
            // /sys/fs/bpf is emulated bpffs here unless a real one is mounted; either
            // way the buffer is bad.
            efault
        } else {
            native[name]
        };
        assert_eq!(*got, want, "{name} in driver mode");
    }
}
