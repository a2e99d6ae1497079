/* brk.c - grow the heap by argv[1] pages, check it, shrink it. Lab 6 (given).
 * brk lazy SIZE OFF VAL ...: challenge 1's lazy heap (handout §6): grow it
 * by SIZE bytes, touch only the bytes at OFF (reading 0, writing VAL), wait
 * for a key while the grader counts the heap's pages, shrink it back, and
 * touch the old start, which must kill the program. */
#include "ulib.h"

static int lazy(int argc, char **argv)
{
    long size = atol(argv[2]);
    uint8_t *start = brk(0), *end = brk(start + size);
    int zero = 1, same = 1, n = 0;
    char key;

    if (end != start + size) {
        printf("brk: lazy: brk(+%ld) refused\n", size);
        return 1;
    }
    for (int i = 3; i + 1 < argc; i += 2, n++) {
        uint8_t *p = start + atol(argv[i]);
        zero &= *p == 0;                     /* the first touch of a page may be this read */
        *p = (uint8_t)atol(argv[i + 1]);
    }
    for (int i = 3; i + 1 < argc; i += 2)
        same &= start[atol(argv[i])] == (uint8_t)atol(argv[i + 1]);
    printf("brk: lazy: heap at %p grown by %ld, %d bytes touched, read zero %s, read back %s\n",
           (void *)start, size, n, zero ? "yes" : "no", same ? "yes" : "no");
    read(0, &key, 1);                        /* the grader walks the page tables meanwhile */
    printf("brk: lazy: shrunk back %s\n", brk(start) == start ? "to the start" : "NOT");
    *(volatile uint8_t *)start = 1;          /* no longer the heap's: killed here */
    printf("brk: lazy: the old start is still writable\n");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "lazy") == 0)
        return lazy(argc, argv);
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
