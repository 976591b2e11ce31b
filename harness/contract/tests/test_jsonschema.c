/* test_jsonschema: the draft-07 validator (harness/contract/jsonschema*.c).
 *
 * 1. Conformance: every case of the official JSON-Schema-Test-Suite
 *    (/usr/share/json-schema-test-suite/tests/draft7/ files, or
 *    $WSB_JSTS_DIR) except refRemote.json, format.json and optional/ must
 *    pass; the test prints how many files and cases ran and fails when the
 *    folder is missing or empty.
 * 2. Our own cases: error texts ("path: rule"), every error through
 *    validate_all, pattern translation and refusals (lookarounds,
 *    backreferences), min/maxLength in code points, $id and $ref between
 *    documents and files, unresolvable and circular refs, bad keyword shapes,
 *    and the fast pattern matcher agreeing with regexec. */
#include "jsonschema.h"
#include "wjson.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testkit.h"

#define JSTS_DEFAULT_DIR "/usr/share/json-schema-test-suite/tests/draft7"

static cJSON *parse(const char *s)
{
    char err[256];
    cJSON *j = wjson_parse(s, strlen(s), 64, err, sizeof(err));
    if (j == NULL)
        fprintf(stderr, "\n  test text does not parse: %s: %s\n", err, s);
    return j;
}

/* ---- conformance ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_conformance(void)
{
    const char *dir = getenv("WSB_JSTS_DIR") ? getenv("WSB_JSTS_DIR") : JSTS_DEFAULT_DIR;
    DIR *d = opendir(dir);
    struct dirent *de;
    char *names[256];
    size_t nnames = 0;
    int files = 0, cases = 0, failures = 0, groups = 0;

    if (d == NULL) {
        fprintf(stderr, "\n  cannot open %s (install json-schema-test-suite)\n", dir);
        CU_FAIL_FATAL("JSON-Schema-Test-Suite draft7 folder missing");
        return;
    }
    while ((de = readdir(d)) != NULL && nnames < 256) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
            continue;
        if (strcmp(de->d_name, "refRemote.json") == 0 || strcmp(de->d_name, "format.json") == 0)
            continue;
        names[nnames++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, nnames, sizeof(names[0]), cmp_str);
    for (size_t f = 0; f < nnames; f++) {
        char path[1024], err[512];
        snprintf(path, sizeof(path), "%s/%s", dir, names[f]);
        cJSON *file = wjson_parse_file(path, 128, err, sizeof(err));
        if (file == NULL) {
            fprintf(stderr, "\n  %s\n", err);
            CU_FAIL("a suite file does not parse");
            continue;
        }
        files++;
        const cJSON *group;
        cJSON_ArrayForEach(group, file)
        {
            const cJSON *schema = cJSON_GetObjectItem(group, "schema");
            const char *gdesc = cJSON_GetStringValue(cJSON_GetObjectItem(group, "description"));
            jsonschema_registry *reg = jsonschema_registry_new();
            jsonschema *s;

            groups++;
            CU_ASSERT_PTR_NOT_NULL_FATAL(reg);
            s = jsonschema_add(reg, cJSON_Duplicate(schema, 1), NULL, err, sizeof(err));
            if (s == NULL || jsonschema_registry_resolve(reg, err, sizeof(err)) != 0) {
                fprintf(stderr, "\n  %s / %s: schema refused: %s\n", names[f], gdesc, err);
                failures++;
                jsonschema_registry_free(reg);
                continue;
            }
            const cJSON *tc;
            cJSON_ArrayForEach(tc, cJSON_GetObjectItem(group, "tests"))
            {
                const cJSON *data = cJSON_GetObjectItem(tc, "data");
                int want_valid = cJSON_IsTrue(cJSON_GetObjectItem(tc, "valid"));
                int r = jsonschema_validate(s, data, err, sizeof(err));
                cases++;
                if (r < 0 || (r == 0) != want_valid) {
                    failures++;
                    fprintf(stderr, "\n  FAIL %s / %s / %s: want %s, got %d (%s)\n", names[f],
                            gdesc,
                            cJSON_GetStringValue(cJSON_GetObjectItem(tc, "description")),
                            want_valid ? "valid" : "invalid", r, err);
                }
            }
            jsonschema_registry_free(reg);
        }
        cJSON_Delete(file);
    }
    for (size_t f = 0; f < nnames; f++)
        free(names[f]);
    printf("\n  draft7 conformance: %d files, %d groups, %d cases, %d failures "
           "(skipped: refRemote.json, format.json, optional/)\n",
           files, groups, cases, failures);
    CU_ASSERT(files >= 30);
    CU_ASSERT(cases >= 300);
    CU_ASSERT_EQUAL(failures, 0);
}

/* ---- our own cases ---- */

