/* jsonschema: a JSON Schema draft-07 validator over cJSON; this file
 * validates.
 *
 * jsonschema_registry.c and jsonschema_compile.c turn schema documents into
 * a tree of `struct jsonschema` nodes with every $ref resolved to a node
 * pointer (jsonschema_int.h lists the files). Validation walks the compiled
 * tree and the instance together; error paths are rendered only when an
 * error is reported, so the common valid case does no string work. Inside
 * anyOf, oneOf, not, if, contains and propertyNames subschemas are checked
 * without reporting. Patterns are matched under the registry's locale. */
#include "jsonschema_int.h"
#include "wlog.h"

#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JS_MAX_EVAL_DEPTH 2000   /* nested evaluations before "schema recursion too deep" */

/* ---- validation ---- */

typedef struct js_path {
    const struct js_path *up;
    const char *key;           /* NULL: index */
    size_t index;
} js_path;

typedef struct js_ctx {
    jsonschema_error_cb cb;
    void *user;
    char *err;                 /* first error, for jsonschema_validate */
    size_t errlen;
    int all;                   /* report every error */
    int quiet;                 /* > 0: inside anyOf/oneOf/not/if/contains: no reports */
    int depth;
    int internal;              /* an internal failure happened */
    int reported;
} js_ctx;

static void js_render_path(const js_path *path, char *out, size_t cap)
{
    const js_path *segs[256];
    size_t n = 0, o = 0;

    for (const js_path *p = path; p != NULL && n < 256; p = p->up)
        segs[n++] = p;
    if (n == 0 || cap < 2) {
        snprintf(out, cap, "/");
        return;
    }
    out[0] = '\0';
    while (n-- > 0 && o + 2 < cap) {
        out[o++] = '/';
        if (segs[n]->key == NULL) {
            int w = snprintf(out + o, cap - o, "%zu", segs[n]->index);
            o += (w > 0 && (size_t)w < cap - o) ? (size_t)w : cap - o - 1;
        } else {
            for (const char *k = segs[n]->key; *k && o + 3 < cap; k++) {
                if (*k == '~' || *k == '/') {
                    out[o++] = '~';
                    out[o++] = *k == '~' ? '0' : '1';
                } else {
                    out[o++] = *k;
                }
            }
        }
        out[o] = '\0';
    }
}

static void js_report(js_ctx *ctx, const js_path *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void js_report(js_ctx *ctx, const js_path *path, const char *fmt, ...)
{
    char p[512], msg[512];
    va_list ap;

    if (ctx->quiet > 0)
        return;
    js_render_path(path, p, sizeof(p));
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ctx->cb != NULL)
        ctx->cb(ctx->user, p, msg);
    if (!ctx->reported && ctx->err != NULL)
        wlog_seterr(ctx->err, ctx->errlen, "%s: %s", p, msg);
    ctx->reported = 1;
}

/* A number formatted for messages: integers exactly, others shortest. */
static void js_fmt_num(double v, char *out, size_t cap)
{
    if (floor(v) == v && fabs(v) <= 9007199254740992.0) {
        snprintf(out, cap, "%.0f", v);
        return;
    }
    snprintf(out, cap, "%.15g", v);
    if (strtod(out, NULL) != v)
        snprintf(out, cap, "%.17g", v);
}

static void js_fmt_json(const cJSON *v, char *out, size_t cap)
{
    char *s = cJSON_PrintUnformatted(v);

    if (s == NULL) {
        snprintf(out, cap, "?");
        return;
    }
    if (strlen(s) >= cap && cap > 4)
        snprintf(out, cap, "%.*s...", (int)(cap - 4), s);
    else
        snprintf(out, cap, "%s", s);
    cJSON_free(s);
}

