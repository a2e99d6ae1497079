/* sigtest.c - signals as a C library sees them: handlers, masks, siginfo,
 * SIGCHLD, SIGPIPE, -EINTR and SA_RESTART, default actions, execve, and
 * the frame itself (registers, flags, SSE state and MXCSR the same after a
 * handler, what the handler changes in its ucontext taken back, a bad
 * frame killed with SIGSEGV). Lab 10, exercise 4 (handout §6). Built with
 * musl-gcc -static: the grader runs the same binary on the host's Linux
 * and compares the lines. Output goes through write(2) only (no stdio, no
 * malloc): handlers may print.
 *     sigtest SEED [TEST...]     the tests named (default: all)
 * The register values come from SEED, so every run prints other numbers. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* ---- output without stdio ----------------------------------------------------- */

static char line[256];
static size_t used;

static void put(const char *s)
{
    while (*s && used < sizeof line - 1)
        line[used++] = *s++;
}

static void put_hex(uint64_t v)
{
    char buf[19] = "0x";
    int n = 2;

    for (int shift = 60; shift >= 0; shift -= 4)
        if ((v >> shift) || shift == 0 || n > 2)
            buf[n++] = "0123456789abcdef"[(v >> shift) & 15];
    buf[n] = 0;
    put(buf);
}

static void put_dec(long v)
{
    char buf[24];
    int n = sizeof buf - 1;
    unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;

    buf[n] = 0;
    do
        buf[--n] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        buf[--n] = '-';
    put(buf + n);
}

/* End the line: "sigtest: " and what was put, on fd 1, in one write. */
static void say(void)
{
    char out[sizeof line + 16] = "sigtest: ";
    size_t n = strlen(out);

    memcpy(out + n, line, used);
    n += used;
    out[n++] = '\n';
    used = 0;
    write(1, out, n);
}

static const char *yes(int ok)
{
    return ok ? "yes" : "NO";
}

static uint64_t seed;

static uint64_t next_random(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static void on(int sig, void (*handler)(int, siginfo_t *, void *), int flags, const sigset_t *mask)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = flags | SA_SIGINFO;
    if (mask)
        sa.sa_mask = *mask;
    sigaction(sig, &sa, NULL);
}

static void set_action(int sig, void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigaction(sig, &sa, NULL);
}

/* ---- the frame: registers across a handler (probe and spin in assembly) ----------- */

/* What probe loads before its kill and finds after it; spin's too. */
struct regs {
    uint64_t rbx, rbp, r12, r13, r14, r15, rdi, rsi, rdx, r8, r9, r10; /* 0..88 */
    uint64_t xmm[32];                                                  /* 96 */
    uint64_t rax, rcx, r11, rflags;                                    /* 352 */
    uint32_t mxcsr, pad;                                               /* 384 */
};

/* probe(in, out, pid, sig): the registers from in (rdi and rsi too, then
 * kill's pid and sig), MXCSR from in, the direction flag set; kill(pid,
 * sig) with the syscall instruction (the handler runs on its way back);
 * then every register, rflags and MXCSR into out. */
