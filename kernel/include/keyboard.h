/* keyboard.h - the PS/2 keyboard on IRQ 1, scancode set 1. Lab 2. */
#ifndef KEYBOARD_H
#define KEYBOARD_H

#include <stdint.h>

/* Register the IRQ 1 handler; typed characters go to the console input. */
void keyboard_init(void);

/* Feed one scancode byte; returns the character it completes, or 0 if it
 * only changed the state (shift, caps lock, ctrl, a release, an 0xE0
 * prefix and the code after it, an unknown key). Letters honour shift and
 * caps lock, other keys only shift; ctrl+letter gives letter & 0x1F. */
int kbd_translate(uint8_t scancode);

#endif
