"""disk.py - the host's tools for Lab 8's disk: make ext2 images, check them,
look inside them, damage them.

Everything here runs e2fsprogs, the Linux tools, on an image file: mke2fs -d
builds an image from a directory tree, e2fsck -fn checks one without
changing it, debugfs reads files and inodes out of one, dumpe2fs tells
where its metadata lives. Graders use it to judge the kernel's file system
from outside (DESIGN §8); the Makefile uses it to build the pristine image:

    python3 grader/disk.py mkfs STAGING IMG     # what `make` runs (Lab 8 on)
    python3 grader/disk.py mkfs3 STAGING IMG    # the same with a journal (Lab 9 on)
    python3 grader/disk.py fsck IMG             # what `make fsck` runs

Plain functions, no pytest. A missing tool raises DiskError naming the
package (e2fsprogs); a debugfs request that fails raises DiskError with
debugfs's message (FileNotFoundError for a path that is not there).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The file system the kernel mounts (handouts/lab8-fs.md): ext2 revision 1,
# 1 KiB blocks, 128-byte inodes, features filetype and sparse_super only, no
# reserved blocks. root_owner=0:0: the root directory belongs to root, not to
# whoever ran make (mke2fs 1.43 on; Ubuntu 22.04 has 1.46.5).
MKE2FS_OPTIONS = ["-q", "-F", "-t", "ext2", "-b", "1024", "-I", "128",
                  "-O", "none,filetype,sparse_super", "-m", "0", "-L", "teachos",
                  "-E", "root_owner=0:0"]
# Lab 9 on: ext3, the same with a journal (mke2fs -t ext3; 4096 blocks for
# 32 MiB), which the kernel writes in JBD2's format (grader/jbd2.py reads it).
EXT3_OPTIONS = ["-q", "-F", "-t", "ext3", "-b", "1024", "-I", "128",
                "-O", "none,filetype,sparse_super,has_journal", "-m", "0", "-L", "teachos",
                "-E", "root_owner=0:0"]
JOURNAL_INODE = 8
DEFAULT_SIZE = "32M"
PRISTINE_NAME = "disk-pristine.img"     # in build/labL-solS/, made by the Makefile


class DiskError(RuntimeError):
    """An e2fsprogs tool is missing, or failed; the message says which and why."""


def tool(name):
    """The path of an e2fsprogs tool. They live in /usr/sbin (or /sbin),
    which a normal user's PATH on Debian does not hold."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        raise DiskError(f"{name} not found (looked in PATH, /usr/sbin and /sbin): "
                        "install the Debian package e2fsprogs (sudo apt-get install -y e2fsprogs)")
    return path


def _run(argv, check=True, **kw):
    proc = subprocess.run([tool(argv[0])] + [str(a) for a in argv[1:]],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, errors="replace", **kw)
    if check and proc.returncode != 0:
        raise DiskError(f"{argv[0]} failed (status {proc.returncode}):\n"
                        + (proc.stderr + proc.stdout).strip())
    return proc


# ---------------------------------------------------------------------------
# Making images

def mkfs(tree, img, size=DEFAULT_SIZE, inodes=None, journal=None):
    """Make img an ext2 file system of size (mke2fs's notation: "32M")
    holding a copy of the directory tree (mke2fs -d), with the course's
    options. inodes: how many inodes (-N), else mke2fs's choice (one per
    4 KiB). journal (Lab 9): ext3, with a journal of mke2fs's size (True)
    or of that many blocks (a number, at least 1024). Files keep their
    modes and times; every owner is root."""
    argv = ["mke2fs"] + (EXT3_OPTIONS if journal else MKE2FS_OPTIONS)
    if journal and journal is not True:
        argv += ["-J", f"size={max(1, journal // 1024)}"]
    argv += ["-N", str(inodes)] if inodes else []
    argv += ["-d", str(tree), str(img), size]
    img = Path(img)
    img.unlink(missing_ok=True)         # mke2fs would keep a larger file's size
    # mke2fs warns on stderr that 128-byte inodes end in 2038: kept quiet
    # unless it fails.
    _run(argv)
    _own_by_root(tree, img)
    return img


def _own_by_root(tree, img):
    """mke2fs -d gives each file the owner it has on the host (root_owner
    covers only the root directory): make every file root's, so that the
    image is the same whoever builds it. One debugfs run for all."""
    tree = Path(tree)
    paths = [p for p in tree.rglob("*") if p.lstat().st_uid or p.lstat().st_gid]
    if not paths:
        return
    with tempfile.NamedTemporaryFile("w", prefix="teachos-req-", suffix=".txt") as req:
        for p in paths:
            name = _quote("/" + str(p.relative_to(tree)))
            req.write(f"sif {name} uid 0\nsif {name} gid 0\n")
        req.flush()
        _run(["debugfs", "-w", "-f", req.name, img])


