/* security_catalogue: the security suite's case files (security.h; the
 * format is described in suites/security_cases/README.md).
 *
 * A case file is read line by line ("key value"); every key is checked, every
 * payload and token template is expanded once with sample values at load, so
 * a malformed case is an error naming the file and the line before anything
 * runs, never a case skipped. Templates: {SUB} {ROLE} {OTHER_ROLE} {PATH} {BOT}
 * {SEQ} {SEQ+N} {NOW} {NOW+N} {NOW-N}. */
#include "security.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"
#include "wclock.h"

#define PAYLOAD_MAX (16u * 1024 * 1024)

static const char *const group_names[SEC_NGROUPS] = {"framing", "handshake", "tokens",
                                                     "contract", "floods"};

const char *security_group_name(sec_group g)
{
    return g < SEC_NGROUPS ? group_names[g] : "?";
}

const char *security_expect_text(const sec_case *c, char *buf, size_t len)
{
    switch (c->expect) {
    case SEC_EXPECT_HTTP:
        snprintf(buf, len, "HTTP %d", c->codes[0]);
        break;
    case SEC_EXPECT_CLOSE: {
        size_t o = (size_t)snprintf(buf, len, "close");
        for (int i = 0; i < c->ncodes && o < len; i++)
            o += (size_t)snprintf(buf + o, len - o, "%s%d", i ? "|" : " ", c->codes[i]);
        break;
    }
    case SEC_EXPECT_CLOSED:
        snprintf(buf, len, "closed");
        break;
    case SEC_EXPECT_ERROR:
        snprintf(buf, len, "error %s", c->error);
        break;
    case SEC_EXPECT_OPEN:
        snprintf(buf, len, "open");
        break;
    case SEC_EXPECT_REFUSED:
        snprintf(buf, len, "refused");
        break;
    }
    return buf;
}

const char *security_cases_dir(void)
{
    const char *d = getenv("WSB_SECURITY_CASES");
    return d && d[0] ? d : "suites/security_cases";
}

/* ---- templates and payloads ---- */

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

