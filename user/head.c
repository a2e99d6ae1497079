/* head.c - print the first lines of standard input: head [-n N | -N],
 * 10 by default; from Lab 8, of FILE instead: head [-n N | -N] [FILE].
 * Lab 7 (given). */
#include "ulib.h"

static int usage(void)
{
#if LAB >= 8
    dprintf(2, "usage: head [-n N | -N] [FILE]\n");
#else
    dprintf(2, "usage: head [-n N | -N]\n");
#endif
    return 1;
}

int main(int argc, char **argv)
{
    int64_t lines = 10;
    char buf[512];
    long n;
    int i = 1;

    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        const char *num = argv[i] + 1;
        if (strcmp(argv[i], "-n") == 0) {
            if (++i == argc)
                return usage();
            num = argv[i];
        }
        if (!parse_int(num, &lines) || lines < 0)
            return usage();
    }
#if LAB >= 8
    if (i + 1 < argc)
        return usage();
    int err = i < argc ? stdin_from(argv[i]) : 0;
    if (err < 0) {
        dprintf(2, "head: cannot open '%s' for reading: %s\n", argv[i], strerror(-err));
        return 1;
    }
#else
    if (i < argc) {
        dprintf(2, "head: %s: no files until Lab 8\n", argv[i]);
        return 1;
    }
#endif
    while (lines > 0 && (n = read(0, buf, sizeof buf)) > 0) {
        long upto = 0;               /* the bytes of buf to print: up to the last line wanted */
        while (upto < n && lines > 0)
            if (buf[upto++] == '\n')
                lines--;
        if (write_all(1, buf, (size_t)upto) < 0)
            return 1;
    }
    return 0;
}
