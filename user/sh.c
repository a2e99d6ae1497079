/* sh.c - the shell: reads command lines from standard input and runs them.
 * Words with '...' and "..." quotes, $? (the last status), pipelines
 * (a | b | c), sequences (a ; b), background jobs (a &), the builtins exit
 * and wait; from Lab 8 cd, < FILE on a pipeline's first command, > FILE and
 * >> FILE on its last. Lab 7 (given, but for run_pipeline: exercise 5). */
#include "ulib.h"

#define MAXLINE   512                /* a command line, its newline and NUL */
#define MAXARGS   32                 /* words of one command */
#define MAXSTAGES 16                 /* commands of one pipeline */
#define MAXJOBS   32                 /* background jobs remembered */

struct command {
    char *argv[MAXARGS + 1];         /* argc words, then NULL */
    int argc;
    char *in, *out;                  /* the files of <, and of > or >>, or NULL */
    int append;                      /* >> */
};

struct pipeline {
    struct command stage[MAXSTAGES];
    int n;                           /* stages */
    int background;                  /* ended by & */
    char words[2 * MAXLINE];         /* the words' text ($? may lengthen a word) */
};

static int last_status;              /* $? */
static int jobs[MAXJOBS];            /* the last stage's pid of each background job */
static int njobs;

/* ---- the parser ---------------------------------------------------------- */

/* The next token of *s, moving *s past it: a word (returns 'w', the word in
 * w: size bytes with its NUL, quotes removed, $? expanded), an operator
 * (returns it: | ; & < >, or 'A' for >>), the end of the line or a comment (returns 0),
 * or an error (said on fd 2, returns -1). */
static int next_token(char **s, char *w, size_t size)
{
    char *p = *s, quote = 0;
    size_t n = 0;

    while (*p == ' ' || *p == '\t')
        p++;
    *s = p;
    if (*p == '\0' || *p == '\n' || *p == '#')
        return 0;
    if (p[0] == '>' && p[1] == '>') {
        *s = p + 2;
        return 'A';
    }
    if (strchr("|;&<>", *p)) {
        *s = p + 1;
        return *p;
    }
    for (; *p != '\0' && *p != '\n' && (quote || !strchr(" \t|;&<>", *p)); p++) {
        if (n + 4 > size) {          /* room for a digit of $? or a character, and the NUL */
            dprintf(2, "sh: word too long\n");
            return -1;
        }
        if (!quote && (*p == '\'' || *p == '"'))
            quote = *p;
        else if (quote && *p == quote)
            quote = 0;
        else if (*p == '$' && p[1] == '?' && quote != '\'') {
            n += (size_t)ksnprintf(w + n, size - n, "%d", last_status);
            p++;
        } else
            w[n++] = *p;
    }
    if (quote) {
        dprintf(2, "sh: unclosed %c\n", quote);
        return -1;
    }
    w[n] = '\0';
    *s = p;
    return 'w';
}

static int syntax_error(const char *what)
{
    dprintf(2, "sh: syntax error: %s\n", what);
    return -1;
}

/* Parse the next pipeline of *s (up to ; & or the end of the line) into p.
 * Returns 1 if there was one, 0 at the end of the line, -1 after an error
 * (said on fd 2). */
static int parse_pipeline(char **s, struct pipeline *p)
{
    char *w = p->words, *end = p->words + sizeof p->words;
    struct command *c = &p->stage[0];
    int t;

    memset(p->stage, 0, sizeof p->stage);
    p->n = 1;
    while ((t = next_token(s, w, (size_t)(end - w))) > 0 && t != ';' && t != '&') {
        if (t == '|') {
            if (c->argc == 0)
                return syntax_error("| without a command");
            if (p->n == MAXSTAGES)
                return syntax_error("too many commands in a pipeline");
            c = &p->stage[p->n++];
            continue;
        }
        if (t == 'w' && c->argc == MAXARGS)
            return syntax_error("too many words in a command");
        if (t == 'w')
            c->argv[c->argc++] = w;
        else if (next_token(s, w, (size_t)(end - w)) != 'w')
            return syntax_error("<, > and >> need a file name");
        else if (t == '<')
            c->in = w;
        else {
            c->out = w;
            c->append = t == 'A';
        }
        w += strlen(w) + 1;
    }
    if (t < 0)
        return -1;
    if (t == 0 && p->n == 1 && c->argc == 0 && !c->in && !c->out)
        return 0;                    /* an empty line, or the end of one */
    if (c->argc == 0)
        return syntax_error(t == 0 ? "a command is missing" : "; or & without a command");
#if LAB >= 8
    for (int i = 0; i < p->n; i++)   /* the shell, not run_pipeline, opens the files */
        if ((i > 0 && p->stage[i].in) || (i < p->n - 1 && p->stage[i].out))
            return syntax_error("< only on a pipeline's first command, > and >> on its last");
#endif
    p->background = t == '&';
    return 1;
}

/* ---- running commands ---------------------------------------------------- */

