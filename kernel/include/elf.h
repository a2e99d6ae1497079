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
    unsigned char e_ident[EI_NIDENT];   /* [0..3] 0x7f 'E' 'L' 'F', [4] class,
                                         * [5] data (byte order), [6] version */
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
 * file shorter than its header; a bad magic (e_ident[0..3]), class
 * (e_ident[4] not ELFCLASS64), byte order (e_ident[5] not ELFDATA2LSB),
 * type (e_type not ET_EXEC), machine (e_machine not EM_X86_64) or version
 * (e_version not EV_CURRENT; the version byte e_ident[6] is not checked);
 * program headers not of their size (e_phentsize), none, or not inside the
 * file; a PT_LOAD segment with filesz > memsz, memsz > ELF_MAX_SEGMENT,
 * file bytes past the end, p_vaddr outside [USER_MIN_ADDR, USER_TOP) or
 * p_vaddr + p_memsz past USER_TOP, both W and X, or a page of it already
 * mapped by an earlier segment (overlap is per page: two segments that
 * share a page are refused even if their bytes do not overlap); an entry
 * point (e_entry) inside [p_vaddr, p_vaddr + p_memsz) of no PT_LOAD
 * segment with PF_X. A PT_LOAD with p_memsz == 0 passes the same checks
 * and counts for *end (its p_vaddr rounded up to a page); it maps the page
 * holding p_vaddr if p_vaddr is not page-aligned, nothing otherwise, and
 * never holds the entry point. Other program headers are skipped. On
 * success sets *entry and *end (the first page after the highest segment:
 * where brk starts) and returns 0; out of frames, -ENOMEM. On failure some
 * pages may already be mapped: the caller destroys the address space.
 * Thread context, no lock held (it allocates frames); never reads outside
 * data[0..size), whatever the file says. */
int elf_load(pte_t *pml4, const uint8_t *data, size_t size, uint64_t *entry, uint64_t *end,
             const char **why);

#if LAB >= 10
struct exec_info;
/* Lab 10: for a file elf_load accepted, what the auxiliary vector tells
 * the program (linux.h): its entry, and where its program headers are in
 * its memory: the address of file offset e_phoff inside the PT_LOAD
 * segment whose file bytes hold the whole table (phdr 0 if none does). */
void elf_info(const uint8_t *data, size_t size, struct exec_info *info);
#endif

#endif
