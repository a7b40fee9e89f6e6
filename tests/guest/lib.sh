# Helpers for guest test bodies (busybox sh). The harness installs this file at
# /bpfcompat/lib.sh; bodies start with `. /bpfcompat/lib.sh`.
HOOK=/usr/lib/bpfcompat/libbpfhook.so
MODULE=/bpfcompat/bpfdrv.ko

# result KEY VALUE: a line GuestRun::value(KEY) returns.
result() { echo "BPFCOMPAT-RESULT $1=$2"; }

# show NAME FILE: print FILE between markers; GuestRun::section(NAME) returns the text.
show() {
    echo "==== BEGIN $1 ===="
    cat "$2" 2>/dev/null
    echo "==== END $1 ===="
}

# alive PID: true while PID runs (an exited but not yet reaped child counts as gone).
alive() {
    [ -r /proc/$1/stat ] || return 1
    state=$(sed 's/^.*) //' /proc/$1/stat | cut -d' ' -f1)
    [ "$state" != Z ] && [ "$state" != X ]
}

# wait_for FILE PATTERN SECONDS PID: poll until a line of FILE matches the grep PATTERN.
# Fails when the time runs out or PID exits without having written it.
wait_for() { _wait_grep -s "$@"; }

# wait_for_ere FILE PATTERN SECONDS PID: the same with an extended regular expression.
wait_for_ere() { _wait_grep -E "$@"; }

# _wait_grep GREP_FLAG FILE PATTERN SECONDS PID: both of the above.
_wait_grep() {
    _n=0
    while [ $_n -lt $(( $4 * 10 )) ]; do
        grep $1 -q -e "$3" "$2" 2>/dev/null && return 0
        alive "$5" || { grep $1 -q -e "$3" "$2" 2>/dev/null; return; }
        usleep 100000; _n=$((_n + 1))
    done
    return 1
}

# wait_sigint_handled PID SECONDS: poll until PID has a SIGINT handler (SigCgt bit 1). A
# background job of this non-interactive shell starts with SIGINT ignored, and some tools
# print their header before they install the handler: a Ctrl-C between the two is lost.
wait_sigint_handled() {
    _n=0
    while [ $_n -lt $(( $2 * 10 )) ]; do
        grep -q '^SigCgt:.*[2367abef]$' /proc/$1/status 2>/dev/null && return 0
        alive "$1" || return 1
        usleep 100000; _n=$((_n + 1))
    done
    return 1
}

# wait_exit PID SECONDS: wait for PID (a child of this shell) to exit and set
# $exit_status to its exit status, or to "timeout" (it is then killed with SIGKILL).
wait_exit() {
    _n=0
    while alive "$1" && [ $_n -lt $(( $2 * 10 )) ]; do usleep 100000; _n=$((_n + 1)); done
    if alive "$1"; then
        kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; exit_status=timeout
    else
        wait "$1"; exit_status=$?
    fi
}

# stop PID SECONDS: SIGINT, as Ctrl-C would, then wait_exit.
stop() {
    kill -INT "$1" 2>/dev/null
    wait_exit "$1" "$2"
}
