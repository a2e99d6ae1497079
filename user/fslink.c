/* fslink.c - make a symlink with a long target. Lab 8 (grader's).
 * fslink DIR NAME K LINK makes LINK a symlink to DIR, then "/." K times,
 * then "/NAME" (a target of 60 bytes or more lives in a block of its own:
 * a slow symlink), reads it back and prints
 *     fslink: LINK: symlink R, readlink gives L bytes, the same: yes|no */
#include "ulib.h"

static char target[1100], got[1100];

int main(int argc, char **argv)
{
    if (argc != 5) {
        printf("fslink: usage: fslink DIR NAME K LINK\n");
        return 1;
    }
    size_t len = strlen(argv[1]);
    long k = atol(argv[3]);
    memcpy(target, argv[1], len);
    for (long i = 0; i < k && len < 1000; i++, len += 2)
        memcpy(target + len, "/.", 2);
    ksnprintf(target + len, sizeof target - len, "/%s", argv[2]);
    long r = symlink(target, argv[4]);
    long n = readlink(argv[4], got, sizeof got);
    printf("fslink: %s: symlink %ld, readlink gives %ld bytes, the same: %s\n", argv[4], r, n,
           n == (long)strlen(target) && memcmp(got, target, (size_t)n) == 0 ? "yes" : "no");
    return 0;
}
