/* touch.c - make files: touch FILE... creates each that does not exist
 * (empty, mode 0644). One that exists is left as it is: changing its
 * times needs utimensat, which this kernel does not have. Lab 8 (given). */
#include "ulib.h"

int main(int argc, char **argv)
{
    int status = 0;

    if (argc < 2) {
        dprintf(2, "usage: touch FILE...\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0)
            continue;
        int fd = open(argv[i], O_WRONLY | O_CREAT, 0644);
        if (fd < 0) {
            dprintf(2, "touch: cannot touch '%s': %s\n", argv[i], strerror(-fd));
            status = 1;
            continue;
        }
        close(fd);
    }
    return status;
}
