/* runner_select: which suites and tests run, and --list. Suites are chosen
 * by --suite names or by their RUN_<NAME> variables; tests by --test globs
 * (runner.h has the rules). */
#include "runner.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wparse.h"

int runner_select(const runner_entry *entries, size_t n, const char *const *names, size_t nnames,
                  runner_selection *sel, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        sel[i] = RUNNER_UNSELECTED;
    if (nnames > 0) {
        for (size_t k = 0; k < nnames; k++) {
            size_t i;
            for (i = 0; i < n; i++)
                if (strcmp(entries[i].name, names[k]) == 0)
                    break;
            if (i == n) {
                size_t o = (size_t)snprintf(err, errlen, "unknown suite \"%s\" (known:", names[k]);
                for (size_t j = 0; j < n && o < errlen; j++)
                    o += (size_t)snprintf(err + o, errlen - o, " %s", entries[j].name);
                if (o < errlen)
                    snprintf(err + o, errlen - o, ")");
                return -1;
            }
            sel[i] = RUNNER_EXPLICIT;
        }
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char var[96];
        size_t o = (size_t)snprintf(var, sizeof(var), "RUN_");
        for (const char *p = entries[i].name; *p && o + 1 < sizeof(var); p++)
            var[o++] = (char)toupper((unsigned char)*p);
        var[o] = 0;
        const char *v = getenv(var);
        if (!v || !*v) {
            sel[i] = RUNNER_DEFAULT;
            continue;
        }
        int b;
        char why[160];
        if (wparse_bool(v, &b, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "%s=%s", var, why);
            return -1;
        }
        sel[i] = b ? RUNNER_EXPLICIT : RUNNER_UNSELECTED;
    }
    return 0;
}

int runner_test_matches(const char *suite, const char *test, const char *const *patterns,
                        size_t npatterns)
{
    if (npatterns == 0)
        return 1;
    char a[512], b[512];
    snprintf(a, sizeof(a), "%s/%s", suite, test);
    snprintf(b, sizeof(b), "%s.%s", suite, test);
    for (size_t i = 0; i < npatterns; i++) {
        const char *p = patterns[i];
        if (fnmatch(p, test, 0) == 0 || fnmatch(p, a, 0) == 0 || fnmatch(p, b, 0) == 0)
            return 1;
    }
    return 0;
}

void runner_list(const runner_entry *entries, size_t n, FILE *out)
{
    for (size_t i = 0; i < n; i++) {
        const suite_def *d = entries[i].def;
        if (!d) {
            fprintf(out, "%s (not available: not built yet)\n", entries[i].name);
            continue;
        }
        fprintf(out, "%s: %s\n", entries[i].name, d->description ? d->description : "");
        for (CU_TestInfo *t = d->tests; t && t->pName; t++)
            fprintf(out, "  %s\n", t->pName);
    }
}
