/* jsonschema_registry: the schema documents of a registry, their ids and
 * the $refs between them.
 *
 * A document is known by the uri it was added under (a file's path is made
 * absolute) and by its `$id`; jsonschema_compile.c registers subschema
 * `$id`s too. The draft-07 metaschema (jsonschema_meta.c) is built in.
 * jsonschema_registry_resolve() turns every `$ref` into a pointer to its
 * compiled target (a document, an `$id` or a JSON pointer into one); a $ref
 * to a file that was not added is loaded from disk when it runs, and a
 * chain of $refs that comes back to itself is refused.
 *
 * The registry owns the documents, every compiled node (with a map from
 * cJSON node to compiled node, so each is compiled once) and the UTF-8
 * locale that patterns are compiled and matched under. */
#include "jsonschema_int.h"
#include "wjson.h"
#include "wlog.h"

#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *js_grow(void *ptr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return ptr;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(ptr, ncap * elem);
    if (p != NULL)
        *cap = ncap;
    return p;
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

jsonschema *js_map_get(const jsonschema_registry *reg, const cJSON *key)
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

int js_map_put(jsonschema_registry *reg, const cJSON *key, jsonschema *val)
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

int js_id_add(jsonschema_registry *reg, const char *uri, const cJSON *node, const char *base,
              char *err, size_t errlen)
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

/* ---- the registry ---- */

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
    cJSON *meta = cJSON_ParseWithLength(js_meta_text, js_meta_len);
    if (meta == NULL || jsonschema_add(reg, meta, js_meta_uri, err, sizeof(err)) == NULL) {
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
