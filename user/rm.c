/* rm.c - remove files: rm [-r] [-f] PATH... (-r: directories too, with
 * everything in them; -f: no error for a path that does not exist). A
 * symlink is removed itself, never what it points to. Lab 8 (given). */
#include "ulib.h"

#define PATH_MAX 512

static int recursive, force;
static char path[PATH_MAX];          /* what is being removed: one buffer for every depth */

static int fail(int err)
{
    dprintf(2, "rm: cannot remove '%s': %s\n", path, strerror(-err));
    return 1;
}

static int remove(size_t len);

/* The name of the entry after the first skip ones (. and .. left out) of
 * directory path, into name; 0 if there is none, 1 if there is, or a
 * negative errno. */
static int nth_entry(int skip, char name[256])
{
    static char buf[1024];
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    long n;

    if (fd < 0)
        return fd;
    while ((n = getdents64(fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0 || skip-- > 0)
                continue;
            strlcpy(name, d->d_name, 256);
            close(fd);
            return 1;
        }
    close(fd);
    return (int)n;
}

/* Remove everything in directory path (len bytes), then path: 0, or 1
 * after saying why. Each entry is found by reading the directory again
 * from its start, so no buffer or fd stays in use while a subdirectory is
 * removed: the depth costs a few bytes of stack only. Entries that could
 * not be removed are skipped. */
static int remove_dir(size_t len)
{
    char name[256];
    int skip = 0, found, err;

    while ((found = nth_entry(skip, name)) > 0) {
        size_t sublen = len + 1 + strlen(name);
        if (sublen >= PATH_MAX) {
            dprintf(2, "rm: cannot remove '%s/%s': %s\n", path, name, strerror(ENAMETOOLONG));
            skip++;
            continue;
        }
        path[len] = '/';
        strlcpy(path + len + 1, name, PATH_MAX - len - 1);
        skip += remove(sublen);
        path[len] = '\0';
    }
    if (found < 0)
        return fail(found);
    if ((err = rmdir(path)) < 0)
        return skip ? 1 : fail(err);            /* what stayed inside was said already */
    return 0;
}

/* Remove path (len bytes): 0, or 1 after saying why (nothing said with -f
 * for a path that does not exist). */
static int remove(size_t len)
{
    struct stat st;
    int err = lstat(path, &st);

    if (err == -ENOENT && force)
        return 0;
    if (err < 0)
        return fail(err);
    if (S_ISDIR(st.st_mode)) {
        if (!recursive)
            return fail(-EISDIR);
        while (len > 1 && path[len - 1] == '/')
            path[--len] = '\0';                 /* "d/" entries as "d/x", not "d//x" */
        return remove_dir(len);
    }
    err = unlink(path);
    return err < 0 ? fail(err) : 0;
}

int main(int argc, char **argv)
{
    int status = 0, i = 1;

    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++)
        for (const char *f = argv[i] + 1; *f; f++)
            if (*f == 'r' || *f == 'R')
                recursive = 1;
            else if (*f == 'f')
                force = 1;
            else {
                dprintf(2, "rm: invalid option -- '%c'\nusage: rm [-r] [-f] PATH...\n", *f);
                return 1;
            }
    if (i == argc && !force) {
        dprintf(2, "usage: rm [-r] [-f] PATH...\n");
        return 1;
    }
    for (; i < argc; i++) {
        char base[8];
        path_base(argv[i], base, sizeof base);
        if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
            dprintf(2, "rm: refusing to remove '.' or '..' directory: skipping '%s'\n", argv[i]);
            status = 1;
            continue;
        }
        size_t len = strlcpy(path, argv[i], sizeof path);
        if (len >= sizeof path) {
            dprintf(2, "rm: cannot remove '%s': %s\n", argv[i], strerror(ENAMETOOLONG));
            status = 1;
            continue;
        }
        status |= remove(len);
    }
    return status;
}
