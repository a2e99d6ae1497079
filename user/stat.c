/* stat.c - show what stat knows of files: stat PATH... (a symlink itself,
 * as lstat), in GNU stat's layout. User and group names: root for 0, else
 * UNKNOWN (there is no /etc/passwd). Lab 8 (given). */
#include "ulib.h"

static const char *type_name(const struct stat *st)
{
    switch (st->st_mode & S_IFMT) {
    case S_IFREG: return st->st_size == 0 ? "regular empty file" : "regular file";
    case S_IFDIR: return "directory";
    case S_IFLNK: return "symbolic link";
    case S_IFIFO: return "fifo";
    case S_IFCHR: return "character special file";
    case S_IFBLK: return "block special file";
    case S_IFSOCK: return "socket";
    default: return "weird file";
    }
}

static void show_time(const char *what, const struct timespec *t)
{
    char when[20];

    time_string(t->tv_sec, when);
    printf("%s: %s.%09ld +0000\n", what, when, t->tv_nsec);
}

static int show(const char *path)
{
    struct stat st;
    char mode[11], target[256];
    int err = lstat(path, &st);

    if (err < 0) {
        dprintf(2, "stat: cannot stat '%s': %s\n", path, strerror(-err));
        return 1;
    }
    if (S_ISLNK(st.st_mode)) {
        long n = readlink(path, target, sizeof target - 1);
        target[n < 0 ? 0 : n] = '\0';
        printf("  File: %s -> %s\n", path, target);
    } else
        printf("  File: %s\n", path);
    printf("  Size: %-10ld\tBlocks: %-10ld IO Block: %-6ld %s\n", st.st_size, st.st_blocks,
           st.st_blksize, type_name(&st));
    printf("Device: %lu,%lu\tInode: %-10lu  Links: %lu\n", (st.st_dev >> 8) & 0xfff,
           (st.st_dev & 0xff) | ((st.st_dev >> 12) & 0xfff00), st.st_ino, st.st_nlink);
    mode_string(st.st_mode, mode);
    printf("Access: (%u%u%u%u/%s)  Uid: (%5u/%8s)   Gid: (%5u/%8s)\n", (st.st_mode >> 9) & 7,
           (st.st_mode >> 6) & 7, (st.st_mode >> 3) & 7, st.st_mode & 7, mode,
           st.st_uid, st.st_uid ? "UNKNOWN" : "root", st.st_gid, st.st_gid ? "UNKNOWN" : "root");
    show_time("Access", &st.st_atim);
    show_time("Modify", &st.st_mtim);
    show_time("Change", &st.st_ctim);
    printf(" Birth: -\n");
    return 0;
}

int main(int argc, char **argv)
{
    int status = 0;

    if (argc < 2) {
        dprintf(2, "usage: stat PATH...\n");
        return 1;
    }
    for (int i = 1; i < argc; i++)
        status |= show(argv[i]);
    return status;
}
