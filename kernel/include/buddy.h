/* buddy.h - a binary buddy allocator of page frames: the core of the physical
 * memory manager. Lab 3, exercise 2 (handout §3.2).
 *
 * Pure logic, no hardware: frames are numbers (pfn); the allocator's own
 * bookkeeping lives in arrays the caller provides (one state byte and two
 * 32-bit links per frame, 9 bytes per 4 KiB frame), never in the frames
 * themselves, so it touches no free memory. The same code runs in the
 * kernel and in the host unit tests (grader/host/test_buddy.c).
 *
 * A block of order k is 2^k frames whose first pfn is a multiple of 2^k.
 * Its buddy is the other half of the block of order k + 1 that holds it.
 * Free blocks of each order sit on a doubly linked list, so
 * allocation and free take O(BUDDY_MAX_ORDER) steps whatever the memory size. */
#ifndef BUDDY_H
#define BUDDY_H

#include <stdbool.h>
#include <stdint.h>

#include "tunables.h"                /* BUDDY_MAX_ORDER: blocks of up to 2^10 frames */

/* One byte of state per frame. */
#define FRAME_RESERVED  0xFF         /* never handed out: holes, kernel, firmware */
#define FRAME_INTERIOR  0x00         /* inside a block, not its first frame */
#define FRAME_FREE_HEAD 0x80         /* | order: first frame of a free block */
#define FRAME_USED_HEAD 0x40         /* | order: first frame of an allocated block */
#define FRAME_ORDER(s)  ((s) & 0x1F)

#define BUDDY_NIL 0xFFFFFFFFu         /* end of a free list */

struct buddy_links {                 /* of a free block's first frame */
    uint32_t next, prev;             /* pfns on the same free list, or BUDDY_NIL */
};

/* No lock of its own: the caller serializes every call on one allocator.
 * The kernel's (pmm.c) is guarded by interrupts off (push_cli). */
struct buddy {
    uint64_t nframes;                /* pfns 0 .. nframes - 1 (< 2^32) */
    uint8_t *state;                  /* nframes bytes, one per frame */
    struct buddy_links *links;       /* nframes entries */
    uint32_t free_lists[BUDDY_MAX_ORDER + 1];   /* first pfn of each list */
    uint64_t free_frames;
};

/* What buddy_free found wrong. */
enum buddy_error {
    BUDDY_OK = 0,
    BUDDY_OUT_OF_RANGE,              /* pfn >= nframes */
    BUDDY_RESERVED,                  /* a frame that was never allocatable */
    BUDDY_DOUBLE_FREE,               /* the frame is already free */
    BUDDY_NOT_BLOCK_START,           /* inside an allocated block: free its start */
};

/* Bytes of bookkeeping buddy_init needs for nframes frames. */
#define BUDDY_META_BYTES(nframes) ((nframes) * (1 + sizeof(struct buddy_links)))

/* Start with every frame reserved. meta: BUDDY_META_BYTES(nframes) bytes,
 * 4-byte aligned. Given. */
void buddy_init(struct buddy *b, void *meta, uint64_t nframes);

/* The functions below are exercise 2 (handout §3.2). Each runs in
 * O(BUDDY_MAX_ORDER) steps, never searching frames or walking lists;
 * buddy_add_range in O(BUDDY_MAX_ORDER) per block added plus the writes of
 * that block's own state bytes (O(block size)). The caller serializes (see
 * struct buddy), and they call nothing outside buddy.c: its free-list
 * helpers and each other. */

/* Make the frames [start, start + count), reserved until now, free: as the
 * largest aligned blocks they hold, each merged with its free buddies, so
 * that ranges added one after the other end up as if added at once. Frames
 * at or beyond nframes are left out. No result. */
void buddy_add_range(struct buddy *b, uint64_t start, uint64_t count);

/* Allocate a block of 2^order frames, aligned to its size (its first pfn a
 * multiple of 2^order), cut from the smallest free block that is large
 * enough: the parts not handed out stay free, as blocks of the orders in
 * between. Returns the block's first pfn, marked FRAME_USED_HEAD | order;
 * -1 if order > BUDDY_MAX_ORDER or no free block is that large (nothing
 * changes then). */
int64_t buddy_alloc(struct buddy *b, unsigned order);

/* Free the allocated block that starts at pfn (its order is in its state
 * byte), merging it with its buddy while the buddy is a free block of the
 * same order (up to BUDDY_MAX_ORDER); the result goes on its free list.
 * Returns BUDDY_OK, or what was wrong, and then changes nothing:
 * BUDDY_OUT_OF_RANGE, BUDDY_RESERVED, BUDDY_DOUBLE_FREE (pfn is in a free
 * block, at its start or inside), BUDDY_NOT_BLOCK_START (pfn is inside an
 * allocated block). */
enum buddy_error buddy_free(struct buddy *b, uint64_t pfn);

/* The order of the allocated or free block that holds pfn, and its first
 * frame in *head; -1 if pfn is beyond nframes or reserved (*head is then
 * left alone). Reads only. */
int buddy_block_of(const struct buddy *b, uint64_t pfn, uint64_t *head);

#endif
