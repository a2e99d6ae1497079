/* virtio_blk.c - the disk: QEMU's virtio block device, legacy interface.
 * Lab 8 (given). Implements disk.h. The device is a PCI function (vendor
 * 0x1af4, device 0x1001) whose registers are I/O ports (BAR0); requests
 * travel through one virtqueue in memory that the device reads and writes
 * by DMA, and it raises INTx (an 8259 IRQ) when it has used one. The Lab 8
 * handout draws the virtqueue; the spec is "Virtual I/O Device (VIRTIO)
 * Version 1.0", §2.4 (virtqueues), §4.1.4.8 (legacy PCI), §5.2 (block).
 *
 * The virtqueue (queue 0), one block of physically contiguous memory:
 *
 *   ring_mem +------------------------------+
 *            | descriptors: qsize x 16 bytes|  {addr, len, flags, next}: where
 *            |                              |  a buffer is, chained by next
 *            +------------------------------+
 *            | avail ring: flags, idx,      |  driver -> device: heads of the
 *            |   ring[qsize]                |  chains to do; idx counts them
 *            +- pad to the next 4096 -------+
 *            | used ring: flags, idx,       |  device -> driver: heads of the
 *            |   ring[qsize] of {id, len}   |  chains done; idx counts them
 *            +------------------------------+
 *
 * A request is a chain of three descriptors, always 0 -> 1 -> 2:
 *   0: the header {type IN/OUT/FLUSH, sector}     (the device reads it)
 *   1: the data, 512-byte sectors                 (reads: the device writes it)
 *   2: one status byte, 0 = OK                    (the device writes it)
 * (a flush has no data: 0 -> 2). We put head 0 in the avail ring, bump
 * avail->idx and write the queue number to the notify register; the device
 * does the transfer, puts head 0 in the used ring, bumps used->idx and
 * raises its interrupt. The handler wakes the requester, which sees
 * used->idx move past the last value it saw.
 *
 * DMA needs physical addresses, and a caller's buffer (the heap, a stack)
 * is not physically contiguous. So data goes through a bounce buffer: the
 * caller's bytes are copied into it before a write and out of it after a
 * read, at most DISK_CHUNK bytes per request (longer transfers are split).
 * The bounce buffer, the ring and the header live in this file's .bss:
 * the kernel image is loaded contiguously at phys + KERNEL_VMA, so their
 * physical addresses are va - KERNEL_VMA (and dev/ needs no allocator).
 *
 * Locking: request_lock (a mutex) lets one request at a time use the
 * descriptors, header, status and bounce buffer; it is held while the
 * caller sleeps. vq_lock (a spinlock) guards the rings' indices, used_seen
 * and the wait queue, which the interrupt handler also touches. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disk.h"
#include "pci.h"
#include "errno.h"
#include "kinit.h"
#include "console.h"
#include "memlayout.h"
#include "panic.h"
#include "spinlock.h"
#include "string.h"
#include "sync.h"
#include "thread.h"
#include "trap.h"
#include "x86.h"

#define VIRTIO_VENDOR      0x1af4
#define VIRTIO_BLK_LEGACY  0x1001    /* transitional virtio-blk (disable-modern=on) */
#define VIRTIO_BLK_MODERN  0x1042    /* virtio 1.0 only: no legacy interface */

/* The legacy registers: offsets from the I/O port of BAR0. */
#define VIRTIO_DEVICE_FEATURES 0x00  /* 32 bits, what the device offers */
#define VIRTIO_DRIVER_FEATURES 0x04  /* 32 bits, what we take */
#define VIRTIO_QUEUE_PFN       0x08  /* 32 bits, the ring's physical address >> 12 */
#define VIRTIO_QUEUE_SIZE      0x0C  /* 16 bits, entries of the selected queue (fixed) */
#define VIRTIO_QUEUE_SELECT    0x0E  /* 16 bits */
#define VIRTIO_QUEUE_NOTIFY    0x10  /* 16 bits: write a queue number, "look at it" */
#define VIRTIO_STATUS          0x12  /* 8 bits, STATUS_*; write 0 to reset */
#define VIRTIO_ISR             0x13  /* 8 bits, reading it acknowledges the interrupt */
#define VIRTIO_BLK_CAPACITY    0x14  /* 64 bits: the disk's size in 512-byte sectors */

