/* proc.h - user processes: an address space, a thread, a pid. Lab 6.
 * The lower half of a process's address space is its own; the upper half
 * is the kernel's, shared by copying the kernel's 256 upper PML4 entries
 * (each points to a PDPT made at boot, so they never change). Handout lab6
 * §1 draws the split. */
#ifndef PROC_H
#define PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memlayout.h"               /* USER_STACK_TOP, USER_STACK_GUARD, USER_TOP */
#include "mmap.h"                    /* struct mmap_list (Lab 10) */
#include "paging.h"
#include "thread.h"
#include "trap.h"
#include "tunables.h"                /* USER_STACK_PAGES, USER_BRK_MAX, PROC_*, INIT_* */

struct file;

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
#if LAB >= 7
    /* Lab 7. The tree and the exit fields are guarded by proc_tree_lock
     * (process.c); the fd table is [self]: only the process's own thread
     * changes it (fork copies it before the child runs). */
    struct proc *parent;                 /* NULL: started by the kernel, which reaps it */
    struct proc *children;               /* the first child; the rest through sibling */
    struct proc *sibling;
    bool zombie;                         /* ended; exit_status holds wait4's word */
    int exit_status;                     /* Linux's encoding: code << 8, or the signal */
    int killed;                          /* the signal kill() sent (0: none): ends it on its
                                          * way back to ring 3 */
    bool kernel_reaps;                   /* started by init=: proc_run_init reaps it */
    struct waitqueue child_exited;       /* wait4 sleeps here until a child ends */
    struct waitqueue *blocked_on;        /* the queue it sleeps on in proc_sleep, for kill */
    struct file *files[PROC_MAX_FILES];  /* the fd table: NULL is a free fd */
    uint32_t cloexec;                    /* bit fd: close fd on execve (O_CLOEXEC) */
#endif
#if LAB >= 8
    /* Lab 8, [self] like the fd table: the working directory, an open file
     * of it (fork takes another reference, exit drops it; proc never looks
     * inside); NULL: the root. */
    struct file *cwd;
#endif
#if LAB >= 10
    /* Lab 10, [self]: the path of its program, what execve and readlink
     * find at /proc/self/exe (busybox runs its applets through it). */
    char exe[PROC_ARG_MAX];
    uint32_t umask;                      /* the permission bits creat and mkdir clear */
    /* Lab 10, [self]: what mmap handed out (mmap.c); fork copies it,
     * execve empties it, and it goes with the process. */
    struct mmap_list mmaps;
#endif
};

#if LAB >= 10
#define PROC_SELF_EXE "/proc/self/exe"
#endif

/* The process of the running thread, or NULL in a kernel thread. */
struct proc *proc_current(void);

/* Start program name (a boot module) with argv (argc entries, argv[0]
 * included). NULL if it is not there or not a valid executable (a message
 * says why). The caller joins p->thread when it wants to wait. From Lab 8
 * name may be a path, and the program comes from the disk when the file is
 * there (proc_program_exists); the process is named after the part after
 * the last '/'. The same holds for proc_exec. */
struct proc *proc_spawn(const char *name, int argc, char *const argv[]);

/* What execve passes to the new program. */
struct exec_args {
    const char *path;                    /* the program, as proc_spawn takes it */
    int argc;
    char *const *argv;                   /* argv[0] included */
    int envc;                            /* Lab 10: its environment (0, NULL before) */
    char *const *envp;
};

/* Replace the calling process's program (execve) with a->path and make tf
 * return into the new one. 0, or -ENOENT / -ENOEXEC / -ENOMEM with the old
 * program untouched. */
int proc_exec(struct trap_frame *tf, const struct exec_args *a);

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
 * argc and argv on it for the program's entry (Lab 6 handout §1.3). Sets *rsp to
 * the user address of argc. 0, or -ENOMEM (pages mapped so far stay: the
 * caller destroys the address space). Thread context. */
int proc_setup_stack(pte_t *pml4, int argc, char *const argv[], uint64_t *rsp);

/* An exception tf from ring 3 in the running process (called by
 * trap_dispatch, interrupts off). Returns only if the fault was resolved
 * (Lab 6 challenge 1: a first touch of the lazy heap; Lab 7: a write to a
 * copy-on-write page); otherwise prints one line saying why and ends the
 * process with exit(-1) (Lab 6 handout §3.5). */
void proc_fault(const struct trap_frame *tf);

/* Does brk only reserve the heap (the command line's lazybrk=1, challenge 1),
 * pages being mapped on their first touch (proc_fault)? False without
 * lazybrk=1. Any context, no lock; may call cmdline_get_int. */
bool proc_heap_is_lazy(void);

/* Free a user frame of an address space (from Lab 7 through frame_release:
 * fork may have shared it). */
void user_frame_free(uint64_t pa);

/* nanosleep's sleep of ms milliseconds (thread_sleep); from Lab 7 it ends
 * early when the process is killed. */
void proc_nap(uint64_t ms);

/* Print "NAME: exit(STATUS)" when a process ends, and why an exec was
 * refused (true; Lab 7's shell session turns it off: the shell says it). */
extern bool proc_report;

/* The page tables to load for thread t (its process's, or the kernel's). */
uint64_t proc_cr3_of(const struct thread *t);

#if LAB >= 8
/* ---- Lab 8: programs from the disk (proc.c) ---- */

