/* test_contract: harness/contract.c on its own: where the schema directory
 * comes from (argument, $WSB_SCHEMAS, "schemas"), loading a small directory
 * built in /tmp (nested folders, examples/ skipped, relative $refs), the
 * errors of a broken directory (missing file, bad schema, unresolved $ref),
 * dispatch by "type" and lookups by name, and the sample data of every type
 * against the real schemas. The real schemas/ is checked by test_schemas. */
#include "contract.h"
#include "jsonschema.h"
#include "wjson.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testkit.h"

static char dir[64];

static void put(const char *rel, const char *text)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    testkit_write_file(path, text);
}

static void rm(const char *rel)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    if (unlink(path) != 0)
        rmdir(path);
}

static cJSON *parse(const char *s)
{
    char err[128];
    return wjson_parse(s, strlen(s), 0, err, sizeof(err));
}

/* A contract directory whose ten message schemas require data.n >= 1. */
static void build_dir(void)
{
    char path[256];
    const char *subdirs[] = {"messages", "control", "examples"};

    snprintf(dir, sizeof(dir), "/tmp/wsb-test-contract-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, subdirs[i]);
        mkdir(path, 0700);
    }
    put("envelope.json", "{\"definitions\":{\"seq\":{\"type\":\"integer\",\"minimum\":1}},"
                         "\"type\":\"object\",\"required\":[\"type\",\"seq\"]}");
    put("stream.json", "{\"allOf\":[{\"$ref\":\"envelope.json\"}],\"required\":[\"relay_us\"]}");
    for (int i = 0; i < CONTRACT_NUM_TYPES; i++) {
        char rel[128], text[512];
        snprintf(rel, sizeof(rel), "messages/%s.json", contract_types[i]);
        snprintf(text, sizeof(text),
                 "{\"type\":\"object\",\"required\":[\"type\",\"seq\",\"data\"],"
                 "\"properties\":{\"type\":{\"const\":\"%s\"},"
                 "\"seq\":{\"$ref\":\"../envelope.json#/definitions/seq\"},"
                 "\"data\":{\"properties\":{\"n\":{\"minimum\":1}}}}}",
                 contract_types[i]);
        put(rel, text);
    }
    put("control/ack.json", "{\"properties\":{\"type\":{\"const\":\"ack\"}},\"required\":[\"seq\"]}");
    /* instances, not schemas: must be skipped */
    put("examples/x.json", "{\"type\":\"heartbeat\",\"seq\":1}");
}

static void clean_dir(void)
{
    char rel[128];

    for (int i = 0; i < CONTRACT_NUM_TYPES; i++) {
        snprintf(rel, sizeof(rel), "messages/%s.json", contract_types[i]);
        rm(rel);
    }
    rm("envelope.json");
    rm("stream.json");
    rm("control/ack.json");
    rm("control/bad.json");
    rm("examples/x.json");
    rm("messages");
    rm("control");
    rm("examples");
    rmdir(dir);
}

static void test_default_dir(void)
{
    char *saved = getenv("WSB_SCHEMAS") ? strdup(getenv("WSB_SCHEMAS")) : NULL;

    unsetenv("WSB_SCHEMAS");
    CU_ASSERT_STRING_EQUAL(contract_default_dir(NULL), "schemas");
    CU_ASSERT_STRING_EQUAL(contract_default_dir("x/y"), "x/y");
    setenv("WSB_SCHEMAS", "/opt/s", 1);
    CU_ASSERT_STRING_EQUAL(contract_default_dir(NULL), "/opt/s");
    CU_ASSERT_STRING_EQUAL(contract_default_dir("x/y"), "x/y");
    setenv("WSB_SCHEMAS", "", 1);
    CU_ASSERT_STRING_EQUAL(contract_default_dir(NULL), "schemas");
    if (saved) {
        setenv("WSB_SCHEMAS", saved, 1);
        free(saved);
    } else {
        unsetenv("WSB_SCHEMAS");
    }
    CU_ASSERT_EQUAL(contract_type_index("market_data"), 0);
    CU_ASSERT_EQUAL(contract_type_index("command_ack"), 9);
    CU_ASSERT_EQUAL(contract_type_index("ack"), -1);
    CU_ASSERT_EQUAL(contract_type_index(NULL), -1);
}

static int check_env(const contract *c, const char *text, char *err, size_t errlen)
{
    cJSON *j = parse(text);
    int r = contract_check_envelope(c, j, err, errlen);
    cJSON_Delete(j);
    return r;
}

