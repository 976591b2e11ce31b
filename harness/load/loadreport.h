/* loadreport: a load run's per-connection CSV and its text report, for
 * wsb-load and the load suite.
 *
 * CSV columns: connection_id, success, connect_time_ms,
 * time_to_first_message_ms, time_to_last_message_ms, messages_received,
 * messages_per_second, target_reached; then one "summary" row (successes,
 * the averages of the times, the total of messages and of messages/s, the
 * connections that reached the target). Times count from the connection's
 * first open; an empty cell means never. */
#ifndef WSB_LOADREPORT_H
#define WSB_LOADREPORT_H

#include <stddef.h>
#include <stdio.h>

#include "loadengine.h"

/* Writes the CSV to path. 0, or -1 with err. */
int loadreport_csv(const loadengine_result *r, const char *path, char *err, size_t errlen);

/* Writes the text report (success rate, connect times average/median/min/max,
 * message totals and their spread over connections, connections reaching
 * target, latency percentiles, errors by kind, CPU) under a title. */
void loadreport_text(const loadengine_result *r, const char *title, long target, FILE *f);

/* Messages a connection received per second, from its handshake to its last message. */
double loadreport_conn_rate(const loadconn_stat *s);

#endif