void probe(const struct regs *in, struct regs *out, long pid, long sig);
__asm__(".text\n"
        "probe:\n"
        "    push %rbx\n    push %rbp\n    push %r12\n    push %r13\n    push %r14\n    push %r15\n"
        "    push %rsi\n"                    /* out: 8(%rsp) */
        "    push %rcx\n"                    /* sig: 0(%rsp) */
        "    mov %rdx, %r11\n"
        "    mov %rdi, %rax\n"
        "    ldmxcsr 384(%rax)\n"
        "    movdqu 96(%rax), %xmm0\n    movdqu 112(%rax), %xmm1\n"
        "    movdqu 128(%rax), %xmm2\n   movdqu 144(%rax), %xmm3\n"
        "    movdqu 160(%rax), %xmm4\n   movdqu 176(%rax), %xmm5\n"
        "    movdqu 192(%rax), %xmm6\n   movdqu 208(%rax), %xmm7\n"
        "    movdqu 224(%rax), %xmm8\n   movdqu 240(%rax), %xmm9\n"
        "    movdqu 256(%rax), %xmm10\n  movdqu 272(%rax), %xmm11\n"
        "    movdqu 288(%rax), %xmm12\n  movdqu 304(%rax), %xmm13\n"
        "    movdqu 320(%rax), %xmm14\n  movdqu 336(%rax), %xmm15\n"
        "    mov 0(%rax), %rbx\n    mov 8(%rax), %rbp\n    mov 16(%rax), %r12\n"
        "    mov 24(%rax), %r13\n   mov 32(%rax), %r14\n   mov 40(%rax), %r15\n"
        "    mov 64(%rax), %rdx\n   mov 72(%rax), %r8\n    mov 80(%rax), %r9\n"
        "    mov 88(%rax), %r10\n"
        "    mov %r11, %rdi\n"
        "    mov (%rsp), %rsi\n"
        "    mov $62, %eax\n"
        "    std\n"
        "    syscall\n"
        "    pushf\n"
        "    cld\n"
        "    mov 16(%rsp), %rcx\n"
        "    popq 376(%rcx)\n"
        "    mov %rax, 352(%rcx)\n"
        "    mov %r11, 368(%rcx)\n"
        "    stmxcsr 384(%rcx)\n"
        "    mov %rbx, 0(%rcx)\n    mov %rbp, 8(%rcx)\n    mov %r12, 16(%rcx)\n"
        "    mov %r13, 24(%rcx)\n   mov %r14, 32(%rcx)\n   mov %r15, 40(%rcx)\n"
        "    mov %rdi, 48(%rcx)\n   mov %rsi, 56(%rcx)\n   mov %rdx, 64(%rcx)\n"
        "    mov %r8, 72(%rcx)\n    mov %r9, 80(%rcx)\n    mov %r10, 88(%rcx)\n"
        "    movdqu %xmm0, 96(%rcx)\n   movdqu %xmm1, 112(%rcx)\n"
        "    movdqu %xmm2, 128(%rcx)\n  movdqu %xmm3, 144(%rcx)\n"
        "    movdqu %xmm4, 160(%rcx)\n  movdqu %xmm5, 176(%rcx)\n"
        "    movdqu %xmm6, 192(%rcx)\n  movdqu %xmm7, 208(%rcx)\n"
        "    movdqu %xmm8, 224(%rcx)\n  movdqu %xmm9, 240(%rcx)\n"
        "    movdqu %xmm10, 256(%rcx)\n movdqu %xmm11, 272(%rcx)\n"
        "    movdqu %xmm12, 288(%rcx)\n movdqu %xmm13, 304(%rcx)\n"
        "    movdqu %xmm14, 320(%rcx)\n movdqu %xmm15, 336(%rcx)\n"
        "    add $16, %rsp\n"
        "    pop %r15\n    pop %r14\n    pop %r13\n    pop %r12\n    pop %rbp\n    pop %rbx\n"
        "    ret\n");

/* What the handler saw at its first instruction (frame_entry). */
uint64_t entry_rsp, entry_rdi, entry_rsi, entry_rdx, entry_rax, entry_rflags;
uint32_t entry_mxcsr;
void frame_handler(void);

/* The handler of the frame tests: note the registers it starts with, then
 * wreck every register it may (the C code after it keeps the wreckage in
 * the callee-saved ones: only the frame can bring them back) and run
 * frame_handler. */
void frame_entry(int sig, siginfo_t *info, void *uc);
__asm__(".text\n"
        "frame_entry:\n"
        "    mov %rsp, entry_rsp(%rip)\n"
        "    mov %rdi, entry_rdi(%rip)\n"
        "    mov %rsi, entry_rsi(%rip)\n"
        "    mov %rdx, entry_rdx(%rip)\n"
        "    mov %rax, entry_rax(%rip)\n"
        "    pushf\n"
        "    popq entry_rflags(%rip)\n"
        "    stmxcsr entry_mxcsr(%rip)\n"
        "    mov $0x5a5a5a5a5a5a5a5a, %rax\n"
        "    mov %rax, %rbx\n    mov %rax, %rbp\n    mov %rax, %r12\n    mov %rax, %r13\n"
        "    mov %rax, %r14\n    mov %rax, %r15\n    mov %rax, %rcx\n    mov %rax, %rdx\n"
        "    mov %rax, %rsi\n    mov %rax, %rdi\n    mov %rax, %r8\n     mov %rax, %r9\n"
        "    mov %rax, %r10\n    mov %rax, %r11\n"
        "    movq %rax, %xmm0\n  pshufd $0, %xmm0, %xmm0\n"
        "    movdqa %xmm0, %xmm1\n  movdqa %xmm0, %xmm2\n  movdqa %xmm0, %xmm3\n"
        "    movdqa %xmm0, %xmm4\n  movdqa %xmm0, %xmm5\n  movdqa %xmm0, %xmm6\n"
        "    movdqa %xmm0, %xmm7\n  movdqa %xmm0, %xmm8\n  movdqa %xmm0, %xmm9\n"
        "    movdqa %xmm0, %xmm10\n movdqa %xmm0, %xmm11\n movdqa %xmm0, %xmm12\n"
        "    movdqa %xmm0, %xmm13\n movdqa %xmm0, %xmm14\n movdqa %xmm0, %xmm15\n"
        "    jmp frame_handler\n");

