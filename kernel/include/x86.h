/* x86.h - inline wrappers for x86-64 instructions C cannot express.
 * Lab 1 (given). Each wrapper is one instruction; see the Intel SDM vol. 2. */
#ifndef X86_H
#define X86_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static inline void outw(uint16_t port, uint16_t value)
{
    __asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t value;
    __asm__ volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

/* 32 bits wide: PCI configuration space and PCI devices' registers. */
static inline void outl(uint16_t port, uint32_t value)
{
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t value;
    __asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

/* Wait for the next interrupt (or forever, with interrupts off). */
static inline void cpu_halt(void)
{
    __asm__ volatile("hlt");
}

static inline void cpu_disable_interrupts(void)
{
    __asm__ volatile("cli" : : : "memory");
}

static inline void cpu_enable_interrupts(void)
{
    __asm__ volatile("sti" : : : "memory");
}

/* Enable interrupts and halt, with no gap between: sti takes effect after
 * the next instruction, so an interrupt cannot slip in before the hlt and
 * leave us sleeping with its work undone. */
static inline void cpu_enable_interrupts_and_halt(void)
{
    __asm__ volatile("sti; hlt" : : : "memory");
}

static inline int cpu_interrupts_enabled(void)
{
    uint64_t flags;
    __asm__ volatile("pushfq; pop %0" : "=r"(flags));
    return (flags >> 9) & 1;     /* RFLAGS.IF */
}

/* Hint to the CPU that we are in a busy-wait loop. */
static inline void cpu_relax(void)
{
    __asm__ volatile("pause");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t read_rbp(void)
{
    uint64_t rbp;
    __asm__ volatile("mov %%rbp, %0" : "=r"(rbp));
    return rbp;
}

static inline uint64_t read_rsp(void)
{
    uint64_t rsp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
    return rsp;
}

static inline uint64_t read_rflags(void)
{
    uint64_t flags;
    __asm__ volatile("pushfq; pop %0" : "=r"(flags));
    return flags;
}

static inline void write_cr0(uint64_t value)
{
    __asm__ volatile("mov %0, %%cr0" : : "r"(value) : "memory");
}

/* Load a new top-level page table; flushes the TLB (but global pages). */
static inline void write_cr3(uint64_t value)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(value) : "memory");
}

/* Drop the TLB entry of one page after changing its mapping. */
static inline void invlpg(uint64_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

#define MSR_EFER 0xC0000080
#define EFER_NXE (1ull << 11)         /* allow the no-execute bit in page tables */
#define EFER_SCE (1ull << 0)          /* allow syscall/sysret (Lab 10) */
#define MSR_STAR   0xC0000081         /* syscall/sysret selectors (Lab 10) */
#define MSR_LSTAR  0xC0000082         /* syscall's 64-bit entry point */
#define MSR_FMASK  0xC0000084         /* rflags bits syscall clears */
#define MSR_FS_BASE 0xC0000100        /* the FS segment's base: user TLS (Lab 10) */
#define CR0_WP   (1ull << 16)         /* ring 0 respects read-only pages too */

#define DEFINE_READ_CR(n)                                        \
    static inline uint64_t read_cr##n(void)                      \
    {                                                            \
        uint64_t value;                                          \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(value));    \
        return value;                                            \
    }
DEFINE_READ_CR(0)
DEFINE_READ_CR(2)
DEFINE_READ_CR(3)
DEFINE_READ_CR(4)
#undef DEFINE_READ_CR

#endif
