/* jsonschema_fast: a small backtracking matcher for simple patterns.
 *
 * A simple pattern is an optionally anchored sequence of classes, literals
 * and (not nested) groups with counts, without alternation, in ASCII, such
 * as "^[a-z][a-z0-9_-]{0,63}$". jsonschema_regex.c compiles every pattern
 * here too and matches ASCII strings with this matcher rather than regexec;
 * it must answer as regexec would (the same sets for the classes, every way
 * of matching tried in turn). A step budget bounds the backtracking: when it
 * runs out the caller asks regexec. A pattern that is not simple is not
 * compiled (js_fast_compile returns NULL). */
#include "jsonschema_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define JS_FAST_BUDGET 20000     /* backtracking steps before falling back to regexec */

typedef struct js_fitem {
    int is_group;
    unsigned char set[32];     /* byte set for a class or literal */
    struct js_fitem *sub;      /* group contents */
    size_t nsub;
    int min, max;              /* max -1: unbounded */
} js_fitem;

struct js_fast {
    js_fitem *items;
    size_t nitems;
    int anchored_start, anchored_end;
};

static void js_set_add(unsigned char *set, int c)
{
    set[c >> 3] |= (unsigned char)(1u << (c & 7));
}

static int js_set_has(const unsigned char *set, unsigned char c)
{
    return (set[c >> 3] >> (c & 7)) & 1;
}

static void js_set_range(unsigned char *set, int a, int z)
{
    for (int c = a; c <= z; c++)
        js_set_add(set, c);
}

static void js_fast_free_items(js_fitem *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (items[i].is_group)
            js_fast_free_items(items[i].sub, items[i].nsub);
    free(items);
}

/* Parses a simple ASCII escape into set; 0 when unsupported. */
static int js_fast_escape(char c, unsigned char *set)
{
    switch (c) {
    case 'd': js_set_range(set, '0', '9'); return 1;
    case 'w':
        js_set_range(set, '0', '9');
        js_set_range(set, 'A', 'Z');
        js_set_range(set, 'a', 'z');
        js_set_add(set, '_');
        return 1;
    case 's':
        js_set_range(set, '\t', '\r');
        js_set_add(set, ' ');
        return 1;
    case 'n': js_set_add(set, '\n'); return 1;
    case 't': js_set_add(set, '\t'); return 1;
    case 'r': js_set_add(set, '\r'); return 1;
    default:
        if ((unsigned char)c < 0x80 && c != '\0' && !isalnum((unsigned char)c)) {
            js_set_add(set, (unsigned char)c);
            return 1;
        }
        return 0;
    }
}

