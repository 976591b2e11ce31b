/* dashboard_guard: refusals libwebsockets 4.1.6 does not make on its own,
 * each found by the security suite's catalogue (suites/security_cases/):
 *   - an upgrade whose Sec-WebSocket-Version is not 13 (lws also speaks the
 *     drafts' 8): 426 with "Sec-WebSocket-Version: 13"; none at all: 400;
 *   - a foreign Origin when --allowed-origins is set (cross-site WebSocket
 *     hijacking): 403; a request without Origin (not a browser) passes;
 *   - plain HTTP other than GET (405) or with a body (Content-Length other
 *     than 0, Transfer-Encoding: the request-smuggling shapes): 400;
 *   - a close frame with a status code of 5000 or more (lws refuses the
 *     reserved codes below 5000 only): answered with 1002; a 1-byte close
 *     payload: the connection is dropped (no code can be echoed).
 * Each function only judges; dashboard.c answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dashboard.h"

/* 1 when origin (len bytes) is one of the comma-separated list's entries. */
static int origin_listed(const char *list, const char *origin)
{
    size_t olen = strlen(origin);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ", ");
        if (n && n == olen && !strncasecmp(p, origin, n))
            return 1;
        p += n;
    }
    return 0;
}

unsigned dashboard_guard_upgrade(const dashboard *d, struct lws *wsi, const char **reason)
{
    char v[16] = "";
    int vn = lws_hdr_total_length(wsi, WSI_TOKEN_VERSION);
    if (vn <= 0) {
        *reason = "Sec-WebSocket-Version missing";
        return 400;
    }
    if (vn >= (int)sizeof v || lws_hdr_copy(wsi, v, sizeof v, WSI_TOKEN_VERSION) < 0 ||
        strcmp(v, "13")) {
        *reason = "only Sec-WebSocket-Version 13 is spoken";
        return 426;
    }
    const char *list = d->cfg.allowed_origins;
    int on = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN);
    if (list && list[0] && on > 0) {
        char origin[256];
        if (on >= (int)sizeof origin ||
            lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) < 0 ||
            !origin_listed(list, origin)) {
            *reason = "Origin not allowed (--allowed-origins)";
            return 403;
        }
    }
    return 0;
}

unsigned dashboard_guard_http(struct lws *wsi, const char **reason)
{
    static const enum lws_token_indexes methods[] = {
        WSI_TOKEN_POST_URI, WSI_TOKEN_OPTIONS_URI, WSI_TOKEN_PATCH_URI, WSI_TOKEN_PUT_URI,
        WSI_TOKEN_DELETE_URI, WSI_TOKEN_HEAD_URI,
    };
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (lws_hdr_total_length(wsi, methods[i]) > 0) {
            *reason = "only GET is served";
            return 405;
        }
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
        *reason = "a GET carries no body (Transfer-Encoding)";
        return 400;
    }
    char cl[32] = "";
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    if (n > 0 && (n >= (int)sizeof cl ||
                  lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) < 0 ||
                  strcmp(cl, "0") || lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH,
                                                             1) > 0)) {
        *reason = "a GET carries no body (Content-Length)";
        return 400;
    }
    return 0;
}

int dashboard_guard_close(void *payload, size_t len)
{
    uint8_t *p = payload;
    if (len == 1)
        return -1;
    if (len >= 2 && ((unsigned)p[0] << 8 | p[1]) >= 5000) {
        p[0] = 1002 >> 8; /* lws echoes the payload: make it a protocol error */
        p[1] = 1002 & 0xff;
    }
    return 0;
}
