//! Maps in the guest, against the stock Debian kernel as the oracle.
//!
//! `tests/guest/maps_transcript.c` drives every implemented map type from user space
//! through libbpf's raw bpf.h calls (create errors, BPF_ANY/NOEXIST/EXIST, E2BIG /
//! ENOENT / EEXIST, get_next_key, lookup_and_delete, freeze, the four batch commands,
//! queue/stack/bloom semantics, the batch position tokens: exact for arrays and for
//! BPF_F_ZERO_SEED hashes, whose buckets are the same on both kernels; for randomly
//! seeded hashes, whose bucket order differs per map, only what does not depend on the
//! seed) and prints one transcript line per call with its
//! return value and errno. It runs natively on the stock kernel and under
//! libbpfhook.so + bpfdrv.ko on the no-bpf kernel: the transcripts must be identical.
//!
//! The same binary then hammers maps: a tracepoint program on sys_enter_getpid adds 1
//! atomically to an array, a hash, a per-CPU array and a per-CPU hash value while two
//! threads pinned to the two vCPUs call getpid and a third updates/deletes other hash
//! keys. The counts must be exact on both kernels and the hash must not be corrupted.
//!
//!     cargo test -p bpfcompat-tests --test guest_maps

use bpfcompat_tests::guest::{self, BpfSide, Guest, GuestRun, Kernel};
use bpfcompat_tests::require;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Build maps_transcript.c against libbpf (bpf.h raw calls).
fn transcript_binary() -> Result<PathBuf, guest::Skip> {
    guest::guest_libbpf_raw_program("maps_transcript.c", &["-lpthread"])
}

fn boot(name: &str, kernel: &Kernel, bin: &PathBuf) -> GuestRun {
    let body =
        kernel.bpf_side().probe_body("maps_transcript", "", "transcript", "grep '^R ' /tmp/out.txt | sed 's/^R /BPFCOMPAT-RESULT /'");
    Guest::new(name, kernel).binary_at(bin, "/bpfcompat/maps_transcript").serving_bpf().body(&body).boot()
}

fn transcript(run: &GuestRun) -> Vec<String> {
    run.section_lines("transcript", "T ")
}

fn assert_hammer(run: &GuestRun, kernel: &str) {
    run.assert_value("hammer_setup", "ok", &format!("{kernel}: program load and tracepoint attach"));
    let want = run.value("hammer_expected").unwrap_or_else(|| run.fail("no hammer_expected"));
    for key in ["hammer_array", "hammer_hash", "hammer_percpu_array", "hammer_percpu_hash", "hammer_array_of_maps", "hammer_hash_of_maps"] {
        run.assert_value(key, &want, &format!("{kernel}: atomic adds from programs on 2 CPUs ({key})"));
    }
    run.assert_value("hammer_hash_keys_left", "1", &format!("{kernel}: the churned hash holds only key 0 afterwards"));
}

/// The transcript run natively on a stock kernel: the oracle.
fn boot_native_transcript(name: &str, stock: Result<Kernel, guest::Skip>) -> Option<GuestRun> {
    let stock = stock.map_err(|s| s.report("guest_maps (stock kernel)")).ok()?;
    let bin = transcript_binary().map_err(|s| s.report("guest_maps")).ok()?;
    let native = boot(name, &stock, &bin);
    native.assert_completed();
    native.assert_value("transcript", "done", "stock kernel: the transcript ran to the end");
    native.assert_value("exit", "0", "stock kernel: maps_transcript exit status");
    assert_hammer(&native, "stock kernel");
    Some(native)
}

/// The stock 6.1 kernel's transcript, shared by the tests comparing with it.
fn native_transcript_run() -> Option<&'static GuestRun> {
    static R: OnceLock<Option<GuestRun>> = OnceLock::new();
    R.get_or_init(|| boot_native_transcript("maps_stock", guest::stock_kernel())).as_ref()
}

