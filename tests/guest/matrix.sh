# Guest side of the compatibility matrix (tests/src/matrix.rs). Sourced after lib.sh.
# The body defines one workload function per tool (wl_<name>) and calls run_tool for each.
#
# $MATRIX_PRELOAD: "LD_PRELOAD=..." under the shim, empty for the native oracle.
# $MATRIX_READY:   seconds a tool may take to load and attach (first stdout line).

MATRIX_READY=${MATRIX_READY:-90}

# matrix_setup: loopback up, the ext4 disk (if any) mounted on /mnt/ext4, marker files.
matrix_setup() {
    ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
    printf '127.0.0.1 localhost\n::1 localhost\n' > /etc/hosts
    # The disks: vda ext4, vdb btrfs, vdc xfs (tests/src/matrix.rs makes the images).
    set -- vda ext4 vdb btrfs vdc xfs
    while [ $# -gt 0 ]; do
        mkdir -p /mnt/$2
        if [ -b /dev/$1 ] && mount -t $2 /dev/$1 /mnt/$2; then result disk.$2 yes; else result disk.$2 no; fi
        shift 2
    done
    echo marker > /tmp/mtx-open-marker
    echo 1 > /proc/sys/kernel/sysrq 2>/dev/null
}

# fs_io DIR (ext4_io, btrfs_io, xfs_io): write, sync, drop the page cache and read back on
# a disk's filesystem: block I/O, the filesystem's file operations, page-cache misses and
# readahead.
ext4_io() { fs_io /mnt/ext4; }
btrfs_io() { fs_io /mnt/btrfs; }
xfs_io() { fs_io /mnt/xfs; }
fs_io() {
    d=$1
    dd if=/dev/zero of=$d/mtx-file bs=64k count=32 conv=fsync 2>/dev/null
    sync; echo 3 > /proc/sys/vm/drop_caches
    cat $d/mtx-file > /dev/null
    dd if=/dev/zero of=$d/mtx-file2 bs=4k count=64 2>/dev/null
    sync
    ls -l $d > /dev/null
    rm -f $d/mtx-file2
    sync
}

# tmpfs_io: reads and writes on /tmp (vfs, no block I/O).
tmpfs_io() {
    dd if=/dev/zero of=/tmp/mtx-tmpfs bs=4k count=64 2>/dev/null
    cat /tmp/mtx-tmpfs > /dev/null
    rm -f /tmp/mtx-tmpfs
}

# sched_load: wakeups, sleeps and CPU contention on both CPUs.
sched_load() {
    /bpfcompat/matrix_load spin 300 & a=$!
    /bpfcompat/matrix_load spin 300 & b=$!
    /bpfcompat/matrix_load spin 300 & c=$!
    for i in 1 2 3 4 5 6 7 8 9 10; do usleep 20000; done
    wait $a $b $c
}

# sig_load: a signal the target ignores (SIGWINCH, 28) sent with kill(2), then SIGTERM.
sig_load() {
    sleep 5 & v=$!
    usleep 100000
    kill -28 $v; kill -TERM $v; wait $v
}

# oom_victim: an OOM kill in a memory cgroup (16 MiB limit, a 64 MiB dd buffer); without
# memory cgroups, a manual OOM kill (sysrq f) of a sleeper made the OOM killer's choice.
oom_victim() {
    cg=/sys/fs/cgroup
    mountpoint -q $cg || mount -t cgroup2 none $cg
    if echo +memory > $cg/cgroup.subtree_control && mkdir -p $cg/mtx && echo 16M > $cg/mtx/memory.max; then
        sh -c "echo \$\$ > $cg/mtx/cgroup.procs && exec dd if=/dev/zero of=/dev/null bs=64M count=1"
        rmdir $cg/mtx
    else
        sleep 60 & v=$!
        echo 1000 > /proc/$v/oom_score_adj
        echo f > /proc/sysrq-trigger
        usleep 500000
        kill $v 2>/dev/null; wait $v
    fi
}

# start_java: a JVM (the jlinked runtime in /opt/jre, when the guest has one) that allocates
# and calls System.gc() every 200 ms, for javagc's USDT probes; $MTX_PID is its pid.
# javagc finds libjvm.so in /proc/PID/maps, so wait until the JVM has mapped it.
start_java() {
    [ -x /opt/jre/bin/java ] || return 0
    /opt/jre/bin/java -Xmx32m -XX:+UseSerialGC -cp /opt/javagc Gc 100000 > /dev/null 2>&1 &
    MTX_PID=$!
    _n=0
    while ! grep -q libjvm.so /proc/$MTX_PID/maps 2>/dev/null && [ $_n -lt 300 ]; do usleep 100000; _n=$((_n + 1)); done
    sleep 1
}
stop_java() { [ -n "$MTX_PID" ] && kill $MTX_PID && wait $MTX_PID; return 0; }

# check_dmesg NAME: a kernel bug during the tool is shown (section NAME.dmesg-problem);
# dmesg is cleared after every tool so each bug is charged to the tool that caused it.
# The OOM killer's own stack dump ("Call Trace") is expected output, not a bug.
check_dmesg() {
    # What the driver refused (unsupported map/program types, ...): the report's "blocked by".
    dmesg | grep -o 'bpfdrv.*' | sort -u > /tmp/m.drv
    [ -s /tmp/m.drv ] && show "$1.driver-log" /tmp/m.drv
    if dmesg | grep -E 'BUG:|Oops|WARNING:|general protection fault|Kernel panic' > /tmp/m.bug; then
        show "$1.dmesg-problem" /tmp/m.bug
        dmesg > /tmp/m.dmesg; show "$1.dmesg" /tmp/m.dmesg
    fi
    dmesg -c > /dev/null
}

# wait_attached PID: for a tool that prints nothing before Ctrl-C: wait until its number of
# open fds (maps, programs, perf events, links) has been stable for two seconds.
wait_attached() {
    _last=-1; _stable=0; _n=0
    while alive $1 && [ $_n -lt $MATRIX_READY ]; do
        _c=$(ls /proc/$1/fd 2>/dev/null | wc -l)
        if [ "$_c" = "$_last" ] && [ "$_c" -gt 4 ]; then _stable=$((_stable + 1)); else _stable=0; fi
        [ $_stable -ge 2 ] && return 0
        _last=$_c; sleep 1; _n=$((_n + 1))
    done
    alive $1
}

# run_tool NAME SETTLE QUIET TOOL [ARGS...]: start TOOL (under $MATRIX_PRELOAD), wait until
# it prints its first stdout line (attached; QUIET=1: until its fds are stable) or exits,
# run wl_NAME, wait SETTLE seconds for the events to arrive, SIGINT it (as Ctrl-C) and
# show what it printed.
run_tool() {
    name=$1; settle=$2; quiet=$3; shift 3
    rm -f /tmp/m.out /tmp/m.err /tmp/m.wl
    echo "BPFCOMPAT-MATRIX-TOOL $name $*"
    [ -n "$MTX_PID" ] && result "$name.pid" "$MTX_PID"
    t0=$(cut -d' ' -f1 /proc/uptime)
    env $MATRIX_PRELOAD stdbuf -oL "$@" > /tmp/m.out 2> /tmp/m.err &
    pid=$!
    if [ "$quiet" = 1 ]; then
        if wait_attached $pid; then result "$name.ready" yes; else result "$name.ready" no; fi
    else
        _n=0
        while [ ! -s /tmp/m.out ] && alive $pid && [ $_n -lt $(( MATRIX_READY * 10 )) ]; do
            usleep 100000; _n=$((_n + 1))
        done
        if [ -s /tmp/m.out ] && alive $pid; then result "$name.ready" yes; else result "$name.ready" no; fi
    fi
    t1=$(cut -d' ' -f1 /proc/uptime)
    usleep 500000
    wl_$name > /tmp/m.wl 2>&1
    sleep "$settle"
    # Under the shim: the programs the tool has loaded (which path it took: fentry or kprobe, ...).
    if [ -r /sys/kernel/debug/bpfdrv/stats ]; then
        grep '^prog ' /sys/kernel/debug/bpfdrv/stats > /tmp/m.progs
        show "$name.progs" /tmp/m.progs
    fi
    stop $pid 30
    result "$name.exit" "$exit_status"
    result "$name.load_secs" "$(echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}')"
    show "$name.stdout" /tmp/m.out
    show "$name.stderr" /tmp/m.err
    show "$name.workload" /tmp/m.wl
    check_dmesg "$name"
}
