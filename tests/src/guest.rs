//! Guest harness: builds the no-bpf kernel, `bpfdrv.ko` and `libbpfhook.so`, composes a
//! busybox initramfs around a shell test body, boots it in QEMU and hands back the serial
//! log with helpers that fail loudly, printing the whole log.
//!
//! ```no_run
//! use bpfcompat_tests::guest::{self, Guest};
//! let kernel = bpfcompat_tests::require!(guest::nobpf_kernel());
//! let run = Guest::new("hello", &kernel)
//!     .body(". /bpfcompat/lib.sh\nresult answer 42\n")
//!     .boot();
//! run.assert_clean_exit();
//! assert_eq!(run.value("answer").as_deref(), Some("42"));
//! ```
//!
//! The shell side lives in `scripts/make-initramfs.sh` (image and `/init`),
//! `scripts/run-guest.sh` (QEMU) and `tests/guest/lib.sh` (helpers for bodies: `result`,
//! `show`, `wait_for`, `stop`, ...), so the README's demo and these tests share it.
//!
//! Environment:
//! - `BPFCOMPAT_KERNEL_DIR`: use this kernel directory instead of running
//!   `scripts/build-kernel.sh nobpf` (which is cached and fast once built).
//! - `BPFCOMPAT_HOOK`: use this `libbpfhook.so` instead of building one with cargo into
//!   `target/guest-artifacts` (a separate target dir: the outer `cargo test` holds the lock
//!   on `target/`).
//! - `BPFCOMPAT_GUEST_TIMEOUT`: seconds before a guest is killed (default 300).
//! - `BPFCOMPAT_GUEST_STREAM=1`: echo serial output live to stderr.
//! - `CI` or `BPFCOMPAT_REQUIRE_GUEST`: a missing prerequisite is a failure, not a skip.

use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Where the hook lives in the guest (what `LD_PRELOAD` names).
pub const GUEST_HOOK: &str = "/usr/lib/bpfcompat/libbpfhook.so";
/// Where the module lives in the guest.
pub const GUEST_MODULE: &str = "/bpfcompat/bpfdrv.ko";
/// The serial-log line `/init` prints after the body, with its exit status.
pub const EXIT_MARKER: &str = "BPFCOMPAT-GUEST-EXIT status=";
/// Kernel log patterns that fail every guest test.
pub const KERNEL_BUG_PATTERNS: &[&str] =
    &["BUG:", "Oops", "WARNING:", "Call Trace", "general protection fault", "Kernel panic", "BPFCOMPAT-GUEST-DMESG-PROBLEM"];

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// Scratch directory for guest images, helper binaries and serial logs.
pub fn work_dir() -> PathBuf {
    let d = repo_root().join("target").join("guest");
    std::fs::create_dir_all(d.join("logs")).expect("create target/guest");
    d
}

/// Progress and skip messages go straight to the process's stderr: the test harness
/// captures `eprintln!` of passing tests, and these must be seen.
pub fn note(msg: impl fmt::Display) {
    let mut e = std::io::stderr();
    let _ = writeln!(e, "guest: {msg}");
}

/// A missing prerequisite: the test cannot run here (and says why).
#[derive(Clone, Debug)]
pub struct Skip(pub String);

/// A boot shared by the tests of one file, made once and kept in `cell`: `boot` on
/// `kernel()`; None, with the skip reported for `test`, when the kernel or something
/// `boot` needs is missing.
pub fn shared_run(
    cell: &'static OnceLock<Option<GuestRun>>,
    kernel: fn() -> Result<Kernel, Skip>,
    test: &str,
    boot: impl FnOnce(&Kernel) -> Result<GuestRun, Skip>,
) -> Option<&'static GuestRun> {
    cell.get_or_init(|| {
        let report = |s: Skip| s.report(test);
        boot(&kernel().map_err(report).ok()?).map_err(report).ok()
    })
    .as_ref()
}

impl Skip {
    /// Print the reason; panic instead when prerequisites are required (CI).
    pub fn report(&self, test: &str) {
        if required() {
            panic!("{test}: prerequisite missing, and guest tests are required here (CI / BPFCOMPAT_REQUIRE_GUEST): {}", self.0);
        }
        let mut e = std::io::stderr();
        let _ = writeln!(e, "SKIP {test}: {}", self.0);
    }
}

fn required() -> bool {
    let set = |k: &str| std::env::var(k).map(|v| !v.is_empty() && v != "0" && v != "false").unwrap_or(false);
    set("CI") || set("BPFCOMPAT_REQUIRE_GUEST")
}

/// Unwrap a `Result<T, Skip>`; on `Err` print the skip reason and return from the test.
#[macro_export]
macro_rules! require {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(skip) => {
                let skip: $crate::guest::Skip = skip;
                skip.report(module_path!());
                return;
            }
        }
    };
}

/// The no-bpf debug kernel for the opt-in test `$test` (BPFCOMPAT_DEBUG_KERNEL=1): when
/// the debug kernel tests are not opted in, note the skip and return from the test
/// (not a failure even where guests are required); a missing kernel is a [`require!`].
#[macro_export]
macro_rules! require_debug_kernel {
    ($test:literal) => {{
        if !$crate::guest::debug_kernel_opted_in() {
            $crate::guest::note(concat!("SKIP ", $test, ": the debug kernel tests are opt-in (BPFCOMPAT_DEBUG_KERNEL=1)"));
            return;
        }
        $crate::require!($crate::guest::nobpf_debug_kernel())
    }};
}

fn which(tool: &str) -> Option<PathBuf> {
    if tool.contains('/') {
        let p = PathBuf::from(tool);
        return p.exists().then_some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).chain(["/usr/sbin", "/sbin"].iter().map(PathBuf::from)).map(|d| d.join(tool)).find(|p| p.is_file())
}

/// Fails with a Skip naming the package when a host tool is missing.
pub fn need_tool(tool: &str, package: &str) -> Result<PathBuf, Skip> {
    which(tool).ok_or_else(|| Skip(format!("`{tool}` not found (apt-get install {package}, or run scripts/install-deps.sh)")))
}

/// Host tools every guest boot needs.
pub fn need_guest_tools() -> Result<(), Skip> {
    need_tool("qemu-system-x86_64", "qemu-system-x86")?;
    need_tool("busybox", "busybox-static")?;
    need_tool("cpio", "cpio")?;
    need_tool("ldd", "libc-bin")?;
    Ok(())
}

/// A built guest kernel (a directory printed by `scripts/build-kernel.sh`).
#[derive(Clone, Debug)]
pub struct Kernel {
    pub dir: PathBuf,
    pub vmlinux: PathBuf,
    /// Detached BTF made offline with pahole, as for a legacy host.
    pub btf: PathBuf,
    /// `uname -r` of the guest.
    pub release: String,
    /// The kbuild tree: `make -C driver KDIR=<kdir>`.
    pub kdir: PathBuf,
    /// The kernel has bpf(2) itself (the stock kernel, the oracle).
    pub native_bpf: bool,
    /// Its guests run every vCPU on one TCG thread ([`Guest::single_tcg_thread`]): QEMU
    /// 7.2's multi-threaded TCG can run kernel text after another vCPU patched it, and
    /// Debian's stock 6.12 kernel, which flips static keys while it boots, died so of
    /// `Oops: int3` (in sched_clock_cpu, and once in __schedule) in two runs; the no-bpf
    /// 6.12 kernel once in vfs_open, on the int3 of a kprobe just removed (a matrix run).
    pub single_tcg_thread: bool,
}

