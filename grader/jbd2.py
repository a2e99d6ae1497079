"""jbd2.py - read (and, for tests, damage) the journal of an ext3 image
from the host: Lab 9's graders judge the log the kernel wrote with this,
byte by byte, besides Linux's e2fsck, which replays it.

The format (handouts/lab9-journal.md §1, kernel/include/jbd2.h): the
journal is inode 8's blocks; block 0 is its superblock, blocks s_first ..
s_maxlen - 1 a ring of transactions, each descriptor blocks (tags: home
block, flags), the logged copies, and a commit block; big-endian fields.
Plain functions, no pytest.
"""

import re
import struct
from dataclasses import dataclass, field

import disk

MAGIC = 0xC03B3998
DESCRIPTOR, COMMIT, SUPER_V1, SUPER_V2, REVOKE = 1, 2, 3, 4, 5
FLAG_ESCAPE, FLAG_SAME_UUID, FLAG_DELETED, FLAG_LAST_TAG = 1, 2, 4, 8
BLOCK = 1024
HEADER = struct.Struct(">III")
TAG = struct.Struct(">IHH")
UUID_SIZE = 16


class JournalError(RuntimeError):
    """The image has no journal this module can read; the message says why."""


@dataclass
class Transaction:
    tid: int
    start: int                              # journal block of its first descriptor
    tags: list = field(default_factory=list)   # (home block, flags, journal block of the copy)
    commit: int = None                      # journal block of its commit block, None if absent


@dataclass
class Journal:
    img: object
    map: list                               # journal block -> disk block
    maxlen: int
    first: int
    sequence: int                           # s_sequence: the tid expected at s_start
    start: int                              # s_start: 0 when empty
    incompat: int
    uuid: bytes

    def read(self, jblock):
        with open(self.img, "rb") as f:
            f.seek(self.map[jblock] * BLOCK)
            return f.read(BLOCK)

    def write(self, jblock, data):
        assert len(data) == BLOCK
        with open(self.img, "r+b") as f:
            f.seek(self.map[jblock] * BLOCK)
            f.write(data)

    def next(self, jblock):
        return jblock + 1 if jblock + 1 < self.maxlen else self.first


def journal_map(img):
    """The disk blocks of the journal inode's file blocks 0, 1, ..., from
    debugfs's stat (its BLOCKS line: "(0-11):274-285, (IND):286, ...";
    the indirect blocks are not the file's)."""
    out = disk.debugfs(img, f"stat <{disk.JOURNAL_INODE}>")
    found = {}
    for m in re.finditer(r"\((\d+)(?:-(\d+))?\):(\d+)", out.partition("BLOCKS:")[2]):
        first, last, at = int(m[1]), int(m[2] or m[1]), int(m[3])
        for i in range(first, last + 1):
            found[i] = at + i - first
    if not found or sorted(found) != list(range(len(found))):
        raise JournalError(f"{img}: the journal inode's blocks are not a file of blocks 0..n")
    return [found[i] for i in range(len(found))]


def open_journal(img):
    """The journal of img as its superblock describes it."""
    jmap = journal_map(img)
    with open(img, "rb") as f:
        f.seek(jmap[0] * BLOCK)
        sb = f.read(BLOCK)
    magic, btype, _ = HEADER.unpack_from(sb, 0)
    if magic != MAGIC or btype not in (SUPER_V1, SUPER_V2):
        raise JournalError(f"{img}: no JBD2 superblock in the journal's block 0")
    blocksize, maxlen, first, sequence, start = struct.unpack_from(">IIIII", sb, 12)
    incompat = struct.unpack_from(">I", sb, 0x28)[0]
    return Journal(img, jmap, maxlen, first, sequence, start, incompat, sb[0x30:0x40])


def write_super(j, **fields):
    """Change fields of the journal's superblock (s_maxlen, s_first,
    s_sequence, s_start, s_magic, s_feature_incompat) on the image."""
    offsets = {"s_magic": 0, "s_maxlen": 0x10, "s_first": 0x14, "s_sequence": 0x18,
               "s_start": 0x1C, "s_feature_incompat": 0x28}
    sb = bytearray(j.read(0))
    for name, value in fields.items():
        struct.pack_into(">I", sb, offsets[name], value)
    with open(j.img, "r+b") as f:
        f.seek(j.map[0] * BLOCK)
        f.write(sb)


def tags_of(block):
    """The tags of a descriptor block: (home, flags), as JBD2 without
    checksums or 64-bit numbers reads them."""
    off, tags = HEADER.size, []
    while off + TAG.size <= BLOCK:
        home, _csum, flags = TAG.unpack_from(block, off)
        off += TAG.size + (0 if flags & FLAG_SAME_UUID else UUID_SIZE)
        tags.append((home, flags))
        if flags & FLAG_LAST_TAG:
            break
    return tags


def descriptor(j, homes):
    """A descriptor block of j's current sequence (s_sequence) with a tag
    for each of homes, the UUID after the first, LAST_TAG on the last:
    tags_of reads it back."""
    desc = bytearray(BLOCK)
    HEADER.pack_into(desc, 0, MAGIC, DESCRIPTOR, j.sequence)
    off = HEADER.size
    for i, home in enumerate(homes):
        flags = (FLAG_SAME_UUID if i else 0) | (FLAG_LAST_TAG if i == len(homes) - 1 else 0)
        TAG.pack_into(desc, off, home, 0, flags)
        off += TAG.size
        if i == 0:
            desc[off:off + UUID_SIZE] = j.uuid
            off += UUID_SIZE
    return bytes(desc)


def transactions(j):
    """Walk the log from s_start as recovery does: the transactions found,
    the last one possibly without its commit block (commit None). An empty
    journal (s_start 0) has none."""
    found, pos, tid, walked = [], j.start, j.sequence, 0
    ring = j.maxlen - j.first
    if j.start == 0:
        return found
    while walked < ring:
        t = Transaction(tid, pos)
        while walked < ring:
            block = j.read(pos)
            magic, btype, seq = HEADER.unpack_from(block, 0)
            if magic != MAGIC or seq != tid or btype not in (DESCRIPTOR, COMMIT):
                break
            if btype == COMMIT:
                t.commit = pos
                pos, walked = j.next(pos), walked + 1
                break
            copy = pos
            for home, flags in tags_of(block):
                copy = j.next(copy)
                t.tags.append((home, flags, copy))
            pos = j.next(copy)
            walked += 1 + len(tags_of(block))
        if t.tags or t.commit is not None:
            found.append(t)
        if t.commit is None:
            break
        tid += 1
    return found


def logged_content(j, t, escape=True):
    """{home block: its content as the transaction logged it} (the magic put
    back where ESCAPE says, unless escape is False)."""
    out = {}
    for home, flags, copy in t.tags:
        data = j.read(copy)
        if escape and flags & FLAG_ESCAPE:
            data = struct.pack(">I", MAGIC) + data[4:]
        out[home] = data
    return out


def write_home(img, blocks):
    """Write {home block: 1 KiB} into img (a partial replay, for tests)."""
    with open(img, "r+b") as f:
        for home, data in blocks.items():
            f.seek(home * BLOCK)
            f.write(data)
