/* tls.c - thread-local storage through the FS base, one per process.
 * Lab 10, exercise 2's program (handout §3.2), built with musl-gcc
 * -static (the same file runs on Linux).
 * tls SEED ROUNDS: musl points FS at its thread block before main; a
 * __thread variable lives at a fixed distance below it. The program
 * checks that arch_prctl(ARCH_GET_FS) says where that is, forks, and
 * then the child moves its FS base to a copy of the block
 * (ARCH_SET_FS) and gives the variable another value there, while the
 * parent keeps its own. For ROUNDS rounds both yield the CPU to each
 * other and read the variable through %fs: each must see its own value,
 * whatever the other did, as long as the kernel loads each process's FS
 * base when it runs. Lines (values drawn from SEED, so a grader knows them):
 *     tls: fs base is musl's thread pointer: yes|no
 *     tls: at start tv=1 tz=0
 *     tls: arch_prctl(ARCH_SET_FS, 0x800000000000): -1 errno 1
 *     tls: arch_prctl(ARCH_SET_FS, 0xffff800000000000): -1 errno 1
 *     tls: arch_prctl(0x1999, 0x0): -1 errno 22
 *     tls: fs base still musl's: yes|no
 *     tls: child inherits tv=B (its parent's value at fork)
 *     tls: child moved its fs base: yes|no, tv=C there
 *     tls: child ROUNDS rounds, tv=D throughout: yes|no
 *     tls: parent ROUNDS rounds, tv=B throughout: yes|no
 *     tls: child exit 0
 * A wrong read prints what was seen instead, once. */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

static __thread long tv = 1;         /* in the TLS image (.tdata) */
static __thread long tz;             /* zeroed (.tbss) */

/* ARCH_GET_FS, into the first of two words of ones: the call must
 * succeed and write exactly 8 bytes (the second word stays), else 1. */
static unsigned long get_fs(void)
{
    unsigned long fs[2] = {~0ul, ~0ul};

    if (syscall(SYS_arch_prctl, ARCH_GET_FS, fs) != 0 || fs[1] != ~0ul)
        return 1;
    return fs[0];
}

/* arch_prctl(code, addr) as "-1 errno E" or "0". */
static void refused(const char *what, int code, unsigned long addr)
{
    errno = 0;
    long r = syscall(SYS_arch_prctl, code, addr);
    printf("tls: arch_prctl(%s, 0x%lx): %ld errno %d\n", what, addr, r, r ? errno : 0);
}

/* Read and write the long at %fs:off: through the FS base the CPU holds
 * now, whatever the compiler thinks it knows. */
static long fs_read(long off)
{
    long v;

    __asm__ volatile("movq %%fs:(%1), %0" : "=r"(v) : "r"(off) : "memory");
    return v;
}

static void fs_write(long off, long v)
{
    __asm__ volatile("movq %0, %%fs:(%1)" : : "r"(v), "r"(off) : "memory");
}

static uint64_t state;

static long draw(void)                  /* xorshift64, kept positive and below 10^9 */
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (long)(state % 1000000000);
}

/* rounds of yield-and-look: does %fs:off hold want every time? */
static int steady(long off, long want, long rounds, const char *who)
{
    for (long i = 0; i < rounds; i++) {
        sched_yield();
        for (volatile int spin = 0; spin < 2000; spin++)
            ;
        long got = fs_read(off);
        if (got != want) {
            printf("tls: %s round %ld: tv=%ld, not %ld\n", who, i, got, want);
            return 0;
        }
    }
    return 1;
}

/* The child's new thread block, and how much of the old one it copies. */
static char area[8192] __attribute__((aligned(64)));

int main(int argc, char **argv)
{
    if (argc != 3 || atol(argv[1]) <= 0 || atol(argv[2]) <= 0) {
        printf("usage: tls SEED ROUNDS (both > 0)\n");
        return 1;
    }
    state = (uint64_t)atol(argv[1]);
    long rounds = atol(argv[2]);
    long b = draw(), c = draw(), d = draw();
    unsigned long fs = get_fs();
    /* musl keeps its thread pointer (a pointer to itself) at %fs:0 */
    printf("tls: fs base is musl's thread pointer: %s\n",
           fs != 0 && fs == (unsigned long)fs_read(0) ? "yes" : "no");
    printf("tls: at start tv=%ld tz=%ld\n", tv, tz);
    refused("ARCH_SET_FS", ARCH_SET_FS, 1ul << 47);          /* not canonical */
    refused("ARCH_SET_FS", ARCH_SET_FS, 0xffff800000000000ul); /* the kernel's half */
    refused("0x1999", 0x1999, 0);                             /* no such code */
    printf("tls: fs base still musl's: %s\n", get_fs() == fs ? "yes" : "no");
    long off = (long)((uintptr_t)&tv - fs);     /* where tv sits from the FS base */
    fflush(stdout);
    tv = b;
    pid_t pid = fork();
    if (pid < 0) {
        printf("tls: fork failed\n");
        return 1;
    }
    if (pid == 0) {
        printf("tls: child inherits tv=%ld\n", fs_read(off));
        /* The copy: from the variable's slot up past the thread
         * pointer's first words (the self pointer at %fs:0, the stack
         * protector's canary at %fs:0x28). */
        char *base = area + sizeof area / 2;
        memcpy(base + off, (char *)fs + off, (size_t)-off + 64);
        long moved = syscall(SYS_arch_prctl, ARCH_SET_FS, base);
        fs_write(off, c);
        printf("tls: child moved its fs base: %s, tv=%ld there\n",
               moved == 0 && get_fs() == (unsigned long)base ? "yes" : "no", fs_read(off));
        fs_write(off, d);
        int ok = steady(off, d, rounds, "child");
        printf("tls: child %ld rounds, tv=%ld throughout: %s\n", rounds, d, ok ? "yes" : "no");
        return ok ? 0 : 1;
    }
    int ok = steady(off, b, rounds, "parent") && get_fs() == fs;
    int status;
    waitpid(pid, &status, 0);
    printf("tls: parent %ld rounds, tv=%ld throughout: %s\n", rounds, b, ok ? "yes" : "no");
    printf("tls: child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}
