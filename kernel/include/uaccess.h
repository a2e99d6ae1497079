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

/* Is [addr, addr + len) user memory of pml4: inside the user half (below
 * USER_TOP, not wrapping around), every page it touches mapped with PTE_U,
 * and with PTE_W too if write? len 0 is always fine. Any context, no lock;
 * reads the page tables only (vmm_translate). */
bool user_range_ok(pte_t *pml4, uint64_t addr, size_t len, bool write);

/* Copy len bytes from user address src to dst, or from src to user
 * address dst. 0, or -EFAULT if the user range is not all readable (or
 * writable) user memory: then nothing was copied. Any context, no lock. */
int copy_from_user(pte_t *pml4, void *dst, uint64_t src, size_t len);
int copy_to_user(pte_t *pml4, uint64_t dst, const void *src, size_t len);

/* Copy the NUL-terminated user string at src, NUL included, into dst
 * (max bytes). Returns its length (max - 1 at most); -EFAULT if a byte
 * before its NUL is not readable user memory; -EINVAL if no NUL comes
 * within max bytes. Reads no user byte past the NUL (the string may end
 * just before an unmapped page). dst's contents are unspecified on error.
 * Any context, no lock. */
long strncpy_from_user(pte_t *pml4, char *dst, uint64_t src, size_t max);

#endif
