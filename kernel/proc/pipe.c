/* pipe.c - pipes: a bounded buffer between processes. Lab 7: pipe_read,
 * pipe_write and pipe_close_end are exercise 4 (handout §3.4); creating a
 * pipe and its two open files is given.
 *
 * The bytes ever written and ever read are counted; their difference is
 * what the buffer holds, at buf[count % PIPE_SIZE]. Readers sleep on
 * readable while it is empty and writers on writable while it is full;
 * each end's open files are counted, so that a reader sees end of file
 * once every write end is closed, and a writer gets -EPIPE once every read
 * end is. */
#include <stddef.h>

#include "errno.h"
#include "file.h"
#include "kmalloc.h"
#include "panic.h"
#include "proc.h"
#include "spinlock.h"
#include "uaccess.h"

#define PIPE_CHUNK 512               /* bytes moved per turn under the lock, on the stack */

/* Every field is guarded by lock. */
struct pipe {
    struct spinlock lock;
    char buf[PIPE_SIZE];
    uint64_t nread, nwritten;        /* bytes ever read / written */
    int readers, writers;            /* open files of each end */
    struct waitqueue readable;       /* readers wait here while it is empty */
    struct waitqueue writable;       /* writers wait here while it is full */
};

/* Read up to count bytes (count > 0; the given check cuts it to PIPE_CHUNK)
 * into the user's buf: block while the pipe is empty and a write end is
 * open; then take what is there, at most count, waking the writers. Returns the count taken; 0 when it is empty
 * with no write end open (end of file); -EFAULT for a bad buf (checked
 * before anything is taken); -EINTR if killed while waiting. */
static long pipe_read(struct file *f, uint64_t buf, size_t count)
{
    struct pipe *pp = f->data;
    pte_t *pml4 = proc_current()->pml4;

    if (count > PIPE_CHUNK)
        count = PIPE_CHUNK;          /* a read may return less than asked */
    if (cow_prepare_write(pml4, buf, count) || !user_range_ok(pml4, buf, count, true))
        return -EFAULT;
#if SOL >= 7
    char chunk[PIPE_CHUNK];
    size_t n = 0;
    spin_lock(&pp->lock);
    while (pp->nwritten == pp->nread && pp->writers > 0) {
        if (proc_sleep(&pp->readable, &pp->lock) == -EINTR) {
            spin_unlock(&pp->lock);
            return -EINTR;
        }
    }
    while (n < count && n < sizeof chunk && pp->nread < pp->nwritten)
        chunk[n++] = pp->buf[pp->nread++ % PIPE_SIZE];
    waitqueue_wake_all(&pp->writable);
    spin_unlock(&pp->lock);
    copy_to_user(pml4, buf, chunk, n);
    return (long)n;
#else
    /* LAB 7, exercise 4: take what the pipe holds, up to count, waiting
     * while it is empty and a writer remains; 0 at end of file (handout §3.4) */
    (void)pp;
    return 0;
#endif
}

/* Write the count bytes (count > 0) of the user's buf: as the buffer has
 * room, blocking while it is full and a read end is open, waking the
 * readers as bytes arrive. Returns count; or, once no read end is open,
 * the bytes written so far, or -EPIPE if none; -EFAULT for a bad buf
 * (checked before anything is written); -EINTR if killed while waiting
 * with nothing written. */
static long pipe_write(struct file *f, uint64_t buf, size_t count)
{
    struct pipe *pp = f->data;
    pte_t *pml4 = proc_current()->pml4;

    if (!user_range_ok(pml4, buf, count, false))
        return -EFAULT;
#if SOL >= 7
    char chunk[PIPE_CHUNK];
    size_t done = 0;
    while (done < count) {
        size_t n = count - done < sizeof chunk ? count - done : sizeof chunk;
        copy_from_user(pml4, chunk, buf + done, n);
        spin_lock(&pp->lock);
        for (size_t i = 0; i < n;) {
            while (pp->readers > 0 && pp->nwritten - pp->nread == PIPE_SIZE) {
                if (proc_sleep(&pp->writable, &pp->lock) == -EINTR) {
                    spin_unlock(&pp->lock);
                    return done + i > 0 ? (long)(done + i) : -EINTR;
                }
            }
            if (pp->readers == 0) {
                spin_unlock(&pp->lock);
                return done + i > 0 ? (long)(done + i) : -EPIPE;
            }
            while (i < n && pp->nwritten - pp->nread < PIPE_SIZE)
                pp->buf[pp->nwritten++ % PIPE_SIZE] = chunk[i++];
            waitqueue_wake_all(&pp->readable);
        }
        spin_unlock(&pp->lock);
        done += n;
    }
    return (long)count;
#else
    /* LAB 7, exercise 4: put all of buf in the pipe, waiting while it is
     * full and a reader remains; -EPIPE once none remains (handout §3.4) */
    (void)pp, (void)buf;
    return (long)count;
#endif
}

/* An open file of one end goes (reading: the read end): one fewer of that
 * end, the other side woken to see it; the last file of both ends frees
 * the pipe. */
static void pipe_close_end(struct pipe *pp, bool reading)
{
    spin_lock(&pp->lock);
#if SOL >= 7
    if (reading) {
        pp->readers--;
        waitqueue_wake_all(&pp->writable);
    } else {
        pp->writers--;
        waitqueue_wake_all(&pp->readable);
    }
    bool last = pp->readers == 0 && pp->writers == 0;
#else
    /* LAB 7, exercise 4: count the end closed, wake the other side; last
     * is true once both ends are closed (handout §3.4) */
    (void)reading;
    bool last = false;
#endif
    spin_unlock(&pp->lock);
    if (last)
        kfree(pp);
}

static void pipe_release_read(struct file *f)
{
    pipe_close_end(f->data, true);
}

static void pipe_release_write(struct file *f)
{
    pipe_close_end(f->data, false);
}

#if LAB >= 10
/* Lab 10: a write that finds no reader (-EPIPE) also sends the writer
 * SIGPIPE, as Linux does: its default ends `yes` in `yes | head`. */
static long pipe_write_sigpipe(struct file *f, uint64_t buf, size_t count)
{
    long n = pipe_write(f, buf, count);

    if (n == -EPIPE)
        signal_raise(SIGPIPE, SI_USER);
    return n;
}
#endif

static const struct file_ops pipe_read_ops = {pipe_read, NULL, pipe_release_read};
#if LAB >= 10
static const struct file_ops pipe_write_ops = {NULL, pipe_write_sigpipe, pipe_release_write};
#else
static const struct file_ops pipe_write_ops = {NULL, pipe_write, pipe_release_write};
#endif

int pipe_create(struct file **rd, struct file **wr)
{
    struct pipe *pp = kcalloc(1, sizeof *pp);

    if (pp == NULL)
        return -ENOMEM;
    spin_init(&pp->lock, "pipe");
    pp->readers = pp->writers = 1;
    *rd = file_new(&pipe_read_ops, pp);
    *wr = file_new(&pipe_write_ops, pp);
    if (*rd && *wr)
        return 0;
    kfree(*rd);                      /* no release: the pipe goes with them */
    kfree(*wr);
    kfree(pp);
    return -ENOMEM;
}
