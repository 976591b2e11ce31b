/* wjson: strict JSON reading on top of cJSON.
 *
 * wjson_parse() makes one pass over the raw text before cJSON sees it: the
 * bytes must be well-formed UTF-8, carry no NUL byte and no raw control
 * character inside a string, no \u0000 escape, numbers must follow the JSON
 * grammar (cJSON would take "01" or "1."), and objects/arrays may not nest
 * deeper than the limit. After cJSON has parsed, one walk over the tree
 * refuses duplicate keys and numbers that overflowed to infinity.
 * Integers are read from valuedouble (wjson_get_int64), never valueint.
 * The path getters walk objects member by member without copying names. */
#include "wjson.h"
#include "wlog.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WJSON_MAX_FILE_BYTES (256L * 1024 * 1024) /* files larger than this are refused */
#define WJSON_SMALL_OBJECT 16 /* objects up to this many members are checked pairwise */

/* Length of the UTF-8 sequence starting at s (at most n bytes), 0 when malformed. */
static size_t wjson_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];

    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0; /* continuation byte or overlong 2-byte lead */
    if (c < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80)
            return 0;
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0)
            return 0; /* UTF-16 surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && s[1] >= 0x90)
            return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}

int wjson_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = wjson_utf8_seq(p + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

static int wjson_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int wjson_is_hex(unsigned char c)
{
    return wjson_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Checks the JSON number grammar at p[i]; returns the index after it or 0 when malformed. */
static size_t wjson_scan_number(const unsigned char *p, size_t len, size_t i)
{
    if (i < len && p[i] == '-')
        i++;
    if (i >= len || !wjson_is_digit(p[i]))
        return 0;
    if (p[i] == '0') {
        i++;
    } else {
        while (i < len && wjson_is_digit(p[i]))
            i++;
    }
    if (i < len && p[i] == '.') {
        i++;
        if (i >= len || !wjson_is_digit(p[i]))
            return 0;
        while (i < len && wjson_is_digit(p[i]))
            i++;
    }
    if (i < len && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < len && (p[i] == '+' || p[i] == '-'))
            i++;
        if (i >= len || !wjson_is_digit(p[i]))
            return 0;
        while (i < len && wjson_is_digit(p[i]))
            i++;
    }
    if (i < len && (wjson_is_digit(p[i]) || p[i] == '.' || p[i] == 'e' || p[i] == 'E'))
        return 0; /* "01", "1.2.3", "1e5e5" */
    return i;
}

/* The raw-text pass: UTF-8, NUL bytes, control characters in strings,
 * \u0000, number grammar and nesting depth. 0 when fine, -1 with err. */
