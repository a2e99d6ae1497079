/* pmm.h - the physical memory manager: page frames for the whole kernel.
 * Lab 3 (the core is the buddy allocator, buddy.h). Addresses are physical;
 * reach a frame through the direct map, phys_to_virt(pa). */
#ifndef PMM_H
#define PMM_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_SIZE 4096ull
#define PAGE_SHIFT 12

/* The allocator's state (pmm.c: the buddy allocator and its frame table)
 * is guarded by interrupts off: every call takes push_cli/pop_cli itself, so
 * the functions below may be called from any thread or interrupt handler.
 * The frame counts are read without it (a snapshot). */

/* Read the memory map, reserve what is in use, and start the allocator with
 * the usable RAM below 4 GiB (what the boot page tables map). Returns false
 * (and says why) if there is no usable memory. */
bool pmm_init(void);

/* Add the usable RAM above 4 GiB: call once the direct map covers it. */
void pmm_add_high_memory(void);

/* A block of 2^order frames, aligned to its size, not zeroed. Returns its
 * physical address, or 0 when no such block is free (frame 0 is never
 * handed out). Does not sleep. */
uint64_t pmm_alloc(unsigned order);

/* A zeroed single frame, or 0. */
uint64_t pmm_alloc_zeroed(void);

/* Free the block that starts at pa. Panics, naming the frame, on a double
 * free, a reserved frame, or an address inside a block. */
void pmm_free(uint64_t pa);

/* Frames free now, and frames the allocator manages in all. */
uint64_t pmm_free_frames(void);
uint64_t pmm_total_frames(void);

/* Is pa in a reserved range (memmap.h)? */
bool pmm_is_reserved(uint64_t pa);

#endif
