# harness/load/bench: bench-load, what the load engine costs (make bench).
BENCHES += bench-load
bench-load_SRCS := harness/load/bench/bench_load.c
# peers.sh: wsb-load beside Node ws, Tsung and Artillery on the same 2,000-connection load
BENCH_SCRIPTS += harness/load/bench/peers.sh