/* Compiles schema text into a fresh registry; *out_reg gets the registry. */
static jsonschema *compile(const char *schema, jsonschema_registry **out_reg)
{
    char err[512];
    jsonschema_registry *reg = jsonschema_registry_new();
    jsonschema *s = jsonschema_add(reg, parse(schema), NULL, err, sizeof(err));

    if (s == NULL || jsonschema_registry_resolve(reg, err, sizeof(err)) != 0) {
        fprintf(stderr, "\n  schema refused: %s: %s\n", err, schema);
        s = NULL;
    }
    *out_reg = reg;
    return s;
}

/* Expects instance to be invalid with exactly the error text want (or valid when want is NULL). */
static void check(const char *schema, const char *instance, const char *want)
{
    jsonschema_registry *reg;
    jsonschema *s = compile(schema, &reg);
    cJSON *inst = parse(instance);
    char err[512] = "";

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
    int r = jsonschema_validate(s, inst, err, sizeof(err));
    if (want == NULL) {
        if (r != 0)
            fprintf(stderr, "\n  %s on %s: want valid, got %d \"%s\"\n", instance, schema, r, err);
        CU_ASSERT_EQUAL(r, 0);
    } else {
        if (r != 1 || strcmp(err, want) != 0)
            fprintf(stderr, "\n  %s on %s:\n    want \"%s\"\n    got  %d \"%s\"\n", instance,
                    schema, want, r, err);
        CU_ASSERT_EQUAL(r, 1);
        CU_ASSERT_STRING_EQUAL(err, want);
    }
    cJSON_Delete(inst);
    jsonschema_registry_free(reg);
}

