/* vga.c - VGA text mode: 80x25 cells at physical 0xB8000.
 * Lab 1: vga_putc (exercise 3) and vga_update_cursor (exercise 4); ANSI
 * colour sequences (vga_escape) are challenge 1 (§6.1); the rest is given.
 * Each cell is two bytes: the character (code page 437) and an attribute,
 * (background << 4) | foreground. Handout §2.2 and §3.3. */
#include <stdbool.h>

#include "vga.h"
#include "memlayout.h"
#include "string.h"
#include "x86.h"

#define VGA_PHYS 0xB8000
#define CRTC_INDEX 0x3D4       /* CRT controller: write a register number here, */
#define CRTC_DATA  0x3D5       /* then read or write its value here */
#define CRTC_CURSOR_START 0x0A
#define CRTC_CURSOR_END   0x0B
#define CRTC_CURSOR_HIGH  0x0E /* cursor position = row * 80 + column */
#define CRTC_CURSOR_LOW   0x0F

static volatile uint16_t *screen;   /* screen[row * VGA_COLS + col] */
static int row, col;                /* where the next character goes */
static uint8_t attr = (VGA_BLACK << 4) | VGA_LIGHT_GREY;

static uint16_t blank_cell(void)
{
    return (uint16_t)(attr << 8 | ' ');
}

void vga_init(void)
{
    screen = phys_to_virt(VGA_PHYS);
    attr = (VGA_BLACK << 4) | VGA_LIGHT_GREY;
    for (int i = 0; i < VGA_ROWS * VGA_COLS; i++)
        screen[i] = blank_cell();
    row = col = 0;
    outb(CRTC_INDEX, CRTC_CURSOR_START);   /* an underline cursor: scan lines 14-15 */
    outb(CRTC_DATA, 14);
    outb(CRTC_INDEX, CRTC_CURSOR_END);
    outb(CRTC_DATA, 15);
    vga_update_cursor();
}

void vga_set_color(enum vga_color fg, enum vga_color bg)
{
    attr = (uint8_t)((bg & 0x0F) << 4 | (fg & 0x0F));
}

#if SOL >= 1
/* The escape parser's state between calls (challenge 1). */
#define ESC_MAX_PARAMS 8
static enum { ESC_NONE, ESC_START, ESC_CSI } esc_state;
static int esc_params[ESC_MAX_PARAMS], esc_count;

/* ANSI colour n (0..7: black red green yellow blue magenta cyan white) as
 * a VGA colour: the two orders differ. */
static const uint8_t ansi_to_vga[8] = {
    VGA_BLACK, VGA_RED, VGA_GREEN, VGA_BROWN, VGA_BLUE, VGA_MAGENTA, VGA_CYAN, VGA_LIGHT_GREY,
};

/* Select Graphic Rendition: each parameter in turn changes attr. */
static void apply_sgr(void)
{
    for (int i = 0; i < esc_count; i++) {
        int p = esc_params[i];
        uint8_t fg = attr & 0x0F, bg = attr >> 4;

        if (p == 0)
            fg = VGA_LIGHT_GREY, bg = VGA_BLACK;
        else if (p >= 30 && p <= 37)
            fg = ansi_to_vga[p - 30];
        else if (p >= 90 && p <= 97)
            fg = ansi_to_vga[p - 90] | 8;       /* the bright half */
        else if (p >= 40 && p <= 47)
            bg = ansi_to_vga[p - 40];
        else if (p >= 100 && p <= 107)
            bg = ansi_to_vga[p - 100] | 8;
        else if (p == 39)
            fg = VGA_LIGHT_GREY;
        else if (p == 49)
            bg = VGA_BLACK;
        attr = (uint8_t)(bg << 4 | fg);         /* anything else: ignored */
    }
}
#endif

/* Feed c to the ANSI escape parser; true if c is part of an escape sequence
 * (and so is not a character to print). ESC [ P1 ; P2 ... m sets attr as
 * handout §6.1's table says (no parameter: 0); any other ESC [ ... final
 * byte (0x40-0x7E), and ESC with any other printable byte, is dropped whole.
 * A control character (below 0x20) inside a sequence ends it and is printed
 * as usual. Called by vga_putc for every character; calls nothing.
 * Lab 1, challenge 1. */
