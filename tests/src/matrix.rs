//! The compatibility matrix: Debian's libbpf-tools run unmodified on the kernel without
//! bpf(2) (under `libbpfhook.so` + `bpfdrv.ko`) and natively on Debian's stock kernel (the
//! oracle), each with a workload that makes it report something; the two outputs are
//! compared and `docs/compat-matrix.md` is generated from the verdicts.
//!
//! One tool run is a section of a guest's serial log (`tests/guest/matrix.sh`, `run_tool`);
//! many tools share one boot. A tool that kills the guest is marked and the rest of its
//! batch re-runs in a fresh boot.
//!
//! The comparison: every expectation of the tool (a set of substrings that must appear
//! together on one line of its stdout: the workload's marker, its comm, a histogram bucket
//! with stars, ...) must hold natively; the tool passes under the shim when the same
//! expectations hold there too, its header line is identical and it exits as it does
//! natively after SIGINT. Counts and latencies are timing-dependent (TCG, two CPUs, other
//! load), so they are not compared beyond "the workload's events are there"; a tool
//! whose events these guests cannot produce (no NUMA, no memory pressure) is marked
//! "attach only" and passes when it loads, attaches and exits like the native one.

use crate::guest::{self, Guest, GuestRun, Kernel};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// One libbpf-tool: how to run it, what makes it report, what must appear.
#[derive(Clone, Copy, Debug)]
pub struct Tool {
    pub name: &'static str,
    /// Command-line arguments (space separated; no shell quoting needed).
    pub args: &'static str,
    /// Shell run while the tool is attached (functions of `tests/guest/matrix.sh` available).
    pub workload: &'static str,
    /// Seconds to wait after the workload before SIGINT (interval tools print on exit).
    pub settle: u32,
    /// Each entry: substrings that must all appear on one stdout line.
    pub expect: &'static [&'static [&'static str]],
    /// Substring of the header line, which must be identical under the shim and natively.
    pub header: Option<&'static str>,
    /// These guests cannot produce the tool's events: only load/attach/exit is compared.
    pub attach_only: Option<&'static str>,
    /// Not applicable in these guests at all (the tool is not run): why.
    pub not_applicable: Option<&'static str>,
    /// Prints nothing before Ctrl-C: "attached" is when its fd count settles.
    pub quiet: bool,
    /// Shell run before the tool starts, for tools that trace one process: it starts the
    /// process and sets `$MTX_PID`, which `args` may name and `{pid}` in `expect` stands for.
    pub setup: &'static str,
    /// On CentOS 7.9, where 3.10 itself reports the workload differently: the lines
    /// expected there instead of `expect`, and why (shown in the report).
    pub centos7_expect: Option<(&'static [&'static [&'static str]], &'static str)>,
}

const T: Tool = Tool {
    name: "",
    args: "",
    workload: ":",
    settle: 2,
    expect: &[],
    header: None,
    attach_only: None,
    not_applicable: None,
    quiet: false,
    setup: "",
    centos7_expect: None,
};

const EXT4: &str = "ext4_io";
const HIST: &[&str] = &["|*"];

/// Debian's libbpf-tools (0.26): every binary in /usr/sbin of the package.
pub const TOOLS: &[Tool] = &[
    Tool { name: "bashreadline", workload: "echo 'echo mtx-readline-marker' | /bin/bash -i", expect: &[&["mtx-readline-marker"]], header: Some("COMMAND"), ..T },
    Tool { name: "bindsnoop", workload: "/bpfcompat/matrix_load tcp 4101 1", expect: &[&["matrix_load", "4101"]], header: Some("PORT"), ..T },
    Tool { name: "biolatency", workload: EXT4, expect: &[&["usecs"], HIST], ..T },
    Tool { name: "biopattern", workload: EXT4, expect: &[&["vda"]], header: Some("DISK"), ..T },
    Tool { name: "biosnoop", workload: EXT4, expect: &[&["vda"]], header: Some("DISK"), ..T },
    Tool { name: "biostacks", workload: EXT4, expect: &[&["vda"], HIST], ..T },
    Tool { name: "biotop", args: "-C", workload: EXT4, expect: &[&["vda"]], ..T },
    Tool { name: "bitesize", workload: EXT4, expect: &[&["Kbytes"], HIST], ..T },
    Tool { name: "cachestat", args: "1", workload: EXT4, expect: &[&["HITS", "MISSES"], &["%"]], header: Some("HITS"), ..T },
    Tool { name: "capable", workload: "touch /tmp/mtx-cap; chown 65534 /tmp/mtx-cap", expect: &[&["chown", "CAP_CHOWN"]], header: Some("CAP"), ..T },
    Tool { name: "cpudist", workload: "sched_load", expect: &[&["usecs"], HIST], ..T },
    Tool { name: "cpufreq", args: "-d 3", workload: "sched_load", expect: &[&["MHz"], HIST], ..T },
    Tool { name: "drsnoop", attach_only: Some("direct reclaim needs memory pressure, which the guests do not produce"), header: Some("COMM"), ..T },
    Tool { name: "execsnoop", workload: "/bin/busybox true mtx-exec-marker", expect: &[&["busybox", "mtx-exec-marker"]], header: Some("PCOMM"), ..T },
    Tool { name: "exitsnoop", workload: "/bin/busybox sh -c 'exit 7'", expect: &[&["busybox", "code 7"]], header: Some("PCOMM"), ..T },
    Tool { name: "filelife", workload: "echo x > /tmp/mtx-life; usleep 200000; rm /tmp/mtx-life", expect: &[&["mtx-life"]], header: Some("FILE"), ..T },
    Tool { name: "filetop", args: "-C", workload: "tmpfs_io", expect: &[&["mtx-tmpfs"]], ..T },
    Tool { name: "fsdist", args: "-t ext4", workload: EXT4, expect: &[&["operation"], HIST], ..T },
    Tool { name: "fsslower", args: "-t ext4 -m 0", workload: EXT4, expect: &[&["mtx-file"]], header: Some("FILENAME"), ..T },
    Tool { name: "funclatency", args: "vfs_read", workload: "tmpfs_io", expect: &[&["nsec"], HIST], ..T },
    Tool { name: "gethostlatency", workload: "/bpfcompat/matrix_load gai localhost", expect: &[&["matrix_load", "localhost"]], header: Some("HOST"), ..T },
    Tool { name: "hardirqs", workload: "ext4_io; /bpfcompat/matrix_load tcp 4102 2", expect: &[&["HARDIRQ"], &["virtio"]], ..T },
    // USDT: Debian's OpenJDK has hotspot:gc__begin/end probes (no semaphores) in libjvm.so.
    Tool { name: "javagc", setup: "start_java", args: "-p $MTX_PID", workload: "sleep 2; stop_java", expect: &[&["{pid}"]], header: Some("GC TIME"), ..T },
    Tool { name: "klockstat", workload: "tmpfs_io; sched_load", expect: &[&["Caller"], &["mutex"]], ..T },
    Tool { name: "ksnoop", args: "trace do_unlinkat", workload: "touch /tmp/mtx-ks; rm /tmp/mtx-ks", expect: &[&["do_unlinkat"]], ..T },
    Tool { name: "llcstat", workload: "sched_load", expect: &[&["PID"], &["matrix_load"]], ..T },
    Tool { name: "mdflush", not_applicable: Some("needs an md RAID device (none in the guests)"), ..T },
    Tool { name: "mountsnoop", workload: "mkdir -p /tmp/mtx-mnt; mount -t tmpfs mtxfs /tmp/mtx-mnt; umount /tmp/mtx-mnt", expect: &[&["mtx-mnt"]], ..T },
    Tool { name: "numamove", attach_only: Some("no NUMA balancing in a one-node guest: it reports zero migrations"), ..T },
    Tool { name: "offcputime", workload: "sched_load", expect: &[&["-", "matrix_load ("]], quiet: true, ..T },
    Tool { name: "oomkill", workload: "oom_victim", expect: &[&["Triggered by PID", "OOM kill of PID"]], ..T },
    Tool { name: "opensnoop", workload: "cat /tmp/mtx-open-marker", expect: &[&["cat", "/tmp/mtx-open-marker"]], header: Some("PATH"), ..T },
    Tool { name: "readahead", workload: EXT4, expect: &[&["Readahead"], HIST], ..T },
    Tool { name: "runqlat", workload: "sched_load", expect: &[&["usecs"], HIST], ..T },
    Tool { name: "runqlen", workload: "sched_load", expect: &[&["runqlen"], HIST], ..T },
    Tool { name: "runqslower", args: "100", workload: "sched_load", expect: &[&["matrix_load"]], header: Some("LAT"), ..T },
    Tool { name: "sigsnoop", workload: "sig_load", expect: &[&["28"]], header: Some("SIG"), ..T },
    Tool {
        name: "slabratetop",
        args: "-C",
        workload: "tmpfs_io",
        expect: &[&["CACHE", "ALLOCS"], &["names_cache"]],
        centos7_expect: Some((
            &[&["CACHE", "ALLOCS"], &["kmalloc-4096"]],
            "3.10's SLUB merges names_cache (4096 bytes, no constructor) into kmalloc-4096, so the path-name allocations of the workload are counted under that name, natively too",
        )),
        ..T
    },
    Tool { name: "softirqs", workload: "ext4_io; /bpfcompat/matrix_load tcp 4103 2", expect: &[&["SOFTIRQ"], &["timer"]], ..T },
    Tool { name: "solisten", workload: "/bpfcompat/matrix_load tcp 4104 1", expect: &[&["matrix_load", "4104"]], header: Some("PORT"), ..T },
    // Debian's 0.26 build checks for .../events/syscalls/statfs/format (not sys_enter_statfs)
    // before loading each program, so it disables all of them on every kernel: checked natively
    // on the 6.18 host with debugfs mounted (strace shows the five failing access() calls).
    Tool { name: "statsnoop", not_applicable: Some("the tool disables all its programs on every kernel: Debian's 0.26 build probes events/syscalls/<name>/format instead of sys_enter_<name>, so it never reports anything natively either"), ..T },
    Tool { name: "syscount", workload: "tmpfs_io", expect: &[&["SYSCALL", "COUNT"], &["read"]], ..T },
    Tool { name: "tcpconnect", workload: "/bpfcompat/matrix_load tcp 4105 2", expect: &[&["matrix_load", "4105"]], header: Some("DPORT"), ..T },
    Tool { name: "tcpconnlat", workload: "/bpfcompat/matrix_load tcp 4106 2", expect: &[&["matrix_load", "4106"]], header: Some("LAT"), ..T },
    Tool { name: "tcplife", workload: "/bpfcompat/matrix_load tcp 4107 2", expect: &[&["matrix_load", "4107"]], header: Some("RPORT"), ..T },
    Tool { name: "tcprtt", workload: "/bpfcompat/matrix_load tcp 4108 3", expect: &[HIST], ..T },
    Tool { name: "tcpstates", workload: "/bpfcompat/matrix_load tcp 4109 2", expect: &[&["4109", "ESTABLISHED"]], header: Some("NEWSTATE"), ..T },
    Tool { name: "tcpsynbl", workload: "/bpfcompat/matrix_load tcp 4110 3", expect: &[&["backlog"], HIST], ..T },
    Tool { name: "tcptop", args: "-C", workload: "/bpfcompat/matrix_load tcp 4111 3", expect: &[&["4111"]], ..T },
    Tool { name: "tcptracer", workload: "/bpfcompat/matrix_load tcp 4112 2", expect: &[&["matrix_load", "4112"]], header: Some("DPORT"), ..T },
    Tool { name: "vfsstat", args: "1 4", workload: "tmpfs_io", expect: &[&["READ/s"]], header: Some("READ/s"), ..T },
    Tool { name: "wakeuptime", workload: "sched_load", expect: &[&["target"]], ..T },
    Tool { name: "btrfsdist", workload: "btrfs_io", expect: &[&["operation"], HIST], ..T },
    Tool { name: "btrfsslower", args: "-m 0", workload: "btrfs_io", expect: &[&["mtx-file"]], header: Some("FILENAME"), ..T },
    Tool { name: "ext4dist", workload: EXT4, expect: &[&["operation"], HIST], ..T },
    Tool { name: "ext4slower", args: "-m 0", workload: EXT4, expect: &[&["mtx-file"]], header: Some("FILENAME"), ..T },
    Tool { name: "killsnoop", workload: "sig_load", expect: &[&["28"]], header: Some("SIG"), ..T },
    Tool { name: "nfsdist", not_applicable: Some("needs an NFS mount (no NFS client or server in the guests)"), ..T },
    Tool { name: "nfsslower", not_applicable: Some("needs an NFS mount (no NFS client or server in the guests)"), ..T },
    Tool { name: "xfsdist", workload: "xfs_io", expect: &[&["operation"], HIST], ..T },
    Tool { name: "xfsslower", args: "-m 0", workload: "xfs_io", expect: &[&["mtx-file"]], header: Some("FILENAME"), ..T },
];

/// The fast subset in the default test suite: one boot per kernel, representative tools
/// (syscall, sched, signal, sock and block tracepoints; per-CPU maps; tp_btf, fentry and
/// fexit programs; block_rq_complete, whose arguments 3.10 declares differently).
pub const FAST: &[&str] = &[
    "execsnoop",
    "opensnoop",
    "exitsnoop",
    "killsnoop",
    "syscount",
    "tcpstates",
    "tcplife",
    "biopattern",
    "mountsnoop",
    "runqlat",
    "vfsstat",
    "bitesize",
    "biolatency",
    "fsdist",
    "tcpconnlat",
];

pub fn tool(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|t| t.name == name)
}

/// What one tool run in a guest produced.
#[derive(Clone, Debug, Default)]
pub struct ToolRun {
    pub ready: bool,
    pub exit: String,
    pub load_secs: Option<f64>,
    pub stdout: String,
    pub stderr: String,
    pub workload: String,
    /// A kernel bug line from dmesg during this tool, or the guest died in it.
    pub kernel_problem: Option<String>,
    /// The driver's kernel log lines during this tool (what it refused and why).
    pub driver_log: String,
    /// `$MTX_PID` of the tool's setup (the traced process), if it has one.
    pub pid: Option<String>,
    /// Under the shim: the driver's `prog ...` stats lines while the tool was attached.
    pub progs: String,
}

/// A number of a driver's `prog ...` stats line: `key` is e.g. "runs=".
fn stats_field(line: &str, key: &str) -> Option<u64> {
    line.split_whitespace().find_map(|w| w.strip_prefix(key)).and_then(|v| v.parse::<u64>().ok())
}

/// The kinds of the programs a tool had loaded under the shim, with counts
/// ("fentry ×3, kprobe ×1"), from the driver's stats (type and BPF_TRACE_* attach).
pub fn loaded_kinds(run: &ToolRun) -> String {
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for line in run.progs.lines() {
        let kind = match (stats_field(line, "type="), stats_field(line, "attach=")) {
            (Some(2), _) => "kprobe",
            (Some(5), _) => "tracepoint",
            (Some(7), _) => "perf_event",
            (Some(17), _) => "raw_tp",
            (Some(26), Some(23)) => "tp_btf",
            (Some(26), Some(24)) => "fentry",
            (Some(26), Some(25)) => "fexit",
            _ => "other",
        };
        *kinds.entry(kind).or_default() += 1;
    }
    kinds.iter().map(|(k, n)| format!("{k} ×{n}")).collect::<Vec<_>>().join(", ")
}

/// Took the BTF-typed path (fentry, fexit or tp_btf) under the shim.
pub fn took_btf_path(run: &ToolRun) -> bool {
    let k = loaded_kinds(run);
    k.contains("fentry") || k.contains("fexit") || k.contains("tp_btf")
}

/// A BTF-typed program (type tracing) ran under the shim while the tool was attached:
/// its stats line counts runs > 0 (loaded is not enough: the workload must reach it).
pub fn btf_program_ran(run: &ToolRun) -> bool {
    run.progs.lines().any(|line| stats_field(line, "type=") == Some(26) && stats_field(line, "runs=").is_some_and(|n| n > 0))
}

/// Programs of the tool that ran as native code (jited > 0) while it was attached: (ran,
/// loaded).
pub fn native_programs(run: &ToolRun) -> (usize, usize) {
    let native: Vec<&str> = run.progs.lines().filter(|l| stats_field(l, "jited=").is_some_and(|n| n > 0)).collect();
    (native.iter().filter(|l| stats_field(l, "runs=").is_some_and(|n| n > 0)).count(), native.len())
}

/// The tools' runs on one kernel, by name.
pub type Runs = BTreeMap<String, ToolRun>;

/// Which guest a batch boots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The no-bpf kernel with bpfdrv.ko and the hook.
    Shim,
    /// The stock kernel, native eBPF, no hook.
    Native,
    /// CentOS 7.9's own kernel (3.10.0-1160.el7) with bpfdrv.ko built for it and the hook
    /// (whose auto mode sets RHEL's partial bpf() aside for the driver).
    Centos7,
    /// The no-bpf 6.12 kernel with bpfdrv.ko built for it and the hook.
    Shim612,
    /// Debian's stock 6.12 kernel, native eBPF: Shim612's oracle.
    Native612,
}

