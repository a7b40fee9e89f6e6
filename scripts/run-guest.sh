#!/bin/bash
# Boot a test guest and stream its serial console to stdout.
#
#   scripts/run-guest.sh KERNEL_DIR|VMLINUX INITRAMFS [TIMEOUT_SECONDS]
#
# KERNEL_DIR is a directory printed by scripts/build-kernel.sh (holding vmlinux), or a
# PVH-bootable vmlinux itself. The guest gets 2 CPUs and 1 GiB; it powers itself off when
# its /init is done. If it is still running after TIMEOUT_SECONDS (default 300) QEMU is
# killed and this script exits 124.
#
# Environment:
#   BPFCOMPAT_ACCEL    tcg (default) | kvm | auto (kvm if a probe boot works, else tcg)
#   BPFCOMPAT_APPEND   extra kernel command line
#   BPFCOMPAT_DISK     raw disk images (colon-separated) attached as virtio disks
#                      (/dev/vda, /dev/vdb, ... in the guest)
#   BPFCOMPAT_SMP, BPFCOMPAT_MEM   CPUs (default 2) and memory in MiB (default 1024)
#   BPFCOMPAT_ICOUNT   N: QEMU -icount shift=N (deterministic guest clock; TCG, one thread)
#   BPFCOMPAT_TCG_SINGLE_THREAD  1: all vCPUs on one host thread (TCG): see below
set -uo pipefail
die() { echo "run-guest: $*" >&2; exit 2; }
[ $# -ge 2 ] || die "usage: $0 KERNEL_DIR|VMLINUX INITRAMFS [TIMEOUT_SECONDS]"
kernel=$1; initramfs=$2; limit=${3:-300}
# A built kernel dir holds a PVH vmlinux; the stock kernel dir a bzImage (vmlinuz).
# A kernel dir may carry extra command line options its kernel needs ("cmdline").
# And TCG options ("tcg": e.g. thread=single) its guests need.
kernel_cmdline= tcg_opts=
if [ -d "$kernel" ] && [ -f "$kernel/cmdline" ]; then kernel_cmdline=$(cat "$kernel/cmdline"); fi
if [ -d "$kernel" ] && [ -f "$kernel/tcg" ]; then tcg_opts=,$(cat "$kernel/tcg"); fi
if [ -d "$kernel" ]; then
    # vmlinuz (a bzImage) wins where both exist: KASAN kernels do not boot through PVH.
    if [ -f "$kernel/vmlinuz" ]; then kernel=$kernel/vmlinuz; else kernel=$kernel/vmlinux; fi
fi
[ -f "$kernel" ] || die "no kernel at $kernel"
[ -f "$initramfs" ] || die "no initramfs at $initramfs"
qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"

disk_args=()
IFS=: read -r -a disks <<< "${BPFCOMPAT_DISK:-}"
for d in ${disks[@]+"${disks[@]}"}; do
    [ -n "$d" ] && disk_args+=(-drive "file=$d,format=raw,if=virtio")
done

accel=${BPFCOMPAT_ACCEL:-tcg}
if [ "$accel" = auto ]; then
    # /dev/kvm may exist yet be unable to run a stock kernel: trust it only after a probe boot.
    accel=tcg
    if [ -w /dev/kvm ]; then
        probe=$(BPFCOMPAT_ACCEL=kvm timeout 60 "$0" "$kernel" "$initramfs" 50 2>/dev/null | grep -c 'BPFCOMPAT-GUEST-EXIT')
        [ "$probe" = 1 ] && accel=kvm
    fi
fi
# BPFCOMPAT_ICOUNT=N (benchmarks): the guest clock advances 2^N ns per guest instruction,
# so guest timings count instructions; it needs TCG's single vCPU thread.
if [ -n "${BPFCOMPAT_ICOUNT:-}" ]; then
    [ "${BPFCOMPAT_ACCEL:-tcg}" = kvm ] && die "BPFCOMPAT_ICOUNT needs TCG"
    accel=tcg; tcg_opts="$tcg_opts,thread=single"
fi
# QEMU 7.2's multi-threaded TCG can keep running code another vCPU has rewritten:
# kprobes armed and disarmed on a function one vCPU calls in a loop stalled that vCPU for
# good within seconds (6.1 guest, tracefs kprobe_events alone, no module); with one
# thread for all vCPUs the same 150 s run passed. Guests that patch hot kernel text ask
# for it (half the throughput of 2 vCPUs).
if [ "${BPFCOMPAT_TCG_SINGLE_THREAD:-}" = 1 ] && [ "$accel" = tcg ]; then
    case "$tcg_opts" in *thread=single*) ;; *) tcg_opts="$tcg_opts,thread=single" ;; esac
fi
case "$accel" in
    tcg) accel_args=(-accel "tcg$tcg_opts" -cpu max ${BPFCOMPAT_ICOUNT:+-icount "shift=$BPFCOMPAT_ICOUNT"}) ;;
    kvm) accel_args=(-accel kvm -cpu host) ;;
    *) die "BPFCOMPAT_ACCEL must be tcg, kvm or auto" ;;
esac

echo "run-guest: booting $kernel with $initramfs (accel=$accel, timeout ${limit}s)"
start=$(date +%s.%N)
timeout -k 5 "$limit" "$qemu" "${accel_args[@]}" \
    -smp "${BPFCOMPAT_SMP:-2}" -m "${BPFCOMPAT_MEM:-1024}" \
    -nodefaults -display none -no-reboot \
    -chardev stdio,id=serial0,signal=on -serial chardev:serial0 -monitor none \
    "${disk_args[@]}" -kernel "$kernel" -initrd "$initramfs" \
    -append "console=ttyS0 panic=-1 oops=panic quiet $kernel_cmdline ${BPFCOMPAT_APPEND:-}" < /dev/null
status=$?
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
if [ $status = 124 ] || [ $status = 137 ]; then
    echo "run-guest: TIMEOUT: the guest did not power off within ${limit}s; QEMU killed"
    exit 124
fi
printf 'run-guest: qemu exited with status %s after %.1fs\n' "$status" "$elapsed"
exit $status
