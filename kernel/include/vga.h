/* vga.h - the VGA text-mode screen at physical 0xB8000 (80x25 cells).
 * Lab 1, exercises 3 and 4 (handout §3.3); challenge 1 (§6.1). */
#ifndef VGA_H
#define VGA_H

#include <stdint.h>

#define VGA_COLS 80
#define VGA_ROWS 25

/* The 16 text-mode colours; an attribute byte is (background << 4) | foreground. */
enum vga_color {
    VGA_BLACK, VGA_BLUE, VGA_GREEN, VGA_CYAN, VGA_RED, VGA_MAGENTA, VGA_BROWN,
    VGA_LIGHT_GREY, VGA_DARK_GREY, VGA_LIGHT_BLUE, VGA_LIGHT_GREEN,
    VGA_LIGHT_CYAN, VGA_LIGHT_RED, VGA_LIGHT_MAGENTA, VGA_YELLOW, VGA_WHITE,
};

/* Clear the screen to light grey on black and put the cursor top left. */
void vga_init(void);

/* Set the colours of the characters written from now on. */
void vga_set_color(enum vga_color fg, enum vga_color bg);

/* Write one character at the cursor (row, col) in the current colours and
 * advance. '\n' goes to the start of the next line, '\r' to the start of
 * this line, '\b' moves one cell left (not past the start of the line), '\t'
 * to the next multiple of 8. Past column 79 the next character goes to the
 * start of the next line; past the last row the screen scrolls up one line
 * (the new last row blank in the current colours) and the cursor stays on
 * it. With challenge 1 (handout lab1 §6.1), an ANSI escape sequence takes
 * no cell: a colour sequence changes the colours. Lab 1, exercise 3. */
void vga_putc(char c);

/* Move the blinking hardware cursor to the current position: row * 80 +
 * col into the CRT controller's cursor location registers (0x0E high byte,
 * 0x0F low byte). Lab 1, exercise 4. */
void vga_update_cursor(void);

/* Read the hardware cursor back from the CRT controller: row * 80 + column. */
uint16_t vga_read_hw_cursor(void);

#endif
