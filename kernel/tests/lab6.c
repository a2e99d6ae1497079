/* lab6.c - in-kernel tests and benchmarks for Lab 6. Lab 6 (given). Most
 * Lab 6 graders start the user programs of user/ with init=...; the tests
 * here call one exercise's code directly, so that it earns points before
 * the others are written: the ELF loader on files the grader made, ring 3
 * entry and the first stack, the user-memory copies, the dispatcher, and
 * the fault report, each with a made-up process around it; and challenge
 * 1's lazy heap, with the brk program. Inputs come from the command line. */
#include <stddef.h>

#include "bench.h"
#include "cmdline.h"
#include "console.h"
#include "elf.h"
#include "errno.h"
#include "file.h"
#include "gdt.h"
#include "kmalloc.h"
#include "ktest.h"
#include "memlayout.h"
#include "multiboot2.h"
#include "pmm.h"
#include "printf.h"
#include "proc.h"
#include "string.h"
#include "syscall.h"
#include "uaccess.h"
#include "x86.h"

void enter_user(uint64_t entry, uint64_t user_rsp);      /* usermode.asm */

/* ---- a made-up process around the code under test ---------------------- */

static uint64_t need_frame(void)
{
    uint64_t pa = pmm_alloc_zeroed();

    if (pa == 0)
        ktest_fail("out of memory");
    return pa;
}

/* A fresh address space: an empty lower half, the kernel's upper half. */
static pte_t *new_space(void)
{
    pte_t *pml4 = phys_to_virt(need_frame());

    for (int i = 256; i < 512; i++)
        pml4[i] = kernel_pml4[i];
    return pml4;
}

/* Map a zeroed page at va in pml4; its bytes, through the direct map. */
static uint8_t *map_page(pte_t *pml4, uint64_t va, unsigned flags)
{
    uint64_t pa = need_frame();

    if (vmm_map(pml4, va, pa, flags) != 0)
        ktest_fail("could not map 0x%lx", va);
    return phys_to_virt(pa);
}

static uint64_t phys_of(const pte_t *pml4)
{
    return (uint64_t)pml4 - DIRECT_MAP_BASE;
}

static struct proc *new_proc(const char *name, int pid)
{
    struct proc *p = kcalloc(1, sizeof *p);

    if (p == NULL)
        ktest_fail("out of memory");
    p->pml4 = new_space();
    p->pid = pid;
#if LAB >= 7
    files_open_console(p);           /* write goes through the fd table from Lab 7 */
#endif
    strlcpy(p->name, name, sizeof p->name);
    return p;
}

/* Make the calling thread p's, as proc.c's user_thread does: from now on
 * the scheduler loads p's page tables and TSS.rsp0 for it. */
static void become(struct proc *p)
{
    push_cli();
    current->proc = p;
    p->thread = current;
    write_cr3(phys_of(p->pml4));
    thread_fpu_load(current);
    tss_set_rsp0(current->kstack + KSTACK_SIZE);
    pop_cli();
}

/* Back to a kernel thread (the address space is left for the power-off). */
static void leave(void)
{
    push_cli();
    current->proc = NULL;
    write_cr3(phys_of(kernel_pml4));
    pop_cli();
}

/* Run fn(arg) in a new thread and return its value. */
static int run_thread(int (*fn)(void *), void *arg, const char *name)
{
    struct thread *t = thread_create(fn, arg, name);

    if (t == NULL)
        ktest_fail("thread_create(%s) failed (are threads on? see the boot messages)", name);
    return thread_join(t);
}

/* The next comma-separated item of *list, copied into buf; false at the end. */
static bool next_item(const char **list, char *buf, size_t size)
{
    const char *s = *list;
    size_t n = 0;

    if (s == NULL || *s == '\0')
        return false;
    while (s[n] && s[n] != ',')
        n++;
    if (n >= size)
        ktest_fail("an item of the list is too long: %s", s);
    memcpy(buf, s, n);
    buf[n] = '\0';
    *list = s[n] ? s + n + 1 : s + n;
    return true;
}

