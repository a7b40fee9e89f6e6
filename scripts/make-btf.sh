#!/bin/bash
# Produce the BTF file libbpfhook.so serves as /sys/kernel/btf/vmlinux on a kernel that
# has none (CentOS/RHEL 7, any kernel without CONFIG_DEBUG_INFO_BTF):
#
#   make-btf.sh VMLINUX [OUT]
#
# VMLINUX: the kernel's uncompressed vmlinux with DWARF debug info, e.g. on CentOS 7
#   debuginfo-install kernel-$(uname -r)   # or: yum install kernel-debuginfo-$(uname -r)
#   → /usr/lib/debug/lib/modules/$(uname -r)/vmlinux
# OUT: default /var/lib/bpfhook/btf/<release>.btf, <release> read from the vmlinux's
#   own banner (so a vmlinux for another kernel lands under its own name).
#
# Writes OUT (raw BTF, pahole --btf_encode_detached, as btfhub does) and OUT.banner: the
# vmlinux's linux_banner string, which the running kernel of that exact build prints in
# /proc/version. `bpfhook doctor` compares the two, and the BTF's struct sizes with the
# running kernel's slab object sizes (see README, "BTF for legacy hosts").
#
# Needs pahole >= 1.16 (dwarves) and binutils; pahole may run on any machine, not only
# the target host.
set -euo pipefail
die() { echo "make-btf: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: $0 VMLINUX [OUT]"
vmlinux=$1
[ -r "$vmlinux" ] || die "cannot read $vmlinux"
command -v pahole >/dev/null || die "pahole not found (yum install dwarves / apt-get install dwarves)"
command -v readelf >/dev/null || die "readelf not found (binutils)"
readelf -S "$vmlinux" | grep -q '\.debug_info' \
    || die "$vmlinux has no DWARF (.debug_info): use the debuginfo vmlinux, not /boot/vmlinuz"

# linux_banner: "Linux version <release> (<builder>) (<compiler>) #<n> SMP <date>\n".
banner=$(strings -n 20 "$vmlinux" | grep -m1 '^Linux version [^ ]* (' || true)
[ -n "$banner" ] || die "no 'Linux version' banner found in $vmlinux"
release=$(echo "$banner" | awk '{print $3}')
out=${2:-/var/lib/bpfhook/btf/$release.btf}
mkdir -p "$(dirname "$out")"
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
pahole --btf_encode_detached="$tmp" "$vmlinux"
# Raw BTF starts with magic 0xeB9F (little-endian: 9f eb).
[ "$(head -c 2 "$tmp" | od -An -tx1 | tr -d ' ')" = 9feb ] || die "pahole did not write raw BTF"
chmod 0644 "$tmp"
mv "$tmp" "$out"
printf '%s\n' "$banner" > "$out.banner"
echo "make-btf: wrote $out ($(stat -c %s "$out") bytes) for $release"
echo "make-btf: verify on the host with: bpfhook doctor"
