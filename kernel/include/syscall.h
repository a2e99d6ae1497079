/* syscall.h - system calls: int 0x80, Linux x86-64 numbers. Lab 6.
 * rax = number; arguments in rdi, rsi, rdx, r10, r8, r9; the result in rax,
 * an error as a negative errno (DESIGN §7, handout lab6 §2.4). */
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

/* Run the system call in tf (from ring 3, interrupts on) and put its
 * result in tf->rax. */
void syscall_dispatch(struct trap_frame *tf);

#endif