impl Side {
    pub const ALL: [Side; 5] = [Side::Shim, Side::Native, Side::Centos7, Side::Shim612, Side::Native612];

    pub fn label(self) -> &'static str {
        match self {
            Side::Shim => "shim",
            Side::Native => "native",
            Side::Centos7 => "centos7",
            Side::Shim612 => "shim-6.12",
            Side::Native612 => "native-6.12",
        }
    }

    pub fn from_label(s: &str) -> Option<Side> {
        Side::ALL.into_iter().find(|x| x.label() == s)
    }

    /// Native eBPF on a stock kernel (no module, no hook).
    pub fn native(self) -> bool {
        matches!(self, Side::Native | Side::Native612)
    }

    /// Runs the tools under the hook with bpfdrv.ko loaded.
    pub fn hooked(self) -> bool {
        !self.native()
    }

    pub fn kernel(self) -> Result<Kernel, guest::Skip> {
        match self {
            Side::Shim => guest::nobpf_kernel(),
            Side::Native => guest::stock_kernel(),
            Side::Centos7 => guest::centos7_kernel(),
            Side::Shim612 => guest::nobpf_kernel_612(),
            Side::Native612 => guest::stock_kernel_612(),
        }
    }

    /// The variable that may name a prebuilt bpfdrv.ko for this side's tree.
    fn module_var(self) -> &'static str {
        match self {
            Side::Centos7 => "BPFCOMPAT_MODULE_CENTOS7",
            Side::Shim612 => "BPFCOMPAT_MODULE_612",
            _ => "BPFCOMPAT_MODULE",
        }
    }
}

