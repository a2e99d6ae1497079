/* ln.c - make links: ln [-s] TARGET LINK (-s: a symbolic link holding the
 * text TARGET; else a hard link, another name for the file TARGET). An
 * existing directory LINK gets the link inside, under TARGET's last
 * component. Lab 8 (given). */
#include "ulib.h"

#define PATH_MAX 512

int main(int argc, char **argv)
{
    int soft = argc > 1 && strcmp(argv[1], "-s") == 0, err = 0;
    char link_path[PATH_MAX], base[256];
    struct stat st;

    if (argc != 3 + soft) {
        dprintf(2, "usage: ln [-s] TARGET LINK\n");
        return 1;
    }
    const char *target = argv[1 + soft], *name = argv[2 + soft];
    if (stat(name, &st) == 0 && S_ISDIR(st.st_mode)) {
        path_base(target, base, sizeof base);
        err = path_join(link_path, sizeof link_path, name, base);
    } else
        strlcpy(link_path, name, sizeof link_path);
    if (err == 0)
        err = soft ? symlink(target, link_path) : link(target, link_path);
    if (err < 0 && soft)
        dprintf(2, "ln: failed to create symbolic link '%s': %s\n", link_path, strerror(-err));
    else if (err < 0)
        dprintf(2, "ln: failed to create hard link '%s' => '%s': %s\n", link_path, target,
                strerror(-err));
    return err < 0;
}
