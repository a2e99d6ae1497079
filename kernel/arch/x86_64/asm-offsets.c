/* asm-offsets.c - struct offsets for the assembly files. Lab 1 (given).
 * Never linked: the build compiles it to assembly text and turns every
 * "->NAME value" line into "%define NAME value" in build/.../asm-offsets.inc,
 * so that NASM code uses the C compiler's own offsets, not numbers typed by
 * hand (see the Makefile). */
#include <stddef.h>

#include "trap.h"

#define DEFINE(name, value) __asm__ volatile("\n.ascii \"->" #name " %c0\"" : : "i"(value))

void asm_offsets(void);

void asm_offsets(void)
{
    DEFINE(ASM_OFFSETS_VERSION, 1);
#if LAB >= 2
    DEFINE(TF_R15, offsetof(struct trap_frame, r15));
    DEFINE(TF_R14, offsetof(struct trap_frame, r14));
    DEFINE(TF_R13, offsetof(struct trap_frame, r13));
    DEFINE(TF_R12, offsetof(struct trap_frame, r12));
    DEFINE(TF_R11, offsetof(struct trap_frame, r11));
    DEFINE(TF_R10, offsetof(struct trap_frame, r10));
    DEFINE(TF_R9, offsetof(struct trap_frame, r9));
    DEFINE(TF_R8, offsetof(struct trap_frame, r8));
    DEFINE(TF_RBP, offsetof(struct trap_frame, rbp));
    DEFINE(TF_RDI, offsetof(struct trap_frame, rdi));
    DEFINE(TF_RSI, offsetof(struct trap_frame, rsi));
    DEFINE(TF_RDX, offsetof(struct trap_frame, rdx));
    DEFINE(TF_RCX, offsetof(struct trap_frame, rcx));
    DEFINE(TF_RBX, offsetof(struct trap_frame, rbx));
    DEFINE(TF_RAX, offsetof(struct trap_frame, rax));
    DEFINE(TF_VECTOR, offsetof(struct trap_frame, vector));
    DEFINE(TF_RIP, offsetof(struct trap_frame, rip));
    DEFINE(TF_CS, offsetof(struct trap_frame, cs));
    DEFINE(TF_RFLAGS, offsetof(struct trap_frame, rflags));
    DEFINE(TF_RSP, offsetof(struct trap_frame, rsp));
    DEFINE(TF_SIZE, sizeof(struct trap_frame));
#endif
}
