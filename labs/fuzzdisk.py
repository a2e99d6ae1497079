#!/usr/bin/python3
"""fuzzdisk.py - how Lab 8's kernel takes damaged disks: many images, each
corrupted at random metadata places, each booted once (instructor-only).

The reference kernel (LAB=8 SOL=8 unless told) is built once. For each
image a fresh copy of the build's pristine disk is corrupted at k random
places (k drawn from --places) by grader/disk.py's corrupt(): random byte
values in the superblock, the group descriptors, a block or inode bitmap,
an inode in use, a directory block or an indirect block. Image i damages
one kind of metadata, in turn (the kinds, then "mixed": all kinds at
once). The kernel then boots it with the workload of the damaged-disk
grader, user/fsprobe (list, lstat and read everything, then create and
write a file, mkdir, rename, unlink, rmdir) in every directory of the
pristine image, and each boot is classified:

    refused     the mount refused the disk ("fs: not mounted: ...")
    errors      mounted; calls failed with -EIO/-EUCLEAN or the kernel
                printed "fs: corrupt: ..." lines
    errno       mounted; calls failed, with other errors only (-ENOENT ...)
    unnoticed   mounted; every call worked and nothing was reported
    PANIC       "PANIC at ..." (QEMU exit 35)
    triple      QEMU exit 0: a triple fault
    hang        still running at the deadline (wall or CPU time)
    killed      the kernel killed fsprobe (an exception in user mode): not
                the kernel's failure when the damage hit /bin/fsprobe
                itself (its inode or indirect block: init= runs the disk's
                copy), which the report then says
    other       anything else: the workload did not end ("fsprobe: done"
                missing), QEMU wrote to its stderr (e.g. a request past
                the disk), another exit status

It prints a table (per kind and in total), the seed, and for each panic,
triple fault, hang or other failure the image and log it kept
(build/fuzzdisk/seed-S/) with the kernel's last lines and the command that
replays it. Run from the tree's top, no Makefile target:

    /usr/bin/python3 labs/fuzzdisk.py --images 200 --places 1..20 --seed 1 --jobs 2
    /usr/bin/python3 labs/fuzzdisk.py --seed 1 --places 1..20 --only 17   # replay image 17

Replaying needs the same --seed and --places (and the same pristine image:
the same tree). Exit status 0 when no boot panicked, triple-faulted, hung
or failed otherwise; 1 if one did; 2 on a usage or build error.
"""

import argparse
import random
import re
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "grader"))
import disk                             # noqa: E402  (grader/ is not a package)
import gradelib                         # noqa: E402

ROOT = gradelib.ROOT
OUT = ROOT / "build" / "fuzzdisk"
MIXED = "mixed"
OUTCOMES = ("refused", "errors", "errno", "unnoticed", "PANIC", "triple", "hang", "killed",
            "other")
BAD = ("PANIC", "triple", "hang", "other")          # the kernel's failures
SHOWN = BAD + ("killed",)                           # reported one by one
EIO, EUCLEAN = 5, 117
NOT_MOUNTED_RE = re.compile(r"^fs: not mounted: .+$", re.M)
FAILED_CALL_RE = re.compile(r"^fsprobe: \S+ \S+: -(\d+)$", re.M)
KILLED_RE = re.compile(r"^\S+: killed by ", re.M)


def parse_places(text):
    """"1..20" -> (1, 20); "5" -> (5, 5)."""
    m = re.fullmatch(r"(\d+)(?:\.\.(\d+))?", text)
    if not m or int(m.group(1)) < 1 or m.group(2) and int(m.group(2)) < int(m.group(1)):
        raise argparse.ArgumentTypeError(f"{text!r}: give N or A..B (1 <= A <= B)")
    return int(m.group(1)), int(m.group(2) or m.group(1))


def workload(pristine):
    """The init= value: fsprobe in every directory of the pristine image
    (the root's subdirectories; the image made by the Makefile is flat).
    lost+found is left out: init= splits programs at "+"."""
    dirs = ["/"] + [f"/{e['name']}" for e in disk.entries(pristine, "/")
                    if e["name"] not in (".", "..") and e["mode"] & 0o170000 == 0o040000
                    and re.fullmatch(r"[A-Za-z0-9_.-]+", e["name"])]
    return "fsprobe:" + ":".join(dirs)


def plan(seed, index, places, kinds):
    """What image index damages: (kind, k, rng for corrupt()); the same for
    the same seed, index and places, whatever ran before it."""
    rng = random.Random(f"fuzzdisk:{seed}:{index}")
    return kinds[index % len(kinds)], rng.randint(*places), rng


