/* fsread.c - read files back and say what they hold. Lab 8 (grader's).
 * fsread SEED PATH... prints, for each PATH:
 *     fsread: PATH size S read N crc X at O: M bytes crc Y
 * S is fstat's size; N bytes came from reading the whole file with read()
 * in chunks of 1..8192 bytes (sizes drawn from SEED, xorshift64), X their
 * CRC-32 (zlib's); then one pread64 of L bytes at offset O (both drawn
 * from SEED * 31 + the path's index: O up to S + 2048, past the end too;
 * L up to 70000) gave M bytes of CRC-32 Y. The grader computes X, O and Y
 * from the file it put on the disk. A call that fails gives instead
 *     fsread: PATH open|fstat|read|pread error -ERRNO */
#include "ulib.h"

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static uint8_t buf[70000];

static void read_one(const char *path, uint64_t *sizes, uint64_t window)
{
    struct stat st;
    int fd = open(path, O_RDONLY);

    if (fd < 0) {
        printf("fsread: %s open error %d\n", path, fd);
        return;
    }
    long err = fstat(fd, &st);
    if (err < 0) {
        printf("fsread: %s fstat error %ld\n", path, err);
        close(fd);
        return;
    }
    uint32_t h = 0;
    long total = 0, n;
    while ((n = read(fd, buf, (size_t)(next(sizes) % 8192) + 1)) > 0) {
        h = crc32(h, buf, n);
        total += n;
    }
    if (n < 0) {
        printf("fsread: %s read error %ld\n", path, n);
        close(fd);
        return;
    }
    long off = (long)(next(&window) % (uint64_t)(st.st_size + 2049));
    long len = (long)(next(&window) % 70000) + 1;
    long got = pread(fd, buf, (size_t)len, off);
    if (got < 0)
        printf("fsread: %s pread error %ld\n", path, got);
    else
        printf("fsread: %s size %ld read %ld crc %08x at %ld: %ld bytes crc %08x\n", path,
               (long)st.st_size, total, h, off, got, crc32(0, buf, got));
    close(fd);
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? (uint64_t)atol(argv[1]) : 1, sizes = seed | 1;

    for (int i = 2; i < argc; i++)
        read_one(argv[i], &sizes, (seed * 31 + (uint64_t)i) | 1);
    return 0;
}