/// The guest's virtio disks, fresh (sparse) for every boot, in /dev/vd[a-c] order: ext4,
/// btrfs, XFS. A filesystem whose mkfs is missing gets an empty disk (its tools then fail
/// natively too, and the report says why).
fn disk_images(name: &str, side: Side) -> Vec<PathBuf> {
    // Debian 12's mke2fs defaults to metadata_csum and 64bit, which RHEL 7's 3.10 ext4
    // refuses or only half supports: that side gets the features CentOS 7's own mkfs sets.
    let ext4: &[&str] = if side == Side::Centos7 { &["-q", "-F", "-O", "^metadata_csum,^64bit"] } else { &["-q", "-F"] };
    let mut out = Vec::new();
    for (fs, package, mib, args) in
        [("ext4", "e2fsprogs", 48u64, ext4), ("btrfs", "btrfs-progs", 128, &["-q", "-f"][..]), ("xfs", "xfsprogs", 320, &["-q", "-f"][..])]
    {
        let img = guest::work_dir().join(format!("{name}.{fs}.img"));
        let _ = std::fs::remove_file(&img);
        let made = std::fs::File::create(&img).and_then(|f| f.set_len(mib << 20)).is_ok();
        match guest::need_tool(&format!("mkfs.{fs}"), package) {
            Ok(mkfs) if made => {
                if !Command::new(mkfs).args(args).arg(&img).status().map(|s| s.success()).unwrap_or(false) {
                    guest::note(format!("mkfs.{fs} {} failed", img.display()));
                }
            }
            Ok(_) => {}
            Err(skip) => guest::note(format!("{fs} disk left empty: {}", skip.0)),
        }
        out.push(img);
    }
    out
}

/// Modules the stock kernel needs for the disk (virtio_blk, ext4), in load order, from its
/// unpacked modules directory (no modules.dep there: `modinfo -F depends` per module).
/// Debian's 6.12 ships them xz-compressed, which busybox's insmod cannot read: those are
/// decompressed into the work directory.
pub fn stock_disk_modules(kernel: &Kernel) -> Vec<PathBuf> {
    let dir = kernel.dir.join("modules/kernel");
    let mut all: BTreeMap<String, PathBuf> = BTreeMap::new();
    fn walk(d: &Path, all: &mut BTreeMap<String, PathBuf>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_dir() {
                walk(&p, all);
            } else if let Some(n) = name.strip_suffix(".ko").or_else(|| name.strip_suffix(".ko.xz")) {
                all.insert(n.replace('-', "_"), p);
            }
        }
    }
    walk(&dir, &mut all);
    let mut order: Vec<PathBuf> = Vec::new();
    fn add(name: &str, all: &BTreeMap<String, PathBuf>, order: &mut Vec<PathBuf>) {
        let Some(p) = all.get(&name.replace('-', "_")) else { return };
        if order.contains(p) {
            return;
        }
        let deps = Command::new("modinfo")
            .args(["-F", "depends"])
            .arg(p)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        for d in deps.trim().split(',').filter(|d| !d.is_empty()) {
            add(d, all, order);
        }
        order.push(p.clone());
    }
    // crc32c is requested by name at mount time (no modprobe in the guest): load it first.
    for m in ["crc32c_generic", "virtio_pci", "virtio_blk", "ext4", "btrfs", "xfs"] {
        add(m, &all, &mut order);
    }
    let unpacked = guest::work_dir().join(format!("stock-modules-{}", kernel.release));
    order.into_iter().map(|p| decompressed(&p, &unpacked)).collect()
}

/// `p` itself, or for a `.ko.xz` its decompressed copy in `dir`.
fn decompressed(p: &Path, dir: &Path) -> PathBuf {
    let Some(name) = p.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".xz")) else {
        return p.to_path_buf();
    };
    let out = dir.join(name);
    if !out.exists() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        let xz = Command::new("xz").arg("-dc").arg(p).output().unwrap_or_else(|e| panic!("xz -dc {}: {e}", p.display()));
        assert!(xz.status.success(), "xz -dc {}: {}", p.display(), String::from_utf8_lossy(&xz.stderr));
        std::fs::write(&out, xz.stdout).unwrap_or_else(|e| panic!("write {}: {e}", out.display()));
    }
    out
}

/// Quote each word, except `$VAR` references, which the guest shell expands.
fn shell_words(s: &str) -> String {
    s.split_whitespace().map(|w| if w.starts_with('$') { format!("\"{w}\"") } else { format!("'{w}'") }).collect::<Vec<_>>().join(" ")
}

