#!/usr/bin/env bash
# setup.sh - Gradescope's image setup for the teachos autograder (Ubuntu
# 22.04 base): Ubuntu packages only. Gradescope runs it once, as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends make gcc libc6-dev binutils nasm e2fsprogs \
    qemu-system-x86 grub-pc-bin grub-common xorriso mtools unifdef git \
    python3 python3-pytest python3-pytest-xdist python3-pytest-timeout
