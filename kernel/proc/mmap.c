/* mmap.c - anonymous private memory: mmap, munmap and mprotect, and the
 * region list of each process. Lab 10: the region list (mmap_list_add,
 * mmap_list_remove, mmap_list_find) and the page work (mmap_map,
 * mmap_unmap, mmap_protect) are exercise 3 (handout §5.3); the page walk
 * and the system calls around them (their Linux errno) are given.
 *
 * Mapping is eager: mmap gives every page a zeroed frame at once, so the
 * page tables say everything about a page, and the kernel's user-memory
 * checks (uaccess.c), fork and exit need nothing new. The region list
 * remembers what mmap handed out, so that the next mmap finds a free
 * place; touching regions merge, as Linux merges its VMAs. */
#include <stdbool.h>
#include <stddef.h>

#include "mmap.h"
#include "errno.h"
#include "frameref.h"
#include "memlayout.h"
#include "paging.h"
#include "panic.h"
#include "pmm.h"
#include "proc.h"
#include "string.h"
#include "syscall.h"

#define SYS_mmap     9
#define SYS_mprotect 10
#define SYS_munmap   11              /* mremap (25) stays -ENOSYS: realloc copies instead */

#define PROT_RWX (PROT_READ | PROT_WRITE | PROT_EXEC)

static bool page_aligned(uint64_t a)
{
    return (a & (PAGE_SIZE - 1)) == 0;
}

/* [start, end) is a range the calls below take: page-aligned, not empty,
 * in the user half. */
static bool user_pages(uint64_t start, uint64_t end)
{
    return page_aligned(start) && page_aligned(end) && start < end && end <= USER_TOP;
}

/* ---- the page walk (given) ------------------------------------------------------ */

/* What walk_pages calls for each present page: its address and leaf entry. */
typedef void (*page_fn)(pte_t *pml4, uint64_t va, pte_t *pte, void *ctx);

/* Call fn for every present 4 KiB page of [start, end) of pml4, in address
 * order. A missing table is skipped whole (the 2 MiB, 1 GiB or 512 GiB it
 * would map), so that a huge range costs what is mapped in it. Each page
 * is looked up from the top, so fn may unmap its page (and vmm_unmap free
 * the tables it empties). */
static void walk_pages(pte_t *pml4, uint64_t start, uint64_t end, page_fn fn, void *ctx)
{
    for (uint64_t va = start; va < end;) {
        pte_t *pte = pt_walk(pml4, va, 0, false);
        uint64_t span = PAGE_SIZE;
        if (pte == NULL) {                   /* no PT: which table is missing? */
            span = 1ull << 21;
            if (pt_walk(pml4, va, 1, false) == NULL)
                span = pt_walk(pml4, va, 2, false) == NULL ? 1ull << 39 : 1ull << 30;
        } else if (*pte & PTE_P) {
            fn(pml4, va, pte, ctx);
        }
        va = (va & ~(span - 1)) + span;      /* the user half never wraps around */
    }
}

static void count_page(pte_t *pml4, uint64_t va, pte_t *pte, void *ctx)
{
    (void)pml4, (void)va, (void)pte;
    (*(uint64_t *)ctx)++;
}

/* Contract in mmap.h. */
uint64_t mmap_pages_present(pte_t *pml4, uint64_t start, uint64_t end)
{
    uint64_t n = 0;

    ASSERT(pml4 != NULL && (start == end || user_pages(start, end)));
    walk_pages(pml4, start, end, count_page, &n);
    return n;
}

/* Contract in mmap.h. */
unsigned mmap_vm_flags(int prot)
{
    if ((prot & PROT_RWX) == PROT_NONE)
        return 0;                            /* present, but no access from ring 3 */
    return VM_USER | (prot & PROT_WRITE ? VM_WRITE : 0) | (prot & PROT_EXEC ? VM_EXEC : 0);
}

/* ---- the region list (exercise 3) --------------------------------------------------- */

