/* jsonschema_uri: the URI work of the JSON Schema validator (RFC 3986).
 *
 * Schema documents are named by URIs (an `$id`, or the absolute path of the
 * file a document came from) and every `$ref` or subschema `$id` is a URI
 * reference resolved against the base URI in effect where it stands. This
 * file resolves a reference against a base (section 5.2, dot segments
 * removed, the fragment kept as written), drops the empty fragment that
 * ".../schema#" ends with, tells file paths from other URIs and decodes %XX.
 * Plain strings: nothing here knows about schemas. */
#include "jsonschema_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int js_has_scheme(const char *s)
{
    const char *p = s;

    if (!isalpha((unsigned char)*p))
        return 0;
    while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    return *p == ':';
}

/* Removes "." and ".." segments from path in place (RFC 3986 5.2.4). */
static void js_remove_dots(char *path)
{
    size_t len = strlen(path);
    char **segs = malloc((len + 2) * sizeof(*segs));
    char *copy = strdup(path);
    size_t n = 0;
    int abs = (path[0] == '/'), trailing = 0;

    if (segs == NULL || copy == NULL) {
        free(segs);
        free(copy);
        return;
    }
    char *p = copy + abs;
    for (;;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        trailing = 0;
        if (strcmp(p, ".") == 0) {
            trailing = 1;
        } else if (strcmp(p, "..") == 0) {
            if (n > 0 && strcmp(segs[n - 1], "..") != 0)
                n--;
            else if (!abs)
                segs[n++] = p;
            trailing = 1;
        } else {
            segs[n++] = p;
        }
        if (!slash)
            break;
        p = slash + 1;
    }
    char *o = path;
    if (abs)
        *o++ = '/';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(segs[i]);
        memcpy(o, segs[i], l);
        o += l;
        if (i + 1 < n)
            *o++ = '/';
    }
    if (trailing && n > 0)
        *o++ = '/';
    *o = '\0';
    free(segs);
    free(copy);
}

/* Resolves ref against base; malloc'd. Fragments are kept as written. */
char *js_uri_resolve(const char *base, const char *ref)
{
    size_t blen, rlen = strlen(ref);
    char *out;

    if (js_has_scheme(ref) || base == NULL || *base == '\0') {
        out = strdup(ref);
        if (out == NULL)
            return NULL;
        /* normalise dots in the path part of an absolute ref */
        char *frag = strchr(out, '#');
        char *fragcopy = NULL;
        if (frag != NULL) {
            fragcopy = strdup(frag);
            if (fragcopy == NULL) {
                free(out);
                return NULL;
            }
            *frag = '\0';
        }
        char *path = out;
        if (js_has_scheme(out)) {
            path = strchr(out, ':') + 1;
            if (path[0] == '/' && path[1] == '/') {
                char *slash = strchr(path + 2, '/');
                path = slash ? slash : path + strlen(path);
            }
        }
        if (strstr(path, "/.") != NULL || path[0] == '.')
            js_remove_dots(path);
        if (fragcopy != NULL) {
            strcat(out, fragcopy); /* the path only shrank: it fits */
            free(fragcopy);
        }
        return out;
    }
    /* base without its fragment */
    const char *bh = strchr(base, '#');
    blen = bh ? (size_t)(bh - base) : strlen(base);
    out = malloc(blen + rlen + 4);
    if (out == NULL)
        return NULL;
    if (ref[0] == '#' || rlen == 0) {
        memcpy(out, base, blen);
        strcpy(out + blen, ref);
        return out;
    }
    /* scheme and authority of the base */
    size_t pre = 0;
    if (js_has_scheme(base)) {
        pre = (size_t)(strchr(base, ':') - base) + 1;
        if (pre + 1 < blen && base[pre] == '/' && base[pre + 1] == '/') {
            const char *slash = memchr(base + pre + 2, '/', blen - pre - 2);
            pre = slash ? (size_t)(slash - base) : blen;
        }
    }
    if (ref[0] == '/' && ref[1] == '/') {
        size_t sch = js_has_scheme(base) ? (size_t)(strchr(base, ':') - base) + 1 : 0;
        memcpy(out, base, sch);
        strcpy(out + sch, ref);
        return out;
    }
    memcpy(out, base, pre);
    size_t o = pre;
    if (ref[0] == '/') {
        strcpy(out + o, ref);
    } else {
        /* merge: base path up to its last slash, then ref */
        const char *bpath = base + pre;
        size_t bplen = blen - pre;
        size_t keep = 0;
        for (size_t i = 0; i < bplen; i++)
            if (bpath[i] == '/')
                keep = i + 1;
        if (keep == 0 && pre > 0 && bplen == 0)
            out[o++] = '/';
        memcpy(out + o, bpath, keep);
        o += keep;
        strcpy(out + o, ref);
    }
    /* dot segments in the path (not the fragment) */
    char *frag = strchr(out + pre, '#');
    char *fragcopy = NULL;
    if (frag) {
        fragcopy = strdup(frag);
        *frag = '\0';
    }
    js_remove_dots(out + pre);
    if (fragcopy) {
        strcat(out, fragcopy);
        free(fragcopy);
    }
    return out;
}

/* A copy of uri without a trailing empty fragment ("...schema#" -> "...schema"). */
char *js_uri_norm(const char *uri)
{
    size_t n = strlen(uri);
    char *s;

    if (n > 0 && uri[n - 1] == '#')
        n--;
    s = malloc(n + 1);
    if (s != NULL) {
        memcpy(s, uri, n);
        s[n] = '\0';
    }
    return s;
}

/* 1 when uri names a local file: a path (no scheme) or a file: URI. */
int js_is_file_uri(const char *uri)
{
    return !js_has_scheme(uri) || strncmp(uri, "file:", 5) == 0;
}

/* The value of hex digit c, -1 when c is not one. */
int js_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX in place. */
void js_pct_decode(char *s)
{
    char *o = s;

    for (char *p = s; *p; p++) {
        if (p[0] == '%' && js_hexval(p[1]) >= 0 && js_hexval(p[2]) >= 0) {
            *o++ = (char)(js_hexval(p[1]) * 16 + js_hexval(p[2]));
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}
