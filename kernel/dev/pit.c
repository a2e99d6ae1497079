/* pit.c - the timer tick: PIT channel 0 in rate-generator mode on IRQ 0.
 * Lab 2 (given). */
#include "pit.h"
#include "trap.h"
#include "pic.h"
#include "x86.h"
#include "thread.h"
#include "cmdline.h"
#include "console.h"
#include "kinit.h"
#include "monitor.h"
#include "power.h"

#define PIT_CHANNEL0 0x40
#define PIT_COMMAND  0x43
#define PIT_INPUT_HZ 1193182     /* the PIT's crystal: 14.31818 MHz / 12 */

static volatile uint64_t ticks;
static unsigned hz;

static void pit_tick(struct trap_frame *tf)
{
    (void)tf;
    ticks++;
#if LAB >= 5
    sched_tick();
#endif
}

void pit_init(unsigned rate)
{
    uint32_t divisor = (PIT_INPUT_HZ + rate / 2) / rate;

    hz = rate;
    outb(PIT_COMMAND, 0x34);     /* channel 0, low byte then high byte, mode 2 */
    outb(PIT_CHANNEL0, divisor & 0xFF);
    outb(PIT_CHANNEL0, divisor >> 8);
    irq_register(0, pit_tick);
}

uint64_t pit_ticks(void)
{
    return ticks;
}

unsigned pit_hz(void)
{
    return hz;
}

void pit_wait_ticks(uint64_t n)
{
    uint64_t end = ticks + n;

    while (ticks < end)
        cpu_halt();              /* the next interrupt wakes us: no spinning */
}

CMDLINE_KEY(hz, "HZ");

/* Boot step: tick at hz= (default PIT_DEFAULT_HZ); a rate the PIT cannot
 * make is refused, naming the range. */
static void pit_start(void)
{
    int64_t rate = cmdline_get_int("hz", PIT_DEFAULT_HZ);

    if (rate < PIT_MIN_HZ || rate > PIT_MAX_HZ) {
        kprintf("cmdline: hz=%ld is out of range (%d..%d)\n", rate, PIT_MIN_HZ, PIT_MAX_HZ);
        power_off(false);
    }
    pit_init((unsigned)rate);
}
KINIT(51, pit_start);

MONITOR_COMMAND(uptime, "timer ticks and seconds since boot")
{
    (void)argc, (void)argv;
    uint64_t t = pit_ticks();
    kprintf("uptime: %lu ticks at %u Hz = %lu.%02lu s\n", t, hz, t / hz, t % hz * 100 / hz);
    return 0;
}

uint64_t tsc_per_ms;

/* Boot step, once interrupts are on: TSC ticks per ms against 3 timer
 * ticks. Rough, but what it serves (a spinlock held "about a second") is
 * rough too. Without interrupts (the PIC not yet remapped) the timer does
 * not tick: tsc_per_ms stays 0, which means "unknown". */
static void tsc_calibrate(void)
{
    if (!cpu_interrupts_enabled())
        return;
    pit_wait_ticks(1);
    uint64_t t0 = rdtsc();
    pit_wait_ticks(3);
    tsc_per_ms = (rdtsc() - t0) * hz / 3 / 1000;
}
KINIT(59, tsc_calibrate);
