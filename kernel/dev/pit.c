/* pit.c - the timer tick: PIT channel 0 in rate-generator mode on IRQ 0.
 * Lab 2: pit_init, pit_tick and pit_wait_ticks are exercise 4 (handout
 * §3.4); the boot step and the uptime command are given. */
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

/* IRQ 0's handler, interrupts off: one more tick has passed since
 * pit_init. Counts it in ticks (read by pit_ticks and pit_wait_ticks) and
 * nothing else here; irq_dispatch sends the EOI. */
static void pit_tick(struct trap_frame *tf)
{
    (void)tf;
#if SOL >= 2
    ticks++;
#else
    /* LAB 2, exercise 4: account for one tick (handout §3.4) */
#endif
    /* From Lab 5 on, the scheduler counts the tick too (time slices, sleep). */
#if LAB >= 5
    sched_tick();
#endif
}

/* Contract in pit.h, whose hz is the parameter rate here: the file's
 * static hz takes its value before anything else (pit_hz and uptime divide
 * by it), so below, hz and rate are the same. May call outb and
 * irq_register (which unmasks IRQ 0). */
void pit_init(unsigned rate)
{
    ASSERT(rate >= PIT_MIN_HZ && rate <= PIT_MAX_HZ);
    hz = rate;
#if SOL >= 2
    /* Nearest divisor: the rate is off by at most half a count. */
    uint32_t divisor = (PIT_INPUT_HZ + rate / 2) / rate;

    outb(PIT_COMMAND, 0x34);     /* channel 0, low byte then high byte, mode 2 */
    outb(PIT_CHANNEL0, divisor & 0xFF);
    outb(PIT_CHANNEL0, divisor >> 8);
    irq_register(0, pit_tick);
#else
    /* LAB 2, exercise 4: make channel 0 a rate generator raising IRQ 0 hz
     * times a second, and take IRQ 0 with pit_tick (handout §3.4) */
    kprintf("pit: the timer is not programmed yet (LAB 2, exercise 4): no ticks\n");
    (void)pit_tick;
#endif
}

uint64_t pit_ticks(void)
{
    return ticks;
}

unsigned pit_hz(void)
{
    return hz;
}

/* Contract in pit.h. Calls cpu_halt only (no spinning). */
void pit_wait_ticks(uint64_t n)
{
    ASSERT(cpu_interrupts_enabled());    /* else a halt never ends */
#if SOL >= 2
    uint64_t end = ticks + n;

    while (ticks < end)
        cpu_halt();              /* the next interrupt wakes us: no spinning */
#else
    /* LAB 2, exercise 4: return once n ticks have passed since the call,
     * halting meanwhile (handout §3.4) */
    (void)n;
#endif
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
