# harness/fuzz: libFuzzer targets for the contract and the harness's parsers
# of what peers send (README.md here). Built only by `make fuzz` (clang, in
# $(FUZZ_BUILD)); nothing here is added to TESTS or PROGRAMS, so the gcc build
# and `make test` never see these files.
#   FUZZERS += fuzz-foo; fuzz-foo_SRCS (linked with libFuzzer, ASan, UBSan),
#   fuzz-foo_CORPUS (the seed folder, never written by a run), fuzz-foo_DICT.
FUZZ_CONTRACT_SRCS = $(wildcard harness/contract/*.c)

FUZZERS += fuzz-envelope fuzz-jwt fuzz-promtext fuzz-status

fuzz-envelope_SRCS   = harness/fuzz/fuzz_envelope.c $(FUZZ_CONTRACT_SRCS)
fuzz-envelope_CORPUS = harness/fuzz/corpus/envelope
fuzz-envelope_DICT   = harness/fuzz/json.dict

fuzz-jwt_SRCS   = harness/fuzz/fuzz_jwt.c $(FUZZ_CONTRACT_SRCS)
fuzz-jwt_CORPUS = harness/fuzz/corpus/jwt
fuzz-jwt_DICT   = harness/fuzz/jwt.dict

fuzz-promtext_SRCS   = harness/fuzz/fuzz_promtext.c harness/promtext.c
fuzz-promtext_CORPUS = harness/fuzz/corpus/promtext
fuzz-promtext_DICT   = harness/fuzz/promtext.dict

fuzz-status_SRCS   = harness/fuzz/fuzz_status.c $(FUZZ_CONTRACT_SRCS)
fuzz-status_CORPUS = harness/fuzz/corpus/status
fuzz-status_DICT   = harness/fuzz/json.dict

# the load engine's frame parser (what the server under load sends) and field scan
FUZZERS += fuzz-loadframe
fuzz-loadframe_SRCS   = harness/fuzz/fuzz_loadframe.c harness/load/loadframe.c
fuzz-loadframe_CORPUS = harness/fuzz/corpus/loadframe
