# Guest side of the bpftrace one-liners (tests/tests/guest_bpftrace.rs). Sourced after lib.sh.
# $BT_PRELOAD: "LD_PRELOAD=..." under the shim, empty for the native oracle.

# interrupt PID NAME: Ctrl-C, and a second one if bpftrace is still there 20 s later:
# bpftrace 0.17 sometimes misses the first SIGINT and sleeps on in epoll_wait (seen on
# the stock kernel as under the shim). Where its threads waited goes to section
# NAME.hang, read with shell builtins and shown once bpftrace has exited: a `cat` run
# while its probes are still attached would be counted by the one-liners that filter on
# comm == "cat" (kretprobe_retval once counted two). Sets $exit_status as wait_exit does.
interrupt() {
    kill -INT "$1" 2>/dev/null
    rm -f /tmp/bt.hang
    _n=0
    while alive "$1" && [ $_n -lt 200 ]; do usleep 100000; _n=$((_n + 1)); done
    if alive "$1"; then
        for t in /proc/$1/task/*; do
            read -r _wchan < $t/wchan 2>/dev/null
            read -r _sys _rest < $t/syscall 2>/dev/null
            while read -r _k _v; do [ "$_k" = State: ] && break; done < $t/status
            echo "$t State: $_v wchan=$_wchan syscall=$_sys"
        done > /tmp/bt.hang
        kill -INT "$1" 2>/dev/null
    fi
    wait_exit "$1" 100
    [ -e /tmp/bt.hang ] && show "$2.hang" /tmp/bt.hang
}

# run_bt NAME PROGRAM WORKLOAD SETTLE: start bpftrace -e PROGRAM, wait until it has
# attached (its "Attaching N probes..." line, then 2 s: bpftrace attaches after printing
# it), run WORKLOAD, give the program SETTLE seconds to exit() by itself, else stop it
# with SIGINT (bpftrace then prints its maps), and show what it printed.
run_bt() {
    name=$1; prog=$2; wl=$3; settle=$4
    rm -f /tmp/bt.out /tmp/bt.err
    echo "BPFCOMPAT-BT $name"
    env $BT_PRELOAD bpftrace -e "$prog" > /tmp/bt.out 2> /tmp/bt.err &
    pid=$!
    if wait_for /tmp/bt.out '^Attaching' 120 $pid; then result "$name.ready" yes; else result "$name.ready" no; fi
    sleep 2
    sh -c "$wl" > /tmp/bt.wl 2>&1
    _n=0
    while alive $pid && [ $_n -lt $(( settle * 10 )) ]; do usleep 100000; _n=$((_n + 1)); done
    interrupt $pid "$name"
    result "$name.exit" "$exit_status"
    show "$name.stdout" /tmp/bt.out
    # bpftrace's own "WARNING:" lines would read as kernel warnings to the serial log check.
    sed 's/WARNING:/bpftrace warning:/' /tmp/bt.err > /tmp/bt.err2
    show "$name.stderr" /tmp/bt.err2
    # What the driver logged meanwhile (unsupported commands, types, ...): the new lines.
    dmesg | grep -o 'bpfdrv.*' > /tmp/bt.drv
    tail -n +$(( ${bt_drv_seen:-0} + 1 )) /tmp/bt.drv > /tmp/bt.drv.new
    bt_drv_seen=$(wc -l < /tmp/bt.drv)
    [ -s /tmp/bt.drv.new ] && show "$name.driver-log" /tmp/bt.drv.new
    return 0
}