/* Contract in mmap.h. */
int mmap_list_add(struct mmap_list *l, uint64_t start, uint64_t end)
{
    ASSERT(l != NULL && l->n >= 0 && l->n <= MMAP_MAX_REGIONS && user_pages(start, end));
    for (int k = 0; k < l->n; k++)
        ASSERT(l->r[k].end <= start || l->r[k].start >= end);     /* no overlap */
#if SOL >= 10
    int i = 0;
    while (i < l->n && l->r[i].end < start)     /* r[i]: the first region not below */
        i++;
    if (i < l->n && l->r[i].end == start) {     /* it touches r[i] below: r[i] grows */
        if (i + 1 < l->n && l->r[i + 1].start == end) {     /* and r[i + 1] above: one */
            end = l->r[i + 1].end;
            memmove(&l->r[i + 1], &l->r[i + 2], (l->n - i - 2) * sizeof l->r[0]);
            l->n--;
        }
        l->r[i].end = end;
    } else if (i < l->n && l->r[i].start == end) {      /* it touches r[i] above */
        l->r[i].start = start;
    } else {
        if (l->n == MMAP_MAX_REGIONS)
            return -ENOMEM;
        memmove(&l->r[i + 1], &l->r[i], (l->n - i) * sizeof l->r[0]);
        l->r[i] = (struct mmap_region){start, end};
        l->n++;
    }
    return 0;
#else
    /* LAB 10, exercise 3: add [start, end) to the sorted region list,
     * merged with the regions it touches; -ENOMEM when no slot is left
     * (handout §5.3) */
    return -ENOMEM;
#endif
}

/* Contract in mmap.h. */
int mmap_list_remove(struct mmap_list *l, uint64_t start, uint64_t end)
{
    ASSERT(l != NULL && l->n >= 0 && l->n <= MMAP_MAX_REGIONS && user_pages(start, end));
#if SOL >= 10
    for (int i = 0; i < l->n; i++) {
        struct mmap_region *r = &l->r[i];
        if (r->end <= start || r->start >= end)
            continue;                            /* not in the range */
        if (r->start < start && r->end > end) {  /* across both ends: two regions */
            if (l->n == MMAP_MAX_REGIONS)
                return -ENOMEM;
            memmove(r + 1, r, (l->n - i) * sizeof *r);
            l->n++;
            r[0].end = start, r[1].start = end;
            return 0;
        }
        if (r->start < start) {
            r->end = start;                      /* its top goes */
        } else if (r->end > end) {
            r->start = end;                      /* its bottom goes */
        } else {                                 /* all of it goes */
            memmove(r, r + 1, (l->n - i - 1) * sizeof *r);
            l->n--;
            i--;
        }
    }
    return 0;
#else
    /* LAB 10, exercise 3: take [start, end) out of the region list,
     * cutting or splitting the regions across its ends; -ENOMEM when a
     * split finds no slot (handout §5.3) */
    return 0;
#endif
}

/* Contract in mmap.h. */
uint64_t mmap_list_find(const struct mmap_list *l, uint64_t len, uint64_t lo, uint64_t hi)
{
    ASSERT(l != NULL && len > 0 && page_aligned(len) && user_pages(lo, hi));
#if SOL >= 10
    uint64_t top = hi;                           /* the gaps from the top: [below, top) */
    for (int i = l->n - 1; i >= -1 && top > lo; i--) {
        uint64_t below = i >= 0 && l->r[i].end > lo ? l->r[i].end : lo;
        if (below < top && top - below >= len)
            return top - len;
        if (i >= 0 && l->r[i].start < top)
            top = l->r[i].start;
    }
    return 0;
#else
    /* LAB 10, exercise 3: the highest free place of len bytes in [lo, hi)
     * between the regions, or 0 (handout §5.3) */
    (void)len;
    return 0;
#endif
}

/* ---- the pages (exercise 3) ---------------------------------------------------------- */

#if SOL >= 10
/* walk_pages's callbacks: the page and its frame go (fork may share the
 * frame: the last owner frees it); the page gets the VM_* flags *ctx. */
static void unmap_page(pte_t *pml4, uint64_t va, pte_t *pte, void *ctx)
{
    uint64_t pa = *pte & PTE_ADDR;

    (void)ctx;
    vmm_unmap(pml4, va, NULL);
    user_frame_free(pa);
}

