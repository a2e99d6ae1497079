/* keyboard.h - the PS/2 keyboard on IRQ 1, scancode set 1. Lab 2. */
#ifndef KEYBOARD_H
#define KEYBOARD_H

#include <stdint.h>

/* Register the IRQ 1 handler; typed characters go to the console input. */
void keyboard_init(void);

/* Feed one scancode byte (set 1: a make code, or a release = make | 0x80);
 * returns the character it completes, or 0 if it only changed the state
 * (shift, caps lock, ctrl, a release, an 0xE0 prefix and the code after it,
 * a key with no character). Either shift key held (left 0x2A, right 0x36)
 * selects shift_map; caps lock (0x3A) toggles at each press and inverts
 * shift for letters only; ctrl (0x1D) + letter gives letter & 0x1F
 * (whatever shift and caps lock say); ctrl + any other key is ignored: the
 * key gives what it gives without ctrl (shift still applies). The byte
 * after an 0xE0 prefix, make or release, gives 0 and leaves the modifier
 * state alone: right ctrl (E0 1D) and the fake shifts some keys send
 * (E0 2A, E0 AA) change nothing. Keeps its state between calls: one caller
 * at a time (the IRQ handler, or a test with interrupts off). Calls
 * nothing. Lab 2, exercise 5. */
int kbd_translate(uint8_t scancode);

/* Feed one scancode byte (every byte, as to kbd_translate); returns the
 * VT100 escape sequence of the extended key whose make code completes an
 * 0xE0 prefix (arrows ESC [ A..D, home ESC [ H, end ESC [ F, insert, delete,
 * page up and down ESC [ 2 ~, 3 ~, 5 ~, 6 ~), else NULL. Only with keys=ansi
 * on the command line does the IRQ handler deliver these to the console;
 * without it, extended keys give nothing, as before. Lab 2, challenge 1. */
const char *kbd_escape(uint8_t scancode);

#endif
