/* fork.c - fork with copy-on-write. Lab 7: share_page and cow_break are
 * exercise 1 with frameref.c (handout §3.1); the rest is given, including
 * the eager copy that fork uses until exercise 1 is done (and that `make
 * bench` compares with, setting fork_eager for its eager row only).
 *
 * After fork, parent and child map the same frames; a page either could
 * write is read-only in both with PTE_COW set, and the first write to it
 * faults into cow_break, which gives the writer a copy of its own (or the
 * frame itself, once nobody else maps it). */
#include <stddef.h>

#include "errno.h"
#include "file.h"
#include "gdt.h"
#include "frameref.h"
#include "kmalloc.h"
#include "paging.h"
#include "panic.h"
#include "pmm.h"
#include "proc.h"
#include "string.h"
#include "syscall.h"
#include "x86.h"
#if LAB >= 10
#include "linux.h"
#include "uaccess.h"
#endif

/* Call fn(va, leaf, ctx) for every present 4 KiB page of the user half of
 * pml4, in address order; stop at the first non-zero result and return it. */
static int for_each_user_page(pte_t *pml4, int (*fn)(uint64_t va, pte_t *leaf, void *ctx),
                              void *ctx)
{
    for (uint64_t i4 = 0; i4 < 256; i4++) {
        if (!(pml4[i4] & PTE_P))
            continue;
        pte_t *pdpt = phys_to_virt(pml4[i4] & PTE_ADDR);
        for (uint64_t i3 = 0; i3 < 512; i3++) {
            if (!(pdpt[i3] & PTE_P))
                continue;
            pte_t *pd = phys_to_virt(pdpt[i3] & PTE_ADDR);
            for (uint64_t i2 = 0; i2 < 512; i2++) {
                if (!(pd[i2] & PTE_P))
                    continue;
                pte_t *pt = phys_to_virt(pd[i2] & PTE_ADDR);
                for (uint64_t i1 = 0; i1 < 512; i1++) {
                    uint64_t va = i4 << 39 | i3 << 30 | i2 << 21 | i1 << 12;
                    int err = (pt[i1] & PTE_P) ? fn(va, &pt[i1], ctx) : 0;
                    if (err)
                        return err;
                }
            }
        }
    }
    return 0;
}

/* The eager copy: the child gets a fresh frame, a copy, for every page. */
static int copy_page(uint64_t va, pte_t *leaf, void *child)
{
    uint64_t pa = pmm_alloc(0);
    pte_t *entry = pa ? pt_walk(child, va, 0, true) : NULL;

    if (entry == NULL) {
        if (pa)
            pmm_free(pa);
        return -ENOMEM;
    }
    memcpy(phys_to_virt(pa), phys_to_virt(*leaf & PTE_ADDR), PAGE_SIZE);
    *entry = (*leaf & ~PTE_ADDR) | pa;
    return 0;
}

int as_copy_eager(pte_t *parent, pte_t *child)
{
    return for_each_user_page(parent, copy_page, child);
}

/* Contract in proc.h: false but while the benchmark measures the eager copy. */
bool fork_eager;

/* Map the frame of the present user page at va (leaf: its entry in the
 * parent) at va in child too, with the same flags; if the page is writable
 * or PTE_COW already, it becomes read-only with PTE_COW set in both; the
 * frame gets one more owner (frame_share). 0, or -ENOMEM if child's page
 * table cannot be made (pt_walk). Thread context; the caller flushes the
 * parent's TLB. Exercise 1 (handout §3.1). */
static int share_page(uint64_t va, pte_t *leaf, void *child)
{
#if SOL >= 7
    pte_t *entry = pt_walk(child, va, 0, true);

    if (entry == NULL)
        return -ENOMEM;
    if (*leaf & (PTE_W | PTE_COW))
        *leaf = (*leaf & ~PTE_W) | PTE_COW;
    *entry = *leaf;
    frame_share(*leaf & PTE_ADDR);
    return 0;
#else
    /* LAB 7, exercise 1: map the frame at va in child too, read-only and
     * PTE_COW in both if it was writable, one more owner (handout §3.1) */
    return copy_page(va, leaf, child);
#endif
}

/* Contract in proc.h. */
int as_copy_cow(pte_t *parent, pte_t *child)
{
    int err = for_each_user_page(parent, share_page, child);

    write_cr3(read_cr3());           /* the parent's writable pages just became read-only */
    return err;
}

/* Contract in proc.h. */
int cow_break(pte_t *pml4, uint64_t va)
{
    pte_t *leaf = pt_walk(pml4, va, 0, false);

    if (leaf == NULL || !(*leaf & PTE_P) || !(*leaf & PTE_COW))
        return -EFAULT;
#if SOL >= 7
    uint64_t old = *leaf & PTE_ADDR;
    if (frame_owners(old) > 1) {
        uint64_t copy = pmm_alloc(0);
        if (copy == 0)
            return -ENOMEM;
        memcpy(phys_to_virt(copy), phys_to_virt(old), PAGE_SIZE);
        *leaf = (*leaf & ~PTE_ADDR) | copy;
        frame_release(old);
    }
    *leaf = (*leaf | PTE_W) & ~PTE_COW;
    invlpg(va);
    return 0;
#else
    /* LAB 7, exercise 1: give the writer a private, writable page at va:
     * a copy while others map the frame, the frame itself once not
     * (handout §3.1) */
    return -EFAULT;
#endif
}

