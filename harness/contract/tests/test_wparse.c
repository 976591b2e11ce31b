/* test_wparse: CUnit tests of command-line value parsing
 * (harness/contract/wparse.c): whole strings only, ranges inclusive,
 * overflow and non-finite numbers refused, the boolean words, and the error
 * text that quotes the value and names what was expected. */
#include "wparse.h"

#include <CUnit/Basic.h>
#include <float.h>
#include <limits.h>
#include <string.h>
#include "testkit.h"

static void test_long(void)
{
    long long v = 7;
    char err[128];

    CU_ASSERT_EQUAL(wparse_long("42", 0, 100, &v, err, sizeof err), 0);
    CU_ASSERT_EQUAL(v, 42);
    CU_ASSERT_EQUAL(wparse_long("-1", -1, 65535, &v, err, sizeof err), 0);
    CU_ASSERT_EQUAL(v, -1);
    CU_ASSERT_EQUAL(wparse_long("65535", 0, 65535, &v, NULL, 0), 0);
    CU_ASSERT_EQUAL(wparse_long("9223372036854775807", 0, LLONG_MAX, &v, NULL, 0), 0);
    CU_ASSERT_EQUAL(v, LLONG_MAX);
    v = 7;
    static const char *const bad[] = {"",  "12x", "x", "65536", "-2", "1.5", "99999999999999999999",
                                      NULL};
    for (int i = 0; bad[i]; i++) {
        err[0] = 0;
        CU_ASSERT_EQUAL(wparse_long(bad[i], -1, 65535, &v, err, sizeof err), -1);
        CU_ASSERT_EQUAL(v, 7);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "expected an integer in -1..65535"));
    }
    CU_ASSERT_EQUAL(wparse_long("12x", 0, 9, &v, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "\"12x\": expected an integer in 0..9");
    CU_ASSERT_EQUAL(wparse_long(NULL, 0, 9, &v, NULL, 0), -1);
    CU_ASSERT_EQUAL(wparse_long("x", 1, LLONG_MAX, &v, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "\"x\": expected an integer >= 1");
    CU_ASSERT_EQUAL(wparse_long("x", LLONG_MIN, LLONG_MAX, &v, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "\"x\": expected an integer");
}

static void test_double(void)
{
    double d = 7;
    char err[128];

    CU_ASSERT_EQUAL(wparse_double("0.5", 0, 1, &d, err, sizeof err), 0);
    CU_ASSERT_EQUAL(d, 0.5);
    CU_ASSERT_EQUAL(wparse_double("1e3", 0, 1000, &d, err, sizeof err), 0);
    CU_ASSERT_EQUAL(d, 1000);
    d = 7;
    static const char *const bad[] = {"", "x", "1.5s", "1001", "-0.1", "nan", "inf", "1e999", NULL};
    for (int i = 0; bad[i]; i++) {
        CU_ASSERT_EQUAL(wparse_double(bad[i], 0, 1000, &d, err, sizeof err), -1);
        CU_ASSERT_EQUAL(d, 7);
    }
    CU_ASSERT_STRING_EQUAL(err, "\"1e999\": expected a number in 0..1000");
    CU_ASSERT_EQUAL(wparse_double("-1", 0, DBL_MAX, &d, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "\"-1\": expected a number >= 0");
}

static void test_bool(void)
{
    int b = 7;
    char err[128];
    static const char *const yes[] = {"1", "true", "TRUE", "yes", "On", "y", NULL};
    static const char *const no[] = {"0", "false", "No", "off", "n", "N", NULL};

    for (int i = 0; yes[i]; i++) {
        b = 7;
        CU_ASSERT_EQUAL(wparse_bool(yes[i], &b, err, sizeof err), 0);
        CU_ASSERT_EQUAL(b, 1);
    }
    for (int i = 0; no[i]; i++) {
        b = 7;
        CU_ASSERT_EQUAL(wparse_bool(no[i], &b, err, sizeof err), 0);
        CU_ASSERT_EQUAL(b, 0);
    }
    b = 7;
    CU_ASSERT_EQUAL(wparse_bool("maybe", &b, err, sizeof err), -1);
    CU_ASSERT_EQUAL(b, 7);
    CU_ASSERT_STRING_EQUAL(err, "\"maybe\": expected true or false");
    CU_ASSERT_EQUAL(wparse_bool("", &b, NULL, 0), -1);
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"integers", test_long},
        {"numbers", test_double},
        {"booleans", test_bool},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"wparse", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return testkit_run(suites, NULL);
}