/// The guest body for a batch of tools (`module_args`: bpfdrv.ko's parameters).
pub fn body(side: Side, tools: &[&Tool], modules: usize, module_args: &str) -> String {
    let mut b = String::from(". /bpfcompat/lib.sh\n. /bpfcompat/matrix.sh\n");
    if side.hooked() {
        b.push_str(&format!("insmod $MODULE {module_args}; result insmod $?\nMATRIX_PRELOAD=\"LD_PRELOAD=$HOOK\"\n"));
    } else {
        for i in 0..modules {
            b.push_str(&format!("insmod /bpfcompat/mods/{i:02}.ko\n"));
        }
        b.push_str("result insmod 0\nMATRIX_PRELOAD=\n");
    }
    b.push_str("matrix_setup\n");
    for t in tools {
        b.push_str(&format!("wl_{}() {{\n{}\n}}\n", t.name, t.workload));
        b.push_str(&format!("MTX_PID=\n{}\n", t.setup));
        b.push_str(&format!("run_tool {} {} {} /usr/sbin/{} {}\n", t.name, t.settle, t.quiet as u8, t.name, shell_words(t.args)));
    }
    b.push_str("umount /mnt/ext4 /mnt/btrfs /mnt/xfs 2>/dev/null\n");
    if side.hooked() {
        b.push_str("rmmod bpfdrv; result rmmod $?\n");
    }
    b
}

/// Parse the sections of a batch's serial log.
pub fn parse(run: &GuestRun, tools: &[&Tool]) -> Runs {
    let mut out = Runs::new();
    for t in tools {
        let n = t.name;
        let Some(exit) = run.value(&format!("{n}.exit")) else { continue };
        out.insert(
            n.to_string(),
            ToolRun {
                ready: run.value(&format!("{n}.ready")).as_deref() == Some("yes"),
                exit,
                load_secs: run.value(&format!("{n}.load_secs")).and_then(|s| s.parse().ok()),
                stdout: run.section(&format!("{n}.stdout")).unwrap_or_default(),
                stderr: run.section(&format!("{n}.stderr")).unwrap_or_default(),
                workload: run.section(&format!("{n}.workload")).unwrap_or_default(),
                kernel_problem: run.section(&format!("{n}.dmesg-problem")).map(|s| s.lines().next().unwrap_or("kernel bug").to_string()),
                driver_log: run.section(&format!("{n}.driver-log")).unwrap_or_default(),
                pid: run.value(&format!("{n}.pid")),
                progs: run.section(&format!("{n}.progs")).unwrap_or_default(),
            },
        );
    }
    out
}

/// Everything one side needs to boot batches.
pub struct Bench {
    pub side: Side,
    pub kernel: Kernel,
    pub hook: PathBuf,
    pub module: Option<PathBuf>,
    pub load: PathBuf,
    pub disk_modules: Vec<PathBuf>,
    /// Serial logs of the boots (for the report and for failures).
    pub logs: Vec<PathBuf>,
    pub boot_secs: f64,
    /// Serial logs are `target/guest/logs/<prefix>-<side>-<n>.log`.
    pub prefix: String,
    /// bpfdrv.ko's parameters on the hooked sides (e.g. `jit=1`).
    pub module_args: &'static str,
}

impl Bench {
    pub fn new(side: Side) -> Result<Bench, guest::Skip> {
        let kernel = side.kernel()?;
        let load = guest::guest_c_program("matrix_load.c")?;
        // $BPFCOMPAT_MODULE ($BPFCOMPAT_MODULE_CENTOS7, _612 for those trees): a prebuilt
        // bpfdrv.ko (scripts/compat-matrix.sh builds the committed tree, not a working tree
        // others may be editing).
        let module = side.hooked().then(|| match std::env::var_os(side.module_var()) {
            Some(p) => PathBuf::from(p),
            None => guest::bpfdrv_module(&kernel),
        });
        let disk_modules = if side.native() { stock_disk_modules(&kernel) } else { Vec::new() };
        Ok(Bench {
            side,
            hook: guest::hook_library_for(&kernel),
            kernel,
            module,
            load,
            disk_modules,
            logs: Vec::new(),
            boot_secs: 0.0,
            prefix: "matrix".into(),
            module_args: "",
        })
    }

    fn guest(&self, name: &str, tools: &[&Tool]) -> Guest {
        let mut g = Guest::new(name, &self.kernel)
            .with_hook(&self.hook)
            .with_stdbuf()
            .file(guest::repo_root().join("tests/guest/matrix.sh"), "/bpfcompat/matrix.sh")
            .binary_at(&self.load, "/bpfcompat/matrix_load");
        // bashreadline looks for readline in /bin/bash.
        if Path::new("/usr/bin/bash").exists() {
            g = g.binary_at("/usr/bin/bash", "/bin/bash");
        }
        if let Some(ko) = &self.module {
            g = g.with_module(ko);
        }
        for (i, m) in self.disk_modules.iter().enumerate() {
            g = g.file(m, &format!("/bpfcompat/mods/{i:02}.ko"));
        }
        for t in tools {
            g = g.binary_at(format!("/usr/sbin/{}", t.name), &format!("/usr/sbin/{}", t.name));
        }
        // javagc traces a JVM; without one start_java starts nothing and the row says so.
        if tools.iter().any(|t| t.setup.contains("start_java")) {
            match guest::guest_java_runtime() {
                Ok((jre, classes)) => {
                    for (src, rel) in guest::files_under(&jre) {
                        g = g.file(&src, &format!("/opt/jre/{rel}"));
                    }
                    g = g.file(classes.join("Gc.class"), "/opt/javagc/Gc.class");
                }
                Err(skip) => guest::note(format!("javagc: no Java runtime for the guest: {}", skip.0)),
            }
        }
        // run-guest.sh takes a colon-separated list of images.
        let disks: Vec<String> = disk_images(name, self.side).iter().map(|p| p.display().to_string()).collect();
        g = g.disk(disks.join(":"));
        let secs = 60 + tools.len() as u64 * 150;
        g.timeout(Duration::from_secs(secs))
    }

    /// Run `tools` in as few boots as possible (`batch` tools per boot); a tool that kills
    /// the guest is recorded and the rest of its batch continues in a new boot.
    pub fn run(&mut self, tools: &[&Tool], batch: usize) -> Runs {
        let mut runs = Runs::new();
        let mut pending: Vec<&Tool> = tools.iter().copied().filter(|t| t.not_applicable.is_none()).collect();
        let mut n = 0;
        while !pending.is_empty() {
            let chunk: Vec<&Tool> = pending.iter().take(batch.max(1)).copied().collect();
            let name = format!("{}-{}-{n}", self.prefix, self.side.label());
            n += 1;
            let start = Instant::now();
            let run = self.guest(&name, &chunk).body(&body(self.side, &chunk, self.disk_modules.len(), self.module_args)).boot();
            self.boot_secs += start.elapsed().as_secs_f64();
            self.logs.push(run.log_path.clone());
            let got = parse(&run, &chunk);
            let mut progressed = false;
            for t in &chunk {
                if let Some(r) = got.get(t.name) {
                    runs.insert(t.name.to_string(), r.clone());
                    pending.retain(|p| p.name != t.name);
                    progressed = true;
                } else {
                    // The first tool without a result is the one the guest died in.
                    let started = run.log.contains(&format!("BPFCOMPAT-MATRIX-TOOL {} ", t.name));
                    let why = if run.timed_out { "the guest timed out" } else { "the guest died" };
                    let problem = if started {
                        format!("{why} while this tool ran (log {})", run.log_path.display())
                    } else {
                        format!("not run: {why} before it (log {})", run.log_path.display())
                    };
                    runs.insert(t.name.to_string(), ToolRun { exit: "none".into(), kernel_problem: Some(problem), ..Default::default() });
                    pending.retain(|p| p.name != t.name);
                    progressed = true;
                    if started {
                        break;
                    }
                }
            }
            // Tools after the one that died are retried in the next boot.
            for t in &chunk {
                if let Some(r) = runs.get(t.name) {
                    if r.exit == "none" && r.kernel_problem.as_deref().unwrap_or("").starts_with("not run") {
                        runs.remove(t.name);
                        pending.insert(0, *t);
                    }
                }
            }
            if !progressed {
                break;
            }
        }
        runs
    }
}

