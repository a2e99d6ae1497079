/* redirect.c - the fd table: dup, dup2, close, pipe2's O_CLOEXEC. Lab 7 (given).
 * redirect WORD prints:
 *     redirect: stdout through a pipe carried 'WORD'
 *     redirect: dup gives the lowest free fd: F
 *     redirect: a write end kept by dup2 after close: 'WORD' then 0
 *     redirect: dup2(fd, fd) gives fd: yes
 *     redirect: errors: dup2 of a closed fd -9, dup2 to fd 16 -9, close twice -9,
 *               read of a closed fd -9, write from a bad pointer -14, read into a bad pointer -14
 *     redirect: dup until it fails: N more fds, then -24
 * and a child execs fdcheck with a kept fd and an O_CLOEXEC one. */
#include "ulib.h"

int main(int argc, char **argv)
{
    const char *w = argc > 1 ? argv[1] : "word";
    char got[64];
    int p[2];

    must_pipe(p, 0);                         /* fds 3 and 4 */
    int saved = dup(1);
    dup2(p[1], 1);
    printf("%s", w);                         /* into the pipe */
    dup2(saved, 1);
    close(saved);
    long n = read(p[0], got, sizeof got - 1);
    got[n > 0 ? n : 0] = '\0';
    printf("redirect: stdout through a pipe carried '%s'\n", got);

    close(p[0]);                             /* 3 is free again, 4 is not */
    int fd = dup(2);
    printf("redirect: dup gives the lowest free fd: %d\n", fd);
    close(fd);

    must_pipe(p, 0);
    dup2(p[1], 9);
    close(p[1]);
    write(9, w, strlen(w));
    close(9);                                /* the last write end */
    n = read(p[0], got, sizeof got - 1);
    got[n > 0 ? n : 0] = '\0';
    printf("redirect: a write end kept by dup2 after close: '%s' then %ld\n", got,
           read(p[0], got, 1));
    printf("redirect: dup2(fd, fd) gives fd: %s\n", dup2(p[0], p[0]) == p[0] ? "yes" : "no");

    int closed = p[0];
    close(closed);
    printf("redirect: errors: dup2 of a closed fd %d, dup2 to fd 16 %d, close twice %d, "
           "read of a closed fd %ld, write from a bad pointer %ld, read into a bad pointer %ld\n",
           dup2(closed, 5), dup2(1, 16), close(closed), read(closed, got, 1),
           write(1, (void *)16, 4), read(0, (void *)16, 4));

    int more = 0, last;
    while ((last = dup(1)) >= 0)
        more++;
    printf("redirect: dup until it fails: %d more fds, then %d\n", more, last);
    for (int f = 3; f < 16; f++)
        close(f);

    int keep[2], gone[2];
    must_pipe(keep, 0);
    must_pipe(gone, O_CLOEXEC);
    char a[4], b[4], c[4], d[4];
    ksnprintf(a, sizeof a, "%d", keep[0]);
    ksnprintf(b, sizeof b, "%d", keep[1]);
    ksnprintf(c, sizeof c, "%d", gone[0]);
    ksnprintf(d, sizeof d, "%d", gone[1]);
    char *args[] = {"fdcheck", a, b, c, d, NULL};
    if (fork() == 0) {
        execve("/bin/fdcheck", args, NULL);
        exit(127);
    }
    wait(NULL);
    return 0;
}
