/* cat.c - copy standard input to standard output; from Lab 8, cat FILE...
 * copies each file in turn ('-': standard input). Lab 7 (given). */
#include "ulib.h"

/* Copy fd to standard output: 0, or 1 after saying why on fd 2. */
static int copy(int fd, const char *name)
{
    char buf[512];
    long n;

    while ((n = read(fd, buf, sizeof buf)) > 0)
        if (write_all(1, buf, (size_t)n) < 0)
            return 1;                /* nobody reads our output any more */
    if (n < 0) {
#if LAB >= 8
        dprintf(2, "cat: %s: %s\n", name, strerror((int)-n));
#else
        dprintf(2, "cat: %s: %s\n", name, errstr(n));
#endif
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
#if LAB >= 8
    int status = 0;

    if (argc == 1)
        return copy(0, "-");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0) {
            status |= copy(0, "-");
            continue;
        }
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            dprintf(2, "cat: %s: %s\n", argv[i], strerror(-fd));
            status = 1;
            continue;
        }
        status |= copy(fd, argv[i]);
        close(fd);
    }
    return status;
#else
    if (argc > 1) {
        dprintf(2, "cat: %s: no files until Lab 8\n", argv[1]);
        return 1;
    }
    return copy(0, "read");
#endif
}