/// A transcript line where the stock kernel answers differently from the module, which
/// implements 6.1's semantics on every kernel: (stock line, shim line, why). Each must
/// still occur, so a list entry that is no longer needed fails the test.
type KnownLine = (&'static str, &'static str, &'static str);

/// What 6.12 changed in the map commands the transcript exercises.
const DIFFERS_FROM_6_12: &[KnownLine] = &[
    (
        "T bpf_map_freeze(fd)                           = -1 1",
        "T bpf_map_freeze(fd)                           = -1 16",
        "a second BPF_MAP_FREEZE: 6.12 checks the fd's write permission first, which a frozen map \
         no longer grants (EPERM); 6.1 checks frozen first (EBUSY)",
    ),
    (
        "T iterate: 3 keys, last errno 2",
        "T iterate: 1 keys, last errno 2",
        "LRU eviction when the free list runs dry: 6.12.118 (the stable backport of 'bpf: Adjust \
         free target to avoid global starvation of LRU map') frees max_entries / CPUs / 2 entries, \
         6.1 up to 128, so a 4-entry LRU hash keeps 3 of the keys inserted there, 1 in 6.1",
    ),
    (
        "T iterate: 4 keys, last errno 2",
        "T iterate: 1 keys, last errno 2",
        "the same LRU eviction for the per-CPU LRU hash (its lists are per CPU: all 4 keys stay on 6.12)",
    ),
];

/// The transcript under the hook on `kernel` is `native`'s, line for line, but for the
/// `known` differences.
fn assert_transcript_matches_native(name: &str, kernel: &Kernel, under: &str, native: Option<&GuestRun>, known: &[KnownLine]) {
    let bin = require!(transcript_binary());
    let Some(native) = native else { return };
    let shim = boot(name, kernel, &bin);
    shim.assert_completed();
    shim.assert_value("transcript", "done", &format!("{under}: the transcript ran to the end"));
    shim.assert_value("possible_cpus", &native.value("possible_cpus").unwrap_or_default(), "same possible CPUs");
    let (want, got) = (transcript(native), transcript(&shim));
    let is_known = |a: &String, b: &String| known.iter().any(|(stock, ours, _)| a == stock && b == ours);
    for (stock, ours, why) in known {
        if !want.iter().zip(got.iter()).any(|(a, b)| a == stock && b == ours) {
            shim.fail(format!("known difference no longer seen (stock {stock:?}, shim {ours:?}): {why}"));
        }
        println!("maps ({under}): differs on purpose (stock {stock:?}, shim {ours:?}): {why}");
    }
    let diffs: Vec<String> = want
        .iter()
        .zip(got.iter())
        .filter(|(a, b)| a != b && !is_known(a, b))
        .map(|(a, b)| format!("  stock: {a}\n  shim:  {b}"))
        .collect();
    if !diffs.is_empty() || want.len() != got.len() {
        shim.fail(format!("map transcript differs from the stock kernel ({} vs {} lines):\n{}", want.len(), got.len(), diffs.join("\n")));
    }
    println!("maps ({under}): {} transcript lines identical to the stock kernel", want.len());
    assert_hammer(&shim, under);
    shim.assert_value("exit", "0", &format!("{under}: maps_transcript exit status"));
    shim.assert_module_cycle(kernel);
    shim.assert_kernel_clean();
}

#[test]
fn map_commands_match_the_stock_kernel_and_counts_are_exact() {
    let nobpf = require!(guest::nobpf_kernel());
    assert_transcript_matches_native("maps_nobpf", &nobpf, "no-bpf kernel under the hook", native_transcript_run(), &[]);
}

#[test]
fn map_commands_on_6_12_match_its_stock_kernel() {
    let nobpf = require!(guest::nobpf_kernel_612());
    let native = boot_native_transcript("maps_stock_612", guest::stock_kernel_612());
    assert_transcript_matches_native("maps_nobpf_612", &nobpf, "no-bpf 6.12 kernel under the hook", native.as_ref(), DIFFERS_FROM_6_12);
}

#[test]
fn map_commands_on_centos7_match_the_stock_kernel() {
    let centos7 = require!(guest::centos7_kernel());
    assert_transcript_matches_native("maps_centos7", &centos7, "CentOS 7.9 under the hook", native_transcript_run(), &[]);
}

/// Tracing helpers (tests/guest/helpers_probe.c): what a getpid tracepoint program
/// gets from jiffies64, get_numa_node_id, get_current_cgroup_id, strncmp, snprintf,
/// probe_write_user, send_signal, get_stackid + the STACK_TRACE map commands,
/// current_task_under_cgroup + the CGROUP_ARRAY commands (cgroup2 mounted) and
/// trace_printk, and snprintf's constant formats checked at load, normalised; identical
/// on the stock kernel and under the hook.
#[test]
fn tracing_helpers_match_the_stock_kernel() {
    let nobpf = require!(guest::nobpf_kernel());
    let stock = require!(guest::stock_kernel());
    guest::need_tool("gcc", "gcc").map_err(|s| s.report("tracing_helpers")).ok();
    let src = guest::repo_root().join("tests/guest/helpers_probe.c");
    let bin = guest::work_dir().join("helpers_probe");
    let o = Command::new("gcc").args(["-O2", "-Wall", "-Werror", "-o"]).arg(&bin).arg(&src).arg("-lbpf").output().expect("gcc");
    assert!(o.status.success(), "compiling helpers_probe.c:\n{}", String::from_utf8_lossy(&o.stderr));
    let run = |name: &str, kernel: &Kernel| {
        let BpfSide { setup, prefix, teardown } = kernel.bpf_side();
        let body = format!(
            ". /bpfcompat/lib.sh\nmkdir -p /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && mkdir /sys/fs/cgroup/other\n{setup}\n{prefix}/bpfcompat/helpers_probe >/tmp/out.txt 2>&1; result exit $?\nshow probe /tmp/out.txt\n\
             grep '^R ' /tmp/out.txt | sed 's/^R /BPFCOMPAT-RESULT /'\ndmesg | grep -c 'bpfcompat-printk 42' | sed 's/^/BPFCOMPAT-RESULT printk_lines=/'\n{teardown}\n",
        );
        Guest::new(name, kernel).binary_at(&bin, "/bpfcompat/helpers_probe").serving_bpf().body(&body).boot()
    };
    let native = run("helpers_stock", &stock);
    native.assert_completed();
    native.assert_value("done", "1", "stock kernel: helpers_probe ran to the end");
    let shim = run("helpers_nobpf", &nobpf);
    shim.assert_completed();
    shim.assert_value("insmod", "0", "insmod bpfdrv.ko");
    let keys = [
        "load",
        "attach",
        "ktime_ns_plausible",
        "jiffies64_nonzero",
        "numa_node",
        "cgroup_id_nonzero",
        "strncmp_sign",
        "snprintf_ret",
        "snprintf_out",
        "probe_write_user_ret",
        "victim",
        "send_signal_ret",
        "send_signal_bad_ret",
        "got_signal",
        "stackid_ok",
        "stackid_same",
        "stackid_bad_flags",
        "stackid_kernel",
        "trace_printk_ret",
        "stack_lookup",
        "stack_has_frames",
        "stack_update",
        "stack_next",
        "stack_delete",
        "stack_delete_again",
        "stack_delete_big",
        "stack_next_empty",
        "cgroup_fds",
        "cg_update",
        "cg_update_noexist",
        "cg_update_other",
        "cg_update_devnull",
        "cg_delete_empty",
        "cg_update_e2big",
        "cg_lookup",
        "under_root",
        "under_other",
        "under_empty",
        "under_e2big",
        "snprintf_fmt_ok",
        "snprintf_fmt_bad_conversion",
        "snprintf_fmt_too_few_args",
        "snprintf_fmt_data_len_12",
        "done",
    ];
    // The oracle refuses bad constant formats at load (check_bpf_snprintf_call).
    for k in ["snprintf_fmt_bad_conversion", "snprintf_fmt_too_few_args", "snprintf_fmt_data_len_12"] {
        native.assert_value(k, "-22", "stock kernel: bpf_snprintf format refused at load");
    }
    native.assert_value("snprintf_fmt_ok", "0", "stock kernel: a good bpf_snprintf format loads");
    shim.assert_values_as_stock(&native, &keys, "helper results differ from the stock kernel");
    println!("helpers: {} results identical to the stock kernel", keys.len());
    // trace_printk: the stock kernel writes the trace buffer, the module the kernel log.
    shim.assert_value("printk_lines", "1", "trace_printk's line in dmesg");
    shim.assert_value("rmmod", "0", "rmmod bpfdrv after the run");
    shim.assert_kernel_clean();
}

/// Boot @kernel with the probe binary @bin at /bpfcompat/<name of bin>, natively or
/// under the hook + module, run it and report its `R key=value` lines as results and
/// its whole output as the section `probe`.
fn boot_probe(name: &str, kernel: &Kernel, bin: &Path) -> GuestRun {
    let file = bin.file_name().expect("probe binary name").to_string_lossy().into_owned();
    let BpfSide { setup, prefix, teardown } = kernel.bpf_side();
    let body = format!(
        ". /bpfcompat/lib.sh\n{setup}\n{prefix}/bpfcompat/{file} >/tmp/out.txt 2>&1; result exit $?\nshow probe /tmp/out.txt\n\
         grep '^R ' /tmp/out.txt | sed 's/^R /BPFCOMPAT-RESULT /'\n{teardown}\n",
    );
    Guest::new(name, kernel).binary_at(bin, &format!("/bpfcompat/{file}")).serving_bpf().body(&body).boot()
}

/// The probe's `R ` lines must be the same, in the same order, on both kernels.
fn assert_same_results(native: &GuestRun, shim: &GuestRun, what: &str) -> usize {
    assert_same_results_except(native, shim, what, &[])
}

/// A line where the module differs from the stock kernel on purpose: left out of the
/// comparison, but each side must print exactly what is named here (None: no line).
struct Known {
    key: &'static str,
    stock: Option<&'static str>,
    shim: Option<&'static str>,
    why: &'static str,
}

fn assert_same_results_except(native: &GuestRun, shim: &GuestRun, what: &str, known: &[Known]) -> usize {
    let lines = |run: &GuestRun| -> Vec<(String, String)> {
        run.expect_section("probe")
            .lines()
            .filter_map(|l| l.strip_prefix("R "))
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap_or((l, ""));
                (k.to_string(), v.to_string())
            })
            .collect()
    };
    let (mut want, mut got) = (lines(native), lines(shim));
    for k in known {
        let value = |v: &[(String, String)]| v.iter().find(|(key, _)| key == k.key).map(|(_, x)| x.clone());
        let (stock, ours) = (value(&want), value(&got));
        if stock.as_deref() != k.stock || ours.as_deref() != k.shim {
            shim.fail(format!(
                "{what}: known difference {} ({}): stock {stock:?}, shim {ours:?}; expected stock {:?}, shim {:?}",
                k.key, k.why, k.stock, k.shim
            ));
        }
        println!("{what}: {} differs on purpose (stock {:?}, shim {:?}): {}", k.key, k.stock, k.shim, k.why);
        want.retain(|(key, _)| key != k.key);
        got.retain(|(key, _)| key != k.key);
    }
    if want != got {
        let value = |v: &[(String, String)], key: &str| v.iter().find(|(k, _)| k == key).map(|(_, x)| x.clone());
        let mut keys: Vec<&String> = want.iter().map(|(k, _)| k).collect();
        keys.extend(got.iter().map(|(k, _)| k).filter(|k| !want.iter().any(|(w, _)| w == *k)));
        let diffs: Vec<String> = keys
            .into_iter()
            .filter_map(|k| {
                let (a, b) = (value(&want, k), value(&got, k));
                (a != b).then(|| format!("  {k}: stock {a:?} / shim {b:?}"))
            })
            .collect();
        shim.fail(format!("{what} differ ({} vs {} lines):\n{}", want.len(), got.len(), diffs.join("\n")));
    }
    want.len()
}