impl Kernel {
    /// A RHEL / CentOS 7 kernel (3.10.0-*.el7): its hosts run glibc 2.17, and some kernel
    /// functions have their 3.10 names.
    pub fn is_el7(&self) -> bool {
        self.release.contains(".el7.")
    }

    pub fn from_dir(dir: &Path) -> Result<Kernel, String> {
        let k = Kernel {
            dir: dir.to_path_buf(),
            vmlinux: dir.join("vmlinux"),
            btf: dir.join("vmlinux.btf"),
            release: std::fs::read_to_string(dir.join("release"))
                .map_err(|e| format!("{}/release: {e}", dir.display()))?
                .trim()
                .to_string(),
            kdir: dir.join("build"),
            native_bpf: false,
            single_tcg_thread: false,
        };
        for p in [&k.vmlinux, &k.btf, &k.kdir] {
            if !p.exists() {
                return Err(format!("kernel dir {} lacks {}", dir.display(), p.display()));
            }
        }
        Ok(k)
    }

    /// How a program runs on this kernel in a test body: see [`BpfSide`].
    pub fn bpf_side(&self) -> BpfSide {
        if self.native_bpf {
            BpfSide { setup: "", prefix: "", teardown: "" }
        } else {
            BpfSide { setup: "insmod $MODULE; result insmod $?", prefix: "LD_PRELOAD=$HOOK ", teardown: "rmmod bpfdrv; result rmmod $?" }
        }
    }
}

impl BpfSide {
    /// A body that runs the probe `/bpfcompat/<probe>` once on this side, `before` (shell
    /// lines) once the module is loaded: its exit status is the result `exit`, its stdout
    /// the section `section`, its stderr the section `stderr`. `after` (shell lines, which
    /// may run the probe again behind [`prefix`](Self::prefix)) runs before the module is
    /// unloaded.
    pub fn probe_body(&self, probe: &str, before: &str, section: &str, after: &str) -> String {
        let BpfSide { setup, prefix, teardown } = self;
        format!(
            r#". /bpfcompat/lib.sh
{setup}
{before}
{prefix}/bpfcompat/{probe} >/tmp/out.txt 2>/tmp/err.txt; result exit $?
show {section} /tmp/out.txt
show stderr /tmp/err.txt
{after}
{teardown}
"#
        )
    }
}

/// Boot `kernel`, serving bpf(2) (see [`BpfSide`]), with the probe `bin` at
/// `/bpfcompat/<probe>` and `body` (from [`BpfSide::probe_body`]). The run must complete
/// with a clean kernel log, the probe's `exit` 0 (`exit_what` names it in the failure)
/// and the module loaded and unloaded.
pub fn boot_probe(name: &str, kernel: &Kernel, bin: &Path, probe: &str, body: &str, timeout: Duration, exit_what: &str) -> GuestRun {
    let run = Guest::new(name, kernel).binary_at(bin, &format!("/bpfcompat/{probe}")).serving_bpf().body(body).timeout(timeout).boot();
    run.assert_completed();
    run.assert_kernel_clean();
    run.assert_value("exit", "0", exit_what);
    run.assert_module_cycle(kernel);
    run
}

/// A probe's run natively on the stock kernel, the oracle of the runs under the hook:
/// None, reported as a skip of `test`, without the stock kernel or the probe's binary.
pub fn boot_on_stock_kernel(
    test: &str,
    bin: impl FnOnce() -> Result<PathBuf, Skip>,
    boot: impl FnOnce(&Kernel, &Path) -> GuestRun,
) -> Option<GuestRun> {
    let stock = stock_kernel().map_err(|s| s.report(&format!("{test} (stock kernel)"))).ok()?;
    let bin = bin().map_err(|s| s.report(test)).ok()?;
    Some(boot(&stock, &bin))
}

/// A guest of `kernel` serving bpf(2) (see [`Guest::serving_bpf`]) with the C program
/// `tests/guest/<source>` at `/bpfcompat/<its name>`. Panics when it cannot be built.
pub fn probe_guest(name: &str, kernel: &Kernel, source: &str) -> Guest {
    let stem = Path::new(source).file_stem().expect("source file name").to_string_lossy().into_owned();
    let bin = guest_c_program(source).unwrap_or_else(|s| panic!("{stem}: {}", s.0));
    Guest::new(name, kernel).binary_at(&bin, &format!("/bpfcompat/{stem}")).serving_bpf()
}

/// The shell a test body puts around a program so that it runs on a kernel as a user would
/// run it there: natively where the kernel has bpf(2) (a stock kernel, the oracle), under
/// the hook with bpfdrv.ko loaded where it has not. The same body then runs on either side
/// and the outputs are compared. Pair it with [`Guest::serving_bpf`], and check the
/// module's cycle with [`GuestRun::assert_module_cycle`].
pub struct BpfSide {
    /// The body's first line: load the module, recording `insmod`.
    pub setup: &'static str,
    /// Put before each command that runs the program: `LD_PRELOAD=$HOOK `.
    pub prefix: &'static str,
    /// The body's last line: unload the module, recording `rmmod`.
    pub teardown: &'static str,
}

fn run_logged(cmd: &mut Command, what: &str) -> Result<String, String> {
    let start = Instant::now();
    note(format!("{what}: {cmd:?}"));
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{what}: cannot run {cmd:?}: {e}"))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    note(format!("{what}: {} in {:.1}s", if out.status.success() { "done" } else { "FAILED" }, start.elapsed().as_secs_f64()));
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("{what} failed ({}): {cmd:?}\n--- output ---\n{text}--- end ---", out.status))
    }
}

/// A stock Debian kernel (native eBPF, BTF in sysfs), the oracle: the image its meta
/// package `meta` depends on, unpacked by `scripts/stock-kernel.sh` (cached); boots as a
/// bzImage.
fn unpack_stock_kernel(meta: &str, single_tcg_thread: bool) -> Result<Kernel, Result<Skip, String>> {
    need_guest_tools().map_err(Ok)?;
    let out = run_logged(
        Command::new(repo_root().join("scripts/stock-kernel.sh")).arg(meta),
        &format!("unpacking the stock Debian kernel ({meta})"),
    )
    .map_err(Err)?;
    let dir = PathBuf::from(out.lines().last().unwrap_or("").trim());
    bzimage_kernel(dir, "no-offline-btf", "no-kbuild-tree", true, single_tcg_thread).map_err(Err)
}

/// A kernel a script unpacked into `dir`: its bzImage `vmlinuz`, `release`, and the BTF
/// file and kbuild tree named (paths that need not exist where a kernel has none).
fn bzimage_kernel(dir: PathBuf, btf: &str, kdir: &str, native_bpf: bool, single_tcg_thread: bool) -> Result<Kernel, String> {
    let release = std::fs::read_to_string(dir.join("release")).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(Kernel {
        vmlinux: dir.join("vmlinuz"),
        btf: dir.join(btf),
        release: release.trim().to_string(),
        kdir: dir.join(kdir),
        native_bpf,
        single_tcg_thread,
        dir,
    })
}

/// Debian's stock 6.1 kernel: the oracle of the no-bpf 6.1 kernel.
pub fn stock_kernel() -> Result<Kernel, Skip> {
    static K: OnceLock<Result<Kernel, Result<Skip, String>>> = OnceLock::new();
    cached_kernel(&K, || unpack_stock_kernel("linux-image-amd64", false))
}

