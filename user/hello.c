/* hello.c - the first user program. Lab 6 (given). */
#include "ulib.h"

int main(void)
{
    printf("Hello from user mode! (pid %d)\n", getpid());
    return 0;
}
