/* jsonschema_regex: the regexes of `pattern` and `patternProperties`.
 *
 * Patterns (ECMA-262 in the spec) are translated to POSIX extended regular
 * expressions and compiled under the C.UTF-8 locale, so a class or `.`
 * matches one code point. Differences from ECMA-262:
 *   - \d \w \s \D \W \S become [0-9], [A-Za-z0-9_], [[:space:]] and their
 *     negations (\s follows the locale's space class, close to ECMA's);
 *   - `.` is [^\n\r] (ECMA also excludes U+2028/U+2029);
 *   - lazy quantifiers (*? +? ?? {n,m}?) become greedy: the match/no-match
 *     answer of an unanchored search is the same;
 *   - (?:...) and (?<name>...) become plain groups;
 *   - lookarounds, backreferences, \p{..} and the empty classes [] [^] are
 *     refused when the schema loads, with a message naming the pattern.
 * Patterns match anywhere in the string (ECMA `search`), as the spec says.
 * Simple patterns (anchored sequences of classes, literals and groups with
 * counts, no alternation) are also compiled to a small backtracking matcher
 * with a step budget (jsonschema_fast.c), used for ASCII strings; regexec is
 * the fallback. */
#include "jsonschema_int.h"
#include "wlog.h"

#include <ctype.h>
#include <locale.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

/* ---- pattern translation (ECMA-262 -> POSIX ERE) ---- */

typedef struct js_buf {
    char *s;
    size_t n, cap;
    int oom;
} js_buf;

