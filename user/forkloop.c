/* forkloop.c - fork, touch, exit, wait, many times over. Lab 7 (given).
 * forkloop N PAGES: N rounds of a child that writes PAGES pages of its
 * parent's heap (each a copy-on-write copy) and exits with the round
 * number mod 256; the parent checks each status. Then it prints the frames
 * the kernel says are free (sysinfo) after the first round and after the last:
 *     forkloop: N rounds, statuses right: yes|no
 *     forkloop: free frames before B after A */
#include "ulib.h"

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 1000, pages = argc > 2 ? atol(argv[2]) : 4;
    char *heap = brk(0);
    bool right = true;

    if (pages < 1 || brk(heap + pages * 4096) != heap + pages * 4096)
        return 1;
    for (long i = 0; i < pages; i++)
        heap[i * 4096] = 1;          /* mapped and written before any fork */
    long before = -1;
    for (long r = 0; r < rounds; r++) {
        if (r == 1)
            before = free_frames();  /* after one round: the kernel's heap has grown to fit */
        int pid = fork();
        if (pid == 0) {
            for (long i = 0; i < pages; i++)
                heap[i * 4096] = (char)r;
            exit((int)(r & 0xff));
        }
        int status = -1;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != (r & 0xff)) {
            printf("forkloop: round %ld: fork %d, status 0x%x\n", r, pid, status);
            right = false;
            break;
        }
    }
    printf("forkloop: %ld rounds, statuses right: %s\n", rounds, right ? "yes" : "no");
    printf("forkloop: free frames before %ld after %ld\n", before, free_frames());
    return 0;
}
