/* fuzz_jwt: libFuzzer target for jwt_verify, the check every WebSocket
 * handshake of the dashboard runs on an attacker-supplied token.
 *
 * Two shapes of input, told apart by the first byte:
 *   - anything not starting with '{' is a token, verified as is with a fixed
 *     secret at a fixed time (the seeds are valid tokens for that secret, so
 *     mutations start next to a token that passes);
 *   - "HEADER\nPAYLOAD" starting with '{' is a header and a claims text that
 *     this target base64url-encodes and signs with the secret itself, so the
 *     fuzzer reaches the claim checks behind the signature, which random
 *     bytes never get past.
 * Checks beyond the sanitizers: a token signed here is never refused for its
 * signature; an accepted token has a sub and a role that fit their fields
 * and an exp after the time of the check; the verdict does not depend on the
 * error buffer (NULL, 1 byte, full size). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SECRET "fuzz-secret"
#define FUZZ_NOW 1763822739 /* the seeds' tokens expire in 2100 */

/* Appends n bytes as unpadded base64url at out[*o]. */
static void b64url(char *out, size_t *o, const unsigned char *s, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | s[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[(*o)++] = tbl[(acc >> bits) & 63];
        }
    }
    if (bits)
        out[(*o)++] = tbl[(acc << (6 - bits)) & 63];
}

/* "b64(header).b64(payload).b64(HMAC)", malloc'd. */
static char *sign_parts(const uint8_t *h, size_t hn, const uint8_t *p, size_t pn)
{
    char *tok = malloc((hn + pn) * 4 / 3 + 64 + 8);
    size_t o = 0;
    if (!tok)
        abort();
    b64url(tok, &o, h, hn);
    tok[o++] = '.';
    b64url(tok, &o, p, pn);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    if (!HMAC(EVP_sha256(), FUZZ_SECRET, (int)strlen(FUZZ_SECRET), (unsigned char *)tok, o, mac,
              &ml))
        abort();
    tok[o++] = '.';
    b64url(tok, &o, mac, ml);
    tok[o] = '\0';
    return tok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *tok;
    int signed_here = size > 0 && data[0] == '{';
    if (signed_here) {
        const uint8_t *nl = memchr(data, '\n', size);
        size_t hn = nl ? (size_t)(nl - data) : size;
        tok = sign_parts(data, hn, nl ? nl + 1 : data + size, nl ? size - hn - 1 : 0);
    } else {
        tok = malloc(size + 1);
        if (!tok)
            abort();
        memcpy(tok, data, size);
        tok[size] = '\0';
    }

    jwt_claims c;
    char err[128] = "";
    int rc = jwt_verify(tok, FUZZ_SECRET, FUZZ_NOW, &c, err, sizeof(err));
    if (rc == 0) {
        size_t sl = strnlen(c.sub, sizeof(c.sub)), rl = strnlen(c.role, sizeof(c.role));
        if (sl == 0 || sl >= sizeof(c.sub) || rl >= sizeof(c.role) || c.exp <= FUZZ_NOW) {
            fprintf(stderr, "accepted token with bad claims: sub %zu role %zu exp %lld\n", sl, rl,
                    (long long)c.exp);
            abort();
        }
    } else if (err[0] == '\0') {
        fprintf(stderr, "refused without a reason\n");
        abort();
    } else if (signed_here && strlen(tok) <= 4096 && !strcmp(err, "bad signature")) {
        fprintf(stderr, "a correctly signed token was refused for its signature: %s\n", tok);
        abort();
    }

    jwt_claims c2;
    char tiny[1];
    if (jwt_verify(tok, FUZZ_SECRET, FUZZ_NOW, &c2, NULL, 0) != rc ||
        jwt_verify(tok, FUZZ_SECRET, FUZZ_NOW, &c2, tiny, sizeof(tiny)) != rc) {
        fprintf(stderr, "the verdict depends on the error buffer\n");
        abort();
    }
    free(tok);
    return 0;
}
