# Makefile - the one entry point: build, run, debug, grade, test.
# `make help` lists the targets. Every build goes to build/labLAB-solSOL/, so
# switching LAB or SOL never reuses objects built for another milestone.

# ---- which milestone -------------------------------------------------------
# The labs come from labs/labs.txt, read here by awk (cheaper than a Python
# start at every make) and by grader/course.py everywhere else; test_lint.py
# checks that the two agree.
LAB_NUMBERS := $(shell awk '!/^\#/ && NF {print $$1}' labs/labs.txt)
LAB_MAX := $(lastword $(LAB_NUMBERS))
LAB ?= $(LAB_MAX)
SOL ?= $(LAB)
ifeq ($(filter $(LAB),$(LAB_NUMBERS)),)
$(error LAB=$(LAB) is not a lab of this course; the labs are: $(LAB_NUMBERS))
endif

# The instructor's tree holds every milestone; a student's repository holds
# one: its code is at lab LAB_MAX, so an earlier LAB cannot be built from it.
# There `make grade LAB=n` grades lab n's tests with the current code.
INSTRUCTOR := $(wildcard labs/handout.py)
# (for `make help`, which tells each what they have)
TEST_WHAT_INSTRUCTOR := , milestone checks
LAB_VARIABLES := LAB=1..$(LAB_MAX) (default $(LAB_MAX)), SOL=0..LAB (default LAB), 
ifeq ($(INSTRUCTOR),)
ifneq ($(LAB),$(LAB_MAX))
ifneq ($(filter grade,$(MAKECMDGOALS)),)
$(info teachos: your repository is at lab $(LAB_MAX): grading lab $(LAB)'s tests with it (same as make grade ONLY=$(LAB)))
override ONLY := $(LAB)
override LAB := $(LAB_MAX)
else
$(error LAB=$(LAB): your repository is at lab $(LAB_MAX) and builds only that; to grade lab $(LAB)'s tests with your code: make grade ONLY=$(LAB))
endif
endif
endif
ifeq ($(shell [ "$(SOL)" -ge 0 ] 2>/dev/null && [ "$(SOL)" -le $(LAB) ] && echo ok),)
$(error SOL=$(SOL) must be 0..LAB=$(LAB): solutions exist only up to the current lab)
endif
LAB_TITLE := $(shell awk '$$1 == "$(LAB)" {$$1 = $$2 = ""; sub(/^ +/, ""); print}' labs/labs.txt)

B := build/lab$(LAB)-sol$(SOL)
PYTHON := /usr/bin/python3
GDB_PORT := $(shell echo $$(( $$(id -u) % 5000 + 25000 )))
CMDLINE ?=
MEM ?= 128M
QEMUFLAGS ?=
export PYTHON

# ---- sources: everything under kernel/ except files of later labs ----------
LATER_FILES := $(shell awk '!/^\#/ && NF && $$2 > $(LAB) {print $$1}' labs/files.txt)
ASM_OFFSETS_SRC := kernel/arch/x86_64/asm-offsets.c
C_SRCS := $(filter-out $(LATER_FILES) $(ASM_OFFSETS_SRC),$(sort $(shell find kernel -name '*.c')))
ASM_SRCS := $(filter-out $(LATER_FILES),$(sort $(shell find kernel -name '*.asm')))
OBJS := $(C_SRCS:%.c=$(B)/%.o) $(ASM_SRCS:%.asm=$(B)/%.o)
LINKER_SCRIPT := kernel/arch/x86_64/linker.ld

# User programs (Lab 6 on): the tiny C library, then one ELF per user/*.c.
ifeq ($(shell [ $(LAB) -ge 6 ] && echo y),y)
USER_SRCS := $(filter-out $(LATER_FILES),$(sort $(wildcard user/*.c)))
USER_ELFS := $(USER_SRCS:user/%.c=$(B)/user/%.elf)
endif
USER_LIB := $(addprefix $(B)/user/lib/,crt0.o ulib.o printf.o string.o)

# The disk (Lab 8 on): an ext2 image made by mke2fs -d (grader/disk.py holds
# its options) from a staging tree: /bin/NAME for each user program, /etc and
# /home from user/disk/, /home/numbers.txt (big enough for an indirect
# block), an empty /tmp. Every grader test boots a copy of the pristine
# image; disk.img is yours: make run keeps it from run to run, so the files
# you make stay, and `make disk` starts it afresh from the pristine one.
ifeq ($(shell [ $(LAB) -ge 8 ] && echo y),y)
DISK_SRCS := $(filter-out $(LATER_FILES),$(sort $(shell find user/disk -type f -o -type l)))
DISK_STAGING := $(B)/disk-root
DISK_PRISTINE := $(B)/disk-pristine.img
DISK := $(B)/disk.img
DISK_ARG := --disk $(DISK)
# Lab 9 on: ext3 (the same with a journal, which the kernel writes).
DISK_MKFS := $(if $(shell [ $(LAB) -ge 9 ] && echo y),mkfs3,mkfs)
# Lab 10 on: Debian's own busybox-static binary, the host's, as /bin/busybox,
# and user/musl/NAME.c built with Debian's musl-gcc -static as /bin/NAME:
# Linux programs with a real C library, unchanged.
ifeq ($(shell [ $(LAB) -ge 10 ] && echo y),y)
BUSYBOX := /bin/busybox
MUSL_SRCS := $(filter-out $(LATER_FILES),$(sort $(wildcard user/musl/*.c)))
MUSL_BINS := $(MUSL_SRCS:user/musl/%.c=$(B)/musl/%)
endif
endif

CC := gcc
CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
	-mno-red-zone -mgeneral-regs-only -fno-stack-protector -fcf-protection=none \
	-fno-omit-frame-pointer -fno-optimize-sibling-calls \
	-fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables \
	-Wall -Wextra -Werror -Ikernel/include \
	-DLAB=$(LAB) -DSOL=$(SOL) -DLAB_TITLE='"$(LAB_TITLE)"' -MMD -MP
USER_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fcf-protection=none -fno-builtin -fno-tree-loop-distribute-patterns -mgeneral-regs-only \
	-Wall -Wextra -Werror -Iuser/include -Ikernel/include -DLAB=$(LAB) -DSOL=$(SOL) -MMD -MP
NASMFLAGS := -f elf64 -g -F dwarf -DLAB=$(LAB) -DSOL=$(SOL) -I$(B)/ -Ikernel/arch/x86_64/
# Options newer than the oldest toolchain we support (Ubuntu 22.04: binutils
# 2.38, GCC 11) are probed first and left out where the tool lacks them.
ld_option = $(shell ld $(1) -v >/dev/null 2>&1 && echo $(1))
LDFLAGS := -nostdlib -n $(call ld_option,--no-warn-rwx-segments) -z max-page-size=0x1000 \
	-T $(LINKER_SCRIPT)

# Quiet by default: `make V=1` shows the full commands.
Q := $(if $(V),,@)

.PHONY: all kernel elf iso run run-vga qemu-gdb gdb grade test test-all unit boottime bench deps clean help \
	disk fsck disk-note handout handout-solutions handouts handin grade-batch gradescope mutants bench-linux
all: kernel

help:
	@echo "make run        boot the kernel in QEMU, serial console on this terminal (CMDLINE='...')"
	@echo "make run-vga    the same with the VGA screen shown (window, or curses without DISPLAY)"
	@echo "make qemu-gdb   boot paused, waiting for GDB on port $(GDB_PORT)"
	@echo "make gdb        start GDB on this kernel, connected to make qemu-gdb"
	@echo "make grade      grade labs 1..LAB (ONLY=n for one lab, TEST=name for one test)"
	@echo "make test       everything: unit tests, all graders$(if $(INSTRUCTOR),$(TEST_WHAT_INSTRUCTOR), of your labs)"
	@echo "make unit       host unit tests of the pure kernel code (ASan + UBSan)"
	@echo "make boottime   median time from QEMU start to the monitor prompt (5 boots)"
	@echo "make bench      the kernel's microbenchmarks: cycles per operation against a baseline"
	@echo "make bench-linux one static Linux program timed on this kernel (Lab 10) and on Debian's Linux"
	@echo "make kernel     build $(B)/kernel.elf and its ISO"
	@echo "make disk       (Lab 8 on) start the disk afresh: $(B)/disk.img from the pristine image"
	@echo "make fsck       (Lab 8 on) check the disk with e2fsck -fn (nothing is repaired)"
	@echo "make handouts   the handouts as HTML with the diagrams drawn: build/handouts/ (HTML=dir)"
	@echo "make handin     pack the repository with its history into build/handin.tar.gz"
ifneq ($(INSTRUCTOR),)
	@echo "Instructor:"
	@echo "make handout    the student repository: a commit and tag per lab, no solutions (HANDOUT=dir, UPTO=n,"
	@echo "                HINTS=contract: handouts without their Hints subsections)"
	@echo "make handout-solutions   the same with solutions, tags labN-sol (HANDOUT=dir)"
	@echo "make grade-batch SUBMISSIONS=dir   grade every hand-in there: build/batch/grades.csv"
	@echo "make gradescope the Gradescope autograder zip of LAB: build/gradescope/labLAB.zip"
	@echo "make mutants    grade one-line mutants of LAB's solutions: the mutation score (SEED=, COUNT=, JOBS=, EXERCISE=)"
	@echo "make test-all   make test judging every lab's exercise sets and cheats, not only the newest lab's (~14 min)"
endif
	@echo "make deps       install the Debian packages the course needs"
	@echo "make clean      remove build/"
	@echo "Variables: $(if $(INSTRUCTOR),$(LAB_VARIABLES))CMDLINE='words',"
	@echo "           PROGS='a.elf ...', MEM=128M, QEMUFLAGS='-d int,cpu_reset -D qemu.log', V=1"

# What only the instructor's tree has: elsewhere, one line saying so.
INSTRUCTOR_ONLY := handout handout-solutions grade-batch gradescope mutants test-all
ifeq ($(INSTRUCTOR),)
$(INSTRUCTOR_ONLY):
	@echo "make $@: an instructor's tool, not part of the student repository"; exit 1
endif

deps:
	@labs/deps.sh

# ---- the kernel -------------------------------------------------------------
kernel: deps $(B)/kernel.iso $(DISK_PRISTINE)
	@ln -sfn lab$(LAB)-sol$(SOL) build/current

elf: $(B)/kernel.elf $(USER_ELFS) $(DISK_PRISTINE)

$(B)/%.o: %.c Makefile
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(B)/%.o: %.asm Makefile $(B)/asm-offsets.inc
	@mkdir -p $(@D)
	@echo "  NASM    $<"
	$(Q)nasm $(NASMFLAGS) -MD $(@:.o=.d) -MP $< -o $@

# ---- user programs (Lab 6) ------------------------------------------------------
$(B)/user/lib/printf.o $(B)/user/lib/string.o: $(B)/user/lib/%.o: kernel/lib/%.c Makefile
	@mkdir -p $(@D)
	@echo "  CC      $< (user)"
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(B)/user/lib/%.o: user/lib/%.c Makefile
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

$(B)/user/lib/%.o: user/lib/%.asm Makefile
	@mkdir -p $(@D)
	@echo "  NASM    $<"
	$(Q)nasm -f elf64 -g -F dwarf $< -o $@

$(B)/user/%.o: user/%.c Makefile
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

# Static ELF64, linked at 0x400000 (ld's default), text and data apart.
$(B)/musl/%: user/musl/%.c
	@echo "  MUSL    $@"
	@mkdir -p $(dir $@)
	$(Q)musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<

$(B)/user/%.elf: $(B)/user/%.o $(USER_LIB)
	@echo "  LD      $@"
	$(Q)ld -static -nostdlib -z noexecstack -z max-page-size=0x1000 -z separate-code \
		-e _start -o $@ $< $(USER_LIB)

# Struct offsets for NASM, from the C compiler itself (asm-offsets.c).
$(B)/asm-offsets.inc: $(ASM_OFFSETS_SRC) Makefile
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MT $@ -MF $(B)/asm-offsets.d -S $< -o $(B)/asm-offsets.s
	$(Q)sed -n 's/.*->\([A-Z0-9_]*\) \$$\{0,1\}\([0-9]*\).*/%define \1 \2/p' $(B)/asm-offsets.s > $@

# The backtrace needs the kernel's own symbols: link once with an empty table,
# turn that link's function symbols into C, link again with the table. The
# table sits in .rodata after .text, so no function moves between the links.
$(B)/ksyms0.c:
	@mkdir -p $(@D)
	@printf '#include "ksyms.h"\n#include <stddef.h>\nconst struct ksym ksyms_table[1];\nconst size_t ksyms_count = 0;\n' > $@

$(B)/ksyms0.o $(B)/ksyms.o: $(B)/%.o: $(B)/%.c Makefile
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(B)/kernel.pass1.elf: $(OBJS) $(B)/ksyms0.o $(LINKER_SCRIPT)
	$(Q)ld $(LDFLAGS) -o $@ $(OBJS) $(B)/ksyms0.o

$(B)/ksyms.c: $(B)/kernel.pass1.elf
	$(Q)nm -n -S --defined-only $< | awk -f labs/ksyms.awk > $@

$(B)/kernel.elf: $(OBJS) $(B)/ksyms.o $(LINKER_SCRIPT)
	@echo "  LD      $@"
	$(Q)ld $(LDFLAGS) -o $@ $(OBJS) $(B)/ksyms.o
	@nm -n $(B)/kernel.pass1.elf | grep -i ' t ' > $(B)/text1.sym; \
	 nm -n $@ | grep -i ' t ' > $(B)/text2.sym; \
	 cmp -s $(B)/text1.sym $(B)/text2.sym || \
	 { echo "kernel.elf: functions moved between the two links (see $(B)/text*.sym)"; rm -f $@; exit 1; }
	@grub-file --is-x86-multiboot2 $@ || { echo "kernel.elf: not a Multiboot2 kernel"; rm -f $@; exit 1; }

# The ISO depends on the command line: remember it and rebuild when it changes.
$(B)/cmdline.txt: FORCE
	@mkdir -p $(@D)
	@echo '$(CMDLINE)' | cmp -s - $@ || echo '$(CMDLINE)' > $@

# Boot modules: this build's user programs and any PROGS='a.elf ...' given.
$(B)/kernel.iso: $(B)/kernel.elf $(USER_ELFS) $(B)/cmdline.txt grader/gradelib.py FORCE
	@echo "  ISO     $@"
	$(Q)$(PYTHON) grader/gradelib.py mkiso $(B)/kernel.elf "$$(cat $(B)/cmdline.txt)" $@ \
		$(USER_ELFS) $(PROGS)

FORCE:

# Keep the user programs' objects, which a chain of rules builds. Name them:
# a bare `.SECONDARY:` would make every target secondary, FORCE included,
# and then cmdline.txt and the ISO would never be remade for a new CMDLINE.
.SECONDARY: $(USER_LIB) $(USER_SRCS:user/%.c=$(B)/user/%.o)

# ---- the disk (Lab 8) -----------------------------------------------------------
ifneq ($(DISK),)
# The staging tree is made afresh each time, so a program or file removed
# from the tree leaves the disk too.
$(DISK_PRISTINE): $(USER_ELFS) $(MUSL_BINS) $(BUSYBOX) $(DISK_SRCS) grader/disk.py Makefile
	@echo "  MKE2FS  $@"
	$(Q)rm -rf $(DISK_STAGING) && mkdir -p $(DISK_STAGING)/bin $(DISK_STAGING)/home && mkdir -m 1777 $(DISK_STAGING)/tmp
	$(Q)for f in $(USER_ELFS); do cp $$f $(DISK_STAGING)/bin/$$(basename $$f .elf) || exit 1; done
	$(Q)for f in $(MUSL_BINS); do cp $$f $(DISK_STAGING)/bin/ || exit 1; done
	$(Q)for f in $(DISK_SRCS:user/disk/%=%); do \
		mkdir -p $(DISK_STAGING)/$$(dirname $$f) && cp -P user/disk/$$f $(DISK_STAGING)/$$f || exit 1; done
	$(Q)seq 1 5000 > $(DISK_STAGING)/home/numbers.txt
ifneq ($(BUSYBOX),)
	$(Q)$(PYTHON) grader/linuxbin.py check-static $(BUSYBOX) && cp $(BUSYBOX) $(DISK_STAGING)/bin/busybox
endif
	$(Q)$(PYTHON) grader/disk.py $(DISK_MKFS) $(DISK_STAGING) $@.tmp && mv $@.tmp $@

# Your disk: made once, then kept (order-only: a new pristine image does not
# replace it; disk-note says when one was made since: disk.img.made marks
# when the disk was, for its own time changes with every write).
COPY_DISK = $(PYTHON) -c 'import sys; sys.path.insert(0, "grader"); import disk; \
	disk.copy_image(*sys.argv[1:])' $(DISK_PRISTINE) $(DISK) && touch $(DISK).made && \
	echo "teachos: made the disk $(DISK) afresh (a copy of $(DISK_PRISTINE)); it is kept from run to run"

$(DISK): | $(DISK_PRISTINE)
	@$(COPY_DISK)

disk: $(DISK_PRISTINE)
	@$(COPY_DISK)

fsck:
	@$(PYTHON) grader/disk.py fsck $(DISK)

disk-note: $(DISK)
	@[ ! $(DISK_PRISTINE) -nt $(DISK).made ] || echo "teachos: $(DISK) is older than this build's programs and files;" \
		"\`make disk\` starts it afresh with them (the files you made on it are lost)"
else
disk fsck:
	@echo "make $@: the disk comes with Lab 8 (this is LAB=$(LAB))"; exit 1
endif

# ---- run and debug ------------------------------------------------------------
run: kernel $(if $(DISK),disk-note)
	@echo "teachos: serial console here; quit with Ctrl-A X (or 'poweroff' at K>)"
	@$(PYTHON) grader/gradelib.py run --mem $(MEM) $(DISK_ARG) $(B)/kernel.iso --qemuflags '$(QEMUFLAGS)'

run-vga: kernel $(if $(DISK),disk-note)
	@$(PYTHON) grader/gradelib.py run --vga --mem $(MEM) $(DISK_ARG) $(B)/kernel.iso --qemuflags '$(QEMUFLAGS)'

qemu-gdb: kernel $(if $(DISK),disk-note)
	@echo "teachos: QEMU paused; GDB stub on localhost:$(GDB_PORT). In another terminal: make gdb"
	@$(PYTHON) grader/gradelib.py run --gdb $(GDB_PORT) --mem $(MEM) $(DISK_ARG) $(B)/kernel.iso --qemuflags '$(QEMUFLAGS)'

gdb: kernel
	TEACHOS_GDB_PORT=$(GDB_PORT) TEACHOS_ELF=$(B)/kernel.elf gdb -n -x .gdbinit

# ---- grading and tests --------------------------------------------------------
grade: deps
	@$(PYTHON) grader/grade.py --lab $(LAB) --sol $(SOL) $(if $(ONLY),--only $(ONLY)) $(if $(TEST),--test $(TEST))

unit: deps
	$(PYTHON) -m pytest -q grader/test_unit.py

# In the instructor's tree, every milestone; in a student's, the labs so far.
# Lab 9's crash tests kill at 3 points each here (make grade: 17), for the
# 15-minute budget; TEACHOS_CRASH_POINTS=n make test asks for more.
# TEST_JOBS pytest workers: one more than the two cores we budget for, as
# much of a test is a wait on QEMU (a boot, a deadline), not on the CPU.
MILESTONES := $(if $(wildcard labs/handout.py),--milestones)
TEST_JOBS ?= 3
test: deps
	@$(if $(MILESTONES),labs/deps.sh test)
	TEACHOS_CRASH_POINTS=$${TEACHOS_CRASH_POINTS:-3} \
	    $(PYTHON) -m pytest -q -n $(TEST_JOBS) --timeout=600 $(MILESTONES) grader/

ifneq ($(INSTRUCTOR),)
# make test, with every lab's exercise sets and cheating kernel judged, not
# only the newest lab's (grader/course.py: JUDGED_LABS): about 14 minutes on 2 cores.
test-all:
	@TEACHOS_TEST_ALL=1 $(MAKE) --no-print-directory test
endif

boottime: deps
	@$(PYTHON) grader/boottime.py --lab $(LAB) --sol $(SOL)

bench: deps
	@$(PYTHON) grader/bench.py --lab $(LAB) --sol $(SOL)

# One static Linux program (user/musl/lbench.c) on Debian's Linux and on ours
# (Lab 10), the same QEMU, one table. Debian's Linux kernel is wanted by this
# target only (deps.sh bench-linux), not by make test.
# (A student's repository has it from Lab 10 on.)
ifneq ($(wildcard grader/bench_linux.py),)
bench-linux:
	@labs/deps.sh bench-linux
	@$(PYTHON) grader/bench_linux.py --lab $(LAB) --sol $(SOL)
else
bench-linux:
	@echo "make bench-linux: comes with Lab 10 (Linux binaries)"; exit 1
endif

# The handouts as HTML pages (pandoc), the diagrams drawn as SVG images.
handouts:
	@labs/deps.sh docs
	@$(PYTHON) labs/render_handouts.py $(if $(HTML),--out $(HTML))

# A student's hand-in: the repository with its history, in build/handin.tar.gz.
handin:
	@labs/handin.sh

ifneq ($(INSTRUCTOR),)
# The student repository (instructor's tree only): one tagged commit per lab,
# up to lab UPTO=n if given (releasing a lab at a time).
handout: deps
	@$(PYTHON) labs/handout.py $(if $(HANDOUT),--out $(HANDOUT)) $(if $(UPTO),--upto $(UPTO)) \
	    $(if $(HINTS),--hints $(HINTS))

handout-solutions: deps
	@$(PYTHON) labs/handout.py --solutions $(if $(HANDOUT),--out $(HANDOUT)) $(if $(UPTO),--upto $(UPTO)) \
	    $(if $(HINTS),--hints $(HINTS))

# Gradescope's autograder for LAB: build/gradescope/labLAB.zip.
gradescope: deps
	@$(PYTHON) labs/handout.py --gradescope $(LAB)

# Grade every hand-in in SUBMISSIONS=dir with pristine graders (instructor).
grade-batch: deps
	@test -n "$(SUBMISSIONS)" || { echo "grade-batch: say where: make grade-batch SUBMISSIONS=dir"; exit 1; }
	@$(PYTHON) labs/batch.py $(SUBMISSIONS) --lab $(LAB)

# How many wrong solutions lab LAB's graders catch (labs/mutants.py).
mutants: deps
	@$(PYTHON) labs/mutants.py --lab $(LAB) $(if $(SEED),--seed $(SEED)) \
	    $(if $(COUNT),--count $(COUNT)) $(if $(JOBS),--jobs $(JOBS)) \
	    $(if $(EXERCISE),--exercise $(EXERCISE))
endif

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(B)/asm-offsets.d $(USER_ELFS:.elf=.d) $(USER_LIB:.o=.d)
