/* orphan.c - a child whose parent ends first goes to pid 1. Lab 7 (given).
 * Run as pid 1 (init=orphan). It forks a middle process, which forks a
 * grandchild and exits at once; the grandchild waits until its parent is
 * gone and prints
 *     orphan: grandchild pid G: parent was M, now P
 * and exits with 42. pid 1 reaps both, as any init must:
 *     orphan: reaped M status 7
 *     orphan: reaped G status 42
 *     orphan: no children left: -10
 * Then a zombie handed over: pid 1 -> A -> B -> C, C ends at once and B,
 * which never waits for it, ends after; C goes to pid 1 already a zombie,
 * and pid 1 must be woken for it while A still lives (A then sleeps for 3
 * s), so it reaps C and kills A:
 *     orphan: reaped the adopted zombie, status 3
 *     orphan: A was killed: pid 1 woke for the zombie */
#include "ulib.h"

int main(void)
{
    int status, pid;

    if (fork() == 0) {
        int middle = getpid();
        if (fork() == 0) {
            while (getppid() == middle)
                sleep_ms(5);
            printf("orphan: grandchild pid %d: parent was %d, now %d\n", getpid(), middle,
                   getppid());
            exit(42);
        }
        exit(7);
    }
    while ((pid = wait(&status)) > 0)
        printf("orphan: reaped %d status %d\n", pid, WEXITSTATUS(status));
    printf("orphan: no children left: %d\n", pid);

    int a = fork();                  /* 1 -> A -> B -> C: C is a zombie when it is adopted */
    if (a == 0) {
        int b = fork();
        if (b == 0) {
            if (fork() == 0)
                exit(3);             /* C: B never waits for it */
            sleep_ms(50);
            exit(5);                 /* B: C, a zombie already, goes to pid 1 */
        }
        waitpid(b, NULL, 0);
        sleep_ms(3000);              /* A: pid 1 kills it long before this */
        exit(7);
    }
    while ((pid = wait(&status)) > 0) {
        if (pid != a) {
            printf("orphan: reaped the adopted zombie, status %d\n", WEXITSTATUS(status));
            kill(a, SIGKILL);
        } else {
            printf("orphan: A %s\n", WIFSIGNALED(status) ? "was killed: pid 1 woke for the zombie"
                                                        : "ended by itself: pid 1 never woke");
        }
    }
    return 0;
}