def classify(m, status, text, cpu_limit_hit):
    """(outcome, details) of one boot."""
    errnos = [int(e) for e in FAILED_CALL_RE.findall(text)]
    corrupt_lines = len(re.findall(r"^fs: corrupt: ", text, re.M))
    details = {"eio": errnos.count(EIO), "euclean": errnos.count(EUCLEAN),
               "errno": len(errnos) - errnos.count(EIO) - errnos.count(EUCLEAN),
               "corrupt": corrupt_lines, "qemu_stderr": getattr(m, "qemu_stderr", "") or ""}
    if status is None or cpu_limit_hit:
        return "hang", details
    if re.search(r"^PANIC at ", text, re.M):
        return "PANIC", details
    if status == gradelib.TRIPLE_FAULT:
        return "triple", details
    if status != gradelib.SUCCESS or details["qemu_stderr"]:
        return "other", details
    if KILLED_RE.search(text):
        return "killed", details
    if NOT_MOUNTED_RE.search(text):
        return "refused", details
    if "fsprobe: done" not in text.splitlines():
        return "other", details
    if details["eio"] or details["euclean"] or corrupt_lines:
        return "errors", details
    return ("errno" if details["errno"] else "unnoticed"), details


def run_one(args, elf, init, out, index):
    """Corrupt, boot and classify image index; returns a result dict."""
    kind, k, rng = plan(args.seed, index, args.places, args.kinds)
    img = out / f"img-{index:03d}.img"
    disk.copy_pristine(args.lab, args.sol, img)
    hits = disk.corrupt(img, rng, k, kinds=disk.CORRUPT_KINDS if kind == MIXED else (kind,))
    m = gradelib.Machine(elf, f"init={init}", log_name=f"fuzzdisk-{args.seed}-{index:03d}",
                         disk=img, fsck=False)
    cpu_limit_hit, where = False, ""
    with m:
        deadline = time.monotonic() + args.timeout
        while m.wait_exit(timeout=0.5) is None and time.monotonic() < deadline:
            if m.cpu_seconds() >= args.cpu:
                cpu_limit_hit = True
                break
        status = m.status
        if status is None:
            where = m.where()
    text = m.text
    outcome, details = classify(m, status, text, cpu_limit_hit)
    hit_probe = any(re.search(rf"\binode {args.probe_ino}$", h["what"]) for h in hits)
    log = out / f"img-{index:03d}.log"
    shutil.move(m.log_path, log)
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"# fuzzdisk: seed {args.seed} image {index}: {kind}, {k} places: {outcome}\n")
        f.write("".join(f"#   {h['what']} byte {h['offset'] - h['block'] * 1024} of block "
                        f"{h['block']}: {h['old']:#04x} -> {h['new']:#04x}\n" for h in hits))
        if where:
            f.write(f"# the CPU was in {where}\n")
    if outcome not in SHOWN and not args.keep:
        img.unlink()
    return {"index": index, "kind": kind, "places": k, "outcome": outcome, "status": status,
            "where": where, "hit_probe": hit_probe, "img": img, "log": log, "last": text.strip("\n").split("\n")[-12:],
            **details}


def table(results, kinds):
    """The summary table, one row per kind and a total: the outcomes, then
    the failed calls (by error) and "fs: corrupt" lines of the boots that
    mounted (on a refused disk every call fails, and says nothing)."""
    cols = ("images",) + OUTCOMES + ("EIO", "EUCLEAN", "errno", "corrupt")
    rows = []
    for kind in list(kinds) + ["total"]:
        rs = [r for r in results if kind in ("total", r["kind"])]
        if not rs:
            continue
        rows.append([kind, len(rs)] + [sum(r["outcome"] == o for r in rs) for o in OUTCOMES]
                    + [sum(r[key] for r in rs if r["outcome"] != "refused")
                       for key in ("eio", "euclean", "errno", "corrupt")])
    width = max(len(r[0]) for r in rows) + 2
    lines = ["kind".ljust(width) + "".join(c.rjust(max(len(c), 4) + 2) for c in cols)]
    for r in rows:
        lines.append(r[0].ljust(width) + "".join(str(v).rjust(max(len(c), 4) + 2)
                                                 for c, v in zip(cols, r[1:])))
    lines.append("(EIO, EUCLEAN, errno: fsprobe's failed calls; corrupt: 'fs: corrupt' lines, "
                 "at most 10 a boot; both counted on the disks that mounted)")
    return "\n".join(lines)