/// BPF_PROG_TEST_RUN of raw tracepoint programs, tail calls through a PROG_ARRAY (the
/// 33-call limit: a self tail call runs 34 times), the prog array's user-space
/// commands, and a PERF_EVENT_ARRAY emptied when its last fd closes (unless
/// BPF_F_PRESERVE_ELEMS) while a program still holds it (tests/guest/test_run_probe.c):
/// identical on the stock kernel and under the hook.
#[test]
fn test_run_and_tail_calls_match_the_stock_kernel() {
    let nobpf = require!(guest::nobpf_kernel());
    let stock = require!(guest::stock_kernel());
    let src = guest::repo_root().join("tests/guest/test_run_probe.c");
    let bin = guest::work_dir().join("test_run_probe");
    let o = Command::new("gcc").args(["-O2", "-Wall", "-Werror", "-o"]).arg(&bin).arg(&src).arg("-lbpf").output().expect("gcc");
    assert!(o.status.success(), "compiling test_run_probe.c:\n{}", String::from_utf8_lossy(&o.stderr));
    let native = boot_probe("test_run_stock", &stock, &bin);
    native.assert_completed();
    native.assert_value("done", "1", "stock kernel: test_run_probe ran to the end");
    native.assert_value("self_runs", "34", "stock kernel: 1 + 33 tail calls");
    native.assert_value("perf_out_open", "0", "stock kernel: perf_event_output into the CPU's event");
    native.assert_value("perf_out_map_closed", "4294967294", "stock kernel: ENOENT once the map's fd is closed");
    native.assert_value("perf_out_preserved_map_closed", "0", "stock kernel: BPF_F_PRESERVE_ELEMS keeps the entry");
    let shim = boot_probe("test_run_nobpf", &nobpf, &bin);
    shim.assert_completed();
    let n = assert_same_results(&native, &shim, "test run / tail call results");
    println!("test_run: {n} results identical to the stock kernel");
    shim.assert_value("rmmod", "0", "rmmod bpfdrv after the run (prog array emptied when its fd closed)");
    shim.assert_kernel_clean();
}

