#!/bin/bash
# A prebuilt test kernel from the shared fixtures (kernels the package registries do not
# have, e.g. CentOS 7.9's own 3.10), unpacked into a kernel directory the guest harness
# boots like its own builds:
#   scripts/shared-kernel.sh NAME     (NAME: a folder of $BPFCOMPAT_SHARED/kernels/)
# prints a directory holding vmlinuz (the bzImage), vmlinux.btf, build/ (the module build
# tree, KDIR=.../build), System.map, release, and the cmdline and tcg options its guests
# need. $BPFCOMPAT_SHARED defaults to ../shared beside the repository. Exits 3 when the
# fixture is absent (the caller skips). Cached under ~/.cache/bpfcompat/kernels keyed by
# the fixture's content and this script.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: $0 NAME}
shared=${BPFCOMPAT_SHARED:-$here/../../shared}
src=$shared/kernels/$name
for f in bzImage build.tar.xz vmlinux.btf; do
    [ -f "$src/$f" ] || { echo "shared-kernel: $src/$f not found" >&2; exit 3; }
done
cache=${BPFCOMPAT_CACHE:-$HOME/.cache/bpfcompat}
key=$(cat "$src/bzImage" "$src/build.tar.xz" "$src/vmlinux.btf" "$0" | sha256sum | cut -c1-16)
out=$cache/kernels/$name-$key
if [ -f "$out/done" ]; then echo "$out"; exit 0; fi
rm -rf "$out"; mkdir -p "$out"
tar -C "$out" -xJf "$src/build.tar.xz"
cp "$src/bzImage" "$out/vmlinuz"
cp "$src/vmlinux.btf" "$out/vmlinux.btf"
[ ! -f "$src/System.map.xz" ] || xz -dc "$src/System.map.xz" > "$out/System.map"
cat "$out/build/include/config/kernel.release" > "$out/release"
# Linux before 3.14 cannot place uprobes on tmpfs (shmem has no ->readpage) and RHEL 7's
# initramfs root is tmpfs: its guests move their root to ramfs first (make-initramfs.sh).
# Its text patching (jump labels through int3 + sync_core IPIs) also livelocks under
# multi-threaded TCG: a CPU spins on a patched syscall_trace_enter for good while a
# syscall tracepoint is toggled (ftrace alone shows it, no module loaded); one TCG
# thread for all vCPUs does not.
case "$(cat "$out/release")" in
    3.*) echo "bpfcompat.root=ramfs" > "$out/cmdline"; echo "thread=single" > "$out/tcg" ;;
esac
touch "$out/done"
echo "$out"
