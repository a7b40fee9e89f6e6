#!/bin/bash
# The full compatibility matrix: every Debian libbpf-tool on the no-bpf kernel (bpfdrv.ko +
# libbpfhook.so) against the stock Debian kernel (native eBPF), regenerating
# docs/compat-matrix.md.
#   scripts/compat-matrix.sh [--tools a,b | --fast] [--batch N] [--side shim|native|both] [--out FILE]
# Builds (cached) the no-bpf kernel, unpacks the stock kernel, builds the hook and the module.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
kernel_dir=$(nice ./scripts/build-kernel.sh nobpf | tail -n1)
nice cargo build --release -p bpfhook -p bpfcompat-tests --bin compat-matrix
export BPFCOMPAT_KERNEL_DIR=$kernel_dir
export BPFCOMPAT_HOOK=$PWD/target/release/libbpfhook.so
export COMPAT_MATRIX_COMMAND="scripts/compat-matrix.sh${*:+ $*}"
status=0
./target/release/compat-matrix "$@" || status=$?
echo "compat-matrix: wall time $(( $(date +%s) - t0 ))s"
exit $status
