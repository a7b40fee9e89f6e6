# The demo, run inside the no-bpf guest (busybox sh): load bpfdrv.ko, run Debian's
# execsnoop under libbpfhook.so while running a few commands, show what it printed.
. /bpfcompat/lib.sh
echo "---- guest: kernel $(uname -r); bpf() here returns ENOSYS (CONFIG_BPF_SYSCALL=n)"
echo "---- guest: insmod bpfdrv.ko"
insmod $MODULE; st=$?; result insmod $st
[ $st = 0 ] || exit 1
ls -l /dev/bpfdrv
echo "---- guest: LD_PRELOAD=$HOOK execsnoop  (stdout line-buffered with stdbuf so we can watch it)"
LD_PRELOAD=$HOOK stdbuf -oL execsnoop >/tmp/execsnoop.out 2>/tmp/execsnoop.err &
pid=$!
if ! wait_for /tmp/execsnoop.out PCOMM 120 $pid; then
    echo "---- guest: execsnoop did not start"
    stop $pid 10; result execsnoop_exit $exit_status
    show execsnoop-stdout /tmp/execsnoop.out; show execsnoop-stderr /tmp/execsnoop.err
    rmmod bpfdrv
    exit 1
fi
echo "---- guest: execsnoop is tracing; running some commands"
# busybox's shell runs applets named without a path in-process; a path forces a real exec.
/bin/mkdir -p /tmp/demo
/bin/touch /tmp/demo/hello.txt
/bin/ls -l /tmp/demo
/bin/echo hello from the guest
/bin/uname -r
/bin/sh -c '/bin/cat /etc/hostname; /bin/id -u'
/bin/true bpfcompat-demo-done
wait_for /tmp/execsnoop.out bpfcompat-demo-done 30 $pid
echo "---- guest: stopping execsnoop with SIGINT"
stop $pid 30; result execsnoop_exit $exit_status
show execsnoop-stdout /tmp/execsnoop.out
show execsnoop-stderr /tmp/execsnoop.err
rmmod bpfdrv; st=$?; result rmmod $st
[ "$exit_status" = 0 ] && [ $st = 0 ] && grep -q bpfcompat-demo-done /tmp/execsnoop.out
