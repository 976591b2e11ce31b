# --- mock dashboard (helper h3): wsb-dashboard, wsb-token, their tests and bench ---
DASHBOARD_SRCS := mock_server/dashboard.c mock_server/dashboard_history.c \
                  mock_server/dashboard_status.c mock_server/dashboard_sub.c

PROGRAMS += wsb-dashboard wsb-token
wsb-dashboard_SRCS := mock_server/dashboard_main.c $(DASHBOARD_SRCS)
wsb-token_SRCS := mock_server/token_main.c

TESTS += test-jwt
test-jwt_SRCS := harness/tests/test_jwt.c harness/tests/cutest.c

TESTS += test-dashboard
test-dashboard_SRCS := mock_server/tests/test_dashboard.c mock_server/tests/tws.c harness/tests/cutest.c

BENCHES += bench-dashboard
bench-dashboard_SRCS := mock_server/bench_dashboard.c mock_server/tests/tws.c
# --- end of the mock dashboard block ---

# --- mock trading bot (helper h4): wsb-bot, its tests and bench ---
BOT_SRCS := mock_server/bot_loop.c mock_server/bot_queue.c mock_server/bot_conn.c \
            mock_server/bot_status.c

PROGRAMS += wsb-bot
wsb-bot_SRCS := mock_server/bot_main.c $(BOT_SRCS)

TESTS += test-bot
test-bot_SRCS := mock_server/tests/test_bot.c mock_server/bot_testkit.c mock_server/tests/tws.c $(BOT_SRCS) harness/tests/cutest.c

BENCHES += bench-bot
bench-bot_SRCS := mock_server/bench_bot.c mock_server/bot_testkit.c mock_server/tests/tws.c
# --- end of the mock trading bot block ---
