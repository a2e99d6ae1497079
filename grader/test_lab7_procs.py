"""Lab 7 graders: processes (handouts/lab7-procs.md, §5).

Programs from user/ run with init=PROG:ARG... and report what they saw;
every shape, status, size, seed and word is drawn here, and what the
programs must print is computed here from it (the tree's sizes, the
streams' hashes, the child's checksum). Memory is judged by the frames the
kernel has free (sysinfo) before and after. The shell is driven by typing
into the serial console of a plain boot, which starts /bin/init.
"""

import re
import time

import pytest

from checks import check, rng, word, lines, check_lines, shell_command
from gradelib import SUCCESS, stub_dead_ends

STUBS = stub_dead_ends(3, 4, 5, 6, 7, panic=True)
PROC_MAX = 64                             # tunables.h: processes at once
MASK = (1 << 64) - 1


def run(kernel, init, timeout=30, more=""):
    """Boot with init=... (and the words more), wait for the power-off;
    return the serial text."""
    with kernel.boot(f"init={init} {more}".strip(), dead_ends=STUBS) as m:
        m.expect_exit(SUCCESS, timeout=timeout)
        m.refuse_dead_ends(f"the programs of init={init} to run")
    return m.text


def xorshift_bytes(seed, n):
    """The low bytes of n steps of xorshift64 from seed (user/pipes.c, cow.c)."""
    out, s = bytearray(n), seed
    for i in range(n):
        s ^= (s << 13) & MASK
        s ^= s >> 7
        s ^= (s << 17) & MASK
        out[i] = s & 0xFF
    return out


def fnv1a(data):
    h = 14695981039346656037
    for b in data:
        h = ((h ^ b) * 1099511628211) & MASK
    return h


# ---- process trees and wait4 (exercise 2) -------------------------------------------


def random_tree(nodes):
    """A random tree of nodes processes: (the preorder child counts, each
    node's label and subtree size)."""
    children = {"r": []}
    for i in range(1, nodes):
        parent = rng.choice(list(children))
        label = f"{parent}.{len(children[parent])}"
        children[parent].append(label)
        children[label] = []
    counts, sizes = [], {}

    def walk(label):
        counts.append(str(len(children[label])))
        sizes[label] = 1 + sum(walk(c) for c in children[label])
        return sizes[label]
    walk("r")
    return ".".join(counts), sizes


@pytest.mark.points(10)
@pytest.mark.exercise(2)
def test_fork_tree(kernel):
    """A tree of processes of a random shape: every process forks its
    children, waits for each by pid and adds their exit statuses. Every
    process must be accounted for with the right subtree size, and each
    one's getppid must be the pid its parent printed. Catches wait4
    returning another child than the pid asked for, a status word not in
    Linux's encoding, a zombie reaped twice or never, getppid wrong, and
    fork returning the wrong value on either side."""
    shape, sizes = random_tree(rng.randint(8, 20))
    text = run(kernel, f"forktree:{shape}")
    seen = {m[0]: (int(m[1]), int(m[2]), int(m[3]))
            for m in re.findall(r"^forktree: (\S+) pid (\d+) ppid (\d+) size (\d+)$", text, re.M)}
    check(set(seen) == set(sizes), f"one line from each of the {len(sizes)} processes {sorted(sizes)}",
          lines(text, "forktree:"))
    for label, size in sizes.items():
        pid, ppid, got = seen[label]
        check(got == size, f"{label}: a subtree of {size}", f"size {got}")
        if label != "r":
            parent = seen[label.rsplit(".", 1)[0]][0]
            check(ppid == parent, f"{label}: ppid {parent} (its parent's pid)", ppid)
    check(len({pid for pid, _, _ in seen.values()}) == len(seen), "a different pid each",
          sorted(pid for pid, _, _ in seen.values()))
    check(f"forktree: exit({len(sizes)})" in text.splitlines(), f"forktree: exit({len(sizes)})",
          lines(text, "forktree: exit")[-1:])


