//! `event-bench`: what one event costs a probed task under the hook + bpfdrv.ko on the
//! no-bpf 6.1 kernel, against native eBPF on the stock Debian 6.1 kernel, in one run.
//!
//!   cargo run --release -p bpfcompat-bench --bin event-bench -- [--events N] [--reps R] [--out FILE]
//!       [--module-args ARGS]
//!
//! `--module-args` are bpfdrv.ko's parameters in the shim guest: `jit=1` measures native
//! code, the default the interpreter.
//!
//! Boots both guests with the same QEMU settings (TCG, one vCPU, `-icount shift=0`, the
//! same clocksource) and runs `tests/guest/bench_events.c` in each; writes a Markdown
//! section (stdout, or FILE) with the per-event overhead, median / min / max over the
//! repetitions, and the ratio shim / native. Under `-icount shift=0` one guest
//! nanosecond is one guest instruction, so the figures are instruction counts:
//! deterministic and immune to host load, but blind to what instructions cost on real
//! hardware (cache misses, TLB, the JIT's code density versus the interpreter's
//! branches all count as 1).
use std::collections::BTreeMap;
use std::time::Duration;

use bpfcompat_tests::guest::{self, Guest, GuestRun, Kernel};

struct Args {
    events: u64,
    reps: u32,
    out: Option<String>,
    module_args: String,
}

fn parse_args() -> Args {
    let mut a = Args { events: 20000, reps: 5, out: None, module_args: String::new() };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| usage(&format!("{k} needs a value")));
        match k.as_str() {
            "--events" => a.events = v().parse().unwrap_or_else(|_| usage("--events N")),
            "--reps" => a.reps = v().parse().unwrap_or_else(|_| usage("--reps R")),
            "--out" => a.out = Some(v()),
            "--module-args" => a.module_args = v(),
            _ => usage(&format!("unknown argument {k}")),
        }
    }
    a
}

fn usage(msg: &str) -> ! {
    eprintln!("event-bench: {msg}\nusage: event-bench [--events N] [--reps R] [--out FILE] [--module-args ARGS]");
    std::process::exit(2)
}

/// One `B` line: the overhead of one repetition, ns per event above the baseline.
#[derive(Clone, Debug)]
struct Sample {
    base_ns_per_event: f64,
    overhead_ns_per_event: f64,
}

/// (attach, program) → samples.
type Results = BTreeMap<(String, String), Vec<Sample>>;

/// (a, b) → ns per operation of each repetition: map commands (map, op), interposed
/// calls ("hook" | "plain", call).
type Costs = BTreeMap<(String, String), Vec<f64>>;

/// What one guest measured.
struct Side {
    events: Results,
    maps: Costs,
    /// ("ringbuf" | "perfbuf", "") → instructions per record delivered, above the baseline.
    channels: Costs,
    /// (tool | "none", "roundtrip") → instructions per workload round trip with the tool
    /// attached.
    tools: Costs,
    /// ("load", tool) → instructions from exec to attached.
    load: Costs,
    /// The shim guest only: interposed libc calls with and without the hook ("plain",
    /// "hook"), and of the static build without and under `bpfhook run`'s launcher
    /// ("static", "launcher").
    calls: Costs,
    /// The shim guest only: map commands of the static build through the launcher.
    launcher_maps: Costs,
}

/// The static build of bench_events and the `bpfhook` CLI: the launcher's side of the
/// shim guest.
struct Launcher<'a> {
    bin: &'a std::path::Path,
    bpfhook: &'a std::path::Path,
}

/// The libbpf-tools whose whole cost the report gives: three that see every context switch,
/// wakeup or syscall of the workload (Debian's builds, run unmodified).
const TOOLS: [(&str, &str); 3] = [
    ("runqlat", "sched_wakeup, sched_wakeup_new, sched_switch (tp_btf): a run queue latency histogram"),
    ("cpudist", "sched_switch (tp_btf): an on-CPU time histogram"),
    ("syscount", "raw_syscalls sys_enter / sys_exit: a count per syscall"),
];