/// Debian's stock 6.12 kernel (bookworm's security and updates suites): the oracle of
/// the no-bpf 6.12 kernel.
pub fn stock_kernel_612() -> Result<Kernel, Skip> {
    static K: OnceLock<Result<Kernel, Result<Skip, String>>> = OnceLock::new();
    cached_kernel(&K, || unpack_stock_kernel("linux-image-6.12-amd64", true))
}

/// A kernel `scripts/build-kernel.sh VARIANT SERIES` builds from Debian's
/// linux-source-SERIES (built once, cached under ~/.cache/bpfcompat), or the built one
/// `$dir_var` names. A build failure panics; missing tools skip.
fn built_kernel(variant: &str, series: &str, dir_var: &str, what: &str) -> Result<Kernel, Result<Skip, String>> {
    need_guest_tools().map_err(Ok)?;
    if let Some(dir) = std::env::var_os(dir_var) {
        return Kernel::from_dir(Path::new(&dir)).map_err(Err);
    }
    let source = format!("/usr/src/linux-source-{series}.tar.xz");
    if !Path::new(&source).exists() {
        return Err(Ok(Skip(format!("{source} missing (apt-get install linux-source-{series}, or run scripts/install-deps.sh)"))));
    }
    for (t, p) in [("pahole", "dwarves"), ("make", "make"), ("gcc", "gcc"), ("bc", "bc"), ("flex", "flex"), ("bison", "bison")] {
        need_tool(t, p).map_err(Ok)?;
    }
    let out = run_logged(Command::new(repo_root().join("scripts/build-kernel.sh")).arg(variant).arg(series), what).map_err(Err)?;
    let dir = out.lines().last().unwrap_or("").trim().to_string();
    Kernel::from_dir(Path::new(&dir)).map_err(Err)
}

/// A kernel looked up once per test process: a skip stays a skip, a failure panics in
/// every test that asks.
fn cached_kernel(
    cell: &'static OnceLock<Result<Kernel, Result<Skip, String>>>,
    init: impl FnOnce() -> Result<Kernel, Result<Skip, String>>,
) -> Result<Kernel, Skip> {
    match cell.get_or_init(init) {
        Ok(k) => Ok(k.clone()),
        Err(Ok(skip)) => Err(skip.clone()),
        Err(Err(msg)) => panic!("{msg}"),
    }
}

/// The kernel built from Debian's linux-source-6.1 with CONFIG_BPF_SYSCALL=n
/// (`$BPFCOMPAT_KERNEL_DIR` names a built one).
pub fn nobpf_kernel() -> Result<Kernel, Skip> {
    static K: OnceLock<Result<Kernel, Result<Skip, String>>> = OnceLock::new();
    cached_kernel(&K, || {
        built_kernel("nobpf", "6.1", "BPFCOMPAT_KERNEL_DIR", "building the no-bpf kernel (cached after the first build, ~11 min)")
    })
}

/// The same configuration on Debian's linux-source-6.12, the newest LTS the module
/// supports (`$BPFCOMPAT_KERNEL_612_DIR` names a built one).
pub fn nobpf_kernel_612() -> Result<Kernel, Skip> {
    static K: OnceLock<Result<Kernel, Result<Skip, String>>> = OnceLock::new();
    cached_kernel(&K, || {
        built_kernel("nobpf", "6.12", "BPFCOMPAT_KERNEL_612_DIR", "building the no-bpf 6.12 kernel (cached after the first build, ~12 min)")
            .map(|k| Kernel { single_tcg_thread: true, ..k })
    })
}

/// The shared fixture folder of CentOS 7.9's own kernel (3.10.0-1160.el7, RHEL's config
/// with its bpf() tech preview): the fleet this project exists for.
pub const CENTOS7: &str = "centos7-3.10.0-1160";

/// A shared kernel's name and what unpacking it gave (a skip, or a failure under CI).
type SharedKernelResult = (&'static str, Result<Kernel, Result<Skip, String>>);

/// A prebuilt kernel from the shared fixtures (`../shared/kernels/<name>`, or
/// `$BPFCOMPAT_SHARED/kernels/<name>`), unpacked by `scripts/shared-kernel.sh` (cached).
/// Skips, saying why, where the fixtures are absent (a user's machine); fails under CI.
pub fn shared_kernel(name: &'static str) -> Result<Kernel, Skip> {
    static K: Mutex<Vec<SharedKernelResult>> = Mutex::new(Vec::new());
    let mut done = K.lock().unwrap_or_else(|e| e.into_inner());
    if !done.iter().any(|(n, _)| *n == name) {
        let r = (|| {
            need_guest_tools().map_err(Ok)?;
            let out = Command::new(repo_root().join("scripts/shared-kernel.sh"))
                .arg(name)
                .stdin(Stdio::null())
                .output()
                .map_err(|e| Err(format!("scripts/shared-kernel.sh: {e}")))?;
            let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
            if out.status.code() == Some(3) {
                return Err(Ok(Skip(format!("the shared test kernel {name} is absent: {stderr}"))));
            }
            if !out.status.success() {
                return Err(Err(format!("scripts/shared-kernel.sh {name} failed ({}): {stderr}", out.status)));
            }
            let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or("").trim());
            // A bzImage: no DWARF here, the fixture's BTF was made offline from it.
            bzimage_kernel(dir, "vmlinux.btf", "build", false, false).map_err(Err)
        })();
        done.push((name, r));
    }
    match &done.iter().find(|(n, _)| *n == name).expect("just added").1 {
        Ok(k) => Ok(k.clone()),
        Err(Ok(skip)) => Err(skip.clone()),
        Err(Err(msg)) => panic!("{msg}"),
    }
}

/// CentOS 7.9's kernel ([`CENTOS7`]).
pub fn centos7_kernel() -> Result<Kernel, Skip> {
    shared_kernel(CENTOS7)
}

/// Whether the debug-kernel tests should run (BPFCOMPAT_DEBUG_KERNEL=1 or
/// BPFCOMPAT_DEBUG_KERNEL_DIR). Tests check this before `require!`: not opting in is a
/// choice, not a missing prerequisite, so it must not fail CI's required guest tests.
pub fn debug_kernel_opted_in() -> bool {
    std::env::var("BPFCOMPAT_DEBUG_KERNEL").as_deref() == Ok("1") || std::env::var_os("BPFCOMPAT_DEBUG_KERNEL_DIR").is_some()
}

/// The no-bpf kernel plus KASAN (generic, inline), lockdep (PROVE_LOCKING), kmemleak and
/// DEBUG_ATOMIC_SLEEP (`scripts/kernel/nobpf-debug.config`). Opt-in because its first
/// build takes as long as the no-bpf kernel's and its guests run several times slower:
/// skips unless BPFCOMPAT_DEBUG_KERNEL=1 (or BPFCOMPAT_DEBUG_KERNEL_DIR names a built one).
pub fn nobpf_debug_kernel() -> Result<Kernel, Skip> {
    static K: OnceLock<Result<Kernel, Result<Skip, String>>> = OnceLock::new();
    cached_kernel(&K, || {
        if !debug_kernel_opted_in() {
            return Err(Ok(Skip("the debug kernel (KASAN, lockdep, kmemleak) is opt-in: BPFCOMPAT_DEBUG_KERNEL=1".into())));
        }
        built_kernel("nobpf-debug", "6.1", "BPFCOMPAT_DEBUG_KERNEL_DIR", "building the no-bpf debug kernel (cached after the first build)")
    })
}

/// Body lines recording whether the debug kernel's checkers are really on (see
/// [`assert_debug_checkers`]): a test that passes because KASAN was off proves nothing.
pub const DEBUG_CHECKS: &str = "dmesg | grep -q 'KernelAddressSanitizer initialized' && result kasan on || result kasan off
[ -e /proc/lockdep ] && result lockdep on || result lockdep off
[ -w /sys/kernel/debug/kmemleak ] && result kmemleak on || result kmemleak off
";

