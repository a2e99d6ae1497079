/* paging.h - 4-level page tables: map, unmap, translate, protect.
 * Lab 3 (exercises 3-5 in paging.c; handout §2 draws a walk).
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

/* The entry for va at level (0: PT, 1: PD, 2: PDPT) in the tables under
 * pml4. With create, missing tables are allocated (zeroed) on the way;
 * without, NULL if one is missing. NULL also if a large page covers va
 * above the wanted level, or if a table cannot be allocated. */
pte_t *pt_walk(pte_t *pml4, uint64_t va, int level, bool create);

/* Map the 4 KiB page at va to the frame at pa with VM_* flags.
 * 0, or -EEXIST if va is mapped, -ENOMEM if a table cannot be allocated,
 * -EINVAL for a misaligned address or VM_USER in the kernel half. */
int vmm_map(pte_t *pml4, uint64_t va, uint64_t pa, unsigned flags);

/* Remove the mapping of va and set *pa to the frame it had (pa may be
 * NULL). Tables left empty are freed. 0, or -ENOENT if va was not mapped. */
int vmm_unmap(pte_t *pml4, uint64_t va, uint64_t *pa);

/* The physical address va maps to (large pages included), and the entry's
 * PTE_* bits in *flags (may be NULL). false if va is not mapped. */
bool vmm_translate(pte_t *pml4, uint64_t va, uint64_t *pa, uint64_t *flags);

/* Change the permissions of the mapped 4 KiB page at va. 0 or -ENOENT. */
int vmm_protect(pte_t *pml4, uint64_t va, unsigned flags);

/* Print the walk for va level by level (the monitor's `pt`). */
void vmm_print_walk(pte_t *pml4, uint64_t va);

/* Guard pages: unmapped pages below stacks, registered only at boot (no
 * lock). paging_add_guard unmaps the page-aligned page at va; paging_guard_name says whose guard addr is in, or NULL.
 * Stacks made later (threads, Lab 5) are named by the one namer that
 * paging_add_guard_namer registers: it returns NULL for other addresses. */
void paging_add_guard_namer(const char *(*namer)(uint64_t addr));
void paging_add_guard(uint64_t va, const char *stack_name);
const char *paging_guard_name(uint64_t addr);

#endif
