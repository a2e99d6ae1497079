/* mv.c - rename: mv SRC DST, or mv SRC... DIR (each into directory DIR,
 * under its own name; also when DST is an existing directory). Lab 8
 * (given). */
#include "ulib.h"

#define PATH_MAX 512

int main(int argc, char **argv)
{
    const char *last = argv[argc - 1];
    struct stat st;
    int into, status = 0;

    if (argc < 3) {
        dprintf(2, "usage: mv SRC DST, or mv SRC... DIR\n");
        return 1;
    }
    into = stat(last, &st) == 0 && S_ISDIR(st.st_mode);
    if (argc > 3 && !into) {
        dprintf(2, "mv: target '%s' is not a directory\n", last);
        return 1;
    }
    for (int i = 1; i < argc - 1; i++) {
        char dst[PATH_MAX], base[256];
        int err = 0;
        if (into) {
            path_base(argv[i], base, sizeof base);
            err = path_join(dst, sizeof dst, last, base);
        } else
            strlcpy(dst, last, sizeof dst);
        if (err == 0)
            err = rename(argv[i], dst);
        if (err == -ENOENT && lstat(argv[i], &st) < 0)
            dprintf(2, "mv: cannot stat '%s': %s\n", argv[i], strerror(ENOENT));
        else if (err < 0)
            dprintf(2, "mv: cannot move '%s' to '%s': %s\n", argv[i], dst, strerror(-err));
        status |= err < 0;
    }
    return status;
}
