/* test_bot_live: the integration half of test-bot (test_bot_live.c), run
 * by test_bot.c's main as the suite "bot_integration". */
#ifndef WSB_TEST_BOT_LIVE_H
#define WSB_TEST_BOT_LIVE_H

#include <CUnit/CUnit.h>

#include "contract.h"

/* The contract from schemas/ (NULL, said on stderr, when it cannot load);
 * test_bot.c's, shared with the integration half. */
contract *test_bot_load_contract(void);

/* Suite init: 0, or 1 when the programs under test are not built. */
int test_bot_live_init(void);
extern CU_TestInfo test_bot_live_tests[];

#endif
