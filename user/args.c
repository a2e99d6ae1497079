/* args.c - print the arguments and the pid. Lab 6 (given). */
#include "ulib.h"

int main(int argc, char **argv)
{
    printf("args: argc %d, pid %d:", argc, getpid());
    for (int i = 1; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    return 0;
}
