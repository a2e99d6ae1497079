/* regs.c - the `syscall` instruction seen from ring 3: what it keeps and
 * what it changes. Lab 10, exercise 1's program (handout §2).
 * regs SEED PROBES FILE: two processes (seeds SEED and SEED + 1) each make
 * PROBES system calls with every register loaded from their seed, by
 * `syscall` and by `int 0x80` in turn, while a third process spins so that
 * the timer takes the CPU away from them, in ring 3 and inside the calls
 * (sched_yield, nanosleep). Linux's `syscall` keeps every register but
 * rax (the result), rcx (the return rip) and r11 (rflags); `int 0x80`
 * keeps those two as well. Each probing process appends one line to FILE:
 *     regs: seed S: N probes, checksum C, M wrong
 * C is FNV-1a of the twelve kept registers after every call, each less
 * what went in plus what was drawn for it (close and nanosleep take a few
 * arguments of their own): computed from what the CPU held, it is the
 * FNV-1a of the drawn values when every register was kept, which a grader
 * drawing the same values knows;
 * every wrong value (a register changed, rcx not the return address, r11
 * not rflags, rflags or rsp not restored, a result that getpid by int
 * 0x80 denies) also gets a line of its own ahead of it. Uses only int 0x80
 * itself for its other calls, so it runs with exercise 1 alone. */
#include <stddef.h>

#include "ulib.h"

/* One call: what goes in, what came out. Offsets fixed for the assembly
 * below (checked by _Static_assert). */
struct probe {
    uint64_t nr;                     /*   0: rax in */
    uint64_t in[14];                 /*   8: rbx rdx rsi rdi rbp r8-r10 r12-r15, rcx r11 */
    uint64_t out[12];                /* 120: the first twelve after the call */
    uint64_t rax, rcx, r11;          /* 216: after the call */
    uint64_t rip;                    /* 240: the address just past the instruction */
    uint64_t flags_before;           /* 248: rflags as the instruction ran */
    uint64_t flags_after;            /* 256 */
    uint64_t rsp_before, rsp_after;  /* 264, 272 */
};
_Static_assert(offsetof(struct probe, out) == 120 && offsetof(struct probe, rax) == 216 &&
               offsetof(struct probe, rip) == 240 && offsetof(struct probe, rsp_after) == 272,
               "the offsets probe_syscall and probe_int80 use");

static const char *const reg_names[14] = {"rbx", "rdx", "rsi", "rdi", "rbp", "r8", "r9",
                                          "r10", "r12", "r13", "r14", "r15", "rcx", "r11"};

/* void probe_syscall(struct probe *p), void probe_int80(struct probe *p):
 * load every register from p (rdi last), set CF and DF, make the call with
 * INSN, and store what the registers hold right after it. */
#define PROBE(NAME, INSN)                                                          \
    __asm__(".text\n.globl " #NAME "\n" #NAME ":\n"                                 \
            "push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n"  \
            "push %rdi\n"                                                         \
            "mov %rsp, 264(%rdi)\n"                                               \
            "lea 1f(%rip), %rax\nmov %rax, 240(%rdi)\n"                           \
            "mov 0(%rdi), %rax\nmov 8(%rdi), %rbx\nmov 16(%rdi), %rdx\n"          \
            "mov 24(%rdi), %rsi\nmov 40(%rdi), %rbp\nmov 48(%rdi), %r8\n"         \
            "mov 56(%rdi), %r9\nmov 64(%rdi), %r10\nmov 72(%rdi), %r12\n"         \
            "mov 80(%rdi), %r13\nmov 88(%rdi), %r14\nmov 96(%rdi), %r15\n"        \
            "mov 104(%rdi), %rcx\nmov 112(%rdi), %r11\n"                          \
            "stc\nstd\npushfq\npopq 248(%rdi)\n"                                  \
            "mov 32(%rdi), %rdi\n"                                                \
            INSN "\n"                                                             \
            "1: pushfq\npush %rdi\nmov 16(%rsp), %rdi\n"                          \
            "popq 144(%rdi)\npopq 256(%rdi)\ncld\nmov %rsp, 272(%rdi)\n"          \
            "mov %rax, 216(%rdi)\nmov %rcx, 224(%rdi)\nmov %r11, 232(%rdi)\n"     \
            "mov %rbx, 120(%rdi)\nmov %rdx, 128(%rdi)\nmov %rsi, 136(%rdi)\n"     \
            "mov %rbp, 152(%rdi)\nmov %r8, 160(%rdi)\nmov %r9, 168(%rdi)\n"       \
            "mov %r10, 176(%rdi)\nmov %r12, 184(%rdi)\nmov %r13, 192(%rdi)\n"     \
            "mov %r14, 200(%rdi)\nmov %r15, 208(%rdi)\n"                          \
            "pop %rdi\npop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\n" \
            "ret\n")
PROBE(probe_syscall, "syscall");
PROBE(probe_int80, "int $0x80");
void probe_syscall(struct probe *p);
void probe_int80(struct probe *p);

static uint64_t state;

static uint64_t next(void)           /* xorshift64: the grader draws the same */
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static uint64_t fnv;

