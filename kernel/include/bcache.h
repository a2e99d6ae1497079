/* bcache.h - the buffer cache: one copy in memory of each disk block in
 * use. Lab 8: bget and brelse are exercise 1 (handout §3.1).
 *
 * A fixed array of BCACHE_BUFS buffers (tunables.h). A block is in at most
 * one buffer, found through a hash chain by block number. A buffer with
 * refs > 0 is in use and keeps its block; one with refs == 0 is on the
 * free list and may be recycled for another block, least recently
 * released first. Dirty buffers reach the disk when recycled, on bsync
 * (fsync, sync) and at a clean shutdown. */
#ifndef BCACHE_H
#define BCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "sync.h"
#include "tunables.h"                /* BCACHE_BUFS, FS_BLOCK_SIZE */

/* refs, blockno and the links (hnext, prev, next) are guarded by
 * bcache_lock (bcache.c); valid, dirty and data by the buffer's own lock,
 * which whoever holds a reference from bread takes (only one thread uses a
 * buffer at a time). While refs == 0 nobody holds that lock, and bget may
 * read dirty and reset valid under bcache_lock. */
struct buf {
    uint32_t blockno;                /* the disk block it holds (FS_BLOCK_SIZE bytes) */
    int refs;                        /* holders: bget without brelse yet */
    bool valid;                      /* data has been read from the disk */
    bool dirty;                      /* data is newer than the disk's copy */
#if LAB >= 9
    bool journaled;                  /* in the running transaction (journal.h): pinned */
    bool held;                       /* committed, kept from home (journal=nocheckpoint): pinned */
#endif
    struct mutex lock;               /* held by the one thread using the buffer */
    struct buf *hnext;               /* the hash chain of its blockno (none yet: not on one) */
    struct buf *prev, *next;         /* the free list, iff refs == 0 (else NULL) */
    uint8_t data[FS_BLOCK_SIZE];
};

/* Put every buffer on the free list, holding no block: once, at mount,
 * before any other call. */
void bcache_init(void);

/* The buffer of block blockno, locked by the caller, with one more
 * reference, its data read from the disk. NULL (nothing is held) if the
 * disk read failed (the caller says -EIO), for block 0 or a block past
 * the disk's end, and while bget is the exercise-1 stub. Blocks while
 * every buffer is in use. Thread context, no spinlock held. */
struct buf *bread(uint32_t blockno);

/* Like bread, for a block about to be overwritten whole: its data is
 * zeroed instead of read (and dirty). NULL: as bread. */
struct buf *bread_zero(uint32_t blockno);

/* Mark b (locked by the caller) as changed: it will be written back.
 * Lab 9: and logged in the running transaction first (journal_log). */
void bdirty(struct buf *b);

/* Write b (locked by the caller) to the disk now. 0 or -EIO. */
int bwrite(struct buf *b);

/* Unlock b and drop the caller's reference; with none left it goes to the
 * tail of the free list (recycled after every one released before it),
 * and a bget waiting for a buffer is woken. O(1). */
void brelse(struct buf *b);

#if LAB >= 9
/* Lab 9, for the journal: one more reference to b (the caller holds one),
 * so it is neither recycled nor written back by bget while pinned. */
void bpin(struct buf *b);

/* Drop bpin's reference (b not locked by the caller; it may be dirty). */
void bunpin(struct buf *b);
#endif

/* Write every dirty buffer back, then flush the disk's cache. 0 or -EIO.
 * The caller holds no buffer. */
int bsync(void);

/* ---- exercise 1 (bcache.c), used by bread ---- */

/* The buffer for blockno with one more reference (off the free list), not
 * locked: the one that holds it (its hash chain), else the head of the
 * free list, recycled for it (written back first if dirty; valid
 * cleared). O(1) but for the write-back; sleeps while every buffer is in
 * use. Never two buffers for one block. Takes bcache_lock for what it
 * guards, never across the write-back; thread context, no spinlock held. */
struct buf *bget(uint32_t blockno);

#endif