static int js_equal(const cJSON *a, const cJSON *b)
{
    int ta = a->type & 0xFF, tb = b->type & 0xFF;

    if (ta != tb)
        return 0;
    switch (ta) {
    case cJSON_Number:
        return a->valuedouble == b->valuedouble;
    case cJSON_String:
        return strcmp(a->valuestring, b->valuestring) == 0;
    case cJSON_Array: {
        const cJSON *x = a->child, *y = b->child;
        for (; x != NULL && y != NULL; x = x->next, y = y->next)
            if (!js_equal(x, y))
                return 0;
        return x == NULL && y == NULL;
    }
    case cJSON_Object: {
        int na = 0, nb = 0;
        for (const cJSON *x = a->child; x != NULL; x = x->next)
            na++;
        for (const cJSON *y = b->child; y != NULL; y = y->next)
            nb++;
        if (na != nb)
            return 0;
        for (const cJSON *x = a->child; x != NULL; x = x->next) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (y == NULL || !js_equal(x, y))
                return 0;
        }
        return 1;
    }
    default:
        return 1; /* null, true, false: the type says it all */
    }
}

static unsigned js_instance_type(const cJSON *v)
{
    switch (v->type & 0xFF) {
    case cJSON_NULL: return JS_T_NULL;
    case cJSON_True:
    case cJSON_False: return JS_T_BOOLEAN;
    case cJSON_Object: return JS_T_OBJECT;
    case cJSON_Array: return JS_T_ARRAY;
    case cJSON_String: return JS_T_STRING;
    case cJSON_Number: {
        double d = v->valuedouble;
        return (isfinite(d) && floor(d) == d) ? (JS_T_NUMBER | JS_T_INTEGER) : JS_T_NUMBER;
    }
    default: return 0;
    }
}

static void js_type_names(unsigned types, char *out, size_t cap)
{
    static const char *const names[] = {"null", "boolean", "object", "array", "number", "string",
                                        "integer"};
    size_t o = 0;
    int first = 1;

    out[0] = '\0';
    for (int i = 0; i < 7; i++) {
        if (!(types & (1u << i)))
            continue;
        int w = snprintf(out + o, cap - o, "%s%s", first ? "" : " or ", names[i]);
        if (w < 0 || (size_t)w >= cap - o)
            break;
        o += (size_t)w;
        first = 0;
    }
}

static int js_validate(js_ctx *ctx, const jsonschema *s, const cJSON *v, const js_path *path);

/* Validates without reporting: 1 valid, 0 invalid, -1 internal. */
static int js_check_quiet(js_ctx *ctx, const jsonschema *s, const cJSON *v, const js_path *path)
{
    int r;

    ctx->quiet++;
    r = js_validate(ctx, s, v, path);
    ctx->quiet--;
    return r;
}

static long long js_codepoints(const char *s)
{
    long long n = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            n++;
    return n;
}

/* strcmp with the first byte compared inline: most keys differ there. */
static inline int js_strcmp(const char *a, const char *b)
{
    int c = (unsigned char)a[0] - (unsigned char)b[0];
    return c != 0 || a[0] == '\0' ? c : strcmp(a + 1, b + 1);
}

/* cJSON_GetObjectItemCaseSensitive without a library call per member. */
static const cJSON *js_obj_get(const cJSON *obj, const char *name)
{
    for (const cJSON *m = obj->child; m != NULL; m = m->next)
        if (m->string != NULL && js_strcmp(m->string, name) == 0)
            return m;
    return NULL;
}

