/* fault.c - do something only the kernel may do, as argv[1] says, and be
 * killed for it. Lab 6 (given). */
#include "ulib.h"

#pragma GCC diagnostic ignored "-Winfinite-recursion"   /* that is the point */
static int depth(int n)
{
    volatile char pad[512];

    pad[n % 512] = (char)n;
    return depth(n + 1) + pad[n % 512];
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "nullread";
    static uint8_t code_copy[4] = {0xC3};    /* ret, in data */
    volatile uint8_t stack_code[4] = {0xC3};

    printf("fault: %s\n", how);
    if (strcmp(how, "nullread") == 0)
        return *(volatile int *)0;
    if (strcmp(how, "nullwrite") == 0)
        *(volatile int *)0 = 1;
    if (strcmp(how, "kernel") == 0)
        ((void (*)(void))0xffffffff80100000)();
    if (strcmp(how, "writecode") == 0)
        *(volatile uint8_t *)(uintptr_t)main = 0xCC;
    if (strcmp(how, "execdata") == 0)
        ((void (*)(void))(uintptr_t)code_copy)();
    if (strcmp(how, "execstack") == 0)
        ((void (*)(void))(uintptr_t)stack_code)();
    if (strcmp(how, "hlt") == 0)
        __asm__ volatile("hlt");
    if (strcmp(how, "cli") == 0)
        __asm__ volatile("cli");
    if (strcmp(how, "in") == 0)
        __asm__ volatile("inb $0x60, %%al" ::: "rax");
    if (strcmp(how, "out") == 0)
        __asm__ volatile("outb %%al, $0xf4" ::"a"(0x10));
    if (strcmp(how, "cr3") == 0)
        __asm__ volatile("mov %%rax, %%cr3" ::"a"(0));
    if (strcmp(how, "int0e") == 0)
        __asm__ volatile("int $0x0e");
    if (strcmp(how, "stack") == 0)
        return depth(0);
    printf("fault: %s did not fault\n", how);
    return 0;
}
