/* security: the security suite (security.h).
 *
 * One check per group of the catalogue (framing, handshake, tokens,
 * contract, floods) plus one that the catalogue loads. A group check runs
 * each of its cases on every endpoint the case names, and after each run a
 * liveness probe: a fresh subscriber and test publisher, one message
 * published and received within PROBE_MS. A case that did not end as
 * expected, or a probe that failed after it, fails the group's check with
 * the case's name, the endpoint and what happened instead. The cases
 * themselves are data (suites/security_cases/, README.md there). */
#include "security.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wclock.h"

#define PROBE_MS 2000   /* the liveness probe's bound: publish -> receive */
#define OPEN_MS 5000

static sec_catalogue catalogue;
static int catalogue_loaded;
static char catalogue_err[1024];
static int run_counter;

void security_reset(void)
{
    security_catalogue_free(&catalogue);
    catalogue_loaded = 0;
    catalogue_err[0] = '\0';
}

static int load(void)
{
    if (!catalogue_loaded) {
        catalogue_loaded = 1;
        if (security_catalogue_load(security_cases_dir(), &catalogue, catalogue_err,
                                    sizeof catalogue_err) == 0)
            catalogue_err[0] = '\0';
    }
    return catalogue_err[0] ? -1 : 0;
}

/* ---- the liveness probe ---- */

typedef struct probe_state {
    const suite_ctx *ctx;
    char src[64];
    int64_t worst_ms;
    int probes;
} probe_state;

/* A subscriber and a test publisher, both fresh: one message published must
 * reach the subscriber within PROBE_MS. Without a publisher token: a fresh
 * subscriber must answer a ping within PROBE_MS. */
static check_result probe(void *arg, char *msg, size_t len)
{
    probe_state *ps = arg;
    const suite_ctx *ctx = ps->ctx;
    int64_t t0 = wclock_mono_ms();
    check_result r = CHECK_PASS;
    char err[512];
    wsclient *c = bridge_publishing_client(ctx, msg, len, &r);
    wsconn *sub = NULL, *pub = NULL;
    if (!c && r == CHECK_SKIP) { /* no way to publish: a subscriber's ping round trip */
        c = bridge_client(ctx, err, sizeof err);
        if (!c)
            return bridge_fail(msg, len, "liveness probe: client: %s", err);
        r = CHECK_PASS;
        sub = bridge_subscriber(c, ctx, NULL, NULL, PROBE_MS, err, sizeof err);
        if (!sub || wsconn_ping(c, sub, PROBE_MS, NULL, err, sizeof err) < 0)
            r = bridge_fail(msg, len, "liveness probe: a fresh subscriber was not served "
                            "within %d ms: %s", PROBE_MS, err);
        goto out;
    }
    if (!c)
        return r;
    int64_t last = 0;
    if ((r = bridge_test_pair(c, ctx, NULL, ps->src, sizeof ps->src, &sub, &pub, &last, PROBE_MS,
                              msg, len)) != CHECK_PASS) {
        if (r == CHECK_FAIL) {
            char m2[600];
            snprintf(m2, sizeof m2, "%s", msg);
            r = bridge_fail(msg, len, "liveness probe: %s", m2);
        }
        goto out;
    }
    size_t elen = 0;
    char *env = bridge_envelope(0, ps->src, last + 1, 0, &elen);
    int pr = env ? bridge_publish(c, pub, env, elen, last + 1, PROBE_MS, err, sizeof err) : -1;
    free(env);
    if (pr != 0) {
        r = bridge_fail(msg, len, "liveness probe: a valid message was %s: %s",
                        pr > 0 ? "refused" : "not acked", err);
        goto out;
    }
    bridge_srcseq w = {ps->src, last + 1};
    int64_t left = PROBE_MS - (wclock_mono_ms() - t0);
    if (!wsconn_expect(c, sub, bridge_is_srcseq, &w, left > 1 ? (int)left : 1, NULL, err,
                       sizeof err))
        r = bridge_fail(msg, len, "liveness probe: %s#%lld not received within %d ms: %s",
                        ps->src, (long long)(last + 1), PROBE_MS, err);
out:
    if (c) {
        if (sub)
            wsconn_free(c, sub);
        if (pub)
            wsconn_free(c, pub);
        wsclient_free(c);
    }
    int64_t took = wclock_mono_ms() - t0;
    if (took > ps->worst_ms)
        ps->worst_ms = took;
    ps->probes++;
    if (r == CHECK_PASS)
        snprintf(msg, len, "served in %lld ms", (long long)took);
    return r;
}

