/* mmap.h - anonymous memory mappings: mmap, munmap, mprotect, and the
 * per-process region list that says what mmap handed out. Lab 10
 * (mmap.c; exercise 3, handout §5). Mappings are private and anonymous,
 * and made eagerly: every page of a mapping has a zeroed frame from mmap
 * on, so its permissions live in the page tables alone (a PROT_NONE page
 * is present without PTE_U); the region list only tells where mappings
 * are, for placing new ones. Handout §5.2 draws the address space. */
#ifndef MMAP_H
#define MMAP_H

#if LAB >= 10
#include <stdint.h>

#include "paging.h"
#include "tunables.h"                /* MMAP_MAX_REGIONS */

/* Linux's values (asm-generic/mman-common.h, mman.h). */
#define PROT_NONE           0x0
#define PROT_READ           0x1
#define PROT_WRITE          0x2
#define PROT_EXEC           0x4
#define MAP_SHARED          0x01
#define MAP_PRIVATE         0x02
#define MAP_TYPE            0x0f     /* the bits that say shared or private */
#define MAP_FIXED           0x10
#define MAP_ANONYMOUS       0x20
#define MAP_FIXED_NOREPLACE 0x100000

/* [start, end): page-aligned, start < end. */
struct mmap_region {
    uint64_t start, end;
};

/* What mmap handed out in one address space, [self] like the fd table:
 * only the process's own thread changes it (fork copies it before the
 * child runs; execve empties it). Invariant: r[0..n-1] sorted by address,
 * never overlapping nor touching (r[i].end < r[i + 1].start): two regions
 * that would touch are one. */
struct mmap_list {
    int n;
    struct mmap_region r[MMAP_MAX_REGIONS];
};

/* Add [start, end) (page-aligned, start < end, overlapping no region of l:
 * ASSERTed) to l, merged with a region it touches on either side (or
 * both: they become one). 0, or -ENOMEM if it needs a new slot and l has
 * MMAP_MAX_REGIONS (then l is unchanged). No lock, any context, never
 * blocks; may call memmove. Exercise 3 (handout §5.3). */
int mmap_list_add(struct mmap_list *l, uint64_t start, uint64_t end);

/* Take [start, end) (page-aligned, start < end) out of l: regions inside
 * it go, regions across one end of it are cut, a region across both ends
 * becomes two. Parts of [start, end) in no region are fine. 0, or -ENOMEM
 * if a region must become two and l has MMAP_MAX_REGIONS (then l is
 * unchanged). No lock, any context, never blocks; may call memmove.
 * Exercise 3 (handout §5.3). */
int mmap_list_remove(struct mmap_list *l, uint64_t start, uint64_t end);

/* The highest address a such that [a, a + len) lies inside [lo, hi) and
 * overlaps no region of l (len, lo, hi page-aligned, len > 0, 0 < lo <
 * hi); 0 if no gap of l in [lo, hi) is len bytes long. Changes nothing;
 * no lock, any context. Exercise 3 (handout §5.3). */
uint64_t mmap_list_find(const struct mmap_list *l, uint64_t len, uint64_t lo, uint64_t hi);

/* Map [start, end) of pml4 (page-aligned, start < end, in the user half,
 * no page of it present) to fresh zeroed frames with VM_* flags (from
 * mmap_vm_flags), and add it to l (mmap_list_add). 0, or -ENOMEM when out
 * of frames or region slots: then no page of the range stays mapped and l
 * is unchanged. pml4 is the caller's own address space, or one a test
 * made; no lock held, never blocks. May call pmm_alloc_zeroed, pmm_free,
 * vmm_map, mmap_list_add and the page walk of mmap.c. Exercise 3 (handout
 * §5.3). */
int mmap_map(pte_t *pml4, struct mmap_list *l, uint64_t start, uint64_t end, unsigned flags);

/* Unmap every present page of [start, end) of pml4 (page-aligned, start <
 * end, in the user half), whoever mapped it (mmap, the program, brk, the
 * stack), each frame let go with user_frame_free, and take the range out
 * of l (mmap_list_remove). Holes are fine. 0, or -ENOMEM if the region
 * list would need a slot it does not have (then nothing changed). Same
 * context as mmap_map; may call vmm_unmap, user_frame_free,
 * mmap_list_remove and the page walk of mmap.c. Exercise 3 (handout §5.3). */
int mmap_unmap(pte_t *pml4, struct mmap_list *l, uint64_t start, uint64_t end);

/* Give every page of [start, end) of pml4 (page-aligned, start < end, in
 * the user half) the permissions of VM_* flags (vmm_protect), whoever
 * mapped it. A page whose frame other address spaces map too
 * (frame_owners > 1: fork shared it) never becomes writable here: with
 * VM_WRITE it stays read-only with PTE_COW set, for cow_break to copy on
 * the first write; without VM_WRITE no page keeps PTE_COW. 0, or -ENOMEM
 * if a page of the range is not present (then nothing changed). Same
 * context as mmap_map; may call vmm_protect, frame_owners,
 * mmap_pages_present and the page walk of mmap.c. Exercise 3 (handout
 * §5.3). */
int mmap_protect(pte_t *pml4, uint64_t start, uint64_t end, unsigned flags);

/* ---- given ---- */

/* The VM_* flags of a user page that allows what prot (PROT_*) says: none
 * for PROT_NONE (the page is present but not the user's: every access
 * from ring 3 faults and user_range_ok refuses it), else VM_USER, with
 * VM_WRITE for PROT_WRITE and VM_EXEC for PROT_EXEC (x86 reads whatever it
 * can write or execute, as Linux does). */
unsigned mmap_vm_flags(int prot);

/* How many pages of [start, end) of pml4 are present (start, end
 * page-aligned, in the user half). Skips missing page tables whole, so a
 * range of terabytes costs what is mapped in it, not its size. Reads only. */
uint64_t mmap_pages_present(pte_t *pml4, uint64_t start, uint64_t end);

/* An empty list (execve's new program has no mappings). */
static inline void mmap_list_clear(struct mmap_list *l)
{
    l->n = 0;
}
#endif

#endif