def make_image(path, files=None, dirs=(), symlinks=None, size=DEFAULT_SIZE, inodes=None,
               tree=None, modes=None, journal=None):
    """Make an ext2 image at path from a description of its contents:
    files {"/home/a": b"bytes" or "text"}, dirs ["/tmp", ...] (empty
    directories; a file's directories are made anyway), symlinks
    {"/home/l": "target"}, modes {"/bin/x": 0o755} (files 0644 and
    directories 0755 otherwise). tree: a directory copied in first (e.g.
    the build's staging tree, build/labL-solS/disk-root). Returns path."""
    with tempfile.TemporaryDirectory(prefix="teachos-stage-") as stage:
        stage = Path(stage)
        os.chmod(stage, 0o755)
        if tree is not None:
            shutil.copytree(tree, stage, symlinks=True, dirs_exist_ok=True)

        def host(p):
            if not str(p).startswith("/"):
                raise ValueError(f"make_image: {p!r}: paths are absolute (start with /)")
            return stage / str(p).lstrip("/")
        for d in dirs:
            host(d).mkdir(parents=True, exist_ok=True)
        for p, data in (files or {}).items():
            h = host(p)
            h.parent.mkdir(parents=True, exist_ok=True)
            h.write_bytes(data.encode() if isinstance(data, str) else data)
            h.chmod(0o644)
        for p, target in (symlinks or {}).items():
            h = host(p)
            h.parent.mkdir(parents=True, exist_ok=True)
            h.symlink_to(target)
        for p, mode in (modes or {}).items():
            host(p).chmod(mode)
        return mkfs(stage, path, size=size, inodes=inodes, journal=journal)


def pristine_image(lab, sol=None):
    """The pristine image of the build LAB=lab SOL=sol (the Makefile makes
    it with the kernel, from /bin, /etc and /home of its staging tree)."""
    sol = lab if sol is None else sol
    return ROOT / "build" / f"lab{lab}-sol{sol}" / PRISTINE_NAME


def copy_image(src, dst):
    """Copy an image, leaving its runs of zero blocks as holes (a 32 MiB
    image holds ~1 MiB of data: the copies a test run makes stay small).
    Returns dst."""
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    chunk = 64 * 1024
    zero = bytes(chunk)
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while True:
            data = fin.read(chunk)
            if not data:
                break
            if data == zero[:len(data)]:
                fout.seek(len(data), os.SEEK_CUR)
            else:
                fout.write(data)
        fout.truncate()             # the size, even if it ends in a hole
    return dst


def copy_pristine(lab, sol, dst):
    """A fresh copy of the build's pristine image at dst (which a test may
    then boot, damage, or read). Returns dst."""
    src = pristine_image(lab, sol)
    if not src.exists():
        raise DiskError(f"no pristine disk image {src}: the disk comes with Lab 8 "
                        f"(make LAB={lab} SOL={sol} builds it from Lab 8 on)")
    return copy_image(src, dst)


# ---------------------------------------------------------------------------
# Checking and reading

def fsck(img):
    """Check img with e2fsck -fn (forced, read-only: nothing is repaired).
    Returns (clean, output): clean is True when e2fsck found nothing
    wrong (status 0), output what it printed."""
    if not Path(img).is_file():
        raise DiskError(f"no disk image {img}")
    # Status 4: errors left uncorrected; 8: it could not even check (a
    # superblock beyond repair is a verdict too). A primary superblock it
    # cannot read sends it to a backup, and with -n that ends in status 0:
    # not clean either.
    proc = _run(["e2fsck", "-fn", img], check=False)
    out = (proc.stdout + proc.stderr).strip()
    return proc.returncode == 0 and "trying backup blocks" not in out, out


DEBUGFS_BANNER = re.compile(r"^debugfs [0-9.]+ \(.*\)$")


def debugfs(img, request, write=False):
    """Run one debugfs request on img (debugfs -R; with write, -w: the
    image is changed). Returns its standard output. Raises DiskError with
    debugfs's message when it reports an error (FileNotFoundError when a
    path is not there)."""
    argv = ["debugfs"] + (["-w"] if write else []) + ["-R", request, img]
    proc = _run(argv, check=False)
    errors = [line for line in proc.stderr.splitlines()
              if line.strip() and not DEBUGFS_BANNER.match(line)]
    if errors or proc.returncode != 0:
        msg = "\n".join(errors) or f"status {proc.returncode}"
        if "not found by ext2_lookup" in msg:
            raise FileNotFoundError(f"{img}: {request}: {msg}")
        raise DiskError(f"debugfs -R {request!r} {img}: {msg}")
    return proc.stdout