static void test_load_and_dispatch(void)
{
    char err[512];
    contract *c;
    cJSON *j;

    build_dir();
    c = contract_load(dir, err, sizeof(err));
    if (c == NULL)
        fprintf(stderr, "\n  %s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(check_env(c, "{\"type\":\"heartbeat\",\"seq\":1,\"data\":{\"n\":2}}", err,
                              sizeof(err)),
                    0);
    CU_ASSERT_EQUAL(check_env(c, "{\"type\":\"heartbeat\",\"seq\":0,\"data\":{}}", err,
                              sizeof(err)),
                    1);
    CU_ASSERT_STRING_EQUAL(err, "/seq: must be >= 1");
    CU_ASSERT_EQUAL(check_env(c, "{\"type\":\"alert\",\"seq\":1,\"data\":{\"n\":0}}", err,
                              sizeof(err)),
                    1);
    CU_ASSERT_STRING_EQUAL(err, "/data/n: must be >= 1");
    CU_ASSERT_EQUAL(check_env(c, "{\"type\":\"foo\",\"seq\":1}", err, sizeof(err)), 1);
    CU_ASSERT_STRING_EQUAL(err, "/type: unknown message type \"foo\"");
    CU_ASSERT_EQUAL(check_env(c, "{\"seq\":1}", err, sizeof(err)), 1);
    CU_ASSERT_STRING_EQUAL(err, "/: missing required property \"type\"");
    CU_ASSERT_EQUAL(check_env(c, "{\"type\":3}", err, sizeof(err)), 1);
    CU_ASSERT_STRING_EQUAL(err, "/type: must be string");
    CU_ASSERT_EQUAL(check_env(c, "[1]", err, sizeof(err)), 1);
    CU_ASSERT_STRING_EQUAL(err, "/: must be object");
    CU_ASSERT_EQUAL(contract_check_envelope(c, NULL, err, sizeof(err)), -1);

    j = parse("{\"type\":\"heartbeat\",\"seq\":1}");
    CU_ASSERT_EQUAL(contract_check_stream(c, j, err, sizeof(err)), 1);
    CU_ASSERT_STRING_EQUAL(err, "/: missing required property \"relay_us\"");
    CU_ASSERT_EQUAL(contract_check(c, "control/ack", j, err, sizeof(err)), 1);
    CU_ASSERT_STRING_EQUAL(err, "/type: must be equal to \"ack\"");
    CU_ASSERT_EQUAL(contract_check(c, "envelope", j, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(contract_check(c, "examples/x", j, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no schema \"examples/x\""));
    CU_ASSERT_EQUAL(contract_check(c, "control/nope", j, err, sizeof(err)), -1);
    cJSON_Delete(j);
    contract_free(c);
    contract_free(NULL);

    /* broken directories: each error names what is wrong */
    put("control/bad.json", "{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"#/nope\"}}}");
    c = contract_load(dir, err, sizeof(err));
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unresolvable $ref"));
    put("control/bad.json", "{\"type\":\"object\",}");
    c = contract_load(dir, err, sizeof(err));
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "bad.json: malformed JSON"));
    rm("control/bad.json");
    rm("stream.json");
    c = contract_load(dir, err, sizeof(err));
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "stream.json is missing"));
    rm("messages/alert.json");
    put("stream.json", "{}");
    c = contract_load(dir, err, sizeof(err));
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "messages/alert.json is missing"));
    clean_dir();
    c = contract_load("/nonexistent/wsb", err, sizeof(err));
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open schema directory /nonexistent/wsb"));
}

/* ---- the real schemas/: shared by threads, fed hostile frames ---- */

static const char TRADE[] =
    "{\"v\":1,\"type\":\"trade_executed\",\"source\":\"bot-1\",\"seq\":42,"
    "\"ts_us\":1763822739818918,\"data\":{\"trade_id\":\"t-42\",\"order_id\":\"o-17\","
    "\"symbol\":\"BTC-USD\",\"side\":\"buy\",\"quantity\":0.25,\"price\":64000.5,"
    "\"fee\":1.6}}";
static const char TRADE_BAD[] =
    "{\"v\":1,\"type\":\"trade_executed\",\"source\":\"bot-1\",\"seq\":42,"
    "\"ts_us\":1763822739818918,\"data\":{\"trade_id\":\"t-42\",\"order_id\":\"o-17\","
    "\"symbol\":\"BTC-USD\",\"side\":\"buy\",\"quantity\":0.25,\"price\":-1,"
    "\"fee\":1.6}}";

typedef struct thread_arg {
    const contract *c;
    int wrong;
} thread_arg;

static void *validate_thread(void *p)
{
    thread_arg *a = p;
    cJSON *good = parse(TRADE), *bad = parse(TRADE_BAD);
    char err[256];

    for (int i = 0; i < 20000; i++) {
        if (contract_check_envelope(a->c, good, err, sizeof(err)) != 0)
            a->wrong++;
        if (contract_check_envelope(a->c, bad, err, sizeof(err)) != 1
            || strcmp(err, "/data/price: must be > 0") != 0)
            a->wrong++;
    }
    cJSON_Delete(good);
    cJSON_Delete(bad);
    return NULL;
}

