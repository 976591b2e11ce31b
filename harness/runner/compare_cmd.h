/* compare_cmd: `wsb-harness compare OLD_DIR NEW_DIR [options]`, the command
 * line around results_compare (`wsb-harness compare --help`). */
#ifndef WSB_COMPARE_CMD_H
#define WSB_COMPARE_CMD_H

/* argv[0] is "compare". Exit status: 0 when no figure regressed beyond its
 * tolerance, 1 when one did, 2 on a usage error or a missing or invalid
 * result directory (said on stderr). */
int compare_cmd_main(int argc, char **argv);

#endif
