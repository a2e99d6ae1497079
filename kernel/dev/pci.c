/* pci.c - PCI configuration space (ports 0xCF8/0xCFC) and finding devices.
 * Lab 8 (given). Mechanism #1: write the address of a 32-bit register
 * (enable bit, bus, device, function, offset) to CONFIG_ADDRESS, then read
 * or write it at CONFIG_DATA. Narrower accesses read the 32-bit register
 * and pick their bytes. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci.h"
#include "cli.h"
#include "panic.h"
#include "x86.h"

#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA    0xCFC

static uint32_t config_address(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off)
{
    return (1u << 31) | ((uint32_t)bus << 16) | ((uint32_t)(dev & 31) << 11) |
           ((uint32_t)(func & 7) << 8) | (off & 0xFC);
}

/* The address and the data are two port operations: interrupts off between
 * them, or a handler's own access could change the address under us. */
uint32_t pci_read32(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off)
{
    push_cli();
    outl(PCI_CONFIG_ADDRESS, config_address(bus, dev, func, off));
    uint32_t value = inl(PCI_CONFIG_DATA);
    pop_cli();
    return value;
}

void pci_write32(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off, uint32_t value)
{
    push_cli();
    outl(PCI_CONFIG_ADDRESS, config_address(bus, dev, func, off));
    outl(PCI_CONFIG_DATA, value);
    pop_cli();
}

uint16_t pci_read16(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off)
{
    return (uint16_t)(pci_read32(bus, dev, func, off) >> ((off & 2) * 8));
}

uint8_t pci_read8(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off)
{
    return (uint8_t)(pci_read32(bus, dev, func, off) >> ((off & 3) * 8));
}

/* A 16-bit write through the 32-bit register: read, change our half, write. */
void pci_write16(uint8_t bus, uint8_t dev, uint8_t func, uint8_t off, uint16_t value)
{
    unsigned shift = (off & 2) * 8;

    push_cli();
    uint32_t old = pci_read32(bus, dev, func, off);
    uint32_t new = (old & ~(0xFFFFu << shift)) | ((uint32_t)value << shift);
    pci_write32(bus, dev, func, off, new);
    pop_cli();
}

/* Does function bus:dev.func match? Fill *out if it does. */
static bool match(uint8_t bus, uint8_t dev, uint8_t func, uint16_t vendor, uint16_t device,
                  struct pci_dev *out)
{
    uint32_t id = pci_read32(bus, dev, func, PCI_VENDOR_ID);

    if ((id & 0xFFFF) != vendor || (id >> 16) != device)
        return false;
    out->bus = bus;
    out->dev = dev;
    out->func = func;
    out->vendor = vendor;
    out->device = device;
    out->irq = pci_read8(bus, dev, func, PCI_INTERRUPT_LINE);
    if (pci_read8(bus, dev, func, PCI_INTERRUPT_PIN) == 0 || out->irq >= 16)
        out->irq = 0xFF;             /* no pin, or not routed to the 8259s */
    return true;
}

/* Walk bus, and behind each PCI-to-PCI bridge on it the bus it leads to
 * (its secondary bus, which the firmware numbered), depth first. A missing
 * device reads vendor 0xFFFF; functions 1-7 exist only on multi-function
 * devices. depth bounds the walk on a malformed topology (a bridge that
 * leads back to a bus already seen). */
static bool scan_bus(uint8_t bus, int depth, uint16_t vendor, uint16_t device,
                     struct pci_dev *out)
{
    for (uint8_t dev = 0; dev < 32; dev++) {
        if (pci_read16(bus, dev, 0, PCI_VENDOR_ID) == 0xFFFF)
            continue;
        uint8_t funcs = (pci_read8(bus, dev, 0, PCI_HEADER_TYPE) & 0x80) ? 8 : 1;
        for (uint8_t func = 0; func < funcs; func++) {
            if (pci_read16(bus, dev, func, PCI_VENDOR_ID) == 0xFFFF)
                continue;
            if (match(bus, dev, func, vendor, device, out))
                return true;
            uint8_t type = pci_read8(bus, dev, func, PCI_HEADER_TYPE) & 0x7F;
            uint8_t secondary = pci_read8(bus, dev, func, PCI_SECONDARY_BUS);
            if (type == PCI_HEADER_BRIDGE && secondary > bus && depth < 8 &&
                scan_bus(secondary, depth + 1, vendor, device, out))
                return true;
        }
    }
    return false;
}

bool pci_find(uint16_t vendor, uint16_t device, struct pci_dev *out)
{
    ASSERT(out != NULL);
    return scan_bus(0, 0, vendor, device, out);
}

uint32_t pci_bar(const struct pci_dev *d, int i)
{
    ASSERT(i >= 0 && i < 6);
    return pci_read32(d->bus, d->dev, d->func, PCI_BAR0 + 4 * i);
}

uint16_t pci_bar_io(const struct pci_dev *d, int i)
{
    uint32_t bar = pci_bar(d, i);

    if (!(bar & PCI_BAR_IO))
        return 0;
    return (uint16_t)(bar & ~3u);    /* bits 1-0 are type bits, not address */
}

void pci_enable(const struct pci_dev *d, uint16_t bits)
{
    uint16_t cmd = pci_read16(d->bus, d->dev, d->func, PCI_COMMAND);

    cmd = (uint16_t)((cmd | bits) & ~PCI_CMD_INTX_OFF);
    pci_write16(d->bus, d->dev, d->func, PCI_COMMAND, cmd);
}
