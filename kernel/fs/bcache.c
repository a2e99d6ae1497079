/* bcache.c - the buffer cache (bcache.h): BCACHE_BUFS block buffers, the
 * least recently released recycled first. Lab 8: bget and brelse are
 * exercise 1 (handout §3.1); bread, bwrite, bdirty and bsync are given.
 *
 * Bach's structure (The Design of the UNIX Operating System, ch. 3): a
 * buffer that holds a block is on the hash chain of its number (found in
 * O(1)); one with no reference is also on the free list, least recently
 * released at its head (taken in O(1)), appended at its tail by brelse.
 * No spinlock is ever held across disk I/O: the disk sleeps. */
#include <stddef.h>

#include "bcache.h"
#include "console.h"
#include "disk.h"
#include "errno.h"
#if LAB >= 9
#include "journal.h"
#endif
#include "panic.h"
#include "spinlock.h"
#include "string.h"
#include "thread.h"

#define NO_BLOCK UINT32_MAX          /* blockno of a buffer that never held one (on no chain) */
#define SECTORS (FS_BLOCK_SIZE / SECTOR_SIZE)
#define NHASH 61                     /* hash chains: a prime, about BCACHE_BUFS / 2 */

/* Used by the exercise's code only: the stub does not, and -Werror would
 * refuse an unused static function. */
#define EXERCISE_USES __attribute__((unused))

static struct spinlock bcache_lock = SPINLOCK_INIT("bcache");
static struct buf bufs[BCACHE_BUFS];
static struct buf *hash[NHASH];      /* chains through hnext, by blockno % NHASH */
static struct buf free_list;         /* the free list's head (not a buffer): next is the LRU one */
static struct waitqueue unused;      /* bget waits here while the free list is empty */

void bcache_init(void)
{
    free_list.prev = free_list.next = &free_list;
    for (int i = 0; i < BCACHE_BUFS; i++) {
        struct buf *b = &bufs[i];
        b->blockno = NO_BLOCK;
        mutex_init(&b->lock, "buf");
        b->prev = free_list.prev;
        b->next = &free_list;
        free_list.prev->next = b;
        free_list.prev = b;
    }
}

/* ---- the two structures; all under bcache_lock ---- */

/* The buffer holding blockno, or NULL. */
EXERCISE_USES static struct buf *hash_find(uint32_t blockno)
{
    struct buf *b = hash[blockno % NHASH];

    while (b != NULL && b->blockno != blockno)
        b = b->hnext;
    return b;
}

/* Move b (refs 0) from its block's chain to blockno's: it holds blockno now. */
EXERCISE_USES static void hash_move(struct buf *b, uint32_t blockno)
{
    if (b->blockno != NO_BLOCK) {
        struct buf **pp = &hash[b->blockno % NHASH];
        while (*pp != b)
            pp = &(*pp)->hnext;
        *pp = b->hnext;
    }
    b->blockno = blockno;
    b->hnext = hash[blockno % NHASH];
    hash[blockno % NHASH] = b;
}

/* Take b off the free list (it is in use now). */
static void free_remove(struct buf *b)
{
    b->prev->next = b->next;
    b->next->prev = b->prev;
    b->prev = b->next = NULL;
}

/* Put b (refs just 0) on the free list: at its tail, as the most recently
 * released, or at its head (the next to recycle) if at_head; and wake
 * whoever waits in bget for a buffer. */
static void free_put(struct buf *b, bool at_head)
{
    struct buf *after = at_head ? &free_list : free_list.prev;

    ASSERT(b->refs == 0 && b->next == NULL);
    b->prev = after;
    b->next = after->next;
    after->next->prev = b;
    after->next = b;
    waitqueue_wake_all(&unused);
}

/* Write b's data to its block. Called with b's mutex held. Clean after a
 * failure too: it is reported once, not retried forever (bget would loop). */
static int bcache_write_out(struct buf *b)
{
    b->dirty = false;
    return disk_write((uint64_t)b->blockno * SECTORS, b->data, SECTORS) != 0 ? -EIO : 0;
}

/* Drop a reference taken under bcache_lock; the last one puts b back on
 * the free list (its tail). */
static void bcache_unref(struct buf *b)
{
    spin_lock(&bcache_lock);
    if (--b->refs == 0)
        free_put(b, false);
    spin_unlock(&bcache_lock);
}

