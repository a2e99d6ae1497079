/* monitor.h - the interactive kernel monitor ("K> " prompt). Lab 1 (given).
 * A command is declared next to the code it belongs to, with
 *     MONITOR_COMMAND(name, "usage: what it does") { ...; return 0; }
 * and the linker gathers them (linker.ld), so no lab edits monitor.c. */
#ifndef MONITOR_H
#define MONITOR_H

#include "tunables.h"            /* MONITOR_LINE_MAX, MONITOR_MAX_ARGS */

struct monitor_command {
    const char *name;
    const char *help;
    int (*run)(int argc, char **argv);   /* argv[0] is the name; 0 on success */
};

#define MONITOR_COMMAND(name_, help_)                                        \
    static int monitor_cmd_##name_(int argc, char **argv);                  \
    static const struct monitor_command monitor_command_##name_             \
        __attribute__((used, section("monitor_commands." #name_), aligned(8))) = { \
            #name_, help_, monitor_cmd_##name_};                            \
    static int monitor_cmd_##name_(int argc, char **argv)

/* Read commands from the console and run them, forever. */
void monitor_run(void) __attribute__((noreturn));

/* Run one command line (also used by tests). Returns the command's status,
 * 0 on success. */
int monitor_execute(char *line);

#endif
