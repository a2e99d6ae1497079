/* kmalloc.h - the kernel heap. Lab 4 (the allocator core is heap.h).
 * Blocks are 16-byte aligned. Each remembers the file:line of its kmalloc,
 * so that a double free or an overflow into its red zone panics naming
 * where the block came from. Out of memory returns NULL, never panics.
 * The heap lives at HEAP_BASE (memlayout.h) and grows by mapping frames
 * there, up to heapmax=BYTES on the command line (default: HEAP_DEFAULT_MAX,
 * 1 GiB, tunables.h). Each call takes the heap's lock itself (a spinlock,
 * from Lab 5): any thread may call, an interrupt handler may not. With
 * slab=1 (challenge 1), blocks of up to 128 bytes come from a slab cache
 * instead (kernel/mm/kmalloc.c). */
#ifndef KMALLOC_H
#define KMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memlayout.h"                /* HEAP_BASE */
#include "tunables.h"                 /* HEAP_DEFAULT_MAX */

/* Set up the (empty) heap; max_bytes caps its size. */
void kheap_init(uint64_t max_bytes);

#define kmalloc(size) kmalloc_at((size), __FILE__, __LINE__)
#define kcalloc(n, size) kcalloc_at((n), (size), __FILE__, __LINE__)
#define krealloc(ptr, size) krealloc_at((ptr), (size), __FILE__, __LINE__)

/* size bytes, or NULL. kmalloc(0) returns a unique pointer you may kfree. */
void *kmalloc_at(size_t size, const char *file, int line);

/* n * size zeroed bytes, or NULL (also if n * size overflows). */
void *kcalloc_at(size_t n, size_t size, const char *file, int line);

/* Resize ptr to size bytes, keeping its contents; may move it. NULL on
 * failure, and ptr stays valid. krealloc(NULL, n) is kmalloc(n). */
void *krealloc_at(void *ptr, size_t size, const char *file, int line);

/* Free ptr (NULL: nothing). Panics on a double free, an overflow past the
 * block's end, or a pointer that kmalloc did not return. */
void kfree(void *ptr);

/* For heapinfo and tests: the heap's figures, and the slab cache's
 * (challenge 1: objects handed out, pages held; 0 without it). */
struct kheap_stats {
    uint64_t used_blocks, used_bytes, free_bytes, pages;
    uint64_t slab_objects, slab_pages;
};
void kheap_stats(struct kheap_stats *s);
void kheap_print(void);

/* Challenge 1: serve kmalloc of up to 128 bytes from the slab cache (on),
 * or from the heap only (off, the default; slab=1 on the command line turns
 * it on at boot). Returns the previous setting. Objects already handed out
 * are freed correctly either way. */
bool kslab_enable(bool on);

#endif
