; isr.asm - entry stubs for all 256 interrupt vectors. Lab 2 (given).
; C side (trap.h):
;     void trap_dispatch(struct trap_frame *tf);
;     extern const uint64_t isr_stub_table[256];   /* stub address per vector */
; Each stub pushes an error code (a dummy 0 where the CPU pushes none) and
; its vector number, then jumps to isr_common, which saves the registers into
; the rest of the struct trap_frame, calls trap_dispatch, restores everything
; and returns with iretq. The saves and restores are trap_frame.inc's
; macros (offsets from asm-offsets.inc, generated from the C struct).
; Handout lab2 §2.3 draws the frame.

%include "trap_frame.inc"

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
    SAVE_REGISTERS
    cld                                  ; the C ABI wants the direction flag clear
    mov rdi, rsp
    call trap_dispatch
global trap_return
trap_return:
    RESTORE_REGISTERS
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