static uint64_t need_int(const char *key)
{
    int64_t v;
    const char *s = cmdline_get(key);

    if (s == NULL || !parse_int(s, &v))
        ktest_fail("%s=NUMBER is missing", key);
    return (uint64_t)v;
}

/* ---- exercise 1: elf_load on files the grader made -------------------------- */

static const struct mb2_tag_module *module(const char *name)
{
    const struct mb2_tag_module *m = mb2_find_module(name);

    if (m == NULL)
        ktest_fail("no boot module %s", name);
    return m;
}

/* Load module name into a fresh address space; print the outcome. */
static pte_t *try_load(const char *name)
{
    const struct mb2_tag_module *m = module(name);
    pte_t *pml4 = new_space();
    uint64_t entry = 0, end = 0;
    const char *why = "";
    int err = elf_load(pml4, phys_to_virt(m->mod_start), m->mod_end - m->mod_start, &entry, &end,
                       &why);

    if (err)
        kprintf("elf_load: %s: %d (%s)\n", name, err, why ? why : "no reason");
    else
        kprintf("elf_load: %s: 0, entry 0x%lx, end 0x%lx, pml4 at 0x%lx\n", name, entry, end,
                phys_of(pml4));
    return pml4;
}

KTEST(elf_load, "good bad")
{
    const char *bad = cmdline_get("bad"), *good = cmdline_get("good");
    char name[32];

    while (next_item(&bad, name, sizeof name))
        try_load(name);              /* each one's pages are left: the test powers off */
    if (good)
        try_load(good);
    ktest_hold();                    /* the grader walks the good file's tables meanwhile */
}

/* ---- exercise 2: enter_user, seen from outside -------------------------------- */

/* Fill every general register but rdi and rsi with junk, then call
 * enter_user(entry, rsp): it must leave none of it for the program. Returns
 * (callee-saved registers restored) only if enter_user does. */
void lab6_enter_dirty(uint64_t entry, uint64_t rsp, uint64_t junk);

__asm__(".text\n"
        ".globl lab6_enter_dirty\n"
        ".type lab6_enter_dirty, @function\n"
        "lab6_enter_dirty:\n"
        "    push %rbp\n push %rbx\n push %r12\n push %r13\n push %r14\n push %r15\n"
        "    sub $8, %rsp\n"                              /* the call below: rsp 16-aligned */
        "    mov %rdx, %rax\n mov %rdx, %rbx\n mov %rdx, %rcx\n mov %rdx, %rbp\n"
        "    mov %rdx, %r8\n mov %rdx, %r9\n mov %rdx, %r10\n mov %rdx, %r11\n"
        "    mov %rdx, %r12\n mov %rdx, %r13\n mov %rdx, %r14\n mov %rdx, %r15\n"
        "    call enter_user\n"
        "    add $8, %rsp\n"
        "    pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbx\n pop %rbp\n"
        "    ret\n"
        ".size lab6_enter_dirty, . - lab6_enter_dirty\n");

static int nothing(void *arg)
{
    (void)arg;
    return 0;
}

static int spin_in_user(void *arg)
{
    struct proc *p = arg;
    uint64_t entry = need_int("entry"), rsp = need_int("rsp");
    uint8_t *code = map_page(p->pml4, entry & ~0xFFFull, VM_USER | VM_EXEC);

    map_page(p->pml4, (rsp - 1) & ~0xFFFull, VM_USER | VM_WRITE);
    code[entry & 0xFFF] = 0xEB;      /* jmp $: the program spins where it starts */
    code[(entry & 0xFFF) + 1] = 0xFE;
    become(p);
    /* Away and back through the scheduler: from here on TSS.rsp0 is what
     * its switch-in hook (proc_switch_in) set for this thread. */
    run_thread(nothing, NULL, "away");
    kprintf("enter_user: kernel stack top 0x%lx\n", current->kstack + KSTACK_SIZE);
    kprintf("enter_user: to ring 3 at 0x%lx with rsp 0x%lx\n", entry, rsp);
    lab6_enter_dirty(entry, rsp, need_int("junk"));
    leave();
    ktest_fail("enter_user returned (LAB 6, exercise 2)");
}

