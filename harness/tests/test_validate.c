/* test_validate: build/bin/wsb-validate from the outside, on the files of
 * harness/tests/data/: exit 0 valid, 1 invalid (every error printed, one per
 * line, "path: message"), 2 unusable input (malformed JSON, a schema that is
 * not JSON, an unsupported keyword or keyword shape, an unresolvable $ref,
 * nesting too deep, non-UTF-8 bytes, \u0000, duplicate keys, lookarounds).
 * Each run has a 10 s deadline and is killed when it passes it. */
#include <CUnit/Basic.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testkit.h"
#include "wclock.h"

#define DATA "harness/tests/data/"
#define RUN_TIMEOUT_MS 10000

static char validator[512];

typedef struct run_result {
    int status;                /* exit status, or -1 on signal/timeout */
    char out[8192];
    char errout[4096];
} run_result;

/* Runs the validator with args; stdin from stdin_file (NULL: /dev/null). */
static void run(run_result *r, const char *stdin_file, const char *const *args)
{
    int outp[2], errp[2];
    const char *argv[16];
    size_t n = 0, on = 0, en = 0;
    pid_t pid;

    memset(r, 0, sizeof(*r));
    r->status = -1;
    argv[n++] = validator;
    for (; *args && n < 15; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    if (pipe(outp) != 0 || pipe(errp) != 0) {
        CU_FAIL("pipe");
        return;
    }
    pid = fork();
    if (pid == 0) {
        int in = open(stdin_file ? stdin_file : "/dev/null", O_RDONLY);
        dup2(in, 0);
        dup2(outp[1], 1);
        dup2(errp[1], 2);
        close(outp[0]);
        close(errp[0]);
        execv(validator, (char *const *)argv);
        _exit(127);
    }
    close(outp[1]);
    close(errp[1]);
    long long deadline = wclock_mono_ms() + RUN_TIMEOUT_MS;
    int open_fds = 2;
    struct pollfd pf[2] = {{outp[0], POLLIN, 0}, {errp[0], POLLIN, 0}};
    while (open_fds > 0) {
        long long left = deadline - wclock_mono_ms();
        if (left <= 0) {
            kill(pid, SIGKILL);
            CU_FAIL("wsb-validate did not finish within its deadline");
            break;
        }
        if (poll(pf, 2, (int)left) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP)))
                continue;
            char *buf = i == 0 ? r->out : r->errout;
            size_t cap = i == 0 ? sizeof(r->out) : sizeof(r->errout);
            size_t *len = i == 0 ? &on : &en;
            char tmp[1024];
            ssize_t got = read(pf[i].fd, tmp, sizeof(tmp));
            if (got <= 0) {
                close(pf[i].fd);
                pf[i].fd = -1;
                open_fds--;
                continue;
            }
            size_t take = (size_t)got < cap - 1 - *len ? (size_t)got : cap - 1 - *len;
            memcpy(buf + *len, tmp, take);
            *len += take;
            buf[*len] = '\0';
        }
    }
    for (int i = 0; i < 2; i++)
        if (pf[i].fd >= 0)
            close(pf[i].fd);
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st))
        r->status = WEXITSTATUS(st);
}

#define RUN(r, in, ...)                                                                        \
    do {                                                                                       \
        const char *const a_[] = {__VA_ARGS__, NULL};                                          \
        run(r, in, a_);                                                                        \
    } while (0)

/* Asserts the exit status and that text (if any) appears in stdout+stderr. */
static void expect(const run_result *r, int status, const char *text)
{
    int has = text == NULL || strstr(r->out, text) != NULL || strstr(r->errout, text) != NULL;
    if (r->status != status || !has)
        fprintf(stderr, "\n  want exit %d with \"%s\"; got %d\n  stdout: %s\n  stderr: %s\n",
                status, text ? text : "", r->status, r->out, r->errout);
    CU_ASSERT_EQUAL(r->status, status);
    CU_ASSERT_TRUE(has);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_valid_and_invalid(void)
{
    run_result r;

    RUN(&r, NULL, "--schema", DATA "price.schema.json", DATA "price_valid.json");
    expect(&r, 0, NULL);
    CU_ASSERT_STRING_EQUAL(r.out, "");
    RUN(&r, NULL, "--schema", DATA "price.schema.json", DATA "price_invalid.json");
    expect(&r, 1, "/price: must be > 0\n");
    expect(&r, 1, "/side: must be one of [\"buy\",\"sell\"]\n");
    expect(&r, 1, "/extra: additional property not allowed\n");
    CU_ASSERT_EQUAL(count_lines(r.out), 3);
    /* stdin, as "-" and as no argument */
    RUN(&r, DATA "price_invalid.json", "--schema", DATA "price.schema.json", "-");
    expect(&r, 1, "/price: must be > 0");
    RUN(&r, DATA "price_valid.json", "--schema", DATA "price.schema.json");
    expect(&r, 0, NULL);
    RUN(&r, NULL, "--schema", DATA "price.schema.json", "-q", DATA "price_invalid.json");
    expect(&r, 1, NULL);
    CU_ASSERT_STRING_EQUAL(r.out, "");
}

static void test_type_dir(void)
{
    run_result r;

    RUN(&r, NULL, "--type-dir", "schemas", DATA "trade_valid.json");
    expect(&r, 0, NULL);
    RUN(&r, NULL, "--type-dir", "schemas", DATA "trade_invalid.json");
    expect(&r, 1, "/seq: must be >= 1");
    expect(&r, 1, "/data/symbol: must match pattern");
    expect(&r, 1, "/data/price: must be > 0");
    CU_ASSERT_EQUAL(count_lines(r.out), 3);
    /* every valid example of schemas/ that carries a type */
    static const char *const examples[] = {
        "stream.json", "stream__alert.json", "control-ack.json", "control-command.json",
        "control-command_relay.json", "control-subscribe.json", "heartbeat.json", "alert.json",
    };
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
        char path[256];
        snprintf(path, sizeof(path), "schemas/examples/valid/%s", examples[i]);
        RUN(&r, NULL, "--type-dir", "schemas", path);
        expect(&r, 0, NULL);
    }
    /* the same schema file alone: its sibling envelope.json is found */
    RUN(&r, NULL, "--schema", "schemas/messages/trade_executed.json", DATA "trade_invalid.json");
    expect(&r, 1, "/data/price: must be > 0");
    /* a capture, one frame a line: envelope, control frame, bad value, unknown type */
    RUN(&r, NULL, "--type-dir", "schemas", "--lines", DATA "capture.ndjson");
    expect(&r, 1, "line 3: /data/loop_iterations: must be >= 0");
    expect(&r, 1, "line 5: /type: unknown message type \"nope\"");
    CU_ASSERT_EQUAL(count_lines(r.out), 2);
}

