#!/bin/bash
# The oracle guest kernel: Debian's stock 6.1 kernel (native eBPF, BTF in sysfs),
# unpacked from its package without installing it on the host.
#   scripts/stock-kernel.sh      prints a directory with vmlinuz, release, modules/
# Cached under ~/.cache/bpfcompat/kernels/stock-<package version>.
set -euo pipefail
cache=${BPFCOMPAT_CACHE:-$HOME/.cache/bpfcompat}
pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
[ -n "$pkg" ] || { echo "stock-kernel: cannot resolve linux-image-amd64 (run apt-get update)" >&2; exit 1; }
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
