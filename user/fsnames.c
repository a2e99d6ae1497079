/* fsnames.c - names: links, renames, removals, . and .., fast symlinks,
 * the working directory. Lab 8 (grader's).
 * fsnames A B C F G H X P works with directories /A, /A/B, /C, empty files
 * F, G, H, X and symlinks named P and a digit or a letter (random names),
 * and prints one line per step,
 *     fsnames: WHAT: RESULT
 * RESULT being a call's result (0 or -ERRNO), a link count, an inode
 * number, a path or yes/no (whether a name leads to the inode it should:
 * no file is read or written, so exercise 5 is not needed): the grader has
 * the same list with the results Linux gives. The capital letters in WHAT
 * stand for the names drawn. */
#include "ulib.h"

static char *A, *B, *C, *F, *G, *H, *X, *P;

static char *path(const char *fmt, ...)
{
    static char bufs[8][400];
    static int k;
    va_list ap;
    char *p = bufs[k++ % 8];

    va_start(ap, fmt);
    kvsnprintf(p, sizeof bufs[0], fmt, ap);
    va_end(ap);
    return p;
}

/* Create an empty file at p: 0 or the error. */
static long put(const char *p)
{
    int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0)
        return fd;
    close(fd);
    return 0;
}

static long nlink(const char *p)
{
    struct stat st;
    long err = lstat(p, &st);
    return err < 0 ? err : (long)st.st_nlink;
}

static long ino(const char *p)
{
    struct stat st;
    long err = stat(p, &st);
    return err < 0 ? err : (long)st.st_ino;
}

static long mode(const char *p, bool follow)
{
    struct stat st;
    long err = follow ? stat(p, &st) : lstat(p, &st);
    return err < 0 ? err : (long)(st.st_mode & S_IFMT);
}

static const char *yes(bool b)
{
    return b ? "yes" : "no";
}

#define say(what, fmt, ...) printf("fsnames: " what ": " fmt "\n", __VA_ARGS__)

/* Is p the inode want (> 0)? */
static const char *is(const char *p, long want)
{
    return yes(want > 0 && ino(p) == want);
}

