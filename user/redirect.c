/* redirect.c - the fd table: dup, dup2, close, pipe2's O_CLOEXEC. Lab 7 (given).
 * redirect WORD prints, first with the console's fds only:
 *     redirect: dup gives the lowest free fd: 3
 *     redirect: written through fd 9: WORD
 *     redirect: a write to fd 1 while closed gave -9
 *     redirect: dup2(fd, fd) gives fd: yes
 *     redirect: errors: dup2 of a closed fd -9, dup2 to fd 16 -9, close twice -9,
 *               read of a closed fd -9, write from a bad pointer -14, read into a bad pointer -14
 *     redirect: dup until it fails: 13 more fds, then -24
 * then with pipes:
 *     redirect: stdout through a pipe carried 'WORD' then 0
 *     redirect: a write end kept by dup2 after close: 'WORD' then 0
 * and a child execs fdcheck with a kept fd and an O_CLOEXEC one. */
#include "ulib.h"

static void console_fds(const char *w)
{
    int fd = dup(2);
    printf("redirect: dup gives the lowest free fd: %d\n", fd);
    close(fd);

    dup2(1, 9);
    dprintf(9, "redirect: written through fd 9: %s\n", w);
    close(1);
    long closed_write = write(1, "x", 1);
    dup2(9, 1);
    close(9);
    printf("redirect: a write to fd 1 while closed gave %ld\n", closed_write);
    printf("redirect: dup2(fd, fd) gives fd: %s\n", dup2(2, 2) == 2 ? "yes" : "no");

    char got[4];
    printf("redirect: errors: dup2 of a closed fd %d, dup2 to fd 16 %d, close twice %d, "
           "read of a closed fd %ld, write from a bad pointer %ld, read into a bad pointer %ld\n",
           dup2(9, 5), dup2(1, 16), close(9), read(9, got, 1), write(1, (void *)16, 4),
           read(0, (void *)16, 4));

    int more = 0, last;
    while ((last = dup(1)) >= 0)
        more++;
    printf("redirect: dup until it fails: %d more fds, then %d\n", more, last);
    for (int f = 3; f < 16; f++)
        close(f);
}

/* A child that kills this process after ms milliseconds (a read that would
 * wait for ever, because an fd was not let go, ends the test at once). */
static int watchdog(long ms)
{
    int parent = getpid(), pid = fork();

    if (pid == 0) {
        sleep_ms(ms);
        printf("redirect: still waiting after %ld ms: killed\n", ms);
        kill(parent, SIGKILL);
        exit(0);
    }
    return pid;
}

static void pipe_fds(const char *w)
{
    char got[64];
    int p[2];

    must_pipe(p, 0);                         /* fds 3 and 4 */
    int saved = dup(1);
    dup2(p[1], 1);
    printf("%s", w);                         /* into the pipe */
    dup2(saved, 1);                          /* lets the pipe's end at fd 1 go */
    close(saved);
    close(p[1]);                             /* the last write end */
    long n = read(p[0], got, sizeof got - 1);
    got[n > 0 ? n : 0] = '\0';
    int dog = watchdog(1000);
    long end = read(p[0], got + 32, 1);
    printf("redirect: stdout through a pipe carried '%s' then %ld\n", got, end);
    kill(dog, SIGKILL);
    waitpid(dog, NULL, 0);
    close(p[0]);

    must_pipe(p, 0);
    dup2(p[1], 9);
    close(p[1]);
    write(9, w, strlen(w));
    close(9);                                /* the last write end */
    n = read(p[0], got, sizeof got - 1);
    got[n > 0 ? n : 0] = '\0';
    printf("redirect: a write end kept by dup2 after close: '%s' then %ld\n", got,
           read(p[0], got, 1));
    close(p[0]);

    int keep[2], gone[2];
    must_pipe(keep, 0);
    must_pipe(gone, O_CLOEXEC);
    char a[4], b[4], c[4], d[4];
    ksnprintf(a, sizeof a, "%d", keep[0]);
    ksnprintf(b, sizeof b, "%d", keep[1]);
    ksnprintf(c, sizeof c, "%d", gone[0]);
    ksnprintf(d, sizeof d, "%d", gone[1]);
    char *args[] = {"fdcheck", a, b, c, d, NULL};
    int pid = fork();
    if (pid == 0) {
        execve("/bin/fdcheck", args, NULL);
        exit(127);
    }
    waitpid(pid, NULL, 0);
    sleep_ms(100);                           /* without exercise 2, waitpid does not wait */
}

int main(int argc, char **argv)
{
    const char *w = argc > 1 ? argv[1] : "word";

    console_fds(w);
    pipe_fds(w);
    return 0;
}
