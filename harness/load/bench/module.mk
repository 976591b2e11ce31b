# harness/load/bench: bench-load, what the load engine costs (make bench).
BENCHES += bench-load
bench-load_SRCS := harness/load/bench/bench_load.c
