/* test_env_native: CUnit tests of the native environment driver
 * (harness/env/env_native.c) against the real $BUILD/bin/wsb-dashboard and
 * wsb-bot: start on free ports and wait healthy, logs in services/, restart
 * on the same port, SIGKILL and start again, pause/unpause (health stops and
 * comes back), /proc stats, start-up failures with the reason, and no
 * process left behind after envdriver_free; the fault proxy on the bot's
 * link (a blackhole and an outage cut the bot off, removing them brings it
 * back; a bad toxic is refused with the proxy's answer). Also the mode names, the
 * external driver's URL handling and httpc against a live /metrics. */
#include "envdriver.h"

#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env_fake.h"
#include "env_remote.h"
#include "httpc.h"
#include "procstat.h"
#include "wjson.h"
#include "testkit.h"

static char dir[64];
static char bin_dir[256];

static env_config base_cfg(void)
{
    env_config c = {0};
    c.results_dir = dir;
    c.bin_dir = bin_dir;
    c.schemas_dir = "schemas";
    c.jwt_secret = "test-native-secret";
    c.bot_source = "bot-1";
    c.bot_rate = 20;
    return c;
}

/* pids of our own children (from /proc), up to max */
static int children(pid_t *out, int max)
{
    int n = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        int pid = atoi(e->d_name);
        if (pid <= 0)
            continue;
        if (procstat_ppid(pid) == getpid())
            out[n++] = pid;
    }
    closedir(d);
    return n;
}

static long health(const char *base, int timeout_ms)
{
    char url[300], err[256];
    snprintf(url, sizeof(url), "%s/health", base);
    httpc_response r;
    if (httpc_get(url, timeout_ms, &r, err, sizeof(err)) < 0)
        return 0;
    long st = r.status;
    httpc_response_free(&r);
    return st;
}