/* Contract in proc.h. */
int cow_prepare_write(pte_t *pml4, uint64_t addr, uint64_t len)
{
    if (len == 0 || addr + len < addr || addr + len > USER_TOP)
        return 0;                    /* user_range_ok refuses it */
    for (uint64_t va = addr & ~(PAGE_SIZE - 1); va < addr + len; va += PAGE_SIZE) {
        uint64_t flags;
        if (!vmm_translate(pml4, va, NULL, &flags))
            return 0;                /* a hole: user_range_ok refuses the range */
        if ((flags & PTE_COW) && (flags & PTE_U)) {
            int err = cow_break(pml4, va);
            if (err)
                return err;
        }
    }
    return 0;
}

/* ---- fork(2) ------------------------------------------------------------------ */

/* What the child's thread starts with: the parent's trap frame. */
struct fork_start {
    struct proc *proc;
    struct trap_frame tf;
#if LAB >= 10
    uint64_t set_tid;                /* clone's CLONE_CHILD_SETTID address, or 0 */
#endif
};

static int fork_child(void *arg)
{
    struct fork_start *s = arg;
    struct trap_frame tf = s->tf;
    struct proc *p = s->proc;

#if LAB >= 10
    uint64_t set_tid = s->set_tid;
#endif
    kfree(s);
    push_cli();
    current->proc = p;               /* from now on the scheduler loads its CR3 */
    write_cr3((uint64_t)p->pml4 - DIRECT_MAP_BASE);
    thread_fpu_load(current);        /* the copy of the parent's, made by sys_fork */
    tss_set_rsp0(current->kstack + KSTACK_SIZE);
#if LAB >= 10
    tls_switch_in(current);          /* the parent's FS base, copied by proc_fork */
#endif
    pop_cli();
#if LAB >= 10
    if (set_tid)                     /* glibc's fork wants its tid there; a bad address: none */
        copy_to_user(p->pml4, set_tid, &p->pid, sizeof p->pid);
#endif
    tf.rax = 0;                      /* fork returns 0 in the child */
    __asm__ volatile("mov %0, %%rsp\n\tjmp trap_return" : : "r"(&tf) : "memory");
    __builtin_unreachable();
}

/* fork(): a copy of the calling process (its memory shared copy-on-write,
 * its files shared), returning into the same place in both: the child's
 * pid in the parent, 0 in the child. -EAGAIN at the process limit (or
 * with no memory for the process itself), -ENOMEM when memory for its
 * address space or thread runs out (nothing of the child is left). From
 * Lab 10 clone calls it too (proc.h). */
long proc_fork(struct trap_frame *tf, uint64_t child_stack, uint64_t set_tid)
{
    struct proc *parent = proc_current(), *child = proc_alloc(parent, parent->name);
    struct fork_start *s = kmalloc(sizeof *s);
    int err = -ENOMEM;

#if LAB >= 10
    if (s)
        s->set_tid = set_tid;
#else
    (void)set_tid;
#endif
    if (child == NULL) {
        kfree(s);
        return -EAGAIN;
    }
    if (s == NULL || (child->pml4 = as_create()) == NULL)
        goto fail;
    err = fork_eager ? as_copy_eager(parent->pml4, child->pml4)
                     : as_copy_cow(parent->pml4, child->pml4);
    if (err != 0)
        goto fail;
    child->brk_start = parent->brk_start;
    child->brk = parent->brk;
    files_fork(parent, child);
#if LAB >= 8
    child->cwd = parent->cwd ? file_get(parent->cwd) : NULL;   /* the same working directory */
#endif
#if LAB >= 10
    memcpy(child->exe, parent->exe, sizeof child->exe);
    child->umask = parent->umask;
    child->mmaps = parent->mmaps;    /* the same mappings, their pages shared above */
#endif
    s->proc = child;
    s->tf = *tf;
    if (child_stack)
        s->tf.rsp = child_stack;
    push_cli();                      /* the child runs only once it is complete */
    child->thread = thread_create(fork_child, s, parent->name);
    if (child->thread != NULL) {
        __asm__ volatile("fxsave64 %0" : "=m"(child->thread->fpu));   /* the parent's, live */
#if LAB >= 10
        child->thread->fs_base = current->fs_base;
#endif
    }
    pop_cli();
    if (child->thread == NULL) {
        files_close_all(child);
        err = -ENOMEM;
        goto fail;
    }
    return child->pid;
fail:
    kfree(s);
    proc_discard(child);             /* its address space too */
    return err;
}

static long sys_fork(struct trap_frame *tf, uint64_t a0, uint64_t a1, uint64_t a2)
{
    (void)a0, (void)a1, (void)a2;
    return proc_fork(tf, 0, 0);
}
SYSCALL(SYS_fork, sys_fork);
