/* test_schemas: the message contract held to its examples.
 *
 * Loads schemas/ through contract_load() and checks every file of
 * schemas/examples/: each valid/<name>.json must pass, each
 * invalid/<name>__<what>.json must fail with an error that contains every
 * fragment listed in its sibling <name>__<what>.expect (one per line; blank
 * lines and lines starting with '#' are ignored). <name> picks the check:
 *   <type> or "envelope"   contract_check_envelope (dispatch by "type")
 *   "stream"               contract_check_stream
 *   control-<frame>        contract_check("control/<frame>")
 *   status-<body>          contract_check("status/<body>")
 * On top of the files, checks derived from them: every valid message is valid
 * as a stream frame once relay_us is added and invalid without it, valid
 * against messages/<type> and envelope directly, and invalid when its type
 * names another message type. Every type and control frame must have a valid
 * example and at least two invalid ones. The test prints how many it checked. */
#include "contract.h"
#include "wjson.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testkit.h"

#define ERRLEN 512
#define MAX_EXAMPLES 1024
#define NAME_MAX_LEN 256

static const char *const control_frames[] = {"welcome",       "ack",       "error",  "command",
                                             "command_relay", "subscribe", "resume", "gap"};
#define NUM_CONTROL (sizeof control_frames / sizeof control_frames[0])

static contract *ctr;
static char schema_dir[1024];
static char load_err[ERRLEN];
static unsigned n_valid, n_invalid, n_derived;

/* One failure with a message naming the example (CUnit copies the text). */
static void fail_msg(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_msg(int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "    FAIL: %s\n", msg);
    CU_assertImplementation(CU_FALSE, (unsigned)line, msg, __FILE__, "", CU_FALSE);
}
#define FAILF(...) fail_msg(__LINE__, __VA_ARGS__)
/* A passing assertion, so CUnit's summary counts every check that ran. */
#define PASS(what) CU_assertImplementation(CU_TRUE, __LINE__, what, __FILE__, "", CU_FALSE)

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the *.json files in dir (without ".json"); caller frees
 * each name and the array. Returns the count, -1 when dir cannot be read. */
static int list_examples(const char *dir, char ***out)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char **names = calloc(MAX_EXAMPLES, sizeof *names);
    int n = 0;
    struct dirent *e;
    while (names && (e = readdir(d)) != NULL && n < MAX_EXAMPLES) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || len >= NAME_MAX_LEN || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        names[n] = strndup(e->d_name, len - 5);
        if (names[n])
            n++;
    }
    if (names && n == MAX_EXAMPLES)
        FAILF("%s: more than %d examples; raise MAX_EXAMPLES", dir, MAX_EXAMPLES);
    closedir(d);
    if (!names)
        return -1;
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    *out = names;
    return n;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The schema part of an example name: what comes before "__". */
static void example_base(const char *name, char *base, size_t cap)
{
    const char *sep = strstr(name, "__");
    size_t len = sep ? (size_t)(sep - name) : strlen(name);
    if (len >= cap)
        len = cap - 1;
    memcpy(base, name, len);
    base[len] = '\0';
}

/* Runs the check the example's name selects. Returns what the contract
 * returned (0 valid, 1 invalid, -1 failure), or -2 when the name selects no
 * check (err says why). */
static int check_example(const char *name, const cJSON *inst, char *err, size_t errlen)
{
    char base[NAME_MAX_LEN], schema[NAME_MAX_LEN + 16];
    example_base(name, base, sizeof base);
    err[0] = '\0';
    if (strcmp(base, "stream") == 0)
        return contract_check_stream(ctr, inst, err, errlen);
    if (strncmp(base, "control-", 8) == 0) {
        snprintf(schema, sizeof schema, "control/%s", base + 8);
        return contract_check(ctr, schema, inst, err, errlen);
    }
    if (strncmp(base, "status-", 7) == 0) {
        snprintf(schema, sizeof schema, "status/%s", base + 7);
        return contract_check(ctr, schema, inst, err, errlen);
    }
    if (strcmp(base, "envelope") == 0 || contract_type_index(base) >= 0)
        return contract_check_envelope(ctr, inst, err, errlen);
    snprintf(err, errlen, "example name \"%s\" selects no schema", name);
    return -2;
}

static cJSON *load_example(const char *kind, const char *name)
{
    char path[4096], err[ERRLEN];
    snprintf(path, sizeof path, "%s/examples/%s/%s.json", schema_dir, kind, name);
    cJSON *j = wjson_parse_file(path, WJSON_DEFAULT_MAX_DEPTH, err, sizeof err);
    if (!j)
        FAILF("%s: unreadable example: %s", path, err);
    return j;
}

