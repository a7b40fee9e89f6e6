#!/bin/bash
# Build a guest kernel from Debian's linux-source-<SERIES> and its offline BTF.
#   scripts/build-kernel.sh [VARIANT] [SERIES]
#     VARIANT: nobpf | nobpf-debug; config in scripts/kernel/VARIANT.config
#     SERIES:  6.1 (default) | 6.12, the Debian source package linux-source-SERIES
# A fragment line "#include OTHER.config" pulls in another fragment of scripts/kernel/ first
# (nobpf-debug.config includes nobpf.config); later lines override earlier ones.
# Prints the directory holding vmlinux, vmlinux.btf and the kbuild tree (KDIR=.../build).
# Results are cached under ~/.cache/bpfcompat/kernels keyed by the config's hash.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
variant=${1:-nobpf}
series=${2:-6.1}
# Expand "#include" lines into one fragment (recursively) so merge_config, the cache key
# and the "option not set" check below all see the composed config.
expand() {
    [ -f "$1" ] || { echo "build-kernel: no config fragment $1" >&2; exit 1; }
    while IFS= read -r line; do
        case "$line" in
            '#include '*) expand "$here/kernel/${line#\#include }" ;;
            *) printf '%s\n' "$line" ;;
        esac
    done < "$1"
}
composed=$(expand "$here/kernel/$variant.config") || exit 1
fragment=$(mktemp); trap 'rm -f "$fragment"' EXIT
printf '%s\n' "$composed" > "$fragment"
# Options set twice (an include then an override): the override wins in merge_config;
# keep only the last assignment so the "option not set" check agrees with it.
tac "$fragment" | awk -F= '/^CONFIG_/ { if (seen[$1]++) next } { print }' | tac > "$fragment.tmp" && mv "$fragment.tmp" "$fragment"
src_tar=$(ls "/usr/src/linux-source-$series.tar.xz")
cache=${BPFCOMPAT_CACHE:-$HOME/.cache/bpfcompat}
key=$( (cat "$fragment"; basename "$src_tar"; dpkg-query -W -f='${Version}' "linux-source-$series") | sha256sum | cut -c1-16)
# 6.1 keeps its unprefixed name (the key alone), so existing caches stay valid.
if [ "$series" = 6.1 ]; then out=$cache/kernels/$variant-$key; else out=$cache/kernels/$variant-$series-$key; fi
if [ -f "$out/done" ]; then echo "$out"; exit 0; fi

log() { echo "build-kernel: $*" >&2; }
mkdir -p "$cache/src"
srcdir=$cache/src/linux-source-$series
if [ ! -f "$srcdir/Makefile" ]; then
    log "extracting $src_tar"
    rm -rf "$srcdir"
    tar -C "$cache/src" -xf "$src_tar"
fi
rm -rf "$out"; mkdir -p "$out/build"
log "configuring $variant on $series (tinyconfig + $fragment)"
make -s -C "$srcdir" O="$out/build" tinyconfig >&2
"$srcdir/scripts/kconfig/merge_config.sh" -m -O "$out/build" "$out/build/.config" "$fragment" >&2
make -s -C "$srcdir" O="$out/build" olddefconfig >&2
# merge_config silently drops options whose dependencies are missing: insist on them.
missing=0
while IFS= read -r line; do
    case "$line" in CONFIG_*=y)
        grep -qx "$line" "$out/build/.config" || { log "option not set: $line"; missing=1; } ;;
    esac
done < "$fragment"
grep -q '^CONFIG_BPF_SYSCALL=y' "$out/build/.config" && { log "BPF_SYSCALL must be off"; missing=1; }
[ $missing = 0 ] || exit 1
log "building (this takes ~11 min on 2 cores)"
start=$(date +%s)
make -s -C "$srcdir" O="$out/build" -j"$(nproc)" all >&2
log "built in $(( $(date +%s) - start ))s"
cp "$out/build/vmlinux" "$out/vmlinux"
# QEMU's PVH entry (vmlinux) triple-faults with KASAN's early shadow setup: such kernels
# boot as a bzImage, which scripts/run-guest.sh prefers when present.
if grep -q '^CONFIG_KASAN=y' "$out/build/.config"; then
    cp "$out/build/arch/x86/boot/bzImage" "$out/vmlinuz"
    # With -cpu max QEMU offers LA57; identify_cpu() briefly clears the CPU feature
    # words, and an interrupt in that window makes KASAN judge 5-level addresses as
    # wild accesses (a false report at boot). Four-level paging avoids it.
    echo no5lvl > "$out/cmdline"
fi
# What an operator does for a legacy host: BTF from the kernel's DWARF, offline.
pahole --btf_encode_detached="$out/vmlinux.btf" "$out/vmlinux" >&2
make -s -C "$srcdir" O="$out/build" kernelrelease > "$out/release"
touch "$out/done"
echo "$out"
