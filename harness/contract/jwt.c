/* jwt: HS256 JSON Web Tokens for the wsbridge handshake (see jwt.h).
 *
 * Signing and checking use OpenSSL's HMAC() with SHA-256; signatures are
 * compared with CRYPTO_memcmp (constant time). The header is read before the
 * signature so that "alg":"none" is refused by name; claims are read only
 * after the signature matched. Nothing here keeps state: both functions are
 * safe to call from any thread. */
#include "jwt.h"
#include "wclock.h"
#include "wjson.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JWT_MAX_TOKEN 4096 /* longer tokens are refused as malformed */

static const char b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Encodes len bytes as unpadded base64url into out (room for 4*len/3+4). */
static size_t b64url_encode(const unsigned char *in, size_t len, char *out)
{
    size_t o = 0, i = 0;
    while (i + 2 < len) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64url_chars[(v >> 18) & 63];
        out[o++] = b64url_chars[(v >> 12) & 63];
        out[o++] = b64url_chars[(v >> 6) & 63];
        out[o++] = b64url_chars[v & 63];
        i += 3;
    }
    if (len - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        out[o++] = b64url_chars[(v >> 18) & 63];
        out[o++] = b64url_chars[(v >> 12) & 63];
    } else if (len - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        out[o++] = b64url_chars[(v >> 18) & 63];
        out[o++] = b64url_chars[(v >> 12) & 63];
        out[o++] = b64url_chars[(v >> 6) & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decodes unpadded base64url (len chars) into out (room for len*3/4+1,
 * NUL-terminated). Returns the byte count or -1 on a bad character/length. */
static long b64url_decode(const char *in, size_t len, unsigned char *out)
{
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    if (len % 4 == 1)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    /* leftover bits must be zero (canonical encoding) */
    if (bits && (acc & ((1u << bits) - 1)))
        return -1;
    out[o] = '\0';
    return (long)o;
}

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

char *jwt_forge(const char *secret, const char *header_json, const char *claims_json,
                const char *sign_alg)
{
    if (!header_json || !claims_json || !sign_alg)
        return NULL;
    const EVP_MD *md = !strcmp(sign_alg, "HS256")   ? EVP_sha256()
                       : !strcmp(sign_alg, "HS512") ? EVP_sha512()
                                                    : NULL;
    if (!md && strcmp(sign_alg, "none"))
        return NULL;
    if (md && !secret)
        return NULL;
    size_t hlen = strlen(header_json), plen = strlen(claims_json);
    size_t cap = (hlen + plen) * 4 / 3 + EVP_MAX_MD_SIZE * 2 + 64;
    char *tok = malloc(cap);
    if (!tok)
        return NULL;
    size_t n = b64url_encode((const unsigned char *)header_json, hlen, tok);
    tok[n++] = '.';
    n += b64url_encode((const unsigned char *)claims_json, plen, tok + n);
    tok[n] = '\0';
    if (!md) {
        tok[n++] = '.';
        tok[n] = '\0';
        return tok;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (!HMAC(md, secret, (int)strlen(secret), (const unsigned char *)tok, n, mac, &maclen)) {
        free(tok);
        return NULL;
    }
    tok[n++] = '.';
    b64url_encode(mac, maclen, tok + n);
    return tok;
}

char *jwt_sign(const char *secret, const char *sub, const char *role, int64_t ttl_s)
{
    if (!secret || !sub || !role || strlen(sub) >= JWT_SUB_MAX || strlen(role) >= JWT_ROLE_MAX)
        return NULL;
    int64_t iat = wclock_real_us() / 1000000;

    cJSON *claims = cJSON_CreateObject();
    if (!claims)
        return NULL;
    cJSON_AddStringToObject(claims, "sub", sub);
    cJSON_AddStringToObject(claims, "role", role);
    cJSON_AddNumberToObject(claims, "iat", (double)iat);
    cJSON_AddNumberToObject(claims, "exp", (double)(iat + ttl_s));
    char *payload = cJSON_PrintUnformatted(claims);
    cJSON_Delete(claims);
    if (!payload)
        return NULL;
    char *tok = jwt_forge(secret, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, "HS256");
    free(payload);
    return tok;
}

int jwt_verify(const char *token, const char *secret, int64_t now_s, jwt_claims *out, char *err,
               size_t errlen)
{
    int rc = -1;
    unsigned char *hbuf = NULL, *pbuf = NULL;
    cJSON *hdr = NULL, *claims = NULL;

    if (!token || !secret || !out) {
        set_err(err, errlen, "malformed token");
        return -1;
    }
    size_t tlen = strlen(token);
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (tlen == 0 || tlen > JWT_MAX_TOKEN || !dot1 || !dot2 || strchr(dot2 + 1, '.')) {
        set_err(err, errlen, "malformed token");
        return -1;
    }
    size_t h_len = (size_t)(dot1 - token);
    size_t p_len = (size_t)(dot2 - dot1 - 1);
    size_t s_len = tlen - (size_t)(dot2 - token) - 1;
    if (h_len == 0 || p_len == 0) {
        set_err(err, errlen, "malformed token");
        return -1;
    }

    hbuf = malloc(h_len * 3 / 4 + 4);
    pbuf = malloc(p_len * 3 / 4 + 4);
    if (!hbuf || !pbuf) {
        set_err(err, errlen, "out of memory");
        goto done;
    }
    long hn = b64url_decode(token, h_len, hbuf);
    if (hn <= 0 || memchr(hbuf, 0, (size_t)hn)) {
        set_err(err, errlen, "malformed token");
        goto done;
    }
    hdr = cJSON_ParseWithLength((const char *)hbuf, (size_t)hn);
    const cJSON *alg = hdr ? cJSON_GetObjectItemCaseSensitive(hdr, "alg") : NULL;
    if (!cJSON_IsObject(hdr) || !cJSON_IsString(alg)) {
        set_err(err, errlen, "malformed token");
        goto done;
    }
    if (strcmp(alg->valuestring, "HS256") != 0) {
        if (strcasecmp(alg->valuestring, "none") == 0)
            set_err(err, errlen, "alg none refused");
        else if (err && errlen)
            snprintf(err, errlen, "alg %.32s refused (only HS256)", alg->valuestring);
        goto done;
    }

    /* Signature over "header.payload", compared in constant time. */
    unsigned char mac[EVP_MAX_MD_SIZE], sig[EVP_MAX_MD_SIZE + 4];
    unsigned int maclen = 0;
    if (s_len == 0 || s_len > 64) {
        set_err(err, errlen, s_len == 0 ? "bad signature" : "malformed token");
        goto done;
    }
    long sn = b64url_decode(dot2 + 1, s_len, sig);
    if (sn < 0) {
        set_err(err, errlen, "malformed token");
        goto done;
    }
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)token,
              (size_t)(dot2 - token), mac, &maclen)) {
        set_err(err, errlen, "hmac failed");
        goto done;
    }
    if ((unsigned long)sn != maclen || CRYPTO_memcmp(mac, sig, maclen) != 0) {
        set_err(err, errlen, "bad signature");
        goto done;
    }

    long pn = b64url_decode(dot1 + 1, p_len, pbuf);
    if (pn <= 0 || memchr(pbuf, 0, (size_t)pn)) {
        set_err(err, errlen, "malformed token");
        goto done;
    }
    claims = cJSON_ParseWithLength((const char *)pbuf, (size_t)pn);
    if (!cJSON_IsObject(claims)) {
        set_err(err, errlen, "malformed token");
        goto done;
    }
    const cJSON *sub = cJSON_GetObjectItemCaseSensitive(claims, "sub");
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(claims, "role");
    int64_t exp = 0, iat = 0;
    if (!cJSON_IsString(sub) || !cJSON_IsString(role) || !sub->valuestring[0] ||
        strlen(sub->valuestring) >= JWT_SUB_MAX || strlen(role->valuestring) >= JWT_ROLE_MAX) {
        set_err(err, errlen, "malformed token: sub and role required");
        goto done;
    }
    if (!wjson_get_int64(wjson_get(claims, "exp"), &exp)) {
        set_err(err, errlen, "malformed token: exp required");
        goto done;
    }
    if (wjson_get(claims, "iat") && !wjson_get_int64(wjson_get(claims, "iat"), &iat)) {
        set_err(err, errlen, "malformed token: iat not an integer");
        goto done;
    }
    if (now_s == 0)
        now_s = wclock_real_us() / 1000000;
    if (exp <= now_s) {
        set_err(err, errlen, "expired");
        goto done;
    }
    int64_t nbf = 0;
    if (wjson_get(claims, "nbf") && (!wjson_get_int64(wjson_get(claims, "nbf"), &nbf) ||
                                     nbf > now_s)) {
        set_err(err, errlen, nbf > now_s ? "not yet valid (nbf)" : "malformed token: nbf");
        goto done;
    }
    memset(out, 0, sizeof(*out));
    snprintf(out->sub, sizeof(out->sub), "%s", sub->valuestring);
    snprintf(out->role, sizeof(out->role), "%s", role->valuestring);
    out->exp = exp;
    out->iat = iat;
    rc = 0;
done:
    cJSON_Delete(hdr);
    cJSON_Delete(claims);
    free(hbuf);
    free(pbuf);
    return rc;
}
