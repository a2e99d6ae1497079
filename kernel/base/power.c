/* power.c - turn the machine off with a status the grader can read.
 * Lab 1 (given). */
#include "power.h"
#include "x86.h"

#define QEMU_EXIT_PORT 0xF4     /* -device isa-debug-exit,iobase=0xf4,iosize=0x04 */

void power_off(bool success)
{
    /* QEMU exits with status (value << 1) | 1: 0x10 -> 33, 0x11 -> 35. */
    outb(QEMU_EXIT_PORT, success ? 0x10 : 0x11);

    /* Still here: not QEMU, or no exit device. Stop for good. */
    cpu_disable_interrupts();
    for (;;)
        cpu_halt();
}
