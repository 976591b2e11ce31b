/* wsb-validate: checks a JSON document (a captured message, a status body)
 * against a JSON Schema draft-07 file, or against the wsbridge contract
 * picked by the message's "type". Prints every error, one per line, as
 * "path: message".
 *
 * Exit status: 0 valid, 1 invalid, 2 unusable input (unreadable file,
 * malformed JSON, non-UTF-8 bytes, nesting too deep, a bad schema, an
 * unresolvable $ref, bad usage). */
#include "contract.h"
#include "jsonschema.h"
#include "wjson.h"
#include "wparse.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define VALIDATE_MAX_INPUT (64L * 1024 * 1024) /* larger instances are refused */

enum { VALIDATE_OK = 0, VALIDATE_INVALID = 1, VALIDATE_UNUSABLE = 2 };

static void validate_usage(FILE *out)
{
    fprintf(out,
            "usage: wsb-validate --schema FILE [INSTANCE_FILE|-]\n"
            "       wsb-validate --type-dir DIR [INSTANCE_FILE|-]\n"
            "\n"
            "Checks one JSON document (from INSTANCE_FILE, or stdin when it is '-' or\n"
            "absent) against a JSON Schema draft-07 file and prints every error, one per\n"
            "line, as \"path: message\" (\"/data/price: must be > 0\").\n"
            "\n"
            "  --schema FILE     the schema; $refs to sibling files are loaded as needed\n"
            "  --type-dir DIR    a wsbridge schema directory (e.g. schemas/): the schema is\n"
            "                    picked by the document's \"type\": messages/<type>.json for\n"
            "                    the ten envelope types (stream.json when the frame carries\n"
            "                    relay_us), control/<type>.json for control frames\n"
            "                    (a \"command\" without \"target\" is command_relay.json);\n"
            "                    bodies without a type (status) need --schema\n"
            "  --lines           the input holds one document per line (a capture); each\n"
            "                    error line starts with \"line N: \"\n"
            "  --max-depth N     nesting limit of the instance (default %d)\n"
            "  -q, --quiet       print nothing, only set the exit status\n"
            "  -h, --help        this text\n"
            "\n"
            "Exit status: 0 valid, 1 invalid, 2 unusable input (unreadable file, malformed\n"
            "JSON, non-UTF-8 bytes, nesting too deep, bad schema, unresolvable $ref).\n"
            "Patterns are POSIX extended regular expressions compiled from the ECMA-262\n"
            "syntax; lookarounds and backreferences are refused when the schema loads.\n",
            WJSON_DEFAULT_MAX_DEPTH);
}

typedef struct validate_opts {
    const char *schema;
    const char *type_dir;
    const char *input;
    int lines;
    int max_depth;
    int quiet;
} validate_opts;

typedef struct validate_report {
    const char *prefix;        /* "line 3: " or "" */
    int quiet;
    int count;
} validate_report;

static void validate_print_error(void *user, const char *path, const char *message)
{
    validate_report *r = user;

    r->count++;
    if (!r->quiet)
        printf("%s%s: %s\n", r->prefix, path, message);
}

