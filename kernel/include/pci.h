/* pci.h - the PCI bus: configuration space through I/O ports 0xCF8/0xCFC
 * ("configuration mechanism #1"), finding a device, its BARs and its IRQ.
 * Lab 8 (given). Every PCI function has 256 bytes of configuration space,
 * named by bus (0-255), device (0-31) and function (0-7); the firmware
 * (SeaBIOS) has already given each BAR an address and each INTx pin an
 * IRQ line of the 8259 PICs, which we read and keep. */
#ifndef PCI_H
#define PCI_H

#include <stdbool.h>
#include <stdint.h>

/* Offsets in a function's configuration space (header type 0). */
#define PCI_VENDOR_ID      0x00      /* 16 bits; 0xFFFF: no function here */
#define PCI_DEVICE_ID      0x02      /* 16 bits */
#define PCI_COMMAND        0x04      /* 16 bits, PCI_CMD_* */
#define PCI_HEADER_TYPE    0x0E      /* 8 bits; bit 7: a multi-function device */
#define PCI_BAR0           0x10      /* six 32-bit BARs, 0x10 .. 0x24 */
#define PCI_SECONDARY_BUS  0x19      /* 8 bits, bridges: the bus behind it */
#define PCI_INTERRUPT_LINE 0x3C      /* 8 bits: the 8259 IRQ the firmware routed INTx to */
#define PCI_INTERRUPT_PIN  0x3D      /* 8 bits: 0 none, 1..4 INTA..INTD */

#define PCI_HEADER_BRIDGE   1            /* header type of a PCI-to-PCI bridge */

#define PCI_CMD_IO          (1u << 0)    /* answer accesses to its I/O BARs */
#define PCI_CMD_MEMORY      (1u << 1)    /* answer accesses to its memory BARs */
#define PCI_CMD_BUS_MASTER  (1u << 2)    /* may start DMA itself */
#define PCI_CMD_INTX_OFF    (1u << 10)   /* INTx disabled (we want it on) */

#define PCI_BAR_IO          1u           /* bit 0 of a BAR: an I/O-port BAR */

/* One function on the bus, as pci_find found it. */
struct pci_dev {
    uint8_t bus, dev, func;
    uint16_t vendor, device;
    uint8_t irq;                     /* PCI_INTERRUPT_LINE: 0..15, or 0xFF for none */
};

/* Read / write configuration register off (aligned to the access size) of
 * function bus:dev.func. Reads of a function that does not exist give all
 * ones. Interrupts on or off (each access is the two port operations under
 * push_cli, so that an interrupt handler's access cannot come between). */
uint32_t pci_read32(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off);
uint16_t pci_read16(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off);
uint8_t pci_read8(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off);
void pci_write32(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off, uint32_t value);
void pci_write16(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off, uint16_t value);

/* Walk the buses from bus 0 through the bridges, every device and
 * function; fill *out with the first function whose vendor and device ids
 * match, and return true; false if none. */
bool pci_find(uint16_t vendor, uint16_t device, struct pci_dev *out);

/* BAR i (0..5) of d, as the firmware set it (with its type bits). */
uint32_t pci_bar(const struct pci_dev *d, int i);

/* The first I/O port of BAR i, or 0 if BAR i is not an I/O BAR. */
uint16_t pci_bar_io(const struct pci_dev *d, int i);

/* Set bits (PCI_CMD_*) in d's command register, and clear INTx-off: let
 * it decode its I/O ports, master DMA, and raise its interrupt. */
void pci_enable(const struct pci_dev *d, uint16_t bits);

#endif
