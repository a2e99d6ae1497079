/* proc.c - user processes: address spaces, starting programs, exec, exit,
 * and the init=... runner. Lab 6 (given; the exercises are in elf.c,
 * usermode.asm, syscall.c, uaccess.c and trap.c). */
#include <stddef.h>

#include "proc.h"
#include "cmdline.h"
#include "console.h"
#include "elf.h"
#include "errno.h"
#include "gdt.h"
#include "kmalloc.h"
#include "memlayout.h"
#include "multiboot2.h"
#include "panic.h"
#include "pmm.h"
#include "power.h"
#include "string.h"
#include "uaccess.h"
#include "x86.h"

#define MAX_INIT 16

static int next_pid = 1;

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
    return pml4_phys(t->proc ? t->proc->pml4 : kernel_pml4);
}

/* ---- address spaces ---------------------------------------------------------- */

/* A new address space: an empty lower half, the kernel's upper half. */
static pte_t *as_create(void)
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
            pmm_free(table[i] & PTE_ADDR);
        else
            free_table(phys_to_virt(table[i] & PTE_ADDR), level - 1);
    }
    pmm_free((uint64_t)table - DIRECT_MAP_BASE);
}

/* Free everything of the lower half, then the PML4. Not the running one. */
static void as_destroy(pte_t *pml4)
{
    for (int i = 0; i < 256; i++)
        if (pml4[i] & PTE_P)
            free_table(phys_to_virt(pml4[i] & PTE_ADDR), 2);
    pmm_free(pml4_phys(pml4));
}

/* ---- loading a program -------------------------------------------------------- */

/* The boot module called name (GRUB's module2 ... NAME), or NULL. */
static const struct mb2_tag_module *find_module(const char *name)
{
    for (const struct mb2_tag *t = mb2_find_tag(MB2_TAG_MODULE, NULL); t;
         t = mb2_find_tag(MB2_TAG_MODULE, t)) {
        const struct mb2_tag_module *m = (const struct mb2_tag_module *)t;
        if (strcmp(m->string, name) == 0)
            return m;
    }
    return NULL;
}

/* Map the user stack and lay out argc, argv, envp and auxv on it as the
 * System V ABI says (handout §2.3). Sets *rsp to where argc is. */
static int setup_stack(pte_t *pml4, int argc, char *const argv[], uint64_t *rsp)
{
    uint64_t strings[PROC_MAX_ARGS], top = USER_STACK_TOP;

    for (int i = 0; i < USER_STACK_PAGES; i++) {
        uint64_t pa = pmm_alloc_zeroed();
        if (pa == 0 || vmm_map(pml4, USER_STACK_TOP - (i + 1) * PAGE_SIZE, pa,
                               VM_USER | VM_WRITE) != 0) {
            if (pa)
                pmm_free(pa);
            return -ENOMEM;
        }
    }
    for (int i = argc - 1; i >= 0; i--) {        /* the strings, at the very top */
        size_t n = strlen(argv[i]) + 1;
        top -= n;
        strings[i] = top;
        copy_to_user(pml4, top, argv[i], n);
    }
    /* argc, argv[0..argc-1], NULL, envp: NULL, auxv: AT_PAGESZ 4096, AT_NULL */
    uint64_t words[PROC_MAX_ARGS + 7];
    int n = 0;
    words[n++] = (uint64_t)argc;
    for (int i = 0; i < argc; i++)
        words[n++] = strings[i];
    words[n++] = 0;
    words[n++] = 0;
    words[n++] = 6, words[n++] = PAGE_SIZE;      /* AT_PAGESZ */
    words[n++] = 0, words[n++] = 0;              /* AT_NULL */
    *rsp = (top - n * 8) & ~15ull;               /* rsp at entry: 16-byte aligned */
    return copy_to_user(pml4, *rsp, words, n * 8);
}

