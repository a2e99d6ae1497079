/* pit.c - the timer tick: PIT channel 0 in rate-generator mode on IRQ 0.
 * Lab 2 (given). */
#include "pit.h"
#include "trap.h"
#include "panic.h"
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
    ASSERT(rate >= PIT_MIN_HZ && rate <= PIT_MAX_HZ);
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
    ASSERT(cpu_interrupts_enabled());    /* else the hlt below never ends */
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
