/* echo.c - print the arguments, one space apart, and a newline (none with
 * -n). Lab 7 (given). */
#include "ulib.h"

int main(int argc, char **argv)
{
    int i = 1, newline = 1;

    if (i < argc && strcmp(argv[i], "-n") == 0) {
        newline = 0;
        i++;
    }
    for (int first = i; i < argc; i++)
        if ((i > first && write_all(1, " ", 1) < 0) || write_all(1, argv[i], strlen(argv[i])) < 0)
            return 1;                /* nobody reads our output any more */
    if (newline && write_all(1, "\n", 1) < 0)
        return 1;
    return 0;
}
