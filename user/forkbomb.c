/* forkbomb.c - fork until the kernel says no, then let them all go. Lab 7 (given).
 * Every child waits on a pipe that the parent then closes. ROUNDS rounds, each
 *     forkbomb: round R: N children, then fork gave E; reaped N; free frames before B after A
 * The kernel must refuse (-EAGAIN, -ENOMEM), never panic or hang; once the
 * kernel's heap has grown to fit them (round 1, or a later one if the
 * order children end in left it fragmented), every frame comes back. */
#include "ulib.h"

/* One bomb: fork until refused, then free them all. */
static void bomb(int round)
{
    int p[2], n = 0, pid, reaped = 0;
    char c;

    must_pipe(p, 0);
    long before = free_frames();
    while ((pid = fork()) > 0)
        n++;
    if (pid == 0) {
        close(p[1]);
        read(p[0], &c, 1);           /* 0 once the parent closes its end */
        exit(0);
    }
    close(p[1]);
    while (wait(NULL) > 0)
        reaped++;
    close(p[0]);
    printf("forkbomb: round %d: %d children, then fork gave %d; reaped %d; "
           "free frames before %ld after %ld\n", round, n, pid, reaped, before, free_frames());
}

#define ROUNDS 4

int main(void)
{
    for (int round = 1; round <= ROUNDS; round++)
        bomb(round);
    return 0;
}
