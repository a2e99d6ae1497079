/* thread.c - creating, joining and freeing threads; their kernel stacks.
 * Lab 5: the initial stack frame in thread_prepare_stack is exercise 2
 * (handout §3.2); thread_join and thread_free are exercise 6 (§3.6); the
 * rest is given. */
#include <stddef.h>

#include "thread.h"
#include "kinit.h"
#include "console.h"
#include "kmalloc.h"
#include "paging.h"
#include "panic.h"
#include "pmm.h"
#include "string.h"
#include "monitor.h"

/* Kernel stacks live in their own region, one 32 KiB slot each:
 *   slot + 0        guard page, never mapped: an overflow faults here
 *   slot + 4 KiB    16 KiB of stack (an order-2 block of frames)
 *   slot + 20 KiB   unused
 * (KSTACK_REGION and KSTACK_SLOT in memlayout.h, MAX_KSTACKS in tunables.h.) */

static int free_slots[MAX_KSTACKS];  /* a stack of slot numbers given back */
static int nfree_slots, next_new_slot;
static struct thread *all_threads;   /* for ps */
static int next_id = 1;

extern char thread_trampoline[];

static uint64_t kstack_alloc_locked(int *slot_out)
{
    int slot = nfree_slots ? free_slots[--nfree_slots] : next_new_slot++;
    uint64_t block = pmm_alloc(2), base = KSTACK_REGION + slot * KSTACK_SLOT + PAGE_SIZE;

    if (slot >= MAX_KSTACKS || block == 0)
        goto fail;
    for (int i = 0; i < 4; i++)
        if (vmm_map(kernel_pml4, base + i * PAGE_SIZE, block + i * PAGE_SIZE, VM_WRITE) != 0) {
            while (i-- > 0)
                vmm_unmap(kernel_pml4, base + i * PAGE_SIZE, NULL);
            goto fail;
        }
    *slot_out = slot;
    return base;
fail:
    if (block)
        pmm_free(block);
    if (slot < MAX_KSTACKS)
        free_slots[nfree_slots++] = slot;
    return 0;
}

/* The kernel's page tables and the slot list are shared: interrupts off. */
static uint64_t kstack_alloc(int *slot_out)
{
    push_cli();
    uint64_t base = kstack_alloc_locked(slot_out);
    pop_cli();
    return base;
}

static void kstack_free(uint64_t base, int slot)
{
    uint64_t first = 0;

    push_cli();
    for (int i = 0; i < 4; i++) {
        uint64_t pa;
        if (vmm_unmap(kernel_pml4, base + i * PAGE_SIZE, &pa) == 0 && i == 0)
            first = pa;
    }
    if (first)
        pmm_free(first);                 /* the order-2 block starts at the first page */
    free_slots[nfree_slots++] = slot;
    pop_cli();
}

const char *kstack_guard_name(uint64_t addr)
{
    if (addr < KSTACK_REGION || addr >= KSTACK_REGION + MAX_KSTACKS * KSTACK_SLOT ||
        (addr - KSTACK_REGION) % KSTACK_SLOT >= PAGE_SIZE)
        return NULL;
    return "kernel stack of a thread";
}

/* Build the stack a new thread starts from (contract in thread.h), so that
 * switch_to to t->rsp "returns" into thread_trampoline with r12 = t. */
void thread_prepare_stack(struct thread *t)
{
#if SOL >= 5
    /* switch_to pops r15 r14 r13 r12 rbx rbp, then returns: lay them out
     * from the lowest address up, below the return address. After that
     * ret, rsp = top - 16 is 16-byte aligned, so the trampoline's call
     * enters thread_start with rsp = 8 mod 16, as the ABI wants. */
    uint64_t *sp = (uint64_t *)(t->kstack + KSTACK_SIZE) - 2;
    *--sp = (uint64_t)thread_trampoline; /* switch_to's ret goes here */
    *--sp = 0;                           /* rbp */
    *--sp = 0;                           /* rbx */
    *--sp = (uint64_t)t;                 /* r12: the trampoline's argument */
    *--sp = 0;                           /* r13 */
    *--sp = 0;                           /* r14 */
    *--sp = 0;                           /* r15 */
    t->rsp = (uint64_t)sp;
#else
    /* LAB 5, exercise 2: give t the initial frame that makes switch_to start
     * it in thread_trampoline, as thread.h says (handout §3.2) */
    (void)t;
#endif
}

