/* power.h - end the machine. Lab 1 (given).
 * Under QEMU (-device isa-debug-exit,iobase=0xf4) power_off makes QEMU exit
 * with status 33 for success and 35 for failure; the graders read it. */
#ifndef POWER_H
#define POWER_H

#include <stdbool.h>

void power_off(bool success) __attribute__((noreturn));

#endif