/* A wait status as $? shows it: the exit status, or 128 + the signal. */
static int exit_code(int status)
{
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* The file that runs command name: /bin/NAME, or name itself if it has a
 * '/'. In buf (size bytes). (Unused by run_pipeline's stub.) */
__attribute__((unused)) static char *command_path(const char *name, char *buf, size_t size)
{
    ksnprintf(buf, size, strchr(name, '/') ? "%s" : "/bin/%s", name);
    return buf;
}

/* Run pipeline p: each stage in a child running its command (command_path),
 * stage i's standard output connected to stage i + 1's standard input by a
 * pipe. A child whose execve fails says so and exits 127. In the
 * foreground, returns the last stage's exit_code once every stage has
 * ended; in the background, the last stage's pid at once. If a pipe or a
 * fork fails: said on fd 2, the stages already started are waited for (in
 * the foreground) or left running (in the background), and a negative
 * errno. */
static int run_pipeline(struct pipeline *p)
{
#if SOL >= 7
    int pids[MAXSTAGES], n = 0, in = -1, err = 0, status = 0;

    for (int i = 0; i < p->n && err == 0; i++) {
        int fds[2] = {-1, -1};       /* the pipe to the next stage, if any */
        if (i + 1 < p->n && (err = pipe(fds)) < 0)
            break;
        int pid = fork();
        if (pid == 0) {
            struct command *c = &p->stage[i];
            char path[MAXLINE];
            if (in >= 0) {           /* standard input from the previous stage */
                dup2(in, 0);
                close(in);
            }
            if (fds[1] >= 0) {       /* standard output to the next one */
                dup2(fds[1], 1);
                close(fds[1]);
                close(fds[0]);       /* else this writer is its own reader: no -EPIPE */
            }
            err = execve(command_path(c->argv[0], path, sizeof path), c->argv, NULL);
            dprintf(2, "sh: %s: %s\n", c->argv[0], errstr(err));
            exit(127);
        }
        /* The parent keeps no end but the next stage's input: a reader sees
         * end of file only once every copy of the write end is closed. */
        if (in >= 0)
            close(in);
        if (fds[1] >= 0)
            close(fds[1]);
        in = fds[0];
        if (pid < 0)
            err = pid;
        else
            pids[n++] = pid;
    }
    if (in >= 0)
        close(in);
    if (err < 0)
        dprintf(2, "sh: cannot start the pipeline: %s\n", errstr(err));
    for (int i = 0; i < n && !p->background; i++) {
        int st;
        if (waitpid(pids[i], &st, 0) == pids[i] && i == n - 1)
            status = exit_code(st);
    }
    if (err < 0)
        return err;
    return p->background ? pids[n - 1] : status;
#else
    /* LAB 7, exercise 5: run the pipeline's commands, connected by pipes,
     * as the contract above says (handout §3.5) */
    (void)p;
    dprintf(2, "sh: cannot run commands yet (LAB 7, exercise 5)\n");
    return -ENOSYS;
#endif
}
#if LAB >= 8

/* Open path with flags (mode 0644 if it is created) as fd target, or only
 * open and close it if target < 0 (a builtin's files). 0, or a negative
 * errno after saying so on fd 2. */
static int redirect(const char *path, int flags, int target)
{
    int fd = open(path, flags, 0644);

    if (fd < 0) {
        dprintf(2, "sh: %s: %s\n", path, strerror(-fd));
        return fd;
    }
    if (target >= 0 && fd != target)
        dup2(fd, target);
    if (fd != target)
        close(fd);
    return 0;
}

/* The files of p's redirections, in order: < of its first command as fd 0,
 * > or >> of its last as fd 1 (with apply; else only opened, so a missing
 * one is said and a new one created). 0, or a negative errno (said). */
static int redirect_all(struct pipeline *p, int apply)
{
    struct command *first = &p->stage[0], *last = &p->stage[p->n - 1];
    int err = 0;

    if (first->in)
        err = redirect(first->in, O_RDONLY, apply ? 0 : -1);
    if (err == 0 && last->out)
        err = redirect(last->out, O_WRONLY | O_CREAT | (last->append ? O_APPEND : O_TRUNC),
                       apply ? 1 : -1);
    return err;
}

/* Run p with its redirections: in a child shell that opens the files as
 * its fds 0 and 1 and runs the pipeline in its foreground, so the stages
 * inherit them and this shell's own fds stay as they are. Returns what
 * run_pipeline does (a file that cannot be opened: the child's status 1). */
static int run_redirected(struct pipeline *p)
{
    int pid = fork(), status;

    if (pid == 0) {
        if (redirect_all(p, 1) < 0)
            exit(1);
        p->background = 0;
        int r = run_pipeline(p);
        exit(r < 0 ? 1 : r);
    }
    if (pid < 0) {
        dprintf(2, "sh: cannot start the pipeline: %s\n", errstr(pid));
        return pid;
    }
    if (p->background)
        return pid;
    return waitpid(pid, &status, 0) == pid ? exit_code(status) : 1;
}
#endif

/* If pid is a background job's: say it is done, and forget it. */
static void job_done(int pid, int status)
{
    for (int i = 0; i < njobs; i++)
        if (jobs[i] == pid) {
            dprintf(2, "[%d] done %d\n", pid, exit_code(status));
            jobs[i] = jobs[--njobs];
            return;
        }
}

/* The builtins: runs p's one command if it is one (1, $? set), else 0. */
static int builtin(struct pipeline *p)
{
    struct command *c = &p->stage[0];
    int64_t n = last_status;
    int status, pid;

#if LAB >= 8
    if (strcmp(c->argv[0], "exit") != 0 && strcmp(c->argv[0], "wait") != 0 &&
        strcmp(c->argv[0], "cd") != 0)
        return 0;
    if (redirect_all(p, 0) < 0) {    /* as bash: the files made, the builtin not run */
        last_status = 1;
        return 1;
    }
    if (strcmp(c->argv[0], "cd") == 0) {
        const char *dir = c->argc > 1 ? c->argv[1] : "/";
        int err = c->argc > 2 ? 0 : chdir(dir);
        if (c->argc > 2)
            dprintf(2, "sh: cd: too many arguments\n");
        else if (err < 0)
            dprintf(2, "sh: cd: %s: %s\n", dir, strerror(-err));
        last_status = c->argc > 2 || err < 0;
        return 1;
    }
#endif
    if (strcmp(c->argv[0], "exit") == 0) {
        if (c->argc > 2 || (c->argc == 2 && !parse_int(c->argv[1], &n))) {
            dprintf(2, "sh: usage: exit [N]\n");
            last_status = 2;
            return 1;
        }
        exit((int)(n & 0xff));
    }
    if (strcmp(c->argv[0], "wait") == 0) {
        while ((pid = wait(&status)) > 0)       /* every child, until -ECHILD */
            job_done(pid, status);
        last_status = 0;
        return 1;
    }
    return 0;
}

/* Run one parsed pipeline and set $?. */
static void run(struct pipeline *p)
{
    int redirected = 0;

    for (int i = 0; i < p->n; i++)
        redirected |= p->stage[i].in || p->stage[i].out;
#if LAB >= 8
    if (p->n == 1 && !p->background && builtin(p))
        return;
    int r = redirected ? run_redirected(p) : run_pipeline(p);
#else
    if (redirected) {
        dprintf(2, "sh: redirection needs a file system (Lab 8)\n");
        last_status = 1;
        return;
    }
    if (p->n == 1 && !p->background && builtin(p))
        return;
    int r = run_pipeline(p);
#endif
    if (r >= 0 && p->background && njobs < MAXJOBS)
        jobs[njobs++] = r;
    if (r >= 0 && p->background)
        dprintf(2, "[%d]\n", r);
    last_status = r < 0 ? 1 : p->background ? 0 : r;
}

/* Run the pipelines of line in turn, if the whole line parses. */
static void run_line(char *line)
{
    static struct pipeline p;
    char *s = line;
    int r;

    while ((r = parse_pipeline(&s, &p)) > 0)
        ;
    if (r < 0) {
        last_status = 2;
        return;
    }
    for (s = line; parse_pipeline(&s, &p) > 0;)
        run(&p);
}

#if LAB >= 10
/* Lab 10: Ctrl-C sends SIGINT to every process but pid 1, there being no
 * process groups (handout lab10 §6.4). Like a Linux shell with job
 * control off, this one catches it with a handler that does nothing, and
 * with SA_RESTART its read or wait goes on: only the commands end, since
 * execve gives them the default action back. The handler returns into
 * sigint_restorer, which makes rt_sigreturn (15). */
#define SYS_rt_sigaction 13
#define SIGINT           2
#define SA_RESTORER      0x04000000
#define SA_RESTART       0x10000000

void sigint_restorer(void);
__asm__(".text\n"
        "sigint_restorer:\n"
        "    mov $15, %eax\n"
        "    int $0x80\n");

static void on_sigint(int sig)
{
    (void)sig;
}

static void catch_sigint(void)
{
    long action[4] = {(long)on_sigint, SA_RESTORER | SA_RESTART, (long)sigint_restorer, 0};

    syscall6(SYS_rt_sigaction, SIGINT, (long)action, 0, 8, 0, 0);
}
#endif

int main(void)
{
    static struct reader in;
    char line[MAXLINE];
    long n;

#if LAB >= 10
    catch_sigint();
#endif
    reader_init(&in, 0);
    for (;;) {
        int status, pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
            job_done(pid, status);   /* background jobs that have ended */
        write(2, "$ ", 2);
        if ((n = read_line(&in, line, sizeof line)) <= 0)
            break;
        if (line[n - 1] != '\n' && n == sizeof line - 1) {
            dprintf(2, "sh: line too long (at most %d characters)\n", MAXLINE - 2);
            while ((n = read_line(&in, line, sizeof line)) > 0 && line[n - 1] != '\n')
                ;                    /* the rest of it */
            last_status = 2;
            continue;
        }
        run_line(line);
    }
    if (n < 0) {
        dprintf(2, "sh: read: %s\n", errstr(n));
        return 1;
    }
    write(2, "\n", 1);               /* end of file: the console's cursor after "$ " */
    return 0;
}
