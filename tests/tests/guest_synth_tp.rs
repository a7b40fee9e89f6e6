//! Synthetic syscall tracepoints (issue 7), in the QEMU guest running the kernel built
//! with CONFIG_BPF_SYSCALL=n. 3.10 x86_64 kernels have no syscalls:sys_enter_execve;
//! bpfdrv.ko serves a synthetic one from a kprobe / kretprobe on the syscall function
//! and the hook points the tool at it when the kernel's is missing.
//!
//! This kernel does have the real events, which makes it the oracle: in one boot,
//! Debian's unmodified execsnoop runs once through the real tracepoints and once with
//! them hidden from the hook (`BPFHOOK_HIDE_TRACEPOINTS`, testing only), so the
//! synthetic ones are used; the exec lines (arguments, return codes, a failed exec's -2)
//! must be the same modulo PIDs. A small libbpf program (tests/guest/synth) does the
//! same for clone's five arguments and arch_prctl's two. The module's format files
//! must equal the kernel's.
//!
//!     cargo test -p bpfcompat-tests --test guest_synth_tp

use bpfcompat_tests::guest::{self, Guest};
use bpfcompat_tests::require;

/// The execs the workload makes: each line of execsnoop output for it contains a marker.
const WORKLOAD: &str = r#"/bin/echo bpfcompat-synth-1 two words
/bin/busybox true bpfcompat-synth-2 --flag
/nonexistent/bpfcompat-synth-missing arg 2>/dev/null
/bin/true bpfcompat-synth-done"#;

/// The events synth_test attaches to, hidden from the hook in its synthetic run.
const CLONE_EVENTS: &str = "syscalls:sys_enter_clone,syscalls:sys_exit_clone,\
                            syscalls:sys_enter_arch_prctl,syscalls:sys_exit_arch_prctl";

/// Shell for one execsnoop run labelled $1 (extra environment in $2), with the kprobes
/// registered while it runs.
const RUN_EXECSNOOP: &str = r#"run_execsnoop() {
    env $2 BPFHOOK_LOG=info LD_PRELOAD=$HOOK stdbuf -oL execsnoop -x >/tmp/$1.out 2>/tmp/$1.err &
    pid=$!
    if wait_for /tmp/$1.out PCOMM 120 $pid; then result $1_ready yes; else result $1_ready no; fi
    sleep 1 # the header comes before perf_buffer__new: give the reader time to exist
    result $1_kprobes $(grep -c '_sys_execve' /sys/kernel/debug/kprobes/list 2>/dev/null)
    workload
    if wait_for /tmp/$1.out bpfcompat-synth-done 30 $pid; then result $1_events yes; else result $1_events no; fi
    stop $pid 30; result $1_exit $exit_status
    show $1-stdout /tmp/$1.out
    show $1-stderr /tmp/$1.err
}
"#;

/// The lines of an execsnoop output that belong to the workload, without the PID and
/// PPID columns (PCOMM PID PPID RET ARGS). The harness's own greps for the markers
/// (busybox re-executing itself as /proc/self/exe) are not the workload's.
fn workload_lines(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| l.contains("bpfcompat-synth") && !l.contains("/proc/self/exe"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let mut kept = vec![f[0]];
            kept.extend(f.iter().skip(3));
            kept.join(" ")
        })
        .collect()
}

#[test]
#[ignore = "flaky (1 failure in about 15 runs, under CI load): the synthetic run sometimes reported only execsnoop's last execs, \
            likely execs before its perf buffer existed (now waited for); out of the default suite until that is confirmed \
            (cargo test --test guest_synth_tp -- --ignored)"]