/// A tool's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Same events natively and under the shim.
    Pass,
    /// Loads, attaches and exits like the native run; the guests produce no events for it.
    PassAttachOnly(String),
    /// CentOS 7.9 only: the native 6.1 run cannot be the oracle (6.1 lacks the kernel
    /// function the tool traces, which 3.10 has); the 3.10 run shows the workload's lines,
    /// the header and a clean exit on its own (why in the string).
    PassWithoutOracle(String),
    Fail(String),
    NotApplicable(String),
}

impl Verdict {
    pub fn is_pass(&self) -> bool {
        matches!(self, Verdict::Pass | Verdict::PassAttachOnly(_) | Verdict::PassWithoutOracle(_))
    }
}

fn line_with<'a>(text: &'a str, parts: &[&str]) -> Option<&'a str> {
    text.lines().find(|l| parts.iter().all(|p| l.contains(p)))
}

/// Expected lines (`Tool::expect`) that `run` misses.
fn missing(expect: &[&[&str]], run: &ToolRun) -> Vec<String> {
    let pid = run.pid.as_deref().unwrap_or("{pid}");
    expect
        .iter()
        .filter(|e| {
            let parts: Vec<&str> = e.iter().map(|p| if *p == "{pid}" { pid } else { p }).collect();
            line_with(&run.stdout, &parts).is_none()
        })
        .map(|e| format!("{e:?}"))
        .collect()
}

/// The most telling line of a failed run's stderr (libbpf's error, the tool's message).
pub fn diagnose(run: &ToolRun) -> String {
    let lines: Vec<&str> = run.stderr.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let pick = lines
        .iter()
        .find(|l| {
            let l = l.to_lowercase();
            (l.contains("failed") || l.contains("error") || l.contains("invalid") || l.contains("not supported") || l.contains("unknown"))
                && !l.contains("retrying without btf")
        })
        .or(lines.last());
    let mut s = pick.map(|l| l.to_string()).unwrap_or_default();
    if s.len() > 200 {
        s.truncate(200);
        s.push('…');
    }
    s.replace('|', "\\|")
}

const MAP_TYPES: &[&str] = &[
    "unspec",
    "hash",
    "array",
    "prog_array",
    "perf_event_array",
    "percpu_hash",
    "percpu_array",
    "stack_trace",
    "cgroup_array",
    "lru_hash",
    "lru_percpu_hash",
    "lpm_trie",
    "array_of_maps",
    "hash_of_maps",
    "devmap",
    "sockmap",
    "cpumap",
    "xskmap",
    "sockhash",
    "cgroup_storage",
    "reuseport_sockarray",
    "percpu_cgroup_storage",
    "queue",
    "stack",
    "sk_storage",
    "devmap_hash",
    "struct_ops",
    "ringbuf",
    "inode_storage",
    "task_storage",
    "bloom_filter",
];
const PROG_TYPES: &[&str] = &[
    "unspec",
    "socket_filter",
    "kprobe",
    "sched_cls",
    "sched_act",
    "tracepoint",
    "xdp",
    "perf_event",
    "cgroup_skb",
    "cgroup_sock",
    "lwt_in",
    "lwt_out",
    "lwt_xmit",
    "sock_ops",
    "sk_skb",
    "cgroup_device",
    "sk_msg",
    "raw_tracepoint",
    "cgroup_sock_addr",
    "lwt_seg6local",
    "lirc_mode2",
    "sk_reuseport",
    "flow_dissector",
    "cgroup_sysctl",
    "raw_tracepoint_writable",
    "cgroup_sockopt",
    "tracing",
    "struct_ops",
    "ext",
    "lsm",
    "sk_lookup",
    "syscall",
];

/// What the driver refused during a run, named: "map type percpu_array", "program type kprobe".
pub fn blockers(run: &ToolRun) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in run.driver_log.lines() {
        for (what, names) in [("map type ", MAP_TYPES), ("program type ", PROG_TYPES)] {
            let Some(i) = line.find(what) else { continue };
            let num: String = line[i + what.len()..].chars().take_while(|c| c.is_ascii_digit()).collect();
            let name = num.parse::<usize>().ok().and_then(|n| names.get(n)).map(|s| s.to_string()).unwrap_or(num);
            let b = format!("{what}{name}");
            if !out.contains(&b) {
                out.push(b);
            }
        }
    }
    out
}

/// Compare a tool's run under the shim with its native run.
pub fn judge(tool: &Tool, native: Option<&ToolRun>, shim: Option<&ToolRun>) -> Verdict {
    judge_expecting(tool, native, shim, tool.expect)
}

/// [`judge`], with the lines `shim` must show (the native run must show the tool's own).
fn judge_expecting(tool: &Tool, native: Option<&ToolRun>, shim: Option<&ToolRun>, shim_expect: &[&[&str]]) -> Verdict {
    if let Some(why) = tool.not_applicable {
        return Verdict::NotApplicable(why.to_string());
    }
    let Some(native) = native else { return Verdict::NotApplicable("no native run (oracle missing)".into()) };
    if let Some(p) = &native.kernel_problem {
        return Verdict::NotApplicable(format!("native run broke: {p}"));
    }
    let native_ok = native.ready && native.exit == "0" && (tool.attach_only.is_some() || missing(tool.expect, native).is_empty());
    if !native_ok {
        let what = if !native.ready || native.exit != "0" {
            format!("fails natively on the stock kernel too (exit {}): {}", native.exit, diagnose(native))
        } else {
            format!("the native run does not report the workload either (missing {})", missing(tool.expect, native).join(", "))
        };
        return Verdict::NotApplicable(what);
    }
    let Some(shim) = shim else { return Verdict::Fail("no run under the shim".into()) };
    if let Some(p) = &shim.kernel_problem {
        return Verdict::Fail(format!("kernel problem: {p}"));
    }
    if !shim.ready {
        let d = diagnose(shim);
        let b = blockers(shim);
        let mut by = if b.is_empty() { String::new() } else { format!("driver lacks {}; ", b.join(", ")) };
        if d.contains("failed to find kernel BTF type ID") || b.iter().any(|x| x == "program type tracing") {
            by.push_str("needs BTF-typed tracing programs (tp_btf / fentry) and has no kprobe / raw_tp fallback");
            by.push_str(if d.contains("failed to find kernel BTF type ID") {
                " (for tp_btf libbpf wants btf_trace_* types, absent from a kernel built without CONFIG_BPF_EVENTS); "
            } else {
                "; "
            });
        }
        return Verdict::Fail(if d.is_empty() {
            format!("{by}never attached (exit {}, no output)", shim.exit)
        } else {
            format!("{by}load/attach failed (exit {}): {d}", shim.exit)
        });
    }
    if shim.exit != native.exit {
        return Verdict::Fail(format!("exit status {} after SIGINT, natively {}: {}", shim.exit, native.exit, diagnose(shim)));
    }
    if let Some(h) = tool.header {
        let (a, b) = (line_with(&native.stdout, &[h]).map(str::trim), line_with(&shim.stdout, &[h]).map(str::trim));
        if a != b {
            return Verdict::Fail(format!("header differs: {:?} natively, {:?} under the shim", a.unwrap_or(""), b.unwrap_or("")));
        }
    }
    if let Some(why) = tool.attach_only {
        return Verdict::PassAttachOnly(why.to_string());
    }
    let miss = missing(shim_expect, shim);
    if !miss.is_empty() {
        let d = diagnose(shim);
        return Verdict::Fail(format!(
            "attached but did not report the workload (missing {}){}",
            miss.join(", "),
            if d.is_empty() { String::new() } else { format!("; stderr: {d}") }
        ));
    }
    Verdict::Pass
}

