/* printf.h - formatted output, for the kernel and for host unit tests.
 * Lab 1, exercise 2 (handout §3.2).
 *
 * Conversions: %c %s %d %i %u %x %X %p %%. Length modifiers: l, ll, z
 * (64-bit). Flags: '-' (left-justify), '0' (pad numbers with zeros). A
 * decimal field width may follow the flags. %p prints "0x" and 16 hex digits.
 * %s of NULL prints "(null)". Anything else is copied as it stands. */
#ifndef PRINTF_H
#define PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/* Where formatted characters go: called once per character with ctx. */
typedef void (*putc_fn)(char c, void *ctx);

/* Format fmt with ap, sending each character to out(c, ctx). Returns the
 * number of characters sent. Never fails. */
int kvformat(putc_fn out, void *ctx, const char *fmt, va_list ap);

/* snprintf: writes at most size - 1 characters and a NUL (if size > 0).
 * Returns the length the whole output would have had. */
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
