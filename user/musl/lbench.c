/* lbench.c - one static Linux program that times system calls with rdtsc,
 * for `make bench-linux` (grader/bench_linux.py, DESIGN §9). Lab 10. The
 * same binary runs on Debian's Linux and on ours, under the same QEMU, so
 * that the two columns of the table compare kernels, not programs. Built
 * with Debian's `musl-gcc -static -O2`; it is not one of the user/ programs, which
 * use our own int 0x80 ABI and library.
 *
 *     lbench [DIR [cold]]
 *
 * prints one line per operation, "lbench: NAME CYCLES", the median of
 * SAMPLES runs in TSC cycles, then "lbench: done":
 *     getpid        per call
 *     sched_yield   per round trip between two processes, SCHED_RR on Linux
 *     fork          per fork+exit+wait
 *     pingpong      per round trip of a byte through two pipes, two processes
 *     pipe          per KiB of 1 MiB sent through a pipe to another process
 *     mmap          per mmap+touch+munmap of 1 MiB (256 pages written)
 *     file_write    per KiB of a 16 MiB file written, fsync included (one run)
 *     file_read     per KiB of reading it back (one run)
 * A call that fails prints "lbench: NAME failed: CALL returned R (errno E)"
 * and that row is left out. The file rows use DIR/lbench.dat (default /tmp),
 * removed at the end. With `cold`, Linux's page cache is dropped before the
 * read (/proc/sys/vm/drop_caches), so that Linux reads from the disk as
 * ours does; on a kernel without that file the attempt fails, unnoticed.
 *
 * Only these system calls, so that our kernel can run it (strace -f on the
 * host, musl 1.2.3, `lbench /tmp cold` as root):
 *     arch_prctl(ARCH_SET_FS), set_tid_address     musl's start-up
 *     getpid, sched_yield
 *     sched_setscheduler(0, SCHED_RR or SCHED_OTHER, &param)
 *                                                  tried; -ENOSYS is fine (bench_yield)
 *     clone(flags=SIGCHLD, stack=NULL)             fork, made by hand below
 *     wait4(pid, &status, 0, NULL), exit_group
 *     pipe, read, write, close
 *     mmap(NULL, 1 MiB, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0), munmap
 *     open(O_WRONLY|O_CREAT|O_TRUNC|O_LARGEFILE, 0644), open(O_RDONLY|O_LARGEFILE),
 *     fsync, unlink
 * No stdio and no malloc: musl's would add ioctl, writev, brk and more. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SAMPLES    31                /* the median is the 16th, as in make bench */
#define CALLS      200               /* getpid calls per sample: rdtsc costs little beside them */
#define TRIPS      100               /* round trips per sample of sched_yield and ping-pong */
#define CHUNK      (64 << 10)        /* bytes per read or write of the pipe and file rows */
#define PIPE_BYTES (1 << 20)
#define MMAP_BYTES (1 << 20)
#define FILE_BYTES (16 << 20)
#define PAGE       4096

static char chunk[CHUNK];            /* what the pipe and the file carry */
static char sink[CHUNK];             /* where they arrive */

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* ---- output: whole lines, one write each, so that lines never mix ---------- */

static char line[160];
static int line_len;

static void put(const char *s)
{
    while (*s && line_len < (int)sizeof line - 1)
        line[line_len++] = *s++;
}

