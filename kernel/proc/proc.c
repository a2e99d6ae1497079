/* proc.c - user processes: address spaces, starting programs, exec, exit,
 * faults, and the init=... runner. Lab 6: stack_layout (the program's first
 * stack) and proc_switch_in (what a thread's ring 3 needs loaded) are part
 * of exercise 2 (handout §3.2), fault_kill is exercise 5 (handout §3.5),
 * proc_heap_is_lazy and heap_fault challenge 1 (handout §6); the rest is
 * given. */
#include <stddef.h>

#include "proc.h"
#include "cmdline.h"
#include "console.h"
#include "elf.h"
#include "file.h"
#include "frameref.h"
#include "errno.h"
#include "gdt.h"
#include "kmalloc.h"
#include "memlayout.h"
#include "multiboot2.h"
#include "panic.h"
#include "pit.h"
#include "pmm.h"
#include "power.h"
#include "printf.h"
#include "string.h"
#include "thread.h"
#include "uaccess.h"
#include "x86.h"
#include "kinit.h"
#if LAB >= 10
#include "linux.h"
#endif

#define AT_NULL   0                  /* the auxiliary vector's last entry */
#define AT_PAGESZ 6                  /* its value: the page size */

#if LAB >= 7
/* pids come from proc_alloc (process.c), with the process tree */
#else
static int next_pid = 1;
#endif
bool proc_report = true;

void enter_user(uint64_t entry, uint64_t user_rsp);   /* usermode.asm */

struct proc *proc_current(void)
{
    return current ? current->proc : NULL;
}

static uint64_t pml4_phys(const pte_t *pml4)
{
    return (uint64_t)pml4 - DIRECT_MAP_BASE;
}

uint64_t proc_cr3_of(const struct thread *t)
{
    ASSERT(t != NULL);
    return pml4_phys(t->proc ? t->proc->pml4 : kernel_pml4);
}

/* ---- address spaces ---------------------------------------------------------- */

/* Contract in proc.h. */
void proc_nap(uint64_t ms)
{
#if LAB >= 7
    uint64_t hz = pit_hz(), end = pit_ticks() + (ms * hz + 999) / 1000;

    if (ms == 0)
        thread_sleep(0);
    while (!proc_killed() && pit_ticks() < end) {        /* kill ends it within 10 ms */
        uint64_t left = (end - pit_ticks()) * 1000 / hz;
        thread_sleep(left < 10 ? left : 10);
    }
#else
    thread_sleep(ms);
#endif
}

/* Contract in proc.h. */
void user_frame_free(uint64_t pa)
{
#if LAB >= 7
    frame_release(pa);               /* fork may have shared it */
#else
    pmm_free(pa);
#endif
}

/* A new address space: an empty lower half, the kernel's upper half. */
pte_t *as_create(void)
{
    uint64_t pa = pmm_alloc_zeroed();

    if (pa == 0)
        return NULL;
    pte_t *pml4 = phys_to_virt(pa);
    for (int i = 256; i < 512; i++)
        pml4[i] = kernel_pml4[i];
    return pml4;
}

/* Free the frames and tables of a table at level (2: a PDPT ... 0: a PT). */
static void free_table(pte_t *table, int level)
{
    for (int i = 0; i < 512; i++) {
        if (!(table[i] & PTE_P))
            continue;
        if (level == 0)
            user_frame_free(table[i] & PTE_ADDR);
        else
            free_table(phys_to_virt(table[i] & PTE_ADDR), level - 1);
    }
    pmm_free((uint64_t)table - DIRECT_MAP_BASE);
}

/* Free everything of the lower half, then the PML4. Not the running one. */
void as_destroy(pte_t *pml4)
{
    for (int i = 0; i < 256; i++)
        if (pml4[i] & PTE_P)
            free_table(phys_to_virt(pml4[i] & PTE_ADDR), 2);
    pmm_free(pml4_phys(pml4));
}

/* ---- loading a program -------------------------------------------------------- */

