/* exec.c - replace this program with args, passing our arguments. Lab 6 (given). */
#include "ulib.h"

int main(int argc, char **argv)
{
    char *args[16] = {"args"};

    for (int i = 1; i < argc && i < 15; i++)
        args[i] = argv[i];
    printf("exec: pid %d, running args\n", getpid());
    printf("exec: a missing program gives %d\n", execve("nosuch", args, NULL));
    execve("/bin/args", args, NULL);
    printf("exec: execve came back\n");
    return 1;
}
