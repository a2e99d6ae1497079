/* idt.c - build and load the interrupt descriptor table.
 * Lab 2: idt_set_gate is exercise 1 (handout §3.1), with the IST entries of
 * tss_init; the rest is given. */
#include "idt.h"
#include "console.h"
#include "gdt.h"
#include "trap.h"
#include "kinit.h"
#include "panic.h"
#include "pic.h"
#include "x86.h"

/* One 16-byte gate (Intel SDM vol. 3, figure 6-8). */
struct idt_gate {
    uint16_t offset_low;     /* handler bits 0..15 */
    uint16_t selector;       /* code segment to run the handler in */
    uint8_t ist;             /* bits 0..2: IST slot, 0 = keep the current stack */
    uint8_t type_attr;       /* bit 7 present, bits 5..6 DPL, bits 0..3 type */
    uint16_t offset_mid;     /* handler bits 16..31 */
    uint32_t offset_high;    /* handler bits 32..63 */
    uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct idt_gate) == 16, "an IDT gate is 16 bytes");

static struct idt_gate idt[256];
extern const uint64_t isr_stub_table[256];

/* Contract in idt.h. Writes idt[vector] only (the CPU reads it at the next
 * interrupt on that vector: call with interrupts off, or on a vector nothing
 * raises yet); calls nothing. */
void idt_set_gate(int vector, uint64_t handler, int type, int dpl, int ist)
{
    ASSERT(vector >= 0 && vector < 256);
    ASSERT(type == GATE_INTERRUPT || type == GATE_TRAP);
    ASSERT(dpl >= 0 && dpl <= 3);
    ASSERT(ist >= 0 && ist <= 7);
#if SOL >= 2
    struct idt_gate *g = &idt[vector];

    g->offset_low = handler & 0xFFFF;
    g->offset_mid = (handler >> 16) & 0xFFFF;
    g->offset_high = handler >> 32;
    g->selector = SEG_KERNEL_CODE;
    g->ist = ist & 0x7;
    g->type_attr = 0x80 | (dpl & 3) << 5 | (type & 0xF);
    g->reserved = 0;
#else
    /* LAB 2, exercise 1: make idt[vector] a present gate to handler in the
     * kernel code segment with this type, DPL and IST slot (handout §3.1) */
    (void)vector, (void)handler, (void)type, (void)dpl, (void)ist;
#endif
}

bool idt_ready(void)
{
    const struct idt_gate *g = &idt[IRQ_BASE];
    uint64_t handler = g->offset_low | (uint64_t)g->offset_mid << 16 |
                       (uint64_t)g->offset_high << 32;

    return (g->type_attr & 0x80) && handler == isr_stub_table[IRQ_BASE];
}

void idt_init(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) idtr = {sizeof idt - 1, (uint64_t)idt};

    for (int v = 0; v < 256; v++)
        idt_set_gate(v, isr_stub_table[v], GATE_INTERRUPT, 0, 0);
    /* These may strike when the current stack is unusable: give them their own. */
    idt_set_gate(EXC_DF, isr_stub_table[EXC_DF], GATE_INTERRUPT, 0, IST_DOUBLE_FAULT);
    idt_set_gate(EXC_NMI, isr_stub_table[EXC_NMI], GATE_INTERRUPT, 0, IST_NMI);
    idt_set_gate(EXC_MC, isr_stub_table[EXC_MC], GATE_INTERRUPT, 0, IST_MACHINE_CHECK);
#if LAB >= 6
    /* The one gate ring 3 may use with `int`: system calls. */
    idt_set_gate(VECTOR_SYSCALL, isr_stub_table[VECTOR_SYSCALL], GATE_INTERRUPT, 3, 0);
#endif
    __asm__ volatile("lidt %0" : : "m"(idtr));
    if (!idt_ready())
        kprintf("idt: the gates are not built yet (LAB 2, exercise 1): interrupts stay off\n");
}

KINIT(11, idt_init);

/* The last step of interrupt set-up (after the PICs, timer and devices):
 * interrupts on, once there are gates to take them and the PICs are
 * remapped. With every IRQ still masked the monitor would wait for a serial
 * interrupt that never comes; exceptions do not need the flag. */
static void interrupts_on(void)
{
    if (idt_ready() && pic_ready())
        cpu_enable_interrupts();
}
KINIT(58, interrupts_on);