static void test_messages(void)
{
    const char *env = "{\"type\":\"object\",\"required\":[\"seq\",\"data\"],"
                      "\"additionalProperties\":false,\"properties\":{"
                      "\"seq\":{\"type\":\"integer\",\"minimum\":1},"
                      "\"side\":{\"enum\":[\"buy\",\"sell\"]},"
                      "\"data\":{\"type\":\"object\",\"properties\":{"
                      "\"price\":{\"type\":\"number\",\"exclusiveMinimum\":0},"
                      "\"a/b~c\":{\"type\":\"string\"},"
                      "\"list\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}}}}}";

    check(env, "{\"seq\":1,\"data\":{\"price\":2.5}}", NULL);
    check(env, "{\"seq\":1,\"data\":{\"price\":0}}", "/data/price: must be > 0");
    check(env, "{\"seq\":1,\"data\":{\"price\":-1.25}}", "/data/price: must be > 0");
    check(env, "{\"data\":{}}", "/: missing required property \"seq\"");
    check(env, "{\"seq\":1,\"data\":{},\"side\":\"hold\"}",
          "/side: must be one of [\"buy\",\"sell\"]");
    check(env, "{\"seq\":1,\"data\":{},\"extra\":1}", "/extra: additional property not allowed");
    check(env, "{\"seq\":0.5,\"data\":{}}", "/seq: must be integer");
    check(env, "{\"seq\":0,\"data\":{}}", "/seq: must be >= 1");
    check(env, "{\"seq\":1,\"data\":{\"a/b~c\":3}}", "/data/a~1b~0c: must be string");
    check(env, "{\"seq\":1,\"data\":{\"list\":[1,2,\"x\"]}}", "/data/list/2: must be integer");
    check(env, "[]", "/: must be object");
    check("{\"type\":[\"string\",\"null\"]}", "1", "/: must be of type null or string");
    check("{\"maximum\":10}", "10.5", "/: must be <= 10");
    check("{\"exclusiveMaximum\":10}", "10", "/: must be < 10");
    check("{\"multipleOf\":0.01}", "19.99", NULL);
    check("{\"multipleOf\":0.01}", "19.991", "/: must be a multiple of 0.01");
    check("{\"const\":{\"a\":[1,2]}}", "{\"a\":[1.0,2]}", NULL);
    check("{\"const\":1}", "2", "/: must be equal to 1");
    check("{\"minLength\":2,\"maxLength\":3}", "\"\xc3\xa9\xc3\xa9\xc3\xa9\"", NULL);
    check("{\"maxLength\":2}", "\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"",
          "/: must be at most 2 characters long");
    check("{\"minLength\":2}", "\"\xf0\x9f\x98\x80\"", "/: must be at least 2 characters long");
    check("{\"pattern\":\"^[A-Z]{2,10}$\"}", "\"btc\"", "/: must match pattern \"^[A-Z]{2,10}$\"");
    check("{\"uniqueItems\":true}", "[1,{\"a\":1},1.0]",
          "/: items must be unique (items 0 and 2 are equal)");
    check("{\"minItems\":2}", "[1]", "/: must have at least 2 items");
    check("{\"maxProperties\":1}", "{\"a\":1,\"b\":2}", "/: must have at most 1 properties");
    check("{\"contains\":{\"const\":3}}", "[1,2]",
          "/: must contain an item that matches \"contains\"");
    check("{\"anyOf\":[{\"type\":\"string\"},{\"minimum\":3}]}", "1",
          "/: must match at least one schema of anyOf");
    check("{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":0}]}", "1",
          "/: must match exactly one schema of oneOf (matches 0 and 1)");
    check("{\"not\":{\"type\":\"integer\"}}", "1", "/: must not match the schema of \"not\"");
    check("{\"dependencies\":{\"a\":[\"b\"]}}", "{\"a\":1}",
          "/: property \"a\" requires property \"b\"");
    check("{\"items\":[{\"type\":\"string\"}],\"additionalItems\":false}", "[\"a\",2]",
          "/1: additional item not allowed");
    check("{\"propertyNames\":{\"pattern\":\"^[a-z]+$\"}}", "{\"ok\":1,\"Bad\":2}",
          "/: property name \"Bad\" is not allowed by propertyNames");
    check("{\"properties\":{\"x\":false}}", "{\"x\":1}",
          "/x: no value is allowed here (schema false)");
    check("{\"if\":{\"properties\":{\"code\":{\"const\":\"queue_overflow\"}}},"
          "\"then\":{\"required\":[\"from\"]}}",
          "{\"code\":\"queue_overflow\"}", "/: missing required property \"from\"");
    check("{\"if\":{\"properties\":{\"code\":{\"const\":\"queue_overflow\"}}},"
          "\"then\":{\"required\":[\"from\"]}}",
          "{\"code\":\"other\"}", NULL);
}

typedef struct collected {
    char lines[16][256];
    int n;
} collected;

static void collect(void *user, const char *path, const char *message)
{
    collected *c = user;
    if (c->n < 16)
        snprintf(c->lines[c->n++], sizeof(c->lines[0]), "%s: %s", path, message);
}

static void test_validate_all(void)
{
    jsonschema_registry *reg;
    jsonschema *s = compile("{\"type\":\"object\",\"required\":[\"a\",\"b\"],\"properties\":{"
                            "\"c\":{\"type\":\"string\"},\"d\":{\"minimum\":5}},"
                            "\"additionalProperties\":false}",
                            &reg);
    cJSON *inst = parse("{\"c\":1,\"d\":2,\"e\":0}");
    collected c;

    memset(&c, 0, sizeof(c));
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(jsonschema_validate_all(s, inst, collect, &c), 1);
    CU_ASSERT_EQUAL(c.n, 5);
    CU_ASSERT_STRING_EQUAL(c.lines[0], "/: missing required property \"a\"");
    CU_ASSERT_STRING_EQUAL(c.lines[1], "/: missing required property \"b\"");
    CU_ASSERT_STRING_EQUAL(c.lines[2], "/c: must be string");
    CU_ASSERT_STRING_EQUAL(c.lines[3], "/d: must be >= 5");
    CU_ASSERT_STRING_EQUAL(c.lines[4], "/e: additional property not allowed");
    cJSON_Delete(inst);
    jsonschema_registry_free(reg);
}

