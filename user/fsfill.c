/* fsfill.c - write until the disk is full. Lab 8 (grader's).
 * fsfill PATH SEED creates PATH and writes the stream of SEED (xorshift64,
 * 8 bytes a step, least significant first) to it in chunks of 1..8192
 * bytes (sizes drawn from SEED * 7 + 1) until a write is refused, then
 * prints
 *     fsfill: wrote N bytes, then E
 *     fsfill: size S
 *     fsfill: another file: open O, write W, mkdir M, unlink U
 * N counting a last short write, E the error of the write after it, S
 * fstat's size; then a second file PATH2 (PATH and "2") is made (O is 0 if
 * it opened), written 1000 bytes, a directory PATH3 made, PATH2 removed.
 * The grader compares N and S with what the disk holds after QEMU exits. */
#include "ulib.h"

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static uint8_t buf[8192];

int main(int argc, char **argv)
{
    if (argc != 3) {
        printf("fsfill: usage: fsfill PATH SEED\n");
        return 1;
    }
    uint64_t seed = (uint64_t)atol(argv[2]), s = seed | 1, sizes = seed * 7 + 1, word = 0;
    int fd = open(argv[1], O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) {
        printf("fsfill: open error %d\n", fd);
        return 1;
    }
    long total = 0, err = 0;
    for (;;) {
        long n = (long)(next(&sizes) % sizeof buf) + 1;
        for (long i = 0; i < n; i++) {
            if ((total + i) % 8 == 0)
                word = next(&s);
            buf[i] = (uint8_t)(word >> 8 * ((total + i) % 8));
        }
        long w = write(fd, buf, (size_t)n);
        if (w < 0) {
            err = w;
            break;
        }
        total += w;
        if (w < n) {
            err = write(fd, buf + w, 1);     /* the byte after: now refused */
            break;
        }
    }
    printf("fsfill: wrote %ld bytes, then %ld\n", total, err);
    struct stat st;
    long e = fstat(fd, &st);
    printf("fsfill: size %ld\n", e < 0 ? e : (long)st.st_size);
    close(fd);

    char other[128], dir[128];
    ksnprintf(other, sizeof other, "%s2", argv[1]);
    ksnprintf(dir, sizeof dir, "%s3", argv[1]);
    int fd2 = open(other, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    long w = fd2 < 0 ? fd2 : write(fd2, buf, 1000);
    if (fd2 >= 0)
        close(fd2);
    long m = mkdir(dir, 0755);
    long u = unlink(other);
    printf("fsfill: another file: open %d, write %ld, mkdir %ld, unlink %ld\n",
           fd2 < 0 ? fd2 : 0, w, m, u);
    return 0;
}