static void fnv_add(uint64_t v)      /* FNV-1a, 64 bits, over v's 8 bytes, low first */
{
    for (int i = 0; i < 8; i++) {
        fnv ^= (v >> (8 * i)) & 0xff;
        fnv *= 1099511628211ull;
    }
}

#define NKINDS 6
static const char *const kind_names[NKINDS] = {"getpid", "sched_yield", "getppid",
                                               "close", "nanosleep", "unknown"};
static const long kind_nrs[NKINDS] = {39, 24, 110, 3, 35, 333};

/* The lines a process reports, written at once at its end (the two
 * probing processes run together; the child's line comes first). */
static char report[4096];
static size_t report_len;
static int wrong;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    size_t room = sizeof report - report_len;
    va_list ap;

    if (room <= 1)
        return;
    va_start(ap, fmt);
    int n = kvsnprintf(report + report_len, room, fmt, ap);
    va_end(ap);
    report_len += (size_t)n < room ? (size_t)n : room - 1;      /* cut: what fitted */
}

/* A wrong value: a line for each of the first 20. */
#define WRONG(...) do { if (++wrong <= 20) note(__VA_ARGS__); } while (0)

/* PROBES calls with registers drawn from seed, into report. */
static void run(uint64_t seed, long probes)
{
    static const struct timespec ms = {0, 1000000};
    long pid = getpid(), ppid = getppid();

    state = seed;
    fnv = 14695981039346656037ull;
    for (long i = 0; i < probes; i++) {
        struct probe p = {0};
        int kind = (int)(i % NKINDS);
        bool by_syscall = (i / NKINDS) % 2 == 0;
        const char *how = by_syscall ? "syscall" : "int 0x80";
        p.nr = (uint64_t)kind_nrs[kind];
        uint64_t drawn[12];
        for (int r = 0; r < 14; r++)
            p.in[r] = next();
        memcpy(drawn, p.in, sizeof drawn);
        if (kind == 3)                               /* close: an fd no one has */
            p.in[3] |= 0x10000;
        if (kind == 4)                               /* nanosleep(&ms, NULL) */
            p.in[3] = (uint64_t)&ms, p.in[2] = 0;
        (by_syscall ? probe_syscall : probe_int80)(&p);
        for (int r = 0; r < 12; r++) {
            if (p.out[r] != p.in[r])
                WRONG("regs: probe %ld (%s by %s): %s 0x%lx after the call, 0x%lx before\n",
                      i, kind_names[kind], how, reg_names[r], p.out[r], p.in[r]);
            fnv_add(p.out[r] - p.in[r] + drawn[r]);         /* drawn[r] when kept */
        }
        /* syscall: rcx the return address, r11 rflags; int 0x80 keeps both */
        uint64_t rcx = by_syscall ? p.rip : p.in[12], r11 = by_syscall ? p.flags_before : p.in[13];
        if (p.rcx != rcx || p.r11 != r11)
            WRONG("regs: probe %ld (%s by %s): rcx 0x%lx r11 0x%lx, expected 0x%lx and 0x%lx\n",
                  i, kind_names[kind], how, p.rcx, p.r11, rcx, r11);
        if (p.flags_after != p.flags_before || p.rsp_after != p.rsp_before)
            WRONG("regs: probe %ld (%s by %s): rflags 0x%lx rsp 0x%lx after, "
                  "0x%lx and 0x%lx before\n", i, kind_names[kind], how, p.flags_after,
                  p.rsp_after, p.flags_before, p.rsp_before);
        long want[NKINDS] = {pid, 0, ppid, -EBADF, 0, -ENOSYS};
        if ((long)p.rax != want[kind])
            WRONG("regs: probe %ld (%s by %s): result %ld, expected %ld (int 0x80's getpid %ld)\n",
                  i, kind_names[kind], how, (long)p.rax, want[kind], pid);
    }
    note("regs: seed %lu: %ld probes, checksum %016lx, %d wrong\n", seed, probes, fnv, wrong);
}

int main(int argc, char **argv)
{
    if (argc != 4 || atol(argv[1]) <= 0 || atol(argv[2]) <= 0) {
        printf("usage: regs SEED PROBES FILE (SEED > 0, PROBES > 0)\n");
        return 1;
    }
    uint64_t seed = (uint64_t)atol(argv[1]);
    long probes = atol(argv[2]);
    int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("regs: cannot create %s: %s\n", argv[3], errstr(fd));
        return 1;
    }
    int spinner = fork();
    if (spinner == 0)
        for (;;)                                     /* ring 3 only, until killed */
            __asm__ volatile("pause");
    int child = fork();
    if (spinner < 0 || child < 0) {
        printf("regs: fork failed\n");
        return 1;
    }
    run(child == 0 ? seed + 1 : seed, probes);
    if (child == 0) {
        write_all(fd, report, report_len);
        return 0;
    }
    int status;
    waitpid(child, &status, 0);                      /* its line first */
    write_all(fd, report, report_len);
    kill(spinner, SIGKILL);
    waitpid(spinner, &status, 0);
    close(fd);
    return 0;
}