static int wjson_prescan(const char *text, size_t len, int max_depth, char *err, size_t errlen)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    int depth = 0;

    while (i < len) {
        unsigned char c = p[i];

        if (c == '"') {
            i++;
            for (;;) {
                if (i >= len) {
                    wlog_seterr(err, errlen, "unterminated string at byte %zu", i);
                    return -1;
                }
                c = p[i];
                if (c == '"') {
                    i++;
                    break;
                }
                if (c == '\\') {
                    if (i + 1 >= len) {
                        wlog_seterr(err, errlen, "unterminated string at byte %zu", i);
                        return -1;
                    }
                    if (p[i + 1] == 'u') {
                        if (i + 5 >= len || !wjson_is_hex(p[i + 2]) || !wjson_is_hex(p[i + 3])
                            || !wjson_is_hex(p[i + 4]) || !wjson_is_hex(p[i + 5])) {
                            wlog_seterr(err, errlen, "malformed \\u escape at byte %zu", i);
                            return -1;
                        }
                        if (memcmp(p + i + 2, "0000", 4) == 0) {
                            wlog_seterr(err, errlen, "\\u0000 in a string at byte %zu", i);
                            return -1;
                        }
                        i += 6;
                    } else {
                        i += 2;
                    }
                    continue;
                }
                if (c < 0x20) {
                    if (c == 0)
                        wlog_seterr(err, errlen, "NUL byte at byte %zu", i);
                    else
                        wlog_seterr(err, errlen, "control character 0x%02x in a string at byte %zu",
                                     c, i);
                    return -1;
                }
                if (c < 0x80) {
                    i++;
                    continue;
                }
                size_t n = wjson_utf8_seq(p + i, len - i);
                if (n == 0) {
                    wlog_seterr(err, errlen, "invalid UTF-8 at byte %zu", i);
                    return -1;
                }
                i += n;
            }
            continue;
        }
        if (c == '{' || c == '[') {
            if (++depth > max_depth) {
                wlog_seterr(err, errlen, "nesting deeper than %d", max_depth);
                return -1;
            }
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == '-' || wjson_is_digit(c)) {
            size_t end = wjson_scan_number(p, len, i);
            if (end == 0) {
                wlog_seterr(err, errlen, "malformed number at byte %zu", i);
                return -1;
            }
            i = end;
            continue;
        } else if (c == 0) {
            wlog_seterr(err, errlen, "NUL byte at byte %zu", i);
            return -1;
        } else if (c >= 0x80) {
            if (wjson_utf8_seq(p + i, len - i) == 0)
                wlog_seterr(err, errlen, "invalid UTF-8 at byte %zu", i);
            else
                wlog_seterr(err, errlen, "malformed JSON near byte %zu", i);
            return -1;
        }
        i++;
    }
    return 0;
}

static int wjson_cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Refuses duplicate keys and non-finite numbers, recursively. */
static int wjson_check_tree(const cJSON *node, char *err, size_t errlen)
{
    if (cJSON_IsNumber(node)) {
        if (!isfinite(node->valuedouble)) {
            wlog_seterr(err, errlen, "number out of range");
            return -1;
        }
        return 0;
    }
    if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
        return 0;
    if (cJSON_IsObject(node)) {
        size_t n = 0;
        const cJSON *c;

        for (c = node->child; c != NULL; c = c->next)
            n++;
        if (n > 1 && n <= WJSON_SMALL_OBJECT) {
            for (c = node->child; c != NULL; c = c->next) {
                const cJSON *d;
                for (d = c->next; d != NULL; d = d->next) {
                    if (c->string[0] == d->string[0] && strcmp(c->string, d->string) == 0) {
                        wlog_seterr(err, errlen, "duplicate key \"%.64s\"", c->string);
                        return -1;
                    }
                }
            }
        } else if (n > WJSON_SMALL_OBJECT) {
            const char **names = malloc(n * sizeof(*names));
            size_t i = 0;

            if (names == NULL) {
                wlog_seterr(err, errlen, "out of memory");
                return -1;
            }
            for (c = node->child; c != NULL; c = c->next)
                names[i++] = c->string;
            qsort(names, n, sizeof(*names), wjson_cmp_names);
            for (i = 1; i < n; i++) {
                if (strcmp(names[i - 1], names[i]) == 0) {
                    wlog_seterr(err, errlen, "duplicate key \"%.64s\"", names[i]);
                    free(names);
                    return -1;
                }
            }
            free(names);
        }
    }
    for (const cJSON *c = node->child; c != NULL; c = c->next) {
        if (wjson_check_tree(c, err, errlen) != 0)
            return -1;
    }
    return 0;
}

