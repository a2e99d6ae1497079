/* lab10sig.c - in-kernel test of Lab 10's exercise 4, the handler's frame
 * and rt_sigreturn, on a made-up process: an address space with three
 * stack pages below SIG_TEST_TOP, lent to the test thread as its process
 * (interrupts off, nothing else runs) so that signal_frame_push and the
 * rt_sigreturn system call work on it as on a real one. The registers
 * come from seed (xorshift64, as the grader computes them); rsp is the
 * interrupted stack pointer. It prints what it finds and the grader
 * computes what it must be (grader/lab10_signal_tests.py):
 *     test=sig_frame seed=S rsp=R
 * push: the result, tf as the handler gets it; frame: every field of the
 * rt_sigframe read back from user memory, and the FXSAVE image's MXCSR;
 * sigreturn: rt_sigreturn of that frame (its eflags with IF off and IOPL
 * 3, its mask with SIGKILL, its MXCSR with a reserved bit, its cs and ss
 * not ring 3's code and stack: none may come back) and what tf and the
 * CPU hold after; the same frame without its FXSAVE image; then what must
 * be refused. */
#include <stddef.h>
#include <stdint.h>

#include "cmdline.h"
#include "console.h"
#include "errno.h"
#include "gdt.h"
#include "ktest.h"
#include "paging.h"
#include "pmm.h"
#include "proc.h"
#include "signal.h"
#include "string.h"
#include "syscall.h"
#include "uaccess.h"
#include "x86.h"

#define SIG_TEST_TOP   0x700000000000ull     /* the made-up stack: 3 pages below */
#define SIG_TEST_PAGES 3

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* tf's registers in trap-frame order (r15 ... rax), rip, rflags. */
static void print_regs(const char *what, const struct trap_frame *tf)
{
    const uint64_t *r = &tf->r15;

    kprintf("sig_frame: %s:", what);
    for (int i = 0; i < 15; i++)
        kprintf(" %lx", r[i]);
    kprintf(" rip=%lx rflags=%lx cs=%lx ss=%lx\n", tf->rip, tf->rflags, tf->cs, tf->ss);
}

static uint32_t cpu_mxcsr(void)
{
    uint32_t v;

    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v;
}

/* Fill n bytes of the stack below the caller's frame with 0xa5: what a
 * function called next finds in its locals before it sets them. */
static __attribute__((noinline)) void stack_poison(size_t n)
{
    volatile uint8_t junk[4096];

    for (size_t i = 0; i < n && i < sizeof junk; i++)
        junk[i] = 0xa5;
}

/* rt_sigreturn through the dispatcher with rsp just above frame's pretcode
 * (cs and ss 0: they must come back ring 3's whatever the call came with). */
static struct trap_frame sigreturn(uint64_t frame)
{
    struct trap_frame tf = {.rax = 15, .rsp = frame + 8, .rip = 0x401000, .rflags = 0x202,
                            .vector = VECTOR_SYSCALL};

    syscall_dispatch(&tf);
    return tf;
}