#define STATUS_ACKNOWLEDGE 1         /* we have seen the device */
#define STATUS_DRIVER      2         /* we know how to drive it */
#define STATUS_DRIVER_OK   4         /* the queue is set up: go */
#define STATUS_FAILED      128       /* we gave up on it */

#define ISR_QUEUE          1         /* a used ring moved (bit 1 is a config change) */

#define VIRTIO_BLK_F_RO    (1u << 5) /* the disk is read-only */
#define VIRTIO_BLK_F_FLUSH (1u << 9) /* a write cache, emptied by T_FLUSH */

#define VIRTIO_BLK_T_IN    0         /* read */
#define VIRTIO_BLK_T_OUT   1         /* write */
#define VIRTIO_BLK_T_FLUSH 4

#define VRING_DESC_F_NEXT  1         /* next is valid: the chain goes on */
#define VRING_DESC_F_WRITE 2         /* the device writes this buffer (else reads it) */

#define QUEUE_MAX  256               /* QEMU's virtio-blk default queue size */
#define DISK_CHUNK (64 * 1024)       /* bytes per request: the bounce buffer */

struct vring_desc {
    uint64_t addr;                   /* physical */
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct vring_avail {
    uint16_t flags;                  /* 0: do interrupt us */
    uint16_t idx;                    /* where we put the next entry (mod qsize) */
    uint16_t ring[];
};

struct vring_used_elem {
    uint32_t id;                     /* the head of the chain done */
    uint32_t len;                    /* bytes the device wrote */
};

struct vring_used {
    uint16_t flags;
    uint16_t idx;                    /* where the device puts the next entry */
    struct vring_used_elem ring[];
};

struct virtio_blk_req {
    uint32_t type;                   /* VIRTIO_BLK_T_* */
    uint32_t reserved;
    uint64_t sector;
};

#define ALIGN_UP(x, a) (((x) + (a) - 1) / (a) * (a))
#define RING_PART1(n) ALIGN_UP(16 * (n) + 6 + 2 * (n), 4096)   /* descriptors, avail */
#define RING_PART2(n) ALIGN_UP(6 + 8 * (n), 4096)              /* used */

/* DMA memory (see the top): physically contiguous, page-aligned. */
static uint8_t ring_mem[RING_PART1(QUEUE_MAX) + RING_PART2(QUEUE_MAX)]
    __attribute__((aligned(4096)));
static uint8_t bounce[DISK_CHUNK] __attribute__((aligned(4096)));
static struct virtio_blk_req req_header;       /* [request_lock] */
static volatile uint8_t req_status;            /* [request_lock] */

/* The device, as disk_probe found it: set once at boot, then read-only. */
static bool present;
static bool has_flush, read_only;
static uint16_t iobase;
static uint16_t qsize;
static uint64_t capacity;
static struct pci_dev pci;

/* The rings inside ring_mem (set at boot). */
static volatile struct vring_desc *desc;       /* [request_lock] */
static volatile struct vring_avail *avail;     /* [vq_lock] */
static volatile struct vring_used *used;       /* written by the device; read under vq_lock */

static struct mutex request_lock;
static struct spinlock vq_lock = SPINLOCK_INIT("virtio_blk");
static uint16_t used_seen;                     /* [vq_lock] used->idx as last consumed */
static struct waitqueue done_waiters;          /* [vq_lock] the requester, until its chain is used */

/* The physical address of an object in this file's .bss (kernel image). */
static uint64_t dma_addr(const volatile void *p)
{
    ASSERT((uint64_t)p >= KERNEL_VMA);
    return (uint64_t)p - KERNEL_VMA;
}

/* Stop the compiler from moving memory accesses across this point. x86
 * keeps stores in order for the device, so that is all a ring needs. */
static inline void barrier(void)
{
    __asm__ volatile("" : : : "memory");
}

/* The interrupt, with interrupts off. The line may be shared with another
 * PCI function: reading ISR says whether it was us and lowers our INTx
 * (it is level-triggered: without the read it would fire again at once). */
static void virtio_blk_irq(struct trap_frame *tf)
{
    (void)tf;
    if (!(inb(iobase + VIRTIO_ISR) & ISR_QUEUE))
        return;                      /* someone else's interrupt, or a config change */
    spin_lock(&vq_lock);
    waitqueue_wake_all(&done_waiters);   /* the requester checks used->idx itself */
    spin_unlock(&vq_lock);
}

/* Hand the chain of descriptors 0, 1 (if bytes), 2 to the device as one
 * request and sleep until it is used. The caller holds request_lock and
 * has filled the bounce buffer for a write. 0, or -EIO if the device
 * reported an error. */
static int do_request(uint32_t type, uint64_t sector, size_t bytes)
{
    req_header.type = type;
    req_header.reserved = 0;
    req_header.sector = sector;
    req_status = 0xFF;               /* not 0: a request the device never finished fails */

    desc[0].addr = dma_addr(&req_header);
    desc[0].len = sizeof req_header;
    desc[0].flags = VRING_DESC_F_NEXT;
    desc[0].next = bytes ? 1 : 2;
    if (bytes) {
        desc[1].addr = dma_addr(bounce);
        desc[1].len = (uint32_t)bytes;
        desc[1].flags = VRING_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE : 0);
        desc[1].next = 2;
    }
    desc[2].addr = dma_addr(&req_status);
    desc[2].len = 1;
    desc[2].flags = VRING_DESC_F_WRITE;
    desc[2].next = 0;

