; syscall_entry.asm - the `syscall` instruction's way into the kernel, and
; `sysret`'s way back. Lab 10, exercise 1 (handout §2).
; C side (syscall_msr.c puts syscall_entry in the LSTAR MSR):
;     void syscall_entry(void);
; Contract: the CPU jumps here on `syscall` in ring 3 with rcx = the user's
; rip (after the instruction), r11 = the user's rflags, cs and ss the
; kernel's (from STAR), interrupts off (FMASK clears IF), and every other
; register as ring 3 left it, rsp included: `syscall` switches no stack.
; The entry moves to the running thread's kernel stack (syscall_rsp0, the
; same top TSS.rsp0 holds), builds there the struct trap_frame an `int
; 0x80` from ring 3 would have left (vector VECTOR_SYSCALL, error 0, cs and
; ss the user's selectors), and calls trap_dispatch, so one dispatcher runs
; both ways in. On the way out it returns with `sysret` when the frame
; still says what `syscall` left (rip == rcx, rflags == r11, rip canonical:
; a non-canonical rcx makes sysret fault in ring 0, on the user's stack, on
; Intel CPUs; no trap flag), else with iretq through trap_return (execve,
; a signal, rt_sigreturn changed the frame).

%include "trap_frame.inc"

USER_CODE    equ 0x20 | 3                ; GDT user code selector, RPL 3
USER_DATA    equ 0x18 | 3
VECTOR_SYSCALL equ 0x80                  ; trap.h: both ways in are "vector 0x80"
USER_TOP_HI  equ 0x00008000              ; USER_TOP >> 32: the first non-canonical page
RFLAGS_TF_RF equ 0x10100                 ; trap flag and resume flag: leave by iretq

extern trap_dispatch
extern trap_return
extern syscall_rsp0

section .bss
; The user's rsp, kept here for the two instructions between the stack
; switch and its push. One CPU and interrupts off: nothing else runs there.
syscall_user_rsp: resq 1

section .text
global syscall_entry
syscall_entry:
%if SOL >= 10
    mov [rel syscall_user_rsp], rsp
    mov rsp, [rel syscall_rsp0]          ; the thread's kernel stack, empty
    push USER_DATA                       ; ss      - what int 0x80's CPU would push
    push qword [rel syscall_user_rsp]    ; rsp
    push r11                             ; rflags
    push USER_CODE                       ; cs
    push rcx                             ; rip
    push 0                               ; error code
    push VECTOR_SYSCALL                  ; vector
    SAVE_REGISTERS                       ; the registers, as isr_common saves them
    cld
    mov rdi, rsp
    call trap_dispatch                   ; may come back with interrupts on
    cli                                  ; from here to sysret nothing may interrupt
    mov rcx, [rsp + TF_RIP]
    mov r11, [rsp + TF_RFLAGS]
    cmp rcx, [rsp + TF_RCX]              ; the frame changed: iretq restores it all
    jne .iret
    cmp r11, [rsp + TF_R11]
    jne .iret
    test r11, RFLAGS_TF_RF
    jnz .iret
    mov rax, rcx
    shr rax, 32
    cmp rax, USER_TOP_HI                 ; rip must be below USER_TOP (canonical)
    jae .iret
    cmp qword [rsp + TF_CS], USER_CODE
    jne .iret                            ; a cs that sysret cannot give back
    RESTORE_REGISTERS                    ; rcx and r11 too: equal to rip and rflags here
    mov rsp, [rsp + TF_RSP]              ; the user's stack: the last kernel access
    o64 sysret                           ; rip = rcx, rflags = r11, cs/ss from STAR
.iret:
    jmp trap_return
%else
    ; LAB 10, exercise 1: switch to the thread's kernel stack, save a
    ; struct trap_frame there as int 0x80 would, call trap_dispatch, and
    ; go back with sysret when the frame allows it, else through
    ; trap_return (handout §2)
    ud2
%endif

section .note.GNU-stack noalloc noexec nowrite progbits
