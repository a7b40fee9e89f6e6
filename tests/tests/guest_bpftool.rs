//! Debian's unmodified bpftool (7.1) on the no-bpf kernel under libbpfhook.so +
//! bpfdrv.ko, compared with the same bpftool natively on Debian's stock 6.1 kernel (the
//! oracle). A small libbpf loader (tests/guest/bpftool/) loads the same objects on both
//! sides and keeps them alive; bpftool then lists, shows, dumps, updates, looks up and
//! test-runs them by name, in plain, `-j` and `-p` output. One boot per kernel.
//!
//!     cargo test -p bpfcompat-tests --test guest_bpftool

use bpfcompat_tests::guest::{self, BpfSide, Guest, GuestRun, Kernel, Skip};
use std::sync::OnceLock;

/// The bpftool commands, each printed as a `bt-<name>` section with its exit status.
const COMMANDS: &[(&str, &str)] = &[
    ("prog-show", "prog show name bt_count"),
    ("prog-show-json", "-j prog show name bt_count"),
    ("prog-show-pretty", "-p prog show name bt_seven"),
    ("prog-list", "prog list"),
    ("map-show", "map show name bt_hash"),
    ("map-show-pretty", "-p map show name bt_array"),
    ("map-list", "map list"),
    ("map-dump", "map dump name bt_hash"),
    ("map-update", "map update name bt_hash key 1 0 0 0 value 2 0 0 0 0 0 0 0"),
    ("map-lookup", "map lookup name bt_hash key 1 0 0 0"),
    ("map-lookup-json", "-j map lookup name bt_hash key 1 0 0 0"),
    ("map-dump-after-update", "-j map dump name bt_hash"),
    ("map-delete", "map delete name bt_hash key 1 0 0 0"),
    ("map-lookup-deleted", "map lookup name bt_hash key 1 0 0 0"),
    ("prog-array-lookup", "map lookup name bt_progs key 0 0 0 0"),
    ("map-of-maps-lookup", "-j map lookup name bt_outer key 0 0 0 0"),
    ("btf-list", "btf list"),
    ("link-list", "link list"),
    ("link-list-json", "-j link list"),
    ("prog-run", "prog run name bt_seven ctx_in /tmp/ctx repeat 0"),
];

fn body(kernel: &Kernel) -> String {
    let BpfSide { setup, teardown, .. } = kernel.bpf_side();
    let pre = if kernel.native_bpf { "env" } else { "env LD_PRELOAD=$HOOK" };
    let mut cmds = String::new();
    for (name, args) in COMMANDS {
        cmds.push_str(&format!("{pre} timeout 60 bpftool {args} >/tmp/o 2>&1; echo \"exit=$?\" >>/tmp/o; show bt-{name} /tmp/o\n"));
    }
    format!(
        r#". /bpfcompat/lib.sh
{setup}
mount -t tmpfs tmpfs /sys/fs/bpf 2>/dev/null
head -c 16 /dev/zero >/tmp/ctx
{pre} /bpfcompat/bpftool/bpftool_test /bpfcompat/bpftool/bpftool.bpf.o >/tmp/loader.out 2>/tmp/loader.err &
pid=$!
if wait_for /tmp/loader.out 'loader=ready' 120 $pid; then result loader_ready yes; else result loader_ready no; fi
{cmds}
for f in /proc/$pid/fd/*; do l=$(readlink $f); case "$l" in *bpf*) echo "$l"; sed -n '/^map_type\|^prog_type\|^link_type/,$p' /proc/$pid/fdinfo/${{f##*/}};; esac; done >/tmp/fdinfo
show fdinfo /tmp/fdinfo
kill $pid; wait $pid
show loader-stderr /tmp/loader.err
dmesg | grep bpfdrv >/tmp/dmesg-bpfdrv
show bpfdrv-dmesg /tmp/dmesg-bpfdrv
{teardown}
"#
    )
}

fn run(name: &str, kernel: &Kernel) -> GuestRun {
    let (loader, obj) = guest::guest_bpf_program("bpftool", "bpftool").unwrap_or_else(|s| panic!("{}", s.0));
    let bpftool = guest::host_tool("bpftool", "bpftool").unwrap_or_else(|s| panic!("{}", s.0));
    let g = Guest::new(name, kernel)
        .binary(&bpftool)
        .binary_at(&loader, "/bpfcompat/bpftool/bpftool_test")
        .file(&obj, "/bpfcompat/bpftool/bpftool.bpf.o")
        .serving_bpf();
    g.body(&body(kernel)).boot()
}

