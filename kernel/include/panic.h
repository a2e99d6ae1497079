/* panic.h - stop the kernel with a report. Lab 1 (given).
 * PANIC prints "PANIC at file:line: message", the function, registers and a
 * symbolized backtrace, then powers off with failure status. */
#ifndef PANIC_H
#define PANIC_H

#define PANIC(...) panic_at(__FILE__, __LINE__, __func__, __VA_ARGS__)

/* Panic unless cond holds: cheap checks of a function's contract. */
#define ASSERT(cond)                                                   \
    do {                                                               \
        if (!(cond))                                                   \
            panic_at(__FILE__, __LINE__, __func__,                     \
                     "assertion failed: %s", #cond);                   \
    } while (0)

void panic_at(const char *file, int line, const char *func, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

#endif
