/* profiles: how hard wsb-harness's suites push (--profile, WSB_PROFILE).
 * "short" is for make test and CI, "full" the default; each size can be
 * overridden from the environment: WSB_CONCURRENT_CONNECTIONS,
 * WSB_RAMP_CEILING, WSB_RAMP_STEP, WSB_FLOW_MESSAGES, WSB_FLOW_SUBSCRIBERS,
 * WSB_DURATION_S. */
#ifndef WSB_PROFILES_H
#define WSB_PROFILES_H

#include "suite.h"

/* Fills p with the named profile and the environment's overrides; 0, or -1
 * for a name other than short and full. */
int profiles_make(const char *name, suite_profile *p);

#endif
