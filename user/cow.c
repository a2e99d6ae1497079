/* cow.c - what fork costs and what each side sees. Lab 7 (given).
 * cow PAGES SEED: fills PAGES pages of its heap with bytes drawn from SEED,
 * forks, and reports, from the frames the kernel says are free (sysinfo),
 * measured by the parent while the child sleeps:
 *     cow: fork of PAGES touched pages used F frames
 *     cow: the parent's first write to one page used W frames
 *     cow: child sees the parent's data: yes|no
 *     cow: parent sees its own data after the child wrote: yes|no
 *     cow: child checksum C        (of what the child wrote: SEED + 1)
 * The child then writes every page with bytes drawn from SEED + 1. The
 * parent sleeps rather than relying on waitpid alone, so that this runs
 * with exercise 1 only. */
#include "ulib.h"

static uint64_t state;

static uint8_t next_byte(void)       /* xorshift64: the grader draws the same */
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (uint8_t)state;
}

static void fill(uint8_t *p, long n, uint64_t seed)
{
    state = seed;
    for (long i = 0; i < n; i++)
        p[i] = next_byte();
}

static bool same(const uint8_t *p, long n, uint64_t seed)
{
    state = seed;
    for (long i = 0; i < n; i++)
        if (p[i] != next_byte())
            return false;
    return true;
}

int main(int argc, char **argv)
{
    long pages = argc > 1 ? atol(argv[1]) : 64, n = pages * 4096;
    uint64_t seed = argc > 2 ? (uint64_t)atol(argv[2]) : 1;
    uint8_t *heap = brk(0);

    if (pages < 1 || seed == 0 || brk(heap + n) != heap + n) {
        printf("usage: cow PAGES SEED (PAGES >= 1 and a heap that big, SEED > 0)\n");
        return 1;
    }
    fill(heap, n, seed);
    long before = free_frames();
    int pid = fork();
    if (pid < 0) {
        printf("cow: fork failed: %d\n", pid);
        return 1;
    }
    if (pid == 0) {                  /* asleep while the parent measures */
        sleep_ms(300);
        printf("cow: child sees the parent's data: %s\n", same(heap, n, seed) ? "yes" : "no");
        fill(heap, n, seed + 1);
        uint64_t sum = 0;
        for (long i = 0; i < n; i++)
            sum = sum * 31 + heap[i];
        printf("cow: child checksum %lu\n", sum);
        return 0;
    }
    sleep_ms(50);                    /* the child has run (its stack copied) and sleeps */
    long after = free_frames();
    heap[n / 2] ^= 1;                /* one write, in the middle */
    long one = free_frames();
    heap[n / 2] ^= 1;
    printf("cow: fork of %ld touched pages used %ld frames\n", pages, before - after);
    printf("cow: the parent's first write to one page used %ld frames\n", after - one);
    sleep_ms(700);                   /* the child has written its own bytes (or waitpid waits) */
    waitpid(pid, NULL, 0);
    printf("cow: parent sees its own data after the child wrote: %s\n",
           same(heap, n, seed) ? "yes" : "no");
    return 0;
}