check_result security_probe(const suite_ctx *ctx, char *msg, size_t len)
{
    probe_state ps = {.ctx = ctx};
    snprintf(ps.src, sizeof ps.src, "sec-probe-%d", (int)getpid());
    return probe(&ps, msg, len);
}

/* ---- running cases ---- */

static const char *endpoint_name(int ep)
{
    return ep == 1 ? "/ws" : ep == 2 ? "/ws/stream" : "http";
}

static void append(char *msg, size_t len, size_t *off, const char *fmt, const char *a,
                   const char *b)
{
    if (*off >= len)
        return;
    int w = snprintf(msg + *off, len - *off, fmt, *off ? "; " : "", a, b);
    if (w > 0)
        *off = *off + (size_t)w < len ? *off + (size_t)w : len;
}

/* Runs the cases of group (or, group < 0, those named in names). */
static check_result run_cases(const suite_ctx *ctx, int group, const char *names, char *msg,
                              size_t len)
{
    if (load() < 0)
        return bridge_fail(msg, len, "the catalogue does not load: %s", catalogue_err);
    probe_state ps = {.ctx = ctx};
    snprintf(ps.src, sizeof ps.src, "sec-probe-%d", (int)getpid());
    int runs = 0, bad = 0, skipped = 0, ncases = 0;
    size_t off = 0;
    char skipwhy[300] = "";
    msg[0] = '\0';
    for (size_t i = 0; i < catalogue.n; i++) {
        const sec_case *c = &catalogue.cases[i];
        if (group >= 0 && (int)c->group != group)
            continue;
        if (group < 0) {
            char pat[80];
            snprintf(pat, sizeof pat, ",%s,", c->name);
            char all[1024];
            snprintf(all, sizeof all, ",%s,", names);
            if (!strstr(all, pat))
                continue;
        }
        ncases++;
        for (int ep = 1; ep <= 4; ep <<= 1) {
            if (!(c->endpoints & ep))
                continue;
            char m[1200], pm[800];
            check_result r = security_attack(ctx, c, ep, ++run_counter, probe, &ps, m, sizeof m);
            if (r == CHECK_SKIP) {
                skipped++;
                snprintf(skipwhy, sizeof skipwhy, "%.290s", m);
                suite_log("SKIP %s on %s: %s", c->name, endpoint_name(ep), m);
                continue;
            }
            runs++;
            suite_log("%s %s on %s (%s): %s", r == CHECK_PASS ? "PASS" : "FAIL", c->name,
                      endpoint_name(ep), c->about, m);
            if (r != CHECK_PASS) {
                bad++;
                append(msg, len, &off, "%s%s on %s", m, endpoint_name(ep));
            }
            if (probe(&ps, pm, sizeof pm) != CHECK_PASS) {
                bad++;
                char what[200];
                snprintf(what, sizeof what, "after %s on %s, the server no longer serves",
                         c->name, endpoint_name(ep));
                suite_log("FAIL %s: %s", what, pm);
                append(msg, len, &off, "%s%s: %s", what, pm);
            }
        }
    }
    if (ps.probes)
        suite_metric("probe_worst_ms", (double)ps.worst_ms, "ms");
    suite_metric("case_runs", runs, "runs");
    suite_metric("case_failures", bad, "runs");
    if (!ncases)
        return bridge_fail(msg, len, "no case of group %s in %s", security_group_name(group),
                           security_cases_dir());
    if (bad)
        return CHECK_FAIL;
    if (!runs)
        return bridge_skip(msg, len, "every case skipped: %s", skipwhy);
    snprintf(msg, len, "%d cases, %d runs answered as expected, each followed by a liveness "
             "probe (worst %lld ms)%s%s", ncases, runs, (long long)ps.worst_ms,
             skipped ? "; skipped: " : "", skipped ? skipwhy : "");
    return CHECK_PASS;
}

