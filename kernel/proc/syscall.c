/* syscall.c - the system calls and their dispatcher.
 * Lab 6: syscall_dispatch and copy_argv (execve's arguments) are
 * exercise 4 (handout §3.4); the other calls are given. Every user pointer
 * goes through uaccess.h. */
#include <stddef.h>

#include "syscall.h"
#include "console.h"
#include "errno.h"
#include "kmalloc.h"
#include "memlayout.h"
#include "pit.h"
#include "pmm.h"
#include "proc.h"
#include "string.h"
#include "uaccess.h"
#include "kinit.h"
#include "panic.h"

static pte_t *user_space(void)
{
    return proc_current()->pml4;
}

/* read(0, buf, count): one line from the console (echoed), at most count. */
static long sys_read(struct trap_frame *tf, uint64_t fd, uint64_t buf, uint64_t count)
{
    char line[256];
    size_t n = 0;

    (void)tf;
    if (fd != 0)
        return -EBADF;
    if (count > sizeof line)
        count = sizeof line;
    if (!user_range_ok(user_space(), buf, count, true))
        return -EFAULT;
    while (n < count) {
        char c = (char)console_getc();
        if (c == '\r')
            c = '\n';
        console_write_n(&c, 1);          /* the echo */
        line[n++] = c;
        if (c == '\n')
            break;
    }
    return copy_to_user(user_space(), buf, line, n) ? -EFAULT : (long)n;
}

/* write(1 or 2, buf, count): all of buf is checked before a byte is shown. */
static long sys_write(struct trap_frame *tf, uint64_t fd, uint64_t buf, uint64_t count)
{
    char chunk[256];

    (void)tf;
    if (fd != 1 && fd != 2)
        return -EBADF;
    if (!user_range_ok(user_space(), buf, count, false))
        return -EFAULT;
    for (uint64_t done = 0; done < count;) {
        size_t n = count - done < sizeof chunk ? count - done : sizeof chunk;
        copy_from_user(user_space(), chunk, buf + done, n);
        console_write_n(chunk, n);
        done += n;
    }
    return (long)count;
}

static long sys_exit(struct trap_frame *tf, uint64_t status, uint64_t a1, uint64_t a2)
{
    (void)tf, (void)a1, (void)a2;
    proc_exit((int)status);
}

static long sys_getpid(struct trap_frame *tf, uint64_t a0, uint64_t a1, uint64_t a2)
{
    (void)tf, (void)a0, (void)a1, (void)a2;
    return proc_current()->pid;
}

static long sys_sched_yield(struct trap_frame *tf, uint64_t a0, uint64_t a1, uint64_t a2)
{
    (void)tf, (void)a0, (void)a1, (void)a2;
    thread_yield();
    return 0;
}

struct timespec64 {
    int64_t tv_sec;
    int64_t tv_nsec;
};

static long sys_nanosleep(struct trap_frame *tf, uint64_t req, uint64_t rem, uint64_t a2)
{
    struct timespec64 ts, zero = {0, 0};

    (void)tf, (void)a2;
    if (copy_from_user(user_space(), &ts, req, sizeof ts))
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000 || ts.tv_sec > 1000000)
        return -EINVAL;
    proc_nap((uint64_t)ts.tv_sec * 1000 + ((uint64_t)ts.tv_nsec + 999999) / 1000000);
    if (rem && copy_to_user(user_space(), rem, &zero, sizeof zero))
        return -EFAULT;
    return 0;
}

/* brk(addr): move the end of the heap; returns the new end, or the old one
 * if addr is 0, out of range, or memory ran out (Linux's convention). A
 * lazy heap (lazybrk=1, challenge 1) is only reserved here: proc_fault
 * maps its pages when they are first touched. */
