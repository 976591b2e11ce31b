/* wsbload_http: wsb-load's Prometheus endpoint. A thread accepts on
 * 127.0.0.1:port (0: a free port) and answers GET /metrics with the latest
 * text given to wsbload_http_set (404 for other paths, 405 for other
 * methods); one request per connection, each read and write bounded by a 2 s
 * timeout, so a slow client cannot hold it. */
#ifndef WSB_WSBLOAD_HTTP_H
#define WSB_WSBLOAD_HTTP_H

#include <stddef.h>

/* Starts the endpoint. Returns the port it listens on, or -1 with err. */
int wsbload_http_start(const char *host, int port, char *err, size_t errlen);
/* Replaces the text served (copied). */
void wsbload_http_set(const char *text, size_t len);
/* Stops the thread and closes the socket. */
void wsbload_http_stop(void);

#endif
