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
 * Its buddy is the other half of the block of order k + 1 that holds it:
 * pfn ^ (1 << k). Free blocks of each order sit on a doubly linked list, so
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
 * 4-byte aligned. */
void buddy_init(struct buddy *b, void *meta, uint64_t nframes);

/* Make frames [first, first + count), now reserved, allocatable. */
void buddy_add_range(struct buddy *b, uint64_t first, uint64_t count);

/* Allocate a block of 2^order frames, aligned to its size. Returns its first
 * pfn, or -1 if no block that large is free. */
int64_t buddy_alloc(struct buddy *b, unsigned order);

/* Free the block that starts at pfn (its order was recorded at allocation),
 * merging it with free buddies. Returns BUDDY_OK or what was wrong, and then
 * changes nothing. */
enum buddy_error buddy_free(struct buddy *b, uint64_t pfn);

/* The order of the allocated or free block containing pfn, and its first
 * frame in *head; -1 if pfn is reserved. O(BUDDY_MAX_ORDER). */
int buddy_block_of(const struct buddy *b, uint64_t pfn, uint64_t *head);

#endif