/* spin: every register but rsp from spin_in (rflags: DF clear), MXCSR too,
 * then loop until spin_flag is set (by a handler that comes with a timer
 * interrupt, not a system call); then all of them into spin_out. */
struct regs16 {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t xmm[32];
    uint32_t mxcsr, pad;
};
struct regs16 spin_in, spin_out;
volatile int spin_flag;
void spin(void);
__asm__(".text\n"
        "spin:\n"
        "    push %rbx\n    push %rbp\n    push %r12\n    push %r13\n    push %r14\n    push %r15\n"
        "    ldmxcsr spin_in+376(%rip)\n"
        "    movdqu spin_in+120(%rip), %xmm0\n   movdqu spin_in+136(%rip), %xmm1\n"
        "    movdqu spin_in+152(%rip), %xmm2\n   movdqu spin_in+168(%rip), %xmm3\n"
        "    movdqu spin_in+184(%rip), %xmm4\n   movdqu spin_in+200(%rip), %xmm5\n"
        "    movdqu spin_in+216(%rip), %xmm6\n   movdqu spin_in+232(%rip), %xmm7\n"
        "    movdqu spin_in+248(%rip), %xmm8\n   movdqu spin_in+264(%rip), %xmm9\n"
        "    movdqu spin_in+280(%rip), %xmm10\n  movdqu spin_in+296(%rip), %xmm11\n"
        "    movdqu spin_in+312(%rip), %xmm12\n  movdqu spin_in+328(%rip), %xmm13\n"
        "    movdqu spin_in+344(%rip), %xmm14\n  movdqu spin_in+360(%rip), %xmm15\n"
        "    mov spin_in+0(%rip), %rax\n   mov spin_in+8(%rip), %rbx\n"
        "    mov spin_in+16(%rip), %rcx\n  mov spin_in+24(%rip), %rdx\n"
        "    mov spin_in+32(%rip), %rsi\n  mov spin_in+40(%rip), %rdi\n"
        "    mov spin_in+48(%rip), %rbp\n  mov spin_in+56(%rip), %r8\n"
        "    mov spin_in+64(%rip), %r9\n   mov spin_in+72(%rip), %r10\n"
        "    mov spin_in+80(%rip), %r11\n  mov spin_in+88(%rip), %r12\n"
        "    mov spin_in+96(%rip), %r13\n  mov spin_in+104(%rip), %r14\n"
        "    mov spin_in+112(%rip), %r15\n"
        "1:  cmpl $0, spin_flag(%rip)\n"
        "    je 1b\n"
        "    mov %rax, spin_out+0(%rip)\n   mov %rbx, spin_out+8(%rip)\n"
        "    mov %rcx, spin_out+16(%rip)\n  mov %rdx, spin_out+24(%rip)\n"
        "    mov %rsi, spin_out+32(%rip)\n  mov %rdi, spin_out+40(%rip)\n"
        "    mov %rbp, spin_out+48(%rip)\n  mov %r8, spin_out+56(%rip)\n"
        "    mov %r9, spin_out+64(%rip)\n   mov %r10, spin_out+72(%rip)\n"
        "    mov %r11, spin_out+80(%rip)\n  mov %r12, spin_out+88(%rip)\n"
        "    mov %r13, spin_out+96(%rip)\n  mov %r14, spin_out+104(%rip)\n"
        "    mov %r15, spin_out+112(%rip)\n"
        "    movdqu %xmm0, spin_out+120(%rip)\n   movdqu %xmm1, spin_out+136(%rip)\n"
        "    movdqu %xmm2, spin_out+152(%rip)\n   movdqu %xmm3, spin_out+168(%rip)\n"
        "    movdqu %xmm4, spin_out+184(%rip)\n   movdqu %xmm5, spin_out+200(%rip)\n"
        "    movdqu %xmm6, spin_out+216(%rip)\n   movdqu %xmm7, spin_out+232(%rip)\n"
        "    movdqu %xmm8, spin_out+248(%rip)\n   movdqu %xmm9, spin_out+264(%rip)\n"
        "    movdqu %xmm10, spin_out+280(%rip)\n  movdqu %xmm11, spin_out+296(%rip)\n"
        "    movdqu %xmm12, spin_out+312(%rip)\n  movdqu %xmm13, spin_out+328(%rip)\n"
        "    movdqu %xmm14, spin_out+344(%rip)\n  movdqu %xmm15, spin_out+360(%rip)\n"
        "    stmxcsr spin_out+376(%rip)\n"
        "    pop %r15\n    pop %r14\n    pop %r13\n    pop %r12\n    pop %rbp\n    pop %rbx\n"
        "    ret\n");

