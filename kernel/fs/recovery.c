/* recovery.c - replaying the log at mount, Lab 9, exercise 4 (handout
 * §3.4). Contract: journal.h. A crash during recovery leaves the log as
 * it was, so recovery simply runs again at the next mount. */
#include <stddef.h>

#include "journal.h"
#include "console.h"
#include "errno.h"
#include "fs.h"
#include "string.h"

#if SOL >= 9
/* Two passes over the log, as JBD2's first two (it has a third, for
 * revoke records, which full data journaling does not write): the first
 * finds where the committed transactions end and checks every tag, the
 * second copies their blocks home. */

static uint8_t desc[FS_BLOCK_SIZE];  /* the descriptor being walked */
static uint8_t copy[FS_BLOCK_SIZE];  /* a logged block on its way home */

/* Is journal block data (already read) a metadata block of type with tid? */
static bool is_block(const uint8_t *data, uint32_t type, uint32_t tid)
{
    const struct jbd2_header *h = (const struct jbd2_header *)data;

    return be32(h->h_magic) == JBD2_MAGIC && be32(h->h_blocktype) == type &&
           be32(h->h_sequence) == tid;
}

/* The tags of descriptor desc, in order: calls fn(home, flags, i) for the
 * i-th, stops at LAST_TAG or the block's end. Returns the count, or
 * -EUCLEAN if a tag names a block outside the file system (or fn fails). */
static int walk_tags(int (*fn)(uint32_t home, uint16_t flags, uint32_t i, void *arg), void *arg)
{
    size_t off = sizeof(struct jbd2_header);
    uint32_t n = 0;

    while (off + sizeof(struct jbd2_tag) <= FS_BLOCK_SIZE) {
        struct jbd2_tag tag;
        memcpy(&tag, desc + off, sizeof tag);
        uint32_t home = be32(tag.t_blocknr);
        uint16_t flags = be16(tag.t_flags);
        off += sizeof tag + (flags & JBD2_FLAG_SAME_UUID ? 0 : JBD2_UUID_SIZE);
        if (home < fs.sb.s_first_data_block || home >= fs.sb.s_blocks_count) {
            kprintf("journal: a tag names block %u, outside the file system\n", home);
            return -EUCLEAN;
        }
        int err = fn ? fn(home, flags, n, arg) : 0;
        if (err)
            return err;
        n++;
        if (flags & JBD2_FLAG_LAST_TAG)
            break;
    }
    return (int)n;
}

/* walk_tags's fn for the replay: *(uint32_t *)arg is the journal block
 * before this tag's copy; copy it home. */
static int replay_tag(uint32_t home, uint16_t flags, uint32_t i, void *arg)
{
    uint32_t *pos = arg;

    (void)i;
    *pos = journal_next(*pos);
    if (journal_read(*pos, copy) != 0)
        return -EIO;
    if (flags & JBD2_FLAG_ESCAPE)
        *(uint32_t *)copy = be32(JBD2_MAGIC);
    struct buf *b = bread_zero(home);
    if (b == NULL)
        return -EIO;
    memcpy(b->data, copy, FS_BLOCK_SIZE);
    int err = bwrite(b);
    brelse(b);
    return err;
}

/* One pass over the log from the tail: the transactions that end in a
 * commit block, replayed if replay, at most `limit` of them. Returns how
 * many were complete, or an error. */
static int pass(bool replay, int limit)
{
    uint32_t pos = journal.tail, tid = journal.tail_tid;
    uint32_t ring = journal.maxlen - journal.first, walked = 0;
    int done = 0;

    while (done < limit) {
        uint32_t start = pos;
        for (;;) {                   /* descriptors and copies, up to a commit block */
            if (journal_read(pos, desc) != 0)
                return -EIO;
            if (is_block(desc, JBD2_COMMIT_BLOCK, tid) && pos != start)
                break;
            if (!is_block(desc, JBD2_DESCRIPTOR_BLOCK, tid))
                return done;         /* the end of the log: this one is not committed */
            uint32_t at = pos;
            int n = walk_tags(replay ? replay_tag : NULL, &at);
            if (n < 0)
                return n;
            walked += (uint32_t)n + 1;
            if (walked + 1 > ring) {
                kprintf("journal: the log runs past the ring's end (transaction %u)\n", tid);
                return -EUCLEAN;
            }
            for (int k = 0; k <= n; k++)
                pos = journal_next(pos);
        }
        pos = journal_next(pos);
        walked++;
        tid++;
        done++;
    }
    return done;
}
#endif

int journal_recover(void)
{
#if SOL >= 9
    int n = pass(false, 1 << 30);    /* how many are committed, every tag checked */
    if (n > 0)
        n = pass(true, n);
    if (n < 0)
        return n;
    journal.tid = journal.tail_tid + (uint32_t)n;
    return bsync() ? -EIO : n;
#else
    /* LAB 9, exercise 4: every committed transaction from the log's tail
     * copied home, an uncommitted one never (handout §3.4) */
    return 0;
#endif
}
