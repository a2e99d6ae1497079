/* pmm.c - the physical memory manager: the buddy allocator (buddy.c) fed
 * with the usable RAM of the memory map, minus what is reserved.
 * Lab 3 (given; the exercises are in memmap.c and buddy.c). */
#include <stddef.h>

#include "pmm.h"
#include "buddy.h"
#include "console.h"
#include "memlayout.h"
#include "memmap.h"
#include "multiboot2.h"
#include "panic.h"
#include "string.h"
#include "cli.h"
#include "monitor.h"
#include "paging.h"

#define FOUR_GIB (4ull << 30)

static struct buddy buddy;
static uint64_t managed_frames;

static void reserve_boot_ranges(void)
{
    memmap_reserve(0, 1ull << 20, "first MiB (firmware, real-mode data)");
    memmap_reserve(1ull << 20, (uint64_t)__kernel_end - KERNEL_VMA, "kernel image");
    memmap_reserve(boot_info.info_phys & ~(PAGE_SIZE - 1), boot_info.info_phys + boot_info.info_size,
                   "Multiboot2 information");
    for (const struct mb2_tag *t = mb2_find_tag(MB2_TAG_MODULE, NULL); t;
         t = mb2_find_tag(MB2_TAG_MODULE, t)) {
        const struct mb2_tag_module *m = (const struct mb2_tag_module *)t;
        memmap_reserve(m->mod_start & ~(PAGE_SIZE - 1), m->mod_end, "boot module");
    }
}

/* Find size bytes of usable RAM below 4 GiB that nothing reserved overlaps. */
static uint64_t early_alloc(uint64_t size)
{
    for (int i = 0; i < memmap_count; i++) {
        if (memmap[i].type != MEM_USABLE)
            continue;
        uint64_t start = (memmap[i].base + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        for (int r = 0; r < reserved_count; r++)
            if (reserved[r].start < start + size && reserved[r].end > start)
                start = (reserved[r].end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        if (start + size <= memmap[i].end && start + size <= FOUR_GIB)
            return start;
    }
    return 0;
}

/* Give the allocator the usable RAM in [lo, hi) minus the reserved ranges. */
static void add_usable(uint64_t lo, uint64_t hi)
{
    for (int i = 0; i < memmap_count; i++) {
        if (memmap[i].type != MEM_USABLE)
            continue;
        uint64_t a = memmap[i].base > lo ? memmap[i].base : lo;
        uint64_t b = memmap[i].end < hi ? memmap[i].end : hi;
        a = (a + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        b &= ~(PAGE_SIZE - 1);
        for (int r = 0; r < reserved_count && a < b; r++) {
            if (reserved[r].end <= a || reserved[r].start >= b)
                continue;
            uint64_t cut = reserved[r].start & ~(PAGE_SIZE - 1);
            if (cut > a) {
                buddy_add_range(&buddy, a >> PAGE_SHIFT, (cut - a) >> PAGE_SHIFT);
                managed_frames += (cut - a) >> PAGE_SHIFT;
            }
            uint64_t after = (reserved[r].end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
            a = after > a ? after : a;
        }
        if (a < b) {
            buddy_add_range(&buddy, a >> PAGE_SHIFT, (b - a) >> PAGE_SHIFT);
            managed_frames += (b - a) >> PAGE_SHIFT;
        }
    }
}

bool pmm_init(void)
{
    if (memmap_parse() == 0) {
        kprintf("pmm: no memory map (LAB 3, exercise 1): no frame allocator\n");
        return false;
    }
    memmap_print();
    reserve_boot_ranges();
    uint64_t nframes = memmap_usable_end() >> PAGE_SHIFT;
    uint64_t size = BUDDY_META_BYTES(nframes);
    uint64_t table = early_alloc(size);
    if (table == 0) {
        kprintf("pmm: no room for the frame table (%lu bytes)\n", size);
        return false;
    }
    memmap_reserve(table, table + size, "frame table");
    buddy_init(&buddy, phys_to_virt(table), nframes);
    add_usable(0, FOUR_GIB);
    kprintf("pmm: %lu frames free of %lu below 4 GiB\n", buddy.free_frames, managed_frames);
    if (buddy.free_frames == 0)
        kprintf("pmm: the allocator kept no frame (LAB 3, exercise 2): no frame allocator\n");
    return buddy.free_frames > 0;
}

void pmm_add_high_memory(void)
{
    ASSERT(kernel_pml4 != NULL);         /* the direct map covers all RAM */
    uint64_t before = managed_frames;

    add_usable(FOUR_GIB, UINT64_MAX);
    if (managed_frames > before)
        kprintf("pmm: %lu more frames above 4 GiB\n", managed_frames - before);
}

uint64_t pmm_alloc(unsigned order)
{
    push_cli();                      /* one CPU: interrupts off is the allocator's lock */
    int64_t pfn = buddy_alloc(&buddy, order);
    pop_cli();

    return pfn < 0 ? 0 : (uint64_t)pfn << PAGE_SHIFT;
}

uint64_t pmm_alloc_zeroed(void)
{
    uint64_t pa = pmm_alloc(0);

    if (pa)
        memset(phys_to_virt(pa), 0, PAGE_SIZE);
    return pa;
}

void pmm_free(uint64_t pa)
{
    uint64_t head = 0;                   /* if buddy_block_of finds no block */

    if (pa % PAGE_SIZE)
        PANIC("pmm_free(%p): not the start of a frame", (void *)pa);
    push_cli();
    enum buddy_error err = buddy_free(&buddy, pa >> PAGE_SHIFT);
    pop_cli();
    switch (err) {
    case BUDDY_OK:
        return;
    case BUDDY_OUT_OF_RANGE:
        PANIC("pmm_free(%p): beyond the end of RAM", (void *)pa);
    case BUDDY_RESERVED:
        PANIC("pmm_free(%p): free of a reserved frame", (void *)pa);
    case BUDDY_DOUBLE_FREE:
        PANIC("pmm_free(%p): double free (the frame is already free)", (void *)pa);
    case BUDDY_NOT_BLOCK_START:
        buddy_block_of(&buddy, pa >> PAGE_SHIFT, &head);
        PANIC("pmm_free(%p): inside the block that starts at %p: free that address",
              (void *)pa, (void *)(head << PAGE_SHIFT));
    }
}

uint64_t pmm_free_frames(void)
{
    return buddy.free_frames;
}

uint64_t pmm_total_frames(void)
{
    return managed_frames;
}

bool pmm_is_reserved(uint64_t pa)
{
    for (int r = 0; r < reserved_count; r++)
        if (pa >= reserved[r].start && pa < reserved[r].end)
            return true;
    return false;
}

MONITOR_COMMAND(meminfo, "the memory map and free/used frames")
{
    (void)argc, (void)argv;
    memmap_print();
    for (int i = 0; i < reserved_count; i++)
        kprintf("reserved: %p-%p %s\n", (void *)reserved[i].start, (void *)reserved[i].end,
                reserved[i].what);
    uint64_t total = pmm_total_frames(), free = pmm_free_frames();
    kprintf("frames: %lu free, %lu used, %lu in all (%lu KiB free)\n", free, total - free, total,
            free * 4);
    return 0;
}