static uint64_t r12_flip, xmm7_flip, rcx_flip;   /* what the handlers change in the frame */
static siginfo_t frame_info;
static uint64_t frame_uc;
static int frame_ran;

void frame_handler(void)
{
    ucontext_t *uc = (ucontext_t *)entry_rdx;

    frame_ran++;
    frame_info = *(siginfo_t *)entry_rsi;
    frame_uc = entry_rdx;
    uc->uc_mcontext.gregs[REG_R12] ^= r12_flip;          /* rt_sigreturn must take these */
    uc->uc_mcontext.gregs[REG_EFL] ^= 1;                 /* CF: rflags no longer r11's */
    uc->uc_mcontext.fpregs->_xmm[7].element[0] ^= (uint32_t)xmm7_flip;
    uc->uc_mcontext.fpregs->_xmm[7].element[3] ^= (uint32_t)(xmm7_flip >> 32);
}

static void test_frame(void)
{
    struct regs in, out;
    uint64_t *a = &in.rbx;

    for (int i = 0; i < 44; i++)
        a[i] = next_random();
    in.mxcsr = 0x1f80 | 0x6000;                          /* round toward zero: not the default */
    r12_flip = next_random() | 1;
    xmm7_flip = next_random() | 1;
    on(SIGUSR1, frame_entry, 0, NULL);
    probe(&in, &out, getpid(), SIGUSR1);
    put("frame: handler ran ");
    put_dec(frame_ran);
    put(" time(s); at entry rsp % 16 = ");
    put_dec((long)(entry_rsp % 16));
    put(", rdi = ");
    put_dec((long)entry_rdi);
    put(", rsi = rsp + ");
    put_dec((long)(entry_rsi - entry_rsp));
    put(", rdx = rsp + ");
    put_dec((long)(entry_rdx - entry_rsp));
    put(", rax = ");
    put_dec((long)entry_rax);
    say();
    put("frame: at entry DF ");
    put(entry_rflags & 0x400 ? "set" : "clear");
    put(", MXCSR ");
    put_hex(entry_mxcsr);
    put("; siginfo: signo ");
    put_dec(frame_info.si_signo);
    put(", code ");
    put_dec(frame_info.si_code);
    put(", pid is mine: ");
    put(yes(frame_info.si_pid == getpid()));
    say();
    int gprs = out.rbx == in.rbx && out.rbp == in.rbp && out.r13 == in.r13 &&
               out.r14 == in.r14 && out.r15 == in.r15 && out.rdx == in.rdx &&
               out.r8 == in.r8 && out.r9 == in.r9 && out.r10 == in.r10 &&
               out.rdi == (uint64_t)getpid() && out.rsi == SIGUSR1;
    put("frame: after: rbx rbp r13-r15 rdx r8-r10 rdi rsi as before: ");
    put(yes(gprs));
    put("; kill returned ");
    put_dec((long)out.rax);
    put("; r12 ");
    put_hex(out.r12);
    put(" (before ");
    put_hex(in.r12);
    put(", the handler flipped ");
    put_hex(r12_flip);
    put(")");
    say();
    int xmm = 1;
    for (int i = 0; i < 32; i++)
        if (i != 14 && i != 15)
            xmm &= out.xmm[i] == in.xmm[i];
    put("frame: after: xmm0-6 and xmm8-15 as before: ");
    put(yes(xmm));
    put("; xmm7 ");
    put_hex(out.xmm[15]);
    put(":");
    put_hex(out.xmm[14]);
    put(" (before ");
    put_hex(in.xmm[15]);
    put(":");
    put_hex(in.xmm[14]);
    put(")");
    say();
    put("frame: after: DF ");
    put(out.rflags & 0x400 ? "set" : "clear");
    put(", CF flipped by the handler: ");                /* r11: the rflags syscall saw */
    put(yes(((out.rflags ^ out.r11) & 1) == 1));
    put(", MXCSR ");
    put_hex(out.mxcsr);
    say();
    set_action(SIGUSR1, SIG_DFL);
}

