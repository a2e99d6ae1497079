/* paging.h - 4-level page tables: map, unmap, translate, protect.
 * Lab 3 (exercises 3-5 and challenge 1 in paging.c; handout §2 draws a walk).
 *
 *  63    48 47     39 38     30 29     21 20     12 11         0
 * +--------+---------+---------+---------+---------+------------+
 * |  sign  |  PML4   |  PDPT   |   PD    |   PT    |   offset   |
 * +--------+---------+---------+---------+---------+------------+
 *            level 3   level 2   level 1   level 0
 */
#ifndef PAGING_H
#define PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "memlayout.h"               /* USER_TOP, the end of the user half */

typedef uint64_t pte_t;

#define PTE_P    (1ull << 0)         /* present */
#define PTE_W    (1ull << 1)         /* writable */
#define PTE_U    (1ull << 2)         /* user-accessible */
#define PTE_PS   (1ull << 7)         /* a large page (in a PD: 2 MiB, in a PDPT: 1 GiB) */
#define PTE_G    (1ull << 8)         /* global: kept in the TLB across CR3 loads */
#define PTE_NX   (1ull << 63)        /* no execute (needs EFER.NXE) */
#define PTE_ADDR 0x000FFFFFFFFFF000ull

/* What a mapping allows, for vmm_map and vmm_protect (read is implied). */
#define VM_WRITE (1u << 0)
#define VM_EXEC  (1u << 1)
#define VM_USER  (1u << 2)           /* user half only (Lab 6) */

/* The kernel's top-level table, or NULL while the boot tables are in use.
 * Set once at boot. The tables under it are changed by one flow at a time:
 * boot code, kmalloc under its heap lock, thread stacks with interrupts off
 * (Lab 5); interrupt handlers never map. Their upper-half PDPTs are made at
 * boot and shared by every address space (Lab 6). A process's own tables
 * change only in its own thread. */
extern pte_t *kernel_pml4;

/* Build the kernel's page tables (direct map of all RAM, kernel sections
 * with their permissions, guard pages), turn on NX and write protection, and
 * switch to them. Returns false (boot tables stay) if an exercise is
 * missing or memory ran out. */
bool paging_init(void);

/* Exercises 3-5 (handout §3.3-3.5) and challenge 1 (§6). Every function
 * below works on the tables under pml4 (the kernel's or a process's), in
 * the flow that owns them (see kernel_pml4): no lock of their own, any
 * interrupt state, never from an interrupt handler. They reach tables
 * through the direct map and take frames from pmm.h, nothing else.
 * A non-canonical va (is_canonical, memlayout.h) is never mapped. */

/* The entry for va at level (0: PT, 1: PD, 2: PDPT) in the tables under
 * pml4. With create, each missing table on the way is allocated (zeroed,
 * pmm_alloc_zeroed) and its entry allows everything below it (P, W, and U
 * in the user half: the leaf decides); without, NULL if one is missing.
 * NULL also if va is not canonical, if a large page covers va above the
 * wanted level, or if a table cannot be allocated. Without create it
 * changes nothing. */
pte_t *pt_walk(pte_t *pml4, uint64_t va, int level, bool create);

/* The physical address va maps to, through a 4 KiB, 2 MiB or 1 GiB page
 * (the offset in the page kept), in *pa, and the leaf entry's bits without
 * the frame address (PTE_*) in *flags; either may be NULL. false if va is
 * not mapped (or not canonical); then *pa and *flags are left alone.
 * Reads only. */
bool vmm_translate(pte_t *pml4, uint64_t va, uint64_t *pa, uint64_t *flags);

/* Map the 4 KiB page at va to the frame at pa with VM_* flags, making the
 * tables on the way. 0; -EINVAL for a misaligned or non-canonical address
 * or VM_USER in the kernel half; -EEXIST if va is mapped (left as it was);
 * -ENOMEM if va's PT cannot be had (out of frames, or a large page covers
 * va). */
int vmm_map(pte_t *pml4, uint64_t va, uint64_t pa, unsigned flags);

/* Remove the 4 KiB mapping of va and set *pa to its frame (pa may be NULL;
 * the frame itself is the caller's to free). The TLB forgets it. Tables
 * left empty are freed (a kernel-half PDPT never: address spaces share
 * them). 0, or -ENOENT if no 4 KiB page maps va (nothing, or a large page,
 * which stays). */
int vmm_unmap(pte_t *pml4, uint64_t va, uint64_t *pa);

/* Give the 4 KiB page mapped at va the permissions VM_* flags asks for
 * (W, NX and U as vmm_map would set them); the frame and every other bit
 * (accessed, dirty, global, the bits left to software) stay, and the TLB
 * forgets the old ones. 0; -ENOENT if no 4 KiB page maps va; -EINVAL for
 * VM_USER in the kernel half. */
int vmm_protect(pte_t *pml4, uint64_t va, unsigned flags);

/* Challenge 1 (optional, handout §6): map [va, va + len) to [pa, pa + len)
 * with VM_* flags, with a 2 MiB page (one PD entry) wherever the virtual
 * and physical addresses are both 2 MiB aligned and 2 MiB or more remain,
 * 4 KiB pages elsewhere. 0; -EINVAL (misaligned, empty, not canonical or
 * across the hole, VM_USER in the kernel half), -EEXIST (something in the
 * range is mapped) or -ENOMEM, and then nothing of the range is mapped.
 * -ENOSYS while the challenge is not done. */
int vmm_map_range(pte_t *pml4, uint64_t va, uint64_t pa, uint64_t len, unsigned flags);

/* Challenge 1: remove every 4 KiB and 2 MiB page mapped in [va, va + len)
 * (frames are the caller's), freeing the tables left empty as vmm_unmap
 * does. 0; -EINVAL if misaligned or a 2 MiB page is only partly in the
 * range (then nothing changes). */
int vmm_unmap_range(pte_t *pml4, uint64_t va, uint64_t len);

/* Print the walk for va level by level (the monitor's `pt`). */
void vmm_print_walk(pte_t *pml4, uint64_t va);

/* Guard pages: unmapped pages below stacks, registered only at boot (no
 * lock). paging_add_guard unmaps the page-aligned page at va;
 * paging_guard_name says whose guard addr is in, or NULL.
 * Stacks made later (threads, Lab 5) are named by the one namer that
 * paging_add_guard_namer registers: it returns NULL for other addresses. */
void paging_add_guard_namer(const char *(*namer)(uint64_t addr));
void paging_add_guard(uint64_t va, const char *stack_name);
const char *paging_guard_name(uint64_t addr);

#endif