/* The schema must be refused at add or resolve time with an error containing want. */
static void refused(const char *schema, const char *want)
{
    char err[512] = "";
    jsonschema_registry *reg = jsonschema_registry_new();
    jsonschema *s = jsonschema_add(reg, parse(schema), NULL, err, sizeof(err));
    int ok = s != NULL && jsonschema_registry_resolve(reg, err, sizeof(err)) == 0;

    if (ok || strstr(err, want) == NULL)
        fprintf(stderr, "\n  %s: want refusal \"%s\", got %s \"%s\"\n", schema, want,
                ok ? "success" : "error", err);
    CU_ASSERT_FALSE(ok);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
    jsonschema_registry_free(reg);
}

static void test_refusals(void)
{
    refused("{\"pattern\":\"^(?=a)\"}", "lookarounds are not supported");
    refused("{\"pattern\":\"(?<!a)b\"}", "lookarounds are not supported");
    refused("{\"pattern\":\"(a)\\\\1\"}", "backreferences are not supported");
    refused("{\"pattern\":\"\\\\p{L}\"}", "unicode property escapes");
    refused("{\"pattern\":\"a[\"}", "unterminated class");
    refused("{\"pattern\":\"a(\"}", "pattern \"a(\"");
    refused("{\"patternProperties\":{\"(?!x)\":{}}}", "lookarounds");
    refused("{\"$ref\":\"#/definitions/missing\"}", "unresolvable $ref");
    refused("{\"$ref\":\"http://example.com/nothing.json\"}", "unresolvable $ref");
    refused("{\"definitions\":{\"a\":{\"$ref\":\"#/definitions/b\"},"
            "\"b\":{\"$ref\":\"#/definitions/a\"}},\"$ref\":\"#/definitions/a\"}",
            "circular $ref");
    refused("{\"type\":\"strin\"}", "unknown type \"strin\"");
    refused("{\"minimum\":\"1\"}", "\"minimum\" must be a number");
    refused("{\"maxLength\":-1}", "\"maxLength\" must be a non-negative integer");
    refused("{\"required\":\"a\"}", "\"required\" must be an array of strings");
    refused("{\"properties\":{\"a\":1}}", "a schema must be an object or a boolean");
    refused("{\"exclusiveMinimum\":true}", "\"exclusiveMinimum\" must be a number");
    refused("{\"unevaluatedProperties\":false}", "unsupported keyword \"unevaluatedProperties\"");
    refused("{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\"}",
            "unsupported dialect");
    refused("{\"multipleOf\":0}", "\"multipleOf\" must be > 0");
    refused("{\"allOf\":[]}", "non-empty array");
    refused("{\"$ref\":5}", "\"$ref\" must be a string");
    jsonschema_registry *reg = jsonschema_registry_new();
    CU_ASSERT_PTR_NULL(jsonschema_add(reg, NULL, NULL, NULL, 0));
    jsonschema_registry_free(reg);
}

