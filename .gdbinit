# .gdbinit - GDB setup for the teachos kernel.
# Use:  make qemu-gdb   (one terminal: QEMU paused, waiting for GDB)
#       make gdb        (another terminal: this file, connected)
# or by hand: gdb -n -x .gdbinit   (GDB 13 does not auto-load a project .gdbinit)
#
# It loads the symbols of the kernel last built (build/current/kernel.elf, or
# $TEACHOS_ELF) and connects to QEMU's GDB stub on your port (uid % 5000 +
# 25000, or $TEACHOS_GDB_PORT). Before paging is on, use `hbreak`, not `break`:
# hardware breakpoints work on any address (handout lab1 §4.2). `hbreak _start`
# stops at the kernel's first instruction (32-bit code: step it with `si`);
# `bt` ends at higher_half_entry, which boot.asm marks as having no caller.
# Below: `info registers` shows the general registers (`info all-registers`
# shows every one), and `kstack` shows the top of the stack.

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

# info registers: the general registers (these, in this order) rather than
# GDB's default, which adds the 16 xmm registers that QEMU's stub describes.
# `info all-registers` shows every register; with arguments (`info registers
# rip`, `i r rsp rbp`) it does what GDB's own does.
python
GENERAL_REGISTERS = """rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15
    rip eflags cs ss ds es fs gs fs_base gs_base k_gs_base
    cr0 cr2 cr3 cr4 cr8 efer""".split()

class InfoRegisters(gdb.Command):
    """Show the general registers, or the registers named.
Usage: info registers [REGISTER]...   (every register: info all-registers)"""

    def __init__(self):
        super().__init__("info registers", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        if not arg.strip() and gdb.selected_thread():   # (none: GDB says so below)
            have = {r.name for r in gdb.selected_frame().architecture().registers()}
            arg = " ".join(r for r in GENERAL_REGISTERS if r in have)
        try:
            gdb.execute("info all-registers " + arg, from_tty)
        except gdb.error as e:      # not connected, no such register: one line
            raise gdb.GdbError(str(e))

if hasattr(gdb.Architecture, "registers"):     # GDB 12 on; before, GDB's own
    InfoRegisters()
end
