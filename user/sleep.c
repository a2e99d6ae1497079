/* sleep.c - sleep for the seconds given, a whole or decimal number
 * (sleep 2, sleep 0.5). Lab 7 (given). */
#include "ulib.h"

/* "SECONDS[.FRACTION]" into t; 0 if s is not such a number. */
static int parse_seconds(const char *s, struct timespec *t)
{
    int digits = 0;

    t->tv_sec = t->tv_nsec = 0;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        if (t->tv_sec > INT64_MAX / 10 - 1)
            return 0;                /* too long to sleep */
        t->tv_sec = t->tv_sec * 10 + (*s - '0');
    }
    if (*s == '.')
        for (long scale = 100000000; *++s >= '0' && *s <= '9'; scale /= 10, digits++)
            t->tv_nsec += (*s - '0') * scale;      /* digits past the 9th add 0 */
    return *s == '\0' && digits > 0;
}

int main(int argc, char **argv)
{
    struct timespec t;

    if (argc != 2 || !parse_seconds(argv[1], &t)) {
        dprintf(2, "usage: sleep SECONDS (a whole or decimal number)\n");
        return 1;
    }
    long r = nanosleep(&t, NULL);
    if (r < 0) {
        dprintf(2, "sleep: %s\n", errstr(r));
        return 1;
    }
    return 0;
}
