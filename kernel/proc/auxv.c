/* auxv.c - a Linux program's first stack: argv, envp and the auxiliary
 * vector. Lab 10, exercise 2 with tls.c (handout §3.1).
 * Lab 6's first stack had argc, argv, an empty envp and AT_PAGESZ. A C
 * library wants more before main: where its program headers are (glibc
 * finds its TLS segment through AT_PHDR), 16 random bytes for its stack
 * canary and pointer guard (AT_RANDOM), the ids, the page size, the CPU's
 * features. The vector is (type, value) pairs after envp's NULL. */
#include <stdbool.h>

#include "linux.h"
#include "memlayout.h"
#include "pmm.h"
#include "panic.h"
#include "string.h"
#include "tunables.h"
#include "x86.h"

#define AT_NULL     0
#define AT_PHDR     3                /* where the program headers are mapped */
#define AT_PHENT    4                /* the size of one */
#define AT_PHNUM    5                /* how many */
#define AT_PAGESZ   6
#define AT_ENTRY    9                /* the program's entry point */
#define AT_UID      11
#define AT_EUID     12
#define AT_GID      13
#define AT_EGID     14
#define AT_PLATFORM 15               /* a string: "x86_64" */
#define AT_HWCAP    16               /* CPUID.1's edx */
#define AT_CLKTCK   17               /* times()'s ticks per second */
#define AT_SECURE   23               /* 1: setuid, be careful; never here */
#define AT_RANDOM   25               /* the address of 16 random bytes */
#define AT_EXECFN   31               /* the path the program was run by */

#define AUXV_WORDS  (2 * 17)         /* the pairs written below, AT_NULL included */

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

/* ---- random bytes --------------------------------------------------------------- */

static bool rdrand64(uint64_t *v)
{
    uint8_t ok;

    __asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
    return ok;
}

/* xorshift64*: not for secrets, but different every boot and every call. */
static uint64_t xorshift_next(void)
{
    static uint64_t state;

    if (state == 0)
        state = rdtsc() | 1;
    state ^= state >> 12, state ^= state << 25, state ^= state >> 27;
    return state * 0x2545F4914F6CDD1Dull;
}

/* Contract in linux.h. */
void random_bytes(void *buf, size_t n)
{
    static int has_rdrand = -1;
    uint8_t *out = buf;

    if (has_rdrand < 0) {
        uint32_t a, b, c, d;
        cpuid(1, &a, &b, &c, &d);
        has_rdrand = (c >> 30) & 1;
    }
    while (n > 0) {
        uint64_t v;
        if (!has_rdrand || !rdrand64(&v))
            v = xorshift_next();
        size_t k = n < 8 ? n : 8;
        memcpy(out, &v, k);
        out += k, n -= k;
    }
}

/* ---- the first stack ------------------------------------------------------------ */

#if SOL >= 10
/* Put n bytes of src just below *top in page (user addresses base..),
 * moving *top down; false if they would go below limit. */
static bool push_bytes(uint8_t *page, uint64_t base, uint64_t *top, uint64_t limit,
                       const void *src, size_t n)
{
    if (*top - base < n || *top - n < limit)
        return false;
    *top -= n;
    memcpy(page + (*top - base), src, n);
    return true;
}
#endif

/* Contract in linux.h. */
uint64_t stack_layout_linux(uint8_t *page, int argc, char *const argv[], int envc,
                            char *const envp[], const char *execfn,
                            const struct exec_info *info)
{
    ASSERT(page != NULL && argc >= 0 && envc >= 0 && info != NULL);
#if SOL >= 10
    uint64_t base = USER_STACK_TOP - PAGE_SIZE, top = USER_STACK_TOP;
    uint64_t nwords = 1 + argc + 1 + envc + 1 + AUXV_WORDS;
    uint64_t limit = base + nwords * 8 + 16;     /* the words go below the strings */
    uint64_t argv_at[PROC_MAX_ARGS], envp_at[PROC_MAX_ARGS];
    uint8_t random[16];

    if (argc > PROC_MAX_ARGS || envc > PROC_MAX_ARGS)
        return 0;                            /* more words than execve passes */
    for (int i = argc - 1; i >= 0; i--) {
        if (!push_bytes(page, base, &top, limit, argv[i], strlen(argv[i]) + 1))
            return 0;                        /* argv's strings */
        argv_at[i] = top;
    }
    for (int i = envc - 1; i >= 0; i--) {
        if (!push_bytes(page, base, &top, limit, envp[i], strlen(envp[i]) + 1))
            return 0;                        /* envp's */
        envp_at[i] = top;
    }
    random_bytes(random, sizeof random);
    if (!push_bytes(page, base, &top, limit, "x86_64", 7))
        return 0;                            /* the platform's */
    uint64_t platform = top;
    if (!push_bytes(page, base, &top, limit, execfn, strlen(execfn) + 1))
        return 0;                            /* execfn */
    uint64_t execfn_at = top;
    top &= ~15ull;
    if (!push_bytes(page, base, &top, limit, random, sizeof random))
        return 0;                            /* the random bytes */
    uint64_t random_at = top;

    uint32_t a, b, c, hwcap;
    cpuid(1, &a, &b, &c, &hwcap);
    uint64_t words[1 + 2 * PROC_MAX_ARGS + 2 + AUXV_WORDS];
    int n = 0;
    words[n++] = (uint64_t)argc;
    for (int i = 0; i < argc; i++)
        words[n++] = argv_at[i];
    words[n++] = 0;
    for (int i = 0; i < envc; i++)
        words[n++] = envp_at[i];
    words[n++] = 0;
    if (info->phdr) {
        words[n++] = AT_PHDR, words[n++] = info->phdr;
        words[n++] = AT_PHENT, words[n++] = 56;   /* sizeof(struct elf64_phdr) */
        words[n++] = AT_PHNUM, words[n++] = info->phnum;
    }
    uint64_t pairs[][2] = {
        {AT_PAGESZ, PAGE_SIZE}, {AT_ENTRY, info->entry}, {AT_UID, 0}, {AT_EUID, 0},
        {AT_GID, 0}, {AT_EGID, 0}, {AT_SECURE, 0}, {AT_HWCAP, hwcap}, {AT_CLKTCK, 100},
        {AT_RANDOM, random_at}, {AT_EXECFN, execfn_at}, {AT_PLATFORM, platform},
        {AT_NULL, 0},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        words[n++] = pairs[i][0], words[n++] = pairs[i][1];
    ASSERT((uint64_t)n <= nwords);
    uint64_t rsp = (top - n * 8) & ~15ull;       /* rsp at entry: 16-byte aligned */
    if (rsp < base)
        return 0;                            /* the words */
    memcpy(page + (rsp - base), words, n * 8);
    return rsp;
#else
    /* LAB 10, exercise 2: Linux's first stack in page: the strings, and
     * below them argc, argv, envp and the auxiliary vector the contract
     * lists, 16-byte aligned; 0 if it does not fit (handout §3.1) */
    (void)argv, (void)envp, (void)execfn, (void)random_bytes;
    return 0;
#endif
}
