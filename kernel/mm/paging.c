/* paging.c - the kernel's page tables: the walk, map/unmap, the direct map,
 * the kernel image with per-section permissions, guard pages.
 * Lab 3: pt_walk is exercise 3, vmm_map and vmm_unmap exercise 4,
 * map_kernel_image exercise 5 (handout §3.3-3.5); the rest is given. */
#include <stddef.h>

#include "paging.h"
#include "console.h"
#include "errno.h"
#include "memlayout.h"
#include "memmap.h"
#include "panic.h"
#include "pmm.h"
#include "string.h"
#include "tunables.h"
#include "x86.h"
#include "monitor.h"

#define LARGE_PAGE (2ull << 20)

pte_t *kernel_pml4;

static struct {
    uint64_t va;
    const char *name;
} guards[PAGING_MAX_GUARDS];
static int nguards;
static const char *(*guard_namer)(uint64_t addr);   /* stacks made later (threads) */

/* The table an entry points to, through the direct map. */
static pte_t *table_of(pte_t e)
{
    return phys_to_virt(e & PTE_ADDR);
}

/* va's index into the table at level (3: PML4 ... 0: PT). */
static unsigned index_of(uint64_t va, int level)
{
    return (va >> (12 + 9 * level)) & 511;
}

pte_t *pt_walk(pte_t *pml4, uint64_t va, int level, bool create)
{
    ASSERT(pml4 != NULL);
    ASSERT(level >= 0 && level <= 2);
#if SOL >= 3
    pte_t *table = pml4;

    for (int l = 3; l > level; l--) {
        pte_t *e = &table[index_of(va, l)];
        if (!(*e & PTE_P)) {
            if (!create)
                return NULL;
            uint64_t pa = pmm_alloc_zeroed();
            if (pa == 0)
                return NULL;
            /* Intermediate entries allow everything; the leaf decides. */
            *e = pa | PTE_P | PTE_W | (va < USER_TOP ? PTE_U : 0);
        } else if (*e & PTE_PS) {
            return NULL;             /* a large page covers va: no table below */
        }
        table = table_of(*e);
    }
    return &table[index_of(va, level)];
#else
    /* LAB 3, exercise 3: from pml4 (level 3) down to level + 1, follow each
     * present entry with table_of; a missing table is allocated with
     * pmm_alloc_zeroed when create (entry = pa | PTE_P | PTE_W, plus PTE_U
     * below USER_TOP), else return NULL; NULL too at a PTE_PS entry. Return
     * the address of va's entry in the level table (handout §3.3) */
    (void)pml4, (void)va, (void)level, (void)create, (void)table_of, (void)index_of;
    return NULL;
#endif
}

/* PTE bits for VM_* flags on a leaf. */
static pte_t leaf_bits(uint64_t va, unsigned flags)
{
    pte_t bits = PTE_P;

    if (flags & VM_WRITE)
        bits |= PTE_W;
    if (!(flags & VM_EXEC))
        bits |= PTE_NX;
    if (flags & VM_USER)
        bits |= PTE_U;
    if (va >= USER_TOP)
        bits |= PTE_G;               /* kernel mappings are the same in every space */
    return bits;
}

/* Is the table full of zeroes from entry `around` outwards? Unmapping
 * tends to go in order, so a neighbour usually answers at once. */
static bool table_empty(const pte_t *t, unsigned around)
{
    for (unsigned d = 1; d < 512; d++) {
        if (around + d < 512 && t[around + d])
            return false;
        if (around >= d && t[around - d])
            return false;
    }
    return t[around] == 0;
}

int vmm_map(pte_t *pml4, uint64_t va, uint64_t pa, unsigned flags)
{
    if (va % PAGE_SIZE || pa % PAGE_SIZE || ((flags & VM_USER) && va >= USER_TOP))
        return -EINVAL;
#if SOL >= 3
    pte_t *pte = pt_walk(pml4, va, 0, true);

    if (pte == NULL)
        return -ENOMEM;
    if (*pte & PTE_P)
        return -EEXIST;
    *pte = pa | leaf_bits(va, flags);
    return 0;
#else
    /* LAB 3, exercise 4: find va's PT entry with pt_walk (creating tables);
     * -ENOMEM if that fails, -EEXIST if it is present; else write
     * pa | leaf_bits(va, flags) (handout §3.4) */
    (void)pml4, (void)leaf_bits;
    return -ENOMEM;
#endif
}

