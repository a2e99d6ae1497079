/* mmaptest.c - anonymous mmap, munmap and mprotect as a Linux program sees
 * them: built by Debian's musl-gcc -static, run unchanged (and the same on
 * Linux). Lab 10, exercise 3 (handout §5).
 *     mmaptest PAGES SEED HOLE HOLEPAGES RO NONE
 * maps PAGES pages, fills them with bytes drawn from SEED (xorshift64, the
 * low byte of each step: the grader draws the same), unmaps HOLEPAGES of
 * them from page HOLE, makes page RO read-only and page NONE PROT_NONE,
 * and has a child touch each (the kernel's line says why it died); then
 * MAP_FIXED, fork with copy-on-write across mprotect, the program's own
 * data made read-only, Linux's error numbers, many small mappings, and
 * whether every frame comes back. Each line starts "mmaptest: ". */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096L
#define MANY 300                     /* one-page mappings at once: more than the kernel's slots */

static uint64_t state;

static uint8_t next_byte(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (uint8_t)state;
}

static uint64_t fnv1a(const uint8_t *p, long n, uint64_t h)
{
    for (long i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

#define FNV_START 14695981039346656037ull

/* The checksum of pages 0..pages-1 of p but the hole and page skip. */
static uint64_t outside(const uint8_t *p, long pages, long hole, long holepages, long skip)
{
    uint64_t h = FNV_START;

    for (long i = 0; i < pages; i++)
        if ((i < hole || i >= hole + holepages) && i != skip)
            h = fnv1a(p + i * PAGE, PAGE, h);
    return h;
}

static const char *yes(int ok)
{
    return ok ? "yes" : "no";
}

static long free_bytes(void)
{
    struct sysinfo si;

    return sysinfo(&si) == 0 ? (long)(si.freeram * si.mem_unit) : -1;
}

/* How a child ended, in words: "exit N" or "signal N". */
static const char *ended(int status)
{
    static char text[32];

    if (WIFSIGNALED(status))
        snprintf(text, sizeof text, "signal %d", WTERMSIG(status));
    else
        snprintf(text, sizeof text, "exit %d", WEXITSTATUS(status));
    return text;
}

/* A child reads (write 0) or writes (write 1) the byte at p; it exits 0 if
 * that worked. Returns how it ended. */
static const char *child_touch(volatile uint8_t *p, int write)
{
    int status = 0;

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (write)
            *p = 0x5a;
        else
            (void)*p;
        _exit(0);
    }
    waitpid(pid, &status, 0);
    return ended(status);
}

/* The raw system call's answer: the result, or -errno. */
static long raw(long n, long a, long b, long c, long d, long e, long f)
{
    long r = syscall(n, a, b, c, d, e, f);
    return r == -1 ? -errno : r;
}

static char program_data[2 * PAGE] __attribute__((aligned(PAGE))) = {1};

/* The program's own data page made read-only and back (as glibc does to
 * its relocated data): a child writing it dies, the parent's reads work. */
static void own_data(void)
{
    program_data[0] = 'd';
    int r1 = mprotect(program_data, PAGE, PROT_READ);
    const char *child = child_touch((uint8_t *)program_data, 1);
    int reads = program_data[0] == 'd';
    int r2 = mprotect(program_data, PAGE, PROT_READ | PROT_WRITE);
    program_data[0] = 'e';
    printf("mmaptest: own data at %p read-only: %d, reads %s, child writing it: %s; "
           "read-write again: %d, %s\n", (void *)program_data, r1, yes(reads), child, r2,
           yes(program_data[0] == 'e'));
}

/* fork shares a page copy-on-write; the parent makes it read-only and
 * writable again, then writes: the child must still see the old value,
 * and the parent must not see the child's own write. */
static void cow_across_mprotect(uint8_t value)
{
    uint8_t *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int go[2], back[2], status;

    if (page == MAP_FAILED || pipe(go) || pipe(back)) {
        printf("mmaptest: cow: no page or pipe\n");
        return;
    }
    page[0] = value;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        read(go[0], &c, 1);
        uint8_t seen = page[0];
        page[0] = (uint8_t)(value + 2);
        write(back[1], &seen, 1);
        _exit(0);
    }
    int r1 = mprotect(page, PAGE, PROT_READ);
    int r2 = mprotect(page, PAGE, PROT_READ | PROT_WRITE);
    page[0] = (uint8_t)(value + 1);
    uint8_t seen = 0;
    write(go[1], "g", 1);
    read(back[0], &seen, 1);
    waitpid(pid, &status, 0);
    printf("mmaptest: cow: mprotect %d %d; child saw %u; parent sees %u\n", r1, r2, seen,
           page[0]);
    munmap(page, PAGE);
    close(go[0]), close(go[1]), close(back[0]), close(back[1]);
}

