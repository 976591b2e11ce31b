/* fuzz_envelope: libFuzzer target for the path every published frame takes in
 * the dashboard and the harness: bytes -> wjson_parse (strict JSON) ->
 * envelope_decode -> contract_check_envelope against the real schemas/, and
 * the tree-less envelope_peek_fields on the same bytes. Subscriber-side
 * schemas (stream, control/subscribe, control/command) are checked too, as
 * the dashboard checks what subscribers send.
 *
 * Besides the sanitizers, it checks properties a crash would not show: the
 * validator never fails internally and always gives a reason for "invalid",
 * a frame that decodes and passes its schema survives envelope_encode ->
 * wjson_parse -> envelope_decode with the same fields and stays valid, and
 * when both the peek and the full decode accept a frame they read the same
 * type, source, seq, ts_us and relay_us.
 *
 * The contract is loaded once from $WSB_SCHEMAS, else "schemas" (run from the
 * top of the tree, as `make fuzz` does). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "envelope.h"
#include "wjson.h"
#include "wlog.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static contract *ct;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];
    (void)argc;
    (void)argv;
    wlog_set_level(WLOG_ERROR);
    ct = contract_load(NULL, err, sizeof(err));
    if (!ct) {
        fprintf(stderr, "fuzz-envelope: cannot load the contract from %s: %s\n"
                        "(run from the top of the tree or set WSB_SCHEMAS)\n",
                contract_default_dir(NULL), err);
        exit(1);
    }
    return 0;
}

/* Checks one frame against a schema (name NULL: its message type's); the
 * validator must not fail internally, and "invalid" must come with a reason. */
static void check_named(const char *name, const cJSON *root)
{
    char err[256];
    int r = name ? contract_check(ct, name, root, err, sizeof(err))
                 : contract_check_envelope(ct, root, err, sizeof(err));
    if (r < 0 && name) {
        fprintf(stderr, "internal validator failure on %s: %s\n", name, err);
        abort();
    }
    if (r == 1 && err[0] == '\0') {
        fprintf(stderr, "invalid against %s without a reason\n", name ? name : "its type");
        abort();
    }
}

static void roundtrip(const envelope *e)
{
    char err[256];
    char *text = envelope_encode(e);
    if (!text)
        abort(); /* the encoder sizes its own buffer: only out of memory may fail */
    cJSON *again = wjson_parse(text, strlen(text), WJSON_DEFAULT_MAX_DEPTH, err, sizeof(err));
    envelope e2;
    if (!again || envelope_decode(again, &e2, err, sizeof(err)) != 0) {
        fprintf(stderr, "encoded envelope does not decode (%s): %s\n", err, text);
        abort();
    }
    if (strcmp(e->type, e2.type) || strcmp(e->source, e2.source) || e->seq != e2.seq ||
        e->ts_us != e2.ts_us || e->relay_us != e2.relay_us) {
        fprintf(stderr, "envelope changed through encode/decode: %s\n", text);
        abort();
    }
    if (contract_check_envelope(ct, again, err, sizeof(err)) != 0 && e->relay_us == 0) {
        fprintf(stderr, "re-encoded valid envelope is invalid (%s): %s\n", err, text);
        abort();
    }
    cJSON_Delete(again);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char err[256];

    envelope_peek pk;
    int peek_rc = envelope_peek_fields(text, size, &pk);

    cJSON *root = wjson_parse(text, size, WJSON_DEFAULT_MAX_DEPTH, err, sizeof(err));
    if (!root)
        return 0;
    envelope e;
    int dec_rc = envelope_decode(root, &e, err, sizeof(err));
    int valid = contract_check_envelope(ct, root, err, sizeof(err)) == 0;
    check_named(NULL, root);
    check_named("stream", root);
    check_named("control/subscribe", root);
    check_named("control/command", root);
    if (dec_rc == 0 && peek_rc == 0 &&
        (strcmp(e.type, pk.type) || strcmp(e.source, pk.source) || e.seq != pk.seq ||
         e.ts_us != pk.ts_us || e.relay_us != pk.relay_us)) {
        fprintf(stderr, "peek and decode disagree: type %s/%s source %s/%s seq %lld/%lld "
                        "ts_us %lld/%lld\n", e.type, pk.type, e.source, pk.source,
                (long long)e.seq, (long long)pk.seq, (long long)e.ts_us, (long long)pk.ts_us);
        abort();
    }
    if (dec_rc == 0 && valid)
        roundtrip(&e);
    cJSON_Delete(root);
    return 0;
}
