/* env_fake: a scripted environment driver for the runner's tests
 * (test-runner), so they can check that a suite child's operations reach the
 * parent's driver without starting real services. Test-only: it is in no
 * library; a test program lists env_fake.c among its sources.
 *
 * The driver is named "fake", has ENV_CAP_PROCESS and starts with the
 * dashboard URL it is given. start (any service) counts and moves the
 * dashboard to ws://127.0.0.1:5678; kill counts and records the signal and
 * service, but fails with "no proxy here" for ENV_PROXY; stats answers 12.5 %
 * CPU and 4096 bytes; toxic add and link enable record their link and
 * argument, but fail with "no clients proxy" on ENV_LINK_CLIENTS; every other
 * operation is absent ("not supported by the fake driver"). */
#ifndef WSB_ENV_FAKE_H
#define WSB_ENV_FAKE_H

#include "envdriver.h"

/* What the fake was asked to do (in the process that owns it). */
typedef struct env_fake_calls {
    int starts;
    int kills;
    int last_sig;     /* -1 before the first kill */
    int last_service; /* -1 before the first kill */
    int toxics;         /* toxic adds and link enables that succeeded */
    int last_link;      /* -1 before the first */
    int last_enabled;   /* link enable's argument */
    char last_toxic[1024]; /* toxic add's JSON */
} env_fake_calls;

/* calls (may be NULL) is reset and then counts; it must outlive the driver.
 * Free with envdriver_free(). */
envdriver *env_fake_new(const char *dashboard_url, env_fake_calls *calls);

#endif
