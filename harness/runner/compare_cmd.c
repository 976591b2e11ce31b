/* compare_cmd: the options of `wsb-harness compare` and its output, a table
 * (or --json) on stdout (see compare_cmd.h and results_compare.h). */
#include "compare_cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "results_compare.h"
#include "wparse.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: wsb-harness compare OLD_DIR NEW_DIR [options]\n"
            "Compares the figures of two result directories (test_summary.json and the\n"
            "histograms of metrics/) and fails when one regressed beyond its tolerance.\n\n"
            "  --tolerance P           a regression is a move the wrong way by more than P\n"
            "                          percent of the old value (10%%)\n"
            "  --tolerance NAME=P      for the figures NAME names (a glob on the whole name\n"
            "                          or on a tail after '/': e2e_latency.p99=20%%); repeatable\n"
            "  --floor-ms MS           a time that moved by MS or less is the same (1)\n"
            "  --floor-points P        a figure in %% that moved by P points or less is the\n"
            "                          same (5)\n"
            "  --ignore NAME           leave these figures out; repeatable\n"
            "  --json                  the comparison as JSON (format wsb-compare)\n"
            "Better lower: times (latency, recovery, detection), CPU %%, RSS, losses, errors.\n"
            "Better higher: rates, capacity, delivery. Other figures are shown, not judged.\n"
            "A suite that passed in OLD and failed in NEW is a regression too.\n"
            "Exit status: 0 no regression, 1 a regression, 2 usage error or a missing or\n"
            "invalid result directory.\n");
}

int compare_cmd_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"tolerance", required_argument, NULL, 't'},
        {"ignore", required_argument, NULL, 'i'},
        {"json", no_argument, NULL, 'j'},
        {"floor-ms", required_argument, NULL, 'f'},
        {"floor-points", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    compare_opts o;
    compare_opts_init(&o);
    int json = 0, c;
    char err[4096];
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (compare_opts_tolerance(&o, optarg, err, sizeof(err)) < 0) {
                fprintf(stderr, "wsb-harness compare: --tolerance %s\n", err);
                return 2;
            }
            break;
        case 'i':
            if (compare_opts_ignore(&o, optarg, err, sizeof(err)) < 0) {
                fprintf(stderr, "wsb-harness compare: --ignore: %s\n", err);
                return 2;
            }
            break;
        case 'j':
            json = 1;
            break;
        case 'f':
        case 'p':
            if (wparse_double(optarg, 0, 1e12, c == 'f' ? &o.floor_ms : &o.floor_points, err,
                              sizeof(err)) < 0) {
                fprintf(stderr, "wsb-harness compare: --%s: %s\n",
                        c == 'f' ? "floor-ms" : "floor-points", err);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "wsb-harness compare: expected OLD_DIR NEW_DIR (see --help)\n");
        return 2;
    }
    compare_result *r = compare_dirs(argv[optind], argv[optind + 1], &o, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "wsb-harness compare: %s\n", err);
        return 2;
    }
    if (json) {
        cJSON *j = compare_to_json(r);
        char *t = cJSON_Print(j);
        if (t)
            printf("%s\n", t);
        free(t);
        cJSON_Delete(j);
    } else {
        compare_print(r, stdout);
    }
    int rc = r->nregressed ? 1 : 0;
    compare_result_free(r);
    return rc;
}
