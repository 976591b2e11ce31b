/* test_faultproxy: wsb-faultproxy's tests, against the real binary.
 *
 * The suite starts build/bin/wsb-faultproxy --port 0 (under valgrind when
 * WSB_VALGRIND is set, so the proxy's own leaks and errors fail the run) and
 * an echo server in a thread of this program as the upstream. The API tests
 * speak raw HTTP/1.1 over a socket (so bad bodies reach the server as sent)
 * and check every status code and error shape; the toxic tests measure each
 * toxic's effect on the wire with a monotonic clock: added latency, rate,
 * dropped data, RST, slices, byte limit, delayed close, a disabled proxy,
 * toxicity 0 and the memory bound. Every wait has a deadline; the figures
 * measured are printed on stderr ("measure: ..."). */
#include <CUnit/CUnit.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>

#include "httpc.h"
#include "testkit.h"
#include "procstat.h"
#include "promtext.h"
#include "spawn.h"
#include "wclock.h"
#include "wjson.h"

#include "fptk.h"
#include "test_faultproxy_wire.h"

/* ---- API tests ---- */

static void test_version_and_help(void)
{
    CU_ASSERT_EQUAL(fptk_api("GET", "/version", NULL), 200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fptk_last.json);
    CU_ASSERT(strlen(fptk_jstr(fptk_last.json, "version")) > 0);
    char bin[512], cmd[600];
    snprintf(cmd, sizeof(cmd),
             "%s --help | grep -c -e --host -e --port -e --config "
             "-e --max-connections -e --buffer-bytes -e --seed -e --log-level",
             testkit_bin_path("wsb-faultproxy", bin, sizeof(bin)));
    FILE *f = popen(cmd, "r");
    int n = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fscanf(f, "%d", &n), 1);
    pclose(f);
    CU_ASSERT(n >= 7);
}

static void test_proxy_crud(void)
{
    int port = fptk_make_proxy("crud");
    CU_ASSERT(port > 0);
    CU_ASSERT_STRING_EQUAL(fptk_jstr(fptk_last.json, "name"), "crud");
    CU_ASSERT_STRING_EQUAL(fptk_jstr(fptk_last.json, "upstream"), fptk_upstream());
    CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(fptk_last.json, "enabled")));
    CU_ASSERT(cJSON_IsArray(cJSON_GetObjectItem(fptk_last.json, "toxics")));
    CU_ASSERT_EQUAL(fptk_api("GET", "/proxies", NULL), 200);
    CU_ASSERT(cJSON_IsObject(cJSON_GetObjectItem(fptk_last.json, "crud")));
    CU_ASSERT_EQUAL(fptk_api("GET", "/proxies/crud", NULL), 200);
    CU_ASSERT_STRING_EQUAL(fptk_jstr(fptk_last.json, "name"), "crud");
    char body[128];
    snprintf(body, sizeof(body), "{\"name\":\"crud\",\"upstream\":\"%s\"}", fptk_upstream());
    fptk_api("POST", "/proxies", body);
    fptk_expect_error(409, "proxy already exists");
    CU_ASSERT_EQUAL(fptk_api("PATCH", "/proxies/crud", "{\"upstream\":\"127.0.0.1:1\"}"), 200);
    CU_ASSERT_STRING_EQUAL(fptk_jstr(fptk_last.json, "upstream"), "127.0.0.1:1");
    CU_ASSERT_EQUAL(fptk_api("POST", "/proxies/crud", "{\"enabled\":false}"), 200);
    CU_ASSERT(cJSON_IsFalse(cJSON_GetObjectItem(fptk_last.json, "enabled")));
    CU_ASSERT_EQUAL(fptk_del("/proxies/crud"), 204);
    CU_ASSERT_EQUAL(fptk_last.body[0], '\0');
    fptk_api("GET", "/proxies/crud", NULL);
    fptk_expect_error(404, "proxy not found");
    fptk_del("/proxies/crud");
    fptk_expect_error(404, "proxy not found");
}

