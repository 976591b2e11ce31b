/* connectivity_int: what connectivity.c and connectivity_limits.c share.
 * Private to the connectivity suite; connectivity.h is its interface. */
#ifndef WSB_SUITE_CONNECTIVITY_INT_H
#define WSB_SUITE_CONNECTIVITY_INT_H

#include <stddef.h>

#define OPEN_TIMEOUT_MS 5000 /* a subscriber or publisher is open within this */

/* The test publisher's own source name, distinct from the bot's. */
void connectivity_test_source(char *buf, size_t len);

#endif
