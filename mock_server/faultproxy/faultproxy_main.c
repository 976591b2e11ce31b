/* faultproxy_main: wsb-faultproxy's command line.
 *
 * wsb-faultproxy is a byte-level TCP proxy for fault injection (so wss://
 * passes through it untouched) driven by a subset of Toxiproxy's HTTP API:
 * proxies (listen -> upstream) are created, disabled ("down": listener
 * closed, connections cut) and given toxics (latency, bandwidth, slow_close,
 * timeout, reset_peer, slicer, limit_data) over HTTP, so a suite written
 * against it also runs against a real Toxiproxy.
 *
 * It is one thread around plain epoll + timerfd + signalfd rather than
 * libwebsockets' raw roles: the proxy never parses a protocol, needs
 * per-stream deadlines at microsecond resolution (lws_sul is a sorted list,
 * O(N) per insert) and explicit control of each socket's read interest for
 * backpressure, which epoll gives directly in less code. The modules:
 * faultproxy_net.c (loop, registry, listeners, connections),
 * faultproxy_toxic.c (toxic JSON and behaviour), faultproxy_api.c (HTTP).
 * SIGTERM/SIGINT stop it cleanly (exit 0). */
#include "faultproxy.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wlog.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: wsb-faultproxy [options]\n"
            "A TCP fault-injection proxy with a subset of Toxiproxy's HTTP API:\n"
            "GET/POST /proxies, POST /populate, GET/POST/PATCH/DELETE /proxies/{name},\n"
            "GET/POST /proxies/{name}/toxics, GET/POST/PATCH/DELETE\n"
            "/proxies/{name}/toxics/{toxic}, POST /reset, GET /version, GET /metrics.\n"
            "Toxics: latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data.\n\n"
            "  --host H             API listen address (default 127.0.0.1; 0.0.0.0 in a\n"
            "                       container)                          [FAULTPROXY_HOST]\n"
            "  --port N             API port; 0 picks a free one. \"listening on port N\" is\n"
            "                       printed on stdout either way (default 8474)\n"
            "                                                           [FAULTPROXY_PORT]\n"
            "  --config FILE        populate from a JSON array of proxies at start (as\n"
            "                       POST /populate)                     [FAULTPROXY_CONFIG]\n"
            "  --max-connections N  proxied connections over all proxies; more are\n"
            "                       accepted and closed at once (default %d)\n"
            "  --buffer-bytes N     bytes queued per direction of a connection before\n"
            "                       reading from its source pauses (default %d)\n"
            "  --seed N             seed for toxicity rolls, jitter and slice sizes\n"
            "                       (default: from the clock)\n"
            "  --log-level L        error, warn, info, debug (default info; LOG_LEVEL)\n"
            "  --help               this text\n"
            "Limits: %d proxies, %d toxics per proxy, names of %d characters.\n",
            FP_DEFAULT_MAX_CONNS, FP_DEFAULT_BUFFER, FP_MAX_PROXIES, FP_MAX_TOXICS,
            FP_NAME_MAX);
}

static int parse_num(const char *flag, const char *v, long long lo, long long hi,
                     long long *out)
{
    char *end;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || x < lo || x > hi) {
        fprintf(stderr, "wsb-faultproxy: %s must be an integer %lld..%lld (got \"%s\")\n", flag,
                lo, hi, v);
        return -1;
    }
    *out = x;
    return 0;
}

int main(int argc, char **argv)
{
    wlog_init("wsb-faultproxy");
    fp_config cfg = {0};
    cfg.host = getenv("FAULTPROXY_HOST") ? getenv("FAULTPROXY_HOST") : "127.0.0.1";
    cfg.port = 8474;
    cfg.config = getenv("FAULTPROXY_CONFIG");
    cfg.max_conns = FP_DEFAULT_MAX_CONNS;
    cfg.buffer_bytes = FP_DEFAULT_BUFFER;
    cfg.seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    long long v;
    if (getenv("FAULTPROXY_PORT")) {
        if (parse_num("FAULTPROXY_PORT", getenv("FAULTPROXY_PORT"), 0, 65535, &v))
            return 2;
        cfg.port = (int)v;
    }
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'h'},
        {"port", required_argument, NULL, 'p'},
        {"config", required_argument, NULL, 'c'},
        {"max-connections", required_argument, NULL, 'm'},
        {"buffer-bytes", required_argument, NULL, 'b'},
        {"seed", required_argument, NULL, 's'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'h':
            cfg.host = optarg;
            break;
        case 'p':
            if (parse_num("--port", optarg, 0, 65535, &v))
                return 2;
            cfg.port = (int)v;
            break;
        case 'c':
            cfg.config = optarg;
            break;
        case 'm':
            if (parse_num("--max-connections", optarg, 1, 1000000, &v))
                return 2;
            cfg.max_conns = (int)v;
            break;
        case 'b':
            if (parse_num("--buffer-bytes", optarg, 4096, 1LL << 30, &v))
                return 2;
            cfg.buffer_bytes = (size_t)v;
            break;
        case 's':
            if (parse_num("--seed", optarg, 0, 4294967295LL, &v))
                return 2;
            cfg.seed = (unsigned)v;
            break;
        case 'l': {
            int lv = wlog_parse_level(optarg);
            if (lv < 0) {
                fprintf(stderr, "wsb-faultproxy: unknown --log-level \"%s\"\n", optarg);
                return 2;
            }
            wlog_set_level((enum wlog_level)lv);
            break;
        }
        case 'H':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "wsb-faultproxy: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    char err[512];
    int rc = 0;
    if (fp_net_init(&cfg, err, sizeof(err))) {
        wlog_error("%s", err);
        rc = 1;
    } else {
        fp_net_run();
    }
    fp_net_free();
    fp_toxic_free_scratch();
    return rc;
}
