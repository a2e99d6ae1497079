/* pipes.c - streams through pipes, end of file, and EPIPE. Lab 7 (given).
 * pipes SIZE SEED prints:
 *     pipes: one pipe: N bytes, fnv X
 *     pipes: pipeline: N bytes, fnv X      (generator | add one to each byte | here)
 *     pipes: end of file after every writer closed: 'late' then 0
 *     pipes: write with no reader gives -32
 *     pipes: a writer blocked on a full pipe whose reader left: 1st write ok, 2nd gives -32
 * The streams are SIZE bytes drawn from SEED (xorshift64, low byte), written
 * and read in chunks of sizes drawn from SEED too; fnv is FNV-1a (64-bit)
 * of what arrived. The grader computes both. */
#include "ulib.h"

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static char buf[8192];

/* Write size bytes of the stream of seed to fd, in chunks of 1..8192. */
static void generate(int fd, long size, uint64_t seed)
{
    uint64_t data = seed, sizes = seed * 3 + 1;

    for (long done = 0; done < size;) {
        long n = (long)(next(&sizes) % sizeof buf) + 1;
        if (n > size - done)
            n = size - done;
        for (long i = 0; i < n; i++)
            buf[i] = (char)next(&data);
        if (write(fd, buf, (size_t)n) != n)
            exit(1);
        done += n;
    }
}

/* Read fd to its end in chunks of 1..8192: its length and FNV-1a hash. */
static long drain(int fd, uint64_t seed, uint64_t *fnv)
{
    uint64_t sizes = seed * 5 + 7;
    long total = 0, n;

    *fnv = 14695981039346656037ull;
    while ((n = read(fd, buf, (size_t)(next(&sizes) % sizeof buf) + 1)) > 0) {
        for (long i = 0; i < n; i++)
            *fnv = (*fnv ^ (uint8_t)buf[i]) * 1099511628211ull;
        total += n;
    }
    return n < 0 ? n : total;
}

static void one_pipe(long size, uint64_t seed)
{
    int p[2];
    uint64_t fnv;

    must_pipe(p, 0);
    if (fork() == 0) {
        close(p[0]);
        generate(p[1], size, seed);
        exit(0);
    }
    close(p[1]);
    long n = drain(p[0], seed, &fnv);
    close(p[0]);
    wait(NULL);
    printf("pipes: one pipe: %ld bytes, fnv %lx\n", n, fnv);
}

static void pipeline(long size, uint64_t seed)
{
    int a[2], b[2];
    uint64_t fnv;

    must_pipe(a, 0);
    if (fork() == 0) {
        close(a[0]);
        generate(a[1], size, seed);
        exit(0);
    }
    close(a[1]);
    must_pipe(b, 0);
    if (fork() == 0) {
        close(b[0]);
        long n;
        while ((n = read(a[0], buf, 1000)) > 0) {
            for (long i = 0; i < n; i++)
                buf[i]++;
            if (write(b[1], buf, (size_t)n) != n)
                exit(1);
        }
        exit(0);
    }
    close(a[0]);
    close(b[1]);
    long n = drain(b[0], seed, &fnv);
    close(b[0]);
    wait(NULL);
    wait(NULL);
    printf("pipes: pipeline: %ld bytes, fnv %lx\n", n, fnv);
}

static void late_writer(void)
{
    int p[2];
    char got[16] = "";

    must_pipe(p, 0);
    if (fork() == 0) {
        close(p[0]);
        sleep_ms(50);
        write(p[1], "late", 4);
        exit(0);                     /* its write end, the last one, closes here */
    }
    close(p[1]);
    long n = read(p[0], got, sizeof got - 1), end = read(p[0], got + 8, 1);
    got[n > 0 ? n : 0] = '\0';
    printf("pipes: end of file after every writer closed: '%s' then %ld\n", got, end);
    close(p[0]);
    wait(NULL);
}

static void no_reader(void)
{
    int p[2], status;

    must_pipe(p, 0);
    close(p[0]);
    printf("pipes: write with no reader gives %ld\n", write(p[1], "x", 1));
    close(p[1]);
    must_pipe(p, 0);
    int pid = fork();
    if (pid == 0) {
        close(p[0]);
        static char big[3 * 4096];
        long first = write(p[1], big, sizeof big), second = write(p[1], big, 1);
        exit(first > 0 && second == -EPIPE ? 0 : 1);
    }
    close(p[1]);
    sleep_ms(30);                    /* the writer fills the pipe and waits */
    read(p[0], buf, 10);
    sleep_ms(30);                    /* it fills those 10 bytes and waits again */
    close(p[0]);                     /* which must wake it */
    waitpid(pid, &status, 0);
    printf("pipes: a writer blocked on a full pipe whose reader left: %s\n",
           WEXITSTATUS(status) == 0 ? "1st write ok, 2nd gives -32" : "wrong");
}

int main(int argc, char **argv)
{
    long size = argc > 1 ? atol(argv[1]) : 1 << 20;
    uint64_t seed = argc > 2 ? (uint64_t)atol(argv[2]) : 1;

    if (seed == 0)
        seed = 1;
#if LAB >= 10
    /* Lab 10: a write with no reader also sends SIGPIPE, whose default
     * ends the writer. To see -EPIPE this program ignores it, as a Linux
     * program would: rt_sigaction(SIGPIPE, {SIG_IGN}, NULL, 8). */
    long ignore[4] = {1, 0, 0, 0};
    syscall6(13, 13, (long)ignore, 0, 8, 0, 0);
#endif
    one_pipe(size, seed);
    pipeline(size, seed);
    late_writer();
    no_reader();
    return 0;
}
