/* paging.c - the kernel's page tables: the walk, translate, map/unmap,
 * protect, the direct map, the kernel image with per-section permissions,
 * guard pages. Lab 3: pt_walk and vmm_translate are exercise 3; leaf_bits,
 * vmm_map, vmm_unmap and prune_tables exercise 4; vmm_protect and
 * map_kernel_image exercise 5 (handout §3.3-3.5); vmm_map_range and
 * vmm_unmap_range challenge 1 (handout §6). The rest is given. */
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

/* ---- the walk and translate (exercise 3) ---------------------------------- */

pte_t *pt_walk(pte_t *pml4, uint64_t va, int level, bool create)
{
    ASSERT(pml4 != NULL);
    ASSERT(level >= 0 && level <= 2);
#if SOL >= 3
    pte_t *table = pml4;

    if (!is_canonical(va))
        return NULL;                 /* its indexes would alias a canonical address */
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
    /* LAB 3, exercise 3: return the address of va's entry in the table at
     * level under pml4, making missing tables when create (handout §3.3) */
    (void)pml4, (void)va, (void)level, (void)create, (void)table_of, (void)index_of;
    return NULL;
#endif
}

bool vmm_translate(pte_t *pml4, uint64_t va, uint64_t *pa, uint64_t *flags)
{
    ASSERT(pml4 != NULL);
#if SOL >= 3
    pte_t *table = pml4;

    if (!is_canonical(va))
        return false;
    for (int l = 3; l >= 0; l--) {
        pte_t e = table[index_of(va, l)];
        if (!(e & PTE_P))
            return false;
        if (l == 0 || (e & PTE_PS)) {    /* the leaf: a page of 4 KiB, 2 MiB or 1 GiB */
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
#else
    /* LAB 3, exercise 3: the physical address va maps to, through a page
     * of any size, and its leaf entry's bits; false if unmapped (handout §3.3) */
    (void)va, (void)pa, (void)flags;
    return false;
#endif
}

/* ---- map and unmap (exercise 4) -------------------------------------------- */

/* The bits of a present leaf entry at va that allows what flags (VM_*)
 * say, frame address left out: readable always, writable with VM_WRITE,
 * executable only with VM_EXEC, user-accessible with VM_USER, and global
 * in the kernel half (the same in every address space, so kept in the TLB
 * across CR3 loads). Calls nothing. */
static pte_t leaf_bits(uint64_t va, unsigned flags)
{
#if SOL >= 3
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
#else
    /* LAB 3, exercise 4: the PTE_* bits of a leaf at va for flags (handout §3.4) */
    (void)va, (void)flags;
    return PTE_P;
#endif
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

/* Free the tables on va's path that hold no entry, from the one at level
 * (0: the PT, 1: the PD) upwards, stopping at the first that is not empty:
 * each goes back to pmm_free and the entry that pointed to it is cleared.
 * Kernel-half PDPTs and the PML4 itself always stay (address spaces share
 * them, Lab 6). Same locking as vmm_unmap; calls pt_walk, table_empty,
 * pmm_free. */
static void prune_tables(pte_t *pml4, uint64_t va, int level)
{
#if SOL >= 3
    for (int l = level; l < 3; l++) {
        if (l == 2 && va >= USER_TOP)
            break;                   /* kernel PDPTs are shared by every address space */
        /* The entry pointing to the table at level l, one level up. */
        pte_t *up = l == 2 ? &pml4[index_of(va, 3)] : pt_walk(pml4, va, l + 1, false);
        if (up == NULL || !table_empty(table_of(*up), index_of(va, l)))
            break;
        pmm_free(*up & PTE_ADDR);
        *up = 0;
    }
#else
    /* LAB 3, exercise 4: free the tables on va's path, from level up, that
     * are left empty (handout §3.4) */
    (void)pml4, (void)va, (void)level, (void)table_empty;
#endif
}

int vmm_map(pte_t *pml4, uint64_t va, uint64_t pa, unsigned flags)
{
    ASSERT(pml4 != NULL);
    if (va % PAGE_SIZE || pa % PAGE_SIZE || !is_canonical(va) ||
        ((flags & VM_USER) && va >= USER_TOP))
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
    /* LAB 3, exercise 4: make va's leaf entry map pa with flags, making the
     * tables on the way; -ENOMEM or -EEXIST as paging.h says (handout §3.4) */
    (void)leaf_bits;
    return -ENOMEM;
#endif
}

int vmm_unmap(pte_t *pml4, uint64_t va, uint64_t *pa)
{
    ASSERT(pml4 != NULL);
#if SOL >= 3
    pte_t *pte = pt_walk(pml4, va, 0, false);

    if (pte == NULL || !(*pte & PTE_P))
        return -ENOENT;              /* nothing mapped, or a large page: not ours to split */
    if (pa)
        *pa = *pte & PTE_ADDR;
    *pte = 0;
    invlpg(va);                      /* the TLB may still hold the old translation */
    prune_tables(pml4, va, 0);
    return 0;
#else
    /* LAB 3, exercise 4: remove va's 4 KiB mapping, report its frame, and
     * free the tables it leaves empty; -ENOENT if none (handout §3.4) */
    (void)va, (void)pa, (void)prune_tables;
    return -ENOENT;
#endif
}

/* ---- permissions (exercise 5) ---------------------------------------------- */

int vmm_protect(pte_t *pml4, uint64_t va, unsigned flags)
{
    ASSERT(pml4 != NULL);
    if ((flags & VM_USER) && va >= USER_TOP)
        return -EINVAL;
#if SOL >= 3
    const pte_t perms = PTE_W | PTE_NX | PTE_U;
    pte_t *pte = pt_walk(pml4, va, 0, false);

    if (pte == NULL || !(*pte & PTE_P))
        return -ENOENT;
    *pte = (*pte & ~perms) | (leaf_bits(va, flags) & perms);
    invlpg(va);
    return 0;
#else
    /* LAB 3, exercise 5: give the mapped 4 KiB page at va the permissions
     * flags asks for, keeping its frame and other bits (handout §3.5) */
    (void)va;
    return -ENOENT;
#endif
}

/* ---- challenge 1: 2 MiB pages ---------------------------------------------- */

#if SOL >= 3
/* Map the 2 MiB page at va (aligned, as pa is) with one PD entry. */
static int map_large(pte_t *pml4, uint64_t va, uint64_t pa, unsigned flags)
{
    pte_t *pde = pt_walk(pml4, va, 1, true);

    if (pde == NULL)
        return -ENOMEM;
    if (*pde & PTE_P)
        return -EEXIST;              /* a large page, or a PT: empty ones are freed */
    *pde = pa | leaf_bits(va, flags) | PTE_PS;
    return 0;
}

/* Does a 2 MiB page cover va without starting there? */
static bool inside_large(pte_t *pml4, uint64_t va)
{
    pte_t *pde = pt_walk(pml4, va, 1, false);

    return va % LARGE_PAGE && pde && (*pde & (PTE_P | PTE_PS)) == (PTE_P | PTE_PS);
}
#endif

int vmm_map_range(pte_t *pml4, uint64_t va, uint64_t pa, uint64_t len, unsigned flags)
{
    ASSERT(pml4 != NULL);
    if (va % PAGE_SIZE || pa % PAGE_SIZE || len % PAGE_SIZE || len == 0 || va + len < va ||
        !is_canonical(va) || !is_canonical(va + len - 1) ||
        (va < USER_TOP) != (va + len <= USER_TOP) || ((flags & VM_USER) && va >= USER_TOP))
        return -EINVAL;                  /* also: a range across the non-canonical hole */
#if SOL >= 3
    for (uint64_t off = 0; off < len;) {
        uint64_t v = va + off, p = pa + off;
        bool large = v % LARGE_PAGE == 0 && p % LARGE_PAGE == 0 && len - off >= LARGE_PAGE;
        int err = large ? map_large(pml4, v, p, flags) : vmm_map(pml4, v, p, flags);
        if (err) {
            vmm_unmap_range(pml4, va, off);     /* leave nothing of the range behind */
            return err;
        }
        off += large ? LARGE_PAGE : PAGE_SIZE;
    }
    return 0;
#else
    /* LAB 3, challenge 1: map [va, va + len) to [pa, pa + len) with flags,
     * with 2 MiB pages wherever both addresses allow (handout §6) */
    (void)pa, (void)flags;
    return -ENOSYS;
#endif
}

int vmm_unmap_range(pte_t *pml4, uint64_t va, uint64_t len)
{
    ASSERT(pml4 != NULL);
    if (va % PAGE_SIZE || len % PAGE_SIZE || va + len < va)
        return -EINVAL;
#if SOL >= 3
    if (len == 0)
        return 0;
    if (inside_large(pml4, va) || inside_large(pml4, va + len))
        return -EINVAL;              /* a 2 MiB page only partly in the range */
    for (uint64_t v = va; v < va + len;) {
        pte_t *pde = pt_walk(pml4, v, 1, false);
        uint64_t next_large = (v | (LARGE_PAGE - 1)) + 1;
        if (pde && (*pde & (PTE_P | PTE_PS)) == (PTE_P | PTE_PS)) {
            *pde = 0;
            invlpg(v);
            prune_tables(pml4, v, 1);
            v = next_large;
        } else if (pde == NULL || !(*pde & PTE_P)) {
            v = next_large;          /* no PT here: nothing mapped up to the next PD entry */
        } else {
            vmm_unmap(pml4, v, NULL);
            v += PAGE_SIZE;
        }
    }
    return 0;
#else
    /* LAB 3, challenge 1: remove every 4 KiB and 2 MiB mapping in
     * [va, va + len), freeing the tables left empty (handout §6) */
    return -ENOSYS;
#endif
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

/* Map the kernel image (.text, .rodata, .data and .bss, at KERNEL_VMA +
 * physical) into pml4, each section allowing only what it needs: code is
 * never writable, data never executable (W^X). true, or false if a mapping
 * failed. Boot only; calls map_kernel_range. Exercise 5. */
static bool map_kernel_image(pte_t *pml4)
{
#if SOL >= 3
    return map_kernel_range(pml4, __text_start, __text_end, VM_EXEC) &&
           map_kernel_range(pml4, __rodata_start, __rodata_end, 0) &&
           map_kernel_range(pml4, __data_start, __kernel_end, VM_WRITE);
#else
    /* LAB 3, exercise 5: map each section of the kernel image with the
     * least it needs: no writable code, no executable data (handout §3.5).
     * The stub maps everything writable and executable: */
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
        kprintf("paging: could not build the kernel's page tables (LAB 3, exercises 3 and 4): "
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