static void test_patterns(void)
{
    /* ECMA escapes and constructs translated to POSIX */
    check("{\"pattern\":\"^\\\\d{3}-\\\\w+\\\\s?$\"}", "\"123-ab_c \"", NULL);
    check("{\"pattern\":\"^\\\\d{3}$\"}", "\"12a\"", "/: must match pattern \"^\\d{3}$\"");
    check("{\"pattern\":\"^\\\\D+$\"}", "\"abc\"", NULL);
    check("{\"pattern\":\"^\\\\S+$\"}", "\"a b\"", "/: must match pattern \"^\\S+$\"");
    check("{\"pattern\":\"^(?:ab)+$\"}", "\"abab\"", NULL);
    check("{\"pattern\":\"^(?<x>ab)+?$\"}", "\"abab\"", NULL);
    check("{\"pattern\":\"^a.c$\"}", "\"a\xc3\xa9" "c\"", NULL); /* . is one code point */
    check("{\"pattern\":\"^a.c$\"}", "\"a\\nc\"", "/: must match pattern \"^a.c$\"");
    check("{\"pattern\":\"^[^a]$\"}", "\"\xe2\x82\xac\"", NULL);
    check("{\"pattern\":\"^[\\\\]\\\\-^a]+$\"}", "\"]-^a\"", NULL);
    check("{\"pattern\":\"^[\\\\d.]+$\"}", "\"1.5\"", NULL);
    check("{\"pattern\":\"^\\\\u00e9\\\\x41$\"}", "\"\xc3\xa9" "A\"", NULL);
    check("{\"pattern\":\"a{,2}\"}", "\"xa{,2}y\"", NULL); /* not a quantifier in ECMA */
    check("{\"pattern\":\"^\\\\/\\\\.\\\\$$\"}", "\"/.$\"", NULL);
    check("{\"pattern\":\"b\"}", "\"abc\"", NULL); /* unanchored search */
    check("{\"pattern\":\"^[A-Z0-9]{2,10}([/-][A-Z0-9]{2,10})?$\"}", "\"ETH/USDT\"", NULL);
    check("{\"pattern\":\"^[A-Z0-9]{2,10}([/-][A-Z0-9]{2,10})?$\"}", "\"ETH/\"",
          "/: must match pattern \"^[A-Z0-9]{2,10}([/-][A-Z0-9]{2,10})?$\"");
    check("{\"patternProperties\":{\"^x_\":{\"type\":\"integer\"}},"
          "\"additionalProperties\":false}",
          "{\"x_a\":1,\"x_b\":\"s\"}", "/x_b: must be integer");
}

/* The fast matcher and regexec must agree: the same patterns are checked on
 * ASCII strings (fast path) and on the same strings with a trailing é that
 * forces regexec (the pattern never looks at that end). */
static void test_fast_matcher(void)
{
    static const char *const pats[] = {
        "^[A-Z0-9]{2,10}([/-][A-Z0-9]{2,10})?$", "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        "^[a-z]+[0-9]*[a-z]+$", "^(ab|cd)$", "a*b", "^(a+)+$", "^x(yz)*$", "^.{2,3}",
        "[^abc]", "^(?:a|b)*c", "^(a?){3}a{3}$", "z$",
    };
    static const char *const strs[] = {
        "", "a", "ab", "abc", "BTC-USD", "ETH/USDT", "B", "BTC-", "aaab", "xyzyz", "xyzy",
        "aa", "aaa", "aaaaaa", "cd", "abcd", "ababc", "abba", "ddd", "ab1ab", "ab12", "zz",
        "bot-1", "-bot", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!",
    };
    char schema[256], inst[256], inst2[256], err[256];

    for (size_t p = 0; p < sizeof(pats) / sizeof(pats[0]); p++) {
        jsonschema_registry *reg;
        cJSON *ps = cJSON_CreateString(pats[p]);
        char *pj = cJSON_PrintUnformatted(ps);
        snprintf(schema, sizeof(schema), "{\"pattern\":%s}", pj);
        cJSON_free(pj);
        cJSON_Delete(ps);
        jsonschema *s = compile(schema, &reg);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
            /* ASCII: fast path when the pattern is simple */
            snprintf(inst, sizeof(inst), "\"%s\"", strs[i]);
            cJSON *a = parse(inst);
            int ra = jsonschema_validate(s, a, err, sizeof(err));
            /* the same through regexec: a non-ASCII prefix and suffix would
             * change the answer, so compare with POSIX directly instead */
            regex_t re;
            snprintf(inst2, sizeof(inst2), "%s", strs[i]);
            cJSON_Delete(a);
            /* independent oracle: glibc regexec on the same ERE (these
             * patterns need no translation except (?:) */
            char ere[128];
            const char *src = pats[p];
            size_t o = 0;
            int inclass = 0;
            for (size_t k = 0; src[k] && o + 6 < sizeof(ere); k++) {
                if (src[k] == '[')
                    inclass = 1;
                else if (src[k] == ']')
                    inclass = 0;
                if (src[k] == '(' && src[k + 1] == '?' && src[k + 2] == ':') {
                    ere[o++] = '(';
                    k += 2;
                } else if (src[k] == '.' && !inclass) {
                    memcpy(ere + o, "[^\n\r]", 5);
                    o += 5;
                } else {
                    ere[o++] = src[k];
                }
            }
            ere[o] = '\0';
            CU_ASSERT_EQUAL_FATAL(regcomp(&re, ere, REG_EXTENDED | REG_NOSUB), 0);
            int want = regexec(&re, inst2, 0, NULL, 0) == 0;
            regfree(&re);
            if ((ra == 0) != want)
                fprintf(stderr, "\n  pattern %s on \"%s\": validator %d, regexec %d\n", pats[p],
                        strs[i], ra, want);
            CU_ASSERT_EQUAL(ra == 0, want);
        }
        jsonschema_registry_free(reg);
    }
}