check_result security_check_catalogue(const suite_ctx *ctx, char *msg, size_t len)
{
    (void)ctx;
    security_reset();
    if (load() < 0)
        return bridge_fail(msg, len, "%s", catalogue_err);
    int per[SEC_NGROUPS] = {0}, runs = 0;
    for (size_t i = 0; i < catalogue.n; i++) {
        per[catalogue.cases[i].group]++;
        for (int ep = 1; ep <= 4; ep <<= 1)
            runs += (catalogue.cases[i].endpoints & ep) != 0;
    }
    suite_metric("cases", (double)catalogue.n, "cases");
    for (int g = 0; g < SEC_NGROUPS; g++)
        if (!per[g])
            return bridge_fail(msg, len, "%s: no case of group %s", security_cases_dir(),
                               security_group_name(g));
    snprintf(msg, len, "%zu cases (%d runs) from %s: framing %d, handshake %d, tokens %d, "
             "contract %d, floods %d", catalogue.n, runs, security_cases_dir(), per[0], per[1],
             per[2], per[3], per[4]);
    return CHECK_PASS;
}

check_result security_check_framing(const suite_ctx *ctx, char *msg, size_t len)
{
    return run_cases(ctx, SEC_FRAMING, NULL, msg, len);
}

check_result security_check_handshake(const suite_ctx *ctx, char *msg, size_t len)
{
    return run_cases(ctx, SEC_HANDSHAKE, NULL, msg, len);
}

check_result security_check_tokens(const suite_ctx *ctx, char *msg, size_t len)
{
    return run_cases(ctx, SEC_TOKENS, NULL, msg, len);
}

check_result security_check_contract(const suite_ctx *ctx, char *msg, size_t len)
{
    return run_cases(ctx, SEC_CONTRACT, NULL, msg, len);
}

check_result security_check_floods(const suite_ctx *ctx, char *msg, size_t len)
{
    return run_cases(ctx, SEC_FLOODS, NULL, msg, len);
}

check_result security_run_named(const suite_ctx *ctx, const char *names, char *msg, size_t len)
{
    return run_cases(ctx, -1, names, msg, len);
}

BRIDGE_TEST(security, catalogue)
BRIDGE_TEST(security, framing)
BRIDGE_TEST(security, handshake)
BRIDGE_TEST(security, tokens)
BRIDGE_TEST(security, contract)
BRIDGE_TEST(security, floods)
BRIDGE_TEST(security, tls_versions)
BRIDGE_TEST(security, tls_wrong_ca)
BRIDGE_TEST(security, tls_plaintext)

static int cleanup(void)
{
    security_reset();
    return 0;
}

static CU_TestInfo tests[] = {
    {"catalogue", test_catalogue},
    {"framing", test_framing},
    {"handshake", test_handshake},
    {"tokens", test_tokens},
    {"contract", test_contract},
    {"floods", test_floods},
    {"tls_versions", test_tls_versions},
    {"tls_wrong_ca", test_tls_wrong_ca},
    {"tls_plaintext", test_tls_plaintext},
    CU_TEST_INFO_NULL,
};

const suite_def suite_security = {
    .name = "security",
    .description = "hostile clients from the catalogue (framing, handshake, tokens, contract, "
                   "floods), each followed by a liveness probe; over wss://, TLS below 1.2, a "
                   "wrong CA and plaintext refused",
    .init = NULL,
    .cleanup = cleanup,
    .tests = tests,
};
