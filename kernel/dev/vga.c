/* vga.c - VGA text mode: 80x25 cells at physical 0xB8000.
 * Lab 1: vga_putc (exercise 3) and vga_update_cursor (exercise 4); the rest
 * is given. Each cell is two bytes: the character (code page 437) and an
 * attribute, (background << 4) | foreground. Handout §2.2 and §3.3. */
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
/* Move every line up by one and blank the last line. */
static void vga_scroll(void)
{
    for (int i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
        screen[i] = screen[i + VGA_COLS];
    for (int i = (VGA_ROWS - 1) * VGA_COLS; i < VGA_ROWS * VGA_COLS; i++)
        screen[i] = blank_cell();
}
#endif

void vga_putc(char c)
{
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
    /* LAB 1, exercise 3: store c with attr at (row, col) in screen[], handle
     * '\n' '\r' '\b' '\t' as vga.h says, wrap at column 80 and scroll when the
     * cursor leaves the last row (handout §3.3) */
    (void)c;
#endif
}

void vga_update_cursor(void)
{
#if SOL >= 1
    uint16_t pos = (uint16_t)(row * VGA_COLS + col);

    outb(CRTC_INDEX, CRTC_CURSOR_HIGH);
    outb(CRTC_DATA, (uint8_t)(pos >> 8));
    outb(CRTC_INDEX, CRTC_CURSOR_LOW);
    outb(CRTC_DATA, (uint8_t)pos);
#else
    /* LAB 1, exercise 4: write row * 80 + col to the CRT controller's cursor
     * registers 0x0E (high byte) and 0x0F (low byte) (handout §3.3) */
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
