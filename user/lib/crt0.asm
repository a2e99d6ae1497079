; crt0.asm - where a user program starts. Lab 6 (given).
;     int main(int argc, char **argv);   /* the program */
;     void exit(int status);             /* ulib */
; At entry (System V ABI): rsp -> argc, then argv[0..argc-1], NULL, envp...,
; and rsp is 16-byte aligned.

section .text
global _start
extern main
extern exit
_start:
    xor ebp, ebp                         ; the outermost frame
    mov rdi, [rsp]                       ; argc
    lea rsi, [rsp + 8]                   ; argv
    call main
    mov edi, eax
    call exit
    ud2

section .note.GNU-stack noalloc noexec nowrite progbits