/* Is t's first frame what switch_to and the trampoline need? (A check of
 * exercise 2, so that a mistake is reported, not a crash.) */
static bool stack_ok(const struct thread *t)
{
    const uint64_t *sp = (const uint64_t *)t->rsp;

    return t->rsp >= t->kstack && t->rsp + 7 * 8 <= t->kstack + KSTACK_SIZE &&
           (t->rsp + 7 * 8) % 16 == 0 && sp[6] == (uint64_t)thread_trampoline &&
           sp[3] == (uint64_t)t;
}

void thread_register(struct thread *t)
{
    push_cli();
    t->all_next = all_threads;
    all_threads = t;
    pop_cli();
}

/* Unused until exercise 6 (thread_free) calls it: the attribute keeps -Werror quiet. */
__attribute__((unused)) static void thread_unregister(struct thread *t)
{
    push_cli();
    for (struct thread **p = &all_threads; *p; p = &(*p)->all_next)
        if (*p == t) {
            *p = t->all_next;
            break;
        }
    pop_cli();
}

struct thread *thread_create(int (*fn)(void *), void *arg, const char *name)
{
    if (!sched_running())
        return NULL;
    struct thread *t = kcalloc(1, sizeof *t);
    if (t == NULL || (t->kstack = kstack_alloc(&t->kstack_slot)) == 0) {
        kfree(t);
        return NULL;
    }
    t->fn = fn;
    t->arg = arg;
    t->priority = PRIO_DEFAULT;
#if LAB >= 6
    thread_fpu_reset(t);
#endif
    strlcpy(t->name, name, sizeof t->name);
    thread_prepare_stack(t);
    if (!stack_ok(t)) {
        kprintf("thread_create: the new thread's first stack frame is not right "
                "(LAB 5, exercise 2)\n");
        kstack_free(t->kstack, t->kstack_slot);
        kfree(t);
        return NULL;
    }
    thread_register(t);
    push_cli();
    t->id = next_id++;
    sched_make_runnable(t);
    pop_cli();
    return t;
}

/* Give back everything t holds, once it is a ZOMBIE that nobody will run
 * or join again: its place on the list of all threads (thread_unregister),
 * its kernel stack and slot (kstack_free) and its struct (kfree). Any
 * interrupt state, no spinlock held. */
static void thread_free(struct thread *t)
{
    ASSERT(t->state == THREAD_ZOMBIE);
#if SOL >= 5
    thread_unregister(t);
    kstack_free(t->kstack, t->kstack_slot);
    kfree(t);
#else
    /* LAB 5, exercise 6: free t's stack, its slot and its struct, and take
     * it off the list of all threads (handout §3.6) */
#endif
}

int thread_join(struct thread *t)
{
    int value;

    ASSERT(t != NULL && t != current);
#if SOL >= 5
    push_cli();
    while (t->state != THREAD_ZOMBIE)    /* woken by thread_exit; check again anyway */
        waitqueue_sleep(&t->joiners, NULL);
    pop_cli();
    value = t->exit_value;
#else
    /* LAB 5, exercise 6: wait until t has ended, and take its exit value
     * (handout §3.6) */
    value = -1;
    if (t->state != THREAD_ZOMBIE)
        return value;                    /* the stub cannot wait: t is left alone */
#endif
    /* t has ended: what it holds goes with it. */
#if LAB >= 6
    thread_fpu_forget(t);
#endif
    thread_free(t);
    return value;
}

void thread_print_all(void)
{
    static const char *const states[] = {"runnable", "running", "blocked", "zombie"};

    kprintf("  %4s %-16s %-9s %s\n", "ID", "NAME", "STATE", "TICKS");
    push_cli();
    for (struct thread *t = all_threads; t; t = t->all_next)
        kprintf("  %4d %-16s %-9s %lu\n", t->id, t->name, states[t->state], t->ticks_run);
    pop_cli();
}

MONITOR_COMMAND(ps, "the threads: id, name, state, timer ticks run")
{
    (void)argc, (void)argv;
    thread_print_all();
    return 0;
}

/* Boot step (just after sched_init): page faults in a kernel stack's guard
 * page are reported with the thread's name. */
static void thread_guards_start(void)
{
    paging_add_guard_namer(kstack_guard_name);
}
KINIT(61, thread_guards_start);
