/* fsdir.c - a directory of a thousand files. Lab 8 (grader's).
 * fsdir DIR N SEED makes directory DIR and in it N files whose names are
 * drawn from SEED (xorshift64): for file i, L = next % 24 characters, each
 * "abcdefghijklmnopqrstuvwxyz0123456789"[next % 36], then "_" and i in hex.
 * Each file holds its own name. Then it prints
 *     fsdir: created N files; O_EXCL again gives E
 *     fsdir: 1 NAME TYPE           one line per entry getdents64 gives
 * removes the files i for which bit 11 of the next draw of SEED * 3 + 1 is
 * set, and prints
 *     fsdir: 2 NAME TYPE           the entries left
 *     fsdir: removed R: G of them give -2, K of K kept read back their names
 * then adds R / 2 files named "z" and j in 3 hex digits (j = 0, 1, ...) and
 * prints
 *     fsdir: 3 NAME TYPE
 *     fsdir: directory size A B C   (fstat of DIR after each step)
 * TYPE is d_type (4 directory, 8 regular file). */
#include "ulib.h"

#define MAX_FILES 1200

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static char names[MAX_FILES][32];
static bool removed[MAX_FILES];

static long make(const char *dir, const char *name, int flags)
{
    char path[128];
    ksnprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, flags, 0644);
    if (fd < 0)
        return fd;
    long n = write(fd, name, strlen(name));
    close(fd);
    return n < 0 ? n : 0;
}

/* Print every entry of dir as "fsdir: ROUND NAME TYPE"; the directory's
 * size. */
static long list(const char *dir, int round)
{
    static char buf[512];
    struct stat st;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    long n;

    if (fd < 0) {
        printf("fsdir: %d open error %d\n", round, fd);
        return fd;
    }
    while ((n = getdents64(fd, buf, sizeof buf)) > 0)
        for (long at = 0; at < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + at);
            printf("fsdir: %d %s %d\n", round, d->d_name, d->d_type);
            at += d->d_reclen;
        }
    if (n < 0)
        printf("fsdir: %d getdents64 error %ld\n", round, n);
    n = fstat(fd, &st);
    close(fd);
    return n < 0 ? n : (long)st.st_size;
}

int main(int argc, char **argv)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    if (argc < 4) {
        printf("fsdir: usage: fsdir DIR N SEED\n");
        return 1;
    }
    const char *dir = argv[1];
    long n = atol(argv[2]);
    uint64_t seed = (uint64_t)atol(argv[3]), s = seed | 1, r = seed * 3 + 1;
    if (n > MAX_FILES)
        n = MAX_FILES;

    long err = mkdir(dir, 0755);
    if (err < 0) {
        printf("fsdir: mkdir %s error %ld\n", dir, err);
        return 1;
    }
    for (long i = 0; i < n; i++) {
        int len = (int)(next(&s) % 24);
        for (int k = 0; k < len; k++)
            names[i][k] = alphabet[next(&s) % 36];
        ksnprintf(names[i] + len, sizeof names[i] - (size_t)len, "_%lx", i);
        err = make(dir, names[i], O_CREAT | O_EXCL | O_WRONLY);
        if (err < 0) {
            printf("fsdir: creating %s/%s error %ld\n", dir, names[i], err);
            return 1;
        }
    }
    printf("fsdir: created %ld files; O_EXCL again gives %ld\n", n,
           make(dir, names[n / 2], O_CREAT | O_EXCL | O_WRONLY));
    long size1 = list(dir, 1);

    long nremoved = 0;
    for (long i = 0; i < n; i++) {
        removed[i] = (next(&r) >> 11) & 1;
        if (!removed[i])
            continue;
        char path[128];
        ksnprintf(path, sizeof path, "%s/%s", dir, names[i]);
        err = unlink(path);
        if (err < 0) {
            printf("fsdir: unlink %s error %ld\n", path, err);
            return 1;
        }
        nremoved++;
    }
    long size2 = list(dir, 2);

    long gone = 0, right = 0;
    for (long i = 0; i < n; i++) {
        char path[128], got[40];
        ksnprintf(path, sizeof path, "%s/%s", dir, names[i]);
        int fd = open(path, O_RDONLY);
        if (removed[i]) {
            gone += fd == -2;
        } else if (fd >= 0) {
            long m = read(fd, got, sizeof got);
            right += m == (long)strlen(names[i]) && memcmp(got, names[i], (size_t)m) == 0;
        }
        if (fd >= 0)
            close(fd);
    }
    printf("fsdir: removed %ld: %ld of them give -2, %ld of %ld kept read back their names\n",
           nremoved, gone, right, n - nremoved);

    for (long j = 0; j < nremoved / 2; j++) {
        char name[8];
        ksnprintf(name, sizeof name, "z%03lx", j);
        err = make(dir, name, O_CREAT | O_EXCL | O_WRONLY);
        if (err < 0) {
            printf("fsdir: creating %s/%s error %ld\n", dir, name, err);
            return 1;
        }
    }
    long size3 = list(dir, 3);
    printf("fsdir: directory size %ld %ld %ld\n", size1, size2, size3);
    return 0;
}
