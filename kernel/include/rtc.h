/* rtc.h - the CMOS real-time clock, read once at boot. Lab 8 (given). */
#ifndef RTC_H
#define RTC_H

#include <stdint.h>

/* Seconds since 1970-01-01 00:00 UTC now: the CMOS date and time read at
 * boot (taken as UTC, as QEMU keeps it) plus the timer ticks since. 0 if
 * the clock could not be read. Any context. */
uint64_t rtc_now(void);

#endif
