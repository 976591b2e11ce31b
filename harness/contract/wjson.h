/* wjson: strict JSON reading on top of cJSON.
 *
 * cJSON alone accepts things the wsbridge contract must refuse: it keeps the
 * first of two duplicate keys, cuts strings at an escaped NUL (\u0000), has
 * no configurable nesting limit and reads integers through valueint (capped
 * at INT_MAX). wjson_parse() checks the raw text first (valid UTF-8, depth,
 * no \u0000), parses with cJSON, then refuses duplicate keys. Integers are
 * read from valuedouble and checked to be exact. The getters (wjson_get,
 * wjson_str, wjson_num, wjson_int) read a value at a path of member names
 * with a default, for every reader of status answers and frames. */
#ifndef WSB_WJSON_H
#define WSB_WJSON_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#define WJSON_DEFAULT_MAX_DEPTH 32       /* objects/arrays nested deeper are refused */
#define WJSON_MAX_EXACT_INT 9007199254740992LL /* 2^53: doubles hold integers exactly below it */

/* Parses len bytes of text. On success returns a tree the caller frees with
 * cJSON_Delete(). On failure returns NULL and writes a one-line reason to err
 * ("invalid UTF-8 at byte 12", "nesting deeper than 32", "duplicate key \"seq\"",
 * "\\u0000 in a string", "malformed JSON near byte 7"). */
cJSON *wjson_parse(const char *text, size_t len, int max_depth, char *err, size_t errlen);

/* 1 when item is a number holding an exact integer with |v| <= 2^53, storing it. */
int wjson_get_int64(const cJSON *item, int64_t *out);

/* ---- reading values out of a tree ----
 * A path names object members from root down, separated by '.':
 * "sources.bot-1.last_seq"; "" is root itself. Names match case-sensitively;
 * a name that holds a '.' needs wjson_getv. Items and strings returned are
 * borrowed from root (valid while it lives); nothing is copied. A NULL root
 * is an empty tree. */

/* The item at path, or NULL when a member is missing or a step is not an object. */
const cJSON *wjson_get(const cJSON *root, const char *path);
/* The same with one member name per argument, NULL-terminated:
 * wjson_getv(root, "sources", source, "last_seq", NULL). */
const cJSON *wjson_getv(const cJSON *root, ...) __attribute__((sentinel));
/* The string at path, or dflt when it is missing or not a string. */
const char *wjson_str(const cJSON *root, const char *path, const char *dflt);
/* The number at path (valuedouble), or dflt when missing or not a number. */
double wjson_num(const cJSON *root, const char *path, double dflt);
/* The exact integer at path (as wjson_get_int64), or dflt otherwise. */
int64_t wjson_int(const cJSON *root, const char *path, int64_t dflt);

/* Reads a whole file (NUL-terminated, *len set when len is non-NULL). NULL and err on failure. */
char *wjson_read_file(const char *path, size_t *len, char *err, size_t errlen);

/* Reads and strictly parses a JSON file. */
cJSON *wjson_parse_file(const char *path, int max_depth, char *err, size_t errlen);

/* 1 when the len bytes are well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int wjson_utf8_valid(const char *s, size_t len);

#endif
