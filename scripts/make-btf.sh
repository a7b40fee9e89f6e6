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
# RHEL 7's kABI macros give a hidden member another name (__UNIQUE_ID_rh_kabi_hide<N>,
# N from __COUNTER__) in every object file, so pahole keeps a copy of task_struct and of
# everything holding or pointing to it per object file (~570, ~25 MB on CentOS 7.9): every
# tool would load all of it. `bpfhook btf normalize` merges the copies (BPFHOOK names the
# command when it is not on PATH); without it the file is kept as pahole wrote it.
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

# linux_banner: "Linux version <release> (<builder>) (<compiler>) #<n> SMP <date>\n", read
# from the symbol itself: vmlinux holds other "Linux version" strings too (placeholders
# of the build's version stamp), so the first match of `strings` can be the wrong one.
banner_from_symbol() {
    local addr size sec_addr sec_off sec_size line
    read -r addr size _ < <(nm -S "$vmlinux" 2>/dev/null | awk '$4 == "linux_banner" {print $1, $2; exit}') || return 1
    [ -n "$addr" ] && [ -n "$size" ] || return 1
    while read -r line; do
        # [Nr] Name Type Address Off Size ...
        set -- ${line#*]}
        sec_addr=$((16#$3)) sec_off=$((16#$4)) sec_size=$((16#$5))
        if [ $((16#$addr)) -ge $sec_addr ] && [ $((16#$addr)) -lt $((sec_addr + sec_size)) ] && [ "$2" = PROGBITS ]; then
            dd if="$vmlinux" bs=1 skip=$((sec_off + 16#$addr - sec_addr)) count=$((16#$size)) 2>/dev/null | tr -d '\000' | head -n 1
            return 0
        fi
    done < <(readelf -SW "$vmlinux" | grep '^ *\[ *[0-9]')
    return 1
}
banner=$(banner_from_symbol || true)
case "$banner" in
    "Linux version "*) ;;
    # No symbol table: the stamped banner has "#<build number>" after the compiler.
    *) banner=$(strings -n 20 "$vmlinux" | grep -m1 '^Linux version [^ ]* (.*) #[0-9]' || true) ;;
esac
[ -n "$banner" ] || die "no 'Linux version' banner found in $vmlinux"
release=$(echo "$banner" | awk '{print $3}')
out=${2:-/var/lib/bpfhook/btf/$release.btf}
mkdir -p "$(dirname "$out")"
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
pahole --btf_encode_detached="$tmp" "$vmlinux"
# Raw BTF starts with magic 0xeB9F (little-endian: 9f eb).
[ "$(head -c 2 "$tmp" | od -An -tx1 | tr -d ' ')" = 9feb ] || die "pahole did not write raw BTF"
bpfhook=${BPFHOOK:-$(command -v bpfhook || true)}
if [ -n "$bpfhook" ]; then
    "$bpfhook" btf normalize "$tmp" "$tmp" || die "$bpfhook btf normalize failed"
elif grep -q __UNIQUE_ID_rh_kabi_hide "$tmp"; then
    echo "make-btf: warning: bpfhook not found (set BPFHOOK): the BTF keeps RHEL's per-object-file copies; run 'bpfhook btf normalize $out $out' later" >&2
fi
chmod 0644 "$tmp"
mv "$tmp" "$out"
printf '%s\n' "$banner" > "$out.banner"
echo "make-btf: wrote $out ($(stat -c %s "$out") bytes) for $release"
echo "make-btf: verify on the host with: bpfhook doctor"
