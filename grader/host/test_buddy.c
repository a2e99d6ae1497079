/* test_buddy.c - host unit tests of kernel/mm/buddy.c (Lab 3, exercise 2).
 * Built with AddressSanitizer and UBSan by grader/test_unit.py (`make unit`).
 * A model (a bitmap of allocated frames) checks every block the allocator
 * hands out: aligned to its size, inside the added ranges, disjoint from all
 * others; and that freeing everything merges the memory back into the
 * largest blocks. Exit status 0 means all passed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buddy.h"
#include "check.h"

#define NFRAMES 20000

static uint32_t meta[BUDDY_META_BYTES(NFRAMES) / 4 + 1];   /* 4-byte aligned */
static uint8_t owned[NFRAMES];       /* model: frame handed out */
static uint8_t usable[NFRAMES];      /* model: frame added as free */

static uint64_t rnd(void)
{
    static uint64_t x = 88172645463325252ull;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
}

/* Ranges with holes and odd alignments, like a real memory map. */
static const uint64_t ranges[][2] = {{1, 158}, {256, 7936}, {8200, 3}, {9000, 10999}};

static uint64_t setup(struct buddy *b)
{
    uint64_t total = 0;

    buddy_init(b, meta, NFRAMES);
    memset(usable, 0, sizeof usable);
    memset(owned, 0, sizeof owned);
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        buddy_add_range(b, ranges[i][0], ranges[i][1]);
        memset(usable + ranges[i][0], 1, ranges[i][1]);
        total += ranges[i][1];
    }
    return total;
}

struct block {
    int64_t pfn;
    unsigned order;
};
static struct block live[NFRAMES];
static int nlive;

static void take(struct buddy *b, unsigned order)
{
    int64_t pfn = buddy_alloc(b, order);
    if (pfn < 0)
        return;
    uint64_t n = 1ull << order;
    CHECK(pfn % (int64_t)n == 0, "order %u block at %lld is not aligned", order, (long long)pfn);
    for (uint64_t i = 0; i < n; i++) {
        CHECK(pfn + i < NFRAMES && usable[pfn + i], "frame %llu was never added",
              (unsigned long long)(pfn + i));
        CHECK(!owned[pfn + i], "frame %llu handed out twice", (unsigned long long)(pfn + i));
        owned[pfn + i] = 1;
    }
    live[nlive++] = (struct block){pfn, order};
}

static void give_back(struct buddy *b, int i)
{
    struct block blk = live[i];
    CHECK(buddy_free(b, (uint64_t)blk.pfn) == BUDDY_OK, "free of block %lld failed",
          (long long)blk.pfn);
    memset(owned + blk.pfn, 0, 1ull << blk.order);
    live[i] = live[--nlive];
}

static void random_workload(void)
{
    struct buddy b;
    uint64_t total = setup(&b);

    CHECK(b.free_frames == total, "after setup: %llu free, want %llu",
          (unsigned long long)b.free_frames, (unsigned long long)total);
    nlive = 0;
    for (int round = 0; round < 200000; round++) {
        if (nlive && rnd() % 100 < 48)
            give_back(&b, (int)(rnd() % (uint64_t)nlive));
        else
            take(&b, (unsigned)(rnd() % 8 == 0 ? rnd() % (BUDDY_MAX_ORDER + 1) : rnd() % 3));
        uint64_t used = 0;
        if (round % 1000 == 0) {
            for (int i = 0; i < nlive; i++)
                used += 1ull << live[i].order;
            CHECK(b.free_frames + used == total, "round %d: free %llu + used %llu != %llu",
                  round, (unsigned long long)b.free_frames, (unsigned long long)used,
                  (unsigned long long)total);
        }
    }
    while (nlive)
        give_back(&b, nlive - 1);
    CHECK(b.free_frames == total, "after freeing all: %llu free, want %llu",
          (unsigned long long)b.free_frames, (unsigned long long)total);

    /* Everything merged back: [256, 8192) holds 7 aligned blocks of 1024
     * frames plus the pieces of [256, 1024); [9000, 19999) holds 10 more. */
    int big = 0;
    while (buddy_alloc(&b, BUDDY_MAX_ORDER) >= 0)
        big++;
    CHECK(big == 17, "after freeing all, %d blocks of order %d; want 17 (no merging?)", big,
          BUDDY_MAX_ORDER);
}

static void errors(void)
{
    struct buddy b;
    setup(&b);

    int64_t a = buddy_alloc(&b, 0);
    CHECK(a >= 0, "alloc order 0 failed");
    CHECK(buddy_free(&b, (uint64_t)a) == BUDDY_OK, "first free failed");
    CHECK(buddy_free(&b, (uint64_t)a) == BUDDY_DOUBLE_FREE, "double free not detected");
    CHECK(buddy_free(&b, 0) == BUDDY_RESERVED, "free of a reserved frame not detected");
    CHECK(buddy_free(&b, NFRAMES + 5) == BUDDY_OUT_OF_RANGE, "free out of range not detected");
    int64_t c = buddy_alloc(&b, 3);
    CHECK(c >= 0, "alloc order 3 failed");
    CHECK(buddy_free(&b, (uint64_t)c + 2) == BUDDY_NOT_BLOCK_START,
          "free inside an allocated block not detected");
    CHECK(buddy_free(&b, (uint64_t)c) == BUDDY_OK, "free of the order-3 block failed");
    CHECK(buddy_alloc(&b, BUDDY_MAX_ORDER + 1) == -1, "an order above the maximum succeeded");
    uint64_t head;
    CHECK(buddy_block_of(&b, (uint64_t)c + 5, &head) >= 3, "freed block not merged");
}

static void exhaustion(void)
{
    struct buddy b;
    uint64_t total = setup(&b), n = 0;

    while (buddy_alloc(&b, 0) >= 0)
        n++;
    CHECK(n == total, "order-0 allocations until failure: %llu, want %llu",
          (unsigned long long)n, (unsigned long long)total);
    CHECK(b.free_frames == 0, "free count %llu after exhaustion", (unsigned long long)b.free_frames);
}

int main(void)
{
    errors();
    exhaustion();
    random_workload();
    return CHECK_SUMMARY("buddy");
}
