/* fuzz_status: libFuzzer target for how the harness reads the status
 * endpoints' JSON (the dashboard's /api/websocket/status, the bot's /status):
 * bytes -> wjson_parse (strict JSON) -> JSON Schema validation against
 * schemas/status/dashboard.json and schemas/status/bot.json, and the integer
 * reads (wjson_get_int64) the suites make on the fields.
 *
 * The two status schemas are compiled twice: through the contract
 * (contract_check, the path the tools use, which stops at the first error)
 * and into a registry of this target's own, validated with
 * jsonschema_validate_all (every error). Checks beyond the sanitizers: both
 * verdicts agree, an invalid document gets at least one error, a valid one
 * none, and every integer read is exact (|v| <= 2^53, equal to the double).
 * Schemas come from $WSB_SCHEMAS, else "schemas" (the top of the tree). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "jsonschema.h"
#include "wjson.h"
#include "wlog.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const status_names[2] = {"status/dashboard", "status/bot"};
static contract *ct;
static jsonschema_registry *reg;
static jsonschema *status_schemas[2];

static void die(const char *what, const char *err)
{
    fprintf(stderr, "fuzz-status: %s: %s\n(run from the top of the tree or set WSB_SCHEMAS)\n",
            what, err);
    exit(1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256], path[4096];
    (void)argc;
    (void)argv;
    wlog_set_level(WLOG_ERROR);
    const char *dir = contract_default_dir(NULL);
    if (!(ct = contract_load(dir, err, sizeof(err))))
        die(dir, err);
    reg = jsonschema_registry_new();
    snprintf(path, sizeof(path), "%s/envelope.json", dir);
    if (!reg || !jsonschema_add_file(reg, path, err, sizeof(err)))
        die(path, err);
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s.json", dir, status_names[i]);
        if (!(status_schemas[i] = jsonschema_add_file(reg, path, err, sizeof(err))))
            die(path, err);
    }
    if (jsonschema_registry_resolve(reg, err, sizeof(err)))
        die("resolving the status schemas", err);
    return 0;
}

static void count_error(void *user, const char *path, const char *message)
{
    (void)path;
    (void)message;
    ++*(int *)user;
}

/* Every number the suites could read as an integer reads exactly. */
static void check_ints(const cJSON *j)
{
    for (; j; j = j->next) {
        int64_t v;
        if (cJSON_IsNumber(j) && wjson_get_int64(j, &v) &&
            ((double)v != j->valuedouble || v > WJSON_MAX_EXACT_INT ||
             v < -WJSON_MAX_EXACT_INT)) {
            fprintf(stderr, "wjson_get_int64 read %lld from %.17g\n", (long long)v,
                    j->valuedouble);
            abort();
        }
        check_ints(j->child);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    cJSON *root = wjson_parse((const char *)data, size, WJSON_DEFAULT_MAX_DEPTH, err, sizeof(err));
    if (!root)
        return 0;
    for (int i = 0; i < 2; i++) {
        int first = contract_check(ct, status_names[i], root, err, sizeof(err));
        int nerr = 0;
        int all = jsonschema_validate_all(status_schemas[i], root, count_error, &nerr);
        if (first < 0 || all < 0 || first != all || (all == 1) != (nerr > 0)) {
            fprintf(stderr, "%s: first-error verdict %d (%s), all-errors verdict %d with %d "
                            "errors\n", status_names[i], first, err, all, nerr);
            abort();
        }
    }
    check_ints(root);
    cJSON_Delete(root);
    return 0;
}
