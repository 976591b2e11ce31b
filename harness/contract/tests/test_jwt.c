/* test_jwt: CUnit tests of the HS256 JWT module (harness/jwt.c): round trip,
 * and each refusal the dashboard's handshake relies on (malformed, bad
 * signature, expired, alg none, other algs, missing claims). */
#include "jwt.h"

#include <CUnit/Basic.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testkit.h"

static const char *SECRET = "test-secret";

/* Appends the base64url text (no padding) of n bytes to out at *o. */
static void b64url_append(char *out, size_t *o, const unsigned char *s, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | s[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[(*o)++] = tbl[(acc >> bits) & 63];
        }
    }
    if (bits)
        out[(*o)++] = tbl[(acc << (6 - bits)) & 63];
}

/* Builds a token from raw header/payload JSON, signed with secret (or with an
 * empty signature when secret is NULL). Caller frees. */
static char *forge(const char *header, const char *payload, const char *secret)
{
    const char *parts[2] = {header, payload};
    char *out = calloc(1, 4096);
    size_t o = 0;
    for (int p = 0; p < 2; p++) {
        b64url_append(out, &o, (const unsigned char *)parts[p], strlen(parts[p]));
        out[o++] = '.';
    }
    if (secret) {
        unsigned char mac[64];
        unsigned int ml = 0;
        HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)out, o - 1, mac, &ml);
        b64url_append(out, &o, mac, ml);
    }
    return out;
}

static void test_roundtrip(void)
{
    char *t = jwt_sign(SECRET, "bot-1", "publisher", 60);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    jwt_claims c;
    char err[128] = "";
    CU_ASSERT_EQUAL(jwt_verify(t, SECRET, 0, &c, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(c.sub, "bot-1");
    CU_ASSERT_STRING_EQUAL(c.role, "publisher");
    CU_ASSERT(c.exp > c.iat);
    CU_ASSERT_EQUAL(c.exp - c.iat, 60);
    free(t);
}

static void test_bad_signature(void)
{
    char *t = jwt_sign("other-secret", "bot-1", "publisher", 60);
    jwt_claims c;
    char err[128] = "";
    CU_ASSERT_EQUAL(jwt_verify(t, SECRET, 0, &c, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "bad signature");
    /* flip one character of the payload */
    char *dot = strchr(t, '.');
    dot[1] = dot[1] == 'A' ? 'B' : 'A';
    CU_ASSERT_EQUAL(jwt_verify(t, "other-secret", 0, &c, err, sizeof err), -1);
    free(t);
}

static void test_expired(void)
{
    char *t = jwt_sign(SECRET, "bot-1", "publisher", -5);
    jwt_claims c;
    char err[128] = "";
    CU_ASSERT_EQUAL(jwt_verify(t, SECRET, 0, &c, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "expired");
    free(t);
    /* a valid token judged at a later "now" */
    t = jwt_sign(SECRET, "bot-1", "publisher", 10);
    CU_ASSERT_EQUAL(jwt_verify(t, SECRET, 0, &c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(jwt_verify(t, SECRET, c.exp, &c, err, sizeof err), -1);
    free(t);
}

static void test_alg_none(void)
{
    char *t = forge("{\"alg\":\"none\",\"typ\":\"JWT\"}",
                    "{\"sub\":\"bot-1\",\"role\":\"publisher\",\"exp\":99999999999}", NULL);
    jwt_claims c;
    char err[128] = "";
    CU_ASSERT_EQUAL(jwt_verify(t, SECRET, 0, &c, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "alg none refused");
    free(t);
    /* even with a valid HMAC appended */
    t = forge("{\"alg\":\"none\"}", "{\"sub\":\"b\",\"role\":\"publisher\",\"exp\":99999999999}",
              SECRET);
    CU_ASSERT_EQUAL(jwt_verify(t, SECRET, 0, &c, err, sizeof err), -1);
    free(t);
    t = forge("{\"alg\":\"HS512\"}", "{\"sub\":\"b\",\"role\":\"publisher\",\"exp\":99999999999}",
              SECRET);
    CU_ASSERT_EQUAL(jwt_verify(t, SECRET, 0, &c, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "refused"));
    free(t);
}

static void test_forged_ok_and_claims(void)
{
    jwt_claims c;
    char err[128] = "";
    char *t = forge("{\"alg\":\"HS256\"}",
                    "{\"sub\":\"s1\",\"role\":\"subscriber\",\"exp\":99999999999}", SECRET);
    CU_ASSERT_EQUAL(jwt_verify(t, SECRET, 0, &c, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(c.role, "subscriber");
    free(t);
    t = forge("{\"alg\":\"HS256\"}", "{\"role\":\"subscriber\",\"exp\":99999999999}", SECRET);
    CU_ASSERT_EQUAL(jwt_verify(t, SECRET, 0, &c, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "malformed"));
    free(t);
    t = forge("{\"alg\":\"HS256\"}", "{\"sub\":\"s1\",\"role\":\"subscriber\"}", SECRET);
    CU_ASSERT_EQUAL(jwt_verify(t, SECRET, 0, &c, err, sizeof err), -1);
    free(t);
    t = forge("{\"alg\":\"HS256\"}", "{\"sub\":\"s1\",\"role\":\"subscriber\",\"exp\":\"x\"}",
              SECRET);
    CU_ASSERT_EQUAL(jwt_verify(t, SECRET, 0, &c, err, sizeof err), -1);
    free(t);
}

static void test_malformed(void)
{
    const char *bad[] = {"", "abc", "a.b", "a.b.c.d", "!!!.e30.abc", "e30..abc", ".e30.x",
                         "e30.e30.@@@"};
    jwt_claims c;
    char err[128];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        CU_ASSERT_EQUAL(jwt_verify(bad[i], SECRET, 0, &c, err, sizeof err), -1);
        CU_ASSERT(err[0] != 0);
    }
    CU_ASSERT_EQUAL(jwt_verify(NULL, SECRET, 0, &c, err, sizeof err), -1);
    char *t = jwt_sign(SECRET, "x", "publisher", 60);
    t[strlen(t) - 1] = '\0'; /* truncated signature */
    CU_ASSERT_EQUAL(jwt_verify(t, SECRET, 0, &c, err, sizeof err), -1);
    free(t);
    CU_ASSERT_PTR_NULL(jwt_sign(SECRET, "0123456789012345678901234567890123456789012345678901234567890123456789", "publisher", 60));
}

static CU_TestInfo tests[] = {
    {"round trip", test_roundtrip},
    {"bad signature", test_bad_signature},
    {"expired", test_expired},
    {"alg none and others refused", test_alg_none},
    {"claims required", test_forged_ok_and_claims},
    {"malformed", test_malformed},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"jwt", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return testkit_run(suites, NULL);
}