/* ---- asynchronous delivery: a timer interrupt, then iretq ---------------------------- */

static void async_handler(int sig, siginfo_t *info, void *ucv)
{
    ucontext_t *uc = ucv;

    (void)sig, (void)info;
    uc->uc_mcontext.gregs[REG_RCX] ^= rcx_flip;         /* rt_sigreturn's iretq brings it */
    spin_flag = 1;
    __asm__ volatile("pxor %%xmm3, %%xmm3\n\tpcmpeqd %%xmm9, %%xmm9" ::: "xmm3", "xmm9");
}

static void test_async(void)
{
    int ready[2];
    uint64_t *a = &spin_in.rax;

    for (int i = 0; i < 47; i++)
        a[i] = next_random();
    spin_in.mxcsr = 0x1f80 | 0x2000;                     /* round down */
    rcx_flip = next_random() | 1;
    pipe(ready);
    pid_t pid = fork();
    if (pid == 0) {
        on(SIGUSR1, async_handler, 0, NULL);
        write(ready[1], "r", 1);
        spin();
        int gprs = 1;
        for (int i = 0; i < 15; i++)
            if (i != 2)
                gprs &= a[i] == (&spin_out.rax)[i];
        int xmm = 1;
        for (int i = 0; i < 32; i++)
            xmm &= spin_in.xmm[i] == spin_out.xmm[i];
        put("async: while spinning: every register but rcx as before: ");
        put(yes(gprs));
        put("; rcx flipped by the handler: ");
        put(yes(spin_out.rcx == (spin_in.rcx ^ rcx_flip)));
        put("; xmm0-15 as before: ");
        put(yes(xmm));
        put("; MXCSR ");
        put_hex(spin_out.mxcsr);
        say();
        _exit(0);
    }
    char c;
    read(ready[0], &c, 1);
    usleep(20000);                   /* it spins by now */
    kill(pid, SIGUSR1);
    int status;
    waitpid(pid, &status, 0);
    close(ready[0]);
    close(ready[1]);
}

/* ---- masks ---------------------------------------------------------------------- */

static int count[65];
static sigset_t mask_in_handler;
static int depth, max_depth;

static void counting(int sig, siginfo_t *info, void *uc)
{
    (void)info, (void)uc;
    count[sig]++;
    sigprocmask(SIG_BLOCK, NULL, &mask_in_handler);
}

static void reraising(int sig, siginfo_t *info, void *uc)
{
    (void)info, (void)uc;
    count[sig]++;
    if (++depth > max_depth)
        max_depth = depth;
    if (count[sig] == 1)
        raise(sig);                  /* blocked while this handler runs, unless SA_NODEFER */
    depth--;
}

