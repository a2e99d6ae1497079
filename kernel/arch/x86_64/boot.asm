; boot.asm - Multiboot2 header, 32-bit entry, early page tables, long mode.
; Lab 1 (given). GRUB jumps to _start in 32-bit protected mode with paging off,
; eax = Multiboot2 magic, ebx = physical address of the boot information.
; We check both, build the boot page tables, enable long mode and jump to the
; higher-half kernel, which calls
;     void kmain(uint32_t magic, uint64_t mb2_info_phys);
; Handout lab1 §1 walks through every step.

KERNEL_VMA      equ 0xFFFFFFFF80000000   ; must match linker.ld and include/memlayout.h
MB2_HEADER_MAGIC equ 0xE85250D6
MB2_LOADER_MAGIC equ 0x36D76289
PTE_P   equ 1 << 0                       ; present
PTE_W   equ 1 << 1                       ; writable
PTE_PS  equ 1 << 7                       ; 2 MiB page (in a page directory)
QEMU_EXIT_PORT equ 0xF4
QEMU_EXIT_FAILURE equ 0x11               ; QEMU exits with (0x11 << 1) | 1 = 35

; ---------------------------------------------------------------------------
section .multiboot2
align 8
mb2_header:
    dd MB2_HEADER_MAGIC
    dd 0                                 ; architecture: i386 protected mode
    dd mb2_header_end - mb2_header
    dd 0x100000000 - (MB2_HEADER_MAGIC + 0 + (mb2_header_end - mb2_header))
    dw 0, 0                              ; end tag: type 0, flags 0,
    dd 8                                 ; size 8
mb2_header_end:

; ---------------------------------------------------------------------------
; exec, so that GDB sees code here: a function _start to `hbreak`, and the
; boot.asm line of each instruction (NASM records lines in exec sections only).
section .boot.text progbits alloc exec nowrite
bits 32
global _start:function (cpu_has_long_mode - _start)
_start:
    cli
    cld
    mov esp, boot_stack_top - KERNEL_VMA ; the stack lives in .bss: use its physical address
    mov edi, eax                         ; keep magic and info for kmain (System V args)
    mov esi, ebx

    cmp eax, MB2_LOADER_MAGIC
    jne .no_multiboot
    call cpu_has_long_mode
    test eax, eax
    jz .no_long_mode

    call build_boot_page_tables
    mov eax, cr4
    or eax, 1 << 5                       ; CR4.PAE: 64-bit page-table entries
    mov cr4, eax
    mov eax, boot_pml4
    mov cr3, eax
    mov ecx, 0xC0000080                  ; EFER
    rdmsr
    or eax, 1 << 8                       ; EFER.LME: long mode enable
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | 1                ; CR0.PG | CR0.PE: paging on -> long mode active
    mov cr0, eax
    lgdt [boot_gdt_ptr]
    jmp 0x08:long_mode_entry             ; far jump loads the 64-bit code segment

.no_multiboot:
    mov esi, msg_no_multiboot
    jmp boot_fail
.no_long_mode:
    mov esi, msg_no_long_mode
    jmp boot_fail

; Returns eax != 0 if CPUID exists and reports long mode (CPUID 0x80000001, EDX bit 29).
cpu_has_long_mode:
    pushfd                               ; CPUID exists iff EFLAGS.ID (bit 21) can be flipped
    pop eax
    mov ecx, eax
    xor eax, 1 << 21
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    xor eax, ecx
    jz .no
    push ebx                             ; cpuid clobbers ebx
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .no_pop
    mov eax, 0x80000001
    cpuid
    pop ebx
    mov eax, edx
    and eax, 1 << 29
    ret
.no_pop:
    pop ebx
.no:
    xor eax, eax
    ret

; Identity-map and direct-map the first 4 GiB with 2 MiB pages, and map the
; first 2 GiB again at KERNEL_VMA (the kernel runs there):
;   PML4[0]   -> boot_pdpt_low  (identity: needed while we still run at low addresses)
;   PML4[256] -> boot_pdpt_low  (0xFFFF800000000000: direct map of physical memory)
;   PML4[511] -> boot_pdpt_high, whose entries 510 and 511 reuse boot_pd 0 and 1.
build_boot_page_tables:
    xor ecx, ecx
.pd_entry:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_P | PTE_W | PTE_PS
    mov [boot_pd + ecx * 8], eax
    mov dword [boot_pd + ecx * 8 + 4], 0
    inc ecx
    cmp ecx, 4 * 512
    jb .pd_entry
    xor ecx, ecx
.pdpt_entry:
    mov eax, ecx
    shl eax, 12
    add eax, boot_pd + (PTE_P | PTE_W)
    mov [boot_pdpt_low + ecx * 8], eax
    inc ecx
    cmp ecx, 4
    jb .pdpt_entry
    mov dword [boot_pdpt_high + 510 * 8], boot_pd + (PTE_P | PTE_W)
    mov dword [boot_pdpt_high + 511 * 8], boot_pd + 4096 + (PTE_P | PTE_W)
    mov dword [boot_pml4], boot_pdpt_low + (PTE_P | PTE_W)
    mov dword [boot_pml4 + 256 * 8], boot_pdpt_low + (PTE_P | PTE_W)
    mov dword [boot_pml4 + 511 * 8], boot_pdpt_high + (PTE_P | PTE_W)
    ret

