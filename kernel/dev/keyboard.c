/* keyboard.c - PS/2 keyboard: scancodes (set 1) to characters.
 * Lab 2: kbd_translate is exercise 5 (handout §3.5); the rest is given. */
#include <stdbool.h>
#include <stddef.h>

#include "keyboard.h"
#include "console.h"
#include "trap.h"
#include "x86.h"
#include "kinit.h"

#define KBD_DATA   0x60
#define KBD_STATUS 0x64
#define KBD_OUTPUT_FULL 0x01

#define SC_RELEASE    0x80       /* set in the code of a key release */
#define SC_EXTENDED   0xE0       /* prefix of the extended keys (arrows, ...) */
#define SC_LSHIFT     0x2A
#define SC_RSHIFT     0x36
#define SC_CTRL       0x1D
#define SC_CAPS_LOCK  0x3A

/* Characters for make codes 0x00-0x39, without and with shift; 0: none. */
static const char normal_map[0x3A] = {
    0, 27, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', '\b',
    '\t', 'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\n',
    0, 'a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`',
    0, '\\', 'z', 'x', 'c', 'v', 'b', 'n', 'm', ',', '.', '/', 0,
    '*', 0, ' ',
};
static const char shift_map[0x3A] = {
    0, 27, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', '\b',
    '\t', 'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\n',
    0, 'A', 'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~',
    0, '|', 'Z', 'X', 'C', 'V', 'B', 'N', 'M', '<', '>', '?', 0,
    '*', 0, ' ',
};

#if SOL >= 2
static bool shift_left, shift_right, ctrl, caps_lock, extended;

static bool is_letter(char c)
{
    return c >= 'a' && c <= 'z';
}
#endif

int kbd_translate(uint8_t scancode)
{
#if SOL >= 2
    if (scancode == SC_EXTENDED) {
        extended = true;         /* the next byte is an extended key: ignore it */
        return 0;
    }
    if (extended) {
        extended = false;
        return 0;
    }
    bool released = scancode & SC_RELEASE;
    uint8_t code = scancode & ~SC_RELEASE;

    switch (code) {
    case SC_LSHIFT:
        shift_left = !released;
        return 0;
    case SC_RSHIFT:
        shift_right = !released;
        return 0;
    case SC_CTRL:
        ctrl = !released;
        return 0;
    case SC_CAPS_LOCK:
        if (!released)
            caps_lock = !caps_lock;
        return 0;
    }
    if (released || code >= sizeof normal_map)
        return 0;
    char c = normal_map[code];
    bool shift = shift_left || shift_right;
    if (is_letter(c)) {
        if (ctrl)
            return c & 0x1F;
        if (shift != caps_lock)  /* caps lock inverts shift, for letters only */
            c = shift_map[code];
    } else if (shift) {
        c = shift_map[code];
    }
    return c;
#else
    /* LAB 2, exercise 5: track shift (both keys), ctrl and caps lock from make
     * and release codes (bit 7), skip an 0xE0 prefix and the byte after it,
     * and map make codes through normal_map / shift_map as keyboard.h says
     * (handout §3.5) */
    (void)scancode;
    (void)normal_map, (void)shift_map;
    return 0;
#endif
}

static void keyboard_irq(struct trap_frame *tf)
{
    (void)tf;
    while (inb(KBD_STATUS) & KBD_OUTPUT_FULL) {
        int c = kbd_translate(inb(KBD_DATA));
        if (c)
            console_input((char)c);
    }
}

void keyboard_init(void)
{
    irq_register(1, keyboard_irq);
    /* Keys typed before now wait in the controller (and QEMU's queue behind
     * it): take them as input, which also empties the output buffer, so the
     * next key raises a new edge on IRQ 1. Interrupts are still off here. */
    keyboard_irq(NULL);
}

KINIT(52, keyboard_init);
