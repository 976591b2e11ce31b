/* jwt: HS256 JSON Web Tokens (OpenSSL HMAC; lws JOSE is not in Debian's build).
 * Claims used by wsbridge: sub (the publisher's source or subscriber name),
 * role ("publisher" | "subscriber"), exp, iat. */
#ifndef WSB_JWT_H
#define WSB_JWT_H

#include <stddef.h>
#include <stdint.h>

#define JWT_SUB_MAX 64
#define JWT_ROLE_MAX 16

typedef struct jwt_claims {
    char sub[JWT_SUB_MAX];
    char role[JWT_ROLE_MAX];
    int64_t exp; /* seconds since the epoch */
    int64_t iat;
} jwt_claims;

/* Mints a token valid for ttl_s seconds from now (ttl_s may be negative, for
 * tests of expiry). Returns malloc'd text, NULL on failure. */
char *jwt_sign(const char *secret, const char *sub, const char *role, int64_t ttl_s);

/* Builds a token from a header and claims as given (nothing checked), the
 * signature an HMAC under secret for sign_alg "HS256" or "HS512", or empty
 * for "none": for tests of verifiers and hostile clients (alg confusion,
 * missing claims). malloc'd text, NULL on failure or an unknown sign_alg. */
char *jwt_forge(const char *secret, const char *header_json, const char *claims_json,
                const char *sign_alg);

/* Verifies a token: three base64url parts, header alg exactly "HS256"
 * (so "none" is refused), a signature that matches in constant time, exp in
 * the future (now_s = 0 means the current time), nbf (when present) not in
 * the future, sub and role present.
 * 0 when valid (claims filled); -1 with err ("expired", "bad signature",
 * "alg none refused", "not yet valid (nbf)", "malformed token"). */
int jwt_verify(const char *token, const char *secret, int64_t now_s, jwt_claims *out, char *err,
               size_t errlen);

#endif
