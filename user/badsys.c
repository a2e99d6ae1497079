/* badsys.c - system calls that do not exist. Lab 6 (given). */
#include "ulib.h"

int main(void)
{
    printf("badsys: 1000 gives %ld\n", syscall6(1000, 0, 0, 0, 0, 0, 0));
    printf("badsys: -1 gives %ld\n", syscall6(-1, 0, 0, 0, 0, 0, 0));
    return 0;
}
