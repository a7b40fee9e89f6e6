#!/bin/bash
# The full compatibility matrix: every Debian libbpf-tool on the no-bpf kernel (bpfdrv.ko +
# libbpfhook.so) against the stock Debian kernel (native eBPF), regenerating
# docs/compat-matrix.md.
#   scripts/compat-matrix.sh [--tools a,b | --fast] [--batch N]
#                            [--side shim|native|both|centos7|shim-6.12|native-6.12|all|none]
#                            [--kernel 6.1|6.12|centos7] [--out FILE]
# --kernel centos7 runs the tools on CentOS 7.9's kernel (the shared fixture, see
# scripts/shared-kernel.sh) under the hook with bpfdrv.ko built for its tree, judged against
# the cached native 6.1 runs; the report gets its column. --kernel 6.12 runs them on the
# no-bpf 6.12 kernel and natively on Debian's stock 6.12, its oracle: the 6.12 column.
# The module and the hook are built from the committed tree (HEAD, exported to
# target/matrix-head), so the report describes a commit, not a working tree in flux;
# COMPAT_MATRIX_WORKTREE=1 builds the working tree instead.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
kernel_dir=$(nice ./scripts/build-kernel.sh nobpf | tail -n1)
nice cargo build --release -p bpfcompat-tests --bin compat-matrix
src=$PWD; hook_target=$PWD/target
if [ -z "${COMPAT_MATRIX_WORKTREE:-}" ]; then
    src=$PWD/target/matrix-head/src
    rm -rf "$src"; mkdir -p "$src"
    git archive HEAD | tar -x -C "$src"
    hook_target=$PWD/target/matrix-head/target
fi
# module_for NAME KERNEL_DIR: bpfdrv.ko built for that kernel's tree in its own copy of
# driver/ (one build directory holds one kernel's objects); prints the module's path.
module_for() {
    local dir=$PWD/target/matrix-$1-driver
    rm -rf "$dir"; cp -r "$src/driver" "$dir"
    nice make -C "$dir" KDIR="$2/build" clean >/dev/null
    nice make -C "$dir" KDIR="$2/build" >/dev/null
    echo "$dir/bpfdrv.ko"
}
# bpfdrv.ko for CentOS 7.9's tree; without the fixture that side is reported unavailable.
centos_dir=$(./scripts/shared-kernel.sh centos7-3.10.0-1160 2>/dev/null | tail -n1) || centos_dir=
if [ -n "$centos_dir" ]; then
    BPFCOMPAT_MODULE_CENTOS7=$(module_for centos7 "$centos_dir")
    export BPFCOMPAT_MODULE_CENTOS7
    # Its hook: the glibc 2.17 build the packages ship, of the same tree.
    BPFCOMPAT_HOOK_GLIBC217=$("$src/scripts/build-hook-glibc217.sh" --target-dir "$hook_target/glibc217" | tail -n1)
    export BPFCOMPAT_HOOK_GLIBC217
fi
# The no-bpf 6.12 kernel (built once, then cached) and bpfdrv.ko for it, when a 6.12 side runs.
case " $* " in
*" 6.12 "* | *" shim-6.12 "* | *" all "*)
    kernel_612_dir=$(nice ./scripts/build-kernel.sh nobpf 6.12 | tail -n1)
    BPFCOMPAT_MODULE_612=$(module_for 6.12 "$kernel_612_dir")
    export BPFCOMPAT_KERNEL_612_DIR=$kernel_612_dir BPFCOMPAT_MODULE_612
    ;;
esac
nice make -C "$src/driver" KDIR="$kernel_dir/build" >/dev/null
(cd "$src" && nice cargo build --release -p bpfhook --target-dir "$hook_target")
export BPFCOMPAT_KERNEL_DIR=$kernel_dir
export BPFCOMPAT_MODULE=$src/driver/bpfdrv.ko
export BPFCOMPAT_HOOK=$hook_target/release/libbpfhook.so
export COMPAT_MATRIX_COMMAND="scripts/compat-matrix.sh${*:+ $*}"
echo "compat-matrix: module $BPFCOMPAT_MODULE${BPFCOMPAT_MODULE_CENTOS7:+ and $BPFCOMPAT_MODULE_CENTOS7}${BPFCOMPAT_MODULE_612:+ and $BPFCOMPAT_MODULE_612}, hook $BPFCOMPAT_HOOK ($(git rev-parse --short HEAD))"
status=0
./target/release/compat-matrix "$@" || status=$?
echo "compat-matrix: wall time $(( $(date +%s) - t0 ))s"
exit $status
