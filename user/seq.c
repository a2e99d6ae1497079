/* seq.c - print a sequence of integers: seq LAST, seq FIRST LAST,
 * seq FIRST INCREMENT LAST (FIRST and INCREMENT are 1 by default, the
 * increment may be negative). Lab 7 (given). */
#include "ulib.h"

static int64_t number(const char *s)
{
    int64_t v;

    if (!parse_int(s, &v)) {
        dprintf(2, "seq: invalid number: '%s'\n", s);
        exit(1);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        dprintf(2, "usage: seq [FIRST [INCREMENT]] LAST\n");
        return 1;
    }
    int64_t first = argc > 2 ? number(argv[1]) : 1;
    int64_t incr = argc > 3 ? number(argv[2]) : 1;
    int64_t last = number(argv[argc - 1]);
    if (incr == 0) {
        dprintf(2, "seq: the increment must not be 0\n");
        return 1;
    }
    for (int64_t x = first; incr > 0 ? x <= last : x >= last; x += incr) {
        if (dprintf(1, "%ld\n", (long)x) < 0)
            return 1;                /* nobody reads our output any more */
        if (incr > 0 ? x > INT64_MAX - incr : x < INT64_MIN - incr)
            break;                   /* the next one would not fit */
    }
    return 0;
}
