"""test_gdb.py - GDB where the Lab 1 handout (§4.2) sends students: checks of
the kit (no points). Each test boots the kernel paused, as `make qemu-gdb`
does, and runs .gdbinit and the commands a student types, as `make gdb`
does, in batch GDB."""

import os
import re
import socket
import subprocess

import gradelib
from conftest import LAB_MAX
from gradelib import ROOT

MB2_MAGIC = 0x36D76289      # in eax when GRUB jumps to _start


def free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def gdb_session(tmp_path, name, commands):
    """Boot LAB_MAX paused with a GDB stub, run `gdb -n -batch -x .gdbinit`
    and then commands; return (GDB's output, the kernel's ELF). The commands
    go in a script file, so that the first one to fail ends GDB instead of
    letting a `continue` run the kernel for ever."""
    elf = gradelib.build(LAB_MAX, LAB_MAX)
    script = tmp_path / "commands.gdb"
    script.write_text("\n".join(commands) + "\n")
    port = free_port()
    env = dict(os.environ, TEACHOS_ELF=str(elf), TEACHOS_GDB_PORT=str(port))
    with gradelib.Machine(elf, log_name=f"gdb_{name}",
                          extra_args=["-S", "-gdb", f"tcp:localhost:{port}"]) as m:
        assert m.qmp("query-status")["running"] is False, "QEMU should wait for GDB"
        gdb = subprocess.run(["gdb", "-n", "-batch", "-x", ".gdbinit", "-x", str(script)],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=60)
    return gdb.stdout, elf


def between(out, start, end):
    """The lines GDB printed between `echo start` and `echo end` (none if the
    script ended before)."""
    m = re.search(rf"^{start}\n(.*?)^{end}$", out, re.S | re.M)
    return m.group(1).splitlines() if m else []


def test_gdb_hbreak_kmain(tmp_path):
    """make qemu-gdb + make gdb, in batch: hbreak kmain, continue, bt. The
    backtrace ends at higher_half_entry (boot.asm's call-frame information
    says it has no caller) and rsp is as the ABI wants at a function's entry."""
    out, _ = gdb_session(tmp_path, "hbreak_kmain",
                         ["hbreak kmain", "continue", "echo <bt>\\n", "bt", "echo </bt>\\n",
                          "info registers rsp"])
    assert "Hardware assisted breakpoint 1" in out, out
    assert "Breakpoint 1, kmain (magic=920085129" in out, out   # 0x36d76289
    bt = between(out, "<bt>", "</bt>")
    assert len(bt) <= 5, "bt should end within 5 lines:\n" + "\n".join(bt[:20])
    assert bt and bt[0].startswith("#0  kmain ("), out
    assert re.match(r"#1  0x[0-9a-f]+ in higher_half_entry \(\)", bt[-1]), "\n".join(bt)
    rsp = int(out.split("rsp")[-1].split()[0], 16)
    assert rsp % 16 == 8, f"rsp at kmain entry should be 8 mod 16 (ABI): {rsp:#x}"


def test_gdb_hbreak_start(tmp_path):
    """`hbreak _start` (and `hbreak *_start`) stop at the kernel's first
    instruction, with GRUB's Multiboot2 magic in eax."""
    out, elf = gdb_session(tmp_path, "hbreak_start",
                           ["hbreak _start", "hbreak *_start", "continue",
                            "echo <regs>\\n", "info registers rip eax", "echo </regs>\\n"])
    start = gradelib.kernel_symbols(elf)["_start"][0]
    assert f"Hardware assisted breakpoint 1 at {start:#x}" in out, out
    assert f"Hardware assisted breakpoint 2 at {start:#x}" in out, out
    assert "Breakpoint 1, _start ()" in out, out
    regs = {line.split()[0]: int(line.split()[1], 16)
            for line in between(out, "<regs>", "</regs>")}
    assert regs == {"rip": start, "eax": MB2_MAGIC}, out


def test_gdb_info_registers(tmp_path):
    """`info registers`: the general registers, not the xmm ones;
    `info all-registers` still has those."""
    out, _ = gdb_session(tmp_path, "info_registers",
                         ["echo <general>\\n", "info registers", "echo </general>\\n",
                          "echo <all>\\n", "info all-registers", "echo </all>\\n"])
    general = [line.split()[0] for line in between(out, "<general>", "</general>")]
    every = [line.split()[0] for line in between(out, "<all>", "</all>")]
    for reg in ("rax", "rsp", "rbp", "r15", "rip", "eflags", "cs", "cr3"):
        assert reg in general, out
    assert not [r for r in general if r.startswith("xmm") or r == "mxcsr"], out
    assert "xmm0" in every and "xmm15" in every, out
