/* frameref.c - owner counts of user frames, for copy-on-write. Lab 7:
 * part of exercise 1 (handout §3.1). A frame's count is kept as the number
 * of owners beyond the first, so a frame fresh from pmm_alloc needs no
 * setting up: 0 extra owners, one owner. */
#include <stddef.h>

#include "frameref.h"
#include "kinit.h"
#include "memlayout.h"
#include "memmap.h"
#include "panic.h"
#include "pmm.h"
#include "spinlock.h"
#include "string.h"
#include "tunables.h"

static uint16_t *extra_owners;       /* by frame number; interrupts off */
static uint64_t nframes;

static uint16_t *owners_of(uint64_t pa)
{
    ASSERT((pa & (PAGE_SIZE - 1)) == 0 && (pa >> PAGE_SHIFT) < nframes);
    return &extra_owners[pa >> PAGE_SHIFT];
}

void frame_share(uint64_t pa)
{
    push_cli();
#if SOL >= 7
    uint16_t *extra = owners_of(pa);
    ASSERT(*extra < UINT16_MAX);
    (*extra)++;
#else
    /* LAB 7, exercise 1: count one more owner of the frame at pa (handout §3.1) */
    (void)owners_of(pa);
#endif
    pop_cli();
}

void frame_release(uint64_t pa)
{
    push_cli();
#if SOL >= 7
    uint16_t *extra = owners_of(pa);
    if (*extra == 0)
        pmm_free(pa);
    else
        (*extra)--;
#else
    /* LAB 7, exercise 1: count one owner fewer; the last one frees the
     * frame (handout §3.1) */
    pmm_free(pa);
#endif
    pop_cli();
}

unsigned frame_owners(uint64_t pa)
{
    push_cli();
    unsigned n = 1 + *owners_of(pa);
    pop_cli();
    return n;
}

/* Boot step: one counter per frame of RAM (2 bytes per 4 KiB), in frames
 * of their own (not the kernel heap, whose size Lab 4's graders watch). */
static void frameref_init(void)
{
    unsigned order = 0;

    nframes = memmap_usable_end() >> PAGE_SHIFT;
    while ((PAGE_SIZE << order) < nframes * sizeof *extra_owners && order < BUDDY_MAX_ORDER)
        order++;
    uint64_t pa = (PAGE_SIZE << order) >= nframes * sizeof *extra_owners ? pmm_alloc(order) : 0;
    if (pa == 0)
        PANIC("frameref: no block of frames for %lu owner counts", nframes);
    extra_owners = phys_to_virt(pa);
    memset(extra_owners, 0, nframes * sizeof *extra_owners);
}
KINIT(67, frameref_init);
