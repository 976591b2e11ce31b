/* registry: the suite table wsb-harness runs from (see registry.h). A suite
 * that is not written yet stays listed with a NULL definition, so the runner
 * reports it as not available instead of silently passing it. */
#include "registry.h"

const runner_entry registry_suites[] = {
    {"connectivity", &suite_connectivity},
    {"message_flow", &suite_message_flow},
    {"fault_tolerance", &suite_fault_tolerance},
    {"load_tests", &suite_load_tests},
    {"integration", &suite_integration},
    {"performance", &suite_performance},
    {"security", &suite_security},
};

const size_t registry_count = sizeof(registry_suites) / sizeof(registry_suites[0]);
