/* monitor: `wsb-harness monitor`, the selected suites again and again
 * against a running system (`wsb-harness monitor --help`).
 *
 * Each round is a child `wsb-harness` run with the options the monitor did
 * not take for itself (external mode: --dashboard-url is required) and
 * --results <base>/round_<UTC time>_<n>; its console goes to console.log in
 * that directory. A round that outlives --round-timeout is stopped (its
 * process group gets SIGTERM, then SIGKILL) and counts as failed. After each
 * round the monitor reads its test_summary.json, serves the verdicts and
 * figures on /metrics (monitor_metrics.h) and deletes the oldest round
 * directories it created beyond --keep (never another file or directory).
 * Rounds start every --every (at once when one ran longer); --count ends the
 * monitor after that many rounds. SIGTERM or SIGINT stop it at once: a
 * running round is stopped, its directory kept, and the exit status is 0. */
#ifndef WSB_MONITOR_H
#define WSB_MONITOR_H

/* argv[0] is "monitor". Exit status: 0 after --count rounds or a signal, 1
 * when the endpoint or the result base cannot be set up, 2 on a usage
 * error (said on stderr). */
int monitor_main(int argc, char **argv);

#endif
