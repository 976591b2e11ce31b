# --- mock dashboard (helper h3): wsb-dashboard, wsb-token, their tests and bench ---
DASHBOARD_SRCS := mock_server/dashboard.c mock_server/dashboard_history.c \
                  mock_server/dashboard_status.c mock_server/dashboard_sub.c

PROGRAMS += wsb-token
wsb-token_SRCS := mock_server/token_main.c

TESTS += test-jwt
test-jwt_SRCS := harness/tests/test_jwt.c
# --- end of the mock dashboard block ---
