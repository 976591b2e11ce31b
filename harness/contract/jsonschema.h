/* jsonschema: a JSON Schema draft-07 validator over cJSON.
 *
 * A registry holds compiled schema documents; each is known by its `$id`
 * (and by the file path it was loaded from, so relative `$ref`s between the
 * files of schemas/ resolve). Keywords: type, enum, const, properties,
 * required, additionalProperties, patternProperties, propertyNames, items,
 * additionalItems, contains, min/maxItems, uniqueItems, min/maxProperties,
 * minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf,
 * min/maxLength (code points), pattern (POSIX ERE, see jsonschema_regex.c for
 * the differences from ECMA-262), allOf, anyOf, oneOf, not, if/then/else,
 * dependencies, definitions, boolean schemas, $ref (JSON pointers, $id).
 * Loading fails, with a message, on an unsupported keyword's value of the
 * wrong shape, an unresolvable $ref or a pattern POSIX cannot express.
 * Errors name the instance path and the rule: "/data/price: must be > 0". */
#ifndef WSB_JSONSCHEMA_H
#define WSB_JSONSCHEMA_H

#include <stddef.h>
#include <cjson/cJSON.h>

typedef struct jsonschema_registry jsonschema_registry;
typedef struct jsonschema jsonschema; /* one compiled schema, owned by its registry */

jsonschema_registry *jsonschema_registry_new(void);
void jsonschema_registry_free(jsonschema_registry *reg);

/* Adds a document. The registry takes ownership of doc (even on failure).
 * uri names it for relative $refs (a file path or URL; may be NULL when the
 * document has an $id). Returns the compiled root or NULL with err. */
jsonschema *jsonschema_add(jsonschema_registry *reg, cJSON *doc, const char *uri, char *err,
                           size_t errlen);
/* Reads, strictly parses and adds a file (its path is its uri). */
jsonschema *jsonschema_add_file(jsonschema_registry *reg, const char *path, char *err,
                                size_t errlen);
/* Resolves every $ref of every document added so far; call after the last add.
 * 0 on success, -1 with err naming the unresolvable reference. */
int jsonschema_registry_resolve(jsonschema_registry *reg, char *err, size_t errlen);

/* Validates. Returns 0 when valid, 1 when invalid (err gets the first error,
 * "path: rule"), -1 on internal failure. Thread-compatible: a resolved
 * registry may be used by several threads at once. */
int jsonschema_validate(const jsonschema *s, const cJSON *instance, char *err, size_t errlen);

/* Like jsonschema_validate but reports every error through cb (path, message). */
typedef void (*jsonschema_error_cb)(void *user, const char *path, const char *message);
int jsonschema_validate_all(const jsonschema *s, const cJSON *instance, jsonschema_error_cb cb,
                            void *user);

#endif
