/* contract: the wsbridge message contract, loaded once from the schema
 * directory and shared by the mocks and the harness.
 *
 * contract_load() adds every *.json file under the directory (recursively,
 * sorted, skipping hidden entries and any folder named "examples", which
 * holds instances, not schemas) to one jsonschema registry, resolves all
 * $refs, and indexes each schema by its path relative to the directory
 * without ".json" ("messages/trade_executed", "control/ack", "stream").
 * envelope.json, stream.json and messages/<type>.json for the ten types must
 * exist. contract_check_envelope() picks messages/<type>.json by "type". */
#include "contract.h"
#include "wlog.h"
#include "jsonschema.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONTRACT_MAX_FILES 4096 /* more schema files than this is surely a wrong directory */
#define CONTRACT_MAX_DEPTH 8    /* folder nesting below the schema directory */

const char *const contract_types[CONTRACT_NUM_TYPES] = {
    "market_data",     "signal",         "order_update", "trade_executed", "position_update",
    "account_update",  "bot_status",     "heartbeat",    "alert",          "command_ack",
};

typedef struct contract_entry {
    char *name;                /* relative path without ".json" */
    jsonschema *schema;
} contract_entry;

struct contract {
    jsonschema_registry *reg;
    contract_entry *entries;   /* sorted by name */
    size_t nentries, cap;
    const jsonschema *types[CONTRACT_NUM_TYPES];
    const jsonschema *stream;
};

const char *contract_default_dir(const char *dir)
{
    const char *env;

    if (dir != NULL && *dir != '\0')
        return dir;
    env = getenv("WSB_SCHEMAS");
    if (env != NULL && *env != '\0')
        return env;
    return "schemas";
}

int contract_type_index(const char *type)
{
    if (type == NULL)
        return -1;
    for (int i = 0; i < CONTRACT_NUM_TYPES; i++)
        if (strcmp(contract_types[i], type) == 0)
            return i;
    return -1;
}

static int contract_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int contract_cmp_entries(const void *a, const void *b)
{
    return strcmp(((const contract_entry *)a)->name, ((const contract_entry *)b)->name);
}

static int contract_scan(contract *c, const char *dir, const char *rel, int depth, char *err,
                         size_t errlen);

/* One directory entry: recurse into folders, add *.json files. */
static int contract_add_entry(contract *c, const char *dir, const char *sub, const char *full,
                              const char *name, size_t len, int depth, char *err, size_t errlen)
{
    struct stat st;
    contract_entry *e;

    if (stat(full, &st) != 0)
        return 0;
    if (S_ISDIR(st.st_mode)) {
        if (strcmp(name, "examples") == 0)
            return 0;
        return contract_scan(c, dir, sub, depth + 1, err, errlen);
    }
    if (!S_ISREG(st.st_mode) || len < 6 || strcmp(name + len - 5, ".json") != 0)
        return 0;
    if (c->nentries >= CONTRACT_MAX_FILES) {
        wlog_seterr(err, errlen, "%s: more than %d schema files", dir, CONTRACT_MAX_FILES);
        return -1;
    }
    if (c->nentries == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 32;
        contract_entry *ne = realloc(c->entries, ncap * sizeof(*ne));
        if (ne == NULL) {
            wlog_seterr(err, errlen, "out of memory");
            return -1;
        }
        c->entries = ne;
        c->cap = ncap;
    }
    e = &c->entries[c->nentries];
    e->schema = jsonschema_add_file(c->reg, full, err, errlen);
    if (e->schema == NULL)
        return -1;
    e->name = strndup(sub, strlen(sub) - 5);
    if (e->name == NULL) {
        wlog_seterr(err, errlen, "out of memory");
        return -1;
    }
    c->nentries++;
    return 0;
}