fn execsnoop_through_synthetic_execve_tracepoints_matches_the_real_ones() {
    let kernel = require!(guest::nobpf_kernel());
    let tool = require!(guest::host_tool("execsnoop", "libbpf-tools"));
    let body = format!(
        r#". /bpfcompat/lib.sh
insmod $MODULE; result insmod $?
workload() {{
{WORKLOAD}
}}
{RUN_EXECSNOOP}
# The module's format files against the kernel's own (the ID lines differ by design).
synth=/sys/kernel/debug/bpfdrv/events/syscalls
n=0; same=0
for d in $synth/*; do
    e=${{d##*/}}; n=$((n + 1))
    result id_$e "$(cat $d/id)"
    real=/sys/kernel/tracing/events/syscalls/$e/format
    if [ -r $real ]; then
        grep -v '^ID:' $d/format >/tmp/synth.fmt; grep -v '^ID:' $real >/tmp/real.fmt
        if cmp -s /tmp/synth.fmt /tmp/real.fmt; then same=$((same + 1)); result format_$e same
        else result format_$e differs; show format-$e-synthetic /tmp/synth.fmt; show format-$e-kernel /tmp/real.fmt; fi
    else
        result format_$e no-kernel-event
    fi
done
result event_dirs $n
result synth_formats_same $same
run_execsnoop real ""
run_execsnoop synth BPFHOOK_HIDE_TRACEPOINTS=syscalls:sys_enter_execve,syscalls:sys_exit_execve
result kprobes_after $(grep -c '_sys_execve' /sys/kernel/debug/kprobes/list 2>/dev/null)
# Five- and two-argument records (clone, arch_prctl) through both routes.
for label in real synth; do
    hide=""; [ $label = synth ] && hide=BPFHOOK_HIDE_TRACEPOINTS={CLONE_EVENTS}
    env $hide BPFHOOK_LOG=info LD_PRELOAD=$HOOK /bpfcompat/synth/synth_test /bpfcompat/synth/synth.bpf.o \
        >/tmp/clone-$label.out 2>/tmp/clone-$label.err
    result clone_${{label}}_exit $?
    show clone-$label-stdout /tmp/clone-$label.out
    show clone-$label-stderr /tmp/clone-$label.err