@pytest.mark.points(10)
@pytest.mark.exercise(2)
def test_wait_statuses(kernel):
    """Children exit with random statuses at different times: WNOHANG
    gives 0 while none has ended; waitpid of the last child waits for that
    one (the first to be created ends first); wait(-1) reaps the rest with
    their own statuses; then -ECHILD with no children or for a pid that is
    not a child; -EFAULT for a bad status pointer; a child that faults ends
    with 255 while its parent goes on. Catches a WNOHANG that blocks or
    reaps a live child, statuses swapped between children, waitpid taking
    any child, wait blocking forever with no children, a status word
    copied from the wrong zombie."""
    codes = [rng.randint(0, 255) for _ in range(rng.randint(3, 6))]
    text = run(kernel, "waitstat:" + ":".join(map(str, codes)))
    check("waitstat: WNOHANG at once gives 0" in text.splitlines(), "WNOHANG at once gives 0",
          lines(text, "waitstat: WNOHANG"))
    got = re.findall(r"^waitstat: child (\d+) \(pid \d+\) exited with (\d+)$", text, re.M)
    check(got and int(got[0][0]) == len(codes) - 1, f"waitpid of the last child (child {len(codes) - 1}) first",
          got[:1])
    check(sorted((int(k), int(c)) for k, c in got) == list(enumerate(codes)),
          f"each child k with its status {codes}", got)
    check_lines(text, "waitstat: wait with no children left gives -10",
                "waitstat: waitpid of a pid that is not a child gives -10",
                "waitstat: wait with a bad status pointer gives -14",
                "waitstat: a child that wrote to address 0 ended with 255, and I go on")


@pytest.mark.points(5)
@pytest.mark.exercise(2)
def test_orphans(kernel):
    """A grandchild whose parent ends goes to pid 1, which reaps both; then
    a process that is already a zombie when its parent ends (pid 1 -> A ->
    B -> C, C ended, B ends) goes to pid 1, which must wake for it while A
    still lives. Catches children left pointing at a dead parent (getppid
    never becomes 1), orphans nobody reaps (pid 1's wait never gets the
    grandchild's 42), and a zombie handed over without waking its new
    parent (pid 1 sleeps on until A ends by itself)."""
    text = run(kernel, "orphan")
    m = re.search(r"^orphan: grandchild pid (\d+): parent was (\d+), now (\d+)$", text, re.M)
    check(m and m.group(3) == "1", "the grandchild's parent is now pid 1", lines(text, "orphan: grandchild"))
    reaped = sorted(re.findall(r"^orphan: reaped (\d+) status (\d+)$", text, re.M))
    want = sorted([(m.group(2), "7"), (m.group(1), "42")])
    check(reaped == want, f"pid 1 reaps the middle process (7) and the grandchild (42): {want}", reaped)
    check("orphan: no children left: -10" in text.splitlines(), "then -ECHILD",
          lines(text, "orphan: no"))
    check_lines(text, "orphan: reaped the adopted zombie, status 3",
                "orphan: A was killed: pid 1 woke for the zombie")


# ---- copy-on-write (exercise 1) ------------------------------------------------------


@pytest.mark.points(10)
@pytest.mark.exercise(1)
def test_cow(kernel):
    """fork of a process with a random number of touched pages of random
    bytes: the child sees the parent's bytes and writes its own (its
    checksum computed here), the parent still sees its own; the fork costs
    far fewer frames than pages (sharing, not copying), and the parent's
    first write to a shared page costs one frame. Catches an eager copy, shared
    pages left writable (the parent sees the child's bytes), a write fault
    that copies the wrong frame or maps it read-only, and a copy made for
    every fault instead of the faulting page."""
    pages, seed = rng.randint(200, 400), rng.randint(1, 1 << 40)
    text = run(kernel, f"cow:{pages}:{seed}")
    used = re.search(rf"^cow: fork of {pages} touched pages used (-?\d+) frames$", text, re.M)
    check(used and 0 <= int(used.group(1)) < pages // 8,
          f"fork using far fewer than {pages} frames (under {pages // 8})", lines(text, "cow: fork"))
    one = re.search(r"^cow: the parent's first write to one page used (-?\d+) frames$", text, re.M)
    check(one and int(one.group(1)) == 1, "one write, one frame", lines(text, "cow: the parent's"))
    check_lines(text, "cow: child sees the parent's data: yes",
                "cow: parent sees its own data after the child wrote: yes")
    total = 0
    for b in xorshift_bytes(seed + 1, pages * 4096):
        total = (total * 31 + b) & MASK
    check_lines(text, f"cow: child checksum {total}")


