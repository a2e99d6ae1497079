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

/* What the kernel keeps from the boot information. */
struct boot_info {
    const char *cmdline;      /* "" if there was none */
    const char *loader_name;  /* "" if unknown */
};

extern struct boot_info boot_info;

/* Check magic and fill boot_info from the structure at physical address
 * info_phys. On a bad magic or a malformed structure, print why and power
 * off with failure. */
void mb2_parse(uint32_t magic, uint64_t info_phys);

#endif