/// A body's first lines: lib.sh and, on the debug kernel, [`DEBUG_CHECKS`] with what
/// kmemleak found during boot cleared (its later reports are the test's).
pub fn body_start(debug_kernel: bool) -> String {
    let mut s = String::from(". /bpfcompat/lib.sh\n");
    if debug_kernel {
        s.push_str(DEBUG_CHECKS);
        s.push_str("echo clear > /sys/kernel/debug/kmemleak\n");
    }
    s
}

/// The run's debug kernel had KASAN, lockdep and kmemleak active.
pub fn assert_debug_checkers(run: &GuestRun) {
    for c in ["kasan", "lockdep", "kmemleak"] {
        run.assert_value(c, "on", &format!("{c} active in the debug kernel"));
    }
}

/// `make -C driver KDIR=<kernel.kdir>` → `driver/bpfdrv.ko`. Panics with the build log on failure.
pub fn bpfdrv_module(kernel: &Kernel) -> PathBuf {
    static M: Mutex<Vec<(PathBuf, Result<PathBuf, String>)>> = Mutex::new(Vec::new());
    let mut done = M.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, r)) = done.iter().find(|(k, _)| *k == kernel.kdir) {
        return r.clone().unwrap_or_else(|e| panic!("{e}"));
    }
    let driver = repo_root().join("driver");
    let r = run_logged(Command::new("make").arg("-C").arg(&driver).arg(format!("KDIR={}", kernel.kdir.display())), "building bpfdrv.ko")
        .and_then(|_| {
            let ko = driver.join("bpfdrv.ko");
            if !ko.exists() {
                return Err(format!("make -C driver succeeded but {} does not exist", ko.display()));
            }
            // driver/bpfdrv.ko is rebuilt for the next kernel tree: keep this one's copy.
            let tree = kernel.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let copy = work_dir().join(format!("bpfdrv-{tree}.ko"));
            std::fs::copy(&ko, &copy).map_err(|e| format!("copy {} to {}: {e}", ko.display(), copy.display()))?;
            Ok(copy)
        });
    done.push((kernel.kdir.clone(), r.clone()));
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// `target/release/BIN` of the workspace package `package`, after `cargo build --release -p
/// PACKAGE` (a no-op when the workspace build made it already). Panics with cargo's output
/// on failure.
pub fn workspace_binary(package: &str, bin: &str) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run_logged(Command::new(cargo).current_dir(repo_root()).args(["build", "--release", "-p", package]), &format!("building {bin}"))
        .unwrap_or_else(|e| panic!("{e}"));
    repo_root().join("target/release").join(bin)
}

/// `libbpfhook.so`: `$BPFCOMPAT_HOOK`, else `cargo build --release -p bpfhook` into
/// `target/guest-artifacts`. Panics with the build log on failure.
pub fn hook_library() -> PathBuf {
    static H: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    given_or_built(&H, "BPFCOMPAT_HOOK", || {
        let target = repo_root().join("target/guest-artifacts");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        run_logged(
            Command::new(cargo).current_dir(repo_root()).args(["build", "--release", "-p", "bpfhook", "--target-dir"]).arg(&target),
            "building libbpfhook.so",
        )?;
        let so = target.join("release/libbpfhook.so");
        if so.exists() {
            Ok(so)
        } else {
            Err(format!("cargo build succeeded but {} does not exist", so.display()))
        }
    })
}

/// The file `$var` names (an error if it does not exist), else what `build` made; once
/// per process, in `cell`. Panics with the error.
fn given_or_built(cell: &'static OnceLock<Result<PathBuf, String>>, var: &str, build: impl FnOnce() -> Result<PathBuf, String>) -> PathBuf {
    cell.get_or_init(|| {
        if let Some(p) = std::env::var_os(var) {
            let p = PathBuf::from(p);
            return if p.is_file() { Ok(p) } else { Err(format!("{var}={} does not exist", p.display())) };
        }
        build()
    })
    .clone()
    .unwrap_or_else(|e| panic!("{e}"))
}

/// The `libbpfhook.so` for guests of `kernel`: on a CentOS / RHEL 7 kernel the glibc 2.17
/// build the packages ship (`$BPFCOMPAT_HOOK_GLIBC217`, else
/// `scripts/build-hook-glibc217.sh` into `target/glibc217-guest`), the build a fleet of
/// such hosts runs; else [`hook_library`].
pub fn hook_library_for(kernel: &Kernel) -> PathBuf {
    if !kernel.is_el7() {
        return hook_library();
    }
    static H: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    given_or_built(&H, "BPFCOMPAT_HOOK_GLIBC217", || {
        let out = run_logged(
            Command::new(repo_root().join("scripts/build-hook-glibc217.sh"))
                .arg("--target-dir")
                .arg(repo_root().join("target/glibc217-guest")),
            "building libbpfhook.so against glibc 2.17",
        )?;
        let so = PathBuf::from(out.lines().last().unwrap_or("").trim());
        if so.is_file() {
            Ok(so)
        } else {
            Err(format!("build-hook-glibc217.sh printed {}, which does not exist", so.display()))
        }
    })
}

/// Compile a C program from `tests/guest/` for the guest (dynamically linked; the
/// initramfs gets its libraries). Panics on compiler errors; skips without gcc.
pub fn guest_c_program(source: &str) -> Result<PathBuf, Skip> {
    need_tool("gcc", "gcc")?;
    Ok(compile_guest_c(source, &[]))
}

/// Like [`guest_c_program`], for a program that calls libbpf's raw bpf.h wrappers: linked
/// against the system's shared libbpf, then `libs`. Skips without gcc or libbpf-dev.
pub fn guest_libbpf_raw_program(source: &str, libs: &[&str]) -> Result<PathBuf, Skip> {
    need_tool("gcc", "gcc")?;
    if !Path::new("/usr/include/bpf/bpf.h").exists() {
        return Err(Skip("libbpf-dev is not installed (/usr/include/bpf/bpf.h)".into()));
    }
    Ok(compile_guest_c(source, &[&["-lbpf"], libs].concat()))
}

/// Skips unless Debian's libbpf-dev installed `path`.
fn need_libbpf_dev_file(path: &str) -> Result<(), Skip> {
    if Path::new(path).exists() {
        Ok(())
    } else {
        Err(Skip(format!("{path} missing (apt-get install libbpf-dev)")))
    }
}

/// `tests/guest/<source>`, and where its build goes: the work dir's `<stem><suffix>`
/// (`stem`: the file name without its extension).
fn guest_source(source: &str, suffix: &str) -> (PathBuf, PathBuf) {
    let stem = Path::new(source).file_stem().expect("source file name").to_string_lossy();
    (repo_root().join("tests/guest").join(source), work_dir().join(format!("{stem}{suffix}")))
}

fn compile_guest_c(source: &str, libs: &[&str]) -> PathBuf {
    let (src, out) = guest_source(source, "");
    run_logged(Command::new("gcc").args(["-O2", "-Wall", "-Werror", "-o"]).arg(&out).arg(&src).args(libs), &format!("compiling {source}"))
        .unwrap_or_else(|e| panic!("{e}"));
    out
}