/// The five libbpf-tools with the largest BPF objects (the ELF each embeds as its
/// skeleton, 48–115 KiB in Debian's build): their load time, exec to attached.
const LOAD_TOOLS: [&str; 5] = ["klockstat", "execsnoop", "tcptracer", "tcplife", "runqlat"];

/// Workload round trips per repetition (each is 2 wakeups, 2 switches and 4 syscalls).
fn round_trips(a: &Args) -> u64 {
    (a.events / 4).max(1)
}

/// The guest script that runs the workload alone, then under each of TOOLS.
fn tools_script(prefix: &str, a: &Args) -> String {
    let names: Vec<&str> = TOOLS.iter().map(|(t, _)| *t).collect();
    format!(
        r#"for t in {load_tools}; do
    {prefix}/bpfcompat/bench_events load $t {reps} stdbuf -oL /usr/sbin/$t >>/tmp/load.txt 2>>/tmp/bench.err || echo "L $t failed" >>/tmp/load.txt
done
echo "L done" >>/tmp/load.txt
show load /tmp/load.txt
/bpfcompat/bench_events workload {n} {reps} >/tmp/w.txt 2>>/tmp/bench.err; result workload $?
show workload-none /tmp/w.txt
for t in {tools}; do
    {prefix}stdbuf -oL /usr/sbin/$t >/tmp/t.out 2>/tmp/t.err & pid=$!
    if wait_for /tmp/t.out . 300 $pid && wait_sigint_handled $pid 60; then result $t.ready yes; else result $t.ready no; show $t.stderr /tmp/t.err; fi
    # the previous tool's teardown (deferred frees, kworkers) must not land in this one's figures
    sleep 2
    /bpfcompat/bench_events workload {n} {reps} >/tmp/w.txt 2>>/tmp/bench.err
    stop $pid 120; result $t.exit $exit_status
    show workload-$t /tmp/w.txt
done
"#,
        n = round_trips(a),
        reps = a.reps,
        tools = names.join(" "),
        load_tools = LOAD_TOOLS.join(" ")
    )
}

