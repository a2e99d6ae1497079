/* fsprobe.c - use a file system that may be damaged. Lab 8 (grader's).
 * fsprobe DIR... lists each DIR, stats every entry, reads every regular
 * file to its end and every symlink's target, then makes a file of 300 KiB
 * in DIR (single-indirect blocks), a directory, renames the file into it,
 * removes both, and prints one line per call that failed,
 *     fsprobe: CALL PATH: -ERRNO
 * then
 *     fsprobe: DIR: E entries, F files read (B bytes), G calls failed
 * and at the very end "fsprobe: done". On a damaged disk any call may
 * fail; none may panic the kernel, hang it or read past the disk. */
#include "ulib.h"

static char buf[8192];
static long failed;

static long note(const char *call, const char *path, long r)
{
    if (r < 0) {
        printf("fsprobe: %s %s: %ld\n", call, path, r);
        failed++;
    }
    return r;
}

static void probe(const char *dir)
{
    static char names[64][64];
    static char ents[1024];
    char p[192], q[192];
    long nnames = 0, files = 0, bytes = 0, n;

    failed = 0;
    int fd = (int)note("open", dir, open(dir, O_RDONLY | O_DIRECTORY));
    if (fd >= 0) {
        while ((n = note("getdents64", dir, getdents64(fd, ents, sizeof ents))) > 0)
            for (long at = 0; at < n && at >= 0;) {
                struct linux_dirent64 *d = (struct linux_dirent64 *)(ents + at);
                if (d->d_reclen == 0)
                    break;
                if (nnames < 64) {
                    size_t len = strlen(d->d_name);
                    if (len > 63)
                        len = 63;
                    memcpy(names[nnames], d->d_name, len);
                    names[nnames++][len] = '\0';
                }
                at += d->d_reclen;
            }
        close(fd);
    }
    for (long i = 0; i < nnames; i++) {
        struct stat st;
        ksnprintf(p, sizeof p, "%s/%s", dir, names[i]);
        if (note("lstat", p, lstat(p, &st)) < 0)
            continue;
        if (S_ISLNK(st.st_mode)) {
            note("readlink", p, readlink(p, buf, sizeof buf));
        } else if (S_ISREG(st.st_mode)) {
            int f = (int)note("open", p, open(p, O_RDONLY));
            if (f < 0)
                continue;
            while ((n = note("read", p, read(f, buf, sizeof buf))) > 0)
                bytes += n;
            files++;
            close(f);
        }
    }
    ksnprintf(p, sizeof p, "%s/new", dir);
    int f = (int)note("create", p, open(p, O_CREAT | O_RDWR | O_TRUNC, 0644));
    if (f >= 0) {
        memset(buf, 'x', sizeof buf);
        for (int k = 0; k < 300 * 1024 / (int)sizeof buf; k++)
            if (note("write", p, write(f, buf, sizeof buf)) < 0)
                break;
        note("pread64", p, pread(f, buf, sizeof buf, 200 * 1024));
        close(f);
    }
    ksnprintf(q, sizeof q, "%s/newdir", dir);
    note("mkdir", q, mkdir(q, 0755));
    ksnprintf(q, sizeof q, "%s/newdir/moved", dir);
    note("rename", p, rename(p, q));
    note("unlink", q, unlink(q));
    ksnprintf(q, sizeof q, "%s/newdir", dir);
    note("rmdir", q, rmdir(q));
    printf("fsprobe: %s: %ld entries, %ld files read (%ld bytes), %ld calls failed\n", dir,
           nnames, files, bytes, failed);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        probe(argv[i]);
    sync();
    printf("fsprobe: done\n");
    return 0;
}
