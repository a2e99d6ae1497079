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

/* Tell the PIC(s) the handler of IRQ irq is done (end of interrupt). */
void pic_eoi(int irq);

/* IRQ 7 and 15 may be spurious: the PIC raised them, then found nothing to
 * deliver. True if so; the caller must then skip the handler and the EOI
 * (pic_is_spurious already sent the master's EOI for a spurious 15). */
bool pic_is_spurious(int irq);

/* Have the PICs been remapped (pic_remap)? Until then every IRQ stays masked. */
bool pic_ready(void);

#endif
