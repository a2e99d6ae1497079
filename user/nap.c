/* nap.c - nanosleep for argv[1] milliseconds. Lab 6 (given). */
#include "ulib.h"

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 100;

    printf("nap: start, %ld ms\n", ms);
    sleep_ms(ms);
    printf("nap: done\n");
    struct timespec bad = {0, 2000000000};
    printf("nap: bad timespec gives %d\n", nanosleep(&bad, NULL));
    return 0;
}
