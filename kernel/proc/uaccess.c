/* uaccess.c - checked copies between the kernel and user memory.
 * Lab 6: user_range_ok, copy_user and strncpy_from_user are exercise 3
 * (handout §3.3); copy_from_user and copy_to_user are given. The kernel
 * never dereferences a user address: it finds the frame in the page tables
 * and copies through the direct map, so a bad pointer cannot fault it. */
#include "uaccess.h"
#include "errno.h"
#include "memlayout.h"
#include "panic.h"
#include "pmm.h"
#include "proc.h"                    /* cow_prepare_write (Lab 7) */
#include "string.h"

/* Contract in uaccess.h. */
bool user_range_ok(pte_t *pml4, uint64_t addr, size_t len, bool write)
{
    ASSERT(pml4 != NULL);
    if (len == 0)
        return true;
#if SOL >= 6
    uint64_t end = addr + len;

    if (end < addr || end > USER_TOP)
        return false;                /* wraps around, or reaches the kernel half */
    for (uint64_t page = addr & ~(PAGE_SIZE - 1); page < end; page += PAGE_SIZE) {
        uint64_t flags;
        if (!vmm_translate(pml4, page, NULL, &flags) || !(flags & PTE_U) ||
            (write && !(flags & PTE_W)))
            return false;
    }
    return true;
#else
    /* LAB 6, exercise 3: true only if every byte of [addr, addr + len) is
     * in the user half and on a page of pml4 mapped for the user, and
     * writable if write (handout §3.3) */
    (void)addr, (void)write;
    return false;
#endif
}

/* Copy len bytes between kernel memory k and user address u of pml4
 * (to_user: k to u; else u to k). The whole user range is checked first
 * (user_range_ok, writable if to_user): -EFAULT and nothing copied if it
 * fails, else 0 with every byte copied, page by page, through the direct
 * map (vmm_translate, phys_to_virt), never through the user address. Any
 * context; no lock; may call user_range_ok, vmm_translate and memcpy. */
static int copy_user(pte_t *pml4, uint64_t u, void *k, size_t len, bool to_user)
{
#if SOL >= 6
    if (!user_range_ok(pml4, u, len, to_user))
        return -EFAULT;
    while (len > 0) {
        uint64_t pa;
        size_t chunk = PAGE_SIZE - (u & (PAGE_SIZE - 1));
        if (chunk > len)
            chunk = len;
        if (!vmm_translate(pml4, u, &pa, NULL))
            return -EFAULT;          /* cannot happen after a good check; never fault */
        if (to_user)
            memcpy(phys_to_virt(pa), k, chunk);
        else
            memcpy(k, phys_to_virt(pa), chunk);
        u += chunk;
        k = (char *)k + chunk;
        len -= chunk;
    }
    return 0;
#else
    /* LAB 6, exercise 3: copy len bytes between k and the user range at
     * u through the direct map, the whole range checked before a byte
     * moves; -EFAULT with nothing copied for a bad range (handout §3.3) */
    (void)pml4, (void)u, (void)k, (void)len, (void)to_user;
    return -EFAULT;
#endif
}

int copy_from_user(pte_t *pml4, void *dst, uint64_t src, size_t len)
{
    return copy_user(pml4, src, dst, len, false);
}

int copy_to_user(pte_t *pml4, uint64_t dst, const void *src, size_t len)
{
#if LAB >= 7
    if (cow_prepare_write(pml4, dst, len))   /* a page fork shared gets its own copy first */
        return -EFAULT;
#endif
    return copy_user(pml4, dst, (void *)src, len, true);
}

/* Contract in uaccess.h. */
long strncpy_from_user(pte_t *pml4, char *dst, uint64_t src, size_t max)
{
    ASSERT(pml4 != NULL && dst != NULL);
#if SOL >= 6
    for (size_t i = 0; i < max; i++) {
        if (copy_user(pml4, src + i, &dst[i], 1, false) != 0)
            return -EFAULT;
        if (dst[i] == '\0')
            return (long)i;
    }
    return -EINVAL;                  /* no NUL within max bytes */
#else
    /* LAB 6, exercise 3: copy the user string at src, NUL included, into
     * dst, reading no byte past its NUL nor past max; its length, -EFAULT
     * or -EINVAL (handout §3.3) */
    (void)src, (void)max;
    return -EFAULT;
#endif
}
