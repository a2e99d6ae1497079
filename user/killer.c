/* killer.c - kill ends a process wherever it is. Lab 7 (given).
 * Four children: one spinning in ring 3 (no system calls), one blocked
 * reading a pipe nobody writes, one blocked writing to a full pipe nobody
 * reads, one asleep for a minute. Each is killed (SIGKILL, SIGTERM,
 * SIGKILL, SIGKILL) and reaped:
 *     killer: spinning child: status 0x9, signalled yes
 *     killer: reading child: status 0xf, signalled yes
 *     killer: writing child: status 0x9, signalled yes
 *     killer: sleeping child: status 0x9, signalled yes
 * then the errors:
 *     killer: kill of no such pid gives -3
 *     killer: kill with signal 1 gives -22 (from Lab 10, when 1..64 are
 *             signals: signal 65)
 *     killer: kill 0 of myself gives 0 */
#include "ulib.h"

static void report(const char *what, int pid, int sig)
{
    int status = 0;

    sleep_ms(20);                    /* let it get where it waits */
    kill(pid, sig);
    waitpid(pid, &status, 0);
    printf("killer: %s child: status 0x%x, signalled %s\n", what, status,
           WIFSIGNALED(status) && WTERMSIG(status) == sig ? "yes" : "no");
}

int main(void)
{
    int fds[2], pid;

    if ((pid = fork()) == 0)
        for (volatile int i = 0;; i++)
            ;
    report("spinning", pid, SIGKILL);
    must_pipe(fds, 0);
    if ((pid = fork()) == 0) {
        char c;
        read(fds[0], &c, 1);
        printf("killer: the reader read\n");
        exit(0);
    }
    report("reading", pid, SIGTERM);
    if ((pid = fork()) == 0) {
        static char big[8192];
        close(fds[0]);
        write(fds[1], big, sizeof big);  /* the pipe holds 4096: it waits */
        printf("killer: the writer wrote\n");
        exit(0);
    }
    report("writing", pid, SIGKILL);
    if ((pid = fork()) == 0) {
        sleep_ms(60000);
        printf("killer: the sleeper woke\n");
        exit(0);
    }
    report("sleeping", pid, SIGKILL);
    printf("killer: kill of no such pid gives %d\n", kill(99999, SIGKILL));
#if LAB >= 10
    printf("killer: kill with signal 65 gives %d\n", kill(getpid(), 65));  /* Lab 10: 1..64 */
#else
    printf("killer: kill with signal 1 gives %d\n", kill(getpid(), 1));
#endif
    printf("killer: kill 0 of myself gives %d\n", kill(getpid(), 0));
    return 0;
}
