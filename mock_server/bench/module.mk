# mock_server/bench: benchmarks of the mocks (make bench); README.md has the
# figures measured so far and where the time goes.
BENCHES += bench-dashboard bench-bot
bench-dashboard_SRCS := mock_server/bench/bench_dashboard.c mock_server/testkit/testws.c \
                        harness/testkit/testkit.c
bench-bot_SRCS := mock_server/bench/bench_bot.c mock_server/testkit/bot_testkit.c \
                  mock_server/testkit/testws.c harness/testkit/testkit.c