KTEST(sig_frame, "seed rsp")
{
    uint64_t s = (uint64_t)cmdline_get_int("seed", 1) | 1;
    uint64_t rsp = (uint64_t)cmdline_get_int("rsp", 0);
    static struct proc fake;         /* static: 3 KiB of signals are too big for the stack */
    pte_t *pml4 = as_create();

    if (pml4 == NULL)
        ktest_fail("sig_frame: out of memory");
    for (int i = 1; i <= SIG_TEST_PAGES; i++) {
        uint64_t pa = pmm_alloc_zeroed();
        if (pa == 0 || vmm_map(pml4, SIG_TEST_TOP - i * PAGE_SIZE, pa, VM_USER | VM_WRITE))
            ktest_fail("sig_frame: out of memory");
    }
    if (rsp < SIG_TEST_TOP - PAGE_SIZE || rsp >= SIG_TEST_TOP)
        ktest_fail("sig_frame: rsp must be in the top page below %p", (void *)SIG_TEST_TOP);

    uint64_t v[24];                  /* drawn in this order (the grader draws the same) */
    for (int i = 0; i < 24; i++)
        v[i] = xorshift(&s);
    struct trap_frame tf = {.vector = VECTOR_SYSCALL, .error = v[0] & 0xffff,
                            .cs = SEG_USER_CODE | 3, .ss = SEG_USER_DATA | 3, .rsp = rsp};
    memcpy(&tf.r15, &v[1], 15 * sizeof v[0]);             /* r15 ... rax */
    tf.rip = v[16] & 0x7fffffffffffull;
    tf.rflags = 0x10702 | (v[17] & 0xcd5);                /* DF, TF, RF, IF and some more */
    struct sigaction_k act = {.handler = v[18] & 0x7fffffffffffull,
                              .flags = SA_RESTORER | SA_SIGINFO,
                              .restorer = v[19] & 0x7fffffffffffull};
    uint64_t oldmask = v[20] & ~SIG_UNBLOCKABLE;
    struct siginfo info = {.si_signo = SIGUSR1, .si_code = SI_USER,
                           .si_pid = (int)(v[21] % 1000) + 1};
    uint32_t mxcsr = 0x3f80 | (uint32_t)(v[22] & 0x403f);       /* rounding and flags */
    uint32_t mxcsr2 = 0x5f80 | (uint32_t)(v[23] & 0x203f);

    print_regs("before", &tf);
    push_cli();                      /* nothing else runs while the test owns fake */
    struct proc *was = current->proc;
    fake.pml4 = pml4;
    fake.pid = 4242;
    strlcpy(fake.name, "sig_frame", sizeof fake.name);
    current->proc = &fake;
    memcpy(current->fpu + 24, &mxcsr, 4);    /* the interrupted code's MXCSR, in the CPU */
    thread_fpu_forget(current);
    thread_fpu_load(current);

    struct trap_frame handler = tf;
    stack_poison(4096);              /* a frame not cleared first would show 0xa5 bytes */
    int err = signal_frame_push(&handler, SIGUSR1, &act, &info, oldmask);
    kprintf("sig_frame: push %d\n", err);
    print_regs("handler", &handler);
    kprintf("sig_frame: handler mxcsr %x\n", cpu_mxcsr());
    uint64_t at = handler.rsp;
    struct rt_sigframe f;
    uint32_t saved_mxcsr = 0;
    if (err || copy_from_user(pml4, &f, at, sizeof f) ||
        copy_from_user(pml4, &saved_mxcsr, f.uc.uc_mcontext.fpstate + 24, 4))
        memset(&f, 0, sizeof f);
    const struct sigcontext *sc = &f.uc.uc_mcontext;
    kprintf("sig_frame: frame pretcode=%lx flags=%lx link=%lx sigmask=%lx info=%d,%d,%d,%d\n",
            f.pretcode, f.uc.uc_flags, f.uc.uc_link, f.uc.uc_sigmask, f.info.si_signo,
            f.info.si_errno, f.info.si_code, f.info.si_pid);
    kprintf("sig_frame: context %lx %lx %lx %lx %lx %lx %lx %lx %lx %lx %lx %lx %lx %lx %lx %lx"
            " rip=%lx eflags=%lx cs=%x ss=%x err=%lx trapno=%lx oldmask=%lx fpstate=%lx"
            " mxcsr=%x\n",
            sc->r8, sc->r9, sc->r10, sc->r11, sc->r12, sc->r13, sc->r14, sc->r15, sc->rdi,
            sc->rsi, sc->rbp, sc->rbx, sc->rdx, sc->rax, sc->rcx, sc->rsp, sc->rip, sc->eflags,
            sc->cs, sc->ss, sc->err, sc->trapno, sc->oldmask, sc->fpstate, saved_mxcsr);
    uint64_t rest = f.uc.uc_stack.ss_sp | f.uc.uc_stack.ss_size | (uint32_t)f.uc.uc_stack.ss_flags |
                    (uint32_t)f.uc.uc_stack.pad | sc->gs | sc->fs | sc->cr2;
    for (int i = 0; i < 8; i++)
        rest |= sc->reserved[i];
    kprintf("sig_frame: frame zero elsewhere (uc_stack, gs, fs, cr2, reserved): %s\n",
            rest == 0 ? "yes" : "no");

    /* What the handler may change, and what rt_sigreturn must not take. */
    f.uc.uc_mcontext.eflags = (sc->eflags | 0x3000) & ~0x200ull;     /* IOPL 3, IF off */
    f.uc.uc_mcontext.rbx ^= 0xff;
    f.uc.uc_sigmask = oldmask | SIG_BIT(SIGKILL);
    f.uc.uc_mcontext.cs = SEG_USER_DATA | 3;                         /* ring 3, but not code */
    f.uc.uc_mcontext.ss = 0x2b;
    uint32_t reserved = mxcsr2 | 0x10000;                             /* a reserved bit */
    if (!err) {
        copy_to_user(pml4, at, &f, sizeof f);
        copy_to_user(pml4, sc->fpstate + 24, &reserved, 4);
    }
    struct trap_frame back = sigreturn(at);
    print_regs("sigreturn", &back);
    kprintf("sig_frame: sigreturn blocked=%lx mxcsr=%x killed=%d\n", fake.sig.blocked,
            cpu_mxcsr(), fake.killed);

    /* No FXSAVE image (fpstate 0): a clean x87/SSE state. */
    if (!err) {
        struct rt_sigframe g = f;
        g.uc.uc_mcontext.fpstate = 0;
        copy_to_user(pml4, at, &g, sizeof g);
        struct trap_frame b = sigreturn(at);
        kprintf("sig_frame: no fpstate: mxcsr=%x rip=%lx killed=%d\n", cpu_mxcsr(), b.rip,
                fake.killed);
    }

    /* Refused: no restorer; no room below rsp; a bad rip, cs or fpstate. */
    struct trap_frame t2 = tf;
    struct sigaction_k bare = act;
    bare.flags = SA_SIGINFO;
    int e1 = signal_frame_push(&t2, SIGUSR1, &bare, &info, oldmask);
    int same1 = memcmp(&t2, &tf, sizeof tf) == 0;
    t2.rsp = SIG_TEST_TOP - SIG_TEST_PAGES * PAGE_SIZE + 256;
    int e2 = signal_frame_push(&t2, SIGUSR1, &act, &info, oldmask);
    kprintf("sig_frame: refused: no restorer %d (tf the same: %s), no room %d\n", e1,
            same1 ? "yes" : "no", e2);
    const char *bad[] = {"rip", "cs", "fpstate"};
    for (int k = 0; k < 3 && !err; k++) {
        struct rt_sigframe g = f;
        if (k == 0)
            g.uc.uc_mcontext.rip = 0x800000000000ull;
        else if (k == 1)
            g.uc.uc_mcontext.cs = SEG_KERNEL_CODE;
        else
            g.uc.uc_mcontext.fpstate = SIG_TEST_TOP;                 /* not mapped */
        copy_to_user(pml4, at, &g, sizeof g);
        fake.killed = 0;
        struct trap_frame b = sigreturn(at);
        kprintf("sig_frame: bad %s: rax=%ld killed=%d rip=%lx cs=%lx\n", bad[k], (long)b.rax,
                fake.killed, b.rip, b.cs);
    }

    signal_fpu_reset();              /* the test thread's clean registers again */
    current->proc = was;
    pop_cli();
    as_destroy(pml4);
}