done
rmmod bpfdrv; result rmmod $?
"#
    );
    let (loader, obj) = guest::guest_bpf_program("synth", "synth").unwrap_or_else(|s| panic!("{}", s.0));
    let run = Guest::new("synth_tp", &kernel)
        .binary(&tool)
        .binary_at(&loader, "/bpfcompat/synth/synth_test")
        .file(&obj, "/bpfcompat/synth/synth.bpf.o")
        .with_hook(guest::hook_library_for(&kernel))
        .with_module(guest::bpfdrv_module(&kernel))
        .with_stdbuf()
        .body(&body)
        .boot();
    run.assert_completed();
    run.assert_value("insmod", "0", "insmod bpfdrv.ko");

    // Every syscall the module synthesizes, both directions, with ids in its own range.
    let covered = ["rt_sigreturn", "clone", "fork", "vfork", "execve", "arch_prctl", "iopl", "ioperm", "execveat"];
    run.assert_value("event_dirs", &(2 * covered.len()).to_string(), "synthetic events published in debugfs");
    for sc in covered {
        for dir in ["enter", "exit"] {
            let e = format!("sys_{dir}_{sc}");
            let id: u64 =
                run.value(&format!("id_{e}")).and_then(|v| v.parse().ok()).unwrap_or_else(|| run.fail(format!("no numeric id for {e}")));
            if !(0x1000_0000..0x1001_0000).contains(&id) {
                run.fail(format!("{e}: synthetic id {id} outside the module's range"));
            }
            // This 6.1 kernel has them all: the record layout must be the kernel's.
            run.assert_value(&format!("format_{e}"), "same", &format!("{e}: module's format file vs the kernel's"));
        }
    }

    for label in ["real", "synth"] {
        run.assert_value(&format!("{label}_ready"), "yes", &format!("execsnoop ({label}) printed its header"));
        run.assert_value(&format!("{label}_events"), "yes", &format!("execsnoop ({label}) reported the workload"));
        run.assert_value(&format!("{label}_exit"), "0", &format!("execsnoop ({label}) exit status after SIGINT"));
    }
    // The real run uses the kernel's tracepoints; the synthetic run a kprobe and a
    // kretprobe on __x64_sys_execve, gone once execsnoop exits.
    run.assert_value("real_kprobes", "0", "kprobes on the execve function during the real-tracepoint run");
    run.assert_value("synth_kprobes", "2", "kprobe + kretprobe on the execve function during the synthetic run");
    run.assert_value("kprobes_after", "0", "kprobes left after execsnoop exited");
    let synth_err = run.expect_section("synth-stderr");
    if !synth_err.contains("sys_enter_execve is hidden") || !synth_err.contains("synthetic event") {
        run.fail("the hook did not report using the synthetic sys_enter_execve");
    }
    if run.expect_section("real-stderr").contains("synthetic") {
        run.fail("the real-tracepoint run used a synthetic event");
    }

    let real = workload_lines(&run.expect_section("real-stdout"));
    let synth = workload_lines(&run.expect_section("synth-stdout"));
    let expect: [&[&str]; 4] = [
        &["echo", " 0 ", "/bin/echo bpfcompat-synth-1 two words"],
        &["busybox", " 0 ", "/bin/busybox true bpfcompat-synth-2 --flag"],
        &[" -2 ", "/nonexistent/bpfcompat-synth-missing arg"],
        &["true", " 0 ", "/bin/true bpfcompat-synth-done"],
    ];
    for (label, lines) in [("real", &real), ("synth", &synth)] {
        for parts in expect {
            if !lines.iter().any(|l| parts.iter().all(|p| format!(" {l} ").contains(p))) {
                run.fail(format!("execsnoop ({label}): no workload line with {parts:?}; lines: {lines:#?}"));
            }
        }
    }
    if real != synth {
        run.fail(format!(
            "execsnoop reports differ modulo PIDs:\nreal tracepoints:\n{}\nsynthetic tracepoints:\n{}",
            real.join("\n"),
            synth.join("\n")
        ));
    }
    // clone's five arguments (the 4th in r10 at the syscall, rcx in a 3.10-style call),
    // arch_prctl's two, __syscall_nr and ret: the same through both routes, and what
    // the same binary prints natively on the host.
    let clone_real = run.expect_section("clone-real-stdout");
    let clone_synth = run.expect_section("clone-synth-stdout");
    for (label, out) in [("real", &clone_real), ("synth", &clone_synth)] {
        run.assert_value(&format!("clone_{label}_exit"), "0", &format!("synth_test ({label})"));
        for want in [
            "synth_attached=4",
            "synth_enter_clone=hits=1 nr=56 args=11,0,1111000,2222000,3333000 ",
            "synth_exit_clone=hits=1 nr=56 args=0,0,0,0,0 ret=as-returned",
            "synth_enter_arch_prctl=hits=1 nr=158 args=7777,4444000,0,0,0 ",
            "synth_exit_arch_prctl=hits=1 nr=158 args=0,0,0,0,0 ret=as-returned",
            // The child's return (ret 0) comes out of ret_from_fork, not the function.
            "synth_child_exit_clone=hits=1 nr=56 args=0,0,0,0,0 ret=as-returned",
        ] {
            if !out.contains(want) {
                run.fail(format!("synth_test ({label}) did not print {want:?}"));
            }
        }
    }
    if clone_real != clone_synth {
        run.fail("synth_test printed different records through the real and the synthetic tracepoints");
    }
    if !run.expect_section("clone-synth-stderr").contains("synthetic event") {
        run.fail("the hook did not report using the synthetic clone / arch_prctl events");
    }
    run.assert_value("rmmod", "0", "rmmod bpfdrv after the tools exited (nothing leaked)");
    run.assert_clean_exit();
}

/// One tcpstates run labelled $1 (extra environment in $2) over the loopback workload,
/// with the kprobes on tcp_set_state counted while it runs.
const RUN_TCPSTATES: &str = r#"run_tcpstates() {
    env $2 BPFHOOK_LOG=info LD_PRELOAD=$HOOK stdbuf -oL tcpstates >/tmp/$1.out 2>/tmp/$1.err &
    pid=$!
    if wait_for /tmp/$1.out NEWSTATE 120 $pid; then result $1_ready yes; else result $1_ready no; fi
    result $1_kprobes $(grep -c 'tcp_set_state\|inet_csk_listen_start\|inet_csk_clone_lock' /sys/kernel/debug/kprobes/list 2>/dev/null)
    /bpfcompat/matrix_load tcp 4121 2 >/tmp/$1.load 2>&1; result $1_load $?
    show $1-load /tmp/$1.load
    sleep 2
    stop $pid 30; result $1_exit $exit_status
    show $1-stdout /tmp/$1.out
    show $1-stderr /tmp/$1.err
}
"#;