static void test_refs_and_ids(void)
{
    char err[512];
    jsonschema_registry *reg = jsonschema_registry_new();
    jsonschema *env, *msg;
    cJSON *inst;

    /* two documents known by $id, one referring to the other relatively */
    env = jsonschema_add(reg,
                         parse("{\"$id\":\"https://ex.test/s/envelope.json\","
                               "\"definitions\":{\"seq\":{\"type\":\"integer\",\"minimum\":1},"
                               "\"named\":{\"$id\":\"#price\",\"exclusiveMinimum\":0}}}"),
                         NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(env);
    msg = jsonschema_add(reg,
                         parse("{\"$id\":\"https://ex.test/s/messages/m.json\","
                               "\"properties\":{\"seq\":{\"$ref\":\"../envelope.json#/definitions/"
                               "seq\"},\"price\":{\"$ref\":\"../envelope.json#price\"},"
                               "\"self\":{\"$ref\":\"#\"},"
                               "\"sub\":{\"$id\":\"sub/x.json\",\"properties\":{\"s\":"
                               "{\"$ref\":\"../../envelope.json#/definitions/seq\"}}}}}"),
                         NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    CU_ASSERT_EQUAL_FATAL(jsonschema_registry_resolve(reg, err, sizeof(err)), 0);
    inst = parse("{\"seq\":1,\"price\":2,\"self\":{\"seq\":3,\"self\":{\"price\":0}}}");
    CU_ASSERT_EQUAL(jsonschema_validate(msg, inst, err, sizeof(err)), 1);
    CU_ASSERT_STRING_EQUAL(err, "/self/self/price: must be > 0");
    cJSON_Delete(inst);
    inst = parse("{\"sub\":{\"s\":0}}");
    CU_ASSERT_EQUAL(jsonschema_validate(msg, inst, err, sizeof(err)), 1);
    CU_ASSERT_STRING_EQUAL(err, "/sub/s: must be >= 1");
    cJSON_Delete(inst);
    /* a registry is usable for more documents after a resolve */
    jsonschema *third = jsonschema_add(
        reg, parse("{\"$ref\":\"https://ex.test/s/envelope.json#/definitions/seq\"}"), NULL, err,
        sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(third);
    inst = parse("5");
    CU_ASSERT_EQUAL(jsonschema_validate(third, inst, err, sizeof(err)), -1); /* not resolved yet */
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unresolved $ref"));
    if (jsonschema_registry_resolve(reg, err, sizeof(err)) != 0)
        fprintf(stderr, "\n  resolve: %s\n", err);
    CU_ASSERT_EQUAL(jsonschema_validate(third, inst, err, sizeof(err)), 0);
    cJSON_Delete(inst);
    /* the metaschema is built in */
    jsonschema *meta = jsonschema_add(
        reg, parse("{\"$ref\":\"http://json-schema.org/draft-07/schema#\"}"), NULL, err,
        sizeof(err));
    CU_ASSERT_EQUAL(jsonschema_registry_resolve(reg, err, sizeof(err)), 0);
    inst = parse("{\"type\":\"object\",\"properties\":{\"a\":{\"minLength\":-1}}}");
    CU_ASSERT_EQUAL(jsonschema_validate(meta, inst, err, sizeof(err)), 1);
    CU_ASSERT_STRING_EQUAL(err, "/properties/a/minLength: must be >= 0");
    cJSON_Delete(inst);
    jsonschema_registry_free(reg);
}

static void test_files(void)
{
    char dir[] = "/tmp/wsb-test-js-XXXXXX", p1[128], p2[128], p3[128], err[512];
    jsonschema_registry *reg;
    jsonschema *s;
    cJSON *inst;

    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(p1, sizeof(p1), "%s/sub", dir);
    mkdir(p1, 0700);
    /* a file-relative $ref (no $id) is loaded from disk at resolve time */
    snprintf(p1, sizeof(p1), "%s/common.json", dir);
    testkit_write_file(p1, "{\"definitions\":{\"pos\":{\"exclusiveMinimum\":0}}}");
    snprintf(p2, sizeof(p2), "%s/sub/msg.json", dir);
    testkit_write_file(p2, "{\"properties\":{\"p\":{\"$ref\":\"../common.json#/definitions/pos\"}}}");
    reg = jsonschema_registry_new();
    s = jsonschema_add_file(reg, p2, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(jsonschema_registry_resolve(reg, err, sizeof(err)), 0);
    inst = parse("{\"p\":-1}");
    CU_ASSERT_EQUAL(jsonschema_validate(s, inst, err, sizeof(err)), 1);
    CU_ASSERT_STRING_EQUAL(err, "/p: must be > 0");
    cJSON_Delete(inst);
    jsonschema_registry_free(reg);
    /* with $ids naming a web location, the sibling file is found through the
     * mapping between a loaded file's path and its $id */
    testkit_write_file(p1, "{\"$id\":\"https://ex.test/schemas/common.json\","
                   "\"definitions\":{\"pos\":{\"exclusiveMinimum\":0}}}");
    testkit_write_file(p2, "{\"$id\":\"https://ex.test/schemas/sub/msg.json\","
                   "\"properties\":{\"p\":{\"$ref\":\"../common.json#/definitions/pos\"}}}");
    reg = jsonschema_registry_new();
    s = jsonschema_add_file(reg, p2, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    if (jsonschema_registry_resolve(reg, err, sizeof(err)) != 0)
        fprintf(stderr, "\n  %s\n", err);
    inst = parse("{\"p\":0}");
    CU_ASSERT_EQUAL(jsonschema_validate(s, inst, err, sizeof(err)), 1);
    CU_ASSERT_STRING_EQUAL(err, "/p: must be > 0");
    cJSON_Delete(inst);
    jsonschema_registry_free(reg);
    /* a schema file that is not JSON */
    snprintf(p3, sizeof(p3), "%s/bad.json", dir);
    testkit_write_file(p3, "{\"type\": \"object\",}");
    reg = jsonschema_registry_new();
    CU_ASSERT_PTR_NULL(jsonschema_add_file(reg, p3, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "malformed JSON"));
    CU_ASSERT_NOT_EQUAL(jsonschema_registry_resolve(reg, err, sizeof(err)), 0);
    jsonschema_registry_free(reg);
    unlink(p1);
    unlink(p2);
    unlink(p3);
    snprintf(p1, sizeof(p1), "%s/sub", dir);
    rmdir(p1);
    rmdir(dir);
}

static void test_recursion_guard(void)
{
    jsonschema_registry *reg;
    /* allOf back to the root never consumes the instance */
    jsonschema *s = compile("{\"allOf\":[{\"$ref\":\"#\"}]}", &reg);
    char err[256];
    cJSON *inst = parse("1");

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(jsonschema_validate(s, inst, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "recursion too deep"));
    cJSON_Delete(inst);
    jsonschema_registry_free(reg);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"draft7 conformance (JSON-Schema-Test-Suite)", test_conformance},
        {"error texts name path and rule", test_messages},
        {"validate_all reports every error", test_validate_all},
        {"bad schemas are refused with a reason", test_refusals},
        {"ECMA patterns translated to POSIX", test_patterns},
        {"fast matcher agrees with regexec", test_fast_matcher},
        {"$id and $ref between documents", test_refs_and_ids},
        {"schema files and refs between files", test_files},
        {"endless schema recursion is stopped", test_recursion_guard},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"jsonschema", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return testkit_run(suites, NULL);
}
