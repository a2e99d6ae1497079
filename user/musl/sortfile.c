/* sortfile.c - a plain C program with a real C library: printf, malloc,
 * fopen and qsort. Lab 10, built with musl-gcc -static;
 * musl's malloc takes its memory from mmap (exercise 3).
 * sortfile IN OUT: reads the lines "NUMBER WORD" of IN (getline: lines of
 * any length), keeps them in an array that grows by realloc, sorts them
 * by number and then word (qsort), writes them to OUT (fopen "w",
 * fprintf) and prints
 *     sortfile: N lines, numbers MIN..MAX, sum S, longest word L
 *     sortfile: OUT written, B bytes
 * then fills a buffer of 1-2 MiB (its size from N) and prints its checksum,
 * and tries a file that is not there:
 *     sortfile: a buffer of K bytes, checksum C
 *     sortfile: /nonexistent: No such file or directory */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct line {
    long number;
    char *word;
};

static int by_number_then_word(const void *a, const void *b)
{
    const struct line *x = a, *y = b;

    if (x->number != y->number)
        return x->number < y->number ? -1 : 1;
    return strcmp(x->word, y->word);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        printf("usage: sortfile IN OUT\n");
        return 1;
    }
    FILE *in = fopen(argv[1], "r");
    if (in == NULL) {
        printf("sortfile: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    struct line *lines = NULL;
    size_t n = 0, cap = 0, longest = 0;
    char *buf = NULL;
    size_t size = 0;
    long sum = 0;
    while (getline(&buf, &size, in) > 0) {
        char word[4096];
        long number;
        if (sscanf(buf, "%ld %4095s", &number, word) != 2)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            struct line *more = realloc(lines, cap * sizeof *lines);
            if (more == NULL) {
                printf("sortfile: out of memory at %zu lines\n", n);
                return 1;
            }
            lines = more;
        }
        lines[n].number = number;
        lines[n].word = strdup(word);
        if (lines[n].word == NULL) {
            printf("sortfile: out of memory at %zu lines\n", n);
            return 1;
        }
        if (strlen(word) > longest)
            longest = strlen(word);
        sum += number;
        n++;
    }
    free(buf);
    fclose(in);
    qsort(lines, n, sizeof *lines, by_number_then_word);
    printf("sortfile: %zu lines, numbers %ld..%ld, sum %ld, longest word %zu\n", n,
           n ? lines[0].number : 0, n ? lines[n - 1].number : 0, sum, longest);

    FILE *out = fopen(argv[2], "w");
    if (out == NULL) {
        printf("sortfile: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%ld %s\n", lines[i].number, lines[i].word);
        free(lines[i].word);
    }
    free(lines);
    long bytes = ftell(out);
    if (fclose(out) != 0) {
        printf("sortfile: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    printf("sortfile: %s written, %ld bytes\n", argv[2], bytes);

    size_t big = (1u << 20) + (n * 4099) % (1u << 20);
    unsigned char *p = malloc(big);
    if (p == NULL) {
        printf("sortfile: no buffer of %zu bytes\n", big);
        return 1;
    }
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < big; i++)
        p[i] = (unsigned char)(i * 7 + n);
    for (size_t i = 0; i < big; i += 61)
        h = (h ^ p[i]) * 16777619u;
    free(p);
    printf("sortfile: a buffer of %zu bytes, checksum %08x\n", big, h);
    if (fopen("/nonexistent", "r") == NULL)
        printf("sortfile: /nonexistent: %s\n", strerror(errno));
    return 0;
}
