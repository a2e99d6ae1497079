/* cmdline.h - the words of the kernel command line. Lab 1 (given).
 * Words are separated by spaces. Recognised words:
 *   test=NAME    run the in-kernel test NAME and power off (see ktest.h)
 *   hz=N         the timer rate (Lab 2 on; default 100)
 *   heapmax=N    cap on the kernel heap in bytes (Lab 4 on; default 1 GiB)
 *   init=P:A:B,Q+R  user programs (Lab 6): P with arguments A and B, then Q
 *                and R together; power off when the last has ended. Limits
 *                in proc.h; a value past one is refused, never cut short
 *   repeat=N     run the init programs N times over
 *   KEY=VALUE    a parameter of the selected test (each test lists its keys)
 *   bench        run the microbenchmarks (bench.h), print the table, power off
 * Anything else is refused with a message listing what exists. */
#ifndef CMDLINE_H
#define CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

#define CMDLINE_MAX_WORDS 16
#define CMDLINE_MAX_LEN 512      /* bytes, with the final NUL */

/* Split the command line into words. Prints why and returns false if it has
 * too many words or a word it does not know. */
bool cmdline_parse(const char *line);

/* Is the bare word (e.g. "bench") on the command line? */
bool cmdline_has(const char *word);

/* The value of KEY=VALUE, or NULL if the command line has no such word. */
const char *cmdline_get(const char *key);

/* The value of KEY as a number, or dflt if absent. A value that is not a
 * number is a fatal error, reported by name. */
int64_t cmdline_get_int(const char *key, int64_t dflt);

#endif