fn run_side(name: &str, kernel: &Kernel, launcher: Option<Launcher>, bin: &std::path::Path, a: &Args) -> Side {
    let shim = launcher.is_some();
    let (setup, prefix) =
        if shim { (format!("insmod $MODULE {}; result insmod $?", a.module_args), "LD_PRELOAD=$HOOK ") } else { (String::new(), "") };
    // The hook's cost on calls it interposes without translating: the same loop with and
    // without it, in the shim guest.
    let calls = if shim {
        format!(
            r#"/bpfcompat/bench_events calls {reps} >/tmp/plain.txt 2>>/tmp/bench.err; result calls_plain $?
LD_PRELOAD=$HOOK /bpfcompat/bench_events calls {reps} >/tmp/hook.txt 2>>/tmp/bench.err; result calls_hook $?
show calls-plain /tmp/plain.txt
show calls-hook /tmp/hook.txt
# The static build LD_PRELOAD cannot reach: map commands through bpfhook run's launcher,
# and its cost on the system calls it does not stop at.
bpfhook run -- /bpfcompat/bench_events_static maps {reps} >/tmp/maps-launcher.txt 2>>/tmp/bench.err; result maps_launcher $?
/bpfcompat/bench_events_static calls {reps} >/tmp/static.txt 2>>/tmp/bench.err; result calls_static $?
bpfhook run -- /bpfcompat/bench_events_static calls {reps} >/tmp/launcher.txt 2>>/tmp/bench.err; result calls_launcher $?
show maps-launcher /tmp/maps-launcher.txt
show calls-static /tmp/static.txt
show calls-launcher /tmp/launcher.txt
"#,
            reps = a.reps
        )
    } else {
        String::new()
    };
    let body = format!(
        r#". /bpfcompat/lib.sh
{setup}
{prefix}/bpfcompat/bench_events {} {} >/tmp/bench.txt 2>/tmp/bench.err; result exit $?
{prefix}/bpfcompat/bench_events maps {} >/tmp/maps.txt 2>>/tmp/bench.err; result maps $?
{prefix}/bpfcompat/bench_events channels {} {} >/tmp/channels.txt 2>>/tmp/bench.err; result channels $?
{tools}{calls}show bench /tmp/bench.txt
show maps /tmp/maps.txt
show channels /tmp/channels.txt
show stderr /tmp/bench.err
"#,
        a.events,
        a.reps,
        a.reps,
        a.events,
        a.reps,
        tools = tools_script(prefix, a)
    );
    let mut g = Guest::new(name, kernel).binary_at(bin, "/bpfcompat/bench_events").icount(0).kernel_arg("clocksource=tsc").with_stdbuf();
    for tool in TOOLS.iter().map(|(t, _)| *t).chain(LOAD_TOOLS).collect::<std::collections::BTreeSet<_>>() {
        let path = guest::host_tool(tool, "libbpf-tools").unwrap_or_else(|e| usage(&e.0));
        g = g.binary_at(&path, &format!("/usr/sbin/{tool}"));
    }
    if let Some(l) = &launcher {
        g = g.with_hook(guest::hook_library_for(kernel)).with_module(guest::bpfdrv_module(kernel));
        g = g.binary_at(l.bin, "/bpfcompat/bench_events_static").binary_at(l.bpfhook, "/usr/bin/bpfhook");
    }
    let run = g.body(&body).timeout(Duration::from_secs(1800)).boot();
    run.assert_completed();
    run.assert_kernel_clean();
    run.assert_value("exit", "0", &format!("{name}: bench_events"));
    run.assert_value("maps", "0", &format!("{name}: bench_events maps"));
    run.assert_value("channels", "0", &format!("{name}: bench_events channels"));
    let mut calls = Costs::new();
    if shim {
        run.assert_value("calls_plain", "0", &format!("{name}: bench_events calls"));
        run.assert_value("calls_hook", "0", &format!("{name}: bench_events calls under the hook"));
        parse_costs(&run, "calls-plain", "H", &mut calls, "plain");
        parse_costs(&run, "calls-hook", "H", &mut calls, "hook");
    }
    let mut launcher_maps = Costs::new();
    if shim {
        for (key, what) in [("maps_launcher", "maps"), ("calls_static", "calls"), ("calls_launcher", "calls under the launcher")] {
            run.assert_value(key, "0", &format!("{name}: the static bench_events {what}"));
        }
        parse_costs(&run, "maps-launcher", "M", &mut launcher_maps, "");
        parse_costs(&run, "calls-static", "H", &mut calls, "static");
        parse_costs(&run, "calls-launcher", "H", &mut calls, "launcher");
    }
    let mut maps = Costs::new();
    parse_costs(&run, "maps", "M", &mut maps, "");
    run.assert_value("workload", "0", &format!("{name}: bench_events workload"));
    let mut tools = Costs::new();
    parse_costs(&run, "workload-none", "W", &mut tools, "none");
    for (tool, _) in TOOLS {
        run.assert_value(&format!("{tool}.ready"), "yes", &format!("{name}: {tool} started, printed its header and handles SIGINT"));
        run.assert_value(&format!("{tool}.exit"), "0", &format!("{name}: {tool} ended cleanly on SIGINT"));
        parse_costs(&run, &format!("workload-{tool}"), "W", &mut tools, tool);
    }
    let mut load = Costs::new();
    parse_costs(&run, "load", "L", &mut load, "load");
    Side { events: parse(&run, a.events), maps, calls, launcher_maps, channels: parse_channels(&run), tools, load }
}

