/* proc.h - user processes: an address space, a thread, a pid. Lab 6.
 * The lower half of a process's address space is its own; the upper half
 * is the kernel's, shared by copying the kernel's 256 upper PML4 entries
 * (each points to a PDPT made at boot, so they never change). Handout lab6
 * §1 draws the split. */
#ifndef PROC_H
#define PROC_H

#include <stdbool.h>
#include <stdint.h>

#include "memlayout.h"               /* USER_STACK_TOP, USER_STACK_GUARD, USER_TOP */
#include "paging.h"
#include "thread.h"
#include "trap.h"
#include "tunables.h"                /* USER_STACK_PAGES, USER_BRK_MAX, PROC_*, INIT_* */

/* No lock: pid and thread are set by proc_spawn before the thread runs,
 * then read-only; name, pml4, brk_start and brk change only in the
 * process's own thread (its system calls: execve, brk; pml4 with
 * interrupts off), and other threads only read pml4, through proc_cr3_of
 * at a switch, interrupts off. */
struct proc {
    int pid;
    char name[THREAD_NAME_MAX];
    pte_t *pml4;                         /* the address space, through the direct map */
    uint64_t brk_start, brk;             /* the heap: [brk_start, brk), mapped (or reserved:
                                          * proc_heap_is_lazy) */
    struct thread *thread;
};

/* The process of the running thread, or NULL in a kernel thread. */
struct proc *proc_current(void);

/* Start program name (a boot module) with argv (argc entries, argv[0]
 * included). NULL if it is not there or not a valid executable (a message
 * says why). The caller joins p->thread when it wants to wait. */
struct proc *proc_spawn(const char *name, int argc, char *const argv[]);

/* Replace the calling process's program (execve) and make tf return into
 * the new one. 0, or -ENOENT / -ENOEXEC / -ENOMEM with the old program
 * untouched. */
int proc_exec(struct trap_frame *tf, const char *name, int argc, char *const argv[]);

/* End the calling process with status: prints "NAME: exit(STATUS)". */
void proc_exit(int status) __attribute__((noreturn));

/* Run init=... from the command line (cmdline.h) and power off when all
 * have ended. A value that breaks a limit (more than INIT_MAX_LEN
 * characters or INIT_MAX_PROGS programs, more than PROC_MAX_ARGS words for
 * one program, a word of PROC_ARG_MAX characters or more) or has an empty
 * program name runs nothing: a line says why, and the power-off is a failure. */
void proc_run_init(const char *spec) __attribute__((noreturn));

/* Map the user stack of pml4 (USER_STACK_PAGES pages below
 * USER_STACK_TOP, the guard page below them left unmapped) and lay out
 * argc and argv on it for the program's entry (handout §1.3). Sets *rsp to
 * the user address of argc. 0, or -ENOMEM (pages mapped so far stay: the
 * caller destroys the address space). Thread context. */
int proc_setup_stack(pte_t *pml4, int argc, char *const argv[], uint64_t *rsp);

/* An exception tf from ring 3 in the running process (called by
 * trap_dispatch, interrupts off). Returns only if the fault was resolved
 * (challenge 1: a first touch of the lazy heap); otherwise prints one line
 * saying why and ends the process with exit(-1) (handout §3.5). */
void proc_fault(const struct trap_frame *tf);

/* Does brk only reserve the heap (the command line's lazybrk=1, challenge 1),
 * pages being mapped on their first touch (proc_fault)? False without
 * lazybrk=1. Any context, no lock; may call cmdline_get_int. */
bool proc_heap_is_lazy(void);

/* The page tables to load for thread t (its process's, or the kernel's). */
uint64_t proc_cr3_of(const struct thread *t);

#endif