    spin_lock(&vq_lock);
    avail->ring[avail->idx % qsize] = 0;         /* the chain's head */
    barrier();                                   /* the entry before the index that shows it */
    avail->idx++;
    barrier();
    outw(iobase + VIRTIO_QUEUE_NOTIFY, 0);       /* queue 0 has work */
    /* Interrupts are off from the check to the sleep (vq_lock), so the
     * interrupt cannot come in between and be missed. */
    while (used->idx == used_seen)
        waitqueue_sleep(&done_waiters, &vq_lock);
    uint32_t head = used->ring[used_seen % qsize].id;
    used_seen++;
    spin_unlock(&vq_lock);

    barrier();
    if (head != 0 || req_status != 0)
        return -EIO;
    return 0;
}

/* Is [sector, sector + count) on the disk? (No overflow: count first.) */
static bool in_range(uint64_t sector, size_t count)
{
    return count <= capacity && sector <= capacity - count;
}

/* Contracts in disk.h. Each request moves at most DISK_CHUNK bytes through
 * the bounce buffer; the mutex is held for the whole transfer. */
int disk_read(uint64_t sector, void *buf, size_t count)
{
    ASSERT(buf != NULL || count == 0);
    ASSERT(cpu_interrupts_enabled());    /* it sleeps: thread context, no spinlock */
    if (!present || !in_range(sector, count))
        return -EIO;
    mutex_lock(&request_lock);
    int err = 0;
    for (size_t done = 0; done < count && err == 0;) {
        size_t n = count - done < DISK_CHUNK / SECTOR_SIZE ? count - done : DISK_CHUNK / SECTOR_SIZE;
        err = do_request(VIRTIO_BLK_T_IN, sector + done, n * SECTOR_SIZE);
        if (err == 0)
            memcpy((uint8_t *)buf + done * SECTOR_SIZE, bounce, n * SECTOR_SIZE);
        done += n;
    }
    mutex_unlock(&request_lock);
    return err;
}

int disk_write(uint64_t sector, const void *buf, size_t count)
{
    ASSERT(buf != NULL || count == 0);
    ASSERT(cpu_interrupts_enabled());    /* it sleeps: thread context, no spinlock */
    if (!present || read_only || !in_range(sector, count))
        return -EIO;
    mutex_lock(&request_lock);
    int err = 0;
    for (size_t done = 0; done < count && err == 0;) {
        size_t n = count - done < DISK_CHUNK / SECTOR_SIZE ? count - done : DISK_CHUNK / SECTOR_SIZE;
        memcpy(bounce, (const uint8_t *)buf + done * SECTOR_SIZE, n * SECTOR_SIZE);
        err = do_request(VIRTIO_BLK_T_OUT, sector + done, n * SECTOR_SIZE);
        done += n;
    }
    mutex_unlock(&request_lock);
    return err;
}

