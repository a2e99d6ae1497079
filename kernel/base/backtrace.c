/* backtrace.c - print the chain of stack frames, innermost first.
 * Lab 1: backtrace_from is exercise 5 (handout §3.4). */
#include <stdbool.h>
#include <stddef.h>

#include "backtrace.h"
#include "console.h"
#include "ksyms.h"
#include "memlayout.h"
#include "tunables.h"             /* BACKTRACE_MAX_FRAMES */

/* Could p be a frame on a kernel stack? Kernel stacks are 8-byte aligned and
 * live in the kernel half; anything else means the chain is corrupt, and
 * following it would fault inside the report of another fault. */
static bool frame_is_sane(const struct stack_frame *p)
{
    uint64_t a = (uint64_t)p;

    return a % 8 == 0 && a >= DIRECT_MAP_BASE && a <= UINT64_MAX - sizeof *p;
}

/* Print "symbol+0xOFFSET" for a return address, or "??" if it is in no
 * known function. The lookup uses rip - 1, the last byte of the call: after a
 * call to a function that never returns (panic, monitor_run), rip is already
 * past the end of the caller. */
static void print_symbol(uint64_t rip)
{
    uint64_t offset;
    const char *name = ksym_lookup(rip - 1, &offset);

    if (name)
        kprintf("%s+0x%lx", name, offset + 1);
    else
        kprintf("??");
}

void backtrace_from(uint64_t rbp)
{
#if SOL >= 1
    const struct stack_frame *frame = (const struct stack_frame *)rbp;

    for (int n = 0; frame != NULL; n++) {
        if (n == BACKTRACE_MAX_FRAMES) {
            kprintf("  ... (stopped after %d frames)\n", n);
            return;
        }
        if (!frame_is_sane(frame)) {
            kprintf("  #%d  rbp=%p is not a kernel stack address: chain ends\n", n,
                    (void *)frame);
            return;
        }
        kprintf("  #%d  rbp=%p  rip=%p  ", n, (void *)frame, (void *)frame->return_rip);
        print_symbol(frame->return_rip);
        kprintf("\n");
        frame = frame->saved_rbp;
    }
#else
    /* LAB 1, exercise 5: print the chain of frames from rbp to the last one,
     * one line each, as backtrace.h specifies (handout §3.4) */
    (void)rbp;
    (void)frame_is_sane;
    (void)print_symbol;
    kprintf("  backtrace: not implemented yet (LAB 1, exercise 5)\n");
#endif
}

void backtrace(void)
{
    backtrace_from((uint64_t)__builtin_frame_address(0));
}
