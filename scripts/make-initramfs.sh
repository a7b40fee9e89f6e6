#!/bin/bash
# Build an uncompressed newc initramfs for a bpfcompat test guest.
#
#   scripts/make-initramfs.sh OUT.cpio [--bin PATH[:DST]]... [--file SRC:DST]...
#                             [--tree SRCDIR:DST]... [--body SCRIPT]
#
#   --bin PATH[:DST]  an executable (installed at DST, default PATH) plus its shared
#                     libraries and the dynamic loader, found with ldd
#   --file SRC:DST    any file (module .ko, libbpfhook.so, BTF, ...); if SRC is a dynamic
#                     ELF object its shared libraries are added too
#   --tree SRCDIR:DST a directory copied whole, links followed (headers, a Python
#                     library); shared libraries its ELF files need are not added
#   --body SCRIPT     the test body, a busybox sh script run by /init with its output on
#                     the serial console (default: print uname -a)
#
# The image holds busybox-static with its applet links in /bin, /etc/passwd and /etc/group
# with root, /etc/localtime (UTC) and an /init that mounts proc, sysfs, devtmpfs, debugfs,
# tracefs and /tmp, runs the body, checks dmesg for kernel bugs, prints
#   BPFCOMPAT-GUEST-EXIT status=<body exit status>
# and powers the machine off.
set -euo pipefail
die() { echo "make-initramfs: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: $0 OUT.cpio [--bin PATH[:DST]]... [--file SRC:DST]... [--tree SRCDIR:DST]... [--body SCRIPT]"
out=$1; shift
bins=(); files=(); trees=(); body=
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) bins+=("$2"); shift 2 ;;
        --file) files+=("$2"); shift 2 ;;
        --tree) trees+=("$2"); shift 2 ;;
        --body) body=$2; shift 2 ;;
        *) die "unknown argument: $1" ;;
    esac
done
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox not found (apt-get install busybox-static)"
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || [ ! -x /usr/bin/file ] \
    || die "$busybox is not static (apt-get install busybox-static)"
command -v cpio >/dev/null || die "cpio not found (apt-get install cpio)"

root=$(mktemp -d "${TMPDIR:-/tmp}/bpfcompat-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,run,var/tmp,lib,lib64,bpfcompat}
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done

# install SRC DST: copy the file (following links) and, for dynamic ELF objects, their libraries.
install_file() {
    local src=$1 dst=$2
    [ -e "$src" ] || die "missing file: $src"
    mkdir -p "$root$(dirname "$dst")"
    rm -f "$root$dst"
    cp -L "$src" "$root$dst"
    local lib
    # ldd prints "name => /path (addr)" and "/lib64/ld-linux-x86-64.so.2 (addr)".
    for lib in $(ldd "$src" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
        if [ ! -e "$root$lib" ]; then
            mkdir -p "$root$(dirname "$lib")"
            cp -L "$lib" "$root$lib"
        fi
    done
}
for b in ${bins[@]+"${bins[@]}"}; do
    src=${b%%:*}; dst=${b#*:}; [ "$dst" != "$b" ] || dst=$src
    install_file "$src" "$dst"
    chmod 0755 "$root$dst"
done
for f in ${files[@]+"${files[@]}"}; do
    case "$f" in *:*) ;; *) die "--file wants SRC:DST, got $f" ;; esac
    install_file "${f%%:*}" "${f#*:}"
done
for t in ${trees[@]+"${trees[@]}"}; do
    case "$t" in *:*) ;; *) die "--tree wants SRCDIR:DST, got $t" ;; esac
    [ -d "${t%%:*}" ] || die "missing directory: ${t%%:*}"
    mkdir -p "$root${t#*:}"
    cp -rL "${t%%:*}/." "$root${t#*:}/"
done

printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
# glibc reads /etc/localtime (and, if it is missing, keeps re-checking it); TZ=UTC0 is set too.
if [ -e /usr/share/zoneinfo/Etc/UTC ]; then cp -L /usr/share/zoneinfo/Etc/UTC "$root/etc/localtime"
else : > "$root/etc/localtime"; fi
echo 'bpfcompat-guest' > "$root/etc/hostname"

if [ -n "$body" ]; then cp "$body" "$root/bpfcompat/body.sh"
else printf '#!/bin/sh\nuname -a\n' > "$root/bpfcompat/body.sh"; fi
chmod 0755 "$root/bpfcompat/body.sh"

cat > "$root/init" <<'INIT'
#!/bin/busybox sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin TZ=UTC0 HOME=/root LANG=C
mount -t proc proc /proc
# bpfcompat.root=ramfs (kernels before 3.14, whose uprobes cannot live on tmpfs): the
# image is copied to a ramfs that becomes the root, and this /init starts again there.
if grep -q 'bpfcompat.root=ramfs' /proc/cmdline && [ ! -e /.ramfs-root ]; then
    mkdir /newroot && mount -t ramfs ramfs /newroot
    for e in /*; do [ "$e" = /proc ] || [ "$e" = /newroot ] || cp -a "$e" /newroot/; done
    mkdir -p /newroot/proc && touch /newroot/.ramfs-root
    umount /proc
    exec switch_root /newroot /init
fi
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
[ -e /dev/console ] || mknod /dev/console c 5 1
[ -e /dev/null ] || mknod /dev/null c 1 3
mount -t debugfs debugfs /sys/kernel/debug
# tracefs came in 4.1; older kernels have tracing/ in debugfs only.
[ ! -d /sys/kernel/tracing ] || mount -t tracefs tracefs /sys/kernel/tracing
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs tmpfs /dev/shm
hostname bpfcompat-guest
exec </dev/null
echo "BPFCOMPAT-GUEST-START kernel=$(uname -r) cpus=$(nproc) uptime=$(cut -d' ' -f1 /proc/uptime)"
cd /tmp
sh /bpfcompat/body.sh
status=$?
if dmesg | grep -qE 'BUG:|Oops|WARNING:|Call Trace|general protection fault'; then
    echo "BPFCOMPAT-GUEST-DMESG-PROBLEM: the kernel log shows a bug; full dmesg follows"
    dmesg
    echo "BPFCOMPAT-GUEST-DMESG-END"
else
    echo "BPFCOMPAT-GUEST-DMESG-CLEAN"
fi
echo "BPFCOMPAT-GUEST-EXIT status=$status uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
# poweroff failed: exiting init panics the kernel, and panic=-1 + -no-reboot ends QEMU.
INIT
chmod 0755 "$root/init"

# The kernel needs /dev/console before /init runs; add it as a second archive in newc
# format written by hand, so no mknod (and no root) is needed to build the image.
newc_entry() { # name mode rdevmajor rdevminor
    local name=$1 namesize=$(( ${#1} + 1 ))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
        0 "$2" 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0 "$name"
    local pad=$(( (4 - (110 + namesize) % 4) % 4 ))
    [ $pad = 0 ] || head -c $pad /dev/zero
}
mkdir -p "$(dirname "$out")"
tmp_out="$out.tmp.$$"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > "$tmp_out"
{ newc_entry dev/console $((0020600)) 5 1; newc_entry TRAILER!!! 0 0 0; } >> "$tmp_out"
mv "$tmp_out" "$out"
echo "$out"