KTEST(enter_user, "entry rsp junk")
{
    /* The program never ends: the grader reads its registers and stops QEMU. */
    run_thread(spin_in_user, new_proc("spin", 1), "spin");
}

/* args=WORD,WORD,...: lay them out on a fresh user stack (proc_setup_stack,
 * whose layout is stack_layout's); the grader reads the page through QMP. */
KTEST(user_stack, "args")
{
    static char words[CMDLINE_MAX_LEN];
    char *argv[PROC_MAX_ARGS];
    const char *list = cmdline_get("args");
    int argc = 0;
    size_t used = 0;
    uint64_t rsp = 0;
    char item[PROC_ARG_MAX];

    while (next_item(&list, item, sizeof item)) {
        if (argc == PROC_MAX_ARGS)
            ktest_fail("user_stack: at most %d words", PROC_MAX_ARGS);
        argv[argc++] = words + used;
        used += strlcpy(words + used, item, sizeof words - used) + 1;
    }
    pte_t *pml4 = new_space();
    if (proc_setup_stack(pml4, argc, argv, &rsp) != 0)
        ktest_fail("user_stack: out of memory");
    kprintf("user_stack: %d words, rsp 0x%lx, pml4 at 0x%lx\n", argc, rsp, phys_of(pml4));
    ktest_hold();                    /* the grader reads the stack meanwhile */
}

/* ---- exercise 4: syscall_dispatch on trap frames made here ------------------ */

static long call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct trap_frame tf = {.rax = nr, .rdi = a0, .rsi = a1, .rdx = a2, .r10 = 0xdead,
                            .vector = VECTOR_SYSCALL, .cs = 0x23, .ss = 0x1B, .rflags = 0x202};

    syscall_dispatch(&tf);
    return (long)tf.rax;
}

/* Write the user string str at user address u of page pg (mapped at base). */
static uint64_t put_string(uint8_t *pg, uint64_t base, uint64_t u, const char *str)
{
    memcpy(pg + (u - base), str, strlen(str) + 1);
    return u;
}

/* execve's arguments (copy_argv), on a page of arrays and strings made here,
 * two pages above buf's, the page after it unmapped. Each call fails
 * before anything is loaded, so the made-up process goes on. */
static void execve_calls(struct proc *p, uint64_t buf)
{
    uint64_t q = (buf & ~0xFFFull) + 0x2000, *arr;
    uint8_t *pg = map_page(p->pml4, q, VM_USER | VM_WRITE);
    const char *miss = cmdline_get("miss");
    uint64_t nargs = need_int("nargs");
    char text[PROC_ARG_MAX + 8];

    if (miss == NULL || strlen(miss) > 32 || nargs < 1 || nargs > PROC_MAX_ARGS)
        ktest_fail("syscall: miss=NAME (32 characters at most), nargs=1..%d", PROC_MAX_ARGS);
    strlcpy(text, "/bin/", sizeof text);
    strlcpy(text + 5, miss, sizeof text - 5);
    uint64_t path = put_string(pg, q, q + 0x800, text), x = put_string(pg, q, q + 0x7F0, "x");
    memset(text, 'y', PROC_ARG_MAX);
    text[PROC_ARG_MAX] = '\0';
    uint64_t y128 = put_string(pg, q, q + 0x900, text);      /* PROC_ARG_MAX bytes: too long */
    uint64_t y127 = put_string(pg, q, q + 0xA00, text + 1);  /* the longest that fits */
    arr = (uint64_t *)pg;                                    /* q: PROC_MAX_ARGS + 1 of "x" */
    for (int i = 0; i <= PROC_MAX_ARGS; i++)
        arr[i] = x;
    arr = (uint64_t *)(pg + 0x100);                          /* q + 0x100: nargs, good */
    for (uint64_t i = 0; i < nargs; i++)
        arr[i] = i + 1 == nargs ? y127 : x;
    ((uint64_t *)(pg + 0x200))[0] = y128;                    /* q + 0x200: one too long */
    ((uint64_t *)(pg + 0xFF8))[0] = x;                       /* q + 0xFF8: runs off the page */

    kprintf("syscall: execve with argv NULL -> %ld\n", call(SYS_execve, path, 0, 0));
    kprintf("syscall: execve with %d arguments -> %ld\n", PROC_MAX_ARGS + 1,
            call(SYS_execve, path, q, 0));
    kprintf("syscall: execve with an argument of %d bytes -> %ld\n", PROC_ARG_MAX,
            call(SYS_execve, path, q + 0x200, 0));
    kprintf("syscall: execve with argv running off its page -> %ld\n",
            call(SYS_execve, path, q + 0xFF8, 0));
    kprintf("syscall: execve /bin/%s with %lu arguments -> %ld\n", miss, nargs,
            call(SYS_execve, path, q + 0x100, 0));
}

