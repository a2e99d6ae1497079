/* cp.c - copy files: cp SRC DST, or cp SRC... DIR (each into directory DIR
 * under its own name; also when DST is an existing directory). A new DST
 * gets SRC's permission bits; an existing one is truncated and rewritten.
 * Directories are not copied (no -r). Lab 8 (given). */
#include "ulib.h"

#define PATH_MAX 512

static char buf[4096];

/* Copy file src to dst: 0, or 1 after saying why. */
static int copy(const char *src, const char *dst)
{
    struct stat st, dst_st;
    int err = stat(src, &st);

    if (err < 0) {
        dprintf(2, "cp: cannot stat '%s': %s\n", src, strerror(-err));
        return 1;
    }
    if (S_ISDIR(st.st_mode)) {
        dprintf(2, "cp: -r not specified; omitting directory '%s'\n", src);
        return 1;
    }
    if (stat(dst, &dst_st) == 0 && dst_st.st_ino == st.st_ino && dst_st.st_dev == st.st_dev) {
        dprintf(2, "cp: '%s' and '%s' are the same file\n", src, dst);
        return 1;                    /* O_TRUNC would empty it before the copy */
    }
    int in = open(src, O_RDONLY);
    if (in < 0) {
        dprintf(2, "cp: cannot open '%s' for reading: %s\n", src, strerror(-in));
        return 1;
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, (int)(st.st_mode & 07777));
    if (out < 0) {
        dprintf(2, "cp: cannot create regular file '%s': %s\n", dst, strerror(-out));
        close(in);
        return 1;
    }
    long n, w = 0;
    while ((n = read(in, buf, sizeof buf)) > 0 && (w = write_all(out, buf, (size_t)n)) >= 0)
        ;
    if (n < 0)
        dprintf(2, "cp: error reading '%s': %s\n", src, strerror((int)-n));
    else if (w < 0)
        dprintf(2, "cp: error writing '%s': %s\n", dst, strerror((int)-w));
    close(in);
    close(out);
    return n < 0 || w < 0;
}

int main(int argc, char **argv)
{
    const char *last = argv[argc - 1];
    struct stat st;
    int into, status = 0;

    if (argc < 3) {
        dprintf(2, "usage: cp SRC DST, or cp SRC... DIR\n");
        return 1;
    }
    into = stat(last, &st) == 0 && S_ISDIR(st.st_mode);
    if (argc > 3 && !into) {
        dprintf(2, "cp: target '%s' is not a directory\n", last);
        return 1;
    }
    for (int i = 1; i < argc - 1; i++) {
        char dst[PATH_MAX], base[256];
        if (!into) {
            status |= copy(argv[i], last);
            continue;
        }
        path_base(argv[i], base, sizeof base);
        if (path_join(dst, sizeof dst, last, base) < 0) {
            dprintf(2, "cp: %s/%s: %s\n", last, base, strerror(ENAMETOOLONG));
            status = 1;
        } else
            status |= copy(argv[i], dst);
    }
    return status;
}
