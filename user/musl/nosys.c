/* nosys.c - system calls that do not exist, from a real C library. Lab 10,
 * built with musl-gcc -static: the same file runs on Linux.
 * nosys N...: makes system call N (with six arguments drawn from N) for
 * each N given, then the first one again, and says what came back:
 *     nosys: call N: -1, errno 38 (Function not implemented)
 *     nosys: call N again: -1, errno 38 (Function not implemented)
 * then that it goes on running, its pid the same through syscall() as
 * through getpid():
 *     nosys: still here: yes */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void call(long n, const char *again)
{
    unsigned long a = (unsigned long)n * 0x9e3779b97f4a7c15ul;

    errno = 0;
    long r = syscall(n, a, a >> 1, a >> 2, a >> 3, a >> 4, a >> 5);
    int e = errno;
    printf("nosys: call %ld%s: %ld, errno %d (%s)\n", n, again, r, e, strerror(e));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("usage: nosys N...\n");
        return 1;
    }
    for (int i = 1; i < argc; i++)
        call(atol(argv[i]), "");
    call(atol(argv[1]), " again");
    printf("nosys: still here: %s\n", syscall(SYS_getpid) == getpid() ? "yes" : "no");
    return 0;
}