static int dispatch_calls(void *arg)
{
    struct proc *p = arg;
    const char *word = cmdline_get("word");
    uint64_t buf = need_int("buf"), brk = need_int("brk"), fd = need_int("fd");
    uint64_t nr = need_int("nr");
    uint8_t *page = map_page(p->pml4, buf & ~0xFFFull, VM_USER | VM_WRITE);
    char line[64];

    if (word == NULL || strlen(word) > 32)
        ktest_fail("syscall: word=WORD (32 characters at most)");
    strlcpy(line, "syscall: wrote ", sizeof line);
    strlcpy(line + strlen(line), word, sizeof line - strlen(line));
    strlcpy(line + strlen(line), "\n", sizeof line - strlen(line));
    if ((buf & 0xFFF) + strlen(line) > 4096)
        ktest_fail("syscall: buf must leave room for the line in its page");
    memcpy(page + (buf & 0xFFF), line, strlen(line));
    p->brk_start = p->brk = brk;
    become(p);
    kprintf("syscall: getpid -> %ld\n", call(SYS_getpid, 0, 0, 0));
    long n = call(SYS_write, 1, buf, strlen(line));
    kprintf("syscall: write -> %ld\n", n);
    kprintf("syscall: write to fd %lu -> %ld\n", fd, call(SYS_write, fd, buf, strlen(line)));
    kprintf("syscall: brk(0) -> 0x%lx\n", (uint64_t)call(SYS_brk, 0, 0, 0));
    kprintf("syscall: sched_yield -> %ld\n", call(SYS_sched_yield, 0, 0, 0));
    kprintf("syscall: number %lu -> %ld\n", nr, call(nr, 0, 0, 0));
    kprintf("syscall: number %d -> %ld\n", NSYSCALLS, call(NSYSCALLS, 0, 0, 0));
    kprintf("syscall: number 180 -> %ld\n", call(180, 0, 0, 0));  /* a hole: nfsservctl, never ours */
    kprintf("syscall: number -1 -> %ld\n", call((uint64_t)-1, 0, 0, 0));
    execve_calls(p, buf);
    leave();
    return 0;
}

KTEST(syscall, "pid word buf brk fd nr miss nargs")
{
    run_thread(dispatch_calls, new_proc("calls", (int)need_int("pid")), "calls");
}

/* ---- exercise 3: user_range_ok and the copies, with bad pointers ------------ */

static void range(pte_t *pml4, const char *what, uint64_t addr, uint64_t len, bool write)
{
    kprintf("uaccess: %s 0x%lx +0x%lx %s -> %s\n", what, addr, len, write ? "write" : "read",
            user_range_ok(pml4, addr, len, write) ? "yes" : "no");
}

