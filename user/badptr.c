/* badptr.c - write() with pointers it must refuse, and one it must not.
 * Lab 6 (given). */
#include "ulib.h"

int main(void)
{
    uint8_t *base = brk(0);
    uint8_t *top = brk(base + 2 * 4096);     /* two mapped pages, then nothing */
    char *straddle = (char *)base + 4096 - 7;

    memcpy(straddle, "across two pages\n", 17);
    printf("badptr: null %ld\n", write(1, (void *)0, 10));
    printf("badptr: kernel %ld\n", write(1, (void *)0xffffffff80100000, 10));
    printf("badptr: unmapped %ld\n", write(1, (void *)0x0000500000000000, 10));
    printf("badptr: off the end %ld\n", write(1, top - 5, 10));
    printf("badptr: wraps around %ld\n", write(1, (void *)0xfffffffffffffff0, 100));
    long n = write(1, straddle, 17);
    printf("badptr: straddling %ld\n", n);
    struct timespec *bad = (struct timespec *)0xffff800000000000;
    printf("badptr: nanosleep kernel pointer %d\n", nanosleep(bad, NULL));
    printf("badptr: execve bad path %d\n", execve((char *)8, NULL, NULL));
    return 0;
}
