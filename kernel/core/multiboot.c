/* multiboot.c - read the Multiboot2 boot information GRUB left in memory.
 * Lab 1: the tag walk in mb2_parse is exercise 1 (handout §3.1). */
#include "multiboot2.h"
#include "console.h"
#include "memlayout.h"
#include "power.h"

struct boot_info boot_info = {"", ""};

/* Tags start 8-byte aligned: round a tag's size up to the next tag. */
static uint32_t align8(uint32_t n)
{
    return (n + 7) & ~7u;
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
    const struct mb2_info *info = phys_to_virt(info_phys);
    const char *end = (const char *)info + info->total_size;

#if SOL >= 1
    const struct mb2_tag *tag = (const struct mb2_tag *)(info + 1);

    while ((const char *)(tag + 1) <= end && tag->type != MB2_TAG_END) {
        if (tag->size < sizeof *tag || (const char *)tag + tag->size > end) {
            kprintf("boot: malformed Multiboot2 tag (type %u, size %u)\n",
                    tag->type, tag->size);
            power_off(false);
        }
        const struct mb2_tag_string *str = (const struct mb2_tag_string *)tag;
        if (tag->type == MB2_TAG_CMDLINE)
            boot_info.cmdline = str->string;
        else if (tag->type == MB2_TAG_LOADER_NAME)
            boot_info.loader_name = str->string;
        tag = (const struct mb2_tag *)((const char *)tag + align8(tag->size));
    }
#else
    /* LAB 1, exercise 1: walk the tags that follow *info up to the end tag
     * (each starts 8-byte aligned, use align8) and point boot_info.cmdline and
     * boot_info.loader_name at the strings of tags 1 and 2 (handout §3.1) */
    (void)end;
    (void)align8;
#endif
}