KTEST(uaccess, "a ro k off len word")
{
    uint64_t a = need_int("a"), ro = need_int("ro"), k = need_int("k");
    uint64_t off = need_int("off"), len = need_int("len");
    const char *word = cmdline_get("word");
    pte_t *pml4 = new_space();
    uint8_t *pa = map_page(pml4, a, VM_USER | VM_WRITE);
    uint8_t *pb = map_page(pml4, a + 4096, VM_USER | VM_WRITE);
    uint8_t *pro = map_page(pml4, ro, VM_USER);
    uint64_t top = USER_TOP - 4096;
    char buf[64];

    if (word == NULL || strlen(word) < 2 || strlen(word) > 32 || off == 0 || off >= 4096 ||
        len == 0 || len > 4096)
        ktest_fail("uaccess: bad parameters");
    map_page(pml4, k, VM_WRITE);    /* in the lower half, but not the user's */
    map_page(pml4, top, VM_USER | VM_WRITE);
    memset(pro, 0x5A, 4096);

    range(pml4, "null", 0, len, false);
    range(pml4, "kernel", KERNEL_VMA + off, len, false);
    range(pml4, "inside", a + off, 4096 - off, true);
    range(pml4, "straddling", a + 4096 - off, len + off, true);
    range(pml4, "last byte past the end", a + 8192 - len, len + 1, false);
    range(pml4, "unmapped", a + 8192 + off, len, false);
    range(pml4, "read-only", ro + off, 4096 - off, false);
    range(pml4, "read-only", ro + off, 4096 - off, true);
    range(pml4, "not the user's", k + off, 1, false);
    range(pml4, "wrapping", a + off, 0 - (a + off) + len, false);
    range(pml4, "huge", a + off, 1ull << 62, false);
    range(pml4, "top", USER_TOP - len, len, true);
    range(pml4, "past the top", USER_TOP - len, len + 1, false);

    memset(buf, 'x', sizeof buf);
    kprintf("uaccess: copy_from_user null -> %d, buffer %s\n",
            copy_from_user(pml4, buf, 0, 8), buf[0] == 'x' ? "untouched" : "written");
    kprintf("uaccess: copy_to_user read-only -> %d, page %s\n",
            copy_to_user(pml4, ro + off - 1, "ab", 2),
            pro[off - 1] == 0x5A && pro[off] == 0x5A ? "untouched" : "written");
    size_t n = strlen(word);
    kprintf("uaccess: copy_to_user across two pages -> %d\n",
            copy_to_user(pml4, a + 4096 - n / 2, word, n + 1));
    memcpy(buf, pa + 4096 - n / 2, n / 2);           /* read back through the direct map */
    memcpy(buf + n / 2, pb, n - n / 2 + 1);
    kprintf("uaccess: read back across two pages: %s\n", buf);
    kprintf("uaccess: strncpy_from_user across two pages -> %ld\n",
            strncpy_from_user(pml4, buf, a + 4096 - n / 2, sizeof buf));
    memcpy(pb + 4096 - n, word, n);  /* no NUL: the next byte is not mapped */
    kprintf("uaccess: strncpy_from_user into the unmapped page -> %ld\n",
            strncpy_from_user(pml4, buf, a + 8192 - n, sizeof buf));
    memcpy(pb, word, n + 1);          /* a NUL after n characters: too many for max n */
    kprintf("uaccess: strncpy_from_user with max %zu -> %ld\n", n,
            strncpy_from_user(pml4, buf, a + 4096, n));
    memset(buf, 'x', sizeof buf);
    kprintf("uaccess: copy_from_user into the unmapped page -> %d, buffer %s\n",
            copy_from_user(pml4, buf, a + 8192 - off % 31 - 1, 32),  /* 1..31 bytes mapped */
            buf[0] == 'x' ? "untouched" : "written");
}

/* ---- exercise 5: user_fault on trap frames made here ------------------------ */

struct fake_fault {
    char name[16];
    uint64_t vector, error, rip, cr2;
};

static int take_fault(void *arg)
{
    struct fake_fault *f = arg;
    struct trap_frame tf = {.vector = f->vector, .error = f->error, .rip = f->rip, .cs = 0x23,
                            .ss = 0x1B, .rsp = USER_STACK_TOP - 64, .rflags = 0x202};

    become(new_proc(f->name, 1));
    cpu_disable_interrupts();        /* as isr_common calls trap_dispatch */
    __asm__ volatile("mov %0, %%cr2" : : "r"(f->cr2));
    trap_dispatch(&tf);              /* from ring 3 (cs & 3): user_fault, which ends us */
    cpu_enable_interrupts();
    leave();
    kprintf("user_fault: %s came back from trap_dispatch (LAB 6, exercise 5)\n", f->name);
    return 0;
}

