/* benchproc.c - Lab 7's benchmarks, measured in ring 3 (make bench: kernel/
 * tests/lab7.c runs it once per MODE). Lab 7 (given). benchproc MODE: the
 * median of its samples is the exit status (the kernel gets all of it):
 *     fork       cycles per fork+exit+wait, 1 MiB of heap touched
 *     pipe       cycles per KiB of 1 MiB sent through a pipe to another process
 *     memcpy     cycles per KiB of a 1 MiB memcpy in this process
 *     pingpong   cycles per round trip of a byte through two pipes, two processes
 *     yield      cycles per sched_yield round trip between two processes
 * -1 if a call failed on the way. */
#include "ulib.h"

#define MIB (1 << 20)
/* Where a MiB is copied to: a page past the MiB it comes from. Exactly
 * 1 MiB apart, each source page would share its slot in QEMU's direct-
 * mapped TLB with its destination page, and TCG would walk the page tables
 * at every byte: 30 times slower, a figure of the emulator, not the copy. */
#define DST (MIB + 4096)
#define SAMPLES 31                   /* the median is the 16th */
#define TRIPS 200                    /* round trips per sample of pingpong and yield */

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static void fail(const char *what, long err)
{
    printf("benchproc: %s: %s\n", what, errstr(err));
    exit(-1);
}

/* size bytes of fresh heap, every page written. */
static char *heap_get(long size)
{
    char *heap = brk(0);

    if (brk(heap + size) != heap + size)
        fail("brk", -ENOMEM);
    for (long i = 0; i < size; i += 4096)
        heap[i] = 1;
    return heap;
}

/* fork+exit+wait; the parent's pages written again between samples
 * (untimed), so that each fork finds them as the first did. */
static uint64_t sample_fork(char *heap)
{
    for (long i = 0; i < MIB; i += 4096)
        heap[i]++;
    uint64_t t = rdtsc();
    int pid = fork();
    if (pid == 0)
        exit(0);
    if (pid < 0)
        fail("fork", pid);
    int status;
    if (waitpid(pid, &status, 0) != pid)
        fail("waitpid", -ECHILD);
    return rdtsc() - t;
}

static int pipe_go[2], pipe_data[2];     /* pipe's: the signal to send, the MiB */

/* The child of pipe mode: a MiB for every byte on pipe_go, until its end. */
static void pipe_sender(char *buf)
{
    char c;

    close(pipe_go[1]);
    close(pipe_data[0]);
    while (read(pipe_go[0], &c, 1) == 1)
        if (write_all(pipe_data[1], buf, MIB) != MIB)
            exit(1);
    exit(0);
}

static uint64_t sample_pipe(char *buf)
{
    uint64_t t = rdtsc();
    long got = 0;

    if (write(pipe_go[1], "g", 1) != 1)
        fail("write", -EPIPE);
    while (got < MIB) {
        long n = read(pipe_data[0], buf + got, MIB - got);
        if (n <= 0)
            fail("read", n ? n : -EPIPE);
        got += n;
    }
    return (rdtsc() - t) / 1024;
}

static uint64_t sample_memcpy(char *heap)
{
    uint64_t t = rdtsc();

    memcpy(heap + DST, heap, MIB);
    __asm__ volatile("" : : "r"(heap) : "memory");
    return (rdtsc() - t) / 1024;
}

static int ping[2], pong[2];         /* parent to child, child to parent */

static uint64_t sample_pingpong(char *unused)
{
    char c = 'p';
    uint64_t t = rdtsc();

    (void)unused;
    for (int i = 0; i < TRIPS; i++)
        if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
            fail("pingpong", -EPIPE);
    return (rdtsc() - t) / TRIPS;
}

static uint64_t sample_yield(char *unused)
{
    uint64_t t = rdtsc();

    (void)unused;
    for (int i = 0; i < TRIPS; i++)
        sched_yield();               /* to the other process and back */
    return (rdtsc() - t) / TRIPS;
}

/* The median of SAMPLES runs of sample(arg), after one to warm up. */
static uint64_t median(uint64_t (*sample)(char *), char *arg)
{
    uint64_t v[SAMPLES];

    sample(arg);
    for (int s = 0; s < SAMPLES; s++)
        v[s] = sample(arg);
    for (int i = 1; i < SAMPLES; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    return v[SAMPLES / 2];
}

/* Start the other process of a two-process mode: child() runs in it. */
static int start_child(void (*child)(char *), char *arg)
{
    int pid = fork();

    if (pid < 0)
        fail("fork", pid);
    if (pid == 0)
        child(arg);                  /* does not return */
    return pid;
}

static void pong_child(char *unused)
{
    char c;

    (void)unused;
    close(ping[1]);
    close(pong[0]);
    while (read(ping[0], &c, 1) == 1)
        if (write(pong[1], &c, 1) != 1)
            exit(1);
    exit(0);
}

static void yield_child(char *unused)
{
    (void)unused;
    for (;;)
        sched_yield();               /* until the parent kills it */
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    uint64_t result;
    int pid;

    if (strcmp(mode, "fork") == 0) {
        result = median(sample_fork, heap_get(MIB));
    } else if (strcmp(mode, "memcpy") == 0) {
        result = median(sample_memcpy, heap_get(DST + MIB));
    } else if (strcmp(mode, "pipe") == 0) {
        char *heap = heap_get(DST + MIB);
        if (pipe(pipe_go) || pipe(pipe_data))
            fail("pipe", -EMFILE);
        pid = start_child(pipe_sender, heap);
        close(pipe_go[0]);
        close(pipe_data[1]);
        result = median(sample_pipe, heap + DST);
        close(pipe_go[1]);           /* the sender sees the end and exits */
        waitpid(pid, NULL, 0);
    } else if (strcmp(mode, "pingpong") == 0) {
        if (pipe(ping) || pipe(pong))
            fail("pipe", -EMFILE);
        pid = start_child(pong_child, NULL);
        close(ping[0]);
        close(pong[1]);
        result = median(sample_pingpong, NULL);
        close(ping[1]);
        waitpid(pid, NULL, 0);
    } else if (strcmp(mode, "yield") == 0) {
        pid = start_child(yield_child, NULL);
        result = median(sample_yield, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    } else {
        printf("usage: benchproc fork|pipe|memcpy|pingpong|yield\n");
        return -1;
    }
    return (int)result;
}