static void test_bad_requests(void)
{
    char body[256];
    fptk_api("POST", "/proxies", "{\"name\":");
    fptk_expect_error(400, "bad request body");
    fptk_api("POST", "/proxies", "");
    fptk_expect_error(400, "bad request body");
    fptk_api("POST", "/proxies", "[1,2]");
    fptk_expect_error(400, "bad request body");
    fptk_api("POST", "/proxies", "{\"name\":\"a\",\"name\":\"b\",\"upstream\":\"x:1\"}");
    fptk_expect_error(400, "duplicate key");
    snprintf(body, sizeof(body), "{\"upstream\":\"%s\"}", fptk_upstream());
    fptk_api("POST", "/proxies", body);
    fptk_expect_error(400, "missing required field: name");
    fptk_api("POST", "/proxies", "{\"name\":\"nou\"}");
    fptk_expect_error(400, "missing required field: upstream");
    fptk_api("POST", "/proxies", "{\"name\":\"bad\",\"upstream\":\"nocolon\"}");
    fptk_expect_error(400, "host:port");
    snprintf(body, sizeof(body), "{\"name\":\"bad\",\"upstream\":\"%s\",\"enabled\":\"yes\"}",
             fptk_upstream());
    fptk_api("POST", "/proxies", body);
    fptk_expect_error(400, "enabled");
    fptk_api("POST", "/proxies", "{\"name\":5,\"upstream\":\"127.0.0.1:1\"}");
    fptk_expect_error(400, "must be a string");
    CU_ASSERT(fptk_make_proxy("bad") > 0);
    fptk_add_toxic("bad", "{\"type\":\"wobble\"}");
    fptk_expect_error(400, "invalid toxic type");
    fptk_add_toxic("bad", "{\"stream\":\"sideways\",\"type\":\"latency\"}");
    fptk_expect_error(400, "stream was invalid");
    fptk_add_toxic("bad", "{\"type\":\"latency\",\"attributes\":{\"latency\":\"slow\"}}");
    fptk_expect_error(400, "attributes.latency");
    fptk_add_toxic("bad", "{\"type\":\"latency\",\"attributes\":{\"latency\":-5}}");
    fptk_expect_error(400, "attributes.latency");
    fptk_add_toxic("bad", "{\"type\":\"latency\",\"toxicity\":2}");
    fptk_expect_error(400, "toxicity");
    fptk_add_toxic("bad", "not json");
    fptk_expect_error(400, "bad request body");
    fptk_add_toxic("nosuch", "{\"type\":\"latency\"}");
    fptk_expect_error(404, "proxy not found");
    CU_ASSERT_EQUAL(fptk_add_toxic("bad", "{\"type\":\"latency\"}"), 200);
    fptk_add_toxic("bad", "{\"type\":\"latency\"}");
    fptk_expect_error(409, "toxic already exists");
    fptk_api("GET", "/proxies/bad/toxics/nosuch", NULL);
    fptk_expect_error(404, "toxic not found");
    fptk_del("/proxies/bad/toxics/nosuch");
    fptk_expect_error(404, "toxic not found");
    fptk_api("PATCH", "/proxies/bad/toxics/nosuch", "{\"toxicity\":0.5}");
    fptk_expect_error(404, "toxic not found");
    fptk_api("GET", "/nowhere", NULL);
    fptk_expect_error(404, "no such endpoint");
    fptk_api("GET", "/proxies/bad/toxics/latency_downstream/extra", NULL);
    fptk_expect_error(404, "no such endpoint");
    fptk_api("DELETE", "/proxies", NULL);
    fptk_expect_error(405, "not allowed");
    fptk_api("GET", "/reset", NULL);
    fptk_expect_error(405, "not allowed");
    CU_ASSERT_EQUAL(fptk_del("/proxies/bad"), 204);
    /* limits: the 65th proxy is refused with a clear error */
    int made = 0;
    for (int i = 0; i < 70; i++) {
        snprintf(body, sizeof(body), "{\"name\":\"lim%d\",\"upstream\":\"%s\"}", i,
                 fptk_upstream());
        if (fptk_api("POST", "/proxies", body) == 201)
            made++;
        else
            break;
    }
    fptk_expect_error(400, "too many proxies");
    for (int i = 0; i < made; i++) {
        snprintf(body, sizeof(body), "/proxies/lim%d", i);
        fptk_del(body);
    }
}

