/* monitor.h - the interactive kernel monitor ("K> " prompt). Lab 1 (given).
 * A command is declared next to the code it belongs to, with
 *     MONITOR_COMMAND(name, "usage: what it does") { ...; return 0; }
 * and the linker gathers them (linker.ld), so no lab edits monitor.c. */
#ifndef MONITOR_H
#define MONITOR_H

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

/* The longest line the monitor reads, and the most words in it. */
#define MONITOR_LINE_MAX 512
#define MONITOR_MAX_ARGS 24

/* Read commands from the console and run them, forever. */
void monitor_run(void) __attribute__((noreturn));

/* Run one command line (also used by tests). Returns the command's status,
 * 0 on success. */
int monitor_execute(char *line);

#endif
