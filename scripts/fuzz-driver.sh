#!/bin/bash
# Fuzz /dev/bpfdrv (tests/guest/driver_fuzz.c) for DURATION seconds in one guest.
#   scripts/fuzz-driver.sh DURATION [nobpf | nobpf-debug | centos7]
# nobpf (default): the no-bpf 6.1 kernel, as the default suite's 2-minute smoke run
# (tests/tests/guest_fuzz.rs). nobpf-debug: the same kernel with KASAN, lockdep,
# kmemleak and DEBUG_ATOMIC_SLEEP (scripts/kernel/nobpf-debug.config; its first build
# takes as long as the kernel's own), ending with rmmod and a kmemleak scan. centos7:
# CentOS 7.9's kernel. The run fails on any kernel report, a failed rmmod, or a fuzzer
# that did not reach the whole surface; the seed, per-command counts and calls per
# second are in the test's output and target/guest/logs/fuzz*.log.
# A passing nobpf-debug run writes docs/reliability.md (with the module's line coverage
# from gcov); the other variants write target/guest/fuzz-report-VARIANT.md.
# BPFCOMPAT_FUZZ_SEED=<n> repeats a run's choices (thread interleaving still differs).
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { echo "usage: $0 DURATION_SECONDS [nobpf|nobpf-debug|centos7]" >&2; exit 2; }
duration=${1:-}; variant=${2:-nobpf}
[[ "$duration" =~ ^[0-9]+$ ]] || usage
case "$variant" in
    nobpf)
        test=fuzzing_the_device_leaves_the_kernel_clean
        export BPFCOMPAT_KERNEL_DIR=${BPFCOMPAT_KERNEL_DIR:-$(./scripts/build-kernel.sh nobpf | tail -n1)} ;;
    nobpf-debug)
        test=fuzzing_the_device_is_clean_under_kasan_lockdep_and_kmemleak
        export BPFCOMPAT_DEBUG_KERNEL_DIR=${BPFCOMPAT_DEBUG_KERNEL_DIR:-$(./scripts/build-kernel.sh nobpf-debug | tail -n1)} ;;
    centos7)
        test=fuzzing_the_device_leaves_the_kernel_clean_on_centos7 ;;
    *) usage ;;
esac
report=target/guest/fuzz-report-$variant.md
[ "$variant" != nobpf-debug ] || report=docs/reliability.md
export BPFCOMPAT_FUZZ_SECONDS=$duration BPFCOMPAT_REQUIRE_GUEST=1 BPFCOMPAT_FUZZ_VARIANT=$variant
export BPFCOMPAT_FUZZ_REPORT=$PWD/$report.new
start=$(date +%s)
status=0
cargo test --release -p bpfcompat-tests --test guest_fuzz -- --exact "$test" --include-ignored --nocapture || status=$?
# Only a passing run replaces the report.
if [ $status = 0 ] && [ -f "$report.new" ]; then mv "$report.new" "$report"; echo "fuzz-driver: wrote $report"; fi
rm -f "$report.new"
echo "fuzz-driver: $variant, ${duration}s of fuzzing, $(( $(date +%s) - start ))s wall, status $status"
exit $status
