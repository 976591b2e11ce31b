# mock_server/tests: the mocks' tests (interop.sh is run by make test).
TESTS += test-dashboard test-dashboard-hostile test-bot
test-dashboard_SRCS := mock_server/tests/test_dashboard.c mock_server/tests/test_dashboard_durable.c \
                       mock_server/tests/dashtk.c \
                       mock_server/testkit/testws.c harness/testkit/testkit.c
test-dashboard-hostile_SRCS := mock_server/tests/test_dashboard_hostile.c mock_server/tests/dashtk.c \
                               mock_server/testkit/testws.c harness/testkit/testkit.c
test-bot_SRCS := mock_server/tests/test_bot.c mock_server/tests/test_bot_live.c \
                 mock_server/testkit/bot_testkit.c \
                 mock_server/testkit/testws.c $(BOT_SRCS) harness/testkit/testkit.c
