/* test_wsbload: wsb-load as a user runs it, against wsb-dashboard and
 * faulty-dashboard.
 *
 * metrics: while a steady scenario runs with --metrics-port 0, GET /metrics
 * answers Prometheus text that `promtool check metrics` accepts (and
 * promtool refuses a text that breaks its rules, so the check can fail), and
 * the run leaves its per-second series in --out-dir/metrics as CSV and JSON
 * with connections open and messages received. scenario: against
 * faulty-dashboard --fault drop (every 50th message of each source lost) a
 * burst scenario exits 1 with a breached delivery_rate and an unbalanced
 * ledger in its report; with --fault none it exits 0. usage: an unknown
 * scenario or lifecycle exits 2. k8s_job: docker/k8s/wsb-load-job.yaml passes
 * check_k8s_job.py (an indexed Job of wsb-load replicas, bounded, flags wsb-load
 * knows), and a copy without Indexed mode and with an unknown flag is refused
 * naming both. replica: --worker-index 2 (as JOB_COMPLETION_INDEX=1) writes
 * out/workers/2/ (/1/) with its test_summary.json, series and CSV.
 * own_sources: with a bot publishing all along, two replicas (--worker-index 1
 * and 2) run at once with --own-sources: each receives exactly its own
 * publisher's messages (subscribers x published) and the dashboard's
 * delivered count grows by their sum; the faulty switch (the same without
 * --own-sources) makes each replica receive more than its own (the bot's). */
#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "httpc.h"
#include "spawn.h"
#include "testkit.h"
#include "wclock.h"

#define SECRET "wsbload-test-secret"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strdup(buf);
}

/* Starts a dashboard (faulty with fault, else the real one); its ws port. */
static int dashboard(spawn_proc *p, const char *fault)
{
    char bin[512], log[600], err[512];
    char *argv[16];
    int a = 0;
    if (fault) {
        testkit_test_bin_path("faulty-dashboard", bin, sizeof bin);
        argv[a++] = bin;
        argv[a++] = "--fault";
        argv[a++] = (char *)fault;
        argv[a++] = "--fault-every";
        argv[a++] = "50";
        argv[a++] = "--fault-at";
        argv[a++] = "50";
    } else {
        testkit_bin_path("wsb-dashboard", bin, sizeof bin);
        argv[a++] = bin;
        argv[a++] = "--host";
        argv[a++] = "127.0.0.1";
    }
    argv[a++] = "--port";
    argv[a++] = "0";
    argv[a++] = "--jwt-secret";
    argv[a++] = SECRET;
    argv[a] = NULL;
    snprintf(log, sizeof log, "%s/wsbload-%s.log", testkit_build_dir(), fault ? fault : "real");
    int port = testkit_start_server(p, argv, log, fault ? "PORT " : "listening on port ", 15000,
                                    err, sizeof err);
    if (port < 0)
        fprintf(stderr, "dashboard: %s\n", err);
    return port;
}

