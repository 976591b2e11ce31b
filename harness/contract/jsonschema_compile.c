/* jsonschema_compile: a schema document -> the tree of `struct jsonschema`
 * nodes that validation walks.
 *
 * Keyword values are checked for shape, patterns become js_regex
 * (jsonschema_regex.c), properties are sorted for binary search. Each cJSON
 * node is compiled once: the registry maps it to its compiled node, so a
 * subschema reached again (through a $ref, say) is the same node. A `$ref`
 * is resolved against the base URI and kept as a string, which
 * jsonschema_registry_resolve() turns into a node pointer. As draft-07
 * says, a `$ref` makes its siblings (including `$id`) ignored. A subschema
 * `$id` changes the base URI and registers that subschema too (plain-name
 * fragments "#foo" included).
 *
 * `format` and other unknown keywords are annotations and ignored; keywords
 * of later drafts that would add constraints (unevaluatedProperties,
 * dependentRequired, prefixItems, ...) are refused so a schema is never
 * silently weaker than its author meant. */
#include "jsonschema_int.h"
#include "wjson.h"
#include "wlog.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

jsonschema *js_compile(js_cc *cc, const cJSON *node, const char *base, const char *where,
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

/* Frees what a compiled node owns: not its cJSON source (the registry's
 * documents) nor its subschemas (nodes of their own in reg->nodes). */
void js_node_free(jsonschema *s)
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
