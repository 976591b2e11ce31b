/* suitekit: the suite API (suite.h) without the runner, for the test
 * programs that run a suite's checks directly against a faulty peer
 * (test-suites-faulty, test-fault-faulty, test-perf-faulty, test-load-suite).
 *
 * Linking this file provides suite_get, suite_skip, suite_metric, suite_log,
 * suite_threshold, suite_token and suite_histogram, so the archive's
 * harness/suite.c (which needs a runner's child) is not pulled in. Skips and
 * lines go to stderr (suite_log and the figures only with WSB_VERBOSE set);
 * metrics are kept so a test can assert on them; tokens are minted with the
 * secret given. Not thread-safe: a check runs on the test's thread. */
#ifndef WSB_SUITEKIT_H
#define WSB_SUITEKIT_H

#include "envdriver.h"
#include "suite.h"

/* The context suite_get() returns; the test fills it (env, contract,
 * results_dir, profile...) before it runs a check. Static; its thresholds
 * start as the defaults (threshold_set_defaults). */
suite_ctx *suitekit_ctx(void);

/* Tokens from suite_token() are HS256 with this secret; a NULL sub becomes
 * default_sub. Both are kept as pointers: pass literals or static strings. */
void suitekit_set_secret(const char *secret, const char *default_sub);

/* The last value recorded for a metric since the last reset, or dflt. */
double suitekit_metric(const char *name, double dflt);
void suitekit_reset_metrics(void);

/* A native environment whose wsb-dashboard and wsb-bot are faulty-peer
 * (harness/testkit/faulty_peer.c) with fault ("none": the real programs
 * unchanged), in a new temporary folder whose path goes into dir (results
 * and service logs land there; remove it with testkit_rmtree): dir/bin holds
 * the two links and one to the real wsb-faultproxy. The bot trades at
 * bot_rate msg/s as "bot-1" with a queue of 10,000; tokens are signed with
 * signing_secret.
 * NULL with err when it cannot start (dir is then removed). */
envdriver *suitekit_faulty_native(const char *fault, const char *signing_secret, double bot_rate,
                                  char *dir, size_t dirlen, char *err, size_t errlen);

#endif
