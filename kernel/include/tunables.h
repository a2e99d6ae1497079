/* tunables.h - every size and limit the kernel is built with, in one place.
 * Lab 1 (given). Each value is a choice, not a fact of the hardware: change
 * it here and rebuild. Architectural constants (the page size, PTE bits,
 * I/O ports, vectors, the PIT's slowest rate) stay with the code of the
 * hardware they describe; addresses are in memlayout.h. Values are named
 * from Lab 1 on even where the code that uses them comes in a later lab. */
#ifndef TUNABLES_H
#define TUNABLES_H

/* ---- Lab 1: console, command line, monitor ---- */
#define CONSOLE_INPUT_SIZE   256     /* typed characters buffered for console_getc (a power of 2) */
#define CMDLINE_MAX_LEN      512     /* bytes of the kernel command line, with the final NUL */
#define CMDLINE_MAX_WORDS    16      /* words on the kernel command line */
#define MONITOR_LINE_MAX     512     /* the longest line the monitor reads */
#define MONITOR_MAX_ARGS     24      /* words in one monitor command */
#define BACKTRACE_MAX_FRAMES 64      /* a longer backtrace is cut (a loop in the frame chain?) */
#define BENCH_MAX_SAMPLES    63      /* samples one benchmark row takes the median of */

/* ---- Lab 2: interrupts ---- */
#define PIT_DEFAULT_HZ       100     /* timer ticks per second without hz= */
#define PIT_MAX_HZ           10000   /* the fastest hz= accepted */
#define IST_STACK_SIZE       16384   /* bytes of each interrupt stack (double fault, NMI, MC) */

/* ---- Lab 3: memory ---- */
#define MEMMAP_MAX           128     /* firmware memory-map regions kept, and reserved ranges (the boot modules: ~60 programs from Lab 8) */
#define BUDDY_MAX_ORDER      10      /* the largest frame block: 2^10 frames (4 MiB) */
#define PAGING_MAX_GUARDS    16      /* guard pages registered by name at boot */

/* ---- Lab 4: kernel heap ---- */
#define HEAP_DEFAULT_MAX     (1ull << 30)   /* heap size cap without heapmax= */
#define HEAP_SMALL_MAX       1024    /* blocks up to this size have exact-size bins */
#define HEAP_TRIM_KEEP       (16 * 4096)    /* free bytes kept mapped at the top: no map/unmap ping-pong */

/* ---- Lab 5: threads ---- */
#define THREAD_NAME_MAX      16      /* bytes of a thread's (and a process's) name, with the NUL */
#define KSTACK_SIZE          16384   /* bytes of a thread's kernel stack (an order-2 frame block) */
#define MAX_KSTACKS          8192    /* kernel stacks at once: slots in the stack region */
#define MAX_SLEEPERS         8192    /* threads in thread_sleep at once */
#define SCHED_SLICE          2       /* timer ticks a thread runs before preemption */
#define TSC_NO_TICK_CYCLES   4000000000ull  /* TSC cycles (about a second or two) tsc_calibrate waits for a first tick */

/* ---- Lab 6: user mode ---- */
#define USER_STACK_PAGES     16      /* a process's stack: 64 KiB, with a guard page below */
#define USER_BRK_MAX         (64ull << 20)  /* how far brk may grow past the program */
#define ELF_MAX_SEGMENT      (256ull << 20) /* a larger PT_LOAD segment is refused as absurd */
#define PROC_MAX_ARGS        16      /* words in a program's argv, argv[0] included */
#define PROC_ARG_MAX         128     /* bytes of one argument, with the NUL */
#define INIT_MAX_PROGS       16      /* programs in init=..., all groups together */
#define INIT_MAX_LEN         255     /* characters of init='s value */

/* ---- Lab 7: processes ---- */
#define PROC_MAX             64      /* processes at once, zombies included: fork beyond gives -EAGAIN */
#define PROC_MAX_FILES       16      /* file descriptors of one process (0 .. PROC_MAX_FILES - 1) */
#define PIPE_SIZE            4096    /* bytes a pipe holds before its writers block */
#define CONSOLE_LINE_MAX     256     /* characters of one line read from the console */

/* ---- Lab 8: file system ---- */
#define FS_BLOCK_SIZE        1024    /* the ext2 block size mounted (mke2fs -b 1024 in the Makefile) */
#if LAB >= 9
#define BCACHE_BUFS          512     /* buffers in the buffer cache (a transaction keeps its blocks in it) */
#else
#define BCACHE_BUFS          128     /* buffers in the buffer cache (FS_BLOCK_SIZE bytes each) */
#endif
#define FS_MAX_INODES        128     /* inodes in memory at once (iget beyond: -ENFILE) */

/* ---- Lab 9: the journal ---- */
#define JOURNAL_OP_BLOCKS    64      /* the most blocks one operation may log (a write is cut to fit) */
#define JOURNAL_TX_BLOCKS    256     /* a transaction commits before it would log more */
#define JOURNAL_COMMIT_MS    1000    /* the running transaction commits at least this often */
#define FS_WRITE_CHUNK       32768   /* bytes of a write(2) in one operation (fits JOURNAL_OP_BLOCKS) */

/* ---- Lab 10: Linux binaries ---- */
#define MMAP_MAX_REGIONS     256     /* regions in a process's mmap list (touching ones merge): mmap beyond gives -ENOMEM */

#endif
