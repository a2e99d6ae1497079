/* multiboot2.h - the boot information GRUB hands to the kernel.
 * Lab 1, exercise 1 (handout §3.1). Layout from the Multiboot2 specification,
 * section 3.6: an 8-byte header, then tags, each 8-byte aligned, ending with
 * a tag of type 0. */
#ifndef MULTIBOOT2_H
#define MULTIBOOT2_H

#include <stdint.h>

#define MB2_LOADER_MAGIC 0x36D76289u   /* in eax when GRUB jumps to the kernel */

#define MB2_TAG_END         0
#define MB2_TAG_CMDLINE     1
#define MB2_TAG_LOADER_NAME 2
#define MB2_TAG_MODULE      3   /* Lab 3: reserved; Lab 6: user programs */
#define MB2_TAG_MMAP        6   /* Lab 3 */

struct mb2_info {          /* at the physical address GRUB passed in ebx */
    uint32_t total_size;   /* of the whole structure, header included */
    uint32_t reserved;
};

struct mb2_tag {           /* every tag starts like this */
    uint32_t type;
    uint32_t size;         /* of this tag in bytes, header included, unpadded */
};

struct mb2_tag_string {    /* MB2_TAG_CMDLINE and MB2_TAG_LOADER_NAME */
    uint32_t type;
    uint32_t size;
    char string[];         /* NUL-terminated */
};

struct mb2_tag_module {    /* MB2_TAG_MODULE: a file GRUB loaded for us */
    uint32_t type;
    uint32_t size;
    uint32_t mod_start;    /* physical address of its first byte */
    uint32_t mod_end;      /* ... and just past its last */
    char string[];         /* its command line (name) */
};

struct mb2_mmap_entry {
    uint64_t base;
    uint64_t length;
    uint32_t type;         /* 1 usable RAM, 3 ACPI reclaimable, 4 ACPI NVS, 5 bad, else reserved */
    uint32_t reserved;
};

struct mb2_tag_mmap {      /* MB2_TAG_MMAP: the firmware's memory map */
    uint32_t type;
    uint32_t size;
    uint32_t entry_size;   /* step between entries: may grow, use it */
    uint32_t entry_version;
    /* entries follow, up to size */
};

/* What the kernel keeps from the boot information. */
struct boot_info {
    const char *cmdline;      /* "" if there was none */
    const char *loader_name;  /* "" if unknown */
    uint64_t info_phys;       /* where the structure is, and its size: */
    uint32_t info_size;       /* its memory stays reserved (Lab 3) */
};

extern struct boot_info boot_info;

/* Check magic and read the structure at physical address info_phys: fill
 * boot_info. On a bad magic or address, print why and power off with
 * failure. Call once, before any mb2_find_tag. */
void mb2_parse(uint32_t magic, uint64_t info_phys);

/* The first tag of this type after tag `after` (NULL: from the start), or
 * NULL if there is none. A malformed tag (smaller than its header, or
 * running past the end of the structure) stops the kernel with a message. */
const struct mb2_tag *mb2_find_tag(uint32_t type, const struct mb2_tag *after);

/* The boot module GRUB loaded with the name `name` (module2 FILE NAME), or
 * NULL. Uses mb2_find_tag (Lab 1, exercise 1). */
const struct mb2_tag_module *mb2_find_module(const char *name);

#endif
