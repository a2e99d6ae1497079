/* disk.h - the disk: 512-byte sectors on QEMU's virtio block device, found
 * on the PCI bus. Lab 8 (given: dev/pci.c, dev/virtio_blk.c). A request
 * is handed to the device by DMA and the calling thread sleeps until the
 * device's interrupt says it is done; requests go one at a time. */
#ifndef DISK_H
#define DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECTOR_SIZE 512

/* Was a disk found at boot (a virtio block device on the PCI bus)? */
bool disk_present(void);

/* The disk's size in sectors (0 without a disk). */
uint64_t disk_sectors(void);

/* Read / write count sectors starting at sector, into / from buf (kernel
 * memory: the heap, a stack, the direct map; any alignment). Blocks the
 * calling thread until the device is done. 0, or -EIO: no disk, a range
 * past the disk's end (nothing is transferred), or the device reported an
 * error. Thread context, interrupts on, no spinlock held. */
int disk_read(uint64_t sector, void *buf, size_t count);
int disk_write(uint64_t sector, const void *buf, size_t count);

/* Ask the device to put every completed write on stable storage (virtio's
 * flush; a no-op where the device has no write cache). 0 or -EIO. */
int disk_flush(void);

#endif
