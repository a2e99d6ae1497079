/* ksyms.h - the kernel's own function symbol table, for backtraces.
 * Lab 1 (given). The build links the kernel twice: the second link embeds a
 * table generated from the first one's symbols (see the Makefile). */
#ifndef KSYMS_H
#define KSYMS_H

#include <stdint.h>

struct ksym {
    uint64_t addr;
    uint64_t size;
    const char *name;
};

/* The function containing addr: returns its name and sets *offset to
 * addr - start. Returns NULL if addr is in no known function. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);

/* The start address of function name, or 0 if there is none. */
uint64_t ksym_address(const char *name);

#endif
