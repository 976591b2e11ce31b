/* test_results: CUnit tests of harness/results/: status rules (settle,
 * run_ok, explicit not-available), the summary's JSON round trip, escaping in
 * junit.xml and test_report.md, non-finite metrics, mkdirs. */
#include "results.h"

#include <CUnit/Basic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wjson.h"
#include "testkit.h"

static char dir[64];

static char *slurp(const char *name)
{
    char p[256], err[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return wjson_read_file(p, NULL, err, sizeof(err));
}

static results_run *sample_run(void)
{
    results_run *r = results_run_new("native", "short", dir);
    results_run_set_env(r, "ws://127.0.0.1:4242", NULL, NULL);
    results_suite *s = results_add_suite(r, "connectivity", "handshake & friends");
    results_test *t = results_add_test(s, "handshake");
    t->status = RESULTS_PASSED;
    t->duration_s = 0.0125;
    results_test_metric(t, "connect_p50", 812.5, "us");
    results_test_metric(t, "connect_p50", 900, "us"); /* replaces */
    results_test_metric(t, "weird", NAN, "");
    t = results_add_test(s, "auth <expired> & \"bad\"");
    results_test_fail(t, "test.c:12: got 200 <ok> & expected 401 | \x01 done");
    results_test_fail(t, "second\nline");
    t = results_add_test(s, "needs_status");
    results_test_skip(t, "no /api/websocket/status");
    results_suite_settle(s);
    results_suite *m = results_add_suite(r, "security", "");
    m->available = 0;
    results_suite_settle(m);
    results_run_finish(r, 1.5);
    return r;
}

static void test_status_rules(void)
{
    results_run *r = results_run_new("native", "short", "x");
    results_suite *s = results_add_suite(r, "a", "");
    results_test *t = results_add_test(s, "t1");
    t->status = RESULTS_PASSED;
    results_suite_settle(s);
    CU_ASSERT_EQUAL(s->status, RESULTS_PASSED);
    t = results_add_test(s, "t2");
    results_test_skip(t, "why");
    results_suite_settle(s);
    CU_ASSERT_EQUAL(s->status, RESULTS_PASSED);
    s->tests[0].status = RESULTS_SKIPPED;
    results_suite_settle(s);
    /* every test skipped: nothing was checked, the suite fails... */
    CU_ASSERT_EQUAL(s->status, RESULTS_FAILED);
    CU_ASSERT_EQUAL(s->nothing_checked, 1);
    CU_ASSERT_FALSE(results_run_ok(r));
    CU_ASSERT_EQUAL(results_run_exit_code(r), 1);
    /* ...unless skips were allowed (--allow-skips, --test) */
    s->allow_skips = 1;
    results_suite_settle(s);
    CU_ASSERT_EQUAL(s->status, RESULTS_SKIPPED);
    CU_ASSERT_EQUAL(s->nothing_checked, 0);
    CU_ASSERT_TRUE(results_run_ok(r));
    CU_ASSERT_EQUAL(results_run_exit_code(r), 0);
    /* a failure wins over a skip in the same test */
    results_test_fail(&s->tests[1], "boom");
    results_test_skip(&s->tests[1], "later skip");
    CU_ASSERT_EQUAL(s->tests[1].status, RESULTS_FAILED);
    results_suite_settle(s);
    CU_ASSERT_EQUAL(s->status, RESULTS_FAILED);
    CU_ASSERT_FALSE(results_run_ok(r));
    /* a test left running (crash bookkeeping) fails its suite */
    results_suite *b = results_add_suite(r, "b", "");
    results_add_test(b, "running");
    results_suite_settle(b);
    CU_ASSERT_EQUAL(b->status, RESULTS_FAILED);
    /* suite-level messages fail it too */
    results_suite *c = results_add_suite(r, "c", "");
    results_suite_message(c, "watchdog: %d s", 5);
    results_suite_settle(c);
    CU_ASSERT_EQUAL(c->status, RESULTS_FAILED);
    results_run_free(r);

    r = results_run_new("native", "short", "x");
    results_suite *na = results_add_suite(r, "n", "");
    na->available = 0;
    results_suite_settle(na);
    CU_ASSERT_EQUAL(na->status, RESULTS_NOT_AVAILABLE);
    CU_ASSERT_TRUE(results_run_ok(r));
    na->explicit_selection = 1;
    results_suite_settle(na);
    CU_ASSERT_EQUAL(na->status, RESULTS_FAILED);
    CU_ASSERT_FALSE(results_run_ok(r));
    results_run_free(r);

    r = results_run_new("native", "short", "x");
    r->interrupted = 1;
    CU_ASSERT_FALSE(results_run_ok(r));
    results_run_free(r);

    CU_ASSERT_EQUAL(results_status_parse("not_available"), RESULTS_NOT_AVAILABLE);
    CU_ASSERT_EQUAL(results_status_parse("bogus"), -1);
}

static void test_summary_roundtrip(void)
{
    results_run *r = sample_run();
    char err[256];
    CU_ASSERT_EQUAL_FATAL(results_write_all(r, dir, err, sizeof(err)), 0);
    char p[128];
    snprintf(p, sizeof(p), "%s/test_summary.json", dir);
    results_run *b = results_read_summary(p, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL_FATAL(b->nsuites, 2);
    CU_ASSERT_STRING_EQUAL(b->mode, "native");
    CU_ASSERT_STRING_EQUAL(b->profile, "short");
    CU_ASSERT_STRING_EQUAL(b->dashboard_url, "ws://127.0.0.1:4242");
    CU_ASSERT_PTR_NULL(b->bot_status_url);
    CU_ASSERT_PTR_NULL(b->env_error);
    const results_suite *s = &b->suites[0];
    CU_ASSERT_EQUAL(s->status, RESULTS_FAILED);
    CU_ASSERT_STRING_EQUAL(s->description, "handshake & friends");
    CU_ASSERT_EQUAL_FATAL(s->ntests, 3);
    CU_ASSERT_EQUAL(s->tests[0].status, RESULTS_PASSED);
    CU_ASSERT_DOUBLE_EQUAL(s->tests[0].duration_s, 0.013, 1e-9); /* rounded to ms */
    CU_ASSERT_EQUAL_FATAL(s->tests[0].nmetrics, 2);
    CU_ASSERT_DOUBLE_EQUAL(s->tests[0].metrics[0].value, 900, 1e-9);
    CU_ASSERT_TRUE(isnan(s->tests[0].metrics[1].value)); /* written as null */
    CU_ASSERT_STRING_EQUAL(s->tests[1].name, "auth <expired> & \"bad\"");
    CU_ASSERT_EQUAL_FATAL(s->tests[1].nfailures, 2);
    CU_ASSERT_STRING_EQUAL(s->tests[1].failures[1], "second\nline");
    CU_ASSERT_EQUAL(s->tests[2].status, RESULTS_SKIPPED);
    CU_ASSERT_STRING_EQUAL(s->tests[2].skip_reason, "no /api/websocket/status");
    CU_ASSERT_EQUAL(b->suites[1].available, 0);
    char *text = slurp("test_summary.json");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    int vrc = testkit_schema_check("harness/results/schemas/test_summary.json", text, err, sizeof(err));
    if (vrc)
        printf("\nschema: %s\n", err);
    CU_ASSERT_EQUAL(vrc, 0);
    /* the schema is not vacuous: a wrong status or version is refused */
    char *bad = strstr(text, "\"skipped\",");
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
    memcpy(bad, "\"skipppd\"", 9);
    CU_ASSERT_EQUAL(
        testkit_schema_check("harness/results/schemas/test_summary.json", text, err, sizeof(err)), 1);
    free(text);
    CU_ASSERT_EQUAL(b->suites[1].status, RESULTS_NOT_AVAILABLE);
    results_totals t = results_count(b);
    CU_ASSERT_EQUAL(t.tests, 3);
    CU_ASSERT_EQUAL(t.passed, 1);
    CU_ASSERT_EQUAL(t.failed, 1);
    CU_ASSERT_EQUAL(t.skipped, 1);
    CU_ASSERT_EQUAL(t.not_available, 1);
    results_run_free(b);
    results_run_free(r);

    /* another version is refused */
    FILE *f = fopen(p, "w");
    fputs("{\"version\":99,\"suites\":[]}", f);
    fclose(f);
    CU_ASSERT_PTR_NULL(results_read_summary(p, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "version"));
}

static void test_junit_escaping(void)
{
    results_run *r = sample_run();
    char err[256];
    CU_ASSERT_EQUAL_FATAL(results_write_all(r, dir, err, sizeof(err)), 0);
    results_run_free(r);
    char *x = slurp("junit.xml");
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "<testsuites name=\"wsbridge\" tests=\"4\" failures=\"1\" "
                                     "errors=\"0\" skipped=\"2\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "name=\"auth &lt;expired&gt; &amp; &quot;bad&quot;\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "got 200 &lt;ok&gt; &amp; expected 401 | ? done"));
    CU_ASSERT_PTR_NULL(strchr(x, '\x01'));
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "<skipped message=\"no /api/websocket/status\"/>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(x, "connect_p50 = 900 us"));
    /* every element opened is closed: count testcase tags */
    int open = 0, close = 0;
    for (const char *p = x; (p = strstr(p, "<testcase")); p++)
        open++;
    for (const char *p = x; (p = strstr(p, "</testcase>")); p++)
        close++;
    for (const char *p = x; (p = strstr(p, "<testcase")); p++) {
        const char *end = strchr(p, '>');
        if (end && end[-1] == '/')
            close++;
    }
    CU_ASSERT_EQUAL(open, 4);
    CU_ASSERT_EQUAL(open, close);
    free(x);
}

/* 1 when s is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
static int valid_utf8(const unsigned char *s)
{
    while (*s) {
        unsigned char c = *s;
        int n;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            s++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0)
                lo = 0xA0;
            if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0)
                lo = 0x90;
            if (c == 0xF4)
                hi = 0x8F;
        } else {
            return 0;
        }
        s++;
        for (int i = 0; i < n; i++, s++) {
            if (*s < (i ? 0x80 : lo) || *s > (i ? 0xBF : hi))
                return 0;
        }
    }
    return 1;
}

/* A failure message quoting a frame cut mid-character (%.60s of a corrupt
 * frame) must not make junit.xml or test_summary.json invalid UTF-8, which
 * XML parsers and CI reporters reject as a whole; valid characters stay. */
static void test_invalid_utf8(void)
{
    results_run *r = results_run_new("native", "short", dir);
    results_suite *s = results_add_suite(r, "message_flow", "flow \xc2\xb5s");
    results_test *t = results_add_test(s, "schema");
    results_test_fail(t, "first unparsable: {\"price\":\"12 \xe2\x82");
    results_test_fail(t, "lone \xff and \xc0\xaf overlong, 5 \xc2\xb5s fine");
    results_test_skip(results_add_test(s, "resume"), "cut \xf0\x9f");
    results_suite_message(s, "suite \xed\xa0\x80 surrogate");
    results_suite_settle(s);
    results_run_finish(r, 1.0);
    char err[256];
    CU_ASSERT_EQUAL_FATAL(results_write_all(r, dir, err, sizeof(err)), 0);
    results_run_free(r);
    const char *files[] = {"junit.xml", "test_summary.json", "test_report.md"};
    for (size_t i = 0; i < 3; i++) {
        char *x = slurp(files[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(x);
        CU_ASSERT(valid_utf8((const unsigned char *)x));
        CU_ASSERT_PTR_NOT_NULL(strstr(x, "5 \xc2\xb5s fine"));
        free(x);
    }
    char p[128];
    snprintf(p, sizeof(p), "%s/test_summary.json", dir);
    results_run *b = results_read_summary(p, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL(b);
    results_run_free(b);
}

static void test_report(void)
{
    results_run *r = sample_run();
    char err[256];
    CU_ASSERT_EQUAL_FATAL(results_write_all(r, dir, err, sizeof(err)), 0);
    results_run_free(r);
    char *md = slurp("test_report.md");
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| result | **FAILED** |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| dashboard | ws://127.0.0.1:4242 |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| connectivity | **FAIL** | 3 | 1 | 1 | 1 |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| connectivity | handshake | connect_p50 | 900 | us |"));
    /* a pipe inside a cell is escaped, a newline flattened */
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "expected 401 \\| "));
    /* markup a job summary would render is escaped */
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "got 200 &lt;ok&gt; &amp; expected"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "second line"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| security | n/a (not built yet)"));
    free(md);
}

/* The fault section comes from metrics/faults.json beside the report. */
static void test_report_faults(void)
{
    char p[200], err[256];
    snprintf(p, sizeof(p), "%s/metrics", dir);
    CU_ASSERT_EQUAL_FATAL(results_mkdirs(p, err, sizeof(err)), 0);
    snprintf(p, sizeof(p), "%s/metrics/faults.json", dir);
    FILE *f = fopen(p, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("{\"version\":1,\"scenarios\":[{\"scenario\":\"dashboard_crash\",\"verdict\":"
          "\"fail\",\"message\":\"2 of 5 lost\",\"ledger\":[{\"subscriber\":\"resuming\","
          "\"from\":5,\"to\":9,\"generated\":5,\"received\":3,\"lost\":2,\"duplicated\":0,"
          "\"out_of_order\":0,\"announced\":0,\"lost_ranges\":\"6-7\",\"announced_ranges\":"
          "\"\"}],\"timeline\":[{\"t_s\":0.1,\"event\":\"inject\",\"detail\":\"SIGKILL a|b\"}]}]}",
          f);
    fclose(f);
    results_run *r = sample_run();
    CU_ASSERT_EQUAL_FATAL(results_write_all(r, dir, err, sizeof(err)), 0);
    results_run_free(r);
    char *md = slurp("test_report.md");
    CU_ASSERT_PTR_NOT_NULL_FATAL(md);
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "## Faults"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "### dashboard_crash: **FAIL**"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| resuming | 5..9 | 5 | 3 | 2 | 0 | 0 | 0 | 6-7 |  |"));
    CU_ASSERT_PTR_NOT_NULL(strstr(md, "| 0.100 | inject | SIGKILL a\\|b |"));
    free(md);
    unlink(p);
}

static void test_mkdirs(void)
{
    char p[200], err[256];
    snprintf(p, sizeof(p), "%s/a/b/c", dir);
    CU_ASSERT_EQUAL(results_mkdirs(p, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(access(p, W_OK), 0);
    CU_ASSERT_EQUAL(results_mkdirs(p, err, sizeof(err)), 0); /* again: fine */
    snprintf(p, sizeof(p), "%s/test_summary.json/x", dir);
    CU_ASSERT_EQUAL(results_mkdirs(p, err, sizeof(err)), -1);
}

/* A breached threshold fails its test with the threshold named; a run whose
 * only failures are breaches exits 99, any other failure makes it 1; the
 * verdicts reach test_summary.json (valid against its schema), junit.xml and
 * test_report.md, and read back. */
static void test_thresholds(void)
{
    results_run *r = results_run_new("native", "short", "x");
    results_suite *s = results_add_suite(r, "message_flow", "");
    results_test *ok = results_add_test(s, "ping");
    results_test_threshold(ok, "ping_rtt", "p(99)<50ms", 0.3, "ms", 1);
    ok->status = RESULTS_PASSED;
    results_test *slow = results_add_test(s, "end_to_end");
    results_test_threshold(slow, "e2e_latency", "p(99)<100ms", 153.2, "ms", 0);
    slow->status = RESULTS_FAILED;
    results_suite_settle(s);
    CU_ASSERT_EQUAL(s->status, RESULTS_FAILED);
    CU_ASSERT_EQUAL_FATAL(slow->nfailures, 1);
    CU_ASSERT_EQUAL(slow->nbreaches, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(slow->failures[0], "threshold e2e_latency: p(99)<100ms breached"));
    CU_ASSERT_EQUAL(results_run_exit_code(r), RESULTS_EXIT_BREACHED);

    char tdir[64], path[128], err[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(testkit_mkdtemp(tdir, sizeof(tdir), "test-results-thr"));
    CU_ASSERT_EQUAL_FATAL(results_write_all(r, tdir, err, sizeof(err)), 0);
    snprintf(path, sizeof(path), "%s/test_summary.json", tdir);
    results_run *back = results_read_summary(path, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    const results_test *bt = &back->suites[0].tests[1];
    CU_ASSERT_EQUAL_FATAL(bt->nthresholds, 1);
    CU_ASSERT_STRING_EQUAL(bt->thresholds[0].expr, "p(99)<100ms");
    CU_ASSERT_EQUAL(bt->thresholds[0].passed, 0);
    CU_ASSERT_EQUAL(bt->nbreaches, 1);
    CU_ASSERT_EQUAL(results_run_exit_code(back), RESULTS_EXIT_BREACHED);
    results_run_free(back);
    char *text = NULL;
    size_t n = 0;
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(getdelim(&text, &n, 0, f) > 0, 1);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"exit_code\":\t99"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"verdict\":\t\"breached\""));
    int vrc = testkit_schema_check("harness/results/schemas/test_summary.json", text, err,
                                   sizeof(err));
    if (vrc)
        printf("\nschema: %s\n", err);
    CU_ASSERT_EQUAL(vrc, 0);
    free(text);
    text = NULL;
    snprintf(path, sizeof(path), "%s/junit.xml", tdir);
    f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(getdelim(&text, &n, 0, f) > 0, 1);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "name=\"threshold e2e_latency: p(99)&lt;100ms\" "
                                        "value=\"breached: 153.2 ms\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "type=\"threshold\""));
    free(text);
    text = NULL;
    snprintf(path, sizeof(path), "%s/test_report.md", tdir);
    f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(getdelim(&text, &n, 0, f) > 0, 1);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "## Thresholds"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "e2e_latency: p(99)&lt;100ms | 153.2 ms | **BREACHED**"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "exit 99"));
    free(text);
    testkit_rmtree(tdir);

    /* any other failure beside a breach: broken, not only slow */
    results_test_fail(&s->tests[0], "file.c:1: lost messages"); /* ok moved with the add */
    results_suite_settle(s);
    CU_ASSERT_EQUAL(results_run_exit_code(r), 1);
    results_run_free(r);
}

static CU_TestInfo tests[] = {
    {"status_rules", test_status_rules},
    {"summary_roundtrip", test_summary_roundtrip},
    {"junit_escaping", test_junit_escaping},
    {"invalid_utf8", test_invalid_utf8},
    {"report", test_report},
    {"report_faults", test_report_faults},
    {"mkdirs", test_mkdirs},
    {"thresholds", test_thresholds},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"results", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    if (!testkit_mkdtemp(dir, sizeof(dir), "wsb-results"))
        return 2;
    int rc = testkit_run(suites, NULL);
    testkit_rmtree(dir);
    return rc;
}