int vmm_unmap(pte_t *pml4, uint64_t va, uint64_t *pa)
{
    ASSERT(pml4 != NULL);
#if SOL >= 3
    pte_t *entry[4];                 /* va's entry at each level, PML4 down to PT */
    pte_t *table = pml4;

    for (int l = 3; l >= 0; l--) {
        entry[l] = &table[index_of(va, l)];
        if (!(*entry[l] & PTE_P) || (l > 0 && (*entry[l] & PTE_PS)))
            return -ENOENT;
        if (l > 0)
            table = table_of(*entry[l]);
    }
    if (pa)
        *pa = *entry[0] & PTE_ADDR;
    *entry[0] = 0;
    invlpg(va);
    /* Free the PT, then the PD, then the PDPT, while each is left empty. */
    for (int l = 0; l < 3; l++) {
        pte_t *t = (pte_t *)((uint64_t)entry[l] & ~(PAGE_SIZE - 1));
        if (l == 2 && va >= USER_TOP)
            break;                   /* kernel PDPTs are shared by every address space */
        if (!table_empty(t, index_of(va, l)))
            break;
        pmm_free(*entry[l + 1] & PTE_ADDR);
        *entry[l + 1] = 0;
    }
    return 0;
#else
    /* LAB 3, exercise 4: walk to va's PT entry without creating (-ENOENT if
     * absent), return its frame in *pa, clear it and invlpg; then free each
     * table that became empty (table_empty), from the PT upwards, clearing
     * the entry that pointed to it (handout §3.4) */
    (void)pml4, (void)va, (void)pa, (void)table_empty;
    return -ENOENT;
#endif
}

bool vmm_translate(pte_t *pml4, uint64_t va, uint64_t *pa, uint64_t *flags)
{
    ASSERT(pml4 != NULL);
    pte_t *table = pml4;

    for (int l = 3; l >= 0; l--) {
        pte_t e = table[index_of(va, l)];
        if (!(e & PTE_P))
            return false;
        if (l == 0 || (e & PTE_PS)) {
            uint64_t size = 1ull << (12 + 9 * l);
            if (pa)
                *pa = (e & PTE_ADDR & ~(size - 1)) | (va & (size - 1));
            if (flags)
                *flags = e & ~PTE_ADDR;
            return true;
        }
        table = table_of(e);
    }
    return false;
}

int vmm_protect(pte_t *pml4, uint64_t va, unsigned flags)
{
    pte_t *pte = pt_walk(pml4, va, 0, false);

    if (pte == NULL || !(*pte & PTE_P))
        return -ENOENT;
    *pte = (*pte & PTE_ADDR) | leaf_bits(va, flags);
    invlpg(va);
    return 0;
}

void vmm_print_walk(pte_t *pml4, uint64_t va)
{
    static const char *const names[4] = {"PT", "PD", "PDPT", "PML4"};
    pte_t *table = pml4;

    kprintf("walk of %p (cr3 table at %p):\n", (void *)va, (void *)table);
    for (int l = 3; l >= 0; l--) {
        unsigned i = index_of(va, l);
        pte_t e = table[i];
        kprintf("  %-4s[%3u] = %p", names[l], i, (void *)e);
        if (!(e & PTE_P)) {
            kprintf("  not present\n");
            return;
        }
        kprintf("  %s%s%s%s%s\n", e & PTE_W ? "W" : "-", e & PTE_U ? "U" : "-",
                e & PTE_NX ? "-" : "X", e & PTE_G ? " global" : "",
                (l > 0 && (e & PTE_PS)) ? " large page" : "");
        if (l == 0 || (e & PTE_PS))
            break;
        table = table_of(e);
    }
    uint64_t pa;
    if (vmm_translate(pml4, va, &pa, NULL))
        kprintf("  -> physical %p\n", (void *)pa);
}

/* ---- building the kernel's tables ----------------------------------------- */