def _quote(path):
    """A path as one debugfs argument (it splits on spaces; quotes work)."""
    if not path.startswith("/") and not re.fullmatch(r"<\d+>", path):
        raise ValueError(f"{path!r}: give an absolute path (or <inode>)")
    return '"' + path.replace('"', '\\"') + '"' if re.search(r'[\s"]', path) else path


def cat(img, path):
    """The bytes of the file at path in img, exactly (debugfs dump)."""
    with tempfile.TemporaryDirectory(prefix="teachos-dump-") as d:
        out = Path(d) / "file"
        debugfs(img, f"dump {_quote(path)} {out}")
        if not out.exists():
            raise DiskError(f"{img}: debugfs could not dump {path}")
        return out.read_bytes()


def entries(img, path="/"):
    """The entries of the directory at path, in directory order: dicts
    with name, ino, mode (st_mode as an int, type bits included) and size;
    "." and ".." included."""
    out = debugfs(img, f"ls -p {_quote(path)}")
    found = []
    for line in out.splitlines():
        # /ino/mode/uid/gid/name/size/ (a name cannot hold "/")
        f = line.strip().split("/")
        if len(f) >= 8 and f[1].isdigit():
            found.append({"ino": int(f[1]), "mode": int(f[2], 8), "name": f[5],
                          "size": int(f[6]) if f[6].isdigit() else 0})
    return found


def rdump(img, path, dest):
    """Copy the directory at path in img, with all below it, into the host
    directory dest (debugfs rdump: contents, modes and times). Owners
    follow only for root: another user cannot give a file to root, and
    debugfs's complaints about that are left out. Raises DiskError with
    debugfs's message for anything else (FileNotFoundError: no path)."""
    proc = _run(["debugfs", "-R", f"rdump {_quote(path)} {_quote(str(dest))}", img], check=False)
    errors = [line for line in proc.stderr.splitlines()
              if line.strip() and not DEBUGFS_BANNER.match(line)
              and "while changing ownership" not in line]
    if errors or proc.returncode != 0:
        msg = "\n".join(errors) or f"status {proc.returncode}"
        if "not found by ext2_lookup" in msg:
            raise FileNotFoundError(f"{img}: rdump {path}: {msg}")
        raise DiskError(f"debugfs -R 'rdump {path} {dest}' {img}: {msg}")


def ls(img, path="/"):
    """The names in the directory at path, in directory order, without
    "." and ".."."""
    return [e["name"] for e in entries(img, path) if e["name"] not in (".", "..")]


def exists(img, path):
    """Whether path names something in img."""
    try:
        debugfs(img, f"stat {_quote(path)}")
        return True
    except FileNotFoundError:
        return False


def stat(img, path):
    """An inode's fields, from debugfs stat: ino, type ("regular",
    "directory", "symlink", ...), mode (permission bits), uid, gid, size,
    links, blockcount (512-byte sectors), mtime ... as debugfs prints them,
    target (a symlink's), and its blocks: blocks (the data blocks in file
    order, holes left out), block_map {file block: disk block} and
    indirect (the indirect blocks: IND, DIND, TIND)."""
    return _parse_stat(debugfs(img, f"stat {_quote(path)}"))


TYPES = {"regular": 0o100000, "directory": 0o040000, "symlink": 0o120000,
         "character special": 0o020000, "block special": 0o060000, "FIFO": 0o010000,
         "socket": 0o140000}


