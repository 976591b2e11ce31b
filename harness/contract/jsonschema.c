/* jsonschema: a JSON Schema draft-07 validator over cJSON.
 *
 * Schemas are compiled once into a tree of `struct jsonschema` nodes: keyword
 * values are checked for shape, patterns become regex_t, properties are
 * sorted for binary search, and every $ref is resolved to a node pointer by
 * jsonschema_registry_resolve(). Validation then walks the compiled tree and
 * the instance together; error paths are rendered only when an error is
 * reported, so the common valid case does no string work.
 *
 * URIs: a document is known by the uri it was added under (a file's path is
 * made absolute) and by its `$id`; a subschema `$id` changes the base URI
 * and registers that subschema too (plain-name fragments "#foo" included).
 * As draft-07 says, a `$ref` makes its siblings (including `$id`) ignored.
 * The draft-07 metaschema is built in. A $ref to a file that was not added
 * is loaded from disk when jsonschema_registry_resolve() runs.
 *
 * Patterns (ECMA-262 in the spec) are translated to POSIX extended regular
 * expressions and compiled under the C.UTF-8 locale, so a class or `.`
 * matches one code point. Differences from ECMA-262:
 *   - \d \w \s \D \W \S become [0-9], [A-Za-z0-9_], [[:space:]] and their
 *     negations (\s follows the locale's space class, close to ECMA's);
 *   - `.` is [^\n\r] (ECMA also excludes U+2028/U+2029);
 *   - lazy quantifiers (*? +? ?? {n,m}?) become greedy: the match/no-match
 *     answer of an unanchored search is the same;
 *   - (?:...) and (?<name>...) become plain groups;
 *   - lookarounds, backreferences, \p{..} and the empty classes [] [^] are
 *     refused when the schema loads, with a message naming the pattern.
 * Patterns match anywhere in the string (ECMA `search`), as the spec says.
 * Simple patterns (anchored sequences of classes, literals and groups with
 * counts, no alternation) are also compiled to a small backtracking matcher
 * with a step budget, used for ASCII strings; regexec is the fallback.
 *
 * `format` and other unknown keywords are annotations and ignored; keywords
 * of later drafts that would add constraints (unevaluatedProperties,
 * dependentRequired, prefixItems, ...) are refused so a schema is never
 * silently weaker than its author meant. */
#include "jsonschema.h"
#include "wlog.h"
#include "wjson.h"

#include <ctype.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JS_MAX_EVAL_DEPTH 2000   /* nested evaluations before "schema recursion too deep" */
#define JS_SCHEMA_MAX_DEPTH 256  /* nesting allowed in schema documents */
#define JS_FAST_BUDGET 20000     /* backtracking steps before falling back to regexec */
#define JS_META_URI "http://json-schema.org/draft-07/schema"

enum {
    JS_T_NULL = 1,
    JS_T_BOOLEAN = 2,
    JS_T_OBJECT = 4,
    JS_T_ARRAY = 8,
    JS_T_NUMBER = 16,
    JS_T_STRING = 32,
    JS_T_INTEGER = 64,
};

enum {
    JS_F_MIN = 1 << 0,
    JS_F_MAX = 1 << 1,
    JS_F_XMIN = 1 << 2,
    JS_F_XMAX = 1 << 3,
    JS_F_MULT = 1 << 4,
    JS_F_CONST = 1 << 5,
    JS_F_UNIQUE = 1 << 6,
    JS_F_ITEMS_LIST = 1 << 7,
};

/* ---- the small backtracking matcher for simple patterns ---- */

typedef struct js_fitem {
    int is_group;
    unsigned char set[32];     /* byte set for a class or literal */
    struct js_fitem *sub;      /* group contents */
    size_t nsub;
    int min, max;              /* max -1: unbounded */
} js_fitem;

typedef struct js_fast {
    js_fitem *items;
    size_t nitems;
    int anchored_start, anchored_end;
} js_fast;

typedef struct js_regex {
    char *src;                 /* the pattern as written */
    regex_t re;
    js_fast *fast;             /* NULL when the pattern is not simple */
} js_regex;

typedef struct js_prop {
    const char *name;
    jsonschema *schema;
} js_prop;

typedef struct js_patprop {
    js_regex *re;
    jsonschema *schema;
} js_patprop;

typedef struct js_dep {
    const char *name;
    jsonschema *schema;        /* schema dependency, or NULL */
    const char **names;        /* property dependency */
    size_t nnames;
} js_dep;

struct jsonschema {
    jsonschema_registry *reg;
    const cJSON *src;
    int always;                /* 1: true schema, 0: false schema, -1: object schema */
    char *ref_uri;             /* $ref resolved against the base, or NULL */
    jsonschema *ref;
    unsigned types;
    unsigned flags;
    double minimum, maximum, xminimum, xmaximum, multiple;
    long long min_len, max_len, min_items, max_items, min_props, max_props; /* -1: none */
    const cJSON *enum_vals;
    const cJSON *const_val;
    js_prop *props;
    size_t nprops;
    js_patprop *patprops;
    size_t npatprops;
    jsonschema *addl_props;
    jsonschema *prop_names;
    const char **required;
    size_t nrequired;
    jsonschema *items;
    jsonschema **item_list;
    size_t nitem_list;
    jsonschema *addl_items;
    jsonschema *contains;
    js_regex *pattern;
    jsonschema **all_of, **any_of, **one_of;
    size_t nall_of, nany_of, none_of;
    jsonschema *not_s, *if_s, *then_s, *else_s;
    js_dep *deps;
    size_t ndeps;
};

typedef struct js_doc {
    cJSON *root;
    char *uri;                 /* as added (absolute for files), may be NULL */
} js_doc;

typedef struct js_id {
    char *uri;                 /* absolute, without an empty fragment */
    const cJSON *node;
    char *base;
} js_id;

typedef struct js_mapent {
    const cJSON *key;
    jsonschema *val;
} js_mapent;

struct jsonschema_registry {
    js_doc *docs;
    size_t ndocs, capdocs;
    js_id *ids;
    size_t nids, capids;
    jsonschema **nodes;
    size_t nnodes, capnodes;
    js_mapent *map;            /* open addressing: cJSON node -> compiled node */
    size_t mapcap, mapn;
    locale_t loc;
    int failed;
    int resolved;
};

static void *js_grow(void *ptr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return ptr;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(ptr, ncap * elem);
    if (p != NULL)
        *cap = ncap;
    return p;
}

/* ---- the draft-07 metaschema ---- */

