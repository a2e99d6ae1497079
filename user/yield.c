/* yield.c - print a line, yield, N times (argv[1]). Lab 6 (given). */
#include "ulib.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 5;

    for (long i = 0; i < n; i++) {
        printf("yield: pid %d step %ld\n", getpid(), i);
        sched_yield();
    }
    return 0;
}