/* Lay out the program's first stack (System V ABI, handout §1.3) in page,
 * the kernel's view (through the direct map) of the zeroed user page
 * [USER_STACK_TOP - PAGE_SIZE, USER_STACK_TOP): the argc strings of argv,
 * each with its NUL, anywhere in the page above the words; the words at
 * the returned address, going up: argc, the user addresses of argv[0..argc-1],
 * 0 (the end of argv), 0 (an empty envp), then the auxiliary vector as
 * pairs (AT_PAGESZ, PAGE_SIZE), (AT_NULL, 0). Returns that address, the
 * program's rsp at entry: 16-byte aligned. argc is 0..PROC_MAX_ARGS, each
 * string shorter than PROC_ARG_MAX, so all fits in the page. No lock, no
 * allocation; may call strlen and memcpy. */
static uint64_t stack_layout(uint8_t *page, int argc, char *const argv[])
{
    ASSERT(page != NULL && argc >= 0 && argc <= PROC_MAX_ARGS);
#if SOL >= 6
    uint64_t base = USER_STACK_TOP - PAGE_SIZE, top = USER_STACK_TOP;
    uint64_t strings[PROC_MAX_ARGS];

    for (int i = argc - 1; i >= 0; i--) {        /* the strings, at the very top */
        size_t n = strlen(argv[i]) + 1;
        top -= n;
        strings[i] = top;
        memcpy(page + (top - base), argv[i], n);
    }
    uint64_t words[PROC_MAX_ARGS + 7];
    int n = 0;
    words[n++] = (uint64_t)argc;
    for (int i = 0; i < argc; i++)
        words[n++] = strings[i];
    words[n++] = 0;                              /* the end of argv */
    words[n++] = 0;                              /* envp: empty */
    words[n++] = AT_PAGESZ, words[n++] = PAGE_SIZE;
    words[n++] = AT_NULL, words[n++] = 0;
    uint64_t rsp = (top - n * 8) & ~15ull;       /* rsp at entry: 16-byte aligned */
    memcpy(page + (rsp - base), words, n * 8);
    return rsp;
#else
    /* LAB 6, exercise 2: put argv's strings and, 16-byte aligned below
     * them, argc, argv, an empty envp and the auxiliary vector in page, the
     * top page of the user stack; return the user address of argc (handout §3.2) */
    (void)argv;
    return USER_STACK_TOP - 16;
#endif
}

_Static_assert(PROC_MAX_ARGS * PROC_ARG_MAX + (PROC_MAX_ARGS + 7) * 8 + 16 <= PAGE_SIZE,
               "argv and the first stack's words fit in the top page of the user stack");

/* Map the user stack (USER_STACK_PAGES pages below USER_STACK_TOP; the
 * page below them stays unmapped: the guard); *top_page: the kernel's view
 * of its top page. 0 or -ENOMEM. */
static int map_stack(pte_t *pml4, uint8_t **top_page)
{
    for (int i = 0; i < USER_STACK_PAGES; i++) {
        uint64_t pa = pmm_alloc_zeroed();
        if (pa == 0 || vmm_map(pml4, USER_STACK_TOP - (i + 1) * PAGE_SIZE, pa,
                               VM_USER | VM_WRITE) != 0) {
            if (pa)
                pmm_free(pa);
            return -ENOMEM;
        }
        if (i == 0)
            *top_page = phys_to_virt(pa);
    }
    return 0;
}

int proc_setup_stack(pte_t *pml4, int argc, char *const argv[], uint64_t *rsp)
{
    uint8_t *top_page;
    int err = map_stack(pml4, &top_page);

    if (err == 0)
        *rsp = stack_layout(top_page, argc, argv);
    return err;
}

#if LAB >= 10
/* Remember path as p's program for /proc/self/exe: "/bin/NAME" for a bare
 * name, as load_program looks for it. */
static void set_exe(struct proc *p, const char *path)
{
    if (path == p->exe)
        return;
    if (strchr(path, '/'))
        strlcpy(p->exe, path, sizeof p->exe);
    else
        ksnprintf(p->exe, sizeof p->exe, "/bin/%s", path);
}
#endif

/* What follows the last '/' of name: the boot module's name and the
 * process's. */
static const char *program_base(const char *name)
{
    const char *slash = strrchr(name, '/');

    return slash ? slash + 1 : name;
}

