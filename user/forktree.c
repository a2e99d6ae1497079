/* forktree.c - a tree of processes of the shape argv[1] gives. Lab 7 (given).
 * The shape lists each process's number of children, in preorder, with
 * dots: "2.0.1.0" is a root with two children, the first with none, the
 * second with one (which has none). Every process forks its
 * children, waits for each, and prints one line:
 *     forktree: LABEL pid P ppid Q size S
 * where LABEL is its path from the root ("r", "r.0", "r.1.0", ...) and S
 * the number of processes in its subtree, which it also exits with (the
 * sum of its children's exit statuses, plus one). */
#include "ulib.h"

/* The count of children at *shape, and *shape moved past it and its dot. */
static int children_at(const char **shape)
{
    int n = 0;

    while (**shape >= '0' && **shape <= '9')
        n = n * 10 + *(*shape)++ - '0';
    if (**shape == '.')
        (*shape)++;
    return n;
}

/* Skip the subtree at *shape (its count and all its descendants'). */
static void skip_subtree(const char **shape)
{
    for (int n = children_at(shape); n > 0; n--)
        skip_subtree(shape);
}

/* The process whose count is at shape, labelled label: fork each child,
 * wait for each, print, and return the size of the subtree. */
static int grow(const char *shape, char *label)
{
    int pids[32], size = 1;
    int n = children_at(&shape);
    size_t len = strlen(label);

    if (n > 32)
        n = 32;
    for (int k = 0; k < n; k++) {
        ksnprintf(label + len, 8, ".%d", k);
        int pid = fork();
        if (pid == 0)
            exit(grow(shape, label));
        if (pid < 0) {
            printf("forktree: %s: fork failed: %d\n", label, pid);
            exit(255);
        }
        pids[k] = pid;
        skip_subtree(&shape);
    }
    label[len] = '\0';
    for (int i = 0; i < n; i++) {
        int status = 0, got = waitpid(pids[i], &status, 0);
        if (got != pids[i] || !WIFEXITED(status)) {
            printf("forktree: %s: waitpid(%d) gave %d, status 0x%x\n", label, pids[i], got, status);
            exit(255);
        }
        size += WEXITSTATUS(status);
    }
    printf("forktree: %s pid %d ppid %d size %d\n", label, getpid(), getppid(), size);
    return size;
}

int main(int argc, char **argv)
{
    static char label[256] = "r";

    if (argc != 2 || argv[1][0] < '0' || argv[1][0] > '9') {
        printf("usage: forktree SHAPE, e.g. forktree 2.0.1.0\n");
        return 255;
    }
    return grow(argv[1], label);
}
