/* string.h - the kernel's string and memory functions. Lab 1 (given).
 * Same meaning as the C library functions of the same names. */
#ifndef STRING_H
#define STRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);

/* Copy src into dst (size bytes), always NUL-terminated, cut if need be.
 * Returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);

/* Parse a whole string as an integer: optional '-', then decimal digits or
 * "0x" and hex digits. Returns true and sets *out if all of s was a number
 * that fits in 64 bits (two's complement for negatives). */
bool parse_int(const char *s, int64_t *out);

#endif