static void put_num(long v)
{
    char digits[24];
    int n = 0;
    unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;

    do
        digits[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        put("-");
    while (n > 0 && line_len < (int)sizeof line - 1)
        line[line_len++] = digits[--n];
}

static void put_end(void)
{
    line[line_len++] = '\n';
    write(1, line, line_len);
    line_len = 0;
}

/* A row of the table; none if it failed (its own line said why). */
static void row(const char *name, int64_t cycles)
{
    if (cycles < 0)
        return;
    put("lbench: ");
    put(name);
    put(" ");
    put_num(cycles);
    put_end();
}

/* Say which call of which row failed; -1, for the row to be left out. */
static int64_t fail(const char *name, const char *call, long ret)
{
    put("lbench: ");
    put(name);
    put(" failed: ");
    put(call);
    put(" returned ");
    put_num(ret);
    if (ret == -1) {
        put(" (errno ");
        put_num(errno);
        put(")");
    }
    put_end();
    return -1;
}

/* The median of SAMPLES runs of sample(), after one to warm up (caches,
 * first-time paths); -1 if any run failed. */
static int64_t median(int64_t (*sample)(void))
{
    int64_t v[SAMPLES];

    if (sample() < 0)
        return -1;
    for (int s = 0; s < SAMPLES; s++)
        if ((v[s] = sample()) < 0)
            return -1;
    for (int i = 1; i < SAMPLES; i++)           /* insertion sort: few samples */
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            int64_t x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    return v[SAMPLES / 2];
}

/* fork as Linux's own fork(2) does it: clone with SIGCHLD and nothing else.
 * musl's fork() would add rt_sigprocmask (twice) and gettid around it. */
static long fork_raw(void)
{
    return syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
}

/* Wait for a child of ours and say whether it exited with status 0. */
static int reap(long pid)
{
    int status;

    return waitpid((pid_t)pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* ---- getpid ------------------------------------------------------------------ */

static int64_t sample_getpid(void)
{
    uint64_t t = rdtsc();

    for (int i = 0; i < CALLS; i++)
        getpid();
    return (int64_t)(rdtsc() - t) / CALLS;
}

/* ---- sched_yield between two processes ---------------------------------------- */

static int64_t sample_yield(void)
{
    uint64_t t = rdtsc();

    for (int i = 0; i < TRIPS; i++)
        sched_yield();                  /* to the partner and back */
    return (int64_t)(rdtsc() - t) / TRIPS;
}

/* Ask for policy (SCHED_RR or SCHED_OTHER), priority prio, for this
 * process and the children it makes after. Raw: musl's sched_setscheduler
 * always fails, Linux's call being per thread. */
static long set_policy(int policy, int prio)
{
    struct sched_param param = {.sched_priority = prio};

    return syscall(SYS_sched_setscheduler, 0, policy, &param);
}

/* The partner yields one sample's worth more than median() does in all,
 * so that every timed yield finds it runnable, and then ends by itself
 * (lbench sends no signals). A byte on a pipe says it has started.
 * Both run SCHED_RR where the kernel has it (Linux, as root): under CFS,
 * Linux's default, sched_yield switches only while the two processes'
 * run times are close, so that the samples would mix round trips with
 * yields that return at once (2,600 against 70,000 cycles, seen under
 * TCG). A round-robin yield always switches, as ours does; a kernel
 * without the call (ENOSYS) is round robin already, ours included. */
static void bench_yield(void)
{
    int ready[2];
    char c = 'r';

    if (pipe(ready) != 0) {
        fail("sched_yield", "pipe", -1);
        return;
    }
    int rr = set_policy(SCHED_RR, 1) == 0;
    long pid = fork_raw();
    if (pid == 0) {
        write(ready[1], &c, 1);
        for (int i = 0; i < (SAMPLES + 2) * TRIPS; i++)
            sched_yield();
        _exit(0);
    }
    if (pid < 0)
        fail("sched_yield", "clone", pid);
    else if (read(ready[0], &c, 1) != 1)
        fail("sched_yield", "read", -1);
    else
        row("sched_yield", median(sample_yield));
    if (pid > 0 && !reap(pid))
        fail("sched_yield", "the partner", -1);
    if (rr)
        set_policy(SCHED_OTHER, 0);
    close(ready[0]);
    close(ready[1]);
}

/* ---- fork + exit + wait ---------------------------------------------------------- */

static int64_t sample_fork(void)
{
    uint64_t t = rdtsc();
    long pid = fork_raw();

    if (pid == 0)
        _exit(0);
    if (pid < 0)
        return fail("fork", "clone", pid);
    if (!reap(pid))
        return fail("fork", "wait4", -1);
    return (int64_t)(rdtsc() - t);
}

/* ---- pipe ping-pong ------------------------------------------------------------ */

static int ping[2], pong[2];            /* parent to child, child to parent */

static int64_t sample_pingpong(void)
{
    char c = 'p';
    uint64_t t = rdtsc();

    for (int i = 0; i < TRIPS; i++)
        if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
            return fail("pingpong", "write or read", -1);
    return (int64_t)(rdtsc() - t) / TRIPS;
}

/* The child sends back every byte until the parent closes its end. */
static void bench_pingpong(void)
{
    char c;

    if (pipe(ping) != 0 || pipe(pong) != 0) {
        fail("pingpong", "pipe", -1);
        return;
    }
    long pid = fork_raw();
    if (pid == 0) {
        close(ping[1]);
        close(pong[0]);
        while (read(ping[0], &c, 1) == 1)
            if (write(pong[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    close(ping[0]);
    close(pong[1]);
    if (pid < 0)
        fail("pingpong", "clone", pid);
    else
        row("pingpong", median(sample_pingpong));
    close(ping[1]);
    close(pong[0]);
    if (pid > 0 && !reap(pid))
        fail("pingpong", "the child", -1);
}

/* ---- pipe throughput ------------------------------------------------------------- */

static int go[2], data[2];              /* the signal to send, the MiB */

/* The MiB arrives in reads of whatever the pipe holds, up to a CHUNK. */
static int64_t sample_pipe(void)
{
    char c = 'g';
    uint64_t t = rdtsc();

    if (write(go[1], &c, 1) != 1)
        return fail("pipe", "write", -1);
    for (long got = 0, n; got < PIPE_BYTES; got += n) {
        long want = PIPE_BYTES - got < CHUNK ? PIPE_BYTES - got : CHUNK;
        if ((n = read(data[0], sink, want)) <= 0)
            return fail("pipe", "read", n);
    }
    return (int64_t)(rdtsc() - t) / (PIPE_BYTES >> 10);
}

/* The child sends a MiB, in writes of a CHUNK, for every byte on go. */
static void bench_pipe(void)
{
    char c;

    if (pipe(go) != 0 || pipe(data) != 0) {
        fail("pipe", "pipe", -1);
        return;
    }
    long pid = fork_raw();
    if (pid == 0) {
        close(go[1]);
        close(data[0]);
        while (read(go[0], &c, 1) == 1)
            for (long sent = 0; sent < PIPE_BYTES; sent += CHUNK)
                if (write(data[1], chunk, CHUNK) != CHUNK)
                    _exit(1);
        _exit(0);
    }
    close(go[0]);
    close(data[1]);
    if (pid < 0)
        fail("pipe", "clone", pid);
    else
        row("pipe", median(sample_pipe));
    close(go[1]);                       /* the child sees the end and exits */
    close(data[0]);
    if (pid > 0 && !reap(pid))
        fail("pipe", "the child", -1);
}

/* ---- mmap + touch + munmap --------------------------------------------------------- */

/* Every page written, so that each is faulted in and then freed. */
static int64_t sample_mmap(void)
{
    uint64_t t = rdtsc();
    char *p = mmap(NULL, MMAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED)
        return fail("mmap", "mmap", -1);
    for (long off = 0; off < MMAP_BYTES; off += PAGE)
        p[off] = 1;
    if (munmap(p, MMAP_BYTES) != 0)
        return fail("mmap", "munmap", -1);
    return (int64_t)(rdtsc() - t);
}

/* ---- a 16 MiB file: one run each way, long enough to average itself -------------- */

/* Cycles per KiB to write the file in CHUNKs and fsync it. */
static int64_t file_write(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    long n = 0;

    if (fd < 0)
        return fail("file_write", "open", fd);
    uint64_t t = rdtsc();
    for (long done = 0; done < FILE_BYTES && n >= 0; done += CHUNK)
        if ((n = write(fd, chunk, CHUNK)) != CHUNK)
            n = fail("file_write", "write", n);
    if (n >= 0 && fsync(fd) != 0)
        n = fail("file_write", "fsync", -1);
    t = rdtsc() - t;
    close(fd);
    return n < 0 ? -1 : (int64_t)t / (FILE_BYTES >> 10);
}

/* Cycles per KiB to read the file back; its last CHUNK is checked, for a
 * read that returns the wrong bytes fast is no benchmark. */
static int64_t file_read(const char *path)
{
    int fd = open(path, O_RDONLY);
    long n = 0, got = 0;

    if (fd < 0)
        return fail("file_read", "open", fd);
    uint64_t t = rdtsc();
    while (got < FILE_BYTES && (n = read(fd, sink, CHUNK)) == CHUNK)
        got += n;
    t = rdtsc() - t;
    close(fd);
    if (got != FILE_BYTES)
        return fail("file_read", "read", n);
    if (memcmp(sink, chunk, CHUNK) != 0)
        return fail("file_read", "a check of the bytes read", 0);
    return (int64_t)t / (FILE_BYTES >> 10);
}

/* Linux only: write back nothing (fsync did) and drop the clean page cache. */
static void drop_caches(void)
{
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

    if (fd >= 0) {
        write(fd, "1\n", 2);
        close(fd);
    }
}

static void bench_file(const char *dir, int cold)
{
    char path[256];
    size_t len = strlen(dir);

    if (len + sizeof "/lbench.dat" > sizeof path) {
        fail("file_write", "a DIR this long", (long)len);
        return;
    }
    memcpy(path, dir, len);
    memcpy(path + len, "/lbench.dat", sizeof "/lbench.dat");
    int64_t wrote = file_write(path);
    row("file_write", wrote);
    if (wrote >= 0) {
        if (cold)
            drop_caches();
        row("file_read", file_read(path));
    }
    if (unlink(path) != 0 && wrote >= 0)
        fail("file_write", "unlink", -1);
}

int main(int argc, char **argv)
{
    for (int i = 0; i < CHUNK; i++)
        chunk[i] = (char)(i * 7 + 1);
    row("getpid", median(sample_getpid));
    bench_yield();
    row("fork", median(sample_fork));
    bench_pingpong();
    bench_pipe();
    row("mmap", median(sample_mmap));
    bench_file(argc > 1 ? argv[1] : "/tmp", argc > 2 && strcmp(argv[2], "cold") == 0);
    put("lbench: done");
    put_end();
    return 0;
}