static void test_mask(void)
{
    sigset_t set, old, pending, extra;

    sigemptyset(&extra);
    sigaddset(&extra, SIGHUP);
    on(SIGUSR2, counting, 0, &extra);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, &old);
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR2);         /* (not raise: Linux keeps a thread's tkill apart) */
    sigpending(&pending);
    put("mask: blocked SIGUSR2 sent twice: handler ran ");
    put_dec(count[SIGUSR2]);
    put(" time(s), pending: ");
    put(yes(sigismember(&pending, SIGUSR2)));
    say();
    sigprocmask(SIG_SETMASK, &old, NULL);
    put("mask: unblocked: handler ran ");
    put_dec(count[SIGUSR2]);
    put(" time(s); during it SIGUSR2 blocked: ");
    put(yes(sigismember(&mask_in_handler, SIGUSR2)));
    put(", SIGHUP (sa_mask) blocked: ");
    put(yes(sigismember(&mask_in_handler, SIGHUP)));
    sigprocmask(SIG_BLOCK, NULL, &set);
    put("; after it SIGUSR2 blocked: ");
    put(yes(sigismember(&set, SIGUSR2)));
    put(", SIGHUP blocked: ");
    put(yes(sigismember(&set, SIGHUP)));
    say();
    sigemptyset(&set);
    sigaddset(&set, SIGKILL);
    sigaddset(&set, SIGSTOP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigprocmask(SIG_BLOCK, NULL, &set);
    put("mask: SIGKILL and SIGSTOP never blocked: ");
    put(yes(!sigismember(&set, SIGKILL) && !sigismember(&set, SIGSTOP)));
    say();

    on(SIGUSR1, reraising, 0, NULL);
    count[SIGUSR1] = max_depth = 0;
    raise(SIGUSR1);
    put("mask: a handler raising its own signal: ran ");
    put_dec(count[SIGUSR1]);
    put(" times, nested ");
    put_dec(max_depth);
    put(" deep; with SA_NODEFER: ");
    on(SIGUSR1, reraising, SA_NODEFER, NULL);
    count[SIGUSR1] = max_depth = 0;
    raise(SIGUSR1);
    put_dec(count[SIGUSR1]);
    put(" times, ");
    put_dec(max_depth);
    put(" deep");
    say();

    struct sigaction sa;
    on(SIGUSR1, counting, SA_RESETHAND, NULL);
    count[SIGUSR1] = 0;
    raise(SIGUSR1);
    sigaction(SIGUSR1, NULL, &sa);
    put("mask: SA_RESETHAND: ran ");
    put_dec(count[SIGUSR1]);
    put(" time(s), then the action is SIG_DFL: ");
    put(yes(sa.sa_handler == SIG_DFL));
    say();
}

/* ---- siginfo, SIGCHLD, sigsuspend ----------------------------------------------- */

static siginfo_t last_info;

static void keep_info(int sig, siginfo_t *info, void *uc)
{
    (void)uc;
    count[sig]++;
    last_info = *info;
}

static void test_chld(void)
{
    sigset_t chld, old, now;
    int code = (int)(next_random() % 200) + 1, status;

    on(SIGCHLD, keep_info, 0, NULL);
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    pid_t pid = fork();
    if (pid == 0)
        _exit(code);
    sigset_t wait_mask = old;
    sigdelset(&wait_mask, SIGCHLD);
    int r = sigsuspend(&wait_mask);
    int err = errno;
    sigprocmask(SIG_BLOCK, NULL, &now);
    put("chld: sigsuspend returned ");
    put_dec(r);
    put(err == EINTR ? " (EINTR)" : " (not EINTR)");
    put(" after the handler ran ");
    put_dec(count[SIGCHLD]);
    put(" time(s); SIGCHLD blocked again: ");
    put(yes(sigismember(&now, SIGCHLD)));
    say();
    put("chld: siginfo: code ");
    put_dec(last_info.si_code);
    put(" (CLD_EXITED ");
    put_dec(CLD_EXITED);
    put("), status ");
    put_dec(last_info.si_status);
    put(" (exit ");
    put_dec(code);
    put("), pid is the child's: ");
    put(yes(last_info.si_pid == pid));
    say();
    waitpid(pid, &status, 0);
    pid = fork();
    if (pid == 0) {
        kill(getpid(), SIGTERM);
        _exit(0);
    }
    sigsuspend(&wait_mask);
    put("chld: a child killed by SIGTERM: code ");
    put_dec(last_info.si_code);
    put(" (CLD_KILLED ");
    put_dec(CLD_KILLED);
    put("), status ");
    put_dec(last_info.si_status);
    waitpid(pid, &status, 0);
    put("; wait4 says signalled ");
    put(yes(WIFSIGNALED(status)));
    put(" by ");
    put_dec(WTERMSIG(status));
    say();
    sigprocmask(SIG_SETMASK, &old, NULL);
    set_action(SIGCHLD, SIG_DFL);

    on(SIGUSR2, keep_info, 0, NULL);
    kill(getpid(), SIGUSR2);
    put("siginfo: kill gives code ");
    put_dec(last_info.si_code);
    put(" (SI_USER ");
    put_dec(SI_USER);
    put(") pid mine ");
    put(yes(last_info.si_pid == getpid()));
    raise(SIGUSR2);
    put("; raise (tkill) gives code ");
    put_dec(last_info.si_code);
    put(" (SI_TKILL ");
    put_dec(SI_TKILL);
    put(")");
    say();
    set_action(SIGUSR2, SIG_DFL);
}

/* ---- -EINTR and SA_RESTART -------------------------------------------------------- */

/* Block in read of a pipe while a child sends SIGUSR1 and then, later, a
 * byte: what the read returns, and errno. */
