/* power.c - turn the machine off with a status the grader can read.
 * Lab 1 (given); Lab 8 adds the clean power-off's hook (the file system's
 * write-back, registered from above: base calls nothing up the layers). */
#include <stddef.h>

#include "power.h"
#include "x86.h"

#define QEMU_EXIT_PORT 0xF4     /* -device isa-debug-exit,iobase=0xf4,iosize=0x04 */

#if LAB >= 8
static void (*clean_off_hook)(void);

void power_on_clean_off(void (*fn)(void))
{
    clean_off_hook = fn;
}
#endif

void power_off(bool success)
{
#if LAB >= 8
    void (*hook)(void) = clean_off_hook;

    clean_off_hook = NULL;           /* once: a hook that ends in power_off does not loop */
    if (success && hook)
        hook();
#endif
    /* QEMU exits with status (value << 1) | 1: 0x10 -> 33, 0x11 -> 35. */
    outb(QEMU_EXIT_PORT, success ? 0x10 : 0x11);

    /* Still here: not QEMU, or no exit device. Stop for good. */
    cpu_disable_interrupts();
    for (;;)
        cpu_halt();
}
