/* monitor.h - the interactive kernel monitor ("K> " prompt). Lab 1 (given). */
#ifndef MONITOR_H
#define MONITOR_H

/* Read commands from the console and run them, forever. */
void monitor_run(void) __attribute__((noreturn));

/* Run one command line (also used by tests). Returns the command's status,
 * 0 on success. */
int monitor_execute(char *line);

#endif
