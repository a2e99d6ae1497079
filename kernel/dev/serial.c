/* serial.c - COM1, a 16550 UART at I/O port 0x3F8. Lab 1 (given).
 * The serial port is the console the graders read: it needs no driver state
 * and works from the first instruction, so panics can always report. */
#include "serial.h"
#include "console.h"
#include "x86.h"
#include "kinit.h"
#include "trap.h"

#define COM1 0x3F8
enum {                 /* register offsets from COM1 */
    DATA = 0,          /* receive / transmit buffer (divisor low when DLAB=1) */
    IER = 1,           /* interrupt enable (divisor high when DLAB=1) */
    FCR = 2,           /* FIFO control */
    LCR = 3,           /* line control; bit 7 is DLAB */
    MCR = 4,           /* modem control */
    LSR = 5,           /* line status */
};
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20

#define UART_FIFO_SIZE 16

void serial_init(void)
{
    char early[UART_FIFO_SIZE];
    int n = 0;

    /* Keep what was typed before the kernel started: the firmware leaves the
     * FIFO off, so the UART holds a byte, and turning the FIFO on below
     * empties the UART. Read it first, just before, and hand it to the
     * console input, ahead of what comes later. With the FIFO off that is
     * one byte; the loop stops at a FIFO's worth all the same, since a
     * missing UART reads as 0xFF, "data ready" for ever. */
    outb(COM1 + LCR, 0x03);      /* 8 data bits, no parity, 1 stop bit, DLAB off */
    outb(COM1 + IER, 0x00);      /* no interrupts (Lab 2 turns receive on) */
    while (n < UART_FIFO_SIZE && (inb(COM1 + LSR) & LSR_DATA_READY))
        early[n++] = (char)inb(COM1 + DATA);
    outb(COM1 + FCR, 0xC1);      /* enable FIFOs, interrupt at 14 bytes; no clearing */
    outb(COM1 + LCR, 0x80);      /* DLAB on: the next two bytes are the divisor */
    outb(COM1 + DATA, 1);        /* 115200 / 1 = 115200 baud */
    outb(COM1 + IER, 0);         /* (DLAB on: the divisor's high byte) */
    outb(COM1 + LCR, 0x03);      /* DLAB off again */
    outb(COM1 + MCR, 0x03);      /* DTR and RTS */
    for (int i = 0; i < n; i++)
        console_input(early[i]);
}

void serial_putc(char c)
{
    while (!(inb(COM1 + LSR) & LSR_THR_EMPTY))
        cpu_relax();
    outb(COM1 + DATA, (uint8_t)c);
}

int serial_getc(void)
{
    if (!(inb(COM1 + LSR) & LSR_DATA_READY))
        return -1;
    return inb(COM1 + DATA);
}

#if LAB >= 2
static void serial_irq(struct trap_frame *tf)
{
    int c;

    (void)tf;
    while ((c = serial_getc()) >= 0)
        console_input((char)c);
}

void serial_enable_interrupts(void)
{
    irq_register(4, serial_irq);
    outb(COM1 + IER, 0x01);          /* interrupt when a byte arrives */
    outb(COM1 + MCR, 0x0B);          /* DTR, RTS, and OUT2, which gates the IRQ line */
}
KINIT(53, serial_enable_interrupts);
#endif
