/* waitstat.c - exit statuses, WNOHANG, waiting for one child, ECHILD. Lab 7 (given).
 * waitstat S1 S2 ... : one child per argument, child k sleeping 200 + 30*k
 * ms and exiting with status Sk. Prints, in order:
 *     waitstat: WNOHANG at once gives 0
 *     waitstat: child K (pid P) exited with S        (waitpid on the last child first, then
 *                                                      wait(-1) for the rest, as they end)
 *     waitstat: wait with no children left gives -10
 *     waitstat: waitpid of a pid that is not a child gives -10
 *     waitstat: wait with a bad status pointer gives -14
 *     waitstat: a child that wrote to address 0 ended with 255, and I go on */
#include "ulib.h"

int main(int argc, char **argv)
{
    int pids[16], n = argc - 1 < 16 ? argc - 1 : 16, status;

    for (int k = 0; k < n; k++) {
        int code = (int)atol(argv[k + 1]);
        if ((pids[k] = fork()) == 0) {
            sleep_ms(200 + 30 * k);
            exit(code);
        }
    }
    printf("waitstat: WNOHANG at once gives %d\n", waitpid(-1, &status, WNOHANG));
    for (int done = 0; done < n; done++) {
        int pid = done == 0 ? waitpid(pids[n - 1], &status, 0) : wait(&status);
        int k = 0;
        while (k < n && pids[k] != pid)
            k++;
        if (k == n || !WIFEXITED(status)) {
            printf("waitstat: wait gave %d, status 0x%x\n", pid, status);
            return 1;
        }
        printf("waitstat: child %d (pid %d) exited with %d\n", k, pid, WEXITSTATUS(status));
    }
    printf("waitstat: wait with no children left gives %d\n", wait(&status));
    printf("waitstat: waitpid of a pid that is not a child gives %d\n",
           waitpid(getpid(), &status, 0));
    if (fork() == 0)
        exit(0);
    printf("waitstat: wait with a bad status pointer gives %d\n", wait((int *)16));
    wait(&status);
    int pid = fork();
    if (pid == 0)
        *(volatile int *)0 = 1;      /* the kernel ends it: exit(-1), status 255 */
    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
        printf("waitstat: a child that wrote to address 0 ended with %d, and I go on\n",
               WEXITSTATUS(status));
    return 0;
}
