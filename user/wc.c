/* wc.c - count the lines, words and bytes of standard input, printed as
 * GNU wc prints them (-l, -w, -c: only those counts); from Lab 8, of FILE
 * instead, its name after the counts: wc [-lwc] [FILE]. Lab 7 (given). */
#include "ulib.h"

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int main(int argc, char **argv)
{
    long count[3] = {0, 0, 0};       /* lines, words, bytes */
    int show[3] = {0, 0, 0}, shown = 0, in_word = 0;
    const char *flags = "lwc";
    char buf[512], line[320];
    size_t len = 0;
    long n;
#if LAB >= 8
    const char *file = NULL;
#endif

    for (int i = 1; i < argc; i++) {
#if LAB >= 8
        if ((argv[i][0] != '-' || argv[i][1] == '\0') && file == NULL) {
            file = argv[i];
            continue;
        }
        if (argv[i][0] != '-' || argv[i][1] == '\0') {
            dprintf(2, "usage: wc [-lwc] [FILE]\n");
            return 1;
        }
#else
        if (argv[i][0] != '-' || argv[i][1] == '\0') {
            dprintf(2, "wc: %s: no files until Lab 8\n", argv[i]);
            return 1;
        }
#endif
        for (const char *f = argv[i] + 1; *f; f++) {
            const char *p = strchr(flags, *f);
            if (p == NULL) {
#if LAB >= 8
                dprintf(2, "usage: wc [-lwc] [FILE]\n");
#else
                dprintf(2, "usage: wc [-lwc]\n");
#endif
                return 1;
            }
            show[p - flags] = 1;
        }
    }
#if LAB >= 8
    int err = file ? stdin_from(file) : 0;
    if (err < 0) {
        dprintf(2, "wc: %s: %s\n", file, strerror(-err));
        return 1;
    }
#endif
    if (!show[0] && !show[1] && !show[2])
        show[0] = show[1] = show[2] = 1;
    while ((n = read(0, buf, sizeof buf)) > 0)
        for (long i = 0; i < n; i++) {
            count[0] += buf[i] == '\n';
            count[1] += !in_word && !is_space(buf[i]);
            in_word = !is_space(buf[i]);
            count[2]++;
        }
    if (n < 0) {
        dprintf(2, "wc: read: %s\n", errstr(n));
        return 1;
    }
    for (int i = 0; i < 3; i++)
        shown += show[i];
    for (int i = 0; i < 3; i++)
        if (show[i] && shown == 1)   /* one count alone has no padding, as in GNU wc */
            len += (size_t)ksnprintf(line, sizeof line, "%ld", count[i]);
        else if (show[i])
            len += (size_t)ksnprintf(line + len, sizeof line - len, len ? " %7ld" : "%7ld", count[i]);
#if LAB >= 8
    if (file)
        len += (size_t)ksnprintf(line + len, sizeof line - len, " %s", file);
    if (len > sizeof line - 2)
        len = sizeof line - 2;       /* a name too long for line: cut */
#endif
    line[len++] = '\n';
    return write_all(1, line, len) < 0;
}
