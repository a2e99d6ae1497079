/* ext2.h - ext2's on-disk structures (revision 1), as Linux and e2fsprogs
 * write them: little-endian, packed. Lab 8 (given). The handout's §1 draws
 * the layout: the superblock at byte 1024, the group descriptor table in
 * the block after it, then per group a block bitmap, an inode bitmap, the
 * inode table and data blocks. */
#ifndef EXT2_H
#define EXT2_H

#include <stdint.h>

#define EXT2_SUPER_OFFSET   1024     /* bytes from the disk's start, whatever the block size */
#define EXT2_MAGIC          0xEF53
#define EXT2_ROOT_INO       2
#define EXT2_GOOD_OLD_FIRST_INO 11   /* the first inode not reserved (revision 0) */
#define EXT2_NAME_LEN       255
#define EXT2_NDIR_BLOCKS    12       /* i_block[0..11]: direct */
#define EXT2_IND_BLOCK      12       /* i_block[12]: single indirect */
#define EXT2_DIND_BLOCK     13       /* i_block[13]: double indirect */
#define EXT2_TIND_BLOCK     14       /* i_block[14]: triple indirect (not handled: -EFBIG) */
#define EXT2_N_BLOCKS       15

/* s_state */
#define EXT2_VALID_FS       1        /* unmounted cleanly */
#define EXT2_ERROR_FS       2

/* Features this kernel handles; any other incompat or ro_compat bit is
 * refused at mount. */
#define EXT2_FEATURE_COMPAT_EXT_ATTR      0x0008
#define EXT2_FEATURE_COMPAT_RESIZE_INODE  0x0010
#define EXT2_FEATURE_COMPAT_DIR_INDEX     0x0020
#define EXT3_FEATURE_COMPAT_HAS_JOURNAL   0x0004
#define EXT2_FEATURE_INCOMPAT_FILETYPE    0x0002
#define EXT3_FEATURE_INCOMPAT_RECOVER     0x0004
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE 0x0002

struct ext2_super {
    uint32_t s_inodes_count;
    uint32_t s_blocks_count;
    uint32_t s_r_blocks_count;
    uint32_t s_free_blocks_count;
    uint32_t s_free_inodes_count;
    uint32_t s_first_data_block;     /* 1 with 1 KiB blocks (the superblock's block), else 0 */
    uint32_t s_log_block_size;       /* block size = 1024 << this */
    uint32_t s_log_frag_size;
    uint32_t s_blocks_per_group;
    uint32_t s_frags_per_group;
    uint32_t s_inodes_per_group;
    uint32_t s_mtime;
    uint32_t s_wtime;
    uint16_t s_mnt_count;
    int16_t  s_max_mnt_count;
    uint16_t s_magic;
    uint16_t s_state;
    uint16_t s_errors;
    uint16_t s_minor_rev_level;
    uint32_t s_lastcheck;
    uint32_t s_checkinterval;
    uint32_t s_creator_os;
    uint32_t s_rev_level;            /* 1: dynamic (s_first_ino, s_inode_size, features) */
    uint16_t s_def_resuid;
    uint16_t s_def_resgid;
    /* revision 1 */
    uint32_t s_first_ino;
    uint16_t s_inode_size;
    uint16_t s_block_group_nr;
    uint32_t s_feature_compat;
    uint32_t s_feature_incompat;
    uint32_t s_feature_ro_compat;
    uint8_t  s_uuid[16];
    char     s_volume_name[16];
    char     s_last_mounted[64];
    uint32_t s_algorithm_usage_bitmap;
    uint8_t  s_prealloc_blocks;
    uint8_t  s_prealloc_dir_blocks;
    uint16_t s_reserved_gdt_blocks;
    /* ext3: the journal (Lab 9) */
    uint8_t  s_journal_uuid[16];
    uint32_t s_journal_inum;
    uint32_t s_journal_dev;
    uint32_t s_last_orphan;
    uint32_t s_hash_seed[4];
    uint8_t  s_def_hash_version;
    uint8_t  s_jnl_backup_type;
    uint16_t s_desc_size;
    uint32_t s_default_mount_opts;
    uint32_t s_first_meta_bg;
    uint32_t s_mkfs_time;
    uint32_t s_jnl_blocks[17];
    uint8_t  s_rest[1024 - 0x150];   /* the rest of the 1024 bytes: not used here */
} __attribute__((packed));

_Static_assert(sizeof(struct ext2_super) == 1024, "ext2 superblock: 1024 bytes");

/* One per group, in the block(s) after the superblock's. */
struct ext2_group_desc {
    uint32_t bg_block_bitmap;        /* block numbers */
    uint32_t bg_inode_bitmap;
    uint32_t bg_inode_table;
    uint16_t bg_free_blocks_count;
    uint16_t bg_free_inodes_count;
    uint16_t bg_used_dirs_count;
    uint16_t bg_pad;
    uint8_t  bg_reserved[12];
} __attribute__((packed));

_Static_assert(sizeof(struct ext2_group_desc) == 32, "ext2 group descriptor: 32 bytes");

/* i_mode: the file type in the top 4 bits, then the permission bits. */
#define EXT2_S_IFMT   0xF000
#define EXT2_S_IFSOCK 0xC000
#define EXT2_S_IFLNK  0xA000
#define EXT2_S_IFREG  0x8000
#define EXT2_S_IFBLK  0x6000
#define EXT2_S_IFDIR  0x4000
#define EXT2_S_IFCHR  0x2000
#define EXT2_S_IFIFO  0x1000

/* The first 128 bytes of an inode table entry (s_inode_size may be more:
 * the rest is left as it is). */
struct ext2_inode {
    uint16_t i_mode;
    uint16_t i_uid;
    uint32_t i_size;                 /* low 32 bits of the size */
    uint32_t i_atime;
    uint32_t i_ctime;
    uint32_t i_mtime;
    uint32_t i_dtime;                /* when it was deleted (0: in use) */
    uint16_t i_gid;
    uint16_t i_links_count;
    uint32_t i_blocks;               /* 512-byte sectors held, indirect blocks included */
    uint32_t i_flags;
    uint32_t i_osd1;
    uint32_t i_block[EXT2_N_BLOCKS]; /* block numbers; a fast symlink's target instead */
    uint32_t i_generation;
    uint32_t i_file_acl;
    uint32_t i_size_high;            /* high 32 bits of a regular file's size (large_file) */
    uint32_t i_faddr;
    uint8_t  i_osd2[12];
} __attribute__((packed));

_Static_assert(sizeof(struct ext2_inode) == 128, "ext2 inode: 128 bytes");

#define EXT2_FAST_SYMLINK_MAX 60     /* a target shorter than this lives in i_block */

/* A directory entry: records fill each directory block exactly; rec_len
 * reaches the next record (4-byte aligned; the last one reaches the
 * block's end). inode 0 is an unused record. */
struct ext2_dir_entry {
    uint32_t inode;
    uint16_t rec_len;
    uint8_t  name_len;
    uint8_t  file_type;              /* EXT2_FT_* (the filetype feature) */
    char     name[];                 /* name_len bytes, no NUL */
} __attribute__((packed));

#define EXT2_DIR_REC_LEN(name_len) ((8 + (name_len) + 3) & ~3u)

#define EXT2_FT_UNKNOWN  0
#define EXT2_FT_REG_FILE 1
#define EXT2_FT_DIR      2
#define EXT2_FT_CHRDEV   3
#define EXT2_FT_BLKDEV   4
#define EXT2_FT_FIFO     5
#define EXT2_FT_SOCK     6
#define EXT2_FT_SYMLINK  7

#endif
