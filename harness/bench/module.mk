# harness/bench: benchmarks of the harness and contract code (make bench).
BENCHES += bench-contract
bench-contract_SRCS := harness/bench/bench_contract.c