static void test_toxic_crud(void)
{
    CU_ASSERT(fptk_make_proxy("tc") > 0);
    CU_ASSERT_EQUAL(fptk_add_toxic("tc", "{\"type\":\"latency\",\"attributes\":{\"latency\":20}}"),
                    200);
    CU_ASSERT_STRING_EQUAL(fptk_jstr(fptk_last.json, "name"), "latency_downstream");
    CU_ASSERT_STRING_EQUAL(fptk_jstr(fptk_last.json, "stream"), "downstream");
    CU_ASSERT_DOUBLE_EQUAL(fptk_jnum(fptk_last.json, "toxicity"), 1.0, 1e-9);
    cJSON *a = cJSON_GetObjectItem(fptk_last.json, "attributes");
    CU_ASSERT_DOUBLE_EQUAL(fptk_jnum(a, "latency"), 20, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(fptk_jnum(a, "jitter"), 0, 1e-9);
    CU_ASSERT_EQUAL(fptk_add_toxic("tc",
                                   "{\"name\":\"cut\",\"type\":\"slicer\",\"stream\":\"upstream\","
                                   "\"toxicity\":0.5,\"attributes\":{\"average_size\":10,"
                                   "\"size_variation\":2,\"delay\":100}}"),
                    200);
    CU_ASSERT_STRING_EQUAL(fptk_jstr(fptk_last.json, "stream"), "upstream");
    static const char *const types[] = {"bandwidth", "slow_close", "timeout", "reset_peer",
                                        "limit_data"};
    for (int i = 0; i < 5; i++) {
        char b[128];
        snprintf(b, sizeof(b), "{\"type\":\"%s\",\"stream\":\"upstream\"}", types[i]);
        CU_ASSERT_EQUAL(fptk_add_toxic("tc", b), 200);
    }
    CU_ASSERT_EQUAL(fptk_api("GET", "/proxies/tc/toxics", NULL), 200);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(fptk_last.json), 7);
    CU_ASSERT_EQUAL(fptk_api("GET", "/proxies/tc/toxics/cut", NULL), 200);
    CU_ASSERT_DOUBLE_EQUAL(
        fptk_jnum(cJSON_GetObjectItem(fptk_last.json, "attributes"), "average_size"), 10, 1e-9);
    CU_ASSERT_EQUAL(fptk_api("PATCH", "/proxies/tc/toxics/latency_downstream",
                             "{\"attributes\":{\"jitter\":5},\"toxicity\":0.25}"),
                    200);
    a = cJSON_GetObjectItem(fptk_last.json, "attributes");
    CU_ASSERT_DOUBLE_EQUAL(fptk_jnum(a, "latency"), 20, 1e-9); /* kept */
    CU_ASSERT_DOUBLE_EQUAL(fptk_jnum(a, "jitter"), 5, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(fptk_jnum(fptk_last.json, "toxicity"), 0.25, 1e-9);
    CU_ASSERT_EQUAL(fptk_api("GET", "/proxies/tc", NULL), 200);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(fptk_last.json, "toxics")), 7);
    for (int i = 7; i < 40; i++) { /* the 33rd toxic is refused */
        char b[128];
        snprintf(b, sizeof(b), "{\"name\":\"t%d\",\"type\":\"latency\"}", i);
        if (fptk_add_toxic("tc", b) != 200)
            break;
    }
    fptk_expect_error(400, "too many toxics");
    for (int i = 7; i < 32; i++) {
        char b[128];
        snprintf(b, sizeof(b), "/proxies/tc/toxics/t%d", i);
        CU_ASSERT_EQUAL(fptk_del(b), 204);
    }
    CU_ASSERT_EQUAL(fptk_del("/proxies/tc/toxics/cut"), 204);
    CU_ASSERT_EQUAL(fptk_api("GET", "/proxies/tc/toxics", NULL), 200);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(fptk_last.json), 6);
    CU_ASSERT_EQUAL(fptk_del("/proxies/tc"), 204);
}

