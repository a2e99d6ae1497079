/* kill.c - send a signal to processes: kill [-9 | -15 | -KILL | -TERM |
 * -s SIGNAL] PID... (SIGTERM by default). Lab 7 (given). */
#include "ulib.h"

/* The number of a signal named "9", "KILL" or "SIGKILL" (likewise TERM),
 * or any other number (the kernel says whether it knows it); -1 if none. */
static int signal_number(const char *s)
{
    int64_t n;

    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    if (strcmp(s, "KILL") == 0)
        return SIGKILL;
    if (strcmp(s, "TERM") == 0)
        return SIGTERM;
    return parse_int(s, &n) && n >= 0 && n < 65 ? (int)n : -1;
}

static int usage(void)
{
    dprintf(2, "usage: kill [-9 | -15 | -KILL | -TERM | -s SIGNAL] PID...\n");
    return 1;
}

int main(int argc, char **argv)
{
    int sig = SIGTERM, i = 1, status = 0;

    if (i < argc && strcmp(argv[i], "-s") == 0) {
        if (i + 1 == argc)
            return usage();
        sig = signal_number(argv[i + 1]);
        i += 2;
    } else if (i < argc && argv[i][0] == '-') {
        sig = signal_number(argv[i] + 1);
        i++;
    }
    if (sig < 0 || i == argc)
        return usage();
    for (; i < argc; i++) {
        int64_t pid;
        if (!parse_int(argv[i], &pid) || pid != (int)pid) {
            dprintf(2, "kill: %s: not a pid\n", argv[i]);
            status = 1;
            continue;
        }
        int r = kill((int)pid, sig);
        if (r < 0) {
            dprintf(2, "kill: %s: %s (%d)\n", argv[i], errstr(r), r);
            status = 1;
        }
    }
    return status;
}