@pytest.mark.points(5)
@pytest.mark.exercise(1)
def test_cow_break(kernel):
    """cow_break and the owner counts alone, on made-up address spaces (the
    in-kernel test cow_break): a page with a random word, shared by a random
    number of owners, is written by each in turn. Every owner but the last
    gets a new frame (one frame each, the word copied); the last keeps the
    frame itself; every page ends writable and not COW; and once the spaces
    are freed every frame is back. Catches a copy made for the last owner
    too (the shared frame leaks), a count never decremented, a page left
    read-only or still marked COW, a copy of the wrong frame."""
    owners, w = rng.randint(1, 8), word(rng.randint(4, 30))
    with kernel.boot(f"test=cow_break owners={owners} word={w}", dead_ends=STUBS) as m:
        m.expect_line(f"cow_break: {owners + 1} owners")
        for i in range(owners + 1):
            which = "a new frame" if i < owners else "the same frame"
            m.expect_line(f"cow_break: owner {i}: 0, {which}, writable, not COW, reads '{w}', "
                          f"frames used {min(i + 1, owners)}")
        m.expect_line("cow_break: every frame back: yes")
        m.expect_exit(SUCCESS)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2)
def test_no_leak(kernel):
    """A thousand rounds or more of fork, a child writing a few shared pages (each
    a copy-on-write copy), exit and wait: every status right, and the free
    frames after the last round exactly as after the first. Catches a frame
    whose last owner never frees it, a copy made when the writer was the
    last owner (the shared frame then leaks), page tables or kernel stacks
    not freed with the process, and a zombie never freed."""
    rounds, pages = rng.randint(1000, 1200), rng.randint(2, 8)
    text = run(kernel, f"forkloop:{rounds}:{pages}", timeout=60)
    check(f"forkloop: {rounds} rounds, statuses right: yes" in text.splitlines(),
          "every status right", lines(text, "forkloop: ") [-3:])
    m = re.search(r"^forkloop: free frames before (\d+) after (\d+)$", text, re.M)
    check(m and m.group(1) == m.group(2), "as many free frames after as before",
          lines(text, "forkloop: free"))


# ---- kill (with exercises 2-4) ---------------------------------------------------------


@pytest.mark.points(10)
@pytest.mark.exercise(2, 3, 4)
def test_kill(kernel):
    """kill ends a child spinning in ring 3, one blocked reading a pipe
    (SIGTERM), one blocked writing to a full pipe, and one asleep for a
    minute, each reaped with the signal in its status; kill of a missing
    pid gives -ESRCH, of signal 1 -EINVAL (from Lab 10, where 1..64 are
    signals, of signal 65), signal 0 checks only. Catches a pipe wait that
    ignores -EINTR (the reader or writer sleeps on, or spins with the lock
    held: the test waits out its deadline), the signal lost from the
    status, and a killed reader or writer that goes on."""
    text = run(kernel, "killer")
    check_lines(text, "killer: spinning child: status 0x9, signalled yes",
                "killer: reading child: status 0xf, signalled yes",
                "killer: writing child: status 0x9, signalled yes",
                "killer: sleeping child: status 0x9, signalled yes",
                "killer: kill of no such pid gives -3",
                f"killer: kill with signal {1 if kernel.lab < 10 else 65} gives -22",
                "killer: kill 0 of myself gives 0")
    check("killer: the reader read" not in text and "killer: the sleeper woke" not in text
          and "killer: the writer wrote" not in text,
          "no killed child going on", lines(text, "killer: the"))


# ---- pipes (exercises 3 and 4) -----------------------------------------------------------


@pytest.mark.points(10)
@pytest.mark.exercise(3, 4)
def test_pipe_stream(kernel):
    """A random stream of a megabyte or more through one pipe, then through
    a three-stage pipeline (the middle adds one to each byte), written and
    read in chunks of random sizes: the lengths and FNV-1a hashes are
    computed here. Catches a ring buffer that loses or repeats bytes when
    it wraps, a read that returns more than asked, a writer that does not
    block when full (bytes overwritten), end of file too early or never."""
    size, seed = rng.randint(1 << 20, (1 << 20) + 200_000), rng.randint(1, 1 << 40)
    text = run(kernel, f"pipes:{size}:{seed}", timeout=60)
    data = xorshift_bytes(seed, size)
    check_lines(text, f"pipes: one pipe: {size} bytes, fnv {fnv1a(data):x}",
                f"pipes: pipeline: {size} bytes, fnv {fnv1a(bytes((b + 1) & 0xFF for b in data)):x}")


