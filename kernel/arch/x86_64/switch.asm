; switch.asm - the context switch and a new thread's first instructions.
; Lab 5: switch_to is exercise 1 (handout §3.1), thread_trampoline part of
; exercise 2 (§3.2). C side (thread.h has the contracts):
;     void switch_to(uint64_t *old_rsp, uint64_t new_rsp);
;     void thread_start(struct thread *self);   /* sched.c, never returns */
; The System V ABI lets a called function clobber rax, rcx, rdx, rsi, rdi,
; r8-r11: the caller of switch_to already expects them lost. Only rbx, rbp,
; r12-r15 (and rsp) must survive, so only they are saved.

section .text
global switch_to
switch_to:
%if SOL >= 5
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp                       ; the old thread's stack, with its registers on top
    mov rsp, rsi                         ; the new thread's stack, the same shape
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret                                  ; to where the new thread called switch_to
%else
    ; LAB 5, exercise 1: save the callee-saved registers and rsp of the old
    ; context, resume the new one from new_rsp (handout §3.1)
    ret
%endif

; A new thread's initial stack (thread.c) makes switch_to "return" here,
; with r12 = the thread and rsp 16-byte aligned. It calls
; thread_start(self) as a C function would, ending every backtrace of the
; thread here (rbp = 0); thread_start never returns.
extern thread_start
global thread_trampoline
thread_trampoline:
%if SOL >= 5
    mov rdi, r12
    xor ebp, ebp                         ; the end of every backtrace of this thread
    call thread_start
%else
    ; LAB 5, exercise 2: call thread_start with the thread switch_to left
    ; in r12, as the outermost frame of a backtrace (handout §3.2)
%endif
    ud2

section .note.GNU-stack noalloc noexec nowrite progbits