/* promtool's verdict on a text: its exit status (0 accepted). */
static int promtool(const char *text, const char *dir)
{
    char path[600], cmd[1400];
    snprintf(path, sizeof path, "%s/metrics.txt", dir);
    testkit_write_file(path, text);
    snprintf(cmd, sizeof cmd, "promtool check metrics < '%s' > '%s.out' 2>&1", path, path);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_metrics(void)
{
    if (system("command -v promtool > /dev/null 2>&1")) {
        CU_FAIL("promtool is not installed (Debian prometheus; .ci/deps.sh installs it)");
        return;
    }
    spawn_proc d;
    int port = dashboard(&d, NULL);
    CU_ASSERT_FATAL(port > 0);
    char dir[512], url[128], out[600], bin[512], log[600], rep[600], err[512];
    testkit_mkdtemp(dir, sizeof dir, "wsbload");
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws/stream", port);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(rep, sizeof rep, "%s/report.txt", dir);
    snprintf(log, sizeof log, "%s/wsbload-metrics.log", testkit_build_dir());
    testkit_bin_path("wsb-load", bin, sizeof bin);
    char *argv[] = {bin, "--url", url, "--jwt-secret", SECRET, "--scenario", "steady",
                    "--connections", "50", "--duration", "3", "--metrics-port", "0",
                    "--out-dir", out, "--report", rep, "--quiet", NULL};
    spawn_proc w;
    int mport = testkit_start_server(&w, argv, log, "metrics on port ", 15000, err, sizeof err);
    CU_ASSERT_FATAL(mport > 0);
    /* the figures once the first second is in */
    char murl[128];
    snprintf(murl, sizeof murl, "http://127.0.0.1:%d/metrics", mport);
    httpc_response hr = {0};
    int64_t until = wclock_mono_us() + 10 * 1000000LL;
    int seen = 0;
    while (!seen && wclock_mono_us() < until) {
        httpc_response_free(&hr);
        if (httpc_get(murl, 2000, &hr, err, sizeof err) == 0 && hr.status == 200 && hr.body &&
            !strstr(hr.body, "wsbload_messages_received_total 0\n"))
            seen = 1;
        else
            usleep(200000);
    }
    CU_ASSERT(seen);
    if (seen) {
        printf("\n      /metrics: %.80s...", hr.body);
        int pt = promtool(hr.body, dir);
        if (pt)
            printf("\n      promtool exit %d (see %s/metrics.txt.out)", pt, dir);
        CU_ASSERT_EQUAL(pt, 0);
    }
    httpc_response_free(&hr);
    httpc_response hx = {0};
    char xurl[128];
    snprintf(xurl, sizeof xurl, "http://127.0.0.1:%d/nothing", mport);
    int xr = httpc_get(xurl, 2000, &hx, err, sizeof err);
    if (xr || hx.status != 404)
        printf("\n      GET /nothing: %s, status %ld", xr ? err : "answered", hx.status);
    CU_ASSERT(xr == 0 && hx.status == 404);
    httpc_response_free(&hx);
    /* promtool can refuse: a summary label on a gauge */
    CU_ASSERT_NOT_EQUAL(promtool("# HELP x_seconds x\n# TYPE x_seconds gauge\n"
                                 "x_seconds{quantile=\"0.99\"} 1\n", dir), 0);
    CU_ASSERT_EQUAL(spawn_wait(&w, 30000), 1);
    CU_ASSERT_EQUAL(spawn_exit_code(&w), 0);
    char path[700];
    snprintf(path, sizeof path, "%s/metrics/timeseries.csv", out);
    char *csv = slurp(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    static const char head[] =
        "t_s,connections,sent,received,latency_p50_ms,latency_p99_ms,errors\n";
    CU_ASSERT(!strncmp(csv, head, sizeof head - 1));
    CU_ASSERT_PTR_NOT_NULL(strstr(csv, ",51,")); /* 50 subscribers and the publisher open */
    free(csv);
    snprintf(path, sizeof path, "%s/metrics/timeseries.json", out);
    char *js = slurp(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(js);
    CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"connections\":51"));
    free(js);
    spawn_stop(&d, SIGTERM, 3000);
    testkit_rmtree(dir);
}

/* Runs wsb-load on argv-like extra flags; its exit code and report. */
static int run_load(int port, const char *const *extra, char **report)
{
    char dir[512], url[128], bin[512], rep[600], log[600], err[512];
    testkit_mkdtemp(dir, sizeof dir, "wsbload");
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws/stream", port);
    snprintf(rep, sizeof rep, "%s/report.txt", dir);
    snprintf(log, sizeof log, "%s/wsbload-run.log", testkit_build_dir());
    testkit_bin_path("wsb-load", bin, sizeof bin);
    char *argv[32] = {bin, "--url", url, "--jwt-secret", SECRET, "--report", rep, "--quiet"};
    int a = 8;
    for (int i = 0; extra[i] && a < 31; i++)
        argv[a++] = (char *)extra[i];
    argv[a] = NULL;
    spawn_opts o = {.log_path = log, .log_truncate = 1, .stdout_to_log = 1, .stop_at_exit = 1};
    spawn_proc p;
    int code = -1;
    if (spawn_start(&p, argv, &o, err, sizeof err) == 0 && spawn_wait(&p, 60000) == 1)
        code = spawn_exit_code(&p);
    else
        spawn_stop(&p, SIGKILL, 1000);
    *report = slurp(rep);
    testkit_rmtree(dir);
    return code;
}

static void test_scenario(void)
{
    static const char *const burst[] = {"--scenario", "burst", "--connections", "20",
                                        "--duration", "2", "--burst-size", "30", NULL};
    spawn_proc d;
    int port = dashboard(&d, "none");
    CU_ASSERT_FATAL(port > 0);
    char *rep = NULL;
    CU_ASSERT_EQUAL(run_load(port, burst, &rep), 0);
    CU_ASSERT(rep && strstr(rep, "ledger balanced"));
    printf("\n      --fault none: %s", rep && strstr(rep, "ledger") ? strstr(rep, "ledger") : "-");
    free(rep);
    spawn_stop(&d, SIGTERM, 3000);
    port = dashboard(&d, "drop");
    CU_ASSERT_FATAL(port > 0);
    CU_ASSERT_EQUAL(run_load(port, burst, &rep), 1);
    CU_ASSERT(rep && strstr(rep, "FAIL delivery_rate: rate>=0.999 BREACHED"));
    CU_ASSERT(rep && strstr(rep, "ledger NOT balanced"));
    printf("\n      --fault drop: %s", rep && strstr(rep, "ledger") ? strstr(rep, "ledger") : "-");
    free(rep);
    spawn_stop(&d, SIGTERM, 3000);
}

static void test_usage(void)
{
    static const char *const bad_scen[] = {"--scenario", "sideways", NULL};
    static const char *const bad_life[] = {"--scenario", "steady", "--lifecycle", "x", NULL};
    static const char *const bad_thr[] = {"--scenario", "steady", "--threshold", "nope: p(99)<1",
                                          NULL};
    static const char *const bad_rep[] = {"--worker-index", "1", "--workers", "2", NULL};
    char *rep = NULL;
    CU_ASSERT_EQUAL(run_load(1, bad_scen, &rep), 2);
    free(rep);
    CU_ASSERT_EQUAL(run_load(1, bad_life, &rep), 2);
    free(rep);
    CU_ASSERT_EQUAL(run_load(1, bad_thr, &rep), 2);
    free(rep);
    CU_ASSERT_EQUAL(run_load(1, bad_rep, &rep), 2);
    free(rep);
}

static int k8s_check(const char *manifest, char *out, size_t outlen)
{
    char bin[512], cmd[2000];
    testkit_bin_path("wsb-load", bin, sizeof bin);
    snprintf(cmd, sizeof cmd, "python3 harness/load/tests/check_k8s_job.py '%s' '%s' 2>&1",
             manifest, bin);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_k8s_job(void)
{
    char out[4096];
    int rc = k8s_check("docker/k8s/wsb-load-job.yaml", out, sizeof out);
    printf("\n      docker/k8s/wsb-load-job.yaml: %s", out);
    CU_ASSERT_EQUAL(rc, 0);
    /* a broken copy: no Indexed mode, a flag wsb-load does not know */
    char *y = slurp("docker/k8s/wsb-load-job.yaml");
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    char *m = strstr(y, "completionMode: Indexed");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    memcpy(m, "#", 1);
    char *q = strstr(y, "- --quiet");
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    memcpy(q, "- --quie2", 9);
    char dir[512], path[600];
    testkit_mkdtemp(dir, sizeof dir, "wsbload-k8s");
    snprintf(path, sizeof path, "%s/job.yaml", dir);
    testkit_write_file(path, y);
    free(y);
    rc = k8s_check(path, out, sizeof out);
    printf("\n      broken copy: %s", out);
    CU_ASSERT_EQUAL(rc, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "completionMode is not Indexed"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "wsb-load does not know --quie2"));
    testkit_rmtree(dir);
}

/* One replica run; 1 when out/workers/<want>/ holds its results. */
static int replica_ok(const char *out, int want)
{
    char p[800];
    static const char *const files[] = {"test_summary.json", "connections.csv",
                                        "metrics/timeseries.csv"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/workers/%d/%s", out, want, files[i]);
        if (access(p, R_OK)) {
            printf("\n      missing %s", p);
            return 0;
        }
    }
    return 1;
}

static void test_replica(void)
{
    spawn_proc d;
    int port = dashboard(&d, NULL);
    CU_ASSERT_FATAL(port > 0);
    char dir[512], out[600], url[128], bin[512], log[600], err[512];
    testkit_mkdtemp(dir, sizeof dir, "wsbload-rep");
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws/stream", port);
    snprintf(log, sizeof log, "%s/wsbload-replica.log", testkit_build_dir());
    testkit_bin_path("wsb-load", bin, sizeof bin);
    for (int k = 0; k < 2; k++) {
        char *argv[] = {bin, "--url", url, "--jwt-secret", SECRET, "--scenario", "steady",
                        "--connections", "10", "--duration", "1", "--out-dir", out, "--quiet",
                        k ? NULL : "--worker-index", "2", NULL};
        const char *env[] = {"JOB_COMPLETION_INDEX=1", NULL};
        spawn_opts o = {.log_path = log, .log_truncate = 1, .stdout_to_log = 1,
                        .stop_at_exit = 1, .env = k ? env : NULL};
        spawn_proc p;
        CU_ASSERT_FATAL(spawn_start(&p, argv, &o, err, sizeof err) == 0);
        CU_ASSERT_EQUAL(spawn_wait(&p, 60000), 1);
        CU_ASSERT_EQUAL(spawn_exit_code(&p), 0);
        CU_ASSERT(replica_ok(out, k ? 1 : 2));
    }
    spawn_stop(&d, SIGTERM, 3000);
    testkit_rmtree(dir);
}

/* The dashboard's messages.delivered, or -1. */
static long long delivered(int port)
{
    char url[128], err[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/websocket/status", port);
    httpc_response r;
    if (httpc_get(url, 5000, &r, err, sizeof err) || r.status != 200) {
        printf("\n      status: %s", err);
        return -1;
    }
    long long v = -1;
    cJSON *j = cJSON_Parse(r.body);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "messages"),
                                                      "delivered");
    if (cJSON_IsNumber(m))
        v = (long long)m->valuedouble;
    cJSON_Delete(j);
    httpc_response_free(&r);
    return v;
}