static int init_suite(void)
{
    snprintf(schema_dir, sizeof schema_dir, "%s", contract_default_dir(NULL));
    ctr = contract_load(schema_dir, load_err, sizeof load_err);
    if (!ctr)
        fprintf(stderr, "contract_load(\"%s\"): %s\n", schema_dir, load_err);
    return 0; /* test_load reports the failure; the others then fail fast */
}

static int clean_suite(void)
{
    contract_free(ctr);
    ctr = NULL;
    printf("\nschemas: checked %u valid and %u invalid example files and %u derived cases\n",
           n_valid, n_invalid, n_derived);
    return 0;
}

static void test_load(void)
{
    if (!ctr)
        FAILF("contract_load(\"%s\"): %s", schema_dir, load_err);
    char err[ERRLEN] = "";
    contract *none = contract_load("/nonexistent/wsb-schemas", err, sizeof err);
    CU_ASSERT_PTR_NULL(none);
    CU_ASSERT(err[0] != '\0');
    contract_free(none);
}

static void test_valid_examples(void)
{
    char dir[2048], err[ERRLEN];
    char **names;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctr);
    snprintf(dir, sizeof dir, "%s/examples/valid", schema_dir);
    int n = list_examples(dir, &names);
    if (n < 0) {
        FAILF("cannot list %s", dir);
        return;
    }
    CU_ASSERT(n > 0);
    for (int i = 0; i < n; i++) {
        cJSON *j = load_example("valid", names[i]);
        if (!j)
            continue;
        int rc = check_example(names[i], j, err, sizeof err);
        if (rc != 0)
            FAILF("valid/%s.json: expected valid, got %d: %s", names[i], rc, err);
        else
            PASS("valid example passes");
        n_valid++;
        cJSON_Delete(j);
    }
    free_names(names, n);
}

/* Reads the fragments of an .expect file into frag (pointers into *text,
 * which the caller frees). Returns the number of fragments, -1 if unreadable. */
static int read_expect(const char *path, char **text, const char **frag, int cap)
{
    char err[ERRLEN];
    *text = wjson_read_file(path, NULL, err, sizeof err);
    if (!*text)
        return -1;
    int n = 0;
    for (char *save = NULL, *line = strtok_r(*text, "\n", &save); line && n < cap;
         line = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        frag[n++] = line;
    }
    return n;
}

static void test_invalid_examples(void)
{
    char dir[2048], path[4096], err[ERRLEN];
    char **names;
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctr);
    snprintf(dir, sizeof dir, "%s/examples/invalid", schema_dir);
    int n = list_examples(dir, &names);
    if (n < 0) {
        FAILF("cannot list %s", dir);
        return;
    }
    CU_ASSERT(n > 0);
    for (int i = 0; i < n; i++) {
        const char *frag[16];
        char *text = NULL;
        snprintf(path, sizeof path, "%s/%s.expect", dir, names[i]);
        int nf = read_expect(path, &text, frag, 16);
        if (nf <= 0) {
            FAILF("invalid/%s.json: %s missing or empty (each invalid example states its error)",
                  names[i], path);
            free(text);
            continue;
        }
        cJSON *j = load_example("invalid", names[i]);
        if (j) {
            int rc = check_example(names[i], j, err, sizeof err);
            if (rc != 1) {
                FAILF("invalid/%s.json: expected invalid (1), got %d: %s", names[i], rc, err);
            } else {
                for (int f = 0; f < nf; f++) {
                    if (!strstr(err, frag[f]))
                        FAILF("invalid/%s.json: error \"%s\" lacks \"%s\"", names[i], err, frag[f]);
                    else
                        PASS("invalid example fails with the expected error");
                }
            }
            n_invalid++;
            cJSON_Delete(j);
        }
        free(text);
    }
    free_names(names, n);
}

/* 1 when a file named <dir>/<name>.json exists. */
static int example_exists(const char *kind, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/examples/%s/%s.json", schema_dir, kind, name);
    FILE *f = fopen(path, "r");
    if (f)
        fclose(f);
    return f != NULL;
}

/* How many invalid examples start with "<base>__". */
static int count_invalid(const char *base)
{
    char dir[2048], prefix[NAME_MAX_LEN];
    char **names;
    snprintf(dir, sizeof dir, "%s/examples/invalid", schema_dir);
    snprintf(prefix, sizeof prefix, "%s__", base);
    int n = list_examples(dir, &names), hits = 0;
    for (int i = 0; i < n; i++)
        hits += strncmp(names[i], prefix, strlen(prefix)) == 0;
    if (n >= 0)
        free_names(names, n);
    return hits;
}