#if LAB >= 8
/* Lab 8: set by the file system at boot (contract in proc.h). */
int (*proc_program_reader)(const char *path, void **image, size_t *len);

/* Read program name from the disk: the path itself if it has a '/', else
 * /bin/NAME. image NULL: only whether it is there. 0 or a negative errno
 * (-ENOENT without a file system). */
static int program_read(const char *name, void **image, size_t *len)
{
    if (proc_program_reader == NULL)
        return -ENOENT;
    if (strchr(name, '/'))
        return proc_program_reader(name, image, len);
    size_t size = strlen(name) + sizeof "/bin/";
    char *path = kmalloc(size);
    if (path == NULL)
        return -ENOMEM;
    ksnprintf(path, size, "/bin/%s", name);
    int err = proc_program_reader(path, image, len);
    kfree(path);
    return err;
}

/* Contract in proc.h. */
bool proc_program_exists(const char *name)
{
    return mb2_find_module(program_base(name)) != NULL || program_read(name, NULL, NULL) == 0;
}
#endif

/* What load_program learns about a program besides its memory. */
struct loaded {
    uint64_t entry, brk;
#if LAB >= 10
    struct exec_info info;               /* for the auxiliary vector (Lab 10) */
#endif
};

/* elf_load, and from Lab 10 what the auxiliary vector needs from the file. */
static int load_elf(pte_t *pml4, const uint8_t *data, size_t size, struct loaded *out,
                    const char **why)
{
    int err = elf_load(pml4, data, size, &out->entry, &out->brk, why);
#if LAB >= 10
    if (err == 0)
        elf_info(data, size, &out->info);
#endif
    return err;
}

/* Load boot module name into pml4 (elf_load). 0 or a negative errno;
 * -ENOENT if there is no such module. */
static int load_module(pte_t *pml4, const char *name, struct loaded *out, const char **why)
{
    const struct mb2_tag_module *m = mb2_find_module(name);

    if (m == NULL)
        return -ENOENT;
    return load_elf(pml4, phys_to_virt(m->mod_start), m->mod_end - m->mod_start, out, why);
}

/* The program's first stack: from Lab 10 Linux's, with envp and the
 * auxiliary vector (auxv.c), or Lab 6's if that does not fit or is not
 * written yet; Lab 6's before. */
static int setup_stack(pte_t *pml4, const struct exec_args *a, const struct loaded *l,
                       uint64_t *rsp)
{
#if LAB >= 10
    uint8_t *top_page;
    int err = map_stack(pml4, &top_page);

    if (err == 0 && (*rsp = stack_layout_linux(top_page, a->argc, a->argv, a->envc, a->envp,
                                               a->path, &l->info)) == 0) {
        memset(top_page, 0, PAGE_SIZE);
        *rsp = stack_layout(top_page, a->argc, a->argv);
    }
    return err;
#else
    (void)l;
    return proc_setup_stack(pml4, a->argc, a->argv, rsp);
#endif
}

/* Load program a->path into pml4 with its argv: from Lab 8 the file on the disk
 * (program_read) if it can be read, else (no disk, no such file, or a file
 * system that does not work yet) the boot module of the same base name.
 * 0 or a negative errno; says why. */
static int load_program(pte_t *pml4, const struct exec_args *a, uint64_t *entry, uint64_t *rsp,
                        uint64_t *brk)
{
    const char *why = "out of memory", *name = a->path;
    struct loaded l = {0};
#if LAB >= 8
    void *image;
    size_t len;
    int err = program_read(name, &image, &len);

    name = program_base(name);
    if (err == 0) {
        err = load_elf(pml4, image, len, &l, &why);
        kfree(image);
    } else {
        int module_err = load_module(pml4, name, &l, &why);
        if (module_err == -ENOENT) {
            if (err == -ENOENT && proc_report)   /* nowhere */
                kprintf("exec %s: no such program in the boot image\n", name);
            return err;                          /* the disk's answer: -ENOENT, -EACCES, ... */
        }
        err = module_err;
    }
#else
    int err = load_module(pml4, name, &l, &why);
    if (err == -ENOENT && proc_report)
        kprintf("exec %s: no such program in the boot image\n", name);
    if (err == -ENOENT)
        return err;
#endif
    if (err == 0)
        err = setup_stack(pml4, a, &l, rsp);
    *entry = l.entry, *brk = l.brk;
    if (err)
        kprintf("exec %s: refused: %s (%s)\n", name, err == -ENOEXEC ? why : "out of memory",
                err == -ENOEXEC ? "-ENOEXEC" : "-ENOMEM");
    return err;
}