static void protect_page(pte_t *pml4, uint64_t va, pte_t *pte, void *ctx)
{
    unsigned flags = *(unsigned *)ctx;
    bool cow = (flags & VM_WRITE) && frame_owners(*pte & PTE_ADDR) > 1;   /* fork shares it */

    vmm_protect(pml4, va, cow ? flags & ~VM_WRITE : flags);
    *pte = cow ? *pte | PTE_COW : *pte & ~PTE_COW;   /* read-only: no COW, or cow_break writes */
}
#endif

/* Contract in mmap.h. */
int mmap_map(pte_t *pml4, struct mmap_list *l, uint64_t start, uint64_t end, unsigned flags)
{
    ASSERT(pml4 != NULL && l != NULL && user_pages(start, end));
    ASSERT(mmap_pages_present(pml4, start, end) == 0);
#if SOL >= 10
    uint64_t va;
    for (va = start; va < end; va += PAGE_SIZE) {
        uint64_t pa = pmm_alloc_zeroed();
        if (pa == 0 || vmm_map(pml4, va, pa, flags) != 0) {
            if (pa)
                pmm_free(pa);
            break;
        }
    }
    if (va == end && mmap_list_add(l, start, end) == 0)
        return 0;
    walk_pages(pml4, start, va, unmap_page, NULL);   /* out of frames or slots: undo */
    return -ENOMEM;
#else
    /* LAB 10, exercise 3: give every page of [start, end) a zeroed frame
     * with flags and the range a place in the region list; -ENOMEM leaves
     * nothing behind (handout §5.3) */
    (void)flags;
    return -ENOMEM;
#endif
}

/* Contract in mmap.h. */
int mmap_unmap(pte_t *pml4, struct mmap_list *l, uint64_t start, uint64_t end)
{
    ASSERT(pml4 != NULL && l != NULL && user_pages(start, end));
#if SOL >= 10
    int err = mmap_list_remove(l, start, end);
    if (err == 0)
        walk_pages(pml4, start, end, unmap_page, NULL);
    return err;
#else
    /* LAB 10, exercise 3: unmap every present page of [start, end), its
     * frame let go, and take the range out of the region list (handout
     * §5.3) */
    return 0;
#endif
}

/* Contract in mmap.h. */
int mmap_protect(pte_t *pml4, uint64_t start, uint64_t end, unsigned flags)
{
    ASSERT(pml4 != NULL && user_pages(start, end) && !(flags & ~(VM_USER | VM_WRITE | VM_EXEC)));
#if SOL >= 10
    if (mmap_pages_present(pml4, start, end) != (end - start) / PAGE_SIZE)
        return -ENOMEM;                      /* a hole: Linux's answer, nothing changed */
    walk_pages(pml4, start, end, protect_page, &flags);
    return 0;
#else
    /* LAB 10, exercise 3: give every page of [start, end) flags, a page
     * fork shared staying copy-on-write; -ENOMEM for a hole (handout §5.3) */
    (void)flags;
    return 0;
#endif
}

/* ---- the system calls (given) ---------------------------------------------------------- */

