/* mhello.c - the smallest Linux program with a real C library (musl),
 * built by Debian's musl-gcc -static and run unchanged. Lab 10. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    char *copy = malloc(64);

    if (copy == NULL)
        return 1;
    strcpy(copy, argc > 1 ? argv[1] : "world");
    printf("hello, %s, from musl\n", copy);
    free(copy);
    return 0;
}