struct start {                               /* what a new process's thread needs */
    struct proc *proc;
    uint64_t entry, rsp;
};

static int user_thread(void *arg)
{
    struct start s = *(struct start *)arg;

    kfree(arg);
    push_cli();
    current->proc = s.proc;                  /* from now on the scheduler loads its CR3 */
    write_cr3(pml4_phys(s.proc->pml4));
    thread_fpu_load(current);
    tss_set_rsp0(current->kstack + KSTACK_SIZE);
    pop_cli();
    enter_user(s.entry, s.rsp);
    kprintf("%s: could not enter user mode (LAB 6, exercise 2)\n", s.proc->name);
    proc_exit(-1);
}

struct proc *proc_spawn(const char *path, int argc, char *const argv[])
{
    const char *name = program_base(path);
#if LAB >= 7
    struct proc *p = proc_alloc(NULL, name);     /* a pid, a place in the table */
#else
    struct proc *p = kcalloc(1, sizeof *p);
#endif
    struct start *s = kmalloc(sizeof *s);

    if (p == NULL || s == NULL || (p->pml4 = as_create()) == NULL)
        goto fail;
    struct exec_args a = {.path = path, .argc = argc, .argv = argv};
    if (load_program(p->pml4, &a, &s->entry, &s->rsp, &p->brk_start) != 0)
        goto fail;
    p->brk = p->brk_start;
#if LAB >= 7
    p->kernel_reaps = true;
    files_open_console(p);
#else
    p->pid = next_pid++;
#endif
    strlcpy(p->name, name, sizeof p->name);
#if LAB >= 10
    set_exe(p, path);                        /* umask 0: files get the mode asked for,
                                              * as in Lab 8 */
#endif
    s->proc = p;
    if ((p->thread = thread_create(user_thread, s, name)) == NULL)
        goto fail;
    return p;
fail:
#if LAB >= 7
    if (p) {
        files_close_all(p);
        proc_discard(p);
    }
#else
    if (p && p->pml4)
        as_destroy(p->pml4);
    kfree(p);
#endif
    kfree(s);
    return NULL;
}

int proc_exec(struct trap_frame *tf, const struct exec_args *a)
{
    const char *name = program_base(a->path);
    struct proc *p = proc_current();
    uint64_t entry, rsp, brk;
    pte_t *fresh = as_create(), *old = p->pml4;

    if (fresh == NULL)
        return -ENOMEM;
    int err = load_program(fresh, a, &entry, &rsp, &brk);
    if (err) {
        as_destroy(fresh);
        return err;
    }
    push_cli();
    p->pml4 = fresh;
    write_cr3(pml4_phys(fresh));
    thread_fpu_forget(current);              /* the new program starts with clean registers */
    thread_fpu_reset(current);
    thread_fpu_load(current);
#if LAB >= 10
    current->fs_base = 0;                    /* the new program sets its own TLS */
    tls_switch_in(current);
#endif
    pop_cli();
    as_destroy(old);
#if LAB >= 7
    files_close_on_exec(p);
#endif
    p->brk_start = p->brk = brk;
#if LAB >= 10
    set_exe(p, a->path);
    mmap_list_clear(&p->mmaps);              /* its mappings went with the old address space */
    signal_exec(p);                          /* handlers go with the old program */
#endif
    strlcpy(p->name, name, sizeof p->name);
    strlcpy(current->name, name, sizeof current->name);
    /* Return from the system call into the new program, registers clean. */
    struct trap_frame fresh_tf = {.rip = entry, .rsp = rsp, .cs = tf->cs, .ss = tf->ss,
                                  .rflags = 0x202};
    *tf = fresh_tf;
    return 0;
}

