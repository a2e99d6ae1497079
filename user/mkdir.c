/* mkdir.c - make directories: mkdir [-p] DIR... (-p: the missing parents
 * too, and no error for one that exists). Lab 8 (given). */
#include "ulib.h"

/* Make path and, with parents, each missing directory on its way. 0 or a
 * negative errno. */
static int make(char *path, int parents)
{
    if (!parents || path[0] == '\0')
        return mkdir(path, 0755);
    for (char *p = path + 1;; p++) {           /* each prefix that ends at a '/' */
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        int err = mkdir(path, 0755);
        struct stat st;
        if (err == -EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            err = 0;                 /* there already */
        *p = c;
        if (err < 0 || c == '\0')
            return err;
    }
}

int main(int argc, char **argv)
{
    int parents = 0, status = 0, i = 1;

    for (; i < argc && strcmp(argv[i], "-p") == 0; i++)
        parents = 1;
    if (i == argc) {
        dprintf(2, "usage: mkdir [-p] DIR...\n");
        return 1;
    }
    for (; i < argc; i++) {
        int err = make(argv[i], parents);
        if (err < 0) {
            dprintf(2, "mkdir: cannot create directory '%s': %s\n", argv[i], strerror(-err));
            status = 1;
        }
    }
    return status;
}
