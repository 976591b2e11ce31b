/* registry: the table of the seven wsbridge suites, in run order, with the
 * suite_def of each one built into this harness (NULL: not available yet). */
#ifndef WSB_REGISTRY_H
#define WSB_REGISTRY_H

#include <stddef.h>

#include "runner.h"

extern const suite_def suite_connectivity, suite_message_flow, suite_fault_tolerance,
    suite_load_tests, suite_integration, suite_performance, suite_security;

extern const runner_entry registry_suites[];
extern const size_t registry_count;

#endif
