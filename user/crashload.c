/* crashload.c - the crash tests' workload, Lab 9 (given): random creates,
 * writes, renames, truncates, unlinks and fsyncs in /crash/a and /crash/b,
 * while the grader kills QEMU at a moment of its choosing.
 *
 *     crashload SEED MAXRECS STEPS [wait]
 *
 * Files are named a/nK and b/nK (K < NAMES). Every file is made of 64-byte
 * records, each saying which file it belongs to (an id), where it sits
 * and its own CRC-32, so that the grader can tell any byte that was never
 * written (a stale block, zeros) from one that was. A write writes 1 to
 * MAXRECS records; STEPS operations, 0 for ever. Before each change it
 * prints "op KIND NAME [NAME]"; after each fsync it prints
 *     synced NAME SIZE CRC
 * (the file's size and the CRC-32 of its content, read back): unless a
 * later op line names it, that file must be exactly so after any crash.
 * A run starts from what the disk holds (a crash left it), and ends with
 * "crashload: done" after STEPS. With wait, it first prints
 * "crashload: ready" and waits for a line on its input: the grader copies
 * the disk the mount just recovered before anything changes it. The
 * grader knows the format, not the sequence: it checks what it sees. */
#include "ulib.h"

#define NAMES 24                     /* slots per directory */
#define REC 64                       /* bytes of a record */
#define TOTAL_MAX 65536              /* records on the disk at most (4 MiB) */
#define JBD2_MAGIC_BE 0x98393bc0u    /* c0 3b 39 98 read as a little-endian word */

struct record {
    uint32_t magic;                  /* "CRSH", or JBD2's magic (the journal must escape it) */
    uint32_t id;                     /* the file's */
    uint32_t index;                  /* its place: byte index * REC */
    uint32_t gen;                    /* which write made it */
    uint8_t fill[44];
    uint32_t crc;                    /* CRC-32 of the 60 bytes before */
};

_Static_assert(sizeof(struct record) == REC, "a record is 64 bytes");

struct slot {
    bool exists;
    uint32_t id;
    uint32_t nrec;                   /* records in the file */
};

static struct slot slots[2][NAMES];
static uint64_t rng;
static uint32_t next_id, gen, total;
static struct record recs[2048];

static uint32_t rand_below(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static void name_of(int d, int k, char *out)
{
    ksnprintf(out, 32, "/crash/%c/n%d", 'a' + d, k);
}

static void fail(const char *what, const char *name, long err)
{
    printf("crashload: %s %s failed %ld\n", what, name, err);
    exit(1);
}

/* What the disk holds already: sizes, and ids from first records. */
static void discover(void)
{
    char name[32];
    struct stat st;

    for (int d = 0; d < 2; d++)
        for (int k = 0; k < NAMES; k++) {
            name_of(d, k, name);
            if (stat(name, &st) != 0)
                continue;
            struct slot *s = &slots[d][k];
            s->exists = true;
            s->nrec = (uint32_t)(st.st_size / REC);
            total += s->nrec;
            int fd = open(name, O_RDONLY);
            struct record r;
            if (fd >= 0 && read(fd, &r, REC) == REC)
                s->id = r.id;
            if (fd >= 0)
                close(fd);
        }
}

static void make_records(uint32_t id, uint32_t first, uint32_t n)
{
    gen++;
    for (uint32_t i = 0; i < n; i++) {
        struct record *r = &recs[i];
        r->magic = (gen & 1) ? JBD2_MAGIC_BE : 0x48535243u;  /* "CRSH" */
        r->id = id;
        r->index = first + i;
        r->gen = gen;
        for (int j = 0; j < 44; j++)
            r->fill[j] = (uint8_t)(gen * 31 + i * 7 + j);
        r->crc = crc32(0, (const uint8_t *)r, REC - 4);
    }
}

/* Write n records at record index first of slot s (name open or made). */
static void put(struct slot *s, const char *name, uint32_t first, uint32_t n, bool create)
{
    int fd = open(name, create ? O_WRONLY | O_CREAT | O_TRUNC : O_WRONLY, 0644);
    if (fd < 0)
        fail("open", name, fd);
    make_records(s->id, first, n);
    long w = pwrite(fd, recs, (size_t)n * REC, (long)first * REC);
    if (w != (long)n * REC)
        fail("write", name, w);
    close(fd);
    if (first + n > s->nrec) {
        total += first + n - s->nrec;
        s->nrec = first + n;
    }
}

static void op_fsync(const char *name)
{
    static uint8_t buf[4096];
    int fd = open(name, O_RDONLY);
    if (fd < 0)
        fail("open", name, fd);
    int err = fsync(fd);
    if (err)
        fail("fsync", name, err);
    uint32_t crc = 0;
    long size = 0, n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        crc = crc32(crc, buf, n);
        size += n;
    }
    close(fd);
    printf("synced %s %ld %08x\n", name + 7, size, crc);
}

