# harness/bench: benchmarks of the harness and contract code (make bench).
BENCHES += bench-contract
bench-contract_SRCS := harness/bench/bench_contract.c
# bench-echo: the harness client's WebSocket round trip against a C echo (feed-peer
# --echo, an lws server) beside the plain TCP ping-pong floor
BENCHES += bench-echo
bench-echo_SRCS := harness/bench/bench_echo.c harness/testkit/testkit.c