/// `C <channel> <rep> <baseline ns> <ns> <events> <records read>` → instructions per
/// record above the unprobed baseline; every event's record must have been read.
fn parse_channels(run: &GuestRun) -> Costs {
    let mut out = Costs::new();
    let text = run.expect_section("channels");
    for l in text.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.first() != Some(&"C") || f.get(1) == Some(&"done") {
            continue;
        }
        if f.len() != 7 {
            run.fail(format!("bad line {l:?} in channels"));
        }
        let num = |i: usize| -> f64 { f[i].parse().unwrap_or_else(|_| run.fail(format!("bad number in {l:?}"))) };
        let (base, ns, n, read) = (num(3), num(4), num(5), num(6));
        if read != n {
            run.fail(format!("{l}: {read} records read for {n} events: the channel lost some"));
        }
        out.entry((f[1].to_string(), String::new())).or_default().push((ns - base) / n);
    }
    if !text.contains("C done") {
        run.fail("channels: the benchmark did not finish");
    }
    out
}

/// `<tag> <a> <b> <rep> <ns> <count>` lines (`<tag> <b> <rep> <ns> <count>` when `a` is
/// given: the call lines name no map) → ns per operation.
fn parse_costs(run: &GuestRun, section: &str, tag: &str, out: &mut Costs, a: &str) {
    for l in run.expect_section(section).lines() {
        let mut f: Vec<&str> = l.split_whitespace().collect();
        if f.first() != Some(&tag) || f.get(1) == Some(&"done") {
            continue;
        }
        // call names may hold no spaces; map lines have one field more
        if !a.is_empty() {
            f.insert(1, a);
        }
        if f.len() != 6 {
            run.fail(format!("bad line {l:?} in {section}"));
        }
        let num = |i: usize| -> f64 { f[i].parse().unwrap_or_else(|_| run.fail(format!("bad number in {l:?}"))) };
        out.entry((f[1].to_string(), f[2].to_string())).or_default().push(num(4) / num(5));
    }
    if !run.expect_section(section).contains(&format!("{tag} done")) {
        run.fail(format!("{section}: the benchmark did not finish"));
    }
}

fn parse(run: &GuestRun, events: u64) -> Results {
    let mut r = Results::new();
    for l in run.expect_section("bench").lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() != 8 || f[0] != "B" {
            continue;
        }
        let num = |i: usize| -> f64 { f[i].parse().unwrap_or_else(|_| run.fail(format!("bad number in {l:?}"))) };
        let (base, probed, n, hits) = (num(4), num(5), num(6), num(7));
        // The counter program must have run on every event (the raw tracepoint sees the
        // detaching close() too); the empty one leaves the counter at 0.
        if f[2] == "counter" && (hits < n || hits > n + 2.0) {
            run.fail(format!("{}: counter {hits} after {n} events: the program did not run on each", l));
        }
        assert_eq!(n as u64, events);
        r.entry((f[1].to_string(), f[2].to_string()))
            .or_default()
            .push(Sample { base_ns_per_event: base / n, overhead_ns_per_event: (probed - base) / n });
    }
    if r.is_empty() {
        run.fail("no benchmark lines");
    }
    r
}