/// What `tests/rust-loader/src/bpf/probe.bpf.c` must have seen from its loader's 50
/// getppid calls (the Rust, Go and static C loaders print the same lines): every call
/// once through each probe.
pub const GETPPID_PROBE_FACTS: &[&str] = &[
    "attached",
    "ringbuf kprobe events=50",
    "ringbuf tracepoint events=50",
    "map counts[kprobe]=50",
    "map counts[tracepoint]=50",
    "bss seq=100",
    "done",
];

/// `tests/rust-loader/src/bpf/probe.bpf.c` compiled for BPF: with CO-RE relocations
/// (`core`), or without (-DNO_CORE, for loaders that cannot read 6.1's kernel BTF).
pub fn getppid_probe_object(core: bool) -> Result<PathBuf, Skip> {
    need_tool("clang", "clang")?;
    need_libbpf_dev_file("/usr/include/bpf/bpf_helpers.h")?;
    let out = work_dir().join(if core { "getppid-probe-core.bpf.o" } else { "getppid-probe-nocore.bpf.o" });
    let mut clang = Command::new("clang");
    clang.args(["-g", "-O2", "-Wall", "-Werror", "-target", "bpf", "-D__TARGET_ARCH_x86", "-I/usr/include/x86_64-linux-gnu"]);
    if !core {
        clang.arg("-DNO_CORE");
    }
    build_once(
        &out,
        "compiling probe.bpf.c",
        clang.arg("-c").arg(repo_root().join("tests/rust-loader/src/bpf/probe.bpf.c")).arg("-o").arg(&out),
    );
    Ok(out)
}

/// `tests/guest/static_libbpf.c` with bpftool's skeleton of the CO-RE
/// [`getppid_probe_object`], linked fully statically (`gcc -static` against Debian's
/// libbpf.a, libelf.a and libz.a): a libbpf tool without a dynamic libc, which
/// LD_PRELOAD cannot reach.
pub fn static_libbpf_tool() -> Result<PathBuf, Skip> {
    need_tool("gcc", "gcc")?;
    need_tool("bpftool", "bpftool")?;
    for lib in ["libbpf.a", "libelf.a", "libz.a"] {
        let path = Path::new("/usr/lib/x86_64-linux-gnu").join(lib);
        if !path.exists() {
            return Err(Skip(format!("{} missing (apt-get install libbpf-dev libelf-dev zlib1g-dev)", path.display())));
        }
    }
    let obj = getppid_probe_object(true)?;
    let dir = work_dir().join("static-libbpf");
    std::fs::create_dir_all(&dir).expect("create the static libbpf build dir");
    let skel = dir.join("probe.skel.h");
    build_once(
        &skel,
        "bpftool gen skeleton of probe.bpf.o",
        Command::new("sh").args(["-c", r#"bpftool gen skeleton "$1" name probe > "$2""#, "sh"]).arg(&obj).arg(&skel),
    );
    let out = dir.join("static_libbpf");
    build_once(
        &out,
        "compiling static_libbpf.c (gcc -static, libbpf.a)",
        Command::new("gcc")
            .args(["-static", "-O2", "-Wall", "-Werror", "-I"])
            .arg(&dir)
            .arg("-o")
            .arg(&out)
            .arg(repo_root().join("tests/guest/static_libbpf.c"))
            .args(["-lbpf", "-lelf", "-lz"]),
    );
    Ok(out)
}

/// The C library a static guest program links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaticLibc {
    /// musl (`musl-gcc`): no kernel headers, the program declares what it uses.
    Musl,
    /// glibc (`gcc -static`), with the system's kernel headers.
    Glibc,
}

/// Compile a C program from `tests/guest/` statically: a binary that calls the kernel
/// without a dynamic libc, which LD_PRELOAD cannot reach.
pub fn guest_static_c_program(source: &str, libc: StaticLibc) -> Result<PathBuf, Skip> {
    let (cc, tag) = match libc {
        StaticLibc::Musl => (need_tool("musl-gcc", "musl-tools")?, "musl"),
        StaticLibc::Glibc => (need_tool("gcc", "gcc")?, "glibc"),
    };
    let (src, out) = guest_source(source, &format!("-static-{tag}"));
    build_once(
        &out,
        &format!("compiling {source} (static, {tag})"),
        Command::new(cc).args(["-static", "-O2", "-Wall", "-Werror", "-pthread", "-o"]).arg(&out).arg(&src),
    );
    Ok(out)
}

/// The `bpfhook` CLI for guests of `kernel`: built with the [`hook_library_for`] it
/// ships with (the glibc 2.17 build beside it on CentOS / RHEL 7).
pub fn bpfhook_cli_for(kernel: &Kernel) -> PathBuf {
    if kernel.is_el7() {
        return hook_library_for(kernel).with_file_name("bpfhook");
    }
    workspace_binary("bpfhook-cli", "bpfhook")
}

/// Run `cmd` to build `out`, once per test process. Tests run in parallel threads and
/// share output paths: rebuilding would rewrite a file another test is copying into its
/// initramfs at that moment. Panics with the build log on failure.
fn build_once(out: &Path, what: &str, cmd: &mut Command) {
    static BUILT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if built.iter().any(|p| p == out) {
        return;
    }
    run_logged(cmd, what).unwrap_or_else(|e| panic!("{e}"));
    built.push(out.to_path_buf());
}

/// Debian's OpenJDK 17 (its libjvm.so carries the hotspot USDT probes javagc attaches to).
const DEBIAN_JDK: &str = "/usr/lib/jvm/java-17-openjdk-amd64";

/// A Java runtime for the guest: Debian's OpenJDK cut down by jlink to java.base (34 MB
/// instead of 260), plus `tests/guest/java/Gc.java` compiled. Returns (runtime dir, class
/// dir); they go to /opt/jre and /opt/javagc.
pub fn guest_java_runtime() -> Result<(PathBuf, PathBuf), Skip> {
    static BUILT: OnceLock<Result<(PathBuf, PathBuf), Skip>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let jdk = Path::new(DEBIAN_JDK);
            if !jdk.join("bin/jlink").exists() {
                return Err(Skip(format!("{DEBIAN_JDK}/bin/jlink not found (apt-get install openjdk-17-jdk-headless)")));
            }
            let (jre, classes) = (work_dir().join("jre"), work_dir().join("javagc"));
            let _ = std::fs::remove_dir_all(&jre); // jlink refuses an existing output directory
            run_logged(
                Command::new(jdk.join("bin/jlink"))
                    .args(["--add-modules", "java.base", "--strip-debug", "--no-man-pages", "--no-header-files", "--output"])
                    .arg(&jre),
                "jlink (java.base runtime)",
            )
            .unwrap_or_else(|e| panic!("{e}"));
            run_logged(
                Command::new(jdk.join("bin/javac")).arg("-d").arg(&classes).arg(repo_root().join("tests/guest/java/Gc.java")),
                "javac Gc.java",
            )
            .unwrap_or_else(|e| panic!("{e}"));
            Ok((jre, classes))
        })
        .clone()
}

/// Every regular file under `dir`, as (path, path relative to `dir`).
pub fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())).flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.is_file() {
                let rel = p.strip_prefix(dir).expect("under dir").display().to_string();
                out.push((p, rel));
            }
        }
    }
    out
}

