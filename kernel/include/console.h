/* console.h - kernel output to every console (serial and VGA) and input.
 * Lab 1 (given). All kernel printing goes through here. */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include "vga.h"

/* Bring up serial and VGA. Must run before the first kprintf. */
void console_init(void);

/* Write one character to every console. "\n" becomes "\r\n" on serial. */
void console_putc(char c);

/* Output (console_write, console_write_n, kprintf): each call turns
 * interrupts off while it writes and gives back the caller's state, so
 * that one call's characters are never cut by another's (a long
 * console_write_n goes out in pieces of 512 bytes, each whole). Any
 * context: a thread, an interrupt handler, with a spinlock held. */

/* Write a string as it stands (no formatting) to every console. */
void console_write(const char *s);

/* Write buf[0..n) as it stands, NULs included, to every console. */
void console_write_n(const char *buf, size_t n);

/* Change the VGA colours for what follows (serial has no colours). */
void console_set_color(enum vga_color fg, enum vga_color bg);
void console_reset_color(void);

/* Wait for and return the next input character: from serial by polling in
 * Lab 1; from the input buffer (keyboard and serial interrupts) from Lab 2
 * on, halting while it is empty. */
int console_getc(void);

/* Add a typed character to the input buffer (CONSOLE_INPUT_SIZE bytes,
 * tunables.h). Called by interrupt handlers (keyboard, serial) with
 * interrupts off, and at boot; drops c if the buffer is full. The buffer is
 * guarded by interrupts off: console_getc takes characters out with
 * interrupts off too. */
void console_input(char c);

/* Is a typed character waiting (console_getc would not wait)? Interrupts off. */
int console_has_input(void);

/* Register the one hook console_input calls after it buffers a character,
 * interrupts off (Lab 7: wake the processes reading the console). */
void console_on_input(void (*hook)(void));

#if LAB >= 10
/* Lab 10: register the one filter console_input calls first with each
 * typed character, interrupts off; if it returns true the character is
 * taken (Ctrl-C becomes SIGINT, file.c) and not buffered. */
void console_on_input_filter(bool (*filter)(char c));

/* Lab 10: forget what was typed and not yet read (Ctrl-C). Interrupts off. */
void console_drop_input(void);
#endif

/* printf to every console; see printf.h for the conversions. Returns the
 * number of characters written. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