@pytest.mark.points(5)
@pytest.mark.exercise(2, 3, 4)
def test_pipe_ends(kernel):
    """End of file comes only when the last write end closes (one kept by
    a child that writes later); a write with no read end open gives
    -EPIPE, and so does a writer blocked on a full pipe when its reader
    leaves (after what it wrote). Catches end of file at the first close,
    writers never woken when readers go, -EPIPE never given."""
    text = run(kernel, f"pipes:{rng.randint(1000, 5000)}:{rng.randint(1, 1000)}")
    check_lines(text, "pipes: end of file after every writer closed: 'late' then 0",
                "pipes: write with no reader gives -32",
                "pipes: a writer blocked on a full pipe whose reader left: 1st write ok, 2nd gives -32")


@pytest.mark.points(5)
@pytest.mark.exercise(3)
def test_fd_table(kernel):
    """The fd table with the console's fds only: dup takes the lowest free
    fd; dup2 to fd 9 writes a random word through it; a closed fd 1 gives
    -EBADF and dup2 brings it back; dup2(fd, fd) leaves fd open; the errors
    (-EBADF for closed or out-of-range fds, -EFAULT for bad pointers); dup
    until -EMFILE. Catches the lowest-fd rule broken, dup2 not counting
    its new reference (the console goes with the next close), dup2(fd, fd)
    closing fd, close that leaves the entry behind, a table bound off by
    one."""
    w = word(rng.randint(4, 20))
    text = run(kernel, f"redirect:{w}")
    check_lines(text, "redirect: dup gives the lowest free fd: 3",
                f"redirect: written through fd 9: {w}",
                "redirect: a write to fd 1 while closed gave -9",
                "redirect: dup2(fd, fd) gives fd: yes",
                "redirect: errors: dup2 of a closed fd -9, dup2 to fd 16 -9, close twice -9, "
                "read of a closed fd -9, write from a bad pointer -14, read into a bad pointer -14",
                "redirect: dup until it fails: 13 more fds, then -24")


@pytest.mark.points(5)
@pytest.mark.exercise(3, 4)
def test_fd_redirect(kernel):
    """dup2 sends stdout into a pipe and back (a random word through it,
    then end of file: dup2 back let the pipe's end go); a write end kept by
    dup2 holds end of file back until it too is closed; across execve an
    O_CLOEXEC fd is closed and a plain one kept. Catches dup2 that does not
    close newfd's old file, references not counted (end of file too early
    or never), close-on-exec ignored or applied to every fd."""
    w = word(rng.randint(4, 20))
    text = run(kernel, f"redirect:{w}")
    check_lines(text, f"redirect: stdout through a pipe carried '{w}' then 0",
                f"redirect: a write end kept by dup2 after close: '{w}' then 0",
                "fdcheck: fd 3 open, fd 4 open, fd 5 closed, fd 6 closed")


@pytest.mark.points(5)
@pytest.mark.exercise(2, 3, 4)
def test_fork_bomb(kernel):
    """Fork until refused, four rounds: the kernel refuses with -EAGAIN at
    its process limit (a random procmax=N, or PROC_MAX: never a panic or a
    hang), every child is reaped, and once the kernel's heap has grown to
    fit them, every frame comes back: in some round after the first (the
    order children end in may fragment the heap into one more page in
    round 2; a leak loses frames in every round). Catches a process table
    that overflows, slots of reaped processes never reused, a failed fork
    that leaks its half-made child."""
    limit = rng.choice([PROC_MAX, rng.randint(8, PROC_MAX - 1)])
    text = run(kernel, "forkbomb", timeout=60, more=f"procmax={limit}")
    rounds = re.findall(r"^forkbomb: round (\d): (\d+) children, then fork gave (-?\d+); reaped (\d+); "
                        r"free frames before (\d+) after (\d+)$", text, re.M)
    check(len(rounds) == 4, "four rounds", lines(text, "forkbomb: round"))
    for r, n, err, reaped, before, after in rounds:
        check(int(n) == limit - 1 and err == "-11" and reaped == n,
              f"round {r}: {limit - 1} children, then -11 (EAGAIN), all reaped", (n, err, reaped))
    check(any(before == after for _, _, _, _, before, after in rounds[1:]),
          "in some round after the first, as many free frames after as before",
          [f"round {r}: before {b} after {a}" for r, _, _, _, b, a in rounds])