/// A small libbpf program from `tests/guest/<dir>/`: `<name>.bpf.c` compiled with clang
/// for BPF (-g -O2; plain UAPI headers, no vmlinux.h, so one object serves every
/// kernel) and its loader `<name>_test.c` linked against Debian's static libbpf.a.
/// Returns (loader, object). Panics on compiler errors; skips without clang/libbpf-dev.
pub fn guest_bpf_program(dir: &str, name: &str) -> Result<(PathBuf, PathBuf), Skip> {
    need_tool("clang", "clang")?;
    need_tool("gcc", "gcc")?;
    let libbpf = Path::new("/usr/lib/x86_64-linux-gnu/libbpf.a");
    if !libbpf.exists() || !Path::new("/usr/include/bpf/libbpf.h").exists() {
        return Err(Skip("libbpf-dev missing (apt-get install libbpf-dev)".into()));
    }
    let src = repo_root().join("tests/guest").join(dir);
    let out = work_dir().join(dir);
    std::fs::create_dir_all(&out).expect("create guest program dir");
    let obj = out.join(format!("{name}.bpf.o"));
    build_once(
        &obj,
        &format!("compiling {dir}/{name}.bpf.c"),
        Command::new("clang")
            .args(["-g", "-O2", "-Wall", "-Werror", "-target", "bpf", "-D__TARGET_ARCH_x86"])
            .args(["-I/usr/include/x86_64-linux-gnu", "-c", "-o"])
            .arg(&obj)
            .arg(src.join(format!("{name}.bpf.c"))),
    );
    let loader = out.join(format!("{name}_test"));
    build_once(
        &loader,
        &format!("compiling {dir}/{name}_test.c"),
        Command::new("gcc")
            .args(["-O2", "-Wall", "-Werror", "-I"])
            .arg(&src)
            .arg("-o")
            .arg(&loader)
            .arg(src.join(format!("{name}_test.c")))
            .arg(libbpf)
            .args(["-lelf", "-lz"]),
    );
    Ok((loader, obj))
}

/// Compile a BPF object from `tests/guest/` (`dir/name.bpf.c` → `name.bpf.o`) with
/// clang against Debian's libbpf-dev headers. Panics on compiler errors; skips without clang.
pub fn guest_bpf_object(source: &str) -> Result<PathBuf, Skip> {
    need_tool("clang", "clang")?;
    need_libbpf_dev_file("/usr/include/bpf/bpf_helpers.h")?;
    let (src, out) = guest_source(source, ".o");
    build_once(
        &out,
        &format!("compiling BPF object {source}"),
        Command::new("clang")
            .args(["-O2", "-g", "-Wall", "-Werror", "-target", "bpf", "-D__TARGET_ARCH_x86"])
            .arg("-I/usr/include/x86_64-linux-gnu")
            .arg("-c")
            .arg(&src)
            .arg("-o")
            .arg(&out),
    );
    Ok(out)
}

/// Compile a libbpf loader from `tests/guest/` with Debian's libbpf-dev, libbpf linked
/// statically as in Debian's libbpf-tools (libelf and zlib come from the initramfs).
pub fn guest_libbpf_program(source: &str) -> Result<PathBuf, Skip> {
    need_tool("gcc", "gcc")?;
    need_libbpf_dev_file("/usr/lib/x86_64-linux-gnu/libbpf.a")?;
    let (src, out) = guest_source(source, "");
    build_once(
        &out,
        &format!("compiling libbpf program {source}"),
        Command::new("gcc").args(["-O2", "-Wall", "-Werror", "-o"]).arg(&out).arg(&src).args([
            "-Wl,-Bstatic",
            "-lbpf",
            "-Wl,-Bdynamic",
            "-lelf",
            "-lz",
        ]),
    );
    Ok(out)
}

/// A host tool (e.g. Debian's `execsnoop`) to copy into the guest at the same path.
pub fn host_tool(name: &str, package: &str) -> Result<PathBuf, Skip> {
    need_tool(name, package)
}

/// A guest to boot: kernel, files, and a busybox-sh test body.
#[derive(Clone, Debug)]
pub struct Guest {
    name: String,
    kernel: Kernel,
    bins: Vec<(PathBuf, String)>,
    files: Vec<(PathBuf, String)>,
    trees: Vec<(PathBuf, String)>,
    body: String,
    timeout: Duration,
    disk: Option<PathBuf>,
    /// Guest memory in MiB (run-guest.sh's default, 1024, when None).
    memory: Option<u32>,
    /// Extra kernel command line (after `$BPFCOMPAT_APPEND`).
    append: Vec<String>,
    /// vCPUs (run-guest.sh's default, 2, when None).
    smp: Option<u32>,
    /// QEMU's `-icount shift=N`: the guest clock counts 2^N ns per guest instruction, so
    /// timings are instruction counts, the same from run to run whatever the host load.
    icount_shift: Option<u32>,
    single_tcg_thread: bool,
}

