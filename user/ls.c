/* ls.c - list directories: ls [-l] [-a] [PATH...] (. if none), entries
 * sorted by name, dot files only with -a. -l: a "total" of 1 KiB blocks,
 * then type and mode, links, uid, gid, size, mtime (UTC), name, and
 * "-> target" for a symlink. A file argument lists itself; several
 * directories each come under a "PATH:" line. Lab 8 (given). */
#include "ulib.h"

#define MAXENTS 1024                 /* entries of one listing */
#define POOL    32768                /* bytes of their names */

struct ent {
    const char *name;                /* as shown */
    struct stat st;                  /* -l only */
    char path[256];                  /* where it is, for readlink (-l only) */
};

static int long_form, all, status, printed;
static struct ent ents[MAXENTS];
static struct ent *order[MAXENTS];
static int nents;
static char pool[POOL];
static size_t pool_used;

static void fail(const char *fmt, const char *path, int err)
{
    dprintf(2, fmt, path, strerror(-err));
    status = 1;
}

/* A new entry named name (copied), or NULL if the listing is full. */
static struct ent *add(const char *name)
{
    size_t len = strlen(name) + 1;

    if (nents == MAXENTS || pool_used + len > POOL)
        return NULL;
    struct ent *e = &ents[nents];
    memcpy(pool + pool_used, name, len);
    e->name = pool + pool_used;
    pool_used += len;
    order[nents++] = e;
    return e;
}

static void sort(void)
{
    for (int i = 1; i < nents; i++) {
        struct ent *e = order[i];
        int j = i;
        for (; j > 0 && strcmp(order[j - 1]->name, e->name) > 0; j--)
            order[j] = order[j - 1];
        order[j] = e;
    }
}

static int digits(uint64_t v)
{
    int n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* v right-aligned in width columns and a space, appended to line. */
static void put_num(char *line, size_t size, uint64_t v, int width)
{
    size_t at = strlen(line);

    for (int pad = width - digits(v); pad > 0 && at + 1 < size; pad--)
        line[at++] = ' ';
    ksnprintf(line + at, size - at, "%lu ", v);
}

/* Print the entries gathered (sorted), and forget them. */
static void print_entries(int total)
{
    int w[4] = {1, 1, 1, 1};         /* links, uid, gid, size */
    uint64_t blocks = 0;

    sort();
    for (int i = 0; i < nents && long_form; i++) {
        struct stat *st = &order[i]->st;
        uint64_t v[4] = {st->st_nlink, st->st_uid, st->st_gid, (uint64_t)st->st_size};
        for (int k = 0; k < 4; k++)
            if (digits(v[k]) > w[k])
                w[k] = digits(v[k]);
        blocks += ((uint64_t)st->st_blocks + 1) / 2;
    }
    if (long_form && total)
        printf("total %lu\n", blocks);
    for (int i = 0; i < nents; i++) {
        struct ent *e = order[i];
        char line[768], when[20];
        if (!long_form) {
            printf("%s\n", e->name);
            continue;
        }
        mode_string(e->st.st_mode, line);
        strlcpy(line + 10, " ", sizeof line - 10);
        uint64_t v[4] = {e->st.st_nlink, e->st.st_uid, e->st.st_gid, (uint64_t)e->st.st_size};
        for (int k = 0; k < 4; k++)
            put_num(line, sizeof line, v[k], w[k]);
        time_string(e->st.st_mtim.tv_sec, when);
        when[16] = '\0';             /* YYYY-MM-DD HH:MM */
        size_t at = strlen(line);
        ksnprintf(line + at, sizeof line - at, "%s %s", when, e->name);
        if (S_ISLNK(e->st.st_mode)) {
            char target[256];
            long n = readlink(e->path, target, sizeof target - 1);
            target[n < 0 ? 0 : n] = '\0';
            at = strlen(line);
            ksnprintf(line + at, sizeof line - at, " -> %s", target);
        }
        at = strlen(line);
        ksnprintf(line + at, sizeof line - at, "\n");
        write_all(1, line, strlen(line));
    }
    nents = 0;
    pool_used = 0;
    printed = 1;
}

/* Gather the entries of directory path and print them. */
static void list_dir(const char *path)
{
    static char buf[2048];
    int fd = open(path, O_RDONLY | O_DIRECTORY), full = 0;
    long n;

    if (fd < 0) {
        fail("ls: cannot open directory '%s': %s\n", path, fd);
        return;
    }
    while ((n = getdents64(fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            if (d->d_name[0] == '.' && !all)
                continue;
            struct ent *e = add(d->d_name);
            if (e == NULL) {
                full = 1;
                continue;
            }
            if (!long_form)
                continue;
            int err = path_join(e->path, sizeof e->path, path, d->d_name);
            if (err == 0)
                err = lstat(e->path, &e->st);
            if (err < 0) {
                fail("ls: cannot access '%s': %s\n", e->path, err);
                nents--;             /* not listed */
            }
        }
    if (n < 0)
        fail("ls: reading directory '%s': %s\n", path, (int)n);
    if (full) {
        dprintf(2, "ls: %s: more than %d entries: the first ones listed\n", path, MAXENTS);
        status = 1;
    }
    close(fd);
    print_entries(1);
}

int main(int argc, char **argv)
{
    char *paths[64], *dirs[64];
    int npaths = 0, ndirs = 0;

    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            for (const char *f = argv[i] + 1; *f; f++)
                if (*f == 'l')
                    long_form = 1;
                else if (*f == 'a')
                    all = 1;
                else {
                    dprintf(2, "ls: invalid option -- '%c'\nusage: ls [-l] [-a] [PATH...]\n", *f);
                    return 1;
                }
        } else if (npaths == 64) {
            dprintf(2, "ls: too many paths (at most 64)\n");
            return 1;
        } else
            paths[npaths++] = argv[i];
    }
    if (npaths == 0)
        paths[npaths++] = ".";
    /* Files first, in one sorted listing; then each directory. Without -l
     * a symlink to a directory lists the directory, as GNU ls does. */
    for (int i = 0; i < npaths; i++) {
        struct stat st;
        int err = long_form ? lstat(paths[i], &st) : stat(paths[i], &st);
        if (err < 0 && !long_form)
            err = lstat(paths[i], &st);          /* a dangling symlink */
        if (err < 0) {
            fail("ls: cannot access '%s': %s\n", paths[i], err);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            dirs[ndirs++] = paths[i];
            continue;
        }
        struct ent *e = add(paths[i]);
        e->st = st;
        strlcpy(e->path, paths[i], sizeof e->path);
    }
    if (nents > 0)
        print_entries(0);
    for (int i = 1; i < ndirs; i++)          /* the directories in order too */
        for (int j = i; j > 0 && strcmp(dirs[j - 1], dirs[j]) > 0; j--) {
            char *t = dirs[j];
            dirs[j] = dirs[j - 1];
            dirs[j - 1] = t;
        }
    for (int i = 0; i < ndirs; i++) {
        if (npaths > 1)
            printf("%s%s:\n", printed ? "\n" : "", dirs[i]);
        list_dir(dirs[i]);
    }
    return status;
}