static void test_real_schemas(void)
{
    char err[512];
    contract *c = contract_load(NULL, err, sizeof(err));
    pthread_t th[3];
    thread_arg args[3];
    unsigned long long rng = 0x2545F4914F6CDD1DULL;
    size_t len0 = strlen(TRADE);
    char buf[512];
    int accepted = 0, refused = 0;

    if (c == NULL)
        fprintf(stderr, "\n  contract_load(%s): %s\n", contract_default_dir(NULL), err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    /* a resolved contract is used by several threads at once */
    for (int i = 0; i < 3; i++) {
        args[i].c = c;
        args[i].wrong = 0;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, validate_thread, &args[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(args[i].wrong, 0);
    }
    /* mutated frames through parse + validate: never a crash or an internal error */
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = len0;
        memcpy(buf, TRADE, len0);
        for (int e = 0; e < 1 + iter % 3; e++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            size_t pos = (size_t)(rng % len);
            buf[pos] = "0-9aZ_:\",{}[].e\\ /"[(rng >> 24) % 19];
        }
        cJSON *j = wjson_parse(buf, len, 0, err, sizeof(err));
        if (j == NULL)
            continue;
        int r = contract_check_envelope(c, j, err, sizeof(err));
        CU_ASSERT(r == 0 || r == 1);
        if (r == 1)
            CU_ASSERT_PTR_NOT_NULL(strstr(err, ": "));
        r == 0 ? accepted++ : refused++;
        cJSON_Delete(j);
    }
    printf(" (%d mutated frames accepted, %d refused) ", accepted, refused);
    CU_ASSERT_TRUE(refused > 0);
    contract_free(c);
}

/* Validates every schema file under path (examples/ skipped) against the
 * draft-07 metaschema; returns how many files were checked. */
static int check_meta(const jsonschema *meta, const char *path, int depth)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int n = 0;

    if (d == NULL || depth > 8) {
        if (d)
            closedir(d);
        return 0;
    }
    while ((de = readdir(d)) != NULL) {
        char full[1024], err[512];
        size_t len = strlen(de->d_name);
        struct stat st;

        if (de->d_name[0] == '.' || strcmp(de->d_name, "examples") == 0)
            continue;
        snprintf(full, sizeof(full), "%s/%s", path, de->d_name);
        if (stat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            n += check_meta(meta, full, depth + 1);
            continue;
        }
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        cJSON *doc = wjson_parse_file(full, 64, err, sizeof(err));
        CU_ASSERT_PTR_NOT_NULL(doc);
        if (doc == NULL)
            continue;
        int r = jsonschema_validate(meta, doc, err, sizeof(err));
        if (r != 0)
            fprintf(stderr, "\n  %s is not a valid draft-07 schema: %s\n", full, err);
        CU_ASSERT_EQUAL(r, 0);
        cJSON_Delete(doc);
        n++;
    }
    closedir(d);
    return n;
}

/* Every type's sample data, wrapped in an envelope, passes that type's schema. */
static void test_samples(void)
{
    char err[512], buf[1024];
    contract *c = contract_load(NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    for (int ti = 0; ti < CONTRACT_NUM_TYPES; ti++) {
        const char *data = contract_sample_data(ti);
        CU_ASSERT_PTR_NOT_NULL_FATAL(data);
        snprintf(buf, sizeof(buf),
                 "{\"v\":1,\"type\":\"%s\",\"source\":\"bot-1\",\"seq\":1,"
                 "\"ts_us\":1700000000000000,\"data\":%s}",
                 contract_types[ti], data);
        cJSON *j = wjson_parse(buf, strlen(buf), 0, err, sizeof(err));
        CU_ASSERT_PTR_NOT_NULL(j);
        int rc = j ? contract_check_envelope(c, j, err, sizeof(err)) : -1;
        if (rc != 0)
            fprintf(stderr, "\n  sample %s: %s\n", contract_types[ti], err);
        CU_ASSERT_EQUAL(rc, 0);
        cJSON_Delete(j);
    }
    CU_ASSERT_PTR_NULL(contract_sample_data(-1));
    CU_ASSERT_PTR_NULL(contract_sample_data(CONTRACT_NUM_TYPES));
    contract_free(c);
}

static void test_schemas_are_draft07(void)
{
    char err[512];
    jsonschema_registry *reg = jsonschema_registry_new();
    cJSON *ref = parse("{\"$ref\":\"http://json-schema.org/draft-07/schema#\"}");
    jsonschema *meta = jsonschema_add(reg, ref, NULL, err, sizeof(err));

    CU_ASSERT_PTR_NOT_NULL_FATAL(meta);
    CU_ASSERT_EQUAL_FATAL(jsonschema_registry_resolve(reg, err, sizeof(err)), 0);
    int n = check_meta(meta, contract_default_dir(NULL), 0);
    printf(" (%d schema files) ", n);
    CU_ASSERT_TRUE(n >= 13);
    jsonschema_registry_free(reg);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"schema directory and type names", test_default_dir},
        {"load, dispatch by type, broken directories", test_load_and_dispatch},
        {"real schemas: threads, mutated frames", test_real_schemas},
        {"every schema file is a valid draft-07 schema", test_schemas_are_draft07},
        {"every type's sample data passes its schema", test_samples},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"contract", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return testkit_run(suites, NULL);
}