static void interrupted_read(int flags)
{
    int data[2], ready[2];
    char c = 0;

    on(SIGUSR1, counting, flags, NULL);
    count[SIGUSR1] = 0;
    pipe(data);
    pipe(ready);
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        read(ready[0], &c, 1);
        usleep(100000);              /* the parent is in its read by now */
        kill(parent, SIGUSR1);
        usleep(100000);
        write(data[1], "x", 1);
        _exit(0);
    }
    write(ready[1], "r", 1);
    long n = read(data[0], &c, 1);
    int err = errno;
    put(flags & SA_RESTART ? "eintr: with SA_RESTART" : "eintr: without SA_RESTART");
    put(", read returned ");
    put_dec(n);
    put(n < 0 ? (err == EINTR ? " (EINTR)" : " (another error)") : "");
    put(" after the handler ran ");
    put_dec(count[SIGUSR1]);
    put(" time(s)");
    if (n < 0) {
        n = read(data[0], &c, 1);
        put("; read again: ");
        put_dec(n);
    }
    say();
    int status;
    waitpid(pid, &status, 0);
    close(data[0]), close(data[1]), close(ready[0]), close(ready[1]);
    set_action(SIGUSR1, SIG_DFL);
}

/* A 5-second nanosleep a child's SIGUSR1 interrupts after 0.1 s. */
static void interrupted_sleep(void)
{
    struct timespec req = {5, 0}, rem = {0, 0};
    int status;

    on(SIGUSR1, counting, 0, NULL);
    count[SIGUSR1] = 0;
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        usleep(100000);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    int r = nanosleep(&req, &rem);
    int err = errno;
    put("eintr: a nanosleep of 5 s returned ");
    put_dec(r);
    put(r < 0 ? (err == EINTR ? " (EINTR)" : " (another error)") : "");
    put(" after the handler ran ");
    put_dec(count[SIGUSR1]);
    put(" time(s); 1 to 5 s left: ");
    put(yes(rem.tv_sec >= 1 && rem.tv_sec < 5));
    say();
    waitpid(pid, &status, 0);
    set_action(SIGUSR1, SIG_DFL);
}

static void test_eintr(void)
{
    interrupted_read(0);
    interrupted_read(SA_RESTART);
    interrupted_sleep();
}

/* ---- SIGPIPE and the default actions ---------------------------------------------- */

