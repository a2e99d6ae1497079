/* cmdline.c - split the kernel command line into words and check them.
 * Lab 1 (given). See cmdline.h for the words the kernel understands. */
#include "cmdline.h"
#include "console.h"
#include "power.h"
#include "string.h"

static char copy[CMDLINE_MAX_LEN];      /* the words, NUL-separated */
static char *words[CMDLINE_MAX_WORDS];
static int nwords;

extern const struct cmdline_key __start_cmdline_keys[], __stop_cmdline_keys[];

/* The registered word called key[0..len), or NULL. */
static const struct cmdline_key *find_key(const char *key, size_t len)
{
    for (const struct cmdline_key *k = __start_cmdline_keys; k < __stop_cmdline_keys; k++)
        if (strlen(k->name) == len && strncmp(key, k->name, len) == 0)
            return k;
    return NULL;
}

/* Is key listed in the space-separated list? */
static bool key_in_list(const char *key, size_t len, const char *list)
{
    while (*list) {
        size_t n = 0;
        while (list[n] && list[n] != ' ')
            n++;
        if (n == len && strncmp(key, list, len) == 0)
            return true;
        list += n;
        while (*list == ' ')
            list++;
    }
    return false;
}

bool cmdline_has(const char *word)
{
    for (int i = 0; i < nwords; i++)
        if (strcmp(words[i], word) == 0)
            return true;
    return false;
}

static bool split_words(const char *line)
{
    size_t len = strlen(line);

    if (len >= CMDLINE_MAX_LEN) {
        kprintf("cmdline: the command line is too long (%zu bytes, at most %d)\n",
                len, CMDLINE_MAX_LEN - 1);
        return false;
    }
    memcpy(copy, line, len + 1);
    nwords = 0;
    for (char *p = copy; *p;) {
        while (*p == ' ')
            *p++ = '\0';
        if (*p == '\0')
            break;
        if (nwords == CMDLINE_MAX_WORDS) {
            kprintf("cmdline: too many words (at most %d)\n", CMDLINE_MAX_WORDS);
            return false;
        }
        words[nwords++] = p;
        while (*p && *p != ' ')
            p++;
    }
    return true;
}

/* The registered words, as " a, b=B, c=C". */
static void print_words(void)
{
    for (const struct cmdline_key *k = __start_cmdline_keys; k < __stop_cmdline_keys; k++)
        kprintf("%s %s%s%s", k == __start_cmdline_keys ? "" : ",", k->name, k->value ? "=" : "",
                k->value ? k->value : "");
}

/* The keys that words with a params hook (test=NAME) allow, and which word
 * allowed them; false, with the hook's message, if one refuses its value. */
static bool selected_params(const char **params, const char **by)
{
    *params = NULL;
    for (int i = 0; i < nwords; i++) {
        const char *eq = strchr(words[i], '=');
        const struct cmdline_key *k = eq ? find_key(words[i], (size_t)(eq - words[i])) : NULL;
        if (k && k->params) {
            if ((*params = k->params(eq + 1)) == NULL)
                return false;
            *by = words[i];
        }
    }
    return true;
}

/* Every word must be a registered word or a key its selection allows. */
static bool check_words(void)
{
    const char *params, *by = NULL;

    if (!selected_params(&params, &by))
        return false;
    for (int i = 0; i < nwords; i++) {
        const char *eq = strchr(words[i], '=');
        size_t keylen = eq ? (size_t)(eq - words[i]) : strlen(words[i]);
        const struct cmdline_key *k = find_key(words[i], keylen);
        if (k && (k->value != NULL) == (eq != NULL))
            continue;
        if (eq && keylen > 0 && params && key_in_list(words[i], keylen, params))
            continue;
        kprintf("cmdline: unknown word '%s'. Words:", words[i]);
        print_words();
        if (params && params[0])
            kprintf(", and for %s: %s (each as KEY=VALUE)", by, params);
        kprintf("\n");
        return false;
    }
    return true;
}

bool cmdline_parse(const char *line)
{
    return split_words(line) && check_words();
}

const char *cmdline_get(const char *key)
{
    size_t len = strlen(key);

    for (int i = 0; i < nwords; i++)
        if (strncmp(words[i], key, len) == 0 && words[i][len] == '=')
            return words[i] + len + 1;
    return NULL;
}

int64_t cmdline_get_int(const char *key, int64_t dflt)
{
    const char *value = cmdline_get(key);
    int64_t n;

    if (value == NULL)
        return dflt;
    if (!parse_int(value, &n)) {
        kprintf("cmdline: %s=%s is not a number\n", key, value);
        power_off(false);
    }
    return n;
}
