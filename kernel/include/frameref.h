/* frameref.h - how many address spaces map a user frame. Lab 7.
 * fork shares a process's frames with its child instead of copying them
 * (copy-on-write, fork.c): a frame then belongs to every address space that
 * maps it, and only the last one to let go may free it. Frames start with
 * one owner; kernel frames and page tables are never shared and never come
 * here. Guarded by interrupts off: callable from any context. */
#ifndef FRAMEREF_H
#define FRAMEREF_H

#include <stdint.h>

/* One more address space maps the frame at pa (page-aligned, from
 * pmm_alloc, with at least one owner). */
void frame_share(uint64_t pa);

/* One fewer maps it: the last one frees it (pmm_free). Every user frame of
 * an address space is let go through here, never pmm_free. */
void frame_release(uint64_t pa);

/* How many address spaces map the frame at pa: 1 for one not shared. */
unsigned frame_owners(uint64_t pa);

#endif