/// Each workload socket's transitions in a tcpstates output (SKADDR C-PID C-COMM LADDR
/// LPORT RADDR RPORT OLDSTATE -> NEWSTATE MS): the socket addresses, PIDs, commands
/// (whoever runs the softirq), times and the client's ports differ from run to run, and a freed socket's
/// address is reused, so a socket's sequence ends with its transition to CLOSE. The
/// sequences are sorted, as the two ends of a connection may interleave either way.
fn socket_transitions(out: &str) -> Vec<Vec<String>> {
    let mut open: std::collections::HashMap<&str, usize> = Default::default();
    let mut seqs: Vec<Vec<String>> = Vec::new();
    for l in out.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        let Some(arrow) = f.iter().position(|&w| w == "->") else { continue };
        // Only the workload's sockets (port 4121 on either end).
        if arrow < 5 || f.len() < arrow + 2 || (f[arrow - 4] != "4121" && f[arrow - 2] != "4121") {
            continue;
        }
        // LADDR LPORT RADDR RPORT OLDSTATE -> NEWSTATE (a command may hold spaces), the
        // client's ephemeral port as "eph".
        let port = |p: &str| if p == "4121" || p == "0" { p.to_string() } else { "eph".to_string() };
        let t =
            format!("{} {} {} {} {} -> {}", f[arrow - 5], port(f[arrow - 4]), f[arrow - 3], port(f[arrow - 2]), f[arrow - 1], f[arrow + 1]);
        let i = *open.entry(f[0]).or_insert_with(|| {
            seqs.push(Vec::new());
            seqs.len() - 1
        });
        seqs[i].push(t);
        if f[arrow + 1] == "CLOSE" {
            open.remove(f[0]);
        }
    }
    seqs.sort();
    seqs
}

