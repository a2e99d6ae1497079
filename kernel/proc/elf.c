/* elf.c - load an ELF64 executable into a user address space.
 * Lab 6: elf_load and map_segment are exercise 1 (handout §3.1). Every
 * field of the file is untrusted: a bad file must give -ENOEXEC and a
 * reason, never a fault, a hang or a mapping into the kernel half. */
#include "elf.h"
#include "errno.h"
#include "memlayout.h"
#include "panic.h"
#include "pmm.h"
#include "string.h"
#if LAB >= 10
#include "linux.h"
#endif

/* Map the pages of one checked PT_LOAD segment ph of the file data into
 * pml4: every page va from the one holding p_vaddr while va < p_vaddr +
 * p_memsz (the page holding the last byte, p_vaddr + p_memsz - 1, is the
 * last; with p_memsz == 0, the page holding p_vaddr if p_vaddr is not
 * page-aligned, else none), each a fresh zeroed frame (pmm_alloc_zeroed)
 * holding the part of [p_offset, p_offset + p_filesz) of the file that
 * lands in it, the rest zero (bss), mapped (vmm_map) VM_USER, plus
 * VM_WRITE for PF_W and VM_EXEC for PF_X. Returns 0, -ENOMEM, or
 * -ENOEXEC if a page is already mapped (segments overlap, page-wise: two
 * segments may not share a page); pages mapped before a failure stay (the
 * caller destroys the address space). Thread context; may call pmm,
 * vmm_map and memcpy. */
static int map_segment(pte_t *pml4, const uint8_t *data, const struct elf64_phdr *ph)
{
#if SOL >= 6
    unsigned flags = VM_USER | (ph->p_flags & PF_W ? VM_WRITE : 0) | (ph->p_flags & PF_X ? VM_EXEC : 0);
    uint64_t start = ph->p_vaddr & ~(PAGE_SIZE - 1), end = ph->p_vaddr + ph->p_memsz;
    uint64_t file_end = ph->p_vaddr + ph->p_filesz;

    for (uint64_t va = start; va < end; va += PAGE_SIZE) {
        uint64_t pa = pmm_alloc_zeroed();
        if (pa == 0)
            return -ENOMEM;
        /* The part of the file that lands in this page, if any. */
        uint64_t lo = va > ph->p_vaddr ? va : ph->p_vaddr;
        uint64_t hi = va + PAGE_SIZE < file_end ? va + PAGE_SIZE : file_end;
        if (lo < hi)
            memcpy((uint8_t *)phys_to_virt(pa) + (lo - va), data + ph->p_offset + (lo - ph->p_vaddr),
                   hi - lo);
        int err = vmm_map(pml4, va, pa, flags);
        if (err) {
            pmm_free(pa);
            return err == -EEXIST ? -ENOEXEC : err;    /* -EEXIST: segments overlap */
        }
    }
    return 0;
#else
    /* LAB 6, exercise 1: map every page the segment covers with a fresh
     * zeroed frame holding its file bytes, permissions from p_flags; an
     * overlap gives -ENOEXEC (handout §3.1) */
    (void)pml4, (void)data, (void)ph;
    return -ENOMEM;
#endif
}

#define REFUSE(reason)       \
    do {                     \
        *why = (reason);     \
        return -ENOEXEC;     \
    } while (0)

/* Contract in elf.h. Thread context; may call map_segment (which
 * allocates frames and maps pages), memcmp; REFUSE("reason") sets *why and
 * returns -ENOEXEC. */
int elf_load(pte_t *pml4, const uint8_t *data, size_t size, uint64_t *entry, uint64_t *end,
             const char **why)
{
    ASSERT(pml4 != NULL && entry != NULL && end != NULL && why != NULL);
    const struct elf64_ehdr *eh = (const struct elf64_ehdr *)data;

    *end = 0;
#if SOL >= 6
    if (size < sizeof *eh)
        REFUSE("shorter than an ELF header");
    if (memcmp(eh->e_ident, "\x7f" "ELF", 4) != 0)
        REFUSE("bad magic (not an ELF file)");
    if (eh->e_ident[4] != ELFCLASS64)
        REFUSE("not a 64-bit ELF file");
    if (eh->e_ident[5] != ELFDATA2LSB)
        REFUSE("not little-endian");
    if (eh->e_type != ET_EXEC || eh->e_machine != EM_X86_64 || eh->e_version != EV_CURRENT)
        REFUSE("not an x86-64 static executable (e_type, e_machine or e_version)");
    if (eh->e_phentsize != sizeof(struct elf64_phdr) || eh->e_phnum == 0 ||
        eh->e_phoff > size || eh->e_phnum > (size - eh->e_phoff) / sizeof(struct elf64_phdr))
        REFUSE("program headers missing or past the end of the file");

    const struct elf64_phdr *ph = (const struct elf64_phdr *)(data + eh->e_phoff);
    bool entry_ok = false;
    for (int i = 0; i < eh->e_phnum; i++) {
        const struct elf64_phdr *p = &ph[i];
        if (p->p_type != PT_LOAD)
            continue;
        if (p->p_filesz > p->p_memsz)
            REFUSE("a segment with more bytes in the file than in memory (filesz > memsz)");
        if (p->p_memsz > ELF_MAX_SEGMENT)
            REFUSE("a segment of an absurd size");
        if (p->p_offset > size || p->p_filesz > size - p->p_offset)
            REFUSE("a segment's bytes past the end of the file");
        if (p->p_vaddr < USER_MIN_ADDR || p->p_vaddr >= USER_TOP ||
            p->p_vaddr + p->p_memsz > USER_TOP)
            REFUSE("a segment outside the user half");
        if ((p->p_flags & PF_W) && (p->p_flags & PF_X))
            REFUSE("a segment both writable and executable (W^X)");
        int err = map_segment(pml4, data, p);
        if (err == -ENOEXEC)
            REFUSE("segments overlap");
        if (err)
            return err;
        if ((p->p_flags & PF_X) && eh->e_entry >= p->p_vaddr && eh->e_entry < p->p_vaddr + p->p_memsz)
            entry_ok = true;
        uint64_t seg_end = (p->p_vaddr + p->p_memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        if (seg_end > *end)
            *end = seg_end;
    }
    if (!entry_ok)
        REFUSE("the entry point is in no executable segment");
    *entry = eh->e_entry;
    return 0;
#else
    /* LAB 6, exercise 1: refuse, with a reason, a file whose header or
     * PT_LOAD program headers break a rule of the loader's contract; map
     * each good segment (map_segment); set *entry and *end (handout §3.1) */
    (void)pml4, (void)data, (void)size, (void)entry, (void)map_segment, (void)eh;
    REFUSE("the ELF loader is not written yet (LAB 6, exercise 1: start here)");
#endif
}

#if LAB >= 10
/* Contract in elf.h. The file was checked by elf_load: its headers are
 * inside data. */
void elf_info(const uint8_t *data, size_t size, struct exec_info *info)
{
    const struct elf64_ehdr *eh = (const void *)data;
    uint64_t table_end = eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr);

    ASSERT(size >= sizeof *eh && table_end <= size);
    info->entry = eh->e_entry;
    info->phnum = eh->e_phnum;
    info->phdr = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        const struct elf64_phdr *ph = (const void *)(data + eh->e_phoff + i * sizeof *ph);
        if (ph->p_type == PT_LOAD && ph->p_offset <= eh->e_phoff &&
            table_end <= ph->p_offset + ph->p_filesz)
            info->phdr = ph->p_vaddr + (eh->e_phoff - ph->p_offset);
    }
}
#endif
