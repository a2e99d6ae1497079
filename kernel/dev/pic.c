/* pic.c - the 8259A PICs: remapping, masking, end of interrupt.
 * Lab 2: pic_remap, pic_eoi and pic_is_spurious are exercise 3 (handout
 * §3.3), with irq_dispatch in trap.c; masking is given. */
#include "pic.h"
#include "console.h"
#include "panic.h"
#include "trap.h"
#include "x86.h"
#include "kinit.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI      0x20        /* OCW2: non-specific end of interrupt */
#define PIC_READ_ISR 0x0B        /* OCW3: the next read of CMD returns the ISR */

static bool remapped;
static uint16_t mask = 0xFFFF;   /* bit n set: IRQ n masked */

/* A write to an unused port: gives the old PICs time between commands. */
static void io_wait(void)
{
    outb(0x80, 0);
}

static void write_masks(void)
{
    outb(PIC1_DATA, mask & 0xFF);
    outb(PIC2_DATA, mask >> 8);
}

/* Initialise both chips so that the master delivers IRQ 0-7 at vectors
 * master_base.. and the slave IRQ 8-15 at slave_base.. (multiples of 8),
 * cascaded on the master's IRQ 2, edge triggered, with an EOI owed for every
 * IRQ (no auto-EOI); leave the masks as `mask` says and set remapped.
 * Interrupts off. May call outb, io_wait and write_masks. */
static void pic_remap(int master_base, int slave_base)
{
#if SOL >= 2
    outb(PIC1_CMD, 0x11);        /* ICW1: initialise, edge triggered, ICW4 follows */
    io_wait();
    outb(PIC2_CMD, 0x11);
    io_wait();
    outb(PIC1_DATA, master_base); /* ICW2: vector of IRQ 0 / IRQ 8 */
    io_wait();
    outb(PIC2_DATA, slave_base);
    io_wait();
    outb(PIC1_DATA, 1 << 2);     /* ICW3: the slave hangs on the master's IRQ 2 */
    io_wait();
    outb(PIC2_DATA, 2);          /* ICW3: the slave's cascade identity */
    io_wait();
    outb(PIC1_DATA, 0x01);       /* ICW4: 8086 mode */
    io_wait();
    outb(PIC2_DATA, 0x01);
    io_wait();
    write_masks();               /* initialisation cleared the masks */
    remapped = true;
#else
    /* LAB 2, exercise 3: reprogram both PICs for these vector bases, as
     * pic_remap's contract says (handout §3.3) */
    (void)master_base, (void)slave_base, (void)io_wait;
#endif
}

void pic_init(void)
{
    ASSERT(!cpu_interrupts_enabled());
    mask = 0xFFFF;
    write_masks();
    pic_remap(IRQ_BASE, IRQ_BASE + 8);
    if (remapped)
        pic_unmask(2);           /* the cascade: lets the slave's IRQs through */
}

void pic_unmask(int irq)
{
    static bool warned;

    ASSERT(irq >= 0 && irq < IRQ_COUNT);
    if (!remapped) {
        if (!warned)
            kprintf("pic: not remapped yet (LAB 2, exercise 3): IRQs stay masked\n");
        warned = true;
        return;
    }
    mask &= (uint16_t)~(1u << irq);
    write_masks();
}

void pic_mask(int irq)
{
    ASSERT(irq >= 0 && irq < IRQ_COUNT);
    mask |= (uint16_t)(1u << irq);
    write_masks();
}

void pic_eoi(int irq)
{
    ASSERT(irq >= 0 && irq < IRQ_COUNT);
#if SOL >= 2
    if (irq >= 8)
        outb(PIC2_CMD, PIC_EOI); /* the slave first, then the master it cascades through */
    outb(PIC1_CMD, PIC_EOI);
#else
    /* LAB 2, exercise 3: tell every chip that IRQ irq went through that its
     * handler is done (handout §3.3) */
    (void)irq;
#endif
}

static uint8_t read_isr(uint16_t cmd_port)
{
    outb(cmd_port, PIC_READ_ISR);
    return inb(cmd_port);
}

bool pic_is_spurious(int irq)
{
    ASSERT(irq >= 0 && irq < IRQ_COUNT);
#if SOL >= 2
    if (irq == 7)
        return !(read_isr(PIC1_CMD) & 0x80);
    if (irq == 15 && !(read_isr(PIC2_CMD) & 0x80)) {
        outb(PIC1_CMD, PIC_EOI); /* the master did see IRQ 2 from the slave */
        return true;
    }
    return false;
#else
    /* LAB 2, exercise 3: say whether IRQ 7 or 15 is one the chip raised with
     * nothing in service, settling what the master is owed (handout §3.3) */
    (void)read_isr;
    return false;
#endif
}

bool pic_ready(void)
{
    return remapped;
}

KINIT(50, pic_init);