/* Linux's error numbers, from the system calls themselves (not musl's
 * checks). */
static void errors(uint8_t *mapped)
{
    long rw = PROT_READ | PROT_WRITE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
    long hole = (long)mapped + PAGE;             /* unmapped by the caller */

    printf("mmaptest: errors: len 0 %ld, fixed unaligned %ld, shared %ld, file fd 77 %ld, "
           "file fd 0 %ld, noreplace %ld, below 64 KiB %ld, huge %ld, munmap unaligned %ld, "
           "munmap len 0 %ld, mprotect hole %ld, mprotect len 0 %ld, mprotect bad prot %ld\n",
           raw(SYS_mmap, 0, 0, rw, anon, -1, 0),
           raw(SYS_mmap, hole + 1, PAGE, rw, anon | MAP_FIXED, -1, 0),
           raw(SYS_mmap, 0, PAGE, rw, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
           raw(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, 77, 0),
           raw(SYS_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, 0, 0),
           raw(SYS_mmap, (long)mapped, PAGE, rw, anon | MAP_FIXED_NOREPLACE, -1, 0),
           raw(SYS_mmap, 0x1000, PAGE, rw, anon | MAP_FIXED, -1, 0),
           raw(SYS_mmap, 0, 1L << 46, rw, anon, -1, 0),
           raw(SYS_munmap, hole + 8, PAGE, 0, 0, 0, 0),
           raw(SYS_munmap, hole, 0, 0, 0, 0, 0),
           raw(SYS_mprotect, (long)mapped, 2 * PAGE, PROT_READ, 0, 0, 0),
           raw(SYS_mprotect, hole, 0, PROT_READ, 0, 0, 0),
           raw(SYS_mprotect, (long)mapped, PAGE, 0x40, 0, 0, 0));
}

/* MANY one-page mappings at once, each written; every other one unmapped,
 * then the rest. */
static void many(void)
{
    static uint8_t *pages[MANY];
    int made = 0, kept = 1, unmapped = 0;

    for (int i = 0; i < MANY; i++) {
        pages[i] = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (pages[i] == MAP_FAILED)
            break;
        pages[i][i % PAGE] = (uint8_t)i;
        made++;
    }
    for (int i = 0; i < made; i += 2)
        unmapped += munmap(pages[i], PAGE) == 0;
    for (int i = 1; i < made; i += 2)
        kept &= pages[i][i % PAGE] == (uint8_t)i;
    for (int i = 1; i < made; i += 2)
        unmapped += munmap(pages[i], PAGE) == 0;
    printf("mmaptest: %d one-page mappings: %d made, the odd ones kept their bytes after the even "
           "ones went: %s, %d unmapped\n", MANY, made, yes(kept), unmapped);
}

/* rounds of mmap of 1..64 pages, each page touched, munmap: once warmed
 * up, the free memory after must be what it was before. */
static void no_leak(int rounds)
{
    long before = 0;

    for (int r = -1; r < rounds; r++) {
        if (r == 0)
            before = free_bytes();
        long len = (1 + (next_byte() % 64)) * PAGE;
        uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            printf("mmaptest: leak round %d: mmap of %ld bytes failed: %d\n", r, len, -errno);
            return;
        }
        for (long i = 0; i < len; i += PAGE)
            p[i] = 1;
        munmap(p, len);
    }
    printf("mmaptest: %d rounds of mmap, touch, munmap: free memory the same: %s\n", rounds,
           yes(free_bytes() == before));
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        printf("mmaptest: usage: mmaptest PAGES SEED HOLE HOLEPAGES RO NONE\n");
        return 2;
    }
    long pages = atol(argv[1]), hole = atol(argv[3]), holepages = atol(argv[4]);
    long ro = atol(argv[5]), none = atol(argv[6]), len = pages * PAGE;
    uint64_t seed = strtoull(argv[2], NULL, 10);
    int local;

    uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        printf("mmaptest: mmap of %ld pages failed: %d\n", pages, -errno);
        return 1;
    }
    int zero = 1;
    for (long i = 0; i < len; i++)
        zero &= p[i] == 0;
    int clear = (char *)p > (char *)sbrk(0) && (char *)p + len < (char *)&local;
    printf("mmaptest: mapped %ld pages: page-aligned %s, zeroed %s, between the heap and the "
           "stack %s\n", pages, yes(((long)p & (PAGE - 1)) == 0), yes(zero), yes(clear));

    state = seed;
    for (long i = 0; i < len; i++)
        p[i] = next_byte();
    printf("mmaptest: checksum %016llx\n", (unsigned long long)fnv1a(p, len, FNV_START));

    /* A hole in the middle: touching it kills, the rest is intact. */
    uint8_t *h = p + hole * PAGE;
    printf("mmaptest: munmap of pages %ld-%ld: %d\n", hole, hole + holepages - 1,
           munmap(h, holepages * PAGE));
    printf("mmaptest: child reading unmapped %p: %s\n", (void *)(h + 8), child_touch(h + 8, 0));
    uint64_t kept = fnv1a(p, hole * PAGE, FNV_START);
    kept = fnv1a(h + holepages * PAGE, len - (hole + holepages) * PAGE, kept);
    printf("mmaptest: checksum of the rest %016llx\n", (unsigned long long)kept);

    /* A read-only page and a PROT_NONE page. */
    uint8_t *r = p + ro * PAGE, *n = p + none * PAGE;
    uint64_t ro_sum = fnv1a(r, PAGE, FNV_START), none_sum = fnv1a(n, PAGE, FNV_START);
    int pr = mprotect(r, PAGE, PROT_READ), pn = mprotect(n, PAGE, PROT_NONE);
    printf("mmaptest: mprotect read-only %d, none %d\n", pr, pn);
    printf("mmaptest: read-only page reads the same: %s\n",
           yes(fnv1a(r, PAGE, FNV_START) == ro_sum));
    printf("mmaptest: child writing read-only %p: %s\n", (void *)(r + 16), child_touch(r + 16, 1));
    printf("mmaptest: child reading PROT_NONE %p: %s\n", (void *)(n + 24), child_touch(n + 24, 0));
    int fds[2];
    pipe(fds);
    write(fds[1], "xy", 2);
    printf("mmaptest: write(2) from the PROT_NONE page %ld, read(2) into the read-only page %ld\n",
           raw(SYS_write, fds[1], (long)n, 1, 0, 0, 0), raw(SYS_read, fds[0], (long)r, 1, 0, 0, 0));
    close(fds[0]), close(fds[1]);
    int back = mprotect(r, PAGE, PROT_READ | PROT_WRITE) | mprotect(n, PAGE, PROT_READ | PROT_WRITE);
    int same = fnv1a(r, PAGE, FNV_START) == ro_sum && fnv1a(n, PAGE, FNV_START) == none_sum;
    r[16] = 1, n[24] = 2;
    printf("mmaptest: read-write again: %d, bytes kept: %s, writable: %s\n", back, yes(same),
           yes(r[16] == 1 && n[24] == 2));

    /* MAP_FIXED over page ro: a fresh zeroed page, every other page kept. */
    uint64_t others = outside(p, pages, hole, holepages, ro);
    uint8_t *f = mmap(r, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                      -1, 0);
    int fzero = 1;
    for (long i = 0; f == r && i < PAGE; i++)
        fzero &= f[i] == 0;
    printf("mmaptest: MAP_FIXED over page %ld: at the address asked: %s, zeroed: %s, the other "
           "pages kept: %s\n", ro, yes(f == r), yes(fzero),
           yes(outside(p, pages, hole, holepages, ro) == others));
    printf("mmaptest: MAP_FIXED_NOREPLACE in the hole: %s\n",
           yes(raw(SYS_mmap, (long)h, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
                   MAP_FIXED_NOREPLACE, -1, 0) == (long)h));
    munmap(h, PAGE);

    cow_across_mprotect((uint8_t)(seed % 200 + 20));
    own_data();
    errors(p + (hole - 1) * PAGE);
    many();
    printf("mmaptest: munmap of all of it, holes included: %d\n", munmap(p, len));
    printf("mmaptest: child reading %p after: %s\n", (void *)p, child_touch(p, 0));
    no_leak(200);
    return 0;
}
