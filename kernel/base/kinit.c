/* kinit.c - run the boot steps registered with KINIT (kinit.h).
 * Lab 1 (given). The linker puts their descriptors between __start_kinit
 * and __stop_kinit, sorted by order (linker.ld). */
#include "kinit.h"
#include "panic.h"

extern const struct kinit __start_kinit[], __stop_kinit[];

void kinit_run(int from, int to)
{
    ASSERT(from <= to);
    for (const struct kinit *k = __start_kinit; k < __stop_kinit; k++) {
        ASSERT(k == __start_kinit || k[-1].order <= k->order);   /* linker.ld sorts */
        if (k->order >= from && k->order < to)
            k->fn();
    }
}