int disk_flush(void)
{
    if (!present)
        return -EIO;
    if (!has_flush)
        return 0;                    /* no write cache: every write is already stable */
    ASSERT(cpu_interrupts_enabled());
    mutex_lock(&request_lock);
    int err = do_request(VIRTIO_BLK_T_FLUSH, 0, 0);
    mutex_unlock(&request_lock);
    return err;
}

bool disk_present(void)
{
    return present;
}

uint64_t disk_sectors(void)
{
    return present ? capacity : 0;
}

/* Say why the device is not used, and tell it we gave up. */
static void give_up(const char *why)
{
    outb(iobase + VIRTIO_STATUS, STATUS_FAILED);
    kprintf("disk: virtio-blk at %02x:%02x.%x: %s: no disk\n", pci.bus, pci.dev, pci.func, why);
}

/* Set up queue 0: its size is the device's (legacy devices fix it). */
static bool queue_setup(void)
{
    outw(iobase + VIRTIO_QUEUE_SELECT, 0);
    qsize = inw(iobase + VIRTIO_QUEUE_SIZE);
    if (qsize < 3 || qsize > QUEUE_MAX) {
        give_up(qsize < 3 ? "no queue 0" : "queue larger than QUEUE_MAX");
        return false;
    }
    memset(ring_mem, 0, sizeof ring_mem);
    desc = (volatile struct vring_desc *)ring_mem;
    avail = (volatile struct vring_avail *)(ring_mem + 16 * qsize);
    used = (volatile struct vring_used *)(ring_mem + RING_PART1(qsize));
    used_seen = 0;
    outl(iobase + VIRTIO_QUEUE_PFN, (uint32_t)(dma_addr(ring_mem) >> 12));
    return true;
}

/* Boot step: find the device, negotiate, set up the queue, take its IRQ.
 * Without a device (labs 1-7 boot without one) it prints nothing. */
static void disk_probe(void)
{
    mutex_init(&request_lock, "disk");
    if (!pci_find(VIRTIO_VENDOR, VIRTIO_BLK_LEGACY, &pci)) {
        if (pci_find(VIRTIO_VENDOR, VIRTIO_BLK_MODERN, &pci))
            kprintf("disk: virtio-blk at %02x:%02x.%x has no legacy interface "
                    "(QEMU: disable-modern=on, not disable-legacy=on): no disk\n",
                    pci.bus, pci.dev, pci.func);
        return;
    }
    iobase = pci_bar_io(&pci, 0);
    if (iobase == 0) {
        kprintf("disk: virtio-blk at %02x:%02x.%x: BAR0 is not I/O (disable-modern=on?): "
                "no disk\n", pci.bus, pci.dev, pci.func);
        return;
    }
    if (pci.irq == 0xFF) {
        give_up("no IRQ line");
        return;
    }
    pci_enable(&pci, PCI_CMD_IO | PCI_CMD_BUS_MASTER);

    outb(iobase + VIRTIO_STATUS, 0);                    /* reset */
    outb(iobase + VIRTIO_STATUS, STATUS_ACKNOWLEDGE);
    outb(iobase + VIRTIO_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    uint32_t offered = inl(iobase + VIRTIO_DEVICE_FEATURES);
    has_flush = offered & VIRTIO_BLK_F_FLUSH;
    read_only = offered & VIRTIO_BLK_F_RO;    /* we just refuse writes; taking it changes nothing */
    outl(iobase + VIRTIO_DRIVER_FEATURES, offered & VIRTIO_BLK_F_FLUSH);   /* all we handle */
    capacity = inl(iobase + VIRTIO_BLK_CAPACITY) |
               (uint64_t)inl(iobase + VIRTIO_BLK_CAPACITY + 4) << 32;
    if (!queue_setup())
        return;
    irq_register(pci.irq, virtio_blk_irq);              /* also unmasks the line */
    outb(iobase + VIRTIO_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_DRIVER_OK);
    present = true;
    kprintf("disk: virtio-blk at %02x:%02x.%x, %lu sectors, irq %d%s\n", pci.bus, pci.dev,
            pci.func, capacity, pci.irq, read_only ? ", read-only" : "");
}
KINIT(68, disk_probe);