/* The "messages" metric of a replica's test_summary.json, or -1. */
static long long replica_messages(const char *out, int idx)
{
    char p[800];
    snprintf(p, sizeof p, "%s/workers/%d/test_summary.json", out, idx);
    char *t = slurp(p);
    cJSON *j = t ? cJSON_Parse(t) : NULL;
    free(t);
    const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "suites"), 0);
    const cJSON *te = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "tests"), 0);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(te, "metrics"),
                                         "messages"),
        "value");
    long long v = cJSON_IsNumber(m) ? (long long)m->valuedouble : -1;
    cJSON_Delete(j);
    return v;
}

static void test_own_sources(void)
{
    spawn_proc d, bot;
    int port = dashboard(&d, NULL);
    CU_ASSERT_FATAL(port > 0);
    char dir[512], url[128], purl[128], bin[512], bbin[512], log[600], err[512];
    testkit_mkdtemp(dir, sizeof dir, "wsbload-own");
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws/stream", port);
    snprintf(purl, sizeof purl, "ws://127.0.0.1:%d/ws", port);
    testkit_bin_path("wsb-load", bin, sizeof bin);
    testkit_bin_path("wsb-bot", bbin, sizeof bbin);
    /* a foreign publisher all along: the bot at 100 events/s */
    char *bargv[] = {bbin, "--url", purl, "--jwt-secret", SECRET, "--rate", "100",
                     "--test-mode", "true", "--status-port", "-1", NULL};
    snprintf(log, sizeof log, "%s/wsbload-own-bot.log", testkit_build_dir());
    spawn_opts bo = {.log_path = log, .log_truncate = 1, .stdout_to_log = 1, .stop_at_exit = 1};
    CU_ASSERT_FATAL(spawn_start(&bot, bargv, &bo, err, sizeof err) == 0);
    CU_ASSERT_FATAL(spawn_wait_line(&bot, "welcome", 15000) == 1);
    for (int k = 0; k < 2; k++) { /* 0: --own-sources, 1: the faulty switch (without) */
        char out[600];
        snprintf(out, sizeof out, "%s/out%d", dir, k);
        long long d0 = delivered(port);
        spawn_proc p[2];
        for (int r = 0; r < 2; r++) {
            char idx[16];
            snprintf(idx, sizeof idx, "%d", r + 1);
            char *argv[] = {bin, "--url", url, "--jwt-secret", SECRET, "--scenario", "steady",
                            "--connections", "5", "--publishers", "1", "--pub-rate", "100",
                            "--duration", "1", "--out-dir", out, "--quiet", "--worker-index", idx,
                            k ? NULL : "--own-sources", NULL};
            snprintf(log, sizeof log, "%s/wsbload-own-%d-%d.log", testkit_build_dir(), k, r + 1);
            spawn_opts o = {.log_path = log, .log_truncate = 1, .stdout_to_log = 1,
                            .stop_at_exit = 1};
            CU_ASSERT_FATAL(spawn_start(&p[r], argv, &o, err, sizeof err) == 0);
        }
        long long sum = 0;
        for (int r = 0; r < 2; r++) {
            CU_ASSERT_EQUAL(spawn_wait(&p[r], 60000), 1);
            CU_ASSERT_EQUAL(spawn_exit_code(&p[r]), 0);
            long long m = replica_messages(out, r + 1);
            printf("\n      %s replica %d: %lld messages (its own: 5 x 100 = 500)",
                   k ? "without --own-sources" : "--own-sources", r + 1, m);
            if (k) {
                CU_ASSERT(m > 500); /* the bot's too: the replicas are not apart */
            } else {
                CU_ASSERT_EQUAL(m, 500);
            }
            sum += m;
        }
        long long d1 = delivered(port);
        printf("\n      dashboard delivered %lld, the replicas' sum %lld", d1 - d0, sum);
        if (!k) {
            CU_ASSERT_EQUAL(d1 - d0, sum);
        }
    }
    spawn_stop(&bot, SIGTERM, 5000);
    spawn_stop(&d, SIGTERM, 3000);
    testkit_rmtree(dir);
}

static CU_TestInfo tests[] = {
    {"metrics", test_metrics},
    {"scenario", test_scenario},
    {"usage", test_usage},
    {"k8s_job", test_k8s_job},
    {"replica", test_replica},
    {"own_sources", test_own_sources},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"wsb-load as a command", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    return testkit_run(suites, argc > 1 ? argv[1] : NULL);
}