/* All RAM at DIRECT_MAP_BASE with 2 MiB pages: read/write, never executable. */
static bool map_direct(pte_t *pml4, uint64_t top)
{
    for (uint64_t pa = 0; pa < top; pa += LARGE_PAGE) {
        pte_t *pde = pt_walk(pml4, DIRECT_MAP_BASE + pa, 1, true);
        if (pde == NULL)
            return false;
        *pde = pa | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_NX;
    }
    return true;
}

/* Map [start, end) of the kernel image to its physical pages with flags. */
static bool map_kernel_range(pte_t *pml4, const char *start, const char *end, unsigned flags)
{
    for (uint64_t va = (uint64_t)start; va < (uint64_t)end; va += PAGE_SIZE)
        if (vmm_map(pml4, va, va - KERNEL_VMA, flags) != 0)
            return false;
    return true;
}

static bool map_kernel_image(pte_t *pml4)
{
#if SOL >= 3
    return map_kernel_range(pml4, __text_start, __text_end, VM_EXEC) &&
           map_kernel_range(pml4, __rodata_start, __rodata_end, 0) &&
           map_kernel_range(pml4, __data_start, __kernel_end, VM_WRITE);
#else
    /* LAB 3, exercise 5: map .text read+execute, .rodata read-only, and
     * .data through __kernel_end (.bss included) read+write, never
     * executable, with map_kernel_range (handout §3.5). For now everything
     * is writable and executable: */
    return map_kernel_range(pml4, __text_start, __kernel_end, VM_WRITE | VM_EXEC);
#endif
}

void paging_add_guard(uint64_t va, const char *stack_name)
{
    ASSERT(va % PAGE_SIZE == 0 && stack_name != NULL);
    if (nguards < PAGING_MAX_GUARDS && kernel_pml4 && vmm_unmap(kernel_pml4, va, NULL) == 0)
        guards[nguards++] = (typeof(guards[0])){va, stack_name};
}

void paging_add_guard_namer(const char *(*namer)(uint64_t addr))
{
    ASSERT(guard_namer == NULL);
    guard_namer = namer;
}

const char *paging_guard_name(uint64_t addr)
{
    if (guard_namer && guard_namer(addr))
        return guard_namer(addr);
    for (int i = 0; i < nguards; i++)
        if (addr >= guards[i].va && addr < guards[i].va + PAGE_SIZE)
            return guards[i].name;
    return NULL;
}

bool paging_init(void)
{
    uint64_t pml4_pa = pmm_alloc_zeroed();
    uint64_t top = memmap_usable_end();

    if (top < BOOT_DIRECT_MAP_SIZE)
        top = BOOT_DIRECT_MAP_SIZE;  /* devices below 4 GiB too: VGA, firmware tables */
    top = (top + LARGE_PAGE - 1) & ~(LARGE_PAGE - 1);
    if (pml4_pa == 0)
        return false;
    pte_t *pml4 = phys_to_virt(pml4_pa);
    /* Every kernel-half PML4 entry gets its PDPT now, and keeps it: address
     * spaces (Lab 6) share them by copying the upper half of the PML4. */
    for (int i = 256; i < 512; i++) {
        uint64_t pdpt = pmm_alloc_zeroed();
        if (pdpt == 0)
            return false;
        pml4[i] = pdpt | PTE_P | PTE_W;
    }
    if (!map_direct(pml4, top) || !map_kernel_image(pml4)) {
        kprintf("paging: could not build the kernel's page tables (LAB 3, exercises 3-5): "
                "staying on the boot tables\n");
        return false;
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);   /* before any table with NX is live */
    write_cr0(read_cr0() | CR0_WP);
    write_cr3(pml4_pa);
    kernel_pml4 = pml4;
    kprintf("paging: kernel tables at %p; direct map of %lu MiB at %p\n", (void *)pml4_pa,
            top >> 20, (void *)DIRECT_MAP_BASE);
    return true;
}

MONITOR_COMMAND(pt, "pt ADDR: the page-table walk for a virtual address")
{
    int64_t va;

    if (argc != 2 || !parse_int(argv[1], &va)) {
        kprintf("usage: pt ADDR   (e.g. pt 0xffffffff80100000)\n");
        return -1;
    }
    if (kernel_pml4 == NULL) {
        kprintf("pt: the kernel's page tables are not built (LAB 3)\n");
        return -1;
    }
    vmm_print_walk(kernel_pml4, (uint64_t)va);
    return 0;
}