static const char js_meta_text[] =
    "{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
    "\"$id\":\"http://json-schema.org/draft-07/schema#\","
    "\"title\":\"Core schema meta-schema\","
    "\"definitions\":{"
    "\"schemaArray\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"$ref\":\"#\"}},"
    "\"nonNegativeInteger\":{\"type\":\"integer\",\"minimum\":0},"
    "\"nonNegativeIntegerDefault0\":{\"allOf\":[{\"$ref\":\"#/definitions/nonNegativeInteger\"},"
    "{\"default\":0}]},"
    "\"simpleTypes\":{\"enum\":[\"array\",\"boolean\",\"integer\",\"null\",\"number\",\"object\","
    "\"string\"]},"
    "\"stringArray\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"uniqueItems\":true,"
    "\"default\":[]}},"
    "\"type\":[\"object\",\"boolean\"],"
    "\"properties\":{"
    "\"$id\":{\"type\":\"string\",\"format\":\"uri-reference\"},"
    "\"$schema\":{\"type\":\"string\",\"format\":\"uri\"},"
    "\"$ref\":{\"type\":\"string\",\"format\":\"uri-reference\"},"
    "\"$comment\":{\"type\":\"string\"},"
    "\"title\":{\"type\":\"string\"},"
    "\"description\":{\"type\":\"string\"},"
    "\"default\":true,"
    "\"readOnly\":{\"type\":\"boolean\",\"default\":false},"
    "\"writeOnly\":{\"type\":\"boolean\",\"default\":false},"
    "\"examples\":{\"type\":\"array\",\"items\":true},"
    "\"multipleOf\":{\"type\":\"number\",\"exclusiveMinimum\":0},"
    "\"maximum\":{\"type\":\"number\"},"
    "\"exclusiveMaximum\":{\"type\":\"number\"},"
    "\"minimum\":{\"type\":\"number\"},"
    "\"exclusiveMinimum\":{\"type\":\"number\"},"
    "\"maxLength\":{\"$ref\":\"#/definitions/nonNegativeInteger\"},"
    "\"minLength\":{\"$ref\":\"#/definitions/nonNegativeIntegerDefault0\"},"
    "\"pattern\":{\"type\":\"string\",\"format\":\"regex\"},"
    "\"additionalItems\":{\"$ref\":\"#\"},"
    "\"items\":{\"anyOf\":[{\"$ref\":\"#\"},{\"$ref\":\"#/definitions/schemaArray\"}],"
    "\"default\":true},"
    "\"maxItems\":{\"$ref\":\"#/definitions/nonNegativeInteger\"},"
    "\"minItems\":{\"$ref\":\"#/definitions/nonNegativeIntegerDefault0\"},"
    "\"uniqueItems\":{\"type\":\"boolean\",\"default\":false},"
    "\"contains\":{\"$ref\":\"#\"},"
    "\"maxProperties\":{\"$ref\":\"#/definitions/nonNegativeInteger\"},"
    "\"minProperties\":{\"$ref\":\"#/definitions/nonNegativeIntegerDefault0\"},"
    "\"required\":{\"$ref\":\"#/definitions/stringArray\"},"
    "\"additionalProperties\":{\"$ref\":\"#\"},"
    "\"definitions\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},"
    "\"default\":{}},"
    "\"properties\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},"
    "\"default\":{}},"
    "\"patternProperties\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},"
    "\"propertyNames\":{\"format\":\"regex\"},\"default\":{}},"
    "\"dependencies\":{\"type\":\"object\",\"additionalProperties\":{\"anyOf\":["
    "{\"$ref\":\"#\"},{\"$ref\":\"#/definitions/stringArray\"}]}},"
    "\"propertyNames\":{\"$ref\":\"#\"},"
    "\"const\":true,"
    "\"enum\":{\"type\":\"array\",\"items\":true},"
    "\"type\":{\"anyOf\":[{\"$ref\":\"#/definitions/simpleTypes\"},{\"type\":\"array\","
    "\"items\":{\"$ref\":\"#/definitions/simpleTypes\"},\"minItems\":1,\"uniqueItems\":true}]},"
    "\"format\":{\"type\":\"string\"},"
    "\"contentMediaType\":{\"type\":\"string\"},"
    "\"contentEncoding\":{\"type\":\"string\"},"
    "\"if\":{\"$ref\":\"#\"},"
    "\"then\":{\"$ref\":\"#\"},"
    "\"else\":{\"$ref\":\"#\"},"
    "\"allOf\":{\"$ref\":\"#/definitions/schemaArray\"},"
    "\"anyOf\":{\"$ref\":\"#/definitions/schemaArray\"},"
    "\"oneOf\":{\"$ref\":\"#/definitions/schemaArray\"},"
    "\"not\":{\"$ref\":\"#\"}},"
    "\"default\":true}";

/* ---- URIs ---- */

static int js_has_scheme(const char *s)
{
    const char *p = s;

    if (!isalpha((unsigned char)*p))
        return 0;
    while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    return *p == ':';
}

/* Removes "." and ".." segments from path in place (RFC 3986 5.2.4). */
static void js_remove_dots(char *path)
{
    size_t len = strlen(path);
    char **segs = malloc((len + 2) * sizeof(*segs));
    char *copy = strdup(path);
    size_t n = 0;
    int abs = (path[0] == '/'), trailing = 0;

    if (segs == NULL || copy == NULL) {
        free(segs);
        free(copy);
        return;
    }
    char *p = copy + abs;
    for (;;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        trailing = 0;
        if (strcmp(p, ".") == 0) {
            trailing = 1;
        } else if (strcmp(p, "..") == 0) {
            if (n > 0 && strcmp(segs[n - 1], "..") != 0)
                n--;
            else if (!abs)
                segs[n++] = p;
            trailing = 1;
        } else {
            segs[n++] = p;
        }
        if (!slash)
            break;
        p = slash + 1;
    }
    char *o = path;
    if (abs)
        *o++ = '/';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(segs[i]);
        memcpy(o, segs[i], l);
        o += l;
        if (i + 1 < n)
            *o++ = '/';
    }
    if (trailing && n > 0)
        *o++ = '/';
    *o = '\0';
    free(segs);
    free(copy);
}

/* Resolves ref against base; malloc'd. Fragments are kept as written. */
static char *js_uri_resolve(const char *base, const char *ref)
{
    size_t blen, rlen = strlen(ref);
    char *out;

    if (js_has_scheme(ref) || base == NULL || *base == '\0') {
        out = strdup(ref);
        if (out == NULL)
            return NULL;
        /* normalise dots in the path part of an absolute ref */
        char *frag = strchr(out, '#');
        char *fragcopy = NULL;
        if (frag != NULL) {
            fragcopy = strdup(frag);
            if (fragcopy == NULL) {
                free(out);
                return NULL;
            }
            *frag = '\0';
        }
        char *path = out;
        if (js_has_scheme(out)) {
            path = strchr(out, ':') + 1;
            if (path[0] == '/' && path[1] == '/') {
                char *slash = strchr(path + 2, '/');
                path = slash ? slash : path + strlen(path);
            }
        }
        if (strstr(path, "/.") != NULL || path[0] == '.')
            js_remove_dots(path);
        if (fragcopy != NULL) {
            strcat(out, fragcopy); /* the path only shrank: it fits */
            free(fragcopy);
        }
        return out;
    }
    /* base without its fragment */
    const char *bh = strchr(base, '#');
    blen = bh ? (size_t)(bh - base) : strlen(base);
    out = malloc(blen + rlen + 4);
    if (out == NULL)
        return NULL;
    if (ref[0] == '#' || rlen == 0) {
        memcpy(out, base, blen);
        strcpy(out + blen, ref);
        return out;
    }
    /* scheme and authority of the base */
    size_t pre = 0;
    if (js_has_scheme(base)) {
        pre = (size_t)(strchr(base, ':') - base) + 1;
        if (pre + 1 < blen && base[pre] == '/' && base[pre + 1] == '/') {
            const char *slash = memchr(base + pre + 2, '/', blen - pre - 2);
            pre = slash ? (size_t)(slash - base) : blen;
        }
    }
    if (ref[0] == '/' && ref[1] == '/') {
        size_t sch = js_has_scheme(base) ? (size_t)(strchr(base, ':') - base) + 1 : 0;
        memcpy(out, base, sch);
        strcpy(out + sch, ref);
        return out;
    }
    memcpy(out, base, pre);
    size_t o = pre;
    if (ref[0] == '/') {
        strcpy(out + o, ref);
    } else {
        /* merge: base path up to its last slash, then ref */
        const char *bpath = base + pre;
        size_t bplen = blen - pre;
        size_t keep = 0;
        for (size_t i = 0; i < bplen; i++)
            if (bpath[i] == '/')
                keep = i + 1;
        if (keep == 0 && pre > 0 && bplen == 0)
            out[o++] = '/';
        memcpy(out + o, bpath, keep);
        o += keep;
        strcpy(out + o, ref);
    }
    /* dot segments in the path (not the fragment) */
    char *frag = strchr(out + pre, '#');
    char *fragcopy = NULL;
    if (frag) {
        fragcopy = strdup(frag);
        *frag = '\0';
    }
    js_remove_dots(out + pre);
    if (fragcopy) {
        strcat(out, fragcopy);
        free(fragcopy);
    }
    return out;
}

/* A copy of uri without a trailing empty fragment ("...schema#" -> "...schema"). */
static char *js_uri_norm(const char *uri)
{
    size_t n = strlen(uri);
    char *s;

    if (n > 0 && uri[n - 1] == '#')
        n--;
    s = malloc(n + 1);
    if (s != NULL) {
        memcpy(s, uri, n);
        s[n] = '\0';
    }
    return s;
}

/* ---- the node map ---- */

