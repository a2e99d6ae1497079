/* file.c - open files, the fd table, and the console as a file. Lab 7:
 * fd_install, fd_close, files_fork, files_close_on_exec and sys_dup2 are
 * exercise 3 (handout §3.3); the rest is given: open-file references, the
 * console's line discipline, and the system calls that go through the
 * table (read, write, close, dup, pipe, pipe2). */
#include <stddef.h>

#include "file.h"
#include "console.h"
#include "errno.h"
#include "kinit.h"
#include "kmalloc.h"
#include "panic.h"
#include "string.h"
#include "sync.h"
#include "syscall.h"
#include "uaccess.h"
#include "x86.h"
#if LAB >= 10
#include "linux.h"
#endif

/* ---- open files ------------------------------------------------------------- */

struct file *file_new(const struct file_ops *ops, void *data)
{
    struct file *f = kmalloc(sizeof *f);

    if (f) {
        f->ops = ops;
        f->data = data;
        f->refs = 1;
    }
    return f;
}

struct file *file_get(struct file *f)
{
    push_cli();
    ASSERT(f->refs > 0);
    f->refs++;
    pop_cli();
    return f;
}

void file_put(struct file *f)
{
    push_cli();
    ASSERT(f->refs > 0);
    bool last = --f->refs == 0;
    pop_cli();
    if (last) {
        if (f->ops->release)
            f->ops->release(f);
        kfree(f);
    }
}

/* ---- the fd table (exercise 3) ----------------------------------------------- */

/* Contract in file.h. */
int fd_install(struct proc *p, struct file *f, bool cloexec)
{
#if SOL >= 7
    for (int fd = 0; fd < PROC_MAX_FILES; fd++) {
        if (p->files[fd] == NULL) {
            p->files[fd] = f;
            if (cloexec)
                p->cloexec |= 1u << fd;
            else
                p->cloexec &= ~(1u << fd);
            return fd;
        }
    }
    return -EMFILE;
#else
    /* LAB 7, exercise 3: put f at p's lowest free fd, with its close-on-exec
     * bit; the fd, or -EMFILE (handout §3.3) */
    (void)p, (void)f, (void)cloexec;
    return -EMFILE;
#endif
}

struct file *fd_file(int fd)
{
    struct proc *p = proc_current();

    return fd >= 0 && fd < PROC_MAX_FILES ? p->files[fd] : NULL;
}

/* Close fd of p: its entry freed, its reference let go. 0, or -EBADF if fd
 * is not open (or out of range). */
static int fd_close(struct proc *p, int fd)
{
#if SOL >= 7
    if (fd < 0 || fd >= PROC_MAX_FILES || p->files[fd] == NULL)
        return -EBADF;
    struct file *f = p->files[fd];
    p->files[fd] = NULL;
    p->cloexec &= ~(1u << fd);
    file_put(f);
    return 0;
#else
    /* LAB 7, exercise 3: free the entry, let its reference go; -EBADF for
     * an fd that is not open (handout §3.3) */
    (void)p, (void)fd;
    return -EBADF;
#endif
}

void files_open_console(struct proc *p)
{
    for (int fd = 0; fd < 3; fd++)
        p->files[fd] = console_file();
    p->cloexec = 0;
}

/* Contract in file.h. */
void files_fork(struct proc *parent, struct proc *child)
{
#if SOL >= 7
    for (int fd = 0; fd < PROC_MAX_FILES; fd++)
        child->files[fd] = parent->files[fd] ? file_get(parent->files[fd]) : NULL;
    child->cloexec = parent->cloexec;
#else
    /* LAB 7, exercise 3: give child the same open files at the same fds,
     * counted, with the same close-on-exec bits (handout §3.3) */
    files_open_console(child);
    (void)parent;
#endif
}

void files_close_all(struct proc *p)
{
    for (int fd = 0; fd < PROC_MAX_FILES; fd++)
        if (p->files[fd])
            fd_close(p, fd);
#if LAB >= 8
    if (p->cwd) {                    /* the working directory goes with the files */
        struct file *cwd = p->cwd;
        p->cwd = NULL;
        file_put(cwd);
    }
#endif
}

/* Contract in file.h. */
void files_close_on_exec(struct proc *p)
{
#if SOL >= 7
    for (int fd = 0; fd < PROC_MAX_FILES; fd++)
        if (p->cloexec & (1u << fd))
            fd_close(p, fd);
#else
    /* LAB 7, exercise 3: close p's close-on-exec fds (handout §3.3) */
    (void)p;
#endif
}

/* ---- system calls through the table ------------------------------------------- */

static long sys_read_fd(struct trap_frame *tf, uint64_t fd, uint64_t buf, uint64_t count)
{
    struct file *f = fd_file((int)fd);

    (void)tf;
    if (f == NULL || f->ops->read == NULL)
        return -EBADF;
    return count == 0 ? 0 : f->ops->read(f, buf, count);
}
SYSCALL(SYS_read, sys_read_fd);

