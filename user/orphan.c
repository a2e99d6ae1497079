/* orphan.c - a child whose parent ends first goes to pid 1. Lab 7 (given).
 * Run as pid 1 (init=orphan). It forks a middle process, which forks a
 * grandchild and exits at once; the grandchild waits until its parent is
 * gone and prints
 *     orphan: grandchild pid G: parent was M, now P
 * and exits with 42. pid 1 reaps both, as any init must:
 *     orphan: reaped M status 7
 *     orphan: reaped G status 42
 *     orphan: no children left: -10 */
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
    return 0;
}