static long sys_brk(struct trap_frame *tf, uint64_t addr, uint64_t a1, uint64_t a2)
{
    struct proc *p = proc_current();
    uint64_t old_top = (p->brk + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    uint64_t new_top = (addr + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    bool lazy = proc_heap_is_lazy();

    (void)tf, (void)a1, (void)a2;
    if (addr < p->brk_start || addr > p->brk_start + USER_BRK_MAX)
        return (long)p->brk;
    for (uint64_t va = old_top; va < new_top && !lazy; va += PAGE_SIZE) { /* grow: zeroed pages */
        uint64_t pa = pmm_alloc_zeroed();
        if (pa == 0 || vmm_map(p->pml4, va, pa, VM_USER | VM_WRITE) != 0) {
            if (pa)
                pmm_free(pa);
            while (va > old_top) {
                va -= PAGE_SIZE;
                vmm_unmap(p->pml4, va, &pa);
                pmm_free(pa);
            }
            return (long)p->brk;
        }
    }
    for (uint64_t va = new_top; va < old_top; va += PAGE_SIZE) {      /* shrink (lazy: mapped ones) */
        uint64_t pa;
        if (vmm_unmap(p->pml4, va, &pa) == 0)
            user_frame_free(pa);
    }
#if LAB >= 10
    if (new_top < old_top)                   /* a MAP_FIXED mapping in the heap went too */
        mmap_list_remove(&p->mmaps, new_top, old_top);
#endif
    p->brk = addr;
    return (long)addr;
}

/* Copy execve's argv, the user address of a NULL-terminated array of
 * user string pointers (8 bytes each), into the kernel: string k into
 * args[k], argp[k] = args[k]. Returns argc (0 for an empty array); -EFAULT
 * if an entry of the array or a byte of a string is not readable user
 * memory; -E2BIG for more than PROC_MAX_ARGS strings, or a string of
 * PROC_ARG_MAX bytes or more (no NUL within PROC_ARG_MAX). Reads no entry
 * past the NULL one. Thread context, interrupts on; may call
 * copy_from_user and strncpy_from_user. */
static long copy_argv(uint64_t argv, char (*args)[PROC_ARG_MAX], char **argp)
{
#if SOL >= 6
    for (int argc = 0;; argc++) {
        uint64_t ptr;
        if (copy_from_user(user_space(), &ptr, argv + argc * 8, 8))
            return -EFAULT;
        if (ptr == 0)
            return argc;
        if (argc == PROC_MAX_ARGS)
            return -E2BIG;
        long len = strncpy_from_user(user_space(), args[argc], ptr, PROC_ARG_MAX);
        if (len < 0)
            return len == -EFAULT ? -EFAULT : -E2BIG;
        argp[argc] = args[argc];
    }
#else
    /* LAB 6, exercise 4: copy the user's NULL-terminated argv array and
     * its strings into args and argp; argc, -EFAULT or -E2BIG (handout §3.4) */
    (void)argv, (void)args, (void)argp;
    return -EFAULT;
#endif
}

#if LAB >= 10
/* Copy execve's envp like argv into env and envv, but keep only what fits
 * ENV_BUDGET bytes (and PROC_MAX_ARGS strings): the rest is dropped, so the
 * first stack always has room. Returns envc or -EFAULT; envp 0: none. */
#define ENV_BUDGET 1024
static long copy_envp(uint64_t envp, char *env, char **envv)
{
    size_t used = 0;
    int envc = 0;

    for (int i = 0; envp && envc < PROC_MAX_ARGS; i++) {
        uint64_t ptr;
        if (copy_from_user(user_space(), &ptr, envp + i * 8, 8))
            return -EFAULT;
        if (ptr == 0)
            break;
        long len = strncpy_from_user(user_space(), env + used, ptr, ENV_BUDGET - used);
        if (len == -EFAULT)
            return -EFAULT;
        if (len < 0)
            continue;                    /* too long for what is left: dropped */
        envv[envc++] = env + used;
        used += len + 1;
    }
    return envc;
}
#endif

#if LAB >= 8
/* execve(path, argv, envp): the program at path on the disk, else the boot
 * module named by the part of path after the last '/' (proc_exec); envp is
 * ignored before Lab 10, and from Lab 10 "/proc/self/exe" is the caller's
 * own program. */
static long sys_execve(struct trap_frame *tf, uint64_t path, uint64_t argv, uint64_t envp)
{
    char *argp[PROC_MAX_ARGS];
    char (*args)[PROC_ARG_MAX] = kmalloc(PROC_MAX_ARGS * PROC_ARG_MAX + PATH_MAX);
    char *name = (char *)(args + PROC_MAX_ARGS);       /* after the arguments: 6 KiB in all */
    struct exec_args a = {.path = name, .argv = argp};
    long err;

    if (args == NULL)
        return -ENOMEM;
#if LAB >= 10
    char *envv[PROC_MAX_ARGS], *env = kmalloc(ENV_BUDGET);
    a.envp = envv;
#else
    (void)envp;
#endif
    long n = strncpy_from_user(user_space(), name, path, PATH_MAX);
    if (n < 0)
        err = n == -EFAULT ? -EFAULT : -ENAMETOOLONG;
    else if (n == 0)
        err = -ENOENT;
#if LAB >= 10
    else if (env == NULL)
        err = -ENOMEM;
    else if ((err = copy_envp(envp, env, envv)) < 0)
        ;
    else if ((a.envc = (int)err, err = copy_argv(argv, args, argp)) >= 0) {
        if (strcmp(name, PROC_SELF_EXE) == 0)
            a.path = proc_current()->exe;
#else
    else if ((err = copy_argv(argv, args, argp)) >= 0) {
#endif
        a.argc = (int)err;
        err = proc_exec(tf, &a);
    }
#if LAB >= 10
    kfree(env);
#endif
    kfree(args);
    return err;
}
#else
/* execve(path, argv, envp): the program's name is the part of path after
 * the last '/'; envp is ignored. */
static long sys_execve(struct trap_frame *tf, uint64_t path, uint64_t argv, uint64_t envp)
{
    char name[64], *argp[PROC_MAX_ARGS];
    char (*args)[PROC_ARG_MAX] = kmalloc(PROC_MAX_ARGS * PROC_ARG_MAX);   /* 2 KiB: not on the stack */
    long n = strncpy_from_user(user_space(), name, path, sizeof name);
    long err;

    (void)envp;
    if (args == NULL)
        return -ENOMEM;
    if (n < 0)
        err = n == -EFAULT ? -EFAULT : -ENAMETOOLONG;
    else if ((err = copy_argv(argv, args, argp)) >= 0) {
        char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
        struct exec_args a = {.path = base, .argc = (int)err, .argv = argp};
        err = proc_exec(tf, &a);
    }
    kfree(args);
    return err;
}
#endif


static syscall_fn syscalls[NSYSCALLS] = {   /* boot adds the registered ones */
    [SYS_read] = sys_read,
    [SYS_write] = sys_write,
    [SYS_brk] = sys_brk,
    [SYS_sched_yield] = sys_sched_yield,
    [SYS_nanosleep] = sys_nanosleep,
    [SYS_getpid] = sys_getpid,
    [SYS_execve] = sys_execve,
    [SYS_exit] = sys_exit,
    [SYS_exit_group] = sys_exit,
};

extern const struct syscall_entry __start_syscalls[], __stop_syscalls[];

/* Boot step: the calls later labs register next to their code (SYSCALL). */
static void syscalls_register(void)
{
    for (const struct syscall_entry *e = __start_syscalls; e < __stop_syscalls; e++) {
        ASSERT(e->nr < NSYSCALLS);
        syscalls[e->nr] = e->fn;
    }
#if LAB >= 10
    for (int n = 0; n < NSYSCALLS; n++)      /* Lab 10: -ENOSYS, logged with strace */
        if (syscalls[n] == NULL)
            syscalls[n] = syscall_unknown;
#endif
}
KINIT(64, syscalls_register);

/* Contract in syscall.h. */
void syscall_dispatch(struct trap_frame *tf)
{
#if SOL >= 6
    uint64_t n = tf->rax;

    if (n < NSYSCALLS && syscalls[n])
        tf->rax = (uint64_t)syscalls[n](tf, tf->rdi, tf->rsi, tf->rdx);
    else
        tf->rax = (uint64_t)-ENOSYS;
#else
    /* LAB 6, exercise 4: run the system call tf->rax names in syscalls[]
     * with its arguments, its result in tf->rax; any number that names none
     * gives -ENOSYS (handout §3.4) */
    (void)syscalls;
    tf->rax = (uint64_t)-ENOSYS;
#endif
}
