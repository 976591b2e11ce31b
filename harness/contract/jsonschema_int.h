/* jsonschema_int.h: PRIVATE to the JSON Schema validator. The internal
 * form of schemas and of the registry, shared by the files that implement
 * jsonschema.h and included by nothing else (callers include jsonschema.h):
 *
 *   jsonschema.c           validation: jsonschema_validate(), _validate_all()
 *   jsonschema_registry.c  the registry: documents, ids, $ref resolution
 *   jsonschema_compile.c   a schema document -> a tree of struct jsonschema
 *   jsonschema_regex.c     patterns: ECMA-262 -> POSIX ERE, compile, search
 *   jsonschema_fast.c      the small backtracking matcher for simple patterns
 *   jsonschema_uri.c       URI references (RFC 3986)
 *   jsonschema_meta.c      the built-in draft-07 metaschema (data)
 *
 * Internal names start with js_ (JS_ for macros); what one file uses alone
 * is static there. Nothing here is an API: it changes with the code. */
#ifndef WSB_JSONSCHEMA_INT_H
#define WSB_JSONSCHEMA_INT_H

#include "jsonschema.h"

#include <locale.h>
#include <regex.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#define JS_SCHEMA_MAX_DEPTH 256  /* nesting allowed in schema documents */

/* Instance types, as bits of jsonschema.types. */
enum {
    JS_T_NULL = 1,
    JS_T_BOOLEAN = 2,
    JS_T_OBJECT = 4,
    JS_T_ARRAY = 8,
    JS_T_NUMBER = 16,
    JS_T_STRING = 32,
    JS_T_INTEGER = 64,
};

/* Which of the optional keywords a compiled node has (jsonschema.flags). */
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

/* ---- patterns (jsonschema_regex.c, jsonschema_fast.c) ---- */

typedef struct js_fast js_fast; /* a simple pattern, for the fast matcher */

typedef struct js_regex {
    char *src;                 /* the pattern as written */
    regex_t re;
    js_fast *fast;             /* NULL when the pattern is not simple */
} js_regex;

/* Translates and compiles src under reg's locale; NULL with err when it is refused. */
js_regex *js_regex_compile(jsonschema_registry *reg, const char *src, char *err, size_t errlen);
void js_regex_free(js_regex *r);
/* 1 when s matches anywhere (ECMA search). Call with the registry's locale in use. */
int js_regex_search(const js_regex *r, const char *s);
/* 1 when p (after '{') is a valid quantifier body "n}", "n,}" or "n,m}"; sets *len. */
int js_is_quant(const char *p, size_t *len);

/* NULL when src is not a simple pattern (or out of memory). */
js_fast *js_fast_compile(const char *src);
void js_fast_free(js_fast *f);
/* s is ASCII, len bytes. 1 match, 0 no match, -1 budget exhausted (ask regexec). */
int js_fast_match(const js_fast *f, const char *s, size_t len);

/* ---- compiled schemas (jsonschema_compile.c) ---- */

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

/* One compilation: the registry it adds to and where its error goes. */
typedef struct js_cc {
    jsonschema_registry *reg;
    char *err;
    size_t errlen;
} js_cc;

/* Compiles node (a schema at `where`, for messages, under base URI base) and
 * what it holds; a node compiled before is returned as it is. NULL with
 * cc->err on failure. */
jsonschema *js_compile(js_cc *cc, const cJSON *node, const char *base, const char *where,
                       int depth);
void js_node_free(jsonschema *s);

/* ---- the registry (jsonschema_registry.c) ---- */

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

/* Makes room for element n of an array of *cap elements of elem bytes
 * (doubling *cap); the array, moved or not, or NULL (ptr still valid). */
void *js_grow(void *ptr, size_t *cap, size_t n, size_t elem);
/* The compiled node of a cJSON node, NULL when not compiled yet. */
jsonschema *js_map_get(const jsonschema_registry *reg, const cJSON *key);
int js_map_put(jsonschema_registry *reg, const cJSON *key, jsonschema *val);
/* Registers node as uri (an empty fragment dropped) with base for its $refs;
 * the same uri again is an error unless it names the same node. */
int js_id_add(jsonschema_registry *reg, const char *uri, const cJSON *node, const char *base,
              char *err, size_t errlen);

/* ---- URIs (jsonschema_uri.c) ---- */

/* Resolves ref against base; malloc'd. Fragments are kept as written. */
char *js_uri_resolve(const char *base, const char *ref);
/* A copy of uri without a trailing empty fragment ("...schema#" -> "...schema"). */
char *js_uri_norm(const char *uri);
/* 1 when uri names a local file: a path (no scheme) or a file: URI. */
int js_is_file_uri(const char *uri);
/* The value of hex digit c, -1 when c is not one. */
int js_hexval(int c);
/* Decodes %XX in place. */
void js_pct_decode(char *s);

/* ---- the metaschema (jsonschema_meta.c) ---- */

extern const char js_meta_uri[];   /* its $id, without the empty fragment */
extern const char js_meta_text[];  /* the document */
extern const size_t js_meta_len;   /* strlen(js_meta_text) */

#endif
