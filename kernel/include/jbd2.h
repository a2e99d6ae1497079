/* jbd2.h - the journal's on-disk format: JBD2, as Linux's ext3/ext4 and
 * e2fsprogs write it. Lab 9 (given); handout §1 draws every record.
 *
 * The journal is a file (the inode s_journal_inum names, 8 from mke2fs)
 * used as a ring of FS_BLOCK_SIZE blocks: block 0 is the journal
 * superblock; blocks s_first .. s_maxlen - 1 hold transactions, each a
 * descriptor block (the home block numbers of what follows), the logged
 * blocks themselves, and a commit block; the ring wraps to s_first.
 * Every field is BIG-endian (be32 converts), unlike ext2's. This kernel
 * writes the oldest format (no checksums, 32-bit block numbers): the one
 * `mke2fs -t ext3` makes, which e2fsck can replay. */
#ifndef JBD2_H
#define JBD2_H

#include <stdint.h>

#define JBD2_MAGIC 0xC03B3998u       /* h_magic of every journal metadata block */

/* h_blocktype */
#define JBD2_DESCRIPTOR_BLOCK 1
#define JBD2_COMMIT_BLOCK     2
#define JBD2_SUPERBLOCK_V1    3
#define JBD2_SUPERBLOCK_V2    4
#define JBD2_REVOKE_BLOCK     5      /* not written here: full data journaling needs none */

/* The 12 bytes every journal metadata block starts with. */
struct jbd2_header {
    uint32_t h_magic;
    uint32_t h_blocktype;
    uint32_t h_sequence;             /* the transaction it belongs to (its "tid") */
} __attribute__((packed));

/* Journal block 0. */
struct jbd2_super {
    struct jbd2_header s_header;
    uint32_t s_blocksize;            /* FS_BLOCK_SIZE */
    uint32_t s_maxlen;               /* blocks in the journal, this one included */
    uint32_t s_first;                /* the first block of the ring (1) */
    uint32_t s_sequence;             /* the tid expected at s_start */
    uint32_t s_start;                /* the oldest block still needed; 0: the journal is empty */
    uint32_t s_errno;
    /* version 2 */
    uint32_t s_feature_compat;
    uint32_t s_feature_incompat;     /* any bit set: a format this kernel does not write */
    uint32_t s_feature_ro_compat;
    uint8_t  s_uuid[16];
    uint32_t s_nr_users;
    uint32_t s_dynsuper;
    uint32_t s_max_transaction;
    uint32_t s_max_trans_data;
    uint8_t  s_rest[1024 - 0x50];    /* checksums, users: not used here */
} __attribute__((packed));

_Static_assert(sizeof(struct jbd2_super) == 1024, "JBD2 superblock: 1024 bytes");

/* One tag per logged block, after a descriptor's header. The first tag of
 * a descriptor is followed by the journal's 16-byte UUID; every later one
 * has JBD2_FLAG_SAME_UUID and is not. The last has JBD2_FLAG_LAST_TAG. */
struct jbd2_tag {
    uint32_t t_blocknr;              /* the block's home: where replay writes it */
    uint16_t t_checksum;             /* 0: no checksum feature */
    uint16_t t_flags;
} __attribute__((packed));

#define JBD2_FLAG_ESCAPE    1        /* the block began with JBD2_MAGIC: zeroed in the log */
#define JBD2_FLAG_SAME_UUID 2        /* no UUID follows this tag */
#define JBD2_FLAG_DELETED   4
#define JBD2_FLAG_LAST_TAG  8        /* the descriptor's last tag */

#define JBD2_UUID_SIZE 16

/* The block that makes a transaction count: written only once everything
 * before it is on the disk. */
struct jbd2_commit {
    struct jbd2_header c_header;
    uint8_t  h_chksum_type;
    uint8_t  h_chksum_size;
    uint8_t  h_padding[2];
    uint32_t h_chksum[8];
    uint64_t h_commit_sec;           /* when (seconds since 1970) */
    uint32_t h_commit_nsec;
} __attribute__((packed));

/* Journal fields are big-endian. */
static inline uint32_t be32(uint32_t x)
{
    return __builtin_bswap32(x);
}

static inline uint16_t be16(uint16_t x)
{
    return __builtin_bswap16(x);
}

static inline uint64_t be64(uint64_t x)
{
    return __builtin_bswap64(x);
}

#endif