static void step(uint32_t maxrecs)
{
    char name[32], other[32];
    int d = (int)rand_below(2), k = (int)rand_below(NAMES);
    struct slot *s = &slots[d][k];
    uint32_t n = 1 + rand_below(maxrecs);
    name_of(d, k, name);

    if (!s->exists) {
        if (total + n > TOTAL_MAX)
            return;
        printf("op create %s\n", name + 7);
        s->exists = true;
        s->id = ++next_id;
        s->nrec = 0;
        put(s, name, 0, n, true);
        return;
    }
    uint32_t what = rand_below(total > TOTAL_MAX ? 3 : 10);
    if (what == 0) {                 /* unlink */
        printf("op unlink %s\n", name + 7);
        int err = unlink(name);
        if (err)
            fail("unlink", name, err);
        total -= s->nrec;
        s->exists = false;
    } else if (what == 1) {          /* truncate to a record boundary */
        uint32_t keep = s->nrec ? rand_below(s->nrec) : 0;
        printf("op truncate %s\n", name + 7);
        int err = truncate(name, (long)keep * REC);
        if (err)
            fail("truncate", name, err);
        total -= s->nrec - keep;
        s->nrec = keep;
    } else if (what == 2) {          /* rename, maybe over another file */
        int d2 = (int)rand_below(2), k2 = (int)rand_below(NAMES);
        struct slot *t = &slots[d2][k2];
        if (t == s)
            return;
        name_of(d2, k2, other);
        printf("op rename %s %s\n", name + 7, other + 7);
        int err = rename(name, other);
        if (err)
            fail("rename", name, err);
        if (t->exists)
            total -= t->nrec;
        *t = *s;
        s->exists = false;
    } else if (what <= 4) {
        op_fsync(name);
    } else {                         /* overwrite or append: no hole */
        uint32_t first = rand_below(s->nrec + 1);
        if (first + n > s->nrec && total + (first + n - s->nrec) > TOTAL_MAX)
            return;
        printf("op write %s\n", name + 7);
        put(s, name, first, n, false);
    }
}

int main(int argc, char **argv)
{
    if (argc != 4 && !(argc == 5 && !strcmp(argv[4], "wait"))) {
        printf("usage: crashload SEED MAXRECS STEPS [wait]\n");
        return 2;
    }
    uint64_t seed = (uint64_t)atol(argv[1]);
    uint32_t maxrecs = (uint32_t)atol(argv[2]);
    long steps = atol(argv[3]);
    if (maxrecs < 1 || maxrecs > sizeof recs / sizeof recs[0]) {
        printf("crashload: MAXRECS from 1 to %d\n", (int)(sizeof recs / sizeof recs[0]));
        return 2;
    }
    rng = seed * 2654435761u | 1;
    next_id = (uint32_t)seed << 12;
    mkdir("/crash", 0755);
    mkdir("/crash/a", 0755);
    mkdir("/crash/b", 0755);
    discover();
    if (argc == 5) {
        char c = 0;
        printf("crashload: ready\n");
        while (read(0, &c, 1) == 1 && c != '\n')
            ;
    }
    printf("crashload: start seed %lu\n", (unsigned long)seed);
    for (long i = 0; steps == 0 || i < steps; i++)
        step(maxrecs);
    printf("crashload: done\n");
    return 0;
}