static bool vga_escape(char c)
{
#if SOL >= 1
    unsigned char u = (unsigned char)c;

    if (u == 0x1B) {                            /* ESC, even inside a sequence: start over */
        esc_state = ESC_START;
        return true;
    }
    if (esc_state == ESC_NONE)
        return false;
    if (u < 0x20) {                             /* a control character ends the sequence */
        esc_state = ESC_NONE;
        return false;
    }
    if (esc_state == ESC_START) {
        esc_state = u == '[' ? ESC_CSI : ESC_NONE;
        esc_count = 0;
        esc_params[0] = 0;
        return true;
    }
    if (u >= '0' && u <= '9') {                 /* a parameter's next digit */
        if (esc_count == 0)
            esc_count = 1;
        if (esc_count <= ESC_MAX_PARAMS && esc_params[esc_count - 1] < 10000)
            esc_params[esc_count - 1] = esc_params[esc_count - 1] * 10 + (u - '0');
    } else if (u == ';') {                      /* the next parameter (empty: 0) */
        if (esc_count == 0)
            esc_count = 1;
        if (esc_count < ESC_MAX_PARAMS)
            esc_params[esc_count] = 0;
        if (esc_count <= ESC_MAX_PARAMS)
            esc_count++;                        /* past the last: ignored */
    } else if (u >= 0x40 && u <= 0x7E) {        /* the final byte */
        if (esc_count > ESC_MAX_PARAMS)
            esc_count = ESC_MAX_PARAMS;
        if (u == 'm' && esc_count == 0)
            esc_params[esc_count++] = 0;        /* ESC [ m = ESC [ 0 m */
        if (u == 'm')
            apply_sgr();
        esc_state = ESC_NONE;
    }                                           /* other bytes: ignored */
    return true;
#else
    /* LAB 1, challenge 1: say whether c belongs to an escape sequence, and
     * at the end of a colour sequence set attr, as the contract above says
     * (handout §6.1) */
    (void)c;
    return false;
#endif
}

#if SOL >= 1
/* Move every line up by one and blank the last line. */
static void vga_scroll(void)
{
    for (int i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
        screen[i] = screen[i + VGA_COLS];
    for (int i = (VGA_ROWS - 1) * VGA_COLS; i < VGA_ROWS * VGA_COLS; i++)
        screen[i] = blank_cell();
}
#endif

/* Contract in vga.h. Only the escape parser's state is kept apart. */
void vga_putc(char c)
{
    if (vga_escape(c))
        return;
#if SOL >= 1
    switch (c) {
    case '\n':
        col = 0;
        row++;
        break;
    case '\r':
        col = 0;
        break;
    case '\b':
        if (col > 0)
            col--;
        break;
    case '\t':
        col = (col + 8) & ~7;
        break;
    default:
        screen[row * VGA_COLS + col] = (uint16_t)(attr << 8 | (uint8_t)c);
        col++;
        break;
    }
    if (col >= VGA_COLS) {      /* wrap long lines */
        col = 0;
        row++;
    }
    if (row == VGA_ROWS) {      /* off the bottom: scroll */
        vga_scroll();
        row = VGA_ROWS - 1;
    }
#else
    /* LAB 1, exercise 3: show c at the cursor in the current colours, or
     * act on a control character, and advance, as vga.h says (handout §3.3) */
    (void)c;
#endif
}

/* Contract in vga.h. Writes the CRT controller's registers only; may call
 * outb. */
void vga_update_cursor(void)
{
#if SOL >= 1
    uint16_t pos = (uint16_t)(row * VGA_COLS + col);

    outb(CRTC_INDEX, CRTC_CURSOR_HIGH);
    outb(CRTC_DATA, (uint8_t)(pos >> 8));
    outb(CRTC_INDEX, CRTC_CURSOR_LOW);
    outb(CRTC_DATA, (uint8_t)pos);
#else
    /* LAB 1, exercise 4: move the hardware cursor to (row, col), as vga.h
     * says (handout §3.3) */
#endif
}

uint16_t vga_read_hw_cursor(void)
{
    uint16_t pos;

    outb(CRTC_INDEX, CRTC_CURSOR_HIGH);
    pos = (uint16_t)(inb(CRTC_DATA) << 8);
    outb(CRTC_INDEX, CRTC_CURSOR_LOW);
    pos |= inb(CRTC_DATA);
    return pos;
}
