/* cmdline.h - the words of the kernel command line. Lab 1 (given).
 * Words are separated by spaces: KEY=VALUE, or a bare flag. The words a
 * build knows are declared next to the code that reads them, with
 *     CMDLINE_KEY(hz, "HZ");        the word hz=HZ
 *     CMDLINE_KEY(bench, NULL);     the bare word bench
 * (test=NAME in ktest.c, bench in bench.c, hz= in pit.c, heapmax= in
 * kmalloc.c, init= and repeat= in proc.c), plus KEY=VALUE parameters of
 * the selected test (each KTEST lists its keys). Anything else is refused
 * with a message listing what exists. */
#ifndef CMDLINE_H
#define CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

#include "tunables.h"            /* CMDLINE_MAX_LEN, CMDLINE_MAX_WORDS */

struct cmdline_key {
    const char *name;
    const char *value;      /* how its value is written, or NULL: a bare flag */
    /* For a word that selects something with keys of its own (test=NAME):
     * the keys its value allows, space-separated; or NULL, having printed
     * why the value is refused. NULL for other words. */
    const char *(*params)(const char *value);
};

#define CMDLINE_KEY(name_, value_) CMDLINE_KEY_WITH_PARAMS(name_, value_, NULL)
#define CMDLINE_KEY_WITH_PARAMS(name_, value_, params_)                       \
    static const struct cmdline_key cmdline_key_##name_                       \
        __attribute__((used, section("cmdline_keys." #name_), aligned(8))) = { \
            #name_, value_, params_}

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