cJSON *wjson_parse(const char *text, size_t len, int max_depth, char *err, size_t errlen)
{
    const char *end = NULL;
    cJSON *root;
    size_t i;

    if (text == NULL) {
        wlog_seterr(err, errlen, "no input");
        return NULL;
    }
    if (max_depth <= 0)
        max_depth = WJSON_DEFAULT_MAX_DEPTH;
    if (wjson_prescan(text, len, max_depth, err, errlen) != 0)
        return NULL;
    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root == NULL) {
        size_t at = (end != NULL && end >= text && end <= text + len) ? (size_t)(end - text) : 0;
        wlog_seterr(err, errlen, "malformed JSON near byte %zu", at);
        return NULL;
    }
    i = (end != NULL && end >= text) ? (size_t)(end - text) : len;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    if (i < len) {
        wlog_seterr(err, errlen, "malformed JSON near byte %zu (text after the value)", i);
        cJSON_Delete(root);
        return NULL;
    }
    if (wjson_check_tree(root, err, errlen) != 0) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int wjson_get_int64(const cJSON *item, int64_t *out)
{
    double v;

    if (!cJSON_IsNumber(item))
        return 0;
    v = item->valuedouble;
    if (!isfinite(v) || floor(v) != v || fabs(v) > (double)WJSON_MAX_EXACT_INT)
        return 0;
    if (out != NULL)
        *out = (int64_t)v;
    return 1;
}

/* The member of obj whose name is the len bytes at name, or NULL. */
static const cJSON *wjson_member(const cJSON *obj, const char *name, size_t len)
{
    const cJSON *it;

    if (!cJSON_IsObject(obj))
        return NULL;
    for (it = obj->child; it != NULL; it = it->next)
        if (it->string != NULL && strncmp(it->string, name, len) == 0 && it->string[len] == '\0')
            return it;
    return NULL;
}

const cJSON *wjson_get(const cJSON *root, const char *path)
{
    const cJSON *cur = root;
    const char *p = path;

    if (cur == NULL || p == NULL || *p == '\0')
        return cur;
    while (cur != NULL) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        cur = wjson_member(cur, p, len);
        if (dot == NULL)
            break;
        p = dot + 1;
    }
    return cur;
}

const cJSON *wjson_getv(const cJSON *root, ...)
{
    const cJSON *cur = root;
    const char *name;
    va_list ap;

    va_start(ap, root);
    while (cur != NULL && (name = va_arg(ap, const char *)) != NULL)
        cur = wjson_member(cur, name, strlen(name));
    va_end(ap);
    return cur;
}

const char *wjson_str(const cJSON *root, const char *path, const char *dflt)
{
    const cJSON *v = wjson_get(root, path);

    return cJSON_IsString(v) && v->valuestring != NULL ? v->valuestring : dflt;
}

double wjson_num(const cJSON *root, const char *path, double dflt)
{
    const cJSON *v = wjson_get(root, path);

    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

int64_t wjson_int(const cJSON *root, const char *path, int64_t dflt)
{
    int64_t v;

    return wjson_get_int64(wjson_get(root, path), &v) ? v : dflt;
}

char *wjson_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f;
    char *buf = NULL;
    size_t cap = 0, n = 0;

    f = fopen(path, "rb");
    if (f == NULL) {
        wlog_seterr(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (cap - n < 4096 + 1) {
            size_t ncap = cap ? cap * 2 : 8192;
            char *nb;
            if (ncap > (size_t)WJSON_MAX_FILE_BYTES + 8192) {
                wlog_seterr(err, errlen, "%s: larger than %ld bytes", path,
                             (long)WJSON_MAX_FILE_BYTES);
                goto fail;
            }
            nb = realloc(buf, ncap);
            if (nb == NULL) {
                wlog_seterr(err, errlen, "%s: out of memory", path);
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                wlog_seterr(err, errlen, "cannot read %s: %s", path, strerror(errno));
                goto fail;
            }
            break;
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
fail:
    free(buf);
    fclose(f);
    return NULL;
}

cJSON *wjson_parse_file(const char *path, int max_depth, char *err, size_t errlen)
{
    size_t len = 0;
    char *text = wjson_read_file(path, &len, err, errlen);
    char why[256];
    cJSON *root;

    if (text == NULL)
        return NULL;
    root = wjson_parse(text, len, max_depth, why, sizeof(why));
    if (root == NULL)
        wlog_seterr(err, errlen, "%s: %s", path, why);
    free(text);
    return root;
}