static long sys_write_fd(struct trap_frame *tf, uint64_t fd, uint64_t buf, uint64_t count)
{
    struct file *f = fd_file((int)fd);

    (void)tf;
    if (f == NULL || f->ops->write == NULL)
        return -EBADF;
    return count == 0 ? 0 : f->ops->write(f, buf, count);
}
SYSCALL(SYS_write, sys_write_fd);

static long sys_close(struct trap_frame *tf, uint64_t fd, uint64_t a1, uint64_t a2)
{
    (void)tf, (void)a1, (void)a2;
    return fd_close(proc_current(), (int)fd);
}
SYSCALL(SYS_close, sys_close);

static long sys_dup(struct trap_frame *tf, uint64_t fd, uint64_t a1, uint64_t a2)
{
    struct file *f = fd_file((int)fd);

    (void)tf, (void)a1, (void)a2;
    if (f == NULL)
        return -EBADF;
    int new = fd_install(proc_current(), file_get(f), false);
    if (new < 0)
        file_put(f);
    return new;
}
SYSCALL(SYS_dup, sys_dup);

/* dup2(oldfd, newfd): make newfd refer to oldfd's open file, closing what
 * newfd had (the close-on-exec bit of newfd cleared). newfd, or -EBADF if
 * oldfd is not open or newfd is out of range; oldfd == newfd (open)
 * changes nothing. */
static long sys_dup2(struct trap_frame *tf, uint64_t oldfd, uint64_t newfd, uint64_t a2)
{
    (void)tf, (void)a2;
#if SOL >= 7
    struct proc *p = proc_current();
    struct file *f = fd_file((int)oldfd);
    if (f == NULL || newfd >= PROC_MAX_FILES)
        return -EBADF;
    if (oldfd == newfd)
        return (long)newfd;
    file_get(f);
    if (p->files[newfd])
        fd_close(p, (int)newfd);
    p->files[newfd] = f;
    p->cloexec &= ~(1u << newfd);
    return (long)newfd;
#else
    /* LAB 7, exercise 3: newfd becomes another reference to oldfd's open
     * file; newfd, or -EBADF (handout §3.3) */
    (void)oldfd, (void)newfd;
    return -EBADF;
#endif
}
SYSCALL(SYS_dup2, sys_dup2);

/* pipe2(fds, flags): a new pipe, its read end and write end at the two
 * lowest free fds, written to the user's int fds[2]. flags: 0 or
 * O_CLOEXEC (else -EINVAL). -EFAULT, -EMFILE, -ENOMEM: then no fd is used. */
static long sys_pipe2(struct trap_frame *tf, uint64_t fds, uint64_t flags, uint64_t a2)
{
    struct proc *p = proc_current();
    struct file *rd, *wr;

    (void)tf, (void)a2;
    if (flags & ~(uint64_t)O_CLOEXEC)
        return -EINVAL;
    if (cow_prepare_write(p->pml4, fds, 8) || !user_range_ok(p->pml4, fds, 8, true))
        return -EFAULT;
    int err = pipe_create(&rd, &wr);
    if (err)
        return err;
    int pair[2] = {fd_install(p, rd, flags != 0), -1};
    if (pair[0] >= 0 && (pair[1] = fd_install(p, wr, flags != 0)) >= 0 &&
        copy_to_user(p->pml4, fds, pair, sizeof pair) == 0)
        return 0;
    if (pair[0] >= 0) {
        p->files[pair[0]] = NULL;        /* the references are ours again */
        p->cloexec &= ~(1u << pair[0]);
    }
    if (pair[1] >= 0) {
        p->files[pair[1]] = NULL;
        p->cloexec &= ~(1u << pair[1]);
    }
    file_put(rd);
    file_put(wr);
    return pair[0] < 0 || pair[1] < 0 ? -EMFILE : -EFAULT;
}
SYSCALL(SYS_pipe2, sys_pipe2);

static long sys_pipe(struct trap_frame *tf, uint64_t fds, uint64_t a1, uint64_t a2)
{
    (void)a1;
    return sys_pipe2(tf, fds, 0, a2);
}
SYSCALL(SYS_pipe, sys_pipe);

/* ---- the console as a file -------------------------------------------------- */

/* One line at a time, as a terminal in canonical mode gives it: typed
 * characters are echoed, backspace erases, Enter ends the line, Ctrl-D
 * ends it without a newline (at the start of a line: end of file). The
 * line is handed out across reads if they ask for less. */
static struct mutex console_reader;  /* one reader at a time; guards the line */
static char line[CONSOLE_LINE_MAX];
static size_t line_len, line_pos;
static struct waitqueue typed;       /* interrupts off: woken by console_input */

#define CTRL_D 0x04

static void wake_readers(void)
{
    waitqueue_wake_all(&typed);
}

/* The next typed character, or -EINTR if the process is killed meanwhile. */
static int next_char(void)
{
    int c = -EINTR;

    push_cli();
    while (!console_has_input())
        if (proc_sleep(&typed, NULL) == -EINTR)
            goto out;
    c = console_getc();              /* interrupts off: takes it from the buffer */
out:
    pop_cli();
    return c;
}