/* Round len up to pages; 0 if that passes what user space can hold. */
static uint64_t page_round(uint64_t len)
{
    return len > USER_STACK_TOP ? 0 : (len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

/* Where a mapping of len bytes without MAP_FIXED goes: hint (rounded down
 * to a page) if the whole range there is in the mmap area and free, else
 * the highest free place of the area, or 0 if none is big enough. The
 * area runs from the end of the heap's reach (brk may grow USER_BRK_MAX
 * past the program) up to USER_MMAP_TOP, the stack's guard page. */
static uint64_t place(struct proc *p, uint64_t hint, uint64_t len)
{
    uint64_t lo = (p->brk_start + USER_BRK_MAX + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);

    hint &= ~(PAGE_SIZE - 1);
    if (len > USER_MMAP_TOP - lo)
        return 0;
    if (hint >= lo && hint <= USER_MMAP_TOP - len && mmap_list_find(&p->mmaps, len, hint,
                                                                    hint + len) == hint)
        return hint;
    return mmap_list_find(&p->mmaps, len, lo, USER_MMAP_TOP);
}

/* mmap(addr, len, prot, flags, fd, offset): anonymous private mappings
 * (MAP_PRIVATE | MAP_ANONYMOUS), with MAP_FIXED (whatever was in the range
 * is unmapped first), MAP_FIXED_NOREPLACE (-EEXIST if anything is there)
 * or neither (addr a hint). Linux's errors in Linux's order: -EINVAL for
 * an offset not page-aligned, len 0, a MAP_FIXED addr not page-aligned,
 * or neither MAP_PRIVATE nor MAP_SHARED; -EBADF for a file mapping with a
 * bad fd, -ENODEV with a good one (files are not mapped: callers such as
 * glibc's locale loader read them instead); MAP_SHARED anonymous is
 * -EINVAL here (not supported: fork would have to share the frames
 * writable); -ENOMEM for a range past user space or no room or memory;
 * -EPERM below USER_MIN_ADDR (Linux's mmap_min_addr). Other flags and prot
 * bits are ignored, as Linux ignores them for private mappings. */
static long sys_mmap(struct trap_frame *tf, uint64_t addr, uint64_t len, uint64_t prot)
{
    struct proc *p = proc_current();
    uint64_t flags = tf->r10, offset = tf->r9, start;
    int64_t fd = (int32_t)tf->r8;

    if (!page_aligned(offset))
        return -EINVAL;
    if (!(flags & MAP_ANONYMOUS))
        return fd < 0 || fd >= PROC_MAX_FILES || p->files[fd] == NULL ? -EBADF : -ENODEV;
    if (len == 0 || (flags & MAP_TYPE) != MAP_PRIVATE)
        return -EINVAL;
    if ((len = page_round(len)) == 0 || len / PAGE_SIZE > pmm_free_frames())
        return -ENOMEM;
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        if (!page_aligned(addr))
            return -EINVAL;
        if (addr > USER_STACK_TOP - len)
            return -ENOMEM;
        if (addr < USER_MIN_ADDR)
            return -EPERM;
        if ((flags & MAP_FIXED_NOREPLACE) && mmap_pages_present(p->pml4, addr, addr + len))
            return -EEXIST;
        int err = mmap_unmap(p->pml4, &p->mmaps, addr, addr + len);
        if (err)
            return err;
        start = addr;
    } else if ((start = place(p, addr, len)) == 0) {
        return -ENOMEM;
    }
    int err = mmap_map(p->pml4, &p->mmaps, start, start + len, mmap_vm_flags((int)prot));
    return err ? err : (long)start;
}
SYSCALL(SYS_mmap, sys_mmap);

/* munmap(addr, len): every page of the range goes, whoever mapped it.
 * -EINVAL for addr not page-aligned, len 0, or a range past user space;
 * holes are fine (0). */
static long sys_munmap(struct trap_frame *tf, uint64_t addr, uint64_t len, uint64_t a2)
{
    struct proc *p = proc_current();

    (void)tf, (void)a2;
    if (!page_aligned(addr) || addr > USER_STACK_TOP || len > USER_STACK_TOP - addr ||
        (len = page_round(len)) == 0)
        return -EINVAL;
    return mmap_unmap(p->pml4, &p->mmaps, addr, addr + len);
}
SYSCALL(SYS_munmap, sys_munmap);

/* mprotect(addr, len, prot): the pages of the range get prot, whoever
 * mapped them (glibc makes its own data read-only after relocation:
 * RELRO). -EINVAL for addr not page-aligned or prot bits beyond
 * PROT_READ | PROT_WRITE | PROT_EXEC; 0 for len 0; -ENOMEM if the range
 * passes user space or has a hole (then nothing changes; Linux changes the
 * pages before the hole). */
static long sys_mprotect(struct trap_frame *tf, uint64_t addr, uint64_t len, uint64_t prot)
{
    struct proc *p = proc_current();

    (void)tf;
    if (!page_aligned(addr))
        return -EINVAL;
    if (len == 0)
        return 0;
    if ((len = page_round(len)) == 0 || addr > USER_STACK_TOP - len)
        return -ENOMEM;
    if (prot & ~(uint64_t)PROT_RWX)
        return -EINVAL;
    return mmap_protect(p->pml4, addr, addr + len, mmap_vm_flags((int)prot));
}
SYSCALL(SYS_mprotect, sys_mprotect);
