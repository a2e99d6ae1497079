/* cli.c - push_cli/pop_cli, the nested interrupt-off counter (cli.h).
 * Lab 1 (given). Below every subsystem that needs it: mm/ masks interrupts
 * around the frame allocator, proc/ builds spinlocks on it. */
#include "cli.h"
#include "panic.h"
#include "x86.h"

static int ncli;                     /* push_cli depth */
static bool intena;                  /* were interrupts on at the outermost push? */

void push_cli(void)
{
    bool on = cpu_interrupts_enabled();

    cpu_disable_interrupts();
    if (ncli++ == 0)
        intena = on;
}

void pop_cli(void)
{
    ASSERT(!cpu_interrupts_enabled());
    ASSERT(ncli > 0);
    if (--ncli == 0 && intena)
        cpu_enable_interrupts();
}

int cli_depth(void)
{
    return ncli;
}

void cli_state_save(int *depth, bool *enabled)
{
    *depth = ncli;
    *enabled = intena;
}

void cli_state_restore(int depth, bool enabled)
{
    ncli = depth;
    intena = enabled;
}