/// bpf_perf_event_read / bpf_perf_event_read_value (tests/guest/perf_read_probe.c) on
/// counting software events the probe opens itself and stores in PERF_EVENT_ARRAYs: a
/// CPU-wide cpu-clock per CPU, task-clock and context-switches of the probe. Programs
/// run by BPF_PROG_TEST_RUN here and on the other CPU (where the task counters are not
/// local: EINVAL) and from a getpid tracepoint. Real counters differ between runs, so
/// the probe prints their relations (positive, growing, enabled >= running > 0) and
/// the errnos as they are (bad flags, E2BIG, ENOENT, wrong CPU / task, the size 16 read
/// zeroing just its 16 bytes, inherited events refused at update): identical on both.
#[test]
fn perf_event_read_matches_the_stock_kernel() {
    let nobpf = require!(guest::nobpf_kernel());
    let stock = require!(guest::stock_kernel());
    let bin = require!(guest::guest_libbpf_program("perf_read_probe.c"));
    let native = boot_probe("perf_read_stock", &stock, &bin);
    native.assert_completed();
    native.assert_value("done", "1", "stock kernel: perf_read_probe ran to the end");
    // The oracle itself must show the shapes the comparison relies on.
    for (key, want) in [
        ("read_cpu_current", "ok"),
        ("read_cpu_index1_from_cpu0", "-22"),
        ("task_clock_grows", "1"),
        ("ctxsw_grows", "1"),
        ("value_task_clock", "0 ok"),
        ("value_task_clock_grows", "1"),
        ("value_size16", "-22 0/0/77777777"),
        ("tp_value_task_clock", "0 ok"),
    ] {
        native.assert_value(key, want, &format!("stock kernel: {key}"));
    }
    let shim = boot_probe("perf_read_nobpf", &nobpf, &bin);
    shim.assert_completed();
    shim.assert_value("insmod", "0", "insmod bpfdrv.ko");
    let n = assert_same_results(&native, &shim, "perf_event_read results");
    println!("perf_event_read: {n} results identical to the stock kernel");
    shim.assert_value("rmmod", "0", "rmmod bpfdrv after the run");
    shim.assert_kernel_clean();
}

