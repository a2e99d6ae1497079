/* benchpid.c - cycles per getpid round trip from ring 3; the median of 31
 * samples is the exit status (make bench reads it). Lab 6 (given). */
#include "ulib.h"

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

int main(void)
{
    uint64_t v[31];

    for (int s = 0; s < 31; s++) {
        uint64_t t = rdtsc();
        for (int i = 0; i < 200; i++)
            getpid();
        v[s] = (rdtsc() - t) / 200;
    }
    for (int i = 1; i < 31; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    return (int)v[15];
}
