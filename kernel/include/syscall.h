/* syscall.h - system calls: int 0x80, Linux x86-64 numbers. Lab 6.
 * rax = number; arguments in rdi, rsi, rdx, r10, r8, r9; the result in rax,
 * an error as a negative errno (handout lab6 §1.2). */
#ifndef SYSCALL_H
#define SYSCALL_H

#include "trap.h"

#define SYS_read        0
#define SYS_write       1
#define SYS_brk         12
#define SYS_sched_yield 24
#define SYS_nanosleep   35
#define SYS_getpid      39
#define SYS_execve      59
#define SYS_exit        60
#define SYS_exit_group  231
#define NSYSCALLS       232

/* Run the system call in tf (from ring 3, or a test's made-up frame) and
 * put its result in tf->rax. The number is tf->rax, unsigned: one that is
 * NSYSCALLS or more, or names a hole of the table, gives -ENOSYS (-38) and
 * calls nothing. The call gets tf (execve rewrites it) and the first three
 * arguments, tf->rdi, tf->rsi, tf->rdx; its long result, an error as a
 * negative errno, goes to tf->rax as it is. Interrupts on, no lock held:
 * a call may block (read, nanosleep) or not return (exit, a good execve
 * returns into the new program). Calls nothing but the table's entry. */
void syscall_dispatch(struct trap_frame *tf);

#endif
