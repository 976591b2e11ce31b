/* wsb-merge: combines the result directories of parallel harness workers
 * (workers/<index>/ on one host, or copied from several) into one: the
 * test_summary.json files are merged suite by suite (each worker's tests
 * labelled with its directory name), and every latency histogram under
 * <worker>/metrics/ (format "wsb-histogram") is added to the histogram of
 * the same file name. Writes test_summary.json, junit.xml, test_report.md,
 * test_report.html and metrics/ into --out, prints the merged percentiles, and exits 0 only
 * when every merged suite passed (2 on usage or read errors). */
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "results.h"
#include "wjson.h"

#define MERGE_MAX_HISTS 256

typedef struct named_hist {
    char name[256];
    histogram *h;
} named_hist;

static void usage(FILE *f)
{
    fprintf(f, "usage: wsb-merge --out DIR WORKER_DIR...\n"
               "Merges the result directories of parallel wsb-harness workers.\n");
}

/* Adds every histogram file of dir/metrics to hs. -1 with err on a broken one. */
static int merge_hists(const char *dir, named_hist *hs, int *nh, char *err, size_t errlen)
{
    char mdir[4096];
    snprintf(mdir, sizeof(mdir), "%s/metrics", dir);
    DIR *d = opendir(mdir);
    if (!d)
        return 0; /* a worker without metrics */
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0 || l >= sizeof(hs[0].name))
            continue;
        char path[4400];
        snprintf(path, sizeof(path), "%s/%s", mdir, e->d_name);
        cJSON *j = wjson_parse_file(path, 16, err, errlen);
        if (!j) {
            rc = -1;
            break;
        }
        const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(j, "format");
        if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "wsb-histogram") != 0) {
            cJSON_Delete(j); /* another kind of metrics file */
            continue;
        }
        char e2[256];
        histogram *h = histogram_from_json(j, e2, sizeof(e2));
        cJSON_Delete(j);
        if (!h) {
            snprintf(err, errlen, "%.500s: %.400s", path, e2);
            rc = -1;
            break;
        }
        int k;
        for (k = 0; k < *nh; k++)
            if (strcmp(hs[k].name, e->d_name) == 0)
                break;
        if (k == *nh) {
            if (*nh == MERGE_MAX_HISTS) {
                snprintf(err, errlen, "more than %d histogram files", MERGE_MAX_HISTS);
                histogram_free(h);
                rc = -1;
                break;
            }
            snprintf(hs[k].name, sizeof(hs[k].name), "%s", e->d_name);
            hs[k].h = h;
            (*nh)++;
        } else {
            histogram_merge(hs[k].h, h);
            histogram_free(h);
        }
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    const char *dirs[256];
    int nd = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' || nd == 256) {
            usage(stderr);
            return 2;
        } else {
            dirs[nd++] = argv[i];
        }
    }
    if (!out || nd == 0) {
        usage(stderr);
        return 2;
    }
    char err[1024];
    if (results_mkdirs(out, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsb-merge: %s\n", err);
        return 2;
    }
    results_run *merged = results_run_new("merged", "", out);
    static named_hist hs[MERGE_MAX_HISTS];
    int nh = 0, rc = 0;
    for (int i = 0; i < nd && rc == 0; i++) {
        char path[4200];
        snprintf(path, sizeof(path), "%s/test_summary.json", dirs[i]);
        results_run *r = results_read_summary(path, err, sizeof(err));
        if (!r) {
            fprintf(stderr, "wsb-merge: %s\n", err);
            rc = 2;
            break;
        }
        if (i == 0) {
            free(merged->profile);
            merged->profile = strdup(r->profile);
            free(merged->started);
            merged->started = strdup(r->started);
        }
        char lab[4096];
        snprintf(lab, sizeof(lab), "%s", dirs[i]);
        size_t l = strlen(lab);
        while (l > 1 && lab[l - 1] == '/')
            lab[--l] = 0;
        results_merge(merged, r, basename(lab));
        results_run_free(r);
        if (merge_hists(dirs[i], hs, &nh, err, sizeof(err)) < 0) {
            fprintf(stderr, "wsb-merge: %s\n", err);
            rc = 2;
        }
    }
    if (rc == 0) {
        results_run_finish(merged, merged->duration_s);
        char mdir[4200];
        snprintf(mdir, sizeof(mdir), "%s/metrics", out);
        if (results_mkdirs(mdir, err, sizeof(err)) < 0) {
            fprintf(stderr, "wsb-merge: %s\n", err);
            rc = 2;
        }
        for (int k = 0; rc == 0 && k < nh; k++) {
            char p[4600];
            snprintf(p, sizeof(p), "%.4000s/%.255s", mdir, hs[k].name);
            if (histogram_write_file(hs[k].h, p, err, sizeof(err)) < 0) {
                fprintf(stderr, "wsb-merge: %s\n", err);
                rc = 2;
                break;
            }
            const histogram *h = hs[k].h;
            printf("%s: n=%llu p50=%.1fus p90=%.1fus p99=%.1fus p99.9=%.1fus max=%.1fus\n",
                   hs[k].name, (unsigned long long)histogram_count(h),
                   histogram_percentile(h, 50) / 1e3, histogram_percentile(h, 90) / 1e3,
                   histogram_percentile(h, 99) / 1e3, histogram_percentile(h, 99.9) / 1e3,
                   histogram_max(h) / 1e3);
        }
    }
    /* after the histograms: test_report.html draws them from metrics/ */
    if (rc == 0 && results_write_all(merged, out, err, sizeof(err)) < 0) {
        fprintf(stderr, "wsb-merge: %s\n", err);
        rc = 2;
    }
    if (rc == 0) {
        results_totals t = results_count(merged);
        rc = results_run_ok(merged) ? 0 : 1;
        printf("wsb-merge: %d workers, %zu suites, %d tests (%d passed, %d failed, %d skipped): "
               "%s -> %s\n",
               nd, merged->nsuites, t.tests, t.passed, t.failed, t.skipped,
               rc == 0 ? "passed" : "failed", out);
    }
    for (int k = 0; k < nh; k++)
        histogram_free(hs[k].h);
    results_run_free(merged);
    return rc;
}