def main(argv):
    ap = argparse.ArgumentParser(prog="fuzzdisk.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=200, help="how many images (default 200)")
    ap.add_argument("--places", type=parse_places, default=(1, 20), metavar="A..B",
                    help="places corrupted per image, drawn in A..B (default 1..20)")
    ap.add_argument("--seed", type=int, default=None, help="seed (default: random, printed)")
    ap.add_argument("--jobs", type=int, default=2, help="boots at once (default 2)")
    ap.add_argument("--only", type=lambda s: [int(x) for x in s.split(",")], default=None,
                    metavar="I[,J...]", help="run only these images (a replay)")
    ap.add_argument("--kinds", default=",".join(disk.CORRUPT_KINDS + (MIXED,)),
                    help="kinds of damage, taken in turn (default: every kind, then mixed)")
    ap.add_argument("--timeout", type=float, default=40.0, help="wall seconds per boot (40)")
    ap.add_argument("--cpu", type=float, default=20.0, help="QEMU CPU seconds per boot (20)")
    ap.add_argument("--keep", action="store_true", help="keep every image, not only failures")
    ap.add_argument("--lab", type=int, default=8)
    ap.add_argument("--sol", type=int, default=None, help="SOL (default: the lab)")
    args = ap.parse_args(argv)
    args.sol = args.lab if args.sol is None else args.sol
    args.seed = random.randrange(1, 1 << 31) if args.seed is None else args.seed
    args.kinds = args.kinds.split(",")
    unknown = [k for k in args.kinds if k not in disk.CORRUPT_KINDS + (MIXED,)]
    if unknown:
        ap.error(f"--kinds: no kind {', '.join(unknown)} (kinds: "
                 f"{', '.join(disk.CORRUPT_KINDS + (MIXED,))})")

    try:
        elf = gradelib.build(args.lab, args.sol)
        pristine = disk.pristine_image(args.lab, args.sol)
        present = {r[0] for r in disk.metadata_regions(pristine)}
    except (gradelib.BuildError, disk.DiskError) as e:
        print(f"fuzzdisk: {e}", file=sys.stderr)
        return 2
    missing = [k for k in args.kinds if k != MIXED and k not in present]
    if missing:
        print(f"fuzzdisk: the pristine image has no {', '.join(missing)}: left out",
              file=sys.stderr)
        args.kinds = [k for k in args.kinds if k not in missing]
    init = workload(pristine)
    try:
        args.probe_ino = disk.stat(pristine, "/bin/fsprobe")["ino"]
    except FileNotFoundError:
        args.probe_ino = None               # fsprobe comes from the boot modules
    out = OUT / f"seed-{args.seed}"
    out.mkdir(parents=True, exist_ok=True)
    indices = args.only if args.only is not None else list(range(args.images))
    print(f"fuzzdisk: seed {args.seed}, {len(indices)} images, {args.places[0]}..{args.places[1]} "
          f"places each, kinds {','.join(args.kinds)}, LAB={args.lab} SOL={args.sol}, "
          f"init={init}, {args.jobs} jobs; logs in {out.relative_to(ROOT)}", flush=True)

    started = time.monotonic()
    results = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for r in pool.map(lambda i: run_one(args, elf, init, out, i), indices):
            results.append(r)
            if r["outcome"] in SHOWN or args.only is not None:
                print(f"  image {r['index']}: {r['kind']}, {r['places']} places: {r['outcome']}",
                      flush=True)
            elif len(results) % 20 == 0:
                print(f"  {len(results)}/{len(indices)} done", flush=True)

    print()
    print(table(results, args.kinds))
    bad = [r for r in results if r["outcome"] in BAD]
    for r in (r for r in results if r["outcome"] in SHOWN):
        print(f"\n{r['outcome']}: image {r['index']} ({r['kind']}, {r['places']} places, "
              f"QEMU status {r['status']})")
        print(f"  image: {r['img'].relative_to(ROOT)}\n  log:   {r['log'].relative_to(ROOT)}")
        if r["hit_probe"]:
            print("  the damage hit /bin/fsprobe itself (its inode or indirect block)")
        if r["where"]:
            print(f"  the CPU was in {r['where']}")
        if r["qemu_stderr"]:
            print(f"  QEMU said: {r['qemu_stderr'][:300]}")
        print("  last lines:\n" + "\n".join("    | " + line for line in r["last"]))
        print(f"  replay: /usr/bin/python3 labs/fuzzdisk.py --seed {args.seed} "
              f"--places {args.places[0]}..{args.places[1]} --kinds {','.join(args.kinds)} "
              f"--only {r['index']}")
    print(f"\nfuzzdisk: seed {args.seed}: {len(results)} images in "
          f"{time.monotonic() - started:.0f} s, {len(bad)} panics/triple faults/hangs/other")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
