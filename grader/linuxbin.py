"""linuxbin.py - the Linux programs Lab 10 puts on the disk (host side).

`linuxbin.py check-static FILE` exits 0 if FILE is a static x86-64 ELF
executable (no PT_INTERP: it needs no dynamic loader, which the kernel does
not have), and otherwise says what is wrong and which Debian package has
the right file (Debian's `busybox` package is dynamic; `busybox-static`
is the one that runs on our kernel).
"""
import struct
import sys

PT_INTERP = 3


def static_elf_problem(path):
    """None if path is a static ELF64 x86-64 executable, else a reason."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return f"cannot read it ({e.strerror})"
    if data[:4] != b"\x7fELF" or len(data) < 64 or data[4] != 2:
        return "not an ELF64 file"
    e_type, e_machine = struct.unpack_from("<HH", data, 16)
    if e_machine != 62:
        return "not an x86-64 program"
    if e_type != 2:
        return "not a fixed-address executable (ET_EXEC): a PIE or a library"
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for i in range(phnum):
        p_type, = struct.unpack_from("<I", data, phoff + i * phentsize)
        if p_type == PT_INTERP:
            return "dynamically linked (it needs a loader the kernel does not have)"
    return None


def main(argv):
    if len(argv) != 3 or argv[1] != "check-static":
        print("usage: linuxbin.py check-static FILE", file=sys.stderr)
        return 2
    problem = static_elf_problem(argv[2])
    if problem:
        print(f"teachos: {argv[2]}: {problem}; Lab 10 needs Debian's busybox-static "
              f"(apt-get install busybox-static)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