static char *validate_read_all(const char *path, size_t *len, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t cap = 0, n = 0;

    if (path != NULL && strcmp(path, "-") != 0)
        return wjson_read_file(path, len, err, errlen);
    for (;;) {
        if (cap - n < 4096) {
            size_t ncap = cap ? cap * 2 : 65536;
            if (ncap > (size_t)VALIDATE_MAX_INPUT + 65536) {
                snprintf(err, errlen, "stdin: larger than %ld bytes", (long)VALIDATE_MAX_INPUT);
                free(buf);
                return NULL;
            }
            char *nb = realloc(buf, ncap + 1);
            if (nb == NULL) {
                snprintf(err, errlen, "stdin: out of memory");
                free(buf);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0) {
            if (ferror(stdin)) {
                snprintf(err, errlen, "cannot read stdin: %s", strerror(errno));
                free(buf);
                return NULL;
            }
            break;
        }
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Schemas by path, loaded once per path into one registry. */
typedef struct validate_schemas {
    jsonschema_registry *reg;
    struct {
        char *path;
        jsonschema *s;
    } loaded[64];
    size_t n;
} validate_schemas;

static jsonschema *validate_get_schema(validate_schemas *vs, const char *path, char *err,
                                       size_t errlen)
{
    jsonschema *s;

    for (size_t i = 0; i < vs->n; i++)
        if (strcmp(vs->loaded[i].path, path) == 0)
            return vs->loaded[i].s;
    if (vs->n == sizeof(vs->loaded) / sizeof(vs->loaded[0])) {
        snprintf(err, errlen, "too many schemas");
        return NULL;
    }
    s = jsonschema_add_file(vs->reg, path, err, errlen);
    if (s == NULL || jsonschema_registry_resolve(vs->reg, err, errlen) != 0)
        return NULL;
    vs->loaded[vs->n].path = strdup(path);
    vs->loaded[vs->n].s = s;
    vs->n++;
    return s;
}

static int validate_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Picks the schema file for a document in --type-dir mode. 0, or 1 with an
 * instance error (no/unknown type) in err. */
static int validate_pick(const char *dir, const cJSON *doc, char *path, size_t cap, char *err,
                         size_t errlen)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "type");

    if (!cJSON_IsObject(doc)) {
        snprintf(err, errlen, "/: must be object");
        return 1;
    }
    if (type == NULL) {
        snprintf(err, errlen, "/: missing required property \"type\"");
        return 1;
    }
    if (!cJSON_IsString(type)) {
        snprintf(err, errlen, "/type: must be string");
        return 1;
    }
    if (contract_type_index(type->valuestring) >= 0) {
        if (cJSON_GetObjectItemCaseSensitive(doc, "relay_us") != NULL)
            snprintf(path, cap, "%s/stream.json", dir);
        else
            snprintf(path, cap, "%s/messages/%s.json", dir, type->valuestring);
        return 0;
    }
    if (strchr(type->valuestring, '/') == NULL && strchr(type->valuestring, '.') == NULL
        && strlen(type->valuestring) < 64) {
        /* "command" names two frames: with "target" it goes subscriber ->
         * dashboard (control/command.json), without it is the relay to the
         * publisher (control/command_relay.json) */
        if (strcmp(type->valuestring, "command") == 0
            && cJSON_GetObjectItemCaseSensitive(doc, "target") == NULL)
            snprintf(path, cap, "%s/control/command_relay.json", dir);
        else
            snprintf(path, cap, "%s/control/%s.json", dir, type->valuestring);
        if (validate_file_exists(path))
            return 0;
    }
    snprintf(err, errlen, "/type: unknown message type \"%.40s\"", type->valuestring);
    return 1;
}

/* Validates one document text. Returns an exit status. */
static int validate_one(validate_schemas *vs, const validate_opts *o, jsonschema *fixed,
                        const char *text, size_t len, const char *prefix)
{
    char err[512];
    cJSON *doc = wjson_parse(text, len, o->max_depth, err, sizeof(err));
    validate_report rep = {prefix, o->quiet, 0};
    jsonschema *s = fixed;
    int r;

    if (doc == NULL) {
        if (!o->quiet)
            fprintf(stderr, "wsb-validate: %s%s\n", prefix, err);
        return VALIDATE_UNUSABLE;
    }
    if (s == NULL) {
        char path[4096];
        if (validate_pick(o->type_dir, doc, path, sizeof(path), err, sizeof(err)) != 0) {
            if (!o->quiet)
                printf("%s%s\n", prefix, err);
            cJSON_Delete(doc);
            return VALIDATE_INVALID;
        }
        s = validate_get_schema(vs, path, err, sizeof(err));
        if (s == NULL) {
            if (!o->quiet)
                fprintf(stderr, "wsb-validate: %s\n", err);
            cJSON_Delete(doc);
            return VALIDATE_UNUSABLE;
        }
    }
    r = jsonschema_validate_all(s, doc, validate_print_error, &rep);
    cJSON_Delete(doc);
    if (r < 0)
        return VALIDATE_UNUSABLE;
    return r == 0 ? VALIDATE_OK : VALIDATE_INVALID;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"schema", required_argument, NULL, 's'},  {"type-dir", required_argument, NULL, 't'},
        {"lines", no_argument, NULL, 'l'},         {"max-depth", required_argument, NULL, 'd'},
        {"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    validate_opts o = {NULL, NULL, NULL, 0, WJSON_DEFAULT_MAX_DEPTH, 0};
    validate_schemas vs;
    jsonschema *fixed = NULL;
    char err[512];
    char *text;
    size_t len = 0;
    int c, status = VALIDATE_OK;

    memset(&vs, 0, sizeof(vs));
    while ((c = getopt_long(argc, argv, "s:t:lqh", longopts, NULL)) != -1) {
        switch (c) {
        case 's': o.schema = optarg; break;
        case 't': o.type_dir = optarg; break;
        case 'l': o.lines = 1; break;
        case 'q': o.quiet = 1; break;
        case 'd': {
            long long v;
            if (wparse_long(optarg, 1, 1000, &v, NULL, 0) < 0) {
                fprintf(stderr, "wsb-validate: --max-depth wants 1..1000\n");
                return VALIDATE_UNUSABLE;
            }
            o.max_depth = (int)v;
            break;
        }
        case 'h': validate_usage(stdout); return VALIDATE_OK;
        default: validate_usage(stderr); return VALIDATE_UNUSABLE;
        }
    }
    if ((o.schema == NULL) == (o.type_dir == NULL) || argc - optind > 1) {
        fprintf(stderr, "wsb-validate: give exactly one of --schema FILE or --type-dir DIR, "
                        "and at most one instance file\n");
        validate_usage(stderr);
        return VALIDATE_UNUSABLE;
    }
    o.input = optind < argc ? argv[optind] : "-";
    vs.reg = jsonschema_registry_new();
    if (vs.reg == NULL) {
        fprintf(stderr, "wsb-validate: cannot create a schema registry (no C.UTF-8 locale?)\n");
        return VALIDATE_UNUSABLE;
    }
    if (o.schema != NULL) {
        fixed = validate_get_schema(&vs, o.schema, err, sizeof(err));
        if (fixed == NULL) {
            fprintf(stderr, "wsb-validate: %s\n", err);
            status = VALIDATE_UNUSABLE;
            goto out;
        }
    }
    text = validate_read_all(o.input, &len, err, sizeof(err));
    if (text == NULL) {
        fprintf(stderr, "wsb-validate: %s\n", err);
        status = VALIDATE_UNUSABLE;
        goto out;
    }
    if (!o.lines) {
        status = validate_one(&vs, &o, fixed, text, len, "");
    } else {
        size_t start = 0, lineno = 0;
        while (start < len) {
            const char *nl = memchr(text + start, '\n', len - start);
            size_t end = nl ? (size_t)(nl - text) : len;
            char prefix[48];
            lineno++;
            size_t k = start;
            while (k < end && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r'))
                k++;
            if (k < end) {
                snprintf(prefix, sizeof(prefix), "line %zu: ", lineno);
                int r = validate_one(&vs, &o, fixed, text + start, end - start, prefix);
                if (r > status)
                    status = r;
            }
            start = end + 1;
        }
    }
    free(text);
out:
    for (size_t i = 0; i < vs.n; i++)
        free(vs.loaded[i].path);
    jsonschema_registry_free(vs.reg);
    return status;
}
