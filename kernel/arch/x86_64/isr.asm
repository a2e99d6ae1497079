; isr.asm - entry stubs for all 256 interrupt vectors. Lab 2 (given).
; C side (trap.h):
;     void trap_dispatch(struct trap_frame *tf);
;     extern const uint64_t isr_stub_table[256];   /* stub address per vector */
; Each stub pushes an error code (a dummy 0 where the CPU pushes none) and
; its vector number, then jumps to isr_common, which saves the registers into
; the rest of the struct trap_frame, calls trap_dispatch, restores everything
; and returns with iretq. Offsets come from asm-offsets.inc (generated from
; the C struct). Handout lab2 §2.3 draws the frame.

%include "asm-offsets.inc"

section .text

; Vectors for which the CPU pushes an error code: 8, 10-14, 17, 21, 29, 30.
%macro ISR_STUB 1
isr_stub_%1:
%if (%1 == 8) || (%1 >= 10 && %1 <= 14) || (%1 == 17) || (%1 == 21) || (%1 == 29) || (%1 == 30)
%else
    push 0                               ; no CPU error code: keep the frame uniform
%endif
    push %1
    jmp isr_common
%endmacro

%assign v 0
%rep 256
    ISR_STUB v
%assign v v + 1
%endrep

extern trap_dispatch
isr_common:
    ; The CPU aligned rsp to 16 before pushing ss..rip (5 words); with the
    ; error code and vector that is 7 words, and 15 registers make 22: the
    ; stack is 16-byte aligned at the call below, as the ABI requires.
    sub rsp, TF_VECTOR
    mov [rsp + TF_RAX], rax
    mov [rsp + TF_RBX], rbx
    mov [rsp + TF_RCX], rcx
    mov [rsp + TF_RDX], rdx
    mov [rsp + TF_RSI], rsi
    mov [rsp + TF_RDI], rdi
    mov [rsp + TF_RBP], rbp
    mov [rsp + TF_R8], r8
    mov [rsp + TF_R9], r9
    mov [rsp + TF_R10], r10
    mov [rsp + TF_R11], r11
    mov [rsp + TF_R12], r12
    mov [rsp + TF_R13], r13
    mov [rsp + TF_R14], r14
    mov [rsp + TF_R15], r15
    cld                                  ; the C ABI wants the direction flag clear
    mov rdi, rsp
    call trap_dispatch
global trap_return
trap_return:
    mov rax, [rsp + TF_RAX]
    mov rbx, [rsp + TF_RBX]
    mov rcx, [rsp + TF_RCX]
    mov rdx, [rsp + TF_RDX]
    mov rsi, [rsp + TF_RSI]
    mov rdi, [rsp + TF_RDI]
    mov rbp, [rsp + TF_RBP]
    mov r8, [rsp + TF_R8]
    mov r9, [rsp + TF_R9]
    mov r10, [rsp + TF_R10]
    mov r11, [rsp + TF_R11]
    mov r12, [rsp + TF_R12]
    mov r13, [rsp + TF_R13]
    mov r14, [rsp + TF_R14]
    mov r15, [rsp + TF_R15]
    add rsp, TF_RIP                      ; drop the registers, vector and error code
    iretq

section .rodata
global isr_stub_table
align 8
isr_stub_table:
%assign v 0
%rep 256
    dq isr_stub_ %+ v
%assign v v + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