/* Set by the file system once it is mounted (proc never calls fs): read the
 * whole regular file at path (from the caller's cwd, the root for a kernel
 * thread) into *image, a kmalloc'ed copy the caller frees, its size in
 * *len; with image NULL only say whether it is there. 0 or a negative
 * errno (-ENOENT: not on the disk). Thread context, no lock held. */
extern int (*proc_program_reader)(const char *path, void **image, size_t *len);

/* Is program name there to start: a boot module, or /bin/NAME (a name
 * with a '/': that path) on the disk? */
bool proc_program_exists(const char *name);
#endif

#if LAB >= 7
/* ---- Lab 7: the process tree (process.c) ---- */

#define WNOHANG 1                    /* wait4: return 0 at once if no child has ended */
#define W_EXITCODE(code) (((code) & 0xff) << 8)   /* wait4's status word of exit(code) */
#define SIGKILL 9
#define SIGTERM 15

/* Guards every process's parent, children, sibling, zombie, exit_status and
 * killed, and the table of processes. */
extern struct spinlock proc_tree_lock;

/* A new process, not yet running: a pid (never one a living or zombie
 * process holds), no address space, no files, no thread, and already a
 * child of parent (NULL: the kernel's, which reaps it). NULL if PROC_MAX
 * processes exist (fork: -EAGAIN) or memory ran out. */
struct proc *proc_alloc(struct proc *parent, const char *name);

/* Undo proc_alloc for a process that never ran (its address space, if any,
 * is destroyed; it has no open files). */
void proc_discard(struct proc *p);

/* An empty address space (the kernel's upper half only), or NULL; and
 * freeing one with every user frame in it (frame_release). Not the one
 * loaded in CR3. */
pte_t *as_create(void);
void as_destroy(pte_t *pml4);

/* The process with this pid (alive or zombie), or NULL. Hold proc_tree_lock. */
struct proc *proc_find(int pid);

/* End process p, the caller's own, with wait4's status word wstatus: close
 * its files, free its address space, make it a zombie for its parent to
 * reap, give its children to pid 1 (or the kernel), and end its thread
 * with value (exit()'s whole argument, or minus the signal if killed:
 * what proc_reap returns). */
void proc_end(struct proc *p, int wstatus, int value) __attribute__((noreturn));

/* Free a zombie nobody else can reach any more (its thread is joined here).
 * Returns its thread's value (proc_end): for a process the kernel started
 * (proc_spawn), exit()'s argument in full, not wait4's 8 bits. */
int proc_reap(struct proc *p);

/* Sleep on wq like waitqueue_sleep (lock held, interrupts off), but
 * so that kill() can wake the sleeper. Returns -EINTR if the process was
 * killed (before or while it slept), else 0; the caller checks its
 * condition again either way. */
int proc_sleep(struct waitqueue *wq, struct spinlock *lock);

/* Has the calling process been killed (kill)? */
bool proc_killed(void);

/* Copy-on-write (fork.c). A user page shared by fork is mapped read-only
 * with PTE_COW set in both address spaces; the first write copies it. */
#define PTE_COW (1ull << 9)          /* a bit the CPU leaves to software */

/* fork: a copy of the calling process returning into tf's place in both,
 * the child's pid in the parent, 0 in the child; -EAGAIN or -ENOMEM (see
 * fork.c). From Lab 10 clone's fork-like form adds: the child starts on
 * child_stack (0: the parent's rsp), and its pid is stored at the user
 * address set_tid in the child (0: nowhere). */
long proc_fork(struct trap_frame *tf, uint64_t child_stack, uint64_t set_tid);

/* Share every present user page of parent (the running address space) with
 * child (new, not running), as share_page does for one page (exercise 1),
 * then flush the parent's TLB (its writable pages became read-only). 0, or
 * -ENOMEM (pages shared so far stay: the caller destroys child). Thread
 * context, the parent's own thread. Given. */
int as_copy_cow(pte_t *parent, pte_t *child);

/* A write to the page at va (page-aligned) of pml4 (the running address
 * space for a fault; any, e.g. the in-kernel test's made-up ones): if no
 * page is there or it has no PTE_COW, -EFAULT (a real fault). Otherwise the
 * page becomes private and writable, PTE_COW cleared, holding the same
 * bytes: a copy in a fresh frame while other address spaces own the frame
 * (which then has one owner fewer), or the frame itself once nobody else
 * does; invlpg(va). 0, or -ENOMEM (nothing changed). Any interrupt state
 * (interrupts off from proc_fault); calls frame_owners, pmm_alloc, memcpy,
 * frame_release, invlpg. Exercise 1 (handout §3.1). */
int cow_break(pte_t *pml4, uint64_t va);

/* Break the copy-on-write of every PTE_COW user page in [addr, addr + len)
 * of pml4, before the kernel writes there for the process (copy_to_user
 * does it). 0, or -ENOMEM; a hole or a range outside the user half is left
 * for user_range_ok to refuse. Given. */
int cow_prepare_write(pte_t *pml4, uint64_t addr, uint64_t len);

/* The eager copy fork makes instead while fork_eager is set: every page of
 * parent copied into child at once. 0 or -ENOMEM. Only `make bench` sets
 * fork_eager (kernel/tests/lab7.c), to time it against copy-on-write;
 * nothing else does, so fork is graded as copy-on-write. */
int as_copy_eager(pte_t *parent, pte_t *child);
extern bool fork_eager;
#endif

#endif
