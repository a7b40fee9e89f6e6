#!/bin/bash
# Build libbpfhook.so and the bpfhook CLI against glibc 2.17 (CentOS/RHEL 7), the build
# the packages ship and the CentOS guests run:
#
#   scripts/build-hook-glibc217.sh [--target-dir DIR]
#
# Prints the path of libbpfhook.so as its only line on stdout; bpfhook is next to it.
# Cargo's output goes to stderr. DIR defaults to $BPFCOMPAT_GLIBC217_TARGET_DIR, else
# target/glibc217.
#
# The binaries a plain `cargo build` links on Debian 12 need glibc 2.34's symbol versions
# and do not load on glibc 2.17. cargo-zigbuild links with zig against stubs of glibc 2.17
# (the `.2.17` suffix of the target), so every versioned reference is one 2.17 has.
# This is the one place that knows that command line; scripts/install-deps.sh installs
# zig and cargo-zigbuild (PyPI) into $BPFCOMPAT_ZIG_VENV (~/.cache/bpfcompat/zig-venv).
set -euo pipefail
die() { echo "build-hook-glibc217: $*" >&2; exit 1; }
repo=$(cd "$(dirname "$0")/.." && pwd)
target=${BPFCOMPAT_GLIBC217_TARGET_DIR:-$repo/target/glibc217}
while [ $# -gt 0 ]; do
    case "$1" in
        --target-dir) [ $# -ge 2 ] || die "--target-dir needs a directory"; target=$2; shift 2 ;;
        *) die "usage: $0 [--target-dir DIR]" ;;
    esac
done
triple=x86_64-unknown-linux-gnu

# The venv's bin first: cargo finds its cargo-zigbuild subcommand there, and cargo-zigbuild
# finds zig as `python3 -m ziglang` with the venv's python3 (unless a `zig` is on PATH).
venv=${BPFCOMPAT_ZIG_VENV:-$HOME/.cache/bpfcompat/zig-venv}
[ -d "$venv/bin" ] && PATH=$venv/bin:$PATH
fix="run scripts/install-deps.sh (installs ziglang and cargo-zigbuild from PyPI into $venv)"
command -v cargo-zigbuild >/dev/null || die "cargo-zigbuild not found: $fix"
command -v zig >/dev/null || python3 -m ziglang version >/dev/null 2>&1 || die "zig not found: $fix"

cargo zigbuild --release -p bpfhook -p bpfhook-cli --target "$triple.2.17" --target-dir "$target" \
    --manifest-path "$repo/Cargo.toml" >&2
# cargo-zigbuild drops the .2.17 suffix from the output directory.
out=$target/$triple/release
if [ ! -x "$out/bpfhook" ] || [ ! -f "$out/libbpfhook.so" ]; then
    die "cargo zigbuild did not produce $out/bpfhook and $out/libbpfhook.so"
fi
echo "$out/libbpfhook.so"