/* Read a new line into line[]: its length (0: end of file) or -EINTR. */
static long read_line(void)
{
    line_len = line_pos = 0;
    for (;;) {
        int c = next_char();
        if (c < 0)
            return c;
        if (c == '\r')
            c = '\n';
        if (c == CTRL_D)
            return (long)line_len;
        if (c == '\b' || c == 0x7f) {
            if (line_len > 0) {
                line_len--;
                console_write("\b \b");
            }
            continue;
        }
        if (line_len == CONSOLE_LINE_MAX - 1 && c != '\n')
            continue;                /* full: only Enter is taken */
        line[line_len++] = (char)c;
        console_write_n(&line[line_len - 1], 1);   /* the echo */
        if (c == '\n')
            return (long)line_len;
    }
}

#if LAB >= 10
/* Lab 10: the console's termios (linux.h). Canonical mode with echo is the
 * line discipline above; with ICANON off (a shell's line editor, `less`),
 * a read returns what has been typed, at least one character, with no
 * editing, echoed only with ECHO; ICRNL still turns Enter's '\r' into
 * '\n'. Guarded by console_reader, like the line. */
struct termios console_termios = {
    .c_iflag = TERMIOS_ICRNL, .c_oflag = TERMIOS_OPOST | TERMIOS_ONLCR,
    .c_cflag = TERMIOS_CS8 | TERMIOS_CREAD | TERMIOS_B115200,
    .c_lflag = TERMIOS_ICANON | TERMIOS_ECHO | TERMIOS_ECHOE | TERMIOS_ISIG,
    .c_cc = {[TERMIOS_VINTR] = 3, [TERMIOS_VERASE] = 0x7f, [TERMIOS_VEOF] = 4,
             [TERMIOS_VMIN] = 1},
};

/* Would a read of the console return without waiting (poll's POLLIN)? */
bool console_readable(void)
{
    push_cli();
    bool typed = console_has_input();
    pop_cli();
    return typed || line_pos < line_len;
}

/* A read with ICANON off: what is typed, up to count (>= 1), into buf. */
static long read_raw(pte_t *pml4, uint64_t buf, size_t count)
{
    char chunk[CONSOLE_LINE_MAX];
    size_t n = 0;

    do {
        int c = next_char();
        if (c < 0)
            return n ? (long)n : c;
        if (c == '\r' && (console_termios.c_iflag & TERMIOS_ICRNL))
            c = '\n';
        chunk[n++] = (char)c;
        if (console_termios.c_lflag & TERMIOS_ECHO)
            console_write_n(&chunk[n - 1], 1);
        push_cli();
        bool more = console_has_input();
        pop_cli();
        if (!more)
            break;
    } while (n < count);
    copy_to_user(pml4, buf, chunk, n);
    return (long)n;
}
#endif

static long console_read(struct file *f, uint64_t buf, size_t count)
{
    pte_t *pml4 = proc_current()->pml4;
    long n;

    (void)f;
    if (count > CONSOLE_LINE_MAX)
        count = CONSOLE_LINE_MAX;    /* no line is longer */
    if (cow_prepare_write(pml4, buf, count) || !user_range_ok(pml4, buf, count, true))
        return -EFAULT;
    mutex_lock(&console_reader);
#if LAB >= 10
    if (!(console_termios.c_lflag & TERMIOS_ICANON) && line_pos == line_len) {
        n = count ? read_raw(pml4, buf, count) : 0;
        mutex_unlock(&console_reader);
        return n;
    }
#endif
    if (line_pos == line_len && (n = read_line()) <= 0) {
        mutex_unlock(&console_reader);
        return n;
    }
    n = (long)(line_len - line_pos < count ? line_len - line_pos : count);
    copy_to_user(pml4, buf, line + line_pos, (size_t)n);
    line_pos += (size_t)n;
    mutex_unlock(&console_reader);
    return n;
}

/* All of buf is checked before a byte is shown. */
static long console_write_user(struct file *f, uint64_t buf, size_t count)
{
    pte_t *pml4 = proc_current()->pml4;
    char chunk[256];

    (void)f;
    if (!user_range_ok(pml4, buf, count, false))
        return -EFAULT;
    for (size_t done = 0; done < count;) {
        size_t n = count - done < sizeof chunk ? count - done : sizeof chunk;
        copy_from_user(pml4, chunk, buf + done, n);
        console_write_n(chunk, n);
        done += n;
    }
    return (long)count;
}

static const struct file_ops console_ops = {console_read, console_write_user, NULL};
static struct file the_console = {&console_ops, NULL, 1};   /* the kernel's reference: it
                                                              * never goes */

struct file *console_file(void)
{
    return file_get(&the_console);
}

#if LAB >= 8
bool file_is_console(const struct file *f)
{
    return f == &the_console;
}
#endif

/* Boot step: the console's reader lock, and its wake-up on typing. */
static void console_file_init(void)
{
    mutex_init(&console_reader, "console");
    console_on_input(wake_readers);
}
KINIT(65, console_file_init);
