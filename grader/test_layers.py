"""The kernel's folders are layers (instructor-only, no points).

Calls go down: lib, base, arch and dev, mm, proc, core, tests (README,
"Layout"). Read off the object files of the last lab's kernel (nm: what
each object defines and what it leaves undefined), every call from a
folder to one above it must be one of the few inherent loops named below,
each with its reason; a new upward call, or a listed loop that is gone,
fails here and says which file calls what.
"""

import collections
import subprocess

import gradelib
from course import LAB_MAX

LEVEL = {"lib": 0, "base": 1, "arch": 2, "dev": 2, "mm": 3, "proc": 4, "fs": 5, "core": 6, "tests": 7}

# (from, to): why this call must go up. At most MAX_UPWARD of them.
INHERENT = {
    ("arch", "core"): "boot.asm starts the kernel: it calls kmain",
    ("arch", "proc"): "interrupt dispatch: trap.c hands ticks, system calls and user faults "
                      "to proc; switch.asm starts a new thread in thread_start; a spinlock "
                      "records the current thread as its holder, for its reports",
    ("arch", "mm"): "interrupt dispatch: a page fault asks paging whose guard page it hit",
    ("dev", "proc"): "the PIT's interrupt is the scheduler's tick; a disk request sleeps "
                     "until the disk's interrupt wakes it",
    ("base", "dev"): "console output (dev) prints base's messages: panic, backtrace, boot lines",
}
MAX_UPWARD = 5


def symbols(obj):
    """(defined, undefined) global symbols of one object file."""
    out = subprocess.run(["nm", str(obj)], check=True, stdout=subprocess.PIPE, text=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in "TDBRV":
            defined.add(fields[2])
        elif len(fields) == 2 and fields[0] == "U":
            undefined.add(fields[1])
    return defined, undefined


def upward_calls():
    """{(from folder, to folder): ["file -> symbol (file)", ...]} of the
    references that go up the layers."""
    elf = gradelib.build(LAB_MAX, LAB_MAX)
    objects = elf.parent / "kernel"
    owner, wants = {}, {}
    for obj in sorted(objects.rglob("*.o")):
        source = gradelib.ROOT / "kernel" / obj.relative_to(objects)
        if not (source.with_suffix(".c").exists() or source.with_suffix(".asm").exists()):
            continue                    # left in build/ by a source since moved
        folder = obj.relative_to(objects).parts[0]
        defined, undefined = symbols(obj)
        owner.update({s: (folder, obj.name) for s in defined})
        wants[(folder, obj.name)] = undefined
    calls = collections.defaultdict(list)
    for (folder, name), undefined in wants.items():
        for sym in sorted(undefined & owner.keys()):
            to, where = owner[sym]
            if LEVEL[to] > LEVEL[folder]:
                calls[(folder, to)].append(f"{name} -> {sym} ({where})")
    return calls


def test_folders_are_layers():
    assert len(INHERENT) <= MAX_UPWARD
    calls = upward_calls()
    unexpected = {edge: refs for edge, refs in calls.items() if edge not in INHERENT}
    assert not unexpected, "calls up the layers that are not inherent loops:\n" + "\n".join(
        f"  {a} -> {b}: {', '.join(refs)}" for (a, b), refs in sorted(unexpected.items()))
    gone = [edge for edge in INHERENT if edge not in calls]
    assert not gone, f"listed as inherent but no longer called (take them out of INHERENT): {gone}"