# ---- the shell (exercise 5, with the rest) -------------------------------------------------


@pytest.mark.points(10)
@pytest.mark.exercise(2, 3, 4, 5)
def test_shell_pipelines(kernel):
    """A plain boot reaches the shell's prompt; typed pipelines of random
    length and words give what the host computes: seq | grep | wc -l with
    a random bound and digit (and seq 1 1000 | grep 7 | wc -l, 271, the
    lab's own example), seq | head that stops reading early (seq must get
    -EPIPE), and echo through a chain of cats. Catches pipe ends left open
    in the shell or a stage (the pipeline never ends: a read end kept by
    the shell or by seq itself lets seq fill the pipe and wait for ever),
    stages connected in the wrong order."""
    with kernel.boot("", dead_ends=STUBS, shell=True) as m:
        m.expect(r"^\$ ", partial=True, what="the shell's prompt after a plain boot")
        got = shell_command(m, "seq 1 1000 | grep 7 | wc -l")
        check(got == ["271"], "271", got)
        n, d = rng.randint(500, 3000), str(rng.randint(1, 9))
        got = shell_command(m, f"seq 1 {n} | grep {d} | wc -l")
        want = str(sum(d in str(i) for i in range(1, n + 1)))
        check(got == [want], want, got)
        n, k = rng.randint(20_000, 60_000), rng.randint(1, 5)
        got = shell_command(m, f"seq 1 {n} | head -n {k}")
        check(got == [str(i) for i in range(1, k + 1)], f"1 to {k}, and the prompt back", got)
        words = [word(rng.randint(2, 8)) for _ in range(rng.randint(2, 5))]
        cats = " | cat" * rng.randint(1, 5)
        got = shell_command(m, "echo " + " ".join(words) + cats)
        check(got == [" ".join(words)], " ".join(words), got)


@pytest.mark.points(5)
@pytest.mark.exercise(2, 5)
def test_shell_commands(kernel):
    """A missing command says so and the shell goes on with $? = 127; a
    command's exit status reaches $?; a background job does not hold the
    prompt and is reaped; a foreground command started after a background
    job that ends at once still holds the prompt until it ends itself.
    Catches a shell that dies with its child, a missing exec failure, a
    foreground wait that takes the background job instead (wait(-1)
    returns the finished job, and the prompt comes back early)."""
    with kernel.boot("", dead_ends=STUBS, shell=True) as m:
        m.expect(r"^\$ ", partial=True, what="the shell's prompt after a plain boot")
        name = "no" + word(6)
        got = shell_command(m, name)
        check(f"sh: {name}: not found" in got, f"sh: {name}: not found", got)
        check(shell_command(m, "echo $?") == ["127"], "127", m.lines()[-3:])
        shell_command(m, "false")
        check(shell_command(m, "echo $?") == ["1"], "1 after false", m.lines()[-3:])
        job = shell_command(m, "sleep 2 &")
        check(len(job) == 1 and re.fullmatch(r"\[\d+\]", job[0]), "[PID]", job)
        start = time.monotonic()
        w = word(8)
        got = shell_command(m, f"echo {w}")
        check(w in got and time.monotonic() - start < 1.5, f"{w} at once, not after the job",
              got)
        shell_command(m, "wait", timeout=10)
        got = shell_command(m, "echo done")
        check(any(re.fullmatch(rf"{re.escape(job[0])} done 0", l) for l in m.lines()),
              f"{job[0]} done 0 (the job reaped)", m.lines()[-6:])
        quick = shell_command(m, "true &")
        start = time.monotonic()
        shell_command(m, "sleep 1", timeout=10)
        took = time.monotonic() - start
        check(took >= 0.9, "the prompt back only once sleep 1 has ended", f"after {took:.2f} s")
        done = f"{quick[0]} done 0" if quick else "[PID] done 0"
        check(done in m.lines(), f"{done} (the background true reaped)", m.lines()[-6:])