static void test_coverage(void)
{
    char base[NAME_MAX_LEN];
    for (int t = 0; t < CONTRACT_NUM_TYPES; t++) {
        if (!example_exists("valid", contract_types[t]))
            FAILF("no valid example for message type %s", contract_types[t]);
        if (count_invalid(contract_types[t]) < 2)
            FAILF("fewer than 2 invalid examples for message type %s", contract_types[t]);
    }
    for (size_t k = 0; k < NUM_CONTROL; k++) {
        snprintf(base, sizeof base, "control-%s", control_frames[k]);
        if (!example_exists("valid", base))
            FAILF("no valid example for control frame %s", control_frames[k]);
        if (count_invalid(base) < 2)
            FAILF("fewer than 2 invalid examples for control frame %s", control_frames[k]);
    }
    const char *others[] = {"stream", "status-dashboard", "status-bot"};
    for (size_t k = 0; k < sizeof others / sizeof others[0]; k++) {
        if (!example_exists("valid", others[k]) || count_invalid(others[k]) < 2)
            FAILF("%s needs a valid and at least 2 invalid examples", others[k]);
    }
}

/* The checks derived from each message type's valid example. */
static void test_derived(void)
{
    char err[ERRLEN], schema[64];
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctr);
    for (int t = 0; t < CONTRACT_NUM_TYPES; t++) {
        const char *type = contract_types[t];
        CU_ASSERT_EQUAL(contract_type_index(type), t);
        cJSON *j = load_example("valid", type);
        if (!j)
            continue;

        snprintf(schema, sizeof schema, "messages/%s", type);
        if (contract_check(ctr, schema, j, err, sizeof err) != 0)
            FAILF("valid/%s.json against %s: %s", type, schema, err);
        if (contract_check(ctr, "envelope", j, err, sizeof err) != 0)
            FAILF("valid/%s.json against envelope: %s", type, err);

        /* A publisher envelope is not a stream frame: relay_us is required. */
        if (contract_check_stream(ctr, j, err, sizeof err) != 1 || !strstr(err, "relay_us"))
            FAILF("valid/%s.json without relay_us as a stream frame: want an error naming "
                  "relay_us, got \"%s\"",
                  type, err);
        cJSON_AddNumberToObject(j, "relay_us", 1763822739900000.0);
        if (contract_check_stream(ctr, j, err, sizeof err) != 0)
            FAILF("valid/%s.json + relay_us as a stream frame: %s", type, err);
        /* ... and the publisher side refuses relay_us. */
        if (contract_check_envelope(ctr, j, err, sizeof err) != 1 || !strstr(err, "relay_us"))
            FAILF("valid/%s.json + relay_us as an envelope: want an error naming relay_us, "
                  "got \"%s\"",
                  type, err);
        cJSON_DeleteItemFromObjectCaseSensitive(j, "relay_us");

        /* The data of one type under another type's name is refused, at /data. */
        const char *other = contract_types[(t + 1) % CONTRACT_NUM_TYPES];
        cJSON_ReplaceItemInObjectCaseSensitive(j, "type", cJSON_CreateString(other));
        if (contract_check_envelope(ctr, j, err, sizeof err) != 1 || !strstr(err, "/data"))
            FAILF("%s data sent as %s: want an error at /data, got \"%s\"", type, other, err);
        cJSON_AddNumberToObject(j, "relay_us", 1763822739900000.0);
        if (contract_check_stream(ctr, j, err, sizeof err) != 1 || !strstr(err, "/data"))
            FAILF("%s data relayed as %s: want an error at /data, got \"%s\"", type, other, err);
        n_derived += 6;
        PASS("derived checks of one message type ran");
        cJSON_Delete(j);
    }
    CU_ASSERT_EQUAL(contract_type_index("trade"), -1);
    CU_ASSERT_EQUAL(contract_type_index(""), -1);
}

static CU_TestInfo tests[] = {
    {"contract loads from schemas/", test_load},
    {"every valid example passes", test_valid_examples},
    {"every invalid example fails for its stated reason", test_invalid_examples},
    {"every type and frame has examples", test_coverage},
    {"stream, direct and cross-type checks", test_derived},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"schemas", init_suite, clean_suite, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return testkit_run(suites, NULL);
}
