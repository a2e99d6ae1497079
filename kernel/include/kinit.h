/* kinit.h - the boot steps, each declared next to the code it starts.
 * Lab 1 (given). `KINIT(order, fn)` registers void fn(void); kmain runs the
 * steps in order: those below KINIT_CMDLINE before it reads the command
 * line (so that their faults are reported), the rest after. A lab adds its
 * steps in its own files, and the linker gathers the ones a build has
 * (linker.ld), so no lab edits kmain. Orders in use:
 *   10 gdt_init  11 idt_init                        (Lab 2)
 *   30 memory_init                                   (Lab 3)
 *   40 heap_start                                    (Lab 4)
 *   50 pic_init  51 pit_start  52 keyboard_init
 *   53 serial_enable_interrupts  58 interrupts_on    (Lab 2)
 *   54 rtc_init                                      (Lab 8)
 *   59 tsc_calibrate  60 sched_init
 *   61 thread_guards_start                           (Lab 5)
 *   62 fpu_init  63 proc_start                       (Lab 6)
 *   64 syscalls_register  65 console_file_init
 *   66 process_start  67 frameref_init               (Lab 7)
 *   68 disk_probe  70 fs_mount  71 fs_hooks_start    (Lab 8)
 *   90 bench_start  91 init_start  92 test_start    (what the command line asks)
 *   93 start_init                                    (Lab 7: /bin/init) */
#ifndef KINIT_H
#define KINIT_H

struct kinit {
    int order;
    const char *name;
    void (*fn)(void);
};

#define KINIT_CMDLINE 20

/* order_ is a literal two-digit number (10..99): it names the section, and
 * the linker sorts the sections by name; kinit_run ASSERTs the order. */
#define KINIT(order_, fn_)                                                   \
    _Static_assert((order_) >= 10 && (order_) <= 99, "KINIT order: 10..99"); \
    static const struct kinit kinit_##fn_                                    \
        __attribute__((used, section("kinit." #order_), aligned(8))) = {     \
            (order_), #fn_, fn_}

/* Run the registered steps with from <= order < to, in order. */
void kinit_run(int from, int to);

#endif
