/* init.c - process 1: runs the shell on the console, starts a new one
 * whenever it ends, and reaps every child (orphans become its children).
 * Lab 7 (given). */
#include "ulib.h"

/* Start /bin/sh: its pid, or a negative errno if fork failed. A shell
 * that cannot be executed says so and exits 127. */
static int start_shell(void)
{
    char *argv[] = {"sh", NULL};
    int pid = fork();

    if (pid == 0) {
        int err = execve("/bin/sh", argv, NULL);
        dprintf(2, "init: cannot run /bin/sh: %s (%d)\n", errstr(err), err);
        exit(127);
    }
    return pid;
}

int main(void)
{
    int said = 0;

    for (;;) {
        int status = 0, pid, sh = start_shell();
        if (sh < 0) {
            dprintf(2, "init: fork: %s (%d)\n", errstr(sh), sh);
            sleep_ms(1000);
            continue;
        }
        while ((pid = wait(&status)) != sh) {
            if (pid < 0) {           /* the shell is a child: a kernel without wait4 yet */
                if (!said++)
                    dprintf(2, "init: wait gives %d while sh (pid %d) runs: is wait4 written? "
                               "(LAB 7, exercise 2)\n", pid, sh);
                sleep_ms(1000);
            }
        }
        if (status != 0)             /* a shell that fails at once must not spin: pause */
            sleep_ms(1000);
    }
}