static int put(buf *b, const void *src, size_t n)
{
    if (b->len + n + 1 > PAYLOAD_MAX)
        return -1;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n + 1)
            nc *= 2;
        uint8_t *np = realloc(b->p, nc);
        if (!np)
            return -1;
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static int putf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int putf(buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= sizeof tmp ? -1 : put(b, tmp, (size_t)n);
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* {NAME} or {NAME+N} / {NAME-N} at s (after '{'): appended to b; the
 * characters used, 0 when s is not a template (an upper-case name, then
 * '}' or an offset: JSON's braces stay as they are), or -1. */
static int placeholder(const char *s, const sec_vars *v, buf *b, char *err, size_t errlen)
{
    size_t up = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
    if (!up || (s[up] != '}' && s[up] != '+' && s[up] != '-'))
        return 0;
    const char *end = strchr(s, '}');
    if (!end)
        return fail(err, errlen, "unclosed { in a template");
    char name[32];
    size_t n = (size_t)(end - s);
    if (n >= sizeof name)
        return fail(err, errlen, "unknown template {%.20s...}", s);
    memcpy(name, s, n);
    name[n] = '\0';
    long long off = 0;
    char *sign = strpbrk(name, "+-");
    if (sign) {
        char *e = NULL;
        errno = 0;
        off = strtoll(sign + 1, &e, 10);
        if (errno || !e || *e || e == sign + 1)
            return fail(err, errlen, "bad offset in {%s}", name);
        if (*sign == '-')
            off = -off;
        *sign = '\0';
    }
    int rc = 0;
    if (!strcmp(name, "SEQ"))
        rc = putf(b, "%lld", (long long)v->seq + off);
    else if (!strcmp(name, "NOW"))
        rc = putf(b, "%lld", (long long)v->now + off);
    else if (sign)
        return fail(err, errlen, "{%s} takes no offset", name);
    else if (!strcmp(name, "SUB"))
        rc = put(b, v->sub, strlen(v->sub));
    else if (!strcmp(name, "ROLE"))
        rc = put(b, v->role, strlen(v->role));
    else if (!strcmp(name, "OTHER_ROLE"))
        rc = put(b, v->other_role, strlen(v->other_role));
    else if (!strcmp(name, "BOT"))
        rc = put(b, v->bot, strlen(v->bot));
    else if (!strcmp(name, "PATH"))
        rc = put(b, v->path, strlen(v->path));
    else
        return fail(err, errlen, "unknown template {%s}", name);
    if (rc < 0)
        return fail(err, errlen, "payload too large");
    return (int)n + 1;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* text: C escapes (\r \n \t \0 \\ \xHH) and templates. */
static int expand_text(const char *s, const sec_vars *v, buf *b, char *err, size_t errlen)
{
    while (*s) {
        uint8_t c = (uint8_t)*s;
        if (c == '{') {
            int n = placeholder(s + 1, v, b, err, errlen);
            if (n < 0)
                return -1;
            if (n > 0) {
                s += 1 + n;
                continue;
            }
        }
        if (c == '\\') {
            s++;
            switch (*s) {
            case 'r': c = '\r'; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case '0': c = 0; break;
            case '\\': c = '\\'; break;
            case '{': c = '{'; break;
            case 'x': {
                int h = hexval(s[1]), l = h >= 0 ? hexval(s[2]) : -1;
                if (l < 0)
                    return fail(err, errlen, "bad \\x escape");
                c = (uint8_t)(h << 4 | l);
                s += 2;
                break;
            }
            default:
                return fail(err, errlen, "unknown escape \\%c", *s ? *s : '0');
            }
        }
        if (put(b, &c, 1) < 0)
            return fail(err, errlen, "payload too large");
        s++;
    }
    return 0;
}

static long parse_count(const char *s, long max)
{
    char *e = NULL;
    errno = 0;
    long n = strtol(s, &e, 10);
    if (errno || e == s || n < 0 || n > max)
        return -1;
    return n;
}

static int expand_gen(const char *s, const sec_vars *v, buf *b, char *err, size_t errlen)
{
    const char *colon = strchr(s, ':');
    long n = colon ? parse_count(colon + 1, 1000000) : -1;
    if (n < 0)
        return fail(err, errlen, "gen: wants NAME:COUNT (count up to 1000000)");
    size_t nl = (size_t)(colon - s);
    int rc = 0;
    if (nl == 4 && !strncmp(s, "deep", 4)) { /* n nested arrays */
        for (long i = 0; i < n && !rc; i++)
            rc = put(b, "[", 1);
        for (long i = 0; i < n && !rc; i++)
            rc = put(b, "]", 1);
    } else if (nl == 8 && !strncmp(s, "from_map", 8)) { /* a subscribe naming n sources */
        rc = putf(b, "{\"type\":\"subscribe\",\"from\":{");
        for (long i = 0; i < n && !rc; i++)
            rc = putf(b, "%s\"%s-from-%ld\":0", i ? "," : "", v->sub, i);
        if (!rc)
            rc = putf(b, "}}");
    } else if (nl == 7 && !strncmp(s, "symbols", 7)) { /* a subscribe with n symbol filters */
        rc = putf(b, "{\"type\":\"subscribe\",\"symbols\":[");
        for (long i = 0; i < n && !rc; i++)
            rc = putf(b, "%s\"S%ld-USD\"", i ? "," : "", i);
        if (!rc)
            rc = putf(b, "]}");
    } else {
        return fail(err, errlen, "unknown generator gen:%.*s (deep, from_map, symbols)", (int)nl,
                    s);
    }
    return rc < 0 ? fail(err, errlen, "payload too large") : 0;
}

uint8_t *security_payload(const char *spec, const sec_vars *v, size_t *len, char *err,
                          size_t errlen)
{
    buf b = {0};
    int rc = 0;
    if (put(&b, "", 0) < 0) /* an empty payload is still a buffer */
        rc = -1;
    else if (!spec || !spec[0])
        rc = 0;
    else if (!strncmp(spec, "text:", 5))
        rc = expand_text(spec + 5, v, &b, err, errlen);
    else if (!strncmp(spec, "hex:", 4)) {
        for (const char *s = spec + 4; *s && !rc; s++) {
            if (*s == ' ')
                continue;
            int h = hexval(s[0]), l = h >= 0 ? hexval(s[1]) : -1;
            if (l < 0) {
                rc = fail(err, errlen, "bad hex at \"%.8s\"", s);
                break;
            }
            uint8_t c = (uint8_t)(h << 4 | l);
            rc = put(&b, &c, 1);
            s++;
        }
    } else if (!strncmp(spec, "fill:", 5)) {
        const char *colon = strchr(spec + 5, ':');
        long n = parse_count(spec + 5, PAYLOAD_MAX - 1);
        if (n < 0 || !colon || strlen(colon + 1) != 1)
            rc = fail(err, errlen, "fill: wants COUNT:CHAR");
        for (long i = 0; i < n && !rc; i++)
            rc = put(&b, colon + 1, 1);
    } else if (!strncmp(spec, "gen:", 4)) {
        rc = expand_gen(spec + 4, v, &b, err, errlen);
    } else {
        rc = fail(err, errlen, "a payload starts with text:, hex:, fill: or gen: (got \"%.16s\")",
                  spec);
    }
    if (rc < 0) {
        if (!err[0])
            snprintf(err, errlen, "payload too large");
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

char *security_token(const suite_ctx *ctx, const sec_case *c, const sec_vars *v, int *none,
                     int *skip, char *err, size_t errlen)
{
    const char *t = c->token ? c->token : "valid";
    const char *secret = ctx && ctx->jwt_secret && ctx->jwt_secret[0] ? ctx->jwt_secret : NULL;
    *none = 0;
    *skip = 0;
    if (!strcmp(t, "none")) {
        *none = 1;
        return NULL;
    }
    if (!strcmp(t, "valid")) {
        char *tok = ctx ? bridge_token(ctx, v->role, v->sub, 120) : strdup("x.y.z");
        if (!tok) {
            *skip = 1;
            snprintf(err, errlen, "no %s token (give --jwt-secret or --%s-token)", v->role,
                     v->role);
        }
        return tok;
    }
    if (!strncmp(t, "text:", 5)) {
        size_t n;
        uint8_t *p = security_payload(t, v, &n, err, errlen);
        return (char *)p;
    }
    if (!strncmp(t, "oversize ", 9)) {
        long n = parse_count(t + 9, 1000000);
        if (n < 3) {
            snprintf(err, errlen, "token oversize wants a size (3..1000000)");
            return NULL;
        }
        char *p = malloc((size_t)n + 1);
        if (!p)
            return NULL;
        memset(p, 'A', (size_t)n);
        p[n / 3] = '.';
        p[2 * n / 3] = '.';
        p[n] = '\0';
        return p;
    }
    if (!strncmp(t, "forge ", 6)) {
        char sign[32], hdr[512], claims[1024];
        if (sscanf(t + 6, "%31s %511s %1023s", sign, hdr, claims) != 3) {
            snprintf(err, errlen, "token forge wants SIGN HEADER CLAIMS");
            return NULL;
        }
        int bad_secret = !strcmp(sign, "HS256-wrong-secret");
        if (strcmp(sign, "HS256") && strcmp(sign, "HS512") && strcmp(sign, "none") && !bad_secret) {
            snprintf(err, errlen, "token forge: SIGN is HS256, HS512, HS256-wrong-secret or none");
            return NULL;
        }
        size_t hn, cn;
        char th[520], tc[1040]; /* the JSON is template text */
        snprintf(th, sizeof th, "text:%s", hdr);
        snprintf(tc, sizeof tc, "text:%s", claims);
        uint8_t *h = security_payload(th, v, &hn, err, errlen);
        uint8_t *cl = h ? security_payload(tc, v, &cn, err, errlen) : NULL;
        char *tok = NULL;
        if (cl) {
            char other[600];
            const char *key = secret ? secret : "sample-secret";
            if (bad_secret)
                snprintf(other, sizeof other, "%s-not-the-secret", key);
            if (ctx && !secret && strcmp(sign, "none")) {
                *skip = 1;
                snprintf(err, errlen, "a forged signed token needs --jwt-secret");
            } else {
                tok = jwt_forge(bad_secret ? other : key, (char *)h, (char *)cl,
                                bad_secret ? "HS256" : sign);
                if (!tok)
                    snprintf(err, errlen, "token forge failed");
            }
        }
        free(h);
        free(cl);
        return tok;
    }
    snprintf(err, errlen, "token is valid, none, text:..., oversize N or forge SIGN HEADER CLAIMS");
    return NULL;
}

/* ---- one case file ---- */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

static int opcode_of(const char *s)
{
    static const struct {
        const char *name;
        int op;
    } ops[] = {{"cont", 0}, {"text", 1}, {"binary", 2}, {"close", 8}, {"ping", 9}, {"pong", 10}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(s, ops[i].name))
            return ops[i].op;
    long n = parse_count(s, 15);
    return (int)n;
}

/* frame [fin=0|1] [rsv=N] [op=N|name] [mask=0|1] [len=N] [PAYLOAD] */
static int parse_frame(char *rest, sec_step *st, char *err, size_t errlen)
{
    st->fin = 1;
    st->masked = 1;
    st->opcode = 1;
    while (*rest) {
        rest = trim(rest);
        if (!*rest)
            break;
        if (!strncmp(rest, "text:", 5) || !strncmp(rest, "hex:", 4) ||
            !strncmp(rest, "fill:", 5) || !strncmp(rest, "gen:", 4)) {
            st->payload = strdup(rest);
            return st->payload ? 0 : fail(err, errlen, "out of memory");
        }
        char *sp = rest + strcspn(rest, " \t");
        char save = *sp;
        *sp = '\0';
        char *eq = strchr(rest, '=');
        if (!eq)
            return fail(err, errlen, "frame: \"%s\" is neither key=value nor a payload", rest);
        *eq = '\0';
        const char *k = rest, *val = eq + 1;
        long n;
        if (!strcmp(k, "fin") && (n = parse_count(val, 1)) >= 0)
            st->fin = (int)n;
        else if (!strcmp(k, "mask") && (n = parse_count(val, 1)) >= 0)
            st->masked = (int)n;
        else if (!strcmp(k, "rsv") && (n = parse_count(val, 7)) >= 0)
            st->rsv = (unsigned)n;
        else if (!strcmp(k, "op") && (n = opcode_of(val)) >= 0)
            st->opcode = (unsigned)n;
        else if (!strcmp(k, "len")) {
            char *e = NULL;
            errno = 0;
            unsigned long long d = strtoull(val, &e, 0);
            if (errno || !e || *e || e == val)
                return fail(err, errlen, "frame: bad len=%s", val);
            st->len_override = 1;
            st->declared_len = d;
        } else
            return fail(err, errlen, "frame: bad %s=%s (fin=0|1 rsv=0..7 op=0..15|name mask=0|1 "
                        "len=N)", k, val);
        *sp = save;
        rest = sp;
    }
    return 0;
}

static int parse_expect(char *v, sec_case *c, char *err, size_t errlen)
{
    char word[16];
    int off = 0;
    if (sscanf(v, "%15s %n", word, &off) < 1)
        return fail(err, errlen, "expect: empty");
    char *arg = v + off;
    if (!strcmp(word, "http")) {
        long n = parse_count(arg, 599);
        if (n < 100)
            return fail(err, errlen, "expect http wants a status (100..599)");
        c->expect = SEC_EXPECT_HTTP;
        c->codes[0] = (int)n;
        c->ncodes = 1;
    } else if (!strcmp(word, "close")) {
        c->expect = SEC_EXPECT_CLOSE;
        for (char *tok = strtok(arg, "|, "); tok; tok = strtok(NULL, "|, ")) {
            long n = parse_count(tok, 4999);
            if (n < 1000 || c->ncodes >= 8)
                return fail(err, errlen, "expect close wants codes 1000..4999 (up to 8, a|b)");
            c->codes[c->ncodes++] = (int)n;
        }
        if (!c->ncodes)
            return fail(err, errlen, "expect close wants a code");
    } else if (!strcmp(word, "closed") && !*arg) {
        c->expect = SEC_EXPECT_CLOSED;
    } else if (!strcmp(word, "refused") && !*arg) {
        c->expect = SEC_EXPECT_REFUSED;
    } else if (!strcmp(word, "open") && !*arg) {
        c->expect = SEC_EXPECT_OPEN;
    } else if (!strcmp(word, "error") && *arg && strlen(arg) < sizeof c->error &&
               !strchr(arg, ' ')) {
        c->expect = SEC_EXPECT_ERROR;
        snprintf(c->error, sizeof c->error, "%s", arg);
    } else {
        return fail(err, errlen, "expect is http CODE, refused, close CODE[|CODE], closed, "
                    "open or error CODE (got \"%s\")", v);
    }
    return 0;
}

static int parse_line(char *key, char *v, sec_case *c, int *have_expect, char *err, size_t errlen)
{
    long n;
    if (!strcmp(key, "group")) {
        for (int g = 0; g < SEC_NGROUPS; g++)
            if (!strcmp(v, group_names[g])) {
                c->group = (sec_group)g;
                return 0;
            }
        return fail(err, errlen, "group is framing, handshake, tokens, contract or floods");
    }
    if (!strcmp(key, "about"))
        return (c->about = strdup(v)) ? 0 : -1;
    if (!strcmp(key, "endpoints")) {
        for (char *t = strtok(v, " "); t; t = strtok(NULL, " ")) {
            if (!strcmp(t, "/ws"))
                c->endpoints |= 1;
            else if (!strcmp(t, "/ws/stream"))
                c->endpoints |= 2;
            else if (!strcmp(t, "http"))
                c->endpoints |= 4;
            else
                return fail(err, errlen, "endpoints are /ws, /ws/stream or http (got %s)", t);
        }
        return 0;
    }
    if (!strcmp(key, "token"))
        return (c->token = strdup(v)) ? 0 : -1;
    if (!strcmp(key, "token_in")) {
        if (strcmp(v, "header") && strcmp(v, "query"))
            return fail(err, errlen, "token_in is header or query");
        c->token_in_query = !strcmp(v, "query");
        return 0;
    }
    if (!strcmp(key, "header")) {
        if (c->nheaders >= SECURITY_MAX_HEADERS || !strchr(v, ':'))
            return fail(err, errlen, "header wants \"Name: value\" (up to %d)",
                        SECURITY_MAX_HEADERS);
        return (c->headers[c->nheaders++] = strdup(v)) ? 0 : -1;
    }
    if (!strcmp(key, "omit")) {
        static const char *const names[] = {"key", "version", "upgrade", "connection", "host"};
        for (unsigned i = 0; i < 5; i++)
            if (!strcmp(v, names[i])) {
                c->omit |= 1u << i;
                return 0;
            }
        return fail(err, errlen, "omit is key, version, upgrade, connection or host");
    }
    if (!strcmp(key, "conns") || !strcmp(key, "times") || !strcmp(key, "within")) {
        long max = !strcmp(key, "within") ? SECURITY_MAX_WITHIN_MS : SECURITY_MAX_CONNS;
        if ((n = parse_count(v, max)) < 1)
            return fail(err, errlen, "%s wants a number 1..%ld", key, max);
        if (!strcmp(key, "conns"))
            c->conns = (int)n;
        else if (!strcmp(key, "times"))
            c->times = (int)n;
        else
            c->within_ms = (int)n;
        return 0;
    }
    if (!strcmp(key, "hold")) {
        if (strcmp(v, "yes") && strcmp(v, "no"))
            return fail(err, errlen, "hold is yes or no");
        c->hold = !strcmp(v, "yes");
        return 0;
    }
    if (!strcmp(key, "expect")) {
        if (*have_expect)
            return fail(err, errlen, "expect given twice");
        *have_expect = 1;
        return parse_expect(v, c, err, errlen);
    }
    /* steps, optionally "repeat N <step>" */
    int repeat = 1;
    if (!strcmp(key, "repeat")) {
        char *sp = v + strcspn(v, " ");
        if (!*sp)
            return fail(err, errlen, "repeat wants N and a step");
        *sp = '\0';
        if ((n = parse_count(v, SECURITY_MAX_REPEAT)) < 1)
            return fail(err, errlen, "repeat wants 1..%d", SECURITY_MAX_REPEAT);
        repeat = (int)n;
        key = trim(sp + 1);
        v = key + strcspn(key, " ");
        if (*v)
            *v++ = '\0';
        v = trim(v);
    }
    if (c->nsteps >= SECURITY_MAX_STEPS)
        return fail(err, errlen, "more than %d steps", SECURITY_MAX_STEPS);
    sec_step *st = &c->steps[c->nsteps];
    memset(st, 0, sizeof *st);
    st->repeat = repeat;
    if (!strcmp(key, "upgrade")) {
        if (*v || repeat != 1 || c->nsteps)
            return fail(err, errlen, "upgrade takes nothing, once, as the first step");
        st->kind = SEC_STEP_UPGRADE;
    } else if (!strcmp(key, "frame")) {
        st->kind = SEC_STEP_FRAME;
        if (parse_frame(v, st, err, errlen) < 0)
            return -1;
    } else if (!strcmp(key, "bytes")) {
        st->kind = SEC_STEP_BYTES;
        if (!*v)
            return fail(err, errlen, "bytes wants a payload");
        if (!(st->payload = strdup(v)))
            return -1;
    } else if (!strcmp(key, "pause")) {
        st->kind = SEC_STEP_PAUSE;
        if ((n = parse_count(v, 10000)) < 1)
            return fail(err, errlen, "pause wants 1..10000 ms");
        st->pause_ms = (int)n;
    } else {
        return fail(err, errlen, "unknown key \"%s\"", key);
    }
    c->nsteps++;
    return 0;
}

/* What a case must hold together, with sample values for its templates. */
static int validate(sec_case *c, int have_expect, char *err, size_t errlen)
{
    if (!c->about)
        return fail(err, errlen, "no \"about\" line");
    if ((int)c->group < 0)
        return fail(err, errlen, "no \"group\" line");
    if (!c->endpoints)
        return fail(err, errlen, "no \"endpoints\" line");
    if (!have_expect)
        return fail(err, errlen, "no \"expect\" line");
    int upgrades = c->nsteps && c->steps[0].kind == SEC_STEP_UPGRADE;
    if ((c->endpoints & 4) && (c->endpoints & 3))
        return fail(err, errlen, "endpoints: http cannot be mixed with /ws or /ws/stream");
    if ((c->endpoints & 4) && upgrades)
        return fail(err, errlen, "an http case sends its own request (no upgrade step)");
    if ((c->expect == SEC_EXPECT_ERROR || c->expect == SEC_EXPECT_OPEN) && !upgrades)
        return fail(err, errlen, "expect %s needs an upgrade step first",
                    c->expect == SEC_EXPECT_ERROR ? "error" : "open");
    if (!c->nsteps && c->conns < 2)
        return fail(err, errlen, "no steps (only a case with conns N may send nothing)");
    sec_vars v = {.sub = "sample", .role = "publisher", .other_role = "subscriber",
                  .path = "/ws", .bot = "bot-1", .seq = 1, .now = 1700000000};
    for (int i = 0; i < c->nsteps; i++) {
        if (!c->steps[i].payload)
            continue;
        size_t n;
        char e[200] = "";
        uint8_t *p = security_payload(c->steps[i].payload, &v, &n, e, sizeof e);
        if (!p)
            return fail(err, errlen, "step %d: %s", i + 1, e);
        free(p);
    }
    int none = 0, skip = 0;
    char e[200] = "";
    char *tok = security_token(NULL, c, &v, &none, &skip, e, sizeof e);
    if (!tok && !none)
        return fail(err, errlen, "token: %s", e);
    free(tok);
    return 0;
}

int security_case_parse(const char *path, sec_case *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->group = (sec_group)-1;
    c->conns = 1;
    c->times = 1;
    c->within_ms = 3000;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    c->file = strdup(path);
    c->name = strndup(base, strcspn(base, "."));
    FILE *f = fopen(path, "r");
    if (!f || !c->file || !c->name) {
        snprintf(err, errlen, "%s: %s", path, f ? "out of memory" : strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    char line[8192], e[400] = "";
    int lineno = 0, have_expect = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s:%d: line longer than %zu bytes", path, lineno,
                     sizeof line - 2);
            rc = -1;
            break;
        }
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *v = s + strcspn(s, " \t");
        if (*v)
            *v++ = '\0';
        v = trim(v);
        if (parse_line(s, v, c, &have_expect, e, sizeof e) < 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, e[0] ? e : "out of memory");
            rc = -1;
            break;
        }
    }
    fclose(f);
    if (!rc && validate(c, have_expect, e, sizeof e) < 0) {
        snprintf(err, errlen, "%s: %s", path, e);
        rc = -1;
    }
    return rc;
}

static void case_free(sec_case *c)
{
    free(c->file);
    free(c->name);
    free(c->about);
    free(c->token);
    for (int i = 0; i < c->nheaders; i++)
        free(c->headers[i]);
    for (int i = 0; i < c->nsteps; i++)
        free(c->steps[i].payload);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int security_catalogue_load(const char *dir, sec_catalogue *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "the security catalogue %s: %s (set WSB_SECURITY_CASES)", dir,
                 strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".case"))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn)
                break;
            names = nn;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    int rc = 0;
    if (!n) {
        snprintf(err, errlen, "the security catalogue %s holds no *.case file", dir);
        rc = -1;
    } else {
        qsort(names, n, sizeof *names, by_name);
        out->cases = calloc(n, sizeof *out->cases);
        for (size_t i = 0; i < n && out->cases && !rc; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            if (security_case_parse(path, &out->cases[out->n], err, errlen) < 0) {
                case_free(&out->cases[out->n]);
                rc = -1;
            } else {
                out->n++;
            }
        }
        if (!out->cases) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc)
        security_catalogue_free(out);
    return rc;
}

void security_catalogue_free(sec_catalogue *cat)
{
    for (size_t i = 0; i < cat->n; i++)
        case_free(&cat->cases[i]);
    free(cat->cases);
    memset(cat, 0, sizeof *cat);
}
