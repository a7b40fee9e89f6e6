//! /sys/kernel/btf/vmlinux redirection, checked through every interposed function with
//! a Python (ctypes) client under LD_PRELOAD. This host has a real
//! /sys/kernel/btf/vmlinux, so the tests name a non-existent virtual path with
//! BPFHOOK_SYS_BTF_PATH instead.

mod common;

use common::{hooked, run_with_limit, text, PYTHON};
use std::path::Path;
use std::time::Duration;

/// Opens `VIRT` every way libbpf or a tool could and checks it reads as `EXPECT`'s
/// bytes (or, with EXPECT empty, that it does not exist).
const CLIENT: &str = r#"
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.fopen.restype = ctypes.c_void_p
libc.fopen64.restype = ctypes.c_void_p
virt = os.environ["VIRT"].encode()
expect_path = os.environ["EXPECT"]
if not expect_path:
    assert libc.access(virt, os.R_OK) == -1 and ctypes.get_errno() == errno.ENOENT, "access"
    assert libc.fopen64(virt, b"rb") is None and ctypes.get_errno() == errno.ENOENT, "fopen64"
    assert not os.path.exists(virt), "stat"
    print("ABSENT OK")
    sys.exit(0)
want = open(expect_path, "rb").read()
AT_FDCWD = -100
for name in ("access", "eaccess", "euidaccess"):
    assert getattr(libc, name)(virt, os.R_OK) == 0, name
assert libc.faccessat(AT_FDCWD, virt, os.R_OK, 0x200) == 0, "faccessat"
assert os.access(virt, os.R_OK), "os.access"

def read_fd(fd, what):
    assert fd >= 0, (what, ctypes.get_errno())
    got = b""
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        got += chunk
    os.close(fd)
    assert got == want, what

for name in ("open", "open64", "__open_2", "__open64_2"):
    read_fd(getattr(libc, name)(virt, os.O_RDONLY | os.O_CLOEXEC, 0), name)
for name in ("openat", "openat64", "__openat_2", "__openat64_2"):
    read_fd(getattr(libc, name)(AT_FDCWD, virt, os.O_RDONLY, 0), name)
with open(virt, "rb") as f:
    assert f.read() == want, "python open"

for name in ("fopen", "fopen64"):
    fp = getattr(libc, name)(virt, b"rbe")
    assert fp, (name, ctypes.get_errno())
    buf = ctypes.create_string_buffer(len(want) + 16)
    n = libc.fread(buf, 1, len(want) + 16, ctypes.c_void_p(fp))
    libc.fclose(ctypes.c_void_p(fp))
    assert buf.raw[:n] == want, name

ST_SIZE = 48      # struct stat on x86_64
STX_SIZE = 40     # struct statx
buf = ctypes.create_string_buffer(512)
def size_at(off):
    return int.from_bytes(buf.raw[off:off + 8], "little")
for name in ("stat", "stat64", "lstat", "lstat64"):
    assert getattr(libc, name)(virt, buf) == 0, name
    assert size_at(ST_SIZE) == len(want), name
for name in ("fstatat", "fstatat64"):
    assert getattr(libc, name)(AT_FDCWD, virt, buf, 0) == 0, name
    assert size_at(ST_SIZE) == len(want), name
assert libc.statx(AT_FDCWD, virt, 0, 0x7ff, buf) == 0, "statx"
assert size_at(STX_SIZE) == len(want), "statx"
assert os.stat(virt).st_size == len(want), "os.stat"
print("REDIRECT OK")
"#;

fn client(virt: &Path, btf: &Path, expect: Option<&Path>) -> std::process::Output {
    let mut cmd = hooked(PYTHON);
    cmd.arg("-c")
        .arg(CLIENT)
        .env("BPFHOOK_SYS_BTF_PATH", virt)
        .env("BPFHOOK_BTF", btf)
        .env("VIRT", virt)
        .env("EXPECT", expect.map(|p| p.as_os_str()).unwrap_or_default());
    run_with_limit(&mut cmd, Duration::from_secs(60))
}

fn assert_ok(out: &std::process::Output, marker: &str) {
    assert!(
        out.status.success() && text(&out.stdout).contains(marker),
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn missing_kernel_btf_reads_as_the_configured_file() {
    let dir = tempfile::tempdir().unwrap();
    let virt = dir.path().join("sys-kernel-btf-vmlinux");
    let btf = dir.path().join("kernel.btf");
    // BTF magic and a body long enough to need several reads.
    let mut bytes = vec![0x9f, 0xeb, 0x01, 0x00];
    bytes.extend((0..200_000u32).map(|i| (i * 7 % 251) as u8));
    std::fs::write(&btf, &bytes).unwrap();
    let out = client(&virt, &btf, Some(&btf));
    assert_ok(&out, "REDIRECT OK");
    assert!(!virt.exists());
}

#[test]
fn an_existing_kernel_btf_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let virt = dir.path().join("vmlinux");
    let btf = dir.path().join("kernel.btf");
    std::fs::write(&virt, b"the kernel's own BTF").unwrap();
    std::fs::write(&btf, b"a configured file").unwrap();
    let out = client(&virt, &btf, Some(&virt));
    assert_ok(&out, "REDIRECT OK");
}

#[test]
fn without_a_configured_file_the_path_stays_missing() {
    let dir = tempfile::tempdir().unwrap();
    let virt = dir.path().join("vmlinux");
    let out = client(&virt, &dir.path().join("none.btf"), None);
    assert_ok(&out, "ABSENT OK");
}
