/* promtext: a parser of the Prometheus text exposition format (see
 * promtext.h). Each sample's series is normalised into one key, the metric
 * name then its labels sorted by name and re-escaped, so lookups compare
 * strings. Knows nothing of HTTP: httpc_get_metrics fetches and parses. */
#include "promtext.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sample {
    char *key;
    size_t namelen; /* the metric name is key[0..namelen) */
    double value;
} sample;

struct promtext {
    sample *s;
    size_t n, cap;
};

typedef struct label {
    char *name;
    char *value;
} label;

static int label_cmp(const void *a, const void *b)
{
    return strcmp(((const label *)a)->name, ((const label *)b)->name);
}

/* Appends s escaped as a Prometheus label value. */
static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '"')
            fputs("\\\"", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static int is_name_start(int c)
{
    return isalpha(c) || c == '_' || c == ':';
}

static int is_name_char(int c)
{
    return isalnum(c) || c == '_' || c == ':';
}

/* Parses "name{labels}" from *pp into a normalised key (malloc'd); advances
 * *pp past it. NULL with err on malformed input. */
static char *parse_series(const char **pp, size_t *namelen, char *err, size_t errlen)
{
    const char *p = *pp;
    if (!is_name_start((unsigned char)*p)) {
        snprintf(err, errlen, "expected a metric name");
        return NULL;
    }
    const char *n0 = p;
    while (is_name_char((unsigned char)*p))
        p++;
    *namelen = (size_t)(p - n0);
    label *ls = NULL;
    size_t nl = 0, lcap = 0;
    char *key = NULL;
    size_t klen = 0;
    int ok = 1;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '{') {
        p++;
        for (;;) {
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == '}') {
                p++;
                break;
            }
            if (!is_name_start((unsigned char)*p)) {
                snprintf(err, errlen, "expected a label name");
                ok = 0;
                break;
            }
            const char *l0 = p;
            while (is_name_char((unsigned char)*p))
                p++;
            size_t ll = (size_t)(p - l0);
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p != '=' || p[1] != '"') {
                snprintf(err, errlen, "expected =\" after label %.*s", (int)ll, l0);
                ok = 0;
                break;
            }
            p += 2;
            /* the value's raw length bounds its unescaped one: sizing by the
             * rest of the line instead made a line of n labels cost O(n^2) */
            size_t raw = 0;
            while (p[raw] && p[raw] != '"')
                raw += p[raw] == '\\' && p[raw + 1] ? 2 : 1;
            char *v = malloc(raw + 1);
            size_t vl = 0;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1]) {
                    p++;
                    v[vl++] = *p == 'n' ? '\n' : *p;
                } else {
                    v[vl++] = *p;
                }
                p++;
            }
            v[vl] = 0;
            if (*p != '"') {
                free(v);
                snprintf(err, errlen, "unterminated label value");
                ok = 0;
                break;
            }
            p++;
            if (nl == lcap) { /* doubling: one label at a time copied O(n^2) */
                lcap = lcap ? 2 * lcap : 8;
                ls = realloc(ls, lcap * sizeof(*ls));
            }
            ls[nl].name = strndup(l0, ll);
            ls[nl].value = v;
            nl++;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == ',')
                p++;
            else if (*p != '}') {
                snprintf(err, errlen, "expected , or } in labels");
                ok = 0;
                break;
            }
        }
    }
    if (ok) {
        if (nl > 1)
            qsort(ls, nl, sizeof(*ls), label_cmp);
        FILE *f = open_memstream(&key, &klen);
        fwrite(n0, 1, *namelen, f);
        if (nl) {
            fputc('{', f);
            for (size_t i = 0; i < nl; i++) {
                fprintf(f, "%s%s=\"", i ? "," : "", ls[i].name);
                put_escaped(f, ls[i].value);
                fputc('"', f);
            }
            fputc('}', f);
        }
        fclose(f);
    }
    for (size_t i = 0; i < nl; i++) {
        free(ls[i].name);
        free(ls[i].value);
    }
    free(ls);
    *pp = p;
    return key;
}

static int parse_value(const char *p, double *out)
{
    while (*p == ' ' || *p == '\t')
        p++;
    char tok[64];
    size_t n = 0;
    while (*p && *p != ' ' && *p != '\t' && *p != '\r' && n + 1 < sizeof(tok))
        tok[n++] = *p++;
    tok[n] = 0;
    if (!n)
        return -1;
    if (strcmp(tok, "+Inf") == 0 || strcmp(tok, "Inf") == 0) {
        *out = INFINITY;
        return 0;
    }
    if (strcmp(tok, "-Inf") == 0) {
        *out = -INFINITY;
        return 0;
    }
    if (strcmp(tok, "NaN") == 0) {
        *out = NAN;
        return 0;
    }
    char *end;
    *out = strtod(tok, &end);
    return *end ? -1 : 0;
}

promtext *promtext_parse(const char *text, char *err, size_t errlen)
{
    promtext *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int lineno = 0;
    const char *p = text;
    while (p && *p) {
        lineno++;
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char *line = strndup(p, len);
        p = eol ? eol + 1 : NULL;
        const char *q = line;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == 0 || *q == '#' || *q == '\r') {
            free(line);
            continue;
        }
        char e2[128];
        size_t namelen = 0;
        char *key = parse_series(&q, &namelen, e2, sizeof(e2));
        double v;
        if (!key || parse_value(q, &v) < 0) {
            snprintf(err, errlen, "line %d: %s", lineno, key ? "bad sample value" : e2);
            free(key);
            free(line);
            promtext_free(m);
            return NULL;
        }
        free(line);
        if (m->n == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 64;
            m->s = realloc(m->s, m->cap * sizeof(*m->s));
        }
        m->s[m->n].key = key;
        m->s[m->n].namelen = namelen;
        m->s[m->n].value = v;
        m->n++;
    }
    return m;
}

void promtext_free(promtext *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->s[i].key);
    free(m->s);
    free(m);
}

int promtext_get(const promtext *m, const char *key, double *out)
{
    char e[64];
    size_t nl;
    const char *p = key;
    char *norm = parse_series(&p, &nl, e, sizeof(e));
    if (!norm)
        return -1;
    int rc = -1;
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->s[i].key, norm) == 0) {
            *out = m->s[i].value;
            rc = 0;
            break;
        }
    }
    free(norm);
    return rc;
}

int promtext_sum(const promtext *m, const char *name, double *sum)
{
    size_t nl = strlen(name);
    int count = 0;
    double s = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->s[i].namelen == nl && strncmp(m->s[i].key, name, nl) == 0) {
            s += m->s[i].value;
            count++;
        }
    }
    if (count)
        *sum = s;
    return count;
}

size_t promtext_count(const promtext *m)
{
    return m->n;
}

const char *promtext_key(const promtext *m, size_t i, double *value)
{
    if (i >= m->n)
        return NULL;
    if (value)
        *value = m->s[i].value;
    return m->s[i].key;
}