/* Parses a sequence up to ')' or the end. Returns 0 and fills items, -1 when not simple. */
static int js_fast_parse_seq(const char **pp, int depth, js_fitem **out, size_t *nout)
{
    const char *p = *pp;
    js_fitem *items = NULL;
    size_t n = 0, cap = 0;

    while (*p && *p != ')') {
        js_fitem it;
        memset(&it, 0, sizeof(it));
        it.min = it.max = 1;
        if (*p == '^' || *p == '$' || *p == '|' || (unsigned char)*p >= 0x80)
            goto fail;
        if (*p == '(') {
            if (depth > 0)
                goto fail;
            p++;
            if (p[0] == '?' && p[1] == ':')
                p += 2;
            else if (p[0] == '?')
                goto fail;
            it.is_group = 1;
            if (js_fast_parse_seq(&p, depth + 1, &it.sub, &it.nsub) != 0)
                goto fail;
            if (*p != ')') {
                js_fast_free_items(it.sub, it.nsub);
                goto fail;
            }
            p++;
        } else if (*p == '[') {
            p++;
            int neg = 0;
            if (*p == '^') {
                neg = 1;
                p++;
            }
            if (*p == ']')
                goto fail;
            while (*p && *p != ']') {
                int a;
                if (*p == '\\') {
                    p++;
                    if (p[0] == 'd' || p[0] == 'w' || p[0] == 's') {
                        js_fast_escape(*p++, it.set);
                        continue;
                    }
                    unsigned char one[32] = {0};
                    if (!js_fast_escape(*p, one) || *p == 'D' || *p == 'W' || *p == 'S')
                        goto fail;
                    a = (unsigned char)*p++;
                    if (a == 'n')
                        a = '\n';
                    else if (a == 't')
                        a = '\t';
                    else if (a == 'r')
                        a = '\r';
                } else {
                    if ((unsigned char)*p >= 0x80)
                        goto fail;
                    a = (unsigned char)*p++;
                }
                if (p[0] == '-' && p[1] != ']' && p[1] != '\0') {
                    if (p[1] == '\\' || (unsigned char)p[1] >= 0x80)
                        goto fail;
                    int z = (unsigned char)p[1];
                    if (z < a)
                        goto fail;
                    js_set_range(it.set, a, z);
                    p += 2;
                } else {
                    js_set_add(it.set, a);
                }
            }
            if (*p != ']')
                goto fail;
            p++;
            if (neg) {
                /* ASCII strings only reach the fast matcher: complement within ASCII */
                for (int i = 0; i < 16; i++)
                    it.set[i] = (unsigned char)~it.set[i];
                memset(it.set + 16, 0, 16);
                it.set[0] &= (unsigned char)~1u; /* never NUL */
            }
        } else if (*p == '\\') {
            p++;
            if (*p == 'D' || *p == 'W' || *p == 'S' || *p == 'b' || *p == 'B'
                || !js_fast_escape(*p, it.set))
                goto fail;
            p++;
        } else if (*p == '.') {
            js_set_range(it.set, 1, 0x7f);
            it.set['\n' >> 3] &= (unsigned char)~(1u << ('\n' & 7));
            it.set['\r' >> 3] &= (unsigned char)~(1u << ('\r' & 7));
            p++;
        } else if (strchr("*+?{}]", *p) != NULL) {
            goto fail;
        } else {
            js_set_add(it.set, (unsigned char)*p++);
        }
        /* quantifier */
        if (*p == '*' || *p == '+' || *p == '?') {
            it.min = (*p == '+') ? 1 : 0;
            it.max = (*p == '?') ? 1 : -1;
            p++;
        } else if (*p == '{') {
            size_t qlen;
            char *end;
            if (!js_is_quant(p + 1, &qlen))
                goto fail;
            long lo = strtol(p + 1, &end, 10), hi = lo;
            if (*end == ',') {
                hi = (end[1] == '}') ? -1 : strtol(end + 1, &end, 10);
            }
            if (lo > 1000 || hi > 1000 || (hi >= 0 && hi < lo))
                goto fail;
            it.min = (int)lo;
            it.max = (int)hi;
            p += qlen + 1;
        }
        if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
            if (it.is_group)
                js_fast_free_items(it.sub, it.nsub);
            goto fail; /* lazy or stacked quantifiers: leave to regexec */
        }
        js_fitem *ni = js_grow(items, &cap, n, sizeof(*items));
        if (ni == NULL) {
            if (it.is_group)
                js_fast_free_items(it.sub, it.nsub);
            goto fail;
        }
        items = ni;
        items[n++] = it;
    }
    *pp = p;
    *out = items;
    *nout = n;
    return 0;
fail:
    js_fast_free_items(items, n);
    return -1;
}

js_fast *js_fast_compile(const char *src)
{
    const char *p = src;
    size_t len = strlen(src);
    js_fast *f = calloc(1, sizeof(*f));
    char *body;

    if (f == NULL)
        return NULL;
    if (*p == '^') {
        f->anchored_start = 1;
        p++;
        len--;
    }
    if (len > 0 && p[len - 1] == '$' && (len < 2 || p[len - 2] != '\\')) {
        f->anchored_end = 1;
        len--;
    }
    body = strndup(p, len);
    if (body == NULL) {
        free(f);
        return NULL;
    }
    const char *q = body;
    if (js_fast_parse_seq(&q, 0, &f->items, &f->nitems) != 0 || *q != '\0') {
        if (*q != '\0')
            js_fast_free_items(f->items, f->nitems);
        free(body);
        free(f);
        return NULL;
    }
    free(body);
    return f;
}