static size_t js_hash_ptr(const void *p)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= 0xed5ad4bbU;
    x ^= x >> 11;
    return (size_t)x;
}

static jsonschema *js_map_get(const jsonschema_registry *reg, const cJSON *key)
{
    if (reg->mapcap == 0)
        return NULL;
    size_t i = js_hash_ptr(key) & (reg->mapcap - 1);
    while (reg->map[i].key != NULL) {
        if (reg->map[i].key == key)
            return reg->map[i].val;
        i = (i + 1) & (reg->mapcap - 1);
    }
    return NULL;
}

static int js_map_put(jsonschema_registry *reg, const cJSON *key, jsonschema *val)
{
    if ((reg->mapn + 1) * 2 > reg->mapcap) {
        size_t ncap = reg->mapcap ? reg->mapcap * 2 : 256;
        js_mapent *nm = calloc(ncap, sizeof(*nm));
        if (nm == NULL)
            return -1;
        for (size_t i = 0; i < reg->mapcap; i++) {
            if (reg->map[i].key == NULL)
                continue;
            size_t j = js_hash_ptr(reg->map[i].key) & (ncap - 1);
            while (nm[j].key != NULL)
                j = (j + 1) & (ncap - 1);
            nm[j] = reg->map[i];
        }
        free(reg->map);
        reg->map = nm;
        reg->mapcap = ncap;
    }
    size_t i = js_hash_ptr(key) & (reg->mapcap - 1);
    while (reg->map[i].key != NULL)
        i = (i + 1) & (reg->mapcap - 1);
    reg->map[i].key = key;
    reg->map[i].val = val;
    reg->mapn++;
    return 0;
}

/* ---- ids ---- */

static const js_id *js_id_find(const jsonschema_registry *reg, const char *uri)
{
    for (size_t i = 0; i < reg->nids; i++)
        if (strcmp(reg->ids[i].uri, uri) == 0)
            return &reg->ids[i];
    return NULL;
}

static int js_id_add(jsonschema_registry *reg, const char *uri, const cJSON *node,
                     const char *base, char *err, size_t errlen)
{
    char *norm = js_uri_norm(uri);
    const js_id *old;

    if (norm == NULL) {
        wlog_seterr(err, errlen, "out of memory");
        return -1;
    }
    old = js_id_find(reg, norm);
    if (old != NULL) {
        free(norm);
        if (old->node == node)
            return 0;
        wlog_seterr(err, errlen, "two schemas with the same id \"%s\"", uri);
        return -1;
    }
    js_id *ids = js_grow(reg->ids, &reg->capids, reg->nids, sizeof(*ids));
    if (ids == NULL) {
        free(norm);
        wlog_seterr(err, errlen, "out of memory");
        return -1;
    }
    reg->ids = ids;
    ids[reg->nids].uri = norm;
    ids[reg->nids].node = node;
    ids[reg->nids].base = strdup(base ? base : "");
    reg->nids++;
    return 0;
}

/* ---- pattern translation (ECMA-262 -> POSIX ERE) ---- */

typedef struct js_buf {
    char *s;
    size_t n, cap;
    int oom;
} js_buf;

