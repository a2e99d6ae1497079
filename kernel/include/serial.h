/* serial.h - the COM1 UART (16550), the kernel's main console. Lab 1 (given). */
#ifndef SERIAL_H
#define SERIAL_H

/* Program COM1 for 115200 baud, 8N1, FIFOs on. Call once, first thing in kmain.
 * Bytes that arrived before (typed ahead) go to the console input first. */
void serial_init(void);

/* Send one byte, waiting until the transmitter can take it. */
void serial_putc(char c);

/* Return the next received byte, or -1 at once if none is waiting. */
int serial_getc(void);

/* Lab 2: deliver received bytes to the console input through IRQ 4. */
void serial_enable_interrupts(void);

#endif
