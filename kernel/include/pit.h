/* pit.h - the 8254 programmable interval timer, channel 0 on IRQ 0. Lab 2. */
#ifndef PIT_H
#define PIT_H

#include <stdint.h>

#include "tunables.h"            /* PIT_DEFAULT_HZ, PIT_MAX_HZ */

#define PIT_MIN_HZ 19            /* the divisor must fit in 16 bits */

/* Tick hz times a second from now on (hz in PIT_MIN_HZ..PIT_MAX_HZ, else
 * ASSERT): channel 0 in mode 2 (rate generator) with the 16-bit divisor
 * nearest 1193182 / hz (the PIT's input clock), written low byte then high
 * byte; each tick is IRQ 0, counted by pit_tick. Called once at boot,
 * interrupts off. Lab 2, exercise 4. */
void pit_init(unsigned hz);

/* Ticks since pit_init, and the rate. Any context. */
uint64_t pit_ticks(void);
unsigned pit_hz(void);

/* Return after at least n and at most n + 1 more ticks, halting (hlt) in
 * between rather than spinning. Interrupts must be on (ASSERT), or no tick
 * would come. Lab 2, exercise 4. */
void pit_wait_ticks(uint64_t n);

#endif