static void test_unusable(void)
{
    run_result r;

    RUN(&r, NULL, "--schema", DATA "price.schema.json", DATA "malformed.json");
    expect(&r, 2, "malformed JSON");
    RUN(&r, NULL, "--schema", DATA "price.schema.json", DATA "no_such_file.json");
    expect(&r, 2, "cannot open");
    RUN(&r, NULL, "--schema", DATA "schema_not_json.json", DATA "price_valid.json");
    expect(&r, 2, "schema_not_json.json: malformed JSON");
    RUN(&r, NULL, "--schema", DATA "schema_unsupported_keyword.json", DATA "price_valid.json");
    expect(&r, 2, "unsupported keyword \"unevaluatedProperties\"");
    RUN(&r, NULL, "--schema", DATA "schema_bad_shape.json", DATA "price_valid.json");
    expect(&r, 2, "\"required\" must be an array of strings");
    RUN(&r, NULL, "--schema", DATA "schema_unresolved_ref.json", DATA "price_valid.json");
    expect(&r, 2, "unresolvable $ref");
    RUN(&r, NULL, "--schema", DATA "schema_missing_file_ref.json", DATA "price_valid.json");
    expect(&r, 2, "unresolvable $ref");
    RUN(&r, NULL, "--schema", DATA "schema_lookahead.json", DATA "price_valid.json");
    expect(&r, 2, "lookarounds are not supported");
    RUN(&r, NULL, "--schema", DATA "price.schema.json", DATA "too_deep.json");
    expect(&r, 2, "nesting deeper than 32");
    RUN(&r, NULL, "--schema", DATA "price.schema.json", "--max-depth", "64", DATA "too_deep.json");
    expect(&r, 1, "/: must be object");
    RUN(&r, NULL, "--type-dir", "schemas", DATA "non_utf8.json");
    expect(&r, 2, "invalid UTF-8");
    RUN(&r, NULL, "--type-dir", "schemas", DATA "nul_escape.json");
    expect(&r, 2, "\\u0000");
    RUN(&r, NULL, "--type-dir", "schemas", DATA "duplicate_key.json");
    expect(&r, 2, "duplicate key \"seq\"");
    RUN(&r, NULL, "--type-dir", "/nonexistent-wsb-dir", DATA "trade_valid.json");
    expect(&r, 2, "cannot open");
}

static void test_usage(void)
{
    run_result r;

    RUN(&r, NULL, "--help");
    expect(&r, 0, "usage: wsb-validate --schema FILE");
    RUN(&r, NULL, DATA "price_valid.json");
    expect(&r, 2, "exactly one of --schema FILE or --type-dir DIR");
    RUN(&r, NULL, "--schema", "a", "--type-dir", "b");
    expect(&r, 2, "exactly one of");
    RUN(&r, NULL, "--bogus");
    expect(&r, 2, "usage:");
    RUN(&r, NULL, "--schema", DATA "price.schema.json", "--max-depth", "0", "x");
    expect(&r, 2, "--max-depth");
}

int main(void)
{
    CU_TestInfo tests[] = {
        {"valid 0, invalid 1 with every error", test_valid_and_invalid},
        {"--type-dir picks the schema by type", test_type_dir},
        {"unusable input exits 2 with a reason", test_unusable},
        {"usage and --help", test_usage},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"wsb-validate", NULL, NULL, NULL, NULL, tests},
                             CU_SUITE_INFO_NULL};
    testkit_bin_path("wsb-validate", validator, sizeof(validator));
    if (access(validator, X_OK) != 0) {
        fprintf(stderr, "test-validate: %s not built\n", validator);
        return 1;
    }
    return testkit_run(suites, NULL);
}