static void test_populate_reset(void)
{
    char body[512];
    snprintf(body, sizeof(body),
             "[{\"name\":\"pa\",\"upstream\":\"%s\"},"
             "{\"name\":\"pb\",\"upstream\":\"%s\",\"enabled\":false}]",
             fptk_upstream(), fptk_upstream());
    CU_ASSERT_EQUAL(fptk_api("POST", "/populate", body), 201);
    cJSON *arr = cJSON_GetObjectItem(fptk_last.json, "proxies");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(arr), 2);
    CU_ASSERT(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "enabled")));
    char listen_a[64];
    snprintf(listen_a, sizeof(listen_a), "%s", fptk_jstr(cJSON_GetArrayItem(arr, 0), "listen"));
    CU_ASSERT_EQUAL(fptk_api("POST", "/populate", body), 201); /* the same again: kept as is */
    CU_ASSERT_STRING_EQUAL(
        fptk_jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(fptk_last.json, "proxies"), 0), "listen"),
        listen_a);
    fptk_api("POST", "/populate", "{\"name\":\"pa\"}");
    fptk_expect_error(400, "array");
    fptk_api("POST", "/populate",
             "[{\"name\":\"pc\",\"upstream\":\"127.0.0.1:1\"},{\"name\":\"pd\"}]");
    fptk_expect_error(400, "missing required field: upstream");
    fptk_api("GET", "/proxies/pc", NULL);
    fptk_expect_error(404, "proxy not found"); /* nothing was applied */
    CU_ASSERT_EQUAL(fptk_add_toxic("pa", "{\"type\":\"timeout\"}"), 200);
    CU_ASSERT_EQUAL(fptk_api("POST", "/reset", NULL), 204);
    CU_ASSERT_EQUAL(fptk_api("GET", "/proxies/pa", NULL), 200);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(fptk_last.json, "toxics")), 0);
    CU_ASSERT_EQUAL(fptk_api("GET", "/proxies/pb", NULL), 200);
    CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(fptk_last.json, "enabled")));
    fptk_del("/proxies/pa");
    fptk_del("/proxies/pb");
}