struct buf *bget(uint32_t blockno)
{
#if SOL >= 8
    spin_lock(&bcache_lock);
    for (;;) {
        struct buf *b = hash_find(blockno);
        if (b == NULL && free_list.next == &free_list) {
            waitqueue_sleep(&unused, &bcache_lock);  /* all in use: wait for a brelse */
            continue;
        }
        if (b == NULL && free_list.next->dirty) {
            /* Write the victim back holding a reference, off the free list
             * (nobody recycles it) and still under its old number: one
             * who wants that block finds it valid, and waits for its
             * mutex. Only once clean is it renamed, under the spinlock
             * with refs 0, so nobody finds it under the new number before
             * bread reads that block into it. Then look again from the
             * top: blockno may have been brought in meanwhile. */
            b = free_list.next;
            free_remove(b);
            b->refs = 1;
            spin_unlock(&bcache_lock);
            mutex_lock(&b->lock);
            if (b->dirty && bcache_write_out(b) != 0)
                kprintf("bcache: block %u lost: the disk failed its write\n", b->blockno);
            mutex_unlock(&b->lock);
            spin_lock(&bcache_lock);
            if (--b->refs == 0)
                free_put(b, true);               /* still the least recently released */
            continue;
        }
        if (b == NULL) {                         /* a clean victim: nobody holds its mutex */
            b = free_list.next;
            hash_move(b, blockno);
            b->valid = false;
        }
        if (b->refs++ == 0)
            free_remove(b);
        spin_unlock(&bcache_lock);
        return b;
    }
#else
    /* LAB 8, exercise 1: the buffer holding blockno with one more
     * reference, else the least recently released one recycled for it;
     * wait while every buffer is in use (handout §3.1) */
    (void)blockno;
    return NULL;
#endif
}

void brelse(struct buf *b)
{
    ASSERT(b->refs > 0);
    mutex_unlock(&b->lock);
#if SOL >= 8
    spin_lock(&bcache_lock);
    if (--b->refs == 0)
        free_put(b, false);                      /* the most recently released */
    spin_unlock(&bcache_lock);
#else
    /* LAB 8, exercise 1: drop the caller's reference; with none left, b
     * becomes the most recently released buffer (handout §3.1) */
#endif
}

/* The buffer of blockno, locked, with a reference; NULL if bget is missing
 * (the exercise-1 stub) or block 0 or beyond the disk is asked for. */
static struct buf *bcache_lock_buf(uint32_t blockno)
{
    if (blockno == 0 || blockno == NO_BLOCK ||
        (uint64_t)blockno >= disk_sectors() / SECTORS)
        return NULL;
    struct buf *b = bget(blockno);
    if (b == NULL)
        return NULL;
    ASSERT(b->blockno == blockno && b->refs > 0);
    mutex_lock(&b->lock);
    return b;
}

struct buf *bread(uint32_t blockno)
{
    struct buf *b = bcache_lock_buf(blockno);

    if (b == NULL || b->valid)
        return b;
    if (disk_read((uint64_t)blockno * SECTORS, b->data, SECTORS) != 0) {
        brelse(b);
        return NULL;
    }
    b->valid = true;
    return b;
}

struct buf *bread_zero(uint32_t blockno)
{
    struct buf *b = bcache_lock_buf(blockno);

    if (b != NULL) {
        memset(b->data, 0, sizeof b->data);
        b->valid = true;
        bdirty(b);
    }
    return b;
}

void bdirty(struct buf *b)
{
    ASSERT(b->refs > 0 && b->valid);
    b->dirty = true;
#if LAB >= 9
    if (journal_logs())
        journal_log(b);              /* home only once its transaction is committed */
#endif
}

#if LAB >= 9
void bpin(struct buf *b)
{
    spin_lock(&bcache_lock);
    ASSERT(b->refs > 0);
    b->refs++;
    spin_unlock(&bcache_lock);
}

void bunpin(struct buf *b)
{
    bcache_unref(b);
}
#endif

int bwrite(struct buf *b)
{
    ASSERT(b->refs > 0 && b->valid);
    return bcache_write_out(b);
}

/* Write b back if it is dirty; the caller holds a reference. 0 or -EIO. */
static int bcache_flush(struct buf *b)
{
    int err = 0;

    mutex_lock(&b->lock);
    if (b->dirty && b->valid)
        err = bcache_write_out(b);
    mutex_unlock(&b->lock);
    bcache_unref(b);
    return err;
}

int bsync(void)
{
    int err = 0;

    /* The unused buffers, in LRU order: each is taken off the free list's
     * head (so bget cannot recycle it while it is written) and put back
     * at its tail, so that a whole turn leaves the order as it was. */
    spin_lock(&bcache_lock);
    struct buf *last = free_list.prev;
    for (int i = 0; i < BCACHE_BUFS && free_list.next != &free_list; i++) {
        struct buf *b = free_list.next;
        free_remove(b);
        b->refs = 1;
        spin_unlock(&bcache_lock);
        if (bcache_flush(b) != 0)
            err = -EIO;
        spin_lock(&bcache_lock);
        if (b == last)
            break;
    }
    spin_unlock(&bcache_lock);
    /* Then any still dirty: in use (by another thread) or dirtied since. */
    for (int i = 0; i < BCACHE_BUFS; i++) {
        struct buf *b = &bufs[i];
        spin_lock(&bcache_lock);
        bool skip = b->refs == 0 && !b->dirty;   /* refs 0: nobody holds its mutex */
#if LAB >= 9
        skip = skip || b->journaled;             /* not committed: never home before its commit */
#endif
        if (!skip && b->refs++ == 0)
            free_remove(b);
        spin_unlock(&bcache_lock);
        if (!skip && bcache_flush(b) != 0)
            err = -EIO;
    }
    if (disk_flush() != 0)
        err = -EIO;
    return err;
}
