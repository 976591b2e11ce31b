/* contract_samples: one valid "data" object per message type, as JSON text.
 *
 * The harness's suites publish them (bridge_envelope) and the faulty
 * dashboard's built-in generator emits them, so both send the same payloads;
 * test-contract checks each one against its type's schema. */
#include "contract.h"

#include <stddef.h>

static const char *const contract_samples[CONTRACT_NUM_TYPES] = {
    "{\"symbol\":\"BTC-USD\",\"price\":64250.5,\"bid\":64250.0,\"ask\":64251.0,\"volume\":12.75}",
    "{\"symbol\":\"ETH/USDT\",\"action\":\"buy\",\"confidence\":0.87,\"model\":\"sample\"}",
    "{\"order_id\":\"ord-1\",\"symbol\":\"BTC-USD\",\"side\":\"buy\",\"order_type\":\"market\","
    "\"status\":\"filled\",\"quantity\":0.5,\"filled_quantity\":0.5}",
    "{\"trade_id\":\"t-1\",\"order_id\":\"ord-1\",\"symbol\":\"BTC-USD\",\"side\":\"buy\","
    "\"quantity\":0.5,\"price\":64250.5,\"fee\":0.1}",
    "{\"symbol\":\"AAPL\",\"quantity\":-10,\"avg_price\":189.3,\"unrealized_pnl\":-12.5,"
    "\"realized_pnl\":40.0}",
    "{\"balance\":100000.0,\"equity\":100027.5,\"unrealized_pnl\":-12.5,\"realized_pnl\":40.0,"
    "\"open_positions\":2}",
    "{\"state\":\"running\",\"uptime_s\":1.5,\"loop_iterations\":10,\"generated\":7,\"queued\":0,"
    "\"dropped\":0,\"connected\":true}",
    "{\"loop_iterations\":10}",
    "{\"level\":\"info\",\"code\":\"sample_alert\",\"message\":\"a sample alert\"}",
    "{\"command_id\":\"c-1\",\"status\":\"done\"}",
};

const char *contract_sample_data(int type_index)
{
    if (type_index < 0 || type_index >= CONTRACT_NUM_TYPES)
        return NULL;
    return contract_samples[type_index];
}
