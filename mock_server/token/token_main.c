/* wsb-token: prints an HS256 JWT for the wsbridge dashboard handshake.
 *   wsb-token --secret S --role publisher|subscriber --sub NAME [--ttl SECONDS]
 * The secret may also come from DASHBOARD_JWT_SECRET. */
#include "jwt.h"
#include "wparse.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: wsb-token --secret S --role publisher|subscriber --sub NAME [--ttl SECONDS]\n"
               "  --secret S     HS256 secret (default: $DASHBOARD_JWT_SECRET)\n"
               "  --role R       publisher or subscriber\n"
               "  --sub NAME     subject: the publisher's source or the subscriber's name\n"
               "  --ttl SECONDS  lifetime, default 3600 (negative gives an expired token)\n");
}

int main(int argc, char **argv)
{
    const char *secret = getenv("DASHBOARD_JWT_SECRET"), *role = NULL, *sub = NULL;
    long long ttl = 3600;
    static const struct option opts[] = {
        {"secret", required_argument, NULL, 's'}, {"role", required_argument, NULL, 'r'},
        {"sub", required_argument, NULL, 'u'},    {"ttl", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': secret = optarg; break;
        case 'r': role = optarg; break;
        case 'u': sub = optarg; break;
        case 't': {
            char why[160];
            if (wparse_long(optarg, LLONG_MIN, LLONG_MAX, &ttl, why, sizeof why) < 0) {
                fprintf(stderr, "wsb-token: --ttl: %s\n", why);
                return 2;
            }
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!secret || !*secret || !role || !sub) {
        usage(stderr);
        return 2;
    }
    if (strcmp(role, "publisher") && strcmp(role, "subscriber")) {
        fprintf(stderr, "wsb-token: role must be publisher or subscriber\n");
        return 2;
    }
    char *tok = jwt_sign(secret, sub, role, ttl);
    if (!tok) {
        fprintf(stderr, "wsb-token: cannot sign (sub too long?)\n");
        return 1;
    }
    printf("%s\n", tok);
    free(tok);
    return 0;
}
