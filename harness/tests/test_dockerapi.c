/* test_dockerapi: CUnit tests of the Docker Engine API client (dockerapi.c)
 * and the Docker environment driver (env_docker.c) against the real engine.
 *
 * It creates a throwaway network and container from the local base image
 * (debian:bookworm-slim, or $WSB_TEST_IMAGE) labelled as a compose project of
 * its own, and exercises every call: find by labels, stop, start, restart,
 * kill with a signal, pause, unpause, network disconnect and reconnect with
 * the saved aliases (checked by a probe container resolving the alias), stats,
 * and the driver's set_args (the container recreated with other arguments).
 * Everything it creates is removed at the end, also after a failure.
 *
 * When no engine answers, or the image is missing, it says so and exits 0
 * (skipped) unless WSB_REQUIRE_DOCKER=1, which makes that a failure. */
#include "testkit.h"
#include "dockerapi.h"
#include "envdriver.h"
#include "wclock.h"

#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static dockerapi *api;
static const char *image;
static char project[64], netname[96], svcname[96], cid[DOCKERAPI_ID_LEN];
static char err[512];

/* The service: exits 0 on TERM, 42 on USR1 (PID 1 ignores signals it does not trap). */
static const char *const svc_argv[] = {
    "sh", "-c", "trap 'exit 0' TERM; trap 'exit 42' USR1; while :; do sleep 0.2; done", NULL};

/* Polls the container's state until it equals want or timeout_s passes. */
static int wait_state(const char *id, const char *want, double timeout_s, int *exit_code)
{
    double end = wclock_mono_s() + timeout_s;
    char st[32] = "";
    do {
        if (dockerapi_state(api, id, st, sizeof st, NULL, NULL, exit_code, err, sizeof err) == 0 &&
            strcmp(st, want) == 0)
            return 0;
        usleep(50 * 1000);
    } while (wclock_mono_s() < end);
    fprintf(stderr, "state of %.12s: %s, wanted %s (%s)\n", id, st, want, err);
    return -1;
}

/* Runs `getent hosts name` in a probe container on the test network; its exit code. */
static int probe_resolves(const char *name)
{
    const char *argv[] = {"getent", "hosts", name, NULL};
    char pid_[DOCKERAPI_ID_LEN];
    char pname[128];
    static int seq;
    snprintf(pname, sizeof pname, "%s_probe%d", project, ++seq);
    if (dockerapi_create(api, pname, image, argv, NULL, netname, NULL, pid_, err, sizeof err) < 0)
        return -1;
    int code = -1;
    if (dockerapi_start(api, pid_, err, sizeof err) == 0 &&
        wait_state(pid_, "exited", 20, &code) < 0)
        code = -1;
    dockerapi_remove(api, pid_, 1, err, sizeof err);
    return code;
}