static const js_prop *js_find_prop(const jsonschema *s, const char *name)
{
    size_t lo = 0, hi = s->nprops;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = js_strcmp(name, s->props[mid].name);
        if (c == 0)
            return &s->props[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

#define JS_FAIL()                                                                              \
    do {                                                                                       \
        ok = 0;                                                                                \
        if (!ctx->all || ctx->quiet)                                                           \
            goto done;                                                                         \
    } while (0)

#define JS_SUB(expr)                                                                           \
    do {                                                                                       \
        int r_ = (expr);                                                                       \
        if (r_ < 0) {                                                                          \
            ok = -1;                                                                           \
            goto done;                                                                         \
        }                                                                                      \
        if (r_ == 0)                                                                           \
            JS_FAIL();                                                                         \
    } while (0)

static int js_validate_object(js_ctx *ctx, const jsonschema *s, const cJSON *v,
                              const js_path *path)
{
    int ok = 1;

    for (size_t i = 0; i < s->nrequired; i++) {
        if (js_obj_get(v, s->required[i]) == NULL) {
            js_report(ctx, path, "missing required property \"%s\"", s->required[i]);
            JS_FAIL();
        }
    }
    if (s->min_props >= 0 || s->max_props >= 0) {
        long long n = cJSON_GetArraySize(v);
        if (s->min_props >= 0 && n < s->min_props) {
            js_report(ctx, path, "must have at least %lld properties", s->min_props);
            JS_FAIL();
        }
        if (s->max_props >= 0 && n > s->max_props) {
            js_report(ctx, path, "must have at most %lld properties", s->max_props);
            JS_FAIL();
        }
    }
    if (s->nprops || s->npatprops || s->addl_props || s->prop_names) {
        for (const cJSON *m = v->child; m != NULL; m = m->next) {
            js_path sub = {path, m->string, 0};
            int covered = 0;

            if (s->prop_names != NULL) {
                cJSON name;
                memset(&name, 0, sizeof(name));
                name.type = cJSON_String;
                name.valuestring = m->string;
                int r = js_check_quiet(ctx, s->prop_names, &name, &sub);
                if (r < 0) {
                    ok = -1;
                    goto done;
                }
                if (r == 0) {
                    js_report(ctx, path, "property name \"%.100s\" is not allowed by propertyNames",
                              m->string);
                    JS_FAIL();
                }
            }
            if (s->nprops) {
                const js_prop *p = js_find_prop(s, m->string);
                if (p != NULL) {
                    covered = 1;
                    JS_SUB(js_validate(ctx, p->schema, m, &sub));
                }
            }
            for (size_t i = 0; i < s->npatprops; i++) {
                if (js_regex_search(s->patprops[i].re, m->string)) {
                    covered = 1;
                    JS_SUB(js_validate(ctx, s->patprops[i].schema, m, &sub));
                }
            }
            if (!covered && s->addl_props != NULL) {
                if (s->addl_props->always == 0) {
                    js_report(ctx, &sub, "additional property not allowed");
                    JS_FAIL();
                } else {
                    JS_SUB(js_validate(ctx, s->addl_props, m, &sub));
                }
            }
        }
    }
    for (size_t i = 0; i < s->ndeps; i++) {
        const js_dep *d = &s->deps[i];
        if (js_obj_get(v, d->name) == NULL)
            continue;
        if (d->schema != NULL) {
            JS_SUB(js_validate(ctx, d->schema, v, path));
        } else {
            for (size_t j = 0; j < d->nnames; j++) {
                if (js_obj_get(v, d->names[j]) == NULL) {
                    js_report(ctx, path, "property \"%s\" requires property \"%s\"", d->name,
                              d->names[j]);
                    JS_FAIL();
                }
            }
        }
    }
done:
    return ok;
}

static int js_validate_array(js_ctx *ctx, const jsonschema *s, const cJSON *v,
                             const js_path *path)
{
    int ok = 1;
    long long n = -1;

    if (s->min_items >= 0 || s->max_items >= 0) {
        n = cJSON_GetArraySize(v);
        if (s->min_items >= 0 && n < s->min_items) {
            js_report(ctx, path, "must have at least %lld items", s->min_items);
            JS_FAIL();
        }
        if (s->max_items >= 0 && n > s->max_items) {
            js_report(ctx, path, "must have at most %lld items", s->max_items);
            JS_FAIL();
        }
    }
    if (s->items != NULL || (s->flags & JS_F_ITEMS_LIST)) {
        size_t i = 0;
        for (const cJSON *e = v->child; e != NULL; e = e->next, i++) {
            js_path sub = {path, NULL, i};
            const jsonschema *is;
            if (s->flags & JS_F_ITEMS_LIST) {
                if (i < s->nitem_list)
                    is = s->item_list[i];
                else if (s->addl_items != NULL)
                    is = s->addl_items;
                else
                    break;
                if (is == s->addl_items && is->always == 0) {
                    js_report(ctx, &sub, "additional item not allowed");
                    JS_FAIL();
                    continue;
                }
            } else {
                is = s->items;
            }
            JS_SUB(js_validate(ctx, is, e, &sub));
        }
    }
    if (s->flags & JS_F_UNIQUE) {
        size_t i = 0;
        for (const cJSON *a = v->child; a != NULL; a = a->next, i++) {
            size_t j = i + 1;
            for (const cJSON *b = a->next; b != NULL; b = b->next, j++) {
                if (js_equal(a, b)) {
                    js_report(ctx, path, "items must be unique (items %zu and %zu are equal)", i,
                              j);
                    JS_FAIL();
                    goto unique_done;
                }
            }
        }
    unique_done:;
    }
    if (s->contains != NULL) {
        int found = 0;
        size_t i = 0;
        for (const cJSON *e = v->child; e != NULL && !found; e = e->next, i++) {
            js_path sub = {path, NULL, i};
            int r = js_check_quiet(ctx, s->contains, e, &sub);
            if (r < 0) {
                ok = -1;
                goto done;
            }
            found = r;
        }
        if (!found) {
            js_report(ctx, path, "must contain an item that matches \"contains\"");
            JS_FAIL();
        }
    }
done:
    return ok;
}

static int js_validate(js_ctx *ctx, const jsonschema *s, const cJSON *v, const js_path *path)
{
    int ok = 1;
    unsigned it;
    char a[160];

    while (s->ref != NULL)
        s = s->ref;
    if (s->ref_uri != NULL) {
        wlog_seterr(ctx->err, ctx->errlen, "unresolved $ref \"%s\" (call jsonschema_registry_resolve)",
                  s->ref_uri);
        ctx->internal = 1;
        return -1;
    }
    if (s->always >= 0) {
        if (s->always == 0) {
            js_report(ctx, path, "no value is allowed here (schema false)");
            return 0;
        }
        return 1;
    }
    if (++ctx->depth > JS_MAX_EVAL_DEPTH) {
        wlog_seterr(ctx->err, ctx->errlen, "schema recursion too deep");
        ctx->internal = 1;
        ctx->depth--;
        return -1;
    }
    it = js_instance_type(v);
    if (s->types != 0 && !(s->types & it)) {
        js_type_names(s->types, a, sizeof(a));
        js_report(ctx, path, "must be %s%s", (s->types & (s->types - 1)) ? "of type " : "", a);
        JS_FAIL();
    }
    if (s->flags & JS_F_CONST) {
        if (!js_equal(s->const_val, v)) {
            js_fmt_json(s->const_val, a, sizeof(a));
            js_report(ctx, path, "must be equal to %s", a);
            JS_FAIL();
        }
    }
    if (s->enum_vals != NULL) {
        int found = 0;
        for (const cJSON *e = s->enum_vals->child; e != NULL && !found; e = e->next)
            found = js_equal(e, v);
        if (!found) {
            js_fmt_json(s->enum_vals, a, sizeof(a));
            js_report(ctx, path, "must be one of %s", a);
            JS_FAIL();
        }
    }
    if (it & JS_T_NUMBER) {
        double d = v->valuedouble;
        if ((s->flags & JS_F_MIN) && !(d >= s->minimum)) {
            js_fmt_num(s->minimum, a, sizeof(a));
            js_report(ctx, path, "must be >= %s", a);
            JS_FAIL();
        }
        if ((s->flags & JS_F_MAX) && !(d <= s->maximum)) {
            js_fmt_num(s->maximum, a, sizeof(a));
            js_report(ctx, path, "must be <= %s", a);
            JS_FAIL();
        }
        if ((s->flags & JS_F_XMIN) && !(d > s->xminimum)) {
            js_fmt_num(s->xminimum, a, sizeof(a));
            js_report(ctx, path, "must be > %s", a);
            JS_FAIL();
        }
        if ((s->flags & JS_F_XMAX) && !(d < s->xmaximum)) {
            js_fmt_num(s->xmaximum, a, sizeof(a));
            js_report(ctx, path, "must be < %s", a);
            JS_FAIL();
        }
        if (s->flags & JS_F_MULT) {
            double q = d / s->multiple;
            int mult;
            if (!isfinite(q))
                mult = 0;
            else if (floor(s->multiple) == s->multiple && floor(d) == d)
                mult = fmod(d, s->multiple) == 0;
            else
                mult = fabs(q - nearbyint(q)) <= 1e-9 * fmax(1.0, fabs(q));
            if (!mult) {
                js_fmt_num(s->multiple, a, sizeof(a));
                js_report(ctx, path, "must be a multiple of %s", a);
                JS_FAIL();
            }
        }
    } else if (it == JS_T_STRING) {
        if (s->min_len >= 0 || s->max_len >= 0) {
            long long n = js_codepoints(v->valuestring);
            if (s->min_len >= 0 && n < s->min_len) {
                js_report(ctx, path, "must be at least %lld characters long", s->min_len);
                JS_FAIL();
            }
            if (s->max_len >= 0 && n > s->max_len) {
                js_report(ctx, path, "must be at most %lld characters long", s->max_len);
                JS_FAIL();
            }
        }
        if (s->pattern != NULL && !js_regex_search(s->pattern, v->valuestring)) {
            js_report(ctx, path, "must match pattern \"%.100s\"", s->pattern->src);
            JS_FAIL();
        }
    } else if (it == JS_T_OBJECT) {
        JS_SUB(js_validate_object(ctx, s, v, path));
    } else if (it == JS_T_ARRAY) {
        JS_SUB(js_validate_array(ctx, s, v, path));
    }
    for (size_t i = 0; i < s->nall_of; i++)
        JS_SUB(js_validate(ctx, s->all_of[i], v, path));
    if (s->nany_of) {
        int found = 0;
        for (size_t i = 0; i < s->nany_of && !found; i++) {
            int r = js_check_quiet(ctx, s->any_of[i], v, path);
            if (r < 0) {
                ok = -1;
                goto done;
            }
            found = r;
        }
        if (!found) {
            js_report(ctx, path, "must match at least one schema of anyOf");
            JS_FAIL();
        }
    }
    if (s->none_of) {
        int count = 0;
        size_t first = 0, second = 0;
        for (size_t i = 0; i < s->none_of && count < 2; i++) {
            int r = js_check_quiet(ctx, s->one_of[i], v, path);
            if (r < 0) {
                ok = -1;
                goto done;
            }
            if (r) {
                if (count == 0)
                    first = i;
                else
                    second = i;
                count++;
            }
        }
        if (count == 0) {
            js_report(ctx, path, "must match exactly one schema of oneOf (matches none)");
            JS_FAIL();
        } else if (count > 1) {
            js_report(ctx, path, "must match exactly one schema of oneOf (matches %zu and %zu)",
                      first, second);
            JS_FAIL();
        }
    }
    if (s->not_s != NULL) {
        int r = js_check_quiet(ctx, s->not_s, v, path);
        if (r < 0) {
            ok = -1;
            goto done;
        }
        if (r) {
            js_report(ctx, path, "must not match the schema of \"not\"");
            JS_FAIL();
        }
    }
    if (s->if_s != NULL && (s->then_s != NULL || s->else_s != NULL)) {
        int r = js_check_quiet(ctx, s->if_s, v, path);
        if (r < 0) {
            ok = -1;
            goto done;
        }
        const jsonschema *branch = r ? s->then_s : s->else_s;
        if (branch != NULL)
            JS_SUB(js_validate(ctx, branch, v, path));
    }
done:
    ctx->depth--;
    return ok;
}

static int js_run(const jsonschema *s, const cJSON *instance, js_ctx *ctx)
{
    locale_t old;
    int r;

    if (s == NULL || instance == NULL) {
        wlog_seterr(ctx->err, ctx->errlen, "no schema or no instance");
        return -1;
    }
    old = uselocale(s->reg->loc);
    r = js_validate(ctx, s, instance, NULL);
    uselocale(old);
    if (r < 0 || ctx->internal)
        return -1;
    if (r == 0 && !ctx->reported)
        wlog_seterr(ctx->err, ctx->errlen, "/: invalid");
    return r ? 0 : 1;
}

int jsonschema_validate(const jsonschema *s, const cJSON *instance, char *err, size_t errlen)
{
    js_ctx ctx;

    memset(&ctx, 0, sizeof(ctx));
    ctx.err = err;
    ctx.errlen = errlen;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    return js_run(s, instance, &ctx);
}

int jsonschema_validate_all(const jsonschema *s, const cJSON *instance, jsonschema_error_cb cb,
                            void *user)
{
    js_ctx ctx;
    char err[512];
    int r;

    memset(&ctx, 0, sizeof(ctx));
    ctx.cb = cb;
    ctx.user = user;
    ctx.all = 1;
    ctx.err = err;
    ctx.errlen = sizeof(err);
    r = js_run(s, instance, &ctx);
    if (r < 0 && cb != NULL)
        cb(user, "/", err);
    return r;
}
