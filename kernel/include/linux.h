/* linux.h - what unmodified static Linux programs need beyond Labs 6-9.
 * Lab 10 (handout lab10). Debian's busybox-static and musl-gcc -static
 * programs enter with `syscall` (syscall_entry.asm), find their TLS through
 * FS (tls.c), read the auxiliary vector on their first stack (auxv.c), and
 * make the many small calls linuxcalls.c answers. */
#ifndef LINUX_H
#define LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "thread.h"

struct proc;

#define ARCH_SET_FS 0x1002           /* arch_prctl's codes (asm/prctl.h) */
#define ARCH_GET_FS 0x1003

/* The scheduler's switch-in hook calls this for next, interrupts off: the
 * CPU's FS base becomes next->fs_base when next runs a process (kernel
 * threads never use FS), written every time: a program may have reloaded
 * %fs itself (a selector load in ring 3 resets the base), so what the CPU
 * holds cannot be assumed. Exercise 2 (handout §3.2). */
void tls_switch_in(struct thread *next);

/* What the loader learned about the program that the auxiliary vector
 * passes on (elf_info in elf.c fills it from the image). */
struct exec_info {
    uint64_t entry;                  /* AT_ENTRY: e_entry */
    uint64_t phdr;                   /* AT_PHDR: where the program headers are mapped; 0: not */
    uint64_t phnum;                  /* AT_PHNUM */
};

/* The first stack of a Linux program, in the top page of its user stack
 * (page: the kernel's view of [USER_STACK_TOP - PAGE_SIZE, USER_STACK_TOP),
 * zeroed): from the top down, the strings of argv and envp with their
 * NULs, each array's back to back (as Linux packs them), AT_PLATFORM's
 * string "x86_64", AT_EXECFN's (execfn), AT_RANDOM's 16 random bytes;
 * below them, 16-byte aligned, the words argc, argv[0..argc-1], 0,
 * envp[0..envc-1], 0, then the auxiliary vector's (type, value) pairs
 * ending with (AT_NULL, 0): AT_PHDR, AT_PHENT (56) and AT_PHNUM (only if
 * info->phdr is not 0), AT_PAGESZ, AT_ENTRY, AT_UID, AT_EUID, AT_GID, AT_EGID (all 0),
 * AT_SECURE 0, AT_HWCAP (CPUID.1's edx), AT_CLKTCK 100, AT_RANDOM,
 * AT_EXECFN, AT_PLATFORM. Returns the user address of argc, the program's
 * rsp at entry, or 0 if it does not all fit in the page (0 is allowed too
 * when less than 64 bytes of the page would be left over: a check with
 * room to spare is simpler). No lock; may call strlen, memcpy and
 * random_bytes. Exercise 2 (handout §3.1). */
uint64_t stack_layout_linux(uint8_t *page, int argc, char *const argv[], int envc,
                            char *const envp[], const char *execfn,
                            const struct exec_info *info);

/* Fill buf with n random bytes: RDRAND when the CPU has it, else a
 * generator seeded from the TSC at boot. Any context. */
void random_bytes(void *buf, size_t n);


/* ---- the console as a terminal (file.c; ioctl in linuxcalls.c) ---- */

/* Linux's struct termios as TCGETS and TCSETS pass it (asm-generic). */
#define TERMIOS_NCCS 19
struct termios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[TERMIOS_NCCS];
};
#define TERMIOS_ICRNL   0000400      /* c_iflag: Enter's '\r' read as '\n' */
#define TERMIOS_OPOST   0000001      /* c_oflag */
#define TERMIOS_ONLCR   0000004
#define TERMIOS_CS8     0000060      /* c_cflag */
#define TERMIOS_CREAD   0000200
#define TERMIOS_B115200 0010002
#define TERMIOS_ISIG    0000001      /* c_lflag: Ctrl-C sends SIGINT */
#define TERMIOS_ICANON  0000002      /* line at a time, with erase */
#define TERMIOS_ECHO    0000010
#define TERMIOS_ECHOE   0000020
#define TERMIOS_VINTR   0            /* c_cc indexes */
#define TERMIOS_VERASE  2
#define TERMIOS_VEOF    4
#define TERMIOS_VMIN    6

/* The console's modes: canonical with echo at boot; TCSETS changes them
 * (a shell's line editor turns ICANON and ECHO off). */
extern struct termios console_termios;

/* Would a read of the console return at once (typed input waiting)? */
bool console_readable(void);
#endif