/// [`run`], or the skip when bpftool or the programs are missing here.
fn run_if_ready(name: &str, kernel: &Kernel) -> Result<GuestRun, Skip> {
    guest::host_tool("bpftool", "bpftool")?;
    guest::guest_bpf_program("bpftool", "bpftool")?;
    Ok(run(name, kernel))
}

fn nobpf_run() -> Option<&'static GuestRun> {
    static R: OnceLock<Option<GuestRun>> = OnceLock::new();
    guest::shared_run(&R, guest::nobpf_kernel, "guest_bpftool (no-bpf kernel)", |k| run_if_ready("bpftool_nobpf", k))
}

fn stock_run() -> Option<&'static GuestRun> {
    static R: OnceLock<Option<GuestRun>> = OnceLock::new();
    guest::shared_run(&R, guest::stock_kernel, "guest_bpftool (stock kernel)", |k| run_if_ready("bpftool_stock", k))
}

/// CentOS 7.9's kernel under the hook (RHEL's own bpf() set aside by auto mode).
fn centos7_run() -> Option<&'static GuestRun> {
    static R: OnceLock<Option<GuestRun>> = OnceLock::new();
    guest::shared_run(&R, guest::centos7_kernel, "guest_bpftool (CentOS 7.9 kernel)", |k| run_if_ready("bpftool_centos7", k))
}

/// Mask the run of `chars` that follows each occurrence of `key` with `N`.
fn mask_after(text: &str, key: &str, chars: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(key) {
        out.push_str(&rest[..i + key.len()]);
        rest = &rest[i + key.len()..];
        let n = rest.find(|c: char| !chars.contains(c)).unwrap_or(rest.len());
        if n > 0 {
            out.push('N');
        }
        rest = &rest[n..];
    }
    out.push_str(rest);
    out
}

/// Drop `"pids": [...]` (and the comma before it) from JSON output.
fn drop_json_pids(text: &str) -> String {
    let mut t = text.to_string();
    for key in ["\"pids\":[", "\"pids\": ["] {
        while let Some(i) = t.find(key) {
            let end = t[i..].find(']').map(|j| i + j + 1).unwrap_or(t.len());
            let start = t[..i].rfind(',').unwrap_or(i);
            t.replace_range(start..end, "");
        }
    }
    t
}

