#!/bin/bash
# The whole test suite: installs dependencies, builds the no-bpf guest kernel (cached),
# libbpfhook.so and bpfdrv.ko, then runs every test of the workspace, host and guest.
#   scripts/test.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
phase() { echo "==> $1 ($(( $(date +%s) - t0 ))s elapsed)"; }
timings=()
timed() { # NAME CMD...: run, remember how long it took, return its status
    local name=$1 s rc=0; shift; s=$(date +%s)
    "$@" || rc=$?
    timings+=("$(printf '%-28s %5ss%s' "$name" $(( $(date +%s) - s )) "$([ $rc = 0 ] || echo "  (FAILED, status $rc)")")")
    return $rc
}

phase "dependencies"
timed "install-deps" ./scripts/install-deps.sh
phase "guest kernel (CONFIG_BPF_SYSCALL=n)"
kernel_out=$(mktemp); trap 'rm -f "$kernel_out"' EXIT
timed "kernel (nobpf)" bash -c 'nice ./scripts/build-kernel.sh nobpf > "$1"' _ "$kernel_out"
kernel_dir=$(tail -n1 "$kernel_out")
echo "kernel: $kernel_dir ($(cat "$kernel_dir/release"))"
phase "guest kernel 6.12 (CONFIG_BPF_SYSCALL=n)"
timed "kernel (nobpf 6.12)" bash -c 'nice ./scripts/build-kernel.sh nobpf 6.12 > "$1"' _ "$kernel_out"
kernel_612_dir=$(tail -n1 "$kernel_out")
echo "kernel: $kernel_612_dir ($(cat "$kernel_612_dir/release"))"
phase "workspace build (libbpfhook.so)"
timed "cargo build --release" nice cargo build --release --workspace
phase "style (rustfmt, clippy)"
# Formatting and lints are part of the suite: rustfmt.toml holds the project's settings.
style_status=0
timed "cargo fmt --check" cargo fmt --all -- --check || style_status=$?
timed "cargo clippy" nice cargo clippy --workspace --release --all-targets -- -D warnings || style_status=$?
phase "bpfdrv.ko"
# Not fatal: the host tests still run, and the guest tests that need the module fail
# with the build log.
module_status=0
timed "make -C driver" nice make -C driver KDIR="$kernel_dir/build" || module_status=$?
phase "tests"
# The host-side doctor tests read the host's tracing directories, as an operator's host has
# them mounted; a fresh machine may have neither (mounting needs root, else they say so).
if [ "$(id -u)" = 0 ]; then
    mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug || true
    mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing || true
fi
export BPFCOMPAT_KERNEL_DIR=$kernel_dir
export BPFCOMPAT_KERNEL_612_DIR=$kernel_612_dir
export BPFCOMPAT_HOOK=$PWD/target/release/libbpfhook.so
export BPFCOMPAT_REQUIRE_GUEST=1   # a guest test that cannot run is a failure here
status=0
timed "cargo test --release" nice cargo test --workspace --release --no-fail-fast "$@" || status=$?
echo
echo "==> timings"
printf '  %s\n' "${timings[@]}"
printf '  %-28s %5ss\n' total $(( $(date +%s) - t0 ))
[ $status != 0 ] || status=$module_status
[ $status != 0 ] || status=$style_status
if [ $status = 0 ]; then echo "==> all tests passed"; else echo "==> tests FAILED (status $status)"; fi
exit $status
