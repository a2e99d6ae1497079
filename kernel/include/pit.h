/* pit.h - the 8254 programmable interval timer, channel 0 on IRQ 0. Lab 2. */
#ifndef PIT_H
#define PIT_H

#include <stdint.h>

#include "tunables.h"            /* PIT_DEFAULT_HZ, PIT_MAX_HZ */

#define PIT_MIN_HZ 19            /* the divisor must fit in 16 bits */

/* Tick hz times a second from now on (hz in PIT_MIN_HZ..PIT_MAX_HZ). */
void pit_init(unsigned hz);

/* Ticks since pit_init, and the rate. */
uint64_t pit_ticks(void);
unsigned pit_hz(void);

/* Halt until n more ticks have passed. Interrupts must be on. */
void pit_wait_ticks(uint64_t n);

#endif