def _parse_stat(out):
    st = {}
    m = re.search(r"Inode: (\d+)\s+Type: (.+?)\s+Mode:\s+([0-7]+)\s+Flags: (0x[0-9a-f]+)", out)
    if not m:
        raise DiskError(f"debugfs stat: cannot read its output:\n{out}")
    st["ino"], st["type"] = int(m.group(1)), m.group(2)
    st["mode"], st["flags"] = int(m.group(3), 8), int(m.group(4), 16)
    st["st_mode"] = TYPES.get(st["type"], 0) | st["mode"]
    for key, rx in (("uid", r"User:\s+(\d+)"), ("gid", r"Group:\s+(\d+)"),
                    ("size", r"\bSize: (\d+)"), ("links", r"Links: (\d+)"),
                    ("blockcount", r"Blockcount: (\d+)")):
        m = re.search(rx, out)
        if m:
            st[key] = int(m.group(1))
    for key in ("ctime", "atime", "mtime", "dtime"):
        m = re.search(rf"^\s*{key}: (0x[0-9a-f]+)", out, re.MULTILINE)
        if m:
            st[key] = int(m.group(1), 16)
    m = re.search(r'Fast link dest: "(.*)"', out)
    if m:
        st["target"] = m.group(1)
    block_map, indirect = {}, []
    m = re.search(r"^(?:BLOCKS|EXTENTS):\n(.*?)(?:\n(?:TOTAL|$)|\Z)", out, re.MULTILINE | re.DOTALL)
    if m:
        for item in re.finditer(r"\((\w+)(?:-(\d+))?\):(\d+)(?:-(\d+))?", m.group(1)):
            label, last, first_blk, last_blk = item.groups()
            if label in ("IND", "DIND", "TIND"):
                indirect.append(int(first_blk))
                continue
            first, last = int(label), int(last or label)
            for i in range(last - first + 1):
                block_map[first + i] = int(first_blk) + i
    st["block_map"] = block_map
    st["blocks"] = [block_map[k] for k in sorted(block_map)]
    st["indirect"] = indirect
    return st


def symlink_target(img, path):
    """Where the symbolic link at path points (fast or slow link)."""
    st = stat(img, path)
    if st["type"] != "symlink":
        raise DiskError(f"{path} is not a symbolic link ({st['type']})")
    if "target" in st:
        return st["target"]
    return cat(img, path).decode(errors="replace")


def dumpe2fs(img, header_only=False):
    """dumpe2fs's output for img (-h: the superblock only)."""
    return _run(["dumpe2fs"] + (["-h"] if header_only else []) + [img]).stdout


def superblock(img):
    """The superblock as dumpe2fs -h prints it: {"Inode count": "8192", ...}."""
    sb = {}
    for line in dumpe2fs(img, header_only=True).splitlines():
        key, sep, value = line.partition(":")
        if sep and value.strip():
            sb[key.strip()] = value.strip()
    return sb


# ---------------------------------------------------------------------------
# Where the metadata is, and damaging it

def _ranges(text):
    """"3-5, 9" -> [3, 4, 5, 9]."""
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b or a) + 1))
    return out


def layout(img):
    """Where img's metadata lives, from dumpe2fs: block_size, inode_size,
    inodes_per_group, and per group a dict with superblock and gdt (block
    lists: the primary and sparse_super's backups), block_bitmap,
    inode_bitmap, inode_table (list of blocks), free_inodes (list)."""
    out = dumpe2fs(img)
    sb = {}
    for line in out.split("\n\n")[0].splitlines():
        key, sep, value = line.partition(":")
        if sep:
            sb[key.strip()] = value.strip()
    lay = {"block_size": int(sb["Block size"]), "inode_size": int(sb["Inode size"]),
           "inodes_per_group": int(sb["Inodes per group"]), "groups": []}
    for chunk in re.split(r"\n(?=Group \d+:)", out)[1:]:
        g = {"superblock": [], "gdt": []}
        m = re.search(r"superblock at (\d+), Group descriptors at (\d+)-(\d+)", chunk)
        if m:
            g["superblock"] = [int(m.group(1))]
            g["gdt"] = list(range(int(m.group(2)), int(m.group(3)) + 1))
        g["block_bitmap"] = int(re.search(r"Block bitmap at (\d+)", chunk).group(1))
        g["inode_bitmap"] = int(re.search(r"Inode bitmap at (\d+)", chunk).group(1))
        m = re.search(r"Inode table at (\d+)-(\d+)", chunk)
        g["inode_table"] = list(range(int(m.group(1)), int(m.group(2)) + 1))
        m = re.search(r"Free inodes: ?(.*)", chunk)
        g["free_inodes"] = set(_ranges(m.group(1))) if m else set()
        lay["groups"].append(g)
    return lay


def used_inodes(lay):
    """The inode numbers in use, by the inode bitmaps (as layout() read them)."""
    ipg = lay["inodes_per_group"]
    return [n for i, g in enumerate(lay["groups"])
            for n in range(i * ipg + 1, (i + 1) * ipg + 1) if n not in g["free_inodes"]]


