; usermode.asm - the first entry into ring 3. Lab 6: exercise 2 (handout §3.2).
; C side (proc.c):
;     void enter_user(uint64_t entry, uint64_t user_rsp);   /* returns only if unwritten */
; Contract: called by a process's thread with its CR3 and TSS.rsp0 already
; loaded, interrupts on or off. Never returns: the CPU continues in ring 3
; (cs USER_CODE, ss USER_DATA) at rip = entry with rsp = user_rsp, rflags
; = RFLAGS_IF (interrupts on, IOPL 0), and every other general register 0,
; so that no kernel value reaches the program. Touches no memory but the
; kernel stack it runs on.
; There is no instruction "go to ring 3": we build the frame an interrupt
; from ring 3 would have left on the stack, and return from it with iretq.

USER_CODE equ 0x20 | 3                   ; GDT user code selector, RPL 3
USER_DATA equ 0x18 | 3
RFLAGS_IF equ 0x202                      ; interrupts on (bit 9), bit 1 always set

section .text
global enter_user
enter_user:
%if SOL >= 6
    push USER_DATA                       ; ss
    push rsi                             ; rsp
    push RFLAGS_IF                       ; rflags
    push USER_CODE                       ; cs
    push rdi                             ; rip
    xor eax, eax                         ; leave no kernel values in registers
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d
    iretq
%else
    ; LAB 6, exercise 2: continue in ring 3 at entry (rdi) on the stack
    ; user_rsp (rsi), interrupts on, with no kernel value left in any other
    ; general register (handout §3.2)
    ret
%endif

section .note.GNU-stack noalloc noexec nowrite progbits