impl Guest {
    /// `name` names the serial log: `target/guest/logs/<name>.log`.
    pub fn new(name: &str, kernel: &Kernel) -> Guest {
        let timeout = std::env::var("BPFCOMPAT_GUEST_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
        Guest {
            name: name.to_string(),
            kernel: kernel.clone(),
            bins: Vec::new(),
            files: vec![(repo_root().join("tests/guest/lib.sh"), "/bpfcompat/lib.sh".into())],
            trees: Vec::new(),
            body: String::new(),
            timeout: Duration::from_secs(timeout),
            disk: None,
            memory: None,
            append: Vec::new(),
            smp: None,
            icount_shift: None,
            single_tcg_thread: kernel.single_tcg_thread,
        }
    }

    /// An executable at the same path in the guest, with its shared libraries.
    pub fn binary(self, path: impl AsRef<Path>) -> Guest {
        let p = path.as_ref();
        let dst = p.to_string_lossy().into_owned();
        self.binary_at(p, &dst)
    }

    /// An executable installed at `dst`, with its shared libraries.
    pub fn binary_at(mut self, path: impl AsRef<Path>, dst: &str) -> Guest {
        self.bins.push((path.as_ref().to_path_buf(), dst.to_string()));
        self
    }

    /// Any file installed at `dst` (shared objects bring their libraries).
    pub fn file(mut self, src: impl AsRef<Path>, dst: &str) -> Guest {
        self.files.push((src.as_ref().to_path_buf(), dst.to_string()));
        self
    }

    /// A whole directory installed at `dst` (links followed; no libraries added).
    pub fn tree(mut self, src: impl AsRef<Path>, dst: &str) -> Guest {
        self.trees.push((src.as_ref().to_path_buf(), dst.to_string()));
        self
    }

    /// `bpfdrv.ko` at [`GUEST_MODULE`] (the body loads it with `insmod $MODULE`).
    pub fn with_module(self, ko: impl AsRef<Path>) -> Guest {
        self.file(ko, GUEST_MODULE)
    }

    /// `libbpfhook.so` at [`GUEST_HOOK`] and the kernel's offline BTF at the hook's default
    /// path, `/var/lib/bpfhook/btf/<release>.btf` (the guest has no /sys/kernel/btf).
    pub fn with_hook(self, so: impl AsRef<Path>) -> Guest {
        if self.kernel.native_bpf {
            // The stock kernel serves its own BTF in /sys/kernel/btf/vmlinux.
            return self.file(so, GUEST_HOOK);
        }
        let btf = self.kernel.btf.clone();
        let dst = format!("/var/lib/bpfhook/btf/{}.btf", self.kernel.release);
        self.file(so, GUEST_HOOK).file(btf, &dst)
    }

    /// What [`BpfSide`] needs on the kernel's side: nothing natively; the hook (for this
    /// kernel's glibc) and the bpfdrv.ko built for this kernel on a kernel without bpf(2).
    pub fn serving_bpf(self) -> Guest {
        if self.kernel.native_bpf {
            return self;
        }
        let (hook, module) = (hook_library_for(&self.kernel), bpfdrv_module(&self.kernel));
        self.with_hook(hook).with_module(module)
    }

    /// Coreutils' `stdbuf` and its preload library, so a tool writing to a file can be
    /// made line-buffered (`stdbuf -oL tool`) and polled while it runs.
    pub fn with_stdbuf(self) -> Guest {
        let g = match which("stdbuf") {
            Some(p) => self.binary_at(p, "/usr/bin/stdbuf"),
            None => self,
        };
        let lib = Path::new("/usr/libexec/coreutils/libstdbuf.so");
        if lib.exists() {
            g.file(lib, "/usr/libexec/coreutils/libstdbuf.so")
        } else {
            g
        }
    }

    /// The test body: a busybox sh script (start it with `. /bpfcompat/lib.sh`).
    pub fn body(mut self, script: &str) -> Guest {
        self.body = script.to_string();
        self
    }

    /// A raw disk image attached as a virtio disk (`/dev/vda` in the guest).
    pub fn disk(mut self, image: impl AsRef<Path>) -> Guest {
        self.disk = Some(image.as_ref().to_path_buf());
        self
    }

    /// Guest memory in MiB, for big initramfs images (bpftrace and its LLVM).
    pub fn memory(mut self, mib: u32) -> Guest {
        self.memory = Some(mib);
        self
    }

    /// One more kernel command-line argument for this boot (e.g. `slub_debug=FZPU`).
    pub fn kernel_arg(mut self, arg: &str) -> Guest {
        self.append.push(arg.to_string());
        self
    }

    /// The number of vCPUs.
    pub fn smp(mut self, cpus: u32) -> Guest {
        self.smp = Some(cpus);
        self
    }

    /// Deterministic timing (benchmarks): one vCPU whose clock advances 2^shift ns per
    /// guest instruction (QEMU needs a single vCPU thread for it).
    pub fn icount(mut self, shift: u32) -> Guest {
        self.icount_shift = Some(shift);
        self.smp(1)
    }

    /// All vCPUs on one host thread (TCG): for guests that arm and disarm kprobes on code
    /// another vCPU is running, which QEMU 7.2's multi-threaded TCG can keep executing
    /// stale (scripts/run-guest.sh says more).
    pub fn single_tcg_thread(mut self) -> Guest {
        self.single_tcg_thread = true;
        self
    }

    pub fn timeout(mut self, d: Duration) -> Guest {
        self.timeout = d;
        self
    }

    /// Build the initramfs and boot; returns the run whatever happened in it.
    pub fn boot(self) -> GuestRun {
        let dir = work_dir();
        let body = dir.join(format!("{}.body.sh", self.name));
        std::fs::write(&body, &self.body).expect("write body");
        let image = dir.join(format!("{}.cpio", self.name));
        let mut mk = Command::new(repo_root().join("scripts/make-initramfs.sh"));
        mk.arg(&image);
        for (src, dst) in &self.bins {
            mk.arg("--bin").arg(format!("{}:{dst}", src.display()));
        }
        for (src, dst) in &self.files {
            mk.arg("--file").arg(format!("{}:{dst}", src.display()));
        }
        for (src, dst) in &self.trees {
            mk.arg("--tree").arg(format!("{}:{dst}", src.display()));
        }
        mk.arg("--body").arg(&body);
        run_logged(&mut mk, &format!("initramfs for {}", self.name)).unwrap_or_else(|e| panic!("{e}"));

        // One guest at a time: two TCG guests on two cores would only slow each other down.
        static BOOT: Mutex<()> = Mutex::new(());
        let _one = BOOT.lock().unwrap_or_else(|e| e.into_inner());
        let start = Instant::now();
        let (mut log, mut status) = self.run_qemu(&image);
        // A guest that never reached /init (no start line in the whole timeout) stalled in
        // QEMU or the kernel's early boot, before anything under test ran: seen once on a
        // loaded CI host with the stock kernel. It gets one more boot, and says so.
        if status.code() == Some(124) && !log.contains("BPFCOMPAT-GUEST-START") {
            note(format!("{}: the guest never reached /init in {}s; booting it once more", self.name, self.timeout.as_secs()));
            (log, status) = self.run_qemu(&image);
        }
        let elapsed = start.elapsed();
        let log_path = dir.join("logs").join(format!("{}.log", self.name));
        let _ = std::fs::write(&log_path, &log);
        let run = GuestRun {
            name: self.name.clone(),
            body_status: parse_exit(&log),
            timed_out: status.code() == Some(124),
            runner_status: status.code(),
            elapsed,
            log_path,
            log,
        };
        note(format!(
            "{}: guest ran {:.1}s, body status {:?}{}; serial log in {}",
            run.name,
            elapsed.as_secs_f64(),
            run.body_status,
            if run.timed_out { ", TIMED OUT" } else { "" },
            run.log_path.display()
        ));
        run
    }

    /// One QEMU boot of `image`: the serial log (plus run-guest.sh's stderr) and its status.
    fn run_qemu(&self, image: &Path) -> (String, std::process::ExitStatus) {
        note(format!("booting {} (timeout {}s)", self.name, self.timeout.as_secs()));
        let mut child = Command::new(repo_root().join("scripts/run-guest.sh"))
            .arg(&self.kernel.dir)
            .arg(image)
            .arg(self.timeout.as_secs().to_string())
            .env("BPFCOMPAT_DISK", self.disk.as_deref().unwrap_or(Path::new("")))
            .env(
                "BPFCOMPAT_APPEND",
                std::env::var("BPFCOMPAT_APPEND").into_iter().chain(self.append.iter().cloned()).collect::<Vec<_>>().join(" "),
            )
            .env(
                "BPFCOMPAT_MEM",
                self.memory.map_or_else(|| std::env::var("BPFCOMPAT_MEM").unwrap_or_else(|_| "1024".into()), |m| m.to_string()),
            )
            .env("BPFCOMPAT_SMP", self.smp.map_or_else(|| std::env::var("BPFCOMPAT_SMP").unwrap_or_else(|_| "2".into()), |n| n.to_string()))
            .env("BPFCOMPAT_ICOUNT", self.icount_shift.map(|n| n.to_string()).unwrap_or_default())
            .env("BPFCOMPAT_TCG_SINGLE_THREAD", if self.single_tcg_thread { "1" } else { "" })
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run scripts/run-guest.sh");
        let stream = std::env::var_os("BPFCOMPAT_GUEST_STREAM").is_some();
        let stderr = child.stderr.take().expect("stderr");
        let err_thread = std::thread::spawn(move || {
            let mut s = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                s.push_str(&line);
                s.push('\n');
            }
            s
        });
        let mut log = String::new();
        let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf).replace('\r', "");
                    if stream {
                        let _ = std::io::stderr().write_all(format!("[{}] {line}", self.name).as_bytes());
                    }
                    log.push_str(&line);
                }
            }
        }
        let status = child.wait().expect("wait for run-guest.sh");
        let errs = err_thread.join().unwrap_or_default();
        if !errs.is_empty() {
            log.push_str("---- run-guest.sh stderr ----\n");
            log.push_str(&errs);
        }
        (log, status)
    }
}

