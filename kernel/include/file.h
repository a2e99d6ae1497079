/* file.h - open files and file descriptors. Lab 7.
 * A process's fd table (proc.h: files[]) holds references to open files;
 * fork and dup make more references to the same open file, which counts
 * them and goes away with the last one (handout §1.3 draws fd table ->
 * open file -> pipe after fork and dup2). An open file is the console or
 * one end of a pipe; Lab 8 adds files on disk. */
#ifndef FILE_H
#define FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc.h"

#define O_CLOEXEC 02000000           /* pipe2's flag (Linux's value) */

struct file;

/* What an open file does. read and write move bytes between the file and
 * the calling process's user memory at buf (checked by them: -EFAULT);
 * they may block, and return the count moved, 0 for end of file, or a
 * negative errno. release runs once, when the last reference goes. */
struct file_ops {
    long (*read)(struct file *f, uint64_t buf, size_t count);
    long (*write)(struct file *f, uint64_t buf, size_t count);
    void (*release)(struct file *f);
};

/* Guarded by interrupts off (refs: every process holding it may change
 * it). ops and data are [once]. */
struct file {
    const struct file_ops *ops;
    void *data;                      /* the ops' own: the pipe of a pipe end */
    int refs;                        /* fd table entries (any process) that hold it */
};

/* A new open file with one reference, or NULL (out of memory). */
struct file *file_new(const struct file_ops *ops, void *data);

/* One more reference to f / one fewer (the last one releases it). */
struct file *file_get(struct file *f);
void file_put(struct file *f);

/* The open console (one for the whole system: fds 0, 1 and 2 of the
 * processes the kernel starts), with a new reference. */
struct file *console_file(void);

#if LAB >= 8
/* Is f the console (fstat's character device; not a pipe end nor a file
 * on disk)? */
bool file_is_console(const struct file *f);
#endif

/* ---- the fd table, of the calling process unless said (exercise 3) ---- */

/* Put f (the caller's reference, now the table's) at the lowest free fd of
 * p, close-on-exec if cloexec. The fd, or -EMFILE (then the reference is
 * still the caller's). */
int fd_install(struct proc *p, struct file *f, bool cloexec);

/* The open file at fd of the calling process, or NULL if fd is not open
 * (or out of range). No new reference: valid until the process changes its
 * table. */
struct file *fd_file(int fd);

/* fd table of p set up by the kernel: the console at 0, 1 and 2. */
void files_open_console(struct proc *p);

/* The child's table: the same open files as the parent's, each with one
 * more reference, and the same close-on-exec bits. */
void files_fork(struct proc *parent, struct proc *child);

/* Close every fd of p (at exit; from Lab 8 its working directory too) /
 * those marked close-on-exec (execve). */
void files_close_all(struct proc *p);
void files_close_on_exec(struct proc *p);

#if LAB >= 10
/* devices.c (Lab 10): open the device file at path if it names one
 * (/dev/null, /dev/zero, /dev/urandom, /dev/random, /dev/tty,
 * /dev/console): a new open file with one reference, or NULL with *err 0
 * (not a device: look on the disk) or -ENOMEM. */
struct file *dev_open(const char *path, int *err);
#endif

/* pipe.c: a new pipe, its read end in *rd and write end in *wr; -ENOMEM. */
int pipe_create(struct file **rd, struct file **wr);

#endif
