/* fswrite.c - write a file in pieces, holes between, and read it back.
 * Lab 8 (grader's).
 * fswrite PATH SEED OFF LEN [OFF LEN...] creates PATH (O_TRUNC if it
 * exists) and writes, for each pair k in order, LEN bytes at offset OFF:
 * the stream of SEED + k (xorshift64, each step giving 8 bytes, least
 * significant first). Even pairs go through lseek + write, odd ones
 * through pwrite64, in chunks of 1..5000 bytes drawn from SEED. Bytes
 * never written are a hole (zeros). Then it fsyncs and prints
 *     fswrite: PATH size S crc X
 * with S fstat's size and X the CRC-32 (zlib's) of the whole file read
 * back from offset 0 in 4096-byte reads; or, when a call fails,
 *     fswrite: PATH open|write|fstat|fsync|read error -ERRNO
 * The grader builds the file itself and compares it with debugfs's copy. */
#include "ulib.h"

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static uint8_t buf[5000 + 8];

/* Write len bytes of the stream of seed at off; 0 or the error. */
static long put(int fd, bool positioned, long off, long len, uint64_t seed, uint64_t *sizes)
{
    uint64_t s = seed | 1, word = 0;
    long at = 0;                     /* bytes of the stream made so far */

    if (!positioned && lseek(fd, off, SEEK_SET) != off)
        return -22;
    while (at < len) {
        long n = (long)(next(sizes) % 5000) + 1;
        if (n > len - at)
            n = len - at;
        for (long i = 0; i < n; i++) {
            if ((at + i) % 8 == 0)
                word = next(&s);
            buf[i] = (uint8_t)(word >> 8 * ((at + i) % 8));
        }
        long w = positioned ? pwrite(fd, buf, (size_t)n, off + at) : write(fd, buf, (size_t)n);
        if (w != n)
            return w < 0 ? w : -5;
        at += n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        printf("fswrite: usage: fswrite PATH SEED [OFF LEN]...\n");
        return 1;
    }
    const char *path = argv[1];
    uint64_t seed = (uint64_t)atol(argv[2]), sizes = seed * 7 + 1;
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0) {
        printf("fswrite: %s open error %d\n", path, fd);
        return 1;
    }
    for (int k = 0; 4 + 2 * k < argc; k++) {
        long err = put(fd, k % 2, atol(argv[3 + 2 * k]), atol(argv[4 + 2 * k]), seed + (uint64_t)k,
                       &sizes);
        if (err < 0) {
            printf("fswrite: %s write error %ld\n", path, err);
            return 1;
        }
    }
    struct stat st;
    long err = fstat(fd, &st);
    if (err < 0) {
        printf("fswrite: %s fstat error %ld\n", path, err);
        return 1;
    }
    err = fsync(fd);
    if (err < 0) {
        printf("fswrite: %s fsync error %ld\n", path, err);
        return 1;
    }
    uint32_t h = 0;
    long n;
    if (lseek(fd, 0, SEEK_SET) != 0)
        return 1;
    while ((n = read(fd, buf, 4096)) > 0)
        h = crc32(h, buf, n);
    if (n < 0) {
        printf("fswrite: %s read error %ld\n", path, n);
        return 1;
    }
    printf("fswrite: %s size %ld crc %08x\n", path, (long)st.st_size, h);
    close(fd);
    return 0;
}