void proc_exit(int status)
{
    struct proc *p = proc_current();

    ASSERT(p != NULL);
    if (proc_report)
        kprintf("%s: exit(%d)\n", p->name, status);
#if LAB >= 7
    proc_end(p, W_EXITCODE(status), status);     /* a zombie until its parent reaps it */
#endif
    push_cli();
    current->proc = NULL;                    /* back to the kernel's tables for good */
    write_cr3(pml4_phys(kernel_pml4));
    pop_cli();
    as_destroy(p->pml4);
    p->pml4 = NULL;
    thread_exit(status);                     /* the runner joins and frees p */
}

/* ---- faults in ring 3 ------------------------------------------------------------ */

/* Kill the calling process p for the exception in tf (from ring 3; cr2 is
 * CR2 at the fault). Prints one line, then proc_exit(-1):
 *   NAME: killed by <exception_name> (#<exception_mnemonic>) at rip=<rip>
 * then, for a page fault, ", address <cr2> (" and "page not present" or
 * "protection violation", ", read" or ", write", ", instruction fetch" if
 * an instruction fetch, ")", and ": stack overflow" if cr2 is in the guard
 * page below the user stack; for another exception, ", error code 0x<error>"
 * if its error code is not 0. Addresses print as %p. Never returns.
 * Interrupts off (called from trap_dispatch); may call kprintf,
 * exception_name, exception_mnemonic and proc_exit. */
static void fault_kill(struct proc *p, const struct trap_frame *tf, uint64_t cr2)
{
#if SOL >= 6
    kprintf("%s: killed by %s (#%s) at rip=%p", p->name, exception_name(tf->vector),
            exception_mnemonic(tf->vector), (void *)tf->rip);
    if (tf->vector == EXC_PF) {
        kprintf(", address %p (%s, %s%s)", (void *)cr2,
                tf->error & PF_PRESENT ? "protection violation" : "page not present",
                tf->error & PF_WRITE ? "write" : "read",
                tf->error & PF_FETCH ? ", instruction fetch" : "");
        if (cr2 >= USER_STACK_GUARD && cr2 < USER_STACK_GUARD + PAGE_SIZE)
            kprintf(": stack overflow");
    } else if (tf->error) {
        kprintf(", error code 0x%lx", tf->error);
    }
    kprintf("\n");
    proc_exit(-1);
#else
    /* LAB 6, exercise 5: end only this process, with the one line of
     * handout §3.5 saying which exception, where, and for a page fault
     * which address and why (handout §3.5) */
    (void)p, (void)cr2;
    PANIC("exception %lu in user mode at rip %p (LAB 6, exercise 5)", tf->vector,
          (void *)tf->rip);
#endif
}

/* Contract in proc.h. */
bool proc_heap_is_lazy(void)
{
#if SOL >= 6
    return cmdline_get_int("lazybrk", 0) == 1;
#else
    /* LAB 6, challenge 1: true when the command line says lazybrk=1 (handout §6) */
    return false;
#endif
}

/* A page fault at addr (error: its error code) in p, from ring 3: if it is
 * a not-present fault on a page of p's reserved heap [brk_start, brk
 * rounded up to a page) and the heap is lazy, map a zeroed frame there
 * (user, writable, not executable) and return true: the instruction runs
 * again. Otherwise, or out of frames, false (the process is killed).
 * Interrupts off; may call pmm_alloc_zeroed, pmm_free and vmm_map. */
static bool heap_fault(struct proc *p, uint64_t addr, uint64_t error)
{
#if SOL >= 6
    uint64_t top = (p->brk + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);

    if (!proc_heap_is_lazy() || (error & PF_PRESENT) || addr < p->brk_start || addr >= top)
        return false;
    uint64_t pa = pmm_alloc_zeroed();
    if (pa == 0)
        return false;
    if (vmm_map(p->pml4, addr & ~(PAGE_SIZE - 1), pa, VM_USER | VM_WRITE) != 0) {
        pmm_free(pa);
        return false;
    }
    return true;
#else
    /* LAB 6, challenge 1: with lazybrk=1, give a not-present fault inside
     * the reserved heap a zeroed, writable page and resume (handout §6) */
    (void)p, (void)addr, (void)error;
    return false;
#endif
}