static void test_pipe(void)
{
    int fds[2], status;

    pipe(fds);
    close(fds[0]);
    on(SIGPIPE, counting, 0, NULL);
    count[SIGPIPE] = 0;
    long n = write(fds[1], "x", 1);
    int err = errno;
    put("pipe: no reader, a handler: write returned ");
    put_dec(n);
    put(err == EPIPE ? " (EPIPE)" : " (not EPIPE)");
    put(", the handler ran ");
    put_dec(count[SIGPIPE]);
    put(" time(s)");
    set_action(SIGPIPE, SIG_IGN);
    n = write(fds[1], "x", 1);
    err = errno;
    put("; ignored: write returned ");
    put_dec(n);
    put(err == EPIPE ? " (EPIPE)" : " (not EPIPE)");
    say();
    set_action(SIGPIPE, SIG_DFL);
    pid_t pid = fork();
    if (pid == 0) {
        write(fds[1], "x", 1);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    put("pipe: by default the writer ends: signalled ");
    put(yes(WIFSIGNALED(status)));
    put(" by ");
    put_dec(WTERMSIG(status));
    say();
    close(fds[1]);
}

/* A child that sends itself sig (with action: 0 the default, 1 SIG_IGN)
 * and then exits 7: its status word, as "exit N" or "signal N". */
static void child_status(int sig, int ignore)
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        if (ignore)
            set_action(sig, SIG_IGN);
        kill(getpid(), sig);
        _exit(7);
    }
    waitpid(pid, &status, 0);
    put(" ");
    put_dec(sig);
    put(WIFSIGNALED(status) ? ":signal " : ":exit ");
    put_dec(WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

static void test_default(void)
{
    static const int ends[] = {SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGUSR1, SIGSEGV, SIGUSR2,
                               SIGALRM, SIGTERM, SIGKILL};
    static const int ignores[] = {SIGCHLD, SIGURG, SIGWINCH};

    put("default: ends:");
    for (unsigned i = 0; i < sizeof ends / sizeof ends[0]; i++)
        child_status(ends[i], 0);
    say();
    put("default: ignores:");
    for (unsigned i = 0; i < sizeof ignores / sizeof ignores[0]; i++)
        child_status(ignores[i], 0);
    put("; SIG_IGN:");
    child_status(SIGTERM, 1);
    child_status(SIGUSR1, 1);
    child_status(SIGKILL, 1);
    say();
}

/* ---- execve keeps what is ignored and the mask, not the handlers ----------------------- */

static void test_exec(char *self)
{
    sigset_t set;
    int status;

    pid_t pid = fork();
    if (pid == 0) {
        on(SIGUSR1, counting, 0, NULL);
        set_action(SIGUSR2, SIG_IGN);
        sigemptyset(&set);
        sigaddset(&set, SIGHUP);
        sigprocmask(SIG_BLOCK, &set, NULL);
        kill(getpid(), SIGHUP);      /* pending across the execve */
        char *argv[] = {self, "0", "execed", NULL};
        execve("/proc/self/exe", argv, NULL);
        _exit(99);
    }
    waitpid(pid, &status, 0);
    put("exec: then the pending SIGHUP, unblocked, ends it: signalled ");
    put(yes(WIFSIGNALED(status)));
    put(" by ");
    put_dec(WTERMSIG(status));
    say();
}

static void after_exec(void)
{
    struct sigaction usr1, usr2;
    sigset_t set, pending;

    sigaction(SIGUSR1, NULL, &usr1);
    sigaction(SIGUSR2, NULL, &usr2);
    sigprocmask(SIG_BLOCK, NULL, &set);
    sigpending(&pending);
    put("exec: after execve SIGUSR1's handler is SIG_DFL: ");
    put(yes(usr1.sa_handler == SIG_DFL));
    put(", SIGUSR2 still SIG_IGN: ");
    put(yes(usr2.sa_handler == SIG_IGN));
    put(", SIGHUP still blocked: ");
    put(yes(sigismember(&set, SIGHUP)));
    put(" and pending: ");
    put(yes(sigismember(&pending, SIGHUP)));
    say();
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    put("exec: SIGHUP did not end it");
    say();
}

/* ---- bad frames ---------------------------------------------------------------------- */

static int bad_kind;

static void wrecking(int sig, siginfo_t *info, void *ucv)
{
    ucontext_t *uc = ucv;

    (void)sig, (void)info;
    if (bad_kind == 0)
        uc->uc_mcontext.gregs[REG_RIP] = 0x8000000000001000ull;      /* not canonical */
    else
        uc->uc_mcontext.gregs[REG_CSGSFS] = (uc->uc_mcontext.gregs[REG_CSGSFS] & ~0xffffull) |
                                            0x10;                    /* ring 0's */
}

static void test_bad(void)
{
    static const char *const what[] = {"a rip that is not canonical", "a ring 0 cs"};

    for (bad_kind = 0; bad_kind < 2; bad_kind++) {
        int status;
        pid_t pid = fork();
        if (pid == 0) {
            on(SIGUSR1, wrecking, 0, NULL);
            raise(SIGUSR1);
            _exit(0);
        }
        waitpid(pid, &status, 0);
        put("bad: a frame with ");
        put(what[bad_kind]);
        put(": signalled ");
        put(yes(WIFSIGNALED(status)));
        put(" by ");
        put_dec(WTERMSIG(status));
        say();
    }
}

/* ---- main ------------------------------------------------------------------------ */

static const struct {
    const char *name;
    void (*run)(void);
} tests[] = {
    {"frame", test_frame}, {"async", test_async}, {"mask", test_mask}, {"chld", test_chld},
    {"eintr", test_eintr}, {"pipe", test_pipe},   {"default", test_default}, {"bad", test_bad},
};

int main(int argc, char **argv)
{
    seed = 88172645463325252ull;
    for (const char *s = argc > 1 ? argv[1] : ""; *s; s++)
        seed = seed * 31 + (unsigned char)*s;
    if (argc > 2 && strcmp(argv[2], "execed") == 0) {
        after_exec();
        return 0;
    }
    for (unsigned i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        int run = argc <= 2;
        for (int k = 2; k < argc; k++)
            run |= strcmp(argv[k], tests[i].name) == 0;
        if (run)
            tests[i].run();
    }
    int exec = argc <= 2;
    for (int k = 2; k < argc; k++)
        exec |= strcmp(argv[k], "exec") == 0;
    if (exec)
        test_exec(argv[0]);
    put("done");
    say();
    return 0;
}
