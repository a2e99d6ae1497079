/* exitcode.c - exit with the status given as the first argument. Lab 6 (given). */
#include "ulib.h"

int main(int argc, char **argv)
{
    exit(argc > 1 ? (int)atol(argv[1]) : 0);
}