void proc_fault(const struct trap_frame *tf)
{
    struct proc *p = proc_current();
    uint64_t cr2 = read_cr2();

    ASSERT(!cpu_interrupts_enabled() && (tf->cs & 3) == 3 && p != NULL);
    if (tf->vector == EXC_PF && heap_fault(p, cr2, tf->error))
        return;
#if LAB >= 7
    if (tf->vector == EXC_PF && (tf->error & (PF_PRESENT | PF_WRITE)) == (PF_PRESENT | PF_WRITE) &&
        cow_break(p->pml4, cr2 & ~(PAGE_SIZE - 1)) == 0)
        return;                              /* a write to a copy-on-write page */
#endif
    fault_kill(p, tf, cr2);
}

/* ---- init=a:x:y,b+c repeat=N ------------------------------------------------------ */

/* The whole value is checked before anything runs: one past a limit is
 * refused with a message naming it, never cut short. */
struct init_prog {
    int argc;
    char *argv[PROC_MAX_ARGS];               /* argv[0] is the program's name */
    bool joins;                              /* starts with the one before (a+b) */
};

static char init_text[INIT_MAX_LEN + 1];     /* the value, cut into words in place */
static struct init_prog init_progs[INIT_MAX_PROGS];
static int init_nprogs;

static bool ends_program(char c)
{
    return c == '\0' || c == ',' || c == '+';
}

/* How many of s's characters before the end of its first program are c? */
static int count_in_program(const char *s, char c)
{
    int n = 0;

    for (; !ends_program(*s); s++)
        n += *s == c;
    return n;
}

/* Cut the program at *p ("prog:arg:arg", ended by ',', '+' or the end) into
 * ip, in place. Leaves *p past it and *sep the character that ended it.
 * False, with a message, if it breaks a limit. */
static bool init_cut_program(char **p, char *sep, struct init_prog *ip)
{
    char *q = *p;

    for (ip->argc = 0;;) {
        char *word = q;
        while (*q != ':' && !ends_program(*q))
            q++;
        *sep = *q;
        *q = '\0';
        if (*sep)
            q++;
        size_t len = strlen(word);
        if (len >= PROC_ARG_MAX && ip->argc == 0) {
            kprintf("init: a program name is too long (%zu characters, at most %d)\n", len,
                    PROC_ARG_MAX - 1);
            return false;
        }
        if (len >= PROC_ARG_MAX) {
            kprintf("init: argument %d of %s is too long (%zu characters, at most %d)\n",
                    ip->argc, ip->argv[0], len, PROC_ARG_MAX - 1);
            return false;
        }
        ip->argv[ip->argc++] = word;
        if (*sep != ':')
            break;
        if (ip->argc == PROC_MAX_ARGS) {             /* argv[0] is the name */
            kprintf("init: too many arguments for %s (%d, at most %d)\n", ip->argv[0],
                    ip->argc + count_in_program(q, ':'), PROC_MAX_ARGS - 1);
            return false;
        }
    }
    *p = q;
    return true;
}

/* Parse init='s value into init_progs. False, with a one-line message, if it
 * breaks a limit (proc.h) or names an empty program. */
