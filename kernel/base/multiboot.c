/* multiboot.c - read the Multiboot2 boot information GRUB left in memory.
 * Lab 1: the tag walk in mb2_find_tag is exercise 1 (handout §3.1). */
#include <stddef.h>

#include "multiboot2.h"
#include "console.h"
#include "memlayout.h"
#include "power.h"
#include "string.h"

struct boot_info boot_info = {"", "", 0, 0};

static const struct mb2_info *info;     /* the structure, through the direct map */
static const char *info_end;            /* just past its last byte */

/* Tags start 8-byte aligned: round a tag's size up to the next tag. */
static uint32_t align8(uint32_t n)
{
    return (n + 7) & ~7u;
}

const struct mb2_tag *mb2_find_tag(uint32_t type, const struct mb2_tag *after)
{
#if SOL >= 1
    const struct mb2_tag *tag = after ? (const struct mb2_tag *)((const char *)after + align8(after->size))
                                      : (const struct mb2_tag *)(info + 1);

    while ((const char *)(tag + 1) <= info_end) {
        if (tag->size < sizeof *tag || (const char *)tag + tag->size > info_end) {
            kprintf("boot: malformed Multiboot2 tag (type %u, size %u)\n", tag->type, tag->size);
            power_off(false);
        }
        if (tag->type == MB2_TAG_END)
            return NULL;
        if (tag->type == type)
            return tag;
        tag = (const struct mb2_tag *)((const char *)tag + align8(tag->size));
    }
    return NULL;
#else
    /* LAB 1, exercise 1: the nearest tag of this type after `after` (or
     * from the start), NULL if the end tag comes before one; a malformed tag
     * stops the kernel, as multiboot2.h says (handout §3.1) */
    (void)type, (void)after, (void)align8;
    return NULL;
#endif
}

/* The string of a cmdline or loader-name tag, or "" without one. */
static const char *tag_string(uint32_t type)
{
    const struct mb2_tag *tag = mb2_find_tag(type, NULL);

    return tag ? ((const struct mb2_tag_string *)tag)->string : "";
}

void mb2_parse(uint32_t magic, uint64_t info_phys)
{
    if (magic != MB2_LOADER_MAGIC) {
        kprintf("boot: bad Multiboot2 magic 0x%x (want 0x%x)\n", magic, MB2_LOADER_MAGIC);
        power_off(false);
    }
    if (info_phys == 0 || info_phys % 8 != 0 || info_phys >= BOOT_DIRECT_MAP_SIZE) {
        kprintf("boot: Multiboot2 information at a bad address %p\n", (void *)info_phys);
        power_off(false);
    }
    info = phys_to_virt(info_phys);
    info_end = (const char *)info + info->total_size;
    boot_info.info_phys = info_phys;
    boot_info.info_size = info->total_size;
    boot_info.cmdline = tag_string(MB2_TAG_CMDLINE);
    boot_info.loader_name = tag_string(MB2_TAG_LOADER_NAME);
}

const struct mb2_tag_module *mb2_find_module(const char *name)
{
    for (const struct mb2_tag *t = mb2_find_tag(MB2_TAG_MODULE, NULL); t;
         t = mb2_find_tag(MB2_TAG_MODULE, t)) {
        const struct mb2_tag_module *m = (const struct mb2_tag_module *)t;
        if (strcmp(m->string, name) == 0)
            return m;
    }
    return NULL;
}
