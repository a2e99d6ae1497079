/* pic.h - the two cascaded 8259A programmable interrupt controllers. Lab 2.
 * The master takes IRQ 0-7, the slave IRQ 8-15 and signals the master on
 * IRQ 2. After pic_init, IRQ n arrives at vector IRQ_BASE + n (trap.h). */
#ifndef PIC_H
#define PIC_H

#include <stdbool.h>

/* Remap both PICs to IRQ_BASE and mask every line. Interrupts must be off. */
void pic_init(void);

/* Let IRQ irq through / block it. pic_unmask refuses (once, with a message)
 * while the PICs are not remapped: IRQ 0-7 would land on exception vectors. */
void pic_unmask(int irq);
void pic_mask(int irq);

/* End of interrupt for IRQ irq (0..15), whose handler is done: a
 * non-specific EOI to each chip the IRQ went through (IRQ 8-15: the slave,
 * then the master, whose IRQ 2 carried it), so that each clears its
 * in-service bit and delivers lower priorities again. Interrupts off; no
 * other effect. Lab 2, exercise 3. */
void pic_eoi(int irq);

/* IRQ 7 and 15 may be spurious: the chip raised them, then found nothing to
 * deliver, so its in-service register (OCW3 read) has no bit for them. True
 * if irq (0..15) is such a one; always false for other IRQs. For a spurious
 * 15 it sends the master the EOI it is owed for IRQ 2; a spurious 7 is owed
 * none. The caller then skips the handler and pic_eoi. Interrupts off.
 * Lab 2, exercise 3. */
bool pic_is_spurious(int irq);

/* Have the PICs been remapped (pic_remap)? Until then every IRQ stays masked. */
bool pic_ready(void);

#endif
