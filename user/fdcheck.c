/* fdcheck.c - which of the fds named in argv are open. Lab 7 (given).
 *     fdcheck: fd 3 open, fd 4 open, fd 5 closed, ...
 * (an fd is open if dup can copy it). */
#include "ulib.h"

int main(int argc, char **argv)
{
    printf("fdcheck:");
    for (int i = 1; i < argc; i++) {
        int fd = (int)atol(argv[i]), copy = dup(fd);
        printf("%s fd %d %s", i > 1 ? "," : "", fd, copy >= 0 ? "open" : "closed");
        if (copy >= 0)
            close(copy);
    }
    printf("\n");
    return 0;
}
