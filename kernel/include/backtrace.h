/* backtrace.h - walk the chain of saved frame pointers.
 * Lab 1, exercise 5 (handout §3.4). */
#ifndef BACKTRACE_H
#define BACKTRACE_H

#include <stdint.h>

/* The two words at the bottom of every frame, where rbp points (the kernel is
 * built with -fno-omit-frame-pointer, so every function pushes rbp). */
struct stack_frame {
    struct stack_frame *saved_rbp;   /* the caller's rbp */
    uint64_t return_rip;             /* where the caller resumes */
};

/* Print one line per frame, starting with the frame at rbp and ending at the
 * frame whose saved rbp is 0 (set in boot.asm before kmain):
 *   #N  rbp=0x%016lx  rip=0x%016lx  symbol+0xOFFSET
 * A frame pointer that is not a sane kernel stack address ends the walk
 * with a line saying so. */
void backtrace_from(uint64_t rbp);

/* Backtrace of the caller of backtrace(): frame #0 is backtrace's own frame,
 * whose return rip lies in the caller. */
void backtrace(void);

#endif