int main(int argc, char **argv)
{
    if (argc != 9) {
        printf("fsnames: usage: fsnames A B C F G H X P\n");
        return 1;
    }
    A = argv[1], B = argv[2], C = argv[3], F = argv[4], G = argv[5], H = argv[6];
    X = argv[7], P = argv[8];
    /* Kept apart from path()'s few buffers, which later calls reuse. */
    static char a[100], ab[200], c[100], cb[200], cs[200];
    ksnprintf(a, sizeof a, "/%s", A);
    ksnprintf(ab, sizeof ab, "/%s/%s", A, B);
    ksnprintf(c, sizeof c, "/%s", C);
    ksnprintf(cb, sizeof cb, "/%s/%s", C, B);
    ksnprintf(cs, sizeof cs, "/%s/%s", C, P);

    /* Directories, hard links, renames. */
    long e1 = mkdir(a, 0755), e2 = mkdir(ab, 0755), e3 = mkdir(c, 0755);
    say("mkdir /A /A/B /C", "%ld %ld %ld", e1, e2, e3);
    say("mkdir /A again", "%d", mkdir(a, 0755));
    say("put /A/F", "%ld", put(path("%s/%s", a, F)));
    long f = ino(path("%s/%s", a, F));
    say("link /A/F /C/G", "%d", link(path("%s/%s", a, F), path("%s/%s", c, G)));
    say("links of /A/F", "%ld", nlink(path("%s/%s", a, F)));
    say("link /A/F /C/G again", "%d", link(path("%s/%s", a, F), path("%s/%s", c, G)));
    say("unlink /A/F", "%d", unlink(path("%s/%s", a, F)));
    say("links of /C/G", "%ld", nlink(path("%s/%s", c, G)));
    say("/C/G is F", "%s", is(path("%s/%s", c, G), f));
    say("rename /C/G /A/B/H", "%d", rename(path("%s/%s", c, G), path("%s/%s", ab, H)));
    say("stat /C/G", "%ld", ino(path("%s/%s", c, G)) < 0 ? ino(path("%s/%s", c, G)) : 0);
    say("/A/B/H is F", "%s", is(path("%s/%s", ab, H), f));
    say("put /A/X", "%ld", put(path("%s/%s", a, X)));
    say("rename /A/B/H over /A/X", "%d", rename(path("%s/%s", ab, H), path("%s/%s", a, X)));
    say("/A/X is F", "%s", is(path("%s/%s", a, X), f));
    say("links of /A/X", "%ld", nlink(path("%s/%s", a, X)));
    say("stat /A/B/H", "%ld", ino(path("%s/%s", ab, H)) < 0 ? ino(path("%s/%s", ab, H)) : 0);
    say("rename /A/X /A/X", "%d", rename(path("%s/%s", a, X), path("%s/%s", a, X)));
    say("/A/X is still F", "%s", is(path("%s/%s", a, X), f));

    /* Errors. */
    say("rmdir /A", "%d", rmdir(a));
    say("rmdir /A/X", "%d", rmdir(path("%s/%s", a, X)));
    say("unlink /A/B", "%d", unlink(ab));
    say("open /A/X/F", "%d", open(path("%s/%s/%s", a, X, F), O_RDONLY));
    say("open /A/F", "%d", open(path("%s/%s", a, F), O_RDONLY));
    say("mkdir /A/F/G", "%d", mkdir(path("%s/%s/%s", a, F, G), 0755));
    say("rename /A/F /A/G", "%d", rename(path("%s/%s", a, F), path("%s/%s", a, G)));

    /* A directory moves: its .. follows. */
    long b = ino(ab);
    say("rename /A/B /C/B", "%d", rename(ab, cb));
    say("/C/B is B, /C/B/.. is /C", "%s %s", is(cb, b), is(path("%s/..", cb), ino(c)));
    say("links of /A /C /C/B", "%ld %ld %ld", nlink(a), nlink(c), nlink(cb));
    say("rename /C into /C/B/H", "%d", rename(c, path("%s/%s", cb, H)));

    /* The root and its .. */
    say("inodes of / /.. /../.. /C/B/../../..", "%ld %ld %ld %ld", ino("/"), ino("/.."),
        ino("/../.."), ino(path("%s/../../..", cb)));
    say("/A/./../C/./B is B", "%s", is(path("/%s/./../%s/./%s", A, C, B), b));

    /* The working directory. */
    static char cwd[256];
    say("chdir /C/B", "%d", chdir(cb));
    long n = getcwd(cwd, sizeof cwd);
    say("getcwd", "%s", n < 0 ? "error" : cwd);
    say("put F (relative)", "%ld", put(F));
    long f2 = ino(path("%s/%s", cb, F));
    say("F is /C/B/F, so is ../B/F", "%s %s", is(F, f2), is(path("../%s/%s", B, F), f2));
    say("chdir ..", "%d", chdir(".."));
    n = getcwd(cwd, sizeof cwd);
    say("getcwd", "%s", n < 0 ? "error" : cwd);
    say("B/F is /C/B/F", "%s", is(path("%s/%s", B, F), f2));
    say("chdir /", "%d", chdir("/"));
    say("inode of .. from /", "%ld", ino(".."));
    say("chdir /C/B/F", "%d", chdir(path("%s/%s", cb, F)));

    /* Symbolic links (fast: targets under 60 bytes). */
    say("symlink B /C/P", "%d", symlink(B, cs));
    say("/C/P is a symlink, and leads to a directory", "%s %s",
        yes(mode(cs, false) == S_IFLNK), yes(mode(cs, true) == S_IFDIR));
    static char target[256];
    n = readlink(cs, target, sizeof target);
    target[n > 0 ? n : 0] = '\0';
    say("readlink /C/P", "%ld %s", n, target);
    say("/C/P/F is /C/B/F", "%s", is(path("%s/%s", cs, F), f2));
    say("symlink /P2 /P1", "%d", symlink(path("/%s2", P), path("/%s1", P)));
    say("symlink P1 /P2", "%d", symlink(path("%s1", P), path("/%s2", P)));
    say("open /P1", "%d", open(path("/%s1", P), O_RDONLY));
    say("open /P1/F", "%d", open(path("/%s1/%s", P, F), O_RDONLY));
    /* A chain /Pa -> Pb -> ... -> Pi -> C/B/F: 8 links from Pb, 9 from Pa. */
    for (char k = 'a'; k < 'i'; k++)
        symlink(path("%s%c", P, k + 1), path("/%s%c", P, k));
    say("symlink C/B/F /Pi", "%d", symlink(path("%s/%s/%s", C, B, F), path("/%s%c", P, 'i')));
    say("/Pb is /C/B/F (8 links)", "%s", is(path("/%s%c", P, 'b'), f2));
    say("open /Pa (9 links)", "%d", open(path("/%s%c", P, 'a'), O_RDONLY));
    say("symlink /A/F /P0", "%d", symlink(path("%s/%s", a, F), path("/%s0", P)));
    say("open /P0, lstat /P0", "%d %ld", open(path("/%s0", P), O_RDONLY),
        mode(path("/%s0", P), false));

    /* Long names. */
    static char longname[300];
    memset(longname, 'n', 256);
    longname[256] = '\0';
    say("put /C/ + 256 characters", "%ld", put(path("%s/%s", c, longname)));
    longname[255] = '\0';
    say("put /C/ + 255 characters", "%ld", put(path("%s/%s", c, longname)));
    say("unlink it", "%d", unlink(path("%s/%s", c, longname)));

    /* Emptied, a directory goes. */
    say("rmdir /C/B", "%d", rmdir(cb));
    say("unlink /C/B/F", "%d", unlink(path("%s/%s", cb, F)));
    say("rmdir /C/B", "%d", rmdir(cb));
    say("rmdir /C/B again", "%d", rmdir(cb));
    say("links of /C", "%ld", nlink(c));
    return 0;
}
