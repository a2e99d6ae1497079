/* grep.c - print the lines of standard input that contain a fixed string:
 * grep [-v] [-c] STRING (-v: the lines without it, -c: only their count).
 * Exit status 0 if a line was selected, 1 if none, 2 on an error. Lines
 * longer than 1023 bytes are taken in pieces. From Lab 8, of FILE instead
 * of standard input: grep [-v] [-c] STRING [FILE]. Lab 7 (given). */
#include "ulib.h"

static int contains(const char *line, const char *s, size_t len)
{
    for (; *line; line++)
        if (strncmp(line, s, len) == 0)
            return 1;
    return len == 0;
}

static int usage(void)
{
#if LAB >= 8
    dprintf(2, "usage: grep [-v] [-c] STRING [FILE]\n");
#else
    dprintf(2, "usage: grep [-v] [-c] STRING\n");
#endif
    return 2;
}

int main(int argc, char **argv)
{
    int invert = 0, count_only = 0, i = 1;
    long selected = 0, n;
    struct reader in;
    char line[1024];

    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++)
        for (const char *f = argv[i] + 1; *f; f++)
            if (*f == 'v')
                invert = 1;
            else if (*f == 'c')
                count_only = 1;
            else
                return usage();
    if (i == argc)
        return usage();
#if LAB >= 8
    if (i + 2 < argc)
        return usage();
    int err = i + 1 < argc ? stdin_from(argv[i + 1]) : 0;
    if (err < 0) {
        dprintf(2, "grep: %s: %s\n", argv[i + 1], strerror(-err));
        return 2;
    }
#else
    if (i + 1 < argc) {
        dprintf(2, "grep: %s: no files until Lab 8\n", argv[i + 1]);
        return 2;
    }
#endif
    const char *s = argv[i];
    size_t len = strlen(s);
    reader_init(&in, 0);
    while ((n = read_line(&in, line, sizeof line)) > 0) {
        if (contains(line, s, len) == invert)
            continue;
        selected++;
        if (line[n - 1] != '\n' && n + 1 < (long)sizeof line)
            line[n++] = '\n';       /* the last line, without one: as GNU grep */
        if (!count_only && write_all(1, line, (size_t)n) < 0)
            return 2;                /* nobody reads our output any more */
    }
    if (n < 0) {
        dprintf(2, "grep: read: %s\n", errstr(n));
        return 2;
    }
    if (count_only && dprintf(1, "%ld\n", selected) < 0)
        return 2;
    return selected == 0;
}
