#!/bin/bash
# Install what building and testing bpfcompat needs on Debian 12. Idempotent: when every
# package is already there it changes nothing and needs no network.
set -euo pipefail
packages=(
    # guest kernels: Debian's sources (6.1, and 6.12 from bookworm's security and updates
    # suites), kbuild, offline BTF
    linux-source-6.1 linux-source-6.12 make gcc bc flex bison libelf-dev libssl-dev dwarves xz-utils rsync kmod
    # the compile matrix: Debian's own headers of 6.1 and 6.12 (tests/tests/driver_build.rs)
    linux-headers-amd64 linux-headers-6.12-amd64
    # guests: QEMU, busybox initramfs
    qemu-system-x86 busybox-static cpio coreutils
    # the compatibility matrix's guest disks (ext4, btrfs, XFS images)
    e2fsprogs btrfs-progs xfsprogs
    # BPF toolchain and the unmodified tools we run
    clang llvm libbpf-dev bpftool libbpf-tools bpftrace
    # bcc's Python tools (they compile against the guest kernel's headers)
    bpfcc-tools python3-bpfcc
    # the engine fuzz target: libFuzzer + ASAN/UBSAN runtimes for Debian 12's clang 14
    libclang-rt-14-dev
    # the matrix's javagc row: a JVM with USDT probes (jlink cuts it down for the guest)
    openjdk-17-jdk-headless
    # packaging: .deb, RPMs (Debian's rpmbuild), DKMS
    dpkg-dev rpm dkms
    # the Ansible role test: ansible-core from PyPI in a venv
    python3-venv
    # bpfhook run's launcher: a static musl program that calls bpf() itself, and a Go
    # program on cilium/ebpf (built offline in GOPATH mode)
    musl-tools golang-go golang-github-cilium-ebpf-dev
    # debugging
    strace
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    echo "install-deps: all Debian packages present"
fi
# glibc 2.17 builds of the shipped binaries (CentOS/RHEL 7, scripts/build-hook-glibc217.sh):
# zig links them against glibc 2.17's symbol versions, driven by cargo-zigbuild. Both come
# from PyPI (neither is a Debian 12 package) into a venv of their own, so no system Python
# is changed and a cached venv costs nothing. Pinned: a new zig can change what links.
zig_venv=${BPFCOMPAT_ZIG_VENV:-$HOME/.cache/bpfcompat/zig-venv}
zig_pins="ziglang==0.17.1 cargo-zigbuild==0.24.1"
if [ "$(cat "$zig_venv/.bpfcompat-pins" 2>/dev/null)" = "$zig_pins" ] && [ -x "$zig_venv/bin/cargo-zigbuild" ] \
    && "$zig_venv/bin/python3" -m ziglang version >/dev/null 2>&1; then
    echo "install-deps: zig $("$zig_venv/bin/python3" -m ziglang version), $("$zig_venv/bin/cargo-zigbuild" --version) in $zig_venv"
else
    echo "install-deps: installing $zig_pins from PyPI into $zig_venv"
    rm -rf "$zig_venv"
    mkdir -p "$(dirname "$zig_venv")"
    python3 -m venv "$zig_venv"
    # shellcheck disable=SC2086 # the pins are separate words
    "$zig_venv/bin/python3" -m pip install -q --disable-pip-version-check $zig_pins
    "$zig_venv/bin/python3" -m ziglang version >/dev/null
    echo "$zig_pins" > "$zig_venv/.bpfcompat-pins"
fi
if ! command -v cargo >/dev/null; then
    [ -x "$HOME/.cargo/bin/cargo" ] && echo "install-deps: cargo is in ~/.cargo/bin; add it to PATH" >&2
    echo "install-deps: Rust is missing: install a stable toolchain with rustup (https://rustup.rs)" >&2
    exit 1
fi
echo "install-deps: $(cargo --version)"