static void test_metrics(void)
{
    int port = fptk_make_proxy("met");
    CU_ASSERT_FATAL(port > 0);
    int fd = fptk_connect(port);
    CU_ASSERT_FATAL(fd >= 0);
    char buf[1000], back[1000];
    memset(buf, 'm', sizeof(buf));
    CU_ASSERT(fptk_send_all(fd, buf, sizeof(buf)) == 0);
    CU_ASSERT_EQUAL(fptk_recv_n(fd, back, sizeof(back), FPTK_IO_TIMEOUT_MS), sizeof(back));
    CU_ASSERT_EQUAL(fptk_add_toxic("met", "{\"type\":\"latency\"}"), 200);
    CU_ASSERT_EQUAL(fptk_api("GET", "/metrics", NULL), 200);
    char err[256];
    promtext *m = promtext_parse(fptk_last.body, err, sizeof(err));
    if (!m)
        fprintf(stderr, "\n  /metrics: %s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    double v = -1;
    CU_ASSERT_EQUAL(promtext_get(m, "wsb_faultproxy_connections_active{proxy=\"met\"}", &v), 0);
    CU_ASSERT_DOUBLE_EQUAL(v, 1, 1e-9);
    CU_ASSERT_EQUAL(promtext_get(m, "wsb_faultproxy_connections_total{proxy=\"met\"}", &v), 0);
    CU_ASSERT_DOUBLE_EQUAL(v, 1, 1e-9);
    CU_ASSERT_EQUAL(promtext_get(m, "wsb_faultproxy_toxics_active{proxy=\"met\"}", &v), 0);
    CU_ASSERT_DOUBLE_EQUAL(v, 1, 1e-9);
    CU_ASSERT_EQUAL(promtext_get(m,
                                 "toxiproxy_proxy_received_bytes_total{direction=\"upstream\","
                                 "proxy=\"met\"}",
                                 &v),
                    0);
    CU_ASSERT_DOUBLE_EQUAL(v, 1000, 1e-9);
    CU_ASSERT_EQUAL(promtext_get(m,
                                 "toxiproxy_proxy_sent_bytes_total{proxy=\"met\","
                                 "direction=\"downstream\"}",
                                 &v),
                    0);
    CU_ASSERT_DOUBLE_EQUAL(v, 1000, 1e-9);
    promtext_free(m);
    close(fd);
    fptk_del("/proxies/met");
}

/* Proxy names that need escaping as label values (found by fuzz-faultproxy-fptk_api):
 * a double quote in a name made GET /metrics unreadable, and a name carrying
 * '"} 1', a newline and a metric of its own turned its proxy's 0 into a 1 and
 * added a sample nobody exported. */
static void test_metrics_escaped_names(void)
{
    CU_ASSERT_EQUAL(fptk_api("POST", "/proxies",
                             "{\"name\":\"we\\\"ird\\\\name\",\"upstream\":\"127.0.0.1:9\","
                             "\"enabled\":false}"),
                    201);
    CU_ASSERT_EQUAL(
        fptk_api("POST", "/proxies",
                 "{\"name\":\"x\\\"} 1\\nfake_metric{a=\\\"b\",\"upstream\":\"127.0.0.1:9\","
                 "\"enabled\":false}"),
        201);
    CU_ASSERT_EQUAL(fptk_api("GET", "/metrics", NULL), 200);
    char err[256];
    promtext *m = promtext_parse(fptk_last.body, err, sizeof(err));
    if (!m)
        fprintf(stderr, "\n  /metrics: %s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    double v = -1;
    CU_ASSERT_EQUAL(
        promtext_get(m, "wsb_faultproxy_proxy_enabled{proxy=\"we\\\"ird\\\\name\"}", &v), 0);
    CU_ASSERT_DOUBLE_EQUAL(v, 0, 1e-9);
    v = -1;
    CU_ASSERT_EQUAL(promtext_get(m,
                                 "wsb_faultproxy_proxy_enabled{proxy=\"x\\\"} 1\\n"
                                 "fake_metric{a=\\\"b\"}",
                                 &v),
                    0);
    CU_ASSERT_DOUBLE_EQUAL(v, 0, 1e-9);
    CU_ASSERT_EQUAL(promtext_sum(m, "fake_metric", &v), 0);
    promtext_free(m);
    CU_ASSERT_EQUAL(fptk_del("/proxies/we\"ird\\name"), 204);
    /* the other name holds a newline: no request line can name it; fptk_clean ends it */
}

int main(void)
{
    static CU_TestInfo api_tests[] = {
        {"version and --help", test_version_and_help},
        {"proxy create/read/update/delete, 409, 404", test_proxy_crud},
        {"bad requests: 400/404/405/409 with Toxiproxy's error shape", test_bad_requests},
        {"toxic create/read/update/delete and defaults", test_toxic_crud},
        {"populate and reset", test_populate_reset},
        {"metrics in Prometheus text", test_metrics},
        {"metrics: names escaped as label values", test_metrics_escaped_names},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        {"faultproxy_api", fptk_init, fptk_clean, NULL, NULL, api_tests},
        {"faultproxy_wire", fptk_init, fptk_clean, NULL, NULL, test_faultproxy_wire_tests},
        CU_SUITE_INFO_NULL,
    };
    int rc = testkit_run(suites, getenv("TEST_ONLY"));
    return rc;
}
