/* auxv.c - what a Linux program finds on its first stack: argc, argv, envp
 * and the auxiliary vector. Lab 10, exercise 2's program (handout §3.1),
 * built with musl-gcc -static: the same file runs on Linux, so a grader
 * can hold the two runs side by side. One line per fact:
 *     argc N, argv[i] S, envp[i] S          as found
 *     entry rsp % 16: R                     where argc sat (argv - 8)
 *     argv[argc] is NULL: yes|no
 *     envp follows argv: yes|no             envp == argv + argc + 1
 *     argv strings back to back: yes|no     each right after the NUL before
 *     envp strings back to back: yes|no
 *     auxv: AT_NULL ends it, its value V    walked past envp's NULL
 *     at_phdr 0x.. at_phent N at_phnum N at_pagesz N at_entry 0x..
 *     at_uid N at_euid N at_gid N at_egid N at_secure N at_clktck N
 *     at_execfn S, at_platform S
 *     phdrs: this program's: yes|no         AT_PHDR's table has the PT_LOAD
 *                                           that holds AT_ENTRY
 *     at_hwcap is cpuid 1's edx: yes|no     (Linux may hide a feature there)
 *     at_random HEX                         its 16 bytes (different each run)
 * A value the vector lacks prints as "none". */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The vector's value for type, or -1 (shown "none") if it is not there:
 * getauxval's 0 cannot tell a 0 from a missing entry. */
static const unsigned long *vector;

static long aux(unsigned long type)
{
    for (const unsigned long *a = vector; a[0] != AT_NULL; a += 2)
        if (a[0] == type)
            return (long)a[1];
    return -1;
}

static void number(const char *name, unsigned long type, const char *fmt)
{
    long v = aux(type);

    printf("%s ", name);
    if (v == -1)
        printf("none\n");
    else {
        printf(fmt, v);
        printf("\n");
    }
}

static void string(const char *name, unsigned long type)
{
    long v = aux(type);

    printf("%s %s\n", name, v == -1 || v == 0 ? "none" : (const char *)v);
}

/* Does the program-header table at AT_PHDR describe this program: a
 * PT_LOAD segment that holds AT_ENTRY? */
static int phdrs_hold_entry(void)
{
    long phdr = aux(AT_PHDR), phnum = aux(AT_PHNUM), entry = aux(AT_ENTRY);

    if (phdr == -1 || phnum <= 0 || phnum > 64 || entry == -1)
        return 0;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)phdr;
    for (long i = 0; i < phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr <= (unsigned long)entry &&
            (unsigned long)entry < ph[i].p_vaddr + ph[i].p_memsz)
            return 1;
    return 0;
}

/* What the CPU says it has (CPUID leaf 1, edx): AT_HWCAP's value. */
static unsigned cpuid1_edx(void)
{
    unsigned a = 1, b, c = 0, d;

    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return d;
}

/* Does each of the n strings start right after the NUL of the one before,
 * as Linux lays them out? */
static int packed(char **strings, int n)
{
    for (int i = 1; i < n; i++)
        if (strings[i] != strings[i - 1] + strlen(strings[i - 1]) + 1)
            return 0;
    return 1;
}

int main(int argc, char **argv, char **envp)
{
    int envc = 0, n = 0;

    printf("argc %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] %s\n", i, argv[i]);
    for (; envp[envc]; envc++)
        printf("envp[%d] %s\n", envc, envp[envc]);
    printf("entry rsp %% 16: %lu\n", ((uintptr_t)argv - 8) % 16);
    printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
    printf("envp follows argv: %s\n", envp == argv + argc + 1 ? "yes" : "no");
    printf("argv strings back to back: %s\n", packed(argv, argc) ? "yes" : "no");
    printf("envp strings back to back: %s\n", packed(envp, envc) ? "yes" : "no");
    vector = (const unsigned long *)(envp + envc + 1);
    while (vector[2 * n] != AT_NULL && n < 100)
        n++;
    if (n == 100) {
        printf("auxv: no AT_NULL in 100 entries\n");
        return 1;
    }
    printf("auxv: AT_NULL ends it, its value %lu\n", vector[2 * n + 1]);
    number("at_phdr", AT_PHDR, "0x%lx");
    number("at_phent", AT_PHENT, "%ld");
    number("at_phnum", AT_PHNUM, "%ld");
    number("at_pagesz", AT_PAGESZ, "%ld");
    number("at_entry", AT_ENTRY, "0x%lx");
    number("at_uid", AT_UID, "%ld");
    number("at_euid", AT_EUID, "%ld");
    number("at_gid", AT_GID, "%ld");
    number("at_egid", AT_EGID, "%ld");
    number("at_secure", AT_SECURE, "%ld");
    number("at_clktck", AT_CLKTCK, "%ld");
    string("at_execfn", AT_EXECFN);
    string("at_platform", AT_PLATFORM);
    printf("phdrs: this program's: %s\n", phdrs_hold_entry() ? "yes" : "no");
    printf("at_hwcap is cpuid 1's edx: %s\n", aux(AT_HWCAP) == (long)cpuid1_edx() ? "yes" : "no");
    const unsigned char *r = (const unsigned char *)aux(AT_RANDOM);
    printf("at_random ");
    if (r == (const unsigned char *)-1 || r == NULL)
        printf("none");
    else
        for (int i = 0; i < 16; i++)
            printf("%02x", r[i]);
    printf("\n");
    return 0;
}