; Print the NUL-terminated string at esi on COM1, then ask QEMU to exit with
; failure status. On real hardware the exit port does nothing, so halt forever.
boot_fail:
    mov dx, 0x3F8
.next:
    mov al, [esi]
    test al, al
    jz .halt
    out dx, al
    inc esi
    jmp .next
.halt:
    mov dx, QEMU_EXIT_PORT
    mov al, QEMU_EXIT_FAILURE
    out dx, al
.hang:
    hlt
    jmp .hang

bits 64
long_mode_entry:
    mov rax, higher_half_entry           ; an absolute 64-bit address: leave the low mapping
    jmp rax

; ---------------------------------------------------------------------------
section .boot.data
msg_no_multiboot:
    db 13, 10, "boot: not started by a Multiboot2 boot loader (bad magic in eax); halting", 13, 10, 0
msg_no_long_mode:
    db 13, 10, "boot: this CPU has no 64-bit long mode (CPUID 0x80000001 EDX.LM = 0); halting", 13, 10, 0

align 8
boot_gdt:
    dq 0                                 ; null descriptor
    dq 0x00AF9A000000FFFF                ; 0x08: 64-bit kernel code (L=1, DPL 0)
    dq 0x00CF92000000FFFF                ; 0x10: kernel data
boot_gdt_end:
boot_gdt_ptr:                            ; used in 32-bit mode: physical base
    dw boot_gdt_end - boot_gdt - 1
    dd boot_gdt
boot_gdt_ptr64:                          ; used in the higher half: virtual base
    dw boot_gdt_end - boot_gdt - 1
    dq boot_gdt + KERNEL_VMA

section .boot.bss nobits alloc write
align 4096
global boot_pml4
boot_pml4:      resb 4096
boot_pdpt_low:  resb 4096
boot_pdpt_high: resb 4096
boot_pd:        resb 4 * 4096

; ---------------------------------------------------------------------------
; noexec for NASM only: its debug information gives a file one address range,
; so lines recorded in a second exec section, far from the first, make GDB
; print internal warnings in every backtrace. The linker still puts this code
; in the kernel's .text, which is executable.
section .text progbits alloc noexec nowrite align=16
extern kmain
global higher_half_entry:function (HIGHER_HALF_ENTRY_SIZE)
higher_half_entry:
    lgdt [boot_gdt_ptr64]
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, boot_stack_top              ; 16-byte aligned, as the ABI wants before a call
    xor ebp, ebp                         ; rbp = 0 ends every backtrace here
    mov edi, edi                         ; upper halves are undefined after the mode switch
    mov esi, esi
    call kmain
    cli                                  ; kmain never returns; if it did, stop here
    hlt
    jmp $ - 1                            ; back to the hlt (no label: backtraces
                                         ; should name higher_half_entry)
HIGHER_HALF_ENTRY_SIZE equ $ - higher_half_entry   ; a number, not a label (same reason)

section .bss
align 4096
global boot_stack_guard
boot_stack_guard:                        ; unmapped from Lab 3 on: an overflow faults
    resb 4096
boot_stack:
    resb 16384
global boot_stack_top
boot_stack_top:

; ---------------------------------------------------------------------------
; For debuggers only: DWARF call-frame information saying that
; higher_half_entry has no caller, so GDB's `bt` ends there. Without it GDB
; guesses the caller's frame from rsp and walks hundreds of garbage frames
; past the top of the boot stack. NASM has no CFI directives: these are the
; bytes of GAS's `.cfi_undefined rip` (DWARF 4 §6.4.1). The kernel's own
; backtrace does not read them; it stops at the rbp = 0 set above.
section .debug_frame noalloc
align 8
debug_frame_cie:                         ; Common Information Entry
    dd .end - $ - 4                      ; length of what follows
    dd 0xFFFFFFFF                        ; CIE id
    db 1                                 ; version
    db 0                                 ; augmentation: none
    db 1                                 ; code alignment factor
    db 0x78                              ; data alignment factor: -8 (SLEB128)
    db 16                                ; return-address column: rip
    db 0x0C, 7, 8                        ; DW_CFA_def_cfa rsp+8
    align 8, db 0                        ; DW_CFA_nop padding
.end:
debug_frame_higher_half_entry:           ; Frame Description Entry
    dd .end - $ - 4
    dd debug_frame_cie                   ; its CIE: an offset into .debug_frame
    dq higher_half_entry                 ; the code it covers
    dq HIGHER_HALF_ENTRY_SIZE
    db 0x07, 16                          ; DW_CFA_undefined rip: no return address
    align 8, db 0
.end:

section .note.GNU-stack noalloc noexec nowrite progbits   ; no executable stack
