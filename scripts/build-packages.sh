#!/bin/bash
# Build the bpfcompat packages from this tree:
#
#   scripts/build-packages.sh OUTDIR [--no-rpm]
#
# OUTDIR gets bpfcompat_<v>_amd64.deb, bpfcompat-dkms_<v>_all.deb and, when rpmbuild is
# installed (Debian's `rpm` package), bpfcompat-<v>-1.x86_64.rpm and
# bpfcompat-dkms-<v>-1.noarch.rpm. Both formats package the same staged tree:
#
#   /usr/bin/bpfhook                       CLI (run, doctor, stats)
#   /usr/lib/bpfcompat/libbpfhook.so       the preload library
#   /usr/share/bpfcompat/make-btf.sh       BTF for legacy hosts
#   /usr/share/doc/bpfcompat/              README, hook/README
#   /var/lib/bpfhook/btf/                  where <uname -r>.btf goes
#   /usr/src/bpfdrv-<v>/                   module source + dkms.conf    (-dkms)
#   /usr/lib/modules-load.d/bpfdrv.conf    load at boot                 (-dkms)
#   /usr/lib/udev/rules.d/60-bpfdrv.rules  /dev/bpfdrv permissions      (-dkms)
#
# bpfhook and libbpfhook.so are built against glibc 2.17 (scripts/build-hook-glibc217.sh:
# zig through cargo-zigbuild, installed by scripts/install-deps.sh), so the RPM runs on
# CentOS/RHEL 7 and the .deb, which ships the same two files, on any glibc >= 2.17.
#
# BPFCOMPAT_PKG_TARGET_DIR: cargo target dir (default target/glibc217).
set -euo pipefail
die() { echo "build-packages: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: $0 OUTDIR [--no-rpm]"
out=$(mkdir -p "$1" && cd "$1" && pwd); shift
want_rpm=1; [ "${1:-}" = --no-rpm ] && want_rpm=0
repo=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$repo/Cargo.toml")
[ -n "$version" ] || die "no workspace version in Cargo.toml"
target=${BPFCOMPAT_PKG_TARGET_DIR:-$repo/target/glibc217}

# Never a host-glibc build instead: Debian 12's would need glibc 2.34 and not run on CentOS 7.
lib=$("$repo/scripts/build-hook-glibc217.sh" --target-dir "$target") \
    || die "the glibc 2.17 build failed (zig and cargo-zigbuild come from scripts/install-deps.sh)"
bin=$(dirname "$lib")/bpfhook
if [ ! -x "$bin" ] || [ ! -f "$lib" ]; then die "no $bin and $lib after the glibc 2.17 build"; fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/bpfcompat-pkg.XXXXXX")
trap 'rm -rf "$stage"' EXIT
main=$stage/bpfcompat dkms=$stage/bpfcompat-dkms
install -D -m 0755 "$bin" "$main/usr/bin/bpfhook"
install -D -m 0644 "$lib" "$main/usr/lib/bpfcompat/libbpfhook.so"
install -D -m 0755 "$repo/scripts/make-btf.sh" "$main/usr/share/bpfcompat/make-btf.sh"
install -D -m 0644 "$repo/README.md" "$main/usr/share/doc/bpfcompat/README.md"
install -D -m 0644 "$repo/hook/README.md" "$main/usr/share/doc/bpfcompat/README.hook.md"
install -d -m 0755 "$main/var/lib/bpfhook/btf"

src=$dkms/usr/src/bpfdrv-$version
install -d "$src/engine" "$src/tools" "$src/compat/features"
# Sources only, never build products (*.mod.c is kbuild's, compat/generated/ the Makefile's).
for f in "$repo"/driver/Makefile "$repo"/driver/*.[ch] "$repo"/driver/engine/*.[ch] "$repo"/driver/tools/*.c \
    "$repo"/driver/compat/*.h "$repo"/driver/compat/features/*.c; do
    case "$f" in *.mod.c) continue ;; esac
    rel=${f#"$repo/driver/"}
    install -m 0644 "$f" "$src/$rel"
done
sed "s/@VERSION@/$version/" "$repo/packaging/dkms/dkms.conf" > "$src/dkms.conf"
install -D -m 0644 "$repo/packaging/modules-load.d/bpfdrv.conf" "$dkms/usr/lib/modules-load.d/bpfdrv.conf"
install -D -m 0644 "$repo/packaging/udev/60-bpfdrv.rules" "$dkms/usr/lib/udev/rules.d/60-bpfdrv.rules"

# ---- .deb (dpkg-deb: no debian/ source package needed for prebuilt binaries) ----
deb() { # deb NAME ARCH
    local name=$1 arch=$2 root=$stage/$1
    install -d "$root/DEBIAN"
    local size; size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
    sed -e "s/@VERSION@/$version/g" -e "s/@SIZE@/$size/" "$repo/packaging/deb/$name.control" > "$root/DEBIAN/control"
    local s
    for s in postinst prerm; do
        if [ -f "$repo/packaging/deb/$name.$s" ]; then
            sed "s/@VERSION@/$version/g" "$repo/packaging/deb/$name.$s" > "$root/DEBIAN/$s"
            chmod 0755 "$root/DEBIAN/$s"
        fi
    done
    [ "$name" = bpfcompat-dkms ] && echo /usr/lib/modules-load.d/bpfdrv.conf > "$root/DEBIAN/conffiles"
    dpkg-deb --root-owner-group -Zxz --build "$root" "$out/${name}_${version}_${arch}.deb" >&2
    rm -rf "$root/DEBIAN"
}
deb bpfcompat amd64
deb bpfcompat-dkms all

# ---- RPMs (one spec, two packages) ----
if [ "$want_rpm" = 1 ]; then
    command -v rpmbuild >/dev/null || die "rpmbuild not found (apt-get install rpm), or pass --no-rpm"
    top=$stage/rpmbuild
    mkdir -p "$top"/{SOURCES,SPECS,BUILD,RPMS,SRPMS}
    tar -C "$main" -czf "$top/SOURCES/bpfcompat-$version-root.tar.gz" --owner=0 --group=0 . -C "$dkms" .
    rpmbuild -bb --define "_topdir $top" --define "pkg_version $version" \
        --define "_build_id_links none" "$repo/packaging/rpm/bpfcompat.spec" >&2
    find "$top/RPMS" -name '*.rpm' -exec cp {} "$out/" \;
fi
ls -1 "$out"
