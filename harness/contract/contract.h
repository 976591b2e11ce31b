/* contract: the wsbridge message contract, loaded from schemas/ once and
 * shared by the mock dashboard, the mock bot and the harness.
 *
 * Layout of the schema directory (see schemas/README.md):
 *   envelope.json            fields common to every publisher envelope
 *   messages/<type>.json     one full envelope schema per message type
 *   stream.json              what subscribers receive (envelope + relay_us)
 *   control/<name>.json      welcome, ack, error, command, subscribe, resume,
 *                            gap, command_relay (dashboard -> publisher command)
 *   status/dashboard.json, status/bot.json   the status endpoints' bodies
 * The directory is --schemas DIR, else $WSB_SCHEMAS, else "schemas". */
#ifndef WSB_CONTRACT_H
#define WSB_CONTRACT_H

#include <stddef.h>
#include <cjson/cJSON.h>

#define CONTRACT_MAX_MESSAGE_BYTES (64 * 1024) /* default maximum frame payload */
#define CONTRACT_NUM_TYPES 10

typedef struct contract contract;

/* The ten envelope types in contract order. */
extern const char *const contract_types[CONTRACT_NUM_TYPES];

/* dir may be NULL: then $WSB_SCHEMAS, else "schemas". */
const char *contract_default_dir(const char *dir);
contract *contract_load(const char *dir, char *err, size_t errlen);
void contract_free(contract *c);

/* Index of a type name in contract_types, or -1. */
int contract_type_index(const char *type);

/* A valid "data" object for type index type_index (contract_types order) as
 * static JSON text, NULL for an index out of range. Not to be freed. */
const char *contract_sample_data(int type_index);

/* A publisher envelope, picked by its "type": 0 valid; 1 invalid with err
 * ("/data/price: must be > 0", "/type: unknown message type \"foo\""). */
int contract_check_envelope(const contract *c, const cJSON *msg, char *err, size_t errlen);
/* A frame a subscriber receives: an envelope plus relay_us. */
int contract_check_stream(const contract *c, const cJSON *msg, char *err, size_t errlen);
/* Any schema by name relative to the directory without ".json":
 * "control/ack", "status/dashboard", "messages/heartbeat", "stream" ... */
int contract_check(const contract *c, const char *name, const cJSON *msg, char *err,
                   size_t errlen);

#endif