/* faults=NAME:VECTOR:ERROR:RIP:CR2,... (numbers in decimal or 0x hex) */
KTEST(user_fault, "faults")
{
    const char *list = cmdline_get("faults");
    char item[128];

    while (next_item(&list, item, sizeof item)) {
        static struct fake_fault f;
        uint64_t *fields[] = {&f.vector, &f.error, &f.rip, &f.cr2};
        char *s = strchr(item, ':');
        if (s == NULL || (size_t)(s - item) >= sizeof f.name)
            ktest_fail("user_fault: NAME:VECTOR:ERROR:RIP:CR2, not %s", item);
        memcpy(f.name, item, s - item);
        f.name[s - item] = '\0';
        for (int i = 0; i < 4; i++) {
            char *e = strchr(s + 1, ':');
            if ((e == NULL) != (i == 3))
                ktest_fail("user_fault: NAME:VECTOR:ERROR:RIP:CR2, not %s", item);
            if (e)
                *e = '\0';
            int64_t v;
            if (!parse_int(s + 1, &v))
                ktest_fail("user_fault: %s is not a number", s + 1);
            *fields[i] = (uint64_t)v;
            s = e;
        }
        kprintf("user_fault: %s ended with %d\n", f.name, run_thread(take_fault, &f, f.name));
    }
}

/* ---- challenge 1: the lazy heap, with the brk program ------------------------- */

/* size=BYTES touch=OFF:VAL,...: run brk lazy SIZE OFF VAL ... (with
 * lazybrk=1 on the command line), saying where its page tables are: the
 * grader counts the heap's pages while the program waits for a key. */
KTEST(lazy_brk, "size touch")
{
    static char words[CMDLINE_MAX_LEN];
    char *argv[PROC_MAX_ARGS] = {"brk", "lazy", words};
    const char *list = cmdline_get("touch");
    size_t used = ksnprintf(words, sizeof words, "%lu", need_int("size")) + 1;
    char item[48];
    int argc = 3;

    while (next_item(&list, item, sizeof item)) {
        char *colon = strchr(item, ':');
        if (colon == NULL || argc + 2 > PROC_MAX_ARGS)
            ktest_fail("lazy_brk: touch=OFF:VAL,... (at most %d)", (PROC_MAX_ARGS - 3) / 2);
        *colon = '\0';
        argv[argc++] = words + used;
        used += strlcpy(words + used, item, sizeof words - used) + 1;
        argv[argc++] = words + used;
        used += strlcpy(words + used, colon + 1, sizeof words - used) + 1;
    }
    kfree(kmalloc(sizeof(struct proc)));     /* the heap grown to hold a process first: its
                                              * size is not brk's to give back (Lab 10's is
                                              * 7 KiB) */
    uint64_t before = pmm_free_frames();
    struct proc *p = proc_spawn("brk", argc, argv);
    if (p == NULL)
        ktest_fail("lazy_brk: could not start brk");
    kprintf("lazy_brk: brk is pid %d, pml4 at 0x%lx\n", p->pid, phys_of(p->pml4));
    int status = thread_join(p->thread);
    kfree(p);
    kprintf("lazy_brk: brk ended with %d; free frames before %lu, after %lu\n", status, before,
            pmm_free_frames());
}

/* ---- benchmarks ---------------------------------------------------------------- */

/* benchpid measures in ring 3 and returns its median as the exit status. */
KBENCH(getpid)
{
    char *argv[] = {"benchpid"};
    struct proc *p = proc_spawn("benchpid", 1, argv);

    if (p == NULL)
        return;
#if LAB >= 7
    uint64_t ring3 = (uint64_t)proc_reap(p);  /* exit()'s whole argument; off the table too */
#else
    uint64_t ring3 = (uint64_t)thread_join(p->thread);
    kfree(p);
#endif
    bench_row("getpid from ring 3 (int 0x80)", ring3, "empty interrupt round trip, ring 0",
              bench_median(bench_sample_int, NULL, 31));
}