static void js_buf_put(js_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 64;
        while (ncap < b->n + n + 1)
            ncap *= 2;
        char *p = realloc(b->s, ncap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = ncap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void js_buf_puts(js_buf *b, const char *s)
{
    js_buf_put(b, s, strlen(s));
}

static size_t js_utf8_encode(unsigned long cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes a character escape at p (just after the backslash) that stands for
 * one character: \n \t \r \f \v \xHH \uHHHH (with surrogate pairs) \cX, or an
 * identity escape. Writes UTF-8 to out, returns the pattern bytes consumed,
 * 0 when p is not such an escape, -1 with err for a refused one. */
static int js_char_escape(const char *p, char *out, size_t *outn, char *err, size_t errlen)
{
    unsigned long cp;

    switch (*p) {
    case 'n': cp = '\n'; break;
    case 't': cp = '\t'; break;
    case 'r': cp = '\r'; break;
    case 'f': cp = '\f'; break;
    case 'v': cp = '\v'; break;
    case 'x':
        if (js_hexval(p[1]) < 0 || js_hexval(p[2]) < 0)
            return 0;
        cp = (unsigned long)(js_hexval(p[1]) * 16 + js_hexval(p[2]));
        if (cp == 0) {
            wlog_seterr(err, errlen, "\\x00 cannot be expressed");
            return -1;
        }
        *outn = js_utf8_encode(cp, out);
        return 3;
    case 'u': {
        int i;
        cp = 0;
        for (i = 1; i <= 4; i++) {
            if (js_hexval(p[i]) < 0)
                return 0;
            cp = cp * 16 + (unsigned long)js_hexval(p[i]);
        }
        int used = 5;
        if (cp >= 0xD800 && cp <= 0xDBFF && p[5] == '\\' && p[6] == 'u') {
            unsigned long lo = 0;
            for (i = 7; i <= 10; i++) {
                if (js_hexval(p[i]) < 0)
                    break;
                lo = lo * 16 + (unsigned long)js_hexval(p[i]);
            }
            if (i == 11 && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                used = 11;
            }
        }
        if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
            wlog_seterr(err, errlen, "\\u escape for NUL or a lone surrogate cannot be expressed");
            return -1;
        }
        *outn = js_utf8_encode(cp, out);
        return used;
    }
    case 'c':
        if (!isalpha((unsigned char)p[1]))
            return 0;
        cp = (unsigned long)(toupper((unsigned char)p[1]) - '@');
        out[0] = (char)cp;
        *outn = 1;
        return 2;
    case '0':
        wlog_seterr(err, errlen, "\\0 (NUL) cannot be expressed");
        return -1;
    default:
        if (*p >= '1' && *p <= '9') {
            wlog_seterr(err, errlen, "backreferences are not supported");
            return -1;
        }
        if (*p == 'k') {
            wlog_seterr(err, errlen, "named backreferences are not supported");
            return -1;
        }
        if (*p == 'p' || *p == 'P') {
            wlog_seterr(err, errlen, "unicode property escapes are not supported");
            return -1;
        }
        if (isalnum((unsigned char)*p))
            return 0;
        if ((unsigned char)*p < 0x80 && *p != '\0') {
            out[0] = *p;
            *outn = 1;
            return 1;
        }
        return 0;
    }
    out[0] = (char)cp;
    *outn = 1;
    return 1;
}

/* Length of a UTF-8 character starting at p (1 for invalid bytes). */
static size_t js_u8len(const char *p)
{
    unsigned char c = (unsigned char)*p;
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    for (size_t i = 1; i < n; i++)
        if (p[i] == '\0')
            return i;
    return n;
}

/* Emits one literal character (UTF-8 bytes) for use outside a bracket expression. */
static void js_emit_literal(js_buf *b, const char *ch, size_t n)
{
    if (n == 1 && strchr(".[]()*+?{}|^$\\", ch[0]) != NULL)
        js_buf_put(b, "\\", 1);
    js_buf_put(b, ch, n);
}

/* An endpoint or member inside a bracket expression, with the chars POSIX
 * treats specially there written as collating symbols. */
static void js_emit_class_char(js_buf *b, const char *ch, size_t n)
{
    if (n == 1 && (ch[0] == ']' || ch[0] == '-' || ch[0] == '^' || ch[0] == '[')) {
        js_buf_puts(b, "[.");
        js_buf_put(b, ch, 1);
        js_buf_puts(b, ".]");
        return;
    }
    js_buf_put(b, ch, n);
}

/* Translates the class starting after '[' at *pp; advances *pp past ']'. */
static int js_translate_class(const char **pp, js_buf *b, char *err, size_t errlen)
{
    const char *p = *pp;
    int neg = 0;
    js_buf body = {0};
    int items = 0;

    if (*p == '^') {
        neg = 1;
        p++;
    }
    if (*p == ']') {
        wlog_seterr(err, errlen, "empty classes [] and [^] are not supported");
        return -1;
    }
    while (*p && *p != ']') {
        char c1[8], c2[8];
        size_t n1 = 0, n2 = 0;
        int is_class = 0;

        if (*p == '\\') {
            p++;
            if (*p == 'd' || *p == 'w' || *p == 's') {
                js_buf_puts(&body, *p == 'd' ? "0-9" : *p == 'w' ? "A-Za-z0-9_" : "[:space:]");
                p++;
                items++;
                is_class = 1;
            } else if (*p == 'D' || *p == 'W' || *p == 'S') {
                wlog_seterr(err, errlen, "negated class escape \\%c inside [] is not supported",
                          *p);
                free(body.s);
                return -1;
            } else if (*p == 'b') {
                c1[0] = '\b';
                n1 = 1;
                p++;
            } else if (*p == '-') {
                c1[0] = '-';
                n1 = 1;
                p++;
            } else {
                int used = js_char_escape(p, c1, &n1, err, errlen);
                if (used < 0) {
                    free(body.s);
                    return -1;
                }
                if (used == 0) {
                    wlog_seterr(err, errlen, "unsupported escape \\%c in a class", *p);
                    free(body.s);
                    return -1;
                }
                p += used;
            }
        } else {
            n1 = js_u8len(p);
            memcpy(c1, p, n1);
            p += n1;
        }
        if (is_class)
            continue;
        /* a range? */
        if (p[0] == '-' && p[1] != ']' && p[1] != '\0') {
            const char *q = p + 1;
            if (*q == '\\') {
                q++;
                if (strchr("dwsDWS", *q) != NULL) {
                    wlog_seterr(err, errlen, "class escape as a range end is not supported");
                    free(body.s);
                    return -1;
                }
                int used;
                if (*q == 'b') {
                    c2[0] = '\b';
                    n2 = 1;
                    used = 1;
                } else if (*q == '-') {
                    c2[0] = '-';
                    n2 = 1;
                    used = 1;
                } else {
                    used = js_char_escape(q, c2, &n2, err, errlen);
                }
                if (used <= 0) {
                    if (used == 0)
                        wlog_seterr(err, errlen, "unsupported escape in a class range");
                    free(body.s);
                    return -1;
                }
                q += used;
            } else {
                n2 = js_u8len(q);
                memcpy(c2, q, n2);
                q += n2;
            }
            p = q;
            js_emit_class_char(&body, c1, n1);
            js_buf_put(&body, "-", 1);
            js_emit_class_char(&body, c2, n2);
        } else {
            js_emit_class_char(&body, c1, n1);
        }
        items++;
    }
    if (*p != ']') {
        wlog_seterr(err, errlen, "unterminated class");
        free(body.s);
        return -1;
    }
    *pp = p + 1;
    js_buf_puts(b, neg ? "[^" : "[");
    if (body.s != NULL)
        js_buf_puts(b, body.s);
    js_buf_puts(b, "]");
    free(body.s);
    (void)items;
    return 0;
}

/* 1 when p (after '{') is a valid quantifier body "n}", "n,}" or "n,m}"; sets *len. */
int js_is_quant(const char *p, size_t *len)
{
    const char *q = p;

    if (!isdigit((unsigned char)*q))
        return 0;
    while (isdigit((unsigned char)*q))
        q++;
    if (*q == ',') {
        q++;
        while (isdigit((unsigned char)*q))
            q++;
    }
    if (*q != '}')
        return 0;
    *len = (size_t)(q - p) + 1;
    return 1;
}

/* ECMA-262 pattern -> POSIX ERE, malloc'd; NULL with err when refused. */
static char *js_translate(const char *src, char *err, size_t errlen)
{
    js_buf b = {0};
    const char *p = src;

    js_buf_puts(&b, "");
    while (*p) {
        char ch[8];
        size_t n = 0;

        switch (*p) {
        case '\\':
            p++;
            switch (*p) {
            case 'd': js_buf_puts(&b, "[0-9]"); p++; continue;
            case 'D': js_buf_puts(&b, "[^0-9]"); p++; continue;
            case 'w': js_buf_puts(&b, "[A-Za-z0-9_]"); p++; continue;
            case 'W': js_buf_puts(&b, "[^A-Za-z0-9_]"); p++; continue;
            case 's': js_buf_puts(&b, "[[:space:]]"); p++; continue;
            case 'S': js_buf_puts(&b, "[^[:space:]]"); p++; continue;
            case 'b': js_buf_puts(&b, "\\b"); p++; continue;
            case 'B': js_buf_puts(&b, "\\B"); p++; continue;
            case '\0':
                wlog_seterr(err, errlen, "pattern ends with a backslash");
                free(b.s);
                return NULL;
            default: {
                int used = js_char_escape(p, ch, &n, err, errlen);
                if (used < 0) {
                    free(b.s);
                    return NULL;
                }
                if (used == 0) {
                    wlog_seterr(err, errlen, "unsupported escape \\%c", *p);
                    free(b.s);
                    return NULL;
                }
                js_emit_literal(&b, ch, n);
                p += used;
                continue;
            }
            }
        case '[':
            p++;
            if (js_translate_class(&p, &b, err, errlen) != 0) {
                free(b.s);
                return NULL;
            }
            continue;
        case '(':
            if (p[1] == '?') {
                if (p[2] == ':') {
                    p += 3;
                } else if (p[2] == '=' || p[2] == '!'
                           || (p[2] == '<' && (p[3] == '=' || p[3] == '!'))) {
                    wlog_seterr(err, errlen, "lookarounds are not supported by POSIX regex");
                    free(b.s);
                    return NULL;
                } else if (p[2] == '<') {
                    const char *q = strchr(p + 3, '>');
                    if (q == NULL) {
                        wlog_seterr(err, errlen, "malformed named group");
                        free(b.s);
                        return NULL;
                    }
                    p = q + 1;
                } else {
                    wlog_seterr(err, errlen, "unsupported group (?%c", p[2]);
                    free(b.s);
                    return NULL;
                }
            } else {
                p++;
            }
            js_buf_puts(&b, "(");
            continue;
        case '.':
            js_buf_puts(&b, "[^\n\r]");
            p++;
            break;
        case '*':
        case '+':
        case '?':
            js_buf_put(&b, p, 1);
            p++;
            break;
        case '{': {
            size_t qlen;
            if (js_is_quant(p + 1, &qlen)) {
                js_buf_put(&b, p, qlen + 1);
                p += qlen + 1;
            } else {
                js_buf_puts(&b, "\\{");
                p++;
                continue;
            }
            break;
        }
        case '}':
            js_buf_puts(&b, "\\}");
            p++;
            continue;
        case ']':
            js_buf_puts(&b, "\\]");
            p++;
            continue;
        default:
            n = js_u8len(p);
            js_buf_put(&b, p, n);
            p += n;
            continue;
        }
        /* after a quantifier or '.': a lazy '?' changes nothing for search */
        if (*p == '?' && (p[-1] == '*' || p[-1] == '+' || p[-1] == '?' || p[-1] == '}')
            && p[-1] != '.')
            p++;
    }
    if (b.oom) {
        free(b.s);
        wlog_seterr(err, errlen, "out of memory");
        return NULL;
    }
    return b.s;
}

/* ---- compiled patterns ---- */

void js_regex_free(js_regex *r)
{
    if (r == NULL)
        return;
    regfree(&r->re);
    js_fast_free(r->fast);
    free(r->src);
    free(r);
}

js_regex *js_regex_compile(jsonschema_registry *reg, const char *src, char *err, size_t errlen)
{
    char why[200];
    char *ere = js_translate(src, why, sizeof(why));
    js_regex *r;
    int rc;

    if (ere == NULL) {
        wlog_seterr(err, errlen, "pattern \"%.100s\": %s", src, why);
        return NULL;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL || (r->src = strdup(src)) == NULL) {
        free(r);
        free(ere);
        wlog_seterr(err, errlen, "out of memory");
        return NULL;
    }
    locale_t old = uselocale(reg->loc);
    rc = regcomp(&r->re, ere, REG_EXTENDED | REG_NOSUB);
    uselocale(old);
    if (rc != 0) {
        regerror(rc, &r->re, why, sizeof(why));
        wlog_seterr(err, errlen, "pattern \"%.100s\": %s", src, why);
        free(ere);
        free(r->src);
        free(r);
        return NULL;
    }
    free(ere);
    r->fast = js_fast_compile(src);
    return r;
}

static int js_is_ascii(const char *s, size_t *len)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char acc = 0;
    size_t n = 0;

    while (p[n]) {
        acc |= p[n];
        n++;
    }
    *len = n;
    return acc < 0x80;
}

/* 1 when s matches anywhere (ECMA search). Call with the registry's locale in use. */
int js_regex_search(const js_regex *r, const char *s)
{
    size_t len;

    if (r->fast != NULL && js_is_ascii(s, &len)) {
        int m = js_fast_match(r->fast, s, len);
        if (m >= 0)
            return m;
    }
    return regexec(&r->re, s, 0, NULL, 0) == 0;
}
