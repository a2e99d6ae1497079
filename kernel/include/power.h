/* power.h - end the machine. Lab 1 (given).
 * Under QEMU (-device isa-debug-exit,iobase=0xf4) power_off makes QEMU exit
 * with status 33 for success and 35 for failure; the graders read it. */
#ifndef POWER_H
#define POWER_H

#include <stdbool.h>

/* Turn the machine off. From Lab 8 a clean power-off (success) first runs
 * the hook registered with power_on_clean_off. */
void power_off(bool success) __attribute__((noreturn));

#if LAB >= 8
/* Lab 8: fn runs once in power_off(true) before the machine stops (the file
 * system writes every dirty block back: a clean shutdown leaves a clean
 * disk). One hook; a later call replaces it. Not run on a failure power-off
 * (a panic may hold any lock). */
void power_on_clean_off(void (*fn)(void));
#endif

#endif
