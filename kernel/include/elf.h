/* elf.h - ELF64 executables and the loader. Lab 6 (exercise 1 in elf.c).
 * Field names follow the System V ABI (and Linux's <elf.h>). */
#ifndef ELF_H
#define ELF_H

#include <stddef.h>
#include <stdint.h>

#include "memlayout.h"               /* USER_MIN_ADDR */
#include "paging.h"
#include "tunables.h"                /* ELF_MAX_SEGMENT */

#define EI_NIDENT    16
#define ELFCLASS64   2
#define ELFDATA2LSB  1
#define EV_CURRENT   1
#define ET_EXEC      2
#define EM_X86_64    62
#define PT_LOAD      1
#define PF_X         1
#define PF_W         2
#define PF_R         4

struct elf64_ehdr {
    unsigned char e_ident[EI_NIDENT];   /* 0x7f 'E' 'L' 'F', class, data, version, ... */
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;                    /* program header table: file offset */
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;                /* size of one program header */
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};

struct elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;                    /* PF_R | PF_W | PF_X */
    uint64_t p_offset;                   /* where the bytes are in the file */
    uint64_t p_vaddr;                    /* where they go in memory */
    uint64_t p_paddr;
    uint64_t p_filesz;                   /* bytes in the file */
    uint64_t p_memsz;                    /* bytes in memory: the rest is zero (bss) */
    uint64_t p_align;
};

/* Check the executable in data[0..size) and map its PT_LOAD segments into
 * the address space pml4 (user pages, permissions from the segment flags,
 * bss zeroed). Refused with -ENOEXEC and *why set to a short reason: a
 * file shorter than its header; a bad magic, class (not 64-bit), byte
 * order (not little-endian), type (not ET_EXEC), machine or version;
 * program headers not of their size, none, or not inside the file; a
 * PT_LOAD segment with filesz > memsz, memsz > ELF_MAX_SEGMENT, file bytes
 * past the end, addresses outside [USER_MIN_ADDR, USER_TOP), both W and X,
 * or overlapping another; an entry point in no executable segment. Other
 * program headers are skipped. On success sets *entry and *end (the first
 * page after the highest segment: where brk starts) and returns 0; out of
 * frames, -ENOMEM. On failure some pages may already be mapped: the caller
 * destroys the address space. Thread context, no lock held (it allocates
 * frames); never reads outside data[0..size), whatever the file says. */
int elf_load(pte_t *pml4, const uint8_t *data, size_t size, uint64_t *entry, uint64_t *end,
             const char **why);

#endif