void js_fast_free(js_fast *f)
{
    if (f == NULL)
        return;
    js_fast_free_items(f->items, f->nitems);
    free(f);
}

/* Continuation for backtracking: what must match after the current sequence. */
typedef struct js_fcont {
    const js_fitem *items;
    size_t i, n;
    const js_fitem *group;     /* when set: one more repetition of group may follow */
    int reps;
    size_t group_start;
    const struct js_fcont *next;
} js_fcont;

typedef struct js_fstate {
    const char *s;
    size_t len;
    int anchored_end;
    long budget;
} js_fstate;

static int js_fast_seq(js_fstate *st, const js_fitem *items, size_t i, size_t n, size_t pos,
                       const js_fcont *k);

static int js_fast_group(js_fstate *st, const js_fitem *g, int reps, size_t pos,
                         size_t start, const js_fcont *k);

static int js_fast_cont(js_fstate *st, size_t pos, const js_fcont *k)
{
    if (k == NULL)
        return !st->anchored_end || pos == st->len;
    if (k->group != NULL)
        return js_fast_group(st, k->group, k->reps, pos, k->group_start, k->next);
    return js_fast_seq(st, k->items, k->i, k->n, pos, k->next);
}

static int js_fast_group(js_fstate *st, const js_fitem *g, int reps, size_t pos, size_t start,
                         const js_fcont *k)
{
    if (--st->budget < 0)
        return -1;
    /* an iteration that consumed nothing ends the loop */
    if (reps > 0 && pos == start && reps >= g->min)
        return js_fast_cont(st, pos, k);
    if (g->max < 0 || reps < g->max) {
        js_fcont again = {NULL, 0, 0, g, reps + 1, pos, k};
        int r = js_fast_seq(st, g->sub, 0, g->nsub, pos, &again);
        if (r != 0)
            return r;
    }
    if (reps >= g->min)
        return js_fast_cont(st, pos, k);
    return 0;
}

static int js_fast_seq(js_fstate *st, const js_fitem *items, size_t i, size_t n, size_t pos,
                       const js_fcont *k)
{
    while (i < n) {
        const js_fitem *it = &items[i];
        if (--st->budget < 0)
            return -1;
        if (it->is_group) {
            js_fcont rest = {items, i + 1, n, NULL, 0, 0, k};
            return js_fast_group(st, it, 0, pos, pos, &rest);
        }
        /* greedy run of the class */
        size_t maxrun = st->len - pos, run = 0;
        if (it->max >= 0 && (size_t)it->max < maxrun)
            maxrun = (size_t)it->max;
        while (run < maxrun && js_set_has(it->set, (unsigned char)st->s[pos + run]))
            run++;
        if (run < (size_t)it->min)
            return 0;
        if (run == (size_t)it->min) {
            pos += run;
            i++;
            continue;
        }
        for (size_t r = run + 1; r-- > (size_t)it->min;) {
            int res = js_fast_seq(st, items, i + 1, n, pos + r, k);
            if (res != 0)
                return res;
        }
        return 0;
    }
    return js_fast_cont(st, pos, k);
}

/* 1 match, 0 no match, -1 budget exhausted (ask regexec). */
int js_fast_match(const js_fast *f, const char *s, size_t len)
{
    js_fstate st = {s, len, f->anchored_end, JS_FAST_BUDGET};

    for (size_t start = 0; start <= len; start++) {
        int r = js_fast_seq(&st, f->items, 0, f->nitems, start, NULL);
        if (r != 0)
            return r;
        if (f->anchored_start)
            break;
    }
    return 0;
}
