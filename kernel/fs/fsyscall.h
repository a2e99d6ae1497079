/* fsyscall.h - what the file system's system calls share, Lab 8 (given):
 * a path copied in, the directory it starts from, the disk file at an fd.
 * Private to kernel/fs: fsyscall.c (files: open, offsets, stat, sizes,
 * statfs; it defines these) and fsname.c (names, the working directory).
 *
 * Each call copies its paths in (PATH_MAX), then does its work between
 * fs_begin and fs_end. A relative path starts at the directory of dirfd or
 * at the process's working directory (proc->cwd, an open file of it; NULL:
 * the root), borrowed for the call: only the process's own thread changes
 * its fd table and cwd. An open file is never let go (file_put) inside
 * fs_begin/fs_end: its release takes fs_lock itself. */
#ifndef FSYSCALL_H
#define FSYSCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "fsfile.h"
#include "proc.h"

/* The calling process's address space, for copies to and from the user. */
static inline pte_t *user_space(void)
{
    return proc_current()->pml4;
}

/* The permission bits new files and directories of the calling process
 * lose: its umask from Lab 10 (umask(2)), none before. */
static inline uint32_t proc_umask(void)
{
#if LAB >= 10
    return proc_current()->umask;
#else
    return 0;
#endif
}

/* ip's file type (EXT2_S_IFDIR, EXT2_S_IFREG, ...). */
static inline uint16_t type_of(const struct inode *ip)
{
    return ip->d.i_mode & EXT2_S_IFMT;
}

/* Copy the user's path at upath into *out, a new PATH_MAX buffer (the
 * caller kfrees it). 0; -EFAULT, -ENAMETOOLONG (no NUL within PATH_MAX),
 * -ENOENT for "" (unless empty_ok) or with no file system, -ENOMEM. */
int path_in(uint64_t upath, char **out, bool empty_ok);

/* The directory relative paths start from: dirfd's (AT_FDCWD: the working
 * directory), borrowed, or NULL for the root; an absolute path ignores
 * dirfd. 0, -EBADF, -ENOTDIR, -ENOENT for a directory removed since (an
 * entry made in it would be lost with it, and e2fsck would find its inode
 * unattached). */
int start_dir(int dirfd, const char *path, struct inode **dp);

/* Resolve path from dirfd into *ip (with a reference). fs_lock held. */
int lookup_at(int dirfd, const char *path, bool follow, struct inode **ip);

/* The disk file open at fd: 0 and *ffp, or -EBADF (not open), or bad (the
 * fd is the console or a pipe). */
int fd_disk_file(int fd, struct fsfile **ffp, int bad);

#endif
