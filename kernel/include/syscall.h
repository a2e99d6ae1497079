/* syscall.h - system calls: int 0x80, Linux x86-64 numbers. Lab 6.
 * rax = number; arguments in rdi, rsi, rdx, r10, r8, r9; the result in rax,
 * an error as a negative errno (handout lab6 §1.2). */
#ifndef SYSCALL_H
#define SYSCALL_H

#include "trap.h"

#define SYS_read        0
#define SYS_write       1
#define SYS_close       3            /* Lab 7 on */
#define SYS_brk         12
#define SYS_pipe        22           /* Lab 7 on */
#define SYS_sched_yield 24
#define SYS_dup         32           /* Lab 7 on */
#define SYS_dup2        33           /* Lab 7 on */
#define SYS_nanosleep   35
#define SYS_getpid      39
#define SYS_fork        57           /* Lab 7 on */
#define SYS_execve      59
#define SYS_exit        60
#define SYS_wait4       61           /* Lab 7 on */
#define SYS_kill        62           /* Lab 7 on */
#define SYS_sysinfo     99           /* Lab 7 on */
#define SYS_getppid     110          /* Lab 7 on */
#define SYS_exit_group  231
#define SYS_pipe2       293          /* Lab 7 on */
#if LAB >= 8
/* Lab 8: files (kernel/fs/fsyscall.c, fsname.c) and power-off. */
#define SYS_open        2
#define SYS_stat        4
#define SYS_fstat       5
#define SYS_lstat       6
#define SYS_lseek       8
#define SYS_pread64     17
#define SYS_pwrite64    18
#define SYS_fsync       74
#define SYS_fdatasync   75
#define SYS_truncate    76
#define SYS_ftruncate   77
#define SYS_getcwd      79
#define SYS_chdir       80
#define SYS_fchdir      81
#define SYS_rename      82
#define SYS_mkdir       83
#define SYS_rmdir       84
#define SYS_link        86
#define SYS_unlink      87
#define SYS_symlink     88
#define SYS_readlink    89
#define SYS_statfs      137
#define SYS_fstatfs     138
#define SYS_sync        162
#define SYS_reboot      169
#define SYS_getdents64  217
#define SYS_openat      257
#define SYS_mkdirat     258
#define SYS_newfstatat  262
#define SYS_unlinkat    263

#define PATH_MAX        4096         /* bytes of a path, its NUL included (Linux's) */
#endif
#if LAB >= 7
#define NSYSCALLS       335          /* up to Linux's rseq (334), which Lab 10 meets */
#else
#define NSYSCALLS       232
#endif

/* A system call: the trap frame (for what the first three arguments leave
 * out: r10, r8, r9) and tf->rdi, tf->rsi, tf->rdx; its result for tf->rax. */
typedef long (*syscall_fn)(struct trap_frame *tf, uint64_t a0, uint64_t a1, uint64_t a2);

/* Register a system call next to its code, from Lab 7 on: the dispatcher's
 * table gets it at boot. A registered call replaces the table's own entry
 * for that number (Lab 7's fd table takes over read and write). */
struct syscall_entry {
    unsigned nr;
    syscall_fn fn;
};
#define SYSCALL(nr_, fn_)                                                      \
    static const struct syscall_entry syscall_entry_##fn_##_##nr_             \
        __attribute__((used, section("syscalls"), aligned(8))) = {(nr_), fn_}

/* Run the system call in tf (from ring 3, or a test's made-up frame) and
 * put its result in tf->rax. The number is tf->rax, unsigned: one that is
 * NSYSCALLS or more, or names a hole of the table, gives -ENOSYS (-38) and
 * calls nothing. The call gets tf (execve rewrites it) and the first three
 * arguments, tf->rdi, tf->rsi, tf->rdx; its long result, an error as a
 * negative errno, goes to tf->rax as it is. Interrupts on, no lock held:
 * a call may block (read, nanosleep) or not return (exit, a good execve
 * returns into the new program). Calls nothing but the table's entry. */
void syscall_dispatch(struct trap_frame *tf);

#if LAB >= 10
/* Lab 10: what every number without a call runs (linuxcalls.c): -ENOSYS,
 * and with `strace` on the command line a line naming the number, once. */
long syscall_unknown(struct trap_frame *tf, uint64_t a0, uint64_t a1, uint64_t a2);
#endif

#endif
