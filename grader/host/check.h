/* check.h - the assertion of the host unit tests in grader/host: count
 * checks and failures, print the first 20 failures with their line, go on.
 * main() ends with CHECK_SUMMARY("name"). */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

static int failures, checks;

#define CHECK(cond, ...)                                  \
    do {                                                  \
        checks++;                                         \
        if (!(cond)) {                                    \
            failures++;                                   \
            if (failures <= 20) {                         \
                printf("FAIL line %d: ", __LINE__);       \
                printf(__VA_ARGS__);                      \
                printf("\n");                             \
            }                                             \
        }                                                 \
    } while (0)

/* Print the totals and give main's exit status: 0 when all passed. */
#define CHECK_SUMMARY(name) \
    (printf("%s unit tests: %d checks, %d failed\n", (name), checks, failures), failures != 0)

#endif
