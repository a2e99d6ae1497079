/* gdt.c - the global descriptor table and the TSS with its IST stacks.
 * Lab 2: tss_init's IST entries are exercise 1 (handout §3.1), with
 * idt_set_gate; the rest is given. */
#include "gdt.h"
#include "console.h"
#include "string.h"
#include "kinit.h"
#include "panic.h"
#include "x86.h"

static uint64_t gdt[GDT_ENTRIES];
static struct tss tss;

/* Each IST stack has a page below it that Lab 3 unmaps: a guard page. */
static struct {
    uint8_t guard[4096];
    uint8_t stack[IST_STACK_SIZE];
} ist_stacks[3] __attribute__((aligned(4096)));

/* Flat 64-bit code and data descriptors (Intel SDM vol. 3, 3.4.5). */
#define DESC_CODE64(dpl) (0x00AF9A000000FFFFull | ((uint64_t)(dpl) << 45))
#define DESC_DATA(dpl)   (0x00CF92000000FFFFull | ((uint64_t)(dpl) << 45))

/* The TSS descriptor: 16 bytes, type 9 (available 64-bit TSS). */
static void set_tss_descriptor(uint64_t *slot, const struct tss *t)
{
    uint64_t base = (uint64_t)t, limit = sizeof *t - 1;

    slot[0] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x89ull << 40 |
              ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
    slot[1] = base >> 32;
}

/* Build the one TSS: everything 0 but the I/O map offset (no bitmap) and
 * the IST entries: slot IST_DOUBLE_FAULT, IST_NMI and IST_MACHINE_CHECK each
 * name its own stack, ist_stacks[0], [1] and [2], as the stack pointer the CPU
 * loads before pushing a trap frame there. Called once by gdt_init,
 * interrupts off; calls nothing. */
static void tss_init(void)
{
    memset(&tss, 0, sizeof tss);
    tss.iomap_base = sizeof tss;
#if SOL >= 2
    /* Stacks grow down: each IST entry is the top (end) of its stack. */
    tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)(ist_stacks[0].stack + IST_STACK_SIZE);
    tss.ist[IST_NMI - 1] = (uint64_t)(ist_stacks[1].stack + IST_STACK_SIZE);
    tss.ist[IST_MACHINE_CHECK - 1] = (uint64_t)(ist_stacks[2].stack + IST_STACK_SIZE);
#else
    /* LAB 2, exercise 1: give the double fault, NMI and machine check IST
     * slots their own stacks from ist_stacks, as the CPU loads them (handout §3.1) */
    kprintf("gdt: the TSS has no IST stacks yet (LAB 2, exercise 1): "
            "a double fault will reset the machine\n");
#endif
}

int ist_stack_of(uint64_t addr)
{
    for (int i = 0; i < 3; i++)
        if (addr > (uint64_t)ist_stacks[i].stack &&
            addr <= (uint64_t)(ist_stacks[i].stack + IST_STACK_SIZE))
            return i + 1;
    return 0;
}

#if LAB >= 10
uint64_t syscall_rsp0;
#endif

void tss_set_rsp0(uint64_t rsp0)
{
    tss.rsp[0] = rsp0;
#if LAB >= 10
    syscall_rsp0 = rsp0;             /* the syscall instruction switches no stack: Lab 10 */
#endif
}

uint64_t ist_guard_page(int slot)
{
    ASSERT(slot >= 1 && slot <= 3);
    return (uint64_t)ist_stacks[slot - 1].guard;
}

void gdt_init(void)
{
    ASSERT(!cpu_interrupts_enabled());
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) gdtr = {sizeof gdt - 1, (uint64_t)gdt};

    gdt[0] = 0;
    gdt[SEG_KERNEL_CODE / 8] = DESC_CODE64(0);
    gdt[SEG_KERNEL_DATA / 8] = DESC_DATA(0);
    gdt[SEG_USER_DATA / 8] = DESC_DATA(3);
    gdt[SEG_USER_CODE / 8] = DESC_CODE64(3);
    tss_init();
    set_tss_descriptor(&gdt[SEG_TSS / 8], &tss);

    /* Load the GDT, then reload cs with a far return (there is no far jump
     * to an absolute 64-bit address) and the data segments, then the TSS. */
    __asm__ volatile(
        "lgdt %0\n\t"
        "pushq %1\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movw %w2, %%ax\n\t"
        "movw %%ax, %%ds\n\t"
        "movw %%ax, %%es\n\t"
        "movw %%ax, %%ss\n\t"
        "xorl %%eax, %%eax\n\t"
        "movw %%ax, %%fs\n\t"
        "movw %%ax, %%gs\n\t"
        "ltr %w3"
        :
        : "m"(gdtr), "i"(SEG_KERNEL_CODE), "i"(SEG_KERNEL_DATA), "r"((uint16_t)SEG_TSS)
        : "rax", "memory");
}

KINIT(10, gdt_init);
