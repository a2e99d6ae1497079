#!/bin/sh
# deps.sh - make sure the host has every tool the course needs.
# `deps.sh docs` also wants pandoc, for `make handouts`; `deps.sh test`
# (make test) pandoc and ccache, which the milestone checks' many builds use;
# `deps.sh bench-linux` (make bench-linux) Debian's Linux kernel, which
# nothing else needs.
# Quiet when all is there. Otherwise: as root, apt-get installs the missing
# Debian packages; as anyone else (or with TEACHOS_NO_INSTALL=1), prints the
# one command to run and fails.
PYTHON=${PYTHON:-/usr/bin/python3}
missing=""

need_tool() {   # need_tool COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 || missing="$missing $2"
}
need_path() {   # need_path FILE PACKAGE
    [ -e "$1" ] || missing="$missing $2"
}
need_sbin() {   # need_sbin COMMAND PACKAGE (also where a user's PATH may not look)
    command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ] ||
        missing="$missing $2"
}
need_pymod() {  # need_pymod MODULE PACKAGE
    "$PYTHON" -c "import $1" >/dev/null 2>&1 || missing="$missing $2"
}

need_tool gcc gcc
need_tool ld binutils
need_tool nm binutils
need_tool nasm nasm
need_tool qemu-system-x86_64 qemu-system-x86
need_tool grub-mkrescue grub-common
need_tool grub-file grub-common
need_path /usr/lib/grub/i386-pc/multiboot2.mod grub-pc-bin
need_tool xorriso xorriso
need_tool mformat mtools
need_tool gdb gdb
need_tool unifdef unifdef
need_sbin mke2fs e2fsprogs          # the disk (Lab 8): make, check, read ext2 images
need_sbin e2fsck e2fsprogs
need_sbin debugfs e2fsprogs
need_sbin dumpe2fs e2fsprogs
need_path /bin/busybox busybox-static  # Lab 10: Debian's own static busybox on the disk
need_tool musl-gcc musl-tools        # Lab 10: Linux programs with a real C library
need_path "$PYTHON" python3
need_pymod pytest python3-pytest
need_pymod xdist python3-pytest-xdist
need_pymod pytest_timeout python3-pytest-timeout
case "$1" in docs|test) need_tool pandoc pandoc ;; esac
[ "$1" = test ] && need_path /usr/lib/ccache/gcc ccache
[ "$1" = bench-linux ] && { ls /boot/vmlinuz-* >/dev/null 2>&1 || missing="$missing linux-image-amd64"; }

[ -z "$missing" ] && exit 0
packages=$(printf '%s\n' $missing | sort -u | tr '\n' ' ')
echo "teachos: missing tools; these Debian packages provide them: $packages"
if [ "$(id -u)" = 0 ] && [ -z "$TEACHOS_NO_INSTALL" ]; then
    echo "teachos: installing them with apt-get (as root)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null &&
        apt-get install -y -q --no-install-recommends $packages >/dev/null ||
        { echo "teachos: apt-get failed; run: apt-get install -y $packages" >&2; exit 1; }
    exit 0
fi
echo "teachos: run: sudo apt-get install -y $packages" >&2
exit 1
