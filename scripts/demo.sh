#!/bin/bash
# The main job: build everything, boot the kernel without bpf(), load bpfdrv.ko and run
# Debian's unmodified execsnoop under libbpfhook.so while the guest runs a few commands.
#   scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "==> $*"; }
./scripts/install-deps.sh
say "guest kernel with CONFIG_BPF_SYSCALL=n (cached after the first build, ~11 min on 2 cores)"
kernel=$(nice ./scripts/build-kernel.sh nobpf | tail -n1)
release=$(cat "$kernel/release")
say "bpfdrv.ko for $release"
nice make -C driver KDIR="$kernel/build"
say "libbpfhook.so"
nice cargo build --release -p bpfhook
work=target/demo; mkdir -p "$work"
say "guest image"
./scripts/make-initramfs.sh "$work/demo.cpio" \
    --bin "$(command -v execsnoop)" --bin "$(command -v stdbuf)" \
    --file /usr/libexec/coreutils/libstdbuf.so:/usr/libexec/coreutils/libstdbuf.so \
    --file target/release/libbpfhook.so:/usr/lib/bpfcompat/libbpfhook.so \
    --file "$kernel/vmlinux.btf:/var/lib/bpfhook/btf/$release.btf" \
    --file driver/bpfdrv.ko:/bpfcompat/bpfdrv.ko \
    --file tests/guest/lib.sh:/bpfcompat/lib.sh \
    --body scripts/guest/demo-body.sh >/dev/null
say "booting the guest (QEMU TCG; serial console follows)"
./scripts/run-guest.sh "$kernel" "$work/demo.cpio" 300 | tee "$work/serial.log" || true
if grep -q 'BPFCOMPAT-GUEST-EXIT status=0' "$work/serial.log"; then
    say "demo OK: execsnoop traced the guest's commands on a kernel without bpf()"
else
    say "demo FAILED; serial log in $work/serial.log"; exit 1
fi
