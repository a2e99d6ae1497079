/* pwd.c - print the working directory (getcwd). Lab 8 (given). */
#include "ulib.h"

int main(void)
{
    char buf[512];
    long n = getcwd(buf, sizeof buf);

    if (n < 0) {
        dprintf(2, "pwd: %s\n", strerror((int)-n));
        return 1;
    }
    return dprintf(1, "%s\n", buf) < 0;
}