fn parse_exit(log: &str) -> Option<i32> {
    log.lines().rev().find_map(|l| {
        let rest = &l[l.find(EXIT_MARKER)? + EXIT_MARKER.len()..];
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// What a boot produced: the serial log and what `/init` reported.
#[derive(Clone, Debug)]
pub struct GuestRun {
    pub name: String,
    /// The whole serial console output (kernel messages, body output, markers).
    pub log: String,
    pub log_path: PathBuf,
    /// The body's exit status (from the `/init` end marker); None if the guest never got there.
    pub body_status: Option<i32>,
    pub timed_out: bool,
    pub runner_status: Option<i32>,
    pub elapsed: Duration,
}

impl GuestRun {
    /// Panic with `msg` and the full serial log.
    #[track_caller]
    pub fn fail(&self, msg: impl fmt::Display) -> ! {
        panic!(
            "\n{msg}\n(guest `{}`, {:.1}s, body status {:?}{}, log saved to {})\n\
             ======== serial log of guest `{}` ========\n{}\n======== end of serial log ========\n",
            self.name,
            self.elapsed.as_secs_f64(),
            self.body_status,
            if self.timed_out { ", TIMED OUT" } else { "" },
            self.log_path.display(),
            self.name,
            self.log.trim_end()
        )
    }

    /// The guest reached the end of `/init` (no timeout, no panic before the marker).
    #[track_caller]
    pub fn assert_completed(&self) {
        if self.timed_out {
            self.fail("the guest timed out: it did not power off in time");
        }
        if self.body_status.is_none() {
            self.fail("the guest never printed its end marker (kernel panic or early crash?)");
        }
    }

    /// No BUG/Oops/WARNING/Call Trace in the serial log or in the guest's dmesg.
    #[track_caller]
    pub fn assert_kernel_clean(&self) {
        for p in KERNEL_BUG_PATTERNS {
            if self.log.contains(p) {
                self.fail(format!("the kernel log contains {p:?}"));
            }
        }
        if !self.log.contains("BPFCOMPAT-GUEST-DMESG-CLEAN") {
            self.fail("/init did not report a clean dmesg");
        }
    }

    /// Completed, body exited 0, kernel clean.
    #[track_caller]
    pub fn assert_clean_exit(&self) {
        self.assert_completed();
        self.assert_kernel_clean();
        if self.body_status != Some(0) {
            self.fail(format!("the test body exited with status {:?}", self.body_status));
        }
    }

    #[track_caller]
    pub fn assert_contains(&self, needle: &str) {
        if !self.log.contains(needle) {
            self.fail(format!("the serial log does not contain {needle:?}"));
        }
    }

    /// `result KEY VALUE` lines printed by the body (the last one wins).
    pub fn value(&self, key: &str) -> Option<String> {
        let prefix = format!("BPFCOMPAT-RESULT {key}=");
        self.log.lines().rev().find_map(|l| Some(l[l.find(&prefix)? + prefix.len()..].trim().to_string()))
    }

    /// On a kernel without bpf(2), a [`BpfSide`] body's module loaded and unloaded: the
    /// program's exit left no object behind. Nothing to check natively.
    #[track_caller]
    pub fn assert_module_cycle(&self, kernel: &Kernel) {
        if !kernel.native_bpf {
            self.assert_value("insmod", "0", &format!("{}: insmod bpfdrv.ko", self.name));
            self.assert_value("rmmod", "0", &format!("{}: rmmod bpfdrv after the program exited (no object leaked)", self.name));
        }
    }

    /// Assert that `result KEY ...` was printed with `want`.
    #[track_caller]
    pub fn assert_value(&self, key: &str, want: &str, what: &str) {
        match self.value(key) {
            Some(v) if v == want => {}
            Some(v) => self.fail(format!("{what}: {key} = {v:?}, expected {want:?}")),
            None => self.fail(format!("{what}: the body never reported {key}")),
        }
    }

    /// The text a body printed with `show NAME FILE` (None if absent).
    pub fn section(&self, name: &str) -> Option<String> {
        let begin = format!("==== BEGIN {name} ====\n");
        let end = format!("==== END {name} ====");
        let start = self.log.find(&begin)? + begin.len();
        let len = self.log[start..].find(&end)?;
        Some(self.log[start..start + len].to_string())
    }

    /// Like [`section`](Self::section) but fails when it is missing.
    #[track_caller]
    pub fn expect_section(&self, name: &str) -> String {
        self.section(name).unwrap_or_else(|| self.fail(format!("the body did not show `{name}`")))
    }

    /// The lines of section `name` of a native run (the oracle), which must include every
    /// line of `facts`: without them the oracle itself is broken.
    #[track_caller]
    pub fn oracle_lines(&self, name: &str, facts: &[&str]) -> Vec<String> {
        let lines: Vec<String> = self.expect_section(name).lines().map(str::to_string).collect();
        for fact in facts {
            if !lines.iter().any(|l| l == fact) {
                self.fail(format!("the native run lacks `{fact}`: the oracle itself is broken"));
            }
        }
        lines
    }

    /// Fail unless section `name` has exactly the oracle's lines `want` (from
    /// [`oracle_lines`](Self::oracle_lines)); `what` names this run in the failure.
    #[track_caller]
    pub fn assert_same_lines(&self, name: &str, want: &[String], what: &str) {
        let got: Vec<String> = self.expect_section(name).lines().map(str::to_string).collect();
        if want != got.as_slice() {
            self.fail(format!("{what} differs from native eBPF:\n  native: {want:#?}\n  shim:   {got:#?}"));
        }
        println!("{what}: {} lines identical to native eBPF", want.len());
    }

    /// The lines of section `name` that start with `prefix`.
    #[track_caller]
    pub fn section_lines(&self, name: &str, prefix: &str) -> Vec<String> {
        self.expect_section(name).lines().filter(|l| l.starts_with(prefix)).map(str::to_string).collect()
    }

    /// Fail unless `got` is the stock kernel's `want`, line for line: the failure is `what`
    /// with both counts and each line that differs, the stock kernel's above this run's.
    #[track_caller]
    pub fn assert_lines_as_stock(&self, want: &[String], got: &[String], what: &str) {
        if got != want {
            let diff: Vec<String> = want
                .iter()
                .zip(got.iter().chain(std::iter::repeat(&String::new())))
                .filter(|(w, g)| w != g)
                .map(|(w, g)| format!("  stock: {w}\n  shim:  {g}"))
                .collect();
            self.fail(format!("{what} ({} vs {} lines):\n{}", want.len(), got.len(), diff.join("\n")));
        }
    }

    /// Fail unless each result `keys` names is the one of `native`, the stock kernel's run,
    /// which must have it: the failure is `what` with each result that differs.
    #[track_caller]
    pub fn assert_values_as_stock<K: AsRef<str>>(&self, native: &GuestRun, keys: &[K], what: &str) {
        let mut diffs = Vec::new();
        for k in keys.iter().map(AsRef::as_ref) {
            let (a, b) = (native.value(k), self.value(k));
            if a.is_none() || a != b {
                diffs.push(format!("  {k}: stock {a:?}, shim {b:?}"));
            }
        }
        if !diffs.is_empty() {
            self.fail(format!("{what}:\n{}", diffs.join("\n")));
        }
    }

    /// Fail when the serial log holds one of `reports`, with `what` the report means.
    #[track_caller]
    pub fn assert_not_reported(&self, reports: &[&str], what: impl Fn(&str) -> String) {
        if let Some(p) = reports.iter().find(|p| self.log.contains(*p)) {
            self.fail(what(p));
        }
    }

    /// Fail unless some line of section `name` contains every one of `parts`.
    #[track_caller]
    pub fn assert_line(&self, name: &str, parts: &[&str], what: &str) {
        let text = self.expect_section(name);
        if !text.lines().any(|l| parts.iter().all(|p| l.contains(p))) {
            self.fail(format!("{what}: no line of `{name}` contains all of {parts:?}"));
        }
    }
}
