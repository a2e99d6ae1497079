/* cli.h - turning interrupts off, nested. Lab 1 (given), used from Lab 3 on.
 * push_cli turns interrupts off and counts; pop_cli turns them back on only
 * when the count returns to 0 and they were on at the outermost push_cli.
 * On this one-CPU kernel that is the lock of short critical sections that
 * an interrupt handler may also enter (the frame allocator, spinlocks). */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>

/* The depth and the saved flag (cli.c) belong to the running thread: they
 * change only with interrupts off, and the scheduler saves and restores them
 * at a switch. */

/* Interrupts off, nested: the flag is restored by the last pop_cli. */
void push_cli(void);
void pop_cli(void);             /* interrupts must be off, inside a push_cli */
int cli_depth(void);

/* For the scheduler: the interrupt-off state belongs to the running thread. */
void cli_state_save(int *depth, bool *enabled);
void cli_state_restore(int depth, bool enabled);

#endif