/// BPF_PROG_TEST_RUN of socket filters (tests/guest/skb_test_run_probe.c): packet sizes
/// (the 14-byte minimum, IPv4 / IPv6 frames too short for their header, the largest
/// packet accepted, no data), data_out (the MAC header handed back zeroed, the size hint
/// and ENOSPC with retval and data_size_out still written), flags / cpu / batch_size,
/// LD_ABS / LD_IND in and out of the packet (SKF_NET_OFF, SKF_LL_OFF, negative and
/// 64-bit indexes; out of range ends the program with 0), reads of __sk_buff fields
/// (pkt_type by destination MAC on the loopback device, protocol by EtherType and the
/// 802.3 / 802.2 rules, narrow reads, fields given by ctx_in, the socket test_run makes),
/// the verifier's context rules (forbidden reads, writes other than cb[], BPF_ST),
/// cb[] writes in ctx_out, ctx_in fields Linux refuses (EINVAL / E2BIG / ENODEV and
/// which comes first), ctx_out ENOSPC, and the helpers skb_load_bytes(_relative),
/// get_socket_uid / cookie, ktime_get_ns and map atomic adds under repeat: identical on
/// the stock kernel and under the hook.
#[test]
fn skb_test_run_matches_the_stock_kernel() {
    let nobpf = require!(guest::nobpf_kernel());
    let stock = require!(guest::stock_kernel());
    let bin = require!(guest::guest_libbpf_program("skb_test_run_probe.c"));
    let native = boot_probe("skb_test_run_stock", &stock, &bin);
    native.assert_completed();
    native.assert_value("done", "1", "stock kernel: skb_test_run_probe ran to the end");
    // The oracle itself must show the shapes the comparison relies on.
    for (key, want) in [
        ("const_64_ipv4", "0 19088743 64"),
        ("const_14_ipv4", "-22 0 0"),
        ("out_hint_small", "-28 19088743 64"),
        ("out_full.data", "00000000000000000000000000004500003212344000401100000a0000010a000002f1f8ff060d141b222930373e454c535a61686f767d848b9299a0a7aeb5bceeeeeeee"),
        ("pkt_type_bcast", "0 2 64"),
        ("abs_then77_out", "0 0 64"),
        ("abs_ll_w0", "0 16801280 64"),
        ("write_mark_load", "-13"),
        ("cb_st_w_load", "-13"),
        ("ctx_bad_hash", "-22 0 0"),
        ("ctx_ifindex_99", "-19 0 0"),
        ("cb_inc_repeat", "0 1005 cb0=1005"),
        ("map_values", "11 550"),
    ] {
        native.assert_value(key, want, &format!("stock kernel: {key}"));
    }
    let shim = boot_probe("skb_test_run_nobpf", &nobpf, &bin);
    shim.assert_completed();
    shim.assert_value("insmod", "0", "insmod bpfdrv.ko");
    const ST: &str = "BPF_ST into cb[]: accepted as by Linux 6.3+, which 6.1 refuses at load";
    let known = [
        Known {
            key: "abs_clobbers_r1_load",
            stock: Some("-13"),
            shim: Some("0"),
            why: "reading r1 after LD_ABS: Linux refuses a clobbered register (R1 !read_ok); the \
                  checker does not track uninitialised registers, the interpreter reads 0",
        },
        Known { key: "cb_st_w_load", stock: Some("-13"), shim: Some("0"), why: ST },
        Known { key: "cb_st_dw_load", stock: Some("-13"), shim: Some("0"), why: ST },
        Known { key: "cb_st_w", stock: None, shim: Some("0 2 64"), why: ST },
        Known {
            key: "cb_st_w.ctx",
            stock: None,
            shim: Some(
                "mark=0 prio=0 iif=0 ifindex=1 tstamp=0 cb=0,66,0,0,0 wire_len=50 gso_segs=0 \
                        gso_size=0 hwtstamp=0 len=0 protocol=0 hash=0 size_out=192",
            ),
            why: ST,
        },
        Known { key: "cb_st_dw", stock: None, shim: Some("0 3 64"), why: ST },
        Known {
            key: "cb_st_dw.ctx",
            stock: None,
            shim: Some(
                "mark=0 prio=0 iif=0 ifindex=1 tstamp=0 cb=0,0,fffffffe,ffffffff,0 wire_len=50 \
                        gso_segs=0 gso_size=0 hwtstamp=0 len=0 protocol=0 hash=0 size_out=192",
            ),
            why: ST,
        },
    ];
    let n = assert_same_results_except(&native, &shim, "socket filter test run results", &known);
    println!("skb_test_run: {n} results identical to the stock kernel");
    shim.assert_value("rmmod", "0", "rmmod bpfdrv after the run");
    shim.assert_kernel_clean();
}