static bool init_parse(const char *spec)
{
    size_t len = strlen(spec);
    int nprogs = 1;

    for (const char *s = spec; *s; s++)
        nprogs += *s == ',' || *s == '+';
    if (len > INIT_MAX_LEN) {
        kprintf("init: the value is too long (%zu characters, at most %d)\n", len, INIT_MAX_LEN);
        return false;
    }
    if (nprogs > INIT_MAX_PROGS) {
        kprintf("init: too many programs (%d, at most %d)\n", nprogs, INIT_MAX_PROGS);
        return false;
    }
    memcpy(init_text, spec, len + 1);
    char *p = init_text, sep = ',';
    for (init_nprogs = 0; init_nprogs < nprogs; init_nprogs++) {
        struct init_prog *ip = &init_progs[init_nprogs];
        ip->joins = sep == '+';
        if (!init_cut_program(&p, &sep, ip))
            return false;
        if (ip->argv[0][0] == '\0') {
            kprintf("init: program %d of init=%s has no name\n", init_nprogs + 1, spec);
            return false;
        }
#if LAB >= 8
        if (!proc_program_exists(ip->argv[0])) {      /* a word of the command line: refused */
#else
        if (mb2_find_module(ip->argv[0]) == NULL) {   /* a word of the command line: refused */
#endif
            kprintf("init: no program called '%s'. Programs:", ip->argv[0]);
            for (const struct mb2_tag *t = mb2_find_tag(MB2_TAG_MODULE, NULL); t;
                 t = mb2_find_tag(MB2_TAG_MODULE, t))
                kprintf(" %s", ((const struct mb2_tag_module *)t)->string);
            kprintf("\n");
            return false;
        }
    }
    return true;
}

void proc_run_init(const char *spec)
{
    int64_t repeat = cmdline_get_int("repeat", 1);

    if (!init_parse(spec))
        power_off(false);
    if (cmdline_get_int("report", 1) == 0)
        proc_report = false;                     /* report=0: no "NAME: exit(N)" lines */
    kfree(kmalloc(sizeof(struct proc)));     /* the heap grown to hold a process: that
                                              * stays, and is no program's leak */
    uint64_t before = pmm_free_frames();
    for (int64_t r = 0; r < repeat; r++) {
        for (int i = 0; i < init_nprogs;) {
            struct proc *running[INIT_MAX_PROGS];
            int n = 0;
            do {                                     /* a group starts together */
                struct init_prog *ip = &init_progs[i++];
                running[n++] = proc_spawn(ip->argv[0], ip->argc, ip->argv);
            } while (i < init_nprogs && init_progs[i].joins);
            for (int k = 0; k < n; k++)              /* and ends together */
                if (running[k]) {
#if LAB >= 7
                    proc_reap(running[k]);   /* joins its thread once it is a zombie */
#else
                    thread_join(running[k]->thread);
                    kfree(running[k]);
#endif
                }
        }
    }
    if (repeat > 1)
        kprintf("init: %ld runs; free frames before %lu, after %lu\n", repeat, before,
                pmm_free_frames());
    power_off(true);
}

CMDLINE_KEY(init, "PROG[:ARG...][,PROG|+PROG...]");
CMDLINE_KEY(report, "0");
CMDLINE_KEY(repeat, "N");
CMDLINE_KEY(lazybrk, "1");

/* Boot step: init=... runs those programs, then powers off. */
static void init_start(void)
{
    const char *spec = cmdline_get("init");

    if (spec != NULL)
        proc_run_init(spec);
}
KINIT(91, init_start);

/* The scheduler's hook (sched_on_switch_in), called just before it
 * switches to next, interrupts off: the CPU must then hold what next's
 * ring 3 needs. next's x87/SSE registers (thread_fpu_load, which knows
 * kernel threads need none); TSS.rsp0 at the top of next's kernel stack
 * (kstack + KSTACK_SIZE), where the CPU switches to on an interrupt from
 * ring 3, when next has a kernel stack of its own (the boot thread has
 * none); CR3 = proc_cr3_of(next), written only when it changes (a write
 * flushes the TLB). May call thread_fpu_load, tss_set_rsp0, read_cr3 and
 * write_cr3; nothing that takes a lock or blocks. */
static void proc_switch_in(struct thread *next)
{
    ASSERT(!cpu_interrupts_enabled());
#if SOL >= 6
    thread_fpu_load(next);
    if (next->kstack)
        tss_set_rsp0(next->kstack + KSTACK_SIZE);
    if (proc_cr3_of(next) != read_cr3())
        write_cr3(proc_cr3_of(next));
#else
    /* LAB 6, exercise 2: give the CPU what the incoming thread's ring 3
     * needs: its x87/SSE state, its kernel stack in TSS.rsp0, its
     * process's page tables (handout §3.2) */
    (void)next;
#endif
}

static void proc_start(void)
{
    sched_on_switch_in(proc_switch_in);
}
KINIT(63, proc_start);
