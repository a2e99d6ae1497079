/* uaccess.h - safe access to user memory from the kernel. Lab 6.
 * Every pointer that comes from a system call is checked here: the whole
 * range must lie in the user half and be mapped for the user (and
 * writable, to write). The copy then goes through the direct map, page by
 * page, so the kernel can never fault on a user pointer. */
#ifndef UACCESS_H
#define UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "paging.h"

/* Is [addr, addr + len) user memory of pml4, readable (and writable if
 * write)? len 0 is always fine. */
bool user_range_ok(pte_t *pml4, uint64_t addr, size_t len, bool write);

/* 0, or -EFAULT (then nothing was copied). */
int copy_from_user(pte_t *pml4, void *dst, uint64_t src, size_t len);
int copy_to_user(pte_t *pml4, uint64_t dst, const void *src, size_t len);

/* Copy a NUL-terminated string of at most max - 1 characters. Returns its
 * length, -EFAULT, or -EINVAL if no NUL comes within max bytes. */
long strncpy_from_user(pte_t *pml4, char *dst, uint64_t src, size_t max);

#endif
