/* cli: wsb-harness's command line. The options (cli_parse, usage text of
 * --help) and the checks between them (cli_mode), and reading a positive
 * number from an environment variable (cli_env_int, cli_env_double), which
 * the sizes, the native services' settings and the health timeout use. */
#ifndef WSB_CLI_H
#define WSB_CLI_H

#include <stddef.h>

#include "envdriver.h"
#include "threshold.h"

#define CLI_MAX_LIST 64 /* --suite and --test each */

typedef struct cli_opts {
    int mode_native, mode_docker; /* --native, --docker */
    int list, verbose;
    const char *compose, *dash_url, *bot_url, *results_arg;
    const char *toxiproxy_url, *toxiproxy_bot, *toxiproxy_clients, *toxiproxy_clients_url;
    const char *profile_name; /* --profile, else WSB_PROFILE */
    const char *secret, *pub_token, *sub_token, *ca_file;
    /* --tls-dir [WSB_TLS_DIR]: a docker/gen-test-ca.sh directory; TLS on: native
     * serves it (server.pem, server.key), every client trusts ca.pem (unless
     * --ca-file), docker reaches the dashboard by wss://; other-ca.pem is the
     * security suite's wrong CA. NULL: plain ws:// */
    const char *tls_dir;
    const char *tls_cert, *tls_key, *wrong_ca_file; /* from tls_dir, NULL without */
    const char *schemas, *bin_dir;
    const char *live_url;   /* --live-url, else WSB_LIVE_URL; NULL: none */
    double suite_timeout, test_timeout;
    const char *suites[CLI_MAX_LIST], *tests[CLI_MAX_LIST];
    size_t nsuites, ntests;
    int allow_skips; /* --allow-skips */
    long long max_message; /* --max-message, else WSB_MAX_MESSAGE; 0: learn it */
    long long expect_capacity; /* --expect-capacity: the ramp's ceiling; 0: the profile's */
    threshold_set thresholds; /* defaults, then WSB_THRESHOLDS, then --threshold */
} cli_opts;

/* Fills o from the defaults and argv (the thresholds from their defaults,
 * WSB_THRESHOLDS and --threshold). -1 when the run goes on; else the exit
 * status: 0 after --help, 2 on a usage error or a malformed threshold (said
 * on stderr with the reason). */
int cli_parse(int argc, char **argv, cli_opts *o);

/* The environment the options ask for: --docker, else external with
 * --dashboard-url, else native. -1 when it goes on; 2 when the options
 * contradict each other (said on stderr). */
int cli_mode(const cli_opts *o, env_mode *mode);

/* A positive integer (number) from the environment variable name; def when
 * it is unset or empty, and with a warning when it is not one. */
int cli_env_int(const char *name, int def);
double cli_env_double(const char *name, double def);

#endif