static void test_lifecycle(void)
{
    char err[1024];
    env_config cfg = base_cfg();
    envdriver *d = envdriver_new(ENV_MODE_NATIVE, &cfg, err, sizeof(err));
    if (!d)
        printf("\n%s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_TRUE(envdriver_has(d, ENV_CAP_PROCESS | ENV_CAP_STATS | ENV_CAP_BOT));
    CU_ASSERT_FALSE(envdriver_has(d, ENV_CAP_NETWORK));
    CU_ASSERT_EQUAL(strncmp(envdriver_dashboard_url(d), "ws://127.0.0.1:", 15), 0);
    CU_ASSERT_EQUAL(strncmp(envdriver_bot_status_url(d), "http://127.0.0.1:", 17), 0);
    CU_ASSERT_EQUAL(health(envdriver_dashboard_http(d), 2000), 200);
    CU_ASSERT_EQUAL(health(envdriver_bot_status_url(d), 2000), 200);
    pid_t kids[16];
    int nkids = children(kids, 16);
    CU_ASSERT_EQUAL(nkids, 3); /* dashboard, fault proxy, bot */

    /* the bot got the secret too: it connects and its messages are acked
       (polled: the first ack follows the first trading event) */
    char surl[300];
    snprintf(surl, sizeof(surl), "%s/status", envdriver_bot_status_url(d));
    int acked = 0;
    for (int i = 0; i < 100 && !acked; i++) {
        cJSON *j = httpc_get_json(surl, 1000, err, sizeof(err));
        if (j) {
            cJSON *a = cJSON_GetObjectItem(j, "acked");
            acked = cJSON_IsTrue(cJSON_GetObjectItem(j, "connected")) && cJSON_IsNumber(a) &&
                    a->valuedouble > 0;
            cJSON_Delete(j);
        }
        if (!acked)
            poll(NULL, 0, 50);
    }
    CU_ASSERT_TRUE(acked);

    /* logs where they belong */
    char p[256];
    snprintf(p, sizeof(p), "%s/services/dashboard.log", dir);
    char *log = wjson_read_file(p, NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "listening on port"));
    free(log);
    snprintf(p, sizeof(p), "%s/services/bot.log", dir);
    log = wjson_read_file(p, NULL, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "status on port"));
    free(log);

    /* /metrics parses */
    char url[300];
    snprintf(url, sizeof(url), "%s/metrics", envdriver_dashboard_http(d));
    promtext *m = httpc_get_metrics(url, 2000, err, sizeof(err));
    if (!m)
        printf("\n%s\n", err);
    CU_ASSERT_PTR_NOT_NULL(m);
    if (m)
        CU_ASSERT(promtext_count(m) > 0);
    promtext_free(m);

    /* stats from /proc */
    env_stats st = {0};
    CU_ASSERT_EQUAL(envdriver_stats(d, ENV_DASHBOARD, &st, err, sizeof(err)), 0);
    CU_ASSERT(st.mem_bytes > 100 * 1024);
    CU_ASSERT(st.cpu_percent >= 0 && st.cpu_percent < 250);
    /* network bytes natively: the bot's connection, acked and welcomed, is on its sockets */
    if (!(st.net_rx_bytes > 0 && st.net_tx_bytes > 0))
        printf("\n      dashboard net rx %lld tx %lld\n", st.net_rx_bytes, st.net_tx_bytes);
    CU_ASSERT(st.net_rx_bytes > 0 && st.net_tx_bytes > 0);

    /* restart keeps the port */
    char before[256];
    snprintf(before, sizeof(before), "%s", envdriver_dashboard_url(d));
    int rc = envdriver_restart(d, ENV_DASHBOARD, 5000, err, sizeof(err));
    if (rc)
        printf("\n%s\n", err);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(envdriver_dashboard_url(d), before);
    CU_ASSERT_EQUAL(health(envdriver_dashboard_http(d), 2000), 200);

    /* SIGKILL, then start again on the same status port */
    snprintf(before, sizeof(before), "%s", envdriver_bot_status_url(d));
    CU_ASSERT_EQUAL(envdriver_kill(d, ENV_BOT, SIGKILL, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(health(envdriver_bot_status_url(d), 300), 0);
    CU_ASSERT_EQUAL(envdriver_kill(d, ENV_BOT, SIGTERM, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not running"));
    rc = envdriver_start(d, ENV_BOT, err, sizeof(err));
    if (rc)
        printf("\n%s\n", err);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(envdriver_bot_status_url(d), before);
    CU_ASSERT_EQUAL(health(envdriver_bot_status_url(d), 2000), 200);
    /* starting a running service is refused (after the bounded wait) */

    /* pause: no answer; unpause: answers again */
    CU_ASSERT_EQUAL(envdriver_pause(d, ENV_DASHBOARD, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(health(envdriver_dashboard_http(d), 300), 0);
    CU_ASSERT_EQUAL(envdriver_unpause(d, ENV_DASHBOARD, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(health(envdriver_dashboard_http(d), 2000), 200);

    /* no network faults natively */
    CU_ASSERT_EQUAL(envdriver_disconnect(d, ENV_BOT, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not supported by the native driver"));

    /* a paused service still stops on free; nothing is left behind */
    CU_ASSERT_EQUAL(envdriver_pause(d, ENV_BOT, err, sizeof(err)), 0);
    nkids = children(kids, 16);
    CU_ASSERT_EQUAL(nkids, 3);
    envdriver_free(d);
    for (int i = 0; i < nkids; i++)
        CU_ASSERT(kill(kids[i], 0) < 0 && errno == ESRCH);
    CU_ASSERT_EQUAL(children(kids, 16), 0);
}

/* polls the bot's status until "connected" equals want; 1 when it did within timeout_ms */
static int bot_connected_becomes(envdriver *d, int want, int timeout_ms)
{
    char url[300], err[256];
    snprintf(url, sizeof(url), "%s/status", envdriver_bot_status_url(d));
    for (int waited = 0; waited <= timeout_ms; waited += 50) {
        cJSON *j = httpc_get_json(url, 1000, err, sizeof(err));
        int c = j ? cJSON_IsTrue(cJSON_GetObjectItem(j, "connected")) : -1;
        cJSON_Delete(j);
        if (c == want)
            return 1;
        poll(NULL, 0, 50);
    }
    return 0;
}

static void test_faults(void)
{
    char err[1024];
    env_config cfg = base_cfg();
    envdriver *d = envdriver_new(ENV_MODE_NATIVE, &cfg, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_TRUE(envdriver_has(d, ENV_CAP_FAULTS));
    CU_ASSERT_STRING_EQUAL(envdriver_link_proxy(d, ENV_LINK_BOT), "bot_to_dashboard");
    CU_ASSERT_STRING_EQUAL(envdriver_link_proxy(d, ENV_LINK_CLIENTS), "clients_to_dashboard");
    CU_ASSERT_EQUAL(strncmp(envdriver_clients_url(d), "ws://127.0.0.1:", 15), 0);
    CU_ASSERT_STRING_NOT_EQUAL(envdriver_clients_url(d), envdriver_dashboard_url(d));
    CU_ASSERT_TRUE(bot_connected_becomes(d, 1, 5000));

    /* a blackhole both ways: the bot's pong timeout sees it; removed, it reconnects */
    CU_ASSERT_EQUAL(envdriver_toxic_add(d, ENV_LINK_BOT,
                                        "{\"name\":\"bh_down\",\"type\":\"timeout\","
                                        "\"stream\":\"downstream\",\"attributes\":{\"timeout\":0}}",
                                        err, sizeof(err)),
                    0);
    CU_ASSERT_EQUAL(envdriver_toxic_add(d, ENV_LINK_BOT,
                                        "{\"name\":\"bh_up\",\"type\":\"timeout\","
                                        "\"stream\":\"upstream\",\"attributes\":{\"timeout\":0}}",
                                        err, sizeof(err)),
                    0);
    CU_ASSERT_TRUE(bot_connected_becomes(d, 0, 5000));
    CU_ASSERT_EQUAL(envdriver_toxic_remove(d, ENV_LINK_BOT, "bh_down", err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(envdriver_toxic_remove(d, ENV_LINK_BOT, "bh_up", err, sizeof(err)), 0);
    CU_ASSERT_TRUE(bot_connected_becomes(d, 1, 5000));

    /* an outage: enabled false cuts the connection, true lets the bot back in */
    CU_ASSERT_EQUAL(envdriver_link_enable(d, ENV_LINK_BOT, 0, err, sizeof(err)), 0);
    CU_ASSERT_TRUE(bot_connected_becomes(d, 0, 5000));
    CU_ASSERT_EQUAL(envdriver_link_enable(d, ENV_LINK_BOT, 1, err, sizeof(err)), 0);
    CU_ASSERT_TRUE(bot_connected_becomes(d, 1, 5000));

    /* refused with the proxy's answer; a missing toxic is named */
    CU_ASSERT_EQUAL(envdriver_toxic_add(d, ENV_LINK_BOT, "{\"type\":\"nonsense\"}", err,
                                        sizeof(err)),
                    -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "HTTP 400"));
    CU_ASSERT_EQUAL(envdriver_toxic_remove(d, ENV_LINK_BOT, "nope", err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "HTTP 404"));
    CU_ASSERT_EQUAL(envdriver_toxic_add(d, (env_link)7, "{}", err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown link"));
    /* left behind on purpose: envdriver_free heals it (and stops the proxy) */
    CU_ASSERT_EQUAL(envdriver_toxic_add(d, ENV_LINK_CLIENTS,
                                        "{\"type\":\"latency\",\"attributes\":{\"latency\":5}}",
                                        err, sizeof(err)),
                    0);
    envdriver_free(d);
    pid_t kids[8];
    CU_ASSERT_EQUAL(children(kids, 8), 0);
}

/* the remote driver's transport, here a direct call into the parent's side */
static int direct_call(void *ud, const env_remote_req *q, env_remote_rep *p)
{
    env_remote_serve(ud, q, p);
    return 0;
}

/* a suite child's fault operations reach the parent's driver, arguments and errors intact */
static void test_remote_faults(void)
{
    char err[600];
    env_fake_calls calls;
    envdriver *real = env_fake_new("ws://127.0.0.1:1", &calls);
    CU_ASSERT_PTR_NOT_NULL_FATAL(real);
    envdriver *rem = env_remote_new(real, direct_call, real, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(rem);
    const char *tox = "{\"type\":\"latency\",\"attributes\":{\"latency\":50}}";
    CU_ASSERT_EQUAL(envdriver_toxic_add(rem, ENV_LINK_BOT, tox, err, sizeof(err)), 0);
    CU_ASSERT_STRING_EQUAL(calls.last_toxic, tox);
    CU_ASSERT_EQUAL(calls.last_link, ENV_LINK_BOT);
    CU_ASSERT_EQUAL(envdriver_link_enable(rem, ENV_LINK_BOT, 0, err, sizeof(err)), 0);
    CU_ASSERT_EQUAL(calls.last_enabled, 0);
    CU_ASSERT_EQUAL(calls.toxics, 2);
    CU_ASSERT_EQUAL(envdriver_toxic_add(rem, ENV_LINK_CLIENTS, tox, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "no clients proxy");
    /* absent in the real driver, absent in the remote, named after the real one */
    CU_ASSERT_EQUAL(envdriver_toxic_remove(rem, ENV_LINK_BOT, "x", err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "toxic remove: not supported by the fake driver");
    /* an argument longer than the message carries is refused, not cut */
    char big[2000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    CU_ASSERT_EQUAL(envdriver_toxic_add(rem, ENV_LINK_BOT, big, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "longer than"));
    CU_ASSERT_EQUAL(calls.toxics, 2);
    envdriver_free(rem);
    envdriver_free(real);
}

static void test_start_failures(void)
{
    char err[1024];
    env_config cfg = base_cfg();
    cfg.bin_dir = "/nonexistent";
    CU_ASSERT_PTR_NULL(envdriver_new(ENV_MODE_NATIVE, &cfg, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "wsb-dashboard is missing"));

    cfg = base_cfg();
    cfg.schemas_dir = "/nonexistent-schemas";
    CU_ASSERT_PTR_NULL(envdriver_new(ENV_MODE_NATIVE, &cfg, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "wsb-dashboard exited"));
    pid_t kids[4];
    CU_ASSERT_EQUAL(children(kids, 4), 0);

    cfg = base_cfg();
    cfg.jwt_secret = NULL;
    CU_ASSERT_PTR_NULL(envdriver_new(ENV_MODE_NATIVE, &cfg, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "secret"));
}

static void test_external(void)
{
    char err[256];
    env_config cfg = {0};
    cfg.dashboard_url = "wss://example.test:8443/ws";
    cfg.bot_status_url = "http://bot:8081/";
    envdriver *d = envdriver_new(ENV_MODE_EXTERNAL, &cfg, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_STRING_EQUAL(envdriver_dashboard_url(d), "wss://example.test:8443");
    CU_ASSERT_STRING_EQUAL(envdriver_dashboard_http(d), "https://example.test:8443");
    CU_ASSERT_STRING_EQUAL(envdriver_bot_status_url(d), "http://bot:8081");
    CU_ASSERT_STRING_EQUAL(envdriver_name(d), "external");
    CU_ASSERT_EQUAL(envdriver_caps(d), ENV_CAP_BOT);
    CU_ASSERT_TRUE(envdriver_has(d, ENV_CAP_BOT));
    CU_ASSERT_FALSE(envdriver_has(d, ENV_CAP_PROCESS));
    CU_ASSERT_EQUAL(envdriver_kill(d, ENV_DASHBOARD, SIGKILL, err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "kill: not supported by the external driver");
    CU_ASSERT_EQUAL(envdriver_restart(d, ENV_DASHBOARD, 100, err, sizeof(err)), -1);
    CU_ASSERT_EQUAL(envdriver_toxic_add(d, ENV_LINK_BOT, "{}", err, sizeof(err)), -1);
    CU_ASSERT_STRING_EQUAL(err, "toxic add: not supported by the external driver");
    envdriver_free(d);
    cfg.dashboard_url = "ftp://x";
    CU_ASSERT_PTR_NULL(envdriver_new(ENV_MODE_EXTERNAL, &cfg, err, sizeof(err)));
    /* a closed port: wait_healthy gives up after its timeout with the reason */
    cfg.dashboard_url = "ws://127.0.0.1:1";
    d = envdriver_new(ENV_MODE_EXTERNAL, &cfg, err, sizeof(err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(envdriver_wait_healthy(d, ENV_DASHBOARD, 300, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not healthy after 300 ms"));
    CU_ASSERT_EQUAL(envdriver_wait_healthy(d, ENV_BOT, 300, err, sizeof(err)), -1);
    envdriver_free(d);
}

static void test_modes(void)
{
    env_mode m = ENV_MODE_NATIVE;
    CU_ASSERT_EQUAL(env_mode_parse("docker", &m), 0);
    CU_ASSERT_EQUAL(m, ENV_MODE_DOCKER);
    CU_ASSERT_EQUAL(env_mode_parse("external", &m), 0);
    CU_ASSERT_EQUAL(m, ENV_MODE_EXTERNAL);
    CU_ASSERT_EQUAL(env_mode_parse("native", &m), 0);
    CU_ASSERT_EQUAL(m, ENV_MODE_NATIVE);
    CU_ASSERT_EQUAL(env_mode_parse("remote", &m), -1);
    CU_ASSERT_EQUAL(env_mode_parse(NULL, &m), -1);
    CU_ASSERT_STRING_EQUAL(env_mode_name(ENV_MODE_DOCKER), "docker");
    CU_ASSERT_STRING_EQUAL(env_mode_name((env_mode)42), "unknown");
    char err[256];
    CU_ASSERT_PTR_NULL(envdriver_new((env_mode)42, NULL, err, sizeof(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown environment mode"));
}

static CU_TestInfo tests[] = {
    {"modes", test_modes},
    {"lifecycle", test_lifecycle},
    {"faults", test_faults},
    {"remote_faults", test_remote_faults},
    {"start_failures", test_start_failures},
    {"external", test_external},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"env_native", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    snprintf(bin_dir, sizeof(bin_dir), "%s/bin", testkit_build_dir());
    if (!testkit_mkdtemp(dir, sizeof(dir), "wsb-envnative"))
        return 2;
    int rc = testkit_run(suites, NULL);
    if (rc)
        printf("kept %s for inspection\n", dir);
    else
        testkit_rmtree(dir);
    return rc;
}