/// Compare a tool's run on CentOS 7.9 (hook + bpfdrv.ko on 3.10) with its native 6.1 run.
/// A failure whose own error output says the 3.10 kernel lacks what the tool traces (a
/// tracepoint, a kernel function, a filesystem) is n/a, with what is missing.
pub fn judge_centos7(tool: &Tool, native: Option<&ToolRun>, centos7: Option<&ToolRun>) -> Verdict {
    let expect = tool.centos7_expect.map_or(tool.expect, |(expect, _)| expect);
    if let (Some(n), Some(run)) = (native, centos7) {
        if let (false, Some(what)) = (n.ready && n.exit == "0", kernel_lacks(n)) {
            return judge_without_oracle(tool, run, expect, &what);
        }
    }
    let v = judge_expecting(tool, native, centos7, expect);
    if let (Verdict::Fail(w), Some(run)) = (&v, centos7) {
        if let Some(what) = kernel_lacks(run) {
            return Verdict::NotApplicable(format!("CentOS 7.9's kernel has no {what} (from the tool's error: {})", diagnose(run)));
        }
        let tp = tp_btf_runs(run);
        if w.starts_with("attached but did not report") && !tp.is_empty() {
            // The programs ran: what differs is what they read, typically the arguments
            // of tracepoints whose prototype 3.10 declares otherwise than the 6.1 the tool
            // was built against.
            return Verdict::Fail(format!(
                "{w}; its tp_btf programs ran ({}) but what they read did not match (3.10 declares these tracepoints' arguments differently)",
                tp.join(", ")
            ));
        }
    }
    v
}

/// A CentOS 7.9 run whose native 6.1 run failed because 6.1 lacks `what` (a kernel
/// function the tool traces, renamed or removed since 3.10): it passes on its own lines,
/// i.e. attached, exited 0 after SIGINT, printed its header and every expected line.
fn judge_without_oracle(tool: &Tool, run: &ToolRun, expect: &[&[&str]], what: &str) -> Verdict {
    if tool.not_applicable.is_some() || tool.attach_only.is_some() {
        return judge(tool, None, Some(run));
    }
    let miss = missing(expect, run);
    let header = tool.header.is_none_or(|h| line_with(&run.stdout, &[h]).is_some());
    if run.kernel_problem.is_some() || !run.ready || run.exit != "0" || !header || !miss.is_empty() {
        return Verdict::NotApplicable(format!(
            "no oracle: fails natively on 6.1, which has no {what}; on 3.10 {}",
            if miss.is_empty() { format!("exit {}: {}", run.exit, diagnose(run)) } else { format!("missing {}", miss.join(", ")) }
        ));
    }
    Verdict::PassWithoutOracle(format!(
        "6.1 has no {what} (its native run fails), 3.10 has it: judged by the tool's own lines (header, workload, exit 0), no oracle"
    ))
}

/// What the kernel a run failed on lacks, as its stderr names it (3.10 for a CentOS 7.9
/// run, 6.1 for a native one): libbpf's messages for a kernel function (kprobe or fentry
/// target), a tracepoint, or a type or field the program's CO-RE relocations read.
pub fn kernel_lacks(run: &ToolRun) -> Option<String> {
    // (what libbpf or the tool says before the name, what ends the name, what it is)
    const SIGNS: &[(&str, &str, &str)] = &[
        ("failed to create kprobe '", "+0x0' perf event: No such file or directory", "kernel function"),
        ("failed to add legacy kprobe event for '", "+0x0': No such file or directory", "kernel function"),
        ("failed to find kernel BTF type ID of '", "'", "kernel function"),
        ("failed to set attach target for ", ": No such process", "kernel function"),
        ("failed to determine tracepoint '", "' perf event ID", "tracepoint"),
        ("failed to resolve CO-RE relocation ", "\n", "type or field matching the CO-RE relocation"),
    ];
    for line in run.stderr.lines() {
        for (before, after, what) in SIGNS {
            let Some(i) = line.find(before) else { continue };
            let rest = &line[i + before.len()..];
            let name = if *after == "\n" { rest.trim() } else { rest.split(after).next().filter(|_| rest.contains(after)).unwrap_or("") };
            if name.is_empty() {
                continue;
            }
            return Some(format!("{what} `{name}`"));
        }
    }
    None
}

/// For a run that attached but reported nothing: its BTF-typed tracepoint programs and how
/// often they ran ("sched_switch ×516").
fn tp_btf_runs(run: &ToolRun) -> Vec<String> {
    run.progs
        .lines()
        .filter_map(|line| {
            let field = |k: &str| line.split_whitespace().find_map(|w| w.strip_prefix(k));
            (field("type=") == Some("26") && field("attach=") == Some("23"))
                .then(|| format!("{} ×{}", field("target=").unwrap_or("?"), field("runs=").unwrap_or("0")))
        })
        .collect()
}

/// Program kinds of the BPF object embedded in a libbpf-tool (its ELF section names), so
/// the report says what each tool needs: kprobe, tracepoint, fentry, perf_event, ...
pub fn program_kinds(binary: &Path) -> Vec<String> {
    let Ok(data) = std::fs::read(binary) else { return Vec::new() };
    let mut kinds: Vec<String> = Vec::new();
    let magic = b"\x7fELF\x02\x01\x01";
    let mut i = 1;
    while let Some(off) = data[i..].windows(magic.len()).position(|w| w == magic).map(|p| p + i) {
        i = off + 1;
        let e = &data[off..];
        let u16at = |o: usize| e.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
        let u32at = |o: usize| e.get(o..o + 4).map(|b| u32::from_le_bytes(b.try_into().unwrap()) as usize);
        let u64at = |o: usize| e.get(o..o + 8).map(|b| u64::from_le_bytes(b.try_into().unwrap()) as usize);
        if u16at(18) != Some(247) {
            continue; // not EM_BPF
        }
        let (Some(shoff), Some(shentsize), Some(shnum), Some(shstrndx)) = (u64at(0x28), u16at(0x3a), u16at(0x3c), u16at(0x3e)) else {
            continue;
        };
        let sh = |k: usize| shoff + k * shentsize;
        let Some(stroff) = u64at(sh(shstrndx) + 0x18) else { continue };
        for k in 0..shnum {
            let (Some(name), Some(flags)) = (u32at(sh(k)), u64at(sh(k) + 8)) else { break };
            if flags & 0x4 == 0 {
                continue; // not SHF_EXECINSTR
            }
            let start = stroff + name;
            let Some(bytes) = e.get(start..) else { continue };
            let end = bytes.iter().position(|&c| c == 0).unwrap_or(0);
            let sec = String::from_utf8_lossy(&bytes[..end]).to_string();
            let kind = sec.split('/').next().unwrap_or("").to_string();
            if kind != ".text" && !kind.is_empty() && !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
    }
    kinds.sort();
    kinds
}

fn git(args: &[&str]) -> String {
    Command::new("git")
        .current_dir(guest::repo_root())
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// The generated markdown report.
pub struct Report<'a> {
    pub tools: &'a [&'a Tool],
    pub native: &'a Runs,
    pub shim: &'a Runs,
    pub shim_kernel: &'a str,
    pub native_kernel: &'a str,
    /// CentOS 7.9's runs (hook + bpfdrv.ko on 3.10), judged against the native 6.1 runs:
    /// the report gets a CentOS 7.9 column when present.
    pub centos7: Option<&'a Runs>,
    pub centos7_kernel: &'a str,
    /// The no-bpf 6.12 kernel's runs and their oracle, native 6.12: the report gets a
    /// 6.12 column when present.
    pub k612: Option<SecondKernel<'a>>,
    pub wall_secs: f64,
    pub command: &'a str,
}

/// A second no-bpf kernel beside 6.1, judged against its own stock kernel.
pub struct SecondKernel<'a> {
    pub shim: &'a Runs,
    pub native: &'a Runs,
    pub shim_kernel: &'a str,
    pub native_kernel: &'a str,
}

