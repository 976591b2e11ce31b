/* profiles: the sizes of the short and full profiles (see profiles.h). */
#include "profiles.h"

#include <string.h>

#include "cli.h"

int profiles_make(const char *name, suite_profile *p)
{
    if (strcmp(name, "short") == 0) {
        *p = (suite_profile){"short", 100, 400, 100, 200, 3, 3.0};
    } else if (strcmp(name, "full") == 0) {
        *p = (suite_profile){"full", 500, 5000, 500, 2000, 5, 30.0};
    } else {
        return -1;
    }
    p->concurrent_conns = cli_env_int("WSB_CONCURRENT_CONNECTIONS", p->concurrent_conns);
    p->ramp_ceiling = cli_env_int("WSB_RAMP_CEILING", p->ramp_ceiling);
    p->ramp_ceiling = cli_env_int("WSB_EXPECT_CAPACITY", p->ramp_ceiling);
    p->ramp_step = cli_env_int("WSB_RAMP_STEP", p->ramp_step);
    p->flow_messages = cli_env_int("WSB_FLOW_MESSAGES", p->flow_messages);
    p->flow_subscribers = cli_env_int("WSB_FLOW_SUBSCRIBERS", p->flow_subscribers);
    p->duration_s = cli_env_double("WSB_DURATION_S", p->duration_s);
    return 0;
}