/// (median, min, max)
fn stats(v: &[f64]) -> (f64, f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let mid = if s.len() % 2 == 1 { s[s.len() / 2] } else { (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0 };
    (mid, s[0], s[s.len() - 1])
}

fn cell(v: &[f64]) -> String {
    let (m, lo, hi) = stats(v);
    format!("{m:.0} ({lo:.0}–{hi:.0})")
}

const ATTACH_ORDER: [&str; 7] = ["tracepoint", "kprobe", "kretprobe", "raw_tracepoint", "fentry", "fexit", "uprobe"];

fn report(native: &Side, shim: &Side, a: &Args) -> String {
    let mut s = events_report(&native.events, &shim.events, a);
    s.push_str(&format!(
        "\n## Map commands from user space\n\n\
         Instructions per operation on a {} -entry map (key u32, value u64), each operation \
         over every key in turn (a batch lookup counted per element); median (min–max) of {} \
         repetitions. Under the hook each is an ioctl to the driver.\n\n\
         | map | operation | native eBPF | shim | shim / native |\n|---|---|---|---|---|\n",
        10000, a.reps
    ));
    for ((map, op), n) in &native.maps {
        let Some(h) = shim.maps.get(&(map.clone(), op.clone())) else { continue };
        let ratio = stats(h).0 / stats(n).0.max(1.0);
        s.push_str(&format!("| {map} | {op} | {} | {} | {ratio:.2}× |\n", cell(n), cell(h)));
    }
    s.push_str(&format!(
        "\n## Event channels\n\n\
         Instructions per event that sends a 64-byte record to user space from the \
         `sys_enter_getppid` tracepoint (`bpf_ringbuf_output` into a 256 KiB ring buffer, \
         `bpf_perf_event_output` into a 256 KiB perf buffer set up as libbpf's \
         `perf_buffer__new` does, one wakeup per event), including reading the record out of \
         the mmap'ed ring in the same process, above the same {} events unprobed; \
         median (min–max) of {} repetitions. Events come in batches of 256 and the ring is \
         drained after each: every record arrives (a lost one fails the run), so this is the \
         cost at a rate the channel sustains; 10^9 / the figure is the events per guest \
         second one CPU can deliver.\n\n\
         | channel | native eBPF | shim | shim / native |\n|---|---|---|---|\n",
        a.events, a.reps
    ));
    for ((channel, _), n) in &native.channels {
        let Some(h) = shim.channels.get(&(channel.clone(), String::new())) else { continue };
        let ratio = stats(h).0 / stats(n).0.max(1.0);
        s.push_str(&format!("| {channel} | {} | {} | {ratio:.1}× |\n", cell(n), cell(h)));
    }
    s.push_str(&tools_report(native, shim, a));
    s.push_str(
        "\n## The hook on calls it does not translate\n\n\
         Instructions per call in the no-bpf guest, the same loop without and with \
         `LD_PRELOAD=libbpfhook.so` (the hook interposes these to serve BTF, pins and \
         tracing files; any other path or syscall passes through).\n\n\
         | call | without the hook | with the hook | added per call |\n|---|---|---|---|\n",
    );
    let names: Vec<&String> = shim.calls.keys().filter(|(k, _)| k == "plain").map(|(_, c)| c).collect();
    for call in names {
        let (Some(p), Some(h)) = (shim.calls.get(&("plain".into(), call.clone())), shim.calls.get(&("hook".into(), call.clone()))) else {
            continue;
        };
        s.push_str(&format!("| `{call}` | {} | {} | {:.0} |\n", cell(p), cell(h), stats(h).0 - stats(p).0));
    }
    s.push_str(&launcher_report(native, shim, a));
    s
}

/// `bpfhook run`'s launcher: the same program linked statically, which LD_PRELOAD cannot
/// reach, its bpf() calls answered by tracing it.
fn launcher_report(native: &Side, shim: &Side, a: &Args) -> String {
    let mut s = format!(
        "\n## The launcher (static and Go tools)\n\n\
         The same benchmark linked statically (`gcc -static`), which LD_PRELOAD cannot reach, \
         run by `bpfhook run` in the no-bpf guest: a seccomp filter stops it at each bpf() \
         call, and the launcher, its tracer, makes the driver's ioctl in it (two ptrace stops, \
         each a switch to the launcher and back). Map commands as above, instructions per \
         operation, median (min–max) of {} repetitions:\n\n\
         | map | operation | native eBPF | hook | launcher | launcher / hook | launcher / native |\n\
         |---|---|---|---|---|---|---|\n",
        a.reps
    );
    for ((map, op), l) in &shim.launcher_maps {
        let key = (map.clone(), op.clone());
        let (Some(n), Some(h)) = (native.maps.get(&key), shim.maps.get(&key)) else { continue };
        let (n, h, lm) = (stats(n).0.max(1.0), stats(h).0.max(1.0), stats(l).0);
        s.push_str(&format!("| {map} | {op} | {n:.0} | {h:.0} | {} | {:.1}× | {:.1}× |\n", cell(l), lm / h, lm / n));
    }
    s.push_str(
        "\nThe launcher on calls it does not translate, the static build without and under it: \
         a path lookup (open, stat, access) stops the tool so the launcher can read the path \
         (none of these is one the hook serves, so the call then runs as it is); any other \
         system call (`syscall(getpid)`) only runs the filter's few classic-BPF instructions.\n\n\
         | call | without | under the launcher | added per call |\n|---|---|---|---|\n",
    );
    let names: Vec<&String> = shim.calls.keys().filter(|(k, _)| k == "static").map(|(_, c)| c).collect();
    for call in names {
        let (Some(p), Some(l)) = (shim.calls.get(&("static".into(), call.clone())), shim.calls.get(&("launcher".into(), call.clone())))
        else {
            continue;
        };
        s.push_str(&format!("| `{call}` | {} | {} | {:.0} |\n", cell(p), cell(l), stats(l).0 - stats(p).0));
    }
    s
}

fn tools_report(native: &Side, shim: &Side, a: &Args) -> String {
    let per_trip = |side: &Side, tool: &str| side.tools.get(&(tool.to_string(), "roundtrip".to_string())).map(|v| stats(v).0);
    let mut s = format!(
        "\n## Whole tools\n\n\
         What a running libbpf-tool (Debian's build, unmodified: natively on the stock kernel, \
         under the hook on the no-bpf one) adds to a fixed workload: {} round trips of one byte \
         between two processes over pipes (2 wakeups, 2 context switches, 4 syscalls each), \
         timed inside the workload with the tool started and attached, against the workload \
         alone; instructions added per round trip, medians of {} repetitions. With one vCPU \
         everything the tool costs while the workload runs — its programs in the kernel and \
         its own user-space work — lands in the workload's time.\n\n\
         | tool | what it traces | native eBPF | shim | shim / native |\n|---|---|---|---|---|\n",
        round_trips(a),
        a.reps
    );
    let (Some(native_alone), Some(shim_alone)) = (per_trip(native, "none"), per_trip(shim, "none")) else {
        return s;
    };
    for (tool, what) in TOOLS {
        let (Some(n), Some(h)) = (per_trip(native, tool), per_trip(shim, tool)) else { continue };
        let (n, h) = (n - native_alone, h - shim_alone);
        s.push_str(&format!("| {tool} | {what} | {n:.0} | {h:.0} | {:.1}× |\n", h / n.max(1.0)));
    }
    s.push_str(&format!(
        "\nThe workload alone: {native_alone:.0} instructions per round trip native, {shim_alone:.0} on the no-bpf kernel.\n"
    ));
    s.push_str(&format!(
        "\n## Load time\n\n\
         Guest instructions (millions) from exec to attached for the five libbpf-tools with \
         the largest BPF objects: the tool started with its stdout on a pipe (line-buffered \
         with `stdbuf -oL`) and timed to its first line, which each prints once its programs \
         are loaded and attached; open, BTF and CO-RE relocation, map creation, program \
         load (the kernel's verifier natively, the module's checker under the shim) and \
         attach; median (min–max) of {} repetitions.\n\n\
         | tool | native eBPF | shim | shim / native |\n|---|---|---|---|\n",
        a.reps
    ));
    for tool in LOAD_TOOLS {
        let key = ("load".to_string(), tool.to_string());
        let (Some(n), Some(h)) = (native.load.get(&key), shim.load.get(&key)) else { continue };
        let millions = |v: &[f64]| v.iter().map(|x| x / 1e6).collect::<Vec<f64>>();
        let (mn, mh) = (millions(n), millions(h));
        s.push_str(&format!("| {tool} | {} | {} | {:.1}× |\n", cell1(&mn), cell1(&mh), stats(&mh).0 / stats(&mn).0.max(1e-9)));
    }
    s
}

fn cell1(v: &[f64]) -> String {
    let (m, lo, hi) = stats(v);
    format!("{m:.1} ({lo:.1}–{hi:.1})")
}

fn events_report(native: &Results, shim: &Results, a: &Args) -> String {
    let mut s = String::new();
    s.push_str("## Per-event overhead\n\n");
    s.push_str(&format!(
        "Guest instructions a probed event adds (`-icount shift=0`: 1 guest ns = 1 instruction), \
         above the same {} events unprobed; median (min–max) of {} repetitions. \
         Event source: `getppid()` for the kernel attach kinds (tracepoint \
         `syscalls:sys_enter_getppid`, kprobe / kretprobe on `__x64_sys_getppid`, raw \
         tracepoint `sys_enter`, fentry / fexit on the same function by its BTF name \
         `__do_sys_getppid`: BPF trampolines natively, emulated with kprobes by the shim), \
         an empty function for the uprobe. Programs: *empty* \
         (`return 0`) and *counter* (hash map lookup + atomic add, what most tools do per \
         event).\n\n",
        a.events, a.reps
    ));
    let shim_label = if a.module_args.is_empty() { String::new() } else { format!(", bpfdrv.ko {}", a.module_args) };
    s.push_str(&format!(
        "| attach | program | native eBPF (stock 6.1) | shim (no-bpf 6.1{shim_label}) | shim / native |\n|---|---|---|---|---|\n"
    ));
    for attach in ATTACH_ORDER {
        for prog in ["empty", "counter"] {
            let key = (attach.to_string(), prog.to_string());
            let (Some(n), Some(h)) = (native.get(&key), shim.get(&key)) else { continue };
            let nv: Vec<f64> = n.iter().map(|x| x.overhead_ns_per_event).collect();
            let hv: Vec<f64> = h.iter().map(|x| x.overhead_ns_per_event).collect();
            let ratio = stats(&hv).0 / stats(&nv).0.max(1.0);
            s.push_str(&format!("| {attach} | {prog} | {} | {} | {ratio:.1}× |\n", cell(&nv), cell(&hv)));
        }
    }
    s.push_str("\nThe unprobed event itself (baseline, instructions per event): ");
    let base = |r: &Results, attach: &str| -> String {
        r.get(&(attach.to_string(), "empty".to_string()))
            .map(|v| format!("{:.0}", stats(&v.iter().map(|x| x.base_ns_per_event).collect::<Vec<_>>()).0))
            .unwrap_or_else(|| "n/a".into())
    };
    s.push_str(&format!(
        "`getppid()` {} native, {} under the hook; the uprobe's empty call {} native, {} under the hook \
         (the hook interposes `syscall()`, so its own cost is in both the baseline and the probed run \
         and cancels out).\n",
        base(native, "tracepoint"),
        base(shim, "tracepoint"),
        base(native, "uprobe"),
        base(shim, "uprobe")
    ));
    s
}

fn main() {
    let a = parse_args();
    let need = |r: Result<Kernel, guest::Skip>, what: &str| r.unwrap_or_else(|e| usage(&format!("{what}: {}", e.0)));
    let stock = need(guest::stock_kernel(), "the stock kernel");
    let nobpf = need(guest::nobpf_kernel(), "the no-bpf kernel");
    let bin = guest::guest_c_program("bench_events.c").unwrap_or_else(|e| usage(&e.0));
    let static_bin = guest::guest_static_c_program("bench_events.c", guest::StaticLibc::Glibc).unwrap_or_else(|e| usage(&e.0));
    let bpfhook = guest::bpfhook_cli_for(&nobpf);
    let native = run_side("bench_native", &stock, None, &bin, &a);
    let shim = run_side("bench_shim", &nobpf, Some(Launcher { bin: &static_bin, bpfhook: &bpfhook }), &bin, &a);
    let text = report(&native, &shim, &a);
    match &a.out {
        Some(p) => std::fs::write(p, &text).unwrap_or_else(|e| usage(&format!("{p}: {e}"))),
        None => print!("{text}"),
    }
}
