# mock_server/faultproxy/fuzz: the libFuzzer target of wsb-faultproxy's HTTP
# API (harness/fuzz/README.md has how the fuzz build works). Built only by
# `make fuzz`; nothing here is added to TESTS or PROGRAMS.
# faultproxy_api.c and faultproxy_net.c are compiled for it with their socket
# calls turned into the fakes of fpfuzz_sock.h (their objects live in
# $(FUZZ_BUILD) only, so the shipped wsb-faultproxy is untouched).
FUZZERS += fuzz-faultproxy-api

fuzz-faultproxy-api_SRCS = mock_server/faultproxy/fuzz/fuzz_faultproxy_api.c \
                           mock_server/faultproxy/fuzz/fpfuzz_sock.c \
                           $(wildcard mock_server/faultproxy/faultproxy_*.c) \
                           harness/promtext.c $(wildcard harness/contract/*.c)
fuzz-faultproxy-api_SRCS := $(filter-out mock_server/faultproxy/faultproxy_main.c,\
                                         $(fuzz-faultproxy-api_SRCS))
fuzz-faultproxy-api_CORPUS = mock_server/faultproxy/fuzz/corpus
fuzz-faultproxy-api_DICT   = mock_server/faultproxy/fuzz/http.dict

$(FUZZ_BUILD)/obj/mock_server/faultproxy/faultproxy_api.o \
$(FUZZ_BUILD)/obj/mock_server/faultproxy/faultproxy_net.o: \
    FUZZ_SEAM_CFLAGS := -include mock_server/faultproxy/fuzz/fpfuzz_sock.h