static void js_buf_put(js_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 64;
        while (ncap < b->n + n + 1)
            ncap *= 2;
        char *p = realloc(b->s, ncap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = ncap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void js_buf_puts(js_buf *b, const char *s)
{
    js_buf_put(b, s, strlen(s));
}

static int js_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static size_t js_utf8_encode(unsigned long cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes a character escape at p (just after the backslash) that stands for
 * one character: \n \t \r \f \v \xHH \uHHHH (with surrogate pairs) \cX, or an
 * identity escape. Writes UTF-8 to out, returns the pattern bytes consumed,
 * 0 when p is not such an escape, -1 with err for a refused one. */
static int js_char_escape(const char *p, char *out, size_t *outn, char *err, size_t errlen)
{
    unsigned long cp;

    switch (*p) {
    case 'n': cp = '\n'; break;
    case 't': cp = '\t'; break;
    case 'r': cp = '\r'; break;
    case 'f': cp = '\f'; break;
    case 'v': cp = '\v'; break;
    case 'x':
        if (js_hexval(p[1]) < 0 || js_hexval(p[2]) < 0)
            return 0;
        cp = (unsigned long)(js_hexval(p[1]) * 16 + js_hexval(p[2]));
        if (cp == 0) {
            wlog_seterr(err, errlen, "\\x00 cannot be expressed");
            return -1;
        }
        *outn = js_utf8_encode(cp, out);
        return 3;
    case 'u': {
        int i;
        cp = 0;
        for (i = 1; i <= 4; i++) {
            if (js_hexval(p[i]) < 0)
                return 0;
            cp = cp * 16 + (unsigned long)js_hexval(p[i]);
        }
        int used = 5;
        if (cp >= 0xD800 && cp <= 0xDBFF && p[5] == '\\' && p[6] == 'u') {
            unsigned long lo = 0;
            for (i = 7; i <= 10; i++) {
                if (js_hexval(p[i]) < 0)
                    break;
                lo = lo * 16 + (unsigned long)js_hexval(p[i]);
            }
            if (i == 11 && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                used = 11;
            }
        }
        if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
            wlog_seterr(err, errlen, "\\u escape for NUL or a lone surrogate cannot be expressed");
            return -1;
        }
        *outn = js_utf8_encode(cp, out);
        return used;
    }
    case 'c':
        if (!isalpha((unsigned char)p[1]))
            return 0;
        cp = (unsigned long)(toupper((unsigned char)p[1]) - '@');
        out[0] = (char)cp;
        *outn = 1;
        return 2;
    case '0':
        wlog_seterr(err, errlen, "\\0 (NUL) cannot be expressed");
        return -1;
    default:
        if (*p >= '1' && *p <= '9') {
            wlog_seterr(err, errlen, "backreferences are not supported");
            return -1;
        }
        if (*p == 'k') {
            wlog_seterr(err, errlen, "named backreferences are not supported");
            return -1;
        }
        if (*p == 'p' || *p == 'P') {
            wlog_seterr(err, errlen, "unicode property escapes are not supported");
            return -1;
        }
        if (isalnum((unsigned char)*p))
            return 0;
        if ((unsigned char)*p < 0x80 && *p != '\0') {
            out[0] = *p;
            *outn = 1;
            return 1;
        }
        return 0;
    }
    out[0] = (char)cp;
    *outn = 1;
    return 1;
}

/* Length of a UTF-8 character starting at p (1 for invalid bytes). */
static size_t js_u8len(const char *p)
{
    unsigned char c = (unsigned char)*p;
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    for (size_t i = 1; i < n; i++)
        if (p[i] == '\0')
            return i;
    return n;
}

/* Emits one literal character (UTF-8 bytes) for use outside a bracket expression. */
static void js_emit_literal(js_buf *b, const char *ch, size_t n)
{
    if (n == 1 && strchr(".[]()*+?{}|^$\\", ch[0]) != NULL)
        js_buf_put(b, "\\", 1);
    js_buf_put(b, ch, n);
}

/* An endpoint or member inside a bracket expression, with the chars POSIX
 * treats specially there written as collating symbols. */
static void js_emit_class_char(js_buf *b, const char *ch, size_t n)
{
    if (n == 1 && (ch[0] == ']' || ch[0] == '-' || ch[0] == '^' || ch[0] == '[')) {
        js_buf_puts(b, "[.");
        js_buf_put(b, ch, 1);
        js_buf_puts(b, ".]");
        return;
    }
    js_buf_put(b, ch, n);
}

/* Translates the class starting after '[' at *pp; advances *pp past ']'. */
static int js_translate_class(const char **pp, js_buf *b, char *err, size_t errlen)
{
    const char *p = *pp;
    int neg = 0;
    js_buf body = {0};
    int items = 0;

    if (*p == '^') {
        neg = 1;
        p++;
    }
    if (*p == ']') {
        wlog_seterr(err, errlen, "empty classes [] and [^] are not supported");
        return -1;
    }
    while (*p && *p != ']') {
        char c1[8], c2[8];
        size_t n1 = 0, n2 = 0;
        int is_class = 0;

        if (*p == '\\') {
            p++;
            if (*p == 'd' || *p == 'w' || *p == 's') {
                js_buf_puts(&body, *p == 'd' ? "0-9" : *p == 'w' ? "A-Za-z0-9_" : "[:space:]");
                p++;
                items++;
                is_class = 1;
            } else if (*p == 'D' || *p == 'W' || *p == 'S') {
                wlog_seterr(err, errlen, "negated class escape \\%c inside [] is not supported",
                          *p);
                free(body.s);
                return -1;
            } else if (*p == 'b') {
                c1[0] = '\b';
                n1 = 1;
                p++;
            } else if (*p == '-') {
                c1[0] = '-';
                n1 = 1;
                p++;
            } else {
                int used = js_char_escape(p, c1, &n1, err, errlen);
                if (used < 0) {
                    free(body.s);
                    return -1;
                }
                if (used == 0) {
                    wlog_seterr(err, errlen, "unsupported escape \\%c in a class", *p);
                    free(body.s);
                    return -1;
                }
                p += used;
            }
        } else {
            n1 = js_u8len(p);
            memcpy(c1, p, n1);
            p += n1;
        }
        if (is_class)
            continue;
        /* a range? */
        if (p[0] == '-' && p[1] != ']' && p[1] != '\0') {
            const char *q = p + 1;
            if (*q == '\\') {
                q++;
                if (strchr("dwsDWS", *q) != NULL) {
                    wlog_seterr(err, errlen, "class escape as a range end is not supported");
                    free(body.s);
                    return -1;
                }
                int used;
                if (*q == 'b') {
                    c2[0] = '\b';
                    n2 = 1;
                    used = 1;
                } else if (*q == '-') {
                    c2[0] = '-';
                    n2 = 1;
                    used = 1;
                } else {
                    used = js_char_escape(q, c2, &n2, err, errlen);
                }
                if (used <= 0) {
                    if (used == 0)
                        wlog_seterr(err, errlen, "unsupported escape in a class range");
                    free(body.s);
                    return -1;
                }
                q += used;
            } else {
                n2 = js_u8len(q);
                memcpy(c2, q, n2);
                q += n2;
            }
            p = q;
            js_emit_class_char(&body, c1, n1);
            js_buf_put(&body, "-", 1);
            js_emit_class_char(&body, c2, n2);
        } else {
            js_emit_class_char(&body, c1, n1);
        }
        items++;
    }
    if (*p != ']') {
        wlog_seterr(err, errlen, "unterminated class");
        free(body.s);
        return -1;
    }
    *pp = p + 1;
    js_buf_puts(b, neg ? "[^" : "[");
    if (body.s != NULL)
        js_buf_puts(b, body.s);
    js_buf_puts(b, "]");
    free(body.s);
    (void)items;
    return 0;
}

/* 1 when p (after '{') is a valid quantifier body "n}", "n,}" or "n,m}"; sets *len. */
static int js_is_quant(const char *p, size_t *len)
{
    const char *q = p;

    if (!isdigit((unsigned char)*q))
        return 0;
    while (isdigit((unsigned char)*q))
        q++;
    if (*q == ',') {
        q++;
        while (isdigit((unsigned char)*q))
            q++;
    }
    if (*q != '}')
        return 0;
    *len = (size_t)(q - p) + 1;
    return 1;
}

/* ECMA-262 pattern -> POSIX ERE, malloc'd; NULL with err when refused. */
static char *js_translate(const char *src, char *err, size_t errlen)
{
    js_buf b = {0};
    const char *p = src;

    js_buf_puts(&b, "");
    while (*p) {
        char ch[8];
        size_t n = 0;

        switch (*p) {
        case '\\':
            p++;
            switch (*p) {
            case 'd': js_buf_puts(&b, "[0-9]"); p++; continue;
            case 'D': js_buf_puts(&b, "[^0-9]"); p++; continue;
            case 'w': js_buf_puts(&b, "[A-Za-z0-9_]"); p++; continue;
            case 'W': js_buf_puts(&b, "[^A-Za-z0-9_]"); p++; continue;
            case 's': js_buf_puts(&b, "[[:space:]]"); p++; continue;
            case 'S': js_buf_puts(&b, "[^[:space:]]"); p++; continue;
            case 'b': js_buf_puts(&b, "\\b"); p++; continue;
            case 'B': js_buf_puts(&b, "\\B"); p++; continue;
            case '\0':
                wlog_seterr(err, errlen, "pattern ends with a backslash");
                free(b.s);
                return NULL;
            default: {
                int used = js_char_escape(p, ch, &n, err, errlen);
                if (used < 0) {
                    free(b.s);
                    return NULL;
                }
                if (used == 0) {
                    wlog_seterr(err, errlen, "unsupported escape \\%c", *p);
                    free(b.s);
                    return NULL;
                }
                js_emit_literal(&b, ch, n);
                p += used;
                continue;
            }
            }
        case '[':
            p++;
            if (js_translate_class(&p, &b, err, errlen) != 0) {
                free(b.s);
                return NULL;
            }
            continue;
        case '(':
            if (p[1] == '?') {
                if (p[2] == ':') {
                    p += 3;
                } else if (p[2] == '=' || p[2] == '!'
                           || (p[2] == '<' && (p[3] == '=' || p[3] == '!'))) {
                    wlog_seterr(err, errlen, "lookarounds are not supported by POSIX regex");
                    free(b.s);
                    return NULL;
                } else if (p[2] == '<') {
                    const char *q = strchr(p + 3, '>');
                    if (q == NULL) {
                        wlog_seterr(err, errlen, "malformed named group");
                        free(b.s);
                        return NULL;
                    }
                    p = q + 1;
                } else {
                    wlog_seterr(err, errlen, "unsupported group (?%c", p[2]);
                    free(b.s);
                    return NULL;
                }
            } else {
                p++;
            }
            js_buf_puts(&b, "(");
            continue;
        case '.':
            js_buf_puts(&b, "[^\n\r]");
            p++;
            break;
        case '*':
        case '+':
        case '?':
            js_buf_put(&b, p, 1);
            p++;
            break;
        case '{': {
            size_t qlen;
            if (js_is_quant(p + 1, &qlen)) {
                js_buf_put(&b, p, qlen + 1);
                p += qlen + 1;
            } else {
                js_buf_puts(&b, "\\{");
                p++;
                continue;
            }
            break;
        }
        case '}':
            js_buf_puts(&b, "\\}");
            p++;
            continue;
        case ']':
            js_buf_puts(&b, "\\]");
            p++;
            continue;
        default:
            n = js_u8len(p);
            js_buf_put(&b, p, n);
            p += n;
            continue;
        }
        /* after a quantifier or '.': a lazy '?' changes nothing for search */
        if (*p == '?' && (p[-1] == '*' || p[-1] == '+' || p[-1] == '?' || p[-1] == '}')
            && p[-1] != '.')
            p++;
    }
    if (b.oom) {
        free(b.s);
        wlog_seterr(err, errlen, "out of memory");
        return NULL;
    }
    return b.s;
}

/* ---- the fast matcher ---- */

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

static js_fast *js_fast_compile(const char *src)
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

static void js_fast_free(js_fast *f)
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
static int js_fast_match(const js_fast *f, const char *s, size_t len)
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

static void js_regex_free(js_regex *r)
{
    if (r == NULL)
        return;
    regfree(&r->re);
    js_fast_free(r->fast);
    free(r->src);
    free(r);
}

static js_regex *js_regex_compile(jsonschema_registry *reg, const char *src, char *err,
                                  size_t errlen)
{
    char why[200];
    char *ere = js_translate(src, why, sizeof(why));
    js_regex *r;
    int rc;

    if (ere == NULL) {
        wlog_seterr(err, errlen, "pattern \"%.100s\": %s", src, why);
        return NULL;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL || (r->src = strdup(src)) == NULL) {
        free(r);
        free(ere);
        wlog_seterr(err, errlen, "out of memory");
        return NULL;
    }
    locale_t old = uselocale(reg->loc);
    rc = regcomp(&r->re, ere, REG_EXTENDED | REG_NOSUB);
    uselocale(old);
    if (rc != 0) {
        regerror(rc, &r->re, why, sizeof(why));
        wlog_seterr(err, errlen, "pattern \"%.100s\": %s", src, why);
        free(ere);
        free(r->src);
        free(r);
        return NULL;
    }
    free(ere);
    r->fast = js_fast_compile(src);
    return r;
}

static int js_is_ascii(const char *s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char acc = 0;
    size_t n = 0;

    while (p[n]) {
        acc |= p[n];
        n++;
    }
    *len = n;
    return acc < 0x80;
}

/* 1 when s matches anywhere (ECMA search). Call with the registry's locale in use. */
static int js_regex_search(const js_regex *r, const char *s)
{
    size_t len;

    if (r->fast != NULL && js_is_ascii(s, &len)) {
        int m = js_fast_match(r->fast, s, len);
        if (m >= 0)
            return m;
    }
    return regexec(&r->re, s, 0, NULL, 0) == 0;
}

/* ---- compiling schemas ---- */

typedef struct js_cc {
    jsonschema_registry *reg;
    char *err;
    size_t errlen;
} js_cc;

static jsonschema *js_compile(js_cc *cc, const cJSON *node, const char *base, const char *where,
                              int depth);

static int js_fail(js_cc *cc, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int js_fail(js_cc *cc, const char *where, const char *fmt, ...)
{
    char msg[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    wlog_seterr(cc->err, cc->errlen, "schema %s: %s", where, msg);
    return -1;
}

/* where + "/" + key, into buf */
static const char *js_where(char *buf, size_t cap, const char *where, const char *key)
{
    snprintf(buf, cap, "%s/%s", where, key);
    return buf;
}

static int js_get_nonneg(js_cc *cc, const cJSON *v, const char *where, const char *kw,
                         long long *out)
{
    int64_t x;

    if (!wjson_get_int64(v, &x) || x < 0)
        return js_fail(cc, where, "\"%s\" must be a non-negative integer", kw);
    *out = (long long)x;
    return 0;
}

static int js_get_number(js_cc *cc, const cJSON *v, const char *where, const char *kw,
                         double *out)
{
    if (!cJSON_IsNumber(v))
        return js_fail(cc, where, "\"%s\" must be a number", kw);
    *out = v->valuedouble;
    return 0;
}

static int js_type_bit(const char *name)
{
    static const struct {
        const char *name;
        int bit;
    } tbl[] = {{"null", JS_T_NULL},     {"boolean", JS_T_BOOLEAN}, {"object", JS_T_OBJECT},
               {"array", JS_T_ARRAY},   {"number", JS_T_NUMBER},   {"string", JS_T_STRING},
               {"integer", JS_T_INTEGER}};

    for (size_t i = 0; i < sizeof(tbl) / sizeof(tbl[0]); i++)
        if (strcmp(tbl[i].name, name) == 0)
            return tbl[i].bit;
    return 0;
}

static int js_cmp_prop(const void *a, const void *b)
{
    return strcmp(((const js_prop *)a)->name, ((const js_prop *)b)->name);
}

static int js_compile_list(js_cc *cc, const cJSON *arr, const char *base, const char *where,
                           const char *kw, int depth, jsonschema ***out, size_t *nout)
{
    char w[512];
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;

    if (!cJSON_IsArray(arr) || n == 0)
        return js_fail(cc, where, "\"%s\" must be a non-empty array of schemas", kw);
    *out = calloc(n, sizeof(**out));
    if (*out == NULL)
        return js_fail(cc, where, "out of memory");
    *nout = n;
    for (const cJSON *c = arr->child; c != NULL; c = c->next, i++) {
        char key[64];
        snprintf(key, sizeof(key), "%s/%zu", kw, i);
        (*out)[i] = js_compile(cc, c, base, js_where(w, sizeof(w), where, key), depth + 1);
        if ((*out)[i] == NULL)
            return -1;
    }
    return 0;
}

static jsonschema *js_sub(js_cc *cc, const cJSON *v, const char *base, const char *where,
                          const char *kw, int depth)
{
    char w[512];
    return js_compile(cc, v, base, js_where(w, sizeof(w), where, kw), depth + 1);
}

static const char *const js_refused_keywords[] = {
    "unevaluatedProperties", "unevaluatedItems", "dependentRequired", "dependentSchemas",
    "prefixItems", "minContains", "maxContains", "$recursiveRef", "$dynamicRef",
};

static int js_compile_keywords(js_cc *cc, jsonschema *s, const cJSON *node, const char *base,
                               const char *where, int depth)
{
    char w[512];

    for (const cJSON *kw = node->child; kw != NULL; kw = kw->next) {
        const char *k = kw->string;

        if (strcmp(k, "type") == 0) {
            if (cJSON_IsString(kw)) {
                int bit = js_type_bit(kw->valuestring);
                if (bit == 0)
                    return js_fail(cc, where, "unknown type \"%.40s\"", kw->valuestring);
                s->types |= (unsigned)bit;
            } else if (cJSON_IsArray(kw)) {
                for (const cJSON *t = kw->child; t != NULL; t = t->next) {
                    int bit = cJSON_IsString(t) ? js_type_bit(t->valuestring) : 0;
                    if (bit == 0)
                        return js_fail(cc, where, "\"type\" must name JSON types");
                    s->types |= (unsigned)bit;
                }
                if (kw->child == NULL)
                    return js_fail(cc, where, "\"type\" must not be an empty array");
            } else {
                return js_fail(cc, where, "\"type\" must be a string or an array");
            }
        } else if (strcmp(k, "enum") == 0) {
            if (!cJSON_IsArray(kw))
                return js_fail(cc, where, "\"enum\" must be an array");
            s->enum_vals = kw;
        } else if (strcmp(k, "const") == 0) {
            s->const_val = kw;
            s->flags |= JS_F_CONST;
        } else if (strcmp(k, "minimum") == 0) {
            if (js_get_number(cc, kw, where, k, &s->minimum) != 0)
                return -1;
            s->flags |= JS_F_MIN;
        } else if (strcmp(k, "maximum") == 0) {
            if (js_get_number(cc, kw, where, k, &s->maximum) != 0)
                return -1;
            s->flags |= JS_F_MAX;
        } else if (strcmp(k, "exclusiveMinimum") == 0) {
            if (js_get_number(cc, kw, where, k, &s->xminimum) != 0)
                return -1;
            s->flags |= JS_F_XMIN;
        } else if (strcmp(k, "exclusiveMaximum") == 0) {
            if (js_get_number(cc, kw, where, k, &s->xmaximum) != 0)
                return -1;
            s->flags |= JS_F_XMAX;
        } else if (strcmp(k, "multipleOf") == 0) {
            if (js_get_number(cc, kw, where, k, &s->multiple) != 0)
                return -1;
            if (!(s->multiple > 0))
                return js_fail(cc, where, "\"multipleOf\" must be > 0");
            s->flags |= JS_F_MULT;
        } else if (strcmp(k, "minLength") == 0) {
            if (js_get_nonneg(cc, kw, where, k, &s->min_len) != 0)
                return -1;
        } else if (strcmp(k, "maxLength") == 0) {
            if (js_get_nonneg(cc, kw, where, k, &s->max_len) != 0)
                return -1;
        } else if (strcmp(k, "minItems") == 0) {
            if (js_get_nonneg(cc, kw, where, k, &s->min_items) != 0)
                return -1;
        } else if (strcmp(k, "maxItems") == 0) {
            if (js_get_nonneg(cc, kw, where, k, &s->max_items) != 0)
                return -1;
        } else if (strcmp(k, "minProperties") == 0) {
            if (js_get_nonneg(cc, kw, where, k, &s->min_props) != 0)
                return -1;
        } else if (strcmp(k, "maxProperties") == 0) {
            if (js_get_nonneg(cc, kw, where, k, &s->max_props) != 0)
                return -1;
        } else if (strcmp(k, "uniqueItems") == 0) {
            if (!cJSON_IsBool(kw))
                return js_fail(cc, where, "\"uniqueItems\" must be a boolean");
            if (cJSON_IsTrue(kw))
                s->flags |= JS_F_UNIQUE;
        } else if (strcmp(k, "pattern") == 0) {
            if (!cJSON_IsString(kw))
                return js_fail(cc, where, "\"pattern\" must be a string");
            char why[300];
            s->pattern = js_regex_compile(cc->reg, kw->valuestring, why, sizeof(why));
            if (s->pattern == NULL)
                return js_fail(cc, where, "%s", why);
        } else if (strcmp(k, "required") == 0) {
            size_t n = 0;
            if (!cJSON_IsArray(kw))
                return js_fail(cc, where, "\"required\" must be an array of strings");
            s->required = calloc((size_t)cJSON_GetArraySize(kw) + 1, sizeof(char *));
            if (s->required == NULL)
                return js_fail(cc, where, "out of memory");
            for (const cJSON *r = kw->child; r != NULL; r = r->next) {
                if (!cJSON_IsString(r))
                    return js_fail(cc, where, "\"required\" must be an array of strings");
                s->required[n++] = r->valuestring;
            }
            s->nrequired = n;
        } else if (strcmp(k, "properties") == 0) {
            size_t n = (size_t)cJSON_GetArraySize(kw), i = 0;
            if (!cJSON_IsObject(kw))
                return js_fail(cc, where, "\"properties\" must be an object");
            s->props = calloc(n + 1, sizeof(*s->props));
            if (s->props == NULL)
                return js_fail(cc, where, "out of memory");
            for (const cJSON *p = kw->child; p != NULL; p = p->next, i++) {
                char key[300];
                snprintf(key, sizeof(key), "properties/%.200s", p->string);
                s->props[i].name = p->string;
                s->props[i].schema =
                    js_compile(cc, p, base, js_where(w, sizeof(w), where, key), depth + 1);
                if (s->props[i].schema == NULL)
                    return -1;
            }
            s->nprops = n;
            qsort(s->props, n, sizeof(*s->props), js_cmp_prop);
        } else if (strcmp(k, "patternProperties") == 0) {
            size_t n = (size_t)cJSON_GetArraySize(kw), i = 0;
            if (!cJSON_IsObject(kw))
                return js_fail(cc, where, "\"patternProperties\" must be an object");
            s->patprops = calloc(n + 1, sizeof(*s->patprops));
            if (s->patprops == NULL)
                return js_fail(cc, where, "out of memory");
            s->npatprops = n;
            for (const cJSON *p = kw->child; p != NULL; p = p->next, i++) {
                char why[300], key[300];
                s->patprops[i].re = js_regex_compile(cc->reg, p->string, why, sizeof(why));
                if (s->patprops[i].re == NULL)
                    return js_fail(cc, where, "patternProperties: %s", why);
                snprintf(key, sizeof(key), "patternProperties/%.200s", p->string);
                s->patprops[i].schema =
                    js_compile(cc, p, base, js_where(w, sizeof(w), where, key), depth + 1);
                if (s->patprops[i].schema == NULL)
                    return -1;
            }
        } else if (strcmp(k, "additionalProperties") == 0) {
            if ((s->addl_props = js_sub(cc, kw, base, where, k, depth)) == NULL)
                return -1;
        } else if (strcmp(k, "propertyNames") == 0) {
            if ((s->prop_names = js_sub(cc, kw, base, where, k, depth)) == NULL)
                return -1;
        } else if (strcmp(k, "items") == 0) {
            if (cJSON_IsArray(kw)) {
                s->flags |= JS_F_ITEMS_LIST;
                size_t n = (size_t)cJSON_GetArraySize(kw), i = 0;
                s->item_list = calloc(n + 1, sizeof(*s->item_list));
                if (s->item_list == NULL)
                    return js_fail(cc, where, "out of memory");
                s->nitem_list = n;
                for (const cJSON *c = kw->child; c != NULL; c = c->next, i++) {
                    char key[64];
                    snprintf(key, sizeof(key), "items/%zu", i);
                    s->item_list[i] =
                        js_compile(cc, c, base, js_where(w, sizeof(w), where, key), depth + 1);
                    if (s->item_list[i] == NULL)
                        return -1;
                }
            } else if ((s->items = js_sub(cc, kw, base, where, k, depth)) == NULL) {
                return -1;
            }
        } else if (strcmp(k, "additionalItems") == 0) {
            if ((s->addl_items = js_sub(cc, kw, base, where, k, depth)) == NULL)
                return -1;
        } else if (strcmp(k, "contains") == 0) {
            if ((s->contains = js_sub(cc, kw, base, where, k, depth)) == NULL)
                return -1;
        } else if (strcmp(k, "allOf") == 0) {
            if (js_compile_list(cc, kw, base, where, k, depth, &s->all_of, &s->nall_of) != 0)
                return -1;
        } else if (strcmp(k, "anyOf") == 0) {
            if (js_compile_list(cc, kw, base, where, k, depth, &s->any_of, &s->nany_of) != 0)
                return -1;
        } else if (strcmp(k, "oneOf") == 0) {
            if (js_compile_list(cc, kw, base, where, k, depth, &s->one_of, &s->none_of) != 0)
                return -1;
        } else if (strcmp(k, "not") == 0) {
            if ((s->not_s = js_sub(cc, kw, base, where, k, depth)) == NULL)
                return -1;
        } else if (strcmp(k, "if") == 0) {
            if ((s->if_s = js_sub(cc, kw, base, where, k, depth)) == NULL)
                return -1;
        } else if (strcmp(k, "then") == 0) {
            if ((s->then_s = js_sub(cc, kw, base, where, k, depth)) == NULL)
                return -1;
        } else if (strcmp(k, "else") == 0) {
            if ((s->else_s = js_sub(cc, kw, base, where, k, depth)) == NULL)
                return -1;
        } else if (strcmp(k, "definitions") == 0) {
            if (!cJSON_IsObject(kw))
                return js_fail(cc, where, "\"definitions\" must be an object");
            for (const cJSON *d = kw->child; d != NULL; d = d->next) {
                char key[300];
                snprintf(key, sizeof(key), "definitions/%.200s", d->string);
                if (js_compile(cc, d, base, js_where(w, sizeof(w), where, key), depth + 1)
                    == NULL)
                    return -1;
            }
        } else if (strcmp(k, "dependencies") == 0) {
            size_t n = (size_t)cJSON_GetArraySize(kw), i = 0;
            if (!cJSON_IsObject(kw))
                return js_fail(cc, where, "\"dependencies\" must be an object");
            s->deps = calloc(n + 1, sizeof(*s->deps));
            if (s->deps == NULL)
                return js_fail(cc, where, "out of memory");
            s->ndeps = n;
            for (const cJSON *d = kw->child; d != NULL; d = d->next, i++) {
                s->deps[i].name = d->string;
                if (cJSON_IsArray(d)) {
                    size_t m = 0;
                    s->deps[i].names =
                        calloc((size_t)cJSON_GetArraySize(d) + 1, sizeof(*s->deps[i].names));
                    if (s->deps[i].names == NULL)
                        return js_fail(cc, where, "out of memory");
                    for (const cJSON *r = d->child; r != NULL; r = r->next) {
                        if (!cJSON_IsString(r))
                            return js_fail(cc, where,
                                           "\"dependencies\" arrays must hold strings");
                        s->deps[i].names[m++] = r->valuestring;
                    }
                    s->deps[i].nnames = m;
                } else {
                    char key[300];
                    snprintf(key, sizeof(key), "dependencies/%.200s", d->string);
                    s->deps[i].schema =
                        js_compile(cc, d, base, js_where(w, sizeof(w), where, key), depth + 1);
                    if (s->deps[i].schema == NULL)
                        return -1;
                }
            }
        } else if (strcmp(k, "$schema") == 0) {
            if (!cJSON_IsString(kw))
                return js_fail(cc, where, "\"$schema\" must be a string");
            if (strstr(kw->valuestring, "2019-09") || strstr(kw->valuestring, "2020-12"))
                return js_fail(cc, where, "unsupported dialect \"%.80s\" (draft-07 only)",
                               kw->valuestring);
        } else {
            for (size_t i = 0; i < sizeof(js_refused_keywords) / sizeof(js_refused_keywords[0]);
                 i++)
                if (strcmp(k, js_refused_keywords[i]) == 0)
                    return js_fail(cc, where, "unsupported keyword \"%s\" (not draft-07)", k);
        }
    }
    if (s->flags & JS_F_ITEMS_LIST) {
        /* additionalItems applies; nothing to do */
    } else {
        s->addl_items = NULL; /* ignored when items is absent or a single schema */
    }
    return 0;
}

static jsonschema *js_new_node(js_cc *cc, const cJSON *node)
{
    jsonschema_registry *reg = cc->reg;
    jsonschema *s = calloc(1, sizeof(*s));
    jsonschema **nodes;

    if (s == NULL)
        return NULL;
    s->reg = reg;
    s->src = node;
    s->always = -1;
    s->min_len = s->max_len = s->min_items = s->max_items = s->min_props = s->max_props = -1;
    nodes = js_grow(reg->nodes, &reg->capnodes, reg->nnodes, sizeof(*nodes));
    if (nodes == NULL || js_map_put(reg, node, s) != 0) {
        if (nodes != NULL)
            reg->nodes = nodes;
        free(s);
        return NULL;
    }
    reg->nodes = nodes;
    nodes[reg->nnodes++] = s;
    return s;
}

static jsonschema *js_compile(js_cc *cc, const cJSON *node, const char *base, const char *where,
                              int depth)
{
    jsonschema *s = js_map_get(cc->reg, node);
    const cJSON *ref, *id;
    char *mybase = NULL;

    if (s != NULL)
        return s;
    if (depth > JS_SCHEMA_MAX_DEPTH) {
        js_fail(cc, where, "schema nested deeper than %d", JS_SCHEMA_MAX_DEPTH);
        return NULL;
    }
    if (!cJSON_IsBool(node) && !cJSON_IsObject(node)) {
        js_fail(cc, where, "a schema must be an object or a boolean");
        return NULL;
    }
    s = js_new_node(cc, node);
    if (s == NULL) {
        js_fail(cc, where, "out of memory");
        return NULL;
    }
    if (cJSON_IsBool(node)) {
        s->always = cJSON_IsTrue(node) ? 1 : 0;
        return s;
    }
    ref = cJSON_GetObjectItemCaseSensitive(node, "$ref");
    if (ref != NULL) {
        if (!cJSON_IsString(ref)) {
            js_fail(cc, where, "\"$ref\" must be a string");
            return NULL;
        }
        s->ref_uri = js_uri_resolve(base, ref->valuestring);
        if (s->ref_uri == NULL) {
            js_fail(cc, where, "out of memory");
            return NULL;
        }
        return s; /* draft-07: siblings of $ref are ignored */
    }
    id = cJSON_GetObjectItemCaseSensitive(node, "$id");
    if (id != NULL) {
        if (!cJSON_IsString(id)) {
            js_fail(cc, where, "\"$id\" must be a string");
            return NULL;
        }
        char *abs = js_uri_resolve(base, id->valuestring);
        if (abs == NULL) {
            js_fail(cc, where, "out of memory");
            return NULL;
        }
        char *hash = strchr(abs, '#');
        if (hash != NULL && hash[1] != '\0') {
            /* plain-name fragment: registers the subschema, base unchanged */
            if (js_id_add(cc->reg, abs, node, base, cc->err, cc->errlen) != 0) {
                free(abs);
                return NULL;
            }
            free(abs);
        } else {
            if (hash != NULL)
                *hash = '\0';
            if (js_id_add(cc->reg, abs, node, abs, cc->err, cc->errlen) != 0) {
                free(abs);
                return NULL;
            }
            mybase = abs;
            base = mybase;
        }
    }
    int rc = js_compile_keywords(cc, s, node, base, where, depth);
    free(mybase);
    return rc == 0 ? s : NULL;
}

/* ---- the registry ---- */

static void js_node_free(jsonschema *s)
{
    free(s->ref_uri);
    free(s->props);
    for (size_t i = 0; i < s->npatprops; i++)
        js_regex_free(s->patprops[i].re);
    free(s->patprops);
    free(s->required);
    free(s->item_list);
    js_regex_free(s->pattern);
    free(s->all_of);
    free(s->any_of);
    free(s->one_of);
    for (size_t i = 0; i < s->ndeps; i++)
        free(s->deps[i].names);
    free(s->deps);
    free(s);
}

void jsonschema_registry_free(jsonschema_registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->nnodes; i++)
        js_node_free(reg->nodes[i]);
    free(reg->nodes);
    for (size_t i = 0; i < reg->ndocs; i++) {
        cJSON_Delete(reg->docs[i].root);
        free(reg->docs[i].uri);
    }
    free(reg->docs);
    for (size_t i = 0; i < reg->nids; i++) {
        free(reg->ids[i].uri);
        free(reg->ids[i].base);
    }
    free(reg->ids);
    free(reg->map);
    if (reg->loc != (locale_t)0)
        freelocale(reg->loc);
    free(reg);
}

jsonschema_registry *jsonschema_registry_new(void)
{
    jsonschema_registry *reg = calloc(1, sizeof(*reg));
    char err[256];

    if (reg == NULL)
        return NULL;
    reg->loc = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
    if (reg->loc == (locale_t)0)
        reg->loc = newlocale(LC_ALL_MASK, "C.utf8", (locale_t)0);
    if (reg->loc == (locale_t)0)
        reg->loc = newlocale(LC_ALL_MASK, "en_US.UTF-8", (locale_t)0);
    if (reg->loc == (locale_t)0) {
        free(reg);
        return NULL;
    }
    cJSON *meta = cJSON_ParseWithLength(js_meta_text, sizeof(js_meta_text) - 1);
    if (meta == NULL || jsonschema_add(reg, meta, JS_META_URI, err, sizeof(err)) == NULL) {
        jsonschema_registry_free(reg);
        return NULL;
    }
    return reg;
}

jsonschema *jsonschema_add(jsonschema_registry *reg, cJSON *doc, const char *uri, char *err,
                           size_t errlen)
{
    js_cc cc = {reg, err, errlen};
    js_doc *docs;
    char *norm = NULL;
    jsonschema *root;

    if (doc == NULL) {
        wlog_seterr(err, errlen, "no schema document");
        return NULL;
    }
    docs = js_grow(reg->docs, &reg->capdocs, reg->ndocs, sizeof(*docs));
    if (docs == NULL) {
        cJSON_Delete(doc);
        wlog_seterr(err, errlen, "out of memory");
        return NULL;
    }
    reg->docs = docs;
    char anon[64];
    if (uri == NULL) {
        snprintf(anon, sizeof(anon), "urn:wsb:anonymous:%zu", reg->ndocs);
        uri = anon;
    }
    if ((norm = js_uri_norm(uri)) == NULL) {
        cJSON_Delete(doc);
        wlog_seterr(err, errlen, "out of memory");
        return NULL;
    }
    docs[reg->ndocs].root = doc;
    docs[reg->ndocs].uri = norm;
    reg->ndocs++;
    reg->resolved = 0;
    if (js_id_add(reg, norm, doc, norm, err, errlen) != 0) {
        reg->failed = 1;
        return NULL;
    }
    root = js_compile(&cc, doc, norm, "#", 0);
    if (root == NULL) {
        if (uri != anon && err != NULL) {
            char tmp[512];
            snprintf(tmp, sizeof(tmp), "%s: %s", uri, err);
            wlog_seterr(err, errlen, "%s", tmp);
        }
        reg->failed = 1;
    }
    return root;
}

jsonschema *jsonschema_add_file(jsonschema_registry *reg, const char *path, char *err,
                                size_t errlen)
{
    cJSON *doc = wjson_parse_file(path, JS_SCHEMA_MAX_DEPTH, err, errlen);
    char *abs;
    jsonschema *s;

    if (doc == NULL) {
        reg->failed = 1;
        return NULL;
    }
    abs = realpath(path, NULL);
    /* the same file already added (or loaded for a $ref): its compiled root */
    const js_id *known = js_id_find(reg, abs ? abs : path);
    for (size_t i = 0; known != NULL && i < reg->ndocs; i++) {
        if (reg->docs[i].root == known->node) {
            cJSON_Delete(doc);
            free(abs);
            return js_map_get(reg, known->node);
        }
    }
    s = jsonschema_add(reg, doc, abs ? abs : path, err, errlen);
    free(abs);
    return s;
}

/* Decodes %XX in place. */
static void js_pct_decode(char *s)
{
    char *o = s;

    for (char *p = s; *p; p++) {
        if (p[0] == '%' && js_hexval(p[1]) >= 0 && js_hexval(p[2]) >= 0) {
            *o++ = (char)(js_hexval(p[1]) * 16 + js_hexval(p[2]));
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

/* Finds the node a JSON pointer names under root; updates *base through $ids. */
static const cJSON *js_pointer(const cJSON *root, const char *ptr, char **base)
{
    const cJSON *cur = root;
    char *copy = strdup(ptr), *save = NULL;

    if (copy == NULL)
        return NULL;
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(root, "$id");
    if (cJSON_IsObject(root) && cJSON_IsString(rid) && rid->valuestring[0] != '#'
        && cJSON_GetObjectItemCaseSensitive(root, "$ref") == NULL) {
        char *nb = js_uri_resolve(*base, rid->valuestring);
        if (nb != NULL) {
            char *h = strchr(nb, '#');
            if (h)
                *h = '\0';
            free(*base);
            *base = nb;
        }
    }
    js_pct_decode(copy);
    for (char *tok = strtok_r(copy, "/", &save); tok != NULL; tok = strtok_r(NULL, "/", &save)) {
        char *o = tok;
        for (char *p = tok; *p; p++) {
            if (p[0] == '~' && p[1] == '1') {
                *o++ = '/';
                p++;
            } else if (p[0] == '~' && p[1] == '0') {
                *o++ = '~';
                p++;
            } else {
                *o++ = *p;
            }
        }
        *o = '\0';
        if (cJSON_IsObject(cur)) {
            cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
        } else if (cJSON_IsArray(cur)) {
            char *end;
            long idx = strtol(tok, &end, 10);
            if (*tok == '\0' || *end != '\0' || idx < 0)
                cur = NULL;
            else
                cur = cJSON_GetArrayItem(cur, (int)idx);
        } else {
            cur = NULL;
        }
        if (cur == NULL)
            break;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(cur, "$id");
        if (cJSON_IsObject(cur) && cJSON_IsString(id)
            && cJSON_GetObjectItemCaseSensitive(cur, "$ref") == NULL && id->valuestring[0] != '#') {
            char *nb = js_uri_resolve(*base, id->valuestring);
            if (nb != NULL) {
                char *h = strchr(nb, '#');
                if (h)
                    *h = '\0';
                free(*base);
                *base = nb;
            }
        }
    }
    free(copy);
    return cur;
}

static int js_is_file_uri(const char *uri)
{
    return !js_has_scheme(uri) || strncmp(uri, "file:", 5) == 0;
}

/* For a document URI nobody added (say https://host/schemas/envelope.json),
 * finds a loaded file whose root $id maps onto its path the same way
 * (https://host/schemas/messages/x.json was /dir/schemas/messages/x.json)
 * and returns the corresponding file path, malloc'd; NULL when none. */
static char *js_map_to_file(const jsonschema_registry *reg, const char *docuri)
{
    for (size_t i = 0; i < reg->ndocs; i++) {
        const char *file = reg->docs[i].uri;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(reg->docs[i].root, "$id");
        if (file == NULL || file[0] != '/' || !cJSON_IsString(id))
            continue;
        char *idn = js_uri_norm(id->valuestring);
        if (idn == NULL)
            return NULL;
        size_t il = strlen(idn), fl = strlen(file), common = 0;
        while (common < il && common < fl && idn[il - 1 - common] == file[fl - 1 - common])
            common++;
        /* the shared tail must start at a path separator */
        while (common > 0 && idn[il - common] != '/')
            common--;
        size_t idpre = il - common, fpre = fl - common;
        char *out = NULL;
        if (common > 0 && strncmp(docuri, idn, idpre) == 0 && docuri[idpre] == '/') {
            out = malloc(fpre + strlen(docuri + idpre) + 1);
            if (out != NULL) {
                memcpy(out, file, fpre);
                strcpy(out + fpre, docuri + idpre);
            }
        }
        free(idn);
        if (out != NULL)
            return out;
    }
    return NULL;
}

static jsonschema *js_resolve_one(jsonschema_registry *reg, const char *ref, char *err,
                                  size_t errlen)
{
    js_cc cc = {reg, err, errlen};
    const js_id *id;
    char *docuri, *frag = NULL, *base = NULL;
    const cJSON *target;
    jsonschema *s = NULL;
    char *norm = js_uri_norm(ref);

    if (norm == NULL)
        return NULL;
    id = js_id_find(reg, norm); /* a whole document, a subschema $id or a "#name" */
    if (id != NULL) {
        s = js_compile(&cc, id->node, id->base, norm, 1);
        free(norm);
        return s;
    }
    docuri = norm;
    char *hash = strchr(docuri, '#');
    if (hash != NULL) {
        *hash = '\0';
        frag = hash + 1;
    }
    id = js_id_find(reg, docuri);
    if (id == NULL && *docuri != '\0') {
        /* a file next to the schemas that was not added: load it */
        char *mapped = js_is_file_uri(docuri) ? NULL : js_map_to_file(reg, docuri);
        const char *path = mapped ? mapped
                           : strncmp(docuri, "file://", 7) == 0 ? docuri + 7
                           : js_is_file_uri(docuri) ? docuri : NULL;
        char why[300];
        cJSON *doc = path ? wjson_parse_file(path, JS_SCHEMA_MAX_DEPTH, why, sizeof(why)) : NULL;
        if (doc != NULL) {
            if (jsonschema_add(reg, doc, path, why, sizeof(why)) == NULL) {
                wlog_seterr(err, errlen, "%s", why);
                free(mapped);
                free(norm);
                return NULL;
            }
            id = js_id_find(reg, docuri);
        }
        free(mapped);
    }
    if (id == NULL) {
        wlog_seterr(err, errlen, "unresolvable $ref \"%s\": no schema \"%s\"", ref, docuri);
        free(norm);
        return NULL;
    }
    if (frag == NULL || *frag == '\0') {
        s = js_compile(&cc, id->node, id->base, ref, 1);
    } else if (frag[0] == '/') {
        base = strdup(id->base);
        target = base ? js_pointer(id->node, frag, &base) : NULL;
        if (target == NULL)
            wlog_seterr(err, errlen, "unresolvable $ref \"%s\": no such location", ref);
        else
            s = js_compile(&cc, target, base, ref, 1);
        free(base);
    } else {
        wlog_seterr(err, errlen, "unresolvable $ref \"%s\"", ref);
    }
    free(norm);
    return s;
}

int jsonschema_registry_resolve(jsonschema_registry *reg, char *err, size_t errlen)
{
    if (reg->failed) {
        wlog_seterr(err, errlen, "a schema document failed to load");
        return -1;
    }
    /* nodes may be appended while resolving: index loop */
    for (size_t i = 0; i < reg->nnodes; i++) {
        jsonschema *s = reg->nodes[i];
        if (s->ref_uri == NULL || s->ref != NULL)
            continue;
        s->ref = js_resolve_one(reg, s->ref_uri, err, errlen);
        if (s->ref == NULL) {
            reg->failed = 1;
            return -1;
        }
    }
    /* a chain of $refs that comes back to itself would never validate anything */
    for (size_t i = 0; i < reg->nnodes; i++) {
        const jsonschema *s = reg->nodes[i];
        size_t steps = 0;
        while (s->ref != NULL && steps <= reg->nnodes) {
            s = s->ref;
            steps++;
        }
        if (s->ref != NULL) {
            wlog_seterr(err, errlen, "circular $ref \"%s\"", reg->nodes[i]->ref_uri);
            reg->failed = 1;
            return -1;
        }
    }
    reg->resolved = 1;
    return 0;
}

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
