# .gdbinit - GDB setup for the teachos kernel.
# Use:  make qemu-gdb   (one terminal: QEMU paused, waiting for GDB)
#       make gdb        (another terminal: this file, connected)
# or by hand: gdb -n -x .gdbinit   (GDB 13 does not auto-load a project .gdbinit)
#
# It loads the symbols of the kernel last built (build/current/kernel.elf, or
# $TEACHOS_ELF) and connects to QEMU's GDB stub on your port (uid % 5000 +
# 25000, or $TEACHOS_GDB_PORT). Before paging is on, use `hbreak`, not `break`:
# hardware breakpoints work on any address (handout lab1 §4.2).

set pagination off
set confirm off
set disassembly-flavor intel
# One architecture for the whole session: QEMU's stub describes an x86-64
# CPU even while the boot code runs in 32-bit mode.
set architecture i386:x86-64

python
import os
elf = os.environ.get("TEACHOS_ELF", "build/current/kernel.elf")
port = int(os.environ.get("TEACHOS_GDB_PORT", os.getuid() % 5000 + 25000))
if not os.path.exists(elf):
    print("teachos: no %s yet: run `make` (or `make qemu-gdb`) first" % elf)
else:
    gdb.execute("file " + elf)
    print("teachos: connecting to QEMU on localhost:%d (start it with `make qemu-gdb`)" % port)
    try:
        gdb.execute("target remote localhost:%d" % port)
    except gdb.error as e:
        print("teachos: could not connect (%s): is `make qemu-gdb` running?" % e)
end

# kstack: the 8 words at the top of the stack, with symbols where they point.
define kstack
  x/8ga $rsp
end
document kstack
Show the top 8 words of the stack as addresses with symbols.
end