impl Report<'_> {
    pub fn verdicts(&self) -> Vec<(&Tool, Verdict)> {
        self.tools.iter().map(|t| (*t, judge(t, self.native.get(t.name), self.shim.get(t.name)))).collect()
    }

    /// The CentOS 7.9 column's verdicts (none without its runs).
    pub fn centos7_verdicts(&self) -> Vec<(&Tool, Verdict)> {
        let Some(c) = self.centos7 else { return Vec::new() };
        self.tools.iter().map(|t| (*t, judge_centos7(t, self.native.get(t.name), c.get(t.name)))).collect()
    }

    /// The 6.12 column's verdicts, each against native 6.12 (none without its runs).
    pub fn verdicts_612(&self) -> Vec<(&Tool, Verdict)> {
        let Some(k) = &self.k612 else { return Vec::new() };
        self.tools.iter().map(|t| (*t, judge(t, k.native.get(t.name), k.shim.get(t.name)))).collect()
    }

    pub fn markdown(&self) -> String {
        let v = self.verdicts();
        let count = |f: &dyn Fn(&Verdict) -> bool| v.iter().filter(|(_, x)| f(x)).count();
        let pass = count(&|x| *x == Verdict::Pass);
        let attach = count(&|x| matches!(x, Verdict::PassAttachOnly(_)));
        let fail = count(&|x| matches!(x, Verdict::Fail(_)));
        let na = count(&|x| matches!(x, Verdict::NotApplicable(_)));
        let mut m = String::new();
        m.push_str("# Compatibility matrix: Debian's libbpf-tools without bpf(2)\n\n");
        m.push_str("<!-- Generated by tests/src/matrix.rs; do not edit by hand. -->\n\n");
        m.push_str(&format!(
            "Generated by `{}` at commit `{}` ({}), in {:.0} s.\n\n",
            self.command,
            git(&["rev-parse", "--short", "HEAD"]),
            git(&["log", "-1", "--format=%cd", "--date=iso"]),
            self.wall_secs
        ));
        let kernels = [self.shim_kernel, self.native_kernel, self.centos7_kernel]
            .into_iter()
            .chain(self.k612.iter().flat_map(|k| [k.shim_kernel, k.native_kernel]));
        if kernels.into_iter().any(|k| k.ends_with(CACHED)) {
            m.push_str(
                "Sides marked *(cached runs)* were not booted by this command: their runs come from earlier boots of the \
                 same runner (`target/guest/matrix-<side>.json`), judged again here.\n\n",
            );
        }
        m.push_str(&format!(
            "**{} of {} tools pass** on the kernel without bpf(2) ({} with the same events as natively, {} attach only), \
             **{} fail**, **{} not applicable** in these guests.\n\n",
            pass + attach,
            v.len(),
            pass,
            attach,
            fail,
            na
        ));
        let cv = self.centos7_verdicts();
        if self.centos7.is_some() {
            let count = |f: &dyn Fn(&Verdict) -> bool| cv.iter().filter(|(_, x)| f(x)).count();
            let (pass, attach) = (count(&|x| *x == Verdict::Pass), count(&|x| matches!(x, Verdict::PassAttachOnly(_))));
            let alone = count(&|x| matches!(x, Verdict::PassWithoutOracle(_)));
            m.push_str(&format!(
                "**{} of {} tools pass on CentOS 7.9** ({} with the same events as natively on 6.1, {} attach only, {} on their own \
                 lines where 6.1 cannot be the oracle: it lacks the kernel function they trace), \
                 **{} fail**, **{} not applicable** there.\n\n",
                pass + attach + alone,
                cv.len(),
                pass,
                attach,
                alone,
                count(&|x| matches!(x, Verdict::Fail(_))),
                count(&|x| matches!(x, Verdict::NotApplicable(_)))
            ));
        }
        let v612 = self.verdicts_612();
        if self.k612.is_some() {
            let count = |f: &dyn Fn(&Verdict) -> bool| v612.iter().filter(|(_, x)| f(x)).count();
            let (pass, attach) = (count(&|x| *x == Verdict::Pass), count(&|x| matches!(x, Verdict::PassAttachOnly(_))));
            m.push_str(&format!(
                "**{} of {} tools pass on 6.12** without bpf(2) ({} with the same events as natively on 6.12, {} attach only), \
                 **{} fail**, **{} not applicable** there.\n\n",
                pass + attach,
                v612.len(),
                pass,
                attach,
                count(&|x| matches!(x, Verdict::Fail(_))),
                count(&|x| matches!(x, Verdict::NotApplicable(_)))
            ));
        }
        // Every tool that passes on 6.1 and not on 6.12, with 6.12's reason: the count
        // differs only where these say why.
        if self.k612.is_some() {
            let behind: Vec<String> = v
                .iter()
                .zip(&v612)
                .filter(|((_, a), (_, b))| a.is_pass() && !b.is_pass())
                .map(|((t, _), (_, b))| {
                    let why = match b {
                        Verdict::Fail(w) | Verdict::NotApplicable(w) | Verdict::PassAttachOnly(w) | Verdict::PassWithoutOracle(w) => w,
                        Verdict::Pass => "",
                    };
                    format!("- {}: {}\n", t.name, why.replace('\n', " "))
                })
                .collect();
            if !behind.is_empty() {
                m.push_str(&format!("Tools that pass on 6.1 but not on 6.12 ({}):\n\n{}\n", behind.len(), behind.concat()));
            }
        }
        let version = Command::new("dpkg-query")
            .args(["-W", "-f=${Version}", "libbpf-tools"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        m.push_str(&format!(
            "Tools: every program of Debian's `libbpf-tools` {version} in /usr/sbin ({} — `dpkg -L libbpf-tools | grep /usr/sbin` \
             prints one more line, the directory itself), the nine symlinked variants (ext4dist → fsdist, killsnoop → sigsnoop, ...) run under their own names, which select what they trace.\n\n",
            self.tools.len()
        ));
        m.push_str(&format!(
            "- **shim**: `{}`, Debian's linux-source-6.1 built with `CONFIG_BPF_SYSCALL=n` (bpf() is ENOSYS), \
             `bpfdrv.ko` loaded, each tool run as `LD_PRELOAD=libbpfhook.so <tool>`, BTF from the offline pahole file.\n",
            self.shim_kernel
        ));
        m.push_str(&format!("- **native** (the oracle): `{}`, Debian's stock kernel, real eBPF, no hook.\n", self.native_kernel));
        if self.centos7.is_some() {
            m.push_str(&format!(
                "- **CentOS 7.9**: `{}`, CentOS 7.9's own kernel and config (RHEL's partial bpf() backport, which the hook's auto mode \
                 sets aside), `bpfdrv.ko` built for it, the same `LD_PRELOAD=libbpfhook.so <tool>` runs and workload, BTF from the offline \
                 pahole file; single-threaded TCG, root on ramfs, an ext4 image made without metadata_csum and 64bit (as CentOS 7's \
                 mkfs makes it); its config has no btrfs and no XFS. There is no native oracle for modern tools on 3.10: each run \
                 is compared with the native 6.1 run above (same expected lines, header and exit status). Fields that legitimately \
                 differ between the kernels are not compared: kernel function names (3.10's `SyS_*` / `sys_*` syscall entries, \
                 `do_sys_open` for `do_sys_openat2`, ...) in stacks and per-function output, tracepoints 3.10 lacks (execve, clone, \
                 fork, vfork and rt_sigreturn syscall tracepoints and `sock:inet_sock_set_state` are the driver's synthetic ones; \
                 others do not exist: the tool's own error names what is missing and the row is n/a), counts and latencies.\n",
                self.centos7_kernel
            ));
        }
        if let Some(k) = &self.k612 {
            m.push_str(&format!(
                "- **6.12**: `{}`, Debian's linux-source-6.12 built with the same configuration (`CONFIG_BPF_SYSCALL=n`), \
                 `bpfdrv.ko` built for it, the same `LD_PRELOAD=libbpfhook.so <tool>` runs and workload, judged against its own \
                 oracle `{}`, Debian's stock 6.12 kernel (native eBPF), exactly as 6.1 is.\n",
                k.shim_kernel, k.native_kernel
            ));
        }
        m.push_str(
            "- All in QEMU (TCG, 2 CPUs, 1 GiB) with ext4, btrfs and XFS images on virtio disks (/mnt/ext4, /mnt/btrfs, /mnt/xfs) and loopback up. \
             Each tool is started, waited for until it prints its first line (attached), given a workload \
             (`tests/guest/matrix.sh`: exec, open, stat, file I/O on tmpfs, ext4, btrfs and XFS with the page cache dropped, \
             loopback TCP connections, signals, mounts, CPU contention, a sysrq OOM kill), then stopped with SIGINT.\n\
             - **pass**: the lines the workload must produce (its marker file, command, port, a histogram bucket with stars, ...) \
             appear under the shim as they do natively, the header line is identical and the exit status after SIGINT is the same. \
             Counts and latencies are timing-dependent under TCG and are not compared beyond that (tolerance: any non-zero count). \
             **attach only**: the guests cannot produce the tool's events; it loads, attaches and exits as natively.\n\
             - **n/a**: the tool cannot work in these guests, natively either (reason given).\n\
             - *programs*: the program kinds in the tool's embedded BPF object (ELF section prefixes); libbpf-tools \
             pick among them at run time (fentry when the kernel can attach it, else kprobe, ...). \
             *loaded under the shim*: the kinds of the programs the tool had loaded while attached (the driver's statistics), \
             i.e. the path it took.\n\n",
        );
        let btf_path: Vec<&str> = v
            .iter()
            .filter(|(t, verdict)| {
                matches!(verdict, Verdict::Pass | Verdict::PassAttachOnly(_)) && self.shim.get(t.name).is_some_and(took_btf_path)
            })
            .map(|(t, _)| t.name)
            .collect();
        m.push_str(&format!(
            "**{} tools passed on their fentry / fexit / tp_btf path** under the shim: {}.\n\n",
            btf_path.len(),
            btf_path.join(", ")
        ));
        let mut by: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (t, verdict) in &v {
            if let (Verdict::Fail(_), Some(r)) = (verdict, self.shim.get(t.name)) {
                for b in blockers(r) {
                    by.entry(b).or_default().push(t.name);
                }
            }
        }
        if !by.is_empty() {
            m.push_str("What the failing tools hit first in the driver (from its kernel log):\n\n");
            for (b, tools) in &by {
                m.push_str(&format!("- {b}: {}\n", tools.join(", ")));
            }
            m.push('\n');
        }
        // A reason quoting an expectation ("|*") must not end its table cell.
        let escape = |w: &str| w.replace("\\|", "|").replace('|', "\\|").replace('\n', " ");
        let cell = |verdict: &Verdict| match verdict {
            Verdict::Pass => ("pass", String::new()),
            Verdict::PassAttachOnly(w) => ("pass (attach only)", escape(w)),
            Verdict::PassWithoutOracle(w) => ("pass (no oracle)", escape(w)),
            Verdict::Fail(w) => ("**FAIL**", escape(w)),
            Verdict::NotApplicable(w) => ("n/a", escape(w)),
        };
        let secs = |r: Option<&ToolRun>| r.and_then(|r| r.load_secs).map(|s| format!("{s:.1}")).unwrap_or_else(|| "–".into());
        let name = |i: usize| v[i].0.name;
        // The table as a list of columns, each its header and its cell in row i: the 6.1
        // columns, with CentOS 7.9's and 6.12's where those sides have runs.
        type Column<'c> = (&'static str, Box<dyn Fn(usize) -> String + 'c>);
        let mut results: Vec<Column> = vec![("tool", Box::new(|i| name(i).to_string())), ("result", Box::new(|i| cell(&v[i].1).0.into()))];
        let mut notes: Vec<Column> = vec![
            ("programs", Box::new(|i| program_kinds(Path::new(&format!("/usr/sbin/{}", name(i)))).join(", "))),
            ("loaded under the shim", Box::new(|i| self.shim.get(name(i)).map(loaded_kinds).unwrap_or_default())),
            ("reason / notes", Box::new(|i| cell(&v[i].1).1)),
        ];
        let mut times: Vec<Column> = vec![("shim load s", Box::new(|i| secs(self.shim.get(name(i)))))];
        if let Some(c) = self.centos7 {
            results.push(("CentOS 7.9", Box::new(|i| cell(&cv[i].1).0.into())));
            notes.push(("loaded on CentOS 7.9", Box::new(move |i| c.get(name(i)).map(loaded_kinds).unwrap_or_default())));
            notes.push((
                "CentOS 7.9 reason / notes",
                Box::new(|i| match (cell(&cv[i].1).1, v[i].0.centos7_expect) {
                    // what was expected there instead, and why
                    (why, Some((_, expected))) if why.is_empty() => expected.to_string(),
                    (why, _) => why,
                }),
            ));
            times.push(("CentOS 7.9 load s", Box::new(move |i| secs(c.get(name(i))))));
        }
        if let Some(k) = &self.k612 {
            results.push(("6.12", Box::new(|i| cell(&v612[i].1).0.into())));
            notes.push(("6.12 reason / notes", Box::new(|i| cell(&v612[i].1).1)));
            times.push(("6.12 shim load s", Box::new(move |i| secs(k.shim.get(name(i))))));
            times.push(("6.12 native load s", Box::new(move |i| secs(k.native.get(name(i))))));
        }
        times.push(("native load s", Box::new(|i| secs(self.native.get(name(i))))));
        let columns: Vec<Column> = results.into_iter().chain(notes).chain(times).collect();
        let head: Vec<&str> = columns.iter().map(|(h, _)| *h).collect();
        m.push_str(&format!("| {} |\n|{}\n", head.join(" | "), "---|".repeat(head.len())));
        for i in 0..v.len() {
            let row: Vec<String> = columns.iter().map(|(_, cell)| cell(i)).collect();
            m.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        m
    }
}

/// What the runner appends to a side's kernel release when the report judges cached runs.
pub const CACHED: &str = " (cached runs)";

/// Runs are cached per side in `target/guest/matrix-<side>.json`, so a re-run of some tools
/// (or of one side) is merged with the rest and the report is re-judged without a boot.
pub fn cache_path(side: Side) -> PathBuf {
    guest::work_dir().join(format!("matrix-{}.json", side.label()))
}

pub fn load_cache(side: Side) -> Runs {
    let Ok(text) = std::fs::read_to_string(cache_path(side)) else { return Runs::new() };
    let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(&text) else { return Runs::new() };
    let s = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    m.iter()
        .map(|(name, v)| {
            (
                name.clone(),
                ToolRun {
                    ready: v.get("ready").and_then(|x| x.as_bool()).unwrap_or(false),
                    exit: s(v, "exit"),
                    load_secs: v.get("load_secs").and_then(|x| x.as_f64()),
                    stdout: s(v, "stdout"),
                    stderr: s(v, "stderr"),
                    workload: s(v, "workload"),
                    kernel_problem: v.get("kernel_problem").and_then(|x| x.as_str()).map(str::to_string),
                    driver_log: s(v, "driver_log"),
                    pid: v.get("pid").and_then(|x| x.as_str()).map(str::to_string),
                    progs: s(v, "progs"),
                },
            )
        })
        .collect()
}

/// Merge `runs` into the side's cache and return the merged set.
pub fn merge_cache(side: Side, runs: &Runs) -> Runs {
    let mut all = load_cache(side);
    all.extend(runs.iter().map(|(k, v)| (k.clone(), v.clone())));
    let obj: serde_json::Map<String, serde_json::Value> = all
        .iter()
        .map(|(k, r)| {
            (
                k.clone(),
                serde_json::json!({
                    "ready": r.ready, "exit": r.exit, "load_secs": r.load_secs, "stdout": r.stdout,
                    "stderr": r.stderr, "workload": r.workload, "kernel_problem": r.kernel_problem,
                    "driver_log": r.driver_log,
                    "pid": r.pid,
                    "progs": r.progs,
                }),
            )
        })
        .collect();
    let _ = std::fs::write(cache_path(side), serde_json::to_string_pretty(&serde_json::Value::Object(obj)).unwrap_or_default());
    all
}
