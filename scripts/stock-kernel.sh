#!/bin/bash
# An oracle guest kernel: a stock Debian kernel (native eBPF, BTF in sysfs), unpacked
# from its package without installing it on the host.
#   scripts/stock-kernel.sh [META]   prints a directory with vmlinuz, release, modules/
# META is the meta package whose image it is: linux-image-amd64 (default: 6.1) or
# linux-image-6.12-amd64 (6.12, from bookworm's security and updates suites).
# Cached under ~/.cache/bpfcompat/kernels/stock-<package>-<version>.
set -euo pipefail
cache=${BPFCOMPAT_CACHE:-$HOME/.cache/bpfcompat}
meta=${1:-linux-image-amd64}
pkg=$(apt-cache depends "$meta" | awk '/Depends: linux-image-/ {print $2; exit}')
[ -n "$pkg" ] || { echo "stock-kernel: cannot resolve $meta (run apt-get update)" >&2; exit 1; }
version=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
out=$cache/kernels/stock-$pkg-$version
if [ -f "$out/done" ]; then echo "$out"; exit 0; fi
rm -rf "$out"; mkdir -p "$out/pkg"
( cd "$out" && apt-get download "$pkg=$version" >&2 )
dpkg-deb -x "$out"/*.deb "$out/pkg"
release=${pkg#linux-image-}
cp "$out/pkg/boot/vmlinuz-$release" "$out/vmlinuz"
echo "$release" > "$out/release"
mv "$out/pkg/lib/modules/$release" "$out/modules"
rm -rf "$out/pkg" "$out"/*.deb
touch "$out/done"
echo "$out"