static int suite_init(void)
{
    snprintf(project, sizeof project, "wsbtest%ld", (long)getpid());
    snprintf(netname, sizeof netname, "%s_net", project);
    snprintf(svcname, sizeof svcname, "%s_svc_1", project);
    char lp[128], ls[128];
    snprintf(lp, sizeof lp, "com.docker.compose.project=%s", project);
    snprintf(ls, sizeof ls, "com.docker.compose.service=svc");
    const char *labels[] = {lp, ls, NULL};
    if (dockerapi_network_create(api, netname, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    if (dockerapi_create(api, svcname, image, svc_argv, labels, netname, "svc-alias", cid, err,
                         sizeof err) < 0 ||
        dockerapi_start(api, cid, err, sizeof err) < 0) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    return 0;
}

static int suite_cleanup(void)
{
    dockerapi_container *v;
    int n;
    if (dockerapi_list(api, project, NULL, &v, &n, err, sizeof err) == 0) {
        for (int i = 0; i < n; i++)
            dockerapi_remove(api, v[i].id, 1, err, sizeof err);
        free(v);
    }
    dockerapi_remove(api, svcname, 1, err, sizeof err);
    dockerapi_network_remove(api, netname, err, sizeof err);
    return 0;
}

static void test_ping_and_image(void)
{
    char ver[64] = "";
    CU_ASSERT_EQUAL(dockerapi_ping(api, ver, sizeof ver, err, sizeof err), 0);
    CU_ASSERT(ver[0] != '\0');
    CU_ASSERT_EQUAL(dockerapi_image_exists(api, image, err, sizeof err), 1);
    CU_ASSERT_EQUAL(dockerapi_image_exists(api, "wsbridge-no-such-image:never", err, sizeof err),
                    0);
}

static void test_find_by_labels(void)
{
    dockerapi_container c;
    CU_ASSERT_EQUAL_FATAL(dockerapi_find(api, project, "svc", &c, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(c.id, cid);
    CU_ASSERT_STRING_EQUAL(c.name, svcname);
    CU_ASSERT_STRING_EQUAL(c.service, "svc");
    CU_ASSERT_STRING_EQUAL(c.state, "running");
    /* another service or project finds nothing, with a message */
    CU_ASSERT_EQUAL(dockerapi_find(api, project, "other", &c, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no container"));
    dockerapi_container *v;
    int n = -1;
    CU_ASSERT_EQUAL(dockerapi_list(api, "wsbtest-no-such-project", NULL, &v, &n, err, sizeof err),
                    0);
    CU_ASSERT_EQUAL(n, 0);
    free(v);
    CU_ASSERT_EQUAL(dockerapi_list(api, project, NULL, &v, &n, err, sizeof err), 0);
    CU_ASSERT_EQUAL(n, 1);
    free(v);
}

static void test_stop_start_restart(void)
{
    int code = -1, running = 0;
    CU_ASSERT_EQUAL(dockerapi_stop(api, cid, 10, err, sizeof err), 0);
    CU_ASSERT_EQUAL(wait_state(cid, "exited", 5, &code), 0);
    CU_ASSERT_EQUAL(code, 0); /* it took the TERM, not a KILL */
    /* stopping a stopped container is not an error (304) */
    CU_ASSERT_EQUAL(dockerapi_stop(api, cid, 1, err, sizeof err), 0);
    CU_ASSERT_EQUAL(dockerapi_start(api, cid, err, sizeof err), 0);
    CU_ASSERT_EQUAL(dockerapi_state(api, cid, NULL, 0, &running, NULL, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(running, 1);
    CU_ASSERT_EQUAL(dockerapi_restart(api, cid, 10, err, sizeof err), 0);
    CU_ASSERT_EQUAL(wait_state(cid, "running", 5, NULL), 0);
}

static void test_pause_unpause(void)
{
    int paused = -1;
    CU_ASSERT_EQUAL_FATAL(dockerapi_pause(api, cid, err, sizeof err), 0);
    CU_ASSERT_EQUAL(dockerapi_state(api, cid, NULL, 0, NULL, &paused, NULL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(paused, 1);
    CU_ASSERT_EQUAL(wait_state(cid, "paused", 2, NULL), 0);
    /* pausing twice is refused by the engine, and the message says why */
    CU_ASSERT_EQUAL(dockerapi_pause(api, cid, err, sizeof err), -1);
    CU_ASSERT(strstr(err, "HTTP") != NULL);
    CU_ASSERT_EQUAL(dockerapi_unpause(api, cid, err, sizeof err), 0);
    CU_ASSERT_EQUAL(wait_state(cid, "running", 2, NULL), 0);
}

static void test_stats(void)
{
    dockerapi_stats st;
    CU_ASSERT_EQUAL_FATAL(dockerapi_stats_read(api, cid, &st, err, sizeof err), 0);
    CU_ASSERT(st.mem_bytes > 0);
    CU_ASSERT(st.mem_limit >= st.mem_bytes);
    CU_ASSERT(st.cpu_percent >= 0.0 && st.cpu_percent <= 100.0 * 1024);
    printf("\n  stats: cpu %.2f%% mem %lld bytes\n", st.cpu_percent, st.mem_bytes);
}

static int has_network(const char *id, const char *net, const char *alias)
{
    dockerapi_endpoint *eps;
    int n, found = 0;
    if (dockerapi_endpoints(api, id, &eps, &n, err, sizeof err) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (strcmp(eps[i].network, net) != 0)
            continue;
        if (!alias)
            found = 1;
        for (int k = 0; alias && k < eps[i].naliases; k++)
            found |= strcmp(eps[i].aliases[k], alias) == 0;
    }
    free(eps);
    return found;
}

static void test_network_disconnect_reconnect(void)
{
    dockerapi_endpoint *eps;
    int n;
    CU_ASSERT_EQUAL_FATAL(dockerapi_endpoints(api, cid, &eps, &n, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_STRING_EQUAL(eps[0].network, netname);
    CU_ASSERT(eps[0].ip[0] != '\0');
    CU_ASSERT_EQUAL(has_network(cid, netname, "svc-alias"), 1);
    CU_ASSERT_EQUAL(probe_resolves("svc-alias"), 0);

    CU_ASSERT_EQUAL(dockerapi_network_disconnect(api, netname, cid, 1, err, sizeof err), 0);
    CU_ASSERT_EQUAL(has_network(cid, netname, NULL), 0);
    CU_ASSERT_NOT_EQUAL(probe_resolves("svc-alias"), 0); /* partitioned: the name is gone */

    CU_ASSERT_EQUAL(dockerapi_network_connect(api, netname, cid, (const char(*)[128])eps[0].aliases,
                                              eps[0].naliases, err, sizeof err),
                    0);
    CU_ASSERT_EQUAL(has_network(cid, netname, "svc-alias"), 1);
    CU_ASSERT_EQUAL(probe_resolves("svc-alias"), 0); /* healed: the saved alias is back */
    free(eps);
}

static void test_env_driver(void)
{
    setenv("WSB_DASHBOARD_SERVICE", "svc", 1);
    setenv("WSB_BOT_SERVICE", "nobot", 1);
    env_config cfg = {0};
    cfg.compose_project = project;
    envdriver *d = envdriver_new(ENV_MODE_DOCKER, &cfg, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_STRING_EQUAL(envdriver_name(d), "docker");
    CU_ASSERT(envdriver_caps(d) & ENV_CAP_PROCESS);
    CU_ASSERT(envdriver_caps(d) & ENV_CAP_NETWORK);
    CU_ASSERT(envdriver_caps(d) & ENV_CAP_STATS);
    CU_ASSERT_FALSE(envdriver_caps(d) & ENV_CAP_BOT); /* no bot container in this project */
    CU_ASSERT_EQUAL(strncmp(envdriver_dashboard_url(d), "ws://", 5), 0);
    CU_ASSERT(strstr(envdriver_dashboard_url(d), ":8000") != NULL);
    CU_ASSERT_EQUAL(strncmp(envdriver_dashboard_http(d), "http://", 7), 0);
    CU_ASSERT_STRING_EQUAL(envdriver_bot_status_url(d), "");

    env_stats st;
    CU_ASSERT_EQUAL(envdriver_stats(d, ENV_DASHBOARD, &st, err, sizeof err), 0);
    CU_ASSERT(st.mem_bytes > 0);
    /* a service that does not exist is an error with a message */
    CU_ASSERT_EQUAL(envdriver_pause(d, ENV_BOT, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nobot"));

    /* partition and heal; a second disconnect is refused */
    CU_ASSERT_EQUAL(envdriver_disconnect(d, ENV_DASHBOARD, err, sizeof err), 0);
    CU_ASSERT_EQUAL(has_network(cid, netname, NULL), 0);
    CU_ASSERT_EQUAL(envdriver_disconnect(d, ENV_DASHBOARD, err, sizeof err), -1);
    CU_ASSERT_EQUAL(envdriver_reconnect(d, ENV_DASHBOARD, err, sizeof err), 0);
    CU_ASSERT_EQUAL(has_network(cid, netname, "svc-alias"), 1);
    CU_ASSERT_EQUAL(envdriver_reconnect(d, ENV_DASHBOARD, err, sizeof err), -1);

    /* pause/unpause, stop/start through the driver */
    int paused = 0, running = 0;
    CU_ASSERT_EQUAL(envdriver_pause(d, ENV_DASHBOARD, err, sizeof err), 0);
    dockerapi_state(api, cid, NULL, 0, NULL, &paused, NULL, err, sizeof err);
    CU_ASSERT_EQUAL(paused, 1);
    CU_ASSERT_EQUAL(envdriver_unpause(d, ENV_DASHBOARD, err, sizeof err), 0);
    CU_ASSERT_EQUAL(envdriver_stop(d, ENV_DASHBOARD, 5000, err, sizeof err), 0);
    CU_ASSERT_EQUAL(wait_state(cid, "exited", 5, NULL), 0);
    CU_ASSERT_EQUAL(envdriver_start(d, ENV_DASHBOARD, err, sizeof err), 0);
    dockerapi_state(api, cid, NULL, 0, &running, NULL, NULL, err, sizeof err);
    CU_ASSERT_EQUAL(running, 1);

    /* a partition left behind is healed when the driver is freed */
    CU_ASSERT_EQUAL(envdriver_disconnect(d, ENV_DASHBOARD, err, sizeof err), 0);
    envdriver_free(d);
    CU_ASSERT_EQUAL(has_network(cid, netname, "svc-alias"), 1);

    /* no such project: a clear error */
    cfg.compose_project = "wsbtest-no-such-project";
    d = envdriver_new(ENV_MODE_DOCKER, &cfg, err, sizeof err);
    CU_ASSERT_PTR_NULL(d);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no container"));
}

/* set_args recreates the service with its command plus the words, on the
 * same network with the same alias, left stopped; "" puts the command back. */
static void test_set_args(void)
{
    setenv("WSB_DASHBOARD_SERVICE", "svc", 1);
    setenv("WSB_BOT_SERVICE", "nobot", 1);
    env_config cfg = {0};
    cfg.compose_project = project;
    envdriver *d = envdriver_new(ENV_MODE_DOCKER, &cfg, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    char *before = dockerapi_cmd(api, cid, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(before);
    CU_ASSERT_EQUAL(envdriver_set_args(d, ENV_DASHBOARD, "extra  words", err, sizeof err), 0);
    dockerapi_container c;
    CU_ASSERT_EQUAL_FATAL(dockerapi_find(api, project, "svc", &c, err, sizeof err), 0);
    CU_ASSERT_STRING_NOT_EQUAL(c.id, cid); /* a new container, the old one gone */
    CU_ASSERT_STRING_EQUAL(c.name, svcname);
    CU_ASSERT_STRING_EQUAL(c.state, "created");
    snprintf(cid, sizeof cid, "%s", c.id);
    char *now = dockerapi_cmd(api, cid, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(now);
    char want[600];
    snprintf(want, sizeof want, "%.*s,\"extra\",\"words\"]", (int)strlen(before) - 1, before);
    CU_ASSERT_STRING_EQUAL(now, want);
    free(now);
    /* the same arguments again: nothing to do */
    CU_ASSERT_EQUAL(envdriver_set_args(d, ENV_DASHBOARD, "extra words", err, sizeof err), 0);
    CU_ASSERT_EQUAL(dockerapi_find(api, project, "svc", &c, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(c.id, cid);
    CU_ASSERT_EQUAL(envdriver_start(d, ENV_DASHBOARD, err, sizeof err), 0);
    CU_ASSERT_EQUAL(wait_state(cid, "running", 5, NULL), 0);
    CU_ASSERT_EQUAL(has_network(cid, netname, "svc-alias"), 1);
    CU_ASSERT_EQUAL(probe_resolves("svc-alias"), 0);
    /* back to the command it had */
    CU_ASSERT_EQUAL(envdriver_set_args(d, ENV_DASHBOARD, "", err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(dockerapi_find(api, project, "svc", &c, err, sizeof err), 0);
    snprintf(cid, sizeof cid, "%s", c.id);
    now = dockerapi_cmd(api, cid, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL(now);
    if (now)
        CU_ASSERT_STRING_EQUAL(now, before);
    free(now);
    free(before);
    CU_ASSERT_EQUAL(envdriver_start(d, ENV_DASHBOARD, err, sizeof err), 0);
    CU_ASSERT_EQUAL(wait_state(cid, "running", 5, NULL), 0);
    envdriver_free(d);
}

/* Last: the container does not survive it. */
static void test_kill_with_signal(void)
{
    int code = -1;
    CU_ASSERT_EQUAL(dockerapi_kill(api, cid, SIGUSR1, err, sizeof err), 0);
    CU_ASSERT_EQUAL(wait_state(cid, "exited", 5, &code), 0);
    CU_ASSERT_EQUAL(code, 42); /* the USR1 trap ran: the signal number arrived */
    CU_ASSERT_EQUAL(dockerapi_start(api, cid, err, sizeof err), 0);
    CU_ASSERT_EQUAL(wait_state(cid, "running", 5, NULL), 0);
    CU_ASSERT_EQUAL(dockerapi_kill(api, cid, SIGKILL, err, sizeof err), 0);
    CU_ASSERT_EQUAL(wait_state(cid, "exited", 5, &code), 0);
    CU_ASSERT_EQUAL(code, 137);
    /* killing a stopped container is refused with the engine's reason */
    CU_ASSERT_EQUAL(dockerapi_kill(api, cid, SIGKILL, err, sizeof err), -1);
    CU_ASSERT(strstr(err, "not running") != NULL);
    CU_ASSERT_EQUAL(dockerapi_kill(api, cid, 0, err, sizeof err), -1);
}

static void test_bad_socket(void)
{
    dockerapi *b = dockerapi_new("/nonexistent/docker.sock", err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(dockerapi_ping(b, NULL, 0, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/docker.sock"));
    dockerapi_free(b);
    CU_ASSERT_EQUAL(dockerapi_stop(api, "bad/id", 1, err, sizeof err), -1);
}

static int skip(const char *why)
{
    int required = getenv("WSB_REQUIRE_DOCKER") && strcmp(getenv("WSB_REQUIRE_DOCKER"), "1") == 0;
    printf("test-dockerapi: %s: %s\n", required ? "FAILED" : "SKIPPED", why);
    dockerapi_free(api);
    return required ? 1 : 0;
}

static CU_TestInfo tests[] = {
    {"ping and image", test_ping_and_image},
    {"find by compose labels", test_find_by_labels},
    {"stop, start, restart", test_stop_start_restart},
    {"pause, unpause", test_pause_unpause},
    {"stats", test_stats},
    {"network disconnect and reconnect with aliases", test_network_disconnect_reconnect},
    {"docker environment driver", test_env_driver},
    {"set_args recreates the container", test_set_args},
    {"kill with a signal", test_kill_with_signal},
    {"bad socket and bad id", test_bad_socket},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"dockerapi", suite_init, suite_cleanup, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    image = getenv("WSB_TEST_IMAGE") ? getenv("WSB_TEST_IMAGE") : "debian:bookworm-slim";
    api = dockerapi_new(NULL, err, sizeof err);
    if (!api)
        return skip(err);
    char why[700];
    if (dockerapi_ping(api, NULL, 0, err, sizeof err) < 0) {
        snprintf(why, sizeof why, "no Docker engine answers (%s)", err);
        return skip(why);
    }
    if (dockerapi_image_exists(api, image, err, sizeof err) != 1) {
        snprintf(why, sizeof why, "image %s is not present (run docker/bootstrap-base.sh)", image);
        return skip(why);
    }
    int rc = testkit_run(suites, NULL);
    dockerapi_free(api);
    return rc;
}
