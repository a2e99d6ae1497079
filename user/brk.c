/* brk.c - grow the heap by argv[1] pages, check it, shrink it. Lab 6 (given). */
#include "ulib.h"

int main(int argc, char **argv)
{
    long pages = argc > 1 ? atol(argv[1]) : 4;
    uint8_t *start = brk(0), *want = start + pages * 4096 + 100;
    uint8_t *end = brk(want);
    int zero = 1, usable = 1;

    for (uint8_t *p = start; p < want; p++)
        zero &= *p == 0;
    for (uint8_t *p = start; p < want; p++)
        *p = (uint8_t)(uintptr_t)p;
    for (uint8_t *p = start; p < want; p++)
        usable &= *p == (uint8_t)(uintptr_t)p;
    printf("brk: from %p to %p (asked %p), zero-filled %s, usable %s\n", (void *)start,
           (void *)end, (void *)want, zero ? "yes" : "no", usable ? "yes" : "no");
    printf("brk: too far gives %s\n", brk(start + (1L << 40)) == end ? "the old end" : "SOMETHING ELSE");
    printf("brk: shrunk back to %s\n", brk(start) == start ? "the start" : "SOMETHING ELSE");
    return 0;
}