/* Adds every schema file under dir/rel. 0 or -1 with err. */
static int contract_scan(contract *c, const char *dir, const char *rel, int depth, char *err,
                         size_t errlen)
{
    char path[4096];
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    if (depth > CONTRACT_MAX_DEPTH) {
        wlog_seterr(err, errlen, "%s/%s: folders nested too deep", dir, rel);
        return -1;
    }
    snprintf(path, sizeof(path), "%s%s%s", dir, *rel ? "/" : "", rel);
    d = opendir(path);
    if (d == NULL) {
        wlog_seterr(err, errlen, "cannot open schema directory %s: %s", path,
                        strerror(errno));
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            char **nn = realloc(names, ncap * sizeof(*nn));
            if (nn == NULL) {
                rc = -1;
                wlog_seterr(err, errlen, "out of memory");
                break;
            }
            names = nn;
            cap = ncap;
        }
        if ((names[n] = strdup(de->d_name)) == NULL) {
            rc = -1;
            wlog_seterr(err, errlen, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (names != NULL)
        qsort(names, n, sizeof(*names), contract_cmp_names);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *sub = NULL, *full = NULL;
        size_t len = strlen(names[i]);

        if (asprintf(&sub, "%s%s%s", rel, *rel ? "/" : "", names[i]) < 0)
            sub = NULL;
        if (sub == NULL || asprintf(&full, "%s/%s", dir, sub) < 0) {
            free(sub);
            wlog_seterr(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        rc = contract_add_entry(c, dir, sub, full, names[i], len, depth, err, errlen);
        free(sub);
        free(full);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static const jsonschema *contract_find(const contract *c, const char *name)
{
    contract_entry key = {(char *)name, NULL};
    const contract_entry *e;

    if (c == NULL || c->nentries == 0)
        return NULL;
    e = bsearch(&key, c->entries, c->nentries, sizeof(*c->entries), contract_cmp_entries);
    return e ? e->schema : NULL;
}

void contract_free(contract *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nentries; i++)
        free(c->entries[i].name);
    free(c->entries);
    jsonschema_registry_free(c->reg);
    free(c);
}

contract *contract_load(const char *dir, char *err, size_t errlen)
{
    contract *c = calloc(1, sizeof(*c));
    char name[64];

    dir = contract_default_dir(dir);
    if (c == NULL || (c->reg = jsonschema_registry_new()) == NULL) {
        free(c);
        wlog_seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (contract_scan(c, dir, "", 0, err, errlen) != 0)
        goto fail;
    if (c->entries != NULL)
        qsort(c->entries, c->nentries, sizeof(*c->entries), contract_cmp_entries);
    if (jsonschema_registry_resolve(c->reg, err, errlen) != 0)
        goto fail;
    if (contract_find(c, "envelope") == NULL) {
        wlog_seterr(err, errlen, "%s/envelope.json is missing", dir);
        goto fail;
    }
    if ((c->stream = contract_find(c, "stream")) == NULL) {
        wlog_seterr(err, errlen, "%s/stream.json is missing", dir);
        goto fail;
    }
    for (int i = 0; i < CONTRACT_NUM_TYPES; i++) {
        snprintf(name, sizeof(name), "messages/%s", contract_types[i]);
        if ((c->types[i] = contract_find(c, name)) == NULL) {
            wlog_seterr(err, errlen, "%s/%s.json is missing", dir, name);
            goto fail;
        }
    }
    return c;
fail:
    contract_free(c);
    return NULL;
}

int contract_check_envelope(const contract *c, const cJSON *msg, char *err, size_t errlen)
{
    const cJSON *type;
    int idx;

    if (c == NULL || msg == NULL) {
        wlog_seterr(err, errlen, "no contract or no message");
        return -1;
    }
    if (!cJSON_IsObject(msg)) {
        wlog_seterr(err, errlen, "/: must be object");
        return 1;
    }
    type = cJSON_GetObjectItemCaseSensitive(msg, "type");
    if (type == NULL) {
        wlog_seterr(err, errlen, "/: missing required property \"type\"");
        return 1;
    }
    if (!cJSON_IsString(type)) {
        wlog_seterr(err, errlen, "/type: must be string");
        return 1;
    }
    idx = contract_type_index(type->valuestring);
    if (idx < 0) {
        wlog_seterr(err, errlen, "/type: unknown message type \"%.40s\"", type->valuestring);
        return 1;
    }
    return jsonschema_validate(c->types[idx], msg, err, errlen);
}

int contract_check_stream(const contract *c, const cJSON *msg, char *err, size_t errlen)
{
    if (c == NULL || msg == NULL) {
        wlog_seterr(err, errlen, "no contract or no message");
        return -1;
    }
    return jsonschema_validate(c->stream, msg, err, errlen);
}

int contract_check(const contract *c, const char *name, const cJSON *msg, char *err,
                   size_t errlen)
{
    const jsonschema *s;

    if (c == NULL || name == NULL || msg == NULL) {
        wlog_seterr(err, errlen, "no contract, name or message");
        return -1;
    }
    s = contract_find(c, name);
    if (s == NULL) {
        wlog_seterr(err, errlen, "no schema \"%s\" in the contract", name);
        return -1;
    }
    return jsonschema_validate(s, msg, err, errlen);
}