/// What legitimately differs between two kernels, two boots and two implementations:
/// - object ids (allocated in load order, and the stock kernel also has its own
///   vmlinux BTF object and libbpf's probe objects took ids before ours): ids, map_ids,
///   prog_ids, btf_id, and the ids a prog array / map of maps answer;
/// - JIT: the kernel JIT-compiles (`jited 124B`), the module interprets (`not jited`);
///   and the translated size (`xlated`), which counts the verifier's rewrites (inlined
///   array lookups, ...) that the module does not make;
/// - load times and the duration of a test run (wall clock);
/// - memlock (the kernel charges its allocations; the module reports an estimate);
/// - run_cnt: the module always counts runs (its own statistics show whether programs
///   fire), the kernel only while stats are enabled (BPF_ENABLE_STATS or
///   kernel.bpf_stats_enabled=1, off by default), so bpftool prints it (and a zero
///   run_time_ns beside it) only under the shim;
/// - the kernel's own BTF (`name [vmlinux]`): under the shim the vmlinux BTF is a file the
///   hook serves, not a BTF object with an id;
/// - `pids`: bpftool finds the processes holding an object with a BPF iterator program
///   (task_file), a program type the module does not emulate, so under the shim it
///   prints no pids (it says nothing and goes on, as on kernels without iterators).
/// - the order of a hash map's elements in a dump: the kernel seeds its hash randomly
///   per map, so even two native runs differ; JSON dumps are compared sorted.
fn normalise(section: &str, text: &str) -> String {
    const DIGITS: &str = "0123456789";
    let sorted;
    let text = match text.split_once('\n') {
        Some((first, rest)) if section.starts_with("map-dump") && first.starts_with('[') => {
            let mut elems: Vec<serde_json::Value> = serde_json::from_str(first).unwrap_or_default();
            elems.sort_by_key(|e| e.to_string());
            sorted = format!("{}\n{rest}", serde_json::Value::Array(elems));
            sorted.as_str()
        }
        _ => text,
    };
    let mut t = drop_json_pids(text).replace("not jited", "JIT");
    for key in [
        "\"id\":",
        "\"id\": ",
        "\"prog_id\":",
        "\"prog_id\": ",
        "\"btf_id\":",
        "\"btf_id\": ",
        "btf_id ",
        "prog_id ",
        "\"bytes_memlock\":",
        "\"bytes_memlock\": ",
        "memlock ",
        "\"loaded_at\":",
        "\"loaded_at\": ",
        "run_time_ns ",
        "run_cnt ",
        "\"run_time_ns\":",
        "\"run_cnt\":",
        "duration (average): ",
        "\"bytes_jited\":",
        "\"bytes_jited\": ",
        "jited ",
        "xlated ",
        "\"bytes_xlated\":",
        "\"bytes_xlated\": ",
    ] {
        t = mask_after(&t, key, DIGITS);
    }
    t = mask_after(&t, "loaded_at ", "0123456789-T:+");
    for key in ["map_ids ", "prog_ids ", "\"map_ids\":[", "\"prog_ids\":["] {
        t = mask_after(&t, key, "0123456789,");
    }
    t = t.replace("jited NB", "JIT").replace("owner jited", "owner JIT");
    t = t.replace("\"jited\":true,\"bytes_jited\":N", "\"jited\":JIT").replace("\"jited\":false", "\"jited\":JIT");
    t = t.replace("\"jited\": true", "\"jited\": JIT").replace("\"jited\": false", "\"jited\": JIT");
    t = t.replace(" run_time_ns N run_cnt N", "").replace("\"run_time_ns\":N,\"run_cnt\":N,", "");
    let mut out = String::new();
    for line in t.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("\"run_time_ns\"")
            || trimmed.starts_with("\"bytes_jited\"")
            || trimmed.starts_with("pids ")
            || trimmed.starts_with("\"run_cnt\"")
            || line.contains("name [vmlinux]")
        {
            continue;
        }
        // A line-leading object id: "12: raw_tracepoint  name ...".
        let line = match line.split_once(": ") {
            Some((id, rest)) if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) => format!("N: {rest}"),
            _ => line.to_string(),
        };
        // The value a prog array / map of maps lookup answers is an object id.
        let line = if section.ends_with("maps-lookup") || section == "prog-array-lookup" {
            match (line.find("value: "), line.find("\"value\":")) {
                (Some(i), _) => format!("{}value: ID", &line[..i]),
                (_, Some(i)) => format!("{}\"value\":ID}}", &line[..i]),
                _ => line,
            }
        } else {
            line
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[test]
fn bpftool_under_the_hook_matches_native_bpftool() {
    let Some(shim) = nobpf_run() else { return };
    assert_matches_native_bpftool(shim);
}

#[test]
fn bpftool_on_centos7_matches_native_bpftool() {
    let Some(shim) = centos7_run() else { return };
    assert_matches_native_bpftool(shim);
}

/// Every command's output and the loader's fdinfo as on the stock kernel, natively.
fn assert_matches_native_bpftool(shim: &GuestRun) {
    shim.assert_completed();
    shim.assert_value("loader_ready", "yes", "the loader loaded and attached under the hook");
    let Some(native) = stock_run() else { return };
    native.assert_value("loader_ready", "yes", "the loader loaded and attached natively");
    let mut diffs = Vec::new();
    for (name, args) in COMMANDS {
        let sec = format!("bt-{name}");
        let (a, b) = (normalise(name, &native.expect_section(&sec)), normalise(name, &shim.expect_section(&sec)));
        if a != b {
            diffs.push(format!("bpftool {args}:\n--- native\n{a}--- bpfcompat\n{b}"));
        }
    }
    if !diffs.is_empty() {
        shim.fail(format!("bpftool output differs from the native oracle:\n{}", diffs.join("\n")));
    }
    // fdinfo of the loader's fds: same anon-inode names, same keys in the same order, and
    // the same values except ids, memlock, JIT, run statistics and the verifier's count.
    let varying = ["memlock", "map_id", "prog_id", "link_id", "run_time_ns", "run_cnt", "prog_jited", "owner_jited", "verified_insns"];
    // The loader's fd numbers differ (libbpf's probes, /dev/bpfdrv): compare the blocks sorted.
    let fdinfo = |r: &GuestRun| -> Vec<String> {
        let mut blocks: Vec<String> = Vec::new();
        for l in r.expect_section("fdinfo").lines().filter(|l| !l.contains("/dev/bpfdrv")) {
            let l = match l.split_once(':') {
                Some((k, _)) if varying.contains(&k) => format!("{k}:N"),
                _ => l.to_string(),
            };
            match blocks.last_mut() {
                Some(b) if !l.starts_with("anon_inode:") => b.push_str(&format!(" | {l}")),
                _ => blocks.push(l),
            }
        }
        blocks.sort();
        blocks
    };
    let (a, b) = (fdinfo(native), fdinfo(shim));
    if a != b {
        shim.fail(format!("/proc fdinfo differs from the native oracle:\nnative:   {a:?}\nbpfcompat: {b:?}"));
    }
    shim.assert_value("rmmod", "0", "rmmod bpfdrv after the loader exited (nothing leaked)");
}