/* Load module name into pml4 with argv. 0 or a negative errno; says why. */
static int load_program(pte_t *pml4, const char *name, int argc, char *const argv[],
                        uint64_t *entry, uint64_t *rsp, uint64_t *brk)
{
    const struct mb2_tag_module *m = find_module(name);
    const char *why = "out of memory";

    if (m == NULL) {
        kprintf("exec %s: no such program in the boot image\n", name);
        return -ENOENT;
    }
    int err = elf_load(pml4, phys_to_virt(m->mod_start), m->mod_end - m->mod_start, entry, brk, &why);
    if (err == 0)
        err = setup_stack(pml4, argc, argv, rsp);
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

struct proc *proc_spawn(const char *name, int argc, char *const argv[])
{
    struct proc *p = kcalloc(1, sizeof *p);
    struct start *s = kmalloc(sizeof *s);

    if (p == NULL || s == NULL || (p->pml4 = as_create()) == NULL)
        goto fail;
    if (load_program(p->pml4, name, argc, argv, &s->entry, &s->rsp, &p->brk_start) != 0)
        goto fail;
    p->brk = p->brk_start;
    p->pid = next_pid++;
    strlcpy(p->name, name, sizeof p->name);
    s->proc = p;
    if ((p->thread = thread_create(user_thread, s, name)) == NULL)
        goto fail;
    return p;
fail:
    if (p && p->pml4)
        as_destroy(p->pml4);
    kfree(p);
    kfree(s);
    return NULL;
}

int proc_exec(struct trap_frame *tf, const char *name, int argc, char *const argv[])
{
    struct proc *p = proc_current();
    uint64_t entry, rsp, brk;
    pte_t *fresh = as_create(), *old = p->pml4;

    if (fresh == NULL)
        return -ENOMEM;
    int err = load_program(fresh, name, argc, argv, &entry, &rsp, &brk);
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
    pop_cli();
    as_destroy(old);
    p->brk_start = p->brk = brk;
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
    kprintf("%s: exit(%d)\n", p->name, status);
    push_cli();
    current->proc = NULL;                    /* back to the kernel's tables for good */
    write_cr3(pml4_phys(kernel_pml4));
    pop_cli();
    as_destroy(p->pml4);
    p->pml4 = NULL;
    thread_exit(status);                     /* the runner joins and frees p */
}

/* ---- init=a:x:y,b+c repeat=N ------------------------------------------------------ */

/* Split s at sep into at most max words, in place. */
static int split(char *s, char sep, char **out, int max)
{
    int n = 0;

    while (*s && n < max) {
        out[n++] = s;
        while (*s && *s != sep)
            s++;
        if (*s)
            *s++ = '\0';
    }
    return n;
}

/* Start "prog:arg:arg" (argv[0] is prog). */
static struct proc *spawn_spec(const char *spec)
{
    char buf[PROC_ARG_MAX * 2], *argv[PROC_MAX_ARGS];

    strlcpy(buf, spec, sizeof buf);
    int argc = split(buf, ':', argv, PROC_MAX_ARGS);
    return argc ? proc_spawn(argv[0], argc, argv) : NULL;
}

void proc_run_init(const char *spec)
{
    static char specbuf[256];
    char *groups[MAX_INIT];
    int64_t repeat = cmdline_get_int("repeat", 1);

    strlcpy(specbuf, spec, sizeof specbuf);
    int ngroups = split(specbuf, ',', groups, MAX_INIT);
    uint64_t before = pmm_free_frames();
    for (int64_t r = 0; r < repeat; r++) {
        for (int g = 0; g < ngroups; g++) {
            char group[128], *names[MAX_INIT];
            struct proc *running[MAX_INIT];
            strlcpy(group, groups[g], sizeof group);
            int n = split(group, '+', names, MAX_INIT);
            for (int i = 0; i < n; i++)              /* a group starts together */
                running[i] = spawn_spec(names[i]);
            for (int i = 0; i < n; i++)              /* and ends together */
                if (running[i]) {
                    thread_join(running[i]->thread);
                    kfree(running[i]);
                }
        }
    }
    if (repeat > 1)
        kprintf("init: %ld runs; free frames before %lu, after %lu\n", repeat, before,
                pmm_free_frames());
    power_off(true);
}
