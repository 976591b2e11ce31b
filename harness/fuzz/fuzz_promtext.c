/* fuzz_promtext: libFuzzer target for promtext_parse, the harness's reader of
 * the Prometheus text that the system under test serves on /metrics (and the
 * fault proxy on its API port): a peer the harness does not control.
 *
 * Checks beyond the sanitizers: every sample's normalised key finds a sample
 * through promtext_get (lookups re-normalise their key), its metric name is
 * counted by promtext_sum, and writing the samples back out as "key value"
 * lines parses again into the same keys and values. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promtext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_value(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    char err[256];
    promtext *m = promtext_parse(text, err, sizeof(err));
    free(text);
    if (!m)
        return 0;

    size_t n = promtext_count(m);
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    if (!f)
        abort();
    for (size_t i = 0; i < n; i++) {
        double v, got, sum;
        const char *key = promtext_key(m, i, &v);
        if (!key || promtext_get(m, key, &got) != 0) {
            fprintf(stderr, "sample %zu: its own key %s is not found\n", i, key ? key : "(null)");
            abort();
        }
        size_t nl = strcspn(key, "{");
        char *name = strndup(key, nl);
        if (!name || promtext_sum(m, name, &sum) < 1) {
            fprintf(stderr, "sample %zu: metric %s not counted\n", i, name ? name : "?");
            abort();
        }
        free(name);
        fprintf(f, "%s %.17g\n", key, v);
    }
    fclose(f);

    promtext *again = promtext_parse(out, err, sizeof(err));
    if (!again || promtext_count(again) != n) {
        fprintf(stderr, "the samples written back do not parse (%s):\n%s", again ? "count" : err,
                out);
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        double a, b;
        const char *ka = promtext_key(m, i, &a), *kb = promtext_key(again, i, &b);
        if (strcmp(ka, kb) || !same_value(a, b)) {
            fprintf(stderr, "sample %zu changed through a write-back: %s %g -> %s %g\n", i, ka,
                    a, kb, b);
            abort();
        }
    }
    promtext_free(again);
    free(out);
    promtext_free(m);
    return 0;
}
