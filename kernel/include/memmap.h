/* memmap.h - physical memory: what the firmware says is RAM, and what the
 * kernel must never hand out. Lab 3 (exercise 1 in memmap.c). */
#ifndef MEMMAP_H
#define MEMMAP_H

#include <stdint.h>

#include "tunables.h"                /* MEMMAP_MAX */

#define MEM_USABLE 1                 /* Multiboot2 type of usable RAM */

struct mem_region {
    uint64_t base, end;              /* [base, end), bytes */
    uint32_t type;                   /* Multiboot2: 1 usable, 3 ACPI, 4 NVS, 5 bad, else reserved */
};

/* memmap[] and reserved[] are written only at boot (pmm_init, one thread,
 * interrupts off), and read-only afterwards: no lock. */

/* The firmware's map, as memmap_parse read it (in the order given). */
extern struct mem_region memmap[MEMMAP_MAX];
extern int memmap_count;

/* Ranges of RAM in use before the allocator exists: the first MiB, the
 * kernel image, the boot information, boot modules. Sorted by start. */
struct phys_range {
    uint64_t start, end;
    const char *what;
};
extern struct phys_range reserved[MEMMAP_MAX];
extern int reserved_count;

/* Read the Multiboot2 memory map (tag type 6) into memmap[]: one region
 * per entry of non-zero length, in the order given, as [base, base +
 * length) with the entry's type; at most MEMMAP_MAX (the rest are left
 * out). Returns memmap_count, the number of regions: 0 if there is no map
 * tag or its entries are smaller than struct mb2_mmap_entry (a format this
 * kernel cannot read). Boot only (one thread, interrupts off); calls
 * mb2_find_tag. Lab 3, exercise 1 (handout §3.1). */
int memmap_parse(void);

/* Record [start, end) as reserved (kept sorted by start; may overlap). */
void memmap_reserve(uint64_t start, uint64_t end, const char *what);

/* Bytes of usable RAM, and the end of the highest usable region. */
uint64_t memmap_usable_bytes(void);
uint64_t memmap_usable_end(void);

/* Print the map and the total, one region per line:
 *   mem: 0x0000000000100000-0x0000000007fe0000 usable */
void memmap_print(void);

const char *memmap_type_name(uint32_t type);

#endif
