/* tls.c - the FS base: where a Linux program keeps its thread-local
 * storage. Lab 10, exercise 2 with auxv.c (handout §3.2).
 * glibc and musl put their thread control block in memory they choose and
 * point FS at it with arch_prctl(ARCH_SET_FS); every %fs: access (errno,
 * the stack protector's canary at %fs:0x28) then goes there. The base is a
 * per-thread register the kernel must keep: saved in the thread, loaded at
 * every switch, copied by fork, zeroed by execve. */
#include "linux.h"
#include "cli.h"
#include "errno.h"
#include "memlayout.h"
#include "panic.h"
#include "proc.h"
#include "syscall.h"
#include "uaccess.h"
#include "x86.h"

#define SYS_arch_prctl 158

/* Contract in linux.h. */
void tls_switch_in(struct thread *next)
{
    ASSERT(!cpu_interrupts_enabled());
#if SOL >= 10
    if (next->proc != NULL)          /* always: ring 3 may have reloaded %fs itself */
        wrmsr(MSR_FS_BASE, next->fs_base);
#else
    /* LAB 10, exercise 2: load next's FS base when it runs a process
     * (handout §3.2) */
    (void)next;
#endif
}

/* arch_prctl(code, addr): ARCH_SET_FS makes addr the calling thread's FS
 * base, now and after every switch (-EPERM for an address outside the user
 * half: wrmsr would fault on a non-canonical one); ARCH_GET_FS stores it at
 * the user address addr (-EFAULT). Other codes: -EINVAL. Thread context;
 * interrupts on. Exercise 2 (handout §3.2). */
static long sys_arch_prctl(struct trap_frame *tf, uint64_t code, uint64_t addr, uint64_t a2)
{
    (void)tf, (void)a2;
#if SOL >= 10
    if (code == ARCH_SET_FS) {
        if (addr >= USER_TOP)
            return -EPERM;
        push_cli();                  /* the thread and the CPU agree before a switch */
        current->fs_base = addr;
        wrmsr(MSR_FS_BASE, addr);
        pop_cli();
        return 0;
    }
    if (code == ARCH_GET_FS)
        return copy_to_user(proc_current()->pml4, addr, &current->fs_base, 8) ? -EFAULT : 0;
    return -EINVAL;
#else
    /* LAB 10, exercise 2: ARCH_SET_FS and ARCH_GET_FS (handout §3.2) */
    (void)code, (void)addr;
    return -ENOSYS;
#endif
}
SYSCALL(SYS_arch_prctl, sys_arch_prctl);