def metadata_regions(img, lay=None):
    """Every piece of img's metadata a corruption may hit, as (kind, offset,
    length, what) in bytes of the image file. Kinds: superblock (the primary's
    revision-1 fields), gdt (the primary group descriptors), block_bitmap,
    inode_bitmap (the bits that count), inode (each inode in use),
    dir (each directory block), indirect (each indirect block). lay: what
    layout(img) returned, if the caller has it."""
    lay = lay or layout(img)
    bs, isz, ipg = lay["block_size"], lay["inode_size"], lay["inodes_per_group"]
    groups = lay["groups"]
    regions = [("superblock", 1024, 264, "the superblock"),
               ("gdt", groups[0]["gdt"][0] * bs, 32 * len(groups), "the group descriptors")]
    for i, g in enumerate(groups):
        regions.append(("block_bitmap", g["block_bitmap"] * bs, bs, f"group {i}'s block bitmap"))
        regions.append(("inode_bitmap", g["inode_bitmap"] * bs, ipg // 8,
                        f"group {i}'s inode bitmap"))
    used = [n for n in used_inodes(lay) if n == 2 or n >= 11]   # root and real files
    for n in used:
        g, idx = divmod(n - 1, ipg)
        regions.append(("inode", groups[g]["inode_table"][0] * bs + idx * isz, isz, f"inode {n}"))
    # Each inode's blocks, in one debugfs run (-f: one stat per inode).
    with tempfile.NamedTemporaryFile("w", prefix="teachos-req-", suffix=".txt") as req:
        req.write("".join(f"stat <{n}>\n" for n in used))
        req.flush()
        out = _run(["debugfs", "-f", req.name, img]).stdout
    for part in re.split(r"^debugfs: ", out, flags=re.MULTILINE)[1:]:
        if not part.startswith("stat <"):
            continue
        st = _parse_stat(part)
        if st["type"] == "directory":
            regions += [("dir", b * bs, bs, f"a block of directory inode {st['ino']}")
                        for b in st["blocks"]]
        regions += [("indirect", b * bs, bs, f"an indirect block of inode {st['ino']}")
                    for b in st["indirect"]]
    return regions


CORRUPT_KINDS = ("superblock", "gdt", "block_bitmap", "inode_bitmap", "inode", "dir", "indirect")


def corrupt(img, rng, n=1, kinds=CORRUPT_KINDS):
    """Overwrite n random bytes of img's metadata with other random values
    (rng: a random.Random). Each hit picks a kind among kinds that img has
    (uniformly), then a region of that kind, then a byte. Returns the hits:
    dicts with kind, what (e.g. "inode 12"), offset (in the image file),
    block, old and new (the byte's values). A hit may land on a byte no
    checker looks at (a timestamp, padding): e2fsck need not notice
    every one."""
    lay = layout(img)
    bs = lay["block_size"]
    regions = metadata_regions(img, lay)
    by_kind = {}
    for r in regions:
        if r[0] in kinds:
            by_kind.setdefault(r[0], []).append(r)
    if not by_kind:
        raise ValueError(f"corrupt: {img} has no metadata of the kinds {kinds}")
    hits = []
    with open(img, "r+b") as f:
        for _ in range(n):
            kind = rng.choice(sorted(by_kind))
            _, start, length, what = rng.choice(by_kind[kind])
            offset = start + rng.randrange(length)
            f.seek(offset)
            old = f.read(1)[0]
            new = rng.choice([v for v in range(256) if v != old])
            f.seek(offset)
            f.write(bytes([new]))
            hits.append({"kind": kind, "what": what, "offset": offset,
                         "block": offset // bs, "old": old, "new": new})
    return hits


def write_bytes(img, offset, data):
    """Overwrite img at byte offset with data (a chosen corruption)."""
    with open(img, "r+b") as f:
        f.seek(offset)
        f.write(data)


# ---------------------------------------------------------------------------
# Command-line use by the Makefile

def main(argv):
    usage = ("usage: disk.py mkfs STAGING IMG [SIZE]   make IMG from the tree STAGING\n"
             "       disk.py mkfs3 STAGING IMG [SIZE]  the same, ext3 (a journal)\n"
             "       disk.py fsck IMG                  e2fsck -fn IMG")
    try:
        if len(argv) in (3, 4) and argv[0] in ("mkfs", "mkfs3"):
            mkfs(argv[1], argv[2], *argv[3:], journal=argv[0] == "mkfs3")
            return 0
        if len(argv) == 2 and argv[0] == "fsck":
            if not Path(argv[1]).exists():
                print(f"teachos: no disk image {argv[1]} (make run makes it)", file=sys.stderr)
                return 1
            clean, out = fsck(argv[1])
            print(out)
            print(f"teachos: {argv[1]} is {'clean' if clean else 'NOT clean: e2fsck found problems (see above)'}")
            return 0 if clean else 1
    except DiskError as e:
        print(f"teachos: {e}", file=sys.stderr)
        return 1
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