#[test]
fn tcpstates_through_synthetic_inet_sock_set_state_matches_the_real_one() {
    let kernel = require!(guest::nobpf_kernel());
    let tool = require!(guest::host_tool("tcpstates", "libbpf-tools"));
    let load = guest::guest_c_program("matrix_load.c").unwrap_or_else(|s| panic!("{}", s.0));
    let body = format!(
        r#". /bpfcompat/lib.sh
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
insmod $MODULE; result insmod $?
synth=/sys/kernel/debug/bpfdrv/events/sock/inet_sock_set_state
result sock_id "$(cat $synth/id)"
grep -v '^ID:' $synth/format >/tmp/synth.fmt; grep -v '^ID:' /sys/kernel/tracing/events/sock/inet_sock_set_state/format >/tmp/real.fmt
if cmp -s /tmp/synth.fmt /tmp/real.fmt; then result sock_format same
else result sock_format differs; fi
show format-synthetic /tmp/synth.fmt
show format-kernel /tmp/real.fmt
{RUN_TCPSTATES}
run_tcpstates real ""
run_tcpstates synth BPFHOOK_HIDE_TRACEPOINTS=sock:inet_sock_set_state
result kprobes_after $(grep -c 'tcp_set_state\|inet_csk_listen_start\|inet_csk_clone_lock' /sys/kernel/debug/kprobes/list 2>/dev/null)
dmesg | tail -20 >/tmp/dmesg.txt; show dmesg /tmp/dmesg.txt
rmmod bpfdrv; result rmmod $?
"#
    );
    let run = Guest::new("synth_sock_tp", &kernel)
        .binary(&tool)
        .binary_at(&load, "/bpfcompat/matrix_load")
        .with_hook(guest::hook_library_for(&kernel))
        .with_module(guest::bpfdrv_module(&kernel))
        .with_stdbuf()
        .body(&body)
        .boot();
    run.assert_completed();
    run.assert_value("insmod", "0", "insmod bpfdrv.ko");
    run.assert_value("sock_id", "268468224", "the synthetic event's id (BPFDRV_SYNTH_TP_ID_SOCK_SET_STATE)");
    // This 6.1 kernel has the real event: the record layout must be the kernel's.
    run.assert_value("sock_format", "same", "the module's inet_sock_set_state format file vs the kernel's");
    for label in ["real", "synth"] {
        run.assert_value(&format!("{label}_ready"), "yes", &format!("tcpstates ({label}) printed its header"));
        run.assert_value(&format!("{label}_load"), "0", &format!("the loopback TCP workload ({label})"));
        run.assert_value(&format!("{label}_exit"), "0", &format!("tcpstates ({label}) exit status after SIGINT"));
    }
    // The real run uses the kernel's tracepoint; the synthetic one a kprobe and two
    // kretprobes, gone once tcpstates exits.
    run.assert_value("real_kprobes", "0", "kprobes during the real-tracepoint run");
    run.assert_value("synth_kprobes", "3", "kprobes on tcp_set_state, inet_csk_listen_start, inet_csk_clone_lock");
    run.assert_value("kprobes_after", "0", "kprobes left after tcpstates exited");
    if !run.expect_section("synth-stderr").contains("sock:inet_sock_set_state is hidden") {
        run.fail("the hook did not report using the synthetic sock:inet_sock_set_state");
    }
    if run.expect_section("real-stderr").contains("synthetic event") {
        run.fail("the real-tracepoint run used a synthetic event");
    }
    // A retransmitted SYN (TCG is slow) can make a second child whose insertion into the
    // established hash loses to the first: 4.16+ reports it LISTEN -> SYN_RECV -> CLOSE
    // (inet_ehash_nolisten), the synthetic event does not (3.10 sets no state there). Such
    // a socket carries no connection and is left out of the comparison.
    let lost_hash_race = |s: &Vec<String>| s.len() == 2 && s[0].ends_with("LISTEN -> SYN_RECV") && s[1].ends_with("SYN_RECV -> CLOSE");
    let transitions = |section: &str| -> Vec<Vec<String>> {
        socket_transitions(&run.expect_section(section)).into_iter().filter(|s| !lost_hash_race(s)).collect()
    };
    let real = transitions("real-stdout");
    let synth = transitions("synth-stdout");
    // The listener, and per connection the client and the server's child.
    let want: [&[&str]; 3] = [
        &["CLOSE -> LISTEN", "LISTEN -> CLOSE"],
        &["CLOSE -> SYN_SENT", "SYN_SENT -> ESTABLISHED", "ESTABLISHED -> FIN_WAIT1", "FIN_WAIT1 -> FIN_WAIT2", "FIN_WAIT2 -> CLOSE"],
        &["LISTEN -> SYN_RECV", "SYN_RECV -> ESTABLISHED", "ESTABLISHED -> CLOSE_WAIT", "CLOSE_WAIT -> LAST_ACK", "LAST_ACK -> CLOSE"],
    ];
    for (label, seqs) in [("real", &real), ("synth", &synth)] {
        for w in want {
            if !seqs.iter().any(|s| s.len() == w.len() && s.iter().zip(w).all(|(t, w)| t.ends_with(w))) {
                run.fail(format!("tcpstates ({label}): no socket went {w:?}; sockets: {seqs:#?}"));
            }
        }
        if seqs.len() != 5 {
            run.fail(format!("tcpstates ({label}): {} sockets, want the listener and 2 x 2 ends: {seqs:#?}", seqs.len()));
        }
    }
    if real != synth {
        run.fail(format!("tcpstates transitions differ (addresses, ports, states):\nreal: {real:#?}\nsynthetic: {synth:#?}"));
    }
    run.assert_value("rmmod", "0", "rmmod bpfdrv after the tools exited (nothing leaked)");
    run.assert_clean_exit();
}
